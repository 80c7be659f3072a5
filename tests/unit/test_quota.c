/* tests/unit/test_quota.c - daily quotas with reset times and "already sent"
 * (policy/quota.h) against a real SQLite store. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "conf/config.h"
#include "policy/quota.h"
#include "store/store.h"

#define NOW ((gint64)1750000000)

typedef struct {
	char *dir;
	lg_store *st;
	lg_config *cfg;
} fx;

static int setup(void **state)
{
	fx *f = g_new0(fx, 1);
	char *db;
	GError *e = NULL;
	lg_prisoner p = {.alias = "ivan.petrov",
	                 .full_name = "Петров Иван",
	                 .birth_year = 1985,
	                 .region = "",
	                 .facility = "ИК-11",
	                 .status = "active"};
	lg_prisoner q = {.alias = "oleg.vasin",
	                 .full_name = "Васин Олег",
	                 .birth_year = 1978,
	                 .region = "",
	                 .facility = "СИЗО-1",
	                 .status = "active"};
	f->dir = g_dir_make_tmp("lg-quota-XXXXXX", NULL);
	db = g_build_filename(f->dir, "t.db", NULL);
	f->st = store_open(db, &e);
	g_free(db);
	assert_non_null(f->st);
	assert_true(store_prisoner_upsert(f->st, &p, NULL));
	assert_true(store_prisoner_upsert(f->st, &q, NULL));
	f->cfg = config_defaults();
	f->cfg->quota_writer_day = 0;
	f->cfg->quota_writer_prisoner_day = 0;
	f->cfg->quota_prisoner_day = 0;
	f->cfg->quota_letters_day = 0;
	f->cfg->quota_photos_day = 0;
	f->cfg->org_quota_day = 0;
	f->cfg->duplicate_days = 7;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
	store_close(&f->st);
	config_unref(&f->cfg);
	assert_int_equal(system(cmd), 0);
	g_free(cmd);
	g_free(f->dir);
	g_free(f);
	return 0;
}

static void put(fx *f, const char *writer, const char *prisoner, const char *org, const char *hash,
                const char *state, gint64 created, int photos)
{
	GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free);
	lg_letter_rec *r = letter_rec_new();
	gboolean dup = FALSE;
	r->id = g_strdup_printf("%016" G_GINT64_MODIFIER "x", (gint64)g_random_int());
	r->state = g_strdup(state);
	r->writer_addr = g_strdup(writer);
	r->writer_name = g_strdup("Anna");
	r->prisoner = g_strdup(prisoner);
	r->org = g_strdup(org);
	r->text_hash = g_strdup(hash);
	r->created = created;
	for (int i = 0; i < photos; i++) {
		lg_photo *ph = g_new0(lg_photo, 1);
		ph->name = g_strdup("p.jpg");
		ph->type = g_strdup("image/jpeg");
		ph->data = g_bytes_new("x", 1);
		g_ptr_array_add(r->photos, ph);
	}
	g_ptr_array_add(recs, r);
	assert_true(store_letters_commit(f->st, recs, &dup, NULL));
	g_ptr_array_unref(recs);
}

static lg_quota_status check(fx *f, lg_quota_tally *t, const lg_quota_item *it, lg_quota_result *r)
{
	GError *e = NULL;
	quota_result_clear(r);
	assert_true(quota_check(f->cfg, f->st, t, it, NOW, r, &e));
	assert_null(e);
	return r->status;
}

static void test_writer_day_reset_time(void **state)
{
	fx *f = *state;
	lg_quota_item it = {.writer = "anna@example.net", .prisoner = "ivan.petrov"};
	lg_quota_result r = {0};
	char *when;
	f->cfg->quota_writer_day = 2;
	put(f, "anna@example.net", "ivan.petrov", NULL, "h1", "queued", NOW - 7200, 0);
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_OK);
	put(f, "anna@example.net", "oleg.vasin", NULL, "h2", "held", NOW - 3600, 0);
	put(f, "anna@example.net", "ivan.petrov", NULL, "h3", "queued", NOW - 90000, 0); /* old */
	put(f, "anna@example.net", "ivan.petrov", NULL, "h4", "rejected", NOW - 60, 0);
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_OVER);
	assert_string_equal(r.limit_name, "writer_day");
	assert_int_equal(r.count, 2);
	assert_int_equal(r.reset_at, NOW - 7200 + 86400);
	when = quota_reset_text(r.reset_at);
	assert_non_null(strstr(r.en, when));
	assert_non_null(strstr(r.ru, when));
	assert_non_null(strstr(when, "UTC"));
	g_free(when);
	/* another writer is not affected */
	it.writer = "boris@example.net";
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_OK);
	quota_result_clear(&r);
}

static void test_reset_text(void **state)
{
	char *s = quota_reset_text(1750000000);
	assert_string_equal(s, "2025-06-15 15:06 UTC");
	g_free(s);
}

static void test_writer_prisoner_and_prisoner(void **state)
{
	fx *f = *state;
	lg_quota_item it = {.writer = "anna@example.net", .prisoner = "ivan.petrov"};
	lg_quota_result r = {0};
	f->cfg->quota_writer_prisoner_day = 1;
	put(f, "anna@example.net", "oleg.vasin", NULL, "h1", "queued", NOW - 100, 0);
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_OK);
	put(f, "anna@example.net", "ivan.petrov", NULL, "h2", "queued", NOW - 50, 0);
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_OVER);
	assert_string_equal(r.limit_name, "writer_prisoner_day");
	assert_int_equal(r.reset_at, NOW - 50 + 86400);
	f->cfg->quota_writer_prisoner_day = 0;
	f->cfg->quota_prisoner_day = 2;
	it.writer = "boris@example.net";
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_OK);
	put(f, "carl@example.net", "ivan.petrov", NULL, "h3", "held", NOW - 10, 0);
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_OVER);
	assert_string_equal(r.limit_name, "prisoner_day");
	quota_result_clear(&r);
}

static void test_tally(void **state)
{
	fx *f = *state;
	lg_quota_tally *t = quota_tally_new();
	lg_quota_item it = {.writer = "anna@example.net", .prisoner = "ivan.petrov"};
	lg_quota_result r = {0};
	f->cfg->quota_letters_day = 2;
	assert_int_equal(check(f, t, &it, &r), LG_QUOTA_OK);
	quota_tally_add(t, &it);
	assert_int_equal(quota_tally_prisoner(t, "ivan.petrov"), 1);
	assert_int_equal(check(f, t, &it, &r), LG_QUOTA_OK);
	quota_tally_add(t, &it);
	/* only this message's letters count: the quota resets a day from now */
	assert_int_equal(check(f, t, &it, &r), LG_QUOTA_OVER);
	assert_string_equal(r.limit_name, "letters_day");
	assert_int_equal(r.reset_at, NOW + 86400);
	quota_result_clear(&r);
	quota_tally_free(&t);
	assert_null(t);
}

static void test_photos(void **state)
{
	fx *f = *state;
	lg_quota_item it = {.writer = "anna@example.net", .prisoner = "ivan.petrov", .photos = 2};
	lg_quota_result r = {0};
	f->cfg->quota_photos_day = 4;
	put(f, "x@example.net", "oleg.vasin", NULL, "h1", "queued", NOW - 500, 3);
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_OVER);
	assert_string_equal(r.limit_name, "photos_day");
	it.photos = 1;
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_OK);
	it.photos = 0; /* a letter without photos is never held back by photos */
	f->cfg->quota_photos_day = 1;
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_OK);
	quota_result_clear(&r);
}

static void test_duplicate(void **state)
{
	fx *f = *state;
	lg_quota_item it = {
	    .writer = "anna@example.net", .prisoner = "ivan.petrov", .text_hash = "same"};
	lg_quota_result r = {0};
	put(f, "anna@example.net", "ivan.petrov", NULL, "same", "delivered", NOW - 6 * 86400, 0);
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_DUPLICATE);
	assert_non_null(strstr(r.en, "Already sent"));
	assert_non_null(strstr(r.en, "7 days"));
	it.prisoner = "oleg.vasin";
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_OK);
	it.prisoner = "ivan.petrov";
	it.writer = "boris@example.net";
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_OK);
	it.writer = "anna@example.net";
	f->cfg->duplicate_days = 5; /* the old letter is now out of the window */
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_OK);
	f->cfg->duplicate_days = 7;
	it.text_hash = NULL;
	assert_int_equal(check(f, NULL, &it, &r), LG_QUOTA_OK);
	quota_result_clear(&r);
}

static void test_org(void **state)
{
	fx *f = *state;
	lg_quota_tally *t = quota_tally_new();
	lg_quota_item it = {.writer = "fan@mail.example",
	                    .writer_name = "Anna",
	                    .prisoner = "ivan.petrov",
	                    .org = "auth:club",
	                    .text_hash = "t1"};
	lg_quota_result r = {0};
	f->cfg->quota_writer_day = 1;
	f->cfg->org_quota_day = 3;
	/* an organisation's letters do not use up the writer's own quota... */
	put(f, "fan@mail.example", "ivan.petrov", "auth:club", "t0", "queued", NOW - 10, 0);
	assert_int_equal(check(f, t, &it, &r), LG_QUOTA_OK);
	quota_tally_add(t, &it);
	{
		lg_quota_item own = {.writer = "fan@mail.example", .prisoner = "ivan.petrov"};
		assert_int_equal(check(f, t, &own, &r), LG_QUOTA_OK);
	}
	/* ...nor the writer quotas theirs: the organisation's own quota counts */
	it.text_hash = "t2";
	assert_int_equal(check(f, t, &it, &r), LG_QUOTA_OK);
	quota_tally_add(t, &it);
	it.text_hash = "t3";
	assert_int_equal(check(f, t, &it, &r), LG_QUOTA_OVER);
	assert_string_equal(r.limit_name, "org_day");
	assert_int_equal(r.reset_at, NOW - 10 + 86400);
	/* the same supporter and text twice in one batch: already sent */
	f->cfg->org_quota_day = 0;
	it.text_hash = "t2";
	assert_int_equal(check(f, t, &it, &r), LG_QUOTA_DUPLICATE);
	it.writer_name = "Boris";
	assert_int_equal(check(f, t, &it, &r), LG_QUOTA_OK);
	quota_result_clear(&r);
	quota_tally_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_writer_day_reset_time, setup, teardown),
	    cmocka_unit_test(test_reset_text),
	    cmocka_unit_test_setup_teardown(test_writer_prisoner_and_prisoner, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tally, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_photos, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_org, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
