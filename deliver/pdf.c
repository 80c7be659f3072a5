/*
 * deliver/pdf.c - see pdf.h.
 *
 * Pagination walks the lines of one PangoLayout the width of the text
 * column and starts a new page whenever the next line would cross the
 * bottom margin; lines are drawn one by one with pango_cairo_show_layout_line,
 * so a paragraph may continue on the next page.
 */
#include "deliver/pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <string.h>
#include <sys/mman.h>
#include <vips/vips.h>

#include "common/util.h"

#define A4_W 595.2756 /* 210 mm in points */
#define A4_H 841.8898 /* 297 mm */
#define MARGIN 56.69  /* 20 mm */
#define FOOTER 28.0
#define TEXT_FONT "DejaVu Serif 12"
#define HEAD_FONT "DejaVu Sans 11"
#define FOOT_FONT "DejaVu Sans 8"
#define PHOTO_PIXELS_MAX (50 * 1000 * 1000) /* policy/ converted them; be safe */

typedef struct {
	cairo_t *cr;
	const lg_letter_rec *rec;
	int page;
} pdf_ctx;

static gsize vips_once;

static void pdf_vips_init(void)
{
	if (g_once_init_enter(&vips_once)) {
		if (VIPS_INIT("lettergate") != 0)
			vips_error_clear();
		g_once_init_leave(&vips_once, 1);
	}
}

static cairo_status_t on_write(void *closure, const unsigned char *data, unsigned int len)
{
	g_byte_array_append(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

static PangoLayout *layout_new(cairo_t *cr, const char *font, double width)
{
	PangoLayout *l = pango_cairo_create_layout(cr);
	PangoFontDescription *fd = pango_font_description_from_string(font);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(l, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	return l;
}

static void footer(pdf_ctx *c)
{
	PangoLayout *l = layout_new(c->cr, FOOT_FONT, A4_W - 2 * MARGIN);
	char *s = g_strdup_printf("%s · %d", c->rec->id ? c->rec->id : "", c->page);
	pango_layout_set_alignment(l, PANGO_ALIGN_CENTER);
	pango_layout_set_text(l, s, -1);
	cairo_set_source_rgb(c->cr, 0.3, 0.3, 0.3);
	cairo_move_to(c->cr, MARGIN, A4_H - MARGIN + (FOOTER - 10) / 2);
	pango_cairo_show_layout(c->cr, l);
	cairo_set_source_rgb(c->cr, 0, 0, 0);
	g_free(s);
	g_object_unref(l);
}

static void page_end(pdf_ctx *c)
{
	footer(c);
	cairo_show_page(c->cr);
	c->page++;
}

static char *header_text(const lg_letter_rec *rec, const lg_prisoner *p)
{
	GString *s = g_string_new(NULL);
	const char *name = p && p->full_name && *p->full_name ? p->full_name : rec->prisoner;
	char *esc = g_markup_escape_text(name ? name : "", -1);

	g_string_append_printf(s, "<b>Кому:</b> %s", esc);
	g_free(esc);
	if (p && p->birth_year > 0)
		g_string_append_printf(s, ", %d г. р.", p->birth_year);
	if (p && p->facility && *p->facility) {
		esc = g_markup_escape_text(p->facility, -1);
		g_string_append_printf(s, "\n%s", esc);
		g_free(esc);
	}
	if (p && p->region && *p->region) {
		esc = g_markup_escape_text(p->region, -1);
		g_string_append_printf(s, (p->facility && *p->facility) ? ", %s" : "\n%s", esc);
		g_free(esc);
	}
	esc = g_markup_escape_text(rec->writer_name && *rec->writer_name ? rec->writer_name : "—",
	                           -1);
	g_string_append_printf(s, "\n<b>От:</b> %s", esc);
	g_free(esc);
	return g_string_free(s, FALSE);
}

/* Draws the text lines from y, starting new pages as needed. */
static void draw_text(pdf_ctx *c, const char *text, double y)
{
	PangoLayout *l = layout_new(c->cr, TEXT_FONT, A4_W - 2 * MARGIN);
	PangoLayoutIter *it;
	double bottom = A4_H - MARGIN - FOOTER;
	double offset = 0; /* layout y of the first line on this page */

	pango_layout_set_text(l, text, -1);
	pango_layout_set_spacing(l, 2 * PANGO_SCALE);
	it = pango_layout_get_iter(l);
	do {
		PangoRectangle logical;
		PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
		double top, bline;

		pango_layout_iter_get_line_extents(it, NULL, &logical);
		top = (double)logical.y / PANGO_SCALE - offset + y;
		if (top + (double)logical.height / PANGO_SCALE > bottom) {
			page_end(c);
			y = MARGIN;
			offset = (double)logical.y / PANGO_SCALE;
		}
		bline = (double)pango_layout_iter_get_baseline(it) / PANGO_SCALE - offset + y;
		cairo_move_to(c->cr, MARGIN + (double)logical.x / PANGO_SCALE, bline);
		pango_cairo_show_layout_line(c->cr, line);
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	g_object_unref(l);
}

/* Width and height from the frame header of a JPEG that cairo's PDF
 * backend embeds as it is (DCTDecode): Huffman-coded baseline, extended or
 * progressive, 8-bit, greyscale or YCbCr, as policy/photo.c writes them.
 * FALSE for anything else, which is then decoded. */
static gboolean jpeg_size(const guint8 *d, gsize len, int *w_r, int *h_r)
{
	gsize i = 2;

	if (len < 4 || d[0] != 0xFF || d[1] != 0xD8)
		return FALSE;
	while (i + 4 <= len) {
		const guint8 *p = d + i + 4;
		guint8 m = d[i + 1];
		gsize seg;

		if (d[i] != 0xFF)
			return FALSE;
		if (m == 0xFF) { /* fill byte */
			i++;
			continue;
		}
		seg = (gsize)d[i + 2] << 8 | d[i + 3];
		if (seg < 2 || seg > len - i - 2)
			return FALSE;
		switch (m) {
		case 0xC0:
		case 0xC1:
		case 0xC2:
			if (seg < 8 || seg != 8 + 3 * (gsize)p[5] || p[0] != 8 ||
			    (p[5] != 1 && p[5] != 3))
				return FALSE;
			*h_r = p[1] << 8 | p[2];
			*w_r = p[3] << 8 | p[4];
			return *w_r > 0 && *h_r > 0;
		case 0xEE: /* Adobe: colour transform other than YCbCr */
			if (seg >= 14 && memcmp(p, "Adobe", 5) == 0 && p[11] != 1)
				return FALSE;
			break;
		case 0xC4:
		case 0xDB:
		case 0xDD:
		case 0xFE:
			break;
		default:
			if (m < 0xE0 || m > 0xEF)
				return FALSE; /* another frame type, or data before the frame */
		}
		i += 2 + seg;
	}
	return FALSE;
}

typedef struct {
	void *addr;
	size_t len;
} pixel_map;

static const cairo_user_data_key_t pixel_map_key;

static void pixel_map_free(void *p)
{
	pixel_map *m = p;
	munmap(m->addr, m->len);
	g_free(m);
}

/* A JPEG is not decoded: the PDF backend writes the mime data as the
 * image (DCTDecode) and never reads the surface's pixels. They live in
 * an anonymous mapping that nobody touches, so no page of it is ever
 * faulted in (a malloc'd buffer would be cleared and paged in and out of
 * the heap for every photo). */
static cairo_surface_t *jpeg_surface(const lg_photo *ph)
{
	cairo_surface_t *surf;
	pixel_map *m;
	gsize len = 0;
	const guint8 *data;
	int w = 0, h = 0, stride;

	if (ph->type == NULL || strcmp(ph->type, "image/jpeg") != 0)
		return NULL;
	data = g_bytes_get_data(ph->data, &len);
	if (!jpeg_size(data, len, &w, &h) || (gint64)w * h > PHOTO_PIXELS_MAX)
		return NULL;
	stride = cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, w);
	if (stride <= 0)
		return NULL;
	m = g_new0(pixel_map, 1);
	m->len = (size_t)stride * (size_t)h;
	m->addr = mmap(NULL, m->len, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->addr == MAP_FAILED) {
		g_free(m);
		return NULL;
	}
	surf = cairo_image_surface_create_for_data(m->addr, CAIRO_FORMAT_RGB24, w, h, stride);
	if (cairo_surface_set_user_data(surf, &pixel_map_key, m, pixel_map_free) !=
	    CAIRO_STATUS_SUCCESS) {
		pixel_map_free(m);
		cairo_surface_destroy(surf);
		return NULL;
	}
	if (cairo_surface_set_mime_data(surf, CAIRO_MIME_TYPE_JPEG, data, len,
	                                (cairo_destroy_func_t)g_bytes_unref,
	                                g_bytes_ref(ph->data)) == CAIRO_STATUS_SUCCESS)
		return surf;
	cairo_surface_destroy(surf);
	return NULL;
}

/* Decodes a photo into a cairo surface; JPEGs keep their bytes as mime
 * data so the PDF embeds them as they are. NULL when undecodable. */
static cairo_surface_t *photo_surface(const lg_photo *ph)
{
	VipsImage *in = NULL, *srgb = NULL, *flat = NULL, *u8 = NULL;
	cairo_surface_t *surf = NULL;
	const unsigned char *src;
	gsize len = 0;
	const void *data;
	void *pix = NULL;
	size_t pix_len = 0;
	int w, h, stride, bands;

	if (ph == NULL || ph->data == NULL)
		return NULL;
	surf = jpeg_surface(ph);
	if (surf != NULL)
		return surf;
	data = g_bytes_get_data(ph->data, &len);
	in = vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	if (in == NULL)
		goto out;
	w = vips_image_get_width(in);
	h = vips_image_get_height(in);
	if (w <= 0 || h <= 0 || (gint64)w * h > PHOTO_PIXELS_MAX)
		goto out;
	if (vips_colourspace(in, &srgb, VIPS_INTERPRETATION_sRGB, NULL) != 0)
		goto out;
	if (vips_image_hasalpha(srgb)) {
		VipsArrayDouble *white = vips_array_double_newv(3, 255.0, 255.0, 255.0);
		int rc = vips_flatten(srgb, &flat, "background", white, NULL);
		vips_area_unref(VIPS_AREA(white));
		if (rc != 0)
			goto out;
	} else {
		flat = srgb;
		g_object_ref(flat);
	}
	if (vips_cast_uchar(flat, &u8, NULL) != 0)
		goto out;
	bands = vips_image_get_bands(u8);
	if (bands != 3)
		goto out;
	pix = vips_image_write_to_memory(u8, &pix_len);
	if (pix == NULL || pix_len != (size_t)w * h * 3)
		goto out;
	surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS)
		goto out;
	cairo_surface_flush(surf);
	stride = cairo_image_surface_get_stride(surf);
	{
		unsigned char *dst = cairo_image_surface_get_data(surf);
		src = pix;
		for (int yy = 0; yy < h; yy++) {
			guint32 *row = (guint32 *)(dst + (size_t)yy * stride);
			const unsigned char *s = src + (size_t)yy * w * 3;
			for (int xx = 0; xx < w; xx++)
				row[xx] = ((guint32)s[3 * xx] << 16) |
				          ((guint32)s[3 * xx + 1] << 8) | s[3 * xx + 2];
		}
	}
	cairo_surface_mark_dirty(surf);
	if (ph->type && strcmp(ph->type, "image/jpeg") == 0) {
		GBytes *keep = g_bytes_ref(ph->data);
		cairo_surface_set_mime_data(surf, CAIRO_MIME_TYPE_JPEG, data, len,
		                            (cairo_destroy_func_t)g_bytes_unref, keep);
	}
out:
	if (surf && cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS)
		g_clear_pointer(&surf, cairo_surface_destroy);
	if (surf == NULL)
		vips_error_clear();
	g_free(pix);
	g_clear_object(&u8);
	g_clear_object(&flat);
	g_clear_object(&srgb);
	g_clear_object(&in);
	return surf;
}

static void draw_photo(pdf_ctx *c, const lg_photo *ph, int n, int total)
{
	cairo_surface_t *img = photo_surface(ph);
	PangoLayout *l = layout_new(c->cr, HEAD_FONT, A4_W - 2 * MARGIN);
	char *cap = g_strdup_printf("Фотография %d из %d", n, total);
	double top = MARGIN + 24, avail_w = A4_W - 2 * MARGIN;
	double avail_h = A4_H - MARGIN - FOOTER - top;

	pango_layout_set_text(l, cap, -1);
	cairo_move_to(c->cr, MARGIN, MARGIN);
	pango_cairo_show_layout(c->cr, l);
	if (img) {
		int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
		double scale = MIN(avail_w / w, avail_h / h);
		double dw = w * scale, dh = h * scale;
		cairo_save(c->cr);
		cairo_translate(c->cr, MARGIN + (avail_w - dw) / 2, top + (avail_h - dh) / 2);
		cairo_scale(c->cr, scale, scale);
		cairo_set_source_surface(c->cr, img, 0, 0);
		cairo_paint(c->cr);
		cairo_restore(c->cr);
		cairo_surface_destroy(img);
	} else {
		pango_layout_set_text(l, "(фотографию не удалось подготовить к печати)", -1);
		cairo_move_to(c->cr, MARGIN, top + 24);
		pango_cairo_show_layout(c->cr, l);
	}
	g_free(cap);
	g_object_unref(l);
	page_end(c);
}

GBytes *pdf_render_bytes(const lg_letter_rec *rec, const lg_prisoner *p, int *pages_r, GError **err)
{
	GByteArray *buf = NULL;
	cairo_surface_t *surf = NULL;
	PangoLayout *head = NULL;
	pdf_ctx c = {0};
	char *markup = NULL, *body = NULL;
	GBytes *out = NULL;
	int nphotos = rec->photos ? (int)rec->photos->len : 0;
	int hh;

	if (pages_r)
		*pages_r = 0;
	if (rec->text_ru == NULL) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT,
		            "letter %s has no text (purged?)", rec->id ? rec->id : "?");
		return NULL;
	}
	pdf_vips_init();
	buf = g_byte_array_new();
	surf = cairo_pdf_surface_create_for_stream(on_write, buf, A4_W, A4_H);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, "Письмо");
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "lettergate");
	c.cr = cairo_create(surf);
	c.rec = rec;
	c.page = 1;
	cairo_set_source_rgb(c.cr, 0, 0, 0);

	head = layout_new(c.cr, HEAD_FONT, A4_W - 2 * MARGIN);
	markup = header_text(rec, p);
	pango_layout_set_markup(head, markup, -1);
	cairo_move_to(c.cr, MARGIN, MARGIN);
	pango_cairo_show_layout(c.cr, head);
	pango_layout_get_pixel_size(head, NULL, &hh);
	cairo_set_line_width(c.cr, 0.5);
	cairo_move_to(c.cr, MARGIN, MARGIN + hh + 8);
	cairo_line_to(c.cr, A4_W - MARGIN, MARGIN + hh + 8);
	cairo_stroke(c.cr);

	body = g_strdup_printf("%s\n\n%s", rec->text_ru,
	                       rec->writer_name && *rec->writer_name ? rec->writer_name : "");
	g_strchomp(body);
	draw_text(&c, body, MARGIN + hh + 20);
	page_end(&c);
	for (int i = 0; i < nphotos; i++)
		draw_photo(&c, g_ptr_array_index(rec->photos, i), i + 1, nphotos);

	cairo_destroy(c.cr);
	c.cr = NULL;
	cairo_surface_finish(surf);
	if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "pdf: %s",
		            cairo_status_to_string(cairo_surface_status(surf)));
		goto out;
	}
	if (pages_r)
		*pages_r = c.page - 1;
	out = g_byte_array_free_to_bytes(buf);
	buf = NULL;
out:
	if (c.cr)
		cairo_destroy(c.cr);
	if (surf)
		cairo_surface_destroy(surf);
	if (head)
		g_object_unref(head);
	if (buf)
		g_byte_array_unref(buf);
	g_free(markup);
	g_free(body);
	return out;
}

gboolean pdf_render(const lg_letter_rec *rec, const lg_prisoner *p, const char *path, int *pages_r,
                    GError **err)
{
	gsize len = 0;
	const void *data;
	gboolean ok;
	GBytes *pdf = pdf_render_bytes(rec, p, pages_r, err);

	if (pdf == NULL)
		return FALSE;
	data = g_bytes_get_data(pdf, &len);
	ok = util_write_file_atomic(path, data, len, 0640, err);
	g_bytes_unref(pdf);
	if (!ok && pages_r)
		*pages_r = 0;
	return ok;
}
