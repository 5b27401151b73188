/*
 * tests/fuzz/replay.c - runs a libFuzzer harness over files, without libFuzzer.
 *
 * Every harness tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput() (and optionally
 * LLVMFuzzerInitialize()).  Linked with this file it becomes a plain program, built by the
 * normal build (gcc, and ASan+UBSan under --enable-sanitizers), that feeds each FILE argument,
 * or every regular file below each DIR argument, to the harness once, in sorted order, so a
 * replay of a corpus is fast and deterministic.  A sanitizer report aborts the program, so the
 * exit status is 0 only when every input ran clean.  Prints "replayed N inputs" on success.
 * The same harness sources build a real fuzzer with clang -fsanitize=fuzzer
 * (tests/fuzz/campaign.sh), which brings its own main().
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static size_t n_inputs;

/* run_file - feed one file to the harness; false when it cannot be read */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 0;
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while (buf != NULL && (got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (nb == NULL)
				free(buf);
			buf = nb;
		}
	}
	int err = ferror(f);
	fclose(f);
	if (buf == NULL || err) {
		fprintf(stderr, "replay: %s: read failed\n", path);
		free(buf);
		return 0;
	}
	/* an exact-size copy, so ASan sees a read one octet past the input */
	uint8_t *in = malloc(len ? len : 1);
	if (in == NULL) {
		free(buf);
		return 0;
	}
	memcpy(in, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(in, len);
	free(in);
	n_inputs++;
	return 1;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* run_path - a file, or every regular file below a directory in sorted order */
static int run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	DIR *d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 0;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int ok = 1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
			if (nn == NULL) {
				ok = 0;
				break;
			}
			names = nn;
		}
		size_t l = strlen(path) + strlen(e->d_name) + 2;
		if ((names[n] = malloc(l)) == NULL) {
			ok = 0;
			break;
		}
		snprintf(names[n++], l, "%s/%s", path, e->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof *names, cmp);
	for (size_t i = 0; i < n; i++) {
		if (ok && !run_path(names[i]))
			ok = 0;
		free(names[i]);
	}
	free(names);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		if (!run_path(argv[i]))
			return 1;
	printf("replayed %zu inputs\n", n_inputs);
	return 0;
}
