/* SPDX-License-Identifier: MIT */
/*
 * RPCs from the secure world (optee_handle_rpc and handle_rpc_func_cmd of
 * drivers/tee/optee/rpc.c, smc_abi.c): argument buffers, foreign
 * interrupts, and the commands served in the kernel (GET_TIME, WAIT_QUEUE,
 * SUSPEND, SHM_ALLOC / SHM_FREE); the rest goes to the supplicant.
 *
 * A cookie from the secure world is looked up in the table of buffers the
 * driver handed out (the kernel casts it back to a pointer): an unknown
 * cookie is an error answer, never a crash.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/clock.h>

#include "optee/optee_private.h"

#define MSG_HDR sizeof(struct teesim_optee_msg_arg)

/* ---- the table of buffers the secure world has a cookie for ---- */

int optee_rpc_shm_add(struct optee *optee, struct tee_shm *shm, enum optee_rpc_shm_kind kind)
{
	struct optee_rpc_shm *e = tsim_calloc(optee->m, 1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->shm = shm;
	e->kind = kind;
	e->cookie = tee_shm_get_cookie(shm);
	pthread_mutex_lock(&optee->lock);
	e->next = optee->rpc_shms;
	optee->rpc_shms = e;
	optee->nrpc_shms++;
	pthread_mutex_unlock(&optee->lock);
	return 0;
}

struct tee_shm *optee_rpc_shm_take(struct optee *optee, uint64_t cookie,
				   enum optee_rpc_shm_kind *kind)
{
	struct tee_shm *shm = NULL;

	pthread_mutex_lock(&optee->lock);
	for (struct optee_rpc_shm **pp = &optee->rpc_shms; *pp; pp = &(*pp)->next) {
		struct optee_rpc_shm *e = *pp;

		if (e->cookie == cookie && (!kind || e->kind == *kind)) {
			*pp = e->next;
			shm = e->shm;
			optee->nrpc_shms--;
			tsim_free(optee->m, e);
			break;
		}
	}
	pthread_mutex_unlock(&optee->lock);
	return shm;
}

struct tee_shm *optee_rpc_shm_find(struct optee *optee, uint64_t cookie)
{
	struct tee_shm *shm = NULL;

	pthread_mutex_lock(&optee->lock);
	for (struct optee_rpc_shm *e = optee->rpc_shms; e; e = e->next) {
		if (e->cookie == cookie) {
			shm = e->shm;
			break;
		}
	}
	pthread_mutex_unlock(&optee->lock);
	return shm;
}

void optee_rpc_shm_drop_all(struct optee *optee)
{
	struct optee_rpc_shm *e = optee->rpc_shms;

	while (e) {
		struct optee_rpc_shm *next = e->next;

		if (e->kind == OPTEE_RPC_SHM_APPL)
			tee_shm_put(e->shm);
		else
			tee_shm_free(e->shm);
		tsim_free(optee->m, e);
		e = next;
	}
	optee->rpc_shms = NULL;
	optee->nrpc_shms = 0;
}

/* optee_rpc_finalize_call */
void optee_rpc_finalize_call(struct optee_call_ctx *cc)
{
	optee_free_pages_list(&cc->pages_list);
}

/* ---- the wait queue (struct optee_wait_queue) ---- */

static struct optee_wq_entry *wq_entry_get(struct optee *optee, uint32_t key)
{
	struct optee_wq_entry *w;

	for (w = optee->wq; w; w = w->next)
		if (w->key == key)
			return w;
	w = tsim_calloc(optee->m, 1, sizeof(*w));
	if (!w)
		return NULL;
	w->key = key;
	pthread_cond_init(&w->cond, NULL);
	w->next = optee->wq;
	optee->wq = w;
	return w;
}

static void wq_entry_remove(struct optee *optee, struct optee_wq_entry *w)
{
	for (struct optee_wq_entry **pp = &optee->wq; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	pthread_cond_destroy(&w->cond);
	tsim_free(optee->m, w);
}

/* wq_sleep: wait until the key is woken (a wakeup that came first is remembered) */
static uint32_t wq_sleep(struct optee *optee, uint32_t key)
{
	struct optee_wq_entry *w;

	pthread_mutex_lock(&optee->wq_mutex);
	w = wq_entry_get(optee, key);
	if (!w) {
		pthread_mutex_unlock(&optee->wq_mutex);
		return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
	}
	while (!w->completed)
		pthread_cond_wait(&w->cond, &optee->wq_mutex);
	wq_entry_remove(optee, w);
	pthread_mutex_unlock(&optee->wq_mutex);
	return TEESIM_OPTEE_SUCCESS;
}

/* wq_wakeup */
static uint32_t wq_wakeup(struct optee *optee, uint32_t key)
{
	struct optee_wq_entry *w;

	pthread_mutex_lock(&optee->wq_mutex);
	w = wq_entry_get(optee, key);
	if (w) {
		w->completed = true;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&optee->wq_mutex);
	return w ? TEESIM_OPTEE_SUCCESS : TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
}

/* optee_wait_queue_exit */
void optee_wait_queue_exit(struct optee *optee)
{
	while (optee->wq)
		wq_entry_remove(optee, optee->wq);
}

/* ---- commands served in the kernel ---- */

static bool one_value(const struct optee_msg_local *a, uint64_t attr)
{
	return a->hdr.num_params == 1 &&
	       (a->params[0].attr & TEESIM_OPTEE_MSG_ATTR_TYPE_MASK) == attr;
}

/* handle_rpc_func_cmd_get_time */
static void cmd_get_time(struct optee *optee, struct optee_msg_local *a)
{
	uint64_t now;

	if (!one_value(a, TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT)) {
		a->hdr.ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		return;
	}
	now = teesim_clock_now(optee->m);
	a->params[0].u.value.a = now / 1000000000u;
	a->params[0].u.value.b = now % 1000000000u;
	a->hdr.ret = TEESIM_OPTEE_SUCCESS;
}

/* handle_rpc_func_cmd_wq */
static void cmd_wq(struct optee *optee, struct optee_msg_local *a)
{
	uint32_t key;

	if (!one_value(a, TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT)) {
		a->hdr.ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		return;
	}
	key = (uint32_t) a->params[0].u.value.b;
	switch (a->params[0].u.value.a) {
	case TEESIM_OPTEE_RPC_WAIT_QUEUE_SLEEP:
		a->hdr.ret = wq_sleep(optee, key);
		break;
	case TEESIM_OPTEE_RPC_WAIT_QUEUE_WAKEUP:
		a->hdr.ret = wq_wakeup(optee, key);
		break;
	default:
		a->hdr.ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		break;
	}
}

/* handle_rpc_func_cmd_wait (SUSPEND): msleep on the virtual clock */
static void cmd_suspend(struct optee *optee, struct optee_msg_local *a)
{
	if (!one_value(a, TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT)) {
		a->hdr.ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		return;
	}
	teesim_clock_advance(optee->m, (uint64_t) (uint32_t) a->params[0].u.value.a * 1000000u);
	a->hdr.ret = TEESIM_OPTEE_SUCCESS;
}

/* optee_rpc_cmd_alloc_suppl: the supplicant allocates (and registers) an APPL buffer */
static struct tee_shm *alloc_suppl(struct optee *optee, size_t size)
{
	struct tee_param p = {.attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT};
	struct tee_shm *shm = NULL;

	p.u.value.a = TEESIM_OPTEE_RPC_SHM_TYPE_APPL;
	p.u.value.b = size;
	if (optee_supp_thrd_req(optee, TEESIM_OPTEE_RPC_CMD_SHM_ALLOC, 1, &p))
		return NULL;
	pthread_mutex_lock(&optee->supp.mutex);
	if (optee->supp.ctx)
		shm = tee_shm_get_from_id(optee->supp.ctx, (int) p.u.value.c);
	pthread_mutex_unlock(&optee->supp.mutex);
	return !shm || IS_ERR(shm) ? NULL : shm;
}

static void free_suppl(struct optee *optee, struct tee_shm *shm)
{
	struct tee_param p = {.attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT};

	p.u.value.a = TEESIM_OPTEE_RPC_SHM_TYPE_APPL;
	p.u.value.b = (uint64_t) tee_shm_get_id(shm);
	tee_shm_put(shm); /* first, so the supplicant's free drops the last reference */
	optee_supp_thrd_req(optee, TEESIM_OPTEE_RPC_CMD_SHM_FREE, 1, &p);
}

/* handle_rpc_func_cmd_shm_alloc */
static void cmd_shm_alloc(struct optee *optee, struct optee_call_ctx *cc, struct optee_msg_local *a)
{
	struct teesim_optee_msg_param *p = &a->params[0];
	enum optee_rpc_shm_kind kind;
	struct tee_shm *shm;
	uint64_t pa, buf_ptr;
	bool dynamic;

	if (!a->hdr.num_params || p->attr != TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT) {
		a->hdr.ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		return;
	}
	for (uint32_t i = 1; i < a->hdr.num_params; i++) {
		if (a->params[i].attr != TEESIM_OPTEE_MSG_ATTR_TYPE_NONE) {
			a->hdr.ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
			return;
		}
	}
	optee_free_pages_list(&cc->pages_list);
	switch (p->u.value.a) {
	case TEESIM_OPTEE_RPC_SHM_TYPE_APPL:
		kind = OPTEE_RPC_SHM_APPL;
		shm = alloc_suppl(optee, tee_size_sat(p->u.value.b));
		break;
	case TEESIM_OPTEE_RPC_SHM_TYPE_KERNEL:
		kind = OPTEE_RPC_SHM_KERNEL;
		shm = tee_shm_priv_alloc(optee->teedev, tee_size_sat(p->u.value.b));
		if (IS_ERR(shm))
			shm = NULL;
		break;
	default:
		a->hdr.ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		return;
	}
	if (!shm) {
		a->hdr.ret = TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
		return;
	}
	if (tee_shm_get_pa(shm, 0, &pa) || optee_rpc_shm_add(optee, shm, kind))
		goto bad;
	dynamic = tee_shm_is_registered(shm) ||
		  (optee->cfg.gen == TEESIM_OPTEE_DRV_LATER && optee_shm_is_pages(optee, shm));
	memset(p, 0, sizeof(*p));
	if (dynamic) {
		if (optee_shm_pages_list(optee, shm, 0, tee_shm_get_size(shm), &cc->pages_list,
					 &buf_ptr)) {
			optee_rpc_shm_take(optee, tee_shm_get_cookie(shm), NULL);
			goto bad;
		}
		p->attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
		p->u.tmem.buf_ptr = buf_ptr;
	} else {
		p->attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT;
		p->u.tmem.buf_ptr = pa;
	}
	p->u.tmem.size = tee_shm_get_size(shm);
	p->u.tmem.shm_ref = tee_shm_get_cookie(shm);
	a->hdr.ret = TEESIM_OPTEE_SUCCESS;
	return;
bad:
	if (kind == OPTEE_RPC_SHM_APPL)
		free_suppl(optee, shm);
	else
		tee_shm_free(shm);
	a->hdr.ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
}

/* handle_rpc_func_cmd_shm_free */
static void cmd_shm_free(struct optee *optee, struct optee_msg_local *a)
{
	enum optee_rpc_shm_kind kind;
	struct tee_shm *shm;

	if (!one_value(a, TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT) ||
	    a->params[0].attr != TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT) {
		a->hdr.ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		return;
	}
	switch (a->params[0].u.value.a) {
	case TEESIM_OPTEE_RPC_SHM_TYPE_APPL:
		kind = OPTEE_RPC_SHM_APPL;
		break;
	case TEESIM_OPTEE_RPC_SHM_TYPE_KERNEL:
		kind = OPTEE_RPC_SHM_KERNEL;
		break;
	default:
		/* BAD_PARAMETERS, then overwritten with SUCCESS: the kernel's quirk */
		a->hdr.ret = TEESIM_OPTEE_SUCCESS;
		return;
	}
	shm = optee_rpc_shm_take(optee, a->params[0].u.value.b, &kind);
	if (!shm) {
		atomic_fetch_add(&optee->bad_cookies, 1);
		a->hdr.ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		return;
	}
	if (kind == OPTEE_RPC_SHM_APPL)
		free_suppl(optee, shm);
	else
		tee_shm_free(shm);
	a->hdr.ret = TEESIM_OPTEE_SUCCESS;
}

/* handle_rpc_supp_cmd: from_msg_param, the request, to_msg_param */
static void cmd_supp(struct optee *optee, struct optee_msg_local *a)
{
	struct tee_param params[TEESIM_OPTEE_MSG_MAX_NUM_PARAMS];
	uint32_t n = a->hdr.num_params;

	for (uint32_t i = 0; i < n; i++) {
		const struct teesim_optee_msg_param *m = &a->params[i];
		struct tee_param *p = &params[i];
		uint64_t t = m->attr & TEESIM_OPTEE_MSG_ATTR_TYPE_MASK;
		struct tee_shm *shm;
		uint64_t offs;

		memset(p, 0, sizeof(*p));
		if (t == TEESIM_OPTEE_MSG_ATTR_TYPE_NONE) {
			continue;
		} else if (t >= TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT &&
			   t <= TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT) {
			p->attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT + t -
				  TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
			p->u.value.a = m->u.value.a;
			p->u.value.b = m->u.value.b;
			p->u.value.c = m->u.value.c;
			continue;
		} else if (t >= TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT &&
			   t <= TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT) {
			p->attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT + t -
				  TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT;
			shm =
			    m->u.tmem.shm_ref ? optee_rpc_shm_find(optee, m->u.tmem.shm_ref) : NULL;
			offs = shm ? m->u.tmem.buf_ptr - shm->paddr : 0;
		} else if (t >= TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT &&
			   t <= TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INOUT) {
			p->attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT + t -
				  TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT;
			shm =
			    m->u.rmem.shm_ref ? optee_rpc_shm_find(optee, m->u.rmem.shm_ref) : NULL;
			offs = shm ? m->u.rmem.offs : 0;
		} else {
			a->hdr.ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
			return;
		}
		/* a cookie naming nothing, or a range outside the buffer */
		if ((m->u.tmem.shm_ref && !shm) ||
		    (shm && (offs > shm->size || m->u.tmem.size > shm->size - offs))) {
			atomic_fetch_add(&optee->bad_cookies, !shm);
			a->hdr.ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
			return;
		}
		p->u.memref.shm = shm;
		p->u.memref.shm_offs = offs;
		p->u.memref.size = m->u.tmem.size;
	}
	a->hdr.ret = optee_supp_thrd_req(optee, a->hdr.cmd, n, params);
	for (uint32_t i = 0; i < n; i++) {
		struct teesim_optee_msg_param *m = &a->params[i];
		uint64_t t = m->attr & TEESIM_OPTEE_MSG_ATTR_TYPE_MASK;

		if (t == TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT ||
		    t == TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT) {
			m->u.value.a = params[i].u.value.a;
			m->u.value.b = params[i].u.value.b;
			m->u.value.c = params[i].u.value.c;
		} else if (t >= TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT &&
			   t <= TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT && (t & 3) >= 2) {
			m->u.tmem.size = params[i].u.memref.size;
		}
	}
	a->hdr.ret_origin = TEESIM_OPTEE_ORIGIN_COMMS;
}

/* handle_rpc_func_cmd */
static void handle_rpc_func_cmd(struct optee *optee, struct optee_call_ctx *cc,
				struct teesim_optee_msg_arg *shared, size_t room)
{
	struct optee_msg_local a;
	size_t len;

	atomic_fetch_add(&optee->rpc_cmds, 1);
	memcpy(&a.hdr, shared, MSG_HDR); /* one fetch of the header */
	if (a.hdr.num_params > TEESIM_OPTEE_MSG_MAX_NUM_PARAMS ||
	    TEESIM_OPTEE_MSG_GET_ARG_SIZE(a.hdr.num_params) > room) {
		shared->ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		return;
	}
	len = a.hdr.num_params * sizeof(a.params[0]);
	memcpy(a.params, shared->params, len);
	a.hdr.ret_origin = 0;
	switch (a.hdr.cmd) {
	case TEESIM_OPTEE_RPC_CMD_GET_TIME:
		cmd_get_time(optee, &a);
		break;
	case TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE:
		cmd_wq(optee, &a);
		break;
	case TEESIM_OPTEE_RPC_CMD_SUSPEND:
		cmd_suspend(optee, &a);
		break;
	case TEESIM_OPTEE_RPC_CMD_SHM_ALLOC:
		cmd_shm_alloc(optee, cc, &a);
		break;
	case TEESIM_OPTEE_RPC_CMD_SHM_FREE:
		cmd_shm_free(optee, &a);
		break;
	default:
		cmd_supp(optee, &a);
		break;
	}
	shared->ret = a.hdr.ret;
	shared->ret_origin = a.hdr.ret_origin;
	memcpy(shared->params, a.params, len);
}

/* optee_handle_rpc */
void optee_handle_rpc(struct optee *optee, struct optee_call_ctx *cc, struct teesim_smc_regs *regs,
		      struct optee_msg_buf *mb)
{
	struct tee_shm *shm;
	void *arg;
	size_t off;

	atomic_fetch_add(&optee->rpcs, 1);
	switch (TEESIM_OPTEE_SMC_RETURN_GET_RPC_FUNC(regs->a[0])) {
	case TEESIM_OPTEE_SMC_RPC_FUNC_ALLOC:
		shm = tee_shm_priv_alloc(optee->teedev, regs->a[1]);
		if (!IS_ERR(shm) && !optee_rpc_shm_add(optee, shm, OPTEE_RPC_SHM_ARG)) {
			reg_pair_from_u64(shm->paddr, &regs->a[1], &regs->a[2]);
			reg_pair_from_u64(tee_shm_get_cookie(shm), &regs->a[4], &regs->a[5]);
		} else {
			if (!IS_ERR(shm))
				tee_shm_free(shm);
			regs->a[1] = regs->a[2] = regs->a[4] = regs->a[5] = 0;
		}
		break;
	case TEESIM_OPTEE_SMC_RPC_FUNC_FREE:
		shm = optee_rpc_shm_take(optee, reg_pair_to_u64(regs->a[1], regs->a[2]), NULL);
		if (shm)
			tee_shm_free(shm);
		else
			atomic_fetch_add(&optee->bad_cookies, 1);
		break;
	case TEESIM_OPTEE_SMC_RPC_FUNC_FOREIGN_INTR:
		atomic_fetch_add(&optee->foreign_intrs, 1); /* the interrupt was taken */
		break;
	case TEESIM_OPTEE_SMC_RPC_FUNC_CMD:
		if (optee->rpc_param_count) {
			/* the RPC argument right after the call's */
			off = TEESIM_OPTEE_MSG_GET_ARG_SIZE(mb->num_params);
			handle_rpc_func_cmd(
			    optee, cc, (struct teesim_optee_msg_arg *) ((char *) mb->arg + off),
			    mb->size - off);
			break;
		}
		shm = optee_rpc_shm_find(optee, reg_pair_to_u64(regs->a[1], regs->a[2]));
		if (!shm) {
			atomic_fetch_add(&optee->bad_cookies, 1);
			break;
		}
		/* tee_shm_get_va: a buffer with no kernel mapping (registered user memory) is
		 * refused, not read at a NULL address */
		arg = tee_shm_get_va(shm, 0);
		if (!IS_ERR(arg))
			handle_rpc_func_cmd(optee, cc, arg, shm->size);
		break;
	default:
		break; /* "Unknown RPC func": resumed as is */
	}
	regs->a[0] = TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC;
}
