/* SPDX-License-Identifier: MIT */
/*
 * Secure threads and yielding calls. Each OP-TEE thread is a fiber that
 * runs one call at a time: CALL_WITH_ARG picks a free thread and resumes
 * its fiber; an RPC yields back to the caller with the RPC code in a0 and
 * the thread id in a3; RETURN_FROM_RPC resumes that fiber, from whichever
 * host thread makes the call. The thread table is guarded by sw->lock; a
 * fiber is only ever resumed by the host thread that moved it to RUNNING.
 *
 * A thread's fiber (a mapped stack with a guard page) is created the first
 * time a call picks that thread, by the host thread that picked it, and kept
 * for the thread's later calls until the secure world is freed: a secure
 * world that never runs a yielding call maps no stack at all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sw_internal.h"

/* Take one pending injected foreign interrupt, if any. */
static bool take_fintr(struct teesim_sw *sw)
{
	unsigned n = atomic_load_explicit(&sw->fintr_pending, memory_order_relaxed);

	while (n) {
		if (atomic_compare_exchange_weak(&sw->fintr_pending, &n, n - 1))
			return true;
	}
	return false;
}

static void thread_main(struct tsim_fiber *self, void *arg)
{
	struct tsim_sw_thread *t = arg;

	(void) self;
	for (;;) {
		if (take_fintr(t->sw))
			tsim_sw_rpc(t, TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR, 0, 0);
		t->a0_out = tsim_sw_handle_msg(t);
		t->done = true;
		tsim_fiber_yield(t->fiber);
	}
}

void tsim_sw_rpc(struct tsim_sw_thread *t, uint32_t a0, uint32_t a1, uint32_t a2)
{
	uint32_t answer[4] = {0};
	bool answered = false, again;

	do {
		if (t->abort) {
			/* teardown: the normal world is gone; answer as a failed RPC */
			t->back_a1 = t->back_a2 = t->back_a4 = t->back_a5 = 0;
			return;
		}
		t->rpc_a0 = a0;
		t->rpc_a1 = a1;
		t->rpc_a2 = a2;
		t->nrpc++;
		atomic_fetch_add_explicit(&t->sw->rpcs, 1, memory_order_relaxed);
		tsim_fiber_yield(t->fiber);
		if (!answered) {
			/* the RPC's answer is the thread's saved context from here on */
			answer[0] = t->back_a1;
			answer[1] = t->back_a2;
			answer[2] = t->back_a4;
			answer[3] = t->back_a5;
			answered = true;
		}
		/* an injected interrupt may hit the thread as it resumes */
		again = !t->abort && take_fintr(t->sw);
		if (again) {
			a0 = TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR;
			a1 = a2 = 0;
		}
	} while (again);
	if (t->abort)
		return;
	/* the interrupt's round trip does not replace what the RPC returned */
	t->back_a1 = answer[0];
	t->back_a2 = answer[1];
	t->back_a4 = answer[2];
	t->back_a5 = answer[3];
}

bool tsim_sw_all_threads_free(struct teesim_sw *sw)
{
	for (unsigned i = 0; i < sw->nthreads; i++)
		if (sw->threads[i].state != TEESIM_SW_THREAD_FREE)
			return false;
	return true;
}

/* Run @t (RUNNING, owned by this host thread) until it finishes or makes an RPC. */
static void run(struct teesim_sw *sw, struct tsim_sw_thread *t, struct teesim_smc_regs *r)
{
	t->done = false;
	tsim_fiber_resume(t->fiber);
	if (!t->done) {
		r->a[0] = t->rpc_a0;
		r->a[1] = t->rpc_a1;
		r->a[2] = t->rpc_a2;
		r->a[3] = t->id;
		pthread_mutex_lock(&sw->lock);
		t->state = TEESIM_SW_THREAD_SUSPENDED;
		pthread_mutex_unlock(&sw->lock);
		return;
	}
	r->a[0] = t->a0_out;
	pthread_mutex_lock(&sw->lock);
	t->state = TEESIM_SW_THREAD_FREE;
	if (t->have_req) {
		sw->last = t->req;
		sw->have_last = true;
	}
	if (t->counting) {
		memcpy(sw->last_reads, t->reads, sizeof(*t->reads));
		sw->have_last_reads = true;
	}
	pthread_mutex_unlock(&sw->lock);
	if (sw->req_fn && t->have_req)
		sw->req_fn(sw->req_ctx, &t->req);
}

void tsim_sw_std_call(struct teesim_sw *sw, struct teesim_guest *from, struct teesim_smc_regs *r)
{
	const uint32_t fid = r->a[0];
	const uint32_t caps = sw->cfg.sec_caps;
	struct tsim_sw_thread *t = NULL;

	if (fid != TEESIM_OPTEE_SMC_CALL_WITH_ARG &&
	    !(fid == TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG &&
	      (caps & TEESIM_OPTEE_SMC_SEC_CAP_RPC_ARG)) &&
	    !(fid == TEESIM_OPTEE_SMC_CALL_WITH_REGD_ARG &&
	      (caps & TEESIM_OPTEE_SMC_SEC_CAP_RPC_ARG) &&
	      (caps & TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM))) {
		atomic_fetch_add_explicit(&sw->rejected, 1, memory_order_relaxed);
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_EBADCMD;
		return;
	}
	pthread_mutex_lock(&sw->lock);
	for (unsigned i = 0; i < sw->nthreads; i++) {
		if (sw->threads[i].state == TEESIM_SW_THREAD_FREE) {
			t = &sw->threads[i];
			t->state = TEESIM_SW_THREAD_RUNNING;
			break;
		}
	}
	pthread_mutex_unlock(&sw->lock);
	if (!t) {
		/* a1..a7 preserved */
		atomic_fetch_add_explicit(&sw->rejected, 1, memory_order_relaxed);
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_ETHREAD_LIMIT;
		return;
	}
	if (!t->fiber) {
		/* first call on this thread; the thread is ours while RUNNING */
		t->fiber = tsim_fiber_new(sw->m, sw->cfg.stack_size, thread_main, t);
		if (!t->fiber) {
			/* no stack for the thread: give it back, a1..a7 preserved */
			pthread_mutex_lock(&sw->lock);
			t->state = TEESIM_SW_THREAD_FREE;
			pthread_mutex_unlock(&sw->lock);
			atomic_fetch_add_explicit(&sw->rejected, 1, memory_order_relaxed);
			r->a[0] = TEESIM_OPTEE_SMC_RETURN_ENOMEM;
			return;
		}
	}
	t->fid = fid;
	t->in_a1 = r->a[1];
	t->in_a2 = r->a[2];
	t->in_a3 = r->a[3];
	t->in_a7 = r->a[7];
	t->guest = from;
	t->have_req = false;
	t->counting = atomic_load_explicit(&sw->count_reads, memory_order_relaxed);
	if (t->counting)
		memset(t->reads, 0, sizeof(*t->reads));
	atomic_fetch_add_explicit(&sw->std_calls, 1, memory_order_relaxed);
	run(sw, t, r);
}

void tsim_sw_return_from_rpc(struct teesim_sw *sw, struct teesim_guest *from,
			     struct teesim_smc_regs *r)
{
	const uint32_t id = r->a[3];
	struct tsim_sw_thread *t = NULL;

	(void) from;
	pthread_mutex_lock(&sw->lock);
	if (id < sw->nthreads && sw->threads[id].state == TEESIM_SW_THREAD_SUSPENDED &&
	    sw->threads[id].in_a7 == r->a[7]) {
		t = &sw->threads[id];
		t->state = TEESIM_SW_THREAD_RUNNING;
	}
	pthread_mutex_unlock(&sw->lock);
	if (!t) {
		atomic_fetch_add_explicit(&sw->rejected, 1, memory_order_relaxed);
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_ERESUME;
		return;
	}
	t->back_a1 = r->a[1];
	t->back_a2 = r->a[2];
	t->back_a4 = r->a[4];
	t->back_a5 = r->a[5];
	run(sw, t, r);
}

int tsim_sw_threads_init(struct teesim_sw *sw)
{
	/* a stack no fiber could get is refused here, as when fibers were made up front */
	if (sw->cfg.stack_size > TSIM_FIBER_MAX_STACK)
		return -ENOMEM;
	sw->threads = tsim_calloc(sw->m, sw->cfg.num_threads, sizeof(*sw->threads));
	if (!sw->threads)
		return -ENOMEM;
	/* one counter set per thread and one for the last request; not zeroed (sw_internal.h) */
	sw->reads_block =
	    tsim_mallocarray(sw->m, (size_t) sw->cfg.num_threads + 1, sizeof(*sw->reads_block));
	if (!sw->reads_block) {
		tsim_free(sw->m, sw->threads);
		sw->threads = NULL;
		return -ENOMEM;
	}
	sw->last_reads = &sw->reads_block[sw->cfg.num_threads];
	for (unsigned i = 0; i < sw->cfg.num_threads; i++) {
		struct tsim_sw_thread *t = &sw->threads[i];

		t->sw = sw;
		t->reads = &sw->reads_block[i];
		t->id = i;
		t->call.t = t;
		/* t->fiber stays NULL until the first call on the thread */
	}
	sw->nthreads = sw->cfg.num_threads;
	return 0;
}

void tsim_sw_threads_fini(struct teesim_sw *sw)
{
	if (!sw->threads)
		return;
	for (unsigned i = 0; i < sw->nthreads; i++) {
		struct tsim_sw_thread *t = &sw->threads[i];

		if (t->state == TEESIM_SW_THREAD_SUSPENDED) {
			/* unwind the call: its RPCs fail from now on, so it runs to the end */
			t->abort = true;
			t->done = false;
			tsim_fiber_resume(t->fiber);
			t->state = TEESIM_SW_THREAD_FREE;
		}
		/* cached RPC argument buffers belong to the normal world; forget them */
		t->rpc_arg_valid = false;
		tsim_fiber_free(t->fiber); /* NULL for a thread that never ran a call */
		t->fiber = NULL;
		for (unsigned p = 0; p < SW_NPARAMS; p++)
			tsim_free(sw->m, t->scratch[p]);
	}
	tsim_free(sw->m, sw->threads);
	sw->threads = NULL;
	sw->nthreads = 0;
	tsim_free(sw->m, sw->reads_block);
	sw->reads_block = NULL;
	sw->last_reads = NULL;
	sw->have_last_reads = false;
}
