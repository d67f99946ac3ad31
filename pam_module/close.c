/*
 * Session close: a child of the module, already the person, takes the
 * session lock, marks the manifest ended and removes the session folder (no
 * program is run: only system calls, never following a link). Nothing to close is success; a failure is logged and reported as
 * PAM_SESSION_ERR (the next open's sweep removes what is left). The
 * person's folder is unmounted once their last session folder is gone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "module.h"
#include "rmsession.h"
#include "valid.h"
#include "wipe.h"

/* Close waits this long for a refresh or renewal to finish writing, then
 * removes the folder anyway (within PAR_CLOSE_DEADLINE_MS). */
#define PAR_CLOSE_LOCK_WAIT_MS 3000

static const char *session_dir(pam_handle_t *pamh)
{
    const void *data = NULL;

    if (pam_get_data(pamh, PAR_DIR_DATA, &data) == PAM_SUCCESS && data != NULL)
        return data;
    return pam_getenv(pamh, PAR_DIR_VAR);  /* checked against the person's uid below */
}

struct removal {
    const char *run_dir;
    uid_t uid;
    const char *id;
};

/* In the child, as the person: system calls only. */
static int remove_folder(const void *arg)
{
    const struct removal *r = arg;

    return par_end_session(r->run_dir, r->uid, r->id, PAR_CLOSE_LOCK_WAIT_MS);
}

static int remove_as_person(pam_handle_t *pamh, const struct par_person *p,
                            const char *run_dir, const char *dir)
{
    struct removal r = { run_dir, p->uid, strrchr(dir, '/') + 1 };
    enum par_run_result res = par_fork_as(pamh, p, remove_folder, &r, PAR_CLOSE_DEADLINE_MS);
    int rc = res == PAR_RUN_OK ? PAM_SUCCESS : PAM_SESSION_ERR;

    par_log(pamh, rc == PAM_SUCCESS ? LOG_INFO : LOG_ERR, "close %s: person=%s dir=%s%s",
            rc == PAM_SUCCESS ? "ok" : "failed", p->name, dir,
            res == PAR_RUN_OK ? "" : res == PAR_RUN_TIMEOUT ? " (no progress: killed)"
                                                             : " (could not remove it; the "
                                                               "next login's sweep will)");
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
    if (par_person_find(pamh, opts, &cfg, &p) != 0) {
        rc = PAM_SESSION_ERR;
    } else if (!par_session_dir_valid(dir, par_run_dir(&cfg), p.uid)) {
        par_log(pamh, LOG_ERR, "close: '%s' is not a session folder of %s under %s; left "
                "alone", dir, p.name, par_run_dir(&cfg));
        rc = PAM_SESSION_ERR;
    } else {
        rc = remove_as_person(pamh, &p, par_run_dir(&cfg), dir);
        par_userfs_release(pamh, opts, &cfg, p.uid);
    }
    par_config_free(&cfg);
    return rc;
}
