/* tests/unit/test_screen.c - screening engine and default rules.
 * Run from the repository root (reads conf/rules and tests/data/screen). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/screen.h"

#define RULES "conf/rules"
#define CORPUS "tests/data/screen/fragments.txt"

static screen_rules *rules;

static int setup(void **state)
{
	GError *err = NULL;
	rules = screen_load(RULES, &err);
	if (rules == NULL)
		fprintf(stderr, "%s\n", err->message);
	g_clear_error(&err);
	return rules ? 0 : -1;
}

static int teardown(void **state)
{
	screen_unref(&rules);
	return 0;
}

static GPtrArray *run(const char *text, const char *lang, gboolean original, char **out_r)
{
	GPtrArray *f = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
	char *out = screen_text(rules, text, lang, original ? "original" : "ru", original, f);
	if (out_r)
		*out_r = out;
	else
		g_free(out);
	return f;
}

static gboolean has_cat(GPtrArray *f, const char *cat)
{
	for (guint i = 0; i < f->len; i++)
		if (strcmp(((lg_finding *)g_ptr_array_index(f, i))->category, cat) == 0)
			return TRUE;
	return FALSE;
}

static void test_load(void **state)
{
	static const char *cats[] = {"links",     "phone",  "obscene",    "lgbt",  "violence",
	                             "extremism", "escape", "contraband", "coded", "case",
	                             "war",       "media",  "language",   "length"};
	assert_true(screen_count(rules) >= 40);
	for (size_t i = 0; i < G_N_ELEMENTS(cats); i++) {
		const char *en = NULL, *ru = NULL;
		assert_true(screen_reason(rules, cats[i], &en, &ru));
		assert_non_null(strstr(en, " "));
	}
	assert_false(screen_reason(rules, "nonexistent", NULL, NULL));
}

static char *write_rules(const char *body)
{
	GError *err = NULL;
	char *dir = g_dir_make_tmp("screen-XXXXXX", &err);
	assert_non_null(dir);
	char *path = g_build_filename(dir, "10-test.rules", NULL);
	assert_true(g_file_set_contents(path, body, -1, NULL));
	g_free(path);
	return dir;
}

static void rm_rules(char *dir)
{
	char *path = g_build_filename(dir, "10-test.rules", NULL);
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

static void test_broken_files(void **state)
{
	static const struct {
		const char *body;
		const char *want;
	} cases[] = {
	    {"[rule a]\ncategory = x\naction = hold\nscore = 1\nword = ok\n",
	     ":1: rule a: no reason"},
	    {"[rule a]\ncategory = x\naction = maybe\n", ":3: action must be"},
	    {"[rule a]\ncategory = x\naction = flag\nreason_en = e\nreason_ru = r\nregex = (ab\n",
	     ":6: bad regex"},
	    {"\n\n[rule a]\ncategory = x\naction = flag\nscore = lots\n", ":6: score must"},
	    {"[rule a]\ncategory = x\naction = flag\nreason_en = e\nreason_ru = r\nword = ok\n"
	     "[rule a]\n",
	     ":7: rule a already defined at"},
	    {"[rule a]\ncategory = x\naction = flag\nreason_en = e\nreason_ru = r\nphrase = ... "
	     "x\n",
	     ":6: a phrase must begin"},
	    {"[rule a]\ncategory = x\naction = flag\nreason_en = e\nreason_ru = r\nword = two "
	     "words\n"
	     "stem = !!!\n",
	     ":7: \"!!!\" is not one word"},
	    {"[rule a]\ncategory = x\naction = flag\nreason_en = e\nreason_ru = r\n",
	     ":1: rule a: matches nothing"},
	    {"key = value\n", ":1: \"key\" outside"},
	    {"[rule a]\nfrobnicate = 1\n", ":2: unknown key"},
	    {"[rule a]\ncategory = x\naction = flag\nreason_en = e\nreason_ru = r\nheuristic = "
	     "vibes 1\n",
	     ":6: unknown heuristic"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *dir = write_rules(cases[i].body);
		GError *err = NULL;
		screen_rules *r = screen_load(dir, &err);
		assert_null(r);
		assert_non_null(err);
		if (strstr(err->message, cases[i].want) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err->message, cases[i].want);
		assert_non_null(strstr(err->message, "10-test.rules:"));
		g_error_free(err);
		rm_rules(dir);
	}
	GError *err = NULL;
	assert_null(screen_load("/nonexistent/rules", &err));
	assert_non_null(err);
	g_clear_error(&err);

	/* check: exit 1 on a broken folder, 0 on the defaults */
	char *dir = write_rules("[rule a]\naction = x\n");
	char *argv_bad[] = {"check", dir, NULL};
	assert_int_equal(screen_cli(NULL, 2, argv_bad), 1);
	rm_rules(dir);
	char *argv_ok[] = {"check", RULES, NULL};
	assert_int_equal(screen_cli(NULL, 2, argv_ok), 0);
	char *argv_use[] = {"frob", NULL};
	assert_int_equal(screen_cli(NULL, 1, argv_use), 2);
}

/* The findings of text under one flag rule whose matcher line is matcher
 * ("regex = ...", "heuristic = ..."). */
static GPtrArray *screen_one_rule(const char *matcher, const char *text)
{
	char *body = g_strdup_printf("[rule t]\ncategory = x\naction = flag\nscore = 1\n"
	                             "reason_en = e\nreason_ru = r\n%s\n",
	                             matcher);
	char *dir = write_rules(body);
	GError *err = NULL;
	screen_rules *r = screen_load(dir, &err);
	if (r == NULL)
		fail_msg("%s: %s", matcher, err->message);
	GPtrArray *f = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
	g_free(screen_text(r, text, "ru", "ru", FALSE, f));
	screen_unref(&r);
	rm_rules(dir);
	g_free(body);
	return f;
}

/* The regex prefilter skips a regex only when the text lacks what every
 * match needs; these patterns and texts sit on its edges. */
static void test_regex_prefilter(void **state)
{
	static const struct {
		const char *regex, *text;
		int hits;
	} cases[] = {
	    {"\\d{5}", "код \xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5 тут", 1}, /* Arabic-Indic */
	    {"\\d{5}", "код пять цифр", 0},
	    {"(?x) 1 2 3", "z123z", 1},          /* extended mode: spaces are not needed */
	    {"a(?:[*]{0,2}|#)b", "xx ab yy", 1}, /* optional atoms need nothing */
	    {"a[*]?+b", "ab", 1},
	    {"[^0-9]@", "x@y", 1},
	    {"(?<=\\+)7\\d", "звони +71", 1},
	    {"(?<!\\+)7\\d", "звони 71", 1},
	    {"(?=\\d)\\w+", "abc", 0},
	    {"(?!\\d)\\w+", "abc", 1},
	    {"[\\d.]{3}", "a...b", 1},
	    {"[0-9-]{3}", "a---b", 1},
	    {"[]x]#", "a]#", 1},
	    {"x|#", "x", 1},
	    {"(?:#|\\d)", "x", 0},
	    {"(?:#|)x", "x", 1},
	    {"\\Kx#", "x#", 1},
	    {"k#", "\xe2\x84\xaa#", 1}, /* KELVIN SIGN matches k caselessly */
	    {"(a)\\1#", "aa#", 1},
	    {"\\x{2a}x", "*x", 1},
	    {"«медуза»", "читаю «Медузу» и «медуза»", 1},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *m = g_strdup_printf("regex = %s", cases[i].regex);
		GPtrArray *f = screen_one_rule(m, cases[i].text);
		if ((int)f->len != cases[i].hits)
			fail_msg("case %zu (%s): %u findings, want %d", i, cases[i].regex, f->len,
			         cases[i].hits);
		g_ptr_array_free(f, TRUE);
		g_free(m);
	}
}

/* Prefix and root heads are tried only at the lengths that begin with a
 * word's first two characters (rules_set.prefix_lens_at, root_lens_at):
 * random prefixes and roots of 2 to 8 characters in two scripts, and random
 * words, against plain string comparison. */
static void random_word(GRand *g, GString *w, guint min, guint max)
{
	static const char *cyr[] = {"б", "в", "г", "д", "к", "л", "м", "н",
	                            "п", "р", "с", "т", "а", "о", "у", "и"};
	static const char *lat[] = {"b", "d", "f", "g", "k", "l", "m", "n",
	                            "p", "r", "s", "t", "a", "o", "u", "i"};
	const char **abc = g_rand_boolean(g) ? cyr : lat;
	guint n = (guint)g_rand_int_range(g, (gint32)min, (gint32)max + 1);
	g_string_truncate(w, 0);
	for (guint i = 0; i < n; i++)
		/* a vowel every other letter: nothing looks like a non-word */
		g_string_append(w, abc[(i % 2 ? 12 : 0) + g_rand_int_range(g, 0, i % 2 ? 4 : 12)]);
}

static void test_heads_random(void **state)
{
	(void)state;
	GRand *g = g_rand_new_with_seed(20261206);
	for (int round = 0; round < 20; round++) {
		GPtrArray *heads = g_ptr_array_new_with_free_func(g_free);
		GString *body = g_string_new(NULL), *w = g_string_new(NULL);
		for (guint k = 0; k < 24; k++) {
			/* short ones from the words' own letters, so that some match */
			random_word(g, w, 2, k < 12 ? 3 : 8);
			g_ptr_array_add(heads, g_strdup(w->str));
			g_string_append_printf(body,
			                       "[rule h%u]\ncategory = x\naction = flag\nscore = "
			                       "1\nreason_en = e\nreason_ru = r\n%s = %s\n",
			                       k, k % 2 ? "root" : "prefix", w->str);
		}
		char *dir = write_rules(body->str);
		GError *err = NULL;
		screen_rules *r = screen_load(dir, &err);
		if (r == NULL)
			fail_msg("round %d: %s", round, err->message);
		GString *text = g_string_new(NULL);
		guint want[24] = {0};
		for (int i = 0; i < 60; i++) {
			random_word(g, w, 4, 12);
			g_string_append_printf(text, "%s%s", i ? " " : "", w->str);
			for (guint k = 0; k < heads->len; k++) {
				const char *h = g_ptr_array_index(heads, k);
				if (k % 2 ? strstr(w->str, h) != NULL : g_str_has_prefix(w->str, h))
					want[k]++;
			}
		}
		GPtrArray *f = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
		g_free(screen_text(r, text->str, "ru", "ru", FALSE, f));
		guint got[24] = {0};
		for (guint i = 0; i < f->len; i++) {
			const lg_finding *x = g_ptr_array_index(f, i);
			got[atoi(x->rule + 1)]++;
		}
		for (guint k = 0; k < heads->len; k++)
			if (got[k] != MIN(want[k], 32))
				fail_msg("round %d: %s %s: %u findings, want %u", round,
				         k % 2 ? "root" : "prefix",
				         (const char *)g_ptr_array_index(heads, k), got[k],
				         MIN(want[k], 32));
		g_ptr_array_free(f, TRUE);
		g_string_free(text, TRUE);
		screen_unref(&r);
		rm_rules(dir);
		g_string_free(body, TRUE);
		g_string_free(w, TRUE);
		g_ptr_array_free(heads, TRUE);
	}
	g_rand_free(g);
}

/* heuristic = quote_chars N: the longest quoted passage, in characters
 * between its marks (or whole "> " lines), against N. */
static void test_quote_chars(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int n;            /* the rule's N */
		const char *want; /* the finding's span in the text, or NULL: none */
	} cases[] = {
	    {"Он сказал \xc2\xabпривет\xc2\xbb и ушёл", 6, "\xc2\xabпривет\xc2\xbb"},
	    {"Он сказал \xc2\xabпривет\xc2\xbb и ушёл", 7, NULL},
	    {"a \"quoted text\" b", 11, "\"quoted text\""},
	    {"a \"quoted text\" b", 12, NULL},
	    {"x \xe2\x80\x9cдва слова\xe2\x80\x9d y", 9, "\xe2\x80\x9cдва слова\xe2\x80\x9d"},
	    {"x \xe2\x80\x9eдва слова\xe2\x80\x9c y", 9, "\xe2\x80\x9eдва слова\xe2\x80\x9c"},
	    {"x \xe2\x80\x9eдва слова\xe2\x80\x9d y", 9, "\xe2\x80\x9eдва слова\xe2\x80\x9d"},
	    /* an opener runs to the first closer after it, past other openers */
	    {"\xc2\xab\xd0\xb0\xd0\xb0 \xc2\xab\xd0\xb1\xc2\xbb", 5,
	     "\xc2\xab\xd0\xb0\xd0\xb0 \xc2\xab\xd0\xb1\xc2\xbb"},
	    /* openers left open: no passage of their kind, others still found */
	    {"\xc2\xab\xd0\xb0\xd0\xb0\xd0\xb0 \xc2\xab\xd0\xb1\xd0\xb1 \"abcd\" \xc2\xab", 4,
	     "\"abcd\""},
	    {"\xc2\xab\xd0\xb0\xd0\xb0\xd0\xb0 \xc2\xab\xd0\xb1\xd0\xb1 \"abcd\" \xc2\xab", 5,
	     NULL},
	    {"\"\xc2\xa0\u00ab", 1, NULL},
	    {"Привет.\n> первая строка\n> вторая\nОтвет", 20, "> первая строка\n> вторая\n"},
	    {"Привет.\n> первая строка\n> вторая\nОтвет", 30, NULL},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *m = g_strdup_printf("heuristic = quote_chars %d", cases[i].n);
		GPtrArray *f = screen_one_rule(m, cases[i].text);
		g_free(m);
		if (cases[i].want == NULL) {
			if (f->len != 0)
				fail_msg("case %zu: %u findings, want none", i, f->len);
		} else {
			if (f->len != 1)
				fail_msg("case %zu: %u findings, want 1", i, f->len);
			const lg_finding *x = g_ptr_array_index(f, 0);
			char *span = g_strndup(cases[i].text + x->start, x->end - x->start);
			if (strcmp(span, cases[i].want) != 0)
				fail_msg("case %zu: span [%s], want [%s]", i, span, cases[i].want);
			g_free(span);
		}
		g_ptr_array_free(f, TRUE);
	}
}

static void test_strip_spans(void **state)
{
	const char *text = "Пиши на olga.k@example.com или звони +7 912 345-67-89, обнимаю!";
	char *out = NULL;
	GPtrArray *f = run(text, "ru", TRUE, &out);
	assert_int_equal(f->len, 2);
	lg_finding *a = g_ptr_array_index(f, 0), *b = g_ptr_array_index(f, 1);
	assert_string_equal(a->category, "links");
	assert_string_equal(b->category, "phone");
	assert_int_equal(a->action, LG_ACT_STRIP);
	assert_string_equal(a->where, "original");
	char *span = g_strndup(text + a->start, a->end - a->start);
	assert_string_equal(span, "olga.k@example.com");
	g_free(span);
	span = g_strndup(text + b->start, b->end - b->start);
	assert_string_equal(span, "+7 912 345-67-89");
	g_free(span);
	assert_string_equal(out, "Пиши на или звони, обнимаю!");
	g_free(out);
	g_ptr_array_free(f, TRUE);
}

static void test_disguises(void **state)
{
	static const char *mat[] = {
	    "с.у.к.а",
	    "х у й",
	    "х-у-й",
	    "пи3дец",
	    "xyйня", /* Latin x, y */
	    "ПИЗДЕЦ",
	    "п\xc2\xad"
	    "издец",              /* soft hyphen */
	    "п\xe2\x80\x8bиздец", /* zero-width space */
	    "ёбаный",
	    "3аебал",
	    "бл*дь",
	    "х*й",
	    "ＸＹЙ",
	    "охуеть",
	    "нахуй",
	    "пи́здец", /* combining acute */
	    "с у к а",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(mat); i++) {
		char *text = g_strdup_printf("Вот %s, конечно.", mat[i]);
		GPtrArray *f = run(text, "ru", TRUE, NULL);
		if (!has_cat(f, "obscene"))
			fail_msg("not caught: case %zu", i);
		lg_finding *x = g_ptr_array_index(f, 0);
		if (x->start != (gint64)strlen("Вот ") ||
		    x->end != (gint64)(strlen("Вот ") + strlen(mat[i])))
			fail_msg("case %zu: span %d-%d", i, (int)x->start, (int)x->end);
		g_ptr_array_free(f, TRUE);
		g_free(text);
	}
	/* phrases cross line breaks */
	GPtrArray *f = run("Пора уже\nсвергнуть\n\nэту власть.", "ru", TRUE, NULL);
	assert_true(has_cat(f, "violence"));
	g_ptr_array_free(f, TRUE);
	/* innocent words holding mat letters */
	f = run("Застрахуем дом, употребление сахара, психую перед экзаменом, мандарины.", "ru",
	        TRUE, NULL);
	assert_int_equal(f->len, 0);
	g_ptr_array_free(f, TRUE);
}

static void test_original_filter(void **state)
{
	/* An English original: Russian rules do not apply, addresses do. */
	GPtrArray *f = run("Hi! Пиздец. Write to a@example.com", "en", TRUE, NULL);
	assert_false(has_cat(f, "obscene"));
	assert_true(has_cat(f, "links"));
	g_ptr_array_free(f, TRUE);
	/* The Russian text: every rule. */
	f = run("Hi! Пиздец. Write to a@example.com", "ru", FALSE, NULL);
	assert_true(has_cat(f, "obscene"));
	assert_string_equal(((lg_finding *)g_ptr_array_index(f, 0))->where, "ru");
	g_ptr_array_free(f, TRUE);
	/* Unknown language: language-independent rules only. */
	f = run("Пиздец, +7 912 345 67 89", "uk", TRUE, NULL);
	assert_false(has_cat(f, "obscene"));
	assert_true(has_cat(f, "phone"));
	g_ptr_array_free(f, TRUE);
	char *out = screen_text(rules, NULL, "ru", "ru", FALSE, NULL);
	assert_string_equal(out, "");
	g_free(out);
}

static void test_decide(void **state)
{
	GPtrArray *f = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
	assert_int_equal(screen_decide(f, 5, 10), LG_ACT_NONE);
	g_ptr_array_add(f, finding_new("a", "case", LG_ACT_FLAG, 3, "e", "r"));
	assert_int_equal(screen_decide(f, 5, 10), LG_ACT_NONE);
	g_ptr_array_add(f, finding_new("b", "case", LG_ACT_FLAG, 3, "e", "r"));
	assert_int_equal(screen_decide(f, 5, 10), LG_ACT_HOLD);
	g_ptr_array_add(f, finding_new("c", "coded", LG_ACT_FLAG, 5, "e", "r"));
	assert_int_equal(screen_decide(f, 5, 10), LG_ACT_REJECT);
	g_ptr_array_set_size(f, 0);
	g_ptr_array_add(f, finding_new("w", "war", LG_ACT_HOLD, 0, "e", "r"));
	assert_int_equal(screen_decide(f, 5, 10), LG_ACT_HOLD);
	g_ptr_array_add(f, finding_new("l", "lgbt", LG_ACT_REJECT, 0, "e", "r"));
	assert_int_equal(screen_decide(f, 5, 10), LG_ACT_REJECT);
	g_ptr_array_free(f, TRUE);

	/* A rule scores once however often it matches. */
	f = run("Армия, армия, армии, армией.", "ru", FALSE, NULL);
	double sum = 0;
	for (guint i = 0; i < f->len; i++)
		sum += ((lg_finding *)g_ptr_array_index(f, i))->score;
	assert_true(f->len == 4);
	assert_true(sum == 5);
	g_ptr_array_free(f, TRUE);
}

/* ---- labelled corpus ---------------------------------------------------- */

typedef struct {
	char **cats;
	char *lang;
	char *text;
} fragment;

static GPtrArray *load_corpus(void)
{
	char *data = NULL;
	assert_true(g_file_get_contents(CORPUS, &data, NULL, NULL));
	GPtrArray *out = g_ptr_array_new();
	char **lines = g_strsplit(data, "\n", -1);
	fragment *cur = NULL;
	GString *text = g_string_new(NULL);
	for (char **l = lines;; l++) {
		if (*l == NULL || g_str_has_prefix(*l, "== ")) {
			if (cur) {
				cur->text = g_strdup(g_strstrip(text->str));
				g_ptr_array_add(out, cur);
				g_string_truncate(text, 0);
			}
			if (*l == NULL)
				break;
			cur = g_new0(fragment, 1);
			char *head = g_strdup(*l + 3);
			char *lp = strstr(head, "lang=");
			cur->lang = g_strdup(lp ? g_strstrip(lp + 5) : "ru");
			if (lp)
				*lp = '\0';
			cur->cats = g_strsplit_set(g_strstrip(head), ", ", -1);
			g_free(head);
			continue;
		}
		if (cur && **l != '#')
			g_string_append_printf(text, "%s\n", *l);
	}
	g_string_free(text, TRUE);
	g_strfreev(lines);
	g_free(data);
	return out;
}

static gboolean expects(const fragment *fr, const char *cat)
{
	for (char **c = fr->cats; *c; c++)
		if (strcmp(*c, cat) == 0)
			return TRUE;
	return FALSE;
}

static void test_corpus(void **state)
{
	GPtrArray *corpus = load_corpus();
	assert_true(corpus->len >= 150);
	GHashTable *tp = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTable *fn = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTable *fp = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	guint tp_all = 0, fn_all = 0, fp_frag = 0, innocent = 0, innocent_hit = 0;
	for (guint i = 0; i < corpus->len; i++) {
		fragment *fr = g_ptr_array_index(corpus, i);
		gboolean en = strcmp(fr->lang, "en") == 0;
		GPtrArray *f = run(fr->text, fr->lang, en, NULL);
		gboolean bad = FALSE;
		for (char **c = fr->cats; *c; c++) {
			if (**c == '\0' || strcmp(*c, "none") == 0)
				continue;
			GHashTable *t = has_cat(f, *c) ? tp : fn;
			g_hash_table_insert(
			    t, g_strdup(*c),
			    GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(t, *c)) + 1));
			if (t == tp) {
				tp_all++;
			} else {
				fn_all++;
				printf("  missed %-10s #%u\n", *c, i + 1);
			}
		}
		for (guint k = 0; k < f->len; k++) {
			lg_finding *x = g_ptr_array_index(f, k);
			if (expects(fr, x->category))
				continue;
			bad = TRUE;
			printf("  unexpected %-10s #%u (rule %s)\n", x->category, i + 1, x->rule);
			g_hash_table_insert(
			    fp, g_strdup(x->category),
			    GUINT_TO_POINTER(
			        GPOINTER_TO_UINT(g_hash_table_lookup(fp, x->category)) + 1));
		}
		if (expects(fr, "none")) {
			innocent++;
			innocent_hit += f->len > 0;
		}
		fp_frag += bad;
		g_ptr_array_free(f, TRUE);
	}
	static const char *cats[] = {"links",     "phone",  "obscene",    "lgbt",  "violence",
	                             "extremism", "escape", "contraband", "coded", "case",
	                             "war",       "media",  "language"};
	printf("  %-11s %4s %4s %4s %9s %7s\n", "category", "tp", "fn", "fp", "precision",
	       "recall");
	for (size_t i = 0; i < G_N_ELEMENTS(cats); i++) {
		guint t = GPOINTER_TO_UINT(g_hash_table_lookup(tp, cats[i]));
		guint n = GPOINTER_TO_UINT(g_hash_table_lookup(fn, cats[i]));
		guint p = GPOINTER_TO_UINT(g_hash_table_lookup(fp, cats[i]));
		printf("  %-11s %4u %4u %4u %8.1f%% %6.1f%%\n", cats[i], t, n, p,
		       t + p ? 100.0 * t / (t + p) : 100.0, t + n ? 100.0 * t / (t + n) : 100.0);
	}
	double recall = 100.0 * tp_all / MAX(tp_all + fn_all, 1);
	double fpr = 100.0 * fp_frag / corpus->len;
	printf("  %u fragments (%u innocent); recall %.1f%%; fragments with a false positive "
	       "%.1f%%; innocent fragments flagged %u\n",
	       corpus->len, innocent, recall, fpr, innocent_hit);
	assert_true(recall >= 95.0);
	assert_true(fpr <= 2.0);

	for (guint i = 0; i < corpus->len; i++) {
		fragment *fr = g_ptr_array_index(corpus, i);
		g_strfreev(fr->cats);
		g_free(fr->lang);
		g_free(fr->text);
		g_free(fr);
	}
	g_ptr_array_free(corpus, TRUE);
	g_hash_table_destroy(tp);
	g_hash_table_destroy(fn);
	g_hash_table_destroy(fp);
}

/* ---- threads share one rule set ----------------------------------------- */

static gpointer worker(gpointer data)
{
	guint bad = 0;
	for (int i = 0; i < 200; i++) {
		GPtrArray *f = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
		char *out = screen_text(rules, "Следователь — с.у.к.а, звони +7 912 345 67 89",
		                        "ru", "ru", FALSE, f);
		bad += f->len != 3 || !g_str_has_suffix(out, "звони");
		g_free(out);
		g_ptr_array_free(f, TRUE);
	}
	return GUINT_TO_POINTER(bad);
}

static void test_threads(void **state)
{
	GThread *t[4];
	for (int i = 0; i < 4; i++)
		t[i] = g_thread_new("screen", worker, NULL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(GPOINTER_TO_UINT(g_thread_join(t[i])), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_load),
	    cmocka_unit_test(test_broken_files),
	    cmocka_unit_test(test_regex_prefilter),
	    cmocka_unit_test(test_heads_random),
	    cmocka_unit_test(test_quote_chars),
	    cmocka_unit_test(test_strip_spans),
	    cmocka_unit_test(test_disguises),
	    cmocka_unit_test(test_original_filter),
	    cmocka_unit_test(test_decide),
	    cmocka_unit_test(test_corpus),
	    cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
