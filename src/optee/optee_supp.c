/* SPDX-License-Identifier: MIT */
/*
 * The supplicant request queue (drivers/tee/optee/supp.c, the asynchronous
 * version with request ids): secure-world RPCs the kernel does not serve
 * are queued for the one process that has /dev/teepriv0 open, which takes
 * them with TEE_IOC_SUPPL_RECV and answers with TEE_IOC_SUPPL_SEND.
 *
 * Never a hang: a request made while no supplicant is attached fails at
 * once with COMMUNICATION (the kernel does that only for in-kernel
 * clients), and one in flight when the supplicant goes away fails the same
 * way. With a hook installed (teesim_optee_set_supp_hook) the hook runs on
 * the requesting thread and a request it left unanswered fails too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "optee/optee_private.h"

#define META_INOUT (TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT | TEE_IOCTL_PARAM_ATTR_META)

/* optee_supp_init */
void optee_supp_init(struct optee_supp *supp)
{
	memset(supp, 0, sizeof(*supp));
	pthread_mutex_init(&supp->mutex, NULL);
	pthread_cond_init(&supp->reqs_c, NULL);
	supp->req_id = -1;
	supp->next_id = 1;
}

/* optee_supp_uninit */
void optee_supp_uninit(struct optee_supp *supp)
{
	pthread_cond_destroy(&supp->reqs_c);
	pthread_mutex_destroy(&supp->mutex);
}

static void req_unlink(struct optee_supp_req **head, struct optee_supp_req *r)
{
	for (struct optee_supp_req **pp = head; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			r->next = NULL;
			return;
		}
	}
}

/* Complete @r with @ret; the caller holds the mutex and has unlinked it. */
static void req_complete(struct optee_supp *supp, struct optee_supp_req *r, uint32_t ret)
{
	r->in_queue = r->handed = false;
	r->ret = ret;
	r->done = true;
	if (ret == TEESIM_OPTEE_ERROR_COMMUNICATION)
		supp->failed++;
	pthread_cond_signal(&r->cond);
}

/* optee_supp_release: fail everything queued or in progress */
void optee_supp_release(struct optee_supp *supp)
{
	pthread_mutex_lock(&supp->mutex);
	while (supp->queue) {
		struct optee_supp_req *r = supp->queue;

		supp->queue = r->next;
		req_complete(supp, r, TEESIM_OPTEE_ERROR_COMMUNICATION);
	}
	while (supp->handed) {
		struct optee_supp_req *r = supp->handed;

		supp->handed = r->next;
		req_complete(supp, r, TEESIM_OPTEE_ERROR_COMMUNICATION);
	}
	supp->ctx = NULL;
	supp->req_id = -1;
	pthread_cond_broadcast(&supp->reqs_c);
	pthread_mutex_unlock(&supp->mutex);
}

/* optee_supp_thrd_req */
uint32_t optee_supp_thrd_req(struct optee *optee, uint32_t func, size_t num_params,
			     struct tee_param *param)
{
	struct optee_supp *supp = &optee->supp;
	struct optee_supp_req r = {.func = func, .num_params = num_params, .param = param};
	struct optee_supp_req **pp;
	teesim_optee_supp_hook_fn hook;
	void *hook_ctx;
	uint32_t ret;

	pthread_cond_init(&r.cond, NULL);
	pthread_mutex_lock(&supp->mutex);
	supp->requests++;
	hook = optee->supp_hook;
	hook_ctx = optee->supp_hook_ctx;
	if (!supp->ctx) {
		supp->failed++;
		pthread_mutex_unlock(&supp->mutex);
		pthread_cond_destroy(&r.cond);
		return TEESIM_OPTEE_ERROR_COMMUNICATION;
	}
	for (pp = &supp->queue; *pp; pp = &(*pp)->next)
		;
	*pp = &r;
	r.in_queue = true;
	pthread_cond_broadcast(&supp->reqs_c);
	pthread_mutex_unlock(&supp->mutex);

	if (hook)
		hook(hook_ctx, func);

	pthread_mutex_lock(&supp->mutex);
	while (!r.done) {
		if (hook || !supp->ctx) {
			/* nobody will answer: take it back */
			req_unlink(r.in_queue ? &supp->queue : &supp->handed, &r);
			if (supp->req_id == r.id && r.handed)
				supp->req_id = -1;
			req_complete(supp, &r, TEESIM_OPTEE_ERROR_COMMUNICATION);
			break;
		}
		pthread_cond_wait(&r.cond, &supp->mutex);
	}
	ret = r.ret;
	pthread_mutex_unlock(&supp->mutex);
	pthread_cond_destroy(&r.cond);
	return ret;
}

/* supp_check_recv_params: only NONE params (the first may be META); memrefs are put */
static int check_recv_params(uint32_t num_params, struct tee_param *param, uint32_t *num_meta)
{
	int rc = 0;

	*num_meta = 0;
	for (uint32_t n = 0; n < num_params; n++)
		if (tee_param_is_memref(&param[n]) && param[n].u.memref.shm)
			tee_shm_put(param[n].u.memref.shm);
	if (!num_params)
		return -EINVAL;
	for (uint32_t n = 0; n < num_params; n++) {
		uint64_t a = param[n].attr;

		if (n == 0 && a == TEE_IOCTL_PARAM_ATTR_META)
			*num_meta = 1;
		else if (a != TEE_IOCTL_PARAM_ATTR_TYPE_NONE)
			rc = -EINVAL;
	}
	return rc;
}

/* optee_supp_recv */
int optee_supp_recv(struct tee_context *ctx, uint32_t *func, uint32_t *num_params,
		    struct tee_param *param)
{
	struct optee *optee = tee_get_drvdata(ctx->teedev);
	struct optee_supp *supp = &optee->supp;
	struct optee_supp_req *r;
	uint32_t num_meta;
	int rc;

	rc = check_recv_params(*num_params, param, &num_meta);
	if (rc)
		return rc;
	pthread_mutex_lock(&supp->mutex);
	for (;;) {
		if (supp->ctx != ctx) {
			rc = -EINVAL;
			goto out;
		}
		if (supp->req_id != -1) {
			rc = -EINVAL; /* a synchronous request is still outstanding */
			goto out;
		}
		r = supp->queue;
		if (r) {
			if (*num_params < num_meta + r->num_params) {
				rc = -EINVAL; /* stays queued */
				goto out;
			}
			break;
		}
		if (supp->interrupt_pending) {
			supp->interrupt_pending = false; /* a pending signal, taken once */
			rc = -EINTR;
			goto out;
		}
		pthread_cond_wait(&supp->reqs_c, &supp->mutex);
	}
	supp->queue = r->next;
	r->next = supp->handed;
	supp->handed = r;
	r->in_queue = false;
	r->handed = true;
	r->id = supp->next_id++;
	if (supp->next_id <= 0)
		supp->next_id = 1;
	if (num_meta) {
		memset(&param[0], 0, sizeof(param[0]));
		param[0].attr = META_INOUT;
		param[0].u.value.a = (uint64_t) r->id;
	} else {
		supp->req_id = r->id;
	}
	memcpy(param + num_meta, r->param, r->num_params * sizeof(*param));
	*func = r->func;
	*num_params = (uint32_t) (r->num_params + num_meta);
out:
	pthread_mutex_unlock(&supp->mutex);
	return rc;
}

/* optee_supp_send */
int optee_supp_send(struct tee_context *ctx, uint32_t ret, uint32_t num_params,
		    struct tee_param *param)
{
	struct optee *optee = tee_get_drvdata(ctx->teedev);
	struct optee_supp *supp = &optee->supp;
	struct optee_supp_req *r;
	uint32_t num_meta = 0;
	int id, rc = 0;

	pthread_mutex_lock(&supp->mutex);
	if (supp->req_id != -1) {
		id = supp->req_id;
	} else {
		if (!num_params || param[0].attr != META_INOUT) {
			rc = -EINVAL;
			goto out;
		}
		id = (int) param[0].u.value.a;
		num_meta = 1;
	}
	for (r = supp->handed; r && r->id != id; r = r->next)
		;
	if (!r) {
		rc = -ENOENT;
		goto out;
	}
	if (num_params - num_meta != r->num_params) {
		rc = -EINVAL;
		goto out;
	}
	req_unlink(&supp->handed, r);
	supp->req_id = -1;
	for (size_t n = 0; n < r->num_params; n++) {
		struct tee_param *p = &r->param[n];
		const struct tee_param *s = &param[n + num_meta];

		switch (p->attr) {
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT:
			p->u.value = s->u.value;
			break;
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
			p->u.memref.size = s->u.memref.size;
			break;
		default:
			break;
		}
	}
	req_complete(supp, r, ret);
out:
	pthread_mutex_unlock(&supp->mutex);
	return rc;
}
