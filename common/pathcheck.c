#include <limits.h>
#include <unistd.h>

#include "pathcheck.h"

int par_unsearchable_folder(const char *path)
{
    char prefix[PATH_MAX];

    for (size_t i = 0; path[i] != '\0' && i < sizeof(prefix) - 1; i++) {
        if (path[i] == '/') {
            prefix[i] = '/';
            prefix[i + 1] = '\0';  /* "/", then "/a/", "/a/b/": each folder on the way */
            if (access(prefix, X_OK) != 0)
                return i == 0 ? 1 : (int)i;
        }
        prefix[i] = path[i];
    }
    return 0;
}
