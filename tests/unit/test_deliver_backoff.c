/* tests/unit/test_deliver_backoff.c - the retry schedule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "deliver/backoff.h"

static lg_config *cfg_make(int base, int max, int age_h)
{
	lg_config *c = g_new0(lg_config, 1);
	c->retry_base_seconds = base;
	c->retry_max_seconds = max;
	c->retry_max_age_hours = age_h;
	return c;
}

static void test_exponential_capped(void **state)
{
	lg_config *c = cfg_make(30, 3600, 72);
	assert_int_equal(backoff_delay_max(c, 1), 30);
	assert_int_equal(backoff_delay_max(c, 2), 60);
	assert_int_equal(backoff_delay_max(c, 3), 120);
	assert_int_equal(backoff_delay_max(c, 7), 1920);
	assert_int_equal(backoff_delay_max(c, 8), 3600);
	assert_int_equal(backoff_delay_max(c, 1000), 3600);
	assert_int_equal(backoff_delay_max(c, 0), 30);
	assert_int_equal(backoff_delay_max(c, -5), 30);
	g_free(c);
}

static void test_jitter_bounds(void **state)
{
	lg_config *c = cfg_make(30, 3600, 72);
	gint64 now = 1700000000, created = now - 60;
	gboolean give_up = TRUE, saw_low = FALSE, saw_high = FALSE;
	for (int attempts = 1; attempts <= 12; attempts++) {
		gint64 dmax = backoff_delay_max(c, attempts);
		for (int i = 0; i < 200; i++) {
			gint64 next = backoff_next(c, attempts, created, now, 0, &give_up);
			assert_false(give_up);
			assert_true(next - now >= dmax / 2);
			assert_true(next - now <= dmax);
			if (attempts == 12 && next - now < 3600 * 3 / 4)
				saw_low = TRUE;
			if (attempts == 12 && next - now > 3600 * 3 / 4)
				saw_high = TRUE;
		}
	}
	assert_true(saw_low && saw_high); /* jitter actually spreads */
	g_free(c);
}

static void test_retry_after(void **state)
{
	lg_config *c = cfg_make(30, 3600, 72);
	gint64 now = 1700000000;
	gboolean give_up;
	/* honoured as a lower bound */
	assert_int_equal(backoff_next(c, 1, now, now, 600, &give_up), now + 600);
	assert_false(give_up);
	/* but never beyond the maximum delay */
	assert_int_equal(backoff_next(c, 1, now, now, 999999, &give_up), now + 3600);
	/* shorter than the schedule: the schedule wins */
	assert_true(backoff_next(c, 10, now, now, 5, NULL) - now >= 1800);
	g_free(c);
}

static void test_max_age(void **state)
{
	lg_config *c = cfg_make(30, 3600, 1);
	gint64 now = 1700000000;
	gboolean give_up = FALSE;
	/* created 59 min 1 s ago: even the soonest next attempt (60 s) is past
	 * the hour -> give up */
	assert_int_equal(backoff_next(c, 3, now - 3541, now, 0, &give_up), now);
	assert_true(give_up);
	/* created just now: keep trying */
	backoff_next(c, 3, now, now, 0, &give_up);
	assert_false(give_up);
	/* already too old */
	backoff_next(c, 1, now - 7200, now, 0, &give_up);
	assert_true(give_up);
	g_free(c);
}

static void test_degenerate_settings(void **state)
{
	lg_config *c = cfg_make(0, 0, 0); /* no age limit */
	gint64 now = 1700000000;
	gboolean give_up = TRUE;
	gint64 next = backoff_next(c, 50, now - 10 * 86400, now, 0, &give_up);
	assert_false(give_up);
	assert_true(next >= now + 1);
	g_free(c);
	c = cfg_make(600, 60, 24); /* max below base: base wins */
	assert_int_equal(backoff_delay_max(c, 5), 600);
	g_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exponential_capped),  cmocka_unit_test(test_jitter_bounds),
	    cmocka_unit_test(test_retry_after),         cmocka_unit_test(test_max_age),
	    cmocka_unit_test(test_degenerate_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
