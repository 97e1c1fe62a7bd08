/* SPDX-License-Identifier: MIT */
/*
 * Setup costs paid on demand (white box): secure threads get their fiber on
 * their first call and keep it; a thread that cannot get one answers ENOMEM
 * and changes nothing.
 */
#include "internal.h"
#include "optee/sw_internal.h"
#include "test-sw-nw.h"

static unsigned fibers(const struct teesim_sw *sw)
{
	unsigned n = 0;

	for (unsigned i = 0; i < sw->nthreads; i++)
		n += sw->threads[i].fiber != NULL;
	return n;
}

/* A message for the built-in "rpc" TA that suspends its thread in a foreign-interrupt RPC. */
static struct teesim_optee_msg_arg *fintr_msg(struct nw *nw, uint32_t sid, teesim_pa_t *pa)
{
	struct teesim_optee_msg_arg *a = nw_pages(nw, 1, pa);

	memset(a, 0, 256);
	a->cmd = TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND;
	a->session = sid;
	a->func = TEESIM_TA_RPC_CMD_FOREIGN_INTR;
	a->num_params = 3;
	a->params[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT;
	a->params[1].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;
	a->params[2].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;
	return a;
}

START_TEST(test_no_call_no_fiber)
{
	struct nw nw;
	struct teesim_smc_regs r = {{TEESIM_OPTEE_SMC_CALLS_COUNT}};

	th_setup();
	nw_init(&nw, TH_M, TEESIM_OPTEE_GEN_HEAD);
	ck_assert_uint_eq(nw.sw->nthreads, teesim_sw_config(nw.sw)->num_threads);
	ck_assert_uint_eq(fibers(nw.sw), 0);
	/* fast calls run on the caller's stack */
	nw_fast(&nw, &r);
	ck_assert_uint_eq(fibers(nw.sw), 0);
	nw_fini(&nw);
	th_teardown();
}
END_TEST

START_TEST(test_fiber_on_first_call_and_kept)
{
	struct nw nw;
	struct tsim_fiber *first;
	uint32_t sid;

	th_setup();
	nw_init(&nw, TH_M, TEESIM_OPTEE_GEN_HEAD);
	sid = nw_open(&nw, TEESIM_TA_RPC_UUID);
	ck_assert_uint_ne(sid, 0);
	/* sequential calls all take thread 0: one fiber, the same one every time */
	ck_assert_uint_eq(fibers(nw.sw), 1);
	first = nw.sw->threads[0].fiber;
	ck_assert_ptr_nonnull(first);
	ck_assert_uint_eq(nw_close(&nw, sid), 0);
	ck_assert_ptr_eq(nw.sw->threads[0].fiber, first);
	ck_assert_uint_eq(fibers(nw.sw), 1);
	nw_fini(&nw);
	th_teardown();
}
END_TEST

START_TEST(test_fibers_for_threads_used)
{
	struct nw nw;
	struct teesim_smc_regs r[2];
	teesim_pa_t pa[2];
	uint32_t sid;

	th_setup();
	nw_init(&nw, TH_M, TEESIM_OPTEE_GEN_HEAD);
	ck_assert_uint_ge(nw.sw->nthreads, 3);
	sid = nw_open(&nw, TEESIM_TA_RPC_UUID);
	/* two calls suspended at once: two threads, two fibers, no more */
	for (unsigned i = 0; i < 2; i++) {
		fintr_msg(&nw, sid, &pa[i]);
		ck_assert_uint_eq(nw_raw_call(&nw, TEESIM_OPTEE_SMC_CALL_WITH_ARG, pa[i], &r[i]),
				  TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR);
		ck_assert_uint_eq(r[i].a[3], i);
	}
	ck_assert_uint_eq(fibers(nw.sw), 2);
	ck_assert_ptr_null(nw.sw->threads[2].fiber);
	for (unsigned i = 2; i-- > 0;)
		ck_assert_uint_eq(nw_resume(&nw, &r[i]), 0);
	ck_assert_uint_eq(fibers(nw.sw), 2);
	ck_assert_uint_eq(nw_close(&nw, sid), 0);
	nw_fini(&nw);
	th_teardown();
}
END_TEST

START_TEST(test_fiber_failure_enomem)
{
	struct nw nw;
	struct teesim_sw_stats before, after;
	struct teesim_smc_regs x;
	const size_t stack = TSIM_FIBER_MAX_STACK + 1;
	size_t saved;
	uint32_t sid;

	th_setup();
	nw_init(&nw, TH_M, TEESIM_OPTEE_GEN_HEAD);
	/* no fiber can get this stack: every thread's first call fails */
	saved = nw.sw->cfg.stack_size;
	nw.sw->cfg.stack_size = stack;
	before = nw_stats(&nw);
	nw_open_msg(&nw, TEESIM_TA_RPC_UUID, 0);
	x = (struct teesim_smc_regs){
	    {TEESIM_OPTEE_SMC_CALL_WITH_ARG, 0, (uint32_t) nw.arg_pa, 3, 4, 5, 6, 7}};
	teesim_smc_call(nw.m, nw.g, &x);
	ck_assert_uint_eq(x.a[0], TEESIM_OPTEE_SMC_RETURN_ENOMEM);
	/* a1..a7 preserved */
	ck_assert_uint_eq(x.a[1], 0);
	ck_assert_uint_eq(x.a[2], (uint32_t) nw.arg_pa);
	ck_assert_uint_eq(x.a[3], 3);
	ck_assert_uint_eq(x.a[7], 7);
	/* nothing changed but the refusal count: no call, no thread taken, no session */
	after = nw_stats(&nw);
	ck_assert_uint_eq(after.std_calls, before.std_calls);
	ck_assert_uint_eq(after.rejected, before.rejected + 1);
	ck_assert_uint_eq(after.sessions, before.sessions);
	ck_assert_uint_eq(after.threads_busy, 0);
	ck_assert_uint_eq(fibers(nw.sw), 0);
	for (unsigned i = 0; i < nw.sw->nthreads; i++)
		ck_assert_int_eq(teesim_sw_thread_state(nw.sw, i), TEESIM_SW_THREAD_FREE);
	/* with a stack again, the same thread works */
	nw.sw->cfg.stack_size = saved;
	sid = nw_open(&nw, TEESIM_TA_RPC_UUID);
	ck_assert_uint_ne(sid, 0);
	ck_assert_uint_eq(fibers(nw.sw), 1);
	ck_assert_uint_eq(nw_close(&nw, sid), 0);
	nw_fini(&nw);
	th_teardown();
}
END_TEST

START_TEST(test_huge_stack_refused_at_creation)
{
	struct teesim_sw_cfg cfg;

	th_setup();
	teesim_sw_cfg_default(&cfg, TEESIM_OPTEE_GEN_HEAD);
	cfg.stack_size = TSIM_FIBER_MAX_STACK + 1;
	errno = 0;
	ck_assert_ptr_null(teesim_sw_new(TH_M, &cfg));
	ck_assert_int_eq(errno, ENOMEM);
	cfg.stack_size = TSIM_FIBER_MAX_STACK; /* the largest allowed, mapped only when used */
	struct teesim_sw *sw = teesim_sw_new(TH_M, &cfg);
	ck_assert_ptr_nonnull(sw);
	teesim_sw_free(sw);
	th_teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sw-lazy");
	TCase *tc = tcase_create("fibers");

	tcase_add_test(tc, test_no_call_no_fiber);
	tcase_add_test(tc, test_fiber_on_first_call_and_kept);
	tcase_add_test(tc, test_fibers_for_threads_used);
	tcase_add_test(tc, test_fiber_failure_enomem);
	tcase_add_test(tc, test_huge_stack_refused_at_creation);
	suite_add_tcase(s, tc);
	return th_run(s);
}
