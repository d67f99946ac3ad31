/*
 * keystore_open_time HOME [RUNS]: times par_keystore_open (scrypt at the
 * default cost, then AES-256-GCM) on a store in HOME (written first when
 * there is none). Prints each open's milliseconds, one a line, then
 * "median MS"; exit 0 when every open gave the key back. For make bench.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keystore.h"

#define KEY_ID "AKIATBENCHSOURCEKEY1"
#define SECRET "benchSourceSecretKeyBENCHsourceSECRET123"
#define PASS "bench passphrase 123"
#define USER "bench"

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double open_once(const char *home, int *ok)
{
    struct par_source_keys keys;
    struct par_keystore_file info;
    struct timespec t0, t1;
    char err[512];
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = par_keystore_open(home, getuid(), USER, PASS, strlen(PASS), &keys, &info, err, sizeof(err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *ok = rc == PAR_KS_OK && strcmp(keys.secret_access_key, SECRET) == 0;
    if (rc != PAR_KS_OK)
        fprintf(stderr, "keystore_open_time: %s\n", err);
    par_source_keys_free(&keys);
    return (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

int main(int argc, char **argv)
{
    struct par_keystore_file info;
    char err[512];
    int runs = argc > 2 ? atoi(argv[2]) : 20, all_ok = 1;
    double *ms;

    if (argc < 2 || runs < 1 || runs > 10000) {
        fprintf(stderr, "usage: keystore_open_time HOME [RUNS]\n");
        return 2;
    }
    if (par_keystore_probe(argv[1], getuid(), &info, err, sizeof(err)) == PAR_KS_NONE
        && par_keystore_write(argv[1], getuid(), USER, "gds", KEY_ID, SECRET, 0, PASS,
                              strlen(PASS), err, sizeof(err)) != PAR_KS_OK) {
        fprintf(stderr, "keystore_open_time: %s\n", err);
        return 1;
    }
    if ((ms = calloc((size_t)runs, sizeof(*ms))) == NULL)
        return 1;
    for (int i = 0; i < runs; i++) {
        int ok;

        ms[i] = open_once(argv[1], &ok);
        all_ok &= ok;
        printf("%.2f\n", ms[i]);
    }
    qsort(ms, (size_t)runs, sizeof(*ms), by_value);
    printf("median %.2f\n", runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2);
    free(ms);
    return all_ok ? 0 : 1;
}
