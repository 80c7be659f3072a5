/*
 * common/log.h - logging to syslog (mail facility) or stderr.
 *
 * Contract: log lines carry queue IDs, letter IDs, verdicts and rule names,
 * never letter text, attachment contents or the writer's words. Anything
 * that came from outside (addresses, file names) goes through
 * util_sanitize() first. Thread-safe.
 */
#ifndef LG_LOG_H
#define LG_LOG_H

#include <glib.h>

void log_init(const char *ident, gboolean to_stderr, gboolean debug);
void log_msg(int priority, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Lines above this syslog priority are dropped (default: info, or debug
 * when log_init() was asked for it). */
void log_set_max_priority(int priority);

#define lg_err(...) log_msg(3, __VA_ARGS__)
#define lg_warn(...) log_msg(4, __VA_ARGS__)
#define lg_info(...) log_msg(6, __VA_ARGS__)
#define lg_debug(...) log_msg(7, __VA_ARGS__)

#endif
