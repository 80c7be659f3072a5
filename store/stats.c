/* store/stats.c - see stats.h. */
#include "store/stats.h"

#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

typedef struct {
	gint64 since;
	JsonBuilder *b;
} stats_q;

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql, gint64 since, GError **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_OTHER, "database: stats: %s",
		            sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return NULL;
	}
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, since);
	return st;
}

static gboolean finish(sqlite3 *db, sqlite3_stmt *st, int rc, GError **err)
{
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		g_set_error(err, LG_STORE_ERROR,
		            (rc & 0xff) == SQLITE_BUSY ? LG_STORE_ERR_BUSY : LG_STORE_ERR_OTHER,
		            "database: stats: %s", sqlite3_errmsg(db));
		return FALSE;
	}
	return TRUE;
}

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

static gboolean per_day(sqlite3 *db, stats_q *q, GError **err)
{
	sqlite3_stmt *st =
	    prepare(db,
	            "SELECT date(created, 'unixepoch') d, state, count(*) FROM letters"
	            " WHERE created >= ?1 GROUP BY d, state ORDER BY d, state",
	            q->since, err);
	char *day = NULL;
	gint64 total = 0;
	GPtrArray *states = g_ptr_array_new_with_free_func(g_free);
	GArray *counts = g_array_new(FALSE, FALSE, sizeof(gint64));
	int rc;
	if (st == NULL)
		return FALSE;
	json_builder_set_member_name(q->b, "per_day");
	json_builder_begin_array(q->b);
	for (;;) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && day && !strcmp(day, col(st, 0))) {
			gint64 n = sqlite3_column_int64(st, 2);
			g_ptr_array_add(states, g_strdup(col(st, 1)));
			g_array_append_val(counts, n);
			total += n;
			continue;
		}
		if (day) {
			json_builder_begin_object(q->b);
			json_builder_set_member_name(q->b, "day");
			json_builder_add_string_value(q->b, day);
			json_builder_set_member_name(q->b, "total");
			json_builder_add_int_value(q->b, total);
			json_builder_set_member_name(q->b, "states");
			json_builder_begin_object(q->b);
			for (guint i = 0; i < states->len; i++) {
				json_builder_set_member_name(q->b, g_ptr_array_index(states, i));
				json_builder_add_int_value(q->b, g_array_index(counts, gint64, i));
			}
			json_builder_end_object(q->b);
			json_builder_end_object(q->b);
			g_clear_pointer(&day, g_free);
			g_ptr_array_set_size(states, 0);
			g_array_set_size(counts, 0);
			total = 0;
		}
		if (rc != SQLITE_ROW)
			break;
		day = g_strdup(col(st, 0));
		{
			gint64 n = sqlite3_column_int64(st, 2);
			g_ptr_array_add(states, g_strdup(col(st, 1)));
			g_array_append_val(counts, n);
			total += n;
		}
	}
	json_builder_end_array(q->b);
	g_ptr_array_unref(states);
	g_array_unref(counts);
	return finish(db, st, rc, err);
}

static gboolean per_prisoner(sqlite3 *db, stats_q *q, GError **err)
{
	sqlite3_stmt *st = prepare(
	    db,
	    "SELECT p.alias, p.status, count(l.id),"
	    " coalesce(sum(l.state IN ('sent', 'delivered')), 0),"
	    " coalesce(sum(l.state = 'held'), 0), coalesce(sum(l.state = 'rejected'), 0)"
	    " FROM prisoners p LEFT JOIN letters l ON l.prisoner = p.alias AND l.created >= ?1"
	    " GROUP BY p.alias ORDER BY count(l.id), p.alias",
	    q->since, err);
	int rc;
	if (st == NULL)
		return FALSE;
	json_builder_set_member_name(q->b, "per_prisoner");
	json_builder_begin_array(q->b);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		static const char *names[] = {"letters", "delivered", "held", "rejected"};
		json_builder_begin_object(q->b);
		json_builder_set_member_name(q->b, "id");
		json_builder_add_string_value(q->b, col(st, 0));
		json_builder_set_member_name(q->b, "status");
		json_builder_add_string_value(q->b, col(st, 1));
		for (int i = 0; i < 4; i++) {
			json_builder_set_member_name(q->b, names[i]);
			json_builder_add_int_value(q->b, sqlite3_column_int64(st, 2 + i));
		}
		json_builder_end_object(q->b);
	}
	json_builder_end_array(q->b);
	return finish(db, st, rc, err);
}

static gboolean holds(sqlite3 *db, stats_q *q, GError **err)
{
	sqlite3_stmt *st =
	    prepare(db,
	            "SELECT coalesce(l.categories, '') FROM letters l WHERE l.id IN"
	            " (SELECT letter_id FROM history WHERE state = 'held' AND at >= ?1)",
	            q->since, err);
	GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GList *keys, *k;
	int rc;
	if (st == NULL) {
		g_hash_table_unref(h);
		return FALSE;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **cats = g_strsplit(col(st, 0), ",", -1);
		gboolean any = FALSE;
		for (char **c = cats; *c; c++) {
			char *name = g_strstrip(*c);
			if (*name == '\0')
				continue;
			any = TRUE;
			g_hash_table_insert(
			    h, g_strdup(name),
			    GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(h, name)) + 1));
		}
		if (!any)
			g_hash_table_insert(
			    h, g_strdup("none"),
			    GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(h, "none")) + 1));
		g_strfreev(cats);
	}
	json_builder_set_member_name(q->b, "holds_by_category");
	json_builder_begin_object(q->b);
	keys = g_list_sort(g_hash_table_get_keys(h), (GCompareFunc)strcmp);
	for (k = keys; k; k = k->next) {
		json_builder_set_member_name(q->b, k->data);
		json_builder_add_int_value(q->b, GPOINTER_TO_INT(g_hash_table_lookup(h, k->data)));
	}
	json_builder_end_object(q->b);
	g_list_free(keys);
	g_hash_table_unref(h);
	return finish(db, st, rc, err);
}

static int cmp_i64(gconstpointer a, gconstpointer b)
{
	gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
	return x < y ? -1 : x > y;
}

static gboolean latency_one(sqlite3 *db, stats_q *q, const char *name, const char *from,
                            const char *to, GError **err)
{
	char *sql =
	    /* the window by time (history_at), not a walk of all history by
	     * letter for the GROUP BY */
	    g_strdup_printf("SELECT min(b.at) - max(a.at) FROM history a INDEXED BY history_at"
	                    " JOIN history b"
	                    " ON b.letter_id = a.letter_id AND b.state = '%s' AND b.at >= a.at"
	                    " WHERE a.state = '%s' AND a.at >= ?1 GROUP BY a.letter_id",
	                    to, from);
	sqlite3_stmt *st = prepare(db, sql, q->since, err);
	GArray *v = g_array_new(FALSE, FALSE, sizeof(gint64));
	double sum = 0;
	int rc;
	g_free(sql);
	if (st == NULL) {
		g_array_unref(v);
		return FALSE;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		gint64 d = sqlite3_column_int64(st, 0);
		g_array_append_val(v, d);
		sum += (double)d;
	}
	g_array_sort(v, cmp_i64);
	json_builder_set_member_name(q->b, name);
	json_builder_begin_object(q->b);
	json_builder_set_member_name(q->b, "count");
	json_builder_add_int_value(q->b, v->len);
	if (v->len) {
		json_builder_set_member_name(q->b, "mean");
		json_builder_add_double_value(q->b, sum / v->len);
		json_builder_set_member_name(q->b, "median");
		json_builder_add_int_value(q->b, g_array_index(v, gint64, v->len / 2));
		json_builder_set_member_name(q->b, "p95");
		json_builder_add_int_value(
		    q->b,
		    g_array_index(v, gint64,
		                  (v->len * 95) / 100 < v->len ? (v->len * 95) / 100 : v->len - 1));
		json_builder_set_member_name(q->b, "max");
		json_builder_add_int_value(q->b, g_array_index(v, gint64, v->len - 1));
	}
	json_builder_end_object(q->b);
	g_array_unref(v);
	return finish(db, st, rc, err);
}

static gboolean orgs(sqlite3 *db, stats_q *q, GError **err)
{
	sqlite3_stmt *st = prepare(db,
	                           "SELECT org, count(*), coalesce(sum(letters), 0) FROM batches"
	                           " WHERE created >= ?1 GROUP BY org ORDER BY org",
	                           q->since, err);
	int rc;
	if (st == NULL)
		return FALSE;
	json_builder_set_member_name(q->b, "organizations");
	json_builder_begin_array(q->b);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_builder_begin_object(q->b);
		json_builder_set_member_name(q->b, "id");
		json_builder_add_string_value(q->b, col(st, 0));
		json_builder_set_member_name(q->b, "batches");
		json_builder_add_int_value(q->b, sqlite3_column_int64(st, 1));
		json_builder_set_member_name(q->b, "letters");
		json_builder_add_int_value(q->b, sqlite3_column_int64(st, 2));
		json_builder_end_object(q->b);
	}
	json_builder_end_array(q->b);
	return finish(db, st, rc, err);
}

static gboolean stats_db(sqlite3 *db, gpointer data, GError **err)
{
	stats_q *q = data;
	gboolean ok;
	/* one read transaction: every number from the same snapshot */
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	ok = per_day(db, q, err) && per_prisoner(db, q, err) && holds(db, q, err);
	if (ok) {
		json_builder_set_member_name(q->b, "partner_latency");
		json_builder_begin_object(q->b);
		ok = latency_one(db, q, "handover", "queued", "sent", err) &&
		     latency_one(db, q, "delivery", "sent", "delivered", err);
		json_builder_end_object(q->b);
	}
	ok = ok && orgs(db, q, err);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return ok;
}

char *store_stats_json(lg_store *st, int days, gint64 now, GError **err)
{
	stats_q q = {.since = now - (gint64)days * 86400, .b = json_builder_new()};
	JsonGenerator *gen = NULL;
	JsonNode *root = NULL;
	char *out = NULL;
	GDateTime *dt = g_date_time_new_from_unix_utc(q.since);
	char *since = dt ? g_date_time_format_iso8601(dt) : g_strdup("");
	json_builder_begin_object(q.b);
	json_builder_set_member_name(q.b, "since");
	json_builder_add_string_value(q.b, since);
	json_builder_set_member_name(q.b, "days");
	json_builder_add_int_value(q.b, days);
	if (!store_with_db(st, stats_db, &q, err))
		goto out;
	json_builder_end_object(q.b);
	root = json_builder_get_root(q.b);
	gen = json_generator_new();
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, TRUE);
	out = json_generator_to_data(gen, NULL);
out:
	if (root)
		json_node_unref(root);
	if (gen)
		g_object_unref(gen);
	if (dt)
		g_date_time_unref(dt);
	g_free(since);
	g_object_unref(q.b);
	return out;
}
