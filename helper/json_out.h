/* Printing JSON through json-c, leaving no copy of the values behind. */
#ifndef PAR_JSON_OUT_H
#define PAR_JSON_OUT_H

#include <json-c/json.h>

/* Flags of one object per line (credential-process) and of indented output. */
#define PAR_JSON_LINE   (JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)
#define PAR_JSON_PRETTY (JSON_C_TO_STRING_PRETTY | PAR_JSON_LINE)

/* An empty object or array whose printing buffer is already as large as any
 * output of ours: json-c then never reallocates it while serializing, which
 * would leave parts of the values in freed memory. NULL when out of memory. */
json_object *par_json_new_object(void);
json_object *par_json_new_array(void);

/* Overwrites every string value in JSO's tree (object keys are kept). */
void par_json_wipe_strings(json_object *jso);

/* Writes TOP serialized with FLAGS and a newline to FD in one go (stdout's
 * buffer is flushed first and never holds it), wipes the serialized text
 * and every string of TOP, and releases TOP. 0, or -1 when nothing or only
 * part was written. */
int par_json_print(int fd, json_object *top, int flags);

#endif
