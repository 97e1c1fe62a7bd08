/* SPDX-License-Identifier: MIT */
/*
 * The OP-TEE driver's probe refusing a secure world it cannot use, as
 * optee_probe does: wrong UID or revision, a refused capability exchange, a
 * reserved pool the secure world describes badly. Each failure leaves
 * nothing behind (no device, no pool memory) and a good probe works after it
 * on the same machine. Also the driver's entry points given NULL.
 */
#include <fcntl.h>
#include <linux/tee.h>

#include "harness.h"

/* The fault hook of these tests: answers one fast call in the secure world's place. */
struct answer {
	uint32_t func;	  /* a0 of the call to answer */
	uint32_t a[4];	  /* a0..a3 of the answer */
	unsigned matched; /* calls answered */
};

static int answer_hook(void *ctx, enum teesim_smc_stage stage, struct teesim_guest *from,
		       struct teesim_smc_regs *regs)
{
	struct answer *an = ctx;

	(void) from;
	if (stage != TEESIM_SMC_BEFORE || regs->a[0] != an->func)
		return TEESIM_SMC_PASS;
	an->matched++;
	for (unsigned i = 0; i < 4; i++)
		regs->a[i] = an->a[i];
	return TEESIM_SMC_SKIP;
}

/* Nothing of a driver is left on the machine. */
static void assert_no_driver(struct teesim_machine *m)
{
	struct teesim_tee_stats st;
	struct teesim_machine_stats ms;
	struct teesim_process *p = teesim_process_new(teesim_machine_guest(m, 0));

	teesim_tee_stats(m, &st);
	ck_assert_uint_eq(st.devices, 0);
	ck_assert_uint_eq(st.contexts, 0);
	ck_assert_uint_eq(st.shms, 0);
	teesim_machine_stats(m, &ms);
	ck_assert_uint_eq(ms.kernel_pages, 0);
	ck_assert_ptr_nonnull(p);
	th_assert_err(teesim_open(p, "/dev/tee0", O_RDWR), -ENOENT);
	teesim_process_free(p);
}

/* A probe that works, then goes: the machine was left usable. */
static void probe_ok(struct teesim_machine *m, const struct teesim_optee_cfg *cfg)
{
	struct teesim_optee *drv = teesim_optee_probe(m, cfg);
	struct teesim_tee_stats st;

	ck_assert_msg(drv != NULL, "probe: %s", strerror(errno));
	teesim_tee_stats(m, &st);
	ck_assert_uint_eq(st.devices, 2); /* tee0 and teepriv0 */
	teesim_optee_remove(drv);
	assert_no_driver(m);
}

/* Probe with @an answering one call; expects failure with @err. */
static void probe_fails(struct teesim_sw_cfg *swc, const struct teesim_optee_cfg *cfg,
			struct answer *an, int err)
{
	struct teesim_sw *sw = teesim_sw_new(TH_M, swc);

	ck_assert_ptr_nonnull(sw);
	teesim_smc_set_fault_hook(TH_M, answer_hook, an);
	errno = 0;
	ck_assert_ptr_null(teesim_optee_probe(TH_M, cfg));
	ck_assert_int_eq(errno, err);
	ck_assert_uint_ge(an->matched, 1);
	assert_no_driver(TH_M);
	teesim_smc_set_fault_hook(TH_M, NULL, NULL);
	probe_ok(TH_M, cfg);
	teesim_sw_free(sw);
}

START_TEST(test_no_secure_world)
{
	errno = 0;
	ck_assert_ptr_null(teesim_optee_probe(NULL, NULL));
	ck_assert_int_eq(errno, EINVAL);
	/* nothing attached: every SMC is "unknown function" */
	errno = 0;
	ck_assert_ptr_null(teesim_optee_probe(TH_M, NULL));
	ck_assert_int_eq(errno, EINVAL);
	assert_no_driver(TH_M);
}
END_TEST

START_TEST(test_wrong_uid)
{
	struct teesim_sw_cfg swc;
	/* another trusted OS's UID */
	struct answer an = {.func = TEESIM_OPTEE_SMC_CALLS_UID, .a = {0x12345678u, 1, 2, 3}};

	teesim_sw_cfg_default(&swc, TEESIM_OPTEE_GEN_HEAD);
	probe_fails(&swc, NULL, &an, EINVAL);
}
END_TEST

START_TEST(test_wrong_revision)
{
	struct teesim_sw_cfg swc;
	/* a message ABI of another major version */
	struct answer an = {.func = TEESIM_OPTEE_SMC_CALLS_REVISION, .a = {3, 0, 0, 0}};

	teesim_sw_cfg_default(&swc, TEESIM_OPTEE_GEN_HEAD);
	probe_fails(&swc, NULL, &an, EINVAL);
}
END_TEST

START_TEST(test_caps_refused)
{
	struct teesim_sw_cfg swc;
	struct answer an = {.func = TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES,
			    .a = {TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL, 0, 0, 0}};

	teesim_sw_cfg_default(&swc, TEESIM_OPTEE_GEN_HEAD);
	probe_fails(&swc, NULL, &an, EINVAL);
}
END_TEST

/* Reserved pool only: the driver depends on GET_SHM_CONFIG. */
static void reserved_only(struct teesim_sw_cfg *swc)
{
	teesim_sw_cfg_default(swc, TEESIM_OPTEE_GEN_HEAD);
	swc->reserved_shm = true;
	swc->sec_caps &= ~TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
}

START_TEST(test_shm_config_refused)
{
	struct teesim_sw_cfg swc;
	struct answer an = {.func = TEESIM_OPTEE_SMC_GET_SHM_CONFIG,
			    .a = {TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL, 0, 0, 0}};

	reserved_only(&swc);
	probe_fails(&swc, NULL, &an, EINVAL);
}
END_TEST

START_TEST(test_shm_config_not_cached)
{
	struct teesim_sw_cfg swc;
	teesim_pa_t pa;
	uint64_t size;
	void *host;
	struct answer an = {.func = TEESIM_OPTEE_SMC_GET_SHM_CONFIG};

	ck_assert_int_eq(teesim_machine_static_shm(TH_M, &pa, &size, &host), 0);
	an.a[0] = TEESIM_OPTEE_SMC_RETURN_OK;
	an.a[1] = (uint32_t) pa;
	an.a[2] = (uint32_t) size;
	an.a[3] = 0; /* uncached: the driver takes only normal cached memory */
	reserved_only(&swc);
	probe_fails(&swc, NULL, &an, EINVAL);
}
END_TEST

START_TEST(test_shm_config_bad_ranges)
{
	struct teesim_sw_cfg swc;
	teesim_pa_t pa;
	uint64_t size;
	void *host;
	/* begin, size: one page (too small), an end that rounds below the
	 * start, a range outside the machine's carve-out */
	uint32_t ranges[][2] = {{0, 4096}, {0, 2 * 4096 - 1}, {100, 4096 + 50}, {0, 0}};

	ck_assert_int_eq(teesim_machine_static_shm(TH_M, &pa, &size, &host), 0);
	ranges[0][0] = (uint32_t) pa;
	ranges[1][0] = (uint32_t) pa;
	ranges[2][0] = (uint32_t) pa + 100;
	ranges[3][0] = (uint32_t) (pa + size); /* just past the carve-out */
	ranges[3][1] = 4 * 4096;
	reserved_only(&swc);
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		struct answer an = {.func = TEESIM_OPTEE_SMC_GET_SHM_CONFIG,
				    .a = {TEESIM_OPTEE_SMC_RETURN_OK, ranges[i][0], ranges[i][1],
					  TEESIM_OPTEE_SMC_SHM_CACHED}};

		probe_fails(&swc, NULL, &an, EINVAL);
	}
}
END_TEST

START_TEST(test_null_driver)
{
	struct teesim_optee_info info;

	th_assert_err(teesim_optee_info(NULL, &info), -EINVAL);
	errno = 0;
	ck_assert_ptr_null(teesim_optee_restart(NULL));
	ck_assert_int_eq(errno, EINVAL);
	/* no driver: nothing to do, and no crash */
	teesim_optee_set_supp_hook(NULL, NULL, NULL);
	teesim_optee_supp_interrupt(NULL);
	teesim_optee_remove(NULL);
}
END_TEST

START_TEST(test_info_needs_both)
{
	struct teesim_sw_cfg swc;
	struct teesim_sw *sw;
	struct teesim_optee *drv;
	struct teesim_optee_info info;

	teesim_sw_cfg_default(&swc, TEESIM_OPTEE_GEN_HEAD);
	sw = teesim_sw_new(TH_M, &swc);
	ck_assert_ptr_nonnull(sw);
	drv = teesim_optee_probe(TH_M, NULL);
	ck_assert_ptr_nonnull(drv);
	th_assert_err(teesim_optee_info(drv, NULL), -EINVAL);
	th_assert_err(teesim_optee_info(drv, &info), 0);
	ck_assert(info.reg_mem);
	teesim_optee_remove(drv);
	teesim_sw_free(sw);
	assert_no_driver(TH_M);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cov-optee");
	TCase *tc = th_tcase(s, "probe");

	tcase_add_test(tc, test_no_secure_world);
	tcase_add_test(tc, test_wrong_uid);
	tcase_add_test(tc, test_wrong_revision);
	tcase_add_test(tc, test_caps_refused);
	tcase_add_test(tc, test_shm_config_refused);
	tcase_add_test(tc, test_shm_config_not_cached);
	tcase_add_test(tc, test_shm_config_bad_ranges);
	tcase_add_test(tc, test_null_driver);
	tcase_add_test(tc, test_info_needs_both);
	return th_run(s);
}
