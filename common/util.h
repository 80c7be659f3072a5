/*
 * common/util.h - small helpers shared by every module.
 *
 * Contract: every function returning char* returns a new string the caller
 * g_free()s; none returns NULL unless stated.
 */
#ifndef LG_UTIL_H
#define LG_UTIL_H

#include <glib.h>
#include <stddef.h>

/* Lower-case hex SHA-256 of data (64 chars). */
char *util_sha256_hex(const void *data, size_t len);
/* SHA-256 in pieces: _new(), _update() any number of times, then
 * _finish_hex() returns the lower-case hex digest and frees the state. NULL
 * from _new() only when OpenSSL has no SHA-256 (then _update and
 * _finish_hex accept NULL, the digest being ""). */
typedef struct util_sha256 util_sha256;
util_sha256 *util_sha256_new(void);
void util_sha256_update(util_sha256 *h, const void *data, size_t len);
char *util_sha256_finish_hex(util_sha256 *h);
/* HMAC-SHA256 of data with key, lower-case hex. */
char *util_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len);
/* Constant-time comparison of two strings; FALSE when lengths differ. */
gboolean util_str_equal_ct(const char *a, const char *b);
/* Printable ASCII only, other bytes as '?', cut at max bytes with "...". For logs. */
char *util_sanitize(const char *s, size_t max);
/* New letter id: 16 lower-case hex characters, the first 6 the time in
 * seconds (modulo 2^24, about 194 days: ids made close in time sort
 * together, so the indexes keyed by letter id grow at one end instead of at
 * a random page each), the last 10 (40 bits) from the system CSPRNG. */
char *util_new_id(void);
/* Unix time in seconds. Honours LG_FAKE_NOW (tests) when set. */
gint64 util_now(void);
/* Write data to path atomically: temp file in the same folder, fsync, rename.
 * FALSE with *err on failure (the temp file is removed). */
gboolean util_write_file_atomic(const char *path, const void *data, size_t len, int mode,
                                GError **err);
/* Valid UTF-8 copy of s (invalid bytes -> U+FFFD, NULs dropped). */
char *util_utf8_repair(const char *s, gssize len);
/* Address in lower case without <> and surrounding spaces. */
char *util_addr_normalize(const char *addr);
/* Local part and domain of an address; either may be "" */
void util_addr_split(const char *addr, char **local_r, char **domain_r);

#endif
