/*
 * tests/fuzz/fuzz_config.c - config_load() on any file content; a
 * configuration that loads is dumped (every key) and released.
 */
#include <stdio.h>

#include "conf/config.h"
#include "fuzz_common.h"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init_logging();
	devnull = fopen("/dev/null", "w");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GError *e = NULL;
	char *path;
	lg_config *cfg;
	if (size > 64 * 1024)
		return 0;
	path = fuzz_write("fuzz.conf", data, size);
	cfg = config_load(path, &e);
	if (cfg) {
		config_dump(cfg, devnull);
		config_unref(&cfg);
	} else if (e == NULL) {
		abort(); /* contract: NULL comes with *err */
	}
	g_clear_error(&e);
	g_unlink(path);
	g_free(path);
	return 0;
}
