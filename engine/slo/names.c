/* SLO ids from what people type; see names.h. */
#include "slo/names.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/suggest.h"
#include "slo/slo.h"

/* `sloth_id="x"`, `{sloth_id="x"}`, `sloth_slo='x'` or `"x"`: the x. The
 * label forms come from copying an alert's labels out of Alertmanager. */
static void strip_label(const char *in, char *out, size_t outlen)
{
    static const char *const labels[] = {"sloth_id", "sloth_slo", "slo", NULL};
    const char *p = in;
    size_t n = strlen(p);
    if (n >= 2 && p[0] == '{' && p[n - 1] == '}')
        p++, n -= 2;
    for (int i = 0; labels[i]; i++) {
        size_t l = strlen(labels[i]);
        if (n > l && strncmp(p, labels[i], l) == 0 && p[l] == '=') {
            p += l + 1, n -= l + 1;
            break;
        }
    }
    if (n >= 2 && (p[0] == '"' || p[0] == '\'') && p[n - 1] == p[0])
        p++, n -= 2;
    snprintf(out, outlen, "%.*s", (int)n, p);
}

/* The id without its "<service>-" prefix: the name written in a Sloth file. */
static const char *bare_name(const struct slo_info *in)
{
    const char *svc = in->def->service;
    size_t l = svc ? strlen(svc) : 0;
    if (l && strncmp(in->name, svc, l) == 0 && in->name[l] == '-' && in->name[l + 1])
        return in->name + l + 1;
    return NULL;
}

static void unknown(struct engine *e, const char *want, char *err, size_t errlen)
{
    struct suggest sg;
    struct buf known = {0};
    suggest_init(&sg, want);
    int n = slo_count(e);
    for (int i = 0; i < n; i++) {
        struct slo_info in;
        if (!slo_info_at(e, i, &in))
            continue;
        suggest_offer(&sg, in.name);
        const char *b = bare_name(&in);
        if (b)
            suggest_offer(&sg, b);
        if (i < 12)
            buf_printf(&known, "%s%s", i ? ", " : "", in.name);
    }
    if (n > 12)
        buf_printf(&known, " and %d more", n - 12);
    if (sg.best)
        snprintf(err, errlen, "unknown SLO '%.100s': did you mean %.100s? (known: %s)", want,
                 sg.best, n ? buf_cstr(&known) : "none");
    else
        snprintf(err, errlen, "unknown SLO '%.100s' (known: %s)", want,
                 n ? buf_cstr(&known) : "none");
    buf_free(&known);
}

int slo_resolve_name(struct engine *e, const char *want, char *id, size_t idlen, char *err,
                     size_t errlen)
{
    char name[200];
    strip_label(want, name, sizeof(name));
    const char *found = NULL, *second = NULL;
    int n = slo_count(e), matches = 0;
    for (int i = 0; i < n; i++) {
        struct slo_info in;
        if (slo_info_at(e, i, &in) && strcmp(in.name, name) == 0) {
            snprintf(id, idlen, "%s", in.name);
            return 0;
        }
    }
    for (int i = 0; i < n; i++) {
        struct slo_info in;
        const char *b = slo_info_at(e, i, &in) ? bare_name(&in) : NULL;
        if (b && strcmp(b, name) == 0) {
            matches++;
            if (found)
                second = second ? second : in.name;
            else
                found = in.name;
        }
    }
    if (found && second) {
        snprintf(err, errlen, "SLO name '%.100s' is ambiguous: %.100s, %.100s%s: give the full id",
                 name, found, second, matches > 2 ? ", ..." : "");
        return -1;
    }
    if (found) {
        snprintf(id, idlen, "%s", found);
        return 0;
    }
    unknown(e, name, err, errlen);
    return -1;
}
