/*
 * store/store.h - SQLite: prisoner directory, letters, photos, outbox, state
 * history, translation cache, quotas.
 *
 * Contract:
 *  - store_open() opens (creating if needed) the database in WAL mode and
 *    migrates its schema (PRAGMA user_version). Returns NULL with *err on
 *    failure. A store is safe to use from many threads (one connection
 *    behind a mutex; busy timeout set). store_close() sets the pointer NULL.
 *  - Every statement is prepared; outside input is only ever bound.
 *  - Functions returning gboolean return FALSE with *err set on a database
 *    error (LG_STORE_ERROR, code LG_STORE_ERR_BUSY/IO/FULL/OTHER) and the
 *    transaction rolled back: nothing half-stored.
 *  - Returned structs and arrays are new; the caller frees them with the
 *    matching _free (arrays carry their free functions).
 */
#ifndef LG_STORE_H
#define LG_STORE_H

#include <glib.h>
#include "policy/letter.h"

typedef struct lg_store lg_store;

typedef enum {
	LG_STORE_ERR_BUSY = 1,
	LG_STORE_ERR_FULL,
	LG_STORE_ERR_IO,
	LG_STORE_ERR_CONSTRAINT,
	LG_STORE_ERR_NOTFOUND,
	LG_STORE_ERR_OTHER,
} lg_store_errc;

#define LG_STORE_ERROR (lg_store_error_quark())
GQuark lg_store_error_quark(void);

typedef struct lg_prisoner {
	char *alias;
	char *full_name;
	int birth_year;
	char *region;
	char *facility;
	char *status; /* active | released | transferred | deceased */
} lg_prisoner;

void prisoner_free(lg_prisoner *p);
gboolean prisoner_status_valid(const char *status);

/* A letter row as stored. Text fields may be NULL after retention purge. */
typedef struct lg_letter_rec {
	char *id;
	char *state;
	char *queue_id;
	char *message_id;
	char *dedup_key;
	char *writer_name;
	char *writer_addr;
	char *prisoner;
	char *rcpt;
	char *lang;
	gboolean translated;
	char *backend;
	char *subject;
	char *text_original;
	char *text_ru;
	char *findings_json; /* JSON array, as in check output */
	char *dropped_json;  /* JSON array */
	char *categories;    /* comma list */
	double score;
	int pages;
	char *text_hash;     /* sha256 of the normalised original text */
	char *org;
	char *batch;
	char *reason;        /* moderator's or partner's reason */
	gboolean notify;     /* writer authenticated: notifications may go */
	char *reply_to;      /* signed reply+token address */
	gint64 created;
	gint64 updated;
	int attempts;
	gint64 next_attempt;
	char *last_error;
	GPtrArray *photos;   /* lg_photo*, filled by store_letter_get(with_photos) */
} lg_letter_rec;

lg_letter_rec *letter_rec_new(void);
void letter_rec_free(lg_letter_rec *r);

lg_store *store_open(const char *path, GError **err);
void store_close(lg_store **st);
const char *store_path(const lg_store *st);

/* Prisoners */
lg_prisoner *store_prisoner_get(lg_store *st, const char *alias, GError **err); /* NULL + no err when unknown */
gboolean store_prisoner_upsert(lg_store *st, const lg_prisoner *p, GError **err);
gboolean store_prisoner_set_status(lg_store *st, const char *alias, const char *status,
				   const char *facility, GError **err);
GPtrArray *store_prisoner_list(lg_store *st, GError **err); /* lg_prisoner* */
/* Import many in one transaction (all or nothing). */
gboolean store_prisoner_import(lg_store *st, GPtrArray *prisoners, GError **err);
/* Extra alias -> prisoner alias (issue 8). */
gboolean store_alias_add(lg_store *st, const char *extra, const char *alias, GError **err);
/* Active prisoner with the fewest letters in `days` days, ties at random. NULL when none. */
char *store_prisoner_least_written(lg_store *st, int days, GError **err);

/* Letters: commit all letters of one message in one transaction. Each letter
 * gets its photos and a history row; letters in state "approved" also get an
 * outbox row. A dedup_key already present makes the whole commit a no-op that
 * returns TRUE with *duplicate_r set (a retried message). */
gboolean store_letters_commit(lg_store *st, GPtrArray *recs, gboolean *duplicate_r, GError **err);
gboolean store_dedup_exists(lg_store *st, const char *dedup_key, GError **err);
lg_letter_rec *store_letter_get(lg_store *st, const char *id, gboolean with_photos, GError **err);
GPtrArray *store_letter_list(lg_store *st, const char *state, int limit, GError **err);
gboolean store_letter_set_state(lg_store *st, const char *id, const char *state,
				const char *actor, const char *reason, GError **err);
gboolean store_letter_set_text_ru(lg_store *st, const char *id, const char *text_ru,
				  const char *actor, GError **err);
/* History rows as JSON array string. */
char *store_letter_history_json(lg_store *st, const char *id, GError **err);

/* Outbox: claim up to `max` letters due now, mark them "sent"-in-progress
 * with a lease; finish with delivered/failed/retry. */
GPtrArray *store_outbox_claim(lg_store *st, int max, int lease_seconds, GError **err);
gboolean store_outbox_done(lg_store *st, const char *id, const char *state, const char *partner_ref,
			   const char *error, GError **err);
gboolean store_outbox_retry(lg_store *st, const char *id, gint64 next_attempt, const char *error,
			    GError **err);
int store_outbox_pending(lg_store *st, GError **err);

/* Translation cache */
char *store_cache_get(lg_store *st, const char *backend, const char *src, const char *dst,
		      const char *sha256, GError **err); /* NULL when absent */
gboolean store_cache_put(lg_store *st, const char *backend, const char *src, const char *dst,
			 const char *sha256, const char *text, GError **err);

/* Counts for quotas and duplicates since `since` (unix seconds). NULL
 * arguments match anything. Rejected letters do not count. */
int store_count_letters(lg_store *st, const char *writer, const char *prisoner, gint64 since,
			GError **err);
int store_count_photos(lg_store *st, gint64 since, GError **err);
gboolean store_text_sent(lg_store *st, const char *writer, const char *prisoner,
			 const char *text_hash, gint64 since, GError **err);

/* Generic escape hatch for modules with their own tables: run fn(db, data)
 * inside the store's lock. */
struct sqlite3;
gboolean store_with_db(lg_store *st, gboolean (*fn)(struct sqlite3 *db, gpointer data, GError **err),
		       gpointer data, GError **err);

#endif
