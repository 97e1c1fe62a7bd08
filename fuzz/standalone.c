/* SPDX-License-Identifier: MIT */
/*
 * Corpus replay without libFuzzer: every argument is a file or a directory of
 * files; each file is passed once to LLVMFuzzerTestOneInput, directories in
 * name order, so fuzz targets double as regression tests in every build.
 *
 * -time=N (before the files): run each file N times and print its mean CPU
 * time per run, the cost of one input without libFuzzer's own work.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* optional, as with libFuzzer: called once before the first input */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned repeat; /* -time=N; 0: run each file once, silently */

static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;
	int rc = 0;

	if (!f) {
		perror(path);
		return 1;
	}
	do {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap = cap ? cap * 2 : 4096);

			if (!nb) {
				rc = 1;
				goto out;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	if (ferror(f)) {
		perror(path);
		rc = 1;
		goto out;
	}
	if (repeat) {
		double t0 = cpu_us();

		for (unsigned i = 0; i < repeat; i++)
			LLVMFuzzerTestOneInput(buf, len);
		printf("%s: %.2f us per run (%u runs)\n", path, (cpu_us() - t0) / repeat, repeat);
	} else {
		LLVMFuzzerTestOneInput(buf, len);
	}
out:
	free(buf);
	fclose(f);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int run_dir(const char *dir, unsigned *count)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int rc = 0;

	if (!d) {
		perror(dir);
		return 1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*nn));

			if (!nn) {
				rc = 1;
				break;
			}
			names = nn;
		}
		names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
		if (!names[n]) {
			rc = 1;
			break;
		}
		sprintf(names[n], "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n) /* an empty directory leaves names NULL, which qsort must not get */
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		if (!rc) {
			rc = run_file(names[i]);
			(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned count = 0;
	int rc = 0, first = 1;

	if (argc > 1 && !strncmp(argv[1], "-time=", 6)) {
		char *end;
		unsigned long n = strtoul(argv[1] + 6, &end, 10);

		if (*end || !n || n > 100000000) {
			fprintf(stderr, "%s: -time=N wants N from 1 to 100000000\n", argv[0]);
			return 2;
		}
		repeat = (unsigned) n;
		first = 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = first; i < argc && !rc; i++) {
		struct stat st;

		if (stat(argv[i], &st)) {
			perror(argv[i]);
			return 1;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = run_dir(argv[i], &count);
		} else {
			rc = run_file(argv[i]);
			count++;
		}
	}
	printf("%s: replayed %u inputs\n", argv[0], count);
	return rc;
}
