#include "settings.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const neg_names[] = {"Required", "Optional", "NotSupported"};
static const char *const neg_shorts[] = {"Req", "Opt", "NS"};

const char *neg_name(enum neg v)
{
        if ((unsigned)v > NEG_NOTSUPPORTED)
                return "?";
        return neg_names[v];
}

const char *neg_short(enum neg v)
{
        if ((unsigned)v > NEG_NOTSUPPORTED)
                return "?";
        return neg_shorts[v];
}

int neg_parse(const char *text, enum neg *out)
{
        char folded[32];
        size_t n = 0;

        if (text == NULL)
                return -1;
        for (const char *p = text; *p != '\0'; p++) {
                if (*p == ' ' || *p == '\t')
                        continue;
                if (n + 1 >= sizeof(folded))
                        return -1;
                folded[n++] = (char)tolower((unsigned char)*p);
        }
        folded[n] = '\0';
        for (int v = NEG_REQUIRED; v <= NEG_NOTSUPPORTED; v++) {
                char want[32];
                size_t i;

                for (i = 0; neg_names[v][i] != '\0'; i++)
                        want[i] = (char)tolower((unsigned char)neg_names[v][i]);
                want[i] = '\0';
                if (strcmp(folded, want) == 0) {
                        *out = (enum neg)v;
                        return 0;
                }
        }
        return -1;
}

/* Table B orders the rows SASL-major, then TLS, then dialback True before False. */
int settings_row(const struct neg_settings *s)
{
        return 1 + (int)s->sasl * 6 + (int)s->tls * 2 + (s->dialback ? 0 : 1);
}

int settings_from_row(int row, struct neg_settings *out)
{
        int i;

        if (row < 1 || row > SETTINGS_ROWS)
                return -1;
        i = row - 1;
        out->sasl = (enum neg)(i / 6);
        out->tls = (enum neg)((i % 6) / 2);
        out->dialback = (i % 2) == 0;
        return 0;
}

const char *settings_summary(const struct neg_settings *s, char *buf, size_t len)
{
        snprintf(buf, len, "%s/%s/%s", neg_short(s->tls), neg_short(s->sasl),
                 s->dialback ? "T" : "F");
        return buf;
}
