/* base/secret: the secret-file reader's checks (mode, owner, symlinks to the
 * final target, file type, size, one header-safe line) and that no error
 * message carries the secret. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/secret.h"
#include "test.h"

#define SECRET "s3cret-VALUE"

static char dir[] = "/tmp/lookout-secret-test-XXXXXX";

static const char *at(const char *name)
{
    static char paths[8][256];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

/* Writes len bytes (NULs allowed) with the given mode; returns the path. */
static const char *put(const char *name, const char *text, size_t len, mode_t mode)
{
    const char *p = at(name);
    unlink(p);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(write(fd, text, len) == (ssize_t)len);
        close(fd);
    }
    CHECK(chmod(p, mode) == 0);
    return p;
}

static const char *puts_file(const char *name, const char *text, mode_t mode)
{
    return put(name, text, strlen(text), mode);
}

/* Reads path expecting a refusal whose message has want and not the secret. */
static void refused(const char *path, const char *want)
{
    char out[256] = "", err[1024] = "";
    CHECK(secret_file_read(path, out, sizeof(out), err, sizeof(err)) < 0);
    CHECK(out[0] == '\0');
    if (!strstr(err, want))
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err, want);
    CHECK(strstr(err, want) != NULL);
    CHECK(strstr(err, path) != NULL);
    CHECK(strstr(err, SECRET) == NULL);
}

static void accepted(const char *path, const char *want)
{
    char out[256] = "", err[1024] = "";
    int rc = secret_file_read(path, out, sizeof(out), err, sizeof(err));
    if (rc < 0)
        fprintf(stderr, "  refused: %s\n", err);
    CHECK(rc == 0);
    CHECK_STR(out, want);
}

TEST(mode_0600_and_0400_accepted)
{
    accepted(puts_file("t600", SECRET "\n", 0600), SECRET);
    accepted(puts_file("t400", SECRET, 0400), SECRET);
}

TEST(group_or_other_bits_refused)
{
    const char *p = puts_file("t644", SECRET "\n", 0644);
    refused(p, "mode 0644");
    refused(p, "chmod 600");
    refused(puts_file("t620", SECRET, 0620), "mode 0620"); /* writable by the group */
    refused(puts_file("t604", SECRET, 0604), "mode 0604");
}

TEST(any_owner_mode_flag_skips_only_those_checks)
{
    char err[512];
    char *s = secret_file_load(puts_file("k644", SECRET "\n", 0644), 1024, SECRET_ANY_OWNER_MODE,
                               err, sizeof(err));
    CHECK(s && strcmp(s, SECRET) == 0);
    secret_free(s);
    CHECK(!secret_file_load(puts_file("k644e", "", 0644), 1024, SECRET_ANY_OWNER_MODE, err,
                            sizeof(err)));
    CHECK(strstr(err, "empty") != NULL);
}

/* The layout of a Kubernetes Secret volume. */
TEST(symlink_chain_to_private_file_accepted)
{
    char d[300];
    snprintf(d, sizeof(d), "%s/..2024_01_01", dir);
    CHECK(mkdir(d, 0700) == 0);
    puts_file("..2024_01_01/token", SECRET "\n", 0600);
    CHECK(symlink("..2024_01_01", at("..data")) == 0);
    CHECK(symlink("..data/token", at("token")) == 0);
    accepted(at("token"), SECRET);
}

TEST(symlink_to_public_file_refused_on_target)
{
    puts_file("pub", SECRET, 0644);
    CHECK(symlink("pub", at("pub-link")) == 0);
    refused(at("pub-link"), "mode 0644");
    refused(at("pub-link"), at("pub")); /* names where the link led */
}

TEST(dangling_symlink_and_missing_file_refused)
{
    CHECK(symlink("nowhere", at("dangling")) == 0);
    refused(at("dangling"), "No such file");
    refused(at("missing"), "No such file");
}

TEST(directory_fifo_and_device_refused)
{
    char d[300];
    snprintf(d, sizeof(d), "%s/adir", dir);
    CHECK(mkdir(d, 0700) == 0);
    refused(d, "directory");
    CHECK(mkfifo(at("fifo"), 0600) == 0);
    refused(at("fifo"), "not a regular file"); /* and does not block */
    refused("/dev/null", "not a regular file");
}

TEST(owner_must_be_us_or_root)
{
    if (geteuid() != 0) {
        printf("skip owner refusal: needs root to chown\n");
        return;
    }
    const char *p = puts_file("theirs", SECRET, 0600);
    CHECK(chown(p, 12345, 12345) == 0);
    refused(p, "owned by uid 12345");
    CHECK(chown(p, 0, 0) == 0);
    accepted(p, SECRET);
}

TEST(empty_values_refused)
{
    refused(puts_file("empty", "", 0600), "empty");
    refused(puts_file("nl", "\n", 0600), "empty");
    refused(puts_file("crlf", "\r\n", 0600), "empty");
}

TEST(one_trailing_line_end_stripped)
{
    accepted(puts_file("lf", SECRET "\n", 0600), SECRET);
    accepted(puts_file("crlf2", SECRET "\r\n", 0600), SECRET);
    accepted(puts_file("sp", " " SECRET " \n", 0600), " " SECRET " "); /* only the line end */
    refused(puts_file("twolf", SECRET "\n\n", 0600), "CR or LF");
}

TEST(line_breaks_and_nul_inside_refused)
{
    refused(puts_file("mid-lf", "s3cret\nVALUE", 0600), "CR or LF");
    refused(puts_file("mid-cr", "s3cret\rVALUE", 0600), "CR or LF");
    refused(puts_file("two-lines", SECRET "\nsecond\n", 0600), "one line");
    refused(put("nul", "s3cret\0VALUE", 12, 0600), "NUL");
}

TEST(size_caps)
{
    char out[8], err[512];
    /* 7 bytes fit an 8-byte buffer, 8 do not */
    CHECK(secret_file_read(puts_file("seven", "1234567\n", 0600), out, sizeof(out), err,
                           sizeof(err)) == 0);
    CHECK_STR(out, "1234567");
    CHECK(secret_file_read(puts_file("eight", "12345678", 0600), out, sizeof(out), err,
                           sizeof(err)) < 0);
    CHECK(strstr(err, "longer than 7 bytes") != NULL);
    CHECK(secret_file_read(puts_file("big", "123456789012345", 0600), out, sizeof(out), err,
                           sizeof(err)) < 0);
    CHECK(strstr(err, "at most 7 bytes") != NULL);
    /* the load variant caps at SECRET_FILE_MAX whatever the caller asks */
    size_t n = SECRET_FILE_MAX + 10;
    char *huge = malloc(n);
    CHECK(huge != NULL);
    if (!huge)
        return;
    memset(huge, 'x', n);
    CHECK(!secret_file_load(put("huge", huge, n, 0600), n * 2, 0, err, sizeof(err)));
    CHECK(strstr(err, "at most") != NULL);
    free(huge);
}

TEST(wipe_and_free)
{
    char b[16];
    memset(b, 'x', sizeof(b));
    secret_wipe(b, sizeof(b));
    for (size_t i = 0; i < sizeof(b); i++)
        CHECK(b[i] == 0);
    secret_wipe(NULL, 4); /* no-ops */
    secret_free(NULL);
}

static void cleanup(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

int main(int argc, char **argv)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    umask(077);
    int rc = run_tests(argc > 1 ? argv[1] : NULL);
    cleanup();
    return rc;
}
