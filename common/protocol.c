#include <stdlib.h>
#include <string.h>
#include "protocol.h"
#include "wipe.h"

static int valid_key(const char *k, size_t n)
{
    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

static int add_item(struct par_msg *msg, const char *line, size_t n)
{
    const char *eq = memchr(line, '=', n);
    size_t klen;

    if (eq == NULL || msg->n >= PAR_MSG_MAX_KEYS)
        return -1;
    klen = (size_t)(eq - line);
    if (!valid_key(line, klen))
        return -1;
    for (size_t i = 0; i < msg->n; i++)
        if (strlen(msg->key[i]) == klen && memcmp(msg->key[i], line, klen) == 0)
            return -1;
    msg->key[msg->n] = strndup(line, klen);
    msg->value[msg->n] = strndup(eq + 1, n - klen - 1);
    if (msg->key[msg->n] == NULL || msg->value[msg->n] == NULL) {
        free(msg->key[msg->n]);
        par_free_secret(msg->value[msg->n]);
        return -1;
    }
    msg->n++;
    return 0;
}

int par_msg_parse(const char *buf, size_t len, struct par_msg *msg)
{
    return par_msg_parse_max(buf, len, PAR_MSG_MAX, msg);
}

int par_msg_parse_max(const char *buf, size_t len, size_t max, struct par_msg *msg)
{
    size_t pos = 0;

    memset(msg, 0, sizeof(*msg));
    if (buf == NULL || len > max || memchr(buf, '\0', len) != NULL ||
        memchr(buf, '\r', len) != NULL)
        return -1;
    while (pos < len) {
        const char *line = buf + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n;

        if (nl == NULL)
            break;
        n = (size_t)(nl - line);
        if (n == 3 && memcmp(line, "end", 3) == 0) {
            if (pos + 4 == len)
                return 0;
            break;
        }
        if (add_item(msg, line, n) != 0)
            break;
        pos += n + 1;
    }
    par_msg_free(msg);
    return -1;
}

const char *par_msg_get(const struct par_msg *msg, const char *key)
{
    for (size_t i = 0; i < msg->n; i++)
        if (strcmp(msg->key[i], key) == 0)
            return msg->value[i];
    return NULL;
}

void par_msg_free(struct par_msg *msg)
{
    for (size_t i = 0; i < msg->n; i++) {
        free(msg->key[i]);
        par_free_secret(msg->value[i]);
    }
    memset(msg, 0, sizeof(*msg));
}

int par_msg_add(char *buf, size_t cap, size_t *len, const char *key, const char *value)
{
    size_t klen = strlen(key), vlen = strlen(value);

    if (!valid_key(key, klen) || strpbrk(value, "\r\n") != NULL)
        return -1;
    if (*len + klen + vlen + 2 >= cap)
        return -1;
    memcpy(buf + *len, key, klen);
    buf[*len + klen] = '=';
    memcpy(buf + *len + klen + 1, value, vlen);
    buf[*len + klen + 1 + vlen] = '\n';
    *len += klen + vlen + 2;
    buf[*len] = '\0';
    return 0;
}

int par_msg_end(char *buf, size_t cap, size_t *len)
{
    if (*len + 4 >= cap)
        return -1;
    memcpy(buf + *len, "end\n", 5);
    *len += 4;
    return 0;
}
