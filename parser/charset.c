/*
 * parser/charset.c - text part bytes to UTF-8 despite missing or wrong
 * charset labels (see charset.h for the cases and why).
 */
#include "parser/charset.h"

#include <errno.h>
#include <string.h>

#include <gmime/gmime.h>

#include "common/util.h"
#include "parser/charset_guess.h"

#define REPLACEMENT "\xEF\xBF\xBD"
#define SNIFF_BYTES 2048

/* Labels that promise UTF-8 or plain ASCII: checked against the bytes. */
static gboolean names_utf8(const char *cs)
{
	static const char *const names[] = {
	    "utf-8",          "utf8",      "us-ascii",         "ascii",
	    "ansi_x3.4-1968", "iso646-us", "unicode-1-1-utf-8"};
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (g_ascii_strcasecmp(cs, names[i]) == 0)
			return TRUE;
	return FALSE;
}

/* Charsets whose text is made of NULs and ASCII-range bytes: valid UTF-8
 * proves nothing about them. */
static gboolean names_wide(const char *cs)
{
	static const char *const prefixes[] = {"utf-16", "utf16", "utf-32", "utf32",
	                                       "ucs-2",  "ucs2",  "ucs-4",  "ucs4"};
	for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++)
		if (g_ascii_strncasecmp(cs, prefixes[i], strlen(prefixes[i])) == 0)
			return TRUE;
	return g_ascii_strcasecmp(cs, "unicode") == 0;
}

/* Valid multibyte UTF-8 characters and bytes that are not UTF-8; a sequence
 * cut at the very end (a length bound) counts as neither after valid
 * multibyte characters, as a bad byte when there are none. */
static void utf8_shape(const guchar *p, gsize len, gsize *multi_r, gsize *bad_r)
{
	gsize i = 0, multi = 0, bad = 0;
	while (i < len) {
		gunichar c;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		c = g_utf8_get_char_validated((const char *)p + i, (gssize)(len - i));
		if (c == (gunichar)-2) {
			/* a character cut by a length bound, if the text is UTF-8 at
			 * all; else a legacy byte */
			bad += multi == 0 ? 1 : 0;
			break;
		}
		if (c == (gunichar)-1) {
			bad++;
			i++;
			continue;
		}
		multi++;
		i += (gsize)g_utf8_skip[p[i]];
	}
	*multi_r = multi;
	*bad_r = bad;
}

/* 7-bit text with ISO-2022 designations: the charset they belong to. */
static const char *iso2022_of(const guchar *p, gsize len)
{
	gboolean jp = FALSE, kr = FALSE;
	for (gsize i = 0; i < len; i++) {
		if (p[i] >= 0x80)
			return NULL;
		if (p[i] != 0x1b || i + 2 >= len)
			continue;
		if (p[i + 1] == '$' && (p[i + 2] == 'B' || p[i + 2] == '@' ||
		                        (p[i + 2] == '(' && i + 3 < len && p[i + 3] == 'D')))
			jp = TRUE;
		else if (p[i + 1] == '$' && p[i + 2] == ')' && i + 3 < len && p[i + 3] == 'C')
			kr = TRUE;
	}
	return jp ? "ISO-2022-JP" : kr ? "ISO-2022-KR" : NULL;
}

/* iconv that replaces each byte it cannot read and goes on; NULL when iconv
 * does not know the charset. */
static char *convert_lenient(const char *data, gsize len, const char *from)
{
	GIConv cd = g_iconv_open("UTF-8", from);
	GString *out;
	gchar *in = (gchar *)data;
	gsize inleft = len;
	char buf[4096];
	gchar *o;
	gsize oleft;
	char *res;

	if (cd == (GIConv)-1)
		return NULL;
	out = g_string_sized_new(len + len / 2 + 16);
	while (inleft > 0) {
		gsize r;
		o = buf;
		oleft = sizeof buf;
		r = g_iconv(cd, &in, &inleft, &o, &oleft);
		g_string_append_len(out, buf, (gssize)(o - buf));
		if (r != (gsize)-1)
			continue;
		if (errno == E2BIG)
			continue;
		if (errno != EILSEQ)
			break; /* EINVAL: a sequence cut at the end by a length bound */
		g_string_append(out, REPLACEMENT);
		in++;
		inleft--;
	}
	o = buf;
	oleft = sizeof buf;
	if (g_iconv(cd, NULL, NULL, &o, &oleft) != (gsize)-1) /* back to the initial shift state */
		g_string_append_len(out, buf, (gssize)(o - buf));
	g_iconv_close(cd);
	res = util_utf8_repair(out->str, (gssize)out->len);
	g_string_free(out, TRUE);
	return res;
}

/* Bytes that claim (or are found) to be UTF-8: a sequence cut at the end is
 * dropped, bad bytes become U+FFFD, NULs go. */
static char *as_utf8(const char *data, gsize len)
{
	gsize end = len, s = len;
	/* the last character's first byte, at most three continuation bytes back */
	while (s > 0 && len - s < 4 && ((guchar)data[s - 1] & 0xC0) == 0x80)
		s--;
	if (s > 0 && (guchar)data[s - 1] >= 0xC0 &&
	    g_utf8_get_char_validated(data + s - 1, (gssize)(len - s + 1)) == (gunichar)-2)
		end = s - 1; /* cut by a length bound: dropped */
	return util_utf8_repair(data, (gssize)end);
}

char *charset_to_utf8(const char *data, gsize len, const char *declared, const char **used_r)
{
	const guchar *p = (const guchar *)(data ? data : "");
	const char *used = "UTF-8";
	gsize multi = 0, bad = 0;
	char *out = NULL;

	if (data == NULL)
		len = 0;
	if (declared && *declared && !names_utf8(declared)) {
		const char *iconv_name = g_mime_charset_iconv_name(declared);
		/* UTF-8 under a legacy label: valid multibyte characters, which text
		 * in any legacy charset practically never is */
		utf8_shape(p, len, &multi, &bad);
		if (!names_wide(declared) && bad == 0 && multi > 0) {
			out = as_utf8((const char *)p, len);
			goto done;
		}
		if (iconv_name) {
			out = convert_lenient((const char *)p, len, iconv_name);
			used = iconv_name;
			if (out)
				goto done;
		}
		/* a charset iconv does not know: as if none were declared */
	}
	/* the common case, first and cheaply: valid UTF-8 (7-bit text may still
	 * be ISO-2022, whose escapes are plain bytes) */
	if (multi == 0 && bad == 0 && g_utf8_validate((const char *)p, (gssize)len, NULL) &&
	    memchr(p, 0x1b, len) == NULL) {
		/* validated with a length: no NUL, no bad or cut character */
		out = g_strndup((const char *)p, len);
		goto done;
	}
	used = iso2022_of(p, len);
	if (used) {
		out = convert_lenient((const char *)p, len, used);
		if (out)
			goto done;
	}
	used = "UTF-8";
	if (multi == 0 && bad == 0)
		utf8_shape(p, len, &multi, &bad);
	if (bad == 0 || multi >= bad) { /* UTF-8, perhaps with a few damaged bytes */
		out = as_utf8((const char *)p, len);
		goto done;
	}
	used = charset_guess_legacy(p, len);
	out = convert_lenient((const char *)p, len, used);
	if (out == NULL) { /* no iconv for it on this system */
		used = "UTF-8";
		out = as_utf8((const char *)p, len);
	}
done:
	if (used_r)
		*used_r = used;
	return out;
}

char *charset_sniff_html(const char *data, gsize len)
{
	gsize n = MIN(len, (gsize)SNIFF_BYTES);
	if (data == NULL)
		return NULL;
	for (gsize i = 0; i + 7 < n; i++) {
		gsize j, start, lt;
		if (g_ascii_strncasecmp(data + i, "charset", 7) != 0)
			continue;
		/* inside a <meta ...> tag */
		for (lt = i; lt > 0 && data[lt] != '<' && data[lt] != '>'; lt--)
			;
		if (data[lt] != '<' || i - lt < 5 ||
		    g_ascii_strncasecmp(data + lt, "<meta", 5) != 0)
			continue;
		j = i + 7;
		while (j < n && g_ascii_isspace(data[j]))
			j++;
		if (j >= n || data[j] != '=')
			continue;
		j++;
		while (j < n && (g_ascii_isspace(data[j]) || data[j] == '"' || data[j] == '\''))
			j++;
		start = j;
		while (j < n && (g_ascii_isalnum(data[j]) || strchr("-_.:", data[j]) != NULL) &&
		       data[j] != '\0')
			j++;
		if (j > start && j - start < 40)
			return g_strndup(data + start, j - start);
	}
	return NULL;
}
