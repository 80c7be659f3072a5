/* deliver/status.c - see status.h. */
#include "deliver/status.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <json-glib/json-glib.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "common/util.h"
#include "deliver/http.h"
#include "deliver/notify.h"

#define STATUS_BODY_MAX (64 * 1024)
#define STATUS_POLL_MAX (4 * 1024 * 1024)

struct lg_status {
	lg_config *cfg;
	lg_store *st;
	char *secret;
	struct MHD_Daemon *mhd;
	int port;
	GThread *poller;
	GMutex lock;
	GCond cond;
	gboolean stopping;
};

typedef struct {
	GString *body;
	gboolean too_big;
} req_ctx;

static gboolean id_ok(const char *id)
{
	if (id == NULL || strlen(id) != 16)
		return FALSE;
	for (const char *p = id; *p; p++)
		if (!g_ascii_isxdigit(*p) || g_ascii_isupper(*p))
			return FALSE;
	return TRUE;
}

/* Applies one parsed report (signature already checked). */
static int apply_event(const lg_config *cfg, lg_store *st, JsonObject *o, char **error_r)
{
	const char *id = json_object_get_string_member_with_default(o, "id", NULL);
	const char *status = json_object_get_string_member_with_default(o, "status", NULL);
	const char *reason = json_object_get_string_member_with_default(o, "reason", NULL);
	lg_letter_rec *rec = NULL;
	GError *err = NULL;
	char *why = NULL;
	int code = 200;

	if (!id_ok(id) || status == NULL ||
	    (strcmp(status, "delivered") && strcmp(status, "censored") &&
	     strcmp(status, "reply"))) {
		*error_r = g_strdup("bad report: id or status");
		return 400;
	}
	rec = store_letter_get(st, id, FALSE, &err);
	if (rec == NULL) {
		if (err && !g_error_matches(err, LG_STORE_ERROR, LG_STORE_ERR_NOTFOUND)) {
			*error_r = g_strdup_printf("database: %s", err->message);
			code = 503;
		} else {
			*error_r = g_strdup("unknown letter");
			code = 404;
		}
		goto out;
	}
	if (!strcmp(rec->state, "held") || !strcmp(rec->state, "rejected")) {
		*error_r = g_strdup_printf("letter is %s", rec->state);
		code = 409;
		goto out;
	}
	why = util_utf8_repair(reason ? reason : "", -1);
	if (g_utf8_strlen(why, -1) > 1000) {
		char *cut = g_utf8_substring(why, 0, 1000);
		g_free(why);
		why = cut;
	}
	if (strcmp(status, "reply") != 0 && strcmp(rec->state, status) != 0) {
		if (!store_letter_set_state(st, id, status, "partner", *why ? why : NULL, &err)) {
			*error_r = g_strdup_printf("database: %s", err->message);
			code = 503;
			goto out;
		}
		lg_info("letter %s: partner reports %s", id, status);
	}
	notify_letter_state(cfg, st, id, status, *why ? why : NULL);
out:
	g_clear_error(&err);
	g_free(why);
	letter_rec_free(rec);
	return code;
}

static gboolean signature_ok(const char *secret, const char *body, size_t len, const char *sig)
{
	char *want;
	gboolean ok;
	if (secret == NULL || sig == NULL)
		return FALSE;
	want = http_signature(secret, body, len);
	ok = util_str_equal_ct(want, sig);
	g_free(want);
	return ok;
}

int status_apply(const lg_config *cfg, lg_store *st, const char *secret, const char *body,
                 size_t len, const char *signature, char **error_r)
{
	JsonParser *parser = NULL;
	JsonNode *root;
	char *error = NULL;
	int code;

	if (!signature_ok(secret, body, len, signature)) {
		error = g_strdup("bad signature");
		code = 401;
		goto out;
	}
	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, body, (gssize)len, NULL) ||
	    (root = json_parser_get_root(parser)) == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		error = g_strdup("bad report: not a JSON object");
		code = 400;
		goto out;
	}
	code = apply_event(cfg, st, json_node_get_object(root), &error);
out:
	g_clear_object(&parser);
	if (error_r)
		*error_r = error;
	else
		g_free(error);
	return code;
}

/* --------------------------------------------------------------- listener */

static enum MHD_Result answer(struct MHD_Connection *conn, int code, const char *error)
{
	char *json;
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (error) {
		char *e = g_strescape(error, NULL);
		json = g_strdup_printf("{\"ok\":false,\"error\":\"%s\"}\n", e);
		g_free(e);
	} else {
		json = g_strdup("{\"ok\":true}\n");
	}
	r = MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, (unsigned int)code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	lg_status *s = cls;
	req_ctx *rc = *con_cls;
	char *error = NULL;
	int code;
	enum MHD_Result ret;

	if (rc == NULL) {
		if (strcmp(url, "/partner/status") != 0)
			return answer(conn, MHD_HTTP_NOT_FOUND, "not found");
		if (strcmp(method, "POST") != 0)
			return answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "POST only");
		rc = g_new0(req_ctx, 1);
		rc->body = g_string_new(NULL);
		*con_cls = rc;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (rc->body->len + *upload_data_size > STATUS_BODY_MAX)
			rc->too_big = TRUE;
		else
			g_string_append_len(rc->body, upload_data, (gssize)*upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rc->too_big)
		return answer(conn, MHD_HTTP_CONTENT_TOO_LARGE, "body too large");
	code = status_apply(
	    s->cfg, s->st, s->secret, rc->body->str, rc->body->len,
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Lettergate-Signature"), &error);
	if (code != 200) {
		char *e = util_sanitize(error, 200);
		lg_warn("partner status refused (%d): %s", code, e);
		g_free(e);
	}
	ret = answer(conn, code, code == 200 ? NULL : error);
	g_free(error);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	req_ctx *rc = *con_cls;
	if (rc == NULL)
		return;
	g_string_free(rc->body, TRUE);
	g_free(rc);
	*con_cls = NULL;
}

static gboolean parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len_r,
                             GError **err)
{
	const char *colon = strrchr(spec, ':');
	char *host = NULL;
	gint64 port;
	gboolean ok = FALSE;

	memset(ss, 0, sizeof(*ss));
	if (colon == NULL || colon == spec)
		goto bad;
	port = g_ascii_strtoll(colon + 1, NULL, 10);
	if (port < 0 || port > 65535 || colon[1] == '\0')
		goto bad;
	host = g_strndup(spec, (gsize)(colon - spec));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		host[strlen(host) - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			goto bad;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len_r = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len_r = sizeof(*s4);
	}
	ok = TRUE;
	goto out;
bad:
	g_set_error(err, LG_CONFIG_ERROR, 1,
	            "delivery.status_listen: want ADDRESS:PORT, e.g. 127.0.0.1:8025");
out:
	g_free(host);
	return ok;
}

/* ----------------------------------------------------------------- poller */

static size_t poll_body(char *ptr, size_t size, size_t nmemb, void *data)
{
	GString *b = data;
	size_t n = size * nmemb;
	if (b->len + n > STATUS_POLL_MAX)
		return 0; /* abort the transfer */
	g_string_append_len(b, ptr, (gssize)n);
	return n;
}

static size_t poll_header(char *ptr, size_t size, size_t nmemb, void *data)
{
	char **sig = data;
	size_t n = size * nmemb;
	static const char name[] = "x-lettergate-signature:";
	if (n > sizeof(name) - 1 && g_ascii_strncasecmp(ptr, name, sizeof(name) - 1) == 0) {
		g_free(*sig);
		*sig =
		    g_strstrip(g_strndup(ptr + sizeof(name) - 1, MIN(n - (sizeof(name) - 1), 128)));
	}
	return n;
}

int status_poll_once(lg_status *s)
{
	CURL *c = curl_easy_init();
	GString *body = g_string_new(NULL);
	char *sig = NULL, errbuf[CURL_ERROR_SIZE] = "";
	JsonParser *parser = NULL;
	JsonNode *root;
	long http = 0;
	int applied = -1;

	if (c == NULL)
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, s->cfg->status_poll_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)s->cfg->partner_timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, poll_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, poll_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &sig);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (curl_easy_perform(c) != CURLE_OK) {
		char *e = util_sanitize(errbuf, 200);
		lg_warn("status poll: %s", e);
		g_free(e);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
	if (http != 200) {
		lg_warn("status poll: partner answered %ld", http);
		goto out;
	}
	if (!signature_ok(s->secret, body->str, body->len, sig)) {
		lg_warn("status poll: answer not signed with our secret; ignored");
		goto out;
	}
	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, body->str, (gssize)body->len, NULL) ||
	    (root = json_parser_get_root(parser)) == NULL || !JSON_NODE_HOLDS_ARRAY(root)) {
		lg_warn("status poll: answer is not a JSON array");
		goto out;
	}
	applied = 0;
	{
		JsonArray *arr = json_node_get_array(root);
		for (guint i = 0; i < json_array_get_length(arr); i++) {
			JsonObject *o = json_array_get_object_element(arr, i);
			char *error = NULL;
			if (o && apply_event(s->cfg, s->st, o, &error) == 200)
				applied++;
			else if (error) {
				char *e = util_sanitize(error, 200);
				lg_warn("status poll: report %u refused: %s", i, e);
				g_free(e);
			}
			g_free(error);
		}
	}
out:
	g_clear_object(&parser);
	if (c)
		curl_easy_cleanup(c);
	g_string_free(body, TRUE);
	g_free(sig);
	return applied;
}

static gpointer poller_main(gpointer data)
{
	lg_status *s = data;
	g_mutex_lock(&s->lock);
	while (!s->stopping) {
		gint64 until;
		g_mutex_unlock(&s->lock);
		status_poll_once(s);
		g_mutex_lock(&s->lock);
		until = g_get_monotonic_time() + (gint64)s->cfg->poll_seconds * G_TIME_SPAN_SECOND;
		while (!s->stopping && g_cond_wait_until(&s->cond, &s->lock, until))
			;
	}
	g_mutex_unlock(&s->lock);
	return NULL;
}

/* -------------------------------------------------------------- lifecycle */

lg_status *status_start(lg_config *cfg, lg_store *st, GError **err)
{
	lg_status *s = g_new0(lg_status, 1);
	gboolean listen = cfg->status_listen && *cfg->status_listen;
	gboolean poll = cfg->status_poll_url && *cfg->status_poll_url;

	s->cfg = config_ref(cfg);
	s->st = st;
	g_mutex_init(&s->lock);
	g_cond_init(&s->cond);
	if (!listen && !poll)
		return s;
	if (cfg->http_secret_file == NULL || *cfg->http_secret_file == '\0') {
		g_set_error(err, LG_CONFIG_ERROR, 1,
		            "delivery.http_secret_file is needed to check partner status reports");
		goto fail;
	}
	s->secret = config_read_secret(cfg->http_secret_file, err);
	if (s->secret == NULL)
		goto fail;
	if (listen) {
		struct sockaddr_storage ss;
		socklen_t sl = 0;
		const union MHD_DaemonInfo *info;
		if (!parse_listen(cfg->status_listen, &ss, &sl, err))
			goto fail;
		s->mhd = MHD_start_daemon(
		    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
		        (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		    0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT,
		    (unsigned int)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024), MHD_OPTION_END);
		if (s->mhd == NULL) {
			g_set_error(err, LG_CONFIG_ERROR, 1,
			            "delivery.status_listen: cannot listen on %s",
			            cfg->status_listen);
			goto fail;
		}
		info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
		s->port = info ? info->port : 0;
		lg_info("partner status listener on %s (port %d)", cfg->status_listen, s->port);
	}
	if (poll)
		s->poller = g_thread_new("status-poll", poller_main, s);
	return s;
fail:
	status_stop(&s);
	return NULL;
}

int status_port(const lg_status *s)
{
	return s ? s->port : 0;
}

void status_stop(lg_status **sp)
{
	lg_status *s = sp ? *sp : NULL;
	if (s == NULL)
		return;
	if (s->poller) {
		g_mutex_lock(&s->lock);
		s->stopping = TRUE;
		g_cond_broadcast(&s->cond);
		g_mutex_unlock(&s->lock);
		g_thread_join(s->poller);
	}
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	if (s->secret) {
		explicit_bzero(s->secret, strlen(s->secret));
		g_free(s->secret);
	}
	g_mutex_clear(&s->lock);
	g_cond_clear(&s->cond);
	config_unref(&s->cfg);
	g_free(s);
	*sp = NULL;
}
