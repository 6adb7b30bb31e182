/* Recall and precision of the redaction rules on a labelled corpus of
 * realistic SRE lines (tests/fixtures/redaction/corpus.tsv, synthetic
 * secrets). A must-redact line counts as recalled when its secret is gone;
 * a redaction counts as correct when it hit a must-redact line, removed the
 * secret and left the text around the secret in place. Prints a per-type
 * table (docs/security.md quotes it) and holds recall >= 0.98 and
 * precision >= 0.95; also proves the trigger prefilter exact on the corpus. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/redact.h"
#include "test.h"

#define MAX_TYPES 40

struct tally {
    char type[48];
    int lines;    /* must-redact lines of this type */
    int recalled; /* secret gone */
    int fired;    /* lines where this rule redacted something */
    int correct;  /* ... and the redaction was right */
};

static struct tally tallies[MAX_TYPES];
static int ntallies;

static struct tally *tally(const char *type)
{
    for (int i = 0; i < ntallies; i++)
        if (strcmp(tallies[i].type, type) == 0)
            return &tallies[i];
    if (ntallies == MAX_TYPES)
        return &tallies[MAX_TYPES - 1];
    struct tally *t = &tallies[ntallies++];
    snprintf(t->type, sizeof(t->type), "%s", type);
    return t;
}

/* The text before and after the secret both survive (prefix and suffix). */
static bool no_collateral(const char *line, const char *secret, const char *out)
{
    const char *at = strstr(line, secret);
    if (!at)
        return false;
    size_t pre = (size_t)(at - line), post = strlen(at + strlen(secret));
    size_t olen = strlen(out);
    return strncmp(out, line, pre) == 0 && olen >= post &&
           strcmp(out + olen - post, at + strlen(secret)) == 0;
}

static void fired_rules(const char *out, bool good)
{
    static const char mark[] = "<REDACTED:";
    char seen[8][48];
    int nseen = 0;
    for (const char *p = strstr(out, mark); p; p = strstr(p + 1, mark)) {
        const char *end = strchr(p, '>');
        if (!end)
            break;
        char name[48];
        snprintf(name, sizeof(name), "%.*s", (int)(end - p - (sizeof(mark) - 1)),
                 p + sizeof(mark) - 1);
        bool dup = false;
        for (int i = 0; i < nseen; i++)
            dup |= strcmp(seen[i], name) == 0;
        if (dup || nseen == 8)
            continue;
        snprintf(seen[nseen++], sizeof(seen[0]), "%s", name);
        struct tally *t = tally(name);
        t->fired++;
        t->correct += good;
    }
}

TEST(corpus_recall_and_precision)
{
    const char *path = getenv("REDACT_CORPUS");
    if (!path)
        path = "tests/fixtures/redaction/corpus.tsv";
    size_t len;
    char *text = read_file(path, 1 << 22, &len);
    CHECK(text != NULL);
    if (!text)
        return;
    char err[200];
    struct redactor *r = redactor_new(err, sizeof(err)), *every = redactor_new(err, sizeof(err));
    CHECK(r && every);
    if (!r || !every) {
        free(text);
        return;
    }
    redactor_set_prefilter(every, false);
    int must = 0, recalled = 0, fired = 0, correct = 0, keep_lines = 0, inexact = 0;
    for (char *save = NULL, *ln = strtok_r(text, "\n", &save); ln;
         ln = strtok_r(NULL, "\n", &save)) {
        if (ln[0] == '#')
            continue;
        char *label = ln, *type = strchr(label, '\t');
        char *secret = type ? strchr(type + 1, '\t') : NULL;
        char *line = secret ? strchr(secret + 1, '\t') : NULL;
        if (!line)
            continue;
        *type++ = 0, *secret++ = 0, *line++ = 0;
        struct buf out = {0}, full = {0};
        int spans = redact_text(r, line, strlen(line), &out, NULL);
        redact_text(every, line, strlen(line), &full, NULL);
        if (strcmp(buf_cstr(&out), buf_cstr(&full)) != 0) {
            fprintf(stderr, "  prefilter changed: %s\n", line);
            inexact++;
        }
        bool redact = strcmp(label, "redact") == 0;
        bool gone = redact && !strstr(buf_cstr(&out), secret);
        bool good = gone && no_collateral(line, secret, buf_cstr(&out));
        if (redact) {
            struct tally *t = tally(type);
            must++, t->lines++;
            recalled += gone, t->recalled += gone;
            if (!gone)
                fprintf(stderr, "  missed %s: %s\n", type, line);
            else if (!good)
                fprintf(stderr, "  collateral %s: %s -> %s\n", type, line, buf_cstr(&out));
        } else {
            keep_lines++;
            if (spans)
                fprintf(stderr, "  false hit: %s -> %s\n", line, buf_cstr(&out));
        }
        if (spans) {
            fired++;
            correct += good;
            fired_rules(buf_cstr(&out), good);
        }
        buf_free(&out);
        buf_free(&full);
    }
    printf("  %-16s %6s %7s %9s\n", "type", "lines", "recall", "precision");
    for (int i = 0; i < ntallies; i++) {
        struct tally *t = &tallies[i];
        char rec[16] = "-", prec[16] = "-";
        if (t->lines)
            snprintf(rec, sizeof(rec), "%.3f", (double)t->recalled / t->lines);
        if (t->fired)
            snprintf(prec, sizeof(prec), "%.3f", (double)t->correct / t->fired);
        printf("  %-16s %6d %7s %9s\n", t->type, t->lines, rec, prec);
    }
    double recall = must ? (double)recalled / must : 0,
           precision = fired ? (double)correct / fired : 0;
    printf("  all: %d must-redact, %d must-keep lines; recall %.3f, precision %.3f\n", must,
           keep_lines, recall, precision);
    CHECK(must >= 200 && keep_lines >= 100);
    CHECK(recall >= 0.98);
    CHECK(precision >= 0.95);
    CHECK(inexact == 0);
    redactor_free(r);
    redactor_free(every);
    free(text);
}

RUN_TESTS()
