/* SPDX-License-Identifier: MIT */
/*
 * Yielding calls through the mediator, after Xen's handle_std_call and
 * handle_rpc: the guest's argument is shadowed and translated, the call is
 * forwarded with the shadow's physical address, RPCs are carried between the
 * two worlds with their buffers shadowed, and the results are copied back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "med_internal.h"

#define ARG_SIZE(n) TEESIM_OPTEE_MSG_GET_ARG_SIZE(n)

static const uint32_t RFR = TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC;

/* ------------------------------------------------------------------------ */
/* Call contexts */

static struct tsim_med_call *call_alloc(struct teesim_mediator *med, struct tsim_med_guest *mg,
					uint32_t *smc_err)
{
	struct tsim_med_call *call;

	pthread_mutex_lock(&med->lock);
	if (mg->ncalls >= med->cfg.max_calls) {
		pthread_mutex_unlock(&med->lock);
		*smc_err = TEESIM_OPTEE_SMC_RETURN_ETHREAD_LIMIT;
		return NULL;
	}
	mg->ncalls++;
	mg->st.calls++;
	pthread_mutex_unlock(&med->lock);
	call = tsim_calloc(med->m, 1, sizeof(*call));
	if (!call) {
		pthread_mutex_lock(&med->lock);
		mg->ncalls--;
		mg->st.calls--;
		pthread_mutex_unlock(&med->lock);
		*smc_err = TEESIM_OPTEE_SMC_RETURN_ENOMEM;
		return NULL;
	}
	call->thread_id = -1;
	call->in_flight = true;
	pthread_mutex_lock(&med->lock);
	call->next = mg->calls;
	mg->calls = call;
	pthread_mutex_unlock(&med->lock);
	return call;
}

void tsim_med_call_free(struct teesim_mediator *med, struct tsim_med_guest *mg,
			struct tsim_med_call *call)
{
	pthread_mutex_lock(&med->lock);
	for (struct tsim_med_call **pp = &mg->calls; *pp; pp = &(*pp)->next) {
		if (*pp == call) {
			*pp = call->next;
			break;
		}
	}
	mg->ncalls--;
	mg->st.calls--;
	if (call->session_slot)
		mg->sessions_reserved--;
	pthread_mutex_unlock(&med->lock);
	tsim_med_release(med, mg, &call->arg);
	tsim_free(med->m, call);
}

/* The call suspended in OP-TEE thread @id, now claimed; NULL if none or already running. */
static struct tsim_med_call *call_get(struct teesim_mediator *med, struct tsim_med_guest *mg,
				      uint32_t id)
{
	struct tsim_med_call *call;

	pthread_mutex_lock(&med->lock);
	for (call = mg->calls; call && call->thread_id != (long) id; call = call->next)
		;
	if (call && call->in_flight)
		call = NULL;
	if (call)
		call->in_flight = true;
	pthread_mutex_unlock(&med->lock);
	return call;
}

static void call_put(struct teesim_mediator *med, struct tsim_med_call *call)
{
	pthread_mutex_lock(&med->lock);
	call->in_flight = false;
	pthread_mutex_unlock(&med->lock);
}

static struct teesim_optee_msg_arg *shadow_arg(struct tsim_med_call *call)
{
	return call->arg.host;
}

/* ------------------------------------------------------------------------ */
/* Sessions: the secure world model keeps one table for all guests, so the
 * mediator lets a guest name only the sessions it opened (OP-TEE's per-VM
 * partition gives the same) */

static bool uses_session(uint32_t cmd)
{
	return cmd == TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND ||
	       cmd == TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION || cmd == TEESIM_OPTEE_MSG_CMD_CANCEL;
}

static bool session_owned(struct teesim_mediator *med, struct tsim_med_guest *mg, uint32_t id)
{
	bool found = false;

	pthread_mutex_lock(&med->lock);
	for (size_t i = 0; i < mg->nsessions && !found; i++)
		found = mg->sessions[i] == id;
	pthread_mutex_unlock(&med->lock);
	return found;
}

/*
 * Keep room in @mg's session list for the session the OPEN_SESSION @call may
 * open, before the secure world opens it: recording it afterwards cannot
 * fail, or the guest could never close it. 0 or -ENOMEM.
 */
static int session_reserve(struct teesim_mediator *med, struct tsim_med_guest *mg,
			   struct tsim_med_call *call)
{
	int err = 0;

	pthread_mutex_lock(&med->lock);
	if (mg->nsessions + mg->sessions_reserved >= mg->cap_sessions) {
		size_t cap = mg->cap_sessions ? 2 * mg->cap_sessions : 8;
		uint32_t *n = tsim_reallocarray(med->m, mg->sessions, cap, sizeof(*n));

		if (n) {
			mg->sessions = n;
			mg->cap_sessions = cap;
		} else {
			err = -ENOMEM;
		}
	}
	if (!err) {
		mg->sessions_reserved++;
		call->session_slot = true;
	}
	pthread_mutex_unlock(&med->lock);
	return err;
}

/* Record (@add: into the room session_reserve() kept) or forget session @id
 * of @mg. Out of host memory the id is not recorded: the guest then cannot
 * name it, which fails safe. */
static void session_track(struct teesim_mediator *med, struct tsim_med_guest *mg, uint32_t id,
			  bool add)
{
	pthread_mutex_lock(&med->lock);
	if (add) {
		if (mg->nsessions == mg->cap_sessions) {
			size_t cap = mg->cap_sessions ? 2 * mg->cap_sessions : 8;
			uint32_t *n = tsim_reallocarray(med->m, mg->sessions, cap, sizeof(*n));

			if (!n)
				goto out;
			mg->sessions = n;
			mg->cap_sessions = cap;
		}
		mg->sessions[mg->nsessions++] = id;
		mg->st.sessions++;
	} else {
		for (size_t i = 0; i < mg->nsessions; i++) {
			if (mg->sessions[i] == id) {
				mg->sessions[i] = mg->sessions[--mg->nsessions];
				mg->st.sessions--;
				break;
			}
		}
	}
out:
	pthread_mutex_unlock(&med->lock);
}

/* ------------------------------------------------------------------------ */
/* The argument: in, translated, back */

/*
 * Copy only what may change back into the guest's argument (Xen's
 * copy_std_request_back): ret, origin, session, and each output's size or
 * values. The guest page is looked up again: it is the guest's to change.
 */
static bool copy_back(struct tsim_med_guest *mg, struct tsim_med_call *call)
{
	const struct teesim_optee_msg_arg *s = shadow_arg(call);
	struct teesim_optee_msg_arg *g = tsim_med_guest_page(mg, call->guest_arg_ipa);
	const uint32_t n = s->num_params <= TEESIM_OPTEE_MSG_MAX_NUM_PARAMS ? s->num_params : 0;

	if (!g)
		return false;
	g->ret = s->ret;
	g->ret_origin = s->ret_origin;
	/* the session the guest named stays what it named */
	g->session = uses_session(s->cmd) ? call->guest_session : s->session;
	for (uint32_t i = 0; i < n; i++) {
		const struct teesim_optee_msg_param *sp = &s->params[i];
		struct teesim_optee_msg_param *gp = &g->params[i];

		switch (sp->attr & TEESIM_OPTEE_MSG_ATTR_TYPE_MASK) {
		case TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT:
			gp->u.tmem.size = sp->u.tmem.size;
			break;
		case TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INOUT:
			gp->u.rmem.size = sp->u.rmem.size;
			break;
		case TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT:
			gp->u.value = sp->u.value;
			break;
		default:
			break;
		}
	}
	return true;
}

/* The secure world's cookie for the guest's registration @cookie; 0 (never given) if none. */
static uint64_t sw_cookie_of(struct teesim_mediator *med, struct tsim_med_guest *mg,
			     uint64_t cookie)
{
	uint64_t sw = 0;

	pthread_mutex_lock(&med->lock);
	for (struct tsim_med_buf *b = mg->bufs; b; b = b->next) {
		if (b->registered && b->cookie == cookie) {
			sw = b->sw_cookie;
			break;
		}
	}
	pthread_mutex_unlock(&med->lock);
	return sw;
}

/* A guest cookie of a registration becomes the secure world's; any other, 0 (names nothing). */
static void map_cookie(struct teesim_mediator *med, struct tsim_med_guest *mg, uint64_t *cookie)
{
	const uint64_t sw = sw_cookie_of(med, mg, *cookie);

	/* another guest's registration is not this guest's to name */
	if (!sw)
		tsim_med_reject(med, mg);
	*cookie = sw;
}

/*
 * Xen's translate_params: page lists are translated, contiguous TMEM is
 * refused unless it is a NULL memref, VALUE / RMEM / NONE pass. RMEM cookies
 * are mapped to the secure world's (see teesim_mediator_sw_cookie()).
 * Returns 0, -ENOMEM or -EINVAL.
 */
static int translate_params(struct teesim_mediator *med, struct tsim_med_guest *mg,
			    struct tsim_med_call *call, struct tsim_med_buf **reg)
{
	struct teesim_optee_msg_arg *a = shadow_arg(call);
	int err;

	*reg = NULL;
	for (uint32_t i = 0; i < a->num_params; i++) {
		struct teesim_optee_msg_param *p = &a->params[i];
		struct tsim_med_buf *b;

		switch (p->attr & TEESIM_OPTEE_MSG_ATTR_TYPE_MASK) {
		case TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT:
			if (!(p->attr & TEESIM_OPTEE_MSG_ATTR_NONCONTIG)) {
				/* a guest has no contiguous physical buffer */
				if (p->u.tmem.buf_ptr)
					return -EINVAL;
				break;
			}
			err = tsim_med_translate_noncontig(med, mg, call, p, &b);
			if (err)
				return err;
			if (b && a->cmd == TEESIM_OPTEE_MSG_CMD_REGISTER_SHM && i == 0) {
				pthread_mutex_lock(&med->lock);
				b->sw_cookie = med->next_cookie++;
				pthread_mutex_unlock(&med->lock);
				p->u.tmem.shm_ref = b->sw_cookie;
				*reg = b;
			}
			break;
		case TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INOUT:
			if (a->cmd != TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM || i)
				map_cookie(med, mg, &p->u.rmem.shm_ref);
			break;
		default:
			break;
		}
	}
	/* UNREGISTER_SHM: OP-TEE reads the cookie of param 0 whatever its type */
	if (a->cmd == TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM && a->num_params)
		map_cookie(med, mg, &a->params[0].u.rmem.shm_ref);
	return 0;
}

/* After the call: keep, drop or release the buffers, by command (Xen's do_call_with_arg). */
static void finish_buffers(struct teesim_mediator *med, struct tsim_med_guest *mg,
			   struct tsim_med_call *call, struct tsim_med_buf *reg,
			   uint64_t unreg_cookie, bool ok)
{
	const struct teesim_optee_msg_arg *a = shadow_arg(call);

	if (a->cmd == TEESIM_OPTEE_MSG_CMD_REGISTER_SHM && reg && ok) {
		/* OP-TEE holds the pages now: the buffer stays, its shadow list goes */
		pthread_mutex_lock(&med->lock);
		reg->owner = NULL;
		reg->registered = true;
		mg->st.registered++;
		pthread_mutex_unlock(&med->lock);
		tsim_med_buf_free_list(med, mg, reg->cookie);
	} else if (a->cmd == TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM && ok) {
		/* OP-TEE let go of the pages: so do we */
		tsim_med_buf_free(
		    med, mg, tsim_med_buf_unlink(med, mg, unreg_cookie, TSIM_MED_BUF_REGISTERED));
	}
	/* temporary buffers of this call (and a failed registration) */
	tsim_med_bufs_free_owned(med, mg, call);
}

/* ------------------------------------------------------------------------ */
/* Forwarding and RPCs */

static void do_call(struct teesim_mediator *med, struct tsim_med_guest *mg,
		    struct tsim_med_call *call, struct teesim_smc_regs *r,
		    struct teesim_smc_regs *s);

/* Tell the guest to free an SHM_ALLOC buffer we could not translate (Xen's issue_rpc_cmd_free). */
static bool issue_shm_free(struct tsim_med_guest *mg, struct tsim_med_call *call,
			   struct tsim_med_rpc *rpc, uint64_t cookie, struct teesim_smc_regs *r)
{
	struct teesim_optee_msg_arg *s = rpc->shadow.host;
	void *g = tsim_med_guest_page(mg, rpc->ipa);

	memset(s, 0, ARG_SIZE(1));
	s->ret = TEESIM_OPTEE_ERROR_GENERIC;
	s->cmd = TEESIM_OPTEE_RPC_CMD_SHM_FREE;
	s->num_params = 1;
	s->params[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	s->params[0].u.value.a = call->rpc_buffer_type;
	s->params[0].u.value.b = cookie;
	if (!g) {
		s->num_params = 0;
		return false;
	}
	memcpy(g, s, ARG_SIZE(1));
	call->state = TSIM_MED_CALL_MED_RPC;
	call->rpc_op = TEESIM_OPTEE_SMC_RPC_FUNC_CMD;
	call->rpc_a1 = (uint32_t) (rpc->cookie >> 32);
	call->rpc_a2 = (uint32_t) rpc->cookie;
	call->thread_id = r->a[3];
	r->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_CMD;
	r->a[1] = call->rpc_a1;
	r->a[2] = call->rpc_a2;
	return true;
}

/*
 * The guest's SHM_ALLOC reply (in @reply) must be a page list: translate it
 * into the shadow. Returns false when an SHM_FREE RPC went to the guest
 * instead and the call must not be resumed yet.
 */
static bool rpc_shm_alloc_reply(struct teesim_mediator *med, struct tsim_med_guest *mg,
				struct tsim_med_call *call, struct tsim_med_rpc *rpc,
				const struct teesim_optee_msg_arg *reply, struct teesim_smc_regs *r)
{
	struct teesim_optee_msg_arg *s = rpc->shadow.host;
	struct teesim_optee_msg_param p = reply->params[0];
	struct tsim_med_buf *b = NULL;
	int err = -EINVAL;

	s->ret = reply->ret;
	s->ret_origin = reply->ret_origin;
	if (reply->ret || s->num_params != 1)
		return true;
	/* the list of the previous buffer has been read by now */
	if (call->rpc_data_cookie)
		tsim_med_buf_free_list(med, mg, call->rpc_data_cookie);
	call->rpc_data_cookie = 0;
	if (p.attr == (TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG))
		err = tsim_med_translate_noncontig(med, mg, NULL, &p, &b);
	if (!err && b) {
		call->rpc_data_cookie = p.u.tmem.shm_ref;
		s->params[0] = p;
		return true;
	}
	/* not translatable (or contiguous, or NULL): the guest frees it, OP-TEE hears failure */
	tsim_med_reject(med, mg);
	s->ret = TEESIM_OPTEE_ERROR_GENERIC;
	return !issue_shm_free(mg, call, rpc, p.u.tmem.shm_ref, r);
}

/*
 * Merge the guest's RPC reply into the shadow: ret, origin, and the output
 * fields of the parameters the secure world sent. Attributes and addresses
 * stay the secure world's, so nothing untranslated comes back.
 */
static void rpc_merge_reply(struct teesim_optee_msg_arg *s, const struct teesim_optee_msg_arg *g)
{
	s->ret = g->ret;
	s->ret_origin = g->ret_origin;
	for (uint32_t i = 0; i < s->num_params; i++) {
		struct teesim_optee_msg_param *sp = &s->params[i];
		const struct teesim_optee_msg_param *gp = &g->params[i];

		switch (sp->attr & TEESIM_OPTEE_MSG_ATTR_TYPE_MASK) {
		case TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT:
			sp->u.value = gp->u.value;
			break;
		case TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT:
			sp->u.tmem.size = gp->u.tmem.size;
			break;
		case TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT:
		case TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INOUT:
			sp->u.rmem.size = gp->u.rmem.size;
			break;
		default:
			break;
		}
	}
}

/* The guest answered an RPC_CMD: bring its answer into the shadow and resume. */
static void rpc_cmd_done(struct teesim_mediator *med, struct tsim_med_guest *mg,
			 struct tsim_med_call *call, struct teesim_smc_regs *r)
{
	struct tsim_med_rpc *rpc =
	    tsim_med_rpc_find(med, mg, tsim_med_pair(call->rpc_a1, call->rpc_a2));
	struct teesim_smc_regs s = {{RFR, 0, 0, r->a[3], 0, 0, 0, 0}};
	struct teesim_optee_msg_arg *sa;
	const void *g;
	union {
		struct teesim_optee_msg_arg a;
		unsigned char b[MED_PAGE];
	} reply;

	if (!rpc)
		goto resume; /* OP-TEE preset ret to GENERIC: it reads a failure */
	sa = rpc->shadow.host;
	if (call->state == TSIM_MED_CALL_MED_RPC) {
		/* the guest freed what we asked: now OP-TEE hears the allocation failed */
		call->state = TSIM_MED_CALL_NORMAL;
		sa->ret = TEESIM_OPTEE_ERROR_GENERIC;
		sa->num_params = 0;
		goto resume;
	}
	g = tsim_med_guest_page(mg, rpc->ipa);
	if (!g || sa->num_params > TEESIM_OPTEE_MSG_MAX_NUM_PARAMS) {
		sa->ret = TEESIM_OPTEE_ERROR_GENERIC;
		goto resume;
	}
	/* one fetch of the guest's answer */
	memcpy(&reply, g, ARG_SIZE(sa->num_params));
	if (sa->cmd == TEESIM_OPTEE_RPC_CMD_SHM_ALLOC) {
		if (!rpc_shm_alloc_reply(med, mg, call, rpc, &reply.a, r)) {
			call_put(med, call);
			return;
		}
	} else {
		rpc_merge_reply(sa, &reply.a);
	}
resume:
	do_call(med, mg, call, r, &s);
}

/*
 * OP-TEE asked for an RPC: remember it, pass it to the guest. For RPC_CMD the
 * request is copied from the shadow into the guest's buffer. Returns true
 * when the mediator must resume OP-TEE at once instead.
 */
static bool rpc_from_sw(struct teesim_mediator *med, struct tsim_med_guest *mg,
			struct tsim_med_call *call, const struct teesim_smc_regs *s,
			struct teesim_smc_regs *r)
{
	struct teesim_optee_msg_arg *sa;
	struct tsim_med_rpc *rpc;
	void *g;

	call->rpc_op = TEESIM_OPTEE_SMC_RETURN_GET_RPC_FUNC(s->a[0]);
	call->rpc_a1 = s->a[1];
	call->rpc_a2 = s->a[2];
	call->thread_id = s->a[3];
	for (unsigned i = 0; i < 4; i++)
		r->a[i] = s->a[i];
	if (call->rpc_op != TEESIM_OPTEE_SMC_RPC_FUNC_CMD)
		return false;
	rpc = tsim_med_rpc_find(med, mg, tsim_med_pair(s->a[1], s->a[2]));
	if (!rpc)
		return true; /* a cookie we never shadowed: OP-TEE reads its preset failure */
	sa = rpc->shadow.host;
	g = tsim_med_guest_page(mg, rpc->ipa);
	if (!g || sa->num_params > TEESIM_OPTEE_MSG_MAX_NUM_PARAMS) {
		sa->ret = TEESIM_OPTEE_ERROR_GENERIC;
		return true;
	}
	memcpy(g, sa, ARG_SIZE(sa->num_params));
	if (sa->cmd == TEESIM_OPTEE_RPC_CMD_SHM_ALLOC)
		call->rpc_buffer_type = (uint32_t) sa->params[0].u.value.a;
	if (sa->cmd == TEESIM_OPTEE_RPC_CMD_SHM_FREE && sa->num_params >= 1) {
		/* OP-TEE is done with an SHM_ALLOC buffer: so are we */
		const uint64_t cookie = sa->params[0].u.value.b;

		tsim_med_buf_free(med, mg, tsim_med_buf_unlink(med, mg, cookie, TSIM_MED_BUF_RPC));
		if (call->rpc_data_cookie == cookie)
			call->rpc_data_cookie = 0;
	}
	return false;
}

/*
 * Forward @s (a call or a resume) and carry its result to the guest in @r:
 * an RPC suspends the call context, completion copies the results back and
 * frees it (Xen's do_call_with_arg).
 */
static void do_call(struct teesim_mediator *med, struct tsim_med_guest *mg,
		    struct tsim_med_call *call, struct teesim_smc_regs *r,
		    struct teesim_smc_regs *s)
{
	bool ok;

	tsim_med_forward(med, mg, s);
	while (TEESIM_OPTEE_SMC_RETURN_IS_RPC(s->a[0])) {
		if (!rpc_from_sw(med, mg, call, s, r)) {
			call_put(med, call);
			return;
		}
		{
			struct teesim_smc_regs again = {{RFR, 0, 0, s->a[3], 0, 0, 0, 0}};

			call->thread_id = -1;
			*s = again;
		}
		tsim_med_forward(med, mg, s);
	}
	r->a[0] = s->a[0];
	if (!copy_back(mg, call))
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_EBADADDR;
	ok = s->a[0] == TEESIM_OPTEE_SMC_RETURN_OK && !shadow_arg(call)->ret;
	finish_buffers(med, mg, call, call->reg, call->unreg_cookie, ok);
	if (ok && shadow_arg(call)->cmd == TEESIM_OPTEE_MSG_CMD_OPEN_SESSION &&
	    shadow_arg(call)->session)
		session_track(med, mg, shadow_arg(call)->session, true);
	else if (ok && shadow_arg(call)->cmd == TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION)
		session_track(med, mg, call->guest_session, false);
	tsim_med_call_free(med, mg, call);
}

/* ------------------------------------------------------------------------ */
/* Entry points */

void tsim_med_std_call(struct teesim_mediator *med, struct tsim_med_guest *mg,
		       struct teesim_smc_regs *r)
{
	uint32_t smc_err = TEESIM_OPTEE_SMC_RETURN_OK;
	struct tsim_med_call *call = call_alloc(med, mg, &smc_err);
	struct teesim_optee_msg_arg *a;
	const void *g;
	teesim_pa_t pa;
	int err;

	if (!call)
		goto reject;
	call->guest_arg_ipa = tsim_med_pair(r->a[1], r->a[2]);
	/* the argument starts a page (OP-TEE's rule) and is guest RAM */
	smc_err = TEESIM_OPTEE_SMC_RETURN_EBADADDR;
	if (call->guest_arg_ipa & MED_PAGE_MASK)
		goto err_call;
	smc_err = TEESIM_OPTEE_SMC_RETURN_ENOMEM;
	if (tsim_med_alloc(med, mg, 1, &call->arg))
		goto err_call;
	smc_err = TEESIM_OPTEE_SMC_RETURN_EBADADDR;
	g = tsim_med_guest_page(mg, call->guest_arg_ipa);
	if (!g)
		goto err_call;
	a = shadow_arg(call);
	memcpy(a, g, MED_PAGE);
	call->guest_session = a->session;
	if (ARG_SIZE((uint64_t) a->num_params) > MED_PAGE) {
		a->ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		a->ret_origin = TEESIM_OPTEE_ORIGIN_COMMS;
		a->num_params = 0; /* copy_back stays inside the page */
		smc_err = copy_back(mg, call) ? TEESIM_OPTEE_SMC_RETURN_OK
					      : TEESIM_OPTEE_SMC_RETURN_EBADADDR;
		goto err_call;
	}
	if (a->cmd > TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM) {
		smc_err = TEESIM_OPTEE_SMC_RETURN_EBADCMD;
		goto err_call;
	}
	if (a->cmd == TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM && a->num_params >= 1)
		call->unreg_cookie = a->params[0].u.rmem.shm_ref;
	if (a->cmd == TEESIM_OPTEE_MSG_CMD_OPEN_SESSION && session_reserve(med, mg, call)) {
		a->ret = TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
		a->ret_origin = TEESIM_OPTEE_ORIGIN_COMMS;
		smc_err = copy_back(mg, call) ? TEESIM_OPTEE_SMC_RETURN_OK
					      : TEESIM_OPTEE_SMC_RETURN_EBADADDR;
		goto err_call;
	}
	if (uses_session(a->cmd) && !session_owned(med, mg, a->session)) {
		/* not this guest's: 0 is no session, the secure world says so */
		tsim_med_reject(med, mg);
		a->session = 0;
	}
	err = translate_params(med, mg, call, &call->reg);
	if (err) {
		/* the SMC worked; the message failed in the communication stack */
		a->ret = err == -ENOMEM ? TEESIM_OPTEE_ERROR_OUT_OF_MEMORY
					: TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		a->ret_origin = TEESIM_OPTEE_ORIGIN_COMMS;
		smc_err = copy_back(mg, call) ? TEESIM_OPTEE_SMC_RETURN_OK
					      : TEESIM_OPTEE_SMC_RETURN_EBADADDR;
		tsim_med_bufs_free_owned(med, mg, call);
		goto err_call;
	}
	pa = tsim_med_pa(med, &call->arg, 0);
	pthread_mutex_lock(&med->lock);
	mg->st.calls_total++;
	pthread_mutex_unlock(&med->lock);
	{
		struct teesim_smc_regs s = {{TEESIM_OPTEE_SMC_CALL_WITH_ARG, (uint32_t) (pa >> 32),
					     (uint32_t) pa, TEESIM_OPTEE_SMC_SHM_CACHED, 0, 0, 0,
					     0}};

		do_call(med, mg, call, r, &s);
	}
	return;

err_call:
	tsim_med_call_free(med, mg, call);
reject:
	tsim_med_reject(med, mg);
	r->a[0] = smc_err;
}

void tsim_med_return_from_rpc(struct teesim_mediator *med, struct tsim_med_guest *mg,
			      struct teesim_smc_regs *r)
{
	const uint32_t id = r->a[3];
	struct tsim_med_call *call = call_get(med, mg, id);
	struct teesim_smc_regs s = {{RFR, 0, 0, id, 0, 0, 0, 0}};

	if (!call) {
		tsim_med_reject(med, mg);
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_ERESUME;
		return;
	}
	/* OP-TEE may give the thread to a new call before we free this one */
	call->thread_id = -1;
	switch (call->rpc_op) {
	case TEESIM_OPTEE_SMC_RPC_FUNC_ALLOC: {
		const teesim_ipa_t ipa = tsim_med_pair(r->a[1], r->a[2]);
		teesim_pa_t pa = 0;

		if (ipa & MED_PAGE_MASK) {
			/* OP-TEE waits for an answer: it gets "no buffer" */
			tsim_med_reject(med, mg);
		} else if (ipa) {
			struct tsim_med_rpc *rpc =
			    tsim_med_rpc_new(med, mg, ipa, tsim_med_pair(r->a[4], r->a[5]));

			if (rpc)
				pa = tsim_med_pa(med, &rpc->shadow, 0);
			else
				tsim_med_reject(med, mg);
		}
		s.a[1] = (uint32_t) (pa >> 32);
		s.a[2] = (uint32_t) pa;
		s.a[4] = r->a[4];
		s.a[5] = r->a[5];
		break;
	}
	case TEESIM_OPTEE_SMC_RPC_FUNC_FREE:
		tsim_med_rpc_free(med, mg, tsim_med_pair(call->rpc_a1, call->rpc_a2));
		s.a[1] = call->rpc_a1;
		s.a[2] = call->rpc_a2;
		break;
	case TEESIM_OPTEE_SMC_RPC_FUNC_CMD:
		rpc_cmd_done(med, mg, call, r);
		return;
	default: /* FOREIGN_INTR and anything else: resume as asked */
		s.a[1] = call->rpc_a1;
		s.a[2] = call->rpc_a2;
		break;
	}
	do_call(med, mg, call, r, &s);
}
