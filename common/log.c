/* common/log.c - see log.h. */
#include "common/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static gboolean log_stderr = TRUE;
static gboolean log_debug_on = FALSE;
static int log_max = LOG_INFO;
static char log_ident[32] = "lettergate";
static GMutex log_lock;
/* this process's id for stderr lines (getpid() is a system call each time),
 * forgotten in a child at fork */
static pid_t log_pid;

static void log_forget_pid(void)
{
	log_pid = 0;
}

void log_init(const char *ident, gboolean to_stderr, gboolean debug)
{
	g_strlcpy(log_ident, ident ? ident : "lettergate", sizeof(log_ident));
	log_stderr = to_stderr;
	log_debug_on = debug;
	log_max = debug ? LOG_DEBUG : LOG_INFO;
	if (!to_stderr)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;
	char buf[2048];

	if (priority > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap); /* truncation is fine for a log line */
	va_end(ap);
	if (!log_stderr) {
		syslog(priority, "%s", buf);
		return;
	}
	g_mutex_lock(&log_lock);
	{
		static const char *names[] = {"emerg",   "alert",  "crit", "error",
		                              "warning", "notice", "info", "debug"};
		char ts[32] = "";
		time_t now = time(NULL);
		struct tm tm;
		if (gmtime_r(&now, &tm) != NULL)
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		if (log_pid == 0) {
			static gboolean hooked; /* under log_lock */
			if (!hooked)
				hooked = pthread_atfork(NULL, NULL, log_forget_pid) == 0;
			log_pid = getpid();
		}
		fprintf(stderr, "%s %s[%d]: %s: %s\n", ts, log_ident, (int)log_pid,
		        names[priority & 7], buf);
		fflush(stderr);
	}
	g_mutex_unlock(&log_lock);
}

void log_set_max_priority(int priority)
{
	log_max = priority;
}
