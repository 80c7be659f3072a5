/*
 * parser/text.h - the writer's own words out of a parsed message: HTML to
 * text, format=flowed, quoted history, signatures, disclaimers, forwarded
 * blocks, emoji and Unicode clean-up, length and page estimate.
 *
 * Contract:
 *  - text_extract() returns a new UTF-8 string (NFC, "\n" line ends, at most
 *    one blank line between paragraphs), never NULL; "" when nothing of the
 *    writer's is left. The caller g_free()s it. opts may be NULL (defaults).
 *  - text_html_to_plain() converts one HTML document (html.h layout rules:
 *    paragraphs, line breaks, "– " list items, linearised tables, link text
 *    only, hidden/script/style/comments dropped, entities decoded; quoted
 *    history containers kept as "> " lines), then normalises it like
 *    text_extract() (NFC, spaces, blank lines) without removing quotes,
 *    signatures or emoji. Never NULL; NULL input gives "".
 *  - text_chars() counts Unicode characters; text_pages() estimates printed
 *    pages (at least 1 for non-empty text, 0 for empty).
 *  - No function here fails on bad input: invalid UTF-8 is repaired first.
 *
 * What text_extract() does, in order:
 *  1. Source: msg->plain unless it is empty or a stub pointing to the HTML
 *     ("view this email in your browser", "your client does not support
 *     HTML"...), else msg->html through html.h. If the plain text leaves
 *     nothing of the writer's (e.g. an undetected stub) the HTML is tried.
 *  2. Line ends normalised; format=flowed (RFC 3676, delsp) joined.
 *  3. Characters normalised (text_norm.h): control, zero-width, bidi and
 *     private-use characters removed, odd spaces to " ", NFC.
 *  4. Inline forward split (quote.h). If the writer added nothing, the
 *     letter is the forwarded body; otherwise the writer's text, a line
 *     "* * *" between blank lines, then the forwarded body. Nested forwards
 *     are handled the same way (up to 4 levels).
 *  5. Reply history (quote.h) and signatures, device lines, disclaimers,
 *     footers (sig.h) removed from each part.
 *  6. Emoji (text_emoji.h): opts->emoji "word" (default) replaces common
 *     emoji by a short word in parentheses - Russian words when the
 *     remaining text is mostly Cyrillic, English otherwise, since the
 *     language is not known yet and non-Russian text is translated later -
 *     and removes all others; "remove" removes them all. Never left as
 *     boxes.
 *  7. Layout: lines trimmed, runs of spaces collapsed, at most one blank
 *     line between paragraphs.
 * The subject is not part of the text.
 */
#ifndef LG_TEXT_H
#define LG_TEXT_H

#include <glib.h>
#include "parser/message.h"

typedef struct lg_text_opts {
	int chars_per_page; /* default 2000 */
	const char *emoji;  /* "word" (default, also for NULL) or "remove" */
} lg_text_opts;

char *text_extract(const lg_message *msg, const lg_text_opts *opts);
char *text_html_to_plain(const char *html);
glong text_chars(const char *text);
int text_pages(const char *text, int chars_per_page);

#endif
