/*
 * check-config as root: can an unprivileged account execute the configured
 * helper? The module runs it as the person logging in, so a folder on its
 * path that others cannot search, or a file others cannot execute, leaves
 * every login without credentials. A child drops to nobody (uid 65534),
 * checks each folder and the file with access(), then really executes
 * "HELPER --version", and tells the parent what failed over a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "compat.h"
#include "pathcheck.h"
#include "exec_check.h"

#define PAR_UNPRIVILEGED_UID 65534
#define PAR_EXEC_CHECK_MS 5000

enum what_failed { FAILED_NOTHING = 0, FAILED_DROP, FAILED_FOLDER, FAILED_FILE, FAILED_EXEC };

struct exec_finding {
    int what;          /* enum what_failed */
    int err;           /* errno */
    int folder_len;    /* FAILED_FOLDER: helper[0..folder_len) */
};

struct account {
    char name[64];
    uid_t uid;
    gid_t gid;
};

static void __attribute__((noreturn)) child_report(int fd, int what, int err, int folder_len)
{
    struct exec_finding f = { what, err, folder_len };

    (void)!write(fd, &f, sizeof(f));
    _exit(127);
}

/* In the child, as the account: the first folder on path it cannot search. */
static void check_folders(int fd, const char *path)
{
    int folder = par_unsearchable_folder(path);

    if (folder > 0)
        child_report(fd, FAILED_FOLDER, errno, folder);
}

/* Root's other descriptors (a config, a log) must not reach what runs as nobody. */
static void close_all_but(int keep)
{
    if (keep > 3 && par_close_range(3, (unsigned)keep - 1, 0) != 0)
        for (int i = 3; i < keep; i++)
            (void)close(i);
    if (par_close_range((unsigned)keep + 1, UINT_MAX, 0) != 0)
        for (int i = keep + 1; i < 65536; i++)
            (void)close(i);
}

static void __attribute__((noreturn))
check_as(const struct account *a, const char *helper, int fd)
{
    char *const argv[] = { (char *)"pam-assume-role", (char *)"--version", NULL };
    char *const envp[] = { (char *)"PATH=/usr/bin:/bin", NULL };
    int lifted = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int null;

    if (lifted >= 0)
        fd = lifted;
    null = open("/dev/null", O_RDWR | O_CLOEXEC);

    if (null < 0 || dup2(null, 0) != 0 || dup2(null, 1) != 1 || dup2(null, 2) != 2 ||
        chdir("/") != 0 || setgroups(0, NULL) != 0 || setresgid(a->gid, a->gid, a->gid) != 0 ||
        setresuid(a->uid, a->uid, a->uid) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        child_report(fd, FAILED_DROP, errno, 0);
    close_all_but(fd);
    check_folders(fd, helper);
    if (access(helper, X_OK) != 0)
        child_report(fd, errno == EACCES ? FAILED_FILE : FAILED_EXEC, errno, 0);
    execve(helper, argv, envp);
    child_report(fd, FAILED_EXEC, errno, 0);
}

/* nobody by name, else whoever has uid 65534, else uid 65534 itself. */
static void unprivileged_account(struct account *a)
{
    const struct passwd *pw = getpwnam("nobody");

    if (pw == NULL || pw->pw_uid == 0)
        pw = getpwuid(PAR_UNPRIVILEGED_UID);
    a->uid = pw != NULL ? pw->pw_uid : PAR_UNPRIVILEGED_UID;
    a->gid = pw != NULL ? pw->pw_gid : PAR_UNPRIVILEGED_UID;
    if (pw != NULL)
        snprintf(a->name, sizeof(a->name), "%s", pw->pw_name);
    else
        snprintf(a->name, sizeof(a->name), "uid-%u", (unsigned)a->uid);
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Reads what the child found and reaps it, both within PAR_EXEC_CHECK_MS
 * (killed then); its exit status, or -1 when it had to be killed.
 */
static int reap_by(pid_t pid, int fd, struct exec_finding *f)
{
    long long deadline = now_ms() + PAR_EXEC_CHECK_MS;
    struct pollfd p = { fd, POLLIN, 0 };
    struct timespec nap = { 0, 20 * 1000 * 1000 };
    int status = -1;
    ssize_t n = 0;

    if (poll(&p, 1, PAR_EXEC_CHECK_MS) > 0)
        n = read(fd, f, sizeof(*f));
    if (n != (ssize_t)sizeof(*f))
        f->what = FAILED_NOTHING;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (now_ms() >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        nanosleep(&nap, NULL);
    }
    return status;
}

static void say_finding(const char *helper, const char *config_path, const struct account *a,
                        const struct exec_finding *f)
{
    const char *consequence = "so the module cannot run the helper as the person logging in";

    if (f->what == FAILED_FOLDER && f->err == EACCES)
        fprintf(stderr, "%s: the folder %.*s is not searchable by %s (uid %u), %s; chmod o+x "
                "%.*s\n", helper, f->folder_len, helper, a->name, (unsigned)a->uid, consequence,
                f->folder_len, helper);
    else if (f->err == ENOENT || f->err == ENOTDIR)
        fprintf(stderr, "%s: not found; install the helper there, or set helper = "
                "\"/path/to/pam-assume-role\"; in %s\n", helper, config_path);
    else if (f->what == FAILED_FILE)
        fprintf(stderr, "%s: not executable by %s (uid %u), %s; chmod 0711 %s\n", helper,
                a->name, (unsigned)a->uid, consequence, helper);
    else if (f->what == FAILED_DROP)
        fprintf(stderr, "%s: cannot check it as %s (uid %u): %s; run check-config as root\n",
                helper, a->name, (unsigned)a->uid, strerror(f->err));
    else if (f->err == ENOEXEC)
        fprintf(stderr, "%s: %s (uid %u) cannot execute it: %s; install the helper built for "
                "this machine there\n", helper, a->name, (unsigned)a->uid, strerror(f->err));
    else
        fprintf(stderr, "%s: %s (uid %u) cannot execute it: %s; check the file and its mount "
                "(not noexec)\n", helper, a->name, (unsigned)a->uid, strerror(f->err));
}

int par_check_helper_exec(const char *helper, const char *config_path)
{
    struct exec_finding f = { FAILED_NOTHING, 0, 0 };
    struct account a;
    int pipe_fd[2], status;
    pid_t pid;

    unprivileged_account(&a);
    fflush(NULL);
    if (pipe2(pipe_fd, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
        fprintf(stderr, "%s: cannot check it as %s: %s; try again\n", helper, a.name,
                strerror(errno));
        return 1;
    }
    if (pid == 0)
        check_as(&a, helper, pipe_fd[1]);
    close(pipe_fd[1]);
    status = reap_by(pid, pipe_fd[0], &f);
    close(pipe_fd[0]);
    if (f.what != FAILED_NOTHING) {
        say_finding(helper, config_path, &a, &f);
        return 1;
    }
    if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s: '%s --version' as %s (uid %u) did not succeed; install a working "
                "helper there\n", helper, helper, a.name, (unsigned)a.uid);
        return 1;
    }
    printf("helper %s: %s (uid %u) can execute it\n", helper, a.name, (unsigned)a.uid);
    return 0;
}
