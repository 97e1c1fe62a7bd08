/* SPDX-License-Identifier: MIT */
/*
 * Poisoned model memory (docs/memory.md): a freshly SHM_ALLOCed shm reads
 * as zero through its mapping and through the secure world, on the static
 * pool and on the dynamic (page) pool, also when its memory was another
 * shm's, freed and poisoned; freed frames show TEESIM_POISON_FREE through
 * the machine's physical accessors; a kernel page handed out unzeroed for
 * the first time shows TEESIM_POISON_FRESH.
 */
#include <stdlib.h>
#include <string.h>

#include "optee-util.h"

#define PG   ((uint64_t) TEESIM_PAGE_SIZE)
#define MIN  TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT
#define MOUT TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT
#define VOUT TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT

#define NPAGES 3 /* pages of the shm under test */
#define TRIES  512

enum { POOL_STATIC, POOL_DYNAMIC, NPOOLS };

/* A small machine, so that the page allocator comes back to freed pages soon
 * (identity stage 2: without a mediator the secure world takes IPAs for PAs). */
static void stack_cfg(struct teesim_stack_cfg *c, int pool)
{
	teesim_stack_cfg_default(c);
	c->machine.ram_size = 4ull << 20;
	ck_assert(c->machine.poison);
	if (pool == POOL_STATIC)
		c->sw.sec_caps &= ~TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
}

struct shm {
	int fd, id;
	uint8_t *map;
	teesim_pa_t pa[NPAGES];
};

/* The PAs of @s's pages, as the mem TA sees them (PAGES into @out, a 1-page shm). */
static void shm_pages(struct ot *t, uint32_t sess, const struct shm *out, struct shm *s)
{
	struct tee_ioctl_param p[3];
	uint32_t ret = 1;

	p[0] = ot_memref(MIN, s->id, 0, NPAGES * PG);
	p[1] = ot_value(VOUT, 0, 0, 0);
	p[2] = ot_memref(MOUT, out->id, 0, PG);
	ck_assert_int_eq(ot_invoke(t, sess, TEESIM_TA_MEM_CMD_PAGES, p, 3, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(p[1].a, NPAGES);
	memcpy(s->pa, out->map, sizeof(s->pa));
	for (int i = 0; i < NPAGES; i++)
		ck_assert_uint_eq(s->pa[i] & (PG - 1), 0);
}

static void shm_new(struct ot *t, size_t pages, struct shm *s)
{
	s->fd = ot_shm_alloc(t, pages * PG, &s->id);
	ck_assert_int_ge(s->fd, 3);
	s->map = teesim_mmap(t->p, s->fd, pages * PG, TEESIM_PROT_READ | TEESIM_PROT_WRITE, 0);
	ck_assert_ptr_nonnull(s->map);
}

static void shm_free(struct ot *t, size_t pages, struct shm *s)
{
	ck_assert_int_eq(teesim_munmap(t->p, s->map, pages * PG), 0);
	ck_assert_int_eq(teesim_close(t->p, s->fd), 0);
	s->fd = -1;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* @s reads as zero through its mapping and through the secure world (READ). */
static void assert_zero(struct ot *t, uint32_t sess, const struct shm *s)
{
	static const uint8_t zero[NPAGES * PG];
	struct tee_ioctl_param p[2];
	uint32_t ret = 1;

	ck_assert(all_bytes(s->map, NPAGES * PG, 0));
	p[0] = ot_memref(MIN, s->id, 0, NPAGES * PG);
	p[1] = ot_value(VOUT, 0xdead, 0xdead, 0);
	ck_assert_int_eq(ot_invoke(t, sess, TEESIM_TA_MEM_CMD_READ, p, 2, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(p[1].a, 0);
	ck_assert_uint_eq(p[1].b, ot_fnv(zero, sizeof(zero)));
}

static bool overlap(const struct shm *a, const struct shm *b)
{
	for (int i = 0; i < NPAGES; i++)
		for (int j = 0; j < NPAGES; j++)
			if (a->pa[i] == b->pa[j])
				return true;
	return false;
}

START_TEST(test_fresh_shm_zero)
{
	struct teesim_stack_cfg c;
	struct ot t;
	struct shm out, s;
	uint32_t sess;

	stack_cfg(&c, _i);
	ot_new(&t, &c);
	ck_assert_int_eq(ot_drv(&t).pool,
			 _i == POOL_STATIC ? TEESIM_OPTEE_POOL_STATIC : TEESIM_OPTEE_POOL_PAGES);
	sess = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	shm_new(&t, 1, &out);
	shm_new(&t, NPAGES, &s);
	assert_zero(&t, sess, &s);
	/* and it is where the pool says: the carve-out, or RAM */
	shm_pages(&t, sess, &out, &s);
	for (int i = 0; i < NPAGES; i++)
		ck_assert_int_eq(teesim_phys_kind(t.st->machine, s.pa[i]),
				 _i == POOL_STATIC ? TEESIM_MEM_STATIC_SHM : TEESIM_MEM_RAM);
	shm_free(&t, NPAGES, &s);
	shm_free(&t, 1, &out);
	ck_assert_int_eq(ot_close(&t, sess), 0);
	ot_done(&t);
}
END_TEST

START_TEST(test_reused_shm_zero)
{
	struct teesim_stack_cfg c;
	struct ot t;
	struct shm out, a, b;
	uint8_t page[PG];
	uint32_t sess;
	int tries = 0;

	stack_cfg(&c, _i);
	ot_new(&t, &c);
	sess = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	shm_new(&t, 1, &out);

	/* a: written all over, then freed */
	shm_new(&t, NPAGES, &a);
	memset(a.map, 0xee, NPAGES * PG);
	shm_pages(&t, sess, &out, &a);
	shm_free(&t, NPAGES, &a);
	/* its frames show the poison through the physical accessors */
	for (int i = 0; i < NPAGES; i++) {
		ck_assert_int_eq(teesim_phys_read(t.st->machine, a.pa[i], page, PG, 0), 0);
		ck_assert_msg(all_bytes(page, PG, TEESIM_POISON_FREE), "freed page %d not poisoned",
			      i);
	}

	/* b: new shms until one lands on a's memory; each must read as zero */
	for (;;) {
		shm_new(&t, NPAGES, &b);
		assert_zero(&t, sess, &b);
		shm_pages(&t, sess, &out, &b);
		if (overlap(&a, &b))
			break;
		shm_free(&t, NPAGES, &b);
		ck_assert_int_lt(++tries, TRIES);
	}
	/* written again and freed: poisoned again, and zero once more when reused */
	memset(b.map, 0x11, NPAGES * PG);
	a = b;
	shm_free(&t, NPAGES, &b);
	for (int i = 0; i < NPAGES; i++) {
		ck_assert_int_eq(teesim_phys_read(t.st->machine, a.pa[i], page, PG, 0), 0);
		ck_assert(all_bytes(page, PG, TEESIM_POISON_FREE));
	}
	shm_free(&t, 1, &out);
	ck_assert_int_eq(ot_close(&t, sess), 0);
	ot_done(&t);
}
END_TEST

/* The machine's own rules: a kernel page handed out for the first time
 * without TEESIM_KMEM_ZERO is TEESIM_POISON_FRESH, with it zero; freed, it
 * is TEESIM_POISON_FREE until handed out again; process memory is zero. */
START_TEST(test_kmem_fresh_and_free)
{
	struct teesim_machine_cfg mc;
	struct teesim_machine *m;
	struct teesim_guest *g;
	struct teesim_process *p;
	teesim_ipa_t ipa, ipa2;
	teesim_pa_t pa;
	uint8_t *h, *u, page[PG];

	teesim_machine_cfg_default(&mc);
	mc.ram_size = 16 * PG;
	mc.static_shm_size = 0;
	mc.secure_size = 4 * PG;
	mc.remap = _i ? TEESIM_REMAP_SHUFFLE : TEESIM_REMAP_IDENTITY;
	m = teesim_machine_new(&mc);
	ck_assert_ptr_nonnull(m);
	g = teesim_machine_guest(m, 0);

	/* fresh, unzeroed: the fresh poison, also through the accessors */
	ck_assert_int_eq(teesim_kmem_alloc(g, 2, 0, &ipa, (void **) &h), 0);
	ck_assert(all_bytes(h, 2 * PG, TEESIM_POISON_FRESH));
	ck_assert_int_eq(teesim_guest_ipa_to_pa(g, ipa + PG, &pa), 0);
	ck_assert_int_eq(teesim_phys_read(m, pa, page, PG, 0), 0);
	ck_assert(all_bytes(page, PG, TEESIM_POISON_FRESH));
	memset(h, 0x33, 2 * PG);
	ck_assert_int_eq(teesim_kmem_free(g, ipa, 2), 0);
	ck_assert_int_eq(teesim_phys_read(m, pa, page, PG, 0), 0);
	ck_assert(all_bytes(page, PG, TEESIM_POISON_FREE));

	/* fresh, zeroed */
	ck_assert_int_eq(teesim_kmem_alloc(g, 2, TEESIM_KMEM_ZERO, &ipa2, (void **) &h), 0);
	ck_assert(all_bytes(h, 2 * PG, 0));
	ck_assert_int_eq(teesim_kmem_free(g, ipa2, 2), 0);

	/* every page used now: an unzeroed allocation shows the free poison */
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(teesim_kmem_alloc(g, 4, 0, &ipa, (void **) &h), 0);
		ck_assert(all_bytes(h, 4 * PG, TEESIM_POISON_FREE) ||
			  all_bytes(h, 4 * PG, TEESIM_POISON_FRESH));
		memset(h, 0x44, 4 * PG);
		ck_assert_int_eq(teesim_kmem_free(g, ipa, 4), 0);
	}
	ck_assert_int_eq(teesim_kmem_alloc(g, 16, 0, &ipa, (void **) &h), 0);
	ck_assert(all_bytes(h, 16 * PG, TEESIM_POISON_FREE));
	ck_assert_int_eq(teesim_kmem_free(g, ipa, 16), 0);

	/* process memory over poisoned pages: zero */
	p = teesim_process_new(g);
	ck_assert_ptr_nonnull(p);
	u = teesim_process_mmap(p, 16 * PG, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	ck_assert_ptr_nonnull(u);
	ck_assert(all_bytes(u, 16 * PG, 0));
	teesim_process_free(p);

	/* secure memory: zeroed at allocation, poisoned at free */
	{
		void *sh;

		ck_assert_int_eq(teesim_secure_alloc(m, 4, &pa, &sh), 0);
		ck_assert(all_bytes(sh, 4 * PG, 0));
		memset(sh, 0x55, 4 * PG);
		ck_assert_int_eq(teesim_secure_free(m, pa, 4), 0);
		ck_assert_int_eq(teesim_phys_read(m, pa + 3 * PG, page, PG, 0), 0);
		ck_assert(all_bytes(page, PG, TEESIM_POISON_FREE));
	}
	teesim_machine_free(m);
}
END_TEST

/* Poisoning off: nothing is written but what the model zeroes. */
START_TEST(test_kmem_no_poison)
{
	struct teesim_machine_cfg mc;
	struct teesim_machine *m;
	struct teesim_guest *g;
	teesim_ipa_t ipa;
	uint8_t *h;

	teesim_machine_cfg_default(&mc);
	mc.ram_size = 8 * PG;
	mc.static_shm_size = 0;
	mc.poison = false;
	m = teesim_machine_new(&mc);
	ck_assert_ptr_nonnull(m);
	g = teesim_machine_guest(m, 0);

	/* no host pointer asked for: the pages are still one run on the host
	 * from the first page's pointer, and the accessors see what it wrote */
	ck_assert_int_eq(teesim_kmem_alloc(g, 4, 0, &ipa, NULL), 0);
	h = teesim_guest_ipa_host(g, ipa);
	ck_assert_ptr_nonnull(h);
	ck_assert(all_bytes(h, 4 * PG, 0));
	memset(h, 0x99, 4 * PG);
	{
		uint8_t page[PG];
		teesim_pa_t pa;

		ck_assert_int_eq(teesim_guest_ipa_to_pa(g, ipa + 3 * PG, &pa), 0);
		ck_assert_int_eq(teesim_phys_read(m, pa, page, PG, 0), 0);
		ck_assert(all_bytes(page, PG, 0x99));
		ck_assert(all_bytes(teesim_guest_ipa_host(g, ipa + 2 * PG), PG, 0x99));
	}
	ck_assert_int_eq(teesim_kmem_free(g, ipa, 4), 0);

	ck_assert_int_eq(teesim_kmem_alloc(g, 8, 0, &ipa, (void **) &h), 0);
	/* a frame nobody used reads as zero, a used one keeps its bytes */
	ck_assert(all_bytes(h, 4 * PG, 0x99) || all_bytes(h + 4 * PG, 4 * PG, 0x99));
	ck_assert(all_bytes(h, 4 * PG, 0) || all_bytes(h + 4 * PG, 4 * PG, 0));
	memset(h, 0x77, 8 * PG);
	ck_assert_int_eq(teesim_kmem_free(g, ipa, 8), 0);
	ck_assert_int_eq(teesim_kmem_alloc(g, 8, 0, &ipa, (void **) &h), 0);
	ck_assert(all_bytes(h, 8 * PG, 0x77)); /* what was there */
	ck_assert_int_eq(teesim_kmem_free(g, ipa, 8), 0);
	teesim_machine_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("poison");
	TCase *tc = tcase_create("poison");

	tcase_add_loop_test(tc, test_fresh_shm_zero, 0, NPOOLS);
	tcase_add_loop_test(tc, test_reused_shm_zero, 0, NPOOLS);
	tcase_add_loop_test(tc, test_kmem_fresh_and_free, 0, 2);
	tcase_add_test(tc, test_kmem_no_poison);
	suite_add_tcase(s, tc);
	return th_run(s);
}
