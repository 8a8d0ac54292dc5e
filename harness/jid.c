#include "jid.h"

#include <string.h>

int jid_domain(const char *jid, char *out, size_t len)
{
        const char *at, *start, *slash;
        size_t n;

        if (jid == NULL || len == 0)
                return -1;
        /* RFC 7622 §3.1: the domainpart ends at the first '/', the localpart at '@'. */
        slash = strchr(jid, '/');
        at = strchr(jid, '@');
        if (at != NULL && slash != NULL && at > slash)
                at = NULL; /* an '@' inside the resourcepart */
        start = at != NULL ? at + 1 : jid;
        n = slash != NULL ? (size_t)(slash - start) : strlen(start);
        if (n == 0 || n >= len)
                return -1;
        memcpy(out, start, n);
        out[n] = '\0';
        return 0;
}
