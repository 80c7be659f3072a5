/* tests/unit/test_cpuload.c - the machine's idle share from /proc/stat, and
 * the rule delivery threads follow to yield to SMTP sessions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cpuload.h"
#include "deliver/worker.h"

static char *write_tmp(const char *text)
{
	GError *e = NULL;
	char *path = NULL;
	int fd = g_file_open_tmp("lg-stat-XXXXXX", &path, &e);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_read_kernel_format(void **state)
{
	lg_cpu_sample s;
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	char *p = write_tmp("cpu  100 5 50 800 20 3 2 10 7 0\n"
	                    "cpu0 50 2 25 400 10 1 1 5 3 0\n"
	                    "intr 12345\n");
	assert_true(cpuload_read(p, &s));
	assert_int_equal(s.total, 990); /* guest is inside user: not added */
	assert_int_equal(s.busy, 990 - 800 - 20);
	assert_true(s.at > 0);
	g_unlink(p);
	g_free(p);

	/* an old kernel's four fields */
	p = write_tmp("cpu 10 0 10 80\n");
	assert_true(cpuload_read(p, &s));
	assert_int_equal(s.total, 100);
	assert_int_equal(s.busy, 20);
	g_unlink(p);
	g_free(p);
}

static void test_read_refuses_other_formats(void **state)
{
	lg_cpu_sample s;
	const char *bad[] = {
	    "", "cpu\n", "cpu 1 2 3\n", "cpu0 1 2 3 4\n", "intr 1 2 3 4 5\n", "cpu x y z w\n"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *p = write_tmp(bad[i]);
		assert_false(cpuload_read(p, &s));
		assert_int_equal(s.total, 0);
		assert_int_equal(s.at, 0);
		g_unlink(p);
		g_free(p);
	}
	assert_false(cpuload_read("/nonexistent/lettergate/stat", &s));
}

static void test_read_this_machine(void **state)
{
	lg_cpu_sample a, b;
	if (!cpuload_read(NULL, &a)) {
		skip();
	}
	assert_true(a.total > 0 && a.busy <= a.total);
	g_usleep(20000);
	assert_true(cpuload_read(NULL, &b));
	assert_true(b.total >= a.total && b.busy >= a.busy && b.at > a.at);
}

static void test_idle_percent(void **state)
{
	long hz = sysconf(_SC_CLK_TCK);
	gint64 tick_ns = 1000000000 / (hz > 0 ? hz : 100);
	lg_cpu_sample a = {1000, 5000, 1}, b = {1090, 5100, 2};
	/* 90 of 100 ticks busy: 10% idle */
	assert_int_equal(cpuload_idle_percent(&a, &b, 0, 10), 10);
	/* our own 60 ticks of delivery work count as idle: 70% */
	assert_int_equal(cpuload_idle_percent(&a, &b, 60 * tick_ns, 10), 70);
	/* more own time than the window's busy time (counters' rounding): all idle */
	assert_int_equal(cpuload_idle_percent(&a, &b, 500 * tick_ns, 10), 100);
	/* negative own time (a clock going back) is ignored */
	assert_int_equal(cpuload_idle_percent(&a, &b, -5, 10), 10);
	/* too few ticks to judge */
	assert_int_equal(cpuload_idle_percent(&a, &b, 0, 101), -1);
	/* no time passed, or counters that went back */
	assert_int_equal(cpuload_idle_percent(&a, &a, 0, 0), -1);
	assert_int_equal(cpuload_idle_percent(&b, &a, 0, 0), -1);
	lg_cpu_sample c = {900, 5200, 3}; /* busy fell: not the same counters */
	assert_int_equal(cpuload_idle_percent(&a, &c, 0, 0), -1);
	lg_cpu_sample d = {1000, 5050, 3}; /* all idle */
	assert_int_equal(cpuload_idle_percent(&a, &d, 0, 10), 100);
}

static void test_yield_rule(void **state)
{
	/* a message in progress: always */
	assert_true(worker_should_yield(TRUE, -1, 100, 25));
	assert_true(worker_should_yield(TRUE, 5000, 100, 0));
	/* no message yet, or the last one ended a second or more ago: never */
	assert_false(worker_should_yield(FALSE, -1, 0, 25));
	assert_false(worker_should_yield(FALSE, 1000, 0, 25));
	assert_false(worker_should_yield(FALSE, 60000, 0, 25));
	/* in a burst's gap: while the CPUs are busy */
	assert_true(worker_should_yield(FALSE, 3, 0, 25));
	assert_true(worker_should_yield(FALSE, 999, 24, 25));
	assert_false(worker_should_yield(FALSE, 3, 25, 25));
	assert_false(worker_should_yield(FALSE, 3, 90, 25));
	/* not measured yet: one poll to measure */
	assert_true(worker_should_yield(FALSE, 3, -1, 25));
	/* yield_idle_percent = 0: only while a message is in progress */
	assert_false(worker_should_yield(FALSE, 3, 0, 0));
	assert_false(worker_should_yield(FALSE, 3, -1, 0));
	/* 100: in a gap after a message, whatever the load */
	assert_true(worker_should_yield(FALSE, 3, 99, 100));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_kernel_format),
	    cmocka_unit_test(test_read_refuses_other_formats),
	    cmocka_unit_test(test_read_this_machine),
	    cmocka_unit_test(test_idle_percent),
	    cmocka_unit_test(test_yield_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
