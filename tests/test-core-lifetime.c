/* SPDX-License-Identifier: MIT */
/* Tee core: lifetime orders of contexts, sessions, shms, fds and mappings (white box). */
#include <fcntl.h>
#include <stdlib.h>

#include "harness.h"
#include "testdrv.h"
#include "tee_private.h"

static const struct testdrv_cfg full = {.reg_mem = true, .memref_null = true, .supplicant = true};

#define RW (TEESIM_PROT_READ | TEESIM_PROT_WRITE)

static struct teesim_tee_stats stats(void)
{
	struct teesim_tee_stats st;

	teesim_tee_stats(TH_M, &st);
	return st;
}

/* close(/dev/tee0) with a shm fd left: the context and its session live on */
START_TEST(test_close_device_before_shm)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	struct tee_ioctl_shm_alloc_data d;
	uint32_t session;
	int fd = teesim_open(p, "/dev/tee0", O_RDWR);
	int s = t_shm_alloc(p, fd, 4096, &d);

	ck_assert_int_eq(t_open_session(p, fd, NULL, 0, &session, NULL), 0);
	ck_assert_uint_eq(t_fd_info(p, fd).ctx_refs, 2);
	ck_assert_int_eq(teesim_close(p, fd), 0);
	ck_assert_uint_eq(stats().contexts, 1);
	ck_assert_uint_eq(stats().sessions, 1);
	ck_assert_uint_eq(td->releases, 0);
	ck_assert_uint_eq(t_fd_info(p, s).ctx_refs, 1); /* the shm's */
	ck_assert_uint_eq(t_fd_info(p, s).ctx_sessions, 1);
	/* the last shm goes: the context is released and its session closed */
	ck_assert_int_eq(teesim_close(p, s), 0);
	ck_assert_uint_eq(td->releases, 1);
	ck_assert_uint_eq(td->closed_on_release, 1);
	ck_assert_uint_eq(stats().contexts, 0);
	ck_assert_uint_eq(stats().sessions, 0);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

/* close(/dev/tee0) with sessions and nothing else: release closes them */
START_TEST(test_close_device_with_sessions)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	int fd = teesim_open(p, "/dev/tee0", O_RDWR);

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(t_open_session(p, fd, NULL, 0, NULL, NULL), 0);
	ck_assert_uint_eq(stats().sessions, 3);
	ck_assert_int_eq(teesim_close(p, fd), 0);
	ck_assert_uint_eq(td->closed_on_release, 3);
	ck_assert_uint_eq(stats().sessions, 0);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

/* close the session first, then the shm, then the device */
START_TEST(test_session_before_shm)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	uint8_t *u = teesim_process_mmap(p, 4096, RW);
	struct tee_ioctl_shm_register_data r;
	uint32_t session;
	int fd = teesim_open(p, "/dev/tee0", O_RDWR);
	int s = t_shm_register(p, fd, (uintptr_t) u, 4096, &r);
	struct tee_ioctl_param pa = {TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT, 0, 4096,
				     (uint64_t) r.id};

	ck_assert_int_eq(t_open_session(p, fd, &pa, 1, &session, NULL), 0);
	ck_assert_int_eq(t_close_session(p, fd, session), 0);
	ck_assert_uint_eq(stats().sessions, 0);
	ck_assert_uint_eq(t_fd_info(p, s).shm.refs, 1);
	ck_assert_int_eq(teesim_close(p, s), 0);
	ck_assert_uint_eq(td->unregistered, 1);
	ck_assert_uint_eq(stats().pinned_pages, 0);
	ck_assert_uint_eq(t_fd_info(p, fd).ctx_refs, 1);
	ck_assert_int_eq(teesim_close(p, fd), 0);
	ck_assert_uint_eq(td->closed_on_release, 0);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

struct hook_state {
	struct teesim_process *p;
	int close_fd;
	int shm_id;
	struct testdrv *td;
	uint32_t refs_seen, ctx_refs_seen;
	uint64_t contexts_seen;
	int close_rc;
};

/* from inside the driver's invoke: close an fd, as another thread would */
static void close_during_call(void *arg, enum testdrv_op op, struct tee_context *ctx,
			      struct tee_param *params, uint32_t n)
{
	struct hook_state *h = arg;
	struct teesim_tee_shm_info si;

	(void) params;
	(void) n;
	if (op != TESTDRV_INVOKE || h->close_fd < 0)
		return;
	h->close_rc = teesim_close(h->p, h->close_fd);
	h->close_fd = -1;
	h->ctx_refs_seen = tee_kref_read(&ctx->refcount);
	h->contexts_seen = stats().contexts;
	if (h->shm_id > 0 && !teesim_tee_shm_info(h->td->g, "/dev/tee0", h->shm_id, &si))
		h->refs_seen = si.refs;
}

/* the shm fd is closed while a call uses the shm: the call's reference keeps it */
START_TEST(test_close_shm_during_call)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	struct tee_ioctl_shm_alloc_data d;
	struct hook_state h = {p, -1, 0, td, 0, 0, 0, -1};
	struct teesim_tee_shm_info si;
	uint32_t session;
	int fd = teesim_open(p, "/dev/tee0", O_RDWR);
	int s = t_shm_alloc(p, fd, 4096, &d);
	struct tee_ioctl_param pa = {TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, 0, 16,
				     (uint64_t) d.id};

	ck_assert_int_eq(t_open_session(p, fd, NULL, 0, &session, NULL), 0);
	h.close_fd = s;
	h.shm_id = d.id;
	td->hook = close_during_call;
	td->hook_arg = &h;
	ck_assert_int_eq(t_invoke(p, fd, session, 1, &pa, 1, NULL), 0);
	ck_assert_int_eq(h.close_rc, 0);
	ck_assert_uint_eq(h.refs_seen, 1); /* only the call's reference was left */
	/* after the call the shm is gone, id and all */
	th_assert_err(teesim_tee_shm_info(td->g, "/dev/tee0", d.id, &si), -ENOENT);
	ck_assert_uint_eq(stats().shms, 0);
	td->hook = NULL;
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

/* the device fd is closed while a call runs on it: the context lives until the call returns */
START_TEST(test_close_context_during_call)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	struct hook_state h = {p, -1, 0, td, 0, 0, 0, -1};
	uint32_t session, ret = 1;
	int fd = teesim_open(p, "/dev/tee0", O_RDWR);

	ck_assert_int_eq(t_open_session(p, fd, NULL, 0, &session, NULL), 0);
	h.close_fd = fd;
	td->hook = close_during_call;
	td->hook_arg = &h;
	ck_assert_int_eq(t_invoke(p, fd, session, 1, NULL, 0, &ret), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_int_eq(h.close_rc, 0);
	ck_assert_uint_eq(h.contexts_seen, 1); /* still alive inside the call */
	ck_assert_uint_eq(h.ctx_refs_seen, 1);
	ck_assert_uint_eq(td->releases, 1); /* released when the call dropped the file */
	ck_assert_uint_eq(td->closed_on_release, 1);
	ck_assert_uint_eq(stats().contexts, 0);
	th_assert_err(t_invoke(p, fd, session, 1, NULL, 0, NULL), -EBADF);
	td->hook = NULL;
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

/* mmap keeps the shm, the shm keeps the context: close both fds, then munmap */
START_TEST(test_mapping_keeps_context)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	struct tee_ioctl_shm_alloc_data d;
	int fd = teesim_open(p, "/dev/tee0", O_RDWR);
	int s = t_shm_alloc(p, fd, 4096, &d);
	void *u = teesim_mmap(p, s, 4096, RW, 0);

	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(t_open_session(p, fd, NULL, 0, NULL, NULL), 0);
	ck_assert_int_eq(teesim_close(p, s), 0);
	ck_assert_int_eq(teesim_close(p, fd), 0);
	ck_assert_uint_eq(stats().contexts, 1);
	ck_assert_uint_eq(stats().sessions, 1);
	ck_assert_uint_eq(stats().mappings, 1);
	ck_assert_uint_eq(td->releases, 0);
	ck_assert_int_eq(teesim_munmap(p, u, 4096), 0);
	ck_assert_uint_eq(td->releases, 1);
	ck_assert_uint_eq(td->closed_on_release, 1);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

/* exit with everything open: mappings, fds, sessions, registrations */
START_TEST(test_process_exit)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	uint8_t *u = teesim_process_mmap(p, 8 * 4096, RW);
	struct tee_ioctl_shm_alloc_data d;
	struct teesim_machine_stats ms;
	int fd = teesim_open(p, "/dev/tee0", O_RDWR);
	int s = t_shm_alloc(p, fd, 8192, &d);

	ck_assert_ptr_nonnull(teesim_mmap(p, s, 8192, RW, 0));
	ck_assert_int_ge(t_shm_register(p, fd, (uintptr_t) u, 8 * 4096, NULL), 3);
	ck_assert_int_ge(t_shm_register(p, fd, (uintptr_t) u + 4096, 4096, NULL), 3);
	ck_assert_int_eq(t_open_session(p, fd, NULL, 0, NULL, NULL), 0);
	ck_assert_int_ge(teesim_open(p, "/dev/teepriv0", O_RDWR), 3);
	ck_assert_uint_eq(stats().pinned_pages, 9);
	teesim_machine_stats(TH_M, &ms);
	ck_assert_uint_eq(ms.pins, 9);
	teesim_process_free(p);
	teesim_machine_stats(TH_M, &ms);
	ck_assert_uint_eq(ms.pins, 0);
	ck_assert_uint_eq(ms.user_pages, 0);
	ck_assert_uint_eq(td->unregistered, 2);
	ck_assert_uint_eq(td->releases, 2);
	ck_assert_uint_eq(td->closed_on_release, 1);
	ck_assert_ptr_null(td->supp_ctx);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

/* the driver's release may allocate and free shm on the dying context (v4.16 "releasing") */
static void alloc_in_release(void *arg, enum testdrv_op op, struct tee_context *ctx,
			     struct tee_param *params, uint32_t n)
{
	struct tee_shm *shm;

	(void) arg;
	(void) params;
	(void) n;
	if (op != TESTDRV_RELEASE)
		return;
	shm = tee_shm_alloc(ctx, 64, TEE_SHM_MAPPED);
	ck_assert(!IS_ERR(shm));
	ck_assert_uint_eq(tee_kref_read(&ctx->refcount), 0); /* no get while releasing */
	tee_shm_free(shm);
}

START_TEST(test_release_allocates)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	int fd = teesim_open(p, "/dev/tee0", O_RDWR);

	ck_assert_int_eq(t_open_session(p, fd, NULL, 0, NULL, NULL), 0);
	td->hook = alloc_in_release;
	ck_assert_int_eq(teesim_close(p, fd), 0);
	td->hook = NULL;
	ck_assert_uint_eq(td->releases, 1);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 0);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

/* a kernel reference on a user shm outlives both fds */
START_TEST(test_kernel_reference_outlives_fds)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	struct tee_ioctl_shm_alloc_data d;
	struct tee_context *ctx;
	struct tee_shm *shm;
	int fd = teesim_open(p, "/dev/tee0", O_RDWR);
	int s = t_shm_alloc(p, fd, 4096, &d);

	ctx = ((struct tee_fdtable *) p->tee_files)->files[fd - 3]->ctx;
	shm = tee_shm_get_from_id(ctx, d.id);
	ck_assert(!IS_ERR(shm));
	ck_assert_int_eq(teesim_close(p, s), 0);
	ck_assert_int_eq(teesim_close(p, fd), 0);
	ck_assert_uint_eq(stats().contexts, 1);
	ck_assert_uint_eq(stats().shms, 1);
	ck_assert_uint_eq(stats().ids, 1);
	/* the id still names it, but only for its own (now unreachable) context */
	tee_shm_put(shm);
	ck_assert_uint_eq(td->releases, 1);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core-lifetime");
	TCase *tc = th_tcase(s, "core-lifetime");

	tcase_add_test(tc, test_close_device_before_shm);
	tcase_add_test(tc, test_close_device_with_sessions);
	tcase_add_test(tc, test_session_before_shm);
	tcase_add_test(tc, test_close_shm_during_call);
	tcase_add_test(tc, test_close_context_during_call);
	tcase_add_test(tc, test_mapping_keeps_context);
	tcase_add_test(tc, test_process_exit);
	tcase_add_test(tc, test_release_allocates);
	tcase_add_test(tc, test_kernel_reference_outlives_fds);
	return th_run(s);
}
