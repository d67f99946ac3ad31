/*
 * pam-assume-role store-key: moves the person's long-term AWS key from
 * ~/.aws/credentials (or the terminal) into the encrypted key store
 * (helper/keystore.h), and --check / --rekey on it.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws_edit.h"
#include "awsfiles.h"
#include "commands.h"
#include "config.h"
#include "keystore.h"
#include "tty_prompt.h"
#include "valid.h"
#include "wipe.h"

#define STORE_SHOWN "~/" PAR_KEYSTORE_DIR "/" PAR_KEYSTORE_FILE
#define MIN_OWN_PASSPHRASE 12
#define MAX_PASSPHRASE 1024
#define NO_TTY "needs a terminal for its questions; run it in an interactive terminal"

enum plaintext { PLAIN_ASK, PLAIN_KEEP, PLAIN_REMOVE };

struct store_opts {
    const char *config;
    const char *profile;
    int login_password, check, rekey;
    enum plaintext plaintext;
};

struct person {
    char user[256];
    char home[4096];
    uid_t uid;
};

static void say(const char *line)
{
    char clean[PAR_MAX_MESSAGE];

    snprintf(clean, sizeof(clean), "%s", line);
    par_clean_line(clean);
    fprintf(stderr, "pam-assume-role store-key: %s\n", clean);
}

static int usage(void)
{
    fprintf(stderr, "usage: pam-assume-role store-key [-c CONFIG] [--profile NAME] "
            "[--login-password] [--keep-plaintext|--remove-plaintext]\n"
            "       pam-assume-role store-key --check | --rekey\n"
            "Forgot the passphrase? Remove " STORE_SHOWN ", make a new access key in the AWS "
            "console and run store-key again. See pam-assume-role(1).\n");
    return 2;
}

static int parse_opts(int argc, char **argv, struct store_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->config = PAR_CONFIG_PATH;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            o->config = argv[++i];
        else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
            o->profile = argv[++i];
        else if (strcmp(argv[i], "--login-password") == 0)
            o->login_password = 1;
        else if (strcmp(argv[i], "--keep-plaintext") == 0 && o->plaintext != PLAIN_REMOVE)
            o->plaintext = PLAIN_KEEP;
        else if (strcmp(argv[i], "--remove-plaintext") == 0 && o->plaintext != PLAIN_KEEP)
            o->plaintext = PLAIN_REMOVE;
        else if (strcmp(argv[i], "--check") == 0)
            o->check = 1;
        else if (strcmp(argv[i], "--rekey") == 0)
            o->rekey = 1;
        else
            return -1;
    }
    if (o->check + o->rekey > 1 || ((o->check || o->rekey)
        && (o->profile || o->login_password || o->plaintext != PLAIN_ASK)))
        return -1;
    if (o->profile != NULL && !par_valid_profile_name(o->profile))
        return -1;
    return 0;
}

static int find_person(struct person *p)
{
    struct passwd pw, *res = NULL;
    char buf[4096];

    p->uid = getuid();
    if (getpwuid_r(p->uid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL
        || strlen(pw.pw_name) >= sizeof(p->user) || strlen(pw.pw_dir) >= sizeof(p->home)
        || pw.pw_dir[0] != '/') {
        say("your account has no usable entry (name, home folder); ask the admin");
        return -1;
    }
    snprintf(p->user, sizeof(p->user), "%s", pw.pw_name);
    snprintf(p->home, sizeof(p->home), "%s", pw.pw_dir);
    return 0;
}

/* Whether the AWS tools' own reading of ~/.aws/credentials still finds a key in PROFILE. */
static int key_still_readable(const struct person *me, const char *profile)
{
    struct par_source_keys keys;
    char err[PAR_MAX_MESSAGE];
    int found;

    memset(&keys, 0, sizeof(keys));
    found = par_aws_read_keys(me->home, me->uid, profile, &keys, err, sizeof(err)) == 0 &&
            keys.access_key_id != NULL;
    par_source_keys_free(&keys);
    return found;
}

/* --check: what the store holds, never the secret, never a question. */
static int run_check(const struct person *me)
{
    struct par_keystore_file info;
    char err[PAR_MAX_MESSAGE], line[PAR_MAX_MESSAGE];
    int rc = par_keystore_probe(me->home, me->uid, &info, err, sizeof(err)), plain;

    if (rc == PAR_KS_NONE) {
        say("no key store at " STORE_SHOWN "; make one with 'pam-assume-role store-key'");
        return 1;
    }
    if (rc != PAR_KS_OK) {
        say(err);
        return 1;
    }
    plain = par_aws_has_key_lines(me->home, me->uid, info.profile, err, sizeof(err));
    if (plain == 0 && key_still_readable(me, info.profile))
        plain = 1;
    snprintf(line, sizeof(line), "key store " STORE_SHOWN ": key %s of profile %s, passphrase: %s; "
             "plaintext key in ~/.aws/credentials [%s]: %s", info.key_id, info.profile,
             info.login_password ? "login password" : "own", info.profile,
             plain > 0 ? "still there" : plain == 0 ? "removed" : "unknown (cannot read it)");
    par_clean_line(line);
    printf("%s\n", line);
    return 0;
}

/* A passphrase asked twice; 0 with PASS, or -1 (said why). */
static int ask_new_passphrase(int login, const char *first, char *pass, size_t cap)
{
    char again[MAX_PASSPHRASE];
    int n = par_tty_ask(first, 0, pass, cap), rc = -1;

    if (n < 0)
        say("no passphrase read (end of input or five minutes passed); run store-key again");
    else if (n == 0)
        say("an empty passphrase cannot protect the store; run store-key again");
    else if (!login && n < MIN_OWN_PASSPHRASE)
        say("that passphrase is shorter than 12 characters; run store-key again with a longer one");
    else if (par_tty_ask("Again: ", 0, again, sizeof(again)) < 0 || strcmp(again, pass) != 0)
        say("the two entries do not match; run store-key again");
    else
        rc = 0;
    par_wipe(again, sizeof(again));
    if (rc != 0)
        par_wipe(pass, cap);
    return rc;
}

static int ask_passphrase_for(int login, char *pass, size_t cap)
{
    if (login) {
        par_tty_say("The store opens with your login password. After a password change the "
                    "store follows through the PAM password stack (pam_assume_role in "
                    "/etc/pam.d/common-password); without it run 'pam-assume-role store-key "
                    "--rekey'.\n");
        return ask_new_passphrase(1, "Login password: ", pass, cap);
    }
    par_tty_say("Choose a passphrase for the key store (at least 12 characters). If you forget "
                "it, remove " STORE_SHOWN " and import a new key from the AWS console.\n");
    return ask_new_passphrase(0, "Passphrase: ", pass, cap);
}

/* The key from the terminal: id echoed, secret not. */
static int ask_keys(struct par_source_keys *keys)
{
    char id[PAR_MAX_ACCESS_KEY_ID + 2], secret[PAR_MAX_SECRET_KEY + 2];
    int rc = -1;

    memset(keys, 0, sizeof(*keys));
    if (par_tty_ask("AWS access key id: ", 1, id, sizeof(id)) < 0 || !par_valid_access_key_id(id))
        say("that is not an access key id (AKIA... of 16 to 128 capitals and digits); "
            "copy it again from the AWS console");
    else if (par_tty_ask("AWS secret access key: ", 0, secret, sizeof(secret)) < 0
             || !par_valid_secret_key(secret))
        say("that is not a secret access key (16 to 128 of A-Z a-z 0-9 / + =); copy it again "
            "from the AWS console");
    else if ((keys->access_key_id = strdup(id)) == NULL
             || (keys->secret_access_key = strdup(secret)) == NULL) {
        par_source_keys_free(keys);
        say("out of memory");
    } else
        rc = 0;
    par_wipe(secret, sizeof(secret));
    return rc;
}

/* The keys of PROFILE: 1 from the file, 0 from the terminal, -1 (said why). */
static int get_keys(const struct person *me, const char *profile, struct par_source_keys *keys)
{
    char err[PAR_MAX_MESSAGE], line[PAR_MAX_MESSAGE];
    int present;

    par_ini_configure();
    if (par_aws_read_keys(me->home, me->uid, profile, keys, err, sizeof(err)) == 0) {
        if (keys->session_token != NULL) {
            par_source_keys_free(keys);
            snprintf(line, sizeof(line), "~/.aws/credentials [%s] holds an aws_session_token: "
                     "that is not a long-term key; use --profile with your IAM user's key", profile);
            say(line);
            return -1;
        }
        return 1;
    }
    present = par_aws_has_key_lines(me->home, me->uid, profile, line, sizeof(line));
    if (present != 0) {
        say(present < 0 ? line : err);
        return -1;
    }
    snprintf(line, sizeof(line), "No key in ~/.aws/credentials [%s]; type it (from the AWS "
             "console, IAM, your user, Security credentials).\n", profile);
    par_tty_say(line);
    return ask_keys(keys) == 0 ? 0 : -1;
}

static int offer_removal(const struct person *me, const char *profile, enum plaintext choice)
{
    char q[PAR_MAX_MESSAGE], answer[16], err[PAR_MAX_MESSAGE];
    int rc;

    if (choice == PLAIN_ASK) {
        snprintf(q, sizeof(q), "Remove the key lines of [%s] from ~/.aws/credentials? [y/N] ",
                 profile);
        if (par_tty_ask(q, 1, answer, sizeof(answer)) > 0
            && (strcmp(answer, "y") == 0 || strcmp(answer, "Y") == 0 || strcmp(answer, "yes") == 0))
            choice = PLAIN_REMOVE;
    }
    if (choice != PLAIN_REMOVE) {
        printf("~/.aws/credentials [%s] still holds the key in plaintext; remove it with "
               "'pam-assume-role store-key --remove-plaintext' once logins work\n", profile);
        return 0;
    }
    rc = par_aws_remove_keys(me->home, me->uid, profile, err, sizeof(err));
    if (rc < 0) {
        say(err);
        return 1;
    }
    if (key_still_readable(me, profile)) {
        snprintf(err, sizeof(err), "the key of [%s] can still be read from ~/.aws/credentials: "
                 "remove its aws_access_key_id and aws_secret_access_key lines by hand", profile);
        say(err);
        return 1;
    }
    if (rc == 1)
        printf("~/.aws/credentials holds no key lines of [%s]: it is unchanged\n", profile);
    else
        printf("removed the key lines of [%s] from ~/.aws/credentials\n", profile);
    return 0;
}

static const char *default_profile(const char *config, char *buf, size_t cap)
{
    struct par_config cfg;
    char err[PAR_CONFIG_ERR_MAX];

    memset(&cfg, 0, sizeof(cfg));
    if (par_config_load(config, 0, &cfg, err, sizeof(err)) != 0) {
        say(err);
        return NULL;
    }
    snprintf(buf, cap, "%s", cfg.source_profile ? cfg.source_profile : "gds");
    par_config_free(&cfg);
    return buf;
}

static int run_import(const struct person *me, const struct store_opts *o)
{
    char profile_buf[PAR_MAX_PROFILE_NAME + 1], pass[MAX_PASSPHRASE], err[PAR_MAX_MESSAGE];
    const char *profile = o->profile;
    struct par_source_keys keys;
    int from_file, rc = 1;

    if (profile == NULL && (profile = default_profile(o->config, profile_buf,
                                                      sizeof(profile_buf))) == NULL)
        return 1;
    if (par_tty_open() != 0) {
        say(NO_TTY);
        return 1;
    }
    memset(&keys, 0, sizeof(keys));
    if ((from_file = get_keys(me, profile, &keys)) < 0)
        return 1;
    if (ask_passphrase_for(o->login_password, pass, sizeof(pass)) == 0) {
        struct par_keystore_file before;
        int had_store = par_keystore_probe(me->home, me->uid, &before, err, sizeof(err)) ==
                        PAR_KS_OK;

        if (par_keystore_write(me->home, me->uid, me->user, profile, keys.access_key_id,
                               keys.secret_access_key, o->login_password, pass, strlen(pass),
                               err, sizeof(err)) != PAR_KS_OK)
            say(err);
        else {
            printf("stored key %s of profile %s in " STORE_SHOWN " (passphrase: %s)\n",
                   keys.access_key_id, profile, o->login_password ? "login password" : "own");
            if (had_store)
                printf("it replaces the store that held key %s of profile %s\n",
                       before.key_id, before.profile);
            rc = from_file ? offer_removal(me, profile, o->plaintext) : 0;
        }
    }
    par_wipe(pass, sizeof(pass));
    par_source_keys_free(&keys);
    return rc;
}

/* Checks the previous passphrase before asking for a new one. */
static int old_opens(const struct person *me, const char *old, char *err, size_t errlen)
{
    struct par_source_keys keys;
    struct par_keystore_file info;
    int rc = par_keystore_open(me->home, me->uid, me->user, old, strlen(old), &keys, &info,
                               err, errlen);

    par_source_keys_free(&keys);
    return rc;
}

static int run_rekey(const struct person *me)
{
    struct par_keystore_file info;
    char old[MAX_PASSPHRASE], pass[MAX_PASSPHRASE], err[PAR_MAX_MESSAGE];
    int rc = par_keystore_probe(me->home, me->uid, &info, err, sizeof(err)), n;

    if (rc != PAR_KS_OK) {
        say(rc == PAR_KS_NONE ? "no key store at " STORE_SHOWN "; make one with "
            "'pam-assume-role store-key'" : err);
        return 1;
    }
    if (par_tty_open() != 0) {
        say(NO_TTY);
        return 1;
    }
    n = par_tty_ask(info.login_password ? "Previous login password: " : "Previous passphrase: ",
                    0, old, sizeof(old));
    rc = 1;
    if (n < 0)
        say("no passphrase read (end of input or five minutes passed); run store-key --rekey again");
    else if (old_opens(me, old, err, sizeof(err)) != PAR_KS_OK)
        say(err);
    else if (ask_new_passphrase(info.login_password, info.login_password ? "New login password: "
                                : "New passphrase (at least 12 characters): ", pass, sizeof(pass)) == 0) {
        n = par_keystore_rekey(me->home, me->uid, me->user, old, strlen(old), pass, strlen(pass),
                               err, sizeof(err));
        if (n == PAR_KS_OK) {
            printf("re-encrypted " STORE_SHOWN " under the new %s\n",
                   info.login_password ? "login password" : "passphrase");
            rc = 0;
        } else
            say(err);
    }
    par_wipe(old, sizeof(old));
    par_wipe(pass, sizeof(pass));
    return rc;
}

int par_cmd_store_key(int argc, char **argv)
{
    struct store_opts o;
    struct person me;
    int rc;

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage();
        return 0;
    }
    if (parse_opts(argc, argv, &o) != 0)
        return usage();
    if (find_person(&me) != 0)
        return 1;
    if (o.check)
        rc = run_check(&me);
    else if (o.rekey)
        rc = run_rekey(&me);
    else
        rc = run_import(&me, &o);
    par_tty_close();
    return rc;
}
