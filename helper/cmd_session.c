/*
 * Life inside a session: env, exec, credential-process (status in
 * cmd_status.c, refresh in cmd_refresh.c). The session folder comes from
 * --session DIR or PAM_ASSUME_ROLE_DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "adopt.h"
#include "commands.h"
#include "context.h"
#include "json_out.h"
#include "protocol.h"
#include "session_dir.h"
#include "session_files.h"
#include "session_lock.h"
#include "session_cmd.h"
#include "session_meta.h"
#include "tls_env.h"
#include "valid.h"
#include "wipe.h"

/* A renewal holds the lock across one STS call: the others wait that long. */
#define RENEW_LOCK_WAIT_MS 20000


const char no_credentials_yet[] =
    "this session holds no AWS credentials yet: run 'pam-assume-role refresh' and type a "
    "new MFA code";

static const char no_session[] =
    "no AWS session in this shell (PAM_ASSUME_ROLE_DIR is not set): log in through "
    "pam_assume_role (ssh, sudo -i, su -), or print credentials here with "
    "'pam-assume-role assume ENV'";

/*
 * Root in a shell of someone else's session (sudo -i, su -): the session,
 * its keys and its files are the person's, so root acts as them, never the
 * other way round. Drops uid, gid and groups to OWNER for good.
 */
static int become(uid_t owner, char *err, size_t errlen)
{
    struct passwd pw, *res = NULL;
    char buf[4096];

    if (getpwuid_r(owner, &pw, buf, sizeof(buf), &res) != 0 || res == NULL ||
        initgroups(pw.pw_name, pw.pw_gid) != 0 || setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid) != 0 ||
        setresuid(owner, owner, owner) != 0 || setuid(0) == 0) {
        snprintf(err, errlen, "cannot act as uid %u, the owner of the session", (unsigned)owner);
        return -1;
    }
    return 0;
}

/* The folder's login has ended: status and refresh offer another live one. */
static int session_gone(struct session *s, char *err, size_t errlen)
{
    s->gone = 1;
    par_adopt_ended_line(s->path, err, errlen);
    return -1;
}

/* Opens the session folder: private, not a link, ours (root becomes its owner). */
static int session_open_dir(struct session *s, const char *dir, char *err, size_t errlen)
{
    struct stat st;
    int open_errno;

    if (dir == NULL)
        dir = getenv("PAM_ASSUME_ROLE_DIR");
    if (dir == NULL || dir[0] != '/') {
        snprintf(err, errlen, "%s", no_session);
        return -1;
    }
    if (par_split_session_path(dir, &s->where) != 0) {
        snprintf(err, errlen, "PAM_ASSUME_ROLE_DIR (or --session) is not the path of a session "
                 "folder (RUN_DIR/UID/SESSION): log in again, or unset it");
        return -1;
    }
    snprintf(s->path, sizeof(s->path), "%s", dir);
    s->fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    open_errno = errno;   /* par_adopt_folder_gone may change errno */
    if (s->fd < 0 && par_adopt_folder_gone(dir, open_errno))
        return session_gone(s, err, errlen);
    /* Root acts as the folder's owner only when that is the uid its path names. */
    if (s->fd >= 0 && fstat(s->fd, &st) == 0 && st.st_uid != getuid() && getuid() == 0 &&
        st.st_uid != 0 && st.st_uid == s->where.uid && become(st.st_uid, err, errlen) != 0)
        return -1;
    if (s->fd < 0 || fstat(s->fd, &st) != 0 || st.st_uid != getuid() ||
        st.st_uid != s->where.uid || (st.st_mode & 077)) {
        snprintf(err, errlen, "the session folder %s is gone or not yours (%s): log in "
                 "again, or run 'pam-assume-role refresh'", dir,
                 s->fd < 0 ? strerror(open_errno) : "owner/mode");
        return -1;
    }
    return 0;
}

/*
 * The folder must lie in the run_dir of the (root-owned) config its
 * manifest names: a folder a person made anywhere else, handed to root in
 * PAM_ASSUME_ROLE_DIR or --session, is nobody's session.
 */
static int session_in_run_dir(const struct session *s, char *err, size_t errlen)
{
    const char *path = par_msg_get(&s->meta, "config");
    struct par_config cfg;
    char why[PAR_CONFIG_ERR_MAX];
    int rc;

    if (par_config_load(path != NULL ? path : PAR_CONFIG_PATH, 0, &cfg, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s", why);
        return -1;
    }
    rc = strcmp(cfg.run_dir != NULL ? cfg.run_dir : PAR_RUN_DIR, s->where.run_dir) == 0 ? 0 : -1;
    if (rc != 0)
        snprintf(err, errlen, "%s is not under the run_dir of %s: it is not a session folder; "
                 "log in again, or unset PAM_ASSUME_ROLE_DIR", s->path,
                 path != NULL ? path : PAR_CONFIG_PATH);
    par_config_free(&cfg);
    return rc;
}

/* The manifest, read under the lock: every value must fit its set. */
static int session_read_meta(struct session *s, char *err, size_t errlen)
{
    char bad[64];

    par_msg_free(&s->meta);
    if (sd_read_meta(s->fd, &s->meta) != 0 || par_msg_get(&s->meta, "ended") != NULL)
        return session_gone(s, err, errlen);   /* ended, or being removed by close */
    if (par_meta_check(&s->meta, bad, sizeof(bad)) != 0) {
        snprintf(err, errlen, "%s/session holds a value outside its character set (%s), "
                 "so nothing of it is shown: log in again for a new session", s->path, bad);
        return -1;
    }
    return 0;
}

/* (Re)takes the lock as HOW and reads the manifest again: what another
 * process wrote before we got the lock is what counts. */
int session_lock(struct session *s, int how, long wait_ms, char *err, size_t errlen)
{
    sd_unlock(s->lock);
    s->lock = sd_lock(s->fd, how, wait_ms, err, errlen);
    if (s->lock < 0)
        return sd_folder_removed(s->fd) ? session_gone(s, err, errlen) : -1;
    return session_read_meta(s, err, errlen);
}

/* The folder, then its lock (HOW), then its manifest. */
int session_open(struct session *s, const char *dir, int how, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->lock = -1;
    if (session_open_dir(s, dir, err, errlen) != 0 ||
        session_lock(s, how, SD_LOCK_WAIT_MS, err, errlen) != 0)
        return -1;
    return session_in_run_dir(s, err, errlen);
}

void session_close(struct session *s)
{
    sd_unlock(s->lock);
    if (s->fd >= 0)
        close(s->fd);
    par_msg_free(&s->meta);
    s->fd = -1;
    s->lock = -1;
}

const char *meta_env(const struct session *s, size_t i, const char *what)
{
    char key[32];

    snprintf(key, sizeof(key), "%s_%zu", what, i);
    return par_msg_get(&s->meta, key);
}

/* Index of environment NAME in the session, or -1. */
int find_env(const struct session *s, const char *name)
{
    for (size_t i = 0; i < PAR_MSG_MAX_KEYS; i++) {
        const char *e = meta_env(s, i, "env");

        if (e == NULL)
            break;
        if (strcmp(e, name) == 0)
            return (int)i;
    }
    return -1;
}

int is_session_strategy(const struct session *s)
{
    const char *st = par_msg_get(&s->meta, "strategy");

    return st != NULL && strcmp(st, "session") == 0;
}

/* A prompt waits for the hook: its renewal gets hook_timeout_ms, not timeout_ms. */
static void bound_for_hook(struct par_context *ctx)
{
    long budget = ctx->cfg.hook_timeout_ms;

    if (ctx->login.timeout_ms > budget)
        ctx->login.timeout_ms = budget;
    if (ctx->login.endpoint.connect_timeout_ms > budget)
        ctx->login.endpoint.connect_timeout_ms = budget;
}

/* Session strategy: AssumeRole again from the stored MFA session. */
static int renew_role(struct session *s, int idx, struct par_creds *out, char *err, size_t errlen)
{
    struct par_context ctx;
    struct par_creds mfa;
    struct par_login_env env;
    const char *config = par_msg_get(&s->meta, "config");
    int rc = -1;

    memset(&ctx, 0, sizeof(ctx));
    memset(&env, 0, sizeof(env));
    if (par_read_creds_file(s->fd, "mfa-session", "mfa-session", &mfa) != 0 ||
        par_seconds_left(mfa.expiration) < 60) {
        par_creds_clear(&mfa);
        snprintf(err, errlen, "the MFA session of this login has ended: run "
                 "'pam-assume-role refresh' with a new code");
        return -1;
    }
    if (config == NULL || par_context_load(&ctx, config, 0, err, errlen) != 0) {
        par_creds_clear(&mfa);
        return -1;
    }
    if (s->from_hook)
        bound_for_hook(&ctx);
    env.name = meta_env(s, (size_t)idx, "env");
    env.role_arn = meta_env(s, (size_t)idx, "role");
    env.region = meta_env(s, (size_t)idx, "region");
    env.duration = strtol(meta_env(s, (size_t)idx, "duration") ?: "3600", NULL, 10);
    ctx.login.session_name = par_msg_get(&s->meta, "session_name");
    if (par_login_renew(&ctx.login, &mfa, &env) == 0 &&
        par_write_role_file(s->fd, env.name, &env.creds) == 0) {
        *out = env.creds;
        memset(&env.creds, 0, sizeof(env.creds));
        rc = 0;
    } else {
        snprintf(err, errlen, "%s", ctx.login.message[0] ? ctx.login.message : "cannot renew");
    }
    par_creds_clear(&env.creds);
    par_creds_clear(&mfa);
    par_context_free(&ctx);
    return rc;
}

/* Seconds before expiry at which a role session is renewed: the config's
 * renew_before_seconds, at most half the role's duration (or every call
 * would renew). */
static long renew_before(const struct session *s, int idx)
{
    struct par_config cfg;
    char err[256];
    const char *config = par_msg_get(&s->meta, "config");
    long before = PAR_RENEW_BEFORE_DEFAULT;
    long duration = strtol(meta_env(s, (size_t)idx, "duration") ?: "3600", NULL, 10);

    memset(&cfg, 0, sizeof(cfg));
    if (config != NULL && par_config_load(config, 0, &cfg, err, sizeof(err)) == 0)
        before = cfg.renew_before_seconds;
    par_config_free(&cfg);
    return before < duration / 2 ? before : duration / 2;
}

/* role-NAME when it holds credentials that are not yet due for renewal. */
static int fresh_role_creds(const struct session *s, const char *name, int idx,
                            struct par_creds *c)
{
    char file[64];

    snprintf(file, sizeof(file), "role-%s", name);
    if (par_read_creds_file(s->fd, file, name, c) == 0 &&
        par_seconds_left(c->expiration) > renew_before(s, idx))
        return 0;
    par_creds_clear(c);
    return -1;
}

static int no_env(const char *name, char *err, size_t errlen)
{
    snprintf(err, errlen, "this session holds no credentials for '%.32s': run "
             "'pam-assume-role refresh %.32s'", name, name);
    return -1;
}

/* Strategy direct: the login's keys, refused once they have expired. */
static int direct_creds(struct session *s, const char *name, struct par_creds *c,
                        char *err, size_t errlen)
{
    char until[64];
    const char *bad_key;

    if (par_read_creds_file_checked(s->fd, "credentials", name, c, &bad_key) != 0) {
        if (bad_key != NULL)
            snprintf(err, errlen, "%s/credentials holds a value outside its character set "
                     "(%s of '%s'), so nothing of it is shown: run 'pam-assume-role refresh "
                     "%s'", s->path, bad_key, name, name);
        else
            snprintf(err, errlen, "the credentials of '%s' are unreadable: run "
                     "'pam-assume-role refresh %s'", name, name);
        return -1;
    }
    if (par_seconds_left(c->expiration) <= 0) {
        par_local_time(c->expiration, until, sizeof(until));
        par_creds_clear(c);
        snprintf(err, errlen, "the credentials of '%s' expired at %s: run "
                 "'pam-assume-role refresh %s' with a new code", name, until, name);
        return -1;
    }
    return 0;
}

/* The current credentials of environment NAME, renewed when due and possible.
 * Due: one process renews under the exclusive lock; the others, once they
 * get it, find its fresh credentials and use them. */
int env_creds(struct session *s, const char *wanted, struct par_creds *c, int *idx,
                     char *err, size_t errlen)
{
    char name[PAR_MAX_ENV_NAME + 1];   /* WANTED may point into the manifest read again below */
    int i;

    snprintf(name, sizeof(name), "%s", wanted);
    i = find_env(s, name);

    if (i < 0)
        return no_env(name, err, errlen);
    *idx = i;
    if (!is_session_strategy(s))
        return direct_creds(s, name, c, err, errlen);
    if (fresh_role_creds(s, name, i, c) == 0)
        return 0;
    if (session_lock(s, LOCK_EX, RENEW_LOCK_WAIT_MS, err, errlen) != 0)
        return -1;
    if ((i = find_env(s, name)) < 0)
        return no_env(name, err, errlen);
    *idx = i;
    if (fresh_role_creds(s, name, i, c) == 0)
        return 0;
    return renew_role(s, i, c, err, errlen);
}

int fail(const char *err)
{
    char line[PAR_MAX_MESSAGE];

    snprintf(line, sizeof(line), "%s", err);
    par_clean_line(line);
    fprintf(stderr, "pam-assume-role: %s\n", line);
    return 1;
}

const char *session_arg(int *argc, char ***argv)
{
    if (*argc >= 3 && strcmp((*argv)[1], "--session") == 0) {
        const char *dir = (*argv)[2];

        (*argv)[2] = (*argv)[0];
        *argv += 2;
        *argc -= 2;
        return dir;
    }
    return NULL;
}

/* The AWS CLI's and SDKs' credential_process answer, one object on one line. */
static int print_credential_process(const struct par_creds *c)
{
    json_object *o = par_json_new_object();

    if (o == NULL)
        return -1;
    json_object_object_add(o, "Version", json_object_new_int(1));
    json_object_object_add(o, "AccessKeyId", json_object_new_string(c->access_key_id));
    json_object_object_add(o, "SecretAccessKey", json_object_new_string(c->secret_access_key));
    json_object_object_add(o, "SessionToken", json_object_new_string(c->session_token));
    json_object_object_add(o, "Expiration", json_object_new_string(c->expiration));
    return par_json_print(STDOUT_FILENO, o, PAR_JSON_LINE);
}

int par_cmd_credential_process(int argc, char **argv)
{
    struct session s;
    struct par_creds c;
    char err[512];
    const char *dir = session_arg(&argc, &argv);
    int idx, rc;

    if (argc != 2)
        return fprintf(stderr, "usage: pam-assume-role credential-process [--session DIR] ENV\n"), 2;
    if (session_open(&s, dir, LOCK_SH, err, sizeof(err)) != 0 ||
        env_creds(&s, argv[1], &c, &idx, err, sizeof(err)) != 0) {
        session_close(&s);
        return fail(err);
    }
    rc = print_credential_process(&c);
    par_creds_clear(&c);
    session_close(&s);
    return rc == 0 ? 0 : 1;
}

static int print_exports(struct session *s, const char *name)
{
    struct par_creds c;
    char err[512];
    int idx;
    const char *region;

    if (env_creds(s, name, &c, &idx, err, sizeof(err)) != 0)
        return fail(err);
    region = meta_env(s, (size_t)idx, "region");
    if (!par_valid_region(region) || !par_valid_env_name(name)) {
        par_creds_clear(&c);
        return fail("the session's region or environment name is outside its character set: "
                    "log in again");
    }
    printf("export AWS_ACCESS_KEY_ID='%s'\nexport AWS_SECRET_ACCESS_KEY='%s'\n"
           "export AWS_SESSION_TOKEN='%s'\nexport AWS_REGION='%s'\nexport AWS_DEFAULT_REGION='%s'\n"
           "export AWS_CREDENTIAL_EXPIRATION='%s'\nexport PAM_ASSUME_ROLE_ENVIRONMENT='%s'\n",
           c.access_key_id, c.secret_access_key, c.session_token, region, region, c.expiration,
           name);
    par_creds_clear(&c);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* env's options: --from-hook (the profile hook asks), --or-default (the
 * session's default environment when ENV is no longer in it). */
static void env_options(int *argc, char ***argv, int *from_hook, int *or_default)
{
    *from_hook = *or_default = 0;
    while (*argc >= 2 && ((*from_hook == 0 && strcmp((*argv)[1], "--from-hook") == 0) ||
                          (*or_default == 0 && strcmp((*argv)[1], "--or-default") == 0))) {
        if (strcmp((*argv)[1], "--from-hook") == 0)
            *from_hook = 1;
        else
            *or_default = 1;
        (*argv)[1] = (*argv)[0];
        (*argv)++;
        (*argc)--;
    }
}

int par_cmd_env(int argc, char **argv)
{
    struct session s;
    char err[512];
    const char *dir = session_arg(&argc, &argv), *name;
    char chosen[PAR_MAX_ENV_NAME + 1];
    int rc, from_hook, or_default;

    env_options(&argc, &argv, &from_hook, &or_default);
    if (argc > 2)
        return fprintf(stderr, "usage: pam-assume-role env [--from-hook] [--or-default] "
                       "[ENV]\n"), 2;
    if (session_open(&s, dir, LOCK_SH, err, sizeof(err)) != 0) {
        session_close(&s);
        return fail(err);
    }
    s.from_hook = from_hook;
    name = argc == 2 ? argv[1] : NULL;
    if (name == NULL || (or_default && find_env(&s, name) < 0))
        name = par_msg_get(&s.meta, "default");
    if (name == NULL) {
        session_close(&s);
        return fail(no_credentials_yet);
    }
    /* A copy: a renewal reads the manifest again, and the old one goes. */
    snprintf(chosen, sizeof(chosen), "%s", name);
    rc = print_exports(&s, chosen);
    session_close(&s);
    return rc;
}

/* In a child (which may become the session's owner): ENV's exports, as a
 * message (protocol.h) on FD. */
static int send_exports(const char *dir, const char *name, int fd)
{
    struct session s;
    struct par_creds c;
    char err[512], msg[PAR_MSG_MAX];
    size_t len = 0;
    int idx, rc = 1;

    if (session_open(&s, dir, LOCK_SH, err, sizeof(err)) != 0 ||
        env_creds(&s, name, &c, &idx, err, sizeof(err)) != 0) {
        session_close(&s);
        return fail(err);
    }
    const char *region = meta_env(&s, (size_t)idx, "region");
    if (par_msg_add(msg, sizeof(msg), &len, "AWS_ACCESS_KEY_ID", c.access_key_id) == 0 &&
        par_msg_add(msg, sizeof(msg), &len, "AWS_SECRET_ACCESS_KEY", c.secret_access_key) == 0 &&
        par_msg_add(msg, sizeof(msg), &len, "AWS_SESSION_TOKEN", c.session_token) == 0 &&
        par_msg_add(msg, sizeof(msg), &len, "AWS_REGION", region) == 0 &&
        par_msg_add(msg, sizeof(msg), &len, "AWS_DEFAULT_REGION", region) == 0 &&
        par_msg_add(msg, sizeof(msg), &len, "AWS_CREDENTIAL_EXPIRATION", c.expiration) == 0 &&
        par_msg_add(msg, sizeof(msg), &len, "PAM_ASSUME_ROLE_ENVIRONMENT", name) == 0 &&
        par_msg_end(msg, sizeof(msg), &len) == 0 && write(fd, msg, len) == (ssize_t)len)
        rc = 0;
    par_wipe(msg, sizeof(msg));
    par_creds_clear(&c);
    session_close(&s);
    return rc;
}

/* The exports of ENV, worked out by a child: the caller stays who it is. */
static int fetch_exports(const char *dir, const char *name, struct par_msg *out)
{
    char buf[PAR_MSG_MAX];
    size_t len = 0;
    int fds[2], status = 1, rc;
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) != 0 || (pid = fork()) < 0)
        return -1;
    if (pid == 0) {
        close(fds[0]);
        _exit(send_exports(dir, name, fds[1]));
    }
    close(fds[1]);
    for (ssize_t n; len < sizeof(buf) && (n = read(fds[0], buf + len, sizeof(buf) - len)) != 0;) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += (size_t)n;
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? par_msg_parse(buf, len, out) : -1;
    par_wipe(buf, sizeof(buf));
    return rc;
}

int par_cmd_exec(int argc, char **argv)
{
    const char *dir = session_arg(&argc, &argv);
    struct par_msg vars;

    if (argc < 4 || strcmp(argv[2], "--") != 0)
        return fprintf(stderr, "usage: pam-assume-role exec ENV -- CMD [ARGS...]\n"), 2;
    if (fetch_exports(dir, argv[1], &vars) != 0)
        return 1;   /* the child said why */
    for (size_t i = 0; i < vars.n; i++)
        if (setenv(vars.key[i], vars.value[i], 1) != 0)
            return fail("out of memory");
    par_msg_free(&vars);
    unsetenv("AWS_PROFILE");
    par_tls_env_restore();
    execvp(argv[3], argv + 3);
    fprintf(stderr, "pam-assume-role: cannot run %s: %s\n", argv[3], strerror(errno));
    return 127;
}
