/* `lookout nab`: streams each labelled Numenta Anomaly Benchmark series
 * through one of our detectors and writes NAB-format result rows
 * (timestamp,value,anomaly_score,label) to OUT/<detector>/<folder>/
 * <detector>_<file>.csv, for tests/nab_score.py to score. Also prints the
 * detector's cost: ns per sample and bytes per series. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/buf.h"
#include "cmd/commands.h"
#include "aiops/detect.h"
#include "base/timeparse.h"

#define NAB_MAX_FILE (64u << 20)

static void usage(FILE *f)
{
    fprintf(f, "usage: lookout nab --data DIR --labels FILE --detector NAME [--out DIR]\n"
               "                  [--param name=value ...]\n"
               "  DIR holds NAB's <folder>/<file>.csv series; FILE is combined_windows.json;\n"
               "  NAME is robust or rcf; results go to OUT (default ./results).\n");
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

struct nab_run {
    const char *detector;
    struct detect_params params;
    const char *out;
    uint64_t samples;
    double ns;
    size_t bytes;
    int files;
};

static double mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* cost measurement only, never state */
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static bool in_windows(const cJSON *wins, int64_t t)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, wins)
    {
        const cJSON *a = cJSON_GetArrayItem(w, 0), *b = cJSON_GetArrayItem(w, 1);
        if (!cJSON_IsString(a) || !cJSON_IsString(b))
            continue;
        int64_t lo = parse_time(a->valuestring), hi = parse_time(b->valuestring);
        if (t >= lo && t <= hi)
            return true;
    }
    return false;
}

/* Runs one file; -1 with a message on stderr. */
static int run_file(struct nab_run *r, const char *data, const char *rel, const cJSON *wins)
{
    char path[4096], outdir[4096], outpath[4096];
    snprintf(path, sizeof(path), "%s/%s", data, rel);
    size_t len;
    char *text = read_file(path, NAB_MAX_FILE, &len);
    if (!text) {
        fprintf(stderr, "lookout nab: %s: %s\n", path, strerror(errno));
        return -1;
    }
    const char *slash = strrchr(rel, '/');
    char folder[1024] = "";
    if (slash)
        snprintf(folder, sizeof(folder), "%.*s", (int)(slash - rel), rel);
    FILE *out = NULL;
    if (snprintf(outdir, sizeof(outdir), "%s/%s/%s", r->out, r->detector, folder) >=
            (int)sizeof(outdir) ||
        snprintf(outpath, sizeof(outpath), "%s/%s_%s", outdir, r->detector,
                 slash ? slash + 1 : rel) >= (int)sizeof(outpath)) {
        fprintf(stderr, "lookout nab: %s: path too long\n", rel);
        free(text);
        return -1;
    }
    if (mkdirs(outdir) < 0 || !(out = fopen(outpath, "w"))) {
        fprintf(stderr, "lookout nab: %s: %s\n", outpath, strerror(errno));
        free(text);
        return -1;
    }
    struct series_detector *d = series_detector_new(r->detector, &r->params);
    if (!d) {
        fprintf(stderr, "lookout nab: out of memory\n");
        fclose(out);
        free(text);
        return -1;
    }
    fprintf(out, "timestamp,value,anomaly_score,label\n");
    int line = 0, rc = 0;
    char *save = NULL;
    for (char *row = strtok_r(text, "\n", &save); row; row = strtok_r(NULL, "\n", &save)) {
        line++;
        size_t n = strlen(row);
        if (n && row[n - 1] == '\r')
            row[--n] = 0;
        if (line == 1 || !n)
            continue; /* header */
        char *comma = strchr(row, ',');
        char *end = NULL;
        if (comma)
            *comma = 0; /* the stamp alone: the parser takes the whole string */
        double v = comma ? strtod(comma + 1, &end) : 0;
        int64_t t = comma ? parse_time(row) : -1;
        if (!comma || t < 0 || end == comma + 1) {
            fprintf(stderr, "lookout nab: %s:%d: expected timestamp,value\n", path, line);
            rc = -1;
            break;
        }
        double t0 = mono_ns();
        double score = series_detector_update(d, t, v);
        r->ns += mono_ns() - t0;
        r->samples++;
        fprintf(out, "%s,%s,%.6f,%d\n", row, comma + 1, score, in_windows(wins, t) ? 1 : 0);
    }
    r->bytes = series_detector_memory(d);
    series_detector_free(d);
    if (fclose(out) != 0 && rc == 0) {
        fprintf(stderr, "lookout nab: %s: %s\n", outpath, strerror(errno));
        rc = -1;
    }
    free(text);
    r->files += rc == 0;
    return rc;
}

static cJSON *load_labels(const char *path)
{
    size_t len;
    char *text = read_file(path, NAB_MAX_FILE, &len);
    if (!text) {
        fprintf(stderr, "lookout nab: %s: %s\n", path, strerror(errno));
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

int cmd_nab(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, 0, 'd'},
        {"labels", required_argument, 0, 'l'},
        {"detector", required_argument, 0, 'D'},
        {"out", required_argument, 0, 'o'},
        {"param", required_argument, 0, 'p'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *data = NULL, *labels = NULL, *det = NULL, *out = "results";
    const char *params[32];
    int nparams = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'l':
            labels = optarg;
            break;
        case 'D':
            det = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'p':
            if (nparams < 32)
                params[nparams++] = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!data || !labels || !det || optind < argc) {
        usage(stderr);
        return 2;
    }
    struct nab_run r = {.detector = det, .out = out};
    int known = 0;
    for (int i = 0; detector_names[i]; i++)
        known |= strcmp(detector_names[i], det) == 0;
    if (!known) {
        fprintf(stderr, "lookout nab: unknown detector '%s' (robust, rcf, context)\n", det);
        return 2;
    }
    detect_default_params(&r.params, det);
    for (int i = 0; i < nparams; i++)
        if (detect_set_param(&r.params, params[i]) < 0) {
            fprintf(stderr, "lookout nab: bad --param '%s'\n", params[i]);
            return 2;
        }
    cJSON *lab = load_labels(labels);
    if (!lab)
        return 2;
    int rc = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, lab)
    {
        if (strstr(f->string, "..") || f->string[0] == '/') {
            fprintf(stderr, "lookout nab: %s: unsafe path '%s'\n", labels, f->string);
            rc = 1;
            continue;
        }
        if (run_file(&r, data, f->string, f) < 0)
            rc = 1;
    }
    cJSON_Delete(lab);
    printf("%s: %d files, %llu samples, %.0f ns/sample, %zu bytes/series\n", det, r.files,
           (unsigned long long)r.samples, r.samples ? r.ns / (double)r.samples : 0.0, r.bytes);
    return rc;
}
