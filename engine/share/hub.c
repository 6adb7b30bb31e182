/* The viewers of a shared engine: snapshot, changes, heartbeats, cuts
 * (see hub.h). */
#include "share/hub.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/textsafe.h"
#include "base/urlquery.h"
#include "copilot/copilot.h"
#include "core/record.h"

struct viewer {
    struct share_hub *hub;
    struct httpd_conn *conn;
    size_t cap; /* its snapshot plus SHARE_LAG_CAP */
    unsigned id;
    bool cut;
    struct viewer *next;
};

struct share_hub {
    struct engine *e;
    struct loop *loop;
    struct copilot *copilot;
    size_t lag_cap;
    char name[NAME_LEN];
    struct viewer *viewers;
    int nviewers; /* fed, not cut */
    unsigned next_id;
    struct loop_timer *beat;
};

/* {"t":MS,"op":"tick","share":{"name":..,"viewers":N[,"cut":REASON]}}: a
 * record line (the clock) that also says who serves and to how many. */
static char *heartbeat_line(struct share_hub *hub, const char *cut, size_t *len)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "t", (double)engine_now(hub->e));
    cJSON_AddStringToObject(j, "op", "tick");
    cJSON *sh = cJSON_AddObjectToObject(j, "share");
    cJSON_AddStringToObject(sh, "name", hub->name);
    cJSON_AddNumberToObject(sh, "viewers", hub->nviewers);
    if (cut)
        cJSON_AddStringToObject(sh, "cut", cut);
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!text)
        return NULL;
    *len = strlen(text);
    text[(*len)++] = '\n'; /* over the NUL, as record lines go out */
    return text;
}

/* Stops feeding v: the reason as its last line (past the cap: it is
 * short), then the stream ends and the connection closes once sent, or
 * within 10 s if the viewer never reads it. */
static void cut(struct viewer *v, const char *why)
{
    if (v->cut)
        return;
    v->cut = true;
    v->hub->nviewers--;
    fprintf(stderr, "lookout serve: viewer %u cut: %s\n", v->id, why);
    size_t len;
    char *line = heartbeat_line(v->hub, why, &len);
    if (line)
        httpd_stream_write(v->conn, line, len, SIZE_MAX);
    free(line);
    httpd_stream_end(v->conn);
}

static void feed(struct viewer *v, const char *line, size_t len)
{
    if (v->cut || httpd_stream_write(v->conn, line, len, v->cap))
        return;
    char why[96];
    snprintf(why, sizeof why, "more than %zu KiB behind (too slow to keep up)",
             v->hub->lag_cap >> 10);
    cut(v, why);
}

/* The engine's record tap: each change once serialised, to every viewer. */
static void on_change(const char *line, size_t len, void *ud)
{
    struct share_hub *hub = ud;
    for (struct viewer *v = hub->viewers; v; v = v->next)
        feed(v, line, len);
}

static void broadcast_heartbeat(struct share_hub *hub)
{
    size_t len;
    char *line = heartbeat_line(hub, NULL, &len);
    if (line)
        on_change(line, len, hub);
    free(line);
}

static void on_beat(void *ud)
{
    struct share_hub *hub = ud;
    broadcast_heartbeat(hub);
    hub->beat = loop_timer_start(hub->loop, SHARE_HEARTBEAT_MS, on_beat, hub);
}

static void on_viewer_close(struct httpd_conn *c, void *ud)
{
    (void)c;
    struct viewer *v = ud;
    struct share_hub *hub = v->hub;
    for (struct viewer **pp = &hub->viewers; *pp; pp = &(*pp)->next)
        if (*pp == v) {
            *pp = v->next;
            break;
        }
    if (!v->cut) {
        hub->nviewers--;
        fprintf(stderr, "lookout serve: viewer %u left (%d watching)\n", v->id, hub->nviewers);
    }
    free(v);
}

/* The snapshot goes out whole, whatever the cap: it is what the viewer
 * needs before anything else means something. */
static void emit_snapshot(const char *line, size_t len, void *ud)
{
    struct viewer *v = ud;
    httpd_stream_write(v->conn, line, len, SIZE_MAX);
}

static void on_stream(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    (void)r;
    struct share_hub *hub = ud;
    static const char busy[] = "too many viewers\n";
    if (hub->nviewers >= SHARE_MAX_VIEWERS) {
        httpd_respond(c, 503, "text/plain; charset=utf-8", busy, sizeof busy - 1);
        return;
    }
    struct viewer *v = calloc(1, sizeof(*v));
    if (!v) {
        httpd_respond(c, 503, "text/plain; charset=utf-8", busy, sizeof busy - 1);
        return;
    }
    *v = (struct viewer){.hub = hub, .conn = c, .id = ++hub->next_id, .next = hub->viewers};
    hub->viewers = v;
    hub->nviewers++;
    /* the kernel's part of the lag bounded too: autotuned, a socket that is
     * never read holds megabytes before the cap above sees any of it */
    httpd_set_sndbuf(c, hub->lag_cap < SHARE_SNDBUF ? (int)hub->lag_cap : SHARE_SNDBUF);
    httpd_stream_begin(c, "application/x-ndjson", on_viewer_close, v);
    record_snapshot(hub->e, emit_snapshot, v);
    v->cap = httpd_pending(c) + hub->lag_cap;
    fprintf(stderr, "lookout serve: viewer %u joined (%d watching)\n", v->id, hub->nviewers);
    broadcast_heartbeat(hub); /* the count changed, and the newcomer learns the name now */
}

static void answer(struct httpd_conn *c, int status, const char *key, const char *text)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, key, text);
    char *body = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    httpd_respond(c, status, "application/json", body ? body : "{}", body ? strlen(body) : 2);
    free(body);
}

/* POST /v1/copilot/ask?kind=incident&key=ID: what `a` does on a console,
 * on the shared engine: the answer reaches every viewer as a T_COPILOT row. */
static void on_ask(struct httpd_conn *c, const struct httpd_req *r, void *ud)
{
    struct share_hub *hub = ud;
    char kind[32], key[256], err[256];
    if (url_query_get(r->query, "kind", kind, sizeof kind) != 1 || !kind[0] ||
        url_query_get(r->query, "key", key, sizeof key) != 1 || !key[0])
        return answer(c, 400, "error", "want kind=KIND&key=KEY, percent-encoded");
    if (!hub->copilot)
        return answer(c, 503, "error", "the copilot is not running on this server");
    if (copilot_ask(hub->copilot, kind, key, err, sizeof err) < 0)
        return answer(c, strstr(err, "too many") ? 429 : 409, "error", err);
    char safe[300];
    ts_clip(key, 80, safe, sizeof safe, true);
    fprintf(stderr, "lookout serve: a viewer asked the copilot about %s %s\n", kind, safe);
    char what[300];
    snprintf(what, sizeof what, "asked %s (%s)", copilot_backend_label(hub->copilot), kind);
    answer(c, 202, "ok", what);
}

struct share_hub *share_hub_new(struct engine *e, struct loop *l, struct httpd *h, const char *name,
                                struct copilot *copilot, size_t lag_cap, char *err, size_t errlen)
{
    struct share_hub *hub = calloc(1, sizeof(*hub));
    if (!hub) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *hub = (struct share_hub){
        .e = e, .loop = l, .copilot = copilot, .lag_cap = lag_cap ? lag_cap : SHARE_LAG_CAP};
    STR_COPY(hub->name, name);
    if (httpd_route(h, "/v1/stream", on_stream, hub) < 0 ||
        httpd_route_post(h, "/v1/copilot/ask", on_ask, hub) < 0) {
        snprintf(err, errlen, "no room for the share routes");
        free(hub);
        return NULL;
    }
    e->record_tap = on_change;
    e->record_tap_ud = hub;
    hub->beat = loop_timer_start(l, SHARE_HEARTBEAT_MS, on_beat, hub);
    return hub;
}

void share_hub_free(struct share_hub *hub)
{
    if (!hub)
        return;
    if (hub->e->record_tap_ud == hub) {
        hub->e->record_tap = NULL;
        hub->e->record_tap_ud = NULL;
    }
    if (hub->beat)
        loop_timer_cancel(hub->loop, hub->beat);
    free(hub);
}

int share_hub_viewers(const struct share_hub *hub)
{
    return hub->nviewers;
}
