/* The arguments of the pam.d line: one table, unknown ones logged and ignored. */
#include <string.h>
#include <syslog.h>
#include <security/pam_ext.h>

#include "module.h"

struct par_opt_def {
    const char *name;       /* "debug", or "config=" for arguments with a value */
    int (*apply)(struct par_opts *opts, const char *value);
};

static int opt_debug(struct par_opts *opts, const char *value)
{
    (void)value;
    opts->debug = true;
    return 0;
}

static int opt_config(struct par_opts *opts, const char *value)
{
    if (value[0] != '/')
        return -1;
    opts->config_path = value;
    return 0;
}

static int opt_mode(struct par_opts *opts, const char *value)
{
    if (strcmp(value, "prompt") == 0)
        opts->mode = PAR_MODE_PROMPT;
    else if (strcmp(value, "suffix") == 0)
        opts->mode = PAR_MODE_SUFFIX;
    else
        return -1;
    return 0;
}

static int opt_session_prompt(struct par_opts *opts, const char *value)
{
    (void)value;
    opts->session_prompt = true;
    return 0;
}

static const struct par_opt_def par_opt_table[] = {
    { "debug", opt_debug },
    { "config=", opt_config },
    { "mode=", opt_mode },
    { "session_prompt", opt_session_prompt },
};

static const struct par_opt_def *find_opt(const char *arg, const char **value)
{
    for (size_t i = 0; i < sizeof(par_opt_table) / sizeof(par_opt_table[0]); i++) {
        const char *name = par_opt_table[i].name;
        size_t n = strlen(name);

        if (name[n - 1] == '=' ? strncmp(arg, name, n) == 0 : strcmp(arg, name) == 0) {
            *value = arg + (name[n - 1] == '=' ? n : strlen(arg));
            return &par_opt_table[i];
        }
    }
    return NULL;
}

void par_opts_parse(pam_handle_t *pamh, int argc, const char **argv, struct par_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->config_path = PAR_CONFIG_PATH;
    opts->mode = PAR_MODE_PROMPT;
    for (int i = 0; i < argc; i++) {
        const char *value = NULL;
        const struct par_opt_def *def = find_opt(argv[i], &value);

        if (def == NULL)
            pam_syslog(pamh, LOG_ERR,
                       "unknown argument '%s' ignored; known: debug config=PATH "
                       "mode=prompt|suffix session_prompt", argv[i]);
        else if (def->apply(opts, value) != 0)
            pam_syslog(pamh, LOG_ERR,
                       "bad value in argument '%s' ignored; config= needs an absolute "
                       "path, mode= prompt or suffix", argv[i]);
    }
}
