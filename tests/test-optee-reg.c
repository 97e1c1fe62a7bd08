/* SPDX-License-Identifier: MIT */
/*
 * Registration and the compatibility matrix: page lists of REGISTER_SHM
 * captured on the wire and compared byte for byte with an independent
 * expectation; every secure-world / driver / user-space combination works
 * or fails probe as the real pair does.
 */
#include <stdlib.h>

#include "optee-util.h"

#define PG   ((uint64_t) TEESIM_PAGE_SIZE)
#define MIN  TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT
#define VOUT TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT

/* ---- the compatibility matrix ---- */

struct row {
	const char *what;
	enum teesim_optee_gen sw_gen;
	bool sw_reserved, sw_dynamic;
	enum teesim_optee_drv_gen drv;
	bool drv_dynamic;
	int probe_errno;
	enum teesim_optee_pool_kind pool;
	bool reg_mem;
	int register_rc; /* SHM_REGISTER of a new user space */
};

static const struct row matrix[] = {
    {"3.0 reserved only, v4.16", TEESIM_OPTEE_GEN_3_0, true, false, TEESIM_OPTEE_DRV_V4_16, true, 0,
     TEESIM_OPTEE_POOL_STATIC, false, -EINVAL},
    {"3.0 both, v4.16", TEESIM_OPTEE_GEN_3_0, true, true, TEESIM_OPTEE_DRV_V4_16, true, 0,
     TEESIM_OPTEE_POOL_PAGES_PRIV, true, 0},
    {"3.0 dynamic only, v4.16", TEESIM_OPTEE_GEN_3_0, false, true, TEESIM_OPTEE_DRV_V4_16, true,
     EINVAL, 0, false, 0},
    {"3.3 both, v4.16 built without dynamic shm", TEESIM_OPTEE_GEN_3_3, true, true,
     TEESIM_OPTEE_DRV_V4_16, false, 0, TEESIM_OPTEE_POOL_STATIC, true, 0},
    {"HEAD reserved only, later", TEESIM_OPTEE_GEN_HEAD, true, false, TEESIM_OPTEE_DRV_LATER, true,
     0, TEESIM_OPTEE_POOL_STATIC, false, -EINVAL},
    {"HEAD dynamic only, later", TEESIM_OPTEE_GEN_HEAD, false, true, TEESIM_OPTEE_DRV_LATER, true,
     0, TEESIM_OPTEE_POOL_PAGES, true, 0},
    {"HEAD both, later", TEESIM_OPTEE_GEN_HEAD, true, true, TEESIM_OPTEE_DRV_LATER, true, 0,
     TEESIM_OPTEE_POOL_PAGES, true, 0},
    {"HEAD both, v4.16", TEESIM_OPTEE_GEN_HEAD, true, true, TEESIM_OPTEE_DRV_V4_16, true, 0,
     TEESIM_OPTEE_POOL_PAGES_PRIV, true, 0},
    {"HEAD dynamic only, v4.16", TEESIM_OPTEE_GEN_HEAD, false, true, TEESIM_OPTEE_DRV_V4_16, true,
     EINVAL, 0, false, 0},
    {"3.0 dynamic only, later", TEESIM_OPTEE_GEN_3_0, false, true, TEESIM_OPTEE_DRV_LATER, true, 0,
     TEESIM_OPTEE_POOL_PAGES, true, 0},
    {"3.3 dynamic only, later built without dynamic shm", TEESIM_OPTEE_GEN_3_3, false, true,
     TEESIM_OPTEE_DRV_LATER, false, EINVAL, 0, false, 0},
};

static void row_cfg(const struct row *r, struct teesim_stack_cfg *c)
{
	teesim_stack_cfg_default(c);
	teesim_sw_cfg_default(&c->sw, r->sw_gen);
	c->sw.reserved_shm = r->sw_reserved;
	if (!r->sw_dynamic)
		c->sw.sec_caps &= ~TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
	teesim_optee_cfg_default(&c->drv, r->drv);
	c->drv.dynamic_shm = r->drv_dynamic;
}

/* Old user space: SHM_ALLOC + mmap only, never SHM_REGISTER. */
static void old_user_space(struct ot *t, uint32_t s)
{
	struct tee_ioctl_param p[2];
	uint32_t ret = 1;
	uint8_t *buf;
	int id, sfd = ot_shm_alloc(t, 2 * PG, &id);

	ck_assert_int_ge(sfd, 3);
	buf = teesim_mmap(t->p, sfd, 2 * PG, TEESIM_PROT_READ | TEESIM_PROT_WRITE, 0);
	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < 2 * PG; i++)
		buf[i] = (uint8_t) (i * 13);
	p[0] = ot_memref(MIN, id, 1, 2 * PG - 1);
	p[1] = ot_value(VOUT, 0, 0, 0);
	ck_assert_int_eq(ot_invoke(t, s, TEESIM_TA_MEM_CMD_READ, p, 2, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(p[1].b, ot_fnv(buf + 1, 2 * PG - 1));
	ck_assert_int_eq(teesim_munmap(t->p, buf, 2 * PG), 0);
	ck_assert_int_eq(teesim_close(t->p, sfd), 0);
}

static void new_user_space(struct ot *t, uint32_t s, const struct row *r)
{
	struct tee_ioctl_param p[2];
	uint32_t ret = 1;
	uint8_t *buf = ot_umem(t, 3);
	int id, sfd;

	for (size_t i = 0; i < 3 * PG; i++)
		buf[i] = (uint8_t) (i * 5 + 1);
	sfd = ot_shm_register(t, buf + 7, 2 * PG, &id);
	if (r->register_rc) {
		ck_assert_int_eq(sfd, r->register_rc);
		ck_assert_uint_eq(ot_core(t).pinned_pages, 0);
		ck_assert_uint_eq(ot_sw(t).shm_objects, 0);
		return;
	}
	ck_assert_int_ge(sfd, 3);
	ck_assert_uint_eq(ot_sw(t).shm_objects, 1);
	p[0] = ot_memref(MIN, id, 0, 2 * PG);
	p[1] = ot_value(VOUT, 0, 0, 0);
	ck_assert_int_eq(ot_invoke(t, s, TEESIM_TA_MEM_CMD_READ, p, 2, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(p[1].b, ot_fnv(buf + 7, 2 * PG));
	ck_assert_int_eq(teesim_close(t->p, sfd), 0);
	ck_assert_uint_eq(ot_sw(t).shm_objects, 0);
}

START_TEST(test_matrix)
{
	const struct row *r = &matrix[_i];
	struct teesim_stack_cfg c;
	struct teesim_optee_info info;
	struct tee_ioctl_version_data *v;
	struct ot t;
	uint32_t s;

	row_cfg(r, &c);
	if (r->probe_errno) {
		errno = 0;
		ck_assert_msg(teesim_stack_new(&c) == NULL, "%s: probe should fail", r->what);
		ck_assert_int_eq(errno, r->probe_errno);
		return;
	}
	ot_new(&t, &c);
	info = ot_drv(&t);
	ck_assert_msg(info.pool == r->pool, "%s: pool %d", r->what, info.pool);
	ck_assert_msg(info.reg_mem == r->reg_mem, "%s: reg_mem", r->what);
	v = ot_umem(&t, 1);
	ck_assert_int_eq(teesim_ioctl(t.p, t.fd, TEE_IOC_VERSION, v), 0);
	ck_assert_uint_eq(!!(v->gen_caps & TEE_GEN_CAP_REG_MEM), r->reg_mem);
	s = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	old_user_space(&t, s);
	new_user_space(&t, s, r);
	ck_assert_int_eq(ot_close(&t, s), 0);
	ot_done(&t);
}
END_TEST

/* ---- page lists on the wire ---- */

struct capture {
	struct teesim_machine *m;
	uint64_t buf_ptr, size, cookie, attr;
	uint64_t *list; /* raw list pages as sent */
	size_t list_pages;
	unsigned seen;
};

static int capture_hook(void *ctx, enum teesim_smc_stage stage, struct teesim_guest *from,
			struct teesim_smc_regs *regs)
{
	struct capture *c = ctx;
	struct teesim_optee_msg_arg hdr;
	struct teesim_optee_msg_param p;
	uint64_t pa = ((uint64_t) regs->a[1] << 32) | regs->a[2];

	(void) from;
	if (stage != TEESIM_SMC_BEFORE || (regs->a[0] != TEESIM_OPTEE_SMC_CALL_WITH_ARG &&
					   regs->a[0] != TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG))
		return TEESIM_SMC_PASS;
	/* identity remap on guest 0: IPA == PA */
	if (teesim_phys_read(c->m, pa, &hdr, sizeof(hdr), TEESIM_ACC_NS) ||
	    hdr.cmd != TEESIM_OPTEE_MSG_CMD_REGISTER_SHM)
		return TEESIM_SMC_PASS;
	ck_assert_int_eq(teesim_phys_read(c->m, pa + sizeof(hdr), &p, sizeof(p), TEESIM_ACC_NS), 0);
	c->attr = p.attr;
	c->buf_ptr = p.u.tmem.buf_ptr;
	c->size = p.u.tmem.size;
	c->cookie = p.u.tmem.shm_ref;
	ck_assert_int_eq(teesim_phys_read(c->m, c->buf_ptr & ~(PG - 1), c->list, c->list_pages * PG,
					  TEESIM_ACC_NS),
			 0);
	c->seen++;
	return TEESIM_SMC_PASS;
}

static const size_t counts[] = {1, 2, 511, 512, 513, 1100};
static const size_t offsets[] = {0x1, 0x123, 0xfff};

START_TEST(test_pagelist_wire)
{
	size_t n = counts[_i / 3], off = offsets[_i % 3];
	size_t lp = (n + 510) / 511;
	struct capture c = {0};
	struct teesim_sw_shm_info so;
	teesim_ipa_t *ipas = calloc(n, sizeof(*ipas));
	struct ot t;
	uint8_t *buf;
	uint64_t len = n * PG - off;
	int id, sfd;

	ck_assert_ptr_nonnull(ipas);
	ot_new(&t, NULL);
	c.m = t.st->machine;
	c.list_pages = lp;
	c.list = calloc(lp, PG);
	ck_assert_ptr_nonnull(c.list);
	buf = ot_umem(&t, n);
	/* the independent expectation: the IPAs of the user pages */
	ck_assert_int_eq(teesim_process_pin(t.p, (uintptr_t) buf, n, 0, ipas), (long) n);
	ck_assert_int_eq(teesim_guest_unpin(teesim_machine_guest(t.st->machine, 0), ipas, n), 0);

	teesim_smc_set_fault_hook(t.st->machine, capture_hook, &c);
	sfd = ot_shm_register(&t, buf + off, len, &id);
	teesim_smc_set_fault_hook(t.st->machine, NULL, NULL);
	ck_assert_int_ge(sfd, 3);
	ck_assert_uint_eq(c.seen, 1);
	ck_assert_uint_eq(c.attr,
			  TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG);
	ck_assert_uint_eq(c.size, len);
	ck_assert_uint_eq(c.buf_ptr & (PG - 1), off);
	ck_assert_uint_eq(teesim_sw_shm_objects(t.st->sw, &so, 1), 1);
	ck_assert_uint_eq(so.cookie, c.cookie);
	ck_assert_uint_eq(so.npages, n);
	for (size_t k = 0; k < lp; k++) {
		for (size_t j = 0; j < 512; j++) {
			uint64_t want, got = c.list[k * 512 + j];

			if (j == 511) /* the kernel chains after every full list page */
				want =
				    (k + 1) * 511 <= n ? (c.buf_ptr & ~(PG - 1)) + (k + 1) * PG : 0;
			else
				want = k * 511 + j < n ? ipas[k * 511 + j] : 0;
			ck_assert_msg(got == want,
				      "n=%zu off=%#zx page %zu slot %zu: %#llx != %#llx", n, off, k,
				      j, (unsigned long long) got, (unsigned long long) want);
		}
	}
	ck_assert_uint_eq(ot_core(&t).pinned_pages, n);
	ck_assert_int_eq(teesim_close(t.p, sfd), 0);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 0);
	ck_assert_uint_eq(ot_core(&t).pinned_pages, 0);
	free(c.list);
	free(ipas);
	ot_done(&t);
}
END_TEST

/*
 * Lists of successive registrations on one driver (which keeps one list page
 * for up to 511 pages): each list on the wire holds exactly its own entries,
 * the slots a longer previous list used are zero again. Sizes 1100 (a fresh
 * chained list), 1 (the kept page's first use), 511 (its chain slot set),
 * 300, 2, 1100 and 1.
 */
START_TEST(test_pagelist_reuse)
{
	static const size_t seq[] = {1100, 1, 511, 300, 2, 1100, 1};
	struct capture c = {0};
	teesim_ipa_t *ipas = calloc(1100, sizeof(*ipas));
	struct ot t;
	uint8_t *buf;
	int id, sfd;

	ck_assert_ptr_nonnull(ipas);
	ot_new(&t, NULL);
	c.m = t.st->machine;
	c.list = calloc(3, PG);
	ck_assert_ptr_nonnull(c.list);
	buf = ot_umem(&t, 1100);
	ck_assert_int_eq(teesim_process_pin(t.p, (uintptr_t) buf, 1100, 0, ipas), 1100);
	ck_assert_int_eq(teesim_guest_unpin(teesim_machine_guest(t.st->machine, 0), ipas, 1100), 0);
	for (size_t r = 0; r < sizeof(seq) / sizeof(seq[0]); r++) {
		size_t n = seq[r], lp = (n + 510) / 511;

		c.list_pages = lp;
		c.seen = 0;
		teesim_smc_set_fault_hook(t.st->machine, capture_hook, &c);
		sfd = ot_shm_register(&t, buf, n * PG, &id);
		teesim_smc_set_fault_hook(t.st->machine, NULL, NULL);
		ck_assert_int_ge(sfd, 3);
		ck_assert_uint_eq(c.seen, 1);
		for (size_t k = 0; k < lp; k++) {
			for (size_t j = 0; j < 512; j++) {
				uint64_t want, got = c.list[k * 512 + j];

				if (j == 511)
					want = (k + 1) * 511 <= n
						   ? (c.buf_ptr & ~(PG - 1)) + (k + 1) * PG
						   : 0;
				else
					want = k * 511 + j < n ? ipas[k * 511 + j] : 0;
				ck_assert_msg(got == want,
					      "n=%zu page %zu slot %zu: %#llx != %#llx", n, k, j,
					      (unsigned long long) got, (unsigned long long) want);
			}
		}
		ck_assert_uint_eq(ot_sw(&t).shm_objects, 1);
		ck_assert_int_eq(teesim_close(t.p, sfd), 0);
		ck_assert_uint_eq(ot_sw(&t).shm_objects, 0);
	}
	free(c.list);
	free(ipas);
	ot_done(&t);
}
END_TEST

/* The secure world refuses the list: -EINVAL, nothing pinned or registered. */
START_TEST(test_register_refused)
{
	struct teesim_stack_cfg c;
	struct ot t;
	uint8_t *buf;
	int id;

	teesim_stack_cfg_default(&c);
	c.sw.max_pagelist_pages = 4;
	ot_new(&t, &c);
	buf = ot_umem(&t, 8);
	ck_assert_int_eq(ot_shm_register(&t, buf, 8 * PG, &id), -EINVAL);
	ck_assert_uint_eq(ot_core(&t).pinned_pages, 0);
	ck_assert_uint_eq(ot_core(&t).shms, ot_drv(&t).arg_cache_entries); /* only cached args */
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 0);
	ck_assert_uint_eq(ot_drv(&t).registered, 0);
	ck_assert_int_ge(ot_shm_register(&t, buf, 4 * PG, &id), 3);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 1);
	ot_done(&t);
	(void) id;
}
END_TEST

int main(void)
{
	Suite *s = suite_create("optee-reg");
	TCase *tc = tcase_create("reg");

	tcase_add_loop_test(tc, test_matrix, 0, (int) (sizeof(matrix) / sizeof(matrix[0])));
	tcase_add_loop_test(tc, test_pagelist_wire, 0,
			    3 * (int) (sizeof(counts) / sizeof(counts[0])));
	tcase_add_test(tc, test_pagelist_reuse);
	tcase_add_test(tc, test_register_refused);
	suite_add_tcase(s, tc);
	return th_run(s);
}
