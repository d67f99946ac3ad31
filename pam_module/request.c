/* The request to the helper (common/protocol.h), built from the PAM items. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "module.h"
#include "proctime.h"

/* key=VALUE for the fixed part, then extra_key=extra_value, passphrase, deadline_at (when > 0), end. */
int par_request_build(pam_handle_t *pamh, const struct par_person *p, const char *extra_key,
                      const char *extra_value, const char *passphrase, long long deadline_at,
                      char *buf, size_t cap, size_t *len)
{
    char pid[32], start[32], at[32];

    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    snprintf(start, sizeof(start), "%lld", par_process_start(getpid()));
    *len = 0;
    if (par_msg_add(buf, cap, len, "version", "1") != 0 ||
        par_msg_add(buf, cap, len, "user", p->name) != 0 ||
        par_msg_add(buf, cap, len, "service", par_item_str(pamh, PAM_SERVICE)) != 0 ||
        par_msg_add(buf, cap, len, "rhost", par_item_str(pamh, PAM_RHOST)) != 0 ||
        par_msg_add(buf, cap, len, "tty", par_item_str(pamh, PAM_TTY)) != 0 ||
        par_msg_add(buf, cap, len, "session_pid", pid) != 0 ||
        par_msg_add(buf, cap, len, "session_start", start) != 0 ||
        par_msg_add(buf, cap, len, extra_key, extra_value) != 0 ||
        (passphrase != NULL && par_msg_add(buf, cap, len, "passphrase", passphrase) != 0))
        return -1;
    snprintf(at, sizeof(at), "%lld", deadline_at);
    if ((deadline_at > 0 && par_msg_add(buf, cap, len, "deadline_at", at) != 0) ||
        par_msg_end(buf, cap, len) != 0)
        return -1;
    return 0;
}
