/* TLS trust for one upstream, as its config section writes it:
 *
 *   ca_file: ~/.config/lookout/corp-ca.pem     # a private CA (PEM bundle)
 *   cert_file: /etc/lookout/client.pem         # client certificate (mTLS)
 *   key_file: /etc/lookout/client.key          #   and its key (0600)
 *   insecure_skip_verify: false                # the only value accepted
 *
 * Verification is never turned off: a self-hosted GitLab behind a
 * corporate CA gets ca_file, not a switch. Without ca_file the process-wide
 * SSL_CERT_FILE / SSL_CERT_DIR (then CURL_CA_BUNDLE) are honoured, as curl
 * and OpenSSL users expect; else the system store. */
#ifndef LOOKOUT_BASE_TLS_H
#define LOOKOUT_BASE_TLS_H

#include <curl/curl.h>
#include <limits.h>
#include <stddef.h>

struct ynode;

struct tls_opts {
    char ca_file[PATH_MAX];   /* "": SSL_CERT_FILE, CURL_CA_BUNDLE, then the system */
    char cert_file[PATH_MAX]; /* "": no client certificate */
    char key_file[PATH_MAX];
};

/* The keys tls_config_read() reads, for a section's ycheck_keys list. */
#define TLS_CONFIG_KEYS "ca_file", "cert_file", "key_file", "insecure_skip_verify"

/* Reads and checks the TLS keys of section (NULL: none): paths expanded
 * (base/path.h), files readable, cert_file and key_file together,
 * insecure_skip_verify only false. 0, or -1 with "file:line: ..." in err. */
int tls_config_read(const struct ynode *section, struct tls_opts *t, char *err, size_t errlen);

/* Sets the trust of one transfer: t's files (t may be NULL), else the
 * environment's bundle. Called by http_start for every request. */
void tls_apply(CURL *easy, const struct tls_opts *t);

#endif
