/* SPDX-License-Identifier: MIT */
/*
 * Model of the kernel's refcount_t (and the kref built on it) with reporting:
 * every operation that the kernel's checked refcount would WARN on is
 * recorded as a machine violation instead, with @addr the address of the
 * counter and guest -1, and the counter is left unchanged or saturated
 * rather than wrapping. The semantics are those of the checked refcount of
 * v4.16 (REFCOUNT_FULL): a 32-bit unsigned count that saturates at
 * UINT32_MAX (a saturated count never moves again and never reaches 0), an
 * increment from 0 is refused, a decrement below 0 is refused.
 *
 * Every function taking a machine accepts NULL for it: the behaviour is the
 * same, only the report is skipped (for unit tests of pure logic).
 * Reports lock the machine's lock: do not call with it held.
 */
#ifndef TEESIM_CORE_REFCOUNT_H
#define TEESIM_CORE_REFCOUNT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct teesim_machine;

struct tee_refcount {
	_Atomic uint32_t v;
};

/* The value a counter sticks at once it has overflowed. */
#define TEE_REFCOUNT_SATURATED UINT32_MAX

/* refcount_set: store @v (no ordering, no check). */
void tee_refcount_set(struct tee_refcount *r, uint32_t v);

/* refcount_read: the current value (relaxed). */
uint32_t tee_refcount_read(const struct tee_refcount *r);

/*
 * refcount_inc: add one. From 0 it is reported (REFCOUNT_INC_ZERO) and the
 * count stays 0; reaching the saturation value is reported (REFCOUNT_OVERFLOW).
 * No memory ordering: the caller must already hold a reference.
 */
void tee_refcount_inc(struct teesim_machine *m, struct tee_refcount *r);

/*
 * refcount_inc_not_zero: add one unless the count is 0, atomically (a count
 * that reached 0 is never revived). Returns false at 0, with no report.
 * Reaching the saturation value is reported (REFCOUNT_OVERFLOW). No memory
 * ordering: the object must be kept alive by other means (a lock, RCU).
 */
bool tee_refcount_inc_not_zero(struct teesim_machine *m, struct tee_refcount *r);

/*
 * refcount_dec_and_test: subtract one; true when the count reaches 0. Release
 * ordering on every decrement, and acquire ordering on the one that reaches 0,
 * so whoever frees the object sees every write made before the other puts.
 * At 0 it is reported (REFCOUNT_UNDERFLOW), the count stays 0 and false is
 * returned; a saturated count stays saturated (false, no report).
 */
bool tee_refcount_dec_and_test(struct teesim_machine *m, struct tee_refcount *r);

/*
 * refcount_dec: subtract one when the caller knows it is not the last
 * reference. Reaching 0 is reported (REFCOUNT_DEC_LEAK: nothing will free the
 * object), below 0 as for tee_refcount_dec_and_test().
 */
void tee_refcount_dec(struct teesim_machine *m, struct tee_refcount *r);

/* The kref flavour used by tee_context and tee_shm in v4.16. */
struct tee_kref {
	struct tee_refcount count;
};

/* kref_init: the count starts at 1. */
void tee_kref_init(struct tee_kref *k);

/* kref_get: tee_refcount_inc() on the count. */
void tee_kref_get(struct teesim_machine *m, struct tee_kref *k);

/* kref_get_unless_zero: tee_refcount_inc_not_zero() on the count. */
bool tee_kref_get_unless_zero(struct teesim_machine *m, struct tee_kref *k);

/*
 * kref_put: drop a reference; when it was the last one, call @release(k) (if
 * not NULL) and return 1, else return 0.
 */
int tee_kref_put(struct teesim_machine *m, struct tee_kref *k, void (*release)(struct tee_kref *k));

/* kref_read: the current count. */
uint32_t tee_kref_read(const struct tee_kref *k);

#endif /* TEESIM_CORE_REFCOUNT_H */
