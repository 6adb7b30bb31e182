/* One parameter of a request's query string (application/x-www-form-
 * urlencoded), decoded: what the small HTTP server's routes read their
 * arguments from. */
#ifndef LOOKOUT_URLQUERY_H
#define LOOKOUT_URLQUERY_H

#include <stddef.h>

/* The value of the first name=VALUE in query into out, '+' and %XX
 * decoded. 1 found, 0 absent, -1 when it is badly encoded, holds a NUL or
 * does not fit in outlen - 1 bytes (out is then ""). */
int url_query_get(const char *query, const char *name, char *out, size_t outlen);

#endif
