/*
 * A TOTP code works once. The helper remembers a hash of each code it sent
 * for two minutes (RUN_DIR/UID/.used-codes) and refuses to send one twice,
 * so a code typed again never reaches AWS as a second, failing request.
 * The check and the record are one step under a lock
 * (RUN_DIR/UID/.used-codes.lock), taken before the code is sent, so two
 * logins of one person typing the same code at once send it once.
 */
#ifndef PAR_USED_CODES_H
#define PAR_USED_CODES_H

#include <stddef.h>
#include <sys/types.h>

#define PAR_USED_CODE_FREE  0   /* recorded now: send it */
#define PAR_USED_CODE_SENT  1   /* sent in the last two minutes: do not */
#define PAR_USED_CODE_NO_FOLDER 2 /* RUN_DIR/UID is missing, or root's while no
                                     login of the person has it mounted: nothing
                                     recorded */

/*
 * Checks and records CODE in one step. Returns PAR_USED_CODE_FREE,
 * PAR_USED_CODE_SENT, PAR_USED_CODE_NO_FOLDER (err says so: only
 * 'assume', outside any login, may send it then), or -1 when it cannot be
 * recorded (the lock not had within 2 s, the file not writable; err says
 * which): then it must not be sent either.
 */
int par_used_code_claim(const char *run_dir, uid_t uid, const char *code, char *err,
                        size_t errlen);

#endif
