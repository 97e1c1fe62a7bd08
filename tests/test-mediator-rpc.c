/* SPDX-License-Identifier: MIT */
/*
 * The OP-TEE mediator, RPCs and guests: RPC argument buffers shadowed, RPC_CMD
 * carried both ways, SHM_ALLOC replies translated (or freed again when they
 * cannot be), the shm cache, foreign interrupts; two guests isolated from
 * each other; guests announced with VM_CREATED / VM_DESTROYED and removed
 * with everything they held; the probe.
 */
#include "test-mediator-nw.h"

#define VIN  TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT
#define VOUT TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT
#define VIO  TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT
#define TIN  TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT
#define RIN  TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT
#define NC   TEESIM_OPTEE_MSG_ATTR_NONCONTIG
#define OK   TEESIM_OPTEE_SMC_RETURN_OK
#define BADP TEESIM_OPTEE_ERROR_BAD_PARAMETERS

static struct menv E;

static void setup(void)
{
	menv_init(&E);
}

static void teardown(void)
{
	menv_done(&E);
}

/* Invoke an rpc-TA command with p1 = {x, y}; p0 gets the RPC's result. */
static struct teesim_optee_msg_arg *rpc_msg(struct gnw *nw, uint32_t sid, uint32_t func, uint64_t x,
					    uint64_t y)
{
	struct teesim_optee_msg_arg *a = gnw_invoke_msg(nw, sid, func, 3);

	a->params[0].attr = VOUT;
	a->params[1].attr = VIO;
	a->params[1].u.value.a = x;
	a->params[1].u.value.b = y;
	a->params[2].attr = VIO;
	return a;
}

static void assert_idle(struct gnw *nw)
{
	struct teesim_mediator_guest_stats st = gnw_stats(&E, nw);

	ck_assert_uint_eq(st.calls, 0);
	ck_assert_uint_eq(st.buffers, 0);
	ck_assert_uint_eq(st.rpc_buffers, 0);
	ck_assert_uint_eq(st.shadow_pages, 0);
}

/* Every NS access logged hit @g's frames or the mediator's. */
static void assert_accesses_within(struct teesim_guest *g)
{
	struct teesim_access acc[64];
	const int hyp = (int) teesim_guest_id(teesim_mediator_hyp_guest(E.med));
	size_t n = teesim_machine_access_log(E.m, 0, NULL, 0);

	ck_assert_uint_gt(n, 0);
	for (size_t first = 0; first < n; first += 64) {
		size_t k = teesim_machine_access_log(E.m, first, acc, 64) - first;

		for (size_t i = 0; i < k && i < 64; i++) {
			struct teesim_frame_info fi;

			if (!(acc[i].flags & TEESIM_ACC_NS))
				continue;
			ck_assert_int_eq(teesim_frame_info(E.m, acc[i].pa, &fi), 0);
			ck_assert_msg(fi.guest_id == (int) teesim_guest_id(g) || fi.guest_id == hyp,
				      "access at %llx of guest %d", (unsigned long long) acc[i].pa,
				      fi.guest_id);
		}
	}
}

/* ------------------------------------------------------------------------ */

START_TEST(test_rpc_shm_alloc)
{
	uint32_t sid = gnw_open(&E.a, TEESIM_TA_RPC_UUID);
	struct teesim_optee_msg_arg *a;
	size_t before = gnw_live_allocs(&E.a);

	teesim_machine_access_log_enable(E.m, true);
	teesim_machine_access_log_clear(E.m);
	a = rpc_msg(&E.a, sid, TEESIM_TA_RPC_CMD_SHM_ALLOC, TEESIM_OPTEE_RPC_SHM_TYPE_KERNEL, 300);
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_msg(a->ret == 0, "ret %x origin %u", a->ret, a->ret_origin);
	/* RPC_ALLOC, SHM_ALLOC, SHM_FREE, RPC_FREE: all with the guest's IPAs and cookies */
	ck_assert_uint_eq(E.a.rpc_alloc, 1);
	ck_assert_uint_eq(E.a.rpc_free, 1);
	ck_assert_uint_eq(E.a.cmd_count[TEESIM_OPTEE_RPC_CMD_SHM_ALLOC], 1);
	ck_assert_uint_eq(E.a.cmd_count[TEESIM_OPTEE_RPC_CMD_SHM_FREE], 1);
	/* the TA wrote its pattern into the guest's buffer through the translated list */
	ck_assert_uint_eq(E.a.last_shm_free_byte, 0xA5);
	ck_assert_uint_eq(a->params[0].u.value.b, (uint32_t) E.a.last_shm_free_cookie);
	assert_accesses_within(E.a.g);
	teesim_machine_access_log_enable(E.m, false);
	/* the guest's RPC buffer, data page and page list all went back */
	ck_assert_uint_eq(gnw_live_allocs(&E.a), before);
	ck_assert_uint_ge(gnw_stats(&E, &E.a).translated_pages, 1);
	assert_idle(&E.a);
	ck_assert_uint_eq(gnw_close(&E.a, sid), 0);
}
END_TEST

/* RPC_CMD values come back into the shadow: GET_TIME, a custom command. */
START_TEST(test_rpc_values)
{
	uint32_t sid = gnw_open(&E.a, TEESIM_TA_RPC_UUID);
	struct teesim_optee_msg_arg *a;

	a = rpc_msg(&E.a, sid, TEESIM_TA_RPC_CMD_GET_TIME, 0, 0);
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(a->params[0].u.value.b, 1234);
	ck_assert_uint_eq(a->params[1].u.value.a, 5678); /* the TA reports ns in p1.a */
	/* a command the guest does not know: its NOT_SUPPORTED reaches the TA */
	a = rpc_msg(&E.a, sid, TEESIM_TA_RPC_CMD_CUSTOM, 30, 0);
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->params[0].u.value.a, TEESIM_OPTEE_ERROR_NOT_SUPPORTED);
	ck_assert_uint_eq(E.a.cmd_count[TEESIM_OPTEE_RPC_CMD_GET_TIME], 1);
	assert_idle(&E.a);
	ck_assert_uint_eq(gnw_close(&E.a, sid), 0);
}
END_TEST

/* A contiguous SHM_ALLOC reply is an IPA: the mediator makes the guest free it. */
START_TEST(test_rpc_shm_alloc_refused)
{
	uint32_t sid = gnw_open(&E.a, TEESIM_TA_RPC_UUID);
	struct teesim_optee_msg_arg *a;
	unsigned rej = gnw_stats(&E, &E.a).rejected;

	for (int bad = 0; bad < 3; bad++) {
		E.a.shm_alloc_contig = bad == 0;
		E.a.shm_alloc_bad_entry = bad == 1;
		E.a.shm_alloc_null = bad == 2;
		E.a.last_shm_free_cookie = 0;
		a = rpc_msg(&E.a, sid, TEESIM_TA_RPC_CMD_SHM_ALLOC, 1, 100);
		ck_assert_uint_eq(gnw_call(&E.a), OK);
		ck_assert_uint_eq(a->ret, 0);
		ck_assert_uint_eq(a->params[0].u.value.a, TEESIM_OPTEE_ERROR_GENERIC);
		/* the guest got SHM_FREE for the buffer it gave */
		ck_assert_uint_eq(E.a.last_shm_free_cookie & ~GNW_COOKIE_MASK, GNW_SHM_COOKIE);
		ck_assert_uint_eq(E.a.cmd_count[TEESIM_OPTEE_RPC_CMD_SHM_FREE], (unsigned) bad + 1);
		ck_assert_uint_eq(gnw_stats(&E, &E.a).rejected, ++rej);
		assert_idle(&E.a);
	}
	ck_assert_uint_eq(menv_sw_stats(&E).rpc_shm_objects, 0);
	ck_assert_uint_eq(gnw_close(&E.a, sid), 0);
}
END_TEST

/* RPC_ALLOC answered with a misaligned or non-RAM page: OP-TEE gets no buffer. */
START_TEST(test_rpc_alloc_refused)
{
	uint32_t sid = gnw_open(&E.a, TEESIM_TA_RPC_UUID);
	const teesim_ipa_t bad[2] = {E.a.arg_ipa + 8,
				     teesim_guest_ipa_base(E.a.g) + GNW_GUEST_SIZE};
	struct teesim_optee_msg_arg *a;

	for (unsigned i = 0; i < 2; i++) {
		unsigned rej = gnw_stats(&E, &E.a).rejected;

		E.a.rpc_alloc_override = bad[i];
		a = rpc_msg(&E.a, sid, TEESIM_TA_RPC_CMD_GET_TIME, 0, 0);
		ck_assert_uint_eq(gnw_call(&E.a), OK);
		ck_assert_uint_eq(a->ret, 0);
		ck_assert_uint_eq(a->params[0].u.value.a, TEESIM_OPTEE_ERROR_OUT_OF_MEMORY);
		ck_assert_uint_eq(E.a.cmd_count[TEESIM_OPTEE_RPC_CMD_GET_TIME], 0);
		ck_assert_uint_eq(gnw_stats(&E, &E.a).rejected, rej + 1);
		assert_idle(&E.a);
	}
	E.a.rpc_alloc_override = 0;
	ck_assert_uint_eq(gnw_close(&E.a, sid), 0);
}
END_TEST

/* With the shm cache, the RPC buffer outlives the call; DISABLE_SHM_CACHE frees its shadow. */
START_TEST(test_shm_cache)
{
	uint32_t sid = gnw_open(&E.a, TEESIM_TA_RPC_UUID);
	struct teesim_smc_regs r = {{TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE}};
	struct teesim_optee_msg_arg *a;
	uint64_t cookie;

	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], OK);
	a = rpc_msg(&E.a, sid, TEESIM_TA_RPC_CMD_GET_TIME, 0, 0);
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->params[0].u.value.b, 1234);
	ck_assert_uint_eq(E.a.rpc_free, 0);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).rpc_buffers, 1);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).shadow_pages, 1);
	/* the next call reuses it: no second RPC_ALLOC */
	a = rpc_msg(&E.a, sid, TEESIM_TA_RPC_CMD_GET_TIME, 0, 0);
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(E.a.rpc_alloc, 1);
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE}};
	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], OK);
	cookie = ((uint64_t) r.a[1] << 32) | r.a[2];
	ck_assert_uint_eq(cookie & ~GNW_COOKIE_MASK, GNW_RPC_COOKIE);
	gnw_pages_free(&E.a, cookie & GNW_COOKIE_MASK);
	assert_idle(&E.a);
	ck_assert_uint_eq(menv_sw_stats(&E).cached_rpc_args, 0);
	ck_assert_uint_eq(gnw_close(&E.a, sid), 0);
}
END_TEST

/* The secure world's one shm cache never hands A's cookie to B. */
START_TEST(test_shm_cache_two_guests)
{
	uint32_t sid = gnw_open(&E.a, TEESIM_TA_RPC_UUID);
	struct teesim_smc_regs r = {{TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE}};
	struct teesim_mediator_stats ms;

	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], OK);
	rpc_msg(&E.a, sid, TEESIM_TA_RPC_CMD_GET_TIME, 0, 0);
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).rpc_buffers, 1);
	ck_assert_uint_eq(menv_sw_stats(&E).cached_rpc_args, 1);
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE}};
	gnw_smc(&E.b, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL);
	ck_assert_uint_eq(r.a[1], 0);
	ck_assert_uint_eq(r.a[2], 0);
	ck_assert_uint_eq(gnw_stats(&E, &E.b).rejected, 1);
	/* the secure world let go of it; A's shadow stays out of reuse until A goes */
	ck_assert_uint_eq(menv_sw_stats(&E).cached_rpc_args, 0);
	ck_assert_uint_eq(gnw_close(&E.a, sid), 0);
	ck_assert_int_eq(teesim_mediator_guest_remove(E.med, E.a.g), 0);
	teesim_mediator_stats(E.med, &ms);
	ck_assert_uint_eq(ms.quarantined, 1);
	ck_assert_uint_eq(ms.pool_pages, 1);
	teesim_mediator_free(E.med);
	E.med = teesim_mediator_new(E.m, NULL);
	ck_assert_ptr_nonnull(E.med);
}
END_TEST

START_TEST(test_foreign_intr)
{
	uint32_t sid = gnw_open(&E.a, TEESIM_TA_MEM_UUID);
	struct teesim_optee_msg_arg *a;

	teesim_sw_inject_foreign_intr(E.sw, 3);
	a = gnw_invoke_msg(&E.a, sid, TEESIM_TA_MEM_CMD_NOP, 1);
	a->params[0].attr = VIO;
	a->params[0].u.value.a = 41;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(E.a.rpc_fintr, 3);
	ck_assert_uint_eq(a->params[0].u.value.a, 42);
	assert_idle(&E.a);
	ck_assert_uint_eq(gnw_close(&E.a, sid), 0);
}
END_TEST

/* Fill @n pages of @nw with @seed and register them under @cookie. */
static uint8_t *register_filled(struct gnw *nw, size_t n, uint8_t seed, uint64_t cookie,
				teesim_ipa_t *ipa)
{
	uint8_t *p = gnw_pages(nw, n, ipa);

	for (size_t i = 0; i < n * TEESIM_PAGE_SIZE; i++)
		p[i] = (uint8_t) (seed + i * 3);
	ck_assert_uint_eq(gnw_register(nw, *ipa, n, 0, n * TEESIM_PAGE_SIZE, cookie), 0);
	return p;
}

static uint32_t rmem_read(struct gnw *nw, uint32_t sid, uint64_t cookie, uint64_t size,
			  uint32_t *fnv)
{
	struct teesim_optee_msg_arg *a = gnw_invoke_msg(nw, sid, TEESIM_TA_MEM_CMD_READ, 2);

	a->params[0].attr = RIN;
	a->params[0].u.rmem.shm_ref = cookie;
	a->params[0].u.rmem.size = size;
	a->params[1].attr = VOUT;
	ck_assert_uint_eq(gnw_call(nw), OK);
	*fnv = (uint32_t) a->params[1].u.value.b;
	return a->ret;
}

/* Two guests, the same cookies: each reaches only its own frames. */
START_TEST(test_two_guests)
{
	const size_t n = 8;
	uint32_t sa = gnw_open(&E.a, TEESIM_TA_MEM_UUID), sb = gnw_open(&E.b, TEESIM_TA_MEM_UUID);
	teesim_ipa_t ia, ib;
	uint8_t *pa = register_filled(&E.a, n, 1, 0x77, &ia);
	uint8_t *pb = register_filled(&E.b, n, 100, 0x77, &ib);
	uint32_t fnv_a, fnv_b, sum, got;
	uint64_t ca, cb;
	teesim_pa_t pas[8];

	/* guest ids: the two guests and the hypervisor guest differ */
	ck_assert_uint_eq(teesim_mediator_client_id(E.a.g), 1);
	ck_assert_uint_eq(teesim_mediator_client_id(E.b.g), 2);
	mem_digest(pa, n * TEESIM_PAGE_SIZE, &sum, &fnv_a);
	mem_digest(pb, n * TEESIM_PAGE_SIZE, &sum, &fnv_b);
	ck_assert_uint_ne(fnv_a, fnv_b);
	ck_assert_int_eq(teesim_mediator_sw_cookie(E.med, E.a.g, 0x77, &ca), 0);
	ck_assert_int_eq(teesim_mediator_sw_cookie(E.med, E.b.g, 0x77, &cb), 0);
	ck_assert_uint_ne(ca, cb);
	/* the secure world holds B's registration on B's frames only */
	ck_assert_int_eq(teesim_sw_shm_pages(E.sw, cb, pas, n), (long) n);
	for (size_t i = 0; i < n; i++) {
		struct teesim_frame_info fi;

		ck_assert_int_eq(teesim_frame_info(E.m, pas[i], &fi), 0);
		ck_assert_int_eq(fi.guest_id, (int) teesim_guest_id(E.b.g));
	}

	teesim_machine_access_log_enable(E.m, true);
	teesim_machine_access_log_clear(E.m);
	ck_assert_uint_eq(rmem_read(&E.b, sb, 0x77, n * TEESIM_PAGE_SIZE, &got), 0);
	ck_assert_uint_eq(got, fnv_b);
	assert_accesses_within(E.b.g);
	teesim_machine_access_log_clear(E.m);
	ck_assert_uint_eq(rmem_read(&E.a, sa, 0x77, n * TEESIM_PAGE_SIZE, &got), 0);
	ck_assert_uint_eq(got, fnv_a);
	assert_accesses_within(E.a.g);

	/* A's other registration cannot be named by B */
	register_filled(&E.a, 1, 5, 0x88, &ia);
	teesim_machine_access_log_clear(E.m);
	ck_assert_uint_eq(rmem_read(&E.b, sb, 0x88, 16, &got), BADP);
	for (size_t i = 0; i < teesim_machine_access_log(E.m, 0, NULL, 0); i++) {
		struct teesim_access acc;
		struct teesim_frame_info fi;

		teesim_machine_access_log(E.m, i, &acc, 1);
		ck_assert_int_eq(teesim_frame_info(E.m, acc.pa, &fi), 0);
		ck_assert_int_ne(fi.guest_id, (int) teesim_guest_id(E.a.g));
	}
	/* nor unregistered by B, by its cookie or by the secure world's in any field */
	ck_assert_uint_ne(gnw_unregister(&E.b, 0x88), 0);
	ck_assert_int_eq(teesim_mediator_sw_cookie(E.med, E.a.g, 0x88, &ca), 0);
	{
		struct teesim_optee_msg_arg *u =
		    gnw_msg(&E.b, TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM, 1);

		u->params[0].attr = VIN;
		u->params[0].u.rmem.shm_ref = ca;
		ck_assert_uint_eq(gnw_call(&E.b), OK);
		ck_assert_uint_ne(u->ret, 0);
		u = gnw_invoke_msg(&E.b, sb, TEESIM_TA_MEM_CMD_READ, 2);
		u->params[0].attr = RIN;
		u->params[0].u.rmem.shm_ref = ca;
		u->params[0].u.rmem.size = 16;
		u->params[1].attr = VOUT;
		ck_assert_uint_eq(gnw_call(&E.b), OK);
		ck_assert_uint_eq(u->ret, BADP);
	}
	ck_assert_uint_eq(menv_sw_stats(&E).shm_objects, 3);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).registered, 2);
	teesim_machine_access_log_enable(E.m, false);

	/* A lets go of 0x77: B's 0x77 still works */
	ck_assert_uint_eq(gnw_unregister(&E.a, 0x77), 0);
	ck_assert_uint_eq(rmem_read(&E.b, sb, 0x77, 64, &got), 0);
	ck_assert_uint_eq(gnw_unregister(&E.a, 0x88), 0);
	ck_assert_uint_eq(gnw_unregister(&E.b, 0x77), 0);
	ck_assert_uint_eq(gnw_close(&E.a, sa), 0);
	ck_assert_uint_eq(gnw_close(&E.b, sb), 0);
	assert_idle(&E.a);
	assert_idle(&E.b);
}
END_TEST

/* Removing a guest frees what the mediator held for it, even mid-call. */
START_TEST(test_guest_remove)
{
	struct teesim_mediator_guest_stats st;
	struct teesim_mediator_stats ms;
	struct teesim_sw_stats ss;
	struct teesim_smc_regs r;
	struct teesim_optee_msg_arg *a;
	uint32_t sid = gnw_open(&E.b, TEESIM_TA_RPC_UUID);
	teesim_ipa_t ipa;

	register_filled(&E.b, 3, 9, 0x42, &ipa);
	/* a call suspended in SHM_ALLOC's RPC with the reply not given yet */
	a = rpc_msg(&E.b, sid, TEESIM_TA_RPC_CMD_SHM_ALLOC, 1, 100);
	ck_assert_uint_eq(gnw_raw_call(&E.b, E.b.arg_ipa, &r), TEESIM_OPTEE_SMC_RETURN_RPC_ALLOC);
	gnw_serve(&E.b, &r);
	ck_assert_uint_eq(gnw_resume(&E.b, &r), TEESIM_OPTEE_SMC_RETURN_RPC_CMD);
	st = gnw_stats(&E, &E.b);
	ck_assert_uint_eq(st.calls, 1);
	ck_assert_uint_eq(st.rpc_buffers, 1);
	ck_assert_uint_eq(st.registered, 1);
	ck_assert_uint_eq(st.shadow_pages, 2); /* the call's argument and the RPC buffer */
	(void) a;
	ck_assert_int_eq(teesim_mediator_guest_remove(E.med, E.b.g), 0);
	th_assert_err(teesim_mediator_guest_remove(E.med, E.b.g), -ENOENT);
	th_assert_err(teesim_mediator_guest_stats(E.med, E.b.g, &st), -ENOENT);
	/* the two shadows the suspended thread still names stay out of reuse */
	teesim_mediator_stats(E.med, &ms);
	ck_assert_uint_eq(ms.pool_pages, 2);
	ck_assert_uint_eq(ms.quarantined, 2);
	ck_assert_uint_eq(ms.guests, 0); /* only B ever called */
	/*
	 * The secure world model keeps what B left (its session, its
	 * registration, its suspended thread): VM_DESTROYED does not drop a
	 * VM's partition. Its teardown unwinds them.
	 */
	teesim_sw_stats(E.sw, &ss);
	ck_assert_uint_eq(ss.shm_objects, 1);
	ck_assert_uint_eq(ss.threads_suspended, 1);
	ck_assert_uint_eq(ss.sessions, 1);
	teesim_mediator_free(E.med);
	teesim_sw_free(E.sw);
	/* rebuild both so that the fixture's teardown finds them empty */
	{
		struct teesim_sw_cfg sc;

		menv_sw_cfg(&sc);
		E.sw = teesim_sw_new(E.m, &sc);
		ck_assert_ptr_nonnull(E.sw);
		E.med = teesim_mediator_new(E.m, NULL);
		ck_assert_ptr_nonnull(E.med);
	}
}
END_TEST

/* ------------------------------------------------------------------------ */
/* VM announcements and a7, seen by a recording secure world */

struct fake_sw {
	struct teesim_smc_regs log[64];
	unsigned n;
	uint32_t refuse_client; /* VM_CREATED of this client id fails */
};

static void fake_smc(void *ctx, struct teesim_guest *from, struct teesim_smc_regs *r)
{
	struct fake_sw *f = ctx;

	(void) from;
	if (f->n < 64)
		f->log[f->n++] = *r;
	switch (r->a[0]) {
	case TEESIM_OPTEE_SMC_CALLS_UID:
		r->a[0] = TEESIM_OPTEE_MSG_UID_0;
		r->a[1] = TEESIM_OPTEE_MSG_UID_1;
		r->a[2] = TEESIM_OPTEE_MSG_UID_2;
		r->a[3] = TEESIM_OPTEE_MSG_UID_3;
		break;
	case TEESIM_OPTEE_SMC_GET_THREAD_COUNT:
		r->a[0] = OK;
		r->a[1] = 2;
		break;
	case TEESIM_OPTEE_SMC_VM_CREATED:
		r->a[0] = r->a[1] == f->refuse_client ? TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL : OK;
		break;
	default:
		r->a[0] = OK;
		break;
	}
}

static const struct teesim_smc_regs *fake_find(struct fake_sw *f, uint32_t fid, unsigned nth)
{
	for (unsigned i = 0; i < f->n; i++)
		if (f->log[i].a[0] == fid && !nth--)
			return &f->log[i];
	return NULL;
}

START_TEST(test_vm_announce)
{
	struct teesim_machine *m = menv_machine();
	struct teesim_guest *gb = teesim_guest_new(m, GNW_GUEST_SIZE);
	struct teesim_guest *ga = teesim_machine_guest(m, 0);
	struct fake_sw f = {.refuse_client = 2};
	struct teesim_mediator_cfg cfg;
	struct teesim_mediator *med;
	struct teesim_smc_regs r;
	const struct teesim_smc_regs *l;

	ck_assert_ptr_nonnull(gb);
	ck_assert_int_eq(teesim_smc_attach(m, fake_smc, &f), 0);
	med = teesim_mediator_new(m, NULL);
	ck_assert_ptr_nonnull(med);
	ck_assert_uint_eq(teesim_mediator_config(med)->max_calls, 2);
	/* the probe: UID, thread count, VM_DESTROYED(0) from the hypervisor */
	l = fake_find(&f, TEESIM_OPTEE_SMC_VM_DESTROYED, 0);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->a[1], 0);
	ck_assert_uint_eq(l->a[7], 0);
	/* first call from A: VM_CREATED(1) with a7 0, then the call with a7 = 1 */
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_CALLS_REVISION, 5, 6, 7, 8, 9, 10, 11}};
	teesim_smc_call(m, ga, &r);
	l = fake_find(&f, TEESIM_OPTEE_SMC_VM_CREATED, 0);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->a[1], 1);
	ck_assert_uint_eq(l->a[7], 0);
	l = fake_find(&f, TEESIM_OPTEE_SMC_CALLS_REVISION, 0);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->a[7], 1);
	ck_assert_uint_eq(l->a[1], 0); /* the guest's other registers do not pass */
	/* B is refused by OP-TEE: it gets no OP-TEE at all */
	th_assert_err(teesim_mediator_guest_add(med, gb), -ENODEV);
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_CALLS_REVISION}};
	teesim_smc_call(m, gb, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_SMC_UNKNOWN_FUNCTION);
	th_assert_err(teesim_mediator_guest_add(med, ga), -EEXIST);
	th_assert_err(teesim_mediator_guest_add(med, teesim_mediator_hyp_guest(med)), -EINVAL);
	/* removal: VM_DESTROYED(1) */
	ck_assert_int_eq(teesim_mediator_guest_remove(med, ga), 0);
	l = fake_find(&f, TEESIM_OPTEE_SMC_VM_DESTROYED, 1);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->a[1], 1);
	ck_assert_uint_eq(l->a[7], 0);
	teesim_mediator_free(med);

	/* without a7 nor announcements */
	f.n = 0;
	teesim_mediator_cfg_default(&cfg);
	cfg.client_id_in_a7 = false;
	cfg.announce_vms = false;
	cfg.auto_add = false;
	med = teesim_mediator_new(m, &cfg);
	ck_assert_ptr_nonnull(med);
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_CALLS_REVISION}};
	teesim_smc_call(m, ga, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_SMC_UNKNOWN_FUNCTION); /* not added */
	ck_assert_int_eq(teesim_mediator_guest_add(med, gb), 0);
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_CALLS_REVISION}};
	teesim_smc_call(m, gb, &r);
	ck_assert_uint_eq(r.a[0], OK);
	l = fake_find(&f, TEESIM_OPTEE_SMC_CALLS_REVISION, 0);
	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(l->a[7], 0);
	ck_assert_ptr_null(fake_find(&f, TEESIM_OPTEE_SMC_VM_CREATED, 0));
	teesim_mediator_free(med);
	ck_assert_ptr_null(fake_find(&f, TEESIM_OPTEE_SMC_VM_DESTROYED, 0));
	teesim_smc_detach(m);
	ck_assert_int_eq(teesim_guest_free(gb), 0);
	th_machine_done(m);
}
END_TEST

START_TEST(test_probe)
{
	struct teesim_machine *m = menv_machine();
	struct teesim_mediator_cfg cfg;
	struct teesim_sw_cfg sc;
	struct teesim_sw *sw;
	struct teesim_mediator *med;

	/* nobody on the channel */
	errno = 0;
	ck_assert_ptr_null(teesim_mediator_new(m, NULL));
	ck_assert_int_eq(errno, ENODEV);
	/* OP-TEE without virtualization support */
	sw = teesim_sw_new(m, NULL);
	ck_assert_ptr_nonnull(sw);
	errno = 0;
	ck_assert_ptr_null(teesim_mediator_new(m, NULL));
	ck_assert_int_eq(errno, ENODEV);
	teesim_sw_free(sw);
	/* 3.3: no GET_THREAD_COUNT, so max_calls must be given */
	teesim_sw_cfg_default(&sc, TEESIM_OPTEE_GEN_3_3);
	sc.sec_caps |= TEESIM_OPTEE_SMC_SEC_CAP_VIRTUALIZATION;
	sw = teesim_sw_new(m, &sc);
	ck_assert_ptr_nonnull(sw);
	errno = 0;
	ck_assert_ptr_null(teesim_mediator_new(m, NULL));
	ck_assert_int_eq(errno, ENODEV);
	teesim_mediator_cfg_default(&cfg);
	cfg.max_calls = 4;
	med = teesim_mediator_new(m, &cfg);
	ck_assert_ptr_nonnull(med);
	errno = 0;
	ck_assert_ptr_null(teesim_mediator_new(m, &cfg));
	ck_assert_int_eq(errno, EBUSY);
	teesim_mediator_free(med);
	/* bad configuration */
	cfg.max_buffers = 0;
	errno = 0;
	ck_assert_ptr_null(teesim_mediator_new(m, &cfg));
	ck_assert_int_eq(errno, EINVAL);
	/* no RAM left for the hypervisor guest */
	teesim_mediator_cfg_default(&cfg);
	cfg.max_calls = 4;
	cfg.pool_pages = (uint32_t) ((64ull << 20) / TEESIM_PAGE_SIZE);
	errno = 0;
	ck_assert_ptr_null(teesim_mediator_new(m, &cfg));
	ck_assert_int_eq(errno, ENOMEM);
	teesim_sw_free(sw);
	th_machine_done(m);
}
END_TEST

/* Mediator memory runs out: ENOMEM for the call, OUT_OF_MEMORY for a list. */
START_TEST(test_pool_exhausted)
{
	struct teesim_mediator_cfg cfg;
	struct teesim_optee_msg_arg *a;
	teesim_ipa_t ipa;

	menv_done(&E);
	teesim_mediator_cfg_default(&cfg);
	cfg.pool_pages = 1;
	menv_init_cfg(&E, &cfg, NULL);
	gnw_pages(&E.a, 2, &ipa);
	/* the one page is the argument's shadow: no room for the list */
	a = gnw_invoke_msg(&E.a, 1, 0, 1);
	a->params[0].attr = TIN | NC;
	a->params[0].u.tmem.buf_ptr = gnw_pagelist(&E.a, ipa, 2, 0);
	a->params[0].u.tmem.size = 100;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, TEESIM_OPTEE_ERROR_OUT_OF_MEMORY);
	ck_assert_uint_eq(a->ret_origin, TEESIM_OPTEE_ORIGIN_COMMS);
	assert_idle(&E.a);
	/* a call suspended holds the only page: the next call gets ENOMEM */
	teesim_sw_inject_foreign_intr(E.sw, 1);
	{
		struct teesim_smc_regs r;
		teesim_ipa_t ipa2;
		struct teesim_optee_msg_arg *b = gnw_pages(&E.a, 1, &ipa2);

		a = gnw_msg(&E.a, TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION, 0);
		a->session = 999;
		ck_assert_uint_eq(gnw_raw_call(&E.a, E.a.arg_ipa, &r),
				  TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR);
		b->cmd = TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION;
		ck_assert_uint_eq(gnw_raw_call(&E.a, ipa2, NULL), TEESIM_OPTEE_SMC_RETURN_ENOMEM);
		ck_assert_uint_eq(gnw_resume(&E.a, &r), OK);
		ck_assert_uint_eq(a->ret, TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	}
	assert_idle(&E.a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mediator-rpc");
	TCase *tc = tcase_create("rpc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_rpc_shm_alloc);
	tcase_add_test(tc, test_rpc_values);
	tcase_add_test(tc, test_rpc_shm_alloc_refused);
	tcase_add_test(tc, test_rpc_alloc_refused);
	tcase_add_test(tc, test_shm_cache);
	tcase_add_test(tc, test_shm_cache_two_guests);
	tcase_add_test(tc, test_foreign_intr);
	tcase_add_test(tc, test_pool_exhausted);
	suite_add_tcase(s, tc);
	tc = tcase_create("guests");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_two_guests);
	tcase_add_test(tc, test_guest_remove);
	suite_add_tcase(s, tc);
	tc = th_tcase(s, "probe");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_vm_announce);
	tcase_add_test(tc, test_probe);
	return th_run(s);
}
