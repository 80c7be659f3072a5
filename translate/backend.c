/*
 * translate/backend.c - the HTTP translation backends behind one call:
 * Apertium APy, LibreTranslate, DeepL v2. See translate_int.h.
 *
 * Connections are reused through a pool of curl easy handles per backend (an
 * easy handle keeps its connections open between requests; one thread uses
 * a handle at a time). TLS verification stays on; redirects are not
 * followed; answers are capped in size.
 */
#include "translate/translate_int.h"

#include <curl/curl.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "common/log.h"

#define BK_POOL_MAX 16
#define BK_ANSWER_MAX (8 * 1024 * 1024)
#define BK_APERTIUM_MAX 20000
#define BK_LIBRE_MAX 5000
#define BK_DEEPL_MAX 100000
#define BK_DEEPL_TEXTS 50

G_DEFINE_QUARK(lg - translate - error - quark, lg_tr_error)

struct lg_backend {
	lg_bk_kind kind;
	char *url;
	char *key;
	int timeout_ms;
	GMutex lock;
	GPtrArray *idle; /* CURL* */
};

static gpointer curl_init_once(gpointer unused)
{
	(void)unused;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return NULL;
}

lg_backend *backend_new(lg_bk_kind kind, const char *url, const char *key, int timeout_ms)
{
	static GOnce once = G_ONCE_INIT;
	lg_backend *b = g_new0(lg_backend, 1);
	g_once(&once, curl_init_once, NULL);
	b->kind = kind;
	b->url = g_strdup(url);
	while (*b->url && b->url[strlen(b->url) - 1] == '/')
		b->url[strlen(b->url) - 1] = '\0';
	b->key = g_strdup(key);
	b->timeout_ms = timeout_ms > 0 ? timeout_ms : 15000;
	g_mutex_init(&b->lock);
	b->idle = g_ptr_array_new();
	return b;
}

void backend_free(lg_backend **bp)
{
	lg_backend *b = *bp;
	if (b == NULL)
		return;
	for (guint i = 0; i < b->idle->len; i++)
		curl_easy_cleanup(b->idle->pdata[i]);
	g_ptr_array_unref(b->idle);
	g_mutex_clear(&b->lock);
	if (b->key)
		memset(b->key, 0, strlen(b->key));
	g_free(b->key);
	g_free(b->url);
	g_free(b);
	*bp = NULL;
}

lg_bk_kind backend_kind(const lg_backend *b)
{
	return b->kind;
}

gsize backend_max_bytes(const lg_backend *b)
{
	switch (b->kind) {
	case LG_BK_APERTIUM:
		return BK_APERTIUM_MAX;
	case LG_BK_LIBRETRANSLATE:
		return BK_LIBRE_MAX;
	default:
		return BK_DEEPL_MAX;
	}
}

static CURL *handle_get(lg_backend *b)
{
	CURL *h = NULL;
	g_mutex_lock(&b->lock);
	if (b->idle->len)
		h = g_ptr_array_steal_index_fast(b->idle, b->idle->len - 1);
	g_mutex_unlock(&b->lock);
	if (h == NULL)
		h = curl_easy_init();
	if (h == NULL)
		g_error("curl_easy_init failed"); /* out of memory */
	return h;
}

/* Back to the pool; curl_easy_reset keeps live connections and caches. */
static void handle_put(lg_backend *b, CURL *h)
{
	if (h == NULL)
		return;
	curl_easy_reset(h);
	g_mutex_lock(&b->lock);
	if (b->idle->len < BK_POOL_MAX) {
		g_ptr_array_add(b->idle, h);
		h = NULL;
	}
	g_mutex_unlock(&b->lock);
	if (h)
		curl_easy_cleanup(h);
}

static size_t write_cb(char *data, size_t size, size_t n, void *user)
{
	GString *s = user;
	if (s->len + size * n > BK_ANSWER_MAX)
		return 0;
	g_string_append_len(s, data, (gssize)(size * n));
	return size * n;
}

/* POSTs body to url; TRUE with the answer in *answer_r for a 2xx status.
 * FALSE with *err classified otherwise. */
static gboolean http_post(lg_backend *b, const char *url, const char *ctype, const char *body,
                          const char *auth, GString **answer_r, GError **err)
{
	CURL *h = NULL;
	struct curl_slist *hdrs = NULL;
	char *hdr = NULL;
	GString *answer = g_string_new(NULL);
	CURLcode rc;
	long status = 0;
	gboolean ok = FALSE;
	const char *name = backend_kind_name(b->kind);

	h = handle_get(b);
	hdr = g_strdup_printf("Content-Type: %s", ctype);
	hdrs = curl_slist_append(hdrs, hdr);
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (auth) {
		g_free(hdr);
		hdr = g_strdup_printf("Authorization: %s", auth);
		hdrs = curl_slist_append(hdrs, hdr);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, answer);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)b->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)MIN(b->timeout_ms, 10000));
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "lettergate");
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		g_set_error(err, LG_TR_ERROR,
		            rc == CURLE_OPERATION_TIMEDOUT ? LG_TR_ERR_TIMEOUT : LG_TR_ERR_NETWORK,
		            "%s: %s", name, curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300) {
		ok = TRUE;
		*answer_r = answer;
		answer = NULL;
	} else if (status == 429) {
		g_set_error(err, LG_TR_ERROR, LG_TR_ERR_RATE, "%s: HTTP 429 too many requests",
		            name);
	} else if (status == 456) {
		g_set_error(err, LG_TR_ERROR, LG_TR_ERR_QUOTA, "%s: HTTP 456 quota exceeded", name);
	} else if (status >= 500) {
		g_set_error(err, LG_TR_ERROR, LG_TR_ERR_SERVER, "%s: HTTP %ld", name, status);
	} else {
		g_set_error(err, LG_TR_ERROR, LG_TR_ERR_REFUSED, "%s: HTTP %ld", name, status);
	}
out:
	handle_put(b, h);
	curl_slist_free_all(hdrs);
	g_free(hdr);
	if (answer)
		g_string_free(answer, TRUE);
	return ok;
}

/* Form-encodes s into buf as "name=value". */
static void form_add(GString *buf, const char *name, const char *value)
{
	char *esc = g_uri_escape_string(value, NULL, FALSE);
	if (buf->len)
		g_string_append_c(buf, '&');
	g_string_append_printf(buf, "%s=%s", name, esc);
	g_free(esc);
}

static JsonNode *parse_json(const GString *answer, const char *name, GError **err)
{
	JsonParser *p = json_parser_new();
	JsonNode *root = NULL;
	if (json_parser_load_from_data(p, answer->str, (gssize)answer->len, NULL) &&
	    json_parser_get_root(p))
		root = json_node_copy(json_parser_get_root(p));
	else
		g_set_error(err, LG_TR_ERROR, LG_TR_ERR_PROTOCOL, "%s: answer is not JSON", name);
	g_object_unref(p);
	return root;
}

const char *backend_iso3(const char *lang)
{
	static const char *const map[][2] = {
	    {"uk", "ukr"}, {"be", "bel"}, {"ru", "rus"}, {"en", "eng"}, {"de", "deu"},
	    {"fr", "fra"}, {"es", "spa"}, {"pl", "pol"}, {"it", "ita"}, {"pt", "por"},
	    {"nl", "nld"}, {"cs", "ces"}, {"bg", "bul"}, {"kk", "kaz"}, {"tt", "tat"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
		if (!strcmp(lang, map[i][0]))
			return map[i][1];
	return NULL;
}

/* ---- Apertium APy: POST /translate, one text per request -------------- */

/* Apertium marks words it could not generate ('#') or transfer ('@') even
 * with markUnknown=no; the prisoner should see the word, not the mark. A
 * mark is only taken off right before a letter. */
static char *apertium_unmark(const char *t)
{
	GString *g = g_string_sized_new(strlen(t ? t : ""));
	for (const char *p = t ? t : ""; *p; p++) {
		if ((*p == '#' || *p == '@') && p[1] &&
		    (g_unichar_isalpha(g_utf8_get_char(p + 1))) &&
		    (p == t || g_ascii_isspace(p[-1]) || p[-1] == '(' || p[-1] == '"'))
			continue;
		g_string_append_c(g, *p);
	}
	return g_string_free(g, FALSE);
}

static char *apertium_one(lg_backend *b, const char *pair, const char *text, GError **err)
{
	GString *body = g_string_new(NULL), *answer = NULL;
	char *url = g_strdup_printf("%s/translate", b->url), *res = NULL;
	JsonNode *root = NULL;
	JsonObject *o, *d;

	form_add(body, "langpair", pair);
	form_add(body, "markUnknown", "no");
	form_add(body, "q", text);
	if (!http_post(b, url, "application/x-www-form-urlencoded", body->str, NULL, &answer, err))
		goto out;
	root = parse_json(answer, "apertium", err);
	if (root == NULL)
		goto out;
	o = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
	d = o && json_object_has_member(o, "responseData")
	        ? json_object_get_object_member(o, "responseData")
	        : NULL;
	if (d && json_object_has_member(d, "translatedText") &&
	    JSON_NODE_HOLDS_VALUE(json_object_get_member(d, "translatedText")))
		res = apertium_unmark(json_object_get_string_member(d, "translatedText"));
	else
		g_set_error(err, LG_TR_ERROR, LG_TR_ERR_PROTOCOL, "apertium: no translatedText");
out:
	if (root)
		json_node_unref(root);
	if (answer)
		g_string_free(answer, TRUE);
	g_string_free(body, TRUE);
	g_free(url);
	return res;
}

/* Items go in groups joined by blank lines (APy keeps them: they are
 * "superblanks" to Apertium); a group whose answer has another number of
 * blocks is sent again item by item. */
static gboolean apertium_translate(lg_backend *b, const char *src, GPtrArray *in, GPtrArray *out,
                                   GError **err)
{
	const char *iso3 = backend_iso3(src);
	char *pair;
	guint i = 0;
	gboolean ok = TRUE;

	if (iso3 == NULL || !strcmp(src, "unknown")) {
		g_set_error(err, LG_TR_ERROR, LG_TR_ERR_REFUSED, "apertium: no pair for \"%s\"",
		            src);
		return FALSE;
	}
	pair = g_strdup_printf("%s|rus", iso3);
	while (ok && i < in->len) {
		GString *grp = g_string_new(NULL);
		guint first = i;
		char *res;
		while (i < in->len) {
			gsize l = strlen(in->pdata[i]);
			if (grp->len && grp->len + l + 2 > BK_APERTIUM_MAX)
				break;
			if (grp->len)
				g_string_append(grp, "\n\n");
			g_string_append(grp, in->pdata[i]);
			i++;
		}
		res = apertium_one(b, pair, grp->str, err);
		if (res == NULL) {
			ok = FALSE;
		} else {
			char **blocks = g_strsplit(res, "\n\n", -1);
			if (g_strv_length(blocks) == i - first) {
				for (guint j = 0; blocks[j]; j++)
					g_ptr_array_add(out, g_strdup(blocks[j]));
			} else {
				for (guint j = first; ok && j < i; j++) {
					char *one = apertium_one(b, pair, in->pdata[j], err);
					if (one)
						g_ptr_array_add(out, one);
					else
						ok = FALSE;
				}
			}
			g_strfreev(blocks);
		}
		g_free(res);
		g_string_free(grp, TRUE);
	}
	g_free(pair);
	return ok;
}

/* ---- LibreTranslate: POST /translate, JSON, q as an array ------------- */

static gboolean libre_translate(lg_backend *b, const char *src, GPtrArray *in, GPtrArray *out,
                                GError **err)
{
	char *url = g_strdup_printf("%s/translate", b->url);
	guint i = 0;
	gboolean ok = TRUE;

	while (ok && i < in->len) {
		JsonBuilder *jb = json_builder_new();
		JsonGenerator *gen = NULL;
		JsonNode *root = NULL, *ans = NULL;
		GString *answer = NULL;
		char *body = NULL;
		gsize total = 0;
		guint first = i;

		json_builder_begin_object(jb);
		json_builder_set_member_name(jb, "q");
		json_builder_begin_array(jb);
		while (i < in->len) {
			gsize l = strlen(in->pdata[i]);
			if (i > first && total + l > BK_LIBRE_MAX)
				break;
			json_builder_add_string_value(jb, in->pdata[i]);
			total += l;
			i++;
		}
		json_builder_end_array(jb);
		json_builder_set_member_name(jb, "source");
		json_builder_add_string_value(jb, strcmp(src, "unknown") ? src : "auto");
		json_builder_set_member_name(jb, "target");
		json_builder_add_string_value(jb, "ru");
		json_builder_set_member_name(jb, "format");
		json_builder_add_string_value(jb, "text");
		if (b->key) {
			json_builder_set_member_name(jb, "api_key");
			json_builder_add_string_value(jb, b->key);
		}
		json_builder_end_object(jb);
		root = json_builder_get_root(jb);
		gen = json_generator_new();
		json_generator_set_root(gen, root);
		body = json_generator_to_data(gen, NULL);

		ok = http_post(b, url, "application/json", body, NULL, &answer, err);
		if (ok)
			ans = parse_json(answer, "libretranslate", err);
		ok = ans != NULL;
		if (ok) {
			JsonObject *o =
			    JSON_NODE_HOLDS_OBJECT(ans) ? json_node_get_object(ans) : NULL;
			JsonNode *t = o ? json_object_get_member(o, "translatedText") : NULL;
			JsonArray *arr =
			    t && JSON_NODE_HOLDS_ARRAY(t) ? json_node_get_array(t) : NULL;
			if (arr && json_array_get_length(arr) == i - first) {
				for (guint j = 0; j < i - first; j++) {
					const char *s = json_array_get_string_element(arr, j);
					g_ptr_array_add(out, g_strdup(s ? s : ""));
				}
			} else {
				g_set_error(err, LG_TR_ERROR, LG_TR_ERR_PROTOCOL,
				            "libretranslate: answer without translatedText array");
				ok = FALSE;
			}
		}
		if (ans)
			json_node_unref(ans);
		if (answer)
			g_string_free(answer, TRUE);
		g_free(body);
		g_object_unref(gen);
		json_node_unref(root);
		g_object_unref(jb);
	}
	g_free(url);
	return ok;
}

/* ---- DeepL v2: POST form, text repeated, DeepL-Auth-Key --------------- */

static gboolean deepl_translate(lg_backend *b, const char *src, GPtrArray *in, GPtrArray *out,
                                GError **err)
{
	char *auth = g_strdup_printf("DeepL-Auth-Key %s", b->key ? b->key : "");
	guint i = 0;
	gboolean ok = TRUE;

	while (ok && i < in->len) {
		GString *body = g_string_new(NULL), *answer = NULL;
		JsonNode *ans = NULL;
		gsize total = 0;
		guint first = i;

		while (i < in->len && i - first < BK_DEEPL_TEXTS) {
			gsize l = strlen(in->pdata[i]);
			if (i > first && total + l > BK_DEEPL_MAX)
				break;
			form_add(body, "text", in->pdata[i]);
			total += l;
			i++;
		}
		form_add(body, "target_lang", "RU");
		if (strcmp(src, "unknown")) {
			char *up = g_ascii_strup(src, -1);
			form_add(body, "source_lang", up);
			g_free(up);
		}
		form_add(body, "preserve_formatting", "1");
		ok = http_post(b, b->url, "application/x-www-form-urlencoded", body->str, auth,
		               &answer, err);
		if (ok)
			ans = parse_json(answer, "deepl", err);
		ok = ans != NULL;
		if (ok) {
			JsonObject *o =
			    JSON_NODE_HOLDS_OBJECT(ans) ? json_node_get_object(ans) : NULL;
			JsonNode *t = o ? json_object_get_member(o, "translations") : NULL;
			JsonArray *arr =
			    t && JSON_NODE_HOLDS_ARRAY(t) ? json_node_get_array(t) : NULL;
			if (arr && json_array_get_length(arr) == i - first) {
				for (guint j = 0; j < i - first; j++) {
					JsonObject *e = json_array_get_object_element(arr, j);
					const char *s =
					    e && json_object_has_member(e, "text")
					        ? json_object_get_string_member(e, "text")
					        : NULL;
					g_ptr_array_add(out, g_strdup(s ? s : ""));
				}
			} else {
				g_set_error(err, LG_TR_ERROR, LG_TR_ERR_PROTOCOL,
				            "deepl: answer without a translations array");
				ok = FALSE;
			}
		}
		if (ans)
			json_node_unref(ans);
		if (answer)
			g_string_free(answer, TRUE);
		g_string_free(body, TRUE);
	}
	g_free(auth);
	return ok;
}

gboolean backend_translate(lg_backend *b, const char *src, GPtrArray *in, GPtrArray **out_r,
                           GError **err)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	gboolean ok;
	*out_r = NULL;
	switch (b->kind) {
	case LG_BK_APERTIUM:
		ok = apertium_translate(b, src, in, out, err);
		break;
	case LG_BK_LIBRETRANSLATE:
		ok = libre_translate(b, src, in, out, err);
		break;
	default:
		ok = deepl_translate(b, src, in, out, err);
		break;
	}
	if (ok && out->len != in->len) {
		g_set_error(err, LG_TR_ERROR, LG_TR_ERR_PROTOCOL, "%s: %u answers for %u texts",
		            backend_kind_name(b->kind), out->len, in->len);
		ok = FALSE;
	}
	if (!ok) {
		g_ptr_array_unref(out);
		return FALSE;
	}
	*out_r = out;
	return TRUE;
}
