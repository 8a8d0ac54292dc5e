/* Fleets: the shard hash, --shard parsing, and loading every partner of a file. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fleet.h"
#include "partner.h"

Test(fleet, domain_hash_is_fnv1a_32)
{
        /* FNV-1a test vectors (draft-eastlake-fnv, 32 bit): the shard of a domain must
         * not change between versions, or a CI matrix would move partners around. */
        cr_assert_eq(fleet_domain_hash(""), 0x811c9dc5u);
        cr_assert_eq(fleet_domain_hash("a"), 0xe40c292cu);
        cr_assert_eq(fleet_domain_hash("foobar"), 0xbf9cf968u);
}

Test(fleet, shard_parse)
{
        unsigned k = 0, n = 0;

        cr_assert_eq(fleet_parse_shard("2/3", &k, &n), 0);
        cr_assert_eq(k, 2);
        cr_assert_eq(n, 3);
        cr_assert_eq(fleet_parse_shard("1/1", &k, &n), 0);
        cr_assert_eq(fleet_parse_shard("4/3", &k, &n), -1);
        cr_assert_eq(fleet_parse_shard("0/3", &k, &n), -1);
        cr_assert_eq(fleet_parse_shard("1/0", &k, &n), -1);
        cr_assert_eq(fleet_parse_shard("3", &k, &n), -1);
        cr_assert_eq(fleet_parse_shard("1/1001", &k, &n), -1);
        cr_assert_eq(fleet_parse_shard("a/3", &k, &n), -1);
}

static void expect_multi(const char *file)
{
        struct partner_list l;
        char err[512];

        cr_assert_eq(partner_load_all(file, &l, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(l.n, 3);
        cr_assert_str_eq(l.p[0].primary, "alpha.test");
        cr_assert_str_eq(l.p[1].primary, "partner.test");
        cr_assert_str_eq(l.p[2].primary, "beta.test");
        cr_assert_eq(l.p[2].n_additional, 1);
        cr_assert_str_eq(l.p[2].additional[0], "corp.beta.test");
        cr_assert_str_eq(l.p[1].source, file);
        partner_list_cleanup(&l);
        cr_assert_eq(l.n, 0);
        cr_assert_null(l.p);
}

Test(fleet, load_all_text_and_xml)
{
        expect_multi(S2S_FIXTURE_DIR "/partners/multi.txt");
        expect_multi(S2S_FIXTURE_DIR "/partners/multi.xml");
}

Test(fleet, load_all_refuses_a_partner_twice)
{
        char path[] = "/tmp/test_fleet_XXXXXX", err[512];
        struct partner_list l;
        FILE *f;
        int fd = mkstemp(path);

        cr_assert_geq(fd, 0);
        f = fdopen(fd, "w");
        cr_assert_not_null(f);
        fputs("Identity : a.test\nTlsNegotiation : Required\n\nIdentity : A.test\n", f);
        fclose(f);
        cr_assert_eq(partner_load_all(path, &l, err, sizeof(err)), -1);
        cr_assert_null(l.p);
        cr_assert(strstr(err, "each partner once per file") != NULL, "%s", err);
        remove(path);
}

Test(fleet, load_all_single_partner)
{
        struct partner_list l;
        char err[512];

        cr_assert_eq(partner_load_all(S2S_FIXTURE_DIR "/partners/m07.txt", &l, err, sizeof(err)), 0,
                     "%s", err);
        cr_assert_eq(l.n, 1);
        partner_list_cleanup(&l);
}
