/*
 * Internals of pam_assume_role.so: one small file per job. Only the five
 * pam_sm_* entry points (entry.c) are exported.
 */
#ifndef PAR_MODULE_H
#define PAR_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <security/pam_modules.h>

#include "config.h"
#include "protocol.h"

#define PAR_EXPORT __attribute__((visibility("default")))
#define PAR_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* The PAM environment name that carries the code out of sshd's auth process. */
#define PAR_CODE_VAR "PAM_ASSUME_ROLE_CODE"
/* The PAM environment name that carries the key store's passphrase likewise. */
#define PAR_KEYPASS_VAR "PAM_ASSUME_ROLE_KEYPASS"
/* The PAM environment name of the session folder (for the shell and close). */
#define PAR_DIR_VAR "PAM_ASSUME_ROLE_DIR"
/* The PAM environment name of the exported environment ("integration"). */
#define PAR_ENV_VAR "PAM_ASSUME_ROLE_ENVIRONMENT"
/* pam_set_data key of the session folder, kept from open to close. */
#define PAR_DIR_DATA "pam_assume_role_session_dir"
/* Extra time the module grants the helper beyond the config's STS budget. */
#define PAR_DEADLINE_MARGIN_MS 2000
/* Removing a session folder is a few system calls: a stuck file system gets this long. */
#define PAR_CLOSE_DEADLINE_MS 5000

/* options.c: the arguments of the pam.d line. */
enum par_mode { PAR_MODE_PROMPT = 0, PAR_MODE_SUFFIX };

struct par_opts {
    bool debug;
    const char *config_path;
    enum par_mode mode;
    bool session_prompt;
};

void par_opts_parse(pam_handle_t *pamh, int argc, const char **argv, struct par_opts *opts);

/* log.c: syslog through pam_syslog; debug lines only with "debug". */
void par_log(pam_handle_t *pamh, int prio, const char *fmt, ...) PAR_PRINTF(3, 4);
void par_debug(pam_handle_t *pamh, const struct par_opts *opts, const char *fmt, ...)
    PAR_PRINTF(3, 4);
/* An item as a printable string for log lines ("" when unset). */
const char *par_item_str(pam_handle_t *pamh, int item);
/* Removes NAME from the PAM environment when it is there. */
void par_unsetenv(pam_handle_t *pamh, const char *name);
/* Loads the config named by opts; logs and returns -1 on failure. */
int par_load_config(pam_handle_t *pamh, const struct par_opts *opts, struct par_config *cfg);

/* conv.c: the PAM conversation. */
/* Asks with echo off; *answer is malloc'd (wipe with par_free_secret). */
int par_ask(pam_handle_t *pamh, const char *prompt, char **answer);
void par_tell(pam_handle_t *pamh, int style, const char *text);
/* "AWS MFA code for ENV (Enter to skip): " into buf. */
void par_code_prompt(pam_handle_t *pamh, const struct par_opts *opts,
                     const struct par_config *cfg, char *buf, size_t cap);
bool par_service_is_sshd(pam_handle_t *pamh);

/* capture.c: the auth phase. */
#define PAR_BAD_CODE_MSG "AWS MFA code must be 6 digits; continuing without AWS " \
    "credentials. Run 'pam-assume-role refresh' in your session to try again."
int par_capture(pam_handle_t *pamh, const struct par_opts *opts);

/* handover.c: a secret from auth to the session (the code, the passphrase). */
struct par_secret {
    const char *data_key;          /* pam_set_data */
    const char *env_var;           /* the PAM environment, under sshd until setcred */
    const char *what;              /* for log lines */
    bool (*valid)(const char *);   /* anything else is dropped */
};
extern const struct par_secret par_code_secret, par_keypass_secret;
/* Keeps a copy where the session phase finds it (replacing an earlier one). */
int par_secret_keep(pam_handle_t *pamh, const struct par_secret *s, const char *value);
/* setcred: moves it out of the PAM environment (sshd) into pam_set_data. */
void par_secret_hold(pam_handle_t *pamh, const struct par_secret *s);
bool par_secret_held(pam_handle_t *pamh, const struct par_secret *s);
/* A malloc'd copy from where auth left it (always removing it there), or NULL. */
char *par_secret_take(pam_handle_t *pamh, const struct par_secret *s);
/* Removes and wipes it wherever it is (setcred PAM_DELETE_CRED, a new auth round). */
void par_secret_forget(pam_handle_t *pamh, const struct par_secret *s);

/* keypass.c: the key store's passphrase (after a code, in the same phase). */
#define PAR_KEYPASS_PROMPT "AWS key passphrase (Enter to skip): "
struct par_person;
enum par_store_kind { PAR_STORE_NONE, PAR_STORE_LOGIN, PAR_STORE_OWN, PAR_STORE_UNREADABLE };
/* What HOME/.pam_assume_role/key-store is, decided by a child that is the person. */
enum par_store_kind par_store_probe(pam_handle_t *pamh, const struct par_opts *opts,
                                    const struct par_config *cfg, const struct par_person *p);
enum { PAR_KEYPASS_NOT_NEEDED = 0, PAR_KEYPASS_GOT, PAR_KEYPASS_SKIPPED_BY_PERSON };
/* pam_putenv("NAME=VALUE"), the joined copy wiped after. */
int par_put_var(pam_handle_t *pamh, const char *name, const char *value);
/* The passphrase for p's store: the login password or (may_ask) the prompt; *pass
 * malloc'd or NULL. */
int par_keypass_obtain(pam_handle_t *pamh, const struct par_opts *opts,
                       const struct par_config *cfg, const struct par_person *p, bool may_ask,
                       char **pass);
/* Auth phase, after a code was kept: obtains and keeps the passphrase (or drops the code);
 * may_ask false before the password is checked (suffix mode): the login password only. */
int par_keypass_capture(pam_handle_t *pamh, const struct par_opts *opts,
                        const struct par_config *cfg, bool may_ask);

/* person.c: whose credentials. */
struct par_person {
    char name[256];
    uid_t uid;
    gid_t gid;
    char home[1024];
    char shell[1024];
};

int par_person_find(pam_handle_t *pamh, const struct par_opts *opts,
                    const struct par_config *cfg, struct par_person *p);
/* PAM_USER is p (not root or a target account under su/sudo). */
bool par_session_is_persons(pam_handle_t *pamh, const struct par_person *p);
/*
 * The session's account (PAM_USER, its name into target) may hold p's
 * credentials: it is p, root, or listed in target_accounts.
 */
bool par_target_receives(pam_handle_t *pamh, const struct par_config *cfg,
                         const struct par_person *p, char *target, size_t cap);


/* rundir.c: RUN_DIR (root, 0755) and RUN_DIR/UID (the person, 0700). */
/* par_rundir_prepare's answer when the person's folder has no room for a session. */
#define PAR_RUNDIR_FULL 1
/* pam_set_data key of the lock an open holds until its session folder exists. */
#define PAR_USERFS_DATA "pam_assume_role_userfs_lock"
/* Opens RUN_DIR (creating it: root, 0755); the fd, or -1 with err filled. */
int par_rundir_open(const char *run_dir, char *err, size_t errlen);
/* Readies RUN_DIR/UID and holds the person's lock until par_rundir_done: 0, -1
 * (err for syslog) or PAR_RUNDIR_FULL (err is the line for the person). */
int par_rundir_prepare(pam_handle_t *pamh, const struct par_config *cfg,
                       const struct par_person *p, char *err, size_t errlen);
void par_rundir_done(pam_handle_t *pamh);
const char *par_run_dir(const struct par_config *cfg);
/* rundir_parents.c: PARENT opened when no one but root can change it; else -1, err. */
int par_open_trusted_parent(const char *parent, char *err, size_t errlen);

/* userfs.c: RUN_DIR/UID a tmpfs of its own per person, shared by their logins. */
#define PAR_USERFS_LOCK_MS 5000        /* an open waits this long for the lock */
#define PAR_USERFS_CLOSE_LOCK_MS 1000  /* close: busy means an open is under way */
int par_userfs_lock_open(int run_fd, uid_t uid, char *err, size_t errlen);
/* F_RDLCK/F_WRLCK/F_UNLCK on BYTE of the lock file, waiting at most deadline_ms. */
int par_userfs_lock(int lock_fd, int byte, short type, long deadline_ms);
/* Mounts RUN_DIR/UID unless mounted (or the plain folder where it cannot). */
int par_userfs_settle(pam_handle_t *pamh, const struct par_config *cfg, int run_fd,
                      const char *run_dir, const struct par_person *p, char *err,
                      size_t errlen);
/* 0 when RUN_DIR/UID has room for one more session; else -1 and the line to show. */
int par_userfs_room(const struct par_config *cfg, int run_fd, const char *run_dir, uid_t uid,
                    char *err, size_t errlen);
/* At close: unmounts RUN_DIR/UID once none of the person's session folders is left. */
void par_userfs_release(pam_handle_t *pamh, const struct par_opts *opts,
                        const struct par_config *cfg, uid_t uid);

/* spawn.c: the helper, run as the person with a hard deadline. */
enum par_run_result {
    PAR_RUN_OK = 0,      /* exited 0 after writing a report */
    PAR_RUN_NOSTART,     /* could not be started */
    PAR_RUN_TIMEOUT,     /* killed at the deadline */
    PAR_RUN_FAILED,      /* exited non-zero, died of a signal, or said too much */
    PAR_RUN_NOEXEC,      /* the child could not exec it: par_run.exec says why */
};

/*
 * What the child writes on its close-on-exec pipe when it cannot exec the
 * helper (nothing, and EOF, when the exec worked): at which step, errno,
 * and for EACCES how much of the path is a folder the person cannot search.
 */
enum par_exec_stage {
    PAR_EXEC_RAN = 0,    /* exec'd (the pipe read EOF) */
    PAR_EXEC_SETUP,      /* failed before execve: fds, chdir, becoming the person */
    PAR_EXEC_CALL,       /* execve failed with err */
    PAR_EXEC_FOLDER,     /* EACCES: the folder helper[0..folder_len) is not searchable */
    PAR_EXEC_MODE,       /* EACCES: the file itself is not executable by the person */
};

struct par_exec_error {
    int stage;                   /* enum par_exec_stage */
    int err;                     /* errno */
    int folder_len;
};

struct par_run {
    const char *helper;          /* absolute path */
    const char *command;         /* "pam-open" */
    const char *config_path;
    const struct par_person *person;
    const char *request;
    size_t request_len;
    long deadline_ms;
    long long deadline_at;       /* CLOCK_MONOTONIC ms; 0: now + deadline_ms */
    char report[PAR_MSG_MAX + 2]; /* out: the report, NUL-terminated */
    size_t report_len;
    int wait_status;             /* out: from waitpid */
    struct par_exec_error exec;  /* out: for PAR_RUN_NOEXEC */
};

enum par_run_result par_run_helper(pam_handle_t *pamh, const struct par_opts *opts,
                                   struct par_run *run);
const char *par_helper_path(const struct par_config *cfg);
/* execerr.c: the person's line and the syslog detail for PAR_RUN_NOEXEC. */
void par_exec_reason(const struct par_run *run, char *out, size_t outlen);
void par_exec_detail(const struct par_run *run, char *out, size_t outlen);
/* FN(ARG) in a forked child that is the person; no exec (see spawn.c). */
enum par_run_result par_fork_as(pam_handle_t *pamh, const struct par_person *person,
                                int (*fn)(const void *arg), const void *arg, long deadline_ms);

/* report.c: what the helper said, checked value by value. */
struct par_report {
    bool ok;
    const char *message;
    const char *log;
    const char *notice;          /* one more line for the person (the key store's hint) */
    const char *session_dir;
    const char *environment;
    const char *role_arn;
    const char *access_key_id;
    const char *secret_key;
    const char *session_token;
    const char *region;
    const char *expiration;
};

/*
 * Checks msg (status, every value; with_credentials for pam-open's "ok")
 * and fills r with pointers into msg. Returns 0, or -1 with why filled.
 */
int par_report_check(const struct par_msg *msg, bool with_credentials, const char *run_dir,
                     uid_t uid, struct par_report *r, char *why, size_t cap);
/* dir is exactly RUN_DIR/UID/SESSIONID. */
bool par_session_dir_valid(const char *dir, const char *run_dir, uid_t uid);

/* request.c: the request to pam-open; extra is "code"; PASSPHRASE (NULL: none) the key
 * store's; DEADLINE_AT (CLOCK_MONOTONIC ms, 0: none) is when the helper is killed. */
int par_request_build(pam_handle_t *pamh, const struct par_person *p, const char *extra_key,
                      const char *extra_value, const char *passphrase, long long deadline_at,
                      char *buf, size_t cap, size_t *len);

/* chauthtok.c: the password change re-encrypts a store bound to the login password. */
int par_chauthtok(pam_handle_t *pamh, int flags, const struct par_opts *opts);

/* session.c: open and close. */
int par_session_open(pam_handle_t *pamh, const struct par_opts *opts);
/* Removes the exported variables from the PAM environment. */
void par_drop_vars(pam_handle_t *pamh);

/* desktop.c: graphical logins (and all, with secrets_in_environment = "never")
 * get the folder's AWS files in their PAM environment instead of the keys. */
bool par_login_is_graphical(pam_handle_t *pamh, const struct par_config *cfg);
bool par_keys_in_environment(pam_handle_t *pamh, const struct par_config *cfg);
/* AWS_CONFIG_FILE=DIR/config, AWS_SHARED_CREDENTIALS_FILE=DIR/credentials, in a
 * session of the folder's owner only (for anyone else they would name files the
 * person writes: a credential_process line would run as root or the target). */
int par_export_aws_files(pam_handle_t *pamh, const struct par_person *p, const char *dir);
void par_drop_aws_files(pam_handle_t *pamh);

/* empty.c: a session without credentials still gets its (empty) folder. */
void par_session_leave_empty(pam_handle_t *pamh, const struct par_opts *opts,
                             const struct par_config *cfg, const struct par_person *p);

/* close.c */
int par_session_close(pam_handle_t *pamh, const struct par_opts *opts);

#endif
