/*
 * parser/text_norm.h - Unicode and layout normalisation of letter text.
 *
 * Contract (every function returns a new string the caller g_free()s,
 * never NULL; NULL input is treated as ""):
 *  - text_norm_chars(): invalid UTF-8 repaired (bad bytes dropped, NULs
 *    dropped), "\r\n"/"\r", U+2028/U+2029 and U+0085 become "\n", tabs and
 *    every other Unicode space (NBSP, thin, ideographic...) become " ",
 *    control characters (Cc), format characters (Cf: zero-width space and
 *    non-joiner, soft hyphen, BOM, bidi marks and overrides, word joiner),
 *    private-use characters and U+FFFD are removed, except U+200D (zero-width
 *    joiner) which is kept for text_emoji.h to consume. Result is NFC.
 *  - text_norm_layout(): each line trimmed of leading and trailing spaces and
 *    runs of spaces collapsed to one; leading and trailing blank lines
 *    removed; at most one blank line between paragraphs. Stray U+200D and
 *    variation selectors left over are removed. The result has no trailing
 *    newline.
 */
#ifndef LG_TEXT_NORM_H
#define LG_TEXT_NORM_H

#include <glib.h>

char *text_norm_chars(const char *s);
char *text_norm_layout(const char *s);

#endif
