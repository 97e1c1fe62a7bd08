/* SPDX-License-Identifier: MIT */
/* Integer id table (white box: src/core/idr.c). */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "core/idr.h"

/* A distinct non-NULL pointer for each id, to check what comes back. */
static int objs[64];
#define P(i) ((void *) &objs[(i) % 64])
/* For ids of the big tests: a fake but unique non-NULL pointer. */
#define Q(i) ((void *) (uintptr_t) (((uintptr_t) (i) << 4) | 8))

/*
 * Check records the location of every passing ck_assert (a write per call),
 * which dominates loops of a million checks; these only call into Check when
 * they fail.
 */
#define FAST_EQ(expr, want)                                                                        \
	do {                                                                                       \
		long long f_got_ = (long long) (expr), f_want_ = (long long) (want);               \
		if (f_got_ != f_want_)                                                             \
			ck_abort_msg("line %d: %s is %lld, expected %lld", __LINE__, #expr,        \
				     f_got_, f_want_);                                             \
	} while (0)
#define FAST_PTR_EQ(expr, want) FAST_EQ((intptr_t) (expr), (intptr_t) (want))

START_TEST(test_empty)
{
	struct tee_idr idr;
	int id = 0;

	tee_idr_init(&idr, NULL);
	ck_assert_uint_eq(tee_idr_count(&idr), 0);
	ck_assert_ptr_null(tee_idr_find(&idr, 0));
	ck_assert_ptr_null(tee_idr_find(&idr, 1));
	ck_assert_ptr_null(tee_idr_remove(&idr, 1));
	th_assert_err(tee_idr_replace(&idr, P(1), 1, NULL), -ENOENT);
	ck_assert_ptr_null(tee_idr_get_next(&idr, &id));
	ck_assert_int_eq(id, -1);
	ck_assert_uint_eq(tee_idr_count(&idr), 0);
	ck_assert_int_eq(tee_idr_check(&idr), 0);
	tee_idr_destroy(&idr);
	tee_idr_destroy(&idr); /* destroying an empty table twice is fine */
}
END_TEST

START_TEST(test_sequential_and_find)
{
	struct tee_idr idr;

	tee_idr_init(&idr, NULL);
	for (int i = 1; i <= 200; i++)
		ck_assert_int_eq(tee_idr_alloc(&idr, P(i), 1, 0), i);
	ck_assert_uint_eq(tee_idr_count(&idr), 200);
	for (int i = 1; i <= 200; i++)
		ck_assert_ptr_eq(tee_idr_find(&idr, i), P(i));
	ck_assert_ptr_null(tee_idr_find(&idr, 0));
	ck_assert_ptr_null(tee_idr_find(&idr, 201));
	/* id 0 is free: a range starting at 0 gets it */
	ck_assert_int_eq(tee_idr_alloc(&idr, P(0), 0, 0), 0);
	ck_assert_ptr_eq(tee_idr_find(&idr, 0), P(0));
	ck_assert_uint_eq(tee_idr_count(&idr), 201);
	ck_assert_int_eq(tee_idr_check(&idr), 0);
	tee_idr_destroy(&idr);
	ck_assert_uint_eq(tee_idr_count(&idr), 0);
	ck_assert_ptr_null(idr.root);
}
END_TEST

START_TEST(test_smallest_free_after_removals)
{
	struct tee_idr idr;

	tee_idr_init(&idr, NULL);
	for (int i = 1; i <= 10; i++)
		ck_assert_int_eq(tee_idr_alloc(&idr, P(i), 1, 0), i);
	ck_assert_ptr_eq(tee_idr_remove(&idr, 7), P(7));
	ck_assert_ptr_eq(tee_idr_remove(&idr, 3), P(3));
	ck_assert_ptr_eq(tee_idr_remove(&idr, 5), P(5));
	ck_assert_ptr_null(tee_idr_remove(&idr, 5)); /* already free */
	ck_assert_uint_eq(tee_idr_count(&idr), 7);
	ck_assert_ptr_null(tee_idr_find(&idr, 3));
	ck_assert_int_eq(tee_idr_alloc(&idr, P(33), 1, 0), 3);
	ck_assert_int_eq(tee_idr_alloc(&idr, P(35), 1, 0), 5);
	ck_assert_int_eq(tee_idr_alloc(&idr, P(37), 1, 0), 7);
	ck_assert_int_eq(tee_idr_alloc(&idr, P(11), 1, 0), 11);
	ck_assert_ptr_eq(tee_idr_find(&idr, 3), P(33));
	/* a start above a hole skips it */
	ck_assert_ptr_eq(tee_idr_remove(&idr, 2), P(2));
	ck_assert_int_eq(tee_idr_alloc(&idr, P(12), 3, 0), 12);
	ck_assert_int_eq(tee_idr_alloc(&idr, P(2), 1, 0), 2);
	ck_assert_uint_eq(tee_idr_count(&idr), 12);
	ck_assert_int_eq(tee_idr_check(&idr), 0);
	tee_idr_destroy(&idr);
}
END_TEST

START_TEST(test_ranges_and_errors)
{
	struct tee_idr idr;

	tee_idr_init(&idr, NULL);
	ck_assert_int_eq(tee_idr_alloc(&idr, P(1), 100, 103), 100);
	ck_assert_int_eq(tee_idr_alloc(&idr, P(2), 100, 103), 101);
	ck_assert_int_eq(tee_idr_alloc(&idr, P(3), 100, 103), 102);
	th_assert_err(tee_idr_alloc(&idr, P(4), 100, 103), -ENOSPC);
	ck_assert_uint_eq(tee_idr_count(&idr), 3);
	ck_assert_ptr_eq(tee_idr_remove(&idr, 101), P(2));
	ck_assert_int_eq(tee_idr_alloc(&idr, P(5), 100, 103), 101);
	/* a wider range continues past the full one */
	ck_assert_int_eq(tee_idr_alloc(&idr, P(6), 100, 0), 103);
	/* empty and inverted ranges */
	th_assert_err(tee_idr_alloc(&idr, P(7), 5, 5), -ENOSPC);
	th_assert_err(tee_idr_alloc(&idr, P(7), 9, 5), -ENOSPC);
	/* bad start */
	th_assert_err(tee_idr_alloc(&idr, P(7), -1, 0), -EINVAL);
	th_assert_err(tee_idr_alloc(&idr, P(7), INT_MIN, 10), -EINVAL);
	ck_assert_uint_eq(tee_idr_count(&idr), 4);
	/* negative end means unbounded, like 0 */
	ck_assert_int_eq(tee_idr_alloc(&idr, P(8), 0, -5), 0);
	/* the very top of the id space */
	ck_assert_int_eq(tee_idr_alloc(&idr, P(9), INT_MAX, 0), INT_MAX);
	th_assert_err(tee_idr_alloc(&idr, P(9), INT_MAX, 0), -ENOSPC);
	ck_assert_int_eq(tee_idr_alloc(&idr, P(10), INT_MAX - 1, INT_MAX), INT_MAX - 1);
	th_assert_err(tee_idr_alloc(&idr, P(10), INT_MAX - 1, INT_MAX), -ENOSPC);
	ck_assert_ptr_eq(tee_idr_find(&idr, INT_MAX), P(9));
	ck_assert_ptr_eq(tee_idr_find(&idr, INT_MAX - 1), P(10));
	/* the low ids are still served smallest-first with the top allocated */
	ck_assert_int_eq(tee_idr_alloc(&idr, P(11), 1, 0), 1);
	ck_assert_uint_eq(tee_idr_count(&idr), 8);
	ck_assert_ptr_eq(tee_idr_remove(&idr, INT_MAX), P(9));
	ck_assert_ptr_eq(tee_idr_remove(&idr, INT_MAX - 1), P(10));
	ck_assert_ptr_null(tee_idr_find(&idr, INT_MAX));
	ck_assert_uint_eq(tee_idr_count(&idr), 6);
	ck_assert_int_eq(tee_idr_check(&idr), 0);
	tee_idr_destroy(&idr);
}
END_TEST

START_TEST(test_bad_ids)
{
	struct tee_idr idr;
	const int bad[] = {-1, -64, INT_MIN, 64, 4096, 1 << 24, INT_MAX};

	tee_idr_init(&idr, NULL);
	for (int i = 1; i <= 40; i++)
		ck_assert_int_eq(tee_idr_alloc(&idr, P(i), 1, 0), i);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		void *old = P(0);
		int id = bad[i];

		ck_assert_ptr_null(tee_idr_find(&idr, bad[i]));
		ck_assert_ptr_null(tee_idr_remove(&idr, bad[i]));
		th_assert_err(tee_idr_replace(&idr, P(1), bad[i], &old), -ENOENT);
		ck_assert_ptr_eq(old, P(0)); /* untouched on error */
		ck_assert_int_eq(tee_idr_is_allocated(&idr, bad[i]), 0);
		if (bad[i] < 0 || bad[i] > 40) {
			ck_assert_ptr_null(tee_idr_get_next(&idr, &id));
			ck_assert_int_eq(id, -1);
		}
	}
	ck_assert_uint_eq(tee_idr_count(&idr), 40);
	ck_assert_int_eq(tee_idr_check(&idr), 0);
	tee_idr_destroy(&idr);
}
END_TEST

START_TEST(test_reserved_and_replace)
{
	struct tee_idr idr;
	void *old = P(0);
	int id;

	tee_idr_init(&idr, NULL);
	ck_assert_int_eq(tee_idr_alloc(&idr, P(1), 1, 0), 1);
	/* reserve id 2 with NULL, as the post-5.16 core does before the object is ready */
	ck_assert_int_eq(tee_idr_alloc(&idr, NULL, 1, 0), 2);
	ck_assert_int_eq(tee_idr_alloc(&idr, P(3), 1, 0), 3);
	ck_assert_uint_eq(tee_idr_count(&idr), 3);
	ck_assert_ptr_null(tee_idr_find(&idr, 2));
	ck_assert_int_eq(tee_idr_is_allocated(&idr, 2), 1);
	/* iteration skips the reserved id */
	id = 2;
	ck_assert_ptr_eq(tee_idr_get_next(&idr, &id), P(3));
	ck_assert_int_eq(id, 3);
	/* the reserved id is not handed out again */
	ck_assert_int_eq(tee_idr_alloc(&idr, P(4), 2, 0), 4);
	/* fill it in */
	ck_assert_int_eq(tee_idr_replace(&idr, P(22), 2, &old), 0);
	ck_assert_ptr_null(old);
	ck_assert_ptr_eq(tee_idr_find(&idr, 2), P(22));
	id = 2;
	ck_assert_ptr_eq(tee_idr_get_next(&idr, &id), P(22));
	ck_assert_int_eq(id, 2);
	/* replace again, old pointer returned; NULL @old accepted */
	ck_assert_int_eq(tee_idr_replace(&idr, P(23), 2, &old), 0);
	ck_assert_ptr_eq(old, P(22));
	ck_assert_int_eq(tee_idr_replace(&idr, P(24), 2, NULL), 0);
	ck_assert_ptr_eq(tee_idr_find(&idr, 2), P(24));
	/* back to reserved */
	ck_assert_int_eq(tee_idr_replace(&idr, NULL, 2, &old), 0);
	ck_assert_ptr_eq(old, P(24));
	ck_assert_ptr_null(tee_idr_find(&idr, 2));
	ck_assert_uint_eq(tee_idr_count(&idr), 4);
	/* removing a reserved id frees it and returns NULL */
	ck_assert_ptr_null(tee_idr_remove(&idr, 2));
	ck_assert_int_eq(tee_idr_is_allocated(&idr, 2), 0);
	ck_assert_uint_eq(tee_idr_count(&idr), 3);
	th_assert_err(tee_idr_replace(&idr, P(2), 2, NULL), -ENOENT);
	ck_assert_int_eq(tee_idr_alloc(&idr, P(2), 1, 0), 2);
	/* only reserved ids left: iteration finds nothing, count still counts them */
	ck_assert_int_eq(tee_idr_check(&idr), 0);
	tee_idr_destroy(&idr);
	tee_idr_init(&idr, NULL);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(tee_idr_alloc(&idr, NULL, 0, 0), i);
	id = 0;
	ck_assert_ptr_null(tee_idr_get_next(&idr, &id));
	ck_assert_int_eq(id, -1);
	ck_assert_uint_eq(tee_idr_count(&idr), 100);
	ck_assert_int_eq(tee_idr_check(&idr), 0);
	tee_idr_destroy(&idr);
}
END_TEST

START_TEST(test_iteration)
{
	struct tee_idr idr;
	int expect[] = {0, 5, 63, 64, 65, 4095, 4096, 300000, 1 << 30, INT_MAX};
	size_t n = sizeof(expect) / sizeof(expect[0]), k = 0;
	void *p;
	int id;

	tee_idr_init(&idr, NULL);
	for (size_t i = n; i-- > 0;)
		ck_assert_int_eq(tee_idr_alloc(&idr, Q(expect[i]), expect[i], 0), expect[i]);
	/* reserved ids in between are skipped */
	ck_assert_int_eq(tee_idr_alloc(&idr, NULL, 6, 0), 6);
	ck_assert_int_eq(tee_idr_alloc(&idr, NULL, 70000, 0), 70000);
	ck_assert_uint_eq(tee_idr_count(&idr), n + 2);
	for (id = 0; (p = tee_idr_get_next(&idr, &id)) != NULL; id++) {
		ck_assert_uint_lt(k, n);
		ck_assert_int_eq(id, expect[k]);
		ck_assert_ptr_eq(p, Q(expect[k]));
		k++;
		if (id == INT_MAX)
			break; /* id++ would overflow */
	}
	ck_assert_uint_eq(k, n);
	/* from the middle of a gap */
	id = 4097;
	ck_assert_ptr_eq(tee_idr_get_next(&idr, &id), Q(300000));
	ck_assert_int_eq(id, 300000);
	id = 300001;
	ck_assert_ptr_eq(tee_idr_get_next(&idr, &id), Q(1 << 30));
	/* after removal */
	ck_assert_ptr_eq(tee_idr_remove(&idr, 1 << 30), Q(1 << 30));
	id = 300001;
	ck_assert_ptr_eq(tee_idr_get_next(&idr, &id), Q(INT_MAX));
	ck_assert_int_eq(id, INT_MAX);
	ck_assert_ptr_eq(tee_idr_remove(&idr, INT_MAX), Q(INT_MAX));
	id = 300001;
	ck_assert_ptr_null(tee_idr_get_next(&idr, &id));
	ck_assert_int_eq(id, -1);
	ck_assert_int_eq(tee_idr_check(&idr), 0);
	tee_idr_destroy(&idr);
}
END_TEST

#define MANY 262144

START_TEST(test_many_ids)
{
	struct tee_idr idr;
	int id;
	void *p;
	size_t k = 0;

	tee_idr_init(&idr, NULL);
	for (int i = 1; i <= MANY; i++)
		FAST_EQ(tee_idr_alloc(&idr, Q(i), 1, 0), i);
	FAST_EQ(tee_idr_count(&idr), MANY);
	for (int i = 1; i <= MANY; i += 997)
		FAST_PTR_EQ(tee_idr_find(&idr, i), Q(i));
	/* free every other id; the smallest-first refill takes them back in order */
	for (int i = 2; i <= MANY; i += 2)
		FAST_PTR_EQ(tee_idr_remove(&idr, i), Q(i));
	FAST_EQ(tee_idr_count(&idr), MANY / 2);
	ck_assert_int_eq(tee_idr_check(&idr), 0);
	for (id = 0; (p = tee_idr_get_next(&idr, &id)) != NULL; id++) {
		FAST_EQ(id, (int) (2 * k + 1));
		k++;
	}
	FAST_EQ(k, MANY / 2);
	for (int i = 2; i <= MANY; i += 2)
		FAST_EQ(tee_idr_alloc(&idr, Q(i), 1, 0), i);
	FAST_EQ(tee_idr_alloc(&idr, Q(MANY + 1), 1, 0), MANY + 1);
	FAST_EQ(tee_idr_count(&idr), MANY + 1);
	/* empty it completely: every node goes */
	for (int i = 1; i <= MANY + 1; i++)
		FAST_PTR_EQ(tee_idr_remove(&idr, i), Q(i));
	FAST_EQ(tee_idr_count(&idr), 0);
	ck_assert_ptr_null(idr.root);
	FAST_EQ(tee_idr_alloc(&idr, Q(1), 1, 0), 1);
	ck_assert_int_eq(tee_idr_check(&idr), 0);
	tee_idr_destroy(&idr);
}
END_TEST

/* ---- randomized comparison with a plain array ---- */

#define MODEL_N 3000

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

START_TEST(test_against_model)
{
	struct tee_idr idr;
	static bool used[MODEL_N];
	static void *val[MODEL_N];
	uint64_t seed = 42;
	size_t count = 0;

	memset(used, 0, sizeof(used));
	memset(val, 0, sizeof(val));
	tee_idr_init(&idr, NULL);
	for (int op = 0; op < 20000; op++) {
		int a = (int) (rnd(&seed) % MODEL_N), b = 1 + (int) (rnd(&seed) % MODEL_N);
		unsigned kind = (unsigned) (rnd(&seed) % 8);
		void *ptr = rnd(&seed) % 5 ? Q(op + 1) : NULL;

		if (kind < 4) { /* alloc in [a, b) */
			int expect = -ENOSPC, got;

			for (int i = a; i < b; i++) {
				if (!used[i]) {
					expect = i;
					break;
				}
			}
			got = tee_idr_alloc(&idr, ptr, a, b);
			FAST_EQ(got, expect);
			if (got >= 0) {
				used[got] = true;
				val[got] = ptr;
				count++;
			}
		} else if (kind < 6) { /* remove */
			void *expect = used[a] ? val[a] : NULL;

			FAST_PTR_EQ(tee_idr_remove(&idr, a), expect);
			if (used[a])
				count--;
			used[a] = false;
			val[a] = NULL;
		} else if (kind == 6) { /* replace */
			void *old = P(0);
			int r = tee_idr_replace(&idr, ptr, a, &old);

			FAST_EQ(r, used[a] ? 0 : -ENOENT);
			if (used[a]) {
				FAST_PTR_EQ(old, val[a]);
				val[a] = ptr;
			}
		} else { /* find and get_next */
			int id = a, expect = -1;

			FAST_PTR_EQ(tee_idr_find(&idr, a), used[a] ? val[a] : NULL);
			for (int i = a; i < MODEL_N; i++) {
				if (used[i] && val[i]) {
					expect = i;
					break;
				}
			}
			FAST_PTR_EQ(tee_idr_get_next(&idr, &id), expect >= 0 ? val[expect] : NULL);
			FAST_EQ(id, expect);
		}
		FAST_EQ(tee_idr_count(&idr), count);
		FAST_EQ(tee_idr_check(&idr), 0);
	}
	ck_assert_int_eq(tee_idr_check(&idr), 0);
	tee_idr_destroy(&idr);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("idr");
	TCase *tc = th_tcase(s, "idr");

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_sequential_and_find);
	tcase_add_test(tc, test_smallest_free_after_removals);
	tcase_add_test(tc, test_ranges_and_errors);
	tcase_add_test(tc, test_bad_ids);
	tcase_add_test(tc, test_reserved_and_replace);
	tcase_add_test(tc, test_iteration);
	tcase_add_test(tc, test_many_ids);
	tcase_add_test(tc, test_against_model);
	return th_run(s);
}
