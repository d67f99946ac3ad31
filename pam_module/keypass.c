/*
 * The passphrase of the person's key store (helper/keystore.h), taken in
 * the same phase as the MFA code and kept exactly as the code is
 * (handover.c). Whether there is a store is decided by a
 * child that is the person: root never reads the person's home for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <security/pam_ext.h>

#include "keystore_format.h"
#include "module.h"
#include "wipe.h"

/* A home on a stuck file system must not hold the login longer than this. */
#define PAR_PROBE_DEADLINE_MS 2000
#define PAR_KEYPASS_SKIPPED "No AWS key passphrase given: no AWS credentials in this " \
    "session (the MFA code was not used). Run 'pam-assume-role refresh' to get them."

/* What the probe child writes on its pipe: one byte. */
enum { PROBE_NONE = 'n', PROBE_LOGIN = 'l', PROBE_OWN = 'o', PROBE_UNREADABLE = 'u' };

struct probe_arg {
    const char *home;
    uid_t uid;
    const char *source_profile;
    int fd;
};

/* In the child, already the person: system calls and parsing only. */
static int probe_child(const void *arg)
{
    const struct probe_arg *a = arg;
    struct par_keystore_file f;
    char buf[PAR_KEYSTORE_MAX], why[256];
    size_t len = 0;
    unsigned char kind = PROBE_UNREADABLE;
    int rc = par_keystore_read(a->home, a->uid, buf, sizeof(buf), &len, why, sizeof(why));

    if (rc == 1)
        kind = PROBE_NONE;
    else if (rc == 0 && par_keystore_parse(buf, len, &f, why, sizeof(why)) == 0)
        kind = strcmp(f.profile, a->source_profile) != 0 ? PROBE_NONE
               : f.login_password ? PROBE_LOGIN : PROBE_OWN;
    par_wipe(buf, sizeof(buf));
    return write(a->fd, &kind, 1) == 1 ? 0 : -1;
}

enum par_store_kind par_store_probe(pam_handle_t *pamh, const struct par_opts *opts,
                                    const struct par_config *cfg, const struct par_person *p)
{
    struct probe_arg a = { p->home, p->uid, cfg->source_profile, -1 };
    enum par_run_result res;
    unsigned char kind = 0;
    int fds[2];

    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        return PAR_STORE_UNREADABLE;
    a.fd = fds[1];
    res = par_fork_as(pamh, p, probe_child, &a, PAR_PROBE_DEADLINE_MS);
    close(fds[1]);
    if (res != PAR_RUN_OK || read(fds[0], &kind, 1) != 1)
        kind = PROBE_UNREADABLE;
    close(fds[0]);
    if (res == PAR_RUN_TIMEOUT)
        par_log(pamh, LOG_WARNING, "the key store check of %s did not finish within %d s "
                "(home folder on a stuck file system?): no passphrase asked",
                p->name, PAR_PROBE_DEADLINE_MS / 1000);
    par_debug(pamh, opts, "key store of %s: %c", p->name, kind);
    switch (kind) {
    case PROBE_NONE: return PAR_STORE_NONE;
    case PROBE_LOGIN: return PAR_STORE_LOGIN;
    case PROBE_OWN: return PAR_STORE_OWN;
    default: return PAR_STORE_UNREADABLE;
    }
}

/* The password the stack holds, when it is the person's own: a copy, else NULL. */
static char *persons_password(pam_handle_t *pamh, const struct par_person *p)
{
    const void *user = NULL, *authtok = NULL;

    if (pam_get_item(pamh, PAM_USER, &user) != PAM_SUCCESS || user == NULL ||
        strcmp(user, p->name) != 0)
        return NULL;  /* su - root: that is root's password, never the person's to have */
    if (pam_get_item(pamh, PAM_AUTHTOK, &authtok) != PAM_SUCCESS || authtok == NULL ||
        ((const char *)authtok)[0] == '\0')
        return NULL;
    return strdup(authtok);
}

int par_keypass_obtain(pam_handle_t *pamh, const struct par_opts *opts,
                       const struct par_config *cfg, const struct par_person *p, bool may_ask,
                       char **pass)
{
    enum par_store_kind kind = par_store_probe(pamh, opts, cfg, p);
    int rc;

    *pass = NULL;
    if (kind == PAR_STORE_NONE || kind == PAR_STORE_UNREADABLE)
        return PAR_KEYPASS_NOT_NEEDED;  /* the helper says what is wrong with a bad store */
    if (kind == PAR_STORE_LOGIN && (*pass = persons_password(pamh, p)) != NULL) {
        par_debug(pamh, opts, "key store bound to the login password: no prompt");
    } else if (!may_ask) {
        /* Before the password is checked a question would tell who has a store. */
        par_debug(pamh, opts, "key store passphrase not asked before the password is checked");
        return PAR_KEYPASS_NOT_NEEDED;
    } else {
        rc = par_ask(pamh, PAR_KEYPASS_PROMPT, pass);
        if (rc != PAM_SUCCESS || *pass == NULL || (*pass)[0] == '\0') {
            par_free_secret(*pass);
            *pass = NULL;
            par_tell(pamh, PAM_TEXT_INFO, PAR_KEYPASS_SKIPPED);
            par_debug(pamh, opts, "no key passphrase given: the code is dropped");
            return PAR_KEYPASS_SKIPPED_BY_PERSON;
        }
    }
    if (!par_keypass_secret.valid(*pass)) {
        par_free_secret(*pass);
        *pass = NULL;
        par_log(pamh, LOG_WARNING, "the key passphrase of %s holds a line break and cannot "
                "reach the helper: it gets none", p->name);
    }
    return PAR_KEYPASS_GOT;
}

int par_keypass_capture(pam_handle_t *pamh, const struct par_opts *opts,
                        const struct par_config *cfg, bool may_ask)
{
    struct par_person p;
    char *pass = NULL;
    int rc = PAM_SUCCESS, got;

    if (par_person_find(pamh, opts, cfg, &p) == 0) {
        got = par_keypass_obtain(pamh, opts, cfg, &p, may_ask, &pass);
        if (got == PAR_KEYPASS_SKIPPED_BY_PERSON)
            par_secret_forget(pamh, &par_code_secret);  /* the code would be spent for nothing */
        else if (pass != NULL)
            rc = par_secret_keep(pamh, &par_keypass_secret, pass);
    }
    par_free_secret(pass);
    return rc;
}
