/*
 * Whose credentials: the human who logged in. Under sshd and login that is
 * PAM_USER; under sudo and su (PAM_USER is the target) it is the invoker,
 * PAM_RUSER, or failing that the real uid. Only su and sudo set PAM_RUSER
 * from something they checked (elsewhere it may come from the network, as
 * rlogin's did), so it counts only for them and the admin's invoker_services.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "module.h"

static int copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src != NULL ? src : "");

    if (n >= cap)
        return -1;
    memcpy(dst, src != NULL ? src : "", n + 1);
    return 0;
}

static int fill_person(const struct passwd *pw, struct par_person *p)
{
    p->uid = pw->pw_uid;
    p->gid = pw->pw_gid;
    if (copy_field(p->name, sizeof(p->name), pw->pw_name) != 0 ||
        copy_field(p->home, sizeof(p->home), pw->pw_dir) != 0 ||
        copy_field(p->shell, sizeof(p->shell), pw->pw_shell) != 0)
        return -1;
    return 0;
}

/* by_name: look up name; else uid. 0 found, -1 not found or error. */
static int lookup(const char *name, uid_t uid, struct par_person *p)
{
    struct passwd pwbuf, *pw = NULL;
    char buf[8192];
    int rc;

    if (name != NULL)
        rc = getpwnam_r(name, &pwbuf, buf, sizeof(buf), &pw);
    else
        rc = getpwuid_r(uid, &pwbuf, buf, sizeof(buf), &pw);
    if (rc != 0 || pw == NULL)
        return -1;
    rc = fill_person(pw, p);
    explicit_bzero(buf, sizeof(buf));
    return rc;
}

static const char *const par_invoker_services[] = { "su", "su-l", "sudo", "sudo-i" };

static bool invoker_counts(pam_handle_t *pamh, const struct par_config *cfg)
{
    const char *service = par_item_str(pamh, PAM_SERVICE);

    for (size_t i = 0; i < sizeof(par_invoker_services) / sizeof(par_invoker_services[0]); i++)
        if (strcmp(service, par_invoker_services[i]) == 0)
            return true;
    return par_config_lists(cfg->invoker_services, cfg->n_invoker_services, service);
}

/* The account of the session, PAM_USER (the target under su and sudo). */
static int find_target(pam_handle_t *pamh, struct par_person *target)
{
    const char *user = NULL;

    if (pam_get_item(pamh, PAM_USER, (const void **)&user) != PAM_SUCCESS || user == NULL ||
        user[0] == '\0' || lookup(user, 0, target) != 0) {
        par_log(pamh, LOG_ERR, "the login user '%s' is not a local account; no AWS "
                "credentials", user != NULL ? user : "");
        return -1;
    }
    return 0;
}

int par_person_find(pam_handle_t *pamh, const struct par_opts *opts,
                    const struct par_config *cfg, struct par_person *p)
{
    const char *user, *ruser = par_item_str(pamh, PAM_RUSER);
    struct par_person target;

    memset(p, 0, sizeof(*p));
    if (find_target(pamh, &target) != 0)
        return -1;
    user = target.name;
    if (!invoker_counts(pamh, cfg)) {
        *p = target;
        return 0;
    }
    if (ruser[0] != '\0' && strcmp(ruser, user) != 0 && lookup(ruser, 0, p) == 0) {
        par_debug(pamh, opts, "credentials of the invoker %s (PAM_RUSER) for %s",
                  p->name, user);
        return 0;
    }
    if (ruser[0] == '\0' && getuid() != 0 && getuid() != target.uid &&
        lookup(NULL, getuid(), p) == 0) {
        par_debug(pamh, opts, "credentials of the invoker %s (real uid) for %s",
                  p->name, user);
        return 0;
    }
    *p = target;
    return 0;
}

bool par_target_receives(pam_handle_t *pamh, const struct par_config *cfg,
                         const struct par_person *p, char *target, size_t cap)
{
    struct par_person t;

    if (find_target(pamh, &t) != 0)
        return false;
    snprintf(target, cap, "%s", t.name);
    return t.uid == p->uid || t.uid == 0 ||
           par_config_lists(cfg->target_accounts, cfg->n_target_accounts, t.name);
}

bool par_session_is_persons(pam_handle_t *pamh, const struct par_person *p)
{
    struct par_person t;

    return find_target(pamh, &t) == 0 && t.uid == p->uid;
}
