/* SPDX-License-Identifier: MIT */
/*
 * Page lists for NONCONTIG memory references (white box: src/optee/pagelist.c).
 *
 * Every built list is compared byte for byte with an expectation computed
 * here independently, slot by slot from each slot's global index, and then
 * read back the way the secure world (or a mediator) reads it: by physical
 * address, following the next pointers from buf_ptr.
 */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "optee/pagelist.h"

#define PG	    ((uint64_t) TEESIM_PAGE_SIZE)
#define SLOTS	    512u /* u64 slots in one 4 KiB list page */
#define DATA	    511u /* data entries in one list page */
#define MAX_PAGES   1100u
#define GARBAGE	    0xa5u
#define GARBAGE_U64 0xa5a5a5a5a5a5a5a5ull

static const size_t counts[] = {1, 2, 511, 512, 513, 1022, 1023, 1100};
static const size_t offsets[] = {0, 1, 0x7ff, 0xfff};

static struct teesim_guest *guest0(struct teesim_machine *m)
{
	struct teesim_guest *g = teesim_machine_guest(m, 0);

	ck_assert_ptr_nonnull(g);
	return g;
}

static uint64_t kernel_pages(struct teesim_machine *m)
{
	struct teesim_machine_stats st;

	teesim_machine_stats(m, &st);
	return st.kernel_pages;
}

/* Pages a list for @n entries takes, counted the slow way. */
static size_t list_pages_for(size_t n)
{
	size_t p = 0;

	while (n > p * DATA)
		p++;
	return p;
}

/*
 * The expected content of slot @g (global index over all list pages) of a
 * list of @npages pages at IPA @ipa describing @n data pages @pages.
 */
static uint64_t expected_slot(size_t g, const uint64_t *pages, size_t n, teesim_ipa_t ipa,
			      size_t used)
{
	size_t page = g / SLOTS, slot = g % SLOTS;
	size_t entry = page * DATA + slot;

	/* the kernel chains after every full list page, the last one included */
	if (slot == SLOTS - 1)
		return page + 1 < used || n == used * DATA ? ipa + (page + 1) * PG : 0;
	return entry < n ? pages[entry] : 0;
}

/*
 * Walk the list as the secure world does: from buf_ptr, by PA, reading one
 * list page at a time and following slot 511 only while entries remain;
 * check every list page against the expectation, then count the pages.
 */
static void walk_by_pa(struct teesim_machine *m, uint64_t buf_ptr, const uint64_t *pages, size_t n,
		       teesim_ipa_t ipa, size_t used)
{
	struct teesim_guest *g = guest0(m);
	uint64_t lp[SLOTS];
	teesim_ipa_t cur = buf_ptr & ~(PG - 1);
	size_t seen = 0, p = 0;

	while (seen < n) {
		teesim_pa_t pa = 0;
		size_t s;

		ck_assert_uint_eq(cur, ipa + p * PG);
		th_assert_err(teesim_guest_ipa_to_pa(g, cur, &pa), 0);
		th_assert_err(teesim_phys_read(m, pa, lp, sizeof(lp), TEESIM_ACC_NS), 0);
		for (s = 0; s < SLOTS; s++)
			ck_assert_msg(lp[s] == expected_slot(p * SLOTS + s, pages, n, ipa, used),
				      "n=%zu list page %zu slot %zu: %#llx", n, p, s,
				      (unsigned long long) lp[s]);
		seen += n - seen < DATA ? n - seen : DATA;
		cur = lp[SLOTS - 1];
		p++;
	}
	ck_assert_uint_eq(p, used);
	/* a full last list page points just past the list, else it does not chain on */
	ck_assert_uint_eq(cur, n == used * DATA ? ipa + used * PG : 0);
}

/* Build lists for every count and offset over @pages and check them. */
static void check_all(struct teesim_machine *m, const uint64_t *pages)
{
	struct teesim_guest *g = guest0(m);
	size_t c, o;

	for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		size_t n = counts[c];
		size_t used = list_pages_for(n);
		size_t size = 0;

		th_assert_err(get_pages_list_size(n, &size), 0);
		ck_assert_uint_eq(size, used * PG);

		for (o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++) {
			struct optee_pages_list pl;
			uint64_t base = kernel_pages(m);
			uint64_t buf_ptr;
			size_t s;

			th_assert_err(optee_allocate_pages_list(g, n, &pl), 0);
			ck_assert_uint_eq(pl.npages, used);
			ck_assert_uint_eq(pl.num_entries, n);
			ck_assert_uint_eq(kernel_pages(m), base + used);
			ck_assert_uint_eq(pl.ipa % PG, 0);
			ck_assert_ptr_eq(teesim_guest_ipa_host(g, pl.ipa), pl.host);
			/* garbage first: every slot must be written or zeroed */
			memset(pl.host, GARBAGE, used * PG);

			th_assert_err(optee_fill_pages_list(&pl, pages, n, offsets[o]), 0);
			for (s = 0; s < used * SLOTS; s++)
				ck_assert_msg(pl.host[s] ==
						  expected_slot(s, pages, n, pl.ipa, used),
					      "n=%zu off=%#zx slot %zu: %#llx", n, offsets[o], s,
					      (unsigned long long) pl.host[s]);

			buf_ptr = optee_pages_list_buf_ptr(&pl, offsets[o]);
			ck_assert_uint_eq(buf_ptr, pl.ipa + offsets[o]);
			ck_assert_uint_eq(buf_ptr & (PG - 1), offsets[o]);
			walk_by_pa(m, buf_ptr, pages, n, pl.ipa, used);

			th_assert_err(optee_free_pages_list(&pl), 0);
			ck_assert_uint_eq(pl.npages, 0);
			ck_assert_ptr_null(pl.host);
			ck_assert_uint_eq(kernel_pages(m), base);
		}
	}
}

/* Pin MAX_PAGES pages of a fresh process mapping; their IPAs in @ipas. */
static struct teesim_process *pin_pages(struct teesim_machine *m, teesim_ipa_t *ipas, void **va)
{
	struct teesim_process *p = teesim_process_new(guest0(m));

	ck_assert_ptr_nonnull(p);
	*va = teesim_process_mmap(p, MAX_PAGES * PG, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	ck_assert_ptr_nonnull(*va);
	ck_assert_int_eq(
	    teesim_process_pin(p, (uint64_t) (uintptr_t) *va, MAX_PAGES, TEESIM_PIN_WRITE, ipas),
	    MAX_PAGES);
	return p;
}

static void unpin_pages(struct teesim_machine *m, struct teesim_process *p, teesim_ipa_t *ipas,
			void *va)
{
	th_assert_err(teesim_guest_unpin(guest0(m), ipas, MAX_PAGES), 0);
	th_assert_err(teesim_process_munmap(p, va, MAX_PAGES * PG), 0);
	teesim_process_free(p);
}

START_TEST(test_sizes)
{
	const size_t max_ok = SIZE_MAX / PG * DATA;
	size_t size = 7;

	th_assert_err(get_pages_list_size(1, &size), 0);
	ck_assert_uint_eq(size, PG);
	th_assert_err(get_pages_list_size(511, &size), 0);
	ck_assert_uint_eq(size, PG);
	th_assert_err(get_pages_list_size(512, &size), 0);
	ck_assert_uint_eq(size, 2 * PG);
	th_assert_err(get_pages_list_size(1022, &size), 0);
	ck_assert_uint_eq(size, 2 * PG);
	th_assert_err(get_pages_list_size(1023, &size), 0);
	ck_assert_uint_eq(size, 3 * PG);
	/* the largest count whose list size still fits, and the next one */
	th_assert_err(get_pages_list_size(max_ok, &size), 0);
	ck_assert_uint_eq(size, SIZE_MAX / PG * PG);
	size = 7;
	th_assert_err(get_pages_list_size(max_ok + 1, &size), -ENOMEM);
	th_assert_err(get_pages_list_size(SIZE_MAX, &size), -ENOMEM);
	th_assert_err(get_pages_list_size(0, &size), -EINVAL);
	ck_assert_uint_eq(size, 7);
	th_assert_err(get_pages_list_size(1, NULL), -EINVAL);
}
END_TEST

START_TEST(test_alloc_bad)
{
	struct teesim_guest *g = guest0(TH_M);
	struct optee_pages_list pl;

	memset(&pl, 0x5a, sizeof(pl));
	th_assert_err(optee_allocate_pages_list(g, 0, &pl), -EINVAL);
	th_assert_err(optee_allocate_pages_list(NULL, 1, &pl), -EINVAL);
	th_assert_err(optee_allocate_pages_list(g, 1, NULL), -EINVAL);
	/* a size that overflows, and one the guest cannot hold */
	th_assert_err(optee_allocate_pages_list(g, SIZE_MAX, &pl), -ENOMEM);
	th_assert_err(optee_allocate_pages_list(g, SIZE_MAX / PG * DATA, &pl), -ENOMEM);
	th_assert_err(optee_allocate_pages_list(g, (size_t) 1 << 24, &pl),
		      -ENOMEM);					      /* 128 MiB of list */
	ck_assert_uint_eq(pl.npages, (size_t) 0x5a5a5a5a5a5a5a5aull); /* untouched */
	ck_assert_uint_eq(kernel_pages(TH_M), 0);

	/* freeing a cleared list is a no-op, and so is freeing twice */
	memset(&pl, 0, sizeof(pl));
	th_assert_err(optee_free_pages_list(&pl), 0);
	th_assert_err(optee_free_pages_list(NULL), 0);
	th_assert_err(optee_allocate_pages_list(g, 600, &pl), 0);
	ck_assert_uint_eq(kernel_pages(TH_M), 2);
	th_assert_err(optee_free_pages_list(&pl), 0);
	th_assert_err(optee_free_pages_list(&pl), 0);
	ck_assert_uint_eq(kernel_pages(TH_M), 0);
}
END_TEST

START_TEST(test_fill_bad)
{
	struct teesim_guest *g = guest0(TH_M);
	struct optee_pages_list pl;
	uint64_t pages[600];
	size_t i;

	for (i = 0; i < 600; i++)
		pages[i] = 0x40000000ull + i * PG;
	th_assert_err(optee_allocate_pages_list(g, 600, &pl), 0);
	memset(pl.host, GARBAGE, 2 * PG);

	th_assert_err(optee_fill_pages_list(&pl, pages, 0, 0), -EINVAL);
	th_assert_err(optee_fill_pages_list(&pl, NULL, 1, 0), -EINVAL);
	th_assert_err(optee_fill_pages_list(NULL, pages, 1, 0), -EINVAL);
	/* more pages than the list was sized for */
	th_assert_err(optee_fill_pages_list(&pl, pages, 601, 0), -EINVAL);
	th_assert_err(optee_fill_pages_list(&pl, pages, SIZE_MAX, 0), -EINVAL);
	th_assert_err(optee_fill_pages_list(&pl, pages, 1, PG), -EINVAL);
	th_assert_err(optee_fill_pages_list(&pl, pages, 1, SIZE_MAX), -EINVAL);
	/* an unaligned page anywhere, even the last one, rejects the whole list */
	pages[599] |= 0x800;
	th_assert_err(optee_fill_pages_list(&pl, pages, 600, 0), -EINVAL);
	pages[599] &= ~(PG - 1);
	pages[0] |= 1;
	th_assert_err(optee_fill_pages_list(&pl, pages, 600, 0), -EINVAL);
	pages[0] &= ~(PG - 1);
	for (i = 0; i < 2 * SLOTS; i++)
		ck_assert_uint_eq(pl.host[i], GARBAGE_U64); /* nothing written */

	/* fewer pages than sized for: the unused list page is all zero */
	th_assert_err(optee_fill_pages_list(&pl, pages, 3, 0x10), 0);
	for (i = 0; i < 2 * SLOTS; i++)
		ck_assert_uint_eq(pl.host[i], i < 3 ? pages[i] : 0);
	th_assert_err(optee_free_pages_list(&pl), 0);
}
END_TEST

/* Identity stage 2: the pinned IPAs of one mapping, consecutive. */
START_TEST(test_fill_identity)
{
	teesim_ipa_t *ipas = calloc(MAX_PAGES, sizeof(*ipas));
	struct teesim_process *p;
	void *va;

	ck_assert_ptr_nonnull(ipas);
	p = pin_pages(TH_M, ipas, &va);
	check_all(TH_M, ipas);
	unpin_pages(TH_M, p, ipas, va);
	free(ipas);
}
END_TEST

/*
 * Shuffled stage 2: the list pages are scattered in PA (the walk reads them
 * by PA); the entries are the pinned pages' PAs, scattered too, as a
 * mediator's translated list would carry them.
 */
START_TEST(test_fill_shuffle)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	teesim_ipa_t *ipas = calloc(MAX_PAGES, sizeof(*ipas));
	uint64_t *pas = calloc(MAX_PAGES, sizeof(*pas));
	struct teesim_process *p;
	size_t i, jumps = 0;
	void *va;

	ck_assert_ptr_nonnull(ipas);
	ck_assert_ptr_nonnull(pas);
	teesim_machine_cfg_default(&cfg);
	cfg.remap = TEESIM_REMAP_SHUFFLE;
	cfg.seed = 0x5eed;
	m = th_machine(&cfg);
	p = pin_pages(m, ipas, &va);
	for (i = 0; i < MAX_PAGES; i++) {
		th_assert_err(teesim_guest_ipa_to_pa(guest0(m), ipas[i], &pas[i]), 0);
		jumps += i > 0 && pas[i] != pas[i - 1] + PG;
	}
	ck_assert_uint_gt(jumps, MAX_PAGES / 2); /* really scattered */
	check_all(m, ipas);
	check_all(m, pas);
	unpin_pages(m, p, ipas, va);
	th_machine_done(m);
	free(pas);
	free(ipas);
}
END_TEST

/* Reversed, far-apart addresses: entries are copied as given, in order. */
START_TEST(test_fill_reversed)
{
	uint64_t *pages = calloc(MAX_PAGES, sizeof(*pages));
	size_t i;

	ck_assert_ptr_nonnull(pages);
	for (i = 0; i < MAX_PAGES; i++)
		pages[i] = 0xfffff000ull * (MAX_PAGES - i) & ~(PG - 1);
	check_all(TH_M, pages);
	free(pages);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pagelist");
	TCase *tc = th_tcase(s, "pagelist");

	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_alloc_bad);
	tcase_add_test(tc, test_fill_bad);
	tcase_add_test(tc, test_fill_identity);
	tcase_add_test(tc, test_fill_shuffle);
	tcase_add_test(tc, test_fill_reversed);
	return th_run(s);
}
