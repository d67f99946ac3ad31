/*
 * Life inside a session: status, env, exec, credential-process, refresh.
 * The session folder comes from --session DIR or PAM_ASSUME_ROLE_DIR.
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
#include <json-c/json.h>
#include "commands.h"
#include "context.h"
#include "protocol.h"
#include "prompt.h"
#include "session_dir.h"
#include "session_files.h"
#include "session_lock.h"
#include "session_meta.h"
#include "tracer.h"
#include "used_codes.h"
#include "valid.h"
#include "wipe.h"

/* A renewal holds the lock across one STS call: the others wait that long. */
#define RENEW_LOCK_WAIT_MS 20000

struct session {
    char path[PAR_MAX_PATH];
    int fd;
    int lock;                     /* sd_lock's descriptor, or -1 */
    struct par_msg meta;
};

static const char login_ended[] =
    "this login has ended: its session was closed at logout; log in again";

static const char no_credentials_yet[] =
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

/* Opens the session folder: private, not a link, ours (root becomes its owner). */
static int session_open_dir(struct session *s, const char *dir, char *err, size_t errlen)
{
    struct stat st;

    if (dir == NULL)
        dir = getenv("PAM_ASSUME_ROLE_DIR");
    if (dir == NULL || dir[0] != '/') {
        snprintf(err, errlen, "%s", no_session);
        return -1;
    }
    if (!par_valid_session_path(dir)) {
        snprintf(err, errlen, "PAM_ASSUME_ROLE_DIR (or --session) is not the path of a session "
                 "folder: log in again, or unset it");
        return -1;
    }
    snprintf(s->path, sizeof(s->path), "%s", dir);
    s->fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s->fd >= 0 && fstat(s->fd, &st) == 0 && st.st_uid != getuid() && getuid() == 0 &&
        st.st_uid != 0 && become(st.st_uid, err, errlen) != 0)
        return -1;
    if (s->fd < 0 || fstat(s->fd, &st) != 0 || st.st_uid != getuid() || (st.st_mode & 077)) {
        snprintf(err, errlen, "the session folder %s is gone or not yours (%s): log in "
                 "again, or run 'pam-assume-role refresh'", dir, s->fd < 0 ? strerror(errno) : "owner/mode");
        return -1;
    }
    return 0;
}

/* The manifest, read under the lock: every value must fit its set. */
static int session_read_meta(struct session *s, char *err, size_t errlen)
{
    char bad[64];

    par_msg_free(&s->meta);
    if (sd_read_meta(s->fd, &s->meta) != 0) {
        snprintf(err, errlen, "the session folder %s holds no session: run "
                 "'pam-assume-role refresh'", s->path);
        return -1;
    }
    if (par_meta_check(&s->meta, bad, sizeof(bad)) != 0) {
        snprintf(err, errlen, "%s/session holds a value outside its character set (%s), "
                 "so nothing of it is shown: log in again for a new session", s->path, bad);
        return -1;
    }
    if (par_msg_get(&s->meta, "ended") != NULL) {
        snprintf(err, errlen, "%s", login_ended);
        return -1;
    }
    return 0;
}

/* (Re)takes the lock as HOW and reads the manifest again: what another
 * process wrote before we got the lock is what counts. */
static int session_lock(struct session *s, int how, long wait_ms, char *err, size_t errlen)
{
    sd_unlock(s->lock);
    s->lock = sd_lock(s->fd, how, wait_ms, err, errlen);
    if (s->lock < 0)
        return -1;
    return session_read_meta(s, err, errlen);
}

/* The folder, then its lock (HOW), then its manifest. */
static int session_open(struct session *s, const char *dir, int how, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->lock = -1;
    if (session_open_dir(s, dir, err, errlen) != 0)
        return -1;
    return session_lock(s, how, SD_LOCK_WAIT_MS, err, errlen);
}

static void session_close(struct session *s)
{
    sd_unlock(s->lock);
    if (s->fd >= 0)
        close(s->fd);
    par_msg_free(&s->meta);
    s->fd = -1;
    s->lock = -1;
}

static const char *meta_env(const struct session *s, size_t i, const char *what)
{
    char key[32];

    snprintf(key, sizeof(key), "%s_%zu", what, i);
    return par_msg_get(&s->meta, key);
}

/* Index of environment NAME in the session, or -1. */
static int find_env(const struct session *s, const char *name)
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

static int is_session_strategy(const struct session *s)
{
    const char *st = par_msg_get(&s->meta, "strategy");

    return st != NULL && strcmp(st, "session") == 0;
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

    if (par_read_creds_file(s->fd, "credentials", name, c) != 0) {
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
static int env_creds(struct session *s, const char *name, struct par_creds *c, int *idx,
                     char *err, size_t errlen)
{
    int i = find_env(s, name);

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

static int fail(const char *err)
{
    char line[PAR_MAX_MESSAGE];

    snprintf(line, sizeof(line), "%s", err);
    par_clean_line(line);
    fprintf(stderr, "pam-assume-role: %s\n", line);
    return 1;
}

static const char *session_arg(int *argc, char ***argv)
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

int par_cmd_credential_process(int argc, char **argv)
{
    struct session s;
    struct par_creds c;
    char err[512];
    const char *dir = session_arg(&argc, &argv);
    int idx;

    if (argc != 2)
        return fprintf(stderr, "usage: pam-assume-role credential-process [--session DIR] ENV\n"), 2;
    if (session_open(&s, dir, LOCK_SH, err, sizeof(err)) != 0 ||
        env_creds(&s, argv[1], &c, &idx, err, sizeof(err)) != 0) {
        session_close(&s);
        return fail(err);
    }
    printf("{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\", "
           "\"SessionToken\": \"%s\", \"Expiration\": \"%s\"}\n", c.access_key_id,
           c.secret_access_key, c.session_token, c.expiration);
    par_creds_clear(&c);
    session_close(&s);
    return fflush(stdout) == 0 ? 0 : 1;
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

int par_cmd_env(int argc, char **argv)
{
    struct session s;
    char err[512];
    const char *dir = session_arg(&argc, &argv);
    int rc;

    if (argc > 2)
        return fprintf(stderr, "usage: pam-assume-role env [ENV]\n"), 2;
    if (session_open(&s, dir, LOCK_SH, err, sizeof(err)) != 0) {
        session_close(&s);
        return fail(err);
    }
    if (argc < 2 && par_msg_get(&s.meta, "default") == NULL) {
        session_close(&s);
        return fail(no_credentials_yet);
    }
    rc = print_exports(&s, argc == 2 ? argv[1] : par_msg_get(&s.meta, "default"));
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
    execvp(argv[3], argv + 3);
    fprintf(stderr, "pam-assume-role: cannot run %s: %s\n", argv[3], strerror(errno));
    return 127;
}

/* What the folder holds for environment I (role-ENV, or the credentials
 * file), or the manifest's login-time expiry when that is unreadable. */
struct env_state {
    char expiration[33];
    long long left;
    int renews;                   /* renewed on use: session strategy, MFA session alive */
};

static long long mfa_seconds_left(const struct session *s)
{
    const char *mfa = par_msg_get(&s->meta, "mfa_expiration");

    return mfa != NULL ? par_seconds_left(mfa) : -1;
}

static void env_state(const struct session *s, size_t i, struct env_state *st)
{
    const char *name = meta_env(s, i, "env");
    char file[64];
    struct par_creds c;

    snprintf(file, sizeof(file), is_session_strategy(s) ? "role-%s" : "credentials", name);
    if (par_read_creds_file(s->fd, file, name, &c) == 0)
        snprintf(st->expiration, sizeof(st->expiration), "%s", c.expiration);
    else
        snprintf(st->expiration, sizeof(st->expiration), "%s", meta_env(s, i, "expiration"));
    par_creds_clear(&c);
    st->left = par_seconds_left(st->expiration);
    st->renews = is_session_strategy(s) && mfa_seconds_left(s) > 60;
}

/* One environment's line; every value was checked by par_meta_check. */
static void status_line(const struct session *s, size_t i, const struct env_state *st)
{
    const char *env = meta_env(s, i, "env"), *role = meta_env(s, i, "role");
    char until[64];

    par_local_time(st->expiration, until, sizeof(until));
    if (st->left > 0)
        printf("%-12s %s  until %s (%lld min left)%s\n", env, role, until, st->left / 60,
               st->renews ? ", renews itself" : "");
    else
        printf("%-12s %s  EXPIRED at %s%s\n", env, role, until,
               st->renews ? " (renews at next use)" : ": run 'pam-assume-role refresh'");
}

/* Strategy session: the MFA session bounds every renewal. */
static void status_mfa_line(const struct session *s)
{
    const char *mfa = par_msg_get(&s->meta, "mfa_expiration");
    long long left = mfa_seconds_left(s);
    char until[64];

    if (!is_session_strategy(s) || mfa == NULL)
        return;
    par_local_time(mfa, until, sizeof(until));
    if (left > 60)
        printf("MFA session  until %s (%lld min left): roles renew themselves until then\n",
               until, left / 60);
    else
        printf("MFA session  ENDED at %s: nothing renews any more; run 'pam-assume-role "
               "refresh' with a new code\n", until);
}

static json_object *status_env_json(const struct session *s, size_t i, const struct env_state *st)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "environment", json_object_new_string(meta_env(s, i, "env")));
    json_object_object_add(o, "role_arn", json_object_new_string(meta_env(s, i, "role")));
    json_object_object_add(o, "expiration", json_object_new_string(st->expiration));
    json_object_object_add(o, "seconds_left", json_object_new_int64(st->left));
    json_object_object_add(o, "strategy",
                           json_object_new_string(is_session_strategy(s) ? "session" : "direct"));
    json_object_object_add(o, "renews", json_object_new_boolean(st->renews));
    return o;
}

static void status_mfa_json(json_object *top, const struct session *s)
{
    const char *mfa = s && is_session_strategy(s) ? par_msg_get(&s->meta, "mfa_expiration") : NULL;

    json_object_object_add(top, "mfa_session_expiration", mfa ? json_object_new_string(mfa) : NULL);
    json_object_object_add(top, "mfa_session_seconds_left",
                           mfa ? json_object_new_int64(mfa_seconds_left(s)) : NULL);
}

/* {"session": PATH or null, "mfa_session_expiration": ISO or null,
 *  "mfa_session_seconds_left": N or null, "environments": [...]} on stdout. */
static int print_status_json(const struct session *s)
{
    json_object *top = json_object_new_object(), *envs = json_object_new_array();
    struct env_state st;
    int rc;

    json_object_object_add(top, "session", s ? json_object_new_string(s->path) : NULL);
    status_mfa_json(top, s);
    for (size_t i = 0; s != NULL && meta_env(s, i, "env") != NULL; i++) {
        env_state(s, i, &st);
        json_object_array_add(envs, status_env_json(s, i, &st));
    }
    json_object_object_add(top, "environments", envs);
    rc = printf("%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
                                                       JSON_C_TO_STRING_SPACED |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(top);
    return rc < 0 ? -1 : 0;
}

/* Lines per environment; the number of environments that hold or can get
 * valid credentials without a new code. */
static int print_status_lines(const struct session *s, int json)
{
    struct env_state st;
    int usable = 0;
    size_t i;

    for (i = 0; meta_env(s, i, "env") != NULL; i++) {
        env_state(s, i, &st);
        usable += st.left > 0 || st.renews;
        if (!json)
            status_line(s, i, &st);
    }
    if (json)
        print_status_json(s);
    else if (i == 0)
        fprintf(stderr, "pam-assume-role: %s\n", no_credentials_yet);
    else
        status_mfa_line(s);
    return usable;
}

int par_cmd_status(int argc, char **argv)
{
    struct session s;
    char err[512];
    const char *dir = session_arg(&argc, &argv);
    int json = argc == 2 && strcmp(argv[1], "--json") == 0, usable;

    if (argc > 2 || (argc == 2 && !json))
        return fprintf(stderr, "usage: pam-assume-role status [--json]\n"), 2;
    if (session_open(&s, dir, LOCK_SH, err, sizeof(err)) != 0) {
        session_close(&s);
        if (json)
            print_status_json(NULL);
        return fail(err);
    }
    usable = print_status_lines(&s, json);
    if (is_session_strategy(&s) && mfa_seconds_left(&s) <= 60)
        usable = 0;   /* the MFA session ended: nothing renews until a new code */
    session_close(&s);
    return usable > 0 && fflush(stdout) == 0 ? 0 : 1;
}

/* refresh [--default ENV] [ENV...]: which environments, and the new default. */
struct refresh_args {
    char *envs[PAR_MAX_LOGIN_ENVS];
    size_t n;
    const char *default_env;      /* NULL: the session's default stays */
};

static int parse_refresh_args(int argc, char **argv, struct refresh_args *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--default") == 0 && i + 1 < argc && a->default_env == NULL)
            a->default_env = argv[++i];
        else if (argv[i][0] == '-' || a->n >= PAR_MAX_LOGIN_ENVS)
            return -1;
        else
            a->envs[a->n++] = argv[i];
    }
    return 0;
}

/* The named environments, or every environment the session holds. */
static int refresh_envs(struct session *s, struct par_context *ctx, struct refresh_args *a,
                        char *err, size_t errlen)
{
    char *envs[PAR_MAX_LOGIN_ENVS];
    size_t n = 0;

    if (a->n > 0)
        return par_context_prepare_login(ctx, a->envs, a->n, err, errlen);
    for (size_t i = 0; i < PAR_MAX_LOGIN_ENVS && meta_env(s, i, "env") != NULL; i++)
        envs[n++] = (char *)meta_env(s, i, "env");
    return par_context_prepare_login(ctx, n ? envs : NULL, n, err, errlen);
}

/* Reads a code (never while traced); nothing is recorded yet. */
static int read_code(const struct par_context *ctx, char *code, size_t cap)
{
    char prompt[128], err[512];

    snprintf(prompt, sizeof(prompt), "AWS MFA code for %s: ", ctx->login.envs[0].name);
    if (par_refuse_if_traced(err, sizeof(err)) != 0)
        return fail(err);
    if (par_read_code(prompt, code, cap) != 0 || !par_valid_mfa_code(code)) {
        par_wipe(code, cap);
        return fail("the MFA code must be 6 digits from your MFA device");
    }
    return 0;
}

/* Under the exclusive lock, with the manifest re-read (the login has not
 * ended): claims the code as sent; 0 when it may be sent. */
static int claim_code(struct session *s, const struct par_context *ctx, char *code, size_t cap)
{
    char err[512];
    int rc;

    if (session_lock(s, LOCK_EX, SD_LOCK_WAIT_MS, err, sizeof(err)) != 0) {
        par_wipe(code, cap);
        return fail(err);
    }
    rc = par_used_code_claim(ctx->run_dir, ctx->uid, code, err, sizeof(err));
    sd_unlock(s->lock);
    s->lock = -1;
    if (rc == PAR_USED_CODE_FREE)
        return 0;
    par_wipe(code, cap);
    return fail(rc == PAR_USED_CODE_SENT ? "this MFA code was already used and AWS accepts "
                "each code once: wait for the next code" : err);
}

/* The session after a refresh: every environment it held, with the
 * refreshed ones replaced by their new credentials. */
struct merged {
    struct par_login login;
    struct par_login_env envs[PAR_MAX_LOGIN_ENVS];
    bool loaded[PAR_MAX_LOGIN_ENVS];   /* credentials read from the folder: ours to wipe */
};

static const struct par_login_env *refreshed_env(const struct par_login *l, const char *name)
{
    for (size_t i = 0; i < l->n_envs; i++)
        if (strcmp(l->envs[i].name, name) == 0)
            return &l->envs[i];
    return NULL;
}

/* An environment the refresh left alone, as the folder holds it. */
static int keep_env(const struct session *s, size_t i, struct par_login_env *e)
{
    char file[64];

    e->name = meta_env(s, i, "env");
    e->role_arn = meta_env(s, i, "role");
    e->region = meta_env(s, i, "region");
    e->duration = strtol(meta_env(s, i, "duration"), NULL, 10);
    e->status = STS_OK;
    snprintf(file, sizeof(file), is_session_strategy(s) ? "role-%s" : "credentials", e->name);
    return par_read_creds_file(s->fd, file, e->name, &e->creds);
}

static int merge_envs(const struct session *s, const struct par_login *fresh, struct merged *m,
                      char *err, size_t errlen)
{
    size_t n = 0;
    bool same_strategy = is_session_strategy(s) == fresh->session_strategy;

    m->login = *fresh;
    for (size_t i = 0; same_strategy && meta_env(s, i, "env") != NULL; i++) {
        if (refreshed_env(fresh, meta_env(s, i, "env")) != NULL)
            continue;
        memset(&m->envs[n], 0, sizeof(m->envs[n]));
        if (keep_env(s, i, &m->envs[n]) == 0)
            m->loaded[n++] = true;   /* unreadable: dropped, as the manifest will say */
    }
    for (size_t i = 0; i < fresh->n_envs; i++) {
        if (n >= PAR_MAX_LOGIN_ENVS) {
            snprintf(err, errlen, "a session holds at most %d environments: refresh fewer",
                     PAR_MAX_LOGIN_ENVS);
            return -1;
        }
        m->envs[n++] = fresh->envs[i];
    }
    m->login.envs = m->envs;
    m->login.n_envs = n;
    return 0;
}

static void merged_clear(struct merged *m)
{
    for (size_t i = 0; i < PAR_MAX_LOGIN_ENVS; i++)
        if (m->loaded[i])
            par_creds_clear(&m->envs[i].creds);
}

/* The default after the refresh: --default, else the one the session had
 * (when it still holds it), else the first refreshed environment. */
static const char *new_default(const struct session *s, const struct merged *m,
                               const struct refresh_args *a, const struct par_login *fresh)
{
    const char *old = par_msg_get(&s->meta, "default");

    if (a->default_env != NULL)
        return refreshed_env(&m->login, a->default_env) ? a->default_env : NULL;
    if (old != NULL && refreshed_env(&m->login, old) != NULL)
        return old;
    return fresh->envs[0].name;
}

/* Under the exclusive lock: merges the new credentials into the session
 * as it is now, and writes it, the manifest last. */
static int write_merged(struct session *s, struct par_context *ctx, const struct refresh_args *a,
                        const char **def, char *err, size_t errlen)
{
    struct merged m;
    const char *pid, *start, *old_default;
    int rc = -1;

    memset(&m, 0, sizeof(m));
    if (session_lock(s, LOCK_EX, SD_LOCK_WAIT_MS, err, errlen) != 0 ||
        merge_envs(s, &ctx->login, &m, err, errlen) != 0)
        goto out;
    if ((*def = new_default(s, &m, a, &ctx->login)) == NULL) {
        snprintf(err, errlen, "--default %.32s names no environment of this session: name it "
                 "among the environments to refresh", a->default_env);
        goto out;
    }
    pid = par_msg_get(&s->meta, "session_pid");
    start = par_msg_get(&s->meta, "session_start");
    old_default = par_msg_get(&s->meta, "default");
    struct par_session_info info = {
        .user = ctx->user, .dir = s->path, .helper = ctx->helper, .config_path = ctx->config_path,
        .session_pid = pid ? strtoll(pid, NULL, 10) : 0,
        .session_start = start ? strtoll(start, NULL, 10) : 0,
        .session_strategy = ctx->login.session_strategy, .default_env = *def,
        .keep_env_file = old_default != NULL && strcmp(old_default, *def) == 0 &&
                         refreshed_env(&ctx->login, *def) == NULL,
    };
    rc = par_session_write(s->fd, &info, &m.login, err, errlen);
out:
    merged_clear(&m);
    return rc;
}

/* One line: what was refreshed, and what the open shells do about it. */
static void say_refreshed(const struct par_login *fresh, const char *def)
{
    const struct par_login_env *e = refreshed_env(fresh, def);
    char until[64];

    if (e != NULL) {
        par_local_time(e->creds.expiration, until, sizeof(until));
        printf("AWS %s: %s until %s; open shells pick it up at their next prompt\n",
               e->name, e->role_arn, until);
        return;
    }
    e = &fresh->envs[0];
    par_local_time(e->creds.expiration, until, sizeof(until));
    printf("AWS %s: %s until %s%s; the shells stay on %s (use 'pam-assume-role exec %s -- CMD', "
           "or 'refresh --default %s')\n", e->name, e->role_arn, until,
           fresh->n_envs > 1 ? " (and the others named)" : "", def, e->name, e->name);
}

/* New code, new credentials, merged into the session under its lock. */
static int refresh(struct session *s, struct par_context *ctx, const struct refresh_args *a)
{
    char code[16], err[512];
    const char *def = NULL;
    int rc = 1;

    if (read_code(ctx, code, sizeof(code)) != 0 || claim_code(s, ctx, code, sizeof(code)) != 0)
        return 1;
    if (par_login_run(&ctx->login, code) != 0) {
        snprintf(err, sizeof(err), "%s; the credentials you had are unchanged",
                 ctx->login.message);
        fail(err);
    } else if (write_merged(s, ctx, a, &def, err, sizeof(err)) != 0) {
        fail(err);
    } else {
        say_refreshed(&ctx->login, def);
        rc = 0;
    }
    par_wipe(code, sizeof(code));
    return rc;
}

int par_cmd_refresh(int argc, char **argv)
{
    struct session s;
    struct par_context ctx;
    struct refresh_args args;
    char err[512], config[PAR_MAX_PATH];
    const char *dir = session_arg(&argc, &argv);
    int rc;

    memset(&ctx, 0, sizeof(ctx));
    if (parse_refresh_args(argc, argv, &args) != 0)
        return fprintf(stderr, "usage: pam-assume-role refresh [--default ENV] [ENV...]\n"), 2;
    if (session_open(&s, dir, LOCK_SH, err, sizeof(err)) != 0) {
        session_close(&s);
        return fail(err);
    }
    /* A copy: the manifest is read again under the lock before the write. */
    snprintf(config, sizeof(config), "%s", par_msg_get(&s.meta, "config") ?: PAR_CONFIG_PATH);
    if (par_context_load(&ctx, config, 0, err, sizeof(err)) != 0 ||
        refresh_envs(&s, &ctx, &args, err, sizeof(err)) != 0) {
        par_context_free(&ctx);
        session_close(&s);
        return fail(err);
    }
    /* No lock while the person types the code: close must never wait for that. */
    sd_unlock(s.lock);
    s.lock = -1;
    rc = refresh(&s, &ctx, &args);
    par_context_free(&ctx);
    session_close(&s);
    return rc;
}
