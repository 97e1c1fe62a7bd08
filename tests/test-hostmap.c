/* SPDX-License-Identifier: MIT */
/* The host page -> guest page radix tree (white box: sim/hostmap.c). */
#include <stdint.h>

#include "harness.h"
#include "internal.h"

#define PG ((uintptr_t) TEESIM_PAGE_SIZE)

/* any non-NULL guest pointer will do: the tree never dereferences it */
static struct teesim_guest *const G1 = (struct teesim_guest *) (uintptr_t) 0x1000;
static struct teesim_guest *const G2 = (struct teesim_guest *) (uintptr_t) 0x2000;

START_TEST(test_insert_find_remove)
{
	struct tsim_hostmap h = {0};
	/* the same leaf, a neighbouring leaf, and keys far apart in every level */
	const uintptr_t keys[] = {
	    0x10000 * PG,
	    0x10001 * PG,
	    0x101ff * PG,
	    0x10200 * PG,
	    PG,
	    UINTPTR_MAX & ~(PG - 1),
	    UINTPTR_MAX > 0xffffffffu ? (uintptr_t) 0x7ffffffff000u : (uintptr_t) 0x7ffff000u,
	};
	const size_t n = sizeof(keys) / sizeof(keys[0]);

	for (size_t i = 0; i < n; i++) {
		ck_assert_ptr_null(tsim_hostmap_find(&h, keys[i]));
		ck_assert_int_eq(tsim_hostmap_insert(&h, keys[i], i & 1 ? G2 : G1, i * 10), 0);
	}
	ck_assert_uint_eq(h.used, n);
	for (size_t i = 0; i < n; i++) {
		struct tsim_hostmap_entry *e = tsim_hostmap_find(&h, keys[i]);

		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->host, keys[i]);
		ck_assert_ptr_eq(e->guest, i & 1 ? G2 : G1);
		ck_assert_uint_eq(e->index, i * 10);
	}
	/* neighbours of bound pages are not bound */
	ck_assert_ptr_null(tsim_hostmap_find(&h, 0x10002 * PG));
	ck_assert_ptr_null(tsim_hostmap_find(&h, 0x10201 * PG));
	ck_assert_ptr_null(tsim_hostmap_find(&h, 0));
	/* removing an unbound page changes nothing */
	tsim_hostmap_remove(&h, 0x10002 * PG);
	tsim_hostmap_remove(&h, 0x5555 * PG);
	ck_assert_uint_eq(h.used, n);
	/* rebinding a bound page replaces it without counting it twice */
	ck_assert_int_eq(tsim_hostmap_insert(&h, keys[0], G2, 77), 0);
	ck_assert_uint_eq(h.used, n);
	ck_assert_uint_eq(tsim_hostmap_find(&h, keys[0])->index, 77);

	for (size_t i = 0; i < n; i++) {
		tsim_hostmap_remove(&h, keys[i]);
		ck_assert_ptr_null(tsim_hostmap_find(&h, keys[i]));
		ck_assert_uint_eq(h.used, n - i - 1);
		for (size_t j = i + 1; j < n; j++)
			ck_assert_ptr_nonnull(tsim_hostmap_find(&h, keys[j]));
	}
	/* empty nodes stay until pruned; pruning an empty tree frees it all
	 * (valgrind would see a leak too) */
	ck_assert_ptr_nonnull(h.root);
	tsim_hostmap_prune(&h);
	ck_assert_ptr_null(h.root);
	ck_assert_ptr_null(h.last_leaf);
	ck_assert_ptr_null(tsim_hostmap_find(&h, keys[0]));
	ck_assert_int_eq(tsim_hostmap_insert(&h, keys[1], G1, 5), 0);
	ck_assert_uint_eq(tsim_hostmap_find(&h, keys[1])->index, 5);
	tsim_hostmap_fini(&h);
}
END_TEST

START_TEST(test_run_and_fini)
{
	struct tsim_hostmap h = {0};
	uintptr_t base = 0x40000 * PG + 100 * PG; /* a run crossing leaves */

	for (uintptr_t k = 0; k < 2000; k++)
		ck_assert_int_eq(tsim_hostmap_insert(&h, base + k * PG, G1, k), 0);
	for (uintptr_t k = 0; k < 2000; k += 3)
		tsim_hostmap_remove(&h, base + k * PG);
	for (uintptr_t k = 0; k < 2000; k++) {
		struct tsim_hostmap_entry *e = tsim_hostmap_find(&h, base + k * PG);

		if (k % 3 == 0)
			ck_assert_ptr_null(e);
		else
			ck_assert_msg(e && e->index == k, "page %lu lost", (unsigned long) k);
	}
	tsim_hostmap_prune(&h); /* nothing is empty: nothing may go */
	ck_assert_ptr_nonnull(tsim_hostmap_find(&h, base + PG));
	/* fini frees a populated tree */
	tsim_hostmap_fini(&h);
	ck_assert_ptr_null(h.root);
	ck_assert_uint_eq(h.used, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostmap");
	TCase *tc = tcase_create("hostmap");

	suite_add_tcase(s, tc);
	tcase_add_test(tc, test_insert_find_remove);
	tcase_add_test(tc, test_run_and_fini);
	return th_run(s);
}
