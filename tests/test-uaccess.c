/* SPDX-License-Identifier: MIT */
/* copy_from_user / copy_to_user (white box: sim/uaccess.c). */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "harness.h"
#include "internal.h"

static struct teesim_process *proc(void)
{
	struct teesim_process *p = teesim_process_new(teesim_machine_guest(TH_M, 0));

	ck_assert_ptr_nonnull(p);
	return p;
}

START_TEST(test_mapped_roundtrip)
{
	struct teesim_process *p = proc();
	unsigned char *u = teesim_process_mmap(p, 3 * 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	unsigned char buf[5000], back[5000];

	ck_assert_ptr_nonnull(u);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char) (i * 7 + 1);
	/* across a page boundary, up to the very end of the mapping */
	ck_assert_int_eq(tsim_copy_to_user(p, (uintptr_t) u + 3 * 4096 - 5000, buf, 5000), 0);
	ck_assert_mem_eq(u + 3 * 4096 - 5000, buf, 5000);
	ck_assert_int_eq(tsim_copy_from_user(p, back, (uintptr_t) u + 3 * 4096 - 5000, 5000), 0);
	ck_assert_mem_eq(back, buf, 5000);
	/* one byte past the end */
	th_assert_err(tsim_copy_from_user(p, back, (uintptr_t) u + 3 * 4096 - 4999, 5000), -EFAULT);
	th_assert_err(tsim_copy_to_user(p, (uintptr_t) u + 3 * 4096 - 4999, buf, 5000), -EFAULT);
	ck_assert_uint_eq(u[0], 0); /* a refused copy writes nothing */
	ck_assert_int_eq(tsim_copy_to_user(p, (uintptr_t) u, buf, 0), 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_adjacent_mappings_and_gap)
{
	struct teesim_process *p = proc();
	const size_t sz = 2 * 4096;
	unsigned char *a = teesim_process_mmap(p, sz, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	unsigned char *b = teesim_process_mmap(p, sz, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	unsigned char *c = teesim_process_mmap(p, sz, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	unsigned char buf[3 * 2 * 4096];

	/* a fresh guest hands out pages in order: the three are adjacent */
	ck_assert_ptr_eq(b, a + sz);
	ck_assert_ptr_eq(c, b + sz);
	memset(buf, 0x3c, sizeof(buf));
	/* one copy across all three mappings */
	ck_assert_int_eq(tsim_copy_to_user(p, (uintptr_t) a + 100, buf, 3 * sz - 200), 0);
	ck_assert_uint_eq(c[sz - 101], 0x3c);
	/* with the middle one gone, the same range has a gap: nothing copied */
	ck_assert_int_eq(teesim_process_munmap(p, b, sz), 0);
	th_assert_err(tsim_copy_from_user(p, buf, (uintptr_t) a + 100, 3 * sz - 200), -EFAULT);
	th_assert_err(tsim_copy_to_user(p, (uintptr_t) a + 100, buf, 3 * sz - 200), -EFAULT);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_readonly_mapping)
{
	struct teesim_process *p = proc();
	unsigned char *u = teesim_process_mmap(p, 4096, TEESIM_PROT_READ);
	unsigned char b = 0x5a;

	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(tsim_copy_from_user(p, &b, (uintptr_t) u, 1), 0);
	ck_assert_uint_eq(b, 0);
	b = 0x5a;
	th_assert_err(tsim_copy_to_user(p, (uintptr_t) u, &b, 1), -EFAULT);
	ck_assert_uint_eq(u[0], 0);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_other_process_memory)
{
	struct teesim_process *p = proc(), *q = proc();
	unsigned char *uq = teesim_process_mmap(q, 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	unsigned char b = 1;

	ck_assert_ptr_nonnull(uq);
	/* q's memory is machine RAM, not host memory p may reach */
	th_assert_err(tsim_copy_from_user(p, &b, (uintptr_t) uq, 1), -EFAULT);
	th_assert_err(tsim_copy_to_user(p, (uintptr_t) uq, &b, 1), -EFAULT);
	ck_assert_uint_eq(uq[0], 0);
	teesim_process_free(p);
	teesim_process_free(q);
}
END_TEST

START_TEST(test_host_memory)
{
	struct teesim_process *p = proc();
	unsigned char stack[64] = {1, 2, 3}, out[64];
	unsigned char *ro =
	    mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(ro, MAP_FAILED);
	ck_assert_int_eq(tsim_copy_from_user(p, out, (uintptr_t) stack, sizeof(stack)), 0);
	ck_assert_mem_eq(out, stack, sizeof(stack));
	out[0] = 9;
	ck_assert_int_eq(tsim_copy_to_user(p, (uintptr_t) stack, out, 1), 0);
	ck_assert_uint_eq(stack[0], 9);
	/* bytes written into fresh host memory are defined for memcheck too
	 * (it took process_vm_writev's target for another process's memory) */
	{
		unsigned char *fresh = malloc(16);

		ck_assert_ptr_nonnull(fresh);
		ck_assert_int_eq(tsim_copy_to_user(p, (uintptr_t) fresh, out, 16), 0);
		ck_assert_uint_eq(fresh[0], 9);
		free(fresh);
	}

	/* read-only host page: readable, not writable */
	ro[0] = 7;
	ck_assert_int_eq(mprotect(ro, 4096, PROT_READ), 0);
	ck_assert_int_eq(tsim_copy_from_user(p, out, (uintptr_t) ro, 1), 0);
	ck_assert_uint_eq(out[0], 7);
	th_assert_err(tsim_copy_to_user(p, (uintptr_t) ro, stack, 1), -EFAULT);
	/* unmapped host page, and a range running into it */
	ck_assert_int_eq(munmap(ro + 4096, 4096), 0);
	th_assert_err(tsim_copy_from_user(p, out, (uintptr_t) ro + 4096, 1), -EFAULT);
	th_assert_err(tsim_copy_from_user(p, out, (uintptr_t) ro + 4090, 8), -EFAULT);
	ck_assert_int_eq(munmap(ro, 4096), 0);
	/* NULL and ranges that wrap */
	th_assert_err(tsim_copy_from_user(p, out, 0, 1), -EFAULT);
	th_assert_err(tsim_copy_from_user(p, out, UINT64_MAX - 3, 8), -EFAULT);
	teesim_process_free(p);
}
END_TEST

START_TEST(test_host_memory_forbidden)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	struct teesim_process *p;
	unsigned char stack[8] = {0}, out[8];
	unsigned char *u;

	teesim_machine_cfg_default(&cfg);
	cfg.allow_host_memory = false;
	m = th_machine(&cfg);
	p = teesim_process_new(teesim_machine_guest(m, 0));
	ck_assert_ptr_nonnull(p);
	th_assert_err(tsim_copy_from_user(p, out, (uintptr_t) stack, 8), -EFAULT);
	th_assert_err(tsim_copy_to_user(p, (uintptr_t) stack, out, 8), -EFAULT);
	u = teesim_process_mmap(p, 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(tsim_copy_to_user(p, (uintptr_t) u, "abc", 4), 0);
	ck_assert_str_eq((char *) u, "abc");
	teesim_process_free(p);
	th_machine_done(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("uaccess");
	TCase *tc = th_tcase(s, "uaccess");

	tcase_add_test(tc, test_mapped_roundtrip);
	tcase_add_test(tc, test_adjacent_mappings_and_gap);
	tcase_add_test(tc, test_readonly_mapping);
	tcase_add_test(tc, test_other_process_memory);
	tcase_add_test(tc, test_host_memory);
	tcase_add_test(tc, test_host_memory_forbidden);
	return th_run(s);
}
