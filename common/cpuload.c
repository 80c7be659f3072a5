/* common/cpuload.c - see cpuload.h. */
#include "common/cpuload.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

gboolean cpuload_read(const char *path, lg_cpu_sample *s)
{
	char buf[512];
	guint64 v[8] = {0};
	ssize_t n;
	int fd, got;

	memset(s, 0, sizeof(*s));
	fd = open(path ? path : "/proc/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return FALSE;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return FALSE;
	buf[n] = '\0';
	if (strncmp(buf, "cpu ", 4) != 0) /* the sum line, not "cpu0" */
		return FALSE;
	/* "cpu  user nice system idle iowait irq softirq steal guest guest_nice";
	 * guest time is already inside user and nice */
	got = sscanf(buf,
	             "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
	             " %" SCNu64 " %" SCNu64,
	             &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	if (got < 4)
		return FALSE;
	for (int i = 0; i < 8; i++)
		s->total += v[i];
	s->busy = s->total - v[3] - v[4];
	s->at = g_get_monotonic_time();
	return TRUE;
}

int cpuload_idle_percent(const lg_cpu_sample *a, const lg_cpu_sample *b, gint64 own_ns,
                         guint64 min_ticks)
{
	long hz = sysconf(_SC_CLK_TCK); /* USER_HZ, a constant of the kernel's ABI */
	guint64 total, busy, own;

	if (b->total <= a->total || b->busy < a->busy)
		return -1;
	total = b->total - a->total;
	busy = b->busy - a->busy;
	if (total < min_ticks)
		return -1;
	if (hz <= 0)
		hz = 100;
	own = own_ns > 0 ? (guint64)own_ns / (1000000000u / (guint64)hz) : 0;
	busy = own < busy ? busy - own : 0;
	return (int)((total - busy) * 100 / total);
}
