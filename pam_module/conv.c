/* The PAM conversation: one echo-off question, one-line messages. */
#include <stdio.h>
#include <string.h>
#include <security/pam_ext.h>

#include "module.h"

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

void par_code_prompt(const struct par_config *cfg, char *buf, size_t cap)
{
    size_t len = 0;
    size_t n = cfg->strategy == PAR_STRATEGY_SESSION ? cfg->n_login_environments : 1;

    buf[0] = '\0';
    len += (size_t)snprintf(buf, cap, "AWS MFA code for ");
    for (size_t i = 0; i < n && i < cfg->n_login_environments && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i > 0 ? "," : "",
                                cfg->login_environments[i]);
    if (cfg->n_login_environments == 0 && len < cap)
        len += (size_t)snprintf(buf + len, cap - len, "AWS");
    if (len < cap)
        snprintf(buf + len, cap - len, " (Enter to skip): ");
}

bool par_service_is_sshd(pam_handle_t *pamh)
{
    return strncmp(par_item_str(pamh, PAM_SERVICE), "sshd", 4) == 0;
}
