/* SPDX-License-Identifier: MIT */
/* The virtual clock and its timers. */
#include <stdint.h>

#include "harness.h"

#define MAX_EVENTS 16

/* What fired, in order. */
struct rec {
	struct teesim_machine *m;
	unsigned n;
	struct {
		int tag;
		uint64_t arg;	/* the callback's now */
		uint64_t clock; /* teesim_clock_now() inside the callback */
	} ev[MAX_EVENTS];
};

/* One timer's context; the optional actions run when it fires. */
struct tmr {
	struct rec *rec;
	int tag;
	struct tmr *chain;	 /* arm this one ... */
	uint64_t chain_deadline; /* ... at this deadline */
	uint64_t cancel_id;	 /* disarm this timer, if non-zero */
	int cancel_ret;
};

static void on_timer(void *ctx, uint64_t now)
{
	struct tmr *t = ctx;
	struct rec *r = t->rec;

	if (r->n < MAX_EVENTS) {
		r->ev[r->n].tag = t->tag;
		r->ev[r->n].arg = now;
		r->ev[r->n].clock = teesim_clock_now(r->m);
	}
	r->n++;
	if (t->chain)
		ck_assert_int_eq(
		    teesim_clock_timer_add(r->m, t->chain_deadline, on_timer, t->chain, NULL), 0);
	if (t->cancel_id)
		t->cancel_ret = teesim_clock_timer_cancel(r->m, t->cancel_id);
}

static uint64_t arm(struct teesim_machine *m, uint64_t deadline, struct tmr *t)
{
	uint64_t id = 0;

	ck_assert_int_eq(teesim_clock_timer_add(m, deadline, on_timer, t, &id), 0);
	ck_assert_uint_ne(id, 0);
	return id;
}

static void assert_event(const struct rec *r, unsigned i, int tag, uint64_t now)
{
	ck_assert_uint_gt(r->n, i);
	ck_assert_msg(r->ev[i].tag == tag, "event %u: timer %d fired, expected %d", i, r->ev[i].tag,
		      tag);
	ck_assert_uint_eq(r->ev[i].arg, now);
	ck_assert_uint_eq(r->ev[i].clock, now);
}

/* ---- time ------------------------------------------------------------- */

START_TEST(test_starts_at_zero)
{
	ck_assert_uint_eq(teesim_clock_now(TH_M), 0);
}
END_TEST

START_TEST(test_advance_returns_new_time)
{
	ck_assert_uint_eq(teesim_clock_advance(TH_M, 10), 10);
	ck_assert_uint_eq(teesim_clock_now(TH_M), 10);
	ck_assert_uint_eq(teesim_clock_advance(TH_M, 0), 10);
	ck_assert_uint_eq(teesim_clock_advance(TH_M, 1000000007), 1000000017);
	ck_assert_uint_eq(teesim_clock_now(TH_M), 1000000017);
}
END_TEST

START_TEST(test_advance_saturates)
{
	struct rec r = {.m = TH_M};
	struct tmr t = {.rec = &r, .tag = 1};

	ck_assert_uint_eq(teesim_clock_advance(TH_M, UINT64_MAX - 5), UINT64_MAX - 5);
	arm(TH_M, UINT64_MAX, &t);
	ck_assert_uint_eq(teesim_clock_advance(TH_M, 10), UINT64_MAX);
	ck_assert_uint_eq(teesim_clock_now(TH_M), UINT64_MAX);
	ck_assert_uint_eq(r.n, 1);
	assert_event(&r, 0, 1, UINT64_MAX);
	ck_assert_uint_eq(teesim_clock_advance(TH_M, 1), UINT64_MAX);
	ck_assert_uint_eq(teesim_clock_advance(TH_M, UINT64_MAX), UINT64_MAX);
}
END_TEST

START_TEST(test_two_machines_independent)
{
	struct teesim_machine *m2 = th_machine(NULL);
	struct rec r1 = {.m = TH_M}, r2 = {.m = m2};
	struct tmr t1 = {.rec = &r1, .tag = 1}, t2 = {.rec = &r2, .tag = 2};

	arm(TH_M, 50, &t1);
	arm(m2, 50, &t2);
	ck_assert_uint_eq(teesim_clock_advance(TH_M, 100), 100);
	ck_assert_uint_eq(teesim_clock_now(m2), 0);
	ck_assert_uint_eq(r1.n, 1);
	ck_assert_uint_eq(r2.n, 0);
	ck_assert_uint_eq(teesim_clock_advance(m2, 60), 60);
	ck_assert_uint_eq(teesim_clock_now(TH_M), 100);
	ck_assert_uint_eq(r2.n, 1);
	assert_event(&r2, 0, 2, 50);
	th_machine_done(m2);
}
END_TEST

/* ---- firing ----------------------------------------------------------- */

START_TEST(test_fire_in_deadline_order)
{
	struct rec r = {.m = TH_M};
	struct tmr t[3] = {{.rec = &r, .tag = 30}, {.rec = &r, .tag = 10}, {.rec = &r, .tag = 20}};

	arm(TH_M, 30, &t[0]);
	arm(TH_M, 10, &t[1]);
	arm(TH_M, 20, &t[2]);
	ck_assert_uint_eq(teesim_clock_advance(TH_M, 100), 100);
	ck_assert_uint_eq(r.n, 3);
	assert_event(&r, 0, 10, 10);
	assert_event(&r, 1, 20, 20);
	assert_event(&r, 2, 30, 30);
	ck_assert_uint_eq(teesim_clock_now(TH_M), 100);
}
END_TEST

START_TEST(test_ties_in_creation_order)
{
	struct rec r = {.m = TH_M};
	struct tmr t[4] = {{.rec = &r, .tag = 1},
			   {.rec = &r, .tag = 2},
			   {.rec = &r, .tag = 3},
			   {.rec = &r, .tag = 4}};

	arm(TH_M, 50, &t[0]);
	arm(TH_M, 50, &t[1]);
	arm(TH_M, 40, &t[2]);
	arm(TH_M, 50, &t[3]);
	teesim_clock_advance(TH_M, 50);
	ck_assert_uint_eq(r.n, 4);
	assert_event(&r, 0, 3, 40);
	assert_event(&r, 1, 1, 50);
	assert_event(&r, 2, 2, 50);
	assert_event(&r, 3, 4, 50);
}
END_TEST

START_TEST(test_fires_only_when_due)
{
	struct rec r = {.m = TH_M};
	struct tmr t = {.rec = &r, .tag = 7};

	arm(TH_M, 200, &t);
	ck_assert_uint_eq(teesim_clock_advance(TH_M, 199), 199);
	ck_assert_uint_eq(r.n, 0);
	ck_assert_uint_eq(teesim_clock_advance(TH_M, 1), 200);
	ck_assert_uint_eq(r.n, 1);
	assert_event(&r, 0, 7, 200);
	/* one-shot */
	teesim_clock_advance(TH_M, 1000);
	ck_assert_uint_eq(r.n, 1);
}
END_TEST

START_TEST(test_past_deadline_fires_next_advance)
{
	struct rec r = {.m = TH_M};
	struct tmr past = {.rec = &r, .tag = 1}, now = {.rec = &r, .tag = 2};

	teesim_clock_advance(TH_M, 100);
	arm(TH_M, 50, &past);
	arm(TH_M, 100, &now);
	ck_assert_uint_eq(r.n, 0); /* arming never fires */
	ck_assert_uint_eq(teesim_clock_advance(TH_M, 0), 100);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_int_eq(r.ev[0].tag, 1);
	ck_assert_uint_eq(r.ev[0].arg, 50);
	assert_event(&r, 1, 2, 100);
	ck_assert_uint_eq(teesim_clock_now(TH_M), 100);
}
END_TEST

START_TEST(test_timer_added_by_callback_fires_same_advance)
{
	struct rec r = {.m = TH_M};
	struct tmr late = {.rec = &r, .tag = 3};
	struct tmr second = {.rec = &r, .tag = 2, .chain = &late, .chain_deadline = 500};
	struct tmr first = {.rec = &r, .tag = 1, .chain = &second, .chain_deadline = 20};

	arm(TH_M, 10, &first);
	ck_assert_uint_eq(teesim_clock_advance(TH_M, 100), 100);
	ck_assert_uint_eq(r.n, 2);
	assert_event(&r, 0, 1, 10);
	assert_event(&r, 1, 2, 20);
	/* the one armed beyond this advance waits for its own */
	ck_assert_uint_eq(teesim_clock_advance(TH_M, 400), 500);
	ck_assert_uint_eq(r.n, 3);
	assert_event(&r, 2, 3, 500);
}
END_TEST

/* Armed from a callback at a deadline already passed: still fires in this advance. */
START_TEST(test_callback_adds_past_timer)
{
	struct rec r = {.m = TH_M};
	struct tmr back = {.rec = &r, .tag = 2};
	struct tmr first = {.rec = &r, .tag = 1, .chain = &back, .chain_deadline = 5};
	struct tmr last = {.rec = &r, .tag = 3};

	arm(TH_M, 10, &first);
	arm(TH_M, 60, &last);
	ck_assert_uint_eq(teesim_clock_advance(TH_M, 100), 100);
	ck_assert_uint_eq(r.n, 3);
	assert_event(&r, 0, 1, 10);
	ck_assert_int_eq(r.ev[1].tag, 2);
	ck_assert_uint_eq(r.ev[1].arg, 5);
	assert_event(&r, 2, 3, 60);
}
END_TEST

/* ---- ids and cancel --------------------------------------------------- */

START_TEST(test_ids_distinct)
{
	struct rec r = {.m = TH_M};
	struct tmr t = {.rec = &r};
	uint64_t a = arm(TH_M, 1, &t), b = arm(TH_M, 1, &t), c = arm(TH_M, 1, &t);

	ck_assert_uint_ne(a, b);
	ck_assert_uint_ne(b, c);
	ck_assert_uint_ne(a, c);
	/* id may be NULL */
	ck_assert_int_eq(teesim_clock_timer_add(TH_M, 1, on_timer, &t, NULL), 0);
	teesim_clock_advance(TH_M, 1);
	ck_assert_uint_eq(r.n, 4);
}
END_TEST

START_TEST(test_add_null_fn)
{
	uint64_t id = 0;

	th_assert_err(teesim_clock_timer_add(TH_M, 10, NULL, NULL, &id), -EINVAL);
	th_assert_err(teesim_clock_timer_add(TH_M, 10, NULL, &id, NULL), -EINVAL);
	ck_assert_uint_eq(teesim_clock_advance(TH_M, 100), 100);
}
END_TEST

START_TEST(test_cancel)
{
	struct rec r = {.m = TH_M};
	struct tmr a = {.rec = &r, .tag = 1}, b = {.rec = &r, .tag = 2};
	uint64_t ida = arm(TH_M, 10, &a);

	arm(TH_M, 20, &b);
	ck_assert_int_eq(teesim_clock_timer_cancel(TH_M, ida), 0);
	th_assert_err(teesim_clock_timer_cancel(TH_M, ida), -ENOENT);
	teesim_clock_advance(TH_M, 100);
	ck_assert_uint_eq(r.n, 1);
	assert_event(&r, 0, 2, 20);
}
END_TEST

START_TEST(test_cancel_unknown)
{
	th_assert_err(teesim_clock_timer_cancel(TH_M, 0), -ENOENT);
	th_assert_err(teesim_clock_timer_cancel(TH_M, 12345), -ENOENT);
	th_assert_err(teesim_clock_timer_cancel(TH_M, UINT64_MAX), -ENOENT);
}
END_TEST

START_TEST(test_cancel_fired)
{
	struct rec r = {.m = TH_M};
	struct tmr t = {.rec = &r, .tag = 1};
	uint64_t id = arm(TH_M, 10, &t);

	teesim_clock_advance(TH_M, 10);
	ck_assert_uint_eq(r.n, 1);
	th_assert_err(teesim_clock_timer_cancel(TH_M, id), -ENOENT);
}
END_TEST

/* A callback cancels a timer due later in the same advance: it never fires. */
START_TEST(test_cancel_from_callback)
{
	struct rec r = {.m = TH_M};
	struct tmr victim = {.rec = &r, .tag = 2};
	struct tmr killer = {.rec = &r, .tag = 1, .cancel_ret = 1};
	uint64_t vid;

	arm(TH_M, 10, &killer);
	vid = arm(TH_M, 20, &victim);
	killer.cancel_id = vid;
	teesim_clock_advance(TH_M, 100);
	ck_assert_int_eq(killer.cancel_ret, 0);
	ck_assert_uint_eq(r.n, 1);
	assert_event(&r, 0, 1, 10);
	teesim_clock_advance(TH_M, 100);
	ck_assert_uint_eq(r.n, 1);
}
END_TEST

/* Timers still armed when the machine goes away are simply dropped. */
START_TEST(test_free_with_armed_timers)
{
	struct teesim_machine *m = th_machine(NULL);
	struct rec r = {.m = m};
	struct tmr t = {.rec = &r, .tag = 1};

	for (int i = 0; i < 20; i++)
		arm(m, 1000 + (uint64_t) i, &t);
	th_machine_done(m);
	ck_assert_uint_eq(r.n, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("clock");
	TCase *tc;

	tc = th_tcase(s, "time");
	tcase_add_test(tc, test_starts_at_zero);
	tcase_add_test(tc, test_advance_returns_new_time);
	tcase_add_test(tc, test_advance_saturates);
	tcase_add_test(tc, test_two_machines_independent);

	tc = th_tcase(s, "firing");
	tcase_add_test(tc, test_fire_in_deadline_order);
	tcase_add_test(tc, test_ties_in_creation_order);
	tcase_add_test(tc, test_fires_only_when_due);
	tcase_add_test(tc, test_past_deadline_fires_next_advance);
	tcase_add_test(tc, test_timer_added_by_callback_fires_same_advance);
	tcase_add_test(tc, test_callback_adds_past_timer);

	tc = th_tcase(s, "cancel");
	tcase_add_test(tc, test_ids_distinct);
	tcase_add_test(tc, test_add_null_fn);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_cancel_unknown);
	tcase_add_test(tc, test_cancel_fired);
	tcase_add_test(tc, test_cancel_from_callback);
	tcase_add_test(tc, test_free_with_armed_timers);
	return th_run(s);
}
