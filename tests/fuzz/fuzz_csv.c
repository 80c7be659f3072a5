/*
 * tests/fuzz/fuzz_csv.c - directory_parse_csv() on any bytes: never fails
 * as a whole; every accepted prisoner has a valid (or empty) alias and a
 * valid status.
 */
#include "fuzz_common.h"
#include "store/directory.h"
#include "store/store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init_logging();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GPtrArray *ps = NULL, *errs = NULL;
	if (size > 256 * 1024)
		return 0;
	directory_parse_csv((const char *)data, size, &ps, &errs);
	if (ps == NULL || errs == NULL)
		abort();
	for (guint i = 0; i < ps->len; i++) {
		lg_prisoner *p = g_ptr_array_index(ps, i);
		if ((p->alias[0] && !directory_alias_valid(p->alias)) ||
		    !prisoner_status_valid(p->status))
			abort();
		if (!g_utf8_validate(p->full_name, -1, NULL))
			abort();
	}
	g_ptr_array_unref(ps);
	g_ptr_array_unref(errs);
	return 0;
}
