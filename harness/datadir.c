#include "datadir.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef S2S_DATA_DIR
#define S2S_DATA_DIR "."
#endif

static char dir[PATH_MAX];
static char scen[PATH_MAX + 16];

static bool is_dir(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* PREFIX/share/s2scheck when /proc/self/exe is PREFIX/bin/NAME and it holds scenarios/. */
static bool installed_dir(char *out, size_t len)
{
        char exe[PATH_MAX], probe[PATH_MAX + 32];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        char *slash;

        if (n <= 0)
                return false;
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash == NULL)
                return false;
        *slash = '\0'; /* PREFIX/bin */
        slash = strrchr(exe, '/');
        if (slash == NULL || strcmp(slash, "/bin") != 0)
                return false;
        *slash = '\0'; /* PREFIX */
        if ((size_t)snprintf(probe, sizeof(probe), "%s/share/s2scheck/scenarios", exe) >=
            sizeof(probe))
                return false;
        if (!is_dir(probe))
                return false;
        return (size_t)snprintf(out, len, "%s/share/s2scheck", exe) < len;
}

const char *data_dir(void)
{
        if (dir[0] == '\0' && !installed_dir(dir, sizeof(dir)))
                snprintf(dir, sizeof(dir), "%s", S2S_DATA_DIR);
        return dir;
}

const char *data_scenarios_dir(void)
{
        if (scen[0] == '\0')
                snprintf(scen, sizeof(scen), "%s/scenarios", data_dir());
        return scen;
}
