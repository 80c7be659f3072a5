/*
 * policy/pipeline.c - see pipeline.h.
 *
 * Order of work for one message: recipients in the gateway's domain are
 * resolved first (nothing else is done when there are none); the message is
 * parsed once; the text, attachments, translation and screening are done
 * once and shared by every prisoner recipient; then each recipient gets its
 * own letter with its own checks (directory, quotas, duplicates). The
 * message verdict is the worst of its letters: reject > tempfail > hold >
 * accept.
 */
#include "policy/pipeline.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "parser/message.h"
#include "parser/text.h"
#include "deliver/notify.h"
#include "policy/attach.h"
#include "policy/normalize.h"
#include "policy/org.h"
#include "policy/quota.h"

struct lg_pipeline {
	int refcount;
	lg_config *cfg;
	screen_rules *rules;
	lg_store *store;
	lg_translator *tr;
};

lg_pipeline *pipeline_new(lg_config *cfg, screen_rules *rules, lg_store *store, lg_translator *tr)
{
	lg_pipeline *p = g_new0(lg_pipeline, 1);
	p->refcount = 1;
	p->cfg = config_ref(cfg);
	p->rules = rules ? screen_ref(rules) : NULL;
	p->store = store;
	p->tr = tr;
	return p;
}

lg_pipeline *pipeline_ref(lg_pipeline *p)
{
	g_atomic_int_inc(&p->refcount);
	return p;
}

void pipeline_free(lg_pipeline **pp)
{
	lg_pipeline *p = *pp;
	*pp = NULL;
	if (p == NULL || !g_atomic_int_dec_and_test(&p->refcount))
		return;
	config_unref(&p->cfg);
	if (p->rules)
		screen_unref(&p->rules);
	g_free(p);
}

const lg_config *pipeline_config(const lg_pipeline *p)
{
	return p->cfg;
}

/* ---- letters and outcomes ---- */

static lg_letter *letter_new(const char *rcpt)
{
	lg_letter *l = g_new0(lg_letter, 1);
	l->id = util_new_id();
	l->rcpt = g_strdup(rcpt);
	l->prisoner = g_strdup("");
	l->reasons_en = g_ptr_array_new_with_free_func(g_free);
	l->reasons_ru = g_ptr_array_new_with_free_func(g_free);
	l->lang = g_strdup("");
	l->backend = g_strdup("");
	l->text_original = g_strdup("");
	l->text_ru = g_strdup("");
	l->findings = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
	l->photos = g_ptr_array_new_with_free_func((GDestroyNotify)photo_free);
	l->dropped = g_ptr_array_new_with_free_func((GDestroyNotify)dropped_free);
	l->writer_name = g_strdup("");
	l->writer_addr = g_strdup("");
	l->subject = g_strdup("");
	l->message_id = g_strdup("");
	return l;
}

static void letter_free(lg_letter *l)
{
	if (l == NULL)
		return;
	g_free(l->id);
	g_free(l->rcpt);
	g_free(l->prisoner);
	g_free(l->code);
	g_free(l->dsn);
	g_ptr_array_unref(l->reasons_en);
	g_ptr_array_unref(l->reasons_ru);
	g_free(l->lang);
	g_free(l->backend);
	g_free(l->text_original);
	g_free(l->text_ru);
	g_ptr_array_unref(l->findings);
	g_ptr_array_unref(l->photos);
	g_ptr_array_unref(l->dropped);
	g_free(l->writer_name);
	g_free(l->writer_addr);
	g_free(l->subject);
	g_free(l->message_id);
	g_free(l->dedup_key);
	g_free(l->text_hash);
	g_free(l->org);
	g_free(l->batch);
	g_free(l);
}

static lg_outcome *outcome_new(void)
{
	lg_outcome *o = g_new0(lg_outcome, 1);
	o->verdict = LG_VERDICT_ACCEPT;
	o->lines = g_ptr_array_new_with_free_func(g_free);
	o->letters = g_ptr_array_new_with_free_func((GDestroyNotify)letter_free);
	o->queue_id = g_strdup("");
	return o;
}

void outcome_free(lg_outcome **po)
{
	lg_outcome *o = *po;
	*po = NULL;
	if (o == NULL)
		return;
	g_free(o->code);
	g_free(o->dsn);
	g_ptr_array_unref(o->lines);
	g_ptr_array_unref(o->letters);
	g_free(o->queue_id);
	g_free(o->batch_id);
	g_free(o->org);
	g_free(o->submitter);
	g_free(o->message_id);
	g_free(o);
}

static void letter_refuse(lg_letter *l, lg_verdict v, const char *code, const char *dsn,
                          const char *en, const char *ru)
{
	/* reject outranks tempfail outranks hold */
	if (l->verdict == LG_VERDICT_REJECT && v != LG_VERDICT_REJECT)
		return;
	if (l->verdict != v || l->code == NULL) {
		g_free(l->code);
		g_free(l->dsn);
		l->code = g_strdup(code);
		l->dsn = g_strdup(dsn);
		if (l->verdict != v) {
			g_ptr_array_set_size(l->reasons_en, 0);
			g_ptr_array_set_size(l->reasons_ru, 0);
		}
	}
	l->verdict = v;
	g_ptr_array_add(l->reasons_en, g_strdup(en));
	g_ptr_array_add(l->reasons_ru, g_strdup(ru));
}

static void outcome_set(lg_outcome *o, lg_verdict v, const char *code, const char *dsn,
                        const char *line)
{
	o->verdict = v;
	g_free(o->code);
	g_free(o->dsn);
	o->code = g_strdup(code);
	o->dsn = g_strdup(dsn);
	g_ptr_array_set_size(o->lines, 0);
	if (line)
		g_ptr_array_add(o->lines, g_strdup(line));
}

gboolean pipeline_is_gateway_rcpt(const lg_pipeline *p, const char *rcpt)
{
	char *addr = util_addr_normalize(rcpt), *local = NULL, *domain = NULL;
	gboolean yes;
	util_addr_split(addr, &local, &domain);
	yes = g_ascii_strcasecmp(domain, p->cfg->domain) == 0 && *local != '\0';
	g_free(addr);
	g_free(local);
	g_free(domain);
	return yes;
}

static char *rcpt_local(const char *rcpt)
{
	char *addr = util_addr_normalize(rcpt), *local = NULL, *domain = NULL;
	util_addr_split(addr, &local, &domain);
	g_free(addr);
	g_free(domain);
	return local;
}

/* Fills l->prisoner; refuses the letter when the alias is unknown or the
 * prisoner no longer takes letters. FALSE on store trouble. */
/* The active prisoner with the fewest letters in the last 30 days, counting
 * this message's letters so far (tally, may be NULL); ties at random. NULL
 * and no *err when nobody takes letters. */
static char *pick_least_written(lg_pipeline *p, const lg_quota_tally *tally, GError **err)
{
	GHashTable *counts = store_prisoner_letter_counts(p->store, util_now() - 30 * 86400, err);
	GPtrArray *ties;
	GHashTableIter it;
	gpointer k, v;
	int best = G_MAXINT;
	char *out = NULL;
	if (counts == NULL)
		return NULL;
	ties = g_ptr_array_new();
	g_hash_table_iter_init(&it, counts);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		int n = GPOINTER_TO_INT(v) + quota_tally_prisoner(tally, k);
		if (n < best) {
			best = n;
			g_ptr_array_set_size(ties, 0);
		}
		if (n == best)
			g_ptr_array_add(ties, k);
	}
	if (ties->len)
		out = g_strdup(g_ptr_array_index(ties, g_random_int_range(0, (gint32)ties->len)));
	g_ptr_array_unref(ties);
	g_hash_table_unref(counts);
	return out;
}

static gboolean resolve_prisoner_t(lg_pipeline *p, lg_letter *l, const lg_quota_tally *tally,
                                   GError **err);

static gboolean resolve_prisoner(lg_pipeline *p, lg_letter *l, GError **err)
{
	return resolve_prisoner_t(p, l, NULL, err);
}

static gboolean resolve_prisoner_t(lg_pipeline *p, lg_letter *l, const lg_quota_tally *tally,
                                   GError **err)
{
	char *local = rcpt_local(l->rcpt);
	lg_prisoner *pr = NULL;
	GError *e = NULL;
	gboolean ok = TRUE;

	if (p->store == NULL) {
		letter_refuse(l, LG_VERDICT_REJECT, "550", "5.1.1",
		              "There is no prisoner at this address.",
		              "По этому адресу нет адресата.");
		goto out;
	}
	if (p->cfg->anyone_alias[0] && !strcmp(local, p->cfg->anyone_alias)) {
		char *alias = pick_least_written(p, tally, &e);
		if (e) {
			g_propagate_error(err, e);
			ok = FALSE;
			goto out;
		}
		if (alias == NULL) {
			letter_refuse(l, LG_VERDICT_REJECT, "550", "5.1.1",
			              "No prisoner can receive letters at the moment.",
			              "Сейчас ни один адресат не может получать письма.");
			goto out;
		}
		g_free(local);
		local = alias;
	}
	pr = store_prisoner_get(p->store, local, &e);
	if (e) {
		g_propagate_error(err, e);
		ok = FALSE;
		goto out;
	}
	if (pr == NULL) {
		letter_refuse(l, LG_VERDICT_REJECT, "550", "5.1.1",
		              "There is no prisoner at this address; check the address on the list "
		              "of prisoners.",
		              "По этому адресу нет адресата; проверьте адрес по списку.");
		goto out;
	}
	g_free(l->prisoner);
	l->prisoner = g_strdup(pr->alias);
	if (strcmp(pr->status, "active") != 0) {
		const char *en, *ru;
		if (!strcmp(pr->status, "released")) {
			en = "This person has been released and no longer receives letters here; "
			     "write to them directly.";
			ru = "Этот человек освобождён и больше не получает письма здесь; напишите "
			     "ему напрямую.";
		} else if (!strcmp(pr->status, "transferred")) {
			en = "This prisoner has been transferred; letters are paused until the new "
			     "facility is confirmed. Please try again in a few days.";
			ru = "Адресата перевели в другое учреждение; письма приостановлены до "
			     "подтверждения нового адреса. Попробуйте через несколько дней.";
		} else {
			en =
			    "We are sorry: this person has died and can no longer receive letters.";
			ru = "Нам очень жаль: этот человек умер и больше не может получать письма.";
		}
		letter_refuse(l, LG_VERDICT_REJECT, "550", "5.1.6", en, ru);
	}
out:
	prisoner_free(pr);
	g_free(local);
	return ok;
}

lg_outcome *pipeline_check_rcpt(lg_pipeline *p, const char *rcpt)
{
	lg_letter *l;
	lg_outcome *o = NULL;
	GError *e = NULL;
	if (!pipeline_is_gateway_rcpt(p, rcpt))
		return NULL;
	l = letter_new(rcpt);
	if (!resolve_prisoner(p, l, &e)) {
		o = outcome_new();
		outcome_set(o, LG_VERDICT_TEMPFAIL, "451", "4.3.0",
		            "Temporary problem with the letters database; please try again later.");
		lg_warn("rcpt check: database: %s", e->message);
		g_clear_error(&e);
	} else if (l->verdict == LG_VERDICT_REJECT) {
		o = outcome_new();
		outcome_set(o, LG_VERDICT_REJECT, l->code, l->dsn, NULL);
		g_ptr_array_add(o->lines, g_strdup(g_ptr_array_index(l->reasons_en, 0)));
		g_ptr_array_add(o->lines, g_strdup(g_ptr_array_index(l->reasons_ru, 0)));
	}
	letter_free(l);
	return o;
}

/* ---- the message-level work, shared by every letter ---- */

typedef struct {
	lg_message *msg;
	gboolean msg_borrowed; /* an inner message of a batch: the outer owns it */
	char *text;            /* writer's words, cleaned */
	char *text_ru;         /* Russian text after strip, with notice */
	char *lang;
	char *backend;
	gboolean translated;
	char *from; /* languages machine-translated, comma list */
	lg_tr_status tr_status;
	char *tr_error;
	GPtrArray *findings;
	GPtrArray *photos;
	GPtrArray *dropped;
	lg_action screen_action;
	double score;
	char *text_hash;
	char *body_hash;
	int pages;
	glong chars;
} shared_work;

static void shared_clear(shared_work *w)
{
	if (!w->msg_borrowed)
		message_free(&w->msg);
	g_free(w->text);
	g_free(w->text_ru);
	g_free(w->lang);
	g_free(w->backend);
	g_free(w->from);
	g_free(w->tr_error);
	if (w->findings)
		g_ptr_array_unref(w->findings);
	if (w->photos)
		g_ptr_array_unref(w->photos);
	if (w->dropped)
		g_ptr_array_unref(w->dropped);
	g_free(w->text_hash);
	g_free(w->body_hash);
}

/* SHA-256 of the body (after the header block) and rewind the stream
 * (OpenSSL: it uses the CPU's SHA instructions; a 350 KB letter is hashed in
 * a fraction of the time GChecksum takes). The buffer is small on purpose:
 * this runs on a session's thread, whose touched stack pages glibc hands
 * back to the kernel when the session ends. */
static char *stream_body_hash(GMimeStream *s)
{
	util_sha256 *h = util_sha256_new();
	char buf[8192];
	ssize_t n;
	int state = 0; /* counts consecutive newlines to find the blank line */
	gboolean in_body = FALSE;
	g_mime_stream_reset(s);
	while ((n = g_mime_stream_read(s, buf, sizeof(buf))) > 0) {
		ssize_t i = 0;
		if (!in_body) {
			for (; i < n; i++) {
				if (buf[i] == '\n') {
					if (++state == 2) {
						in_body = TRUE;
						i++;
						break;
					}
				} else if (buf[i] != '\r') {
					state = 0;
				}
			}
		}
		if (in_body && i < n)
			util_sha256_update(h, buf + i, (size_t)(n - i));
	}
	g_mime_stream_reset(s);
	return util_sha256_finish_hex(h);
}

/* Appends the letters and digits of `folded` (valid UTF-8). */
static void append_alnum(GString *g, const char *folded, gssize len)
{
	const char *end = folded + len;
	for (const char *c = folded; c < end && *c;) {
		const char *next = g_utf8_next_char(c);
		if ((guchar)*c < 0x80 ? g_ascii_isalnum(*c) : g_unichar_isalnum(g_utf8_get_char(c)))
			g_string_append_len(g, c, next - c);
		c = next;
	}
}

/*
 * SHA-256 of the text's letters and digits, case-folded: what the duplicate
 * check compares. The same as g_utf8_casefold() of the whole text followed by
 * a filter, but ASCII and Cyrillic (where case folding is plain lower-casing)
 * are folded here one character at a time; other characters go through
 * g_utf8_casefold() (folding has no context, so per character is the same).
 */
static char *normalized_hash(const char *text)
{
	GString *g = g_string_sized_new(strlen(text));
	char *out;
	for (const char *c = text; *c;) {
		const char *next = g_utf8_next_char(c);
		guchar b = (guchar)*c;
		if (b < 0x80) {
			if (g_ascii_isalnum(b))
				g_string_append_c(g, g_ascii_tolower(b));
		} else {
			gunichar u = norm_pair_char(c); /* valid UTF-8: two bytes inline */
			if (u >= 0x410 && u <= 0x44F) {
				/* А-я, the common case: lower case is А-Я + 0x20 */
				if (u < 0x430)
					u += 0x20;
				g_string_append_c(g,
				                  (char)(0xC0 | (u >> 6))); /* inline while room */
				g_string_append_c(g, (char)(0x80 | (u & 0x3F)));
			} else if (u >= 0x400 && u <= 0x4FF) {
				gunichar f = g_unichar_tolower(u);
				if (g_unichar_isalnum(f))
					g_string_append_unichar(g, f);
			} else {
				char *f = g_utf8_casefold(c, next - c);
				append_alnum(g, f, (gssize)strlen(f));
				g_free(f);
			}
		}
		c = next;
	}
	out = util_sha256_hex(g->str, g->len);
	g_string_free(g, TRUE);
	return out;
}

static char *with_notice(const lg_config *cfg, const char *text_ru, const char *lang)
{
	GString *n;
	const char *tmpl = cfg->machine_notice;
	const char *at;
	if (tmpl == NULL || *tmpl == '\0')
		return g_strdup(text_ru);
	n = g_string_new(text_ru);
	g_string_append(n, "\n\n");
	at = strstr(tmpl, "{lang}");
	if (at) {
		g_string_append_len(n, tmpl, at - tmpl);
		char *names = translate_lang_names_ru(lang);
		g_string_append(n, names);
		g_free(names);
		g_string_append(n, at + 6);
	} else {
		g_string_append(n, tmpl);
	}
	return g_string_free(n, FALSE);
}

/* Parses the message. Returns FALSE only when the message as a whole is
 * refused (outcome set). A batch from an organisation may have up to
 * [organizations] mime_parts parts: org_known says the envelope (AUTH,
 * network) already named one; one recognised by its authenticated domain
 * shows only in the headers, so a message over [limits] mime_parts is read
 * again with the larger limit when organisations have domains, and kept only
 * when it comes from one. */
static gboolean shared_parse(lg_pipeline *p, GMimeStream *stream, gboolean org_known,
                             shared_work *w, lg_outcome *o)
{
	const lg_config *cfg = p->cfg;
	lg_limits lim;
	GError *e = NULL;

	w->body_hash = stream_body_hash(stream);

	message_limits_from_config(cfg, &lim);
	if (org_known && cfg->org_mime_parts > lim.mime_parts)
		lim.mime_parts = cfg->org_mime_parts;
	w->msg = message_parse(stream, &lim, &e);
	if (w->msg == NULL && e && e->code == LG_MSG_ERR_MIME_PARTS && !org_known &&
	    cfg->org_domains && *cfg->org_domains && cfg->org_mime_parts > lim.mime_parts) {
		lg_limits big = lim;
		char *org;
		big.mime_parts = cfg->org_mime_parts;
		g_mime_stream_reset(stream);
		w->msg = message_parse(stream, &big, NULL);
		org = w->msg ? org_identify(cfg, NULL, NULL, w->msg) : NULL;
		if (org == NULL)
			message_free(&w->msg); /* not an organisation: the first refusal stands */
		else
			g_clear_error(&e);
		g_free(org);
	}
	if (w->msg == NULL) {
		int code = e ? e->code : LG_MSG_ERR_UNREADABLE;
		char *line;
		if (code == LG_MSG_ERR_HEADER_BYTES) {
			line = g_strdup_printf("Message headers too large (limit %" G_GINT64_FORMAT
			                       " bytes) / Слишком большие заголовки письма",
			                       cfg->header_bytes);
			outcome_set(o, LG_VERDICT_REJECT, "552", "5.3.4", line);
		} else {
			line = g_strdup_printf("%s / Письмо не удалось прочитать",
			                       e ? e->message : "The message could not be read");
			outcome_set(o, LG_VERDICT_REJECT, "554", "5.6.0", line);
		}
		g_free(line);
		g_clear_error(&e);
		return FALSE;
	}
	if (w->msg->encrypted_only) {
		outcome_set(
		    o, LG_VERDICT_REJECT, "550", "5.7.1",
		    "We cannot read encrypted letters; please send it unencrypted. /"
		    " Мы не можем прочитать зашифрованное письмо; отправьте его без шифрования.");
		return FALSE;
	}
	return TRUE;
}

/* Text, attachments, translation and screening of w->msg (the message, or
 * one inner message of a batch). */
static void shared_analyse(lg_pipeline *p, shared_work *w)
{
	const lg_config *cfg = p->cfg;
	lg_text_opts topts = {cfg->chars_per_page, cfg->emoji};
	GError *e = NULL;
	lg_translation tr = {0};
	char *stripped = NULL;

	w->findings = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
	w->photos = g_ptr_array_new_with_free_func((GDestroyNotify)photo_free);
	w->dropped = g_ptr_array_new_with_free_func((GDestroyNotify)dropped_free);
	w->text = text_extract(w->msg, &topts);
	w->chars = text_chars(w->text);
	gboolean too_long = w->chars > cfg->text_chars;
	attach_process(cfg, w->msg, w->photos, w->dropped);

	/* translation */
	if (w->text[0] == '\0' || too_long) {
		/* nothing to translate, or a letter refused as too long whatever
		 * it says: neither translated nor screened (a text cut at four
		 * times the limit can still be 80,000 characters of noise) */
		w->lang = g_strdup("unknown");
		w->backend = g_strdup("");
		w->text_ru = g_strdup("");
		w->tr_status = LG_TR_OK;
	} else if (p->tr == NULL) {
		w->lang = g_strdup("unknown");
		w->backend = g_strdup("");
		w->tr_status = LG_TR_NO_BACKEND;
	} else {
		w->tr_status = translate_letter(p->tr, w->text, &tr, &e);
		w->lang = g_strdup(tr.lang ? tr.lang : "unknown");
		w->backend = g_strdup(tr.backend ? tr.backend : "");
		w->translated = tr.translated;
		w->from = g_strdup(tr.from && *tr.from ? tr.from : tr.lang);
		if (w->tr_status == LG_TR_OK)
			w->text_ru = g_strdup(tr.text_ru ? tr.text_ru : "");
		if (e) {
			w->tr_error = g_strdup(e->message);
			g_clear_error(&e);
		}
		translation_clear(&tr);
	}

	/* screening: the original with its language's rules, the Russian with all.
	 * A letter written in Russian is its own Russian text: one pass, with
	 * every rule, does for both. */
	gboolean same_text = w->text_ru != NULL && !w->translated && !strcmp(w->text_ru, w->text);
	if (p->rules && w->text[0] && !same_text && !too_long) {
		char *orig = screen_text(p->rules, w->text, w->lang, "original", TRUE, w->findings);
		g_free(orig);
	}
	if (w->text_ru == NULL) {
		/* no Russian text: a human translates it, the original stands in meanwhile */
		w->text_ru = g_strdup("");
	} else if (p->rules && w->text_ru[0]) {
		stripped = screen_text(p->rules, w->text_ru, "ru", "ru", FALSE, w->findings);
		g_free(w->text_ru);
		w->text_ru = stripped;
	}
	if (w->translated && w->text_ru[0]) {
		char *n = with_notice(cfg, w->text_ru, w->from ? w->from : w->lang);
		g_free(w->text_ru);
		w->text_ru = n;
	}
	/* a finding found in both texts counts once: keep the highest per rule */
	{
		GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
		for (guint i = 0; i < w->findings->len;) {
			lg_finding *f = g_ptr_array_index(w->findings, i);
			if (g_hash_table_contains(seen, f->rule) && f->action != LG_ACT_STRIP) {
				/* keep it for the moderator's spans but without a second score */
				f->score = 0;
			}
			g_hash_table_add(seen, f->rule);
			i++;
		}
		g_hash_table_unref(seen);
	}
	for (guint i = 0; i < w->findings->len; i++)
		w->score += ((lg_finding *)g_ptr_array_index(w->findings, i))->score;
	w->screen_action = screen_decide(w->findings, cfg->hold_score, cfg->reject_score);
	w->pages = text_pages(w->text_ru[0] ? w->text_ru : w->text, cfg->chars_per_page);
	w->text_hash = normalized_hash(w->text);
}

static void letter_from_shared(lg_letter *l, const shared_work *w, const lg_envelope *env)
{
	g_free(l->lang);
	l->lang = g_strdup(w->lang);
	l->translated = w->translated;
	g_free(l->backend);
	l->backend = g_strdup(w->backend);
	g_free(l->text_original);
	l->text_original = g_strdup(w->text);
	g_free(l->text_ru);
	l->text_ru = g_strdup(w->text_ru);
	l->pages = w->pages;
	l->chars = (int)w->chars;
	l->score = w->score;
	for (guint i = 0; i < w->findings->len; i++) {
		const lg_finding *f = g_ptr_array_index(w->findings, i);
		lg_finding *c = finding_new(f->rule, f->category, f->action, f->score, f->reason_en,
		                            f->reason_ru);
		g_free(c->where);
		c->where = g_strdup(f->where);
		c->start = f->start;
		c->end = f->end;
		g_ptr_array_add(l->findings, c);
	}
	for (guint i = 0; i < w->photos->len; i++) {
		const lg_photo *ph = g_ptr_array_index(w->photos, i);
		g_ptr_array_add(l->photos, photo_copy(ph));
	}
	for (guint i = 0; i < w->dropped->len; i++) {
		const lg_dropped *d = g_ptr_array_index(w->dropped, i);
		lg_dropped *c = dropped_new(d->name, d->type, d->reason);
		c->quiet = d->quiet;
		g_ptr_array_add(l->dropped, c);
	}
	g_free(l->writer_name);
	l->writer_name = g_strdup(w->msg->from_name[0] ? w->msg->from_name : "");
	g_free(l->writer_addr);
	l->writer_addr = g_strdup(w->msg->from_addr[0] ? w->msg->from_addr
	                                               : (env->mail_from ? env->mail_from : ""));
	g_free(l->subject);
	l->subject = g_strdup(w->msg->subject);
	g_free(l->message_id);
	l->message_id = g_strdup(w->msg->message_id);
	l->text_hash = g_strdup(w->text_hash);
	{
		char *k = g_strdup_printf("%s\n%s\n%s", w->msg->message_id, l->rcpt, w->body_hash);
		l->dedup_key = util_sha256_hex(k, strlen(k));
		g_free(k);
	}
}

/* The closing line of a refusal by the sum of scores, after the reasons in
 * SAID (one or several), in English and Russian. */
static void score_refusal(GHashTable *said, const char **en, const char **ru)
{
	gboolean several = g_hash_table_size(said) > 1;
	*en = several ? "Together these make the letter too risky to pass on, so it was refused "
	                "and not kept for a moderator; please write it again without them."
	              : "This makes the letter too risky to pass on, so it was refused and not "
	                "kept for a moderator; please write it again without it.";
	*ru = several ? "Всё это вместе делает письмо слишком рискованным, поэтому оно отклонено "
	                "и не передано модератору; пожалуйста, напишите его заново без этого."
	              : "Это делает письмо слишком рискованным, поэтому оно отклонено и не "
	                "передано модератору; пожалуйста, напишите его заново без этого.";
}

/* Text, translation and screening decisions for one letter. */
static void letter_decide(lg_pipeline *p, lg_letter *l, const shared_work *w)
{
	const lg_config *cfg = p->cfg;
	if (w->text[0] == '\0') {
		letter_refuse(l, LG_VERDICT_REJECT, "550", "5.7.1",
		              "The letter is empty: we found no text of yours (only quoted text, a "
		              "signature or attachments).",
		              "Письмо пустое: в нём нет вашего текста (только цитата, подпись или "
		              "вложения).");
		return;
	}
	if (w->chars > cfg->text_chars) {
		char *en = g_strdup_printf(
		    "The letter is too long: %ld characters, the limit is %d (about %d pages). "
		    "Please shorten it or split it into several letters.",
		    w->chars, cfg->text_chars,
		    MAX(1, cfg->text_chars / MAX(1, cfg->chars_per_page)));
		char *ru = g_strdup_printf("Письмо слишком длинное: %ld знаков при пределе %d. "
		                           "Сократите его или разделите на несколько писем.",
		                           w->chars, cfg->text_chars);
		g_ptr_array_add(l->findings,
		                finding_new("too-long", "length", LG_ACT_REJECT, 0, en, ru));
		letter_refuse(l, LG_VERDICT_REJECT, "550", "5.7.1", en, ru);
		g_free(en);
		g_free(ru);
		return;
	}
	if (w->screen_action == LG_ACT_REJECT) {
		GHashTable *said = g_hash_table_new(g_str_hash, g_str_equal);
		gboolean forced = FALSE; /* a rule that rejects by itself matched */
		for (guint i = 0; i < l->findings->len; i++) {
			const lg_finding *f = g_ptr_array_index(l->findings, i);
			if (f->action == LG_ACT_REJECT)
				forced = TRUE;
			if (f->action == LG_ACT_STRIP || f->reason_en[0] == '\0')
				continue;
			if (f->action != LG_ACT_REJECT && f->score <= 0)
				continue;
			if (g_hash_table_contains(said, f->reason_en))
				continue;
			g_hash_table_add(said, f->reason_en);
			letter_refuse(l, LG_VERDICT_REJECT, "550", "5.7.1", f->reason_en,
			              f->reason_ru);
		}
		if (l->verdict != LG_VERDICT_REJECT)
			letter_refuse(
			    l, LG_VERDICT_REJECT, "550", "5.7.1",
			    "The letter contains content that prison censorship would refuse.",
			    "Письмо содержит то, что не пропустит тюремная цензура.");
		else if (!forced) {
			/* refused by the sum of scores: each rule alone would only have
			 * held the letter for a moderator, and the writer must not read
			 * a refusal as a letter in review */
			const char *en, *ru;
			score_refusal(said, &en, &ru);
			letter_refuse(l, LG_VERDICT_REJECT, "550", "5.7.1", en, ru);
		}
		g_hash_table_unref(said);
		return;
	}
	if (w->tr_status == LG_TR_UNAVAILABLE) {
		if (!strcmp(cfg->on_failure, "hold")) {
			g_ptr_array_add(
			    l->findings,
			    finding_new("translator-unavailable", "language", LG_ACT_HOLD, 0,
			                "The translator is unavailable; a volunteer will translate "
			                "the letter.",
			                "Переводчик недоступен; письмо переведёт волонтёр."));
			l->verdict = LG_VERDICT_HOLD;
		} else {
			letter_refuse(l, LG_VERDICT_TEMPFAIL, "451", "4.3.0",
			              "The translation service is temporarily unavailable; your "
			              "mail server will retry.",
			              "Служба перевода временно недоступна; ваш почтовый сервер "
			              "повторит отправку.");
		}
		return;
	}
	if (w->tr_status == LG_TR_NO_BACKEND) {
		g_ptr_array_add(
		    l->findings,
		    finding_new(
		        "needs-translator", "language", LG_ACT_HOLD, 0,
		        "The letter is not in Russian and will be translated by a volunteer.",
		        "Письмо не на русском языке; его переведёт волонтёр."));
		l->verdict = LG_VERDICT_HOLD;
		return;
	}
	if (w->screen_action == LG_ACT_HOLD)
		l->verdict = LG_VERDICT_HOLD;
}

/* Quotas and the "already sent" rule (policy/quota.h). Letters that pass
 * are added to the tally. *over_r (may be NULL) gets the quota's name when
 * one is over. FALSE with *err on database trouble. */
static gboolean letter_quotas(lg_pipeline *p, lg_letter *l, lg_quota_tally *tally,
                              const char **over_r, GError **err)
{
	lg_quota_item it = {0};
	lg_quota_result r = {0};
	if (over_r)
		*over_r = NULL;
	if (p->store == NULL || l->prisoner[0] == '\0')
		return TRUE;
	it.writer = l->writer_addr;
	it.writer_name = l->writer_name;
	it.prisoner = l->prisoner;
	it.org = l->org;
	it.text_hash = l->text_original[0] ? l->text_hash : NULL;
	it.photos = (int)l->photos->len;
	if (l->verdict == LG_VERDICT_REJECT || l->verdict == LG_VERDICT_TEMPFAIL)
		return TRUE;
	if (!quota_check(p->cfg, p->store, tally, &it, util_now(), &r, err))
		return FALSE;
	if (r.status == LG_QUOTA_DUPLICATE)
		letter_refuse(l, LG_VERDICT_REJECT, "550", "5.7.1", r.en, r.ru);
	else if (r.status == LG_QUOTA_OVER)
		letter_refuse(l, LG_VERDICT_TEMPFAIL, "451", "4.7.1", r.en, r.ru);
	else
		quota_tally_add(tally, &it);
	if (over_r && r.status == LG_QUOTA_OVER)
		*over_r = r.limit_name;
	quota_result_clear(&r);
	return TRUE;
}

static void outcome_finish(lg_pipeline *p, lg_outcome *o)
{
	gboolean any_reject = FALSE, any_temp = FALSE, any_hold = FALSE;
	const char *code = NULL, *dsn = NULL;
	gboolean same_code = TRUE;
	guint nrej = 0;
	(void)p;

	gboolean only_rcpt_stage = TRUE;
	for (guint i = 0; i < o->letters->len; i++)
		if (!((lg_letter *)g_ptr_array_index(o->letters, i))->rcpt_stage)
			only_rcpt_stage = FALSE;
	for (guint i = 0; i < o->letters->len; i++) {
		lg_letter *l = g_ptr_array_index(o->letters, i);
		/* recipients refused at RCPT leave the rest of the message alone,
		 * as the MTA would: they decide only when nobody else is left */
		if (l->rcpt_stage && !only_rcpt_stage)
			continue;
		if (l->verdict == LG_VERDICT_REJECT) {
			any_reject = TRUE;
			nrej++;
			if (code == NULL) {
				code = l->code;
				dsn = l->dsn;
			} else if (strcmp(code, l->code) || strcmp(dsn, l->dsn)) {
				same_code = FALSE;
			}
		} else if (l->verdict == LG_VERDICT_TEMPFAIL) {
			any_temp = TRUE;
		} else if (l->verdict == LG_VERDICT_HOLD) {
			any_hold = TRUE;
		}
	}
	if (any_reject) {
		o->verdict = LG_VERDICT_REJECT;
		o->code = g_strdup(same_code ? code : "550");
		o->dsn = g_strdup(same_code ? dsn : "5.7.1");
		for (guint i = 0; i < o->letters->len; i++) {
			lg_letter *l = g_ptr_array_index(o->letters, i);
			char *local;
			if (l->verdict != LG_VERDICT_REJECT || (l->rcpt_stage && !only_rcpt_stage))
				continue;
			local = rcpt_local(l->rcpt);
			for (guint j = 0; j < l->reasons_en->len; j++) {
				const char *en = g_ptr_array_index(l->reasons_en, j);
				const char *ru = g_ptr_array_index(l->reasons_ru, j);
				if (nrej > 1)
					g_ptr_array_add(o->lines, g_strdup_printf("%s: %s / %s",
					                                          local, en, ru));
				else
					g_ptr_array_add(o->lines,
					                g_strdup_printf("%s / %s", en, ru));
			}
			g_free(local);
		}
		(void)nrej;
		return;
	}
	if (any_temp) {
		o->verdict = LG_VERDICT_TEMPFAIL;
		for (guint i = 0; i < o->letters->len; i++) {
			lg_letter *l = g_ptr_array_index(o->letters, i);
			if (l->verdict != LG_VERDICT_TEMPFAIL)
				continue;
			if (o->code == NULL) {
				o->code = g_strdup(l->code);
				o->dsn = g_strdup(l->dsn);
			}
			for (guint j = 0; j < l->reasons_en->len; j++)
				g_ptr_array_add(
				    o->lines,
				    g_strdup_printf("%s / %s",
				                    (char *)g_ptr_array_index(l->reasons_en, j),
				                    (char *)g_ptr_array_index(l->reasons_ru, j)));
		}
		return;
	}
	o->verdict = any_hold ? LG_VERDICT_HOLD : LG_VERDICT_ACCEPT;
}

/* Quotas whose overflow holds back a whole batch (the organisation's own
 * and the gateway's): the batch is retried as a whole later. */
static gboolean batch_wide_quota(const char *name)
{
	return name && (!strcmp(name, "org_day") || !strcmp(name, "letters_day") ||
	                !strcmp(name, "photos_day"));
}

static char *dedup_key_for(const char *message_id, const char *rcpt, const char *body_hash,
                           int index)
{
	char *k = index < 0 ? g_strdup_printf("%s\n%s\n%s", message_id, rcpt, body_hash)
	                    : g_strdup_printf("%s\n%s\n%s\n%d", message_id, rcpt, body_hash, index);
	char *out = util_sha256_hex(k, strlen(k));
	g_free(k);
	return out;
}

/* An organisation's batch: every message/rfc822 attachment is a letter of
 * its own, screened on its own, signed with the inner From's display name,
 * to each prisoner recipient of the envelope (anyone@ picks a prisoner per
 * letter). Policy (README "Organisations"):
 *  - content refusals, "already sent" and a prisoner's own daily limit
 *    refuse that letter only; it is stored as rejected and reported;
 *  - the organisation's quota, the gateway's daily letters or photos, a
 *    translator that is down, or the database: the whole message gets 451
 *    and nothing is stored, so the sender's retry brings the whole batch;
 *  - otherwise the message is accepted (250) and the report goes back. */
static void run_batch(lg_pipeline *p, const lg_envelope *env, shared_work *w, GPtrArray *rcpts,
                      const char *org, lg_outcome *o, lg_quota_tally *tally, GError **err)
{
	const lg_message *outer = w->msg;
	lg_letter *temp = NULL;
	GError *e = NULL;
	guint stored = 0;

	o->batch_id = util_new_id();
	o->org = g_strdup(org);
	o->submitter =
	    g_strdup(env->mail_from && *env->mail_from ? env->mail_from : outer->from_addr);
	o->message_id = g_strdup(outer->message_id);
	for (guint r = 0; r < rcpts->len && temp == NULL; r++) {
		const char *rcpt = g_ptr_array_index(rcpts, r);
		lg_letter *probe = letter_new(rcpt);
		gboolean anyone;
		char *local = rcpt_local(rcpt);
		anyone = p->cfg->anyone_alias[0] && !strcmp(local, p->cfg->anyone_alias);
		g_free(local);
		if (!resolve_prisoner(p, probe, &e)) {
			letter_free(probe);
			goto fail;
		}
		if (probe->verdict == LG_VERDICT_REJECT) {
			probe->rcpt_stage = TRUE;
			g_ptr_array_add(o->letters, probe);
			continue;
		}
		for (guint i = 0; i < outer->inner->len; i++) {
			shared_work iw = {0};
			lg_letter *l = letter_new(rcpt);
			const char *over = NULL;
			gboolean dup;
			g_ptr_array_add(o->letters, l);
			g_free(l->batch);
			l->batch = g_strdup(o->batch_id);
			l->org = g_strdup(org);
			l->dedup_key = dedup_key_for(outer->message_id, rcpt, w->body_hash, (int)i);
			dup = p->store && store_dedup_exists(p->store, l->dedup_key, &e);
			if (e)
				goto fail;
			if (dup) {
				/* a retry of a batch already stored: pipeline_commit() stores
				 * nothing */
				l->verdict = LG_VERDICT_ACCEPT;
				g_free(l->prisoner);
				l->prisoner = g_strdup(probe->prisoner);
				continue;
			}
			iw.msg = g_ptr_array_index(outer->inner, i);
			iw.msg_borrowed = TRUE;
			iw.body_hash = g_strdup(w->body_hash);
			shared_analyse(p, &iw);
			{
				char *keep = l->dedup_key;
				l->dedup_key = NULL;
				letter_from_shared(l, &iw, env);
				g_free(l->dedup_key);
				l->dedup_key = keep;
			}
			if (l->message_id[0] == '\0') {
				g_free(l->message_id);
				l->message_id = g_strdup(outer->message_id);
			}
			/* never the organisation's address: the writer is the supporter */
			g_free(l->writer_addr);
			l->writer_addr = g_strdup(iw.msg->from_addr);
			l->notify = FALSE; /* the organisation hears through the report */
			if (anyone) {
				if (!resolve_prisoner_t(p, l, tally, &e)) {
					shared_clear(&iw);
					goto fail;
				}
			} else {
				g_free(l->prisoner);
				l->prisoner = g_strdup(probe->prisoner);
			}
			if (l->verdict != LG_VERDICT_REJECT)
				letter_decide(p, l, &iw);
			shared_clear(&iw);
			if (!letter_quotas(p, l, tally, &over, &e))
				goto fail;
			if (l->verdict == LG_VERDICT_TEMPFAIL) {
				if (over && !batch_wide_quota(over)) {
					/* the prisoner's own limit: this letter only */
					GPtrArray *en = l->reasons_en, *ru = l->reasons_ru;
					l->reasons_en = g_ptr_array_new_with_free_func(g_free);
					l->reasons_ru = g_ptr_array_new_with_free_func(g_free);
					l->verdict = LG_VERDICT_ACCEPT;
					for (guint j = 0; j < en->len; j++)
						letter_refuse(l, LG_VERDICT_REJECT, "550", "5.7.1",
						              g_ptr_array_index(en, j),
						              g_ptr_array_index(ru, j));
					g_ptr_array_unref(en);
					g_ptr_array_unref(ru);
				} else {
					temp = l;
					break;
				}
			}
			stored++;
		}
		letter_free(probe);
	}
	if (temp) {
		o->verdict = LG_VERDICT_TEMPFAIL;
		o->code = g_strdup(temp->code);
		o->dsn = g_strdup(temp->dsn);
		for (guint j = 0; j < temp->reasons_en->len; j++)
			g_ptr_array_add(
			    o->lines,
			    g_strdup_printf("Batch held back: %s / Пакет отложен: %s",
			                    (char *)g_ptr_array_index(temp->reasons_en, j),
			                    (char *)g_ptr_array_index(temp->reasons_ru, j)));
		return;
	}
	if (stored == 0) {
		/* only refused recipients: the usual one-message verdict */
		g_clear_pointer(&o->batch_id, g_free);
		outcome_finish(p, o);
		return;
	}
	o->verdict = LG_VERDICT_ACCEPT;
	for (guint i = 0; i < o->letters->len; i++)
		if (((lg_letter *)g_ptr_array_index(o->letters, i))->verdict == LG_VERDICT_HOLD)
			o->verdict = LG_VERDICT_HOLD;
	return;
fail:
	g_propagate_error(err, e);
}

lg_outcome *pipeline_run(lg_pipeline *p, const lg_envelope *env, GMimeStream *stream)
{
	lg_outcome *o = outcome_new();
	shared_work w = {0};
	GPtrArray *rcpts = g_ptr_array_new();
	lg_quota_tally *tally = quota_tally_new();
	GError *e = NULL;
	char *org = NULL;
	gboolean notify, batch = FALSE;

	g_free(o->queue_id);
	o->queue_id = g_strdup(env->queue_id ? env->queue_id : "");
	for (guint i = 0; env->rcpts && i < env->rcpts->len; i++) {
		const char *r = g_ptr_array_index(env->rcpts, i);
		if (pipeline_is_gateway_rcpt(p, r))
			g_ptr_array_add(rcpts, (gpointer)r);
	}
	if (rcpts->len == 0)
		goto out; /* nothing for us: accept untouched */
	org = org_identify(p->cfg, env->auth_authen, env->client_addr, NULL);
	if (!shared_parse(p, stream, org != NULL, &w, o))
		goto out;
	if (org == NULL) /* the envelope named none: an authenticated domain may */
		org = org_identify(p->cfg, NULL, NULL, w.msg);
	if (org && w.msg->inner && w.msg->inner->len > 0) {
		batch = TRUE;
		run_batch(p, env, &w, rcpts, org, o, tally, &e);
		goto db_check;
	}
	shared_analyse(p, &w);
	notify = org == NULL && notify_writer_trusted(p->cfg, w.msg);
	/* the recipients' lookups (prisoner, retry, quotas) in one read
	 * transaction: their pages are read once */
	store_read_begin(p->store);
	for (guint i = 0; i < rcpts->len; i++) {
		lg_letter *l = letter_new(g_ptr_array_index(rcpts, i));
		g_ptr_array_add(o->letters, l);
		letter_from_shared(l, &w, env);
		l->notify = notify;
		l->org = g_strdup(org);
		if (!resolve_prisoner_t(p, l, tally, &e))
			break;
		if (l->verdict == LG_VERDICT_REJECT) {
			l->rcpt_stage = TRUE;
			continue;
		}
		if (p->store && store_dedup_exists(p->store, l->dedup_key, &e)) {
			/* a sender's retry of a message already stored: accept it again,
			 * pipeline_commit() will store nothing */
			l->verdict = LG_VERDICT_ACCEPT;
			continue;
		}
		if (e)
			break;
		letter_decide(p, l, &w);
		if (!letter_quotas(p, l, tally, NULL, &e))
			break;
	}
	store_read_end(p->store);
db_check:
	if (e) {
		g_ptr_array_set_size(o->lines, 0);
		outcome_set(o, LG_VERDICT_TEMPFAIL, "451", "4.3.0",
		            "Temporary problem with the letters database; please try again later. /"
		            " Временная ошибка базы писем; попробуйте позже.");
		lg_warn("queue %s: database: %s", o->queue_id, e->message);
		g_clear_error(&e);
		g_clear_pointer(&o->batch_id, g_free);
		goto out;
	}
	if (!batch)
		outcome_finish(p, o);
out:
	shared_clear(&w);
	g_ptr_array_unref(rcpts);
	quota_tally_free(&tally);
	g_free(org);
	return o;
}

/* ---- JSON ---- */

static void json_findings(JsonBuilder *b, const GPtrArray *findings)
{
	json_builder_begin_array(b);
	for (guint i = 0; i < findings->len; i++) {
		const lg_finding *f = g_ptr_array_index((GPtrArray *)findings, i);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "rule");
		json_builder_add_string_value(b, f->rule);
		json_builder_set_member_name(b, "category");
		json_builder_add_string_value(b, f->category);
		json_builder_set_member_name(b, "action");
		json_builder_add_string_value(b, letter_action_name(f->action));
		json_builder_set_member_name(b, "score");
		json_builder_add_double_value(b, f->score);
		json_builder_set_member_name(b, "where");
		json_builder_add_string_value(b, f->where);
		if (f->start >= 0) {
			json_builder_set_member_name(b, "start");
			json_builder_add_int_value(b, f->start);
			json_builder_set_member_name(b, "end");
			json_builder_add_int_value(b, f->end);
		}
		json_builder_set_member_name(b, "reason");
		json_builder_add_string_value(b, f->reason_en);
		json_builder_set_member_name(b, "reason_ru");
		json_builder_add_string_value(b, f->reason_ru);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

static void json_dropped(JsonBuilder *b, const GPtrArray *dropped)
{
	json_builder_begin_array(b);
	for (guint i = 0; i < dropped->len; i++) {
		const lg_dropped *d = g_ptr_array_index((GPtrArray *)dropped, i);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "name");
		json_builder_add_string_value(b, d->name);
		json_builder_set_member_name(b, "type");
		json_builder_add_string_value(b, d->type);
		json_builder_set_member_name(b, "reason");
		json_builder_add_string_value(b, d->reason);
		if (d->quiet) {
			json_builder_set_member_name(b, "quiet");
			json_builder_add_boolean_value(b, TRUE);
		}
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

char *pipeline_findings_json(const GPtrArray *findings);
char *pipeline_dropped_json(const GPtrArray *dropped);

static char *builder_to_string(JsonBuilder *b, gboolean pretty)
{
	JsonNode *root = json_builder_get_root(b);
	JsonGenerator *gen = json_generator_new();
	char *out;
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, pretty);
	out = json_generator_to_data(gen, NULL);
	g_object_unref(gen);
	json_node_unref(root);
	return out;
}

char *pipeline_findings_json(const GPtrArray *findings)
{
	JsonBuilder *b = json_builder_new();
	char *out;
	json_findings(b, findings);
	out = builder_to_string(b, FALSE);
	g_object_unref(b);
	return out;
}

char *pipeline_dropped_json(const GPtrArray *dropped)
{
	JsonBuilder *b = json_builder_new();
	char *out;
	json_dropped(b, dropped);
	out = builder_to_string(b, FALSE);
	g_object_unref(b);
	return out;
}

char *outcome_json(const lg_outcome *o, const char *file)
{
	JsonBuilder *b = json_builder_new();
	char *out;
	json_builder_begin_object(b);
	if (file) {
		json_builder_set_member_name(b, "file");
		json_builder_add_string_value(b, file);
	}
	json_builder_set_member_name(b, "verdict");
	json_builder_add_string_value(b, letter_verdict_name(o->verdict));
	if (o->code) {
		json_builder_set_member_name(b, "smtp");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "code");
		json_builder_add_string_value(b, o->code);
		json_builder_set_member_name(b, "dsn");
		json_builder_add_string_value(b, o->dsn);
		json_builder_set_member_name(b, "text");
		json_builder_begin_array(b);
		for (guint i = 0; i < o->lines->len; i++)
			json_builder_add_string_value(b, g_ptr_array_index(o->lines, i));
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
	if (o->batch_id) {
		int n[4] = {0};
		for (guint i = 0; i < o->letters->len; i++) {
			const lg_letter *l = g_ptr_array_index(o->letters, i);
			if (!l->rcpt_stage && l->verdict <= LG_VERDICT_TEMPFAIL)
				n[l->verdict]++;
		}
		json_builder_set_member_name(b, "batch");
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "id");
		json_builder_add_string_value(b, o->batch_id);
		json_builder_set_member_name(b, "org");
		json_builder_add_string_value(b, o->org ? o->org : "");
		json_builder_set_member_name(b, "letters");
		json_builder_add_int_value(b, n[0] + n[1] + n[2] + n[3]);
		json_builder_set_member_name(b, "accepted");
		json_builder_add_int_value(b, n[LG_VERDICT_ACCEPT]);
		json_builder_set_member_name(b, "held");
		json_builder_add_int_value(b, n[LG_VERDICT_HOLD]);
		json_builder_set_member_name(b, "rejected");
		json_builder_add_int_value(b, n[LG_VERDICT_REJECT]);
		json_builder_end_object(b);
	}
	json_builder_set_member_name(b, "letters");
	json_builder_begin_array(b);
	for (guint i = 0; i < o->letters->len; i++) {
		const lg_letter *l = g_ptr_array_index(o->letters, i);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "id");
		json_builder_add_string_value(b, l->id);
		if (l->org) {
			json_builder_set_member_name(b, "org");
			json_builder_add_string_value(b, l->org);
		}
		if (l->batch) {
			json_builder_set_member_name(b, "batch");
			json_builder_add_string_value(b, l->batch);
			json_builder_set_member_name(b, "writer_name");
			json_builder_add_string_value(b, l->writer_name);
		}
		json_builder_set_member_name(b, "rcpt");
		json_builder_add_string_value(b, l->rcpt);
		json_builder_set_member_name(b, "prisoner");
		json_builder_add_string_value(b, l->prisoner);
		json_builder_set_member_name(b, "verdict");
		json_builder_add_string_value(b, letter_verdict_name(l->verdict));
		if (l->code) {
			json_builder_set_member_name(b, "smtp");
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "code");
			json_builder_add_string_value(b, l->code);
			json_builder_set_member_name(b, "dsn");
			json_builder_add_string_value(b, l->dsn);
			json_builder_end_object(b);
		}
		json_builder_set_member_name(b, "reasons");
		json_builder_begin_array(b);
		for (guint j = 0; j < l->reasons_en->len; j++)
			json_builder_add_string_value(b, g_ptr_array_index(l->reasons_en, j));
		json_builder_end_array(b);
		json_builder_set_member_name(b, "reasons_ru");
		json_builder_begin_array(b);
		for (guint j = 0; j < l->reasons_ru->len; j++)
			json_builder_add_string_value(b, g_ptr_array_index(l->reasons_ru, j));
		json_builder_end_array(b);
		json_builder_set_member_name(b, "lang");
		json_builder_add_string_value(b, l->lang);
		json_builder_set_member_name(b, "translated");
		json_builder_add_boolean_value(b, l->translated);
		json_builder_set_member_name(b, "backend");
		json_builder_add_string_value(b, l->backend);
		json_builder_set_member_name(b, "pages");
		json_builder_add_int_value(b, l->pages);
		json_builder_set_member_name(b, "chars");
		json_builder_add_int_value(b, l->chars);
		json_builder_set_member_name(b, "score");
		json_builder_add_double_value(b, l->score);
		json_builder_set_member_name(b, "text_original");
		json_builder_add_string_value(b, l->text_original);
		json_builder_set_member_name(b, "text_ru");
		json_builder_add_string_value(b, l->text_ru);
		json_builder_set_member_name(b, "findings");
		json_findings(b, l->findings);
		json_builder_set_member_name(b, "kept");
		json_builder_begin_array(b);
		for (guint j = 0; j < l->photos->len; j++) {
			const lg_photo *ph = g_ptr_array_index(l->photos, j);
			json_builder_begin_object(b);
			json_builder_set_member_name(b, "name");
			json_builder_add_string_value(b, ph->name);
			json_builder_set_member_name(b, "type");
			json_builder_add_string_value(b, ph->type);
			json_builder_set_member_name(b, "bytes");
			json_builder_add_int_value(b, ph->data ? (gint64)g_bytes_get_size(ph->data)
			                                       : 0);
			json_builder_set_member_name(b, "sha256");
			json_builder_add_string_value(b, ph->sha256);
			json_builder_set_member_name(b, "original_name");
			json_builder_add_string_value(b, ph->orig_name ? ph->orig_name : "");
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_set_member_name(b, "dropped");
		json_dropped(b, l->dropped);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	out = builder_to_string(b, file == NULL);
	g_object_unref(b);
	return out;
}

/* ---- commit ---- */

gboolean pipeline_commit(lg_pipeline *p, lg_outcome *o, GError **err)
{
	GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify)letter_rec_free);
	gboolean ok, dup = FALSE;
	if (p->store == NULL) {
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_OTHER, "no database");
		g_ptr_array_unref(recs);
		return FALSE;
	}
	for (guint i = 0; i < o->letters->len; i++) {
		lg_letter *l = g_ptr_array_index(o->letters, i);
		lg_letter_rec *r;
		GString *cats;
		gboolean batch_reject = o->batch_id && l->batch && l->verdict == LG_VERDICT_REJECT;
		if (l->verdict != LG_VERDICT_ACCEPT && l->verdict != LG_VERDICT_HOLD &&
		    !batch_reject)
			continue;
		r = letter_rec_new();
		r->id = g_strdup(l->id);
		r->state = g_strdup(batch_reject                      ? "rejected"
		                    : l->verdict == LG_VERDICT_ACCEPT ? "queued"
		                                                      : "held");
		if (batch_reject) {
			GString *why = g_string_new(NULL);
			for (guint j = 0; j < l->reasons_en->len; j++)
				g_string_append_printf(why, "%s%s", j ? " " : "",
				                       (char *)g_ptr_array_index(l->reasons_en, j));
			r->reason = g_string_free(why, FALSE);
		}
		r->queue_id = g_strdup(o->queue_id);
		r->message_id = g_strdup(l->message_id);
		r->dedup_key = g_strdup(l->dedup_key);
		r->writer_name = g_strdup(l->writer_name);
		r->writer_addr = g_strdup(l->writer_addr);
		r->prisoner = g_strdup(l->prisoner);
		r->rcpt = g_strdup(l->rcpt);
		r->lang = g_strdup(l->lang);
		r->translated = l->translated;
		r->backend = g_strdup(l->backend);
		r->subject = g_strdup(l->subject);
		r->text_original = g_strdup(l->text_original);
		r->text_ru = g_strdup(l->text_ru);
		r->findings_json = pipeline_findings_json(l->findings);
		r->dropped_json = pipeline_dropped_json(l->dropped);
		cats = g_string_new(NULL);
		for (guint j = 0; j < l->findings->len; j++) {
			const lg_finding *f = g_ptr_array_index(l->findings, j);
			char *needle = g_strdup_printf(",%s,", f->category);
			char *hay = g_strdup_printf(",%s,", cats->str);
			if (!strstr(hay, needle))
				g_string_append_printf(cats, "%s%s", cats->len ? "," : "",
				                       f->category);
			g_free(needle);
			g_free(hay);
		}
		r->categories = g_string_free(cats, FALSE);
		r->score = l->score;
		r->pages = l->pages;
		r->text_hash = g_strdup(l->text_hash);
		r->org = g_strdup(l->org);
		r->batch = g_strdup(l->batch);
		r->notify = l->notify;
		for (guint j = 0; j < l->photos->len; j++) {
			const lg_photo *ph = g_ptr_array_index(l->photos, j);
			g_ptr_array_add(r->photos, photo_copy(ph));
		}
		g_ptr_array_add(recs, r);
	}
	if (o->batch_id) {
		lg_batch_rec b = {.id = o->batch_id,
		                  .org = o->org,
		                  .submitter = o->submitter,
		                  .message_id = o->message_id,
		                  .queue_id = o->queue_id,
		                  .letters = (int)recs->len};
		ok = recs->len == 0 || store_batch_commit(p->store, &b, recs, &dup, err);
	} else {
		ok = recs->len == 0 || store_letters_commit(p->store, recs, &dup, err);
	}
	o->duplicate = dup;
	if (ok && !dup && o->batch_id && recs->len > 0) {
		GError *e = NULL;
		lg_info("queue %s: batch %s from %s: %u letters", o->queue_id, o->batch_id,
		        o->org ? o->org : "-", recs->len);
		if (!org_report_send(p->cfg, p->store, o->batch_id, &e)) {
			char *safe = util_sanitize(e ? e->message : "failed", 200);
			lg_warn(
			    "batch %s: report not sent: %s (lettergatectl batch report %s --send)",
			    o->batch_id, safe, o->batch_id);
			g_free(safe);
			g_clear_error(&e);
		}
	}
	g_ptr_array_unref(recs);
	return ok;
}

lg_store *pipeline_store(const lg_pipeline *p)
{
	return p->store;
}
