/*
 * The session folder, RUN_DIR/UID/SESSION, as the person (never as root).
 * Every path is opened relative to a verified folder descriptor, never
 * following a link; files are written whole to a temporary name and renamed.
 */
#ifndef PAR_SESSION_DIR_H
#define PAR_SESSION_DIR_H

#include <stddef.h>
#include <sys/types.h>

#define SD_ID_LEN 32   /* hex characters of a session folder's name */
#define SD_FILE_MAX (64 * 1024)
#define SD_SETUP_GRACE 600   /* seconds a folder naming no login process is kept */

struct par_msg;

/* Opens RUN_DIR/UID, checking it is a folder owned by UID with mode 0700. */
int sd_open_user_dir(const char *run_dir, uid_t uid, char *err, size_t errlen);
/* Creates a new session folder; its name goes to id[SD_ID_LEN + 1]. */
int sd_create_session(int user_fd, char *id, char *err, size_t errlen);
/* Opens an existing session folder (owner and mode checked). */
int sd_open_session(int user_fd, const char *id, char *err, size_t errlen);
/* Writes NAME in DIR atomically, mode 0600. */
int sd_write_file(int dir_fd, const char *name, const char *data, size_t len);
/* Reads NAME from DIR (a regular file of ours, <= cap - 1 bytes), NUL-terminated. */
int sd_read_file(int dir_fd, const char *name, char *buf, size_t cap, size_t *len);
/* Reads and parses the metadata "session" in DIR (up to PAR_META_MAX). */
int sd_read_meta(int dir_fd, struct par_msg *meta);
/* Removes a session folder and its files; a link in its place is removed itself. */
int sd_remove_session(int user_fd, const char *id);
/* Removes the folders of sessions whose login process is gone (keeps KEEP). */
int sd_sweep(int user_fd, const char *keep);
/* The same, stopping after MAX_MS or MAX_FOLDERS folders looked at (0: no limit). */
int sd_sweep_some(int user_fd, const char *keep, long max_ms, long max_folders);

#endif
