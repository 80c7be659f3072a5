/* tests/unit/test_deliver_notify.c - trust decisions from
 * Authentication-Results, RFC 3834 notifications (headers, once per letter
 * and state, retries), reply tokens and reply forwarding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "common/util.h"
#include "deliver/notify.h"
#include "deliver/partner.h"

/* ---------------------------------------------------------- trust */

static lg_config *cfg_base(void)
{
	lg_config *c = config_defaults();
	return c;
}

static lg_config *cfg_with(const char *authserv, const char *trusted)
{
	lg_config *c = cfg_base();
	g_free(c->authserv_id);
	c->authserv_id = g_strdup(authserv);
	g_free(c->trusted_writers);
	c->trusted_writers = g_strdup(trusted);
	return c;
}

static lg_message *msg_make(const char *from, const char *auto_sub, gboolean list, ...)
{
	lg_message *m = g_new0(lg_message, 1);
	va_list ap;
	const char *ar;
	m->from_addr = g_strdup(from);
	m->auto_submitted = g_strdup(auto_sub ? auto_sub : "");
	m->is_list = list;
	m->auth_results = g_ptr_array_new_with_free_func(g_free);
	va_start(ap, list);
	while ((ar = va_arg(ap, const char *)) != NULL)
		g_ptr_array_add(m->auth_results, g_strdup(ar));
	va_end(ap);
	return m;
}

static void msg_drop(lg_message *m)
{
	g_free(m->from_addr);
	g_free(m->auto_submitted);
	g_ptr_array_unref(m->auth_results);
	g_free(m);
}

#define AS "mx.letters.example.org"

static gboolean trusted(lg_config *c, lg_message *m)
{
	gboolean t = notify_writer_trusted(c, m);
	msg_drop(m);
	return t;
}

static void test_trust_auth_results(void **state)
{
	lg_config *c = cfg_with(AS, "");

	assert_true(
	    trusted(c, msg_make("anna@gmail.com", NULL, FALSE,
	                        AS "; dmarc=pass (p=none dis=none) header.from=gmail.com", NULL)));
	assert_true(trusted(c, msg_make("anna@gmail.com", NULL, FALSE, AS "; dmarc=pass", NULL)));
	/* dmarc for another From domain */
	assert_false(trusted(c, msg_make("anna@gmail.com", NULL, FALSE,
	                                 AS "; dmarc=pass header.from=evil.example", NULL)));
	assert_false(trusted(c, msg_make("anna@gmail.com", NULL, FALSE,
	                                 AS "; dmarc=fail header.from=gmail.com", NULL)));
	/* dkim for the From domain, with comments and folding */
	assert_true(trusted(c, msg_make("bob@example.com", NULL, FALSE,
	                                AS " (Postfix);\r\n\tdkim=pass (2048-bit key; unprotected)"
	                                   " header.d=example.com header.i=@example.com"
	                                   " header.s=s1 header.b=\"AbC\";\r\n\tspf=fail",
	                                NULL)));
	assert_true(trusted(c, msg_make("bob@example.com", NULL, FALSE,
	                                AS "; dkim = pass header.i=bob@Example.COM", NULL)));
	/* dkim pass, but for somebody else's domain */
	assert_false(trusted(c, msg_make("bob@example.com", NULL, FALSE,
	                                 AS "; dkim=pass header.d=mailgun.example", NULL)));
	assert_false(trusted(c, msg_make("bob@example.com", NULL, FALSE,
	                                 AS "; dkim=fail header.d=example.com", NULL)));
	/* spf for the From domain */
	assert_true(trusted(c, msg_make("bob@example.com", NULL, FALSE,
	                                AS "; spf=pass smtp.mailfrom=bounce@example.com", NULL)));
	assert_true(trusted(c, msg_make("bob@example.com", NULL, FALSE,
	                                AS "; spf=pass smtp.mailfrom=example.com", NULL)));
	assert_false(trusted(c, msg_make("bob@example.com", NULL, FALSE,
	                                 AS "; spf=pass smtp.mailfrom=x@other.example", NULL)));
	assert_false(trusted(c, msg_make("bob@example.com", NULL, FALSE,
	                                 AS "; spf=softfail smtp.mailfrom=example.com", NULL)));
	/* a header from another authserv-id counts for nothing */
	assert_false(trusted(c, msg_make("anna@gmail.com", NULL, FALSE,
	                                 "mx.google.com; dmarc=pass header.from=gmail.com", NULL)));
	assert_false(trusted(
	    c, msg_make("anna@gmail.com", NULL, FALSE, AS ".evil.example; dmarc=pass", NULL)));
	/* a quoted semicolon does not start a new result */
	assert_false(trusted(c, msg_make("anna@gmail.com", NULL, FALSE,
	                                 AS "; dkim=fail reason=\"x; dmarc=pass\"", NULL)));
	/* our topmost header decides; a forged one below it is ignored */
	assert_false(trusted(c, msg_make("anna@gmail.com", NULL, FALSE,
	                                 AS "; dmarc=fail header.from=gmail.com",
	                                 AS "; dmarc=pass header.from=gmail.com", NULL)));
	assert_true(trusted(c, msg_make("anna@gmail.com", NULL, FALSE, "mx.google.com; dmarc=fail",
	                                AS "; dmarc=pass header.from=gmail.com", NULL)));
	/* no header at all */
	assert_false(trusted(c, msg_make("anna@gmail.com", NULL, FALSE, NULL)));
	config_unref(&c);

	/* no authserv-id configured: nothing is trusted from headers */
	c = cfg_with("", "");
	assert_false(trusted(c, msg_make("anna@gmail.com", NULL, FALSE, "; dmarc=pass", NULL)));
	config_unref(&c);
}

static void test_trust_automatic_and_lists(void **state)
{
	lg_config *c = cfg_with(AS, "");
	const char *ok = AS "; dmarc=pass";

	assert_false(trusted(c, msg_make("anna@gmail.com", "auto-generated", FALSE, ok, NULL)));
	assert_false(trusted(c, msg_make("anna@gmail.com", "auto-replied", FALSE, ok, NULL)));
	assert_false(trusted(
	    c, msg_make("anna@gmail.com", "auto-notified; owner-email=x", FALSE, ok, NULL)));
	assert_true(trusted(c, msg_make("anna@gmail.com", "no", FALSE, ok, NULL)));
	assert_true(trusted(c, msg_make("anna@gmail.com", "No (comment)", FALSE, ok, NULL)));
	assert_false(trusted(c, msg_make("anna@gmail.com", NULL, TRUE, ok, NULL)));
	assert_false(trusted(c, msg_make("mailer-daemon@gmail.com", NULL, FALSE, ok, NULL)));
	assert_false(trusted(c, msg_make("owner-list@gmail.com", NULL, FALSE, ok, NULL)));
	assert_false(trusted(c, msg_make("list-request@gmail.com", NULL, FALSE, ok, NULL)));
	assert_false(trusted(c, msg_make("", NULL, FALSE, ok, NULL)));
	config_unref(&c);
}

static void test_trust_rules(void **state)
{
	lg_config *c = cfg_with("", "org.example, *.ngo.example, alice@x.example");

	assert_true(trusted(c, msg_make("a@org.example", NULL, FALSE, NULL)));
	assert_false(trusted(c, msg_make("a@sub.org.example", NULL, FALSE, NULL)));
	assert_true(trusted(c, msg_make("a@berlin.ngo.example", NULL, FALSE, NULL)));
	assert_true(trusted(c, msg_make("a@ngo.example", NULL, FALSE, NULL)));
	assert_false(trusted(c, msg_make("a@badngo.example", NULL, FALSE, NULL)));
	assert_true(trusted(c, msg_make("alice@x.example", NULL, FALSE, NULL)));
	assert_false(trusted(c, msg_make("bob@x.example", NULL, FALSE, NULL)));
	/* a trust rule never overrides RFC 3834 */
	assert_false(trusted(c, msg_make("a@org.example", "auto-generated", FALSE, NULL)));
	assert_false(trusted(c, msg_make("a@org.example", NULL, TRUE, NULL)));
	config_unref(&c);
}

/* ---------------------------------------------------------- tokens */

typedef struct {
	char *dir;
	char *outdir;
	char *secret;
	char *db;
	lg_config *cfg;
	lg_store *st;
} fx;

static int fx_setup(void **state)
{
	fx *f = g_new0(fx, 1);
	GError *err = NULL;
	GPtrArray *recs;
	lg_prisoner pr = {.alias = "ivan.petrov",
	                  .full_name = "Петров Иван Сергеевич",
	                  .birth_year = 1985,
	                  .region = "Пермский край",
	                  .facility = "ИК-9",
	                  .status = "active"};
	gboolean dup = FALSE;
	const char *ids[] = {"0123456789abcdef", "00000000000000aa"};

	f->dir = g_dir_make_tmp("lg-notify-XXXXXX", NULL);
	f->outdir = g_build_filename(f->dir, "out", NULL);
	g_mkdir(f->outdir, 0700);
	f->secret = g_build_filename(f->dir, "reply.secret", NULL);
	g_file_set_contents(f->secret, "reply-secret-1\n", -1, NULL);
	g_chmod(f->secret, 0600);
	f->db = g_build_filename(f->dir, "lg.db", NULL);
	f->cfg = config_defaults();
	g_free(f->cfg->reply_secret_file);
	f->cfg->reply_secret_file = g_strdup(f->secret);
	g_free(f->cfg->domain);
	f->cfg->domain = g_strdup("letters.example.org");
	g_free(f->cfg->notify_from);
	f->cfg->notify_from = g_strdup("letters@letters.example.org");
	f->cfg->notify_enabled = TRUE;
	g_free(f->cfg->sendmail);
	f->cfg->sendmail =
	    g_strdup_printf("/bin/sh -c 'f=$(mktemp -p \"$0\" m.XXXXXX); cat > \"$f\"; "
	                    "echo \"$*\" > \"$f.args\"' %s",
	                    f->outdir);
	f->st = store_open(f->db, &err);
	assert_non_null(f->st);
	assert_true(store_prisoner_upsert(f->st, &pr, &err));
	recs = g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free);
	for (int i = 0; i < 2; i++) {
		lg_letter_rec *r = letter_rec_new();
		r->id = g_strdup(ids[i]);
		r->state = g_strdup("queued");
		r->message_id = g_strdup("abc123@mail.example.com");
		r->dedup_key = g_strdup(ids[i]);
		r->writer_name = g_strdup("Anna Schmidt");
		r->writer_addr = g_strdup("anna@example.com");
		r->prisoner = g_strdup("ivan.petrov");
		r->rcpt = g_strdup("ivan.petrov@letters.example.org");
		r->lang = g_strdup("de");
		r->text_original = g_strdup("Hallo Ivan");
		r->text_ru = g_strdup("Здравствуйте, Иван! Держитесь.");
		r->findings_json = g_strdup(
		    "[{\"rule\":\"url\",\"category\":\"links\",\"action\":\"strip\",\"score\":0}]");
		r->dropped_json = g_strdup("[{\"name\":\"clip.mp4\",\"type\":\"video/"
		                           "mp4\",\"reason\":\"video cannot be printed\"},"
		                           "{\"name\":\"smime.p7s\",\"type\":\"application/"
		                           "pkcs7-signature\",\"reason\":\"sig\",\"quiet\":true}]");
		r->notify = i == 0; /* the second writer was not authenticated */
		r->created = util_now();
		r->updated = r->created;
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
	g_unsetenv("LG_FAKE_NOW");
	return 0;
}

static void test_reply_token(void **state)
{
	fx *f = *state;
	char *tok = reply_token(f->cfg, "0123456789abcdef");
	char *addr, *id, *paddr;

	assert_non_null(tok);
	assert_int_equal(strlen(tok), 16 + 1 + 16);
	addr = g_strdup_printf("reply+%s@letters.example.org", tok);
	/* the lead's partner_reply_address() agrees with us */
	paddr = partner_reply_address(f->cfg, "0123456789abcdef");
	assert_string_equal(paddr, addr);
	g_free(paddr);
	id = reply_letter_id(f->cfg, addr);
	assert_string_equal(id, "0123456789abcdef");
	g_free(id);
	g_free(addr);
	/* case and <> do not matter */
	addr = g_strdup_printf("<Reply+%s@LETTERS.example.org>", tok);
	id = reply_letter_id(f->cfg, addr);
	assert_non_null(id);
	g_free(id);
	g_free(addr);
	/* tampered MAC, wrong domain, other id with this MAC, junk */
	addr = g_strdup_printf("reply+%s@letters.example.org", tok);
	addr[strlen("reply+") + 20] ^= 1;
	assert_null(reply_letter_id(f->cfg, addr));
	g_free(addr);
	addr = g_strdup_printf("reply+%s@evil.example", tok);
	assert_null(reply_letter_id(f->cfg, addr));
	g_free(addr);
	addr = g_strdup_printf("reply+0123456789abcdee%s@letters.example.org", tok + 16);
	assert_null(reply_letter_id(f->cfg, addr));
	g_free(addr);
	assert_null(reply_letter_id(f->cfg, "reply+@letters.example.org"));
	assert_null(reply_letter_id(f->cfg, "reply+x.y@letters.example.org"));
	assert_null(reply_letter_id(f->cfg, "ivan.petrov@letters.example.org"));
	assert_null(reply_letter_id(f->cfg, ""));
	assert_null(reply_token(f->cfg, "../etc"));
	/* another secret: old tokens stop verifying */
	g_file_set_contents(f->secret, "reply-secret-2\n", -1, NULL);
	g_chmod(f->secret, 0600);
	addr = g_strdup_printf("reply+%s@letters.example.org", tok);
	assert_null(reply_letter_id(f->cfg, addr));
	g_free(addr);
	g_free(tok);
	/* no secret: no tokens */
	g_free(f->cfg->reply_secret_file);
	f->cfg->reply_secret_file = g_strdup("");
	assert_null(reply_token(f->cfg, "0123456789abcdef"));
}

/* ---------------------------------------------------------- notifications */

static GPtrArray *sent_files(fx *f)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(f->outdir, 0, NULL);
	const char *n;
	while ((n = g_dir_read_name(d)) != NULL)
		if (!g_str_has_suffix(n, ".args"))
			g_ptr_array_add(out, g_build_filename(f->outdir, n, NULL));
	g_dir_close(d);
	return out;
}

static GMimeMessage *parse(const char *path)
{
	GMimeStream *s = g_mime_stream_file_open(path, "r", NULL);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(s);
	return m;
}

static char *body_text(GMimeMessage *m)
{
	GMimeObject *b = g_mime_message_get_body(m);
	assert_true(GMIME_IS_TEXT_PART(b));
	return g_mime_text_part_get_text(GMIME_TEXT_PART(b));
}

static GMimeMessage *find_state(fx *f, const char *state)
{
	GPtrArray *files = sent_files(f);
	GMimeMessage *found = NULL;
	for (guint i = 0; i < files->len && !found; i++) {
		GMimeMessage *m = parse(g_ptr_array_index(files, i));
		const char *s = g_mime_object_get_header(GMIME_OBJECT(m), "X-Lettergate-State");
		if (s && strcmp(s, state) == 0)
			found = m;
		else
			g_object_unref(m);
	}
	g_ptr_array_unref(files);
	return found;
}

static void test_notify_once_per_state(void **state)
{
	fx *f = *state;
	GPtrArray *files;
	GMimeMessage *m;
	char *text, *args = NULL, *argsf;
	const char *subj;
	InternetAddressList *to;

	notify_letter_state(f->cfg, f->st, "0123456789abcdef", "accepted", NULL);
	notify_letter_state(f->cfg, f->st, "0123456789abcdef", "accepted", NULL);
	files = sent_files(f);
	assert_int_equal(files->len, 1);

	/* RFC 3834 headers, threading, addresses, null sender */
	m = parse(g_ptr_array_index(files, 0));
	assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(m), "Auto-Submitted"),
	                    "auto-replied");
	assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(m), "In-Reply-To"),
	                    "<abc123@mail.example.com>");
	assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(m), "References"),
	                    "<abc123@mail.example.com>");
	assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(m), "X-Lettergate-Letter"),
	                    "0123456789abcdef");
	to = g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO);
	assert_int_equal(internet_address_list_length(to), 1);
	assert_string_equal(internet_address_mailbox_get_addr(
	                        INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(to, 0))),
	                    "anna@example.com");
	{
		char *from =
		    internet_address_list_to_string(g_mime_message_get_from(m), NULL, FALSE);
		assert_non_null(strstr(from, "letters@letters.example.org"));
		g_free(from);
	}
	subj = g_mime_message_get_subject(m);
	/* (GMime 3.2 drops encoded words after a padded one when it decodes,
	 * so only the beginning of the subject is checked here) */
	assert_true(g_str_has_prefix(subj, "Auto: letter to Петров Иван Сергеевич: accepted"));
	text = body_text(m);
	/* English and Russian, the text as printed, what was stripped and dropped */
	assert_non_null(strstr(text, "has been accepted"));
	assert_non_null(strstr(text, "принято"));
	assert_non_null(strstr(text, "Здравствуйте, Иван! Держитесь."));
	assert_non_null(strstr(text, "links"));
	assert_non_null(strstr(text, "clip.mp4 (video cannot be printed)"));
	assert_null(strstr(text, "smime.p7s"));
	g_free(text);
	g_object_unref(m);
	argsf = g_strconcat(g_ptr_array_index(files, 0), ".args", NULL);
	assert_true(g_file_get_contents(argsf, &args, NULL, NULL));
	assert_non_null(strstr(args, "-f <> anna@example.com"));
	g_free(args);
	g_free(argsf);
	g_ptr_array_unref(files);

	/* every state once; the reason reaches the writer */
	notify_letter_state(f->cfg, f->st, "0123456789abcdef", "held", NULL);
	notify_letter_state(f->cfg, f->st, "0123456789abcdef", "rejected",
	                    "Phone numbers / Телефоны");
	notify_letter_state(f->cfg, f->st, "0123456789abcdef", "censored", "упоминание дела");
	notify_letter_state(f->cfg, f->st, "0123456789abcdef", "delivered", NULL);
	notify_letter_state(f->cfg, f->st, "0123456789abcdef", "failed", NULL);
	notify_letter_state(f->cfg, f->st, "0123456789abcdef", "approved", NULL);
	notify_letter_state(f->cfg, f->st, "0123456789abcdef", "delivered", NULL);
	notify_letter_state(f->cfg, f->st, "0123456789abcdef", "no-such-state", NULL);
	files = sent_files(f);
	assert_int_equal(files->len, 7);
	g_ptr_array_unref(files);
	m = find_state(f, "censored");
	assert_non_null(m);
	text = body_text(m);
	assert_non_null(strstr(text, "упоминание дела"));
	assert_non_null(strstr(text, "censor"));
	g_free(text);
	g_object_unref(m);
	m = find_state(f, "rejected");
	text = body_text(m);
	assert_non_null(strstr(text, "Phone numbers"));
	g_free(text);
	g_object_unref(m);

	/* untrusted writer, unknown letter, notifications off: nothing */
	notify_letter_state(f->cfg, f->st, "00000000000000aa", "accepted", NULL);
	notify_letter_state(f->cfg, f->st, "ffffffffffffffff", "accepted", NULL);
	f->cfg->notify_enabled = FALSE;
	notify_letter_state(f->cfg, f->st, "0123456789abcdef", "reply", NULL);
	files = sent_files(f);
	assert_int_equal(files->len, 7);
	g_ptr_array_unref(files);
}

static void test_notify_retry(void **state)
{
	fx *f = *state;
	char *good = f->cfg->sendmail, now[32];
	GPtrArray *files;

	f->cfg->sendmail = g_strdup("/bin/false");
	notify_letter_state(f->cfg, f->st, "0123456789abcdef", "delivered", NULL);
	files = sent_files(f);
	assert_int_equal(files->len, 0);
	g_ptr_array_unref(files);
	g_free(f->cfg->sendmail);
	f->cfg->sendmail = good;
	/* not yet due */
	assert_int_equal(notify_retry_pending(f->cfg, f->st, 10), 0);
	g_snprintf(now, sizeof(now), "%" G_GINT64_FORMAT, util_now() + 3600);
	g_setenv("LG_FAKE_NOW", now, TRUE);
	assert_int_equal(notify_retry_pending(f->cfg, f->st, 10), 1);
	assert_int_equal(notify_retry_pending(f->cfg, f->st, 10), 0);
	notify_letter_state(f->cfg, f->st, "0123456789abcdef", "delivered", NULL);
	files = sent_files(f);
	assert_int_equal(files->len, 1);
	g_ptr_array_unref(files);
}

static const char reply_eml[] = "From: partner@partner.example\r\n"
                                "To: reply+TOKEN@letters.example.org\r\n"
                                "Subject: scan\r\n"
                                "Message-ID: <scan-1@partner.example>\r\n"
                                "MIME-Version: 1.0\r\n"
                                "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
                                "\r\n"
                                "--b\r\n"
                                "Content-Type: text/plain; charset=utf-8\r\n"
                                "Content-Transfer-Encoding: 8bit\r\n"
                                "\r\n"
                                "Ответ на письмо прилагается.\r\n"
                                "--b\r\n"
                                "Content-Type: image/jpeg; name=\"reply-page-1.jpg\"\r\n"
                                "Content-Disposition: attachment; filename=\"reply-page-1.jpg\"\r\n"
                                "Content-Transfer-Encoding: base64\r\n"
                                "\r\n"
                                "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAEBAQ==\r\n"
                                "--b--\r\n";

static void test_reply_forward(void **state)
{
	fx *f = *state;
	GMimeStream *s;
	GError *err = NULL;
	GPtrArray *files;
	GMimeMessage *m;
	char *raw = NULL;
	InternetAddressList *to;

	s = g_mime_stream_mem_new_with_buffer(reply_eml, sizeof(reply_eml) - 1);
	assert_true(reply_forward(f->cfg, f->st, "0123456789abcdef", s, &err));
	assert_null(err);
	/* the same reply again (an SMTP retry): forwarded once */
	assert_true(reply_forward(f->cfg, f->st, "0123456789abcdef", s, &err));
	g_object_unref(s);
	files = sent_files(f);
	assert_int_equal(files->len, 1);
	assert_true(g_file_get_contents(g_ptr_array_index(files, 0), &raw, NULL, NULL));
	/* the partner's addresses do not travel; the attachment does */
	assert_null(strstr(raw, "partner@partner.example"));
	assert_null(strstr(raw, "reply+TOKEN"));
	assert_non_null(strstr(raw, "reply-page-1.jpg"));
	assert_non_null(strstr(raw, "Auto-Submitted: auto-generated"));
	g_free(raw);
	m = parse(g_ptr_array_index(files, 0));
	to = g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO);
	assert_string_equal(internet_address_mailbox_get_addr(
	                        INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(to, 0))),
	                    "anna@example.com");
	assert_true(GMIME_IS_MULTIPART(g_mime_message_get_mime_part(m)));
	assert_int_equal(
	    g_mime_multipart_get_count(GMIME_MULTIPART(g_mime_message_get_mime_part(m))), 3);
	g_object_unref(m);
	g_ptr_array_unref(files);

	/* unknown letter: expired, a permanent refusal */
	s = g_mime_stream_mem_new_with_buffer(reply_eml, sizeof(reply_eml) - 1);
	assert_false(reply_forward(f->cfg, f->st, "ffffffffffffffff", s, &err));
	assert_true(g_error_matches(err, LG_REPLY_ERROR, LG_REPLY_ERR_EXPIRED));
	g_clear_error(&err);
	g_object_unref(s);

	/* sendmail down: temporary, and the SMTP retry goes through */
	{
		char *good = f->cfg->sendmail;
		static const char other[] = "From: p@p.example\r\nMessage-ID: <scan-2@p>\r\n"
		                            "Content-Type: text/plain\r\n\r\nsecond reply\r\n";
		f->cfg->sendmail = g_strdup("/bin/false");
		s = g_mime_stream_mem_new_with_buffer(other, sizeof(other) - 1);
		assert_false(reply_forward(f->cfg, f->st, "0123456789abcdef", s, &err));
		assert_true(g_error_matches(err, LG_REPLY_ERROR, LG_REPLY_ERR_TEMP));
		g_clear_error(&err);
		g_free(f->cfg->sendmail);
		f->cfg->sendmail = good;
		assert_true(reply_forward(f->cfg, f->st, "0123456789abcdef", s, &err));
		g_object_unref(s);
		files = sent_files(f);
		assert_int_equal(files->len, 2);
		g_ptr_array_unref(files);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trust_auth_results),
	    cmocka_unit_test(test_trust_automatic_and_lists),
	    cmocka_unit_test(test_trust_rules),
	    cmocka_unit_test_setup_teardown(test_reply_token, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_notify_once_per_state, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_notify_retry, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_reply_forward, fx_setup, fx_teardown),
	};
	message_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
