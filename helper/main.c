/*
 * pam-assume-role: the helper the PAM module runs (pam-open) and
 * the person's command (assume, status, refresh, env, exec, console,
 * credential-process, sweep, check-config).
 */
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "commands.h"
#include "tls_env.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
};

static const struct command commands[] = {
    { "assume", par_cmd_assume,
      "assume [-c CONFIG] [--format env|credentials|json] ENV...   get credentials now" },
    { "status", par_cmd_status, "status [--json]                 what this session holds" },
    { "refresh", par_cmd_refresh,
      "refresh [--default ENV] [ENV...]   new code, new credentials, merged into the session" },
    { "env", par_cmd_env,
      "env [--from-hook] [--or-default] [ENV]   export lines for eval" },
    { "exec", par_cmd_exec, "exec ENV -- CMD...              run CMD with ENV's credentials" },
    { "console", par_cmd_console,
      "console [ENV] [--destination URL] [--duration S] [--stdout]   AWS console sign-in link" },
    { "credential-process", par_cmd_credential_process,
      "credential-process [--session DIR] ENV   AWS credential_process JSON" },
    { "sweep", par_cmd_sweep,
      "sweep [-c CONFIG]               remove folders of ended logins (root: everyone's)" },
    { "store-key", par_cmd_store_key,
      "store-key [--profile NAME] [--login-password] [--keep-plaintext|--remove-plaintext]\n"
      "                  | --check | --rekey   the long-term key, encrypted in ~/.pam_assume_role" },
    { "check-config", par_cmd_check_config, "check-config [FILE]             validate the config" },
    { "pam-open", par_cmd_pam_open, NULL },
    { "pam-rekey", par_cmd_pam_rekey, NULL },
};

static int usage(FILE *out)
{
    fprintf(out, "usage: pam-assume-role COMMAND [ARGS]\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (commands[i].usage != NULL)
            fprintf(out, "  pam-assume-role %s\n", commands[i].usage);
    fprintf(out, "See pam-assume-role(1).\n");
    return out == stdout ? 0 : 2;
}

/*
 * No core dumps, no ptrace by other processes of the same user, and every
 * freed heap block overwritten by glibc: copies of secrets that libcurl,
 * OpenSSL or expat make in their own buffers do not outlive them.
 */
static void harden(void)
{
    struct rlimit none = { 0, 0 };

    mallopt(M_PERTURB, 0xa5);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    setrlimit(RLIMIT_CORE, &none);
    umask(077);
    par_tls_env_put_aside();
}

int main(int argc, char **argv)
{
    harden();
    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return usage(stdout);
    if (strcmp(argv[1], "--version") == 0) {
        printf("pam-assume-role %s\n", PAR_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "pam-assume-role: unknown command '%s'; run 'pam-assume-role --help'\n",
            argv[1]);
    return 2;
}
