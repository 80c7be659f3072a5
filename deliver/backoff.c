/* deliver/backoff.c - see backoff.h. */
#include "deliver/backoff.h"

gint64 backoff_delay_max(const lg_config *cfg, int attempts)
{
	gint64 base = cfg->retry_base_seconds > 0 ? cfg->retry_base_seconds : 1;
	gint64 cap = cfg->retry_max_seconds > 0 ? cfg->retry_max_seconds : base;
	gint64 d = base;

	if (cap < base)
		cap = base;
	if (attempts < 1)
		attempts = 1;
	/* double per attempt; stop before overflow once over the cap */
	for (int i = 1; i < attempts && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}

gint64 backoff_next(const lg_config *cfg, int attempts, gint64 created, gint64 now,
                    gint64 retry_after, gboolean *give_up_r)
{
	gint64 dmax = backoff_delay_max(cfg, attempts);
	gint64 cap = cfg->retry_max_seconds > 0 ? cfg->retry_max_seconds : dmax;
	gint64 max_age = (gint64)cfg->retry_max_age_hours * 3600;
	gint64 delay, next, half, span;

	/* jitter in the upper half: never sooner than half the schedule */
	half = dmax / 2;
	span = MIN(dmax - half, (gint64)G_MAXINT32 - 1); /* settings are ints */
	delay = half + g_random_int_range(0, (gint32)span + 1);
	if (delay < 1)
		delay = 1;
	if (retry_after > 0) {
		if (retry_after > cap)
			retry_after = cap;
		if (delay < retry_after)
			delay = retry_after;
	}
	next = now + delay;
	if (give_up_r)
		*give_up_r = FALSE;
	if (max_age > 0 && next - created > max_age) {
		if (give_up_r)
			*give_up_r = TRUE;
		return now;
	}
	return next;
}
