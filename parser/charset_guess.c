/* parser/charset_guess.c - see charset_guess.h. */
#include "parser/charset_guess.h"

#include <math.h>
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
#define W_SYMBOL (-3.0f)    /* box drawing, currency, №...: rarer in a letter */
#define W_FOREIGN (-7.6f)   /* a letter outside the language's table (0.5 per mille) */
#define W_MARK (-5.0f)      /* a combining mark (Hebrew points) */
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
				bi->w = punct ? 0 : W_SYMBOL;
			}
		}
	}
	return NULL;
}

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
	for (int c = C_1253; c < N_CAND; c++)
		if (st[c].score > st[best].score)
			best = c;
	/* Russian is what this gateway mostly reads: another script must win
	 * over both Cyrillic readings by a quarter of a nat a byte and more.
	 * A Russian letter is seldom all in capitals; Hebrew read as KOI8-R
	 * always is, with plausible letters. */
	float ru = MAX(st[C_1251].score + W_CAPS_WORD * (float)st[C_1251].caps_words,
	               st[C_KOI8].score + W_CAPS_WORD * (float)st[C_KOI8].caps_words);
	if (st[best].score > ru + 2.0f + (float)high / 4.0f)
		return best == C_1253 ? greek_of(p, len) : cands[best].charset;
	cyr = koi_lower > cp_lower ? C_KOI8 : C_1251;
	/* unless the letters read clearly better in the other (a text in
	 * capitals, which the case rule takes for the other's small letters) */
	if (st[C_1251 + C_KOI8 - cyr].score > st[cyr].score + 2.0f + (float)high / 8.0f)
		cyr = C_1251 + C_KOI8 - cyr;
	return cands[cyr].charset;
}
