/* tests/unit/test_deliver_smtp.c - the smtp partner: the MIME message and a
 * real SMTP exchange with the sink in tests/lib/fake_partner.py. */
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
#include "deliver/smtp.h"
#include "parser/message.h"

static lg_prisoner pr = {.alias = "ivan.petrov",
                         .full_name = "Петров Иван Сергеевич",
                         .birth_year = 1985,
                         .region = "Пермский край",
                         .facility = "ИК-9",
                         .status = "active"};

static lg_config *cfg_make(const char *url)
{
	lg_config *c = config_defaults();
	g_free(c->smtp_url);
	c->smtp_url = g_strdup(url);
	g_free(c->smtp_to);
	c->smtp_to = g_strdup("letters@partner.example");
	g_free(c->smtp_from);
	c->smtp_from = g_strdup("gateway@letters.example.org");
	g_free(c->domain);
	c->domain = g_strdup("letters.example.org");
	c->partner_timeout_ms = 5000;
	return c;
}

static lg_letter_rec *rec_make(void)
{
	lg_letter_rec *r = letter_rec_new();
	lg_photo *ph = g_new0(lg_photo, 1);
	r->id = g_strdup("0123456789abcdef");
	r->prisoner = g_strdup("ivan.petrov");
	r->writer_name = g_strdup("Anna Schmidt");
	r->writer_addr = g_strdup("anna.secret@example.com");
	r->text_ru = g_strdup("Здравствуйте, Иван! Держитесь.");
	r->text_original = g_strdup("Hallo Ivan");
	r->lang = g_strdup("de");
	r->created = 1700000000;
	ph->name = g_strdup("photo-1.jpg");
	ph->type = g_strdup("image/jpeg");
	ph->data = g_bytes_new_static("\xff\xd8\xff\xe0 fake jpeg", 15);
	g_strlcpy(ph->sha256, "00", sizeof(ph->sha256));
	g_ptr_array_add(r->photos, ph);
	return r;
}

static void test_mime(void **state)
{
	lg_config *c = cfg_make("smtp://127.0.0.1:2526");
	lg_letter_rec *r = rec_make();
	char *mime = smtp_letter_mime(c, r, &pr);
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(mime, strlen(mime));
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	GMimeMultipart *mp;
	char *text;

	assert_non_null(m);
	/* the writer's address never reaches the partner */
	assert_null(strstr(mime, "anna.secret"));
	assert_non_null(strstr(mime, "\r\n")); /* CRLF for SMTP */
	assert_string_equal(g_mime_message_get_message_id(m),
	                    "0123456789abcdef@letters.example.org");
	assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(m), "X-Lettergate-Letter"),
	                    "0123456789abcdef");
	assert_true(GMIME_IS_MULTIPART(g_mime_message_get_mime_part(m)));
	mp = GMIME_MULTIPART(g_mime_message_get_mime_part(m));
	assert_int_equal(g_mime_multipart_get_count(mp), 3);
	text = g_mime_text_part_get_text(GMIME_TEXT_PART(g_mime_multipart_get_part(mp, 0)));
	assert_non_null(strstr(text, "Здравствуйте, Иван! Держитесь."));
	assert_non_null(strstr(text, "Петров Иван Сергеевич"));
	g_free(text);
	assert_string_equal(g_mime_part_get_filename(GMIME_PART(g_mime_multipart_get_part(mp, 1))),
	                    "letter.json");
	assert_string_equal(g_mime_part_get_filename(GMIME_PART(g_mime_multipart_get_part(mp, 2))),
	                    "photo-1.jpg");
	g_object_unref(m);
	g_object_unref(p);
	g_object_unref(s);
	g_free(mime);
	letter_rec_free(r);
	config_unref(&c);
}

static void test_config(void **state)
{
	GError *err = NULL;
	lg_config *c = cfg_make("http://127.0.0.1:2526");
	assert_null(partner_smtp_new(c, &err));
	g_clear_error(&err);
	g_free(c->smtp_url);
	c->smtp_url = g_strdup("smtps://mail.partner.example");
	{
		partner_smtp *s = partner_smtp_new(c, &err);
		assert_non_null(s);
		partner_smtp_free(&s);
		assert_null(s);
	}
	g_free(c->smtp_to);
	c->smtp_to = g_strdup("");
	assert_null(partner_smtp_new(c, &err));
	g_clear_error(&err);
	config_unref(&c);
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

static GPid sink(const char *dir, int port, const char *code)
{
	char ports[16];
	char *argv[] = {"python3",    "tests/lib/fake_partner.py",
	                "smtp",       "--port",
	                ports,        "--dir",
	                (char *)dir,  "--code",
	                (char *)code, NULL};
	GPid pid;
	g_snprintf(ports, sizeof(ports), "%d", port);
	assert_true(g_spawn_async(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
	                          NULL, NULL, &pid, NULL));
	for (int i = 0; i < 100; i++) {
		GSocketClient *cl = g_socket_client_new();
		GSocketConnection *conn =
		    g_socket_client_connect_to_host(cl, "127.0.0.1", (guint16)port, NULL, NULL);
		g_object_unref(cl);
		if (conn) {
			g_object_unref(conn);
			break;
		}
		g_usleep(50000);
	}
	return pid;
}

static void stop(GPid pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	g_spawn_close_pid(pid);
}

static void test_deliver(void **state)
{
	char *dir = g_dir_make_tmp("lg-smtp-XXXXXX", NULL), *url, *eml = NULL, *env = NULL;
	char *path, *ref = NULL, *error = NULL, *cmd;
	int port = free_port();
	GPid pid = sink(dir, port, "250");
	lg_config *c;
	lg_letter_rec *r = rec_make();
	partner_smtp *s;

	url = g_strdup_printf("smtp://127.0.0.1:%d", port);
	c = cfg_make(url);
	s = partner_smtp_new(c, NULL);
	assert_int_equal(partner_smtp_deliver(s, r, &pr, &ref, NULL, &error), LG_DELIVER_OK);
	assert_string_equal(ref, "<0123456789abcdef@letters.example.org>");
	g_free(ref);
	/* the same handle again */
	assert_int_equal(partner_smtp_deliver(s, r, &pr, NULL, NULL, NULL), LG_DELIVER_OK);
	path = g_build_filename(dir, "1.eml", NULL);
	assert_true(g_file_get_contents(path, &eml, NULL, NULL));
	assert_non_null(strstr(eml, "photo-1.jpg"));
	assert_null(strstr(eml, "anna.secret"));
	g_free(path);
	path = g_build_filename(dir, "1.env", NULL);
	assert_true(g_file_get_contents(path, &env, NULL, NULL));
	assert_non_null(strstr(env, "gateway@letters.example.org"));
	assert_non_null(strstr(env, "letters@partner.example"));
	g_free(path);
	g_free(eml);
	g_free(env);
	partner_smtp_free(&s);
	stop(pid);

	/* 451 -> retry, 550 -> permanent, nobody there -> retry */
	pid = sink(dir, port, "451");
	s = partner_smtp_new(c, NULL);
	assert_int_equal(partner_smtp_deliver(s, r, &pr, NULL, NULL, &error), LG_DELIVER_RETRY);
	assert_non_null(strstr(error, "451"));
	g_clear_pointer(&error, g_free);
	partner_smtp_free(&s);
	stop(pid);
	pid = sink(dir, port, "550");
	s = partner_smtp_new(c, NULL);
	assert_int_equal(partner_smtp_deliver(s, r, &pr, NULL, NULL, &error), LG_DELIVER_PERMANENT);
	g_clear_pointer(&error, g_free);
	partner_smtp_free(&s);
	stop(pid);
	s = partner_smtp_new(c, NULL);
	assert_int_equal(partner_smtp_deliver(s, r, &pr, NULL, NULL, &error), LG_DELIVER_RETRY);
	assert_non_null(error);
	g_free(error);
	partner_smtp_free(&s);

	cmd = g_strdup_printf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	g_free(cmd);
	g_free(dir);
	g_free(url);
	letter_rec_free(r);
	config_unref(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mime),
	    cmocka_unit_test(test_config),
	    cmocka_unit_test(test_deliver),
	};
	message_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
