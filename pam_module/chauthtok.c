/*
 * The password change: a key store bound to the login password is
 * re-encrypted under the new one by the helper's pam-rekey, run as the
 * person with the old and new password on its pipe (as pam_gnome_keyring
 * does for the keyring). Nothing here ever fails the password change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "module.h"
#include "valid.h"
#include "wipe.h"

/* Two scrypt runs at most at the parser's cost limit, on a busy host. */
#define PAR_REKEY_DEADLINE_MS 15000
#define PAR_REKEY_BY_ROOT "Your AWS key store is bound to your old password: run " \
    "'pam-assume-role store-key --rekey' and give the old password, then the new one."

static const char *item(pam_handle_t *pamh, int which)
{
    const void *v = NULL;

    if (pam_get_item(pamh, which, &v) != PAM_SUCCESS || v == NULL ||
        ((const char *)v)[0] == '\0')
        return NULL;
    return v;
}

static int build_request(const struct par_person *p, const char *old, const char *new,
                         char *buf, size_t cap, size_t *len)
{
    *len = 0;
    if (strpbrk(old, "\r\n") != NULL || strpbrk(new, "\r\n") != NULL)
        return -1;
    if (par_msg_add(buf, cap, len, "version", "1") != 0 ||
        par_msg_add(buf, cap, len, "user", p->name) != 0 ||
        par_msg_add(buf, cap, len, "old", old) != 0 ||
        par_msg_add(buf, cap, len, "new", new) != 0 || par_msg_end(buf, cap, len) != 0)
        return -1;
    return 0;
}

/* Says what the helper said (one line to the person, one to syslog). */
static int tell_result(pam_handle_t *pamh, const struct par_person *p, struct par_run *run)
{
    struct par_msg msg;
    const char *result, *message;
    int rc = PAM_SUCCESS;

    if (par_msg_parse(run->report, run->report_len, &msg) != 0) {
        par_log(pamh, LOG_ERR, "rekey: person=%s result=error (no usable answer from the "
                "helper)", p->name);
        par_tell(pamh, PAM_ERROR_MSG, "Your AWS key store could not be re-encrypted: run "
                 "'pam-assume-role store-key --rekey' with your old password.");
        return PAM_SUCCESS;
    }
    result = par_msg_get(&msg, "result");
    message = par_msg_get(&msg, "message");
    if (result == NULL || strcmp(result, "none") == 0 || strcmp(result, "own") == 0)
        rc = PAM_IGNORE;
    else if (message != NULL && par_valid_message(message))
        par_tell(pamh, strcmp(result, "rekeyed") == 0 ? PAM_TEXT_INFO : PAM_ERROR_MSG,
                 message);
    par_log(pamh, rc == PAM_IGNORE ? LOG_DEBUG : LOG_INFO, "rekey: person=%s result=%.16s",
            p->name, result != NULL && par_valid_message(result) ? result : "?");
    par_msg_free(&msg);
    return rc;
}

static int run_rekey(pam_handle_t *pamh, const struct par_opts *opts,
                     const struct par_config *cfg, const struct par_person *p,
                     const char *old, const char *new)
{
    struct par_run *run = calloc(1, sizeof(*run));
    char request[PAR_MSG_MAX];
    int rc = PAM_SUCCESS;

    if (run == NULL)
        return PAM_IGNORE;
    run->helper = par_helper_path(cfg);
    run->command = "pam-rekey";
    run->config_path = cfg->path != NULL ? cfg->path : opts->config_path;
    run->person = p;
    run->deadline_ms = PAR_REKEY_DEADLINE_MS;
    if (build_request(p, old, new, request, sizeof(request), &run->request_len) != 0) {
        par_log(pamh, LOG_WARNING, "rekey: person=%s result=error (a password holds a line "
                "break)", p->name);
        rc = PAM_IGNORE;
    } else {
        run->request = request;
        if (par_run_helper(pamh, opts, run) == PAR_RUN_OK) {
            rc = tell_result(pamh, p, run);
        } else {
            par_log(pamh, LOG_ERR, "rekey: person=%s result=error (the helper failed or "
                    "timed out)", p->name);
            par_tell(pamh, PAM_ERROR_MSG, "Your AWS key store could not be re-encrypted: "
                     "run 'pam-assume-role store-key --rekey' with your old password.");
        }
    }
    par_wipe(request, sizeof(request));
    par_wipe(run, sizeof(*run));
    free(run);
    return rc;
}

/* Root set the password (no old one): only the person can rekey, with the old password. */
static int rekey_impossible(pam_handle_t *pamh, const struct par_opts *opts,
                            const struct par_config *cfg, const struct par_person *p)
{
    if (par_store_probe(pamh, opts, cfg, p) != PAR_STORE_LOGIN)
        return PAM_IGNORE;
    par_tell(pamh, PAM_TEXT_INFO, PAR_REKEY_BY_ROOT);
    par_log(pamh, LOG_INFO, "rekey: person=%s result=not-possible (no old password: the "
            "password was set by root)", p->name);
    return PAM_SUCCESS;
}

int par_chauthtok(pam_handle_t *pamh, int flags, const struct par_opts *opts)
{
    const char *old = item(pamh, PAM_OLDAUTHTOK), *new = item(pamh, PAM_AUTHTOK);
    const char *user = item(pamh, PAM_USER);
    struct par_config cfg;
    struct par_person p;
    int rc = PAM_IGNORE;

    if (!(flags & PAM_UPDATE_AUTHTOK) || user == NULL)
        return PAM_IGNORE;  /* the preliminary pass: nothing to check */
    if (par_load_config(pamh, opts, &cfg) != 0)
        return PAM_IGNORE;
    if (par_person_find(pamh, opts, &cfg, &p) == 0 && strcmp(p.name, user) == 0) {
        if (old != NULL && new != NULL)
            rc = run_rekey(pamh, opts, &cfg, &p, old, new);
        else if (new != NULL)
            rc = rekey_impossible(pamh, opts, &cfg, &p);
    }
    par_config_free(&cfg);
    return rc;
}
