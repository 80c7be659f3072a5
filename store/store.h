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
	char *status;         /* active | released | transferred | deceased */
	char **extra_aliases; /* NULL or NULL-terminated; from the CSV "aliases" column */
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
	char *text_hash; /* sha256 of the normalised original text */
	char *org;
	char *batch;
	char *reason;    /* moderator's or partner's reason */
	gboolean notify; /* writer authenticated: notifications may go */
	char *reply_to;  /* signed reply+token address */
	gint64 created;
	gint64 updated;
	int attempts;
	gint64 next_attempt;
	char *last_error;
	GPtrArray *photos; /* lg_photo*, filled by store_letter_get(with_photos) */
	gint64 purged;     /* when retention removed the texts and photos, 0 = never */
} lg_letter_rec;

/* An organisation's batch (issue 8): one message carrying many letters. */
typedef struct lg_batch_rec {
	const char *id;
	const char *org;       /* organisation identity (policy/org.h) */
	const char *submitter; /* address the batch report goes to */
	const char *message_id;
	const char *queue_id;
	int letters;
	gint64 created; /* 0 = now */
} lg_batch_rec;

lg_letter_rec *letter_rec_new(void);
void letter_rec_free(lg_letter_rec *r);

lg_store *store_open(const char *path, GError **err);
void store_close(lg_store **st);
const char *store_path(const lg_store *st);

/* Prisoners */
lg_prisoner *store_prisoner_get(lg_store *st, const char *alias,
                                GError **err); /* NULL + no err when unknown */
gboolean store_prisoner_upsert(lg_store *st, const lg_prisoner *p, GError **err);
gboolean store_prisoner_set_status(lg_store *st, const char *alias, const char *status,
                                   const char *facility, GError **err);
GPtrArray *store_prisoner_list(lg_store *st, GError **err); /* lg_prisoner* */
/* Import many in one transaction (all or nothing), with each prisoner's
 * extra_aliases (added when free, never moved from another prisoner). */
gboolean store_prisoner_import(lg_store *st, GPtrArray *prisoners, GError **err);
/* Extra alias -> prisoner alias (issue 8). Aliases are stored and looked up
 * by their key (store/translit.h: translit_alias_key, so Cyrillic addresses
 * match case-insensitively). store_alias_add() moves an existing extra alias
 * to `alias`; FALSE (LG_STORE_ERR_CONSTRAINT) when extra is some prisoner's
 * own alias, LG_STORE_ERR_NOTFOUND when `alias` is unknown.
 * store_alias_add_free() adds it only when nobody has it (*added_r). */
gboolean store_alias_add(lg_store *st, const char *extra, const char *alias, GError **err);
gboolean store_alias_add_free(lg_store *st, const char *extra, const char *alias, gboolean *added_r,
                              GError **err);
/* The prisoner alias that `extra` reaches (own or extra alias), NULL when free. */
char *store_alias_owner(lg_store *st, const char *extra, GError **err);
/* Extra aliases of a prisoner (char*), NULL on error. */
GPtrArray *store_alias_list(lg_store *st, const char *alias, GError **err);
/* Alias of the prisoner with this exact full name and birth year, or NULL. */
char *store_prisoner_find(lg_store *st, const char *full_name, int birth_year, GError **err);
/* Letters of the prisoner still held or queued; -1 on error. */
int store_prisoner_pending(lg_store *st, const char *alias, GError **err);
/* What a new status does to the prisoner's letters, in one transaction:
 * released/deceased: held and queued letters become failed (out of the
 * outbox), their ids in *failed_r; transferred: queued letters not being
 * handed over right now go back to held (a moderator re-approves them once
 * the new facility is in), ids in *held_r; active: nothing. Arrays are new
 * (char*) when TRUE is returned. The caller notifies the writers. */
gboolean store_prisoner_status_effect(lg_store *st, const char *alias, const char *status,
                                      const char *actor, GPtrArray **failed_r, GPtrArray **held_r,
                                      GError **err);
/* Active prisoners -> letters (not rejected) since `since`, as
 * GINT_TO_POINTER counts keyed by alias. NULL on error. */
GHashTable *store_prisoner_letter_counts(lg_store *st, gint64 since, GError **err);
/* Active prisoner with the fewest letters in `days` days, ties at random. NULL when none. */
char *store_prisoner_least_written(lg_store *st, int days, GError **err);

/* Letters: commit all letters of one message in one transaction. Each letter
 * gets its photos and a history row; letters in state "approved" also get an
 * outbox row. A dedup_key already present makes the whole commit a no-op that
 * returns TRUE with *duplicate_r set (a retried message). */
gboolean store_letters_commit(lg_store *st, GPtrArray *recs, gboolean *duplicate_r, GError **err);
/* The same with a batch row in the same transaction (batch may be NULL).
 * Letters in state "rejected" are stored too (for the batch report). */
gboolean store_batch_commit(lg_store *st, const lg_batch_rec *batch, GPtrArray *recs,
                            gboolean *duplicate_r, GError **err);
gboolean store_dedup_exists(lg_store *st, const char *dedup_key, GError **err);

/* The calling thread's lookups on st from store_read_begin() to
 * store_read_end() share one read transaction on one lookup connection: one
 * snapshot of the database, whose pages are read once, where each lookup
 * alone would start its own (a commit in between makes a new one read its
 * pages again). Only for a few lookups in a row, with nothing slow or any
 * write of st in between: the connection is this thread's until the end.
 * No nesting; both do nothing for an in-memory database or a NULL st. */
void store_read_begin(lg_store *st);
void store_read_end(lg_store *st);
/* Lookup connections open now (none for an in-memory database), for tests
 * and diagnostics. */
guint store_lookup_connections(lg_store *st);
lg_letter_rec *store_letter_get(lg_store *st, const char *id, gboolean with_photos, GError **err);
GPtrArray *store_letter_list(lg_store *st, const char *state, int limit, GError **err);
gboolean store_letter_set_state(lg_store *st, const char *id, const char *state, const char *actor,
                                const char *reason, GError **err);
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
/* Frees every lease: called once when the (only) delivering daemon starts,
 * so letters claimed by a process that died are delivered at once. */
gboolean store_outbox_release_all(lg_store *st, GError **err);

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
gboolean store_with_db(lg_store *st,
                       gboolean (*fn)(struct sqlite3 *db, gpointer data, GError **err),
                       gpointer data, GError **err);
/* The same on one of the lookup connections (which never wait for a commit's
 * sync), used by this thread alone until fn returns: fn must only read. */
gboolean store_with_rdb(lg_store *st,
                        gboolean (*fn)(struct sqlite3 *db, gpointer data, GError **err),
                        gpointer data, GError **err);
/* Inside fn: the connection's cached statement for a literal `sql`, reset and
 * unbound (NULL with *err when it does not prepare). store_stmt_done() hands
 * it back (reset) instead of finalizing it. */
struct sqlite3_stmt;
struct sqlite3_stmt *store_stmt(struct sqlite3 *db, const char *sql, GError **err);
void store_stmt_done(struct sqlite3_stmt *st);

#endif
