/*
 * tests/fuzz/fuzz_message.c - one message through message_parse() (with the
 * pre-scan that guards GMime), text_extract() on it and its inner messages,
 * and attach_process() with the default limits.
 */
#include <gmime/gmime.h>

#include "conf/config.h"
#include "fuzz_common.h"
#include "parser/message.h"
#include "parser/text.h"
#include "policy/attach.h"
#include "policy/letter.h"

static lg_config *cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init_logging();
	message_init();
	cfg = config_defaults();
	attach_init(cfg);
	return 0;
}

static void visit(const lg_message *m, int depth)
{
	char *t = text_extract(m, NULL);
	(void)text_pages(t, 2000);
	g_free(t);
	if (depth == 0) {
		GPtrArray *photos = g_ptr_array_new_with_free_func((GDestroyNotify)photo_free);
		GPtrArray *dropped = g_ptr_array_new_with_free_func((GDestroyNotify)dropped_free);
		attach_process(cfg, m, photos, dropped);
		g_ptr_array_unref(photos);
		g_ptr_array_unref(dropped);
	}
	for (guint i = 0; i < m->inner->len && depth < 4; i++)
		visit(g_ptr_array_index(m->inner, i), depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lg_limits lim;
	GMimeStream *st;
	GError *err = NULL;
	lg_message *m;

	if (size > 1 << 20)
		return 0;
	message_limits_from_config(cfg, &lim);
	st = g_mime_stream_mem_new_with_buffer((const char *)data, size);
	m = message_parse(st, &lim, &err);
	if (m == NULL) {
		if (err == NULL || err->domain != LG_MESSAGE_ERROR)
			abort(); /* contract: NULL always comes with an LG_MESSAGE_ERROR */
		g_clear_error(&err);
	} else {
		if (err != NULL)
			abort();
		if (!g_utf8_validate(m->plain, -1, NULL) || !g_utf8_validate(m->html, -1, NULL) ||
		    !g_utf8_validate(m->subject, -1, NULL) ||
		    !g_utf8_validate(m->from_name, -1, NULL))
			abort(); /* contract: strings are UTF-8 */
		visit(m, 0);
		message_free(&m);
	}
	g_object_unref(st);
	return 0;
}
