/*
 * milter/milter.c - see milter.h.
 *
 * State: one conn_ctx per SMTP connection (smfi_setpriv at connect, freed
 * last in close); one msg_ctx per message inside it, freed by msg_done()
 * which eom, abort and close all call.
 */
#include "milter/milter.h"

#include <libmilter/mfapi.h>
#include <arpa/inet.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "deliver/notify.h"
#include "milter/body.h"

typedef struct {
	GPtrArray *rcpts;     /* char*, as given (with <>) */
	GPtrArray *ours;      /* char*, the gateway's recipients, as given */
	GPtrArray *replies;   /* char*, reply+token recipients, as given */
	GPtrArray *reply_ids; /* char*, the letter id of each reply recipient */
	char *mail_from;
	char *queue_id;
	char *auth_authen;
	lg_body *body;
	gint64 header_bytes;
	int header_fail; /* with SMFIP_NR_HDR: a header's failure, answered at eoh */
	int body_fail;   /* with SMFIP_NR_BODY: a body chunk's failure, answered at eom;
	                  * with SMFIP_NR_EOH also the headers' */
} msg_ctx;

typedef struct {
	lg_pipeline *pipeline;
	char *client_addr;
	msg_ctx *msg;
	gboolean counted;
	gboolean nr_hdr;     /* the MTA expects no reply to each header */
	gboolean nr_body;    /* nor to each body chunk */
	gboolean nr_eoh;     /* nor to the end of the headers */
	gboolean nr_conn;    /* nor to the connection */
	gboolean nr_mail;    /* nor to MAIL FROM */
	const char *refusal; /* a connection refused without a reply: answered at RCPT */
} conn_ctx;

/* What cb_negotiate agreed is kept in the connection's conn_ctx, which
 * cb_negotiate creates: a thread-local did not reach the later callbacks,
 * which then answered where the MTA expects no answer (libmilter corrects
 * that, and logs an error for every header). */

/* Notifications are sent off the SMTP session: a slow sendmail must not hold
 * the writer's server (the letter is already stored when they are queued). */
typedef struct {
	lg_config *cfg;
	lg_store *st;
	char *id;
	const char *state;
} notify_job;

static GThreadPool *notify_pool;
static GOnce notify_once = G_ONCE_INIT;

static void notify_run(gpointer data, gpointer unused)
{
	notify_job *j = data;
	(void)unused;
	notify_letter_state(j->cfg, j->st, j->id, j->state, NULL);
	config_unref(&j->cfg);
	g_free(j->id);
	g_free(j);
}

static gpointer notify_pool_new(gpointer unused)
{
	(void)unused;
	return g_thread_pool_new(notify_run, NULL, 2, FALSE, NULL);
}

static void notify_later(const lg_config *cfg, lg_store *st, const char *id, const char *state)
{
	notify_job *j;
	if (!cfg->notify_enabled || st == NULL)
		return;
	g_once(&notify_once, notify_pool_new, NULL);
	notify_pool = notify_once.retval;
	j = g_new0(notify_job, 1);
	j->cfg = config_ref((lg_config *)cfg);
	j->st = st;
	j->id = g_strdup(id);
	j->state = state;
	g_thread_pool_push(notify_pool, j, NULL);
}

static GMutex state_lock;
static lg_pipeline *current_pipeline;
static lg_worker *current_worker;
static int sessions_active;
static int sessions_max = 64;

void milter_set_pipeline(lg_pipeline *p)
{
	lg_pipeline *old;
	g_mutex_lock(&state_lock);
	old = current_pipeline;
	current_pipeline = p ? pipeline_ref(p) : NULL;
	g_mutex_unlock(&state_lock);
	pipeline_free(&old);
}

void milter_set_worker(lg_worker *w)
{
	g_mutex_lock(&state_lock);
	current_worker = w;
	g_mutex_unlock(&state_lock);
}

void milter_set_limits(int sessions)
{
	sessions_max = sessions;
}

/* messages between MAIL FROM and their end: delivery yields to them */
static gint messages_active;
/* g_get_monotonic_time() when the last message ended (0: none yet) */
static gint64 message_last_end;

gboolean milter_busy(gint64 *last_end)
{
	if (last_end)
		*last_end = __atomic_load_n(&message_last_end, __ATOMIC_RELAXED);
	return g_atomic_int_get(&messages_active) > 0;
}

static void msg_done(conn_ctx *c)
{
	msg_ctx *m;
	if (c == NULL || c->msg == NULL)
		return;
	m = c->msg;
	c->msg = NULL;
	__atomic_store_n(&message_last_end, g_get_monotonic_time(), __ATOMIC_RELAXED);
	g_atomic_int_add(&messages_active, -1);
	g_ptr_array_unref(m->rcpts);
	g_ptr_array_unref(m->ours);
	g_ptr_array_unref(m->replies);
	g_ptr_array_unref(m->reply_ids);
	g_free(m->mail_from);
	g_free(m->queue_id);
	g_free(m->auth_authen);
	body_free(&m->body);
	g_free(m);
}

/* libmilter replies: no CR/LF, '%' doubled, printable; one call for all lines. */
static char *reply_line(const char *s)
{
	GString *g = g_string_new(NULL);
	for (const char *p = s; *p; p++) {
		if (*p == '\r' || *p == '\n' || *p == '\t')
			g_string_append_c(g, ' ');
		else if (*p == '%')
			g_string_append(g, "%%");
		else
			g_string_append_c(g, *p);
		if (g->len > 900)
			break;
	}
	return g_string_free(g, FALSE);
}

static void set_reply(SMFICTX *ctx, const char *code, const char *dsn, GPtrArray *lines)
{
	char *l[32] = {0};
	guint n = lines ? MIN(lines->len, 31u) : 0;
	int rc;
	if (n == 0) {
		smfi_setreply(ctx, (char *)code, (char *)dsn, NULL);
		return;
	}
	for (guint i = 0; i < n; i++)
		l[i] = reply_line(g_ptr_array_index(lines, i));
	if (n == 1)
		rc = smfi_setreply(ctx, (char *)code, (char *)dsn, l[0]);
	else
		rc = smfi_setmlreply(ctx, code, dsn, l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7],
		                     l[8], l[9], l[10], l[11], l[12], l[13], l[14], l[15], l[16],
		                     l[17], l[18], l[19], l[20], l[21], l[22], l[23], l[24], l[25],
		                     l[26], l[27], l[28], l[29], l[30], NULL);
	if (rc != MI_SUCCESS)
		smfi_setreply(ctx, (char *)code, (char *)dsn, "see the gateway's documentation");
	for (guint i = 0; i < n; i++)
		g_free(l[i]);
}

static void set_reply1(SMFICTX *ctx, const char *code, const char *dsn, const char *line)
{
	GPtrArray *a = g_ptr_array_new();
	g_ptr_array_add(a, (gpointer)line);
	set_reply(ctx, code, dsn, a);
	g_ptr_array_unref(a);
}

static sfsistat tempfail(SMFICTX *ctx, const char *why)
{
	set_reply1(ctx, "451", "4.3.0", why);
	return SMFIS_TEMPFAIL;
}

static const char *qid(SMFICTX *ctx, msg_ctx *m)
{
	if (m && m->queue_id && *m->queue_id)
		return m->queue_id;
	{
		const char *i = smfi_getsymval(ctx, "i");
		return i ? i : "-";
	}
}

/*
 * With SMFIP_NR_CONN and SMFIP_NR_MAIL (Postfix, Sendmail 8.14+) the MTA does
 * not wait for an answer to the connection or to MAIL FROM: two round trips
 * fewer per session. A refusal then waits for the first RCPT TO, which gets
 * the 451 (a client learns of it one command later, with the same reply).
 */
static sfsistat connect_refuse(SMFICTX *ctx, conn_ctx *c, const char *why)
{
	if (!c->nr_conn)
		return tempfail(ctx, why);
	c->refusal = why;
	return SMFIS_NOREPLY;
}

static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *addr)
{
	conn_ctx *c = smfi_getpriv(ctx); /* from cb_negotiate */
	if (c == NULL)
		c = g_new0(conn_ctx, 1); /* an MTA without option negotiation */
	(void)host;
	g_mutex_lock(&state_lock);
	c->pipeline = current_pipeline ? pipeline_ref(current_pipeline) : NULL;
	if (sessions_active >= sessions_max) {
		g_mutex_unlock(&state_lock);
		smfi_setpriv(ctx, c);
		lg_warn("too many concurrent sessions (%d): tempfail", sessions_max);
		return connect_refuse(ctx, c,
		                      "Too many concurrent sessions; please try again later.");
	}
	sessions_active++;
	c->counted = TRUE;
	g_mutex_unlock(&state_lock);
	if (addr && addr->sa_family == AF_INET) {
		char buf[64];
		const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
		if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)))
			c->client_addr = g_strdup(buf);
	} else if (addr && addr->sa_family == AF_INET6) {
		char buf[64];
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)addr;
		if (inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf)))
			c->client_addr = g_strdup(buf);
	}
	smfi_setpriv(ctx, c);
	if (c->pipeline == NULL)
		return connect_refuse(ctx, c,
		                      "The letters gateway is starting; please try again later.");
	return c->nr_conn ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	conn_ctx *c = smfi_getpriv(ctx);
	msg_ctx *m;
	const char *auth;
	const lg_config *cfg;
	if (c == NULL || c->pipeline == NULL || c->refusal) {
		if (c && c->nr_mail)
			return SMFIS_NOREPLY; /* answered at RCPT TO */
		return tempfail(ctx, c && c->refusal ? c->refusal
		                                     : "The letters gateway is not ready; please "
		                                       "try again later.");
	}
	msg_done(c);
	cfg = pipeline_config(c->pipeline);
	m = g_new0(msg_ctx, 1);
	m->rcpts = g_ptr_array_new_with_free_func(g_free);
	m->ours = g_ptr_array_new_with_free_func(g_free);
	m->replies = g_ptr_array_new_with_free_func(g_free);
	m->reply_ids = g_ptr_array_new_with_free_func(g_free);
	m->mail_from = util_addr_normalize(argv && argv[0] ? argv[0] : "");
	auth = smfi_getsymval(ctx, "{auth_authen}");
	m->auth_authen = auth ? g_strdup(auth) : NULL;
	m->body = body_new(cfg->memory_bytes, cfg->tmp_dir);
	c->msg = m;
	g_atomic_int_inc(&messages_active);
	return c->nr_mail ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
	conn_ctx *c = smfi_getpriv(ctx);
	lg_outcome *o;
	const char *rcpt = argv && argv[0] ? argv[0] : "";
	if (c && c->refusal)
		return tempfail(ctx, c->refusal);
	if (c == NULL || c->pipeline == NULL || c->msg == NULL)
		return tempfail(ctx, "The letters gateway is not ready; please try again later.");
	if (!pipeline_is_gateway_rcpt(c->pipeline, rcpt)) {
		g_ptr_array_add(c->msg->rcpts, g_strdup(rcpt));
		return SMFIS_CONTINUE;
	}
	{
		char *addr = util_addr_normalize(rcpt);
		if (g_str_has_prefix(addr, "reply+")) {
			/* a prisoner's reply, sent by the partner, to a signed address */
			char *id = reply_letter_id(pipeline_config(c->pipeline), addr);
			g_free(addr);
			if (id == NULL) {
				lg_info(
				    "queue %s: reply address with a bad or expired token refused",
				    qid(ctx, c->msg));
				set_reply1(ctx, "550", "5.7.1",
				           "This reply address is not valid or has expired.");
				return SMFIS_REJECT;
			}
			g_ptr_array_add(c->msg->rcpts, g_strdup(rcpt));
			g_ptr_array_add(c->msg->replies, g_strdup(rcpt));
			g_ptr_array_add(c->msg->reply_ids, id);
			return SMFIS_CONTINUE;
		}
		g_free(addr);
	}
	o = pipeline_check_rcpt(c->pipeline, rcpt);
	if (o) {
		char *safe = util_sanitize(rcpt, 120);
		sfsistat st = o->verdict == LG_VERDICT_TEMPFAIL ? SMFIS_TEMPFAIL : SMFIS_REJECT;
		lg_info("queue %s: rcpt %s refused %s %s", qid(ctx, c->msg), safe, o->code, o->dsn);
		set_reply(ctx, o->code, o->dsn, o->lines);
		g_free(safe);
		outcome_free(&o);
		return st;
	}
	g_ptr_array_add(c->msg->rcpts, g_strdup(rcpt));
	g_ptr_array_add(c->msg->ours, g_strdup(rcpt));
	return SMFIS_CONTINUE;
}

static sfsistat too_big(SMFICTX *ctx, conn_ctx *c)
{
	const lg_config *cfg = pipeline_config(c->pipeline);
	char *line =
	    g_strdup_printf("The message is larger than the gateway's limit of %" G_GINT64_FORMAT
	                    " bytes; please send smaller photos or fewer of them.",
	                    cfg->message_bytes);
	lg_info("queue %s: over message size limit", qid(ctx, c->msg));
	set_reply1(ctx, "552", "5.3.4", line);
	g_free(line);
	msg_done(c);
	return SMFIS_REJECT;
}

enum { TAKE_OK, TAKE_HEADERS_TOO_BIG, TAKE_TOO_BIG, TAKE_IO };

static int append_code(SMFICTX *ctx, conn_ctx *c, const void *data, gsize len)
{
	GError *e = NULL;
	const lg_config *cfg = pipeline_config(c->pipeline);
	if (body_size(c->msg->body) + (gint64)len > cfg->message_bytes)
		return TAKE_TOO_BIG;
	if (!body_append(c->msg->body, data, len, &e)) {
		lg_warn("queue %s: %s", qid(ctx, c->msg), e->message);
		g_clear_error(&e);
		return TAKE_IO;
	}
	return TAKE_OK;
}

/* The SMTP answer to a failed take (message state freed). */
static sfsistat take_fail(SMFICTX *ctx, conn_ctx *c, int code)
{
	char *msg;
	switch (code) {
	case TAKE_HEADERS_TOO_BIG:
		msg = g_strdup_printf("The message headers are larger than %" G_GINT64_FORMAT
		                      " bytes.",
		                      pipeline_config(c->pipeline)->header_bytes);
		set_reply1(ctx, "552", "5.3.4", msg);
		g_free(msg);
		lg_info("queue %s: over header size limit", qid(ctx, c->msg));
		msg_done(c);
		return SMFIS_REJECT;
	case TAKE_TOO_BIG:
		return too_big(ctx, c);
	default:
		msg_done(c);
		return tempfail(ctx, "The gateway is short of disk space; please try again later.");
	}
}

static sfsistat append(SMFICTX *ctx, conn_ctx *c, const void *data, gsize len)
{
	int code = append_code(ctx, c, data, len);
	return code == TAKE_OK ? SMFIS_CONTINUE : take_fail(ctx, c, code);
}

static int header_take(SMFICTX *ctx, conn_ctx *c, const char *name, const char *value)
{
	char *line = g_strdup_printf("%s: %s\r\n", name, value);
	gsize len = strlen(line);
	int code = TAKE_HEADERS_TOO_BIG;
	c->msg->header_bytes += (gint64)len;
	if (c->msg->header_bytes <= pipeline_config(c->pipeline)->header_bytes)
		code = append_code(ctx, c, line, len);
	g_free(line);
	return code;
}

/* A message with no prisoner or reply recipient passes untouched. */
static gboolean msg_ours(const msg_ctx *m)
{
	return m->ours->len > 0 || m->replies->len > 0;
}

/* A content callback without its message state: where the MTA expects no
 * reply, a later callback that gets one answers it (with the same tempfail). */
static sfsistat no_msg(SMFICTX *ctx, gboolean noreply)
{
	return noreply ? SMFIS_NOREPLY : tempfail(ctx, "Internal error; please try again later.");
}

/*
 * With SMFIP_NR_HDR (Postfix, Sendmail 8.14+) the MTA sends every header
 * without waiting for an answer, which saves a round trip per header; a
 * header that fails a limit is then answered at the end of the headers.
 */
static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	conn_ctx *c = smfi_getpriv(ctx);
	int code;
	if (c == NULL || c->msg == NULL)
		return no_msg(ctx, c && c->nr_hdr);
	if (!msg_ours(c->msg))
		/* nothing for us in this message: don't keep it */
		return c->nr_hdr ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	if (c->nr_hdr) {
		if (c->msg->header_fail == TAKE_OK)
			c->msg->header_fail = header_take(ctx, c, name, value);
		return SMFIS_NOREPLY;
	}
	code = header_take(ctx, c, name, value);
	return code == TAKE_OK ? SMFIS_CONTINUE : take_fail(ctx, c, code);
}

/*
 * With SMFIP_NR_EOH (Postfix, Sendmail 8.14+) the end of the headers needs no
 * round trip either: both MTAs send a message's content to milters only once
 * the client has sent all of it, so answering a header failure at eom costs
 * the client nothing.
 */
static sfsistat cb_eoh(SMFICTX *ctx)
{
	conn_ctx *c = smfi_getpriv(ctx);
	int code;
	if (c == NULL || c->msg == NULL)
		return no_msg(ctx, c && c->nr_eoh);
	if (!msg_ours(c->msg)) {
		if (c->nr_eoh)
			return SMFIS_NOREPLY; /* accepted at eom */
		msg_done(c);
		return SMFIS_ACCEPT;
	}
	code =
	    c->msg->header_fail != TAKE_OK ? c->msg->header_fail : append_code(ctx, c, "\r\n", 2);
	if (!c->nr_eoh)
		return code == TAKE_OK ? SMFIS_CONTINUE : take_fail(ctx, c, code);
	c->msg->body_fail = code;
	return SMFIS_NOREPLY;
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
	conn_ctx *c = smfi_getpriv(ctx);
	if (c == NULL || c->msg == NULL)
		return no_msg(ctx, c && c->nr_body);
	if (!msg_ours(c->msg))
		return c->nr_body ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	if (c->nr_body) {
		/* the MTA sends the whole body without waiting; after a failure the
		 * rest is not kept, and eom gives the answer */
		if (c->msg->body_fail == TAKE_OK)
			c->msg->body_fail = append_code(ctx, c, data, len);
		return SMFIS_NOREPLY;
	}
	if (c->msg->body_fail != TAKE_OK) /* the headers' failure, kept by eoh */
		return take_fail(ctx, c, c->msg->body_fail);
	return append(ctx, c, data, len);
}

static sfsistat cb_eom(SMFICTX *ctx)
{
	conn_ctx *c = smfi_getpriv(ctx);
	msg_ctx *m;
	GMimeStream *stream = NULL;
	lg_outcome *o = NULL;
	lg_envelope env = {0};
	GError *e = NULL;
	sfsistat st = SMFIS_TEMPFAIL;
	const char *q;
	gboolean others; /* recipients that are neither prisoners nor replies */

	if (c == NULL || c->msg == NULL)
		return tempfail(ctx, "Internal error; please try again later.");
	if (!msg_ours(c->msg)) {
		msg_done(c);
		return SMFIS_ACCEPT;
	}
	if (c->msg->body_fail != TAKE_OK)
		return take_fail(ctx, c, c->msg->body_fail);
	m = c->msg;
	others = m->rcpts->len > m->ours->len + m->replies->len;
	q = smfi_getsymval(ctx, "i");
	m->queue_id = g_strdup(q ? q : "-");
	stream = body_stream(m->body, &e);
	if (stream == NULL) {
		lg_warn("queue %s: %s", m->queue_id, e->message);
		g_clear_error(&e);
		st = tempfail(
		    ctx, "The gateway could not read the message back; please try again later.");
		goto out;
	}
	for (guint i = 0; i < m->replies->len; i++) {
		const lg_config *cfg = pipeline_config(c->pipeline);
		const char *id = g_ptr_array_index(m->reply_ids, i);
		g_mime_stream_reset(stream);
		if (!reply_forward(cfg, pipeline_store(c->pipeline), id, stream, &e)) {
			gboolean gone =
			    e->domain == LG_REPLY_ERROR && e->code == LG_REPLY_ERR_EXPIRED;
			lg_warn("queue %s: reply to letter %s not forwarded: %s", m->queue_id, id,
			        e->message);
			g_clear_error(&e);
			if (gone) {
				set_reply1(ctx, "550", "5.7.1",
				           "The writer of this letter can no longer be reached.");
				st = SMFIS_REJECT;
			} else {
				st = tempfail(ctx, "The reply could not be forwarded yet; please "
				                   "try again later.");
			}
			goto out;
		}
		lg_info("queue %s: reply to letter %s forwarded to its writer", m->queue_id, id);
		if (others)
			smfi_delrcpt(ctx, g_ptr_array_index(m->replies, i));
	}
	g_mime_stream_reset(stream);
	if (m->ours->len == 0) {
		st = others ? SMFIS_CONTINUE : SMFIS_DISCARD;
		goto out;
	}
	env.queue_id = m->queue_id;
	env.mail_from = m->mail_from;
	env.rcpts = m->ours;
	env.auth_authen = m->auth_authen;
	env.client_addr = c->client_addr;
	o = pipeline_run(c->pipeline, &env, stream);

	switch (o->verdict) {
	case LG_VERDICT_REJECT:
		set_reply(ctx, o->code, o->dsn, o->lines);
		st = SMFIS_REJECT;
		break;
	case LG_VERDICT_TEMPFAIL:
		set_reply(ctx, o->code ? o->code : "451", o->dsn ? o->dsn : "4.3.0", o->lines);
		st = SMFIS_TEMPFAIL;
		break;
	case LG_VERDICT_ACCEPT:
	case LG_VERDICT_HOLD:
		if (!pipeline_commit(c->pipeline, o, &e)) {
			lg_warn("queue %s: not stored: %s", m->queue_id, e->message);
			g_clear_error(&e);
			st = tempfail(
			    ctx, "The gateway could not store the letter; please try again later.");
			goto out;
		}
		/* the MTA keeps the message for its other recipients only; with
		 * none, it discards it (removing recipients first would cost a
		 * message to the MTA each) */
		for (guint i = 0; others && i < m->ours->len; i++)
			smfi_delrcpt(ctx, g_ptr_array_index(m->ours, i));
		st = others ? SMFIS_CONTINUE : SMFIS_DISCARD;
		if (!o->duplicate) {
			for (guint i = 0; i < o->letters->len; i++) {
				const lg_letter *l = g_ptr_array_index(o->letters, i);
				if (l->verdict == LG_VERDICT_ACCEPT)
					notify_later(pipeline_config(c->pipeline),
					             pipeline_store(c->pipeline), l->id,
					             "accepted");
				else if (l->verdict == LG_VERDICT_HOLD)
					notify_later(pipeline_config(c->pipeline),
					             pipeline_store(c->pipeline), l->id, "held");
			}
		}
		g_mutex_lock(&state_lock);
		if (current_worker)
			worker_kick(current_worker);
		g_mutex_unlock(&state_lock);
		break;
	}
	for (guint i = 0; i < o->letters->len; i++) {
		const lg_letter *l = g_ptr_array_index(o->letters, i);
		GString *rules = g_string_new(NULL);
		for (guint j = 0; j < l->findings->len; j++) {
			const lg_finding *f = g_ptr_array_index(l->findings, j);
			g_string_append_printf(rules, "%s%s", rules->len ? "," : "", f->rule);
		}
		lg_info("queue %s: letter %s prisoner=%s verdict=%s lang=%s score=%.1f photos=%u "
		        "dropped=%u rules=%s%s",
		        m->queue_id, l->id, l->prisoner[0] ? l->prisoner : "-",
		        letter_verdict_name(l->verdict), l->lang, l->score, l->photos->len,
		        l->dropped->len, rules->len ? rules->str : "-",
		        o->duplicate ? " (retry of a stored message)" : "");
		g_string_free(rules, TRUE);
	}
	lg_info("queue %s: message verdict=%s%s%s", m->queue_id, letter_verdict_name(o->verdict),
	        o->code ? " reply=" : "", o->code ? o->code : "");
out:
	if (stream)
		g_object_unref(stream);
	outcome_free(&o);
	msg_done(c);
	return st;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
	msg_done(smfi_getpriv(ctx));
	return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
	conn_ctx *c = smfi_getpriv(ctx);
	if (c == NULL)
		return SMFIS_CONTINUE;
	smfi_setpriv(ctx, NULL);
	msg_done(c);
	if (c->counted) {
		g_mutex_lock(&state_lock);
		sessions_active--;
		g_mutex_unlock(&state_lock);
	}
	pipeline_free(&c->pipeline);
	g_free(c->client_addr);
	g_free(c); /* last: nothing touches c after this */
	return SMFIS_CONTINUE;
}

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                             unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                             unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	*pf0 = f0 & SMFIF_DELRCPT;
	/* we need no HELO, no unknown commands, no DATA callback */
	*pf1 = f1 & (SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NR_HDR | SMFIP_NR_BODY |
	             SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_EOH);
	{
		conn_ctx *c = smfi_getpriv(ctx);
		if (c == NULL) {
			c = g_new0(conn_ctx, 1);
			smfi_setpriv(ctx, c);
		}
		c->nr_hdr = (*pf1 & SMFIP_NR_HDR) != 0;
		c->nr_body = (*pf1 & SMFIP_NR_BODY) != 0;
		c->nr_eoh = (*pf1 & SMFIP_NR_EOH) != 0;
		c->nr_conn = (*pf1 & SMFIP_NR_CONN) != 0;
		c->nr_mail = (*pf1 & SMFIP_NR_MAIL) != 0;
	}
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
    .xxfi_name = "lettergate",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_DELRCPT,
    .xxfi_connect = cb_connect,
    .xxfi_helo = NULL,
    .xxfi_envfrom = cb_envfrom,
    .xxfi_envrcpt = cb_envrcpt,
    .xxfi_header = cb_header,
    .xxfi_eoh = cb_eoh,
    .xxfi_body = cb_body,
    .xxfi_eom = cb_eom,
    .xxfi_abort = cb_abort,
    .xxfi_close = cb_close,
    .xxfi_unknown = NULL,
    .xxfi_data = NULL,
    .xxfi_negotiate = cb_negotiate,
};

gboolean milter_register(void)
{
	return smfi_register(desc) == MI_SUCCESS;
}
