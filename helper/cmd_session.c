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
#include <sys/stat.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include "adopt.h"
#include "commands.h"
#include "context.h"
#include "protocol.h"
#include "prompt.h"
#include "session_dir.h"
#include "session_files.h"
#include "session_meta.h"
#include "tracer.h"
#include "used_codes.h"
#include "valid.h"
#include "wipe.h"

#define RENEW_BEFORE 300   /* renew a role session with less than 5 min left */

struct session {
    char path[PAR_MAX_PATH];
    int fd;
    struct par_msg meta;
    int gone;                     /* its login has ended: the folder is gone or ending */
    int from_hook;                /* asked by the profile hook: renewals get hook_timeout_ms */
};

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
    if (s->fd < 0 && par_adopt_folder_gone(dir, errno))
        return session_gone(s, err, errlen);
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

/* The folder, then its metadata, every value of which must fit its set. */
static int session_open(struct session *s, const char *dir, char *err, size_t errlen)
{
    char bad[64];

    memset(s, 0, sizeof(*s));
    s->fd = -1;
    if (session_open_dir(s, dir, err, errlen) != 0)
        return -1;
    if (sd_read_meta(s->fd, &s->meta) != 0 || par_msg_get(&s->meta, "ended") != NULL)
        return session_gone(s, err, errlen);   /* ended, or being removed by close */
    if (par_meta_check(&s->meta, bad, sizeof(bad)) != 0) {
        snprintf(err, errlen, "%s/session holds a value outside its character set (%s), "
                 "so nothing of it is shown: log in again for a new session", s->path, bad);
        return -1;
    }
    return 0;
}

static void session_close(struct session *s)
{
    if (s->fd >= 0)
        close(s->fd);
    par_msg_free(&s->meta);
    s->fd = -1;
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

/* The current credentials of environment NAME, renewed when due and possible. */
static int env_creds(struct session *s, const char *name, struct par_creds *c, int *idx,
                     char *err, size_t errlen)
{
    int i = find_env(s, name);
    char file[64];

    if (i < 0) {
        snprintf(err, errlen, "this session holds no credentials for '%.32s': run "
                 "'pam-assume-role refresh %.32s'", name, name);
        return -1;
    }
    *idx = i;
    if (!is_session_strategy(s)) {
        if (par_read_creds_file(s->fd, "credentials", name, c) != 0) {
            snprintf(err, errlen, "the credentials of '%s' are unreadable: run "
                     "'pam-assume-role refresh %s'", name, name);
            return -1;
        }
        return 0;
    }
    snprintf(file, sizeof(file), "role-%s", name);
    if (par_read_creds_file(s->fd, file, name, c) == 0 &&
        par_seconds_left(c->expiration) > RENEW_BEFORE)
        return 0;
    par_creds_clear(c);
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
    if (session_open(&s, dir, err, sizeof(err)) != 0 ||
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
    int rc, from_hook, or_default;

    env_options(&argc, &argv, &from_hook, &or_default);
    if (argc > 2)
        return fprintf(stderr, "usage: pam-assume-role env [--from-hook] [--or-default] "
                       "[ENV]\n"), 2;
    if (session_open(&s, dir, err, sizeof(err)) != 0) {
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
    rc = print_exports(&s, name);
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

    if (session_open(&s, dir, err, sizeof(err)) != 0 ||
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

/* One environment's line; every value was checked by par_meta_check. */
static void status_line(const struct session *s, size_t i)
{
    const char *env = meta_env(s, i, "env"), *role = meta_env(s, i, "role");
    const char *exp = meta_env(s, i, "expiration");
    long long left = par_seconds_left(exp);
    char until[64];

    par_local_time(exp, until, sizeof(until));
    if (left > 0)
        printf("%-12s %s  until %s (%lld min left)%s\n", env, role, until, left / 60,
               is_session_strategy(s) ? ", renews itself" : "");
    else
        printf("%-12s %s  EXPIRED at %s%s\n", env, role, until,
               is_session_strategy(s) ? " (renews at next use)" : ": run 'pam-assume-role refresh'");
}

static json_object *status_env_json(const struct session *s, size_t i)
{
    json_object *o = json_object_new_object();
    const char *exp = meta_env(s, i, "expiration");
    int renews = is_session_strategy(s);

    json_object_object_add(o, "environment", json_object_new_string(meta_env(s, i, "env")));
    json_object_object_add(o, "role_arn", json_object_new_string(meta_env(s, i, "role")));
    json_object_object_add(o, "expiration", json_object_new_string(exp));
    json_object_object_add(o, "seconds_left", json_object_new_int64(par_seconds_left(exp)));
    json_object_object_add(o, "strategy", json_object_new_string(renews ? "session" : "direct"));
    json_object_object_add(o, "renews", json_object_new_boolean(renews));
    return o;
}

/* {"session": PATH or null, "environments": [...]} on stdout. */
static int print_status_json(const struct session *s)
{
    json_object *top = json_object_new_object(), *envs = json_object_new_array();
    int rc;

    json_object_object_add(top, "session", s ? json_object_new_string(s->path) : NULL);
    for (size_t i = 0; s != NULL && meta_env(s, i, "env") != NULL; i++)
        json_object_array_add(envs, status_env_json(s, i));
    json_object_object_add(top, "environments", envs);
    rc = printf("%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
                                                       JSON_C_TO_STRING_SPACED |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(top);
    return rc < 0 ? -1 : 0;
}

int par_cmd_status(int argc, char **argv)
{
    struct session s;
    char err[512];
    const char *dir = session_arg(&argc, &argv);
    int json = argc == 2 && strcmp(argv[1], "--json") == 0, valid = 0;
    size_t i;

    if (argc > 2 || (argc == 2 && !json))
        return fprintf(stderr, "usage: pam-assume-role status [--json]\n"), 2;
    if (session_open(&s, dir, err, sizeof(err)) != 0) {
        session_close(&s);
        if (json)
            print_status_json(NULL);
        return s.gone && !json ? par_adopt_offer(s.path) : fail(err);
    }
    for (i = 0; meta_env(&s, i, "env") != NULL; i++) {
        valid += par_seconds_left(meta_env(&s, i, "expiration")) > 0 || is_session_strategy(&s);
        if (!json)
            status_line(&s, i);
    }
    if (json)
        print_status_json(&s);
    else if (i == 0)
        fprintf(stderr, "pam-assume-role: %s\n", no_credentials_yet);
    session_close(&s);
    return valid > 0 && fflush(stdout) == 0 ? 0 : 1;
}

static int refresh_envs(struct session *s, struct par_context *ctx, int argc, char **argv,
                        char *err, size_t errlen)
{
    char *envs[PAR_MAX_LOGIN_ENVS];
    size_t n = 0;

    if (argc > 1)
        return par_context_prepare_login(ctx, argv + 1, (size_t)(argc - 1), err, errlen);
    for (size_t i = 0; i < PAR_MAX_LOGIN_ENVS && meta_env(s, i, "env") != NULL; i++)
        envs[n++] = (char *)meta_env(s, i, "env");
    return par_context_prepare_login(ctx, n ? envs : NULL, n, err, errlen);
}

/* Reads a code (never while traced) and claims it as sent; 0 when it may be sent. */
static int ask_code(const struct par_context *ctx, char *code, size_t cap)
{
    char prompt[128], err[512];
    int rc;

    snprintf(prompt, sizeof(prompt), "AWS MFA code for %s: ", ctx->login.envs[0].name);
    if (par_refuse_if_traced(err, sizeof(err)) != 0)
        return fail(err);
    if (par_read_code(prompt, code, cap) != 0 || !par_valid_mfa_code(code)) {
        par_wipe(code, cap);
        return fail("the MFA code must be 6 digits from your MFA device");
    }
    rc = par_used_code_claim(ctx->run_dir, ctx->uid, code, err, sizeof(err));
    if (rc == PAR_USED_CODE_FREE)
        return 0;
    par_wipe(code, cap);
    return fail(rc == PAR_USED_CODE_SENT ? "this MFA code was already used and AWS accepts "
                "each code once: wait for the next code" : err);
}

/* New code, new credentials, written over the same session's files. */
static int refresh(struct session *s, struct par_context *ctx)
{
    char code[16], err[512];
    const char *pid = par_msg_get(&s->meta, "session_pid");
    const char *start = par_msg_get(&s->meta, "session_start");
    int rc = 1;

    if (ask_code(ctx, code, sizeof(code)) != 0)
        return 1;
    struct par_session_info info = {
        .user = ctx->user, .dir = s->path, .helper = ctx->helper, .config_path = ctx->config_path,
        .session_pid = pid ? strtoll(pid, NULL, 10) : 0,
        .session_start = start ? strtoll(start, NULL, 10) : 0,
        .session_strategy = ctx->login.session_strategy, .default_env = ctx->login.envs[0].name,
    };
    if (par_login_run(&ctx->login, code) != 0) {
        snprintf(err, sizeof(err), "%s; the credentials you had are unchanged",
                 ctx->login.message);
        fail(err);
    } else if (par_session_write(s->fd, &info, &ctx->login, err, sizeof(err)) != 0)
        fail(err);
    else {
        char until[64];

        par_local_time(ctx->login.envs[0].creds.expiration, until, sizeof(until));
        printf("AWS %s: %s until %s; open shells pick it up at their next prompt\n",
               ctx->login.envs[0].name, ctx->login.envs[0].role_arn, until);
        rc = 0;
    }
    par_wipe(code, sizeof(code));
    return rc;
}

int par_cmd_refresh(int argc, char **argv)
{
    struct session s;
    struct par_context ctx;
    char err[512];
    const char *dir = session_arg(&argc, &argv), *config;
    int rc;

    memset(&ctx, 0, sizeof(ctx));
    if (session_open(&s, dir, err, sizeof(err)) != 0) {
        session_close(&s);
        return s.gone ? par_adopt_offer(s.path) : fail(err);
    }
    config = par_msg_get(&s.meta, "config");
    if (par_context_load(&ctx, config ? config : PAR_CONFIG_PATH, 0, err, sizeof(err)) != 0 ||
        refresh_envs(&s, &ctx, argc, argv, err, sizeof(err)) != 0) {
        par_context_free(&ctx);
        session_close(&s);
        return fail(err);
    }
    rc = refresh(&s, &ctx);
    par_context_free(&ctx);
    session_close(&s);
    return rc;
}
