/* Asking the person for an MFA code on the terminal. */
#ifndef PAR_PROMPT_H
#define PAR_PROMPT_H

#include <stddef.h>

/*
 * Shows PROMPT on the controlling terminal and reads one line with echo off;
 * when stdin is not a terminal, reads one line from stdin instead. The line
 * (without its newline) goes to buf. Returns 0, or -1 (nothing read, EOF,
 * line too long).
 */
int par_read_code(const char *prompt, char *buf, size_t cap);

#endif
