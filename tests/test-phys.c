/* SPDX-License-Identifier: MIT */
/*
 * Checked physical accessors: copies and maps in every region, across
 * scattered frames, zero copy with the kernel's view, every rejection, the
 * access hook and the access log.
 */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

#define PAGE   ((uint64_t) TEESIM_PAGE_SIZE)
#define MIB(x) ((uint64_t) (x) << 20)
#define JUNK   0xa5u

static const struct teesim_machine_cfg *cfg_of(struct teesim_machine *m)
{
	return teesim_machine_cfg(m);
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char) (seed * 29u + i * 7u + 1u);
}

static bool all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* Write @n patterned bytes at @pa and read them back with @flags. */
static void roundtrip(struct teesim_machine *m, teesim_pa_t pa, size_t n, unsigned flags)
{
	unsigned char *src = malloc(n), *dst = malloc(n);

	ck_assert(src && dst);
	fill(src, n, (unsigned) pa);
	memset(dst, JUNK, n);
	ck_assert_int_eq(teesim_phys_write(m, pa, src, n, flags), 0);
	ck_assert_int_eq(teesim_phys_read(m, pa, dst, n, flags), 0);
	ck_assert_mem_eq(dst, src, n);
	free(src);
	free(dst);
}

/* ---- round trips ------------------------------------------------------ */

START_TEST(test_rw_ram)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);

	roundtrip(TH_M, c->ram_base + 0x1234, 100, TEESIM_ACC_NS);
	roundtrip(TH_M, c->ram_base + 0x2000 - 50, 3 * PAGE, TEESIM_ACC_SECURE);
	roundtrip(TH_M, c->ram_base, PAGE, TEESIM_ACC_NS);
	roundtrip(TH_M, c->ram_base + c->ram_size - 10, 10, TEESIM_ACC_NS);
}
END_TEST

START_TEST(test_rw_static_shm)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);

	roundtrip(TH_M, c->static_shm_base + 8, 64, TEESIM_ACC_NS);
	roundtrip(TH_M, c->static_shm_base + PAGE - 1, 2 * PAGE + 2, TEESIM_ACC_NS);
	roundtrip(TH_M, c->static_shm_base + c->static_shm_size - 1, 1, TEESIM_ACC_SECURE);
}
END_TEST

START_TEST(test_rw_secure)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);

	roundtrip(TH_M, c->secure_base, 32, TEESIM_ACC_SECURE);
	roundtrip(TH_M, c->secure_base + 5 * PAGE - 3, PAGE + 6, TEESIM_ACC_SECURE);
	roundtrip(TH_M, c->secure_base + c->secure_size - PAGE, PAGE, TEESIM_ACC_SECURE);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 0);
}
END_TEST

/* Each region keeps its own bytes: writing one does not change another. */
START_TEST(test_rw_regions_distinct)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	const teesim_pa_t pa[3] = {c->ram_base + 64, c->static_shm_base + 64, c->secure_base + 64};
	uint64_t v;

	for (int i = 0; i < 3; i++) {
		v = 0x1111111111111111ull * (uint64_t) (i + 1);
		ck_assert_int_eq(teesim_phys_write(TH_M, pa[i], &v, sizeof(v), 0), 0);
	}
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(teesim_phys_read(TH_M, pa[i], &v, sizeof(v), 0), 0);
		ck_assert_uint_eq(v, 0x1111111111111111ull * (uint64_t) (i + 1));
	}
}
END_TEST

START_TEST(test_len_zero)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	unsigned char b = JUNK;

	ck_assert_int_eq(teesim_phys_read(TH_M, c->ram_base, &b, 0, TEESIM_ACC_NS), 0);
	ck_assert_int_eq(teesim_phys_write(TH_M, c->secure_base, &b, 0, TEESIM_ACC_SECURE), 0);
	ck_assert_uint_eq(b, JUNK);
	th_assert_err(teesim_phys_read(TH_M, 0, &b, 0, TEESIM_ACC_NS), -EFAULT);
	th_assert_err(teesim_phys_write(TH_M, c->ram_base + c->ram_size, &b, 0, 0), -EFAULT);
}
END_TEST

/* ---- scattered frames and zero copy ----------------------------------- */

#define SMALL_PAGES 256u

/*
 * A machine whose 1 MiB of RAM is shuffled, all of it one kernel allocation
 * of guest 0 whose page i holds fill(..., i).
 */
static struct teesim_machine *shuffled_full(teesim_ipa_t *ipa, unsigned char **host)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	void *h;

	teesim_machine_cfg_default(&cfg);
	cfg.ram_size = SMALL_PAGES * PAGE;
	cfg.remap = TEESIM_REMAP_SHUFFLE;
	cfg.seed = 42;
	m = th_machine(&cfg);
	ck_assert_int_eq(teesim_kmem_alloc(teesim_machine_guest(m, 0), SMALL_PAGES, 0, ipa, &h), 0);
	*host = h;
	for (unsigned i = 0; i < SMALL_PAGES; i++)
		fill(*host + i * PAGE, PAGE, i);
	return m;
}

static void shuffled_done(struct teesim_machine *m, teesim_ipa_t ipa)
{
	ck_assert_int_eq(teesim_kmem_free(teesim_machine_guest(m, 0), ipa, SMALL_PAGES), 0);
	th_machine_done(m);
}

/*
 * A frame @pa of RAM whose PA successor is not the next page on the host
 * (not the next IPA page); its IPA and the successor's IPA.
 */
static teesim_pa_t scattered_pair(struct teesim_machine *m, teesim_ipa_t *ipa_a,
				  teesim_ipa_t *ipa_b)
{
	struct teesim_guest *g = teesim_machine_guest(m, 0);
	const struct teesim_machine_cfg *c = cfg_of(m);

	for (teesim_pa_t pa = c->ram_base; pa + PAGE < c->ram_base + c->ram_size; pa += PAGE) {
		ck_assert_int_eq(teesim_guest_pa_to_ipa(g, pa, ipa_a), 0);
		ck_assert_int_eq(teesim_guest_pa_to_ipa(g, pa + PAGE, ipa_b), 0);
		if (*ipa_b != *ipa_a + PAGE)
			return pa;
	}
	ck_abort_msg("shuffled RAM has every frame after its IPA predecessor");
	return 0;
}

START_TEST(test_read_across_scattered_frames)
{
	teesim_ipa_t ipa, ia, ib;
	unsigned char *host, buf[64], want[64];
	struct teesim_machine *m = shuffled_full(&ipa, &host);
	teesim_pa_t pa = scattered_pair(m, &ia, &ib);
	teesim_pa_t chk;
	uint64_t a = (ia - ipa) / PAGE, b = (ib - ipa) / PAGE;

	ck_assert_int_eq(teesim_guest_ipa_to_pa(teesim_machine_guest(m, 0), ia, &chk), 0);
	ck_assert_uint_eq(chk, pa);
	/* the last 32 bytes of IPA page a, then the first 32 of IPA page b */
	memcpy(want, host + a * PAGE + PAGE - 32, 32);
	memcpy(want + 32, host + b * PAGE, 32);
	if (a + 1 < SMALL_PAGES) /* the host neighbour holds other bytes */
		ck_assert_mem_ne(want + 32, host + (a + 1) * PAGE, 32);
	memset(buf, JUNK, sizeof(buf));
	ck_assert_int_eq(teesim_phys_read(m, pa + PAGE - 32, buf, sizeof(buf), TEESIM_ACC_NS), 0);
	ck_assert_mem_eq(buf, want, sizeof(buf));
	shuffled_done(m, ipa);
}
END_TEST

START_TEST(test_write_across_scattered_frames)
{
	teesim_ipa_t ipa, ia, ib;
	unsigned char *host, src[64];
	struct teesim_machine *m = shuffled_full(&ipa, &host);
	teesim_pa_t pa = scattered_pair(m, &ia, &ib);
	uint64_t a = (ia - ipa) / PAGE, b = (ib - ipa) / PAGE;

	fill(src, sizeof(src), 999);
	ck_assert_int_eq(teesim_phys_write(m, pa + PAGE - 16, src, sizeof(src), TEESIM_ACC_NS), 0);
	ck_assert_mem_eq(host + a * PAGE + PAGE - 16, src, 16);
	ck_assert_mem_eq(host + b * PAGE, src + 16, 48);
	shuffled_done(m, ipa);
}
END_TEST

START_TEST(test_zero_copy_kmem)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g;
	teesim_ipa_t ipa;
	void *hv;
	unsigned char *host;

	teesim_machine_cfg_default(&cfg);
	cfg.remap = TEESIM_REMAP_SHUFFLE;
	cfg.seed = 3;
	m = th_machine(&cfg);
	g = teesim_machine_guest(m, 0);
	ck_assert_int_eq(teesim_kmem_alloc(g, 4, TEESIM_KMEM_ZERO, &ipa, &hv), 0);
	host = hv;
	for (unsigned i = 0; i < 4; i++) {
		teesim_pa_t pa;
		uint32_t v = 0, w = 0xc0de0000u + i;

		ck_assert_int_eq(teesim_guest_ipa_to_pa(g, ipa + i * PAGE, &pa), 0);
		/* kernel writes, secure world reads */
		memcpy(host + i * PAGE + 100, &w, 4);
		ck_assert_int_eq(teesim_phys_read(m, pa + 100, &v, 4, TEESIM_ACC_NS), 0);
		ck_assert_uint_eq(v, w);
		/* secure world writes, kernel reads */
		w = 0xbeef0000u + i;
		ck_assert_int_eq(teesim_phys_write(m, pa + PAGE - 4, &w, 4, TEESIM_ACC_NS), 0);
		memcpy(&v, host + i * PAGE + PAGE - 4, 4);
		ck_assert_uint_eq(v, w);
	}
	ck_assert_int_eq(teesim_kmem_free(g, ipa, 4), 0);
	th_machine_done(m);
}
END_TEST

/* ---- rejections ------------------------------------------------------- */

/* A read of @len (<= 64) at @pa fails with @err and leaves the buffer alone. */
static void read_rejected(struct teesim_machine *m, teesim_pa_t pa, size_t len, unsigned flags,
			  int err)
{
	unsigned char buf[64];

	memset(buf, JUNK, sizeof(buf));
	th_assert_err(teesim_phys_read(m, pa, buf, len, flags), err);
	ck_assert_msg(all_bytes(buf, sizeof(buf), JUNK), "rejected read at %#llx wrote to dst",
		      (unsigned long long) pa);
}

/* A write of @len (<= 64) at @pa fails with @err; memory at @check is unchanged. */
static void write_rejected(struct teesim_machine *m, teesim_pa_t pa, size_t len, unsigned flags,
			   int err, teesim_pa_t check)
{
	unsigned char src[64], before[16], after[16];

	memset(src, 0x3c, sizeof(src));
	ck_assert_int_eq(teesim_phys_read(m, check, before, sizeof(before), TEESIM_ACC_SECURE), 0);
	th_assert_err(teesim_phys_write(m, pa, src, len, flags), err);
	ck_assert_int_eq(teesim_phys_read(m, check, after, sizeof(after), TEESIM_ACC_SECURE), 0);
	ck_assert_mem_eq(before, after, sizeof(before));
}

START_TEST(test_reject_outside)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);

	read_rejected(TH_M, 0, 16, TEESIM_ACC_NS, -EFAULT);
	read_rejected(TH_M, c->ram_base + c->ram_size, 1, 0, -EFAULT);
	read_rejected(TH_M, c->secure_base - 16, 16, 0, -EFAULT);
	read_rejected(TH_M, UINT64_MAX, 1, 0, -EFAULT);
	/* starts outside, ends inside */
	read_rejected(TH_M, c->secure_base - 8, 16, 0, -EFAULT);
	write_rejected(TH_M, c->secure_base - 8, 16, 0, -EFAULT, c->secure_base);
}
END_TEST

START_TEST(test_reject_wrap)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);

	read_rejected(TH_M, c->ram_base, SIZE_MAX, 0, -EFAULT);
	read_rejected(TH_M, c->ram_base + 16, SIZE_MAX - 8, 0, -EFAULT);
	write_rejected(TH_M, c->ram_base + 16, SIZE_MAX - 8, 0, -EFAULT, c->ram_base + 16);
}
END_TEST

START_TEST(test_reject_ram_end)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	teesim_pa_t end = c->ram_base + c->ram_size;

	read_rejected(TH_M, end - 8, 16, TEESIM_ACC_NS, -EFAULT);
	read_rejected(TH_M, end - 1, 2, 0, -EFAULT);
	write_rejected(TH_M, end - 16, 17, TEESIM_ACC_NS, -EFAULT, end - 16);
	/* the last byte alone is fine */
	roundtrip(TH_M, end - 1, 1, TEESIM_ACC_NS);
}
END_TEST

START_TEST(test_reject_across_regions)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);

	/* carve-out and RAM are adjacent, but are two regions */
	ck_assert_uint_eq(c->static_shm_base + c->static_shm_size, c->ram_base);
	read_rejected(TH_M, c->ram_base - 8, 16, TEESIM_ACC_NS, -EFAULT);
	write_rejected(TH_M, c->ram_base - 8, 16, TEESIM_ACC_NS, -EFAULT, c->ram_base - 16);
	write_rejected(TH_M, c->ram_base - 8, 16, TEESIM_ACC_NS, -EFAULT, c->ram_base);
}
END_TEST

START_TEST(test_reject_unknown_flag)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);

	read_rejected(TH_M, c->ram_base, 16, 1u << 2, -EINVAL);
	read_rejected(TH_M, c->ram_base, 16, TEESIM_ACC_NS | (1u << 31), -EINVAL);
	write_rejected(TH_M, c->ram_base, 16, 1u << 5, -EINVAL, c->ram_base);
}
END_TEST

START_TEST(test_reject_secure_ns)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	teesim_pa_t pa = c->secure_base + 3 * PAGE + 40;
	struct teesim_violation v[4];
	uint32_t x = 0x12345678, y = 0;

	ck_assert_int_eq(teesim_phys_write(TH_M, pa, &x, 4, TEESIM_ACC_SECURE), 0);
	read_rejected(TH_M, pa, 4, TEESIM_ACC_NS, -EPERM);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, v, 4), 1);
	ck_assert_int_eq(v[0].kind, TEESIM_VIOL_SECURE_ACCESS);
	ck_assert_uint_eq(v[0].addr, pa);
	ck_assert_int_eq(v[0].guest_id, -1);

	write_rejected(TH_M, pa + 8, 4, TEESIM_ACC_NS, -EPERM, pa);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, v, 4), 2);
	ck_assert_int_eq(v[1].kind, TEESIM_VIOL_SECURE_ACCESS);
	ck_assert_uint_eq(v[1].addr, pa + 8);

	/* the secure world itself may */
	ck_assert_int_eq(teesim_phys_read(TH_M, pa, &y, 4, TEESIM_ACC_SECURE), 0);
	ck_assert_uint_eq(y, 0x12345678);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 2);
	teesim_machine_clear_violations(TH_M);
}
END_TEST

/* ---- map -------------------------------------------------------------- */

/*
 * Regression (found by fuzz-machine): a shared-memory access that starts in
 * secure RAM but is refused for another reason (out of range, unknown flag)
 * is not a secure access and must not be recorded as one.
 */
START_TEST(test_secure_ns_other_refusal_no_violation)
{
	const struct teesim_machine_cfg *c = teesim_machine_cfg(TH_M);
	unsigned char buf[2 * TEESIM_PAGE_SIZE];

	th_assert_err(
	    teesim_phys_read(TH_M, c->secure_base + c->secure_size - 16, buf, 32, TEESIM_ACC_NS),
	    -EFAULT);
	th_assert_err(teesim_phys_read(TH_M, c->secure_base, buf, 16, TEESIM_ACC_NS | (1u << 7)),
		      -EINVAL);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 0);
	/* the secure rule itself still records one */
	th_assert_err(teesim_phys_read(TH_M, c->secure_base, buf, 16, TEESIM_ACC_NS), -EPERM);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 1);
	teesim_machine_clear_violations(TH_M);
}
END_TEST

START_TEST(test_map_one_page)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	teesim_pa_t pa = c->ram_base + 7 * PAGE + 100;
	unsigned char src[200], buf[200];
	void *h = NULL;

	fill(src, sizeof(src), 5);
	ck_assert_int_eq(teesim_phys_write(TH_M, pa, src, sizeof(src), TEESIM_ACC_NS), 0);
	ck_assert_int_eq(teesim_phys_map(TH_M, pa, sizeof(src), TEESIM_ACC_NS, &h), 0);
	ck_assert_ptr_nonnull(h);
	ck_assert_mem_eq(h, src, sizeof(src));

	ck_assert_int_eq(
	    teesim_phys_map(TH_M, pa, sizeof(src), TEESIM_ACC_NS | TEESIM_ACC_WRITE, &h), 0);
	fill(h, sizeof(src), 6);
	fill(src, sizeof(src), 6);
	ck_assert_int_eq(teesim_phys_read(TH_M, pa, buf, sizeof(buf), TEESIM_ACC_NS), 0);
	ck_assert_mem_eq(buf, src, sizeof(buf));
}
END_TEST

START_TEST(test_map_scattered_ram_erange)
{
	teesim_ipa_t ipa, ia, ib;
	unsigned char *host;
	struct teesim_machine *m = shuffled_full(&ipa, &host);
	teesim_pa_t pa = scattered_pair(m, &ia, &ib);
	void *h = NULL;

	th_assert_err(teesim_phys_map(m, pa + PAGE - 8, 16, TEESIM_ACC_NS, &h), -ERANGE);
	th_assert_err(teesim_phys_map(m, pa, 2 * PAGE, TEESIM_ACC_WRITE, &h), -ERANGE);
	/* each of the two frames alone is fine */
	ck_assert_int_eq(teesim_phys_map(m, pa, PAGE, TEESIM_ACC_NS, &h), 0);
	ck_assert_ptr_eq(h, host + (ia - ipa));
	ck_assert_int_eq(teesim_phys_map(m, pa + PAGE, PAGE, TEESIM_ACC_NS, &h), 0);
	ck_assert_ptr_eq(h, host + (ib - ipa));
	shuffled_done(m, ipa);
}
END_TEST

/* Identity remap: the frames of one kernel allocation follow each other on the host. */
START_TEST(test_map_identity_ram_across_frames)
{
	struct teesim_guest *g = teesim_machine_guest(TH_M, 0);
	teesim_ipa_t ipa;
	teesim_pa_t pa;
	void *host, *h = NULL;

	ck_assert_int_eq(teesim_kmem_alloc(g, 2, 0, &ipa, &host), 0);
	ck_assert_int_eq(teesim_guest_ipa_to_pa(g, ipa, &pa), 0);
	ck_assert_int_eq(teesim_phys_map(TH_M, pa + PAGE - 8, 16, TEESIM_ACC_NS, &h), 0);
	ck_assert_ptr_eq(h, (unsigned char *) host + PAGE - 8);
	ck_assert_int_eq(teesim_kmem_free(g, ipa, 2), 0);
}
END_TEST

START_TEST(test_map_static_shm_across_pages)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	teesim_pa_t pa = c->static_shm_base + PAGE - 8;
	unsigned char src[2 * TEESIM_PAGE_SIZE], buf[2 * TEESIM_PAGE_SIZE];
	void *h = NULL;

	ck_assert_int_eq(
	    teesim_phys_map(TH_M, pa, sizeof(src), TEESIM_ACC_NS | TEESIM_ACC_WRITE, &h), 0);
	fill(src, sizeof(src), 11);
	memcpy(h, src, sizeof(src));
	ck_assert_int_eq(teesim_phys_read(TH_M, pa, buf, sizeof(buf), TEESIM_ACC_NS), 0);
	ck_assert_mem_eq(buf, src, sizeof(buf));
}
END_TEST

START_TEST(test_map_secure_across_pages)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	teesim_pa_t pa = c->secure_base + 9 * PAGE - 100;
	unsigned char src[300], buf[300];
	void *h = NULL;

	fill(src, sizeof(src), 12);
	ck_assert_int_eq(teesim_phys_write(TH_M, pa, src, sizeof(src), TEESIM_ACC_SECURE), 0);
	ck_assert_int_eq(teesim_phys_map(TH_M, pa, sizeof(src), TEESIM_ACC_WRITE, &h), 0);
	ck_assert_mem_eq(h, src, sizeof(src));
	memset(h, 0x77, sizeof(src));
	ck_assert_int_eq(teesim_phys_read(TH_M, pa, buf, sizeof(buf), TEESIM_ACC_SECURE), 0);
	ck_assert(all_bytes(buf, sizeof(buf), 0x77));
}
END_TEST

START_TEST(test_map_rejects)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	struct teesim_violation v;
	void *h = NULL;

	th_assert_err(teesim_phys_map(TH_M, 0, 8, 0, &h), -EFAULT);
	th_assert_err(teesim_phys_map(TH_M, c->ram_base + c->ram_size - 8, 16, 0, &h), -EFAULT);
	th_assert_err(teesim_phys_map(TH_M, c->ram_base - 8, 16, 0, &h), -EFAULT);
	th_assert_err(teesim_phys_map(TH_M, c->ram_base, SIZE_MAX, 0, &h), -EFAULT);
	th_assert_err(teesim_phys_map(TH_M, c->ram_base, 8, 1u << 7, &h), -EINVAL);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 0);
	th_assert_err(teesim_phys_map(TH_M, c->secure_base, 8, TEESIM_ACC_NS, &h), -EPERM);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, &v, 1), 1);
	ck_assert_int_eq(v.kind, TEESIM_VIOL_SECURE_ACCESS);
	ck_assert_uint_eq(v.addr, c->secure_base);
	teesim_machine_clear_violations(TH_M);
}
END_TEST

/* ---- access hook ------------------------------------------------------ */

struct hook_rec {
	int ret; /* what the hook answers */
	unsigned calls;
	struct teesim_access seen[8];
};

static int hook(void *ctx, const struct teesim_access *a)
{
	struct hook_rec *r = ctx;

	if (r->calls < 8)
		r->seen[r->calls] = *a;
	r->calls++;
	return r->ret;
}

static void assert_access(const struct teesim_access *a, enum teesim_access_op op, teesim_pa_t pa,
			  uint64_t len, unsigned flags)
{
	ck_assert_int_eq(a->op, op);
	ck_assert_uint_eq(a->pa, pa);
	ck_assert_uint_eq(a->len, len);
	ck_assert_uint_eq(a->flags, flags);
}

START_TEST(test_hook_refuses)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	struct hook_rec r = {.ret = -EACCES};
	teesim_pa_t pa = c->ram_base + 0x3000;
	unsigned char src[32], before[32], after[32];
	void *h = NULL;

	fill(src, sizeof(src), 8);
	ck_assert_int_eq(teesim_phys_read(TH_M, pa, before, sizeof(before), 0), 0);
	teesim_machine_set_access_hook(TH_M, hook, &r);
	read_rejected(TH_M, pa, 32, TEESIM_ACC_NS, -EACCES);
	th_assert_err(teesim_phys_write(TH_M, pa, src, sizeof(src), TEESIM_ACC_NS), -EACCES);
	th_assert_err(teesim_phys_map(TH_M, pa, 16, TEESIM_ACC_NS | TEESIM_ACC_WRITE, &h), -EACCES);
	ck_assert_uint_eq(r.calls, 3);
	assert_access(&r.seen[0], TEESIM_ACCESS_READ, pa, 32, TEESIM_ACC_NS);
	assert_access(&r.seen[1], TEESIM_ACCESS_WRITE, pa, 32, TEESIM_ACC_NS);
	assert_access(&r.seen[2], TEESIM_ACCESS_MAP, pa, 16, TEESIM_ACC_NS | TEESIM_ACC_WRITE);
	teesim_machine_set_access_hook(TH_M, NULL, NULL);
	/* the refused write changed nothing */
	ck_assert_int_eq(teesim_phys_read(TH_M, pa, after, sizeof(after), 0), 0);
	ck_assert_mem_eq(after, before, sizeof(after));
	ck_assert_uint_eq(r.calls, 3);
}
END_TEST

START_TEST(test_hook_allows)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	struct hook_rec r = {.ret = 0};
	teesim_pa_t pa = c->secure_base + 0x10;
	uint64_t x = 0x0123456789abcdefull, y = 0;

	teesim_machine_set_access_hook(TH_M, hook, &r);
	ck_assert_int_eq(teesim_phys_write(TH_M, pa, &x, 8, TEESIM_ACC_SECURE), 0);
	ck_assert_int_eq(teesim_phys_read(TH_M, pa, &y, 8, TEESIM_ACC_SECURE), 0);
	ck_assert_uint_eq(y, x);
	ck_assert_uint_eq(r.calls, 2);
	assert_access(&r.seen[0], TEESIM_ACCESS_WRITE, pa, 8, TEESIM_ACC_SECURE);
	assert_access(&r.seen[1], TEESIM_ACCESS_READ, pa, 8, TEESIM_ACC_SECURE);
	teesim_machine_set_access_hook(TH_M, NULL, NULL);
}
END_TEST

START_TEST(test_hook_not_called_on_machine_rejects)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	struct hook_rec r = {.ret = 0};
	unsigned char b[16];
	void *h;

	teesim_machine_set_access_hook(TH_M, hook, &r);
	th_assert_err(teesim_phys_read(TH_M, 0, b, 1, 0), -EFAULT);
	th_assert_err(teesim_phys_write(TH_M, c->ram_base + c->ram_size - 1, b, 2, 0), -EFAULT);
	th_assert_err(teesim_phys_read(TH_M, c->ram_base, b, 1, 1u << 4), -EINVAL);
	th_assert_err(teesim_phys_read(TH_M, c->secure_base, b, 1, TEESIM_ACC_NS), -EPERM);
	th_assert_err(teesim_phys_map(TH_M, 0, 1, 0, &h), -EFAULT);
	ck_assert_uint_eq(r.calls, 0);
	teesim_machine_set_access_hook(TH_M, NULL, NULL);
	teesim_machine_clear_violations(TH_M);
}
END_TEST

/* ---- access log ------------------------------------------------------- */

START_TEST(test_log_off_by_default)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	struct teesim_access out[2];
	unsigned char b[4] = {0};

	ck_assert_int_eq(teesim_phys_write(TH_M, c->ram_base, b, 4, 0), 0);
	ck_assert_int_eq(teesim_phys_read(TH_M, c->ram_base, b, 4, 0), 0);
	th_assert_err(teesim_phys_read(TH_M, 0, b, 4, 0), -EFAULT);
	ck_assert_uint_eq(teesim_machine_access_log(TH_M, 0, out, 2), 0);
}
END_TEST

static void assert_entry(const struct teesim_access *a, enum teesim_access_op op, teesim_pa_t pa,
			 uint64_t len, unsigned flags, int result)
{
	assert_access(a, op, pa, len, flags);
	ck_assert_int_eq(a->result, result);
}

START_TEST(test_log_records)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	struct hook_rec r = {.ret = -EACCES};
	struct teesim_access out[8];
	unsigned char b[64] = {0};
	void *h;

	teesim_machine_access_log_enable(TH_M, true);
	ck_assert_int_eq(teesim_phys_write(TH_M, c->ram_base + 8, b, 64, TEESIM_ACC_NS), 0);
	ck_assert_int_eq(teesim_phys_read(TH_M, c->secure_base, b, 16, TEESIM_ACC_SECURE), 0);
	ck_assert_int_eq(teesim_phys_map(TH_M, c->static_shm_base, 32, TEESIM_ACC_WRITE, &h), 0);
	th_assert_err(teesim_phys_read(TH_M, 0x1000, b, 4, TEESIM_ACC_NS), -EFAULT);
	th_assert_err(teesim_phys_write(TH_M, c->secure_base, b, 4, TEESIM_ACC_NS), -EPERM);
	th_assert_err(teesim_phys_read(TH_M, c->ram_base, b, 4, 1u << 3), -EINVAL);
	teesim_machine_set_access_hook(TH_M, hook, &r);
	th_assert_err(teesim_phys_read(TH_M, c->ram_base + 4, b, 2, 0), -EACCES);
	teesim_machine_set_access_hook(TH_M, NULL, NULL);

	memset(out, 0, sizeof(out));
	ck_assert_uint_eq(teesim_machine_access_log(TH_M, 0, out, 8), 7);
	assert_entry(&out[0], TEESIM_ACCESS_WRITE, c->ram_base + 8, 64, TEESIM_ACC_NS, 0);
	assert_entry(&out[1], TEESIM_ACCESS_READ, c->secure_base, 16, TEESIM_ACC_SECURE, 0);
	assert_entry(&out[2], TEESIM_ACCESS_MAP, c->static_shm_base, 32, TEESIM_ACC_WRITE, 0);
	assert_entry(&out[3], TEESIM_ACCESS_READ, 0x1000, 4, TEESIM_ACC_NS, -EFAULT);
	assert_entry(&out[4], TEESIM_ACCESS_WRITE, c->secure_base, 4, TEESIM_ACC_NS, -EPERM);
	assert_entry(&out[5], TEESIM_ACCESS_READ, c->ram_base, 4, 1u << 3, -EINVAL);
	assert_entry(&out[6], TEESIM_ACCESS_READ, c->ram_base + 4, 2, 0, -EACCES);
	teesim_machine_access_log_enable(TH_M, false);
	teesim_machine_access_log_clear(TH_M);
	teesim_machine_clear_violations(TH_M);
}
END_TEST

START_TEST(test_log_window)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	struct teesim_access out[4];
	unsigned char b = 0;

	teesim_machine_access_log_enable(TH_M, true);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_int_eq(teesim_phys_read(TH_M, c->ram_base + i, &b, 1, 0), 0);

	memset(out, 0xff, sizeof(out));
	ck_assert_uint_eq(teesim_machine_access_log(TH_M, 2, out, 2), 5);
	ck_assert_uint_eq(out[0].pa, c->ram_base + 2);
	ck_assert_uint_eq(out[1].pa, c->ram_base + 3);
	ck_assert_uint_eq(out[2].pa, UINT64_MAX); /* max respected */

	/* a window running past the end gets what there is */
	memset(out, 0xff, sizeof(out));
	ck_assert_uint_eq(teesim_machine_access_log(TH_M, 3, out, 4), 5);
	ck_assert_uint_eq(out[0].pa, c->ram_base + 3);
	ck_assert_uint_eq(out[1].pa, c->ram_base + 4);
	ck_assert_uint_eq(out[2].pa, UINT64_MAX);

	/* nothing at or past the end, and NULL with max 0 */
	memset(out, 0xff, sizeof(out));
	ck_assert_uint_eq(teesim_machine_access_log(TH_M, 5, out, 4), 5);
	ck_assert_uint_eq(teesim_machine_access_log(TH_M, 100, out, 4), 5);
	ck_assert_uint_eq(out[0].pa, UINT64_MAX);
	ck_assert_uint_eq(teesim_machine_access_log(TH_M, 0, NULL, 0), 5);
	teesim_machine_access_log_enable(TH_M, false);
	teesim_machine_access_log_clear(TH_M);
}
END_TEST

START_TEST(test_log_clear_and_disable)
{
	const struct teesim_machine_cfg *c = cfg_of(TH_M);
	struct teesim_access out[2];
	unsigned char b = 0;

	teesim_machine_access_log_enable(TH_M, true);
	ck_assert_int_eq(teesim_phys_read(TH_M, c->ram_base, &b, 1, 0), 0);
	ck_assert_int_eq(teesim_phys_read(TH_M, c->ram_base, &b, 1, 0), 0);
	ck_assert_uint_eq(teesim_machine_access_log(TH_M, 0, out, 2), 2);
	teesim_machine_access_log_clear(TH_M);
	ck_assert_uint_eq(teesim_machine_access_log(TH_M, 0, out, 2), 0);
	/* still recording after a clear */
	ck_assert_int_eq(teesim_phys_write(TH_M, c->ram_base + 1, &b, 1, 0), 0);
	ck_assert_uint_eq(teesim_machine_access_log(TH_M, 0, out, 2), 1);
	assert_entry(&out[0], TEESIM_ACCESS_WRITE, c->ram_base + 1, 1, 0, 0);
	/* stopped: nothing more is recorded, what was stays */
	teesim_machine_access_log_enable(TH_M, false);
	ck_assert_int_eq(teesim_phys_read(TH_M, c->ram_base, &b, 1, 0), 0);
	ck_assert_uint_eq(teesim_machine_access_log(TH_M, 0, out, 2), 1);
	teesim_machine_access_log_clear(TH_M);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("phys");
	TCase *tc;

	tc = th_tcase(s, "roundtrip");
	tcase_add_test(tc, test_rw_ram);
	tcase_add_test(tc, test_rw_static_shm);
	tcase_add_test(tc, test_rw_secure);
	tcase_add_test(tc, test_rw_regions_distinct);
	tcase_add_test(tc, test_len_zero);

	tc = th_tcase(s, "scattered");
	tcase_add_test(tc, test_read_across_scattered_frames);
	tcase_add_test(tc, test_write_across_scattered_frames);
	tcase_add_test(tc, test_zero_copy_kmem);

	tc = th_tcase(s, "rejects");
	tcase_add_test(tc, test_reject_outside);
	tcase_add_test(tc, test_reject_wrap);
	tcase_add_test(tc, test_reject_ram_end);
	tcase_add_test(tc, test_reject_across_regions);
	tcase_add_test(tc, test_reject_unknown_flag);
	tcase_add_test(tc, test_reject_secure_ns);
	tcase_add_test(tc, test_secure_ns_other_refusal_no_violation);

	tc = th_tcase(s, "map");
	tcase_add_test(tc, test_map_one_page);
	tcase_add_test(tc, test_map_scattered_ram_erange);
	tcase_add_test(tc, test_map_identity_ram_across_frames);
	tcase_add_test(tc, test_map_static_shm_across_pages);
	tcase_add_test(tc, test_map_secure_across_pages);
	tcase_add_test(tc, test_map_rejects);

	tc = th_tcase(s, "hook");
	tcase_add_test(tc, test_hook_refuses);
	tcase_add_test(tc, test_hook_allows);
	tcase_add_test(tc, test_hook_not_called_on_machine_rejects);

	tc = th_tcase(s, "log");
	tcase_add_test(tc, test_log_off_by_default);
	tcase_add_test(tc, test_log_records);
	tcase_add_test(tc, test_log_window);
	tcase_add_test(tc, test_log_clear_and_disable);
	return th_run(s);
}
