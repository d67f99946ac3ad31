/*
 * Runs the helper: fork, drop to the person, exec with an environment built
 * here (nothing from the caller); the request goes in on a pipe, the report
 * comes back on another, all within a hard deadline after which the helper
 * is killed and reaped. Only this child is waited for.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "compat.h"
#include "pathcheck.h"
#include "proctime.h"
#include "module.h"
#include "wipe.h"

#define PAR_ENV_COUNT 6

struct par_child {
    const char *argv[6];
    char env_buf[PAR_ENV_COUNT][1100];
    char *envp[PAR_ENV_COUNT + 1];
    gid_t *groups;               /* malloc'd before fork; free with child_free */
    size_t n_groups;
};

const char *par_helper_path(const struct par_config *cfg)
{
    return cfg->helper != NULL ? cfg->helper : PAR_HELPER_PATH;
}

/*
 * The person's groups, as many as the system allows (LDAP and AD accounts
 * can be in thousands): getgrouplist says how many when the room is short.
 */
static int person_groups(const struct par_person *p, struct par_child *c)
{
    long max = sysconf(_SC_NGROUPS_MAX);
    int n = 64;

    for (int tries = 0; tries < 4; tries++) {
        int room = n;

        free(c->groups);
        c->groups = calloc((size_t)room + 1, sizeof(gid_t));
        if (c->groups == NULL)
            return -1;
        if (getgrouplist(p->name, p->gid, c->groups, &n) >= 0) {
            c->n_groups = (size_t)n;
            return max > 0 && n > max ? -1 : 0;  /* setgroups would refuse: say so now */
        }
        if (n <= room)
            return -1;
    }
    return -1;
}

static void child_free(struct par_child *c)
{
    free(c->groups);
    c->groups = NULL;
}

/* Everything the child needs, prepared before fork (no allocation after it). */
static int prepare_child(const struct par_run *run, struct par_child *c)
{
    const struct par_person *p = run->person;
    const char *fmt[PAR_ENV_COUNT][2] = {
        { "PATH=", "/usr/bin:/bin" }, { "HOME=", p->home }, { "USER=", p->name },
        { "LOGNAME=", p->name }, { "SHELL=", p->shell }, { "LANG=", "C.UTF-8" },
    };

    c->groups = NULL;
    c->n_groups = 0;
    c->argv[0] = "pam-assume-role";
    c->argv[1] = run->command;
    c->argv[2] = "-c";
    c->argv[3] = run->config_path;
    c->argv[4] = NULL;
    if (p == NULL)
        return -1;
    for (size_t i = 0; i < PAR_ENV_COUNT; i++) {
        int len = snprintf(c->env_buf[i], sizeof(c->env_buf[i]), "%s%s", fmt[i][0], fmt[i][1]);
        if (len < 0 || (size_t)len >= sizeof(c->env_buf[i]))
            return -1;
        c->envp[i] = c->env_buf[i];
    }
    c->envp[PAR_ENV_COUNT] = NULL;
    return person_groups(p, c);
}

/* The child's end of the exec-error pipe sits at this number while it execs. */
#define PAR_EXEC_ERR_FD 3

/* Moves fd above 0..PAR_EXEC_ERR_FD so the dup2s onto those cannot clash. */
static int lift_fd(int fd)
{
    return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, PAR_EXEC_ERR_FD + 1);
}

static void close_other_fds(void)
{
    if (par_close_range(PAR_EXEC_ERR_FD + 1, UINT_MAX, 0) != 0)
        for (int fd = PAR_EXEC_ERR_FD + 1; fd < 65536; fd++)
            (void)close(fd);
}

static void reset_signals(void)
{
    sigset_t none;
    struct sigaction dfl;

    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        (void)sigaction(sig, &dfl, NULL);
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
}

static int drop_to(const struct par_person *p, const struct par_child *c)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;

    if (setgroups(c->n_groups, c->groups) != 0 || setresgid(p->gid, p->gid, p->gid) != 0 ||
        setresuid(p->uid, p->uid, p->uid) != 0)
        return -1;
    if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
        ru != p->uid || eu != p->uid || su != p->uid ||
        rg != p->gid || eg != p->gid || sg != p->gid)
        return -1;
    if (p->uid != 0 && setuid(0) == 0)
        return -1;  /* root could be regained: never exec like that */
    return 0;
}

/*
 * For a child that keeps the host's memory (no exec) while it is the person:
 * no core file and not dumpable, so the person can neither ptrace it nor make
 * it dump what sshd, sudo or su hold (root's password under su, host keys).
 */
static int drop_to_undumpable(const struct par_person *p, const struct par_child *c)
{
    struct rlimit none = { 0, 0 };

    if (setrlimit(RLIMIT_CORE, &none) != 0 || drop_to(p, c) != 0)
        return -1;
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -1;
}

/* In the child: tells the parent why there is no exec, and ends. */
static void __attribute__((noreturn)) child_fail(int err_fd, int stage, int err, int folder_len)
{
    struct par_exec_error e = { stage, err, folder_len };

    (void)!write(err_fd, &e, sizeof(e));  /* < PIPE_BUF: one atomic write */
    _exit(127);
}

static void __attribute__((noreturn)) child_exec_failed(const char *helper, int err)
{
    int folder;

    if (err != EACCES)
        child_fail(PAR_EXEC_ERR_FD, PAR_EXEC_CALL, err, 0);
    folder = par_unsearchable_folder(helper);
    if (folder > 0)
        child_fail(PAR_EXEC_ERR_FD, PAR_EXEC_FOLDER, err, folder);
    child_fail(PAR_EXEC_ERR_FD, access(helper, X_OK) != 0 ? PAR_EXEC_MODE : PAR_EXEC_CALL,
               err, 0);
}

/*
 * In the child: only async-signal-safe calls, then exec or _exit(127). The
 * exec-error pipe stays open at PAR_EXEC_ERR_FD, close-on-exec: EOF for
 * the parent when execve worked, a struct par_exec_error when not.
 */
static void __attribute__((noreturn))
child_exec(const struct par_run *run, const struct par_child *c, int req_r, int rep_w,
           int err_w)
{
    int in = lift_fd(req_r), out = lift_fd(rep_w), err = lift_fd(err_w);
    int null = lift_fd(open("/dev/null", O_WRONLY | O_CLOEXEC));

    if (err < 0)
        child_fail(err_w, PAR_EXEC_SETUP, errno, 0);
    if (in < 0 || out < 0 || null < 0 || dup2(in, 0) != 0 || dup2(out, 1) != 1 ||
        dup2(null, 2) != 2 || dup3(err, PAR_EXEC_ERR_FD, O_CLOEXEC) != PAR_EXEC_ERR_FD)
        child_fail(err, PAR_EXEC_SETUP, errno, 0);
    close_other_fds();
    reset_signals();
    umask(077);
    errno = EPERM;  /* drop_to's own refusal (root regainable) sets none */
    if (chdir("/") != 0 || drop_to(run->person, c) != 0)
        child_fail(PAR_EXEC_ERR_FD, PAR_EXEC_SETUP, errno, 0);
    execve(run->helper, (char *const *)c->argv, c->envp);
    child_exec_failed(run->helper, errno);
}

/* Writes what fits without blocking; SIGPIPE stays blocked around the write. */
static int write_some(int fd, const char *buf, size_t len, size_t *done)
{
    sigset_t pipe_set, old, pending;
    ssize_t n;
    int was_pending;
    struct timespec zero = { 0, 0 };

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_set, &old);
    n = write(fd, buf + *done, len - *done);
    if (n < 0 && errno == EPIPE && !was_pending)
        (void)sigtimedwait(&pipe_set, NULL, &zero);  /* consume our own SIGPIPE */
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    *done += (size_t)n;
    return 0;
}

/* 1: report complete (EOF), 0: more to come, -1: error or too long. */
static int read_some(int fd, struct par_run *run)
{
    size_t room = sizeof(run->report) - 1 - run->report_len;
    ssize_t n;

    if (room == 0)
        return -1;
    n = read(fd, run->report + run->report_len, room);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    if (n == 0)
        return 1;
    run->report_len += (size_t)n;
    return run->report_len > PAR_MSG_MAX ? -1 : 0;
}

/* Feeds the request and collects the report until EOF, error or the deadline. */
static enum par_run_result exchange(struct par_run *run, int *req_fd, int rep_r, long long deadline)
{
    size_t written = 0;
    int req_w = *req_fd;

    fcntl(req_w, F_SETFL, O_NONBLOCK);
    for (;;) {
        struct pollfd pfd[2] = { { rep_r, POLLIN, 0 }, { req_w, POLLOUT, 0 } };
        long long left = deadline - par_now_ms();
        int r;

        if (left <= 0)
            return PAR_RUN_TIMEOUT;
        r = poll(pfd, req_w >= 0 ? 2 : 1, (int)left);
        if (r < 0 && errno != EINTR)
            return PAR_RUN_FAILED;
        if (r <= 0)
            continue;
        if (req_w >= 0 && pfd[1].revents != 0) {
            if ((pfd[1].revents & (POLLERR | POLLHUP)) ||
                write_some(req_w, run->request, run->request_len, &written) != 0)
                written = run->request_len;  /* the helper stopped reading */
            if (written == run->request_len) {
                close(req_w);
                req_w = *req_fd = -1;
            }
        }
        if (pfd[0].revents != 0) {
            int got = read_some(rep_r, run);
            if (got != 0)
                return got > 0 ? PAR_RUN_OK : PAR_RUN_FAILED;
        }
    }
}

/*
 * Waits until pid has exited or the deadline passed, without reaping it.
 * A pidfd wakes us the moment the child exits; kernels without pidfd_open
 * get short, growing sleeps instead.
 */
static void wait_exit(pid_t pid, long long deadline)
{
    int pfd = par_pidfd_open(pid, 0);
    long nap_us = 200;

    for (;;) {
        long long left = deadline - par_now_ms();
        siginfo_t info = { .si_pid = 0 };

        if (left <= 0)
            break;
        if (pfd >= 0) {
            struct pollfd p = { pfd, POLLIN, 0 };

            if (poll(&p, 1, (int)left) != 0 && (p.revents != 0 || errno != EINTR))
                break;
            continue;
        }
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != 0)
            break;
        usleep((useconds_t)nap_us);
        nap_us = nap_us < 5000 ? nap_us * 2 : 5000;
    }
    if (pfd >= 0)
        close(pfd);
}

/*
 * A killed child ends at once unless it is stuck in the kernel (a hard NFS
 * mount): wait at most a second for it, then leave it rather than the login.
 */
static void reap_killed(pid_t pid, int *status)
{
    for (int i = 0; i < 100; i++) {
        pid_t r = waitpid(pid, status, WNOHANG);

        if (r == pid || (r < 0 && errno != EINTR))
            return;
        usleep(10000);
    }
}

/* Reaps pid by the deadline, killing it at the deadline. */
static enum par_run_result reap(pid_t pid, long long deadline, enum par_run_result so_far,
                                int *status)
{
    if (so_far != PAR_RUN_TIMEOUT) {
        pid_t r;

        wait_exit(pid, deadline);
        while ((r = waitpid(pid, status, WNOHANG)) < 0 && errno == EINTR)
            ;
        if (r == pid)
            return so_far == PAR_RUN_OK && WIFEXITED(*status) && WEXITSTATUS(*status) == 0
                       ? PAR_RUN_OK : PAR_RUN_FAILED;
        if (r < 0)
            return PAR_RUN_FAILED;
    }
    (void)kill(pid, SIGKILL);
    reap_killed(pid, status);
    return PAR_RUN_TIMEOUT;
}

/*
 * After the child is reaped (so no wait is added): what it wrote on the
 * exec-error pipe, if anything.
 */
static enum par_run_result read_exec_error(int err_r, struct par_run *run,
                                           enum par_run_result so_far)
{
    struct par_exec_error e;
    ssize_t n;

    while ((n = read(err_r, &e, sizeof(e))) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof(e) || e.stage <= PAR_EXEC_RAN || e.stage > PAR_EXEC_MODE)
        return so_far;
    if (e.folder_len < 0 || (size_t)e.folder_len > strlen(run->helper))
        e.folder_len = 0;
    run->exec = e;
    return PAR_RUN_NOEXEC;
}

static enum par_run_result fork_and_talk(struct par_run *run, struct par_child *c,
                                         int req[2], int rep[2], int err[2], long long deadline)
{
    enum par_run_result res;
    pid_t pid = fork();

    if (pid == 0)
        child_exec(run, c, req[0], rep[1], err[1]);
    close(req[0]);
    close(rep[1]);
    close(err[1]);
    if (pid < 0) {
        close(req[1]);
        close(rep[0]);
        close(err[0]);
        return PAR_RUN_NOSTART;
    }
    res = exchange(run, &req[1], rep[0], deadline);
    if (req[1] >= 0)
        close(req[1]);
    close(rep[0]);
    res = reap(pid, deadline, res, &run->wait_status);
    res = read_exec_error(err[0], run, res);
    close(err[0]);
    return res;
}

/*
 * Runs FN(ARG) in a child that already is the person (uid, gid, groups),
 * without exec: for work that needs no program, only system calls (FN must
 * be async-signal-safe, so that any host, threaded or not, can fork). The
 * child is reaped by the deadline, killed at it.
 */
enum par_run_result par_fork_as(pam_handle_t *pamh, const struct par_person *person,
                                int (*fn)(const void *arg), const void *arg, long deadline_ms)
{
    struct par_run run = { .person = person };
    struct par_child child;
    struct sigaction dfl, old_chld;
    enum par_run_result res = PAR_RUN_NOSTART;
    long long deadline = par_now_ms() + deadline_ms;
    int status = 0;
    pid_t pid;

    if (prepare_child(&run, &child) != 0) {
        child_free(&child);
        par_log(pamh, LOG_ERR, "cannot act as %s: the account is incomplete or in more "
                "groups than the system allows", person->name);
        return PAR_RUN_NOSTART;
    }
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &dfl, &old_chld);
    pid = fork();
    if (pid == 0) {
        reset_signals();
        _exit(drop_to_undumpable(person, &child) == 0 && fn(arg) == 0 ? 0 : 1);
    }
    if (pid > 0)
        res = reap(pid, deadline, PAR_RUN_OK, &status);
    sigaction(SIGCHLD, &old_chld, NULL);
    child_free(&child);
    return res;
}

/* The request, report and exec-error pipes, all close-on-exec; 0 or -1 (none left open). */
static int open_pipes(int req[2], int rep[2], int err[2])
{
    if (pipe2(req, O_CLOEXEC) != 0)
        return -1;
    if (pipe2(rep, O_CLOEXEC) == 0) {
        if (pipe2(err, O_CLOEXEC | O_NONBLOCK) == 0)
            return 0;
        close(rep[0]);
        close(rep[1]);
    }
    close(req[0]);
    close(req[1]);
    return -1;
}

enum par_run_result par_run_helper(pam_handle_t *pamh, const struct par_opts *opts,
                                   struct par_run *run)
{
    struct par_child child;
    struct sigaction dfl, old_chld;
    int req[2], rep[2], err[2];
    long long start = par_now_ms();
    enum par_run_result res;

    run->report_len = 0;
    run->report[0] = '\0';
    run->wait_status = 0;
    memset(&run->exec, 0, sizeof(run->exec));
    child.groups = NULL;
    if (run->helper[0] != '/' || prepare_child(run, &child) != 0) {
        child_free(&child);
        par_log(pamh, LOG_ERR, "cannot start helper '%s': it must be an absolute path and "
                "the person's account must be complete, in no more groups than the system "
                "allows", run->helper);
        return PAR_RUN_NOSTART;
    }
    if (open_pipes(req, rep, err) != 0) {
        child_free(&child);
        return PAR_RUN_NOSTART;
    }
    /* A host handler that reaps every child would steal the helper's status. */
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &dfl, &old_chld);
    res = fork_and_talk(run, &child, req, rep, err,
                        run->deadline_at > 0 ? run->deadline_at : start + run->deadline_ms);
    sigaction(SIGCHLD, &old_chld, NULL);
    child_free(&child);
    run->report[run->report_len] = '\0';
    par_debug(pamh, opts, "helper %s %s: result %d, wait status 0x%x, %lld ms", run->helper,
              run->command, (int)res, (unsigned)run->wait_status, par_now_ms() - start);
    return res;
}
