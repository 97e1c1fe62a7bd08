/* SPDX-License-Identifier: MIT */
/*
 * A hand-made normal world for the secure-world suites: kernel pages in
 * guest 0, optee_msg_arg built by hand, raw SMCs, and a small RPC server
 * (ALLOC / FREE / FOREIGN_INTR / CMD) that tests can watch and override.
 * Everything is static inline so each suite takes what it uses.
 */
#ifndef TEESIM_TESTS_SW_NW_H
#define TEESIM_TESTS_SW_NW_H

#include <stdatomic.h>
#include <stdlib.h>

#include "harness.h"

#define NW_MAX_ALLOCS 256

struct nw_alloc {
	teesim_ipa_t ipa;
	teesim_pa_t pa;
	void *host;
	size_t npages;
};

struct nw;
/* Called for every RPC before the default handling; return true when handled. */
typedef bool (*nw_rpc_hook)(struct nw *nw, struct teesim_smc_regs *r);

struct nw {
	struct teesim_machine *m;
	struct teesim_guest *g;
	struct teesim_sw *sw;
	struct nw_alloc allocs[NW_MAX_ALLOCS];
	teesim_pa_t arg_pa; /* one page for messages */
	struct teesim_optee_msg_arg *arg;
	teesim_pa_t shm_pa; /* the static pool */
	unsigned char *shm;
	uint64_t shm_size;
	nw_rpc_hook hook;
	void *hook_ctx;
	/* what the default RPC server saw */
	/* atomic: host threads of one test serve RPCs on the same struct */
	_Atomic unsigned rpc_alloc, rpc_free, rpc_fintr, rpc_cmd, cmd_count[32];
	uint64_t last_free_cookie;     /* RPC_FREE */
	uint64_t last_shm_free_cookie; /* RPC_CMD SHM_FREE */
	uint32_t last_wq_op, last_wq_key;
	const void *ta_image; /* LOAD_TA answers with this image */
	size_t ta_image_size;
	bool shm_alloc_contig; /* SHM_ALLOC replies with plain TMEM from the pool */
};

static inline void *nw_pages(struct nw *nw, size_t n, teesim_pa_t *pa)
{
	for (unsigned i = 0; i < NW_MAX_ALLOCS; i++) {
		struct nw_alloc *a = &nw->allocs[i];

		if (a->npages)
			continue;
		ck_assert_int_eq(teesim_kmem_alloc(nw->g, n, TEESIM_KMEM_ZERO, &a->ipa, &a->host),
				 0);
		ck_assert_int_eq(teesim_guest_ipa_to_pa(nw->g, a->ipa, &a->pa), 0);
		a->npages = n;
		if (pa)
			*pa = a->pa;
		return a->host;
	}
	ck_abort_msg("too many allocations");
	return NULL;
}

static inline void nw_pages_free(struct nw *nw, teesim_pa_t pa)
{
	for (unsigned i = 0; i < NW_MAX_ALLOCS; i++) {
		struct nw_alloc *a = &nw->allocs[i];

		if (a->npages && a->pa == pa) {
			ck_assert_int_eq(teesim_kmem_free(nw->g, a->ipa, a->npages), 0);
			a->npages = 0;
			return;
		}
	}
	ck_abort_msg("freeing unknown pages %llx", (unsigned long long) pa);
}

/* The PA of @host inside one of our allocations. */
static inline teesim_pa_t nw_pa(struct nw *nw, const void *host)
{
	for (unsigned i = 0; i < NW_MAX_ALLOCS; i++) {
		struct nw_alloc *a = &nw->allocs[i];
		const unsigned char *h = host, *b = a->host;

		if (a->npages && h >= b && h < b + a->npages * TEESIM_PAGE_SIZE) {
			teesim_pa_t pa;

			ck_assert_int_eq(
			    teesim_guest_ipa_to_pa(nw->g, a->ipa + (uint64_t) (h - b), &pa), 0);
			return pa;
		}
	}
	if (nw->shm && (const unsigned char *) host >= nw->shm &&
	    (const unsigned char *) host < nw->shm + nw->shm_size)
		return nw->shm_pa + (uint64_t) ((const unsigned char *) host - nw->shm);
	ck_abort_msg("pointer outside the normal world's memory");
	return 0;
}

static inline void nw_init_cfg(struct nw *nw, struct teesim_machine *m,
			       const struct teesim_sw_cfg *cfg)
{
	memset(nw, 0, sizeof(*nw));
	nw->m = m;
	nw->g = teesim_machine_guest(m, 0);
	nw->sw = teesim_sw_new(m, cfg);
	ck_assert_msg(nw->sw != NULL, "teesim_sw_new: %s", strerror(errno));
	nw->arg = nw_pages(nw, 1, &nw->arg_pa);
	if (teesim_machine_static_shm(m, &nw->shm_pa, &nw->shm_size, (void **) &nw->shm))
		nw->shm = NULL;
}

static inline void nw_init(struct nw *nw, struct teesim_machine *m, enum teesim_optee_gen gen)
{
	struct teesim_sw_cfg cfg;

	teesim_sw_cfg_default(&cfg, gen);
	nw_init_cfg(nw, m, &cfg);
}

/* Free everything; asserts the secure world holds nothing and no RPC buffer leaked. */
static inline void nw_fini(struct nw *nw)
{
	teesim_sw_free(nw->sw);
	for (unsigned i = 0; i < NW_MAX_ALLOCS; i++)
		if (nw->allocs[i].npages)
			ck_assert_int_eq(
			    teesim_kmem_free(nw->g, nw->allocs[i].ipa, nw->allocs[i].npages), 0);
}

static inline void nw_fast(struct nw *nw, struct teesim_smc_regs *r)
{
	teesim_smc_call(nw->m, nw->g, r);
}

/* Raw CALL_WITH_ARG at @pa; returns a0 (the registers in @out if non-NULL). */
static inline uint32_t nw_raw_call(struct nw *nw, uint32_t fid, teesim_pa_t pa,
				   struct teesim_smc_regs *out)
{
	struct teesim_smc_regs r = {{fid, (uint32_t) (pa >> 32), (uint32_t) pa, 0, 0, 0, 0, 0}};

	teesim_smc_call(nw->m, nw->g, &r);
	if (out)
		*out = r;
	return r.a[0];
}

static inline uint32_t nw_resume(struct nw *nw, struct teesim_smc_regs *r)
{
	r->a[0] = TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC;
	teesim_smc_call(nw->m, nw->g, r);
	return r->a[0];
}

/*
 * The host bytes behind @pa. An allocation is contiguous in IPAs (and in its
 * host mapping), not in PAs under a shuffled remap, so @pa is looked up by
 * its IPA: a PA range [a->pa, a->pa + size) would also take in frames of
 * other allocations.
 */
static inline struct teesim_optee_msg_arg *nw_host_of(struct nw *nw, teesim_pa_t pa)
{
	teesim_ipa_t ipa;

	if (nw->shm && pa >= nw->shm_pa && pa < nw->shm_pa + nw->shm_size)
		return (void *) (nw->shm + (pa - nw->shm_pa));
	if (teesim_guest_pa_to_ipa(nw->g, pa, &ipa))
		ck_abort_msg("pa %llx has no IPA", (unsigned long long) pa);
	for (unsigned i = 0; i < NW_MAX_ALLOCS; i++) {
		struct nw_alloc *a = &nw->allocs[i];

		if (a->npages && ipa >= a->ipa && ipa < a->ipa + a->npages * TEESIM_PAGE_SIZE)
			return (void *) ((unsigned char *) a->host + (ipa - a->ipa));
	}
	ck_abort_msg("no host memory for pa %llx", (unsigned long long) pa);
	return NULL;
}

/* A page list in fresh kernel pages for @n data pages @pas; returns buf_ptr. */
static inline uint64_t nw_pagelist(struct nw *nw, const teesim_pa_t *pas, size_t n, uint32_t offset)
{
	size_t lists = (n + 510) / 511;
	teesim_pa_t lpa;
	uint64_t *l = nw_pages(nw, lists ? lists : 1, &lpa);

	for (size_t i = 0; i < n; i++)
		l[(i / 511) * 512 + i % 511] = pas[i];
	for (size_t k = 0; k + 1 < lists; k++)
		l[k * 512 + 511] = nw_pa(nw, l + (k + 1) * 512); /* next list page's PA */
	return lpa | offset;
}

static inline uint32_t nw_serve_cmd(struct nw *nw, struct teesim_optee_msg_arg *a)
{
	struct teesim_optee_msg_param *p = a->params;

	if (a->cmd < 32)
		nw->cmd_count[a->cmd]++;
	switch (a->cmd) {
	case TEESIM_OPTEE_RPC_CMD_GET_TIME:
		p[0].u.value.a = teesim_clock_now(nw->m) / 1000000000u;
		p[0].u.value.b = teesim_clock_now(nw->m) % 1000000000u;
		return TEESIM_OPTEE_SUCCESS;
	case TEESIM_OPTEE_RPC_CMD_SUSPEND:
		teesim_clock_advance(nw->m, p[0].u.value.a * 1000000u);
		return TEESIM_OPTEE_SUCCESS;
	case TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE:
		nw->last_wq_op = (uint32_t) p[0].u.value.a;
		nw->last_wq_key = (uint32_t) p[0].u.value.b;
		return TEESIM_OPTEE_SUCCESS;
	case TEESIM_OPTEE_RPC_CMD_SHM_ALLOC: {
		uint64_t size = p[0].u.value.b;
		size_t n = (size_t) ((size + TEESIM_PAGE_SIZE - 1) / TEESIM_PAGE_SIZE);
		teesim_pa_t pa;

		if (!n)
			n = 1;
		nw_pages(nw, n, &pa);
		if (nw->shm_alloc_contig) {
			p[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT;
			p[0].u.tmem.buf_ptr = pa;
		} else {
			teesim_pa_t pas[64];

			for (size_t i = 0; i < n && i < 64; i++)
				pas[i] = pa + i * TEESIM_PAGE_SIZE;
			p[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT |
				    TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
			p[0].u.tmem.buf_ptr = nw_pagelist(nw, pas, n, 0);
		}
		p[0].u.tmem.size = size;
		p[0].u.tmem.shm_ref = 0xc0c00000u + pa; /* cookie: recognisable */
		return TEESIM_OPTEE_SUCCESS;
	}
	case TEESIM_OPTEE_RPC_CMD_SHM_FREE:
		nw->last_shm_free_cookie = p[0].u.value.b;
		nw_pages_free(nw, p[0].u.value.b - 0xc0c00000u);
		return TEESIM_OPTEE_SUCCESS;
	case TEESIM_OPTEE_RPC_CMD_LOAD_TA:
		if (!nw->ta_image)
			return TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND;
		if (p[1].u.tmem.size < nw->ta_image_size) {
			p[1].u.tmem.size = nw->ta_image_size;
			return TEESIM_OPTEE_ERROR_SHORT_BUFFER;
		}
		/* the buffer is an RMEM from SHM_ALLOC: its cookie names the pages */
		memcpy(nw_host_of(nw, p[1].u.rmem.shm_ref - 0xc0c00000u + p[1].u.rmem.offs),
		       nw->ta_image, nw->ta_image_size);
		p[1].u.rmem.size = nw->ta_image_size;
		return TEESIM_OPTEE_SUCCESS;
	case TEESIM_OPTEE_RPC_CMD_FS:
		p[2].u.value.a = 1000 + p[0].u.value.a;
		return TEESIM_OPTEE_SUCCESS;
	default:
		return TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
	}
}

/* Serve one RPC in @r (default handling unless the hook took it); leaves @r ready to resume. */
static inline void nw_serve(struct nw *nw, struct teesim_smc_regs *r)
{
	const uint32_t func = TEESIM_OPTEE_SMC_RETURN_GET_RPC_FUNC(r->a[0]);

	if (nw->hook && nw->hook(nw, r))
		return;
	switch (func) {
	case TEESIM_OPTEE_SMC_RPC_FUNC_ALLOC: {
		teesim_pa_t pa;

		nw->rpc_alloc++;
		nw_pages(nw, 1, &pa);
		r->a[1] = (uint32_t) (pa >> 32);
		r->a[2] = (uint32_t) pa;
		r->a[4] = 0xabcd0000u;
		r->a[5] = (uint32_t) pa; /* cookie = 0xabcd0000'PA */
		break;
	}
	case TEESIM_OPTEE_SMC_RPC_FUNC_FREE: {
		uint64_t c = ((uint64_t) r->a[1] << 32) | r->a[2];

		nw->rpc_free++;
		nw->last_free_cookie = c;
		nw_pages_free(nw, (uint32_t) c);
		break;
	}
	case TEESIM_OPTEE_SMC_RPC_FUNC_FOREIGN_INTR:
		nw->rpc_fintr++;
		break;
	case TEESIM_OPTEE_SMC_RPC_FUNC_CMD: {
		uint64_t c = ((uint64_t) r->a[1] << 32) | r->a[2];
		struct teesim_optee_msg_arg *a = nw_host_of(nw, (uint32_t) c);

		ck_assert_uint_eq(c >> 32, 0xabcd0000u);
		nw->rpc_cmd++;
		a->ret = nw_serve_cmd(nw, a);
		a->ret_origin = TEESIM_OPTEE_ORIGIN_COMMS;
		break;
	}
	default:
		ck_abort_msg("unknown RPC %x", r->a[0]);
	}
}

/* Run a call at @pa to completion, serving RPCs; returns the final a0. */
static inline uint32_t nw_call_fid(struct nw *nw, uint32_t fid, teesim_pa_t pa)
{
	struct teesim_smc_regs r;
	uint32_t a0 = nw_raw_call(nw, fid, pa, &r);

	while (TEESIM_OPTEE_SMC_RETURN_IS_RPC(a0)) {
		nw_serve(nw, &r);
		a0 = nw_resume(nw, &r);
	}
	return a0;
}

static inline uint32_t nw_call(struct nw *nw, teesim_pa_t pa)
{
	return nw_call_fid(nw, TEESIM_OPTEE_SMC_CALL_WITH_ARG, pa);
}

/* Reset the message page and return it as a message with @n params. */
static inline struct teesim_optee_msg_arg *nw_msg(struct nw *nw, uint32_t cmd, uint32_t n)
{
	memset(nw->arg, 0, TEESIM_PAGE_SIZE);
	nw->arg->cmd = cmd;
	nw->arg->num_params = n;
	return nw->arg;
}

static inline void nw_uuid(const char *s, uint64_t *a, uint64_t *b)
{
	struct teesim_uuid u;

	ck_assert_int_eq(teesim_uuid_parse(s, &u), 0);
	memcpy(a, u.b, 8);
	memcpy(b, u.b + 8, 8);
}

/* Build OPEN_SESSION for @uuid with @n extra TA params (left NONE). */
static inline struct teesim_optee_msg_arg *nw_open_msg(struct nw *nw, const char *uuid, uint32_t n)
{
	struct teesim_optee_msg_arg *a = nw_msg(nw, TEESIM_OPTEE_MSG_CMD_OPEN_SESSION, 2 + n);
	const uint64_t meta = TEESIM_OPTEE_MSG_ATTR_META | TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;

	a->params[0].attr = meta;
	nw_uuid(uuid, &a->params[0].u.value.a, &a->params[0].u.value.b);
	a->params[1].attr = meta;
	a->params[1].u.value.c = TEESIM_OPTEE_MSG_LOGIN_PUBLIC;
	return a;
}

/* Open a session; asserts success and returns its id. */
static inline uint32_t nw_open(struct nw *nw, const char *uuid)
{
	struct teesim_optee_msg_arg *a = nw_open_msg(nw, uuid, 0);

	ck_assert_uint_eq(nw_call(nw, nw->arg_pa), TEESIM_OPTEE_SMC_RETURN_OK);
	ck_assert_msg(a->ret == 0, "open_session ret %x origin %u", a->ret, a->ret_origin);
	ck_assert_uint_ne(a->session, 0);
	return a->session;
}

static inline struct teesim_optee_msg_arg *nw_invoke_msg(struct nw *nw, uint32_t sid, uint32_t func,
							 uint32_t n)
{
	struct teesim_optee_msg_arg *a = nw_msg(nw, TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND, n);

	a->session = sid;
	a->func = func;
	return a;
}

static inline uint32_t nw_close(struct nw *nw, uint32_t sid)
{
	struct teesim_optee_msg_arg *a = nw_msg(nw, TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION, 0);

	a->session = sid;
	ck_assert_uint_eq(nw_call(nw, nw->arg_pa), TEESIM_OPTEE_SMC_RETURN_OK);
	return a->ret;
}

static inline struct teesim_sw_stats nw_stats(struct nw *nw)
{
	struct teesim_sw_stats st;

	teesim_sw_stats(nw->sw, &st);
	return st;
}

#endif /* TEESIM_TESTS_SW_NW_H */
