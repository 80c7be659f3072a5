/* deliver/spool.c - see spool.h. */
#include "deliver/spool.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "deliver/pdf.h"

struct lg_spool {
	lg_config *cfg;
	char *dir;
};

lg_spool *spool_new(const lg_config *cfg, GError **err)
{
	lg_spool *s;
	if (g_mkdir_with_parents(cfg->spool_dir, 0750) != 0 || access(cfg->spool_dir, W_OK) != 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "[delivery] spool_dir %s: %s", cfg->spool_dir, g_strerror(errno));
		return NULL;
	}
	s = g_new0(lg_spool, 1);
	s->cfg = config_ref((lg_config *)cfg);
	s->dir = g_strdup(cfg->spool_dir);
	return s;
}

void spool_free(lg_spool **ps)
{
	lg_spool *s = *ps;
	*ps = NULL;
	if (s == NULL)
		return;
	config_unref(&s->cfg);
	g_free(s->dir);
	g_free(s);
}

lg_deliver_status spool_deliver(lg_spool *s, const lg_letter_rec *r, const lg_prisoner *pr,
                                char **ref_r, char **error_r)
{
	GError *e = NULL;
	char *path = NULL, *body = NULL;
	lg_deliver_status st = LG_DELIVER_RETRY;
	lg_letter_rec printed;
	int pages = 0;

	for (guint i = 0; r->photos && i < r->photos->len; i++) {
		const lg_photo *ph = g_ptr_array_index(r->photos, i);
		gsize len = 0;
		const void *d = ph->data ? g_bytes_get_data(ph->data, &len) : "";
		path = g_strdup_printf("%s/%s-%s", s->dir, r->id, ph->name);
		if (!util_write_file_atomic(path, d, len, 0640, &e))
			goto fail;
		g_clear_pointer(&path, g_free);
	}
	body = partner_print_text(r, pr);
	path = g_strdup_printf("%s/%s.txt", s->dir, r->id);
	if (!util_write_file_atomic(path, body, strlen(body), 0640, &e))
		goto fail;
	g_clear_pointer(&path, g_free);
	g_clear_pointer(&body, g_free);

	/* the print-ready PDF; "pages" in the JSON is its page count */
	path = g_strdup_printf("%s/%s.pdf", s->dir, r->id);
	if (!pdf_render(r, pr, path, &pages, &e))
		goto fail;
	g_clear_pointer(&path, g_free);
	printed = *r; /* shallow: only pages differs */
	printed.pages = pages;

	body = partner_payload_json(s->cfg, &printed, pr, FALSE);
	path = g_strdup_printf("%s/%s.json", s->dir, r->id);
	if (!util_write_file_atomic(path, body, strlen(body), 0640, &e))
		goto fail;
	*ref_r = g_strdup(path);
	st = LG_DELIVER_OK;
	goto out;
fail:
	*error_r = g_strdup_printf("spool: %s", e ? e->message : "write failed");
	g_clear_error(&e);
out:
	g_free(path);
	g_free(body);
	return st;
}
