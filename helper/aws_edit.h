/*
 * Editing the person's ~/.aws/credentials: dropping the key lines of one
 * profile (after they moved into the key store), every other byte kept.
 * Lines are read the way inih reads them for helper/awsfiles.c: a
 * "[NAME]" header starts a section, "KEY = VALUE" or "KEY: VALUE" sets a
 * key (the name compared without case), "#" and ";" start comments, and an
 * indented line continues the value before it.
 */
#ifndef PAR_AWS_EDIT_H
#define PAR_AWS_EDIT_H

#include <stddef.h>
#include <sys/types.h>

/* TEXT (LEN bytes) without the aws_access_key_id / aws_secret_access_key lines of
 * [PROFILE] (continuation lines included) into OUT (at least LEN bytes): the new
 * length; *REMOVED counts the lines dropped. */
size_t par_aws_drop_key_lines(const char *text, size_t len, const char *profile, char *out,
                              unsigned *removed);
/* 1 when HOME/.aws/credentials has a key line in [PROFILE], 0 when not (or no
 * file), -1 with ERR when the file cannot be read safely. */
int par_aws_has_key_lines(const char *home, uid_t owner, const char *profile,
                          char *err, size_t errlen);
/* Rewrites HOME/.aws/credentials without those lines (temp name in ~/.aws with the
 * old mode, fsync, rename): 0 done, 1 nothing to remove, -1 with ERR. Refuses a
 * link, a file that is not OWNER's or that others can write. */
int par_aws_remove_keys(const char *home, uid_t owner, const char *profile,
                        char *err, size_t errlen);

#endif
