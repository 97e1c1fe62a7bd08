/* SPDX-License-Identifier: MIT */
/*
 * Processes: address spaces, pinning (the get_user_pages model) of machine
 * memory and of host memory, the lifetime of pinned pages, and threads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "harness.h"

#define PG ((uint64_t) TEESIM_PAGE_SIZE)
#define RW (TEESIM_PROT_READ | TEESIM_PROT_WRITE)

static struct teesim_guest *guest0(struct teesim_machine *m)
{
	struct teesim_guest *g = teesim_machine_guest(m, 0);

	ck_assert_ptr_nonnull(g);
	return g;
}

static struct teesim_process *new_process(struct teesim_machine *m)
{
	struct teesim_process *p = teesim_process_new(guest0(m));

	ck_assert_ptr_nonnull(p);
	return p;
}

static void *map(struct teesim_process *p, size_t len, unsigned prot)
{
	void *a = teesim_process_mmap(p, len, prot);

	ck_assert_msg(a != NULL, "teesim_process_mmap(%zu) failed: %s", len, strerror(errno));
	return a;
}

static teesim_pa_t to_pa(const struct teesim_guest *g, teesim_ipa_t ipa)
{
	teesim_pa_t pa = 0;

	th_assert_err(teesim_guest_ipa_to_pa(g, ipa, &pa), 0);
	return pa;
}

static struct teesim_frame_info ipa_frame(struct teesim_guest *g, teesim_ipa_t ipa)
{
	struct teesim_frame_info fi;

	th_assert_err(teesim_frame_info(teesim_guest_machine(g), to_pa(g, ipa), &fi), 0);
	return fi;
}

static struct teesim_machine_stats stats(struct teesim_machine *m)
{
	struct teesim_machine_stats st;

	teesim_machine_stats(m, &st);
	return st;
}

/* The IPA of the single user page at @addr (pinned and unpinned again). */
static teesim_ipa_t page_ipa(struct teesim_process *p, const void *addr)
{
	teesim_ipa_t ipa = 0;

	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) addr, 1, 0, &ipa), 1);
	th_assert_err(teesim_guest_unpin(teesim_process_guest(p), &ipa, 1), 0);
	return ipa;
}

/* Assert that the frame behind @ipa holds the @len bytes at @host. */
static void check_by_pa(struct teesim_guest *g, teesim_ipa_t ipa, const void *host, size_t len)
{
	unsigned char buf[TEESIM_PAGE_SIZE];

	ck_assert_uint_le(len, sizeof(buf));
	th_assert_err(
	    teesim_phys_read(teesim_guest_machine(g), to_pa(g, ipa), buf, len, TEESIM_ACC_NS), 0);
	ck_assert_msg(!memcmp(buf, host, len), "frame of IPA %#llx does not hold the host bytes",
		      (unsigned long long) ipa);
}

static void fill(void *p, size_t len, unsigned seed)
{
	unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char) (seed + i * 7 + i / PG);
}

/* A host page that is certainly unmapped, right after a mapped one. */
static unsigned char *host_page_before_hole(void)
{
	unsigned char *a =
	    mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(a, MAP_FAILED);
	ck_assert_int_eq(munmap(a + PG, PG), 0);
	return a;
}

/* ------------------------------------------------------------------------ */
/* processes and mmap */

START_TEST(test_process_ids)
{
	struct teesim_guest *g = guest0(TH_M);
	struct teesim_process *p[3];

	for (int i = 0; i < 3; i++) {
		p[i] = teesim_process_new(g);
		ck_assert_ptr_nonnull(p[i]);
		ck_assert_uint_eq(teesim_process_id(p[i]), (uint32_t) i + 1);
		ck_assert_ptr_eq(teesim_process_guest(p[i]), g);
	}
	ck_assert_uint_eq(stats(TH_M).processes, 3);
	teesim_process_free(p[1]);
	ck_assert_uint_eq(stats(TH_M).processes, 2);
	teesim_process_free(p[0]);
	teesim_process_free(p[2]);
	teesim_process_free(NULL);
	ck_assert_uint_eq(stats(TH_M).processes, 0);
}
END_TEST

START_TEST(test_process_ids_across_guests)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g1;
	struct teesim_process *a, *b, *c;

	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 16 * PG;
	m = th_machine(&cfg);
	g1 = teesim_guest_new(m, 16 * PG);
	ck_assert_ptr_nonnull(g1);
	a = new_process(m);
	b = teesim_process_new(g1);
	ck_assert_ptr_nonnull(b);
	c = new_process(m);
	ck_assert_uint_eq(teesim_process_id(a), 1);
	ck_assert_uint_eq(teesim_process_id(b), 2);
	ck_assert_uint_eq(teesim_process_id(c), 3);
	ck_assert_ptr_eq(teesim_process_guest(b), g1);
	ck_assert_ptr_eq(teesim_process_guest(c), guest0(m));
	teesim_process_free(a);
	teesim_process_free(b);
	teesim_process_free(c);
	th_assert_err(teesim_guest_free(g1), 0);
	th_machine_done(m);
}
END_TEST

START_TEST(test_mmap_zeroed)
{
	struct teesim_process *p = new_process(TH_M);
	unsigned char *a = map(p, 3 * PG - 100, RW);

	ck_assert_uint_eq((uintptr_t) a % PG, 0);
	ck_assert_uint_eq(stats(TH_M).user_pages, 3);
	for (uint64_t i = 0; i < 3 * PG; i++)
		ck_assert_uint_eq(a[i], 0);
	fill(a, 3 * PG, 1); /* the whole rounded length is writable */
	th_assert_err(teesim_process_munmap(p, a, 3 * PG - 100), 0);
	ck_assert_uint_eq(stats(TH_M).user_pages, 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_mmap_frame_owner)
{
	struct teesim_process *p = new_process(TH_M);
	struct teesim_guest *g = teesim_process_guest(p);
	unsigned char *a = map(p, 2 * PG, RW);

	for (int i = 0; i < 2; i++) {
		teesim_ipa_t ipa = page_ipa(p, a + i * PG);
		struct teesim_frame_info fi = ipa_frame(g, ipa);

		ck_assert_int_eq(fi.owner, TEESIM_OWNER_USER);
		ck_assert_uint_eq(fi.process_id, teesim_process_id(p));
		ck_assert(fi.mapped);
		ck_assert_int_eq(fi.guest_id, 0);
		ck_assert_uint_eq(fi.ipa, ipa);
		ck_assert_uint_eq(fi.pin_count, 0);
		/* a mapping is the guest's direct map of its pages */
		ck_assert_ptr_eq(teesim_guest_ipa_host(g, ipa), a + i * PG);
	}
	th_assert_err(teesim_process_munmap(p, a, 2 * PG), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_mmap_einval)
{
	struct teesim_process *p = new_process(TH_M);

	errno = 0;
	ck_assert_ptr_null(teesim_process_mmap(p, 0, RW));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(teesim_process_mmap(p, PG, 1u << 2));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(teesim_process_mmap(p, PG, RW | (1u << 9)));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(teesim_process_mmap(p, PG, ~0u));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_uint_eq(stats(TH_M).user_pages, 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_mmap_enomem)
{
	struct teesim_process *p = new_process(TH_M);
	uint64_t ram = teesim_guest_ram_size(teesim_process_guest(p));
	void *a;

	errno = 0;
	ck_assert_ptr_null(teesim_process_mmap(p, (size_t) ram + 1, RW));
	ck_assert_int_eq(errno, ENOMEM);
	a = map(p, (size_t) ram - 4 * PG, RW);
	errno = 0;
	ck_assert_ptr_null(teesim_process_mmap(p, 5 * PG, RW));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(stats(TH_M).user_pages, ram / PG - 4);
	th_assert_err(teesim_process_munmap(p, a, (size_t) ram - 4 * PG), 0);
	teesim_process_free(p);
}
END_TEST

/* process.h: EINVAL is for len 0 and unknown prot; any other failure is ENOMEM. */
START_TEST(test_mmap_huge_enomem)
{
	struct teesim_process *p = new_process(TH_M);
	void *a, *b;
	int err_a, err_b;

	errno = 0;
	a = teesim_process_mmap(p, SIZE_MAX, RW);
	err_a = errno;
	errno = 0;
	b = teesim_process_mmap(p, SIZE_MAX - PG, RW);
	err_b = errno;
	teesim_process_free(p); /* cleans up whatever the calls did */
	ck_assert_ptr_null(a);
	ck_assert_ptr_null(b);
	ck_assert_msg(err_a == ENOMEM, "mmap(SIZE_MAX) set errno %d (%s), expected ENOMEM", err_a,
		      strerror(err_a));
	ck_assert_msg(err_b == ENOMEM, "mmap(SIZE_MAX - 4096) set errno %d (%s), expected ENOMEM",
		      err_b, strerror(err_b));
}
END_TEST

START_TEST(test_mmap_reuse_zeroed)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_process *p;
	unsigned char *a, *b;

	/* no poisoning, and so little RAM that the second mmap reuses the pages */
	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 4 * PG;
	cfg.poison = false;
	m = th_machine(&cfg);
	p = new_process(m);
	a = map(p, 4 * PG, RW);
	memset(a, 0x5a, 4 * PG);
	th_assert_err(teesim_process_munmap(p, a, 4 * PG), 0);
	b = map(p, 4 * PG, RW);
	ck_assert_ptr_eq(b, a);
	for (uint64_t i = 0; i < 4 * PG; i++)
		ck_assert_uint_eq(b[i], 0);
	th_assert_err(teesim_process_munmap(p, b, 4 * PG), 0);
	teesim_process_free(p);
	th_machine_done(m);
}
END_TEST

START_TEST(test_mmap_reuse_after_kmem)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_process *p;
	teesim_ipa_t ipa = 0;
	unsigned char *host = NULL, *a;

	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 2 * PG;
	m = th_machine(&cfg);
	th_assert_err(teesim_kmem_alloc(guest0(m), 2, 0, &ipa, (void **) &host), 0);
	memset(host, 0x77, 2 * PG);
	th_assert_err(teesim_kmem_free(guest0(m), ipa, 2), 0);
	p = new_process(m);
	a = map(p, 2 * PG, RW);
	for (uint64_t i = 0; i < 2 * PG; i++)
		ck_assert_uint_eq(a[i], 0);
	th_assert_err(teesim_process_munmap(p, a, 2 * PG), 0);
	teesim_process_free(p);
	th_machine_done(m);
}
END_TEST

START_TEST(test_munmap_einval)
{
	struct teesim_process *p = new_process(TH_M);
	unsigned char *a = map(p, 2 * PG - 96, RW);
	int local;

	th_assert_err(teesim_process_munmap(p, a + PG, PG), -EINVAL);
	th_assert_err(teesim_process_munmap(p, a + 1, 2 * PG), -EINVAL);
	th_assert_err(teesim_process_munmap(p, a, PG), -EINVAL);
	th_assert_err(teesim_process_munmap(p, a, 2 * PG + 1), -EINVAL);
	th_assert_err(teesim_process_munmap(p, a, 3 * PG), -EINVAL);
	th_assert_err(teesim_process_munmap(p, a, 0), -EINVAL);
	th_assert_err(teesim_process_munmap(p, NULL, 2 * PG), -EINVAL);
	th_assert_err(teesim_process_munmap(p, &local, 2 * PG), -EINVAL);
	ck_assert_uint_eq(stats(TH_M).user_pages, 2);
	a[2 * PG - 1] = 1; /* still mapped */
	/* same page count as asked: the rounded length is fine too */
	th_assert_err(teesim_process_munmap(p, a, 2 * PG), 0);
	ck_assert_uint_eq(stats(TH_M).user_pages, 0);
	th_assert_err(teesim_process_munmap(p, a, 2 * PG), -EINVAL);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_munmap_other_process)
{
	struct teesim_process *p = new_process(TH_M), *q = new_process(TH_M);
	void *a = map(p, PG, RW);

	th_assert_err(teesim_process_munmap(q, a, PG), -EINVAL);
	ck_assert_uint_eq(stats(TH_M).user_pages, 1);
	th_assert_err(teesim_process_munmap(p, a, PG), 0);
	teesim_process_free(q);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_process_free_unmaps)
{
	struct teesim_process *p = new_process(TH_M);

	map(p, PG, RW);
	map(p, 3 * PG, TEESIM_PROT_READ);
	ck_assert_uint_eq(stats(TH_M).user_pages, 4);
	teesim_process_free(p);
	ck_assert_uint_eq(stats(TH_M).user_pages, 0);
	ck_assert_uint_eq(stats(TH_M).processes, 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* pinning machine memory */

START_TEST(test_pin_mapping)
{
	struct teesim_process *p = new_process(TH_M);
	struct teesim_guest *g = teesim_process_guest(p);
	unsigned char *a = map(p, 4 * PG, RW);
	teesim_ipa_t ipas[4], again[4];
	struct teesim_machine_stats st;

	fill(a, 4 * PG, 3);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 4, TEESIM_PIN_WRITE, ipas), 4);
	for (int i = 0; i < 4; i++) {
		ck_assert_uint_eq(ipas[i], ipas[0] + (uint64_t) i * PG);
		ck_assert_uint_eq(ipa_frame(g, ipas[i]).pin_count, 1);
		check_by_pa(g, ipas[i], a + i * PG, PG);
	}
	st = stats(TH_M);
	ck_assert_uint_eq(st.pins, 4);
	ck_assert_uint_eq(st.pinned_pages, 4);

	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 4, 0, again), 4);
	ck_assert_mem_eq(again, ipas, sizeof(ipas));
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(ipa_frame(g, ipas[i]).pin_count, 2);
	st = stats(TH_M);
	ck_assert_uint_eq(st.pins, 8);
	ck_assert_uint_eq(st.pinned_pages, 4);

	th_assert_err(teesim_guest_unpin(g, ipas, 4), 0);
	ck_assert_uint_eq(ipa_frame(g, ipas[2]).pin_count, 1);
	ck_assert_uint_eq(stats(TH_M).pins, 4);
	th_assert_err(teesim_guest_unpin(g, again, 4), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(ipa_frame(g, ipas[i]).pin_count, 0);
	st = stats(TH_M);
	ck_assert_uint_eq(st.pins, 0);
	ck_assert_uint_eq(st.pinned_pages, 0);
	ck_assert_uint_eq(st.user_pages, 4); /* still mapped */
	th_assert_err(teesim_process_munmap(p, a, 4 * PG), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_pin_middle)
{
	struct teesim_process *p = new_process(TH_M);
	unsigned char *a = map(p, 4 * PG, RW);
	teesim_ipa_t first = page_ipa(p, a), ipas[2];

	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) (a + PG), 2, 0, ipas), 2);
	ck_assert_uint_eq(ipas[0], first + PG);
	ck_assert_uint_eq(ipas[1], first + 2 * PG);
	th_assert_err(teesim_guest_unpin(teesim_process_guest(p), ipas, 2), 0);
	th_assert_err(teesim_process_munmap(p, a, 4 * PG), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_pin_across_mappings)
{
	struct teesim_process *p = new_process(TH_M);
	unsigned char *a = map(p, PG, RW), *b = map(p, 2 * PG, RW);
	teesim_ipa_t ipas[3];

	/* a fresh machine hands out consecutive guest pages */
	ck_assert_ptr_eq(b, a + PG);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 3, TEESIM_PIN_WRITE, ipas), 3);
	ck_assert_uint_eq(ipas[1], ipas[0] + PG);
	ck_assert_uint_eq(ipas[2], ipas[0] + 2 * PG);
	th_assert_err(teesim_guest_unpin(teesim_process_guest(p), ipas, 3), 0);
	th_assert_err(teesim_process_munmap(p, a, PG), 0);
	th_assert_err(teesim_process_munmap(p, b, 2 * PG), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_unpin_unbalanced)
{
	struct teesim_machine *m = th_machine(NULL);
	struct teesim_process *p = new_process(m);
	struct teesim_guest *g = teesim_process_guest(p);
	unsigned char *a = map(p, 2 * PG, RW);
	struct teesim_violation v[4];
	teesim_ipa_t ipa0 = 0, list[2];

	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 1, 0, &ipa0), 1);
	list[0] = ipa0 + PG; /* mapped, never pinned */
	list[1] = ipa0;
	th_assert_err(teesim_guest_unpin(g, list, 2), -EINVAL);
	ck_assert_uint_eq(teesim_machine_violations(m, v, 4), 1);
	ck_assert_int_eq(v[0].kind, TEESIM_VIOL_UNBALANCED_UNPIN);
	ck_assert_uint_eq(v[0].addr, ipa0 + PG);
	ck_assert_int_eq(v[0].guest_id, 0);
	/* the pinned page was unpinned all the same */
	ck_assert_uint_eq(ipa_frame(g, ipa0).pin_count, 0);
	ck_assert_uint_eq(ipa_frame(g, ipa0 + PG).pin_count, 0);
	ck_assert_uint_eq(stats(m).pins, 0);
	ck_assert_uint_eq(stats(m).pinned_pages, 0);
	ck_assert_uint_eq(stats(m).user_pages, 2);
	th_assert_err(teesim_process_munmap(p, a, 2 * PG), 0);
	teesim_process_free(p);
	th_machine_done_expect(m, 1);
}
END_TEST

START_TEST(test_unpin_free_page)
{
	struct teesim_machine *m = th_machine(NULL);
	struct teesim_guest *g = guest0(m);
	teesim_ipa_t ipa = teesim_guest_ipa_base(g) + 10 * PG + 123;
	struct teesim_violation v;

	th_assert_err(teesim_guest_unpin(g, &ipa, 1), -EINVAL);
	ck_assert_uint_eq(teesim_machine_violations(m, &v, 1), 1);
	ck_assert_int_eq(v.kind, TEESIM_VIOL_UNBALANCED_UNPIN);
	ck_assert_uint_eq(v.addr, ipa - 123);
	ck_assert_int_eq(v.guest_id, 0);
	ck_assert_int_eq(ipa_frame(g, ipa).owner, TEESIM_OWNER_FREE);
	th_machine_done_expect(m, 1);
}
END_TEST

START_TEST(test_unpin_outside)
{
	struct teesim_process *p = new_process(TH_M);
	struct teesim_guest *g = teesim_process_guest(p);
	void *a = map(p, PG, RW);
	teesim_ipa_t list[3];

	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 1, 0, &list[1]), 1);
	list[0] = teesim_guest_ipa_base(g) - PG;
	list[2] = teesim_guest_ipa_base(g) + teesim_guest_ram_size(g);
	th_assert_err(teesim_guest_unpin(g, list, 3), -EFAULT);
	ck_assert_uint_eq(ipa_frame(g, list[1]).pin_count, 0);
	ck_assert_uint_eq(stats(TH_M).pins, 0);
	th_assert_err(teesim_process_munmap(p, a, PG), 0);
	teesim_process_free(p);
	/* teardown: an IPA outside RAM is no violation */
}
END_TEST

START_TEST(test_unpin_empty)
{
	th_assert_err(teesim_guest_unpin(guest0(TH_M), NULL, 0), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* get_user_pages rules */

START_TEST(test_pin_unaligned)
{
	struct teesim_process *p = new_process(TH_M);
	unsigned char *a = map(p, 2 * PG, RW);
	teesim_ipa_t ipas[2];

	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a + 1, 1, 0, ipas), -EINVAL);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a + PG - 1, 1, 0, ipas), -EINVAL);
	ck_assert_uint_eq(stats(TH_M).pins, 0);
	th_assert_err(teesim_process_munmap(p, a, 2 * PG), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_pin_bad_flags)
{
	struct teesim_process *p = new_process(TH_M);
	unsigned char *a = map(p, PG, RW);
	teesim_ipa_t ipa;

	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 1, 1u << 1, &ipa), -EINVAL);
	ck_assert_int_eq(
	    teesim_process_pin(p, (uintptr_t) a, 1, TEESIM_PIN_WRITE | (1u << 5), &ipa), -EINVAL);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 1, ~0u, &ipa), -EINVAL);
	ck_assert_uint_eq(stats(TH_M).pins, 0);
	th_assert_err(teesim_process_munmap(p, a, PG), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_pin_zero_pages)
{
	struct teesim_process *p = new_process(TH_M);
	unsigned char *a = map(p, PG, RW);
	teesim_ipa_t ipa = 0x1234;

	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 0, 0, &ipa), 0);
	ck_assert_int_eq(teesim_process_pin(p, 0, 0, TEESIM_PIN_WRITE, &ipa), 0);
	ck_assert_uint_eq(ipa, 0x1234);
	ck_assert_uint_eq(stats(TH_M).pins, 0);
	th_assert_err(teesim_process_munmap(p, a, PG), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_pin_wrap)
{
	struct teesim_process *p = new_process(TH_M);
	teesim_ipa_t ipas[2];

	ck_assert_int_eq(teesim_process_pin(p, UINT64_MAX - PG + 1, 2, 0, ipas), -EINVAL);
	ck_assert_int_eq(teesim_process_pin(p, UINT64_MAX - 7 * PG + 1, 9, 0, ipas), -EINVAL);
	ck_assert_int_eq(teesim_process_pin(p, UINT64_MAX - 3 * PG + 1, SIZE_MAX, 0, ipas),
			 -EINVAL);
	ck_assert_int_eq(teesim_process_pin(p, UINT64_MAX - 3 * PG + 1, 5, TEESIM_PIN_WRITE, ipas),
			 -EINVAL);
	ck_assert_uint_eq(stats(TH_M).pins, 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_pin_readonly)
{
	struct teesim_process *p = new_process(TH_M);
	struct teesim_guest *g = teesim_process_guest(p);
	void *ro = map(p, 2 * PG, TEESIM_PROT_READ);
	teesim_ipa_t ipas[2];

	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) ro, 2, TEESIM_PIN_WRITE, ipas), -EFAULT);
	ck_assert_uint_eq(stats(TH_M).pins, 0);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) ro, 2, 0, ipas), 2);
	ck_assert_uint_eq(stats(TH_M).pins, 2);
	th_assert_err(teesim_guest_unpin(g, ipas, 2), 0);
	th_assert_err(teesim_process_munmap(p, ro, 2 * PG), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_pin_write_stops_at_readonly)
{
	struct teesim_process *p = new_process(TH_M);
	struct teesim_guest *g = teesim_process_guest(p);
	unsigned char *rw = map(p, 2 * PG, RW), *ro = map(p, PG, TEESIM_PROT_READ);
	teesim_ipa_t ipas[3];

	ck_assert_ptr_eq(ro, rw + 2 * PG); /* consecutive on a fresh machine */
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) rw, 3, TEESIM_PIN_WRITE, ipas), 2);
	ck_assert_uint_eq(stats(TH_M).pins, 2);
	th_assert_err(teesim_guest_unpin(g, ipas, 2), 0);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) rw, 3, 0, ipas), 3);
	th_assert_err(teesim_guest_unpin(g, ipas, 3), 0);
	th_assert_err(teesim_process_munmap(p, rw, 2 * PG), 0);
	th_assert_err(teesim_process_munmap(p, ro, PG), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_pin_past_host_mapping)
{
	struct teesim_process *p = new_process(TH_M);
	struct teesim_guest *g = teesim_process_guest(p);
	unsigned char *h = host_page_before_hole();
	teesim_ipa_t ipas[2] = {0, 0};
	long n;

	memset(h, 0x42, PG);
	n = teesim_process_pin(p, (uintptr_t) h, 2, TEESIM_PIN_WRITE, ipas);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(stats(TH_M).pins, 1);
	check_by_pa(g, ipas[0], h, PG);
	th_assert_err(teesim_guest_unpin(g, ipas, 1), 0);
	ck_assert_int_eq(munmap(h, PG), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_pin_past_mapping_no_host)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_process *p;
	unsigned char *a;
	teesim_ipa_t ipas[3];

	teesim_machine_cfg_default(&cfg);
	cfg.allow_host_memory = false;
	m = th_machine(&cfg);
	p = new_process(m);
	a = map(p, 2 * PG, RW);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 3, 0, ipas), 2);
	ck_assert_uint_eq(stats(m).pins, 2);
	th_assert_err(teesim_guest_unpin(guest0(m), ipas, 2), 0);
	th_assert_err(teesim_process_munmap(p, a, 2 * PG), 0);
	teesim_process_free(p);
	th_machine_done(m);
}
END_TEST

START_TEST(test_pin_past_mapping_into_machine)
{
	struct teesim_process *p = new_process(TH_M);
	unsigned char *a = map(p, 2 * PG, RW);
	teesim_ipa_t ipas[3];

	/* the host page after the mapping is machine memory, no one's to pin */
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 3, 0, ipas), 2);
	ck_assert_uint_eq(stats(TH_M).pins, 2);
	ck_assert_uint_eq(stats(TH_M).host_pages, 0);
	th_assert_err(teesim_guest_unpin(teesim_process_guest(p), ipas, 2), 0);
	th_assert_err(teesim_process_munmap(p, a, 2 * PG), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_pin_first_unmapped)
{
	struct teesim_process *p = new_process(TH_M);
	unsigned char *h = host_page_before_hole();
	teesim_ipa_t ipa;

	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) (h + PG), 1, 0, &ipa), -EFAULT);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) (h + PG), 4, 0, &ipa), -EFAULT);
	ck_assert_uint_eq(stats(TH_M).pins, 0);
	ck_assert_uint_eq(stats(TH_M).host_pages, 0);
	ck_assert_int_eq(munmap(h, PG), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_pin_munmapped_mapping)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_process *p;
	void *a;
	teesim_ipa_t ipa;

	teesim_machine_cfg_default(&cfg);
	cfg.allow_host_memory = false;
	m = th_machine(&cfg);
	p = new_process(m);
	a = map(p, PG, RW);
	th_assert_err(teesim_process_munmap(p, a, PG), 0);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 1, 0, &ipa), -EFAULT);
	ck_assert_uint_eq(stats(m).pins, 0);
	teesim_process_free(p);
	th_machine_done(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* lifetime of pinned pages */

START_TEST(test_munmap_while_pinned)
{
	struct teesim_process *p = new_process(TH_M);
	struct teesim_guest *g = teesim_process_guest(p);
	unsigned char *a = map(p, 2 * PG, RW), copy[2 * TEESIM_PAGE_SIZE], buf[TEESIM_PAGE_SIZE];
	teesim_ipa_t ipas[2];

	fill(a, 2 * PG, 9);
	memcpy(copy, a, sizeof(copy));
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 2, TEESIM_PIN_WRITE, ipas), 2);
	th_assert_err(teesim_process_munmap(p, a, 2 * PG), 0);
	ck_assert_uint_eq(stats(TH_M).user_pages, 2);
	for (int i = 0; i < 2; i++) {
		struct teesim_frame_info fi = ipa_frame(g, ipas[i]);

		ck_assert_int_eq(fi.owner, TEESIM_OWNER_USER);
		ck_assert(!fi.mapped);
		ck_assert_uint_eq(fi.pin_count, 1);
		ck_assert_uint_eq(fi.process_id, teesim_process_id(p));
		check_by_pa(g, ipas[i], copy + i * PG, PG); /* the bytes are kept */
	}
	th_assert_err(teesim_guest_unpin(g, ipas, 1), 0);
	ck_assert_uint_eq(stats(TH_M).user_pages, 1);
	ck_assert_int_eq(ipa_frame(g, ipas[0]).owner, TEESIM_OWNER_FREE);
	ck_assert_int_eq(ipa_frame(g, ipas[1]).owner, TEESIM_OWNER_USER);
	th_assert_err(teesim_guest_unpin(g, ipas + 1, 1), 0);
	ck_assert_uint_eq(stats(TH_M).user_pages, 0);
	ck_assert_int_eq(ipa_frame(g, ipas[1]).owner, TEESIM_OWNER_FREE);
	/* freed with the last pin: poisoned like any freed page */
	th_assert_err(teesim_phys_read(TH_M, to_pa(g, ipas[1]), buf, PG, 0), 0);
	for (uint64_t k = 0; k < PG; k++)
		ck_assert_uint_eq(buf[k], TEESIM_POISON_FREE);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_munmap_pinned_twice)
{
	struct teesim_process *p = new_process(TH_M);
	struct teesim_guest *g = teesim_process_guest(p);
	void *a = map(p, PG, RW);
	teesim_ipa_t x, y;

	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 1, 0, &x), 1);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 1, 0, &y), 1);
	th_assert_err(teesim_process_munmap(p, a, PG), 0);
	th_assert_err(teesim_guest_unpin(g, &x, 1), 0);
	ck_assert_uint_eq(stats(TH_M).user_pages, 1);
	ck_assert_int_eq(ipa_frame(g, x).owner, TEESIM_OWNER_USER);
	th_assert_err(teesim_guest_unpin(g, &y, 1), 0);
	ck_assert_uint_eq(stats(TH_M).user_pages, 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_process_free_while_pinned)
{
	struct teesim_process *p = new_process(TH_M);
	struct teesim_guest *g = teesim_process_guest(p);
	uint32_t pid = teesim_process_id(p);
	unsigned char *a = map(p, 3 * PG, RW), copy[TEESIM_PAGE_SIZE];
	teesim_ipa_t ipas[2];

	fill(a, 3 * PG, 5);
	memcpy(copy, a + PG, PG);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) (a + PG), 2, 0, ipas), 2);
	teesim_process_free(p);
	ck_assert_uint_eq(stats(TH_M).processes, 0);
	ck_assert_uint_eq(stats(TH_M).user_pages, 2);
	for (int i = 0; i < 2; i++) {
		struct teesim_frame_info fi = ipa_frame(g, ipas[i]);

		ck_assert_int_eq(fi.owner, TEESIM_OWNER_USER);
		ck_assert(!fi.mapped);
		ck_assert_uint_eq(fi.pin_count, 1);
		ck_assert_uint_eq(fi.process_id, pid);
	}
	check_by_pa(g, ipas[0], copy, PG);
	th_assert_err(teesim_guest_unpin(g, ipas, 2), 0);
	ck_assert_uint_eq(stats(TH_M).user_pages, 0);
	ck_assert_int_eq(ipa_frame(g, ipas[0]).owner, TEESIM_OWNER_FREE);
}
END_TEST

START_TEST(test_guest_busy_while_pinned)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g1;
	struct teesim_process *p;
	void *a;
	teesim_ipa_t ipa;

	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 8 * PG;
	m = th_machine(&cfg);
	g1 = teesim_guest_new(m, 8 * PG);
	ck_assert_ptr_nonnull(g1);
	p = teesim_process_new(g1);
	ck_assert_ptr_nonnull(p);
	a = map(p, PG, RW);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) a, 1, 0, &ipa), 1);
	teesim_process_free(p);
	th_assert_err(teesim_guest_free(g1), -EBUSY); /* a pinned page outlives the process */
	th_assert_err(teesim_guest_unpin(g1, &ipa, 1), 0);
	th_assert_err(teesim_guest_free(g1), 0);
	th_machine_done(m);
}
END_TEST

START_TEST(test_pin_other_process)
{
	struct teesim_process *p = new_process(TH_M), *q = new_process(TH_M);
	void *a = map(p, 2 * PG, RW);
	teesim_ipa_t ipas[2];

	ck_assert_int_eq(teesim_process_pin(q, (uintptr_t) a, 2, 0, ipas), -EFAULT);
	ck_assert_int_eq(teesim_process_pin(q, (uintptr_t) a + PG, 1, 0, ipas), -EFAULT);
	ck_assert_uint_eq(stats(TH_M).pins, 0);
	ck_assert_uint_eq(stats(TH_M).host_pages, 0);
	th_assert_err(teesim_process_munmap(p, a, 2 * PG), 0);
	teesim_process_free(q);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_pin_kmem)
{
	struct teesim_process *p = new_process(TH_M);
	struct teesim_guest *g = teesim_process_guest(p);
	teesim_ipa_t ipa = 0, out;
	void *host = NULL;

	th_assert_err(teesim_kmem_alloc(g, 2, 0, &ipa, &host), 0);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) host, 1, 0, &out), -EFAULT);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) host + PG, 1, 0, &out), -EFAULT);
	ck_assert_uint_eq(stats(TH_M).pins, 0);
	ck_assert_uint_eq(stats(TH_M).host_pages, 0);
	th_assert_err(teesim_kmem_free(g, ipa, 2), 0);
	teesim_process_free(p);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* host memory */

/*
 * Pin @n host pages at @buf in a process of @m's guest 0 and check that each
 * frame behind them is the host page itself, both ways; then unpin and check
 * that the binding is gone and the host bytes are intact.
 */
static void check_host_pin(struct teesim_machine *m, unsigned char *buf, size_t n)
{
	struct teesim_process *p = new_process(m);
	struct teesim_guest *g = teesim_process_guest(p);
	teesim_ipa_t ipas[8];
	teesim_pa_t pas[8];
	unsigned char patch[32];

	ck_assert_uint_le(n, 8);
	fill(buf, n * PG, 17);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) buf, n, TEESIM_PIN_WRITE, ipas),
			 (long) n);
	ck_assert_uint_eq(stats(m).host_pages, n);
	ck_assert_uint_eq(stats(m).pins, n);
	for (size_t i = 0; i < n; i++) {
		struct teesim_frame_info fi;

		pas[i] = to_pa(g, ipas[i]);
		fi = ipa_frame(g, ipas[i]);
		ck_assert_int_eq(fi.owner, TEESIM_OWNER_HOST);
		ck_assert_uint_eq(fi.process_id, teesim_process_id(p));
		ck_assert_uint_eq(fi.pin_count, 1);
		ck_assert_int_eq(fi.guest_id, 0);
		ck_assert_uint_eq(fi.ipa, ipas[i]);
		ck_assert_ptr_eq(teesim_guest_ipa_host(g, ipas[i] + 5), buf + i * PG + 5);
		check_by_pa(g, ipas[i], buf + i * PG, PG);
		/* written by PA, seen in the host page */
		memset(patch, (int) (0xe0 + i), sizeof(patch));
		th_assert_err(
		    teesim_phys_write(m, pas[i] + 1000, patch, sizeof(patch), TEESIM_ACC_NS), 0);
		ck_assert_mem_eq(buf + i * PG + 1000, patch, sizeof(patch));
		/* written in the host page, seen by PA */
		buf[i * PG + PG - 1] = (unsigned char) (0x90 + i);
		check_by_pa(g, ipas[i], buf + i * PG, PG);
	}
	th_assert_err(teesim_guest_unpin(g, ipas, n), 0);
	ck_assert_uint_eq(stats(m).host_pages, 0);
	ck_assert_uint_eq(stats(m).pins, 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(ipa_frame(g, ipas[i]).owner, TEESIM_OWNER_FREE);
		/* the model never poisons client memory */
		for (uint64_t k = 0; k < 32; k++)
			ck_assert_uint_eq(buf[i * PG + 1000 + k], 0xe0 + i);
		ck_assert_uint_eq(buf[i * PG + PG - 1], 0x90 + i);
		ck_assert_uint_eq(buf[i * PG + 7], (unsigned char) (17 + (i * PG + 7) * 7 + i));
		/* the frame no longer reaches the host page */
		memset(patch, 0x01, sizeof(patch));
		th_assert_err(teesim_phys_write(m, pas[i] + 2000, patch, sizeof(patch), 0), 0);
		ck_assert_mem_ne(buf + i * PG + 2000, patch, sizeof(patch));
	}
	teesim_process_free(p);
}

START_TEST(test_host_heap)
{
	unsigned char *buf = aligned_alloc(PG, 3 * PG);

	ck_assert_ptr_nonnull(buf);
	check_host_pin(TH_M, buf, 3);
	free(buf);
}
END_TEST

START_TEST(test_host_heap_shuffle)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	unsigned char *buf = aligned_alloc(PG, 4 * PG);

	ck_assert_ptr_nonnull(buf);
	teesim_machine_cfg_default(&cfg);
	cfg.remap = TEESIM_REMAP_SHUFFLE;
	cfg.seed = 0xfeed;
	m = th_machine(&cfg);
	check_host_pin(m, buf, 4);
	th_machine_done(m);
	free(buf);
}
END_TEST

START_TEST(test_host_stack)
{
	_Alignas(4096) unsigned char buf[2 * TEESIM_PAGE_SIZE];

	check_host_pin(TH_M, buf, 2);
}
END_TEST

START_TEST(test_host_static)
{
	static _Alignas(4096) unsigned char buf[TEESIM_PAGE_SIZE];

	check_host_pin(TH_M, buf, 1);
}
END_TEST

START_TEST(test_host_many)
{
	enum { N = 300 };
	struct teesim_process *p = new_process(TH_M);
	struct teesim_guest *g = teesim_process_guest(p);
	unsigned char *buf = aligned_alloc(PG, N * PG);
	teesim_ipa_t *ipas = calloc(N, sizeof(*ipas)), *again = calloc(N, sizeof(*again));

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(ipas);
	ck_assert_ptr_nonnull(again);
	fill(buf, N * PG, 61);
	for (int round = 0; round < 3; round++) {
		ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) buf, N, 0, ipas), N);
		ck_assert_uint_eq(stats(TH_M).host_pages, N);
		/* every page again, in reverse: the bindings are found, not made anew */
		for (int i = N - 1; i >= 0; i--)
			ck_assert_int_eq(
			    teesim_process_pin(p, (uintptr_t) (buf + i * PG), 1, 0, &again[i]), 1);
		ck_assert_mem_eq(again, ipas, N * sizeof(*ipas));
		ck_assert_uint_eq(stats(TH_M).host_pages, N);
		ck_assert_uint_eq(stats(TH_M).pins, 2 * N);
		for (int i = 0; i < N; i++) {
			ck_assert_ptr_eq(teesim_guest_ipa_host(g, ipas[i]), buf + i * PG);
			if (i % 37 == 0)
				check_by_pa(g, ipas[i], buf + i * PG, PG);
		}
		th_assert_err(teesim_guest_unpin(g, ipas, N), 0);
		th_assert_err(teesim_guest_unpin(g, again, N), 0);
		ck_assert_uint_eq(stats(TH_M).host_pages, 0);
	}
	teesim_process_free(p);
	free(again);
	free(ipas);
	free(buf);
}
END_TEST

START_TEST(test_host_pin_twice)
{
	struct teesim_process *p = new_process(TH_M);
	struct teesim_guest *g = teesim_process_guest(p);
	unsigned char *buf = aligned_alloc(PG, PG);
	teesim_ipa_t x = 0, y = 0;
	struct teesim_machine_stats st;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) buf, 1, 0, &x), 1);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) buf, 1, TEESIM_PIN_WRITE, &y), 1);
	ck_assert_uint_eq(x, y);
	ck_assert_uint_eq(ipa_frame(g, x).pin_count, 2);
	st = stats(TH_M);
	ck_assert_uint_eq(st.host_pages, 1);
	ck_assert_uint_eq(st.pins, 2);
	ck_assert_uint_eq(st.pinned_pages, 1);
	th_assert_err(teesim_guest_unpin(g, &x, 1), 0);
	ck_assert_uint_eq(stats(TH_M).host_pages, 1);
	ck_assert_int_eq(ipa_frame(g, x).owner, TEESIM_OWNER_HOST);
	ck_assert_uint_eq(ipa_frame(g, x).pin_count, 1);
	th_assert_err(teesim_guest_unpin(g, &y, 1), 0);
	ck_assert_uint_eq(stats(TH_M).host_pages, 0);
	ck_assert_int_eq(ipa_frame(g, x).owner, TEESIM_OWNER_FREE);
	teesim_process_free(p);
	free(buf);
}
END_TEST

START_TEST(test_host_rebind)
{
	struct teesim_process *p = new_process(TH_M);
	struct teesim_guest *g = teesim_process_guest(p);
	unsigned char *buf = aligned_alloc(PG, PG);
	teesim_ipa_t x = 0;

	ck_assert_ptr_nonnull(buf);
	for (int round = 0; round < 3; round++) {
		memset(buf, 0x30 + round, PG);
		ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) buf, 1, 0, &x), 1);
		check_by_pa(g, x, buf, PG);
		th_assert_err(teesim_guest_unpin(g, &x, 1), 0);
		ck_assert_uint_eq(stats(TH_M).host_pages, 0);
	}
	teesim_process_free(p);
	free(buf);
}
END_TEST

START_TEST(test_host_disallowed)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_process *p;
	unsigned char *buf = aligned_alloc(PG, 2 * PG);
	_Alignas(4096) unsigned char stack[TEESIM_PAGE_SIZE];
	teesim_ipa_t ipas[2];

	ck_assert_ptr_nonnull(buf);
	teesim_machine_cfg_default(&cfg);
	cfg.allow_host_memory = false;
	m = th_machine(&cfg);
	p = new_process(m);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) buf, 2, 0, ipas), -EFAULT);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) stack, 1, 0, ipas), -EFAULT);
	ck_assert_uint_eq(stats(m).host_pages, 0);
	ck_assert_uint_eq(stats(m).pins, 0);
	teesim_process_free(p);
	th_machine_done(m);
	free(buf);
}
END_TEST

START_TEST(test_host_unmapped)
{
	struct teesim_process *p = new_process(TH_M);
	unsigned char *h =
	    mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	teesim_ipa_t ipa;

	ck_assert_ptr_ne(h, MAP_FAILED);
	ck_assert_int_eq(munmap(h, PG), 0);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) h, 1, 0, &ipa), -EFAULT);
	ck_assert_uint_eq(stats(TH_M).host_pages, 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_host_readonly)
{
	struct teesim_process *p = new_process(TH_M);
	struct teesim_guest *g = teesim_process_guest(p);
	unsigned char *h =
	    mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	teesim_ipa_t ipas[2];

	ck_assert_ptr_ne(h, MAP_FAILED);
	fill(h, 2 * PG, 71);
	ck_assert_int_eq(mprotect(h + PG, PG, PROT_READ), 0);
	/* a write pin stops at the read-only page */
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) h, 2, TEESIM_PIN_WRITE, ipas), 1);
	th_assert_err(teesim_guest_unpin(g, ipas, 1), 0);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) (h + PG), 1, TEESIM_PIN_WRITE, ipas),
			 -EFAULT);
	ck_assert_uint_eq(stats(TH_M).host_pages, 0);
	/* a read pin takes both */
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) h, 2, 0, ipas), 2);
	check_by_pa(g, ipas[1], h + PG, PG);
	th_assert_err(teesim_guest_unpin(g, ipas, 2), 0);
	ck_assert_int_eq(munmap(h, 2 * PG), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_host_prot_none)
{
	struct teesim_process *p = new_process(TH_M);
	unsigned char *h =
	    mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	teesim_ipa_t ipas[2];

	ck_assert_ptr_ne(h, MAP_FAILED);
	ck_assert_int_eq(mprotect(h + PG, PG, PROT_NONE), 0);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) (h + PG), 1, 0, ipas), -EFAULT);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) h, 2, 0, ipas), 1);
	th_assert_err(teesim_guest_unpin(teesim_process_guest(p), ipas, 1), 0);
	ck_assert_uint_eq(stats(TH_M).host_pages, 0);
	ck_assert_int_eq(munmap(h, 2 * PG), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_host_null)
{
	struct teesim_process *p = new_process(TH_M);
	teesim_ipa_t ipas[2];

	ck_assert_int_eq(teesim_process_pin(p, 0, 1, 0, ipas), -EFAULT);
	ck_assert_int_eq(teesim_process_pin(p, 0, 2, TEESIM_PIN_WRITE, ipas), -EFAULT);
	ck_assert_uint_eq(stats(TH_M).host_pages, 0);
	ck_assert_uint_eq(stats(TH_M).pins, 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_host_enomem)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_process *p;
	struct teesim_guest *g;
	unsigned char *buf = aligned_alloc(PG, 3 * PG);
	teesim_ipa_t ipas[3], extra;

	ck_assert_ptr_nonnull(buf);
	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 2 * PG; /* the rest of RAM is no guest's */
	m = th_machine(&cfg);
	p = new_process(m);
	g = teesim_process_guest(p);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) buf, 3, 0, ipas), 2);
	ck_assert_uint_eq(stats(m).host_pages, 2);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) buf + 2 * PG, 1, 0, &extra), -ENOMEM);
	/* an already bound page needs no free page */
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) buf + PG, 1, 0, &extra), 1);
	ck_assert_uint_eq(extra, ipas[1]);
	th_assert_err(teesim_guest_unpin(g, &extra, 1), 0);
	th_assert_err(teesim_guest_unpin(g, ipas, 2), 0);
	ck_assert_uint_eq(stats(m).host_pages, 0);
	teesim_process_free(p);
	th_machine_done(m);
	free(buf);
}
END_TEST

START_TEST(test_host_enomem_kmem_full)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_process *p;
	unsigned char *buf = aligned_alloc(PG, PG);
	teesim_ipa_t ipa = 0, out;

	ck_assert_ptr_nonnull(buf);
	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 4 * PG;
	m = th_machine(&cfg);
	p = new_process(m);
	th_assert_err(teesim_kmem_alloc(guest0(m), 4, 0, &ipa, NULL), 0);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) buf, 1, 0, &out), -ENOMEM);
	ck_assert_uint_eq(stats(m).host_pages, 0);
	th_assert_err(teesim_kmem_free(guest0(m), ipa, 4), 0);
	teesim_process_free(p);
	th_machine_done(m);
	free(buf);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* threads */

enum { WORKERS = 4, ROUNDS = 200, SHARERS = 2, SHARE_ROUNDS = 1000 };

struct worker {
	pthread_t thread;
	struct teesim_machine *m;
	unsigned id;
	unsigned char *shared; /* sharers only: 2 pages */
	char error[160];
};

#define WFAIL(w, ...)                                                                              \
	do {                                                                                       \
		snprintf((w)->error, sizeof((w)->error), __VA_ARGS__);                             \
		goto out;                                                                          \
	} while (0)

/* One thread's life: its own process maps, writes, pins, checks by PA, unpins. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct teesim_guest *g = teesim_machine_guest(w->m, 0);
	struct teesim_process *p = teesim_process_new(g);
	unsigned char buf[TEESIM_PAGE_SIZE];

	if (!p)
		WFAIL(w, "process_new failed");
	for (unsigned r = 0; r < ROUNDS; r++) {
		size_t n = 1 + (r + w->id) % 4;
		teesim_ipa_t ipas[4];
		unsigned char *a = teesim_process_mmap(p, n * PG, RW);
		long got;

		if (!a)
			WFAIL(w, "round %u: mmap failed: %s", r, strerror(errno));
		memset(a, (int) (w->id * 16 + r % 16), n * PG);
		got = teesim_process_pin(p, (uintptr_t) a, n, TEESIM_PIN_WRITE, ipas);
		if (got != (long) n)
			WFAIL(w, "round %u: pin returned %ld, expected %zu", r, got, n);
		for (size_t i = 0; i < n; i++) {
			teesim_pa_t pa;

			if (teesim_guest_ipa_to_pa(g, ipas[i], &pa) ||
			    teesim_phys_read(w->m, pa, buf, PG, TEESIM_ACC_NS))
				WFAIL(w, "round %u: IPA %#llx unreadable", r,
				      (unsigned long long) ipas[i]);
			if (memcmp(buf, a + i * PG, PG))
				WFAIL(w, "round %u: frame of page %zu differs", r, i);
		}
		if (teesim_guest_unpin(g, ipas, n))
			WFAIL(w, "round %u: unpin failed", r);
		if (teesim_process_munmap(p, a, n * PG))
			WFAIL(w, "round %u: munmap failed", r);
	}
out:
	teesim_process_free(p);
	return NULL;
}

/* Pin and unpin the same host buffer as the other sharer. */
static void *sharer_main(void *arg)
{
	struct worker *w = arg;
	struct teesim_guest *g = teesim_machine_guest(w->m, 0);
	struct teesim_process *p = teesim_process_new(g);
	unsigned char buf[64];

	if (!p)
		WFAIL(w, "process_new failed");
	for (unsigned r = 0; r < SHARE_ROUNDS; r++) {
		teesim_ipa_t ipas[2];
		teesim_pa_t pa;
		long got = teesim_process_pin(p, (uintptr_t) w->shared, 2, 0, ipas);

		if (got != 2)
			WFAIL(w, "round %u: pin returned %ld", r, got);
		if (ipas[0] == ipas[1])
			WFAIL(w, "round %u: two host pages share IPA %#llx", r,
			      (unsigned long long) ipas[0]);
		for (int i = 0; i < 2; i++) {
			if (teesim_guest_ipa_to_pa(g, ipas[i], &pa) ||
			    teesim_phys_read(w->m, pa + 100, buf, sizeof(buf), TEESIM_ACC_NS))
				WFAIL(w, "round %u: IPA %#llx unreadable", r,
				      (unsigned long long) ipas[i]);
			if (memcmp(buf, w->shared + i * PG + 100, sizeof(buf)))
				WFAIL(w, "round %u: frame of shared page %d differs", r, i);
		}
		if (teesim_guest_unpin(g, ipas, 2))
			WFAIL(w, "round %u: unpin failed", r);
	}
out:
	teesim_process_free(p);
	return NULL;
}

START_TEST(test_threads)
{
	struct worker w[WORKERS + SHARERS];
	unsigned char *shared = aligned_alloc(PG, 2 * PG);
	struct teesim_machine_stats st;

	ck_assert_ptr_nonnull(shared);
	fill(shared, 2 * PG, 33);
	memset(w, 0, sizeof(w));
	for (unsigned i = 0; i < WORKERS + SHARERS; i++) {
		w[i].m = TH_M;
		w[i].id = i;
		w[i].shared = shared;
		ck_assert_int_eq(pthread_create(&w[i].thread, NULL,
						i < WORKERS ? worker_main : sharer_main, &w[i]),
				 0);
	}
	for (unsigned i = 0; i < WORKERS + SHARERS; i++)
		ck_assert_int_eq(pthread_join(w[i].thread, NULL), 0);
	free(shared);
	for (unsigned i = 0; i < WORKERS + SHARERS; i++)
		ck_assert_msg(!w[i].error[0], "thread %u: %s", i, w[i].error);
	st = stats(TH_M);
	ck_assert_uint_eq(st.user_pages, 0);
	ck_assert_uint_eq(st.host_pages, 0);
	ck_assert_uint_eq(st.pins, 0);
	ck_assert_uint_eq(st.pinned_pages, 0);
	ck_assert_uint_eq(st.processes, 0);
	ck_assert_uint_eq(st.violations, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("process");
	TCase *tc;

	tc = th_tcase(s, "mmap");
	tcase_add_test(tc, test_process_ids);
	tcase_add_test(tc, test_process_ids_across_guests);
	tcase_add_test(tc, test_mmap_zeroed);
	tcase_add_test(tc, test_mmap_frame_owner);
	tcase_add_test(tc, test_mmap_einval);
	tcase_add_test(tc, test_mmap_enomem);
	tcase_add_test(tc, test_mmap_huge_enomem);
	tcase_add_test(tc, test_mmap_reuse_zeroed);
	tcase_add_test(tc, test_mmap_reuse_after_kmem);
	tcase_add_test(tc, test_munmap_einval);
	tcase_add_test(tc, test_munmap_other_process);
	tcase_add_test(tc, test_process_free_unmaps);

	tc = th_tcase(s, "pin");
	tcase_add_test(tc, test_pin_mapping);
	tcase_add_test(tc, test_pin_middle);
	tcase_add_test(tc, test_pin_across_mappings);
	tcase_add_test(tc, test_unpin_unbalanced);
	tcase_add_test(tc, test_unpin_free_page);
	tcase_add_test(tc, test_unpin_outside);
	tcase_add_test(tc, test_unpin_empty);

	tc = th_tcase(s, "gup");
	tcase_add_test(tc, test_pin_unaligned);
	tcase_add_test(tc, test_pin_bad_flags);
	tcase_add_test(tc, test_pin_zero_pages);
	tcase_add_test(tc, test_pin_wrap);
	tcase_add_test(tc, test_pin_readonly);
	tcase_add_test(tc, test_pin_write_stops_at_readonly);
	tcase_add_test(tc, test_pin_past_host_mapping);
	tcase_add_test(tc, test_pin_past_mapping_no_host);
	tcase_add_test(tc, test_pin_past_mapping_into_machine);
	tcase_add_test(tc, test_pin_first_unmapped);
	tcase_add_test(tc, test_pin_munmapped_mapping);

	tc = th_tcase(s, "lifetime");
	tcase_add_test(tc, test_munmap_while_pinned);
	tcase_add_test(tc, test_munmap_pinned_twice);
	tcase_add_test(tc, test_process_free_while_pinned);
	tcase_add_test(tc, test_guest_busy_while_pinned);
	tcase_add_test(tc, test_pin_other_process);
	tcase_add_test(tc, test_pin_kmem);

	tc = th_tcase(s, "host");
	tcase_add_test(tc, test_host_heap);
	tcase_add_test(tc, test_host_heap_shuffle);
	tcase_add_test(tc, test_host_stack);
	tcase_add_test(tc, test_host_static);
	tcase_add_test(tc, test_host_pin_twice);
	tcase_add_test(tc, test_host_many);
	tcase_add_test(tc, test_host_rebind);
	tcase_add_test(tc, test_host_disallowed);
	tcase_add_test(tc, test_host_unmapped);
	tcase_add_test(tc, test_host_readonly);
	tcase_add_test(tc, test_host_prot_none);
	tcase_add_test(tc, test_host_null);
	tcase_add_test(tc, test_host_enomem);
	tcase_add_test(tc, test_host_enomem_kmem_full);

	tc = th_tcase(s, "threads");
	tcase_add_test(tc, test_threads);
	return th_run(s);
}
