/*
 * tests/tools/bench_deliver.c - benchmark (not a test): letters per second
 * drained from an outbox of N letters (default 10,000) to an http partner,
 * with T worker threads each holding its own partner (one reused
 * connection each), through the real worker_run_once().
 *
 *   bench_deliver URL SECRET_FILE [N] [THREADS] [PHOTO_BYTES]
 *
 * The partner at URL must accept the DESIGN.md contract (tests/lib/
 * fake_partner.py does). Prints one summary line.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "conf/config.h"
#include "deliver/partner.h"
#include "deliver/worker.h"
#include "store/store.h"

typedef struct {
	lg_config *cfg;
	lg_store *st;
	int handed;
	int errors;
} arg;

static gpointer run(gpointer data)
{
	arg *a = data;
	GError *err = NULL;
	lg_partner *p = partner_new(a->cfg, &err);
	if (p == NULL) {
		fprintf(stderr, "partner: %s\n", err->message);
		exit(1);
	}
	for (;;) {
		int n = worker_run_once(a->cfg, a->st, p, 16);
		if (n < 0)
			a->errors++;
		else if (n == 0)
			break;
		else
			a->handed += n;
	}
	partner_free(&p);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *url, *secret;
	int n = 10000, threads = 4;
	gsize photo_bytes = 0;
	char *dir, *db;
	lg_config *cfg;
	lg_store *st;
	GError *err = NULL;
	lg_prisoner pr = {.alias = "ivan.petrov",
	                  .full_name = "Петров Иван Сергеевич",
	                  .birth_year = 1985,
	                  .region = "Пермский край",
	                  .facility = "ИК-9",
	                  .status = "active"};
	GPtrArray *recs;
	gboolean dup;
	gint64 t0, t1;
	arg *args;
	GThread **th;
	int handed = 0;
	char *cmd;

	if (argc < 3) {
		fprintf(stderr, "usage: %s URL SECRET_FILE [N] [THREADS] [PHOTO_BYTES]\n", argv[0]);
		return 2;
	}
	url = argv[1];
	secret = argv[2];
	if (argc > 3)
		n = atoi(argv[3]);
	if (argc > 4)
		threads = atoi(argv[4]);
	if (argc > 5)
		photo_bytes = (gsize)atol(argv[5]);
	log_init("bench_deliver", TRUE, FALSE);
	dir = g_dir_make_tmp("lg-bench-XXXXXX", NULL);
	db = g_build_filename(dir, "lg.db", NULL);
	cfg = config_defaults();
	g_free(cfg->partner);
	cfg->partner = g_strdup("http");
	g_free(cfg->http_url);
	cfg->http_url = g_strdup(url);
	g_free(cfg->http_secret_file);
	cfg->http_secret_file = g_strdup(secret);
	st = store_open(db, &err);
	if (st == NULL || !store_prisoner_upsert(st, &pr, &err)) {
		fprintf(stderr, "store: %s\n", err->message);
		return 1;
	}
	/* fill the outbox: 2 KB of Russian text per letter */
	for (int done = 0; done < n;) {
		recs = g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free);
		for (int i = 0; i < 500 && done < n; i++, done++) {
			lg_letter_rec *r = letter_rec_new();
			GString *t = g_string_new(NULL);
			r->id = util_new_id();
			r->state = g_strdup("queued");
			r->dedup_key = g_strdup(r->id);
			r->writer_name = g_strdup("Anna");
			r->writer_addr = g_strdup("anna@example.com");
			r->prisoner = g_strdup("ivan.petrov");
			r->lang = g_strdup("ru");
			while (t->len < 2048)
				g_string_append(
				    t, "Здравствуйте! Сегодня тёплый день, мы думаем о вас. ");
			r->text_ru = g_string_free(t, FALSE);
			r->text_original = g_strdup(r->text_ru);
			r->created = r->updated = util_now() - 10;
			if (photo_bytes) {
				lg_photo *ph = g_new0(lg_photo, 1);
				ph->name = g_strdup("photo-1.jpg");
				ph->type = g_strdup("image/jpeg");
				ph->data = g_bytes_new_take(g_malloc0(photo_bytes), photo_bytes);
				g_strlcpy(ph->sha256, "0", sizeof(ph->sha256));
				g_ptr_array_add(r->photos, ph);
			}
			g_ptr_array_add(recs, r);
		}
		if (!store_letters_commit(st, recs, &dup, &err)) {
			fprintf(stderr, "commit: %s\n", err->message);
			return 1;
		}
		g_ptr_array_unref(recs);
	}
	fprintf(stderr, "outbox: %d letters pending\n", store_outbox_pending(st, NULL));

	args = g_new0(arg, threads);
	th = g_new0(GThread *, threads);
	t0 = g_get_monotonic_time();
	for (int i = 0; i < threads; i++) {
		args[i].cfg = cfg;
		args[i].st = st;
		th[i] = g_thread_new("bench", run, &args[i]);
	}
	for (int i = 0; i < threads; i++) {
		g_thread_join(th[i]);
		handed += args[i].handed;
	}
	t1 = g_get_monotonic_time();
	printf("bench_deliver: %d letters (2 KB text%s) to %s with %d threads: %.2f s, "
	       "%.0f letters/s, %d still pending\n",
	       handed, photo_bytes ? " + photo" : "", url, threads, (double)(t1 - t0) / 1e6,
	       handed / ((double)(t1 - t0) / 1e6), store_outbox_pending(st, NULL));
	store_close(&st);
	config_unref(&cfg);
	cmd = g_strdup_printf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	g_free(cmd);
	g_free(db);
	g_free(dir);
	g_free(args);
	g_free(th);
	return 0;
}
