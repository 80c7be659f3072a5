/*
 * deliver/http.c - see http.h.
 *
 * One CURL easy handle per object: libcurl keeps the connection (and the
 * TLS session) alive between posts, so a worker draining the outbox pays
 * the handshake once. Nothing here logs the body: it holds the letter.
 */
#include "deliver/http.h"

#include <curl/curl.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "common/util.h"

#define HTTP_ANSWER_MAX (64 * 1024) /* we only want a reference out of it */

struct partner_http {
	const lg_config *cfg; /* borrowed; NULL for _new_raw */
	char *url;
	char *secret;
	int timeout_ms;
	CURL *curl;
	GString *answer;
	char *retry_after; /* last Retry-After header seen */
};

static gsize curl_once;

static void http_global_init(void)
{
	if (g_once_init_enter(&curl_once)) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		g_once_init_leave(&curl_once, 1);
	}
}

static gboolean host_is_loopback(const char *host)
{
	return g_ascii_strcasecmp(host, "localhost") == 0 || g_str_has_prefix(host, "127.") ||
	       strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0;
}

static gboolean url_check(const char *url, GError **err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	gboolean ok = FALSE;

	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		g_set_error(err, LG_CONFIG_ERROR, 1, "delivery.http_url: not a URL");
		goto out;
	}
	if (g_ascii_strcasecmp(scheme, "https") != 0 &&
	    !(g_ascii_strcasecmp(scheme, "http") == 0 && host_is_loopback(host))) {
		g_set_error(err, LG_CONFIG_ERROR, 1,
		            "delivery.http_url: must be https:// (http:// only to loopback)");
		goto out;
	}
	ok = TRUE;
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
	partner_http *h = data;
	size_t n = size * nmemb;
	if (h->answer->len < HTTP_ANSWER_MAX)
		g_string_append_len(h->answer, ptr,
		                    (gssize)MIN(n, HTTP_ANSWER_MAX - h->answer->len));
	return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *data)
{
	partner_http *h = data;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";

	/* a new status line starts a new response (100 Continue, redirects) */
	if (n >= 5 && g_ascii_strncasecmp(ptr, "HTTP/", 5) == 0)
		g_clear_pointer(&h->retry_after, g_free);
	else if (n > sizeof(name) - 1 && g_ascii_strncasecmp(ptr, name, sizeof(name) - 1) == 0) {
		g_free(h->retry_after);
		h->retry_after =
		    g_strstrip(g_strndup(ptr + sizeof(name) - 1, MIN(n - (sizeof(name) - 1), 128)));
	}
	return n;
}

partner_http *partner_http_new_raw(const char *url, const char *secret, int timeout_ms,
                                   GError **err)
{
	partner_http *h;

	if (url == NULL || *url == '\0') {
		g_set_error(err, LG_CONFIG_ERROR, 1,
		            "delivery.http_url is required for partner = http");
		return NULL;
	}
	if (secret == NULL || *secret == '\0') {
		g_set_error(err, LG_CONFIG_ERROR, 1, "delivery.http_secret_file: empty secret");
		return NULL;
	}
	http_global_init();
	if (!url_check(url, err))
		return NULL;
	h = g_new0(partner_http, 1);
	h->url = g_strdup(url);
	h->secret = g_strdup(secret);
	h->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
	h->answer = g_string_new(NULL);
	h->curl = curl_easy_init();
	if (h->curl == NULL) {
		g_set_error(err, LG_CONFIG_ERROR, 1, "curl_easy_init failed");
		partner_http_free(&h);
		return NULL;
	}
	return h;
}

partner_http *partner_http_new(const lg_config *cfg, GError **err)
{
	partner_http *h;
	char *secret;

	if (cfg->http_secret_file == NULL || *cfg->http_secret_file == '\0') {
		g_set_error(err, LG_CONFIG_ERROR, 1,
		            "delivery.http_secret_file is required for partner = http");
		return NULL;
	}
	secret = config_read_secret(cfg->http_secret_file, err);
	if (secret == NULL)
		return NULL;
	h = partner_http_new_raw(cfg->http_url, secret, cfg->partner_timeout_ms, err);
	if (h)
		h->cfg = cfg;
	explicit_bzero(secret, strlen(secret));
	g_free(secret);
	return h;
}

void partner_http_free(partner_http **hp)
{
	partner_http *h = hp ? *hp : NULL;
	if (h == NULL)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	if (h->secret) {
		explicit_bzero(h->secret, strlen(h->secret));
		g_free(h->secret);
	}
	g_free(h->url);
	g_free(h->retry_after);
	g_string_free(h->answer, TRUE);
	g_free(h);
	*hp = NULL;
}

char *http_signature(const char *secret, const void *body, size_t len)
{
	char *hex = util_hmac_sha256_hex(secret, strlen(secret), body, len);
	char *sig = g_strconcat("sha256=", hex, NULL);
	g_free(hex);
	return sig;
}

lg_deliver_status http_classify(long status)
{
	if (status >= 200 && status < 300)
		return LG_DELIVER_OK;
	if (status == 408 || status == 429 || status >= 500 || status < 200)
		return LG_DELIVER_RETRY;
	if (status >= 400)
		return LG_DELIVER_PERMANENT;
	/* 3xx: we never follow redirects; a moved partner is a configuration
	 * problem an admin fixes, so keep the letter and retry meanwhile */
	return LG_DELIVER_RETRY;
}

gint64 http_retry_after(const char *value, gint64 now)
{
	gint64 secs;
	char *end = NULL;

	if (value == NULL)
		return 0;
	while (*value == ' ' || *value == '\t')
		value++;
	if (*value == '\0')
		return 0;
	if (g_ascii_isdigit(*value)) {
		secs = g_ascii_strtoll(value, &end, 10);
		while (end && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
			end++;
		if (end == NULL || *end != '\0' || secs < 0)
			return 0;
		return MIN(secs, (gint64)365 * 86400);
	}
	secs = (gint64)curl_getdate(value, NULL);
	if (secs <= 0 || secs <= now)
		return 0;
	return MIN(secs - now, (gint64)365 * 86400);
}

static char *answer_ref(const GString *answer)
{
	JsonParser *parser = NULL;
	JsonNode *root;
	JsonObject *obj;
	char *ref = NULL;
	const char *keys[] = {"ref", "id"};

	if (answer->len == 0)
		return NULL;
	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, answer->str, (gssize)answer->len, NULL))
		goto out;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		goto out;
	obj = json_node_get_object(root);
	for (size_t i = 0; i < G_N_ELEMENTS(keys) && ref == NULL; i++) {
		JsonNode *n = json_object_get_member(obj, keys[i]);
		if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
			ref = util_sanitize(json_node_get_string(n), 128);
	}
out:
	g_clear_object(&parser);
	return ref;
}

lg_deliver_status partner_http_post(partner_http *h, const char *id, const char *body, size_t len,
                                    char **ref_r, gint64 *retry_after_r, char **error_r)
{
	struct curl_slist *hdrs = NULL;
	char *sig = NULL, *line = NULL, *safe_id = NULL;
	char errbuf[CURL_ERROR_SIZE];
	lg_deliver_status st;
	CURLcode rc;
	long status = 0;

	if (ref_r)
		*ref_r = NULL;
	if (retry_after_r)
		*retry_after_r = 0;
	if (error_r)
		*error_r = NULL;

	g_string_truncate(h->answer, 0);
	g_clear_pointer(&h->retry_after, g_free);
	errbuf[0] = '\0';

	safe_id = util_sanitize(id, 64);
	sig = http_signature(h->secret, body, len);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
	line = g_strconcat("Idempotency-Key: ", safe_id, NULL);
	hdrs = curl_slist_append(hdrs, line);
	g_free(line);
	line = g_strconcat("X-Lettergate-Signature: ", sig, NULL);
	hdrs = curl_slist_append(hdrs, line);
	g_free(line);

	/* options are set anew each time: the handle (and its connection
	 * cache) is what we keep, not the per-request state */
	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_URL, h->url);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)MIN(h->timeout_ms, 10000));
	curl_easy_setopt(h->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "lettergate");
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, errbuf);

	rc = curl_easy_perform(h->curl);
	if (rc != CURLE_OK) {
		st = LG_DELIVER_RETRY;
		if (error_r) {
			char *e = util_sanitize(errbuf[0] ? errbuf : curl_easy_strerror(rc), 200);
			*error_r = g_strdup_printf("http: %s", e);
			g_free(e);
		}
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	st = http_classify(status);
	if (st == LG_DELIVER_OK) {
		if (ref_r)
			*ref_r = answer_ref(h->answer);
		goto out;
	}
	if (retry_after_r && (status == 429 || status == 503))
		*retry_after_r = http_retry_after(h->retry_after, util_now());
	if (error_r)
		*error_r = g_strdup_printf("http: partner answered %ld", status);
out:
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdrs);
	g_free(sig);
	g_free(safe_id);
	return st;
}

lg_deliver_status partner_http_deliver(partner_http *h, const lg_letter_rec *letter,
                                       const lg_prisoner *prisoner, char **ref_r,
                                       gint64 *retry_after_r, char **error_r)
{
	lg_deliver_status st;
	char *body;

	if (h->cfg == NULL) {
		if (error_r)
			*error_r = g_strdup("http: partner has no configuration");
		return LG_DELIVER_RETRY;
	}
	body = partner_payload_json(h->cfg, letter, prisoner, TRUE);
	st = partner_http_post(h, letter->id, body, strlen(body), ref_r, retry_after_r, error_r);
	g_free(body);
	return st;
}
