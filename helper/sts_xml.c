/*
 * STS answers parsed with expat (see sts_xml.h). Namespaces are ignored:
 * elements are matched by local name along their path from the root.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include(<expat_config.h>)
#include <expat_config.h>   /* says whether the library has XML_DTD (billion-laughs limits) */
#endif
#endif
#include <expat.h>

#include "sts_xml.h"
#include "valid.h"
#include "wipe.h"

/* Expat 2.9.0 added the 64-bit location calls and deprecated the old ones. */
#if XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 9)
#define par_xml_line(parser) XML_GetCurrentLineNumber64(parser)
#else
#define par_xml_line(parser) XML_GetCurrentLineNumber(parser)
#endif

#define MAX_DEPTH 16
#define MAX_NAME  64
#define RESULT    "*Result"   /* stands for the root's own result element */

enum root_kind { ROOT_NONE, ROOT_ASSUME_ROLE, ROOT_SESSION_TOKEN, ROOT_CALLER_IDENTITY,
                 ROOT_ERROR };

enum field_id {
    F_ACCESS_KEY_ID, F_SECRET_KEY, F_SESSION_TOKEN, F_EXPIRATION, F_ROLE_ARN, F_ROLE_ID,
    F_SOURCE_IDENTITY, F_ARN, F_ACCOUNT, F_USER_ID, F_ERROR_TYPE, F_ERROR_CODE,
    F_ERROR_MESSAGE, F_REQUEST_ID, F_COUNT
};

/* Which roots a rule applies to. */
#define ON_ASSUME_ROLE   (1u << ROOT_ASSUME_ROLE)
#define ON_SESSION_TOKEN (1u << ROOT_SESSION_TOKEN)
#define ON_CREDENTIALS   (ON_ASSUME_ROLE | ON_SESSION_TOKEN)
#define ON_IDENTITY      (1u << ROOT_CALLER_IDENTITY)
#define ON_SUCCESS       (ON_CREDENTIALS | ON_IDENTITY)
#define ON_ERROR         (1u << ROOT_ERROR)

struct field_rule {
    unsigned roots;
    const char *path[3];    /* below the root; unused entries NULL */
    enum field_id id;
    const char *label;      /* names the field in messages */
    bool required;
};

static const struct field_rule rules[] = {
    { ON_CREDENTIALS, { RESULT, "Credentials", "AccessKeyId" }, F_ACCESS_KEY_ID,
      "Credentials/AccessKeyId", true },
    { ON_CREDENTIALS, { RESULT, "Credentials", "SecretAccessKey" }, F_SECRET_KEY,
      "Credentials/SecretAccessKey", true },
    { ON_CREDENTIALS, { RESULT, "Credentials", "SessionToken" }, F_SESSION_TOKEN,
      "Credentials/SessionToken", true },
    { ON_CREDENTIALS, { RESULT, "Credentials", "Expiration" }, F_EXPIRATION,
      "Credentials/Expiration", true },
    { ON_ASSUME_ROLE, { RESULT, "AssumedRoleUser", "Arn" }, F_ROLE_ARN,
      "AssumedRoleUser/Arn", true },
    { ON_ASSUME_ROLE, { RESULT, "AssumedRoleUser", "AssumedRoleId" }, F_ROLE_ID,
      "AssumedRoleUser/AssumedRoleId", true },
    { ON_ASSUME_ROLE, { RESULT, "SourceIdentity", NULL }, F_SOURCE_IDENTITY,
      "SourceIdentity", false },
    { ON_IDENTITY, { RESULT, "Arn", NULL }, F_ARN, "Arn", true },
    { ON_IDENTITY, { RESULT, "Account", NULL }, F_ACCOUNT, "Account", true },
    { ON_IDENTITY, { RESULT, "UserId", NULL }, F_USER_ID, "UserId", true },
    { ON_SUCCESS, { "ResponseMetadata", "RequestId", NULL }, F_REQUEST_ID,
      "ResponseMetadata/RequestId", true },
    { ON_ERROR, { "Error", "Type", NULL }, F_ERROR_TYPE, "Error/Type", false },
    { ON_ERROR, { "Error", "Code", NULL }, F_ERROR_CODE, "Error/Code", true },
    /* Optional: an error without a message still says what went wrong. */
    { ON_ERROR, { "Error", "Message", NULL }, F_ERROR_MESSAGE, "Error/Message", false },
    { ON_ERROR, { "RequestId", NULL, NULL }, F_REQUEST_ID, "RequestId", true },
};
#define N_RULES (sizeof(rules) / sizeof(rules[0]))

struct state {
    XML_Parser parser;
    struct sts_xml *out;
    enum root_kind root;
    int depth;                          /* of the current element; root = 1 */
    char names[MAX_DEPTH][MAX_NAME + 1];
    const struct field_rule *active;    /* field whose text is being collected */
    int active_depth;
    size_t len;
    bool pending_space;
    unsigned seen;                      /* bit per field_id */
    bool failed;
    char why[128];
};

/* ---- memory: every block expat frees is wiped (it held the answer's text) ---- */

union block_head {
    size_t size;
    max_align_t align;
};

static void *wiping_malloc(size_t size)
{
    union block_head *h;

    if (size > SIZE_MAX - sizeof(*h) || (h = malloc(sizeof(*h) + size)) == NULL)
        return NULL;
    h->size = size;
    return h + 1;
}

static void wiping_free(void *p)
{
    union block_head *h;

    if (p == NULL)
        return;
    h = (union block_head *)p - 1;
    par_wipe(h, sizeof(*h) + h->size);
    free(h);
}

static void *wiping_realloc(void *p, size_t size)
{
    void *np;
    size_t old;

    if (p == NULL)
        return wiping_malloc(size);
    old = ((union block_head *)p - 1)->size;
    if ((np = wiping_malloc(size)) == NULL)
        return NULL;
    memcpy(np, p, old < size ? old : size);
    wiping_free(p);
    return np;
}

static const XML_Memory_Handling_Suite wiping_memory = {
    wiping_malloc, wiping_realloc, wiping_free
};

/* ---- fields ---- */

/* The buffer a field is stored in, and its capacity without the NUL. */
static char *field_buffer(struct sts_xml *x, enum field_id id, size_t *cap)
{
#define FIELD(member) (*cap = sizeof(x->member) - 1, x->member)
    switch (id) {
    case F_ACCESS_KEY_ID:   return FIELD(access_key_id);
    case F_SECRET_KEY:      return FIELD(secret_access_key);
    case F_EXPIRATION:      return FIELD(expiration);
    case F_ROLE_ARN:        return FIELD(assumed_role_arn);
    case F_ROLE_ID:         return FIELD(assumed_role_id);
    case F_SOURCE_IDENTITY: return FIELD(source_identity);
    case F_ARN:             return FIELD(arn);
    case F_ACCOUNT:         return FIELD(account);
    case F_USER_ID:         return FIELD(user_id);
    case F_ERROR_TYPE:      return FIELD(error_type);
    case F_ERROR_CODE:      return FIELD(error_code);
    case F_ERROR_MESSAGE:   return FIELD(error_message);
    case F_REQUEST_ID:      return FIELD(request_id);
    case F_SESSION_TOKEN:
        *cap = PAR_MAX_SESSION_TOKEN;
        if (x->session_token == NULL)
            x->session_token = calloc(1, PAR_MAX_SESSION_TOKEN + 1);
        return x->session_token;
    case F_COUNT:
        break;
    }
#undef FIELD
    *cap = 0;
    return NULL;
}

static bool all_of(const char *s, size_t min, size_t max, const char *extra)
{
    size_t n = strlen(s);

    if (n < min || n > max)
        return false;
    for (; *s != '\0'; s++) {
        char c = *s;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              (extra != NULL && strchr(extra, c) != NULL)))
            return false;
    }
    return true;
}

/* Folded to one line by the collector; here only stray control bytes remain to refuse. */
static bool message_ok(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static bool field_valid(enum field_id id, const char *v)
{
    switch (id) {
    case F_ACCESS_KEY_ID:   return par_valid_access_key_id(v);
    case F_SECRET_KEY:      return par_valid_secret_key(v);
    case F_SESSION_TOKEN:   return par_valid_session_token(v);
    case F_EXPIRATION:      return par_valid_iso8601(v);
    case F_ROLE_ARN:
    case F_ARN:             return par_valid_arn(v);
    case F_ROLE_ID:
    case F_USER_ID:         return all_of(v, 1, 256, ":_+=,.@-");
    case F_SOURCE_IDENTITY: return par_valid_session_name(v);
    case F_ACCOUNT:         return all_of(v, 12, 12, NULL) && strspn(v, "0123456789") == 12;
    case F_ERROR_TYPE:      return all_of(v, 1, 15, NULL);
    case F_ERROR_CODE:      return all_of(v, 1, 64, "._-");
    case F_ERROR_MESSAGE:   return message_ok(v);
    case F_REQUEST_ID:      return par_valid_request_id(v);
    case F_COUNT:           break;
    }
    return false;
}

/* ---- expat handlers ---- */

static void fail(struct state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct state *st, const char *fmt, ...)
{
    va_list ap;

    if (st->failed)
        return;
    st->failed = true;
    va_start(ap, fmt);
    vsnprintf(st->why, sizeof(st->why), fmt, ap);
    va_end(ap);
    XML_StopParser(st->parser, XML_FALSE);
}

static const char *local_name(const char *name)
{
    const char *colon = strrchr(name, ':');

    return colon != NULL ? colon + 1 : name;
}

static enum root_kind root_of(const char *name)
{
    if (strcmp(name, "AssumeRoleResponse") == 0)
        return ROOT_ASSUME_ROLE;
    if (strcmp(name, "GetSessionTokenResponse") == 0)
        return ROOT_SESSION_TOKEN;
    if (strcmp(name, "GetCallerIdentityResponse") == 0)
        return ROOT_CALLER_IDENTITY;
    if (strcmp(name, "ErrorResponse") == 0)
        return ROOT_ERROR;
    return ROOT_NONE;
}

static const char *result_name(enum root_kind root)
{
    switch (root) {
    case ROOT_ASSUME_ROLE:     return "AssumeRoleResult";
    case ROOT_SESSION_TOKEN:   return "GetSessionTokenResult";
    case ROOT_CALLER_IDENTITY: return "GetCallerIdentityResult";
    default:                   return "";
    }
}

/* The rule for the element path names[1..depth-1], if any. */
static const struct field_rule *rule_for_path(const struct state *st)
{
    for (size_t r = 0; r < N_RULES; r++) {
        const struct field_rule *rule = &rules[r];
        int n = 0;

        if (!(rule->roots & (1u << st->root)))
            continue;
        while (n < 3 && rule->path[n] != NULL)
            n++;
        if (n != st->depth - 1)
            continue;
        bool match = true;
        for (int i = 0; i < n && match; i++) {
            const char *want = strcmp(rule->path[i], RESULT) == 0 ? result_name(st->root)
                                                                  : rule->path[i];
            match = strcmp(st->names[i + 1], want) == 0;
        }
        if (match)
            return rule;
    }
    return NULL;
}

static void start_field(struct state *st, const struct field_rule *rule)
{
    size_t cap;
    char *buf;

    if (st->seen & (1u << rule->id)) {
        fail(st, "STS answer repeats %s", rule->label);
        return;
    }
    if ((buf = field_buffer(st->out, rule->id, &cap)) == NULL) {
        fail(st, "out of memory reading the STS answer");
        return;
    }
    buf[0] = '\0';
    st->active = rule;
    st->active_depth = st->depth;
    st->len = 0;
    st->pending_space = false;
}

static void XMLCALL on_start(void *data, const XML_Char *name, const XML_Char **attrs)
{
    struct state *st = data;
    const char *local = local_name(name);

    (void)attrs;
    if (st->failed)
        return;
    if (st->active != NULL) {
        fail(st, "unexpected element inside %s in the STS answer", st->active->label);
        return;
    }
    if (++st->depth > MAX_DEPTH) {
        fail(st, "STS answer nests elements deeper than %d", MAX_DEPTH);
        return;
    }
    if (strlen(local) <= MAX_NAME)
        memcpy(st->names[st->depth - 1], local, strlen(local) + 1);
    else
        st->names[st->depth - 1][0] = '\0';
    if (st->depth == 1) {
        if ((st->root = root_of(local)) == ROOT_NONE)
            fail(st, "unexpected answer: not an STS response");
        return;
    }
    const struct field_rule *rule = rule_for_path(st);
    if (rule != NULL)
        start_field(st, rule);
}

static void XMLCALL on_end(void *data, const XML_Char *name)
{
    struct state *st = data;

    (void)name;
    if (st->failed)
        return;
    if (st->active != NULL && st->depth == st->active_depth) {
        st->seen |= 1u << st->active->id;
        st->active = NULL;
    }
    st->depth--;
}

static void append_byte(struct state *st, char c)
{
    size_t cap;
    char *buf = field_buffer(st->out, st->active->id, &cap);

    if (st->len >= cap) {
        fail(st, "STS answer field too long: %s", st->active->label);
        return;
    }
    buf[st->len++] = c;
    buf[st->len] = '\0';
}

/* Leading and trailing whitespace dropped, inner runs folded to one space. */
static void XMLCALL on_text(void *data, const XML_Char *s, int len)
{
    struct state *st = data;

    for (int i = 0; i < len && !st->failed && st->active != NULL; i++) {
        char c = s[i];

        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            st->pending_space = st->len > 0;
            continue;
        }
        if (st->pending_space)
            append_byte(st, ' ');
        st->pending_space = false;
        if (!st->failed)
            append_byte(st, c);
    }
}

static void XMLCALL on_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    fail(data, "STS answer has a DOCTYPE, which is never accepted");
}

static void XMLCALL on_entity_decl(void *data, const XML_Char *name, int is_param,
                                   const XML_Char *value, int value_len, const XML_Char *base,
                                   const XML_Char *sysid, const XML_Char *pubid,
                                   const XML_Char *notation)
{
    (void)name;
    (void)is_param;
    (void)value;
    (void)value_len;
    (void)base;
    (void)sysid;
    (void)pubid;
    (void)notation;
    fail(data, "STS answer declares entities, which is never accepted");
}

static int XMLCALL on_external_entity(XML_Parser parser, const XML_Char *context,
                                      const XML_Char *base, const XML_Char *sysid,
                                      const XML_Char *pubid)
{
    (void)parser;
    (void)context;
    (void)base;
    (void)sysid;
    (void)pubid;
    return XML_STATUS_ERROR;
}

static XML_Parser new_parser(struct state *st)
{
    XML_Parser p = XML_ParserCreate_MM(NULL, &wiping_memory, NULL);

    if (p == NULL)
        return NULL;
    XML_SetUserData(p, st);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    XML_SetStartDoctypeDeclHandler(p, on_doctype);
    XML_SetEntityDeclHandler(p, on_entity_decl);
    XML_SetExternalEntityRefHandler(p, on_external_entity);
    XML_SetParamEntityParsing(p, XML_PARAM_ENTITY_PARSING_NEVER);
#if (defined(XML_DTD) || (defined(XML_GE) && XML_GE == 1)) && \
    (XML_MAJOR_VERSION > 2 || (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4))
    XML_SetBillionLaughsAttackProtectionMaximumAmplification(p, 10.0f);
    XML_SetBillionLaughsAttackProtectionActivationThreshold(p, 64 * 1024);
#endif
    return p;
}

/* ---- after parsing ---- */

static int check_fields(struct state *st)
{
    for (size_t r = 0; r < N_RULES; r++) {
        const struct field_rule *rule = &rules[r];
        size_t cap;

        if (!(rule->roots & (1u << st->root)))
            continue;
        if (!(st->seen & (1u << rule->id))) {
            if (!rule->required)
                continue;
            snprintf(st->why, sizeof(st->why), "STS answer has no %s", rule->label);
            return -1;
        }
        if (!field_valid(rule->id, field_buffer(st->out, rule->id, &cap))) {
            snprintf(st->why, sizeof(st->why), "STS answer has an invalid %s", rule->label);
            return -1;
        }
    }
    return 0;
}

static enum sts_xml_kind kind_of(enum root_kind root)
{
    switch (root) {
    case ROOT_ASSUME_ROLE:
    case ROOT_SESSION_TOKEN:   return STS_XML_CREDENTIALS;
    case ROOT_CALLER_IDENTITY: return STS_XML_CALLER_IDENTITY;
    case ROOT_ERROR:           return STS_XML_ERROR;
    default:                   return STS_XML_NONE;
    }
}

static int parse(struct state *st, const char *body, size_t len)
{
    if (len == 0) {
        snprintf(st->why, sizeof(st->why), "empty STS answer");
        return -1;
    }
    if (len > PAR_STS_XML_MAX) {
        snprintf(st->why, sizeof(st->why), "STS answer larger than %d bytes", PAR_STS_XML_MAX);
        return -1;
    }
    if ((st->parser = new_parser(st)) == NULL) {
        snprintf(st->why, sizeof(st->why), "out of memory reading the STS answer");
        return -1;
    }
    if (XML_Parse(st->parser, body, (int)len, XML_TRUE) != XML_STATUS_OK && !st->failed) {
        enum XML_Error e = XML_GetErrorCode(st->parser);
        snprintf(st->why, sizeof(st->why), "STS answer is not well-formed XML (line %lu: %s)",
                 (unsigned long)par_xml_line(st->parser), XML_ErrorString(e));
        st->failed = true;
    }
    XML_ParserFree(st->parser);
    st->parser = NULL;
    if (st->failed)
        return -1;
    return check_fields(st);
}

int sts_xml_parse(const char *body, size_t len, struct sts_xml *out, char *why, size_t whylen)
{
    struct state *st;
    int rc;

    if (out == NULL)
        return -1;
    memset(out, 0, sizeof(*out));
    if ((st = calloc(1, sizeof(*st))) == NULL) {
        if (why != NULL && whylen > 0)
            snprintf(why, whylen, "out of memory reading the STS answer");
        return -1;
    }
    st->out = out;
    rc = body != NULL ? parse(st, body, len) : -1;
    if (rc == 0) {
        out->kind = kind_of(st->root);
    } else {
        if (body == NULL)
            snprintf(st->why, sizeof(st->why), "empty STS answer");
        sts_xml_free(out);
    }
    if (why != NULL && whylen > 0)
        snprintf(why, whylen, "%s", rc == 0 ? "" : st->why);
    free(st);
    return rc;
}

void sts_xml_free(struct sts_xml *x)
{
    if (x == NULL)
        return;
    if (x->session_token != NULL) {
        par_wipe(x->session_token, PAR_MAX_SESSION_TOKEN + 1);
        free(x->session_token);
    }
    par_wipe(x, sizeof(*x));
}
