/* Printing JSON through json-c, leaving no copy of the values behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fdio.h"
#include "json_out.h"
#include "wipe.h"

/* Larger than any output: PAR_MAX_LOGIN_ENVS environments of assume with
 * every value at its longest (two 2048-byte ARNs, a 4096-byte token) come
 * to about 150 KiB. */
#define RESERVE_BYTES (256 * 1024)

/* Serializes TOP once holding only RESERVE_BYTES of filler: its buffer
 * (kept by json-c between serializations) grows to that size. The filler is
 * a number with its own text, which json-c copies as it is (a string would
 * be scanned for escapes, a hundred times slower). */
static json_object *reserve(json_object *top)
{
    char *pad = malloc(RESERVE_BYTES);
    json_object *s;
    int ok;

    if (top == NULL || pad == NULL) {
        free(pad);
        json_object_put(top);
        return NULL;
    }
    memset(pad, '0', RESERVE_BYTES - 1);
    pad[RESERVE_BYTES - 1] = '\0';
    s = json_object_new_double_s(0, pad);
    free(pad);
    if (json_object_is_type(top, json_type_array))
        ok = json_object_array_add(top, s) == 0;
    else
        ok = json_object_object_add(top, "", s) == 0;
    ok = ok && json_object_to_json_string_ext(top, JSON_C_TO_STRING_PLAIN) != NULL;
    if (json_object_is_type(top, json_type_array))
        json_object_array_del_idx(top, 0, json_object_array_length(top));
    else
        json_object_object_del(top, "");
    if (!ok) {
        json_object_put(top);
        return NULL;
    }
    return top;
}

json_object *par_json_new_object(void)
{
    return reserve(json_object_new_object());
}

json_object *par_json_new_array(void)
{
    return reserve(json_object_new_array());
}

void par_json_wipe_strings(json_object *jso)
{
    switch (json_object_get_type(jso)) {
    case json_type_string:
        /* json-c hands out its own copy of the string. */
        par_wipe((char *)json_object_get_string(jso), (size_t)json_object_get_string_len(jso));
        break;
    case json_type_array:
        for (size_t i = 0; i < json_object_array_length(jso); i++)
            par_json_wipe_strings(json_object_array_get_idx(jso, i));
        break;
    case json_type_object: {
        json_object_object_foreach(jso, key, value) {
            (void)key;
            par_json_wipe_strings(value);
        }
        break;
    }
    default:
        break;
    }
}

int par_json_print(int fd, json_object *top, int flags)
{
    size_t len = 0;
    const char *text;
    int rc = -1;

    if (top == NULL)
        return -1;
    if (fd == STDOUT_FILENO)
        fflush(stdout);
    text = json_object_to_json_string_length(top, flags, &len);
    if (text != NULL && par_write_all(fd, text, len) == 0 && par_write_all(fd, "\n", 1) == 0)
        rc = 0;
    if (text != NULL)
        par_wipe((char *)text, len);
    par_json_wipe_strings(top);
    json_object_put(top);
    return rc;
}
