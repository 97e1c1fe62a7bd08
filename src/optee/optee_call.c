/* SPDX-License-Identifier: MIT */
/*
 * Calls into the secure world (drivers/tee/optee/call.c, smc_abi.c): the
 * call queue, message arguments and their cache, the call loop, sessions,
 * parameter conversion, registration of shared memory.
 *
 * Every message is built in a local copy and written to shared memory in
 * one go; the answer is read back once (no double fetch of shared memory).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "optee/optee_private.h"

#define MSG_HDR sizeof(struct teesim_optee_msg_arg)

/* ---- the call queue ---- */

/* model: optee_call_queue init */
void optee_cq_init(struct optee_call_queue *cq)
{
	memset(cq, 0, sizeof(*cq));
	pthread_mutex_init(&cq->mutex, NULL);
}

/* model: optee_call_queue teardown */
void optee_cq_destroy(struct optee_call_queue *cq)
{
	pthread_mutex_destroy(&cq->mutex);
}

/* optee_cq_wait_init: register early so a completion cannot be lost */
static void cq_wait_init(struct optee_call_queue *cq, struct optee_call_waiter *w)
{
	struct optee_call_waiter **pp;

	pthread_cond_init(&w->cond, NULL);
	w->completed = false;
	w->next = NULL;
	pthread_mutex_lock(&cq->mutex);
	for (pp = &cq->head; *pp; pp = &(*pp)->next)
		;
	*pp = w;
	cq->active++;
	pthread_mutex_unlock(&cq->mutex);
}

static void cq_unlink(struct optee_call_queue *cq, struct optee_call_waiter *w)
{
	for (struct optee_call_waiter **pp = &cq->head; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			w->next = NULL;
			return;
		}
	}
}

static void cq_complete_one(struct optee_call_queue *cq)
{
	for (struct optee_call_waiter *w = cq->head; w; w = w->next) {
		if (!w->completed) {
			w->completed = true;
			pthread_cond_signal(&w->cond);
			return;
		}
	}
}

/*
 * optee_cq_wait_for_completion: sleep until another call finishes, then go
 * to the tail and re-arm. Returns false (no wait) when no other call is in
 * flight: nobody could ever wake us (threads held by a previous kernel).
 */
static bool cq_wait_for_completion(struct optee_call_queue *cq, struct optee_call_waiter *w)
{
	struct optee_call_waiter **pp;

	pthread_mutex_lock(&cq->mutex);
	if (cq->active <= 1 && !w->completed) {
		pthread_mutex_unlock(&cq->mutex);
		return false;
	}
	cq->waiting++;
	if (cq->waiting > cq->max_waiting)
		cq->max_waiting = cq->waiting;
	while (!w->completed)
		pthread_cond_wait(&w->cond, &cq->mutex);
	cq->waiting--;
	cq_unlink(cq, w);
	for (pp = &cq->head; *pp; pp = &(*pp)->next)
		;
	*pp = w;
	w->completed = false;
	pthread_mutex_unlock(&cq->mutex);
	return true;
}

/* optee_cq_wait_final: leave and wake the next waiter (one more if we were woken) */
static void cq_wait_final(struct optee_call_queue *cq, struct optee_call_waiter *w)
{
	pthread_mutex_lock(&cq->mutex);
	cq_unlink(cq, w);
	cq->active--;
	cq_complete_one(cq);
	if (w->completed)
		cq_complete_one(cq);
	pthread_mutex_unlock(&cq->mutex);
	pthread_cond_destroy(&w->cond);
}

/* ---- message arguments ---- */

static size_t arg_slot_size(const struct optee *optee)
{
	return TEESIM_OPTEE_MSG_GET_ARG_SIZE(OPTEE_MAX_ARG_PARAM_COUNT) +
	       (optee->rpc_param_count ? TEESIM_OPTEE_MSG_GET_ARG_SIZE(optee->rpc_param_count) : 0);
}

/* optee_get_msg_arg (v4.16: a fresh buffer; later: from the argument cache) */
int optee_get_msg_arg(struct optee *optee, struct tee_context *ctx, uint32_t num_params,
		      struct optee_msg_buf *mb)
{
	struct optee_arg_entry *e = NULL;
	struct tee_shm *shm;
	size_t size = TEESIM_OPTEE_MSG_GET_ARG_SIZE(num_params);

	memset(mb, 0, sizeof(*mb));
	if (optee->cfg.gen == TEESIM_OPTEE_DRV_LATER) {
		if (num_params > OPTEE_MAX_ARG_PARAM_COUNT)
			return -EINVAL;
		pthread_mutex_lock(&optee->lock);
		for (e = optee->arg_cache; e && e->in_use; e = e->next)
			;
		if (e) {
			e->in_use = true;
			optee->arg_in_use++;
			optee->arg_hits++;
		}
		pthread_mutex_unlock(&optee->lock);
		if (!e) {
			e = tsim_calloc(optee->m, 1, sizeof(*e));
			if (!e)
				return -ENOMEM;
			shm = tee_shm_priv_alloc(optee->teedev, arg_slot_size(optee));
			if (IS_ERR(shm)) {
				tsim_free(optee->m, e);
				return (int) PTR_ERR(shm);
			}
			e->shm = shm;
			e->in_use = true;
			pthread_mutex_lock(&optee->lock);
			e->next = optee->arg_cache;
			optee->arg_cache = e;
			optee->arg_entries++;
			optee->arg_in_use++;
			pthread_mutex_unlock(&optee->lock);
		}
		shm = e->shm;
		size = arg_slot_size(optee);
	} else {
		shm = ctx ? tee_shm_alloc(ctx, size, TEE_SHM_MAPPED)
			  : tee_shm_priv_alloc(optee->teedev, size);
		if (IS_ERR(shm))
			return (int) PTR_ERR(shm);
	}
	mb->shm = shm;
	mb->entry = e;
	mb->arg = shm->kaddr;
	mb->pa = shm->paddr;
	mb->size = size;
	memset(mb->arg, 0, size);
	mb->arg->num_params = num_params;
	mb->num_params = num_params;
	return 0;
}

/* optee_free_msg_arg */
void optee_free_msg_arg(struct optee *optee, struct optee_msg_buf *mb)
{
	if (mb->entry) {
		pthread_mutex_lock(&optee->lock);
		mb->entry->in_use = false;
		optee->arg_in_use--;
		pthread_mutex_unlock(&optee->lock);
	} else if (mb->shm) {
		tee_shm_free(mb->shm);
	}
	memset(mb, 0, sizeof(*mb));
}

/* optee_shm_arg_cache_uninit */
void optee_arg_cache_uninit(struct optee *optee)
{
	struct optee_arg_entry *e = optee->arg_cache;

	while (e) {
		struct optee_arg_entry *next = e->next;

		tee_shm_free(e->shm);
		tsim_free(optee->m, e);
		e = next;
	}
	optee->arg_cache = NULL;
	optee->arg_entries = optee->arg_in_use = 0;
}

/* ---- the call loop ---- */

/* optee_do_call_with_arg / optee_smc_do_call_with_arg */
uint32_t optee_do_call_with_arg(struct optee *optee, struct tee_context *ctx,
				struct optee_msg_buf *mb)
{
	struct optee_call_ctx cc = {.ctx = ctx};
	struct optee_call_waiter w;
	struct teesim_smc_regs regs = {{0}}, in;
	uint32_t ret;

	regs.a[0] = optee->rpc_param_count ? TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG
					   : TEESIM_OPTEE_SMC_CALL_WITH_ARG;
	reg_pair_from_u64(mb->pa, &regs.a[1], &regs.a[2]);
	cq_wait_init(&optee->cq, &w);
	for (;;) {
		in = regs;
		optee_smccc(optee, &regs);
		if (regs.a[0] == TEESIM_OPTEE_SMC_RETURN_ETHREAD_LIMIT) {
			atomic_fetch_add(&optee->ethread_waits, 1);
			if (!cq_wait_for_completion(&optee->cq, &w)) {
				ret = regs.a[0];
				break;
			}
			regs = in; /* the same call again */
		} else if (TEESIM_OPTEE_SMC_RETURN_IS_RPC(regs.a[0])) {
			optee_handle_rpc(optee, &cc, &regs, mb);
		} else {
			ret = regs.a[0];
			break;
		}
	}
	optee_rpc_finalize_call(&cc);
	cq_wait_final(&optee->cq, &w);
	atomic_fetch_add(&optee->calls, 1);
	return ret;
}

/* ---- parameter conversion ---- */

/* optee_to_msg_param */
static int to_msg_param(struct teesim_optee_msg_param *mp, size_t num,
			const struct tee_param *params)
{
	for (size_t n = 0; n < num; n++) {
		const struct tee_param *p = params + n;
		struct teesim_optee_msg_param *m = mp + n;
		uint64_t type = p->attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK;
		struct tee_shm *shm = p->u.memref.shm;
		uint64_t pa;

		memset(m, 0, sizeof(*m));
		switch (type) {
		case TEE_IOCTL_PARAM_ATTR_TYPE_NONE:
			break;
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT:
			m->attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT + type -
				  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT;
			m->u.value.a = p->u.value.a;
			m->u.value.b = p->u.value.b;
			m->u.value.c = p->u.value.c;
			break;
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
			type -= TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT;
			if (!shm) { /* NULL memref */
				m->attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT + type;
				m->u.tmem.size = p->u.memref.size;
			} else if (tee_shm_is_registered(shm)) {
				m->attr = TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT + type;
				m->u.rmem.offs = p->u.memref.shm_offs;
				m->u.rmem.size = p->u.memref.size;
				m->u.rmem.shm_ref = tee_shm_get_cookie(shm);
			} else {
				if (tee_shm_get_pa(shm, p->u.memref.shm_offs, &pa))
					return -EINVAL;
				m->attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT + type;
				m->attr |= (uint64_t) TEESIM_OPTEE_MSG_ATTR_CACHE_PREDEFINED
					   << TEESIM_OPTEE_MSG_ATTR_CACHE_SHIFT;
				m->u.tmem.buf_ptr = pa;
				m->u.tmem.size = p->u.memref.size;
				m->u.tmem.shm_ref = tee_shm_get_cookie(shm);
			}
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

/* optee_from_msg_param, for the caller's own parameters: outputs only */
static int from_msg_param(struct tee_param *params, size_t num,
			  const struct teesim_optee_msg_param *mp)
{
	for (size_t n = 0; n < num; n++) {
		struct tee_param *p = params + n;
		uint64_t mt = mp[n].attr & TEESIM_OPTEE_MSG_ATTR_TYPE_MASK;

		switch (mt) {
		case TEESIM_OPTEE_MSG_ATTR_TYPE_NONE:
			break;
		case TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT:
			/* a memref answered as a value: its shm pointer shares the
			 * union with value.c and must not be overwritten */
			if (tee_param_is_memref(p))
				return -EINVAL;
			p->u.value.a = mp[n].u.value.a;
			p->u.value.b = mp[n].u.value.b;
			p->u.value.c = mp[n].u.value.c;
			break;
		case TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT:
			p->u.memref.size = mp[n].u.tmem.size;
			break;
		case TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INOUT:
			p->u.memref.size = mp[n].u.rmem.size;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- sessions ---- */

/* struct optee_context_data: the sessions of one context */
struct optee_context_data {
	pthread_mutex_t mutex;
	uint32_t *sessions;
	size_t n, cap;
	struct teesim_machine *m; /* model: allocates the list */
};

/* model: allocate a context's session list on @m */
struct optee_context_data *optee_ctxdata_new(struct teesim_machine *m)
{
	struct optee_context_data *d = tsim_calloc(m, 1, sizeof(*d));

	if (d) {
		pthread_mutex_init(&d->mutex, NULL);
		d->m = m;
	}
	return d;
}

/* model: free a context's session list */
void optee_ctxdata_free(struct optee_context_data *d)
{
	if (!d)
		return;
	pthread_mutex_destroy(&d->mutex);
	tsim_free(d->m, d->sessions);
	tsim_free(d->m, d);
}

static int session_add(struct optee_context_data *d, uint32_t s)
{
	int rc = 0;

	pthread_mutex_lock(&d->mutex);
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		uint32_t *ns = tsim_reallocarray(d->m, d->sessions, cap, sizeof(*ns));

		if (!ns)
			rc = -ENOMEM;
		else {
			d->sessions = ns;
			d->cap = cap;
		}
	}
	if (!rc)
		d->sessions[d->n++] = s;
	pthread_mutex_unlock(&d->mutex);
	return rc;
}

static bool session_find(struct optee_context_data *d, uint32_t s, bool remove)
{
	bool found = false;

	pthread_mutex_lock(&d->mutex);
	for (size_t i = 0; i < d->n; i++) {
		if (d->sessions[i] == s) {
			found = true;
			if (remove)
				d->sessions[i] = d->sessions[--d->n];
			break;
		}
	}
	pthread_mutex_unlock(&d->mutex);
	return found;
}

static struct optee *optee_of(struct tee_context *ctx)
{
	return tee_get_drvdata(ctx->teedev);
}

/*
 * Send @msg (header + @msg->hdr.num_params params) and read the answer back
 * into @msg; a non-zero SMC result becomes COMMUNICATION / COMMS.
 */
static int send_msg(struct optee *optee, struct tee_context *ctx, struct optee_msg_local *msg)
{
	struct optee_msg_buf mb;
	uint32_t n = msg->hdr.num_params;
	size_t len = TEESIM_OPTEE_MSG_GET_ARG_SIZE(n);
	int rc = optee_get_msg_arg(optee, ctx, n, &mb);

	if (rc)
		return rc;
	memcpy(mb.arg, msg, len);
	if (optee_do_call_with_arg(optee, ctx, &mb) != TEESIM_OPTEE_SMC_RETURN_OK) {
		msg->hdr.ret = TEESIM_OPTEE_ERROR_COMMUNICATION;
		msg->hdr.ret_origin = TEESIM_OPTEE_ORIGIN_COMMS;
	} else {
		memcpy(msg, mb.arg, MSG_HDR); /* one fetch of the answer */
		memcpy(msg->params, mb.arg->params, n * sizeof(msg->params[0]));
		msg->hdr.num_params = n;
	}
	optee_free_msg_arg(optee, &mb);
	return 0;
}

static void close_session_msg(struct optee *optee, struct tee_context *ctx, uint32_t session)
{
	struct optee_msg_local msg;

	memset(&msg.hdr, 0, sizeof(msg.hdr));
	msg.hdr.cmd = TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION;
	msg.hdr.session = session;
	send_msg(optee, ctx, &msg); /* the result is ignored, as in the kernel */
}

int optee_open_session(struct tee_context *ctx, struct tee_ioctl_open_session_arg *arg,
		       struct tee_param *param)
{
	struct optee *optee = optee_of(ctx);
	struct optee_msg_local msg;
	uint32_t n = arg->num_params;
	int rc;

	if (n + 2 > TEESIM_OPTEE_MSG_MAX_NUM_PARAMS)
		return -EINVAL;
	memset(&msg, 0, MSG_HDR + (n + 2) * sizeof(msg.params[0]));
	msg.hdr.cmd = TEESIM_OPTEE_MSG_CMD_OPEN_SESSION;
	msg.hdr.cancel_id = arg->cancel_id;
	msg.hdr.num_params = n + 2;
	msg.params[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT | TEESIM_OPTEE_MSG_ATTR_META;
	memcpy(&msg.params[0].u.value, arg->uuid, TEE_IOCTL_UUID_LEN);
	msg.params[1].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT | TEESIM_OPTEE_MSG_ATTR_META;
	memcpy(&msg.params[1].u.value, arg->clnt_uuid, TEE_IOCTL_UUID_LEN);
	msg.params[1].u.value.c = arg->clnt_login;
	rc = to_msg_param(msg.params + 2, n, param);
	if (rc)
		goto out;
	rc = send_msg(optee, ctx, &msg);
	if (rc)
		goto out;
	if (msg.hdr.ret == TEESIM_OPTEE_SUCCESS) {
		rc = session_add(ctx->data, msg.hdr.session);
		if (rc) {
			close_session_msg(optee, ctx, msg.hdr.session);
			goto out;
		}
		tee_context_session_opened(ctx);
	}
	if (from_msg_param(param, n, msg.params + 2)) {
		msg.hdr.ret = TEESIM_OPTEE_ERROR_COMMUNICATION;
		msg.hdr.ret_origin = TEESIM_OPTEE_ORIGIN_COMMS;
		if (session_find(ctx->data, msg.hdr.session, true)) {
			tee_context_session_closed(ctx);
			close_session_msg(optee, ctx, msg.hdr.session);
		}
		msg.hdr.session = 0;
	}
	arg->session = msg.hdr.session;
	arg->ret = msg.hdr.ret;
	arg->ret_origin = msg.hdr.ret_origin;
out:
	return rc;
}

int optee_close_session(struct tee_context *ctx, uint32_t session)
{
	if (!session_find(ctx->data, session, true))
		return -EINVAL;
	tee_context_session_closed(ctx);
	close_session_msg(optee_of(ctx), ctx, session);
	return 0;
}

void optee_close_all_sessions(struct tee_context *ctx)
{
	struct optee_context_data *d = ctx->data;

	for (;;) {
		uint32_t s;

		pthread_mutex_lock(&d->mutex);
		if (!d->n) {
			pthread_mutex_unlock(&d->mutex);
			return;
		}
		s = d->sessions[--d->n];
		pthread_mutex_unlock(&d->mutex);
		tee_context_session_closed(ctx);
		close_session_msg(optee_of(ctx), ctx, s);
	}
}

int optee_invoke_func(struct tee_context *ctx, struct tee_ioctl_invoke_arg *arg,
		      struct tee_param *param)
{
	struct optee *optee = optee_of(ctx);
	struct optee_msg_local msg;
	uint32_t n = arg->num_params;
	int rc;

	if (!session_find(ctx->data, arg->session, false))
		return -EINVAL;
	if (n > TEESIM_OPTEE_MSG_MAX_NUM_PARAMS)
		return -EINVAL;
	memset(&msg, 0, MSG_HDR + n * sizeof(msg.params[0]));
	msg.hdr.cmd = TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND;
	msg.hdr.func = arg->func;
	msg.hdr.session = arg->session;
	msg.hdr.cancel_id = arg->cancel_id;
	msg.hdr.num_params = n;
	rc = to_msg_param(msg.params, n, param);
	if (rc)
		goto out;
	rc = send_msg(optee, ctx, &msg);
	if (rc)
		goto out;
	if (from_msg_param(param, n, msg.params)) {
		msg.hdr.ret = TEESIM_OPTEE_ERROR_COMMUNICATION;
		msg.hdr.ret_origin = TEESIM_OPTEE_ORIGIN_COMMS;
	}
	arg->ret = msg.hdr.ret;
	arg->ret_origin = msg.hdr.ret_origin;
out:
	return rc;
}

int optee_cancel_req(struct tee_context *ctx, uint32_t cancel_id, uint32_t session)
{
	struct optee_msg_local msg;

	if (!session_find(ctx->data, session, false))
		return -EINVAL;
	memset(&msg.hdr, 0, sizeof(msg.hdr));
	msg.hdr.cmd = TEESIM_OPTEE_MSG_CMD_CANCEL;
	msg.hdr.session = session;
	msg.hdr.cancel_id = cancel_id;
	return send_msg(optee_of(ctx), ctx, &msg);
}
