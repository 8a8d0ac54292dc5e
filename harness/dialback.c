#include "dialback.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>

#define DIALBACK_MAX_INPUT 1024

static void to_hex(const unsigned char *in, size_t n, char *out)
{
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[in[i] >> 4];
                out[2 * i + 1] = digits[in[i] & 15];
        }
        out[2 * n] = '\0';
}

int dialback_key(const char *secret, const char *receiving, const char *originating,
                 const char *sid, char out[DIALBACK_KEY_LEN + 1])
{
        unsigned char digest[32], mac[32];
        char hexkey[DIALBACK_KEY_LEN + 1], msg[3 * DIALBACK_MAX_INPUT + 3];
        int n;

        if (secret == NULL || receiving == NULL || originating == NULL || sid == NULL)
                return -1;
        if (strlen(receiving) > DIALBACK_MAX_INPUT || strlen(originating) > DIALBACK_MAX_INPUT ||
            strlen(sid) > DIALBACK_MAX_INPUT)
                return -1;
        if (gnutls_hash_fast(GNUTLS_DIG_SHA256, secret, strlen(secret), digest) != 0)
                return -1;
        to_hex(digest, sizeof(digest), hexkey);
        n = snprintf(msg, sizeof(msg), "%s %s %s", receiving, originating, sid);
        if (n < 0 || (size_t)n >= sizeof(msg))
                return -1;
        if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, hexkey, DIALBACK_KEY_LEN, msg, (size_t)n, mac) != 0)
                return -1;
        to_hex(mac, sizeof(mac), out);
        return 0;
}

int dialback_key_equal(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        unsigned char diff = 0;

        if (la != lb)
                return 0;
        for (size_t i = 0; i < la; i++)
                diff |= (unsigned char)(a[i] ^ b[i]);
        return diff == 0;
}

int dialback_new_secret(char out[DIALBACK_KEY_LEN + 1])
{
        unsigned char raw[32];

        if (gnutls_rnd(GNUTLS_RND_KEY, raw, sizeof(raw)) != 0)
                return -1;
        to_hex(raw, sizeof(raw), out);
        return 0;
}

/* SHA-256 over "from\0to\0id\0key", domains in ASCII lower case (they compare
 * case-insensitively, RFC 5890); -1 when the inputs do not fit. */
static int ledger_digest(const char *from, const char *to, const char *id, const char *key,
                         unsigned char out[32])
{
        const char *parts[4] = {from, to, id, key};
        char msg[4 * (DIALBACK_MAX_INPUT + 1)];
        size_t len = 0;

        for (size_t i = 0; i < 4; i++) {
                size_t n = parts[i] != NULL ? strlen(parts[i]) : 0;

                if (parts[i] == NULL || n > DIALBACK_MAX_INPUT)
                        return -1;
                for (size_t k = 0; k < n; k++) {
                        char c = parts[i][k];

                        msg[len++] = i < 2 && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
                }
                msg[len++] = '\0';
        }
        return gnutls_hash_fast(GNUTLS_DIG_SHA256, msg, len, out) == 0 ? 0 : -1;
}

void db_ledger_record(struct db_ledger *l, const char *from, const char *to, const char *id,
                      const char *key)
{
        unsigned char d[32];

        if (l == NULL || ledger_digest(from, to, id, key, d) != 0)
                return;
        memcpy(l->digest[l->next], d, sizeof(d));
        l->next = (l->next + 1) % DB_LEDGER_MAX;
        if (l->n < DB_LEDGER_MAX)
                l->n++;
}

bool db_ledger_has(const struct db_ledger *l, const char *from, const char *to, const char *id,
                   const char *key)
{
        unsigned char d[32];

        if (l == NULL || ledger_digest(from, to, id, key, d) != 0)
                return false;
        for (size_t i = 0; i < l->n; i++) {
                if (memcmp(l->digest[i], d, sizeof(d)) == 0)
                        return true;
        }
        return false;
}
