/*
 * The scenario loader (harness/scenario.c) on one arbitrary scenario file: the file
 * is the only *.xml of a folder that scenario_load_dir reads. A loaded suite is also
 * run through scenario_select with one --only and one --skip pattern.
 */
#include "fuzz.h"
#include "scenario.h"

static const char *scenario_path;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        scenario_path = fuzz_tmpfile("fuzz.xml");
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const only[] = {"inbound"};
        static const char *const skip[] = {"tls"};
        struct scenario_suite suite;
        char err[512];

        fuzz_write_file(scenario_path, data, size);
        memset(&suite, 0, sizeof(suite));
        if (scenario_load_dir(fuzz_dir, &suite, err, sizeof(err)) != 0) {
                FUZZ_ASSERT(err[0] != '\0' && suite.n == 0);
                return 0;
        }
        FUZZ_ASSERT(suite.n == 1);
        (void)scenario_select(&suite, NULL, 0, NULL, 0, err, sizeof(err));
        (void)scenario_select(&suite, only, 1, skip, 1, err, sizeof(err));
        scenario_suite_cleanup(&suite);
        return 0;
}
