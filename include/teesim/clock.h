/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/clock.h
 * @brief The machine's virtual clock and its timers.
 *
 * Time in teesim never follows the host: it starts at 0 ns and moves only
 * when someone advances it, so every run replays exactly. Timers fire, in
 * deadline order (ties in order of creation), from the thread that advances
 * the clock past their deadline, with no lock held.
 */
#ifndef TEESIM_CLOCK_H
#define TEESIM_CLOCK_H

#include <teesim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Current virtual time in nanoseconds. */
TEESIM_API uint64_t teesim_clock_now(const struct teesim_machine *m);

/**
 * Advance the clock by @p ns, firing every timer whose deadline is reached.
 * While a timer fires the clock reads its deadline, or the time it already
 * had if that deadline was in the past (time never goes back). Saturates at
 * UINT64_MAX. Returns the new time.
 */
TEESIM_API uint64_t teesim_clock_advance(struct teesim_machine *m, uint64_t ns);

/** Timer callback: @p now is the timer's deadline. */
typedef void (*teesim_timer_fn)(void *ctx, uint64_t now);

/**
 * Arm a one-shot timer at absolute virtual time @p deadline_ns. A deadline
 * already reached fires at the next advance. Returns 0 and a non-zero timer id
 * in @p id (may be NULL), -EINVAL for a NULL @p fn, -ENOMEM.
 */
TEESIM_API int teesim_clock_timer_add(struct teesim_machine *m, uint64_t deadline_ns,
				      teesim_timer_fn fn, void *ctx, uint64_t *id);

/** Disarm a timer; -ENOENT if it already fired or never existed. */
TEESIM_API int teesim_clock_timer_cancel(struct teesim_machine *m, uint64_t id);

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_CLOCK_H */
