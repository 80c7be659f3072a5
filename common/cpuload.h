/*
 * common/cpuload.h - how busy the machine's CPUs were between two moments,
 * from the kernel's counters (/proc/stat, first line "cpu": the sum over all
 * CPUs, in clock ticks of sysconf(_SC_CLK_TCK)).
 *
 * The delivery threads use it to tell a burst of SMTP sessions that keeps the
 * CPUs busy from a steady light load that leaves them mostly idle.
 *
 * Contract:
 *  - cpuload_read() fills *s from path (NULL: /proc/stat); FALSE when the
 *    file is missing or not in the kernel's format (then *s is zeroed). No
 *    allocation, no logging: it runs every few tens of milliseconds.
 *  - Idle time is idle + iowait; everything else (user, nice, system, irq,
 *    softirq, steal) is busy: stolen time is not ours to use either.
 *  - cpuload_idle_percent() is the idle share between two samples, after
 *    counting own_ns of CPU time as idle: time this process spent on work
 *    that would have yielded (delivery), so that work does not make the
 *    machine look busy to itself. -1 when the window holds fewer than
 *    min_ticks ticks over all CPUs (too short to judge) or b is not after a.
 */
#ifndef LG_CPULOAD_H
#define LG_CPULOAD_H

#include <glib.h>

typedef struct {
	guint64 busy;  /* ticks, all CPUs */
	guint64 total; /* ticks, all CPUs */
	gint64 at;     /* g_get_monotonic_time() when read */
} lg_cpu_sample;

gboolean cpuload_read(const char *path, lg_cpu_sample *s);
int cpuload_idle_percent(const lg_cpu_sample *a, const lg_cpu_sample *b, gint64 own_ns,
                         guint64 min_ticks);

#endif
