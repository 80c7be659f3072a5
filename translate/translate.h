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
} lg_translation;

lg_translator *translate_new(const lg_config *cfg, struct lg_store *store, GError **err);
void translate_free(lg_translator **t);
const char *translate_detect(lg_translator *t, const char *text);
lg_tr_status translate_letter(lg_translator *t, const char *text, lg_translation *out,
			      GError **err);
void translation_clear(lg_translation *tr);

/* Language name in Russian for the machine-translation notice ("английского"). */
const char *translate_lang_name_ru(const char *lang);

#endif
