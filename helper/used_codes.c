#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "session_dir.h"
#include "used_codes.h"
#include "wipe.h"

#define USED_FILE ".used-codes"
#define USED_WINDOW 120
#define USED_MAX 32

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

/* Reads the recent entries ("EPOCH HASH" lines) of the file into buf. */
static int read_recent(int user_fd, char *buf, size_t cap)
{
    size_t len;

    if (sd_read_file(user_fd, USED_FILE, buf, cap, &len) != 0) {
        buf[0] = '\0';
        return -1;
    }
    return 0;
}

int par_used_code_check(const char *run_dir, uid_t uid, const char *code)
{
    char err[256], buf[4096], hex[65];
    int fd = sd_open_user_dir(run_dir, uid, err, sizeof(err)), used = 0;
    time_t now = time(NULL);

    if (fd < 0 || code_hash(uid, code, hex) != 0) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    read_recent(fd, buf, sizeof(buf));
    close(fd);
    for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *sp = strchr(line, ' ');

        if (sp != NULL && now - strtoll(line, NULL, 10) <= USED_WINDOW && strcmp(sp + 1, hex) == 0)
            used = 1;
    }
    return used ? -1 : 0;
}

void par_used_code_record(const char *run_dir, uid_t uid, const char *code)
{
    char err[256], buf[4096], out[4096], hex[65];
    int fd = sd_open_user_dir(run_dir, uid, err, sizeof(err)), kept = 0;
    time_t now = time(NULL);
    size_t len;

    if (fd < 0 || code_hash(uid, code, hex) != 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    read_recent(fd, buf, sizeof(buf));
    len = (size_t)snprintf(out, sizeof(out), "%lld %s\n", (long long)now, hex);
    for (char *line = strtok(buf, "\n"); line != NULL && kept < USED_MAX; line = strtok(NULL, "\n")) {
        if (now - strtoll(line, NULL, 10) > USED_WINDOW || strlen(line) > 100)
            continue;
        len += (size_t)snprintf(out + len, sizeof(out) - len, "%s\n", line);
        kept++;
    }
    sd_write_file(fd, USED_FILE, out, len);
    close(fd);
}
