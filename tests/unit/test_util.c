/* tests/unit/test_util.c - common/util: constant-time comparison used for
 * every signature check (HMAC of partner status reports and reply
 * addresses), HMAC-SHA256 against RFC 4231, sanitising for logs, UTF-8
 * repair. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <glib.h>

#include "common/util.h"

static void test_str_equal_ct(void **state)
{
	(void)state;
	assert_true(util_str_equal_ct("", ""));
	assert_true(util_str_equal_ct("abc", "abc"));
	assert_false(util_str_equal_ct("abc", "abd"));
	assert_false(util_str_equal_ct("abc", "ab"));
	assert_false(util_str_equal_ct("ab", "abc"));
	assert_false(util_str_equal_ct("", "a"));
	assert_false(util_str_equal_ct(NULL, "a"));
	assert_false(util_str_equal_ct("a", NULL));
	assert_false(util_str_equal_ct(NULL, NULL));
	/* a difference in the first or the last byte of a 64-char digest */
	{
		char a[65], b[65];
		memset(a, 'f', 64);
		a[64] = '\0';
		memcpy(b, a, 65);
		assert_true(util_str_equal_ct(a, b));
		b[0] = 'e';
		assert_false(util_str_equal_ct(a, b));
		b[0] = 'f';
		b[63] = 'e';
		assert_false(util_str_equal_ct(a, b));
	}
}

/* The comparison does not stop at the first differing byte: timing a
 * mismatch in byte 0 and in byte N-1 over long strings gives the same
 * order of time (a loose check: within a factor of 3, best of 5 runs). */
static double best_time(const char *a, const char *b)
{
	double best = 1e9;
	for (int r = 0; r < 5; r++) {
		gint64 t0 = g_get_monotonic_time();
		volatile gboolean sink = FALSE;
		for (int i = 0; i < 200; i++)
			sink ^= util_str_equal_ct(a, b);
		(void)sink;
		best = MIN(best, (double)(g_get_monotonic_time() - t0));
	}
	return best;
}

static void test_str_equal_ct_timing(void **state)
{
	const size_t n = 1 << 20;
	char *a = g_malloc(n + 1), *first = g_malloc(n + 1), *last = g_malloc(n + 1);
	double t_first, t_last;
	(void)state;
	memset(a, 'x', n);
	a[n] = '\0';
	memcpy(first, a, n + 1);
	memcpy(last, a, n + 1);
	first[0] = 'y';
	last[n - 1] = 'y';
	t_first = best_time(a, first);
	t_last = best_time(a, last);
	if (t_first * 3 < t_last)
		fail_msg("early mismatch %.0f us, late mismatch %.0f us: not constant time",
		         t_first, t_last);
	g_free(a);
	g_free(first);
	g_free(last);
}

/* RFC 4231 test case 2. */
static void test_hmac(void **state)
{
	char *h = util_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28);
	(void)state;
	assert_string_equal(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	assert_true(util_str_equal_ct(
	    h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
	g_free(h);
}

/* FIPS 180-2 test vectors, whole and in pieces, from several threads (the
 * digest is fetched once and shared). */
static gpointer sha256_thread(gpointer unused)
{
	const char *abc = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	gboolean ok = TRUE;
	(void)unused;
	for (int i = 0; i < 200 && ok; i++) {
		util_sha256 *h = util_sha256_new();
		char *a, *b;
		for (const char *p = abc; *p; p += 7)
			util_sha256_update(h, p, MIN(7, strlen(p)));
		a = util_sha256_finish_hex(h);
		b = util_sha256_hex(abc, strlen(abc));
		ok =
		    strcmp(a, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") ==
		        0 &&
		    strcmp(a, b) == 0;
		g_free(a);
		g_free(b);
	}
	return GINT_TO_POINTER(ok);
}

static void test_sha256(void **state)
{
	GThread *t[4];
	char *h = util_sha256_hex("abc", 3);
	(void)state;
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	g_free(h);
	h = util_sha256_finish_hex(util_sha256_new()); /* nothing hashed */
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	g_free(h);
	for (int i = 0; i < 4; i++)
		t[i] = g_thread_new("sha", sha256_thread, NULL);
	for (int i = 0; i < 4; i++)
		assert_true(GPOINTER_TO_INT(g_thread_join(t[i])));
}

static void test_sanitize_and_repair(void **state)
{
	char *s = util_sanitize("a\nb\x01\xd0\x96"
	                        "cdefghij",
	                        8);
	char *r;
	(void)state;
	for (const char *p = s; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	assert_true(strlen(s) <= 8 + 3);
	g_free(s);
	r = util_utf8_repair("a\0b", 3);
	assert_string_equal(r, "ab");
	g_free(r);
	r = util_utf8_repair("\xff\xfe ok \xc0", -1);
	assert_true(g_utf8_validate(r, -1, NULL));
	assert_non_null(strstr(r, " ok "));
	g_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_str_equal_ct),
	    cmocka_unit_test(test_str_equal_ct_timing),
	    cmocka_unit_test(test_hmac),
	    cmocka_unit_test(test_sha256),
	    cmocka_unit_test(test_sanitize_and_repair),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
