/* SPDX-License-Identifier: MIT */
/*
 * Secure world, registered memory: REGISTER_SHM / UNREGISTER_SHM, RMEM
 * parameters found by cookie, references held by calls in flight, the
 * lifetime of an object unregistered while in use in every generation, and
 * arguments in registered memory (CALL_WITH_REGD_ARG).
 */
#include <pthread.h>

#include "test-sw-nw.h"

#define RIN	    TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT
#define VOUT	    TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT
#define BADP	    TEESIM_OPTEE_ERROR_BAD_PARAMETERS
#define REG	    (TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG)
#define HOLDER_UUID "11111111-2222-3333-4444-555555555555"

static struct nw NW;
static teesim_pa_t PAS[4];
static unsigned char *BUF;

/* A TA that holds its RMEM across an RPC and reports what it saw. */
static uint32_t holder_invoke(void *ctx, struct teesim_ta_call *c, void *sess, uint32_t func)
{
	struct teesim_ta_param *p = teesim_ta_params(c);
	struct teesim_sw_shm_info info[2];
	unsigned char b[16];

	(void) ctx;
	(void) sess;
	if (teesim_sw_shm_objects(teesim_ta_sw(c), info, 2) >= 1)
		p[1].b = info[0].refcount;
	if (func == 1)
		teesim_ta_foreign_intr(c);
	if (teesim_ta_memref_read(c, 0, 0, b, sizeof(b)))
		return TEESIM_OPTEE_ERROR_ACCESS_DENIED;
	p[1].a = b[0] + b[15];
	return 0;
}

static const struct teesim_ta_ops holder_ops = {.invoke = holder_invoke};

static void setup_gen(enum teesim_optee_gen gen, enum teesim_sw_unreg_mode mode)
{
	struct teesim_sw_cfg cfg;
	struct teesim_ta_desc d = {.name = "holder", .ops = &holder_ops};
	teesim_pa_t first;

	th_setup();
	teesim_sw_cfg_default(&cfg, gen);
	cfg.unreg_mode = mode;
	nw_init_cfg(&NW, TH_M, &cfg);
	ck_assert_int_eq(teesim_uuid_parse(HOLDER_UUID, &d.uuid), 0);
	ck_assert_int_eq(teesim_sw_ta_register(NW.sw, &d), 0);
	BUF = nw_pages(&NW, 4, &first);
	for (int i = 0; i < 4; i++)
		PAS[i] = first + (uint64_t) i * TEESIM_PAGE_SIZE;
	for (int i = 0; i < 4 * 4096; i++)
		BUF[i] = (unsigned char) i;
}

static void setup_head(void)
{
	setup_gen(TEESIM_OPTEE_GEN_HEAD, TEESIM_SW_UNREG_BY_GEN);
}
static void setup_33(void)
{
	setup_gen(TEESIM_OPTEE_GEN_3_3, TEESIM_SW_UNREG_BY_GEN);
}
static void setup_30(void)
{
	setup_gen(TEESIM_OPTEE_GEN_3_0, TEESIM_SW_UNREG_BY_GEN);
}
static void setup_busy(void)
{
	setup_gen(TEESIM_OPTEE_GEN_HEAD, TEESIM_SW_UNREG_BUSY);
}

static void teardown(void)
{
	ck_assert_uint_eq(nw_stats(&NW).threads_busy, 0);
	ck_assert_uint_eq(nw_stats(&NW).sessions, 0);
	nw_fini(&NW);
	th_teardown();
}

/* REGISTER_SHM of BUF + @off, @size bytes, under @cookie; returns ret. */
static uint32_t reg(uint64_t cookie, uint32_t off, uint64_t size, uint64_t attr)
{
	uint64_t buf = nw_pagelist(&NW, PAS, 4, off);
	struct teesim_optee_msg_arg *a = nw_msg(&NW, TEESIM_OPTEE_MSG_CMD_REGISTER_SHM, 1);

	a->params[0].attr = attr;
	a->params[0].u.tmem.buf_ptr = buf;
	a->params[0].u.tmem.size = size;
	a->params[0].u.tmem.shm_ref = cookie;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret_origin, TEESIM_OPTEE_ORIGIN_TEE);
	return a->ret;
}

static uint32_t unreg(uint64_t cookie)
{
	struct teesim_optee_msg_arg *a = nw_msg(&NW, TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM, 1);

	a->params[0].attr = RIN;
	a->params[0].u.rmem.shm_ref = cookie;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	return a->ret;
}

/* Build a holder invoke with RMEM (cookie, offs, size) in the page at @msg. */
static void holder_msg(struct teesim_optee_msg_arg *a, uint32_t sid, uint32_t func, uint64_t cookie,
		       uint64_t offs, uint64_t size)
{
	memset(a, 0, 256);
	a->cmd = TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND;
	a->func = func;
	a->session = sid;
	a->num_params = 2;
	a->params[0].attr = RIN;
	a->params[0].u.rmem.shm_ref = cookie;
	a->params[0].u.rmem.offs = offs;
	a->params[0].u.rmem.size = size;
	a->params[1].attr = VOUT;
}

START_TEST(test_register)
{
	struct teesim_sw_shm_info info[2];
	teesim_pa_t got[8];
	uint32_t sid;

	ck_assert_uint_eq(reg(0xc00c1e, 0x100, 3 * 4096, REG), 0);
	ck_assert_uint_eq(teesim_sw_shm_objects(NW.sw, info, 2), 1);
	ck_assert_uint_eq(info[0].cookie, 0xc00c1e);
	ck_assert_uint_eq(info[0].npages, 4); /* 3 pages from offset 0x100 span 4 */
	ck_assert_uint_eq(info[0].page_offset, 0x100);
	ck_assert_uint_eq(info[0].refcount, 1);
	ck_assert_int_eq(teesim_sw_shm_pages(NW.sw, 0xc00c1e, got, 8), 4);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(got[i], PAS[i]);
	ck_assert_int_eq(teesim_sw_shm_pages(NW.sw, 0xbad, got, 8), -ENOENT);

	/* an RMEM reads relative to the data start, holding a reference meanwhile */
	sid = nw_open(&NW, HOLDER_UUID);
	holder_msg(NW.arg, sid, 0, 0xc00c1e, 0x10, 16);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(NW.arg->ret, 0);
	ck_assert_uint_eq(NW.arg->params[1].u.value.a, (unsigned) BUF[0x110] + BUF[0x110 + 15]);
	ck_assert_uint_eq(NW.arg->params[1].u.value.b, 2); /* registration + this call */
	ck_assert_uint_eq(teesim_sw_shm_objects(NW.sw, info, 2), 1);
	ck_assert_uint_eq(info[0].refcount, 1);
	/* unknown cookie */
	holder_msg(NW.arg, sid, 0, 0xc00c1f, 0, 16);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(NW.arg->ret, BADP);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);

	ck_assert_uint_eq(unreg(0xc00c1e), 0);
	ck_assert_uint_eq(nw_stats(&NW).shm_objects, 0);
	ck_assert_uint_eq(unreg(0xc00c1e), BADP);
}
END_TEST

START_TEST(test_register_rejections)
{
	const uint64_t attrs[] = {
	    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG,
	    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT, REG | TEESIM_OPTEE_MSG_ATTR_META};
	struct teesim_optee_msg_arg *a;

	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
		ck_assert_uint_eq(reg(1, 0, 4096, attrs[i]), BADP);
	ck_assert_uint_eq(reg(1, 0, 0, REG), BADP);
	ck_assert_uint_eq(reg(1, 0, 5 * 4096, REG), BADP); /* the 5th entry is 0 */
	a = nw_msg(&NW, TEESIM_OPTEE_MSG_CMD_REGISTER_SHM, 2);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, BADP);
	a = nw_msg(&NW, TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM, 0);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, BADP);
	ck_assert_uint_eq(nw_stats(&NW).shm_objects, 0);
}
END_TEST

START_TEST(test_duplicate_cookie)
{
	struct teesim_sw_shm_info info[3];

	/* not refused: lookups find the most recent */
	ck_assert_uint_eq(reg(7, 0, 4096, REG), 0);
	ck_assert_uint_eq(reg(7, 0x20, 2 * 4096, REG), 0);
	ck_assert_uint_eq(teesim_sw_shm_objects(NW.sw, info, 3), 2);
	ck_assert_uint_eq(info[0].page_offset, 0x20);
	ck_assert_uint_eq(unreg(7), 0);
	ck_assert_uint_eq(teesim_sw_shm_objects(NW.sw, info, 3), 1);
	ck_assert_uint_eq(info[0].page_offset, 0);
	ck_assert_uint_eq(unreg(7), 0);
	ck_assert_uint_eq(nw_stats(&NW).shm_objects, 0);
}
END_TEST

START_TEST(test_rmem_range_head)
{
	uint32_t sid;

	ck_assert_uint_eq(reg(9, 0x100, 4096, REG), 0);
	sid = nw_open(&NW, HOLDER_UUID);
	/* object size today: 2 pages - 0x100 */
	holder_msg(NW.arg, sid, 0, 9, 2 * 4096 - 0x100 - 16, 16);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(NW.arg->ret, 0);
	holder_msg(NW.arg, sid, 0, 9, 2 * 4096 - 0x100 - 15, 16);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(NW.arg->ret, TEESIM_OPTEE_ERROR_SECURITY);
	holder_msg(NW.arg, sid, 0, 9, UINT64_MAX, 2);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(NW.arg->ret, TEESIM_OPTEE_ERROR_SECURITY);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
	ck_assert_uint_eq(unreg(9), 0);
}
END_TEST

START_TEST(test_rmem_range_30)
{
	uint32_t sid;

	ck_assert_uint_eq(reg(9, 0x100, 4096, REG), 0);
	sid = nw_open(&NW, HOLDER_UUID);
	/* 3.0 does not check the range; the access beyond the pages fails in the TA */
	holder_msg(NW.arg, sid, 0, 9, 5 * 4096, 16);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(NW.arg->ret, TEESIM_OPTEE_ERROR_ACCESS_DENIED);
	ck_assert_uint_eq(NW.arg->ret_origin, TEESIM_OPTEE_ORIGIN_TRUSTED_APP);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
	ck_assert_uint_eq(unreg(9), 0);
}
END_TEST

/* Start a holder call that suspends in FOREIGN_INTR; its message lives in a page of its own. */
static struct teesim_optee_msg_arg *start_holder(uint32_t sid, teesim_pa_t *pa,
						 struct teesim_smc_regs *r)
{
	struct teesim_optee_msg_arg *a = nw_pages(&NW, 1, pa);

	holder_msg(a, sid, 1, 5, 0, 16);
	ck_assert_uint_eq(nw_raw_call(&NW, TEESIM_OPTEE_SMC_CALL_WITH_ARG, *pa, r),
			  TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR);
	return a;
}

START_TEST(test_unregister_in_use_30)
{
	struct teesim_smc_regs r;
	struct teesim_optee_msg_arg *a;
	teesim_pa_t pa;
	uint32_t sid;

	ck_assert_uint_eq(reg(5, 0, 4096, REG), 0);
	sid = nw_open(&NW, HOLDER_UUID);
	a = start_holder(sid, &pa, &r);
	/* 3.0: gone at once although a call still uses it */
	ck_assert_uint_eq(unreg(5), 0);
	ck_assert_uint_eq(nw_stats(&NW).shm_objects, 0);
	ck_assert_uint_eq(nw_stats(&NW).stale_accesses, 0);
	ck_assert_uint_eq(nw_resume(&NW, &r), 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(nw_stats(&NW).stale_accesses, 1);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
}
END_TEST

START_TEST(test_unregister_in_use_busy)
{
	struct teesim_smc_regs r;
	struct teesim_optee_msg_arg *a;
	teesim_pa_t pa;
	uint32_t sid;

	ck_assert_uint_eq(reg(5, 0, 4096, REG), 0);
	sid = nw_open(&NW, HOLDER_UUID);
	a = start_holder(sid, &pa, &r);
	ck_assert_uint_eq(unreg(5), TEESIM_OPTEE_ERROR_BUSY);
	ck_assert_uint_eq(nw_stats(&NW).shm_objects, 1);
	ck_assert_uint_eq(nw_resume(&NW, &r), 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(unreg(5), 0);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
}
END_TEST

START_TEST(test_unregister_in_use_wait)
{
	struct teesim_smc_regs r, u;
	struct teesim_optee_msg_arg *a, *ua, *rpc;
	struct teesim_sw_shm_info info;
	teesim_pa_t pa, upa;
	uint32_t sid, key;

	ck_assert_uint_eq(reg(5, 0, 4096, REG), 0);
	sid = nw_open(&NW, HOLDER_UUID);
	a = start_holder(sid, &pa, &r);
	/* the unregistering thread sleeps on a wait queue */
	ua = nw_pages(&NW, 1, &upa);
	ua->cmd = TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM;
	ua->num_params = 1;
	ua->params[0].attr = RIN;
	ua->params[0].u.rmem.shm_ref = 5;
	ck_assert_uint_eq(nw_raw_call(&NW, TEESIM_OPTEE_SMC_CALL_WITH_ARG, upa, &u),
			  TEESIM_OPTEE_SMC_RETURN_RPC_ALLOC);
	nw_serve(&NW, &u);
	ck_assert_uint_eq(nw_resume(&NW, &u), TEESIM_OPTEE_SMC_RETURN_RPC_CMD);
	rpc = nw_host_of(&NW, u.a[2]);
	ck_assert_uint_eq(rpc->cmd, TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE);
	ck_assert_uint_eq(rpc->num_params, 1);
	ck_assert_uint_eq(rpc->params[0].u.value.a, TEESIM_OPTEE_RPC_WAIT_QUEUE_SLEEP);
	key = (uint32_t) rpc->params[0].u.value.b;
	ck_assert_uint_eq(teesim_sw_shm_objects(NW.sw, &info, 1), 1);
	ck_assert(info.releasing);
	ck_assert_uint_eq(info.refcount, 2);
	ck_assert_uint_eq(nw_stats(&NW).threads_suspended, 2);

	/* no new user while it is being released */
	{
		struct teesim_optee_msg_arg *b;
		teesim_pa_t bpa;

		b = nw_pages(&NW, 1, &bpa);
		holder_msg(b, sid, 0, 5, 0, 16);
		ck_assert_uint_eq(nw_call(&NW, bpa), 0);
		ck_assert_uint_eq(b->ret, BADP);
	}
	/* the user finishes and wakes the sleeper on its way out */
	ck_assert_uint_eq(nw_resume(&NW, &r), TEESIM_OPTEE_SMC_RETURN_RPC_ALLOC);
	nw_serve(&NW, &r);
	ck_assert_uint_eq(nw_resume(&NW, &r), TEESIM_OPTEE_SMC_RETURN_RPC_CMD);
	rpc = nw_host_of(&NW, r.a[2]);
	ck_assert_uint_eq(rpc->params[0].u.value.a, TEESIM_OPTEE_RPC_WAIT_QUEUE_WAKEUP);
	ck_assert_uint_eq(rpc->params[0].u.value.b, key);
	rpc->ret = 0;
	while (TEESIM_OPTEE_SMC_RETURN_IS_RPC(nw_resume(&NW, &r)))
		nw_serve(&NW, &r);
	ck_assert_uint_eq(r.a[0], 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(nw_stats(&NW).shm_objects, 1);
	/* the sleeper goes on and frees it */
	rpc = nw_host_of(&NW, u.a[2]);
	rpc->ret = 0;
	while (TEESIM_OPTEE_SMC_RETURN_IS_RPC(nw_resume(&NW, &u)))
		nw_serve(&NW, &u);
	ck_assert_uint_eq(u.a[0], 0);
	ck_assert_uint_eq(ua->ret, 0);
	ck_assert_uint_eq(nw_stats(&NW).shm_objects, 0);
	ck_assert_uint_eq(nw_stats(&NW).stale_accesses, 0);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
}
END_TEST

START_TEST(test_regd_arg)
{
	struct teesim_optee_msg_arg *a = (void *) (BUF + 0x1f00); /* crosses into page 2 */
	struct teesim_smc_regs r;
	const uint64_t meta = TEESIM_OPTEE_MSG_ATTR_META | TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;

	ck_assert_uint_eq(reg(0x1234567890ull, 0, 4 * 4096, REG), 0);
	memset(a, 0, 512);
	a->cmd = TEESIM_OPTEE_MSG_CMD_OPEN_SESSION;
	a->num_params = 2;
	a->params[0].attr = meta;
	nw_uuid(TEESIM_TA_MEM_UUID, &a->params[0].u.value.a, &a->params[0].u.value.b);
	a->params[1].attr = meta;
	r = (struct teesim_smc_regs){
	    {TEESIM_OPTEE_SMC_CALL_WITH_REGD_ARG, 0x12, 0x34567890u, 0x1f00, 0, 0, 0, 0}};
	teesim_smc_call(NW.m, NW.g, &r);
	ck_assert_uint_eq(r.a[0], 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_ne(a->session, 0);
	ck_assert_uint_eq(nw_close(&NW, a->session), 0);
	/* the object was held by the call only */
	{
		struct teesim_sw_shm_info info;

		ck_assert_uint_eq(teesim_sw_shm_objects(NW.sw, &info, 1), 1);
		ck_assert_uint_eq(info.refcount, 1);
	}
	/* unknown cookie, unaligned offset, past the end */
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_CALL_WITH_REGD_ARG, 0x12, 0x34567891u, 0}};
	teesim_smc_call(NW.m, NW.g, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_EBADADDR);
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_CALL_WITH_REGD_ARG, 0x12, 0x34567890u, 4}};
	teesim_smc_call(NW.m, NW.g, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_EBADADDR);
	r = (struct teesim_smc_regs){
	    {TEESIM_OPTEE_SMC_CALL_WITH_REGD_ARG, 0x12, 0x34567890u, 4 * 4096 - 64}};
	teesim_smc_call(NW.m, NW.g, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_EBADADDR);
	ck_assert_uint_eq(unreg(0x1234567890ull), 0);
}
END_TEST

#define SHARERS 4

struct sharer {
	teesim_pa_t pa;
	struct teesim_optee_msg_arg *a;
	unsigned ok;
};

static void *sharer_main(void *arg)
{
	struct sharer *w = arg;
	const uint64_t meta = TEESIM_OPTEE_MSG_ATTR_META | TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	uint32_t sid;

	/* each host thread: its own session on the holder TA, the shared object */
	memset(w->a, 0, 256);
	w->a->cmd = TEESIM_OPTEE_MSG_CMD_OPEN_SESSION;
	w->a->num_params = 2;
	w->a->params[0].attr = meta;
	nw_uuid(HOLDER_UUID, &w->a->params[0].u.value.a, &w->a->params[0].u.value.b);
	w->a->params[1].attr = meta;
	if (nw_call(&NW, w->pa) || w->a->ret)
		return NULL;
	sid = w->a->session;
	for (int i = 0; i < 50; i++) {
		holder_msg(w->a, sid, 1, 5, 0x20, 16);
		if (nw_call(&NW, w->pa) == 0 && w->a->ret == 0 &&
		    w->a->params[1].u.value.a == (unsigned) BUF[0x20] + BUF[0x2f])
			w->ok++;
	}
	memset(w->a, 0, 64);
	w->a->cmd = TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION;
	w->a->session = sid;
	if (nw_call(&NW, w->pa) || w->a->ret)
		w->ok = 0;
	return NULL;
}

START_TEST(test_shared_object_threads)
{
	struct sharer w[SHARERS];
	pthread_t th[SHARERS];
	struct teesim_sw_shm_info info;

	ck_assert_uint_eq(reg(5, 0, 4096, REG), 0);
	memset(w, 0, sizeof(w));
	for (int i = 0; i < SHARERS; i++)
		w[i].a = nw_pages(&NW, 1, &w[i].pa);
	for (int i = 0; i < SHARERS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, sharer_main, &w[i]), 0);
	for (int i = 0; i < SHARERS; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_uint_eq(w[i].ok, 50);
	}
	/* every reference the calls took was dropped */
	ck_assert_uint_eq(teesim_sw_shm_objects(NW.sw, &info, 1), 1);
	ck_assert_uint_eq(info.refcount, 1);
	ck_assert_uint_eq(unreg(5), 0);
}
END_TEST

/*
 * Found by fuzz-secure-world (regress-message-read-on-resume): a thread
 * stopped by a foreign interrupt before it has read its message acts on the
 * message as it is when it runs, and its registration is gone before the
 * call completes. A normal world may not count a call's effect only when
 * the call returns.
 */
START_TEST(test_message_read_when_thread_runs)
{
	struct teesim_smc_regs r;
	struct teesim_optee_msg_arg *a;
	teesim_pa_t got[4];

	ck_assert_uint_eq(reg(5, 0, 4096, REG), 0);
	ck_assert_uint_eq(reg(6, 0, 4096, REG), 0);
	teesim_sw_inject_foreign_intr(NW.sw, 1);
	a = nw_msg(&NW, TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM, 1);
	a->params[0].attr = RIN;
	a->params[0].u.rmem.shm_ref = 5;
	ck_assert_uint_eq(nw_raw_call(&NW, TEESIM_OPTEE_SMC_CALL_WITH_ARG, NW.arg_pa, &r),
			  TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR);
	ck_assert_uint_eq(nw_stats(&NW).shm_objects, 2);
	/* the message changes under the suspended call: the thread reads this one */
	a->params[0].u.rmem.shm_ref = 6;
	ck_assert_uint_eq(nw_resume(&NW, &r), 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(nw_stats(&NW).shm_objects, 1);
	ck_assert_int_eq(teesim_sw_shm_pages(NW.sw, 6, got, 4), -ENOENT);
	ck_assert_int_eq(teesim_sw_shm_pages(NW.sw, 5, got, 4), 1);
	ck_assert_uint_eq(unreg(5), 0);
}
END_TEST

/* The client keeps writing its buffer while the TA reads it. */
struct scribbler {
	atomic_bool stop;
	unsigned long rounds;
};

static void *scribble_main(void *arg)
{
	struct scribbler *sc = arg;

	while (!atomic_load(&sc->stop) || sc->rounds == 0) {
		memset(BUF + 0x20, (int) sc->rounds, 16);
		sc->rounds++;
	}
	return NULL;
}

/*
 * Shared memory is shared: the client may write a buffer while a TA reads it,
 * which on hardware is two CPUs in two worlds and no data race in the
 * client's program. The model's TA copies are invisible to ThreadSanitizer,
 * so this test fails under TSan (CI's TSan build) if they are not.
 */
START_TEST(test_client_writes_while_ta_reads)
{
	struct scribbler sc = {.rounds = 0};
	pthread_t th;
	uint32_t sid = nw_open(&NW, HOLDER_UUID);
	unsigned ok = 0;

	atomic_init(&sc.stop, false);
	ck_assert_uint_eq(reg(5, 0, 4096, REG), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, scribble_main, &sc), 0);
	for (int i = 0; i < 200; i++) {
		holder_msg(NW.arg, sid, 0, 5, 0x20, 16);
		if (nw_call(&NW, NW.arg_pa) == 0 && NW.arg->ret == 0)
			ok++;
	}
	atomic_store(&sc.stop, true);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_uint_eq(ok, 200);
	ck_assert_uint_gt(sc.rounds, 0);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
	ck_assert_uint_eq(unreg(5), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sw-rmem");
	TCase *tc = tcase_create("head");

	tcase_add_checked_fixture(tc, setup_head, teardown);
	tcase_add_test(tc, test_register);
	tcase_add_test(tc, test_register_rejections);
	tcase_add_test(tc, test_duplicate_cookie);
	tcase_add_test(tc, test_rmem_range_head);
	tcase_add_test(tc, test_unregister_in_use_wait);
	tcase_add_test(tc, test_regd_arg);
	tcase_add_test(tc, test_shared_object_threads);
	tcase_add_test(tc, test_client_writes_while_ta_reads);
	tcase_add_test(tc, test_message_read_when_thread_runs);
	suite_add_tcase(s, tc);
	tc = tcase_create("gen33");
	tcase_add_checked_fixture(tc, setup_33, teardown);
	tcase_add_test(tc, test_register);
	tcase_add_test(tc, test_unregister_in_use_wait);
	suite_add_tcase(s, tc);
	tc = tcase_create("gen30");
	tcase_add_checked_fixture(tc, setup_30, teardown);
	tcase_add_test(tc, test_register);
	tcase_add_test(tc, test_rmem_range_30);
	tcase_add_test(tc, test_unregister_in_use_30);
	suite_add_tcase(s, tc);
	tc = tcase_create("busy");
	tcase_add_checked_fixture(tc, setup_busy, teardown);
	tcase_add_test(tc, test_unregister_in_use_busy);
	suite_add_tcase(s, tc);
	return th_run(s);
}
