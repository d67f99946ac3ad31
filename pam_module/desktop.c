/*
 * Which logins keep the keys out of their PAM environment. A desktop copies
 * its whole environment into the D-Bus activation environment and the
 * person's systemd --user manager (Debian's Xsession runs
 * dbus-update-activation-environment --systemd --all), where every service
 * started later inherits it and it outlives the login. Those logins get the
 * session folder's path and the AWS files in it instead: shells load the
 * keys from the folder through the profile hook, the CLI and the SDKs read
 * AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, and the folder's removal at
 * logout takes the keys away from all of them. A root or target-account
 * session of the person (su, sudo, "never") gets neither: the files are the
 * person's to write, and root's shells ask the helper, which checks what it
 * prints.
 */
#include <stdio.h>
#include <string.h>
#include <security/pam_ext.h>

#include "module.h"
#include "valid.h"

static const char *const par_aws_file_vars[][2] = {
    { "AWS_CONFIG_FILE", "config" },
    { "AWS_SHARED_CREDENTIALS_FILE", "credentials" },
};

bool par_login_is_graphical(pam_handle_t *pamh, const struct par_config *cfg)
{
    const char *type = pam_getenv(pamh, "XDG_SESSION_TYPE");

    if (par_item_str(pamh, PAM_XDISPLAY)[0] != '\0' || par_item_str(pamh, PAM_TTY)[0] == ':')
        return true;
    if (type != NULL && (strcmp(type, "x11") == 0 || strcmp(type, "wayland") == 0 ||
                         strcmp(type, "mir") == 0))
        return true;
    return par_config_lists(cfg->graphical_services, cfg->n_graphical_services,
                            par_item_str(pamh, PAM_SERVICE));
}

bool par_keys_in_environment(pam_handle_t *pamh, const struct par_config *cfg)
{
    switch (cfg->secrets_in_environment) {
    case PAR_SECRETS_ALWAYS:
        return true;
    case PAR_SECRETS_NEVER:
        return false;
    case PAR_SECRETS_AUTO:
    default:
        return !par_login_is_graphical(pamh, cfg);
    }
}

int par_export_aws_files(pam_handle_t *pamh, const struct par_person *p, const char *dir)
{
    char path[PAR_MAX_PATH + 64];
    int rc = PAM_SUCCESS;

    if (!par_session_is_persons(pamh, p))
        return PAM_SUCCESS;
    for (size_t i = 0; rc == PAM_SUCCESS && i < sizeof(par_aws_file_vars) /
                                                sizeof(par_aws_file_vars[0]); i++) {
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, par_aws_file_vars[i][1]) >=
            sizeof(path))
            return PAM_BUF_ERR;
        rc = par_put_var(pamh, par_aws_file_vars[i][0], path);
    }
    return rc;
}

void par_drop_aws_files(pam_handle_t *pamh)
{
    for (size_t i = 0; i < sizeof(par_aws_file_vars) / sizeof(par_aws_file_vars[0]); i++)
        par_unsetenv(pamh, par_aws_file_vars[i][0]);
}
