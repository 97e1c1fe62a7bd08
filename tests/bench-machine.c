/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the machine layer (run by `meson test --benchmark`, never as a
 * pass/fail test): machine create+free, and pin+unpin of machine-allocated
 * and host memory at 1, 128 and 262144 pages. Each figure is the best of
 * several rounds, so a busy neighbour on a shared machine inflates it less.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <teesim/teesim.h>

#define ROUNDS 7

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-machine: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double bench_create_free(void)
{
	struct teesim_machine_cfg cfg;
	double best = 1e30;
	const int iters = 2000;

	teesim_machine_cfg_default(&cfg); /* 64 MiB of RAM */
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();

		for (int i = 0; i < iters; i++) {
			struct teesim_machine *m = teesim_machine_new(&cfg);

			if (!m)
				die("teesim_machine_new");
			teesim_machine_free(m);
		}
		double t = (now_ns() - t0) / iters;
		if (t < best)
			best = t;
	}
	return best;
}

/* ns per page for one pin + unpin of @npages pages at @addr */
static double bench_pin(struct teesim_process *p, uintptr_t addr, size_t npages, teesim_ipa_t *ipas)
{
	struct teesim_guest *g = teesim_process_guest(p);
	double best = 1e30;
	size_t iters = npages >= 4096 ? 3 : 200000 / npages;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();

		for (size_t i = 0; i < iters; i++) {
			long n = teesim_process_pin(p, addr, npages, TEESIM_PIN_WRITE, ipas);

			if (n != (long) npages)
				die("teesim_process_pin");
			if (teesim_guest_unpin(g, ipas, npages))
				die("teesim_guest_unpin");
		}
		double t = (now_ns() - t0) / ((double) iters * (double) npages);
		if (t < best)
			best = t;
	}
	return best;
}

int main(void)
{
	static const size_t sizes[] = {1, 128, 262144};
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_process *p;
	teesim_ipa_t *ipas;
	void *host;

	printf("teesim machine benchmark (best of %d rounds)\n", ROUNDS);
	printf("create+free, 64 MiB RAM:        %8.0f ns   (target < 20000 ns)\n",
	       bench_create_free());

	teesim_machine_cfg_default(&cfg);
	cfg.ram_size = 2304ull << 20; /* 262144 user pages plus as many host bindings */
	cfg.remap = TEESIM_REMAP_SHUFFLE;
	cfg.poison = false;
	m = teesim_machine_new(&cfg);
	if (!m)
		die("teesim_machine_new (1.25 GiB)");
	p = teesim_process_new(teesim_machine_guest(m, 0));
	ipas = malloc(262144 * sizeof(*ipas));
	/* host memory the machine did not allocate, like a client's malloc */
	host = mmap(NULL, 262144ull * TEESIM_PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!p || !ipas || host == MAP_FAILED)
		die("setup");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		void *buf = teesim_process_mmap(p, n * TEESIM_PAGE_SIZE,
						TEESIM_PROT_READ | TEESIM_PROT_WRITE);

		if (!buf)
			die("teesim_process_mmap");
		printf("pin+unpin %6zu pages, machine: %8.2f ns/page (target < 20 ns/page)\n", n,
		       bench_pin(p, (uintptr_t) buf, n, ipas));
		printf("pin+unpin %6zu pages, host:    %8.2f ns/page\n", n,
		       bench_pin(p, (uintptr_t) host, n, ipas));
		teesim_process_munmap(p, buf, n * TEESIM_PAGE_SIZE);
	}
	munmap(host, 262144ull * TEESIM_PAGE_SIZE);
	free(ipas);
	teesim_process_free(p);
	teesim_machine_free(m);
	return 0;
}
