/* SPDX-License-Identifier: MIT */
/*
 * The OP-TEE driver through the whole stack, every call a teesim_ioctl():
 * NOP invoke with value params, invoke with a 128-page and a 1 MiB
 * registered memref (zero copy, beside a 1 MiB memcpy and the static-pool
 * path), register + unregister of 1 and 262144 pages. Medians of rounds.
 */
#include <linux/tee.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <teesim/teesim.h>

#define ROUNDS 9

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

_Noreturn static void die(const char *what)
{
	fprintf(stderr, "bench-optee: %s failed\n", what);
	exit(1);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t) n, sizeof(*v), cmp_d);
	return v[n / 2];
}

struct cl {
	struct teesim_stack *st;
	struct teesim_process *p;
	int fd;
	uint32_t session;
	struct tee_ioctl_buf_data *buf;
	struct tee_ioctl_invoke_arg *inv;
	struct tee_ioctl_shm_register_data *reg;
};

static void cl_new(struct cl *c, enum teesim_optee_drv_gen gen, uint64_t ram)
{
	struct teesim_stack_cfg cfg;
	struct tee_ioctl_open_session_arg *o;
	struct teesim_uuid u;

	teesim_stack_cfg_default(&cfg);
	cfg.machine.ram_size = ram;
	cfg.machine.poison = false; /* freed pages are not rewritten: the kernel does not either */
	cfg.sw.max_pagelist_pages = 1u << 20;
	teesim_optee_cfg_default(&cfg.drv, gen);
	c->st = teesim_stack_new(&cfg);
	if (!c->st)
		die("stack");
	c->p = teesim_process_new(teesim_machine_guest(c->st->machine, 0));
	c->fd = c->p ? teesim_open(c->p, "/dev/tee0", 0) : -1;
	c->buf = teesim_process_mmap(c->p, 3 * 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	if (c->fd < 0 || !c->buf)
		die("client");
	c->inv = (void *) ((char *) c->buf + 4096);
	c->reg = (void *) ((char *) c->buf + 8192);
	o = (void *) c->inv;
	memset(o, 0, 4096);
	teesim_uuid_parse(TEESIM_TA_MEM_UUID, &u);
	memcpy(o->uuid, u.b, 16);
	c->buf->buf_ptr = (uintptr_t) o;
	c->buf->buf_len = sizeof(*o);
	if (teesim_ioctl(c->p, c->fd, TEE_IOC_OPEN_SESSION, c->buf) || o->ret)
		die("open session");
	c->session = o->session;
}

/*
 * Touch every page of guest RAM once: the machine's RAM is host memory
 * backed lazily, so without this each first use of a guest page (a fresh
 * page list, an argument page) costs a host page fault, which a running
 * kernel's memory does not.
 */
static void pretouch(struct cl *c, uint64_t ram)
{
	struct teesim_guest *g = teesim_machine_guest(c->st->machine, 0);
	teesim_ipa_t base = teesim_guest_ipa_base(g);

	for (uint64_t off = 0; off < ram; off += 4096) {
		volatile char *h = teesim_guest_ipa_host(g, base + off);

		if (h)
			*h = *h;
	}
}

static void cl_free(struct cl *c)
{
	teesim_process_free(c->p);
	teesim_stack_free(c->st);
}

/* One invoke of @func with @n params already in c->inv. */
static void invoke(struct cl *c, uint32_t func, uint32_t n)
{
	c->inv->session = c->session;
	c->inv->func = func;
	c->inv->num_params = n;
	c->buf->buf_ptr = (uintptr_t) c->inv;
	c->buf->buf_len = sizeof(*c->inv) + n * sizeof(struct tee_ioctl_param);
	if (teesim_ioctl(c->p, c->fd, TEE_IOC_INVOKE, c->buf) || c->inv->ret)
		die("invoke");
}

static int reg(struct cl *c, void *addr, uint64_t len)
{
	c->reg->addr = (uintptr_t) addr;
	c->reg->length = len;
	c->reg->flags = 0;
	return teesim_ioctl(c->p, c->fd, TEE_IOC_SHM_REGISTER, c->reg);
}

/* Median ns per call of @iters invokes of @func with the params set up. */
static double time_invoke(struct cl *c, uint32_t func, uint32_t n, struct tee_ioctl_param *p,
			  int iters)
{
	double r[ROUNDS];

	for (int k = 0; k < ROUNDS; k++) {
		double t0 = now_ns();

		for (int i = 0; i < iters; i++) {
			memcpy(c->inv->params, p, n * sizeof(*p));
			invoke(c, func, n);
		}
		r[k] = (now_ns() - t0) / iters;
	}
	return median(r, ROUNDS);
}

static double time_register(struct cl *c, void *addr, uint64_t len, int iters)
{
	double r[ROUNDS];

	for (int k = 0; k < ROUNDS; k++) {
		double t0 = now_ns();

		for (int i = 0; i < iters; i++) {
			int fd = reg(c, addr, len);

			if (fd < 0 || teesim_close(c->p, fd))
				die("register");
		}
		r[k] = (now_ns() - t0) / iters;
	}
	return median(r, ROUNDS);
}

/* `bench-optee reg1`: only SHM_REGISTER + close of 1 page, longer (for perf record). */
static int only_reg1(void)
{
	struct cl c;
	void *buf;

	cl_new(&c, TEESIM_OPTEE_DRV_LATER, 64ull << 20);
	pretouch(&c, 64ull << 20);
	buf = teesim_process_mmap(c.p, 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	if (!buf)
		die("mmap");
	memset(buf, 1, 4096);
	printf("%-52s %12.0f\n", "SHM_REGISTER + close, 1 page",
	       time_register(&c, buf, 4096, 200000));
	cl_free(&c);
	return 0;
}

int main(int argc, char **argv)
{
	struct tee_ioctl_param p[4];
	struct cl c;
	double t, tcopy, r[ROUNDS];
	const size_t mib = 1u << 20;
	char *src, *dst;
	void *buf;
	int fd;

	printf("%-52s %12s\n", "full stack through teesim_ioctl (median)", "ns/call");
	if (argc > 1 && !strcmp(argv[1], "reg1"))
		return only_reg1();

	cl_new(&c, TEESIM_OPTEE_DRV_LATER, 256ull << 20);
	pretouch(&c, 256ull << 20);
	memset(p, 0, sizeof(p));
	for (int i = 0; i < 4; i++)
		p[i].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT;
	t = time_invoke(&c, TEESIM_TA_MEM_CMD_NOP, 4, p, 20000);
	printf("%-52s %12.0f\n", "NOP invoke, 4 value params (later driver)", t);

	buf = teesim_process_mmap(c.p, 2 * mib, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	if (!buf)
		die("mmap");
	memset(buf, 1, 2 * mib);
	t = time_register(&c, buf, 4096, 20000);
	printf("%-52s %12.0f\n", "SHM_REGISTER + close, 1 page", t);

	fd = reg(&c, buf, 128 * 4096);
	if (fd < 0)
		die("register 128");
	p[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT;
	p[0].a = 0;
	p[0].b = 128 * 4096;
	p[0].c = (uint64_t) c.reg->id;
	p[1].attr = TEE_IOCTL_PARAM_ATTR_TYPE_NONE;
	t = time_invoke(&c, TEESIM_TA_MEM_CMD_NOP, 2, p, 20000);
	printf("%-52s %12.0f\n", "NOP invoke, 128-page registered memref (RMEM)", t);
	teesim_close(c.p, fd);

	fd = reg(&c, buf, mib);
	if (fd < 0)
		die("register 1 MiB");
	p[0].b = mib;
	p[0].c = (uint64_t) c.reg->id;
	t = time_invoke(&c, TEESIM_TA_MEM_CMD_NOP, 2, p, 20000);
	printf("%-52s %12.0f\n", "NOP invoke, 1 MiB registered memref (RMEM)", t);
	teesim_close(c.p, fd);

	src = malloc(mib);
	dst = malloc(mib);
	if (!src || !dst)
		die("malloc");
	memset(src, 3, mib);
	for (int k = 0; k < ROUNDS; k++) {
		double t0 = now_ns();

		for (int i = 0; i < 200; i++) {
			memcpy(dst, src, mib);
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
		r[k] = (now_ns() - t0) / 200;
	}
	tcopy = median(r, ROUNDS);
	printf("%-52s %12.0f   (invoke/memcpy = %.3f)\n", "memcpy of 1 MiB, same run", tcopy,
	       t / tcopy);
	free(src);
	free(dst);
	teesim_process_munmap(c.p, buf, 2 * mib);
	cl_free(&c);

	cl_new(&c, TEESIM_OPTEE_DRV_LATER, 3ull << 30);
	buf = teesim_process_mmap(c.p, 262144ull * 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	if (!buf)
		die("mmap 1 GiB");
	t = time_register(&c, buf, 262144ull * 4096, 1);
	printf("%-52s %12.0f   (%.2f ms)\n", "SHM_REGISTER + close, 262144 pages", t, t / 1e6);
	teesim_process_munmap(c.p, buf, 262144ull * 4096);
	cl_free(&c);

	/* the static-pool path beside it: v4.16, SHM_ALLOC in the carve-out (TMEM) */
	cl_new(&c, TEESIM_OPTEE_DRV_V4_16, 256ull << 20);
	pretouch(&c, 256ull << 20);
	((struct tee_ioctl_shm_alloc_data *) c.reg)->size = mib;
	((struct tee_ioctl_shm_alloc_data *) c.reg)->flags = 0;
	fd = teesim_ioctl(c.p, c.fd, TEE_IOC_SHM_ALLOC, c.reg);
	if (fd < 0)
		die("shm alloc");
	memset(p, 0, sizeof(p));
	p[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT;
	p[0].b = mib;
	p[0].c = (uint64_t) ((struct tee_ioctl_shm_alloc_data *) c.reg)->id;
	t = time_invoke(&c, TEESIM_TA_MEM_CMD_NOP, 2, p, 20000);
	printf("%-52s %12.0f\n", "NOP invoke, 1 MiB static-pool memref (TMEM, v4.16)", t);
	for (int i = 0; i < 4; i++)
		p[i].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT;
	t = time_invoke(&c, TEESIM_TA_MEM_CMD_NOP, 4, p, 20000);
	printf("%-52s %12.0f\n", "NOP invoke, 4 value params (v4.16 driver)", t);
	teesim_close(c.p, fd);
	cl_free(&c);
	return 0;
}
