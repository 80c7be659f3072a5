/* deliver/smtp.c - see smtp.h. */
#include "deliver/smtp.h"

#include <curl/curl.h>
#include <gmime/gmime.h>
#include <string.h>

#include "common/util.h"
#include "parser/message.h"

struct partner_smtp {
	const lg_config *cfg; /* borrowed */
	char *url;
	char *from;
	char *to;
	gboolean loopback;
	CURL *curl;
};

typedef struct {
	const char *data;
	size_t len, off;
} reader;

static gsize curl_once;

static size_t on_read(char *buf, size_t size, size_t nitems, void *data)
{
	reader *r = data;
	size_t n = MIN(size * nitems, r->len - r->off);
	memcpy(buf, r->data + r->off, n);
	r->off += n;
	return n;
}

static char *default_from(const lg_config *cfg)
{
	if (cfg->smtp_from && *cfg->smtp_from)
		return g_strdup(cfg->smtp_from);
	return g_strdup_printf("lettergate@%s", cfg->domain ? cfg->domain : "localhost");
}

partner_smtp *partner_smtp_new(const lg_config *cfg, GError **err)
{
	partner_smtp *s = NULL;
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL;

	if (cfg->smtp_url == NULL || *cfg->smtp_url == '\0' || cfg->smtp_to == NULL ||
	    strchr(cfg->smtp_to, '@') == NULL) {
		g_set_error(err, LG_CONFIG_ERROR, 1,
		            "[delivery] partner = smtp needs smtp_url and smtp_to");
		return NULL;
	}
	if (g_once_init_enter(&curl_once)) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		g_once_init_leave(&curl_once, 1);
	}
	u = curl_url();
	if (curl_url_set(u, CURLUPART_URL, cfg->smtp_url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    (g_ascii_strcasecmp(scheme, "smtp") && g_ascii_strcasecmp(scheme, "smtps"))) {
		g_set_error(err, LG_CONFIG_ERROR, 1,
		            "delivery.smtp_url: want smtp://host[:port] or smtps://host[:port]");
		goto out;
	}
	s = g_new0(partner_smtp, 1);
	s->cfg = cfg;
	s->url = g_strdup(cfg->smtp_url);
	s->from = default_from(cfg);
	s->to = g_strdup(cfg->smtp_to);
	s->loopback = g_ascii_strcasecmp(host, "localhost") == 0 ||
	              g_str_has_prefix(host, "127.") || strcmp(host, "[::1]") == 0 ||
	              strcmp(host, "::1") == 0;
	s->curl = curl_easy_init();
	if (s->curl == NULL) {
		g_set_error(err, LG_CONFIG_ERROR, 1, "curl_easy_init failed");
		partner_smtp_free(&s);
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return s;
}

void partner_smtp_free(partner_smtp **sp)
{
	partner_smtp *s = sp ? *sp : NULL;
	if (s == NULL)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	g_free(s->url);
	g_free(s->from);
	g_free(s->to);
	g_free(s);
	*sp = NULL;
}

static GMimePart *attachment(const char *type, const char *name, const void *data, gsize len)
{
	GMimePart *part = g_mime_part_new_with_type("application", "octet-stream");
	GMimeContentType *ct = g_mime_content_type_parse(NULL, type);
	GMimeStream *mem = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeDataWrapper *w =
	    g_mime_data_wrapper_new_with_stream(mem, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_object_set_content_type(GMIME_OBJECT(part), ct);
	g_mime_part_set_content(part, w);
	g_mime_part_set_filename(part, name);
	g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_object_unref(w);
	g_object_unref(mem);
	g_object_unref(ct);
	return part;
}

char *smtp_letter_mime(const lg_config *cfg, const lg_letter_rec *rec, const lg_prisoner *p)
{
	GMimeMessage *m;
	GMimeMultipart *mixed;
	GMimeTextPart *text;
	GMimePart *json_part;
	GMimeFormatOptions *fmt;
	GDateTime *date;
	char *from = default_from(cfg), *printed, *json, *reply, *subject, *mid, *out;
	const char *name = p && p->full_name && *p->full_name ? p->full_name : rec->prisoner;

	message_init();
	m = g_mime_message_new(TRUE);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_FROM, "lettergate", from);
	g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO, NULL, cfg->smtp_to);
	reply = partner_reply_address(cfg, rec->id);
	if (reply && *reply)
		g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_REPLY_TO, NULL, reply);
	subject = g_strdup_printf("Письмо для %s (%s)", name ? name : "", rec->id);
	g_mime_message_set_subject(m, subject, "utf-8");
	mid = g_strdup_printf("%s@%s", rec->id, cfg->domain ? cfg->domain : "localhost");
	g_mime_message_set_message_id(m, mid);
	date = g_date_time_new_from_unix_utc(rec->created > 0 ? rec->created : util_now());
	g_mime_message_set_date(m, date);
	g_date_time_unref(date);
	g_mime_object_set_header(GMIME_OBJECT(m), "X-Lettergate-Letter", rec->id, NULL);

	mixed = g_mime_multipart_new_with_subtype("mixed");
	printed = partner_print_text(rec, p);
	text = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(text, printed);
	g_mime_multipart_add(mixed, GMIME_OBJECT(text));
	json = partner_payload_json(cfg, rec, p, FALSE);
	json_part =
	    attachment("application/json; charset=utf-8", "letter.json", json, strlen(json));
	g_mime_multipart_add(mixed, GMIME_OBJECT(json_part));
	for (guint i = 0; rec->photos && i < rec->photos->len; i++) {
		const lg_photo *ph = g_ptr_array_index(rec->photos, i);
		gsize len = 0;
		const void *d;
		GMimePart *a;
		if (ph->data == NULL)
			continue;
		d = g_bytes_get_data(ph->data, &len);
		a = attachment(ph->type ? ph->type : "image/jpeg", ph->name, d, len);
		g_mime_multipart_add(mixed, GMIME_OBJECT(a));
		g_object_unref(a);
	}
	g_mime_message_set_mime_part(m, GMIME_OBJECT(mixed));
	g_mime_object_encode(GMIME_OBJECT(m), GMIME_ENCODING_CONSTRAINT_7BIT);

	fmt = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fmt, GMIME_NEWLINE_FORMAT_DOS);
	out = g_mime_object_to_string(GMIME_OBJECT(m), fmt);
	g_mime_format_options_free(fmt);

	g_object_unref(json_part);
	g_object_unref(text);
	g_object_unref(mixed);
	g_object_unref(m);
	g_free(from);
	g_free(printed);
	g_free(json);
	g_free(reply);
	g_free(subject);
	g_free(mid);
	return out;
}

lg_deliver_status partner_smtp_deliver(partner_smtp *s, const lg_letter_rec *letter,
                                       const lg_prisoner *prisoner, char **ref_r,
                                       gint64 *retry_after_r, char **error_r)
{
	struct curl_slist *rcpt = NULL;
	char *msg = NULL, *from = NULL, *to = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	reader rd = {0};
	lg_deliver_status st = LG_DELIVER_RETRY;
	long code = 0;
	CURLcode rc;

	if (ref_r)
		*ref_r = NULL;
	if (retry_after_r)
		*retry_after_r = 0;
	if (error_r)
		*error_r = NULL;
	msg = smtp_letter_mime(s->cfg, letter, prisoner);
	rd.data = msg;
	rd.len = strlen(msg);
	from = g_strdup_printf("<%s>", s->from);
	to = g_strdup_printf("<%s>", s->to);
	rcpt = curl_slist_append(rcpt, to);

	curl_easy_reset(s->curl); /* keeps the connection */
	curl_easy_setopt(s->curl, CURLOPT_URL, s->url);
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_USE_SSL,
	                 s->loopback ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
	curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, (long)s->cfg->partner_timeout_ms);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)MIN(s->cfg->partner_timeout_ms, 10000));
	curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(s->curl, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(s->curl, CURLOPT_READDATA, &rd);
	curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rd.len);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, errbuf);

	rc = curl_easy_perform(s->curl);
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK) {
		st = LG_DELIVER_OK;
		if (ref_r)
			*ref_r = g_strdup_printf("<%s@%s>", letter->id,
			                         s->cfg->domain ? s->cfg->domain : "localhost");
		goto out;
	}
	st = (code >= 500 && code < 600) ? LG_DELIVER_PERMANENT : LG_DELIVER_RETRY;
	if (error_r) {
		char *e = util_sanitize(errbuf[0] ? errbuf : curl_easy_strerror(rc), 200);
		*error_r = code ? g_strdup_printf("smtp: %ld %s", code, e)
		                : g_strdup_printf("smtp: %s", e);
		g_free(e);
	}
out:
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(rcpt);
	g_free(msg);
	g_free(from);
	g_free(to);
	return st;
}
