/* A client for the Prometheus HTTP API (and what speaks it: Thanos, Mimir,
 * VictoriaMetrics): instant queries for SLO window ratios, on the event loop.
 *
 * Auth: a bearer token or basic auth (secrets from the environment or a
 * 0600 file, never argv) and an optional X-Scope-OrgID tenant header.
 * Every answer is checked: HTTP status, JSON envelope, "status", the result
 * type, the number of series and the sample; an empty vector or NaN is "no
 * data", never 0 or 1. */
#ifndef LOOKOUT_PROMETHEUS_H
#define LOOKOUT_PROMETHEUS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/http.h"
#include "base/tls.h"
#include "base/yaml_tree.h"

/* An instant answer is one sample and a burn-down range 120 points (11,000
 * at most, ~330 KB): 1 MiB is plenty. It is small on purpose: a round has
 * ten queries in flight, and a server (or proxy) sending a huge body to
 * each must not cost ten times a big cap in memory (t_faults measures it). */
#define PROM_MAX_BODY (1u << 20)

struct prom_config {
    char url[512]; /* base URL, e.g. http://127.0.0.1:9090 (no trailing /api) */
    char bearer[1024];
    char username[128];
    char password[512];
    char tenant[128]; /* X-Scope-OrgID, "" for none */
    long timeout_ms;  /* per query; 0: 10 s */
    long interval_ms; /* live evaluation period; 0: 30 s */
    struct tls_opts tls;
};

/* Fills c from the config's `prometheus` section (NULL: defaults) and the
 * environment (LOOKOUT_PROMETHEUS_TOKEN, LOOKOUT_PROMETHEUS_PASSWORD). */
int prom_config_load(struct prom_config *c, const struct ynode *section, char *err, size_t errlen);
/* Validates the `prometheus` config section. */
int prom_config_check(const struct ynode *section, char *err, size_t errlen);

/* value: the sample (NaN: no data); flags: PROM_NO_ERRORS when the error
 * series was absent and read as 0. error: NULL on success, else why. */
typedef void (*prom_value_fn)(void *ud, double value, int flags, const char *error);
/* POST /api/v1/query with time=at_s (seconds, fractional ok). NULL when the
 * request could not be started (fn is then not called). */
struct http_req *prom_query(struct http *h, const struct prom_config *c, const char *query,
                            double at_s, prom_value_fn fn, void *ud);

/* A range query's samples (one series): times in seconds and values; n 0
 * for no series. error: NULL on success. */
typedef void (*prom_range_fn)(void *ud, const double *t, const double *v, int n, const char *error);
/* POST /api/v1/query_range; step_s is capped by the caller so that
 * (end - start) / step stays under Prometheus's 11,000 points. */
struct http_req *prom_query_range(struct http *h, const struct prom_config *c, const char *query,
                                  double start_s, double end_s, double step_s, prom_range_fn fn,
                                  void *ud);
/* Parses a range answer (resultType matrix, at most one series) into up to
 * cap points. Returns 0 with *n, or -1 with a message. */
int prom_parse_range(const char *body, size_t len, long http_status, bool truncated, double *t,
                     double *v, int cap, int *n, char *err, size_t errlen);

/* The label prom_ratio_query() puts on a ratio whose error series was
 * absent, and what prom_parse_instant() returns for it. */
#define PROM_NO_ERRORS_LABEL "lookout_no_error_series"
#define PROM_NO_ERRORS       1
/* Parses an instant-query answer. Returns 0 with *value (NaN for an empty
 * vector or a NaN sample), PROM_NO_ERRORS with *value when the sample is a
 * ratio whose error series was absent, or -1 with a message. Only a JSON
 * object is an answer: a text body is an HTTP error, never a number. */
int prom_parse_instant(const char *body, size_t len, long http_status, bool truncated,
                       double *value, char *err, size_t errlen);

/* The longest query Lookout sends (a ratio query, both halves expanded). */
#define PROM_QUERY_MAX 4200
/* Replaces every {{.window}} (Sloth's template; spaces inside the braces
 * allowed) with window. Returns false when out is too small. */
bool prom_expand_window(const char *tmpl, const char *window, char *out, size_t outlen);
/* Whether tmpl is a query Lookout can ask per window: it has at least one
 * {{.window}} (without one every window would get the same fixed range, and
 * burn rates and budget would be made up) and no other
 * {{...}} (only .window is expanded). 0, or -1 with the reason in err. */
int prom_template_check(const char *tmpl, char *err, size_t errlen);
/* The ratio query of a window: (error) / (total), both expanded, with an
 * absent error series read as 0 and marked (PROM_NO_ERRORS_LABEL). */
bool prom_ratio_query(const char *error_q, const char *total_q, const char *window, char *out,
                      size_t outlen);

#endif
