/*
 * translate/translate.c - the translator: language of each paragraph,
 * routes, cache, backends. See translate.h (contract) and translate_int.h.
 */
#include "translate/translate.h"

#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "store/store.h"
#include "translate/translate_int.h"

#define TR_UNIT_MAX 3000     /* bytes of one unit sent to a translator */
#define TR_SHORT_LETTERS 200 /* below this, an unidentified letter is "short" */

typedef enum { SHORT_RUSSIAN, SHORT_HOLD, SHORT_UNKNOWN } short_policy;

struct lg_translator {
	lg_store *store;
	lg_langid *lid;
	lg_routes *routes;
	lg_backend *bk[LG_BK_COUNT]; /* NULL when not configured */
	short_policy short_text;
	int short_chars;
};

static gboolean set(const char *s)
{
	return s && *s;
}

lg_translator *translate_new(const lg_config *cfg, struct lg_store *store, GError **err)
{
	lg_translator *t = g_new0(lg_translator, 1);
	char *key = NULL;
	gboolean ok = FALSE;

	t->store = store;
	t->short_chars = cfg->short_text_chars;
	if (!g_strcmp0(cfg->short_text, "russian"))
		t->short_text = SHORT_RUSSIAN;
	else if (!g_strcmp0(cfg->short_text, "unknown"))
		t->short_text = SHORT_UNKNOWN;
	else
		t->short_text = SHORT_HOLD;
	t->lid = langid_new(cfg->languages, NULL, cfg->short_text_chars, err);
	if (t->lid == NULL)
		goto out;
	t->routes = routes_parse(cfg->routes, err);
	if (t->routes == NULL)
		goto out;
	if (set(cfg->apertium_url))
		t->bk[LG_BK_APERTIUM] =
		    backend_new(LG_BK_APERTIUM, cfg->apertium_url, NULL, cfg->translate_timeout_ms);
	if (set(cfg->libretranslate_url)) {
		if (set(cfg->libretranslate_key_file)) {
			key = config_read_secret(cfg->libretranslate_key_file, err);
			if (key == NULL)
				goto out;
		}
		t->bk[LG_BK_LIBRETRANSLATE] = backend_new(
		    LG_BK_LIBRETRANSLATE, cfg->libretranslate_url, key, cfg->translate_timeout_ms);
		g_free(key);
		key = NULL;
	}
	if (set(cfg->deepl_url) && set(cfg->deepl_key_file)) {
		key = config_read_secret(cfg->deepl_key_file, err);
		if (key == NULL)
			goto out;
		t->bk[LG_BK_DEEPL] =
		    backend_new(LG_BK_DEEPL, cfg->deepl_url, key, cfg->translate_timeout_ms);
	}
	ok = TRUE;
out:
	if (key) {
		memset(key, 0, strlen(key));
		g_free(key);
	}
	if (!ok)
		translate_free(&t);
	return t;
}

void translate_free(lg_translator **tp)
{
	lg_translator *t = *tp;
	if (t == NULL)
		return;
	langid_free(&t->lid);
	routes_free(&t->routes);
	for (int i = 0; i < LG_BK_COUNT; i++)
		backend_free(&t->bk[i]);
	g_free(t);
	*tp = NULL;
}

const char *translate_detect(lg_translator *t, const char *text)
{
	return langid_detect(t->lid, text ? text : "", -1, NULL);
}

void translation_clear(lg_translation *tr)
{
	g_free(tr->lang);
	g_free(tr->text_ru);
	g_free(tr->backend);
	g_free(tr->from);
	memset(tr, 0, sizeof(*tr));
}

/* ---- one language's units through the cache and the backends ---------- */

typedef struct unit {
	char *text; /* masked, soft breaks as spaces, no outer spaces */
	char *lead; /* whitespace around it in the split, kept verbatim */
	char *trail;
	char *sha;
	char *result; /* translation, NULL until known */
	int item;     /* which piece it came from */
} unit;

static void unit_free(gpointer p)
{
	unit *u = p;
	g_free(u->text);
	g_free(u->lead);
	g_free(u->trail);
	g_free(u->sha);
	g_free(u->result);
	g_free(u);
}

/* Soft line breaks and runs of spaces become one space. */
static char *flatten(const char *s)
{
	GString *o = g_string_new(NULL);
	gboolean sp = FALSE;
	for (const char *p = s; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' ') {
			sp = TRUE;
			continue;
		}
		if (sp && o->len)
			g_string_append_c(o, ' ');
		sp = FALSE;
		g_string_append_c(o, *p);
	}
	return g_string_free(o, FALSE);
}

static void add_units(GPtrArray *units, int item, const char *masked)
{
	GPtrArray *parts = text_split(masked, TR_UNIT_MAX);
	for (guint i = 0; i < parts->len; i++) {
		const char *s = parts->pdata[i], *b = s, *e = s + strlen(s);
		unit *u = g_new0(unit, 1);
		while (*b == ' ')
			b++;
		while (e > b && e[-1] == ' ')
			e--;
		u->lead = g_strndup(s, (gsize)(b - s));
		u->text = g_strndup(b, (gsize)(e - b));
		u->trail = g_strdup(e);
		u->sha = util_sha256_hex(u->text, strlen(u->text));
		u->item = item;
		g_ptr_array_add(units, u);
	}
	g_ptr_array_unref(parts);
}

/* Translates units (all in language src). Returns LG_TR_OK with every
 * u->result set and *backend_r = the backend name ("cache:<b>" when only
 * the cache answered), or the failure. */
static lg_tr_status run_units(lg_translator *t, const char *src, GPtrArray *units, char **backend_r,
                              GError **err)
{
	const GArray *route = routes_for(t->routes, src);
	GPtrArray *miss = NULL, *in = NULL, *res = NULL;
	GString *why = NULL;
	const char *cache_bk = NULL, *live_bk = NULL;
	gboolean usable = FALSE;
	lg_tr_status st = LG_TR_NO_BACKEND;

	for (guint r = 0; route && r < route->len; r++)
		usable |= t->bk[g_array_index(route, int, r)] != NULL;
	if (!usable) {
		g_set_error(err, LG_TR_ERROR, LG_TR_ERR_REFUSED,
		            "no translator configured for language \"%s\"", src);
		return LG_TR_NO_BACKEND;
	}
	/* The cache first, in route order. */
	for (guint r = 0; t->store && r < route->len; r++) {
		lg_bk_kind k = g_array_index(route, int, r);
		const char *name = backend_kind_name(k);
		if (t->bk[k] == NULL)
			continue;
		for (guint i = 0; i < units->len; i++) {
			unit *u = units->pdata[i];
			GError *e = NULL;
			if (u->result)
				continue;
			u->result = store_cache_get(t->store, name, src, "ru", u->sha, &e);
			if (e) {
				lg_warn("translate: cache read failed: %s", e->message);
				g_clear_error(&e);
			}
			if (u->result && cache_bk == NULL)
				cache_bk = name;
		}
	}
	miss = g_ptr_array_new();
	in = g_ptr_array_new();
	for (guint i = 0; i < units->len; i++) {
		unit *u = units->pdata[i];
		if (u->result == NULL) {
			g_ptr_array_add(miss, u);
			g_ptr_array_add(in, u->text);
		}
	}
	st = LG_TR_OK;
	if (miss->len) {
		why = g_string_new(NULL);
		st = LG_TR_UNAVAILABLE;
		for (guint r = 0; r < route->len && st != LG_TR_OK; r++) {
			lg_bk_kind k = g_array_index(route, int, r);
			GError *e = NULL;
			if (t->bk[k] == NULL)
				continue;
			if (backend_translate(t->bk[k], src, in, &res, &e)) {
				st = LG_TR_OK;
				live_bk = backend_kind_name(k);
				break;
			}
			lg_warn("translate: %s (%s->ru) failed: %s", backend_kind_name(k), src,
			        e->message);
			g_string_append_printf(why, "%s%s", why->len ? "; " : "", e->message);
			g_clear_error(&e);
		}
		if (st != LG_TR_OK) {
			g_set_error(err, LG_TR_ERROR, LG_TR_ERR_NETWORK,
			            "translation unavailable: %s", why->str);
			goto out;
		}
		for (guint i = 0; i < miss->len; i++) {
			unit *u = miss->pdata[i];
			GError *e = NULL;
			u->result = g_strdup(res->pdata[i]);
			if (t->store &&
			    !store_cache_put(t->store, live_bk, src, "ru", u->sha, u->result, &e)) {
				lg_warn("translate: cache write failed: %s",
				        e ? e->message : "unknown error");
				g_clear_error(&e);
			}
		}
	}
	*backend_r = live_bk ? g_strdup(live_bk) : g_strdup_printf("cache:%s", cache_bk);
out:
	if (why)
		g_string_free(why, TRUE);
	if (res)
		g_ptr_array_unref(res);
	g_ptr_array_unref(miss);
	g_ptr_array_unref(in);
	return st;
}

/* ---- the letter ------------------------------------------------------- */

typedef struct para_info {
	const char *lang; /* interned code or "unknown" */
	glong letters;
	int cyrillic; /* 1 when mostly Cyrillic */
} para_info;

/* Letters in s, and whether it is mostly Cyrillic: more characters of the
 * Cyrillic blocks (U+0400-U+052F) than letters of other scripts. One pass,
 * ASCII and U+0400-U+047F (all letters) decoded inline. */
static glong count_letters(const char *s, int *cyrillic_r)
{
	glong n = 0, cyr = 0, other = 0;
	const guchar *p = (const guchar *)s;
	while (*p) {
		if (*p < 0x80) {
			if (g_ascii_isalpha(*p)) {
				n++;
				other++;
			}
			p++;
		} else if ((*p == 0xD0 || *p == 0xD1) && (p[1] & 0xC0) == 0x80) {
			n++;
			cyr++;
			p += 2;
		} else {
			gunichar c = g_utf8_get_char((const char *)p);
			gboolean alpha = g_unichar_isalpha(c) != 0;
			n += alpha;
			if (c >= 0x400 && c <= 0x52f)
				cyr++;
			else if (alpha)
				other++;
			p = (const guchar *)g_utf8_next_char(p);
		}
	}
	if (cyrillic_r)
		*cyrillic_r = cyr > other;
	return n;
}

/* Cyrillic, without the letters of Ukrainian or Belarusian only. */
static gboolean plain_cyrillic(const char *s)
{
	glong cyr = 0, lat = 0;
	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_unichar_tolower(g_utf8_get_char(p));
		if (c == 0x456 || c == 0x457 || c == 0x454 || c == 0x491 || c == 0x45e)
			return FALSE;
		if (c >= 0x400 && c <= 0x4ff)
			cyr++;
		else if (g_unichar_isalpha(c))
			lat++;
	}
	return cyr > 0 && cyr >= lat * 4;
}

static gint lang_weight_cmp(gconstpointer a, gconstpointer b, gpointer w)
{
	glong wa = GPOINTER_TO_SIZE(g_hash_table_lookup(w, *(char *const *)a));
	glong wb = GPOINTER_TO_SIZE(g_hash_table_lookup(w, *(char *const *)b));
	return wa < wb ? 1 : wa > wb ? -1 : strcmp(*(char *const *)a, *(char *const *)b);
}

lg_tr_status translate_letter(lg_translator *t, const char *text, lg_translation *out, GError **err)
{
	GPtrArray *pieces = NULL, *langs = NULL;
	GHashTable *weight = NULL;
	para_info *pi = NULL;
	GString *ptext = NULL, *result = NULL, *backends = NULL;
	char **translated = NULL;
	const char *main_lang = "unknown";
	glong best = 0, total = 0;
	int n_paras = 0;
	gboolean any = FALSE;
	lg_tr_status st = LG_TR_OK;

	memset(out, 0, sizeof(*out));
	if (text == NULL)
		text = "";
	pieces = text_pieces(text, &n_paras);
	pi = g_new0(para_info, n_paras + 1);
	weight = g_hash_table_new(g_str_hash, g_str_equal);

	/* Each paragraph's language, and the main one by letters. */
	ptext = g_string_new(NULL);
	for (int p = 0; p < n_paras; p++) {
		g_string_truncate(ptext, 0);
		for (guint i = 0; i < pieces->len; i++) {
			lg_piece *pc = pieces->pdata[i];
			if (pc->para == p && pc->translate) {
				g_string_append(ptext, pc->text);
				g_string_append_c(ptext, '\n');
			}
		}
		pi[p].letters = count_letters(ptext->str, &pi[p].cyrillic);
		pi[p].lang = langid_detect(t->lid, ptext->str, (gssize)ptext->len, NULL);
		total += pi[p].letters;
		if (strcmp(pi[p].lang, "unknown")) {
			glong w = GPOINTER_TO_SIZE(g_hash_table_lookup(weight, pi[p].lang));
			w += pi[p].letters;
			g_hash_table_insert(weight, (gpointer)pi[p].lang, GSIZE_TO_POINTER(w));
			if (w > best) {
				best = w;
				main_lang = pi[p].lang;
			}
		}
	}
	if (!strcmp(main_lang, "unknown")) {
		/* No paragraph was clear: the whole text at once. */
		g_string_truncate(ptext, 0);
		for (guint i = 0; i < pieces->len; i++) {
			lg_piece *pc = pieces->pdata[i];
			if (pc->translate) {
				g_string_append(ptext, pc->text);
				g_string_append_c(ptext, '\n');
			}
		}
		main_lang = langid_detect(t->lid, ptext->str, (gssize)ptext->len, NULL);
		if (!strcmp(main_lang, "unknown") &&
		    (total < TR_SHORT_LETTERS || total < t->short_chars) &&
		    t->short_text == SHORT_RUSSIAN && plain_cyrillic(ptext->str))
			main_lang = "ru";
		if (!strcmp(main_lang, "unknown") &&
		    (total < TR_SHORT_LETTERS || total < t->short_chars) &&
		    t->short_text != SHORT_UNKNOWN) {
			out->lang = g_strdup("unknown");
			out->backend = g_strdup("");
			out->from = g_strdup("");
			g_set_error(err, LG_TR_ERROR, LG_TR_ERR_REFUSED,
			            "text too short to tell its language");
			st = LG_TR_NO_BACKEND;
			goto out;
		}
	}
	/* Paragraphs that could not tell take the main language of the
	 * paragraphs in their script ("Обнимаем!" after a Russian paragraph
	 * stays Russian in a letter that is mostly English), else the main. */
	{
		const char *main_of[2] = {NULL, NULL};
		glong best_of[2] = {0, 0};
		for (int p = 0; p < n_paras; p++) {
			int sc = pi[p].cyrillic;
			if (!strcmp(pi[p].lang, "unknown") || pi[p].letters <= best_of[sc])
				continue;
			best_of[sc] = pi[p].letters;
			main_of[sc] = pi[p].lang;
		}
		for (int p = 0; p < n_paras; p++)
			if (!strcmp(pi[p].lang, "unknown"))
				pi[p].lang =
				    main_of[pi[p].cyrillic] ? main_of[pi[p].cyrillic] : main_lang;
	}
	out->lang = g_strdup(main_lang);

	/* Languages to translate, the largest first. */
	g_hash_table_remove_all(weight);
	for (int p = 0; p < n_paras; p++) {
		glong w = GPOINTER_TO_SIZE(g_hash_table_lookup(weight, pi[p].lang));
		g_hash_table_insert(weight, (gpointer)pi[p].lang,
		                    GSIZE_TO_POINTER(w + pi[p].letters + 1));
	}
	langs = g_ptr_array_new();
	{
		GHashTableIter it;
		gpointer k;
		g_hash_table_iter_init(&it, weight);
		while (g_hash_table_iter_next(&it, &k, NULL))
			if (strcmp(k, "ru"))
				g_ptr_array_add(langs, k);
	}
	g_ptr_array_sort_with_data(langs, lang_weight_cmp, weight);

	translated = g_new0(char *, pieces->len + 1);
	backends = g_string_new(NULL);
	for (guint l = 0; l < langs->len && st == LG_TR_OK; l++) {
		const char *lang = langs->pdata[l];
		GPtrArray *units = g_ptr_array_new_with_free_func(unit_free);
		GPtrArray **saved = g_new0(GPtrArray *, pieces->len);
		char *bk = NULL;
		for (guint i = 0; i < pieces->len; i++) {
			lg_piece *pc = pieces->pdata[i];
			char *flat, *masked;
			if (!pc->translate || strcmp(pi[pc->para].lang, lang))
				continue;
			saved[i] = g_ptr_array_new_with_free_func(g_free);
			flat = flatten(pc->text);
			masked = text_mask(flat, saved[i]);
			add_units(units, (int)i, masked);
			g_free(flat);
			g_free(masked);
		}
		if (units->len)
			st = run_units(t, lang, units, &bk, err);
		if (st == LG_TR_OK && units->len) {
			any = TRUE;
			/* Units back into their pieces, placeholders restored. */
			GString *acc = g_string_new(NULL);
			for (guint u = 0; u < units->len; u++) {
				unit *un = units->pdata[u];
				g_string_append(acc, un->lead);
				g_string_append(acc, un->result);
				g_string_append(acc, un->trail);
				if (u + 1 == units->len ||
				    ((unit *)units->pdata[u + 1])->item != un->item) {
					translated[un->item] =
					    text_unmask(acc->str, saved[un->item]);
					g_string_truncate(acc, 0);
				}
			}
			g_string_free(acc, TRUE);
			if (backends->len == 0 || g_str_has_prefix(backends->str, "cache:"))
				g_string_assign(backends, bk);
			if (out->from == NULL)
				out->from = g_strdup(lang);
			else {
				char *f = g_strdup_printf("%s,%s", out->from, lang);
				g_free(out->from);
				out->from = f;
			}
		}
		g_free(bk);
		for (guint i = 0; i < pieces->len; i++)
			if (saved[i])
				g_ptr_array_unref(saved[i]);
		g_free(saved);
		g_ptr_array_unref(units);
	}
	if (st != LG_TR_OK) {
		g_clear_pointer(&out->from, g_free);
		out->from = g_strdup("");
		out->backend = g_strdup(backends->str);
		goto out;
	}
	result = g_string_new(NULL);
	for (guint i = 0; i < pieces->len; i++) {
		lg_piece *pc = pieces->pdata[i];
		g_string_append(result, translated[i] ? translated[i] : pc->text);
	}
	out->translated = any;
	out->text_ru = g_string_free(result, FALSE);
	out->backend = g_strdup(backends->str);
	if (out->from == NULL)
		out->from = g_strdup("");
out:
	if (translated) {
		for (guint i = 0; i < pieces->len; i++)
			g_free(translated[i]);
		g_free(translated);
	}
	if (backends)
		g_string_free(backends, TRUE);
	if (langs)
		g_ptr_array_unref(langs);
	g_string_free(ptext, TRUE);
	g_hash_table_unref(weight);
	g_free(pi);
	g_ptr_array_unref(pieces);
	return st;
}

/* ---- names -------------------------------------------------------------- */

static const char *const lang_names[][2] = {
    {"en", "английского"},    {"de", "немецкого"},      {"fr", "французского"},
    {"es", "испанского"},     {"pl", "польского"},      {"it", "итальянского"},
    {"pt", "португальского"}, {"nl", "нидерландского"}, {"uk", "украинского"},
    {"be", "белорусского"},   {"ru", "русского"},       {"cs", "чешского"},
    {"sk", "словацкого"},     {"bg", "болгарского"},    {"sr", "сербского"},
    {"hr", "хорватского"},    {"sl", "словенского"},    {"kk", "казахского"},
    {"he", "иврита"},         {"ka", "грузинского"},    {"hy", "армянского"},
    {"lv", "латышского"},     {"lt", "литовского"},     {"et", "эстонского"},
    {"fi", "финского"},       {"sv", "шведского"},      {"da", "датского"},
    {"nb", "норвежского"},    {"tr", "турецкого"},      {"ro", "румынского"},
    {"hu", "венгерского"},    {"el", "греческого"},     {"ar", "арабского"},
    {"zh", "китайского"},     {"ja", "японского"},      {"ko", "корейского"},
};

const char *translate_lang_name_ru(const char *lang)
{
	for (size_t i = 0; lang && i < G_N_ELEMENTS(lang_names); i++)
		if (!strcmp(lang, lang_names[i][0]))
			return lang_names[i][1];
	return "иностранного";
}

char *translate_lang_names_ru(const char *langs)
{
	char **v = g_strsplit(langs ? langs : "", ",", -1);
	GPtrArray *names = g_ptr_array_new();
	GString *s = g_string_new(NULL);
	for (guint i = 0; v[i]; i++)
		if (*g_strstrip(v[i]))
			g_ptr_array_add(names, (gpointer)translate_lang_name_ru(v[i]));
	if (names->len == 0)
		g_ptr_array_add(names, (gpointer)translate_lang_name_ru(NULL));
	for (guint i = 0; i < names->len; i++) {
		if (i)
			g_string_append(s, i + 1 == names->len ? " и " : ", ");
		g_string_append(s, names->pdata[i]);
	}
	g_ptr_array_unref(names);
	g_strfreev(v);
	return g_string_free(s, FALSE);
}
