/* SPDX-License-Identifier: MIT */
/*
 * The OP-TEE driver end to end through the ioctl surface: probe, sessions,
 * invoke with values, pool memrefs, registered memrefs, NULL memrefs,
 * cancel, release; each step checked in both worlds.
 */
#include <stdlib.h>

#include "optee-util.h"

#define VIN  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT
#define VOUT TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT
#define VIO  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT
#define MIN  TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT
#define MOUT TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT

static struct teesim_stack_cfg cfg_gen(enum teesim_optee_drv_gen gen)
{
	struct teesim_stack_cfg c;

	teesim_stack_cfg_default(&c);
	teesim_optee_cfg_default(&c.drv, gen);
	return c;
}

START_TEST(test_probe_default)
{
	struct ot t;
	struct teesim_optee_info i;
	struct teesim_tee_device_info di;

	ot_new(&t, NULL);
	i = ot_drv(&t);
	ck_assert_int_eq(i.gen, TEESIM_OPTEE_DRV_LATER);
	ck_assert_int_eq(i.pool, TEESIM_OPTEE_POOL_PAGES);
	ck_assert(i.reg_mem);
	ck_assert(i.memref_null);
	ck_assert_uint_eq(i.rpc_param_count, 4);
	ck_assert(!i.shm_cache); /* not with RPC_ARG */
	ck_assert(i.supp_attached);
	ck_assert_uint_eq(i.os_major, 4);
	ck_assert_int_eq(
	    teesim_tee_device_info(teesim_machine_guest(t.st->machine, 0), "/dev/teepriv0", &di),
	    0);
	ck_assert(di.privileged);
	/* a second supplicant is refused */
	ck_assert_int_eq(teesim_open(t.p, "/dev/teepriv0", 0), -EBUSY);
	ot_done(&t);
}
END_TEST

static void values_roundtrip(enum teesim_optee_drv_gen gen)
{
	struct teesim_stack_cfg c = cfg_gen(gen);
	struct tee_ioctl_param p[4];
	struct ot t;
	uint32_t s, ret = 1, origin = 0;
	struct teesim_sw_session_info si;

	ot_new(&t, &c);
	s = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	ck_assert_uint_eq(ot_sw(&t).sessions, 1);
	ck_assert_uint_eq(ot_core(&t).sessions, 1);
	ck_assert_uint_eq(teesim_sw_sessions(t.st->sw, &si, 1), 1);
	ck_assert_uint_eq(si.id, s);
	ck_assert_uint_eq(si.login, TEE_IOCTL_LOGIN_PUBLIC);
	ck_assert_uint_eq(si.client.b[0], 0xc1);

	p[0] = ot_value(VIN, 1, 2, 3);
	p[1] = ot_value(VIO, 10, 20, 30);
	p[2] = ot_value(VOUT, 0, 0, 0);
	p[3] = ot_value(TEE_IOCTL_PARAM_ATTR_TYPE_NONE, 0, 0, 0);
	ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_MEM_CMD_NOP, p, 4, &ret, &origin), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(p[1].a, 11); /* echoed with a += 1 */
	ck_assert_uint_eq(p[0].a, 1);  /* inputs do not come back */
	/* an unknown session never reaches the secure world */
	ck_assert_int_eq(ot_invoke(&t, s + 100, 0, NULL, 0, &ret, NULL), -EINVAL);
	ck_assert_int_eq(ot_close(&t, s), 0);
	ck_assert_int_eq(ot_close(&t, s), -EINVAL);
	ck_assert_uint_eq(ot_sw(&t).sessions, 0);
	ck_assert_uint_eq(ot_core(&t).sessions, 0);
	ck_assert_uint_ge(ot_drv(&t).calls, 3);
	ot_done(&t);
}

START_TEST(test_values_later)
{
	values_roundtrip(TEESIM_OPTEE_DRV_LATER);
}
END_TEST

START_TEST(test_values_v416)
{
	values_roundtrip(TEESIM_OPTEE_DRV_V4_16);
}
END_TEST

/* The client's identity reaches the secure world; REE-kernel logins are refused by the core. */
START_TEST(test_login)
{
	struct teesim_sw_session_info si;
	struct ot t;
	uint32_t s = 0, ret = 1, origin = 0;

	ot_new(&t, NULL);
	ck_assert_int_eq(ot_open(&t, TEESIM_TA_MEM_UUID, TEE_IOCTL_LOGIN_APPLICATION, NULL, 0, &s,
				 &ret, &origin),
			 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(teesim_sw_sessions(t.st->sw, &si, 1), 1);
	ck_assert_uint_eq(si.login, TEE_IOCTL_LOGIN_APPLICATION);
	ck_assert_uint_eq(si.client.b[15], 0xc1);
	ck_assert_int_eq(
	    ot_open(&t, TEESIM_TA_MEM_UUID, TEE_IOCTL_LOGIN_REE_KERNEL, NULL, 0, &s, &ret, &origin),
	    -EPERM);
	ck_assert_uint_eq(ot_sw(&t).sessions, 1);
	ot_done(&t);
}
END_TEST

START_TEST(test_open_errors)
{
	struct ot t;
	uint32_t s = 7, ret = 0, origin = 0;

	ot_new(&t, NULL);
	ck_assert_int_eq(
	    ot_open(&t, "5ce0c000-00ff-4000-8000-7465657369d0", 0, NULL, 0, &s, &ret, &origin), 0);
	ck_assert_uint_eq(ret, TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	ck_assert_uint_eq(origin, TEESIM_OPTEE_ORIGIN_TEE);
	ck_assert_uint_eq(ot_sw(&t).sessions, 0);
	ck_assert_uint_eq(ot_core(&t).sessions, 0);
	/* the later driver's argument cache holds at most 6 params: 4 TA params + 2 meta */
	{
		struct tee_ioctl_param p[5];

		for (int i = 0; i < 5; i++)
			p[i] = ot_value(VIN, 0, 0, 0);
		ck_assert_int_eq(ot_open(&t, TEESIM_TA_MEM_UUID, 0, p, 5, &s, &ret, &origin),
				 -EINVAL);
	}
	ot_done(&t);
}
END_TEST

#define SHM_FLAG_REGISTER (1u << 3) /* TEE_SHM_REGISTER (v4.16 value) in teesim_tee_shm_info */

/*
 * Pool memref: SHM_ALLOC + mmap, the TA reads and checksums it. The later
 * driver's page pool registers the buffer at allocation (REGISTER_SHM under
 * the shm's cookie, its own pages) and unregisters it at free, so the
 * memref goes out as RMEM; the v4.16 user pool is the carve-out (TMEM).
 */
static void pool_memref(enum teesim_optee_drv_gen gen, enum teesim_sw_param_kind kind)
{
	struct teesim_stack_cfg c = cfg_gen(gen);
	const bool reg = kind == TEESIM_SW_PARAM_RMEM;
	struct tee_ioctl_param p[2];
	struct teesim_sw_request req;
	struct teesim_sw_shm_info so;
	struct teesim_tee_fd_info fi;
	teesim_pa_t pas[5];
	struct ot t;
	uint32_t s, ret = 1;
	uint8_t *buf;
	int id = -1, sfd;

	ot_new(&t, &c);
	sfd = ot_shm_alloc(&t, 3 * TEESIM_PAGE_SIZE, &id);
	ck_assert_int_ge(sfd, 3);
	ck_assert_int_eq(teesim_tee_fd_info(t.p, sfd, &fi), 0);
	/* a power-of-two run of pages (4 for 3) from the page pool, nothing pinned */
	ck_assert_uint_eq(ot_core(&t).pinned_pages, 0);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, reg ? 1 : 0);
	ck_assert_uint_eq(ot_drv(&t).registered, reg ? 1 : 0);
	ck_assert_uint_eq(!!(fi.shm.flags & SHM_FLAG_REGISTER), reg);
	if (reg) {
		ck_assert_uint_eq(fi.shm.size, 4 * TEESIM_PAGE_SIZE);
		ck_assert_uint_eq(teesim_sw_shm_objects(t.st->sw, &so, 1), 1);
		ck_assert_uint_eq(so.cookie, fi.shm.cookie);
		ck_assert_uint_eq(so.page_offset, 0);
		ck_assert_uint_eq(so.size, fi.shm.size);
		ck_assert_uint_eq(so.npages, 4);
		ck_assert_int_eq(teesim_sw_shm_pages(t.st->sw, fi.shm.cookie, pas, 5), 4);
		for (size_t i = 0; i < 4; i++) {
			teesim_pa_t pa;

			ck_assert_int_eq(teesim_guest_ipa_to_pa(teesim_process_guest(t.p),
								fi.shm.paddr + i * TEESIM_PAGE_SIZE,
								&pa),
					 0);
			ck_assert_uint_eq(pas[i], pa);
		}
	}
	buf = teesim_mmap(t.p, sfd, 3 * TEESIM_PAGE_SIZE, TEESIM_PROT_READ | TEESIM_PROT_WRITE, 0);
	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < 3 * TEESIM_PAGE_SIZE; i++)
		buf[i] = (uint8_t) (i * 7 + 3);
	s = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	p[0] = ot_memref(MIN, id, 100, 9000);
	p[1] = ot_value(VOUT, 0, 0, 0);
	ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_MEM_CMD_READ, p, 2, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(p[1].a, ot_sum(buf + 100, 9000));
	ck_assert_uint_eq(p[1].b, ot_fnv(buf + 100, 9000));
	ck_assert_int_eq(teesim_sw_last_request(t.st->sw, &req), 0);
	ck_assert_int_eq(req.params[0].kind, kind);
	ck_assert_uint_eq(req.params[0].size, 9000);
	if (reg) {
		ck_assert_uint_eq(req.params[0].cookie, fi.shm.cookie);
		ck_assert_uint_eq(req.params[0].offset, 100);
	}
	/* the TA writes through the same pages: zero copy */
	p[0] = ot_memref(MOUT, id, 0, 64);
	p[1] = ot_value(VIN, 0x40, 0, 0);
	ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_MEM_CMD_WRITE, p, 2, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(buf[0], 0x40);
	ck_assert_uint_eq(buf[63], 0x40 + 63);
	ck_assert_int_eq(teesim_munmap(t.p, buf, 3 * TEESIM_PAGE_SIZE), 0);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, reg ? 1 : 0); /* the fd still holds it */
	/* the last reference goes with the fd: the pool unregisters, then frees */
	ck_assert_int_eq(teesim_close(t.p, sfd), 0);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 0);
	ck_assert_uint_eq(ot_drv(&t).registered, 0);
	ck_assert_int_eq(ot_close(&t, s), 0);
	ot_done(&t);
}

START_TEST(test_pool_memref_later)
{
	pool_memref(TEESIM_OPTEE_DRV_LATER, TEESIM_SW_PARAM_RMEM);
}
END_TEST

/*
 * The later pool's registration refused (the secure world takes at most 2
 * pages per list, SHM_ALLOC of 3 pages needs 4): SHM_ALLOC fails, the pages
 * go back, nothing is left in either world; a 2-page buffer still works.
 */
START_TEST(test_pool_register_refused)
{
	struct teesim_stack_cfg c = cfg_gen(TEESIM_OPTEE_DRV_LATER);
	struct teesim_machine_stats ms0, ms;
	struct teesim_sw_stats sw0;
	struct teesim_tee_stats core0;
	struct ot t;
	int id = -1, sfd;

	c.sw.max_pagelist_pages = 2;
	ot_new(&t, &c);
	/* a first buffer fills the driver's argument cache */
	sfd = ot_shm_alloc(&t, TEESIM_PAGE_SIZE, &id);
	ck_assert_int_ge(sfd, 3);
	ck_assert_int_eq(teesim_close(t.p, sfd), 0);
	teesim_machine_stats(t.st->machine, &ms0);
	sw0 = ot_sw(&t);
	core0 = ot_core(&t);
	ck_assert_int_eq(ot_shm_alloc(&t, 3 * TEESIM_PAGE_SIZE, &id), -EINVAL);
	teesim_machine_stats(t.st->machine, &ms);
	ck_assert_uint_eq(ms.kernel_pages, ms0.kernel_pages);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 0);
	ck_assert_uint_eq(ot_sw(&t).rejected, sw0.rejected + 1);
	ck_assert_uint_eq(ot_drv(&t).registered, 0);
	ck_assert_uint_eq(ot_core(&t).shms, core0.shms);
	ck_assert_uint_eq(ot_core(&t).ids, core0.ids);
	sfd = ot_shm_alloc(&t, 2 * TEESIM_PAGE_SIZE, &id);
	ck_assert_int_ge(sfd, 3);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 1);
	ck_assert_int_eq(teesim_close(t.p, sfd), 0);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 0);
	teesim_machine_stats(t.st->machine, &ms);
	ck_assert_uint_eq(ms.kernel_pages, ms0.kernel_pages);
	ot_done(&t);
}
END_TEST

START_TEST(test_pool_memref_v416)
{
	pool_memref(TEESIM_OPTEE_DRV_V4_16, TEESIM_SW_PARAM_TMEM);
}
END_TEST

/* Registered memref: RMEM with the registration's cookie, pages pinned. */
static void reg_memref(enum teesim_optee_drv_gen gen)
{
	struct teesim_stack_cfg c = cfg_gen(gen);
	struct tee_ioctl_param p[2];
	struct teesim_sw_shm_info so;
	struct teesim_sw_request req;
	struct teesim_tee_fd_info fi;
	struct ot t;
	uint32_t s, ret = 1;
	uint8_t *buf;
	int id = -1, sfd;

	ot_new(&t, &c);
	buf = ot_umem(&t, 4);
	for (size_t i = 0; i < 4 * TEESIM_PAGE_SIZE; i++)
		buf[i] = (uint8_t) (i ^ (i >> 8));
	sfd = ot_shm_register(&t, buf + 0x123, 3 * TEESIM_PAGE_SIZE, &id);
	ck_assert_int_ge(sfd, 3);
	ck_assert_uint_eq(ot_core(&t).pinned_pages, 4);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 1);
	ck_assert_uint_eq(ot_drv(&t).registered, 1);
	ck_assert_uint_eq(teesim_sw_shm_objects(t.st->sw, &so, 1), 1);
	ck_assert_uint_eq(so.page_offset, 0x123);
	ck_assert_uint_eq(so.npages, 4);
	ck_assert_int_eq(teesim_tee_fd_info(t.p, sfd, &fi), 0);
	/* the secure world knows the shm by the core's cookie, from REGISTER_SHM on */
	ck_assert_uint_ne(fi.shm.cookie, 0);
	ck_assert_uint_eq(so.cookie, fi.shm.cookie);
	ck_assert_int_eq(teesim_sw_last_request(t.st->sw, &req), 0);
	ck_assert_uint_eq(req.cmd, TEESIM_OPTEE_MSG_CMD_REGISTER_SHM);

	s = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	p[0] = ot_memref(MIN, id, 5, 3 * TEESIM_PAGE_SIZE - 5);
	p[1] = ot_value(VOUT, 0, 0, 0);
	ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_MEM_CMD_READ, p, 2, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(p[1].a, ot_sum(buf + 0x123 + 5, 3 * TEESIM_PAGE_SIZE - 5));
	ck_assert_uint_eq(p[1].b, ot_fnv(buf + 0x123 + 5, 3 * TEESIM_PAGE_SIZE - 5));
	ck_assert_int_eq(teesim_sw_last_request(t.st->sw, &req), 0);
	ck_assert_int_eq(req.params[0].kind, TEESIM_SW_PARAM_RMEM);
	ck_assert_uint_eq(req.params[0].cookie, fi.shm.cookie);
	ck_assert_uint_eq(req.params[0].offset, 5);
	/* the last reference goes with the fd: UNREGISTER_SHM, pages unpinned */
	ck_assert_int_eq(teesim_close(t.p, sfd), 0);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 0);
	ck_assert_uint_eq(ot_core(&t).pinned_pages, 0);
	ck_assert_uint_eq(ot_drv(&t).registered, 0);
	ck_assert_int_eq(ot_close(&t, s), 0);
	ot_done(&t);
}

START_TEST(test_reg_memref_later)
{
	reg_memref(TEESIM_OPTEE_DRV_LATER);
}
END_TEST

START_TEST(test_reg_memref_v416)
{
	reg_memref(TEESIM_OPTEE_DRV_V4_16);
}
END_TEST

START_TEST(test_null_memref)
{
	struct tee_ioctl_param p[2];
	struct teesim_sw_request req;
	struct ot t;
	uint32_t s, ret = 1;

	ot_new(&t, NULL);
	s = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	p[0] = ot_memref(MIN, 0, 0, 0);
	p[0].c = TEE_MEMREF_NULL;
	p[1] = ot_value(VIN, 0, 0, 0);
	ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_MEM_CMD_NOP, p, 2, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_int_eq(teesim_sw_last_request(t.st->sw, &req), 0);
	ck_assert_int_eq(req.params[0].kind, TEESIM_SW_PARAM_NULL);
	ck_assert_int_eq(ot_close(&t, s), 0);
	ot_done(&t);
}
END_TEST

/* Closing the device fd closes every session (optee_release). */
START_TEST(test_release_closes)
{
	struct ot t;

	ot_new(&t, NULL);
	ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	ot_open_ok(&t, TEESIM_TA_PANIC_UUID);
	ck_assert_uint_eq(ot_sw(&t).sessions, 2);
	ck_assert_int_eq(teesim_close(t.p, t.fd), 0);
	ck_assert_uint_eq(ot_sw(&t).sessions, 0);
	ck_assert_uint_eq(ot_core(&t).sessions, 0);
	ck_assert_uint_eq(ot_core(&t).contexts, 1); /* the supplicant's */
	ot_done(&t);
}
END_TEST

START_TEST(test_cancel)
{
	struct teesim_sw_request req;
	struct ot t;
	uint32_t s;

	ot_new(&t, NULL);
	s = ot_open_ok(&t, TEESIM_TA_WAIT_UUID);
	ck_assert_int_eq(ot_cancel(&t, s, 77), 0);
	ck_assert_int_eq(teesim_sw_last_request(t.st->sw, &req), 0);
	ck_assert_uint_eq(req.cmd, TEESIM_OPTEE_MSG_CMD_CANCEL);
	ck_assert_uint_eq(req.cancel_id, 77);
	ck_assert_uint_eq(req.session, s);
	ck_assert_int_eq(ot_cancel(&t, s + 1, 1), -EINVAL);
	ck_assert_int_eq(ot_close(&t, s), 0);
	ot_done(&t);
}
END_TEST

/* Foreign interrupts: the driver resumes until the call completes. */
START_TEST(test_foreign_intr)
{
	struct tee_ioctl_param p = ot_value(VIO, 1, 0, 0);
	struct ot t;
	uint32_t s, ret = 1;

	ot_new(&t, NULL);
	s = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	teesim_sw_inject_foreign_intr(t.st->sw, 3);
	ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_MEM_CMD_NOP, &p, 1, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(p.a, 2);
	ck_assert_uint_eq(ot_drv(&t).foreign_intrs, 3);
	ck_assert_int_eq(ot_close(&t, s), 0);
	ot_done(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("optee-session");
	TCase *tc = tcase_create("session");

	tcase_add_test(tc, test_probe_default);
	tcase_add_test(tc, test_values_later);
	tcase_add_test(tc, test_values_v416);
	tcase_add_test(tc, test_login);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_pool_memref_later);
	tcase_add_test(tc, test_pool_memref_v416);
	tcase_add_test(tc, test_pool_register_refused);
	tcase_add_test(tc, test_reg_memref_later);
	tcase_add_test(tc, test_reg_memref_v416);
	tcase_add_test(tc, test_null_memref);
	tcase_add_test(tc, test_release_closes);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_foreign_intr);
	suite_add_tcase(s, tc);
	return th_run(s);
}
