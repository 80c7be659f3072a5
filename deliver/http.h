/*
 * deliver/http.h - the `http` partner (DESIGN.md "Partner HTTP API"): one
 * signed JSON POST per letter over a reused, TLS-verified connection.
 *
 * Contract:
 *  - partner_http_new() reads cfg->http_url and the secret from
 *    cfg->http_secret_file (config_read_secret). cfg is borrowed and must
 *    outlive the object. Plain http:// is accepted only for loopback hosts.
 *    NULL with *err on a bad configuration. One object per worker thread:
 *    it keeps one CURL easy handle, so connections are reused.
 *  - partner_http_new_raw() is the same without a configuration (tests,
 *    benchmark): url, secret and timeout given directly.
 *  - partner_http_deliver() renders partner_payload_json(cfg, letter,
 *    prisoner, TRUE) and posts it with partner_http_post().
 *  - partner_http_post() posts body with Content-Type: application/json,
 *    Idempotency-Key: <id>, X-Lettergate-Signature: sha256=<hex HMAC>.
 *    Returns LG_DELIVER_OK on 2xx (*ref_r = the "ref" or "id" string of a
 *    JSON answer when present, else NULL); LG_DELIVER_RETRY on network
 *    errors, timeouts, 408, 429, 5xx (and unexpected 1xx/3xx), with
 *    *retry_after_r = seconds from Retry-After (delta or HTTP-date) or 0;
 *    LG_DELIVER_PERMANENT on other 4xx. *error_r gets a short log-safe
 *    description (never body text) on failure, caller frees. Output
 *    pointers may be NULL.
 *  - http_signature() returns "sha256=<64 hex>" (new string).
 *  - http_classify() maps an HTTP status (0 = no answer) to a status.
 *  - http_retry_after() parses a Retry-After value; seconds from now,
 *    0 when absent or unparsable, never negative.
 */
#ifndef LG_HTTP_H
#define LG_HTTP_H

#include <glib.h>
#include "conf/config.h"
#include "deliver/partner.h"
#include "store/store.h"

typedef struct partner_http partner_http;

partner_http *partner_http_new(const lg_config *cfg, GError **err);
partner_http *partner_http_new_raw(const char *url, const char *secret, int timeout_ms,
                                   GError **err);
void partner_http_free(partner_http **h);

lg_deliver_status partner_http_deliver(partner_http *h, const lg_letter_rec *letter,
                                       const lg_prisoner *prisoner, char **ref_r,
                                       gint64 *retry_after_r, char **error_r);
lg_deliver_status partner_http_post(partner_http *h, const char *id, const char *body, size_t len,
                                    char **ref_r, gint64 *retry_after_r, char **error_r);

char *http_signature(const char *secret, const void *body, size_t len);
lg_deliver_status http_classify(long status);
gint64 http_retry_after(const char *value, gint64 now);

#endif
