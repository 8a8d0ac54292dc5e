/*
 * Server Dialback keys (XEP-0185 §2, XEP-0220 §2.1.1).
 */
#ifndef S2S_DIALBACK_H
#define S2S_DIALBACK_H

#include <stdbool.h>
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

/*
 * The db:verify requests one server's authoritative role received (XEP-0220
 * §2.2.1 step 3), shared by every stream of that server. It is the proof that
 * a receiving peer verified a key before answering type='valid' (§2.1-§2.3):
 * the initiating side asks it before it counts a 'valid' as authentication.
 * Each request is kept as a SHA-256 of (from, to, id, key), so the ledger has a
 * fixed size whatever a peer sends; when full, the oldest record goes.
 */
#define DB_LEDGER_MAX 256

struct db_ledger {
        unsigned char digest[DB_LEDGER_MAX][32];
        size_t n, next;
};

/* Records a db:verify as received: from = the receiving server that asks, to =
 * the originating domain, id = the stream id, key = the key it carried. */
void db_ledger_record(struct db_ledger *l, const char *from, const char *to, const char *id,
                      const char *key);

/* Whether exactly that request was received. */
bool db_ledger_has(const struct db_ledger *l, const char *from, const char *to, const char *id,
                   const char *key);

#endif
