/* policy/photo.c - see photo.h. */
#include "policy/photo.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
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

/* ---- fast path: a JPEG that already meets the output spec ----
 *
 * Re-encoding a JPEG that is already small enough, upright, sRGB and no
 * finer than opts->quality only costs CPU and adds generation loss. Such a
 * file is copied segment by segment instead: SOI, a bare JFIF APP0 (no
 * thumbnail, no density), DQT, DHT, DRI, SOF0/1/2, SOS and its entropy-coded
 * data, EOI; every APPn and COM segment (EXIF, GPS, XMP, IPTC, ICC,
 * comments) and anything after EOI is left out. The copy is then decoded
 * in full (every coefficient, at 1/8 scale) and used only if libjpeg reads
 * it without a single warning; anything unusual goes the full way. */

static const guint8 soi_jfif[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J',  'F',  'I',  'F',
                                  0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00};

/* IJG (Annex K) luminance table, as libjpeg (and so vips_jpegsave) scales it */
static const guint8 std_luma[64] = {16,  11,  10,  16,  24, 40, 51,  61,  12,  12,  14,  19,  26,
                                    58,  60,  55,  14,  13, 16, 24,  40,  57,  69,  56,  14,  17,
                                    22,  29,  51,  87,  80, 62, 18,  22,  37,  56,  68,  109, 103,
                                    77,  24,  35,  55,  64, 81, 104, 113, 92,  49,  64,  78,  87,
                                    103, 121, 120, 101, 72, 92, 95,  98,  112, 100, 103, 99};

/* Sum of the luminance table libjpeg writes at quality q. */
static gint64 luma_sum_at(int q)
{
	int scale;
	gint64 sum = 0;

	q = CLAMP(q, 1, 100);
	scale = q < 50 ? 5000 / q : 200 - 2 * q;
	for (int i = 0; i < 64; i++)
		sum += CLAMP(((long)std_luma[i] * scale + 50) / 100, 1, 255);
	return sum;
}

typedef struct {
	int width, height;
	gint64 luma_sum; /* quantisation table of the first component */
} jpeg_frame;

/* Copies the coding segments of d into out (see above). FALSE, and out
 * is to be discarded, on anything the copy would not carry faithfully:
 * an ICC profile, an Adobe marker or component ids that say the data is
 * not YCbCr, more than one frame, 12-bit, arithmetic or lossless coding,
 * unknown markers, a missing EOI. */
static gboolean jpeg_strip(const guint8 *d, gsize len, GByteArray *out, jpeg_frame *f)
{
	gint64 qsum[4] = {0};
	gboolean have_q[4] = {FALSE}, have_sof = FALSE, have_sos = FALSE;
	int adobe_transform = -1, ncomp = 0;
	gsize i = 2;

	if (len < 4 || d[0] != 0xFF || d[1] != 0xD8)
		return FALSE;
	g_byte_array_append(out, soi_jfif, sizeof(soi_jfif));
	for (;;) {
		const guint8 *p;
		gsize seg, plen;
		guint8 m;

		if (i + 2 > len || d[i] != 0xFF)
			return FALSE;
		m = d[i + 1];
		if (m == 0xFF) { /* fill byte before a marker */
			i++;
			continue;
		}
		if (m == 0xD9) {
			if (!have_sos)
				return FALSE;
			g_byte_array_append(out, d + i, 2);
			break;
		}
		if (i + 4 > len)
			return FALSE;
		seg = (gsize)d[i + 2] << 8 | d[i + 3];
		if (seg < 2 || seg > len - i - 2)
			return FALSE;
		p = d + i + 4;
		plen = seg - 2;
		switch (m) {
		case 0xE2:
			if (plen >= 12 && memcmp(p, "ICC_PROFILE", 12) == 0)
				return FALSE; /* a colour profile: convert through it */
			break;
		case 0xEE:
			if (plen >= 12 && memcmp(p, "Adobe", 5) == 0)
				adobe_transform = p[11];
			break;
		case 0xDB: /* DQT: one or more tables */
			for (gsize k = 0; k < plen;) {
				int pq = p[k] >> 4, tq = p[k] & 15;
				gsize n = pq ? 128 : 64;
				if (pq > 1 || tq > 3 || n > plen - k - 1)
					return FALSE;
				qsum[tq] = 0;
				for (gsize e = 0; e < 64; e++)
					qsum[tq] += pq ? (p[k + 1 + 2 * e] << 8 | p[k + 2 + 2 * e])
					               : p[k + 1 + e];
				have_q[tq] = TRUE;
				k += 1 + n;
			}
			g_byte_array_append(out, d + i, (guint)(seg + 2));
			break;
		case 0xC4: /* DHT */
		case 0xDD: /* DRI */
			g_byte_array_append(out, d + i, (guint)(seg + 2));
			break;
		case 0xC0: /* baseline */
		case 0xC1: /* extended sequential, Huffman */
		case 0xC2: /* progressive, Huffman */
			if (have_sof || plen < 6 || p[0] != 8)
				return FALSE;
			f->height = p[1] << 8 | p[2];
			f->width = p[3] << 8 | p[4];
			ncomp = p[5];
			if (f->width == 0 || f->height == 0 || (ncomp != 1 && ncomp != 3) ||
			    plen != 6 + 3 * (gsize)ncomp || p[8] > 3 || !have_q[p[8]])
				return FALSE;
			/* ids R, G, B: stored as RGB, which a JFIF file cannot say */
			if (ncomp == 3 && p[6] == 'R' && p[9] == 'G' && p[12] == 'B')
				return FALSE;
			f->luma_sum = qsum[p[8]];
			have_sof = TRUE;
			g_byte_array_append(out, d + i, (guint)(seg + 2));
			break;
		case 0xDA: { /* SOS, then entropy-coded data up to the next marker */
			gsize j = i + 2 + seg;
			if (!have_sof)
				return FALSE;
			for (;;) {
				const guint8 *ff = memchr(d + j, 0xFF, len - j);
				if (ff == NULL || (gsize)(ff - d) + 1 >= len)
					return FALSE;
				j = (gsize)(ff - d);
				if (d[j + 1] != 0x00 && !(d[j + 1] >= 0xD0 && d[j + 1] <= 0xD7))
					break; /* a marker (or fill bytes before one) */
				j += 2;
			}
			g_byte_array_append(out, d + i, (guint)(j - i));
			have_sos = TRUE;
			i = j;
			continue;
		}
		default:
			if ((m >= 0xE0 && m <= 0xEF) || m == 0xFE)
				break; /* APPn, COM: left out */
			return FALSE;
		}
		i += 2 + seg;
	}
	if (ncomp == 3 && adobe_transform >= 0 && adobe_transform != 1)
		return FALSE;
	return TRUE;
}

typedef struct {
	struct jpeg_error_mgr pub;
	jmp_buf jmp;
	int warnings;
} jpeg_err;

static void jpeg_on_error(j_common_ptr cinfo)
{
	longjmp(((jpeg_err *)cinfo->err)->jmp, 1);
}

static void jpeg_on_message(j_common_ptr cinfo, int level)
{
	if (level < 0)
		((jpeg_err *)cinfo->err)->warnings++;
}

/* TRUE when libjpeg decodes all of d (1/8 scale reads every coefficient
 * all the same) as a YCbCr or greyscale frame of f's size without an
 * error or a warning, before the deadline. */
static gboolean jpeg_decodes_cleanly(const guint8 *d, gsize len, const jpeg_frame *f,
                                     gint64 deadline)
{
	struct jpeg_decompress_struct cinfo;
	jpeg_err err;
	volatile gboolean ok = FALSE;

	memset(&cinfo, 0, sizeof(cinfo));
	cinfo.err = jpeg_std_error(&err.pub);
	err.pub.error_exit = jpeg_on_error;
	err.pub.emit_message = jpeg_on_message;
	err.warnings = 0;
	jpeg_create_decompress(&cinfo);
	if (setjmp(err.jmp) != 0)
		goto out;
	jpeg_mem_src(&cinfo, d, (unsigned long)len);
	if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK)
		goto out;
	if ((int)cinfo.image_width != f->width || (int)cinfo.image_height != f->height ||
	    (cinfo.jpeg_color_space != JCS_YCbCr && cinfo.jpeg_color_space != JCS_GRAYSCALE) ||
	    cinfo.arith_code || cinfo.data_precision != 8)
		goto out;
	cinfo.out_color_space = cinfo.jpeg_color_space; /* no colour conversion */
	cinfo.scale_num = 1;
	cinfo.scale_denom = 8;
	cinfo.dct_method = JDCT_IFAST;
	cinfo.do_fancy_upsampling = FALSE;
	cinfo.do_block_smoothing = FALSE;
	if (!jpeg_start_decompress(&cinfo))
		goto out;
	{
		JSAMPARRAY row =
		    (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE,
		                               cinfo.output_width * cinfo.output_components, 1);
		while (cinfo.output_scanline < cinfo.output_height) {
			if (jpeg_read_scanlines(&cinfo, row, 1) != 1 ||
			    g_get_monotonic_time() > deadline)
				goto out;
		}
	}
	if (!jpeg_finish_decompress(&cinfo))
		goto out;
	ok = err.warnings == 0;
out:
	jpeg_destroy_decompress(&cinfo);
	return ok;
}

/* The fast path; TRUE with *jpeg_r set, FALSE when the file must go the
 * full way (nothing is decided about it here). */
static gboolean jpeg_passthrough(const guint8 *data, gsize len, const lg_photo_opts *opts,
                                 gint64 deadline, GBytes **jpeg_r, int *width_r, int *height_r)
{
	GByteArray *out = g_byte_array_sized_new((guint)MIN(len + sizeof(soi_jfif), G_MAXUINT));
	jpeg_frame f = {0};

	if (len > G_MAXUINT / 2 || !jpeg_strip(data, len, out, &f) ||
	    MAX(f.width, f.height) > MAX(opts->long_side, 1) ||
	    f.luma_sum < luma_sum_at(opts->quality) ||
	    !jpeg_decodes_cleanly(out->data, out->len, &f, deadline)) {
		g_byte_array_unref(out);
		return FALSE;
	}
	*width_r = f.width;
	*height_r = f.height;
	*jpeg_r = g_byte_array_free_to_bytes(out);
	return TRUE;
}

photo_status photo_convert(const guint8 *data, gsize len, lg_image_format fmt,
                           const lg_photo_opts *opts, GBytes **jpeg_r, int *width_r, int *height_r)
{
	VipsObject *ctx = NULL;
	VipsImage **t;
	VipsImage *cur, *t0;
	void *buf = NULL;
	size_t buf_len = 0;
	eval_budget budget = {0};
	photo_status st = PHOTO_ERR_CORRUPT;
	int w, h, shrink = 1, o;
	gboolean plain;
	int long_side = MAX(opts->long_side, 1);

	*jpeg_r = NULL;
	*width_r = 0;
	*height_r = 0;
	if (fmt == LG_IMG_NONE)
		return PHOTO_ERR_FORMAT;
	t0 = load(data, len, fmt, 1); /* the header only */
	if (t0 == NULL) {
		log_vips_error("header");
		return PHOTO_ERR_CORRUPT;
	}
	w = vips_image_get_width(t0);
	h = vips_image_get_height(t0);
	plain = orientation_of(t0) == 1 && !vips_image_get_typeof(t0, VIPS_META_ICC_NAME);
	g_object_unref(t0);
	if (opts->max_pixels > 0 && (gint64)w * h > opts->max_pixels)
		return PHOTO_ERR_PIXELS;

	/* JPEG decodes at 1/2, 1/4 or 1/8 scale for a fraction of the work. */
	if (fmt == LG_IMG_JPEG)
		while (shrink < 8 && MAX(w, h) / (shrink * 2) >= long_side)
			shrink *= 2;

	gate_enter();
	budget.deadline =
	    g_get_monotonic_time() +
	    (gint64)(opts->timeout_ms > 0 ? opts->timeout_ms : PHOTO_SECONDS * 1000) * 1000;
	if (fmt == LG_IMG_JPEG && plain && MAX(w, h) <= long_side &&
	    jpeg_passthrough(data, len, opts, budget.deadline, jpeg_r, width_r, height_r)) {
		gate_leave();
		return PHOTO_OK;
	}
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
