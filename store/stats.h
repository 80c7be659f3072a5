/*
 * store/stats.h - numbers for `lettergatectl stats`, from the letters and
 * history tables (texts are never read, so purged letters count the same).
 *
 * store_stats_json() returns a new JSON object (pretty printed) over the
 * `days` days before now:
 *   "since", "days",
 *   "per_day":      [{"day": "YYYY-MM-DD", "total": N, "states": {state: N}}]
 *                   (by the day a letter arrived, UTC)
 *   "per_prisoner": [{"id": alias, "status": s, "letters": N, "delivered": N,
 *                     "held": N, "rejected": N}] every prisoner, fewest
 *                     letters first (the least remembered on top)
 *   "holds_by_category": {category: N} letters held in the period, by the
 *                   categories of their findings ("none" when none)
 *   "partner_latency": {"handover": {...}, "delivery": {...}} seconds from
 *                   queued to sent (handed to the partner) and from sent to
 *                   delivered: {"count", "mean", "median", "p95", "max"}
 *   "organizations": [{"id": org, "batches": N, "letters": N}]
 * NULL with *err on database trouble.
 */
#ifndef LG_STATS_H
#define LG_STATS_H

#include <glib.h>
#include "store/store.h"

char *store_stats_json(lg_store *st, int days, gint64 now, GError **err);

#endif
