/* SPDX-License-Identifier: MIT */
/*
 * Fibers: stackful coroutines for the secure world's threads.
 *
 * A secure thread that issues an RPC must return to the normal world and
 * later resume exactly where it stopped, possibly from another host thread.
 * A fiber is that: its own stack and saved registers. tsim_fiber_resume()
 * runs it on the calling host thread until it calls tsim_fiber_yield() (or
 * its function returns); the next resume, from any host thread, continues
 * after that yield.
 *
 * Rules: at most one host thread resumes a given fiber at a time (the
 * caller serializes, e.g. with the secure world's thread lock), and a fiber
 * only yields to whoever resumed it. A fiber may resume another fiber
 * (nesting works), but never one that is already running. After a yield the
 * fiber may be on another host thread: do not keep thread-local values or
 * addresses (errno, pthread_self()) across a yield. The switch is a few
 * instructions of assembly on x86-64 and AArch64 (ucontext elsewhere) and is
 * announced to ASan, TSan and Valgrind, so all three follow the stacks.
 * docs/fiber.md has the details.
 */
#ifndef TEESIM_SIM_FIBER_H
#define TEESIM_SIM_FIBER_H

#include <stdbool.h>
#include <stddef.h>

struct tsim_fiber;

typedef void (*tsim_fiber_fn)(struct tsim_fiber *self, void *arg);

/* The largest stack a fiber may ask for; anything above is a caller bug. */
#define TSIM_FIBER_MAX_STACK ((size_t) 1 << 30)

struct teesim_machine;

/* A fiber that will run @fn(self, @arg) on a stack of @stack_size bytes
 * (0: a default of 64 KiB, more under ASan or TSan; rounded up to pages,
 * with a guard page below; a stack of up to 32 KiB is heap memory with a
 * canary below instead, checked at every yield and at free, which costs no
 * system call), allocated on @m (NULL: the host, uncounted;
 * sim/alloc.h). NULL with errno EINVAL (no @fn, or a size above 1 GiB) or
 * ENOMEM. Nothing runs until the first resume. */
struct tsim_fiber *tsim_fiber_new(struct teesim_machine *m, size_t stack_size, tsim_fiber_fn fn,
				  void *arg);

/* Free a fiber that has finished or was never resumed. Freeing a fiber
 * suspended in a yield abandons its stack without unwinding it: the owner
 * must know nothing on that stack still holds resources. NULL is a no-op. */
void tsim_fiber_free(struct tsim_fiber *f);

/* Run @f on this host thread until it yields or its function returns.
 * Returns true when it has returned; resuming a finished fiber does nothing
 * and returns true again. */
bool tsim_fiber_resume(struct tsim_fiber *f);

/* From inside @self: go back to the host thread's resume call. */
void tsim_fiber_yield(struct tsim_fiber *self);

/* True once the fiber's function has returned (safe from any thread). */
bool tsim_fiber_done(const struct tsim_fiber *f);

#endif /* TEESIM_SIM_FIBER_H */
