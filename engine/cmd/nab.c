/* `lookout nab`: streams each labelled Numenta Anomaly Benchmark series
 * through one of our detectors and writes NAB-format result rows
 * (timestamp,value,anomaly_score,label) to OUT/<detector>/<folder>/
 * <detector>_<file>.csv, for tests/nab_score.py to score. Also prints the
 * detector's cost: ns per sample and bytes per series.
 *
 * Every input is checked before anything is written (a bad row, a window
 * that does not fall on the data, a missing file are exit 2 with file:line
 * and the quoted text), so a score is never computed from half a corpus;
 * if writing fails midway, the files already written are removed. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aiops/detect.h"
#include "base/buf.h"
#include "base/textsafe.h"
#include "base/timeparse.h"
#include "cmd/commands.h"

#define NAB_MAX_FILE (64u << 20)
#define NAB_QUOTE    60 /* bytes of a bad row quoted in an error */

static void usage(FILE *f)
{
    fprintf(f, "usage: lookout nab --data DIR --labels FILE --detector NAME [--out DIR]\n"
               "                  [--folders a,b] [--lenient-times] [--param name=value ...]\n"
               "  DIR holds NAB's <folder>/<file>.csv series; FILE is combined_windows.json\n"
               "  (--folders keeps only its entries in those folders); results go to OUT\n"
               "  (default ./results). Exit 2 on any bad input; nothing is written then.\n"
               "  Time stamps must increase; --lenient-times lets duplicate and backward ones\n"
               "  through, counted on stderr (NAB's own files repeat a DST hour).\n"
               "detectors:\n");
    for (int i = 0; detector_names[i]; i++)
        fprintf(f, "  %-8s %s\n", detector_names[i], detector_summary(detector_names[i]));
    fprintf(f, "parameters (--param name=value; \"all\" = every detector's likelihood stage):\n");
    const char *det, *help, *name;
    for (size_t i = 0; (name = detect_param_info(i, &det, &help)); i++)
        fprintf(f, "  %-15s %-8s %s\n", name, det, help);
}

/* The valid names after an unknown one, so nobody has to read the source. */
static void list_params(void)
{
    fprintf(stderr, "valid parameters:");
    const char *name;
    for (size_t i = 0; (name = detect_param_info(i, NULL, NULL)); i++)
        fprintf(stderr, " %s", name);
    fprintf(stderr, "\n(see lookout nab --help)\n");
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    if (!STR_COPY(tmp, path))
        return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) to ms; -1 when malformed. */
static int64_t parse_time(const char *s)
{
    int64_t ms;
    return time_parse_utc_naive(s, &ms, NULL, 0) == 0 ? ms : -1;
}

/* One bad row: file:line and the text, quoted and made safe to print. */
static void row_error(const char *path, int line, const char *text, const char *why)
{
    char q[NAB_QUOTE * 4 + 8];
    ts_sanitize(text, strnlen(text, NAB_QUOTE), q, sizeof(q), true);
    fprintf(stderr, "lookout nab: %s:%d: %s: \"%s\"%s\n", path, line, why, q,
            strlen(text) > NAB_QUOTE ? "..." : "");
}

/* A series read and checked: rows point into text. */
struct series {
    char *text;
    char **stamp, **value; /* per row, NUL-terminated in text */
    int64_t *t;
    double *v;
    unsigned char *label;
    int n;
    int quirks; /* duplicate or backward time stamps let through by --lenient-times */
};

static void series_free(struct series *s)
{
    free(s->text);
    free(s->stamp);
    free(s->value);
    free(s->t);
    free(s->v);
    free(s->label);
    memset(s, 0, sizeof(*s));
}

/* Parses one data row in place; 0, or -1 with the error printed. */
static bool lenient_times; /* --lenient-times */

static int parse_row(struct series *s, const char *path, int line, char *row)
{
    char copy[NAB_QUOTE + 1];
    snprintf(copy, sizeof(copy), "%s", row);
    char *comma = strchr(row, ',');
    if (!comma) {
        row_error(path, line, copy, "expected timestamp,value");
        return -1;
    }
    *comma = 0;
    int64_t t = parse_time(row);
    if (t < 0) {
        row_error(path, line, copy, "bad timestamp");
        return -1;
    }
    char *end;
    errno = 0;
    double v = strtod(comma + 1, &end);
    if (end == comma + 1 || *end || errno == ERANGE || !isfinite(v)) {
        row_error(path, line, copy, "expected a finite number after the comma");
        return -1;
    }
    if (s->n > 0 && t <= s->t[s->n - 1] && lenient_times) {
        s->quirks++;
    } else if (s->n > 0 && t <= s->t[s->n - 1]) {
        row_error(path, line, copy,
                  t == s->t[s->n - 1]
                      ? "duplicate timestamp (--lenient-times lets it through, counted)"
                      : "timestamp before the previous row (--lenient-times lets it through)");
        return -1;
    }
    s->stamp[s->n] = row;
    s->value[s->n] = comma + 1;
    s->t[s->n] = t;
    s->v[s->n] = v;
    s->n++;
    return 0;
}

static int series_alloc(struct series *s, size_t rows)
{
    s->stamp = calloc(rows, sizeof(*s->stamp));
    s->value = calloc(rows, sizeof(*s->value));
    s->t = calloc(rows, sizeof(*s->t));
    s->v = calloc(rows, sizeof(*s->v));
    s->label = calloc(rows, 1);
    return s->stamp && s->value && s->t && s->v && s->label ? 0 : -1;
}

/* Reads and checks a whole CSV; 0, or -1 with the error printed. */
static int series_read(struct series *s, const char *path)
{
    size_t len;
    memset(s, 0, sizeof(*s));
    if (!(s->text = read_file(path, NAB_MAX_FILE, &len))) {
        fprintf(stderr, "lookout nab: %s: %s\n", path, strerror(errno ? errno : EIO));
        return -1;
    }
    if (memchr(s->text, 0, len)) {
        fprintf(stderr, "lookout nab: %s: a NUL byte in the file\n", path);
        return -1;
    }
    size_t rows = 1;
    for (size_t i = 0; i < len; i++)
        rows += s->text[i] == '\n';
    if (series_alloc(s, rows) < 0) {
        fprintf(stderr, "lookout nab: %s: out of memory\n", path);
        return -1;
    }
    int line = 0;
    char *next = s->text;
    while (next && *next) {
        char *row = next;
        char *nl = strchr(row, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = 0;
        size_t n = strlen(row);
        if (n && row[n - 1] == '\r')
            row[--n] = 0;
        if (++line == 1) {
            if (strcmp(row, "timestamp,value") != 0) {
                row_error(path, line, row, "expected the header timestamp,value");
                return -1;
            }
            continue;
        }
        if (!n && !next)
            break; /* the final newline */
        if (parse_row(s, path, line, row) < 0)
            return -1;
    }
    if (line == 0 || s->n == 0) {
        fprintf(stderr, "lookout nab: %s:%d: %s\n", path, line ? line : 1,
                line ? "a header and no data rows" : "empty file");
        return -1;
    }
    if (s->quirks)
        fprintf(stderr, "lookout nab: %s: %d duplicate or backward time stamps accepted\n", path,
                s->quirks);
    return 0;
}

/* Marks the rows inside the file's windows; each window's limits are
 * parsed once and both must be a row's time stamp (NAB's windows are row
 * ranges). */
static int label_rows(struct series *s, const char *labels, const char *rel, const cJSON *wins)
{
    if (!cJSON_IsArray(wins)) {
        fprintf(stderr, "lookout nab: %s: \"%s\": expected a list of windows\n", labels, rel);
        return -1;
    }
    const cJSON *w;
    cJSON_ArrayForEach(w, wins)
    {
        const cJSON *a = cJSON_GetArrayItem(w, 0), *b = cJSON_GetArrayItem(w, 1);
        int64_t lo = cJSON_IsString(a) ? parse_time(a->valuestring) : -1;
        int64_t hi = cJSON_IsString(b) ? parse_time(b->valuestring) : -1;
        if (cJSON_GetArraySize(w) != 2 || lo < 0 || hi < lo) {
            fprintf(stderr, "lookout nab: %s: \"%s\": a window is not [start, end]\n", labels, rel);
            return -1;
        }
        bool has_lo = false, has_hi = false;
        for (int i = 0; i < s->n; i++) {
            has_lo |= s->t[i] == lo;
            has_hi |= s->t[i] == hi;
            if (s->t[i] >= lo && s->t[i] <= hi)
                s->label[i] = 1;
        }
        if (!has_lo || !has_hi) {
            fprintf(stderr,
                    "lookout nab: %s: \"%s\": window \"%s\" .. \"%s\" does not fall on the "
                    "data's rows\n",
                    labels, rel, a->valuestring, b->valuestring);
            return -1;
        }
    }
    return 0;
}

struct nab_run {
    const char *detector;
    struct detect_params params;
    const char *out;
    uint64_t samples;
    double ns;
    size_t bytes;
    int files;
    char **written; /* output paths, removed again on failure */
    int nwritten;
};

static double mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* cost measurement only, never state */
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int out_path(const struct nab_run *r, const char *rel, char *dir, char *path, size_t len)
{
    const char *slash = strrchr(rel, '/');
    int fl = slash ? (int)(slash - rel) : 0;
    if (snprintf(dir, len, "%s/%s/%.*s", r->out, r->detector, fl, rel) >= (int)len ||
        snprintf(path, len, "%s/%s_%s", dir, r->detector, slash ? slash + 1 : rel) >= (int)len) {
        fprintf(stderr, "lookout nab: %s: path too long\n", rel);
        return -1;
    }
    return 0;
}

/* Streams one checked series through the detector into its result file. */
static int run_series(struct nab_run *r, const char *rel, const struct series *s)
{
    char dir[4096], path[4096];
    if (out_path(r, rel, dir, path, sizeof(path)) < 0)
        return -1;
    FILE *out = NULL;
    if (mkdirs(dir) < 0 || !(out = fopen(path, "w"))) {
        fprintf(stderr, "lookout nab: %s: %s\n", path, strerror(errno));
        return -1;
    }
    r->written[r->nwritten++] = strdup(path);
    struct series_detector *d = series_detector_new(r->detector, &r->params);
    if (!d) {
        fprintf(stderr, "lookout nab: out of memory\n");
        fclose(out);
        return -1;
    }
    fprintf(out, "timestamp,value,anomaly_score,label\n");
    for (int i = 0; i < s->n; i++) {
        double t0 = mono_ns();
        double score = series_detector_update(d, s->t[i], s->v[i]);
        r->ns += mono_ns() - t0;
        fprintf(out, "%s,%s,%.6f,%d\n", s->stamp[i], s->value[i], score, s->label[i]);
    }
    r->samples += (uint64_t)s->n;
    r->bytes = series_detector_memory(d);
    series_detector_free(d);
    if (ferror(out) | (fclose(out) != 0)) {
        fprintf(stderr, "lookout nab: %s: write failed\n", path);
        return -1;
    }
    r->files++;
    return 0;
}

static cJSON *load_labels(const char *path)
{
    size_t len;
    char *text = read_file(path, NAB_MAX_FILE, &len);
    if (!text) {
        fprintf(stderr, "lookout nab: %s: %s\n", path, strerror(errno ? errno : EIO));
        return NULL;
    }
    cJSON *j = cJSON_ParseWithLength(text, len);
    free(text);
    if (!cJSON_IsObject(j)) {
        fprintf(stderr, "lookout nab: %s: expected a JSON object of file -> windows\n", path);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* "a,b": is rel's folder one of them? NULL keeps everything. */
static bool folder_wanted(const char *folders, const char *rel)
{
    if (!folders)
        return true;
    const char *slash = strchr(rel, '/');
    size_t n = slash ? (size_t)(slash - rel) : 0;
    for (const char *p = folders; *p;) {
        const char *c = strchr(p, ',');
        size_t m = c ? (size_t)(c - p) : strlen(p);
        if (m == n && n && strncmp(p, rel, n) == 0)
            return true;
        p += m + (c ? 1 : 0);
    }
    return false;
}

/* Every folder named in --folders has at least one labelled file. */
static int check_folders(const char *folders, const char *labels, const cJSON *lab)
{
    for (const char *p = folders; p && *p;) {
        const char *c = strchr(p, ',');
        int m = (int)(c ? (size_t)(c - p) : strlen(p));
        bool found = false;
        const cJSON *f;
        cJSON_ArrayForEach(f, lab) found |=
            m > 0 && strncmp(f->string, p, (size_t)m) == 0 && f->string[m] == '/';
        if (!found) {
            fprintf(stderr, "lookout nab: %s: no labelled file in folder \"%.*s\"\n", labels, m, p);
            return -1;
        }
        p += m + (c ? 1 : 0);
    }
    return 0;
}

struct nab_args {
    const char *data, *labels, *det, *out, *folders;
    const char **params;
    int nparams;
};

/* 0, 1 (help shown) or 2 (usage error). */
static int parse_args(int argc, char **argv, struct nab_args *a)
{
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'},
        {"labels", required_argument, 0, 'l'},
        {"detector", required_argument, 0, 'D'},
        {"out", required_argument, 0, 'o'},
        {"param", required_argument, 0, 'p'},
        {"folders", required_argument, 0, 'f'},
        {"lenient-times", no_argument, 0, 'L'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    optind = 1;
    lenient_times = false;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->data = optarg;
            break;
        case 'l':
            a->labels = optarg;
            break;
        case 'D':
            a->det = optarg;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'f':
            a->folders = optarg;
            break;
        case 'L':
            lenient_times = true;
            break;
        case 'p':
            a->params[a->nparams++] = optarg; /* sized for argc: none is dropped */
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!a->data || !a->labels || !a->det || optind < argc) {
        usage(stderr);
        return 2;
    }
    return 0;
}

static int setup_run(const struct nab_args *a, struct nab_run *r)
{
    r->detector = a->det;
    r->out = a->out;
    if (!detector_summary(a->det)) {
        fprintf(stderr, "lookout nab: unknown detector \"%s\"; valid:", a->det);
        for (int i = 0; detector_names[i]; i++)
            fprintf(stderr, " %s", detector_names[i]);
        fprintf(stderr, "\n");
        return -1;
    }
    detect_default_params(&r->params, a->det);
    for (int i = 0; i < a->nparams; i++) {
        if (detect_set_param(&r->params, a->params[i]) == 0)
            continue;
        const char *eq = strchr(a->params[i], '=');
        int n = eq ? (int)(eq - a->params[i]) : (int)strlen(a->params[i]);
        bool known = false;
        const char *name;
        for (size_t j = 0; (name = detect_param_info(j, NULL, NULL)); j++)
            known |= (int)strlen(name) == n && strncmp(name, a->params[i], (size_t)n) == 0;
        if (known) {
            fprintf(stderr, "lookout nab: --param \"%s\": expected name=number\n", a->params[i]);
        } else {
            fprintf(stderr, "lookout nab: --param \"%s\": unknown parameter\n", a->params[i]);
            list_params();
        }
        return -1;
    }
    return 0;
}

/* The labelled files to run, read and checked; -1 on the first bad one. */
static int load_all(const struct nab_args *a, const cJSON *lab, const cJSON **entry,
                    struct series *ser, int *n)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, lab)
    {
        if (!folder_wanted(a->folders, f->string))
            continue;
        if (strstr(f->string, "..") || f->string[0] == '/') {
            fprintf(stderr, "lookout nab: %s: unsafe path \"%s\"\n", a->labels, f->string);
            return -1;
        }
        char path[4096];
        if (snprintf(path, sizeof(path), "%s/%s", a->data, f->string) >= (int)sizeof(path)) {
            fprintf(stderr, "lookout nab: %s: path too long\n", f->string);
            return -1;
        }
        entry[*n] = f;
        int rc = series_read(&ser[*n], path);
        (*n)++;
        if (rc < 0 || label_rows(&ser[*n - 1], a->labels, f->string, f) < 0)
            return -1;
    }
    return 0;
}

/* Removes what a failed run wrote (directories only when left empty). */
static void undo(struct nab_run *r)
{
    for (int i = 0; i < r->nwritten; i++) {
        if (!r->written[i])
            continue;
        unlink(r->written[i]);
        char *slash = strrchr(r->written[i], '/');
        for (int up = 0; up < 2 && slash; up++) {
            *slash = 0;
            rmdir(r->written[i]);
            slash = strrchr(r->written[i], '/');
        }
    }
}

static int run_all(struct nab_args *a, struct nab_run *r, cJSON *lab)
{
    int total = cJSON_GetArraySize(lab), n = 0, rc = 0;
    const cJSON **entry = calloc((size_t)total + 1, sizeof(*entry));
    struct series *ser = calloc((size_t)total + 1, sizeof(*ser));
    r->written = calloc((size_t)total + 1, sizeof(*r->written));
    if (!entry || !ser || !r->written) {
        fprintf(stderr, "lookout nab: out of memory\n");
        rc = 2;
    } else if (load_all(a, lab, entry, ser, &n) < 0) {
        rc = 2;
    } else if (n == 0) {
        fprintf(stderr, "lookout nab: %s: no labelled file to run\n", a->labels);
        rc = 2;
    }
    for (int i = 0; rc == 0 && i < n; i++)
        if (run_series(r, entry[i]->string, &ser[i]) < 0)
            rc = 1;
    if (rc != 0)
        undo(r);
    for (int i = 0; i < n; i++)
        series_free(&ser[i]);
    for (int i = 0; r->written && i < r->nwritten; i++)
        free(r->written[i]);
    free(r->written);
    free(ser);
    free(entry);
    return rc;
}

int cmd_nab(int argc, char **argv)
{
    struct nab_args a = {.out = "results"};
    a.params = calloc((size_t)argc + 1, sizeof(*a.params));
    if (!a.params)
        return 1;
    int rc = parse_args(argc, argv, &a);
    if (rc == 1) {
        free(a.params);
        return 0; /* --help */
    }
    struct nab_run r = {0};
    cJSON *lab = NULL;
    if (rc == 0 && setup_run(&a, &r) < 0)
        rc = 2;
    if (rc == 0 && !(lab = load_labels(a.labels)))
        rc = 2;
    if (rc == 0 && a.folders && check_folders(a.folders, a.labels, lab) < 0)
        rc = 2;
    if (rc == 0)
        rc = run_all(&a, &r, lab);
    cJSON_Delete(lab);
    free(a.params);
    if (rc == 0)
        printf("%s: %d files, %llu samples, %.0f ns/sample, %zu bytes/series\n", a.det, r.files,
               (unsigned long long)r.samples, r.samples ? r.ns / (double)r.samples : 0.0, r.bytes);
    return rc;
}
