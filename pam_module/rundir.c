/*
 * RUN_DIR (root, 0755) and RUN_DIR/UID (the person, 0700: a tmpfs of its
 * own, see userfs.c). Root only creates and checks these two; it never
 * follows a link and never touches what is inside the person's folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "module.h"

const char *par_run_dir(const struct par_config *cfg)
{
    return cfg->run_dir != NULL ? cfg->run_dir : PAR_RUN_DIR;
}

/*
 * Opens (creating if missing) the folder NAME under parent_fd, owned by
 * uid:gid with exactly MODE. Returns the fd or -1 with err filled.
 */
static int open_owned_dir(int parent_fd, const char *shown, const char *name, uid_t uid,
                          gid_t gid, mode_t mode, char *err, size_t errlen)
{
    struct stat st;
    bool created = mkdirat(parent_fd, name, 0700) == 0;
    int fd;

    if (!created && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", shown, strerror(errno));
        return -1;
    }
    fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s (%s); it must be a folder, not a link",
                 shown, strerror(errno));
        return -1;
    }
    if (created && (fchown(fd, uid, gid) != 0 || fchmod(fd, mode) != 0)) {
        snprintf(err, errlen, "cannot set owner and mode of %s: %s", shown, strerror(errno));
        close(fd);
        return -1;
    }
    /* Another login may be between its mkdirat and fchown: give it a moment. */
    for (int i = 0; !created && i < 100 && fstat(fd, &st) == 0 &&
                    (st.st_uid != uid || (st.st_mode & 07777) != mode); i++)
        usleep(10000);
    if (fstat(fd, &st) != 0 || st.st_uid != uid || (st.st_mode & 07777) != mode) {
        snprintf(err, errlen, "%s is not owned by uid %u with mode %04o; remove it "
                 "(it may be a leftover or a planted folder)", shown, (unsigned)uid,
                 (unsigned)mode);
        close(fd);
        return -1;
    }
    return fd;
}

static int open_parent(const char *run_dir, char *base, size_t cap, char *err, size_t errlen)
{
    const char *slash = strrchr(run_dir, '/');
    char parent[4096];

    if (run_dir[0] != '/' || slash == NULL || slash[1] == '\0' ||
        strlen(run_dir) >= sizeof(parent) || strlen(slash + 1) >= cap) {
        snprintf(err, errlen, "run_dir '%s' must be an absolute path without a "
                 "trailing slash", run_dir);
        return -1;
    }
    memcpy(parent, run_dir, (size_t)(slash - run_dir));
    parent[slash == run_dir ? 1 : slash - run_dir] = '\0';
    if (slash == run_dir)
        parent[0] = '/';
    strcpy(base, slash + 1);
    return par_open_trusted_parent(parent, err, errlen);
}

int par_rundir_open(const char *run_dir, char *err, size_t errlen)
{
    char base[256];
    int parent_fd = open_parent(run_dir, base, sizeof(base), err, errlen), run_fd;

    if (parent_fd < 0)
        return -1;
    run_fd = open_owned_dir(parent_fd, run_dir, base, 0, 0, 0755, err, errlen);
    close(parent_fd);
    return run_fd;
}

static void close_lock(pam_handle_t *pamh, void *data, int status)
{
    (void)pamh;
    (void)status;
    close(*(int *)data);
    free(data);
}

/* The lock stays held (byte 0 shared) until par_rundir_done, or pam_end. */
static int keep_lock(pam_handle_t *pamh, int lock_fd)
{
    int *held = malloc(sizeof(*held));

    if (held == NULL)
        return -1;
    *held = lock_fd;
    if (pam_set_data(pamh, PAR_USERFS_DATA, held, close_lock) != PAM_SUCCESS) {
        free(held);
        return -1;
    }
    return 0;
}

/* Takes the lock (byte 0 shared, byte 1 exclusive while it looks and mounts). */
static int hold_and_settle(pam_handle_t *pamh, const struct par_config *cfg, int run_fd,
                           const struct par_person *p, int *lock_fd, char *err, size_t errlen)
{
    const char *run_dir = par_run_dir(cfg);
    int rc;

    if ((*lock_fd = par_userfs_lock_open(run_fd, p->uid, err, errlen)) < 0)
        return -1;
    if (par_userfs_lock(*lock_fd, 0, F_RDLCK, PAR_USERFS_LOCK_MS) != 0 ||
        par_userfs_lock(*lock_fd, 1, F_WRLCK, PAR_USERFS_LOCK_MS) != 0) {
        snprintf(err, errlen, "%s/.%u.lock stayed locked for %d s (%s); log in again",
                 run_dir, (unsigned)p->uid, PAR_USERFS_LOCK_MS / 1000, strerror(errno));
        return -1;
    }
    rc = par_userfs_settle(pamh, cfg, run_fd, run_dir, p, err, errlen);
    (void)par_userfs_lock(*lock_fd, 1, F_UNLCK, 0);
    return rc;
}

int par_rundir_prepare(pam_handle_t *pamh, const struct par_config *cfg,
                       const struct par_person *p, char *err, size_t errlen)
{
    const void *held = NULL;
    int run_fd, lock_fd = -1, rc;

    if (pam_get_data(pamh, PAR_USERFS_DATA, &held) == PAM_SUCCESS && held != NULL)
        return 0;  /* prepared already in this open, and still locked */
    if ((run_fd = par_rundir_open(par_run_dir(cfg), err, errlen)) < 0)
        return -1;
    rc = hold_and_settle(pamh, cfg, run_fd, p, &lock_fd, err, errlen);
    if (rc == 0 && keep_lock(pamh, lock_fd) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc != 0 && lock_fd >= 0)
        close(lock_fd);
    /* Full, it stays ready and locked: the empty session folder may still fit. */
    if (rc == 0 && par_userfs_room(cfg, run_fd, par_run_dir(cfg), p->uid, err, errlen) != 0)
        rc = PAR_RUNDIR_FULL;
    close(run_fd);
    return rc;
}

void par_rundir_done(pam_handle_t *pamh)
{
    (void)pam_set_data(pamh, PAR_USERFS_DATA, NULL, NULL);  /* closes the lock */
}
