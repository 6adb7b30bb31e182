/* Theme files: the parser, then every role's colours resolved at every
 * colour depth (the fallback arithmetic sees whatever the file said). */
#include "fuzz.h"
#include "theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_str(data, size);
    struct theme t;
    char err[256];
    if (theme_parse(&t, s, "fuzz.theme", err, sizeof(err)) == 0) {
        for (int r = 0; r < ROLE_COUNT; r++)
            for (int d = DEPTH_MONO; d <= DEPTH_TRUE; d++) {
                color_resolve(t.roles[r].fg, (enum color_depth)d);
                color_resolve(t.roles[r].bg, (enum color_depth)d);
            }
    }
    free(s);
    return 0;
}
