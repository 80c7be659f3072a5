/*
 * deliver/notify.c - see notify.h.
 *
 * Trust: only an Authentication-Results header carrying our own authserv-id
 * counts, and of those only the topmost (the one our MTA added last; a
 * forged one from the sender sits below it). The MTA should also strip
 * Authentication-Results with our authserv-id coming from outside.
 *
 * At most one notification per letter and state: a row in `notifications`
 * is claimed with a conditional UPDATE before sending and marked sent after
 * sendmail exits 0. A crash between the two can repeat one notification;
 * nothing can send it twice otherwise.
 *
 * Every message we send goes with the null envelope sender (-f <>), so a
 * bounce of a notification is never answered by anyone: no loops.
 */
#include "deliver/notify.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "deliver/partner.h"

#define NOTIFY_MAX_ATTEMPTS 10
#define NOTIFY_CLAIM_SECONDS 300

GQuark lg_reply_error_quark(void)
{
	return g_quark_from_static_string("lg-reply-error");
}

/* ---------------------------------------------------------------- trust */

/* Removes RFC 5322 comments (nested parentheses) outside quoted strings and
 * the spaces around '=' so that "dkim = pass" reads as "dkim=pass". */
static char *ar_normalize(const char *s)
{
	GString *out = g_string_new(NULL);
	int depth = 0;
	gboolean quoted = FALSE;

	for (const char *p = s; *p; p++) {
		if (quoted) {
			if (*p == '\\' && p[1]) {
				g_string_append_c(out, *++p);
				continue;
			}
			if (*p == '"')
				quoted = FALSE;
			else /* a quoted ";" or space never starts a result or property */
				g_string_append_c(out, (*p == ';' || *p == ' ' || *p == '\t') ? '_'
				                                                              : *p);
			continue;
		}
		if (depth > 0) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			continue;
		}
		if (*p == '(') {
			depth++;
			g_string_append_c(out, ' ');
		} else if (*p == '"') {
			quoted = TRUE;
		} else if (*p == '\r' || *p == '\n' || *p == '\t') {
			g_string_append_c(out, ' ');
		} else if (*p == '=') {
			while (out->len > 0 && out->str[out->len - 1] == ' ')
				g_string_truncate(out, out->len - 1);
			g_string_append_c(out, '=');
			while (p[1] == ' ' || p[1] == '\t')
				p++;
		} else {
			g_string_append_c(out, *p);
		}
	}
	return g_string_free(out, FALSE);
}

static const char *domain_of(const char *v)
{
	const char *at = strrchr(v, '@');
	return at ? at + 1 : v;
}

static gboolean resinfo_trusts(char **tok, const char *from_domain)
{
	const char *method = tok[0];
	const char *eq = strchr(method, '=');
	char *name;
	gboolean pass, ok = FALSE;

	if (eq == NULL)
		return FALSE;
	name = g_ascii_strdown(method, eq - method);
	pass = g_ascii_strcasecmp(eq + 1, "pass") == 0;
	if (!pass)
		goto out;
	if (strcmp(name, "dmarc") == 0) {
		ok = TRUE; /* unless it names another From domain */
		for (int i = 1; tok[i]; i++)
			if (g_ascii_strncasecmp(tok[i], "header.from=", 12) == 0 &&
			    g_ascii_strcasecmp(domain_of(tok[i] + 12), from_domain) != 0)
				ok = FALSE;
	} else if (strcmp(name, "dkim") == 0) {
		for (int i = 1; tok[i] && !ok; i++)
			if ((g_ascii_strncasecmp(tok[i], "header.d=", 9) == 0 ||
			     g_ascii_strncasecmp(tok[i], "header.i=", 9) == 0) &&
			    g_ascii_strcasecmp(domain_of(tok[i] + 9), from_domain) == 0)
				ok = TRUE;
	} else if (strcmp(name, "spf") == 0) {
		for (int i = 1; tok[i] && !ok; i++)
			if (g_ascii_strncasecmp(tok[i], "smtp.mailfrom=", 14) == 0 &&
			    g_ascii_strcasecmp(domain_of(tok[i] + 14), from_domain) == 0)
				ok = TRUE;
	}
out:
	g_free(name);
	return ok;
}

gboolean notify_auth_trusted(const char *authserv_id, const char *auth_results,
                             const char *from_domain)
{
	char *norm, **parts = NULL, **head = NULL;
	gboolean ok = FALSE;

	if (authserv_id == NULL || *authserv_id == '\0' || auth_results == NULL ||
	    from_domain == NULL || *from_domain == '\0')
		return FALSE;
	norm = ar_normalize(auth_results);
	parts = g_strsplit(norm, ";", -1);
	if (parts[0] == NULL)
		goto out;
	head = g_strsplit_set(g_strstrip(parts[0]), " ", -1);
	if (head[0] == NULL || g_ascii_strcasecmp(head[0], authserv_id) != 0)
		goto out;
	for (int i = 1; parts[i] && !ok; i++) {
		char **tok = g_strsplit_set(g_strstrip(parts[i]), " ", -1);
		/* drop empty tokens left by repeated spaces */
		int w = 0;
		for (int r = 0; tok[r]; r++) {
			if (*tok[r])
				tok[w++] = tok[r];
			else
				g_free(tok[r]);
		}
		tok[w] = NULL;
		if (tok[0])
			ok = resinfo_trusts(tok, from_domain);
		g_strfreev(tok);
	}
out:
	g_strfreev(head);
	g_strfreev(parts);
	g_free(norm);
	return ok;
}

static gboolean is_automatic_sender(const char *local)
{
	static const char *names[] = {"mailer-daemon", "postmaster", "listserv",     "majordomo",
	                              "noreply",       "no-reply",   "do-not-reply", "donotreply"};
	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		if (g_ascii_strcasecmp(local, names[i]) == 0)
			return TRUE;
	return g_ascii_strncasecmp(local, "owner-", 6) == 0 ||
	       (strlen(local) > 8 &&
	        g_ascii_strcasecmp(local + strlen(local) - 8, "-request") == 0);
}

static gboolean trusted_writer_listed(const char *list, const char *addr, const char *domain)
{
	char **items;
	gboolean ok = FALSE;

	if (list == NULL || *list == '\0')
		return FALSE;
	items = g_strsplit(list, ",", -1);
	for (int i = 0; items[i] && !ok; i++) {
		const char *it = g_strstrip(items[i]);
		if (*it == '\0')
			continue;
		if (strchr(it, '@'))
			ok = g_ascii_strcasecmp(it, addr) == 0;
		else if (it[0] == '*' && it[1] == '.')
			ok = g_str_has_suffix(domain, it + 1) ||
			     g_ascii_strcasecmp(domain, it + 2) == 0;
		else if (it[0] == '.')
			ok =
			    g_str_has_suffix(domain, it) || g_ascii_strcasecmp(domain, it + 1) == 0;
		else
			ok = g_ascii_strcasecmp(domain, it) == 0;
	}
	g_strfreev(items);
	return ok;
}

gboolean notify_writer_trusted(const lg_config *cfg, const lg_message *msg)
{
	char *local = NULL, *domain = NULL;
	gboolean ok = FALSE;

	if (msg == NULL || msg->from_addr == NULL || *msg->from_addr == '\0')
		return FALSE;
	/* RFC 3834 section 2: never answer automatic or list mail */
	if (msg->auto_submitted && *msg->auto_submitted) {
		char *v =
		    g_strstrip(g_strndup(msg->auto_submitted, strcspn(msg->auto_submitted, ";(")));
		gboolean no = g_ascii_strcasecmp(v, "no") == 0;
		g_free(v);
		if (!no)
			return FALSE;
	}
	if (msg->is_list)
		return FALSE;
	util_addr_split(msg->from_addr, &local, &domain);
	if (*local == '\0' || *domain == '\0' || is_automatic_sender(local))
		goto out;
	if (trusted_writer_listed(cfg->trusted_writers, msg->from_addr, domain)) {
		ok = TRUE;
		goto out;
	}
	if (msg->auth_results == NULL)
		goto out;
	/* only the topmost header with our authserv-id counts */
	for (guint i = 0; i < msg->auth_results->len; i++) {
		const char *ar = g_ptr_array_index(msg->auth_results, i);
		char *norm = ar_normalize(ar);
		char *id = g_strstrip(g_strndup(norm, strcspn(norm, ";")));
		char *sp = strchr(id, ' ');
		gboolean ours;
		if (sp)
			*sp = '\0';
		ours = cfg->authserv_id && *cfg->authserv_id &&
		       g_ascii_strcasecmp(id, cfg->authserv_id) == 0;
		g_free(id);
		g_free(norm);
		if (ours) {
			ok = notify_auth_trusted(cfg->authserv_id, ar, domain);
			break;
		}
	}
out:
	g_free(local);
	g_free(domain);
	return ok;
}

/* --------------------------------------------------------------- tokens */

static char *reply_secret(const lg_config *cfg)
{
	GError *err = NULL;
	char *s;
	if (cfg->reply_secret_file == NULL || *cfg->reply_secret_file == '\0')
		return NULL;
	s = config_read_secret(cfg->reply_secret_file, &err);
	if (s == NULL) {
		lg_err("reply secret: %s", err ? err->message : "unreadable");
		g_clear_error(&err);
		return NULL;
	}
	if (*s == '\0') {
		g_free(s);
		return NULL;
	}
	return s;
}

static char *token_mac(const char *secret, const char *id)
{
	char *hex = util_hmac_sha256_hex(secret, strlen(secret), id, strlen(id));
	hex[16] = '\0';
	return hex;
}

static gboolean id_valid(const char *id, size_t len)
{
	if (len != 16)
		return FALSE;
	for (size_t i = 0; i < len; i++)
		if (!g_ascii_isxdigit(id[i]) || g_ascii_isupper(id[i]))
			return FALSE;
	return TRUE;
}

char *reply_token(const lg_config *cfg, const char *id)
{
	char *secret, *mac, *tok;
	if (id == NULL || !id_valid(id, strlen(id)))
		return NULL;
	secret = reply_secret(cfg);
	if (secret == NULL)
		return NULL;
	mac = token_mac(secret, id);
	tok = g_strconcat(id, ".", mac, NULL);
	explicit_bzero(secret, strlen(secret));
	g_free(secret);
	g_free(mac);
	return tok;
}

char *reply_letter_id(const lg_config *cfg, const char *rcpt)
{
	char *addr = util_addr_normalize(rcpt), *local = NULL, *domain = NULL;
	char *id = NULL, *secret = NULL, *mac = NULL;
	const char *tok, *dot;

	util_addr_split(addr, &local, &domain);
	if (cfg->domain == NULL || g_ascii_strcasecmp(domain, cfg->domain) != 0 ||
	    !g_str_has_prefix(local, "reply+"))
		goto out;
	tok = local + 6;
	dot = strchr(tok, '.');
	if (dot == NULL || !id_valid(tok, (size_t)(dot - tok)) || strlen(dot + 1) != 16)
		goto out;
	secret = reply_secret(cfg);
	if (secret == NULL)
		goto out;
	id = g_strndup(tok, (gsize)(dot - tok));
	mac = token_mac(secret, id);
	if (!util_str_equal_ct(mac, dot + 1))
		g_clear_pointer(&id, g_free);
out:
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		g_free(secret);
	}
	g_free(mac);
	g_free(addr);
	g_free(local);
	g_free(domain);
	return id;
}

/* ---------------------------------------------------- notifications table */

typedef struct {
	const char *letter_id;
	const char *state;
	const char *reason;
	gint64 now;
	gboolean ok; /* sent / claimed */
	const char *error;
	GPtrArray *rows; /* for pending: char* triples */
	int max;
} nrow;

static gboolean db_exec(sqlite3 *db, const char *sql, GError **err)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_OTHER, "notifications: %s",
		            msg ? msg : "error");
		sqlite3_free(msg);
		return FALSE;
	}
	return TRUE;
}

static gboolean db_schema(sqlite3 *db, GError **err)
{
	return db_exec(db,
	               "CREATE TABLE IF NOT EXISTS notifications("
	               " letter_id TEXT NOT NULL, state TEXT NOT NULL, reason TEXT,"
	               " created INTEGER NOT NULL, sent INTEGER NOT NULL DEFAULT 0,"
	               " sent_at INTEGER, claimed_until INTEGER NOT NULL DEFAULT 0,"
	               " attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,"
	               " PRIMARY KEY(letter_id, state));"
	               "CREATE INDEX IF NOT EXISTS notifications_pending"
	               " ON notifications(sent, claimed_until);",
	               err);
}

static gboolean db_step(sqlite3 *db, sqlite3_stmt *st, GError **err)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		g_set_error(err, LG_STORE_ERROR,
		            rc == SQLITE_BUSY ? LG_STORE_ERR_BUSY : LG_STORE_ERR_OTHER,
		            "notifications: %s", sqlite3_errmsg(db));
		return FALSE;
	}
	return TRUE;
}

static gboolean db_claim(sqlite3 *db, gpointer data, GError **err)
{
	nrow *r = data;
	sqlite3_stmt *st = NULL;
	gboolean ok = FALSE;

	r->ok = FALSE;
	if (!db_schema(db, err))
		return FALSE;
	if (sqlite3_prepare_v2(
	        db,
	        "INSERT OR IGNORE INTO notifications(letter_id, state, reason, created)"
	        " VALUES(?1, ?2, ?3, ?4)",
	        -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, r->letter_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->state, -1, SQLITE_STATIC);
	if (r->reason)
		sqlite3_bind_text(st, 3, r->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->now);
	if (!db_step(db, st, err))
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(
	        db,
	        "UPDATE notifications SET claimed_until = ?3, attempts = attempts + 1"
	        " WHERE letter_id = ?1 AND state = ?2 AND sent = 0"
	        " AND claimed_until < ?4 AND attempts < ?5",
	        -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, r->letter_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, r->now + NOTIFY_CLAIM_SECONDS);
	sqlite3_bind_int64(st, 4, r->now);
	sqlite3_bind_int(st, 5, NOTIFY_MAX_ATTEMPTS);
	if (!db_step(db, st, err))
		goto out;
	r->ok = sqlite3_changes(db) == 1;
	ok = TRUE;
	goto out;
fail:
	g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_OTHER, "notifications: %s",
	            sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	return ok;
}

static gboolean db_finish(sqlite3 *db, gpointer data, GError **err)
{
	nrow *r = data;
	sqlite3_stmt *st = NULL;
	gboolean ok;
	const char *sql =
	    r->ok ? "UPDATE notifications SET sent = 1, sent_at = ?3, last_error = NULL"
	            " WHERE letter_id = ?1 AND state = ?2"
	          : "UPDATE notifications SET last_error = ?4,"
	            " claimed_until = ?3 + 300 * attempts WHERE letter_id = ?1 AND state = ?2";

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_OTHER, "notifications: %s",
		            sqlite3_errmsg(db));
		return FALSE;
	}
	sqlite3_bind_text(st, 1, r->letter_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, r->now);
	if (!r->ok)
		sqlite3_bind_text(st, 4, r->error ? r->error : "", -1, SQLITE_STATIC);
	ok = db_step(db, st, err);
	sqlite3_finalize(st);
	return ok;
}

static gboolean db_pending(sqlite3 *db, gpointer data, GError **err)
{
	nrow *r = data;
	sqlite3_stmt *st = NULL;
	int rc;

	if (!db_schema(db, err))
		return FALSE;
	if (sqlite3_prepare_v2(db,
	                       "SELECT letter_id, state, reason FROM notifications"
	                       " WHERE sent = 0 AND claimed_until < ?1 AND attempts < ?2"
	                       " AND state NOT LIKE 'reply:%' ORDER BY created LIMIT ?3",
	                       -1, &st, NULL) != SQLITE_OK) {
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_OTHER, "notifications: %s",
		            sqlite3_errmsg(db));
		return FALSE;
	}
	sqlite3_bind_int64(st, 1, r->now);
	sqlite3_bind_int(st, 2, NOTIFY_MAX_ATTEMPTS);
	sqlite3_bind_int(st, 3, r->max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int c = 0; c < 3; c++) {
			const char *v = (const char *)sqlite3_column_text(st, c);
			g_ptr_array_add(r->rows, v ? g_strdup(v) : NULL);
		}
	}
	sqlite3_finalize(st);
	return TRUE;
}

/* ------------------------------------------------------------ messages */

static char *clean_reason(const char *reason)
{
	char *r = util_utf8_repair(reason ? reason : "", -1);
	GString *out = g_string_new(NULL);
	for (const char *p = r; *p && out->len < 1000; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c == '\n' || c == '\t' || !g_unichar_iscntrl(c))
			g_string_append_unichar(out, c);
	}
	g_free(r);
	return g_strstrip(g_string_free(out, FALSE));
}

typedef struct {
	const char *state;
	const char *subj_en;
	const char *subj_ru;
	const char *en; /* %s: prisoner name */
	const char *ru;
} state_text;

static const state_text state_texts[] = {
    {"accepted", "accepted", "принято",
     "Your letter to %s has been accepted. We will hand it to the delivery partner, who "
     "prints it and passes it to the prison. Below is the letter exactly as it will be "
     "printed.",
     "Ваше письмо для %s принято. Мы передадим его службе доставки, которая распечатает "
     "его и передаст в учреждение. Ниже — письмо в том виде, в каком оно будет "
     "напечатано."},
    {"held", "waiting for a moderator", "ожидает модератора",
     "Your letter to %s is waiting for a volunteer moderator to read it before it is sent. "
     "We will write again when it has been decided.",
     "Ваше письмо для %s ожидает проверки модератором-волонтёром. Мы напишем вам, когда "
     "решение будет принято."},
    {"approved", "approved", "одобрено",
     "A moderator approved your letter to %s. It is queued for delivery.",
     "Модератор одобрил ваше письмо для %s. Оно поставлено в очередь на отправку."},
    {"rejected", "not approved", "не одобрено",
     "A moderator did not approve your letter to %s, and it will not be sent.",
     "Модератор не одобрил ваше письмо для %s, и оно не будет отправлено."},
    {"delivered", "delivered", "доставлено",
     "The delivery partner reports that your letter to %s has been delivered.",
     "Служба доставки сообщает, что ваше письмо для %s доставлено."},
    {"censored", "stopped by the censor", "не пропущено цензурой",
     "The prison censor did not pass your letter to %s. You may write again without the "
     "part that was objected to.",
     "Цензура учреждения не пропустила ваше письмо для %s. Вы можете написать снова, "
     "убрав то, что вызвало возражение."},
    {"failed", "could not be delivered", "не удалось доставить",
     "We could not hand your letter to %s to the delivery partner despite repeated "
     "attempts. Our moderators have been told.",
     "Нам не удалось передать ваше письмо для %s службе доставки, несмотря на повторные "
     "попытки. Модераторы уведомлены."},
    {"reply", "a reply has arrived", "пришёл ответ",
     "%s has written back. The reply will reach you by email from this address.",
     "%s написал(а) ответ. Он придёт вам письмом с этого адреса."},
};

static const state_text *state_find(const char *state)
{
	for (size_t i = 0; i < G_N_ELEMENTS(state_texts); i++)
		if (strcmp(state_texts[i].state, state) == 0)
			return &state_texts[i];
	return NULL;
}

/* Appends "- name (reason)" lines for a JSON array of objects. */
static void json_list(GString *out, const char *json, const char *filter_action,
                      const char *title_en, const char *title_ru)
{
	JsonParser *parser = NULL;
	JsonNode *root;
	JsonArray *arr;
	GString *items = g_string_new(NULL);

	if (json == NULL || *json == '\0')
		goto out;
	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, json, -1, NULL))
		goto out;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_ARRAY(root))
		goto out;
	arr = json_node_get_array(root);
	for (guint i = 0; i < json_array_get_length(arr); i++) {
		JsonObject *o = json_array_get_object_element(arr, i);
		const char *name, *why;
		if (o == NULL)
			continue;
		if (filter_action) {
			const char *a = json_object_get_string_member_with_default(o, "action", "");
			if (strcmp(a, filter_action) != 0)
				continue;
			name = json_object_get_string_member_with_default(o, "category", "");
		} else {
			if (json_object_get_boolean_member_with_default(o, "quiet", FALSE))
				continue;
			name = json_object_get_string_member_with_default(o, "name", "");
		}
		why = json_object_get_string_member_with_default(
		    o, "reason_en", json_object_get_string_member_with_default(o, "reason", ""));
		{
			char *n = clean_reason(name), *w = clean_reason(why);
			g_string_append_printf(items, "  - %s%s%s%s\n", n, *w ? " (" : "", w,
			                       *w ? ")" : "");
			g_free(n);
			g_free(w);
		}
	}
out:
	if (items->len)
		g_string_append_printf(out, "\n%s / %s\n%s", title_en, title_ru, items->str);
	g_string_free(items, TRUE);
	g_clear_object(&parser);
}

static char *prisoner_name(lg_store *st, const lg_letter_rec *rec, lg_prisoner **p_r)
{
	lg_prisoner *p = rec->prisoner ? store_prisoner_get(st, rec->prisoner, NULL) : NULL;
	char *name = g_strdup(p && p->full_name && *p->full_name ? p->full_name
	                      : rec->prisoner                    ? rec->prisoner
	                                                         : "?");
	*p_r = p;
	return name;
}

static char *from_addr(const lg_config *cfg)
{
	if (cfg->notify_from && *cfg->notify_from)
		return g_strdup(cfg->notify_from);
	return g_strdup_printf("lettergate@%s", cfg->domain ? cfg->domain : "localhost");
}

static gboolean addr_sendable(const char *a)
{
	if (a == NULL || *a == '\0' || *a == '-' || strchr(a, '@') == NULL)
		return FALSE;
	for (const char *p = a; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == ',' || *p == ';')
			return FALSE;
	return TRUE;
}

static void set_common_headers(const lg_config *cfg, GMimeMessage *m, const lg_letter_rec *rec,
                               const char *auto_submitted)
{
	GMimeObject *o = GMIME_OBJECT(m);
	char *from = from_addr(cfg), *mid;
	GDateTime *now = g_date_time_new_now_local();

	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, "lettergate", from);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, rec->writer_addr);
	g_mime_message_set_date(m, now);
	mid = g_mime_utils_generate_message_id(cfg->domain ? cfg->domain : "localhost");
	g_mime_message_set_message_id(m, mid);
	g_mime_object_set_header(o, "Auto-Submitted", auto_submitted, NULL);
	if (rec->message_id && *rec->message_id && !strpbrk(rec->message_id, "<>\r\n ")) {
		char *ref = g_strdup_printf("<%s>", rec->message_id);
		g_mime_object_set_header(o, "In-Reply-To", ref, NULL);
		g_mime_object_set_header(o, "References", ref, NULL);
		g_free(ref);
	}
	g_mime_object_set_header(o, "X-Lettergate-Letter", rec->id, NULL);
	g_date_time_unref(now);
	g_free(mid);
	g_free(from);
}

static GMimeMessage *state_message(const lg_config *cfg, lg_store *st, const lg_letter_rec *rec,
                                   const char *state, const char *reason)
{
	const state_text *t = state_find(state);
	GMimeMessage *m;
	GMimeTextPart *body;
	lg_prisoner *p = NULL;
	char *name, *subject, *why = NULL;
	GString *text;

	if (t == NULL)
		return NULL;
	name = prisoner_name(st, rec, &p);
	why = clean_reason(reason ? reason : rec->reason);
	text = g_string_new(NULL);
	g_string_append_printf(text, t->en, name);
	g_string_append(text, "\n\n");
	g_string_append_printf(text, t->ru, name);
	g_string_append(text, "\n");
	if (*why && (strcmp(state, "rejected") == 0 || strcmp(state, "censored") == 0 ||
	             strcmp(state, "approved") == 0 || strcmp(state, "held") == 0))
		g_string_append_printf(text, "\nReason / Причина: %s\n", why);
	if (strcmp(state, "accepted") == 0) {
		char *printed = partner_print_text(rec, p);
		json_list(text, rec->findings_json, "strip", "Removed from the text",
		          "Удалено из текста");
		json_list(text, rec->dropped_json, NULL, "Attachments not sent",
		          "Вложения, которые не будут отправлены");
		g_string_append_printf(
		    text,
		    "\n-------- the letter as printed / письмо при печати --------\n"
		    "%s\n"
		    "-----------------------------------------------------------\n",
		    printed ? printed : "");
		g_free(printed);
	}
	g_string_append_printf(text,
	                       "\nLetter / Письмо: %s\n\n-- \nThis message was sent automatically. "
	                       "Replies to it are not read.\nЭто сообщение отправлено "
	                       "автоматически, ответы на него не читаются.\n",
	                       rec->id);

	m = g_mime_message_new(TRUE);
	set_common_headers(cfg, m, rec, "auto-replied");
	g_mime_object_set_header(GMIME_OBJECT(m), "X-Lettergate-State", state, NULL);
	subject = g_strdup_printf("Auto: letter to %s: %s / письмо для %s: %s", name, t->subj_en,
	                          name, t->subj_ru);
	g_mime_message_set_subject(m, subject, "utf-8");
	body = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(body, text->str);
	g_mime_message_set_mime_part(m, GMIME_OBJECT(body));
	g_object_unref(body);
	g_mime_object_encode(GMIME_OBJECT(m), GMIME_ENCODING_CONSTRAINT_7BIT);

	g_free(subject);
	g_free(name);
	g_free(why);
	prisoner_free(p);
	g_string_free(text, TRUE);
	return m;
}

/* Pipes a message to cfg->sendmail with the null envelope sender. */
static gboolean sendmail_pipe(const lg_config *cfg, const char *rcpt, const char *message,
                              GError **err)
{
	char **argv = NULL;
	GPtrArray *args = NULL;
	GSubprocess *proc = NULL;
	GBytes *in = NULL;
	gboolean ok = FALSE, has_t = FALSE, has_f = FALSE;

	if (!g_shell_parse_argv(cfg->sendmail && *cfg->sendmail ? cfg->sendmail
	                                                        : "/usr/sbin/sendmail -t -oi",
	                        NULL, &argv, err))
		goto out;
	args = g_ptr_array_new();
	for (int i = 0; argv[i]; i++) {
		if (strcmp(argv[i], "-t") == 0)
			has_t = TRUE;
		if (g_str_has_prefix(argv[i], "-f"))
			has_f = TRUE;
		g_ptr_array_add(args, argv[i]);
	}
	if (!has_f) {
		g_ptr_array_add(args, (char *)"-f");
		g_ptr_array_add(args, (char *)"<>");
	}
	if (!has_t)
		g_ptr_array_add(args, (char *)rcpt);
	g_ptr_array_add(args, NULL);
	proc = g_subprocess_newv((const char *const *)args->pdata,
	                         G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
	                             G_SUBPROCESS_FLAGS_STDERR_SILENCE,
	                         err);
	if (proc == NULL)
		goto out;
	in = g_bytes_new_static(message, strlen(message));
	if (!g_subprocess_communicate(proc, in, NULL, NULL, NULL, err))
		goto out;
	if (!g_subprocess_get_if_exited(proc) || g_subprocess_get_exit_status(proc) != 0) {
		g_set_error(err, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "sendmail exited with %d",
		            g_subprocess_get_if_exited(proc) ? g_subprocess_get_exit_status(proc)
		                                             : -1);
		goto out;
	}
	ok = TRUE;
out:
	if (in)
		g_bytes_unref(in);
	g_clear_object(&proc);
	if (args)
		g_ptr_array_free(args, TRUE);
	g_strfreev(argv);
	return ok;
}

static gboolean mark(lg_store *st, nrow *r)
{
	GError *err = NULL;
	if (!store_with_db(st, db_finish, r, &err)) {
		lg_err("letter %s: notification %s: %s", r->letter_id, r->state, err->message);
		g_clear_error(&err);
		return FALSE;
	}
	return TRUE;
}

static lg_letter_rec *letter_load(lg_store *st, const char *letter_id)
{
	GError *err = NULL;
	lg_letter_rec *rec = store_letter_get(st, letter_id, FALSE, &err);
	if (rec == NULL && err && !g_error_matches(err, LG_STORE_ERROR, LG_STORE_ERR_NOTFOUND))
		lg_err("letter %s: %s", letter_id, err->message);
	g_clear_error(&err);
	return rec;
}

/* Claims, builds, sends and records one notification. */
static gboolean notify_one(const lg_config *cfg, lg_store *st, const char *letter_id,
                           const char *state, const char *reason)
{
	lg_letter_rec *rec = NULL;
	GMimeMessage *m = NULL;
	char *text = NULL;
	GError *err = NULL;
	nrow r = {.letter_id = letter_id, .state = state, .reason = reason, .now = util_now()};
	gboolean sent = FALSE;

	rec = letter_load(st, letter_id);
	if (rec == NULL || !rec->notify || !addr_sendable(rec->writer_addr))
		goto out;
	if (state_find(state) == NULL) {
		lg_warn("letter %s: no notification for state %s", letter_id, state);
		goto out;
	}
	if (!store_with_db(st, db_claim, &r, &err)) {
		lg_err("letter %s: notification %s: %s", letter_id, state, err->message);
		goto out;
	}
	if (!r.ok)
		goto out; /* sent already, being sent, or given up */
	message_init();
	m = state_message(cfg, st, rec, state, reason);
	text = g_mime_object_to_string(GMIME_OBJECT(m), NULL);
	r.ok = sendmail_pipe(cfg, rec->writer_addr, text, &err);
	if (!r.ok) {
		char *e = util_sanitize(err ? err->message : "failed", 200);
		lg_warn("letter %s: notification %s not sent: %s", letter_id, state, e);
		r.error = e;
		mark(st, &r);
		r.error = NULL;
		g_free(e);
		goto out;
	}
	mark(st, &r);
	sent = TRUE;
	lg_info("letter %s: writer notified: %s", letter_id, state);
out:
	g_clear_error(&err);
	g_clear_object(&m);
	g_free(text);
	letter_rec_free(rec);
	return sent;
}

void notify_letter_state(const lg_config *cfg, lg_store *st, const char *letter_id,
                         const char *state, const char *reason)
{
	if (cfg == NULL || !cfg->notify_enabled || st == NULL || letter_id == NULL || state == NULL)
		return;
	notify_one(cfg, st, letter_id, state, reason);
}

int notify_retry_pending(const lg_config *cfg, lg_store *st, int max)
{
	nrow r = {.now = util_now(), .max = max > 0 ? max : 100};
	GError *err = NULL;
	int n = 0;

	if (cfg == NULL || !cfg->notify_enabled || st == NULL)
		return 0;
	r.rows = g_ptr_array_new_with_free_func(g_free);
	if (!store_with_db(st, db_pending, &r, &err)) {
		lg_err("notifications: %s", err->message);
		g_clear_error(&err);
	}
	for (guint i = 0; i + 2 < r.rows->len; i += 3)
		if (notify_one(cfg, st, g_ptr_array_index(r.rows, i),
		               g_ptr_array_index(r.rows, i + 1), g_ptr_array_index(r.rows, i + 2)))
			n++;
	g_ptr_array_unref(r.rows);
	return n;
}

char *notify_message_build(const lg_config *cfg, lg_store *st, const char *letter_id,
                           const char *state, const char *reason)
{
	lg_letter_rec *rec = letter_load(st, letter_id);
	GMimeMessage *m;
	char *text = NULL;

	if (rec == NULL)
		return NULL;
	if (rec->writer_addr == NULL) {
		letter_rec_free(rec);
		return NULL;
	}
	message_init();
	m = state_message(cfg, st, rec, state, reason);
	if (m)
		text = g_mime_object_to_string(GMIME_OBJECT(m), NULL);
	g_clear_object(&m);
	letter_rec_free(rec);
	return text;
}

/* -------------------------------------------------------------- replies */

static void collect_parts(GMimeObject *o, GPtrArray *out, int depth)
{
	if (o == NULL || depth > 20)
		return;
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		for (int i = 0; i < g_mime_multipart_get_count(mp); i++)
			collect_parts(g_mime_multipart_get_part(mp, i), out, depth + 1);
	} else {
		g_ptr_array_add(out, o);
	}
}

gboolean reply_forward(const lg_config *cfg, lg_store *st, const char *letter_id,
                       GMimeStream *message, GError **err)
{
	lg_letter_rec *rec = NULL;
	lg_prisoner *p = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *orig = NULL, *fwd = NULL;
	GMimeMultipart *mixed = NULL;
	GMimeTextPart *intro = NULL;
	GPtrArray *parts = NULL;
	char *name = NULL, *subject = NULL, *text = NULL, *orig_text = NULL, *hash = NULL,
	     *state = NULL;
	nrow r = {.letter_id = letter_id, .now = util_now()};
	gboolean ok = FALSE;
	GError *e = NULL;

	rec = letter_load(st, letter_id);
	if (rec == NULL || !addr_sendable(rec->writer_addr) ||
	    (cfg->retention_days > 0 &&
	     rec->created < r.now - (gint64)cfg->retention_days * 86400)) {
		g_set_error(err, LG_REPLY_ERROR, LG_REPLY_ERR_EXPIRED,
		            "this reply address has expired");
		goto out;
	}
	message_init();
	if (g_mime_stream_reset(message) != 0) {
		/* not seekable: read from where it is */
	}
	{
		/* the reply comes from outside: the same raw check as letters get
		 * before GMime parses it (and re-encodes it in the forward) */
		lg_limits lim;
		message_limits_from_config(cfg, &lim);
		if (!message_prescan(message, &lim, &e)) {
			g_set_error(err, LG_REPLY_ERROR, LG_REPLY_ERR_EXPIRED, "reply refused: %s",
			            e->message);
			g_clear_error(&e);
			goto out;
		}
		g_mime_stream_reset(message);
	}
	parser = g_mime_parser_new_with_stream(message);
	orig = g_mime_parser_construct_message(parser, NULL);
	if (orig == NULL) {
		g_set_error(err, LG_REPLY_ERROR, LG_REPLY_ERR_TEMP, "reply: unreadable message");
		goto out;
	}
	/* one forward per reply: a retried SMTP transaction must not double it.
	 * Keyed by the Message-ID (a partner's resent copy has a new Date and
	 * MIME boundary but the same Message-ID), else by the whole text. */
	{
		const char *mid = g_mime_message_get_message_id(orig);
		if (mid && *mid)
			orig_text = g_strconcat("message-id:", mid, NULL);
		else
			orig_text = g_mime_object_to_string(GMIME_OBJECT(orig), NULL);
	}
	hash = util_sha256_hex(orig_text, strlen(orig_text));
	hash[16] = '\0';
	state = g_strconcat("reply:", hash, NULL);
	r.state = state;
	if (!store_with_db(st, db_claim, &r, &e)) {
		g_set_error(err, LG_REPLY_ERROR, LG_REPLY_ERR_TEMP, "reply: %s", e->message);
		goto out;
	}
	if (!r.ok) {
		ok = TRUE; /* forwarded before (or being forwarded) */
		goto out;
	}

	name = prisoner_name(st, rec, &p);
	text = g_strdup_printf(
	    "%s has replied to your letter (%s). The reply as the delivery partner sent it "
	    "follows, with its attachments.\n\n"
	    "%s ответил(а) на ваше письмо (%s). Ниже — ответ в том виде, в каком его прислала "
	    "служба доставки, с вложениями.\n",
	    name, rec->id, name, rec->id);
	fwd = g_mime_message_new(TRUE);
	set_common_headers(cfg, fwd, rec, "auto-generated");
	subject = g_strdup_printf("Reply from %s / Ответ от %s", name, name);
	g_mime_message_set_subject(fwd, subject, "utf-8");
	mixed = g_mime_multipart_new_with_subtype("mixed");
	intro = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(intro, text);
	g_mime_multipart_add(mixed, GMIME_OBJECT(intro));
	parts = g_ptr_array_new();
	collect_parts(g_mime_message_get_mime_part(orig), parts, 0);
	for (guint i = 0; i < parts->len; i++)
		g_mime_multipart_add(mixed, g_ptr_array_index(parts, i));
	g_mime_message_set_mime_part(fwd, GMIME_OBJECT(mixed));
	g_mime_object_encode(GMIME_OBJECT(fwd), GMIME_ENCODING_CONSTRAINT_7BIT);
	g_free(text);
	text = g_mime_object_to_string(GMIME_OBJECT(fwd), NULL);

	r.ok = sendmail_pipe(cfg, rec->writer_addr, text, &e);
	if (!r.ok) {
		char *s = util_sanitize(e ? e->message : "failed", 200);
		r.error = s;
		r.now = 0; /* claimed_until = 300 * attempts, long past: the SMTP retry may claim */
		mark(st, &r);
		r.error = NULL;
		g_set_error(err, LG_REPLY_ERROR, LG_REPLY_ERR_TEMP, "reply: %s", s);
		g_free(s);
		goto out;
	}
	mark(st, &r);
	lg_info("letter %s: reply forwarded to the writer (%u parts)", letter_id, parts->len);
	ok = TRUE;
out:
	g_clear_error(&e);
	if (parts)
		g_ptr_array_free(parts, TRUE);
	g_clear_object(&intro);
	g_clear_object(&mixed);
	g_clear_object(&fwd);
	g_clear_object(&orig);
	g_clear_object(&parser);
	g_free(name);
	g_free(subject);
	g_free(text);
	g_free(orig_text);
	g_free(hash);
	g_free(state);
	prisoner_free(p);
	letter_rec_free(rec);
	return ok;
}
