/* parser/text_emoji.c - see text_emoji.h. */
#include "parser/text_emoji.h"

#include <string.h>

typedef struct emoji_word {
	gunichar c;
	const char *en, *ru;
} emoji_word;

#define HEART "heart", "сердце"
#define KISS "kiss", "целую"
#define SMILE "smile", "улыбка"
#define LAUGH "laughing", "смеюсь"
#define SAD "sad", "грустно"
#define HUG "hug", "обнимаю"
#define FLOWERS "flowers", "цветы"

/* Sorted by code point (bsearch). */
static const emoji_word words[] = {
    {0x2600, "sun", "солнце"},
    {0x263A, SMILE},
    {0x2639, SAD},
    {0x2661, HEART},
    {0x2665, HEART},
    {0x270A, "raised fist", "солидарность"},
    {0x2763, HEART},
    {0x2764, HEART},
    {0x1F31E, "sun", "солнце"},
    {0x1F337, FLOWERS},
    {0x1F338, FLOWERS},
    {0x1F339, FLOWERS},
    {0x1F33A, FLOWERS},
    {0x1F33B, FLOWERS},
    {0x1F382, "cake", "торт"},
    {0x1F389, "celebration", "праздник"},
    {0x1F38A, "celebration", "праздник"},
    {0x1F44B, "waving", "привет"},
    {0x1F44D, "thumbs up", "класс"},
    {0x1F44F, "applause", "аплодисменты"},
    {0x1F490, FLOWERS},
    {0x1F493, HEART},
    {0x1F495, HEART},
    {0x1F496, HEART},
    {0x1F497, HEART},
    {0x1F498, HEART},
    {0x1F499, HEART},
    {0x1F49A, HEART},
    {0x1F49B, HEART},
    {0x1F49C, HEART},
    {0x1F49D, HEART},
    {0x1F49E, HEART},
    {0x1F49F, HEART},
    {0x1F4AA, "strength", "держись"},
    {0x1F54A, "dove", "голубь"},
    {0x1F600, SMILE},
    {0x1F601, SMILE},
    {0x1F602, LAUGH},
    {0x1F603, SMILE},
    {0x1F604, SMILE},
    {0x1F605, SMILE},
    {0x1F606, LAUGH},
    {0x1F609, "wink", "подмигиваю"},
    {0x1F60A, SMILE},
    {0x1F60D, HEART},
    {0x1F617, KISS},
    {0x1F618, KISS},
    {0x1F619, KISS},
    {0x1F61A, KISS},
    {0x1F61E, SAD},
    {0x1F622, SAD},
    {0x1F62D, SAD},
    {0x1F641, SAD},
    {0x1F642, SMILE},
    {0x1F64F, "prayer", "молюсь"},
    {0x1F48B, KISS},
    {0x1F91D, "handshake", "рукопожатие"},
    {0x1F917, HUG},
    {0x1F923, LAUGH},
    {0x1F970, HEART},
    {0x1F973, "celebration", "праздник"},
    {0x1F9E1, HEART},
    {0x1F90D, HEART},
    {0x1F90E, HEART},
    {0x1F5A4, HEART},
    {0x1FAC2, HUG},
};

static int word_cmp(const void *a, const void *b)
{
	gunichar x = ((const emoji_word *)a)->c, y = ((const emoji_word *)b)->c;
	return x < y ? -1 : x > y;
}

static GOnce sorted_once = G_ONCE_INIT;
static emoji_word sorted[G_N_ELEMENTS(words)];

static gpointer sort_words(gpointer unused)
{
	memcpy(sorted, words, sizeof words);
	qsort(sorted, G_N_ELEMENTS(sorted), sizeof sorted[0], word_cmp);
	return NULL;
}

static const emoji_word *word_for(gunichar c)
{
	g_once(&sorted_once, sort_words, NULL);
	emoji_word key = {.c = c};
	return bsearch(&key, sorted, G_N_ELEMENTS(sorted), sizeof sorted[0], word_cmp);
}

static const char *ascii_for(gunichar c)
{
	switch (c) {
	case 0x2192:
	case 0x27A1:
	case 0x279C:
	case 0x2794:
	case 0x27F6:
		return "->";
	case 0x2190:
	case 0x2B05:
	case 0x27F5:
		return "<-";
	case 0x21D2:
	case 0x27F9:
		return "=>";
	case 0x2194:
	case 0x27F7:
		return "<->";
	case 0x2713:
	case 0x2714:
	case 0x2611:
	case 0x2705:
		return "+";
	case 0x2717:
	case 0x2718:
	case 0x274C:
	case 0x2716:
		return "x";
	case 0x2605:
	case 0x2606:
	case 0x2B50:
		return "*";
	default:
		return NULL;
	}
}

static gboolean is_modifier(gunichar c)
{
	return (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0x1F3FB && c <= 0x1F3FF) || c == 0x20E3 ||
	       (c >= 0xE0020 && c <= 0xE007F);
}

static gboolean is_regional(gunichar c)
{
	return c >= 0x1F1E6 && c <= 0x1F1FF;
}

gboolean text_emoji_is_pictograph(gunichar c)
{
	if (c >= 0x1F000 && c <= 0x1FAFF)
		return TRUE;
	if ((c >= 0x2190 && c <= 0x21FF) || (c >= 0x2300 && c <= 0x23FF) ||
	    (c >= 0x25A0 && c <= 0x27BF) || (c >= 0x2900 && c <= 0x297F) ||
	    (c >= 0x2B00 && c <= 0x2BFF) || (c >= 0x27F0 && c <= 0x27FF))
		return TRUE;
	if (c == 0x3030 || c == 0x303D || c == 0x3297 || c == 0x3299 || c == 0x2139)
		return TRUE;
	if (c >= 0x1F000)
		return g_unichar_type(c) == G_UNICODE_OTHER_SYMBOL;
	return FALSE;
}

static gboolean mostly_cyrillic(const char *s)
{
	glong cyr = 0, other = 0;
	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (!g_unichar_isalpha(c))
			continue;
		if (g_unichar_get_script(c) == G_UNICODE_SCRIPT_CYRILLIC)
			cyr++;
		else
			other++;
	}
	return cyr > other;
}

char *text_emoji_replace(const char *s, const char *mode)
{
	if (!s)
		return g_strdup("");
	gboolean remove = mode && strcmp(mode, "remove") == 0;
	int ru = -1; /* mostly_cyrillic(s), computed for the first word */
	GString *g = g_string_sized_new(strlen(s));
	const char *last_word = NULL; /* word just written, for "❤️❤️❤️" */
	const char *p = s;
	while (*p) {
		/* Below U+2000 (lead bytes < 0xE2) nothing is an emoji, a
		 * modifier or an arrow: such runs are copied whole. */
		const char *run = p;
		while (*p && (unsigned char)*p < 0xE2) {
			if (*p != ' ')
				last_word = NULL;
			p++;
		}
		if (p > run)
			g_string_append_len(g, run, p - run);
		if (!*p)
			break;
		gunichar c = g_utf8_get_char(p);
		const char *next = g_utf8_next_char(p);
		const char *ascii = ascii_for(c);
		if (ascii) {
			while (*next && is_modifier(g_utf8_get_char(next)))
				next = g_utf8_next_char(next);
			g_string_append(g, ascii);
			last_word = NULL;
			p = next;
			continue;
		}
		if (!text_emoji_is_pictograph(c) && !is_modifier(c) && c != 0x200D) {
			g_string_append_len(g, p, next - p);
			if (c != ' ')
				last_word = NULL;
			p = next;
			continue;
		}
		/* One cluster: base, modifiers, ZWJ chains, flag pairs. */
		gunichar base = is_modifier(c) || c == 0x200D ? 0 : c;
		if (is_regional(c) && *next && is_regional(g_utf8_get_char(next))) {
			base = 0;
			next = g_utf8_next_char(next);
		}
		for (;;) {
			gunichar d = g_utf8_get_char(next);
			if (*next && is_modifier(d)) {
				next = g_utf8_next_char(next);
			} else if (*next && d == 0x200D) {
				next = g_utf8_next_char(next);
				if (*next && text_emoji_is_pictograph(g_utf8_get_char(next)))
					next = g_utf8_next_char(next);
			} else {
				break;
			}
		}
		const emoji_word *w = (!remove && base) ? word_for(base) : NULL;
		if (w) {
			if (ru < 0)
				ru = mostly_cyrillic(s);
			const char *word = ru ? w->ru : w->en;
			if (last_word != word) {
				gunichar prev = g->len ? g_utf8_get_char(g_utf8_find_prev_char(
				                             g->str, g->str + g->len))
				                       : 0;
				if (prev && prev != ' ' && prev != '\n' && prev != '(')
					g_string_append_c(g, ' ');
				g_string_append_printf(g, "(%s)", word);
				if (*next && g_unichar_isalnum(g_utf8_get_char(next)))
					g_string_append_c(g, ' ');
				last_word = word;
			}
		}
		p = next;
	}
	return g_string_free(g, FALSE);
}
