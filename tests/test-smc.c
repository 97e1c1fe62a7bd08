/* SPDX-License-Identifier: MIT */
/*
 * The SMC channel: the secure world's handler, the trace and fault hooks,
 * the mediator, the call counter and calls from several host threads.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "harness.h"

#define MIB(x) ((uint64_t) (x) << 20)

/* The secure world's answer to @in: every register depends on the input. */
static uint32_t answer_reg(const struct teesim_smc_regs *in, unsigned i)
{
	return (in->a[i] ^ 0x5a5a0000u) + in->a[(i + 1) % 8] * 3u + i;
}

static struct teesim_smc_regs answer(const struct teesim_smc_regs *in)
{
	struct teesim_smc_regs out;

	for (unsigned i = 0; i < 8; i++)
		out.a[i] = answer_reg(in, i);
	return out;
}

static struct teesim_smc_regs regs_of(uint32_t base)
{
	struct teesim_smc_regs r;

	for (unsigned i = 0; i < 8; i++)
		r.a[i] = base + i * 0x11u;
	return r;
}

static void assert_regs(const struct teesim_smc_regs *got, const struct teesim_smc_regs *want)
{
	for (unsigned i = 0; i < 8; i++)
		ck_assert_msg(got->a[i] == want->a[i], "a%u = %#x, expected %#x", i, got->a[i],
			      want->a[i]);
}

/* A secure world that records its last call and answers with answer(). */
struct sw {
	struct teesim_machine *m;
	atomic_uint calls;
	struct teesim_guest *from;
	struct teesim_smc_regs in;
	uint64_t clock; /* virtual time when called */
};

static void sw_handler(void *ctx, struct teesim_guest *from, struct teesim_smc_regs *regs)
{
	struct sw *sw = ctx;

	atomic_fetch_add(&sw->calls, 1);
	sw->from = from;
	sw->in = *regs;
	if (sw->m)
		sw->clock = teesim_clock_now(sw->m);
	*regs = answer(regs);
}

/* Another secure world, told apart by its answer. */
static void other_handler(void *ctx, struct teesim_guest *from, struct teesim_smc_regs *regs)
{
	(void) ctx;
	(void) from;
	for (unsigned i = 0; i < 8; i++)
		regs->a[i] = 0xabcd0000u + i;
}

static struct teesim_guest *g0(void)
{
	return teesim_machine_guest(TH_M, 0);
}

/* ---- channel ---------------------------------------------------------- */

START_TEST(test_no_secure_world)
{
	struct teesim_smc_regs r = regs_of(0x32000000);

	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(r.a[0], TEESIM_SMC_UNKNOWN_FUNCTION);
}
END_TEST

START_TEST(test_attach_handler)
{
	struct sw sw = {.m = TH_M};
	struct teesim_smc_regs in = regs_of(0xb2000004), r = in, want = answer(&in);

	ck_assert_int_eq(teesim_smc_attach(TH_M, sw_handler, &sw), 0);
	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(atomic_load(&sw.calls), 1);
	ck_assert_ptr_eq(sw.from, g0());
	assert_regs(&sw.in, &in);
	assert_regs(&r, &want);
	teesim_smc_detach(TH_M);
}
END_TEST

START_TEST(test_handler_sees_calling_guest)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g1;
	struct sw sw = {0};
	struct teesim_smc_regs r = regs_of(1);

	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = MIB(32);
	m = th_machine(&cfg);
	g1 = teesim_guest_new(m, MIB(16));
	ck_assert_ptr_nonnull(g1);
	ck_assert_int_eq(teesim_smc_attach(m, sw_handler, &sw), 0);
	teesim_smc_call(m, g1, &r);
	ck_assert_ptr_eq(sw.from, g1);
	teesim_smc_call(m, teesim_machine_guest(m, 0), &r);
	ck_assert_ptr_eq(sw.from, teesim_machine_guest(m, 0));
	ck_assert_uint_eq(atomic_load(&sw.calls), 2);
	ck_assert_int_eq(teesim_guest_free(g1), 0);
	th_machine_done(m);
}
END_TEST

START_TEST(test_attach_twice)
{
	struct sw sw = {0};
	struct teesim_smc_regs in = regs_of(7), r = in, want = answer(&in);

	ck_assert_int_eq(teesim_smc_attach(TH_M, sw_handler, &sw), 0);
	th_assert_err(teesim_smc_attach(TH_M, other_handler, NULL), -EBUSY);
	th_assert_err(teesim_smc_attach(TH_M, sw_handler, &sw), -EBUSY);
	/* the first one is still the one answering */
	teesim_smc_call(TH_M, g0(), &r);
	assert_regs(&r, &want);
	ck_assert_uint_eq(atomic_load(&sw.calls), 1);
	teesim_smc_detach(TH_M);
}
END_TEST

START_TEST(test_attach_null)
{
	struct teesim_smc_regs r = regs_of(9);

	th_assert_err(teesim_smc_attach(TH_M, NULL, NULL), -EINVAL);
	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(r.a[0], TEESIM_SMC_UNKNOWN_FUNCTION);
	/* nothing was attached: a real one still can be */
	ck_assert_int_eq(teesim_smc_attach(TH_M, other_handler, NULL), 0);
	teesim_smc_detach(TH_M);
}
END_TEST

START_TEST(test_detach)
{
	struct sw sw = {0};
	struct teesim_smc_regs r = regs_of(3);

	ck_assert_int_eq(teesim_smc_attach(TH_M, sw_handler, &sw), 0);
	teesim_smc_detach(TH_M);
	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(r.a[0], TEESIM_SMC_UNKNOWN_FUNCTION);
	ck_assert_uint_eq(atomic_load(&sw.calls), 0);
	/* and another can be attached */
	ck_assert_int_eq(teesim_smc_attach(TH_M, other_handler, NULL), 0);
	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(r.a[0], 0xabcd0000u);
	ck_assert_uint_eq(r.a[7], 0xabcd0007u);
	teesim_smc_detach(TH_M);
}
END_TEST

START_TEST(test_forward_direct)
{
	struct sw sw = {0};
	struct teesim_smc_regs in = regs_of(0x40), r = in, want = answer(&in);
	struct teesim_machine_stats st;

	teesim_smc_forward(TH_M, g0(), &r);
	ck_assert_uint_eq(r.a[0], TEESIM_SMC_UNKNOWN_FUNCTION);
	ck_assert_int_eq(teesim_smc_attach(TH_M, sw_handler, &sw), 0);
	r = in;
	teesim_smc_forward(TH_M, g0(), &r);
	assert_regs(&r, &want);
	ck_assert_ptr_eq(sw.from, g0());
	/* not a guest call */
	teesim_machine_stats(TH_M, &st);
	ck_assert_uint_eq(st.smc_calls, 0);
	teesim_smc_detach(TH_M);
}
END_TEST

START_TEST(test_smc_calls_counted)
{
	struct teesim_machine_stats st;
	struct teesim_smc_regs r = regs_of(0);

	for (int i = 0; i < 5; i++)
		teesim_smc_call(TH_M, g0(), &r);
	ck_assert_int_eq(teesim_smc_attach(TH_M, other_handler, NULL), 0);
	for (int i = 0; i < 3; i++)
		teesim_smc_call(TH_M, g0(), &r);
	teesim_smc_detach(TH_M);
	teesim_machine_stats(TH_M, &st);
	ck_assert_uint_eq(st.smc_calls, 8);
}
END_TEST

/* ---- trace ------------------------------------------------------------ */

#define MAX_TRACE 8

struct trace {
	unsigned n;
	struct {
		struct teesim_guest *from;
		struct teesim_smc_regs in, out;
	} e[MAX_TRACE];
};

static void tracer(void *ctx, struct teesim_guest *from, const struct teesim_smc_regs *in,
		   const struct teesim_smc_regs *out)
{
	struct trace *t = ctx;

	if (t->n < MAX_TRACE) {
		t->e[t->n].from = from;
		t->e[t->n].in = *in;
		t->e[t->n].out = *out;
	}
	t->n++;
}

START_TEST(test_trace_in_out)
{
	struct sw sw = {0};
	struct trace t = {0};
	struct teesim_smc_regs in[3] = {regs_of(0x100), regs_of(0x200), regs_of(0x300)};

	ck_assert_int_eq(teesim_smc_attach(TH_M, sw_handler, &sw), 0);
	teesim_smc_set_trace(TH_M, tracer, &t);
	for (int i = 0; i < 3; i++) {
		struct teesim_smc_regs r = in[i];

		teesim_smc_call(TH_M, g0(), &r);
	}
	ck_assert_uint_eq(t.n, 3);
	for (int i = 0; i < 3; i++) {
		struct teesim_smc_regs want = answer(&in[i]);

		ck_assert_ptr_eq(t.e[i].from, g0());
		assert_regs(&t.e[i].in, &in[i]);
		assert_regs(&t.e[i].out, &want);
	}
	teesim_smc_set_trace(TH_M, NULL, NULL);
	teesim_smc_detach(TH_M);
}
END_TEST

START_TEST(test_trace_unknown_and_removed)
{
	struct trace t = {0};
	struct teesim_smc_regs in = regs_of(0x84000000), r = in;

	teesim_smc_set_trace(TH_M, tracer, &t);
	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(t.n, 1);
	assert_regs(&t.e[0].in, &in);
	ck_assert_uint_eq(t.e[0].out.a[0], TEESIM_SMC_UNKNOWN_FUNCTION);
	ck_assert_uint_eq(t.e[0].out.a[0], r.a[0]);
	teesim_smc_set_trace(TH_M, NULL, NULL);
	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(t.n, 1);
}
END_TEST

/* ---- fault hook ------------------------------------------------------- */

struct fault {
	struct teesim_machine *m;
	unsigned before, after;
	int before_ret;	     /* what BEFORE answers */
	bool skip_answer;    /* at BEFORE, write 0xdead000i */
	bool rewrite_a1;     /* at BEFORE, set a1 = 0x0f0f0f0f */
	bool rewrite_answer; /* at AFTER, set a0 = 0xbad */
	uint64_t delay_before, delay_after;
	struct teesim_smc_regs seen_after;
	struct teesim_guest *from;
};

static int fault_hook(void *ctx, enum teesim_smc_stage stage, struct teesim_guest *from,
		      struct teesim_smc_regs *regs)
{
	struct fault *f = ctx;

	f->from = from;
	if (stage == TEESIM_SMC_BEFORE) {
		f->before++;
		if (f->delay_before)
			teesim_clock_advance(f->m, f->delay_before);
		if (f->rewrite_a1)
			regs->a[1] = 0x0f0f0f0f;
		if (f->skip_answer)
			for (unsigned i = 0; i < 8; i++)
				regs->a[i] = 0xdead0000u + i;
		return f->before_ret;
	}
	f->after++;
	f->seen_after = *regs;
	if (f->delay_after)
		teesim_clock_advance(f->m, f->delay_after);
	if (f->rewrite_answer)
		regs->a[0] = 0xbad;
	return TEESIM_SMC_PASS;
}

START_TEST(test_fault_pass_sees_both_stages)
{
	struct sw sw = {0};
	struct fault f = {.m = TH_M, .before_ret = TEESIM_SMC_PASS};
	struct teesim_smc_regs in = regs_of(0x10), r = in, want = answer(&in);

	ck_assert_int_eq(teesim_smc_attach(TH_M, sw_handler, &sw), 0);
	teesim_smc_set_fault_hook(TH_M, fault_hook, &f);
	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(f.before, 1);
	ck_assert_uint_eq(f.after, 1);
	ck_assert_ptr_eq(f.from, g0());
	assert_regs(&f.seen_after, &want); /* AFTER gets the answer */
	assert_regs(&r, &want);
	teesim_smc_set_fault_hook(TH_M, NULL, NULL);
	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(f.before, 1);
	teesim_smc_detach(TH_M);
}
END_TEST

START_TEST(test_fault_before_skip)
{
	struct sw sw = {0};
	struct trace t = {0};
	struct fault f = {.m = TH_M, .before_ret = TEESIM_SMC_SKIP, .skip_answer = true};
	struct teesim_smc_regs in = regs_of(0x20), r = in, want;

	for (unsigned i = 0; i < 8; i++)
		want.a[i] = 0xdead0000u + i;
	ck_assert_int_eq(teesim_smc_attach(TH_M, sw_handler, &sw), 0);
	teesim_smc_set_fault_hook(TH_M, fault_hook, &f);
	teesim_smc_set_trace(TH_M, tracer, &t);
	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(atomic_load(&sw.calls), 0);
	assert_regs(&r, &want);
	ck_assert_uint_eq(t.n, 1);
	assert_regs(&t.e[0].in, &in);
	assert_regs(&t.e[0].out, &want);
	teesim_smc_set_trace(TH_M, NULL, NULL);
	teesim_smc_set_fault_hook(TH_M, NULL, NULL);
	teesim_smc_detach(TH_M);
}
END_TEST

START_TEST(test_fault_before_rewrites_input)
{
	struct sw sw = {0};
	struct fault f = {.m = TH_M, .before_ret = TEESIM_SMC_PASS, .rewrite_a1 = true};
	struct teesim_smc_regs in = regs_of(0x30), r = in, fwd = in, want;

	fwd.a[1] = 0x0f0f0f0f;
	want = answer(&fwd);
	ck_assert_int_eq(teesim_smc_attach(TH_M, sw_handler, &sw), 0);
	teesim_smc_set_fault_hook(TH_M, fault_hook, &f);
	teesim_smc_call(TH_M, g0(), &r);
	assert_regs(&sw.in, &fwd);
	assert_regs(&r, &want);
	teesim_smc_set_fault_hook(TH_M, NULL, NULL);
	teesim_smc_detach(TH_M);
}
END_TEST

START_TEST(test_fault_after_rewrites_answer)
{
	struct sw sw = {0};
	struct trace t = {0};
	struct fault f = {.m = TH_M, .before_ret = TEESIM_SMC_PASS, .rewrite_answer = true};
	struct teesim_smc_regs in = regs_of(0x40), r = in, want = answer(&in);

	want.a[0] = 0xbad;
	ck_assert_int_eq(teesim_smc_attach(TH_M, sw_handler, &sw), 0);
	teesim_smc_set_fault_hook(TH_M, fault_hook, &f);
	teesim_smc_set_trace(TH_M, tracer, &t);
	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(atomic_load(&sw.calls), 1);
	assert_regs(&r, &want);
	ck_assert_uint_eq(t.n, 1);
	assert_regs(&t.e[0].out, &want);
	teesim_smc_set_trace(TH_M, NULL, NULL);
	teesim_smc_set_fault_hook(TH_M, NULL, NULL);
	teesim_smc_detach(TH_M);
}
END_TEST

struct fired {
	unsigned n;
	uint64_t at;
};

static void on_timer(void *ctx, uint64_t now)
{
	struct fired *f = ctx;

	f->n++;
	f->at = now;
}

START_TEST(test_fault_delay)
{
	struct sw sw = {.m = TH_M};
	struct fault f = {
	    .m = TH_M, .before_ret = TEESIM_SMC_PASS, .delay_before = 1000, .delay_after = 500};
	struct fired timeout = {0};
	struct teesim_smc_regs in = regs_of(0x50), r = in, want = answer(&in);

	ck_assert_int_eq(teesim_clock_timer_add(TH_M, 1200, on_timer, &timeout, NULL), 0);
	ck_assert_int_eq(teesim_smc_attach(TH_M, sw_handler, &sw), 0);
	teesim_smc_set_fault_hook(TH_M, fault_hook, &f);
	teesim_smc_call(TH_M, g0(), &r);
	assert_regs(&r, &want);
	ck_assert_uint_eq(sw.clock, 1000); /* the call reached the secure world late */
	ck_assert_uint_eq(teesim_clock_now(TH_M), 1500);
	ck_assert_uint_eq(timeout.n, 1); /* and a timer fired during the delay */
	ck_assert_uint_eq(timeout.at, 1200);
	teesim_smc_set_fault_hook(TH_M, NULL, NULL);
	teesim_smc_detach(TH_M);
}
END_TEST

/* ---- mediator --------------------------------------------------------- */

struct med {
	struct teesim_machine *m;
	unsigned calls;
	bool forward;
	unsigned forwards; /* how many times to forward */
	struct teesim_guest *from;
	struct teesim_smc_regs in;
};

#define MED_A7 0x00070007u

static void mediator(void *ctx, struct teesim_guest *from, struct teesim_smc_regs *regs)
{
	struct med *md = ctx;

	md->calls++;
	md->from = from;
	md->in = *regs;
	if (!md->forward) {
		for (unsigned i = 0; i < 8; i++)
			regs->a[i] = 0x4ed00000u + i;
		return;
	}
	regs->a[7] = MED_A7;
	for (unsigned k = 0; k < md->forwards; k++) {
		struct teesim_smc_regs r = *regs;

		teesim_smc_forward(md->m, from, &r);
		if (k + 1 == md->forwards)
			*regs = r;
	}
}

START_TEST(test_mediator_forwards)
{
	struct sw sw = {0};
	struct med md = {.m = TH_M, .forward = true, .forwards = 1};
	struct trace t = {0};
	struct teesim_smc_regs in = regs_of(0x60), r = in, fwd = in, want;

	fwd.a[7] = MED_A7;
	want = answer(&fwd);
	ck_assert_int_eq(teesim_smc_attach(TH_M, sw_handler, &sw), 0);
	teesim_smc_set_mediator(TH_M, mediator, &md);
	teesim_smc_set_trace(TH_M, tracer, &t);
	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(md.calls, 1);
	ck_assert_ptr_eq(md.from, g0());
	assert_regs(&md.in, &in);
	ck_assert_uint_eq(atomic_load(&sw.calls), 1);
	ck_assert_ptr_eq(sw.from, g0());
	assert_regs(&sw.in, &fwd); /* the secure world sees the rewritten a7 */
	assert_regs(&r, &want);
	ck_assert_uint_eq(t.n, 1);
	assert_regs(&t.e[0].in, &in);
	assert_regs(&t.e[0].out, &want);
	teesim_smc_set_trace(TH_M, NULL, NULL);
	teesim_smc_set_mediator(TH_M, NULL, NULL);
	teesim_smc_detach(TH_M);
}
END_TEST

START_TEST(test_mediator_answers)
{
	struct sw sw = {0};
	struct med md = {.m = TH_M, .forward = false};
	struct teesim_smc_regs r = regs_of(0x70);

	ck_assert_int_eq(teesim_smc_attach(TH_M, sw_handler, &sw), 0);
	teesim_smc_set_mediator(TH_M, mediator, &md);
	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(md.calls, 1);
	ck_assert_uint_eq(atomic_load(&sw.calls), 0);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(r.a[i], 0x4ed00000u + i);
	teesim_smc_set_mediator(TH_M, NULL, NULL);
	teesim_smc_detach(TH_M);
}
END_TEST

START_TEST(test_mediator_no_secure_world)
{
	struct med md = {.m = TH_M, .forward = true, .forwards = 1};
	struct teesim_smc_regs r = regs_of(0x80);

	teesim_smc_set_mediator(TH_M, mediator, &md);
	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(md.calls, 1);
	ck_assert_uint_eq(r.a[0], TEESIM_SMC_UNKNOWN_FUNCTION);
	teesim_smc_set_mediator(TH_M, NULL, NULL);
}
END_TEST

START_TEST(test_mediator_removed)
{
	struct sw sw = {0};
	struct med md = {.m = TH_M, .forward = false};
	struct teesim_smc_regs in = regs_of(0x90), r = in, want = answer(&in);

	ck_assert_int_eq(teesim_smc_attach(TH_M, sw_handler, &sw), 0);
	teesim_smc_set_mediator(TH_M, mediator, &md);
	teesim_smc_set_mediator(TH_M, NULL, NULL);
	teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(md.calls, 0);
	assert_regs(&r, &want);
	teesim_smc_detach(TH_M);
}
END_TEST

/* smc_calls counts guest calls, not the mediator's forwards. */
START_TEST(test_mediator_forwards_not_counted)
{
	struct sw sw = {0};
	struct med md = {.m = TH_M, .forward = true, .forwards = 3};
	struct teesim_machine_stats st;
	struct teesim_smc_regs r = regs_of(0xa0);

	ck_assert_int_eq(teesim_smc_attach(TH_M, sw_handler, &sw), 0);
	teesim_smc_set_mediator(TH_M, mediator, &md);
	for (int i = 0; i < 4; i++)
		teesim_smc_call(TH_M, g0(), &r);
	ck_assert_uint_eq(atomic_load(&sw.calls), 12);
	teesim_machine_stats(TH_M, &st);
	ck_assert_uint_eq(st.smc_calls, 4);
	teesim_smc_set_mediator(TH_M, NULL, NULL);
	teesim_smc_detach(TH_M);
}
END_TEST

/* ---- threads ---------------------------------------------------------- */

#define NTHREADS 4
#define NCALLS	 10000

/* Stateless but for an atomic counter: safe from any number of threads. */
static void counting_handler(void *ctx, struct teesim_guest *from, struct teesim_smc_regs *regs)
{
	atomic_uint *calls = ctx;

	(void) from;
	atomic_fetch_add_explicit(calls, 1, memory_order_relaxed);
	*regs = answer(regs);
}

struct worker {
	struct teesim_machine *m;
	unsigned id;
	unsigned bad; /* calls whose answer was wrong */
	uint32_t first_bad;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct teesim_guest *g = teesim_machine_guest(w->m, 0);

	for (unsigned i = 0; i < NCALLS; i++) {
		struct teesim_smc_regs in, r, want;

		for (unsigned k = 0; k < 8; k++)
			in.a[k] = (w->id << 24) ^ (i << 4) ^ k;
		r = in;
		want = answer(&in);
		teesim_smc_call(w->m, g, &r);
		if (memcmp(&r, &want, sizeof(r)) != 0 && !w->bad++)
			w->first_bad = i;
	}
	return NULL;
}

START_TEST(test_threads)
{
	atomic_uint calls = 0;
	struct worker w[NTHREADS];
	pthread_t th[NTHREADS];
	struct teesim_machine_stats st;

	ck_assert_int_eq(teesim_smc_attach(TH_M, counting_handler, &calls), 0);
	for (unsigned i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){.m = TH_M, .id = i + 1};
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (unsigned i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	for (unsigned i = 0; i < NTHREADS; i++)
		ck_assert_msg(w[i].bad == 0, "thread %u: %u wrong answers, first at call %u", i,
			      w[i].bad, w[i].first_bad);
	ck_assert_uint_eq(atomic_load(&calls), NTHREADS * NCALLS);
	teesim_machine_stats(TH_M, &st);
	ck_assert_uint_eq(st.smc_calls, NTHREADS * NCALLS);
	teesim_smc_detach(TH_M);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("smc");
	TCase *tc;

	tc = th_tcase(s, "channel");
	tcase_add_test(tc, test_no_secure_world);
	tcase_add_test(tc, test_attach_handler);
	tcase_add_test(tc, test_handler_sees_calling_guest);
	tcase_add_test(tc, test_attach_twice);
	tcase_add_test(tc, test_attach_null);
	tcase_add_test(tc, test_detach);
	tcase_add_test(tc, test_forward_direct);
	tcase_add_test(tc, test_smc_calls_counted);

	tc = th_tcase(s, "trace");
	tcase_add_test(tc, test_trace_in_out);
	tcase_add_test(tc, test_trace_unknown_and_removed);

	tc = th_tcase(s, "fault");
	tcase_add_test(tc, test_fault_pass_sees_both_stages);
	tcase_add_test(tc, test_fault_before_skip);
	tcase_add_test(tc, test_fault_before_rewrites_input);
	tcase_add_test(tc, test_fault_after_rewrites_answer);
	tcase_add_test(tc, test_fault_delay);

	tc = th_tcase(s, "mediator");
	tcase_add_test(tc, test_mediator_forwards);
	tcase_add_test(tc, test_mediator_answers);
	tcase_add_test(tc, test_mediator_no_secure_world);
	tcase_add_test(tc, test_mediator_removed);
	tcase_add_test(tc, test_mediator_forwards_not_counted);

	tc = th_tcase(s, "threads");
	tcase_add_test(tc, test_threads);
	return th_run(s);
}
