/* parser/text.c - see text.h. FIRST VERSION (to be replaced by the letter-text work). */
#include "parser/text.h"

#include <string.h>

char *text_html_to_plain(const char *html)
{
	GString *out = g_string_new(NULL);
	gboolean in_tag = FALSE;
	for (const char *p = html ? html : ""; *p; p++) {
		if (*p == '<')
			in_tag = TRUE;
		else if (*p == '>')
			in_tag = FALSE;
		else if (!in_tag)
			g_string_append_c(out, *p);
	}
	return g_string_free(out, FALSE);
}

char *text_extract(const lg_message *msg, const lg_text_opts *opts)
{
	char *t;
	(void)opts;
	if (msg->plain && *msg->plain)
		t = g_strdup(msg->plain);
	else
		t = text_html_to_plain(msg->html);
	g_strstrip(t);
	return t;
}

glong text_chars(const char *text)
{
	return text ? g_utf8_strlen(text, -1) : 0;
}

int text_pages(const char *text, int chars_per_page)
{
	glong n = text_chars(text);
	if (n == 0)
		return 0;
	if (chars_per_page <= 0)
		chars_per_page = 2000;
	return (int)((n + chars_per_page - 1) / chars_per_page);
}
