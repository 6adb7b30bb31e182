/* The anomaly analyser (see anomaly.h). Constant memory: a fixed pool of
 * series found by name through a bounded dict, each with one detector of the configured kind
 * (context unless aiops.detector says otherwise); a fixed table of pods with their kernel event
 * counts of the current period; one forest over pod vectors. */
#include "aiops/anomaly.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/dict.h"

#define SERIES_NAME   128
#define SERIES_KEPT   (ANOMALY_MAX_SERIES * 3 / 4) /* series analysed; the rest are counted */
#define POD_ACTIVE_MS (5 * 60000) /* a pod quiet this long leaves the forest's input */

struct series_state {
    char name[SERIES_NAME];
    bool counter; /* "*_total": fed as a per-second rate */
    bool has_last;
    double last_value;
    int64_t last_time;
    double last_score;
    struct series_detector *det;
};

struct pod_rates {
    char key[OBJ_LEN + NAME_LEN + 2];
    uint32_t counts[KEV_KIND_COUNT];
    int64_t last_event;
};

struct anomaly {
    struct engine *e;
    struct correlator *c;
    struct anomaly_opts o;
    struct series_state series[SERIES_KEPT]; /* the first nseries are in use */
    int nseries;
    struct dict by_name; /* key: a pool entry's name; val.p: the entry */
    unsigned long dropped, items;
    uint32_t kind_counts[KEV_KIND_COUNT];
    struct pod_rates pods[ANOMALY_MAX_PODS];
    int npods;
    struct rcf *forest;
    struct likelihood forest_lk;
};

/* Keys point at the pool entries' own names; the pool never moves. */
static const struct dict_type series_type = {.hash = dict_hash_str, .max = SERIES_KEPT};

static struct series_state *series_get(struct anomaly *a, const char *name, bool create)
{
    struct dict_entry *e = dict_find(&a->by_name, name);
    if (e || !create)
        return e ? e->val.p : NULL;
    if (a->nseries >= SERIES_KEPT) {
        a->dropped++;
        return NULL;
    }
    struct series_state *s = &a->series[a->nseries];
    memset(s, 0, sizeof(*s));
    s->det = series_detector_new(a->o.detector, &a->o.params);
    if (!s->det) {
        a->dropped++;
        return NULL;
    }
    STR_COPY(s->name, name);
    if (!(e = dict_insert(&a->by_name, s->name))) {
        series_detector_free(s->det);
        s->det = NULL;
        a->dropped++;
        return NULL;
    }
    e->val.p = s;
    size_t n = strlen(name);
    s->counter = n > 6 && strcmp(name + n - 6, "_total") == 0;
    s->last_score = -1;
    a->nseries++;
    return s;
}

/* "source:subject:metric" -> subject; a name without two colons -> "". */
static void subject_of(const char *series, char *out, size_t outlen)
{
    const char *a = strchr(series, ':');
    const char *b = a ? strrchr(series, ':') : NULL;
    if (!a || b == a) {
        str_copy(out, outlen, "");
        return;
    }
    size_t n = (size_t)(b - a - 1);
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, a + 1, n);
    out[n] = 0;
}

/* One value of a series; rates for counters. */
static void feed(struct anomaly *a, const char *name, int64_t t, double v)
{
    struct series_state *s = series_get(a, name, true);
    if (!s || !isfinite(v))
        return;
    double x = v;
    if (s->counter) {
        bool ok = s->has_last && t > s->last_time && v >= s->last_value;
        x = ok ? (v - s->last_value) * 1000.0 / (double)(t - s->last_time) : NAN;
        s->has_last = true;
        s->last_value = v;
        s->last_time = t;
        if (!ok)
            return; /* first sample or a counter reset */
    }
    double score = series_detector_update(s->det, t, x);
    s->last_score = score;
    if (score < a->o.threshold)
        return;
    a->items++;
    char subject[OBJ_LEN];
    subject_of(name, subject, sizeof(subject));
    correlator_anomaly(a->c, name, subject, score, t);
}

static struct pod_rates *pod_get(struct anomaly *a, const char *key, int64_t now)
{
    int oldest = 0;
    for (int i = 0; i < a->npods; i++) {
        if (strcmp(a->pods[i].key, key) == 0)
            return &a->pods[i];
        if (a->pods[i].last_event < a->pods[oldest].last_event)
            oldest = i;
    }
    int i = a->npods < ANOMALY_MAX_PODS ? a->npods++ : oldest;
    memset(&a->pods[i], 0, sizeof(a->pods[i]));
    STR_COPY(a->pods[i].key, key);
    a->pods[i].last_event = now;
    return &a->pods[i];
}

static void on_kevent(struct anomaly *a, const struct kevent *k)
{
    if ((unsigned)k->kind >= KEV_KIND_COUNT || !kevent_may_correlate(k))
        return;
    a->kind_counts[k->kind]++;
    if (!k->pod[0])
        return;
    struct pod_rates *p = pod_get(a, k->pod, k->time);
    p->counts[k->kind]++;
    p->last_event = k->time;
}

static void observe(struct engine *e, int table, const void *obj, void *ud)
{
    struct anomaly *a = ud;
    if (e->replaying || !obj)
        return;
    if (table == OBS_SAMPLE) {
        const struct sample *s = obj;
        if (s->series)
            feed(a, s->series, s->time, s->value);
    } else if (table == OBS_KEVENT) {
        on_kevent(a, obj);
    }
}

/* Every period: kernel rates per kind, the pod forest, SLO error ratios. */
static void tick(struct engine *e, int64_t now, void *ud)
{
    struct anomaly *a = ud;
    if (e->replaying)
        return;
    char name[SERIES_NAME];
    double per_s = 1000.0 / ANOMALY_KERNEL_PERIOD_MS;
    for (int k = 0; k < KEV_KIND_COUNT; k++) {
        snprintf(name, sizeof(name), "kernel:host:%s_rate", kev_kind_names[k]);
        feed(a, name, now, a->kind_counts[k] * per_s);
        a->kind_counts[k] = 0;
    }
    for (int i = 0; i < a->npods && a->forest; i++) {
        struct pod_rates *p = &a->pods[i];
        if (now - p->last_event > POD_ACTIVE_MS)
            continue;
        double v[KEV_KIND_COUNT];
        for (int k = 0; k < KEV_KIND_COUNT; k++)
            v[k] = log1p(p->counts[k] * per_s);
        memset(p->counts, 0, sizeof(p->counts));
        double score = likelihood_update(&a->forest_lk, rcf_update(a->forest, v));
        if (score >= a->o.threshold) {
            a->items++;
            snprintf(name, sizeof(name), "kernel:%s:rates", p->key);
            correlator_anomaly(a->c, name, p->key, score, now);
        }
    }
    struct table *t = engine_table(e, T_SLOS);
    for (int i = 0; i < t->count; i++) {
        const struct slo *o = table_row(t, i);
        if (o->nwindows < 1 || !isfinite(o->windows[0].error_ratio))
            continue;
        snprintf(name, sizeof(name), "slo:%s:error_ratio", o->service);
        feed(a, name, now, o->windows[0].error_ratio);
    }
}

struct anomaly *anomaly_new(struct engine *e, struct correlator *c, const struct anomaly_opts *o)
{
    struct anomaly *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->e = e;
    a->c = c;
    dict_init(&a->by_name, &series_type, NULL);
    if (o) {
        a->o = *o;
    } else {
        a->o.threshold = 0.5;
        detect_default_params(&a->o.params, "context");
    }
    if (!a->o.detector[0])
        STR_COPY(a->o.detector, "context");
    struct detect_params fp = a->o.params;
    fp.trees = 20;
    fp.tree_size = 128;
    a->forest = rcf_new(&fp, KEV_KIND_COUNT);
    likelihood_init(&a->forest_lk, &fp);
    engine_observe(e, observe, a);
    engine_add_hook(e, "anomaly", ANOMALY_KERNEL_PERIOD_MS, tick, a);
    return a;
}

void anomaly_free(struct anomaly *a)
{
    if (!a)
        return;
    rcf_free(a->forest);
    for (int i = 0; i < a->nseries; i++)
        series_detector_free(a->series[i].det);
    dict_free(&a->by_name);
    free(a);
}

int anomaly_series_count(const struct anomaly *a)
{
    return a->nseries;
}

unsigned long anomaly_items(const struct anomaly *a)
{
    return a->items;
}

unsigned long anomaly_dropped_series(const struct anomaly *a)
{
    return a->dropped;
}

double anomaly_last_score(const struct anomaly *a, const char *series)
{
    const struct series_state *s = series_get((struct anomaly *)a, series, false);
    return s ? s->last_score : -1;
}
