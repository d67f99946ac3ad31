#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "adopt.h"
#include "context.h"
#include "protocol.h"
#include "rmsession.h"
#include "session_dir.h"
#include "session_meta.h"
#include "sweep.h"
#include "valid.h"

int par_adopt_folder_gone(const char *dir, int open_errno)
{
    struct par_session_path g;

    if (open_errno == ENOENT)
        return 1;
    return open_errno == EACCES && par_split_session_path(dir, &g) == 0 && g.uid == getuid();
}

/* The newest live session folder of ours under USER_FD, other than SKIP,
 * whose manifest reads and fits; its name into best. */
static int newest_live(int user_fd, const char *skip, char best[SD_ID_LEN + 1])
{
    int fd = dup(user_fd), found = 0;
    long long best_start = -1, start;
    struct dirent *e;
    DIR *d;

    if (fd < 0 || (d = fdopendir(fd)) == NULL) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        if (strlen(e->d_name) != SD_ID_LEN || !par_valid_session_id(e->d_name) ||
            strcmp(e->d_name, skip) == 0 ||
            par_session_state(user_fd, e->d_name, &start) != PAR_SESSION_LIVE ||
            start < best_start)
            continue;
        best_start = start;
        snprintf(best, SD_ID_LEN + 1, "%s", e->d_name);
        found = 1;
    }
    closedir(d);
    return found;
}

/* What the live session holds, for the person: "integration until 14:05". */
static void describe(int user_fd, const char *id, char *out, size_t outlen)
{
    struct par_msg meta;
    char err[256], bad[64], until[64];
    const char *def, *env, *exp;
    int fd = sd_open_session(user_fd, id, err, sizeof(err));

    snprintf(out, outlen, "holding no AWS credentials yet");
    if (fd < 0)
        return;
    if (sd_read_meta(fd, &meta) == 0 && par_meta_check(&meta, bad, sizeof(bad)) == 0 &&
        (def = par_msg_get(&meta, "default")) != NULL) {
        for (size_t i = 0; i < PAR_MAX_LOGIN_ENVS; i++) {
            char key[32];

            snprintf(key, sizeof(key), "env_%zu", i);
            if ((env = par_msg_get(&meta, key)) == NULL)
                break;
            snprintf(key, sizeof(key), "expiration_%zu", i);
            if (strcmp(env, def) == 0 && (exp = par_msg_get(&meta, key)) != NULL) {
                par_local_time(exp, until, sizeof(until));
                snprintf(out, outlen, "holding %s until %s", env, until);
            }
        }
    }
    par_msg_free(&meta);
    close(fd);
}

void par_adopt_ended_line(const char *gone_dir, char *out, size_t outlen)
{
    snprintf(out, outlen, "this login has ended (its session folder %s is gone): "
             "'pam-assume-role refresh' or 'pam-assume-role status' here offers another live "
             "login of yours", gone_dir);
}

static int no_live_login(void)
{
    fprintf(stderr, "pam-assume-role: this login has ended and you have no other "
            "live login on this host: log in again (ssh); after that, 'pam-assume-role "
            "refresh' in this shell offers that login's session\n");
    return 1;
}

int par_adopt_offer(const char *gone_dir)
{
    struct par_session_path g;
    char best[SD_ID_LEN + 1], holds[160];
    int user_fd;

    if (par_split_session_path(gone_dir, &g) != 0 || g.uid != getuid()) {
        fprintf(stderr, "pam-assume-role: this login has ended (its session "
                "folder %s is gone): log in again for a new session\n", gone_dir);
        return 1;
    }
    if ((user_fd = par_user_dir_open(g.run_dir, g.uid)) < 0)
        return no_live_login();
    if (!newest_live(user_fd, g.id, best)) {
        close(user_fd);
        return no_live_login();
    }
    describe(user_fd, best, holds, sizeof(holds));
    close(user_fd);
    fprintf(stderr, "pam-assume-role: this login has ended; another login of "
            "yours is live, %s: paste the line below into this shell to use its session "
            "(the next prompt loads its credentials)\n", holds);
    printf("export PAM_ASSUME_ROLE_DIR='%s/%u/%s'\n", g.run_dir, (unsigned)g.uid, best);
    fflush(stdout);
    return 1;
}
