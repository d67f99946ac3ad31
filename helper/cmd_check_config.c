/* pam-assume-role check-config: validates the system config like visudo -c. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "exec_check.h"

static void print_error(void *ctx, const char *line)
{
    fprintf((FILE *)ctx, "%s\n", line);
}

static int usage(void)
{
    fprintf(stderr, "usage: pam-assume-role check-config [-c FILE | FILE] "
            "[--insecure-any-owner] [--no-helper-check]\n");
    return 2;
}

/* As root: the helper the module would run, as an unprivileged account sees it. */
static int check_helper(const char *path, unsigned flags)
{
    struct par_config cfg;
    char err[PAR_CONFIG_ERR_MAX];
    int rc;

    if (par_config_load(path, flags, &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    rc = par_check_helper_exec(cfg.helper != NULL ? cfg.helper : PAR_HELPER_PATH, path);
    par_config_free(&cfg);
    return rc;
}

int par_cmd_check_config(int argc, char **argv)
{
    const char *path = NULL;
    unsigned flags = 0;
    bool helper_check = geteuid() == 0;
    int errors;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--insecure-any-owner") == 0) {
            /* For trying a copy of the file as a normal user; the module never skips it. */
            flags |= PAR_CONFIG_INSECURE_ANY_OWNER;
        } else if (strcmp(argv[i], "--no-helper-check") == 0) {
            helper_check = false;  /* a config checked before the helper is in place */
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
    if (helper_check && check_helper(path, flags) != 0)
        return 1;
    return fflush(stdout) == 0 ? 0 : 1;
}
