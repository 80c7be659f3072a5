/* tests/unit/test_text_corpus.c - every message of the real-world corpus
 * (../shared/corpus/real, or $LG_CORPUS) goes through message_parse_file()
 * and text_extract() without a crash (the suite also runs under ASan and
 * UBSan); prints how many came out empty. Skips (77) when the corpus is
 * not there. Never prints letter text, only file names and counts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include "parser/message.h"
#include "parser/text.h"

static char *corpus_dir(void)
{
	const char *env = g_getenv("LG_CORPUS");
	if (env && *env)
		return g_strdup(env);
	const char *root = g_getenv("LG_ROOT");
	return g_build_filename(root && *root ? root : ".", "..", "shared", "corpus", "real", NULL);
}

static gint path_cmp(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

static void collect(const char *dir, GPtrArray *out)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *n;
	if (!d)
		return;
	while ((n = g_dir_read_name(d)) != NULL) {
		char *p = g_build_filename(dir, n, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
			collect(p, out);
			g_free(p);
		} else if (g_str_has_suffix(n, ".eml")) {
			g_ptr_array_add(out, p);
		} else {
			g_free(p);
		}
	}
	g_dir_close(d);
}

static void test_corpus(void **state)
{
	char *dir = corpus_dir();
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	collect(dir, files);
	g_ptr_array_sort(files, path_cmp);
	lg_limits lim = {.header_bytes = 1024 * 1024,
	                 .mime_depth = 50,
	                 .mime_parts = 1000,
	                 .text_chars = 200000,
	                 .parse_seconds = 0};
	lg_text_opts opts = {.chars_per_page = 2000, .emoji = "word"};
	int parsed = 0, unparsed = 0, empty = 0;
	gboolean verbose = g_getenv("LG_CORPUS_VERBOSE") != NULL;
	for (guint i = 0; i < files->len; i++) {
		const char *f = files->pdata[i];
		GError *err = NULL;
		lg_message *m = message_parse_file(f, &lim, &err);
		if (!m) {
			unparsed++;
			print_message("not parsed: %s (%s)\n", f + strlen(dir) + 1,
			              err ? err->message : "?");
			g_clear_error(&err);
			continue;
		}
		parsed++;
		char *t = text_extract(m, &opts);
		assert_non_null(t);
		assert_true(g_utf8_validate(t, -1, NULL));
		assert_true(text_pages(t, 2000) >= (*t ? 1 : 0));
		if (!*t) {
			empty++;
			print_message("empty: %s (plain %zu bytes, html %zu bytes, %u parts, "
			              "%u inner messages%s)\n",
			              f + strlen(dir) + 1, strlen(m->plain), strlen(m->html),
			              m->parts ? m->parts->len : 0, m->inner ? m->inner->len : 0,
			              m->encrypted_only ? ", encrypted" : "");
		} else if (verbose) {
			print_message("==== %s\n%s\n", f + strlen(dir) + 1, t);
		}
		g_free(t);
		message_free(&m);
	}
	print_message("corpus: %u files, %d parsed, %d not parsed, %d empty letters\n", files->len,
	              parsed, unparsed, empty);
	g_ptr_array_free(files, TRUE);
	g_free(dir);
}

int main(void)
{
	char *dir = corpus_dir();
	gboolean have = g_file_test(dir, G_FILE_TEST_IS_DIR);
	g_free(dir);
	if (!have) {
		fprintf(stderr, "corpus not found: skipped\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
