/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of sim/fiber.c (run by `meson test --benchmark`, never as a
 * pass/fail test): one resume+yield round trip, a round trip that hops
 * between two fibers, and fiber create+free (never started, and started and
 * run to completion). Each figure is the best of several rounds, so a busy
 * neighbour on a shared machine inflates it less.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fiber.h"

#define ROUNDS 7

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-fiber: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void yield_forever(struct tsim_fiber *self, void *arg)
{
	unsigned long *n = arg;

	for (;;) {
		(*n)++;
		tsim_fiber_yield(self);
	}
}

static double bench_round_trip(void)
{
	unsigned long n = 0;
	struct tsim_fiber *f = tsim_fiber_new(NULL, 0, yield_forever, &n);
	const long iters = 2000000;
	double best = 1e30;

	if (!f)
		die("tsim_fiber_new");
	tsim_fiber_resume(f); /* warm up: first entry */
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();

		for (long i = 0; i < iters; i++)
			tsim_fiber_resume(f);
		double t = (now_ns() - t0) / (double) iters;
		if (t < best)
			best = t;
	}
	if (n != 1 + (unsigned long) ROUNDS * (unsigned long) iters) {
		fprintf(stderr, "bench-fiber: lost resumes (%lu)\n", n);
		exit(1);
	}
	tsim_fiber_free(f); /* suspended: abandoned */
	return best;
}

static double bench_two_fibers(void)
{
	unsigned long n = 0;
	struct tsim_fiber *f[2] = {tsim_fiber_new(NULL, 0, yield_forever, &n),
				   tsim_fiber_new(NULL, 0, yield_forever, &n)};
	const long iters = 1000000;
	double best = 1e30;

	if (!f[0] || !f[1])
		die("tsim_fiber_new");
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();

		for (long i = 0; i < iters; i++) {
			tsim_fiber_resume(f[0]);
			tsim_fiber_resume(f[1]);
		}
		double t = (now_ns() - t0) / (double) (2 * iters);
		if (t < best)
			best = t;
	}
	tsim_fiber_free(f[0]);
	tsim_fiber_free(f[1]);
	return best;
}

static void nothing(struct tsim_fiber *self, void *arg)
{
	(void) self;
	(void) arg;
}

static double bench_create_free(bool run)
{
	const int iters = 20000;
	double best = 1e30;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();

		for (int i = 0; i < iters; i++) {
			struct tsim_fiber *f = tsim_fiber_new(NULL, 0, nothing, NULL);

			if (!f)
				die("tsim_fiber_new");
			if (run)
				tsim_fiber_resume(f);
			tsim_fiber_free(f);
		}
		double t = (now_ns() - t0) / iters;
		if (t < best)
			best = t;
	}
	return best;
}

int main(void)
{
	printf("fiber resume+yield round trip:            %8.1f ns\n", bench_round_trip());
	printf("round trip alternating between 2 fibers:  %8.1f ns\n", bench_two_fibers());
	printf("fiber create+free (never started):        %8.1f ns\n", bench_create_free(false));
	printf("fiber create+run to completion+free:      %8.1f ns\n", bench_create_free(true));
	return 0;
}
