/* tests/unit/test_deliver_http.c - the http partner: signature, status
 * classification, Retry-After, and real posts to tests/lib/fake_partner.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "deliver/http.h"

static void test_signature(void **state)
{
	/* RFC 4231 test case 2 */
	char *sig = http_signature("Jefe", "what do ya want for nothing?", 28);
	assert_string_equal(
	    sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	g_free(sig);
}

static void test_classify(void **state)
{
	assert_int_equal(http_classify(200), LG_DELIVER_OK);
	assert_int_equal(http_classify(201), LG_DELIVER_OK);
	assert_int_equal(http_classify(204), LG_DELIVER_OK);
	assert_int_equal(http_classify(408), LG_DELIVER_RETRY);
	assert_int_equal(http_classify(429), LG_DELIVER_RETRY);
	assert_int_equal(http_classify(500), LG_DELIVER_RETRY);
	assert_int_equal(http_classify(502), LG_DELIVER_RETRY);
	assert_int_equal(http_classify(503), LG_DELIVER_RETRY);
	assert_int_equal(http_classify(0), LG_DELIVER_RETRY);
	assert_int_equal(http_classify(400), LG_DELIVER_PERMANENT);
	assert_int_equal(http_classify(401), LG_DELIVER_PERMANENT);
	assert_int_equal(http_classify(404), LG_DELIVER_PERMANENT);
	assert_int_equal(http_classify(409), LG_DELIVER_PERMANENT);
	assert_int_equal(http_classify(422), LG_DELIVER_PERMANENT);
}

static void test_retry_after(void **state)
{
	gint64 now = 1700000000; /* Tue, 14 Nov 2023 22:13:20 GMT */
	assert_int_equal(http_retry_after("120", now), 120);
	assert_int_equal(http_retry_after(" 5 ", now), 5);
	assert_int_equal(http_retry_after("0", now), 0);
	assert_int_equal(http_retry_after("", now), 0);
	assert_int_equal(http_retry_after(NULL, now), 0);
	assert_int_equal(http_retry_after("soon", now), 0);
	assert_int_equal(http_retry_after("12abc", now), 0);
	assert_int_equal(http_retry_after("Tue, 14 Nov 2023 22:15:20 GMT", now), 120);
	assert_int_equal(http_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now), 0); /* past */
}

static void test_url_policy(void **state)
{
	GError *err = NULL;
	partner_http *h =
	    partner_http_new_raw("http://partner.example.org/letters", "s", 1000, &err);
	assert_null(h);
	assert_non_null(err);
	g_clear_error(&err);
	h = partner_http_new_raw("http://127.0.0.1:9/letters", "", 1000, &err);
	assert_null(h);
	g_clear_error(&err);
	h = partner_http_new_raw("https://partner.example.org/letters", "s", 1000, &err);
	assert_non_null(h);
	partner_http_free(&h);
	assert_null(h);
	h = partner_http_new_raw("http://127.0.0.1:9/letters", "s", 1000, &err);
	assert_non_null(h);
	partner_http_free(&h);
}

/* --- against the fake partner --- */

typedef struct {
	char *dir;
	char *secret_file;
	char *log;
	GPid pid;
	int port;
	char *base;
} fake;

static int free_port(void)
{
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *a = g_inet_socket_address_new(lo, 0);
	GSocketAddress *bound;
	int port;
	g_socket_bind(s, a, TRUE, NULL);
	bound = g_socket_get_local_address(s, NULL);
	port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	g_object_unref(bound);
	g_object_unref(a);
	g_object_unref(lo);
	g_object_unref(s);
	return port;
}

static int fake_setup(void **state)
{
	fake *f = g_new0(fake, 1);
	char port[16];
	char *argv[16];
	GError *err = NULL;
	int n = 0;

	if (!g_file_test("tests/lib/fake_partner.py", G_FILE_TEST_EXISTS))
		return -1;
	f->dir = g_dir_make_tmp("lg-http-XXXXXX", NULL);
	f->secret_file = g_build_filename(f->dir, "secret", NULL);
	f->log = g_build_filename(f->dir, "requests.jsonl", NULL);
	g_file_set_contents(f->secret_file, "s3cret\n", -1, NULL);
	f->port = free_port();
	g_snprintf(port, sizeof(port), "%d", f->port);
	argv[n++] = "python3";
	argv[n++] = "tests/lib/fake_partner.py";
	argv[n++] = "--port";
	argv[n++] = port;
	argv[n++] = "--secret-file";
	argv[n++] = f->secret_file;
	argv[n++] = "--log";
	argv[n++] = f->log;
	argv[n++] = "--hang-seconds";
	argv[n++] = "3";
	argv[n] = NULL;
	if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL,
	                   NULL, &f->pid, &err)) {
		g_clear_error(&err);
		return -1;
	}
	f->base = g_strdup_printf("http://127.0.0.1:%d", f->port);
	/* wait until it listens */
	for (int i = 0; i < 100; i++) {
		GSocketClient *c = g_socket_client_new();
		GSocketConnection *conn =
		    g_socket_client_connect_to_host(c, "127.0.0.1", (guint16)f->port, NULL, NULL);
		g_object_unref(c);
		if (conn) {
			g_object_unref(conn);
			break;
		}
		g_usleep(50000);
	}
	*state = f;
	return 0;
}

static int fake_teardown(void **state)
{
	fake *f = *state;
	kill(f->pid, SIGTERM);
	waitpid(f->pid, NULL, 0);
	g_spawn_close_pid(f->pid);
	g_unlink(f->secret_file);
	g_unlink(f->log);
	g_rmdir(f->dir);
	g_free(f->secret_file);
	g_free(f->log);
	g_free(f->dir);
	g_free(f->base);
	g_free(f);
	return 0;
}

static void control(fake *f, const char *json)
{
	char *url = g_strdup_printf("%s/_control", f->base);
	partner_http *h = partner_http_new_raw(url, "x", 5000, NULL);
	/* the control endpoint does not check signatures */
	partner_http_post(h, "ctl", json, strlen(json), NULL, NULL, NULL);
	partner_http_free(&h);
	g_free(url);
}

static int count_lines_with(const char *path, const char *needle)
{
	char *data = NULL;
	int n = 0;
	if (!g_file_get_contents(path, &data, NULL, NULL))
		return 0;
	for (char *p = data; (p = strstr(p, needle)) != NULL; p++)
		n++;
	g_free(data);
	return n;
}

static void test_post_ok_and_reuse(void **state)
{
	fake *f = *state;
	char *url = g_strdup_printf("%s/letters", f->base);
	GError *err = NULL;
	partner_http *h = partner_http_new_raw(url, "s3cret", 5000, &err);
	char *ref = NULL, *error = NULL;
	gint64 ra = -1;
	const char *body1 = "{\"id\":\"00000000000000a1\",\"text\":\"Привет\"}";
	const char *body2 = "{\"id\":\"00000000000000a2\",\"text\":\"Привет\"}";

	assert_non_null(h);
	assert_int_equal(
	    partner_http_post(h, "00000000000000a1", body1, strlen(body1), &ref, &ra, &error),
	    LG_DELIVER_OK);
	assert_string_equal(ref, "P-00000000000000a1");
	assert_int_equal(ra, 0);
	assert_null(error);
	g_free(ref);
	ref = NULL;
	/* the same handle again: idempotent repeat answered 200 */
	assert_int_equal(
	    partner_http_post(h, "00000000000000a1", body1, strlen(body1), &ref, NULL, NULL),
	    LG_DELIVER_OK);
	g_free(ref);
	assert_int_equal(
	    partner_http_post(h, "00000000000000a2", body2, strlen(body2), NULL, NULL, NULL),
	    LG_DELIVER_OK);
	assert_int_equal(count_lines_with(f->log, "\"sig_ok\": true"), 3);
	assert_int_equal(count_lines_with(f->log, "\"count\": 2"), 1);
	partner_http_free(&h);

	/* a wrong secret is refused by the partner: 401 -> permanent */
	h = partner_http_new_raw(url, "wrong", 5000, &err);
	assert_int_equal(
	    partner_http_post(h, "00000000000000a3", body1, strlen(body1), NULL, NULL, &error),
	    LG_DELIVER_PERMANENT);
	assert_non_null(strstr(error, "401"));
	g_free(error);
	partner_http_free(&h);
	g_free(url);
}

static void test_post_failures(void **state)
{
	fake *f = *state;
	char *url = g_strdup_printf("%s/letters", f->base);
	partner_http *h = partner_http_new_raw(url, "s3cret", 1000, NULL);
	const char *body = "{\"id\":\"00000000000000b1\"}";
	char *error = NULL;
	gint64 ra = 0;

	control(f, "{\"mode\":\"500\"}");
	assert_int_equal(
	    partner_http_post(h, "00000000000000b1", body, strlen(body), NULL, &ra, &error),
	    LG_DELIVER_RETRY);
	assert_non_null(strstr(error, "500"));
	g_clear_pointer(&error, g_free);

	control(f, "{\"mode\":\"429\",\"retry_after\":7}");
	assert_int_equal(
	    partner_http_post(h, "00000000000000b1", body, strlen(body), NULL, &ra, &error),
	    LG_DELIVER_RETRY);
	assert_int_equal(ra, 7);
	g_clear_pointer(&error, g_free);

	control(f, "{\"mode\":\"408\"}");
	assert_int_equal(
	    partner_http_post(h, "00000000000000b1", body, strlen(body), NULL, &ra, &error),
	    LG_DELIVER_RETRY);
	assert_int_equal(ra, 0);
	g_clear_pointer(&error, g_free);

	control(f, "{\"mode\":\"422\"}");
	assert_int_equal(
	    partner_http_post(h, "00000000000000b1", body, strlen(body), NULL, &ra, &error),
	    LG_DELIVER_PERMANENT);
	g_clear_pointer(&error, g_free);

	control(f, "{\"mode\":\"hang\"}");
	assert_int_equal(
	    partner_http_post(h, "00000000000000b1", body, strlen(body), NULL, &ra, &error),
	    LG_DELIVER_RETRY);
	assert_non_null(error);
	g_clear_pointer(&error, g_free);

	control(f, "{\"mode\":\"ok\"}");
	assert_int_equal(
	    partner_http_post(h, "00000000000000b1", body, strlen(body), NULL, &ra, &error),
	    LG_DELIVER_OK);
	assert_null(error);
	partner_http_free(&h);
	g_free(url);

	/* nobody listening */
	url = g_strdup_printf("http://127.0.0.1:%d/letters", free_port());
	h = partner_http_new_raw(url, "s3cret", 1000, NULL);
	assert_int_equal(
	    partner_http_post(h, "00000000000000b2", body, strlen(body), NULL, &ra, &error),
	    LG_DELIVER_RETRY);
	assert_non_null(error);
	g_free(error);
	partner_http_free(&h);
	g_free(url);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signature),
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_retry_after),
	    cmocka_unit_test(test_url_policy),
	    cmocka_unit_test_setup_teardown(test_post_ok_and_reuse, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(test_post_failures, fake_setup, fake_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
