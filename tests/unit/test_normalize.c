/* tests/unit/test_normalize.c - the stem filter of norm_tokenize_for(), and
 * the stems it remembers.
 *
 * Screening stems only the words whose first two characters some rule stem
 * begins with. That is exact only if Snowball's Russian and English stemmers
 * keep a word's first two letters; this checks it on every word of the
 * screening fragments, the rule files and the real-world corpus
 * (../shared/corpus/real or $LG_CORPUS, when there), and that the filter
 * changes nothing but the skipped words' stems. Prints counts only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>
#include <libstemmer.h>

#include "policy/normalize.h"

static void add_dir(GPtrArray *texts, const char *dir, const char *suffix)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *n;
	if (d == NULL)
		return;
	while ((n = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(dir, n, NULL);
		char *data = NULL;
		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			add_dir(texts, p, suffix);
		else if (g_str_has_suffix(n, suffix) && g_file_get_contents(p, &data, NULL, NULL))
			g_ptr_array_add(texts, data);
		g_free(p);
	}
	g_dir_close(d);
}

static GPtrArray *texts_load(void)
{
	GPtrArray *texts = g_ptr_array_new_with_free_func(g_free);
	char *data = NULL;
	const char *env = g_getenv("LG_CORPUS");
	char *corpus =
	    env && *env ? g_strdup(env) : g_build_filename("..", "shared", "corpus", "real", NULL);
	if (g_file_get_contents("tests/data/screen/fragments.txt", &data, NULL, NULL))
		g_ptr_array_add(texts, data);
	add_dir(texts, "conf/rules", ".rules");
	add_dir(texts, corpus, ".eml");
	g_free(corpus);
	/* words whose stems change letters, and ё */
	g_ptr_array_add(texts, g_strdup("happy happily cries skies dying lying tying ugly early "
	                                "only singly idly gently news atlas generously ёлка "
	                                "Ёжик ещё её своё лёгкий"));
	return texts;
}

/* The first two characters of a and b are the same. */
static gboolean same_two(const char *a, const char *b)
{
	for (int k = 0; k < 2; k++) {
		if (g_utf8_get_char(a) != g_utf8_get_char(b))
			return FALSE;
		a = g_utf8_next_char(a);
		b = g_utf8_next_char(b);
	}
	return TRUE;
}

static gboolean plain_two(const char *w)
{
	for (int k = 0; k < 2; k++) {
		gunichar c = g_utf8_get_char(w);
		if (!((c >= 'a' && c <= 'z' && c != 'y') || (c >= 0x430 && c <= 0x44F)))
			return FALSE;
		w = g_utf8_next_char(w);
	}
	return TRUE;
}

static void test_stems_keep_first_two(void **state)
{
	(void)state;
	struct sb_stemmer *ru = sb_stemmer_new("russian", "UTF_8");
	struct sb_stemmer *en = sb_stemmer_new("english", "UTF_8");
	static guint8 none[NORM_PAIR_BYTES], all[NORM_PAIR_BYTES];
	GPtrArray *texts = texts_load();
	guint words = 0, stemmed = 0, skipped = 0;
	memset(all, 0xFF, sizeof all);
	assert_true(texts->len >= 2);
	for (guint i = 0; i < texts->len; i++) {
		const char *s = g_ptr_array_index(texts, i);
		norm_text *n = norm_new(s, strlen(s));
		norm_tokens *a = norm_tokenize(n, NULL, 0, ru, en);
		norm_tokens *b = norm_tokenize_for(n, NULL, 0, ru, en, none);
		norm_tokens *c = norm_tokenize_for(n, NULL, 0, ru, en, all);
		assert_int_equal(a->tok->len, b->tok->len);
		assert_int_equal(a->tok->len, c->tok->len);
		for (guint k = 0; k < a->tok->len; k++) {
			const norm_token *ta = &g_array_index(a->tok, norm_token, k);
			const norm_token *tb = &g_array_index(b->tok, norm_token, k);
			const norm_token *tc = &g_array_index(c->tok, norm_token, k);
			const char *w = NORM_WORD(a, ta), *st = NORM_STEM(a, ta);
			words++;
			/* the filter touches stems only */
			assert_int_equal(ta->wlen, tb->wlen);
			assert_memory_equal(w, NORM_WORD(b, tb), ta->wlen);
			assert_int_equal(ta->nstart, tb->nstart);
			assert_int_equal(ta->flags, tb->flags);
			/* everything marked: as without a filter */
			assert_int_equal(ta->slen, tc->slen);
			assert_memory_equal(st, NORM_STEM(c, tc), ta->slen);
			if (tb->slen == 0 && ta->slen > 0) {
				/* skipped: its stem would have kept the word's first two
				 * characters (or had fewer than two) */
				skipped++;
				assert_true(plain_two(w));
				if (g_utf8_strlen(st, ta->slen) >= 2 && !same_two(w, st)) {
					print_message("stem changes a word's beginning (token %u "
					              "of text %u)\n",
					              k, i);
					fail();
				}
			} else {
				assert_int_equal(ta->slen, tb->slen);
				assert_memory_equal(st, NORM_STEM(b, tb), ta->slen);
			}
			if (ta->slen != ta->wlen || memcmp(w, st, ta->wlen) != 0)
				stemmed++;
		}
		norm_tokens_free(&a);
		norm_tokens_free(&b);
		norm_tokens_free(&c);
		norm_free(&n);
	}
	print_message("stem filter: %u texts, %u words, %u changed by stemming, %u skippable\n",
	              texts->len, words, stemmed, skipped);
	assert_true(skipped > 0);
	g_ptr_array_unref(texts);
	sb_stemmer_delete(ru);
	sb_stemmer_delete(en);
}

/* Stems come from a table shared by the threads (stem_word() in
 * normalize.c): every stem equals Snowball's own for the word, on a first
 * pass (slots filled and replaced: the texts have far more distinct words
 * than the table has slots), on a second (mostly remembered), and from two
 * threads at once. */
static gpointer stem_cache_pass(gpointer data)
{
	GPtrArray *texts = data;
	struct sb_stemmer *ru = sb_stemmer_new("russian", "UTF_8");
	struct sb_stemmer *en = sb_stemmer_new("english", "UTF_8");
	struct sb_stemmer *ru2 = sb_stemmer_new("russian", "UTF_8");
	struct sb_stemmer *en2 = sb_stemmer_new("english", "UTF_8");
	guint bad = 0, checked = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (guint i = 0; i < texts->len; i++) {
			const char *s = g_ptr_array_index(texts, i);
			norm_text *n = norm_new(s, strlen(s));
			norm_tokens *a = norm_tokenize(n, NULL, 0, ru, en);
			for (guint k = 0; k < a->tok->len; k++) {
				const norm_token *t = &g_array_index(a->tok, norm_token, k);
				const char *w = NORM_WORD(a, t);
				struct sb_stemmer *st = t->script == NORM_SCRIPT_CYR   ? ru2
				                        : t->script == NORM_SCRIPT_LAT ? en2
				                                                       : NULL;
				if (st == NULL || t->nchars < 3)
					continue;
				const sb_symbol *want =
				    sb_stemmer_stem(st, (const sb_symbol *)w, t->wlen);
				int wlen = want ? sb_stemmer_length(st) : 0;
				checked++;
				if (want == NULL || wlen != t->slen ||
				    memcmp(want, NORM_STEM(a, t), (gsize)wlen) != 0)
					bad++;
			}
			norm_tokens_free(&a);
			norm_free(&n);
		}
	}
	sb_stemmer_delete(ru);
	sb_stemmer_delete(en);
	sb_stemmer_delete(ru2);
	sb_stemmer_delete(en2);
	return GUINT_TO_POINTER(bad ? bad : (checked ? 0 : G_MAXUINT));
}

static void test_stem_cache(void **state)
{
	(void)state;
	GPtrArray *texts = texts_load();
	GThread *th[2];
	assert_int_equal(GPOINTER_TO_UINT(stem_cache_pass(texts)), 0);
	for (int i = 0; i < 2; i++)
		th[i] = g_thread_new("stems", stem_cache_pass, texts);
	for (int i = 0; i < 2; i++)
		assert_int_equal(GPOINTER_TO_UINT(g_thread_join(th[i])), 0);
	g_ptr_array_unref(texts);
}

/* The tokens of text with the fast paths on and off are the same. */
static void same_tokens(const char *text, struct sb_stemmer *ru, struct sb_stemmer *en)
{
	norm_text *n = norm_new(text, strlen(text));
	norm_tokens *ts[2];
	for (int k = 0; k < 2; k++) {
		norm_fast_paths = k == 0;
		ts[k] = norm_tokenize(n, NULL, 0, ru, en);
	}
	norm_fast_paths = TRUE;
	assert_int_equal(ts[0]->tok->len, ts[1]->tok->len);
	assert_int_equal(ts[0]->lat_words, ts[1]->lat_words);
	assert_int_equal(ts[0]->cyr_words, ts[1]->cyr_words);
	assert_int_equal(ts[0]->nonwords, ts[1]->nonwords);
	for (guint i = 0; i < ts[0]->tok->len; i++) {
		const norm_token *a = &g_array_index(ts[0]->tok, norm_token, i);
		const norm_token *b = &g_array_index(ts[1]->tok, norm_token, i);
		assert_int_equal(a->nstart, b->nstart);
		assert_int_equal(a->nend, b->nend);
		assert_int_equal(a->ostart, b->ostart);
		assert_int_equal(a->oend, b->oend);
		assert_int_equal(a->wlen, b->wlen);
		assert_int_equal(a->slen, b->slen);
		assert_int_equal(a->nchars, b->nchars);
		assert_int_equal(a->script, b->script);
		assert_int_equal(a->flags, b->flags);
		assert_string_equal(NORM_WORD(ts[0], a), NORM_WORD(ts[1], b));
		assert_string_equal(NORM_STEM(ts[0], a), NORM_STEM(ts[1], b));
	}
	norm_tokens_free(&ts[0]);
	norm_tokens_free(&ts[1]);
	norm_free(&n);
}

/* The fast path for plain words against the general one: the corpus and
 * rule texts, and random texts of letters of both alphabets (look-alikes
 * among them), capitals, leetspeak digits, separators and spaces, in
 * texts mostly Cyrillic, mostly Latin or mixed. */
static void test_fast_paths(void **state)
{
	static const char *const pieces[] = {
	    "а", "в", "с", "е", "о", "р", "х",  "у", "к", "м", "н", "т",       "б", "г", "д",
	    "ж", "з", "и", "л", "п", "ф", "ц",  "ч", "ш", "щ", "ы", "ь",       "э", "ю", "я",
	    "й", "ъ", "ё", "Ё", "А", "Р", "a",  "b", "c", "e", "h", "k",       "m", "n", "o",
	    "p", "r", "t", "u", "x", "y", "d",  "f", "g", "i", "j", "l",       "q", "s", "v",
	    "w", "z", "A", "K", "0", "1", "3",  "4", "6", "9", "@", "$",       "7", ".", "-",
	    "_", "*", " ", " ", " ", " ", "\n", "é", "ß", "і", "ѕ", "\xc2\xad"};
	(void)state;
	struct sb_stemmer *ru = sb_stemmer_new("russian", "UTF_8");
	struct sb_stemmer *en = sb_stemmer_new("english", "UTF_8");
	GPtrArray *texts = texts_load();
	GRand *r = g_rand_new_with_seed(20261206);
	for (guint i = 0; i < texts->len; i++)
		same_tokens(texts->pdata[i], ru, en);
	for (int round = 0; round < 3000; round++) {
		GString *g = g_string_new(NULL);
		int len = g_rand_int_range(r, 1, 120), bias = round % 3;
		for (int k = 0; k < len; k++) {
			/* bias 0: Cyrillic pieces first; 1: Latin ones; 2: any */
			int lo = bias == 1 ? 36 : 0,
			    hi = bias == 0 ? 36 : (int)G_N_ELEMENTS(pieces);
			if (g_rand_int_range(r, 0, 4) == 0) /* now and then anything */
				lo = 0, hi = (int)G_N_ELEMENTS(pieces);
			g_string_append(g, pieces[g_rand_int_range(r, lo, hi)]);
		}
		same_tokens(g->str, ru, en);
		g_string_free(g, TRUE);
	}
	g_rand_free(r);
	g_ptr_array_unref(texts);
	sb_stemmer_delete(ru);
	sb_stemmer_delete(en);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stems_keep_first_two),
	    cmocka_unit_test(test_stem_cache),
	    cmocka_unit_test(test_fast_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
