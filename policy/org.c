/* policy/org.c - see org.h. */
#include "policy/org.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "deliver/notify.h"

static gboolean list_has(const char *list, const char *item)
{
	char **items;
	gboolean ok = FALSE;
	if (list == NULL || *list == '\0' || item == NULL || *item == '\0')
		return FALSE;
	items = g_strsplit(list, ",", -1);
	for (int i = 0; items[i] && !ok; i++)
		ok = g_ascii_strcasecmp(g_strstrip(items[i]), item) == 0;
	g_strfreev(items);
	return ok;
}

gboolean org_cidr_match(const char *list, const char *addr)
{
	char **items;
	GInetAddress *a;
	gboolean ok = FALSE;
	if (list == NULL || *list == '\0' || addr == NULL || *addr == '\0')
		return FALSE;
	a = g_inet_address_new_from_string(addr);
	if (a == NULL)
		return FALSE;
	items = g_strsplit(list, ",", -1);
	for (int i = 0; items[i] && !ok; i++) {
		const char *it = g_strstrip(items[i]);
		GInetAddressMask *m;
		GError *e = NULL;
		if (*it == '\0')
			continue;
		m = g_inet_address_mask_new_from_string(it, &e);
		if (m == NULL) {
			char *safe = util_sanitize(it, 64);
			lg_warn("[organizations] networks: bad range %s", safe);
			g_free(safe);
			g_clear_error(&e);
			continue;
		}
		ok = g_inet_address_get_family(a) == g_inet_address_mask_get_family(m) &&
		     g_inet_address_mask_matches(m, a);
		g_object_unref(m);
	}
	g_strfreev(items);
	g_object_unref(a);
	return ok;
}

/* The listed domain the From domain is, or is under; NULL when none. */
static char *domain_listed(const char *list, const char *domain)
{
	char **items;
	char *hit = NULL;
	if (list == NULL || *list == '\0' || domain == NULL || *domain == '\0')
		return NULL;
	items = g_strsplit(list, ",", -1);
	for (int i = 0; items[i] && !hit; i++) {
		char *d = g_ascii_strdown(g_strstrip(items[i]), -1);
		size_t dl = strlen(d), nl = strlen(domain);
		if (*d && (g_ascii_strcasecmp(domain, d) == 0 ||
		           (nl > dl && domain[nl - dl - 1] == '.' &&
		            g_ascii_strcasecmp(domain + nl - dl, d) == 0)))
			hit = g_strdup(d);
		g_free(d);
	}
	g_strfreev(items);
	return hit;
}

char *org_identify(const lg_config *cfg, const char *auth_authen, const char *client_addr,
                   const lg_message *msg)
{
	char *local = NULL, *domain = NULL, *listed = NULL, *out = NULL;
	if (auth_authen && *auth_authen && list_has(cfg->org_auth, auth_authen))
		return g_strdup_printf("auth:%s", auth_authen);
	if (client_addr && org_cidr_match(cfg->org_networks, client_addr)) {
		char **items = g_strsplit(cfg->org_networks, ",", -1);
		GInetAddress *a = g_inet_address_new_from_string(client_addr);
		for (int i = 0; items[i] && !out; i++) {
			const char *it = g_strstrip(items[i]);
			GInetAddressMask *m =
			    *it ? g_inet_address_mask_new_from_string(it, NULL) : NULL;
			if (m && a &&
			    g_inet_address_get_family(a) == g_inet_address_mask_get_family(m) &&
			    g_inet_address_mask_matches(m, a))
				out = g_strdup_printf("net:%s", it);
			if (m)
				g_object_unref(m);
		}
		if (a)
			g_object_unref(a);
		g_strfreev(items);
		if (out)
			return out;
	}
	if (msg == NULL || msg->from_addr == NULL || *msg->from_addr == '\0' ||
	    msg->auth_results == NULL)
		return NULL;
	util_addr_split(msg->from_addr, &local, &domain);
	listed = domain_listed(cfg->org_domains, domain);
	if (listed) {
		/* only the topmost Authentication-Results of our own server counts */
		for (guint i = 0; i < msg->auth_results->len; i++) {
			const char *ar = g_ptr_array_index(msg->auth_results, i);
			char *id = g_strstrip(g_strndup(ar, strcspn(ar, ";")));
			char *sp = strpbrk(id, " \t");
			gboolean ours;
			if (sp)
				*sp = '\0';
			ours = cfg->authserv_id && *cfg->authserv_id &&
			       g_ascii_strcasecmp(id, cfg->authserv_id) == 0;
			g_free(id);
			if (!ours)
				continue;
			if (notify_auth_trusted(cfg->authserv_id, ar, domain))
				out = g_strdup_printf("domain:%s", listed);
			break;
		}
	}
	g_free(listed);
	g_free(local);
	g_free(domain);
	return out;
}

/* ---- the batch report ---- */

typedef struct {
	const char *batch;
	GString *csv;
	char *submitter;
	char *org;
	int n, accepted, held, rejected;
	gboolean found;
} report_q;

static void csv_field(GString *g, const char *v)
{
	gboolean quote = v && strpbrk(v, ",\"\r\n") != NULL;
	if (!quote) {
		g_string_append(g, v ? v : "");
		return;
	}
	g_string_append_c(g, '"');
	for (const char *p = v; *p; p++) {
		if (*p == '"')
			g_string_append_c(g, '"');
		g_string_append_c(g, *p);
	}
	g_string_append_c(g, '"');
}

/* Writer-facing reasons of a letter: its refusal reason, else the reasons
 * of the findings that held it. */
static char *letter_reasons(const char *reason, const char *findings_json)
{
	GString *g = g_string_new(reason ? reason : "");
	if (g->len == 0 && findings_json && *findings_json) {
		g_autoptr(JsonParser) jp = json_parser_new();
		if (json_parser_load_from_data(jp, findings_json, -1, NULL) &&
		    JSON_NODE_HOLDS_ARRAY(json_parser_get_root(jp))) {
			JsonArray *a = json_node_get_array(json_parser_get_root(jp));
			for (guint i = 0; i < json_array_get_length(a); i++) {
				JsonObject *o = json_array_get_object_element(a, i);
				const char *act =
				    o ? json_object_get_string_member_with_default(o, "action", "")
				      : "";
				const char *why =
				    o ? json_object_get_string_member_with_default(o, "reason", "")
				      : "";
				if (!strcmp(act, "strip") || *why == '\0' || strstr(g->str, why))
					continue;
				g_string_append_printf(g, "%s%s", g->len ? "; " : "", why);
			}
		}
	}
	return g_string_free(g, FALSE);
}

static gboolean report_db(sqlite3 *db, gpointer data, GError **err)
{
	report_q *q = data;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT org, submitter FROM batches WHERE id = ?1", -1, &st,
	                            NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, q->batch, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		q->found = TRUE;
		q->org = g_strdup((const char *)sqlite3_column_text(st, 0));
		q->submitter = g_strdup((const char *)sqlite3_column_text(st, 1));
	} else if (rc != SQLITE_DONE) {
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (!q->found)
		return TRUE;
	rc = sqlite3_prepare_v2(
	    db,
	    "SELECT id, prisoner, writer_name, state, reason, findings FROM letters"
	    " WHERE batch = ?1 ORDER BY created, rowid",
	    -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, q->batch, -1, SQLITE_TRANSIENT);
	g_string_append(q->csv, "letter_id,prisoner,writer,verdict,state,reasons\r\n");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(st, 3);
		const char *verdict;
		char *reasons = letter_reasons((const char *)sqlite3_column_text(st, 4),
		                               (const char *)sqlite3_column_text(st, 5));
		state = state ? state : "";
		if (!strcmp(state, "rejected")) {
			verdict = "rejected";
			q->rejected++;
		} else if (!strcmp(state, "held")) {
			verdict = "held";
			q->held++;
		} else if (!strcmp(state, "failed")) {
			verdict = "failed";
		} else {
			verdict = "accepted";
			q->accepted++;
		}
		q->n++;
		for (int c = 0; c < 3; c++) {
			csv_field(q->csv, (const char *)sqlite3_column_text(st, c));
			g_string_append_c(q->csv, ',');
		}
		g_string_append_printf(q->csv, "%s,%s,", verdict, state);
		csv_field(q->csv, reasons);
		g_string_append(q->csv, "\r\n");
		g_free(reasons);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return TRUE;
fail:
	g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_OTHER, "database: batch report: %s",
	            sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return FALSE;
}

static void report_clear(report_q *q)
{
	if (q->csv)
		g_string_free(q->csv, TRUE);
	g_free(q->submitter);
	g_free(q->org);
}

char *org_report_csv(lg_store *st, const char *batch_id, GError **err)
{
	report_q q = {.batch = batch_id, .csv = g_string_new(NULL)};
	char *out = NULL;
	if (!store_with_db(st, report_db, &q, err))
		goto out;
	if (!q.found) {
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_NOTFOUND, "no batch %s", batch_id);
		goto out;
	}
	out = g_string_free(q.csv, FALSE);
	q.csv = NULL;
out:
	report_clear(&q);
	return out;
}

static gboolean mark_db(sqlite3 *db, gpointer data, GError **err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "UPDATE batches SET report_sent = ?2 WHERE id = ?1", -1,
	                            &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, data, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, util_now());
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_OTHER, "database: batch mark: %s",
		            sqlite3_errmsg(db));
		return FALSE;
	}
	return TRUE;
}

static gboolean pipe_to_sendmail(const lg_config *cfg, const char *text, GError **err)
{
	char **argv = NULL;
	GSubprocess *sp = NULL;
	gboolean ok = FALSE;
	if (!g_shell_parse_argv(cfg->sendmail, NULL, &argv, err))
		return FALSE;
	sp = g_subprocess_newv((const char *const *)argv,
	                       G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
	                       err);
	if (sp == NULL)
		goto out;
	if (!g_subprocess_communicate_utf8(sp, text, NULL, NULL, NULL, err))
		goto out;
	if (!g_subprocess_get_successful(sp)) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "sendmail exited with status %d",
		            g_subprocess_get_exit_status(sp));
		goto out;
	}
	ok = TRUE;
out:
	g_clear_object(&sp);
	g_strfreev(argv);
	return ok;
}

gboolean org_report_send(const lg_config *cfg, lg_store *st, const char *batch_id, GError **err)
{
	report_q q = {.batch = batch_id, .csv = g_string_new(NULL)};
	GMimeMessage *m = NULL;
	GMimeMultipart *mp = NULL;
	GMimeTextPart *body = NULL, *csv = NULL;
	char *from = NULL, *summary = NULL, *subject = NULL, *text = NULL, *fname = NULL;
	gboolean ok = FALSE;

	if (!store_with_db(st, report_db, &q, err))
		goto out;
	if (!q.found) {
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_NOTFOUND, "no batch %s", batch_id);
		goto out;
	}
	if (q.submitter == NULL || strchr(q.submitter, '@') == NULL) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "batch %s has no submitter address to report to", batch_id);
		goto out;
	}
	message_init();
	if (cfg->org_report_from && *cfg->org_report_from)
		from = g_strdup(cfg->org_report_from);
	else if (cfg->notify_from && *cfg->notify_from)
		from = g_strdup(cfg->notify_from);
	else
		from = g_strdup_printf("lettergate@%s", cfg->domain);
	m = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, "lettergate", from);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, q.submitter);
	subject = g_strdup_printf("lettergate batch %s: %d letters, %d accepted, %d held, "
	                          "%d rejected",
	                          batch_id, q.n, q.accepted, q.held, q.rejected);
	g_mime_message_set_subject(m, subject, "utf-8");
	g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted", "auto-generated", NULL);
	g_mime_object_set_header(GMIME_OBJECT(m), "X-Lettergate-Batch", batch_id, NULL);
	summary = g_strdup_printf(
	    "Your batch %s (%s) was received: %d letters.\n\n"
	    "  accepted  %d  (on their way to the prisoners)\n"
	    "  held      %d  (a moderator reads them first)\n"
	    "  rejected  %d  (not sent; the reasons are in the attached CSV)\n\n"
	    "Each letter was screened on its own. The attached CSV has one row per\n"
	    "letter: letter id, prisoner, writer, verdict, state, reasons.\n\n"
	    "Ваш пакет %s получен: писем %d; принято %d, на проверке %d, отклонено %d.\n"
	    "Причины отказов в приложенном CSV.\n",
	    batch_id, q.org ? q.org : "", q.n, q.accepted, q.held, q.rejected, batch_id, q.n,
	    q.accepted, q.held, q.rejected);
	body = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(body, summary);
	g_mime_text_part_set_charset(body, "utf-8");
	csv = g_mime_text_part_new_with_subtype("csv");
	g_mime_text_part_set_text(csv, q.csv->str);
	g_mime_text_part_set_charset(csv, "utf-8");
	fname = g_strdup_printf("batch-%s.csv", batch_id);
	g_mime_part_set_filename(GMIME_PART(csv), fname);
	g_mime_part_set_content_encoding(GMIME_PART(csv), GMIME_CONTENT_ENCODING_BASE64);
	mp = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_add(mp, GMIME_OBJECT(body));
	g_mime_multipart_add(mp, GMIME_OBJECT(csv));
	g_mime_message_set_mime_part(m, GMIME_OBJECT(mp));
	text = g_mime_object_to_string(GMIME_OBJECT(m), NULL);
	if (!pipe_to_sendmail(cfg, text, err))
		goto out;
	if (!store_with_db(st, mark_db, (gpointer)batch_id, err))
		goto out;
	lg_info("batch %s: report sent (%d letters)", batch_id, q.n);
	ok = TRUE;
out:
	g_clear_object(&body);
	g_clear_object(&csv);
	g_clear_object(&mp);
	g_clear_object(&m);
	g_free(from);
	g_free(summary);
	g_free(subject);
	g_free(text);
	g_free(fname);
	report_clear(&q);
	return ok;
}
