/* SPDX-License-Identifier: MIT */
/* Tee core: the in-kernel client API (white box). */
#include <fcntl.h>
#include <stdlib.h>

#include "harness.h"
#include "testdrv.h"
#include "tee_private.h"

static const struct testdrv_cfg full = {.reg_mem = true, .memref_null = true, .supplicant = true};

static int match_optee(struct tee_ioctl_version_data *v, const void *data)
{
	(void) data;
	return v->impl_id == TEE_IMPL_ID_OPTEE;
}

static int match_none(struct tee_ioctl_version_data *v, const void *data)
{
	(void) v;
	(void) data;
	return 0;
}

static struct teesim_tee_stats stats(void)
{
	struct teesim_tee_stats st;

	teesim_tee_stats(TH_M, &st);
	return st;
}

START_TEST(test_open_context)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct tee_ioctl_version_data v = {0};
	struct teesim_tee_device_info di;
	struct tee_context *ctx, *next;

	ck_assert_int_eq(PTR_ERR(tee_client_open_context(td->g, NULL, match_none, NULL, &v)),
			 -ENOENT);
	ck_assert_uint_eq(stats().contexts, 0);
	ck_assert_uint_eq(td->releases, 2); /* both devices were tried and closed again */
	ctx = tee_client_open_context(td->g, NULL, match_optee, NULL, &v);
	ck_assert(!IS_ERR(ctx));
	ck_assert_ptr_eq(ctx->teedev, td->teedev); /* the first device: tee0 */
	ck_assert(ctx->supp_nowait);
	ck_assert_ptr_null(ctx->proc);
	ck_assert_uint_eq(v.impl_id, TEE_IMPL_ID_OPTEE);
	ck_assert_uint_eq(v.gen_caps & TEE_GEN_CAP_PRIVILEGED, 0);
	ck_assert_int_eq(teesim_tee_device_info(td->g, "/dev/tee0", &di), 0);
	ck_assert_uint_eq(di.users, 2);
	ck_assert_uint_eq(di.contexts, 1);
	/* the walk goes on after @start */
	next = tee_client_open_context(td->g, ctx, match_optee, NULL, &v);
	ck_assert(!IS_ERR(next));
	ck_assert_ptr_eq(next->teedev, td->supp_teedev);
	ck_assert_int_eq(PTR_ERR(tee_client_open_context(td->g, next, match_optee, NULL, &v)),
			 -ENOENT);
	tee_client_get_version(next, &v);
	ck_assert_uint_eq(v.impl_caps, TEE_OPTEE_CAP_TZ);
	/* no session ops on the supplicant device */
	{
		struct tee_ioctl_open_session_arg oa = {0};
		struct tee_ioctl_invoke_arg ia = {0};
		struct tee_ioctl_cancel_arg ca = {0};

		th_assert_err(tee_client_open_session(next, &oa, NULL), -EINVAL);
		th_assert_err(tee_client_invoke_func(next, &ia, NULL), -EINVAL);
		th_assert_err(tee_client_cancel_req(next, &ca), -EINVAL);
		th_assert_err(tee_client_close_session(next, 1), -EINVAL);
	}
	tee_client_close_context(next);
	tee_client_close_context(ctx);
	ck_assert_uint_eq(stats().contexts, 0);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

START_TEST(test_sessions)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct tee_ioctl_version_data v;
	struct tee_context *ctx = tee_client_open_context(td->g, NULL, match_optee, NULL, &v);
	struct tee_ioctl_open_session_arg oa = {.num_params = 1};
	struct tee_ioctl_invoke_arg ia = {.func = 9, .num_params = 2};
	struct tee_ioctl_cancel_arg ca = {.cancel_id = 4};
	struct tee_param params[2] = {{.attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT}};
	struct tee_shm *shm;

	ck_assert(!IS_ERR(ctx));
	ck_assert_int_eq(tee_client_open_session(ctx, &oa, params), 0);
	ck_assert_uint_eq(oa.session, 1);
	ck_assert_uint_eq(params[0].u.value.b, 0x1000);
	ck_assert_uint_eq(stats().sessions, 1);
	/* a kernel buffer as a memref */
	shm = tee_shm_alloc(ctx, 4096, TEE_SHM_MAPPED | TEE_SHM_DMA_BUF);
	ck_assert(!IS_ERR(shm));
	params[1].attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT;
	params[1].u.memref = (struct tee_param_memref){0, 4096, shm};
	ia.session = oa.session;
	td->memref_out_size = 12;
	ck_assert_int_eq(tee_client_invoke_func(ctx, &ia, params), 0);
	ck_assert_uint_eq(td->last_func, 9);
	ck_assert_int_eq(td->last_shm_ids[1], tee_shm_get_id(shm));
	ck_assert_uint_eq(params[1].u.memref.size, 12);
	ca.session = oa.session;
	ck_assert_int_eq(tee_client_cancel_req(ctx, &ca), 0);
	ck_assert_uint_eq(td->last_cancel_id, 4);
	ck_assert_int_eq(tee_client_close_session(ctx, oa.session), 0);
	th_assert_err(tee_client_close_session(ctx, oa.session), -EINVAL);
	/* an in-kernel context has no user memory to register */
	ck_assert_int_eq(
	    PTR_ERR(tee_shm_register(ctx, 0x10000, 4096, TEE_SHM_DMA_BUF | TEE_SHM_USER_MAPPED)),
	    -EFAULT);
	ck_assert_int_eq(PTR_ERR(tee_shm_register(ctx, 0x10000, 4096, TEE_SHM_DMA_BUF)), -ENOTSUPP);
	/* the context outlives its close while the shm lives; the session opened last goes with it
	 */
	ck_assert_int_eq(tee_client_open_session(ctx, &oa, params), 0);
	tee_client_close_context(ctx);
	ck_assert_uint_eq(stats().contexts, 1);
	ck_assert_uint_eq(td->closed_on_release, 0);
	tee_shm_free(shm);
	ck_assert_uint_eq(td->closed_on_release, 1);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core-client");
	TCase *tc = th_tcase(s, "core-client");

	tcase_add_test(tc, test_open_context);
	tcase_add_test(tc, test_sessions);
	return th_run(s);
}
