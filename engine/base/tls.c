/* TLS trust per upstream; see tls.h. */
#include "base/tls.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/path.h"
#include "base/yaml_tree.h"

/* One path key: expanded and readable now, so a typo fails at start and
 * not at the first request. */
static int read_file_key(const struct ynode *sec, const char *key, char *out, size_t outlen,
                         char *err, size_t errlen)
{
    int rc = yget_path(sec, key, out, outlen, err, errlen);
    if (rc == 1 && access(out, R_OK) != 0)
        return yerr(ymap_get(sec, key), err, errlen, "%s %s: %s", key, out, strerror(errno));
    return rc < 0 ? -1 : 0;
}

int tls_config_read(const struct ynode *sec, struct tls_opts *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    if (!sec)
        return 0;
    bool insecure = false;
    if (yget_bool(sec, "insecure_skip_verify", &insecure, err, errlen) < 0)
        return -1;
    if (insecure)
        return yerr(ymap_get(sec, "insecure_skip_verify"), err, errlen,
                    "insecure_skip_verify: true is not supported: TLS is always verified; give "
                    "the server's CA as ca_file");
    if (read_file_key(sec, "ca_file", t->ca_file, sizeof(t->ca_file), err, errlen) < 0 ||
        read_file_key(sec, "cert_file", t->cert_file, sizeof(t->cert_file), err, errlen) < 0 ||
        read_file_key(sec, "key_file", t->key_file, sizeof(t->key_file), err, errlen) < 0)
        return -1;
    if (!t->cert_file[0] != !t->key_file[0])
        return yerr(sec, err, errlen, "cert_file and key_file go together");
    return 0;
}

/* The first of these set in the environment, or NULL. */
static const char *env_first(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (v && *v)
        return v;
    v = b ? getenv(b) : NULL;
    return v && *v ? v : NULL;
}

void tls_apply(CURL *e, const struct tls_opts *t)
{
    const char *ca = t && t->ca_file[0] ? t->ca_file : env_first("SSL_CERT_FILE", "CURL_CA_BUNDLE");
    const char *dir = t && t->ca_file[0] ? NULL : env_first("SSL_CERT_DIR", NULL);
    if (ca)
        curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    if (dir)
        curl_easy_setopt(e, CURLOPT_CAPATH, dir);
    if (t && t->cert_file[0]) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, t->cert_file);
        curl_easy_setopt(e, CURLOPT_SSLKEY, t->key_file);
    }
}
