/*
 * deliver/partner.h - hand one stored letter to the electronic-letter
 * partner: spool folder (JSON + text + photos [+ PDF]), HTTP API, or SMTP.
 *
 * Contract:
 *  - partner_new() builds the configured partner (cfg->partner); NULL with
 *    *err on a bad configuration (missing URL, unreadable secret).
 *    A partner may be used by one delivery worker thread at a time; the
 *    worker makes one per thread.
 *  - partner_deliver() returns
 *      LG_DELIVER_OK         the partner has the letter (*ref_r may be set);
 *      LG_DELIVER_RETRY      temporary (network, 408, 429, 5xx, disk);
 *                            *retry_after_r > 0 when the partner said when;
 *      LG_DELIVER_PERMANENT  other 4xx, bad letter: shown to moderators.
 *    *error_r gets a short log-safe description on failure (caller frees).
 *  - partner_payload_json() renders the DESIGN.md HTTP body for a letter
 *    (also the spool partner's <id>.json). New string.
 *  - partner_print_text() renders the letter as printed: prisoner's full
 *    name, birth year and facility; the text; the writer's name.
 */
#ifndef LG_PARTNER_H
#define LG_PARTNER_H

#include <glib.h>
#include "conf/config.h"
#include "store/store.h"

typedef enum {
	LG_DELIVER_OK = 0,
	LG_DELIVER_RETRY,
	LG_DELIVER_PERMANENT,
} lg_deliver_status;

typedef struct lg_partner lg_partner;

lg_partner *partner_new(const lg_config *cfg, GError **err);
void partner_free(lg_partner **p);
lg_deliver_status partner_deliver(lg_partner *p, const lg_letter_rec *letter,
                                  const lg_prisoner *prisoner, char **ref_r, gint64 *retry_after_r,
                                  char **error_r);

char *partner_payload_json(const lg_config *cfg, const lg_letter_rec *letter,
                           const lg_prisoner *prisoner, gboolean with_photo_data);
char *partner_print_text(const lg_letter_rec *letter, const lg_prisoner *prisoner);

/* The signed reply address for a letter: reply+<id>.<hmac16>@<domain>. */
char *partner_reply_address(const lg_config *cfg, const char *letter_id);

#endif
