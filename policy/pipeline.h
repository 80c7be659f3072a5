/*
 * policy/pipeline.h - the whole in-session pipeline on one message: parse,
 * letter text, attachments, translation, screening, quotas, one verdict.
 * Used by the milter at end of message and by `lettergatectl check`.
 *
 * Contract:
 *  - pipeline_new() takes references on cfg and rules; store and translator
 *    are borrowed and must outlive it. store may be NULL (then every
 *    recipient in the domain is unknown).
 *  - pipeline_run() never stores anything and never fails: every failure is
 *    a verdict (internal trouble -> tempfail 451 4.3.0). Returns a new
 *    outcome the caller frees with outcome_free().
 *  - pipeline_commit() stores an outcome's letters (accept -> approved +
 *    outbox, hold -> held) in one transaction. FALSE with *err when the
 *    store fails (the caller then tempfails).
 *  - outcome_json(o, NULL) renders the DESIGN.md `check` object, pretty
 *    printed; outcome_json(o, FILE) the same object on one line with a
 *    "file" member first (`check` on several messages: JSON Lines).
 */
#ifndef LG_PIPELINE_H
#define LG_PIPELINE_H

#include <glib.h>
#include <gmime/gmime.h>
#include "conf/config.h"
#include "policy/letter.h"
#include "policy/screen.h"
#include "store/store.h"
#include "translate/translate.h"

typedef struct lg_envelope {
	const char *queue_id;    /* "" when none */
	const char *mail_from;   /* envelope sender, may be "" */
	GPtrArray *rcpts;        /* const char*, as given at RCPT (no <>) */
	const char *auth_authen; /* SMTP AUTH identity or NULL */
	const char *client_addr; /* "127.0.0.1" or NULL */
} lg_envelope;

typedef struct lg_letter {
	char *id;
	char *rcpt;
	char *prisoner;        /* alias, "" when unknown */
	lg_verdict verdict;    /* accept | hold | reject | tempfail */
	char *code;            /* per-letter SMTP code when refused, e.g. "550" */
	char *dsn;             /* e.g. "5.1.1" */
	GPtrArray *reasons_en; /* char* */
	GPtrArray *reasons_ru; /* char* */
	char *lang;
	gboolean translated;
	char *backend;
	int pages;
	int chars;
	char *text_original;
	char *text_ru;
	GPtrArray *findings; /* lg_finding* */
	GPtrArray *photos;   /* lg_photo* */
	GPtrArray *dropped;  /* lg_dropped* */
	double score;
	char *writer_name;
	char *writer_addr;
	char *subject;
	char *message_id;
	char *dedup_key;
	char *text_hash;
	char *org;
	char *batch;
	gboolean notify;     /* writer authenticated (deliver/notify.h) */
	gboolean rcpt_stage; /* refused at RCPT (unknown or inactive prisoner) */
} lg_letter;

typedef struct lg_outcome {
	lg_verdict verdict;
	char *code; /* "550", "451", "552"; NULL when accepted */
	char *dsn;
	GPtrArray *lines;   /* char*, reply text lines */
	GPtrArray *letters; /* lg_letter* */
	char *queue_id;
	gboolean duplicate; /* set by pipeline_commit for a retried message */
	/* an organisation's batch (policy/org.h): every letter is stored, the
	 * rejected ones too, and a report goes back to the submitter */
	char *batch_id;  /* NULL when the message is not a batch */
	char *org;       /* organisation identity, NULL for individuals */
	char *submitter; /* where the batch report goes */
	char *message_id;
} lg_outcome;

typedef struct lg_pipeline lg_pipeline;

lg_pipeline *pipeline_new(lg_config *cfg, screen_rules *rules, lg_store *store, lg_translator *tr);
/* Reference counting: the daemon swaps pipelines on reload while sessions
 * finish with the one they began with. pipeline_free() drops one reference. */
lg_pipeline *pipeline_ref(lg_pipeline *p);
void pipeline_free(lg_pipeline **p);
const lg_config *pipeline_config(const lg_pipeline *p);
/* The store the pipeline uses (borrowed), or NULL. */
lg_store *pipeline_store(const lg_pipeline *p);

/* Recipient check at RCPT time. Returns NULL when the address is outside the
 * domain (pass) or a prisoner who takes letters; otherwise a new outcome with
 * the refusal (550 5.1.1 / 5.1.6, or 451 4.3.0 on store trouble). */
lg_outcome *pipeline_check_rcpt(lg_pipeline *p, const char *rcpt);
/* TRUE when rcpt is an address in the gateway's domain. */
gboolean pipeline_is_gateway_rcpt(const lg_pipeline *p, const char *rcpt);

lg_outcome *pipeline_run(lg_pipeline *p, const lg_envelope *env, GMimeStream *message);
gboolean pipeline_commit(lg_pipeline *p, lg_outcome *o, GError **err);
char *outcome_json(const lg_outcome *o, const char *file);
void outcome_free(lg_outcome **o);

#endif
