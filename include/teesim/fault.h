/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/fault.h
 * @brief Allocation fault injection: make any allocation of the model fail,
 * by count or by call site.
 *
 * Every allocation the model makes for a machine (its own struct and
 * arrays, the host memory behind its RAM, guests, processes, tee core and
 * driver objects, secure-world objects and fiber stacks, mediator and
 * supplicant state) is counted on that machine's allocator and can be made
 * to fail as if the host were out of memory. The model must then answer
 * with a clean error (-ENOMEM, TEE_ERROR_OUT_OF_MEMORY, ...) and leave
 * nothing behind: sweeping every allocation of a scenario in turn proves
 * it (docs/fault-injection.md).
 *
 * Counting: every allocation attempt takes the next number, starting at 1
 * for the machine's own struct when the machine is created (see
 * teesim_machine_cfg.fail_alloc_nth to fail one made while creating it).
 * "From now on" means relative to the count when the function is called.
 *
 * Sites: an allocation site is named "path:line:function", the path
 * relative to the source tree, e.g. "src/core/tee_shm.c:195:tee_shm_alloc".
 * Site names change with the source: list them with
 * teesim_fault_alloc_sites() rather than writing them down. Sites are only
 * recorded while tracking is on (teesim_machine_cfg.alloc_sites or
 * teesim_fault_alloc_track()).
 *
 * Cost: disarmed and without tracking, one atomic increment per
 * allocation. Tracking or a failure armed by site takes a lock on every
 * allocation.
 *
 * Threads: every function may be called from any thread, at any time;
 * allocations made concurrently from several threads are numbered in the
 * order they take their number.
 *
 * A NULL machine is ignored (counts read 0, functions returning int give
 * -EINVAL).
 */
#ifndef TEESIM_FAULT_H
#define TEESIM_FAULT_H

#include <teesim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Fail the @p nth counted allocation from now on (1 = the next one), once.
 * 0 disarms. Replaces what teesim_fault_alloc_nth() or
 * teesim_fault_alloc_from() armed before; a failure armed by site stays.
 */
TEESIM_API void teesim_fault_alloc_nth(struct teesim_machine *m, uint64_t nth);

/**
 * Fail the @p nth counted allocation from now on and every one after it,
 * until disarmed (0 disarms): the host has run out of memory for good, so
 * error paths that allocate are exercised too. Replaces what
 * teesim_fault_alloc_nth() or teesim_fault_alloc_from() armed before.
 */
TEESIM_API void teesim_fault_alloc_from(struct teesim_machine *m, uint64_t nth);

/**
 * Fail the @p nth allocation made at @p site from now on (1 = the next one
 * there), once. @p site is a name as teesim_fault_alloc_sites() gives it
 * ("path:line:function"), or only its "path:line" part, or only a function
 * name (then every site of that function counts). A NULL @p site disarms.
 * Replaces a failure armed by site before; independent of the count-based
 * one. Returns 0, -EINVAL for an empty @p site or @p nth 0, -ENOMEM when
 * the name cannot be copied (the failure armed before then stays).
 */
TEESIM_API int teesim_fault_alloc_site(struct teesim_machine *m, const char *site, uint64_t nth);

/**
 * Turn site tracking on or off: while on, every allocation records its
 * site and the count made there (teesim_fault_alloc_sites()). What was
 * recorded stays when tracking is turned off.
 */
TEESIM_API void teesim_fault_alloc_track(struct teesim_machine *m, bool on);

/** Allocations counted so far on @p m, its creation included (failed ones too). */
TEESIM_API uint64_t teesim_fault_alloc_count(const struct teesim_machine *m);

/** Failures injected so far on @p m. */
TEESIM_API uint64_t teesim_fault_alloc_fired(const struct teesim_machine *m);

/**
 * The sites recorded so far, in the order they were first seen, each with
 * the number of allocations made there while tracking was on. Stops at the
 * first non-zero value @p fn returns and returns it; 0 when every site was
 * visited, -EINVAL for a NULL @p fn, -ENOMEM when the list cannot be
 * copied. @p fn runs with no lock
 * held and may call any function of this header.
 */
TEESIM_API int teesim_fault_alloc_sites(const struct teesim_machine *m,
					int (*fn)(void *ctx, const char *site, uint64_t count),
					void *ctx);

/**
 * The site of the last injected failure, written to @p buf (of @p len
 * bytes) as teesim_fault_alloc_sites() names it. Returns the name's length,
 * -ENOENT when nothing was injected yet, -ENAMETOOLONG when @p buf is too
 * small.
 */
TEESIM_API int teesim_fault_alloc_last(const struct teesim_machine *m, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_FAULT_H */
