/* tests/unit/test_attach.c - policy/attach: photos converted and limited,
 * everything else dropped with a reason. Every picture is made during the
 * run with libvips (BMP and the PNG bomb are written by hand). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <vips/vips.h>

#include "conf/config.h"
#include "parser/message.h"
#include "policy/attach.h"
#include "policy/photo.h"
#include "policy/sniff.h"

/* ---- building messages by hand ---- */

static void part_free_test(gpointer p)
{
	lg_part *part = p;
	g_free(part->filename);
	g_free(part->content_type);
	g_free(part->content_id);
	if (part->data)
		g_bytes_unref(part->data);
	g_free(part);
}

static lg_message *msg_new(void)
{
	lg_message *m = g_new0(lg_message, 1);
	m->parts = g_ptr_array_new_with_free_func(part_free_test);
	m->html = g_strdup("");
	return m;
}

static void msg_free(lg_message *m)
{
	g_ptr_array_free(m->parts, TRUE);
	g_free(m->html);
	g_free(m);
}

/* Takes bytes. */
static lg_part *msg_add(lg_message *m, const char *filename, const char *ctype, GBytes *bytes)
{
	lg_part *p = g_new0(lg_part, 1);
	p->filename = g_strdup(filename);
	p->content_type = g_strdup(ctype);
	p->content_id = g_strdup("");
	p->data = bytes;
	g_ptr_array_add(m->parts, p);
	return p;
}

static lg_config *test_cfg(void)
{
	lg_config *cfg = config_defaults();
	assert_non_null(cfg);
	return cfg;
}

typedef struct {
	GPtrArray *photos;
	GPtrArray *dropped;
} result;

static void run(const lg_config *cfg, const lg_message *m, result *r)
{
	r->photos = g_ptr_array_new_with_free_func((GDestroyNotify)photo_free);
	r->dropped = g_ptr_array_new_with_free_func((GDestroyNotify)dropped_free);
	attach_process(cfg, m, r->photos, r->dropped);
}

static void result_clear(result *r)
{
	g_ptr_array_free(r->photos, TRUE);
	g_ptr_array_free(r->dropped, TRUE);
}

static lg_photo *photo_at(result *r, guint i)
{
	assert_true(i < r->photos->len);
	return g_ptr_array_index(r->photos, i);
}

static lg_dropped *dropped_at(result *r, guint i)
{
	assert_true(i < r->dropped->len);
	return g_ptr_array_index(r->dropped, i);
}

/* ---- making pictures ---- */

static VipsImage *solid(int w, int h, double r, double g, double b)
{
	VipsImage *black = NULL, *lin = NULL, *out = NULL;
	double a[3] = {1, 1, 1}, c[3] = {r, g, b};
	assert_int_equal(vips_black(&black, w, h, "bands", 3, NULL), 0);
	assert_int_equal(vips_linear(black, &lin, a, c, 3, NULL), 0);
	assert_int_equal(vips_cast_uchar(lin, &out, NULL), 0);
	g_object_unref(black);
	g_object_unref(lin);
	return out;
}

/* Grain so that JPEGs have realistic sizes. */
static VipsImage *noisy(int w, int h)
{
	VipsImage *n = NULL, *j = NULL, *out = NULL;
	VipsImage *bands[3];
	assert_int_equal(vips_gaussnoise(&n, w, h, "mean", 128.0, "sigma", 50.0, NULL), 0);
	bands[0] = bands[1] = bands[2] = n;
	assert_int_equal(vips_bandjoin(bands, &j, 3, NULL), 0);
	assert_int_equal(vips_cast_uchar(j, &out, NULL), 0);
	g_object_unref(n);
	g_object_unref(j);
	out->Type = VIPS_INTERPRETATION_sRGB;
	return out;
}

/* Left half red, right half blue. */
static VipsImage *red_blue(int w, int h)
{
	VipsImage *l = solid(w / 2, h, 255, 0, 0), *r = solid(w - w / 2, h, 0, 0, 255), *out = NULL;
	assert_int_equal(vips_join(l, r, &out, VIPS_DIRECTION_HORIZONTAL, NULL), 0);
	g_object_unref(l);
	g_object_unref(r);
	return out;
}

static GBytes *take_buf(void *buf, size_t len)
{
	return g_bytes_new_take(buf, len);
}

/* Unrefs im. */
static GBytes *to_jpeg(VipsImage *im, int q)
{
	void *buf = NULL;
	size_t len = 0;
	assert_int_equal(vips_jpegsave_buffer(im, &buf, &len, "Q", q, NULL), 0);
	g_object_unref(im);
	return take_buf(buf, len);
}

static GBytes *to_png(VipsImage *im)
{
	void *buf = NULL;
	size_t len = 0;
	assert_int_equal(vips_pngsave_buffer(im, &buf, &len, NULL), 0);
	g_object_unref(im);
	return take_buf(buf, len);
}

static GBytes *jpeg_of(int w, int h)
{
	return to_jpeg(noisy(w, h), 85);
}

static GBytes *png_of(int w, int h)
{
	return to_png(solid(w, h, 10, 200, 30));
}

/* A hand-made 24-bit bottom-up BMP of one colour. */
static GBytes *bmp_of(int w, int h, guint8 r, guint8 g, guint8 b)
{
	int stride = (w * 3 + 3) & ~3;
	gsize size = 54 + (gsize)stride * h;
	guint8 *d = g_malloc0(size);
	guint32 v;

	d[0] = 'B';
	d[1] = 'M';
	v = (guint32)size;
	memcpy(d + 2, &v, 4);
	v = 54;
	memcpy(d + 10, &v, 4);
	v = 40;
	memcpy(d + 14, &v, 4);
	v = (guint32)w;
	memcpy(d + 18, &v, 4);
	v = (guint32)h;
	memcpy(d + 22, &v, 4);
	d[26] = 1;
	d[28] = 24;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			guint8 *p = d + 54 + (gsize)y * stride + x * 3;
			p[0] = b;
			p[1] = g;
			p[2] = r;
		}
	return g_bytes_new_take(d, size);
}

static guint32 crc32_of(const guint8 *p, gsize n)
{
	guint32 c = 0xFFFFFFFFu;
	for (gsize i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
	}
	return c ^ 0xFFFFFFFFu;
}

static void png_chunk(GByteArray *a, const char *type, const guint8 *data, guint32 n)
{
	guint8 be[4] = {n >> 24, n >> 16, n >> 8, n};
	GByteArray *crc_in = g_byte_array_new();
	guint32 crc;
	g_byte_array_append(a, be, 4);
	g_byte_array_append(crc_in, (const guint8 *)type, 4);
	if (n)
		g_byte_array_append(crc_in, data, n);
	g_byte_array_append(a, crc_in->data, crc_in->len);
	crc = crc32_of(crc_in->data, crc_in->len);
	be[0] = crc >> 24;
	be[1] = crc >> 16;
	be[2] = crc >> 8;
	be[3] = crc;
	g_byte_array_append(a, be, 4);
	g_byte_array_unref(crc_in);
}

/* A real decompression bomb: a valid 1-bit PNG of side x side zero pixels,
 * deflated by zlib to a few tens of KB. */
static GBytes *png_bomb(guint32 side)
{
	static const guint8 sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
	guint8 ihdr[13] = {side >> 24, side >> 16, side >> 8, side, side >> 24,
	                   side >> 16, side >> 8,  side,      1,    0,
	                   0,          0,          0};
	GByteArray *png = g_byte_array_new();
	GByteArray *z = g_byte_array_new();
	GConverter *zc = G_CONVERTER(g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 9));
	gsize row = 1 + (side + 7) / 8;
	gsize total = row * side, fed = 0;
	guint8 *zeros = g_malloc0(1 << 20);
	guint8 out[65536];

	for (;;) {
		gsize n = MIN(total - fed, (gsize)(1 << 20)), rd = 0, wr = 0;
		GConverterResult cr = g_converter_convert(
		    zc, zeros, n, out, sizeof(out),
		    fed + n == total ? G_CONVERTER_INPUT_AT_END : G_CONVERTER_NO_FLAGS, &rd, &wr,
		    NULL);
		g_byte_array_append(z, out, (guint)wr);
		fed += rd;
		if (cr == G_CONVERTER_FINISHED)
			break;
		assert_true(cr != G_CONVERTER_ERROR);
	}
	g_byte_array_append(png, sig, 8);
	png_chunk(png, "IHDR", ihdr, 13);
	png_chunk(png, "IDAT", z->data, z->len);
	png_chunk(png, "IEND", NULL, 0);
	g_byte_array_unref(z);
	g_object_unref(zc);
	g_free(zeros);
	return g_byte_array_free_to_bytes(png);
}

/* Minimal EXIF with a GPS IFD (latitude 55 45 0 N). */
static GBytes *exif_with_gps(void)
{
	static const guint8 blob[] = {
	    'E', 'x', 'i', 'f', 0, 0,
	    /* TIFF header, IFD0 at 8 */
	    'I', 'I', 42, 0, 8, 0, 0, 0,
	    /* IFD0: one entry, GPS IFD pointer -> 26 */
	    1, 0, 0x25, 0x88, 4, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0, 0, 0, 0,
	    /* GPS IFD at 26: LatitudeRef "N", Latitude 3 rationals at 56 */
	    2, 0, 1, 0, 2, 0, 2, 0, 0, 0, 'N', 0, 0, 0, 2, 0, 5, 0, 3, 0, 0, 0, 56, 0, 0, 0, 0, 0,
	    0, 0,
	    /* at 56 */
	    55, 0, 0, 0, 1, 0, 0, 0, 45, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
	return g_bytes_new_static(blob, sizeof(blob));
}

/* Markers of a JPEG up to the scan; TRUE when nothing but JFIF APP0 and
 * the coding segments are there (no EXIF, XMP, ICC, IPTC, comments). */
static gboolean jpeg_clean(GBytes *b)
{
	gsize len;
	const guint8 *d = g_bytes_get_data(b, &len);
	gsize i = 2;

	if (len < 4 || d[0] != 0xFF || d[1] != 0xD8)
		return FALSE;
	while (i + 4 <= len) {
		guint8 m = d[i + 1];
		gsize seg = (gsize)d[i + 2] << 8 | d[i + 3];
		if (d[i] != 0xFF)
			return FALSE;
		if (m == 0xDA)
			return TRUE;
		if (m == 0xFE || (m >= 0xE1 && m <= 0xEF))
			return FALSE;
		if (m == 0xE0 && !(seg >= 7 && memcmp(d + i + 4, "JFIF", 5) == 0))
			return FALSE;
		i += 2 + seg;
	}
	return FALSE;
}

static VipsImage *decode(GBytes *b)
{
	gsize len;
	const void *d = g_bytes_get_data(b, &len);
	VipsImage *im = vips_image_new_from_buffer(d, len, "", NULL);
	assert_non_null(im);
	return im;
}

static void pixel(VipsImage *im, int x, int y, double rgb[3])
{
	double *v = NULL;
	int n = 0;
	assert_int_equal(vips_getpoint(im, &v, &n, x, y, NULL), 0);
	assert_true(n >= 3);
	memcpy(rgb, v, 3 * sizeof(double));
	g_free(v);
}

static void assert_photo_jpeg(lg_photo *p)
{
	gsize len;
	const guint8 *d = g_bytes_get_data(p->data, &len);
	g_autofree char *hex = NULL;
	assert_string_equal(p->type, "image/jpeg");
	assert_true(len > 100 && d[0] == 0xFF && d[1] == 0xD8);
	assert_true(jpeg_clean(p->data));
	assert_int_equal(strlen(p->sha256), 64);
	hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, d, len);
	assert_string_equal(hex, p->sha256);
}

/* ---- tests ---- */

static int group_setup(void **state)
{
	lg_config *cfg = config_defaults();
	attach_init(cfg);
	config_unref(&cfg);
	return 0;
}

static int group_teardown(void **state)
{
	attach_shutdown();
	return 0;
}

static void test_gps_stripped(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	VipsImage *im = noisy(640, 480), *back;
	GBytes *exif = exif_with_gps(), *jpeg;
	static const char xmp[] = "<x:xmpmeta xmlns:x='adobe:ns:meta/'>secret place</x:xmpmeta>";
	result r;
	gsize el;
	const void *ed = g_bytes_get_data(exif, &el);

	vips_image_set_blob_copy(im, VIPS_META_EXIF_NAME, ed, el);
	vips_image_set_blob_copy(im, VIPS_META_XMP_NAME, xmp, sizeof(xmp));
	jpeg = to_jpeg(im, 90);
	/* the input really carries GPS */
	back = decode(jpeg);
	assert_true(vips_image_get_typeof(back, "exif-ifd3-GPSLatitude") != 0);
	g_object_unref(back);
	g_bytes_unref(exif);

	msg_add(m, "IMG_0001.JPG", "image/jpeg", jpeg);
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 1);
	assert_int_equal(r.dropped->len, 0);
	assert_photo_jpeg(photo_at(&r, 0));
	assert_string_equal(photo_at(&r, 0)->name, "photo-1.jpg");
	assert_string_equal(photo_at(&r, 0)->orig_name, "IMG_0001.JPG");
	back = decode(photo_at(&r, 0)->data);
	assert_int_equal(vips_image_get_typeof(back, VIPS_META_EXIF_NAME), 0);
	assert_int_equal(vips_image_get_typeof(back, "exif-ifd3-GPSLatitude"), 0);
	assert_int_equal(vips_image_get_typeof(back, VIPS_META_XMP_NAME), 0);
	assert_int_equal(vips_image_get_typeof(back, VIPS_META_ICC_NAME), 0);
	assert_int_equal(vips_image_get_width(back), 640);
	g_object_unref(back);
	{
		gsize len;
		const void *d = g_bytes_get_data(photo_at(&r, 0)->data, &len);
		assert_null(memmem(d, len, "Exif", 4));
		assert_null(memmem(d, len, "secret place", 12));
	}
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_orientation_6(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	VipsImage *im = red_blue(400, 200), *back;
	double px[3];
	result r;

	vips_image_set_int(im, VIPS_META_ORIENTATION, 6);
	msg_add(m, "side.jpg", "image/jpeg", to_jpeg(im, 95));
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 1);
	assert_int_equal(photo_at(&r, 0)->width, 200);
	assert_int_equal(photo_at(&r, 0)->height, 400);
	back = decode(photo_at(&r, 0)->data);
	assert_int_equal(vips_image_get_width(back), 200);
	assert_int_equal(vips_image_get_height(back), 400);
	assert_int_equal(vips_image_get_typeof(back, VIPS_META_ORIENTATION) ? 1 : 0, 0);
	/* orientation 6: the stored left (red) is the visual top */
	pixel(back, 100, 50, px);
	assert_true(px[0] > 200 && px[2] < 60);
	pixel(back, 100, 350, px);
	assert_true(px[2] > 200 && px[0] < 60);
	g_object_unref(back);
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_png_bomb(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	GBytes *bomb = png_bomb(20000);
	result r;
	gint64 t0;

	print_message("bomb: %zu bytes\n", g_bytes_get_size(bomb));
	assert_true(g_bytes_get_size(bomb) < 100 * 1024);
	msg_add(m, "bomb.png", "image/png", bomb);
	t0 = g_get_monotonic_time();
	run(cfg, m, &r);
	assert_true(g_get_monotonic_time() - t0 < 200 * 1000);
	assert_int_equal(r.photos->len, 0);
	assert_int_equal(r.dropped->len, 1);
	assert_non_null(strstr(dropped_at(&r, 0)->reason, "20000 x 20000 pixels"));
	assert_string_equal(dropped_at(&r, 0)->type, "image/png");
	result_clear(&r);

	/* the header read alone (not the sniffer) also refuses it */
	{
		int w, h;
		GBytes *jb = NULL;
		lg_photo_opts o = {.long_side = 2000, .quality = 85, .max_pixels = 50000000};
		gsize len;
		const guint8 *d = g_bytes_get_data(bomb, &len);
		t0 = g_get_monotonic_time();
		assert_int_equal(photo_convert(d, len, LG_IMG_PNG, &o, &jb, &w, &h),
		                 PHOTO_ERR_PIXELS);
		assert_true(g_get_monotonic_time() - t0 < 200 * 1000);
		assert_null(jb);
	}
	msg_free(m);
	config_unref(&cfg);
}

static void test_animated_gif_first_frame(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	VipsImage *f[3] = {solid(200, 200, 255, 0, 0), solid(200, 200, 0, 255, 0),
	                   solid(200, 200, 0, 0, 255)};
	VipsImage *strip = NULL, *back;
	void *buf = NULL;
	size_t len = 0;
	double px[3];
	result r;

	assert_int_equal(vips_arrayjoin(f, &strip, 3, "across", 1, NULL), 0);
	vips_image_set_int(strip, "page-height", 200);
	assert_int_equal(vips_gifsave_buffer(strip, &buf, &len, NULL), 0);
	for (int i = 0; i < 3; i++)
		g_object_unref(f[i]);
	g_object_unref(strip);
	msg_add(m, "anim.gif", "image/gif", take_buf(buf, len));
	{
		VipsImage *all = NULL;
		gsize gl;
		const void *gd = g_bytes_get_data(((lg_part *)m->parts->pdata[0])->data, &gl);
		assert_int_equal(vips_gifload_buffer((void *)gd, gl, &all, "n", -1, NULL), 0);
		assert_int_equal(vips_image_get_n_pages(all), 3);
		g_object_unref(all);
	}
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 1);
	assert_int_equal(photo_at(&r, 0)->width, 200);
	assert_int_equal(photo_at(&r, 0)->height, 200);
	back = decode(photo_at(&r, 0)->data);
	pixel(back, 100, 100, px);
	assert_true(px[0] > 200 && px[1] < 60 && px[2] < 60);
	g_object_unref(back);
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_eight_photos_five_kept(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	result r;

	assert_int_equal(cfg->photos, 5);
	for (int i = 0; i < 8; i++) {
		g_autofree char *name = g_strdup_printf("p%d.jpg", i);
		msg_add(m, name, "image/jpeg", jpeg_of(300 + i, 200));
	}
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 5);
	assert_int_equal(r.dropped->len, 3);
	for (guint i = 0; i < 5; i++) {
		g_autofree char *name = g_strdup_printf("photo-%u.jpg", i + 1);
		assert_string_equal(photo_at(&r, i)->name, name);
		assert_int_equal(photo_at(&r, i)->width, 300 + (int)i);
	}
	for (guint i = 0; i < 3; i++) {
		assert_non_null(strstr(dropped_at(&r, i)->reason, "Only 5 photos"));
		assert_false(dropped_at(&r, i)->quiet);
	}
	assert_string_equal(dropped_at(&r, 0)->name, "p5.jpg");
	result_clear(&r);

	/* the setting, not the number, decides */
	cfg->photos = 2;
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 2);
	assert_int_equal(r.dropped->len, 6);
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_heic(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	VipsImage *im = red_blue(320, 240);
	void *buf = NULL;
	size_t len = 0;
	result r;

	if (vips_heifsave_buffer(im, &buf, &len, "compression", VIPS_FOREIGN_HEIF_COMPRESSION_HEVC,
	                         NULL) != 0) {
		g_object_unref(im);
		vips_error_clear();
		skip(); /* no HEVC encoder: tests/unit keeps heif-enc as the fallback */
	}
	g_object_unref(im);
	assert_true(len > 12 && memcmp((char *)buf + 4, "ftyp", 4) == 0);
	msg_add(m, "IMG_0042.HEIC", "application/octet-stream", take_buf(buf, len));
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 1);
	assert_photo_jpeg(photo_at(&r, 0));
	assert_int_equal(photo_at(&r, 0)->width, 320);
	assert_int_equal(photo_at(&r, 0)->height, 240);
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_truncated_jpeg(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	GBytes *full = jpeg_of(800, 600);
	GBytes *cut = g_bytes_new_from_bytes(full, 0, g_bytes_get_size(full) * 6 / 10);
	result r;

	msg_add(m, "cut.jpg", "image/jpeg", cut);
	msg_add(m, "good.jpg", "image/jpeg", g_bytes_ref(full));
	msg_add(m, "junk.jpg", "image/jpeg", g_bytes_new_static("\xFF\xD8\xFF\xE0 garbage", 12));
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 1);
	assert_string_equal(photo_at(&r, 0)->orig_name, "good.jpg");
	assert_int_equal(r.dropped->len, 2);
	assert_string_equal(dropped_at(&r, 0)->name, "cut.jpg");
	assert_non_null(strstr(dropped_at(&r, 0)->reason, "damaged or incomplete"));
	assert_non_null(strstr(dropped_at(&r, 1)->reason, "damaged or incomplete"));
	result_clear(&r);
	g_bytes_unref(full);
	msg_free(m);
	config_unref(&cfg);
}

static void test_webp_tiff_bmp(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	void *buf = NULL;
	size_t len = 0;
	VipsImage *im, *back;
	double px[3];
	result r;

	im = solid(300, 200, 255, 0, 0);
	assert_int_equal(vips_webpsave_buffer(im, &buf, &len, NULL), 0);
	g_object_unref(im);
	msg_add(m, "a.webp", "image/webp", take_buf(buf, len));
	im = solid(300, 200, 0, 255, 0);
	assert_int_equal(vips_tiffsave_buffer(im, &buf, &len, NULL), 0);
	g_object_unref(im);
	msg_add(m, "b.tif", "image/tiff", take_buf(buf, len));
	msg_add(m, "c.bmp", "image/bmp", bmp_of(300, 200, 0, 0, 255));
	run(cfg, m, &r);
	assert_int_equal(r.dropped->len, 0);
	assert_int_equal(r.photos->len, 3);
	for (guint i = 0; i < 3; i++) {
		lg_photo *p = photo_at(&r, i);
		assert_photo_jpeg(p);
		assert_int_equal(p->width, 300);
		assert_int_equal(p->height, 200);
		back = decode(p->data);
		assert_int_equal(vips_image_get_bands(back), 3);
		pixel(back, 150, 100, px);
		assert_true(px[i] > 200 && px[(i + 1) % 3] < 60 && px[(i + 2) % 3] < 60);
		g_object_unref(back);
	}
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_png_alpha_grey_cmyk(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	VipsImage *rgb = solid(200, 200, 0, 0, 0), *alpha = NULL, *rgba = NULL, *grey = NULL,
	          *cmyk = NULL, *back;
	double px[3];
	result r;

	/* fully transparent black: flattened on white */
	assert_int_equal(vips_black(&alpha, 200, 200, NULL), 0);
	assert_int_equal(vips_bandjoin2(rgb, alpha, &rgba, NULL), 0);
	msg_add(m, "t.png", "image/png", to_png(rgba));
	assert_int_equal(vips_colourspace(rgb, &grey, VIPS_INTERPRETATION_B_W, NULL), 0);
	msg_add(m, "g.png", "image/png", to_png(grey));
	{
		VipsImage *n = noisy(200, 200);
		assert_int_equal(
		    vips_icc_transform(n, &cmyk, "cmyk", "input_profile", "srgb", NULL), 0);
		g_object_unref(n);
	}
	msg_add(m, "c.jpg", "image/jpeg", to_jpeg(cmyk, 90));
	g_object_unref(alpha);
	g_object_unref(rgb);
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 3);
	for (guint i = 0; i < 3; i++) {
		assert_photo_jpeg(photo_at(&r, i));
		back = decode(photo_at(&r, i)->data);
		assert_int_equal(vips_image_get_bands(back), 3);
		assert_int_equal(vips_image_get_interpretation(back), VIPS_INTERPRETATION_sRGB);
		if (i == 0) {
			pixel(back, 100, 100, px);
			assert_true(px[0] > 240 && px[1] > 240 && px[2] > 240);
		}
		g_object_unref(back);
	}
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_tiny_images(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	void *buf = NULL;
	size_t len = 0;
	VipsImage *im = solid(1, 1, 255, 255, 255);
	lg_part *p;
	result r;

	assert_int_equal(vips_gifsave_buffer(im, &buf, &len, NULL), 0);
	g_object_unref(im);
	p = msg_add(m, "", "image/gif", take_buf(buf, len));
	g_free(p->content_id);
	p->content_id = g_strdup("pixel@tracker");
	p->inline_disp = TRUE;
	p = msg_add(m, "logo.png", "image/png", png_of(80, 40));
	g_free(p->content_id);
	p->content_id = g_strdup("logo@corp");
	p = msg_add(m, "", "image/png", png_of(400, 300)); /* cid photo in HTML mail */
	g_free(p->content_id);
	p->content_id = g_strdup("photo@phone");
	p->inline_disp = TRUE;
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 1);
	assert_string_equal(photo_at(&r, 0)->name, "photo-1.jpg");
	assert_int_equal(photo_at(&r, 0)->width, 400);
	assert_int_equal(r.dropped->len, 2);
	assert_string_equal(dropped_at(&r, 0)->name, "inline picture");
	assert_non_null(strstr(dropped_at(&r, 0)->reason, "too small to print (1 x 1 pixels)"));
	assert_non_null(strstr(dropped_at(&r, 1)->reason, "too small to print (80 x 40 pixels)"));
	result_clear(&r);

	/* photo_min_side is the setting */
	cfg->photo_min_side = 30;
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 2);
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_not_images_declared_jpeg(void **state)
{
	static const char mp4[] = "\0\0\0\x18"
	                          "ftypmp42\0\0\0\0mp42isom\0\0\0\x08mdat";
	static const char pdf[] = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n";
	static const char zip[] = "PK\x03\x04\x14\0\0\0\x08\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	                          "\x09\0\0\0photo.jpg";
	static const char exe[] = "MZ\x90\0\x03\0\0\0\x04\0\0\0\xFF\xFF\0\0This program cannot";
	static const struct {
		const char *data;
		gsize len;
		const char *type;
		const char *reason;
	} cases[] = {
	    {mp4, sizeof(mp4) - 1, "video/mp4", "Videos"},
	    {pdf, sizeof(pdf) - 1, "application/pdf", "Documents"},
	    {zip, sizeof(zip) - 1, "application/zip", "Archives"},
	    {exe, sizeof(exe) - 1, "application/x-msdownload", "Programs"},
	};
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	result r;

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		msg_add(m, "photo.jpg", "image/jpeg",
		        g_bytes_new_static(cases[i].data, cases[i].len));
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 0);
	assert_int_equal(r.dropped->len, G_N_ELEMENTS(cases));
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		assert_string_equal(dropped_at(&r, i)->type, cases[i].type);
		assert_non_null(strstr(dropped_at(&r, i)->reason, cases[i].reason));
		assert_false(dropped_at(&r, i)->quiet);
	}
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_image_named_pdf(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	result r;

	msg_add(m, "scan.pdf", "application/pdf", jpeg_of(500, 400));
	run(cfg, m, &r);
	assert_int_equal(r.dropped->len, 0);
	assert_int_equal(r.photos->len, 1);
	assert_string_equal(photo_at(&r, 0)->name, "photo-1.jpg");
	assert_string_equal(photo_at(&r, 0)->orig_name, "scan.pdf");
	assert_string_equal(photo_at(&r, 0)->type, "image/jpeg");
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_other_kinds(void **state)
{
	static const struct {
		const char *data;
		gsize len;
		const char *reason; /* NULL: dropped quietly */
	} cases[] = {
	    {"ID3\x04\0\0\0\0\0\0audio", 15, "Audio"},
	    {"\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01webm", 13, "Videos"},
	    {"Rar!\x1A\x07\x01\0", 8, "Archives"},
	    {"\x1F\x8B\x08\0\0\0\0\0", 8, "Archives"},
	    {"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", 30, "Calendar"},
	    {"\xEF\xBB\xBF"
	     "BEGIN:VCARD\r\nVERSION:3.0\r\n",
	     29, "Contact"},
	    {"\x78\x9F\x3E\x22\x01\0", 6, "winmail.dat"},
	    {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0", 10, "Documents"},
	    {"PK\x03\x04\x14\0\0\0\0\0[Content_Types].xml", 29, "Documents"},
	    {"just some notes\nline two\n", 25, "paste the text"},
	    {"<svg xmlns='http://www.w3.org/2000/svg'/>", 41, "kind of picture"},
	    {"\x7F"
	     "ELF\x02\x01\x01",
	     7, "Programs"},
	    {"\x01\x02\x03\x04\x05\x06\x07\x08", 8, "This kind of file"},
	    {"-----BEGIN PGP SIGNATURE-----\n\niQE\n", 35, NULL},
	    {"-----BEGIN PGP PUBLIC KEY BLOCK-----\n", 37, NULL},
	};
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	lg_part *p;
	result r;

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
		msg_add(m, "f", "application/octet-stream",
		        g_bytes_new_static(cases[i].data, cases[i].len));
	p = msg_add(m, "smime.p7s", "application/pkcs7-signature",
	            g_bytes_new_static("\x30\x82\x01", 3));
	p->is_signature = TRUE;
	p = msg_add(m, "encrypted.asc", "application/octet-stream",
	            g_bytes_new_static("-----BEGIN PGP MESSAGE-----\n\nhQEMA", 34));
	p->is_encrypted = TRUE;
	msg_add(m, "empty.jpg", "image/jpeg", g_bytes_new_static("", 0));
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 0);
	assert_int_equal(r.dropped->len, G_N_ELEMENTS(cases) + 3);
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		lg_dropped *d = dropped_at(&r, i);
		if (cases[i].reason == NULL) {
			assert_true(d->quiet);
		} else {
			if (strstr(d->reason, cases[i].reason) == NULL)
				fail_msg("case %zu: %s", i, d->reason);
			assert_false(d->quiet);
		}
	}
	assert_true(dropped_at(&r, G_N_ELEMENTS(cases))->quiet);
	assert_non_null(strstr(dropped_at(&r, G_N_ELEMENTS(cases) + 1)->reason, "Encrypted"));
	assert_non_null(strstr(dropped_at(&r, G_N_ELEMENTS(cases) + 2)->reason, "empty"));
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_limit_photo_bytes(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	GBytes *big = jpeg_of(1000, 800);
	result r;

	msg_add(m, "big.jpg", "image/jpeg", big);
	cfg->photo_bytes = (gint64)g_bytes_get_size(big) - 1;
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 0);
	assert_int_equal(r.dropped->len, 1);
	assert_non_null(strstr(dropped_at(&r, 0)->reason, "larger than"));
	result_clear(&r);
	cfg->photo_bytes = (gint64)g_bytes_get_size(big);
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 1);
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_limit_photo_pixels(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	void *buf = NULL;
	size_t len = 0;
	VipsImage *im = solid(300, 300, 1, 2, 3);
	result r;

	/* sniffed (JPEG, PNG) and header-only (TIFF) sizes alike */
	msg_add(m, "a.jpg", "image/jpeg", to_jpeg(solid(300, 300, 1, 2, 3), 80));
	msg_add(m, "b.png", "image/png", png_of(300, 300));
	assert_int_equal(vips_tiffsave_buffer(im, &buf, &len, NULL), 0);
	g_object_unref(im);
	msg_add(m, "c.tif", "image/tiff", take_buf(buf, len));
	cfg->photo_pixels = 300 * 300 - 1;
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 0);
	assert_int_equal(r.dropped->len, 3);
	for (guint i = 0; i < 3; i++)
		assert_non_null(strstr(dropped_at(&r, i)->reason, "too large to process"));
	result_clear(&r);
	cfg->photo_pixels = 300 * 300;
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 3);
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_limit_letter_photo_bytes(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	gsize first;
	result r;

	for (int i = 0; i < 3; i++)
		msg_add(m, "p.jpg", "image/jpeg", jpeg_of(600 + i, 400));
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 3);
	first = g_bytes_get_size(photo_at(&r, 0)->data) + g_bytes_get_size(photo_at(&r, 1)->data);
	result_clear(&r);

	cfg->letter_photo_bytes = (gint64)first + 10;
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 2);
	assert_int_equal(r.dropped->len, 1);
	assert_non_null(strstr(dropped_at(&r, 0)->reason, "together"));
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_long_side_and_quality(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	gsize q95, q30;
	result r;

	assert_int_equal(cfg->photo_long_side, 2000);
	msg_add(m, "big.jpg", "image/jpeg", jpeg_of(4000, 3000));
	msg_add(m, "tall.png", "image/png", png_of(1000, 3000));
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 2);
	assert_int_equal(photo_at(&r, 0)->width, 2000);
	assert_int_equal(photo_at(&r, 0)->height, 1500);
	assert_int_equal(photo_at(&r, 1)->width, 667);
	assert_int_equal(photo_at(&r, 1)->height, 2000);
	result_clear(&r);

	cfg->photo_long_side = 500;
	cfg->photo_quality = 95;
	run(cfg, m, &r);
	assert_int_equal(photo_at(&r, 0)->width, 500);
	assert_int_equal(photo_at(&r, 0)->height, 375);
	assert_int_equal(photo_at(&r, 1)->height, 500);
	q95 = g_bytes_get_size(photo_at(&r, 0)->data);
	result_clear(&r);
	cfg->photo_quality = 30;
	run(cfg, m, &r);
	q30 = g_bytes_get_size(photo_at(&r, 0)->data);
	assert_true(q30 * 2 < q95);
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_duplicate(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	GBytes *b = jpeg_of(300, 300);
	result r;

	msg_add(m, "a.jpg", "image/jpeg", g_bytes_ref(b));
	msg_add(m, "a.jpg", "image/jpeg", b);
	run(cfg, m, &r);
	assert_int_equal(r.photos->len, 1);
	assert_int_equal(r.dropped->len, 1);
	assert_non_null(strstr(dropped_at(&r, 0)->reason, "more than once"));
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
}

static void test_vips_bounds(void **state)
{
	lg_config *cfg = test_cfg();

	cfg->vips_threads = 3;
	cfg->vips_cache_mb = 7;
	attach_init(cfg);
	assert_int_equal(vips_concurrency_get(), 3);
	assert_int_equal(vips_cache_get_max(), 0);
	assert_int_equal(vips_cache_get_max_mem(), 7 * 1024 * 1024);
	assert_int_equal(vips_cache_get_max_files(), 0);
	cfg->vips_threads = 1;
	cfg->vips_cache_mb = 32;
	attach_init(cfg);
	assert_int_equal(vips_concurrency_get(), 1);
	config_unref(&cfg);
}

static void test_timeout(void **state)
{
	GBytes *b = jpeg_of(3000, 3000);
	GBytes *j = NULL;
	gsize len;
	const guint8 *d = g_bytes_get_data(b, &len);
	lg_photo_opts o = {.long_side = 2999, .quality = 85, .timeout_ms = 1};
	int w, h;

	assert_int_equal(photo_convert(d, len, LG_IMG_JPEG, &o, &j, &w, &h), PHOTO_ERR_CORRUPT);
	assert_null(j);
	o.timeout_ms = 0;
	assert_int_equal(photo_convert(d, len, LG_IMG_JPEG, &o, &j, &w, &h), PHOTO_OK);
	assert_int_equal(w, 2999);
	g_bytes_unref(j);
	g_bytes_unref(b);

	/* a rotated photo is decoded earlier (to memory, before turning): the
	 * budget covers that too */
	{
		VipsImage *im = noisy(3000, 3000);
		vips_image_set_int(im, VIPS_META_ORIENTATION, 6);
		b = to_jpeg(im, 85);
		d = g_bytes_get_data(b, &len);
		o.timeout_ms = 1;
		assert_int_equal(photo_convert(d, len, LG_IMG_JPEG, &o, &j, &w, &h),
		                 PHOTO_ERR_CORRUPT);
		assert_null(j);
		g_bytes_unref(b);
	}
}

/* ---- the JPEG fast path (policy/photo.c: copied without re-encoding) ---- */

/* A new JPEG: a's SOI, then seg (whole marker segments), then the rest
 * of a, then tail (after EOI). Unrefs a. */
static GBytes *jpeg_splice(GBytes *a, const void *seg, gsize seg_len, const char *tail)
{
	gsize len;
	const guint8 *d = g_bytes_get_data(a, &len);
	GByteArray *out = g_byte_array_new();
	g_byte_array_append(out, d, 2);
	g_byte_array_append(out, seg, (guint)seg_len);
	g_byte_array_append(out, d + 2, (guint)(len - 2));
	if (tail != NULL)
		g_byte_array_append(out, (const guint8 *)tail, (guint)strlen(tail));
	g_bytes_unref(a);
	return g_byte_array_free_to_bytes(out);
}

/* TRUE when a and b decode to exactly the same pixels. */
static gboolean same_pixels(GBytes *a, GBytes *b)
{
	VipsImage *ia = decode(a), *ib = decode(b);
	size_t la = 0, lb = 0;
	void *pa = vips_image_write_to_memory(ia, &la);
	void *pb = vips_image_write_to_memory(ib, &lb);
	gboolean same = pa != NULL && pb != NULL && la == lb && memcmp(pa, pb, la) == 0;
	g_free(pa);
	g_free(pb);
	g_object_unref(ia);
	g_object_unref(ib);
	return same;
}

/* TRUE when out carries the first 256 bytes of in's entropy-coded data
 * verbatim: a copy, not a re-encoding. */
static gboolean copied_from(GBytes *out, GBytes *in)
{
	gsize ol, il;
	const guint8 *o = g_bytes_get_data(out, &ol), *d = g_bytes_get_data(in, &il);
	const guint8 *sos = memmem(d, il, "\xFF\xDA", 2);
	gsize start;
	assert_non_null(sos);
	start = (gsize)(sos - d) + 2 + ((gsize)sos[2] << 8 | sos[3]);
	assert_true(start + 256 <= il);
	return memmem(o, ol, d + start, 256) != NULL;
}

static gboolean has_bytes(GBytes *b, const char *needle)
{
	gsize len;
	const void *d = g_bytes_get_data(b, &len);
	return memmem(d, len, needle, strlen(needle)) != NULL;
}

/* One photo through attach_process with the default settings but q. */
static GBytes *convert_one(GBytes *in, int quality, int long_side, int *w_r, int *h_r)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	GBytes *out = NULL;
	result r;

	cfg->photo_quality = quality;
	cfg->photo_long_side = long_side;
	msg_add(m, "p.jpg", "image/jpeg", g_bytes_ref(in));
	run(cfg, m, &r);
	if (r.photos->len == 1) {
		out = g_bytes_ref(photo_at(&r, 0)->data);
		*w_r = photo_at(&r, 0)->width;
		*h_r = photo_at(&r, 0)->height;
		assert_photo_jpeg(photo_at(&r, 0));
	}
	result_clear(&r);
	msg_free(m);
	config_unref(&cfg);
	return out;
}

static void test_fast_path_strips_everything(void **state)
{
	static const char xmp[] = "<x:xmpmeta xmlns:x='adobe:ns:meta/'>secret place</x:xmpmeta>";
	static const guint8 extra[] = {
	    /* COM */
	    0xFF, 0xFE, 0x00, 0x10, 's', 'e', 'c', 'r', 'e', 't', ' ', 'n', 'o', 't', 'e', '!', 0,
	    0,
	    /* APP13 IPTC */
	    0xFF, 0xED, 0x00, 0x1C, 'P', 'h', 'o', 't', 'o', 's', 'h', 'o', 'p', ' ', '3', '.', '0',
	    0, '8', 'B', 'I', 'M', 0x04, 0x04, 's', 'e', 'c', 'r', 'e', 't',
	    /* APP14 Adobe, transform 1 (YCbCr): says nothing the copy needs */
	    0xFF, 0xEE, 0x00, 0x0E, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 1};
	VipsImage *im = noisy(640, 480), *back;
	GBytes *exif = exif_with_gps(), *in, *out;
	gsize el;
	const void *ed = g_bytes_get_data(exif, &el);
	int w = 0, h = 0;

	vips_image_set_blob_copy(im, VIPS_META_EXIF_NAME, ed, el);
	vips_image_set_blob_copy(im, VIPS_META_XMP_NAME, xmp, sizeof(xmp));
	in = jpeg_splice(to_jpeg(im, 80), extra, sizeof(extra), "secret trailer");
	g_bytes_unref(exif);
	back = decode(in);
	assert_true(vips_image_get_typeof(back, "exif-ifd3-GPSLatitude") != 0);
	assert_true(vips_image_get_typeof(back, VIPS_META_XMP_NAME) != 0);
	g_object_unref(back);
	assert_true(has_bytes(in, "secret"));

	out = convert_one(in, 85, 2000, &w, &h);
	assert_non_null(out);
	assert_int_equal(w, 640);
	assert_int_equal(h, 480);
	/* copied, not re-encoded: the very same pixels */
	assert_true(copied_from(out, in));
	assert_true(same_pixels(in, out));
	assert_true(g_bytes_get_size(out) < g_bytes_get_size(in));
	assert_false(has_bytes(out, "secret"));
	assert_false(has_bytes(out, "Exif"));
	assert_false(has_bytes(out, "xmpmeta"));
	assert_false(has_bytes(out, "Photoshop"));
	assert_false(has_bytes(out, "Adobe"));
	back = decode(out);
	assert_int_equal(vips_image_get_typeof(back, VIPS_META_EXIF_NAME), 0);
	assert_int_equal(vips_image_get_typeof(back, "exif-ifd3-GPSLatitude"), 0);
	assert_int_equal(vips_image_get_typeof(back, VIPS_META_XMP_NAME), 0);
	assert_int_equal(vips_image_get_typeof(back, VIPS_META_IPTC_NAME), 0);
	assert_int_equal(vips_image_get_typeof(back, VIPS_META_ICC_NAME), 0);
	g_object_unref(back);
	{
		/* and it ends at EOI */
		gsize len;
		const guint8 *d = g_bytes_get_data(out, &len);
		assert_true(d[len - 2] == 0xFF && d[len - 1] == 0xD9);
	}
	g_bytes_unref(out);

	/* progressive and greyscale files take the same path */
	{
		void *buf = NULL;
		size_t len = 0;
		VipsImage *grey = NULL;
		im = noisy(500, 400);
		assert_int_equal(
		    vips_jpegsave_buffer(im, &buf, &len, "Q", 75, "interlace", TRUE, NULL), 0);
		assert_int_equal(vips_extract_band(im, &grey, 0, NULL), 0);
		g_object_unref(im);
		g_bytes_unref(in);
		in = take_buf(buf, len);
		out = convert_one(in, 85, 2000, &w, &h);
		assert_non_null(out);
		assert_true(same_pixels(in, out));
		g_bytes_unref(out);
		g_bytes_unref(in);
		in = to_jpeg(grey, 75);
		out = convert_one(in, 85, 2000, &w, &h);
		assert_non_null(out);
		assert_true(same_pixels(in, out));
		back = decode(out);
		assert_int_equal(vips_image_get_bands(back), 1);
		g_object_unref(back);
		g_bytes_unref(out);
	}
	g_bytes_unref(in);
}

static void test_fast_path_refuses_damage(void **state)
{
	GBytes *full = to_jpeg(noisy(640, 480), 75);
	gsize len;
	const guint8 *d = g_bytes_get_data(full, &len);
	int w, h;

	/* truncated in the entropy-coded data */
	{
		GBytes *cut = g_bytes_new_from_bytes(full, 0, len * 6 / 10);
		assert_null(convert_one(cut, 85, 2000, &w, &h));
		g_bytes_unref(cut);
	}
	/* stray markers in the middle of the data: libjpeg warns, so never
	 * copied; the full conversion decides, as before the fast path */
	{
		guint8 *bad = g_memdup2(d, len);
		GBytes *b, *out;
		for (gsize i = len / 2; i < len / 2 + 200; i += 2) {
			bad[i] = 0xFF;
			bad[i + 1] = 0xC4;
		}
		b = g_bytes_new_take(bad, len);
		out = convert_one(b, 85, 2000, &w, &h);
		if (out != NULL)
			assert_false(copied_from(out, b));
		g_clear_pointer(&out, g_bytes_unref);
		g_bytes_unref(b);
	}
	/* the EOI missing: not copied either */
	{
		GBytes *cut = g_bytes_new_from_bytes(full, 0, len - 2);
		GBytes *out = convert_one(cut, 85, 2000, &w, &h);
		if (out != NULL)
			assert_false(copied_from(out, cut));
		g_clear_pointer(&out, g_bytes_unref);
		g_bytes_unref(cut);
	}
	/* and the intact file is copied */
	{
		GBytes *out = convert_one(full, 85, 2000, &w, &h);
		assert_non_null(out);
		assert_true(copied_from(out, full));
		g_bytes_unref(out);
	}
	g_bytes_unref(full);
}

static void test_fast_path_only_when_it_fits(void **state)
{
	VipsImage *im, *back;
	GBytes *in, *out;
	double px[3];
	int w = 0, h = 0;

	/* turned by EXIF: decoded and turned upright */
	im = red_blue(400, 200);
	vips_image_set_int(im, VIPS_META_ORIENTATION, 6);
	in = to_jpeg(im, 75);
	out = convert_one(in, 85, 2000, &w, &h);
	assert_non_null(out);
	assert_int_equal(w, 200);
	assert_int_equal(h, 400);
	back = decode(out);
	assert_int_equal(vips_image_get_typeof(back, VIPS_META_ORIENTATION) ? 1 : 0, 0);
	pixel(back, 100, 50, px);
	assert_true(px[0] > 200 && px[2] < 60);
	g_object_unref(back);
	g_bytes_unref(out);
	g_bytes_unref(in);

	/* larger than long_side: resized */
	in = to_jpeg(noisy(2400, 1200), 75);
	out = convert_one(in, 85, 2000, &w, &h);
	assert_non_null(out);
	assert_int_equal(w, 2000);
	assert_int_equal(h, 1000);
	g_bytes_unref(out);
	/* ... and with long_side lowered, so is one that fitted before */
	g_bytes_unref(in);
	in = to_jpeg(noisy(640, 480), 75);
	out = convert_one(in, 85, 500, &w, &h);
	assert_non_null(out);
	assert_int_equal(w, 500);
	assert_int_equal(h, 375);
	g_bytes_unref(out);

	/* finer than the configured quality: re-encoded at that quality */
	g_bytes_unref(in);
	in = to_jpeg(noisy(640, 480), 98);
	out = convert_one(in, 85, 2000, &w, &h);
	assert_non_null(out);
	assert_int_equal(w, 640);
	assert_false(copied_from(out, in));
	assert_true(g_bytes_get_size(out) * 10 < g_bytes_get_size(in) * 7);
	g_bytes_unref(out);

	/* an embedded colour profile: converted through it, never copied */
	{
		static const guint8 icc[] = {0xFF, 0xE2, 0x00, 0x14, 'I', 'C', 'C', '_',
		                             'P',  'R',  'O',  'F',  'I', 'L', 'E', 0,
		                             1,    1,    'x',  'x',  'x', 'x'};
		g_bytes_unref(in);
		in = jpeg_splice(to_jpeg(noisy(640, 480), 75), icc, sizeof(icc), NULL);
		out = convert_one(in, 85, 2000, &w, &h);
		assert_non_null(out);
		assert_false(has_bytes(out, "ICC_PROFILE"));
		assert_false(copied_from(out, in));
		g_bytes_unref(out);
	}
	/* an Adobe marker saying the data is RGB, not YCbCr: never copied */
	{
		static const guint8 adobe[] = {0xFF, 0xEE, 0x00, 0x0E, 'A', 'd', 'o', 'b',
		                               'e',  0,    100,  0,    0,   0,   0,   0};
		g_bytes_unref(in);
		in = jpeg_splice(to_jpeg(noisy(640, 480), 75), adobe, sizeof(adobe), NULL);
		out = convert_one(in, 85, 2000, &w, &h);
		assert_non_null(out);
		assert_false(has_bytes(out, "Adobe"));
		assert_false(copied_from(out, in));
		g_bytes_unref(out);
	}
	g_bytes_unref(in);
}

typedef struct {
	const lg_config *cfg;
	const lg_message *m;
	char sums[3][65];
	guint kept, dropped;
} thread_job;

static gpointer thread_run(gpointer p)
{
	thread_job *job = p;
	result r;
	run(job->cfg, job->m, &r);
	job->kept = r.photos->len;
	job->dropped = r.dropped->len;
	for (guint i = 0; i < MIN(r.photos->len, 3u); i++)
		memcpy(job->sums[i], photo_at(&r, i)->sha256, 65);
	result_clear(&r);
	return NULL;
}

static void test_threads(void **state)
{
	lg_config *cfg = test_cfg();
	lg_message *m = msg_new();
	thread_job jobs[6];
	GThread *th[6];
	VipsImage *im = red_blue(800, 600);

	vips_image_set_int(im, VIPS_META_ORIENTATION, 8);
	msg_add(m, "a.jpg", "image/jpeg", to_jpeg(im, 90));
	msg_add(m, "b.png", "image/png", png_of(900, 700));
	msg_add(m, "c.jpg", "image/jpeg", jpeg_of(2500, 1800));
	msg_add(m, "d.mp4", "video/mp4",
	        g_bytes_new_static("\0\0\0\x18"
	                           "ftypisom",
	                           12));
	for (int i = 0; i < 6; i++) {
		jobs[i] = (thread_job){.cfg = cfg, .m = m};
		th[i] = g_thread_new("attach", thread_run, &jobs[i]);
	}
	for (int i = 0; i < 6; i++)
		g_thread_join(th[i]);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(jobs[i].kept, 3);
		assert_int_equal(jobs[i].dropped, 1);
		for (int k = 0; k < 3; k++)
			assert_string_equal(jobs[i].sums[k], jobs[0].sums[k]);
	}
	msg_free(m);
	config_unref(&cfg);
}

static void test_sniff_table(void **state)
{
	static const struct {
		const char *data;
		gsize len;
		lg_sniff_class cls;
		lg_image_format fmt;
	} cases[] = {
	    {"\xFF\xD8\xFF\xDB", 4, LG_SNIFF_PHOTO, LG_IMG_JPEG},
	    {"GIF89a\x01\0\x01\0", 10, LG_SNIFF_PHOTO, LG_IMG_GIF},
	    {"RIFF\0\0\0\0WEBPVP8 ", 16, LG_SNIFF_PHOTO, LG_IMG_WEBP},
	    {"RIFF\0\0\0\0WAVEfmt ", 16, LG_SNIFF_AUDIO, LG_IMG_NONE},
	    {"RIFF\0\0\0\0AVI LIST", 16, LG_SNIFF_VIDEO, LG_IMG_NONE},
	    {"\0\0\0\x1C"
	     "ftypheic\0\0\0\0mif1heic",
	     24, LG_SNIFF_PHOTO, LG_IMG_HEIF},
	    {"\0\0\0\x1C"
	     "ftypavif\0\0\0\0",
	     16, LG_SNIFF_PHOTO, LG_IMG_HEIF},
	    {"\0\0\0\x1C"
	     "ftypM4A \0\0\0\0",
	     16, LG_SNIFF_AUDIO, LG_IMG_NONE},
	    {"\0\0\0\x14"
	     "ftypqt  \0\0\0\0",
	     16, LG_SNIFF_VIDEO, LG_IMG_NONE},
	    {"\0\0\0\x14"
	     "ftyp3gp4\0\0\0\0",
	     16, LG_SNIFF_VIDEO, LG_IMG_NONE},
	    {"II*\0\x08\0\0\0", 8, LG_SNIFF_PHOTO, LG_IMG_TIFF},
	    {"MM\0*\0\0\0\x08", 8, LG_SNIFF_PHOTO, LG_IMG_TIFF},
	    {"BM", 2, LG_SNIFF_TEXT, LG_IMG_NONE}, /* too short for a BMP */
	    {"OggS\0\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01\x1E\x01vorbis", 35,
	     LG_SNIFF_AUDIO, LG_IMG_NONE},
	    {"\xFF\xFB\x90\x64", 4, LG_SNIFF_AUDIO, LG_IMG_NONE},
	    {"\xFF\xF1\x50\x80", 4, LG_SNIFF_AUDIO, LG_IMG_NONE},
	    {"fLaC\0\0\0\x22", 8, LG_SNIFF_AUDIO, LG_IMG_NONE},
	    {"#!AMR\n", 6, LG_SNIFF_AUDIO, LG_IMG_NONE},
	    {"7z\xBC\xAF\x27\x1C\0\x04", 8, LG_SNIFF_ARCHIVE, LG_IMG_NONE},
	    {"\xFD"
	     "7zXZ\0\0",
	     7, LG_SNIFF_ARCHIVE, LG_IMG_NONE},
	    {"#!/bin/sh\necho\n", 15, LG_SNIFF_EXECUTABLE, LG_IMG_NONE},
	    {"{\\rtf1\\ansi", 11, LG_SNIFF_DOCUMENT, LG_IMG_NONE},
	    {"8BPS\0\x01", 6, LG_SNIFF_IMAGE_OTHER, LG_IMG_NONE},
	    {"\0\0\x01\0\x01\0\x10\x10", 8, LG_SNIFF_IMAGE_OTHER, LG_IMG_NONE},
	    {"Version: 1\r\n", 12, LG_SNIFF_ENCRYPTED, LG_IMG_NONE},
	    {"Version: 1.2 of my poem\r\n", 25, LG_SNIFF_TEXT, LG_IMG_NONE},
	    {"", 0, LG_SNIFF_UNKNOWN, LG_IMG_NONE},
	};
	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		lg_sniff sn;
		sniff_bytes((const guint8 *)cases[i].data, cases[i].len, &sn);
		if (sn.cls != cases[i].cls || sn.fmt != cases[i].fmt)
			fail_msg("case %zu: got %s/%d", i, sniff_class_name(sn.cls), sn.fmt);
		assert_non_null(sn.mime);
	}
	/* sizes from headers */
	{
		GBytes *b = png_of(123, 45);
		lg_sniff sn;
		sniff_bytes(g_bytes_get_data(b, NULL), g_bytes_get_size(b), &sn);
		assert_int_equal(sn.width, 123);
		assert_int_equal(sn.height, 45);
		g_bytes_unref(b);
		b = jpeg_of(321, 54);
		sniff_bytes(g_bytes_get_data(b, NULL), g_bytes_get_size(b), &sn);
		assert_int_equal(sn.fmt, LG_IMG_JPEG);
		assert_int_equal(sn.width, 321);
		assert_int_equal(sn.height, 54);
		g_bytes_unref(b);
		b = bmp_of(7, 9, 1, 2, 3);
		sniff_bytes(g_bytes_get_data(b, NULL), g_bytes_get_size(b), &sn);
		assert_int_equal(sn.fmt, LG_IMG_BMP);
		assert_int_equal(sn.width, 7);
		assert_int_equal(sn.height, 9);
		g_bytes_unref(b);
	}
	{
		lg_sniff sn;
		sniff_bytes(NULL, 0, &sn);
		assert_int_equal(sn.cls, LG_SNIFF_UNKNOWN);
	}
}

/* Through the lead's parser: a real MIME message with an HTML body, an
 * inline cid: photo, a tracking pixel, a video and an S/MIME signature. */
static void test_through_parser(void **state)
{
	lg_config *cfg = test_cfg();
	lg_limits lim;
	GBytes *photo = jpeg_of(640, 480), *pixel_gif;
	void *buf = NULL;
	size_t len = 0;
	VipsImage *one = solid(1, 1, 255, 255, 255);
	g_autofree char *b64_photo = NULL, *b64_pixel = NULL, *eml = NULL;
	GMimeStream *stream;
	GError *err = NULL;
	lg_message *msg;
	result r;

	assert_int_equal(vips_gifsave_buffer(one, &buf, &len, NULL), 0);
	g_object_unref(one);
	pixel_gif = take_buf(buf, len);
	b64_photo = g_base64_encode(g_bytes_get_data(photo, NULL), g_bytes_get_size(photo));
	b64_pixel = g_base64_encode(g_bytes_get_data(pixel_gif, NULL), g_bytes_get_size(pixel_gif));
	eml = g_strdup_printf(
	    "From: Anna <anna@example.com>\r\n"
	    "To: ivan.petrov@letters.example.org\r\n"
	    "Subject: hello\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; "
	    "micalg=sha-256; boundary=\"S\"\r\n\r\n"
	    "--S\r\n"
	    "Content-Type: multipart/mixed; boundary=\"M\"\r\n\r\n"
	    "--M\r\n"
	    "Content-Type: multipart/related; boundary=\"R\"\r\n\r\n"
	    "--R\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n\r\n"
	    "<p>Hello Ivan</p><img src=\"cid:photo1\"><img src=\"cid:px\">\r\n"
	    "--R\r\n"
	    "Content-Type: image/jpeg\r\nContent-ID: <photo1>\r\n"
	    "Content-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n"
	    "--R\r\n"
	    "Content-Type: image/gif\r\nContent-ID: <px>\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n"
	    "--R--\r\n"
	    "--M\r\n"
	    "Content-Type: video/mp4; name=\"clip.mp4\"\r\n"
	    "Content-Disposition: attachment; filename=\"clip.mp4\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nAAAAGGZ0eXBtcDQyAAAAAG1wNDJpc29t\r\n"
	    "--M--\r\n"
	    "--S\r\n"
	    "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\nMIIBAAYJKoZIhvcNAQcCoIIB\r\n"
	    "--S--\r\n",
	    b64_photo, b64_pixel);
	message_init();
	message_limits_from_config(cfg, &lim);
	stream = g_mime_stream_mem_new_with_buffer(eml, strlen(eml));
	msg = message_parse(stream, &lim, &err);
	g_object_unref(stream);
	if (msg == NULL)
		fail_msg("parse: %s", err ? err->message : "?");
	run(cfg, msg, &r);
	assert_int_equal(r.photos->len, 1);
	assert_int_equal(photo_at(&r, 0)->width, 640);
	assert_photo_jpeg(photo_at(&r, 0));
	assert_int_equal(r.dropped->len, 3);
	for (guint i = 0; i < r.dropped->len; i++) {
		lg_dropped *d = dropped_at(&r, i);
		if (strcmp(d->name, "clip.mp4") == 0) {
			assert_string_equal(d->type, "video/mp4");
			assert_false(d->quiet);
		} else if (strcmp(d->name, "smime.p7s") == 0) {
			assert_true(d->quiet);
		} else {
			assert_string_equal(d->name, "inline picture");
			assert_non_null(strstr(d->reason, "too small"));
		}
	}
	result_clear(&r);
	message_free(&msg);
	g_bytes_unref(photo);
	g_bytes_unref(pixel_gif);
	config_unref(&cfg);
}

/* Damaged pictures of every format: flipped bytes and cuts. Each must be
 * kept or dropped with a reason, never crash or hang. Fixed seed. */
static void test_mutations(void **state)
{
	lg_config *cfg = test_cfg();
	GPtrArray *seeds = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	GRand *rnd = g_rand_new_with_seed(20240603);
	void *buf = NULL;
	size_t len = 0;
	VipsImage *im;

	g_ptr_array_add(seeds, jpeg_of(160, 120));
	g_ptr_array_add(seeds, to_png(noisy(160, 120)));
	g_ptr_array_add(seeds, bmp_of(160, 120, 9, 99, 199));
	im = noisy(160, 120);
	assert_int_equal(vips_gifsave_buffer(im, &buf, &len, NULL), 0);
	g_ptr_array_add(seeds, take_buf(buf, len));
	assert_int_equal(vips_webpsave_buffer(im, &buf, &len, NULL), 0);
	g_ptr_array_add(seeds, take_buf(buf, len));
	assert_int_equal(vips_tiffsave_buffer(im, &buf, &len, "compression",
	                                      VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE, NULL),
	                 0);
	g_ptr_array_add(seeds, take_buf(buf, len));
	if (vips_heifsave_buffer(im, &buf, &len, "compression", VIPS_FOREIGN_HEIF_COMPRESSION_HEVC,
	                         NULL) == 0)
		g_ptr_array_add(seeds, take_buf(buf, len));
	vips_error_clear();
	g_object_unref(im);

	for (guint s = 0; s < seeds->len; s++) {
		gsize n;
		const guint8 *orig = g_bytes_get_data(seeds->pdata[s], &n);
		for (int it = 0; it < 25; it++) {
			lg_message *m = msg_new();
			guint8 *d = g_memdup2(orig, n);
			gsize cut = n;
			result r;

			if (it % 3 == 0)
				cut = (gsize)g_rand_int_range(rnd, 1, (gint32)n);
			for (int k = 0; k < 1 + it % 6; k++)
				d[g_rand_int_range(rnd, 0, (gint32)cut)] = (guint8)g_rand_int(rnd);
			msg_add(m, "x", "image/jpeg", g_bytes_new_take(d, cut));
			run(cfg, m, &r);
			assert_int_equal(r.photos->len + r.dropped->len, 1);
			if (r.dropped->len == 1)
				assert_true(dropped_at(&r, 0)->reason[0] != '\0');
			else
				assert_true(jpeg_clean(photo_at(&r, 0)->data));
			result_clear(&r);
			msg_free(m);
		}
	}
	g_rand_free(rnd);
	g_ptr_array_free(seeds, TRUE);
	config_unref(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sniff_table),
	    cmocka_unit_test(test_gps_stripped),
	    cmocka_unit_test(test_orientation_6),
	    cmocka_unit_test(test_png_bomb),
	    cmocka_unit_test(test_animated_gif_first_frame),
	    cmocka_unit_test(test_eight_photos_five_kept),
	    cmocka_unit_test(test_heic),
	    cmocka_unit_test(test_truncated_jpeg),
	    cmocka_unit_test(test_webp_tiff_bmp),
	    cmocka_unit_test(test_png_alpha_grey_cmyk),
	    cmocka_unit_test(test_tiny_images),
	    cmocka_unit_test(test_not_images_declared_jpeg),
	    cmocka_unit_test(test_image_named_pdf),
	    cmocka_unit_test(test_other_kinds),
	    cmocka_unit_test(test_limit_photo_bytes),
	    cmocka_unit_test(test_limit_photo_pixels),
	    cmocka_unit_test(test_limit_letter_photo_bytes),
	    cmocka_unit_test(test_long_side_and_quality),
	    cmocka_unit_test(test_duplicate),
	    cmocka_unit_test(test_vips_bounds),
	    cmocka_unit_test(test_timeout),
	    cmocka_unit_test(test_fast_path_strips_everything),
	    cmocka_unit_test(test_fast_path_refuses_damage),
	    cmocka_unit_test(test_fast_path_only_when_it_fits),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_through_parser),
	    cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
