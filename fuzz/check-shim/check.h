/* SPDX-License-Identifier: MIT */
/*
 * Stand-in for <check.h> when tests/testdrv.c is linked into a fuzz target:
 * Check's assertions need a running test (they report through a pipe even
 * when they pass), so here a failed assertion prints and aborts, which the
 * fuzzer reports as a crash, and a passing one costs a comparison.
 */
#ifndef TEESIM_FUZZ_CHECK_SHIM_H
#define TEESIM_FUZZ_CHECK_SHIM_H

#include <stdio.h>
#include <stdlib.h>

#define ck_assert_msg(cond, ...)                                                                   \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: assertion '%s' failed: ", __FILE__, __LINE__,      \
				#cond);                                                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)
#define ck_assert(cond)		 ck_assert_msg(cond, "%s", "")
#define ck_abort_msg(...)	 ck_assert_msg(0, __VA_ARGS__)
#define ck_assert_ptr_nonnull(p) ck_assert((p) != NULL)
#define ck_assert_int_eq(a, b)	 ck_assert((a) == (b))
#define ck_assert_uint_eq(a, b)	 ck_assert((a) == (b))
#define ck_assert_uint_gt(a, b)	 ck_assert((a) > (b))
#define ck_assert_uint_le(a, b)	 ck_assert((a) <= (b))

#endif /* TEESIM_FUZZ_CHECK_SHIM_H */
