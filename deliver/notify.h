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
 *    the writer of letter_id; FALSE with *err on failure (caller tempfails).
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

#endif
