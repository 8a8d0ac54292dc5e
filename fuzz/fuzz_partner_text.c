/* The partner loader on Get-CsXmppAllowedPartner text; see fuzz_partner.h. */
#include "fuzz_partner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        return fuzz_partner(data, size, 0);
}
