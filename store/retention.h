/*
 * store/retention.h - letter texts and photos are deleted a configurable
 * number of days ([retention] days) after the letter reached its final
 * state (sent, delivered, failed, rejected, censored); the metadata stays for
 * statistics: id, states and history, prisoner, language, categories and
 * findings (rule, category, spans: no words), pages, photo count, size and
 * sha256, timestamps. Removed: text_original, text_ru, subject, photo data
 * (rows stay with zero bytes of data). Held and queued letters are never
 * purged. days = 0 keeps everything.
 *
 * Contract: store_purge() purges letters whose final state is older than
 * now - days * 86400 and not purged yet, in one transaction; with dry_run
 * it only counts. *letters_r and *photos_r get the numbers. FALSE with *err
 * on database trouble (nothing purged).
 */
#ifndef LG_RETENTION_H
#define LG_RETENTION_H

#include <glib.h>
#include "store/store.h"

gboolean store_purge(lg_store *st, int days, gint64 now, gboolean dry_run, int *letters_r,
                     int *photos_r, GError **err);

#endif
