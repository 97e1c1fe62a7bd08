/* SPDX-License-Identifier: MIT */
/* Checked reference counts (white box: src/core/refcount.c). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "core/refcount.h"

/* Assert that @m recorded exactly @n violations, the last of kind @kind at @r. */
static void expect_viol(struct teesim_machine *m, size_t n, enum teesim_violation_kind kind,
			const void *r)
{
	struct teesim_violation v[16];
	size_t got = teesim_machine_violations(m, v, 16);

	ck_assert_uint_eq(got, n);
	ck_assert_uint_le(n, 16);
	ck_assert_msg(v[n - 1].kind == kind, "violation kind %d (%s), expected %d (%s)",
		      v[n - 1].kind, teesim_violation_name(v[n - 1].kind), kind,
		      teesim_violation_name(kind));
	ck_assert_uint_eq(v[n - 1].addr, (uintptr_t) r);
	ck_assert_int_eq(v[n - 1].guest_id, -1);
}

static size_t nviol(struct teesim_machine *m)
{
	return teesim_machine_violations(m, NULL, 0);
}

START_TEST(test_set_read_inc_dec)
{
	struct tee_refcount r;

	tee_refcount_set(&r, 1);
	ck_assert_uint_eq(tee_refcount_read(&r), 1);
	tee_refcount_inc(TH_M, &r);
	ck_assert_uint_eq(tee_refcount_read(&r), 2);
	ck_assert(tee_refcount_inc_not_zero(TH_M, &r));
	ck_assert_uint_eq(tee_refcount_read(&r), 3);
	tee_refcount_dec(TH_M, &r);
	ck_assert_uint_eq(tee_refcount_read(&r), 2);
	ck_assert(!tee_refcount_dec_and_test(TH_M, &r));
	ck_assert_uint_eq(tee_refcount_read(&r), 1);
	ck_assert(tee_refcount_dec_and_test(TH_M, &r));
	ck_assert_uint_eq(tee_refcount_read(&r), 0);
	tee_refcount_set(&r, 12345);
	ck_assert_uint_eq(tee_refcount_read(&r), 12345);
	ck_assert_uint_eq(nviol(TH_M), 0);
}
END_TEST

START_TEST(test_inc_from_zero_reported)
{
	struct teesim_machine *m = th_machine(NULL);
	struct tee_refcount r;

	tee_refcount_set(&r, 0);
	tee_refcount_inc(m, &r);
	ck_assert_uint_eq(tee_refcount_read(&r), 0); /* not revived */
	expect_viol(m, 1, TEESIM_VIOL_REFCOUNT_INC_ZERO, &r);
	tee_refcount_inc(m, &r);
	ck_assert_uint_eq(tee_refcount_read(&r), 0);
	expect_viol(m, 2, TEESIM_VIOL_REFCOUNT_INC_ZERO, &r);
	th_machine_done_expect(m, 2);
}
END_TEST

START_TEST(test_inc_not_zero_at_zero)
{
	struct tee_refcount r;

	tee_refcount_set(&r, 0);
	for (int i = 0; i < 3; i++)
		ck_assert(!tee_refcount_inc_not_zero(TH_M, &r));
	ck_assert_uint_eq(tee_refcount_read(&r), 0);
	ck_assert_uint_eq(nviol(TH_M), 0); /* refusing is not a violation */
}
END_TEST

START_TEST(test_underflow_reported)
{
	struct teesim_machine *m = th_machine(NULL);
	struct tee_refcount r;

	tee_refcount_set(&r, 1);
	ck_assert(tee_refcount_dec_and_test(m, &r));
	ck_assert_uint_eq(nviol(m), 0);
	/* the put after the last one: reported, stays 0, never "true" twice */
	ck_assert(!tee_refcount_dec_and_test(m, &r));
	ck_assert_uint_eq(tee_refcount_read(&r), 0);
	expect_viol(m, 1, TEESIM_VIOL_REFCOUNT_UNDERFLOW, &r);
	tee_refcount_dec(m, &r);
	ck_assert_uint_eq(tee_refcount_read(&r), 0);
	expect_viol(m, 2, TEESIM_VIOL_REFCOUNT_UNDERFLOW, &r);
	th_machine_done_expect(m, 2);
}
END_TEST

START_TEST(test_dec_to_zero_reported)
{
	struct teesim_machine *m = th_machine(NULL);
	struct tee_refcount r;

	tee_refcount_set(&r, 2);
	tee_refcount_dec(m, &r);
	ck_assert_uint_eq(tee_refcount_read(&r), 1);
	ck_assert_uint_eq(nviol(m), 0);
	tee_refcount_dec(m, &r); /* a plain dec must never drop the last reference */
	ck_assert_uint_eq(tee_refcount_read(&r), 0);
	expect_viol(m, 1, TEESIM_VIOL_REFCOUNT_DEC_LEAK, &r);
	th_machine_done_expect(m, 1);
}
END_TEST

START_TEST(test_overflow_saturates)
{
	struct teesim_machine *m = th_machine(NULL);
	struct tee_refcount r;
	struct tee_kref k;
	tee_refcount_set(&r, UINT32_MAX - 2);
	tee_refcount_inc(m, &r);
	ck_assert_uint_eq(tee_refcount_read(&r), UINT32_MAX - 1);
	ck_assert_uint_eq(nviol(m), 0);
	tee_refcount_inc(m, &r); /* reaches the saturation value: reported once */
	ck_assert_uint_eq(tee_refcount_read(&r), TEE_REFCOUNT_SATURATED);
	expect_viol(m, 1, TEESIM_VIOL_REFCOUNT_OVERFLOW, &r);
	/* saturated: nothing moves it, nothing more is reported */
	tee_refcount_inc(m, &r);
	ck_assert(tee_refcount_inc_not_zero(m, &r));
	ck_assert(!tee_refcount_dec_and_test(m, &r));
	tee_refcount_dec(m, &r);
	ck_assert_uint_eq(tee_refcount_read(&r), UINT32_MAX);
	ck_assert_uint_eq(nviol(m), 1);

	/* inc_not_zero saturates the same way */
	tee_refcount_set(&r, UINT32_MAX - 1);
	ck_assert(tee_refcount_inc_not_zero(m, &r));
	ck_assert_uint_eq(tee_refcount_read(&r), UINT32_MAX);
	expect_viol(m, 2, TEESIM_VIOL_REFCOUNT_OVERFLOW, &r);

	/* a saturated kref is leaked, never released */
	tee_kref_init(&k);
	tee_refcount_set(&k.count, UINT32_MAX);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(tee_kref_put(m, &k, NULL), 0);
	ck_assert_uint_eq(tee_kref_read(&k), UINT32_MAX);
	th_machine_done_expect(m, 2);
}
END_TEST

START_TEST(test_null_machine_same_behaviour)
{
	struct tee_refcount r;

	tee_refcount_set(&r, 0);
	tee_refcount_inc(NULL, &r);
	ck_assert_uint_eq(tee_refcount_read(&r), 0);
	ck_assert(!tee_refcount_inc_not_zero(NULL, &r));
	ck_assert(!tee_refcount_dec_and_test(NULL, &r));
	tee_refcount_dec(NULL, &r);
	ck_assert_uint_eq(tee_refcount_read(&r), 0);
	tee_refcount_set(&r, UINT32_MAX - 1);
	tee_refcount_inc(NULL, &r);
	tee_refcount_inc(NULL, &r);
	ck_assert_uint_eq(tee_refcount_read(&r), UINT32_MAX);
	tee_refcount_set(&r, 1);
	tee_refcount_dec(NULL, &r);
	ck_assert_uint_eq(tee_refcount_read(&r), 0);
	ck_assert_uint_eq(nviol(TH_M), 0);
}
END_TEST

struct kobj {
	struct tee_kref kref;
	int releases;
};

static void kobj_release(struct tee_kref *k)
{
	struct kobj *o = (struct kobj *) ((char *) k - offsetof(struct kobj, kref));

	o->releases++;
}

START_TEST(test_kref)
{
	struct teesim_machine *m = th_machine(NULL);
	struct kobj o = {.releases = 0};

	tee_kref_init(&o.kref);
	ck_assert_uint_eq(tee_kref_read(&o.kref), 1);
	tee_kref_get(m, &o.kref);
	ck_assert(tee_kref_get_unless_zero(m, &o.kref));
	ck_assert_uint_eq(tee_kref_read(&o.kref), 3);
	ck_assert_int_eq(tee_kref_put(m, &o.kref, kobj_release), 0);
	ck_assert_int_eq(tee_kref_put(m, &o.kref, kobj_release), 0);
	ck_assert_int_eq(o.releases, 0);
	ck_assert_int_eq(tee_kref_put(m, &o.kref, kobj_release), 1);
	ck_assert_int_eq(o.releases, 1);
	ck_assert_uint_eq(tee_kref_read(&o.kref), 0);
	ck_assert_uint_eq(nviol(m), 0);

	/* after release: no revival, a get is reported, a put is reported and releases nothing */
	ck_assert(!tee_kref_get_unless_zero(m, &o.kref));
	tee_kref_get(m, &o.kref);
	expect_viol(m, 1, TEESIM_VIOL_REFCOUNT_INC_ZERO, &o.kref.count);
	ck_assert_int_eq(tee_kref_put(m, &o.kref, kobj_release), 0);
	expect_viol(m, 2, TEESIM_VIOL_REFCOUNT_UNDERFLOW, &o.kref.count);
	ck_assert_int_eq(o.releases, 1);

	/* a NULL release function is not called, but the last put still says so */
	tee_kref_init(&o.kref);
	ck_assert_int_eq(tee_kref_put(m, &o.kref, NULL), 1);
	th_machine_done_expect(m, 2);
}
END_TEST

START_TEST(test_violation_names)
{
	enum teesim_violation_kind kinds[] = {
	    TEESIM_VIOL_REFCOUNT_INC_ZERO, TEESIM_VIOL_REFCOUNT_UNDERFLOW,
	    TEESIM_VIOL_REFCOUNT_OVERFLOW, TEESIM_VIOL_REFCOUNT_DEC_LEAK};
	const char *unknown = teesim_violation_name((enum teesim_violation_kind) 9999);

	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_ne(teesim_violation_name(kinds[i]), unknown);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(teesim_violation_name(kinds[i]),
					 teesim_violation_name(kinds[j]));
	}
	/* the existing kinds keep their values */
	ck_assert_int_eq(TEESIM_VIOL_SECURE_ACCESS, 4);
	ck_assert_int_gt(TEESIM_VIOL_REFCOUNT_INC_ZERO, TEESIM_VIOL_SECURE_ACCESS);
}
END_TEST

/* ---- concurrency: lookups racing the final put ---- */

#define RACE_THREADS 4
#define RACE_ROUNDS  40
#define RACE_LOOKUPS 400
#define PAYLOAD_LIVE 0x11111111
#define PAYLOAD_DEAD 0x0dead000

struct race_obj {
	struct tee_kref kref;
	int payload; /* plain memory: TSan sees any access not ordered by the count */
};

struct race {
	struct teesim_machine *m;
	struct race_obj *o;
	bool use_kref;
	atomic_uint gets, releases, revived;
};

static void race_release(struct tee_kref *k)
{
	struct race_obj *o = (struct race_obj *) ((char *) k - offsetof(struct race_obj, kref));

	o->payload = PAYLOAD_DEAD;
}

/* Drop one reference; the one that reaches 0 kills the payload. */
static void race_put(struct race *rc)
{
	if (rc->use_kref) {
		if (tee_kref_put(rc->m, &rc->o->kref, race_release))
			atomic_fetch_add(&rc->releases, 1);
	} else if (tee_refcount_dec_and_test(rc->m, &rc->o->kref.count)) {
		rc->o->payload = PAYLOAD_DEAD;
		atomic_fetch_add(&rc->releases, 1);
	}
}

/*
 * A bounded number of lookups, so the test ends under any scheduler (under
 * valgrind one thread runs at a time and a preempted holder keeps the count
 * up for the others). Lookups go on after the object died: every one of them
 * must be refused.
 */
static void *race_worker(void *arg)
{
	struct race *rc = arg;
	bool seen_dead = false;

	for (int i = 0; i < RACE_LOOKUPS; i++) {
		bool got = rc->use_kref ? tee_kref_get_unless_zero(rc->m, &rc->o->kref)
					: tee_refcount_inc_not_zero(rc->m, &rc->o->kref.count);

		if (!got) {
			seen_dead = true;
			continue;
		}
		if (seen_dead || rc->o->payload != PAYLOAD_LIVE) {
			atomic_fetch_add(&rc->revived, 1);
			break; /* reference leaked on purpose: the test fails anyway */
		}
		atomic_fetch_add(&rc->gets, 1);
		race_put(rc);
	}
	return NULL;
}

START_TEST(test_concurrent_lookup_vs_final_put)
{
	for (int round = 0; round < RACE_ROUNDS; round++) {
		struct race_obj *o = malloc(sizeof(*o));
		struct race rc = {.m = TH_M, .o = o, .use_kref = round & 1};
		pthread_t t[RACE_THREADS];
		unsigned releases, revived;

		ck_assert_ptr_nonnull(o);
		tee_kref_init(&o->kref);
		o->payload = PAYLOAD_LIVE;
		atomic_init(&rc.gets, 0);
		atomic_init(&rc.releases, 0);
		atomic_init(&rc.revived, 0);
		for (int i = 0; i < RACE_THREADS; i++)
			ck_assert_int_eq(pthread_create(&t[i], NULL, race_worker, &rc), 0);
		/* let the lookups get going, then drop the owner's reference */
		while (atomic_load(&rc.gets) < 25u * (unsigned) (round % 4 + 1))
			sched_yield();
		race_put(&rc);
		for (int i = 0; i < RACE_THREADS; i++)
			ck_assert_int_eq(pthread_join(t[i], NULL), 0);

		releases = atomic_load(&rc.releases);
		revived = atomic_load(&rc.revived);
		ck_assert_msg(releases == 1, "round %d: %u releases", round, releases);
		ck_assert_msg(revived == 0, "round %d: %u lookups got a dead object", round,
			      revived);
		ck_assert_uint_eq(tee_kref_read(&o->kref), 0);
		ck_assert_int_eq(o->payload, PAYLOAD_DEAD);
		free(o);
	}
	ck_assert_uint_eq(nviol(TH_M), 0);
}
END_TEST

/* Workers count unexpected results; only the main thread asserts. */
struct misuse {
	struct teesim_machine *m;
	struct tee_refcount *r;
	atomic_uint wrong;
};

static void *misuse_worker(void *arg)
{
	struct misuse *mu = arg;

	for (int i = 0; i < 100; i++) {
		tee_refcount_inc(mu->m, mu->r);
		if (tee_refcount_dec_and_test(mu->m, mu->r))
			atomic_fetch_add(&mu->wrong, 1);
	}
	return NULL;
}

/* Violations reported from several threads at once are all recorded. */
START_TEST(test_concurrent_reports)
{
	struct teesim_machine *m = th_machine(NULL);
	struct tee_refcount r;
	struct misuse mu = {.m = m, .r = &r};
	pthread_t t[RACE_THREADS];

	tee_refcount_set(&r, 0);
	for (int i = 0; i < RACE_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, misuse_worker, &mu), 0);
	for (int i = 0; i < RACE_THREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_msg(atomic_load(&mu.wrong) == 0, "%u unexpected results",
		      (unsigned) atomic_load(&mu.wrong));
	ck_assert_uint_eq(tee_refcount_read(&r), 0);
	th_machine_done_expect(m, RACE_THREADS * 100 * 2);
}
END_TEST

/* Concurrent gets and puts on a live object leave the count balanced. */
static void *balance_worker(void *arg)
{
	struct misuse *mu = arg;

	for (int i = 0; i < 5000; i++) {
		tee_refcount_inc(mu->m, mu->r);
		if (!tee_refcount_inc_not_zero(mu->m, mu->r))
			atomic_fetch_add(&mu->wrong, 1);
		tee_refcount_dec(mu->m, mu->r);
		if (tee_refcount_dec_and_test(mu->m, mu->r))
			atomic_fetch_add(&mu->wrong, 1);
	}
	return NULL;
}

START_TEST(test_concurrent_balance)
{
	struct tee_refcount r;
	struct misuse mu = {.m = TH_M, .r = &r};
	pthread_t t[RACE_THREADS];

	tee_refcount_set(&r, 1);
	for (int i = 0; i < RACE_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, balance_worker, &mu), 0);
	for (int i = 0; i < RACE_THREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_msg(atomic_load(&mu.wrong) == 0, "%u unexpected results",
		      (unsigned) atomic_load(&mu.wrong));
	ck_assert_uint_eq(tee_refcount_read(&r), 1);
	ck_assert(tee_refcount_dec_and_test(TH_M, &r));
	ck_assert_uint_eq(nviol(TH_M), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("refcount");
	TCase *tc = th_tcase(s, "refcount");

	tcase_add_test(tc, test_set_read_inc_dec);
	tcase_add_test(tc, test_inc_from_zero_reported);
	tcase_add_test(tc, test_inc_not_zero_at_zero);
	tcase_add_test(tc, test_underflow_reported);
	tcase_add_test(tc, test_dec_to_zero_reported);
	tcase_add_test(tc, test_overflow_saturates);
	tcase_add_test(tc, test_null_machine_same_behaviour);
	tcase_add_test(tc, test_kref);
	tcase_add_test(tc, test_violation_names);
	tc = th_tcase(s, "concurrency");
	tcase_add_test(tc, test_concurrent_lookup_vs_final_put);
	tcase_add_test(tc, test_concurrent_reports);
	tcase_add_test(tc, test_concurrent_balance);
	return th_run(s);
}
