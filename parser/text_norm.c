/* parser/text_norm.c - see text_norm.h. */
#include "parser/text_norm.h"

#include <string.h>

/* Valid UTF-8 copy with invalid bytes and NULs dropped. */
static char *utf8_clean(const char *s)
{
	gsize len = strlen(s);
	if (g_utf8_validate(s, (gssize)len, NULL))
		return g_strdup(s);
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

char *text_norm_chars(const char *s)
{
	if (!s)
		return g_strdup("");
	char *clean = utf8_clean(s);
	GString *g = g_string_sized_new(strlen(clean));
	gboolean maybe_not_nfc = FALSE;
	for (const char *p = clean; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c == '\r') {
			if (p[1] != '\n')
				g_string_append_c(g, '\n');
			continue;
		}
		if (c == '\n' || c == 0x2028 || c == 0x2029 || c == 0x85) {
			g_string_append_c(g, '\n');
			continue;
		}
		if (c == '\t') {
			g_string_append_c(g, ' ');
			continue;
		}
		if (c == 0x200D || (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xE0020 && c <= 0xE007F)) {
			g_string_append_unichar(g, c); /* emoji sequences: text_emoji.h */
			continue;
		}
		GUnicodeType t = g_unichar_type(c);
		if (t == G_UNICODE_SPACE_SEPARATOR) {
			g_string_append_c(g, ' ');
			continue;
		}
		if (t == G_UNICODE_CONTROL || t == G_UNICODE_FORMAT || t == G_UNICODE_PRIVATE_USE ||
		    t == G_UNICODE_SURROGATE || t == G_UNICODE_UNASSIGNED || c == 0xFFFD)
			continue;
		if (!maybe_not_nfc && nfc_unsure(c))
			maybe_not_nfc = TRUE;
		g_string_append_len(g, p, g_utf8_next_char(p) - p);
	}
	g_free(clean);
	if (!maybe_not_nfc)
		return g_string_free(g, FALSE);
	char *nfc = g_utf8_normalize(g->str, (gssize)g->len, G_NORMALIZE_NFC);
	if (!nfc)
		nfc = g_strdup(g->str);
	g_string_free(g, TRUE);
	return nfc;
}

char *text_norm_layout(const char *s)
{
	if (!s)
		return g_strdup("");
	GString *g = g_string_sized_new(strlen(s));
	int blank = 0; /* blank lines seen since the last text line */
	gboolean any = FALSE;
	const char *p = s;
	while (*p) {
		const char *eol = strchr(p, '\n');
		const char *end = eol ? eol : p + strlen(p);
		GString *line = g_string_new(NULL);
		gboolean space = FALSE;
		for (const char *q = p; q < end; q = g_utf8_next_char(q)) {
			gunichar c = g_utf8_get_char(q);
			if (c == 0x200D || (c >= 0xFE00 && c <= 0xFE0F) ||
			    (c >= 0xE0020 && c <= 0xE007F))
				continue;
			if (c == ' ') {
				space = line->len > 0;
				continue;
			}
			if (space)
				g_string_append_c(line, ' ');
			space = FALSE;
			g_string_append_unichar(line, c);
		}
		if (line->len == 0) {
			blank++;
		} else {
			if (any)
				g_string_append(g, blank > 0 ? "\n\n" : "\n");
			g_string_append_len(g, line->str, line->len);
			any = TRUE;
			blank = 0;
		}
		g_string_free(line, TRUE);
		p = eol ? eol + 1 : end;
	}
	return g_string_free(g, FALSE);
}
