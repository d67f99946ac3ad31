/*
 * The folders above run_dir: root creates run_dir in its parent, so anyone
 * who can write to an ancestor could have made (or could swap) the path
 * first. Each ancestor must be root's and writable by root alone; a
 * world-writable one with the sticky bit (/tmp) is accepted only when the
 * next folder below it is root's, since no one else can rename or remove
 * that one. Links are refused: the path is walked with O_NOFOLLOW.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "module.h"

static bool written_by_others(const struct stat *st)
{
    return st->st_uid != 0 || (st->st_mode & S_IWOTH) ||
           ((st->st_mode & S_IWGRP) && st->st_gid != 0);
}

/* World-writable, but sticky: safe for what root owns inside it. */
static bool sticky_shared(const struct stat *st)
{
    return st->st_uid == 0 && (st->st_mode & S_ISVTX) &&
           !((st->st_mode & S_IWGRP) && st->st_gid != 0);
}

static int refuse(int fd, char *err, size_t errlen, const char *shown, const struct stat *st)
{
    snprintf(err, errlen, "run_dir's parent folder %s can be written by others (owner uid %u, "
             "mode %04o); make it root's and writable by root alone, or choose another "
             "run_dir", shown[0] != '\0' ? shown : "/", (unsigned)st->st_uid,
             (unsigned)(st->st_mode & 07777));
    close(fd);
    return -1;
}

/* Opens the next component below fd; -1 with err filled (fd stays open). */
static int open_below(int fd, const char *name, const char *shown, char *err, size_t errlen)
{
    int next;

    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        snprintf(err, errlen, "run_dir must not contain . or .. (%s); name the real path",
                 shown);
        return -1;
    }
    next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0)
        snprintf(err, errlen, "cannot open %s (%s); run_dir's parents must be folders, not "
                 "links: name the real path", shown, strerror(errno));
    return next;
}

int par_open_trusted_parent(const char *parent, char *err, size_t errlen)
{
    char shown[4096] = "", name[256];
    const char *p = parent;
    struct stat st;
    int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool only_root_below = false;

    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot open /: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    for (;;) {
        size_t len;
        int next;

        if (written_by_others(&st)) {
            if (!sticky_shared(&st))
                return refuse(fd, err, errlen, shown, &st);
            only_root_below = true;
        }
        p += strspn(p, "/");
        if (*p == '\0')
            return fd;
        len = strcspn(p, "/");
        if (len >= sizeof(name) || strlen(shown) + len + 2 > sizeof(shown)) {
            snprintf(err, errlen, "run_dir is too long; choose a shorter path");
            close(fd);
            return -1;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        p += len;
        snprintf(shown + strlen(shown), sizeof(shown) - strlen(shown), "/%s", name);
        next = open_below(fd, name, shown, err, errlen);
        close(fd);
        if (next < 0)
            return -1;
        fd = next;
        if (fstat(fd, &st) != 0 || (only_root_below && st.st_uid != 0))
            return refuse(fd, err, errlen, shown, &st);
        only_root_below = false;
    }
}
