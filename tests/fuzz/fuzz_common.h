/*
 * tests/fuzz/fuzz_common.h - helpers shared by the libFuzzer targets.
 *
 * Targets are built by tests/fuzz/run.sh against build-fuzz/liblettergate.a
 * (clang, -fsanitize=fuzzer-no-link,address,undefined). LG_ROOT (compiled
 * in by run.sh, overridable by the environment) locates conf/rules.
 */
#ifndef LG_FUZZ_COMMON_H
#define LG_FUZZ_COMMON_H

#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

#ifndef LG_ROOT_DEFAULT
#define LG_ROOT_DEFAULT "."
#endif

static inline const char *fuzz_root(void)
{
	const char *r = getenv("LG_ROOT");
	return r && *r ? r : LG_ROOT_DEFAULT;
}

/* A private temp folder for the process, removed at exit. */
static char *fuzz_tmpdir_path;

static void fuzz_tmpdir_cleanup(void)
{
	if (fuzz_tmpdir_path) {
		GDir *d = g_dir_open(fuzz_tmpdir_path, 0, NULL);
		const char *n;
		while (d && (n = g_dir_read_name(d)) != NULL) {
			char *p = g_build_filename(fuzz_tmpdir_path, n, NULL);
			g_unlink(p);
			g_free(p);
		}
		if (d)
			g_dir_close(d);
		g_rmdir(fuzz_tmpdir_path);
	}
}

static inline const char *fuzz_tmpdir(void)
{
	if (fuzz_tmpdir_path == NULL) {
		fuzz_tmpdir_path = g_dir_make_tmp("lg-fuzz-XXXXXX", NULL);
		if (fuzz_tmpdir_path == NULL)
			abort();
		atexit(fuzz_tmpdir_cleanup);
	}
	return fuzz_tmpdir_path;
}

/* Writes data to DIR/name; aborts on failure (the fuzzer's own trouble). */
static inline char *fuzz_write(const char *name, const uint8_t *data, size_t size)
{
	char *p = g_build_filename(fuzz_tmpdir(), name, NULL);
	if (!g_file_set_contents(p, (const char *)data, (gssize)size, NULL))
		abort();
	return p;
}

/* GLib criticals are bugs in the caller; the default log handler only prints
 * them. Warnings and below from libraries are expected on garbage input. */
static void fuzz_quiet_log(const gchar *domain, GLogLevelFlags level, const gchar *msg,
                           gpointer data)
{
	(void)domain;
	(void)msg;
	(void)data;
	if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) {
		fprintf(stderr, "GLib critical: %s\n", msg);
		abort();
	}
}

static inline void fuzz_init_logging(void)
{
	g_log_set_default_handler(fuzz_quiet_log, NULL);
}

#endif
