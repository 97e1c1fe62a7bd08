/* SPDX-License-Identifier: MIT */
/*
 * Guests: stage-2 translation (identity and shuffled), several guests
 * sharing RAM, and the kernel's page allocations.
 */
#include <stdlib.h>

#include "harness.h"

#define PG ((uint64_t) TEESIM_PAGE_SIZE)

static struct teesim_guest *guest0(struct teesim_machine *m)
{
	struct teesim_guest *g = teesim_machine_guest(m, 0);

	ck_assert_ptr_nonnull(g);
	return g;
}

static teesim_pa_t to_pa(const struct teesim_guest *g, teesim_ipa_t ipa)
{
	teesim_pa_t pa = 0;

	th_assert_err(teesim_guest_ipa_to_pa(g, ipa, &pa), 0);
	return pa;
}

static struct teesim_frame_info frame(struct teesim_machine *m, teesim_pa_t pa)
{
	struct teesim_frame_info fi;

	th_assert_err(teesim_frame_info(m, pa, &fi), 0);
	return fi;
}

static struct teesim_machine_stats stats(struct teesim_machine *m)
{
	struct teesim_machine_stats st;

	teesim_machine_stats(m, &st);
	return st;
}

/* Default config with @ram_pages of RAM and a shuffled stage 2. */
static void shuffle_cfg(struct teesim_machine_cfg *cfg, uint64_t ram_pages, uint64_t seed)
{
	teesim_machine_cfg_default(cfg);
	cfg->ram_size = ram_pages * PG;
	cfg->remap = TEESIM_REMAP_SHUFFLE;
	cfg->seed = seed;
}

/* The PA of every IPA page of guest 0 (malloc'ed, @n entries). */
static teesim_pa_t *layout(struct teesim_machine *m, uint64_t n)
{
	struct teesim_guest *g = guest0(m);
	teesim_pa_t *pas = calloc((size_t) n, sizeof(*pas));

	ck_assert_ptr_nonnull(pas);
	ck_assert_uint_eq(teesim_guest_ram_size(g), n * PG);
	for (uint64_t i = 0; i < n; i++)
		pas[i] = to_pa(g, teesim_guest_ipa_base(g) + i * PG);
	return pas;
}

/*
 * Assert that guest 0's stage 2 over a RAM of @n pages is a bijection onto
 * the RAM frames that keeps page offsets, and that pa_to_ipa inverts it.
 */
static void check_bijection(struct teesim_machine *m, uint64_t n)
{
	struct teesim_guest *g = guest0(m);
	teesim_pa_t ram = teesim_machine_cfg(m)->ram_base;
	teesim_ipa_t base = teesim_guest_ipa_base(g);
	bool *seen = calloc((size_t) n, sizeof(*seen));

	ck_assert_ptr_nonnull(seen);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t off = (i * 97) & (PG - 1);
		teesim_pa_t pa = to_pa(g, base + i * PG + off);
		teesim_ipa_t back = 0;
		uint64_t f;

		ck_assert_uint_eq(pa & (PG - 1), off);
		ck_assert_msg(pa >= ram && pa - ram < n * PG,
			      "IPA page %llu -> PA %#llx outside RAM", (unsigned long long) i,
			      (unsigned long long) pa);
		f = (pa - ram) / PG;
		ck_assert_msg(!seen[f], "frame %llu mapped twice", (unsigned long long) f);
		seen[f] = true;
		th_assert_err(teesim_guest_pa_to_ipa(g, pa, &back), 0);
		ck_assert_uint_eq(back, base + i * PG + off);
	}
	/* and from the frame side: every frame is some guest page */
	for (uint64_t f = 0; f < n; f++) {
		teesim_ipa_t ipa = 0;

		ck_assert(seen[f]);
		th_assert_err(teesim_guest_pa_to_ipa(g, ram + f * PG + 5, &ipa), 0);
		ck_assert_uint_eq(to_pa(g, ipa), ram + f * PG + 5);
	}
	free(seen);
}

/* ------------------------------------------------------------------------ */
/* identity stage 2 */

START_TEST(test_identity_map)
{
	struct teesim_guest *g = guest0(TH_M);
	const struct teesim_machine_cfg *cfg = teesim_machine_cfg(TH_M);
	uint64_t n = cfg->ram_size / PG;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t off = (i * 13) & (PG - 1);
		teesim_ipa_t ipa = cfg->guest_ipa_base + i * PG + off;
		teesim_ipa_t back = 0;

		ck_assert_uint_eq(to_pa(g, ipa), cfg->ram_base + i * PG + off);
		th_assert_err(teesim_guest_pa_to_ipa(g, cfg->ram_base + i * PG + off, &back), 0);
		ck_assert_uint_eq(back, ipa);
	}
}
END_TEST

START_TEST(test_identity_other_base)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g;

	teesim_machine_cfg_default(&cfg);
	cfg.ram_size = 16 * PG;
	cfg.guest_ipa_base = 0x80000000ull;
	m = th_machine(&cfg);
	g = guest0(m);
	ck_assert_uint_eq(teesim_guest_ipa_base(g), 0x80000000ull);
	ck_assert_uint_eq(to_pa(g, 0x80000000ull + 3 * PG + 17), cfg.ram_base + 3 * PG + 17);
	th_assert_err(teesim_guest_ipa_to_pa(g, cfg.ram_base, &(teesim_pa_t){0}), -EFAULT);
	th_machine_done(m);
}
END_TEST

START_TEST(test_guest0_accessors)
{
	struct teesim_guest *g = guest0(TH_M);
	const struct teesim_machine_cfg *cfg = teesim_machine_cfg(TH_M);

	ck_assert_ptr_eq(teesim_guest_machine(g), TH_M);
	ck_assert_uint_eq(teesim_guest_id(g), 0);
	ck_assert_uint_eq(teesim_guest_ipa_base(g), 0x40000000ull);
	ck_assert_uint_eq(teesim_guest_ram_size(g), cfg->ram_size);
	ck_assert_uint_eq(teesim_guest_ram_size(g), 64ull << 20);
	ck_assert_uint_eq(stats(TH_M).guests, 1);
}
END_TEST

START_TEST(test_ipa_to_pa_rejects)
{
	struct teesim_guest *g = guest0(TH_M);
	teesim_ipa_t base = teesim_guest_ipa_base(g);
	uint64_t size = teesim_guest_ram_size(g);
	teesim_pa_t pa = 0;

	th_assert_err(teesim_guest_ipa_to_pa(g, base - 1, &pa), -EFAULT);
	th_assert_err(teesim_guest_ipa_to_pa(g, base - PG, &pa), -EFAULT);
	th_assert_err(teesim_guest_ipa_to_pa(g, 0, &pa), -EFAULT);
	th_assert_err(teesim_guest_ipa_to_pa(g, base + size, &pa), -EFAULT);
	th_assert_err(teesim_guest_ipa_to_pa(g, base + size + PG, &pa), -EFAULT);
	th_assert_err(teesim_guest_ipa_to_pa(g, UINT64_MAX, &pa), -EFAULT);
	/* the bytes just inside are fine */
	ck_assert_uint_eq(to_pa(g, base), teesim_machine_cfg(TH_M)->ram_base);
	ck_assert_uint_eq(to_pa(g, base + size - 1), teesim_machine_cfg(TH_M)->ram_base + size - 1);
}
END_TEST

START_TEST(test_pa_to_ipa_rejects)
{
	struct teesim_guest *g = guest0(TH_M);
	const struct teesim_machine_cfg *cfg = teesim_machine_cfg(TH_M);
	teesim_ipa_t ipa = 0;

	th_assert_err(teesim_guest_pa_to_ipa(g, cfg->ram_base - 1, &ipa), -ENOENT);
	th_assert_err(teesim_guest_pa_to_ipa(g, cfg->static_shm_base, &ipa), -ENOENT);
	th_assert_err(teesim_guest_pa_to_ipa(g, cfg->secure_base + PG, &ipa), -ENOENT);
	th_assert_err(teesim_guest_pa_to_ipa(g, cfg->ram_base + cfg->ram_size, &ipa), -ENOENT);
	th_assert_err(teesim_guest_pa_to_ipa(g, 0, &ipa), -ENOENT);
	th_assert_err(teesim_guest_pa_to_ipa(g, UINT64_MAX, &ipa), -ENOENT);
	th_assert_err(teesim_guest_pa_to_ipa(g, cfg->ram_base + cfg->ram_size - 1, &ipa), 0);
	ck_assert_uint_eq(ipa, cfg->guest_ipa_base + cfg->ram_size - 1);
}
END_TEST

START_TEST(test_ipa_host)
{
	struct teesim_guest *g = guest0(TH_M);
	teesim_ipa_t base = teesim_guest_ipa_base(g);
	uint64_t size = teesim_guest_ram_size(g);
	unsigned char *p = teesim_guest_ipa_host(g, base + 2 * PG);

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_eq(teesim_guest_ipa_host(g, base + 2 * PG + 100), p + 100);
	ck_assert_ptr_nonnull(teesim_guest_ipa_host(g, base + size - 1));
	ck_assert_ptr_null(teesim_guest_ipa_host(g, base - 1));
	ck_assert_ptr_null(teesim_guest_ipa_host(g, base + size));
	ck_assert_ptr_null(teesim_guest_ipa_host(g, 0));
	ck_assert_ptr_null(teesim_guest_ipa_host(g, UINT64_MAX));
}
END_TEST

/* ------------------------------------------------------------------------ */
/* shuffled stage 2 */

START_TEST(test_shuffle_bijection)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;

	shuffle_cfg(&cfg, 4096, 1234); /* 16 MiB */
	m = th_machine(&cfg);
	check_bijection(m, 4096);
	th_machine_done(m);
}
END_TEST

START_TEST(test_shuffle_same_seed)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *a, *b, *c;
	teesim_pa_t *la, *lb, *lc;
	uint64_t differ = 0;

	shuffle_cfg(&cfg, 4096, 77);
	a = th_machine(&cfg);
	b = th_machine(&cfg);
	cfg.seed = 78;
	c = th_machine(&cfg);
	la = layout(a, 4096);
	lb = layout(b, 4096);
	lc = layout(c, 4096);
	for (uint64_t i = 0; i < 4096; i++) {
		ck_assert_uint_eq(la[i], lb[i]);
		differ += la[i] != lc[i];
	}
	ck_assert_msg(differ > 4096 / 2, "seeds 77 and 78 share %llu of 4096 pages",
		      (unsigned long long) (4096 - differ));
	free(la);
	free(lb);
	free(lc);
	th_machine_done(a);
	th_machine_done(b);
	th_machine_done(c);
}
END_TEST

START_TEST(test_shuffle_scattered)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	teesim_pa_t *l;
	unsigned adjacent = 0, identical = 0;

	shuffle_cfg(&cfg, 4096, 5);
	m = th_machine(&cfg);
	l = layout(m, 4096);
	for (uint64_t i = 0; i + 1 < 4096; i++)
		adjacent += l[i + 1] == l[i] + PG;
	for (uint64_t i = 0; i < 4096; i++)
		identical += l[i] == cfg.ram_base + i * PG;
	ck_assert_msg(adjacent * 100 < 4095, "%u of 4095 IPA-adjacent pages are PA-adjacent",
		      adjacent);
	ck_assert_msg(identical * 100 < 4096, "%u of 4096 pages map to their identity frame",
		      identical);
	free(l);
	th_machine_done(m);
}
END_TEST

START_TEST(test_shuffle_odd_sizes)
{
	static const uint64_t sizes[] = {4097, 2, 3, 5, 1000};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct teesim_machine_cfg cfg;
		struct teesim_machine *m;

		shuffle_cfg(&cfg, sizes[i], 99 + i);
		m = th_machine(&cfg);
		check_bijection(m, sizes[i]);
		th_machine_done(m);
	}
}
END_TEST

START_TEST(test_shuffle_rejects)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g;
	teesim_pa_t pa = 0;
	teesim_ipa_t ipa = 0;

	shuffle_cfg(&cfg, 4096, 3);
	m = th_machine(&cfg);
	g = guest0(m);
	th_assert_err(teesim_guest_ipa_to_pa(g, cfg.guest_ipa_base - 1, &pa), -EFAULT);
	th_assert_err(teesim_guest_ipa_to_pa(g, cfg.guest_ipa_base + cfg.ram_size, &pa), -EFAULT);
	th_assert_err(teesim_guest_pa_to_ipa(g, cfg.ram_base + cfg.ram_size, &ipa), -ENOENT);
	th_assert_err(teesim_guest_pa_to_ipa(g, cfg.ram_base - PG, &ipa), -ENOENT);
	ck_assert_ptr_null(teesim_guest_ipa_host(g, cfg.guest_ipa_base + cfg.ram_size));
	th_machine_done(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* several guests */

START_TEST(test_guests_ids)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g0, *g1, *g2;

	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 16ull << 20;
	m = th_machine(&cfg);
	g0 = guest0(m);
	ck_assert_uint_eq(teesim_guest_ram_size(g0), 16ull << 20);
	g1 = teesim_guest_new(m, 16ull << 20);
	ck_assert_ptr_nonnull(g1);
	g2 = teesim_guest_new(m, 32ull << 20);
	ck_assert_ptr_nonnull(g2);
	ck_assert_uint_eq(teesim_guest_id(g0), 0);
	ck_assert_uint_eq(teesim_guest_id(g1), 1);
	ck_assert_uint_eq(teesim_guest_id(g2), 2);
	ck_assert_ptr_eq(teesim_machine_guest(m, 0), g0);
	ck_assert_ptr_eq(teesim_machine_guest(m, 1), g1);
	ck_assert_ptr_eq(teesim_machine_guest(m, 2), g2);
	ck_assert_ptr_null(teesim_machine_guest(m, 3));
	ck_assert_ptr_null(teesim_machine_guest(m, 1000));
	ck_assert_uint_eq(stats(m).guests, 3);

	ck_assert_ptr_eq(teesim_guest_machine(g2), m);
	ck_assert_uint_eq(teesim_guest_ipa_base(g1), cfg.guest_ipa_base);
	ck_assert_uint_eq(teesim_guest_ipa_base(g2), cfg.guest_ipa_base);
	ck_assert_uint_eq(teesim_guest_ram_size(g1), 16ull << 20);
	ck_assert_uint_eq(teesim_guest_ram_size(g2), 32ull << 20);

	th_assert_err(teesim_guest_free(g1), 0);
	ck_assert_ptr_null(teesim_machine_guest(m, 1));
	ck_assert_ptr_eq(teesim_machine_guest(m, 2), g2);
	ck_assert_uint_eq(stats(m).guests, 2);
	th_assert_err(teesim_guest_free(g2), 0);
	ck_assert_uint_eq(stats(m).guests, 1);
	th_machine_done(m);
}
END_TEST

START_TEST(test_guest_takes_rest)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g1;
	teesim_pa_t first;

	teesim_machine_cfg_default(&cfg);
	cfg.ram_size = 16 * PG;
	cfg.guest0_size = 4 * PG;
	m = th_machine(&cfg);
	g1 = teesim_guest_new(m, 12 * PG);
	ck_assert_ptr_nonnull(g1);
	/* identity: the guest's share is a run of consecutive frames */
	first = to_pa(g1, cfg.guest_ipa_base);
	for (uint64_t i = 0; i < 12; i++) {
		teesim_pa_t pa = to_pa(g1, cfg.guest_ipa_base + i * PG + 9);
		struct teesim_frame_info fi = frame(m, pa);

		ck_assert_uint_eq(pa, first + i * PG + 9);
		ck_assert_int_eq(fi.guest_id, 1);
		ck_assert_uint_eq(fi.ipa, cfg.guest_ipa_base + i * PG);
		ck_assert_int_eq(fi.owner, TEESIM_OWNER_FREE);
	}
	ck_assert_uint_ge(first, cfg.ram_base);
	ck_assert_uint_le(first + 12 * PG, cfg.ram_base + cfg.ram_size);
	/* nothing left */
	errno = 0;
	ck_assert_ptr_null(teesim_guest_new(m, PG));
	ck_assert_int_eq(errno, ENOMEM);
	th_assert_err(teesim_guest_free(g1), 0);
	th_machine_done(m);
}
END_TEST

START_TEST(test_unassigned_frames)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g1;
	struct teesim_frame_info fi;
	teesim_ipa_t ipa;

	teesim_machine_cfg_default(&cfg);
	cfg.ram_size = 8 * PG;
	cfg.guest0_size = 2 * PG;
	m = th_machine(&cfg);
	fi = frame(m, cfg.ram_base + 5 * PG);
	ck_assert_int_eq(fi.owner, TEESIM_OWNER_UNASSIGNED);
	ck_assert_int_eq(fi.guest_id, -1);
	th_assert_err(teesim_guest_pa_to_ipa(guest0(m), cfg.ram_base + 5 * PG, &ipa), -ENOENT);
	g1 = teesim_guest_new(m, 6 * PG);
	ck_assert_ptr_nonnull(g1);
	fi = frame(m, cfg.ram_base + 5 * PG);
	ck_assert_int_eq(fi.owner, TEESIM_OWNER_FREE);
	ck_assert_int_eq(fi.guest_id, 1);
	th_assert_err(teesim_guest_pa_to_ipa(g1, cfg.ram_base + 5 * PG, &ipa), 0);
	ck_assert_uint_eq(ipa, fi.ipa);
	th_assert_err(teesim_guest_free(g1), 0);
	fi = frame(m, cfg.ram_base + 5 * PG);
	ck_assert_int_eq(fi.owner, TEESIM_OWNER_UNASSIGNED);
	ck_assert_int_eq(fi.guest_id, -1);
	th_machine_done(m);
}
END_TEST

START_TEST(test_guests_disjoint)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g[3];
	uint64_t count[3] = {0, 0, 0};

	shuffle_cfg(&cfg, 4096, 11);
	cfg.guest0_size = 1024 * PG;
	m = th_machine(&cfg);
	g[0] = guest0(m);
	g[1] = teesim_guest_new(m, 1024 * PG);
	g[2] = teesim_guest_new(m, 2048 * PG);
	ck_assert_ptr_nonnull(g[1]);
	ck_assert_ptr_nonnull(g[2]);
	for (uint64_t f = 0; f < 4096; f++) {
		teesim_pa_t pa = cfg.ram_base + f * PG;
		struct teesim_frame_info fi = frame(m, pa);
		int owner = -1;

		for (int k = 0; k < 3; k++) {
			teesim_ipa_t ipa = 0;
			int r = teesim_guest_pa_to_ipa(g[k], pa, &ipa);

			if (r == 0) {
				ck_assert_msg(owner < 0, "frame %#llx mapped by guests %d and %d",
					      (unsigned long long) pa, owner, k);
				owner = k;
				ck_assert_uint_eq(ipa, fi.ipa);
				ck_assert_uint_eq(to_pa(g[k], ipa), pa);
			} else {
				ck_assert_int_eq(r, -ENOENT);
			}
		}
		ck_assert_int_ge(owner, 0);
		ck_assert_int_eq(fi.guest_id, owner);
		count[owner]++;
	}
	ck_assert_uint_eq(count[0], 1024);
	ck_assert_uint_eq(count[1], 1024);
	ck_assert_uint_eq(count[2], 2048);
	th_assert_err(teesim_guest_free(g[2]), 0);
	th_assert_err(teesim_guest_free(g[1]), 0);
	th_machine_done(m);
}
END_TEST

START_TEST(test_guest_new_einval)
{
	static const uint64_t bad[] = {0, 1, PG - 1, PG + 1, 3 * PG + 2048};
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;

	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 4 * PG;
	m = th_machine(&cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_ptr_null(teesim_guest_new(m, bad[i]));
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_uint_eq(stats(m).guests, 1);
	th_machine_done(m);
}
END_TEST

START_TEST(test_guest_new_enomem)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g1;

	/* the default machine gives all RAM to guest 0 */
	errno = 0;
	ck_assert_ptr_null(teesim_guest_new(TH_M, PG));
	ck_assert_int_eq(errno, ENOMEM);

	teesim_machine_cfg_default(&cfg);
	cfg.ram_size = 16 * PG;
	cfg.guest0_size = 4 * PG;
	m = th_machine(&cfg);
	errno = 0;
	ck_assert_ptr_null(teesim_guest_new(m, 13 * PG));
	ck_assert_int_eq(errno, ENOMEM);
	errno = 0;
	ck_assert_ptr_null(teesim_guest_new(m, 1ull << 40));
	ck_assert_int_eq(errno, ENOMEM);
	g1 = teesim_guest_new(m, 8 * PG);
	ck_assert_ptr_nonnull(g1);
	errno = 0;
	ck_assert_ptr_null(teesim_guest_new(m, 5 * PG));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(stats(m).guests, 2);
	th_assert_err(teesim_guest_free(g1), 0);
	th_machine_done(m);
}
END_TEST

START_TEST(test_guest_free_guest0)
{
	th_assert_err(teesim_guest_free(guest0(TH_M)), -EINVAL);
	ck_assert_ptr_nonnull(teesim_machine_guest(TH_M, 0));
	ck_assert_uint_eq(stats(TH_M).guests, 1);
}
END_TEST

START_TEST(test_guest_free_busy_kmem)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g1;
	teesim_ipa_t ipa = 0;

	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 8 * PG;
	m = th_machine(&cfg);
	g1 = teesim_guest_new(m, 8 * PG);
	ck_assert_ptr_nonnull(g1);
	th_assert_err(teesim_kmem_alloc(g1, 1, 0, &ipa, NULL), 0);
	th_assert_err(teesim_guest_free(g1), -EBUSY);
	ck_assert_ptr_eq(teesim_machine_guest(m, 1), g1);
	th_assert_err(teesim_kmem_free(g1, ipa, 1), 0);
	th_assert_err(teesim_guest_free(g1), 0);
	ck_assert_ptr_null(teesim_machine_guest(m, 1));
	th_machine_done(m);
}
END_TEST

START_TEST(test_guest_free_busy_process)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g1;
	struct teesim_process *p;

	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 8 * PG;
	m = th_machine(&cfg);
	g1 = teesim_guest_new(m, 8 * PG);
	ck_assert_ptr_nonnull(g1);
	p = teesim_process_new(g1);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_eq(teesim_process_guest(p), g1);
	/* a process with no memory at all still keeps its guest alive */
	th_assert_err(teesim_guest_free(g1), -EBUSY);
	ck_assert_ptr_eq(teesim_machine_guest(m, 1), g1);
	teesim_process_free(p);
	th_assert_err(teesim_guest_free(g1), 0);
	th_machine_done(m);
}
END_TEST

START_TEST(test_guest_ram_reused)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g1, *g2;
	teesim_pa_t pas[8];

	shuffle_cfg(&cfg, 16, 21);
	cfg.guest0_size = 8 * PG;
	m = th_machine(&cfg);
	g1 = teesim_guest_new(m, 8 * PG);
	ck_assert_ptr_nonnull(g1);
	for (uint64_t i = 0; i < 8; i++)
		pas[i] = to_pa(g1, cfg.guest_ipa_base + i * PG);
	errno = 0;
	ck_assert_ptr_null(teesim_guest_new(m, PG));
	ck_assert_int_eq(errno, ENOMEM);
	th_assert_err(teesim_guest_free(g1), 0);

	g2 = teesim_guest_new(m, 8 * PG);
	ck_assert_ptr_nonnull(g2);
	ck_assert_uint_eq(teesim_guest_id(g2), 2);
	ck_assert_ptr_null(teesim_machine_guest(m, 1));
	ck_assert_ptr_eq(teesim_machine_guest(m, 2), g2);
	for (uint64_t i = 0; i < 8; i++) {
		teesim_ipa_t ipa = 0;

		th_assert_err(teesim_guest_pa_to_ipa(g2, pas[i], &ipa), 0);
		ck_assert_int_eq(frame(m, pas[i]).guest_id, 2);
	}
	th_assert_err(teesim_guest_free(g2), 0);
	th_machine_done(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* kernel memory */

START_TEST(test_kmem_alloc)
{
	struct teesim_guest *g = guest0(TH_M);
	teesim_ipa_t ipa = 0;
	unsigned char *host = NULL;

	th_assert_err(teesim_kmem_alloc(g, 4, TEESIM_KMEM_ZERO, &ipa, (void **) &host), 0);
	ck_assert_uint_eq(ipa & (PG - 1), 0);
	ck_assert_uint_ge(ipa, teesim_guest_ipa_base(g));
	ck_assert_uint_le(ipa + 4 * PG, teesim_guest_ipa_base(g) + teesim_guest_ram_size(g));
	ck_assert_ptr_nonnull(host);
	ck_assert_uint_eq(stats(TH_M).kernel_pages, 4);
	for (uint64_t i = 0; i < 4; i++) {
		teesim_pa_t pa = to_pa(g, ipa + i * PG);
		struct teesim_frame_info fi = frame(TH_M, pa);

		ck_assert_ptr_eq(teesim_guest_ipa_host(g, ipa + i * PG + 7), host + i * PG + 7);
		ck_assert_int_eq(fi.owner, TEESIM_OWNER_KERNEL);
		ck_assert_int_eq(fi.guest_id, 0);
		ck_assert_uint_eq(fi.ipa, ipa + i * PG);
		ck_assert_uint_eq(fi.pin_count, 0);
		ck_assert_uint_eq(fi.process_id, 0);
		ck_assert(!fi.secure);
		ck_assert_int_eq(fi.kind, TEESIM_MEM_RAM);
	}
	for (uint64_t i = 0; i < 4 * PG; i++)
		ck_assert_uint_eq(host[i], 0);
	th_assert_err(teesim_kmem_free(g, ipa, 4), 0);
	ck_assert_uint_eq(stats(TH_M).kernel_pages, 0);
	ck_assert_int_eq(frame(TH_M, to_pa(g, ipa)).owner, TEESIM_OWNER_FREE);
}
END_TEST

START_TEST(test_kmem_null_outputs)
{
	struct teesim_guest *g = guest0(TH_M);
	teesim_ipa_t ipa = 0;

	th_assert_err(teesim_kmem_alloc(g, 2, 0, NULL, NULL), 0);
	ck_assert_uint_eq(stats(TH_M).kernel_pages, 2);
	th_assert_err(teesim_kmem_alloc(g, 1, 0, &ipa, NULL), 0);
	ck_assert_uint_eq(stats(TH_M).kernel_pages, 3);
	th_assert_err(teesim_kmem_free(g, ipa, 1), 0);
	/* find the first allocation again through the frame map */
	for (teesim_ipa_t a = teesim_guest_ipa_base(g);; a += PG) {
		if (frame(TH_M, to_pa(g, a)).owner == TEESIM_OWNER_KERNEL) {
			th_assert_err(teesim_kmem_free(g, a, 2), 0);
			break;
		}
	}
	ck_assert_uint_eq(stats(TH_M).kernel_pages, 0);
}
END_TEST

START_TEST(test_kmem_zero_copy_shuffle)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g;
	teesim_ipa_t ipa = 0;
	unsigned char *host = NULL, buf[TEESIM_PAGE_SIZE];
	unsigned adjacent = 0;
	enum { N = 16 };

	teesim_machine_cfg_default(&cfg);
	cfg.remap = TEESIM_REMAP_SHUFFLE;
	cfg.seed = 0x5eed;
	m = th_machine(&cfg);
	g = guest0(m);
	th_assert_err(teesim_kmem_alloc(g, N, TEESIM_KMEM_ZERO, &ipa, (void **) &host), 0);
	for (uint64_t i = 0; i < N * PG; i++)
		host[i] = (unsigned char) (i * 31 + i / PG);
	for (uint64_t i = 0; i < N; i++) {
		teesim_pa_t pa = to_pa(g, ipa + i * PG);

		if (i && pa == to_pa(g, ipa + (i - 1) * PG) + PG)
			adjacent++;
		th_assert_err(teesim_phys_read(m, pa, buf, PG, TEESIM_ACC_NS), 0);
		ck_assert_msg(!memcmp(buf, host + i * PG, PG), "page %llu differs by PA",
			      (unsigned long long) i);
	}
	ck_assert_msg(adjacent < 2, "%u of %d kernel pages are physically adjacent", adjacent,
		      N - 1);
	/* and the other way round: written by PA, seen through the pointer */
	for (uint64_t i = 0; i < N; i++) {
		teesim_pa_t pa = to_pa(g, ipa + i * PG);

		memset(buf, (int) (0xc0 + i), 64);
		th_assert_err(teesim_phys_write(m, pa + PG - 64, buf, 64, TEESIM_ACC_NS), 0);
	}
	for (uint64_t i = 0; i < N; i++)
		for (uint64_t k = PG - 64; k < PG; k++)
			ck_assert_uint_eq(host[i * PG + k], 0xc0 + i);
	th_assert_err(teesim_kmem_free(g, ipa, N), 0);
	th_machine_done(m);
}
END_TEST

START_TEST(test_kmem_zero_flag)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g;
	teesim_ipa_t ipa = 0, ipa2 = 0;
	unsigned char *host = NULL;

	/* no poisoning, and a guest so small that pages must be reused */
	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 4 * PG;
	cfg.poison = false;
	m = th_machine(&cfg);
	g = guest0(m);
	th_assert_err(teesim_kmem_alloc(g, 4, 0, &ipa, (void **) &host), 0);
	memset(host, 0xa5, 4 * PG);
	th_assert_err(teesim_kmem_free(g, ipa, 4), 0);

	/* without the flag the old bytes are still there */
	th_assert_err(teesim_kmem_alloc(g, 4, 0, &ipa2, (void **) &host), 0);
	ck_assert_uint_eq(ipa2, ipa);
	for (uint64_t i = 0; i < 4 * PG; i++)
		ck_assert_uint_eq(host[i], 0xa5);
	th_assert_err(teesim_kmem_free(g, ipa2, 4), 0);

	th_assert_err(teesim_kmem_alloc(g, 4, TEESIM_KMEM_ZERO, &ipa2, (void **) &host), 0);
	ck_assert_uint_eq(ipa2, ipa);
	for (uint64_t i = 0; i < 4 * PG; i++)
		ck_assert_uint_eq(host[i], 0);
	th_assert_err(teesim_kmem_free(g, ipa2, 4), 0);
	th_machine_done(m);
}
END_TEST

/* Kernel pages of an unpoisoned machine are counted in bulk (tsim_pages_take / _release). */
START_TEST(test_kmem_counters_unpoisoned)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g;
	struct teesim_machine_stats st;
	struct teesim_check_report *rep = malloc(sizeof(*rep));
	teesim_ipa_t a = 0, b = 0, c = 0;

	ck_assert_ptr_nonnull(rep);
	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 16 * PG;
	cfg.poison = false;
	m = th_machine(&cfg);
	g = guest0(m);
	th_assert_err(teesim_kmem_alloc(g, 3, 0, &a, NULL), 0);
	th_assert_err(teesim_kmem_alloc(g, 5, 0, &b, NULL), 0);
	teesim_machine_stats(m, &st);
	ck_assert_uint_eq(st.kernel_pages, 8);
	th_check_report("8 kernel pages", teesim_check_machine(m, TEESIM_CHECK_IDLE, rep), 0, rep);
	th_assert_err(teesim_kmem_free(g, a, 3), 0);
	teesim_machine_stats(m, &st);
	ck_assert_uint_eq(st.kernel_pages, 5);
	th_check_report("5 kernel pages", teesim_check_machine(m, TEESIM_CHECK_IDLE, rep), 0, rep);
	/* freeing them again, or a range with free pages in it, changes nothing */
	th_assert_err(teesim_kmem_free(g, a, 3), -EINVAL);
	th_assert_err(teesim_kmem_free(g, b, 6), -EINVAL);
	teesim_machine_stats(m, &st);
	ck_assert_uint_eq(st.kernel_pages, 5);
	ck_assert_uint_eq(st.violations, 4);
	/* the freed pages are taken again, and the rest: the guest is full */
	th_assert_err(teesim_kmem_alloc(g, 8, 0, &c, NULL), 0); /* next fit: after b */
	th_assert_err(teesim_kmem_alloc(g, 3, 0, &a, NULL), 0);
	teesim_machine_stats(m, &st);
	ck_assert_uint_eq(st.kernel_pages, 16);
	th_assert_err(teesim_kmem_alloc(g, 1, 0, NULL, NULL), -ENOMEM);
	th_check_report("16 kernel pages", teesim_check_machine(m, TEESIM_CHECK_IDLE, rep), 0, rep);
	th_assert_err(teesim_kmem_free(g, a, 3), 0);
	th_assert_err(teesim_kmem_free(g, b, 5), 0);
	th_assert_err(teesim_kmem_free(g, c, 8), 0);
	free(rep);
	th_machine_done_expect(m, 4);
}
END_TEST

START_TEST(test_kmem_zero_over_poison)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g;
	teesim_ipa_t ipa = 0;
	unsigned char *host = NULL;

	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 2 * PG;
	m = th_machine(&cfg);
	g = guest0(m);
	th_assert_err(teesim_kmem_alloc(g, 2, 0, &ipa, (void **) &host), 0);
	memset(host, 0x11, 2 * PG);
	th_assert_err(teesim_kmem_free(g, ipa, 2), 0);
	th_assert_err(teesim_kmem_alloc(g, 2, TEESIM_KMEM_ZERO, &ipa, (void **) &host), 0);
	for (uint64_t i = 0; i < 2 * PG; i++)
		ck_assert_uint_eq(host[i], 0);
	th_assert_err(teesim_kmem_free(g, ipa, 2), 0);
	th_machine_done(m);
}
END_TEST

START_TEST(test_kmem_poison)
{
	struct teesim_guest *g = guest0(TH_M);
	teesim_ipa_t ipa = 0;
	unsigned char *host = NULL, buf[TEESIM_PAGE_SIZE];

	ck_assert(teesim_machine_cfg(TH_M)->poison);
	th_assert_err(teesim_kmem_alloc(g, 2, 0, &ipa, (void **) &host), 0);
	memset(host, 0x22, 2 * PG);
	th_assert_err(teesim_kmem_free(g, ipa, 2), 0);
	for (uint64_t i = 0; i < 2; i++) {
		th_assert_err(teesim_phys_read(TH_M, to_pa(g, ipa + i * PG), buf, PG, 0), 0);
		for (uint64_t k = 0; k < PG; k++)
			ck_assert_uint_eq(buf[k], TEESIM_POISON_FREE);
	}
}
END_TEST

START_TEST(test_kmem_alloc_einval)
{
	struct teesim_guest *g = guest0(TH_M);
	teesim_ipa_t ipa = 0;

	th_assert_err(teesim_kmem_alloc(g, 0, 0, &ipa, NULL), -EINVAL);
	th_assert_err(teesim_kmem_alloc(g, 0, TEESIM_KMEM_ZERO, &ipa, NULL), -EINVAL);
	th_assert_err(teesim_kmem_alloc(g, 1, 1u << 1, &ipa, NULL), -EINVAL);
	th_assert_err(teesim_kmem_alloc(g, 1, TEESIM_KMEM_ZERO | (1u << 7), &ipa, NULL), -EINVAL);
	th_assert_err(teesim_kmem_alloc(g, 1, ~0u, &ipa, NULL), -EINVAL);
	ck_assert_uint_eq(stats(TH_M).kernel_pages, 0);
}
END_TEST

START_TEST(test_kmem_alloc_enomem)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g;
	teesim_ipa_t ipa[4];

	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 4 * PG;
	m = th_machine(&cfg);
	g = guest0(m);
	th_assert_err(teesim_kmem_alloc(g, 5, 0, &ipa[0], NULL), -ENOMEM);
	th_assert_err(teesim_kmem_alloc(g, (size_t) 1 << 30, 0, &ipa[0], NULL), -ENOMEM);
	for (int i = 0; i < 4; i++)
		th_assert_err(teesim_kmem_alloc(g, 1, 0, &ipa[i], NULL), 0);
	th_assert_err(teesim_kmem_alloc(g, 1, 0, &(teesim_ipa_t){0}, NULL), -ENOMEM);
	/* two free pages that are not contiguous are no run of two */
	ck_assert_uint_eq(ipa[1], ipa[0] + PG);
	ck_assert_uint_eq(ipa[3], ipa[0] + 3 * PG);
	th_assert_err(teesim_kmem_free(g, ipa[1], 1), 0);
	th_assert_err(teesim_kmem_free(g, ipa[3], 1), 0);
	th_assert_err(teesim_kmem_alloc(g, 2, 0, &(teesim_ipa_t){0}, NULL), -ENOMEM);
	ck_assert_uint_eq(stats(m).kernel_pages, 2);
	th_assert_err(teesim_kmem_free(g, ipa[0], 1), 0);
	th_assert_err(teesim_kmem_free(g, ipa[2], 1), 0);
	th_assert_err(teesim_kmem_alloc(g, 4, 0, &ipa[0], NULL), 0);
	th_assert_err(teesim_kmem_free(g, ipa[0], 4), 0);
	th_machine_done(m);
}
END_TEST

START_TEST(test_kmem_stats)
{
	struct teesim_guest *g = guest0(TH_M);
	teesim_ipa_t a = 0, b = 0;

	th_assert_err(teesim_kmem_alloc(g, 3, 0, &a, NULL), 0);
	ck_assert_uint_eq(stats(TH_M).kernel_pages, 3);
	th_assert_err(teesim_kmem_alloc(g, 5, 0, &b, NULL), 0);
	ck_assert_uint_eq(stats(TH_M).kernel_pages, 8);
	ck_assert(b >= a + 3 * PG || b + 5 * PG <= a);
	th_assert_err(teesim_kmem_free(g, a, 3), 0);
	ck_assert_uint_eq(stats(TH_M).kernel_pages, 5);
	th_assert_err(teesim_kmem_free(g, b, 5), 0);
	ck_assert_uint_eq(stats(TH_M).kernel_pages, 0);
}
END_TEST

START_TEST(test_kmem_double_free)
{
	struct teesim_machine *m = th_machine(NULL);
	struct teesim_guest *g = guest0(m);
	struct teesim_violation v[8];
	teesim_ipa_t ipa = 0;

	th_assert_err(teesim_kmem_alloc(g, 3, 0, &ipa, NULL), 0);
	th_assert_err(teesim_kmem_free(g, ipa, 3), 0);
	ck_assert_uint_eq(teesim_machine_violations(m, NULL, 0), 0);
	th_assert_err(teesim_kmem_free(g, ipa, 3), -EINVAL);
	ck_assert_uint_eq(teesim_machine_violations(m, v, 8), 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(v[i].kind, TEESIM_VIOL_DOUBLE_FREE);
		ck_assert_uint_eq(v[i].addr, ipa + (uint64_t) i * PG);
		ck_assert_int_eq(v[i].guest_id, 0);
	}
	ck_assert_uint_eq(stats(m).violations, 3);
	ck_assert_uint_eq(stats(m).kernel_pages, 0);
	th_machine_done_expect(m, 3);
}
END_TEST

START_TEST(test_kmem_double_free_guest1)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g1;
	struct teesim_violation v[2];
	teesim_ipa_t ipa = 0;

	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 8 * PG;
	m = th_machine(&cfg);
	g1 = teesim_guest_new(m, 8 * PG);
	ck_assert_ptr_nonnull(g1);
	th_assert_err(teesim_kmem_alloc(g1, 1, 0, &ipa, NULL), 0);
	th_assert_err(teesim_kmem_free(g1, ipa, 1), 0);
	th_assert_err(teesim_kmem_free(g1, ipa, 1), -EINVAL);
	ck_assert_uint_eq(teesim_machine_violations(m, v, 2), 1);
	ck_assert_int_eq(v[0].kind, TEESIM_VIOL_DOUBLE_FREE);
	ck_assert_uint_eq(v[0].addr, ipa);
	ck_assert_int_eq(v[0].guest_id, 1);
	th_assert_err(teesim_guest_free(g1), 0);
	th_machine_done_expect(m, 1);
}
END_TEST

START_TEST(test_kmem_free_mixed)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_guest *g;
	struct teesim_violation v[4];
	teesim_ipa_t ipa = 0;
	unsigned char *host = NULL;

	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = 4 * PG;
	m = th_machine(&cfg);
	g = guest0(m);
	th_assert_err(teesim_kmem_alloc(g, 2, 0, &ipa, (void **) &host), 0);
	ck_assert_uint_eq(ipa, cfg.guest_ipa_base); /* the page after it is free */
	memset(host, 0x3c, 2 * PG);
	th_assert_err(teesim_kmem_free(g, ipa, 3), -EINVAL);
	ck_assert_uint_eq(teesim_machine_violations(m, v, 4), 1);
	ck_assert_int_eq(v[0].kind, TEESIM_VIOL_DOUBLE_FREE);
	ck_assert_uint_eq(v[0].addr, ipa + 2 * PG);
	ck_assert_int_eq(v[0].guest_id, 0);
	/* nothing was freed: still allocated, not poisoned */
	ck_assert_uint_eq(stats(m).kernel_pages, 2);
	for (uint64_t i = 0; i < 2; i++)
		ck_assert_int_eq(frame(m, to_pa(g, ipa + i * PG)).owner, TEESIM_OWNER_KERNEL);
	for (uint64_t i = 0; i < 2 * PG; i++)
		ck_assert_uint_eq(host[i], 0x3c);
	th_assert_err(teesim_kmem_free(g, ipa, 2), 0);
	th_machine_done_expect(m, 1);
}
END_TEST

START_TEST(test_kmem_free_user_page)
{
	struct teesim_machine *m = th_machine(NULL);
	struct teesim_guest *g = guest0(m);
	struct teesim_process *p = teesim_process_new(g);
	struct teesim_violation v[2];
	struct teesim_frame_info fi;
	teesim_ipa_t ipa = 0;
	void *addr;

	ck_assert_ptr_nonnull(p);
	addr = teesim_process_mmap(p, PG, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	ck_assert_ptr_nonnull(addr);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) addr, 1, 0, &ipa), 1);
	th_assert_err(teesim_guest_unpin(g, &ipa, 1), 0);

	th_assert_err(teesim_kmem_free(g, ipa, 1), -EINVAL);
	ck_assert_uint_eq(teesim_machine_violations(m, v, 2), 1);
	ck_assert_int_eq(v[0].kind, TEESIM_VIOL_BAD_FREE);
	ck_assert_uint_eq(v[0].addr, ipa);
	ck_assert_int_eq(v[0].guest_id, 0);
	fi = frame(m, to_pa(g, ipa));
	ck_assert_int_eq(fi.owner, TEESIM_OWNER_USER);
	ck_assert(fi.mapped);
	ck_assert_uint_eq(stats(m).user_pages, 1);

	th_assert_err(teesim_process_munmap(p, addr, PG), 0);
	teesim_process_free(p);
	th_machine_done_expect(m, 1);
}
END_TEST

START_TEST(test_kmem_free_unaligned)
{
	struct teesim_guest *g = guest0(TH_M);
	teesim_ipa_t ipa = 0;

	th_assert_err(teesim_kmem_alloc(g, 1, 0, &ipa, NULL), 0);
	th_assert_err(teesim_kmem_free(g, ipa + 1, 1), -EINVAL);
	th_assert_err(teesim_kmem_free(g, ipa + PG / 2, 1), -EINVAL);
	ck_assert_uint_eq(stats(TH_M).kernel_pages, 1);
	th_assert_err(teesim_kmem_free(g, ipa, 1), 0);
	/* teardown checks that none of this recorded a violation */
}
END_TEST

START_TEST(test_kmem_free_outside)
{
	struct teesim_guest *g = guest0(TH_M);
	teesim_ipa_t base = teesim_guest_ipa_base(g);
	uint64_t size = teesim_guest_ram_size(g);

	th_assert_err(teesim_kmem_free(g, base - PG, 1), -EFAULT);
	th_assert_err(teesim_kmem_free(g, base + size, 1), -EFAULT);
	th_assert_err(teesim_kmem_free(g, base + size - PG, 2), -EFAULT);
	th_assert_err(teesim_kmem_free(g, base, (size_t) (size / PG) + 1), -EFAULT);
	th_assert_err(teesim_kmem_free(g, 0, 1), -EFAULT);
	th_assert_err(teesim_kmem_free(g, base + size - PG, SIZE_MAX), -EFAULT);
	/* teardown checks that none of this recorded a violation */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest");
	TCase *tc;

	tc = th_tcase(s, "stage2");
	tcase_add_test(tc, test_identity_map);
	tcase_add_test(tc, test_identity_other_base);
	tcase_add_test(tc, test_guest0_accessors);
	tcase_add_test(tc, test_ipa_to_pa_rejects);
	tcase_add_test(tc, test_pa_to_ipa_rejects);
	tcase_add_test(tc, test_ipa_host);

	tc = th_tcase(s, "shuffle");
	tcase_add_test(tc, test_shuffle_bijection);
	tcase_add_test(tc, test_shuffle_same_seed);
	tcase_add_test(tc, test_shuffle_scattered);
	tcase_add_test(tc, test_shuffle_odd_sizes);
	tcase_add_test(tc, test_shuffle_rejects);

	tc = th_tcase(s, "guests");
	tcase_add_test(tc, test_guests_ids);
	tcase_add_test(tc, test_guest_takes_rest);
	tcase_add_test(tc, test_unassigned_frames);
	tcase_add_test(tc, test_guests_disjoint);
	tcase_add_test(tc, test_guest_new_einval);
	tcase_add_test(tc, test_guest_new_enomem);
	tcase_add_test(tc, test_guest_free_guest0);
	tcase_add_test(tc, test_guest_free_busy_kmem);
	tcase_add_test(tc, test_guest_free_busy_process);
	tcase_add_test(tc, test_guest_ram_reused);

	tc = th_tcase(s, "kmem");
	tcase_add_test(tc, test_kmem_alloc);
	tcase_add_test(tc, test_kmem_null_outputs);
	tcase_add_test(tc, test_kmem_zero_copy_shuffle);
	tcase_add_test(tc, test_kmem_zero_flag);
	tcase_add_test(tc, test_kmem_counters_unpoisoned);
	tcase_add_test(tc, test_kmem_zero_over_poison);
	tcase_add_test(tc, test_kmem_poison);
	tcase_add_test(tc, test_kmem_alloc_einval);
	tcase_add_test(tc, test_kmem_alloc_enomem);
	tcase_add_test(tc, test_kmem_stats);
	tcase_add_test(tc, test_kmem_double_free);
	tcase_add_test(tc, test_kmem_double_free_guest1);
	tcase_add_test(tc, test_kmem_free_mixed);
	tcase_add_test(tc, test_kmem_free_user_page);
	tcase_add_test(tc, test_kmem_free_unaligned);
	tcase_add_test(tc, test_kmem_free_outside);
	return th_run(s);
}
