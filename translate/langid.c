/*
 * translate/langid.c - language identification: libexttextcat restricted to
 * the configured languages plus "guard" languages, and the letters unique to
 * each Cyrillic language. See translate_int.h.
 *
 * Why guards: textcat picks the nearest of the fingerprints it has. With only
 * the configured ones, Bulgarian comes out Russian and Czech comes out
 * Polish. With guard languages loaded, such texts win a guard, and a guard
 * answer is "unknown". Guards are chosen by hand: with every fingerprint
 * loaded, Rusyn beats Belarusian.
 *
 * Why letters: textcat cannot tell ru/uk/be apart on short texts (their
 * n-grams overlap), but their alphabets differ: only uk has ї є ґ, only be
 * has ў, uk and be have і (and no ы/э resp. и/щ), only ru and be have
 * ы э ё, only ru has ъ among the three.
 */
#include "translate/translate_int.h"

#include <libexttextcat/textcat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LANGID_LM_DIR "/usr/share/libexttextcat/"
/* Below this many letters an answer must be clear (one textcat candidate
 * within 3 %, or a telling letter); above, textcat's first choice stands. */
#define LANGID_SURE_LETTERS 80
/* bytes of a text language identification reads (its beginning) */
#define LANGID_MAX_BYTES 16384

/* Scripts of a fingerprint or a text. */
enum { SC_LAT = 0, SC_CYR, SC_OTH, SC_N };

/* Languages loaded as guards when not configured. Codes whose fingerprint
 * file has another name are mapped in lm_files(). */
static const char *const guard_langs[] = {
    /* Cyrillic */
    "ru",
    "uk",
    "be",
    "bg",
    "mk",
    "sr",
    "kk",
    "ky",
    "tt",
    "mn",
    "tg",
    /* Latin */
    "en",
    "de",
    "fr",
    "es",
    "pl",
    "it",
    "pt",
    "nl",
    "cs",
    "sk",
    "sl",
    "hr",
    "bs",
    "sv",
    "da",
    "nb",
    "fi",
    "et",
    "lv",
    "lt",
    "tr",
    "ro",
    "hu",
    "ca",
    "gl",
    "eu",
    "af",
    "sq",
    "is",
    "cy",
    "ga",
    "id",
    "eo",
    "lb",
    "ca",
    "gl",
    /* other scripts */
    "he",
    "ar",
    "fa",
    "el",
    "hy",
    "ka",
    "hi",
    "zh",
    "ja",
    "ko",
    "th",
};

/* Guards so close to a configured language that they only win when no
 * configured language scores within textcat's 3 % window: Galician beats
 * Portuguese and Catalan beats Spanish on formal text otherwise. */
static const char *const weak_guards[] = {"ca", "gl", "ro", "af", "lb", "eo"};

/* A textcat handle over one group of fingerprints. */
typedef struct tc_group {
	void *h;
	int n;
} tc_group;

struct lg_langid {
	GMutex lock;            /* textcat handles are not documented as reentrant */
	tc_group script[SC_N];  /* configured + guards, by script */
	tc_group ukbe, rube;    /* restricted pairs for the Cyrillic rules */
	GHashTable *configured; /* interned code -> itself */
	/* A configured language other than ru, uk, be has a fingerprint in
	 * this script's group: without one, any answer of the group is
	 * "unknown" and textcat need not run (see langid_detect()). */
	gboolean conf_in[SC_N];
	int short_chars;
};

static const char *intern_code(const char *code)
{
	return g_intern_string(code);
}

/* Fingerprint files of a code ("sr" -> sr-Cyrl.lm, sr-Latn.lm). */
static GPtrArray *lm_files(const char *dir, const char *code)
{
	static const char *const suffixes[] = {"", "-Cyrl", "-Latn", "-Hans"};
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	for (size_t i = 0; i < G_N_ELEMENTS(suffixes); i++) {
		char *f = g_strdup_printf("%s%s.lm", code, suffixes[i]);
		char *p = g_build_filename(dir, f, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
			g_ptr_array_add(files, f);
		else
			g_free(f);
		g_free(p);
		if (i == 0 && files->len)
			break;
	}
	return files;
}

/* Script of a fingerprint: the script most of its n-gram letters are in. */
static int lm_script(const char *dir, const char *file)
{
	char *p = g_build_filename(dir, file, NULL), *data = NULL;
	glong n[SC_N] = {0, 0, 0};
	int best = SC_OTH, lines = 0;
	if (g_file_get_contents(p, &data, NULL, NULL)) {
		for (const char *s = data; *s && lines < 200; s = g_utf8_next_char(s)) {
			gunichar c = g_utf8_get_char_validated(s, -1);
			if (c == (gunichar)-1 || c == (gunichar)-2)
				break;
			if (c == '\n')
				lines++;
			else if (c >= 0x400 && c <= 0x52f)
				n[SC_CYR]++;
			else if (c < 0x250 && g_unichar_isalpha(c))
				n[SC_LAT]++;
			else if (g_unichar_isalpha(c))
				n[SC_OTH]++;
		}
		best = n[SC_CYR] > n[SC_LAT] ? SC_CYR : SC_LAT;
		if (n[SC_OTH] > n[best])
			best = SC_OTH;
	}
	g_free(data);
	g_free(p);
	return best;
}

/* Builds a textcat handle from "file name" lines; NULL handle when empty. */
static gboolean group_init(tc_group *g, const char *dir, GString *conf, int n, GError **err)
{
	char *path = NULL;
	int fd;
	g->n = n;
	g->h = NULL;
	if (n == 0)
		return TRUE;
	fd = g_file_open_tmp("lg-langid-XXXXXX.conf", &path, err);
	if (fd < 0)
		return FALSE;
	if (write(fd, conf->str, conf->len) != (ssize_t)conf->len) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_IO, "langid: cannot write %s", path);
		close(fd);
		unlink(path);
		g_free(path);
		return FALSE;
	}
	close(fd);
	g->h = special_textcat_Init(path, dir);
	unlink(path);
	g_free(path);
	if (g->h == NULL) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT,
		            "langid: cannot load fingerprints from %s", dir);
		return FALSE;
	}
	textcat_SetProperty(g->h, TCPROP_MINIMUM_DOCUMENT_SIZE, 1);
	return TRUE;
}

static void group_done(tc_group *g)
{
	if (g->h)
		textcat_Done(g->h);
	g->h = NULL;
}

static void conf_add(GString *conf, const char *file, const char *code)
{
	g_string_append_printf(conf, "%s %s\n", file, code);
}

lg_langid *langid_new(const char *languages, const char *lm_dir, int short_chars, GError **err)
{
	lg_langid *l = g_new0(lg_langid, 1);
	GString *conf[SC_N], *ukbe = g_string_new(NULL), *rube = g_string_new(NULL);
	int n[SC_N] = {0, 0, 0}, n_ukbe = 0, n_rube = 0;
	char **codes = g_strsplit(languages ? languages : "", ",", -1);
	gboolean ok = FALSE;
	const char *dir = lm_dir ? lm_dir : LANGID_LM_DIR;

	g_mutex_init(&l->lock);
	l->short_chars = short_chars;
	l->configured = g_hash_table_new(g_str_hash, g_str_equal);
	for (int s = 0; s < SC_N; s++)
		conf[s] = g_string_new(NULL);
	g_hash_table_add(l->configured, (gpointer)intern_code("ru"));
	for (char **c = codes; *c; c++) {
		g_strstrip(*c);
		if (**c == '\0')
			continue;
		GPtrArray *files = lm_files(dir, *c);
		if (files->len == 0) {
			g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT,
			            "languages: no fingerprint for \"%s\" in %s", *c, dir);
			g_ptr_array_unref(files);
			goto out;
		}
		g_ptr_array_unref(files);
		g_hash_table_add(l->configured, (gpointer)intern_code(*c));
	}
	/* Every configured language and every guard, grouped by script. */
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	GList *all = g_hash_table_get_keys(l->configured);
	for (size_t i = 0; i < G_N_ELEMENTS(guard_langs); i++)
		all = g_list_append(all, (gpointer)guard_langs[i]);
	for (GList *it = all; it; it = it->next) {
		const char *code = it->data;
		if (g_hash_table_contains(seen, code))
			continue;
		/* Galician and Catalan beat Spanish and Portuguese outright on
		 * formal text: with either configured, they are left out (such
		 * letters come out Spanish or Portuguese). */
		if ((!strcmp(code, "gl") || !strcmp(code, "ca")) &&
		    !g_hash_table_contains(l->configured, code) &&
		    (langid_configured(l, "es") || langid_configured(l, "pt")))
			continue;
		g_hash_table_add(seen, (gpointer)code);
		GPtrArray *files = lm_files(dir, code);
		for (guint i = 0; i < files->len; i++) {
			const char *f = files->pdata[i];
			int s = lm_script(dir, f);
			conf_add(conf[s], f, code);
			n[s]++;
			if (g_hash_table_contains(l->configured, code) && strcmp(code, "ru") &&
			    strcmp(code, "uk") && strcmp(code, "be"))
				l->conf_in[s] = TRUE;
			if (!strcmp(code, "uk") || !strcmp(code, "be")) {
				conf_add(ukbe, f, code);
				n_ukbe++;
			}
			if (!strcmp(code, "ru") || !strcmp(code, "be")) {
				conf_add(rube, f, code);
				n_rube++;
			}
		}
		g_ptr_array_unref(files);
	}
	g_list_free(all);
	g_hash_table_unref(seen);
	for (int s = 0; s < SC_N; s++)
		if (!group_init(&l->script[s], dir, conf[s], n[s], err))
			goto out;
	if (!group_init(&l->ukbe, dir, ukbe, n_ukbe, err) ||
	    !group_init(&l->rube, dir, rube, n_rube, err))
		goto out;
	ok = TRUE;
out:
	for (int s = 0; s < SC_N; s++)
		g_string_free(conf[s], TRUE);
	g_string_free(ukbe, TRUE);
	g_string_free(rube, TRUE);
	g_strfreev(codes);
	if (!ok)
		langid_free(&l);
	return l;
}

void langid_free(lg_langid **lp)
{
	lg_langid *l = *lp;
	if (l == NULL)
		return;
	for (int s = 0; s < SC_N; s++)
		group_done(&l->script[s]);
	group_done(&l->ukbe);
	group_done(&l->rube);
	if (l->configured)
		g_hash_table_unref(l->configured);
	g_mutex_clear(&l->lock);
	g_free(l);
	*lp = NULL;
}

gboolean langid_configured(const lg_langid *l, const char *code)
{
	return code && g_hash_table_contains(l->configured, code);
}

/* Best fingerprint for text; *n_r = how many scored within textcat's 3 %
 * of the best (1 = a clear answer). NULL when nothing loaded or no answer. */
static const char *group_best(lg_langid *l, tc_group *g, const char *text, gsize len, int *n_r)
{
	candidate_t *c;
	const char *best = NULL;
	int n;
	*n_r = 0;
	if (g->h == NULL)
		return NULL;
	g_mutex_lock(&l->lock);
	c = textcat_GetClassifyFullOutput(g->h);
	n = textcat_ClassifyFull(g->h, text, len, c);
	if (n > 0) {
		best = intern_code(c[0].name);
		*n_r = n;
		for (size_t w = 0; w < G_N_ELEMENTS(weak_guards); w++) {
			if (strcmp(best, weak_guards[w]) || langid_configured(l, best))
				continue;
			for (int i = 1; i < n; i++)
				if (langid_configured(l, c[i].name)) {
					best = intern_code(c[i].name);
					break;
				}
			break;
		}
	}
	textcat_ReleaseClassifyFullOutput(g->h, c);
	g_mutex_unlock(&l->lock);
	return best;
}

static gboolean is_cyr(gunichar c)
{
	return c >= 0x400 && c <= 0x52f;
}

typedef struct letter_counts {
	glong lat, cyr, oth;
	glong cyr_foreign;      /* Cyrillic letters of none of ru, uk, be */
	glong i;                /* і, and Latin i between Cyrillic letters */
	glong yi;               /* ї є ґ: Ukrainian only */
	glong u;                /* ў: Belarusian only */
	glong y, e, yo;         /* ы э ё: ru and be */
	glong hard;             /* ъ: ru (and bg) */
	glong ii, shch;         /* и щ: ru and uk */
	glong bg_hard;          /* ъ before a consonant or at a word's end: bg */
	glong w_ru, w_uk, w_bg; /* function words only that language has */
	glong bg_suffix;        /* long words ending like a bg article */
} letter_counts;

/* Frequent words that exist in one of ru, uk, bg only: they decide
 * Cyrillic texts without a telling letter ("Вони говорять про себе"). */
static const char *const words_ru[] = {
    "что",   "это",   "они",   "мы",      "вы",      "ты",      "был",    "была", "было", "были",
    "его",   "её",    "ее",    "который", "которая", "которые", "только", "если", "уже",  "нет",
    "очень", "когда", "чтобы", "тоже",    "сейчас",  "потому",  "где",    "себя", "меня", "тебя",
};
static const char *const words_uk[] = {
    "вони", "що",  "це", "або",  "від",   "щоб",  "але",  "також", "дуже", "буде", "було",
    "була", "був", "ми", "ви",   "й",     "цей",  "ця",   "якщо",  "коли", "тебе", "мене",
    "нас",  "вже", "ще", "нема", "немає", "його", "свою", "які",   "який", "яка",  "яке",
};
static const char *const words_bg[] = {
    "е",      "са",     "че",       "се",      "във",     "със",   "към",  "това",   "тази",
    "този",   "които",  "която",    "който",   "което",   "беше",  "бяха", "ще",     "съм",
    "сме",    "сте",    "някои",    "нещо",    "след",    "между", "също", "защото", "обаче",
    "може",   "трябва", "години",   "година",  "си",      "му",    "ги",   "тя",     "сред",
    "всички", "всичко", "всичките", "колкото", "толкова", "така",
};

/* Longest word in the three lists, in bytes (checked when the table is
 * built); longer words are never looked up. */
#define WORD_MAX 32

/* One table for the three lists: word -> bits (1 ru, 2 uk, 4 bg), built
 * once; a letter's words are looked up once each instead of scanned for.
 * Most words have no entry: a word is looked up only when some entry has its
 * length and first letter (first[letters]: bit k, a first letter U+0430 + k). */
typedef struct word_table {
	GHashTable *t;
	guint64 first[WORD_MAX / 2 + 1];
} word_table;

static gpointer word_table_init(gpointer unused)
{
	word_table *wt = g_new0(word_table, 1);
	const char *const *lists[] = {words_ru, words_uk, words_bg};
	const size_t sizes[] = {G_N_ELEMENTS(words_ru), G_N_ELEMENTS(words_uk),
	                        G_N_ELEMENTS(words_bg)};
	(void)unused;
	wt->t = g_hash_table_new(g_str_hash, g_str_equal);
	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; i < sizes[l]; i++) {
			const char *w = lists[l][i];
			gunichar c = g_utf8_get_char(w);
			g_assert(strlen(w) <= WORD_MAX && c >= 0x430 && c < 0x470);
			wt->first[g_utf8_strlen(w, -1)] |= G_GUINT64_CONSTANT(1) << (c - 0x430);
			guint bits = GPOINTER_TO_UINT(g_hash_table_lookup(wt->t, w));
			g_hash_table_insert(wt->t, (gpointer)w, GUINT_TO_POINTER(bits | (1u << l)));
		}
	return wt;
}

/* w: lower-case Cyrillic letters (two bytes each), len bytes, at most
 * WORD_MAX, NUL-terminated. */
static guint word_bits(const char *w, gsize len)
{
	static GOnce once = G_ONCE_INIT;
	const word_table *wt = g_once(&once, word_table_init, NULL);
	gunichar c = (((guchar)w[0] & 0x1Fu) << 6) | ((guchar)w[1] & 0x3Fu);
	if (c < 0x430 || c >= 0x470 || !((wt->first[len / 2] >> (c - 0x430)) & 1))
		return 0;
	return GPOINTER_TO_UINT(g_hash_table_lookup(wt->t, w));
}

/* The character at p (p < end) and its length, as g_utf8_get_char() and
 * g_utf8_next_char() give them; ASCII and two-byte characters inline. */
static inline gunichar next_char(const char *p, const char *end, const char **next_r)
{
	unsigned char b = (unsigned char)p[0];
	if (b < 0x80) {
		*next_r = p + 1;
		return b;
	}
	if ((b & 0xE0) == 0xC0 && p + 1 < end && ((unsigned char)p[1] & 0xC0) == 0x80) {
		*next_r = p + 2;
		return ((gunichar)(b & 0x1F) << 6) | ((unsigned char)p[1] & 0x3F);
	}
	*next_r = g_utf8_next_char(p);
	return g_utf8_get_char(p);
}

/* g_unichar_isalpha() and g_unichar_tolower(), inline for ASCII and
 * U+0400..U+052F (where only U+0482..U+0489 are not letters, and lower
 * case stays in the block). */
static inline gboolean is_alpha(gunichar c)
{
	if (c < 0x80)
		return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	if (is_cyr(c))
		return c < 0x482 || c > 0x489;
	return g_unichar_isalpha(c);
}

static inline gunichar to_lower(gunichar c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 0x20 : c;
	if (c >= 0x400 && c < 0x410)
		return c + 0x50;
	if (c >= 0x410 && c < 0x430)
		return c + 0x20;
	if (c >= 0x430 && c < 0x460)
		return c;
	return g_unichar_tolower(c);
}

/* A word of Cyrillic letters, lower case, as it is read. */
typedef struct word_acc {
	char buf[WORD_MAX + 1];
	gsize len;        /* bytes of the whole word (all its letters are 2 bytes) */
	gunichar last[3]; /* its last three letters, last[2] the last */
} word_acc;

static void word_add(word_acc *w, gunichar lc)
{
	if (w->len + 2 <= WORD_MAX) {
		w->buf[w->len] = (char)(0xC0 | (lc >> 6));
		w->buf[w->len + 1] = (char)(0x80 | (lc & 0x3F));
	}
	w->len += 2;
	w->last[0] = w->last[1];
	w->last[1] = w->last[2];
	w->last[2] = lc;
}

static gboolean word_ends(const word_acc *w, gunichar a, gunichar b, gunichar c)
{
	return w->last[0] == a && w->last[1] == b && w->last[2] == c;
}

static void word_end(word_acc *w, letter_counts *k)
{
	if (w->len == 0)
		return;
	if (w->len <= WORD_MAX) {
		w->buf[w->len] = '\0';
		guint bits = word_bits(w->buf, w->len);
		k->w_ru += (bits & 1) != 0;
		k->w_uk += (bits & 2) != 0;
		k->w_bg += (bits & 4) != 0;
	}
	/* Bulgarian definite articles; Russian has such endings too
	 * ("зарплата"), so two of them count as one word. */
	if (w->len >= 10 && (word_ends(w, 0x43E, 0x442, 0x43E) || /* ото */
	                     word_ends(w, 0x438, 0x442, 0x435) || /* ите */
	                     word_ends(w, 0x430, 0x442, 0x430) || /* ата */
	                     word_ends(w, 0x438, 0x44F, 0x442)))  /* ият */
		k->bg_suffix++;
	w->len = 0;
}

/* One pass over text[0..len): letters by script, the telling letters and
 * the function words (words are read up to the first NUL, as a C string). */
static void count_letters(const char *text, gsize len, letter_counts *k)
{
	const char *end = text + len, *np;
	gunichar prev = 0;
	word_acc w = {.len = 0};
	gboolean words = TRUE;
	memset(k, 0, sizeof(*k));
	for (const char *p = text; p < end; p = np) {
		gunichar c = next_char(p, end, &np), lc, next;
		if (c == 0 && words) {
			word_end(&w, k);
			words = FALSE;
		}
		if (!is_alpha(c)) {
			if (words)
				word_end(&w, k);
			prev = c;
			continue;
		}
		lc = to_lower(c);
		if (words) {
			if (is_cyr(c))
				word_add(&w, lc);
			else
				word_end(&w, k);
		}
		if ((lc == 'i') && (is_cyr(prev) || (np < end && is_cyr(g_utf8_get_char(np))))) {
			k->cyr++;
			k->i++;
		} else if (is_cyr(c)) {
			k->cyr++;
			switch (lc) {
			case 0x456:
				k->i++;
				break; /* і */
			case 0x457:
			case 0x454:
			case 0x491:
				k->yi++;
				break; /* ї є ґ */
			case 0x45e:
				k->u++;
				break; /* ў */
			case 0x44b:
				k->y++;
				break; /* ы */
			case 0x44d:
				k->e++;
				break; /* э */
			case 0x451:
				k->yo++;
				break; /* ё */
			case 0x44a:    /* ъ */
				k->hard++;
				/* Russian ъ stands only before е ё ю я. */
				next = np < end ? g_unichar_tolower(g_utf8_get_char(np)) : 0;
				if (next != 0x435 && next != 0x451 && next != 0x44e &&
				    next != 0x44f)
					k->bg_hard++;
				break;
			case 0x438:
				k->ii++;
				break; /* и */
			case 0x449:
				k->shch++;
				break; /* щ */
			default:
				if (lc > 0x44f && lc != 0x45e)
					k->cyr_foreign++;
			}
		} else if (c < 0x250 || (c >= 0x1e00 && c <= 0x1eff)) {
			k->lat++;
		} else {
			k->oth++;
		}
		prev = c;
	}
	if (words)
		word_end(&w, k);
}

/* ru, uk or be (or a guard) for a mostly Cyrillic text, by the rules. */
static const char *decide_cyrillic_rules(lg_langid *l, const char *text, gsize len,
                                         const letter_counts *k, gboolean *unsure)
{
	int n = 0;
	/* ъ is not counted: Bulgarian uses it all the time. */
	glong ru_marks = k->y + k->e + k->yo;
	const char *r;

	if (k->cyr_foreign >= 3 || k->cyr_foreign * 50 >= k->cyr) {
		/* Serbian, Macedonian, Kazakh...: never one of ours. */
		if (!l->conf_in[SC_CYR])
			return "unknown"; /* what any answer would come to */
		r = group_best(l, &l->script[SC_CYR], text, len, &n);
		return (r && strcmp(r, "ru") && strcmp(r, "uk") && strcmp(r, "be")) ? r : "unknown";
	}
	if (k->yi || k->u) {
		/* A Russian text quoting one Ukrainian or Belarusian word. */
		if ((k->i + k->yi + k->u) * 100 < k->cyr && ru_marks > k->i + k->yi + k->u &&
		    k->ii > 0)
			return "ru";
		if (k->yi > k->u)
			return "uk";
		if (k->u > k->yi)
			return "be";
		r = group_best(l, &l->ukbe, text, len, &n);
		*unsure = n != 1;
		return r ? r : "unknown";
	}
	if (k->i) {
		if (k->i * 100 < k->cyr && ru_marks > 0 && k->ii > 0)
			return "ru";
		if (k->ii + k->shch > 0 && k->y + k->e == 0)
			return "uk";
		if (k->y + k->e > 0 && k->ii + k->shch == 0)
			return "be";
		r = group_best(l, &l->ukbe, text, len, &n);
		*unsure = n != 1;
		return r ? r : "unknown";
	}
	if (k->bg_hard > ru_marks || k->w_bg + k->bg_suffix / 2 > k->w_ru + ru_marks) {
		/* Bulgarian (or a text in it): a guard or a configured bg. */
		if (!l->conf_in[SC_CYR])
			return "unknown"; /* what any answer would come to */
		r = group_best(l, &l->script[SC_CYR], text, len, &n);
		return (r && strcmp(r, "ru") && strcmp(r, "uk") && strcmp(r, "be")) ? r : "unknown";
	}
	if (ru_marks) {
		if (k->ii + k->shch > 0)
			return "ru";
		r = group_best(l, &l->rube, text, len, &n);
		*unsure = n != 1;
		return r ? r : "unknown";
	}
	/* None of the telling letters: words, then n-grams on longer texts. */
	if (k->w_uk > k->w_ru && k->w_uk > k->w_bg)
		return "uk";
	if (k->w_ru > k->w_uk && k->w_ru > k->w_bg)
		return "ru";
	r = group_best(l, &l->script[SC_CYR], text, len, &n);
	*unsure = n != 1 || k->cyr < LANGID_SURE_LETTERS;
	return r ? r : "unknown";
}

/* The rules, then a veto: a text that n-grams place in a guard language
 * (Bulgarian, Serbian, Kazakh without their own letters) is not ours unless
 * an alphabet-unique letter (ї є ґ ў) said so. */
static const char *decide_cyrillic(lg_langid *l, const char *text, gsize len,
                                   const letter_counts *k, gboolean *unsure)
{
	const char *r = decide_cyrillic_rules(l, text, len, k, unsure), *g;
	int n = 0;
	if (strcmp(r, "ru") && strcmp(r, "uk") && strcmp(r, "be"))
		return r;
	if (k->yi + k->u > 0 || (!strcmp(r, "ru") && k->y + k->e + k->yo > 0))
		return r;
	g = group_best(l, &l->script[SC_CYR], text, len, &n);
	if (g && !langid_configured(l, g))
		return "unknown";
	return r;
}

const char *langid_detect(lg_langid *l, const char *text, gssize len, gboolean *unsure_r)
{
	letter_counts k;
	gsize n_bytes = len < 0 ? strlen(text) : (gsize)len;
	gboolean unsure = FALSE;
	const char *r = "unknown";
	int n = 0;

	if (unsure_r)
		*unsure_r = FALSE;
	/* a language shows in its first pages; textcat's cost grows with the
	 * text's distinct n-grams (4 MB of decoded noise took minutes) */
	if (n_bytes > LANGID_MAX_BYTES) {
		const char *end = text + LANGID_MAX_BYTES;
		while (end > text && ((guchar)*end & 0xC0) == 0x80)
			end--; /* not inside a character */
		n_bytes = (gsize)(end - text);
	}
	count_letters(text, n_bytes, &k);
	if (k.lat + k.cyr + k.oth < (glong)MAX(l->short_chars, 1)) {
		if (unsure_r)
			*unsure_r = TRUE;
		return "unknown";
	}
	if (k.cyr >= k.lat && k.cyr >= k.oth) {
		r = decide_cyrillic(l, text, n_bytes, &k, &unsure);
	} else {
		/* A Cyrillic-script answer for a Latin text is impossible here:
		 * the Latin group has Latin fingerprints only. */
		int sc = k.lat >= k.oth ? SC_LAT : SC_OTH;
		/* With no configured language in the group the answer is
		 * "unknown" whatever textcat says; only *unsure_r needs it. */
		if (!unsure_r && !l->conf_in[sc])
			return "unknown";
		r = group_best(l, &l->script[sc], text, n_bytes, &n);
		unsure = n != 1;
	}
	if (r == NULL)
		r = "unknown";
	/* Short texts must be clear; long ones keep textcat's first choice. */
	if (unsure && k.lat + k.cyr + k.oth < LANGID_SURE_LETTERS)
		r = "unknown";
	if (unsure_r)
		*unsure_r = unsure;
	if (!langid_configured(l, r))
		return "unknown";
	return r;
}
