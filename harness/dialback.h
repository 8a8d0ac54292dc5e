/*
 * Server Dialback keys (XEP-0185 §2, XEP-0220 §2.1.1).
 */
#ifndef S2S_DIALBACK_H
#define S2S_DIALBACK_H

#include <stddef.h>

#define DIALBACK_KEY_LEN 64 /* hex of a SHA-256 HMAC, without the NUL */

/*
 * KEY = hex(HMAC-SHA256(hex(SHA-256(secret)), receiving + ' ' + originating + ' ' + sid)),
 * lowercase hex; the HMAC key is the 64-character hex string, not the raw digest
 * (checked against the three published vectors). out receives 65 bytes.
 * Returns 0, or -1 when an input is NULL or too long.
 */
int dialback_key(const char *secret, const char *receiving, const char *originating,
                 const char *sid, char out[DIALBACK_KEY_LEN + 1]);

/* Constant-time comparison of two keys; 1 when equal, 0 otherwise. */
int dialback_key_equal(const char *a, const char *b);

/* A fresh random secret as hex (32 random bytes from gnutls_rnd). out receives 65 bytes. */
int dialback_new_secret(char out[DIALBACK_KEY_LEN + 1]);

#endif
