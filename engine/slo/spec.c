/* Sloth, OpenSLO and config SLO definitions; see slo/spec.h. */
#include "slo/spec.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "slo/math.h"
#include "slo/prometheus.h"

/* A new item for the SLO defined at node n, in the given spec format; NULL
 * with the error set when out of memory. */
static struct slo_spec_item *add_item(struct slo_spec_set *set, const struct ynode *n,
                                      const char *format, char *err, size_t errlen)
{
    if (set->n == set->cap) {
        int cap = set->cap ? set->cap * 2 : 8;
        struct slo_spec_item *v = realloc(set->items, (size_t)cap * sizeof(*v));
        if (!v) {
            yerr(n, err, errlen, "out of memory");
            return NULL;
        }
        set->items = v;
        set->cap = cap;
    }
    struct slo_spec_item *it = &set->items[set->n++];
    memset(it, 0, sizeof(*it));
    it->period_ms = 30 * MS_DAY;
    snprintf(it->origin, sizeof(it->origin), "%s:%d", n->file ? n->file : "?", n->line);
    STR_COPY(it->format, format);
    return it;
}

void slo_spec_free(struct slo_spec_set *set)
{
    free(set->items);
    memset(set, 0, sizeof(*set));
}

void slo_spec_to_def(const struct slo_spec_item *it, struct slo_def *d)
{
    memset(d, 0, sizeof(*d));
    d->name = it->name;
    d->service = it->service;
    d->description = it->description;
    d->objective = it->objective;
    d->period_ms = it->period_ms;
    d->period_kind = it->period_kind;
    d->errors_series = it->errors_series[0] ? it->errors_series : NULL;
    d->total_series = it->total_series[0] ? it->total_series : NULL;
    d->error_query = it->error_query[0] ? it->error_query : NULL;
    d->total_query = it->total_query[0] ? it->total_query : NULL;
    d->policy = it->has_policy ? &it->policy : NULL;
}

/* A required string. */
static int need_str(const struct ynode *m, const char *key, char *out, size_t outlen, char *err,
                    size_t errlen)
{
    int rc = yget_str(m, key, out, outlen, err, errlen);
    if (rc < 0)
        return -1;
    if (rc == 0 || !out[0])
        return yerr(m, err, errlen, "%s is required", key);
    if (strlen(out) >= outlen - 1)
        return yerr(ymap_get(m, key), err, errlen, "%s is too long (max %zu bytes)", key,
                    outlen - 2);
    return 0;
}

static int objective_of(const struct ynode *m, const char *key, bool percent, double *out,
                        char *err, size_t errlen)
{
    double v;
    int rc = yget_double(m, key, &v, err, errlen);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return yerr(m, err, errlen, "%s is required", key);
    if (percent)
        v /= 100.0;
    if (!(v > 0 && v < 1))
        return yerr(ymap_get(m, key), err, errlen, "%s must be between 0 and %s (exclusive)", key,
                    percent ? "100" : "1");
    *out = v;
    return 0;
}

/* ---- Prometheus queries: refused here rather than never asked ---- */

/* A query template of m[key] Lookout can ask per window (see
 * prom_template_check); the error names the query's line. */
static int check_query(const struct ynode *m, const char *key, const char *q, char *err,
                       size_t errlen)
{
    char why[160];
    if (prom_template_check(q, why, sizeof(why)) == 0)
        return 0;
    const struct ynode *at = ymap_get(m, key);
    return yerr(at ? at : m, err, errlen, "%s: %s", key, why);
}

/* Whether every query the SLO sends fits what the source sends: each
 * window's ratio query (its policy's windows and the period; the burn-down
 * range query expands one half only, so it fits when these do). Run once
 * the policy is final: a window name longer than {{.window}} makes a
 * query longer than its template. */
static int check_fits(const struct ynode *at, const struct slo_spec_item *it, char *err,
                      size_t errlen)
{
    if (!it->error_query[0])
        return 0;
    struct slo_policy def;
    const struct slo_policy *pol = it->has_policy ? &it->policy : &def;
    if (!it->has_policy)
        slo_policy_default(&def, it->period_ms);
    int64_t w[SLO_WINDOWS];
    int n = slo_policy_windows(pol, w, SLO_WINDOWS - 1);
    w[n++] = it->period_ms;
    char *q = malloc(PROM_QUERY_MAX), win[24];
    bool fit = q != NULL;
    for (int i = 0; i < n && fit; i++) {
        slo_format_window(w[i], win, sizeof(win));
        /* a calendar period is asked as the seconds elapsed: at most a
         * 31-day month or a week, less one second */
        if (i == n - 1 && it->period_kind != SLO_ROLLING)
            snprintf(
                win, sizeof(win), "%llds",
                (long long)((it->period_kind == SLO_CALENDAR_MONTH ? 31 : 7) * MS_DAY / 1000 - 1));
        fit = prom_ratio_query(it->error_query, it->total_query, win, q, PROM_QUERY_MAX);
    }
    free(q);
    if (fit)
        return 0;
    return yerr(at, err, errlen,
                "the error and total queries are too long: the ratio query for window %s must "
                "fit in %d bytes",
                win, PROM_QUERY_MAX - 1);
}

/* ---- Sloth prometheus/v1 ---- */

static int sloth_slo(struct slo_spec_set *set, const char *service, const struct ynode *s,
                     char *err, size_t errlen)
{
    static const char *const keys[] = {"name",     "objective", "description", "sli",
                                       "alerting", "labels",    NULL};
    if (s->type != Y_MAP)
        return yerr(s, err, errlen, "slos[]: expected a mapping");
    if (ycheck_keys(s, keys, err, errlen) < 0)
        return -1;
    struct slo_spec_item *it = add_item(set, s, "sloth", err, errlen);
    if (!it)
        return -1;
    char name[80];
    if (need_str(s, "name", name, sizeof(name), err, errlen) < 0)
        return -1;
    /* Sloth's SLO id: <service>-<name> */
    snprintf(it->name, sizeof(it->name), "%.40s-%.54s", service, name);
    STR_COPY(it->service, service);
    if (yget_str(s, "description", it->description, sizeof(it->description), err, errlen) < 0)
        return -1;
    if (objective_of(s, "objective", true, &it->objective, err, errlen) < 0)
        return -1;
    const struct ynode *sli = ymap_get(s, "sli");
    if (!sli || sli->type != Y_MAP)
        return yerr(sli ? sli : s, err, errlen, "sli: expected a mapping with events or raw");
    const struct ynode *ev = ymap_get(sli, "events"), *raw = ymap_get(sli, "raw");
    if (ev) {
        static const char *const evk[] = {"error_query", "total_query", NULL};
        if (ycheck_keys(ev, evk, err, errlen) < 0 ||
            need_str(ev, "error_query", it->error_query, sizeof(it->error_query), err, errlen) <
                0 ||
            need_str(ev, "total_query", it->total_query, sizeof(it->total_query), err, errlen) <
                0 ||
            check_query(ev, "error_query", it->error_query, err, errlen) < 0 ||
            check_query(ev, "total_query", it->total_query, err, errlen) < 0)
            return -1;
    } else if (raw) {
        static const char *const rk[] = {"error_ratio_query", NULL};
        if (ycheck_keys(raw, rk, err, errlen) < 0 ||
            need_str(raw, "error_ratio_query", it->error_query, sizeof(it->error_query), err,
                     errlen) < 0 ||
            check_query(raw, "error_ratio_query", it->error_query, err, errlen) < 0)
            return -1;
        STR_COPY(it->total_query, "1"); /* the query already is a ratio */
    } else if (ymap_get(sli, "plugin")) {
        return yerr(ymap_get(sli, "plugin"), err, errlen,
                    "sli.plugin is not supported: use sli.events or sli.raw");
    } else {
        return yerr(sli, err, errlen, "sli needs events (error_query, total_query) or raw");
    }
    slo_policy_default(&it->policy, it->period_ms);
    const struct ynode *al = ymap_get(s, "alerting");
    if (al && al->type == Y_MAP) {
        /* Sloth's page/ticket alerts can be disabled one by one */
        static const char *const sev[] = {"page_alert", "ticket_alert"};
        for (int k = 0; k < 2; k++) {
            const struct ynode *a = ymap_get(al, sev[k]);
            bool disabled = false;
            if (a && a->type == Y_MAP && yget_bool(a, "disable", &disabled, err, errlen) < 0)
                return -1;
            if (!disabled)
                continue;
            enum alert_state drop = k == 0 ? ALERT_PAGE : ALERT_TICKET;
            int w = 0;
            for (int i = 0; i < it->policy.npairs; i++)
                if (it->policy.pairs[i].severity != drop)
                    it->policy.pairs[w++] = it->policy.pairs[i];
            it->policy.npairs = w;
            it->has_policy = true;
        }
        if (it->has_policy && it->policy.npairs == 0) {
            /* nothing alerts; keep one pair that can never fire so the math stays defined */
            slo_policy_default(&it->policy, it->period_ms);
            for (int i = 0; i < it->policy.npairs; i++)
                it->policy.pairs[i].factor = INFINITY;
        }
    }
    return check_fits(sli, it, err, errlen);
}

static int load_sloth(struct slo_spec_set *set, const struct ynode *root, char *err, size_t errlen)
{
    const struct ynode *spec = root;
    if (ymap_get(root, "apiVersion")) /* the Kubernetes CRD form */
        spec = ymap_get(root, "spec");
    if (!spec || spec->type != Y_MAP)
        return yerr(root, err, errlen, "sloth: spec: expected a mapping");
    char service[NAME_LEN];
    if (need_str(spec, "service", service, sizeof(service), err, errlen) < 0)
        return -1;
    const struct ynode *slos = ymap_get(spec, "slos");
    if (!slos || slos->type != Y_SEQ || !slos->child)
        return yerr(slos ? slos : spec, err, errlen, "slos: expected a non-empty list");
    for (const struct ynode *s = slos->child; s; s = s->next)
        if (sloth_slo(set, service, s, err, errlen) < 0)
            return -1;
    return 0;
}

/* ---- OpenSLO v1 ---- */

static bool is_selector(const char *q)
{
    const char *p = q;
    while (*p == ' ')
        p++;
    if (!(isalpha((unsigned char)*p) || *p == '_' || *p == ':' || *p == '{'))
        return false;
    while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
        p++;
    if (*p == '{') {
        const char *close = strrchr(p, '}');
        if (!close)
            return false;
        p = close + 1;
    }
    while (*p == ' ')
        p++;
    return *p == 0;
}

/* A counter query as a per-window rate: kept when it has {{.window}}. */
static int counter_rate(const struct ynode *at, const char *q, char *out, size_t outlen, char *err,
                        size_t errlen)
{
    int n;
    if (strstr(q, ".window"))
        n = snprintf(out, outlen, "%s", q);
    else if (is_selector(q))
        n = snprintf(out, outlen, "sum(rate(%s[{{.window}}]))", q);
    else
        return yerr(at, err, errlen,
                    "query must be a series selector or contain {{.window}}: %.80s", q);
    if (n < 0 || (size_t)n >= outlen)
        return yerr(at, err, errlen, "query too long");
    char why[160];
    if (prom_template_check(out, why, sizeof(why)) < 0)
        return yerr(at, err, errlen, "query: %s", why);
    return 0;
}

static int metric_query(const struct ynode *m, const char *key, char *out, size_t outlen, char *err,
                        size_t errlen)
{
    const struct ynode *n = ymap_get(m, key);
    const struct ynode *src = n ? ymap_get(n, "metricSource") : NULL;
    const struct ynode *spec = src ? ymap_get(src, "spec") : NULL;
    if (!spec || spec->type != Y_MAP)
        return yerr(n ? n : m, err, errlen, "%s.metricSource.spec is required", key);
    char type[64] = "Prometheus";
    yget_str(src, "type", type, sizeof(type), err, errlen);
    if (strcasecmp(type, "prometheus") && strcasecmp(type, "thanos") && strcasecmp(type, "mimir") &&
        strcasecmp(type, "victoriametrics") && strcasecmp(type, "cortex"))
        return yerr(src, err, errlen, "metricSource type %s is not supported (Prometheus API only)",
                    type);
    char q[2048] = "";
    if (yget_str(spec, "query", q, sizeof(q), err, errlen) < 0 ||
        (!q[0] && yget_str(spec, "promql", q, sizeof(q), err, errlen) < 0))
        return -1;
    if (!q[0])
        return yerr(spec, err, errlen, "%s: metricSource.spec.query is required", key);
    return counter_rate(spec, q, out, outlen, err, errlen);
}

static const struct ynode *find_sli(const struct ynode *docs, const char *name)
{
    for (const struct ynode *d = docs->child; d; d = d->next) {
        const struct ynode *r = ytree_root(d);
        const struct ynode *kind = r ? ymap_get(r, "kind") : NULL;
        const struct ynode *md = r ? ymap_get(r, "metadata") : NULL;
        const struct ynode *nm = md ? ymap_get(md, "name") : NULL;
        if (kind && kind->value && strcmp(kind->value, "SLI") == 0 && nm && nm->value &&
            strcmp(nm->value, name) == 0)
            return r;
    }
    return NULL;
}

static int openslo_period(const struct ynode *spec, struct slo_spec_item *it, char *err,
                          size_t errlen)
{
    const struct ynode *tw = ymap_get(spec, "timeWindow");
    if (!tw)
        return 0;
    if (tw->type != Y_SEQ || yseq_len(tw) != 1)
        return yerr(tw, err, errlen, "timeWindow: expected a list with exactly one entry");
    const struct ynode *w = tw->child;
    char dur[32] = "";
    bool rolling = true;
    if (need_str(w, "duration", dur, sizeof(dur), err, errlen) < 0 ||
        yget_bool(w, "isRolling", &rolling, err, errlen) < 0)
        return -1;
    /* OpenSLO: m is minutes, M is months */
    size_t len = strlen(dur);
    if (len && dur[len - 1] == 'M') {
        if (rolling || strcmp(dur, "1M"))
            return yerr(w, err, errlen, "duration %s: only a calendar 1M month is supported", dur);
        it->period_kind = SLO_CALENDAR_MONTH;
        it->period_ms = 30 * MS_DAY;
        return 0;
    }
    if (len && (dur[len - 1] == 'Q' || dur[len - 1] == 'Y'))
        return yerr(w, err, errlen, "duration %s: quarters and years are not supported", dur);
    int64_t ms;
    if (parse_duration_ms(dur, &ms) < 0 || ms < MS_HOUR)
        return yerr(w, err, errlen, "bad duration %s (want e.g. 28d, 30d, 1w, 1M)", dur);
    if (!rolling) {
        if (ms != 7 * MS_DAY)
            return yerr(w, err, errlen, "calendar windows must be 1w or 1M, got %s", dur);
        it->period_kind = SLO_CALENDAR_WEEK;
    }
    it->period_ms = ms;
    return 0;
}

static int openslo_slo(struct slo_spec_set *set, const struct ynode *docs, const struct ynode *r,
                       char *err, size_t errlen)
{
    const struct ynode *md = ymap_get(r, "metadata"), *spec = ymap_get(r, "spec");
    if (!md || !spec || spec->type != Y_MAP)
        return yerr(r, err, errlen, "OpenSLO SLO needs metadata and spec");
    struct slo_spec_item *it = add_item(set, r, "openslo", err, errlen);
    if (!it)
        return -1;
    if (need_str(md, "name", it->name, sizeof(it->name), err, errlen) < 0 ||
        yget_str(spec, "service", it->service, sizeof(it->service), err, errlen) < 0 ||
        yget_str(spec, "description", it->description, sizeof(it->description), err, errlen) < 0)
        return -1;
    char method[32] = "Occurrences";
    if (yget_str(spec, "budgetingMethod", method, sizeof(method), err, errlen) < 0)
        return -1;
    if (strcmp(method, "Occurrences"))
        return yerr(ymap_get(spec, "budgetingMethod"), err, errlen,
                    "budgetingMethod %s is not supported (Occurrences only)", method);
    if (openslo_period(spec, it, err, errlen) < 0)
        return -1;
    const struct ynode *objs = ymap_get(spec, "objectives");
    if (!objs || objs->type != Y_SEQ || !objs->child)
        return yerr(objs ? objs : spec, err, errlen, "objectives: expected a non-empty list");
    if (yseq_len(objs) > 1)
        return yerr(objs, err, errlen, "one objective per SLO is supported, found %d",
                    yseq_len(objs));
    const struct ynode *o = objs->child;
    if (ymap_get(o, "targetPercent")) {
        if (objective_of(o, "targetPercent", true, &it->objective, err, errlen) < 0)
            return -1;
    } else if (objective_of(o, "target", false, &it->objective, err, errlen) < 0) {
        return -1;
    }
    const struct ynode *ind = ymap_get(spec, "indicator");
    if (!ind) {
        char ref[NAME_LEN] = "";
        if (yget_str(spec, "indicatorRef", ref, sizeof(ref), err, errlen) < 0)
            return -1;
        ind = ref[0] ? find_sli(docs, ref) : NULL;
        if (!ind)
            return yerr(spec, err, errlen,
                        "indicator or indicatorRef (an SLI in this file) is "
                        "required");
    }
    const struct ynode *ispec = ymap_get(ind, "spec");
    const struct ynode *ratio = ispec ? ymap_get(ispec, "ratioMetric") : NULL;
    if (!ratio) {
        return yerr(ispec ? ispec : ind, err, errlen,
                    "only ratioMetric indicators are supported (thresholdMetric needs timeslices)");
    }
    char total[1000], part[1000];
    if (metric_query(ratio, "total", total, sizeof(total), err, errlen) < 0)
        return -1;
    if (ymap_get(ratio, "bad")) {
        if (metric_query(ratio, "bad", part, sizeof(part), err, errlen) < 0)
            return -1;
        STR_COPY(it->error_query, part);
    } else if (ymap_get(ratio, "good")) {
        if (metric_query(ratio, "good", part, sizeof(part), err, errlen) < 0)
            return -1;
        snprintf(it->error_query, sizeof(it->error_query), "(%s) - (%s)", total, part);
    } else {
        return yerr(ratio, err, errlen, "ratioMetric needs good or bad, and total");
    }
    STR_COPY(it->total_query, total);
    slo_policy_default(&it->policy, it->period_ms);
    return check_fits(ratio, it, err, errlen);
}

/* ---- OpenSLO openslo/v1alpha, as Sloth reads it ---- */

/* A v1alpha ratioMetrics side: {source: prometheus, queryType: promql, query}. */
static int alpha_query(const struct ynode *ratio, const char *key, char *out, size_t outlen,
                       char *err, size_t errlen)
{
    const struct ynode *m = ymap_get(ratio, key);
    if (!m || m->type != Y_MAP)
        return yerr(m ? m : ratio, err, errlen, "ratioMetrics.%s: expected a mapping", key);
    char src[32] = "prometheus", qt[32] = "promql", q[2048] = "";
    if (yget_str(m, "source", src, sizeof(src), err, errlen) < 0 ||
        yget_str(m, "queryType", qt, sizeof(qt), err, errlen) < 0 ||
        need_str(m, "query", q, sizeof(q), err, errlen) < 0)
        return -1;
    if (strcasecmp(src, "prometheus") || strcasecmp(qt, "promql"))
        return yerr(m, err, errlen,
                    "ratioMetrics.%s: source %s, queryType %s is not supported (prometheus, "
                    "promql only)",
                    key, src, qt);
    return counter_rate(m, q, out, outlen, err, errlen);
}

/* timeWindows: [{count: 28, unit: Day, isRolling: true}] */
static int alpha_period(const struct ynode *spec, struct slo_spec_item *it, char *err,
                        size_t errlen)
{
    const struct ynode *tw = ymap_get(spec, "timeWindows");
    if (!tw)
        return 0; /* 30 days */
    if (tw->type != Y_SEQ || yseq_len(tw) != 1)
        return yerr(tw, err, errlen, "timeWindows: expected a list with exactly one entry");
    const struct ynode *w = tw->child;
    double count = 0;
    char unit[16] = "";
    bool rolling = true;
    if (yget_double(w, "count", &count, err, errlen) != 1 ||
        need_str(w, "unit", unit, sizeof(unit), err, errlen) < 0 ||
        yget_bool(w, "isRolling", &rolling, err, errlen) < 0)
        return err[0] ? -1 : yerr(w, err, errlen, "timeWindows: count is required");
    int64_t day = strcasecmp(unit, "Day") == 0 ? 1 : strcasecmp(unit, "Week") == 0 ? 7 : 0;
    if (!day || !rolling || !(count >= 1 && count <= 400) || count != floor(count))
        return yerr(w, err, errlen,
                    "timeWindows: want a rolling whole number of Day or Week units, got %g %s%s",
                    count, unit, rolling ? "" : " (calendar)");
    it->period_ms = (int64_t)count * day * MS_DAY;
    return 0;
}

/* One SLO per objective, named <service>-<name>-<index> as Sloth names them
 * (so a sloth_id label finds it); the error query is total - good. */
static int openslo_alpha(struct slo_spec_set *set, const struct ynode *r, char *err, size_t errlen)
{
    const struct ynode *md = ymap_get(r, "metadata"), *spec = ymap_get(r, "spec");
    if (!md || !spec || spec->type != Y_MAP)
        return yerr(r, err, errlen, "OpenSLO SLO needs metadata and spec");
    char name[64] = "", service[NAME_LEN] = "", desc[TEXT_LEN] = "", method[32] = "Occurrences";
    if (need_str(md, "name", name, sizeof(name), err, errlen) < 0 ||
        need_str(spec, "service", service, sizeof(service), err, errlen) < 0 ||
        yget_str(spec, "description", desc, sizeof(desc), err, errlen) < 0 ||
        yget_str(spec, "budgetingMethod", method, sizeof(method), err, errlen) < 0)
        return -1;
    if (strcmp(method, "Occurrences"))
        return yerr(ymap_get(spec, "budgetingMethod"), err, errlen,
                    "budgetingMethod %s is not supported (Occurrences only)", method);
    const struct ynode *objs = ymap_get(spec, "objectives");
    if (!objs || objs->type != Y_SEQ || !objs->child)
        return yerr(objs ? objs : spec, err, errlen, "objectives: expected a non-empty list");
    int idx = 0;
    for (const struct ynode *o = objs->child; o; o = o->next, idx++) {
        struct slo_spec_item *it = add_item(set, o, "openslo", err, errlen);
        if (!it)
            return -1;
        snprintf(it->name, sizeof(it->name), "%.40s-%.40s-%d", service, name, idx);
        STR_COPY(it->service, service);
        STR_COPY(it->description, desc);
        const struct ynode *ratio = ymap_get(o, "ratioMetrics");
        char good[1000], total[1000];
        if (alpha_period(spec, it, err, errlen) < 0 ||
            objective_of(o, "target", false, &it->objective, err, errlen) < 0)
            return -1;
        if (!ratio)
            return yerr(o, err, errlen, "objectives[%d]: only ratioMetrics are supported", idx);
        if (alpha_query(ratio, "good", good, sizeof(good), err, errlen) < 0 ||
            alpha_query(ratio, "total", total, sizeof(total), err, errlen) < 0)
            return -1;
        snprintf(it->error_query, sizeof(it->error_query), "(%s) - (%s)", total, good);
        STR_COPY(it->total_query, total);
        slo_policy_default(&it->policy, it->period_ms);
        if (check_fits(ratio, it, err, errlen) < 0)
            return -1;
    }
    return 0;
}

int slo_spec_load_file(struct slo_spec_set *set, const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = read_file(path, 4 << 20, &len);
    if (!text)
        return snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1;
    struct ynode *docs = ytree_load_all(text, len, path, err, errlen);
    free(text);
    if (!docs)
        return -1;
    int rc = 0, before = set->n;
    for (const struct ynode *d = docs->child; d && rc == 0; d = d->next) {
        const struct ynode *r = ytree_root(d);
        if (!r || r->type != Y_MAP) {
            rc = yerr(d, err, errlen, "expected a mapping at the top");
            break;
        }
        char version[64] = "", api[64] = "", kind[64] = "";
        yget_str(r, "version", version, sizeof(version), err, errlen);
        yget_str(r, "apiVersion", api, sizeof(api), err, errlen);
        yget_str(r, "kind", kind, sizeof(kind), err, errlen);
        if (strcmp(version, "prometheus/v1") == 0 || (strncmp(api, "sloth.slok.dev/", 15) == 0 &&
                                                      strcmp(kind, "PrometheusServiceLevel") == 0))
            rc = load_sloth(set, r, err, errlen);
        else if (strcmp(api, "openslo/v1") == 0 && strcmp(kind, "SLO") == 0)
            rc = openslo_slo(set, docs, r, err, errlen);
        else if (strcmp(api, "openslo/v1alpha") == 0 && strcmp(kind, "SLO") == 0)
            rc = openslo_alpha(set, r, err, errlen);
        else if (strcmp(api, "openslo/v1") == 0 || strcmp(api, "openslo/v1alpha") == 0)
            continue; /* SLI, Service, AlertPolicy ...: read through references */
        else if (api[0] || version[0])
            rc = yerr(r, err, errlen,
                      "unsupported spec %s%s%s%s%s: want Sloth prometheus/v1 or "
                      "sloth.slok.dev/v1 PrometheusServiceLevel, or OpenSLO openslo/v1 or "
                      "openslo/v1alpha SLO",
                      version[0] ? "version " : "apiVersion ", version[0] ? version : api,
                      kind[0] ? " (kind " : "", kind, kind[0] ? ")" : "");
        else
            rc = yerr(r, err, errlen, "not a Sloth or OpenSLO spec (no version/apiVersion)");
    }
    if (rc == 0 && set->n == before)
        rc = yerr(docs, err, errlen, "no SLO found");
    ytree_free(docs);
    return rc;
}

/* ---- the config's `slos` section ---- */

static int config_policy(const struct ynode *al, struct slo_spec_item *it, char *err, size_t errlen)
{
    static const char *const keys[] = {"windows", "resolve_after", NULL};
    static const char *const wkeys[] = {"severity", "long",           "short",
                                        "factor",   "budget_percent", NULL};
    if (al->type != Y_MAP || ycheck_keys(al, keys, err, errlen) < 0)
        return al->type != Y_MAP ? yerr(al, err, errlen, "alerting: expected a mapping") : -1;
    slo_policy_default(&it->policy, it->period_ms);
    it->has_policy = true;
    const struct ynode *ws = ymap_get(al, "windows");
    if (ws) {
        if (ws->type != Y_SEQ || yseq_len(ws) < 1 || yseq_len(ws) > SLO_MAX_PAIRS)
            return yerr(ws, err, errlen, "windows: expected a list of 1 to %d pairs",
                        SLO_MAX_PAIRS);
        it->policy.npairs = 0;
        for (const struct ynode *w = ws->child; w; w = w->next) {
            if (w->type != Y_MAP || ycheck_keys(w, wkeys, err, errlen) < 0)
                return w->type != Y_MAP ? yerr(w, err, errlen, "expected a mapping") : -1;
            struct slo_alert_pair *p = &it->policy.pairs[it->policy.npairs++];
            char sev[16] = "";
            if (need_str(w, "severity", sev, sizeof(sev), err, errlen) < 0)
                return -1;
            if (strcmp(sev, "page") && strcmp(sev, "ticket"))
                return yerr(w, err, errlen, "severity must be page or ticket");
            p->severity = strcmp(sev, "page") == 0 ? ALERT_PAGE : ALERT_TICKET;
            if (yget_duration(w, "long", &p->long_ms, err, errlen) != 1 ||
                yget_duration(w, "short", &p->short_ms, err, errlen) != 1)
                return err[0] ? -1 : yerr(w, err, errlen, "long and short windows are required");
            if (p->short_ms <= 0 || p->long_ms < p->short_ms)
                return yerr(w, err, errlen, "need 0 < short <= long");
            int hf = yget_double(w, "factor", &p->factor, err, errlen);
            int hb = yget_double(w, "budget_percent", &p->budget_pct, err, errlen);
            if (hf < 0 || hb < 0)
                return -1;
            if (hf == hb)
                return yerr(w, err, errlen, "give exactly one of factor and budget_percent");
            if (hb)
                p->factor = slo_factor(p->budget_pct, it->period_ms, p->long_ms);
            else
                p->budget_pct = p->factor * (double)p->long_ms / (double)it->period_ms * 100;
            if (!(p->factor > 0))
                return yerr(w, err, errlen, "the burn-rate factor must be > 0");
        }
    }
    int64_t ms;
    int rc = yget_duration(al, "resolve_after", &ms, err, errlen);
    if (rc < 0)
        return -1;
    if (rc == 1)
        it->policy.resolve_after_ms = ms;
    return 0;
}

static int config_slo(struct slo_spec_set *set, const struct ynode *s, char *err, size_t errlen)
{
    static const char *const keys[] = {"name",     "service", "description", "objective", "period",
                                       "calendar", "sli",     "alerting",    NULL};
    if (s->type != Y_MAP)
        return yerr(s, err, errlen, "slos[]: expected a mapping");
    if (ycheck_keys(s, keys, err, errlen) < 0)
        return -1;
    struct slo_spec_item *it = add_item(set, s, "config", err, errlen);
    if (!it)
        return -1;
    if (need_str(s, "name", it->name, sizeof(it->name), err, errlen) < 0 ||
        yget_str(s, "service", it->service, sizeof(it->service), err, errlen) < 0 ||
        yget_str(s, "description", it->description, sizeof(it->description), err, errlen) < 0 ||
        objective_of(s, "objective", true, &it->objective, err, errlen) < 0)
        return -1;
    int rc = yget_duration(s, "period", &it->period_ms, err, errlen);
    if (rc < 0)
        return -1;
    if (rc == 1 && it->period_ms < MS_HOUR)
        return yerr(ymap_get(s, "period"), err, errlen, "period must be at least 1h");
    char cal[16] = "";
    if (yget_str(s, "calendar", cal, sizeof(cal), err, errlen) < 0)
        return -1;
    if (cal[0]) {
        if (strcmp(cal, "month") && strcmp(cal, "week"))
            return yerr(ymap_get(s, "calendar"), err, errlen, "calendar must be month or week");
        it->period_kind = cal[0] == 'm' ? SLO_CALENDAR_MONTH : SLO_CALENDAR_WEEK;
        it->period_ms = cal[0] == 'm' ? 30 * MS_DAY : 7 * MS_DAY;
    }
    const struct ynode *sli = ymap_get(s, "sli");
    if (!sli || sli->type != Y_MAP)
        return yerr(sli ? sli : s, err, errlen, "sli: expected counters or prometheus");
    const struct ynode *c = ymap_get(sli, "counters"), *p = ymap_get(sli, "prometheus");
    if (!!c == !!p)
        return yerr(sli, err, errlen, "sli needs exactly one of counters and prometheus");
    if (c) {
        static const char *const ck[] = {"errors", "total", NULL};
        if (ycheck_keys(c, ck, err, errlen) < 0 ||
            need_str(c, "errors", it->errors_series, sizeof(it->errors_series), err, errlen) < 0 ||
            need_str(c, "total", it->total_series, sizeof(it->total_series), err, errlen) < 0)
            return -1;
    } else {
        static const char *const pk[] = {"error_query", "total_query", NULL};
        if (ycheck_keys(p, pk, err, errlen) < 0 ||
            need_str(p, "error_query", it->error_query, sizeof(it->error_query), err, errlen) < 0 ||
            need_str(p, "total_query", it->total_query, sizeof(it->total_query), err, errlen) < 0 ||
            check_query(p, "error_query", it->error_query, err, errlen) < 0 ||
            check_query(p, "total_query", it->total_query, err, errlen) < 0)
            return -1;
    }
    const struct ynode *al = ymap_get(s, "alerting");
    if (al && config_policy(al, it, err, errlen) < 0)
        return -1;
    return check_fits(sli, it, err, errlen);
}

int slo_spec_load_config(struct slo_spec_set *set, const struct ynode *slos, char *err,
                         size_t errlen)
{
    if (slos->type != Y_SEQ)
        return yerr(slos, err, errlen, "slos: expected a list");
    for (const struct ynode *s = slos->child; s; s = s->next) {
        if (config_slo(set, s, err, errlen) < 0)
            return -1;
        for (int i = 0; i < set->n - 1; i++)
            if (strcmp(set->items[i].name, set->items[set->n - 1].name) == 0)
                return yerr(s, err, errlen, "duplicate SLO name %s", set->items[i].name);
    }
    return 0;
}

int slo_config_check_slos(const struct ynode *section, char *err, size_t errlen)
{
    struct slo_spec_set set = {0};
    int rc = slo_spec_load_config(&set, section, err, errlen);
    slo_spec_free(&set);
    return rc;
}

int slo_config_check_specs(const struct ynode *section, char *err, size_t errlen)
{
    if (section->type != Y_SEQ)
        return yerr(section, err, errlen, "slo_specs: expected a list of file paths");
    for (const struct ynode *f = section->child; f; f = f->next)
        if (f->type != Y_SCALAR || !f->value || !f->value[0])
            return yerr(f, err, errlen, "slo_specs: expected a file path");
    return 0;
}
