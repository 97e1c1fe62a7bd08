/* SPDX-License-Identifier: MIT */
/*
 * Host-memory pins judge the host's VMAs two ways: PROCMAP_QUERY (Linux
 * 6.11+) and, on older kernels, by reading /proc/self/maps. White box: the
 * second loop forces the fallback so both are tested on any kernel.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "harness.h"
#include "internal.h"

#define PG ((uintptr_t) TEESIM_PAGE_SIZE)

static void check_vmas(bool no_query)
{
	struct teesim_machine *m = th_machine(NULL);
	struct teesim_process *p = teesim_process_new(teesim_machine_guest(m, 0));
	struct teesim_guest *g = teesim_machine_guest(m, 0);
	unsigned char *h =
	    mmap(NULL, 5 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	teesim_ipa_t ipas[5];

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_ne(h, MAP_FAILED);
	m->maps_no_query = no_query;
	/* pages: rw rw ro none unmapped */
	ck_assert_int_eq(mprotect(h + 2 * PG, PG, PROT_READ), 0);
	ck_assert_int_eq(mprotect(h + 3 * PG, PG, PROT_NONE), 0);
	ck_assert_int_eq(munmap(h + 4 * PG, PG), 0);

	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) h, 5, TEESIM_PIN_WRITE, ipas), 2);
	th_assert_err(teesim_guest_unpin(g, ipas, 2), 0);
	ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) h, 5, 0, ipas), 3);
	th_assert_err(teesim_guest_unpin(g, ipas, 3), 0);
	th_assert_err(teesim_process_pin(p, (uintptr_t) h + 3 * PG, 1, 0, ipas), -EFAULT);
	th_assert_err(teesim_process_pin(p, (uintptr_t) h + 4 * PG, 1, 0, ipas), -EFAULT);
	th_assert_err(teesim_process_pin(p, (uintptr_t) h + 2 * PG, 1, TEESIM_PIN_WRITE, ipas),
		      -EFAULT);
	/* many calls reuse the one descriptor */
	for (int i = 0; i < 100; i++) {
		ck_assert_int_eq(teesim_process_pin(p, (uintptr_t) h + PG, 1, 0, ipas), 1);
		th_assert_err(teesim_guest_unpin(g, ipas, 1), 0);
	}
	ck_assert_int_gt(m->maps_fd, 0);
	ck_assert_int_eq(munmap(h, 4 * PG), 0);
	teesim_process_free(p);
	th_machine_done(m);
}

START_TEST(test_query)
{
	check_vmas(false);
}
END_TEST

START_TEST(test_parse)
{
	check_vmas(true);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostvma");
	TCase *tc = tcase_create("hostvma");

	suite_add_tcase(s, tc);
	tcase_add_test(tc, test_query);
	tcase_add_test(tc, test_parse);
	return th_run(s);
}
