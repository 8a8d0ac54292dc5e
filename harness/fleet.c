/*
 * Fleets: every partner of a file, each run by a child process (docs/fleet.md).
 *
 * Why child processes and not one event loop: a runner (runner.c) owns process-wide
 * state (its signal flag, its listeners and DNS zone, the run-time PKI), so several
 * in one loop would need that state split first; a child per partner reuses `run`
 * exactly as an operator types it, and a partner that crashes or hangs its run takes
 * only its own line of the roll-up with it. The parent only spawns, waits (bounded:
 * sigtimedwait at most 1 s at a time, each child stopped after child_bound_s) and
 * reads each child's report.json back with jansson.
 */
#include "fleet.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libxml/xmlwriter.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "oracle.h"
#include "report.h"
#include "settings.h"
#include "util.h"

extern char **environ;

uint32_t fleet_domain_hash(const char *domain)
{
        uint32_t h = 2166136261u;

        for (const unsigned char *s = (const unsigned char *)domain; *s != '\0'; s++) {
                h ^= *s;
                h *= 16777619u;
        }
        return h;
}

int fleet_parse_shard(const char *text, unsigned *k, unsigned *n)
{
        const char *slash = strchr(text, '/');
        char left[16];
        long kv, nv;

        if (slash == NULL || (size_t)(slash - text) >= sizeof(left))
                return -1;
        memcpy(left, text, (size_t)(slash - text));
        left[slash - text] = '\0';
        if (cli_number(left, 1, FLEET_SHARDS_MAX, &kv) != 0 ||
            cli_number(slash + 1, 1, FLEET_SHARDS_MAX, &nv) != 0 || kv > nv)
                return -1;
        *k = (unsigned)kv;
        *n = (unsigned)nv;
        return 0;
}

static double now_real(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_mono(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int make_dir(const char *path)
{
        if (mkdir(path, 0755) == 0 || errno == EEXIST)
                return 0;
        return -1;
}

/* ---- one partner's line ---------------------------------------------------------- */

/* An exit code's weight in the fleet's exit: 3 > 1 > 0, an invalid configuration (2)
 * weighs as a mismatch (docs/cli.md "Fleets"). */
static int exit_rank(int rc)
{
        return rc == EXIT_UNTESTABLE ? 2 : rc == EXIT_MATCH ? 0 : 1;
}

static int fleet_exit(json_t *partners)
{
        size_t i;
        json_t *e;
        int worst = 0;

        json_array_foreach(partners, i, e)
        {
                int r = exit_rank((int)json_integer_value(json_object_get(e, "exit")));

                if (r > worst)
                        worst = r;
        }
        return worst == 2 ? EXIT_UNTESTABLE : worst == 1 ? EXIT_MISMATCH : EXIT_MATCH;
}

/* A new line: the fields every partner has, before it ran. */
static json_t *entry_new(const struct partner *p, size_t index)
{
        char row[8];

        util_format(row, sizeof(row), "M%d", settings_row(&p->neg));
        return json_pack("{s:I, s:s, s:s, s:b, s:n, s:n, s:n, s:n, s:i, s:n, s:s}", "index",
                         (json_int_t)index + 1, "domain", p->primary, "configured_row", row,
                         "valid", oracle_valid(&p->neg) ? 1 : 0, "observed_class", "classification",
                         "domains", "cmdlet", "exit", EXIT_UNTESTABLE, "reason", "folder",
                         p->primary);
}

static void set_string(json_t *e, const char *key, const char *v)
{
        json_object_set_new(e, key, v != NULL ? json_string(v) : json_null());
}

/* "E4", "E1|E3", "none", "-": the class the report's classification observed. */
static void observed_class(json_t *rep, char *out, size_t len)
{
        json_t *c = json_object_get(rep, "classification");
        const char *state = json_string_value(json_object_get(c, "state"));
        json_t *classes = json_object_get(c, "classes"), *v;
        size_t used = 0, i;

        out[0] = '\0';
        if (state == NULL || strcmp(state, "nothing-observed") == 0) {
                util_format(out, len, "-");
                return;
        }
        if (strcmp(state, "none") == 0) {
                util_format(out, len, "none");
                return;
        }
        if (strcmp(state, "matches") == 0) {
                const char *own =
                    json_string_value(json_object_get(json_object_get(rep, "partner"), "class"));

                util_format(out, len, "%s", own != NULL ? own : "-");
                return;
        }
        json_array_foreach(classes, i, v)
        {
                const char *s = json_string_value(v);

                if (s != NULL)
                        util_list_add(out, len, &used, s);
        }
        for (char *s = out; *s != '\0'; s++)
                if (*s == ',')
                        *s = '|';
        if (out[0] == '\0')
                util_format(out, len, "-");
}

/* The domains verdict of the report, when it has a `domains` section (issue 13 item 1):
 * its `summary` string, or the section itself when it is a string; NULL otherwise. */
static const char *domains_verdict(json_t *rep)
{
        json_t *d = json_object_get(rep, "domains");

        if (json_is_string(d))
                return json_string_value(d);
        return json_string_value(json_object_get(d, "summary"));
}

/* Fills e from the child's report.json and its exit code (or why it has none). */
static void entry_from_report(json_t *e, const char *dir, int rc, const char *failure)
{
        char path[4200], cls[64], reason[256];
        json_error_t jerr;
        json_t *rep, *sum;
        long long mism, errs;

        json_object_set_new(e, "exit", json_integer(rc));
        if (failure != NULL) {
                set_string(e, "reason", failure);
                return;
        }
        util_format(path, sizeof(path), "%s/report.json", dir);
        rep = json_load_file(path, 0, &jerr);
        if (rep == NULL) {
                json_object_set_new(e, "exit", json_integer(EXIT_UNTESTABLE));
                util_format(reason, sizeof(reason),
                            "the run (exit %d) left no readable report.json (%s): see stderr.txt",
                            rc, jerr.text);
                set_string(e, "reason", reason);
                return;
        }
        observed_class(rep, cls, sizeof(cls));
        set_string(e, "observed_class", cls);
        set_string(
            e, "classification",
            json_string_value(json_object_get(json_object_get(rep, "classification"), "state")));
        set_string(e, "domains", domains_verdict(rep));
        set_string(e, "cmdlet",
                   json_string_value(
                       json_object_get(json_object_get(rep, "classification"), "suggested")));
        sum = json_object_get(rep, "summary");
        mism = json_integer_value(json_object_get(sum, "mismatch")) +
               json_integer_value(json_object_get(sum, "xpass"));
        errs = json_integer_value(json_object_get(sum, "error"));
        if (rc == EXIT_MISMATCH)
                util_format(reason, sizeof(reason), "%lld mismatch%s, %lld error%s", mism,
                            mism == 1 ? "" : "es", errs, errs == 1 ? "" : "s");
        else if (rc == EXIT_UNTESTABLE)
                util_format(reason, sizeof(reason), "could not test: %lld error%s (see report.txt)",
                            errs, errs == 1 ? "" : "s");
        else if (rc != EXIT_MATCH)
                util_format(reason, sizeof(reason), "the run ended with exit %d: see stderr.txt",
                            rc);
        else
                reason[0] = '\0';
        set_string(e, "reason", reason[0] != '\0' ? reason : NULL);
        json_decref(rep);
}

/* ---- the roll-up ----------------------------------------------------------------- */

static const char *str_or_dash(json_t *e, const char *key)
{
        const char *s = json_string_value(json_object_get(e, key));

        return s != NULL ? s : "-";
}

static int rollup_text(json_t *roll, struct buf *b)
{
        json_t *partners = json_object_get(roll, "partners"), *e;
        size_t i;
        int rc = 0;

        rc |= buf_printf(b, "s2scheck fleet: %zu partner%s of %s%s%s\n", json_array_size(partners),
                         json_array_size(partners) == 1 ? "" : "s", str_or_dash(roll, "source"),
                         json_is_string(json_object_get(roll, "shard")) ? ", shard " : "",
                         json_is_string(json_object_get(roll, "shard"))
                             ? json_string_value(json_object_get(roll, "shard"))
                             : "");
        rc |= buf_printf(b, "%-32s %-5s %-9s %-24s %-4s %s\n", "DOMAIN", "ROW", "CLASS", "DOMAINS",
                         "EXIT", "CMDLET / REASON");
        json_array_foreach(partners, i, e)
        {
                const char *cmd = json_string_value(json_object_get(e, "cmdlet"));
                const char *why = json_string_value(json_object_get(e, "reason"));

                rc |= buf_printf(b, "%-32s %-5s %-9s %-24s %-4lld %s%s%s\n",
                                 str_or_dash(e, "domain"), str_or_dash(e, "configured_row"),
                                 str_or_dash(e, "observed_class"), str_or_dash(e, "domains"),
                                 (long long)json_integer_value(json_object_get(e, "exit")),
                                 cmd != NULL ? cmd : "", cmd != NULL && why != NULL ? " / " : "",
                                 why != NULL ? why : (cmd == NULL ? "-" : ""));
        }
        rc |= buf_printf(b, "exit %lld\n",
                         (long long)json_integer_value(json_object_get(roll, "exit")));
        return rc != 0 ? -1 : 0;
}

static int x_attr(xmlTextWriterPtr w, const char *name, const char *value)
{
        return xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST(value != NULL ? value : "")) <
                       0
                   ? -1
                   : 0;
}

static int x_prop(xmlTextWriterPtr w, const char *name, const char *value)
{
        if (xmlTextWriterStartElement(w, BAD_CAST "property") < 0 || x_attr(w, "name", name) < 0 ||
            x_attr(w, "value", value) < 0 || xmlTextWriterEndElement(w) < 0)
                return -1;
        return 0;
}

/* One testsuite per partner, one testcase ("run") in it: failure for exit 1 and 2,
 * error for exit 3 (docs/report-junit.md "Roll-up"). */
static int junit_partner(xmlTextWriterPtr w, json_t *e)
{
        char num[32];
        long long rc = json_integer_value(json_object_get(e, "exit"));
        const char *why = json_string_value(json_object_get(e, "reason"));
        double secs = json_number_value(json_object_get(e, "seconds"));
        const char *props[] = {"configured_row", "observed_class", "classification",
                               "domains",        "cmdlet",         "folder"};

        if (xmlTextWriterStartElement(w, BAD_CAST "testsuite") < 0 ||
            x_attr(w, "name", str_or_dash(e, "domain")) < 0 || x_attr(w, "tests", "1") < 0 ||
            x_attr(w, "failures", rc == 1 || rc == 2 ? "1" : "0") < 0 ||
            x_attr(w, "errors", rc == 3 ? "1" : "0") < 0 || x_attr(w, "skipped", "0") < 0)
                return -1;
        util_format(num, sizeof(num), "%.3f", secs);
        if (x_attr(w, "time", num) < 0 || xmlTextWriterStartElement(w, BAD_CAST "properties") < 0)
                return -1;
        for (size_t i = 0; i < ARRAY_LEN(props); i++)
                if (x_prop(w, props[i], str_or_dash(e, props[i])) < 0)
                        return -1;
        util_format(num, sizeof(num), "%lld", rc);
        if (x_prop(w, "exit", num) < 0 || xmlTextWriterEndElement(w) < 0 ||
            xmlTextWriterStartElement(w, BAD_CAST "testcase") < 0 ||
            x_attr(w, "classname", "s2scheck.fleet") < 0 ||
            x_attr(w, "name", str_or_dash(e, "domain")) < 0)
                return -1;
        util_format(num, sizeof(num), "%.3f", secs);
        if (x_attr(w, "time", num) < 0)
                return -1;
        if (rc != 0) {
                char msg[512];

                util_format(msg, sizeof(msg), "%s: %s",
                            rc == 2   ? "invalid configuration"
                            : rc == 1 ? "mismatch"
                                      : "could not test",
                            why != NULL ? why : "-");
                if (xmlTextWriterStartElement(w, BAD_CAST(rc == 3 ? "error" : "failure")) < 0 ||
                    x_attr(w, "message", msg) < 0 ||
                    x_attr(w, "type",
                           rc == 2   ? "invalid-configuration"
                           : rc == 1 ? "mismatch"
                                     : "untestable") < 0 ||
                    xmlTextWriterEndElement(w) < 0)
                        return -1;
        }
        return xmlTextWriterEndElement(w) < 0 || xmlTextWriterEndElement(w) < 0 ? -1 : 0;
}

static int rollup_junit(json_t *roll, struct buf *b)
{
        json_t *partners = json_object_get(roll, "partners"), *e;
        xmlBufferPtr xb = xmlBufferCreate();
        xmlTextWriterPtr w = xb != NULL ? xmlNewTextWriterMemory(xb, 0) : NULL;
        size_t i, fails = 0, errs = 0;
        double secs = 0;
        char num[32];
        int rc = -1;

        if (w == NULL)
                goto done;
        json_array_foreach(partners, i, e)
        {
                long long x = json_integer_value(json_object_get(e, "exit"));

                fails += x == 1 || x == 2;
                errs += x == 3;
                secs += json_number_value(json_object_get(e, "seconds"));
        }
        xmlTextWriterSetIndent(w, 1);
        if (xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0 ||
            xmlTextWriterStartElement(w, BAD_CAST "testsuites") < 0 ||
            x_attr(w, "name", "s2scheck fleet") < 0)
                goto done;
        util_format(num, sizeof(num), "%zu", json_array_size(partners));
        if (x_attr(w, "tests", num) < 0)
                goto done;
        util_format(num, sizeof(num), "%zu", fails);
        if (x_attr(w, "failures", num) < 0)
                goto done;
        util_format(num, sizeof(num), "%zu", errs);
        if (x_attr(w, "errors", num) < 0)
                goto done;
        /* No skipped here: junit-10.xsd has no testsuites@skipped (docs/report-junit.md). */
        util_format(num, sizeof(num), "%.3f", secs > 0 ? secs : 0.0);
        if (x_attr(w, "time", num) < 0)
                goto done;
        json_array_foreach(partners, i, e) if (junit_partner(w, e) < 0) goto done;
        if (xmlTextWriterEndDocument(w) < 0)
                goto done;
        xmlFreeTextWriter(w);
        w = NULL;
        rc = buf_append(b, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
done:
        if (w != NULL)
                xmlFreeTextWriter(w);
        if (xb != NULL)
                xmlBufferFree(xb);
        return rc;
}

/* Fills the summary and exit of roll, then writes rollup.{txt,json,xml} into dir and
 * rollup.txt to stdout. Returns the fleet's exit code, or EXIT_UNTESTABLE. */
static int rollup_write(json_t *roll, const char *dir, const char *cmd)
{
        json_t *partners = json_object_get(roll, "partners"), *e;
        long long n_exit[4] = {0, 0, 0, 0};
        size_t i;
        int fexit = fleet_exit(partners), rc = fexit;
        char path[4200], err[512];
        struct buf b;
        char *js;

        json_array_foreach(partners, i, e)
        {
                long long x = json_integer_value(json_object_get(e, "exit"));

                if (x >= 0 && x <= 3)
                        n_exit[x]++;
        }
        json_object_set_new(
            roll, "summary",
            json_pack("{s:I, s:I, s:I, s:I, s:I}", "total", (json_int_t)json_array_size(partners),
                      "match", (json_int_t)n_exit[0], "mismatch", (json_int_t)n_exit[1], "invalid",
                      (json_int_t)n_exit[2], "untestable", (json_int_t)n_exit[3]));
        json_object_set_new(roll, "exit", json_integer(fexit));
        buf_init(&b, 0);
        js = json_dumps(roll, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        util_format(path, sizeof(path), "%s/rollup.json", dir);
        if (js == NULL || buf_puts(&b, js) != 0 || buf_puts(&b, "\n") != 0 ||
            report_write_atomic(path, &b, err, sizeof(err)) != 0)
                goto fail;
        buf_reset(&b);
        util_format(path, sizeof(path), "%s/rollup.xml", dir);
        if (rollup_junit(roll, &b) != 0 || report_write_atomic(path, &b, err, sizeof(err)) != 0)
                goto fail;
        buf_reset(&b);
        util_format(path, sizeof(path), "%s/rollup.txt", dir);
        if (rollup_text(roll, &b) != 0 || report_write_atomic(path, &b, err, sizeof(err)) != 0)
                goto fail;
        if (fwrite(b.data, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
                rc = EXIT_UNTESTABLE;
        goto done;
fail:
        fprintf(stderr, "s2scheck %s: cannot write the roll-up: %s\n", cmd,
                err[0] != '\0' ? err : "out of memory");
        rc = EXIT_UNTESTABLE;
done:
        free(js);
        buf_cleanup(&b);
        return rc;
}

/* ---- running the fleet --------------------------------------------------------------- */

struct child {
        pid_t pid;
        json_t *entry; /* borrowed from the roll-up */
        char dir[4096];
        double t0, deadline;
        int stops; /* 0, 1 after SIGTERM, 2 after SIGKILL */
};

/* The child's argv: `run`, the fleet's options, the partner's own, then its outputs. */
static char **child_argv(const struct fleet_options *o, const struct partner *p, const char *dir,
                         unsigned jobs, char *tmp, size_t tmplen)
{
        size_t n = 0, max = o->child_argc + o->n_per_partner + 16, plen = strlen(p->primary);
        char **av = calloc(max, sizeof(*av));
        size_t used = 0;

        if (av == NULL)
                return NULL;
                /* tmp holds the strings built here, NUL-separated. */
#define ADD_TMP(...)                                                                               \
        do {                                                                                       \
                int k_ = snprintf(tmp + used, tmplen - used, __VA_ARGS__);                         \
                if (k_ < 0 || (size_t)k_ >= tmplen - used) {                                       \
                        free(av);                                                                  \
                        return NULL;                                                               \
                }                                                                                  \
                av[n++] = tmp + used;                                                              \
                used += (size_t)k_ + 1;                                                            \
        } while (0)
        ADD_TMP("s2scheck");
        ADD_TMP("run");
        for (size_t i = 0; i < o->child_argc; i++)
                av[n++] = (char *)o->child_argv[i];
        for (size_t i = 0; i < o->n_per_partner; i++) {
                const char *s = o->per_partner[i];

                if (strncasecmp(s, p->primary, plen) == 0 && s[plen] == ':')
                        av[n++] = (char *)s + plen + 1;
        }
        ADD_TMP("--identity=%s", p->primary);
        ADD_TMP("--jobs=%u", jobs);
        ADD_TMP("--json=%s/report.json", dir);
        ADD_TMP("--junit=%s/report.xml", dir);
        ADD_TMP("--html=%s/report.html", dir);
        ADD_TMP("--transcripts=%s/transcripts", dir);
#undef ADD_TMP
        av[n] = NULL;
        return av;
}

static int spawn_child(const struct fleet_options *o, const struct partner *p, struct child *c,
                       unsigned jobs, const sigset_t *mask)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        sigset_t none, dflt;
        char out[4200], errp[4200], tmp[16384], trans[4200];
        char **av;
        int rc;

        util_format(trans, sizeof(trans), "%s/transcripts", c->dir);
        if (make_dir(c->dir) != 0 || make_dir(trans) != 0)
                return -1;
        av = child_argv(o, p, c->dir, jobs, tmp, sizeof(tmp));
        if (av == NULL)
                return -1;
        util_format(out, sizeof(out), "%s/report.txt", c->dir);
        util_format(errp, sizeof(errp), "%s/stderr.txt", c->dir);
        sigemptyset(&none);
        dflt = *mask;
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&at);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out, O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, errp, O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        posix_spawnattr_setsigmask(&at, &none);
        posix_spawnattr_setsigdefault(&at, &dflt);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        rc = posix_spawn(&c->pid, "/proc/self/exe", &fa, &at, av, environ);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&at);
        free(av);
        return rc == 0 ? 0 : -1;
}

static void child_done(struct child *c, int status)
{
        char why[160];
        double secs = now_mono() - c->t0;

        json_object_set_new(c->entry, "ended", json_real(now_real()));
        json_object_set_new(c->entry, "seconds", json_real(secs));
        if (WIFEXITED(status)) {
                entry_from_report(c->entry, c->dir, WEXITSTATUS(status), NULL);
                return;
        }
        util_format(why, sizeof(why), "the run was ended by signal %d%s: see stderr.txt",
                    WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                    c->stops > 0 ? " after its time bound" : "");
        entry_from_report(c->entry, c->dir, EXIT_UNTESTABLE, why);
}

int fleet_run(const struct fleet_options *o)
{
        json_t *roll = NULL, *partners;
        struct child *kids = NULL;
        size_t *todo = NULL, n_todo = 0, next = 0, running = 0, width;
        unsigned jobs = o->jobs > 0 ? o->jobs : FLEET_JOBS_DEFAULT, per_child;
        sigset_t mask, old;
        bool interrupted = false;
        char shard[32];
        int rc = EXIT_UNTESTABLE;

        if (make_dir(o->out_dir) != 0) {
                fprintf(stderr, "s2scheck run: --out %s: cannot make the folder: %s\n", o->out_dir,
                        strerror(errno));
                return EXIT_USAGE;
        }
        if (o->shard_n > 0)
                util_format(shard, sizeof(shard), "%u/%u", o->shard_k, o->shard_n);
        roll = json_pack("{s:i, s:s, s:s, s:I, s:o}", "schema", 1, "tool", "s2scheck " S2S_VERSION,
                         "source", o->partner_file, "partners_in_file", (json_int_t)o->list->n,
                         "shard", o->shard_n > 0 ? json_string(shard) : json_null());
        partners = json_array();
        todo = calloc(o->list->n + 1, sizeof(*todo));
        kids = calloc(o->list->n + 1, sizeof(*kids));
        if (roll == NULL || partners == NULL || todo == NULL || kids == NULL) {
                json_decref(partners);
                goto oom;
        }
        json_object_set_new(roll, "partners", partners);
        for (size_t i = 0; i < o->list->n; i++) {
                const struct partner *p = &o->list->p[i];
                json_t *e;

                if (o->shard_n > 0 && fleet_domain_hash(p->primary) % o->shard_n != o->shard_k - 1)
                        continue;
                e = entry_new(p, i);
                if (e == NULL || json_array_append_new(partners, e) != 0)
                        goto oom;
                if (!oracle_valid(&p->neg)) {
                        const char *rule, *fix;
                        char why[512];

                        oracle_invalid_reason(&p->neg, &rule, &fix);
                        util_format(why, sizeof(why), "%s; fix: %s", rule, fix);
                        json_object_set_new(e, "exit", json_integer(EXIT_USAGE));
                        set_string(e, "reason", why);
                        set_string(e, "folder", NULL); /* it does not run: no reports */
                        continue;
                }
                kids[n_todo].entry = e;
                todo[n_todo++] = i;
        }
        /* --jobs bounds the scenarios in flight over the fleet: up to that many partners
         * at once, the jobs shared among them (each partner's own --partner-connections
         * cap still holds: partners share none). */
        width = n_todo < jobs ? n_todo : jobs;
        per_child = width > 0 ? jobs / (unsigned)width : 1;
        if (per_child > FLEET_CHILD_JOBS_MAX)
                per_child = FLEET_CHILD_JOBS_MAX; /* run --jobs takes at most that */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, &old);
        while (next < n_todo || running > 0) {
                struct timespec ts = {1, 0};
                siginfo_t si;
                int sig, status;
                pid_t pid;
                double now;

                while (!interrupted && running < width && next < n_todo) {
                        struct child *c = &kids[next];
                        const struct partner *p = &o->list->p[todo[next]];

                        util_format(c->dir, sizeof(c->dir), "%s/%s", o->out_dir, p->primary);
                        json_object_set_new(c->entry, "started", json_real(now_real()));
                        c->t0 = now_mono();
                        c->deadline = c->t0 + o->child_bound_s;
                        next++;
                        if (spawn_child(o, p, c, per_child, &mask) != 0) {
                                char why[300];

                                util_format(why, sizeof(why), "could not start the run: %s",
                                            strerror(errno));
                                c->pid = 0;
                                entry_from_report(c->entry, c->dir, EXIT_UNTESTABLE, why);
                                continue;
                        }
                        running++;
                }
                if (interrupted && next < n_todo) {
                        for (; next < n_todo; next++)
                                entry_from_report(kids[next].entry, "", EXIT_UNTESTABLE,
                                                  "not run: the fleet was interrupted");
                }
                if (running == 0)
                        continue;
                sig = sigtimedwait(&mask, &si, &ts);
                if (sig == SIGINT || sig == SIGTERM) {
                        interrupted = true;
                        for (size_t i = 0; i < next; i++)
                                if (kids[i].pid > 0)
                                        kill(kids[i].pid, SIGTERM);
                }
                while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                        for (size_t i = 0; i < next; i++) {
                                if (kids[i].pid == pid) {
                                        child_done(&kids[i], status);
                                        kids[i].pid = 0;
                                        running--;
                                }
                        }
                }
                now = now_mono();
                for (size_t i = 0; i < next; i++) {
                        struct child *c = &kids[i];

                        if (c->pid > 0 && c->stops == 0 && now > c->deadline) {
                                kill(c->pid, SIGTERM);
                                c->stops = 1;
                        } else if (c->pid > 0 && c->stops == 1 && now > c->deadline + 10) {
                                kill(c->pid, SIGKILL);
                                c->stops = 2;
                        }
                }
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        rc = rollup_write(roll, o->out_dir, "run");
        if (interrupted && rc == EXIT_MATCH)
                rc = EXIT_UNTESTABLE;
        goto done;
oom:
        fprintf(stderr, "s2scheck run: out of memory\n");
done:
        json_decref(roll);
        free(todo);
        free(kids);
        return rc;
}

/* ---- merge ------------------------------------------------------------------------- */

static int cmp_index(const void *a, const void *b)
{
        json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "index"));
        json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "index"));

        return x < y ? -1 : x > y;
}

int fleet_merge(const char *const *dirs, size_t n_dirs, const char *out_dir)
{
        json_t **shards = calloc(n_dirs + 1, sizeof(*shards)), *roll = NULL, *all = NULL;
        json_t **items = NULL;
        unsigned n_shards = 0, k, n;
        unsigned char *seen = NULL;
        size_t n_items = 0;
        const char *source = NULL;
        int rc = EXIT_USAGE;

        if (shards == NULL)
                goto oom;
        for (size_t i = 0; i < n_dirs; i++) {
                char path[4200];
                json_error_t jerr;
                const char *sh, *src;

                util_format(path, sizeof(path), "%s/rollup.json", dirs[i]);
                shards[i] = json_load_file(path, 0, &jerr);
                if (shards[i] == NULL) {
                        fprintf(stderr, "s2scheck merge: %s: %s\n", path, jerr.text);
                        goto done;
                }
                sh = json_string_value(json_object_get(shards[i], "shard"));
                src = json_string_value(json_object_get(shards[i], "source"));
                if (sh == NULL || fleet_parse_shard(sh, &k, &n) != 0) {
                        fprintf(stderr,
                                "s2scheck merge: %s is not the roll-up of a shard (no \"shard\": "
                                "K/N); accepted: the --out folders of run --all --shard K/N\n",
                                path);
                        goto done;
                }
                if (i == 0) {
                        n_shards = n;
                        source = src;
                        seen = calloc(n + 1, 1);
                        if (seen == NULL)
                                goto oom;
                } else if (n != n_shards || src == NULL || source == NULL ||
                           strcmp(src, source) != 0 ||
                           !json_equal(json_object_get(shards[i], "partners_in_file"),
                                       json_object_get(shards[0], "partners_in_file"))) {
                        fprintf(stderr,
                                "s2scheck merge: %s is shard %s of another fleet (%s, %u shards) "
                                "than %s/rollup.json (%s, %u shards)\n",
                                path, sh, src != NULL ? src : "-", n, dirs[0],
                                source != NULL ? source : "-", n_shards);
                        goto done;
                }
                if (seen[k]) {
                        fprintf(stderr, "s2scheck merge: shard %u/%u is given twice (%s)\n", k, n,
                                dirs[i]);
                        goto done;
                }
                seen[k] = 1;
                n_items += json_array_size(json_object_get(shards[i], "partners"));
        }
        for (unsigned s = 1; s <= n_shards; s++) {
                if (!seen[s]) {
                        fprintf(stderr,
                                "s2scheck merge: shard %u/%u is missing; accepted: the --out "
                                "folders of all %u shards\n",
                                s, n_shards, n_shards);
                        goto done;
                }
        }
        items = calloc(n_items + 1, sizeof(*items));
        all = json_array();
        roll = json_pack("{s:i, s:s, s:s, s:O, s:n}", "schema", 1, "tool", "s2scheck " S2S_VERSION,
                         "source", source, "partners_in_file",
                         json_object_get(shards[0], "partners_in_file"), "shard");
        if (items == NULL || all == NULL || roll == NULL)
                goto oom;
        n_items = 0;
        for (size_t i = 0; i < n_dirs; i++) {
                json_t *e;
                size_t j;

                json_array_foreach(json_object_get(shards[i], "partners"), j, e) items[n_items++] =
                    e;
        }
        qsort(items, n_items, sizeof(*items), cmp_index);
        for (size_t i = 0; i < n_items; i++)
                if (json_array_append(all, items[i]) != 0)
                        goto oom;
        json_object_set(roll, "partners", all);
        if (make_dir(out_dir) != 0) {
                fprintf(stderr, "s2scheck merge: --out %s: cannot make the folder: %s\n", out_dir,
                        strerror(errno));
                goto done;
        }
        rc = rollup_write(roll, out_dir, "merge");
        goto done;
oom:
        fprintf(stderr, "s2scheck merge: out of memory\n");
        rc = EXIT_UNTESTABLE;
done:
        for (size_t i = 0; shards != NULL && i < n_dirs; i++)
                json_decref(shards[i]);
        free(shards);
        free(items);
        free(seen);
        json_decref(all);
        json_decref(roll);
        return rc;
}
