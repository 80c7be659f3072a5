/*
 * deliver/pdf.h - the letter as a print-ready PDF for the spool partner.
 *
 * Contract:
 *  - pdf_render() writes an A4 PDF to `path` atomically (temp file, fsync,
 *    rename): a header with the prisoner's full name, birth year and
 *    facility and the writer's name, then the Russian text (rec->text_ru)
 *    wrapped and paginated in DejaVu Serif (covers Cyrillic), signed with
 *    the writer's name; then each photo in rec->photos (lg_photo*, JPEG,
 *    PNG or GIF) on a page of its own, scaled to fit. JPEGs are embedded as
 *    they are (DCTDecode, no re-encoding) and, when 8-bit Huffman-coded
 *    greyscale or YCbCr as policy/photo.c writes them, not decoded either:
 *    only their frame header is read (the photos were validated when the
 *    letter was accepted). Other pictures are decoded. Each page carries
 *    the letter id and its page number in the footer.
 *  - *pages_r (may be NULL) gets the page count.
 *  - p may be NULL (then rec->prisoner is shown). FALSE with *err when the
 *    letter has no text (purged) or the file cannot be written; a photo
 *    that cannot be decoded gets a page saying so instead of failing the
 *    letter.
 *  - pdf_render_bytes() is the same into memory (new GBytes).
 *  - Thread-safe: each call uses its own cairo surface and pango layout.
 */
#ifndef LG_PDF_H
#define LG_PDF_H

#include <glib.h>
#include "store/store.h"

gboolean pdf_render(const lg_letter_rec *rec, const lg_prisoner *p, const char *path, int *pages_r,
                    GError **err);
GBytes *pdf_render_bytes(const lg_letter_rec *rec, const lg_prisoner *p, int *pages_r,
                         GError **err);

#endif
