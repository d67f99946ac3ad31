/*
 * The auth phase: capture the MFA code, by a prompt or from the end of the
 * password. Authentication itself is never decided here.
 *
 * The code is handed to the session phase in pam_set_data, which no program
 * hands to a command. Only sshd needs the PAM environment: it runs
 * keyboard-interactive auth in a separate process and carries only the PAM
 * environment back. There pam_sm_setcred (which sshd, in its monitor, calls
 * right before pam_open_session) moves the code into pam_set_data, so it is
 * gone from the environment before anything copies it. Every path without a
 * session ends in pam_end, whose cleanup wipes the code.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <security/pam_ext.h>

#include "module.h"
#include "valid.h"
#include "wipe.h"

#define PAR_CODE_LEN 6
/* pam_set_data key of the code between auth (or setcred) and open_session. */
#define PAR_CODE_DATA "pam_assume_role_code"
#define PAR_SUFFIX_HINT "AWS MFA code: taken from the last 6 digits of the password. " \
    "If your password itself ends in 6 digits, type one space after it."

static void wipe_code_data(pam_handle_t *pamh, void *data, int status)
{
    (void)pamh;
    (void)status;
    par_free_secret(data);
}

void par_code_forget(pam_handle_t *pamh)
{
    const void *data = NULL;

    par_unsetenv(pamh, PAR_CODE_VAR);
    if (pam_get_data(pamh, PAR_CODE_DATA, &data) == PAM_SUCCESS && data != NULL)
        (void)pam_set_data(pamh, PAR_CODE_DATA, NULL, NULL);  /* the cleanup wipes it */
}

static int keep_code_data(pam_handle_t *pamh, const char *code)
{
    char *copy = strdup(code);
    int rc;

    if (copy == NULL)
        return PAM_BUF_ERR;
    rc = pam_set_data(pamh, PAR_CODE_DATA, copy, wipe_code_data);
    if (rc != PAM_SUCCESS)
        par_free_secret(copy);
    return rc;
}

static int keep_code_env(pam_handle_t *pamh, const char *code)
{
    char entry[sizeof(PAR_CODE_VAR) + PAR_CODE_LEN + 1];
    int rc;

    memcpy(entry, PAR_CODE_VAR "=", sizeof(PAR_CODE_VAR));
    memcpy(entry + sizeof(PAR_CODE_VAR), code, PAR_CODE_LEN + 1);
    rc = pam_putenv(pamh, entry);
    par_wipe(entry, sizeof(entry));
    return rc;
}

static int keep_code(pam_handle_t *pamh, const char *code)
{
    par_code_forget(pamh);
    return par_service_is_sshd(pamh) ? keep_code_env(pamh, code) : keep_code_data(pamh, code);
}

void par_code_hold(pam_handle_t *pamh)
{
    const char *value = pam_getenv(pamh, PAR_CODE_VAR);
    char code[PAR_CODE_LEN + 1];

    if (value == NULL)
        return;
    if (!par_valid_mfa_code(value)) {
        par_unsetenv(pamh, PAR_CODE_VAR);
        return;
    }
    memcpy(code, value, sizeof(code));
    par_unsetenv(pamh, PAR_CODE_VAR);
    if (keep_code_data(pamh, code) != PAM_SUCCESS)
        pam_syslog(pamh, LOG_ERR, "cannot keep the MFA code until the session opens (out of "
                   "memory); this login gets no AWS credentials");
    par_wipe(code, sizeof(code));
}

/* Whether auth kept a code (where keep_code put it). */
static bool code_held(pam_handle_t *pamh)
{
    const void *data = NULL;

    return (pam_get_data(pamh, PAR_CODE_DATA, &data) == PAM_SUCCESS && data != NULL) ||
           pam_getenv(pamh, PAR_CODE_VAR) != NULL;
}

char *par_take_code(pam_handle_t *pamh)
{
    const void *data = NULL;
    const char *value = NULL;
    char *code = NULL;

    if (pam_get_data(pamh, PAR_CODE_DATA, &data) == PAM_SUCCESS && data != NULL)
        value = data;
    else
        value = pam_getenv(pamh, PAR_CODE_VAR);
    if (value != NULL && par_valid_mfa_code(value))
        code = strdup(value);
    par_code_forget(pamh);
    return code;
}

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

static int capture_prompt(pam_handle_t *pamh, const struct par_opts *opts)
{
    struct par_config cfg;
    const void *password = NULL;
    char prompt[256];
    char *answer = NULL;
    int rc;

    if (par_load_config(pamh, opts, &cfg) != 0)
        return PAM_IGNORE;  /* no credentials possible: do not ask for a code */
    if (!code_can_be_used(pamh, opts, &cfg)) {
        par_config_free(&cfg);
        return PAM_IGNORE;
    }
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
    if (rc == PAM_SUCCESS)
        rc = par_keypass_capture(pamh, opts, true);
    return rc == PAM_SUCCESS ? PAM_IGNORE : rc;
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

/* A suffix-mode code goes nowhere when the session's account may not hold it. */
static bool suffix_code_wanted(pam_handle_t *pamh, const struct par_opts *opts)
{
    struct par_config cfg;
    bool wanted;

    if (par_load_config(pamh, opts, &cfg) != 0)
        return true;  /* the session phase says the configuration is unreadable */
    wanted = code_can_be_used(pamh, opts, &cfg);
    par_config_free(&cfg);
    return wanted;
}

/* Cuts the code off the end of password (in place); keeps it when wanted. */
static int split_code(pam_handle_t *pamh, const struct par_opts *opts, char *password)
{
    size_t n = strlen(password);
    int rc = PAM_SUCCESS;

    if (suffix_code_wanted(pamh, opts)) {
        rc = keep_code(pamh, password + n - PAR_CODE_LEN);
        par_tell(pamh, PAM_TEXT_INFO, PAR_SUFFIX_HINT);
        par_debug(pamh, opts, "MFA code taken from the end of the password");
    } else {
        par_debug(pamh, opts, "MFA code cut from the end of the password and dropped");
    }
    par_wipe(password + n - PAR_CODE_LEN, PAR_CODE_LEN);
    password[n - PAR_CODE_LEN] = '\0';
    return rc;
}

static int capture_suffix(pam_handle_t *pamh, const struct par_opts *opts)
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
        rc = split_code(pamh, opts, password);
        changed = true;
    } else {
        par_debug(pamh, opts, "the password does not end with an MFA code");
    }
    if (rc == PAM_SUCCESS && (asked || changed))
        rc = pam_set_item(pamh, PAM_AUTHTOK, password);
    par_free_secret(password);
    if (rc != PAM_SUCCESS) {
        par_code_forget(pamh);
        par_log(pamh, LOG_ERR, "cannot hand the password on: %s", pam_strerror(pamh, rc));
        return rc;  /* the password module would see the wrong password: say so */
    }
    /* Now PAM_AUTHTOK is the password without the code: the store may open with it.
     * Nothing is asked: the password module after us has not checked it yet. */
    if (code_held(pamh) && par_keypass_capture(pamh, opts, false) != PAM_SUCCESS)
        par_keypass_forget(pamh);
    return PAM_IGNORE;
}

int par_capture(pam_handle_t *pamh, const struct par_opts *opts)
{
    par_code_forget(pamh);  /* a second auth round starts clean */
    par_keypass_forget(pamh);
    return opts->mode == PAR_MODE_SUFFIX ? capture_suffix(pamh, opts)
                                         : capture_prompt(pamh, opts);
}
