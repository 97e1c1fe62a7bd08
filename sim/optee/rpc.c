/* SPDX-License-Identifier: MIT */
/*
 * RPCs from a secure thread to the normal world: the RPC argument buffer
 * (RPC_ALLOC / RPC_FREE, the shm cache, or the buffer that follows the
 * call's own argument), RPC_CMD with an optee_msg_arg, and the SHM_ALLOC /
 * SHM_FREE buffers. Cookies from the normal world are echoed back exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "sw_internal.h"

static uint64_t pair(uint32_t hi, uint32_t lo)
{
	return ((uint64_t) hi << 32) | lo;
}

static void rpc_free_arg(struct tsim_sw_thread *t)
{
	const uint64_t c = t->rpc_arg_cookie;

	t->rpc_arg_valid = false;
	tsim_sw_rpc(t, TEESIM_OPTEE_SMC_RETURN_RPC_FREE, (uint32_t) (c >> 32), (uint32_t) c);
}

/* Make sure the thread has an RPC argument buffer (thread_rpc_alloc_arg). */
static bool get_rpc_arg(struct tsim_sw_thread *t)
{
	struct teesim_sw *sw = t->sw;
	const uint64_t size = TEESIM_OPTEE_RPC_ARG_SIZE;
	teesim_pa_t pa;
	bool ok;

	if (t->rpc_arg_valid)
		return true;
	tsim_sw_rpc(t, TEESIM_OPTEE_SMC_RETURN_RPC_ALLOC, (uint32_t) size, 0);
	if (t->abort)
		return false;
	pa = pair(t->back_a1, t->back_a2);
	t->rpc_arg_cookie = pair(t->back_a4, t->back_a5);
	if (!pa)
		return false;
	/* inside the static pool, or (dynamic shm) one page of its own */
	ok = !(pa & 7) && (tsim_sw_in_pool(sw, pa, size) ||
			   ((sw->cfg.sec_caps & TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM) &&
			    !(pa & SW_PAGE_MASK) && tsim_sw_is_ns(sw, pa, SW_PAGE)));
	if (!ok) {
		rpc_free_arg(t);
		return false;
	}
	memset(&t->rpc_arg, 0, sizeof(t->rpc_arg));
	t->rpc_arg.base = pa;
	t->rpc_arg.size = size;
	t->rpc_arg_valid = true;
	t->rpc_arg_from_call = false;
	return true;
}

uint32_t tsim_sw_rpc_cmd(struct tsim_sw_thread *t, uint32_t cmd, struct teesim_optee_msg_param *p,
			 unsigned n)
{
	struct {
		struct tsim_sw_msg_hdr hdr;
		struct teesim_optee_msg_param p[TEESIM_OPTEE_RPC_MAX_NUM_PARAMS];
	} a;
	const size_t len = TEESIM_OPTEE_MSG_GET_ARG_SIZE(n);
	uint64_t c;

	if (n > TEESIM_OPTEE_RPC_MAX_NUM_PARAMS)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (!get_rpc_arg(t))
		return t->abort ? TEESIM_OPTEE_ERROR_COMMUNICATION
				: TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
	memset(&a, 0, sizeof(a));
	a.hdr.cmd = cmd;
	a.hdr.ret = TEESIM_OPTEE_ERROR_GENERIC; /* an unanswered RPC reads as failure */
	a.hdr.num_params = n;
	memcpy(a.p, p, n * sizeof(*p));
	if (tsim_sw_mem_io(t, &t->rpc_arg, TEESIM_SW_FIELD_COUNT, 0, &a, len, true))
		return TEESIM_OPTEE_ERROR_COMMUNICATION;
	c = t->rpc_arg_cookie;
	tsim_sw_rpc(t, TEESIM_OPTEE_SMC_RETURN_RPC_CMD, (uint32_t) (c >> 32), (uint32_t) c);
	if (t->abort)
		return TEESIM_OPTEE_ERROR_COMMUNICATION;
	/* one fetch of the answer; the count stays the one we sent */
	if (tsim_sw_mem_io(t, &t->rpc_arg, TEESIM_SW_FIELD_RPC_ARG, 0, &a, len, false))
		return TEESIM_OPTEE_ERROR_COMMUNICATION;
	memcpy(p, a.p, n * sizeof(*p));
	return a.hdr.ret;
}

static void wait_queue(struct tsim_sw_thread *t, uint64_t op, uint32_t key)
{
	struct teesim_optee_msg_param p = {.attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT};

	p.u.value.a = op;
	p.u.value.b = key;
	tsim_sw_rpc_cmd(t, TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE, &p, 1);
}

bool tsim_sw_wq_sleep(struct tsim_sw_thread *t, uint32_t key)
{
	const uint64_t before = t->nrpc;

	/* any answer is a wakeup, maybe a spurious one: the caller looks again */
	wait_queue(t, TEESIM_OPTEE_RPC_WAIT_QUEUE_SLEEP, key);
	return !t->abort && t->nrpc != before;
}

void tsim_sw_wq_wakeup(struct tsim_sw_thread *t, uint32_t key)
{
	wait_queue(t, TEESIM_OPTEE_RPC_WAIT_QUEUE_WAKEUP, key);
}

void tsim_sw_shm_param(struct teesim_optee_msg_param *p, const struct teesim_ta_shm *shm,
		       unsigned dir, uint64_t offset, uint64_t size)
{
	memset(p, 0, sizeof(*p));
	if (!shm) {
		p->attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT + dir;
		p->u.tmem.size = size;
	} else if (shm->mobj.pages) {
		p->attr = TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT + dir;
		p->u.rmem.offs = offset;
		p->u.rmem.size = size;
		p->u.rmem.shm_ref = shm->mobj.cookie;
	} else {
		p->attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT + dir;
		p->u.tmem.buf_ptr = shm->mobj.base + offset;
		p->u.tmem.size = size;
		p->u.tmem.shm_ref = shm->mobj.cookie;
	}
}

static uint32_t send_shm_free(struct tsim_sw_thread *t, uint32_t type, uint64_t cookie)
{
	struct teesim_optee_msg_param p = {.attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT};

	p.u.value.a = type;
	p.u.value.b = cookie;
	return tsim_sw_rpc_cmd(t, TEESIM_OPTEE_RPC_CMD_SHM_FREE, &p, 1);
}

struct teesim_ta_shm *tsim_sw_shm_alloc(struct tsim_sw_thread *t, uint32_t type, uint64_t size,
					uint32_t *ret)
{
	struct teesim_sw *sw = t->sw;
	const uint64_t noncontig =
	    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
	struct teesim_optee_msg_param p = {.attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT};
	struct teesim_ta_shm *shm;
	uint64_t buf, got, cookie, cap = 0, n = 0;
	teesim_pa_t *pages = NULL;
	uint32_t res;

	p.u.value.a = type;
	p.u.value.b = size;
	p.u.value.c = 8;
	res = tsim_sw_rpc_cmd(t, TEESIM_OPTEE_RPC_CMD_SHM_ALLOC, &p, 1);
	if (res) {
		*ret = res;
		return NULL;
	}
	/* validate the reply once, from the local copy */
	buf = p.u.tmem.buf_ptr;
	got = p.u.tmem.size;
	cookie = p.u.tmem.shm_ref;
	res = TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
	if (got < size && sw->cfg.gen == TEESIM_OPTEE_GEN_HEAD)
		goto refuse;
	if (p.attr == noncontig) {
		if (tsim_sw_pagelist(t, buf, got, &pages, &cap, &n))
			goto refuse;
	} else if (p.attr != TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT ||
		   !(tsim_sw_in_pool(sw, buf, got ? got : 1) ||
		     (sw->cfg.gen == TEESIM_OPTEE_GEN_HEAD && !(buf & SW_PAGE_MASK) &&
		      got <= SW_PAGE && tsim_sw_is_ns(sw, buf, SW_PAGE)))) {
		goto refuse;
	}
	shm = tsim_calloc(sw->m, 1, sizeof(*shm));
	if (!shm)
		goto refuse;
	shm->mobj.cookie = cookie;
	shm->mobj.size = got;
	shm->mobj.shm_type = type;
	shm->mobj.refs = 1;
	if (pages) {
		shm->mobj.pages = pages;
		shm->mobj.npages = n;
		shm->mobj.page_offset = (uint32_t) (buf & SW_PAGE_MASK);
	} else {
		shm->mobj.base = buf;
		shm->mobj.npages = 1;
	}
	shm->next = t->rpc_shms;
	t->rpc_shms = shm;
	pthread_mutex_lock(&sw->lock);
	sw->nrpc_shms++;
	pthread_mutex_unlock(&sw->lock);
	*ret = TEESIM_OPTEE_SUCCESS;
	return shm;

refuse:
	tsim_free(sw->m, pages);
	send_shm_free(t, type, cookie);
	*ret = res;
	return NULL;
}

uint32_t tsim_sw_shm_free(struct tsim_sw_thread *t, struct teesim_ta_shm *shm)
{
	struct teesim_ta_shm **pp;
	uint32_t res;

	for (pp = &t->rpc_shms; *pp && *pp != shm; pp = &(*pp)->next)
		;
	if (!*pp)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	*pp = shm->next;
	res = send_shm_free(t, shm->mobj.shm_type, shm->mobj.cookie);
	pthread_mutex_lock(&t->sw->lock);
	t->sw->nrpc_shms--;
	pthread_mutex_unlock(&t->sw->lock);
	tsim_free(t->sw->m, shm->mobj.pages);
	tsim_free(t->sw->m, shm);
	return res;
}

void tsim_sw_call_end_rpc(struct tsim_sw_thread *t)
{
	while (t->rpc_shms)
		tsim_sw_shm_free(t, t->rpc_shms);
	if (!t->rpc_arg_valid)
		return;
	if (t->rpc_arg_from_call) {
		t->rpc_arg_valid = t->saved_valid;
		t->rpc_arg = t->saved_arg;
		t->rpc_arg_cookie = t->saved_cookie;
		t->rpc_arg_from_call = false;
		t->saved_valid = false;
	} else if (!t->sw->shm_cache) {
		rpc_free_arg(t);
	}
}
