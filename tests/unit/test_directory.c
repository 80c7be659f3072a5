/* tests/unit/test_directory.c - the prisoner directory: CSV with generated
 * and extra aliases, import plans with field diffs, idempotent re-imports,
 * case-insensitive (Cyrillic) lookups, status changes acting on letters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "store/directory.h"
#include "store/store.h"

typedef struct {
	char *dir;
	lg_store *st;
} fx;

static int setup(void **state)
{
	fx *f = g_new0(fx, 1);
	char *db;
	f->dir = g_dir_make_tmp("lg-dir-XXXXXX", NULL);
	db = g_build_filename(f->dir, "t.db", NULL);
	f->st = store_open(db, NULL);
	g_free(db);
	assert_non_null(f->st);
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

/* Parses, plans and (when apply) imports; returns the changes. */
static GPtrArray *run(fx *f, const char *csv, gboolean apply, guint want_errors)
{
	GPtrArray *ps = NULL, *errs = NULL, *changes = NULL;
	GError *e = NULL;
	directory_parse_csv(csv, strlen(csv), &ps, &errs);
	assert_int_equal(errs->len, 0);
	assert_true(directory_plan(f->st, ps, &changes, errs, &e));
	assert_null(e);
	if (errs->len != want_errors)
		for (guint i = 0; i < errs->len; i++)
			print_error("%s\n", (char *)g_ptr_array_index(errs, i));
	assert_int_equal(errs->len, want_errors);
	if (apply && want_errors == 0)
		assert_true(store_prisoner_import(f->st, ps, NULL));
	g_ptr_array_unref(ps);
	g_ptr_array_unref(errs);
	return changes;
}

static lg_dir_change *ch(GPtrArray *c, guint i)
{
	return g_ptr_array_index(c, i);
}

static const char *csv1 =
    "alias,full_name,birth_year,region,facility,status,aliases\n"
    ",Петров Иван Сергеевич,1985,Мордовия,ИК-11,active,\n"
    ",Петров Иван Сергеевич,1990,Пермь,ИК-28,active,\n"
    "maria.sokolova,Соколова Мария Андреевна,1992,Пермский край,ИК-28,active,masha.sokolova;"
    "Маша.Соколова\n";

static void test_generated_aliases_and_collisions(void **state)
{
	fx *f = *state;
	GPtrArray *c = run(f, csv1, TRUE, 0);
	lg_prisoner *p;
	assert_int_equal(c->len, 3);
	assert_string_equal(ch(c, 0)->alias, "ivan.petrov");
	assert_true(ch(c, 0)->generated);
	assert_string_equal(ch(c, 0)->action, "add");
	assert_string_equal(ch(c, 1)->alias, "ivan.petrov.1990"); /* collision: birth year */
	assert_string_equal(ch(c, 2)->alias, "maria.sokolova");
	assert_false(ch(c, 2)->generated);
	g_ptr_array_unref(c);
	/* every spelling reaches the right prisoner, in any case */
	p = store_prisoner_get(f->st, "ИВАН.Петров", NULL);
	assert_string_equal(p->alias, "ivan.petrov");
	prisoner_free(p);
	p = store_prisoner_get(f->st, "иван.петров.1990", NULL);
	assert_string_equal(p->alias, "ivan.petrov.1990");
	prisoner_free(p);
	p = store_prisoner_get(f->st, "MARIIA.SOKOLOVA", NULL);
	assert_string_equal(p->alias, "maria.sokolova");
	prisoner_free(p);
	p = store_prisoner_get(f->st, "маша.соколова", NULL);
	assert_string_equal(p->alias, "maria.sokolova");
	prisoner_free(p);
	p = store_prisoner_get(f->st, "masha.sokolova", NULL);
	assert_string_equal(p->alias, "maria.sokolova");
	prisoner_free(p);
	assert_null(store_prisoner_get(f->st, "nobody", NULL));
}

static void test_idempotent_and_diffs(void **state)
{
	fx *f = *state;
	GPtrArray *c = run(f, csv1, TRUE, 0);
	char *csv2;
	g_ptr_array_unref(c);
	c = run(f, csv1, TRUE, 0);
	for (guint i = 0; i < c->len; i++) {
		assert_string_equal(ch(c, i)->action, "same");
		assert_int_equal(ch(c, i)->new_aliases->len, 0);
	}
	/* the generated aliases are found again, not regenerated */
	assert_string_equal(ch(c, 0)->alias, "ivan.petrov");
	assert_string_equal(ch(c, 1)->alias, "ivan.petrov.1990");
	g_ptr_array_unref(c);
	csv2 = g_strdup(csv1);
	{
		GString *g = g_string_new(csv1);
		g_string_replace(g, "Пермский край,ИК-28,active", "Пермский край,ИК-5,transferred",
		                 1);
		g_free(csv2);
		csv2 = g_string_free(g, FALSE);
	}
	c = run(f, csv2, FALSE, 0);
	assert_string_equal(ch(c, 2)->action, "update");
	assert_int_equal(ch(c, 2)->diffs->len, 2);
	assert_string_equal(g_ptr_array_index(ch(c, 2)->diffs, 0),
	                    "facility: \"ИК-28\" -> \"ИК-5\"");
	assert_string_equal(g_ptr_array_index(ch(c, 2)->diffs, 1),
	                    "status: \"active\" -> \"transferred\"");
	assert_string_equal(ch(c, 2)->old_status, "active");
	assert_string_equal(ch(c, 2)->new_status, "transferred");
	g_ptr_array_unref(c);
	g_free(csv2);
}

static void test_extra_alias_conflict(void **state)
{
	fx *f = *state;
	GPtrArray *c = run(f, csv1, TRUE, 0);
	g_ptr_array_unref(c);
	c = run(f,
	        "alias,full_name,birth_year,region,facility,status,aliases\n"
	        "oleg.vasin,Васин Олег,1978,,,active,masha.sokolova\n",
	        FALSE, 1);
	g_ptr_array_unref(c);
	/* a CSV alias that is someone's extra alias */
	c = run(f,
	        "alias,full_name,birth_year,region,facility,status\n"
	        "masha.sokolova,Васин Олег,1978,,,active\n",
	        FALSE, 1);
	g_ptr_array_unref(c);
	/* explicit alias wins over a generated one in the same file */
	c = run(f,
	        "alias,full_name,birth_year,region,facility,status\n"
	        ",Гусев Олег,1970,,,active\n"
	        "oleg.gusev,Гусев Олег Иванович,1971,,,active\n",
	        TRUE, 0);
	assert_string_equal(ch(c, 0)->alias, "oleg.gusev.1970");
	assert_string_equal(ch(c, 1)->alias, "oleg.gusev");
	g_ptr_array_unref(c);
	assert_false(store_alias_add(f->st, "ivan.petrov", "maria.sokolova", NULL));
	assert_false(store_alias_add(f->st, "x.y", "no.such.prisoner", NULL));
	assert_true(store_alias_add(f->st, "Ваня.Петров", "ivan.petrov", NULL));
	{
		lg_prisoner *p = store_prisoner_get(f->st, "ваня.петров", NULL);
		assert_string_equal(p->alias, "ivan.petrov");
		prisoner_free(p);
	}
}

static void test_parse_errors(void **state)
{
	GPtrArray *ps = NULL, *errs = NULL;
	const char *bad = "alias,full_name,birth_year,region,facility,status,aliases\n"
	                  "Bad Alias,Имя,1980,,,active,\n"
	                  ",,1980,,,active,\n"
	                  ",Имя Фамилия,1980,,,active,bad@alias\n"
	                  ",Имя Фамилия,19x0,,,active,\n";
	directory_parse_csv(bad, strlen(bad), &ps, &errs);
	assert_int_equal(errs->len, 4);
	assert_non_null(strstr(g_ptr_array_index(errs, 0), "line 2"));
	assert_non_null(strstr(g_ptr_array_index(errs, 1), "full_name is empty"));
	assert_non_null(strstr(g_ptr_array_index(errs, 2), "extra alias"));
	assert_non_null(strstr(g_ptr_array_index(errs, 3), "birth_year"));
	g_ptr_array_unref(ps);
	g_ptr_array_unref(errs);
}

static void put_letter(fx *f, const char *id, const char *prisoner, const char *state)
{
	GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free);
	lg_letter_rec *r = letter_rec_new();
	gboolean dup;
	r->id = g_strdup(id);
	r->state = g_strdup(state);
	r->prisoner = g_strdup(prisoner);
	r->writer_addr = g_strdup("anna@example.net");
	g_ptr_array_add(recs, r);
	assert_true(store_letters_commit(f->st, recs, &dup, NULL));
	g_ptr_array_unref(recs);
}

static const char *state_of(fx *f, const char *id, char **buf)
{
	lg_letter_rec *r = store_letter_get(f->st, id, FALSE, NULL);
	g_free(*buf);
	*buf = g_strdup(r->state);
	letter_rec_free(r);
	return *buf;
}

static void test_status_effects(void **state)
{
	fx *f = *state;
	GPtrArray *c = run(f, csv1, TRUE, 0), *failed = NULL, *held = NULL;
	char *buf = NULL;
	g_ptr_array_unref(c);
	put_letter(f, "a1", "ivan.petrov", "queued");
	put_letter(f, "a2", "ivan.petrov", "held");
	put_letter(f, "a3", "ivan.petrov", "sent");
	put_letter(f, "b1", "maria.sokolova", "queued");
	assert_int_equal(store_outbox_pending(f->st, NULL), 2);
	assert_int_equal(store_prisoner_pending(f->st, "ivan.petrov", NULL), 2);
	assert_true(store_prisoner_set_status(f->st, "ivan.petrov", "released", NULL, NULL));
	assert_true(store_prisoner_status_effect(f->st, "ivan.petrov", "released", "admin", &failed,
	                                         &held, NULL));
	assert_int_equal(failed->len, 2);
	assert_int_equal(held->len, 0);
	assert_string_equal(state_of(f, "a1", &buf), "failed");
	assert_string_equal(state_of(f, "a2", &buf), "failed");
	assert_string_equal(state_of(f, "a3", &buf), "sent");
	assert_int_equal(store_outbox_pending(f->st, NULL), 1);
	g_ptr_array_unref(failed);
	g_ptr_array_unref(held);
	assert_true(store_prisoner_status_effect(f->st, "maria.sokolova", "transferred", "admin",
	                                         &failed, &held, NULL));
	assert_int_equal(failed->len, 0);
	assert_int_equal(held->len, 1);
	assert_string_equal(state_of(f, "b1", &buf), "held");
	assert_int_equal(store_outbox_pending(f->st, NULL), 0);
	g_ptr_array_unref(failed);
	g_ptr_array_unref(held);
	{
		char *hist = store_letter_history_json(f->st, "a1", NULL);
		assert_non_null(strstr(hist, "\"actor\":\"admin\""));
		assert_non_null(strstr(hist, "released"));
		g_free(hist);
	}
	g_free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_generated_aliases_and_collisions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idempotent_and_diffs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_extra_alias_conflict, setup, teardown),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test_setup_teardown(test_status_effects, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
