/* SPDX-License-Identifier: MIT */
/*
 * Benchmark of the OP-TEE mediator (run by `meson test --benchmark mediator`):
 * a NOP invoke with four value parameters and a NOP invoke with one 128-page
 * NONCONTIG memref, from a shuffled guest, once through the mediator (IPAs,
 * shadowed and translated) and once straight to the secure world (the guest
 * writing PAs itself, as a bare-metal kernel would). Best of several rounds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <teesim/teesim.h>

#define ROUNDS 7
#define ITERS  20000
#define PAGES  128

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

_Noreturn static void die(const char *what)
{
	fprintf(stderr, "bench-mediator: %s\n", what);
	exit(1);
}

struct bench {
	struct teesim_machine *m;
	struct teesim_guest *g;
	struct teesim_optee_msg_arg *arg;
	teesim_ipa_t arg_ipa, buf_ipa, list_ipa;
	uint64_t *list;
	uint32_t sid;
};

static teesim_pa_t pa_of(struct bench *b, teesim_ipa_t ipa)
{
	teesim_pa_t pa;

	if (teesim_guest_ipa_to_pa(b->g, ipa, &pa))
		die("ipa");
	return pa;
}

/* One call; @phys: the guest writes PAs (no mediator). */
static void call(struct bench *b, bool phys)
{
	const uint64_t a = phys ? pa_of(b, b->arg_ipa) : b->arg_ipa;
	struct teesim_smc_regs r = {
	    {TEESIM_OPTEE_SMC_CALL_WITH_ARG, (uint32_t) (a >> 32), (uint32_t) a, 0, 0, 0, 0, 0}};

	teesim_smc_call(b->m, b->g, &r);
	if (r.a[0] || b->arg->ret)
		die("call failed");
}

static void open_session(struct bench *b, bool phys)
{
	const uint64_t meta = TEESIM_OPTEE_MSG_ATTR_META | TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	struct teesim_optee_msg_arg *a = b->arg;
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
	call(b, phys);
	b->sid = a->session;
}

static void nop_msg(struct bench *b, bool memref, bool phys)
{
	struct teesim_optee_msg_arg *a = b->arg;

	memset(a, 0, 256);
	a->cmd = TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND;
	a->session = b->sid;
	a->func = TEESIM_TA_MEM_CMD_NOP;
	a->num_params = 4;
	for (unsigned i = 0; i < 4; i++)
		a->params[i].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;
	if (memref) {
		for (unsigned i = 0; i < PAGES; i++) {
			const teesim_ipa_t ipa = b->buf_ipa + (uint64_t) i * 4096;

			b->list[i] = phys ? pa_of(b, ipa) : ipa;
		}
		a->params[0].attr =
		    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
		a->params[0].u.tmem.buf_ptr = phys ? pa_of(b, b->list_ipa) : b->list_ipa;
		a->params[0].u.tmem.size = PAGES * 4096;
		a->params[0].u.tmem.shm_ref = 0x1234;
	}
}

static double measure(struct bench *b, bool memref, bool phys)
{
	double best = 1e30;

	for (int round = 0; round < ROUNDS; round++) {
		double t0 = now_ns();

		for (int i = 0; i < ITERS; i++) {
			nop_msg(b, memref, phys);
			call(b, phys);
		}
		double per = (now_ns() - t0) / ITERS;

		if (per < best)
			best = per;
	}
	return best;
}

int main(void)
{
	struct teesim_machine_cfg mc;
	struct teesim_sw_cfg sc;
	struct teesim_sw *sw;
	struct teesim_mediator *med;
	struct bench b = {0};
	double t[2][2];

	teesim_machine_cfg_default(&mc);
	mc.guest0_size = 32ull << 20;
	mc.remap = TEESIM_REMAP_SHUFFLE;
	mc.seed = 1;
	b.m = teesim_machine_new(&mc);
	if (!b.m)
		die("machine");
	b.g = teesim_machine_guest(b.m, 0);
	teesim_sw_cfg_default(&sc, TEESIM_OPTEE_GEN_HEAD);
	sc.sec_caps |= TEESIM_OPTEE_SMC_SEC_CAP_VIRTUALIZATION;
	sw = teesim_sw_new(b.m, &sc);
	if (!sw)
		die("sw");
	if (teesim_kmem_alloc(b.g, 1, TEESIM_KMEM_ZERO, &b.arg_ipa, (void **) &b.arg) ||
	    teesim_kmem_alloc(b.g, PAGES, TEESIM_KMEM_ZERO, &b.buf_ipa, NULL) ||
	    teesim_kmem_alloc(b.g, 1, TEESIM_KMEM_ZERO, &b.list_ipa, (void **) &b.list))
		die("kmem");

	for (int phys = 1; phys >= 0; phys--) {
		med = phys ? NULL : teesim_mediator_new(b.m, NULL);
		if (!phys && !med)
			die("mediator");
		open_session(&b, phys);
		t[phys][0] = measure(&b, false, phys);
		t[phys][1] = measure(&b, true, phys);
		memset(b.arg, 0, 64);
		b.arg->cmd = TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION;
		b.arg->session = b.sid;
		call(&b, phys);
		teesim_mediator_free(med);
	}
	printf("NOP invoke, 4 value params:          direct %6.0f ns  mediated %6.0f ns\n", t[1][0],
	       t[0][0]);
	printf("NOP invoke, 128-page NONCONTIG list: direct %6.0f ns  mediated %6.0f ns\n", t[1][1],
	       t[0][1]);

	teesim_kmem_free(b.g, b.arg_ipa, 1);
	teesim_kmem_free(b.g, b.buf_ipa, PAGES);
	teesim_kmem_free(b.g, b.list_ipa, 1);
	teesim_sw_free(sw);
	teesim_machine_free(b.m);
	return 0;
}
