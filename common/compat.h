/*
 * Calls newer than the oldest C library we build on (glibc 2.31, Debian 11).
 * close_range (glibc 2.34) and pidfd_open (2.36) go through syscall() so the
 * build does not depend on the C library's declarations; both return -1
 * with errno ENOSYS on kernels without them, and callers keep a fallback.
 */
#ifndef PAR_COMPAT_H
#define PAR_COMPAT_H

#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/*
 * Kernel headers older than the call (linux-libc-dev before 5.3 / 5.9):
 * since Linux 5.1 every architecture numbers new calls alike (alpha 110
 * higher), so the numbers are known without them.
 */
#ifndef SYS_pidfd_open
#ifdef __NR_pidfd_open
#define SYS_pidfd_open __NR_pidfd_open
#elif defined(__alpha__)
#define SYS_pidfd_open 544
#else
#define SYS_pidfd_open 434
#endif
#endif

#ifndef SYS_close_range
#ifdef __NR_close_range
#define SYS_close_range __NR_close_range
#elif defined(__alpha__)
#define SYS_close_range 546
#else
#define SYS_close_range 436
#endif
#endif

/* close_range(2): closes every descriptor from first to last. */
static inline int par_close_range(unsigned int first, unsigned int last, unsigned int flags)
{
    return (int)syscall(SYS_close_range, first, last, flags);
}

/* pidfd_open(2): a descriptor that becomes readable when pid exits. */
static inline int par_pidfd_open(pid_t pid, unsigned int flags)
{
    return (int)syscall(SYS_pidfd_open, pid, flags);
}

/*
 * sigabbrev_np came with glibc 2.32; before it (and on other C libraries)
 * the names of the signals a helper can die of, spelt as it spells them.
 */
#if !defined(__GLIBC__) || __GLIBC__ < 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ < 32)
#include <signal.h>
#include <stddef.h>

static inline const char *sigabbrev_np(int sig)
{
    switch (sig) {
    case SIGHUP: return "HUP";
    case SIGINT: return "INT";
    case SIGQUIT: return "QUIT";
    case SIGILL: return "ILL";
    case SIGTRAP: return "TRAP";
    case SIGABRT: return "ABRT";
    case SIGBUS: return "BUS";
    case SIGFPE: return "FPE";
    case SIGKILL: return "KILL";
    case SIGUSR1: return "USR1";
    case SIGSEGV: return "SEGV";
    case SIGUSR2: return "USR2";
    case SIGPIPE: return "PIPE";
    case SIGALRM: return "ALRM";
    case SIGTERM: return "TERM";
    case SIGXCPU: return "XCPU";
    case SIGXFSZ: return "XFSZ";
    case SIGSYS: return "SYS";
    default: return NULL;
    }
}
#endif

#endif
