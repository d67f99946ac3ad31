#include <stdlib.h>
#include <string.h>
#include "tls_env.h"

/*
 * The variables through which libcurl and OpenSSL read settings from the
 * environment (SSLKEYLOGFILE writes every TLS secret to a file): the
 * helper's own requests use none of them. They are put aside at start and
 * handed back only to the command that 'exec' runs.
 */
static const char *const tls_env_names[] = {
    "SSLKEYLOGFILE", "OPENSSL_CONF", "OPENSSL_ENGINES", "OPENSSL_MODULES", "CURL_SSL_BACKEND",
    "CURL_HOME", "SSL_CERT_FILE", "SSL_CERT_DIR",
};
static char *tls_env_saved[sizeof(tls_env_names) / sizeof(tls_env_names[0])];

void par_tls_env_put_aside(void)
{
    for (size_t i = 0; i < sizeof(tls_env_names) / sizeof(tls_env_names[0]); i++) {
        const char *v = getenv(tls_env_names[i]);

        tls_env_saved[i] = v != NULL ? strdup(v) : NULL;
        unsetenv(tls_env_names[i]);
    }
}

void par_tls_env_restore(void)
{
    for (size_t i = 0; i < sizeof(tls_env_names) / sizeof(tls_env_names[0]); i++)
        if (tls_env_saved[i] != NULL)
            setenv(tls_env_names[i], tls_env_saved[i], 1);
}
