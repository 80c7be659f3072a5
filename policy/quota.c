/* policy/quota.c - see quota.h. */
#include "policy/quota.h"

#include <sqlite3.h>
#include <string.h>

#define DAY 86400

typedef struct {
	char *writer;
	char *writer_name;
	char *prisoner;
	char *org;
	char *text_hash;
	int photos;
} tally_row;

struct lg_quota_tally {
	GPtrArray *rows; /* tally_row* */
};

static void row_free(tally_row *r)
{
	g_free(r->writer);
	g_free(r->writer_name);
	g_free(r->prisoner);
	g_free(r->org);
	g_free(r->text_hash);
	g_free(r);
}

lg_quota_tally *quota_tally_new(void)
{
	lg_quota_tally *t = g_new0(lg_quota_tally, 1);
	t->rows = g_ptr_array_new_with_free_func((GDestroyNotify)row_free);
	return t;
}

void quota_tally_free(lg_quota_tally **pt)
{
	lg_quota_tally *t = *pt;
	*pt = NULL;
	if (t == NULL)
		return;
	g_ptr_array_unref(t->rows);
	g_free(t);
}

void quota_tally_add(lg_quota_tally *t, const lg_quota_item *it)
{
	tally_row *r = g_new0(tally_row, 1);
	r->writer = g_strdup(it->writer ? it->writer : "");
	r->writer_name = g_strdup(it->writer_name ? it->writer_name : "");
	r->prisoner = g_strdup(it->prisoner ? it->prisoner : "");
	r->org = it->org ? g_strdup(it->org) : NULL;
	r->text_hash = g_strdup(it->text_hash ? it->text_hash : "");
	r->photos = it->photos;
	g_ptr_array_add(t->rows, r);
}

static gboolean eq(const char *a, const char *b)
{
	return g_strcmp0(a ? a : "", b ? b : "") == 0;
}

int quota_tally_prisoner(const lg_quota_tally *t, const char *prisoner)
{
	int n = 0;
	for (guint i = 0; t && i < t->rows->len; i++)
		n += eq(((tally_row *)g_ptr_array_index(t->rows, i))->prisoner, prisoner);
	return n;
}

void quota_result_clear(lg_quota_result *r)
{
	g_free(r->en);
	g_free(r->ru);
	memset(r, 0, sizeof(*r));
}

char *quota_reset_text(gint64 t)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(t);
	char *s;
	if (dt == NULL)
		return g_strdup("tomorrow");
	s = g_date_time_format(dt, "%Y-%m-%d %H:%M UTC");
	g_date_time_unref(dt);
	return s;
}

/* ---- counting in the database ---- */

typedef struct {
	/* filters, NULL = any */
	const char *writer; /* individual letters of this writer address */
	const char *prisoner;
	const char *org;
	const char *dup_writer_name; /* with org: same display name */
	const char *text_hash;
	gint64 since;
	/* results */
	int count;
	int photos;
	gint64 oldest;
} count_q;

/*
 * One literal query per filter combination that quota_check() uses, so
 * SQLite can walk an index (letters_writer, letters_prisoner, letters_org,
 * letters_dup) instead of scanning a week of letters: "(?2 IS NULL OR
 * writer_addr = ?2)" defeats the planner. Other combinations take the
 * generic form.
 */
#define COUNT_HEAD                                                                                 \
	"SELECT count(*), coalesce(sum(photos), 0), coalesce(min(created), 0) FROM letters"        \
	" WHERE created >= ?1 AND state != 'rejected'"
#define BY_WRITER " AND writer_addr = ?2 AND (org IS NULL OR org = '')"
enum { F_WRITER = 1, F_PRISONER = 2, F_ORG = 4, F_NAME = 8, F_HASH = 16 };

static const char *count_sql(const count_q *q)
{
	int f = (q->writer ? F_WRITER : 0) | (q->prisoner ? F_PRISONER : 0) | (q->org ? F_ORG : 0) |
	        (q->dup_writer_name ? F_NAME : 0) | (q->text_hash ? F_HASH : 0);
	switch (f) {
	case 0:
		return COUNT_HEAD;
	case F_WRITER:
		return COUNT_HEAD BY_WRITER;
	case F_PRISONER:
		return COUNT_HEAD " AND prisoner = ?3";
	case F_WRITER | F_PRISONER:
		return COUNT_HEAD BY_WRITER " AND prisoner = ?3";
	case F_ORG:
		return COUNT_HEAD " AND org = ?4";
	case F_WRITER | F_PRISONER | F_HASH:
		return COUNT_HEAD BY_WRITER " AND prisoner = ?3 AND text_hash = ?6";
	case F_ORG | F_NAME | F_PRISONER | F_HASH:
		return COUNT_HEAD " AND prisoner = ?3 AND org = ?4 AND writer_name = ?5"
		                  " AND text_hash = ?6";
	default:
		return COUNT_HEAD
		    " AND (?2 IS NULL OR (writer_addr = ?2 AND (org IS NULL OR org = '')))"
		    " AND (?3 IS NULL OR prisoner = ?3) AND (?4 IS NULL OR org = ?4)"
		    " AND (?5 IS NULL OR writer_name = ?5) AND (?6 IS NULL OR text_hash = ?6)";
	}
}

static gboolean count_db(sqlite3 *db, gpointer data, GError **err)
{
	count_q *q = data;
	sqlite3_stmt *st = NULL;
	const char *sql = count_sql(q);
	int rc = SQLITE_ERROR;
	GError *e = NULL;
	st = store_stmt(db, sql, &e);
	if (st == NULL) {
		g_propagate_error(err, e);
		return FALSE;
	}
	sqlite3_bind_int64(st, 1, q->since);
	if (q->writer)
		sqlite3_bind_text(st, 2, q->writer, -1, SQLITE_TRANSIENT);
	if (q->prisoner)
		sqlite3_bind_text(st, 3, q->prisoner, -1, SQLITE_TRANSIENT);
	if (q->org)
		sqlite3_bind_text(st, 4, q->org, -1, SQLITE_TRANSIENT);
	if (q->dup_writer_name)
		sqlite3_bind_text(st, 5, q->dup_writer_name, -1, SQLITE_TRANSIENT);
	if (q->text_hash)
		sqlite3_bind_text(st, 6, q->text_hash, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		goto fail;
	q->count = sqlite3_column_int(st, 0);
	q->photos = sqlite3_column_int(st, 1);
	q->oldest = sqlite3_column_int64(st, 2);
	store_stmt_done(st);
	return TRUE;
fail:
	g_set_error(err, LG_STORE_ERROR,
	            (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? LG_STORE_ERR_BUSY
	                                                                       : LG_STORE_ERR_OTHER,
	            "database: quota count: %s", sqlite3_errmsg(db));
	store_stmt_done(st);
	return FALSE;
}

/* Database count plus the tally's rows that match the same filter. */
static gboolean count_all(lg_store *st, const lg_quota_tally *t, count_q *q, GError **err)
{
	if (!store_with_rdb(st, count_db, q, err))
		return FALSE;
	for (guint i = 0; t && i < t->rows->len; i++) {
		const tally_row *r = g_ptr_array_index(t->rows, i);
		if (q->writer && (r->org || !eq(r->writer, q->writer)))
			continue;
		if (q->prisoner && !eq(r->prisoner, q->prisoner))
			continue;
		if (q->org && !eq(r->org, q->org))
			continue;
		if (q->dup_writer_name && !eq(r->writer_name, q->dup_writer_name))
			continue;
		if (q->text_hash && !eq(r->text_hash, q->text_hash))
			continue;
		q->count++;
		q->photos += r->photos;
	}
	return TRUE;
}

static void over(lg_quota_result *r, const char *name, int limit, int count, gint64 oldest,
                 gint64 now, const char *what_en, const char *what_ru)
{
	char *when;
	r->status = LG_QUOTA_OVER;
	r->limit_name = name;
	r->limit = limit;
	r->count = count;
	r->reset_at = (oldest > 0 && oldest <= now ? oldest : now) + DAY;
	when = quota_reset_text(r->reset_at);
	r->en = g_strdup_printf("Daily limit reached: %s (%d a day). It resets at %s; your mail "
	                        "server will retry.",
	                        what_en, limit, when);
	r->ru = g_strdup_printf("Достигнут дневной предел: %s (%d в день). Он сбросится в %s; "
	                        "ваш почтовый сервер повторит отправку.",
	                        what_ru, limit, when);
	g_free(when);
}

gboolean quota_check(const lg_config *cfg, lg_store *st, const lg_quota_tally *t,
                     const lg_quota_item *it, gint64 now, lg_quota_result *r, GError **err)
{
	gboolean is_org = it->org && *it->org;
	const char *writer = it->writer ? it->writer : "";
	count_q q;

	memset(r, 0, sizeof(*r));
	if (st == NULL)
		return TRUE;

	/* already sent: the same text from the same writer to the same prisoner */
	if (cfg->duplicate_days > 0 && it->text_hash && *it->text_hash && it->prisoner) {
		memset(&q, 0, sizeof(q));
		q.since = now - (gint64)cfg->duplicate_days * DAY;
		q.prisoner = it->prisoner;
		q.text_hash = it->text_hash;
		if (is_org) {
			/* a supporter is known by name inside the organisation's batch */
			q.org = it->org;
			q.dup_writer_name = it->writer_name ? it->writer_name : "";
		} else {
			q.writer = writer;
		}
		if (!count_all(st, t, &q, err))
			return FALSE;
		if (q.count > 0) {
			r->status = LG_QUOTA_DUPLICATE;
			r->limit_name = "duplicate_days";
			r->limit = cfg->duplicate_days;
			r->count = q.count;
			r->en = g_strdup_printf(
			    "Already sent: you sent this same text to this prisoner "
			    "within the last %d days.",
			    cfg->duplicate_days);
			r->ru = g_strdup_printf("Уже отправлено: вы уже посылали этот текст этому "
			                        "адресату за последние %d дней.",
			                        cfg->duplicate_days);
			return TRUE;
		}
	}

#define CHECK(limit, name, field_setup, what_en, what_ru)                                          \
	if ((limit) > 0) {                                                                         \
		memset(&q, 0, sizeof(q));                                                          \
		q.since = now - DAY;                                                               \
		field_setup;                                                                       \
		if (!count_all(st, t, &q, err))                                                    \
			return FALSE;                                                              \
		if (q.count >= (limit)) {                                                          \
			over(r, name, (limit), q.count, q.oldest, now, what_en, what_ru);          \
			return TRUE;                                                               \
		}                                                                                  \
	}
	if (is_org) {
		CHECK(cfg->org_quota_day, "org_day", q.org = it->org,
		      "letters from your organisation", "писем от вашей организации")
	} else if (*writer) {
		CHECK(cfg->quota_writer_day, "writer_day", q.writer = writer, "letters from you",
		      "писем от вас")
		CHECK(cfg->quota_writer_prisoner_day, "writer_prisoner_day",
		      (q.writer = writer, q.prisoner = it->prisoner),
		      "letters from you to this prisoner", "писем от вас этому адресату")
	}
	CHECK(cfg->quota_prisoner_day, "prisoner_day", q.prisoner = it->prisoner,
	      "letters to this prisoner", "писем этому адресату")
	CHECK(cfg->quota_letters_day, "letters_day", (void)0, "letters through this gateway",
	      "писем через этот шлюз")
#undef CHECK
	if (cfg->quota_photos_day > 0 && it->photos > 0) {
		memset(&q, 0, sizeof(q));
		q.since = now - DAY;
		if (!count_all(st, t, &q, err))
			return FALSE;
		if (q.photos + it->photos > cfg->quota_photos_day) {
			over(r, "photos_day", cfg->quota_photos_day, q.photos, q.oldest, now,
			     "photos through this gateway", "фотографий через этот шлюз");
			return TRUE;
		}
	}
	return TRUE;
}
