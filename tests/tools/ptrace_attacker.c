/*
 * A hostile process of the person, for tests/hardening/check_ptrace. Run as
 * root; it drops to -u UID -g GID first.
 *
 *   ptrace_attacker race -u UID -g GID -n NAME -s STOPFILE -o OUT
 *     Until STOPFILE exists: scans /proc for new processes of UID named NAME
 *     and tries PTRACE_SEIZE on each. When one succeeds it follows the
 *     process's system calls and reads what each read(0, ...) returned,
 *     looking for "code=". OUT gets one line:
 *     "seen=N attached=N refused=N codes_read=N".
 *
 *   ptrace_attacker traceme -u UID -g GID -- PROG ARGS...
 *     Runs PROG traced from before exec (PTRACE_TRACEME), stdin and stdout
 *     inherited; exits with PROG's status.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define MAX_PID (1 << 22)

struct race {
    uid_t uid;
    const char *name;
    unsigned char *tried;   /* one byte per pid */
    long seen, attached, refused, codes_read;
};

static int drop_to(uid_t uid, gid_t gid)
{
    if (setgroups(1, &gid) != 0 || setresgid(gid, gid, gid) != 0 ||
        setresuid(uid, uid, uid) != 0) {
        perror("ptrace_attacker: drop privileges");
        return -1;
    }
    return 0;
}

/* Whether ADDR..ADDR+LEN of the stopped tracee holds "code=". */
static int memory_has_code(pid_t pid, unsigned long addr, long len)
{
    char buf[16384 + sizeof(long)];
    long got = 0;

    if (len > 16384)
        len = 16384;
    while (got < len) {
        long word;

        errno = 0;
        word = ptrace(PTRACE_PEEKDATA, pid, (void *)(addr + (unsigned long)got), NULL);
        if (word == -1 && errno != 0)
            break;
        memcpy(buf + got, &word, sizeof(word));
        got += (long)sizeof(word);
    }
    if (got > len)
        got = len;
    buf[got] = '\0';
    return memmem(buf, (size_t)got, "code=", 5) != NULL;
}

/*
 * The kernel refuses PTRACE_PEEKDATA, even to an attached tracer, once the
 * tracee made itself non-dumpable: at the entry of its
 * prctl(PR_SET_DUMPABLE, 0) the attacker turns the 0 into a 1.
 */
static void keep_dumpable(pid_t pid, const struct __ptrace_syscall_info *info)
{
#ifdef __x86_64__
    struct user_regs_struct regs;

    if (info->entry.nr != SYS_prctl || info->entry.args[0] != PR_SET_DUMPABLE ||
        ptrace(PTRACE_GETREGS, pid, NULL, &regs) != 0)
        return;
    regs.rsi = 1;
    ptrace(PTRACE_SETREGS, pid, NULL, &regs);
#else
    (void)pid;
    (void)info;
#endif
}

/* At each read(0, buf, n) exit, looks at buf; until the tracee is gone. */
static void follow(struct race *r, pid_t pid)
{
    struct __ptrace_syscall_info info;
    unsigned long buf_addr = 0;
    int status, reading_stdin = 0;

    ptrace(PTRACE_INTERRUPT, pid, NULL, NULL);
    while (waitpid(pid, &status, __WALL) == pid) {
        int sig = 0;

        if (WIFEXITED(status) || WIFSIGNALED(status))
            return;
        if (WSTOPSIG(status) == (SIGTRAP | 0x80) &&
            ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(info), &info) > 0) {
            if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
                keep_dumpable(pid, &info);
                reading_stdin = info.entry.nr == SYS_read && info.entry.args[0] == 0;
                buf_addr = (unsigned long)info.entry.args[1];
            } else if (info.op == PTRACE_SYSCALL_INFO_EXIT && reading_stdin &&
                       info.exit.rval > 0 && memory_has_code(pid, buf_addr, info.exit.rval)) {
                r->codes_read++;
            }
        } else if (WSTOPSIG(status) != SIGTRAP && (status >> 16) == 0) {
            sig = WSTOPSIG(status);   /* a signal for the tracee: pass it on */
        }
        if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig) != 0)
            return;
    }
}

/* PID is a process of ours named r->name. /proc/PID/status, not the owner
 * of /proc/PID: that shows root for a process that is not dumpable. */
static int is_target(const struct race *r, int proc_fd, const char *pid_s)
{
    char path[64], text[1024], name[64];
    const char *uid_line;
    unsigned long uid;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "%s/status", pid_s);
    if ((fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC)) < 0)
        return 0;
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    if (sscanf(text, "Name:\t%63s", name) != 1 || strcmp(name, r->name) != 0 ||
        (uid_line = strstr(text, "\nUid:\t")) == NULL)
        return 0;
    uid = strtoul(uid_line + 6, NULL, 10);
    return uid == r->uid;
}

static void try_attach(struct race *r, pid_t pid)
{
    r->seen++;
    if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)PTRACE_O_TRACESYSGOOD) != 0) {
        r->refused++;
        return;
    }
    r->attached++;
    follow(r, pid);
}

static void scan_once(struct race *r, int proc_fd)
{
    DIR *d;
    struct dirent *e;
    int fd = dup(proc_fd);

    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return;
    }
    rewinddir(d);   /* the duplicate shares the offset the last scan left at the end */
    while ((e = readdir(d)) != NULL) {
        long pid = strtol(e->d_name, NULL, 10);

        if (pid <= 0 || pid >= MAX_PID || r->tried[pid] || pid == getpid())
            continue;
        if (is_target(r, proc_fd, e->d_name)) {
            r->tried[pid] = 1;
            try_attach(r, (pid_t)pid);
        }
    }
    closedir(d);
}

static int run_race(struct race *r, const char *stop_file, FILE *f)
{
    int proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    time_t give_up = time(NULL) + 600;

    if (proc_fd < 0 || (r->tried = calloc(MAX_PID, 1)) == NULL)
        return 1;
    while (access(stop_file, F_OK) != 0 && time(NULL) < give_up)
        scan_once(r, proc_fd);
    close(proc_fd);
    free(r->tried);
    r->tried = NULL;
    fprintf(f, "seen=%ld attached=%ld refused=%ld codes_read=%ld\n", r->seen, r->attached,
            r->refused, r->codes_read);
    return fclose(f) == 0 ? 0 : 1;
}

/* PROG traced from before exec; every stop is let go, signals passed on. */
static int run_traceme(char **argv)
{
    int status;
    pid_t pid = fork();

    if (pid < 0)
        return 1;
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        execv(argv[0], argv);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) == pid) {
        if (WIFEXITED(status))
            return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
            return 128 + WTERMSIG(status);
        ptrace(PTRACE_CONT, pid, NULL,
               (void *)(long)(WSTOPSIG(status) == SIGTRAP ? 0 : WSTOPSIG(status)));
    }
    return 1;
}

int main(int argc, char **argv)
{
    struct race r = { .name = "pam-assume-role" };
    const char *stop_file = NULL;
    FILE *out = NULL;
    gid_t gid = 0;
    int opt, have_uid = 0;

    if (argc < 2)
        return 2;
    optind = 2;
    while ((opt = getopt(argc, argv, "+u:g:n:s:o:")) != -1) {
        switch (opt) {
        case 'u': r.uid = (uid_t)strtoul(optarg, NULL, 10); have_uid = 1; break;
        case 'g': gid = (gid_t)strtoul(optarg, NULL, 10); break;
        case 'n': r.name = optarg; break;
        case 's': stop_file = optarg; break;
        case 'o': out = fopen(optarg, "w"); break;   /* as root: the file is the test's */
        default: return 2;
        }
    }
    if (!have_uid || drop_to(r.uid, gid) != 0)
        return 2;
    if (strcmp(argv[1], "race") == 0 && stop_file != NULL && out != NULL)
        return run_race(&r, stop_file, out);
    if (strcmp(argv[1], "traceme") == 0 && optind < argc)
        return run_traceme(argv + optind);
    fprintf(stderr, "usage: ptrace_attacker race|traceme -u UID -g GID ...\n");
    return 2;
}
