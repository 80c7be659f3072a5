/*
 * parser/charset.h - the bytes of a text part to UTF-8, whatever charset the
 * part declares, declares wrongly or leaves out.
 *
 * Writers' mail clients get charsets wrong in a few well-known ways, and a
 * letter that reaches a prisoner as mojibake is as lost as one refused:
 *  - UTF-8 labelled as a legacy charset ("windows-1251", "iso-8859-1"): the
 *    bytes are valid UTF-8 with multibyte characters, which text in a legacy
 *    charset practically never is. Decoded as UTF-8.
 *  - No charset (or "us-ascii", or "utf-8") on 8-bit text that is not UTF-8:
 *    old Russian clients send windows-1251 or KOI8-R unlabelled, and now
 *    and then Greek, Hebrew, Arabic, Chinese, Japanese or Korean. When
 *    non-ASCII bytes make at least 60% of the letters of the words holding
 *    them, the text is in one of those (parser/charset_guess.h says how
 *    one is chosen); fewer (accents in Latin words: "Grüße", "José") are
 *    windows-1252.
 *    The same guess reads a From or Subject header sent as raw 8-bit bytes
 *    (parser/message.c). UTF-8 with a few damaged
 *    bytes (more valid multibyte characters than bad bytes) stays UTF-8.
 *  - No charset on 7-bit ISO-2022-JP or ISO-2022-KR text (their escape
 *    sequences say so).
 *  - HTML without a MIME charset: its <meta> charset (charset_sniff_html()).
 *  - A declared charset iconv does not know: treated as none.
 *  - Bytes invalid in the declared charset become U+FFFD one at a time and
 *    the rest of the text is still decoded (iconv alone gives up on the
 *    whole part).
 *
 * Contract:
 *  - charset_to_utf8() never fails: it returns a new NUL-terminated, valid
 *    UTF-8 string without NUL bytes (the caller frees it); a final multibyte
 *    sequence cut by a length bound is dropped. *used_r (when not NULL) is
 *    set to the charset the bytes were read as: a static string or the
 *    iconv name GMime gives, valid while the process runs.
 *  - charset_sniff_html() returns the charset an HTML document's <meta>
 *    declares within its first 2 KB as a new string, or NULL.
 */
#ifndef LG_CHARSET_H
#define LG_CHARSET_H

#include <glib.h>

char *charset_to_utf8(const char *data, gsize len, const char *declared, const char **used_r);
char *charset_sniff_html(const char *data, gsize len);

#endif
