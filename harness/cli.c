#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static cli_describe_fn describe_fn;
static void *describe_ctx;

void cli_describe_begin(cli_describe_fn fn, void *ctx)
{
        describe_fn = fn;
        describe_ctx = ctx;
}

void cli_describe_end(void)
{
        describe_fn = NULL;
        describe_ctx = NULL;
}

bool cli_describing(void)
{
        return describe_fn != NULL;
}

static const struct cli_opt *find_opt(const struct cli_opt *opts, size_t nopts, const char *word,
                                      size_t namelen)
{
        for (size_t i = 0; i < nopts; i++) {
                if (strlen(opts[i].name) == namelen && strncmp(opts[i].name, word, namelen) == 0)
                        return &opts[i];
        }
        return NULL;
}

static int store(const struct cli_opt *o, const char *value, char *err, size_t errlen)
{
        if (o->list != NULL) {
                if (*o->list_len >= o->list_cap) {
                        snprintf(err, errlen, "too many %s options (at most %zu)", o->name,
                                 o->list_cap);
                        return -1;
                }
                o->list[(*o->list_len)++] = value;
                return 0;
        }
        *o->value = value;
        return 0;
}

/* "unknown option '--partnr'; did you mean --partner?" (edit distance <= 2). */
static void unknown_option(const char *w, size_t len, const struct cli_opt *opts, size_t nopts,
                           char *err, size_t errlen)
{
        const char *names[64], *best = NULL;
        char word[64];
        size_t n = 0;

        for (size_t i = 0; i < nopts && n < ARRAY_LEN(names); i++)
                if (opts[i].name != NULL)
                        names[n++] = opts[i].name;
        if (len < sizeof(word)) {
                memcpy(word, w, len);
                word[len] = '\0';
                best = util_closest(word, names, n, 2);
        }
        if (best != NULL)
                snprintf(err, errlen, "unknown option '%.*s'; did you mean %s?", (int)len, w, best);
        else
                snprintf(err, errlen, "unknown option '%.*s'", (int)len, w);
}

int cli_parse(int argc, char **argv, const struct cli_opt *opts, size_t nopts, const char **pos,
              size_t max_pos, size_t *npos, char *err, size_t errlen)
{
        bool only_pos = false;

        *npos = 0;
        if (describe_fn != NULL) {
                describe_fn(opts, nopts, max_pos, describe_ctx);
                snprintf(err, errlen, "(described)");
                return -1;
        }
        for (int i = 0; i < argc; i++) {
                const char *w = argv[i];
                const struct cli_opt *o;
                const char *eq;

                if (!only_pos && strcmp(w, "--") == 0) {
                        only_pos = true;
                        continue;
                }
                if (only_pos || w[0] != '-' || w[1] == '\0') {
                        if (*npos >= max_pos) {
                                snprintf(err, errlen, "unexpected argument '%s'", w);
                                return -1;
                        }
                        pos[(*npos)++] = w;
                        continue;
                }
                eq = strchr(w, '=');
                o = find_opt(opts, nopts, w, eq != NULL ? (size_t)(eq - w) : strlen(w));
                if (o == NULL) {
                        unknown_option(w, eq != NULL ? (size_t)(eq - w) : strlen(w), opts, nopts,
                                       err, errlen);
                        return -1;
                }
                if (o->metavar == NULL) {
                        if (eq != NULL) {
                                snprintf(err, errlen, "option %s takes no value", o->name);
                                return -1;
                        }
                        *o->flag = true;
                        continue;
                }
                if (eq != NULL) {
                        if (store(o, eq + 1, err, errlen) != 0)
                                return -1;
                        continue;
                }
                if (i + 1 >= argc) {
                        snprintf(err, errlen, "option %s needs a value (%s)", o->name, o->metavar);
                        return -1;
                }
                if (store(o, argv[++i], err, errlen) != 0)
                        return -1;
        }
        return 0;
}

int cli_number(const char *text, long min, long max, long *out)
{
        char *end = NULL;
        long v;

        if (text == NULL || *text == '\0')
                return -1;
        errno = 0;
        v = strtol(text, &end, 10);
        if (errno != 0 || end == text || *end != '\0' || v < min || v > max)
                return -1;
        *out = v;
        return 0;
}
