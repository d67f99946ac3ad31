/*
 * pam-assume-role sweep [-c CONFIG]: removes the session folders of logins
 * that have ended. Run by root (the pam-assume-role-sweep timer), it sweeps
 * every person's RUN_DIR/UID in a child that is that person (uid, gid,
 * groups), bounded in count and time; run by a person, their own folder.
 * Root itself never opens a person's folder.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "commands.h"
#include "config.h"
#include "proctime.h"
#include "rmsession.h"
#include "sweep.h"
#include "valid.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define PERSON_MAX_FOLDERS 4096    /* session folders looked at per person and run */
#define PERSON_SWEEP_MS 3000       /* a person's sweep stops here ... */
#define PERSON_KILL_MS 5000        /* ... and its child is killed here */
#define PERSON_REAP_MS 1000        /* ... and reaped within this, or left behind */

/* The person's own sweep, in the calling process; 0, or -1 with a line said. */
static int sweep_own(const char *run_dir, uid_t uid, struct par_sweep *out)
{
    int fd = par_user_dir_open(run_dir, uid), rc;

    memset(out, 0, sizeof(*out));
    if (fd < 0 && errno == ENOENT)
        return 0;   /* no login of this person since the last boot or logout */
    if (fd < 0) {
        fprintf(stderr, "pam-assume-role sweep: cannot open %s/%u: %s; it must be a folder of "
                "uid %u, mode 0700: ask the admin to remove it\n", run_dir, (unsigned)uid,
                errno == EPERM ? "wrong owner or mode" : strerror(errno), (unsigned)uid);
        return -1;
    }
    rc = par_sweep_dead(fd, NULL, PERSON_MAX_FOLDERS, par_now_ms() + PERSON_SWEEP_MS, out);
    close(fd);
    if (rc < 0)
        fprintf(stderr, "pam-assume-role sweep: cannot read %s/%u: %s\n", run_dir,
                (unsigned)uid, strerror(errno));
    return rc < 0 ? -1 : 0;
}

/* Becomes UID for good: its groups from the account, or none (and the
 * folder's group) when the account is gone. */
static int become_person(uid_t uid, gid_t folder_gid)
{
    struct passwd pw, *res = NULL;
    char buf[4096];
    gid_t gid = folder_gid;

    if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL) {
        gid = pw.pw_gid;
        if (initgroups(pw.pw_name, gid) != 0)
            return -1;
    } else if (setgroups(0, NULL) != 0) {
        return -1;
    }
    if (setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
        return -1;
    return uid == 0 || setuid(0) != 0 ? 0 : -1;
}

static void say_result(uid_t uid, const struct par_sweep *r)
{
    if (r->removed > 0)
        printf("pam-assume-role sweep: uid %u: removed %u dead session folder%s\n",
               (unsigned)uid, r->removed, r->removed == 1 ? "" : "s");
    if (r->failed > 0)
        fprintf(stderr, "pam-assume-role sweep: uid %u: %u dead session folders could not be "
                "removed; the next sweep tries again\n", (unsigned)uid, r->failed);
    if (r->cut_short)
        fprintf(stderr, "pam-assume-role sweep: uid %u: stopped after %u folders (its bound); "
                "the next sweep goes on\n", (unsigned)uid, r->examined);
    fflush(stdout);
}

static void person_child(const char *run_dir, uid_t uid, gid_t gid, int report_fd)
{
    struct par_sweep r;

    if (become_person(uid, gid) != 0) {
        fprintf(stderr, "pam-assume-role sweep: cannot become uid %u: %s; run the sweep as "
                "root\n", (unsigned)uid, strerror(errno));
        _exit(1);
    }
    if (sweep_own(run_dir, uid, &r) != 0)
        _exit(1);
    say_result(uid, &r);
    _exit(write(report_fd, "k", 1) == 1 ? 0 : 1);
}

/*
 * Reaps the child within PERSON_REAP_MS. A child killed in a file system
 * call its person controls (a FUSE server that never answers a close) may
 * not die at once: it is left to init, so one person can never hold up
 * the sweep of everyone after them.
 */
static void reap_person(pid_t pid, uid_t uid)
{
    long long deadline = par_now_ms() + PERSON_REAP_MS;

    while (waitpid(pid, NULL, WNOHANG) == 0) {
        if (par_now_ms() >= deadline) {
            kill(pid, SIGKILL);
            fprintf(stderr, "pam-assume-role sweep: uid %u: its sweep does not end; left "
                    "behind, the others go on\n", (unsigned)uid);
            return;
        }
        usleep(10000);
    }
}

/* Waits for the child's report until PERSON_KILL_MS, then reaps it (killed
 * when late); 0 when it finished its sweep. */
static int wait_person(pid_t pid, int report_fd, uid_t uid)
{
    struct pollfd p = { .fd = report_fd, .events = POLLIN };
    long long deadline = par_now_ms() + PERSON_KILL_MS;
    char c;
    int n, status = 0;

    for (;;) {
        long long left = deadline - par_now_ms();

        n = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (n >= 0 || errno != EINTR)
            break;
    }
    if (n > 0) {
        /* The report, or the end of the pipe: either way no wait. */
        status = read(report_fd, &c, 1) == 1;
    } else {
        kill(pid, SIGKILL);
        fprintf(stderr, "pam-assume-role sweep: uid %u: no end within %d s, stopped; the "
                "next sweep tries again\n", (unsigned)uid, PERSON_KILL_MS / 1000);
    }
    reap_person(pid, uid);
    return status ? 0 : -1;
}

static int sweep_person(const char *run_dir, uid_t uid, gid_t gid)
{
    int fds[2], rc;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
        fprintf(stderr, "pam-assume-role sweep: cannot start the sweep of uid %u: %s\n",
                (unsigned)uid, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        person_child(run_dir, uid, gid, fds[1]);
    }
    close(fds[1]);
    rc = wait_person(pid, fds[0], uid);
    close(fds[0]);
    return rc;
}

/* NAME as a uid: decimal digits, no leading zero, below 2^32 - 1. */
static int parse_uid(const char *name, uid_t *uid)
{
    unsigned long long v = 0;
    size_t n = strlen(name);

    if (n == 0 || n > 10 || (n > 1 && name[0] == '0'))
        return -1;
    for (const char *p = name; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v >= 0xffffffffULL)
        return -1;
    *uid = (uid_t)v;
    return 0;
}

/* RUN_DIR must be root's and closed to writes by others. */
static int open_run_dir(const char *run_dir)
{
    struct stat st;
    int fd = open(run_dir, DIR_FLAGS);

    if (fd < 0) {
        if (errno == ENOENT)
            return -2;   /* nobody logged in since boot */
        fprintf(stderr, "pam-assume-role sweep: cannot open %s: %s\n", run_dir, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || st.st_uid != 0 || (st.st_mode & 022) != 0) {
        fprintf(stderr, "pam-assume-role sweep: %s is not root's or is writable by others: "
                "remove it (the module makes it again at the next login)\n", run_dir);
        close(fd);
        return -1;
    }
    return fd;
}

static int sweep_everyone(const char *run_dir)
{
    int top = open_run_dir(run_dir), rc = 0, fd;
    struct dirent *e;
    struct stat st;
    DIR *d;
    uid_t uid;

    if (top == -2)
        return 0;
    if (top < 0)
        return 1;
    if ((fd = dup(top)) < 0 || (d = fdopendir(fd)) == NULL) {
        fprintf(stderr, "pam-assume-role sweep: cannot read %s: %s\n", run_dir, strerror(errno));
        close(top);
        return 1;
    }
    while ((e = readdir(d)) != NULL) {
        if (parse_uid(e->d_name, &uid) != 0 ||
            fstatat(top, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (st.st_uid == 0 && uid != 0)
            continue;   /* root's folder beneath an unmounted one: no login since */
        if (st.st_uid != uid) {
            fprintf(stderr, "pam-assume-role sweep: %s/%s is owned by uid %u, not %u: skipped; "
                    "remove it\n", run_dir, e->d_name, (unsigned)st.st_uid, (unsigned)uid);
            rc = 1;
            continue;
        }
        if (sweep_person(run_dir, uid, st.st_gid) != 0)
            rc = 1;
    }
    closedir(d);
    close(top);
    return rc;
}

static int sweep_usage(void)
{
    fprintf(stderr, "usage: pam-assume-role sweep [-c CONFIG]\n");
    return 2;
}

int par_cmd_sweep(int argc, char **argv)
{
    const char *path = PAR_CONFIG_PATH;
    struct par_config cfg;
    struct par_sweep r;
    char err[512], run_dir[PAR_MAX_PATH];
    int rc;

    if (argc == 3 && strcmp(argv[1], "-c") == 0)
        path = argv[2];
    else if (argc != 1)
        return sweep_usage();
    if (par_config_load(path, 0, &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "pam-assume-role sweep: %s\n", err);
        return 1;
    }
    snprintf(run_dir, sizeof(run_dir), "%s", cfg.run_dir ? cfg.run_dir : PAR_RUN_DIR);
    par_config_free(&cfg);
    if (geteuid() == 0)
        return sweep_everyone(run_dir);
    rc = sweep_own(run_dir, getuid(), &r);
    if (rc == 0)
        say_result(getuid(), &r);
    return rc == 0 ? 0 : 1;
}
