/*
 * store/directory.h - the prisoner directory CSV (DESIGN.md):
 * alias,full_name,birth_year,region,facility,status (UTF-8, header row,
 * RFC 4180 quoting), and an optional "aliases" column: extra addresses for
 * the same prisoner, separated by ';' or spaces (other Latin spellings, or
 * Cyrillic ones for SMTPUTF8 mail). An empty alias is generated from the
 * full name (store/translit.h).
 *
 * Contract: directory_parse_csv() never fails as a whole: it returns the
 * prisoners of every good row in *prisoners_r (lg_prisoner*) and one message
 * per bad row in *errors_r ("line N: why"); the caller imports only when
 * there are no errors (nothing half-imported). Both arrays are new.
 */
#ifndef LG_DIRECTORY_H
#define LG_DIRECTORY_H

#include <glib.h>
#include "store/store.h"

void directory_parse_csv(const char *data, gsize len, GPtrArray **prisoners_r,
                         GPtrArray **errors_r);
/* An alias is 1..64 of [a-z0-9._-], starting with a letter or digit. */
gboolean directory_alias_valid(const char *alias);

/* One row's effect on the directory, for --dry-run and for the import. */
typedef struct lg_dir_change {
	char *alias;
	const char *action;     /* "add", "update" or "same" */
	gboolean generated;     /* alias made from the full name */
	GPtrArray *diffs;       /* char*: field: "old" -> "new" */
	GPtrArray *new_aliases; /* char*: extra aliases the import adds */
	char *old_status;       /* NULL for a new prisoner */
	char *new_status;
	int pending; /* letters held or queued now (status changes) */
} lg_dir_change;

void dir_change_free(lg_dir_change *c);

/* Settles every prisoner's alias and extra aliases against the database:
 *  - an empty alias becomes that of the stored prisoner with the same full
 *    name and birth year (re-imports are idempotent), else the generated
 *    "<given>.<family>", else "<given>.<family>.<birth year>" when that is
 *    taken (by another prisoner, an extra alias or another row);
 *  - p->extra_aliases becomes the list to add: the CSV's extra aliases and
 *    the other spellings of the full name (translit_alias_variants), each
 *    only when nobody has it (a variant taken by someone else gets the
 *    birth year too, or is left out);
 *  - one lg_dir_change per prisoner, in order, in *changes_r (new array).
 * A CSV extra alias that reaches another prisoner, or a name that gives no
 * alias at all, is an error added to `errors` ("alias: why"); the caller
 * then imports nothing. FALSE with *err on database trouble. */
gboolean directory_plan(lg_store *st, GPtrArray *prisoners, GPtrArray **changes_r,
                        GPtrArray *errors, GError **err);

#endif
