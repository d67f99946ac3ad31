/*
 * The session lock (helper/session_lock.c) and close's removal
 * (common/rmsession.c): shared locks share, an exclusive one waits no longer
 * than its deadline, a removed folder reads as an ended login, a lock file
 * that is a link or not private is refused, and close removes a folder
 * whose lock is held by someone else once its own deadline has passed.
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
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "rmsession.h"
#include "session_lock.h"

static char top[] = "/tmp/par-test-lock-XXXXXX";
static char user_dir[128];
static char session[256];

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_session(void)
{
    int fd;

    mkdir(session, 0700);
    fd = open(session, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    return fd;
}

static void test_shared_locks_share(void **state)
{
    char err[256];
    int dir = open_session(), a, b;

    (void)state;
    a = sd_lock(dir, LOCK_SH, 100, err, sizeof(err));
    b = sd_lock(dir, LOCK_SH, 100, err, sizeof(err));
    assert_true(a >= 0 && b >= 0);
    sd_unlock(a);
    sd_unlock(b);
    close(dir);
}

static void test_exclusive_waits_until_its_deadline(void **state)
{
    char err[256];
    int dir = open_session(), held = sd_lock(dir, LOCK_EX, 100, err, sizeof(err)), fd;
    long long start;

    (void)state;
    assert_true(held >= 0);
    /* flock locks belong to the open file: a second open competes even here. */
    start = now_ms();
    fd = sd_lock(dir, LOCK_SH, 200, err, sizeof(err));
    assert_int_equal(fd, -1);
    assert_true(now_ms() - start >= 190 && now_ms() - start < 1000);
    assert_non_null(strstr(err, "busy"));
    sd_unlock(held);
    fd = sd_lock(dir, LOCK_EX, 200, err, sizeof(err));
    assert_true(fd >= 0);
    sd_unlock(fd);
    close(dir);
}

static void test_removed_folder_is_an_ended_login(void **state)
{
    char err[256];
    int dir = open_session();

    (void)state;
    assert_int_equal(par_rm_session(top, getuid(), "s"), 0);
    assert_int_equal(sd_lock(dir, LOCK_EX, 100, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "this login has ended"));
    close(dir);
}

static void test_planted_lock_file_is_refused(void **state)
{
    char err[256], path[300];
    int dir = open_session();

    (void)state;
    snprintf(path, sizeof(path), "%s/.lock", session);
    unlink(path);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    assert_int_equal(sd_lock(dir, LOCK_SH, 100, err, sizeof(err)), -1);
    unlink(path);
    assert_true(close(open(path, O_CREAT | O_WRONLY, 0644)) == 0);
    chmod(path, 0644);
    assert_int_equal(sd_lock(dir, LOCK_SH, 100, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a private file"));
    unlink(path);
    close(dir);
}

/* Close with the lock held elsewhere: it waits its deadline, then removes. */
static void test_close_wins_over_a_held_lock(void **state)
{
    char err[256], path[300];
    int dir = open_session(), held = sd_lock(dir, LOCK_EX, 100, err, sizeof(err)), fd;
    long long start;

    (void)state;
    assert_true(held >= 0);
    snprintf(path, sizeof(path), "%s/credentials", session);
    assert_true(close(open(path, O_CREAT | O_WRONLY, 0600)) == 0);
    snprintf(path, sizeof(path), "%s/session", session);
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    assert_true(write(fd, "version=1\nend\n", 14) == 14);
    close(fd);
    start = now_ms();
    assert_int_equal(par_end_session(top, getuid(), "s", 300), 0);
    assert_true(now_ms() - start >= 290);
    assert_int_equal(access(session, F_OK), -1);
    sd_unlock(held);
    close(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_locks_share),
        cmocka_unit_test(test_exclusive_waits_until_its_deadline),
        cmocka_unit_test(test_removed_folder_is_an_ended_login),
        cmocka_unit_test(test_planted_lock_file_is_refused),
        cmocka_unit_test(test_close_wins_over_a_held_lock),
    };
    int rc;

    if (mkdtemp(top) == NULL)
        return 1;
    /* RUN_DIR/UID/SESSION, as par_user_dir_open wants it. */
    snprintf(user_dir, sizeof(user_dir), "%s/%u", top, (unsigned)getuid());
    snprintf(session, sizeof(session), "%s/s", user_dir);
    if (mkdir(user_dir, 0700) != 0)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    par_rm_session(top, getuid(), "s");
    rmdir(user_dir);
    rmdir(top);
    return rc;
}
