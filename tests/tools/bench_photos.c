/*
 * tests/tools/bench_photos.c - photo conversion benchmark (not a test).
 *
 *   bench_photos gen DIR            write DIR/photo.jpg and DIR/photo.png,
 *                                   12-megapixel (4000 x 3000) pictures, and
 *                                   DIR/photo-fit.jpg (1600 x 1200, quality
 *                                   80: copied by the JPEG fast path)
 *   bench_photos rate FILE [N]      convert FILE N times (default 10) on one
 *                                   thread with the default settings; prints
 *                                   photos per second
 *   bench_photos peak FILE [L] [P]  L letters (default 5) of P copies
 *                                   (default 5) of FILE, each letter on its own
 *                                   thread through attach_process() at once;
 *                                   prints wall time and peak RSS
 *   bench_photos pdf FILE [N]       render N times (default 20) the spool
 *                                   partner's PDF of a one-page letter with
 *                                   FILE (a converted JPEG) as its photo;
 *                                   prints CPU microseconds per PDF (this
 *                                   thread only: pdf_render does not start
 *                                   others)
 * Output: one "key=value ..." line, for tests/bench/bench-photos.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vips/vips.h>

#include "conf/config.h"
#include "deliver/pdf.h"
#include "parser/message.h"
#include "policy/attach.h"
#include "policy/photo.h"
#include "policy/sniff.h"

static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t kl = strlen(key);

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':')
			v = strtol(line + kl + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Something like a photo: smooth colour regions with grain. */
static VipsImage *fake_photo(int w, int h)
{
	VipsImage *b[3], *joined = NULL, *out = NULL;

	for (int i = 0; i < 3; i++) {
		VipsImage *n = NULL, *s = NULL;
		if (vips_gaussnoise(&n, w / 16, h / 16, "mean", 128.0, "sigma", 60.0, NULL) ||
		    vips_resize(n, &s, 16.0, "kernel", VIPS_KERNEL_CUBIC, NULL))
			vips_error_exit("fake_photo");
		g_object_unref(n);
		b[i] = s;
	}
	{
		VipsImage *grain = NULL, *sum = NULL, *g3[3];
		if (vips_bandjoin(b, &joined, 3, NULL) ||
		    vips_gaussnoise(&grain, w, h, "mean", 0.0, "sigma", 6.0, NULL))
			vips_error_exit("fake_photo");
		g3[0] = g3[1] = g3[2] = grain;
		{
			VipsImage *gj = NULL;
			if (vips_bandjoin(g3, &gj, 3, NULL) || vips_add(joined, gj, &sum, NULL) ||
			    vips_cast_uchar(sum, &out, NULL))
				vips_error_exit("fake_photo");
			g_object_unref(gj);
		}
		g_object_unref(grain);
		g_object_unref(sum);
	}
	for (int i = 0; i < 3; i++)
		g_object_unref(b[i]);
	g_object_unref(joined);
	{
		VipsImage *srgb = NULL, *crop = NULL;
		if (vips_extract_area(out, &crop, 0, 0, w, h, NULL) ||
		    vips_copy(crop, &srgb, "interpretation", VIPS_INTERPRETATION_sRGB, NULL))
			vips_error_exit("fake_photo");
		g_object_unref(out);
		g_object_unref(crop);
		out = srgb;
	}
	return out;
}

static int cmd_gen(const char *dir)
{
	VipsImage *im = fake_photo(4000, 3000);
	char *jpg = g_build_filename(dir, "photo.jpg", NULL);
	char *png = g_build_filename(dir, "photo.png", NULL);

	char *fit = g_build_filename(dir, "photo-fit.jpg", NULL);
	VipsImage *small = NULL;

	/* already within the output spec: the fast path (policy/photo.h) */
	if (vips_resize(im, &small, 0.4, NULL) || vips_jpegsave(small, fit, "Q", 80, NULL))
		vips_error_exit("gen");
	g_object_unref(small);
	vips_image_set_int(im, VIPS_META_ORIENTATION, 6);
	if (vips_jpegsave(im, jpg, "Q", 92, NULL) || vips_pngsave(im, png, "compression", 6, NULL))
		vips_error_exit("gen");
	g_object_unref(im);
	printf("gen jpg=%s png=%s fit=%s\n", jpg, png, fit);
	g_free(jpg);
	g_free(png);
	g_free(fit);
	return 0;
}

static GBytes *read_file(const char *path, lg_sniff *sn)
{
	char *data = NULL;
	gsize len = 0;
	GError *err = NULL;

	if (!g_file_get_contents(path, &data, &len, &err)) {
		fprintf(stderr, "bench_photos: %s\n", err->message);
		exit(2);
	}
	sniff_bytes((const guint8 *)data, len, sn);
	if (sn->cls != LG_SNIFF_PHOTO) {
		fprintf(stderr, "bench_photos: %s is not a photo\n", path);
		exit(2);
	}
	return g_bytes_new_take(data, len);
}

static int cmd_rate(const char *path, int n)
{
	lg_config *cfg = config_defaults();
	lg_sniff sn;
	GBytes *in = read_file(path, &sn);
	lg_photo_opts o = {.long_side = cfg->photo_long_side,
	                   .quality = cfg->photo_quality,
	                   .max_pixels = cfg->photo_pixels};
	gint64 t0;
	double secs;
	gsize out_bytes = 0;
	int w = 0, h = 0;

	attach_init(cfg);
	t0 = g_get_monotonic_time();
	for (int i = 0; i < n; i++) {
		GBytes *j = NULL;
		if (photo_convert(g_bytes_get_data(in, NULL), g_bytes_get_size(in), sn.fmt, &o, &j,
		                  &w, &h) != PHOTO_OK) {
			fprintf(stderr, "bench_photos: conversion failed\n");
			return 1;
		}
		out_bytes = g_bytes_get_size(j);
		g_bytes_unref(j);
	}
	secs = (g_get_monotonic_time() - t0) / 1e6;
	printf("rate type=%s in_bytes=%zu out=%dx%d out_bytes=%zu n=%d seconds=%.2f "
	       "photos_per_second=%.2f vips_threads=%d\n",
	       sn.mime, g_bytes_get_size(in), w, h, out_bytes, n, secs, n / secs,
	       cfg->vips_threads);
	g_bytes_unref(in);
	attach_shutdown();
	config_unref(&cfg);
	return 0;
}

static void part_free_bench(gpointer p)
{
	lg_part *part = p;
	g_free(part->filename);
	g_free(part->content_type);
	g_free(part->content_id);
	g_bytes_unref(part->data);
	g_free(part);
}

typedef struct {
	const lg_config *cfg;
	lg_message *msg;
	guint kept;
} letter_job;

static gpointer letter_run(gpointer p)
{
	letter_job *job = p;
	GPtrArray *photos = g_ptr_array_new_with_free_func((GDestroyNotify)photo_free);
	GPtrArray *dropped = g_ptr_array_new_with_free_func((GDestroyNotify)dropped_free);
	attach_process(job->cfg, job->msg, photos, dropped);
	job->kept = photos->len;
	g_ptr_array_free(photos, TRUE);
	g_ptr_array_free(dropped, TRUE);
	return NULL;
}

static int cmd_peak(const char *path, int letters, int per)
{
	lg_config *cfg = config_defaults();
	lg_sniff sn;
	GBytes *in = read_file(path, &sn);
	letter_job *jobs = g_new0(letter_job, letters);
	GThread **th = g_new0(GThread *, letters);
	long base_kb;
	guint kept = 0;
	gint64 t0;
	double secs;

	/* 12-megapixel PNGs of photographs are larger than the default
	 * photo_bytes; the benchmark measures conversion, so let them in */
	cfg->photo_bytes = MAX(cfg->photo_bytes, (gint64)g_bytes_get_size(in) + 64);
	cfg->letter_photo_bytes = MAX(cfg->letter_photo_bytes, (gint64)100 << 20);
	attach_init(cfg);
	for (int l = 0; l < letters; l++) {
		lg_message *m = g_new0(lg_message, 1);
		m->parts = g_ptr_array_new_with_free_func(part_free_bench);
		for (int p = 0; p < per; p++) {
			lg_part *part = g_new0(lg_part, 1);
			gsize len;
			const void *d = g_bytes_get_data(in, &len);
			part->filename = g_strdup_printf("p%d.bin", p);
			part->content_type = g_strdup("image/jpeg");
			part->content_id = g_strdup("");
			/* each letter its own copy, as separate messages would be;
			 * trailing bytes after the end of the picture (ignored by the
			 * decoders) make the same-photo check keep them all */
			guint8 *copy = g_malloc0(len + p + 1);
			memcpy(copy, d, len);
			part->data = g_bytes_new_take(copy, len + p + 1);
			g_ptr_array_add(m->parts, part);
		}
		jobs[l] = (letter_job){.cfg = cfg, .msg = m};
	}
	base_kb = status_kb("VmRSS");
	t0 = g_get_monotonic_time();
	for (int l = 0; l < letters; l++)
		th[l] = g_thread_new("letter", letter_run, &jobs[l]);
	for (int l = 0; l < letters; l++) {
		g_thread_join(th[l]);
		kept += jobs[l].kept;
	}
	secs = (g_get_monotonic_time() - t0) / 1e6;
	printf("peak type=%s letters=%d photos_per_letter=%d kept=%u seconds=%.2f "
	       "photos_per_second=%.2f rss_before_kb=%ld peak_rss_kb=%ld peak_over_inputs_kb=%ld "
	       "vips_threads=%d\n",
	       sn.mime, letters, per, kept, secs, kept / secs, base_kb, status_kb("VmHWM"),
	       status_kb("VmHWM") - base_kb, cfg->vips_threads);
	for (int l = 0; l < letters; l++) {
		g_ptr_array_free(jobs[l].msg->parts, TRUE);
		g_free(jobs[l].msg);
	}
	g_free(jobs);
	g_free(th);
	g_bytes_unref(in);
	attach_shutdown();
	config_unref(&cfg);
	return 0;
}

static double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void photo_free_bench(gpointer p)
{
	lg_photo *ph = p;
	g_free(ph->name);
	g_free(ph->type);
	g_bytes_unref(ph->data);
	g_free(ph);
}

static int cmd_pdf(const char *path, int n)
{
	lg_sniff sn;
	lg_letter_rec rec = {0};
	lg_photo *ph = g_new0(lg_photo, 1);
	GString *text = g_string_new(NULL);
	gsize bytes = 0;
	double t0, t1;

	ph->name = g_strdup("photo-1.jpg");
	ph->type = g_strdup("image/jpeg");
	ph->data = read_file(path, &sn);
	for (int i = 0; i < 20; i++)
		g_string_append(text, "Здравствуй, Иван! Пишу тебе из Берлина, у нас всё "
		                      "хорошо, весна пришла рано. ");
	rec.id = (char *)"0123456789abcdef";
	rec.prisoner = (char *)"ivan.petrov";
	rec.writer_name = (char *)"Anna Schmidt";
	rec.text_ru = text->str;
	rec.photos = g_ptr_array_new_with_free_func(photo_free_bench);
	g_ptr_array_add(rec.photos, ph);
	/* the first render loads fonts; not counted */
	g_bytes_unref(pdf_render_bytes(&rec, NULL, NULL, NULL));
	t0 = thread_cpu();
	for (int i = 0; i < n; i++) {
		GBytes *pdf = pdf_render_bytes(&rec, NULL, NULL, NULL);
		if (pdf == NULL) {
			fprintf(stderr, "bench_photos: pdf failed\n");
			return 1;
		}
		bytes = g_bytes_get_size(pdf);
		g_bytes_unref(pdf);
	}
	t1 = thread_cpu();
	printf("pdf type=%s renders=%d us_cpu_per_pdf=%.0f pdf_bytes=%zu\n", sn.mime, n,
	       (t1 - t0) * 1e6 / n, bytes);
	g_ptr_array_unref(rec.photos);
	g_string_free(text, TRUE);
	return 0;
}

int main(int argc, char **argv)
{
	if (VIPS_INIT(argv[0]))
		vips_error_exit(NULL);
	if (argc >= 3 && strcmp(argv[1], "gen") == 0)
		return cmd_gen(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "rate") == 0)
		return cmd_rate(argv[2], argc > 3 ? atoi(argv[3]) : 10);
	if (argc >= 3 && strcmp(argv[1], "pdf") == 0)
		return cmd_pdf(argv[2], argc > 3 ? atoi(argv[3]) : 20);
	if (argc >= 3 && strcmp(argv[1], "peak") == 0)
		return cmd_peak(argv[2], argc > 3 ? atoi(argv[3]) : 5,
		                argc > 4 ? atoi(argv[4]) : 5);
	fprintf(stderr, "usage: bench_photos gen DIR | rate FILE [N] | peak FILE [LETTERS] [PER] | "
	                "pdf FILE [N]\n");
	return 2;
}
