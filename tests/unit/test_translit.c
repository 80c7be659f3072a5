/* tests/unit/test_translit.c - aliases from Russian names (store/translit.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "store/translit.h"

static void expect_alias(const char *name, translit_scheme sch, gboolean cyr, const char *want)
{
	char *got = translit_alias(name, sch, cyr);
	if (want == NULL)
		assert_null(got);
	else
		assert_string_equal(got, want);
	g_free(got);
}

static void test_primary(void **state)
{
	expect_alias("Петров Иван Сергеевич", TRANSLIT_PRIMARY, FALSE, "ivan.petrov");
	expect_alias("Соколова Мария Андреевна", TRANSLIT_PRIMARY, FALSE, "mariya.sokolova");
	expect_alias("Щукин Юрий", TRANSLIT_PRIMARY, FALSE, "yuriy.shchukin");
	expect_alias("Хабибуллин Цезарь", TRANSLIT_PRIMARY, FALSE, "tsezar.khabibullin");
	expect_alias("Объедков Фёдор", TRANSLIT_PRIMARY, FALSE, "fedor.obedkov");
	expect_alias("Римский-Корсаков Николай", TRANSLIT_PRIMARY, FALSE,
	             "nikolay.rimskiy-korsakov");
	expect_alias("  Жуков   Илья  ", TRANSLIT_PRIMARY, FALSE, "ilya.zhukov");
	expect_alias("Navalny Alexei", TRANSLIT_PRIMARY, FALSE, "alexei.navalny");
	expect_alias("Мамедов", TRANSLIT_PRIMARY, FALSE, "mamedov");
	expect_alias("  ", TRANSLIT_PRIMARY, FALSE, NULL);
	expect_alias("!!! ???", TRANSLIT_PRIMARY, FALSE, NULL);
	expect_alias(NULL, TRANSLIT_PRIMARY, FALSE, NULL);
}

static void test_other_schemes(void **state)
{
	expect_alias("Соколова Мария", TRANSLIT_ICAO, FALSE, "mariia.sokolova");
	expect_alias("Соколова Мария", TRANSLIT_SIMPLE, FALSE, "marija.sokolova");
	expect_alias("Щукин Юрий", TRANSLIT_ICAO, FALSE, "iurii.shchukin");
	expect_alias("Щукин Юрий", TRANSLIT_SIMPLE, FALSE, "jurij.schukin");
	expect_alias("Петров Иван", TRANSLIT_PRIMARY, TRUE, "иван.петров");
	expect_alias("Ёлкин Пётр", TRANSLIT_PRIMARY, TRUE, "петр.елкин");
}

static void test_variants(void **state)
{
	GPtrArray *v = translit_alias_variants("Петров Иван Сергеевич");
	assert_int_equal(v->len, 2);
	assert_string_equal(g_ptr_array_index(v, 0), "ivan.petrov");
	assert_string_equal(g_ptr_array_index(v, 1), "иван.петров");
	g_ptr_array_unref(v);
	v = translit_alias_variants("Соколова Мария Андреевна");
	assert_int_equal(v->len, 4); /* mariya, mariia, marija, мария */
	g_ptr_array_unref(v);
}

static void test_key(void **state)
{
	static const struct {
		const char *local, *want;
	} cases[] = {
	    {" ИВАН.Петров ", "иван.петров"},
	    {"ПЁТР.Ёлкин", "петр.елкин"},
	    /* decomposed й (и + combining breve) is the same key as precomposed */
	    {"\xd0\xb8\xcc\x86", "й"},
	    {"Ivan.Petrov", "ivan.petrov"},
	    /* ASCII takes a shorter way to the same key */
	    {" \tOleg_Vasin-2 \n", "oleg_vasin-2"},
	    {"", ""},
	    {NULL, ""},
	};
	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *k = translit_alias_key(cases[i].local);
		assert_string_equal(k, cases[i].want);
		g_free(k);
	}
}

static void test_extra_valid(void **state)
{
	assert_true(translit_extra_alias_valid("ivan.petrov"));
	assert_true(translit_extra_alias_valid("иван.петров"));
	assert_true(translit_extra_alias_valid("ivan_petrov-2"));
	assert_false(translit_extra_alias_valid("Иван.петров"));
	assert_false(translit_extra_alias_valid(".ivan"));
	assert_false(translit_extra_alias_valid("ivan petrov"));
	assert_false(translit_extra_alias_valid("ivan@petrov"));
	assert_false(translit_extra_alias_valid(""));
	assert_false(translit_extra_alias_valid("\xff\xfe"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_primary),     cmocka_unit_test(test_other_schemes),
	    cmocka_unit_test(test_variants),    cmocka_unit_test(test_key),
	    cmocka_unit_test(test_extra_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
