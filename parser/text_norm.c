/* parser/text_norm.c - see text_norm.h. */
#include "parser/text_norm.h"

#include <string.h>

/* Valid UTF-8 copy of s[0..len) with invalid bytes dropped. */
static char *utf8_clean(const char *s, gsize len)
{
	GString *g = g_string_sized_new(len);
	const char *p = s, *end = s + len;
	while (p < end) {
		const char *bad = NULL;
		if (g_utf8_validate(p, end - p, &bad)) {
			g_string_append_len(g, p, end - p);
			break;
		}
		g_string_append_len(g, p, bad - p);
		p = bad + 1;
	}
	return g_string_free(g, FALSE);
}

/*
 * NFC is the identity on text made only of characters that neither combine
 * nor decompose: ASCII and Latin-1, the Cyrillic letters (not the combining
 * marks U+0483..U+0489) and general punctuation. Letters made of those (most
 * letters here) skip g_utf8_normalize(), the costliest step.
 */
static gboolean nfc_unsure(gunichar c)
{
	if (c < 0x300)
		return FALSE;
	if (c >= 0x400 && c <= 0x4FF)
		return c >= 0x483 && c <= 0x489;
	if (c >= 0x2010 && c <= 0x205E)
		return FALSE;
	return TRUE;
}

/* One character of text_norm_chars() that is not printable ASCII or a
 * basic Cyrillic letter: appended to *o as the contract says. Returns the
 * next character. */
static const char *norm_char(const char *p, char **o, gboolean *maybe_not_nfc)
{
	gunichar c = g_utf8_get_char(p);
	const char *next = g_utf8_next_char(p);
	if (c == '\r') {
		if (p[1] != '\n')
			*(*o)++ = '\n';
		return next;
	}
	if (c == '\n' || c == 0x2028 || c == 0x2029 || c == 0x85) {
		*(*o)++ = '\n';
		return next;
	}
	if (c == '\t') {
		*(*o)++ = ' ';
		return next;
	}
	if (c != 0x200D && !(c >= 0xFE00 && c <= 0xFE0F) && !(c >= 0xE0020 && c <= 0xE007F)) {
		GUnicodeType t = g_unichar_type(c);
		if (t == G_UNICODE_SPACE_SEPARATOR) {
			*(*o)++ = ' ';
			return next;
		}
		if (t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT || t == G_UNICODE_PRIVATE_USE ||
		    t == G_UNICODE_SURROGATE || t == G_UNICODE_UNASSIGNED || c == 0xFFFD)
			return next;
		if (nfc_unsure(c))
			*maybe_not_nfc = TRUE;
	} /* else: emoji sequences, kept for text_emoji.h */
	memcpy(*o, p, next - p);
	*o += next - p;
	return next;
}

/*
 * g_utf8_normalize() moves the rest of its buffer down at every composition
 * it makes: quadratic on a long text full of them (3 MB of decoded noise in
 * an HTML part took 17 s). Normalising pieces of at most NFC_CHUNK bytes
 * bounds that, and gives the same text when each piece ends before a
 * character that never composes with what precedes it: an ASCII byte
 * (preferably a newline), else a Cyrillic or CJK letter; a piece with none
 * of those (hostile input only) is cut at a character boundary.
 */
#define NFC_CHUNK 16384

static gboolean safe_split_before(const char *p)
{
	gunichar c;
	if ((guchar)*p < 0x80)
		return TRUE;
	c = g_utf8_get_char_validated(p, -1);
	return c != (gunichar)-1 && c != (gunichar)-2 &&
	       ((c >= 0x400 && c <= 0x4FF) || (c >= 0x4E00 && c <= 0x9FFF));
}

static char *nfc_chunked(const char *s, gsize len)
{
	GString *out;
	gsize at = 0;
	if (len <= NFC_CHUNK)
		return g_utf8_normalize(s, (gssize)len, G_NORMALIZE_NFC);
	out = g_string_sized_new(len + 16);
	while (at < len) {
		gsize end = len;
		char *piece;
		if (len - at > NFC_CHUNK) {
			const char *lo = s + at + NFC_CHUNK / 2, *hi = s + at + NFC_CHUNK, *q;
			const char *nl = NULL, *safe = NULL;
			for (q = g_utf8_find_prev_char(s, hi + 1); q && q > lo;
			     q = g_utf8_find_prev_char(s, q)) {
				if (*q == '\n') {
					nl = q + 1;
					break;
				}
				if (safe == NULL && safe_split_before(q))
					safe = q;
			}
			q = nl ? nl : safe;
			if (q == NULL) /* no safe point: a character boundary */
				q = g_utf8_find_prev_char(s, hi + 1);
			end = (gsize)(q - s);
			if (end <= at)
				end = len;
		}
		piece = g_utf8_normalize(s + at, (gssize)(end - at), G_NORMALIZE_NFC);
		if (piece == NULL) {
			g_string_free(out, TRUE);
			return NULL;
		}
		g_string_append(out, piece);
		g_free(piece);
		at = end;
	}
	return g_string_free(out, FALSE);
}

char *text_norm_chars(const char *s)
{
	if (!s)
		return g_strdup("");
	gsize len = strlen(s);
	char *clean = NULL, *out = NULL, *o;
	gboolean maybe_not_nfc;
	const char *p, *run;
	/* One pass that also validates: printable ASCII and U+0400..U+047F
	 * (no combining marks) are kept as they are, copied in runs, and every
	 * other character is checked before norm_char() reads it. At the first
	 * invalid sequence the text is repaired (utf8_clean) and read again. */
again:
	g_free(out);
	/* Every rule keeps or shortens a character: len bytes are enough. */
	out = g_malloc(len + 1);
	o = out;
	maybe_not_nfc = FALSE;
	p = run = s;
	while (*p) {
		unsigned char b = (unsigned char)*p;
		if (b >= 0x20 && b < 0x7F) {
			p++;
			continue;
		}
		if ((b == 0xD0 || b == 0xD1) && ((unsigned char)p[1] & 0xC0) == 0x80) {
			p += 2;
			continue;
		}
		if (b >= 0x80 && clean == NULL) {
			gunichar c = g_utf8_get_char_validated(p, (gssize)(len - (gsize)(p - s)));
			if (c == (gunichar)-1 || c == (gunichar)-2) {
				clean = utf8_clean(s, len);
				s = clean;
				len = strlen(s);
				goto again;
			}
		}
		memcpy(o, run, p - run);
		o += p - run;
		p = norm_char(p, &o, &maybe_not_nfc);
		run = p;
	}
	memcpy(o, run, p - run);
	o += p - run;
	*o = '\0';
	g_free(clean);
	if (!maybe_not_nfc)
		return out;
	char *nfc = nfc_chunked(out, (gsize)(o - out));
	if (!nfc)
		return out;
	g_free(out);
	return nfc;
}

/* Length of the UTF-8 character at p, 1 for a stray byte (never past a
 * NUL). */
static gsize char_len(const char *p)
{
	gsize n = g_utf8_skip[(unsigned char)*p];
	for (gsize i = 1; i < n; i++)
		if (((unsigned char)p[i] & 0xC0) != 0x80)
			return 1;
	return n;
}

/* Bytes that end a run text_norm_layout() copies as it is: the end, a line
 * break, a space, and the first bytes of the invisible characters it drops
 * (U+200D, U+FE00..FE0F, U+E0020..E007F). */
static const guint8 layout_stop[256] = {
    ['\0'] = 1, ['\n'] = 1, [' '] = 1, [0xE2] = 1, [0xEF] = 1, [0xF3] = 1,
};

char *text_norm_layout(const char *s)
{
	if (!s)
		return g_strdup("");
	/* Output never exceeds the input: spaces and blank lines only shrink. */
	char *out = g_malloc(strlen(s) + 1), *o = out;
	int blank = 0; /* blank lines seen since the last text line */
	gboolean any = FALSE;
	const char *p = s;
	while (*p) {
		gboolean space = FALSE, text = FALSE;
		while (*p && *p != '\n') {
			unsigned char b = (unsigned char)*p;
			gsize n;
			if (b == ' ') {
				space = text;
				p++;
				continue;
			}
			if (layout_stop[b]) {
				/* E2, EF or F3: one character, maybe dropped */
				n = char_len(p);
				gunichar c = g_utf8_get_char(p);
				if (c == 0x200D || (c >= 0xFE00 && c <= 0xFE0F) ||
				    (c >= 0xE0020 && c <= 0xE007F)) {
					p += n;
					continue;
				}
			} else {
				/* a run of bytes kept as they are */
				const char *q = p + 1;
				while (!layout_stop[(unsigned char)*q])
					q++;
				n = (gsize)(q - p);
			}
			if (!text) {
				if (any) {
					*o++ = '\n';
					if (blank > 0)
						*o++ = '\n';
				}
				any = TRUE;
				blank = 0;
				text = TRUE;
			} else if (space) {
				*o++ = ' ';
			}
			space = FALSE;
			memcpy(o, p, n);
			o += n;
			p += n;
		}
		if (!text)
			blank++;
		if (*p)
			p++;
	}
	*o = '\0';
	return out;
}
