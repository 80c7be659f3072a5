/*
 * ctl/lettergatectl.c - administration: directory, check, letters,
 * moderation queue, rules, delivery run.
 *
 * Listing commands take --json and print a JSON array of objects, each with
 * an "id" and a "state" or "status" (DESIGN.md). Exit codes: 0 success,
 * 1 failure, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "conf/config.h"
#include "deliver/notify.h"
#include "deliver/partner.h"
#include "deliver/worker.h"
#include "parser/message.h"
#include "policy/attach.h"
#include "policy/org.h"
#include "policy/pipeline.h"
#include "policy/screen.h"
#include "store/directory.h"
#include "store/retention.h"
#include "store/stats.h"
#include "store/store.h"
#include "translate/translate.h"

static const char *config_path = "/etc/lettergate/lettergate.conf";
static lg_config *cfg;

static void usage(void)
{
	fputs("usage: lettergatectl [-c FILE] COMMAND ...\n"
	      "  prisoner import FILE.csv [--dry-run]\n"
	      "  prisoner add ALIAS --name NAME --birth-year YEAR [--region R] [--facility F] "
	      "[--status S]\n"
	      "  prisoner list [--json]\n"
	      "  prisoner set-status ALIAS STATUS [--facility F]\n"
	      "  prisoner alias EXTRA ALIAS\n"
	      "  prisoner show ALIAS [--json]\n"
	      "  check [--from ADDR] [--auth ID] [--client IP] --rcpt ADDR [--rcpt ADDR]... "
	      "FILE.eml|-...\n"
	      "  letters list [--state S] [--json]\n"
	      "  letters show ID [--json]\n"
	      "  queue list [--json]\n"
	      "  queue show ID [--json]\n"
	      "  queue approve ID [--as NAME]\n"
	      "  queue reject ID --reason TEXT [--as NAME]\n"
	      "  queue edit ID [--file FILE] [--as NAME]\n"
	      "  rules test FILE|- [--lang L]\n"
	      "  rules check [DIR]\n"
	      "  batch list [--json]\n"
	      "  batch report ID [--send]   an organisation's batch report (CSV)\n"
	      "  purge [--days N] [--dry-run]  delete texts and photos past retention\n"
	      "  stats [--days N] [--json]\n"
	      "  deliver [--max N]          deliver what is due now, once\n"
	      "  config                     print the configuration in force\n",
	      stderr);
}

static lg_store *open_store(void)
{
	GError *e = NULL;
	lg_store *st = store_open(cfg->database, &e);
	if (st == NULL) {
		fprintf(stderr, "lettergatectl: %s\n", e->message);
		g_clear_error(&e);
	}
	return st;
}

static const char *opt_value(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc - 1; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return NULL;
}

static gboolean opt_flag(int argc, char **argv, const char *name)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], name))
			return TRUE;
	return FALSE;
}

/* First argument that is not an option or an option's value. */
static const char *positional(int argc, char **argv, int n)
{
	static const char *with_value[] = {
	    "--state",  "--reason",   "--file",   "--as",     "--name", "--birth-year",
	    "--region", "--facility", "--status", "--from",   "--rcpt", "--lang",
	    "--max",    "--days",     "--auth",   "--client", NULL};
	for (int i = 0; i < argc; i++) {
		gboolean takes = FALSE;
		if (argv[i][0] == '-' && argv[i][1] == '-') {
			for (int k = 0; with_value[k]; k++)
				if (!strcmp(argv[i], with_value[k]))
					takes = TRUE;
			if (takes)
				i++;
			continue;
		}
		if (n-- == 0)
			return argv[i];
	}
	return NULL;
}

static char *actor_name(int argc, char **argv)
{
	const char *as = opt_value(argc, argv, "--as");
	const char *sudo = g_getenv("SUDO_USER");
	struct passwd *pw;
	if (as)
		return g_strdup(as);
	if (sudo && *sudo)
		return g_strdup(sudo);
	pw = getpwuid(getuid());
	return g_strdup(pw ? pw->pw_name : "unknown");
}

/* The builder's document as text, pretty printed or on one line. */
static char *json_text(JsonBuilder *b, gboolean pretty)
{
	JsonNode *root = json_builder_get_root(b);
	JsonGenerator *gen = json_generator_new();
	char *s;
	json_generator_set_root(gen, root);
	json_generator_set_pretty(gen, pretty);
	s = json_generator_to_data(gen, NULL);
	g_object_unref(gen);
	json_node_unref(root);
	return s;
}

static void print_json(JsonBuilder *b)
{
	char *s = json_text(b, TRUE);
	puts(s);
	g_free(s);
}

static void add_str(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_string_value(b, v ? v : "");
}

static void add_int(JsonBuilder *b, const char *name, gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

static void add_raw_json(JsonBuilder *b, const char *name, const char *json)
{
	JsonParser *p = json_parser_new();
	json_builder_set_member_name(b, name);
	if (json && json_parser_load_from_data(p, json, -1, NULL))
		json_builder_add_value(b, json_node_copy(json_parser_get_root(p)));
	else
		json_builder_add_null_value(b);
	g_object_unref(p);
}

/* ---- prisoner ---- */

static void add_aliases(JsonBuilder *b, lg_store *st, const char *alias)
{
	GPtrArray *xs = store_alias_list(st, alias, NULL);
	json_builder_set_member_name(b, "aliases");
	json_builder_begin_array(b);
	for (guint i = 0; xs && i < xs->len; i++)
		json_builder_add_string_value(b, g_ptr_array_index(xs, i));
	json_builder_end_array(b);
	if (xs)
		g_ptr_array_unref(xs);
}

/* A new status acts at once on the prisoner's letters (store.h
 * store_prisoner_status_effect); the writers of failed letters are told. */
static void status_effect(lg_store *st, const char *alias, const char *status, const char *actor)
{
	GPtrArray *failed = NULL, *held = NULL;
	GError *e = NULL;
	if (!store_prisoner_status_effect(st, alias, status, actor, &failed, &held, &e)) {
		fprintf(stderr, "lettergatectl: %s: letters not updated: %s\n", alias, e->message);
		g_clear_error(&e);
		return;
	}
	for (guint i = 0; i < failed->len; i++) {
		lg_letter_rec *r = store_letter_get(st, g_ptr_array_index(failed, i), FALSE, NULL);
		notify_letter_state(cfg, st, g_ptr_array_index(failed, i), "failed",
		                    r && r->reason ? r->reason : NULL);
		letter_rec_free(r);
	}
	if (failed->len)
		printf("%s: %u letters not yet delivered failed; their writers are told\n", alias,
		       failed->len);
	if (held->len)
		printf("%s: %u queued letters went back to the moderation queue until the new "
		       "facility is in\n",
		       alias, held->len);
	g_ptr_array_unref(failed);
	g_ptr_array_unref(held);
}

/* Prints what an import does (field-level); returns 0. */
static int import_report(GPtrArray *changes, gboolean dry_run)
{
	guint added = 0, updated = 0, same = 0, aliases = 0;
	for (guint i = 0; i < changes->len; i++) {
		lg_dir_change *c = g_ptr_array_index(changes, i);
		if (!strcmp(c->action, "same")) {
			same++;
			continue;
		}
		if (!strcmp(c->action, "add"))
			added++;
		else
			updated++;
		printf("%s %s%s\n", c->action, c->alias,
		       c->generated ? " (alias from the name)" : "");
		for (guint j = 0; j < c->diffs->len; j++)
			printf("    %s\n", (char *)g_ptr_array_index(c->diffs, j));
		for (guint j = 0; j < c->new_aliases->len; j++)
			printf("    + alias %s\n", (char *)g_ptr_array_index(c->new_aliases, j));
		aliases += c->new_aliases->len;
		if (c->old_status && strcmp(c->old_status, c->new_status) && c->pending > 0) {
			if (!strcmp(c->new_status, "released") ||
			    !strcmp(c->new_status, "deceased"))
				printf("    ! %d held or queued letters will fail (writers told)\n",
				       c->pending);
			else if (!strcmp(c->new_status, "transferred"))
				printf("    ! queued letters go back to moderation until the new "
				       "facility is in\n");
		}
	}
	printf("%s%u to add, %u to update, %u unchanged, %u new aliases\n",
	       dry_run ? "dry run: " : "", added, updated, same, aliases);
	return 0;
}

static int cmd_prisoner(int argc, char **argv)
{
	lg_store *st = NULL;
	GError *e = NULL;
	int rc = 1;
	const char *sub = argc > 0 ? argv[0] : "";

	if (!strcmp(sub, "import")) {
		const char *file = positional(argc - 1, argv + 1, 0);
		char *data = NULL;
		gsize len = 0;
		GPtrArray *ps = NULL, *errs = NULL, *changes = NULL;
		gboolean dry_run = opt_flag(argc, argv, "--dry-run");
		char *actor = actor_name(argc, argv);
		if (file == NULL) {
			g_free(actor);
			usage();
			return 2;
		}
		if (!g_file_get_contents(file, &data, &len, &e)) {
			fprintf(stderr, "lettergatectl: %s\n", e->message);
			g_clear_error(&e);
			g_free(actor);
			return 1;
		}
		directory_parse_csv(data, len, &ps, &errs);
		g_free(data);
		if (errs->len == 0) {
			if ((st = open_store()) == NULL)
				goto import_out;
			if (!directory_plan(st, ps, &changes, errs, &e)) {
				fprintf(stderr, "lettergatectl: %s; nothing imported\n",
				        e->message);
				g_clear_error(&e);
				goto import_out;
			}
		}
		if (errs->len) {
			for (guint i = 0; i < errs->len; i++)
				fprintf(stderr, "%s: %s\n", file,
				        (char *)g_ptr_array_index(errs, i));
			fprintf(stderr, "lettergatectl: nothing imported (%u errors)\n", errs->len);
			goto import_out;
		}
		rc = import_report(changes, dry_run);
		if (dry_run)
			goto import_out;
		if (!store_prisoner_import(st, ps, &e)) {
			fprintf(stderr, "lettergatectl: %s; nothing imported\n", e->message);
			g_clear_error(&e);
			rc = 1;
			goto import_out;
		}
		for (guint i = 0; i < changes->len; i++) {
			lg_dir_change *c = g_ptr_array_index(changes, i);
			if (c->old_status && strcmp(c->old_status, c->new_status))
				status_effect(st, c->alias, c->new_status, actor);
		}
		printf("imported %u prisoners\n", ps->len);
		rc = 0;
	import_out:
		g_free(actor);
		if (changes)
			g_ptr_array_unref(changes);
		if (ps)
			g_ptr_array_unref(ps);
		if (errs)
			g_ptr_array_unref(errs);
		store_close(&st);
		return rc;
	}
	if ((st = open_store()) == NULL)
		return 1;
	if (!strcmp(sub, "add")) {
		lg_prisoner p = {0};
		const char *by = opt_value(argc, argv, "--birth-year");
		p.alias = (char *)positional(argc - 1, argv + 1, 0);
		p.full_name = (char *)opt_value(argc, argv, "--name");
		p.birth_year = by ? atoi(by) : 0;
		p.region = (char *)(opt_value(argc, argv, "--region") ?: "");
		p.facility = (char *)(opt_value(argc, argv, "--facility") ?: "");
		p.status = (char *)(opt_value(argc, argv, "--status") ?: "active");
		if (!p.alias || !p.full_name || !directory_alias_valid(p.alias) ||
		    !prisoner_status_valid(p.status)) {
			fprintf(stderr,
			        "lettergatectl: prisoner add needs a valid ALIAS, --name and a "
			        "valid --status\n");
			rc = 2;
		} else if (!store_prisoner_upsert(st, &p, &e)) {
			fprintf(stderr, "lettergatectl: %s\n", e->message);
		} else {
			printf("prisoner %s saved\n", p.alias);
			rc = 0;
		}
	} else if (!strcmp(sub, "list")) {
		GPtrArray *ps = store_prisoner_list(st, &e);
		if (ps == NULL) {
			fprintf(stderr, "lettergatectl: %s\n", e->message);
		} else if (opt_flag(argc, argv, "--json")) {
			JsonBuilder *b = json_builder_new();
			json_builder_begin_array(b);
			for (guint i = 0; i < ps->len; i++) {
				lg_prisoner *p = g_ptr_array_index(ps, i);
				json_builder_begin_object(b);
				add_str(b, "id", p->alias);
				add_str(b, "alias", p->alias);
				add_str(b, "full_name", p->full_name);
				add_int(b, "birth_year", p->birth_year);
				add_str(b, "region", p->region);
				add_str(b, "facility", p->facility);
				add_str(b, "status", p->status);
				add_aliases(b, st, p->alias);
				json_builder_end_object(b);
			}
			json_builder_end_array(b);
			print_json(b);
			g_object_unref(b);
			rc = 0;
		} else {
			for (guint i = 0; i < ps->len; i++) {
				lg_prisoner *p = g_ptr_array_index(ps, i);
				printf("%-24s %-11s %d  %s; %s\n", p->alias, p->status,
				       p->birth_year, p->full_name, p->facility);
			}
			rc = 0;
		}
		if (ps)
			g_ptr_array_unref(ps);
	} else if (!strcmp(sub, "set-status")) {
		const char *alias = positional(argc - 1, argv + 1, 0);
		const char *status = positional(argc - 1, argv + 1, 1);
		if (!alias || !prisoner_status_valid(status)) {
			fprintf(stderr, "lettergatectl: prisoner set-status ALIAS "
			                "active|released|transferred|deceased [--facility F]\n");
			rc = 2;
		} else {
			lg_prisoner *old = store_prisoner_get(st, alias, &e);
			const char *facility = opt_value(argc, argv, "--facility");
			if (old == NULL) {
				fprintf(stderr, "lettergatectl: %s\n",
				        e ? e->message : "no prisoner with that alias");
			} else if (!store_prisoner_set_status(st, old->alias, status, facility,
			                                      &e)) {
				fprintf(stderr, "lettergatectl: %s\n", e->message);
			} else {
				char *actor = actor_name(argc, argv);
				printf("prisoner %s is now %s%s%s\n", old->alias, status,
				       facility ? " at " : "", facility ? facility : "");
				if (strcmp(old->status, status))
					status_effect(st, old->alias, status, actor);
				g_free(actor);
				rc = 0;
			}
			prisoner_free(old);
		}
	} else if (!strcmp(sub, "show")) {
		const char *alias = positional(argc - 1, argv + 1, 0);
		lg_prisoner *p = alias ? store_prisoner_get(st, alias, &e) : NULL;
		if (p == NULL) {
			fprintf(stderr, "lettergatectl: %s\n", e ? e->message : "no such prisoner");
		} else if (opt_flag(argc, argv, "--json")) {
			JsonBuilder *b = json_builder_new();
			json_builder_begin_object(b);
			add_str(b, "id", p->alias);
			add_str(b, "full_name", p->full_name);
			add_int(b, "birth_year", p->birth_year);
			add_str(b, "region", p->region);
			add_str(b, "facility", p->facility);
			add_str(b, "status", p->status);
			add_int(b, "pending", store_prisoner_pending(st, p->alias, NULL));
			add_aliases(b, st, p->alias);
			json_builder_end_object(b);
			print_json(b);
			g_object_unref(b);
			rc = 0;
		} else {
			GPtrArray *xs = store_alias_list(st, p->alias, NULL);
			printf("alias      %s\nname       %s (%d)\nstatus     %s\nfacility   %s\n"
			       "region     %s\nheld/queued %d\naliases   ",
			       p->alias, p->full_name, p->birth_year, p->status, p->facility,
			       p->region, store_prisoner_pending(st, p->alias, NULL));
			for (guint i = 0; xs && i < xs->len; i++)
				printf(" %s@%s", (char *)g_ptr_array_index(xs, i), cfg->domain);
			printf("\n");
			if (xs)
				g_ptr_array_unref(xs);
			rc = 0;
		}
		prisoner_free(p);
	} else if (!strcmp(sub, "alias")) {
		const char *extra = positional(argc - 1, argv + 1, 0);
		const char *alias = positional(argc - 1, argv + 1, 1);
		if (!extra || !alias) {
			rc = 2;
			usage();
		} else if (!store_alias_add(st, extra, alias, &e)) {
			fprintf(stderr, "lettergatectl: %s\n", e->message);
		} else {
			printf("%s now reaches %s\n", extra, alias);
			rc = 0;
		}
	} else {
		usage();
		rc = 2;
	}
	g_clear_error(&e);
	store_close(&st);
	return rc;
}

/* ---- check ---- */

/* Where Postfix and Sendmail end a message's header: at the first line that
 * is neither a header field ("name:"), a continuation (it begins with a space
 * or a tab) nor empty. The milter is handed the header and the body apart, so
 * it sees the body from that line on; here the empty line is put before it,
 * so that check reads a file as the gateway would read the same message (the
 * corpus's mailcore2/gh-965-utf8.eml ends its header with a line holding one
 * space and no empty line, and GMime took the body for header). A file whose
 * first line is no header field is left to the parser. */
static void check_split_header(GByteArray *m)
{
	const guint8 *d = m->data;
	gsize at = 0, n = m->len;
	for (gboolean first = TRUE; at < n; first = FALSE) {
		gsize end = at, len, i;
		while (end < n && d[end] != '\n')
			end++;
		len = end - at;
		if (len > 0 && d[end - 1] == '\r')
			len--;
		if (len == 0)
			return; /* the empty line is there */
		if (d[at] != ' ' && d[at] != '\t') {
			for (i = at; i < at + len && d[i] > ' ' && d[i] < 0x7F && d[i] != ':'; i++)
				;
			gboolean name = i > at;
			while (i < at + len && (d[i] == ' ' || d[i] == '\t'))
				i++;
			if (!name || i == at + len || d[i] != ':') {
				if (first)
					return;
				/* the line ending of the line before */
				const char *eol = at >= 2 && d[at - 2] == '\r' ? "\r\n" : "\n";
				gsize k = strlen(eol);
				g_byte_array_set_size(m, (guint)(n + k));
				memmove(m->data + at + k, m->data + at, n - at);
				memcpy(m->data + at, eol, k);
				return;
			}
		} else if (first) {
			return;
		}
		at = end + 1;
	}
}

/* The message in FILE ("-": standard input), at most cfg->message_bytes, with
 * its header ended where an MTA ends it (check_split_header); NULL with a
 * line on stderr when it cannot be read; *over set when it is larger than
 * that (its content is then not used). */
static GMimeStream *check_open(const char *file, gboolean *over)
{
	gboolean in = !strcmp(file, "-");
	FILE *f = in ? stdin : fopen(file, "rb");
	GByteArray *all;
	char buf[65536];
	size_t n;
	*over = FALSE;
	if (f == NULL) {
		fprintf(stderr, "lettergatectl: %s: %s\n", file, g_strerror(errno));
		return NULL;
	}
	all = g_byte_array_new();
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if ((gint64)all->len + (gint64)n > cfg->message_bytes) {
			*over = TRUE;
			break;
		}
		g_byte_array_append(all, (guint8 *)buf, (guint)n);
	}
	if (ferror(f)) {
		fprintf(stderr, "lettergatectl: %s: %s\n", file, g_strerror(errno));
		if (!in)
			fclose(f);
		g_byte_array_unref(all);
		return NULL;
	}
	if (!in)
		fclose(f);
	if (!*over)
		check_split_header(all);
	return g_mime_stream_mem_new_with_byte_array(all);
}

/* What the gateway answers a message over the size limit (it never reads it). */
static char *check_over_json(const char *file)
{
	JsonBuilder *b = json_builder_new();
	char *line = g_strdup_printf(
	    "The message is larger than the gateway's limit of %" G_GINT64_FORMAT " bytes.",
	    cfg->message_bytes);
	char *out;
	json_builder_begin_object(b);
	if (file)
		add_str(b, "file", file);
	add_str(b, "verdict", "reject");
	json_builder_set_member_name(b, "smtp");
	json_builder_begin_object(b);
	add_str(b, "code", "552");
	add_str(b, "dsn", "5.3.4");
	json_builder_set_member_name(b, "text");
	json_builder_begin_array(b);
	json_builder_add_string_value(b, line);
	json_builder_end_array(b);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "letters");
	json_builder_begin_array(b);
	json_builder_end_array(b);
	json_builder_end_object(b);
	out = json_text(b, file == NULL);
	g_object_unref(b);
	g_free(line);
	return out;
}

/*
 * check [--from A] --rcpt A... FILE...: the in-session pipeline on each
 * message, nothing stored. One file: the DESIGN.md object, pretty printed.
 * Several: one line per message (JSON Lines), each object with a "file"
 * member first, written as soon as that message is done. Exit 0 when every
 * message got a verdict, 1 when one could not be read (the others still
 * are checked), 2 on usage.
 */
static int cmd_check(int argc, char **argv)
{
	GPtrArray *rcpts = g_ptr_array_new();
	GPtrArray *files = g_ptr_array_new();
	const char *from = opt_value(argc, argv, "--from");
	lg_store *st = NULL;
	screen_rules *rules = NULL;
	lg_translator *tr = NULL;
	lg_pipeline *p = NULL;
	GError *e = NULL;
	lg_envelope env = {0};
	gboolean many;
	int rc = 1;

	for (int i = 0; i < argc - 1; i++)
		if (!strcmp(argv[i], "--rcpt"))
			g_ptr_array_add(rcpts, argv[i + 1]);
	for (const char *f; (f = positional(argc, argv, (int)files->len)) != NULL;)
		g_ptr_array_add(files, (char *)f);
	if (files->len == 0 || rcpts->len == 0) {
		usage();
		rc = 2;
		goto out;
	}
	many = files->len > 1;
	message_init();
	if (access(cfg->database, R_OK) == 0)
		st = open_store();
	rules = screen_load(cfg->rules_dir, &e);
	if (rules == NULL) {
		fprintf(stderr, "lettergatectl: %s\n", e->message);
		goto out;
	}
	tr = translate_new(cfg, NULL, &e); /* no cache: check writes nothing */
	if (tr == NULL) {
		fprintf(stderr, "lettergatectl: %s\n", e->message);
		goto out;
	}
	attach_init(cfg);
	p = pipeline_new(cfg, rules, st, tr);
	env.queue_id = "check";
	env.mail_from = from ? from : "";
	env.rcpts = rcpts;
	env.auth_authen = opt_value(argc, argv, "--auth");
	env.client_addr = opt_value(argc, argv, "--client");
	rc = 0;
	for (guint i = 0; i < files->len; i++) {
		const char *file = g_ptr_array_index(files, i);
		gboolean over;
		GMimeStream *stream = check_open(file, &over);
		char *json;
		if (stream == NULL) {
			rc = 1;
			continue;
		}
		if (over) {
			json = check_over_json(many ? file : NULL);
		} else {
			lg_outcome *o = pipeline_run(p, &env, stream);
			json = outcome_json(o, many ? file : NULL);
			outcome_free(&o);
		}
		puts(json);
		fflush(stdout);
		g_free(json);
		g_object_unref(stream);
	}
out:
	g_clear_error(&e);
	pipeline_free(&p);
	if (tr)
		translate_free(&tr);
	if (rules)
		screen_unref(&rules);
	store_close(&st);
	g_ptr_array_unref(files);
	g_ptr_array_unref(rcpts);
	return rc;
}

/* ---- letters and queue ---- */

static void letter_json(JsonBuilder *b, lg_store *st, const lg_letter_rec *r, gboolean full)
{
	json_builder_begin_object(b);
	add_str(b, "id", r->id);
	add_str(b, "state", r->state);
	add_str(b, "prisoner", r->prisoner);
	add_str(b, "lang", r->lang);
	add_str(b, "categories", r->categories);
	json_builder_set_member_name(b, "score");
	json_builder_add_double_value(b, r->score);
	add_int(b, "created", r->created);
	add_int(b, "age_seconds", util_now() - r->created);
	add_int(b, "pages", r->pages);
	if (r->queue_id)
		add_str(b, "queue_id", r->queue_id);
	if (r->org && *r->org)
		add_str(b, "org", r->org);
	if (r->batch && *r->batch)
		add_str(b, "batch", r->batch);
	if (r->purged)
		add_int(b, "purged", r->purged);
	if (full) {
		char *hist = store_letter_history_json(st, r->id, NULL);
		add_str(b, "writer_name", r->writer_name);
		add_str(b, "writer_addr", r->writer_addr);
		add_str(b, "subject", r->subject);
		json_builder_set_member_name(b, "translated");
		json_builder_add_boolean_value(b, r->translated);
		add_str(b, "backend", r->backend);
		add_str(b, "text_original", r->text_original);
		add_str(b, "text_ru", r->text_ru);
		add_raw_json(b, "findings", r->findings_json);
		add_raw_json(b, "dropped", r->dropped_json);
		json_builder_set_member_name(b, "photos");
		json_builder_begin_array(b);
		for (guint i = 0; r->photos && i < r->photos->len; i++) {
			const lg_photo *ph = g_ptr_array_index(r->photos, i);
			json_builder_begin_object(b);
			add_str(b, "name", ph->name);
			add_str(b, "type", ph->type);
			add_int(b, "bytes", ph->data ? (gint64)g_bytes_get_size(ph->data) : 0);
			add_str(b, "sha256", ph->sha256);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		if (r->reason)
			add_str(b, "reason", r->reason);
		add_raw_json(b, "history", hist);
		g_free(hist);
	}
	json_builder_end_object(b);
}

/* Each finding with its span in the text it was found in, for moderators. */
static void print_findings(const lg_letter_rec *r)
{
	JsonParser *jp = json_parser_new();
	JsonArray *a = NULL;
	if (r->findings_json && json_parser_load_from_data(jp, r->findings_json, -1, NULL) &&
	    JSON_NODE_HOLDS_ARRAY(json_parser_get_root(jp)))
		a = json_node_get_array(json_parser_get_root(jp));
	if (a == NULL || json_array_get_length(a) == 0)
		printf("findings   none\n");
	for (guint i = 0; a && i < json_array_get_length(a); i++) {
		JsonObject *f = json_array_get_object_element(a, i);
		const char *where = json_object_get_string_member_with_default(f, "where", "");
		const char *text = !strcmp(where, "ru") ? r->text_ru : r->text_original;
		gint64 start = json_object_get_int_member_with_default(f, "start", -1);
		gint64 end = json_object_get_int_member_with_default(f, "end", -1);
		printf("finding    %s/%s %s score %.1f",
		       json_object_get_string_member_with_default(f, "category", ""),
		       json_object_get_string_member_with_default(f, "rule", ""),
		       json_object_get_string_member_with_default(f, "action", ""),
		       json_object_get_double_member_with_default(f, "score", 0));
		if (start >= 0 && end > start) {
			printf(" in %s [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ")", where, start,
			       end);
			if (text && (gint64)strlen(text) >= end) {
				char *span = util_utf8_repair(text + start, end - start);
				printf(": \u00ab%s\u00bb", span);
				g_free(span);
			}
		}
		printf("\n           %s\n",
		       json_object_get_string_member_with_default(f, "reason", ""));
	}
	g_object_unref(jp);
}

static void print_history(const char *hist)
{
	JsonParser *jp = json_parser_new();
	if (hist && json_parser_load_from_data(jp, hist, -1, NULL) &&
	    JSON_NODE_HOLDS_ARRAY(json_parser_get_root(jp))) {
		JsonArray *a = json_node_get_array(json_parser_get_root(jp));
		for (guint i = 0; i < json_array_get_length(a); i++) {
			JsonObject *h = json_array_get_object_element(a, i);
			GDateTime *dt = g_date_time_new_from_unix_utc(
			    json_object_get_int_member_with_default(h, "at", 0));
			char *when =
			    dt ? g_date_time_format(dt, "%Y-%m-%d %H:%M:%S UTC") : g_strdup("?");
			printf("history    %s  %-9s by %s%s%s\n", when,
			       json_object_get_string_member_with_default(h, "state", ""),
			       json_object_get_string_member_with_default(h, "actor", ""),
			       json_object_has_member(h, "reason") ? ": " : "",
			       json_object_get_string_member_with_default(h, "reason", ""));
			g_free(when);
			if (dt)
				g_date_time_unref(dt);
		}
	}
	g_object_unref(jp);
}

static void letter_print(lg_store *st, const lg_letter_rec *r)
{
	char *hist = store_letter_history_json(st, r->id, NULL);
	printf("letter     %s\nstate      %s\nprisoner   %s\nwriter     %s\nlanguage   %s%s%s\n"
	       "score      %.1f (%s)\npages      %d\n",
	       r->id, r->state, r->prisoner,
	       r->writer_name && *r->writer_name ? r->writer_name : "-", r->lang,
	       r->translated ? ", translated by " : "", r->translated ? r->backend : "", r->score,
	       r->categories && *r->categories ? r->categories : "no findings", r->pages);
	if (r->reason)
		printf("reason     %s\n", r->reason);
	print_findings(r);
	printf("dropped    %s\n", r->dropped_json ? r->dropped_json : "[]");
	for (guint i = 0; r->photos && i < r->photos->len; i++) {
		const lg_photo *ph = g_ptr_array_index(r->photos, i);
		printf("photo      %s %s %dx%d %" G_GSIZE_FORMAT " bytes sha256 %.16s\n", ph->name,
		       ph->type, ph->width, ph->height, ph->data ? g_bytes_get_size(ph->data) : 0,
		       ph->sha256);
	}
	print_history(hist);
	if (r->purged)
		printf("purged     texts and photos deleted by retention\n");
	printf("\n--- original ---\n%s\n\n--- Russian ---\n%s\n",
	       r->text_original ? r->text_original : "", r->text_ru ? r->text_ru : "");
	g_free(hist);
}

static int list_letters(lg_store *st, const char *state, gboolean json)
{
	GError *e = NULL;
	GPtrArray *ls = store_letter_list(st, state, 0, &e);
	if (ls == NULL) {
		fprintf(stderr, "lettergatectl: %s\n", e->message);
		g_clear_error(&e);
		return 1;
	}
	if (json) {
		JsonBuilder *b = json_builder_new();
		json_builder_begin_array(b);
		for (guint i = 0; i < ls->len; i++)
			letter_json(b, st, g_ptr_array_index(ls, i), FALSE);
		json_builder_end_array(b);
		print_json(b);
		g_object_unref(b);
	} else {
		for (guint i = 0; i < ls->len; i++) {
			lg_letter_rec *r = g_ptr_array_index(ls, i);
			gint64 age = util_now() - r->created;
			printf("%s  %-9s %-20s %-7s %5.1f  %4" G_GINT64_FORMAT "h  %s\n", r->id,
			       r->state, r->prisoner, r->lang, r->score, age / 3600,
			       r->categories && *r->categories ? r->categories : "-");
		}
	}
	g_ptr_array_unref(ls);
	return 0;
}

static int show_letter(lg_store *st, const char *id, gboolean json)
{
	GError *e = NULL;
	lg_letter_rec *r = id ? store_letter_get(st, id, TRUE, &e) : NULL;
	if (r == NULL) {
		fprintf(stderr, "lettergatectl: %s\n", e ? e->message : "letter ID missing");
		g_clear_error(&e);
		return 1;
	}
	if (json) {
		JsonBuilder *b = json_builder_new();
		letter_json(b, st, r, TRUE);
		print_json(b);
		g_object_unref(b);
	} else {
		letter_print(st, r);
	}
	letter_rec_free(r);
	return 0;
}

static int cmd_letters(int argc, char **argv)
{
	lg_store *st = open_store();
	int rc = 2;
	const char *sub = argc > 0 ? argv[0] : "";
	if (st == NULL)
		return 1;
	if (!strcmp(sub, "list"))
		rc = list_letters(st, opt_value(argc, argv, "--state"),
		                  opt_flag(argc, argv, "--json"));
	else if (!strcmp(sub, "show"))
		rc = show_letter(st, positional(argc - 1, argv + 1, 0),
		                 opt_flag(argc, argv, "--json"));
	else
		usage();
	store_close(&st);
	return rc;
}

static char *edit_text(const char *initial, GError **err)
{
	char *path = NULL, *out = NULL, *cmd;
	const char *editor = g_getenv("VISUAL");
	int fd, status;
	if (!editor || !*editor)
		editor = g_getenv("EDITOR");
	if (!editor || !*editor)
		editor = "vi";
	fd = g_file_open_tmp("lettergate-XXXXXX.txt", &path, err);
	if (fd < 0)
		return NULL;
	close(fd);
	if (!g_file_set_contents(path, initial ? initial : "", -1, err))
		goto out;
	{
		char *q = g_shell_quote(path);
		cmd = g_strdup_printf("%s %s", editor, q);
		g_free(q);
	}
	status = system(cmd);
	g_free(cmd);
	if (status != 0) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED, "editor exited with status %d",
		            status);
		goto out;
	}
	g_file_get_contents(path, &out, NULL, err);
out:
	unlink(path);
	g_free(path);
	return out;
}

static int cmd_queue(int argc, char **argv)
{
	lg_store *st = open_store();
	const char *sub = argc > 0 ? argv[0] : "";
	const char *id = positional(argc - 1, argv + 1, 0);
	GError *e = NULL;
	char *actor = actor_name(argc, argv);
	lg_letter_rec *r = NULL;
	int rc = 1;
	if (st == NULL) {
		g_free(actor);
		return 1;
	}
	if (!strcmp(sub, "list")) {
		rc = list_letters(st, "held", opt_flag(argc, argv, "--json"));
		goto out;
	}
	if (!strcmp(sub, "show")) {
		rc = show_letter(st, id, opt_flag(argc, argv, "--json"));
		goto out;
	}
	if (strcmp(sub, "approve") && strcmp(sub, "reject") && strcmp(sub, "edit")) {
		usage();
		rc = 2;
		goto out;
	}
	if (id == NULL) {
		usage();
		rc = 2;
		goto out;
	}
	r = store_letter_get(st, id, FALSE, &e);
	if (r == NULL)
		goto fail;
	if (!strcmp(sub, "approve")) {
		if (strcmp(r->state, "held")) {
			fprintf(stderr, "lettergatectl: letter %s is %s, not held\n", id, r->state);
			goto out;
		}
		if (r->text_ru == NULL || r->text_ru[0] == '\0') {
			fprintf(stderr,
			        "lettergatectl: letter %s has no Russian text yet; "
			        "put one in with `queue edit %s` first\n",
			        id, id);
			goto out;
		}
		if (!store_letter_set_state(st, id, "approved", actor, NULL, &e))
			goto fail;
		notify_letter_state(cfg, st, id, "approved", NULL);
		printf("letter %s approved by %s and queued for delivery\n", id, actor);
	} else if (!strcmp(sub, "reject")) {
		const char *reason = opt_value(argc, argv, "--reason");
		if (reason == NULL || *reason == '\0') {
			fprintf(stderr,
			        "lettergatectl: queue reject needs --reason TEXT (the writer "
			        "reads it)\n");
			rc = 2;
			goto out;
		}
		if (strcmp(r->state, "held")) {
			fprintf(stderr, "lettergatectl: letter %s is %s, not held\n", id, r->state);
			goto out;
		}
		if (!store_letter_set_state(st, id, "rejected", actor, reason, &e))
			goto fail;
		notify_letter_state(cfg, st, id, "rejected", reason);
		printf("letter %s rejected by %s; the reason goes to the writer\n", id, actor);
	} else {
		const char *file = opt_value(argc, argv, "--file");
		char *text = NULL;
		if (strcmp(r->state, "held")) {
			fprintf(stderr,
			        "lettergatectl: letter %s is %s; only held letters can be edited\n",
			        id, r->state);
			goto out;
		}
		if (file && !strcmp(file, "-")) {
			GString *g = g_string_new(NULL);
			char buf[4096];
			size_t n;
			while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
				g_string_append_len(g, buf, (gssize)n);
			text = g_string_free(g, FALSE);
		} else if (file) {
			if (!g_file_get_contents(file, &text, NULL, &e))
				goto fail;
		} else {
			GString *init = g_string_new(NULL);
			g_string_append(init, r->text_ru && *r->text_ru ? r->text_ru : "");
			if (!(r->text_ru && *r->text_ru)) {
				g_string_append(init,
				                "\n\n# Write the Russian text above. Lines "
				                "starting with # are removed.\n# Original:\n");
				char **orig =
				    g_strsplit(r->text_original ? r->text_original : "", "\n", -1);
				for (char **k = orig; *k; k++)
					g_string_append_printf(init, "# %s\n", *k);
				g_strfreev(orig);
			}
			text = edit_text(init->str, &e);
			g_string_free(init, TRUE);
			if (text == NULL)
				goto fail;
			{
				GString *clean = g_string_new(NULL);
				char **lines = g_strsplit(text, "\n", -1);
				for (char **l = lines; *l; l++)
					if ((*l)[0] != '#')
						g_string_append_printf(clean, "%s\n", *l);
				g_strfreev(lines);
				g_free(text);
				text = g_string_free(clean, FALSE);
			}
		}
		{
			char *fixed = util_utf8_repair(text, -1);
			g_free(text);
			text = g_strstrip(fixed);
		}
		if (*text == '\0') {
			fprintf(stderr, "lettergatectl: empty text; nothing changed\n");
			g_free(text);
			goto out;
		}
		if (!store_letter_set_text_ru(st, id, text, actor, &e)) {
			g_free(text);
			goto fail;
		}
		g_free(text);
		printf("letter %s: Russian text replaced; approve it with `queue approve %s`\n", id,
		       id);
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "lettergatectl: %s\n", e ? e->message : "failed");
out:
	g_clear_error(&e);
	letter_rec_free(r);
	g_free(actor);
	store_close(&st);
	return rc;
}

/* ---- organisations' batches ---- */

typedef struct {
	GPtrArray *rows; /* char* triples: id, org, submitter; then counts as strings */
} batch_list_q;

static gboolean batch_list_db(struct sqlite3 *db, gpointer data, GError **err);

static int cmd_batch(int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "";
	lg_store *st = open_store();
	GError *e = NULL;
	int rc = 1;
	if (st == NULL)
		return 1;
	if (!strcmp(sub, "report")) {
		const char *id = positional(argc - 1, argv + 1, 0);
		char *csv;
		if (id == NULL) {
			usage();
			rc = 2;
			goto out;
		}
		if (opt_flag(argc, argv, "--send")) {
			if (!org_report_send(cfg, st, id, &e))
				goto fail;
			printf("batch %s: report sent\n", id);
			rc = 0;
			goto out;
		}
		csv = org_report_csv(st, id, &e);
		if (csv == NULL)
			goto fail;
		fputs(csv, stdout);
		g_free(csv);
		rc = 0;
	} else if (!strcmp(sub, "list")) {
		batch_list_q q = {g_ptr_array_new_with_free_func(g_free)};
		gboolean json = opt_flag(argc, argv, "--json");
		JsonBuilder *b = json ? json_builder_new() : NULL;
		if (!store_with_db(st, batch_list_db, &q, &e)) {
			g_ptr_array_unref(q.rows);
			if (b)
				g_object_unref(b);
			goto fail;
		}
		if (b)
			json_builder_begin_array(b);
		for (guint i = 0; i + 5 < q.rows->len; i += 6) {
			char **f = (char **)q.rows->pdata + i;
			if (b) {
				json_builder_begin_object(b);
				add_str(b, "id", f[0]);
				add_str(b, "org", f[1]);
				add_str(b, "submitter", f[2]);
				add_int(b, "letters", g_ascii_strtoll(f[3], NULL, 10));
				add_int(b, "created", g_ascii_strtoll(f[4], NULL, 10));
				add_str(b, "state",
				        g_ascii_strtoll(f[5], NULL, 10) ? "reported"
				                                        : "unreported");
				json_builder_end_object(b);
			} else {
				printf("%s  %-28s %4s letters  %s  %s\n", f[0], f[1], f[3], f[2],
				       g_ascii_strtoll(f[5], NULL, 10) ? "reported"
				                                       : "not reported");
			}
		}
		if (b) {
			json_builder_end_array(b);
			print_json(b);
			g_object_unref(b);
		}
		g_ptr_array_unref(q.rows);
		rc = 0;
	} else {
		usage();
		rc = 2;
	}
	goto out;
fail:
	fprintf(stderr, "lettergatectl: %s\n", e ? e->message : "failed");
out:
	g_clear_error(&e);
	store_close(&st);
	return rc;
}

/* ---- retention and statistics ---- */

static int cmd_purge(int argc, char **argv)
{
	const char *days_s = opt_value(argc, argv, "--days");
	int days = days_s ? atoi(days_s) : cfg->retention_days;
	gboolean dry = opt_flag(argc, argv, "--dry-run");
	lg_store *st;
	GError *e = NULL;
	int letters = 0, photos = 0;
	if (days_s && days <= 0) {
		fprintf(stderr, "lettergatectl: --days must be at least 1\n");
		return 2;
	}
	if (days <= 0) {
		printf("[retention] days = 0: letters are kept; nothing purged\n");
		return 0;
	}
	if ((st = open_store()) == NULL)
		return 1;
	if (!store_purge(st, days, util_now(), dry, &letters, &photos, &e)) {
		fprintf(stderr, "lettergatectl: %s\n", e->message);
		g_clear_error(&e);
		store_close(&st);
		return 1;
	}
	printf("%s%d letters: texts deleted, %d photos deleted (older than %d days after their "
	       "final state; metadata kept)\n",
	       dry ? "dry run: would purge " : "purged ", letters, photos, days);
	store_close(&st);
	return 0;
}

static void stats_print_text(const char *json)
{
	JsonParser *jp = json_parser_new();
	JsonObject *o;
	JsonArray *a;
	JsonObject *m;
	GList *keys;
	if (!json_parser_load_from_data(jp, json, -1, NULL)) {
		g_object_unref(jp);
		return;
	}
	o = json_node_get_object(json_parser_get_root(jp));
	printf("since %s (%" G_GINT64_FORMAT " days)\n\nletters per day:\n",
	       json_object_get_string_member(o, "since"), json_object_get_int_member(o, "days"));
	a = json_object_get_array_member(o, "per_day");
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *d = json_array_get_object_element(a, i);
		JsonObject *sts = json_object_get_object_member(d, "states");
		printf("  %s %5" G_GINT64_FORMAT " ", json_object_get_string_member(d, "day"),
		       json_object_get_int_member(d, "total"));
		keys = json_object_get_members(sts);
		for (GList *k = keys; k; k = k->next)
			printf(" %s=%" G_GINT64_FORMAT, (char *)k->data,
			       json_object_get_int_member(sts, k->data));
		g_list_free(keys);
		printf("\n");
	}
	printf("\nper prisoner (fewest letters first):\n");
	a = json_object_get_array_member(o, "per_prisoner");
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *p = json_array_get_object_element(a, i);
		printf("  %-24s %-11s letters %4" G_GINT64_FORMAT "  delivered %4" G_GINT64_FORMAT
		       "  held %3" G_GINT64_FORMAT "  rejected %3" G_GINT64_FORMAT "\n",
		       json_object_get_string_member(p, "id"),
		       json_object_get_string_member(p, "status"),
		       json_object_get_int_member(p, "letters"),
		       json_object_get_int_member(p, "delivered"),
		       json_object_get_int_member(p, "held"),
		       json_object_get_int_member(p, "rejected"));
	}
	printf("\nholds by category:\n");
	m = json_object_get_object_member(o, "holds_by_category");
	keys = json_object_get_members(m);
	for (GList *k = keys; k; k = k->next)
		printf("  %-12s %" G_GINT64_FORMAT "\n", (char *)k->data,
		       json_object_get_int_member(m, k->data));
	g_list_free(keys);
	printf("\npartner latency (seconds):\n");
	m = json_object_get_object_member(o, "partner_latency");
	keys = json_object_get_members(m);
	for (GList *k = keys; k; k = k->next) {
		JsonObject *l = json_object_get_object_member(m, k->data);
		printf("  %-9s n=%" G_GINT64_FORMAT, (char *)k->data,
		       json_object_get_int_member(l, "count"));
		if (json_object_has_member(l, "median"))
			printf(" mean=%.0f median=%" G_GINT64_FORMAT " p95=%" G_GINT64_FORMAT
			       " max=%" G_GINT64_FORMAT,
			       json_object_get_double_member(l, "mean"),
			       json_object_get_int_member(l, "median"),
			       json_object_get_int_member(l, "p95"),
			       json_object_get_int_member(l, "max"));
		printf("\n");
	}
	g_list_free(keys);
	a = json_object_get_array_member(o, "organizations");
	if (json_array_get_length(a))
		printf("\norganisations:\n");
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonObject *g = json_array_get_object_element(a, i);
		printf("  %-32s batches %4" G_GINT64_FORMAT "  letters %5" G_GINT64_FORMAT "\n",
		       json_object_get_string_member(g, "id"),
		       json_object_get_int_member(g, "batches"),
		       json_object_get_int_member(g, "letters"));
	}
	g_object_unref(jp);
}

static int cmd_stats(int argc, char **argv)
{
	const char *days_s = opt_value(argc, argv, "--days");
	int days = days_s ? atoi(days_s) : 30;
	lg_store *st;
	GError *e = NULL;
	char *json;
	if (days <= 0) {
		fprintf(stderr, "lettergatectl: --days must be at least 1\n");
		return 2;
	}
	if ((st = open_store()) == NULL)
		return 1;
	json = store_stats_json(st, days, util_now(), &e);
	store_close(&st);
	if (json == NULL) {
		fprintf(stderr, "lettergatectl: %s\n", e->message);
		g_clear_error(&e);
		return 1;
	}
	if (opt_flag(argc, argv, "--json"))
		puts(json);
	else
		stats_print_text(json);
	g_free(json);
	return 0;
}

static int cmd_deliver(int argc, char **argv)
{
	lg_store *st = open_store();
	lg_partner *p;
	GError *e = NULL;
	const char *max = opt_value(argc, argv, "--max");
	int n, total = 0, limit = max ? atoi(max) : 0;
	if (st == NULL)
		return 1;
	p = partner_new(cfg, &e);
	if (p == NULL) {
		fprintf(stderr, "lettergatectl: %s\n", e->message);
		g_clear_error(&e);
		store_close(&st);
		return 1;
	}
	while ((n = worker_run_once(cfg, st, p, 64)) > 0) {
		total += n;
		if (limit > 0 && total >= limit)
			break;
	}
	printf("%d letters handed to the partner\n", total);
	partner_free(&p);
	store_close(&st);
	return n < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	GError *e = NULL;
	int i = 1, rc;
	const char *cmd;
	if (argc > 2 && !strcmp(argv[1], "-c")) {
		config_path = argv[2];
		i = 3;
	}
	if (i >= argc || !strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
		usage();
		return i >= argc ? 2 : 0;
	}
	log_init("lettergatectl", TRUE, g_getenv("LG_DEBUG") != NULL);
	if (g_getenv("LG_DEBUG") == NULL)
		log_set_max_priority(4); /* warnings and worse: the output is the command's */
	cfg = config_load(config_path, &e);
	if (cfg == NULL) {
		fprintf(stderr, "lettergatectl: %s\n", e->message);
		g_clear_error(&e);
		return 1;
	}
	cmd = argv[i];
	argc -= i + 1;
	argv += i + 1;
	if (!strcmp(cmd, "prisoner"))
		rc = cmd_prisoner(argc, argv);
	else if (!strcmp(cmd, "check"))
		rc = cmd_check(argc, argv);
	else if (!strcmp(cmd, "letters"))
		rc = cmd_letters(argc, argv);
	else if (!strcmp(cmd, "queue"))
		rc = cmd_queue(argc, argv);
	else if (!strcmp(cmd, "rules"))
		rc = screen_cli(cfg, argc, argv);
	else if (!strcmp(cmd, "deliver"))
		rc = cmd_deliver(argc, argv);
	else if (!strcmp(cmd, "batch"))
		rc = cmd_batch(argc, argv);
	else if (!strcmp(cmd, "purge"))
		rc = cmd_purge(argc, argv);
	else if (!strcmp(cmd, "stats"))
		rc = cmd_stats(argc, argv);
	else if (!strcmp(cmd, "config")) {
		config_dump(cfg, stdout);
		rc = 0;
	} else {
		usage();
		rc = 2;
	}
	config_unref(&cfg);
	return rc;
}

static gboolean batch_list_db(struct sqlite3 *db, gpointer data, GError **err)
{
	batch_list_q *q = data;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(
	    db,
	    "SELECT id, org, coalesce(submitter, ''), letters, created, report_sent"
	    " FROM batches ORDER BY created, id",
	    -1, &st, NULL);
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			for (int c = 0; c < 6; c++) {
				const unsigned char *t = sqlite3_column_text(st, c);
				g_ptr_array_add(q->rows, g_strdup(t ? (const char *)t : ""));
			}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		g_set_error(err, LG_STORE_ERROR, LG_STORE_ERR_OTHER, "database: batch list: %s",
		            sqlite3_errmsg(db));
		return FALSE;
	}
	return TRUE;
}
