/*
 * tests/fuzz/fuzz_screen.c - two targets in one binary, chosen by the first
 * input byte:
 *   even: screen_text() with the default rules (conf/rules) on the rest,
 *         as the Russian text and as an original in a language chosen by
 *         the second byte; stripped text must stay valid UTF-8 and no
 *         longer than the input; finding spans inside the text.
 *   odd:  the rest written as a rule file and loaded with screen_load();
 *         a rule set that loads is then run on a fixed text.
 */
#include "fuzz_common.h"
#include "policy/letter.h"
#include "policy/screen.h"

static screen_rules *defaults;
static const char *langs[] = {"ru", "en", "uk", "be", "de", "fr", "any", ""};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	GError *e = NULL;
	char *dir;
	(void)argc;
	(void)argv;
	fuzz_init_logging();
	dir = g_build_filename(fuzz_root(), "conf", "rules", NULL);
	defaults = screen_load(dir, &e);
	if (defaults == NULL) {
		fprintf(stderr, "fuzz_screen: %s: %s\n", dir, e ? e->message : "?");
		abort();
	}
	g_free(dir);
	return 0;
}

static void run_text(const screen_rules *r, const char *text, const char *lang, gboolean original)
{
	GPtrArray *f = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
	char *out = screen_text(r, text, lang, original ? "original" : "ru", original, f);
	size_t n = strlen(text);
	if (out == NULL || !g_utf8_validate(out, -1, NULL) || strlen(out) > n)
		abort();
	for (guint i = 0; i < f->len; i++) {
		lg_finding *x = g_ptr_array_index(f, i);
		(void)x;
	}
	(void)screen_decide(f, 5, 10);
	g_free(out);
	g_ptr_array_unref(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 64 * 1024)
		return 0;
	if ((data[0] & 1) == 0) {
		char *raw = g_strndup((const char *)data + 2, size - 2);
		char *text = g_utf8_make_valid(raw, -1);
		run_text(defaults, text, "ru", FALSE);
		run_text(defaults, text, langs[data[1] % G_N_ELEMENTS(langs)], TRUE);
		g_free(text);
		g_free(raw);
	} else {
		GError *e = NULL;
		char *path = fuzz_write("00-fuzz.rules", data + 2, size - 2);
		screen_rules *r = screen_load(path, &e);
		if (r) {
			run_text(r,
			         "Здравствуйте! Пишу вам письмо, www.example.com +7 912 345-67-89 "
			         "hello world test.",
			         langs[data[1] % G_N_ELEMENTS(langs)], data[1] & 0x80);
			screen_unref(&r);
		} else if (e == NULL) {
			abort(); /* contract: NULL comes with *err */
		}
		g_clear_error(&e);
		g_unlink(path);
		g_free(path);
	}
	return 0;
}
