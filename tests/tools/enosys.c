/*
 * enosys PROGRAM [ARG...]: runs PROGRAM with close_range(2) and
 * pidfd_open(2) failing with ENOSYS, as on kernels before 5.9 and 5.3, so
 * the tests drive the module's fallbacks (the close loop, the sleep loop).
 * The seccomp filter is inherited by every process PROGRAM starts and
 * cannot be lifted; every other call is allowed.
 *
 * As root the filter is loaded without no_new_privs, so setuid programs
 * (sudo, su) still work under it, as they do on such a kernel.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"

static int refuse(scmp_filter_ctx ctx, int nr)
{
    return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
}

static int load_filter(void)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int rc;

    if (ctx == NULL)
        return -ENOMEM;
    rc = geteuid() == 0 ? seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) : 0;
    if (rc == 0)
        rc = refuse(ctx, SYS_close_range);
    if (rc == 0)
        rc = refuse(ctx, SYS_pidfd_open);
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc;
}

int main(int argc, char **argv)
{
    int rc;

    if (argc < 2) {
        fprintf(stderr, "usage: enosys PROGRAM [ARG...] (runs PROGRAM with close_range and "
                        "pidfd_open failing with ENOSYS)\n");
        return 2;
    }
    if ((rc = load_filter()) != 0) {
        fprintf(stderr, "enosys: cannot load the seccomp filter (%s): run as root or on a "
                        "kernel with seccomp\n", strerror(-rc));
        return 125;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "enosys: cannot run %s (%s): check the path\n", argv[1], strerror(errno));
    return 127;
}
