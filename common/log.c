/* common/log.c - see log.h. */
#include "common/log.h"

#include <errno.h>
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
/* this process's id for stderr lines (getpid() is a system call each time),
 * forgotten in a child at fork */
static gint log_pid; /* g_atomic */

static void log_forget_pid(void)
{
	g_atomic_int_set(&log_pid, 0);
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
	{
		static const char *names[] = {"emerg",   "alert",  "crit", "error",
		                              "warning", "notice", "info", "debug"};
		static gsize hooked;
		char ts[32] = "", line[sizeof(buf) + 128];
		time_t now = time(NULL);
		struct tm tm;
		int n;
		if (gmtime_r(&now, &tm) != NULL)
			strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		if (g_once_init_enter(&hooked))
			g_once_init_leave(&hooked,
			                  pthread_atfork(NULL, NULL, log_forget_pid) == 0 ? 1 : 2);
		pid_t pid = (pid_t)g_atomic_int_get(&log_pid);
		if (pid == 0) {
			pid = getpid();
			g_atomic_int_set(&log_pid, (gint)pid);
		}
		/* One write(2) a line and no lock: a line is far below PIPE_BUF, so
		 * lines from concurrent sessions never mix (a mutex held over the
		 * write made the sessions queue behind each other's system call). */
		n = snprintf(line, sizeof(line), "%s %s[%d]: %s: %s\n", ts, log_ident, (int)pid,
		             names[priority & 7], buf);
		if (n > (int)sizeof(line) - 1) {
			n = (int)sizeof(line) - 1;
			line[n - 1] = '\n';
		}
		for (int off = 0; n > 0 && off < n;) {
			ssize_t w = write(STDERR_FILENO, line + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break; /* nowhere to log to: nothing better to do */
			off += (int)w;
		}
	}
}

void log_set_max_priority(int priority)
{
	log_max = priority;
}
