/*
 * keystore_make: writes a key store with par_keystore_write, for the tests.
 * Run as the person: keystore_make PROFILE login|own; stdin holds three
 * lines: the access key id, the secret access key, the passphrase.
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "keystore.h"
#include "wipe.h"

static int line(char *buf, size_t cap)
{
    if (fgets(buf, (int)cap, stdin) == NULL)
        return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

int main(int argc, char **argv)
{
    struct passwd *pw = getpwuid(getuid());
    char id[256], secret[256], pass[1024], err[512];
    int rc;

    if (argc != 3 || pw == NULL || line(id, sizeof(id)) != 0 ||
        line(secret, sizeof(secret)) != 0 || line(pass, sizeof(pass)) != 0) {
        fprintf(stderr, "usage: keystore_make PROFILE login|own < id,secret,passphrase\n");
        return 2;
    }
    rc = par_keystore_write(pw->pw_dir, pw->pw_uid, pw->pw_name, argv[1], id, secret,
                            strcmp(argv[2], "login") == 0, pass, strlen(pass), err,
                            sizeof(err));
    par_wipe(secret, sizeof(secret));
    par_wipe(pass, sizeof(pass));
    if (rc != 0)
        fprintf(stderr, "keystore_make: %s\n", err);
    return rc == 0 ? 0 : 1;
}
