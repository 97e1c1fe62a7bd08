/* SPDX-License-Identifier: MIT */
/*
 * Test harness shared by every suite: builds machines, and at teardown
 * proves that nothing was left behind (no allocation, pin, bound host page,
 * secure allocation or unexpected violation) before freeing the machine.
 */
#ifndef TEESIM_TESTS_HARNESS_H
#define TEESIM_TESTS_HARNESS_H

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <teesim/teesim.h>

/* A machine built from @cfg (NULL: defaults), asserted to exist. */
struct teesim_machine *th_machine(const struct teesim_machine_cfg *cfg);

/*
 * Assert that @m holds nothing (no kernel, user or host pages, no pins, no
 * secure pages, no processes) and recorded exactly @violations violations,
 * then free it. Prints the counters on failure.
 */
void th_machine_done_expect(struct teesim_machine *m, size_t violations);
#define th_machine_done(m) th_machine_done_expect((m), 0)

/*
 * Assert that an invariant check (teesim/check.h) found @expected problems,
 * printing what @what found otherwise.
 */
void th_check_report(const char *what, unsigned problems, unsigned expected,
		     const struct teesim_check_report *rep);

/* The default fixture: TH_M is a default machine, checked at teardown. */
extern struct teesim_machine *TH_M;
void th_setup(void);
void th_teardown(void);

/* Add a test case with the default fixture. */
TCase *th_tcase(Suite *s, const char *name);

/* Run a suite; returns the process exit status (0 or 1, never a count). */
int th_run(Suite *s);

/* Assert that a call returned a given negative errno, printing both. */
#define th_assert_err(expr, err)                                                                   \
	do {                                                                                       \
		long th_r_ = (long) (expr);                                                        \
		ck_assert_msg(th_r_ == (long) (err), "%s returned %ld (%s), expected %ld (%s)",    \
			      #expr, th_r_, th_r_ < 0 ? strerror((int) -th_r_) : "ok",             \
			      (long) (err), (err) < 0 ? strerror(-(err)) : "ok");                  \
	} while (0)

#endif /* TEESIM_TESTS_HARNESS_H */
