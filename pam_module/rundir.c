/*
 * RUN_DIR (root, 0755) and RUN_DIR/UID (the person, 0700). Root only creates
 * and checks these two; it never follows a link and never touches what is
 * inside the person's folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

int par_rundir_prepare(const char *run_dir, const struct par_person *p,
                       char *err, size_t errlen)
{
    char base[256], uid_name[32], shown[4096 + 32];
    int parent_fd, run_fd, user_fd;

    parent_fd = open_parent(run_dir, base, sizeof(base), err, errlen);
    if (parent_fd < 0)
        return -1;
    run_fd = open_owned_dir(parent_fd, run_dir, base, 0, 0, 0755, err, errlen);
    close(parent_fd);
    if (run_fd < 0)
        return -1;
    snprintf(uid_name, sizeof(uid_name), "%u", (unsigned)p->uid);
    snprintf(shown, sizeof(shown), "%s/%s", run_dir, uid_name);
    user_fd = open_owned_dir(run_fd, shown, uid_name, p->uid, p->gid, 0700, err, errlen);
    close(run_fd);
    if (user_fd < 0)
        return -1;
    close(user_fd);
    return 0;
}
