/* check-config as root: the configured helper, as an unprivileged account sees it. */
#ifndef PAR_EXEC_CHECK_H
#define PAR_EXEC_CHECK_H

/*
 * Forks, drops to nobody (uid 65534), checks that every folder on HELPER's
 * path is searchable and the file executable, and runs "HELPER --version".
 * Prints "helper HELPER: nobody (uid 65534) can execute it" and returns 0,
 * or prints one line on stderr saying what to change and returns 1.
 */
int par_check_helper_exec(const char *helper, const char *config_path);

#endif
