/* tests/unit/test_config_secret.c - conf/config: secret files (partner HMAC
 * key, reply key, translator keys) are refused when group or others may
 * read them, by config_read_secret() and by config_check_runtime() (which
 * `lettergated -n` and start-up run). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "conf/config.h"

static char *dir;

static char *write_file(const char *name, const char *text, int mode)
{
	char *p = g_build_filename(dir, name, NULL);
	assert_true(g_file_set_contents(p, text, -1, NULL));
	assert_int_equal(chmod(p, (mode_t)mode), 0);
	return p;
}

static void test_read_secret_modes(void **state)
{
	static const int bad[] = {0644, 0640, 0604, 0660, 0606, 0700 | 0004, 0620, 0602};
	GError *e = NULL;
	char *p = write_file("key", "s3cret\nsecond line\n", 0600);
	char *s = config_read_secret(p, &e);
	(void)state;
	assert_null(e);
	assert_string_equal(s, "s3cret");
	g_free(s);
	assert_int_equal(chmod(p, 0400), 0);
	s = config_read_secret(p, &e);
	assert_string_equal(s, "s3cret");
	g_free(s);
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		assert_int_equal(chmod(p, (mode_t)bad[i]), 0);
		s = config_read_secret(p, &e);
		assert_null(s);
		assert_non_null(e);
		assert_non_null(strstr(e->message, "readable by group or others"));
		g_clear_error(&e);
	}
	g_unlink(p);
	g_free(p);
}

static void test_read_secret_bad_files(void **state)
{
	GError *e = NULL;
	char *p = write_file("empty", "  \n", 0600);
	char *missing = g_build_filename(dir, "missing", NULL);
	(void)state;
	assert_null(config_read_secret(p, &e));
	assert_non_null(e);
	g_clear_error(&e);
	assert_null(config_read_secret(missing, &e));
	assert_non_null(e);
	g_clear_error(&e);
	assert_null(config_read_secret("", &e));
	assert_non_null(e);
	g_clear_error(&e);
	/* a symbolic link to a world-readable file is judged by the file */
	{
		char *target = write_file("target", "k", 0644);
		char *link = g_build_filename(dir, "link", NULL);
		assert_int_equal(symlink(target, link), 0);
		assert_null(config_read_secret(link, &e));
		assert_non_null(e);
		g_clear_error(&e);
		g_unlink(link);
		g_unlink(target);
		g_free(link);
		g_free(target);
	}
	g_unlink(p);
	g_free(p);
	g_free(missing);
}

/* A configuration naming a secret file: loads (paths only), but the runtime
 * check refuses it while the file is readable by others. */
static void test_check_runtime(void **state)
{
	const char *keys[][2] = {{"delivery", "http_secret_file"},
	                         {"gateway", "reply_secret_file"},
	                         {"translate", "deepl_key_file"},
	                         {"translate", "libretranslate_key_file"}};
	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		char *secret = write_file("secret", "k3y", 0644);
		char *ini = g_strdup_printf("[%s]\n%s = %s\n", keys[i][0], keys[i][1], secret);
		char *conf = write_file("lg.conf", ini, 0644);
		GError *e = NULL;
		lg_config *cfg = config_load(conf, &e);
		if (cfg == NULL)
			fail_msg("%s.%s: %s", keys[i][0], keys[i][1], e ? e->message : "?");
		assert_false(config_check_runtime(cfg, &e));
		assert_non_null(e);
		assert_non_null(strstr(e->message, secret));
		g_clear_error(&e);
		assert_int_equal(chmod(secret, 0600), 0);
		assert_true(config_check_runtime(cfg, &e));
		assert_null(e);
		config_unref(&cfg);
		g_unlink(conf);
		g_unlink(secret);
		g_free(conf);
		g_free(ini);
		g_free(secret);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_secret_modes),
	    cmocka_unit_test(test_read_secret_bad_files),
	    cmocka_unit_test(test_check_runtime),
	};
	int rc;
	dir = g_dir_make_tmp("lg-test-config-XXXXXX", NULL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	g_rmdir(dir);
	g_free(dir);
	return rc;
}
