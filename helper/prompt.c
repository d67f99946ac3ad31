#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "prompt.h"
#include "wipe.h"

/* Reads up to a newline, byte by byte (nothing is buffered past it). */
static int read_line(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    int newline = 0;
    char c;

    for (;;) {
        ssize_t r = read(fd, &c, 1);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (c == '\n') {
            newline = 1;
            break;
        }
        if (n + 1 >= cap) {
            par_wipe(buf, cap);
            return -1;
        }
        buf[n++] = c;
    }
    buf[n] = '\0';
    if (n == 0 && !newline)
        return -1;
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
    return 0;
}

int par_read_code(const char *prompt, char *buf, size_t cap)
{
    struct termios old, quiet;
    int fd, rc;

    if (!isatty(STDIN_FILENO))
        return read_line(STDIN_FILENO, buf, cap);
    if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
        fd = STDIN_FILENO;
    if (tcgetattr(fd, &old) != 0) {
        if (fd != STDIN_FILENO)
            close(fd);
        return -1;
    }
    /* Echo off before the question shows, so an answer typed at once is kept. */
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
    tcsetattr(fd, TCSAFLUSH, &quiet);
    if (write(fd, prompt, strlen(prompt)) < 0) {
        tcsetattr(fd, TCSANOW, &old);
        if (fd != STDIN_FILENO)
            close(fd);
        return -1;
    }
    rc = read_line(fd, buf, cap);
    tcsetattr(fd, TCSANOW, &old);
    (void)!write(fd, "\n", 1);
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}
