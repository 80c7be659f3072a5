/*
 * tests/fuzz/fuzz_html.c - text_html_to_plain() on any bytes (the contract
 * says invalid UTF-8 is repaired first); the result must be valid UTF-8.
 */
#include "fuzz_common.h"
#include "parser/text.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init_logging();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *html, *out;
	if (size > 256 * 1024)
		return 0;
	html = g_strndup((const char *)data, size);
	out = text_html_to_plain(html);
	if (out == NULL || !g_utf8_validate(out, -1, NULL))
		abort();
	(void)text_chars(out);
	g_free(out);
	g_free(html);
	return 0;
}
