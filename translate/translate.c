/* translate/translate.c - see translate.h. FIRST VERSION: Russian passes, the rest needs a human. */
#include "translate/translate.h"

#include <string.h>

struct lg_translator {
	int unused;
};

lg_translator *translate_new(const lg_config *cfg, struct lg_store *store, GError **err)
{
	(void)cfg;
	(void)store;
	(void)err;
	return g_new0(lg_translator, 1);
}

void translate_free(lg_translator **t)
{
	g_free(*t);
	*t = NULL;
}

const char *translate_detect(lg_translator *t, const char *text)
{
	glong cyr = 0, lat = 0;
	(void)t;
	for (const char *p = text; p && *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if (c >= 0x400 && c <= 0x4ff)
			cyr++;
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
			lat++;
	}
	if (cyr > 0 && cyr >= lat * 4)
		return "ru";
	if (lat > 0 && lat > cyr)
		return "en";
	return "unknown";
}

lg_tr_status translate_letter(lg_translator *t, const char *text, lg_translation *out,
			      GError **err)
{
	(void)err;
	memset(out, 0, sizeof(*out));
	out->lang = g_strdup(translate_detect(t, text));
	out->backend = g_strdup("");
	if (strcmp(out->lang, "ru") == 0) {
		out->text_ru = g_strdup(text);
		return LG_TR_OK;
	}
	return LG_TR_NO_BACKEND;
}

void translation_clear(lg_translation *tr)
{
	g_free(tr->lang);
	g_free(tr->text_ru);
	g_free(tr->backend);
	memset(tr, 0, sizeof(*tr));
}

const char *translate_lang_name_ru(const char *lang)
{
	(void)lang;
	return "иностранного";
}
