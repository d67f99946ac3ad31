/* Syslog lines and the config, shared by every phase. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <security/pam_ext.h>

#include "module.h"
#include "valid.h"

/* Items in a line (PAM_USER, PAM_RHOST) may come from the network: no
 * control character of theirs reaches the log. */
static void log_clean(pam_handle_t *pamh, int prio, const char *fmt, va_list ap)
    PAR_PRINTF(3, 0);

static void log_clean(pam_handle_t *pamh, int prio, const char *fmt, va_list ap)
{
    char line[1024];

    vsnprintf(line, sizeof(line), fmt, ap);
    par_clean_line(line);
    pam_syslog(pamh, prio, "%s", line);
}

void par_log(pam_handle_t *pamh, int prio, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_clean(pamh, prio, fmt, ap);
    va_end(ap);
}

void par_debug(pam_handle_t *pamh, const struct par_opts *opts, const char *fmt, ...)
{
    va_list ap;

    if (!opts->debug)
        return;
    va_start(ap, fmt);
    log_clean(pamh, LOG_DEBUG, fmt, ap);
    va_end(ap);
}

const char *par_item_str(pam_handle_t *pamh, int item)
{
    const void *value = NULL;

    if (pam_get_item(pamh, item, &value) != PAM_SUCCESS || value == NULL)
        return "";
    return value;
}

int par_load_config(pam_handle_t *pamh, const struct par_opts *opts, struct par_config *cfg)
{
    char err[512];

    if (par_config_load(opts->config_path, 0, cfg, err, sizeof(err)) != 0) {
        par_log(pamh, LOG_ERR, "%s", err);
        return -1;
    }
    par_debug(pamh, opts, "config %s loaded", opts->config_path);
    return 0;
}

void par_unsetenv(pam_handle_t *pamh, const char *name)
{
    /* A name without '=' deletes; Linux-PAM logs an error for an absent one. */
    if (pam_getenv(pamh, name) != NULL)
        (void)pam_putenv(pamh, name);
}
