/*
 * deliver/notify.h - RFC 3834 notifications to writers, and replies from
 * prisoners carried back through reply+<token>@<domain>.
 *
 * Contract:
 *  - notify_writer_trusted(): TRUE when the message's writer is authenticated
 *    (Authentication-Results from cfg->authserv_id with dmarc=pass, or
 *    dkim/spf pass for the From domain, or cfg->trusted_writers matches) and
 *    the message is not automatic or list mail (RFC 3834 section 2).
 *  - notify_letter_state(): sends (through cfg->sendmail) at most one
 *    notification per letter and state; a no-op when notifications are off
 *    or the letter's writer is not trusted. Never fails the caller: trouble
 *    is logged and the notification retried later by the delivery worker.
 *    States: accepted, held, approved, rejected, delivered, censored, failed.
 *  - reply_letter_id(): for a recipient reply+<token>@<domain>, the letter id
 *    when the token verifies (new string), NULL otherwise.
 *  - reply_forward(): forwards a prisoner's reply (the whole MIME message) to
 *    the writer of letter_id; FALSE with *err on failure: LG_REPLY_ERROR /
 *    LG_REPLY_ERR_EXPIRED when the letter or its writer's address is gone
 *    (caller answers 550 5.7.1), anything else is temporary (caller
 *    tempfails). A reply with the same Message-ID is forwarded once.
 *  - reply_token(): "<id>.<hmac16>" for a letter id, HMAC-SHA256 keyed with
 *    cfg->reply_secret_file; NULL when no secret is configured or readable.
 *    New string.
 *  - notify_retry_pending(): resends notifications whose sending failed
 *    (at most `max`, each tried up to 10 times); returns how many went out.
 *    The delivery worker calls it now and then.
 *  - notify_message_build(): the notification for a letter and state as an
 *    RFC 5322 message (new string), without sending it. For tests and
 *    `lettergatectl`; NULL when the letter is unknown.
 *  - notify_auth_trusted(): the Authentication-Results part of the trust
 *    decision, for one header value and a From domain.
 */
#ifndef LG_NOTIFY_H
#define LG_NOTIFY_H

#include <glib.h>
#include <gmime/gmime.h>
#include "conf/config.h"
#include "parser/message.h"
#include "store/store.h"

gboolean notify_writer_trusted(const lg_config *cfg, const lg_message *msg);
void notify_letter_state(const lg_config *cfg, lg_store *st, const char *letter_id,
                         const char *state, const char *reason);
char *reply_letter_id(const lg_config *cfg, const char *rcpt);
gboolean reply_forward(const lg_config *cfg, lg_store *st, const char *letter_id,
                       GMimeStream *message, GError **err);

char *reply_token(const lg_config *cfg, const char *id);
int notify_retry_pending(const lg_config *cfg, lg_store *st, int max);
char *notify_message_build(const lg_config *cfg, lg_store *st, const char *letter_id,
                           const char *state, const char *reason);
gboolean notify_auth_trusted(const char *authserv_id, const char *auth_results,
                             const char *from_domain);

typedef enum {
	LG_REPLY_ERR_EXPIRED = 1,
	LG_REPLY_ERR_TEMP,
} lg_reply_errc;

#define LG_REPLY_ERROR (lg_reply_error_quark())
GQuark lg_reply_error_quark(void);

#endif
