#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tty_prompt.h"
#include "wipe.h"

#define ANSWER_SECONDS 300

static int tty_fd = -1;
static struct termios saved;
static volatile sig_atomic_t echo_off;
static const int caught[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
static struct sigaction previous[4];

int par_tty_open(void)
{
    if (tty_fd < 0)
        tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    return tty_fd >= 0 ? 0 : -1;
}

void par_tty_close(void)
{
    if (tty_fd >= 0)
        close(tty_fd);
    tty_fd = -1;
}

void par_tty_say(const char *text)
{
    if (tty_fd >= 0)
        (void)!write(tty_fd, text, strlen(text));
}

/* Async-signal-safe: put the echo back, then die of the signal. */
static void restore_and_die(int sig)
{
    if (echo_off) {
        tcsetattr(tty_fd, TCSAFLUSH, &saved);
        (void)!write(tty_fd, "\n", 1);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = restore_and_die;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
        sigaction(caught[i], &sa, &previous[i]);
}

static void release_signals(void)
{
    for (size_t i = 0; i < sizeof(caught) / sizeof(caught[0]); i++)
        sigaction(caught[i], &previous[i], NULL);
}

static int read_answer(char *buf, size_t cap)
{
    time_t deadline = time(NULL) + ANSWER_SECONDS;
    size_t n = 0;

    for (;;) {
        struct pollfd pfd = { tty_fd, POLLIN, 0 };
        long left = (long)(deadline - time(NULL));
        ssize_t r;
        char c;

        if (left <= 0 || poll(&pfd, 1, (int)left * 1000) == 0)
            return -1;
        r = read(tty_fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if (c == '\n' || c == '\r')
            break;
        if (n + 1 >= cap)
            return -1;
        buf[n++] = c;
    }
    buf[n] = '\0';
    return (int)n;
}

int par_tty_ask(const char *prompt, int echo, char *buf, size_t cap)
{
    struct termios quiet;
    int n;

    if (cap == 0 || par_tty_open() != 0)
        return -1;
    /* Echo off (dropping what was typed before the question) before the question
     * shows: an answer typed as soon as it appears is never flushed away. */
    if (!echo) {
        if (tcgetattr(tty_fd, &saved) != 0)
            return -1;
        catch_signals();
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        echo_off = 1;
        tcsetattr(tty_fd, TCSAFLUSH, &quiet);
    }
    par_tty_say(prompt);
    n = read_answer(buf, cap);
    if (!echo) {
        tcsetattr(tty_fd, TCSANOW, &saved);
        echo_off = 0;
        release_signals();
        par_tty_say("\n");
    }
    if (n < 0)
        par_wipe(buf, cap);
    return n;
}
