/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the invariant checker (run by `meson test --benchmark`,
 * never as a pass/fail test): one full check (IDLE | EMPTY) of a bare
 * default machine, of a default stack, and of a stack with a client holding
 * 256 shms. Each figure is the best of several rounds.
 */
#include <linux/tee.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <teesim/teesim.h>

#define ROUNDS 7
#define ITERS  500

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-check: %s\n", what);
	exit(1);
}

/* Best time of one check, in microseconds; @st NULL: check @m alone. */
static double bench(struct teesim_machine *m, struct teesim_stack *st, unsigned flags,
		    struct teesim_check_report *rep)
{
	double best = 1e30;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns(), t;

		for (int i = 0; i < ITERS; i++) {
			if (st)
				teesim_check_stack(st, flags, rep);
			else
				teesim_check_machine(m, flags, rep);
		}
		t = (now_ns() - t0) / ITERS / 1e3;
		if (t < best)
			best = t;
	}
	return best;
}

int main(void)
{
	const unsigned all = TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY;
	struct teesim_check_report *rep = malloc(sizeof(*rep));
	struct tee_ioctl_shm_alloc_data *d;
	struct teesim_machine *m;
	struct teesim_stack *st;
	struct teesim_process *p;
	int fd;

	if (!rep)
		die("out of memory");
	m = teesim_machine_new(NULL);
	if (!m)
		die("machine");
	printf("check: bare machine (64 MiB):           %8.1f us\n", bench(m, NULL, all, rep));
	teesim_machine_free(m);

	st = teesim_stack_new(NULL);
	if (!st)
		die("stack");
	printf("check: default stack:                   %8.1f us\n", bench(NULL, st, all, rep));
	p = teesim_process_new(teesim_machine_guest(st->machine, 0));
	fd = p ? teesim_open(p, "/dev/tee0", 0) : -1;
	d = p ? teesim_process_mmap(p, sizeof(*d), TEESIM_PROT_READ | TEESIM_PROT_WRITE) : NULL;
	if (fd < 0 || !d)
		die("client");
	for (int i = 0; i < 256; i++) {
		d->size = 4096;
		d->flags = 0;
		if (teesim_ioctl(p, fd, TEE_IOC_SHM_ALLOC, d) < 0)
			die("SHM_ALLOC");
	}
	printf("check: stack, client with 256 shms:     %8.1f us (%u problems with EMPTY)\n",
	       bench(NULL, st, TEESIM_CHECK_IDLE, rep), teesim_check_stack(st, all, NULL));
	teesim_process_free(p);
	teesim_stack_free(st);
	free(rep);
	return 0;
}
