/*
 * deliver/smtp.h - the `smtp` partner: each letter as one clean MIME
 * message to the partner's address, over libcurl SMTP.
 *
 * The message (smtp_letter_mime): From cfg->smtp_from (default
 * lettergate@<domain>), To cfg->smtp_to, Reply-To the signed reply address
 * (never the writer's), Message-ID <letter id>@<domain> (the same on every
 * attempt, so the partner can drop doubles), X-Lettergate-Letter: <id>;
 * multipart/mixed of the letter as printed (text/plain, UTF-8), the partner
 * JSON without photo data (letter.json), and each photo as an attachment.
 *
 * Transport: smtp://host[:port] uses STARTTLS, required unless the host is
 * loopback (then tried); smtps:// is TLS from the start; certificates are
 * verified. Credentials may be given in the URL. One CURL handle per object
 * (one per worker thread): the connection is reused between letters.
 *
 * Contract:
 *  - partner_smtp_new(): NULL with *err without smtp_url/smtp_to or with a
 *    URL that is not smtp:// or smtps://. cfg is borrowed and must outlive it.
 *  - partner_smtp_deliver(): LG_DELIVER_OK when the server accepted the
 *    message (*ref_r = its Message-ID); LG_DELIVER_PERMANENT on a 5xx reply;
 *    LG_DELIVER_RETRY on 4xx and network/TLS errors. *error_r as partner.h.
 *  - smtp_letter_mime(): the message as a new string (CRLF line ends).
 */
#ifndef LG_SMTP_H
#define LG_SMTP_H

#include <glib.h>
#include "conf/config.h"
#include "deliver/partner.h"
#include "store/store.h"

typedef struct partner_smtp partner_smtp;

partner_smtp *partner_smtp_new(const lg_config *cfg, GError **err);
void partner_smtp_free(partner_smtp **s);
lg_deliver_status partner_smtp_deliver(partner_smtp *s, const lg_letter_rec *letter,
                                       const lg_prisoner *prisoner, char **ref_r,
                                       gint64 *retry_after_r, char **error_r);
char *smtp_letter_mime(const lg_config *cfg, const lg_letter_rec *letter,
                       const lg_prisoner *prisoner);

#endif
