/* SPDX-License-Identifier: MIT */
#include "harness.h"

START_TEST(test_default_machine)
{
	ck_assert_ptr_nonnull(teesim_machine_guest(TH_M, 0));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("smc");

	tcase_add_test(th_tcase(s, "smc"), test_default_machine);
	return th_run(s);
}
