/* The environment variables that would steer libcurl's and OpenSSL's TLS. */
#ifndef PAR_TLS_ENV_H
#define PAR_TLS_ENV_H

/* Saves and unsets them (main, before any request). */
void par_tls_env_put_aside(void);
/* Puts them back, for the command 'exec' runs. */
void par_tls_env_restore(void);

#endif
