/*
 * tests/tools/bench_translate.c - drive translate/ from the command line.
 *
 *   bench_translate -c CONF [-d DB] -1 FILE|-
 *       translate one letter, print one JSON object: status ("ok",
 *       "unavailable", "no_backend"), lang, translated, backend, from,
 *       text_ru, error. Used by tests/integration/t-translate-*.sh.
 *   bench_translate -c CONF -d DB [-n N] [-t THREADS] [-s CHARS]
 *       benchmark: N distinct Ukrainian letters of about CHARS characters
 *       (default 1000 letters of 1,000 characters, 4 threads) through
 *       translate_letter, first with an empty cache (cold), then the same
 *       letters again (from the cache); prints letters per second.
 *
 * The database is created when missing; the benchmark wants a new one.
 */
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "conf/config.h"
#include "store/store.h"
#include "translate/translate.h"

static const char *const sentences[] = {
    "Ми всі дуже сумуємо за тобою і щодня згадуємо наші прогулянки містом.",
    "Весна цього року прийшла рано, і в парку вже цвітуть каштани.",
    "Твоя мама передає тобі привіт і просить берегти себе.",
    "Я нарешті дочитала книжку, яку ти мені радив, і вона справді чудова.",
    "На роботі все добре, хоча іноді буває дуже багато справ.",
    "Діти питають про тебе і малюють для тебе малюнки.",
    "Ми чекаємо на твоє повернення і віримо, що все буде добре.",
    "Вчора ми ходили до театру, і я весь час думала, що тобі б сподобалося.",
    "Пиши нам, коли матимеш змогу, ми читаємо кожен твій лист разом.",
    "Тримайся, ти не сам, про тебе пам'ятають багато людей.",
};

static char *make_letter(int n, int chars)
{
	GString *s = g_string_new(NULL);
	int para = 0, k = n;
	g_string_append_printf(s, "Дорогий друже, це лист номер %d.\n\n", n);
	while ((int)g_utf8_strlen(s->str, -1) < chars) {
		g_string_append_printf(s, "Абзац %d листа %d. ", ++para, n);
		for (int i = 0; i < 4; i++) {
			g_string_append(s, sentences[(k + i * 3) % G_N_ELEMENTS(sentences)]);
			g_string_append_c(s, ' ');
		}
		k = k * 7 + 3;
		g_string_truncate(s, s->len - 1);
		g_string_append(s, "\n\n");
	}
	g_string_append(s, "Обіймаю, Олена");
	return g_string_free(s, FALSE);
}

static const char *status_name(lg_tr_status st)
{
	return st == LG_TR_OK ? "ok" : st == LG_TR_UNAVAILABLE ? "unavailable" : "no_backend";
}

static int run_once(lg_translator *t, const char *file)
{
	char *text = NULL;
	gsize len = 0;
	GError *err = NULL;
	lg_translation out;
	lg_tr_status st;
	JsonBuilder *b;
	JsonGenerator *g;
	JsonNode *root;
	char *json;

	if (!strcmp(file, "-")) {
		GString *s = g_string_new(NULL);
		char buf[4096];
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
			g_string_append_len(s, buf, (gssize)n);
		text = g_string_free(s, FALSE);
	} else if (!g_file_get_contents(file, &text, &len, &err)) {
		fprintf(stderr, "bench_translate: %s\n", err->message);
		g_error_free(err);
		return 2;
	}
	st = translate_letter(t, text, &out, &err);
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "status");
	json_builder_add_string_value(b, status_name(st));
	json_builder_set_member_name(b, "lang");
	json_builder_add_string_value(b, out.lang ? out.lang : "");
	json_builder_set_member_name(b, "translated");
	json_builder_add_boolean_value(b, out.translated);
	json_builder_set_member_name(b, "backend");
	json_builder_add_string_value(b, out.backend ? out.backend : "");
	json_builder_set_member_name(b, "from");
	json_builder_add_string_value(b, out.from ? out.from : "");
	json_builder_set_member_name(b, "text_ru");
	json_builder_add_string_value(b, out.text_ru ? out.text_ru : "");
	json_builder_set_member_name(b, "error");
	json_builder_add_string_value(b, err ? err->message : "");
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	g = json_generator_new();
	json_generator_set_root(g, root);
	json = json_generator_to_data(g, NULL);
	printf("%s\n", json);
	g_free(json);
	json_node_unref(root);
	g_object_unref(g);
	g_object_unref(b);
	translation_clear(&out);
	g_clear_error(&err);
	g_free(text);
	return 0;
}

typedef struct bench {
	lg_translator *t;
	char **letters;
	int n;
	gint next;
	gint failed;
} bench;

static gpointer worker(gpointer data)
{
	bench *b = data;
	for (;;) {
		int i = g_atomic_int_add(&b->next, 1);
		lg_translation out;
		GError *err = NULL;
		if (i >= b->n)
			break;
		if (translate_letter(b->t, b->letters[i], &out, &err) != LG_TR_OK ||
		    !out.translated) {
			if (g_atomic_int_add(&b->failed, 1) == 0)
				fprintf(stderr, "bench_translate: letter %d: %s\n", i,
				        err ? err->message : "not translated");
		}
		translation_clear(&out);
		g_clear_error(&err);
	}
	return NULL;
}

static double run_pass(bench *b, int threads)
{
	GPtrArray *th = g_ptr_array_new();
	gint64 t0 = g_get_monotonic_time();
	b->next = 0;
	b->failed = 0;
	for (int i = 0; i < threads; i++)
		g_ptr_array_add(th, g_thread_new("bench", worker, b));
	for (guint i = 0; i < th->len; i++)
		g_thread_join(th->pdata[i]);
	g_ptr_array_unref(th);
	return (double)(g_get_monotonic_time() - t0) / 1e6;
}

int main(int argc, char **argv)
{
	const char *conf = NULL, *db = NULL, *once = NULL;
	int n = 1000, threads = 4, chars = 1000, rc = 0;
	GError *err = NULL;
	lg_config *cfg = NULL;
	lg_store *st = NULL;
	lg_translator *t = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-c") && v)
			conf = argv[++i];
		else if (!strcmp(a, "-d") && v)
			db = argv[++i];
		else if (!strcmp(a, "-1") && v)
			once = argv[++i];
		else if (!strcmp(a, "-n") && v)
			n = atoi(argv[++i]);
		else if (!strcmp(a, "-t") && v)
			threads = atoi(argv[++i]);
		else if (!strcmp(a, "-s") && v)
			chars = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bench_translate -c CONF [-d DB] (-1 FILE | [-n N] "
			                "[-t THREADS] [-s CHARS])\n");
			return 2;
		}
	}
	if (conf == NULL || (once == NULL && db == NULL)) {
		fprintf(stderr,
		        "bench_translate: -c CONF is required (and -d DB for the benchmark)\n");
		return 2;
	}
	cfg = config_load(conf, &err);
	if (cfg == NULL)
		goto fail;
	if (db && (st = store_open(db, &err)) == NULL)
		goto fail;
	t = translate_new(cfg, st, &err);
	if (t == NULL)
		goto fail;
	if (once) {
		rc = run_once(t, once);
	} else {
		bench b = {t, g_new0(char *, n + 1), n, 0, 0};
		double cold, warm;
		for (int i = 0; i < n; i++)
			b.letters[i] = make_letter(i, chars);
		cold = run_pass(&b, threads);
		rc = b.failed ? 1 : 0;
		printf("translate bench: %d Ukrainian letters of ~%d chars, %d threads\n", n, chars,
		       threads);
		printf("cold (apertium):   %8.1f letters/s  (%.2f s, %d failed)\n", n / cold, cold,
		       b.failed);
		warm = run_pass(&b, threads);
		rc |= b.failed ? 1 : 0;
		printf("warm (from cache): %8.1f letters/s  (%.2f s, %d failed)\n", n / warm, warm,
		       b.failed);
		g_strfreev(b.letters);
	}
	goto out;
fail:
	fprintf(stderr, "bench_translate: %s\n", err ? err->message : "failed");
	g_clear_error(&err);
	rc = 2;
out:
	translate_free(&t);
	store_close(&st);
	config_unref(&cfg);
	return rc;
}
