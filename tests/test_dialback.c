#include <criterion/criterion.h>
#include <string.h>

#include "dialback.h"

/* The three published vectors (XEP-0185 §2 and XEP-0220 examples; reference §2.7 DB-8). */
static const struct {
        const char *secret, *receiving, *originating, *sid, *key;
} vectors[] = {
    {"s3cr3tf0rd14lb4ck", "xmpp.example.com", "example.org", "D60000229F",
     "37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643"},
    {"s3cr3tf0rd14lb4ck", "montague.example", "capulet.example", "D60000229F",
     "b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3"},
    {"d14lb4ck43v3r", "capulet.example", "montague.example", "417GAF25",
     "225cc5aa6a071133249d25fef42ae516fc7a86c523aa1c6980a7f73e784c972d"},
};

Test(dialback, published_vectors)
{
        for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
                char key[DIALBACK_KEY_LEN + 1];

                cr_assert_eq(dialback_key(vectors[i].secret, vectors[i].receiving,
                                          vectors[i].originating, vectors[i].sid, key),
                             0);
                cr_assert_str_eq(key, vectors[i].key, "vector %zu", i);
        }
}

Test(dialback, key_depends_on_every_input)
{
        char base[DIALBACK_KEY_LEN + 1], other[DIALBACK_KEY_LEN + 1];

        cr_assert_eq(dialback_key("s", "a.test", "b.test", "id1", base), 0);
        cr_assert_eq(dialback_key("t", "a.test", "b.test", "id1", other), 0);
        cr_assert_str_neq(base, other);
        cr_assert_eq(dialback_key("s", "b.test", "a.test", "id1", other), 0);
        cr_assert_str_neq(base, other);
        cr_assert_eq(dialback_key("s", "a.test", "b.test", "id2", other), 0);
        cr_assert_str_neq(base, other);
}

Test(dialback, refuses_null_and_overlong)
{
        char key[DIALBACK_KEY_LEN + 1], big[2000];

        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        cr_assert_eq(dialback_key(NULL, "a", "b", "c", key), -1);
        cr_assert_eq(dialback_key("s", big, "b", "c", key), -1);
}

Test(dialback, compare_and_secret)
{
        char s1[DIALBACK_KEY_LEN + 1], s2[DIALBACK_KEY_LEN + 1];

        cr_assert(dialback_key_equal("abc", "abc"));
        cr_assert_not(dialback_key_equal("abc", "abd"));
        cr_assert_not(dialback_key_equal("abc", "abcd"));
        /* Every octet counts, not only the last (bench/mutants.sh D1). */
        cr_assert_not(dialback_key_equal("xbc", "abc"));
        cr_assert_not(dialback_key_equal("axc", "abc"));
        cr_assert_eq(dialback_new_secret(s1), 0);
        cr_assert_eq(dialback_new_secret(s2), 0);
        cr_assert_eq(strlen(s1), DIALBACK_KEY_LEN);
        cr_assert_str_neq(s1, s2);
}
