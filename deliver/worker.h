/*
 * deliver/worker.h - delivery from the outbox to the partner, after the SMTP
 * session: a letter is claimed with a lease (a crash releases it when the
 * lease runs out), handed to the partner, then marked sent, retried with
 * backoff, or failed. The partner deduplicates by letter id (Idempotency-Key;
 * the spool rewrites the same files), so a crash between hand-over and mark
 * never doubles a letter.
 *
 * Contract:
 *  - worker_start() frees the leases a dead process left, then starts
 *    cfg->delivery_workers threads; NULL with *err when the partner cannot
 *    be set up. worker_stop() stops and joins them.
 *  - While the MTA is handing over messages (worker_set_busy), the threads
 *    wait: a burst of letters is stored first and delivered right after.
 *    "Handing over" is a message in progress, or, in the gaps between
 *    messages, a message ended less than a second ago while the machine's
 *    CPUs were less than cfg->delivery_yield_idle_percent idle (their own
 *    delivery work not counted): a steady light load that leaves the CPUs
 *    idle is delivered as it comes.
 *  - The first thread also enforces retention: at start and then every
 *    cfg->retention_purge_minutes (0: never; `lettergatectl purge` still
 *    works) it deletes the texts and photos past cfg->retention_days
 *    (store/retention.h) and logs how many.
 *  - worker_run_once() delivers what is due now with the given partner and
 *    returns the number of letters handed over, or -1 on a store error.
 *    Used by `lettergatectl deliver` and tests.
 */
#ifndef LG_WORKER_H
#define LG_WORKER_H

#include "conf/config.h"
#include "deliver/partner.h"
#include "store/store.h"

typedef struct lg_worker lg_worker;

lg_worker *worker_start(lg_config *cfg, lg_store *st, GError **err);
void worker_stop(lg_worker **w);
/* New letters are waiting: idle threads wake; threads yielding to SMTP
 * sessions find them when they resume. */
void worker_kick(lg_worker *w);
/* busy() says SMTP messages are in progress and sets *last_end to the
 * g_get_monotonic_time() at which the last one ended (0: none yet): delivery
 * then yields the CPU to them, for at most cfg->delivery_yield_seconds of a
 * busy spell (0: never), and catches up as soon as they end. Set before
 * letters arrive; NULL: never busy. */
void worker_set_busy(lg_worker *w, gboolean (*busy)(gint64 *last_end));
/* The rule a delivery thread follows at each look, for tests: yield when a
 * message is in progress; else, when one ended less than 1000 ms ago
 * (since_end_ms; -1: none yet) and idle_threshold > 0, when the CPUs were
 * less than idle_threshold percent idle (idle_percent; -1: not measured
 * yet, which yields one poll so that it is). */
gboolean worker_should_yield(gboolean in_progress, gint64 since_end_ms, int idle_percent,
                             int idle_threshold);
int worker_run_once(const lg_config *cfg, lg_store *st, lg_partner *partner, int max);

#endif
