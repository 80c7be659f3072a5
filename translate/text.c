/*
 * translate/text.c - what is sent to a translator and how it comes back:
 * pieces of a letter, masking of addresses and numbers, splitting within a
 * size limit. See translate_int.h.
 */
#include "translate/translate_int.h"

#include <string.h>

void piece_free(gpointer p)
{
	lg_piece *pc = p;
	if (pc == NULL)
		return;
	g_free(pc->text);
	g_free(pc);
}

static void add_piece(GPtrArray *a, const char *s, gsize len, gboolean tr, int para)
{
	lg_piece *last = a->len ? a->pdata[a->len - 1] : NULL;
	if (len == 0)
		return;
	if (last && !last->translate && !tr) {
		char *t = last->text;
		last->text = g_strdup_printf("%s%.*s", t, (int)len, s);
		g_free(t);
		return;
	}
	lg_piece *pc = g_new0(lg_piece, 1);
	pc->text = g_strndup(s, len);
	pc->translate = tr;
	pc->para = para;
	g_ptr_array_add(a, pc);
}

/* Length of a list marker or quote marker at s ("- ", "1. ", "a) ", "> "),
 * 0 when none. */
static gsize marker_len(const char *s)
{
	const char *p = s;
	if (g_str_has_prefix(p, "\xe2\x80\xa2") || g_str_has_prefix(p, "\xe2\x80\x93") ||
	    g_str_has_prefix(p, "\xe2\x80\x94")) /* • – — */
		p += 3;
	else if (*p == '-' || *p == '*' || *p == '>' || *p == '+')
		while (*p == '-' || *p == '*' || *p == '>' || *p == '+' ||
		       (*p == ' ' && p[1] == '>'))
			p++;
	else if (g_ascii_isdigit(*p)) {
		int n = 0;
		while (g_ascii_isdigit(*p) && n < 3) {
			p++;
			n++;
		}
		if (*p != '.' && *p != ')')
			return 0;
		p++;
	} else if (g_ascii_islower(*p) && p[1] == ')')
		p += 2;
	else
		return 0;
	if (*p != ' ' && *p != '\t')
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	return (gsize)(p - s);
}

static gboolean has_letter(const char *s, gsize len)
{
	for (const char *p = s; p < s + len; p = g_utf8_next_char(p))
		if (g_unichar_isalpha(g_utf8_get_char(p)))
			return TRUE;
	return FALSE;
}

/* Sentence-final or line-final punctuation: the next line starts anew. */
static gboolean ends_line(const char *s, gsize len)
{
	const char *p;
	gunichar c;
	if (len == 0)
		return TRUE;
	p = g_utf8_find_prev_char(s, s + len);
	c = g_utf8_get_char(p);
	return strchr(".!?:;,)\"", (int)(c < 128 ? c : 1)) != NULL || c == 0x2026 /* … */ ||
	       c == 0xbb /* » */ || c == 0x201c || c == 0x201d;
}

GPtrArray *text_pieces(const char *text, int *n_paras_r)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(piece_free);
	GString *unit = g_string_new(NULL);  /* translatable text not yet added */
	GString *trail = g_string_new(NULL); /* what followed it on its line */
	const char *line = text;
	int para = 0;
	gboolean in_para = FALSE, open = FALSE;
	gsize unit_line_len = 0;

#define FLUSH()                                                                                    \
	do {                                                                                       \
		add_piece(a, unit->str, unit->len, TRUE, para);                                    \
		add_piece(a, trail->str, trail->len, FALSE, para);                                 \
		g_string_truncate(unit, 0);                                                        \
		g_string_truncate(trail, 0);                                                       \
		open = FALSE;                                                                      \
	} while (0)

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		const char *eol = nl ? nl + 1 : end;
		const char *p = line, *c_end = end;
		gsize m, clen;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (c_end > p && (c_end[-1] == ' ' || c_end[-1] == '\t' || c_end[-1] == '\r'))
			c_end--;
		if (p == c_end) { /* blank line: the paragraph ends */
			FLUSH();
			if (in_para)
				para++;
			in_para = FALSE;
			add_piece(a, line, (gsize)(eol - line), FALSE, para);
			line = eol;
			continue;
		}
		in_para = TRUE;
		m = marker_len(p);
		clen = (gsize)(c_end - p - m);
		if (!has_letter(p + m, clen)) {
			FLUSH();
			add_piece(a, line, (gsize)(eol - line), FALSE, para);
			line = eol;
			continue;
		}
		/* A soft-wrapped sentence goes on: the line break stays inside
		 * the unit (the translator sees a space). */
		if (open && m == 0 && p == line &&
		    (g_unichar_islower(g_utf8_get_char(p)) || unit_line_len >= 50)) {
			g_string_append_len(unit, trail->str, trail->len);
			g_string_truncate(trail, 0);
		} else {
			FLUSH();
			add_piece(a, line, (gsize)(p + m - line), FALSE, para);
		}
		g_string_append_len(unit, p + m, clen);
		g_string_append_len(trail, c_end, (gsize)(eol - c_end));
		open = nl != NULL && !ends_line(p + m, clen);
		unit_line_len = (gsize)(c_end - p);
		line = eol;
	}
	FLUSH();
#undef FLUSH
	g_string_free(unit, TRUE);
	g_string_free(trail, TRUE);
	if (n_paras_r)
		*n_paras_r = in_para ? para + 1 : para;
	return a;
}

/* ---- masking ----------------------------------------------------------- */

static gpointer mask_re_init(gpointer unused)
{
	(void)unused;
	/* Order matters: URLs and emails before bare domains and numbers. */
	return g_regex_new(
	    "(?:\\b(?:https?|ftp)://|\\bwww\\.)[^\\s<>\"«»]+[^\\s<>\"«».,;:!?)\\]]"
	    "|[A-Za-z0-9._%+\\-]+@[A-Za-z0-9\\-]+(?:\\.[A-Za-z0-9\\-]+)*\\.[A-Za-z]{2,}"
	    "|\\b[A-Za-z0-9\\-]+(?:\\.[A-Za-z0-9\\-]+)*\\.(?:com|org|net|ru|ua|by|su|de|fr|uk|"
	    "eu|io|info|me|рф)\\b(?:/[^\\s<>\"]*[^\\s<>\".,;:!?)])?"
	    "|\\+?\\d(?:[\\d\\s().\\-]*\\d)?",
	    G_REGEX_OPTIMIZE, 0, NULL);
}

static GRegex *mask_regex(void)
{
	static GOnce once = G_ONCE_INIT;
	g_once(&once, mask_re_init, NULL);
	return once.retval;
}

static gsize count_digits(const char *s)
{
	gsize n = 0;
	for (; *s; s++)
		n += g_ascii_isdigit(*s) != 0;
	return n;
}

static gboolean mask_cb(const GMatchInfo *mi, GString *res, gpointer data)
{
	GPtrArray *saved = data;
	char *m = g_match_info_fetch(mi, 0);
	/* A number is masked when it can be a phone number or postal code
	 * (6 digits or more); years and counts go to the translator. */
	if (g_ascii_isdigit(m[0]) || m[0] == '+') {
		if (count_digits(m) < 6) {
			g_string_append(res, m);
			g_free(m);
			return FALSE;
		}
	}
	g_ptr_array_add(saved, m);
	g_string_append_printf(res, "\xe2\x9f\xa6%u\xe2\x9f\xa7", saved->len); /* ⟦n⟧ */
	return FALSE;
}

char *text_mask(const char *text, GPtrArray *saved)
{
	return g_regex_replace_eval(mask_regex(), text, -1, 0, 0, mask_cb, saved, NULL);
}

typedef struct unmask_ctx {
	GPtrArray *saved;
	gboolean *used;
} unmask_ctx;

static gboolean unmask_cb(const GMatchInfo *mi, GString *res, gpointer data)
{
	unmask_ctx *u = data;
	char *num = g_match_info_fetch(mi, 1);
	guint64 n = g_ascii_strtoull(num, NULL, 10);
	g_free(num);
	if (n >= 1 && n <= u->saved->len) {
		g_string_append(res, u->saved->pdata[n - 1]);
		u->used[n - 1] = TRUE;
	} else {
		char *all = g_match_info_fetch(mi, 0);
		g_string_append(res, all);
		g_free(all);
	}
	return FALSE;
}

static gpointer unmask_re_init(gpointer unused)
{
	(void)unused;
	return g_regex_new("\xe2\x9f\xa6\\s*(\\d+)\\s*\xe2\x9f\xa7", G_REGEX_OPTIMIZE, 0, NULL);
}

char *text_unmask(const char *text, GPtrArray *saved)
{
	static GOnce once = G_ONCE_INIT;
	unmask_ctx u = {saved, NULL};
	GString *out;
	char *r;
	if (saved->len == 0)
		return g_strdup(text);
	g_once(&once, unmask_re_init, NULL);
	u.used = g_new0(gboolean, saved->len);
	r = g_regex_replace_eval(once.retval, text, -1, 0, 0, unmask_cb, &u, NULL);
	out = g_string_new(r);
	g_free(r);
	for (guint i = 0; i < saved->len; i++)
		if (!u.used[i])
			g_string_append_printf(out, " (%s)", (char *)saved->pdata[i]);
	g_free(u.used);
	return g_string_free(out, FALSE);
}

/* ---- splitting --------------------------------------------------------- */

/* Splits s at the ends of `sep` (kept on the left piece). */
static GPtrArray *split_keep(const char *s, const char *const *seps)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	const char *start = s, *p = s;
	while (*p) {
		gsize hit = 0;
		for (const char *const *sp = seps; *sp; sp++)
			if (g_str_has_prefix(p, *sp)) {
				hit = strlen(*sp);
				break;
			}
		if (hit) {
			p += hit;
			while (*p == ' ' || *p == '\n')
				p++;
			g_ptr_array_add(a, g_strndup(start, (gsize)(p - start)));
			start = p;
		} else {
			p++;
		}
	}
	if (p > start)
		g_ptr_array_add(a, g_strndup(start, (gsize)(p - start)));
	return a;
}

static void split_level(const char *text, gsize max, int level, GPtrArray *out)
{
	static const char *const lv_para[] = {"\n\n", NULL};
	static const char *const lv_line[] = {"\n", NULL};
	static const char *const lv_sent[] = {". ", "! ", "? ", "\xe2\x80\xa6 ", "; ", NULL};
	static const char *const lv_word[] = {" ", NULL};
	static const char *const *levels[] = {lv_para, lv_line, lv_sent, lv_word};
	GPtrArray *parts;
	GString *cur;
	gsize len = strlen(text);

	if (len <= max) {
		g_ptr_array_add(out, g_strdup(text));
		return;
	}
	if (level >= (int)G_N_ELEMENTS(levels)) {
		/* one word longer than max: cut at a character boundary */
		const char *p = text;
		while (*p) {
			const char *q = p + MIN(max, strlen(p));
			if (*q)
				q = g_utf8_find_prev_char(p, q + 1);
			if (q <= p)
				q = g_utf8_next_char(p);
			g_ptr_array_add(out, g_strndup(p, (gsize)(q - p)));
			p = q;
		}
		return;
	}
	parts = split_keep(text, levels[level]);
	cur = g_string_new(NULL);
	for (guint i = 0; i < parts->len; i++) {
		const char *part = parts->pdata[i];
		gsize plen = strlen(part);
		if (cur->len && cur->len + plen > max) {
			g_ptr_array_add(out, g_strdup(cur->str));
			g_string_truncate(cur, 0);
		}
		if (plen > max)
			split_level(part, max, level + 1, out);
		else
			g_string_append(cur, part);
	}
	if (cur->len)
		g_ptr_array_add(out, g_strdup(cur->str));
	g_string_free(cur, TRUE);
	g_ptr_array_unref(parts);
}

GPtrArray *text_split(const char *text, gsize max_bytes)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	split_level(text, MAX(max_bytes, 8), 0, out);
	return out;
}
