/*
 * deliver/status.h - status reports from the partner: delivered, censored
 * (with the partner's reason), reply.
 *
 * Two ways, both configurable, both may run at once:
 *  - a small HTTP listener (libmicrohttpd) on cfg->status_listen
 *    ("127.0.0.1:8025", "[::1]:8025"): POST /partner/status with a JSON body
 *    {"id": "<letter id>", "status": "delivered|censored|reply",
 *    "reason": "..."} and X-Lettergate-Signature: sha256=<hex HMAC-SHA256 of
 *    the body with the http_secret_file secret>, checked in constant time.
 *    Answers 200 applied (or already applied), 400 bad body, 401 bad
 *    signature, 404 unknown letter, 409 letter in a state the partner cannot
 *    know of (held, rejected), 413 body over 64 KiB, 503 database trouble
 *    (the partner retries).
 *  - a poller: every cfg->poll_seconds, GET cfg->status_poll_url; the answer
 *    is a JSON array of the same objects, signed the same way in an
 *    X-Lettergate-Signature response header. Unsigned answers are ignored.
 *
 * Applying a report: delivered and censored set the letter's state
 * (store_letter_set_state, actor "partner", the reason kept) and notify the
 * writer (notify_letter_state); a repeated report changes nothing; reply
 * only notifies. Reports are idempotent, so the partner may resend freely.
 *
 * Contract:
 *  - status_start() takes a reference on cfg; st is borrowed and must
 *    outlive the object. Starts what is configured (maybe nothing). NULL
 *    with *err when the address cannot be bound, the secret is unreadable.
 *  - status_stop() stops both, waits for their threads, sets *s NULL.
 *  - status_apply() applies one signed report; returns the HTTP status
 *    code it would answer; *error_r (may be NULL) gets a log-safe reason.
 *  - status_poll_once() runs one poll; returns reports applied, -1 on
 *    failure (logged).
 */
#ifndef LG_STATUS_H
#define LG_STATUS_H

#include <glib.h>
#include "conf/config.h"
#include "store/store.h"

typedef struct lg_status lg_status;

lg_status *status_start(lg_config *cfg, lg_store *st, GError **err);
void status_stop(lg_status **s);
/* The port actually bound (":0" binds any free port; for tests). */
int status_port(const lg_status *s);

int status_apply(const lg_config *cfg, lg_store *st, const char *secret, const char *body,
                 size_t len, const char *signature, char **error_r);
int status_poll_once(lg_status *s);

#endif
