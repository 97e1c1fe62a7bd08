/* SPDX-License-Identifier: MIT */
/* The SMC channel: fault hook, mediator, secure world, trace. */
#include <errno.h>

#include "internal.h"

int teesim_smc_attach(struct teesim_machine *m, teesim_smc_handler_fn fn, void *ctx)
{
	int err = 0;

	if (!fn)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	if (m->smc_fn) {
		err = -EBUSY;
	} else {
		m->smc_fn = fn;
		m->smc_ctx = ctx;
	}
	pthread_mutex_unlock(&m->lock);
	return err;
}

void teesim_smc_detach(struct teesim_machine *m)
{
	pthread_mutex_lock(&m->lock);
	m->smc_fn = NULL;
	m->smc_ctx = NULL;
	pthread_mutex_unlock(&m->lock);
}

void teesim_smc_forward(struct teesim_machine *m, struct teesim_guest *from,
			struct teesim_smc_regs *regs)
{
	if (m->smc_fn)
		m->smc_fn(m->smc_ctx, from, regs);
	else
		regs->a[0] = TEESIM_SMC_UNKNOWN_FUNCTION;
}

void teesim_smc_call(struct teesim_machine *m, struct teesim_guest *from,
		     struct teesim_smc_regs *regs)
{
	struct teesim_smc_regs in = *regs;

	atomic_fetch_add_explicit(&m->smc_calls, 1, memory_order_relaxed);
	if (!m->fault_fn ||
	    m->fault_fn(m->fault_ctx, TEESIM_SMC_BEFORE, from, regs) != TEESIM_SMC_SKIP) {
		if (m->mediator_fn)
			m->mediator_fn(m->mediator_ctx, from, regs);
		else
			teesim_smc_forward(m, from, regs);
		if (m->fault_fn)
			m->fault_fn(m->fault_ctx, TEESIM_SMC_AFTER, from, regs);
	}
	if (m->trace_fn)
		m->trace_fn(m->trace_ctx, from, &in, regs);
}

void teesim_smc_set_mediator(struct teesim_machine *m, teesim_smc_mediator_fn fn, void *ctx)
{
	m->mediator_fn = fn;
	m->mediator_ctx = ctx;
}

void teesim_smc_set_fault_hook(struct teesim_machine *m, teesim_smc_fault_fn fn, void *ctx)
{
	m->fault_fn = fn;
	m->fault_ctx = ctx;
}

void teesim_smc_set_trace(struct teesim_machine *m, teesim_smc_trace_fn fn, void *ctx)
{
	m->trace_fn = fn;
	m->trace_ctx = ctx;
}
