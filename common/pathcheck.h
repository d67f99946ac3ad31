#ifndef PAR_PATHCHECK_H
#define PAR_PATHCHECK_H

/*
 * The length of the first folder on path ("/", "/a", "/a/b") that the
 * calling process cannot search, with errno from that access(); 0 when it
 * can search every one. Async-signal-safe: for children between fork and exec.
 */
int par_unsearchable_folder(const char *path);

#endif
