/*
 * Each person's RUN_DIR/UID is a small tmpfs of its own (nosuid, nodev,
 * noexec, bounded in size and inodes, the person's, 0700), as
 * pam_namespace, pam_mount and logind's /run/user/UID do: a person who
 * fills it hurts only themselves, never /run or another person's login.
 * Beneath the mount the folder is root's (0700), so the person cannot
 * reach /run through it while it is not mounted.
 *
 * Logins of one person share one mount. RUN_DIR/.UID.lock (root's, in the
 * root-owned RUN_DIR) carries two open-file-description locks: byte 0 is
 * held shared by every open from before it mounts until its session folder
 * exists, and exclusive by close while it decides to unmount; byte 1 is
 * held exclusive by an open while it looks and mounts, so two opens never
 * mount twice. Every wait has a deadline.
 *
 * Root opens the folder with O_NOFOLLOW|O_DIRECTORY, checks it with fstat,
 * mounts through that descriptor (/proc/self/fd/N), lists names in the
 * person's folder to count sessions, and never opens what is inside.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>

#include "proctime.h"
#include "module.h"
#include "valid.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define LOCK_POLL_US 10000

int par_userfs_lock_open(int run_fd, uid_t uid, char *err, size_t errlen)
{
    char name[32];
    struct stat st;
    int fd;

    snprintf(name, sizeof(name), ".%u.lock", (unsigned)uid);
    fd = openat(run_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0) {
        snprintf(err, errlen, "cannot open the lock RUN_DIR/%s (%s); remove it if it is not "
                 "a file of root's", name, fd < 0 ? strerror(errno) : "not root's file");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int par_userfs_lock(int lock_fd, int byte, short type, long deadline_ms)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };
    long long end = par_now_ms() + deadline_ms;

    /* Polled: a blocking F_OFD_SETLKW would have no deadline. */
    while (fcntl(lock_fd, F_OFD_SETLK, &fl) != 0) {
        if ((errno != EAGAIN && errno != EACCES && errno != EINTR) || par_now_ms() >= end)
            return -1;
        usleep(LOCK_POLL_US);
    }
    return 0;
}

/* The folder is our tmpfs: a file system of its own, on top of RUN_DIR's. */
static bool is_user_mount(int fd, const struct stat *st, dev_t run_dev)
{
    struct statfs sfs;

    return st->st_dev != run_dev && fstatfs(fd, &sfs) == 0 &&
           (unsigned long)sfs.f_type == (unsigned long)TMPFS_MAGIC;
}

static int mount_over(int fd, const struct par_config *cfg, const struct par_person *p)
{
    char target[64], data[128];

    snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
    snprintf(data, sizeof(data), "size=%ldk,nr_inodes=%ld,mode=0700,uid=%u,gid=%u",
             cfg->user_dir_size_kb, cfg->user_dir_inodes, (unsigned)p->uid, (unsigned)p->gid);
    return mount("pam_assume_role", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data);
}

/* Where nothing can be mounted: the plain folder of the person, unbounded. */
static int make_plain(int fd, const struct par_person *p, const char *shown, char *err,
                      size_t errlen)
{
    if (fchown(fd, p->uid, p->gid) == 0 && fchmod(fd, 0700) == 0)
        return 0;
    snprintf(err, errlen, "cannot set owner and mode of %s: %s", shown, strerror(errno));
    return -1;
}

/* After the mount, the name must lead to it: the person's, 0700. */
static int check_mounted(int run_fd, dev_t run_dev, const char *name, const char *shown,
                         const struct par_person *p, char *err, size_t errlen)
{
    int fd = openat(run_fd, name, DIR_FLAGS);
    struct stat st;
    bool ok = fd >= 0 && fstat(fd, &st) == 0 && is_user_mount(fd, &st, run_dev) &&
              st.st_uid == p->uid && (st.st_mode & 07777) == 0700;

    if (fd >= 0)
        close(fd);
    if (!ok)
        snprintf(err, errlen, "%s is not the folder just mounted for uid %u; ask an "
                 "administrator to look at its mounts", shown, (unsigned)p->uid);
    return ok ? 0 : -1;
}

/* FD is the plain folder (root's or the person's): mount over it, or fall back. */
static int mount_or_fall_back(pam_handle_t *pamh, const struct par_config *cfg, int run_fd,
                              dev_t run_dev, int fd, const char *name, const char *shown,
                              const struct par_person *p, char *err, size_t errlen)
{
    if (cfg->user_dir_size_kb == 0)
        return make_plain(fd, p, shown, err, errlen);
    if (mount_over(fd, cfg, p) == 0) {
        /* FD is still the folder beneath: root's, so unmounted it leads the person nowhere. */
        if (fchown(fd, 0, 0) != 0 || fchmod(fd, 0700) != 0) {
            snprintf(err, errlen, "cannot make the folder beneath %s root's: %s", shown,
                     strerror(errno));
            return -1;
        }
        return check_mounted(run_fd, run_dev, name, shown, p, err, errlen);
    }
    if (errno != EPERM && errno != ENODEV) {
        snprintf(err, errlen, "cannot mount a tmpfs on %s through /proc/self/fd: %s; check "
                 "that /proc is mounted", shown, strerror(errno));
        return -1;
    }
    par_log(pamh, LOG_WARNING, "cannot mount a tmpfs on %s (%s: no CAP_SYS_ADMIN here, or no "
            "tmpfs); using the plain folder, which does not bound what %s stores in /run",
            shown, strerror(errno), p->name);
    return make_plain(fd, p, shown, err, errlen);
}

static int refuse(const char *shown, uid_t uid, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s is not owned by uid %u with mode 0700; remove it (it may be a "
             "leftover or a planted folder)", shown, (unsigned)uid);
    return -1;
}

int par_userfs_settle(pam_handle_t *pamh, const struct par_config *cfg, int run_fd,
                      const char *run_dir, const struct par_person *p, char *err,
                      size_t errlen)
{
    char name[32], shown[PAR_MAX_PATH + 32];
    struct stat run_st, st;
    int fd, rc;

    snprintf(name, sizeof(name), "%u", (unsigned)p->uid);
    snprintf(shown, sizeof(shown), "%s/%s", run_dir, name);
    if (fstat(run_fd, &run_st) != 0 || (mkdirat(run_fd, name, 0700) != 0 && errno != EEXIST)) {
        snprintf(err, errlen, "cannot create %s: %s", shown, strerror(errno));
        return -1;
    }
    fd = openat(run_fd, name, DIR_FLAGS);
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot open %s (%s); it must be a folder, not a link",
                 shown, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    /* Mounted already, by a login of this person (who may have changed its mode). */
    if (st.st_dev != run_st.st_dev)
        rc = is_user_mount(fd, &st, run_st.st_dev) && st.st_uid == p->uid &&
             ((st.st_mode & 07777) == 0700 || fchmod(fd, 0700) == 0)
             ? 0 : refuse(shown, p->uid, err, errlen);
    else if (st.st_uid != 0 && st.st_uid != p->uid)
        rc = refuse(shown, p->uid, err, errlen);
    else
        rc = mount_or_fall_back(pamh, cfg, run_fd, run_st.st_dev, fd, name, shown, p, err,
                                errlen);
    close(fd);
    return rc;
}

int par_userfs_room(const struct par_config *cfg, int run_fd, const char *run_dir, uid_t uid,
                    char *err, size_t errlen)
{
    char name[32], shown[PAR_MAX_PATH + 32];
    /* A session's folder and files (env, credentials, config, session; mfa-session and
     * role-ENV with strategy session), each page-sized, and the temporary copy of one. */
    unsigned long need = 6 + (cfg->strategy == PAR_STRATEGY_SESSION
                              ? cfg->n_login_environments + 1 : 0);
    struct statvfs sv;

    int fd, known;

    snprintf(name, sizeof(name), "%u", (unsigned)uid);
    snprintf(shown, sizeof(shown), "%s/%s", run_dir, name);
    fd = openat(run_fd, name, DIR_FLAGS);
    known = fd >= 0 && fstatvfs(fd, &sv) == 0;
    if (fd >= 0)
        close(fd);
    if (!known || (sv.f_bavail >= need && sv.f_favail >= need))
        return 0;
    snprintf(err, errlen, "your folder %s is full (%lu KiB and %lu files free); remove what "
             "you stored there, or end your other sessions", shown,
             (unsigned long)(sv.f_bavail * sv.f_frsize / 1024), (unsigned long)sv.f_favail);
    return -1;
}

/* Entries of session-folder form in the person's folder; -1 when unreadable. */
static long count_sessions(int user_fd)
{
    int fd = openat(user_fd, ".", DIR_FLAGS);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    long n = 0;

    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    while ((e = readdir(d)) != NULL)
        n += par_valid_session_id(e->d_name);
    closedir(d);
    return n;
}

/*
 * With byte 0 held exclusive: unmount the folder once no session is left in
 * it. Never lazily (MNT_DETACH): a process
 * of the person with its working folder there would keep a detached tmpfs
 * alive, unseen, and each login would add another. A busy folder stays
 * mounted, bounded, for the next login to reuse.
 */
static void unmount_if_unused(pam_handle_t *pamh, const struct par_opts *opts, int run_fd,
                              const char *shown, uid_t uid)
{
    char name[32];
    struct stat run_st, st;
    int fd;

    snprintf(name, sizeof(name), "%u", (unsigned)uid);
    fd = openat(run_fd, name, DIR_FLAGS);
    if (fd < 0 || fstat(run_fd, &run_st) != 0 || fstat(fd, &st) != 0 ||
        !is_user_mount(fd, &st, run_st.st_dev) || count_sessions(fd) != 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    close(fd);  /* an open descriptor inside would make it busy */
    if (umount2(shown, UMOUNT_NOFOLLOW) == 0)
        par_debug(pamh, opts, "unmounted %s: no session of uid %u left", shown, (unsigned)uid);
    else if (errno == EBUSY)
        par_log(pamh, LOG_NOTICE, "%s stays mounted: a process of uid %u is using it",
                shown, (unsigned)uid);
    else
        par_log(pamh, LOG_ERR, "cannot unmount %s: %s; it stays mounted until the next close",
                shown, strerror(errno));
}

void par_userfs_release(pam_handle_t *pamh, const struct par_opts *opts,
                        const struct par_config *cfg, uid_t uid)
{
    char err[512], shown[PAR_MAX_PATH + 32];
    const char *run_dir = par_run_dir(cfg);
    int run_fd, lock_fd;

    if ((run_fd = par_rundir_open(run_dir, err, sizeof(err))) < 0)
        return;
    snprintf(shown, sizeof(shown), "%s/%u", run_dir, (unsigned)uid);
    lock_fd = par_userfs_lock_open(run_fd, uid, err, sizeof(err));
    /* Busy means an open is under way: its session will be there, so leave the mount. */
    if (lock_fd >= 0 && par_userfs_lock(lock_fd, 0, F_WRLCK, PAR_USERFS_CLOSE_LOCK_MS) == 0)
        unmount_if_unused(pamh, opts, run_fd, shown, uid);
    else
        par_debug(pamh, opts, "%s left mounted: %s", shown, lock_fd < 0 ? err : "an open is "
                  "under way");
    if (lock_fd >= 0)
        close(lock_fd);
    close(run_fd);
}
