/*
 * Small helpers shared by the libFuzzer harnesses: a private scratch folder
 * (made once per process, removed at exit) and a property check that
 * aborts, so libFuzzer records the input as a crash.
 */
#ifndef PAR_FUZZ_UTIL_H
#define PAR_FUZZ_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                          \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, \
                    #cond);                                                       \
            abort();                                                              \
        }                                                                         \
    } while (0)

static char fuzz_scratch_dir[64];

static void fuzz_remove_scratch(void)
{
    char cmd[128];

    if (fuzz_scratch_dir[0] == '\0')
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_scratch_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s: remove it by hand\n", fuzz_scratch_dir);
}

/* The scratch folder, e.g. /tmp/par-fuzz-XXXXXX (0700). */
static inline const char *fuzz_scratch(void)
{
    if (fuzz_scratch_dir[0] == '\0') {
        snprintf(fuzz_scratch_dir, sizeof(fuzz_scratch_dir), "/tmp/par-fuzz-XXXXXX");
        if (mkdtemp(fuzz_scratch_dir) == NULL) {
            fprintf(stderr, "mkdtemp failed: %s; check /tmp\n", strerror(errno));
            abort();
        }
        atexit(fuzz_remove_scratch);
    }
    return fuzz_scratch_dir;
}

/* Writes exactly data[0..size) to path with mode 0600 (replacing it). */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t done = 0;

    if (fd < 0) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        abort();
    }
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
            abort();
        }
        done += (size_t)w;
    }
    close(fd);
}

/* Splits the input at the first occurrence of sep: the part before it,
 * NUL-terminated, in a malloc'd string; the input advances past it. */
static inline char *fuzz_take_field(const uint8_t **data, size_t *size, uint8_t sep)
{
    const uint8_t *end = memchr(*data, sep, *size);
    size_t n = end != NULL ? (size_t)(end - *data) : *size;
    char *s = malloc(n + 1);

    if (s == NULL)
        abort();
    memcpy(s, *data, n);
    s[n] = '\0';
    *data += end != NULL ? n + 1 : n;
    *size -= end != NULL ? n + 1 : n;
    return s;
}

/* True when s is one line of printable text (tabs refused too). */
static inline int fuzz_one_line(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

#endif
