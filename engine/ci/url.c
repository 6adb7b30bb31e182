/* URLs and tokens of the CI REST APIs: the Link and X-Next-Page
 * pagination, path escaping, where a token comes from, and the origin check
 * that keeps a token from following a link to another host. Pure string
 * work, apart from the poller's state, so the tests can reach it. */
#include "ci/poll.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/http.h"
#include "base/secret.h"

bool ci_link_next(const char *link, char *out, size_t n)
{
    const char *p = link;
    while (p && (p = strchr(p, '<'))) {
        const char *end = strchr(p, '>');
        if (!end)
            return false;
        const char *params = end + 1, *stop = strchr(params, ',');
        size_t plen = stop ? (size_t)(stop - params) : strlen(params);
        char pbuf[128];
        snprintf(pbuf, sizeof(pbuf), "%.*s", (int)(plen < 127 ? plen : 127), params);
        if (strstr(pbuf, "rel=\"next\"") || strstr(pbuf, "rel=next")) {
            size_t len = (size_t)(end - p - 1);
            if (len + 1 > n)
                return false;
            memcpy(out, p + 1, len);
            out[len] = 0;
            return true;
        }
        p = end;
    }
    return false;
}

void ci_escape(const char *in, char *out, size_t n)
{
    size_t o = 0;
    for (; *in && o + 4 < n; in++) {
        unsigned char ch = (unsigned char)*in;
        if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, n - o, "%%%02X", ch);
    }
    out[o] = 0;
}

static void trim(char *s)
{
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        s[--len] = 0;
    size_t lead = strspn(s, " \t\r\n");
    memmove(s, s + lead, len - lead + 1);
}

int ci_read_token(const char *file, const char *env, char *out, size_t n, char *err, size_t errlen)
{
    out[0] = 0;
    if (!file || !*file) {
        const char *v = getenv(env);
        str_copy(out, n, v ? v : "");
        trim(out);
        return http_header_value_check(env, out, err, errlen);
    }
    char why[TEXT_LEN];
    if (secret_file_read(file, out, n, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "token_file %s", why);
        return -1;
    }
    return 0;
}

/* scheme://host[:port] must match, so a Link never sends the token away */
bool ci_same_origin(const char *url, const char *api)
{
    const char *a = strstr(api, "://");
    if (!a)
        return false;
    const char *slash = strchr(a + 3, '/');
    size_t len = slash ? (size_t)(slash - api) : strlen(api);
    return strncmp(url, api, len) == 0 && (url[len] == '/' || url[len] == 0);
}

void ci_with_page(const char *url, long page, char *out, size_t n)
{
    char base[CI_URL_LEN];
    STR_COPY(base, url);
    char *q = strchr(base, '?');
    char *p = q ? strstr(q, "page=") : NULL;
    while (p && p[-1] != '?' && p[-1] != '&')
        p = strstr(p + 1, "page=");
    if (p) {
        char *amp = strchr(p, '&');
        char rest[CI_URL_LEN] = "";
        if (amp)
            STR_COPY(rest, amp);
        *p = 0;
        snprintf(out, n, "%spage=%ld%s", base, page, rest);
    } else {
        snprintf(out, n, "%s%cpage=%ld", base, q ? '&' : '?', page);
    }
}

const char *ci_host_of(const char *api, char *out, size_t n)
{
    const char *a = strstr(api, "://");
    a = a ? a + 3 : api;
    size_t len = strcspn(a, "/");
    snprintf(out, n, "%.*s", (int)(len < n - 1 ? len : n - 1), a);
    return out;
}
