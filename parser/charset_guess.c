/* parser/charset_guess.c - see charset_guess.h. */
#include "parser/charset_guess.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A letter and how often it occurs in running text of its language, per
 * mille (rounded; upper and lower case together). */
typedef struct freq {
	const char *letter;
	guint16 permille;
} freq;

static const freq RU[] = {{"о", 110}, {"е", 85}, {"а", 80}, {"и", 73}, {"н", 67}, {"т", 63},
                          {"с", 55},  {"р", 47}, {"в", 45}, {"л", 44}, {"к", 35}, {"м", 32},
                          {"д", 30},  {"п", 28}, {"у", 26}, {"я", 20}, {"ы", 19}, {"ь", 17},
                          {"г", 17},  {"з", 16}, {"б", 16}, {"ч", 14}, {"й", 12}, {"х", 10},
                          {"ж", 9},   {"ш", 7},  {"ю", 6},  {"ц", 5},  {"щ", 4},  {"э", 3},
                          {"ф", 3},   {"ъ", 1},  {"ё", 1},  {NULL, 0}};

static const freq EL[] = {
    {"α", 100}, {"τ", 80}, {"ο", 80}, {"ι", 70}, {"ε", 65}, {"ν", 65}, {"σ", 45}, {"η", 45},
    {"ρ", 45},  {"π", 40}, {"κ", 40}, {"υ", 35}, {"μ", 35}, {"ς", 30}, {"λ", 30}, {"ά", 20},
    {"δ", 18},  {"γ", 18}, {"έ", 18}, {"ί", 18}, {"ό", 18}, {"ω", 15}, {"χ", 12}, {"θ", 12},
    {"ή", 10},  {"φ", 9},  {"β", 7},  {"ύ", 6},  {"ξ", 5},  {"ώ", 5},  {"ζ", 4},  {"ψ", 2},
    {"ϊ", 1},   {"ϋ", 1},  {"ΐ", 1},  {"ΰ", 1},  {NULL, 0}};

static const freq HE[] = {{"י", 110}, {"ו", 100}, {"ה", 85}, {"ל", 65}, {"מ", 60}, {"א", 60},
                          {"ר", 55},  {"ת", 50},  {"ב", 45}, {"ש", 40}, {"נ", 40}, {"ע", 30},
                          {"כ", 25},  {"ד", 25},  {"ם", 25}, {"ק", 20}, {"ח", 20}, {"פ", 15},
                          {"ן", 15},  {"ס", 10},  {"ג", 10}, {"ט", 10}, {"צ", 8},  {"ז", 7},
                          {"ך", 5},   {"ף", 3},   {"ץ", 2},  {NULL, 0}};

static const freq AR[] = {
    {"ا", 120}, {"ل", 110}, {"ي", 70}, {"م", 60}, {"و", 60}, {"ن", 60}, {"ر", 45}, {"ه", 40},
    {"ب", 35},  {"ت", 35},  {"ع", 30}, {"ة", 25}, {"ف", 25}, {"ك", 25}, {"د", 25}, {"س", 25},
    {"ق", 20},  {"أ", 20},  {"ح", 20}, {"ج", 10}, {"إ", 10}, {"ى", 10}, {"ش", 10}, {"ص", 10},
    {"ط", 8},   {"ذ", 8},   {"خ", 7},  {"ث", 5},  {"ز", 5},  {"ض", 5},  {"ئ", 5},  {"غ", 4},
    {"ء", 4},   {"ظ", 2},   {"ؤ", 2},  {"آ", 2},  {NULL, 0}};

enum { C_1251, C_KOI8, C_1253, C_1255, C_1256, N_CAND };

static const struct {
	const char *charset;
	const freq *lang;
} cands[N_CAND] = {
    {"WINDOWS-1251", RU}, {"KOI8-R", RU},       {"WINDOWS-1253", EL},
    {"WINDOWS-1255", HE}, {"WINDOWS-1256", AR},
};

/* What a byte above 0x7F is in a candidate charset. */
enum { K_UNDEF, K_BREAK, K_SYMBOL, K_UPPER, K_LOWER, K_CASELESS };

typedef struct byte_info {
	float w;      /* log of its frequency (letters), a penalty, or 0 */
	guint8 kind;  /* K_* */
	guint8 sigma; /* 1: final sigma; 2: medial sigma */
} byte_info;

#define W_UNDEF (-12.0f)    /* a byte the charset does not define */
#define W_PUNCT (-2.5f)     /* «», dashes, Hebrew geresh...: as a common letter */
#define W_SYMBOL (-3.0f)    /* box drawing, currency, №...: rarer in a letter */
#define W_FOREIGN (-7.6f)   /* a letter outside the language's table (0.5 per mille) */
#define W_MARK (-5.0f)      /* a combining mark (Hebrew points) */
#define CYR_SWITCH_MIN 12   /* bytes: fewer keep the case rule (see below) */
#define W_CASE (-6.0f)      /* a capital after a small letter in one word */
#define W_CAPS_WORD (-2.0f) /* a Cyrillic word all in capitals, against other scripts */
#define W_SIGMA_IN (-6.0f)
#define W_SIGMA_END (-3.0f)

static byte_info table[N_CAND][128];

static float letter_weight(const freq *lang, gunichar lc)
{
	for (const freq *f = lang; f->letter; f++)
		if (g_utf8_get_char(f->letter) == lc)
			return logf((float)f->permille / 1000.0f);
	return W_FOREIGN;
}

static gpointer build_tables(gpointer unused)
{
	(void)unused;
	for (int c = 0; c < N_CAND; c++) {
		for (int b = 0x80; b <= 0xFF; b++) {
			byte_info *bi = &table[c][b - 0x80];
			char in[1] = {(char)b};
			gsize n = 0;
			char *u = g_convert(in, 1, "UTF-8", cands[c].charset, NULL, &n, NULL);
			gunichar ch =
			    u && n ? g_utf8_get_char_validated(u, (gssize)n) : (gunichar)-1;
			g_free(u);
			bi->w = 0;
			bi->sigma = 0;
			if (ch == (gunichar)-1 || ch == (gunichar)-2 || ch < 0xA0) {
				bi->kind = K_UNDEF; /* C1 controls count as undefined */
				bi->w = W_UNDEF;
			} else if (g_unichar_ismark(ch)) {
				bi->kind = K_CASELESS; /* Hebrew points: rare in today's text */
				bi->w = W_MARK;
			} else if (g_unichar_isalpha(ch)) {
				gunichar lc = g_unichar_tolower(ch);
				bi->kind = g_unichar_isupper(ch)   ? K_UPPER
				           : g_unichar_islower(ch) ? K_LOWER
				                                   : K_CASELESS;
				bi->w = letter_weight(cands[c].lang, lc);
				bi->sigma = lc == 0x3C2 ? 1 : lc == 0x3C3 ? 2 : 0;
			} else {
				GUnicodeType t = g_unichar_type(ch);
				gboolean punct = t == G_UNICODE_SPACE_SEPARATOR ||
				                 (t >= G_UNICODE_CONNECT_PUNCTUATION &&
				                  t <= G_UNICODE_OPEN_PUNCTUATION);
				bi->kind = punct ? K_BREAK : K_SYMBOL;
				bi->w = punct ? W_PUNCT : W_SYMBOL;
			}
		}
	}
	return NULL;
}

/* ---- Chinese, Japanese, Korean ------------------------------------------- */

/* The most frequent characters of running text: Korean syllables, Chinese
 * in simplified and in traditional characters. A text read in the right
 * charset is full of them; read in a wrong one, its characters are others
 * (Korean bytes read as GBK are Chinese characters, in no order of use). */
static const char KO_TOP[] = "이다는의에하고을가를지기한로서사리자도어수시대나일있습니요것으들해보"
                             "주게정전되아만우성라인국그드제상내부장여적면오구께님분말세안원까생"
                             "동중계방때러소았었했위화문미경비발모신업연개용공관학회음야거저너무"
                             "함단없더또알씀립";
static const char ZH_HANS[] = "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生"
                              "能而子那得于着下自之年过发后作里用道行所然家种事成方多经么去法学如都"
                              "同现当没动面起看定天分还进好小部其些主样理心她本前开但因只从想实问候"
                              "京北";
static const char ZH_HANT[] = "的一是不了在人有我他這個們中來上大為和國地到以說時要就出會可也你對生"
                              "能而子那得於著下自之年過發後作裡用道行所然家種事成方多經麼去法學如都"
                              "同現當沒動面起看定天分還進好小部其些主樣理心她本前開但因只從想實問候"
                              "京北";

typedef struct top_set {
	gunichar c[160];
	guint n;
} top_set;

static top_set top_ko, top_hans, top_hant;

static gint cmp_unichar(gconstpointer a, gconstpointer b)
{
	gunichar x = *(const gunichar *)a, y = *(const gunichar *)b;
	return x < y ? -1 : x > y;
}

static void top_init(top_set *t, const char *s)
{
	t->n = 0;
	for (; *s && t->n < G_N_ELEMENTS(t->c); s = g_utf8_next_char(s))
		t->c[t->n++] = g_utf8_get_char(s);
	qsort(t->c, t->n, sizeof t->c[0], cmp_unichar);
}

static gboolean top_has(const top_set *t, gunichar c)
{
	return bsearch(&c, t->c, t->n, sizeof c, cmp_unichar) != NULL;
}

enum { CJK_KO, CJK_JA, CJK_HANS, CJK_HANT };

static const struct {
	const char *charset;
	int lang;
} cjk_cands[] = {
    {"EUC-KR", CJK_KO}, {"CP949", CJK_KO}, {"SHIFT_JIS", CJK_JA}, {"CP932", CJK_JA},
    {"EUC-JP", CJK_JA}, {"GBK", CJK_HANS}, {"BIG5", CJK_HANT},
};

#define CJK_SAMPLE 65536 /* bytes tried in each charset */
#define CJK_MIN_CHARS 6  /* non-ASCII characters */
#define CJK_MIN_HITS 3   /* of the most frequent (Korean, Chinese) */

/* How much text (valid UTF-8) reads like the language: the share of its
 * non-ASCII characters that are the language's telling ones, or 0 when it
 * is not the language at all. */
static double cjk_score(const char *u, int lang)
{
	gsize n = 0, hangul = 0, kana = 0, han = 0, punct = 0, hits = 0;
	for (const char *q = u; *q; q = g_utf8_next_char(q)) {
		gunichar c = g_utf8_get_char(q);
		if (c < 0x80)
			continue;
		n++;
		if (c >= 0xAC00 && c <= 0xD7A3) {
			hangul++;
			hits += lang == CJK_KO && top_has(&top_ko, c);
		} else if (c >= 0x3040 && c <= 0x30FF) {
			kana++;
		} else if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)) {
			han++;
			hits += (lang == CJK_HANS && top_has(&top_hans, c)) ||
			        (lang == CJK_HANT && top_has(&top_hant, c));
		} else if ((c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFFEF) ||
		           (c >= 0x2000 && c <= 0x206F)) {
			punct++;
		}
	}
	if (n < CJK_MIN_CHARS || (lang != CJK_JA && hits < CJK_MIN_HITS))
		return 0;
	switch (lang) {
	case CJK_KO: /* mostly syllables, and the common ones among them */
		return hangul * 10 >= n * 6 && hits * 5 >= hangul ? (double)hits / (double)n : 0;
	case CJK_JA: /* Japanese prose is full of kana */
		return kana * 5 >= n && (kana + han + punct) * 10 >= n * 9
		           ? (double)kana / (double)n
		           : 0;
	default: /* Chinese characters, the common ones among them */
		return (han + punct) * 10 >= n * 9 && hits * 5 >= han && han > 0
		           ? (double)hits / (double)n
		           : 0;
	}
}

static gpointer cjk_init(gpointer unused)
{
	(void)unused;
	top_init(&top_ko, KO_TOP);
	top_init(&top_hans, ZH_HANS);
	top_init(&top_hant, ZH_HANT);
	return NULL;
}

/* Unlabelled 8-bit Chinese, Japanese or Korean: the charset in which every
 * byte of (the start of) the text reads and reads most like its language;
 * NULL when none does. */
static const char *cjk_of(const guchar *p, gsize len)
{
	static GOnce once = G_ONCE_INIT;
	const char *best = NULL;
	double best_score = 0;
	gsize n = len;
	g_once(&once, cjk_init, NULL);
	if (n > CJK_SAMPLE) { /* cut after a line end: never inside a character */
		const guchar *nl = NULL;
		for (gsize i = CJK_SAMPLE; i > 0 && nl == NULL; i--)
			if (p[i - 1] == '\n')
				nl = p + i;
		n = nl ? (gsize)(nl - p) : CJK_SAMPLE;
	}
	for (gsize k = 0; k < G_N_ELEMENTS(cjk_cands); k++) {
		gsize out_len = 0;
		char *u = g_convert((const char *)p, (gssize)n, "UTF-8", cjk_cands[k].charset, NULL,
		                    &out_len, NULL);
		double sc = u && strlen(u) == out_len ? cjk_score(u, cjk_cands[k].lang) : 0;
		g_free(u);
		if (sc > best_score) {
			best_score = sc;
			best = cjk_cands[k].charset;
		}
	}
	return best;
}

/* ---- single-byte charsets -------------------------------------------------- */

typedef struct cand_state {
	float score;
	guint caps_words;     /* words of two letters or more, all capitals */
	gboolean lower_seen;  /* a small letter earlier in this word */
	guint letters, upper; /* the word's letters and capitals so far */
	guint8 last_sigma;    /* the word's last letter was a sigma (1 final, 2 medial) */
} cand_state;

static void word_break(cand_state *s)
{
	if (s->last_sigma == 2)
		s->score += W_SIGMA_END;
	if (s->letters >= 2 && s->upper == s->letters)
		s->caps_words++;
	s->lower_seen = FALSE;
	s->letters = s->upper = 0;
	s->last_sigma = 0;
}

static void letter(cand_state *s, const byte_info *bi)
{
	s->score += bi->w;
	if (bi->kind == K_UPPER && s->lower_seen)
		s->score += W_CASE;
	if (bi->kind == K_LOWER)
		s->lower_seen = TRUE;
	s->letters++;
	s->upper += bi->kind == K_UPPER;
	if (s->last_sigma == 1)
		s->score += W_SIGMA_IN;
	s->last_sigma = bi->sigma;
}

/* Greek in ISO-8859-7 rather than windows-1253: its capital alpha with
 * tonos (0xB6; windows-1253 has it at 0xA2) begins a word more often. */
static const char *greek_of(const guchar *p, gsize len)
{
	gsize iso = 0, win = 0;
	for (gsize i = 0; i + 1 < len; i++) {
		if (p[i + 1] < 0xC0)
			continue;
		if (p[i] == 0xB6)
			iso++;
		else if (p[i] == 0xA2)
			win++;
	}
	return iso > win ? "ISO-8859-7" : "WINDOWS-1253";
}

const char *charset_guess_legacy(const guchar *p, gsize len)
{
	static GOnce once = G_ONCE_INIT;
	cand_state st[N_CAND];
	gsize high = 0, letters = 0, koi_lower = 0, cp_lower = 0;
	gsize i = 0;
	int best = C_1253, cyr;
	const char *cjk;

	g_once(&once, build_tables, NULL);
	memset(st, 0, sizeof st);
	/* In the words that hold bytes above 0x7F, Cyrillic, Greek, Hebrew
	 * and Arabic make (nearly) every letter one ("Ольга"), Latin accents
	 * only some ("Grüße", "José"). ASCII words (an address beside a name,
	 * English among Russian) do not count. */
	while (i < len) {
		gsize w_high = 0, w_len = 0;
		while (i < len && (p[i] >= 0x80 || g_ascii_isalpha(p[i]))) {
			if (p[i] >= 0x80) {
				w_high++;
				if (p[i] >= 0xC0 && p[i] <= 0xDF)
					koi_lower++; /* KOI8-R's lower case, windows-1251's upper */
				else if (p[i] >= 0xE0)
					cp_lower++; /* windows-1251's lower case, KOI8-R's upper */
				for (int c = 0; c < N_CAND; c++) {
					const byte_info *bi = &table[c][p[i] - 0x80];
					if (bi->kind >= K_UPPER) {
						letter(&st[c], bi);
					} else {
						st[c].score += bi->w;
						word_break(&st[c]);
					}
				}
			} else {
				for (int c = 0; c < N_CAND; c++) {
					if (g_ascii_islower(p[i]))
						st[c].lower_seen = TRUE;
					st[c].letters++;
					st[c].upper += g_ascii_isupper(p[i]) != 0;
					st[c].last_sigma = 0;
				}
			}
			w_len++;
			i++;
		}
		if (w_high > 0) {
			high += w_high;
			letters += w_len;
		}
		for (int c = 0; c < N_CAND; c++)
			word_break(&st[c]);
		if (w_len == 0)
			i++;
	}
	if (high == 0 || high * 10 < letters * 6)
		return "WINDOWS-1252";
	if ((cjk = cjk_of(p, len)) != NULL)
		return cjk;
	for (int c = C_1253; c < N_CAND; c++)
		if (st[c].score > st[best].score)
			best = c;
	/* Russian is what this gateway mostly reads: another script must win
	 * over both Cyrillic readings by a quarter of a nat a byte and 4 more
	 * (a few letters stay Cyrillic).
	 * A Russian letter is seldom all in capitals; Hebrew read as KOI8-R
	 * always is, with plausible letters. */
	float ru = MAX(st[C_1251].score + W_CAPS_WORD * (float)st[C_1251].caps_words,
	               st[C_KOI8].score + W_CAPS_WORD * (float)st[C_KOI8].caps_words);
	if (st[best].score > ru + 4.0f + (float)high / 4.0f)
		return best == C_1253 ? greek_of(p, len) : cands[best].charset;
	cyr = koi_lower > cp_lower ? C_KOI8 : C_1251;
	/* unless the letters of a dozen bytes or more read clearly better in
	 * the other, by a third of a nat a byte (a text in capitals, which the
	 * case rule takes for the other's small letters; not a few
	 * consonant-heavy word roots or an abbreviation) */
	if (high >= CYR_SWITCH_MIN &&
	    st[C_1251 + C_KOI8 - cyr].score > st[cyr].score + 2.0f + (float)high / 3.0f)
		cyr = C_1251 + C_KOI8 - cyr;
	return cands[cyr].charset;
}
