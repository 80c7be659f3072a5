/* tests/unit/test_translate.c - translate/: routes, pieces, masking,
 * splitting, per-paragraph decisions, cache, short texts, failures. No
 * network: backends point at a closed port, answers come from the cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "conf/config.h"
#include "store/store.h"
#include "translate/translate.h"
#include "translate/translate_int.h"

#define CLOSED_URL "http://127.0.0.1:9" /* discard port: nothing listens */

static void set_str(char **field, const char *v)
{
	g_free(*field);
	*field = g_strdup(v);
}

static void test_routes(void **state)
{
	GError *err = NULL;
	lg_routes *r = routes_parse(" uk : apertium ; be:apertium;*:deepl, libretranslate;"
	                            "unknown:deepl;de:none",
	                            &err);
	const GArray *a;
	(void)state;
	assert_non_null(r);
	a = routes_for(r, "uk");
	assert_int_equal(a->len, 1);
	assert_int_equal(g_array_index(a, int, 0), LG_BK_APERTIUM);
	a = routes_for(r, "en"); /* falls to "*" */
	assert_int_equal(a->len, 2);
	assert_int_equal(g_array_index(a, int, 0), LG_BK_DEEPL);
	assert_int_equal(g_array_index(a, int, 1), LG_BK_LIBRETRANSLATE);
	assert_null(routes_for(r, "de")); /* none */
	assert_null(routes_for(r, "ru"));
	a = routes_for(r, "unknown");
	assert_int_equal(g_array_index(a, int, 0), LG_BK_DEEPL);
	routes_free(&r);
	assert_null(r);

	/* "*" does not cover unidentified text */
	r = routes_parse("*:deepl", &err);
	assert_null(routes_for(r, "unknown"));
	routes_free(&r);

	const char *bad[] = {"uk",
	                     "uk:google",
	                     "ru:apertium",
	                     "uk:apertium;uk:deepl",
	                     "uk:apertium,apertium",
	                     "UK:apertium",
	                     ":deepl"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		r = routes_parse(bad[i], &err);
		assert_null(r);
		assert_non_null(err);
		g_clear_error(&err);
	}
	r = routes_parse("", &err); /* empty: nothing routed */
	assert_non_null(r);
	assert_null(routes_for(r, "en"));
	routes_free(&r);
}

static char *join_pieces(GPtrArray *a)
{
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < a->len; i++)
		g_string_append(s, ((lg_piece *)a->pdata[i])->text);
	return g_string_free(s, FALSE);
}

static void test_pieces(void **state)
{
	const char *text = "Dear Ivan,\n\nWe think of you every day and we hope that this\n"
	                   "letter finds you well.\n\nThings we did:\n- walked the dog\n"
	                   "  * read your book\n1. wrote to you\n\n  -- \nAnna\n+7 900 123 45 67\n";
	int n = 0;
	GPtrArray *a = text_pieces(text, &n);
	char *back = join_pieces(a);
	int units = 0;
	(void)state;
	assert_string_equal(back, text);
	assert_int_equal(n, 4);
	for (guint i = 0; i < a->len; i++) {
		lg_piece *p = a->pdata[i];
		if (!p->translate)
			continue;
		units++;
		/* markers and indentation never go to a translator */
		assert_false(g_str_has_prefix(p->text, "-"));
		assert_false(g_str_has_prefix(p->text, " "));
		assert_false(g_str_has_prefix(p->text, "*"));
		assert_false(g_str_has_prefix(p->text, "1."));
		assert_null(strstr(p->text, "900"));
	}
	/* "Dear Ivan,", the wrapped sentence (one unit), "Things we did:",
	 * three list items, "Anna" */
	assert_int_equal(units, 7);
	for (guint i = 0; i < a->len; i++) {
		lg_piece *p = a->pdata[i];
		if (p->translate && g_str_has_prefix(p->text, "We think"))
			assert_string_equal(p->text, "We think of you every day and we hope that "
			                             "this\nletter finds you well.");
	}
	g_free(back);
	g_ptr_array_unref(a);

	/* CRLF, no final newline, empty text */
	a = text_pieces("Привет\r\n\r\n- раз\r\n- два", &n);
	back = join_pieces(a);
	assert_string_equal(back, "Привет\r\n\r\n- раз\r\n- два");
	assert_int_equal(n, 2);
	g_free(back);
	g_ptr_array_unref(a);
	a = text_pieces("", &n);
	assert_int_equal(a->len, 0);
	assert_int_equal(n, 0);
	g_ptr_array_unref(a);
}

static void test_mask(void **state)
{
	GPtrArray *saved = g_ptr_array_new_with_free_func(g_free);
	const char *text = "Write to anna.k+1@mail.example.org or see https://example.com/a?b=1. "
	                   "Call +7 (900) 123-45-67 or 8 800 555 35 35, index 123456, "
	                   "site free.example.ru. In 2023 we were 12.";
	char *m = text_mask(text, saved), *back, *lost;
	(void)state;
	assert_null(strstr(m, "@"));
	assert_null(strstr(m, "http"));
	assert_null(strstr(m, "900"));
	assert_null(strstr(m, "555"));
	assert_null(strstr(m, "123456"));
	assert_null(strstr(m, "example.ru"));
	assert_non_null(strstr(m, "2023")); /* years and small numbers stay */
	assert_non_null(strstr(m, "12."));
	assert_non_null(strstr(m, "\xe2\x9f\xa6"
	                          "1\xe2\x9f\xa7"));
	assert_int_equal(saved->len, 6);
	back = text_unmask(m, saved);
	assert_string_equal(back, text);
	g_free(back);

	/* a translator that spaced out a placeholder and dropped another */
	GPtrArray *two = g_ptr_array_new_with_free_func(g_free);
	g_ptr_array_add(two, g_strdup("a@b.org"));
	g_ptr_array_add(two, g_strdup("+7 900 000 00 00"));
	lost = text_unmask("Пишите на \xe2\x9f\xa6 1 \xe2\x9f\xa7.", two);
	assert_string_equal(lost, "Пишите на a@b.org. (+7 900 000 00 00)");
	g_free(lost);
	g_ptr_array_unref(two);
	g_free(m);
	g_ptr_array_unref(saved);
}

static void test_split(void **state)
{
	GString *big = g_string_new(NULL);
	GPtrArray *parts;
	(void)state;
	for (int i = 0; i < 200; i++)
		g_string_append_printf(big, "Предложение номер %d кончается здесь. ", i);
	g_string_append(big, "\n\nВторой абзац.\n");
	g_string_append(big, "Оченьоченьоченьоченьоченьоченьоченьоченьдлинноеслово");
	parts = text_split(big->str, 100);
	GString *back = g_string_new(NULL);
	for (guint i = 0; i < parts->len; i++) {
		const char *p = parts->pdata[i];
		assert_true(strlen(p) <= 100);
		assert_true(g_utf8_validate(p, -1, NULL));
		g_string_append(back, p);
	}
	assert_string_equal(back->str, big->str);
	/* sentence boundaries: every piece but the last few ends a sentence */
	assert_true(g_str_has_suffix(parts->pdata[0], ". "));
	g_string_free(back, TRUE);
	g_ptr_array_unref(parts);
	parts = text_split("short", 100);
	assert_int_equal(parts->len, 1);
	g_ptr_array_unref(parts);
	g_string_free(big, TRUE);
}

/* A configuration whose backends are unreachable; deepl has a key file. */
static lg_config *test_config(const char *dir)
{
	lg_config *cfg = config_defaults();
	char *key = g_build_filename(dir, "deepl.key", NULL);
	g_file_set_contents(key, "test-key\n", -1, NULL);
	g_chmod(key, 0600);
	set_str(&cfg->apertium_url, CLOSED_URL);
	set_str(&cfg->deepl_url, CLOSED_URL "/v2/translate");
	set_str(&cfg->deepl_key_file, key);
	set_str(&cfg->libretranslate_url, "");
	set_str(&cfg->routes, "uk:apertium;be:apertium;*:deepl");
	set_str(&cfg->short_text, "hold");
	cfg->translate_timeout_ms = 2000;
	g_free(key);
	return cfg;
}

static const char *RU_LETTER =
    "Здравствуй, Иван!\n\n"
    "Мы очень часто думаем о тебе и ждём, когда ты вернёшься домой. У нас всё хорошо, "
    "дети растут, весной мы посадили яблоню в саду, как ты когда-то хотел.\n\n";
static const char *EN_QUOTE = "Hope is being able to see that there is light despite all of "
                              "the darkness, and we keep that light for you every single day.";

static void test_letters(void **state)
{
	char *dir = g_dir_make_tmp("lg-tr-XXXXXX", NULL);
	char *db = g_build_filename(dir, "t.db", NULL);
	lg_config *cfg = test_config(dir);
	GError *err = NULL;
	lg_store *st = store_open(db, &err);
	lg_translator *t;
	lg_translation out;
	char *sha, *letter;
	lg_tr_status rc;
	(void)state;
	assert_non_null(st);
	t = translate_new(cfg, st, &err);
	assert_non_null(t);

	/* Russian passes untouched */
	rc = translate_letter(t, RU_LETTER, &out, &err);
	assert_int_equal(rc, LG_TR_OK);
	assert_string_equal(out.lang, "ru");
	assert_false(out.translated);
	assert_string_equal(out.text_ru, RU_LETTER);
	assert_string_equal(out.from, "");
	translation_clear(&out);

	/* A Russian letter with an English quotation: only the quotation is
	 * translated. The backend is down, so this needs the cache: proof
	 * that the paragraph alone was looked up. */
	letter = g_strdup_printf("%s%s\n\nОбнимаем, твои Аня и Петя\n", RU_LETTER, EN_QUOTE);
	rc = translate_letter(t, letter, &out, &err);
	assert_int_equal(rc, LG_TR_UNAVAILABLE); /* en -> deepl: closed port */
	assert_string_equal(out.lang, "ru");
	assert_non_null(err);
	g_clear_error(&err);
	translation_clear(&out);
	sha = util_sha256_hex(EN_QUOTE, strlen(EN_QUOTE));
	assert_true(store_cache_put(st, "deepl", "en", "ru", sha,
	                            "Надежда — это видеть свет вопреки тьме.", &err));
	rc = translate_letter(t, letter, &out, &err);
	assert_int_equal(rc, LG_TR_OK);
	assert_string_equal(out.lang, "ru");
	assert_true(out.translated);
	assert_string_equal(out.backend, "cache:deepl");
	assert_string_equal(out.from, "en");
	assert_true(g_str_has_prefix(out.text_ru, RU_LETTER));
	assert_non_null(strstr(out.text_ru, "Надежда — это видеть свет вопреки тьме.\n\nОбнимаем"));
	assert_null(strstr(out.text_ru, "Hope"));
	translation_clear(&out);
	g_free(sha);
	g_free(letter);

	/* Ukrainian with apertium down: temporary failure */
	rc = translate_letter(t,
	                      "Привіт, Іване! Ми всі думаємо про тебе щодня і чекаємо "
	                      "на твоє повернення додому. Тримайся, будь ласка.",
	                      &out, &err);
	assert_int_equal(rc, LG_TR_UNAVAILABLE);
	assert_string_equal(out.lang, "uk");
	g_clear_error(&err);
	translation_clear(&out);

	/* No route for Polish -> a human translates */
	translate_free(&t);
	set_str(&cfg->routes, "uk:apertium;pl:none");
	t = translate_new(cfg, st, &err);
	rc = translate_letter(t,
	                      "Drogi Iwanie, myślimy o Tobie każdego dnia i czekamy na Twój "
	                      "powrót do domu. Trzymaj się, jesteśmy z Tobą.",
	                      &out, &err);
	assert_int_equal(rc, LG_TR_NO_BACKEND);
	assert_string_equal(out.lang, "pl");
	g_clear_error(&err);
	translation_clear(&out);

	/* Too short to tell: hold, or taken as Russian */
	rc = translate_letter(t, "Держись!", &out, &err);
	assert_int_equal(rc, LG_TR_NO_BACKEND);
	assert_string_equal(out.lang, "unknown");
	g_clear_error(&err);
	translation_clear(&out);
	translate_free(&t);
	set_str(&cfg->short_text, "russian");
	t = translate_new(cfg, st, &err);
	rc = translate_letter(t, "Держись!", &out, &err);
	assert_int_equal(rc, LG_TR_OK);
	assert_string_equal(out.lang, "ru");
	assert_string_equal(out.text_ru, "Держись!");
	translation_clear(&out);
	/* ...but a short Ukrainian one is not Russian */
	rc = translate_letter(t, "Тримайся, ми з тобою і все буде добре!", &out, &err);
	assert_int_not_equal(rc, LG_TR_OK);
	g_clear_error(&err);
	translation_clear(&out);

	/* Bad configuration */
	translate_free(&t);
	set_str(&cfg->routes, "uk:babelfish");
	t = translate_new(cfg, st, &err);
	assert_null(t);
	assert_non_null(err);
	g_clear_error(&err);
	set_str(&cfg->routes, "uk:apertium");
	set_str(&cfg->languages, "ru,xx");
	t = translate_new(cfg, st, &err);
	assert_null(t);
	g_clear_error(&err);

	store_close(&st);
	config_unref(&cfg);
	g_unlink(db);
	char *key = g_build_filename(dir, "deepl.key", NULL);
	g_unlink(key);
	g_free(key);
	g_rmdir(dir);
	g_free(db);
	g_free(dir);
}

static void test_cache_roundtrip(void **state)
{
	/* A Ukrainian letter served from the cache with the backend down:
	 * masked units are the cache keys. */
	char *dir = g_dir_make_tmp("lg-tr-XXXXXX", NULL);
	char *db = g_build_filename(dir, "t.db", NULL);
	lg_config *cfg = test_config(dir);
	GError *err = NULL;
	lg_store *st = store_open(db, &err);
	lg_translator *t = translate_new(cfg, st, &err);
	lg_translation out;
	const char *unit = "Пиши мені на \xe2\x9f\xa6"
	                   "1\xe2\x9f\xa7, я завжди відповім тобі.";
	char *sha = util_sha256_hex(unit, strlen(unit));
	(void)state;
	assert_true(store_cache_put(st, "apertium", "uk", "ru", sha,
	                            "Пиши мне на \xe2\x9f\xa6"
	                            "1\xe2\x9f\xa7, я всегда отвечу тебе.",
	                            &err));
	assert_int_equal(
	    translate_letter(t, "  Пиши мені на olena@example.org, я завжди відповім тобі.\n", &out,
	                     &err),
	    LG_TR_OK);
	assert_string_equal(out.lang, "uk");
	assert_string_equal(out.backend, "cache:apertium");
	assert_string_equal(out.text_ru,
	                    "  Пиши мне на olena@example.org, я всегда отвечу тебе.\n");
	translation_clear(&out);
	translate_free(&t);
	/* Without a store: no cache, backend down */
	t = translate_new(cfg, NULL, &err);
	assert_int_equal(translate_letter(t,
	                                  "Пиши мені на olena@example.org, я завжди відповім тобі.",
	                                  &out, &err),
	                 LG_TR_UNAVAILABLE);
	g_clear_error(&err);
	translation_clear(&out);
	translate_free(&t);
	store_close(&st);
	config_unref(&cfg);
	g_unlink(db);
	char *key = g_build_filename(dir, "deepl.key", NULL);
	g_unlink(key);
	g_free(key);
	g_rmdir(dir);
	g_free(db);
	g_free(dir);
	g_free(sha);
}

static void test_names(void **state)
{
	char *s;
	(void)state;
	assert_string_equal(translate_lang_name_ru("en"), "английского");
	assert_string_equal(translate_lang_name_ru("uk"), "украинского");
	assert_string_equal(translate_lang_name_ru("xx"), "иностранного");
	s = translate_lang_names_ru("uk,en");
	assert_string_equal(s, "украинского и английского");
	g_free(s);
	s = translate_lang_names_ru("de,fr,en");
	assert_string_equal(s, "немецкого, французского и английского");
	g_free(s);
	s = translate_lang_names_ru("");
	assert_string_equal(s, "иностранного");
	g_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_routes),  cmocka_unit_test(test_pieces),
	    cmocka_unit_test(test_mask),    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_letters), cmocka_unit_test(test_cache_roundtrip),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
