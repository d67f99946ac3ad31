/*
 * The user command's subcommands. Each takes the arguments after the
 * program name (argv[0] is the subcommand's own name) and returns the exit
 * status.
 */
#ifndef PAR_COMMANDS_H
#define PAR_COMMANDS_H

/*
 * pam-assume-role check-config [-c FILE | FILE] [--insecure-any-owner]
 *                              [--no-helper-check]
 * Prints "FILE: parsed OK" (exit 0), or every error, one line each, on
 * stderr (exit 1). Usage errors exit 2. FILE defaults to PAR_CONFIG_PATH.
 * As root, unless --no-helper-check, also checks that nobody can execute
 * the configured helper (exec_check.h).
 */
int par_cmd_check_config(int argc, char **argv);

/* pam-assume-role assume [-c CONFIG] [--format env|credentials|json] ENV... */
int par_cmd_assume(int argc, char **argv);
/* The PAM module's session open: request on stdin, report on stdout (protocol.h). */
int par_cmd_pam_open(int argc, char **argv);
/* The PAM module's password change: old/new on stdin, result on stdout (cmd_rekey.c). */
int par_cmd_pam_rekey(int argc, char **argv);
/* pam-assume-role credential-process [--session DIR] ENV */
int par_cmd_credential_process(int argc, char **argv);
/* pam-assume-role sweep [-c CONFIG]: removes folders of ended logins. */
int par_cmd_sweep(int argc, char **argv);
/* Life inside a session. */
int par_cmd_status(int argc, char **argv);
int par_cmd_refresh(int argc, char **argv);
int par_cmd_env(int argc, char **argv);
int par_cmd_exec(int argc, char **argv);
/* pam-assume-role console [ENV] [--destination URL] [--duration S] [--stdout] */
int par_cmd_console(int argc, char **argv);

/* pam-assume-role store-key [--profile NAME] [--login-password]
 *     [--keep-plaintext|--remove-plaintext] | --check | --rekey */
int par_cmd_store_key(int argc, char **argv);

#endif
