/* policy/normalize.c - see normalize.h. */
#include "policy/normalize.h"

#include <libstemmer.h>
#include <string.h>

/* ---- character layer ---------------------------------------------------- */

static gboolean is_invisible(gunichar c)
{
	return c == 0x00AD || (c >= 0x200B && c <= 0x200F) || c == 0x2060 || c == 0xFEFF ||
	       c == 0x180E || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x034F;
}

static gunichar fold_char(gunichar c)
{
	if (c < 0x80)
		return (c >= 'A' && c <= 'Z') ? c + 32 : c;
	if (c >= 0x410 && c <= 0x42F)
		c += 0x20;
	else if (c >= 0x400 && c <= 0x40F)
		c += 0x50;
	else if (c > 0x4FF)
		c = g_unichar_tolower(c);
	if (c == 0x451) /* ё */
		c = 0x435;
	return c;
}

static void emit_any(norm_text *n, gunichar c, gsize *cap, guint32 os, guint32 oe);

/* Appends c, which came from original bytes [os, oe). Inline for а-я and
 * ASCII, most of a letter; emit_any() for the rest. */
static inline __attribute__((always_inline)) void emit(norm_text *n, gunichar c, gsize *cap,
                                                       guint32 os, guint32 oe)
{
	gsize at = n->s->len;
	if (G_LIKELY(at + 4 <= *cap)) {
		guchar *o = (guchar *)n->s->str + at;
		if (c >= 0x430 && c <= 0x44F) {
			/* а-я, most of a Russian text: two bytes, a Cyrillic letter */
			o[0] = 0xC0 | (c >> 6);
			o[1] = 0x80 | (c & 0x3F);
			n->ostart[at] = n->ostart[at + 1] = os;
			n->oend[at] = n->oend[at + 1] = oe;
			n->s->len = at + 2;
			n->cyr_letters++;
			return;
		}
		if (c < 0x80) {
			o[0] = (guchar)c;
			n->ostart[at] = os;
			n->oend[at] = oe;
			n->s->len = at + 1;
			n->lat_letters += c >= 'a' && c <= 'z';
			return;
		}
	}
	emit_any(n, c, cap, os, oe);
}

static void emit_any(norm_text *n, gunichar c, gsize *cap, guint32 os, guint32 oe)
{
	gsize at = n->s->len;
	if (at + 4 > *cap) {
		*cap = (at + 4) * 2;
		n->ostart = g_renew(guint32, n->ostart, *cap);
		n->oend = g_renew(guint32, n->oend, *cap);
		g_string_set_size(n->s, *cap); /* room for *cap bytes and the NUL */
		n->s->len = at;
	}
	/* n->s is NUL-terminated by norm_new() once done */
	guchar *o = (guchar *)n->s->str + at;
	int k;
	if (c < 0x80) {
		o[0] = c;
		k = 1;
	} else if (c < 0x800) {
		o[0] = 0xC0 | (c >> 6);
		o[1] = 0x80 | (c & 0x3F);
		k = 2;
	} else {
		k = g_unichar_to_utf8(c, (char *)o);
	}
	n->s->len = at + k;
	for (int i = 0; i < k; i++) {
		n->ostart[at + i] = os;
		n->oend[at + i] = oe;
	}
	if ((c >= 'a' && c <= 'z') || (c >= 0xC0 && c <= 0x24F && g_unichar_isalpha(c)))
		n->lat_letters++;
	else if ((c >= 0x430 && c <= 0x44F) || (c >= 0x400 && c <= 0x4FF && g_unichar_isalpha(c)))
		n->cyr_letters++;
}

/* A byte that cannot begin a combining mark: below U+0300 (0xCC) or
 * U+0400-U+047F (0xD0, 0xD1; the Cyrillic marks begin at U+0483). */
#define NO_MARK_LEAD(b) ((b) < 0xCC || (b) == 0xD0 || (b) == 0xD1)

norm_text *norm_new(const char *text, gsize len)
{
	norm_text *n = g_new0(norm_text, 1);
	gsize cap = len + 16;
	n->s = g_string_sized_new(cap);
	n->ostart = g_new(guint32, cap);
	n->oend = g_new(guint32, cap);
	n->olen = len;
	gsize p = 0;
	const guchar *u = (const guchar *)text;
	while (p < len) {
		/* Fast path: ASCII and two-byte Cyrillic not followed by a byte
		 * that may start a combining mark (see NO_MARK_LEAD). */
		if (u[p] - 1u < 0x7Fu && (p + 1 >= len || NO_MARK_LEAD(u[p + 1]))) {
			emit(n, fold_char(u[p]), &cap, p, p + 1);
			p++;
			continue;
		}
		if ((u[p] == 0xD0 || u[p] == 0xD1) && p + 1 < len && (u[p + 1] & 0xC0) == 0x80 &&
		    (p + 2 >= len || NO_MARK_LEAD(u[p + 2]))) {
			emit(n, fold_char(((u[p] & 0x1Fu) << 6) | (u[p + 1] & 0x3Fu)), &cap, p,
			     p + 2);
			p += 2;
			continue;
		}
		gunichar c = g_utf8_get_char_validated(text + p, len - p);
		if (c == (gunichar)-1 || c == (gunichar)-2 || c == 0) {
			if (c != 0)
				emit(n, 0xFFFD, &cap, p, p + 1);
			else
				emit(n, ' ', &cap, p, p + 1);
			p++;
			continue;
		}
		gsize q = p + g_utf8_skip[(guchar)text[p]];
		gboolean marks = FALSE;
		while (q < len) {
			gunichar m = g_utf8_get_char_validated(text + q, len - q);
			if (m == (gunichar)-1 || m == (gunichar)-2 || !g_unichar_ismark(m))
				break;
			marks = TRUE;
			q += g_utf8_skip[(guchar)text[q]];
		}
		if (!marks && (c < 0x80 || (c >= 0x400 && c <= 0x4FF))) {
			emit(n, fold_char(c), &cap, p, q);
		} else if (!marks && is_invisible(c)) {
			/* dropped: zero-width characters split words to evade filters */
		} else {
			char *nf = g_utf8_normalize(text + p, q - p, G_NORMALIZE_NFKC);
			for (const char *s = nf; s && *s; s = g_utf8_next_char(s)) {
				gunichar d = g_utf8_get_char(s);
				if (is_invisible(d) || g_unichar_ismark(d))
					continue; /* stress marks and the like */
				emit(n, fold_char(d), &cap, p, q);
			}
			g_free(nf);
		}
		p = q;
	}
	n->s->str[n->s->len] = '\0';
	return n;
}

void norm_free(norm_text **n)
{
	if (n == NULL || *n == NULL)
		return;
	g_string_free((*n)->s, TRUE);
	g_free((*n)->ostart);
	g_free((*n)->oend);
	g_free(*n);
	*n = NULL;
}

/* ---- word layer --------------------------------------------------------- */

enum { C_OTHER, C_LETTER, C_LEET, C_SEP, C_SPACE, C_BLOCK };

static int char_class(gunichar c)
{
	if (c < 0x80) {
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			return C_LETTER;
		switch (c) {
		case '0':
		case '1':
		case '3':
		case '4':
		case '6':
		case '9':
		case '@':
		case '$':
			return C_LEET;
		case '.':
		case '-':
		case '_':
		case '*':
		case '\'':
		case '`':
		case '~':
		case '+':
		case '|':
		case '/':
		case '\\':
		case '^':
			return C_SEP;
		case ' ':
		case '\t':
			return C_SPACE;
		default:
			return C_OTHER;
		}
	}
	if (c >= 0x430 && c <= 0x44F)
		return C_LETTER;
	if (c == 0x2019 || (c >= 0x2010 && c <= 0x2015) || c == 0x00B7 || c == 0x2022)
		return C_SEP;
	if (c == 0x00A0 || c == 0x202F || (c >= 0x2000 && c <= 0x200A))
		return C_SPACE;
	if (g_unichar_isalpha(c))
		return C_LETTER;
	return C_OTHER;
}

static int script_of(gunichar c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 0xC0 && c <= 0x24F))
		return NORM_SCRIPT_LAT;
	if (c >= 0x400 && c <= 0x4FF)
		return NORM_SCRIPT_CYR;
	return NORM_SCRIPT_OTHER;
}

/* Latin look-alike -> Cyrillic (after lower-casing; upper-case shapes count). */
static gunichar lat_to_cyr(gunichar c)
{
	switch (c) {
	case 'a':
		return 0x430; /* а */
	case 'b':
		return 0x432; /* в (B) */
	case 'c':
		return 0x441; /* с */
	case 'e':
		return 0x435; /* е */
	case 'h':
		return 0x43D; /* н (H) */
	case 'k':
		return 0x43A; /* к */
	case 'm':
		return 0x43C; /* м */
	case 'n':
		return 0x43F; /* п */
	case 'o':
		return 0x43E; /* о */
	case 'p':
		return 0x440; /* р */
	case 'r':
		return 0x433; /* г */
	case 't':
		return 0x442; /* т */
	case 'u':
		return 0x438; /* и */
	case 'x':
		return 0x445; /* х */
	case 'y':
		return 0x443; /* у */
	default:
		return 0;
	}
}

static gunichar cyr_to_lat(gunichar c)
{
	switch (c) {
	case 0x430:
		return 'a';
	case 0x432:
		return 'b';
	case 0x441:
		return 'c';
	case 0x435:
		return 'e';
	case 0x43D:
		return 'h';
	case 0x43A:
		return 'k';
	case 0x43C:
		return 'm';
	case 0x43E:
		return 'o';
	case 0x440:
		return 'p';
	case 0x442:
		return 't';
	case 0x445:
		return 'x';
	case 0x443:
		return 'y';
	case 0x456:
		return 'i'; /* і */
	case 0x455:
		return 's'; /* ѕ */
	case 0x458:
		return 'j'; /* ј */
	default:
		return 0;
	}
}

static gunichar leet_map(gunichar c, int script)
{
	gboolean cyr = script == NORM_SCRIPT_CYR;
	switch (c) {
	case '0':
		return cyr ? 0x43E : 'o';
	case '1':
		return cyr ? 0x438 : 'i';
	case '3':
		return cyr ? 0x437 : 'e';
	case '4':
		return cyr ? 0x447 : 'a';
	case '6':
		return cyr ? 0x431 : 'b';
	case '9':
		return cyr ? 0x44F : 'g';
	case '@':
		return cyr ? 0x430 : 'a';
	case '$':
		return cyr ? 0x441 : 's';
	default:
		return c;
	}
}

static gboolean is_vowel(gunichar c)
{
	switch (c) {
	case 'a':
	case 'e':
	case 'i':
	case 'o':
	case 'u':
	case 'y':
	case 0x430:
	case 0x435:
	case 0x438:
	case 0x43E:
	case 0x443:
	case 0x44B:
	case 0x44D:
	case 0x44E:
	case 0x44F:
		return TRUE;
	default:
		return FALSE;
	}
}

typedef struct {
	gunichar *cp;
	guint32 *pos; /* byte offset of each char in n->s, pos[nc] = end */
	guint8 *cls;
	guint nc;
} chars;

typedef struct {
	guint32 first, last; /* char indexes (inclusive) in the text */
	guint32 ustart, nu;  /* its units: char indexes of letters/leet in the word */
	gboolean joined;
} raw_word;

/* Appends c to the pool, which holds room for it most of the time. */
static inline void pool_put(GString *pool, gunichar c)
{
	if (pool->len + 5 <= pool->allocated_len) {
		guchar *o = (guchar *)pool->str + pool->len;
		if (c < 0x80) {
			o[0] = c;
			pool->len += 1;
		} else if (c < 0x800) {
			o[0] = 0xC0 | (c >> 6);
			o[1] = 0x80 | (c & 0x3F);
			pool->len += 2;
		} else {
			pool->len += g_unichar_to_utf8(c, (char *)o);
		}
		pool->str[pool->len] = '\0';
	} else {
		g_string_append_unichar(pool, c);
	}
}

/* Appends len bytes to the pool, in place while it has room. */
static inline void pool_put_bytes(GString *pool, const char *b, gsize len)
{
	if (pool->len + len + 1 <= pool->allocated_len) {
		memmove(pool->str + pool->len, b, len); /* b may be in the pool */
		pool->len += len;
		pool->str[pool->len] = '\0';
	} else {
		g_string_append_len(pool, b, (gssize)len);
	}
}

typedef struct stemming {
	struct sb_stemmer *ru, *en;
	const guint8 *first; /* NULL or the first characters worth stemming */
} stemming;

/* Stems, remembered. A Snowball stem depends on the word and the language
 * only, and most of a letter's words recur from letter to letter. One table
 * for every thread: a slot holds a word of up to STEM_SLOT_BYTES bytes
 * (longer words are stemmed each time) and is guarded by one of STEM_LOCKS
 * mutexes. A word replaces whichever word had its slot. */
#define STEM_SLOTS 4096
#define STEM_SLOT_BYTES 40
#define STEM_LOCKS 64

typedef struct stem_slot {
	guint8 used, script, wlen, slen;
	char word[STEM_SLOT_BYTES];
	char stem[STEM_SLOT_BYTES];
} stem_slot;

static stem_slot stem_slots[STEM_SLOTS];
static GMutex stem_locks[STEM_LOCKS];

/* The stem of the NUL-terminated word w (wlen bytes) by st, the stemmer of
 * script; NULL when the stemmer fails. The stem is in buf (at least
 * STEM_SLOT_BYTES bytes) or the stemmer's own buffer, until the next call. */
static const char *stem_word(struct sb_stemmer *st, int script, const char *w, guint wlen,
                             char *buf, int *slen_r)
{
	guint k = (g_str_hash(w) ^ (guint)script) % STEM_SLOTS;
	stem_slot *sl = &stem_slots[k];
	GMutex *lock = &stem_locks[k % STEM_LOCKS];
	const sb_symbol *stem;
	int slen;

	if (wlen <= STEM_SLOT_BYTES) {
		g_mutex_lock(lock);
		if (sl->used && sl->script == script && sl->wlen == wlen &&
		    memcmp(sl->word, w, wlen) == 0) {
			memcpy(buf, sl->stem, sl->slen);
			*slen_r = sl->slen;
			g_mutex_unlock(lock);
			return buf;
		}
		g_mutex_unlock(lock);
	}
	stem = sb_stemmer_stem(st, (const sb_symbol *)w, (int)wlen);
	if (stem == NULL)
		return NULL;
	slen = sb_stemmer_length(st);
	if (wlen <= STEM_SLOT_BYTES && slen >= 0 && slen <= STEM_SLOT_BYTES) {
		g_mutex_lock(lock);
		sl->used = 1;
		sl->script = (guint8)script;
		sl->wlen = (guint8)wlen;
		sl->slen = (guint8)slen;
		memcpy(sl->word, w, wlen);
		memcpy(sl->stem, stem, (gsize)slen);
		g_mutex_unlock(lock);
	}
	*slen_r = slen;
	return (const char *)stem;
}

/* Whether the folded word w (three characters or more) is worth stemming:
 * its first two characters are plain Cyrillic or Latin letters, which the
 * stemmers keep, and some wanted stem begins with them. Not y: English
 * "dying", "lying" and "tying" stem to "die", "lie" and "tie". */
static gboolean stem_wanted(const stemming *sm, const char *w)
{
	if (sm->first == NULL)
		return TRUE;
	const char *p = w;
	for (int k = 0; k < 2; k++) {
		gunichar c = norm_pair_char(p); /* ASCII and two bytes inline */
		if (!((c >= 'a' && c <= 'z' && c != 'y') || (c >= 0x430 && c <= 0x44F)))
			return TRUE;
		p = g_utf8_next_char(p);
	}
	guint b = norm_pair(w);
	return (sm->first[b >> 3] >> (b & 7)) & 1;
}

/* Masks over а-я (bit c - 0x430) and a-z (bit c - 'a'): letters with a
 * look-alike in the other alphabet, and vowels; made from cyr_to_lat(),
 * lat_to_cyr() and is_vowel() so that both paths of tok_emit() agree. */
static guint32 plain_masks[4]; /* cyr look-alike, cyr vowel, lat look-alike, lat vowel */

gboolean norm_fast_paths = TRUE;

static gpointer plain_masks_init(gpointer unused)
{
	(void)unused;
	for (gunichar c = 0; c < 32; c++) {
		if (cyr_to_lat(0x430 + c))
			plain_masks[0] |= 1u << c;
		if (is_vowel(0x430 + c))
			plain_masks[1] |= 1u << c;
		if (c < 26 && lat_to_cyr('a' + c))
			plain_masks[2] |= 1u << c;
		if (c < 26 && is_vowel('a' + c))
			plain_masks[3] |= 1u << c;
	}
	return NULL;
}

/* The common word, fast: plain small letters of one alphabet (а-я or a-z)
 * that stay in it (no leetspeak, no look-alike folding). Fills t (spans,
 * script, flags, the folded word in the pool), *vowels_r and *maxrun_r as
 * the general path would; FALSE (nothing written) for any other word. */
static gboolean plain_word(norm_tokens *ts, const norm_text *n, const chars *ch, const raw_word *w,
                           const guint32 *u, int text_dom, norm_token *t, guint *vowels_r,
                           guint *maxrun_r)
{
	static GOnce once = G_ONCE_INIT;
	guint nu = w->nu, only = 0, vowels = 0, run = 0, maxrun = 0;
	gunichar base = ch->cp[u[0]] >= 0x430 ? 0x430 : 'a';
	guint span = base == 0x430 ? 32 : 26;
	const guint32 *m;

	g_once(&once, plain_masks_init, NULL);
	m = plain_masks + (base == 0x430 ? 0 : 2);
	for (guint i = 0; i < nu; i++) {
		guint k = ch->cp[u[i]] - base;
		if (k >= span || ch->cls[u[i]] != C_LETTER)
			return FALSE;
		only += !((m[0] >> k) & 1);
		if ((m[1] >> k) & 1) {
			vowels++;
			run = 0;
		} else if (++run > maxrun) {
			maxrun = run;
		}
	}
	/* all look-alikes: the text's main script decides (see tok_emit) */
	if (!only && text_dom == (base == 0x430 ? NORM_SCRIPT_LAT : NORM_SCRIPT_CYR))
		return FALSE;
	t->nstart = ch->pos[w->first];
	t->nend = ch->pos[w->last + 1];
	t->ostart = n->ostart[t->nstart];
	t->oend = n->oend[t->nend - 1];
	t->script = base == 0x430 ? NORM_SCRIPT_CYR : NORM_SCRIPT_LAT;
	t->flags = base == 0x430 ? NORM_TOK_RAW_CYR : NORM_TOK_RAW_LATIN;
	if (w->joined)
		t->flags |= NORM_TOK_DISGUISED;
	t->woff = ts->pool->len;
	if (w->last - w->first + 1 == nu) /* no separators: the text's own bytes */
		pool_put_bytes(ts->pool, n->s->str + t->nstart, t->nend - t->nstart);
	else
		for (guint i = 0; i < nu; i++)
			pool_put(ts->pool, ch->cp[u[i]]);
	*vowels_r = vowels;
	*maxrun_r = maxrun;
	return TRUE;
}

static void tok_emit(norm_tokens *ts, const norm_text *n, const chars *ch, const raw_word *w,
                     const guint32 *u, int text_dom, const stemming *sm)
{
	norm_token t = {0};
	guint nu = w->nu, vowels = 0, maxrun = 0;
	int script;
	if (norm_fast_paths && plain_word(ts, n, ch, w, u, text_dom, &t, &vowels, &maxrun)) {
		script = t.script;
		goto tail;
	}
	guint cyr = 0, lat = 0, cyr_only = 0, lat_only = 0, leet = 0;
	gboolean digit_run = FALSE;
	for (guint i = 0; i < nu; i++) {
		gunichar c = ch->cp[u[i]];
		if (ch->cls[u[i]] == C_LEET) {
			leet++;
			/* a leet digit touching another digit is part of a number */
			if (g_ascii_isdigit(c) && ((u[i] > 0 && ch->cp[u[i] - 1] < 0x80 &&
			                            g_ascii_isdigit(ch->cp[u[i] - 1])) ||
			                           (u[i] + 1 < ch->nc && ch->cp[u[i] + 1] < 0x80 &&
			                            g_ascii_isdigit(ch->cp[u[i] + 1]))))
				digit_run = TRUE;
			if (c < 0x80 && g_ascii_isdigit(c) && i + 1 < nu &&
			    ch->cp[u[i + 1]] < 0x80 && g_ascii_isdigit(ch->cp[u[i + 1]]))
				digit_run = TRUE;
			continue;
		}
		int s = script_of(c);
		if (s == NORM_SCRIPT_CYR) {
			cyr++;
			if (!cyr_to_lat(c))
				cyr_only++;
		} else if (s == NORM_SCRIPT_LAT) {
			lat++;
			if (!lat_to_cyr(c))
				lat_only++;
		}
	}
	guint letters = nu - leet;
	if (letters == 0)
		return;
	if (leet > 0 && (digit_run || letters < 2 || leet > letters)) {
		/* Not leetspeak: numbers next to letters. Emit the letter runs alone. */
		guint from = 0;
		for (guint i = 0; i <= nu; i++) {
			if (i == nu || ch->cls[u[i]] == C_LEET) {
				if (i > from) {
					raw_word part = {u[from], u[i - 1], 0, i - from, FALSE};
					tok_emit(ts, n, ch, &part, u + from, text_dom, sm);
				}
				from = i + 1;
			}
		}
		ts->nonwords++;
		return;
	}

	if (cyr_only && !lat_only)
		script = NORM_SCRIPT_CYR;
	else if (lat_only && !cyr_only)
		script = NORM_SCRIPT_LAT;
	else if (cyr_only && lat_only)
		script = cyr >= lat ? NORM_SCRIPT_CYR : NORM_SCRIPT_LAT;
	else if (cyr && !lat)
		script = text_dom == NORM_SCRIPT_LAT ? NORM_SCRIPT_LAT : NORM_SCRIPT_CYR;
	else if (lat && !cyr)
		script = text_dom == NORM_SCRIPT_CYR ? NORM_SCRIPT_CYR : NORM_SCRIPT_LAT;
	else if (cyr || lat)
		script = cyr > lat   ? NORM_SCRIPT_CYR
		         : lat > cyr ? NORM_SCRIPT_LAT
		                     : (text_dom ? text_dom : NORM_SCRIPT_CYR);
	else
		script = NORM_SCRIPT_OTHER;

	t.nstart = ch->pos[w->first];
	t.nend = ch->pos[w->last + 1];
	t.ostart = n->ostart[t.nstart];
	t.oend = n->oend[t.nend - 1];
	t.script = script;
	if (lat > cyr)
		t.flags |= NORM_TOK_RAW_LATIN;
	else if (cyr > lat)
		t.flags |= NORM_TOK_RAW_CYR;
	if (w->joined || leet)
		t.flags |= NORM_TOK_DISGUISED;
	t.woff = ts->pool->len;
	guint run = 0;
	for (guint i = 0; i < nu; i++) {
		gunichar c = ch->cp[u[i]], d = c;
		if (ch->cls[u[i]] == C_LEET)
			d = leet_map(c, script);
		else if (script == NORM_SCRIPT_CYR && script_of(c) == NORM_SCRIPT_LAT)
			d = lat_to_cyr(c) ? lat_to_cyr(c) : c;
		else if (script == NORM_SCRIPT_LAT && script_of(c) == NORM_SCRIPT_CYR)
			d = cyr_to_lat(c) ? cyr_to_lat(c) : c;
		if (d != c)
			t.flags |= NORM_TOK_DISGUISED;
		pool_put(ts->pool, d);
		if (is_vowel(d)) {
			vowels++;
			run = 0;
		} else if (++run > maxrun) {
			maxrun = run;
		}
	}
tail:
	t.wlen = MIN(ts->pool->len - t.woff, G_MAXUINT16);
	t.nchars = MIN(nu, G_MAXUINT16);
	g_string_append_c(ts->pool, '\0');
	if (script != NORM_SCRIPT_OTHER && ((nu >= 3 && vowels == 0) || maxrun >= 6)) {
		t.flags |= NORM_TOK_NONWORD;
		ts->nonwords++;
	}
	if (nu >= 2 && (t.flags & NORM_TOK_RAW_LATIN))
		ts->lat_words++;
	else if (nu >= 2 && (t.flags & NORM_TOK_RAW_CYR))
		ts->cyr_words++;

	struct sb_stemmer *st = script == NORM_SCRIPT_CYR   ? sm->ru
	                        : script == NORM_SCRIPT_LAT ? sm->en
	                                                    : NULL;
	const char *word = ts->pool->str + t.woff;
	const char *stem = NULL;
	char stem_buf[STEM_SLOT_BYTES];
	int slen = 0;
	/* no wanted stem could equal a skipped word's: it gets an empty one */
	gboolean skip = st && nu >= 3 && !stem_wanted(sm, word);
	if (st && nu >= 3 && !skip)
		stem = stem_word(st, script, word, t.wlen, stem_buf, &slen);
	t.soff = ts->pool->len;
	if (skip) {
		t.slen = 0;
	} else if (stem) {
		pool_put_bytes(ts->pool, stem, (gsize)slen);
		t.slen = MIN(slen, G_MAXUINT16);
	} else {
		/* the word itself (g_string_append_len copes with a source inside the pool) */
		pool_put_bytes(ts->pool, ts->pool->str + t.woff, t.wlen);
		t.slen = t.wlen;
	}
	g_string_append_c(ts->pool, '\0');
	g_array_append_val(ts->tok, t);
}

/* Segments of a run split at separators are joined when one side is short
 * ("с.у.к.а", "сим-карта", "хуй.ня"); two long words stay apart
 * ("дела.Пока"). */
#define JOIN_SHORT 3

norm_tokens *norm_tokenize(const norm_text *n, const guint32 *skip, guint nskip, void *stem_ru,
                           void *stem_en)
{
	return norm_tokenize_for(n, skip, nskip, stem_ru, stem_en, NULL);
}

norm_tokens *norm_tokenize_for(const norm_text *n, const guint32 *skip, guint nskip, void *stem_ru,
                               void *stem_en, const guint8 *stem_first)
{
	const stemming sm = {stem_ru, stem_en, stem_first};
	norm_tokens *ts = g_new0(norm_tokens, 1);
	ts->tok = g_array_sized_new(FALSE, FALSE, sizeof(norm_token), n->s->len / 6 + 4);
	ts->pool = g_string_sized_new(n->s->len * 2 + 16);
	int dom = NORM_SCRIPT_OTHER;
	if (n->cyr_letters > 2 * n->lat_letters)
		dom = NORM_SCRIPT_CYR;
	else if (n->lat_letters > 2 * n->cyr_letters)
		dom = NORM_SCRIPT_LAT;

	chars ch;
	gsize blen = n->s->len;
	ch.cp = g_new(gunichar, blen + 1);
	ch.pos = g_new(guint32, blen + 1);
	ch.cls = g_new(guint8, blen + 1);
	ch.nc = 0;
	guint si = 0;
	const guchar *ub = (const guchar *)n->s->str;
	for (guint32 off = 0; off < blen;) {
		while (si < nskip && skip[2 * si + 1] <= off)
			si++;
		gunichar c;
		guint32 step;
		if (ub[off] < 0x80) {
			c = ub[off];
			step = 1;
		} else if ((ub[off] & 0xE0) == 0xC0) {
			c = ((ub[off] & 0x1Fu) << 6) | (ub[off + 1] & 0x3Fu);
			step = 2;
		} else {
			c = g_utf8_get_char((const char *)ub + off);
			step = g_utf8_skip[ub[off]];
		}
		ch.cp[ch.nc] = c;
		ch.pos[ch.nc] = off;
		ch.cls[ch.nc] = (si < nskip && skip[2 * si] <= off) ? C_BLOCK : char_class(c);
		ch.nc++;
		off += step;
	}
	ch.pos[ch.nc] = blen;

	/* Pass 1: raw words with in-word separators. Two words have a
	 * character between them that neither includes: at most nc / 2 + 1. */
	raw_word *rw = g_new(raw_word, ch.nc / 2 + 1);
	guint nw = 0;
	GArray *units = g_array_sized_new(FALSE, FALSE, sizeof(guint32), ch.nc + 1);
	guint i = 0;
	while (i < ch.nc) {
		int k = ch.cls[i];
		if (k != C_LETTER && k != C_LEET) {
			i++;
			continue;
		}
		raw_word w = {i, i, units->len, 0, FALSE};
		guint seg = 0;
		gboolean any_letter = FALSE;
		while (i < ch.nc) {
			k = ch.cls[i];
			if (k == C_LETTER || k == C_LEET) {
				any_letter |= k == C_LETTER;
				/* sized for every character: no growth */
				((guint32 *)units->data)[units->len++] = i;
				w.nu++;
				w.last = i;
				seg++;
				i++;
				continue;
			}
			if (k != C_SEP)
				break;
			guint j = i;
			while (j < ch.nc && ch.cls[j] == C_SEP && j - i < 3)
				j++;
			if (j >= ch.nc || (ch.cls[j] != C_LETTER && ch.cls[j] != C_LEET))
				break;
			guint nextseg = 0;
			for (guint m = j;
			     m < ch.nc && (ch.cls[m] == C_LETTER || ch.cls[m] == C_LEET); m++)
				nextseg++;
			if (seg > JOIN_SHORT && nextseg > JOIN_SHORT)
				break;
			w.joined = TRUE;
			seg = 0;
			i = j;
		}
		if (!any_letter) {
			g_array_set_size(units, w.ustart);
			continue;
		}
		rw[nw++] = w;
	}

	/* Pass 2: join runs of three or more single letters ("х у й"). */
	for (guint a = 0; a < nw;) {
		guint b = a;
		while (rw[a].nu == 1 && b + 1 < nw && rw[b + 1].nu == 1) {
			guint gap = rw[b + 1].first - rw[b].last - 1;
			gboolean ok = gap >= 1 && gap <= 3;
			for (guint m = rw[b].last + 1; ok && m < rw[b + 1].first; m++)
				ok = ch.cls[m] == C_SPACE || ch.cls[m] == C_SEP;
			if (!ok)
				break;
			b++;
		}
		if (b - a + 1 >= 3) {
			guint32 *ju = g_new(guint32, b - a + 1);
			for (guint m = a; m <= b; m++)
				ju[m - a] = g_array_index(units, guint32, rw[m].ustart);
			raw_word w = {rw[a].first, rw[b].last, 0, b - a + 1, TRUE};
			tok_emit(ts, n, &ch, &w, ju, dom, &sm);
			g_free(ju);
			a = b + 1;
		} else {
			tok_emit(ts, n, &ch, &rw[a], (const guint32 *)units->data + rw[a].ustart,
			         dom, &sm);
			a++;
		}
	}
	g_array_free(units, TRUE);
	g_free(rw);
	g_free(ch.cp);
	g_free(ch.pos);
	g_free(ch.cls);
	return ts;
}

void norm_tokens_free(norm_tokens **ts)
{
	if (ts == NULL || *ts == NULL)
		return;
	g_array_free((*ts)->tok, TRUE);
	g_string_free((*ts)->pool, TRUE);
	g_free(*ts);
	*ts = NULL;
}

char *norm_word(const char *entry, void *stem_ru, void *stem_en, char **stem_r)
{
	char *word = NULL;
	norm_text *n = norm_new(entry, strlen(entry));
	norm_tokens *ts = norm_tokenize(n, NULL, 0, stem_ru, stem_en);
	if (ts->tok->len == 1) {
		norm_token *t = &g_array_index(ts->tok, norm_token, 0);
		word = g_strdup(NORM_WORD(ts, t));
		if (stem_r)
			*stem_r = g_strdup(NORM_STEM(ts, t));
	}
	norm_tokens_free(&ts);
	norm_free(&n);
	return word;
}

int norm_script_of(const char *word)
{
	for (const char *s = word; *s; s = g_utf8_next_char(s)) {
		int k = script_of(g_utf8_get_char(s));
		if (k != NORM_SCRIPT_OTHER)
			return k;
	}
	return NORM_SCRIPT_OTHER;
}
