/* SPDX-License-Identifier: MIT */
/*
 * The machine instance: configuration checks, instances, memory kinds and
 * the frame map, the static shm carve-out, secure allocations, violations
 * and counters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"

#define PAGE   ((uint64_t) TEESIM_PAGE_SIZE)
#define MIB(x) ((uint64_t) (x) << 20)

static struct teesim_machine_cfg default_cfg(void)
{
	struct teesim_machine_cfg cfg;

	teesim_machine_cfg_default(&cfg);
	return cfg;
}

/* ---- configuration ---------------------------------------------------- */

START_TEST(test_cfg_default_values)
{
	struct teesim_machine_cfg cfg;

	memset(&cfg, 0xa5, sizeof(cfg));
	teesim_machine_cfg_default(&cfg);
	ck_assert_uint_eq(cfg.ram_base, 0x40000000);
	ck_assert_uint_eq(cfg.ram_size, MIB(64));
	ck_assert_uint_eq(cfg.secure_base, 0x0e000000);
	ck_assert_uint_eq(cfg.secure_size, MIB(16));
	ck_assert_uint_eq(cfg.static_shm_size, MIB(2));
	ck_assert_uint_eq(cfg.static_shm_base, 0x40000000 - MIB(2));
	ck_assert_uint_eq(cfg.guest_ipa_base, 0x40000000);
	ck_assert_uint_eq(cfg.guest0_size, 0);
	ck_assert_int_eq(cfg.remap, TEESIM_REMAP_IDENTITY);
	ck_assert_uint_eq(cfg.seed, 0);
	ck_assert(cfg.poison);
	ck_assert(cfg.allow_host_memory);
}
END_TEST

START_TEST(test_new_null_is_default)
{
	struct teesim_machine_cfg def = default_cfg();
	struct teesim_machine *m = th_machine(NULL);
	const struct teesim_machine_cfg *got = teesim_machine_cfg(m);
	struct teesim_guest *g0 = teesim_machine_guest(m, 0);

	ck_assert_uint_eq(got->ram_base, def.ram_base);
	ck_assert_uint_eq(got->ram_size, def.ram_size);
	ck_assert_uint_eq(got->secure_base, def.secure_base);
	ck_assert_uint_eq(got->secure_size, def.secure_size);
	ck_assert_uint_eq(got->static_shm_base, def.static_shm_base);
	ck_assert_uint_eq(got->static_shm_size, def.static_shm_size);
	ck_assert_uint_eq(got->guest_ipa_base, def.guest_ipa_base);
	ck_assert_int_eq(got->remap, def.remap);
	ck_assert(got->poison && got->allow_host_memory);
	/* guest 0 owns all of RAM */
	ck_assert_ptr_nonnull(g0);
	ck_assert_uint_eq(teesim_guest_id(g0), 0);
	ck_assert_uint_eq(teesim_guest_ram_size(g0), MIB(64));
	ck_assert_uint_eq(teesim_guest_ipa_base(g0), 0x40000000);
	ck_assert_ptr_null(teesim_machine_guest(m, 1));
	th_machine_done(m);
}
END_TEST

START_TEST(test_cfg_is_kept)
{
	struct teesim_machine_cfg cfg = default_cfg();
	struct teesim_machine *m;
	const struct teesim_machine_cfg *got;

	cfg.ram_base = 0x80000000;
	cfg.ram_size = MIB(8);
	cfg.guest0_size = MIB(4);
	cfg.remap = TEESIM_REMAP_SHUFFLE;
	cfg.seed = 1234;
	cfg.poison = false;
	cfg.allow_host_memory = false;
	m = th_machine(&cfg);
	got = teesim_machine_cfg(m);
	ck_assert_uint_eq(got->ram_base, 0x80000000);
	ck_assert_uint_eq(got->ram_size, MIB(8));
	ck_assert_uint_eq(got->guest0_size, MIB(4));
	ck_assert_int_eq(got->remap, TEESIM_REMAP_SHUFFLE);
	ck_assert_uint_eq(got->seed, 1234);
	ck_assert(!got->poison && !got->allow_host_memory);
	ck_assert_uint_eq(teesim_guest_ram_size(teesim_machine_guest(m, 0)), MIB(4));
	th_machine_done(m);
}
END_TEST

/* Make @c invalid in the @i-th way; returns what was done, or NULL past the last. */
static const char *make_bad_cfg(int i, struct teesim_machine_cfg *c)
{
	switch (i) {
	case 0:
		c->ram_base += 0x800;
		return "ram_base unaligned";
	case 1:
		c->ram_size += 100;
		return "ram_size unaligned";
	case 2:
		c->ram_size = 0;
		return "ram_size 0";
	case 3:
		c->secure_base += 1;
		return "secure_base unaligned";
	case 4:
		c->secure_size -= 1;
		return "secure_size unaligned";
	case 5:
		c->static_shm_base += 0x10;
		return "static_shm_base unaligned";
	case 6:
		c->static_shm_size += 0x200;
		return "static_shm_size unaligned";
	case 7:
		c->guest_ipa_base += 8;
		return "guest_ipa_base unaligned";
	case 8:
		c->secure_base = c->ram_base + MIB(1);
		return "secure RAM inside RAM";
	case 9:
		c->static_shm_size = 0;
		c->secure_base = c->ram_base - 2 * PAGE;
		c->secure_size = 3 * PAGE; /* its last page is RAM's first */
		return "secure RAM overlaps RAM start";
	case 10:
		c->secure_base = c->ram_base + c->ram_size - PAGE;
		return "secure RAM overlaps RAM end";
	case 11:
		c->static_shm_base += PAGE; /* its last page is now RAM's first */
		return "carve-out overlaps RAM start";
	case 12:
		c->static_shm_base = c->ram_base + c->ram_size - PAGE;
		return "carve-out overlaps RAM end";
	case 13:
		c->static_shm_base = c->ram_base;
		c->static_shm_size = c->ram_size;
		return "carve-out is RAM";
	case 14:
		c->static_shm_base = c->secure_base + c->secure_size - PAGE;
		return "carve-out overlaps secure end";
	case 15:
		c->static_shm_base = c->secure_base + MIB(4);
		return "carve-out inside secure RAM";
	case 16:
		c->ram_base = UINT64_MAX - MIB(1) + 1; /* aligned, but 64 MiB do not fit */
		return "RAM wraps";
	case 17:
		c->secure_base = UINT64_MAX - PAGE + 1;
		c->secure_size = 2 * PAGE;
		return "secure RAM wraps";
	case 18:
		c->static_shm_base = UINT64_MAX - PAGE + 1;
		return "carve-out wraps";
	case 19:
		c->guest_ipa_base = UINT64_MAX - MIB(1) + 1;
		return "guest IPA range wraps";
	case 20:
		c->guest0_size = c->ram_size + PAGE;
		return "guest0_size > ram_size";
	case 21:
		c->guest0_size = MIB(1) + 1;
		return "guest0_size unaligned";
	case 22:
		c->remap = (enum teesim_remap) 2;
		return "remap 2";
	case 23:
		c->remap = (enum teesim_remap) 0x7fffffff;
		return "remap 0x7fffffff";
	}
	return NULL;
}

#define N_BAD_CFGS 24

START_TEST(test_cfg_invalid)
{
	struct teesim_machine_cfg cfg = default_cfg();
	const char *what = make_bad_cfg(_i, &cfg);
	struct teesim_machine *m;

	ck_assert_ptr_nonnull(what);
	errno = 0;
	m = teesim_machine_new(&cfg);
	if (m)
		teesim_machine_free(m);
	ck_assert_msg(m == NULL, "%s: machine created", what);
	ck_assert_msg(errno == EINVAL, "%s: errno %d (%s), expected EINVAL", what, errno,
		      strerror(errno));
}
END_TEST

/* N_BAD_CFGS covers every case of make_bad_cfg(). */
START_TEST(test_cfg_invalid_list_complete)
{
	struct teesim_machine_cfg cfg = default_cfg();

	ck_assert_ptr_null(make_bad_cfg(N_BAD_CFGS, &cfg));
}
END_TEST

/* Regions that touch without overlapping, and empty optional regions, are fine. */
START_TEST(test_cfg_valid_edges)
{
	struct teesim_machine_cfg cfg = default_cfg();
	struct teesim_machine *m;
	teesim_pa_t pa;

	cfg.secure_base = cfg.ram_base + cfg.ram_size; /* right after RAM */
	cfg.guest0_size = cfg.ram_size;
	m = th_machine(&cfg);
	ck_assert_int_eq(teesim_phys_kind(m, cfg.ram_base + cfg.ram_size - 1), TEESIM_MEM_RAM);
	ck_assert_int_eq(teesim_phys_kind(m, cfg.ram_base + cfg.ram_size), TEESIM_MEM_SECURE);
	th_machine_done(m);

	cfg = default_cfg();
	cfg.secure_size = 0;
	cfg.static_shm_size = 0;
	cfg.ram_size = PAGE;
	m = th_machine(&cfg);
	ck_assert_int_eq(teesim_phys_kind(m, cfg.secure_base), TEESIM_MEM_NONE);
	ck_assert_int_eq(teesim_phys_kind(m, cfg.ram_base - 1), TEESIM_MEM_NONE);
	th_assert_err(teesim_secure_alloc(m, 1, &pa, NULL), -ENOMEM);
	th_machine_done(m);
}
END_TEST

/* ---- instances -------------------------------------------------------- */

#define NMACHINES 16

START_TEST(test_many_machines_independent)
{
	struct teesim_machine *m[NMACHINES];
	struct teesim_machine_cfg cfg = default_cfg();
	const teesim_pa_t where[3] = {cfg.ram_base + 0x1230, cfg.secure_base + 0x4560,
				      cfg.static_shm_base + 0x7890};

	for (int i = 0; i < NMACHINES; i++) {
		m[i] = th_machine(NULL);
		for (int k = 0; k < 3; k++) {
			uint32_t v = 0x1000u * (uint32_t) i + (uint32_t) k;

			ck_assert_int_eq(
			    teesim_phys_write(m[i], where[k], &v, sizeof(v), TEESIM_ACC_SECURE), 0);
		}
		teesim_clock_advance(m[i], 100u * (uint64_t) i);
	}
	for (int i = 0; i < NMACHINES; i++) {
		for (int k = 0; k < 3; k++) {
			uint32_t v = 0;

			ck_assert_int_eq(
			    teesim_phys_read(m[i], where[k], &v, sizeof(v), TEESIM_ACC_SECURE), 0);
			ck_assert_uint_eq(v, 0x1000u * (uint32_t) i + (uint32_t) k);
		}
		ck_assert_uint_eq(teesim_clock_now(m[i]), 100u * (uint64_t) i);
	}
	/* a violation in one machine is not seen by the others */
	{
		uint8_t b;

		th_assert_err(teesim_phys_read(m[3], cfg.secure_base, &b, 1, TEESIM_ACC_NS),
			      -EPERM);
		for (int i = 0; i < NMACHINES; i++)
			ck_assert_uint_eq(teesim_machine_violations(m[i], NULL, 0), i == 3 ? 1 : 0);
	}
	for (int i = 0; i < NMACHINES; i++)
		th_machine_done_expect(m[i], i == 3 ? 1 : 0);
}
END_TEST

static uint64_t resident_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, resident = 0;
	int n;

	ck_assert_ptr_nonnull(f);
	n = fscanf(f, "%lu %lu", &size, &resident);
	fclose(f);
	ck_assert_int_eq(n, 2);
	return (uint64_t) resident * (uint64_t) sysconf(_SC_PAGESIZE);
}

START_TEST(test_big_machine_is_cheap)
{
	struct teesim_machine_cfg cfg = default_cfg();
	struct teesim_machine *m;
	uint64_t before, after;
	uint32_t v = 0xfeedf00d, r = 0;

	cfg.ram_size = (uint64_t) 1 << 30;
	cfg.remap = TEESIM_REMAP_SHUFFLE;
	before = resident_bytes();
	m = th_machine(&cfg);
	after = resident_bytes();
	ck_assert_msg(after < before + MIB(8), "1 GiB machine made %llu KiB resident",
		      (unsigned long long) ((after > before ? after - before : 0) >> 10));
	/* and it works, up to its last byte */
	ck_assert_uint_eq(teesim_guest_ram_size(teesim_machine_guest(m, 0)), (uint64_t) 1 << 30);
	ck_assert_int_eq(teesim_phys_write(m, cfg.ram_base + cfg.ram_size - 4, &v, 4, 0), 0);
	ck_assert_int_eq(teesim_phys_read(m, cfg.ram_base + cfg.ram_size - 4, &r, 4, 0), 0);
	ck_assert_uint_eq(r, 0xfeedf00d);
	th_machine_done(m);
}
END_TEST

START_TEST(test_version)
{
	ck_assert_uint_gt(teesim_version(), 0);
	ck_assert_uint_eq(teesim_version(), teesim_version());
}
END_TEST

START_TEST(test_free_null)
{
	teesim_machine_free(NULL);
}
END_TEST

/* ---- memory kinds ----------------------------------------------------- */

START_TEST(test_phys_kind_boundaries)
{
	const struct teesim_machine_cfg *c = teesim_machine_cfg(TH_M);
	teesim_pa_t ram_end = c->ram_base + c->ram_size;
	teesim_pa_t sec_end = c->secure_base + c->secure_size;
	teesim_pa_t shm_end = c->static_shm_base + c->static_shm_size;

	ck_assert_int_eq(teesim_phys_kind(TH_M, c->ram_base), TEESIM_MEM_RAM);
	ck_assert_int_eq(teesim_phys_kind(TH_M, c->ram_base + 0x12345), TEESIM_MEM_RAM);
	ck_assert_int_eq(teesim_phys_kind(TH_M, ram_end - 1), TEESIM_MEM_RAM);
	ck_assert_int_eq(teesim_phys_kind(TH_M, ram_end), TEESIM_MEM_NONE);

	ck_assert_int_eq(teesim_phys_kind(TH_M, c->secure_base - 1), TEESIM_MEM_NONE);
	ck_assert_int_eq(teesim_phys_kind(TH_M, c->secure_base), TEESIM_MEM_SECURE);
	ck_assert_int_eq(teesim_phys_kind(TH_M, sec_end - 1), TEESIM_MEM_SECURE);
	ck_assert_int_eq(teesim_phys_kind(TH_M, sec_end), TEESIM_MEM_NONE);

	ck_assert_int_eq(teesim_phys_kind(TH_M, c->static_shm_base - 1), TEESIM_MEM_NONE);
	ck_assert_int_eq(teesim_phys_kind(TH_M, c->static_shm_base), TEESIM_MEM_STATIC_SHM);
	ck_assert_int_eq(teesim_phys_kind(TH_M, shm_end - 1), TEESIM_MEM_STATIC_SHM);
	ck_assert_uint_eq(shm_end, c->ram_base); /* the default carve-out ends at RAM */

	ck_assert_int_eq(teesim_phys_kind(TH_M, 0), TEESIM_MEM_NONE);
	ck_assert_int_eq(teesim_phys_kind(TH_M, UINT64_MAX), TEESIM_MEM_NONE);
}
END_TEST

START_TEST(test_phys_range_kind_inside)
{
	const struct teesim_machine_cfg *c = teesim_machine_cfg(TH_M);
	enum teesim_mem_kind k = TEESIM_MEM_NONE;

	ck_assert_int_eq(teesim_phys_range_kind(TH_M, c->ram_base, c->ram_size, &k), 0);
	ck_assert_int_eq(k, TEESIM_MEM_RAM);
	k = TEESIM_MEM_NONE;
	ck_assert_int_eq(teesim_phys_range_kind(TH_M, c->ram_base + c->ram_size - 1, 1, &k), 0);
	ck_assert_int_eq(k, TEESIM_MEM_RAM);
	ck_assert_int_eq(teesim_phys_range_kind(TH_M, c->secure_base, c->secure_size, &k), 0);
	ck_assert_int_eq(k, TEESIM_MEM_SECURE);
	ck_assert_int_eq(teesim_phys_range_kind(TH_M, c->secure_base + c->secure_size - 8, 8, &k),
			 0);
	ck_assert_int_eq(k, TEESIM_MEM_SECURE);
	ck_assert_int_eq(teesim_phys_range_kind(TH_M, c->static_shm_base, c->static_shm_size, &k),
			 0);
	ck_assert_int_eq(k, TEESIM_MEM_STATIC_SHM);
	/* kind may be NULL */
	ck_assert_int_eq(teesim_phys_range_kind(TH_M, c->ram_base, PAGE, NULL), 0);
}
END_TEST

START_TEST(test_phys_range_kind_rejects)
{
	const struct teesim_machine_cfg *c = teesim_machine_cfg(TH_M);
	teesim_pa_t ram_end = c->ram_base + c->ram_size;
	enum teesim_mem_kind k;

	/* len 0, even at a valid address */
	th_assert_err(teesim_phys_range_kind(TH_M, c->ram_base, 0, &k), -EFAULT);
	/* one byte past the end of each region */
	th_assert_err(teesim_phys_range_kind(TH_M, c->ram_base, c->ram_size + 1, &k), -EFAULT);
	th_assert_err(teesim_phys_range_kind(TH_M, ram_end - 1, 2, &k), -EFAULT);
	th_assert_err(teesim_phys_range_kind(TH_M, c->secure_base, c->secure_size + 1, &k),
		      -EFAULT);
	/* starting outside */
	th_assert_err(teesim_phys_range_kind(TH_M, ram_end, 1, &k), -EFAULT);
	th_assert_err(teesim_phys_range_kind(TH_M, c->secure_base - 1, 2, &k), -EFAULT);
	/* carve-out then RAM: adjacent, but two regions */
	th_assert_err(teesim_phys_range_kind(TH_M, c->ram_base - 1, 2, &k), -EFAULT);
	th_assert_err(
	    teesim_phys_range_kind(TH_M, c->static_shm_base, c->static_shm_size + c->ram_size, &k),
	    -EFAULT);
	/* wrapping around the address space */
	th_assert_err(teesim_phys_range_kind(TH_M, c->ram_base, UINT64_MAX, &k), -EFAULT);
	th_assert_err(teesim_phys_range_kind(TH_M, c->ram_base + 16, UINT64_MAX - 8, &k), -EFAULT);
}
END_TEST

/* Secure RAM right after RAM: a range over both is still refused. */
START_TEST(test_phys_range_kind_adjacent_secure)
{
	struct teesim_machine_cfg cfg = default_cfg();
	struct teesim_machine *m;
	enum teesim_mem_kind k;
	teesim_pa_t end;

	cfg.secure_base = cfg.ram_base + cfg.ram_size;
	end = cfg.secure_base;
	m = th_machine(&cfg);
	th_assert_err(teesim_phys_range_kind(m, end - PAGE, 2 * PAGE, &k), -EFAULT);
	ck_assert_int_eq(teesim_phys_range_kind(m, end, PAGE, &k), 0);
	ck_assert_int_eq(k, TEESIM_MEM_SECURE);
	th_machine_done(m);
}
END_TEST

/* ---- frame map -------------------------------------------------------- */

START_TEST(test_frame_info_ram)
{
	const struct teesim_machine_cfg *c = teesim_machine_cfg(TH_M);
	struct teesim_guest *g = teesim_machine_guest(TH_M, 0);
	struct teesim_frame_info fi;
	teesim_ipa_t ipa;
	teesim_pa_t pa;

	ck_assert_int_eq(teesim_frame_info(TH_M, c->ram_base + 5 * PAGE + 77, &fi), 0);
	ck_assert_uint_eq(fi.pa, c->ram_base + 5 * PAGE);
	ck_assert_int_eq(fi.kind, TEESIM_MEM_RAM);
	ck_assert_int_eq(fi.owner, TEESIM_OWNER_FREE);
	ck_assert(!fi.secure);
	ck_assert_int_eq(fi.guest_id, 0);
	ck_assert_uint_eq(fi.ipa, c->guest_ipa_base + 5 * PAGE); /* identity remap */
	ck_assert_uint_eq(fi.pin_count, 0);
	ck_assert_uint_eq(fi.process_id, 0);

	ck_assert_int_eq(teesim_kmem_alloc(g, 2, 0, &ipa, NULL), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(teesim_guest_ipa_to_pa(g, ipa + (uint64_t) i * PAGE, &pa), 0);
		ck_assert_int_eq(teesim_frame_info(TH_M, pa, &fi), 0);
		ck_assert_uint_eq(fi.pa, pa);
		ck_assert_int_eq(fi.owner, TEESIM_OWNER_KERNEL);
		ck_assert_int_eq(fi.guest_id, 0);
		ck_assert_uint_eq(fi.ipa, ipa + (uint64_t) i * PAGE);
		ck_assert_uint_eq(fi.pin_count, 0);
	}
	ck_assert_int_eq(teesim_kmem_free(g, ipa, 2), 0);
	ck_assert_int_eq(teesim_guest_ipa_to_pa(g, ipa, &pa), 0);
	ck_assert_int_eq(teesim_frame_info(TH_M, pa, &fi), 0);
	ck_assert_int_eq(fi.owner, TEESIM_OWNER_FREE);
}
END_TEST

START_TEST(test_frame_info_shuffled_ipa)
{
	struct teesim_machine_cfg cfg = default_cfg();
	struct teesim_machine *m;
	struct teesim_guest *g;
	struct teesim_frame_info fi;
	teesim_ipa_t ipa;
	teesim_pa_t pa;
	int moved = 0;

	cfg.remap = TEESIM_REMAP_SHUFFLE;
	cfg.seed = 7;
	m = th_machine(&cfg);
	g = teesim_machine_guest(m, 0);
	ck_assert_int_eq(teesim_kmem_alloc(g, 8, 0, &ipa, NULL), 0);
	for (int i = 0; i < 8; i++) {
		teesim_ipa_t want = ipa + (uint64_t) i * PAGE;

		ck_assert_int_eq(teesim_guest_ipa_to_pa(g, want + 9, &pa), 0);
		moved += pa - 9 != cfg.ram_base + (want - cfg.guest_ipa_base);
		ck_assert_int_eq(teesim_frame_info(m, pa, &fi), 0);
		ck_assert_uint_eq(fi.pa, pa - 9);
		ck_assert_int_eq(fi.owner, TEESIM_OWNER_KERNEL);
		ck_assert_int_eq(fi.guest_id, 0);
		ck_assert_uint_eq(fi.ipa, want);
	}
	ck_assert_int_gt(moved, 0);
	ck_assert_int_eq(teesim_kmem_free(g, ipa, 8), 0);
	th_machine_done(m);
}
END_TEST

START_TEST(test_frame_info_unassigned)
{
	struct teesim_machine_cfg cfg = default_cfg();
	struct teesim_machine *m;
	struct teesim_frame_info fi;

	cfg.guest0_size = MIB(32);
	m = th_machine(&cfg);
	ck_assert_int_eq(teesim_frame_info(m, cfg.ram_base + MIB(32) - PAGE, &fi), 0);
	ck_assert_int_eq(fi.owner, TEESIM_OWNER_FREE);
	ck_assert_int_eq(fi.guest_id, 0);
	ck_assert_int_eq(teesim_frame_info(m, cfg.ram_base + MIB(32), &fi), 0);
	ck_assert_int_eq(fi.kind, TEESIM_MEM_RAM);
	ck_assert_int_eq(fi.owner, TEESIM_OWNER_UNASSIGNED);
	ck_assert_int_eq(fi.guest_id, -1);
	th_machine_done(m);
}
END_TEST

START_TEST(test_frame_info_static_shm)
{
	const struct teesim_machine_cfg *c = teesim_machine_cfg(TH_M);
	struct teesim_frame_info fi;

	ck_assert_int_eq(teesim_frame_info(TH_M, c->static_shm_base + PAGE + 1, &fi), 0);
	ck_assert_uint_eq(fi.pa, c->static_shm_base + PAGE);
	ck_assert_int_eq(fi.kind, TEESIM_MEM_STATIC_SHM);
	ck_assert_int_eq(fi.owner, TEESIM_OWNER_STATIC_SHM);
	ck_assert(!fi.secure);
	ck_assert_int_eq(fi.guest_id, -1);
	ck_assert_uint_eq(fi.pin_count, 0);
}
END_TEST

START_TEST(test_frame_info_secure)
{
	const struct teesim_machine_cfg *c = teesim_machine_cfg(TH_M);
	struct teesim_frame_info fi;
	teesim_pa_t pa;

	ck_assert_int_eq(teesim_frame_info(TH_M, c->secure_base + c->secure_size - 1, &fi), 0);
	ck_assert_uint_eq(fi.pa, c->secure_base + c->secure_size - PAGE);
	ck_assert_int_eq(fi.kind, TEESIM_MEM_SECURE);
	ck_assert_int_eq(fi.owner, TEESIM_OWNER_SECURE_FREE);
	ck_assert(fi.secure);
	ck_assert_int_eq(fi.guest_id, -1);

	ck_assert_int_eq(teesim_secure_alloc(TH_M, 1, &pa, NULL), 0);
	ck_assert_int_eq(teesim_frame_info(TH_M, pa, &fi), 0);
	ck_assert_uint_eq(fi.pa, pa);
	ck_assert_int_eq(fi.owner, TEESIM_OWNER_SECURE);
	ck_assert(fi.secure);
	ck_assert_int_eq(teesim_secure_free(TH_M, pa, 1), 0);
	ck_assert_int_eq(teesim_frame_info(TH_M, pa, &fi), 0);
	ck_assert_int_eq(fi.owner, TEESIM_OWNER_SECURE_FREE);
}
END_TEST

START_TEST(test_frame_info_outside)
{
	const struct teesim_machine_cfg *c = teesim_machine_cfg(TH_M);
	struct teesim_frame_info fi;

	th_assert_err(teesim_frame_info(TH_M, 0, &fi), -EFAULT);
	th_assert_err(teesim_frame_info(TH_M, c->ram_base + c->ram_size, &fi), -EFAULT);
	th_assert_err(teesim_frame_info(TH_M, c->secure_base - 1, &fi), -EFAULT);
	th_assert_err(teesim_frame_info(TH_M, c->static_shm_base - 1, &fi), -EFAULT);
	th_assert_err(teesim_frame_info(TH_M, UINT64_MAX, &fi), -EFAULT);
}
END_TEST

/* ---- static shm carve-out --------------------------------------------- */

START_TEST(test_static_shm_values)
{
	teesim_pa_t pa = 0;
	uint64_t size = 0;
	void *host = NULL;
	unsigned char *h;
	unsigned char b = 0;

	ck_assert_int_eq(teesim_machine_static_shm(TH_M, &pa, &size, &host), 0);
	ck_assert_uint_eq(pa, 0x40000000 - MIB(2));
	ck_assert_uint_eq(size, MIB(2));
	ck_assert_ptr_nonnull(host);
	ck_assert_int_eq(teesim_machine_static_shm(TH_M, NULL, NULL, NULL), 0);

	/* the host pointer is the carve-out itself, both ways */
	h = host;
	h[size - 1] = 0x5a;
	ck_assert_int_eq(teesim_phys_read(TH_M, pa + size - 1, &b, 1, TEESIM_ACC_NS), 0);
	ck_assert_uint_eq(b, 0x5a);
	b = 0xc3;
	ck_assert_int_eq(teesim_phys_write(TH_M, pa + 100, &b, 1, TEESIM_ACC_NS), 0);
	ck_assert_uint_eq(h[100], 0xc3);
}
END_TEST

START_TEST(test_static_shm_none)
{
	struct teesim_machine_cfg cfg = default_cfg();
	struct teesim_machine *m;
	teesim_pa_t pa = 1;
	uint64_t size = 1;
	void *host = NULL;

	cfg.static_shm_size = 0;
	m = th_machine(&cfg);
	th_assert_err(teesim_machine_static_shm(m, &pa, &size, &host), -ENOENT);
	th_assert_err(teesim_machine_static_shm(m, NULL, NULL, NULL), -ENOENT);
	ck_assert_int_eq(teesim_phys_kind(m, cfg.static_shm_base), TEESIM_MEM_NONE);
	th_machine_done(m);
}
END_TEST

/* ---- secure allocations ----------------------------------------------- */

/* A machine with @npages pages of secure RAM. */
static struct teesim_machine *small_secure(uint64_t npages, bool poison)
{
	struct teesim_machine_cfg cfg = default_cfg();

	cfg.secure_size = npages * PAGE;
	cfg.poison = poison;
	return th_machine(&cfg);
}

static bool all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

START_TEST(test_secure_alloc_contiguous)
{
	const struct teesim_machine_cfg *c = teesim_machine_cfg(TH_M);
	struct teesim_frame_info fi;
	struct teesim_machine_stats st;
	teesim_pa_t pa = 0;
	void *host = NULL;
	unsigned char *h;

	ck_assert_int_eq(teesim_secure_alloc(TH_M, 5, &pa, &host), 0);
	ck_assert_ptr_nonnull(host);
	ck_assert_uint_eq(pa & (PAGE - 1), 0);
	ck_assert_uint_ge(pa, c->secure_base);
	ck_assert_uint_le(pa + 5 * PAGE, c->secure_base + c->secure_size);
	h = host;
	for (int i = 0; i < 5; i++) {
		uint32_t v = 0;

		ck_assert_int_eq(teesim_frame_info(TH_M, pa + (uint64_t) i * PAGE, &fi), 0);
		ck_assert_int_eq(fi.owner, TEESIM_OWNER_SECURE);
		/* host bytes are contiguous and are the frames at pa + i pages */
		memcpy(h + (size_t) i * PAGE + 12, &(uint32_t){0xabc00 + (uint32_t) i}, 4);
		ck_assert_int_eq(
		    teesim_phys_read(TH_M, pa + (uint64_t) i * PAGE + 12, &v, 4, TEESIM_ACC_SECURE),
		    0);
		ck_assert_uint_eq(v, 0xabc00 + (uint32_t) i);
	}
	teesim_machine_stats(TH_M, &st);
	ck_assert_uint_eq(st.secure_pages, 5);
	ck_assert_int_eq(teesim_secure_free(TH_M, pa, 5), 0);
	teesim_machine_stats(TH_M, &st);
	ck_assert_uint_eq(st.secure_pages, 0);
}
END_TEST

START_TEST(test_secure_alloc_host_optional)
{
	teesim_pa_t a, b;

	ck_assert_int_eq(teesim_secure_alloc(TH_M, 1, &a, NULL), 0);
	ck_assert_int_eq(teesim_secure_alloc(TH_M, 1, &b, NULL), 0);
	ck_assert_uint_ne(a, b);
	ck_assert_int_eq(teesim_secure_free(TH_M, a, 1), 0);
	ck_assert_int_eq(teesim_secure_free(TH_M, b, 1), 0);
}
END_TEST

START_TEST(test_secure_alloc_zeroed)
{
	/* poisoning off, so the old bytes stay until the allocator zeroes them */
	struct teesim_machine *m = small_secure(4, false);
	teesim_pa_t pa, pa2;
	void *host;
	unsigned char buf[4 * TEESIM_PAGE_SIZE];

	ck_assert_int_eq(teesim_secure_alloc(m, 4, &pa, &host), 0);
	ck_assert(all_bytes(host, sizeof(buf), 0));
	memset(host, 0xee, sizeof(buf));
	ck_assert_int_eq(teesim_secure_free(m, pa, 4), 0);
	/* all of secure RAM again: the same, dirty frames */
	ck_assert_int_eq(teesim_secure_alloc(m, 4, &pa2, NULL), 0);
	ck_assert_uint_eq(pa2, pa);
	ck_assert_int_eq(teesim_phys_read(m, pa2, buf, sizeof(buf), TEESIM_ACC_SECURE), 0);
	ck_assert(all_bytes(buf, sizeof(buf), 0));
	ck_assert_int_eq(teesim_secure_free(m, pa2, 4), 0);
	th_machine_done(m);
}
END_TEST

START_TEST(test_secure_alloc_errors)
{
	const struct teesim_machine_cfg *c = teesim_machine_cfg(TH_M);
	teesim_pa_t pa = 0x1234;
	struct teesim_machine_stats st;

	th_assert_err(teesim_secure_alloc(TH_M, 0, &pa, NULL), -EINVAL);
	th_assert_err(teesim_secure_alloc(TH_M, c->secure_size / PAGE + 1, &pa, NULL), -ENOMEM);
	th_assert_err(teesim_secure_alloc(TH_M, SIZE_MAX, &pa, NULL), -ENOMEM);
	teesim_machine_stats(TH_M, &st);
	ck_assert_uint_eq(st.secure_pages, 0);
	/* exactly all of it fits */
	ck_assert_int_eq(teesim_secure_alloc(TH_M, c->secure_size / PAGE, &pa, NULL), 0);
	ck_assert_uint_eq(pa, c->secure_base);
	th_assert_err(teesim_secure_alloc(TH_M, 1, &pa, NULL), -ENOMEM);
	ck_assert_int_eq(teesim_secure_free(TH_M, c->secure_base, c->secure_size / PAGE), 0);
}
END_TEST

static int cmp_pa(const void *a, const void *b)
{
	teesim_pa_t x = *(const teesim_pa_t *) a, y = *(const teesim_pa_t *) b;

	return x < y ? -1 : x > y;
}

/* Two free pages that are not adjacent do not make a run of two. */
START_TEST(test_secure_alloc_needs_a_run)
{
	struct teesim_machine *m = small_secure(4, true);
	teesim_pa_t p[4], pa;

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(teesim_secure_alloc(m, 1, &p[i], NULL), 0);
	qsort(p, 4, sizeof(p[0]), cmp_pa);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(p[i], teesim_machine_cfg(m)->secure_base + (uint64_t) i * PAGE);
	ck_assert_int_eq(teesim_secure_free(m, p[0], 1), 0);
	ck_assert_int_eq(teesim_secure_free(m, p[2], 1), 0);
	th_assert_err(teesim_secure_alloc(m, 2, &pa, NULL), -ENOMEM);
	ck_assert_int_eq(teesim_secure_free(m, p[1], 1), 0);
	/* p[0..2] are now the only free run of three */
	ck_assert_int_eq(teesim_secure_alloc(m, 3, &pa, NULL), 0);
	ck_assert_uint_eq(pa, p[0]);
	ck_assert_int_eq(teesim_secure_free(m, pa, 3), 0);
	ck_assert_int_eq(teesim_secure_free(m, p[3], 1), 0);
	th_machine_done(m);
}
END_TEST

START_TEST(test_secure_double_free)
{
	teesim_pa_t pa;
	struct teesim_violation v[4];

	ck_assert_int_eq(teesim_secure_alloc(TH_M, 1, &pa, NULL), 0);
	ck_assert_int_eq(teesim_secure_free(TH_M, pa, 1), 0);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 0);
	th_assert_err(teesim_secure_free(TH_M, pa, 1), -EINVAL);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, v, 4), 1);
	ck_assert_int_eq(v[0].kind, TEESIM_VIOL_DOUBLE_FREE);
	ck_assert_uint_eq(v[0].addr, pa);
	ck_assert_int_eq(v[0].guest_id, -1);
	teesim_machine_clear_violations(TH_M);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 0);
}
END_TEST

/* A range that is only partly allocated: nothing is freed. */
START_TEST(test_secure_free_partial_frees_nothing)
{
	struct teesim_machine *m = small_secure(4, true);
	struct teesim_violation v[4];
	struct teesim_frame_info fi;
	struct teesim_machine_stats st;
	teesim_pa_t pa;

	/* pa allocated, pa + 1 page free */
	ck_assert_int_eq(teesim_secure_alloc(m, 2, &pa, NULL), 0);
	ck_assert_int_eq(teesim_secure_free(m, pa + PAGE, 1), 0);
	th_assert_err(teesim_secure_free(m, pa, 2), -EINVAL);
	ck_assert_int_eq(teesim_frame_info(m, pa, &fi), 0);
	ck_assert_int_eq(fi.owner, TEESIM_OWNER_SECURE);
	teesim_machine_stats(m, &st);
	ck_assert_uint_eq(st.secure_pages, 1);
	ck_assert_uint_eq(teesim_machine_violations(m, v, 4), 1);
	ck_assert_int_eq(v[0].kind, TEESIM_VIOL_DOUBLE_FREE);
	ck_assert_uint_eq(v[0].addr, pa + PAGE);
	ck_assert_int_eq(teesim_secure_free(m, pa, 1), 0);
	th_machine_done_expect(m, 1);
}
END_TEST

START_TEST(test_secure_free_outside)
{
	const struct teesim_machine_cfg *c = teesim_machine_cfg(TH_M);
	struct teesim_machine_stats st;
	teesim_pa_t pa;

	ck_assert_int_eq(teesim_secure_alloc(TH_M, 1, &pa, NULL), 0);
	th_assert_err(teesim_secure_free(TH_M, c->ram_base, 1), -EINVAL);
	th_assert_err(teesim_secure_free(TH_M, c->static_shm_base, 1), -EINVAL);
	th_assert_err(teesim_secure_free(TH_M, 0, 1), -EINVAL);
	/* starts in secure RAM, runs past its end */
	th_assert_err(teesim_secure_free(TH_M, c->secure_base + c->secure_size - PAGE, 2), -EINVAL);
	th_assert_err(teesim_secure_free(TH_M, pa, 0), -EINVAL);
	teesim_machine_stats(TH_M, &st);
	ck_assert_uint_eq(st.secure_pages, 1);
	ck_assert_int_eq(teesim_secure_free(TH_M, pa, 1), 0);
	teesim_machine_clear_violations(TH_M);
}
END_TEST

/*
 * machine.h: "Every frame must be a secure allocation: otherwise nothing is
 * freed, -EINVAL is returned and a violation is recorded." A RAM frame is not
 * a secure allocation.
 */
START_TEST(test_secure_free_outside_records_violation)
{
	const struct teesim_machine_cfg *c = teesim_machine_cfg(TH_M);
	struct teesim_violation v[4];
	size_t n;

	th_assert_err(teesim_secure_free(TH_M, c->ram_base, 1), -EINVAL);
	n = teesim_machine_violations(TH_M, v, 4);
	teesim_machine_clear_violations(TH_M);
	ck_assert_msg(n == 1, "secure free of RAM PA recorded %zu violations, expected 1", n);
	ck_assert_uint_eq(v[0].addr, c->ram_base);
	ck_assert_int_eq(v[0].kind, TEESIM_VIOL_BAD_FREE);
	/* a range that starts in secure RAM and runs past its end */
	th_assert_err(teesim_secure_free(TH_M, c->secure_base + c->secure_size - PAGE, 2), -EINVAL);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, v, 4), 1);
	ck_assert_int_eq(v[0].kind, TEESIM_VIOL_BAD_FREE);
	teesim_machine_clear_violations(TH_M);
}
END_TEST

START_TEST(test_secure_free_poisons)
{
	teesim_pa_t pa;
	void *host;
	unsigned char buf[2 * TEESIM_PAGE_SIZE];

	ck_assert(teesim_machine_cfg(TH_M)->poison);
	ck_assert_int_eq(teesim_secure_alloc(TH_M, 2, &pa, &host), 0);
	memset(host, 0x11, sizeof(buf));
	ck_assert_int_eq(teesim_secure_free(TH_M, pa, 2), 0);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(teesim_phys_read(TH_M, pa, buf, sizeof(buf), TEESIM_ACC_SECURE), 0);
	ck_assert(all_bytes(buf, sizeof(buf), TEESIM_POISON_FREE));
}
END_TEST

START_TEST(test_secure_free_no_poison)
{
	struct teesim_machine *m = small_secure(8, false);
	teesim_pa_t pa;
	void *host;
	unsigned char buf[2 * TEESIM_PAGE_SIZE];

	ck_assert_int_eq(teesim_secure_alloc(m, 2, &pa, &host), 0);
	memset(host, 0x11, sizeof(buf));
	ck_assert_int_eq(teesim_secure_free(m, pa, 2), 0);
	ck_assert_int_eq(teesim_phys_read(m, pa, buf, sizeof(buf), TEESIM_ACC_SECURE), 0);
	ck_assert(memchr(buf, TEESIM_POISON_FREE, sizeof(buf)) == NULL);
	th_machine_done(m);
}
END_TEST

/* ---- violations and counters ------------------------------------------ */

START_TEST(test_violation_names)
{
	static const enum teesim_violation_kind kinds[] = {
	    TEESIM_VIOL_DOUBLE_FREE,
	    TEESIM_VIOL_BAD_FREE,
	    TEESIM_VIOL_UNBALANCED_UNPIN,
	    TEESIM_VIOL_SECURE_ACCESS,
	};
	const size_t n = sizeof(kinds) / sizeof(kinds[0]);

	for (size_t i = 0; i < n; i++) {
		const char *a = teesim_violation_name(kinds[i]);

		ck_assert_ptr_nonnull(a);
		ck_assert_uint_gt(strlen(a), 0);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(a, teesim_violation_name(kinds[j]));
	}
}
END_TEST

START_TEST(test_violations_window)
{
	const struct teesim_machine_cfg *c = teesim_machine_cfg(TH_M);
	struct teesim_violation v[2];
	uint8_t b;

	for (int i = 0; i < 3; i++)
		th_assert_err(teesim_phys_read(TH_M, c->secure_base + (uint64_t) i * PAGE, &b, 1,
					       TEESIM_ACC_NS),
			      -EPERM);
	memset(v, 0, sizeof(v));
	ck_assert_uint_eq(teesim_machine_violations(TH_M, v, 2), 3);
	ck_assert_int_eq(v[0].kind, TEESIM_VIOL_SECURE_ACCESS);
	ck_assert_uint_eq(v[0].addr, c->secure_base);
	ck_assert_uint_eq(v[1].addr, c->secure_base + PAGE);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 3);
	teesim_machine_clear_violations(TH_M);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, v, 2), 0);
}
END_TEST

static void stats(struct teesim_machine *m, struct teesim_machine_stats *st)
{
	memset(st, 0xff, sizeof(*st));
	teesim_machine_stats(m, st);
}

START_TEST(test_stats_fresh)
{
	struct teesim_machine_stats st;

	stats(TH_M, &st);
	ck_assert_uint_eq(st.guests, 1);
	ck_assert_uint_eq(st.processes, 0);
	ck_assert_uint_eq(st.kernel_pages, 0);
	ck_assert_uint_eq(st.user_pages, 0);
	ck_assert_uint_eq(st.host_pages, 0);
	ck_assert_uint_eq(st.pinned_pages, 0);
	ck_assert_uint_eq(st.pins, 0);
	ck_assert_uint_eq(st.secure_pages, 0);
	ck_assert_uint_eq(st.violations, 0);
	ck_assert_uint_eq(st.smc_calls, 0);
}
END_TEST

START_TEST(test_stats_memory)
{
	struct teesim_guest *g = teesim_machine_guest(TH_M, 0);
	struct teesim_machine_stats st;
	teesim_ipa_t kipa;
	teesim_pa_t spa;

	ck_assert_int_eq(teesim_kmem_alloc(g, 3, 0, &kipa, NULL), 0);
	ck_assert_int_eq(teesim_secure_alloc(TH_M, 2, &spa, NULL), 0);
	stats(TH_M, &st);
	ck_assert_uint_eq(st.kernel_pages, 3);
	ck_assert_uint_eq(st.secure_pages, 2);
	ck_assert_uint_eq(st.user_pages, 0);
	ck_assert_uint_eq(st.pins, 0);
	ck_assert_int_eq(teesim_kmem_free(g, kipa, 3), 0);
	ck_assert_int_eq(teesim_secure_free(TH_M, spa, 2), 0);
	stats(TH_M, &st);
	ck_assert_uint_eq(st.kernel_pages, 0);
	ck_assert_uint_eq(st.secure_pages, 0);
}
END_TEST

START_TEST(test_stats_process_and_pins)
{
	struct teesim_guest *g = teesim_machine_guest(TH_M, 0);
	struct teesim_process *p = teesim_process_new(g);
	struct teesim_machine_stats st;
	teesim_ipa_t ipas[2], ipa;
	void *u;

	ck_assert_ptr_nonnull(p);
	u = teesim_process_mmap(p, 2 * PAGE, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	ck_assert_ptr_nonnull(u);
	stats(TH_M, &st);
	ck_assert_uint_eq(st.processes, 1);
	ck_assert_uint_eq(st.user_pages, 2);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) u, 2, 0, ipas), 2);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) u, 1, 0, &ipa), 1);
	stats(TH_M, &st);
	ck_assert_uint_eq(st.pinned_pages, 2);
	ck_assert_uint_eq(st.pins, 3);
	ck_assert_int_eq(teesim_guest_unpin(g, &ipa, 1), 0);
	stats(TH_M, &st);
	ck_assert_uint_eq(st.pinned_pages, 2);
	ck_assert_uint_eq(st.pins, 2);
	ck_assert_int_eq(teesim_guest_unpin(g, ipas, 2), 0);
	stats(TH_M, &st);
	ck_assert_uint_eq(st.pinned_pages, 0);
	ck_assert_uint_eq(st.pins, 0);
	ck_assert_int_eq(teesim_process_munmap(p, u, 2 * PAGE), 0);
	teesim_process_free(p);
	stats(TH_M, &st);
	ck_assert_uint_eq(st.processes, 0);
	ck_assert_uint_eq(st.user_pages, 0);
}
END_TEST

START_TEST(test_stats_host_pages)
{
	struct teesim_guest *g = teesim_machine_guest(TH_M, 0);
	struct teesim_process *p = teesim_process_new(g);
	struct teesim_machine_stats st;
	teesim_ipa_t ipa;
	void *buf = NULL;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(posix_memalign(&buf, TEESIM_PAGE_SIZE, TEESIM_PAGE_SIZE), 0);
	memset(buf, 0, TEESIM_PAGE_SIZE);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) buf, 1, 0, &ipa), 1);
	stats(TH_M, &st);
	ck_assert_uint_eq(st.host_pages, 1);
	ck_assert_uint_eq(st.pins, 1);
	ck_assert_int_eq(teesim_guest_unpin(g, &ipa, 1), 0);
	stats(TH_M, &st);
	ck_assert_uint_eq(st.host_pages, 0);
	teesim_process_free(p);
	free(buf);
}
END_TEST

START_TEST(test_stats_guests_violations_smc)
{
	struct teesim_machine_cfg cfg = default_cfg();
	struct teesim_machine *m;
	struct teesim_machine_stats st;
	struct teesim_guest *g1;
	struct teesim_smc_regs r = {{0}};
	uint8_t b;

	cfg.guest0_size = MIB(16);
	m = th_machine(&cfg);
	g1 = teesim_guest_new(m, MIB(8));
	ck_assert_ptr_nonnull(g1);
	stats(m, &st);
	ck_assert_uint_eq(st.guests, 2);
	th_assert_err(teesim_phys_read(m, cfg.secure_base, &b, 1, TEESIM_ACC_NS), -EPERM);
	teesim_smc_call(m, g1, &r);
	teesim_smc_call(m, teesim_machine_guest(m, 0), &r);
	stats(m, &st);
	ck_assert_uint_eq(st.violations, 1);
	ck_assert_uint_eq(st.smc_calls, 2);
	ck_assert_int_eq(teesim_guest_free(g1), 0);
	teesim_machine_clear_violations(m);
	stats(m, &st);
	ck_assert_uint_eq(st.guests, 1);
	ck_assert_uint_eq(st.violations, 0);
	ck_assert_uint_eq(st.smc_calls, 2);
	th_machine_done(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("machine");
	TCase *tc;

	tc = th_tcase(s, "config");
	tcase_add_test(tc, test_cfg_default_values);
	tcase_add_test(tc, test_new_null_is_default);
	tcase_add_test(tc, test_cfg_is_kept);
	tcase_add_loop_test(tc, test_cfg_invalid, 0, N_BAD_CFGS);
	tcase_add_test(tc, test_cfg_invalid_list_complete);
	tcase_add_test(tc, test_cfg_valid_edges);

	tc = th_tcase(s, "instances");
	tcase_add_test(tc, test_many_machines_independent);
	tcase_add_test(tc, test_big_machine_is_cheap);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_free_null);

	tc = th_tcase(s, "kinds");
	tcase_add_test(tc, test_phys_kind_boundaries);
	tcase_add_test(tc, test_phys_range_kind_inside);
	tcase_add_test(tc, test_phys_range_kind_rejects);
	tcase_add_test(tc, test_phys_range_kind_adjacent_secure);

	tc = th_tcase(s, "frames");
	tcase_add_test(tc, test_frame_info_ram);
	tcase_add_test(tc, test_frame_info_shuffled_ipa);
	tcase_add_test(tc, test_frame_info_unassigned);
	tcase_add_test(tc, test_frame_info_static_shm);
	tcase_add_test(tc, test_frame_info_secure);
	tcase_add_test(tc, test_frame_info_outside);

	tc = th_tcase(s, "static_shm");
	tcase_add_test(tc, test_static_shm_values);
	tcase_add_test(tc, test_static_shm_none);

	tc = th_tcase(s, "secure");
	tcase_add_test(tc, test_secure_alloc_contiguous);
	tcase_add_test(tc, test_secure_alloc_host_optional);
	tcase_add_test(tc, test_secure_alloc_zeroed);
	tcase_add_test(tc, test_secure_alloc_errors);
	tcase_add_test(tc, test_secure_alloc_needs_a_run);
	tcase_add_test(tc, test_secure_double_free);
	tcase_add_test(tc, test_secure_free_partial_frees_nothing);
	tcase_add_test(tc, test_secure_free_outside);
	tcase_add_test(tc, test_secure_free_outside_records_violation);
	tcase_add_test(tc, test_secure_free_poisons);
	tcase_add_test(tc, test_secure_free_no_poison);

	tc = th_tcase(s, "violations");
	tcase_add_test(tc, test_violation_names);
	tcase_add_test(tc, test_violations_window);

	tc = th_tcase(s, "stats");
	tcase_add_test(tc, test_stats_fresh);
	tcase_add_test(tc, test_stats_memory);
	tcase_add_test(tc, test_stats_process_and_pins);
	tcase_add_test(tc, test_stats_host_pages);
	tcase_add_test(tc, test_stats_guests_violations_smc);
	return th_run(s);
}
