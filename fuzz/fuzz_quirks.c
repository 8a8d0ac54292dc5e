/*
 * The quirks loader (harness/quirks.c) on an arbitrary quirks file, applied to the
 * default suite (scenarios/, loaded once). Byte 0 picks the partner settings the
 * quirks' conditions are tested against (0: none, as `list` does; else reference rows
 * 1-18); the rest is the file. After each input the xfail marks a quirk set are
 * removed again, so every input sees the suite as loaded.
 */
#include "fuzz.h"
#include "quirks.h"
#include "scenario.h"
#include "settings.h"

static const char *quirks_path;
static struct scenario_suite suite;

static void free_suite(void)
{
        scenario_suite_cleanup(&suite);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        char err[512];

        (void)argc;
        (void)argv;
        quirks_path = fuzz_tmpfile("quirks.xml");
        if (scenario_load_dir(SCENARIO_DEFAULT_DIR, &suite, err, sizeof(err)) != 0)
                fprintf(stderr, "%s\n", err);
        FUZZ_SETUP(suite.n > 0, "the default suite");
        atexit(free_suite);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct neg_settings partner;
        const struct neg_settings *p = NULL;
        char err[512];
        int row;

        if (size < 1)
                return 0;
        row = data[0] % (SETTINGS_ROWS + 1);
        if (row > 0) {
                FUZZ_SETUP(settings_from_row(row, &partner) == 0, "settings_from_row");
                p = &partner;
        }
        fuzz_write_file(quirks_path, data + 1, size - 1);
        if (quirks_apply(&suite, quirks_path, p, err, sizeof(err)) != 0) {
                FUZZ_ASSERT(err[0] != '\0');
                return 0;
        }
        for (size_t i = 0; i < suite.n; i++) {
                struct scenario *s = &suite.items[i];

                if (s->quirk_at == NULL)
                        continue;
                FUZZ_ASSERT(s->xfail != NULL);
                free(s->xfail);
                free(s->quirk_at);
                s->xfail = NULL;
                s->quirk_at = NULL;
        }
        return 0;
}
