/* policy/screen.c - see screen.h. Matching runs in three passes over one
 * letter: regular expressions on the normalised text (strip rules first, so
 * that the words of a URL are not screened again), then word rules on the
 * tokens, then heuristics. Every hit keeps the byte span of the original. */
#include "policy/screen.h"

#include <libstemmer.h>
#include <stdio.h>
#include <string.h>

#include "policy/normalize.h"
#include "policy/rules.h"

#define MAX_HITS_PER_RULE 32

struct screen_rules {
	int refcount;
	rules_set *rs;
};

screen_rules *screen_load(const char *dir, GError **err)
{
	screen_rules *r = NULL;
	GPtrArray *files = rules_files(dir, err);
	if (files == NULL)
		return NULL;
	rules_set *rs = rules_load((const char *const *)files->pdata, files->len, err);
	g_ptr_array_free(files, TRUE);
	if (rs == NULL)
		return NULL;
	r = g_new0(screen_rules, 1);
	r->refcount = 1;
	r->rs = rs;
	return r;
}

screen_rules *screen_ref(screen_rules *r)
{
	g_atomic_int_inc(&r->refcount);
	return r;
}

void screen_unref(screen_rules **r)
{
	if (*r && g_atomic_int_dec_and_test(&(*r)->refcount)) {
		rules_set_free(&(*r)->rs);
		g_free(*r);
	}
	*r = NULL;
}

guint screen_count(const screen_rules *r)
{
	return r ? r->rs->rules->len : 0;
}

gboolean screen_reason(const screen_rules *r, const char *category, const char **en_r,
                       const char **ru_r)
{
	const char *en = r ? g_hash_table_lookup(r->rs->cat_en, category) : NULL;
	const char *ru = r ? g_hash_table_lookup(r->rs->cat_ru, category) : NULL;
	if (en_r)
		*en_r = en;
	if (ru_r)
		*ru_r = ru;
	return en != NULL && ru != NULL;
}

/* ---- one screening run -------------------------------------------------- */

typedef struct hit {
	guint rule;
	guint32 ostart, oend;
} hit;

typedef struct run {
	const rules_set *rs;
	const char *text;
	gsize len;
	norm_text *n;
	norm_tokens *ts;
	rules_text_info ti; /* what n->s holds, for the regex prefilter */
	gboolean *active;
	guint *count;      /* hits per rule */
	guint32 *last_end; /* original end of the last hit per rule */
	GArray *hits;
} run;

static void add_hit(run *x, guint rule_i, guint32 os, guint32 oe)
{
	if (x->count[rule_i] >= MAX_HITS_PER_RULE)
		return;
	if (x->count[rule_i] > 0 && os < x->last_end[rule_i])
		return; /* overlaps the rule's previous hit */
	hit h = {rule_i, os, oe};
	g_array_append_val(x->hits, h);
	x->count[rule_i]++;
	x->last_end[rule_i] = oe;
}

static gboolean overlaps(const GArray *spans, guint32 s, guint32 e)
{
	const guint32 *p = (const guint32 *)spans->data;
	for (guint i = 0; i < spans->len / 2; i++)
		if (s < p[2 * i + 1] && p[2 * i] < e)
			return TRUE;
	return FALSE;
}

static gboolean contained(const GArray *spans, guint32 s, guint32 e)
{
	const guint32 *p = (const guint32 *)spans->data;
	for (guint i = 0; i < spans->len / 2; i++)
		if (p[2 * i] <= s && e <= p[2 * i + 1])
			return TRUE;
	return FALSE;
}

static void regex_pass(run *x, gboolean strip_pass, GArray *skip, GArray *found)
{
	pcre2_match_data *md = pcre2_match_data_create(8, NULL);
	PCRE2_SPTR subj = (PCRE2_SPTR)x->n->s->str;
	PCRE2_SIZE slen = x->n->s->len;
	for (guint i = 0; i < x->rs->rules->len; i++) {
		const rule *r = g_ptr_array_index(x->rs->rules, i);
		if (!x->active[i] || r->regexes->len == 0 ||
		    (r->action == LG_ACT_STRIP) != strip_pass)
			continue;
		for (guint k = 0; k < r->regexes->len; k++) {
			const rule_regex *rx = g_ptr_array_index(r->regexes, k);
			if (!rules_regex_can_match(rx, &x->ti))
				continue;
			const pcre2_code *re = rx->re;
			PCRE2_SIZE off = 0;
			while (off <= slen && x->count[i] < MAX_HITS_PER_RULE) {
				int rc =
				    pcre2_match(re, subj, slen, off, PCRE2_NO_UTF_CHECK, md, NULL);
				if (rc < 0)
					break;
				PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
				PCRE2_SIZE s = ov[0], e = ov[1];
				/* Non-strip rules skip stripped spans; a strip match inside
				 * another (a phone matched twice) is reported once. */
				gboolean dup =
				    strip_pass ? contained(skip, s, e) : overlaps(skip, s, e);
				if (e > s && !dup) {
					add_hit(x, i, x->n->ostart[s], x->n->oend[e - 1]);
					guint32 sp[2] = {s, e};
					g_array_append_vals(strip_pass ? skip : found, sp, 2);
				}
				if (e > off)
					off = e;
				else /* empty match: step one character */
					off =
					    e < slen
					        ? (PCRE2_SIZE)(g_utf8_next_char(x->n->s->str + e) -
					                       x->n->s->str)
					        : slen + 1;
			}
		}
	}
	pcre2_match_data_free(md);
}

static gboolean el_match(const norm_tokens *ts, const norm_token *t, const rule_el *el)
{
	const char *w = NORM_WORD(ts, t);
	switch (el->kind) {
	case EL_STEM:
		return t->slen == el->len && memcmp(NORM_STEM(ts, t), el->s, el->len) == 0;
	case EL_WORD:
		return t->wlen == el->len && memcmp(w, el->s, el->len) == 0;
	case EL_PREFIX:
		return t->wlen >= el->len && memcmp(w, el->s, el->len) == 0;
	case EL_ROOT:
		return t->wlen >= el->len && strstr(w, el->s) != NULL;
	case EL_ANY:
		return TRUE;
	default:
		return FALSE;
	}
}

/* Matches seq elements k.. from token i; returns the last token index + 1
 * of the match, or 0 when it does not match. */
static guint seq_match(const norm_tokens *ts, const rule_seq *s, guint k, guint i)
{
	guint nt = ts->tok->len;
	if (k == s->n)
		return i;
	if (s->el[k].kind == EL_GAP) {
		for (guint g = 0; g <= RULES_GAP && i + g <= nt; g++) {
			guint e = seq_match(ts, s, k + 1, i + g);
			if (e)
				return e;
		}
		return 0;
	}
	if (i >= nt || !el_match(ts, &g_array_index(ts->tok, norm_token, i), &s->el[k]))
		return 0;
	return seq_match(ts, s, k + 1, i + 1);
}

static gboolean excepted(const run *x, const rule *r, guint i, guint e)
{
	for (guint k = 0; k < r->excepts->len; k++) {
		const rule_seq *s = g_ptr_array_index(r->excepts, k);
		guint from = i >= s->span ? i - s->span + 1 : 0;
		for (guint j = from; j <= i; j++) {
			guint end = seq_match(x->ts, s, 0, j);
			if (end > i && j < e)
				return TRUE;
		}
	}
	return FALSE;
}

static void try_heads(run *x, guint i, char *key, gsize klen)
{
	guint bit = rules_key_hash(key, klen);
	if (!((x->rs->head_bloom[bit >> 3] >> (bit & 7)) & 1))
		return;
	key[klen] = '\0';
	GArray *refs = g_hash_table_lookup(x->rs->heads, key);
	if (refs == NULL)
		return;
	for (guint k = 0; k < refs->len; k++) {
		seq_ref *ref = &g_array_index(refs, seq_ref, k);
		if (!x->active[ref->rule] || x->count[ref->rule] >= MAX_HITS_PER_RULE)
			continue;
		const rule *r = g_ptr_array_index(x->rs->rules, ref->rule);
		const rule_seq *s = g_ptr_array_index(r->seqs, ref->seq);
		guint e = seq_match(x->ts, s, 1, i + 1);
		if (e == 0 || excepted(x, r, i, e))
			continue;
		const norm_token *a = &g_array_index(x->ts->tok, norm_token, i);
		const norm_token *b = &g_array_index(x->ts->tok, norm_token, e - 1);
		add_hit(x, ref->rule, a->ostart, b->oend);
	}
}

/* FALSE when no stem, word or prefix head can equal s or begin it. */
static gboolean may_head(const rules_set *rs, const char *s, guint len)
{
	if (len == 0 || len <= (guint)g_utf8_skip[(guchar)s[0]])
		return len > 0 && rs->head_short;
	guint k = norm_pair(s);
	return (rs->head_first[k >> 3] >> (k & 7)) & 1;
}

static void word_pass(run *x)
{
	char key[256];
	const rules_set *rs = x->rs;
	for (guint i = 0; i < x->ts->tok->len; i++) {
		const norm_token *t = &g_array_index(x->ts->tok, norm_token, i);
		const char *w = NORM_WORD(x->ts, t);
		if ((gsize)t->wlen + 2 > sizeof key)
			continue;
		const char *stem = NORM_STEM(x->ts, t);
		if (may_head(rs, stem, t->slen)) {
			key[0] = EL_STEM;
			memcpy(key + 1, stem, t->slen);
			try_heads(x, i, key, t->slen + 1);
		}
		/* word and prefix heads share the word's first two characters */
		if (!may_head(rs, w, t->wlen))
			goto roots;
		key[0] = EL_WORD;
		memcpy(key + 1, w, t->wlen);
		try_heads(x, i, key, t->wlen + 1);
		if (rs->prefix_lens && t->nchars >= 2) {
			/* the prefix lengths for the word's first two characters,
			 * up to its own */
			guint64 m = rs->prefix_lens_at[RULES_PAIR_SLOT(norm_pair(w))];
			if (t->wlen < 63)
				m &= (G_GUINT64_CONSTANT(2) << t->wlen) - 1;
			key[0] = EL_PREFIX;
			for (; m; m &= m - 1) {
				guint l = (guint)__builtin_ctzll(m);
				if (l < t->wlen && (w[l] & 0xC0) == 0x80)
					continue; /* not at a character's end */
				memcpy(key + 1, w, l);
				try_heads(x, i, key, l + 1);
			}
		}
	roots:
		if (rs->root_lens) {
			key[0] = EL_ROOT;
			for (guint s = 0; s < t->wlen; s++) {
				if ((w[s] & 0xC0) == 0x80)
					continue;
				if (g_utf8_next_char(w + s) >= w + t->wlen)
					break; /* roots have two characters or more */
				guint64 m = rs->root_lens_at[RULES_PAIR_SLOT(norm_pair(w + s))];
				guint room = t->wlen - s;
				if (room < 63)
					m &= (G_GUINT64_CONSTANT(2) << room) - 1;
				for (; m; m &= m - 1) {
					guint l = (guint)__builtin_ctzll(m);
					if (s + l < t->wlen && (w[s + l] & 0xC0) == 0x80)
						continue;
					memcpy(key + 1, w + s, l);
					try_heads(x, i, key, l + 1);
				}
			}
		}
	}
}

/* Longest quoted passage: «…», "…", “…”, „…“ or consecutive "> " lines.
 * Returns its length in characters and its span in the normalised text
 * (valid UTF-8). One pass over the bytes: a character can open a quote only
 * if its first byte is one of C2 ('«'), '"', E2 ('“', '„') or '>' (strcspn
 * skips to the next such byte). An
 * opener with no closer before the end means no later opener of its kind has
 * one either, so each kind's search for a closer runs to the end at most
 * once. */
static guint longest_quote(const GString *s, guint32 *qs_r, guint32 *qe_r)
{
	guint best = 0;
	gboolean unclosed[4] = {FALSE, FALSE, FALSE, FALSE}; /* by kind: « " “ „ */
	const char *p = s->str, *end = s->str + s->len;
	while (p < end) {
		/* to the next byte that may open a quote (the normalised text
		 * holds no NUL: norm_new() makes it a space) */
		p += strcspn(p, "\xC2\"\xE2>");
		if (p >= end)
			break;
		gunichar c = g_utf8_get_char(p);
		int kind = c == 0xAB ? 0 : c == '"' ? 1 : c == 0x201C ? 2 : c == 0x201E ? 3 : -1;
		if (kind >= 0 && !unclosed[kind]) {
			static const gunichar closers[4] = {0xBB, '"', 0x201D, 0x201C};
			gunichar close = closers[kind];
			const char *q = g_utf8_next_char(p);
			guint nch = 0;
			for (; q < end; q++) {
				guchar d = (guchar)*q;
				if ((d & 0xC0) == 0x80)
					continue;
				if (d == 0xC2 || d == '"' || d == 0xE2) {
					gunichar e = g_utf8_get_char(q);
					if (e == close || (kind == 3 && e == 0x201D))
						break;
				}
				nch++;
			}
			if (q < end) {
				if (nch > best) {
					best = nch;
					*qs_r = p - s->str;
					*qe_r = g_utf8_next_char(q) - s->str;
				}
				p = g_utf8_next_char(q);
				continue;
			}
			unclosed[kind] = TRUE;
		} else if (c == '>' && (p == s->str || p[-1] == '\n')) {
			const char *a = p;
			guint nch = 0;
			while (p < end && *p == '>') {
				const char *nl = memchr(p, '\n', end - p);
				const char *le = nl ? nl + 1 : end;
				nch += g_utf8_strlen(p, le - p);
				p = le;
			}
			if (nch > best) {
				best = nch;
				*qs_r = a - s->str;
				*qe_r = p - s->str;
			}
			continue;
		}
		p = g_utf8_next_char(p);
	}
	return best;
}

static void heur_pass(run *x)
{
	const norm_tokens *ts = x->ts;
	for (guint i = 0; i < x->rs->rules->len; i++) {
		const rule *r = g_ptr_array_index(x->rs->rules, i);
		if (!x->active[i])
			continue;
		for (guint k = 0; k < r->heur->len; k++) {
			const rule_heur *h = &g_array_index(r->heur, rule_heur, k);
			if (h->kind == HEUR_LATIN_SHARE) {
				guint words = ts->lat_words + ts->cyr_words;
				if (words == 0 || words < h->min ||
				    (double)ts->lat_words / words < h->arg)
					continue;
				guint32 s = G_MAXUINT32, e = 0;
				for (guint j = 0; j < ts->tok->len; j++) {
					const norm_token *t =
					    &g_array_index(ts->tok, norm_token, j);
					if (t->flags & NORM_TOK_RAW_LATIN) {
						s = MIN(s, t->ostart);
						e = MAX(e, t->oend);
					}
				}
				if (e > s)
					add_hit(x, i, s, e);
			} else if (h->kind == HEUR_NONWORD_SHARE) {
				guint tokens = ts->tok->len;
				if (tokens == 0 || tokens < h->min ||
				    (double)ts->nonwords / tokens < h->arg)
					continue;
				add_hit(x, i, 0, x->len);
			} else if (h->kind == HEUR_QUOTE_CHARS) {
				guint32 qs = 0, qe = 0;
				if (longest_quote(x->n->s, &qs, &qe) >= h->arg && qe > qs)
					add_hit(x, i, x->n->ostart[qs], x->n->oend[qe - 1]);
			}
		}
	}
}

static gint cmp_hit(gconstpointer a, gconstpointer b)
{
	const hit *x = a, *y = b;
	if (x->ostart != y->ostart)
		return x->ostart < y->ostart ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

char *screen_text(const screen_rules *r, const char *text, const char *lang, const char *where,
                  gboolean original, GPtrArray *findings)
{
	if (text == NULL)
		text = "";
	if (r == NULL)
		return g_strdup(text);
	run x = {0};
	x.rs = r->rs;
	x.text = text;
	x.len = strlen(text);
	guint nr = x.rs->rules->len;
	x.active = g_new0(gboolean, nr);
	x.count = g_new0(guint, nr);
	x.last_end = g_new0(guint32, nr);
	x.hits = g_array_new(FALSE, FALSE, sizeof(hit));
	for (guint i = 0; i < nr; i++) {
		const rule *ru = g_ptr_array_index(x.rs->rules, i);
		x.active[i] =
		    !original || ru->lang == NULL || (lang && strcmp(ru->lang, lang) == 0);
	}
	/* Stemmers keep state: one per call keeps rule sets shareable. */
	struct sb_stemmer *st_ru = sb_stemmer_new("russian", "UTF_8");
	struct sb_stemmer *st_en = sb_stemmer_new("english", "UTF_8");
	GArray *skip = g_array_new(FALSE, FALSE, sizeof(guint32));

	x.n = norm_new(text, x.len);
	rules_text_info_init(&x.ti, x.n->s->str, x.n->s->len);
	regex_pass(&x, TRUE, skip, NULL);
	/* Words inside any regex match (codes, article numbers) are not
	 * screened again, nor counted by the heuristics. */
	GArray *found = g_array_new(FALSE, FALSE, sizeof(guint32));
	regex_pass(&x, FALSE, skip, found);
	g_array_append_vals(skip, found->data, found->len);
	g_array_free(found, TRUE);
	{
		/* Sort the (start, end) pairs by start; there are few. */
		guint np = skip->len / 2;
		guint32 *p = (guint32 *)skip->data;
		for (guint a = 1; a < np; a++)
			for (guint b = a; b > 0 && p[2 * b] < p[2 * (b - 1)]; b--) {
				guint32 t0 = p[2 * b], t1 = p[2 * b + 1];
				p[2 * b] = p[2 * (b - 1)];
				p[2 * b + 1] = p[2 * (b - 1) + 1];
				p[2 * (b - 1)] = t0;
				p[2 * (b - 1) + 1] = t1;
			}
	}
	x.ts = norm_tokenize_for(x.n, (const guint32 *)skip->data, skip->len / 2, st_ru, st_en,
	                         x.rs->stem_short ? NULL : x.rs->stem_first);
	word_pass(&x);
	heur_pass(&x);

	g_array_sort(x.hits, cmp_hit);
	GArray *strip = g_array_new(FALSE, FALSE, sizeof(guint32));
	gboolean *scored = g_new0(gboolean, nr);
	for (guint i = 0; i < x.hits->len; i++) {
		const hit *h = &g_array_index(x.hits, hit, i);
		const rule *ru = g_ptr_array_index(x.rs->rules, h->rule);
		/* A rule scores once per text, as an rspamd symbol does. */
		lg_finding *f =
		    finding_new(ru->id, ru->category, ru->action, scored[h->rule] ? 0 : ru->score,
		                ru->reason_en, ru->reason_ru);
		scored[h->rule] = TRUE;
		if (where) {
			g_free(f->where);
			f->where = g_strdup(where);
		}
		f->start = h->ostart;
		f->end = h->oend;
		if (findings)
			g_ptr_array_add(findings, f);
		else
			finding_free(f);
		if (ru->action == LG_ACT_STRIP) {
			guint32 sp[2] = {h->ostart, h->oend};
			g_array_append_vals(strip, sp, 2);
		}
	}
	/* Hits are sorted by start: remove the union of the strip spans. */
	GString *out = g_string_sized_new(x.len);
	gsize at = 0;
	const guint32 *sp = (const guint32 *)strip->data;
	for (guint i = 0; i < strip->len / 2; i++) {
		if (sp[2 * i] > at)
			g_string_append_len(out, text + at, sp[2 * i] - at);
		at = MAX(at, sp[2 * i + 1]);
		/* "номер +7 912 ... ." must not become "номер ." */
		if (out->len && out->str[out->len - 1] == ' ' &&
		    (at >= x.len || strchr(" .,;:!?)", text[at])))
			g_string_truncate(out, out->len - 1);
	}
	if (at < x.len)
		g_string_append_len(out, text + at, x.len - at);

	g_free(scored);
	g_array_free(strip, TRUE);
	g_array_free(skip, TRUE);
	norm_tokens_free(&x.ts);
	norm_free(&x.n);
	sb_stemmer_delete(st_ru);
	sb_stemmer_delete(st_en);
	g_array_free(x.hits, TRUE);
	g_free(x.active);
	g_free(x.count);
	g_free(x.last_end);
	return g_string_free(out, FALSE);
}

lg_action screen_decide(const GPtrArray *findings, double hold_score, double reject_score)
{
	double sum = 0;
	lg_action forced = LG_ACT_NONE;
	for (guint i = 0; findings && i < findings->len; i++) {
		const lg_finding *f = g_ptr_array_index((GPtrArray *)findings, i);
		sum += f->score;
		if (f->action == LG_ACT_REJECT ||
		    (f->action == LG_ACT_HOLD && forced != LG_ACT_REJECT))
			forced = f->action;
	}
	if (forced == LG_ACT_REJECT || sum >= reject_score)
		return LG_ACT_REJECT;
	if (forced == LG_ACT_HOLD || sum >= hold_score)
		return LG_ACT_HOLD;
	return LG_ACT_NONE;
}

/* ---- lettergatectl rules ------------------------------------------------ */

static int cli_usage(void)
{
	fprintf(stderr, "usage: lettergatectl rules test [--dir DIR] [--lang LANG] [--original] "
	                "[--show] FILE|-\n"
	                "       lettergatectl rules check [DIR|FILE]\n");
	return 2;
}

static char *read_input(const char *path, GError **err)
{
	char *data = NULL;
	gsize len = 0;
	if (strcmp(path, "-") != 0) {
		if (!g_file_get_contents(path, &data, &len, err))
			return NULL;
	} else {
		GString *s = g_string_new(NULL);
		char buf[65536];
		size_t k;
		while ((k = fread(buf, 1, sizeof buf, stdin)) > 0)
			g_string_append_len(s, buf, k);
		len = s->len;
		data = g_string_free(s, FALSE);
	}
	if (!g_utf8_validate(data, len, NULL) || memchr(data, '\0', len)) {
		char *fixed = g_utf8_make_valid(data, len);
		g_free(data);
		data = fixed;
	}
	return data;
}

static int cli_test(const lg_config *cfg, int argc, char **argv)
{
	const char *dir = cfg ? cfg->rules_dir : NULL, *lang = "ru", *path = NULL;
	gboolean original = FALSE, show = FALSE;
	double hold = cfg ? cfg->hold_score : 5, reject = cfg ? cfg->reject_score : 10;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
			lang = argv[++i];
		else if (strcmp(argv[i], "--original") == 0)
			original = TRUE;
		else if (strcmp(argv[i], "--show") == 0)
			show = TRUE;
		else if (path == NULL && (argv[i][0] != '-' || argv[i][1] == '\0'))
			path = argv[i];
		else
			return cli_usage();
	}
	if (path == NULL)
		return cli_usage();
	int rc = 1;
	GError *err = NULL;
	char *text = NULL, *out = NULL;
	GPtrArray *found = g_ptr_array_new_with_free_func((GDestroyNotify)finding_free);
	screen_rules *r = screen_load(dir, &err);
	if (r == NULL)
		goto done;
	text = read_input(path, &err);
	if (text == NULL)
		goto done;
	out = screen_text(r, text, lang, original ? "original" : "ru", original, found);
	double sum = 0;
	for (guint i = 0; i < found->len; i++) {
		const lg_finding *f = g_ptr_array_index(found, i);
		sum += f->score;
		printf("%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT "\t%s\t%s\t%s\t%g\t%s", f->start,
		       f->end, f->category, f->rule, letter_action_name(f->action), f->score,
		       f->reason_en);
		if (show) {
			char *ex = g_strndup(text + f->start, MIN(f->end - f->start, 80));
			char *flat = g_strdelimit(ex, "\r\n\t", ' ');
			printf("\t[%s]", flat);
			g_free(ex);
		}
		putchar('\n');
	}
	lg_action a = screen_decide(found, hold, reject);
	printf("score %g, verdict %s, %u finding%s, %zu of %zu bytes kept\n", sum,
	       a == LG_ACT_NONE ? "accept" : letter_action_name(a), found->len,
	       found->len == 1 ? "" : "s", strlen(out), strlen(text));
	rc = 0;
done:
	if (err) {
		fprintf(stderr, "rules: %s\n", err->message);
		g_error_free(err);
	}
	g_free(out);
	g_free(text);
	g_ptr_array_free(found, TRUE);
	screen_unref(&r);
	return rc;
}

static int cli_check(const lg_config *cfg, int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : cfg ? cfg->rules_dir : NULL;
	if (argc > 2)
		return cli_usage();
	GError *err = NULL;
	screen_rules *r = screen_load(dir, &err);
	if (r == NULL) {
		fprintf(stderr, "%s\n", err ? err->message : "rules: cannot load");
		g_clear_error(&err);
		return 1;
	}
	printf("%s: %u rules in %u file%s, ok\n", dir, screen_count(r), r->rs->nfiles,
	       r->rs->nfiles == 1 ? "" : "s");
	screen_unref(&r);
	return 0;
}

int screen_cli(const lg_config *cfg, int argc, char **argv)
{
	if (argc < 1)
		return cli_usage();
	if (strcmp(argv[0], "test") == 0)
		return cli_test(cfg, argc, argv);
	if (strcmp(argv[0], "check") == 0)
		return cli_check(cfg, argc, argv);
	return cli_usage();
}
