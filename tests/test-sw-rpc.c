/* SPDX-License-Identifier: MIT */
/*
 * Secure world, threads and RPCs: every RPC the secure world issues, cookies
 * echoed back, the RPC argument buffer rules, ETHREAD_LIMIT, ERESUME,
 * injected foreign interrupts, resuming from other host threads, several
 * host threads at once, and teardown with suspended threads.
 */
#include <pthread.h>

#include "test-sw-nw.h"

#define VIN  TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT
#define VOUT TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT
#define VIO  TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT

static struct nw NW;
static uint32_t SID;

static void setup_gen(enum teesim_optee_gen gen)
{
	th_setup();
	nw_init(&NW, TH_M, gen);
	SID = nw_open(&NW, TEESIM_TA_RPC_UUID);
}

static void setup_head(void)
{
	setup_gen(TEESIM_OPTEE_GEN_HEAD);
}

static void setup_30(void)
{
	setup_gen(TEESIM_OPTEE_GEN_3_0);
}

static void teardown(void)
{
	ck_assert_uint_eq(nw_close(&NW, SID), 0);
	ck_assert_uint_eq(nw_stats(&NW).threads_busy, 0);
	ck_assert_uint_eq(nw_stats(&NW).rpc_shm_objects, 0);
	nw_fini(&NW);
	th_teardown();
}

/* Invoke an rpc-TA command with p1 = {a, b}; returns p0 (the RPC's result). */
static struct teesim_optee_msg_arg *rpc_msg(struct teesim_optee_msg_arg *a, uint32_t func,
					    uint64_t x, uint64_t y)
{
	memset(a, 0, 256);
	a->cmd = TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND;
	a->session = SID;
	a->func = func;
	a->num_params = 3;
	a->params[0].attr = VOUT;
	a->params[1].attr = VIO;
	a->params[1].u.value.a = x;
	a->params[1].u.value.b = y;
	a->params[2].attr = VIO;
	return a;
}

static uint32_t rpc_run(uint32_t func, uint64_t x, uint64_t y)
{
	struct teesim_optee_msg_arg *a = rpc_msg(NW.arg, func, x, y);

	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, 0);
	return (uint32_t) a->params[0].u.value.a;
}

START_TEST(test_cmds)
{
	teesim_clock_advance(TH_M, 5 * 1000000000ull + 123);
	ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_GET_TIME, 0, 0), 0);
	ck_assert_uint_eq(NW.arg->params[0].u.value.b, 5);
	ck_assert_uint_eq(NW.arg->params[1].u.value.a, 123);
	ck_assert_uint_eq(NW.cmd_count[TEESIM_OPTEE_RPC_CMD_GET_TIME], 1);

	ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_SUSPEND, 20, 0), 0);
	ck_assert_uint_eq(teesim_clock_now(TH_M), 5 * 1000000000ull + 123 + 20000000);

	ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_WAIT_SLEEP, 77, 0), 0);
	ck_assert_uint_eq(NW.last_wq_op, TEESIM_OPTEE_RPC_WAIT_QUEUE_SLEEP);
	ck_assert_uint_eq(NW.last_wq_key, 77);
	ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_WAIT_WAKEUP, 78, 0), 0);
	ck_assert_uint_eq(NW.last_wq_op, TEESIM_OPTEE_RPC_WAIT_QUEUE_WAKEUP);
	ck_assert_uint_eq(NW.last_wq_key, 78);

	ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_FOREIGN_INTR, 0, 0), 0);
	ck_assert_uint_eq(NW.rpc_fintr, 1);

	/* FS goes out with the op and a kernel buffer; the answer comes back */
	ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_FS, TEESIM_OPTEE_RPC_FS_READ, 0), 0);
	ck_assert_uint_eq(NW.arg->params[0].u.value.b, 1000 + TEESIM_OPTEE_RPC_FS_READ);
	ck_assert_uint_eq(NW.cmd_count[TEESIM_OPTEE_RPC_CMD_SHM_ALLOC], 1);
	ck_assert_uint_eq(NW.cmd_count[TEESIM_OPTEE_RPC_CMD_SHM_FREE], 1);

	/* an unknown command reaches the normal world, which refuses it */
	ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_CUSTOM, 30, 0),
			  TEESIM_OPTEE_ERROR_NOT_SUPPORTED);
	ck_assert_uint_eq(NW.cmd_count[30], 1);
	/* no RPC buffer or argument left behind, the arg freed per call (no cache) */
	ck_assert_uint_eq(NW.rpc_alloc, NW.rpc_free);
}
END_TEST

START_TEST(test_shm_alloc)
{
	uint32_t cookie;

	/* kernel and application buffers; the cookie comes back in SHM_FREE */
	for (uint32_t type = 0; type < 2; type++) {
		ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_SHM_ALLOC, type, 3 * 4096 + 5), 0);
		cookie = (uint32_t) NW.arg->params[0].u.value.b;
		ck_assert_uint_eq(NW.last_shm_free_cookie & 0xffffffffu, cookie);
		ck_assert_uint_eq(NW.last_shm_free_cookie >> 32, 1); /* 0xc0c00000 + PA */
	}
	ck_assert_uint_eq(NW.cmd_count[TEESIM_OPTEE_RPC_CMD_SHM_ALLOC], 2);
	ck_assert_uint_eq(NW.cmd_count[TEESIM_OPTEE_RPC_CMD_SHM_FREE], 2);
}
END_TEST

START_TEST(test_shm_alloc_contig)
{
	/* a plain TMEM reply outside the pool: one page is fine today, 3.0
	 * refuses it and frees it again */
	NW.shm_alloc_contig = true;
	if (teesim_sw_config(NW.sw)->gen == TEESIM_OPTEE_GEN_HEAD) {
		ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_SHM_ALLOC, 1, 100), 0);
		ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_SHM_ALLOC, 1, 8192),
				  TEESIM_OPTEE_ERROR_OUT_OF_MEMORY);
	} else {
		ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_SHM_ALLOC, 1, 100),
				  TEESIM_OPTEE_ERROR_OUT_OF_MEMORY);
	}
	ck_assert_uint_eq(NW.cmd_count[TEESIM_OPTEE_RPC_CMD_SHM_ALLOC],
			  NW.cmd_count[TEESIM_OPTEE_RPC_CMD_SHM_FREE]);
}
END_TEST

/* RPC_ALLOC answers from the test: */
static teesim_pa_t ALLOC_PA;
static unsigned FREES;
static uint64_t FREED;

static bool alloc_hook(struct nw *nw, struct teesim_smc_regs *r)
{
	if (r->a[0] == TEESIM_OPTEE_SMC_RETURN_RPC_ALLOC) {
		r->a[1] = (uint32_t) (ALLOC_PA >> 32);
		r->a[2] = (uint32_t) ALLOC_PA;
		r->a[4] = 0x11223344u;
		r->a[5] = 0x55667788u;
		return true;
	}
	if (r->a[0] == TEESIM_OPTEE_SMC_RETURN_RPC_FREE) {
		FREES++;
		FREED = ((uint64_t) r->a[1] << 32) | r->a[2];
		return true;
	}
	if (r->a[0] == TEESIM_OPTEE_SMC_RETURN_RPC_CMD) {
		struct teesim_optee_msg_arg *a = nw_host_of(nw, ALLOC_PA);

		ck_assert_uint_eq(r->a[1], 0x11223344u); /* our cookie, echoed */
		ck_assert_uint_eq(r->a[2], 0x55667788u);
		a->ret = 0;
		return true;
	}
	return false;
}

START_TEST(test_rpc_alloc_refused)
{
	const struct teesim_machine_cfg *mc = teesim_machine_cfg(TH_M);
	const teesim_pa_t bad[] = {NW.arg_pa + 8, mc->secure_base, NW.shm_pa + NW.shm_size - 8};

	NW.hook = alloc_hook;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FREES = 0;
		ALLOC_PA = bad[i];
		ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_GET_TIME, 0, 0),
				  TEESIM_OPTEE_ERROR_OUT_OF_MEMORY);
		/* handed straight back, cookie intact */
		ck_assert_uint_eq(FREES, 1);
		ck_assert_uint_eq(FREED, 0x1122334455667788ull);
	}
	/* allocation failure: nothing to free */
	FREES = 0;
	ALLOC_PA = 0;
	ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_GET_TIME, 0, 0),
			  TEESIM_OPTEE_ERROR_OUT_OF_MEMORY);
	ck_assert_uint_eq(FREES, 0);
	/* inside the pool is fine (8-byte aligned) */
	ALLOC_PA = NW.shm_pa + 0x48;
	ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_WAIT_SLEEP, 3, 0), 0);
	ck_assert_uint_eq(FREES, 1);
	ck_assert_uint_eq(((struct teesim_optee_msg_arg *) (NW.shm + 0x48))->cmd,
			  TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 0);
	NW.hook = NULL;
}
END_TEST

START_TEST(test_rpc_arg_follows)
{
	/* CALL_WITH_RPC_ARG: the RPC argument sits right after the call's */
	struct teesim_optee_msg_arg *a = rpc_msg(NW.arg, TEESIM_TA_RPC_CMD_WAIT_SLEEP, 9, 0);
	struct teesim_optee_msg_arg *rpc = (void *) ((unsigned char *) a + 32 + 3 * 32);
	struct teesim_smc_regs r;

	teesim_sw_count_reads(NW.sw, true); /* from the start of the call */
	ck_assert_uint_eq(nw_raw_call(&NW, TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG, NW.arg_pa, &r),
			  TEESIM_OPTEE_SMC_RETURN_RPC_CMD);
	ck_assert_uint_eq(rpc->cmd, TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE);
	ck_assert_uint_eq(rpc->ret, TEESIM_OPTEE_ERROR_GENERIC); /* preset */
	ck_assert_uint_eq(rpc->params[0].u.value.b, 9);
	rpc->ret = 0;
	ck_assert_uint_eq(nw_resume(&NW, &r), 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(a->params[0].u.value.a, 0);
	ck_assert_uint_eq(NW.rpc_alloc, 0);
	/* the answer was fetched once: header and its one param */
	for (unsigned off = 0; off < 64; off += 4)
		ck_assert_uint_eq(teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_RPC_ARG, off), 1);
	ck_assert_uint_eq(teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_RPC_ARG, 64), 0);
	teesim_sw_count_reads(NW.sw, false);
	/* the two must fit in the page */
	a = rpc_msg(NW.arg, 0, 0, 0);
	a->num_params = 123;
	ck_assert_uint_eq(nw_raw_call(&NW, TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG, NW.arg_pa, NULL),
			  TEESIM_OPTEE_SMC_RETURN_EBADADDR);
}
END_TEST

START_TEST(test_rpc_arg_keeps_cache)
{
	struct teesim_smc_regs r = {{TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE}};
	struct teesim_optee_msg_arg *a;

	nw_fast(&NW, &r);
	ck_assert_uint_eq(r.a[0], 0);
	ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_WAIT_SLEEP, 1, 0), 0);
	ck_assert_uint_eq(nw_stats(&NW).cached_rpc_args, 1);
	/* a call that brings its own RPC argument leaves the cached one alone */
	a = rpc_msg(NW.arg, TEESIM_TA_RPC_CMD_FOREIGN_INTR, 0, 0);
	ck_assert_uint_eq(nw_call_fid(&NW, TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(nw_stats(&NW).cached_rpc_args, 1);
	ck_assert_uint_eq(NW.rpc_alloc, 1);
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE}};
	nw_fast(&NW, &r);
	ck_assert_uint_eq(r.a[0], 0);
	ck_assert_uint_eq(r.a[1], 0xabcd0000u);
	nw_pages_free(&NW, r.a[2]);
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE}};
	nw_fast(&NW, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL);
}
END_TEST

START_TEST(test_thread_limit)
{
	const unsigned n = teesim_sw_config(NW.sw)->num_threads;
	struct teesim_smc_regs r[8], x;
	struct teesim_optee_msg_arg *a[8];
	teesim_pa_t pa[8];

	for (unsigned i = 0; i < n; i++) {
		a[i] = rpc_msg(nw_pages(&NW, 1, &pa[i]), TEESIM_TA_RPC_CMD_FOREIGN_INTR, 0, 0);
		ck_assert_uint_eq(nw_raw_call(&NW, TEESIM_OPTEE_SMC_CALL_WITH_ARG, pa[i], &r[i]),
				  TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR);
		ck_assert_uint_lt(r[i].a[3], n);
		ck_assert_int_eq(teesim_sw_thread_state(NW.sw, r[i].a[3]),
				 TEESIM_SW_THREAD_SUSPENDED);
	}
	ck_assert_uint_eq(nw_stats(&NW).threads_suspended, n);
	/* the next call finds no thread: ETHREAD_LIMIT, a1..a7 untouched */
	x = (struct teesim_smc_regs){
	    {TEESIM_OPTEE_SMC_CALL_WITH_ARG, 0, (uint32_t) NW.arg_pa, 3, 4, 5, 6, 0}};
	teesim_smc_call(NW.m, NW.g, &x);
	ck_assert_uint_eq(x.a[0], TEESIM_OPTEE_SMC_RETURN_ETHREAD_LIMIT);
	ck_assert_uint_eq(x.a[2], (uint32_t) NW.arg_pa);
	ck_assert_uint_eq(x.a[3], 3);
	ck_assert_uint_eq(x.a[6], 6);
	/* resume in reverse order */
	for (unsigned i = n; i-- > 0;) {
		ck_assert_uint_eq(nw_resume(&NW, &r[i]), 0);
		ck_assert_uint_eq(a[i]->ret, 0);
	}
	ck_assert_int_eq(teesim_sw_thread_state(NW.sw, n), -EINVAL);
}
END_TEST

START_TEST(test_eresume)
{
	struct teesim_smc_regs r, bad;

	rpc_msg(NW.arg, TEESIM_TA_RPC_CMD_FOREIGN_INTR, 0, 0);
	ck_assert_uint_eq(nw_raw_call(&NW, TEESIM_OPTEE_SMC_CALL_WITH_ARG, NW.arg_pa, &r),
			  TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR);
	/* a thread that is not suspended, a bad id, another client id */
	bad = r;
	bad.a[3] = r.a[3] + 1;
	ck_assert_uint_eq(nw_resume(&NW, &bad), TEESIM_OPTEE_SMC_RETURN_ERESUME);
	bad.a[3] = 1000;
	ck_assert_uint_eq(nw_resume(&NW, &bad), TEESIM_OPTEE_SMC_RETURN_ERESUME);
	bad = r;
	bad.a[7] = 3;
	ck_assert_uint_eq(nw_resume(&NW, &bad), TEESIM_OPTEE_SMC_RETURN_ERESUME);
	ck_assert_int_eq(teesim_sw_thread_state(NW.sw, r.a[3]), TEESIM_SW_THREAD_SUSPENDED);
	ck_assert_uint_eq(nw_resume(&NW, &r), 0);
	ck_assert_uint_eq(NW.arg->ret, 0);
	/* resuming twice */
	ck_assert_uint_eq(nw_resume(&NW, &r), TEESIM_OPTEE_SMC_RETURN_ERESUME);
}
END_TEST

START_TEST(test_injected_fintr)
{
	teesim_sw_inject_foreign_intr(NW.sw, 3);
	ck_assert_uint_eq(rpc_run(TEESIM_TA_RPC_CMD_GET_TIME, 0, 0), 0);
	ck_assert_uint_eq(NW.rpc_fintr, 3);
	/* a NOP-like call on the mem TA too */
	teesim_sw_inject_foreign_intr(NW.sw, 1);
	ck_assert_uint_eq(nw_close(&NW, SID), 0);
	ck_assert_uint_eq(NW.rpc_fintr, 4);
	SID = nw_open(&NW, TEESIM_TA_RPC_UUID);
}
END_TEST

/*
 * Found by tools/repeat-tests.sh (stress, v4.16 driver, about 1 run in 500):
 * a foreign interrupt injected as a thread resumed from RPC_ALLOC took the
 * thread through FOREIGN_INTR, and the zeros of that round trip replaced the
 * buffer the normal world had just given; the TA's RPC then failed with
 * OUT_OF_MEMORY and the buffer was left to the driver.
 */
START_TEST(test_fintr_on_resume_keeps_answer)
{
	struct teesim_smc_regs r;
	struct teesim_sw_stats st;
	uint32_t a0;

	teesim_clock_advance(TH_M, 7 * 1000000000ull);
	rpc_msg(NW.arg, TEESIM_TA_RPC_CMD_GET_TIME, 0, 0);
	a0 = nw_raw_call(&NW, TEESIM_OPTEE_SMC_CALL_WITH_ARG, NW.arg_pa, &r);
	ck_assert_uint_eq(a0, TEESIM_OPTEE_SMC_RETURN_RPC_ALLOC);
	nw_serve(&NW, &r); /* a buffer for the RPC argument */
	teesim_sw_inject_foreign_intr(NW.sw, 1);
	ck_assert_uint_eq(nw_resume(&NW, &r), TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR);
	teesim_sw_stats(NW.sw, &st);
	ck_assert_uint_eq(st.threads_suspended, 1);
	memset(&r.a[1], 0, 6 * sizeof(r.a[1])); /* FOREIGN_INTR returns nothing */
	a0 = nw_resume(&NW, &r);
	/* the thread goes on with the buffer it was given: the command comes in it */
	ck_assert_uint_eq(a0, TEESIM_OPTEE_SMC_RETURN_RPC_CMD);
	while (TEESIM_OPTEE_SMC_RETURN_IS_RPC(a0)) {
		nw_serve(&NW, &r);
		a0 = nw_resume(&NW, &r);
	}
	ck_assert_uint_eq(a0, 0);
	ck_assert_uint_eq(NW.arg->ret, 0);
	ck_assert_uint_eq(NW.arg->params[0].u.value.a, 0); /* the RPC succeeded */
	ck_assert_uint_eq(NW.arg->params[0].u.value.b, 7);
	ck_assert_uint_eq(NW.rpc_alloc, 1);
	ck_assert_uint_eq(NW.rpc_cmd, 1);
}
END_TEST

struct resumer {
	struct teesim_smc_regs r;
	uint32_t a0;
};

static void *resume_main(void *arg)
{
	struct resumer *rs = arg;

	rs->a0 = nw_resume(&NW, &rs->r);
	return NULL;
}

START_TEST(test_resume_other_thread)
{
	struct resumer rs;
	pthread_t th;

	rpc_msg(NW.arg, TEESIM_TA_RPC_CMD_FOREIGN_INTR, 0, 0);
	ck_assert_uint_eq(nw_raw_call(&NW, TEESIM_OPTEE_SMC_CALL_WITH_ARG, NW.arg_pa, &rs.r),
			  TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR);
	ck_assert_int_eq(pthread_create(&th, NULL, resume_main, &rs), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_uint_eq(rs.a0, 0);
	ck_assert_uint_eq(NW.arg->ret, 0);
}
END_TEST

#define WORKERS 6 /* more than threads: some calls meet ETHREAD_LIMIT */
#define ROUNDS	200

struct worker {
	teesim_pa_t pa;
	struct teesim_optee_msg_arg *a;
	unsigned done, limits;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned i = 0; i < ROUNDS; i++) {
		struct teesim_smc_regs r;
		uint32_t a0;

		rpc_msg(w->a, TEESIM_TA_RPC_CMD_FOREIGN_INTR, 0, 0);
		a0 = nw_raw_call(&NW, TEESIM_OPTEE_SMC_CALL_WITH_ARG, w->pa, &r);
		if (a0 == TEESIM_OPTEE_SMC_RETURN_ETHREAD_LIMIT) {
			w->limits++;
			continue;
		}
		while (a0 == TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR)
			a0 = nw_resume(&NW, &r);
		if (a0 == 0 && w->a->ret == 0)
			w->done++;
	}
	return NULL;
}

START_TEST(test_concurrent)
{
	struct worker w[WORKERS];
	pthread_t th[WORKERS];
	unsigned total = 0;

	memset(w, 0, sizeof(w));
	for (int i = 0; i < WORKERS; i++)
		w[i].a = nw_pages(&NW, 1, &w[i].pa);
	for (int i = 0; i < WORKERS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	for (int i = 0; i < WORKERS; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_uint_eq(w[i].done + w[i].limits, ROUNDS);
		total += w[i].done;
	}
	ck_assert_uint_gt(total, 0);
	ck_assert_uint_eq(nw_stats(&NW).std_calls, 1 + total);
}
END_TEST

START_TEST(test_free_while_suspended)
{
	struct teesim_smc_regs r;
	struct teesim_optee_msg_arg *a;
	teesim_pa_t pa;

	/* one thread in a FOREIGN_INTR, one in a SHM_ALLOC'd FS request */
	a = rpc_msg(nw_pages(&NW, 1, &pa), TEESIM_TA_RPC_CMD_FOREIGN_INTR, 0, 0);
	ck_assert_uint_eq(nw_raw_call(&NW, TEESIM_OPTEE_SMC_CALL_WITH_ARG, pa, &r),
			  TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR);
	a = rpc_msg(nw_pages(&NW, 1, &pa), TEESIM_TA_RPC_CMD_FS, 0, 0);
	ck_assert_uint_eq(nw_raw_call(&NW, TEESIM_OPTEE_SMC_CALL_WITH_ARG, pa, &r),
			  TEESIM_OPTEE_SMC_RETURN_RPC_ALLOC);
	nw_serve(&NW, &r);
	ck_assert_uint_eq(nw_resume(&NW, &r), TEESIM_OPTEE_SMC_RETURN_RPC_CMD);
	nw_serve(&NW, &r); /* SHM_ALLOC */
	ck_assert_uint_eq(nw_resume(&NW, &r), TEESIM_OPTEE_SMC_RETURN_RPC_CMD);
	ck_assert_uint_eq(nw_stats(&NW).threads_suspended, 2);
	ck_assert_uint_eq(nw_stats(&NW).rpc_shm_objects, 1);
	a->ret = 0x99;
	/* the secure world goes away: no leak, nothing more written */
	teesim_sw_free(NW.sw);
	ck_assert_uint_eq(a->ret, 0x99);
	NW.sw = teesim_sw_new(TH_M, NULL);
	ck_assert_ptr_nonnull(NW.sw);
	SID = nw_open(&NW, TEESIM_TA_RPC_UUID);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sw-rpc");
	TCase *tc = tcase_create("head");

	tcase_add_checked_fixture(tc, setup_head, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_cmds);
	tcase_add_test(tc, test_shm_alloc);
	tcase_add_test(tc, test_shm_alloc_contig);
	tcase_add_test(tc, test_rpc_alloc_refused);
	tcase_add_test(tc, test_fintr_on_resume_keeps_answer);
	tcase_add_test(tc, test_rpc_arg_follows);
	tcase_add_test(tc, test_rpc_arg_keeps_cache);
	tcase_add_test(tc, test_thread_limit);
	tcase_add_test(tc, test_eresume);
	tcase_add_test(tc, test_injected_fintr);
	tcase_add_test(tc, test_resume_other_thread);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_free_while_suspended);
	suite_add_tcase(s, tc);
	tc = tcase_create("gen30");
	tcase_add_checked_fixture(tc, setup_30, teardown);
	tcase_add_test(tc, test_cmds);
	tcase_add_test(tc, test_shm_alloc);
	tcase_add_test(tc, test_shm_alloc_contig);
	tcase_add_test(tc, test_thread_limit);
	suite_add_tcase(s, tc);
	return th_run(s);
}
