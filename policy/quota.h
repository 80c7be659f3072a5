/*
 * policy/quota.h - daily quotas and the "already sent" rule, counted in
 * SQLite (the letters table), plus the letters of the message at hand that
 * are not stored yet (a tally).
 *
 * Quotas ([quota] and [organizations] in lettergate.conf; 0 = no limit),
 * each over the 24 hours before `now`; rejected letters never count:
 *   writer_day           letters from one writer address (letters an
 *                        organisation submitted do not count for the writer)
 *   writer_prisoner_day  the same, to one prisoner
 *   prisoner_day         letters to one prisoner, from anyone
 *   letters_day          every letter through the gateway
 *   photos_day           every photo through the gateway
 *   org quota_day        letters one organisation submitted (instead of the
 *                        two writer quotas for its letters)
 * Over a quota the letter is refused with 451 4.7.1 and the reply says when
 * the quota resets: the oldest letter counted + 24 h (UTC), or now + 24 h
 * when only letters of this message count.
 * The same text (text_hash: normalised, see pipeline.c) from the same
 * writer to the same prisoner within duplicate_days -> 550 5.7.1 "already
 * sent". For an organisation's letter the writer is the organisation and
 * the inner From's display name.
 *
 * Contract:
 *  - quota_check() fills *r (clear it with quota_result_clear()); returns
 *    FALSE with *err only on database trouble (caller: 451 4.3.0).
 *  - quota_tally_add() counts a letter the message will store.
 *  - quota_reset_text() formats a reset time: "2025-03-01 14:05 UTC" (new).
 */
#ifndef LG_QUOTA_H
#define LG_QUOTA_H

#include <glib.h>
#include "conf/config.h"
#include "store/store.h"

typedef struct lg_quota_tally lg_quota_tally;

typedef struct lg_quota_item {
	const char *writer; /* writer address, "" when none */
	const char *writer_name;
	const char *prisoner;  /* alias */
	const char *org;       /* organisation identity, NULL for individuals */
	const char *text_hash; /* NULL or "": no duplicate check */
	int photos;
} lg_quota_item;

typedef enum {
	LG_QUOTA_OK = 0,
	LG_QUOTA_OVER,      /* 451 4.7.1 */
	LG_QUOTA_DUPLICATE, /* 550 5.7.1 */
} lg_quota_status;

typedef struct lg_quota_result {
	lg_quota_status status;
	const char *limit_name; /* "writer_day", ..., "org_day"; NULL when OK */
	int limit;
	int count;
	gint64 reset_at; /* unix seconds, 0 when OK */
	char *en;        /* reply line in English, NULL when OK */
	char *ru;
} lg_quota_result;

lg_quota_tally *quota_tally_new(void);
void quota_tally_free(lg_quota_tally **t);
void quota_tally_add(lg_quota_tally *t, const lg_quota_item *it);
/* Letters of this message to `prisoner` counted so far. */
int quota_tally_prisoner(const lg_quota_tally *t, const char *prisoner);

gboolean quota_check(const lg_config *cfg, lg_store *st, const lg_quota_tally *t,
                     const lg_quota_item *it, gint64 now, lg_quota_result *r, GError **err);
void quota_result_clear(lg_quota_result *r);
char *quota_reset_text(gint64 t);

#endif
