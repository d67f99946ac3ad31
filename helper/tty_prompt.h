/*
 * Questions on the controlling terminal (/dev/tty, never stdin) for the
 * person's interactive commands. Echo off is undone on every exit path:
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT restore the terminal and then end the
 * process as the signal would. Each answer waits at most five minutes.
 */
#ifndef PAR_TTY_PROMPT_H
#define PAR_TTY_PROMPT_H

#include <stddef.h>

/* Opens /dev/tty: 0, or -1 (no terminal). */
int par_tty_open(void);
void par_tty_close(void);
/* Shows PROMPT and reads one line into BUF (no newline, NUL-terminated): its
 * length, or -1 (no terminal, end of input, timeout, longer than CAP - 1).
 * ECHO 0 reads with echo off. BUF is wiped on failure. */
int par_tty_ask(const char *prompt, int echo, char *buf, size_t cap);
/* Writes TEXT on the terminal. */
void par_tty_say(const char *text);

#endif
