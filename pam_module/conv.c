/* The PAM conversation: one echo-off question, one-line messages. */
#include <stdio.h>
#include <string.h>
#include <security/pam_ext.h>

#include "module.h"
#include "template.h"

int par_ask(pam_handle_t *pamh, const char *prompt, char **answer)
{
    *answer = NULL;
    return pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, answer, "%s", prompt);
}

void par_tell(pam_handle_t *pamh, int style, const char *text)
{
    /* Where the conversation cannot show it (sshd without a tty), it is lost. */
    (void)pam_prompt(pamh, style, NULL, "%s", text);
}

/*
 * %u in profile_template: the person, as for the helper's reading of
 * ~/.aws/config (resolve.c). An unknown account gets the name as typed: the
 * prompt must not tell whether an account exists.
 */
static const char *template_user(pam_handle_t *pamh, const struct par_opts *opts,
                                 const struct par_config *cfg, struct par_person *person)
{
    if (strstr(cfg->profile_template, "%u") == NULL)
        return NULL;
    if (par_person_find(pamh, opts, cfg, person) == 0)
        return person->name;
    return par_item_str(pamh, PAM_USER);
}

void par_code_prompt(pam_handle_t *pamh, const struct par_opts *opts,
                     const struct par_config *cfg, char *buf, size_t cap)
{
    size_t len = 0;
    size_t n = cfg->strategy == PAR_STRATEGY_SESSION ? cfg->n_login_environments : 1;
    struct par_person person;
    const char *user = template_user(pamh, opts, cfg, &person);
    char name[PAR_MAX_PROFILE_NAME + 1];

    buf[0] = '\0';
    len += (size_t)snprintf(buf, cap, "AWS MFA code for ");
    /* Each environment as the person knows it from the manual: its AWS CLI
     * profile ("govuk-integration"), else its own name. */
    for (size_t i = 0; i < n && i < cfg->n_login_environments && len < cap; i++) {
        const char *env = cfg->login_environments[i];
        const char *shown = par_profile_name(cfg->profile_template, user, env, name) == 0
                            ? name : env;

        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i > 0 ? "," : "", shown);
    }
    if (cfg->n_login_environments == 0 && len < cap)
        len += (size_t)snprintf(buf + len, cap - len, "AWS");
    if (len < cap)
        snprintf(buf + len, cap - len, " (Enter to skip): ");
}

bool par_service_is_sshd(pam_handle_t *pamh)
{
    return strncmp(par_item_str(pamh, PAM_SERVICE), "sshd", 4) == 0;
}
