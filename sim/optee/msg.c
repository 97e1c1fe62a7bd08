/* SPDX-License-Identifier: MIT */
/*
 * The message decoder: where the call's optee_msg_arg is, its header and
 * parameters, and the commands. Every field is fetched from normal-world
 * memory once, validated, and used from the local copy afterwards (the
 * shape of OP-TEE's entry_std.c / msg_param.c). A message that is refused
 * leaves no state behind: references taken while decoding are dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "sw_internal.h"

/* Local copy of a decoded message. */
struct msg {
	struct tsim_sw_msg_hdr hdr;
	uint32_t n; /* num_params */
	struct teesim_optee_msg_param p[SW_NPARAMS];
};

static bool head(const struct teesim_sw *sw)
{
	return sw->cfg.gen == TEESIM_OPTEE_GEN_HEAD;
}

static void record_param(struct teesim_sw_param *rp, const struct teesim_optee_msg_param *mp,
			 const struct tsim_sw_mem *mem)
{
	memset(rp, 0, sizeof(*rp));
	rp->attr = mp->attr;
	rp->a = mp->u.value.a;
	rp->b = mp->u.value.b;
	rp->c = mp->u.value.c;
	if (!mem)
		return;
	rp->kind = mem->kind;
	if (mem->kind == TEESIM_SW_PARAM_VALUE || mem->kind == TEESIM_SW_PARAM_NONE)
		return;
	rp->cookie = mp->u.tmem.shm_ref;
	rp->size = mem->size;
	if (mem->kind == TEESIM_SW_PARAM_NULL)
		return;
	if (mem->pages) {
		rp->offset = mem->kind == TEESIM_SW_PARAM_RMEM ? mp->u.rmem.offs : mem->start;
		rp->npages = mem->npages;
		rp->first_pa = mem->start / SW_PAGE < mem->npages
				   ? mem->pages[mem->start / SW_PAGE] + (mem->start & SW_PAGE_MASK)
				   : 0;
	} else {
		rp->first_pa = mem->base;
		rp->npages = mem->size
				 ? ((mem->base & SW_PAGE_MASK) + mem->size + SW_PAGE - 1) / SW_PAGE
				 : 1;
	}
}

/* ---- parameters: copy_in / copy_out ---- */

static void put_params(struct tsim_sw_thread *t, struct tsim_sw_mem *mem, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (mem[i].mobj)
			tsim_sw_mobj_put(t, mem[i].mobj);
		mem[i].mobj = NULL;
	}
}

static uint32_t decode_tmem(struct tsim_sw_thread *t, unsigned slot,
			    const struct teesim_optee_msg_param *mp, struct tsim_sw_mem *mem)
{
	struct teesim_sw *sw = t->sw;
	const uint64_t buf = mp->u.tmem.buf_ptr, size = mp->u.tmem.size;
	uint32_t res;

	mem->size = size;
	/* NULL memref: 3.x needs buf_ptr 0 and size 0; today any buf_ptr 0, size 0 */
	if (buf == 0 && (size == 0 ||
			 (head(sw) && (sw->cfg.sec_caps & TEESIM_OPTEE_SMC_SEC_CAP_MEMREF_NULL)))) {
		mem->kind = TEESIM_SW_PARAM_NULL;
		mem->size = 0;
		return TEESIM_OPTEE_SUCCESS;
	}
	if (mp->attr & TEESIM_OPTEE_MSG_ATTR_NONCONTIG) {
		res = tsim_sw_pagelist(t, buf, size, &t->scratch[slot], &t->scratch_cap[slot],
				       &mem->npages);
		if (res)
			return res;
		mem->kind = TEESIM_SW_PARAM_NONCONTIG;
		mem->pages = t->scratch[slot];
		mem->start = buf & SW_PAGE_MASK;
		return TEESIM_OPTEE_SUCCESS;
	}
	/* contiguous: must lie in the static pool (at least one byte of it) */
	if (!tsim_sw_in_pool(sw, buf, size ? size : 1))
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	mem->kind = TEESIM_SW_PARAM_TMEM;
	mem->base = buf;
	return TEESIM_OPTEE_SUCCESS;
}

static uint32_t decode_rmem(struct tsim_sw_thread *t, const struct teesim_optee_msg_param *mp,
			    struct tsim_sw_mem *mem)
{
	const uint64_t offs = mp->u.rmem.offs, size = mp->u.rmem.size;
	struct tsim_sw_mobj *mo = tsim_sw_mobj_get(t->sw, mp->u.rmem.shm_ref);

	if (!mo)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (head(t->sw) && (offs + size < offs || offs + size > mo->size)) {
		tsim_sw_mobj_put(t, mo);
		return TEESIM_OPTEE_ERROR_SECURITY;
	}
	tsim_sw_mem_from_mobj(mem, mo, offs, size);
	mem->kind = TEESIM_SW_PARAM_RMEM;
	return TEESIM_OPTEE_SUCCESS;
}

/* Decode TA params @mp[0..n) into the call; on error nothing is held. */
static uint32_t copy_in_params(struct tsim_sw_thread *t, const struct teesim_optee_msg_param *mp,
			       unsigned n, unsigned first_slot)
{
	struct teesim_ta_call *call = &t->call;
	uint32_t res = TEESIM_OPTEE_SUCCESS;
	unsigned i;

	memset(call->params, 0, sizeof(call->params));
	memset(call->mem, 0, sizeof(call->mem));
	if (n > SW_TA_NPARAMS)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	for (i = 0; i < n; i++) {
		const uint64_t attr = mp[i].attr;
		const uint64_t type = attr & TEESIM_OPTEE_MSG_ATTR_TYPE_MASK;
		struct teesim_ta_param *tp = &call->params[i];
		struct tsim_sw_mem *mem = &call->mem[i];

		if (attr & TEESIM_OPTEE_MSG_ATTR_META) {
			res = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
			break;
		}
		if (type >= TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT &&
		    type <= TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT) {
			if (attr & ~(type | TEESIM_OPTEE_MSG_ATTR_NONCONTIG)) {
				res = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
				break;
			}
			tp->type = (enum teesim_ta_param_type)(type - 4);
			res = decode_tmem(t, first_slot + i, &mp[i], mem);
		} else if (attr != type) {
			res = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		} else if (type == TEESIM_OPTEE_MSG_ATTR_TYPE_NONE) {
			tp->type = TEESIM_TA_PARAM_NONE;
		} else if (type <= TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT) {
			tp->type = (enum teesim_ta_param_type) type;
			tp->a = (uint32_t) mp[i].u.value.a;
			tp->b = (uint32_t) mp[i].u.value.b;
			mem->kind = TEESIM_SW_PARAM_VALUE;
		} else if (type >= TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT &&
			   type <= TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INOUT) {
			tp->type = (enum teesim_ta_param_type) type;
			res = decode_rmem(t, &mp[i], mem);
		} else {
			res = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		}
		if (res)
			break;
		if (tp->type >= TEESIM_TA_PARAM_MEMREF_INPUT) {
			tp->size = mem->size;
			tp->null = mem->kind == TEESIM_SW_PARAM_NULL;
		}
	}
	if (res)
		put_params(t, call->mem, i);
	return res;
}

/* Write back outputs (values a, b; memref sizes) of the TA params at @first. */
static void copy_out_params(struct tsim_sw_thread *t, const struct msg *m, unsigned first)
{
	const struct teesim_ta_call *call = &t->call;

	if (t->abort)
		return;
	for (unsigned i = 0; i + first < m->n && i < SW_TA_NPARAMS; i++) {
		const struct teesim_ta_param *tp = &call->params[i];
		const uint64_t off = TEESIM_OPTEE_MSG_GET_ARG_SIZE(first + i);
		uint64_t v[2];

		switch (tp->type) {
		case TEESIM_TA_PARAM_VALUE_OUTPUT:
		case TEESIM_TA_PARAM_VALUE_INOUT:
			v[0] = tp->a;
			v[1] = tp->b;
			tsim_sw_mem_io(t, &t->arg, TEESIM_SW_FIELD_COUNT, off + 8, v, sizeof(v),
				       true);
			break;
		case TEESIM_TA_PARAM_MEMREF_OUTPUT:
		case TEESIM_TA_PARAM_MEMREF_INOUT:
			v[0] = tp->size;
			tsim_sw_mem_io(t, &t->arg, TEESIM_SW_FIELD_COUNT, off + 16, v, 8, true);
			break;
		default:
			break;
		}
	}
}

/* ---- commands ---- */

static void reply(struct tsim_sw_thread *t, struct msg *m, uint32_t ret, uint32_t origin)
{
	uint32_t v[2] = {ret, origin};

	m->hdr.ret = ret;
	m->hdr.ret_origin = origin;
	if (!t->abort)
		tsim_sw_mem_io(t, &t->arg, TEESIM_SW_FIELD_COUNT, TEESIM_OPTEE_MSG_ARG_OFF_RET, v,
			       sizeof(v), true);
}

static void record(struct tsim_sw_thread *t, const struct msg *m, unsigned first, bool decoded)
{
	struct teesim_sw_request *r = &t->req;

	r->cmd = m->hdr.cmd;
	r->func = m->hdr.func;
	r->session = m->hdr.session;
	r->cancel_id = m->hdr.cancel_id;
	r->num_params = m->n;
	for (unsigned i = 0; i < m->n && i < SW_NPARAMS; i++)
		record_param(&r->params[i], &m->p[i],
			     decoded && i >= first ? &t->call.mem[i - first] : NULL);
	t->have_req = true;
}

static bool login_ok(const struct teesim_sw *sw, uint64_t login)
{
	switch (login) {
	case TEESIM_OPTEE_MSG_LOGIN_PUBLIC:
	case TEESIM_OPTEE_MSG_LOGIN_USER:
	case TEESIM_OPTEE_MSG_LOGIN_GROUP:
	case TEESIM_OPTEE_MSG_LOGIN_APPLICATION:
	case TEESIM_OPTEE_MSG_LOGIN_APPLICATION_USER:
	case TEESIM_OPTEE_MSG_LOGIN_APPLICATION_GROUP:
		return true;
	case TEESIM_OPTEE_MSG_LOGIN_REE_KERNEL:
		return head(sw);
	default:
		return false;
	}
}

static struct tsim_sw_session *session_get(struct teesim_sw *sw, uint32_t id, bool *dead)
{
	struct tsim_sw_session *s;

	pthread_mutex_lock(&sw->lock);
	for (s = sw->sessions; s; s = s->next)
		if (s->id == id)
			break;
	/* a session being closed is as good as gone (OP-TEE's call would wait
	 * for the close and then not find it) */
	if (s && s->closing)
		s = NULL;
	if (s) {
		s->calls++;
		s->cancel = false; /* a CANCEL applies to the call it finds running */
		*dead = s->dead;
	}
	pthread_mutex_unlock(&sw->lock);
	return s;
}

static void session_put(struct tsim_sw_thread *t, struct tsim_sw_session *s)
{
	struct teesim_sw *sw = t->sw;
	uint32_t key = 0;

	pthread_mutex_lock(&sw->lock);
	/* the last call out wakes a CLOSE_SESSION waiting for the session */
	if (!--s->calls && s->wait_key) {
		key = s->wait_key;
		s->wait_key = 0;
	}
	pthread_mutex_unlock(&sw->lock);
	if (key)
		tsim_sw_wq_wakeup(t, key);
}

/*
 * A SINGLE_INSTANCE TA's instance @inst panicked: every session on it is dead and the next open
 * starts a new instance (tee_ta_manager's panicked context). Under sw->lock.
 */
static void instance_kill(struct teesim_sw *sw, struct tsim_sw_ta *ta, uint64_t inst)
{
	if (!(ta->flags & TEESIM_TA_FLAG_SINGLE_INSTANCE) || inst != ta->instance)
		return;
	for (struct tsim_sw_session *o = sw->sessions; o; o = o->next)
		if (o->ta == ta && o->instance == inst)
			o->dead = true;
	ta->instance++;
	ta->inst_sessions = 0;
}

/* Session @s of a SINGLE_INSTANCE TA is gone; its instance ends with its last. Under sw->lock. */
static void instance_put(struct tsim_sw_ta *ta, const struct tsim_sw_session *s)
{
	if ((ta->flags & TEESIM_TA_FLAG_SINGLE_INSTANCE) && s->instance == ta->instance &&
	    !--ta->inst_sessions)
		ta->instance++;
}

static bool ta_loaded(struct teesim_sw *sw, const struct tsim_sw_ta *ta)
{
	bool loaded;

	pthread_mutex_lock(&sw->lock);
	loaded = ta->loaded;
	pthread_mutex_unlock(&sw->lock);
	return loaded;
}

static void open_session(struct tsim_sw_thread *t, struct msg *m)
{
	struct teesim_sw *sw = t->sw;
	const uint64_t meta = TEESIM_OPTEE_MSG_ATTR_META | TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	struct teesim_ta_call *call = &t->call;
	struct tsim_sw_session *s = NULL;
	struct teesim_uuid uuid;
	struct tsim_sw_ta *ta;
	uint32_t res, origin = TEESIM_OPTEE_ORIGIN_TEE, id = 0;
	void *ctx = NULL;

	if (m->n < 2 || m->p[0].attr != meta || m->p[1].attr != meta ||
	    !login_ok(sw, m->p[1].u.value.c)) {
		record(t, m, 2, false);
		reply(t, m, TEESIM_OPTEE_ERROR_BAD_PARAMETERS, origin);
		goto out_session;
	}
	res = copy_in_params(t, m->p + 2, m->n - 2, 2);
	record(t, m, 2, res == TEESIM_OPTEE_SUCCESS);
	if (res) {
		reply(t, m, res, origin);
		goto out_session;
	}
	memcpy(uuid.b, &m->p[0].u.value.a, 8);
	memcpy(uuid.b + 8, &m->p[0].u.value.b, 8);
	ta = tsim_sw_ta_find(sw, &uuid);
	if (!ta) {
		res = TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND;
		goto out;
	}
	if ((ta->flags & TEESIM_TA_FLAG_NEEDS_LOAD) && !ta_loaded(sw, ta)) {
		res = tsim_sw_ta_load(t, ta);
		if (res)
			goto out;
	}
	s = tsim_calloc(sw->m, 1, sizeof(*s));
	if (!s) {
		res = TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	s->ta = ta;
	memcpy(s->client.b, &m->p[1].u.value.a, 8);
	memcpy(s->client.b + 8, &m->p[1].u.value.b, 8);
	s->login = (uint32_t) m->p[1].u.value.c;
	pthread_mutex_lock(&sw->lock);
	if ((ta->flags & TEESIM_TA_FLAG_SINGLE_SESSION) && ta->nsessions) {
		pthread_mutex_unlock(&sw->lock);
		res = TEESIM_OPTEE_ERROR_BUSY;
		goto out;
	}
	ta->nsessions++; /* reserves the TA while it opens */
	if (ta->flags & TEESIM_TA_FLAG_SINGLE_INSTANCE) {
		s->instance = ta->instance;
		ta->inst_sessions++;
	}
	pthread_mutex_unlock(&sw->lock);

	call->sess = s;
	call->panicked = false;
	res = ta->ops->open ? ta->ops->open(ta->ctx, call, &ctx) : TEESIM_OPTEE_SUCCESS;
	if (call->panicked)
		res = TEESIM_OPTEE_ERROR_TARGET_DEAD;
	else
		origin = TEESIM_OPTEE_ORIGIN_TRUSTED_APP;
	pthread_mutex_lock(&sw->lock);
	if (call->panicked) {
		instance_kill(sw, ta, s->instance);
	} else if (!res && (ta->flags & TEESIM_TA_FLAG_SINGLE_INSTANCE) &&
		   s->instance != ta->instance) {
		/* another session panicked the instance while this one opened on it */
		res = TEESIM_OPTEE_ERROR_TARGET_DEAD;
		origin = TEESIM_OPTEE_ORIGIN_TEE;
	}
	if (res) {
		instance_put(ta, s);
		if (!--ta->nsessions)
			ta->loaded = false;
	} else {
		struct tsim_sw_session **pp = &sw->sessions;

		s->ctx = ctx;
		s->id = id = sw->next_session++;
		if (!sw->next_session)
			sw->next_session = 1;
		while (*pp)
			pp = &(*pp)->next;
		*pp = s;
		sw->nsessions++;
		s = NULL;
	}
	pthread_mutex_unlock(&sw->lock);
out:
	tsim_free(sw->m, s);
	copy_out_params(t, m, 2);
	put_params(t, call->mem, SW_TA_NPARAMS);
	reply(t, m, res, origin);
out_session:
	if (!t->abort)
		tsim_sw_mem_io(t, &t->arg, TEESIM_SW_FIELD_COUNT, TEESIM_OPTEE_MSG_ARG_OFF_SESSION,
			       &id, 4, true);
	call->sess = NULL;
}

static void invoke(struct tsim_sw_thread *t, struct msg *m)
{
	struct teesim_sw *sw = t->sw;
	struct teesim_ta_call *call = &t->call;
	struct tsim_sw_session *s;
	uint32_t res, origin = TEESIM_OPTEE_ORIGIN_TEE;
	bool dead = false;

	res = copy_in_params(t, m->p, m->n, 0);
	record(t, m, 0, res == TEESIM_OPTEE_SUCCESS);
	if (res) {
		reply(t, m, res, origin);
		return;
	}
	s = session_get(sw, m->hdr.session, &dead);
	if (!s) {
		res = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	} else if (dead) {
		res = TEESIM_OPTEE_ERROR_TARGET_DEAD;
	} else {
		call->sess = s;
		call->panicked = false;
		res = s->ta->ops->invoke(s->ta->ctx, call, s->ctx, m->hdr.func);
		if (call->panicked) {
			pthread_mutex_lock(&sw->lock);
			s->dead = true;
			instance_kill(sw, s->ta, s->instance);
			pthread_mutex_unlock(&sw->lock);
			res = TEESIM_OPTEE_ERROR_TARGET_DEAD;
		} else {
			origin = TEESIM_OPTEE_ORIGIN_TRUSTED_APP;
		}
		call->sess = NULL;
	}
	if (s)
		session_put(t, s);
	copy_out_params(t, m, 0);
	put_params(t, call->mem, SW_TA_NPARAMS);
	reply(t, m, res, origin);
}

static void close_session(struct tsim_sw_thread *t, struct msg *m)
{
	struct teesim_sw *sw = t->sw;
	struct tsim_sw_session **pp, *s = NULL;
	struct teesim_ta_call *call = &t->call;
	uint32_t res = TEESIM_OPTEE_SUCCESS;

	record(t, m, 0, false);
	if (m->n) {
		reply(t, m, TEESIM_OPTEE_ERROR_BAD_PARAMETERS, TEESIM_OPTEE_ORIGIN_TEE);
		return;
	}
	pthread_mutex_lock(&sw->lock);
	for (s = sw->sessions; s; s = s->next)
		if (s->id == m->hdr.session)
			break;
	if (!s || s->closing) {
		res = TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND;
	} else if (s->calls) {
		/*
		 * OP-TEE takes the session for itself first: the close waits for the
		 * calls running in it, asleep on a wait queue that the last of them
		 * wakes (any answer to the sleep makes it look again). A call that
		 * comes meanwhile finds no session. A thread that cannot reach the
		 * normal world (teardown) leaves the session as it is: BUSY.
		 */
		const uint32_t key = sw->next_wait_key++;

		s->closing = true;
		while (s->calls) {
			bool slept;

			s->wait_key = key;
			pthread_mutex_unlock(&sw->lock);
			slept = tsim_sw_wq_sleep(t, key);
			pthread_mutex_lock(&sw->lock);
			if (!slept)
				break;
		}
		s->wait_key = 0;
		s->closing = false;
		if (s->calls)
			res = TEESIM_OPTEE_ERROR_BUSY;
	}
	if (!res) {
		for (pp = &sw->sessions; *pp != s; pp = &(*pp)->next)
			;
		*pp = s->next;
		sw->nsessions--;
	}
	pthread_mutex_unlock(&sw->lock);
	if (!res) {
		memset(call->params, 0, sizeof(call->params));
		memset(call->mem, 0, sizeof(call->mem));
		call->sess = s;
		if (!s->dead && s->ta->ops->close)
			s->ta->ops->close(s->ta->ctx, call, s->ctx);
		call->sess = NULL;
		pthread_mutex_lock(&sw->lock);
		instance_put(s->ta, s);
		if (!--s->ta->nsessions)
			s->ta->loaded = false;
		pthread_mutex_unlock(&sw->lock);
		tsim_free(sw->m, s);
	}
	reply(t, m, res, TEESIM_OPTEE_ORIGIN_TEE);
}

static void cancel(struct tsim_sw_thread *t, struct msg *m)
{
	struct teesim_sw *sw = t->sw;
	struct tsim_sw_session *s;
	uint32_t res = TEESIM_OPTEE_SUCCESS;

	record(t, m, 0, false);
	if (m->n) {
		reply(t, m, TEESIM_OPTEE_ERROR_BAD_PARAMETERS, TEESIM_OPTEE_ORIGIN_TEE);
		return;
	}
	pthread_mutex_lock(&sw->lock);
	for (s = sw->sessions; s; s = s->next)
		if (s->id == m->hdr.session)
			break;
	if (s)
		s->cancel = true;
	else
		res = TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND;
	pthread_mutex_unlock(&sw->lock);
	reply(t, m, res, TEESIM_OPTEE_ORIGIN_TEE);
}

static void register_shm(struct tsim_sw_thread *t, struct msg *m)
{
	const uint64_t want =
	    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
	uint32_t res = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;

	record(t, m, 0, false);
	if (m->n == 1 && m->p[0].attr == want)
		res = tsim_sw_register_shm(t, m->p[0].u.tmem.buf_ptr, m->p[0].u.tmem.size,
					   m->p[0].u.tmem.shm_ref);
	reply(t, m, res, TEESIM_OPTEE_ORIGIN_TEE);
}

static void unregister_shm(struct tsim_sw_thread *t, struct msg *m)
{
	uint32_t res = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;

	record(t, m, 0, false);
	/* only the cookie is looked at, not the attribute */
	if (m->n == 1)
		res = tsim_sw_unregister_shm(t, m->p[0].u.rmem.shm_ref);
	reply(t, m, res, TEESIM_OPTEE_ORIGIN_TEE);
}

/* ---- where the argument is ---- */

/* Locate and read the header; fills t->arg and m->hdr / m->n. Returns an SMC code. */
static uint32_t locate_arg(struct tsim_sw_thread *t, struct msg *m, struct tsim_sw_mobj **regd)
{
	struct teesim_sw *sw = t->sw;
	const uint64_t hdr = sizeof(struct tsim_sw_msg_hdr);
	const uint64_t rpc =
	    t->fid == TEESIM_OPTEE_SMC_CALL_WITH_ARG ? 0 : TEESIM_OPTEE_RPC_ARG_SIZE;
	const uint64_t pa = ((uint64_t) t->in_a1 << 32) | t->in_a2;
	uint64_t size, limit;
	bool pool = false;

	memset(&t->arg, 0, sizeof(t->arg));
	if (t->fid == TEESIM_OPTEE_SMC_CALL_WITH_REGD_ARG) {
		struct tsim_sw_mobj *mo = tsim_sw_mobj_get(sw, pa);

		if (!mo)
			return TEESIM_OPTEE_SMC_RETURN_EBADADDR;
		*regd = mo;
		if ((t->in_a3 & 7) || t->in_a3 + hdr > mo->size)
			return TEESIM_OPTEE_SMC_RETURN_EBADADDR;
		tsim_sw_mem_from_mobj(&t->arg, mo, t->in_a3, mo->size - t->in_a3);
		limit = t->arg.size;
	} else if (tsim_sw_in_pool(sw, pa, hdr)) {
		if (pa & 7)
			return TEESIM_OPTEE_SMC_RETURN_EBADADDR;
		pool = true;
		t->arg.base = pa;
		t->arg.size = sw->shm_base + sw->shm_size - pa;
		limit = t->arg.size;
	} else {
		/* dynamic shm: one page of non-secure RAM */
		if (!(sw->cfg.sec_caps & TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM) ||
		    (pa & SW_PAGE_MASK) || !tsim_sw_is_ns(sw, pa, SW_PAGE))
			return TEESIM_OPTEE_SMC_RETURN_EBADADDR;
		t->arg.base = pa;
		t->arg.size = SW_PAGE;
		limit = SW_PAGE;
	}
	if (tsim_sw_mem_io(t, &t->arg, TEESIM_SW_FIELD_ARG, 0, &m->hdr, hdr, false))
		return TEESIM_OPTEE_SMC_RETURN_EBADADDR;
	m->n = m->hdr.num_params;
	/* 3.0 bounded the static-pool path only by the pool itself */
	if ((head(sw) || !pool) && m->n > TEESIM_OPTEE_MSG_MAX_NUM_PARAMS)
		return TEESIM_OPTEE_SMC_RETURN_EBADADDR;
	size = TEESIM_OPTEE_MSG_GET_ARG_SIZE((uint64_t) m->n) + rpc;
	if (size > limit)
		return TEESIM_OPTEE_SMC_RETURN_EBADADDR;
	t->arg.size = size - rpc;
	if (rpc) {
		if (t->rpc_arg_valid) {
			t->saved_valid = true;
			t->saved_arg = t->rpc_arg;
			t->saved_cookie = t->rpc_arg_cookie;
		}
		t->rpc_arg = t->arg;
		if (t->rpc_arg.pages)
			t->rpc_arg.start += size - rpc;
		else
			t->rpc_arg.base += size - rpc;
		t->rpc_arg.size = rpc;
		t->rpc_arg.mobj = NULL;
		t->rpc_arg_valid = true;
		t->rpc_arg_from_call = true;
		t->rpc_arg_cookie = 0;
	}
	return TEESIM_OPTEE_SMC_RETURN_OK;
}

uint32_t tsim_sw_handle_msg(struct tsim_sw_thread *t)
{
	struct teesim_sw *sw = t->sw;
	struct tsim_sw_mobj *regd = NULL;
	const bool dyn = sw->cfg.sec_caps & TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
	struct msg m;
	uint32_t a0;

	a0 = locate_arg(t, &m, &regd);
	if (a0)
		goto out;
	switch (m.hdr.cmd) {
	case TEESIM_OPTEE_MSG_CMD_OPEN_SESSION:
	case TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND:
	case TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION:
	case TEESIM_OPTEE_MSG_CMD_CANCEL:
		break;
	case TEESIM_OPTEE_MSG_CMD_REGISTER_SHM:
	case TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM:
		if (dyn)
			break;
		/* fall through */
	default:
		a0 = TEESIM_OPTEE_SMC_RETURN_EBADCMD;
		goto out;
	}
	/* the params are fetched once, when there is room for them: a longer
	 * message is refused by the command without reading them */
	if (m.n <= SW_NPARAMS && m.n &&
	    tsim_sw_mem_io(t, &t->arg, TEESIM_SW_FIELD_ARG, TEESIM_OPTEE_MSG_ARG_OFF_PARAMS, m.p,
			   m.n * sizeof(m.p[0]), false)) {
		a0 = TEESIM_OPTEE_SMC_RETURN_EBADADDR;
		goto out;
	}
	if (m.n > SW_NPARAMS)
		memset(m.p, 0, sizeof(m.p));
	switch (m.hdr.cmd) {
	case TEESIM_OPTEE_MSG_CMD_OPEN_SESSION:
		open_session(t, &m);
		break;
	case TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND:
		invoke(t, &m);
		break;
	case TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION:
		close_session(t, &m);
		break;
	case TEESIM_OPTEE_MSG_CMD_CANCEL:
		cancel(t, &m);
		break;
	case TEESIM_OPTEE_MSG_CMD_REGISTER_SHM:
		register_shm(t, &m);
		break;
	default:
		unregister_shm(t, &m);
		break;
	}
	if (m.hdr.ret)
		atomic_fetch_add_explicit(&sw->rejected, 1, memory_order_relaxed);
	t->req.ret = m.hdr.ret;
	t->req.ret_origin = m.hdr.ret_origin;
out:
	if (a0)
		atomic_fetch_add_explicit(&sw->rejected, 1, memory_order_relaxed);
	tsim_sw_call_end_rpc(t);
	if (regd)
		tsim_sw_mobj_put(t, regd);
	return a0;
}
