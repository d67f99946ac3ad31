/*
 * Which role, MFA device, region and duration an environment means for a
 * person: the system config where it says, else the person's own AWS CLI
 * profiles (DESIGN.md "Credentials and mapping").
 *
 *   role_arn    environments.ENV.role_arn, else role_arn of the person's
 *               profile named by profile_template ("govuk-ENV")
 *   mfa_serial  users[NAME].mfa_serial, else that profile's mfa_serial, else
 *               mfa_serial of the [profile SOURCE] (source_profile, "gds")
 *               section, else mfa_serial_template expanded
 *   region      environments.ENV.region, else the profile's, else region
 *   duration    environments.ENV.duration, else the profile's
 *               duration_seconds, else 3600
 *
 * An environment missing from the config is allowed when the person has a
 * profile for it. The person's files are read as the effective uid and must
 * be owned by it.
 */
#ifndef PAR_RESOLVE_H
#define PAR_RESOLVE_H

#include <stddef.h>

#include "awsfiles.h"
#include "config.h"

#define PAR_DEFAULT_DURATION 3600

struct par_target {
    char *environment;
    char *role_arn;
    char *mfa_serial;
    char *region;
    long duration;
    char *profile;        /* the person's profile consulted, e.g. "govuk-integration" */
};

/*
 * Resolves ENVIRONMENT for USER (the person's login name) whose home folder
 * is HOME. Returns 0 and fills *out (free with par_target_free), or -1 with
 * one line in err saying what is missing and where to set it.
 */
int par_resolve_target(const struct par_config *cfg, const char *user, const char *home,
                       const char *environment, struct par_target *out,
                       char *err, size_t errlen);
void par_target_free(struct par_target *t);

/*
 * The person's long-term keys: [source_profile] of HOME/.aws/credentials.
 * Always the config's source_profile: a source_profile line in the person's
 * govuk-ENV profile does not change which keys are used (the system decides
 * which IAM user presents the MFA code). Free with par_source_keys_free.
 */
int par_read_source_keys(const struct par_config *cfg, const char *home,
                         struct par_source_keys *keys, char *err, size_t errlen);

#endif
