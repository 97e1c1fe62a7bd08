/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the tee core (run by `meson test --benchmark`, never as a
 * pass/fail test): TEE_IOC_SHM_REGISTER + close of 1, 128 and 262144 pages
 * through teesim_ioctl, on process memory (teesim_process_mmap) and on host
 * memory (malloc), with the test driver. Each figure is the best of several
 * rounds, so a busy neighbour on a shared machine inflates it less.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <check.h>

#include "testdrv.h"

#define ROUNDS 5

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static void die(const char *what, long rc)
{
	fprintf(stderr, "bench-core: %s: %ld\n", what, rc);
	exit(1);
}

/* ns per SHM_REGISTER + close of @npages pages at @addr */
static double bench_register(struct teesim_process *p, int fd, uint64_t addr, size_t npages,
			     struct tee_ioctl_shm_register_data *arg)
{
	double best = 1e30;
	size_t iters = npages >= 4096 ? 3 : 100000 / (npages + 4);

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns(), t;

		for (size_t i = 0; i < iters; i++) {
			int s, rc;

			arg->addr = addr;
			arg->length = (uint64_t) npages * 4096;
			arg->flags = 0;
			s = teesim_ioctl(p, fd, TEE_IOC_SHM_REGISTER, arg);
			if (s < 0)
				die("TEE_IOC_SHM_REGISTER", s);
			rc = teesim_close(p, s);
			if (rc)
				die("close", rc);
		}
		t = (now_ns() - t0) / (double) iters;
		if (t < best)
			best = t;
	}
	return best;
}

/* The test driver asserts with Check, so the benchmark runs as one (unforked) Check test. */
START_TEST(bench)
{
	static const size_t sizes[] = {1, 128, 262144};
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct testdrv_cfg dcfg = {.reg_mem = true};
	struct testdrv *td;
	struct teesim_process *p;
	struct tee_ioctl_shm_register_data *arg;
	uint8_t *mem, *host;
	int fd;

	teesim_machine_cfg_default(&cfg);
	/* room for 2 x 1 GiB of pinned pages (process + host); backing is lazy */
	cfg.ram_size = 4ull << 30;
	cfg.poison = false;
	m = teesim_machine_new(&cfg);
	if (!m)
		die("teesim_machine_new", -1);
	td = testdrv_new(m, &dcfg);
	p = teesim_process_new(teesim_machine_guest(m, 0));
	fd = teesim_open(p, "/dev/tee0", O_RDWR);
	if (!p || fd < 0)
		die("open", fd);
	arg = teesim_process_mmap(p, sizeof(*arg), TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	mem = teesim_process_mmap(p, 262144ull * 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	host = aligned_alloc(4096, 262144ull * 4096);
	if (!arg || !mem || !host)
		die("memory", -1);

	printf("%-28s %10s %14s %12s\n", "SHM_REGISTER + close", "pages", "ns/call", "ns/page");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double t = bench_register(p, fd, (uintptr_t) mem, sizes[i], arg);

		printf("%-28s %10zu %14.0f %12.1f\n", "process memory (mmap)", sizes[i], t,
		       t / (double) sizes[i]);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double t = bench_register(p, fd, (uintptr_t) host, sizes[i], arg);

		printf("%-28s %10zu %14.0f %12.1f\n", "host memory (malloc)", sizes[i], t,
		       t / (double) sizes[i]);
	}
	{
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		printf("peak RSS of the run: %.1f MiB (4 GiB machine, 2 x 1 GiB registered)\n",
		       (double) ru.ru_maxrss / 1024.0);
	}
	teesim_process_free(p);
	free(host);
	testdrv_free(td);
	teesim_machine_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bench-core");
	TCase *tc = tcase_create("bench-core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, bench);
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
