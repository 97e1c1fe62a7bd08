/* SPDX-License-Identifier: MIT */
/*
 * The xtest-equivalent scenarios (tests/scenario.h), one Check test per
 * xtest case or sub-case: the scenario must behave as expected at every step
 * and leave a stack the invariant checker finds idle and empty.
 */
#include <stdlib.h>

#include <teesim/check.h>

#include "harness.h"
#include "scenario.h"

/* Run scenario @name on a fresh stack; its steps and the teardown check must pass. */
static void run_scenario(const char *name)
{
	const struct th_scenario *sc = th_scen_find(name);
	struct teesim_check_report *rep = calloc(1, sizeof(*rep));
	struct th_scen_env env;
	unsigned problems;
	int rc;

	ck_assert_ptr_nonnull(rep);
	ck_assert_msg(sc != NULL, "no scenario %s", name);
	rc = th_scen_env_init(&env, sc);
	ck_assert_msg(rc == 0, "%s: environment: %s", name, strerror(-rc));
	rc = sc->run(&env);
	if (rc) {
		unsigned p = th_scen_env_fini(&env, rep);

		ck_abort_msg("%s failed (err %d / %#x): %s [teardown: %u problems%s%s]", name,
			     env.err, (unsigned) env.err, env.why, p, p ? ": " : "",
			     p ? rep->text : "");
	}
	ck_assert_msg(env.err == 0, "%s returned 0 with err %d: %s", name, env.err, env.why);
	problems = th_scen_env_fini(&env, rep);
	ck_assert_msg(problems == 0, "%s: %u problems at teardown:\n%s", name, problems, rep->text);
	free(rep);
}

#define TH_XT_TEST(name, fn, cfg)                                                                  \
	START_TEST(name)                                                                           \
	{                                                                                          \
		run_scenario(#name);                                                               \
	}                                                                                          \
	END_TEST
TH_SC_LIST(TH_XT_TEST)
#undef TH_XT_TEST

/* Stack without MEMREF_NULL or without REG_MEM: what 1025 and 1032 require is missing. */
static void cfg_no_memref_null(struct teesim_stack_cfg *cfg)
{
	cfg->drv.memref_null = false;
}

/*
 * The scenarios report what they find rather than pass regardless: 1025 on a device without
 * MEMREF_NULL and 1032 on one without REG_MEM must fail, naming the missing capability, and
 * still leave a clean stack.
 */
START_TEST(xtest_selftest_scenario_fails)
{
	const struct th_scenario cases[] = {
	    {"xtest_1025 without MEMREF_NULL", th_scen_xtest_1025, cfg_no_memref_null},
	    {"xtest_1032 without REG_MEM", th_scen_xtest_1032, th_sc_cfg_static},
	};
	static const char *const want[] = {"MEMREF_NULL", "REG_MEM"};

	for (size_t i = 0; i < 2; i++) {
		struct th_scen_env env;
		unsigned problems;

		ck_assert_int_eq(th_scen_env_init(&env, &cases[i]), 0);
		ck_assert_msg(cases[i].run(&env) != 0, "%s passed", cases[i].name);
		ck_assert_msg(env.err != 0 && strstr(env.why, want[i]), "%s: err %d, why: %s",
			      cases[i].name, env.err, env.why);
		problems = th_scen_env_fini(&env, NULL);
		ck_assert_uint_eq(problems, 0);
	}
}
END_TEST

/* Teardown finds what a scenario leaves behind: here a supplicant file handle left open. */
START_TEST(xtest_selftest_fini_finds_leak)
{
	const struct th_scenario *sc = th_scen_find("xtest_5006_allocate_in");
	struct teesim_check_report *rep = calloc(1, sizeof(*rep));
	struct tee_ioctl_param p[3];
	struct teesim_supplicant_memref mem[3];
	static char name[] = "leak";
	struct th_scen_env env;
	uint32_t ret = 1;
	unsigned problems;

	ck_assert_ptr_nonnull(rep);
	ck_assert_int_eq(th_scen_env_init(&env, sc), 0);
	ck_assert_int_eq(sc->run(&env), 0);
	ck_assert_int_eq(teesim_supplicant_fs_write(env.st->supp, "leak", "x", 1), 0);
	memset(p, 0, sizeof(p));
	memset(mem, 0, sizeof(mem));
	p[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT;
	p[0].a = TEESIM_OPTEE_RPC_FS_OPEN;
	p[1].attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT;
	p[1].b = sizeof(name);
	mem[1].buf = name;
	mem[1].room = sizeof(name);
	p[2].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT;
	ck_assert_int_eq(
	    teesim_supplicant_serve(env.st->supp, TEESIM_OPTEE_RPC_CMD_FS, 3, p, mem, &ret), 0);
	ck_assert_uint_eq(ret, 0);
	problems = th_scen_env_fini(&env, rep);
	ck_assert_msg(problems > 0, "an open supplicant file went unnoticed");
	ck_assert_msg(strstr(rep->text, "supplicant") != NULL, "report: %s", rep->text);
	free(rep);
}
END_TEST

/* Every scenario of the table has its test here (and no test names a missing one). */
START_TEST(xtest_table)
{
	size_t n = 0;

#define TH_XT_COUNT(name, fn, cfg)                                                                 \
	ck_assert_ptr_nonnull(th_scen_find(#name));                                                \
	n++;
	TH_SC_LIST(TH_XT_COUNT)
#undef TH_XT_COUNT
	ck_assert_uint_eq(n, th_nscenarios);
	for (size_t i = 0; i < th_nscenarios; i++)
		ck_assert_ptr_eq(th_scen_find(th_scenarios[i].name), &th_scenarios[i]);
}
END_TEST

static Suite *xtest_suite(void)
{
	Suite *s = suite_create("scenario");
	TCase *tc = tcase_create("xtest");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, xtest_table);
	tcase_add_test(tc, xtest_selftest_scenario_fails);
	tcase_add_test(tc, xtest_selftest_fini_finds_leak);
#define TH_XT_ADD(name, fn, cfg) tcase_add_test(tc, name);
	TH_SC_LIST(TH_XT_ADD)
#undef TH_XT_ADD
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run(xtest_suite());
}
