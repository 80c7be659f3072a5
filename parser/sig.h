/*
 * parser/sig.h - signatures, device lines, disclaimers and footers in
 * letter text (after quote.h has removed the reply history).
 *
 * Contract (returned strings are new, the caller g_free()s them; never NULL):
 *  - sig_strip():
 *     * cuts from the signature delimiter "-- " (RFC 3676) to the end; a bare
 *       "--" line (HTML mail loses the space) only when at most 12 lines
 *       follow it;
 *     * removes "Sent from my iPhone / Android / Outlook for iOS / Yahoo
 *       Mail / Mail.ru / Yandex / Proton..." lines wherever they stand, in
 *       en, de, fr, es, it, pl, pt, nl, ru, uk, be, sv, da, no, fi;
 *     * removes "view this email in your browser" lines wherever they stand;
 *     * removes, from the end only, paragraphs that are confidentiality
 *       disclaimers (a "confidential" word and a "recipient/in error"
 *       word, in the same languages), unsubscribe/newsletter footers,
 *       and separator lines ("_____").
 *  - sig_is_stub(): TRUE when a text/plain alternative is empty or is only a
 *    stub pointing to the HTML part ("view this email in your browser",
 *    "your email client does not support HTML", ...), so that the HTML
 *    alternative must be used instead. NULL counts as empty.
 * Thread-safe (the regular expressions are compiled once).
 */
#ifndef LG_SIG_H
#define LG_SIG_H

#include <glib.h>

char *sig_strip(const char *text);
gboolean sig_is_stub(const char *plain);

#endif
