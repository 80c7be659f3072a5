/*
 * policy/normalize.h - text normalisation and word tokens for screening.
 *
 * Two layers, both keeping a map back to byte offsets of the original text:
 *
 *  1. norm_new(): the character layer. NFKC per grapheme (a base character
 *     and its combining marks), lower case, "ё" -> "е", zero-width characters
 *     and soft hyphens removed. Regular expressions run on this text.
 *     For every byte of n->s, ostart[i]/oend[i] give the byte span of the
 *     original text it came from. Invalid UTF-8 bytes become U+FFFD, NUL
 *     bytes spaces (n->s is a C string of the whole text).
 *
 *  2. norm_tokenize(): the word layer. Words are runs of letters; inside a
 *     word, separators ("с.у.к.а", "х-у-й") and leetspeak ("3" for "з",
 *     "0" for "о", "@" for "а", ...) are folded; runs of three or more
 *     single letters split by spaces or separators ("х у й") are joined;
 *     homoglyphs are folded into the word's script (Latin look-alikes inside
 *     a Cyrillic word and the reverse; in a mostly Cyrillic text, words made
 *     only of Latin look-alikes become Cyrillic). Each token carries its
 *     folded word, its Snowball stem (Russian for Cyrillic words, English for
 *     Latin words) and its spans. Characters inside `skip` spans (byte
 *     offsets in n->s, sorted, non-overlapping pairs) are not part of any
 *     word (used for URLs and addresses found first).
 *
 * Ownership: norm_free()/norm_tokens_free() release everything and set the
 * caller's pointer to NULL. Not thread-shared: one per screened text.
 */
#ifndef LG_NORMALIZE_H
#define LG_NORMALIZE_H

#include <glib.h>

typedef struct norm_text {
	GString *s;        /* normalised UTF-8 */
	guint32 *ostart;   /* per byte of s: original start byte */
	guint32 *oend;     /* per byte of s: original end byte */
	gsize olen;        /* length of the original text */
	guint cyr_letters; /* Cyrillic letters seen */
	guint lat_letters; /* Latin letters seen */
} norm_text;

enum {
	NORM_SCRIPT_OTHER = 0,
	NORM_SCRIPT_CYR = 1,
	NORM_SCRIPT_LAT = 2,
};

enum {
	NORM_TOK_NONWORD = 1 << 0,   /* no vowel, long consonant run, or mixed digits */
	NORM_TOK_RAW_LATIN = 1 << 1, /* written in Latin letters before folding */
	NORM_TOK_RAW_CYR = 1 << 2,   /* written in Cyrillic letters before folding */
	NORM_TOK_DISGUISED = 1 << 3, /* separators, leetspeak or homoglyphs folded */
};

typedef struct norm_token {
	guint32 nstart, nend; /* byte span in n->s */
	guint32 ostart, oend; /* byte span in the original text */
	guint32 woff, soff;   /* folded word and stem in the pool (NUL-terminated) */
	guint16 wlen, slen;   /* their byte lengths */
	guint16 nchars;       /* characters in the folded word */
	guint8 script;
	guint8 flags;
} norm_token;

typedef struct norm_tokens {
	GArray *tok;     /* norm_token */
	GString *pool;   /* words and stems */
	guint lat_words; /* words of two letters or more written in Latin */
	guint cyr_words; /* ... in Cyrillic */
	guint nonwords;  /* tokens flagged NORM_TOK_NONWORD */
} norm_tokens;

#define NORM_WORD(ts, t) ((ts)->pool->str + (t)->woff)
#define NORM_STEM(ts, t) ((ts)->pool->str + (t)->soff)

norm_text *norm_new(const char *text, gsize len);
void norm_free(norm_text **n);

/* Stemmers are created per call by the caller (they are not thread-safe)
 * and passed as opaque pointers (struct sb_stemmer *); either may be NULL. */
norm_tokens *norm_tokenize(const norm_text *n, const guint32 *skip, guint nskip, void *stem_ru,
                           void *stem_en);

/* Hash of the first two characters of s (which holds at least two): the bit
 * a word sets in a map of first characters (NORM_PAIR_BYTES bytes). */
#define NORM_PAIR_BYTES 8192
static inline gunichar norm_pair_char(const char *s)
{
	guchar c = (guchar)s[0];
	if (c < 0x80)
		return c;
	if ((c & 0xE0) == 0xC0) /* two bytes, inline: Cyrillic and accented Latin */
		return ((c & 0x1Fu) << 6) | ((guchar)s[1] & 0x3Fu);
	return g_utf8_get_char(s);
}
static inline guint norm_pair(const char *s)
{
	gunichar a = norm_pair_char(s);
	gunichar b = norm_pair_char(g_utf8_next_char(s));
	return ((a * 40503u) ^ b) & 0xFFFF;
}

/* norm_tokenize that stems only the words whose first two characters are
 * marked in stem_first (bit norm_pair()), the first characters of every stem
 * the caller looks for, each of two characters or more; the other words get
 * an empty stem (slen 0). Snowball's Russian and English stemmers keep a
 * word's first two letters (they remove and change endings only; ё is
 * already е; words with a y there are always stemmed: "lying" -> "lie"), so
 * such a word's stem could not equal one of the caller's.
 * Stemming is most of tokenising's cost, and most words are skipped.
 * stem_first NULL: every word is stemmed. */
norm_tokens *norm_tokenize_for(const norm_text *n, const guint32 *skip, guint nskip, void *stem_ru,
                               void *stem_en, const guint8 *stem_first);
void norm_tokens_free(norm_tokens **ts);

/* Tests only (not thread-safe to change): FALSE sends every word through
 * the tokenizer's general path; its fast path for plain words (small
 * letters of one alphabet) must give the same tokens. TRUE by default. */
extern gboolean norm_fast_paths;

/* Folds one rule entry (a single word) the same way as a text word:
 * returns the folded word, or NULL when the entry is not exactly one word.
 * With stem != NULL also returns its stem (*stem_r, new string). */
char *norm_word(const char *entry, void *stem_ru, void *stem_en, char **stem_r);

/* Script of a folded word's first letter. */
int norm_script_of(const char *word);

#endif
