/* store/retention.c - see retention.h. */
#include "store/retention.h"

#include <sqlite3.h>

typedef struct {
	gint64 before;
	gint64 now;
	gboolean dry_run;
	int letters;
	int photos;
} purge_q;

#define FINAL_STATES "('sent', 'delivered', 'failed', 'rejected', 'censored')"
#define DUE "state IN " FINAL_STATES " AND updated < ?1 AND purged IS NULL"

static gboolean step_done(sqlite3 *db, const char *sql, gint64 before, gint64 now, int *count_r,
                          GError **err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, before);
		if (sqlite3_bind_parameter_count(st) >= 2)
			sqlite3_bind_int64(st, 2, now);
		rc = sqlite3_step(st);
		if (count_r && rc == SQLITE_ROW)
			*count_r = sqlite3_column_int(st, 0);
		else if (count_r && rc == SQLITE_DONE)
			*count_r = sqlite3_changes(db);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		g_set_error(err, LG_STORE_ERROR,
		            (rc & 0xff) == SQLITE_BUSY ? LG_STORE_ERR_BUSY : LG_STORE_ERR_OTHER,
		            "database: purge: %s", sqlite3_errmsg(db));
		return FALSE;
	}
	return TRUE;
}

static gboolean purge_db(sqlite3 *db, gpointer data, GError **err)
{
	purge_q *q = data;
	if (!step_done(db, "SELECT count(*) FROM letters WHERE " DUE, q->before, 0, &q->letters,
	               err) ||
	    !step_done(db,
	               "SELECT count(*) FROM photos WHERE length(data) > 0 AND letter_id IN"
	               " (SELECT id FROM letters WHERE " DUE ")",
	               q->before, 0, &q->photos, err))
		return FALSE;
	if (q->dry_run || q->letters == 0)
		return TRUE;
	if (!step_done(db, "BEGIN IMMEDIATE", 0, 0, NULL, err))
		return FALSE;
	if (!step_done(db,
	               "UPDATE photos SET data = zeroblob(0) WHERE letter_id IN"
	               " (SELECT id FROM letters WHERE " DUE ")",
	               q->before, 0, NULL, err) ||
	    !step_done(db,
	               "UPDATE letters SET text_original = NULL, text_ru = NULL, subject = NULL,"
	               " purged = ?2 WHERE " DUE,
	               q->before, q->now, NULL, err) ||
	    !step_done(db, "COMMIT", 0, 0, NULL, err)) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return FALSE;
	}
	return TRUE;
}

gboolean store_purge(lg_store *st, int days, gint64 now, gboolean dry_run, int *letters_r,
                     int *photos_r, GError **err)
{
	purge_q q = {.before = now - (gint64)days * 86400, .now = now, .dry_run = dry_run};
	*letters_r = 0;
	*photos_r = 0;
	if (days <= 0)
		return TRUE;
	if (!store_with_db(st, purge_db, &q, err))
		return FALSE;
	*letters_r = q.letters;
	*photos_r = q.photos;
	return TRUE;
}
