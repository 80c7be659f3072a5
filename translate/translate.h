/*
 * translate/translate.h - language identification and translation into
 * Russian behind one interface.
 *
 * Contract:
 *  - translate_new() builds a translator from the configuration; `store` may
 *    be NULL (no cache). Returns NULL with *err on a bad configuration.
 *    A translator is safe to use from many threads.
 *  - translate_detect() returns the language code ("ru", "uk", "be", "en",
 *    ...) of a text, or "unknown"; a static string.
 *  - translate_letter() fills *out (caller calls translation_clear()):
 *      LG_TR_OK          out->text_ru is the Russian text (the original when
 *                        it was Russian already; translated = FALSE then),
 *                        out->lang and out->backend set;
 *      LG_TR_UNAVAILABLE every backend for the language failed (network,
 *                        timeout, 5xx, quota): temporary; *err says why;
 *      LG_TR_NO_BACKEND  no backend is configured for the language (or it is
 *                        "unknown"): a human must translate.
 *    out->lang is set in every case.
 *
 * How a letter is read (translate_letter):
 *  - Language ID answers only codes from cfg->languages (Russian always),
 *    else "unknown" (also for other languages, which are never answered as
 *    Russian). Each paragraph (blank-line separated) is identified on its
 *    own; paragraphs too short or unsure take the letter's main language
 *    (the one with most letters). So a Russian letter with an English
 *    quotation gets only the quotation translated: out->lang = "ru",
 *    translated = TRUE, out->from = "en".
 *  - Too short to tell: a letter whose language comes out "unknown" and
 *    that has fewer than 200 letters (or fewer than cfg->short_text_chars)
 *    follows cfg->short_text: "russian" = taken as Russian when it is
 *    mostly Cyrillic without Ukrainian/Belarusian letters (else as
 *    "hold"); "hold" = LG_TR_NO_BACKEND, lang "unknown"; "unknown" = routed
 *    like any unidentified text (an explicit "unknown:" route, else
 *    LG_TR_NO_BACKEND).
 *  - cfg->routes: "LANG:BACKEND[,BACKEND...];..." where LANG is an ISO
 *    639-1 code, "*" (every identified language without its own entry) or
 *    "unknown" (unidentified text; source auto-detected by the backend:
 *    libretranslate, deepl). BACKEND is apertium, libretranslate or deepl,
 *    tried in the order given; "none" means no backend. Spaces are
 *    ignored; "ru" is refused. Example (the default):
 *    "uk:apertium;be:apertium;*:deepl,libretranslate". A backend is usable
 *    when configured: apertium needs apertium_url, libretranslate needs
 *    libretranslate_url (key optional), deepl needs deepl_url and
 *    deepl_key_file; unusable ones are skipped. No usable backend for a
 *    language -> LG_TR_NO_BACKEND.
 *  - Each translator request has cfg->translate_timeout_ms. A backend that
 *    fails (network, timeout, 429, DeepL 456, 5xx, other 4xx, bad answer)
 *    gives way to the next one in the route; when all fail:
 *    LG_TR_UNAVAILABLE.
 *  - Paragraphs, line breaks, list markers and indentation are kept as they
 *    were; only the words are sent (a line that continues a sentence is
 *    joined to it). Emails, URLs, domains and numbers of 6 digits or more
 *    (phones, postal codes) are replaced by placeholders before sending and
 *    put back after. Units over 3,000 bytes are split at line, sentence and
 *    word boundaries; requests are packed within each API's limit.
 *  - With a store, each unit's translation is cached under (backend, source
 *    language, "ru", SHA-256 of the masked unit): out->backend is then
 *    "cache:<backend>" when nothing needed a live request. Cache errors
 *    are logged and ignored.
 *  - Nothing of the letter's text is ever logged.
 */
#ifndef LG_TRANSLATE_H
#define LG_TRANSLATE_H

#include <glib.h>
#include "conf/config.h"

struct lg_store;
typedef struct lg_translator lg_translator;

typedef enum {
	LG_TR_OK = 0,
	LG_TR_UNAVAILABLE,
	LG_TR_NO_BACKEND,
} lg_tr_status;

typedef struct lg_translation {
	char *lang;
	gboolean translated;
	char *text_ru;
	char *backend; /* "apertium", "libretranslate", "deepl", "cache:<b>", "" */
	char *from;    /* comma list of the languages machine-translated, in order
	                  of size ("en", "uk,en"); "" when nothing was translated */
} lg_translation;

lg_translator *translate_new(const lg_config *cfg, struct lg_store *store, GError **err);
void translate_free(lg_translator **t);
const char *translate_detect(lg_translator *t, const char *text);
lg_tr_status translate_letter(lg_translator *t, const char *text, lg_translation *out,
                              GError **err);
void translation_clear(lg_translation *tr);

/* Language name in Russian for the machine-translation notice
 * ("английского"), in the genitive; "иностранного" for codes it does not
 * know. A static string. */
const char *translate_lang_name_ru(const char *lang);
/* Names for a comma list such as out->from: "английского",
 * "украинского и английского", "немецкого, французского и английского".
 * New string. */
char *translate_lang_names_ru(const char *langs);

#endif
