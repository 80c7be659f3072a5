/* tests/unit/test_store.c - store/store.c on a real SQLite file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "store/directory.h"
#include "store/store.h"

typedef struct {
	char *dir;
	char *path;
	lg_store *st;
} fixture;

static int setup(void **state)
{
	fixture *f = g_new0(fixture, 1);
	GError *e = NULL;
	f->dir = g_dir_make_tmp("lg-store-XXXXXX", NULL);
	f->path = g_build_filename(f->dir, "t.db", NULL);
	f->st = store_open(f->path, &e);
	assert_non_null(f->st);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char *cmd;
	store_close(&f->st);
	cmd = g_strdup_printf("rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	g_free(cmd);
	g_free(f->path);
	g_free(f->dir);
	g_free(f);
	return 0;
}

static lg_prisoner *pris(const char *alias, const char *status)
{
	lg_prisoner *p = g_new0(lg_prisoner, 1);
	p->alias = g_strdup(alias);
	p->full_name = g_strdup("Тестов Тест Тестович");
	p->birth_year = 1980;
	p->region = g_strdup("Тверская область");
	p->facility = g_strdup("ИК-1");
	p->status = g_strdup(status);
	return p;
}

static lg_letter_rec *rec(const char *id, const char *state, const char *prisoner,
                          const char *writer, const char *dedup)
{
	lg_letter_rec *r = letter_rec_new();
	r->id = g_strdup(id);
	r->state = g_strdup(state);
	r->prisoner = g_strdup(prisoner);
	r->writer_addr = g_strdup(writer);
	r->writer_name = g_strdup("Вера");
	r->dedup_key = g_strdup(dedup);
	r->text_original = g_strdup("Привет");
	r->text_ru = g_strdup("Привет");
	r->text_hash = g_strdup("h1");
	r->lang = g_strdup("ru");
	return r;
}

static void test_schema_version(void **state)
{
	fixture *f = *state;
	sqlite3 *db;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_true(sqlite3_column_int(st, 0) >= 1);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* reopening migrates nothing and works */
	{
		GError *e = NULL;
		lg_store *again = store_open(f->path, &e);
		assert_non_null(again);
		store_close(&again);
		assert_null(again);
	}
	/* a version 3 database (history(state, at), full org and batch
	 * indexes) is brought to version 4 */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
	                 "DROP INDEX history_at; CREATE INDEX history_state ON "
	                 "history(state, at); DROP INDEX letters_org; CREATE INDEX "
	                 "letters_org ON letters(org, created); DROP INDEX letters_batch;"
	                 " CREATE INDEX letters_batch ON letters(batch);"
	                 " PRAGMA user_version = 3;",
	                 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	{
		GError *e = NULL;
		lg_store *again = store_open(f->path, &e);
		assert_non_null(again);
		store_close(&again);
	}
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(
	        db,
	        "SELECT (SELECT count(*) FROM sqlite_master WHERE name = 'history_at'),"
	        " (SELECT count(*) FROM sqlite_master WHERE name = 'history_state'),"
	        " (SELECT sql LIKE '%WHERE org IS NOT NULL' FROM sqlite_master WHERE"
	        " name = 'letters_org'), (SELECT user_version FROM pragma_user_version)",
	        -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_int_equal(sqlite3_column_int(st, 1), 0);
	assert_int_equal(sqlite3_column_int(st, 2), 1);
	assert_int_equal(sqlite3_column_int(st, 3), 4);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_prisoners(void **state)
{
	fixture *f = *state;
	GError *e = NULL;
	lg_prisoner *p = pris("ivan.petrov", "active"), *got;
	GPtrArray *all;
	assert_true(store_prisoner_upsert(f->st, p, &e));
	got = store_prisoner_get(f->st, "ivan.petrov", &e);
	assert_non_null(got);
	assert_string_equal(got->full_name, "Тестов Тест Тестович");
	assert_int_equal(got->birth_year, 1980);
	prisoner_free(got);
	assert_null(store_prisoner_get(f->st, "nobody", &e));
	assert_null(e);
	assert_true(store_prisoner_set_status(f->st, "ivan.petrov", "transferred", "ИК-7", &e));
	got = store_prisoner_get(f->st, "ivan.petrov", &e);
	assert_string_equal(got->status, "transferred");
	assert_string_equal(got->facility, "ИК-7");
	prisoner_free(got);
	assert_false(store_prisoner_set_status(f->st, "nobody", "released", NULL, &e));
	assert_int_equal(e->code, LG_STORE_ERR_NOTFOUND);
	g_clear_error(&e);
	assert_true(store_alias_add(f->st, "ivan.petrow", "ivan.petrov", &e));
	got = store_prisoner_get(f->st, "ivan.petrow", &e);
	assert_non_null(got);
	assert_string_equal(got->alias, "ivan.petrov");
	prisoner_free(got);
	all = store_prisoner_list(f->st, &e);
	assert_int_equal(all->len, 1);
	g_ptr_array_unref(all);
	prisoner_free(p);
}

static void test_import_all_or_nothing(void **state)
{
	fixture *f = *state;
	GPtrArray *ps = NULL, *errs = NULL, *all;
	const char *csv = "alias,full_name,birth_year,region,facility,status\n"
	                  "a.one,\"Один, Первый\",1970,R,\"ИК-1 \"\"Север\"\"\",active\n"
	                  "b.two,Второй,1971,R,F,released\n";
	const char *bad = "alias,full_name,birth_year,region,facility,status\n"
	                  "c.three,Третий,1972,R,F,active\n"
	                  "BAD ALIAS,X,1972,R,F,active\n"
	                  "d.four,Четвёртый,year,R,F,active\n"
	                  "e.five,Пятый,1975,R,F,asleep\n";
	directory_parse_csv(csv, strlen(csv), &ps, &errs);
	assert_int_equal(errs->len, 0);
	assert_int_equal(ps->len, 2);
	assert_string_equal(((lg_prisoner *)ps->pdata[0])->full_name, "Один, Первый");
	assert_string_equal(((lg_prisoner *)ps->pdata[0])->facility, "ИК-1 \"Север\"");
	assert_true(store_prisoner_import(f->st, ps, NULL));
	/* idempotent */
	assert_true(store_prisoner_import(f->st, ps, NULL));
	g_ptr_array_unref(ps);
	g_ptr_array_unref(errs);
	directory_parse_csv(bad, strlen(bad), &ps, &errs);
	assert_int_equal(errs->len, 3);
	assert_non_null(strstr(errs->pdata[0], "line 3"));
	assert_non_null(strstr(errs->pdata[1], "line 4"));
	assert_non_null(strstr(errs->pdata[2], "line 5"));
	g_ptr_array_unref(ps);
	g_ptr_array_unref(errs);
	all = store_prisoner_list(f->st, NULL);
	assert_int_equal(all->len, 2);
	g_ptr_array_unref(all);
}

static void test_letters_dedup_outbox(void **state)
{
	fixture *f = *state;
	GError *e = NULL;
	GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free);
	GPtrArray *claimed;
	gboolean dup = TRUE;
	lg_letter_rec *r, *got;
	lg_photo *ph = g_new0(lg_photo, 1);
	char *hist;

	r = rec("l1", "queued", "ivan.petrov", "vera@example.net", "k1");
	ph->name = g_strdup("photo-1.jpg");
	ph->type = g_strdup("image/jpeg");
	ph->data = g_bytes_new("\xff\xd8\xff", 3);
	g_strlcpy(ph->sha256, "abc", sizeof(ph->sha256));
	g_ptr_array_add(r->photos, ph);
	g_ptr_array_add(recs, r);
	g_ptr_array_add(recs, rec("l2", "held", "ivan.petrov", "vera@example.net", "k2"));
	assert_true(store_letters_commit(f->st, recs, &dup, &e));
	assert_false(dup);
	/* the same message again: no second letter */
	assert_true(store_letters_commit(f->st, recs, &dup, &e));
	assert_true(dup);
	assert_true(store_dedup_exists(f->st, "k1", NULL));
	assert_false(store_dedup_exists(f->st, "k9", NULL));
	assert_int_equal(store_count_letters(f->st, "vera@example.net", NULL, 0, NULL), 2);
	assert_int_equal(store_count_letters(f->st, NULL, "ivan.petrov", 0, NULL), 2);
	assert_int_equal(store_count_photos(f->st, 0, NULL), 1);
	assert_true(store_text_sent(f->st, "vera@example.net", "ivan.petrov", "h1", 0, NULL));
	assert_false(store_text_sent(f->st, "vera@example.net", "ivan.petrov", "h2", 0, NULL));

	/* only the queued letter is in the outbox */
	assert_int_equal(store_outbox_pending(f->st, NULL), 1);
	claimed = store_outbox_claim(f->st, 10, 60, &e);
	assert_int_equal(claimed->len, 1);
	got = claimed->pdata[0];
	assert_string_equal(got->id, "l1");
	assert_int_equal(got->photos->len, 1);
	assert_int_equal(got->attempts, 1);
	g_ptr_array_unref(claimed);
	/* leased: not claimable again */
	claimed = store_outbox_claim(f->st, 10, 60, &e);
	assert_int_equal(claimed->len, 0);
	g_ptr_array_unref(claimed);
	assert_true(store_outbox_retry(f->st, "l1", 0, "partner down", &e));
	claimed = store_outbox_claim(f->st, 10, 60, &e);
	assert_int_equal(claimed->len, 1);
	assert_int_equal(((lg_letter_rec *)claimed->pdata[0])->attempts, 2);
	g_ptr_array_unref(claimed);
	assert_true(store_outbox_done(f->st, "l1", "sent", "ref-1", NULL, &e));
	assert_int_equal(store_outbox_pending(f->st, NULL), 0);
	got = store_letter_get(f->st, "l1", FALSE, &e);
	assert_string_equal(got->state, "sent");
	letter_rec_free(got);

	/* moderation: edit then approve queues the held letter */
	assert_true(store_letter_set_text_ru(f->st, "l2", "Здравствуйте", "moderator1", &e));
	assert_true(store_letter_set_state(f->st, "l2", "approved", "moderator1", NULL, &e));
	got = store_letter_get(f->st, "l2", FALSE, &e);
	assert_string_equal(got->state, "queued");
	assert_string_equal(got->text_ru, "Здравствуйте");
	letter_rec_free(got);
	assert_int_equal(store_outbox_pending(f->st, NULL), 1);
	hist = store_letter_history_json(f->st, "l2", &e);
	assert_non_null(strstr(hist, "\"moderator1\""));
	assert_non_null(strstr(hist, "\"edited\""));
	assert_non_null(strstr(hist, "\"approved\""));
	g_free(hist);
	assert_null(store_letter_get(f->st, "nope", FALSE, &e));
	assert_int_equal(e->code, LG_STORE_ERR_NOTFOUND);
	g_clear_error(&e);
	g_ptr_array_unref(recs);
}

static void test_cache(void **state)
{
	fixture *f = *state;
	char *t;
	assert_null(store_cache_get(f->st, "apertium", "uk", "ru", "s1", NULL));
	assert_true(store_cache_put(f->st, "apertium", "uk", "ru", "s1", "Привет", NULL));
	t = store_cache_get(f->st, "apertium", "uk", "ru", "s1", NULL);
	assert_string_equal(t, "Привет");
	g_free(t);
	assert_null(store_cache_get(f->st, "deepl", "uk", "ru", "s1", NULL));
}

/* Group commit: concurrent sessions share transactions; a letter that fails
 * (here: an id another thread already stored) fails alone, every other one is
 * stored once, and a retried message is still recognised. */
typedef struct {
	lg_store *st;
	int k;
	gint ok, failed_constraint, failed_other, dup;
} gc_thread;

static gpointer gc_run(gpointer data)
{
	gc_thread *t = data;
	for (int i = 0; i < 25; i++) {
		GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free);
		char id[32], key[32];
		gboolean dup = FALSE;
		GError *e = NULL;
		if (i == 10) {
			/* every thread tries the same id with its own dedup key */
			g_snprintf(id, sizeof(id), "clash");
			g_snprintf(key, sizeof(key), "c%d", t->k);
		} else {
			g_snprintf(id, sizeof(id), "t%d-%d", t->k, i);
			g_snprintf(key, sizeof(key), "d%d-%d", t->k, i);
		}
		g_ptr_array_add(recs, rec(id, "queued", "ivan.petrov", "vera@example.net", key));
		if (store_letters_commit(t->st, recs, &dup, &e)) {
			t->ok++;
			/* the sender's retry of the same message */
			if (store_letters_commit(t->st, recs, &dup, NULL) && dup)
				t->dup++;
		} else if (e && e->code == LG_STORE_ERR_CONSTRAINT) {
			t->failed_constraint++;
		} else {
			t->failed_other++;
		}
		g_clear_error(&e);
		g_ptr_array_unref(recs);
	}
	return NULL;
}

static void test_group_commit(void **state)
{
	fixture *f = *state;
	enum { N = 12 };
	gc_thread t[N];
	GThread *th[N];
	int ok = 0, constraint = 0, other = 0, dup = 0;
	GPtrArray *claimed;
	for (int k = 0; k < N; k++) {
		memset(&t[k], 0, sizeof(t[k]));
		t[k].st = f->st;
		t[k].k = k;
		th[k] = g_thread_new("gc", gc_run, &t[k]);
	}
	for (int k = 0; k < N; k++) {
		g_thread_join(th[k]);
		ok += t[k].ok;
		constraint += t[k].failed_constraint;
		other += t[k].failed_other;
		dup += t[k].dup;
	}
	assert_int_equal(other, 0);
	assert_int_equal(constraint, N - 1);
	assert_int_equal(ok, N * 24 + 1);
	assert_int_equal(dup, ok);
	assert_int_equal(store_count_letters(f->st, NULL, "ivan.petrov", 0, NULL), N * 24 + 1);
	/* every stored letter is in the outbox once, with its history */
	claimed = store_outbox_claim(f->st, 1000, 60, NULL);
	assert_non_null(claimed);
	assert_int_equal(claimed->len, N * 24 + 1);
	g_ptr_array_unref(claimed);
}

typedef struct {
	lg_store *st;
	int found, errors;
} lookup_thread;

static gpointer lookup_run(gpointer data)
{
	lookup_thread *t = data;
	for (int i = 0; i < 300; i++) {
		GError *e = NULL;
		lg_prisoner *p = store_prisoner_get(t->st, "ivan.petrov", &e);
		if (p && !strcmp(p->alias, "ivan.petrov"))
			t->found++;
		if (e)
			t->errors++;
		g_clear_error(&e);
		prisoner_free(p);
		(void)store_dedup_exists(t->st, "nothing-here", &e);
		if (e)
			t->errors++;
		g_clear_error(&e);
	}
	return NULL;
}

/* Sessions looking up at once, while letters are committed: each lookup
 * gets a connection of the pool, which never grows past its bound. */
static void test_lookup_pool(void **state)
{
	fixture *f = *state;
	enum { N = 16 };
	lookup_thread t[N];
	GThread *th[N];
	lg_prisoner *p = pris("ivan.petrov", "active");
	assert_true(store_prisoner_upsert(f->st, p, NULL));
	prisoner_free(p);
	assert_int_equal(store_lookup_connections(f->st), 1);
	for (int k = 0; k < N; k++) {
		memset(&t[k], 0, sizeof(t[k]));
		t[k].st = f->st;
		th[k] = g_thread_new("lookup", lookup_run, &t[k]);
	}
	for (int i = 0; i < 40; i++) {
		GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free);
		char id[16];
		gboolean dup = FALSE;
		g_snprintf(id, sizeof(id), "p%d", i);
		g_ptr_array_add(recs, rec(id, "queued", "ivan.petrov", "vera@example.net", id));
		assert_true(store_letters_commit(f->st, recs, &dup, NULL));
		g_ptr_array_unref(recs);
	}
	for (int k = 0; k < N; k++) {
		g_thread_join(th[k]);
		assert_int_equal(t[k].found, 300);
		assert_int_equal(t[k].errors, 0);
	}
	assert_true(store_lookup_connections(f->st) >= 1);
	assert_true(store_lookup_connections(f->st) <= 8);
	assert_int_equal(store_count_letters(f->st, NULL, "ivan.petrov", 0, NULL), 40);
}

static gpointer commit_k1(gpointer data)
{
	GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free);
	gboolean dup = FALSE, ok;
	g_ptr_array_add(recs, rec("l1", "queued", "ivan.petrov", "vera@example.net", "k1"));
	ok = store_letters_commit(data, recs, &dup, NULL);
	g_ptr_array_unref(recs);
	return GINT_TO_POINTER(ok);
}

static gpointer lookup_k1(gpointer data)
{
	return GINT_TO_POINTER(store_dedup_exists(data, "k1", NULL));
}

/* Lookups between store_read_begin() and store_read_end() see one snapshot;
 * other threads' lookups go on meanwhile on other connections. */
static void test_read_transaction(void **state)
{
	fixture *f = *state;
	lg_store *mem;
	GError *e = NULL;
	store_read_end(f->st); /* none begun: nothing to end */
	store_read_begin(f->st);
	store_read_begin(f->st); /* no nesting: still the first one */
	assert_false(store_dedup_exists(f->st, "k1", NULL));
	/* committed by another thread after the snapshot was taken */
	assert_true(GPOINTER_TO_INT(g_thread_join(g_thread_new("w", commit_k1, f->st))));
	assert_false(store_dedup_exists(f->st, "k1", NULL));
	/* another thread reads the database as it is now */
	assert_true(GPOINTER_TO_INT(g_thread_join(g_thread_new("r", lookup_k1, f->st))));
	assert_int_equal(store_lookup_connections(f->st), 2);
	store_read_end(f->st);
	assert_true(store_dedup_exists(f->st, "k1", NULL));
	store_read_end(f->st);
	assert_true(store_dedup_exists(f->st, "k1", NULL));

	/* an in-memory database has no lookup connections: begin and end do
	 * nothing, lookups use the one connection */
	mem = store_open(":memory:", &e);
	assert_non_null(mem);
	assert_int_equal(store_lookup_connections(mem), 0);
	store_read_begin(mem);
	assert_false(store_dedup_exists(mem, "k1", NULL));
	assert_true(GPOINTER_TO_INT(commit_k1(mem)));
	assert_true(store_dedup_exists(mem, "k1", NULL));
	store_read_end(mem);
	store_close(&mem);
}

static void test_busy_is_reported(void **state)
{
	fixture *f = *state;
	sqlite3 *db;
	GError *e = NULL;
	lg_prisoner *p = pris("olga.k", "active");
	/* another process holds the write lock longer than the busy timeout */
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	assert_false(store_prisoner_upsert(f->st, p, &e));
	assert_non_null(e);
	assert_int_equal(e->code, LG_STORE_ERR_BUSY);
	g_clear_error(&e);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_true(store_prisoner_upsert(f->st, p, &e));
	prisoner_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_schema_version, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prisoners, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_import_all_or_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_letters_dedup_outbox, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_busy_is_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lookup_pool, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_transaction, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
