/*
 * The auth phase: capture the MFA code, by a prompt or from the end of the
 * password. The code travels to the session phase in the PAM environment
 * (sshd runs keyboard-interactive in another process; only the PAM
 * environment comes back). Authentication itself is never decided here.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <security/pam_ext.h>

#include "module.h"
#include "valid.h"
#include "wipe.h"

#define PAR_CODE_LEN 6

static void forget_code(pam_handle_t *pamh)
{
    par_unsetenv(pamh, PAR_CODE_VAR);
}

static int keep_code(pam_handle_t *pamh, const char *code)
{
    char entry[sizeof(PAR_CODE_VAR) + PAR_CODE_LEN + 1];
    int rc;

    memcpy(entry, PAR_CODE_VAR "=", sizeof(PAR_CODE_VAR));
    memcpy(entry + sizeof(PAR_CODE_VAR), code, PAR_CODE_LEN + 1);
    rc = pam_putenv(pamh, entry);
    par_wipe(entry, sizeof(entry));
    return rc;
}

char *par_take_code(pam_handle_t *pamh)
{
    const char *value = pam_getenv(pamh, PAR_CODE_VAR);
    char *code = NULL;

    if (value != NULL && par_valid_mfa_code(value))
        code = strdup(value);
    forget_code(pamh);
    return code;
}

/* Constant-time equality, so the comparison with the password leaks nothing. */
static bool same_secret(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    unsigned char diff = na != nb;

    for (size_t i = 0; i < na && i < nb; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

static int capture_prompt(pam_handle_t *pamh, const struct par_opts *opts)
{
    struct par_config cfg;
    const void *password = NULL;
    char prompt[256];
    char *answer = NULL;
    int rc;

    if (par_load_config(pamh, opts, &cfg) != 0)
        return PAM_IGNORE;  /* no credentials possible: do not ask for a code */
    par_code_prompt(pamh, opts, &cfg, prompt, sizeof(prompt));
    par_config_free(&cfg);
    rc = par_ask(pamh, prompt, &answer);
    if (rc != PAM_SUCCESS || answer == NULL || answer[0] == '\0') {
        par_debug(pamh, opts, "no MFA code given (%s)",
                  rc != PAM_SUCCESS ? pam_strerror(pamh, rc) : "skipped");
        par_free_secret(answer);
        return PAM_IGNORE;
    }
    if (pam_get_item(pamh, PAM_AUTHTOK, &password) == PAM_SUCCESS && password != NULL &&
        same_secret(answer, password)) {
        /* sshd's PasswordAuthentication answers every prompt with the password. */
        par_debug(pamh, opts, "the answer to the code prompt is the password: ignored; "
                  "mode=prompt needs KbdInteractiveAuthentication under sshd");
        par_free_secret(answer);
        return PAM_IGNORE;
    }
    if (!par_valid_mfa_code(answer)) {
        par_free_secret(answer);
        par_tell(pamh, PAM_ERROR_MSG, PAR_BAD_CODE_MSG);
        par_debug(pamh, opts, "MFA code refused: not 6 digits");
        return PAM_IGNORE;
    }
    rc = keep_code(pamh, answer);
    par_free_secret(answer);
    par_debug(pamh, opts, "MFA code captured by prompt");
    return rc == PAM_SUCCESS ? PAM_IGNORE : rc;
}

/* "hunter2123456": the last six digits are the code when something precedes them. */
static bool ends_with_code(const char *password)
{
    size_t n = strlen(password);

    return n > PAR_CODE_LEN && par_valid_mfa_code(password + n - PAR_CODE_LEN);
}

static int capture_suffix(pam_handle_t *pamh, const struct par_opts *opts)
{
    const void *item = NULL;
    char *password = NULL;
    bool asked = false;
    int rc;

    if (pam_get_item(pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS && item != NULL) {
        password = strdup(item);
    } else {
        rc = par_ask(pamh, "Password: ", &password);
        if (rc != PAM_SUCCESS || password == NULL) {
            par_debug(pamh, opts, "no password given (%s)", pam_strerror(pamh, rc));
            par_free_secret(password);
            return PAM_IGNORE;
        }
        asked = true;
    }
    if (password == NULL)
        return PAM_BUF_ERR;
    if (ends_with_code(password)) {
        size_t n = strlen(password);

        rc = keep_code(pamh, password + n - PAR_CODE_LEN);
        par_wipe(password + n - PAR_CODE_LEN, PAR_CODE_LEN);
        password[n - PAR_CODE_LEN] = '\0';
        if (rc == PAM_SUCCESS)
            rc = pam_set_item(pamh, PAM_AUTHTOK, password);
        par_debug(pamh, opts, "MFA code taken from the end of the password");
    } else {
        rc = asked ? pam_set_item(pamh, PAM_AUTHTOK, password) : PAM_SUCCESS;
        par_debug(pamh, opts, "the password does not end with an MFA code");
    }
    par_free_secret(password);
    if (rc != PAM_SUCCESS) {
        forget_code(pamh);
        par_log(pamh, LOG_ERR, "cannot hand the password on: %s", pam_strerror(pamh, rc));
        return rc;  /* the password module would see the wrong password: say so */
    }
    return PAM_IGNORE;
}

int par_capture(pam_handle_t *pamh, const struct par_opts *opts)
{
    forget_code(pamh);  /* a second auth round starts clean */
    return opts->mode == PAR_MODE_SUFFIX ? capture_suffix(pamh, opts)
                                         : capture_prompt(pamh, opts);
}
