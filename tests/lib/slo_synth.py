"""Synthetic counters with a known error profile, for the SLO tests.

One sample per 60 s for 80 h from T0 = 2024-01-01T00:00:00Z, counters from 0.
myservice: 6000 requests/min; errors/min 3 (h 0-72, burn 0.5 at 99.9%),
180 (h 72-73, burn 30), 3 (h 73-76), 60 (h 76-80, burn 10).
idlesvc never moves (its ratios are 0/0 = NaN: no data).
calsvc spans a month boundary, for the calendar SLOs: one sample per 60 s
from 2023-12-30T12:00Z for 48 h, 6000 requests/min, errors/min 600 on
2023-12-31 06:00-08:00 (10 %, in December only) and 3 otherwise (burn 0.5).
"""

T0 = 1704067200
STEP = 60
HOURS = 80


def errors_per_min(minute):
    h = minute / 60
    if 72 <= h < 73:
        return 180
    if 76 <= h < 80:
        return 60
    return 3


def counters(t0, hours, errors):
    """Yields (t, ok_total, err_total): 6000 requests a minute from t0 for
    hours, errors(minute) of them failing."""
    ok = err = 0
    for m in range(hours * 60 + 1):
        yield t0 + m * STEP, ok, err
        e = errors(m)
        err += e
        ok += 6000 - e


def series():
    """Yields (t, ok_total, err_total) for myservice."""
    return counters(T0, HOURS, errors_per_min)


CAL_T0 = T0 - 36 * 3600
CAL_HOURS = 48


def cal_errors_per_min(minute):
    return 600 if 18 * 60 <= minute < 20 * 60 else 3


def cal_series():
    """Yields (t, ok_total, err_total) for calsvc."""
    return counters(CAL_T0, CAL_HOURS, cal_errors_per_min)


def write_openmetrics(path):
    with open(path, "w") as f:
        f.write("# TYPE http_requests counter\n")
        rows = list(series())
        for code, idx in (("200", 1), ("500", 2)):
            for r in rows:
                f.write('http_requests_total{job="myservice",code="%s"} %d %d\n' % (code, r[idx], r[0]))
        for r in rows:
            f.write('http_requests_total{job="idlesvc",code="200"} 0 %d\n' % r[0])
        cal = list(cal_series())
        for code, idx in (("200", 1), ("500", 2)):
            for r in cal:
                f.write('http_requests_total{job="calsvc",code="%s"} %d %d\n' % (code, r[idx], r[0]))
        f.write("# EOF\n")


SLOTH_SPEC = """version: "prometheus/v1"
service: "myservice"
labels:
  owner: "sre"
slos:
  - name: "requests-availability"
    objective: 99.9
    description: "Common SLO based on availability for HTTP request responses."
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="myservice",code=~"(5..|429)"}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="myservice"}[{{.window}}]))
    alerting:
      name: MyServiceHighErrorRate
      page_alert:
        labels:
          severity: pageteam
      ticket_alert:
        labels:
          severity: slack
"""

OPENSLO_SPEC = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: idlesvc-availability
spec:
  service: idlesvc
  description: a service without traffic
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 30d
      isRolling: true
  objectives:
    - displayName: good
      target: 0.99
  indicator:
    metadata:
      name: idle-ratio
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{job="idlesvc",code="200"}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{job="idlesvc"}
"""

# calendar SLOs (the month and the ISO week to date) over calsvc
CAL_SLO = """apiVersion: openslo/v1
kind: SLO
metadata:
  name: calsvc-%(name)s
spec:
  service: calsvc
  budgetingMethod: Occurrences
  timeWindow:
    - duration: %(duration)s
      isRolling: false
  objectives:
    - target: 0.999
  indicator:
    metadata:
      name: calsvc-errors-%(name)s
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total{job="calsvc",code="500"}[{{.window}}]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(http_requests_total{job="calsvc"}[{{.window}}]))
"""
CAL_SPEC = CAL_SLO % {"name": "month", "duration": "1M"} + "---\n" + \
    CAL_SLO % {"name": "week", "duration": "1w"}
