/*
 * Session close: the helper, as the person, removes the session folder it
 * made at open. Nothing to close is success; a failure is logged and
 * reported as PAM_SESSION_ERR (the next open's sweep removes what is left).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "module.h"
#include "valid.h"
#include "wipe.h"

static const char *session_dir(pam_handle_t *pamh)
{
    const void *data = NULL;

    if (pam_get_data(pamh, PAR_DIR_DATA, &data) == PAM_SUCCESS && data != NULL)
        return data;
    return pam_getenv(pamh, PAR_DIR_VAR);  /* checked against the person's uid below */
}

static int close_result(pam_handle_t *pamh, const struct par_person *p, const char *dir,
                        struct par_run *run, enum par_run_result res)
{
    struct par_msg msg;
    struct par_report r;
    char why[256] = "";
    int rc = PAM_SESSION_ERR;

    if (res == PAR_RUN_TIMEOUT) {
        snprintf(why, sizeof(why), "helper killed at the deadline");
    } else if (res != PAR_RUN_OK || par_msg_parse(run->report, run->report_len, &msg) != 0) {
        snprintf(why, sizeof(why), "helper exited without a usable report");
    } else {
        if (par_report_check(&msg, false, "", p->uid, &r, why, sizeof(why)) == 0) {
            rc = r.ok ? PAM_SUCCESS : PAM_SESSION_ERR;
            snprintf(why, sizeof(why), "%s", r.log != NULL ? r.log : "");
        }
        par_msg_free(&msg);
    }
    par_log(pamh, rc == PAM_SUCCESS ? LOG_INFO : LOG_ERR, "close %s: person=%s dir=%s %s",
            rc == PAM_SUCCESS ? "ok" : "failed", p->name, dir, why);
    return rc;
}

static int run_close(pam_handle_t *pamh, const struct par_opts *opts,
                     const struct par_config *cfg, const struct par_person *p, const char *dir)
{
    struct par_run *run = calloc(1, sizeof(*run));
    char request[PAR_MSG_MAX];
    int rc;

    if (run == NULL)
        return PAM_BUF_ERR;
    run->helper = par_helper_path(cfg);
    run->command = "pam-close";
    run->config_path = cfg->path != NULL ? cfg->path : opts->config_path;
    run->person = p;
    run->deadline_ms = cfg->timeout_ms + PAR_DEADLINE_MARGIN_MS;
    run->request = request;
    if (par_request_build(pamh, p, "session_dir", dir, request, sizeof(request),
                          &run->request_len) != 0)
        rc = PAM_SESSION_ERR;
    else
        rc = close_result(pamh, p, dir, run, par_run_helper(pamh, opts, run));
    par_wipe(run, sizeof(*run));
    free(run);
    return rc;
}

int par_session_close(pam_handle_t *pamh, const struct par_opts *opts)
{
    const char *found = session_dir(pamh);
    char dir[PAR_MAX_PATH + 1];
    struct par_config cfg;
    struct par_person p;
    int rc;

    if (found == NULL || found[0] == '\0') {
        par_debug(pamh, opts, "close: no AWS session to close");
        return PAM_SUCCESS;
    }
    snprintf(dir, sizeof(dir), "%s", found);
    par_drop_vars(pamh);
    (void)pam_set_data(pamh, PAR_DIR_DATA, NULL, NULL);
    if (par_load_config(pamh, opts, &cfg) != 0)
        return PAM_SESSION_ERR;
    if (par_person_find(pamh, opts, &p) != 0) {
        rc = PAM_SESSION_ERR;
    } else if (!par_session_dir_valid(dir, par_run_dir(&cfg), p.uid)) {
        par_log(pamh, LOG_ERR, "close: '%s' is not a session folder of %s under %s; left "
                "alone", dir, p.name, par_run_dir(&cfg));
        rc = PAM_SESSION_ERR;
    } else {
        rc = run_close(pamh, opts, &cfg, &p, dir);
    }
    par_config_free(&cfg);
    return rc;
}
