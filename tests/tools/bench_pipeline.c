/*
 * tests/tools/bench_pipeline.c - CPU per letter of the in-session pipeline
 * (parse, text, attachments, language, screening, directory, quotas; no
 * commit), in one process: bench_pipeline CONF FILE.eml RCPT [N].
 * Prints microseconds of thread CPU per letter. For perf/callgrind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "policy/attach.h"
#include "policy/pipeline.h"

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	GError *e = NULL;
	lg_config *cfg;
	lg_store *st;
	screen_rules *rules;
	lg_translator *tr;
	lg_pipeline *p;
	GPtrArray *rcpts = g_ptr_array_new();
	char *data = NULL;
	gsize len = 0;
	int n;
	double t0, t1;
	if (argc < 4) {
		fprintf(stderr, "usage: bench_pipeline CONF FILE.eml RCPT [N]\n");
		return 2;
	}
	n = argc > 4 ? atoi(argv[4]) : 1000;
	cfg = config_load(argv[1], &e);
	if (!cfg || !g_file_get_contents(argv[2], &data, &len, &e)) {
		fprintf(stderr, "%s\n", e->message);
		return 1;
	}
	message_init();
	attach_init(cfg);
	st = store_open(cfg->database, &e);
	rules = screen_load(cfg->rules_dir, &e);
	tr = translate_new(cfg, st, &e);
	if (!st || !rules || !tr) {
		fprintf(stderr, "%s\n", e ? e->message : "setup failed");
		return 1;
	}
	p = pipeline_new(cfg, rules, st, tr);
	g_ptr_array_add(rcpts, argv[3]);
	t0 = cpu_now();
	for (int i = 0; i < n; i++) {
		GMimeStream *s = g_mime_stream_mem_new_with_buffer(data, len);
		lg_envelope env = {.queue_id = "bench", .mail_from = "", .rcpts = rcpts};
		lg_outcome *o = pipeline_run(p, &env, s);
		outcome_free(&o);
		g_object_unref(s);
	}
	t1 = cpu_now();
	printf("%.1f us CPU per letter (%d letters, %zu bytes)\n", (t1 - t0) * 1e6 / n, n, len);
	pipeline_free(&p);
	translate_free(&tr);
	screen_unref(&rules);
	store_close(&st);
	config_unref(&cfg);
	g_ptr_array_unref(rcpts);
	g_free(data);
	return 0;
}
