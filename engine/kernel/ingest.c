/* Kernel event ingest: attribution, rules, then the engine. */
#include "kernel/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/attribution.h"
#include "base/buf.h"
#include "core/config.h"
#include "kernel/rules.h"

struct kevent_ingest {
    struct engine *engine;
    struct rule_set *rules;
    struct attribution *attr;
    bool scanned; /* the cgroup tree is walked once, on the first local event */
    struct kevent_ingest_stats stats;
    struct buf warnings;
};

static void load_configured_rules(struct kevent_ingest *ki, const struct ynode *sec)
{
    bool defaults = true;
    char err[512];
    if (sec && yget_bool(sec, "default", &defaults, err, sizeof(err)) < 0)
        buf_printf(&ki->warnings, "%s\n", err);
    if (defaults)
        rules_load_default(ki->rules, &ki->warnings);
    const struct ynode *files = sec ? ymap_get(sec, "files") : NULL;
    for (const struct ynode *f = files && files->type == Y_SEQ ? files->child : NULL; f;
         f = f->next)
        if (f->type == Y_SCALAR &&
            rules_load_file(ki->rules, f->value, &ki->warnings, err, sizeof(err)) < 0)
            buf_printf(&ki->warnings, "%s (file skipped)\n", err);
    const struct ynode *off = sec ? ymap_get(sec, "disable") : NULL;
    for (const struct ynode *d = off && off->type == Y_SEQ ? off->child : NULL; d; d = d->next)
        if (d->type == Y_SCALAR && !rules_disable(ki->rules, d->value)) {
            yerr(d, err, sizeof(err), "disable: no rule named '%s'", d->value);
            buf_printf(&ki->warnings, "%s\n", err);
        }
}

/* Skipped rules must not go unnoticed: the first problem shows on a
 * "rules" row of the sources table (with how many more there are). */
static void report_warnings(struct kevent_ingest *ki)
{
    const char *w = ki->warnings.data;
    if (!w || !*w)
        return;
    int more = -1;
    for (const char *p = w; (p = strchr(p, '\n')); p++)
        more++;
    char msg[TEXT_LEN];
    size_t first = strcspn(w, "\n");
    if (more > 0)
        snprintf(msg, sizeof(msg), "%.*s (+%d more)", (int)(first < 200 ? first : 200), w, more);
    else
        snprintf(msg, sizeof(msg), "%.*s", (int)(first < 240 ? first : 240), w);
    engine_source_state(ki->engine, "rules", "rules", SRC_SYNCED, msg);
}

struct kevent_ingest *kevent_ingest_new(struct engine *e, const struct config *c, char *err,
                                        size_t errlen)
{
    struct kevent_ingest *ki = calloc(1, sizeof(*ki));
    if (!ki || !(ki->rules = rules_new())) {
        kevent_ingest_free(ki);
        snprintf(err, errlen, "kernel event ingest: out of memory");
        return NULL;
    }
    ki->engine = e;
    load_configured_rules(ki, c ? config_section(c, "rules") : NULL);
    report_warnings(ki);
    return ki;
}

struct kevent_ingest *kevent_ingest_new_rules(struct engine *e, const char *rule_file, char *err,
                                              size_t errlen)
{
    struct kevent_ingest *ki = kevent_ingest_new(e, NULL, err, errlen);
    if (ki && rule_file && rules_load_file(ki->rules, rule_file, &ki->warnings, err, errlen) < 0) {
        kevent_ingest_free(ki);
        return NULL;
    }
    return ki;
}

/* Created on first use: an agent source's ingest (remote events only) never
 * pays for the cgroup cache (a few MiB). */
static struct attribution *attribution(struct kevent_ingest *ki)
{
    if (!ki->attr)
        ki->attr = attr_new(ki->engine, NULL, NULL);
    return ki->attr;
}

void kevent_ingest_post(struct kevent_ingest *ki, struct kevent *ev)
{
    if (!ki || !ev)
        return;
    /* Remote (agent) and simulated events arrive attributed already. */
    bool local = !ev->node[0] && !ev->simulated && !ev->container[0] && !ev->pod[0];
    if (local && ev->cgroup_id && attribution(ki)) {
        if (!ki->scanned) {
            ki->scanned = true;
            attr_rescan(ki->attr);
        }
        attr_event(ki->attr, ev);
        if (ev->container[0] && strncmp(ev->container, "cg:", 3) != 0)
            ki->stats.attributed++;
        else if (ev->container[0])
            ki->stats.unknown_cgroup++;
    }
    if (!ev->rule[0] && rules_apply(ki->rules, ev) >= 0)
        ki->stats.rule_matches++;
    else if (ev->rule[0])
        ki->stats.rule_matches++;
    if ((unsigned)ev->kind < KEV_KIND_COUNT)
        ki->stats.posted[ev->kind]++;
    if ((unsigned)ev->severity < 3)
        ki->stats.by_severity[ev->severity]++;
    engine_kevent(ki->engine, ev);
}

void kevent_ingest_cgroup(struct kevent_ingest *ki, uint64_t cgroup_id, const char *path,
                          bool removed)
{
    if (ki && attribution(ki))
        attr_cgroup(ki->attr, cgroup_id, path, removed);
}

void kevent_ingest_free(struct kevent_ingest *ki)
{
    if (!ki)
        return;
    rules_free(ki->rules);
    attr_free(ki->attr);
    buf_free(&ki->warnings);
    free(ki);
}

const struct kevent_ingest_stats *kevent_ingest_stats(const struct kevent_ingest *ki)
{
    return &ki->stats;
}

const char *kevent_ingest_warnings(const struct kevent_ingest *ki)
{
    return ki->warnings.data ? ki->warnings.data : "";
}

struct rule_set *kevent_ingest_rules(struct kevent_ingest *ki)
{
    return ki->rules;
}

struct attribution *kevent_ingest_attribution(struct kevent_ingest *ki)
{
    return attribution(ki);
}
