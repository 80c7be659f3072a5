/*
 * tests/fuzz/replay_main.c - a main() for the fuzz targets without libFuzzer:
 * runs LLVMFuzzerTestOneInput once on each file named on the command line.
 * tests/integration/t-fuzz-regressions.sh links it with each target and the
 * normal (or ASan) build to replay tests/fuzz/regressions/<target>/.
 * Exit 0 when every input ran; a crash shows as a signal or sanitizer exit.
 */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		gchar *data = NULL;
		gsize len = 0;
		if (!g_file_get_contents(argv[i], &data, &len, NULL)) {
			fprintf(stderr, "replay: cannot read %s\n", argv[i]);
			return 2;
		}
		printf("replay %s (%zu bytes)\n", argv[i], (size_t)len);
		fflush(stdout);
		LLVMFuzzerTestOneInput((const uint8_t *)data, len);
		g_free(data);
	}
	return 0;
}
