/*
 * Why the helper could not be executed as the person, from what the child
 * reported over its exec-error pipe (spawn.c): a reason the person can
 * pass on, and the errno's name and number for syslog.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "module.h"

struct par_errno_name {
    int err;
    const char *name;
};

/* strerrorname_np is younger than some C libraries the module builds on. */
static const struct par_errno_name par_errno_names[] = {
    { EACCES, "EACCES" }, { ENOENT, "ENOENT" }, { ENOEXEC, "ENOEXEC" },
    { ENOTDIR, "ENOTDIR" }, { ELOOP, "ELOOP" }, { ENAMETOOLONG, "ENAMETOOLONG" },
    { EPERM, "EPERM" }, { ETXTBSY, "ETXTBSY" }, { EISDIR, "EISDIR" }, { ENOMEM, "ENOMEM" },
    { E2BIG, "E2BIG" }, { EIO, "EIO" }, { ELIBBAD, "ELIBBAD" }, { EMFILE, "EMFILE" },
    { ENFILE, "ENFILE" }, { EINVAL, "EINVAL" }, { EFAULT, "EFAULT" }, { EAGAIN, "EAGAIN" },
};

static const char *errno_name(int err)
{
    for (size_t i = 0; i < sizeof(par_errno_names) / sizeof(par_errno_names[0]); i++)
        if (par_errno_names[i].err == err)
            return par_errno_names[i].name;
    return "errno";
}

/* What execve's errno means for a helper path, in words. */
static const char *call_reason(int err, char *buf, size_t cap)
{
    switch (err) {
    case ENOENT: return "no such file";
    case ENOEXEC: return "not an executable format";
    case ENOTDIR: return "a part of its path is not a folder";
    case ELOOP: return "too many symbolic links on its path";
    case ENAMETOOLONG: return "its path is too long";
    case ETXTBSY: return "the file is open for writing";
    case EACCES: return "permission denied (by a noexec mount or a security policy)";
    case EPERM: return "not permitted (by a nosuid mount or a security policy)";
    default: return strerror_r(err, buf, cap);
    }
}

void par_exec_reason(const struct par_run *run, char *out, size_t outlen)
{
    const struct par_exec_error *e = &run->exec;
    const char *name = run->person->name;
    char buf[128];

    switch (e->stage) {
    case PAR_EXEC_FOLDER:
        snprintf(out, outlen, "permission denied (the folder %.*s is not searchable by %s)",
                 e->folder_len, run->helper, name);
        break;
    case PAR_EXEC_MODE:
        snprintf(out, outlen, "permission denied (the file is not executable by %s)", name);
        break;
    case PAR_EXEC_SETUP:
        snprintf(out, outlen, "becoming %s failed (%s)", name,
                 strerror_r(e->err, buf, sizeof(buf)));
        break;
    default:
        snprintf(out, outlen, "%s", call_reason(e->err, buf, sizeof(buf)));
        break;
    }
}

void par_exec_detail(const struct par_run *run, char *out, size_t outlen)
{
    const struct par_exec_error *e = &run->exec;

    if (e->stage == PAR_EXEC_SETUP)
        snprintf(out, outlen, "the child could not become the person before executing %s: "
                 "%s (errno %d)", run->helper, errno_name(e->err), e->err);
    else if (e->stage == PAR_EXEC_FOLDER)
        snprintf(out, outlen, "cannot execute %s: %s (errno %d): folder %.*s not searchable",
                 run->helper, errno_name(e->err), e->err, e->folder_len, run->helper);
    else if (e->stage == PAR_EXEC_MODE)
        snprintf(out, outlen, "cannot execute %s: %s (errno %d): no execute permission on "
                 "the file", run->helper, errno_name(e->err), e->err);
    else
        snprintf(out, outlen, "cannot execute %s: %s (errno %d)", run->helper,
                 errno_name(e->err), e->err);
}
