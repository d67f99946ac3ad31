/*
 * The person's own AWS CLI files, read by the helper running as the person:
 * HOME/.aws/credentials (their long-term IAM key) and HOME/.aws/config
 * (their profiles). AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE are
 * never honoured: under sudo and su the environment is the caller's.
 *
 * Each file must be a regular file (not a link, FIFO or device), owned by
 * the expected uid (the helper passes geteuid()), not writable by group or
 * others, and at most PAR_AWSFILE_MAX bytes. Errors are one line naming the
 * file ("~/.aws/...") and saying what to do; they never hold a secret.
 * Not thread-safe: inih's settings are process-wide.
 */
#ifndef PAR_AWSFILES_H
#define PAR_AWSFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PAR_AWSFILE_MAX (64 * 1024)

struct par_source_keys {
    char *access_key_id;
    char *secret_access_key;
    char *session_token;       /* NULL for long-term keys */
};

/* One profile of ~/.aws/config; fields are NULL / 0 when not set there. */
struct par_aws_profile {
    bool found;                /* the section exists */
    char *role_arn;
    char *mfa_serial;
    char *region;
    char *source_profile;
    long duration_seconds;
};

/*
 * Reads [PROFILE] of HOME/.aws/credentials into *keys (all checked against
 * their character sets). Returns 0, or -1 with err filled; *keys is then
 * empty. The file's bytes are wiped from memory after parsing.
 */
int par_aws_read_keys(const char *home, uid_t owner, const char *profile,
                      struct par_source_keys *keys, char *err, size_t errlen);
/* Wipes and frees the keys; safe on an empty struct. */
void par_source_keys_free(struct par_source_keys *keys);

/*
 * Reads the profile NAME of HOME/.aws/config ("[profile NAME]"; "default"
 * is "[default]" or "[profile default]"). A missing config file or section
 * is not an error: out->found is false. Returns 0, or -1 with err filled
 * (unsafe file, unparsable, a value of the wrong shape).
 */
int par_aws_read_profile(const char *home, uid_t owner, const char *name,
                         struct par_aws_profile *out, char *err, size_t errlen);
void par_aws_profile_free(struct par_aws_profile *p);

/* Sets inih's process-wide settings the way every INI reader here wants
 * them (long lines for session tokens; no copy of a key left on the heap). */
void par_ini_configure(void);

#endif
