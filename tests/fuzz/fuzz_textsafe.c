/* The terminal text sanitiser. Property: whatever the input, the output
 * holds no byte a terminal would interpret (C0, DEL, C1 in UTF-8 form, bidi
 * controls), is valid UTF-8 (ASCII in ASCII mode), and widths add up. */
#include <locale.h>

#include "base/textsafe.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (!setlocale(LC_ALL, "C.UTF-8"))
        setlocale(LC_ALL, "en_US.UTF-8");
    return 0;
}

static size_t utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
    if (n == 0 || p[0] > 0xf4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

static void check_safe(const char *s, bool ascii)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x20 || *p == 0x7f)
            abort();
        if (ascii && *p >= 0x80)
            abort();
        size_t n = utf8_len(p);
        if (n == 0)
            abort(); /* invalid UTF-8 left in the output */
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            abort(); /* C1 control */
        if (p[0] == 0xe2 && p[1] == 0x80 &&
            ((p[2] >= 0xa8 && p[2] <= 0xae) || p[2] == 0x8e || p[2] == 0x8f))
            abort(); /* bidi marks, embeddings, overrides; line separators */
        if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
            abort(); /* bidi isolates */
        p += n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int maxcells = data[0] % 90;
    char *in = fz_str(data + 1, size - 1);
    static char out[8192], small[24];
    for (int ascii = 0; ascii < 2; ascii++) {
        int w = ts_sanitize(in, size - 1, out, sizeof(out), ascii);
        check_safe(out, ascii);
        if (w < 0 || ts_width(out) != w)
            abort();
        ts_sanitize(in, size - 1, small, sizeof(small), ascii);
        check_safe(small, ascii);
        w = ts_clip(in, maxcells, out, sizeof(out), ascii);
        check_safe(out, ascii);
        if (w < 0 || w > maxcells || ts_width(out) != w)
            abort();
        const char *line = out, *next;
        int guard = 0;
        while (*line) {
            size_t n = ts_wrap(line, maxcells ? maxcells : 1, &next);
            if ((n == 0 && next == line) || ++guard > 10000)
                abort(); /* no progress */
            line = next;
        }
    }
    free(in);
    return 0;
}
