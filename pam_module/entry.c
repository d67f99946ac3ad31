/* The five PAM entry points, the only symbols the module exports. */
#include <security/pam_modules.h>

#include "module.h"

PAM_EXTERN PAR_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
                                              const char **argv)
{
    struct par_opts opts;

    (void)flags;
    par_opts_parse(pamh, argc, argv, &opts);
    return par_capture(pamh, &opts);
}

PAM_EXTERN PAR_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc,
                                         const char **argv)
{
    /*
     * Credentials are made in the session phase, where the person is known.
     * Here the code leaves the PAM environment (sshd), or is wiped when the
     * credentials are deleted (a login that ends without a session).
     */
    (void)argc;
    (void)argv;
    if (flags & PAM_DELETE_CRED) {
        par_secret_forget(pamh, &par_code_secret);
        par_secret_forget(pamh, &par_keypass_secret);
    } else {
        par_secret_hold(pamh, &par_code_secret);
        par_secret_hold(pamh, &par_keypass_secret);
    }
    return PAM_SUCCESS;
}

PAM_EXTERN PAR_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
                                              const char **argv)
{
    struct par_opts opts;

    (void)flags;
    par_opts_parse(pamh, argc, argv, &opts);
    return par_session_open(pamh, &opts);
}

PAM_EXTERN PAR_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
                                               const char **argv)
{
    struct par_opts opts;

    (void)flags;
    par_opts_parse(pamh, argc, argv, &opts);
    return par_session_close(pamh, &opts);
}

PAM_EXTERN PAR_EXPORT int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc,
                                           const char **argv)
{
    struct par_opts opts;

    par_opts_parse(pamh, argc, argv, &opts);
    return par_chauthtok(pamh, flags, &opts);
}
