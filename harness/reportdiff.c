/* Baselines: the changes between two run reports (reportdiff.h). */
#include "reportdiff.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A verdict that makes `run` exit 1: the partner broke an expectation. */
static bool bad_verdict(const char *v)
{
        return v != NULL && (strcmp(v, "mismatch") == 0 || strcmp(v, "xpass") == 0);
}

/* A verdict on the partner that holds: it did what was expected. */
static bool good_verdict(const char *v)
{
        return v != NULL && (strcmp(v, "match") == 0 || strcmp(v, "xfail") == 0);
}

static const char *str(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static json_t *find_result(json_t *results, const char *id)
{
        size_t i;
        json_t *r;

        json_array_foreach(results, i, r)
        {
                const char *rid = str(r, "id");

                if (rid != NULL && strcmp(rid, id) == 0)
                        return r;
        }
        return NULL;
}

/*
 * A result's observed codes as an array (new reference): schema 2 writes an array,
 * schema 1 a "F3|F4" string or null, so that a schema 1 baseline compares with a
 * schema 2 report (docs/report-json.md).
 */
static json_t *observed_of(json_t *r)
{
        json_t *v = json_object_get(r, "observed"), *a;
        const char *p;

        if (json_is_array(v))
                return json_incref(v);
        a = json_array();
        for (p = json_string_value(v); p != NULL && *p != '\0';) {
                size_t n = strcspn(p, "|");

                if (n > 0)
                        json_array_append_new(a, json_stringn(p, n));
                p += n + (p[n] == '|');
        }
        return a;
}

/* "F3|F4", or "nothing" for an empty or absent array, into out. */
static const char *observed_text(json_t *a, char *out, size_t len)
{
        size_t i, at = 0;
        json_t *e;

        out[0] = '\0';
        json_array_foreach(a, i, e)
        {
                int n = snprintf(out + at, len - at, "%s%s", i ? "|" : "",
                                 json_is_string(e) ? json_string_value(e) : "?");

                if (n < 0 || (size_t)n >= len - at)
                        break;
                at += (size_t)n;
        }
        return at > 0 ? out : "nothing";
}

static json_t *change(const char *id, json_t *o, json_t *n)
{
        json_t *c = json_object();

        json_object_set_new(c, "id", json_string(id));
        json_object_set_new(c, "old_verdict",
                            o != NULL ? json_string(str(o, "verdict")) : json_pack("n"));
        json_object_set_new(c, "new_verdict",
                            n != NULL ? json_string(str(n, "verdict")) : json_pack("n"));
        json_object_set_new(c, "old_observed", o != NULL ? observed_of(o) : json_pack("n"));
        json_object_set_new(c, "new_observed", n != NULL ? observed_of(n) : json_pack("n"));
        json_object_set_new(c, "expected",
                            json_incref(json_object_get(n != NULL ? n : o, "expected")));
        return c;
}

/* The classification's state as a rank: a lower rank is worse (docs/cli.md "diff"). */
static int state_rank(const char *s)
{
        if (s == NULL)
                return 0;
        if (strcmp(s, "matches") == 0)
                return 3;
        if (strcmp(s, "class") == 0)
                return 2;
        if (strcmp(s, "undecided") == 0)
                return 1;
        return 0; /* none, nothing-observed */
}

static json_t *class_brief(json_t *rep)
{
        json_t *c = json_object_get(rep, "classification");

        return json_pack("{s:O?, s:O?, s:O?}", "state", json_object_get(c, "state"), "classes",
                         json_object_get(c, "classes"), "suggested_config",
                         json_object_get(c, "suggested_config"));
}

/* "matches [E4] M7" */
static void class_text(json_t *b, char *out, size_t len)
{
        char classes[64];
        size_t used = 0, i;
        json_t *v;

        classes[0] = '\0';
        json_array_foreach(json_object_get(b, "classes"), i, v)
        {
                if (json_is_string(v))
                        util_list_add(classes, sizeof(classes), &used, json_string_value(v));
        }
        util_format(out, len, "%s [%s]%s%s", str(b, "state") != NULL ? str(b, "state") : "-",
                    classes, str(b, "suggested_config") != NULL ? " " : "",
                    str(b, "suggested_config") != NULL ? str(b, "suggested_config") : "");
}

/* Keys of a domains entry that differ between any two runs. */
static bool ignored_key(const char *k)
{
        static const char *const keys[] = {"seconds", "started", "transcript", "stream_id", "port"};

        for (size_t i = 0; i < ARRAY_LEN(keys); i++)
                if (strcmp(k, keys[i]) == 0)
                        return true;
        return false;
}

static json_t *without_ignored(json_t *o)
{
        json_t *c = json_deep_copy(o);
        const char *k;
        json_t *v;
        void *tmp;

        if (json_is_object(c))
                json_object_foreach_safe(c, tmp, k, v) if (ignored_key(k)) json_object_del(c, k);
        return c;
}

/* Each object with a "domain" string in an array member of `domains`, keyed by domain and
 * direction: the per-domain entries, whatever the section calls its list. */
static json_t *domain_entries(json_t *rep)
{
        json_t *d = json_object_get(rep, "domains"), *out = json_object(), *arr, *e;
        const char *k;
        size_t i;

        json_object_foreach(d, k, arr)
        {
                if (!json_is_array(arr))
                        continue;
                json_array_foreach(arr, i, e)
                {
                        char key[600];

                        if (str(e, "domain") == NULL)
                                continue;
                        util_format(key, sizeof(key), "%s%s%s", str(e, "domain"),
                                    str(e, "direction") != NULL ? " " : "",
                                    str(e, "direction") != NULL ? str(e, "direction") : "");
                        json_object_set_new(out, key, without_ignored(e));
                }
        }
        return out;
}

/* Per domain, when both reports have a domains section: the entries that differ. */
static json_t *diff_domains(json_t *o, json_t *n)
{
        json_t *out = json_array(), *oe, *ne, *v;
        const char *k;

        if (json_object_get(o, "domains") == NULL || json_object_get(n, "domains") == NULL)
                return out;
        oe = domain_entries(o);
        ne = domain_entries(n);
        json_object_foreach(ne, k, v)
        {
                json_t *was = json_object_get(oe, k);

                if (was == NULL || !json_equal(was, v))
                        json_array_append_new(
                            out, json_pack("{s:s, s:O?, s:O}", "domain", k, "old", was, "new", v));
        }
        json_object_foreach(oe, k, v) if (json_object_get(ne, k) == NULL)
            json_array_append_new(out, json_pack("{s:s, s:O, s:n}", "domain", k, "old", v, "new"));
        if (json_array_size(out) == 0 &&
            !json_equal(json_object_get(o, "domains"), json_object_get(n, "domains"))) {
                json_t *os = json_object_get(json_object_get(o, "domains"), "summary");
                json_t *ns = json_object_get(json_object_get(n, "domains"), "summary");

                if (!json_equal(os, ns))
                        json_array_append_new(out, json_pack("{s:s, s:O?, s:O?}", "domain",
                                                             "summary", "old", os, "new", ns));
        }
        json_decref(oe);
        json_decref(ne);
        return out;
}

static json_t *compare(json_t *o, json_t *n, const char *old_label, const char *new_label,
                       struct reportdiff_sum *sum)
{
        json_t *ores = json_object_get(o, "results"), *nres = json_object_get(n, "results");
        json_t *reg = json_array(), *fix = json_array(), *verd = json_array(), *obs = json_array();
        json_t *add = json_array(), *rem = json_array(), *ob, *nb, *d, *r;
        size_t i;
        bool cls_changed, cls_worse;

        json_array_foreach(nres, i, r)
        {
                const char *id = str(r, "id"), *nv = str(r, "verdict"), *ov;
                json_t *was;

                if (id == NULL)
                        continue;
                was = find_result(ores, id);
                if (was == NULL) {
                        json_array_append_new(add, change(id, NULL, r));
                        if (bad_verdict(nv))
                                json_array_append_new(reg, change(id, NULL, r));
                        continue;
                }
                ov = str(was, "verdict");
                /* One line per scenario: a verdict change shows the observed codes too;
                 * "observed" lists those whose verdict stayed. */
                if (!bad_verdict(ov) && bad_verdict(nv))
                        json_array_append_new(reg, change(id, was, r));
                else if (bad_verdict(ov) && good_verdict(nv))
                        json_array_append_new(fix, change(id, was, r));
                else if ((ov == NULL) != (nv == NULL) || (ov != NULL && strcmp(ov, nv) != 0))
                        json_array_append_new(verd, change(id, was, r));
                else {
                        json_t *a = observed_of(was), *b = observed_of(r);

                        if (!json_equal(a, b))
                                json_array_append_new(obs, change(id, was, r));
                        json_decref(a);
                        json_decref(b);
                }
        }
        json_array_foreach(ores, i, r)
        {
                if (str(r, "id") != NULL && find_result(nres, str(r, "id")) == NULL)
                        json_array_append_new(rem, change(str(r, "id"), r, NULL));
        }
        ob = class_brief(o);
        nb = class_brief(n);
        cls_changed = !json_equal(ob, nb);
        cls_worse = state_rank(str(nb, "state")) < state_rank(str(ob, "state"));
        d = diff_domains(o, n);
        sum->regressions = json_array_size(reg);
        sum->fixed = json_array_size(fix);
        sum->verdicts = json_array_size(verd);
        sum->observed = json_array_size(obs);
        sum->added = json_array_size(add);
        sum->removed = json_array_size(rem);
        sum->domains = json_array_size(d);
        sum->classification_changed = cls_changed;
        sum->worse = sum->regressions > 0 || cls_worse;
        sum->changed = sum->worse || sum->fixed > 0 || sum->verdicts > 0 || sum->observed > 0 ||
                       sum->added > 0 || sum->removed > 0 || sum->domains > 0 || cls_changed;
        return json_pack("{s:i, s:s, s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o, "
                         "s:{s:b, s:b, s:o, s:o}, s:o}",
                         "schema", 2, "old", old_label, "new", new_label, "changed", sum->changed,
                         "worse", sum->worse, "regressions", reg, "fixed", fix, "verdicts", verd,
                         "observed", obs, "added", add, "removed", rem, "classification", "changed",
                         cls_changed, "worse", cls_worse, "old", ob, "new", nb, "domains", d);
}

static int text_changes(struct buf *b, json_t *arr, const char *label)
{
        size_t i;
        json_t *c;
        int rc = 0;

        json_array_foreach(arr, i, c)
        {
                const char *ov = str(c, "old_verdict"), *nv = str(c, "new_verdict");
                char was[64], now[64];

                rc |=
                    buf_printf(b, "  %-11s %s: %s -> %s (expected %s; observed %s -> %s)\n", label,
                               str(c, "id"), ov != NULL ? ov : "absent", nv != NULL ? nv : "absent",
                               str(c, "expected") != NULL ? str(c, "expected") : "-",
                               observed_text(json_object_get(c, "old_observed"), was, sizeof(was)),
                               observed_text(json_object_get(c, "new_observed"), now, sizeof(now)));
        }
        return rc;
}

static int text_form(json_t *d, const struct reportdiff_sum *s, struct buf *b)
{
        json_t *cls = json_object_get(d, "classification"), *e;
        char was[160], now[160];
        size_t i;
        int rc = 0;

        rc |= buf_printf(b, "s2scheck diff: %s -> %s\n", str(d, "old"), str(d, "new"));
        rc |= text_changes(b, json_object_get(d, "regressions"), "regression");
        rc |= text_changes(b, json_object_get(d, "fixed"), "fixed");
        rc |= text_changes(b, json_object_get(d, "verdicts"), "verdict");
        rc |= text_changes(b, json_object_get(d, "observed"), "observed");
        rc |= text_changes(b, json_object_get(d, "added"), "added");
        rc |= text_changes(b, json_object_get(d, "removed"), "removed");
        if (s->classification_changed) {
                class_text(json_object_get(cls, "old"), was, sizeof(was));
                class_text(json_object_get(cls, "new"), now, sizeof(now));
                rc |= buf_printf(b, "  %-11s %s -> %s%s\n", "class", was, now,
                                 json_is_true(json_object_get(cls, "worse")) ? " (worse)" : "");
        }
        json_array_foreach(json_object_get(d, "domains"), i, e)
        {
                rc |= buf_printf(b, "  %-11s %s: %s\n", "domain", str(e, "domain"),
                                 json_object_get(e, "old") == NULL ||
                                         json_is_null(json_object_get(e, "old"))
                                     ? "added"
                                 : json_is_null(json_object_get(e, "new")) ? "removed"
                                                                           : "changed");
        }
        if (!s->changed)
                rc |= buf_printf(b, "no change\n");
        else
                rc |= buf_printf(
                    b,
                    "%zu regression%s, %zu fixed, %zu other verdict change%s, "
                    "%zu observed change%s, %zu added, %zu removed, classification "
                    "%s, %zu domain change%s%s\n",
                    s->regressions, s->regressions == 1 ? "" : "s", s->fixed, s->verdicts,
                    s->verdicts == 1 ? "" : "s", s->observed, s->observed == 1 ? "" : "s", s->added,
                    s->removed, s->classification_changed ? "changed" : "unchanged", s->domains,
                    s->domains == 1 ? "" : "s", s->worse ? ": worse than the baseline" : "");
        return rc != 0 ? -1 : 0;
}

/* A parsed run report, or NULL with err. */
static json_t *load(const char *path, const struct buf *text, char *err, size_t errlen)
{
        json_error_t je;
        json_t *j =
            text != NULL ? json_loadb(text->data, text->len, 0, &je) : json_load_file(path, 0, &je);

        if (j == NULL) {
                if (je.line > 0)
                        util_format(err, errlen, "%s:%d: %s", path, je.line, je.text);
                else
                        util_format(err, errlen, "%s: %s", path, je.text);
                return NULL;
        }
        if (!json_is_array(json_object_get(j, "results")) ||
            !json_is_object(json_object_get(j, "classification"))) {
                util_format(err, errlen,
                            "%s: not a run report (no \"results\" array or \"classification\"); "
                            "accepted: the JSON of run --json",
                            path);
                json_decref(j);
                return NULL;
        }
        return j;
}

int reportdiff(const char *old_path, const char *new_path, const struct buf *new_text, bool json,
               struct buf *out, struct reportdiff_sum *sum, char *err, size_t errlen)
{
        json_t *o, *n = NULL, *d = NULL;
        int rc = -1;

        memset(sum, 0, sizeof(*sum));
        o = load(old_path, NULL, err, errlen);
        if (o == NULL)
                return -1;
        n = load(new_path, new_text, err, errlen);
        if (n == NULL)
                goto done;
        d = compare(o, n, old_path, new_path, sum);
        if (d == NULL) {
                util_format(err, errlen, "out of memory");
                goto done;
        }
        if (json) {
                char *s = json_dumps(d, JSON_INDENT(1) | JSON_PRESERVE_ORDER);

                rc = s != NULL && buf_puts(out, s) == 0 && buf_puts(out, "\n") == 0 ? 0 : -1;
                free(s);
        } else {
                rc = text_form(d, sum, out);
        }
        if (rc != 0)
                util_format(err, errlen, "out of memory");
done:
        json_decref(o);
        json_decref(n);
        json_decref(d);
        return rc;
}

int reportdiff_check(const char *path, char *err, size_t errlen)
{
        json_t *j = load(path, NULL, err, errlen);

        json_decref(j);
        return j != NULL ? 0 : -1;
}
