/* SPDX-License-Identifier: MIT */
/*
 * Checked reference counts (see refcount.h). Every change is one
 * compare-and-swap loop so the check and the update are a single atomic
 * step: two threads can never both see 1 and both reach 0, and an
 * increment can never slip in between a count reaching 0 and its test.
 */
#include <pthread.h>

#include "core/refcount.h"
#include "internal.h"

/*
 * Helgrind does not see the ordering C11 atomics give, so tell it: every
 * decrement happens before the one that reaches 0. Client requests are a
 * few no-op instructions outside valgrind.
 */
#if defined(__has_include)
#if __has_include(<valgrind/helgrind.h>)
#include <valgrind/helgrind.h>
#endif
#endif
#ifndef ANNOTATE_HAPPENS_BEFORE
#define ANNOTATE_HAPPENS_BEFORE(obj) ((void) (obj))
#define ANNOTATE_HAPPENS_AFTER(obj)  ((void) (obj))
#endif

/* Record a refcount violation against the counter's address. */
static void report(struct teesim_machine *m, enum teesim_violation_kind kind,
		   const struct tee_refcount *r)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	tsim_violation(m, kind, (uint64_t) (uintptr_t) r, -1);
	pthread_mutex_unlock(&m->lock);
}

/* refcount_set */
void tee_refcount_set(struct tee_refcount *r, uint32_t v)
{
	atomic_store_explicit(&r->v, v, memory_order_relaxed);
}

/* refcount_read */
uint32_t tee_refcount_read(const struct tee_refcount *r)
{
	/* C11 declares atomic_load with a pointer to non-const */
	return atomic_load_explicit((_Atomic uint32_t *) &r->v, memory_order_relaxed);
}

/* refcount_inc_not_zero */
bool tee_refcount_inc_not_zero(struct teesim_machine *m, struct tee_refcount *r)
{
	uint32_t old = atomic_load_explicit(&r->v, memory_order_relaxed), new;

	do {
		if (old == 0)
			return false;
		if (old == TEE_REFCOUNT_SATURATED)
			return true; /* stuck: counts as a reference, never moves */
		new = old + 1;
	} while (!atomic_compare_exchange_weak_explicit(&r->v, &old, new, memory_order_relaxed,
							memory_order_relaxed));
	if (new == TEE_REFCOUNT_SATURATED)
		report(m, TEESIM_VIOL_REFCOUNT_OVERFLOW, r);
	return true;
}

/* refcount_inc */
void tee_refcount_inc(struct teesim_machine *m, struct tee_refcount *r)
{
	if (!tee_refcount_inc_not_zero(m, r))
		report(m, TEESIM_VIOL_REFCOUNT_INC_ZERO, r);
}

/* refcount_dec_and_test */
bool tee_refcount_dec_and_test(struct teesim_machine *m, struct tee_refcount *r)
{
	uint32_t old = atomic_load_explicit(&r->v, memory_order_relaxed), new;

	ANNOTATE_HAPPENS_BEFORE(&r->v);
	do {
		if (old == TEE_REFCOUNT_SATURATED)
			return false;
		if (old == 0) {
			report(m, TEESIM_VIOL_REFCOUNT_UNDERFLOW, r);
			return false;
		}
		new = old - 1;
		/*
		 * Release publishes this holder's writes; the decrement that
		 * reaches 0 also acquires, pairing with every earlier release
		 * in the counter's modification order (the kernel's release
		 * cmpxchg followed by an acquire barrier on zero).
		 */
	} while (!atomic_compare_exchange_weak_explicit(
	    &r->v, &old, new, new == 0 ? memory_order_acq_rel : memory_order_release,
	    memory_order_relaxed));
	if (new != 0)
		return false;
	ANNOTATE_HAPPENS_AFTER(&r->v);
	return true;
}

/* refcount_dec */
void tee_refcount_dec(struct teesim_machine *m, struct tee_refcount *r)
{
	if (tee_refcount_dec_and_test(m, r))
		report(m, TEESIM_VIOL_REFCOUNT_DEC_LEAK, r);
}

/* kref_init */
void tee_kref_init(struct tee_kref *k)
{
	tee_refcount_set(&k->count, 1);
}

/* kref_get */
void tee_kref_get(struct teesim_machine *m, struct tee_kref *k)
{
	tee_refcount_inc(m, &k->count);
}

/* kref_get_unless_zero */
bool tee_kref_get_unless_zero(struct teesim_machine *m, struct tee_kref *k)
{
	return tee_refcount_inc_not_zero(m, &k->count);
}

/* kref_put */
int tee_kref_put(struct teesim_machine *m, struct tee_kref *k, void (*release)(struct tee_kref *k))
{
	if (!tee_refcount_dec_and_test(m, &k->count))
		return 0;
	if (release)
		release(k);
	return 1;
}

/* kref_read */
uint32_t tee_kref_read(const struct tee_kref *k)
{
	return tee_refcount_read(&k->count);
}
