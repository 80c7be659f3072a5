/*
 * translate/translate_int.h - internals of translate/, shared by its files
 * and its unit tests. Not for other modules: use translate/translate.h.
 *
 * Files: langid.c (language identification), text.c (paragraphs, masking,
 * splitting), route.c (routes setting), backend.c (HTTP backends, curl
 * pool), translate.c (the translator: orchestration and cache).
 */
#ifndef LG_TRANSLATE_INT_H
#define LG_TRANSLATE_INT_H

#include <glib.h>

/* ---- langid.c ---------------------------------------------------------- */

typedef struct lg_langid lg_langid;

/* Builds an identifier that may answer only the codes in `languages` (comma
 * list of ISO 639-1 codes; each needs a libexttextcat fingerprint in
 * `lm_dir`, NULL = /usr/share/libexttextcat/). Other languages are loaded
 * as guards: a text in one of them comes out "unknown". Texts with fewer
 * than `short_chars` letters come out "unknown". NULL with *err on an
 * unknown code or unreadable fingerprints. Thread-safe. */
lg_langid *langid_new(const char *languages, const char *lm_dir, int short_chars, GError **err);
void langid_free(lg_langid **l);
/* Language code of text[0..len) (len -1: NUL-terminated), a static string,
 * "unknown" when unsure, too short or not configured; only the first 16 KB
 * are read (a language shows there; textcat's cost grows with a text's
 * distinct n-grams). *short_r (may be
 * NULL) is set TRUE when the text was too short or too unsure to tell. */
const char *langid_detect(lg_langid *l, const char *text, gssize len, gboolean *unsure_r);
/* TRUE when code is one of the configured languages. */
gboolean langid_configured(const lg_langid *l, const char *code);

/* ---- text.c ------------------------------------------------------------ */

/* One piece of a letter: text to keep as is (separators, list markers,
 * indentation, lines without letters) or a unit to translate. */
typedef struct lg_piece {
	char *text;
	gboolean translate; /* FALSE: copied verbatim */
	int para;           /* paragraph index (blank-line separated) */
} lg_piece;

/* Splits text into pieces. Concatenating every piece's text gives back the
 * input exactly. Translatable pieces are runs of lines of one paragraph
 * (a soft-wrapped sentence stays together), without their list markers
 * ("- ", "* ", "• ", "1. ", "a) "), indentation or trailing spaces. Soft
 * line breaks inside a unit become spaces when translated. Returns a new
 * array of lg_piece* that frees them; *n_paras_r gets the paragraph count. */
GPtrArray *text_pieces(const char *text, int *n_paras_r);
void piece_free(gpointer p);

/* Replaces email addresses, URLs, phone numbers and long digit runs by
 * placeholders "⟦n⟧" (n from 1) that translators leave alone; the
 * originals are appended to `saved` (char*, owned by it). New string. */
char *text_mask(const char *text, GPtrArray *saved);
/* Puts the originals back (also "⟦ n ⟧" spacing variants); placeholders a
 * translator dropped get their originals appended in parentheses. New
 * string. */
char *text_unmask(const char *text, GPtrArray *saved);
/* Splits text into pieces of at most max_bytes each, at paragraph, then
 * line, then sentence, then word boundaries (a hard cut only inside a word
 * longer than max_bytes, never inside a UTF-8 sequence). Concatenating the
 * pieces gives back the text. New array of char*. */
GPtrArray *text_split(const char *text, gsize max_bytes);

/* ---- route.c ----------------------------------------------------------- */

typedef enum { LG_BK_APERTIUM = 0, LG_BK_LIBRETRANSLATE, LG_BK_DEEPL, LG_BK_COUNT } lg_bk_kind;

const char *backend_kind_name(lg_bk_kind k);

/* Routes: "lang:backend[,backend...];..." (see translate.h). The parsed
 * form maps a source code ("uk", "*", "unknown") to an ordered list. */
typedef struct lg_routes lg_routes;
lg_routes *routes_parse(const char *spec, GError **err);
void routes_free(lg_routes **r);
/* Backends for lang in fallback order (GArray of int, values lg_bk_kind,
 * owned by the routes), NULL when none ("none" or no entry). "unknown" only
 * matches an explicit "unknown:" entry, "ru" never matches. */
const GArray *routes_for(const lg_routes *r, const char *lang);

/* ---- backend.c --------------------------------------------------------- */

typedef struct lg_backend lg_backend;

/* url: endpoint (APy base URL, LibreTranslate base URL, DeepL full
 * .../v2/translate URL); key may be NULL. */
lg_backend *backend_new(lg_bk_kind kind, const char *url, const char *key, int timeout_ms);
void backend_free(lg_backend **b);
lg_bk_kind backend_kind(const lg_backend *b);
/* Largest request the backend takes, in bytes of text. */
gsize backend_max_bytes(const lg_backend *b);
/* Translates each item of `in` (char*) from src ("uk", or "unknown" for
 * auto-detection) to Russian; on success returns TRUE and a new array of
 * char* in *out_r, same length and order. FALSE with *err (LG_TR_ERROR,
 * code LG_TR_ERR_*) on any failure: nothing partial is returned. */
gboolean backend_translate(lg_backend *b, const char *src, GPtrArray *in, GPtrArray **out_r,
                           GError **err);

#define LG_TR_ERROR (lg_tr_error_quark())
GQuark lg_tr_error_quark(void);
typedef enum {
	LG_TR_ERR_NETWORK = 1, /* connect, DNS, TLS, reset */
	LG_TR_ERR_TIMEOUT,
	LG_TR_ERR_RATE,     /* 429 */
	LG_TR_ERR_QUOTA,    /* DeepL 456 */
	LG_TR_ERR_SERVER,   /* 5xx */
	LG_TR_ERR_REFUSED,  /* other 4xx: bad key, unsupported pair */
	LG_TR_ERR_PROTOCOL, /* unreadable answer */
} lg_tr_errc;

/* ISO 639-3 code APy uses for an ISO 639-1 code, NULL when unknown. */
const char *backend_iso3(const char *lang);

#endif
