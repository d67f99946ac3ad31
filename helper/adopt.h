/*
 * A shell that outlived its login (tmux, screen, nohup): its session folder
 * is gone. 'refresh' and 'status' there offer the newest live login of the
 * same person on this host: they print the one line the shell needs,
 *   export PAM_ASSUME_ROLE_DIR='RUN_DIR/UID/ID'
 * on stdout, for the person to paste (never to eval), and say why on
 * stderr. Without a live login they say that a new login is needed.
 */
#ifndef PAR_ADOPT_H
#define PAR_ADOPT_H

/* True when opening the shell's session folder DIR failed with OPEN_ERRNO
 * because its login has ended: the folder is gone, or so is the person's
 * RUN_DIR/UID (unmounted at their last logout, left to root). */
int par_adopt_folder_gone(const char *dir, int open_errno);

/* GONE_DIR: the shell's session folder. Returns the exit status (1). */
int par_adopt_offer(const char *gone_dir);

/* The one line (no newline) that says GONE_DIR's login has ended, for the
 * commands that do not offer another login. */
void par_adopt_ended_line(const char *gone_dir, char *out, size_t outlen);

#endif
