#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "domain.h"

struct good_case {
        const char *in;
        const char *norm;
};

struct bad_case {
        const char *in;
        const char *why; /* a substring of the message */
};

/* 63 and 64 octet labels, 253 and 254 octet names. */
#define L63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define L64 L63 "b"
#define N253                                                                                       \
        L63 "." L63 "." L63 "."                                                                    \
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define N254 N253 "a"

static const struct good_case good[] = {
    {"partner.test", "partner.test"},
    {"Partner.TEST", "partner.test"},
    {"partner.test.", "partner.test"},
    {"a", "a"},
    {"localhost", "localhost"},
    {"a-b.c-d.example", "a-b.c-d.example"},
    {"0day.example", "0day.example"},
    {"x1.example", "x1.example"},
    {L63 ".example", L63 ".example"},
    {N253, N253},
    {N253 ".", N253},
    {"xn--bcher-kva.example", "xn--bcher-kva.example"},
    {"XN--BCHER-KVA.Example", "xn--bcher-kva.example"},
    {"corp.xn--bcher-kva.example.", "corp.xn--bcher-kva.example"},
    {"xn--zca.de", "xn--zca.de"},
};

static const struct bad_case bad[] = {
    {"", "the name is empty"},
    {".", "only the root"},
    {"partner..test", "empty label"},
    {".partner.test", "empty label"},
    {"partner.test..", "empty label"},
    {"-partner.test", "label \"-partner\" starts with a hyphen"},
    {"partner-.test", "label \"partner-\" ends with a hyphen"},
    {"partner.test-", "ends with a hyphen"},
    {L64 ".example", "is 64 octets long; accepted: 1 to 63 octets"},
    {N254, "is 254 octets long; accepted: at most 253 octets"},
    {N254 ".", "is 255 octets long"},
    {"part_ner.test", "character '_' in label \"part_ner\""},
    {"partner test", "space character 0x20"},
    {"partner.test/x", "character '/'"},
    {"user@partner.test", "character '@'"},
    {"ab--cd.example", "not an xn-- A-label"},
    {"xn--abc.example", "label \"xn--abc\" is not a valid A-label"},
    {"xn--zz-zzzz.example", "is not a valid A-label"},
    {"xn--.example", "ends with a hyphen"},
    {"192.0.2.1", "all digits"},
    {"bücher.example", "use the A-label form xn--bcher-kva.example"},
    {"BÜCHER.example", "use the A-label form xn--bcher-kva.example"},
    {"straße.de", "use the A-label form xn--strae-oqa.de"},
    {"\xff\xfe.example", "not a valid internationalised name"},
};

/*
 * criterion runs each parameter in a freshly exec'd worker (toolchain.md §3.1), where
 * pointers into the parent's tables are not valid under ASLR: pass indexes instead.
 */
static size_t good_idx[sizeof(good) / sizeof(good[0])];
static size_t bad_idx[sizeof(bad) / sizeof(bad[0])];

ParameterizedTestParameters(domain, good)
{
        for (size_t i = 0; i < sizeof(good_idx) / sizeof(good_idx[0]); i++)
                good_idx[i] = i;
        return cr_make_param_array(size_t, good_idx, sizeof(good_idx) / sizeof(good_idx[0]));
}

ParameterizedTest(size_t *i, domain, good)
{
        const struct good_case *c = &good[*i];
        char norm[DOMAIN_MAX_LEN + 1], why[512] = "";

        cr_assert_eq(domain_check(c->in, norm, sizeof(norm), why, sizeof(why)), 0, "%s refused: %s",
                     c->in, why);
        cr_assert_str_eq(norm, c->norm);
}

ParameterizedTestParameters(domain, bad)
{
        for (size_t i = 0; i < sizeof(bad_idx) / sizeof(bad_idx[0]); i++)
                bad_idx[i] = i;
        return cr_make_param_array(size_t, bad_idx, sizeof(bad_idx) / sizeof(bad_idx[0]));
}

ParameterizedTest(size_t *i, domain, bad)
{
        const struct bad_case *c = &bad[*i];
        char norm[DOMAIN_MAX_LEN + 1] = "untouched", why[512] = "";

        cr_assert_eq(domain_check(c->in, norm, sizeof(norm), why, sizeof(why)), -1, "%s accepted",
                     c->in);
        cr_assert(strstr(why, c->why) != NULL, "%s: got \"%s\", want \"%s\"", c->in, why, c->why);
        cr_assert(strstr(why, "; accepted: ") != NULL, "no accepted part: %s", why);
        cr_assert_str_eq(norm, "untouched", "norm written on failure");
}

Test(domain, null_and_optional_outputs)
{
        char why[128];

        cr_assert_eq(domain_check(NULL, NULL, 0, why, sizeof(why)), -1);
        cr_assert(strstr(why, "empty") != NULL);
        /* norm and why may be NULL. */
        cr_assert_eq(domain_check("partner.test", NULL, 0, NULL, 0), 0);
        cr_assert_eq(domain_check("-x.test", NULL, 0, NULL, 0), -1);
}

Test(domain, norm_too_small)
{
        char norm[4], why[128];

        cr_assert_eq(domain_check("partner.test", norm, sizeof(norm), why, sizeof(why)), -1);
}

Test(domain, huge_input_bounded)
{
        static char big[5000];

        memset(big, 'a', sizeof(big) - 1);
        char why[256];
        cr_assert_eq(domain_check(big, NULL, 0, why, sizeof(why)), -1);
        cr_assert(strstr(why, "octets long") != NULL, "%s", why);
}
