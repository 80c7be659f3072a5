/*
 * milter/milter.h - the libmilter callbacks: connection and message
 * contexts, the recipient check at RCPT, the body spooled through
 * milter/body.h, and the verdict at end of message.
 *
 * Contract:
 *  - milter_register() registers the filter with libmilter; FALSE on failure.
 *  - milter_set_pipeline() installs the pipeline new sessions use (takes a
 *    reference; the previous one is released when its last session ends).
 *  - milter_set_worker() tells the callbacks whom to wake after a commit;
 *    milter_busy() tells the delivery threads when to yield.
 *  - Failure classes map to replies in one table (milter.c: reply_for_*):
 *    internal errors tempfail with 451 4.3.0.
 */
#ifndef LG_MILTER_H
#define LG_MILTER_H

#include <glib.h>
#include "conf/config.h"
#include "deliver/worker.h"
#include "policy/pipeline.h"

gboolean milter_register(void);
void milter_set_pipeline(lg_pipeline *p);
void milter_set_worker(lg_worker *w);
void milter_set_limits(int sessions);
/* TRUE while some SMTP message is between MAIL FROM and its end (the
 * delivery threads yield to it: worker_set_busy); *last_end (when not NULL)
 * is the g_get_monotonic_time() at which the last message ended, 0 before
 * the first. */
gboolean milter_busy(gint64 *last_end);

#endif
