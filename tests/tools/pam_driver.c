/*
 * pam_driver: runs one PAM transaction for the module tests (under
 * pam_wrapper) and prints what happened, one fact a line:
 *   prompt: TEXT          a question (answered from stdin, one line each)
 *   info: TEXT / error: TEXT
 *   auth: RC NAME / open: RC NAME / close: RC NAME / chauthtok: RC NAME
 *   open_ms: N            wall time of pam_open_session
 *   env-count: N          then N lines "env: NAME=VALUE", the PAM environment
 *   host: fds=same sigmask=same sigchld=same   (the caller's state kept)
 *   wait: timed out after N s: FILE   the hold file never came (exit status 3)
 * Usage: pam_driver [-r RUSER] [-h RHOST] [-t TTY] [-s STEPS] [-w FILE]
 *                   [-T SECONDS] [-c ignore|handler] [-U USER2] SERVICE USER
 * STEPS: letters a (auth), s (setcred), d (setcred PAM_DELETE_CRED), o
 * (open), e (print env), w (wait until FILE exists), u (PAM_USER = USER2,
 * as sudo does between auth and session), c (close), p (chauthtok, as root
 * does: no old password), P (chauthtok with PAM_CHANGE_EXPIRED_AUTHTOK: the
 * old password is asked, as for the person); default "aoec".
 * A "w" step gives up after SECONDS (-T, else $PAM_DRIVER_HOLD_SECONDS,
 * else 300) and goes on with the next steps, so a test that never creates
 * FILE leaves no driver behind; the driver also ends when its parent does.
 */
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <security/pam_appl.h>

#define MAX_ANSWERS 16
#define DEFAULT_HOLD_SECONDS 300L

static long hold_seconds = DEFAULT_HOLD_SECONDS;
static int hold_timed_out;

struct answers {
    char *line[MAX_ANSWERS];
    size_t n, next;
};

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct answers *a = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));

    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        switch (msg[i]->msg_style) {
        case PAM_PROMPT_ECHO_OFF:
        case PAM_PROMPT_ECHO_ON:
            printf("prompt: %s\n", msg[i]->msg);
            if (a->next >= a->n) {
                printf("prompt: (no answer left: conversation error)\n");
                free(r);
                return PAM_CONV_ERR;
            }
            r[i].resp = strdup(a->line[a->next++]);
            break;
        case PAM_ERROR_MSG:
            printf("error: %s\n", msg[i]->msg);
            break;
        default:
            printf("info: %s\n", msg[i]->msg);
            break;
        }
    }
    fflush(stdout);
    *resp = r;
    return PAM_SUCCESS;
}

static void read_answers(struct answers *a)
{
    char buf[512];

    if (isatty(0))
        return;
    while (a->n < MAX_ANSWERS && fgets(buf, sizeof(buf), stdin) != NULL) {
        buf[strcspn(buf, "\n")] = '\0';
        a->line[a->n++] = strdup(buf);
    }
}

struct host_state {
    char fds[4096];
    sigset_t mask;
    struct sigaction chld;
};

static void list_fds(char *out, size_t cap)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    size_t len = 0;
    int self = d != NULL ? dirfd(d) : -1;

    out[0] = '\0';
    while (d != NULL && (e = readdir(d)) != NULL) {
        char target[256] = "";
        char path[300];

        if (e->d_name[0] == '.' || atoi(e->d_name) == self)
            continue;
        snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
        if (readlink(path, target, sizeof(target) - 1) < 0)
            target[0] = '?';
        len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s>%s ", e->d_name, target);
    }
    if (d != NULL)
        closedir(d);
}

static void snapshot(struct host_state *s)
{
    memset(s, 0, sizeof(*s));
    list_fds(s->fds, sizeof(s->fds));
    sigprocmask(SIG_SETMASK, NULL, &s->mask);
    sigaction(SIGCHLD, NULL, &s->chld);
}

static int same_mask(const sigset_t *a, const sigset_t *b)
{
    for (int sig = 1; sig < NSIG; sig++)
        if (sigismember(a, sig) != sigismember(b, sig))
            return 0;
    return 1;
}

/* SA_RESTORER is added by the C library on every sigaction call: not a change. */
static int same_action(const struct sigaction *a, const struct sigaction *b)
{
    const int restorer = 0x04000000;

    return a->sa_handler == b->sa_handler &&
           (a->sa_flags & ~restorer) == (b->sa_flags & ~restorer) &&
           same_mask(&a->sa_mask, &b->sa_mask);
}

static void report_host(const struct host_state *before)
{
    struct host_state after;

    snapshot(&after);
    printf("host: fds=%s sigmask=%s sigchld=%s\n",
           strcmp(before->fds, after.fds) == 0 ? "same" : "changed",
           same_mask(&before->mask, &after.mask) ? "same" : "changed",
           same_action(&before->chld, &after.chld) ? "same" : "changed");
    if (!same_action(&before->chld, &after.chld))
        printf("host: sigchld before: %p/%x after: %p/%x\n", (void *)before->chld.sa_handler,
               (unsigned)before->chld.sa_flags, (void *)after.chld.sa_handler,
               (unsigned)after.chld.sa_flags);
    if (strcmp(before->fds, after.fds) != 0)
        printf("host: fds before: %s\nhost: fds after: %s\n", before->fds, after.fds);
}

static void host_chld_handler(int sig)
{
    (void)sig;
}

static void setup_host(const char *chld)
{
    struct sigaction sa;
    sigset_t usr2;

    memset(&sa, 0, sizeof(sa));
    if (chld == NULL)
        return;
    sa.sa_handler = strcmp(chld, "ignore") == 0 ? SIG_IGN : host_chld_handler;
    sigaction(SIGCHLD, &sa, NULL);
    /* A host with a blocked signal: the module must leave the mask as it was. */
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void wait_for(const char *file)
{
    struct timespec t0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (file != NULL && access(file, F_OK) != 0) {
        if (ms_since(&t0) >= hold_seconds * 1000) {
            printf("wait: timed out after %ld s: %s\n", hold_seconds, file);
            hold_timed_out = 1;
            return;
        }
        usleep(50000);
    }
}

static long hold_seconds_from(const char *text)
{
    char *end;
    long n = text != NULL ? strtol(text, &end, 10) : -1;

    return text != NULL && *end == '\0' && n > 0 ? n : DEFAULT_HOLD_SECONDS;
}

static void print_env(pam_handle_t *pamh)
{
    char **env = pam_getenvlist(pamh);
    size_t n = 0;

    while (env != NULL && env[n] != NULL)
        n++;
    printf("env-count: %zu\n", n);
    for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
        printf("env: %s\n", env[i]);
        free(env[i]);
    }
    free(env);
}

static int step(pam_handle_t *pamh, char c, const char *wait_file, const char *user2)
{
    struct timespec t0;
    int rc = PAM_SUCCESS;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    switch (c) {
    case 'a':
        rc = pam_authenticate(pamh, 0);
        printf("auth: %d %s\n", rc, pam_strerror(pamh, rc));
        break;
    case 's':
        rc = pam_setcred(pamh, PAM_ESTABLISH_CRED);
        printf("setcred: %d %s\n", rc, pam_strerror(pamh, rc));
        break;
    case 'd':
        rc = pam_setcred(pamh, PAM_DELETE_CRED);
        printf("setcred: %d %s\n", rc, pam_strerror(pamh, rc));
        break;
    case 'u':
        rc = pam_set_item(pamh, PAM_USER, user2);
        printf("user: %s\n", user2 != NULL ? user2 : "(none)");
        break;
    case 'o':
        rc = pam_open_session(pamh, 0);
        printf("open: %d %s\nopen_ms: %ld\n", rc, pam_strerror(pamh, rc), ms_since(&t0));
        break;
    case 'c':
        rc = pam_close_session(pamh, 0);
        printf("close: %d %s\n", rc, pam_strerror(pamh, rc));
        break;
    case 'e':
        print_env(pamh);
        break;
    case 'p':
    case 'P':
        rc = pam_chauthtok(pamh, c == 'P' ? PAM_CHANGE_EXPIRED_AUTHTOK : 0);
        printf("chauthtok: %d %s\n", rc, pam_strerror(pamh, rc));
        break;
    case 'w':
        wait_for(wait_file);
        break;
    default:
        break;
    }
    fflush(stdout);
    return rc;
}

int main(int argc, char **argv)
{
    struct answers a = { { NULL }, 0, 0 };
    struct pam_conv pc = { conv, &a };
    const char *ruser = NULL, *rhost = NULL, *tty = NULL, *steps = "aoec";
    const char *wait_file = NULL, *chld = NULL, *user2 = NULL, *xdisplay = NULL;
    const char *putenv_entries[4] = { NULL };
    size_t n_putenv = 0;
    struct host_state before;
    pam_handle_t *pamh = NULL;
    int opt, rc;

    /* A harness killed before it could clean up takes its drivers with it. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1)
        return 1;
    hold_seconds = hold_seconds_from(getenv("PAM_DRIVER_HOLD_SECONDS"));
    while ((opt = getopt(argc, argv, "r:h:t:s:w:T:c:U:x:E:")) != -1) {
        switch (opt) {
        case 'r': ruser = optarg; break;
        case 'h': rhost = optarg; break;
        case 't': tty = optarg; break;
        case 's': steps = optarg; break;
        case 'w': wait_file = optarg; break;
        case 'T': hold_seconds = hold_seconds_from(optarg); break;
        case 'c': chld = optarg; break;
        case 'U': user2 = optarg; break;
        case 'x': xdisplay = optarg; break;
        case 'E':
            if (n_putenv == sizeof(putenv_entries) / sizeof(putenv_entries[0]))
                return 2;
            putenv_entries[n_putenv++] = optarg;
            break;
        default: return 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: pam_driver [-r RUSER] [-h RHOST] [-t TTY] [-s STEPS] "
                "[-w FILE] [-T SECONDS] [-c ignore|handler] [-U USER2] [-x XDISPLAY] "
                "[-E NAME=VALUE]... SERVICE USER\n");
        return 2;
    }
    read_answers(&a);
    setup_host(chld);
    snapshot(&before);
    rc = pam_start(argv[optind], argv[optind + 1], &pc, &pamh);
    if (rc != PAM_SUCCESS) {
        printf("start: %d\n", rc);
        return 1;
    }
    if (ruser != NULL)
        pam_set_item(pamh, PAM_RUSER, ruser);
    if (rhost != NULL)
        pam_set_item(pamh, PAM_RHOST, rhost);
    if (tty != NULL)
        pam_set_item(pamh, PAM_TTY, tty);
    if (xdisplay != NULL)
        pam_set_item(pamh, PAM_XDISPLAY, xdisplay);
    for (size_t i = 0; i < n_putenv; i++)  /* as pam_env or a display manager would */
        pam_putenv(pamh, putenv_entries[i]);
    printf("pid: %ld\n", (long)getpid());
    for (const char *s = steps; *s != '\0'; s++)
        step(pamh, *s, wait_file, user2);
    report_host(&before);
    pam_end(pamh, PAM_SUCCESS);
    for (size_t i = 0; i < a.n; i++)
        free(a.line[i]);
    return hold_timed_out ? 3 : 0;
}
