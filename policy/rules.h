/*
 * policy/rules.h - screening rule files: parser and compiled rule set.
 * Internal to policy/screen.c; the file format is documented in
 * policy/screen.h and at the top of every rule file in conf/rules.
 *
 * Contract:
 *  - rules_load() parses the given files in order. On success returns a new
 *    rules_set. On any error returns NULL and sets *err (LG_SCREEN_ERROR)
 *    to every problem found, one "file:line: message" per line; parsing goes
 *    on after an error so that `rules check` reports them all.
 *  - A rules_set is read-only after load (thread-safe to share).
 *  - rules_set_free() releases everything and sets the pointer NULL.
 */
#ifndef LG_RULES_H
#define LG_RULES_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <glib.h>
#include <pcre2.h>
#include <string.h>

#include "policy/letter.h"
#include "policy/normalize.h"

typedef enum {
	EL_STEM = 'S',   /* same Snowball stem */
	EL_WORD = 'W',   /* same folded word */
	EL_PREFIX = 'P', /* word starts with */
	EL_ROOT = 'R',   /* word contains */
	EL_ANY = '*',    /* any one word */
	EL_GAP = '.',    /* zero to RULES_GAP words */
} rule_el_kind;

#define RULES_GAP 3

typedef struct rule_el {
	int kind;
	guint len; /* bytes of s */
	char *s;
} rule_el;

typedef struct rule_seq {
	rule_el *el;
	guint n;
	guint span; /* most tokens it can cover */
} rule_seq;

typedef enum {
	HEUR_LATIN_SHARE = 1, /* share of words written in Latin letters */
	HEUR_NONWORD_SHARE,   /* share of tokens that are not words */
	HEUR_QUOTE_CHARS,     /* longest quoted passage, characters */
} rule_heur_kind;

typedef struct rule_heur {
	int kind;
	double arg;
	double min; /* words needed before a share means anything */
} rule_heur;

/* A compiled regex with what any match needs in the text (a prefilter,
 * computed at load; see rules_regex_can_match()). */
#define RULES_REQ_MAX 8

typedef struct rule_req {
	guint64 ascii[2]; /* ASCII characters that satisfy it */
	gboolean udigit;  /* so does any non-ASCII decimal digit (\d with UCP) */
} rule_req;

typedef struct rule_regex {
	pcre2_code *re;
	gboolean has_first; /* a match starts with a byte of first[] */
	guint64 first[4];   /* from PCRE2's start bitmap or first code unit */
	guint nreq;         /* the text holds a character of each req[] */
	rule_req req[RULES_REQ_MAX];
} rule_regex;

/* What a text holds, for the prefilter: every byte value present, and
 * whether some non-ASCII character might be a decimal digit. */
typedef struct rules_text_info {
	guint64 bytes[4];
	gboolean udigit;
} rules_text_info;

void rules_text_info_init(rules_text_info *ti, const char *s, gsize len);

/* FALSE when `re` cannot match anywhere in a text described by `ti`. */
gboolean rules_regex_can_match(const rule_regex *re, const rules_text_info *ti);

typedef struct rule {
	char *id;
	char *category;
	char *lang; /* NULL: any language */
	lg_action action;
	double score;
	char *reason_en;
	char *reason_ru;
	char *file;
	int line;
	guint index;
	GPtrArray *seqs;    /* rule_seq*: stems, words, prefixes, roots, phrases */
	GPtrArray *excepts; /* rule_seq* */
	GPtrArray *regexes; /* rule_regex* */
	GArray *heur;       /* rule_heur */
} rule;

typedef struct seq_ref {
	guint rule;
	guint seq;
} seq_ref;

/* A cheap hash of a heads key (kind byte and text, len bytes), for the
 * filter in front of the heads table: most words a letter holds head no
 * rule, and the table's own lookup costs several times more. */
#define RULES_BLOOM_BYTES 16384
static inline guint rules_key_hash(const char *k, gsize len)
{
	guint64 h = (guint64)len * G_GUINT64_CONSTANT(0x9E3779B97F4A7C15);
	while (len >= 8) {
		guint64 v;
		memcpy(&v, k, 8);
		h = (h ^ v) * G_GUINT64_CONSTANT(0x9E3779B97F4A7C15);
		h ^= h >> 29;
		k += 8;
		len -= 8;
	}
	if (len > 0) {
		guint64 v = 0;
		memcpy(&v, k, len);
		h = (h ^ v) * G_GUINT64_CONSTANT(0x9E3779B97F4A7C15);
		h ^= h >> 29;
	}
	return (guint)(h >> 32) % (RULES_BLOOM_BYTES * 8);
}

#define RULES_LEN_SLOTS 4096
#define RULES_PAIR_SLOT(pair) ((pair) & (RULES_LEN_SLOTS - 1))

typedef struct rules_set {
	GPtrArray *rules;    /* rule* */
	GHashTable *heads;   /* "K" + text -> GArray of seq_ref (first element of a seq) */
	guint64 prefix_lens; /* bit k: some prefix has k bytes */
	guint64 root_lens;
	/* by a word's first two characters (slot RULES_PAIR_SLOT(norm_pair())):
	 * bit k, some prefix or root beginning so has k bytes. Pairs sharing a
	 * slot share its bits, which only makes the filter looser. */
	guint64 prefix_lens_at[RULES_LEN_SLOTS];
	guint64 root_lens_at[RULES_LEN_SLOTS];
	guint8 head_first[NORM_PAIR_BYTES];   /* bit norm_pair(): some stem, word or prefix head
	                                         begins so */
	gboolean head_short;                  /* some stem or word head has one character */
	guint8 head_bloom[RULES_BLOOM_BYTES]; /* bit rules_key_hash() of every heads key: a
	                                         key whose bit is clear is not there */
	guint8 stem_first[NORM_PAIR_BYTES];   /* bit norm_pair(): some stem element begins so */
	gboolean stem_short;                  /* some stem element has one character */
	GHashTable *cat_en;                   /* category -> reason */
	GHashTable *cat_ru;
	guint nfiles;
} rules_set;

#define LG_SCREEN_ERROR (lg_screen_error_quark())
GQuark lg_screen_error_quark(void);

rules_set *rules_load(const char *const *files, guint nfiles, GError **err);
void rules_set_free(rules_set **rs);

/* The *.rules files of a folder, sorted; NULL with *err when unreadable or
 * empty. A path naming a file is returned as the only entry. */
GPtrArray *rules_files(const char *path, GError **err);

#endif
