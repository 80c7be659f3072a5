/* tests/unit/test_deliver_pdf.c - the print-ready PDF: page count, Cyrillic
 * text extractable (pdftotext), photos on their own pages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <cairo.h>
#include <dlfcn.h>
#include <pango/pangocairo.h>
#include <vips/vips.h>

#include "deliver/pdf.h"

static GBytes *make_image(const char *suffix, int w, int h, int bands)
{
	VipsImage *black = NULL, *img = NULL;
	void *buf = NULL;
	size_t len = 0;
	double a[4] = {1, 1, 1, 1}, b[4] = {40, 120, 200, 128};
	assert_int_equal(vips_black(&black, w, h, "bands", bands, NULL), 0);
	assert_int_equal(vips_linear(black, &img, a, b, bands, "uchar", TRUE, NULL), 0);
	if (bands == 4)
		img->Type = VIPS_INTERPRETATION_sRGB;
	assert_int_equal(vips_image_write_to_buffer(img, suffix, &buf, &len, NULL), 0);
	g_object_unref(black);
	g_object_unref(img);
	return g_bytes_new_take(buf, len);
}

static lg_photo *photo(const char *name, const char *type, GBytes *data)
{
	lg_photo *p = g_new0(lg_photo, 1);
	p->name = g_strdup(name);
	p->type = g_strdup(type);
	p->data = data;
	return p;
}

static void photo_drop(gpointer data)
{
	lg_photo *p = data;
	g_free(p->name);
	g_free(p->type);
	g_bytes_unref(p->data);
	g_free(p);
}

static lg_letter_rec *rec_make(const char *text)
{
	lg_letter_rec *r = g_new0(lg_letter_rec, 1);
	r->id = g_strdup("0123456789abcdef");
	r->prisoner = g_strdup("ivan.petrov");
	r->writer_name = g_strdup("Anna Schmidt");
	r->text_ru = g_strdup(text);
	r->photos = g_ptr_array_new_with_free_func(photo_drop);
	return r;
}

static void rec_drop(lg_letter_rec *r)
{
	g_free(r->id);
	g_free(r->prisoner);
	g_free(r->writer_name);
	g_free(r->text_ru);
	g_ptr_array_unref(r->photos);
	g_free(r);
}

static lg_prisoner prisoner = {
    .alias = "ivan.petrov",
    .full_name = "Петров Иван Сергеевич",
    .birth_year = 1985,
    .region = "Пермский край",
    .facility = "ИК-9 ГУФСИН России по Пермскому краю",
    .status = "active",
};

static char *run(const char *cmd, const char *path)
{
	char *argv[] = {(char *)cmd, (char *)path, (char *)"-", NULL};
	char *out = NULL;
	int status = 0;
	if (strcmp(cmd, "pdfinfo") == 0)
		argv[2] = NULL;
	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
	                  NULL, &out, NULL, &status, NULL))
		return NULL;
	return out;
}

static int pdfinfo_pages(const char *path)
{
	char *info = run("pdfinfo", path);
	const char *p;
	int pages = -1;
	if (info == NULL)
		return -1;
	p = strstr(info, "Pages:");
	if (p)
		pages = atoi(p + 6);
	g_free(info);
	return pages;
}

static char *tmp_pdf(void)
{
	char *path = NULL;
	int fd = g_file_open_tmp("lg-pdf-XXXXXX.pdf", &path, NULL);
	close(fd);
	return path;
}

static void test_short_letter(void **state)
{
	lg_letter_rec *r =
	    rec_make("Здравствуйте, Иван!\n\nПишу вам из Берлина. Держитесь.\n\nС уважением.");
	char *path = tmp_pdf();
	GError *err = NULL;
	int pages = 0;
	char *text;

	assert_true(pdf_render(r, &prisoner, path, &pages, &err));
	assert_null(err);
	assert_int_equal(pages, 1);
	assert_int_equal(pdfinfo_pages(path), 1);
	text = run("pdftotext", path);
	assert_non_null(text);
	assert_non_null(strstr(text, "Здравствуйте, Иван!"));
	assert_non_null(strstr(text, "Держитесь"));
	assert_non_null(strstr(text, "Петров Иван Сергеевич"));
	assert_non_null(strstr(text, "1985"));
	assert_non_null(strstr(text, "ИК-9"));
	assert_non_null(strstr(text, "Anna Schmidt"));
	assert_non_null(strstr(text, "0123456789abcdef"));
	g_free(text);
	g_unlink(path);
	g_free(path);
	rec_drop(r);
}

static void test_long_letter_paginates(void **state)
{
	GString *s = g_string_new(NULL);
	lg_letter_rec *r;
	char *path = tmp_pdf(), *text;
	int pages = 0;

	/* ~12,000 characters: five or six printed pages */
	for (int i = 0; i < 120; i++)
		g_string_append_printf(s,
		                       "Абзац %d. Сегодня был тёплый день, мы гуляли в парке и "
		                       "вспоминали тебя. ",
		                       i);
	for (int i = 0; i < 40; i++)
		g_string_append(s, "\nКороткая строка.");
	g_string_append(s, "\nПоследняя строка письма.");
	r = rec_make(s->str);
	assert_true(pdf_render(r, &prisoner, path, &pages, NULL));
	assert_true(pages >= 4);
	assert_int_equal(pdfinfo_pages(path), pages);
	text = run("pdftotext", path);
	assert_non_null(strstr(text, "Абзац 0."));
	assert_non_null(strstr(text, "Абзац 119."));
	assert_non_null(strstr(text, "Последняя строка письма."));
	assert_non_null(strstr(text, "Anna Schmidt"));
	g_free(text);
	g_unlink(path);
	g_free(path);
	g_string_free(s, TRUE);
	rec_drop(r);
}

static void test_photos_own_pages(void **state)
{
	lg_letter_rec *r = rec_make("Посылаю тебе фотографии нашего сада.");
	GBytes *jpeg = make_image(".jpg", 800, 600, 3);
	char *path = tmp_pdf(), *text, *raw = NULL;
	gsize raw_len = 0;
	int pages = 0;

	g_ptr_array_add(r->photos, photo("photo-1.jpg", "image/jpeg", g_bytes_ref(jpeg)));
	g_ptr_array_add(r->photos,
	                photo("photo-2.jpg", "image/jpeg", make_image(".jpg", 400, 900, 3)));
	g_ptr_array_add(r->photos,
	                photo("photo-3.png", "image/png", make_image(".png", 300, 300, 4)));
	g_ptr_array_add(r->photos, photo("bad.jpg", "image/jpeg", g_bytes_new_static("nope", 4)));
	assert_true(pdf_render(r, &prisoner, path, &pages, NULL));
	assert_int_equal(pages, 5);
	assert_int_equal(pdfinfo_pages(path), 5);
	text = run("pdftotext", path);
	assert_non_null(strstr(text, "Фотография 1 из 4"));
	assert_non_null(strstr(text, "Фотография 4 из 4"));
	assert_non_null(strstr(text, "не удалось"));
	g_free(text);
	/* JPEGs are embedded as they are, not re-encoded */
	assert_true(g_file_get_contents(path, &raw, &raw_len, NULL));
	assert_non_null(memmem(raw, raw_len, "DCTDecode", 9));
	assert_true(raw_len < 200 * 1024);
	g_free(raw);
	g_bytes_unref(jpeg);
	g_unlink(path);
	g_free(path);
	rec_drop(r);
}

/* Centre pixel of page `page` of the PDF at path, rendered by poppler. */
static void page_centre(const char *path, int page, double rgb[3])
{
	/* one file name per page: libvips caches loads by file name */
	char *prefix = g_strdup_printf("%s-page%d", path, page);
	char *png = g_strdup_printf("%s.png", prefix);
	char *pg = g_strdup_printf("%d", page);
	char *argv[] = {(char *)"pdftoppm",
	                (char *)"-r",
	                (char *)"20",
	                (char *)"-f",
	                pg,
	                (char *)"-l",
	                pg,
	                (char *)"-singlefile",
	                (char *)"-png",
	                (char *)path,
	                prefix,
	                NULL};
	int status = -1;
	VipsImage *im;
	double *v = NULL;
	int n = 0;

	assert_true(g_spawn_sync(NULL, argv, NULL,
	                         G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
	                             G_SPAWN_STDERR_TO_DEV_NULL,
	                         NULL, NULL, NULL, NULL, &status, NULL));
	assert_int_equal(status, 0);
	im = vips_image_new_from_file(png, "access", VIPS_ACCESS_RANDOM, NULL);
	assert_non_null(im);
	assert_int_equal(vips_getpoint(im, &v, &n, vips_image_get_width(im) / 2,
	                               vips_image_get_height(im) / 2, NULL),
	                 0);
	assert_true(n >= 1);
	for (int i = 0; i < 3; i++)
		rgb[i] = v[n >= 3 ? i : 0];
	g_free(v);
	g_object_unref(im);
	g_unlink(png);
	g_free(png);
	g_free(prefix);
	g_free(pg);
}

/* JPEGs are not decoded: their bytes go into the PDF as they are, and
 * poppler shows them; grey and progressive ones too. Other pictures are
 * still decoded. */
static void test_jpeg_embedded_as_is(void **state)
{
	lg_letter_rec *r = rec_make("Фотографии.");
	GBytes *colour = make_image(".jpg", 800, 600, 3);
	GBytes *grey = make_image(".jpg", 300, 500, 1);
	GBytes *prog = make_image(".jpg[interlace]", 640, 480, 3);
	GBytes *png = make_image(".png", 300, 300, 3);
	GBytes *jpegs[] = {colour, grey, prog};
	char *path = tmp_pdf(), *raw = NULL;
	gsize raw_len = 0;
	double px[3];
	int pages = 0;

	g_ptr_array_add(r->photos, photo("photo-1.jpg", "image/jpeg", g_bytes_ref(colour)));
	g_ptr_array_add(r->photos, photo("photo-2.jpg", "image/jpeg", g_bytes_ref(grey)));
	g_ptr_array_add(r->photos, photo("photo-3.jpg", "image/jpeg", g_bytes_ref(prog)));
	g_ptr_array_add(r->photos, photo("photo-4.png", "image/png", g_bytes_ref(png)));
	/* a JPEG header that ends before its frame: a page saying so */
	g_ptr_array_add(r->photos, photo("photo-5.jpg", "image/jpeg",
	                                 g_bytes_new_static("\xFF\xD8\xFF\xDB\x00\x43", 6)));
	assert_true(pdf_render(r, &prisoner, path, &pages, NULL));
	assert_int_equal(pages, 6);
	assert_true(g_file_get_contents(path, &raw, &raw_len, NULL));
	for (gsize i = 0; i < G_N_ELEMENTS(jpegs); i++) {
		gsize len;
		const void *d = g_bytes_get_data(jpegs[i], &len);
		assert_non_null(memmem(raw, raw_len, d, len));
	}
	g_free(raw);
	page_centre(path, 2, px); /* 40, 120, 200 */
	assert_true(px[0] < 70 && px[1] > 90 && px[1] < 150 && px[2] > 170);
	page_centre(path, 3, px); /* grey 40 */
	assert_true(px[0] < 70 && px[1] < 70 && px[2] < 70);
	page_centre(path, 4, px);
	assert_true(px[0] < 70 && px[1] > 90 && px[1] < 150 && px[2] > 170);
	page_centre(path, 5, px); /* the PNG, decoded */
	assert_true(px[0] < 70 && px[1] > 90 && px[1] < 150 && px[2] > 170);
	{
		char *text = run("pdftotext", path);
		assert_non_null(strstr(text, "не удалось"));
		g_free(text);
	}
	g_bytes_unref(colour);
	g_bytes_unref(grey);
	g_bytes_unref(prog);
	g_bytes_unref(png);
	g_unlink(path);
	g_free(path);
	rec_drop(r);
}

static void test_errors(void **state)
{
	lg_letter_rec *r = rec_make(NULL);
	GError *err = NULL;
	int pages = 7;
	assert_false(pdf_render(r, &prisoner, "/nonexistent/x.pdf", &pages, &err));
	assert_non_null(err);
	assert_int_equal(pages, 0);
	g_clear_error(&err);
	r->text_ru = g_strdup("Текст <b>с разметкой</b> & амперсандом");
	assert_false(pdf_render(r, NULL, "/nonexistent/dir/x.pdf", &pages, &err));
	assert_non_null(err);
	g_clear_error(&err);
	{
		GBytes *b = pdf_render_bytes(r, NULL, &pages, &err);
		assert_non_null(b);
		assert_int_equal(pages, 1);
		g_bytes_unref(b);
	}
	rec_drop(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_short_letter),     cmocka_unit_test(test_long_letter_paginates),
	    cmocka_unit_test(test_photos_own_pages), cmocka_unit_test(test_jpeg_embedded_as_is),
	    cmocka_unit_test(test_errors),
	};
	int rc;
	if (VIPS_INIT("test"))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	/* release font caches so that LeakSanitizer sees only real leaks */
	pango_cairo_font_map_set_default(NULL);
	cairo_debug_reset_static_data();
	{
		/* fontconfig comes in through pango; not linked directly */
		void (*fc_fini)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "FcFini");
		if (fc_fini)
			fc_fini();
	}
	vips_shutdown();
	return rc;
}
