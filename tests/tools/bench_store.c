/*
 * tests/tools/bench_store.c - CPU per letter of the store's commit path (not a
 * test): commits N letters like the milter does (a ~2 KB Russian text and its
 * copy, findings, history, outbox) into a fresh database in DIR, one commit
 * per letter from one thread, and prints microseconds of CPU per letter. For
 * perf/callgrind: bench_store DIR [N].
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/util.h"
#include "store/store.h"

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	GError *e = NULL;
	lg_store *st;
	char *path;
	GString *text = g_string_new(NULL);
	int n;
	double t0, t1;
	if (argc < 2) {
		fprintf(stderr, "usage: bench_store DIR [N]\n");
		return 2;
	}
	n = argc > 2 ? atoi(argv[2]) : 2000;
	path = g_build_filename(argv[1], "bench.db", NULL);
	st = store_open(path, &e);
	if (st == NULL) {
		fprintf(stderr, "bench_store: %s\n", e->message);
		return 1;
	}
	while (text->len < 3600)
		g_string_append(text,
		                "Здравствуй, дорогой друг! Пишу тебе из дома, у нас всё хорошо. ");
	t0 = cpu_now();
	for (int i = 0; i < n; i++) {
		GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free);
		lg_letter_rec *r = letter_rec_new();
		gboolean dup = FALSE;
		r->id = util_new_id();
		r->state = g_strdup("queued");
		r->queue_id = g_strdup_printf("Q%08X", i);
		r->message_id = g_strdup_printf("<m%d@bench.test>", i);
		r->dedup_key = g_strdup_printf("%064d", i);
		r->writer_name = g_strdup_printf("Writer %d", i);
		r->writer_addr = g_strdup_printf("w%d@writers.example.net", i);
		r->prisoner = g_strdup_printf("zk.%05d", i % 2000);
		r->rcpt = g_strdup_printf("zk.%05d@letters.example.org", i % 2000);
		r->lang = g_strdup("ru");
		r->backend = g_strdup("none");
		r->subject = g_strdup("Письмо");
		r->text_original = g_strdup(text->str);
		r->text_ru = g_strdup(text->str);
		r->findings_json = g_strdup("[]");
		r->dropped_json = g_strdup("[]");
		r->text_hash = g_strdup_printf("%064x", i);
		r->pages = 2;
		g_ptr_array_add(recs, r);
		if (!store_letters_commit(st, recs, &dup, &e)) {
			fprintf(stderr, "bench_store: %s\n", e->message);
			return 1;
		}
		g_ptr_array_unref(recs);
	}
	t1 = cpu_now();
	printf("%.1f us CPU per letter commit (%d letters)\n", (t1 - t0) * 1e6 / n, n);
	store_close(&st);
	g_string_free(text, TRUE);
	g_free(path);
	return 0;
}
