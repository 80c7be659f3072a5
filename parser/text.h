/*
 * parser/text.h - the writer's own words out of a parsed message: HTML to
 * text, format=flowed, quoted history, signatures, disclaimers, forwarded
 * blocks, emoji and Unicode clean-up, length and page estimate.
 *
 * Contract:
 *  - text_extract() returns a new UTF-8 string (NFC, "\n" line ends, at most
 *    one blank line between paragraphs), never NULL; "" when nothing of the
 *    writer's is left. The caller g_free()s it.
 *  - text_html_to_plain() converts one HTML document; never NULL.
 *  - text_chars() counts Unicode characters; text_pages() estimates printed
 *    pages (at least 1 for non-empty text, 0 for empty).
 *  - No function here fails on bad input: invalid UTF-8 is repaired first.
 */
#ifndef LG_TEXT_H
#define LG_TEXT_H

#include <glib.h>
#include "parser/message.h"

typedef struct lg_text_opts {
	int chars_per_page; /* default 2000 */
	const char *emoji;  /* "word" or "remove" */
} lg_text_opts;

char *text_extract(const lg_message *msg, const lg_text_opts *opts);
char *text_html_to_plain(const char *html);
glong text_chars(const char *text);
int text_pages(const char *text, int chars_per_page);

#endif
