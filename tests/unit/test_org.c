/* tests/unit/test_org.c - organisations: recognition by AUTH identity,
 * client range and authenticated domain; the batch report (CSV and mail). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>

#include "conf/config.h"
#include "parser/message.h"
#include "policy/org.h"
#include "store/store.h"

static void test_cidr(void **state)
{
	assert_true(org_cidr_match("10.0.0.0/8", "10.1.2.3"));
	assert_true(org_cidr_match("192.0.2.0/24, 10.0.0.0/8", "10.255.0.1"));
	assert_false(org_cidr_match("10.0.0.0/8", "11.0.0.1"));
	assert_true(org_cidr_match("2001:db8::/32", "2001:db8:1::5"));
	assert_false(org_cidr_match("2001:db8::/32", "10.0.0.1"));
	assert_false(org_cidr_match("10.0.0.0/8", "::ffff:11.0.0.1"));
	assert_true(org_cidr_match("not-a-range, 127.0.0.1/32", "127.0.0.1"));
	assert_false(org_cidr_match("", "127.0.0.1"));
	assert_false(org_cidr_match("10.0.0.0/8", "garbage"));
	assert_false(org_cidr_match("10.0.0.0/8", NULL));
}

static lg_message *msg_from(const char *from, const char *ar)
{
	lg_message *m = g_new0(lg_message, 1);
	m->from_addr = g_strdup(from);
	m->from_name = g_strdup("");
	m->auth_results = g_ptr_array_new_with_free_func(g_free);
	if (ar)
		g_ptr_array_add(m->auth_results, g_strdup(ar));
	return m;
}

static void msg_free(lg_message *m)
{
	g_free(m->from_addr);
	g_free(m->from_name);
	g_ptr_array_unref(m->auth_results);
	g_free(m);
}

static void test_identify(void **state)
{
	lg_config *cfg = config_defaults();
	lg_message *m;
	char *id;
	g_free(cfg->org_auth);
	cfg->org_auth = g_strdup("club, friends");
	g_free(cfg->org_networks);
	cfg->org_networks = g_strdup("192.0.2.0/24");
	g_free(cfg->org_domains);
	cfg->org_domains = g_strdup("amnesty.example");
	g_free(cfg->authserv_id);
	cfg->authserv_id = g_strdup("mx.letters.example.org");

	id = org_identify(cfg, "friends", NULL, NULL);
	assert_string_equal(id, "auth:friends");
	g_free(id);
	assert_null(org_identify(cfg, "stranger", "198.51.100.1", NULL));
	id = org_identify(cfg, NULL, "192.0.2.77", NULL);
	assert_string_equal(id, "net:192.0.2.0/24");
	g_free(id);

	m = msg_from("news@lists.amnesty.example",
	             "mx.letters.example.org; dkim=pass header.d=amnesty.example; dmarc=pass "
	             "header.from=lists.amnesty.example");
	id = org_identify(cfg, NULL, "198.51.100.1", m);
	assert_string_equal(id, "domain:amnesty.example");
	g_free(id);
	msg_free(m);
	/* the right domain without our server's pass is not enough */
	m = msg_from("news@amnesty.example",
	             "mx.letters.example.org; dkim=fail header.d=amnesty.example; dmarc=fail");
	assert_null(org_identify(cfg, NULL, NULL, m));
	msg_free(m);
	m = msg_from("news@amnesty.example",
	             "evil.example; dkim=pass header.d=amnesty.example; dmarc=pass");
	assert_null(org_identify(cfg, NULL, NULL, m));
	msg_free(m);
	m = msg_from("x@notamnesty.example",
	             "mx.letters.example.org; dmarc=pass header.from=notamnesty.example");
	assert_null(org_identify(cfg, NULL, NULL, m));
	msg_free(m);
	config_unref(&cfg);
}

typedef struct {
	char *dir;
	lg_store *st;
} fx;

static int setup(void **state)
{
	fx *f = g_new0(fx, 1);
	char *db;
	GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free);
	const char *states[] = {"queued", "held", "rejected"};
	const char *names[] = {"Anna", "Boris, Jr.", "Карл \"К\""};
	lg_batch_rec b = {.id = "b0000000000000001",
	                  .org = "auth:club",
	                  .submitter = "office@club.example",
	                  .message_id = "m@club",
	                  .letters = 3};
	gboolean dup;
	lg_prisoner p = {.alias = "ivan.petrov",
	                 .full_name = "Петров Иван",
	                 .birth_year = 1985,
	                 .region = "",
	                 .facility = "",
	                 .status = "active"};
	f->dir = g_dir_make_tmp("lg-org-XXXXXX", NULL);
	db = g_build_filename(f->dir, "t.db", NULL);
	f->st = store_open(db, NULL);
	g_free(db);
	assert_true(store_prisoner_upsert(f->st, &p, NULL));
	for (int i = 0; i < 3; i++) {
		lg_letter_rec *r = letter_rec_new();
		r->id = g_strdup_printf("l%015d", i);
		r->state = g_strdup(states[i]);
		r->prisoner = g_strdup("ivan.petrov");
		r->writer_name = g_strdup(names[i]);
		r->org = g_strdup("auth:club");
		r->batch = g_strdup(b.id);
		r->created = 1750000000 + i;
		if (i == 1)
			r->findings_json = g_strdup(
			    "[{\"rule\":\"war\",\"category\":\"war\",\"action\":\"hold\",\"score\":"
			    "5,"
			    "\"reason\":\"Mentions the war; a moderator reads it first.\"},"
			    "{\"rule\":\"url\",\"category\":\"links\",\"action\":\"strip\","
			    "\"score\":0,"
			    "\"reason\":\"Links removed.\"}]");
		if (i == 2)
			r->reason = g_strdup("The letter contains obscene language.");
		g_ptr_array_add(recs, r);
	}
	assert_true(store_batch_commit(f->st, &b, recs, &dup, NULL));
	assert_false(dup);
	g_ptr_array_unref(recs);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
	store_close(&f->st);
	assert_int_equal(system(cmd), 0);
	g_free(cmd);
	g_free(f->dir);
	g_free(f);
	return 0;
}

static void test_report_csv(void **state)
{
	fx *f = *state;
	GError *e = NULL;
	char *csv = org_report_csv(f->st, "b0000000000000001", &e);
	char **lines;
	assert_non_null(csv);
	lines = g_strsplit(csv, "\r\n", -1);
	assert_string_equal(lines[0], "letter_id,prisoner,writer,verdict,state,reasons");
	assert_string_equal(lines[1], "l000000000000000,ivan.petrov,Anna,accepted,queued,");
	assert_string_equal(lines[2], "l000000000000001,ivan.petrov,\"Boris, Jr.\",held,held,"
	                              "Mentions the war; a moderator reads it first.");
	assert_string_equal(lines[3], "l000000000000002,ivan.petrov,\"Карл \"\"К\"\"\",rejected,"
	                              "rejected,The letter contains obscene language.");
	assert_string_equal(lines[4], "");
	g_strfreev(lines);
	g_free(csv);
	assert_null(org_report_csv(f->st, "nope", &e));
	assert_true(g_error_matches(e, LG_STORE_ERROR, LG_STORE_ERR_NOTFOUND));
	g_clear_error(&e);
}

static void test_report_send(void **state)
{
	fx *f = *state;
	lg_config *cfg = config_defaults();
	char *out = g_build_filename(f->dir, "mail.txt", NULL);
	char *mail = NULL;
	GError *e = NULL;
	g_free(cfg->sendmail);
	cfg->sendmail = g_strdup_printf("sh -c 'cat > %s'", out);
	g_free(cfg->org_report_from);
	cfg->org_report_from = g_strdup("reports@letters.example.org");
	message_init();
	assert_true(org_report_send(cfg, f->st, "b0000000000000001", &e));
	assert_null(e);
	assert_true(g_file_get_contents(out, &mail, NULL, NULL));
	assert_non_null(strstr(mail, "To: office@club.example"));
	assert_non_null(strstr(mail, "reports@letters.example.org"));
	assert_non_null(strstr(mail, "Auto-Submitted: auto-generated"));
	assert_non_null(strstr(mail, "X-Lettergate-Batch: b0000000000000001"));
	assert_non_null(strstr(mail, "Subject: lettergate batch b0000000000000001: 3 letters,"));
	assert_non_null(strstr(mail, "batch-b0000000000000001.csv"));
	g_free(mail);
	/* a failing sendmail is an error, not a crash */
	g_free(cfg->sendmail);
	cfg->sendmail = g_strdup("false");
	assert_false(org_report_send(cfg, f->st, "b0000000000000001", &e));
	g_clear_error(&e);
	g_free(out);
	config_unref(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cidr),
	    cmocka_unit_test(test_identify),
	    cmocka_unit_test_setup_teardown(test_report_csv, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_report_send, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
