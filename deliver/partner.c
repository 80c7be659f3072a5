/*
 * deliver/partner.c - see partner.h: the payload, the printed text, and the
 * dispatch to the configured partner.
 */
#include "deliver/partner.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "common/util.h"
#include "deliver/http.h"
#include "deliver/smtp.h"
#include "deliver/spool.h"

struct lg_partner {
	char *kind;
	lg_config *cfg;
	lg_spool *spool;
	partner_http *http;
	partner_smtp *smtp;
};

lg_partner *partner_new(const lg_config *cfg, GError **err)
{
	lg_partner *p = g_new0(lg_partner, 1);
	p->kind = g_strdup(cfg->partner);
	p->cfg = config_ref((lg_config *)cfg);
	if (!strcmp(cfg->partner, "spool")) {
		p->spool = spool_new(cfg, err);
		if (p->spool == NULL)
			goto fail;
	} else if (!strcmp(cfg->partner, "http")) {
		p->http = partner_http_new(p->cfg, err);
		if (p->http == NULL)
			goto fail;
	} else if (!strcmp(cfg->partner, "smtp")) {
		p->smtp = partner_smtp_new(p->cfg, err);
		if (p->smtp == NULL)
			goto fail;
	} else {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
		            "[delivery] partner = %s is not available in this build", cfg->partner);
		goto fail;
	}
	return p;
fail:
	partner_free(&p);
	return NULL;
}

void partner_free(lg_partner **pp)
{
	lg_partner *p = *pp;
	*pp = NULL;
	if (p == NULL)
		return;
	spool_free(&p->spool);
	partner_http_free(&p->http);
	partner_smtp_free(&p->smtp);
	config_unref(&p->cfg);
	g_free(p->kind);
	g_free(p);
}

lg_deliver_status partner_deliver(lg_partner *p, const lg_letter_rec *letter,
                                  const lg_prisoner *prisoner, char **ref_r, gint64 *retry_after_r,
                                  char **error_r)
{
	*retry_after_r = 0;
	if (p->spool)
		return spool_deliver(p->spool, letter, prisoner, ref_r, error_r);
	if (p->http)
		return partner_http_deliver(p->http, letter, prisoner, ref_r, retry_after_r,
		                            error_r);
	if (p->smtp)
		return partner_smtp_deliver(p->smtp, letter, prisoner, ref_r, retry_after_r,
		                            error_r);
	*error_r = g_strdup("no partner");
	return LG_DELIVER_RETRY;
}

char *partner_reply_address(const lg_config *cfg, const char *letter_id)
{
	GError *e = NULL;
	char *key = config_read_secret(cfg->reply_secret_file, &e);
	char *mac, *out;
	g_clear_error(&e);
	if (key == NULL)
		return g_strdup("");
	mac = util_hmac_sha256_hex(key, strlen(key), letter_id, strlen(letter_id));
	mac[16] = '\0';
	out = g_strdup_printf("reply+%s.%s@%s", letter_id, mac, cfg->domain);
	g_free(mac);
	g_free(key);
	return out;
}

static char *iso_time(gint64 t)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(t);
	char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
	g_date_time_unref(dt);
	return s;
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

const char *partner_sender_name(const lg_letter_rec *letter)
{
	return (letter->writer_name && *letter->writer_name) ? letter->writer_name : "Друг";
}

char *partner_payload_json(const lg_config *cfg, const lg_letter_rec *r, const lg_prisoner *pr,
                           gboolean with_photo_data)
{
	JsonBuilder *b = json_builder_new();
	JsonGenerator *gen = json_generator_new();
	JsonNode *root;
	char *created = iso_time(r->created), *reply = partner_reply_address(cfg, r->id), *out;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_string_value(b, r->id);
	json_builder_set_member_name(b, "created");
	json_builder_add_string_value(b, created);
	json_builder_set_member_name(b, "prisoner");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "alias");
	json_builder_add_string_value(b, pr ? pr->alias : or_empty(r->prisoner));
	json_builder_set_member_name(b, "full_name");
	json_builder_add_string_value(b, pr ? pr->full_name : "");
	json_builder_set_member_name(b, "birth_year");
	json_builder_add_int_value(b, pr ? pr->birth_year : 0);
	json_builder_set_member_name(b, "region");
	json_builder_add_string_value(b, pr ? or_empty(pr->region) : "");
	json_builder_set_member_name(b, "facility");
	json_builder_add_string_value(b, pr ? or_empty(pr->facility) : "");
	json_builder_end_object(b);
	json_builder_set_member_name(b, "sender");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, partner_sender_name(r));
	json_builder_set_member_name(b, "reply_to");
	json_builder_add_string_value(b, reply);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "text");
	json_builder_add_string_value(b, or_empty(r->text_ru));
	json_builder_set_member_name(b, "original");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "lang");
	json_builder_add_string_value(b, or_empty(r->lang));
	json_builder_set_member_name(b, "text");
	json_builder_add_string_value(b, or_empty(r->text_original));
	json_builder_end_object(b);
	json_builder_set_member_name(b, "photos");
	json_builder_begin_array(b);
	for (guint i = 0; r->photos && i < r->photos->len; i++) {
		const lg_photo *ph = g_ptr_array_index(r->photos, i);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "name");
		json_builder_add_string_value(b, ph->name);
		json_builder_set_member_name(b, "type");
		json_builder_add_string_value(b, ph->type);
		json_builder_set_member_name(b, "sha256");
		json_builder_add_string_value(b, ph->sha256);
		if (with_photo_data && ph->data) {
			gsize len;
			const guchar *d = g_bytes_get_data(ph->data, &len);
			char *b64 = g_base64_encode(d, len);
			json_builder_set_member_name(b, "data");
			json_builder_add_string_value(b, b64);
			g_free(b64);
		}
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "pages");
	json_builder_add_int_value(b, r->pages);
	json_builder_end_object(b);

	root = json_builder_get_root(b);
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, !with_photo_data);
	out = json_generator_to_data(gen, NULL);
	json_node_unref(root);
	g_object_unref(gen);
	g_object_unref(b);
	g_free(created);
	g_free(reply);
	return out;
}

char *partner_print_text(const lg_letter_rec *r, const lg_prisoner *pr)
{
	GString *g = g_string_new(NULL);
	if (pr) {
		g_string_append_printf(g, "%s, %d г.р.\n", pr->full_name, pr->birth_year);
		if (pr->facility && *pr->facility)
			g_string_append_printf(g, "%s\n", pr->facility);
		if (pr->region && *pr->region)
			g_string_append_printf(g, "%s\n", pr->region);
	}
	g_string_append(g, "\n");
	g_string_append(g, or_empty(r->text_ru));
	if (g->len && g->str[g->len - 1] != '\n')
		g_string_append_c(g, '\n');
	g_string_append_printf(g, "\n%s\n", partner_sender_name(r));
	return g_string_free(g, FALSE);
}
