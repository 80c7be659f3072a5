/*
 * translate/route.c - the [translate] routes setting. See translate.h for
 * the format.
 */
#include "translate/translate_int.h"

#include <string.h>

static const char *const kind_names[LG_BK_COUNT] = {"apertium", "libretranslate", "deepl"};

const char *backend_kind_name(lg_bk_kind k)
{
	return (unsigned)k < LG_BK_COUNT ? kind_names[k] : "?";
}

struct lg_routes {
	GHashTable *map; /* lang -> GArray of int (lg_bk_kind) */
};

static void garray_free(gpointer p)
{
	g_array_unref(p);
}

static gboolean lang_valid(const char *s)
{
	size_t n = strlen(s);
	if (!strcmp(s, "*") || !strcmp(s, "unknown"))
		return TRUE;
	if (n < 2 || n > 3)
		return FALSE;
	for (const char *p = s; *p; p++)
		if (!g_ascii_islower(*p))
			return FALSE;
	return TRUE;
}

lg_routes *routes_parse(const char *spec, GError **err)
{
	lg_routes *r = g_new0(lg_routes, 1);
	char **entries = g_strsplit(spec ? spec : "", ";", -1);
	gboolean ok = FALSE;

	r->map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, garray_free);
	for (char **e = entries; *e; e++) {
		char *colon, **names = NULL;
		GArray *list;
		g_strstrip(*e);
		if (**e == '\0')
			continue;
		colon = strchr(*e, ':');
		if (colon == NULL) {
			g_set_error(err, LG_TR_ERROR, LG_TR_ERR_REFUSED,
			            "routes: \"%s\" is not LANG:BACKEND[,BACKEND...]", *e);
			goto out;
		}
		*colon = '\0';
		g_strstrip(*e);
		if (!lang_valid(*e) || !strcmp(*e, "ru")) {
			g_set_error(
			    err, LG_TR_ERROR, LG_TR_ERR_REFUSED,
			    "routes: bad language \"%s\" (ISO 639-1 code, \"*\" or \"unknown\"; "
			    "Russian is never translated)",
			    *e);
			goto out;
		}
		if (g_hash_table_contains(r->map, *e)) {
			g_set_error(err, LG_TR_ERROR, LG_TR_ERR_REFUSED,
			            "routes: language \"%s\" given twice", *e);
			goto out;
		}
		list = g_array_new(FALSE, FALSE, sizeof(int));
		g_hash_table_insert(r->map, g_strdup(*e), list);
		names = g_strsplit(colon + 1, ",", -1);
		for (char **n = names; *n; n++) {
			int k;
			g_strstrip(*n);
			if (!strcmp(*n, "none") && names[1] == NULL)
				break;
			for (k = 0; k < LG_BK_COUNT; k++)
				if (!strcmp(*n, kind_names[k]))
					break;
			if (k == LG_BK_COUNT) {
				g_set_error(err, LG_TR_ERROR, LG_TR_ERR_REFUSED,
				            "routes: unknown backend \"%s\" for \"%s\" (apertium, "
				            "libretranslate, deepl or none)",
				            *n, *e);
				g_strfreev(names);
				goto out;
			}
			for (guint i = 0; i < list->len; i++)
				if (g_array_index(list, int, i) == k) {
					g_set_error(err, LG_TR_ERROR, LG_TR_ERR_REFUSED,
					            "routes: backend \"%s\" twice for \"%s\"", *n,
					            *e);
					g_strfreev(names);
					goto out;
				}
			g_array_append_val(list, k);
		}
		g_strfreev(names);
	}
	ok = TRUE;
out:
	g_strfreev(entries);
	if (!ok)
		routes_free(&r);
	return r;
}

void routes_free(lg_routes **rp)
{
	lg_routes *r = *rp;
	if (r == NULL)
		return;
	g_hash_table_unref(r->map);
	g_free(r);
	*rp = NULL;
}

const GArray *routes_for(const lg_routes *r, const char *lang)
{
	GArray *a;
	if (lang == NULL || !strcmp(lang, "ru"))
		return NULL;
	a = g_hash_table_lookup(r->map, lang);
	if (a == NULL && strcmp(lang, "unknown"))
		a = g_hash_table_lookup(r->map, "*");
	return a && a->len ? a : NULL;
}
