/* tests/unit/test_message.c - parser/message: limits, and the pre-scan that
 * keeps hostile parameters away from GMime 3.2.13 (issue #165: an endless,
 * memory-eating loop when GMime re-encodes a parameter with a 70..72-byte
 * name). Every test runs under an alarm: a loop is a failure, not a hang. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib/gstdio.h>

#include "parser/message.h"

static const lg_limits LIM = {.header_bytes = 262144,
                              .mime_depth = 20,
                              .mime_parts = 200,
                              .text_chars = 20000,
                              .parse_seconds = 10};

static const char *HEAD = "From: Anna <anna@example.net>\r\n"
                          "To: ivan.petrov@letters.example.org\r\n"
                          "Subject: test\r\n"
                          "MIME-Version: 1.0\r\n";

static lg_message *parse_mem(const char *data, gsize len, const lg_limits *lim, GError **err)
{
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(data, len);
	lg_message *m;
	alarm(20); /* the #165 loop would otherwise hang the suite */
	m = message_parse(st, lim ? lim : &LIM, err);
	alarm(0);
	g_object_unref(st);
	return m;
}

static lg_message *parse_str(const char *s, GError **err)
{
	return parse_mem(s, strlen(s), NULL, err);
}

static void expect_error(const char *msg, int code, const char *words)
{
	GError *e = NULL;
	lg_message *m = parse_str(msg, &e);
	assert_null(m);
	assert_non_null(e);
	assert_true(e->domain == LG_MESSAGE_ERROR);
	assert_int_equal(e->code, code);
	if (words && strstr(e->message, words) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", e->message, words);
	g_error_free(e);
}

static char *repeat(const char *s, int n)
{
	GString *g = g_string_new(NULL);
	for (int i = 0; i < n; i++)
		g_string_append(g, s);
	return g_string_free(g, FALSE);
}

/* The input from GMime issue #165: a multipart without a boundary and a
 * 72-byte non-ASCII parameter name. The old post-parse check called
 * g_mime_multipart_get_boundary(), which set a boundary and looped. */
static void test_gmime165_original(void **state)
{
	char *name = repeat("\xd1\x9c", 36);
	char *msg = g_strdup_printf(
	    "%sContent-Type: multipart/mixed;\r\n %s=\"\xd1\x9c\"\r\n\r\nbody\r\n", HEAD, name);
	(void)state;
	expect_error(msg, LG_MSG_ERR_UNREADABLE, "parameter name");
	g_free(msg);
	g_free(name);
}

/* Every name length that makes no progress in g_mime_param_list_encode
 * (70, 71, 72 bytes), ASCII names, long ASCII values (also RFC 2231 encoded
 * by GMime), in Content-Type and Content-Disposition, at the top and in a
 * part. */
static void test_gmime165_variants(void **state)
{
	(void)state;
	for (int n = 65; n <= 80; n++) {
		char *name = repeat("x", n);
		char *longv = repeat("v", 100);
		char *m1 = g_strdup_printf(
		    "%sContent-Type: multipart/mixed; %s=\"\xc3\xa9\"\r\n\r\nx\r\n", HEAD, name);
		char *m2 =
		    g_strdup_printf("%sContent-Type: text/plain\r\nContent-Disposition: inline;\r\n"
		                    "\t%s=%s\r\n\r\nx\r\n",
		                    HEAD, name, longv);
		char *m3 = g_strdup_printf(
		    "%sContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
		    "Content-Type: multipart/alternative; (comment) %s*0*=utf-8''%%D1%%9C\r\n"
		    "\r\nx\r\n--zz--\r\n",
		    HEAD, name);
		expect_error(m1, LG_MSG_ERR_UNREADABLE, "parameter name");
		expect_error(m2, LG_MSG_ERR_UNREADABLE, "parameter name");
		expect_error(m3, LG_MSG_ERR_UNREADABLE, "parameter name");
		g_free(m1);
		g_free(m2);
		g_free(m3);
		g_free(longv);
		g_free(name);
	}
}

/* Names up to 64 bytes are fine, and ordinary long RFC 2231 file names parse. */
static void test_param_names_ok(void **state)
{
	char *name = repeat("n", 64);
	char *msg = g_strdup_printf(
	    "%sContent-Type: multipart/mixed; boundary=\"b1\"; %s=\"\xc3\xa9\"\r\n\r\n"
	    "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nПривет\r\n"
	    "--b1\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment;\r\n filename*0*=utf-8''%%D0%%BF%%D0%%B8%%D1%%81;\r\n"
	    " filename*1*=%%D1%%8C%%D0%%BC%%D0%%BE.txt\r\n\r\nabc\r\n--b1--\r\n",
	    HEAD, name);
	GError *e = NULL;
	lg_message *m = parse_str(msg, &e);
	(void)state;
	assert_null(e);
	assert_non_null(m);
	assert_string_equal(m->plain, "Привет");
	assert_int_equal(m->parts->len, 1);
	assert_string_equal(((lg_part *)g_ptr_array_index(m->parts, 0))->filename, "письмо.txt");
	message_free(&m);
	g_free(msg);
	g_free(name);
}

/* A multipart without a boundary is read (as GMime can) without looping. */
static void test_multipart_without_boundary(void **state)
{
	char *msg = g_strdup_printf("%sContent-Type: multipart/mixed; charset=\"\xd1\x9c\"\r\n\r\n"
	                            "text\r\n",
	                            HEAD);
	GError *e = NULL;
	lg_message *m = parse_str(msg, &e);
	(void)state;
	assert_null(e);
	assert_non_null(m);
	message_free(&m);
	g_free(msg);
}

/* No text part at all: the writer's words before the first boundary (or in
 * a ".txt" file sent as bytes) are the letter; a client's MIME notice and
 * raw part headers are not. */
static lg_message *parse_ok(const char *fmt, const char *body)
{
	char *msg = g_strdup_printf(fmt, HEAD, body);
	GError *e = NULL;
	lg_message *m = parse_str(msg, &e);
	assert_null(e);
	assert_non_null(m);
	g_free(msg);
	return m;
}

static void test_text_outside_parts(void **state)
{
	lg_message *m;
	(void)state;
	/* a multipart whose boundary never comes */
	m = parse_ok("%sContent-Type: multipart/report; boundary=\"zz\"\r\n\r\n%s",
	             "Dear Ivan, we all think of you.\r\n");
	assert_non_null(strstr(m->plain, "Dear Ivan, we all think of you."));
	message_free(&m);
	/* before the first boundary, a text attachment after it: the words win */
	m = parse_ok("%sContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n%s",
	             "Dear Ivan, hold on.\r\n\r\n--zz\r\nContent-Type: text/plain\r\n"
	             "Content-Disposition: attachment; filename=a.txt\r\n\r\nsent from my "
	             "phone\r\n--zz--\r\n");
	assert_non_null(strstr(m->plain, "Dear Ivan, hold on."));
	assert_null(strstr(m->plain, "phone"));
	message_free(&m);
	/* only the client's notice: no text */
	m = parse_ok("%sContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n%s",
	             "This is a multi-part message in MIME format.\r\n\r\n--zz\r\n"
	             "Content-Type: image/gif\r\n\r\nGIF89a\r\n--zz--\r\n");
	assert_string_equal(m->plain, "");
	message_free(&m);
	/* a boundary that does not match: raw MIME structure is not a letter */
	m = parse_ok("%sContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n%s",
	             "--yy\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n"
	             "\r\nPGI+SGk8L2I+\r\n--yy--\r\n");
	assert_string_equal(m->plain, "");
	message_free(&m);
	/* a signed or encrypted message's notice never stands in for it */
	m = parse_ok("%sContent-Type: multipart/encrypted; boundary=\"zz\";"
	             " protocol=\"application/pgp-encrypted\"\r\n\r\n%s",
	             "This is an encrypted message.\r\n--zz\r\nContent-Type: "
	             "application/pgp-encrypted\r\n\r\nVersion: 1\r\n--zz--\r\n");
	assert_string_equal(m->plain, "");
	assert_true(m->encrypted_only);
	message_free(&m);
	/* a ".txt" sent as application/octet-stream, in windows-1251 */
	m = parse_ok("%sContent-Type: application/octet-stream; name=\"letter.txt\"\r\n"
	             "Content-Transfer-Encoding: base64\r\n\r\n%s",
	             "z/Do4uXyLCDI4uDtIQ==\r\n"); /* "Привет, Иван!" */
	assert_string_equal(m->plain, "Привет, Иван!");
	message_free(&m);
}

/* The writer's name and the subject sent as raw 8-bit bytes: read in the
 * charset the text declares when it is not a Latin one and reads them, else
 * by the same guess as unlabelled text, not as Latin-1 (the name is printed
 * on the letter). */
static void test_raw_8bit_headers(void **state)
{
	static const struct {
		const char *from, *subject, *charset, *want_name, *want_subject, *body;
	} cases[] = {
	    {"Ольга Смирнова", "Привет из Твери", "WINDOWS-1251", "Ольга Смирнова",
	     "Привет из Твери", "utf-8"},
	    {"Ольга Смирнова", "Привет из Твери", "KOI8-R", "Ольга Смирнова", "Привет из Твери",
	     "utf-8"},
	    {"José Müller", "Grüße aus München", "WINDOWS-1252", "José Müller", "Grüße aus München",
	     "utf-8"},
	    {"Ольга Смирнова", "Привет из Твери", "UTF-8", "Ольга Смирнова", "Привет из Твери",
	     "utf-8"},
	    /* in the charset the text declares, which the guess cannot tell */
	    {"김민지", "서울에서 안부를 전합니다", "EUC-KR", "김민지", "서울에서 안부를 전합니다",
	     "euc-kr"},
	    {"山田花子", "東京からこんにちは", "SHIFT_JIS", "山田花子", "東京からこんにちは",
	     "shift_jis"},
	    {"王小明", "来自北京的问候", "GB2312", "王小明", "来自北京的问候", "gb2312"},
	    {"Ελένη", "Χαιρετισμούς από την Αθήνα", "WINDOWS-1253", "Ελένη",
	     "Χαιρετισμούς από την Αθήνα", "windows-1253"},
	    /* a Latin-1 text says nothing about a Russian name beside it */
	    {"Ольга Смирнова", "Привет из Твери", "WINDOWS-1251", "Ольга Смирнова",
	     "Привет из Твери", "iso-8859-1"},
	    /* bytes the declared charset cannot read: the guess */
	    {"Ольга Смирнова", "Привет из Твери", "KOI8-R", "Ольга Смирнова", "Привет из Твери",
	     "shift_jis"},
	};
	(void)state;
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *name =
		    g_convert(cases[i].from, -1, cases[i].charset, "UTF-8", NULL, NULL, NULL);
		char *subj =
		    g_convert(cases[i].subject, -1, cases[i].charset, "UTF-8", NULL, NULL, NULL);
		char *msg = g_strdup_printf("From: %s <olga.smirnova@example.net>\r\n"
		                            "To: ivan.petrov@letters.example.org\r\n"
		                            "Subject: %s =?utf-8?q?=E2=84=961?=\r\n"
		                            "MIME-Version: 1.0\r\n"
		                            "Content-Type: text/plain; charset=%s\r\n\r\nhi\r\n",
		                            name, subj, cases[i].body);
		char *want = g_strdup_printf("%s №1", cases[i].want_subject);
		GError *e = NULL;
		lg_message *m = parse_str(msg, &e);
		assert_null(e);
		assert_non_null(m);
		assert_string_equal(m->from_name, cases[i].want_name);
		assert_string_equal(m->from_addr, "olga.smirnova@example.net");
		assert_string_equal(m->subject, want);
		message_free(&m);
		g_free(want);
		g_free(msg);
		g_free(name);
		g_free(subj);
	}
}

static void test_boundaries(void **state)
{
	GError *e = NULL;
	lg_message *m;
	char *msg;
	(void)state;
	/* two different boundaries: two readers, two letters */
	msg = g_strdup_printf("%sContent-Type: multipart/mixed; boundary=\"aaa\";\r\n"
	                      " boundary=\"bbb\"\r\n\r\n--aaa\r\n\r\nx\r\n--aaa--\r\n",
	                      HEAD);
	expect_error(msg, LG_MSG_ERR_UNREADABLE, "conflicting");
	g_free(msg);
	/* the same boundary twice is harmless */
	msg = g_strdup_printf(
	    "%sContent-Type: multipart/mixed; boundary=aaa; BOUNDARY=\"aaa\"\r\n\r\n"
	    "--aaa\r\nContent-Type: text/plain\r\n\r\nhello\r\n--aaa--\r\n",
	    HEAD);
	m = parse_str(msg, &e);
	assert_null(e);
	assert_non_null(m);
	assert_string_equal(m->plain, "hello");
	message_free(&m);
	g_free(msg);
	/* RFC 2231 boundary pieces */
	msg =
	    g_strdup_printf("%sContent-Type: multipart/mixed; boundary*0=aa; boundary*1=bb\r\n\r\n"
	                    "--aabb\r\n\r\nx\r\n--aabb--\r\n",
	                    HEAD);
	expect_error(msg, LG_MSG_ERR_UNREADABLE, "boundary");
	g_free(msg);
	/* control characters and over-long boundaries */
	msg = g_strdup_printf("%sContent-Type: multipart/mixed; boundary=\"a\x01b\"\r\n\r\nx\r\n",
	                      HEAD);
	expect_error(msg, LG_MSG_ERR_UNREADABLE, "boundary");
	g_free(msg);
	{
		char *b = repeat("b", 201);
		msg = g_strdup_printf("%sContent-Type: multipart/mixed; boundary=%s\r\n\r\nx\r\n",
		                      HEAD, b);
		expect_error(msg, LG_MSG_ERR_UNREADABLE, "boundary");
		g_free(msg);
		g_free(b);
	}
}

/* A Content-Type field of more than 64 KB, and a bad name that straddles the
 * pre-scan's 64 KB read buffer, after a 200 KB line. */
static void test_long_fields(void **state)
{
	char *pad = repeat("y", 200 * 1024);
	char *many = repeat(" ;a=b", 14000);
	char *name = repeat("z", 71);
	GString *g = g_string_new(HEAD);
	(void)state;
	g_string_append_printf(g, "Content-Type: text/plain;%s\r\n\r\nx\r\n", many);
	expect_error(g->str, LG_MSG_ERR_UNREADABLE, "longer than");
	g_string_assign(g, HEAD);
	g_string_append_printf(g, "X-Pad: %s\r\n", pad);
	while (g->len < 3 * 65536 + 65500)
		g_string_append(g, "X-Fill: fill fill fill fill fill fill\r\n");
	g_string_append_printf(g, "Content-Type: text/plain;\r\n  %s=\"\xc3\xa9\"\r\n\r\nx\r\n",
	                       name);
	expect_error(g->str, LG_MSG_ERR_UNREADABLE, "parameter name");
	g_string_free(g, TRUE);
	g_free(name);
	g_free(many);
	g_free(pad);
}

/* Deep nesting is refused from the pre-scan's container count, quickly, and
 * the message limits below it still hold. */
static void test_nesting_and_parts(void **state)
{
	GString *g = g_string_new(HEAD);
	GError *e = NULL;
	gint64 t0;
	(void)state;
	g_string_append(g, "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
	for (int i = 1; i < 100000; i++)
		g_string_append_printf(
		    g, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i - 1,
		    i);
	t0 = g_get_monotonic_time();
	expect_error(g->str, LG_MSG_ERR_MIME_PARTS, "parts");
	assert_true(g_get_monotonic_time() - t0 < 5 * G_USEC_PER_SEC);
	g_string_free(g, TRUE);

	/* 25 levels: under the part limit, over the depth limit */
	g = g_string_new(HEAD);
	g_string_append(g, "Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
	for (int i = 1; i < 25; i++)
		g_string_append_printf(
		    g, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i - 1,
		    i);
	expect_error(g->str, LG_MSG_ERR_MIME_DEPTH, "nested");
	g_string_free(g, TRUE);

	/* many leaves */
	g = g_string_new(HEAD);
	g_string_append(g, "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
	for (int i = 0; i < 500; i++)
		g_string_append(g, "--b\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n");
	g_string_append(g, "--b--\r\n");
	expect_error(g->str, LG_MSG_ERR_MIME_PARTS, "parts");
	g_string_free(g, TRUE);
	(void)e;
}

static void test_header_bytes(void **state)
{
	GString *g = g_string_new(HEAD);
	(void)state;
	for (int i = 0; i < 10000; i++)
		g_string_append_printf(g, "X-H%d: some value here\r\n", i);
	g_string_append(g, "\r\nbody\r\n");
	expect_error(g->str, LG_MSG_ERR_HEADER_BYTES, "headers");
	g_string_free(g, TRUE);
}

/* NUL bytes are dropped, invalid UTF-8 repaired, broken encoded words kept
 * readable; the pre-scan leaves the stream where GMime expects it (memory
 * and file streams). */
static void test_nul_and_utf8(void **state)
{
	static const char msg[] = "From: =?utf-8?Q?=FF=FE?= <a@example.net>\r\n"
	                          "Subject: =?utf-8?B?!!!?= \xff =?utf-8?Q?=D0?=\r\n"
	                          "Content-Type: text/plain; charset=utf-8\r\n\r\n"
	                          "Пр\0ивет \xff\xfe\xc0\xaf конец\r\n";
	GError *e = NULL;
	lg_message *m = parse_mem(msg, sizeof(msg) - 1, NULL, &e);
	char *path;
	(void)state;
	assert_null(e);
	assert_non_null(m);
	assert_true(g_utf8_validate(m->plain, -1, NULL));
	assert_true(g_utf8_validate(m->subject, -1, NULL));
	assert_true(g_utf8_validate(m->from_name, -1, NULL));
	assert_non_null(strstr(m->plain, "Привет"));
	assert_non_null(strstr(m->plain, "конец"));
	message_free(&m);

	path = g_build_filename(g_get_tmp_dir(), "lg-test-message-XXXXXX", NULL);
	{
		int fd = g_mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, msg, sizeof(msg) - 1), (ssize_t)(sizeof(msg) - 1));
		close(fd);
	}
	m = message_parse_file(path, &LIM, &e);
	assert_null(e);
	assert_non_null(m);
	assert_non_null(strstr(m->plain, "конец"));
	message_free(&m);
	g_unlink(path);
	g_free(path);
}

/* A message parsed from a stream that is not at offset 0 (the pre-scan
 * must rewind to where it started, not to 0). */
static void test_stream_offset(void **state)
{
	static const char data[] = "JUNKJUNK"
	                           "Subject: s\r\nContent-Type: text/plain\r\n\r\nbody text\r\n";
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(data, sizeof(data) - 1);
	GError *e = NULL;
	lg_message *m;
	(void)state;
	g_mime_stream_seek(st, 8, GMIME_STREAM_SEEK_SET);
	m = message_parse(st, &LIM, &e);
	assert_null(e);
	assert_non_null(m);
	assert_string_equal(m->subject, "s");
	assert_string_equal(m->plain, "body text\r\n");
	message_free(&m);
	g_object_unref(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gmime165_original),
	    cmocka_unit_test(test_gmime165_variants),
	    cmocka_unit_test(test_param_names_ok),
	    cmocka_unit_test(test_multipart_without_boundary),
	    cmocka_unit_test(test_text_outside_parts),
	    cmocka_unit_test(test_raw_8bit_headers),
	    cmocka_unit_test(test_boundaries),
	    cmocka_unit_test(test_long_fields),
	    cmocka_unit_test(test_nesting_and_parts),
	    cmocka_unit_test(test_header_bytes),
	    cmocka_unit_test(test_nul_and_utf8),
	    cmocka_unit_test(test_stream_offset),
	};
	message_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
