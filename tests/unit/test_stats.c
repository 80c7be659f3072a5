/* tests/unit/test_stats.c - statistics (store/stats.h) and retention
 * (store/retention.h): texts and photos go, metadata stays. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

#include "store/retention.h"
#include "store/stats.h"
#include "store/store.h"

#define DAY 86400
#define NOW ((gint64)1750000000)

typedef struct {
	char *dir;
	lg_store *st;
} fx;

static void put(fx *f, const char *id, const char *prisoner, const char *state, gint64 created,
                const char *cats, int photos)
{
	GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free);
	lg_letter_rec *r = letter_rec_new();
	gboolean dup;
	r->id = g_strdup(id);
	r->state = g_strdup(state);
	r->prisoner = g_strdup(prisoner);
	r->writer_addr = g_strdup("anna@example.net");
	r->text_original = g_strdup("secret words of the writer");
	r->text_ru = g_strdup("тайные слова");
	r->subject = g_strdup("subject");
	r->categories = g_strdup(cats);
	r->created = created;
	for (int i = 0; i < photos; i++) {
		lg_photo *ph = g_new0(lg_photo, 1);
		ph->name = g_strdup("p.jpg");
		ph->type = g_strdup("image/jpeg");
		ph->data = g_bytes_new("jpegdata", 8);
		g_ptr_array_add(r->photos, ph);
	}
	g_ptr_array_add(recs, r);
	assert_true(store_letters_commit(f->st, recs, &dup, NULL));
	g_ptr_array_unref(recs);
}

/* Moves a letter's times (created, updated, history) into the past. */
typedef struct {
	const char *id;
	const char *sql;
	gint64 a;
} fix_q;

static gboolean fix_db(sqlite3 *db, gpointer data, GError **err)
{
	fix_q *q = data;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, q->sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, q->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, q->a);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	return TRUE;
}

static void sql(fx *f, const char *id, const char *s, gint64 a)
{
	fix_q q = {id, s, a};
	assert_true(store_with_db(f->st, fix_db, &q, NULL));
}

static int setup(void **state)
{
	fx *f = g_new0(fx, 1);
	char *db;
	lg_prisoner ps[] = {
	    {.alias = "ivan.petrov",
	     .full_name = "И",
	     .region = "",
	     .facility = "",
	     .status = "active"},
	    {.alias = "oleg.vasin",
	     .full_name = "О",
	     .region = "",
	     .facility = "",
	     .status = "active"},
	    {.alias = "pavel.gromov",
	     .full_name = "П",
	     .region = "",
	     .facility = "",
	     .status = "released"},
	};
	f->dir = g_dir_make_tmp("lg-stats-XXXXXX", NULL);
	db = g_build_filename(f->dir, "t.db", NULL);
	f->st = store_open(db, NULL);
	g_free(db);
	for (size_t i = 0; i < G_N_ELEMENTS(ps); i++)
		assert_true(store_prisoner_upsert(f->st, &ps[i], NULL));
	/* an old delivered letter with photos, a recent one, a held one, a rejected one */
	put(f, "old", "ivan.petrov", "queued", NOW - 100 * DAY, "", 2);
	put(f, "new", "ivan.petrov", "queued", NOW - 2 * DAY, "", 1);
	put(f, "held", "oleg.vasin", "held", NOW - DAY, "war,links", 0);
	put(f, "rej", "ivan.petrov", "held", NOW - 120 * DAY, "", 0);
	assert_true(store_outbox_done(f->st, "old", "sent", "ref", NULL, NULL));
	assert_true(store_outbox_done(f->st, "new", "sent", "ref", NULL, NULL));
	assert_true(store_letter_set_state(f->st, "new", "delivered", "partner", NULL, NULL));
	assert_true(store_letter_set_state(f->st, "rej", "rejected", "mod", "no", NULL));
	sql(f, "old", "UPDATE letters SET updated = ?2 WHERE id = ?1", NOW - 95 * DAY);
	sql(f, "rej", "UPDATE letters SET updated = ?2 WHERE id = ?1", NOW - 119 * DAY);
	sql(f, "new", "UPDATE letters SET updated = ?2 WHERE id = ?1", NOW - DAY);
	/* history for latency: queued at created, sent 60 s later, delivered a day later */
	sql(f, "new",
	    "UPDATE history SET at = ?2 WHERE letter_id = ?1 AND state IN ('received', 'approved', "
	    "'queued')",
	    NOW - 2 * DAY);
	sql(f, "new", "UPDATE history SET at = ?2 WHERE letter_id = ?1 AND state = 'sent'",
	    NOW - 2 * DAY + 60);
	sql(f, "new", "UPDATE history SET at = ?2 WHERE letter_id = ?1 AND state = 'delivered'",
	    NOW - DAY + 60);
	sql(f, "held", "UPDATE history SET at = ?2 WHERE letter_id = ?1", NOW - DAY);
	sql(f, "old", "UPDATE history SET at = ?2 WHERE letter_id = ?1", NOW - 95 * DAY);
	sql(f, "rej", "UPDATE history SET at = ?2 WHERE letter_id = ?1", NOW - 119 * DAY);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
	store_close(&f->st);
	assert_int_equal(system(cmd), 0);
	g_free(cmd);
	g_free(f->dir);
	g_free(f);
	return 0;
}

static void test_purge(void **state)
{
	fx *f = *state;
	int letters = -1, photos = -1;
	lg_letter_rec *r;
	assert_true(store_purge(f->st, 90, NOW, TRUE, &letters, &photos, NULL));
	assert_int_equal(letters, 2); /* old (sent 95 days ago) and rej */
	assert_int_equal(photos, 2);
	r = store_letter_get(f->st, "old", TRUE, NULL);
	assert_non_null(r->text_original); /* dry run changed nothing */
	letter_rec_free(r);
	assert_true(store_purge(f->st, 90, NOW, FALSE, &letters, &photos, NULL));
	assert_int_equal(letters, 2);
	r = store_letter_get(f->st, "old", TRUE, NULL);
	assert_null(r->text_original);
	assert_null(r->text_ru);
	assert_null(r->subject);
	assert_int_equal(r->purged, NOW);
	assert_string_equal(r->state, "sent"); /* metadata kept */
	assert_string_equal(r->prisoner, "ivan.petrov");
	assert_int_equal(r->photos->len, 2); /* rows kept, bytes gone */
	assert_int_equal(g_bytes_get_size(((lg_photo *)g_ptr_array_index(r->photos, 0))->data), 0);
	letter_rec_free(r);
	r = store_letter_get(f->st, "new", FALSE, NULL);
	assert_non_null(r->text_original); /* delivered yesterday: kept */
	letter_rec_free(r);
	r = store_letter_get(f->st, "held", FALSE, NULL);
	assert_non_null(r->text_original); /* never purged while waiting */
	letter_rec_free(r);
	/* second run: nothing left to do */
	assert_true(store_purge(f->st, 90, NOW, FALSE, &letters, &photos, NULL));
	assert_int_equal(letters, 0);
	/* 0 days: retention off */
	assert_true(store_purge(f->st, 0, NOW, FALSE, &letters, &photos, NULL));
	assert_int_equal(letters, 0);
}

static void test_stats(void **state)
{
	fx *f = *state;
	GError *e = NULL;
	char *json = store_stats_json(f->st, 30, NOW, &e);
	JsonParser *jp = json_parser_new();
	JsonObject *o, *m, *l;
	JsonArray *a;
	assert_non_null(json);
	assert_true(json_parser_load_from_data(jp, json, -1, NULL));
	o = json_node_get_object(json_parser_get_root(jp));
	assert_int_equal(json_object_get_int_member(o, "days"), 30);
	a = json_object_get_array_member(o, "per_day");
	assert_int_equal(json_array_get_length(a), 2); /* "new" and "held" days */
	m = json_object_get_object_member(json_array_get_object_element(a, 0), "states");
	assert_int_equal(json_object_get_int_member(m, "delivered"), 1);
	a = json_object_get_array_member(o, "per_prisoner");
	assert_int_equal(json_array_get_length(a), 3);
	/* the least remembered first */
	assert_string_equal(
	    json_object_get_string_member(json_array_get_object_element(a, 0), "id"),
	    "pavel.gromov");
	/* ivan.petrov and oleg.vasin have one letter each this month: by alias */
	assert_string_equal(
	    json_object_get_string_member(json_array_get_object_element(a, 1), "id"),
	    "ivan.petrov");
	assert_int_equal(
	    json_object_get_int_member(json_array_get_object_element(a, 1), "delivered"), 1);
	assert_int_equal(json_object_get_int_member(json_array_get_object_element(a, 2), "held"),
	                 1);
	m = json_object_get_object_member(o, "holds_by_category");
	assert_int_equal(json_object_get_int_member(m, "war"), 1);
	assert_int_equal(json_object_get_int_member(m, "links"), 1);
	assert_false(json_object_has_member(m, "none"));
	m = json_object_get_object_member(o, "partner_latency");
	l = json_object_get_object_member(m, "handover");
	assert_int_equal(json_object_get_int_member(l, "count"), 1);
	assert_int_equal(json_object_get_int_member(l, "median"), 60);
	l = json_object_get_object_member(m, "delivery");
	assert_int_equal(json_object_get_int_member(l, "max"), DAY);
	assert_null(strstr(json, "secret words"));
	g_object_unref(jp);
	g_free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
