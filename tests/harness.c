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

/* Recorded REFCOUNT_* violations: the checker reports each one as a finding. */
static unsigned refcount_violations(struct teesim_machine *m)
{
	size_t n = teesim_machine_violations(m, NULL, 0);
	struct teesim_violation *v = n ? calloc(n, sizeof(*v)) : NULL;
	unsigned k = 0;

	if (n)
		ck_assert_ptr_nonnull(v);
	n = teesim_machine_violations(m, v, n);
	for (size_t i = 0; i < n; i++)
		if (v[i].kind >= TEESIM_VIOL_REFCOUNT_INC_ZERO &&
		    v[i].kind <= TEESIM_VIOL_REFCOUNT_DEC_LEAK)
			k++;
	free(v);
	return k;
}

void th_check_report(const char *what, unsigned problems, unsigned expected,
		     const struct teesim_check_report *rep)
{
	ck_assert_msg(problems == expected,
		      "%s: invariant check found %u problems (expected %u):\n%s", what, problems,
		      expected, rep->text);
}

void th_machine_done_expect(struct teesim_machine *m, size_t violations)
{
	struct teesim_machine_stats st;
	struct teesim_check_report *rep = malloc(sizeof(*rep));
	unsigned problems;

	ck_assert_ptr_nonnull(rep);
	problems = teesim_check_machine(m, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, rep);
	/* violations a test expects include the REFCOUNT_* ones the checker reports */
	th_check_report("machine at teardown", problems, violations ? refcount_violations(m) : 0,
			rep);
	free(rep);
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
