/*
 * The two small messages between the PAM module and the helper, on pipes.
 *
 * Both are lines "key=value\n" closed by a line "end\n"; keys are
 * [a-z_A-Z0-9]{1,32}, values hold no NUL, CR or LF, a key appears once, the
 * whole message is at most PAR_MSG_MAX bytes. Anything else is refused whole.
 *
 * Module -> helper, on the helper's stdin ("pam-open"):
 *   version=1
 *   user=NAME          the person (whose keys; the helper also checks its uid)
 *   service=sshd       PAM_SERVICE
 *   rhost=ADDR         PAM_RHOST, may be empty
 *   tty=pts/0          PAM_TTY, may be empty
 *   session_pid=N      the process that holds the PAM session (for the sweep)
 *   session_start=N    its start time in clock ticks (/proc/PID/stat field 22)
 *   code=123456        when a code was given
 *   passphrase=TEXT    the key store's passphrase, when the module holds one
 *                      (wiped by the helper once the store is opened or not)
 *   deadline_at=N      when the module kills the helper: CLOCK_MONOTONIC in ms
 *                      (both processes share that clock); the helper budgets
 *                      all its work against it
 *   end
 *
 * Helper -> module, on the helper's stdout:
 *   sts_answered_at=N  CLOCK_MONOTONIC ms when STS answered, written as soon
 *                      as it did (ahead of the rest), so a helper killed later
 *                      is reported as such
 *   status=ok | error
 *   message=ONE LINE   what the person sees (why not, and what to do; with ok,
 *                      also what was not obtained or not written)
 *   log=ONE LINE       what goes to syslog (never a secret); with ok it starts
 *                      "result=ok ", "result=partial failed=ENV,..." or
 *                      "result=unsaved" (files not written, credentials exported)
 *   session_dir=PATH   the session folder (ok)
 *   environment=NAME   the exported environment (ok)
 *   role_arn=ARN       (ok)
 *   AWS_ACCESS_KEY_ID=, AWS_SECRET_ACCESS_KEY=, AWS_SESSION_TOKEN=,
 *   AWS_REGION=, AWS_CREDENTIAL_EXPIRATION=   (ok)
 *   notice=ONE LINE    (ok, optional) one more line for the person: the
 *                      plaintext key's hint (key_store_hint)
 *   end
 *
 * pam-rekey (the password change): module -> helper version=1, user=NAME,
 * old=PASSWORD, new=PASSWORD, end; helper -> module result=rekeyed | none |
 * own | wrong | error, message=ONE LINE (optional), end.
 */
#ifndef PAR_PROTOCOL_H
#define PAR_PROTOCOL_H

#include <stddef.h>

#define PAR_MSG_MAX      16384
/* A session's metadata (helper/session_files.h) is a message too: 9 keys
 * and 5 per environment, up to 16 environments with role ARNs of
 * PAR_MAX_ARN bytes, so it gets a larger size limit of its own. */
#define PAR_MSG_MAX_KEYS 96
#define PAR_META_MAX     (64 * 1024)

struct par_msg {
    size_t n;
    char *key[PAR_MSG_MAX_KEYS];
    char *value[PAR_MSG_MAX_KEYS];
};

/* Parses exactly one message; returns 0, or -1 on any deviation (msg empty). */
int par_msg_parse(const char *buf, size_t len, struct par_msg *msg);
/* The same, for a message of at most MAX bytes (PAR_META_MAX: metadata). */
int par_msg_parse_max(const char *buf, size_t len, size_t max, struct par_msg *msg);
/* The value of KEY, or NULL. */
const char *par_msg_get(const struct par_msg *msg, const char *key);
/* Wipes and frees every value (they may be secrets). */
void par_msg_free(struct par_msg *msg);

/*
 * Appends "key=value\n" to buf (capacity cap, used *len). Returns -1 when
 * it would not fit or the value holds a CR/LF/NUL; buf stays terminated.
 */
int par_msg_add(char *buf, size_t cap, size_t *len, const char *key, const char *value);
/* Appends "end\n". */
int par_msg_end(char *buf, size_t cap, size_t *len);

#endif
