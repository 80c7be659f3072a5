/* tests/unit/test_deliver_status.c - partner status reports: the signed
 * listener (libmicrohttpd) and the poller against tests/lib/fake_partner.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "common/util.h"
#include "deliver/http.h"
#include "deliver/notify.h"
#include "deliver/status.h"

typedef struct {
	char *dir, *outdir, *secret, *db;
	lg_config *cfg;
	lg_store *st;
} fx;

static const char *ids[] = {"0123456789abcdef", "00000000000000aa", "00000000000000bb"};

static int fx_setup(void **state)
{
	fx *f = g_new0(fx, 1);
	GError *err = NULL;
	GPtrArray *recs;
	lg_prisoner pr = {.alias = "ivan.petrov",
	                  .full_name = "Петров Иван",
	                  .birth_year = 1985,
	                  .region = "",
	                  .facility = "ИК-9",
	                  .status = "active"};
	gboolean dup = FALSE;

	f->dir = g_dir_make_tmp("lg-status-XXXXXX", NULL);
	f->outdir = g_build_filename(f->dir, "out", NULL);
	g_mkdir(f->outdir, 0700);
	f->secret = g_build_filename(f->dir, "http.secret", NULL);
	g_file_set_contents(f->secret, "s3cret\n", -1, NULL);
	g_chmod(f->secret, 0600);
	f->db = g_build_filename(f->dir, "lg.db", NULL);
	f->cfg = config_defaults();
	g_free(f->cfg->http_secret_file);
	f->cfg->http_secret_file = g_strdup(f->secret);
	g_free(f->cfg->status_listen);
	f->cfg->status_listen = g_strdup("127.0.0.1:0");
	f->cfg->notify_enabled = TRUE;
	g_free(f->cfg->sendmail);
	f->cfg->sendmail = g_strdup_printf(
	    "/bin/sh -c 'f=$(mktemp -p \"$0\" m.XXXXXX); cat > \"$f\"' %s", f->outdir);
	f->st = store_open(f->db, &err);
	assert_non_null(f->st);
	assert_true(store_prisoner_upsert(f->st, &pr, &err));
	recs = g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free);
	for (int i = 0; i < 3; i++) {
		lg_letter_rec *r = letter_rec_new();
		r->id = g_strdup(ids[i]);
		r->state = g_strdup(i == 2 ? "held" : "queued");
		r->dedup_key = g_strdup(ids[i]);
		r->writer_addr = g_strdup("anna@example.com");
		r->prisoner = g_strdup("ivan.petrov");
		r->text_ru = g_strdup("Привет");
		r->notify = TRUE;
		r->created = r->updated = util_now();
		g_ptr_array_add(recs, r);
	}
	assert_true(store_letters_commit(f->st, recs, &dup, &err));
	g_ptr_array_unref(recs);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	fx *f = *state;
	char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
	store_close(&f->st);
	config_unref(&f->cfg);
	g_assert_true(system(cmd) == 0);
	g_free(cmd);
	g_free(f->dir);
	g_free(f->outdir);
	g_free(f->secret);
	g_free(f->db);
	g_free(f);
	return 0;
}

static int count_files(fx *f)
{
	GDir *d = g_dir_open(f->outdir, 0, NULL);
	int n = 0;
	while (g_dir_read_name(d))
		n++;
	g_dir_close(d);
	return n;
}

static char *letter_state(fx *f, const char *id)
{
	lg_letter_rec *r = store_letter_get(f->st, id, FALSE, NULL);
	char *s = g_strdup(r ? r->state : "?");
	letter_rec_free(r);
	return s;
}

static lg_deliver_status post(const char *url, const char *secret, const char *body)
{
	partner_http *h = partner_http_new_raw(url, secret, 5000, NULL);
	lg_deliver_status s = partner_http_post(h, "x", body, strlen(body), NULL, NULL, NULL);
	partner_http_free(&h);
	return s;
}

static void test_listener(void **state)
{
	fx *f = *state;
	GError *err = NULL;
	lg_status *s = status_start(f->cfg, f->st, &err);
	char *url, *st, *body;
	lg_letter_rec *r;

	assert_non_null(s);
	assert_true(status_port(s) > 0);
	url = g_strdup_printf("http://127.0.0.1:%d/partner/status", status_port(s));

	body = g_strdup_printf("{\"id\":\"%s\",\"status\":\"delivered\",\"reason\":\"\"}", ids[0]);
	assert_int_equal(post(url, "s3cret", body), LG_DELIVER_OK);
	st = letter_state(f, ids[0]);
	assert_string_equal(st, "delivered");
	g_free(st);
	assert_int_equal(count_files(f), 1);
	/* a repeated report changes nothing and notifies nobody again */
	assert_int_equal(post(url, "s3cret", body), LG_DELIVER_OK);
	assert_int_equal(count_files(f), 1);
	g_free(body);

	/* a wrong signature is refused and changes nothing */
	body = g_strdup_printf("{\"id\":\"%s\",\"status\":\"censored\",\"reason\":\"x\"}", ids[1]);
	assert_int_equal(post(url, "wrong", body), LG_DELIVER_PERMANENT);
	st = letter_state(f, ids[1]);
	assert_string_equal(st, "queued");
	g_free(st);
	g_free(body);

	/* censored with the partner's reason */
	body = g_strdup_printf("{\"id\":\"%s\",\"status\":\"censored\","
	                       "\"reason\":\"упоминание уголовного дела\"}",
	                       ids[1]);
	assert_int_equal(post(url, "s3cret", body), LG_DELIVER_OK);
	r = store_letter_get(f->st, ids[1], FALSE, NULL);
	assert_string_equal(r->state, "censored");
	assert_string_equal(r->reason, "упоминание уголовного дела");
	letter_rec_free(r);
	assert_int_equal(count_files(f), 2);
	g_free(body);

	/* unknown letter, bad status, not JSON, held letter */
	assert_int_equal(
	    post(url, "s3cret", "{\"id\":\"ffffffffffffffff\",\"status\":\"delivered\"}"),
	    LG_DELIVER_PERMANENT);
	assert_int_equal(post(url, "s3cret", "{\"id\":\"0123456789abcdef\",\"status\":\"lost\"}"),
	                 LG_DELIVER_PERMANENT);
	assert_int_equal(post(url, "s3cret", "not json"), LG_DELIVER_PERMANENT);
	{
		const char *held = "{\"id\":\"00000000000000bb\",\"status\":\"delivered\"}";
		char *sig = http_signature("s3cret", held, strlen(held));
		char *error = NULL;
		assert_int_equal(
		    status_apply(f->cfg, f->st, "s3cret", held, strlen(held), sig, &error), 409);
		g_free(error);
		g_free(sig);
		assert_int_equal(status_apply(f->cfg, f->st, "s3cret", "{}", 2, NULL, &error), 401);
		g_free(error);
	}
	/* wrong path and method */
	g_free(url);
	url = g_strdup_printf("http://127.0.0.1:%d/other", status_port(s));
	assert_int_equal(post(url, "s3cret", "{}"), LG_DELIVER_PERMANENT);
	g_free(url);
	/* a body over the limit */
	{
		GString *big = g_string_new("{\"id\":\"0123456789abcdef\",\"reason\":\"");
		for (int i = 0; i < 70000; i++)
			g_string_append_c(big, 'x');
		g_string_append(big, "\"}");
		url = g_strdup_printf("http://127.0.0.1:%d/partner/status", status_port(s));
		assert_int_equal(post(url, "s3cret", big->str), LG_DELIVER_PERMANENT);
		g_string_free(big, TRUE);
		g_free(url);
	}
	status_stop(&s);
	assert_null(s);
}

static void test_listen_spec(void **state)
{
	fx *f = *state;
	GError *err = NULL;
	lg_status *s;
	g_free(f->cfg->status_listen);
	f->cfg->status_listen = g_strdup("localhost-ish");
	s = status_start(f->cfg, f->st, &err);
	assert_null(s);
	assert_non_null(err);
	g_clear_error(&err);
	g_free(f->cfg->status_listen);
	f->cfg->status_listen = g_strdup("[::1]:0");
	s = status_start(f->cfg, f->st, &err);
	if (s) /* no IPv6 in some containers */
		status_stop(&s);
	g_clear_error(&err);
	g_free(f->cfg->status_listen);
	f->cfg->status_listen = g_strdup("");
	s = status_start(f->cfg, f->st, &err); /* nothing configured: idle */
	assert_non_null(s);
	assert_int_equal(status_port(s), 0);
	status_stop(&s);
}

static int free_port(void)
{
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *a = g_inet_socket_address_new(lo, 0), *b;
	int port;
	g_socket_bind(s, a, TRUE, NULL);
	b = g_socket_get_local_address(s, NULL);
	port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(b));
	g_object_unref(b);
	g_object_unref(a);
	g_object_unref(lo);
	g_object_unref(s);
	return port;
}

static void test_poller(void **state)
{
	fx *f = *state;
	int port = free_port();
	char ports[16], *url, *st = NULL, *body;
	char *argv[] = {"python3",
	                "tests/lib/fake_partner.py",
	                "--port",
	                ports,
	                "--secret-file",
	                f->secret,
	                "--auto-status",
	                "delivered",
	                NULL};
	GPid pid;
	GError *err = NULL;
	lg_status *s;
	lg_deliver_status ds = LG_DELIVER_RETRY;

	g_snprintf(ports, sizeof(ports), "%d", port);
	assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
	                          NULL, NULL, &pid, NULL));
	/* hand the partner a letter; it queues a "delivered" report */
	url = g_strdup_printf("http://127.0.0.1:%d/letters", port);
	body = g_strdup_printf("{\"id\":\"%s\"}", ids[0]);
	for (int i = 0; i < 100 && ds != LG_DELIVER_OK; i++) {
		partner_http *h = partner_http_new_raw(url, "s3cret", 2000, NULL);
		ds = partner_http_post(h, ids[0], body, strlen(body), NULL, NULL, NULL);
		partner_http_free(&h);
		if (ds != LG_DELIVER_OK)
			g_usleep(50000);
	}
	assert_int_equal(ds, LG_DELIVER_OK);
	g_free(url);
	g_free(body);

	g_free(f->cfg->status_listen);
	f->cfg->status_listen = g_strdup("");
	g_free(f->cfg->status_poll_url);
	f->cfg->status_poll_url = g_strdup_printf("http://127.0.0.1:%d/status", port);
	f->cfg->poll_seconds = 1;
	s = status_start(f->cfg, f->st, &err);
	assert_non_null(s);
	for (int i = 0; i < 50; i++) {
		g_free(st);
		st = letter_state(f, ids[0]);
		if (!strcmp(st, "delivered"))
			break;
		g_usleep(100000);
	}
	assert_string_equal(st, "delivered");
	g_free(st);
	assert_int_equal(count_files(f), 1);
	/* drained: the next poll applies nothing */
	assert_int_equal(status_poll_once(s), 0);
	status_stop(&s);

	/* a poll URL that answers unsigned is ignored */
	g_free(f->cfg->status_poll_url);
	f->cfg->status_poll_url = g_strdup_printf("http://127.0.0.1:%d/_stats", port);
	f->cfg->poll_seconds = 3600;
	s = status_start(f->cfg, f->st, &err);
	assert_int_equal(status_poll_once(s), -1);
	status_stop(&s);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	g_spawn_close_pid(pid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_listener, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_listen_spec, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_poller, fx_setup, fx_teardown),
	};
	message_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
