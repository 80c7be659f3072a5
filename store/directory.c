/* store/directory.c - see directory.h. */
#include "store/directory.h"

#include <string.h>

#include "common/util.h"
#include "store/translit.h"

gboolean directory_alias_valid(const char *a)
{
	size_t n = a ? strlen(a) : 0;
	if (n == 0 || n > 64 || !g_ascii_isalnum(a[0]))
		return FALSE;
	for (size_t i = 0; i < n; i++)
		if (!(g_ascii_islower(a[i]) || g_ascii_isdigit(a[i]) || a[i] == '.' ||
		      a[i] == '_' || a[i] == '-'))
			return FALSE;
	return TRUE;
}

/* Splits one CSV record starting at *pos; returns fields, advances *pos and
 * *line. NULL at end of input. Quoted fields may span lines. */
static GPtrArray *csv_record(const char *d, gsize len, gsize *pos, int *line, gboolean *bad)
{
	GPtrArray *fields;
	GString *f;
	gsize i = *pos;
	gboolean quoted = FALSE, was_quoted = FALSE;
	if (i >= len)
		return NULL;
	fields = g_ptr_array_new_with_free_func(g_free);
	f = g_string_new(NULL);
	*bad = FALSE;
	while (i < len) {
		char c = d[i];
		if (quoted) {
			if (c == '"') {
				if (i + 1 < len && d[i + 1] == '"') {
					g_string_append_c(f, '"');
					i += 2;
					continue;
				}
				quoted = FALSE;
				i++;
				continue;
			}
			if (c == '\n')
				(*line)++;
			g_string_append_c(f, c);
			i++;
			continue;
		}
		if (c == '"') {
			if (f->len == 0 && !was_quoted) {
				quoted = was_quoted = TRUE;
			} else {
				*bad = TRUE;
				g_string_append_c(f, c);
			}
			i++;
			continue;
		}
		if (c == ',') {
			g_ptr_array_add(fields, g_string_free(f, FALSE));
			f = g_string_new(NULL);
			was_quoted = FALSE;
			i++;
			continue;
		}
		if (c == '\r' && i + 1 < len && d[i + 1] == '\n') {
			i++;
			continue;
		}
		if (c == '\n') {
			i++;
			break;
		}
		g_string_append_c(f, c);
		i++;
	}
	if (quoted)
		*bad = TRUE;
	g_ptr_array_add(fields, g_string_free(f, FALSE));
	*pos = i;
	return fields;
}

static const char *const columns[] = {"alias",  "full_name", "birth_year",
                                      "region", "facility",  "status"};

void directory_parse_csv(const char *data, gsize len, GPtrArray **prisoners_r, GPtrArray **errors_r)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)prisoner_free);
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	gsize pos = 0;
	int line = 1, col_of[G_N_ELEMENTS(columns)], col_aliases = -1;
	guint fields_needed = G_N_ELEMENTS(columns);
	gboolean bad = FALSE;
	GPtrArray *rec;

	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
		pos = 3; /* BOM from spreadsheets */
	if (!g_utf8_validate(data, (gssize)len, NULL)) {
		g_ptr_array_add(errors, g_strdup("the file is not valid UTF-8"));
		goto out;
	}
	rec = csv_record(data, len, &pos, &line, &bad);
	if (rec == NULL) {
		g_ptr_array_add(errors, g_strdup("line 1: empty file, expected a header row"));
		goto out;
	}
	for (size_t c = 0; c < G_N_ELEMENTS(columns); c++) {
		col_of[c] = -1;
		for (guint i = 0; i < rec->len; i++) {
			char *h = g_strstrip(g_ascii_strdown(g_ptr_array_index(rec, i), -1));
			if (!strcmp(h, columns[c]))
				col_of[c] = (int)i;
			g_free(h);
		}
		if (col_of[c] < 0)
			g_ptr_array_add(
			    errors,
			    g_strdup_printf("line 1: header has no column \"%s\"", columns[c]));
	}
	for (guint i = 0; i < rec->len; i++) {
		char *h = g_strstrip(g_ascii_strdown(g_ptr_array_index(rec, i), -1));
		if (!strcmp(h, "aliases"))
			col_aliases = (int)i;
		g_free(h);
	}
	g_ptr_array_unref(rec);
	if (errors->len)
		goto out;
	/* A header may have more columns than the six, in any order: a row must
	 * reach the rightmost one it is read from. */
	for (size_t c = 0; c < G_N_ELEMENTS(columns); c++)
		fields_needed = MAX(fields_needed, (guint)col_of[c] + 1);
	for (;;) {
		int start = ++line;
		lg_prisoner *p;
		const char *extra_bad = NULL;
		char *endp = NULL;
		char *by;
		rec = csv_record(data, len, &pos, &line, &bad);
		if (rec == NULL)
			break;
		if (rec->len == 1 && ((char *)g_ptr_array_index(rec, 0))[0] == '\0') {
			g_ptr_array_unref(rec);
			continue; /* blank line */
		}
		if (bad) {
			g_ptr_array_add(errors, g_strdup_printf("line %d: broken quoting", start));
			g_ptr_array_unref(rec);
			continue;
		}
		if (rec->len < fields_needed) {
			g_ptr_array_add(errors, g_strdup_printf("line %d: %u fields, expected %u",
			                                        start, rec->len, fields_needed));
			g_ptr_array_unref(rec);
			continue;
		}
		p = g_new0(lg_prisoner, 1);
		p->alias = g_strstrip(g_ascii_strdown(g_ptr_array_index(rec, col_of[0]), -1));
		p->full_name = g_strstrip(g_strdup(g_ptr_array_index(rec, col_of[1])));
		by = g_strstrip(g_strdup(g_ptr_array_index(rec, col_of[2])));
		p->birth_year = (int)g_ascii_strtoll(by, &endp, 10);
		p->region = g_strstrip(g_strdup(g_ptr_array_index(rec, col_of[3])));
		p->facility = g_strstrip(g_strdup(g_ptr_array_index(rec, col_of[4])));
		p->status = g_strstrip(g_ascii_strdown(g_ptr_array_index(rec, col_of[5]), -1));
		if (col_aliases >= 0 && (guint)col_aliases < rec->len) {
			char **xs = g_strsplit_set(g_ptr_array_index(rec, col_aliases), "; ", -1);
			GPtrArray *keep = g_ptr_array_new();
			for (char **x = xs; *x; x++)
				if (**x)
					g_ptr_array_add(keep, translit_alias_key(*x));
			g_ptr_array_add(keep, NULL);
			p->extra_aliases = (char **)g_ptr_array_free(keep, FALSE);
			g_strfreev(xs);
		}
		g_ptr_array_unref(rec);
		for (char **x = p->extra_aliases; x && *x && !extra_bad; x++)
			if (!translit_extra_alias_valid(*x))
				extra_bad = *x;
		if (extra_bad)
			g_ptr_array_add(errors,
			                g_strdup_printf("line %d: extra alias \"%s\" is not valid",
			                                start, extra_bad));
		else if (p->alias[0] != '\0' && !directory_alias_valid(p->alias))
			g_ptr_array_add(errors,
			                g_strdup_printf("line %d: alias \"%s\" is not valid "
			                                "(a-z, 0-9, dot, dash, underscore)",
			                                start, p->alias));
		else if (p->full_name[0] == '\0')
			g_ptr_array_add(errors,
			                g_strdup_printf("line %d: full_name is empty", start));
		else if (endp == by || *endp != '\0' || p->birth_year < 1900 ||
		         p->birth_year > 2100)
			g_ptr_array_add(
			    errors,
			    g_strdup_printf("line %d: birth_year \"%s\" is not a year", start, by));
		else if (!prisoner_status_valid(p->status))
			g_ptr_array_add(errors,
			                g_strdup_printf("line %d: status \"%s\" is not one of "
			                                "active, released, transferred, deceased",
			                                start, p->status));
		else if (p->alias[0] && g_hash_table_contains(seen, p->alias))
			g_ptr_array_add(errors, g_strdup_printf("line %d: alias %s appears twice",
			                                        start, p->alias));
		else {
			if (p->alias[0])
				g_hash_table_add(seen, g_strdup(p->alias));
			g_ptr_array_add(out, p);
			g_free(by);
			continue;
		}
		g_free(by);
		prisoner_free(p);
	}
out:
	g_hash_table_unref(seen);
	*prisoners_r = out;
	*errors_r = errors;
}

/* ---- plan: aliases and changes against the database ---- */

void dir_change_free(lg_dir_change *c)
{
	if (c == NULL)
		return;
	g_free(c->alias);
	g_ptr_array_unref(c->diffs);
	g_ptr_array_unref(c->new_aliases);
	g_free(c->old_status);
	g_free(c->new_status);
	g_free(c);
}

/* TRUE when `key` is free for `alias`: nobody in the database has it (or
 * `alias` itself does, *own_r set) and no other row of this import claims it. */
static gboolean alias_free(lg_store *st, GHashTable *claimed, const char *key, const char *alias,
                           gboolean *own_r, GError **err)
{
	GError *e = NULL;
	char *owner = store_alias_owner(st, key, &e);
	const char *claim = g_hash_table_lookup(claimed, key);
	gboolean free_ = FALSE;
	*own_r = FALSE;
	if (e) {
		g_propagate_error(err, e);
		return FALSE;
	}
	if (owner && alias && !strcmp(owner, alias))
		*own_r = TRUE;
	else if (owner == NULL && (claim == NULL || (alias && !strcmp(claim, alias))))
		free_ = TRUE;
	g_free(owner);
	return free_;
}

static void diff_str(GPtrArray *diffs, const char *field, const char *old, const char *new_)
{
	if (strcmp(old ? old : "", new_ ? new_ : ""))
		g_ptr_array_add(diffs, g_strdup_printf("%s: \"%s\" -> \"%s\"", field,
		                                       old ? old : "", new_ ? new_ : ""));
}

gboolean directory_plan(lg_store *st, GPtrArray *prisoners, GPtrArray **changes_r,
                        GPtrArray *errors, GError **err)
{
	GPtrArray *changes = g_ptr_array_new_with_free_func((GDestroyNotify)dir_change_free);
	/* alias key -> prisoner alias, for everything this import claims */
	GHashTable *claimed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GError *e = NULL;
	gboolean ok = FALSE, own = FALSE;

	/* explicit aliases first: a generated one never takes a written one */
	for (guint i = 0; i < prisoners->len; i++) {
		lg_prisoner *p = g_ptr_array_index(prisoners, i);
		if (p->alias[0])
			g_hash_table_insert(claimed, g_strdup(p->alias), g_strdup(p->alias));
	}
	for (guint i = 0; i < prisoners->len; i++) {
		lg_prisoner *p = g_ptr_array_index(prisoners, i);
		lg_dir_change *c = g_new0(lg_dir_change, 1);
		GPtrArray *extras = g_ptr_array_new_with_free_func(g_free);
		GPtrArray *variants;
		lg_prisoner *old;
		c->diffs = g_ptr_array_new_with_free_func(g_free);
		c->new_aliases = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(changes, c);
		if (p->alias[0] == '\0') {
			char *found = store_prisoner_find(st, p->full_name, p->birth_year, &e);
			char *base = NULL;
			if (e)
				goto fail;
			c->generated = TRUE;
			if (found && (!g_hash_table_contains(claimed, found))) {
				g_free(p->alias);
				p->alias = found;
				found = NULL;
			}
			g_free(found);
			if (p->alias[0] == '\0') {
				base = translit_alias(p->full_name, TRANSLIT_PRIMARY, FALSE);
				if (base == NULL || !directory_alias_valid(base)) {
					g_ptr_array_add(
					    errors,
					    g_strdup_printf(
					        "\"%s\": no alias can be made from this name; "
					        "write one in the alias column",
					        p->full_name));
					g_free(base);
					c->alias = g_strdup("");
					g_ptr_array_unref(extras);
					continue;
				}
				for (int k = 0; k < 2 && p->alias[0] == '\0'; k++) {
					char *cand =
					    k == 0 ? g_strdup(base)
					           : g_strdup_printf("%s.%d", base, p->birth_year);
					if (alias_free(st, claimed, cand, NULL, &own, &e)) {
						g_free(p->alias);
						p->alias = cand;
					} else {
						g_free(cand);
					}
					if (e) {
						g_free(base);
						goto fail;
					}
				}
				if (p->alias[0] == '\0')
					g_ptr_array_add(
					    errors,
					    g_strdup_printf(
					        "\"%s\": %s and %s.%d are taken; write an alias "
					        "in the alias column",
					        p->full_name, base, base, p->birth_year));
				g_free(base);
			}
			if (p->alias[0])
				g_hash_table_insert(claimed, g_strdup(p->alias),
				                    g_strdup(p->alias));
		}
		c->alias = g_strdup(p->alias);
		c->new_status = g_strdup(p->status);
		if (p->alias[0] == '\0') {
			g_ptr_array_unref(extras);
			continue;
		}
		old = store_prisoner_get(st, p->alias, &e);
		if (e)
			goto fail;
		if (old && strcmp(old->alias, p->alias)) {
			/* the alias is another prisoner's extra alias */
			g_ptr_array_add(errors, g_strdup_printf("%s: already an extra alias of %s",
			                                        p->alias, old->alias));
			prisoner_free(old);
			g_ptr_array_unref(extras);
			continue;
		}
		if (old == NULL) {
			c->action = "add";
		} else {
			char by_old[16], by_new[16];
			g_snprintf(by_old, sizeof(by_old), "%d", old->birth_year);
			g_snprintf(by_new, sizeof(by_new), "%d", p->birth_year);
			diff_str(c->diffs, "full_name", old->full_name, p->full_name);
			diff_str(c->diffs, "birth_year", by_old, by_new);
			diff_str(c->diffs, "region", old->region, p->region);
			diff_str(c->diffs, "facility", old->facility, p->facility);
			diff_str(c->diffs, "status", old->status, p->status);
			c->action = c->diffs->len ? "update" : "same";
			c->old_status = g_strdup(old->status);
			if (strcmp(old->status, p->status)) {
				c->pending = store_prisoner_pending(st, p->alias, &e);
				if (e) {
					prisoner_free(old);
					goto fail;
				}
			}
			prisoner_free(old);
		}
		/* extra aliases: the CSV's must be free; spellings are added when free */
		for (char **x = p->extra_aliases; x && *x; x++) {
			if (alias_free(st, claimed, *x, p->alias, &own, &e)) {
				g_ptr_array_add(extras, g_strdup(*x));
				g_hash_table_insert(claimed, g_strdup(*x), g_strdup(p->alias));
			} else if (e) {
				g_ptr_array_unref(extras);
				goto fail;
			} else if (!own) {
				g_ptr_array_add(errors,
				                g_strdup_printf("%s: extra alias %s already "
				                                "reaches another prisoner",
				                                p->alias, *x));
			}
		}
		variants = translit_alias_variants(p->full_name);
		for (guint k = 0; k < variants->len; k++) {
			const char *v = g_ptr_array_index(variants, k);
			char *key = translit_alias_key(v);
			char *with_year = g_strdup_printf("%s.%d", key, p->birth_year);
			const char *pick = NULL;
			if (strcmp(key, p->alias) && strcmp(with_year, p->alias)) {
				if (alias_free(st, claimed, key, p->alias, &own, &e))
					pick = key;
				else if (!own && !e &&
				         alias_free(st, claimed, with_year, p->alias, &own, &e))
					pick = with_year;
			}
			if (pick) {
				gboolean dup = FALSE;
				for (guint j = 0; j < extras->len; j++)
					dup |= !strcmp(g_ptr_array_index(extras, j), pick);
				if (!dup) {
					g_ptr_array_add(extras, g_strdup(pick));
					g_hash_table_insert(claimed, g_strdup(pick),
					                    g_strdup(p->alias));
				}
			}
			g_free(key);
			g_free(with_year);
			if (e) {
				g_ptr_array_unref(variants);
				g_ptr_array_unref(extras);
				goto fail;
			}
		}
		g_ptr_array_unref(variants);
		for (guint j = 0; j < extras->len; j++)
			g_ptr_array_add(c->new_aliases, g_strdup(g_ptr_array_index(extras, j)));
		g_ptr_array_add(extras, NULL);
		g_strfreev(p->extra_aliases);
		p->extra_aliases = (char **)g_ptr_array_free(extras, FALSE);
		if (!strcmp(c->action, "same") && c->new_aliases->len)
			c->action = "update";
	}
	ok = TRUE;
	*changes_r = g_ptr_array_ref(changes);
	goto out;
fail:
	g_propagate_error(err, e);
out:
	g_ptr_array_unref(changes);
	g_hash_table_unref(claimed);
	return ok;
}
