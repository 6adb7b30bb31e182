/* Which lines of a copilot answer would destroy something if run: the
 * front end marks them, and nothing in Lookout ever runs them. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "base/buf.h"
#include "copilot/copilot.h"

/* Identifiers like oom_kill or pod-deleter are names, not commands. */
static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

static bool has_word(const char *line, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = line; (p = strcasestr(p, w)); p += n) {
        bool start = p == line || w[0] == '-' || !word_char(p[-1]);
        bool end = !word_char(p[n]) || w[n - 1] == '=' || w[n - 1] == ' ';
        if (start && end)
            return true;
    }
    return false;
}

static bool span_is_destructive(const char *line)
{
    static const char *const words[] = {
        "delete",   "drain",     "rm -rf",   "rm -r",        "rm -f",        "DROP",
        "TRUNCATE", "--force",   "kill",     "pkill",        "killall",      "uninstall",
        "destroy",  "terminate", "cordon",   "--replicas=0", "--replicas 0", "mkfs",
        "dd if=",   "reboot",    "shutdown", "wipe",         "DESTRUCTIVE",
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (has_word(line, words[i]))
            return true;
    return false;
}

/* In a line with `code` spans only the commands count: prose saying "the
 * error rate should drop" is not a command. */
bool copilot_line_is_destructive(const char *line)
{
    const char *tick = strchr(line, '`');
    if (!tick)
        return span_is_destructive(line);
    bool hit = false;
    struct buf code = {0};
    while (tick && !hit) {
        const char *end = strchr(tick + 1, '`');
        if (!end)
            break;
        buf_reset(&code);
        buf_append(&code, tick + 1, (size_t)(end - tick - 1));
        hit = span_is_destructive(buf_cstr(&code));
        tick = strchr(end + 1, '`');
    }
    buf_free(&code);
    return hit || strstr(line, "DESTRUCTIVE") != NULL;
}
