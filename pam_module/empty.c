/*
 * A session that ends up without credentials (no code, a malformed one, or
 * a failure in continue mode) still gets its folder, holding only the
 * session's metadata: 'pam-assume-role refresh' can then fill it from any
 * shell of the login, and close removes it as usual. Made by a forked child
 * that already is the person, with system calls only, never following a
 * link.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "fdio.h"
#include "module.h"
#include "rmsession.h"
#include "valid.h"

struct empty_session {
    const char *run_dir;
    uid_t uid;
    char id[33];
    char meta[PAR_MSG_MAX];
    size_t meta_len;
};

/* In the child, as the person. */
static int make_folder(const void *arg)
{
    const struct empty_session *e = arg;
    int user_fd = par_user_dir_open(e->run_dir, e->uid), dir_fd, fd, rc;

    if (user_fd < 0 || mkdirat(user_fd, e->id, 0700) != 0)
        return -1;
    dir_fd = openat(user_fd, e->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(user_fd);
    if (dir_fd < 0)
        return -1;
    fd = openat(dir_fd, "session", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    close(dir_fd);
    if (fd < 0)
        return -1;
    rc = par_write_all(fd, e->meta, e->meta_len);
    return close(fd) == 0 ? rc : -1;
}

static int new_id(char id[33])
{
    unsigned char rnd[16];

    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        return -1;
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(id + 2 * i, 3, "%02x", rnd[i]);
    return 0;
}

static void free_data(pam_handle_t *pamh, void *data, int status)
{
    (void)pamh;
    (void)status;
    free(data);
}

void par_session_leave_empty(pam_handle_t *pamh, const struct par_opts *opts,
                             const struct par_config *cfg, const struct par_person *p)
{
    struct empty_session *e = calloc(1, sizeof(*e));
    const char *config = cfg->path != NULL ? cfg->path : opts->config_path;
    char dir[PAR_MAX_PATH + 64], entry[PAR_MAX_PATH + 64 + sizeof(PAR_DIR_VAR)], *data;
    char err[512] = "";

    if (e == NULL)
        return;
    e->run_dir = par_run_dir(cfg);
    e->uid = p->uid;
    if (par_rundir_prepare(pamh, cfg, p, err, sizeof(err)) < 0 || new_id(e->id) != 0 ||
        par_request_build(pamh, p, "config", config, NULL, 0, e->meta, sizeof(e->meta),
                          &e->meta_len) != 0 ||
        par_fork_as(pamh, p, make_folder, e, PAR_CLOSE_DEADLINE_MS) != PAR_RUN_OK) {
        par_log(pamh, LOG_ERR, "no empty session folder for %s (so 'pam-assume-role "
                "refresh' cannot fill this session): %s", p->name,
                err[0] ? err : "the child that makes it, as the person, failed");
        free(e);
        return;
    }
    snprintf(dir, sizeof(dir), "%s/%u/%s", e->run_dir, (unsigned)p->uid, e->id);
    snprintf(entry, sizeof(entry), "%s=%s", PAR_DIR_VAR, dir);
    free(e);
    data = strdup(dir);
    if (data == NULL || pam_set_data(pamh, PAR_DIR_DATA, data, free_data) != PAM_SUCCESS) {
        free(data);
        par_log(pamh, LOG_ERR, "cannot keep the session folder %s; the next login's sweep "
                "removes it", dir);
        return;
    }
    if (pam_putenv(pamh, entry) != PAM_SUCCESS)
        par_log(pamh, LOG_ERR, "cannot export %s; 'pam-assume-role refresh' will not find "
                "this session", PAR_DIR_VAR);
    /* A desktop's copies of an earlier login's paths are replaced by this one's. */
    if (!par_keys_in_environment(pamh, cfg) && par_export_aws_files(pamh, p, dir) != PAM_SUCCESS)
        par_log(pamh, LOG_ERR, "cannot export AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE "
                "for %s", dir);
    par_debug(pamh, opts, "empty session folder %s, for 'pam-assume-role refresh'", dir);
}
