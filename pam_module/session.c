/*
 * The session phase: with a code, the helper (as the person) gets the
 * credentials; the module checks its report and exports them (close.c
 * removes the folder at the end). Every return code is chosen here.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <sys/wait.h>
#include <security/pam_ext.h>

#include "compat.h"
#include "proctime.h"
#include "module.h"
#include "valid.h"
#include "wipe.h"

#define PAR_NO_CODE_HINT "No AWS MFA code given: no AWS credentials in this session. " \
    "Run 'pam-assume-role refresh' to get them."

static const char *const par_exported[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
    "AWS_DEFAULT_REGION", "AWS_CREDENTIAL_EXPIRATION", PAR_DIR_VAR, PAR_ENV_VAR,
};

struct par_open {
    pam_handle_t *pamh;
    const struct par_opts *opts;
    const struct par_config *cfg;
    struct par_person person;
    long long start_ms;
};

static void log_outcome(const struct par_open *o, int prio, const char *result,
                        const struct par_report *r, const char *detail)
{
    par_log(o->pamh, prio, "open %s: person=%s user=%s service=%s rhost=%s tty=%s "
            "environment=%s role=%s ms=%lld %s%s", result, o->person.name,
            par_item_str(o->pamh, PAM_USER), par_item_str(o->pamh, PAM_SERVICE),
            par_item_str(o->pamh, PAM_RHOST), par_item_str(o->pamh, PAM_TTY),
            r != NULL && r->environment != NULL ? r->environment : "-",
            r != NULL && r->role_arn != NULL ? r->role_arn : "-", par_now_ms() - o->start_ms,
            r != NULL && r->log != NULL ? "helper: " : "",
            r != NULL && r->log != NULL ? r->log : detail);
}

/* The failure path: one line to the person, one to syslog, on_failure decides. */
static int fail(const struct par_open *o, const char *message, const struct par_report *r,
                const char *detail)
{
    par_tell(o->pamh, PAM_ERROR_MSG, message);
    log_outcome(o, LOG_ERR, "failed", r, detail);
    /*
     * Not PAM_SESSION_ERR: sudo treats that one as non-fatal and runs the
     * command anyway. sudo fails on every other code, and sshd, su and login
     * on any failure; PAM_PERM_DENIED also says what happened.
     */
    if (o->cfg->on_failure == PAR_ON_FAILURE_DENY)
        return PAM_PERM_DENIED;
    if (strcmp(o->person.name, "-") != 0)  /* someone to refresh it later */
        par_session_leave_empty(o->pamh, o->opts, o->cfg, &o->person);
    return PAM_SUCCESS;
}

static int fail_own(const struct par_open *o, const char *what, const char *detail)
{
    char msg[512];
    bool deny = o->cfg->on_failure == PAR_ON_FAILURE_DENY;

    snprintf(msg, sizeof(msg), "AWS credentials: %s; %s. Try 'pam-assume-role refresh'.",
             what, deny ? "this session is refused" : "continuing without them");
    return fail(o, msg, NULL, detail);
}

/* The helper could not be executed as the person: only the admin can fix that. */
static int fail_exec(const struct par_open *o, const struct par_run *run)
{
    char reason[PAR_MAX_PATH + 128], detail[PAR_MAX_PATH + 160], msg[3 * PAR_MAX_PATH];
    bool deny = o->cfg->on_failure == PAR_ON_FAILURE_DENY;

    par_exec_reason(run, reason, sizeof(reason));
    par_exec_detail(run, detail, sizeof(detail));
    snprintf(msg, sizeof(msg), "AWS credentials: cannot run the helper %s as %s: %s; %s: ask "
             "the admin to run 'pam-assume-role check-config'.", run->helper, o->person.name,
             reason, deny ? "this session is refused" : "continuing without them");
    return fail(o, msg, NULL, detail);
}

int par_put_var(pam_handle_t *pamh, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 2;
    char *entry = malloc(n);
    int rc;

    if (entry == NULL)
        return PAM_BUF_ERR;
    snprintf(entry, n, "%s=%s", name, value);
    rc = pam_putenv(pamh, entry);
    par_wipe(entry, n);
    free(entry);
    return rc;
}

void par_drop_vars(pam_handle_t *pamh)
{
    for (size_t i = 0; i < sizeof(par_exported) / sizeof(par_exported[0]); i++)
        par_unsetenv(pamh, par_exported[i]);
    par_drop_aws_files(pamh);
}

static void free_data(pam_handle_t *pamh, void *data, int status)
{
    (void)pamh;
    (void)status;
    free(data);
}

/* The first PAR_SECRET_VARS of par_exported are the keys. */
#define PAR_SECRET_VARS 3

static int export(pam_handle_t *pamh, const struct par_config *cfg,
                  const struct par_person *person, const struct par_report *r)
{
    const char *values[] = { r->access_key_id, r->secret_key, r->session_token, r->region,
                             r->region, r->expiration, r->session_dir, r->environment };
    bool keys = par_keys_in_environment(pamh, cfg);
    char *dir = strdup(r->session_dir);
    int rc = dir == NULL ? PAM_BUF_ERR : PAM_SUCCESS;

    for (size_t i = keys ? 0 : PAR_SECRET_VARS;
         rc == PAM_SUCCESS && i < sizeof(values) / sizeof(values[0]); i++)
        rc = par_put_var(pamh, par_exported[i], values[i]);
    if (rc == PAM_SUCCESS && !keys)
        rc = par_export_aws_files(pamh, person, r->session_dir);
    if (rc == PAM_SUCCESS)
        rc = pam_set_data(pamh, PAR_DIR_DATA, dir, free_data);
    if (rc != PAM_SUCCESS) {
        par_drop_vars(pamh);
        free(dir);
    }
    return rc;
}

static int accept_report(struct par_open *o, struct par_run *run)
{
    struct par_msg msg;
    struct par_report r;
    char why[256];
    int rc;

    if (par_msg_parse(run->report, run->report_len, &msg) != 0)
        return fail_own(o, "the helper gave no usable answer (see syslog)", "malformed report");
    if (par_report_check(&msg, true, par_run_dir(o->cfg), o->person.uid, &r, why,
                         sizeof(why)) != 0) {
        rc = fail_own(o, "the helper gave no usable answer (see syslog)", why);
    } else if (!r.ok) {
        rc = fail(o, r.message != NULL ? r.message
                  : "AWS credentials: not obtained (see syslog).", &r, "status=error");
    } else if ((rc = export(o->pamh, o->cfg, &o->person, &r)) != PAM_SUCCESS) {
        rc = fail_own(o, "the variables could not be set", pam_strerror(o->pamh, rc));
    } else {
        /* Some environments refused, or the files not written: said, and logged higher. */
        bool whole = r.log == NULL || strncmp(r.log, "result=ok ", 10) == 0;

        if (r.message != NULL)
            par_tell(o->pamh, whole ? PAM_TEXT_INFO : PAM_ERROR_MSG, r.message);
        if (r.notice != NULL)
            par_tell(o->pamh, PAM_TEXT_INFO, r.notice);
        log_outcome(o, whole ? LOG_INFO : LOG_WARNING, whole ? "ok" : "partial", &r, "");
        rc = PAM_SUCCESS;
    }
    par_msg_free(&msg);
    return rc;
}

/* "the helper was killed by signal 11 (SIGSEGV)": what became of a helper without a report. */
static void describe_end(const struct par_run *run, enum par_run_result res, char *out,
                         size_t outlen)
{
    int st = run->wait_status;
    const char *sig = WIFSIGNALED(st) ? sigabbrev_np(WTERMSIG(st)) : NULL;

    if (res == PAR_RUN_NOSTART)
        snprintf(out, outlen, "the helper %s could not be started", run->helper);
    else if (WIFSIGNALED(st))
        snprintf(out, outlen, "the helper was killed by signal %d (SIG%s)", WTERMSIG(st),
                 sig != NULL ? sig : "?");
    else if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        snprintf(out, outlen, "the helper %s could not be run (exit status 127): check the "
                 "helper setting and the person's account", run->helper);
    else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
        snprintf(out, outlen, "the helper exited with status %d (a report counts only from a "
                 "helper that exits 0)", WEXITSTATUS(st));
    else
        snprintf(out, outlen, "the helper's report was too long or unreadable");
}

/* "the helper did not finish within 5 s: STS answered at 2.9 s" (when the helper said so). */
static void describe_timeout(const struct par_run *run, long long forked, char *out,
                             size_t outlen)
{
    static const char key[] = "sts_answered_at=";
    const char *at = strstr(run->report, key);
    long long answered = -1;

    if (at != NULL && (at == run->report || at[-1] == '\n'))
        answered = strtoll(at + sizeof(key) - 1, NULL, 10) - forked;
    if (answered >= 0 && answered <= run->deadline_ms)
        snprintf(out, outlen, "the helper did not finish within %ld s: STS answered at "
                 "%lld.%lld s", (run->deadline_ms + 999) / 1000, answered / 1000,
                 answered % 1000 / 100);
    else
        snprintf(out, outlen, "the helper did not finish within %ld s",
                 (run->deadline_ms + 999) / 1000);
}

static int run_open(struct par_open *o, const char *code, const char *keypass)
{
    struct par_run *run = calloc(1, sizeof(*run));
    char request[PAR_MSG_MAX], why[512];
    long long forked = par_now_ms();
    enum par_run_result res;
    int rc;

    if (run == NULL)
        return fail_own(o, "out of memory", "calloc failed");
    run->helper = par_helper_path(o->cfg);
    run->command = "pam-open";
    run->config_path = o->cfg->path != NULL ? o->cfg->path : o->opts->config_path;
    run->person = &o->person;
    run->deadline_ms = o->cfg->timeout_ms + PAR_DEADLINE_MARGIN_MS;
    run->deadline_at = forked + run->deadline_ms;  /* the helper budgets against it too */
    if (par_request_build(o->pamh, &o->person, "code", code, keypass, run->deadline_at,
                          request, sizeof(request), &run->request_len) != 0) {
        rc = fail_own(o, "the request could not be built", "a PAM item holds a line break");
    } else {
        run->request = request;
        res = par_run_helper(o->pamh, o->opts, run);
        if (res == PAR_RUN_OK) {
            rc = accept_report(o, run);
        } else if (res == PAR_RUN_NOEXEC) {
            rc = fail_exec(o, run);
        } else if (res == PAR_RUN_TIMEOUT) {
            describe_timeout(run, forked, why, sizeof(why));
            rc = fail_own(o, why, "helper killed at the deadline");
        } else {
            describe_end(run, res, why, sizeof(why));
            rc = fail_own(o, "the helper failed (see syslog)", why);
        }
    }
    par_wipe(request, sizeof(request));
    par_wipe(run, sizeof(*run));
    free(run);
    return rc;
}

static int open_with_code(pam_handle_t *pamh, const struct par_opts *opts,
                          const struct par_config *cfg, const char *code, const char *keypass)
{
    struct par_open o = { pamh, opts, cfg, { .name = "-" }, par_now_ms() };
    char err[512];
    int ready;

    if (par_person_find(pamh, opts, cfg, &o.person) != 0)
        return fail_own(&o, "your account could not be looked up", "no such person");
    if ((ready = par_rundir_prepare(pamh, cfg, &o.person, err, sizeof(err))) != 0)
        return fail_own(&o, ready == PAR_RUNDIR_FULL ? err : "the session folder could not "
                        "be prepared (see syslog)", err);
    par_debug(pamh, opts, "%s/%u ready for %s", par_run_dir(cfg), (unsigned)o.person.uid,
              o.person.name);
    return run_open(&o, code, keypass);
}

/* session_prompt, and not sshd: its conversation refuses prompts in this phase. */
static bool session_may_ask(pam_handle_t *pamh, const struct par_opts *opts)
{
    return opts->session_prompt && !par_service_is_sshd(pamh);
}

static char *ask_in_session(pam_handle_t *pamh, const struct par_opts *opts,
                            const struct par_config *cfg)
{
    char prompt[256];
    char *answer = NULL;

    if (!session_may_ask(pamh, opts))
        return NULL;
    par_code_prompt(pamh, opts, cfg, prompt, sizeof(prompt));
    if (par_ask(pamh, prompt, &answer) != PAM_SUCCESS || answer == NULL || answer[0] == '\0') {
        par_free_secret(answer);
        return NULL;
    }
    if (par_valid_mfa_code(answer))
        return answer;
    par_free_secret(answer);
    par_tell(pamh, PAM_ERROR_MSG, PAR_BAD_CODE_MSG);
    return NULL;
}

/*
 * su - svc, sudo -u svc: every process of svc could read the person's
 * credentials, so unless the admin listed svc there are none, no folder and
 * no question; true when that is so (the code, if any, is wiped by the caller).
 */
static bool not_for_this_account(pam_handle_t *pamh, const struct par_opts *opts,
                                 const struct par_config *cfg, bool code_given)
{
    struct par_person p;
    char target[256], msg[768];

    if (par_person_find(pamh, opts, cfg, &p) != 0 ||
        par_target_receives(pamh, cfg, &p, target, sizeof(target)))
        return false;
    if (code_given || cfg->no_code_hint || opts->session_prompt) {
        snprintf(msg, sizeof(msg), "AWS credentials: not given to %s's session (credentials "
                 "go only to your own sessions and root's); ask an administrator to list %s "
                 "in target_accounts", target, target);
        par_tell(pamh, PAM_TEXT_INFO, msg);
    }
    par_log(pamh, LOG_INFO, "open skipped: person=%s user=%s service=%s: %s is not in "
            "target_accounts; no AWS credentials%s", p.name, target,
            par_item_str(pamh, PAM_SERVICE), target, code_given ? " (code dropped)" : "");
    return true;
}

/* A code asked in this phase: the store's passphrase too (NULL when skipped, *code wiped). */
static char *keypass_in_session(pam_handle_t *pamh, const struct par_opts *opts,
                                const struct par_config *cfg, char **code)
{
    struct par_person p;
    char *pass = NULL;

    if (par_person_find(pamh, opts, cfg, &p) == 0 &&
        par_keypass_obtain(pamh, opts, cfg, &p, true, &pass) == PAR_KEYPASS_SKIPPED_BY_PERSON) {
        par_free_secret(*code);
        *code = NULL;
    }
    return pass;
}

static int session_open(pam_handle_t *pamh, const struct par_opts *opts, char *code,
                        char **keypass)
{
    struct par_config cfg;
    int rc;

    if (par_load_config(pamh, opts, &cfg) != 0) {
        if (code != NULL)
            par_tell(pamh, PAM_ERROR_MSG, "AWS credentials: the system configuration "
                     "could not be read; ask an administrator (see syslog).");
        par_free_secret(code);
        return PAM_SESSION_ERR;
    }
    if (not_for_this_account(pamh, opts, &cfg, code != NULL)) {
        par_free_secret(code);
        par_config_free(&cfg);
        return PAM_SUCCESS;
    }
    if (code == NULL && (code = ask_in_session(pamh, opts, &cfg)) != NULL && *keypass == NULL)
        *keypass = keypass_in_session(pamh, opts, &cfg, &code);
    else if (code != NULL && *keypass == NULL && session_may_ask(pamh, opts))
        *keypass = keypass_in_session(pamh, opts, &cfg, &code);  /* suffix mode's store */
    if (code == NULL) {
        struct par_person p;

        par_debug(pamh, opts, "no MFA code: no AWS credentials for this session");
        if (cfg.no_code_hint)
            par_tell(pamh, PAM_TEXT_INFO, PAR_NO_CODE_HINT);
        if (par_person_find(pamh, opts, &cfg, &p) == 0)
            par_session_leave_empty(pamh, opts, &cfg, &p);
        par_rundir_done(pamh);
        par_config_free(&cfg);
        return PAM_SUCCESS;
    }
    rc = open_with_code(pamh, opts, &cfg, code, *keypass);
    par_rundir_done(pamh);  /* the session folder exists (or never will) */
    par_free_secret(code);
    par_config_free(&cfg);
    return rc;
}

int par_session_open(pam_handle_t *pamh, const struct par_opts *opts)
{
    /* Both removed from where auth left them, used or not. */
    char *code = par_secret_take(pamh, &par_code_secret);
    char *keypass = par_secret_take(pamh, &par_keypass_secret);
    int rc = session_open(pamh, opts, code, &keypass);

    par_free_secret(keypass);
    return rc;
}
