/*
 * Quirks of a partner (docs/scenarios.md, "Quirks of a partner"): an overlay
 * file, urn:s2scheck:quirks:1, that marks scenarios of the suite as known
 * deviations of one partner without copying their files. Each <quirk
 * scenario="ID" reason="..."/> gives that scenario an xfail: a mismatch is
 * reported as xfail, a match as xpass (the quirk is gone).
 */
#ifndef S2S_QUIRKS_H
#define S2S_QUIRKS_H

#include <stddef.h>

#include "scenario.h"
#include "settings.h"

#define QUIRKS_FILE_MAX (256 * 1024)

/*
 * Loads file (strictly: size bound, no DTD, the built-in schema) and applies
 * it to every scenario of suite, selected or not. A quirk applies when partner
 * (the partner configuration of the run, borrowed) meets its partner-tls,
 * partner-sasl and partner-dialback conditions; with partner NULL (`list`)
 * every quirk applies. Each quirk's scenario must be in the suite (checked for
 * every quirk), and an applied quirk's scenario must not be marked by another
 * applied quirk (of any file) nor carry an <xfail> of its own (two reasons for
 * one deviation hide one of them). Returns 0, or -1 with the suite unchanged
 * and one line in err, "FILE:LINE: FIELD: what; accepted: what would do".
 */
int quirks_apply(struct scenario_suite *suite, const char *file, const struct neg_settings *partner,
                 char *err, size_t errlen);

#endif
