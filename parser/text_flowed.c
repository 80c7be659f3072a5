/* parser/text_flowed.c - see text_flowed.h. */
#include "parser/text_flowed.h"

#include <string.h>

char *text_eol_normalize(const char *s)
{
	if (!s)
		return g_strdup("");
	const char *cr = strchr(s, '\r');
	if (!cr)
		return g_strdup(s);
	gsize len = strlen(s);
	GString *g = g_string_sized_new(len);
	const char *p = s;
	/* Copy the runs between carriage returns whole. */
	while (cr) {
		g_string_append_len(g, p, cr - p);
		g_string_append_c(g, '\n');
		p = cr[1] == '\n' ? cr + 2 : cr + 1;
		cr = strchr(p, '\r');
	}
	g_string_append(g, p);
	return g_string_free(g, FALSE);
}

static void flush_para(GString *out, GString *para, int depth, gboolean *open)
{
	if (!*open)
		return;
	for (int i = 0; i < depth; i++)
		g_string_append_c(out, '>');
	if (depth > 0)
		g_string_append_c(out, ' ');
	g_string_append_len(out, para->str, para->len);
	g_string_append_c(out, '\n');
	g_string_truncate(para, 0);
	*open = FALSE;
}

char *text_flowed_decode(const char *s, gboolean delsp)
{
	if (!s)
		return g_strdup("");
	GString *out = g_string_sized_new(strlen(s));
	GString *para = g_string_new(NULL);
	gboolean open = FALSE; /* para holds a flowed line waiting for its continuation */
	int para_depth = 0;
	const char *p = s;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		const char *line = p;
		p = eol ? eol + 1 : p + len;

		int depth = 0;
		while (len > 0 && *line == '>') {
			depth++;
			line++;
			len--;
		}
		if (len > 0 && *line == ' ')
			line++, len--; /* space-stuffing, or the space after the quote marks */
		gboolean sig = (len == 3 && memcmp(line, "-- ", 3) == 0);
		gboolean soft = !sig && len > 0 && line[len - 1] == ' ';

		/* A soft break before an empty line would swallow the paragraph
		 * break; senders who leave a space before a blank line mean one. */
		if (open && (depth != para_depth || len == 0))
			flush_para(out, para, para_depth, &open);
		para_depth = depth;
		if (sig) {
			flush_para(out, para, para_depth, &open);
			open = TRUE;
			g_string_append_len(para, line, len);
			flush_para(out, para, depth, &open);
			continue;
		}
		open = TRUE;
		if (soft && delsp)
			g_string_append_len(para, line, len - 1);
		else
			g_string_append_len(para, line, len);
		if (!soft)
			flush_para(out, para, depth, &open);
	}
	flush_para(out, para, para_depth, &open);
	g_string_free(para, TRUE);
	return g_string_free(out, FALSE);
}
