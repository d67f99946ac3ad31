/*
 * Templates for session names, profile names, MFA ARNs and tag values.
 *
 * Directives (PAR_TEMPLATE_DIRECTIVES in config.h): %u user, %e environment,
 * %h short host name, %r remote host, %s PAM service, %d %m %y %Y %H %M %S
 * date and time, %% a percent sign. Any other directive is an error.
 * Times are local time (the host's /etc/localtime, as the manual's session
 * names were typed on the engineer's machine), taken from v->now.
 */
#ifndef PAR_TEMPLATE_H
#define PAR_TEMPLATE_H

#include <stddef.h>
#include <time.h>

#include "valid.h"

struct par_template_vars {
    const char *user;          /* %u; NULL expands to "" */
    const char *environment;   /* %e */
    const char *host;          /* %h; NULL: this host's name up to the first dot */
    const char *rhost;         /* %r */
    const char *service;       /* %s */
    time_t now;                /* %d %m %y %Y %H %M %S */
};

/*
 * Expands tmpl into out (outlen bytes, NUL-terminated). Returns 0, or -1
 * with errno EINVAL (unknown directive, or a lone % at the end) or
 * ENAMETOOLONG (the result does not fit); out is then "".
 */
int par_expand_template(const char *tmpl, const struct par_template_vars *v,
                        char *out, size_t outlen);

/*
 * A RoleSessionName: expands tmpl, turns every character outside
 * [A-Za-z0-9_+=,.@-] into '-', cuts to 64 and pads with '-' to at least 2
 * (STS's [\w+=,.@-]{2,64}). Returns 0, or -1 (errno EINVAL: bad template).
 */
int par_session_name(const char *tmpl, const struct par_template_vars *v,
                     char out[PAR_MAX_SESSION_NAME + 1]);

/*
 * The AWS CLI profile of an environment: profile_template expanded with %u
 * user (NULL: "") and %e env, at the current time. Returns 0, or -1 when it
 * does not give a profile name (par_valid_profile_name); out is then "".
 */
int par_profile_name(const char *tmpl, const char *user, const char *env,
                     char out[PAR_MAX_PROFILE_NAME + 1]);

#endif
