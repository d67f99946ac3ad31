/*
 * The two secrets that cross from the auth phase to the session: the MFA
 * code and the key store's passphrase. Each is kept in pam_set_data, which
 * no program hands to a command. Only sshd needs the PAM environment: it
 * runs keyboard-interactive auth in a separate process and carries only the
 * PAM environment back. There pam_sm_setcred (which sshd, in its monitor,
 * calls right before pam_open_session) moves the secret into pam_set_data,
 * so it is gone from the environment before anything copies it. Every path
 * without a session ends in pam_end, whose cleanup wipes it.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <security/pam_ext.h>

#include "module.h"
#include "valid.h"
#include "wipe.h"

/* A passphrase holding a line break cannot go on the pipe (protocol.h). */
static bool keypass_fits(const char *pass)
{
    return strpbrk(pass, "\r\n") == NULL;
}

const struct par_secret par_code_secret = {
    "pam_assume_role_code", PAR_CODE_VAR, "MFA code", par_valid_mfa_code,
};
const struct par_secret par_keypass_secret = {
    "pam_assume_role_keypass", PAR_KEYPASS_VAR, "key passphrase", keypass_fits,
};

static void wipe_data(pam_handle_t *pamh, void *data, int status)
{
    (void)pamh;
    (void)status;
    par_free_secret(data);
}

/* What auth (or setcred) kept in pam_set_data, or NULL. */
static const char *kept(pam_handle_t *pamh, const struct par_secret *s)
{
    const void *data = NULL;

    return pam_get_data(pamh, s->data_key, &data) == PAM_SUCCESS ? data : NULL;
}

void par_secret_forget(pam_handle_t *pamh, const struct par_secret *s)
{
    par_unsetenv(pamh, s->env_var);
    if (kept(pamh, s) != NULL)
        (void)pam_set_data(pamh, s->data_key, NULL, NULL);  /* the cleanup wipes it */
}

static int keep_data(pam_handle_t *pamh, const struct par_secret *s, const char *value)
{
    char *copy = strdup(value);
    int rc;

    if (copy == NULL)
        return PAM_BUF_ERR;
    rc = pam_set_data(pamh, s->data_key, copy, wipe_data);
    if (rc != PAM_SUCCESS)
        par_free_secret(copy);
    return rc;
}

int par_secret_keep(pam_handle_t *pamh, const struct par_secret *s, const char *value)
{
    par_secret_forget(pamh, s);
    return par_service_is_sshd(pamh) ? par_put_var(pamh, s->env_var, value)
                                     : keep_data(pamh, s, value);
}

/*
 * The PAM environment carries a secret only under sshd; anywhere else a
 * value there was planted (pam_env's user_readenv, a login with no auth
 * round) and is never taken (hold and take remove it).
 */
static const char *from_env(pam_handle_t *pamh, const struct par_secret *s)
{
    return par_service_is_sshd(pamh) ? pam_getenv(pamh, s->env_var) : NULL;
}

void par_secret_hold(pam_handle_t *pamh, const struct par_secret *s)
{
    const char *value = from_env(pamh, s);
    char *copy;

    if (value == NULL || kept(pamh, s) != NULL || !s->valid(value)) {
        par_unsetenv(pamh, s->env_var);  /* what auth kept stays */
        return;
    }
    copy = strdup(value);
    par_unsetenv(pamh, s->env_var);
    if (copy == NULL || keep_data(pamh, s, copy) != PAM_SUCCESS)
        pam_syslog(pamh, LOG_ERR, "cannot keep the %s until the session opens (out of "
                   "memory); this login gets no AWS credentials", s->what);
    par_free_secret(copy);
}

bool par_secret_held(pam_handle_t *pamh, const struct par_secret *s)
{
    return kept(pamh, s) != NULL || from_env(pamh, s) != NULL;
}

char *par_secret_take(pam_handle_t *pamh, const struct par_secret *s)
{
    const char *value = kept(pamh, s);
    char *copy = NULL;

    if (value == NULL)
        value = from_env(pamh, s);
    if (value != NULL && s->valid(value))
        copy = strdup(value);
    par_secret_forget(pamh, s);
    return copy;
}
