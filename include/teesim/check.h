/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/check.h
 * @brief The invariant checker: on demand, and at teardown, prove that the
 * protocol state of a machine is consistent and that nothing leaked.
 *
 * A check walks everything reachable from a machine: its frames, guests
 * and processes, the tee core (devices, contexts, shared memory, id
 * tables), every OP-TEE driver probed on it, the attached secure world and
 * mediator; teesim_check_stack() adds the stack's supplicant. Each layer
 * checks what it holds against what the layers around it hold (a shm's
 * reference count against the fds, mappings and driver references found; a
 * driver's registered buffers against the secure world's registrations...).
 *
 * Every finding is one line of text naming the object and the numbers, for
 * a test to print. A check allocates no memory (it works after allocation
 * failures) and takes each layer's locks; it must be called while no other
 * thread is inside a call of the same machine (between calls).
 *
 * See docs/invariants.md for the list of what is checked.
 */
#ifndef TEESIM_CHECK_H
#define TEESIM_CHECK_H

#include <teesim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Size of the text of a @ref teesim_check_report. */
#define TEESIM_CHECK_TEXT_MAX 8192

/** What a check found. */
struct teesim_check_report {
	unsigned problems;		  /**< number of findings */
	size_t len;			  /**< bytes of text used */
	char text[TEESIM_CHECK_TEXT_MAX]; /**< findings, one per line, NUL-terminated; truncated
					     with a final "... and N more" line */
};

/**
 * Flag: nothing may be in flight: no secure thread running or suspended in
 * RPC, no caller waiting for a thread, no supplicant request queued or being
 * served. Reference counts must then equal their holders exactly.
 */
#define TEESIM_CHECK_IDLE (1u << 0)
/**
 * Flag: teardown: nothing user-made may be left: no client context, shm,
 * pin, secure registration, session, open supplicant file handle... What
 * the stack itself legitimately holds (supplicant context, driver caches)
 * is accounted for, not reported.
 */
#define TEESIM_CHECK_EMPTY (1u << 1)

/**
 * Check everything reachable from @p m: guests, processes, tee devices and
 * their drivers, the attached secure world, mediator, and supplicants made
 * with teesim_supplicant_new_on(@p m). With @p flags 0 only
 * consistency is checked; add @ref TEESIM_CHECK_IDLE and / or @ref
 * TEESIM_CHECK_EMPTY for more. @p rep may be NULL (the count is still
 * returned); when given it is overwritten. Returns the number of problems
 * (0 for NULL @p m).
 */
TEESIM_API unsigned teesim_check_machine(struct teesim_machine *m, unsigned flags,
					 struct teesim_check_report *rep);

struct teesim_stack;

/**
 * teesim_check_machine() on the stack's machine plus what the stack knows:
 * its supplicant process and fd are expected (not reported with @ref
 * TEESIM_CHECK_EMPTY), and its supplicant is checked (no request pending,
 * no file or directory handle open with EMPTY). Returns the number of
 * problems (0 for NULL @p st).
 */
TEESIM_API unsigned teesim_check_stack(struct teesim_stack *st, unsigned flags,
				       struct teesim_check_report *rep);

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_CHECK_H */
