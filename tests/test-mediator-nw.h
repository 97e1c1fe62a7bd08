/* SPDX-License-Identifier: MIT */
/*
 * Hand-made guests for the mediator suites: a shuffled machine with two
 * guests, a secure world with the VIRTUALIZATION capability and the
 * mediator between them. Each guest builds optee_msg_arg and page lists by
 * hand with its own IPAs (what its OP-TEE driver would emit), makes raw SMCs
 * and serves RPCs (ALLOC / FREE / FOREIGN_INTR / CMD) with IPAs too. Tests
 * compare what the secure world saw with what the guest wrote through its
 * host pointers. Everything is static inline so each suite takes what it uses.
 */
#ifndef TEESIM_TESTS_MEDIATOR_NW_H
#define TEESIM_TESTS_MEDIATOR_NW_H

#include <stdatomic.h>
#include <stdlib.h>

#include "harness.h"

#define GNW_MAX_ALLOCS	 128
#define GNW_RPC_COOKIE	 0xabcd000000000000ull /* RPC_ALLOC cookie: | IPA */
#define GNW_SHM_COOKIE	 0xc0c0000000000000ull /* SHM_ALLOC cookie: | IPA */
#define GNW_COOKIE_MASK	 0x0000ffffffffffffull
#define GNW_GUEST_SIZE	 (24ull << 20)
#define GNW_LIST_ENTRIES 511u

struct gnw_alloc {
	teesim_ipa_t ipa;
	void *host;
	size_t npages;
};

struct gnw;
/* Called for every RPC before the default handling; return true when handled. */
typedef bool (*gnw_rpc_hook)(struct gnw *nw, struct teesim_smc_regs *r);

struct gnw {
	struct teesim_machine *m;
	struct teesim_guest *g;
	struct gnw_alloc allocs[GNW_MAX_ALLOCS];
	teesim_ipa_t arg_ipa; /* one page for messages */
	struct teesim_optee_msg_arg *arg;
	gnw_rpc_hook hook;
	void *hook_ctx;
	/* what the default RPC server saw */
	/* atomic: host threads of one test serve RPCs on the same struct */
	_Atomic unsigned rpc_alloc, rpc_free, rpc_fintr, rpc_cmd, cmd_count[32];
	uint64_t last_shm_free_cookie;
	uint8_t last_shm_free_byte;	 /* first data byte of the freed SHM_ALLOC buffer */
	bool shm_alloc_contig;		 /* reply to SHM_ALLOC with plain TMEM (refused) */
	bool shm_alloc_bad_entry;	 /* reply with a list entry outside guest RAM */
	bool shm_alloc_null;		 /* reply with a NULL page list (buf_ptr 0) */
	teesim_ipa_t rpc_alloc_override; /* nonzero: answer RPC_ALLOC with this IPA */
	/* SHM_ALLOC buffers handed out: data pages and their page list */
	teesim_ipa_t shm_data[GNW_MAX_ALLOCS], shm_list[GNW_MAX_ALLOCS];
};

/* The machine, the secure world, the mediator and two guests. */
struct menv {
	struct teesim_machine *m;
	struct teesim_sw *sw;
	struct teesim_mediator *med;
	struct gnw a, b;
};

static inline void *gnw_pages(struct gnw *nw, size_t n, teesim_ipa_t *ipa)
{
	for (unsigned i = 0; i < GNW_MAX_ALLOCS; i++) {
		struct gnw_alloc *a = &nw->allocs[i];

		if (a->npages)
			continue;
		ck_assert_int_eq(teesim_kmem_alloc(nw->g, n, TEESIM_KMEM_ZERO, &a->ipa, &a->host),
				 0);
		a->npages = n;
		if (ipa)
			*ipa = a->ipa;
		return a->host;
	}
	ck_abort_msg("too many allocations");
	return NULL;
}

static inline void gnw_pages_free(struct gnw *nw, teesim_ipa_t ipa)
{
	for (unsigned i = 0; i < GNW_MAX_ALLOCS; i++) {
		struct gnw_alloc *a = &nw->allocs[i];

		if (a->npages && a->ipa == ipa) {
			ck_assert_int_eq(teesim_kmem_free(nw->g, a->ipa, a->npages), 0);
			a->npages = 0;
			return;
		}
	}
	ck_abort_msg("freeing unknown pages %llx", (unsigned long long) ipa);
}

static inline void *gnw_host(struct gnw *nw, teesim_ipa_t ipa)
{
	void *h = teesim_guest_ipa_host(nw->g, ipa);

	ck_assert_ptr_nonnull(h);
	return h;
}

static inline size_t gnw_live_allocs(const struct gnw *nw)
{
	size_t n = 0;

	for (unsigned i = 0; i < GNW_MAX_ALLOCS; i++)
		n += nw->allocs[i].npages != 0;
	return n;
}

/* A page list (IPAs) in fresh pages for the @n pages from @first; returns buf_ptr. */
static inline uint64_t gnw_pagelist(struct gnw *nw, teesim_ipa_t first, size_t n, uint32_t offset)
{
	size_t lists = (n + GNW_LIST_ENTRIES - 1) / GNW_LIST_ENTRIES;
	teesim_ipa_t lipa;
	uint64_t *l = gnw_pages(nw, lists ? lists : 1, &lipa);

	for (size_t i = 0; i < n; i++)
		l[(i / GNW_LIST_ENTRIES) * 512 + i % GNW_LIST_ENTRIES] =
		    first + i * TEESIM_PAGE_SIZE;
	for (size_t k = 0; k + 1 < lists; k++)
		l[k * 512 + 511] = lipa + (k + 1) * TEESIM_PAGE_SIZE;
	return lipa | offset;
}

/* The frames behind @n guest pages from @first. */
static inline void gnw_frames(struct gnw *nw, teesim_ipa_t first, size_t n, teesim_pa_t *pas)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(
		    teesim_guest_ipa_to_pa(nw->g, first + i * TEESIM_PAGE_SIZE, &pas[i]), 0);
}

static inline uint32_t gnw_serve_cmd(struct gnw *nw, struct teesim_optee_msg_arg *a)
{
	struct teesim_optee_msg_param *p = a->params;

	if (a->cmd < 32)
		nw->cmd_count[a->cmd]++;
	switch (a->cmd) {
	case TEESIM_OPTEE_RPC_CMD_GET_TIME:
		p[0].u.value.a = 1234;
		p[0].u.value.b = 5678;
		return TEESIM_OPTEE_SUCCESS;
	case TEESIM_OPTEE_RPC_CMD_SUSPEND:
	case TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE:
		return TEESIM_OPTEE_SUCCESS;
	case TEESIM_OPTEE_RPC_CMD_SHM_ALLOC: {
		uint64_t size = p[0].u.value.b;
		size_t n = (size_t) ((size + TEESIM_PAGE_SIZE - 1) / TEESIM_PAGE_SIZE);
		teesim_ipa_t ipa;

		if (!n)
			n = 1;
		gnw_pages(nw, n, &ipa);
		if (nw->shm_alloc_contig) {
			p[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT;
			p[0].u.tmem.buf_ptr = ipa;
		} else {
			p[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT |
				    TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
			p[0].u.tmem.buf_ptr = gnw_pagelist(nw, ipa, n, 0);
			for (unsigned i = 0; i < GNW_MAX_ALLOCS; i++) {
				if (!nw->shm_data[i]) {
					nw->shm_data[i] = ipa;
					nw->shm_list[i] = p[0].u.tmem.buf_ptr;
					break;
				}
			}
			if (nw->shm_alloc_bad_entry) {
				uint64_t *l = gnw_host(nw, p[0].u.tmem.buf_ptr);

				l[0] = 0x1000; /* not guest RAM */
			}
			if (nw->shm_alloc_null)
				p[0].u.tmem.buf_ptr = 0;
		}
		p[0].u.tmem.size = size;
		p[0].u.tmem.shm_ref = GNW_SHM_COOKIE | ipa;
		return TEESIM_OPTEE_SUCCESS;
	}
	case TEESIM_OPTEE_RPC_CMD_SHM_FREE: {
		const teesim_ipa_t ipa = p[0].u.value.b & GNW_COOKIE_MASK;

		ck_assert_uint_eq(p[0].u.value.b & ~GNW_COOKIE_MASK, GNW_SHM_COOKIE);
		nw->last_shm_free_cookie = p[0].u.value.b;
		nw->last_shm_free_byte = *(uint8_t *) gnw_host(nw, ipa);
		gnw_pages_free(nw, ipa);
		for (unsigned i = 0; i < GNW_MAX_ALLOCS; i++) {
			if (nw->shm_data[i] == ipa) {
				gnw_pages_free(nw, nw->shm_list[i]);
				nw->shm_data[i] = 0;
				break;
			}
		}
		return TEESIM_OPTEE_SUCCESS;
	}
	default:
		return TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
	}
}

/* Serve one RPC in @r (default handling unless the hook took it); leaves @r ready to resume. */
static inline void gnw_serve(struct gnw *nw, struct teesim_smc_regs *r)
{
	const uint32_t func = TEESIM_OPTEE_SMC_RETURN_GET_RPC_FUNC(r->a[0]);

	if (nw->hook && nw->hook(nw, r))
		return;
	switch (func) {
	case TEESIM_OPTEE_SMC_RPC_FUNC_ALLOC: {
		teesim_ipa_t ipa;

		nw->rpc_alloc++;
		if (nw->rpc_alloc_override)
			ipa = nw->rpc_alloc_override; /* and nothing allocated */
		else
			gnw_pages(nw, 1, &ipa);
		r->a[1] = (uint32_t) (ipa >> 32);
		r->a[2] = (uint32_t) ipa;
		r->a[4] = (uint32_t) ((GNW_RPC_COOKIE | ipa) >> 32);
		r->a[5] = (uint32_t) ipa;
		break;
	}
	case TEESIM_OPTEE_SMC_RPC_FUNC_FREE: {
		uint64_t c = ((uint64_t) r->a[1] << 32) | r->a[2];

		nw->rpc_free++;
		ck_assert_uint_eq(c & ~GNW_COOKIE_MASK, GNW_RPC_COOKIE);
		gnw_pages_free(nw, c & GNW_COOKIE_MASK);
		break;
	}
	case TEESIM_OPTEE_SMC_RPC_FUNC_FOREIGN_INTR:
		nw->rpc_fintr++;
		break;
	case TEESIM_OPTEE_SMC_RPC_FUNC_CMD: {
		uint64_t c = ((uint64_t) r->a[1] << 32) | r->a[2];
		struct teesim_optee_msg_arg *a = gnw_host(nw, c & GNW_COOKIE_MASK);

		ck_assert_uint_eq(c & ~GNW_COOKIE_MASK, GNW_RPC_COOKIE);
		nw->rpc_cmd++;
		a->ret = gnw_serve_cmd(nw, a);
		a->ret_origin = TEESIM_OPTEE_ORIGIN_COMMS;
		break;
	}
	default:
		ck_abort_msg("unknown RPC %x", r->a[0]);
	}
}

static inline void gnw_smc(struct gnw *nw, struct teesim_smc_regs *r)
{
	teesim_smc_call(nw->m, nw->g, r);
}

/* Raw CALL_WITH_ARG at @ipa; returns a0 (the registers in @out if non-NULL). */
static inline uint32_t gnw_raw_call(struct gnw *nw, teesim_ipa_t ipa, struct teesim_smc_regs *out)
{
	struct teesim_smc_regs r = {{TEESIM_OPTEE_SMC_CALL_WITH_ARG, (uint32_t) (ipa >> 32),
				     (uint32_t) ipa, 0, 0, 0, 0, 0}};

	gnw_smc(nw, &r);
	if (out)
		*out = r;
	return r.a[0];
}

static inline uint32_t gnw_resume(struct gnw *nw, struct teesim_smc_regs *r)
{
	r->a[0] = TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC;
	gnw_smc(nw, r);
	return r->a[0];
}

/* Run a call at @ipa to completion, serving RPCs; returns the final a0. */
static inline uint32_t gnw_call_at(struct gnw *nw, teesim_ipa_t ipa)
{
	struct teesim_smc_regs r;
	uint32_t a0 = gnw_raw_call(nw, ipa, &r);

	while (TEESIM_OPTEE_SMC_RETURN_IS_RPC(a0)) {
		gnw_serve(nw, &r);
		a0 = gnw_resume(nw, &r);
	}
	return a0;
}

static inline uint32_t gnw_call(struct gnw *nw)
{
	return gnw_call_at(nw, nw->arg_ipa);
}

/* Reset the message page and return it as a message with @n params. */
static inline struct teesim_optee_msg_arg *gnw_msg(struct gnw *nw, uint32_t cmd, uint32_t n)
{
	memset(nw->arg, 0, TEESIM_PAGE_SIZE);
	nw->arg->cmd = cmd;
	nw->arg->num_params = n;
	return nw->arg;
}

/* Open a session to @uuid; asserts success and returns its id. */
static inline uint32_t gnw_open(struct gnw *nw, const char *uuid)
{
	struct teesim_optee_msg_arg *a = gnw_msg(nw, TEESIM_OPTEE_MSG_CMD_OPEN_SESSION, 2);
	const uint64_t meta = TEESIM_OPTEE_MSG_ATTR_META | TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	struct teesim_uuid u;

	ck_assert_int_eq(teesim_uuid_parse(uuid, &u), 0);
	a->params[0].attr = meta;
	memcpy(&a->params[0].u.value.a, u.b, 8);
	memcpy(&a->params[0].u.value.b, u.b + 8, 8);
	a->params[1].attr = meta;
	a->params[1].u.value.c = TEESIM_OPTEE_MSG_LOGIN_PUBLIC;
	ck_assert_uint_eq(gnw_call(nw), TEESIM_OPTEE_SMC_RETURN_OK);
	ck_assert_msg(a->ret == 0, "open_session ret %x origin %u", a->ret, a->ret_origin);
	ck_assert_uint_ne(a->session, 0);
	return a->session;
}

static inline uint32_t gnw_close(struct gnw *nw, uint32_t sid)
{
	struct teesim_optee_msg_arg *a = gnw_msg(nw, TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION, 0);

	a->session = sid;
	ck_assert_uint_eq(gnw_call(nw), TEESIM_OPTEE_SMC_RETURN_OK);
	return a->ret;
}

static inline struct teesim_optee_msg_arg *gnw_invoke_msg(struct gnw *nw, uint32_t sid,
							  uint32_t func, uint32_t n)
{
	struct teesim_optee_msg_arg *a = gnw_msg(nw, TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND, n);

	a->session = sid;
	a->func = func;
	return a;
}

/* REGISTER_SHM of @n pages from @first under @cookie; returns arg->ret (SMC asserted OK). */
static inline uint32_t gnw_register(struct gnw *nw, teesim_ipa_t first, size_t n, uint32_t offset,
				    uint64_t size, uint64_t cookie)
{
	struct teesim_optee_msg_arg *a = gnw_msg(nw, TEESIM_OPTEE_MSG_CMD_REGISTER_SHM, 1);

	a->params[0].attr =
	    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
	a->params[0].u.tmem.buf_ptr = gnw_pagelist(nw, first, n, offset);
	a->params[0].u.tmem.size = size;
	a->params[0].u.tmem.shm_ref = cookie;
	ck_assert_uint_eq(gnw_call(nw), TEESIM_OPTEE_SMC_RETURN_OK);
	return a->ret;
}

static inline uint32_t gnw_unregister(struct gnw *nw, uint64_t cookie)
{
	struct teesim_optee_msg_arg *a = gnw_msg(nw, TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM, 1);

	a->params[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT;
	a->params[0].u.rmem.shm_ref = cookie;
	ck_assert_uint_eq(gnw_call(nw), TEESIM_OPTEE_SMC_RETURN_OK);
	return a->ret;
}

static inline void gnw_init(struct gnw *nw, struct teesim_machine *m, struct teesim_guest *g)
{
	memset(nw, 0, sizeof(*nw));
	nw->m = m;
	nw->g = g;
	nw->arg = gnw_pages(nw, 1, &nw->arg_ipa);
}

static inline void gnw_fini(struct gnw *nw)
{
	for (unsigned i = 0; i < GNW_MAX_ALLOCS; i++)
		if (nw->allocs[i].npages)
			ck_assert_int_eq(
			    teesim_kmem_free(nw->g, nw->allocs[i].ipa, nw->allocs[i].npages), 0);
	memset(nw->allocs, 0, sizeof(nw->allocs));
}

static inline struct teesim_mediator_guest_stats gnw_stats(struct menv *e, struct gnw *nw)
{
	struct teesim_mediator_guest_stats st;

	ck_assert_int_eq(teesim_mediator_guest_stats(e->med, nw->g, &st), 0);
	return st;
}

static inline struct teesim_sw_stats menv_sw_stats(struct menv *e)
{
	struct teesim_sw_stats st;

	teesim_sw_stats(e->sw, &st);
	return st;
}

/* The machine: 64 MiB of shuffled RAM, guest 0 and guest 1 24 MiB each. */
static inline struct teesim_machine *menv_machine(void)
{
	struct teesim_machine_cfg cfg;

	teesim_machine_cfg_default(&cfg);
	cfg.guest0_size = GNW_GUEST_SIZE;
	cfg.remap = TEESIM_REMAP_SHUFFLE;
	cfg.seed = 0x5eed;
	return th_machine(&cfg);
}

static inline void menv_sw_cfg(struct teesim_sw_cfg *cfg)
{
	teesim_sw_cfg_default(cfg, TEESIM_OPTEE_GEN_HEAD);
	cfg->sec_caps |= TEESIM_OPTEE_SMC_SEC_CAP_VIRTUALIZATION;
	cfg->num_threads = 8;
}

/* Build everything; @mcfg / @swcfg NULL for the defaults above. */
static inline void menv_init_cfg(struct menv *e, const struct teesim_mediator_cfg *mcfg,
				 const struct teesim_sw_cfg *swcfg)
{
	struct teesim_sw_cfg sc;
	struct teesim_guest *gb;

	memset(e, 0, sizeof(*e));
	e->m = menv_machine();
	gb = teesim_guest_new(e->m, GNW_GUEST_SIZE);
	ck_assert_ptr_nonnull(gb);
	if (!swcfg) {
		menv_sw_cfg(&sc);
		swcfg = &sc;
	}
	e->sw = teesim_sw_new(e->m, swcfg);
	ck_assert_msg(e->sw != NULL, "teesim_sw_new: %s", strerror(errno));
	e->med = teesim_mediator_new(e->m, mcfg);
	ck_assert_msg(e->med != NULL, "teesim_mediator_new: %s", strerror(errno));
	gnw_init(&e->a, e->m, teesim_machine_guest(e->m, 0));
	gnw_init(&e->b, e->m, gb);
}

static inline void menv_init(struct menv *e)
{
	menv_init_cfg(e, NULL, NULL);
}

/* Tear down; asserts the mediator and the secure world held nothing and nothing leaked. */
static inline void menv_done(struct menv *e)
{
	struct teesim_mediator_stats ms;
	struct teesim_sw_stats ss = menv_sw_stats(e);

	ck_assert_uint_eq(ss.sessions, 0);
	ck_assert_uint_eq(ss.shm_objects, 0);
	ck_assert_uint_eq(ss.rpc_shm_objects, 0);
	ck_assert_uint_eq(ss.threads_busy, 0);
	teesim_mediator_stats(e->med, &ms);
	ck_assert_uint_eq(ms.pool_pages, 0);
	teesim_mediator_free(e->med);
	teesim_sw_free(e->sw);
	gnw_fini(&e->a);
	gnw_fini(&e->b);
	ck_assert_int_eq(teesim_guest_free(e->b.g), 0);
	th_machine_done(e->m);
}

/* FNV-1a 32 and byte sum, as the mem TA's READ reports them. */
static inline void mem_digest(const uint8_t *p, size_t n, uint32_t *sum, uint32_t *fnv)
{
	uint32_t s = 0, h = 0x811c9dc5u;

	for (size_t i = 0; i < n; i++) {
		s += p[i];
		h = (h ^ p[i]) * 0x01000193u;
	}
	*sum = s;
	*fnv = h;
}

#endif /* TEESIM_TESTS_MEDIATOR_NW_H */
