/*
 * The auth phase: capture the MFA code, by a prompt or from the end of the
 * password. Authentication itself is never decided here. The code reaches
 * the session phase through handover.c.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <security/pam_ext.h>

#include "module.h"
#include "valid.h"
#include "wipe.h"

#define PAR_CODE_LEN 6
#define PAR_SUFFIX_HINT "AWS MFA code: taken from the last 6 digits of the password. " \
    "If your password itself ends in 6 digits, type one space after it."

/*
 * Whether a code typed now can go anywhere: false only when the person is
 * known and the session's account is not theirs, root's or listed in
 * target_accounts (su - svc). An unknown account is asked like any other:
 * the prompt must not tell whether an account exists.
 */
static bool code_can_be_used(pam_handle_t *pamh, const struct par_opts *opts,
                             const struct par_config *cfg)
{
    struct par_person person;
    char target[256];

    if (par_person_find(pamh, opts, cfg, &person) != 0 ||
        par_target_receives(pamh, cfg, &person, target, sizeof(target)))
        return true;
    par_debug(pamh, opts, "no code asked: %s's credentials do not go to %s's session",
              person.name, target);
    return false;
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

static int prompt_for_code(pam_handle_t *pamh, const struct par_opts *opts,
                           const struct par_config *cfg)
{
    const void *password = NULL;
    char prompt[256];
    char *answer = NULL;
    int rc;

    if (!code_can_be_used(pamh, opts, cfg))
        return PAM_IGNORE;
    par_code_prompt(pamh, opts, cfg, prompt, sizeof(prompt));
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
    rc = par_secret_keep(pamh, &par_code_secret, answer);
    par_free_secret(answer);
    par_debug(pamh, opts, "MFA code captured by prompt");
    if (rc == PAM_SUCCESS)
        rc = par_keypass_capture(pamh, opts, cfg, true);
    return rc == PAM_SUCCESS ? PAM_IGNORE : rc;
}

static int capture_prompt(pam_handle_t *pamh, const struct par_opts *opts)
{
    struct par_config cfg;
    int rc;

    if (par_load_config(pamh, opts, &cfg) != 0)
        return PAM_IGNORE;  /* no credentials possible: do not ask for a code */
    rc = prompt_for_code(pamh, opts, &cfg);
    par_config_free(&cfg);
    return rc;
}

/* "hunter2123456": the last six digits are the code when something precedes them. */
static bool ends_with_code(const char *password)
{
    size_t n = strlen(password);

    return n > PAR_CODE_LEN && par_valid_mfa_code(password + n - PAR_CODE_LEN);
}

/* "hunter123456 " (six digits, then one space): the password is "hunter123456", no code. */
static bool says_no_code(const char *password)
{
    size_t n = strlen(password);

    return n > PAR_CODE_LEN + 1 && password[n - 1] == ' ' &&
           strspn(password + n - PAR_CODE_LEN - 1, "0123456789") == PAR_CODE_LEN;
}

/*
 * Cuts the code off the end of password (in place); keeps it unless the
 * session's account may not hold it (cfg NULL: the configuration is
 * unreadable, which the session phase says).
 */
static int split_code(pam_handle_t *pamh, const struct par_opts *opts,
                      const struct par_config *cfg, char *password)
{
    size_t n = strlen(password);
    int rc = PAM_SUCCESS;

    if (cfg == NULL || code_can_be_used(pamh, opts, cfg)) {
        rc = par_secret_keep(pamh, &par_code_secret, password + n - PAR_CODE_LEN);
        par_tell(pamh, PAM_TEXT_INFO, PAR_SUFFIX_HINT);
        par_debug(pamh, opts, "MFA code taken from the end of the password");
    } else {
        par_debug(pamh, opts, "MFA code cut from the end of the password and dropped");
    }
    par_wipe(password + n - PAR_CODE_LEN, PAR_CODE_LEN);
    password[n - PAR_CODE_LEN] = '\0';
    return rc;
}

static int suffix_with(pam_handle_t *pamh, const struct par_opts *opts,
                       const struct par_config *cfg)
{
    const void *item = NULL;
    char *password = NULL;
    bool asked = false, changed = false;
    int rc = PAM_SUCCESS;

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
    if (says_no_code(password)) {
        password[strlen(password) - 1] = '\0';
        changed = true;
        par_debug(pamh, opts, "six digits and a space: the password, no MFA code");
    } else if (ends_with_code(password)) {
        rc = split_code(pamh, opts, cfg, password);
        changed = true;
    } else {
        par_debug(pamh, opts, "the password does not end with an MFA code");
    }
    if (rc == PAM_SUCCESS && (asked || changed))
        rc = pam_set_item(pamh, PAM_AUTHTOK, password);
    par_free_secret(password);
    if (rc != PAM_SUCCESS) {
        par_secret_forget(pamh, &par_code_secret);
        par_log(pamh, LOG_ERR, "cannot hand the password on: %s", pam_strerror(pamh, rc));
        return rc;  /* the password module would see the wrong password: say so */
    }
    /* Now PAM_AUTHTOK is the password without the code: the store may open with it.
     * Nothing is asked: the password module after us has not checked it yet. */
    if (cfg != NULL && par_secret_held(pamh, &par_code_secret) &&
        par_keypass_capture(pamh, opts, cfg, false) != PAM_SUCCESS)
        par_secret_forget(pamh, &par_keypass_secret);
    return PAM_IGNORE;
}

static int capture_suffix(pam_handle_t *pamh, const struct par_opts *opts)
{
    struct par_config cfg;
    bool loaded = par_load_config(pamh, opts, &cfg) == 0;
    int rc = suffix_with(pamh, opts, loaded ? &cfg : NULL);

    if (loaded)
        par_config_free(&cfg);
    return rc;
}

int par_capture(pam_handle_t *pamh, const struct par_opts *opts)
{
    par_secret_forget(pamh, &par_code_secret);  /* a second auth round starts clean */
    par_secret_forget(pamh, &par_keypass_secret);
    return opts->mode == PAR_MODE_SUFFIX ? capture_suffix(pamh, opts)
                                         : capture_prompt(pamh, opts);
}
