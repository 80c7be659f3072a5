/* policy/rules.c - see rules.h; format in screen.h. */
#include "policy/rules.h"

#include <libstemmer.h>
#include <math.h>
#include <string.h>

#include "policy/normalize.h"

G_DEFINE_QUARK(lg - screen - error - quark, lg_screen_error)

typedef struct parse_ctx {
	rules_set *rs;
	GString *errors;
	GHashTable *ids; /* id -> "file:line" */
	struct sb_stemmer *ru, *en;
	const char *file;
	int line;
	rule *cur;
	char *cat_section; /* inside [category NAME] */
} parse_ctx;

static void perr(parse_ctx *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void perr(parse_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_string_append_printf(c->errors, "%s:%d: %s\n", c->file, c->line, msg);
	g_free(msg);
}

static void seq_free(gpointer p)
{
	rule_seq *s = p;
	for (guint i = 0; i < s->n; i++)
		g_free(s->el[i].s);
	g_free(s->el);
	g_free(s);
}

static void rule_free(gpointer p)
{
	rule *r = p;
	g_free(r->id);
	g_free(r->category);
	g_free(r->lang);
	g_free(r->reason_en);
	g_free(r->reason_ru);
	g_free(r->file);
	g_ptr_array_free(r->seqs, TRUE);
	g_ptr_array_free(r->excepts, TRUE);
	g_ptr_array_free(r->regexes, TRUE);
	g_array_free(r->heur, TRUE);
	g_free(r);
}

static void regex_free(gpointer p)
{
	rule_regex *x = p;
	pcre2_code_free(x->re);
	g_free(x);
}

static gboolean valid_id(const char *s)
{
	if (!*s)
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '-' && *s != '_' && *s != '.')
			return FALSE;
	return TRUE;
}

/* One element of a phrase: "word" stem, "=word" exact, "word*" prefix,
 * "*word*" root, "*" any word, "..." a gap. */
static gboolean parse_el(parse_ctx *c, const char *tok, int kind, rule_el *el)
{
	char *body = NULL;
	gsize l = strlen(tok);
	if (kind == 0) {
		if (strcmp(tok, "*") == 0) {
			el->kind = EL_ANY;
			return TRUE;
		}
		if (strcmp(tok, "...") == 0) {
			el->kind = EL_GAP;
			return TRUE;
		}
		if (l > 2 && tok[0] == '*' && tok[l - 1] == '*') {
			kind = EL_ROOT;
			body = g_strndup(tok + 1, l - 2);
		} else if (l > 1 && tok[l - 1] == '*') {
			kind = EL_PREFIX;
			body = g_strndup(tok, l - 1);
		} else if (l > 1 && tok[0] == '=') {
			kind = EL_WORD;
			body = g_strdup(tok + 1);
		} else {
			kind = EL_STEM;
			body = g_strdup(tok);
		}
	} else {
		body = g_strdup(tok);
	}
	char *stem = NULL;
	char *w = norm_word(body, c->ru, c->en, &stem);
	if (w == NULL) {
		perr(c, "\"%s\" is not one word after normalisation", body);
		g_free(body);
		return FALSE;
	}
	el->kind = kind;
	if (kind == EL_STEM) {
		el->s = stem;
		g_free(w);
	} else {
		el->s = w;
		g_free(stem);
	}
	el->len = strlen(el->s);
	g_free(body);
	if ((kind == EL_PREFIX || kind == EL_ROOT) &&
	    (g_utf8_strlen(el->s, -1) < 2 || el->len > 63)) {
		perr(c, "prefix or root must be 2 characters to 63 bytes");
		g_clear_pointer(&el->s, g_free);
		return FALSE;
	}
	return TRUE;
}

static rule_seq *parse_seq(parse_ctx *c, const char *value, int kind)
{
	char **toks = g_strsplit_set(value, " \t", -1);
	GArray *els = g_array_new(FALSE, TRUE, sizeof(rule_el));
	gboolean ok = TRUE;
	for (char **t = toks; *t && ok; t++) {
		if (**t == '\0')
			continue;
		rule_el el = {0};
		ok = parse_el(c, *t, kind, &el);
		if (ok)
			g_array_append_val(els, el);
	}
	g_strfreev(toks);
	rule_seq *s = g_new0(rule_seq, 1);
	s->n = els->len;
	s->el = (rule_el *)g_array_free(els, FALSE);
	if (ok && s->n == 0) {
		perr(c, "empty phrase");
		ok = FALSE;
	}
	if (ok && (s->el[0].kind == EL_ANY || s->el[0].kind == EL_GAP ||
	           s->el[s->n - 1].kind == EL_GAP)) {
		perr(c, "a phrase must begin with a word and not end with \"...\"");
		ok = FALSE;
	}
	for (guint i = 0; i < s->n; i++)
		s->span += s->el[i].kind == EL_GAP ? RULES_GAP : 1;
	if (!ok) {
		seq_free(s);
		return NULL;
	}
	return s;
}

static void add_words(parse_ctx *c, const char *value, int kind)
{
	char **toks = g_strsplit_set(value, " \t,", -1);
	for (char **t = toks; *t; t++) {
		if (**t == '\0')
			continue;
		rule_el el = {0};
		if (!parse_el(c, *t, kind, &el))
			continue;
		rule_seq *s = g_new0(rule_seq, 1);
		s->n = 1;
		s->span = 1;
		s->el = g_new(rule_el, 1);
		s->el[0] = el;
		g_ptr_array_add(c->cur->seqs, s);
	}
	g_strfreev(toks);
}

/* ---- regex prefilter -----------------------------------------------------
 * Most regexes cannot match most letters: a phone number needs digits, an
 * address needs "@". Before running a regex on a text, screen.c checks two
 * things any match needs: a first byte from PCRE2's own start bitmap, and
 * one character of each "required set" found here by a conservative walk
 * over the pattern. The walk knows a subset of the syntax; anything else
 * (inline options, verbs, back references, \Q, \x, ...) gives up, and an
 * atom it cannot pin down (letters, which match other cases; \w; \p{..};
 * non-ASCII characters) requires nothing. Only ASCII non-letters and \d
 * (which with UCP also matches non-ASCII digits) make required sets. */

enum { AT_ANY, AT_SET, AT_ZERO };

typedef struct req_list {
	guint n;
	rule_req r[RULES_REQ_MAX];
} req_list;

typedef struct req_walk {
	const char *p, *end;
	gboolean bail;
	int depth;
} req_walk;

static void req_set_ascii(rule_req *r, guint c)
{
	r->ascii[c >> 6] |= G_GUINT64_CONSTANT(1) << (c & 63);
}

static void req_add(req_list *l, const rule_req *r)
{
	if (l->n < RULES_REQ_MAX)
		l->r[l->n++] = *r;
}

static void req_union(rule_req *a, const rule_req *b)
{
	a->ascii[0] |= b->ascii[0];
	a->ascii[1] |= b->ascii[1];
	a->udigit |= b->udigit;
}

/* One literal character: a set unless it is a letter (caseless matching:
 * "k" also matches U+212A) or not ASCII. */
static int req_literal(guint c, rule_req *r, int *ch_r)
{
	*ch_r = (int)c;
	if (c >= 0x80 || g_ascii_isalpha(c))
		return AT_ANY;
	memset(r, 0, sizeof *r);
	req_set_ascii(r, c);
	return AT_SET;
}

static void req_skip_utf8(req_walk *w)
{
	while (w->p < w->end && ((guchar)*w->p & 0xC0) == 0x80)
		w->p++;
}

/* After a backslash. *ch_r: the character for a literal, else -1. */
static int req_escape(req_walk *w, rule_req *r, gboolean in_class, int *ch_r)
{
	*ch_r = -1;
	if (w->p >= w->end) {
		w->bail = TRUE;
		return AT_ANY;
	}
	guchar c = (guchar)*w->p++;
	switch (c) {
	case 'd':
		memset(r, 0, sizeof *r);
		for (guint k = '0'; k <= '9'; k++)
			req_set_ascii(r, k);
		r->udigit = TRUE;
		return AT_SET;
	case 'D':
	case 'w':
	case 'W':
	case 's':
	case 'S':
	case 'h':
	case 'H':
	case 'v':
	case 'V':
	case 'N':
	case 'R':
	case 'X':
		return AT_ANY;
	case 'p':
	case 'P':
		if (w->p < w->end && *w->p == '{') {
			const char *q = memchr(w->p, '}', w->end - w->p);
			if (q == NULL) {
				w->bail = TRUE;
				return AT_ANY;
			}
			w->p = q + 1;
		} else if (w->p < w->end) {
			w->p++;
		}
		return AT_ANY;
	case 'b':
	case 'B':
	case 'A':
	case 'z':
	case 'Z':
	case 'G':
	case 'K':
		return in_class ? AT_ANY : AT_ZERO;
	case 'n':
		return req_literal('\n', r, ch_r);
	case 't':
		return req_literal('\t', r, ch_r);
	case 'r':
		return req_literal('\r', r, ch_r);
	case 'f':
		return req_literal('\f', r, ch_r);
	case 'e':
		return req_literal(0x1B, r, ch_r);
	case 'a':
		return req_literal(0x07, r, ch_r);
	default:
		if (c >= 0x80) {
			req_skip_utf8(w);
			return AT_ANY;
		}
		if (!g_ascii_isalnum(c))
			return req_literal(c, r, ch_r);
		w->bail = TRUE; /* back references, \x, \o, \c, \g, \k, \Q, ... */
		return AT_ANY;
	}
}

/* After '['. */
static int req_class(req_walk *w, rule_req *r)
{
	gboolean neg = FALSE, any = FALSE, first = TRUE;
	memset(r, 0, sizeof *r);
	if (w->p < w->end && *w->p == '^') {
		neg = TRUE;
		w->p++;
	}
	while (w->p < w->end && !w->bail) {
		guchar c = (guchar)*w->p;
		if (c == ']' && !first) {
			w->p++;
			return neg || any ? AT_ANY : AT_SET;
		}
		first = FALSE;
		if (c == '[' && w->p + 1 < w->end &&
		    (w->p[1] == ':' || w->p[1] == '.' || w->p[1] == '=')) {
			const char *q = g_strstr_len(w->p + 2, w->end - w->p - 2, "]");
			if (q == NULL)
				break;
			w->p = q + 1;
			any = TRUE;
			continue;
		}
		rule_req e;
		int ch = -1, k;
		w->p++;
		if (c == '\\') {
			k = req_escape(w, &e, TRUE, &ch);
		} else if (c >= 0x80) {
			req_skip_utf8(w);
			k = AT_ANY;
		} else {
			k = req_literal(c, &e, &ch);
		}
		if (w->bail)
			break;
		/* a range "a-b" (a '-' before ']' is literal) */
		if (ch >= 0 && w->p + 1 < w->end && *w->p == '-' && w->p[1] != ']') {
			w->p++;
			guchar d = (guchar)*w->p++;
			int hi = -1;
			rule_req e2;
			if (d == '\\')
				(void)req_escape(w, &e2, TRUE, &hi);
			else if (d < 0x80)
				hi = d;
			else
				req_skip_utf8(w);
			if (w->bail)
				break;
			if (hi < 0 || hi < ch || hi >= 0x80 || (ch <= 'z' && hi >= 'A')) {
				any = TRUE; /* letters, non-ASCII or unknown ends */
				continue;
			}
			for (int x = ch; x <= hi; x++)
				req_set_ascii(r, x);
			continue;
		}
		if (k == AT_SET)
			req_union(r, &e);
		else
			any = TRUE;
	}
	w->bail = TRUE;
	return AT_ANY;
}

static void req_alts(req_walk *w, req_list *out);

/* A quantifier after an atom: its minimum count (1 when there is none). */
static guint req_quant(req_walk *w)
{
	guint min = 1;
	if (w->p >= w->end)
		return 1;
	guchar c = (guchar)*w->p;
	if (c == '?' || c == '*') {
		min = 0;
		w->p++;
	} else if (c == '+') {
		w->p++;
	} else if (c == '{' && w->p + 1 < w->end &&
	           (g_ascii_isdigit(w->p[1]) || w->p[1] == ',' || w->p[1] == ' ')) {
		const char *q = w->p + 1;
		while (q < w->end && *q == ' ')
			q++;
		min = 0;
		while (q < w->end && g_ascii_isdigit(*q) && min < 100000)
			min = min * 10 + (*q++ - '0');
		const char *close = memchr(w->p, '}', MIN(w->end - w->p, 32));
		if (close == NULL)
			return 1; /* a literal '{' follows */
		w->p = close + 1;
	} else {
		return 1;
	}
	if (w->p < w->end && (*w->p == '+' || *w->p == '?'))
		w->p++;
	return min;
}

static void req_seq(req_walk *w, req_list *out)
{
	out->n = 0;
	while (w->p < w->end && !w->bail) {
		guchar c = (guchar)*w->p;
		if (c == '|' || c == ')')
			return;
		req_list item = {0};
		rule_req r;
		int ch;
		w->p++;
		if (c == '(') {
			gboolean keep = TRUE;
			const char *q = w->p;
			if (q < w->end && *q == '*') {
				w->bail = TRUE;
				return;
			}
			if (q < w->end && *q == '?') {
				q++;
				if (q < w->end &&
				    (*q == ':' || *q == '>' || *q == '|' || *q == '=')) {
					w->p = q + 1;
				} else if (q < w->end && *q == '!') {
					w->p = q + 1;
					keep = FALSE;
				} else if (q + 1 < w->end && *q == '<' &&
				           (q[1] == '=' || q[1] == '!')) {
					keep = q[1] == '=';
					w->p = q + 2;
				} else if (q + 1 < w->end && (*q == '<' || *q == '\'' ||
				                              (*q == 'P' && q[1] == '<'))) {
					char close = *q == '\'' ? '\'' : '>';
					const char *e = memchr(q + 1, close, w->end - q - 1);
					if (e == NULL) {
						w->bail = TRUE;
						return;
					}
					w->p = e + 1;
				} else {
					w->bail =
					    TRUE; /* options, conditions, recursion, comments */
					return;
				}
			}
			if (++w->depth > 64) {
				w->bail = TRUE;
				return;
			}
			req_alts(w, &item);
			w->depth--;
			if (w->bail || w->p >= w->end || *w->p != ')') {
				w->bail = TRUE;
				return;
			}
			w->p++;
			if (!keep)
				item.n = 0;
		} else if (c == '[') {
			if (req_class(w, &r) == AT_SET)
				req_add(&item, &r);
		} else if (c == '\\') {
			if (req_escape(w, &r, FALSE, &ch) == AT_SET)
				req_add(&item, &r);
		} else if (c >= 0x80) {
			req_skip_utf8(w);
		} else if (c != '.' && c != '^' && c != '$') {
			if (req_literal(c, &r, &ch) == AT_SET)
				req_add(&item, &r);
		}
		if (w->bail)
			return;
		if (req_quant(w) >= 1)
			for (guint k = 0; k < item.n; k++)
				req_add(out, &item.r[k]);
	}
}

/* Alternatives up to ')' or the end: what every one of them requires. */
static void req_alts(req_walk *w, req_list *out)
{
	req_list first = {0}, cur = {0};
	rule_req any_of = {0};
	gboolean each = TRUE;
	guint n = 0;
	for (;;) {
		req_seq(w, n == 0 ? &first : &cur);
		if (w->bail)
			return;
		const req_list *l = n == 0 ? &first : &cur;
		if (l->n == 0)
			each = FALSE;
		else
			req_union(&any_of, &l->r[0]);
		n++;
		if (w->p < w->end && *w->p == '|') {
			w->p++;
			continue;
		}
		break;
	}
	out->n = 0;
	if (n == 1)
		*out = first;
	else if (each)
		req_add(out, &any_of);
}

static void bit_set(guint64 *bits, guint c)
{
	bits[c >> 6] |= G_GUINT64_CONSTANT(1) << (c & 63);
}

static rule_regex *regex_prepare(pcre2_code *re, const char *pattern)
{
	rule_regex *x = g_new0(rule_regex, 1);
	x->re = re;
	uint32_t ft = 0;
	if (pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODETYPE, &ft) == 0) {
		if (ft == 1) {
			uint32_t cu = 0;
			pcre2_pattern_info(re, PCRE2_INFO_FIRSTCODEUNIT, &cu);
			if (cu < 256 && !(cu < 0x80 && g_ascii_isalpha(cu))) {
				bit_set(x->first, cu);
				x->has_first = TRUE;
			}
		} else if (ft == 0) {
			const uint8_t *bm = NULL;
			if (pcre2_pattern_info(re, PCRE2_INFO_FIRSTBITMAP, &bm) == 0 && bm) {
				for (guint c = 0; c < 256; c++)
					if (bm[c >> 3] & (1u << (c & 7)))
						bit_set(x->first, c);
				x->has_first = TRUE;
			}
		}
	}
	req_walk w = {pattern, pattern + strlen(pattern), FALSE, 0};
	req_list l = {0};
	req_alts(&w, &l);
	if (!w.bail && w.p == w.end)
		for (guint k = 0; k < l.n; k++)
			x->req[x->nreq++] = l.r[k];
	uint32_t lt = 0, lcu = 0;
	if (x->nreq < RULES_REQ_MAX && pcre2_pattern_info(re, PCRE2_INFO_LASTCODETYPE, &lt) == 0 &&
	    lt == 1 && pcre2_pattern_info(re, PCRE2_INFO_LASTCODEUNIT, &lcu) == 0 && lcu < 0x80 &&
	    !g_ascii_isalpha(lcu)) {
		rule_req r = {{0, 0}, FALSE};
		req_set_ascii(&r, lcu);
		x->req[x->nreq++] = r;
	}
	return x;
}

void rules_text_info_init(rules_text_info *ti, const char *s, gsize len)
{
	guint64 b[4] = {0, 0, 0, 0};
	guint8 seen[256] = {0};
	const guchar *p = (const guchar *)s, *end = p + len;
	for (; p < end; p++) /* one store a byte; the bits after */
		seen[*p] = 1;
	for (guint c = 0; c < 256; c++)
		b[c >> 6] |= (guint64)seen[c] << (c & 63);
	memcpy(ti->bytes, b, sizeof b);
	/* Non-ASCII decimal digits: none below U+0500 (lead bytes up to 0xD3)
	 * nor in U+2000-U+2FFF (0xE2); any other lead byte might start one. */
	guint64 lead = b[3] & ~((G_GUINT64_CONSTANT(1) << (0xD4 - 0xC0)) - 1) &
	               ~(G_GUINT64_CONSTANT(1) << (0xE2 - 0xC0));
	ti->udigit = lead != 0;
}

gboolean rules_regex_can_match(const rule_regex *x, const rules_text_info *ti)
{
	if (x->has_first && !((x->first[0] & ti->bytes[0]) | (x->first[1] & ti->bytes[1]) |
	                      (x->first[2] & ti->bytes[2]) | (x->first[3] & ti->bytes[3])))
		return FALSE;
	for (guint k = 0; k < x->nreq; k++) {
		const rule_req *q = &x->req[k];
		if (!((q->ascii[0] & ti->bytes[0]) | (q->ascii[1] & ti->bytes[1])) &&
		    !(q->udigit && ti->udigit))
			return FALSE;
	}
	return TRUE;
}

static void add_regex(parse_ctx *c, const char *value)
{
	int ec = 0;
	PCRE2_SIZE eo = 0;
	pcre2_code *re =
	    pcre2_compile((PCRE2_SPTR)value, PCRE2_ZERO_TERMINATED,
	                  PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_MULTILINE, &ec, &eo, NULL);
	if (re == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof msg);
		perr(c, "bad regex at offset %zu: %s", (size_t)eo, (const char *)msg);
		return;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* interpreter when JIT is unavailable */
	g_ptr_array_add(c->cur->regexes, regex_prepare(re, value));
}

static void add_heuristic(parse_ctx *c, const char *value)
{
	char **t = g_strsplit_set(value, " \t", -1);
	guint n = 0;
	const char *v[3] = {NULL, NULL, NULL};
	for (char **p = t; *p; p++)
		if (**p && n < 3)
			v[n++] = *p;
	rule_heur h = {0};
	char *end = NULL;
	if (n < 2) {
		perr(c, "heuristic needs a name and a threshold");
		goto out;
	}
	if (strcmp(v[0], "latin_share") == 0) {
		h.kind = HEUR_LATIN_SHARE;
		h.min = 8;
	} else if (strcmp(v[0], "nonword_share") == 0) {
		h.kind = HEUR_NONWORD_SHARE;
		h.min = 8;
	} else if (strcmp(v[0], "quote_chars") == 0) {
		h.kind = HEUR_QUOTE_CHARS;
	} else {
		perr(c, "unknown heuristic \"%s\" (latin_share, nonword_share, quote_chars)", v[0]);
		goto out;
	}
	h.arg = g_ascii_strtod(v[1], &end);
	if (*end || !isfinite(h.arg) || h.arg <= 0) {
		perr(c, "bad threshold \"%s\"", v[1]);
		goto out;
	}
	if (h.kind != HEUR_QUOTE_CHARS && h.arg > 1) {
		perr(c, "a share is between 0 and 1");
		goto out;
	}
	if (v[2]) {
		h.min = g_ascii_strtod(v[2], &end);
		if (*end || !isfinite(h.min) || h.min < 0) {
			perr(c, "bad minimum \"%s\"", v[2]);
			goto out;
		}
	}
	g_array_append_val(c->cur->heur, h);
out:
	g_strfreev(t);
}

static void finish_rule(parse_ctx *c)
{
	rule *r = c->cur;
	if (r == NULL)
		return;
	c->cur = NULL;
	int line = c->line;
	c->line = r->line;
	gboolean ok = TRUE;
	if (r->category == NULL) {
		perr(c, "rule %s: no category", r->id);
		ok = FALSE;
	}
	if (r->action == LG_ACT_NONE) {
		perr(c, "rule %s: no action (strip, flag, hold, reject)", r->id);
		ok = FALSE;
	}
	if (r->seqs->len == 0 && r->regexes->len == 0 && r->heur->len == 0) {
		perr(
		    c,
		    "rule %s: matches nothing (stem, word, prefix, root, phrase, regex, heuristic)",
		    r->id);
		ok = FALSE;
	}
	c->line = line;
	if (!ok) {
		rule_free(r);
		return;
	}
	r->index = c->rs->rules->len;
	g_ptr_array_add(c->rs->rules, r);
}

static void parse_section(parse_ctx *c, char *s)
{
	finish_rule(c);
	g_clear_pointer(&c->cat_section, g_free);
	gsize l = strlen(s);
	if (l < 3 || s[l - 1] != ']') {
		perr(c, "section header must end with ']'");
		return;
	}
	s[l - 1] = '\0';
	char *name = g_strstrip(s + 1);
	char *arg = strpbrk(name, " \t");
	if (arg) {
		*arg++ = '\0';
		arg = g_strstrip(arg);
	}
	if (arg == NULL || *arg == '\0' || !valid_id(arg)) {
		perr(c,
		     "expected [rule ID] or [category NAME] with letters, digits, '-', '_', '.'");
		return;
	}
	if (strcmp(name, "category") == 0) {
		c->cat_section = g_strdup(arg);
		return;
	}
	if (strcmp(name, "rule") != 0) {
		perr(c, "unknown section [%s]", name);
		return;
	}
	const char *seen = g_hash_table_lookup(c->ids, arg);
	if (seen) {
		perr(c, "rule %s already defined at %s", arg, seen);
		return;
	}
	g_hash_table_insert(c->ids, g_strdup(arg), g_strdup_printf("%s:%d", c->file, c->line));
	rule *r = g_new0(rule, 1);
	r->id = g_strdup(arg);
	r->file = g_strdup(c->file);
	r->line = c->line;
	r->seqs = g_ptr_array_new_with_free_func(seq_free);
	r->excepts = g_ptr_array_new_with_free_func(seq_free);
	r->regexes = g_ptr_array_new_with_free_func(regex_free);
	r->heur = g_array_new(FALSE, TRUE, sizeof(rule_heur));
	c->cur = r;
}

static void set_once(parse_ctx *c, char **slot, const char *key, const char *value)
{
	if (*slot) {
		perr(c, "%s given twice", key);
		return;
	}
	if (*value == '\0') {
		perr(c, "%s is empty", key);
		return;
	}
	*slot = g_strdup(value);
}

static void parse_kv(parse_ctx *c, const char *key, const char *value)
{
	if (c->cat_section) {
		GHashTable *t = strcmp(key, "reason_en") == 0   ? c->rs->cat_en
		                : strcmp(key, "reason_ru") == 0 ? c->rs->cat_ru
		                                                : NULL;
		if (t == NULL)
			perr(c, "unknown key \"%s\" in [category] (reason_en, reason_ru)", key);
		else if (g_hash_table_contains(t, c->cat_section))
			perr(c, "%s of category %s given twice", key, c->cat_section);
		else if (*value == '\0')
			perr(c, "%s is empty", key);
		else
			g_hash_table_insert(t, g_strdup(c->cat_section), g_strdup(value));
		return;
	}
	rule *r = c->cur;
	if (r == NULL) {
		perr(c, "\"%s\" outside a [rule] section", key);
		return;
	}
	if (strcmp(key, "category") == 0) {
		if (!valid_id(value))
			perr(c, "bad category \"%s\"", value);
		else
			set_once(c, &r->category, key, value);
	} else if (strcmp(key, "lang") == 0) {
		if (r->lang)
			perr(c, "lang given twice");
		else if (strcmp(value, "any") == 0 || strcmp(value, "*") == 0)
			r->lang = NULL;
		else if (strlen(value) < 2 || strlen(value) > 3 || !g_ascii_islower(value[0]) ||
		         !g_ascii_islower(value[1]))
			perr(c, "lang must be a language code (ru, en, ...) or any");
		else
			r->lang = g_strdup(value);
	} else if (strcmp(key, "action") == 0) {
		r->action = letter_action_parse(value);
		if (r->action == LG_ACT_NONE)
			perr(c, "action must be strip, flag, hold or reject");
	} else if (strcmp(key, "score") == 0) {
		char *end = NULL;
		r->score = g_ascii_strtod(value, &end);
		if (*value == '\0' || *end || !isfinite(r->score) || fabs(r->score) > 1000)
			perr(c, "score must be a number between -1000 and 1000");
	} else if (strcmp(key, "reason_en") == 0) {
		set_once(c, &r->reason_en, key, value);
	} else if (strcmp(key, "reason_ru") == 0) {
		set_once(c, &r->reason_ru, key, value);
	} else if (strcmp(key, "stem") == 0) {
		add_words(c, value, EL_STEM);
	} else if (strcmp(key, "word") == 0) {
		add_words(c, value, EL_WORD);
	} else if (strcmp(key, "prefix") == 0) {
		add_words(c, value, EL_PREFIX);
	} else if (strcmp(key, "root") == 0) {
		add_words(c, value, EL_ROOT);
	} else if (strcmp(key, "phrase") == 0 || strcmp(key, "except") == 0) {
		rule_seq *s = parse_seq(c, value, 0);
		if (s)
			g_ptr_array_add(key[0] == 'p' ? r->seqs : r->excepts, s);
	} else if (strcmp(key, "regex") == 0) {
		add_regex(c, value);
	} else if (strcmp(key, "heuristic") == 0) {
		add_heuristic(c, value);
	} else {
		perr(c, "unknown key \"%s\"", key);
	}
}

static void parse_file(parse_ctx *c, const char *path)
{
	char *data = NULL;
	gsize len = 0;
	GError *e = NULL;
	c->file = path;
	c->line = 0;
	if (!g_file_get_contents(path, &data, &len, &e)) {
		perr(c, "%s", e->message);
		g_error_free(e);
		return;
	}
	if (!g_utf8_validate(data, len, NULL) || memchr(data, '\0', len)) {
		perr(c, "not valid UTF-8 text");
		g_free(data);
		return;
	}
	char **lines = g_strsplit(data, "\n", -1);
	for (char **l = lines; *l; l++) {
		c->line++;
		char *s = g_strstrip(*l);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			parse_section(c, s);
			continue;
		}
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			perr(c, "expected \"key = value\"");
			continue;
		}
		*eq = '\0';
		char *key = g_strstrip(s);
		char *value = g_strstrip(eq + 1);
		if (c->cur == NULL && c->cat_section == NULL && *key) {
			perr(c, "\"%s\" outside a [rule] section", key);
			continue;
		}
		parse_kv(c, key, value);
	}
	c->line++;
	finish_rule(c);
	g_clear_pointer(&c->cat_section, g_free);
	g_strfreev(lines);
	g_free(data);
}

/* Every stem element of every phrase and exception, wherever it stands: the
 * words worth stemming in a text (norm_tokenize_for). */
static void index_stems(rules_set *rs, const GPtrArray *seqs)
{
	for (guint j = 0; j < seqs->len; j++) {
		const rule_seq *s = g_ptr_array_index(seqs, j);
		for (guint k = 0; k < s->n; k++) {
			const rule_el *el = &s->el[k];
			if (el->kind != EL_STEM)
				continue;
			if (el->len <= (guint)g_utf8_skip[(guchar)el->s[0]]) {
				rs->stem_short = TRUE;
			} else {
				guint p = norm_pair(el->s);
				rs->stem_first[p >> 3] |= 1 << (p & 7);
			}
		}
	}
}

static void index_rules(rules_set *rs)
{
	for (guint i = 0; i < rs->rules->len; i++) {
		const rule *r = g_ptr_array_index(rs->rules, i);
		index_stems(rs, r->seqs);
		index_stems(rs, r->excepts);
	}
	for (guint i = 0; i < rs->rules->len; i++) {
		rule *r = g_ptr_array_index(rs->rules, i);
		for (guint j = 0; j < r->seqs->len; j++) {
			rule_seq *s = g_ptr_array_index(r->seqs, j);
			rule_el *h = &s->el[0];
			char *key = g_strdup_printf("%c%s", h->kind, h->s);
			guint bit = rules_key_hash(key, strlen(key));
			rs->head_bloom[bit >> 3] |= 1 << (bit & 7);
			GArray *refs = g_hash_table_lookup(rs->heads, key);
			if (refs == NULL) {
				refs = g_array_new(FALSE, FALSE, sizeof(seq_ref));
				g_hash_table_insert(rs->heads, key, refs);
			} else {
				g_free(key);
			}
			seq_ref ref = {i, j};
			g_array_append_val(refs, ref);
			if (h->kind == EL_STEM || h->kind == EL_WORD || h->kind == EL_PREFIX) {
				if (h->len <= (guint)g_utf8_skip[(guchar)h->s[0]]) {
					rs->head_short = TRUE;
				} else {
					guint k = norm_pair(h->s);
					rs->head_first[k >> 3] |= 1 << (k & 7);
				}
			}
			/* prefixes and roots have 2 characters to 63 bytes (parse_el) */
			if (h->kind == EL_PREFIX) {
				guint64 lb = G_GUINT64_CONSTANT(1) << h->len;
				rs->prefix_lens |= lb;
				rs->prefix_lens_at[RULES_PAIR_SLOT(norm_pair(h->s))] |= lb;
			} else if (h->kind == EL_ROOT) {
				guint64 lb = G_GUINT64_CONSTANT(1) << h->len;
				rs->root_lens |= lb;
				rs->root_lens_at[RULES_PAIR_SLOT(norm_pair(h->s))] |= lb;
			}
		}
	}
}

static void array_free(gpointer p)
{
	g_array_free(p, TRUE);
}

rules_set *rules_load(const char *const *files, guint nfiles, GError **err)
{
	parse_ctx c = {0};
	rules_set *rs = g_new0(rules_set, 1);
	rs->rules = g_ptr_array_new_with_free_func(rule_free);
	rs->heads = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, array_free);
	rs->cat_en = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	rs->cat_ru = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	rs->nfiles = nfiles;
	c.rs = rs;
	c.errors = g_string_new(NULL);
	c.ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	c.ru = sb_stemmer_new("russian", "UTF_8");
	c.en = sb_stemmer_new("english", "UTF_8");
	if (c.ru == NULL || c.en == NULL)
		g_error("libstemmer: russian or english stemmer missing");

	for (guint i = 0; i < nfiles; i++)
		parse_file(&c, files[i]);

	/* Reasons: a rule without its own takes its category's. */
	for (guint i = 0; i < rs->rules->len; i++) {
		rule *r = g_ptr_array_index(rs->rules, i);
		if (r->reason_en == NULL)
			r->reason_en = g_strdup(g_hash_table_lookup(rs->cat_en, r->category));
		if (r->reason_ru == NULL)
			r->reason_ru = g_strdup(g_hash_table_lookup(rs->cat_ru, r->category));
		if (r->reason_en == NULL || r->reason_ru == NULL)
			g_string_append_printf(
			    c.errors,
			    "%s:%d: rule %s: no reason_en/reason_ru, and none for "
			    "category %s\n",
			    r->file, r->line, r->id, r->category);
	}
	if (c.errors->len == 0 && rs->rules->len == 0)
		g_string_append(c.errors, "no rules defined\n");
	if (c.errors->len > 0) {
		g_string_truncate(c.errors, c.errors->len - 1);
		g_set_error_literal(err, LG_SCREEN_ERROR, 1, c.errors->str);
		rules_set_free(&rs);
	} else {
		index_rules(rs);
	}
	g_string_free(c.errors, TRUE);
	g_hash_table_destroy(c.ids);
	sb_stemmer_delete(c.ru);
	sb_stemmer_delete(c.en);
	return rs;
}

void rules_set_free(rules_set **rs)
{
	if (rs == NULL || *rs == NULL)
		return;
	g_ptr_array_free((*rs)->rules, TRUE);
	g_hash_table_destroy((*rs)->heads);
	g_hash_table_destroy((*rs)->cat_en);
	g_hash_table_destroy((*rs)->cat_ru);
	g_free(*rs);
	*rs = NULL;
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

GPtrArray *rules_files(const char *path, GError **err)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	if (path == NULL || *path == '\0') {
		g_set_error(err, LG_SCREEN_ERROR, 2, "no rules folder given");
		goto fail;
	}
	if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_ptr_array_add(files, g_strdup(path));
		return files;
	}
	GDir *d = g_dir_open(path, 0, err);
	if (d == NULL)
		goto fail;
	const char *name;
	while ((name = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(name, ".rules") && name[0] != '.')
			g_ptr_array_add(files, g_build_filename(path, name, NULL));
	g_dir_close(d);
	if (files->len == 0) {
		g_set_error(err, LG_SCREEN_ERROR, 2, "%s: no *.rules files", path);
		goto fail;
	}
	g_ptr_array_sort(files, cmp_str);
	return files;
fail:
	g_ptr_array_free(files, TRUE);
	return NULL;
}
