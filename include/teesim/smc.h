/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/smc.h
 * @brief The SMC channel: eight 32-bit registers between a guest and the
 * secure world, with trace and fault-injection hooks and a place for a
 * hypervisor mediator.
 *
 * One call travels like this:
 *
 *     teesim_smc_call(m, guest, regs)
 *       fault hook (BEFORE)   may answer in place of the secure world
 *       mediator              if installed; it reaches the secure world
 *                             through teesim_smc_forward()
 *       else forward          the attached secure world's handler, or
 *                             TEESIM_SMC_UNKNOWN_FUNCTION if none
 *       fault hook (AFTER)    may replace the answer
 *       trace                 sees the registers in and out
 *
 * Registers are in/out: on return @c regs holds what the secure world left
 * in a0..a7. Calls may come from several host threads at once; the handler
 * and hooks must cope. The hook setters must be called while no call is in
 * flight.
 */
#ifndef TEESIM_SMC_H
#define TEESIM_SMC_H

#include <teesim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The SMCCC answer to a function nobody implements. */
#define TEESIM_SMC_UNKNOWN_FUNCTION 0xffffffffu

/** a0..a7 of one SMC, as SMC32 passes them. */
struct teesim_smc_regs {
	uint32_t a[8];
};

/** A secure world (or anything else on the far side): reads and writes @p regs. */
typedef void (*teesim_smc_handler_fn)(void *ctx, struct teesim_guest *from,
				      struct teesim_smc_regs *regs);

/** Attach the secure world. -EINVAL for a NULL @p fn, -EBUSY if one is attached. */
TEESIM_API int teesim_smc_attach(struct teesim_machine *m, teesim_smc_handler_fn fn, void *ctx);

/** Detach the secure world; later calls answer TEESIM_SMC_UNKNOWN_FUNCTION. */
TEESIM_API void teesim_smc_detach(struct teesim_machine *m);

/** Issue an SMC from guest @p from (the normal world's `smc #0`). */
TEESIM_API void teesim_smc_call(struct teesim_machine *m, struct teesim_guest *from,
				struct teesim_smc_regs *regs);

/** Deliver a call to the secure world directly: what a mediator calls. */
TEESIM_API void teesim_smc_forward(struct teesim_machine *m, struct teesim_guest *from,
				   struct teesim_smc_regs *regs);

/**
 * A hypervisor mediator: receives every guest call and decides what reaches
 * the secure world (through teesim_smc_forward()) and what the guest sees.
 */
typedef void (*teesim_smc_mediator_fn)(void *ctx, struct teesim_guest *from,
				       struct teesim_smc_regs *regs);

/** Install (or with NULL remove) the mediator. */
TEESIM_API void teesim_smc_set_mediator(struct teesim_machine *m, teesim_smc_mediator_fn fn,
					void *ctx);

/** When the fault hook is called. */
enum teesim_smc_stage {
	TEESIM_SMC_BEFORE = 0, /**< registers are the call's input */
	TEESIM_SMC_AFTER,      /**< registers are the answer */
};

/** Fault hook return values. */
enum {
	TEESIM_SMC_PASS = 0, /**< go on as usual */
	TEESIM_SMC_SKIP = 1, /**< BEFORE only: do not forward; @c regs is the answer */
};

/**
 * Fault-injection hook. At BEFORE it may rewrite the input, or answer in the
 * secure world's place (return TEESIM_SMC_SKIP with the answer in @p regs);
 * at AFTER it may rewrite the answer. To delay a result, advance the
 * virtual clock from the hook.
 */
typedef int (*teesim_smc_fault_fn)(void *ctx, enum teesim_smc_stage stage,
				   struct teesim_guest *from, struct teesim_smc_regs *regs);

/** Install (or with NULL remove) the fault hook. */
TEESIM_API void teesim_smc_set_fault_hook(struct teesim_machine *m, teesim_smc_fault_fn fn,
					  void *ctx);

/** Trace hook: every guest call with its registers in and out. */
typedef void (*teesim_smc_trace_fn)(void *ctx, struct teesim_guest *from,
				    const struct teesim_smc_regs *in,
				    const struct teesim_smc_regs *out);

/** Install (or with NULL remove) the trace hook. */
TEESIM_API void teesim_smc_set_trace(struct teesim_machine *m, teesim_smc_trace_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_SMC_H */
