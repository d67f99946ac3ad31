/*
 * pam-open's budget: what STS may use is timeout_ms cut to the deadline the
 * module gave; the sweep stops after its folder count; the session lock
 * waits no longer than asked and says so in one line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "login.h"
#include "proctime.h"
#include "session_dir.h"
#include "session_lock.h"

static void budget_follows_the_deadline(void **state)
{
    struct par_login l;

    (void)state;
    memset(&l, 0, sizeof(l));
    l.timeout_ms = 3000;
    assert_int_equal(par_login_budget(&l), 3000);          /* no deadline given */
    l.deadline_at = par_now_ms() + 60000;
    assert_int_equal(par_login_budget(&l), 3000);          /* far: timeout_ms */
    l.deadline_at = par_now_ms() + 1200;
    assert_in_range(par_login_budget(&l), 1100, 1200);     /* near: what is left */
    l.deadline_at = par_now_ms() - 5;
    assert_int_equal(par_login_budget(&l), 0);             /* past: nothing */
}

/* A temporary folder holding N dead session folders (metadata naming no live process). */
static int dead_folders(char *top, size_t n)
{
    int fd;

    assert_non_null(mkdtemp(top));
    fd = open(top, O_RDONLY | O_DIRECTORY);
    for (size_t i = 0; i < n; i++) {
        char id[SD_ID_LEN + 1];
        int d, f;

        snprintf(id, sizeof(id), "%032zx", i + 1);
        assert_int_equal(mkdirat(fd, id, 0700), 0);
        d = openat(fd, id, O_RDONLY | O_DIRECTORY);
        f = openat(d, "session", O_WRONLY | O_CREAT, 0600);
        assert_true(write(f, "session_pid=4194305\nsession_start=1\nend\n", 40) == 40);
        close(f);
        close(d);
    }
    return fd;
}

static void sweep_stops_at_its_count(void **state)
{
    char top[] = "/tmp/par-sweep-XXXXXX";
    int fd = dead_folders(top, 30);

    (void)state;
    assert_int_equal(sd_sweep_some(fd, NULL, 0, 10), 10);
    assert_int_equal(sd_sweep_some(fd, NULL, 10000, 0), 20);  /* no count: the rest */
    assert_int_equal(sd_sweep(fd, NULL), 0);
    close(fd);
    assert_int_equal(rmdir(top), 0);
}

static void lock_waits_no_longer_than_asked(void **state)
{
    char top[] = "/tmp/par-lock-XXXXXX", err[256] = "", path[64];
    int dir, held, again;
    long long start;

    (void)state;
    assert_non_null(mkdtemp(top));
    dir = open(top, O_RDONLY | O_DIRECTORY);
    held = sd_lock(dir, LOCK_EX, 100, err, sizeof(err));
    assert_true(held >= 0);
    start = par_now_ms();
    again = sd_lock(dir, LOCK_EX, 150, err, sizeof(err));  /* another open file: contended */
    assert_int_equal(again, -1);
    assert_in_range(par_now_ms() - start, 140, 1000);
    assert_non_null(strstr(err, "the session is busy"));
    assert_true(sd_lock(dir, LOCK_SH, 0, err, sizeof(err)) == -1);
    sd_unlock(held);
    again = sd_lock(dir, LOCK_SH, 0, err, sizeof(err));
    assert_true(again >= 0);
    sd_unlock(again);
    snprintf(path, sizeof(path), "%s/.lock", top);
    assert_int_equal(unlink(path), 0);
    close(dir);
    assert_int_equal(rmdir(top), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(budget_follows_the_deadline),
        cmocka_unit_test(sweep_stops_at_its_count),
        cmocka_unit_test(lock_waits_no_longer_than_asked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
