/* pam-assume-role check-config: validates the system config like visudo -c. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"

static void print_error(void *ctx, const char *line)
{
    fprintf((FILE *)ctx, "%s\n", line);
}

static int usage(void)
{
    fprintf(stderr, "usage: pam-assume-role check-config [-c FILE | FILE] "
            "[--insecure-any-owner]\n");
    return 2;
}

int par_cmd_check_config(int argc, char **argv)
{
    const char *path = NULL;
    unsigned flags = 0;
    int errors;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--insecure-any-owner") == 0) {
            /* For trying a copy of the file as a normal user; the module never skips it. */
            flags |= PAR_CONFIG_INSECURE_ANY_OWNER;
        } else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc && path == NULL) {
            path = argv[++i];
        } else if (argv[i][0] != '-' && path == NULL) {
            path = argv[i];
        } else {
            return usage();
        }
    }
    if (path == NULL)
        path = PAR_CONFIG_PATH;
    errors = par_config_check_all(path, flags, print_error, stderr);
    if (errors > 0)
        return 1;
    printf("%s: parsed OK\n", path);
    return fflush(stdout) == 0 ? 0 : 1;
}
