/* Secrets in memory and on disk. secret_wipe() clears a token, key or
 * password so that the store survives optimisation (a memset before free is
 * a dead store the compiler may drop). secret_file_read() is the one reader
 * of a token/key/password file: it follows symlinks (Kubernetes mounts a
 * Secret as token -> ..data/token -> ..2024_01_01/token) and checks the
 * final regular file: private mode, owned by us or root, bounded size, one
 * line that can go into an HTTP header. Errors name the path, never the
 * value. */
#ifndef LOOKOUT_SECRET_H
#define LOOKOUT_SECRET_H

#include <stddef.h>

/* Largest secret file accepted by either reader. */
#define SECRET_FILE_MAX (64u << 10)

/* Skips the mode and owner checks (the rest still applies): the kubelet
 * mounts service-account tokens 0644 and kubectl reads any tokenFile. */
#define SECRET_ANY_OWNER_MODE 1u

void secret_wipe(void *p, size_t n);

/* Wipes strlen(s) bytes, then frees; NULL is fine. */
void secret_free(char *s);

/* The value of the secret file at path into out (NUL-terminated), one
 * trailing "\n" or "\r\n" removed. 0, or -1 with err ("PATH: what is
 * wrong; how to fix it") when the file is refused or the value does not fit
 * in outlen - 1 bytes. */
int secret_file_read(const char *path, char *out, size_t outlen, char *err, size_t errlen);

/* The same checks into a malloc'd string of at most max bytes (capped at
 * SECRET_FILE_MAX), for values a fixed buffer cannot hold; flags is 0 or
 * SECRET_ANY_OWNER_MODE. Release it with secret_free(). NULL with err. */
char *secret_file_load(const char *path, size_t max, unsigned flags, char *err, size_t errlen);

#endif
