/* JID helpers (RFC 7622) for the few places that look inside addresses. */
#ifndef S2S_JID_H
#define S2S_JID_H

#include <stddef.h>

/* Writes the domainpart of jid (after '@', before '/') into out. Returns 0, or -1
 * when it does not fit or is empty. */
int jid_domain(const char *jid, char *out, size_t len);

#endif
