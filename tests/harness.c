/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "harness.h"

struct teesim_machine *TH_M;

struct teesim_machine *th_machine(const struct teesim_machine_cfg *cfg)
{
	struct teesim_machine *m = teesim_machine_new(cfg);

	ck_assert_msg(m != NULL, "teesim_machine_new failed: %s", strerror(errno));
	return m;
}

void th_machine_done_expect(struct teesim_machine *m, size_t violations)
{
	struct teesim_machine_stats st;

	teesim_machine_stats(m, &st);
	ck_assert_msg(st.kernel_pages == 0 && st.user_pages == 0 && st.host_pages == 0 &&
			  st.pins == 0 && st.pinned_pages == 0 && st.secure_pages == 0 &&
			  st.processes == 0 && st.violations == violations,
		      "machine not clean at teardown: kernel_pages=%llu user_pages=%llu "
		      "host_pages=%llu pins=%llu pinned_pages=%llu secure_pages=%llu "
		      "processes=%llu violations=%llu (expected %zu)",
		      (unsigned long long) st.kernel_pages, (unsigned long long) st.user_pages,
		      (unsigned long long) st.host_pages, (unsigned long long) st.pins,
		      (unsigned long long) st.pinned_pages, (unsigned long long) st.secure_pages,
		      (unsigned long long) st.processes, (unsigned long long) st.violations,
		      violations);
	teesim_machine_free(m);
}

void th_setup(void)
{
	TH_M = th_machine(NULL);
}

void th_teardown(void)
{
	th_machine_done(TH_M);
	TH_M = NULL;
}

TCase *th_tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, th_setup, th_teardown);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return tc;
}

int th_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
