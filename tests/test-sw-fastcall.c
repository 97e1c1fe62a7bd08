/* SPDX-License-Identifier: MIT */
/*
 * Secure world, fast calls: every one OP-TEE answers, with the registers it
 * sets and preserves, per generation and configuration.
 */
#include "test-sw-nw.h"

static struct teesim_smc_regs fast(struct nw *nw, uint32_t fid, uint32_t a1)
{
	struct teesim_smc_regs r = {
	    {fid, a1, 0x22222222u, 0x33333333u, 0x44444444u, 0x55555555u, 0x66666666u, 0}};

	nw_fast(nw, &r);
	/* a4..a7 are preserved by every fast call */
	ck_assert_uint_eq(r.a[4], 0x44444444u);
	ck_assert_uint_eq(r.a[5], 0x55555555u);
	ck_assert_uint_eq(r.a[6], 0x66666666u);
	return r;
}

START_TEST(test_uid_revision)
{
	struct nw nw;
	struct teesim_smc_regs r;

	nw_init(&nw, TH_M, TEESIM_OPTEE_GEN_HEAD);
	r = fast(&nw, TEESIM_OPTEE_SMC_CALLS_UID, 0);
	ck_assert_uint_eq(r.a[0], 0x384fb3e0u);
	ck_assert_uint_eq(r.a[1], 0xe7f811e3u);
	ck_assert_uint_eq(r.a[2], 0xaf630002u);
	ck_assert_uint_eq(r.a[3], 0xa5d5c51bu);
	r = fast(&nw, TEESIM_OPTEE_SMC_CALLS_REVISION, 0);
	ck_assert_uint_eq(r.a[0], 2);
	ck_assert_uint_eq(r.a[1], 0);
	r = fast(&nw, TEESIM_OPTEE_SMC_CALL_GET_OS_UUID, 0);
	ck_assert_uint_eq(r.a[0], 0x486178e0u);
	ck_assert_uint_eq(r.a[1], 0xe7f811e3u);
	ck_assert_uint_eq(r.a[2], 0xbc5e0002u);
	ck_assert_uint_eq(r.a[3], 0xa5d5c51bu);
	r = fast(&nw, TEESIM_OPTEE_SMC_CALL_GET_OS_REVISION, 0);
	ck_assert_uint_eq(r.a[0], 4);
	ck_assert_uint_eq(r.a[1], 0);
	r = fast(&nw, TEESIM_OPTEE_SMC_CALLS_COUNT, 0);
	ck_assert_uint_eq(r.a[0], 12);
	ck_assert_uint_eq(nw_stats(&nw).fast_calls, 5);
	nw_fini(&nw);
}
END_TEST

START_TEST(test_ids)
{
	/* function ids as the real headers spell them */
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_CALLS_COUNT, 0xBF00FF00u);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_CALLS_UID, 0xBF00FF01u);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_CALLS_REVISION, 0xBF00FF03u);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_CALL_GET_OS_UUID, 0xB2000000u);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_CALL_GET_OS_REVISION, 0xB2000001u);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC, 0x32000003u);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_CALL_WITH_ARG, 0x32000004u);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_GET_SHM_CONFIG, 0xB2000007u);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES, 0xB2000009u);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE, 0xB200000Au);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE, 0xB200000Bu);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_GET_THREAD_COUNT, 0xB200000Fu);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG, 0x32000012u);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_CALL_WITH_REGD_ARG, 0x32000013u);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_GET_PROTMEM_CONFIG, 0xB2000014u);
	ck_assert_uint_eq(TEESIM_OPTEE_SMC_RETURN_RPC_CMD, 0xFFFF0005u);
	ck_assert(TEESIM_OPTEE_SMC_RETURN_IS_RPC(0xFFFF0004u));
	ck_assert(!TEESIM_OPTEE_SMC_RETURN_IS_RPC(0xFFFFFFFFu));
	ck_assert_uint_eq(TEESIM_OPTEE_RPC_ARG_SIZE, 160);
	ck_assert_uint_eq(TEESIM_OPTEE_MSG_GET_ARG_SIZE(4), 160);
}
END_TEST

START_TEST(test_shm_config)
{
	struct nw nw;
	struct teesim_smc_regs r;
	teesim_pa_t pa;
	uint64_t size;
	struct teesim_sw_cfg cfg;

	nw_init(&nw, TH_M, TEESIM_OPTEE_GEN_3_0);
	ck_assert_int_eq(teesim_machine_static_shm(TH_M, &pa, &size, NULL), 0);
	r = fast(&nw, TEESIM_OPTEE_SMC_GET_SHM_CONFIG, 0);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_OK);
	ck_assert_uint_eq(r.a[1], (uint32_t) pa);
	ck_assert_uint_eq(r.a[2], (uint32_t) size);
	ck_assert_uint_eq(r.a[3], TEESIM_OPTEE_SMC_SHM_CACHED);
	nw_fini(&nw);

	/* no reserved pool: ENOTAVAIL, and the capability is gone */
	teesim_sw_cfg_default(&cfg, TEESIM_OPTEE_GEN_HEAD);
	cfg.reserved_shm = false;
	nw_init_cfg(&nw, TH_M, &cfg);
	r = fast(&nw, TEESIM_OPTEE_SMC_GET_SHM_CONFIG, 0);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL);
	r = fast(&nw, TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES, 0);
	ck_assert_uint_eq(r.a[0], 0);
	ck_assert_uint_eq(r.a[1] & TEESIM_OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM, 0);
	nw_fini(&nw);
}
END_TEST

START_TEST(test_no_carveout)
{
	struct teesim_machine_cfg mc;
	struct teesim_machine *m;
	struct teesim_sw_cfg cfg;

	teesim_machine_cfg_default(&mc);
	mc.static_shm_size = 0;
	m = th_machine(&mc);
	teesim_sw_cfg_default(&cfg, TEESIM_OPTEE_GEN_HEAD);
	errno = 0;
	ck_assert_ptr_null(teesim_sw_new(m, &cfg));
	ck_assert_int_eq(errno, EINVAL);
	th_machine_done(m);
}
END_TEST

START_TEST(test_exchange_caps)
{
	struct nw nw;
	struct teesim_smc_regs r;

	nw_init(&nw, TH_M, TEESIM_OPTEE_GEN_3_0);
	r = fast(&nw, TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES,
		 TEESIM_OPTEE_SMC_NSEC_CAP_UNIPROCESSOR);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_OK);
	ck_assert_uint_eq(r.a[1], TEESIM_OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM |
				      TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM);
	ck_assert_uint_eq(r.a[3], 0);
	/* unknown normal-world bits */
	r = fast(&nw, TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES, 0x2);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL);
	/* 3.0 has no GET_THREAD_COUNT */
	r = fast(&nw, TEESIM_OPTEE_SMC_GET_THREAD_COUNT, 0);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_UNKNOWN_FUNCTION);
	nw_fini(&nw);

	nw_init(&nw, TH_M, TEESIM_OPTEE_GEN_HEAD);
	r = fast(&nw, TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES, 0);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_OK);
	ck_assert(r.a[1] & TEESIM_OPTEE_SMC_SEC_CAP_MEMREF_NULL);
	ck_assert(r.a[1] & TEESIM_OPTEE_SMC_SEC_CAP_RPC_ARG);
	ck_assert_uint_eq(r.a[3], 4);
	r = fast(&nw, TEESIM_OPTEE_SMC_GET_THREAD_COUNT, 0);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_OK);
	ck_assert_uint_eq(r.a[1], 4);
	nw_fini(&nw);
}
END_TEST

START_TEST(test_shm_cache)
{
	struct nw nw;
	struct teesim_smc_regs r;
	uint64_t cookie;

	nw_init(&nw, TH_M, TEESIM_OPTEE_GEN_3_0);
	r = fast(&nw, TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE, 0);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL);
	r = fast(&nw, TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE, 0);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_OK);

	/* a call that makes an RPC keeps its RPC argument in the cache */
	{
		uint32_t sid = nw_open(&nw, TEESIM_TA_RPC_UUID);
		struct teesim_optee_msg_arg *a =
		    nw_invoke_msg(&nw, sid, TEESIM_TA_RPC_CMD_GET_TIME, 1);

		a->params[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT;
		ck_assert_uint_eq(nw_call(&nw, nw.arg_pa), 0);
		ck_assert_uint_eq(a->ret, 0);
		ck_assert_uint_eq(nw.rpc_alloc, 1);
		ck_assert_uint_eq(nw.rpc_free, 0);
		ck_assert_uint_eq(nw_stats(&nw).cached_rpc_args, 1);
		ck_assert_uint_eq(nw_close(&nw, sid), 0);
	}
	/* handed back by DISABLE, one cookie per call, then ENOTAVAIL */
	r = fast(&nw, TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE, 0);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_OK);
	cookie = ((uint64_t) r.a[1] << 32) | r.a[2];
	ck_assert_uint_eq(cookie >> 32, 0xabcd0000u);
	nw_pages_free(&nw, (uint32_t) cookie);
	ck_assert_uint_eq(nw_stats(&nw).cached_rpc_args, 0);
	r = fast(&nw, TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE, 0);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL);

	/* with the cache off, the buffer is freed at the end of each call */
	{
		uint32_t sid = nw_open(&nw, TEESIM_TA_RPC_UUID);
		struct teesim_optee_msg_arg *a =
		    nw_invoke_msg(&nw, sid, TEESIM_TA_RPC_CMD_GET_TIME, 1);

		a->params[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT;
		ck_assert_uint_eq(nw_call(&nw, nw.arg_pa), 0);
		ck_assert_uint_eq(nw.rpc_alloc, 2);
		ck_assert_uint_eq(nw.rpc_free, 1);
		ck_assert_uint_eq(nw_stats(&nw).cached_rpc_args, 0);
		ck_assert_uint_eq(nw_close(&nw, sid), 0);
	}
	nw_fini(&nw);
}
END_TEST

START_TEST(test_shm_cache_busy)
{
	struct nw nw;
	struct teesim_smc_regs r, call;
	uint32_t sid;
	struct teesim_optee_msg_arg *a;

	nw_init(&nw, TH_M, TEESIM_OPTEE_GEN_3_0);
	sid = nw_open(&nw, TEESIM_TA_RPC_UUID);
	a = nw_invoke_msg(&nw, sid, TEESIM_TA_RPC_CMD_FOREIGN_INTR, 1);
	a->params[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT;
	ck_assert_uint_eq(nw_raw_call(&nw, TEESIM_OPTEE_SMC_CALL_WITH_ARG, nw.arg_pa, &call),
			  TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR);
	/* a thread is not free: both cache calls are refused */
	r = fast(&nw, TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE, 0);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_EBUSY);
	r = fast(&nw, TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE, 0);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_EBUSY);
	ck_assert_uint_eq(nw_resume(&nw, &call), TEESIM_OPTEE_SMC_RETURN_OK);
	ck_assert_uint_eq(a->ret, 0);
	r = fast(&nw, TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE, 0);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_OK);
	ck_assert_uint_eq(nw_close(&nw, sid), 0);
	nw_fini(&nw);
}
END_TEST

START_TEST(test_unknown)
{
	struct nw nw;
	struct teesim_smc_regs r;
	struct teesim_sw_cfg cfg;
	const uint32_t unknown[] = {
	    TEESIM_OPTEE_SMC_FAST_CALL_VAL(99),	 TEESIM_OPTEE_SMC_L2CC_MUTEX,
	    TEESIM_OPTEE_SMC_VM_CREATED,	 TEESIM_OPTEE_SMC_FAST_CALL_VAL(0xFF02),
	    TEESIM_OPTEE_SMC_GET_PROTMEM_CONFIG, 0x84000000u /* PSCI */,
	    TEESIM_OPTEE_SMC_ENABLE_ASYNC_NOTIF,
	};

	nw_init(&nw, TH_M, TEESIM_OPTEE_GEN_HEAD);
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		r = fast(&nw, unknown[i], 0);
		ck_assert_msg(r.a[0] == TEESIM_OPTEE_SMC_RETURN_UNKNOWN_FUNCTION, "fid %x -> %x",
			      unknown[i], r.a[0]);
	}
	/* yielding: unknown function numbers are EBADCMD, other owners unknown */
	ck_assert_uint_eq(nw_raw_call(&nw, TEESIM_OPTEE_SMC_STD_CALL_VAL(9), nw.arg_pa, NULL),
			  TEESIM_OPTEE_SMC_RETURN_EBADCMD);
	ck_assert_uint_eq(nw_raw_call(&nw, 0x04000004u, nw.arg_pa, NULL),
			  TEESIM_OPTEE_SMC_RETURN_UNKNOWN_FUNCTION);
	ck_assert_uint_eq(nw_stats(&nw).rejected, 9);
	ck_assert_uint_eq(nw_stats(&nw).std_calls, 0);
	nw_fini(&nw);

	/* virtualization: VM_CREATED / DESTROYED only from the hypervisor */
	teesim_sw_cfg_default(&cfg, TEESIM_OPTEE_GEN_HEAD);
	cfg.sec_caps |= TEESIM_OPTEE_SMC_SEC_CAP_VIRTUALIZATION;
	nw_init_cfg(&nw, TH_M, &cfg);
	r = fast(&nw, TEESIM_OPTEE_SMC_VM_CREATED, 5);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_OK);
	r = fast(&nw, TEESIM_OPTEE_SMC_VM_CREATED, 0);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL);
	r = fast(&nw, TEESIM_OPTEE_SMC_CALLS_COUNT, 0);
	ck_assert_uint_eq(r.a[0], 14);
	r = fast(&nw, TEESIM_OPTEE_SMC_VM_DESTROYED, 5);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_OK);
	{
		/* a guest (a7 != 0) may not say so */
		struct teesim_smc_regs g = {{TEESIM_OPTEE_SMC_VM_DESTROYED, 5, 0, 0, 0, 0, 0, 3}};

		nw_fast(&nw, &g);
		ck_assert_uint_eq(g.a[0], TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL);
	}
	/* one core: no secondary to release */
	r = fast(&nw, TEESIM_OPTEE_SMC_BOOT_SECONDARY, 1);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_EBADCMD);
	nw_fini(&nw);
}
END_TEST

START_TEST(test_new_errors)
{
	struct teesim_sw_cfg cfg;
	struct teesim_sw *sw, *sw2;

	teesim_sw_cfg_default(&cfg, TEESIM_OPTEE_GEN_HEAD);
	cfg.num_threads = 0;
	ck_assert_ptr_null(teesim_sw_new(TH_M, &cfg));
	ck_assert_int_eq(errno, EINVAL);
	cfg.num_threads = 65;
	ck_assert_ptr_null(teesim_sw_new(TH_M, &cfg));
	cfg.num_threads = 2;
	cfg.sec_caps = 1u << 20;
	ck_assert_ptr_null(teesim_sw_new(TH_M, &cfg));
	sw = teesim_sw_new(TH_M, NULL);
	ck_assert_ptr_nonnull(sw);
	ck_assert_int_eq(teesim_sw_config(sw)->gen, TEESIM_OPTEE_GEN_HEAD);
	ck_assert_int_eq(teesim_sw_config(sw)->unreg_mode, TEESIM_SW_UNREG_WAIT);
	sw2 = teesim_sw_new(TH_M, NULL);
	ck_assert_ptr_null(sw2);
	ck_assert_int_eq(errno, EBUSY);
	teesim_sw_free(sw);
	teesim_sw_free(NULL);
	/* detached again: nobody answers */
	{
		struct teesim_smc_regs r = {{TEESIM_OPTEE_SMC_CALLS_UID}};

		teesim_smc_call(TH_M, teesim_machine_guest(TH_M, 0), &r);
		ck_assert_uint_eq(r.a[0], TEESIM_SMC_UNKNOWN_FUNCTION);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sw-fastcall");
	TCase *tc = th_tcase(s, "fastcall");

	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_uid_revision);
	tcase_add_test(tc, test_shm_config);
	tcase_add_test(tc, test_exchange_caps);
	tcase_add_test(tc, test_shm_cache);
	tcase_add_test(tc, test_shm_cache_busy);
	tcase_add_test(tc, test_unknown);
	tcase_add_test(tc, test_new_errors);
	tc = tcase_create("standalone");
	tcase_add_test(tc, test_no_carveout);
	suite_add_tcase(s, tc);
	return th_run(s);
}
