#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include "session_dir.h"
#include "used_codes.h"
#include "valid.h"
#include "wipe.h"

#define USED_FILE ".used-codes"
#define LOCK_FILE ".used-codes.lock"
#define USED_WINDOW PAR_USED_CODE_WINDOW
#define USED_MAX 32
#define LOCK_WAIT_MS 2000

static int code_hash(uid_t uid, const char *code, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char in[64];
    int n = snprintf(in, sizeof(in), "pam_assume_role:%u:%s", (unsigned)uid, code);
    int rc = EVP_Digest(in, (size_t)n, md, &mdlen, EVP_sha256(), NULL) == 1 ? 0 : -1;

    par_wipe(in, sizeof(in));
    for (unsigned int i = 0; rc == 0 && i < mdlen && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return rc;
}

static long long monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The lock file, ours and regular, locked within LOCK_WAIT_MS; or -1. */
static int take_lock(int user_fd)
{
    struct stat st;
    long long deadline = monotonic_ms() + LOCK_WAIT_MS;
    int fd = openat(user_fd, LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                    0600);

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        close(fd);
        errno = EPERM;
        return -1;
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        struct timespec pause = { 0, 10 * 1000 * 1000 };

        if ((errno != EWOULDBLOCK && errno != EINTR) || monotonic_ms() >= deadline) {
            if (errno == EWOULDBLOCK)
                errno = ETIMEDOUT;
            close(fd);
            return -1;
        }
        nanosleep(&pause, NULL);
    }
    return fd;
}

/* Whether HEX was sent within the window, per the "EPOCH HASH" lines of buf. */
static int was_sent(const char *buf, const char *hex, time_t now)
{
    for (const char *line = buf; *line != '\0';) {
        const char *sp = strchr(line, ' '), *nl = strchr(line, '\n');

        if (sp != NULL && (nl == NULL || sp < nl) && now - strtoll(line, NULL, 10) <= USED_WINDOW &&
            strncmp(sp + 1, hex, 64) == 0 && (sp[65] == '\n' || sp[65] == '\0'))
            return 1;
        if (nl == NULL)
            break;
        line = nl + 1;
    }
    return 0;
}

/* HEX first, then the entries of buf still in the window (at most USED_MAX). */
static size_t render_record(char *out, size_t cap, char *buf, const char *hex, time_t now)
{
    size_t len = (size_t)snprintf(out, cap, "%lld %s\n", (long long)now, hex);
    int kept = 0;

    for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line != NULL && kept < USED_MAX;
         line = strtok_r(NULL, "\n", &save)) {
        if (now - strtoll(line, NULL, 10) > USED_WINDOW || strlen(line) > 100)
            continue;
        len += (size_t)snprintf(out + len, cap - len, "%s\n", line);
        kept++;
    }
    return len;
}

/* Under the lock: PAR_USED_CODE_SENT, or the record rewritten with HEX. */
static int check_and_record(int user_fd, const char *hex)
{
    char buf[4096], out[4096];
    size_t len;
    time_t now = time(NULL);

    if (sd_read_file(user_fd, USED_FILE, buf, sizeof(buf), &len) != 0)
        buf[0] = '\0';   /* none yet, or not ours to trust: start anew */
    if (was_sent(buf, hex, now))
        return PAR_USED_CODE_SENT;
    len = render_record(out, sizeof(out), buf, hex, now);
    return sd_write_file(user_fd, USED_FILE, out, len) == 0 ? PAR_USED_CODE_FREE : -1;
}

int par_used_code_claim(const char *run_dir, uid_t uid, const char *code, char *err,
                        size_t errlen)
{
    char hex[65];
    int user_fd, lock_fd, rc;

    if ((user_fd = sd_open_user_dir(run_dir, uid, err, errlen)) < 0)
        /* Missing, or root's while no login of the person has it mounted. */
        return errno == ENOENT || errno == EACCES ? PAR_USED_CODE_NO_FOLDER : -1;
    if (code_hash(uid, code, hex) != 0) {
        close(user_fd);
        snprintf(err, errlen, "cannot hash the MFA code (OpenSSL): reinstall libssl");
        return -1;
    }
    lock_fd = take_lock(user_fd);
    rc = lock_fd < 0 ? -1 : check_and_record(user_fd, hex);
    if (rc < 0)
        snprintf(err, errlen, "cannot record the MFA code as used in %s/%u/%s (%s), so it is "
                 "not sent: try again; if it persists, ask the admin to check that folder",
                 run_dir, (unsigned)uid, lock_fd < 0 ? LOCK_FILE : USED_FILE, strerror(errno));
    if (lock_fd >= 0)
        close(lock_fd);
    close(user_fd);
    return rc;
}
