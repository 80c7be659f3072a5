/* tests/tools/bench_screen.c - screening throughput and latency (not a test).
 * usage: bench_screen [RULES_DIR [SECONDS]]
 * Screens a 2 KB Russian letter (built from the labelled corpus, so it holds
 * both innocent text and findings) with every rule, on one core. Prints
 * MB/s (by wall clock and by the thread's CPU time) and the mean, median and
 * 99th-percentile CPU time per letter. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/screen.h"

static char *make_letter(gsize want)
{
	char *data = NULL;
	GString *s = g_string_new(NULL);
	if (!g_file_get_contents("tests/data/screen/fragments.txt", &data, NULL, NULL))
		data = g_strdup("Привет! Как дела? У нас всё хорошо, мама передаёт привет.\n");
	char **all = g_strsplit(data, "\n", -1);
	guint n = g_strv_length(all);
	char **lines = all + n / 3; /* past the innocent fragments */
	gboolean full = FALSE;
	while (!full) {
		gsize before = s->len;
		for (char **l = lines; *l && !full; l++) {
			if (**l == '#' || **l == '=' || **l == '\0' ||
			    !g_utf8_validate(*l, -1, NULL))
				continue;
			if (s->len + strlen(*l) + 1 > want)
				full = TRUE;
			else
				g_string_append_printf(s, "%s\n", *l);
		}
		full |= s->len == before;
	}
	g_strfreev(all);
	g_free(data);
	return g_string_free(s, FALSE);
}

/* CPU time of this thread: the figures hold on a busy machine too. */
static double cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "conf/rules";
	double seconds = argc > 2 ? atof(argv[2]) : 3;
	GError *err = NULL;
	screen_rules *r = screen_load(dir, &err);
	if (r == NULL) {
		fprintf(stderr, "%s\n", err->message);
		g_error_free(err);
		return 1;
	}
	char *letter = make_letter(2048);
	gsize len = strlen(letter);
	GArray *lat = g_array_new(FALSE, FALSE, sizeof(double));
	guint findings = 0;
	gint64 t0 = g_get_monotonic_time(), end = t0 + (gint64)(seconds * 1e6);
	while (g_get_monotonic_time() < end) {
		GPtrArray *f = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
		double a = cpu_us();
		char *out = screen_text(r, letter, "ru", "ru", FALSE, f);
		double us = cpu_us() - a;
		g_array_append_val(lat, us);
		findings = f->len;
		g_free(out);
		g_ptr_array_free(f, TRUE);
	}
	double total = (double)(g_get_monotonic_time() - t0) / 1e6;
	g_array_sort(lat, cmp_d);
	double sum = 0;
	for (guint i = 0; i < lat->len; i++)
		sum += g_array_index(lat, double, i);
	printf("rules %u, letter %zu bytes, %u findings per letter\n", screen_count(r), len,
	       findings);
	printf("letters %u in %.2f s wall: %.2f MB/s wall, %.2f MB/s of CPU time on one core\n",
	       lat->len, total, lat->len * (double)len / total / 1e6, lat->len * (double)len / sum);
	printf("CPU time per letter: mean %.0f us, median %.0f us, p99 %.0f us\n", sum / lat->len,
	       g_array_index(lat, double, lat->len / 2),
	       g_array_index(lat, double, (guint)(lat->len * 0.99)));
	g_array_free(lat, TRUE);
	g_free(letter);
	screen_unref(&r);
	return 0;
}
