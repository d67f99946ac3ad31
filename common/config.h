/*
 * The system configuration, /etc/security/pam_assume_role.conf (libconfig).
 *
 * Read by the PAM module (as root) and by the helper (as the person). The
 * file must be a regular file owned by root and not group/world-writable;
 * every error names file:line and says what to do.
 */
#ifndef PAR_CONFIG_H
#define PAR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define PAR_RENEW_BEFORE_DEFAULT 1200

enum par_strategy { PAR_STRATEGY_DIRECT = 0, PAR_STRATEGY_SESSION };
enum par_on_failure { PAR_ON_FAILURE_CONTINUE = 0, PAR_ON_FAILURE_DENY };
/* Whether the login's PAM environment carries the keys (the words' order). */
enum par_secrets_in_env { PAR_SECRETS_AUTO = 0, PAR_SECRETS_ALWAYS, PAR_SECRETS_NEVER };

struct par_environment {
    char *name;           /* [a-z0-9_-]{1,32}, e.g. "integration" */
    char *role_arn;       /* NULL: from the person's ~/.aws/config profile */
    long duration;        /* seconds; 0: the profile's duration_seconds or 3600 */
    char *region;         /* NULL: the global region */
};

struct par_user {
    char *name;
    char *mfa_serial;     /* NULL: not set for this user */
};

struct par_tag {
    char *key;
    char *value;          /* template: %u %h (host) %r (rhost) %s (service) */
};

struct par_config {
    char *path;                   /* the file this came from */
    char *region;                 /* default "eu-west-1" */
    char *sts_endpoint;           /* NULL: par_sts_url(region), https://sts.REGION.SUFFIX */
    char *signin_endpoint;        /* NULL: par_signin_url(region), the federation endpoint */
    char *console_destination;    /* NULL: par_console_home(region), the console's home */
    char *ca_file;                /* NULL: the system's hashed CA folder */
    char *ca_path;                /* NULL: /etc/ssl/certs */
    char *proxy;                  /* NULL: no proxy (never from the environment) */
    char *helper;                 /* NULL: compiled-in PAR_HELPER_PATH */
    char *run_dir;                /* NULL: compiled-in PAR_RUN_DIR */
    long connect_timeout_ms;      /* default 3000 */
    long timeout_ms;              /* default 10000: the whole login's STS budget */
    long max_response_bytes;      /* default 65536 */
    char *source_profile;         /* default "gds" */
    char *profile_template;       /* default "govuk-%e" */
    char *session_name;           /* default "%u-%d-%m-%y_%H-%M" */
    char *mfa_serial_template;    /* NULL, or e.g. "arn:aws:iam::1111:mfa/%u" */
    enum par_strategy strategy;   /* default direct */
    long session_duration;        /* GetSessionToken seconds, default 43200 */
    long renew_before_seconds;    /* strategy session: renew a role this long before
                                     it expires, default 1200 (before the SDKs' 15 min) */
    char **login_environments;    /* default { first environment } */
    size_t n_login_environments;
    enum par_on_failure on_failure;
    bool source_identity;         /* send SourceIdentity = login name; default false */
    struct par_tag *tags;         /* session tags; default none */
    size_t n_tags;
    bool no_code_hint;            /* one hint line when no code given; default true */
    bool key_store_hint;          /* one hint line when the plaintext key was used; default true */
    struct par_environment *environments;
    size_t n_environments;
    struct par_user *users;
    size_t n_users;
    /* Who may receive the person's credentials, and whose PAM_RUSER counts. */
    char **target_accounts;       /* accounts besides the person and root; default none */
    size_t n_target_accounts;
    char **invoker_services;      /* services besides su, su-l, sudo, sudo-i; default none */
    size_t n_invoker_services;

    /* Graphical logins (and all, with "never") get the folder's path and
     * AWS_CONFIG_FILE/AWS_SHARED_CREDENTIALS_FILE, never the keys: a desktop
     * copies its environment into D-Bus and systemd --user, which outlive it. */
    enum par_secrets_in_env secrets_in_environment;  /* default auto */
    char **graphical_services;    /* default lightdm, gdm-password, sddm */
    size_t n_graphical_services;

    /* Each person's RUN_DIR/UID is a tmpfs of its own, bounded in size and
     * inodes, so nobody can fill /run; size 0: the plain folder, unbounded. */
    long user_dir_size_kb;        /* default PAR_USER_DIR_SIZE_KB */
    long user_dir_inodes;         /* default PAR_USER_DIR_INODES */

    /* The profile hook asks the helper in front of a prompt ('env
     * --from-hook'): a renewal then gets this budget, not timeout_ms, so a
     * slow STS never stalls a prompt for long. The hook's own backstop
     * (/usr/bin/timeout) is PAR_HOOK_TIMEOUT_MAX_MS + 2 s. */
    long hook_timeout_ms;         /* default PAR_HOOK_TIMEOUT_MS */
};

#define PAR_HOOK_TIMEOUT_MS     2000
#define PAR_HOOK_TIMEOUT_MIN_MS 200
#define PAR_HOOK_TIMEOUT_MAX_MS 3000

#define PAR_USER_DIR_SIZE_KB 1024
#define PAR_USER_DIR_INODES  512

/* Flags for par_config_load. */
#define PAR_CONFIG_INSECURE_ANY_OWNER 0x1  /* tests only: skip the owner check */

#define PAR_CONFIG_MAX_BYTES (256 * 1024)  /* larger files are refused */
#define PAR_CONFIG_ERR_MAX   512           /* room for one error line */

/*
 * The directives every template setting understands (profile_template,
 * session_name, mfa_serial_template, tag values); common/template.c
 * expands them: %u user, %e environment, %h short host name, %r remote
 * host, %s PAM service, %d %m %y %Y %H %M %S local time, %% a percent sign.
 */
#define PAR_TEMPLATE_DIRECTIVES "uehrsdmyYHMS%"

/*
 * Loads and validates PATH. On success returns 0 and fills *cfg (free with
 * par_config_free). On failure returns -1 and writes one line into err,
 * "FILE:LINE: what is wrong; what to do".
 */
int par_config_load(const char *path, unsigned flags, struct par_config *cfg,
                    char *err, size_t errlen);
void par_config_free(struct par_config *cfg);

/*
 * Checks PATH like par_config_load, but reports every error (sorted by
 * line, one "FILE:LINE: ..." line each) through report and returns how
 * many there were: 0 means the file is good. A syntax error stops the
 * parse, so it is the only one reported.
 */
int par_config_check_all(const char *path, unsigned flags,
                         void (*report)(void *ctx, const char *line), void *ctx);

/* Lookups; NULL when absent. */
const struct par_environment *par_config_environment(const struct par_config *cfg,
                                                     const char *name);
const struct par_user *par_config_user(const struct par_config *cfg, const char *name);
/* NAME is one of the n entries of list. */
bool par_config_lists(char *const *list, size_t n, const char *name);

#endif
