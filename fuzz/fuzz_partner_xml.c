/* The partner loader on XML files (urn:s2scheck:partner:1); see fuzz_partner.h. */
#include "fuzz_partner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        return fuzz_partner(data, size, 1);
}
