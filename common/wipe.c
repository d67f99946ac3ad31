#include <stdlib.h>
#include "wipe.h"

void par_free_secret(char *s)
{
    if (s == NULL)
        return;
    par_wipe(s, strlen(s));
    free(s);
}
