/* store/translit.c - see translit.h. */
#include "store/translit.h"

#include <string.h>

typedef struct {
	gunichar c;
	const char *out[3]; /* primary, icao, simple */
} map_row;

static const map_row table[] = {
    {0x430, {"a", "a", "a"}},
    {0x431, {"b", "b", "b"}},
    {0x432, {"v", "v", "v"}},
    {0x433, {"g", "g", "g"}},
    {0x434, {"d", "d", "d"}},
    {0x435, {"e", "e", "e"}},
    {0x451, {"e", "e", "jo"}},
    {0x436, {"zh", "zh", "zh"}},
    {0x437, {"z", "z", "z"}},
    {0x438, {"i", "i", "i"}},
    {0x439, {"y", "i", "j"}},
    {0x43a, {"k", "k", "k"}},
    {0x43b, {"l", "l", "l"}},
    {0x43c, {"m", "m", "m"}},
    {0x43d, {"n", "n", "n"}},
    {0x43e, {"o", "o", "o"}},
    {0x43f, {"p", "p", "p"}},
    {0x440, {"r", "r", "r"}},
    {0x441, {"s", "s", "s"}},
    {0x442, {"t", "t", "t"}},
    {0x443, {"u", "u", "u"}},
    {0x444, {"f", "f", "f"}},
    {0x445, {"kh", "kh", "h"}},
    {0x446, {"ts", "ts", "c"}},
    {0x447, {"ch", "ch", "ch"}},
    {0x448, {"sh", "sh", "sh"}},
    {0x449, {"shch", "shch", "sch"}},
    {0x44a, {"", "ie", ""}},
    {0x44b, {"y", "y", "y"}},
    {0x44c, {"", "", ""}},
    {0x44d, {"e", "e", "e"}},
    {0x44e, {"yu", "iu", "ju"}},
    {0x44f, {"ya", "ia", "ja"}},
    /* Ukrainian and Belarusian letters that turn up in names */
    {0x456, {"i", "i", "i"}},
    {0x457, {"yi", "i", "ji"}},
    {0x454, {"ye", "ie", "je"}},
    {0x491, {"g", "g", "g"}},
    {0x45e, {"u", "u", "u"}},
};

static const char *lookup(gunichar c, translit_scheme scheme)
{
	for (size_t i = 0; i < G_N_ELEMENTS(table); i++)
		if (table[i].c == c)
			return table[i].out[scheme];
	return NULL;
}

char *translit_text(const char *utf8, translit_scheme scheme)
{
	GString *out = g_string_new(NULL);
	char *low = g_utf8_strdown(utf8 ? utf8 : "", -1);
	for (const char *p = low; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		const char *m;
		if (c < 0x80) {
			if (g_ascii_isalnum((char)c) || c == '-')
				g_string_append_c(out, (char)c);
			else if (c == ' ' || c == '.' || c == '_')
				g_string_append_c(out, ' ');
			continue;
		}
		m = lookup(c, scheme);
		if (m)
			g_string_append(out, m);
	}
	g_free(low);
	return g_string_free(out, FALSE);
}

/* Lower case, ё -> е, only letters, digits and inner hyphens kept. */
static char *cyrillic_word(const char *w)
{
	GString *out = g_string_new(NULL);
	char *low = g_utf8_strdown(w, -1);
	for (const char *p = low; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c == 0x451)
			c = 0x435;
		if (g_unichar_isalnum(c) || c == '-')
			g_string_append_unichar(out, c);
	}
	g_free(low);
	return g_string_free(out, FALSE);
}

static char *trim_hyphens(char *s)
{
	size_t n;
	while (*s == '-')
		memmove(s, s + 1, strlen(s));
	n = strlen(s);
	while (n > 0 && s[n - 1] == '-')
		s[--n] = '\0';
	return s;
}

char *translit_alias(const char *full_name, translit_scheme scheme, gboolean cyrillic)
{
	char **words = g_strsplit_set(full_name ? full_name : "", " \t,", -1);
	GPtrArray *kept = g_ptr_array_new_with_free_func(g_free);
	char *out = NULL;
	for (char **w = words; *w; w++) {
		char *t = cyrillic ? cyrillic_word(*w) : translit_text(*w, scheme);
		/* translit_text turns inner dots into spaces: squeeze them out */
		char *sq = g_strdelimit(t, " ", '-');
		trim_hyphens(sq);
		if (*sq)
			g_ptr_array_add(kept, sq);
		else
			g_free(sq);
	}
	if (kept->len == 1)
		out = g_strdup(g_ptr_array_index(kept, 0));
	else if (kept->len >= 2)
		out = g_strdup_printf("%s.%s", (char *)g_ptr_array_index(kept, 1),
		                      (char *)g_ptr_array_index(kept, 0));
	if (out && strlen(out) > 64)
		out[64] = '\0';
	if (out)
		trim_hyphens(out);
	if (out && *out == '\0')
		g_clear_pointer(&out, g_free);
	g_ptr_array_unref(kept);
	g_strfreev(words);
	return out;
}

static void add_unique(GPtrArray *a, char *s)
{
	if (s == NULL)
		return;
	for (guint i = 0; i < a->len; i++)
		if (!strcmp(g_ptr_array_index(a, i), s)) {
			g_free(s);
			return;
		}
	g_ptr_array_add(a, s);
}

GPtrArray *translit_alias_variants(const char *full_name)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	add_unique(a, translit_alias(full_name, TRANSLIT_PRIMARY, FALSE));
	add_unique(a, translit_alias(full_name, TRANSLIT_ICAO, FALSE));
	add_unique(a, translit_alias(full_name, TRANSLIT_SIMPLE, FALSE));
	add_unique(a, translit_alias(full_name, TRANSLIT_PRIMARY, TRUE));
	return a;
}

char *translit_alias_key(const char *local)
{
	char *nfc, *low, *out;
	GString *g;
	if (local == NULL)
		local = "";
	/* ASCII, as most addresses are: NFC leaves it as it is, and lower case
	 * is the ASCII one (the daemon runs in the C locale) */
	const char *a = local;
	while (*a && (guchar)*a < 0x80)
		a++;
	if (*a == '\0')
		return g_strstrip(g_ascii_strdown(local, -1));
	nfc = g_utf8_normalize(local, -1, G_NORMALIZE_NFC);
	if (nfc == NULL)
		nfc = g_strdup("");
	low = g_utf8_strdown(g_strstrip(nfc), -1);
	g = g_string_new(NULL);
	for (const char *p = low; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		g_string_append_unichar(g, c == 0x451 ? 0x435 : c);
	}
	out = g_string_free(g, FALSE);
	g_free(low);
	g_free(nfc);
	return out;
}

gboolean translit_extra_alias_valid(const char *a)
{
	size_t n = a ? strlen(a) : 0;
	if (n == 0 || n > 64 || !g_utf8_validate(a, -1, NULL))
		return FALSE;
	if (!g_unichar_isalnum(g_utf8_get_char(a)))
		return FALSE;
	for (const char *p = a; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c == '.' || c == '_' || c == '-')
			continue;
		if (!g_unichar_isalnum(c) || g_unichar_isupper(c))
			return FALSE;
	}
	return TRUE;
}
