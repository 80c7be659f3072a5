/* parser/text.c - the letter text pipeline. See text.h. */
#include "parser/text.h"

#include <string.h>

#include "parser/html.h"
#include "parser/quote.h"
#include "parser/sig.h"
#include "parser/text_emoji.h"
#include "parser/text_flowed.h"
#include "parser/text_norm.h"

#define FORWARD_DEPTH 4
#define FORWARD_SEPARATOR "\n\n* * *\n\n"

char *text_html_to_plain(const char *html)
{
	char *raw = html_to_text(html);
	char *norm = text_norm_chars(raw);
	char *out = text_norm_layout(norm);
	g_free(raw);
	g_free(norm);
	return out;
}

/* The writer's words in one normalised text: forward split, history,
 * signatures. Returns laid-out text, "" when nothing is left. */
static char *letter_from(const char *text, const char *subject, int depth)
{
	char *fwd = NULL;
	char *writer = quote_split_forward(text, subject, &fwd);
	char *hist = quote_strip_history(writer);
	char *sig = sig_strip(hist);
	char *out = text_norm_layout(sig);
	g_free(writer);
	g_free(hist);
	g_free(sig);
	if (fwd) {
		char *f = depth < FORWARD_DEPTH ? letter_from(fwd, NULL, depth + 1)
		                                : text_norm_layout(fwd);
		if (!*out) {
			g_free(out);
			out = f;
		} else {
			if (*f) {
				char *both = g_strconcat(out, FORWARD_SEPARATOR, f, NULL);
				g_free(out);
				out = both;
			}
			g_free(f);
		}
		g_free(fwd);
	}
	return out;
}

static char *from_source(const char *norm, const lg_message *msg, const char *emoji)
{
	char *letter = letter_from(norm, msg->subject, 0);
	char *em = text_emoji_replace(letter, emoji);
	/* letter is laid out already and layout is idempotent: only a text
	 * the emoji step changed needs it again. */
	if (strcmp(em, letter) == 0) {
		g_free(em);
		return letter;
	}
	char *out = text_norm_layout(em);
	g_free(letter);
	g_free(em);
	return out;
}

char *text_extract(const lg_message *msg, const lg_text_opts *opts)
{
	const char *emoji = opts && opts->emoji ? opts->emoji : "word";
	char *out = NULL;
	if (!msg)
		return g_strdup("");
	if (!sig_is_stub(msg->plain)) {
		char *eol = text_eol_normalize(msg->plain);
		if (msg->plain_flowed) {
			char *fl = text_flowed_decode(eol, msg->plain_delsp);
			g_free(eol);
			eol = fl;
		}
		char *norm = text_norm_chars(eol);
		out = from_source(norm, msg, emoji);
		g_free(eol);
		g_free(norm);
	}
	if ((!out || !*out) && msg->html && *msg->html) {
		char *raw = html_to_text(msg->html);
		char *norm = text_norm_chars(raw);
		g_free(out);
		out = from_source(norm, msg, emoji);
		g_free(raw);
		g_free(norm);
	}
	return out ? out : g_strdup("");
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
