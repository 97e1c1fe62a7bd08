/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the supplicant model and the page-list builder (run by
 * `meson test --benchmark`, never as a pass/fail test): one FS READ of
 * 4 KiB, one FS WRITE of 4 KiB, one LOAD_TA of a 256 KiB image, and
 * allocate + fill + free of a 1100-page list. Each figure is the best of
 * several rounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <teesim/teesim.h>

#include "optee/pagelist.h"

#define ROUNDS 5

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench-supp: %s\n", what);
	exit(1);
}

static struct teesim_supplicant_memref mem[2];
static struct tee_ioctl_param p[3];

static void fs_req(uint64_t op, uint64_t fd, uint64_t type, void *buf, size_t len)
{
	memset(p, 0, sizeof(p));
	p[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT;
	p[0].a = op;
	p[0].b = fd;
	p[1].attr = type;
	p[1].b = len;
	mem[1].buf = buf;
	mem[1].room = len;
}

static uint32_t serve(struct teesim_supplicant *s, uint32_t func, size_t n)
{
	uint32_t ret = 1;

	if (teesim_supplicant_serve(s, func, n, p, mem, &ret))
		die("serve");
	return ret;
}

/* ns per call of @op on an open 4 KiB file */
static double bench_rw(struct teesim_supplicant *s, uint64_t fd, uint64_t op, uint64_t type)
{
	static char buf[4096];
	double best = 1e30;
	const int n = 200000;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns(), t;

		for (int i = 0; i < n; i++) {
			fs_req(op, fd, type, buf, sizeof(buf));
			if (serve(s, TEESIM_OPTEE_RPC_CMD_FS, 2))
				die("fs request");
		}
		t = (now_ns() - t0) / n;
		best = t < best ? t : best;
	}
	return best;
}

static void bench_supplicant(void)
{
	static const uint8_t uuid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	struct teesim_supplicant *s = teesim_supplicant_new();
	const size_t image_len = 256 * 1024;
	unsigned char *image = calloc(1, image_len), *dst = malloc(image_len);
	double best = 1e30;
	const int n = 2000;
	uint64_t fd;

	if (s == NULL || image == NULL || dst == NULL)
		die("setup");
	if (teesim_supplicant_fs_write(s, "dirf.db", image, 4096))
		die("fs_write");
	fs_req(TEESIM_OPTEE_RPC_FS_OPEN, 0, TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, "dirf.db", 8);
	p[2].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT;
	if (serve(s, TEESIM_OPTEE_RPC_CMD_FS, 3))
		die("open");
	fd = p[2].a;
	printf("supplicant FS READ 4 KiB:  %6.0f ns/request\n",
	       bench_rw(s, fd, TEESIM_OPTEE_RPC_FS_READ, TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT));
	printf("supplicant FS WRITE 4 KiB: %6.0f ns/request\n",
	       bench_rw(s, fd, TEESIM_OPTEE_RPC_FS_WRITE, TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT));

	if (teesim_supplicant_ta_add(s, uuid, image, image_len))
		die("ta_add");
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns(), t;

		for (int i = 0; i < n; i++) {
			memset(p, 0, sizeof(p));
			p[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT;
			for (int k = 0; k < 8; k++) { /* the octets as little-endian words */
				p[0].a |= (uint64_t) uuid[k] << (8 * k);
				p[0].b |= (uint64_t) uuid[8 + k] << (8 * k);
			}
			p[1].attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT;
			p[1].b = image_len;
			mem[1].buf = dst;
			mem[1].room = image_len;
			if (serve(s, TEESIM_OPTEE_RPC_CMD_LOAD_TA, 2))
				die("load_ta");
		}
		t = (now_ns() - t0) / n;
		best = t < best ? t : best;
	}
	printf("supplicant LOAD_TA 256 KiB: %5.0f ns/request\n", best);
	free(dst);
	free(image);
	teesim_supplicant_free(s);
}

static void bench_pagelist(void)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g;
	uint64_t *pages = malloc(1100 * sizeof(*pages));
	double best = 1e30;
	const int n = 20000;

	teesim_machine_cfg_default(&cfg);
	cfg.poison = false;
	m = teesim_machine_new(&cfg);
	if (m == NULL || pages == NULL)
		die("setup");
	g = teesim_machine_guest(m, 0);
	for (int i = 0; i < 1100; i++)
		pages[i] = 0x40000000ull + (uint64_t) i * 4096;
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns(), t;

		for (int i = 0; i < n; i++) {
			struct optee_pages_list pl;

			if (optee_allocate_pages_list(g, 1100, &pl) ||
			    optee_fill_pages_list(&pl, pages, 1100, 0x10) ||
			    optee_free_pages_list(&pl))
				die("page list");
		}
		t = (now_ns() - t0) / n;
		best = t < best ? t : best;
	}
	printf("page list of 1100 pages, alloc + fill + free: %.0f ns\n", best);
	free(pages);
	teesim_machine_free(m);
}

int main(void)
{
	bench_supplicant();
	bench_pagelist();
	return 0;
}
