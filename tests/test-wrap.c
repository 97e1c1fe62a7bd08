/* SPDX-License-Identifier: MIT */
/*
 * Sizes, offsets and addresses that wrap at 2^32 or 2^64. The model is the
 * 64-bit (arm64, 48-bit VA) kernel on every host, so each case expects the
 * errno the 64-bit kernel gives, on a 64-bit host and in the 32-bit (-m32)
 * build alike, where a u64 from the UAPI cast to size_t would wrap at 2^32
 * and turn a refused request into an accepted one. Every case also checks
 * that nothing was left behind (shms, ids, pins, kernel pages).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "optee-util.h"

#define PG   ((uint64_t) TEESIM_PAGE_SIZE)
#define G4   (UINT64_C(1) << 32)
#define MIN  TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT
#define MOUT TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT

/* The TA of these tests: records what it saw, answers as told. */
struct wrap_ta {
	unsigned invokes;
	uint64_t seen_size[4];
	bool seen_null[4];
	uint64_t set_out_size; /* func 1: memref 0's size on return */
	uint64_t rpc_size;     /* func 2: RPC SHM_ALLOC of this many bytes */
	uint32_t rpc_type;
	uint32_t rpc_ret;
	bool rpc_got;
};

static const char WRAP_UUID[] = "8aaaf200-2450-11e4-abe2-0002a5d5c5aa";

static uint32_t wrap_invoke(void *ta_ctx, struct teesim_ta_call *call, void *sess, uint32_t func)
{
	struct wrap_ta *w = ta_ctx;
	struct teesim_ta_param *p = teesim_ta_params(call);
	struct teesim_ta_shm *shm;

	(void) sess;
	w->invokes++;
	for (unsigned i = 0; i < 4; i++) {
		w->seen_size[i] = p[i].size;
		w->seen_null[i] = p[i].null;
	}
	switch (func) {
	case 1:
		p[0].size = w->set_out_size;
		return TEESIM_OPTEE_ERROR_SHORT_BUFFER;
	case 2:
		shm = teesim_ta_shm_alloc(call, w->rpc_type, w->rpc_size, &w->rpc_ret);
		w->rpc_got = shm != NULL;
		if (shm)
			teesim_ta_shm_free(call, shm);
		return TEESIM_OPTEE_SUCCESS;
	default:
		return TEESIM_OPTEE_SUCCESS;
	}
}

static const struct teesim_ta_ops wrap_ops = {.invoke = wrap_invoke};

/* A stack with the wrap TA registered; @cfg NULL: defaults. */
static void wrap_new(struct ot *t, struct wrap_ta *w, const struct teesim_stack_cfg *cfg)
{
	struct teesim_ta_desc d = {.name = "wrap", .ops = &wrap_ops, .ctx = w};

	memset(w, 0, sizeof(*w));
	ot_new(t, cfg);
	ck_assert_int_eq(teesim_uuid_parse(WRAP_UUID, &d.uuid), 0);
	ck_assert_int_eq(teesim_sw_ta_register(t->st->sw, &d), 0);
}

/* What the driver keeps after a first SHM_ALLOC and SHM_REGISTER (its
 * argument cache): a refused request must leave exactly this. */
struct base {
	uint64_t shms, kernel_pages;
};

static struct base warm_up(struct ot *t)
{
	struct teesim_machine_stats ms;
	struct base b;
	void *u = ot_umem(t, 1);
	int fd;

	fd = ot_shm_alloc(t, PG, NULL);
	ck_assert_int_ge(fd, 3);
	ck_assert_int_eq(teesim_close(t->p, fd), 0);
	if (ot_drv(t).reg_mem) {
		fd = ot_shm_register(t, u, PG, NULL);
		ck_assert_int_ge(fd, 3);
		ck_assert_int_eq(teesim_close(t->p, fd), 0);
	}
	ck_assert_int_eq(teesim_process_munmap(t->p, u, PG), 0);
	teesim_machine_stats(t->st->machine, &ms);
	b.shms = ot_core(t).shms;
	b.kernel_pages = ms.kernel_pages;
	return b;
}

/* Nothing of the client's shared memory is left: no shm, id, pin or page. */
static void assert_no_shm(struct ot *t, struct base b)
{
	struct teesim_tee_stats c = ot_core(t);
	struct teesim_machine_stats ms;

	teesim_machine_stats(t->st->machine, &ms);
	ck_assert_uint_eq(c.shms, b.shms);
	ck_assert_uint_eq(c.ids, 0);
	ck_assert_uint_eq(c.pinned_pages, 0);
	ck_assert_uint_eq(ms.pins, 0);
	ck_assert_uint_eq(ms.kernel_pages, b.kernel_pages);
	ck_assert_uint_eq(ot_sw(t).shm_objects, 0);
}

static uint64_t kernel_pages(struct ot *t)
{
	struct teesim_machine_stats ms;

	teesim_machine_stats(t->st->machine, &ms);
	return ms.kernel_pages;
}

/* TEE_IOC_SHM_REGISTER with a 64-bit address (ot_shm_register takes a pointer). */
static int shm_register(struct ot *t, uint64_t addr, uint64_t len)
{
	struct tee_ioctl_shm_register_data *u = ot_umem(t, 1);
	int rc;

	u->addr = addr;
	u->length = len;
	rc = teesim_ioctl(t->p, t->fd, TEE_IOC_SHM_REGISTER, u);
	ck_assert_int_eq(teesim_process_munmap(t->p, u, PG), 0);
	return rc;
}

/* ---- TEE_IOC_SHM_ALLOC ---- */

/* Sizes at and past 2^32 and near 2^64: the 32-bit build would have
 * allocated (size mod 2^32) bytes. The page pool has no order that large. */
static const uint64_t huge_sizes[] = {
    G4,
    G4 + 1,
    G4 + PG,
    G4 - PG,
    2 * G4 + PG,
    UINT64_C(1) << 40,
    UINT64_C(1) << 63,
    UINT64_MAX - PG + 2,
    UINT64_MAX - 1,
    UINT64_MAX,
};

static void shm_alloc_huge(const struct teesim_stack_cfg *cfg)
{
	struct ot t;
	struct wrap_ta w;
	struct base kp;
	int id = -1, fd;

	wrap_new(&t, &w, cfg);
	kp = warm_up(&t);
	for (size_t i = 0; i < sizeof(huge_sizes) / sizeof(huge_sizes[0]); i++) {
		ck_assert_msg(ot_shm_alloc(&t, huge_sizes[i], &id) == -ENOMEM,
			      "SHM_ALLOC of %#llx bytes did not fail with ENOMEM",
			      (unsigned long long) huge_sizes[i]);
		assert_no_shm(&t, kp);
	}
	/* the same call with a small size works: the refusals were about size */
	fd = ot_shm_alloc(&t, PG, &id);
	ck_assert_int_ge(fd, 3);
	ck_assert_uint_eq(ot_core(&t).shms, kp.shms + 1);
	ck_assert_int_eq(teesim_close(t.p, fd), 0);
	assert_no_shm(&t, kp);
	ot_done(&t);
}

START_TEST(test_shm_alloc_pages_pool)
{
	shm_alloc_huge(NULL);
}
END_TEST

START_TEST(test_shm_alloc_reserved_pool)
{
	struct teesim_stack_cfg cfg;

	/* OP-TEE with only the static carve-out: the core's best-fit pool */
	teesim_stack_cfg_default(&cfg);
	cfg.sw.reserved_shm = true;
	cfg.sw.sec_caps &= ~TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
	shm_alloc_huge(&cfg);
}
END_TEST

/* ---- TEE_IOC_SHM_REGISTER ---- */

START_TEST(test_shm_register_lengths)
{
	struct ot t;
	struct wrap_ta w;
	uint8_t *u;
	struct base kp;
	uint64_t a;
	int fd;

	wrap_new(&t, &w, NULL);
	u = ot_umem(&t, 2);
	a = (uintptr_t) u;
	kp = warm_up(&t);
	/* access_ok(): past the 48-bit user address space, or wrapping 2^64 */
	th_assert_err(shm_register(&t, a, UINT64_MAX), -EFAULT);
	th_assert_err(shm_register(&t, a, UINT64_MAX - a + 1 + PG), -EFAULT); /* ends at 4096 */
	th_assert_err(shm_register(&t, a, (UINT64_C(1) << 48) - a + 1), -EFAULT);
	th_assert_err(shm_register(&t, (UINT64_C(1) << 48) - PG, 2 * PG), -EFAULT);
	th_assert_err(shm_register(&t, UINT64_MAX - PG + 1, PG), -EFAULT);
	assert_no_shm(&t, kp);
	/* inside the address space but more than the guest could pin: the
	 * 32-bit build would have registered (length mod 2^32) bytes */
	th_assert_err(shm_register(&t, a, G4 + PG), -ENOMEM);
	th_assert_err(shm_register(&t, a, G4 + 1), -ENOMEM);
	th_assert_err(shm_register(&t, a, G4), -ENOMEM);
	th_assert_err(shm_register(&t, a, G4 - PG), -ENOMEM);
	th_assert_err(shm_register(&t, a, 3 * G4 + 2 * PG), -ENOMEM);
	assert_no_shm(&t, kp);
	/* and the buffer itself registers */
	fd = shm_register(&t, a, 2 * PG);
	ck_assert_int_ge(fd, 3);
	ck_assert_uint_eq(ot_core(&t).pinned_pages, 2);
	ck_assert_int_eq(teesim_close(t.p, fd), 0);
	assert_no_shm(&t, kp);
	ot_done(&t);
}
END_TEST

START_TEST(test_shm_register_high_addresses)
{
	struct ot t;
	struct wrap_ta w;
	uint8_t *u;
	struct base kp;
	uint64_t a, hi;

	wrap_new(&t, &w, NULL);
	u = ot_umem(&t, 1);
	a = (uintptr_t) u;
	kp = warm_up(&t);
	/* The client's page, moved above 2^47: a valid 48-bit user address that
	 * nothing maps (non-canonical on x86-64); its low 32 bits are the
	 * client's page, which a 32-bit build that truncated would pin. */
	hi = (UINT64_C(1) << 47) | (a & 0xffffffffu);
	if (sizeof(void *) == 8 && mincore((void *) (uintptr_t) hi, PG, (unsigned char[1]){0}) == 0)
		hi = 0; /* mapped on this host: no such case here */
	if (hi)
		th_assert_err(shm_register(&t, hi, PG), -EFAULT);
	/* 2^32 past the client's page */
	if (sizeof(void *) == 4)
		th_assert_err(shm_register(&t, a + G4, PG), -EFAULT);
	/* a page just below 2^32 running over it (the 32-bit host's last page) */
	if (sizeof(void *) == 4)
		th_assert_err(shm_register(&t, G4 - PG, 2 * PG), -EFAULT);
	assert_no_shm(&t, kp);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 0);
	ot_done(&t);
}
END_TEST

/* ---- memref offsets and sizes in INVOKE ---- */

START_TEST(test_memref_ranges)
{
	struct ot t;
	struct wrap_ta w;
	struct tee_ioctl_param p[1];
	struct teesim_tee_shm_info si;
	uint32_t s, ret = 1;
	int id, fd;
	/* each (offset, size) ends past the 4096-byte buffer, but wraps to
	 * inside it when added in 32 or 64 bits */
	static const uint64_t bad[][2] = {
	    {UINT64_MAX - 15, 32},		    /* offs + size wraps 2^64 to 16 */
	    {16, UINT64_MAX - 15},		    /* the other way round */
	    {0xfffffff0u, 0x20},		    /* wraps 2^32 to 16 */
	    {16, 0xfffffff8u},			    /* wraps 2^32 to 8 */
	    {G4 + 16, 16},			    /* offset truncated to 16 */
	    {16, G4 + 16},			    /* size truncated to 16 */
	    {UINT64_C(1) << 63, UINT64_C(1) << 63}, /* wraps 2^64 to 0 */
	};

	wrap_new(&t, &w, NULL);
	s = ot_open_ok(&t, WRAP_UUID);
	fd = ot_shm_alloc(&t, PG, &id);
	ck_assert_int_ge(fd, 3);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p[0] = ot_memref(MIN, id, bad[i][0], bad[i][1]);
		ck_assert_msg(ot_invoke(&t, s, 0, p, 1, &ret, NULL) == -EINVAL,
			      "memref offs %#llx size %#llx accepted",
			      (unsigned long long) bad[i][0], (unsigned long long) bad[i][1]);
	}
	ck_assert_uint_eq(w.invokes, 0);
	/* no reference was left on the buffer by the refused calls */
	ck_assert_int_eq(
	    teesim_tee_shm_info(teesim_machine_guest(t.st->machine, 0), "/dev/tee0", id, &si), 0);
	ck_assert_uint_eq(si.refs, 1);
	/* the exact end of the buffer is fine */
	p[0] = ot_memref(MIN, id, 16, PG - 16);
	ck_assert_int_eq(ot_invoke(&t, s, 0, p, 1, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(w.invokes, 1);
	ck_assert_uint_eq(w.seen_size[0], PG - 16);
	ck_assert_int_eq(teesim_close(t.p, fd), 0);
	ck_assert_int_eq(ot_close(&t, s), 0);
	ot_done(&t);
}
END_TEST

/* A TA's "short buffer" size above 4 GiB reaches the client whole. */
START_TEST(test_short_buffer_size)
{
	static const uint64_t sizes[] = {G4 + 8, G4, 2 * G4 - 1, UINT64_MAX, 8};
	struct ot t;
	struct wrap_ta w;
	struct tee_ioctl_param p[1];
	uint32_t s, ret = 0;
	int id, fd;

	wrap_new(&t, &w, NULL);
	s = ot_open_ok(&t, WRAP_UUID);
	fd = ot_shm_alloc(&t, PG, &id);
	ck_assert_int_ge(fd, 3);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		w.set_out_size = sizes[i];
		p[0] = ot_memref(MOUT, id, 0, 4);
		ck_assert_int_eq(ot_invoke(&t, s, 1, p, 1, &ret, NULL), 0);
		ck_assert_uint_eq(ret, TEESIM_OPTEE_ERROR_SHORT_BUFFER);
		ck_assert_uint_eq(w.seen_size[0], 4);
		ck_assert_msg(p[0].b == sizes[i], "size %#llx came back as %#llx",
			      (unsigned long long) sizes[i], (unsigned long long) p[0].b);
		/* the other fields are the client's own */
		ck_assert_uint_eq(p[0].a, 0);
		ck_assert_uint_eq(p[0].c, (uint64_t) id);
	}
	ck_assert_int_eq(teesim_close(t.p, fd), 0);
	ck_assert_int_eq(ot_close(&t, s), 0);
	ot_done(&t);
}
END_TEST

/* The GP way to ask for a size: a NULL output memref, answered with the size
 * needed; above 4 GiB it reaches the client whole too. */
START_TEST(test_null_memref_size)
{
	struct ot t;
	struct wrap_ta w;
	struct tee_ioctl_version_data *v;
	struct tee_ioctl_param p[1];
	uint32_t s, ret = 1;

	wrap_new(&t, &w, NULL);
	v = ot_umem(&t, 1);
	ck_assert_int_eq(teesim_ioctl(t.p, t.fd, TEE_IOC_VERSION, v), 0);
	ck_assert_uint_ne(v->gen_caps & TEE_GEN_CAP_MEMREF_NULL, 0);
	ck_assert_int_eq(teesim_process_munmap(t.p, v, PG), 0);
	s = ot_open_ok(&t, WRAP_UUID);
	/* an input NULL memref of any size goes through; OP-TEE gives the TA size 0 */
	p[0] = ot_memref(MIN, 0, G4 + 16, G4 + 5);
	p[0].c = TEE_MEMREF_NULL;
	ck_assert_int_eq(ot_invoke(&t, s, 0, p, 1, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(w.invokes, 1);
	ck_assert(w.seen_null[0]);
	ck_assert_uint_eq(w.seen_size[0], 0);
	/* an output NULL memref: the size needed comes back */
	w.set_out_size = G4 + 8;
	p[0] = ot_memref(MOUT, 0, 0, 0);
	p[0].c = TEE_MEMREF_NULL;
	ck_assert_int_eq(ot_invoke(&t, s, 1, p, 1, &ret, NULL), 0);
	ck_assert_uint_eq(ret, TEESIM_OPTEE_ERROR_SHORT_BUFFER);
	ck_assert_uint_eq(w.invokes, 2);
	ck_assert(w.seen_null[0]);
	ck_assert_uint_eq(p[0].b, G4 + 8);
	ck_assert_uint_eq(p[0].c, TEE_MEMREF_NULL);
	ck_assert_int_eq(ot_close(&t, s), 0);
	ot_done(&t);
}
END_TEST

/* RPC SHM_ALLOC of more than 4 GiB: the driver refuses, nothing is kept. */
START_TEST(test_rpc_shm_alloc_huge)
{
	static const uint64_t sizes[] = {G4 + PG, G4, UINT64_MAX};
	static const uint32_t types[] = {TEESIM_OPTEE_RPC_SHM_TYPE_KERNEL,
					 TEESIM_OPTEE_RPC_SHM_TYPE_APPL};
	struct ot t;
	struct wrap_ta w;
	uint32_t s, ret = 1;
	uint64_t kp, rpcs;

	wrap_new(&t, &w, NULL);
	s = ot_open_ok(&t, WRAP_UUID);
	kp = kernel_pages(&t);
	for (size_t ti = 0; ti < 2; ti++) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			w.rpc_type = types[ti];
			w.rpc_size = sizes[i];
			w.rpc_ret = 0;
			rpcs = ot_sw(&t).rpcs;
			ck_assert_int_eq(ot_invoke(&t, s, 2, NULL, 0, &ret, NULL), 0);
			/* one RPC, refused: no buffer was made (and freed again) */
			ck_assert_uint_eq(ot_sw(&t).rpcs, rpcs + 1);
			ck_assert_uint_eq(ret, 0);
			ck_assert_msg(!w.rpc_got, "type %u: %#llx bytes allocated", types[ti],
				      (unsigned long long) sizes[i]);
			ck_assert_uint_eq(w.rpc_ret, TEESIM_OPTEE_ERROR_OUT_OF_MEMORY);
			ck_assert_uint_eq(ot_sw(&t).rpc_shm_objects, 0);
			ck_assert_uint_eq(kernel_pages(&t), kp);
		}
	}
	/* a small one works, through both paths */
	for (size_t ti = 0; ti < 2; ti++) {
		w.rpc_type = types[ti];
		w.rpc_size = PG;
		rpcs = ot_sw(&t).rpcs;
		ck_assert_int_eq(ot_invoke(&t, s, 2, NULL, 0, &ret, NULL), 0);
		ck_assert_uint_eq(ot_sw(&t).rpcs, rpcs + 2); /* SHM_ALLOC, SHM_FREE */
		ck_assert(w.rpc_got);
		ck_assert_uint_eq(w.rpc_ret, 0);
	}
	ck_assert_int_eq(ot_close(&t, s), 0);
	ot_done(&t);
}
END_TEST

/* ---- mmap of a shm fd, and the machine's own entry points ---- */

START_TEST(test_mmap_offsets)
{
	struct ot t;
	struct wrap_ta w;
	int id, fd;
	void *a;

	wrap_new(&t, &w, NULL);
	fd = ot_shm_alloc(&t, PG, &id);
	ck_assert_int_ge(fd, 3);
	/* an offset of 2^32 or near 2^64 is past the one-page buffer, truncated or not */
	errno = 0;
	ck_assert_ptr_null(teesim_mmap(t.p, fd, PG, TEESIM_PROT_READ, G4));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(teesim_mmap(t.p, fd, PG, TEESIM_PROT_READ, UINT64_MAX - PG + 1));
	ck_assert_int_eq(errno, EINVAL);
	/* a length that page-aligns past SIZE_MAX: do_mmap()'s ENOMEM */
	ck_assert_ptr_null(teesim_mmap(t.p, fd, SIZE_MAX, TEESIM_PROT_READ, 0));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_ptr_null(teesim_mmap(t.p, fd, SIZE_MAX - PG + 2, TEESIM_PROT_READ, 0));
	ck_assert_int_eq(errno, ENOMEM);
	/* one page more than the buffer */
	ck_assert_ptr_null(teesim_mmap(t.p, fd, 2 * PG, TEESIM_PROT_READ, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(ot_core(&t).mappings, 0);
	a = teesim_mmap(t.p, fd, PG, TEESIM_PROT_READ, 0);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(ot_core(&t).mappings, 1);
	th_assert_err(teesim_munmap(t.p, a, SIZE_MAX), -EINVAL);
	ck_assert_int_eq(teesim_munmap(t.p, a, PG), 0);
	ck_assert_int_eq(teesim_close(t.p, fd), 0);
	ck_assert_uint_eq(ot_core(&t).mappings, 0);
	ot_done(&t);
}
END_TEST

START_TEST(test_machine_entry_points)
{
	struct teesim_process *p = teesim_process_new(teesim_machine_guest(TH_M, 0));
	struct teesim_machine_stats ms;
	teesim_ipa_t ipa[2];
	uint8_t b[8];
	teesim_pa_t ram;
	uint64_t ram_size;
	void *u;

	ck_assert_ptr_nonnull(p);
	/* lengths that round up past SIZE_MAX */
	ck_assert_ptr_null(teesim_process_mmap(p, SIZE_MAX, TEESIM_PROT_READ));
	ck_assert_ptr_null(teesim_process_mmap(p, SIZE_MAX - PG + 2, TEESIM_PROT_READ));
	u = teesim_process_mmap(p, PG, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	ck_assert_ptr_nonnull(u);
	/* pins whose range wraps 2^64, or leaves what this host can address */
	th_assert_err(teesim_process_pin(p, UINT64_MAX - PG + 1, 2, 0, ipa), -EINVAL);
	/* (a 32-bit host cannot address the range at all) */
	th_assert_err(teesim_process_pin(p, (uintptr_t) u, SIZE_MAX, 0, ipa),
		      sizeof(void *) == 8 ? -EINVAL : -EFAULT);
	if (sizeof(void *) == 4)
		th_assert_err(teesim_process_pin(p, G4 - PG, 2, 0, ipa), -EFAULT);
	teesim_machine_stats(TH_M, &ms);
	ck_assert_uint_eq(ms.pins, 0);
	ck_assert_uint_eq(ms.user_pages, 1);
	/* physical accesses that wrap 2^64 or run off the end of RAM */
	ram = teesim_machine_cfg(TH_M)->ram_base;
	ram_size = teesim_machine_cfg(TH_M)->ram_size;
	th_assert_err(teesim_phys_read(TH_M, UINT64_MAX - 3, b, 8, TEESIM_ACC_NS), -EFAULT);
	th_assert_err(teesim_phys_read(TH_M, ram + ram_size - 4, b, 8, TEESIM_ACC_NS), -EFAULT);
	th_assert_err(teesim_phys_write(TH_M, ram + G4, b, 8, TEESIM_ACC_NS), -EFAULT);
	th_assert_err(teesim_phys_read(TH_M, ram, b, 8, TEESIM_ACC_NS), 0);
	ck_assert_int_eq(teesim_process_munmap(p, u, PG), 0);
	teesim_process_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wrap");
	TCase *tc = tcase_create("wrap");
	TCase *tm = th_tcase(s, "machine");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_shm_alloc_pages_pool);
	tcase_add_test(tc, test_shm_alloc_reserved_pool);
	tcase_add_test(tc, test_shm_register_lengths);
	tcase_add_test(tc, test_shm_register_high_addresses);
	tcase_add_test(tc, test_memref_ranges);
	tcase_add_test(tc, test_short_buffer_size);
	tcase_add_test(tc, test_null_memref_size);
	tcase_add_test(tc, test_rpc_shm_alloc_huge);
	tcase_add_test(tc, test_mmap_offsets);
	suite_add_tcase(s, tc);
	tcase_add_test(tm, test_machine_entry_points);
	return th_run(s);
}
