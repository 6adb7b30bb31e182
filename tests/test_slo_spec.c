/* Prometheus answers, {{.window}} templates, Sloth/OpenSLO/config specs. */
#include <stdio.h>
#include <unistd.h>

#include "slo/prometheus.h"
#include "slo/spec.h"
#include "test.h"

static int parse(const char *body, long status, double *v, char *err)
{
    return prom_parse_instant(body, strlen(body), status, false, v, err, 256);
}

TEST(prom_vector_scalar_and_specials)
{
    double v;
    char err[256];
    CHECK(
        parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":"
              "{},\"value\":[1704329130,\"22.999999999999982\"]}]}}",
              200, &v, err) == 0);
    CHECK(v == 22.999999999999982);
    CHECK(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", 200,
                &v, err) == 0);
    CHECK(isnan(v)); /* no series: no data */
    /* the ratio of an absent error series, as prom_ratio_query marks it */
    CHECK(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{"
                "\"metric\":{\"lookout_no_error_series\":\"1\"},\"value\":[1,\"0\"]}]}}",
                200, &v, err) == PROM_NO_ERRORS &&
          v == 0);
    CHECK(
        parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":"
              "{},\"value\":[1,\"NaN\"]}]}}",
              200, &v, err) == 0);
    CHECK(isnan(v));
    CHECK(
        parse(
            "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"+Inf\"]}}",
            200, &v, err) == 0);
    CHECK(isinf(v) && v > 0);
    CHECK(
        parse(
            "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"-Inf\"]}}",
            200, &v, err) == 0);
    CHECK(isinf(v) && v < 0);
}

TEST(prom_malformed_answers)
{
    double v;
    char err[256];
    CHECK(parse("{\"status\":\"success\",\"data\":{", 200, &v, err) < 0 && strstr(err, "bad JSON"));
    CHECK(parse("{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}", 400,
                &v, err) < 0 &&
          strstr(err, "bad_data") && strstr(err, "parse error"));
    CHECK(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}", 200,
                &v, err) < 0 &&
          strstr(err, "matrix"));
    CHECK(
        parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":"
              "[1,\"1\"]},{\"value\":[1,\"2\"]}]}}",
              200, &v, err) < 0 &&
        strstr(err, "2 series"));
    CHECK(
        parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":"
              "[1,\"abc\"]}]}}",
              200, &v, err) < 0);
    CHECK(
        parse("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":"
              "[1,2]}]}}",
              200, &v, err) < 0);
    CHECK(parse("<html>502</html>", 502, &v, err) < 0 && strstr(err, "HTTP 502"));
    /* a text 404 from a wrong path parses as the JSON number 404: not an answer */
    CHECK(parse("404 page not found", 404, &v, err) < 0 && strstr(err, "HTTP 404") &&
          strstr(err, "server root"));
    CHECK(parse("404", 200, &v, err) < 0 && strstr(err, "bad JSON"));
    CHECK(prom_parse_instant("{}", 2, 200, true, &v, err, sizeof(err)) < 0 &&
          strstr(err, "larger"));
    CHECK(parse("{\"data\":{}}", 200, &v, err) < 0);
    CHECK(prom_parse_instant(NULL, 0, 0, false, &v, err, sizeof(err)) < 0);
}

TEST(prom_range_answers)
{
    double t[4], v[4];
    int n;
    char err[256];
    const char *ok = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
                     "[{\"metric\":{},\"values\":[[1704067200,\"0.5\"],[1704067260.5,\"NaN\"]]}]}}";
    CHECK(prom_parse_range(ok, strlen(ok), 200, false, t, v, 4, &n, err, sizeof(err)) == 0);
    CHECK(n == 2 && t[0] == 1704067200 && v[0] == 0.5 && t[1] == 1704067260.5 && isnan(v[1]));
    const char *none =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}";
    CHECK(prom_parse_range(none, strlen(none), 200, false, t, v, 4, &n, err, sizeof(err)) == 0 &&
          n == 0);
    const char *vec = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}";
    CHECK(prom_parse_range(vec, strlen(vec), 200, false, t, v, 4, &n, err, sizeof(err)) < 0 &&
          strstr(err, "matrix"));
    const char *bad = "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
                      "[{\"values\":[[\"x\",\"1\"]]}]}}";
    CHECK(prom_parse_range(bad, strlen(bad), 200, false, t, v, 4, &n, err, sizeof(err)) < 0);
    const char *res = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"exceeded "
                      "maximum resolution of 11,000 points per timeseries\"}";
    CHECK(prom_parse_range(res, strlen(res), 400, false, t, v, 4, &n, err, sizeof(err)) < 0 &&
          strstr(err, "11,000"));
}

TEST(window_templates)
{
    char out[256];
    CHECK(prom_expand_window("sum(rate(x[{{.window}}]))/sum(rate(y[{{ .window }}]))", "5m", out,
                             sizeof(out)));
    CHECK_STR(out, "sum(rate(x[5m]))/sum(rate(y[5m]))");
    CHECK(prom_expand_window("a{l=\"{{x}}\"}", "1h", out, sizeof(out)));
    CHECK_STR(out, "a{l=\"{{x}}\"}");
    CHECK(prom_ratio_query("e[{{.window}}]", "t[{{.window}}]", "30d", out, sizeof(out)));
    CHECK_STR(out, "((e[30d]) or on() label_replace(vector(0), \"lookout_no_error_series\", \"1\", "
                   "\"\", \"\")) / on() group_left() (t[30d])");
    CHECK(!prom_expand_window("{{.window}}{{.window}}", "1234567890", out, 8));
    /* a template Lookout can ask per window: {{.window}} and nothing else */
    char err[200];
    CHECK(prom_template_check("a[{{ .window }}] / b[{{.window}}]", err, sizeof(err)) == 0);
    CHECK(prom_template_check("sum(rate(x[5m]))", err, sizeof(err)) < 0 &&
          strstr(err, "no {{.window}}"));
    CHECK(prom_template_check("x[{{.window}}] / y[{{.Window}}]", err, sizeof(err)) < 0 &&
          strstr(err, "template {{.Window}}: only {{.window}} is expanded"));
    CHECK(prom_template_check("x[{{.window}}] / y[{{.window", err, sizeof(err)) < 0 &&
          strstr(err, "template {{.window: "));
}

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/lookout-spec-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    if (write(fd, text, strlen(text)) < 0)
        path[0] = 0;
    close(fd);
    return path;
}

static int load(const char *text, struct slo_spec_set *set, char *err)
{
    char *p = write_tmp(text);
    int rc = slo_spec_load_file(set, p, err, 512);
    unlink(p);
    return rc;
}

TEST(sloth_spec)
{
    struct slo_spec_set set = {0};
    char err[512] = "";
    int rc = load("version: \"prometheus/v1\"\nservice: \"myservice\"\nslos:\n"
                  "  - name: \"requests-availability\"\n    objective: 99.9\n"
                  "    sli:\n      events:\n"
                  "        error_query: sum(rate(e[{{.window}}]))\n"
                  "        total_query: sum(rate(t[{{.window}}]))\n"
                  "    alerting:\n      name: X\n      ticket_alert:\n        disable: true\n"
                  "  - name: raw\n    objective: 95\n    sli:\n      raw:\n"
                  "        error_ratio_query: avg(r[{{.window}}])\n",
                  &set, err);
    CHECK(rc == 0);
    if (rc) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK(set.n == 2);
    CHECK_STR(set.items[0].name, "myservice-requests-availability");
    CHECK_NEAR(set.items[0].objective, 0.999, 1e-12);
    CHECK(set.items[0].period_ms == 30 * MS_DAY);
    CHECK(set.items[0].has_policy && set.items[0].policy.npairs == 2);
    CHECK(set.items[0].policy.pairs[0].severity == ALERT_PAGE);
    CHECK_STR(set.items[1].total_query, "1");
    slo_spec_free(&set);
}

TEST(openslo_spec_with_sli_ref_and_calendar)
{
    struct slo_spec_set set = {0};
    char err[512] = "";
    int rc = load("apiVersion: openslo/v1\nkind: SLI\nmetadata:\n  name: web-ratio\nspec:\n"
                  "  ratioMetric:\n    counter: true\n"
                  "    good:\n      metricSource:\n        type: Prometheus\n"
                  "        spec:\n          query: http_requests_total{code!~\"5..\"}\n"
                  "    total:\n      metricSource:\n        type: Prometheus\n"
                  "        spec:\n          query: http_requests_total\n"
                  "---\napiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: web\nspec:\n"
                  "  service: web\n  indicatorRef: web-ratio\n  budgetingMethod: Occurrences\n"
                  "  timeWindow:\n    - duration: 1M\n      isRolling: false\n"
                  "  objectives:\n    - targetPercent: 99.5\n",
                  &set, err);
    CHECK(rc == 0);
    if (rc) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK(set.n == 1);
    CHECK(set.items[0].period_kind == SLO_CALENDAR_MONTH);
    CHECK_NEAR(set.items[0].objective, 0.995, 1e-12);
    CHECK_STR(set.items[0].total_query, "sum(rate(http_requests_total[{{.window}}]))");
    CHECK_STR(set.items[0].error_query,
              "(sum(rate(http_requests_total[{{.window}}]))) - "
              "(sum(rate(http_requests_total{code!~\"5..\"}[{{.window}}])))");
    slo_spec_free(&set);
}

/* OpenSLO v1alpha as Sloth's own example writes it: one SLO per objective,
 * named like Sloth names them (its sloth_id). */
TEST(openslo_v1alpha_as_sloth_writes_it)
{
    struct slo_spec_set set = {0};
    char err[512] = "";
    int rc =
        load("apiVersion: openslo/v1alpha\nkind: SLO\nmetadata:\n  name: slo1\n"
             "  displayName: Integration test SLO1\nspec:\n  service: svc01\n"
             "  description: \"this is SLO1.\"\n  budgetingMethod: Occurrences\n"
             "  objectives:\n    - ratioMetrics:\n        good:\n          source: prometheus\n"
             "          queryType: promql\n"
             "          query: sum(rate(http_request_duration_seconds_count{job=\"myservice\","
             "code!~\"(5..|429)\"}[{{.window}}]))\n"
             "        total:\n          source: prometheus\n          queryType: promql\n"
             "          query: sum(rate(http_request_duration_seconds_count{job=\"myservice\"}"
             "[{{.window}}]))\n"
             "      target: 0.99\n  timeWindows:\n    - count: 28\n      unit: Day\n"
             "      isRolling: true\n",
             &set, err);
    CHECK(rc == 0);
    if (rc) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK(set.n == 1);
    CHECK_STR(set.items[0].name, "svc01-slo1-0");
    CHECK(set.items[0].period_ms == 28 * MS_DAY);
    CHECK_NEAR(set.items[0].objective, 0.99, 1e-12);
    CHECK(strncmp(set.items[0].error_query,
                  "(sum(rate(http_request_duration_seconds_count{job=", 50) == 0 &&
          strstr(set.items[0].error_query, ") - (sum("));
    slo_spec_free(&set);
    CHECK(load("apiVersion: openslo/v2alpha\nkind: SLO\nmetadata: {name: x}\n", &set, err) < 0);
    CHECK(strstr(err, "unsupported spec apiVersion openslo/v2alpha (kind SLO): want") &&
          !strstr(err, "  "));
    slo_spec_free(&set);
}

TEST(spec_errors_name_file_and_line)
{
    struct slo_spec_set set = {0};
    char err[512] = "";
    CHECK(load("version: \"prometheus/v1\"\nservice: s\nslos:\n  - name: a\n    objective: 100\n"
               "    sli: {events: {error_query: e, total_query: t}}\n",
               &set, err) < 0);
    CHECK(strstr(err, ":5: objective"));
    slo_spec_free(&set);
    CHECK(load("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n"
               "  budgetingMethod: Timeslices\n  objectives: [{target: 0.9}]\n",
               &set, err) < 0);
    CHECK(strstr(err, ":5: budgetingMethod Timeslices"));
    slo_spec_free(&set);
    CHECK(load("kind: Deployment\n", &set, err) < 0 && strstr(err, "not a Sloth or OpenSLO"));
    slo_spec_free(&set);
    CHECK(load("version: \"prometheus/v1\"\nservice: s\nslos:\n  - name: a\n    objective: 99\n"
               "    sli: {plugin: {id: x}}\n",
               &set, err) < 0 &&
          strstr(err, "plugin"));
    slo_spec_free(&set);
    CHECK(load("version: \"prometheus/v1\"\nservice: s\nslos:\n  - name: a\n    objective: 99\n"
               "    unknown: 1\n",
               &set, err) < 0 &&
          strstr(err, ":6:"));
    slo_spec_free(&set);
}

/* A query Lookout could not ask per window is refused at load, at its
 * line, rather than asked wrong (the same range for every window) or never
 * asked while the source reads synced. */
TEST(spec_refuses_queries_it_cannot_form)
{
    struct slo_spec_set set = {0};
    char err[512] = "";
    const char *head = "version: \"prometheus/v1\"\nservice: s\nslos:\n  - name: a\n"
                       "    objective: 99.9\n    sli:\n";
    char text[6000];
    snprintf(text, sizeof(text),
             "%s      events:\n        error_query: sum(rate(e[5m]))\n"
             "        total_query: sum(rate(t[{{.window}}]))\n",
             head);
    CHECK(load(text, &set, err) < 0 && strstr(err, ":8: error_query: no {{.window}}"));
    slo_spec_free(&set);
    snprintf(text, sizeof(text),
             "%s      raw:\n        error_ratio_query: e[{{.window}}]/t[{{.win}}]\n", head);
    CHECK(load(text, &set, err) < 0 &&
          strstr(err, ":8: error_ratio_query: template {{.win}}: only {{.window}} is expanded"));
    slo_spec_free(&set);
    /* the config's own slos section reads the same way */
    const char *cfg = "slos:\n- name: c\n  objective: 99\n  sli:\n    prometheus:\n"
                      "      error_query: sum(rate(e[1h]))\n      total_query: sum(rate(t[1h]))\n";
    struct ynode *doc = ytree_load_string(cfg, strlen(cfg), "c.yaml", err, sizeof(err));
    CHECK(doc && slo_config_check_slos(ymap_get(ytree_root(doc), "slos"), err, sizeof(err)) < 0 &&
          strstr(err, "c.yaml:6: error_query: no {{.window}}"));
    ytree_free(doc);
    /* a window name longer than the {{.window}} it replaces, 186 times: each
     * template fits, the query for that window does not */
    char many[2100] = "";
    for (int i = 0; i < 186; i++)
        strcat(many, "{{.window}}");
    snprintf(text, sizeof(text),
             "slos:\n- name: c\n  objective: 99\n  sli:\n    prometheus:\n"
             "      error_query: \"%s\"\n      total_query: t[{{.window}}]\n"
             "  alerting:\n    windows:\n"
             "      - {severity: page, long: 10d10h10m10s, short: 5m, factor: 2}\n",
             many);
    doc = ytree_load_string(text, strlen(text), "c.yaml", err, sizeof(err));
    CHECK(doc && slo_config_check_slos(ymap_get(ytree_root(doc), "slos"), err, sizeof(err)) < 0 &&
          strstr(err, "c.yaml:5: the error and total queries are too long: the ratio query for "
                      "window 10d10h10m10s"));
    ytree_free(doc);
    /* the same with 5m and 1h windows fits */
    snprintf(text, sizeof(text),
             "slos:\n- name: c\n  objective: 99\n  sli:\n    prometheus:\n"
             "      error_query: \"%s\"\n      total_query: t[{{.window}}]\n",
             many);
    doc = ytree_load_string(text, strlen(text), "c.yaml", err, sizeof(err));
    CHECK(doc && slo_config_check_slos(ymap_get(ytree_root(doc), "slos"), err, sizeof(err)) == 0);
    ytree_free(doc);
}

TEST(config_slos_section)
{
    const char *yaml = "slos:\n  - name: checkout\n    objective: 99.9\n    calendar: week\n"
                       "    sli:\n      counters: {errors: demo:c:errors_total, total: "
                       "demo:c:requests_total}\n"
                       "    alerting:\n      resolve_after: 10m\n      windows:\n"
                       "        - {severity: page, long: 1h, short: 5m, budget_percent: 2}\n"
                       "        - {severity: ticket, long: 6h, short: 30m, factor: 2}\n";
    char err[512] = "";
    struct ynode *doc = ytree_load_string(yaml, strlen(yaml), "c.yaml", err, sizeof(err));
    CHECK(doc != NULL);
    if (!doc)
        return;
    const struct ynode *s = ymap_get(ytree_root(doc), "slos");
    struct slo_spec_set set = {0};
    CHECK(slo_spec_load_config(&set, s, err, sizeof(err)) == 0);
    CHECK(set.n == 1 && set.items[0].period_kind == SLO_CALENDAR_WEEK);
    CHECK(set.items[0].policy.npairs == 2 && set.items[0].policy.resolve_after_ms == 600000);
    /* 2% of a week in 1h: 0.02 * 168 = 3.36 */
    CHECK_NEAR(set.items[0].policy.pairs[0].factor, 3.36, 1e-12);
    CHECK_NEAR(set.items[0].policy.pairs[1].factor, 2, 1e-12);
    slo_spec_free(&set);
    ytree_free(doc);
    const char *bad = "slos:\n  - name: x\n    objective: 99\n    sli: {counters: {errors: a}}\n";
    doc = ytree_load_string(bad, strlen(bad), "b.yaml", err, sizeof(err));
    CHECK(slo_config_check_slos(ymap_get(ytree_root(doc), "slos"), err, sizeof(err)) < 0);
    CHECK(strstr(err, "b.yaml:4:") && strstr(err, "total"));
    ytree_free(doc);
}

RUN_TESTS()
