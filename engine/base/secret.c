/* Secret wiping and the one secret-file reader; see secret.h. The checks run
 * on the file actually opened (fstat on the descriptor), so a path swapped
 * between resolving and opening cannot slip a different file through. */
#include "base/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void secret_wipe(void *p, size_t n)
{
    /* explicit_bzero: a store the compiler must keep even when the memory
     * is freed or goes out of scope right after. */
    if (p && n)
        explicit_bzero(p, n);
}

void secret_free(char *s)
{
    if (s)
        secret_wipe(s, strlen(s));
    free(s);
}

/* A file only its owner (us or root) can read or write. */
static int check_access(const char *path, const char *name, const struct stat *st, char *err,
                        size_t errlen)
{
    if (st->st_mode & 077) {
        snprintf(err, errlen,
                 "%s: mode %04o: must not be readable or writable by group or others "
                 "(0600 or 0400); chmod 600 %s",
                 name, (unsigned)(st->st_mode & 07777), path);
        return -1;
    }
    uid_t me = geteuid();
    if (st->st_uid != me && st->st_uid != 0) {
        snprintf(err, errlen,
                 "%s: owned by uid %u: must be owned by this user (uid %u) or root; chown %u %s",
                 name, (unsigned)st->st_uid, (unsigned)me, (unsigned)me, path);
        return -1;
    }
    return 0;
}

static int check_stat(const char *path, const char *name, const struct stat *st, unsigned flags,
                      size_t max, char *err, size_t errlen)
{
    if (S_ISDIR(st->st_mode)) {
        snprintf(err, errlen, "%s: is a directory; name the file that holds the secret", name);
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (a FIFO, socket or device)", name);
        return -1;
    }
    if (!(flags & SECRET_ANY_OWNER_MODE) && check_access(path, name, st, err, errlen) < 0)
        return -1;
    if ((size_t)st->st_size > max + 2) { /* the value and a CR LF */
        snprintf(err, errlen, "%s: %lld bytes: a secret here is at most %zu bytes", name,
                 (long long)st->st_size, max);
        return -1;
    }
    return 0;
}

/* Opens the final target of path after the checks; its name for messages
 * says where the symlinks led. -1 with err. */
static int open_target(const char *path, unsigned flags, size_t max, char *name, size_t namelen,
                       char *err, size_t errlen)
{
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(path, real) || stat(real, &st) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (strcmp(real, path) != 0)
        snprintf(name, namelen, "%s (-> %s)", path, real);
    else
        snprintf(name, namelen, "%s", path);
    /* Checked before open too: opening a FIFO or device can block or act. */
    if (check_stat(path, name, &st, flags, max, err, errlen) < 0)
        return -1;
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: %s", name, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (check_stat(path, name, &st, flags, max, err, errlen) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads up to cap bytes; returns how many, cap + 1 when there is more, or
 * -1 with errno. */
static ssize_t read_all(int fd, char *b, size_t cap)
{
    size_t n = 0;
    while (n <= cap) {
        ssize_t r = read(fd, b + n, cap + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    return (ssize_t)n;
}

/* One line that can go into an HTTP header: the line end goes, nothing
 * else may break the header. */
static int check_value(const char *name, char *b, size_t *len, size_t max, char *err, size_t errlen)
{
    size_t n = *len;
    if (n && b[n - 1] == '\n')
        n--;
    if (n && b[n - 1] == '\r')
        n--;
    b[n] = '\0';
    *len = n;
    if (n == 0) {
        snprintf(err, errlen, "%s: empty", name);
        return -1;
    }
    if (n > max) {
        snprintf(err, errlen, "%s: the value is longer than %zu bytes", name, max);
        return -1;
    }
    if (memchr(b, '\0', n) || memchr(b, '\r', n) || memchr(b, '\n', n)) {
        snprintf(err, errlen,
                 "%s: a NUL, CR or LF inside the value; the file must hold one line (it goes "
                 "into an HTTP header)",
                 name);
        return -1;
    }
    return 0;
}

char *secret_file_load(const char *path, size_t max, unsigned flags, char *err, size_t errlen)
{
    char name[2 * PATH_MAX + 8];
    if (max > SECRET_FILE_MAX)
        max = SECRET_FILE_MAX;
    int fd = open_target(path, flags, max, name, sizeof(name), err, errlen);
    if (fd < 0)
        return NULL;
    size_t cap = max + 2;
    char *b = malloc(cap + 2);
    ssize_t got = b ? read_all(fd, b, cap) : -1;
    int saved = errno;
    close(fd);
    if (got < 0) {
        snprintf(err, errlen, "%s: %s", name, b ? strerror(saved) : "out of memory");
        free(b);
        return NULL;
    }
    size_t len = (size_t)got;
    if (len > cap) {
        snprintf(err, errlen, "%s: grew past %zu bytes while read", name, max);
    } else if (check_value(name, b, &len, max, err, errlen) == 0) {
        return b;
    }
    secret_wipe(b, cap + 2);
    free(b);
    return NULL;
}

int secret_file_read(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
    if (outlen < 2) {
        snprintf(err, errlen, "%s: no room for a secret", path);
        return -1;
    }
    char *s = secret_file_load(path, outlen - 1, 0, err, errlen);
    if (!s)
        return -1;
    memcpy(out, s, strlen(s) + 1);
    secret_free(s);
    return 0;
}
