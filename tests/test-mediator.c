/* SPDX-License-Identifier: MIT */
/*
 * The OP-TEE mediator, calls and memory: fast calls as Xen filters them,
 * CALL_WITH_ARG from a shuffled guest with page lists translated (the TA
 * sees exactly the guest's bytes, on exactly the guest's frames), registered
 * memory, every rejection with Xen's code, and the limits at N-1 / N / N+1.
 */
#include "test-mediator-nw.h"

#define VIN   TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT
#define VOUT  TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT
#define TIN   TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT
#define TOUT  TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT
#define TIO   TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT
#define RIN   TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT
#define NC    TEESIM_OPTEE_MSG_ATTR_NONCONTIG
#define OK    TEESIM_OPTEE_SMC_RETURN_OK
#define BADP  TEESIM_OPTEE_ERROR_BAD_PARAMETERS
#define OOM   TEESIM_OPTEE_ERROR_OUT_OF_MEMORY
#define COMMS TEESIM_OPTEE_ORIGIN_COMMS

static struct menv E;

static void setup(void)
{
	menv_init(&E);
}

static void setup_big(void)
{
	struct teesim_mediator_cfg cfg;

	teesim_mediator_cfg_default(&cfg);
	cfg.max_buffer_pages = 1200;
	menv_init_cfg(&E, &cfg, NULL);
}

static void teardown(void)
{
	menv_done(&E);
}

/* Every access the secure world made since the log was cleared hit @nw's frames or the mediator's.
 */
static void assert_accesses_within(struct gnw *nw, size_t *count)
{
	struct teesim_access acc[256];
	const unsigned hyp = teesim_guest_id(teesim_mediator_hyp_guest(E.med));
	size_t n = teesim_machine_access_log(E.m, 0, NULL, 0), seen = 0;

	for (size_t first = 0; first < n; first += 256) {
		size_t k = teesim_machine_access_log(E.m, first, acc, 256);

		k = k - first < 256 ? k - first : 256;
		for (size_t i = 0; i < k; i++) {
			struct teesim_frame_info fi;

			if (acc[i].flags & TEESIM_ACC_NS) {
				ck_assert_int_eq(teesim_frame_info(E.m, acc[i].pa, &fi), 0);
				ck_assert_msg(fi.guest_id == (int) teesim_guest_id(nw->g) ||
						  fi.guest_id == (int) hyp,
					      "access at %llx of guest %d",
					      (unsigned long long) acc[i].pa, fi.guest_id);
				seen++;
			}
		}
	}
	if (count)
		*count = seen;
}

/* ------------------------------------------------------------------------ */

START_TEST(test_fast_calls)
{
	struct teesim_smc_regs r = {{TEESIM_OPTEE_SMC_CALLS_COUNT}};
	struct teesim_mediator_guest_stats st;

	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_MEDIATOR_SMC_COUNT);
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_CALLS_UID}};
	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_MSG_UID_0);
	ck_assert_uint_eq(r.a[3], TEESIM_OPTEE_MSG_UID_3);
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_CALL_GET_OS_REVISION}};
	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], 4);
	/* the static pool is hidden: it exists (the sw has it), the guest hears ENOTAVAIL */
	ck_assert(teesim_sw_config(E.sw)->reserved_shm);
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_GET_SHM_CONFIG}};
	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL);
	/* caps: only what Xen knows, without the reserved pool; unknown nsec caps dropped */
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES, 0xf0u}};
	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], OK);
	ck_assert_uint_eq(r.a[1], TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM);
	ck_assert_uint_eq(r.a[3], 0);
	/* calls Xen does not handle */
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_GET_THREAD_COUNT}};
	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_SMC_UNKNOWN_FUNCTION);
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_VM_CREATED, 7}};
	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_SMC_UNKNOWN_FUNCTION);
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG}};
	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_SMC_UNKNOWN_FUNCTION);
	/* the shm cache passes */
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE}};
	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], OK);
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE}};
	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL); /* nothing cached */
	st = gnw_stats(&E, &E.a);
	ck_assert_uint_eq(st.client_id, 1);
	ck_assert_uint_eq(st.rejected, 4);
	ck_assert_uint_eq(st.calls_total, 0);
}
END_TEST

START_TEST(test_no_dynamic_shm)
{
	struct teesim_sw_cfg sc;
	struct teesim_smc_regs r = {{TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES}};

	/* rebuild with a secure world that only has the static pool */
	menv_done(&E);
	menv_sw_cfg(&sc);
	sc.sec_caps &= ~TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
	menv_init_cfg(&E, NULL, &sc);
	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).rejected, 1);
}
END_TEST

/* Open, invoke READ / WRITE / PAGES on a NONCONTIG memref over many list pages. */
START_TEST(test_noncontig_multi_list)
{
	const size_t npages = 1100; /* three list pages */
	const uint32_t off = 0x234;
	const uint64_t size = npages * TEESIM_PAGE_SIZE - off - 100;
	struct teesim_optee_msg_arg *a;
	struct teesim_mediator_guest_stats st;
	teesim_ipa_t ipa, out_ipa;
	teesim_pa_t pas[64];
	uint8_t *buf = gnw_pages(&E.a, npages, &ipa);
	uint64_t *outp = gnw_pages(&E.a, 1, &out_ipa);
	uint32_t sid = gnw_open(&E.a, TEESIM_TA_MEM_UUID), sum, fnv;
	size_t seen;

	for (size_t i = 0; i < npages * TEESIM_PAGE_SIZE; i++)
		buf[i] = (uint8_t) (i * 7 + (i >> 12));
	mem_digest(buf + off, size, &sum, &fnv);

	teesim_machine_access_log_enable(E.m, true);
	teesim_machine_access_log_clear(E.m);
	a = gnw_invoke_msg(&E.a, sid, TEESIM_TA_MEM_CMD_READ, 2);
	a->params[0].attr = TIN | NC;
	a->params[0].u.tmem.buf_ptr = gnw_pagelist(&E.a, ipa, npages, off);
	a->params[0].u.tmem.size = size;
	a->params[0].u.tmem.shm_ref = 0x1111;
	a->params[1].attr = VOUT;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_msg(a->ret == 0, "ret %x origin %u", a->ret, a->ret_origin);
	ck_assert_uint_eq(a->params[1].u.value.a, sum);
	ck_assert_uint_eq(a->params[1].u.value.b, fnv);
	/* the guest's own page list is untouched: IPAs, never PAs */
	ck_assert_uint_eq(((uint64_t *) gnw_host(&E.a, a->params[0].u.tmem.buf_ptr & ~0xfffull))[0],
			  ipa);
	ck_assert_uint_eq(a->params[0].u.tmem.buf_ptr & 0xfff, off);
	assert_accesses_within(&E.a, &seen);
	ck_assert_uint_ge(seen, npages);
	teesim_machine_access_log_enable(E.m, false);
	st = gnw_stats(&E, &E.a);
	ck_assert_uint_eq(st.translated_pages, npages);
	ck_assert_uint_eq(st.buffers, 0);
	ck_assert_uint_eq(st.shadow_pages, 0);
	ck_assert_uint_eq(st.calls, 0);

	/* the TA writes: the guest reads it through its pointer */
	a = gnw_invoke_msg(&E.a, sid, TEESIM_TA_MEM_CMD_WRITE, 2);
	a->params[0].attr = TIO | NC;
	a->params[0].u.tmem.buf_ptr = gnw_pagelist(&E.a, ipa, npages, off);
	a->params[0].u.tmem.size = size;
	a->params[0].u.tmem.shm_ref = 0x2222;
	a->params[1].attr = VIN;
	a->params[1].u.value.a = 0x40;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(a->params[0].u.tmem.size, size);
	for (size_t i = 0; i < size; i += 4093)
		ck_assert_uint_eq(buf[off + i], (uint8_t) (0x40 + i));
	ck_assert_uint_eq(buf[off - 1], (uint8_t) ((off - 1) * 7));

	/* the frames behind the memref are exactly the guest's, in its order */
	a = gnw_invoke_msg(&E.a, sid, TEESIM_TA_MEM_CMD_PAGES, 3);
	a->params[0].attr = TIN | NC;
	a->params[0].u.tmem.buf_ptr = gnw_pagelist(&E.a, ipa, 40, 0x10);
	a->params[0].u.tmem.size = 39 * TEESIM_PAGE_SIZE;
	a->params[0].u.tmem.shm_ref = 0x3333;
	a->params[1].attr = VOUT;
	a->params[2].attr = TOUT | NC;
	a->params[2].u.tmem.buf_ptr = gnw_pagelist(&E.a, out_ipa, 1, 0);
	a->params[2].u.tmem.size = TEESIM_PAGE_SIZE;
	a->params[2].u.tmem.shm_ref = 0x4444;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(a->params[1].u.value.a, 40);
	ck_assert_uint_eq(a->params[2].u.tmem.size, 40 * 8);
	gnw_frames(&E.a, ipa, 40, pas);
	for (size_t i = 0; i < 40; i++) {
		struct teesim_frame_info fi;

		ck_assert_uint_eq(outp[i], pas[i]);
		ck_assert_int_eq(teesim_frame_info(E.m, pas[i], &fi), 0);
		ck_assert_int_eq(fi.guest_id, 0);
		ck_assert_uint_eq(fi.ipa, ipa + i * TEESIM_PAGE_SIZE);
	}
	/* shuffled: the frames are not contiguous */
	ck_assert(pas[1] != pas[0] + TEESIM_PAGE_SIZE || pas[2] != pas[1] + TEESIM_PAGE_SIZE);
	ck_assert_uint_eq(gnw_close(&E.a, sid), 0);
	st = gnw_stats(&E, &E.a);
	ck_assert_uint_eq(st.buffers, 0);
	ck_assert_uint_eq(st.calls_total, 5);
	ck_assert_uint_eq(st.rejected, 0);
}
END_TEST

START_TEST(test_register)
{
	const size_t npages = 20;
	const uint32_t off = 0x80;
	const uint64_t size = npages * TEESIM_PAGE_SIZE - off;
	teesim_ipa_t ipa;
	uint8_t *buf = gnw_pages(&E.a, npages, &ipa);
	uint32_t sid = gnw_open(&E.a, TEESIM_TA_MEM_UUID), sum, fnv;
	struct teesim_mediator_guest_stats st;
	struct teesim_optee_msg_arg *a;
	teesim_pa_t pas[npages], sw_pas[npages];
	uint64_t swc;

	for (size_t i = 0; i < npages * TEESIM_PAGE_SIZE; i++)
		buf[i] = (uint8_t) (i ^ (i >> 9));
	ck_assert_uint_eq(gnw_register(&E.a, ipa, npages, off, size, 0x77), 0);
	st = gnw_stats(&E, &E.a);
	ck_assert_uint_eq(st.registered, 1);
	ck_assert_uint_eq(st.buffers, 1);
	ck_assert_uint_eq(st.buffer_pages, npages);
	ck_assert_uint_eq(st.shadow_pages, 0); /* the shadow list is gone once registered */
	/* the secure world holds the guest's frames under the mediator's cookie */
	ck_assert_int_eq(teesim_mediator_sw_cookie(E.med, E.a.g, 0x77, &swc), 0);
	ck_assert_uint_ne(swc, 0x77);
	th_assert_err(teesim_mediator_sw_cookie(E.med, E.a.g, 0x78, &swc), -ENOENT);
	ck_assert_int_eq(teesim_mediator_sw_cookie(E.med, E.a.g, 0x77, &swc), 0);
	ck_assert_int_eq(teesim_sw_shm_pages(E.sw, swc, sw_pas, npages), (long) npages);
	gnw_frames(&E.a, ipa, npages, pas);
	ck_assert_mem_eq(pas, sw_pas, sizeof(pas));
	ck_assert_uint_eq(menv_sw_stats(&E).shm_objects, 1);

	/* RMEM by the guest's cookie */
	mem_digest(buf + off + 100, 3 * TEESIM_PAGE_SIZE, &sum, &fnv);
	a = gnw_invoke_msg(&E.a, sid, TEESIM_TA_MEM_CMD_READ, 2);
	a->params[0].attr = RIN;
	a->params[0].u.rmem.shm_ref = 0x77;
	a->params[0].u.rmem.offs = 100;
	a->params[0].u.rmem.size = 3 * TEESIM_PAGE_SIZE;
	a->params[1].attr = VOUT;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(a->params[1].u.value.a, sum);
	ck_assert_uint_eq(a->params[1].u.value.b, fnv);
	/* the cookie the guest wrote is still its own */
	ck_assert_uint_eq(a->params[0].u.rmem.shm_ref, 0x77);

	/* the same cookie again: Xen refuses it (-EINVAL: BAD_PARAMETERS) */
	ck_assert_uint_eq(gnw_register(&E.a, ipa, 1, 0, 10, 0x77), BADP);
	ck_assert_uint_eq(E.a.arg->ret_origin, COMMS);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).buffers, 1);

	/* unregister an unknown cookie: the secure world says no, nothing changes */
	ck_assert_uint_ne(gnw_unregister(&E.a, 0x99), 0);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).registered, 1);
	ck_assert_uint_eq(gnw_unregister(&E.a, 0x77), 0);
	st = gnw_stats(&E, &E.a);
	ck_assert_uint_eq(st.registered, 0);
	ck_assert_uint_eq(st.buffers, 0);
	ck_assert_uint_eq(st.buffer_pages, 0);
	ck_assert_uint_eq(menv_sw_stats(&E).shm_objects, 0);
	/* a stale RMEM now names nothing */
	a = gnw_invoke_msg(&E.a, sid, TEESIM_TA_MEM_CMD_READ, 2);
	a->params[0].attr = RIN;
	a->params[0].u.rmem.shm_ref = 0x77;
	a->params[0].u.rmem.size = 16;
	a->params[1].attr = VOUT;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, BADP);
	ck_assert_uint_eq(gnw_close(&E.a, sid), 0);
}
END_TEST

/* A failed registration in the secure world leaves nothing in the mediator. */
START_TEST(test_register_refused)
{
	teesim_ipa_t ipa;

	gnw_pages(&E.a, 2, &ipa);
	/* size 0: the secure world refuses the list */
	ck_assert_uint_eq(gnw_register(&E.a, ipa, 0, 0, 0, 0x55), BADP);
	ck_assert_uint_eq(E.a.arg->ret_origin, TEESIM_OPTEE_ORIGIN_TEE);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).buffers, 0);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).registered, 0);
	ck_assert_uint_eq(menv_sw_stats(&E).shm_objects, 0);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).shadow_pages, 0);
}
END_TEST

/* Each rejection: the code Xen gives, nothing reaches the secure world. */
START_TEST(test_rejections)
{
	const uint32_t sid = gnw_open(&E.a, TEESIM_TA_MEM_UUID);
	struct teesim_sw_stats before = menv_sw_stats(&E);
	struct teesim_smc_regs r;
	struct teesim_optee_msg_arg *a;
	teesim_ipa_t ipa, other;
	uint64_t *l;
	unsigned rej = 0;

	gnw_pages(&E.a, 4, &ipa);
	/* argument not page aligned */
	ck_assert_uint_eq(gnw_raw_call(&E.a, E.a.arg_ipa + 8, NULL),
			  TEESIM_OPTEE_SMC_RETURN_EBADADDR);
	rej++;
	/* argument not guest RAM (beyond it, and below it) */
	ck_assert_uint_eq(gnw_raw_call(&E.a, teesim_guest_ipa_base(E.a.g) + GNW_GUEST_SIZE, NULL),
			  TEESIM_OPTEE_SMC_RETURN_EBADADDR);
	ck_assert_uint_eq(gnw_raw_call(&E.a, 0x1000, NULL), TEESIM_OPTEE_SMC_RETURN_EBADADDR);
	rej += 2;
	/* too many params for a page: BAD_PARAMETERS from the comms stack, SMC OK */
	a = gnw_msg(&E.a, TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND, 200);
	a->session = 0x55;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, BADP);
	ck_assert_uint_eq(a->ret_origin, COMMS);
	ck_assert_uint_eq(a->session, 0x55);
	ck_assert_uint_eq(a->num_params, 200);
	rej++;
	/* unknown command */
	a = gnw_msg(&E.a, TEESIM_OPTEE_MSG_CMD_DO_BOTTOM_HALF, 0);
	ck_assert_uint_eq(gnw_call(&E.a), TEESIM_OPTEE_SMC_RETURN_EBADCMD);
	rej++;
	/* contiguous TMEM: a guest has no contiguous physical buffer */
	a = gnw_invoke_msg(&E.a, sid, TEESIM_TA_MEM_CMD_NOP, 1);
	a->params[0].attr = TIN;
	a->params[0].u.tmem.buf_ptr = ipa;
	a->params[0].u.tmem.size = 64;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, BADP);
	ck_assert_uint_eq(a->ret_origin, COMMS);
	rej++;
	/* page-list entry outside guest RAM */
	a = gnw_invoke_msg(&E.a, sid, TEESIM_TA_MEM_CMD_NOP, 1);
	a->params[0].attr = TIN | NC;
	a->params[0].u.tmem.buf_ptr = gnw_pagelist(&E.a, ipa, 2, 0);
	a->params[0].u.tmem.size = 2 * TEESIM_PAGE_SIZE;
	l = gnw_host(&E.a, a->params[0].u.tmem.buf_ptr);
	l[1] = teesim_guest_ipa_base(E.a.g) + GNW_GUEST_SIZE;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, BADP);
	rej++;
	/* misaligned entry */
	l[1] = ipa + TEESIM_PAGE_SIZE + 8;
	a->ret = 0;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, BADP);
	rej++;
	/* the list itself is not guest RAM */
	a->params[0].u.tmem.buf_ptr = 0x2000;
	a->ret = 0;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, BADP);
	rej++;
	/* another guest's frame, named by its PA: to guest A it is an IPA outside its RAM */
	gnw_pages(&E.b, 1, &other);
	{
		struct teesim_frame_info fi;
		teesim_pa_t bpa;

		ck_assert_int_eq(teesim_guest_ipa_to_pa(E.b.g, other, &bpa), 0);
		a->params[0].u.tmem.buf_ptr = gnw_pagelist(&E.a, ipa, 2, 0);
		l = gnw_host(&E.a, a->params[0].u.tmem.buf_ptr);
		l[0] = bpa;
		a->ret = 0;
		ck_assert_uint_eq(gnw_call(&E.a), OK);
		if (teesim_guest_ipa_to_pa(E.a.g, bpa, &bpa) == 0) {
			/* it happens to be an IPA of A too: then it is A's own page */
			ck_assert_uint_eq(a->ret, 0);
			ck_assert_int_eq(teesim_frame_info(E.m, bpa, &fi), 0);
			ck_assert_int_eq(fi.guest_id, 0);
			before.std_calls++;
		} else {
			ck_assert_uint_eq(a->ret, BADP);
			rej++;
		}
	}
	/* a buffer beyond the per-buffer limit: OUT_OF_MEMORY */
	a->params[0].u.tmem.size = 1ull << 40;
	a->ret = 0;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, OOM);
	ck_assert_uint_eq(a->ret_origin, COMMS);
	rej++;
	a->params[0].u.tmem.size = UINT64_MAX;
	a->ret = 0;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, OOM);
	rej++;
	/* resuming a thread that is not ours */
	r = (struct teesim_smc_regs){{TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC, 0, 0, 3}};
	gnw_smc(&E.a, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_ERESUME);
	rej++;
	/* none of it reached the secure world */
	ck_assert_uint_eq(menv_sw_stats(&E).std_calls, before.std_calls);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).rejected, rej);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).buffers, 0);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).shadow_pages, 0);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).calls, 0);
	ck_assert_uint_eq(gnw_close(&E.a, sid), 0);
}
END_TEST

/* A guest names only the sessions it opened; B cannot use or close A's. */
START_TEST(test_sessions)
{
	const uint32_t sa = gnw_open(&E.a, TEESIM_TA_MEM_UUID);
	struct teesim_optee_msg_arg *a;

	ck_assert_uint_eq(gnw_stats(&E, &E.a).sessions, 1);
	a = gnw_invoke_msg(&E.b, sa, TEESIM_TA_MEM_CMD_NOP, 0);
	ck_assert_uint_eq(gnw_call(&E.b), OK);
	ck_assert_uint_eq(a->ret, BADP);
	ck_assert_uint_eq(a->session, sa); /* what it wrote stays */
	ck_assert_uint_eq(gnw_close(&E.b, sa), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	ck_assert_uint_eq(gnw_stats(&E, &E.b).rejected, 2);
	ck_assert_uint_eq(menv_sw_stats(&E).sessions, 1);
	/* A still has it */
	a = gnw_invoke_msg(&E.a, sa, TEESIM_TA_MEM_CMD_NOP, 0);
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(gnw_close(&E.a, sa), 0);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).sessions, 0);
	ck_assert_uint_eq(gnw_close(&E.a, sa), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
}
END_TEST

/* NULL memrefs pass (buf_ptr 0, contiguous or not). */
START_TEST(test_null_memref)
{
	uint32_t sid = gnw_open(&E.a, TEESIM_TA_MEM_UUID);
	struct teesim_optee_msg_arg *a = gnw_invoke_msg(&E.a, sid, TEESIM_TA_MEM_CMD_NOP, 2);

	a->params[0].attr = TIN;
	a->params[1].attr = TIN | NC;
	ck_assert_uint_eq(gnw_call(&E.a), OK);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).translated_pages, 0);
	ck_assert_uint_eq(gnw_close(&E.a, sid), 0);
}
END_TEST

/* Per-buffer page limit at N-1, N, N+1 (default 129). */
START_TEST(test_limit_buffer_pages)
{
	const uint32_t n = TEESIM_MEDIATOR_MAX_BUFFER_PAGES;
	uint32_t sid = gnw_open(&E.a, TEESIM_TA_MEM_UUID);
	teesim_ipa_t ipa;
	struct teesim_optee_msg_arg *a;

	gnw_pages(&E.a, n + 1, &ipa);
	for (uint32_t k = n - 1; k <= n + 1; k++) {
		a = gnw_invoke_msg(&E.a, sid, TEESIM_TA_MEM_CMD_READ, 2);
		a->params[0].attr = TIN | NC;
		a->params[0].u.tmem.buf_ptr = gnw_pagelist(&E.a, ipa, k, 0x10);
		/* k pages with the offset: size + 0x10 spans exactly k pages */
		a->params[0].u.tmem.size = (uint64_t) k * TEESIM_PAGE_SIZE - 0x10;
		a->params[0].u.tmem.shm_ref = 0x100 + k;
		a->params[1].attr = VOUT;
		ck_assert_uint_eq(gnw_call(&E.a), OK);
		ck_assert_uint_eq(a->ret, k <= n ? 0 : OOM);
		gnw_pages_free(&E.a, a->params[0].u.tmem.buf_ptr & ~0xfffull);
	}
	ck_assert_uint_eq(gnw_stats(&E, &E.a).translated_pages, 2 * n - 1);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).rejected, 1);
	ck_assert_uint_eq(gnw_close(&E.a, sid), 0);
}
END_TEST

/* Buffers per guest at N-1, N, N+1 (default 16). */
START_TEST(test_limit_buffers)
{
	const uint32_t n = TEESIM_MEDIATOR_MAX_BUFFERS;
	teesim_ipa_t ipa;

	gnw_pages(&E.a, 1, &ipa);
	for (uint32_t k = 1; k <= n + 1; k++) {
		uint32_t ret = gnw_register(&E.a, ipa, 1, 0, 100, 0x500 + k);

		ck_assert_msg(ret == (k <= n ? 0u : OOM), "buffer %u: ret %x", k, ret);
		gnw_pages_free(&E.a, E.a.arg->params[0].u.tmem.buf_ptr & ~0xfffull);
		if (k == n - 1)
			ck_assert_uint_eq(gnw_stats(&E, &E.a).registered, n - 1);
	}
	ck_assert_uint_eq(gnw_stats(&E, &E.a).registered, n);
	ck_assert_uint_eq(menv_sw_stats(&E).shm_objects, n);
	/* one freed: one more fits */
	ck_assert_uint_eq(gnw_unregister(&E.a, 0x501), 0);
	ck_assert_uint_eq(gnw_register(&E.a, ipa, 1, 0, 100, 0x600), 0);
	for (uint32_t k = 2; k <= n; k++)
		ck_assert_uint_eq(gnw_unregister(&E.a, 0x500 + k), 0);
	ck_assert_uint_eq(gnw_unregister(&E.a, 0x600), 0);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).buffers, 0);
}
END_TEST

/* Total pages per guest: Xen refuses when the total would reach the limit. */
START_TEST(test_limit_total_pages)
{
	struct teesim_mediator_cfg cfg;
	teesim_ipa_t ipa;

	menv_done(&E);
	teesim_mediator_cfg_default(&cfg);
	cfg.max_total_pages = 10;
	menv_init_cfg(&E, &cfg, NULL);
	gnw_pages(&E.a, 8, &ipa);
	ck_assert_uint_eq(gnw_register(&E.a, ipa, 8, 0, 8 * TEESIM_PAGE_SIZE, 1), 0);
	/* 8 + 2 = 10 = N: refused; 8 + 1 = 9 = N - 1: fits; then 9 + 1: refused */
	ck_assert_uint_eq(gnw_register(&E.a, ipa, 2, 0, 2 * TEESIM_PAGE_SIZE, 2), OOM);
	ck_assert_uint_eq(gnw_register(&E.a, ipa, 1, 0, TEESIM_PAGE_SIZE, 3), 0);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).buffer_pages, 9);
	ck_assert_uint_eq(gnw_register(&E.a, ipa, 1, 0, TEESIM_PAGE_SIZE, 4), OOM);
	ck_assert_uint_eq(gnw_unregister(&E.a, 1), 0);
	ck_assert_uint_eq(gnw_unregister(&E.a, 3), 0);
	ck_assert_uint_eq(gnw_stats(&E, &E.a).buffer_pages, 0);
}
END_TEST

/* Calls in flight per guest at N-1, N, N+1: ETHREAD_LIMIT from the mediator. */
START_TEST(test_limit_calls)
{
	struct teesim_mediator_cfg cfg;
	struct teesim_smc_regs r[4];
	teesim_ipa_t ipas[4];
	uint32_t sid;

	menv_done(&E);
	teesim_mediator_cfg_default(&cfg);
	cfg.max_calls = 3;
	menv_init_cfg(&E, &cfg, NULL);
	ck_assert_uint_eq(teesim_mediator_config(E.med)->max_calls, 3);
	sid = gnw_open(&E.a, TEESIM_TA_MEM_UUID);
	teesim_sw_inject_foreign_intr(E.sw, 3);
	for (unsigned k = 0; k < 4; k++) {
		struct teesim_optee_msg_arg *a = gnw_pages(&E.a, 1, &ipas[k]);

		a->cmd = TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND;
		a->session = sid;
		a->func = TEESIM_TA_MEM_CMD_NOP;
		gnw_raw_call(&E.a, ipas[k], &r[k]);
		if (k < 3)
			ck_assert_uint_eq(r[k].a[0], TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR);
		else
			ck_assert_uint_eq(r[k].a[0], TEESIM_OPTEE_SMC_RETURN_ETHREAD_LIMIT);
		if (k == 1)
			ck_assert_uint_eq(gnw_stats(&E, &E.a).calls, 2);
	}
	ck_assert_uint_eq(gnw_stats(&E, &E.a).calls, 3);
	ck_assert_uint_eq(menv_sw_stats(&E).threads_suspended, 3); /* the sw had room: 8 */
	/* guest B is not limited by A's calls */
	{
		struct teesim_optee_msg_arg *b =
		    gnw_msg(&E.b, TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION, 0);

		b->session = 12345;
		ck_assert_uint_eq(gnw_call(&E.b), OK);
		ck_assert_uint_eq(b->ret, TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	}
	/* B cannot resume A's suspended threads */
	for (unsigned k = 0; k < 3; k++) {
		struct teesim_smc_regs other = r[k];

		ck_assert_uint_eq(gnw_resume(&E.b, &other), TEESIM_OPTEE_SMC_RETURN_ERESUME);
	}
	ck_assert_uint_eq(menv_sw_stats(&E).threads_suspended, 3);
	/* resume in another order; a resume twice is ERESUME */
	for (int k = 2; k >= 0; k--) {
		struct teesim_smc_regs again = r[k];

		ck_assert_uint_eq(gnw_resume(&E.a, &r[k]), OK);
		ck_assert_uint_eq(gnw_resume(&E.a, &again), TEESIM_OPTEE_SMC_RETURN_ERESUME);
	}
	ck_assert_uint_eq(gnw_stats(&E, &E.a).calls, 0);
	ck_assert_uint_eq(gnw_close(&E.a, sid), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mediator");
	TCase *tc = tcase_create("calls");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_fast_calls);
	tcase_add_test(tc, test_no_dynamic_shm);
	tcase_add_test(tc, test_register);
	tcase_add_test(tc, test_register_refused);
	tcase_add_test(tc, test_rejections);
	tcase_add_test(tc, test_null_memref);
	tcase_add_test(tc, test_sessions);
	suite_add_tcase(s, tc);
	tc = tcase_create("big");
	tcase_add_checked_fixture(tc, setup_big, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_noncontig_multi_list);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_limit_buffer_pages);
	tcase_add_test(tc, test_limit_buffers);
	tcase_add_test(tc, test_limit_total_pages);
	tcase_add_test(tc, test_limit_calls);
	suite_add_tcase(s, tc);
	return th_run(s);
}
