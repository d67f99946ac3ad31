#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "proctime.h"
#include "protocol.h"
#include "rmsession.h"
#include "sweep.h"
#include "valid.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

struct sweep_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* What the manifest says about the login; -1 for what it does not say. */
struct manifest_facts {
    long long pid, start;
    int ended;
};

/* The decimal number after "KEY=" at the start of a line of BUF, or -1. */
static long long line_number(const char *buf, const char *key)
{
    size_t klen = strlen(key);

    for (const char *line = buf; *line != '\0';) {
        const char *nl = strchr(line, '\n');

        if (strncmp(line, key, klen) == 0 && line[klen] == '=' && line[klen + 1] >= '0' &&
            line[klen + 1] <= '9') {
            long long v = 0;

            for (const char *p = line + klen + 1; *p >= '0' && *p <= '9'; p++) {
                if (v > (INT64_MAX - 9) / 10)
                    return -1;
                v = v * 10 + (*p - '0');
            }
            return v;
        }
        if (nl == NULL)
            break;
        line = nl + 1;
    }
    return -1;
}

/* Reads the manifest line by line (a file that does not parse as a whole
 * still names its login); 0 when there is one of ours. */
/*
 * NAME under DIR_FD lies on DIR_FD's own file system. Anything else is a
 * mount point the person stacked there (FUSE): its server could stall the
 * close of any file opened on it for as long as it likes, so the sweep
 * opens nothing there.
 */
static int same_fs(int dir_fd, const char *name)
{
    struct stat dir_st, st;

    return fstat(dir_fd, &dir_st) == 0 &&
           fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == dir_st.st_dev;
}

static int read_facts(int dir_fd, struct manifest_facts *f)
{
    char buf[PAR_META_MAX + 1];
    struct stat st;
    size_t got = 0;
    int fd;

    f->pid = f->start = -1;
    f->ended = 0;
    if (!same_fs(dir_fd, "session"))
        return -1;
    fd = openat(dir_fd, "session", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        close(fd);
        return -1;
    }
    while (got < PAR_META_MAX) {
        ssize_t n = read(fd, buf + got, PAR_META_MAX - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    f->pid = line_number(buf, "session_pid");
    f->start = line_number(buf, "session_start");
    f->ended = line_number(buf, "ended") == 1;
    return 0;
}

/* True when process PID, started at START (clock ticks), is gone. */
static int process_gone(long long pid, long long start)
{
    long long now_start;

    if (pid <= 0 || pid > INT32_MAX)
        return 1;
    now_start = par_process_start((pid_t)pid);
    if (now_start >= 0)
        return now_start != start;
    /* /proc hidden from us (hidepid): ask the kernel instead. */
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* The session lock, taken without waiting: its descriptor; -2 when someone
 * holds it; -1 when there is no lock file (so nobody holds it). */
static int try_lock(int dir_fd)
{
    struct stat st;
    int fd;

    if (fstatat(dir_fd, PAR_SWEEP_LOCK_NAME, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return -1;
    if (!same_fs(dir_fd, PAR_SWEEP_LOCK_NAME))
        return -2;   /* a mount point over the lock: busy, left alone */
    fd = openat(dir_fd, PAR_SWEEP_LOCK_NAME, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EINTR) {
            close(fd);
            return -2;
        }
    }
    return fd;
}

static int older_than_grace(int dir_fd)
{
    struct stat st;
    time_t newest;

    if (fstat(dir_fd, &st) != 0)
        return 0;
    newest = st.st_mtime > st.st_ctime ? st.st_mtime : st.st_ctime;
    return newest + PAR_SWEEP_SETUP_GRACE < time(NULL);
}

/* Judges the open folder DIR_FD; a dead one is returned with its lock held
 * in *lock_fd (-1: it has no lock file). */
static enum par_session_state judge(int dir_fd, long long *login_start, int *lock_fd)
{
    struct manifest_facts f;
    int named, dead;

    *lock_fd = -1;
    *login_start = -1;
    named = read_facts(dir_fd, &f) == 0 && f.pid >= 0 && f.start >= 0;
    if (f.ended)
        dead = 1;
    else if (named)
        dead = process_gone(f.pid, f.start);
    else
        dead = older_than_grace(dir_fd);
    if (!dead) {
        *login_start = f.start;
        return named ? PAR_SESSION_LIVE : PAR_SESSION_BUSY;
    }
    *lock_fd = try_lock(dir_fd);
    return *lock_fd == -2 ? PAR_SESSION_BUSY : PAR_SESSION_DEAD;
}

/* Like judge, by name; a name that is no folder (a link, a file) is dead. */
static enum par_session_state judge_at(int user_fd, const char *id, long long *login_start,
                                       int *lock_fd)
{
    int dir_fd;
    enum par_session_state state;

    *lock_fd = -1;
    *login_start = -1;
    if (!same_fs(user_fd, id))
        return PAR_SESSION_BUSY;   /* gone meanwhile, or a mount point: left alone */
    dir_fd = openat(user_fd, id, DIR_FLAGS);
    if (dir_fd < 0)
        return errno == ELOOP || errno == ENOTDIR ? PAR_SESSION_DEAD : PAR_SESSION_BUSY;
    state = judge(dir_fd, login_start, lock_fd);
    close(dir_fd);
    return state;
}

enum par_session_state par_session_state(int user_fd, const char *id, long long *login_start)
{
    int lock_fd;
    enum par_session_state state = judge_at(user_fd, id, login_start, &lock_fd);

    if (lock_fd >= 0)
        close(lock_fd);
    return state;
}

/* Judges ID and removes it when dead, under its lock. */
static void sweep_one(int user_fd, const char *id, struct par_sweep *out)
{
    long long start;
    int lock_fd;

    out->examined++;
    if (judge_at(user_fd, id, &start, &lock_fd) != PAR_SESSION_DEAD)
        return;
    if (par_rm_session_at(user_fd, id) == 0)
        out->removed++;
    else
        out->failed++;
    if (lock_fd >= 0)
        close(lock_fd);
}

static int out_of_bounds(const struct par_sweep *out, unsigned max_examined,
                         long long deadline_ms)
{
    return (max_examined > 0 && out->examined >= max_examined) ||
           (deadline_ms > 0 && par_now_ms() >= deadline_ms);
}

int par_sweep_dead(int user_fd, const char *keep, unsigned max_examined,
                   long long deadline_ms, struct par_sweep *out)
{
    char buf[4096] __attribute__((aligned(8)));
    int dir_fd = openat(user_fd, ".", DIR_FLAGS);

    memset(out, 0, sizeof(*out));
    if (dir_fd < 0)
        return -1;
    for (;;) {
        long n = syscall(SYS_getdents64, dir_fd, buf, sizeof(buf));

        if (n <= 0)
            break;
        for (long off = 0; off < n;) {
            struct sweep_dirent64 *e = (struct sweep_dirent64 *)(buf + off);

            off += e->d_reclen;
            if (!par_valid_session_id(e->d_name) || (keep && strcmp(e->d_name, keep) == 0))
                continue;
            if (out_of_bounds(out, max_examined, deadline_ms)) {
                out->cut_short = 1;
                close(dir_fd);
                return (int)out->removed;
            }
            sweep_one(user_fd, e->d_name, out);
        }
    }
    close(dir_fd);
    return (int)out->removed;
}
