/*
 * parser/quote.h - quoted reply history and inline forwards in letter text.
 *
 * Input is "\n"-separated text (normalised by text_norm_chars(); quoted
 * lines start with ">" as produced by text_flowed_decode() or html_to_text()).
 *
 * Contract (returned strings are new, the caller g_free()s them; never NULL):
 *  - quote_split_forward(): looks for an inline forward that comes before
 *    any reply history: a dashed marker ("---------- Forwarded message
 *    ---------" and its equivalents in en, de, fr, es, it, pl, pt, nl, ru,
 *    uk, be...), Apple Mail's "Begin forwarded message:" and equivalents
 *    (also when they open a quoted block), or - when `subject` starts with a
 *    forward prefix (Fw:, Fwd:, WG:, TR:, RV:, I:, Пересл:...) - an Outlook
 *    header block or "-----Original Message-----". Returns the text before
 *    the marker; *forwarded_r is set to the forwarded body (header block
 *    From/Date/Subject/To... removed, the quote levels of the forward
 *    removed), or to NULL when there is no forward (the return value is
 *    then a copy of the whole text). subject may be NULL.
 *  - quote_strip_history(): removes quoted lines ("> ..."), attribution
 *    lines ("On ... wrote:" and its equivalents in en, de, fr, es, it, pl,
 *    pt, nl, ru, uk, be and more; "date, name <addr>:" lines of Yandex,
 *    Mail.ru and Russian Gmail) when quoted text follows them, and cuts
 *    everything from an Outlook "From:/Sent:/To:/Subject:" block, an
 *    "-----Original Message-----" line (and equivalents), or an
 *    unmistakable attribution ("On <date> ... wrote:") followed by unquoted
 *    history. The writer's lines between quotes (interleaved replies) are
 *    kept.
 *  - quote_is_forward_subject(): TRUE when subject starts with a forward
 *    prefix.
 * Thread-safe (the regular expressions are compiled once).
 */
#ifndef LG_QUOTE_H
#define LG_QUOTE_H

#include <glib.h>

char *quote_split_forward(const char *text, const char *subject, char **forwarded_r);
char *quote_strip_history(const char *text);
gboolean quote_is_forward_subject(const char *subject);

#endif
