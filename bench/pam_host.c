/*
 * pam_host: a long-lived PAM host for the resource benchmark. In ONE
 * process it runs CYCLES logins through the module (pam_start,
 * pam_authenticate with a fresh MFA code, pam_open_session,
 * pam_close_session, pam_end), as a login daemon would, and prints after
 * each cycle named in CHECKPOINTS (and after the last one):
 *   cycles: N rss_kb: N fds: N failures: N heap_used: N heap_kb: N
 *   anon_kb: N file_kb: N
 * (heap_used: bytes malloc holds for the program; heap_kb: the heap malloc
 * took from the system, both from mallinfo2; anon_kb and file_kb: VmRSS
 * split into private memory and pages of mapped files, such as libraries)
 * A cycle fails when pam_open_session does not succeed or the session's
 * PAM environment holds no AWS_ACCESS_KEY_ID (unless -n: a control run
 * over a stack without the module, which gives no credentials).
 * Usage: pam_host [-n] SERVICE USER CYCLES FIRST_CODE [CHECKPOINT...]
 * With CYCLES 0 it runs one cycle per line read on stdin instead and
 * answers each with "cycle: ok|failed": the per-login cost inside a host
 * that is already running, as sshd is.
 * Codes are FIRST_CODE, FIRST_CODE+1, ... (six digits, wrapping at 10^6):
 * the helper refuses a code it already sent. Run under pam_wrapper.
 */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <security/pam_appl.h>

#define MAX_CHECKPOINTS 16

struct host {
    const char *service, *user;
    unsigned long next_code;
    unsigned long failures;
    int want_credentials;
};

/* Answers every echo-off prompt with the current cycle's code. */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    const struct host *h = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    char code[8];

    if (r == NULL)
        return PAM_BUF_ERR;
    snprintf(code, sizeof(code), "%06lu", h->next_code % 1000000UL);
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF && msg[i]->msg_style != PAM_PROMPT_ECHO_ON)
            continue;
        if ((r[i].resp = strdup(code)) == NULL) {
            for (int j = 0; j < i; j++)
                free(r[j].resp);
            free(r);
            return PAM_BUF_ERR;
        }
    }
    *resp = r;
    return PAM_SUCCESS;
}

/* A "Name:   N kB" line of /proc/self/status, e.g. "VmRSS:" */
static long status_kb(const char *name)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(name);

    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, name, n) == 0)
            kb = strtol(line + n, NULL, 10);
    if (f != NULL)
        fclose(f);
    return kb;
}

/* Open descriptors, not counting the one used to list them. */
static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    long n = 0;

    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;
}

static int has_credentials(pam_handle_t *pamh)
{
    const char *key = pam_getenv(pamh, "AWS_ACCESS_KEY_ID");

    return key != NULL && key[0] != '\0';
}

static int one_cycle(struct host *h)
{
    struct pam_conv pc = { conv, h };
    pam_handle_t *pamh = NULL;
    int rc = pam_start(h->service, h->user, &pc, &pamh);

    if (rc == PAM_SUCCESS)
        rc = pam_authenticate(pamh, 0);
    if (rc == PAM_SUCCESS)
        rc = pam_open_session(pamh, 0);
    if (rc == PAM_SUCCESS) {
        if (h->want_credentials && !has_credentials(pamh))
            rc = PAM_SESSION_ERR;
        if (pam_close_session(pamh, 0) != PAM_SUCCESS && rc == PAM_SUCCESS)
            rc = PAM_SESSION_ERR;
    }
    if (rc != PAM_SUCCESS) {
        h->failures++;
        fprintf(stderr, "pam_host: cycle with code %06lu failed: %s\n",
                h->next_code % 1000000UL, pamh ? pam_strerror(pamh, rc) : "pam_start failed");
    }
    if (pamh != NULL)
        pam_end(pamh, rc);
    h->next_code++;
    return rc;
}

/* One cycle per request line on stdin (see the usage above). */
static int serve_cycles(struct host *h)
{
    char line[64];

    while (fgets(line, sizeof(line), stdin) != NULL) {
        printf("cycle: %s\n", one_cycle(h) == PAM_SUCCESS ? "ok" : "failed");
        fflush(stdout);
    }
    return h->failures == 0 ? 0 : 1;
}

static int parse_count(const char *s, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct host h = { NULL, NULL, 0, 0, 1 };
    unsigned long cycles, checkpoints[MAX_CHECKPOINTS];
    int n_checkpoints;

    if (argc > 1 && strcmp(argv[1], "-n") == 0) {
        h.want_credentials = 0;
        argv++;
        argc--;
    }
    n_checkpoints = argc - 5;
    if (argc < 5 || n_checkpoints > MAX_CHECKPOINTS || parse_count(argv[3], &cycles) != 0 ||
        parse_count(argv[4], &h.next_code) != 0) {
        fprintf(stderr, "usage: pam_host [-n] SERVICE USER CYCLES FIRST_CODE [CHECKPOINT...] "
                "(at most %d checkpoints)\n", MAX_CHECKPOINTS);
        return 2;
    }
    for (int i = 0; i < n_checkpoints; i++)
        if (parse_count(argv[5 + i], &checkpoints[i]) != 0) {
            fprintf(stderr, "pam_host: checkpoint '%s' is not a number of cycles\n", argv[5 + i]);
            return 2;
        }
    h.service = argv[1];
    h.user = argv[2];
    if (cycles == 0)
        return serve_cycles(&h);
    for (unsigned long done = 1; done <= cycles; done++) {
        int report = done == cycles;

        one_cycle(&h);
        for (int i = 0; i < n_checkpoints; i++)
            report |= checkpoints[i] == done;
        if (report) {
            struct mallinfo2 mi = mallinfo2();

            printf("cycles: %lu rss_kb: %ld fds: %ld failures: %lu heap_used: %zu "
                   "heap_kb: %zu anon_kb: %ld file_kb: %ld\n", done, status_kb("VmRSS:"),
                   open_fds(), h.failures, mi.uordblks + mi.hblkhd,
                   (mi.arena + mi.hblkhd) / 1024, status_kb("RssAnon:"), status_kb("RssFile:"));
            fflush(stdout);
        }
    }
    return h.failures == 0 ? 0 : 1;
}
