/* policy/photo.c - see photo.h. */
#include "policy/photo.h"

#include <vips/vips.h>

#include "common/log.h"
#include "common/util.h"

static GMutex lib_lock;
static gboolean lib_started;

/* Conversions decode whole frames for some formats (HEIF, WebP, GIF,
 * interlaced PNG): up to photo_pixels x 4 bytes each. They are CPU-bound,
 * so more of them at once than there are processors only multiplies the
 * memory; the rest wait here. */
static GMutex gate_lock;
static GCond gate_cond;
static int gate_busy;
static int gate_max;

/* libvips warns through GLib ("error in tile 0 x 344"); send that to the
 * debug log, sanitised, instead of the daemon's stderr. */
static void photo_vips_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
                           gpointer user)
{
	char *msg = util_sanitize(message, 200);
	(void)domain;
	(void)level;
	(void)user;
	lg_debug("photo: libvips: %s", msg);
	g_free(msg);
}

void photo_lib_init(int threads, int cache_mb)
{
	g_mutex_lock(&lib_lock);
	if (!lib_started) {
		if (VIPS_INIT("lettergate") != 0)
			g_error("photo: libvips failed to start");
		g_log_set_handler("VIPS",
		                  G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO |
		                      G_LOG_LEVEL_DEBUG,
		                  photo_vips_log, NULL);
		/* Loaders for formats nobody photographs (PDF, SVG, FITS, Matlab...)
		 * are attack surface only; BMP has no loader but ImageMagick's, and
		 * ImageMagick is only ever handed bytes sniffed as BMP. */
		vips_block_untrusted_set(TRUE);
		vips_operation_block_set("VipsForeignLoadMagickBuffer", FALSE);
		lib_started = TRUE;
	}
	g_mutex_lock(&gate_lock);
	gate_max = MAX(2, (int)g_get_num_processors());
	g_mutex_unlock(&gate_lock);
	vips_concurrency_set(MAX(threads, 1));
	vips_cache_set_max(0);
	vips_cache_set_max_mem((size_t)MAX(cache_mb, 0) * 1024 * 1024);
	vips_cache_set_max_files(0);
	g_mutex_unlock(&lib_lock);
}

void photo_lib_shutdown(void)
{
	g_mutex_lock(&lib_lock);
	if (lib_started) {
		vips_shutdown();
		lib_started = FALSE;
	}
	g_mutex_unlock(&lib_lock);
}

/* Header read with the one loader fmt names; pixels are decoded later, on
 * demand, in top-to-bottom order. shrink is used by JPEG only. */
static VipsImage *load(const guint8 *data, gsize len, lg_image_format fmt, int shrink)
{
	void *buf = (void *)data; /* libvips does not write to it */
	VipsImage *out = NULL;
	int rc;

	switch (fmt) {
	case LG_IMG_JPEG:
		rc = vips_jpegload_buffer(buf, len, &out, "access", VIPS_ACCESS_SEQUENTIAL,
		                          "fail_on", VIPS_FAIL_ON_ERROR, "shrink", shrink, NULL);
		break;
	case LG_IMG_PNG:
		rc = vips_pngload_buffer(buf, len, &out, "access", VIPS_ACCESS_SEQUENTIAL,
		                         "fail_on", VIPS_FAIL_ON_ERROR, NULL);
		break;
	case LG_IMG_GIF:
		rc = vips_gifload_buffer(buf, len, &out, "access", VIPS_ACCESS_SEQUENTIAL,
		                         "fail_on", VIPS_FAIL_ON_ERROR, "page", 0, "n", 1, NULL);
		break;
	case LG_IMG_WEBP:
		rc = vips_webpload_buffer(buf, len, &out, "access", VIPS_ACCESS_SEQUENTIAL,
		                          "fail_on", VIPS_FAIL_ON_ERROR, "page", 0, "n", 1, NULL);
		break;
	case LG_IMG_HEIF:
		/* no page: the primary image; libheif applies irot/imir itself and
		 * the loader drops the EXIF orientation, so nothing turns twice */
		rc = vips_heifload_buffer(buf, len, &out, "access", VIPS_ACCESS_SEQUENTIAL,
		                          "fail_on", VIPS_FAIL_ON_ERROR, NULL);
		break;
	case LG_IMG_TIFF:
		rc = vips_tiffload_buffer(buf, len, &out, "access", VIPS_ACCESS_SEQUENTIAL,
		                          "fail_on", VIPS_FAIL_ON_ERROR, "page", 0, "n", 1, NULL);
		break;
	case LG_IMG_BMP:
		rc = vips_magickload_buffer(buf, len, &out, "access", VIPS_ACCESS_SEQUENTIAL,
		                            "fail_on", VIPS_FAIL_ON_ERROR, "page", 0, "n", 1, NULL);
		break;
	default:
		return NULL;
	}
	if (rc != 0) {
		VIPS_UNREF(out);
		return NULL;
	}
	return out;
}

static void log_vips_error(const char *what)
{
	char *msg = util_sanitize(vips_error_buffer(), 200);
	lg_debug("photo: %s: %s", what, msg);
	g_free(msg);
	vips_error_clear();
}

photo_status photo_probe(const guint8 *data, gsize len, lg_image_format fmt, int *width_r,
                         int *height_r)
{
	VipsImage *im;

	*width_r = 0;
	*height_r = 0;
	if (fmt == LG_IMG_NONE)
		return PHOTO_ERR_FORMAT;
	im = load(data, len, fmt, 1);
	if (im == NULL) {
		log_vips_error("header");
		return PHOTO_ERR_CORRUPT;
	}
	*width_r = vips_image_get_width(im);
	*height_r = vips_image_get_height(im);
	g_object_unref(im);
	return PHOTO_OK;
}

static void gate_enter(void)
{
	g_mutex_lock(&gate_lock);
	while (gate_max > 0 && gate_busy >= gate_max)
		g_cond_wait(&gate_cond, &gate_lock);
	gate_busy++;
	g_mutex_unlock(&gate_lock);
}

static void gate_leave(void)
{
	g_mutex_lock(&gate_lock);
	gate_busy--;
	g_cond_signal(&gate_cond);
	g_mutex_unlock(&gate_lock);
}

typedef struct {
	gint64 deadline;       /* monotonic microseconds */
	VipsImage *watched[2]; /* images whose evaluation the budget covers */
} eval_budget;

/* "eval" runs between tiles of the sink; kill the image being computed once
 * the budget is spent, so a hostile file cannot hold a milter thread. */
static void on_eval(VipsImage *image, VipsProgress *progress, void *user)
{
	eval_budget *b = user;
	(void)image;
	if (g_get_monotonic_time() > b->deadline)
		vips_image_set_kill(progress->im, TRUE);
}

static void budget_watch(eval_budget *b, int slot, VipsImage *im)
{
	b->watched[slot] = im;
	vips_image_set_progress(im, TRUE);
	g_signal_connect(im, "eval", G_CALLBACK(on_eval), b);
}

/* Before the images are released: none may call back into a dead frame. */
static void budget_unwatch(eval_budget *b)
{
	for (int i = 0; i < 2; i++)
		if (b->watched[i] != NULL)
			g_signal_handlers_disconnect_by_data(b->watched[i], b);
}

static int orientation_of(VipsImage *im)
{
	int o = 1;
	if (vips_image_get_typeof(im, VIPS_META_ORIENTATION) &&
	    vips_image_get_int(im, VIPS_META_ORIENTATION, &o) != 0)
		o = 1;
	return o;
}

/* 8-bit sRGB, three bands, no alpha. */
static int to_srgb(VipsImage *in, VipsImage **out_r, VipsImage **t)
{
	VipsImage *cur = in;

	if (vips_image_hasalpha(cur)) {
		double max = cur->Type == VIPS_INTERPRETATION_RGB16 ||
		                     cur->Type == VIPS_INTERPRETATION_GREY16
		                 ? 65535.0
		                 : 255.0;
		VipsArrayDouble *bg = vips_array_double_newv(1, max);
		int rc = vips_flatten(cur, &t[0], "background", bg, "max_alpha", max, NULL);
		vips_area_unref(VIPS_AREA(bg));
		if (rc != 0)
			return -1;
		cur = t[0];
	}
	if (vips_image_get_typeof(cur, VIPS_META_ICC_NAME) &&
	    vips_icc_transform(cur, &t[1], "srgb", "embedded", TRUE, "intent",
	                       VIPS_INTENT_PERCEPTUAL, NULL) == 0) {
		cur = t[1];
	} else {
		vips_error_clear(); /* a broken profile: fall back to the standard formulas */
	}
	if (vips_colourspace(cur, &t[2], VIPS_INTERPRETATION_sRGB, NULL) != 0)
		return -1;
	cur = t[2];
	if (cur->Bands > 3) {
		if (vips_extract_band(cur, &t[3], 0, "n", 3, NULL) != 0)
			return -1;
		cur = t[3];
	}
	if (vips_cast_uchar(cur, &t[4], NULL) != 0)
		return -1;
	*out_r = t[4];
	return 0;
}

photo_status photo_convert(const guint8 *data, gsize len, lg_image_format fmt,
                           const lg_photo_opts *opts, GBytes **jpeg_r, int *width_r, int *height_r)
{
	VipsObject *ctx = NULL;
	VipsImage **t;
	VipsImage *cur;
	void *buf = NULL;
	size_t buf_len = 0;
	eval_budget budget = {0};
	photo_status st = PHOTO_ERR_CORRUPT;
	int w, h, shrink = 1, o;
	int long_side = MAX(opts->long_side, 1);

	*jpeg_r = NULL;
	*width_r = 0;
	*height_r = 0;
	st = photo_probe(data, len, fmt, &w, &h);
	if (st != PHOTO_OK)
		return st;
	if (opts->max_pixels > 0 && (gint64)w * h > opts->max_pixels)
		return PHOTO_ERR_PIXELS;
	st = PHOTO_ERR_CORRUPT;

	/* JPEG decodes at 1/2, 1/4 or 1/8 scale for a fraction of the work. */
	if (fmt == LG_IMG_JPEG)
		while (shrink < 8 && MAX(w, h) / (shrink * 2) >= long_side)
			shrink *= 2;

	gate_enter();
	budget.deadline =
	    g_get_monotonic_time() +
	    (gint64)(opts->timeout_ms > 0 ? opts->timeout_ms : PHOTO_SECONDS * 1000) * 1000;
	ctx = VIPS_OBJECT(vips_image_new());
	t = (VipsImage **)vips_object_local_array(ctx, 12);
	t[0] = load(data, len, fmt, shrink);
	if (t[0] == NULL)
		goto out;
	cur = t[0];
	o = orientation_of(cur);

	if (MAX(cur->Xsize, cur->Ysize) > long_side) {
		double scale = (double)long_side / MAX(cur->Xsize, cur->Ysize);
		if (vips_resize(cur, &t[1], scale, NULL) != 0)
			goto out;
		cur = t[1];
	}
	if (o > 1 && o <= 8) {
		/* rotating reads the picture out of order: render the (already
		 * reduced) picture to memory first; that decodes it */
		budget_watch(&budget, 0, cur);
		t[2] = vips_image_copy_memory(cur);
		if (t[2] == NULL || vips_autorot(t[2], &t[3], NULL) != 0)
			goto out;
		cur = t[3];
	}
	if (to_srgb(cur, &cur, t + 5) != 0) /* cur is owned by t[] */
		goto out;

	budget_watch(&budget, 1, cur);
	if (vips_jpegsave_buffer(cur, &buf, &buf_len, "Q", CLAMP(opts->quality, 1, 100), "strip",
	                         TRUE, "optimize_coding", TRUE, "interlace", FALSE, NULL) != 0)
		goto out;
	*jpeg_r = g_bytes_new_take(buf, buf_len);
	buf = NULL;
	*width_r = cur->Xsize;
	*height_r = cur->Ysize;
	st = PHOTO_OK;
out:
	if (st != PHOTO_OK)
		log_vips_error("convert");
	g_free(buf);
	if (ctx != NULL) {
		budget_unwatch(&budget);
		g_object_unref(ctx);
		gate_leave();
	}
	return st;
}
