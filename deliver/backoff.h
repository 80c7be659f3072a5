/*
 * deliver/backoff.h - when to try a letter again.
 *
 * Contract:
 *  - backoff_next() returns the unix time of the next attempt after a
 *    failed one. `attempts` counts attempts made so far (>= 1 after the
 *    first failure). The delay is exponential from cfg->retry_base_seconds,
 *    doubled per attempt, capped at cfg->retry_max_seconds, with "full
 *    jitter" in its upper half (delay/2 .. delay) so that a partner coming
 *    back is not hit by every letter at once.
 *  - retry_after (> 0: seconds the partner asked for, e.g. 429 Retry-After)
 *    is honoured as a lower bound, still capped at retry_max_seconds.
 *  - *give_up_r (may be NULL) is set TRUE when the letter, created at
 *    `created`, would be older than cfg->retry_max_age_hours at the next
 *    attempt: the caller marks it `failed`. The return value is then `now`.
 *  - Never fails; bad inputs (attempts < 1, zero settings) are clamped.
 */
#ifndef LG_BACKOFF_H
#define LG_BACKOFF_H

#include <glib.h>
#include "conf/config.h"

gint64 backoff_next(const lg_config *cfg, int attempts, gint64 created, gint64 now,
                    gint64 retry_after, gboolean *give_up_r);

/* The un-jittered delay for an attempt count (for tests and docs). */
gint64 backoff_delay_max(const lg_config *cfg, int attempts);

#endif
