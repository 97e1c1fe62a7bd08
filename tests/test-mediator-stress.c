/* SPDX-License-Identifier: MIT */
/*
 * The OP-TEE mediator under stress: two guests calling from two host threads
 * at once, and thousands of seeded random messages from one guest (random
 * commands, attributes, page lists with junk entries, other guests' frames,
 * random cookies and sessions, RPCs answered badly) with an access hook as
 * the oracle: the secure world never touches a frame outside the guest's and
 * the mediator's, and nothing is left behind.
 */
#include <pthread.h>

#include "test-mediator-nw.h"

#define VIN  TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT
#define VOUT TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT
#define VIO  TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT
#define TIN  TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT
#define RIN  TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT
#define NC   TEESIM_OPTEE_MSG_ATTR_NONCONTIG
#define OK   TEESIM_OPTEE_SMC_RETURN_OK

static struct menv E;

static void setup(void)
{
	menv_init(&E);
}

static void teardown(void)
{
	menv_done(&E);
}

/* Invoke an rpc-TA command with p1 = {x, y}; p0 gets the RPC's result. */
static struct teesim_optee_msg_arg *rpc_msg(struct gnw *nw, uint32_t sid, uint32_t func, uint64_t x,
					    uint64_t y)
{
	struct teesim_optee_msg_arg *a = gnw_invoke_msg(nw, sid, func, 3);

	a->params[0].attr = VOUT;
	a->params[1].attr = VIO;
	a->params[1].u.value.a = x;
	a->params[1].u.value.b = y;
	a->params[2].attr = VIO;
	return a;
}

static void assert_idle(struct gnw *nw)
{
	struct teesim_mediator_guest_stats st = gnw_stats(&E, nw);

	ck_assert_uint_eq(st.calls, 0);
	ck_assert_uint_eq(st.buffers, 0);
	ck_assert_uint_eq(st.rpc_buffers, 0);
	ck_assert_uint_eq(st.shadow_pages, 0);
}

/* No call, RPC shadow or temporary buffer left; registrations may stay. */
static void assert_idle_but_registered(struct gnw *nw)
{
	struct teesim_mediator_guest_stats st = gnw_stats(&E, nw);

	ck_assert_uint_eq(st.calls, 0);
	ck_assert_uint_eq(st.buffers, st.registered);
	ck_assert_uint_eq(st.rpc_buffers, 0);
	ck_assert_uint_eq(st.shadow_pages, 0);
}

/* ------------------------------------------------------------------------ */
/* Two guests on two host threads */

struct worker {
	struct gnw *nw;
	uint32_t sid;
	teesim_ipa_t ipa;
	uint8_t *buf;
	uint32_t sum;
	unsigned bad;
};

static void *worker_run(void *p)
{
	struct worker *w = p;

	for (unsigned i = 0; i < 100; i++) {
		struct teesim_optee_msg_arg *a =
		    gnw_invoke_msg(w->nw, w->sid, TEESIM_TA_MEM_CMD_READ, 2);

		a->params[0].attr = TIN | NC;
		a->params[0].u.tmem.buf_ptr = (w->nw->arg_ipa + TEESIM_PAGE_SIZE) | 0;
		a->params[0].u.tmem.size = 4 * TEESIM_PAGE_SIZE;
		a->params[0].u.tmem.shm_ref = 0x1000 + i;
		a->params[1].attr = VOUT;
		if (gnw_call(w->nw) != OK || a->ret || a->params[1].u.value.a != w->sum)
			w->bad++;
	}
	return NULL;
}

START_TEST(test_threads)
{
	struct worker w[2] = {{.nw = &E.a}, {.nw = &E.b}};
	pthread_t t[2];

	for (unsigned k = 0; k < 2; k++) {
		struct gnw *nw = w[k].nw;
		uint32_t fnv;
		uint64_t *l;

		w[k].sid = gnw_open(nw, TEESIM_TA_MEM_UUID);
		w[k].buf = gnw_pages(nw, 4, &w[k].ipa);
		for (size_t i = 0; i < 4 * TEESIM_PAGE_SIZE; i++)
			w[k].buf[i] = (uint8_t) (i * (k + 2));
		mem_digest(w[k].buf, 4 * TEESIM_PAGE_SIZE, &w[k].sum, &fnv);
		/* a list page right after the argument page (first allocation) */
		ck_assert_uint_eq(nw->allocs[0].ipa, nw->arg_ipa);
		ck_assert_int_eq(teesim_kmem_free(nw->g, nw->arg_ipa, 1), 0);
		nw->allocs[0].npages = 0;
		nw->arg = gnw_pages(nw, 2, &nw->arg_ipa);
		l = (uint64_t *) ((uint8_t *) nw->arg + TEESIM_PAGE_SIZE);
		for (unsigned i = 0; i < 4; i++)
			l[i] = w[k].ipa + i * TEESIM_PAGE_SIZE;
	}
	for (unsigned k = 0; k < 2; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, worker_run, &w[k]), 0);
	for (unsigned k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	for (unsigned k = 0; k < 2; k++) {
		ck_assert_uint_eq(w[k].bad, 0);
		ck_assert_uint_eq(gnw_stats(&E, w[k].nw).calls_total, 101);
		assert_idle(w[k].nw);
		ck_assert_uint_eq(gnw_close(w[k].nw, w[k].sid), 0);
	}
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Random messages from guest A: no crash, nothing outside A's frames touched */

struct oracle {
	struct teesim_machine *m;
	int allowed[2];
	unsigned bad, seen;
};

static int oracle_hook(void *ctx, const struct teesim_access *acc)
{
	struct oracle *o = ctx;

	if (!(acc->flags & TEESIM_ACC_NS))
		return 0;
	for (uint64_t pa = acc->pa & ~0xfffull; pa < acc->pa + (acc->len ? acc->len : 1);
	     pa += TEESIM_PAGE_SIZE) {
		struct teesim_frame_info fi;

		o->seen++;
		if (teesim_frame_info(o->m, pa, &fi) ||
		    (fi.guest_id != o->allowed[0] && fi.guest_id != o->allowed[1]))
			o->bad++;
	}
	return 0;
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A page-list entry: mostly A's data pages, sometimes junk. */
static uint64_t rand_entry(uint64_t *seed, teesim_ipa_t data, teesim_ipa_t lists, teesim_pa_t bpa)
{
	const uint64_t k = rnd(seed) % 64;

	if (k < 60)
		return data + (rnd(seed) % 16) * TEESIM_PAGE_SIZE;
	if (k == 60)
		return lists + (rnd(seed) % 4) * TEESIM_PAGE_SIZE;
	if (k == 61)
		return bpa; /* B's frame by PA */
	if (k == 62)
		return data + 8; /* misaligned */
	return rnd(seed);
}

static uint64_t rand_size(uint64_t *seed)
{
	const uint64_t k = rnd(seed) % 16;

	if (k < 14)
		return rnd(seed) % (4 * TEESIM_PAGE_SIZE);
	if (k == 14)
		return rnd(seed) % (200 * TEESIM_PAGE_SIZE);
	return rnd(seed);
}

START_TEST(test_random_messages)
{
	static const uint64_t types[] = {0,   VIN,     VOUT,	VIO, RIN, RIN + 1, RIN + 2,
					 TIN, TIN + 1, TIN + 2, 4,   8,	  0xc};
	struct oracle o = {.m = E.m};
	const uint32_t sid = gnw_open(&E.a, TEESIM_TA_MEM_UUID);
	const uint32_t rsid = gnw_open(&E.a, TEESIM_TA_RPC_UUID);
	static const uint32_t rpc_funcs[] = {TEESIM_TA_RPC_CMD_GET_TIME,
					     TEESIM_TA_RPC_CMD_FOREIGN_INTR,
					     TEESIM_TA_RPC_CMD_SHM_ALLOC, TEESIM_TA_RPC_CMD_CUSTOM};
	teesim_ipa_t data, lists, bipa;
	teesim_pa_t bpa;
	uint64_t seed = 0x1234, *l;
	struct teesim_sw_session_info si[8];
	size_t ns;

	gnw_pages(&E.a, 16, &data);
	l = gnw_pages(&E.a, 4, &lists);
	gnw_pages(&E.b, 1, &bipa);
	ck_assert_int_eq(teesim_guest_ipa_to_pa(E.b.g, bipa, &bpa), 0);
	o.allowed[0] = (int) teesim_guest_id(E.a.g);
	o.allowed[1] = (int) teesim_guest_id(teesim_mediator_hyp_guest(E.med));
	teesim_machine_set_access_hook(E.m, oracle_hook, &o);
	for (unsigned it = 0; it < 3000; it++) {
		const uint32_t np = (uint32_t) (rnd(&seed) % 5);
		struct teesim_optee_msg_arg *a = gnw_msg(&E.a, (uint32_t) (rnd(&seed) % 7), np);
		struct teesim_smc_regs r;
		uint32_t a0;

		a->session = rnd(&seed) % 4 ? sid : (uint32_t) rnd(&seed) % 8;
		a->func = (uint32_t) (rnd(&seed) % 6);
		for (size_t i = 0; i < 4 * 512; i++)
			l[i] = rand_entry(&seed, data, lists, bpa);
		for (uint32_t i = 0; i < np; i++) {
			struct teesim_optee_msg_param *p = &a->params[i];
			const uint64_t k = rnd(&seed) % 6;

			p->attr = types[rnd(&seed) % (sizeof(types) / sizeof(types[0]))];
			if (rnd(&seed) % 2)
				p->attr |= NC;
			p->u.tmem.buf_ptr = k < 3    ? lists + rnd(&seed) % (4 * TEESIM_PAGE_SIZE)
					    : k == 3 ? 0
					    : k == 4 ? bpa
						     : rnd(&seed);
			p->u.tmem.size = rand_size(&seed);
			p->u.tmem.shm_ref = rnd(&seed) % 8;
		}
		if (rnd(&seed) % 3 == 0) {
			/* one draw per statement: the same sequence with every compiler */
			const uint32_t func = rpc_funcs[rnd(&seed) % 4];
			const uint64_t type = rnd(&seed) % 3;

			rpc_msg(&E.a, rsid, func, type, rnd(&seed) % (6 * TEESIM_PAGE_SIZE));
		}
		/* now and then the guest answers RPCs badly */
		E.a.shm_alloc_contig = rnd(&seed) % 16 == 0;
		E.a.shm_alloc_bad_entry = rnd(&seed) % 16 == 0;
		E.a.shm_alloc_null = rnd(&seed) % 16 == 0;
		E.a.rpc_alloc_override = rnd(&seed) % 16 ? 0 : E.a.arg_ipa + 8;
		a0 = gnw_raw_call(&E.a, E.a.arg_ipa, &r);
		while (TEESIM_OPTEE_SMC_RETURN_IS_RPC(a0)) {
			if (rnd(&seed) % 16 == 0) {
				/* a stray resume of some other thread id */
				struct teesim_smc_regs x = {{0, 0, 0, (r.a[3] + 1) % 8}};

				ck_assert_uint_eq(gnw_resume(&E.a, &x),
						  TEESIM_OPTEE_SMC_RETURN_ERESUME);
			}
			gnw_serve(&E.a, &r);
			a0 = gnw_resume(&E.a, &r);
		}
	}
	teesim_machine_set_access_hook(E.m, NULL, NULL);
	ck_assert_uint_eq(o.bad, 0);
	E.a.rpc_alloc_override = 0;
	E.a.shm_alloc_contig = E.a.shm_alloc_bad_entry = E.a.shm_alloc_null = false;
	ck_assert_uint_gt(o.seen, 1000);
	/* it did reach far: RPCs, page lists */
	ck_assert_uint_gt(menv_sw_stats(&E).rpcs, 500);
	ck_assert_uint_gt(gnw_stats(&E, &E.a).translated_pages, 200);
	assert_idle_but_registered(&E.a);
	/* clean up what random REGISTER_SHM / OPEN_SESSION managed to create */
	for (uint64_t c = 0; c < 8; c++) {
		uint64_t swc;

		if (!teesim_mediator_sw_cookie(E.med, E.a.g, c, &swc))
			ck_assert_uint_eq(gnw_unregister(&E.a, c), 0);
	}
	ns = teesim_sw_sessions(E.sw, si, 8);
	ck_assert_uint_le(ns, 8);
	for (size_t i = 0; i < ns; i++)
		ck_assert_uint_eq(gnw_close(&E.a, si[i].id), 0);
	assert_idle(&E.a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mediator-stress");
	TCase *tc = tcase_create("stress");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_random_messages);
	suite_add_tcase(s, tc);
	return th_run(s);
}
