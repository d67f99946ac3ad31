/*
 * A TOTP code works once. The helper remembers a hash of each code it sent
 * for two minutes (RUN_DIR/UID/.used-codes) and refuses to send one twice,
 * so a code typed again never reaches AWS as a second, failing request.
 */
#ifndef PAR_USED_CODES_H
#define PAR_USED_CODES_H

#include <sys/types.h>

/* 0 when CODE was not sent in the last two minutes, -1 when it was. */
int par_used_code_check(const char *run_dir, uid_t uid, const char *code);
/* Remembers CODE as sent (best effort). */
void par_used_code_record(const char *run_dir, uid_t uid, const char *code);

#endif
