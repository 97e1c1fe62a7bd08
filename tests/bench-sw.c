/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the fake secure world (run by `meson test --benchmark`):
 * a NOP invoke with four value parameters driven by raw SMCs, the same with
 * the argument in the static pool, and a NOP invoke carrying one 128-page
 * NONCONTIG memref. Each figure is the best of several rounds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <teesim/teesim.h>

#define ROUNDS 7
#define ITERS  20000

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

_Noreturn static void die(const char *what)
{
	fprintf(stderr, "bench-sw: %s\n", what);
	exit(1);
}

static void call(struct teesim_machine *m, struct teesim_guest *g, teesim_pa_t pa,
		 struct teesim_optee_msg_arg *a)
{
	struct teesim_smc_regs r = {
	    {TEESIM_OPTEE_SMC_CALL_WITH_ARG, (uint32_t) (pa >> 32), (uint32_t) pa, 0, 0, 0, 0, 0}};

	teesim_smc_call(m, g, &r);
	if (r.a[0] || a->ret)
		die("call failed");
}

static void open_session(struct teesim_machine *m, struct teesim_guest *g, teesim_pa_t pa,
			 struct teesim_optee_msg_arg *a, uint32_t *sid)
{
	const uint64_t meta = TEESIM_OPTEE_MSG_ATTR_META | TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	struct teesim_uuid u;

	memset(a, 0, 4096);
	a->cmd = TEESIM_OPTEE_MSG_CMD_OPEN_SESSION;
	a->num_params = 2;
	a->params[0].attr = meta;
	if (teesim_uuid_parse(TEESIM_TA_MEM_UUID, &u))
		die("uuid");
	memcpy(&a->params[0].u.value.a, u.b, 8);
	memcpy(&a->params[0].u.value.b, u.b + 8, 8);
	a->params[1].attr = meta;
	call(m, g, pa, a);
	*sid = a->session;
}

static void nop_msg(struct teesim_optee_msg_arg *a, uint32_t sid, unsigned nvalues)
{
	memset(a, 0, 4096);
	a->cmd = TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND;
	a->func = TEESIM_TA_MEM_CMD_NOP;
	a->session = sid;
	a->num_params = nvalues;
	for (unsigned i = 0; i < nvalues; i++) {
		a->params[i].attr = i % 2 ? TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT
					  : TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
		a->params[i].u.value.a = i;
	}
}

static double bench(struct teesim_machine *m, struct teesim_guest *g, teesim_pa_t pa,
		    struct teesim_optee_msg_arg *a)
{
	double best = 1e30;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns(), t;

		for (int i = 0; i < ITERS; i++)
			call(m, g, pa, a);
		t = (now_ns() - t0) / ITERS;
		if (t < best)
			best = t;
	}
	return best;
}

int main(void)
{
	struct teesim_machine *m = teesim_machine_new(NULL);
	struct teesim_guest *g = m ? teesim_machine_guest(m, 0) : NULL;
	struct teesim_sw *sw = m ? teesim_sw_new(m, NULL) : NULL;
	struct teesim_optee_msg_arg *a, *pa_arg;
	teesim_ipa_t ipa, dipa, lipa;
	teesim_pa_t pa, shm_pa, lpa;
	uint64_t *list;
	void *data;
	uint32_t sid;

	if (!sw)
		die("setup");
	if (teesim_kmem_alloc(g, 1, TEESIM_KMEM_ZERO, &ipa, (void **) &a) ||
	    teesim_guest_ipa_to_pa(g, ipa, &pa) ||
	    teesim_machine_static_shm(m, &shm_pa, NULL, (void **) &pa_arg))
		die("memory");
	open_session(m, g, pa, a, &sid);

	nop_msg(a, sid, 4);
	printf("nop invoke, 4 value params, arg in a kernel page: %.0f ns\n", bench(m, g, pa, a));
	nop_msg(pa_arg, sid, 4);
	printf("nop invoke, 4 value params, arg in the static pool: %.0f ns\n",
	       bench(m, g, shm_pa, pa_arg));

	/* 128 data pages and their list */
	if (teesim_kmem_alloc(g, 128, TEESIM_KMEM_ZERO, &dipa, &data) ||
	    teesim_kmem_alloc(g, 1, TEESIM_KMEM_ZERO, &lipa, (void **) &list) ||
	    teesim_guest_ipa_to_pa(g, lipa, &lpa))
		die("memory");
	for (int i = 0; i < 128; i++)
		if (teesim_guest_ipa_to_pa(g, dipa + (uint64_t) i * 4096, &list[i]))
			die("ipa");
	nop_msg(a, sid, 1);
	a->params[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
	a->params[0].u.tmem.buf_ptr = lpa;
	a->params[0].u.tmem.size = 128 * 4096;
	a->params[0].u.tmem.shm_ref = 0x1234;
	printf("nop invoke, one 128-page NONCONTIG memref: %.0f ns\n", bench(m, g, pa, a));

	teesim_sw_free(sw);
	teesim_kmem_free(g, ipa, 1);
	teesim_kmem_free(g, dipa, 128);
	teesim_kmem_free(g, lipa, 1);
	teesim_machine_free(m);
	return 0;
}
