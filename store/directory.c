/* store/directory.c - see directory.h. */
#include "store/directory.h"

#include <string.h>

#include "common/util.h"

gboolean directory_alias_valid(const char *a)
{
	size_t n = a ? strlen(a) : 0;
	if (n == 0 || n > 64 || !g_ascii_isalnum(a[0]))
		return FALSE;
	for (size_t i = 0; i < n; i++)
		if (!(g_ascii_islower(a[i]) || g_ascii_isdigit(a[i]) || a[i] == '.' || a[i] == '_' ||
		      a[i] == '-'))
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

static const char *const columns[] = {"alias", "full_name", "birth_year", "region", "facility",
				      "status"};

void directory_parse_csv(const char *data, gsize len, GPtrArray **prisoners_r,
			 GPtrArray **errors_r)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)prisoner_free);
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	gsize pos = 0;
	int line = 1, col_of[G_N_ELEMENTS(columns)];
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
			g_ptr_array_add(errors, g_strdup_printf("line 1: header has no column \"%s\"",
								columns[c]));
	}
	g_ptr_array_unref(rec);
	if (errors->len)
		goto out;
	for (;;) {
		int start = ++line;
		lg_prisoner *p;
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
		if (rec->len < G_N_ELEMENTS(columns)) {
			g_ptr_array_add(errors, g_strdup_printf("line %d: %u fields, expected %zu", start,
								rec->len, G_N_ELEMENTS(columns)));
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
		g_ptr_array_unref(rec);
		if (!directory_alias_valid(p->alias))
			g_ptr_array_add(errors, g_strdup_printf("line %d: alias \"%s\" is not valid "
								"(a-z, 0-9, dot, dash, underscore)",
								start, p->alias));
		else if (p->full_name[0] == '\0')
			g_ptr_array_add(errors, g_strdup_printf("line %d: full_name is empty", start));
		else if (endp == by || *endp != '\0' || p->birth_year < 1900 ||
			 p->birth_year > 2100)
			g_ptr_array_add(errors, g_strdup_printf("line %d: birth_year \"%s\" is not a year",
								start, by));
		else if (!prisoner_status_valid(p->status))
			g_ptr_array_add(errors, g_strdup_printf("line %d: status \"%s\" is not one of "
								"active, released, transferred, deceased",
								start, p->status));
		else if (g_hash_table_contains(seen, p->alias))
			g_ptr_array_add(errors, g_strdup_printf("line %d: alias %s appears twice", start,
								p->alias));
		else {
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
