#include "hostile.h"
#include "misbehave.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define NO_FLAG SIZE_MAX
#define FLAG(field) offsetof(struct engine_misbehaviour, field)

struct hostile {
        const char *name;
        const char *where; /* "R, I", "R" */
        const char *text;  /* one line: what the partner does */
        enum engine_wire wire;
        size_t flag; /* offset of a bool in struct engine_misbehaviour, or NO_FLAG */
        struct net_pacing pace;
};

/* The vocabulary of `serve --misbehave` (docs/cli.md lists it, hostile_print prints it). */
static const struct hostile table[] = {
    {"garbage",
     "R, I",
     "256 bytes of binary garbage instead of a stream header",
     WIRE_GARBAGE,
     NO_FLAG,
     {0, 0, 0}},
    {"entity-bomb",
     "R, I",
     "a DOCTYPE with nested entities (billion laughs) before its stream header",
     WIRE_ENTITY_BOMB,
     NO_FLAG,
     {0, 0, 0}},
    {"huge-element",
     "R, I",
     "its stream header, then one 10 MB <message/>",
     WIRE_HUGE_ELEMENT,
     NO_FLAG,
     {0, 0, 0}},
    {"deep-nesting",
     "R, I",
     "its stream header, then 10,000 nested elements",
     WIRE_DEEP_NESTING,
     NO_FLAG,
     {0, 0, 0}},
    {"many-attributes",
     "R, I",
     "a stream header with 10,000 extra attributes",
     WIRE_MANY_ATTRIBUTES,
     NO_FLAG,
     {0, 0, 0}},
    {"many-features",
     "R, I",
     "its stream header, then <stream:features/> with 10,000 features",
     WIRE_MANY_FEATURES,
     NO_FLAG,
     {0, 0, 0}},
    {"slow-drip",
     "R, I",
     "everything it sends, one byte per second",
     WIRE_NONE,
     NO_FLAG,
     {1000, 0, 0}},
    {"whitespace-keepalive",
     "R, I",
     "its stream header, then only a space every 0.2 s (never features or answers)",
     WIRE_STALL,
     NO_FLAG,
     {0, 200, 0}},
    {"silence",
     "R, I",
     "accepts or opens the connection and never sends a byte",
     WIRE_SILENCE,
     NO_FLAG,
     {0, 0, 0}},
    {"close-after-accept",
     "R, I",
     "closes the connection as soon as it is up (R: after the accept; I: after the connect)",
     WIRE_CLOSE_AT_ONCE,
     NO_FLAG,
     {0, 0, 0}},
    {"close-mid-tls",
     "R, I",
     "sends half of its first TLS handshake flight, then closes",
     WIRE_CLOSE_MID_TLS,
     NO_FLAG,
     {0, 0, 0}},
    {"wrong-namespace",
     "R, I",
     "a stream header whose stream namespace is not http://etherx.jabber.org/streams",
     WIRE_WRONG_NAMESPACE,
     NO_FLAG,
     {0, 0, 0}},
    {"starttls-after-tls",
     "R, I",
     "R: offers STARTTLS again after TLS; I: sends <starttls/> again on the TLS stream",
     WIRE_NONE,
     FLAG(starttls_after_tls),
     {0, 0, 0}},
    {"proceed-then-plaintext",
     "R, I",
     "R: answers <starttls/> with <proceed/>, then goes on in plaintext; I: after <proceed/>, "
     "opens a plaintext stream instead of TLS",
     WIRE_PROCEED_THEN_PLAINTEXT,
     NO_FLAG,
     {0, 0, 0}},
    {"unverified-valid",
     "R",
     "answers <db:result/> with type='valid' at once, never sending <db:verify/> to the "
     "sender's authoritative server",
     WIRE_NONE,
     FLAG(valid_without_verify),
     {0, 0, 0}},
    {"utf7-declaration",
     "R, I",
     "the 39 bytes <?xml version=\"1.0\" encoding=\"UTF-7\"\\x1a?> as its stream header",
     WIRE_UTF7_DECLARATION,
     NO_FLAG,
     {0, 0, 0}},
    {"verify-unhosted-target",
     "R",
     "verifies a <db:result/> whose to it does not host (db:verify, then valid/invalid) "
     "instead of a dialback error <item-not-found/>",
     WIRE_NONE,
     FLAG(verify_unhosted_target),
     {0, 0, 0}},
    {"starttls-not-required",
     "R",
     "with TLS Required, offers <starttls/> without <required/> (and dialback) before TLS, and "
     "silently drops a plaintext <db:result/>",
     WIRE_NONE,
     FLAG(starttls_not_required),
     {0, 0, 0}},
    {"drop-unauthenticated-stanzas",
     "R",
     "drops a stanza sent before authentication, or from a domain not authenticated, "
     "silently instead of a stream error",
     WIRE_NONE,
     FLAG(drop_unauthenticated),
     {0, 0, 0}},
    {"stall-without-tls",
     "I",
     "with TLS Required and no STARTTLS offered, sends nothing more and keeps the "
     "connection instead of closing it",
     WIRE_NONE,
     FLAG(stall_without_tls),
     {0, 0, 0}},
    {"legacy-header",
     "I",
     "opens its streams with the pre-1.0 dialback header (no to, from or version; "
     "xmlns:db declared) and uses dialback only; only with TLS NotSupported (it gets no "
     "STARTTLS)",
     WIRE_NONE,
     FLAG(legacy_header),
     {0, 0, 0}},
    {"reuse-connection",
     "R, I",
     "keeps one connection per address: R: sends its <db:verify/> on an authenticated "
     "stream of its own to that address; I: multiplexes every domain there on it",
     WIRE_NONE,
     FLAG(reuse_connection),
     {0, 0, 0}},
    {"verify-after-own-route",
     "R",
     "to verify a key, first authenticates its own route to that domain with <db:result/> "
     "and sends the <db:verify/> on it once valid",
     WIRE_NONE,
     FLAG(verify_after_own_route),
     {0, 0, 0}},
};

int hostile_apply(const char *name, struct engine_misbehaviour *bad, struct net_pacing *pace,
                  char *err, size_t errlen)
{
        const struct hostile *h = NULL;
        size_t used = 0;

        for (size_t i = 0; i < ARRAY_LEN(table); i++) {
                if (strcmp(table[i].name, name) == 0)
                        h = &table[i];
        }
        if (h == NULL) {
                int k =
                    snprintf(err, errlen, "--misbehave: unknown behaviour '%s'; accepted:", name);

                for (size_t i = 0; k >= 0 && i < ARRAY_LEN(table); i++) {
                        used += (size_t)k;
                        if (used >= errlen)
                                break;
                        k = snprintf(err + used, errlen - used, "%s %s", i ? "," : "",
                                     table[i].name);
                }
                return -1;
        }
        if (h->wire != WIRE_NONE) {
                if (bad->wire != WIRE_NONE && bad->wire != h->wire) {
                        snprintf(err, errlen,
                                 "--misbehave: '%s' and an earlier behaviour both replace what "
                                 "the partner sends first; accepted: one of them",
                                 name);
                        return -1;
                }
                bad->wire = h->wire;
        }
        if (h->flag != NO_FLAG)
                misbehave_set_flag(bad, h->flag);
        if (h->pace.drip_ms > 0)
                pace->drip_ms = h->pace.drip_ms;
        if (h->pace.keepalive_ms > 0)
                pace->keepalive_ms = h->pace.keepalive_ms;
        return 0;
}

void hostile_print(FILE *f)
{
        for (size_t i = 0; i < ARRAY_LEN(table); i++)
                fprintf(f, "  %-24s [%s] %s\n", table[i].name, table[i].where, table[i].text);
}
