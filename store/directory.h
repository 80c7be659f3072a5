/*
 * store/directory.h - the prisoner directory CSV (DESIGN.md):
 * alias,full_name,birth_year,region,facility,status (UTF-8, header row,
 * RFC 4180 quoting).
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

#endif
