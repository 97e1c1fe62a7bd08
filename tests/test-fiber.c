/* SPDX-License-Identifier: MIT */
/* Fibers (white box: sim/fiber.c). No machine is needed. */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "fiber.h"
#include "harness.h"

/* ---- a shared log ---- */

struct log {
	char buf[256];
	size_t len;
};

static void log_put(struct log *l, char c)
{
	ck_assert_uint_lt(l->len, sizeof(l->buf) - 1);
	l->buf[l->len++] = c;
	l->buf[l->len] = '\0';
}

static void three_steps(struct tsim_fiber *self, void *arg)
{
	struct log *l = arg;

	log_put(l, 'a');
	tsim_fiber_yield(self);
	log_put(l, 'b');
	tsim_fiber_yield(self);
	log_put(l, 'c');
}

START_TEST(test_order)
{
	struct log l = {.len = 0};
	struct tsim_fiber *f = tsim_fiber_new(NULL, 0, three_steps, &l);

	ck_assert_ptr_nonnull(f);
	log_put(&l, '1');
	ck_assert(!tsim_fiber_resume(f));
	log_put(&l, '2');
	ck_assert(!tsim_fiber_resume(f));
	log_put(&l, '3');
	ck_assert(tsim_fiber_resume(f));
	log_put(&l, '4');
	ck_assert_str_eq(l.buf, "1a2b3c4");
	tsim_fiber_free(f);
}
END_TEST

/* ---- done flag, resuming a finished fiber ---- */

struct counter {
	int runs;  /* times the function was entered */
	int steps; /* statements executed after each yield */
};

static void yield_once(struct tsim_fiber *self, void *arg)
{
	struct counter *c = arg;

	c->runs++;
	tsim_fiber_yield(self);
	c->steps++;
}

START_TEST(test_done)
{
	struct counter c = {0, 0};
	struct tsim_fiber *f = tsim_fiber_new(NULL, 0, yield_once, &c);

	ck_assert_ptr_nonnull(f);
	ck_assert(!tsim_fiber_done(f));
	ck_assert_int_eq(c.runs, 0); /* nothing runs before the first resume */
	ck_assert(!tsim_fiber_resume(f));
	ck_assert(!tsim_fiber_done(f));
	ck_assert_int_eq(c.runs, 1);
	ck_assert_int_eq(c.steps, 0);
	ck_assert(tsim_fiber_resume(f));
	ck_assert(tsim_fiber_done(f));
	ck_assert_int_eq(c.steps, 1);
	/* a finished fiber resumes as a no-op that says "done" */
	for (int i = 0; i < 3; i++)
		ck_assert(tsim_fiber_resume(f));
	ck_assert_int_eq(c.runs, 1);
	ck_assert_int_eq(c.steps, 1);
	tsim_fiber_free(f);
}
END_TEST

/* ---- many yields ---- */

#define MANY 100000

static void count_up(struct tsim_fiber *self, void *arg)
{
	long *n = arg;

	for (long i = 0; i < MANY; i++) {
		ck_assert_int_eq(*n, i); /* the resumer saw exactly i yields */
		(*n)++;
		tsim_fiber_yield(self);
	}
}

START_TEST(test_many_yields)
{
	long n = 0, resumes = 0;
	struct tsim_fiber *f = tsim_fiber_new(NULL, 0, count_up, &n);

	ck_assert_ptr_nonnull(f);
	while (!tsim_fiber_resume(f)) {
		resumes++;
		ck_assert_int_eq(n, resumes);
	}
	ck_assert_int_eq(resumes, MANY);
	ck_assert_int_eq(n, MANY);
	tsim_fiber_free(f);
}
END_TEST

/* ---- the fiber's stack survives suspension ---- */

#define DEPTH 400

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 29);
}

/* Fill a frame, yield every 16 levels on the way down and up, and sum what
 * every frame still holds on the way back. */
static uint64_t descend(struct tsim_fiber *self, int level)
{
	uint64_t frame[16];
	uint64_t sum;

	for (int i = 0; i < 16; i++)
		frame[i] = mix((uint64_t) level * 16 + (uint64_t) i);
	if (level % 16 == 0)
		tsim_fiber_yield(self);
	sum = level + 1 < DEPTH ? descend(self, level + 1) : 0;
	if (level % 16 == 8)
		tsim_fiber_yield(self);
	for (int i = 0; i < 16; i++)
		sum = sum * 31 + frame[i];
	return sum;
}

static uint64_t descend_plain(int level)
{
	uint64_t sum = level + 1 < DEPTH ? descend_plain(level + 1) : 0;

	for (int i = 0; i < 16; i++)
		sum = sum * 31 + mix((uint64_t) level * 16 + (uint64_t) i);
	return sum;
}

struct stack_state {
	uint64_t sum;
	int locals_ok;
};

static void stack_fn(struct tsim_fiber *self, void *arg)
{
	struct stack_state *st = arg;
	int a = 11;
	char text[32];
	long b = 1234567;

	snprintf(text, sizeof(text), "fiber-%d", a);
	tsim_fiber_yield(self);
	st->sum = descend(self, 0);
	tsim_fiber_yield(self);
	st->locals_ok = a == 11 && b == 1234567 && strcmp(text, "fiber-11") == 0;
}

START_TEST(test_stack_survives)
{
	struct stack_state st = {0, 0};
	struct tsim_fiber *f = tsim_fiber_new(NULL, 1 << 20, stack_fn, &st);
	int resumes = 1;

	ck_assert_ptr_nonnull(f);
	while (!tsim_fiber_resume(f)) {
		/* scribble over this host stack between resumes */
		volatile char junk[4096];

		memset((char *) junk, resumes & 0xff, sizeof(junk));
		resumes++;
	}
	/* 1 + DEPTH/16 yields down + DEPTH/16 up + 1 */
	ck_assert_int_eq(resumes, 3 + 2 * (DEPTH / 16));
	ck_assert_uint_eq(st.sum, descend_plain(0));
	ck_assert_int_eq(st.locals_ok, 1);
	tsim_fiber_free(f);
}
END_TEST

/* ---- registers: floating point and callee-saved ---- */

#define FP_STEPS 200

/*
 * All floating-point arithmetic of this test happens in these two functions.
 * The compiler does not know that the rounding mode orders arithmetic, so the
 * volatile access keeps each call where it is written (not const, not
 * movable across the mode changes and the switches).
 */
__attribute__((noinline)) static double fp_step(double acc, int i)
{
	volatile double v = acc;

	return v * 1.000001 + (double) i / 3.0 - v / 7.0;
}

__attribute__((noinline)) static double fp_sum(double a, double b, double c, double d, double e)
{
	volatile double v = a;

	return v + b + c + d + e;
}

struct fp_state {
	double result;
	int64_t ints;
	int csr_ok;
};

#if defined(__x86_64__)
static unsigned short x87_cw(void)
{
	unsigned short cw;

	__asm__ volatile("fnstcw %0" : "=m"(cw));
	return cw;
}

/* MXCSR without its sticky exception flags (bits 0-5), which arithmetic
 * sets: only the control bits are callee-saved */
static unsigned int mxcsr_ctl(void)
{
	return _mm_getcsr() & ~0x3fu;
}

/* 2.7 converted to an integer in the current SSE rounding mode */
static int sse_convert(void)
{
	volatile double v = 2.7;

	return _mm_cvtsd_si32(_mm_set_sd(v));
}

static void x87_set_cw(unsigned short cw)
{
	__asm__ volatile("fldcw %0" : : "m"(cw));
}
#endif

static void fp_fn(struct tsim_fiber *self, void *arg)
{
	struct fp_state *st = arg;
	/* many values live across every yield */
	double a = 1.5, b = -2.25, c = 3.125, d = 0.1, e = 7.0;
	int64_t i0 = 1, i1 = 2, i2 = 3, i3 = 4, i4 = 5, i5 = 6, i6 = 7;
	int ok = 1;

#if defined(__x86_64__)
	/* the fiber rounds toward zero, in SSE and x87 alike */
	unsigned int csr = (mxcsr_ctl() & ~0x6000u) | 0x6000u;
	unsigned short cw = (unsigned short) ((x87_cw() & ~0x0c00u) | 0x0c00u);

	_mm_setcsr(csr);
	x87_set_cw(cw);
#endif
	for (int i = 0; i < FP_STEPS; i++) {
		a = fp_step(a, i);
		b = fp_step(b, i + 1);
		c = fp_step(c, i + 2);
		d = fp_step(d, i + 3);
		e = fp_step(e, i + 4);
		i0 += i;
		i1 ^= i0;
		i2 += i1;
		i3 -= i2;
		i4 += i3 * 3;
		i5 ^= i4;
		i6 += i5;
		tsim_fiber_yield(self);
#if defined(__x86_64__)
		ok &= mxcsr_ctl() == csr && x87_cw() == cw && sse_convert() == 2;
#endif
	}
	st->result = fp_sum(a, b, c, d, e);
	st->ints = i0 + i1 + i2 + i3 + i4 + i5 + i6;
#if defined(__x86_64__)
	_mm_setcsr(csr & ~0x6000u);
	x87_set_cw((unsigned short) (cw & ~0x0c00u));
#endif
	st->csr_ok = ok;
}

__attribute__((noinline)) static void fp_plain(double *result, int64_t *ints)
{
	double a = 1.5, b = -2.25, c = 3.125, d = 0.1, e = 7.0;
	int64_t i0 = 1, i1 = 2, i2 = 3, i3 = 4, i4 = 5, i5 = 6, i6 = 7;

	for (int i = 0; i < FP_STEPS; i++) {
		a = fp_step(a, i);
		b = fp_step(b, i + 1);
		c = fp_step(c, i + 2);
		d = fp_step(d, i + 3);
		e = fp_step(e, i + 4);
		i0 += i;
		i1 ^= i0;
		i2 += i1;
		i3 -= i2;
		i4 += i3 * 3;
		i5 ^= i4;
		i6 += i5;
	}
	*result = fp_sum(a, b, c, d, e);
	*ints = i0 + i1 + i2 + i3 + i4 + i5 + i6;
}

START_TEST(test_registers_preserved)
{
	struct fp_state st = {0, 0, 0};
	struct tsim_fiber *f = tsim_fiber_new(NULL, 0, fp_fn, &st);
	/* the resumer's own live values */
	double x = 0.5, y = 2.0, z = -1.0, want_fp;
	int64_t j0 = 9, j1 = 8, j2 = 7, j3 = 6, j4 = 5, j5 = 4, want_ints;
#if defined(__x86_64__)
	unsigned int csr = mxcsr_ctl();
	unsigned short cw = x87_cw();
	int csr_ok = 1;
#endif
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (!tsim_fiber_resume(f)) {
#if defined(__x86_64__)
		csr_ok &= mxcsr_ctl() == csr && x87_cw() == cw && sse_convert() == 3;
#endif
		x = fp_step(x, n);
		y = fp_step(y, n + 1);
		z = fp_step(z, n + 2);
		j0 += n;
		j1 ^= j0;
		j2 += j1;
		j3 -= j2;
		j4 += j3 * 5;
		j5 ^= j4;
		n++;
	}
	ck_assert_int_eq(n, FP_STEPS);
#if defined(__x86_64__)
	/* the reference runs in the fiber's rounding mode (sse_convert() shows
	 * that mode was in force after every yield: valgrind rounds SSE
	 * arithmetic to nearest whatever the mode, but honours it in
	 * conversions) */
	_mm_setcsr((csr & ~0x6000u) | 0x6000u);
	x87_set_cw((unsigned short) (cw | 0x0c00u));
	fp_plain(&want_fp, &want_ints);
	_mm_setcsr(csr);
	x87_set_cw(cw);
#else
	fp_plain(&want_fp, &want_ints);
#endif
	ck_assert(st.result == want_fp);
	ck_assert_int_eq(st.ints, want_ints);
	ck_assert_int_eq(st.csr_ok, 1);
#if defined(__x86_64__)
	ck_assert_int_eq(csr_ok, 1);
	ck_assert_uint_eq(mxcsr_ctl(), csr);
	ck_assert_uint_eq(x87_cw(), cw);
#endif
	{
		double x2 = 0.5, y2 = 2.0, z2 = -1.0;
		int64_t k0 = 9, k1 = 8, k2 = 7, k3 = 6, k4 = 5, k5 = 4;

		for (int i = 0; i < FP_STEPS; i++) {
			x2 = fp_step(x2, i);
			y2 = fp_step(y2, i + 1);
			z2 = fp_step(z2, i + 2);
			k0 += i;
			k1 ^= k0;
			k2 += k1;
			k3 -= k2;
			k4 += k3 * 5;
			k5 ^= k4;
		}
		ck_assert(x == x2 && y == y2 && z == z2);
		ck_assert(j0 == k0 && j1 == k1 && j2 == k2 && j3 == k3 && j4 == k4 && j5 == k5);
	}
	tsim_fiber_free(f);
}
END_TEST

/* ---- resumed alternately from two host threads ---- */

#define HANDOFF_STEPS 2000

struct handoff {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int turn; /* which thread resumes next */
	bool finished;
	struct tsim_fiber *f;
	pthread_t tid[2];
	int resumer[HANDOFF_STEPS + 1];	 /* written by the threads */
	pthread_t ran_on[HANDOFF_STEPS]; /* written by the fiber */
	int seq[HANDOFF_STEPS];
	int nresumes;
};

/* pthread_self is declared const: call it through a volatile pointer so a
 * value read before a yield is never reused after it, on another thread */
static pthread_t (*volatile self_fn)(void) = pthread_self;

static void handoff_fn(struct tsim_fiber *self, void *arg)
{
	struct handoff *h = arg;
	int local = 0;

	for (int i = 0; i < HANDOFF_STEPS; i++) {
		h->ran_on[i] = self_fn();
		h->seq[i] = local++;
		tsim_fiber_yield(self);
	}
}

struct handoff_arg {
	struct handoff *h;
	int me;
};

static void *handoff_thread(void *p)
{
	struct handoff_arg *a = p;
	struct handoff *h = a->h;

	pthread_mutex_lock(&h->lock);
	h->tid[a->me] = pthread_self();
	for (;;) {
		while (h->turn != a->me && !h->finished)
			pthread_cond_wait(&h->cond, &h->lock);
		if (h->finished)
			break;
		h->resumer[h->nresumes++] = a->me;
		if (tsim_fiber_resume(h->f))
			h->finished = true;
		h->turn = 1 - a->me;
		pthread_cond_broadcast(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

START_TEST(test_two_threads)
{
	struct handoff *h = calloc(1, sizeof(*h));
	struct handoff_arg args[2];
	pthread_t t[2];

	ck_assert_ptr_nonnull(h);
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	h->f = tsim_fiber_new(NULL, 0, handoff_fn, h);
	ck_assert_ptr_nonnull(h->f);
	for (int i = 0; i < 2; i++) {
		args[i].h = h;
		args[i].me = i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, handoff_thread, &args[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);

	ck_assert(h->finished);
	ck_assert_int_eq(h->nresumes, HANDOFF_STEPS + 1);
	for (int i = 0; i < HANDOFF_STEPS; i++) {
		ck_assert_int_eq(h->resumer[i], i % 2);
		ck_assert_int_eq(h->seq[i], i);
		ck_assert_msg(pthread_equal(h->ran_on[i], h->tid[i % 2]),
			      "step %d ran on the wrong host thread", i);
	}
	ck_assert(tsim_fiber_done(h->f));
	tsim_fiber_free(h->f);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
END_TEST

/* ---- many fibers alive at once ---- */

#define NFIBERS 256
#define ROUNDS	20

struct member {
	int id;
	int *order; /* shared: ROUNDS * NFIBERS ids in the order they ran */
	int *pos;
	int rounds_seen;
};

static void member_fn(struct tsim_fiber *self, void *arg)
{
	struct member *m = arg;
	int id = m->id; /* kept on this fiber's stack */

	for (int r = 0; r < ROUNDS; r++) {
		m->order[(*m->pos)++] = id * 1000 + r;
		m->rounds_seen++;
		tsim_fiber_yield(self);
	}
}

START_TEST(test_many_fibers)
{
	struct tsim_fiber **f = calloc(NFIBERS, sizeof(*f));
	struct member *m = calloc(NFIBERS, sizeof(*m));
	int *order = calloc(NFIBERS * ROUNDS, sizeof(*order));
	int pos = 0;

	ck_assert(f && m && order);
	for (int i = 0; i < NFIBERS; i++) {
		m[i].id = i;
		m[i].order = order;
		m[i].pos = &pos;
		f[i] = tsim_fiber_new(NULL, 0, member_fn, &m[i]);
		ck_assert_ptr_nonnull(f[i]);
	}
	/* interleave: every round resumes each fiber once, in reverse order on
	 * odd rounds so neighbours do not always follow one another */
	for (int r = 0; r < ROUNDS; r++)
		for (int k = 0; k < NFIBERS; k++) {
			int i = r % 2 ? NFIBERS - 1 - k : k;

			ck_assert(!tsim_fiber_resume(f[i]));
		}
	ck_assert_int_eq(pos, NFIBERS * ROUNDS);
	for (int r = 0; r < ROUNDS; r++)
		for (int k = 0; k < NFIBERS; k++) {
			int i = r % 2 ? NFIBERS - 1 - k : k;

			ck_assert_int_eq(order[r * NFIBERS + k], i * 1000 + r);
		}
	for (int i = 0; i < NFIBERS; i++) {
		ck_assert(tsim_fiber_resume(f[i]));
		ck_assert_int_eq(m[i].rounds_seen, ROUNDS);
		tsim_fiber_free(f[i]);
	}
	free(order);
	free(m);
	free(f);
}
END_TEST

/* ---- freeing ---- */

START_TEST(test_free_unstarted)
{
	struct counter c = {0, 0};
	struct tsim_fiber *f = tsim_fiber_new(NULL, 0, yield_once, &c);

	ck_assert_ptr_nonnull(f);
	ck_assert(!tsim_fiber_done(f));
	tsim_fiber_free(f);
	ck_assert_int_eq(c.runs, 0);
	tsim_fiber_free(NULL);
}
END_TEST

START_TEST(test_free_suspended)
{
	struct counter c = {0, 0};

	/* repeatedly, so a stack reused from a freed one must be clean */
	for (int i = 0; i < 50; i++) {
		struct tsim_fiber *f = tsim_fiber_new(NULL, 0, yield_once, &c);

		ck_assert_ptr_nonnull(f);
		ck_assert(!tsim_fiber_resume(f));
		ck_assert(!tsim_fiber_done(f));
		tsim_fiber_free(f);
	}
	ck_assert_int_eq(c.runs, 50);
	ck_assert_int_eq(c.steps, 0); /* nothing after the yield ever ran */
}
END_TEST

/* ---- errors ---- */

static void nothing(struct tsim_fiber *self, void *arg)
{
	(void) self;
	*(int *) arg += 1;
}

START_TEST(test_errors)
{
	int ran = 0;
	struct tsim_fiber *f;

	errno = 0;
	ck_assert_ptr_null(tsim_fiber_new(NULL, SIZE_MAX, nothing, &ran));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tsim_fiber_new(NULL, SIZE_MAX - 4095, nothing, &ran));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tsim_fiber_new(NULL, TSIM_FIBER_MAX_STACK + 1, nothing, &ran));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tsim_fiber_new(NULL, 0, NULL, &ran));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ran, 0);

	/* a tiny size is rounded up to a page, and works */
	f = tsim_fiber_new(NULL, 1, nothing, &ran);
	ck_assert_ptr_nonnull(f);
	ck_assert(tsim_fiber_resume(f));
	ck_assert_int_eq(ran, 1);
	tsim_fiber_free(f);
}
END_TEST

/* ---- the guard page ---- */

struct maps_probe {
	uintptr_t local;       /* an address on the fiber's stack */
	uintptr_t stack_start; /* the mapping holding it */
	uintptr_t stack_end;
	int guard_found; /* a PROT_NONE mapping ends exactly at stack_start */
	long guard_len;
};

static void probe_fn(struct tsim_fiber *self, void *arg)
{
	struct maps_probe *p = arg;
	(void) self;
	/* the frame, not a local: ASan may move locals to a heap fake stack */
	p->local = (uintptr_t) __builtin_frame_address(0);
}

START_TEST(test_guard_page)
{
	struct maps_probe p = {0, 0, 0, 0, 0};
	struct tsim_fiber *f = tsim_fiber_new(NULL, 64 * 1024, probe_fn, &p);
	uintptr_t prev_start = 0, prev_end = 0;
	char prev_perm[8] = "";
	char line[512];
	FILE *maps;

	ck_assert_ptr_nonnull(f);
	ck_assert(tsim_fiber_resume(f));
	/* the fiber is done but its stack is still mapped until free */
	maps = fopen("/proc/self/maps", "r");
	ck_assert_ptr_nonnull(maps);
	while (fgets(line, sizeof(line), maps)) {
		uintptr_t s, e;
		char perm[8];

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s", &s, &e, perm) != 3)
			continue;
		if (s <= p.local && p.local < e) {
			p.stack_start = s;
			p.stack_end = e;
			p.guard_found = prev_end == s && strncmp(prev_perm, "---", 3) == 0;
			p.guard_len = (long) (prev_end - prev_start);
		}
		prev_start = s;
		prev_end = e;
		memcpy(prev_perm, perm, sizeof(perm));
	}
	fclose(maps);
	ck_assert_msg(p.stack_start != 0, "fiber stack %#" PRIxPTR " not in /proc/self/maps",
		      p.local);
	ck_assert_msg(p.guard_found, "no PROT_NONE guard right below the fiber stack");
	/* a guard of at least one page (the kernel may merge neighbours) */
	ck_assert_int_ge(p.guard_len, 4096);
	ck_assert_uint_ge(p.stack_end - p.stack_start, 64 * 1024);
	tsim_fiber_free(f);
}
END_TEST

/* ---- the default stack runs printf-like code, also under sanitizers ---- */

static void format_fn(struct tsim_fiber *self, void *arg)
{
	char *out = arg;
	char tmp[512];
	int n = 0;

	for (int i = 0; i < 20; i++) {
		n += snprintf(tmp, sizeof(tmp), "%d:%.6f:%s:%lx:%-40s|", i, i / 7.0, "text",
			      (unsigned long) i * 0x1234567ul, "padded");
		tsim_fiber_yield(self);
	}
	snprintf(out, 64, "%d %.50s", n, tmp);
}

START_TEST(test_default_stack_printf)
{
	char out[64] = "";
	char want[64], tmp[512];
	struct tsim_fiber *f = tsim_fiber_new(NULL, 0, format_fn, out);
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (!tsim_fiber_resume(f))
		;
	for (int i = 0; i < 20; i++)
		n += snprintf(tmp, sizeof(tmp), "%d:%.6f:%s:%lx:%-40s|", i, i / 7.0, "text",
			      (unsigned long) i * 0x1234567ul, "padded");
	snprintf(want, sizeof(want), "%d %.50s", n, tmp);
	ck_assert_str_eq(out, want);
	tsim_fiber_free(f);
}
END_TEST

/* ---- nesting: a fiber resuming another ---- */

struct nest {
	struct log log;
	struct tsim_fiber *inner;
};

static void inner_fn(struct tsim_fiber *self, void *arg)
{
	struct nest *n = arg;

	log_put(&n->log, 'i');
	tsim_fiber_yield(self);
	log_put(&n->log, 'j');
}

static void outer_fn(struct tsim_fiber *self, void *arg)
{
	struct nest *n = arg;

	log_put(&n->log, 'o');
	ck_assert(!tsim_fiber_resume(n->inner));
	log_put(&n->log, 'p');
	tsim_fiber_yield(self);
	log_put(&n->log, 'q');
	ck_assert(tsim_fiber_resume(n->inner));
	log_put(&n->log, 'r');
}

START_TEST(test_nested)
{
	struct nest n = {.log = {.len = 0}};
	struct tsim_fiber *outer = tsim_fiber_new(NULL, 0, outer_fn, &n);

	n.inner = tsim_fiber_new(NULL, 0, inner_fn, &n);
	ck_assert_ptr_nonnull(outer);
	ck_assert_ptr_nonnull(n.inner);
	ck_assert(!tsim_fiber_resume(outer));
	log_put(&n.log, '-');
	ck_assert(tsim_fiber_resume(outer));
	ck_assert_str_eq(n.log.buf, "oip-qjr");
	ck_assert(tsim_fiber_done(n.inner));
	tsim_fiber_free(n.inner);
	tsim_fiber_free(outer);
}
END_TEST

static Suite *fiber_suite(void)
{
	Suite *s = suite_create("fiber");
	TCase *tc = tcase_create("fiber");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_done);
	tcase_add_test(tc, test_many_yields);
	tcase_add_test(tc, test_stack_survives);
	tcase_add_test(tc, test_registers_preserved);
	tcase_add_test(tc, test_two_threads);
	tcase_add_test(tc, test_many_fibers);
	tcase_add_test(tc, test_free_unstarted);
	tcase_add_test(tc, test_free_suspended);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_guard_page);
	tcase_add_test(tc, test_default_stack_printf);
	tcase_add_test(tc, test_nested);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run(fiber_suite());
}
