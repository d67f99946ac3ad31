/*
 * Linked into the helper of the ASan/UBSan build only (mk/hardening.mk).
 * The module starts the helper with a clean environment and stderr on
 * /dev/null, so a sanitizer report would be lost: it goes to a file in
 * PAR_SAN_REPORTS instead, which tests/fuzz/run-sanitized checks.
 * ASan replaces glibc's malloc, so the helper's M_PERTURB (freed blocks
 * overwritten) is asked of ASan's allocator instead: free_fill_byte.
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
    return "log_path=" PAR_SAN_REPORTS "/helper:detect_leaks=1:abort_on_error=1:"
           "free_fill_byte=165:max_free_fill_size=1048576";
}

const char *__ubsan_default_options(void)
{
    return "log_path=" PAR_SAN_REPORTS "/helper:halt_on_error=1:print_stacktrace=1";
}
