/*
 * The JSON writer (helper/json_out.c): what it prints parses back to the
 * values given, hostile ones included, on one line or indented; its
 * printing buffer never moves while serializing (no freed copy of a value);
 * every string of the tree is wiped, keys kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json_out.h"

static const char *const hostile[] = {
    "a \"quote\"", "back\\slash", "C0 \x01\x1f tab\t cr\r nl\n", "DEL \x7f",
    "C1 \xc2\x9b as UTF-8", "non-ASCII \xc3\xa9 \xf0\x9f\x98\x80", "</script>/", "",
};
#define N_HOSTILE (sizeof(hostile) / sizeof(hostile[0]))

/* What par_json_print wrote to a pipe, NUL-terminated. */
static char *printed(json_object *top, int flags, int *rc)
{
    static char buf[1 << 20];
    int fds[2];
    ssize_t n;
    size_t len = 0;

    assert_int_equal(pipe(fds), 0);
    *rc = par_json_print(fds[1], top, flags);
    close(fds[1]);
    while ((n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    close(fds[0]);
    buf[len] = '\0';
    return buf;
}

static json_object *hostile_object(void)
{
    json_object *top = par_json_new_object(), *list = json_object_new_array();
    char key[16];

    assert_non_null(top);
    for (size_t i = 0; i < N_HOSTILE; i++) {
        snprintf(key, sizeof(key), "k%zu", i);
        json_object_object_add(top, key, json_object_new_string(hostile[i]));
        json_object_array_add(list, json_object_new_string(hostile[i]));
    }
    json_object_object_add(top, "list", list);
    json_object_object_add(top, "Version", json_object_new_int(1));
    return top;
}

static void check_parses_back(const char *text)
{
    json_object *back = json_tokener_parse(text), *v, *list;
    char key[16];

    assert_non_null(back);
    assert_true(json_object_object_get_ex(back, "list", &list));
    for (size_t i = 0; i < N_HOSTILE; i++) {
        snprintf(key, sizeof(key), "k%zu", i);
        assert_true(json_object_object_get_ex(back, key, &v));
        assert_string_equal(json_object_get_string(v), hostile[i]);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(list, i)),
                            hostile[i]);
    }
    assert_true(json_object_object_get_ex(back, "Version", &v));
    assert_int_equal(json_object_get_int(v), 1);
    json_object_put(back);
}

static void test_one_line_parses_back(void **state)
{
    int rc;
    const char *text = printed(hostile_object(), PAR_JSON_LINE, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
    assert_non_null(strstr(text, "\"Version\": 1"));
    assert_non_null(strstr(text, "</script>/"));   /* no escaped slashes */
    check_parses_back(text);
}

static void test_pretty_parses_back(void **state)
{
    int rc;
    const char *text = printed(hostile_object(), PAR_JSON_PRETTY, &rc);

    (void)state;
    assert_int_equal(rc, 0);
    assert_true(strlen(text) > 2 && text[strlen(text) - 1] == '\n');
    for (const char *p = text; *p; p++)
        assert_true((unsigned char)*p >= 0x20 || *p == '\n' || *p == ' ');
    check_parses_back(text);
}

/* The serialized text stays where the reserved buffer is, however long. */
static void test_buffer_never_moves(void **state)
{
    json_object *top = par_json_new_array();
    const char *before, *after;
    char *big = malloc(8192);

    (void)state;
    assert_non_null(top);
    assert_non_null(big);
    memset(big, 'S', 8191);
    big[8191] = '\0';
    before = json_object_to_json_string_ext(top, PAR_JSON_PRETTY);
    for (int i = 0; i < 16; i++)
        json_object_array_add(top, json_object_new_string(big));
    after = json_object_to_json_string_ext(top, PAR_JSON_PRETTY);
    assert_ptr_equal(before, after);
    assert_true(strlen(after) > 16 * 8191);
    free(big);
    json_object_put(top);
}

static void test_wipes_every_string(void **state)
{
    json_object *top = hostile_object(), *list, *v;
    json_object *inner = json_object_new_object();
    const char *values[2 * N_HOSTILE + 1];
    size_t lens[2 * N_HOSTILE + 1], n = 0;
    char key[16];

    (void)state;
    json_object_object_add(inner, "secret", json_object_new_string("wJalrXUtnFEMI/K7MDENG"));
    json_object_object_add(top, "inner", inner);
    assert_true(json_object_object_get_ex(top, "list", &list));
    for (size_t i = 0; i < N_HOSTILE; i++) {
        snprintf(key, sizeof(key), "k%zu", i);
        assert_true(json_object_object_get_ex(top, key, &v));
        values[n] = json_object_get_string(v);
        lens[n++] = strlen(hostile[i]);
        values[n] = json_object_get_string(json_object_array_get_idx(list, i));
        lens[n++] = strlen(hostile[i]);
    }
    assert_true(json_object_object_get_ex(inner, "secret", &v));
    values[n] = json_object_get_string(v);
    lens[n++] = strlen("wJalrXUtnFEMI/K7MDENG");
    par_json_wipe_strings(top);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < lens[i]; k++)
            assert_int_equal(values[i][k], 0);
    assert_true(json_object_object_get_ex(top, "k0", &v));   /* keys stay */
    assert_true(json_object_object_get_ex(inner, "secret", &v));
    json_object_put(top);
}

static void test_failed_write_reports_and_frees(void **state)
{
    int fds[2];

    (void)state;
    assert_int_equal(par_json_print(1, NULL, PAR_JSON_LINE), -1);
    assert_int_equal(pipe(fds), 0);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(par_json_print(fds[1], hostile_object(), PAR_JSON_LINE), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_line_parses_back),
        cmocka_unit_test(test_pretty_parses_back),
        cmocka_unit_test(test_buffer_never_moves),
        cmocka_unit_test(test_wipes_every_string),
        cmocka_unit_test(test_failed_write_reports_and_frees),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
