/* tests/unit/test_langid.c - language identification measured on the
 * shared corpus (../shared/corpus/langid, or $LG_SHARED/corpus/langid):
 * accuracy per language, news/web sentences and UDHR paragraphs scored
 * apart, lines of 100 characters or more and shorter ones apart. Asserts:
 *  - >= 98 % on long lines for ru uk be en de fr es pl (each part);
 *  - short lines of those: wrong answers <= 2 % (unknown is fine);
 *  - languages outside the configuration: never Russian, never a wrong
 *    configured language on long lines (<= 1 % allowed overall).
 * Skips when the corpus is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "translate/translate_int.h"

#define LANGS "ru,uk,be,en,de,fr,es,pl,it,pt,nl"

typedef struct score {
	int n, ok, unknown, wrong, as_ru;
} score;

/* UDHR part starts at this line (1-based), from SOURCES.md. */
static const struct {
	const char *code;
	int udhr;
	gboolean target;
} corpus[] = {
    {"ru", 241, TRUE},  {"uk", 243, TRUE},  {"be", 241, TRUE},  {"en", 242, TRUE},
    {"de", 241, TRUE},  {"fr", 242, TRUE},  {"es", 242, TRUE},  {"pl", 241, TRUE},
    {"it", 241, FALSE}, {"pt", 241, FALSE}, {"nl", 243, FALSE}, {"cs", 242, FALSE},
    {"bg", 243, FALSE}, {"sr", 242, FALSE}, {"kk", 243, FALSE}, {"he", 243, FALSE},
    {"ka", 243, FALSE}, {"hy", 231, FALSE}, {"lv", 241, FALSE}, {"lt", 242, FALSE},
    {"et", 241, FALSE}, {"fi", 239, FALSE}, {"sv", 239, FALSE}, {"tr", 241, FALSE},
};

static char *corpus_dir(void)
{
	const char *shared = g_getenv("LG_SHARED");
	return shared ? g_build_filename(shared, "corpus", "langid", NULL)
	              : g_strdup("../shared/corpus/langid");
}

static double pct(int a, int n)
{
	return n ? 100.0 * a / n : 100.0;
}

static void test_corpus(void **state)
{
	char *dir = corpus_dir();
	GError *err = NULL;
	lg_langid *l;
	int failures = 0;
	(void)state;
	if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		g_free(dir);
		skip();
	}
	l = langid_new(LANGS, NULL, 20, &err);
	assert_non_null(l);
	printf("# languages configured: %s\n", LANGS);
	printf("# %-4s %-6s %22s %22s %28s\n", "lang", "part", "long >=100: ok/n", "(unknown)",
	       "short <100: ok / unk / wrong");
	for (size_t c = 0; c < G_N_ELEMENTS(corpus); c++) {
		char *path = g_strdup_printf("%s/%s.txt", dir, corpus[c].code), *data = NULL;
		char **lines;
		score sc[2][2]; /* [part: 0 news, 1 udhr][0 long, 1 short] */
		gboolean configured = langid_configured(l, corpus[c].code);
		memset(sc, 0, sizeof(sc));
		assert_true(g_file_get_contents(path, &data, NULL, NULL));
		lines = g_strsplit(data, "\n", -1);
		for (int i = 0; lines[i]; i++) {
			const char *r;
			int part = (i + 1) >= corpus[c].udhr, sh;
			score *s;
			if (*lines[i] == '\0')
				continue;
			sh = g_utf8_strlen(lines[i], -1) < 100;
			s = &sc[part][sh];
			r = langid_detect(l, lines[i], -1, NULL);
			s->n++;
			if (!strcmp(r, corpus[c].code))
				s->ok++;
			else if (!strcmp(r, "unknown"))
				s->unknown++;
			else
				s->wrong++;
			if (!strcmp(r, "ru") && strcmp(corpus[c].code, "ru"))
				s->as_ru++;
		}
		for (int part = 0; part < 2; part++) {
			score *lo = &sc[part][0], *sh = &sc[part][1];
			printf("# %-4s %-6s %6d/%-4d %6.1f%% %10d %11d / %3d / %3d%s%s\n",
			       corpus[c].code, part ? "udhr" : "news", lo->ok, lo->n,
			       pct(lo->ok, lo->n), lo->unknown, sh->ok, sh->unknown, sh->wrong,
			       configured ? "" : "  (not configured: ok = unknown wanted)",
			       lo->as_ru + sh->as_ru ? "  AS RUSSIAN!" : "");
			if (corpus[c].target && pct(lo->ok, lo->n) < 98.0) {
				printf("not ok - %s %s long lines %.1f%% < 98%%\n", corpus[c].code,
				       part ? "udhr" : "news", pct(lo->ok, lo->n));
				failures++;
			}
			if (corpus[c].target && pct(sh->wrong, sh->n) > 2.0) {
				printf("not ok - %s %s short lines: %d wrong guesses\n",
				       corpus[c].code, part ? "udhr" : "news", sh->wrong);
				failures++;
			}
			if (!configured && lo->as_ru + sh->as_ru > 0) {
				printf("not ok - %s %s: %d lines taken as Russian\n",
				       corpus[c].code, part ? "udhr" : "news",
				       lo->as_ru + sh->as_ru);
				failures++;
			}
			if (!configured && pct(lo->wrong + sh->wrong, lo->n + sh->n) > 1.0) {
				printf("not ok - %s %s: %d lines given a configured language\n",
				       corpus[c].code, part ? "udhr" : "news",
				       lo->wrong + sh->wrong);
				failures++;
			}
		}
		g_strfreev(lines);
		g_free(data);
		g_free(path);
	}
	langid_free(&l);
	g_free(dir);
	assert_int_equal(failures, 0);
}

static void test_letters(void **state)
{
	GError *err = NULL;
	lg_langid *l = langid_new(LANGS, NULL, 20, &err);
	(void)state;
	assert_non_null(l);
	assert_string_equal(
	    langid_detect(l, "Привіт, як справи? Ми всі чекаємо на тебе вдома.", -1, NULL), "uk");
	assert_string_equal(
	    langid_detect(l, "Прывітанне! Мы ўсе думаем пра цябе кожны дзень.", -1, NULL), "be");
	assert_string_equal(langid_detect(l, "Привет, как дела? Мы все ждём тебя дома.", -1, NULL),
	                    "ru");
	/* Latin "i" in place of Cyrillic "і" (homoglyph) */
	assert_string_equal(
	    langid_detect(l, "Привiт, як справи? Ми вci чекаємо на тебе вдома.", -1, NULL), "uk");
	/* too short */
	assert_string_equal(langid_detect(l, "Привет", -1, NULL), "unknown");
	assert_string_equal(langid_detect(l, "", -1, NULL), "unknown");
	/* Bulgarian is not Russian */
	assert_string_equal(
	    langid_detect(
	        l, "Тази седмица в европейския парламент се случи нещо много важно за всички нас.",
	        -1, NULL),
	    "unknown");
	langid_free(&l);
	/* a configuration without Ukrainian: Ukrainian is "unknown" */
	l = langid_new("ru,en", NULL, 20, &err);
	assert_string_equal(
	    langid_detect(l, "Привіт, як справи? Ми всі чекаємо на тебе вдома.", -1, NULL),
	    "unknown");
	langid_free(&l);
	assert_null(langid_new("ru,zz", NULL, 20, &err));
	assert_non_null(err);
	g_clear_error(&err);
}

/* The shortcuts (no textcat when the group has no configured language,
 * one pass over the letters) give what the full path gives: the same
 * answer with and without *unsure_r, embedded NULs end the words only. */
static void test_shortcuts(void **state)
{
	static const char *const texts[] = {
	    "Η γλώσσα αυτή δεν είναι ρυθμισμένη, οπότε η απάντηση είναι άγνωστη πάντα.",
	    "שלום לכולם, זה מכתב בעברית שאינה מוגדרת בתצורה שלנו בכלל.",
	    "Ова је писмо на српском језику, које није међу подешеним језицима.",
	    "Тази седмица в европейския парламент се случи нещо много важно за всички нас.",
	    "Hello, this is a letter in English that should come out English.",
	    "ВСЕ ПРОПИСНЫЕ БУКВЫ: ЭТО ТОЖЕ РУССКИЙ ТЕКСТ, КОТОРЫЙ МЫ ПИШЕМ ТЕБЕ.",
	};
	const char *configs[] = {LANGS, "ru,uk,be,en,bg,sr,el,he", "ru,uk"};
	GError *err = NULL;
	(void)state;
	for (size_t c = 0; c < G_N_ELEMENTS(configs); c++) {
		lg_langid *l = langid_new(configs[c], NULL, 20, &err);
		assert_non_null(l);
		for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
			gboolean unsure = FALSE;
			const char *a = langid_detect(l, texts[i], -1, &unsure);
			const char *b = langid_detect(l, texts[i], -1, NULL);
			assert_string_equal(a, b);
		}
		langid_free(&l);
	}
	lg_langid *l = langid_new(LANGS, NULL, 20, &err);
	assert_string_equal(
	    langid_detect(l, "ВСЕ ПРОПИСНЫЕ БУКВЫ: ЭТО ТОЖЕ РУССКИЙ ТЕКСТ.", -1, NULL), "ru");
	assert_string_equal(langid_detect(l, texts[0], -1, NULL), "unknown");
	/* a NUL inside len: letters after it count, words do not */
	const char nul[] = "Привет, как дела? Мы\0 все ждём тебя дома сегодня вечером.";
	assert_string_equal(langid_detect(l, nul, sizeof nul - 1, NULL), "ru");
	langid_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_letters),
	    cmocka_unit_test(test_shortcuts),
	    cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
