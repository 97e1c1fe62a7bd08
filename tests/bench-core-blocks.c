/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the tee core's building blocks (run by `meson test
 * --benchmark`, never as a pass/fail test): id table alloc / find / remove
 * with 262144 live ids, the best-fit pool under a random alloc/free load,
 * and uncontended reference counting. Each figure is the best of several
 * rounds, so a busy neighbour on a shared machine inflates it less.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/idr.h"
#include "core/pool.h"
#include "core/tee_drv.h"
#include "core/refcount.h"

#define ROUNDS 5
#define NIDS   262144

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-core-blocks: %s\n", what);
	exit(1);
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void bench_idr(void)
{
	double best_alloc = 1e30, best_find = 1e30, best_refill = 1e30, best_remove = 1e30;
	volatile uintptr_t sink = 0;

	for (int r = 0; r < ROUNDS; r++) {
		struct tee_idr idr;
		double t0, t;

		tee_idr_init(&idr, NULL);
		t0 = now_ns();
		for (int i = 1; i <= NIDS; i++) {
			if (tee_idr_alloc(&idr, (void *) (uintptr_t) (i * 16), 1, 0) != i)
				die("idr alloc");
		}
		t = (now_ns() - t0) / NIDS;
		best_alloc = t < best_alloc ? t : best_alloc;

		t0 = now_ns();
		for (int i = 1; i <= NIDS; i++)
			sink += (uintptr_t) tee_idr_find(&idr, i);
		t = (now_ns() - t0) / NIDS;
		best_find = t < best_find ? t : best_find;

		/* free every other id, then refill: each alloc finds the smallest hole */
		for (int i = 2; i <= NIDS; i += 2)
			tee_idr_remove(&idr, i);
		t0 = now_ns();
		for (int i = 2; i <= NIDS; i += 2) {
			if (tee_idr_alloc(&idr, (void *) (uintptr_t) (i * 16), 1, 0) != i)
				die("idr refill");
		}
		t = (now_ns() - t0) / (NIDS / 2);
		best_refill = t < best_refill ? t : best_refill;

		t0 = now_ns();
		for (int i = 1; i <= NIDS; i++)
			tee_idr_remove(&idr, i);
		t = (now_ns() - t0) / NIDS;
		best_remove = t < best_remove ? t : best_remove;
		tee_idr_destroy(&idr);
	}
	if (sink == 1)
		die("impossible checksum"); /* keeps the lookups from being optimized out */
	printf("idr, %d ids: alloc %.1f ns, find %.1f ns, refill smallest hole %.1f ns, "
	       "remove %.1f ns\n",
	       NIDS, best_alloc, best_find, best_refill, best_remove);
}

/* Random alloc / free over @size bytes of granule 1 << @order; ns per operation. */
static double bench_pool_once(size_t size, int order, size_t maxreq, size_t nlive)
{
	unsigned char *mem = aligned_alloc(4096, size);
	struct tee_shm *live = calloc(nlive, sizeof(*live));
	struct tee_shm_pool_mgr *m;
	uint64_t seed = 1;
	const int ops = 200000;
	double t0, t;
	size_t n = 0;

	if (!mem || !live)
		die("out of memory");
	m = tee_shm_pool_mgr_alloc_res_mem(NULL, mem, 0x40000000, size, order);
	if (!m)
		die("pool manager");
	t0 = now_ns();
	for (int i = 0; i < ops; i++) {
		if (n < nlive && (n == 0 || rnd(&seed) % 2)) {
			if (m->ops->alloc(m, &live[n], 1 + rnd(&seed) % maxreq) == 0)
				n++;
		} else {
			size_t k = (size_t) (rnd(&seed) % n);

			m->ops->free(m, &live[k]);
			live[k] = live[--n];
		}
	}
	t = (now_ns() - t0) / ops;
	while (n)
		m->ops->free(m, &live[--n]);
	tee_shm_pool_mgr_destroy(m);
	free(live);
	free(mem);
	return t;
}

static void bench_pool(void)
{
	double best_priv = 1e30, best_dma = 1e30;

	for (int r = 0; r < ROUNDS; r++) {
		double t = bench_pool_once(2u << 20, 3, 512, 2048);

		best_priv = t < best_priv ? t : best_priv;
		t = bench_pool_once(2u << 20, 12, 5 * 4096, 128);
		best_dma = t < best_dma ? t : best_dma;
	}
	printf("pool, 2 MiB: 8-byte granule, up to 2048 live chunks of <= 512 B: %.1f ns/op; "
	       "page granule, up to 128 live chunks of <= 5 pages: %.1f ns/op\n",
	       best_priv, best_dma);
}

static void bench_refcount(void)
{
	double best = 1e30;
	const int iters = 10000000;

	for (int r = 0; r < ROUNDS; r++) {
		struct tee_refcount c;
		double t0 = now_ns(), t;

		tee_refcount_set(&c, 1);
		for (int i = 0; i < iters; i++) {
			tee_refcount_inc(NULL, &c);
			if (tee_refcount_dec_and_test(NULL, &c))
				die("refcount");
		}
		t = (now_ns() - t0) / iters;
		best = t < best ? t : best;
	}
	printf("refcount: inc + dec_and_test, uncontended: %.1f ns\n", best);
}

int main(void)
{
	bench_idr();
	bench_pool();
	bench_refcount();
	return 0;
}
