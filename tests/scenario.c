/* SPDX-License-Identifier: MIT */
/*
 * Scenario environment and a libteec-like client over teesim_ioctl(): what
 * optee_client's tee_client_api.c does for each TEEC_* call, at the ioctl
 * level, with every argument struct in the client process's memory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/check.h>

#include "scenario.h"

/* ------------------------------------------------------------------------ */
/* Environment */

const struct th_scenario *th_scen_find(const char *name)
{
	for (size_t i = 0; i < th_nscenarios; i++)
		if (!strcmp(th_scenarios[i].name, name))
			return &th_scenarios[i];
	return NULL;
}

int th_scen_env_init(struct th_scen_env *env, const struct th_scenario *sc)
{
	struct teesim_stack_cfg cfg;
	int rc;

	memset(env, 0, sizeof(*env));
	env->fd = -1;
	teesim_stack_cfg_default(&cfg);
	if (sc && sc->cfg)
		sc->cfg(&cfg);
	env->st = teesim_stack_new(&cfg);
	if (!env->st)
		return errno ? -errno : -ENOMEM;
	env->proc = teesim_process_new(teesim_machine_guest(env->st->machine, 0));
	if (!env->proc) {
		rc = errno ? -errno : -ENOMEM;
		goto err_stack;
	}
	env->fd = teesim_open(env->proc, "/dev/tee0", 0);
	if (env->fd < 0) {
		rc = env->fd;
		goto err_proc;
	}
	return 0;

err_proc:
	teesim_process_free(env->proc);
err_stack:
	teesim_stack_free(env->st);
	memset(env, 0, sizeof(*env));
	env->fd = -1;
	return rc;
}

unsigned th_scen_env_fini(struct th_scen_env *env, struct teesim_check_report *rep)
{
	unsigned problems = 0;

	if (!env->st)
		return 0;
	/* Freeing the process closes its fds and unmaps its memory, as exit(2). */
	teesim_process_free(env->proc);
	env->proc = NULL;
	env->fd = -1;
	problems = teesim_check_stack(env->st, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, rep);
	teesim_stack_free(env->st);
	env->st = NULL;
	return problems;
}

int th_sc_fail(struct th_scen_env *env, int err, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (env->err)
		return -1;
	env->err = err ? err : -1;
	n = snprintf(env->why, sizeof(env->why), "%s:%d: ", file, line);
	if (n < 0 || (size_t) n >= sizeof(env->why))
		return -1;
	va_start(ap, fmt);
	vsnprintf(env->why + n, sizeof(env->why) - (size_t) n, fmt, ap);
	va_end(ap);
	return -1;
}

bool th_sc_oom(int err_or_res)
{
	return err_or_res == -ENOMEM || (uint32_t) err_or_res == TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
}

/* ------------------------------------------------------------------------ */
/* Client memory */

void *th_sc_umem(struct th_scen_env *env, size_t len)
{
	return teesim_process_mmap(env->proc, len ? len : 1, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
}

void th_sc_ufree(struct th_scen_env *env, void *u, size_t len)
{
	if (u)
		teesim_process_munmap(env->proc, u, len ? len : 1);
}

int th_sc_hostbuf_new(struct th_sc_hostbuf *hb, size_t len, size_t off)
{
	size_t total = (off + len + TEESIM_PAGE_SIZE - 1) & ~(size_t) (TEESIM_PAGE_SIZE - 1);

	hb->base = aligned_alloc(TEESIM_PAGE_SIZE, total ? total : TEESIM_PAGE_SIZE);
	hb->p = NULL;
	if (!hb->base)
		return -ENOMEM;
	memset(hb->base, 0, total ? total : TEESIM_PAGE_SIZE);
	hb->p = (uint8_t *) hb->base + off;
	return 0;
}

void th_sc_hostbuf_free(struct th_sc_hostbuf *hb)
{
	free(hb->base);
	hb->base = NULL;
	hb->p = NULL;
}

/* ------------------------------------------------------------------------ */
/* Contexts */

static int ctx_caps(struct th_scen_env *env, struct th_sc_ctx *ctx)
{
	struct tee_ioctl_version_data *v = th_sc_umem(env, sizeof(*v));
	int rc;

	if (!v)
		return -ENOMEM;
	rc = teesim_ioctl(env->proc, ctx->fd, TEE_IOC_VERSION, v);
	if (!rc && !(v->gen_caps & TEE_GEN_CAP_GP))
		rc = -ENODEV;
	if (!rc) {
		ctx->reg_mem = v->gen_caps & TEE_GEN_CAP_REG_MEM;
		ctx->memref_null = v->gen_caps & TEE_GEN_CAP_MEMREF_NULL;
	}
	th_sc_ufree(env, v, sizeof(*v));
	return rc;
}

int th_sc_ctx_open(struct th_scen_env *env, struct th_sc_ctx *ctx)
{
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	ctx->fd = teesim_open(env->proc, "/dev/tee0", 0);
	if (ctx->fd < 0) {
		rc = ctx->fd;
		ctx->fd = -1;
		return rc;
	}
	rc = ctx_caps(env, ctx);
	if (rc) {
		teesim_close(env->proc, ctx->fd);
		ctx->fd = -1;
	}
	return rc;
}

int th_sc_ctx_env(struct th_scen_env *env, struct th_sc_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->fd = env->fd;
	return ctx_caps(env, ctx);
}

void th_sc_ctx_close(struct th_scen_env *env, struct th_sc_ctx *ctx)
{
	if (ctx->fd >= 0)
		teesim_close(env->proc, ctx->fd);
	ctx->fd = -1;
}

/* ------------------------------------------------------------------------ */
/* Shared memory */

void th_sc_shm_init(struct th_sc_shm *shm)
{
	memset(shm, 0, sizeof(*shm));
	shm->id = -1;
	shm->fd = -1;
}

/* TEE_IOC_SHM_REGISTER of [buf, buf + len): the shm fd, or -errno. */
static int shm_register(struct th_scen_env *env, int fd, void *buf, size_t len, int *id)
{
	struct tee_ioctl_shm_register_data *d = th_sc_umem(env, sizeof(*d));
	int rc;

	if (!d)
		return -ENOMEM;
	d->addr = (uintptr_t) buf;
	d->length = len;
	rc = teesim_ioctl(env->proc, fd, TEE_IOC_SHM_REGISTER, d);
	if (rc >= 0)
		*id = d->id;
	th_sc_ufree(env, d, sizeof(*d));
	return rc;
}

/* TEE_IOC_SHM_ALLOC of @len: the shm fd, or -errno. */
static int shm_alloc(struct th_scen_env *env, int fd, size_t len, int *id)
{
	struct tee_ioctl_shm_alloc_data *d = th_sc_umem(env, sizeof(*d));
	int rc;

	if (!d)
		return -ENOMEM;
	d->size = len;
	rc = teesim_ioctl(env->proc, fd, TEE_IOC_SHM_ALLOC, d);
	if (rc >= 0)
		*id = d->id;
	th_sc_ufree(env, d, sizeof(*d));
	return rc;
}

/* SHM_ALLOC + mmap, fd closed (the mapping holds the shm): the mapping, or NULL. */
static void *shm_alloc_map(struct th_scen_env *env, int fd, size_t len, int *id)
{
	int sfd = shm_alloc(env, fd, len, id);
	void *p;

	if (sfd < 0)
		return NULL;
	p = teesim_mmap(env->proc, sfd, len, TEESIM_PROT_READ | TEESIM_PROT_WRITE, 0);
	teesim_close(env->proc, sfd);
	if (!p)
		*id = -1;
	return p;
}

static bool shm_flags_ok(unsigned flags)
{
	return flags && !(flags & ~(TH_SC_MEM_INPUT | TH_SC_MEM_OUTPUT));
}

uint32_t th_sc_shm_register(struct th_scen_env *env, struct th_sc_ctx *ctx, struct th_sc_shm *shm,
			    void *buf, size_t size, unsigned flags)
{
	size_t s = size ? size : 8;
	int sfd;

	th_sc_shm_init(shm);
	shm->buffer = buf;
	shm->size = size;
	shm->flags = flags;
	if (!shm_flags_ok(flags) || !buf)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (ctx->reg_mem) {
		sfd = shm_register(env, ctx->fd, buf, s, &shm->id);
		if (sfd >= 0) {
			shm->fd = sfd;
			goto out;
		}
		/* Refused (read-only memory, ...): a page-aligned shadow buffer instead. */
		shm->shadow = th_sc_umem(env, s);
		if (!shm->shadow)
			return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
		shm->shadow_own = true;
		sfd = shm_register(env, ctx->fd, shm->shadow, s, &shm->id);
		if (sfd < 0) {
			th_sc_ufree(env, shm->shadow, s);
			shm->shadow = NULL;
			shm->id = -1;
			return sfd == -ENOMEM ? TEESIM_OPTEE_ERROR_OUT_OF_MEMORY
					      : TEESIM_OPTEE_ERROR_GENERIC;
		}
		shm->fd = sfd;
	} else {
		shm->shadow = shm_alloc_map(env, ctx->fd, s, &shm->id);
		if (!shm->shadow) {
			shm->id = -1;
			return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
		}
	}
out:
	shm->alloced = s;
	return 0;
}

uint32_t th_sc_shm_alloc(struct th_scen_env *env, struct th_sc_ctx *ctx, struct th_sc_shm *shm,
			 size_t size, unsigned flags)
{
	size_t s = size ? size : 8;
	int sfd;

	th_sc_shm_init(shm);
	shm->size = size;
	shm->flags = flags;
	if (!shm_flags_ok(flags))
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (ctx->reg_mem) {
		shm->buffer = th_sc_umem(env, s);
		if (!shm->buffer)
			return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
		sfd = shm_register(env, ctx->fd, shm->buffer, s, &shm->id);
		if (sfd < 0) {
			th_sc_ufree(env, shm->buffer, s);
			shm->buffer = NULL;
			shm->id = -1;
			return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
		}
		shm->fd = sfd;
		shm->own = true;
	} else {
		shm->buffer = shm_alloc_map(env, ctx->fd, s, &shm->id);
		if (!shm->buffer) {
			shm->id = -1;
			return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
		}
	}
	shm->alloced = s;
	return 0;
}

void th_sc_shm_release(struct th_scen_env *env, struct th_sc_shm *shm)
{
	if (!shm || shm->id == -1)
		return;
	if (shm->shadow) {
		if (shm->fd >= 0) {
			if (shm->shadow_own)
				th_sc_ufree(env, shm->shadow, shm->alloced);
			teesim_close(env->proc, shm->fd);
		} else {
			teesim_munmap(env->proc, shm->shadow, shm->alloced);
		}
	} else if (shm->buffer) {
		if (shm->fd >= 0) {
			if (shm->own)
				th_sc_ufree(env, shm->buffer, shm->alloced);
			teesim_close(env->proc, shm->fd);
		} else {
			teesim_munmap(env->proc, shm->buffer, shm->alloced);
		}
	} else if (shm->fd >= 0) {
		teesim_close(env->proc, shm->fd);
	}
	th_sc_shm_init(shm);
}

/* ------------------------------------------------------------------------ */
/* Operations */

uint32_t th_sc_errno_res(int err)
{
	switch (err) {
	case -ENOMEM:
		return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
	case -EINVAL:
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	default:
		return TEESIM_OPTEE_ERROR_GENERIC;
	}
}

static uint32_t pre_tmpref(struct th_scen_env *env, struct th_sc_ctx *ctx, struct th_sc_param *p,
			   struct tee_ioctl_param *ip, struct th_sc_shm *shm)
{
	static const unsigned flags[] = {
	    [TH_SC_TEMP_INPUT] = TH_SC_MEM_INPUT,
	    [TH_SC_TEMP_OUTPUT] = TH_SC_MEM_OUTPUT,
	    [TH_SC_TEMP_INOUT] = TH_SC_MEM_INPUT | TH_SC_MEM_OUTPUT,
	};
	uint32_t res;

	ip->attr = p->type; /* TEMP_* share their values with MEMREF_* */
	if (!p->buffer) {
		if (p->size)
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		if (ctx->memref_null) {
			ip->c = TEE_MEMREF_NULL;
		} else {
			res = th_sc_shm_alloc(env, ctx, shm, 0, flags[p->type]);
			if (res)
				return res;
			ip->c = (uint64_t) shm->id;
		}
	} else {
		res = th_sc_shm_register(env, ctx, shm, p->buffer, p->size, flags[p->type]);
		if (res)
			return res;
		if (shm->shadow)
			memcpy(shm->shadow, p->buffer, p->size);
		ip->c = (uint64_t) shm->id;
	}
	ip->b = p->size;
	return 0;
}

static uint32_t pre_whole(struct th_sc_param *p, struct tee_ioctl_param *ip)
{
	const unsigned inout = TH_SC_MEM_INPUT | TH_SC_MEM_OUTPUT;
	struct th_sc_shm *shm = p->shm;
	unsigned f;

	if (!shm)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	f = shm->flags & inout;
	if (f == inout)
		ip->attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT;
	else if (f & TH_SC_MEM_INPUT)
		ip->attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT;
	else if (f & TH_SC_MEM_OUTPUT)
		ip->attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT;
	else
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (shm->shadow && (f & TH_SC_MEM_INPUT))
		memcpy(shm->shadow, shm->buffer, shm->size);
	ip->c = (uint64_t) shm->id;
	ip->b = shm->size;
	return 0;
}

static uint32_t pre_partial(struct th_sc_param *p, struct tee_ioctl_param *ip)
{
	struct th_sc_shm *shm = p->shm;
	unsigned need;

	switch (p->type) {
	case TH_SC_PARTIAL_INPUT:
		need = TH_SC_MEM_INPUT;
		break;
	case TH_SC_PARTIAL_OUTPUT:
		need = TH_SC_MEM_OUTPUT;
		break;
	default:
		need = TH_SC_MEM_INPUT | TH_SC_MEM_OUTPUT;
		break;
	}
	ip->attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT + (p->type - TH_SC_PARTIAL_INPUT);
	if (!shm || (shm->flags & need) != need)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (p->offset + p->size < p->offset || p->offset + p->size > shm->size)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (shm->shadow && p->type != TH_SC_PARTIAL_OUTPUT)
		memcpy((char *) shm->shadow + p->offset, (char *) shm->buffer + p->offset, p->size);
	ip->c = (uint64_t) shm->id;
	ip->a = p->offset;
	ip->b = p->size;
	return 0;
}

static uint32_t pre_op(struct th_scen_env *env, struct th_sc_ctx *ctx, struct th_sc_op *op,
		       struct tee_ioctl_param *ip, struct th_sc_shm *tmp)
{
	uint32_t res;

	for (unsigned n = 0; n < 4; n++)
		th_sc_shm_init(&tmp[n]);
	memset(ip, 0, 4 * sizeof(*ip));
	if (!op)
		return 0;
	for (unsigned n = 0; n < 4; n++) {
		struct th_sc_param *p = &op->p[n];

		switch (p->type) {
		case TH_SC_NONE:
			break;
		case TH_SC_VALUE_INPUT:
		case TH_SC_VALUE_OUTPUT:
		case TH_SC_VALUE_INOUT:
			ip[n].attr = p->type;
			ip[n].a = p->a;
			ip[n].b = p->b;
			break;
		case TH_SC_TEMP_INPUT:
		case TH_SC_TEMP_OUTPUT:
		case TH_SC_TEMP_INOUT:
			res = pre_tmpref(env, ctx, p, &ip[n], &tmp[n]);
			if (res)
				return res;
			break;
		case TH_SC_WHOLE:
			res = pre_whole(p, &ip[n]);
			if (res)
				return res;
			break;
		case TH_SC_PARTIAL_INPUT:
		case TH_SC_PARTIAL_OUTPUT:
		case TH_SC_PARTIAL_INOUT:
			res = pre_partial(p, &ip[n]);
			if (res)
				return res;
			break;
		default:
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		}
	}
	return 0;
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static void post_op(struct th_sc_op *op, const struct tee_ioctl_param *ip,
		    const struct th_sc_shm *tmp)
{
	if (!op)
		return;
	for (unsigned n = 0; n < 4; n++) {
		struct th_sc_param *p = &op->p[n];
		struct th_sc_shm *shm = p->shm;
		size_t out = (size_t) ip[n].b;

		switch (p->type) {
		case TH_SC_VALUE_OUTPUT:
		case TH_SC_VALUE_INOUT:
			p->a = (uint32_t) ip[n].a;
			p->b = (uint32_t) ip[n].b;
			break;
		case TH_SC_TEMP_OUTPUT:
		case TH_SC_TEMP_INOUT:
			if (p->buffer && tmp[n].shadow)
				memcpy(p->buffer, tmp[n].shadow, min_size(out, p->size));
			p->size = out;
			break;
		case TH_SC_WHOLE:
			if (shm && (shm->flags & TH_SC_MEM_OUTPUT)) {
				if (shm->shadow && out <= shm->size)
					memcpy(shm->buffer, shm->shadow, out);
				p->size = out;
			}
			break;
		case TH_SC_PARTIAL_OUTPUT:
		case TH_SC_PARTIAL_INOUT:
			if (shm && shm->shadow && out <= p->size)
				memcpy((char *) shm->buffer + p->offset,
				       (char *) shm->shadow + p->offset, out);
			p->size = out;
			break;
		default:
			break;
		}
	}
}

static void free_tmp(struct th_scen_env *env, struct th_sc_shm *tmp)
{
	for (unsigned n = 0; n < 4; n++)
		th_sc_shm_release(env, &tmp[n]);
}

/*
 * One OPEN_SESSION (@open) or INVOKE: the argument and its buf_data in the process's memory.
 * @session in/out. Returns the TEE result as libteec does.
 */
static uint32_t call(struct th_scen_env *env, struct th_sc_ctx *ctx, bool open, const uint8_t *uuid,
		     uint32_t login, uint32_t *session, uint32_t cmd, struct th_sc_op *op,
		     uint32_t *origin)
{
	size_t hdr =
	    open ? sizeof(struct tee_ioctl_open_session_arg) : sizeof(struct tee_ioctl_invoke_arg);
	size_t len = hdr + 4 * sizeof(struct tee_ioctl_param);
	struct tee_ioctl_param ip[4];
	struct th_sc_shm tmp[4];
	struct tee_ioctl_buf_data *bd = NULL;
	void *arg = NULL;
	uint32_t res, eorig = TEESIM_OPTEE_ORIGIN_API;
	int rc;

	res = pre_op(env, ctx, op, ip, tmp);
	if (res)
		goto out;
	arg = th_sc_umem(env, len);
	bd = th_sc_umem(env, sizeof(*bd));
	if (!arg || !bd) {
		res = TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
		goto out;
	}
	if (open) {
		struct tee_ioctl_open_session_arg *a = arg;

		memcpy(a->uuid, uuid, 16);
		a->clnt_login = login;
		a->num_params = 4;
		memcpy(a->params, ip, sizeof(ip));
	} else {
		struct tee_ioctl_invoke_arg *a = arg;

		a->session = *session;
		a->func = cmd;
		a->num_params = 4;
		memcpy(a->params, ip, sizeof(ip));
	}
	bd->buf_ptr = (uintptr_t) arg;
	bd->buf_len = len;
	rc = teesim_ioctl(env->proc, ctx->fd, open ? TEE_IOC_OPEN_SESSION : TEE_IOC_INVOKE, bd);
	if (op)
		op->rc = rc;
	if (rc) {
		eorig = TEESIM_OPTEE_ORIGIN_COMMS;
		res = th_sc_errno_res(rc);
		goto out;
	}
	if (open) {
		struct tee_ioctl_open_session_arg *a = arg;

		res = a->ret;
		eorig = a->ret_origin;
		if (!res)
			*session = a->session;
		memcpy(ip, a->params, sizeof(ip));
	} else {
		struct tee_ioctl_invoke_arg *a = arg;

		res = a->ret;
		eorig = a->ret_origin;
		memcpy(ip, a->params, sizeof(ip));
	}
	post_op(op, ip, tmp);
out:
	free_tmp(env, tmp);
	th_sc_ufree(env, bd, sizeof(*bd));
	th_sc_ufree(env, arg, len);
	if (origin)
		*origin = eorig;
	return res;
}

uint32_t th_sc_open(struct th_scen_env *env, struct th_sc_ctx *ctx, const char *uuid,
		    uint32_t login, struct th_sc_op *op, uint32_t *session, uint32_t *origin)
{
	struct teesim_uuid u;

	if (teesim_uuid_parse(uuid, &u)) {
		if (origin)
			*origin = TEESIM_OPTEE_ORIGIN_API;
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	}
	return call(env, ctx, true, u.b, login, session, 0, op, origin);
}

uint32_t th_sc_invoke(struct th_scen_env *env, struct th_sc_ctx *ctx, uint32_t session,
		      uint32_t cmd, struct th_sc_op *op, uint32_t *origin)
{
	return call(env, ctx, false, NULL, 0, &session, cmd, op, origin);
}

int th_sc_close(struct th_scen_env *env, struct th_sc_ctx *ctx, uint32_t session)
{
	struct tee_ioctl_close_session_arg *a = th_sc_umem(env, sizeof(*a));
	int rc;

	if (!a)
		return -ENOMEM;
	a->session = session;
	rc = teesim_ioctl(env->proc, ctx->fd, TEE_IOC_CLOSE_SESSION, a);
	th_sc_ufree(env, a, sizeof(*a));
	return rc;
}

int th_sc_cancel(struct th_scen_env *env, struct th_sc_ctx *ctx, uint32_t session)
{
	struct tee_ioctl_cancel_arg *a = th_sc_umem(env, sizeof(*a));
	int rc;

	if (!a)
		return -ENOMEM;
	a->session = session;
	a->cancel_id = 0;
	rc = teesim_ioctl(env->proc, ctx->fd, TEE_IOC_CANCEL, a);
	th_sc_ufree(env, a, sizeof(*a));
	return rc;
}

int th_sc_invoke_raw(struct th_scen_env *env, int fd, uint32_t session, uint32_t func,
		     struct tee_ioctl_param *params, uint32_t n, uint32_t *ret, uint32_t *origin)
{
	size_t len = sizeof(struct tee_ioctl_invoke_arg) + n * sizeof(struct tee_ioctl_param);
	struct tee_ioctl_invoke_arg *a = th_sc_umem(env, len);
	struct tee_ioctl_buf_data *bd = th_sc_umem(env, sizeof(*bd));
	int rc = -ENOMEM;

	if (!a || !bd)
		goto out;
	a->session = session;
	a->func = func;
	a->num_params = n;
	if (n)
		memcpy(a->params, params, n * sizeof(*params));
	bd->buf_ptr = (uintptr_t) a;
	bd->buf_len = len;
	rc = teesim_ioctl(env->proc, fd, TEE_IOC_INVOKE, bd);
	if (ret)
		*ret = a->ret;
	if (origin)
		*origin = a->ret_origin;
	if (n)
		memcpy(params, a->params, n * sizeof(*params));
out:
	th_sc_ufree(env, bd, sizeof(*bd));
	th_sc_ufree(env, a, len);
	return rc;
}

static void capture_hook(void *p, const struct teesim_sw_request *req)
{
	struct th_sc_capture *cap = p;

	if (req->cmd == cap->cmd) {
		cap->req = *req;
		cap->seen++;
	}
}

void th_sc_capture_start(struct th_scen_env *env, struct th_sc_capture *cap, uint32_t cmd)
{
	memset(cap, 0, sizeof(*cap));
	cap->cmd = cmd;
	teesim_sw_set_request_hook(env->st->sw, capture_hook, cap);
}

void th_sc_capture_stop(struct th_scen_env *env)
{
	teesim_sw_set_request_hook(env->st->sw, NULL, NULL);
}

uint64_t th_sc_shm_core_size(struct th_scen_env *env, const struct th_sc_shm *shm)
{
	struct teesim_tee_fd_info fi;
	struct teesim_tee_shm_info si;

	if (shm->fd >= 0)
		return teesim_tee_fd_info(env->proc, shm->fd, &fi) ? 0 : fi.shm.size;
	if (teesim_tee_shm_info(teesim_process_guest(env->proc), "/dev/tee0", shm->id, &si))
		return 0;
	return si.size;
}

/* ------------------------------------------------------------------------ */
/* State */

struct teesim_sw_stats th_sc_sw(struct th_scen_env *env)
{
	struct teesim_sw_stats s;

	teesim_sw_stats(env->st->sw, &s);
	return s;
}

struct teesim_tee_stats th_sc_core(struct th_scen_env *env)
{
	struct teesim_tee_stats s;

	teesim_tee_stats(env->st->machine, &s);
	return s;
}

struct teesim_optee_info th_sc_drv(struct th_scen_env *env)
{
	struct teesim_optee_info i;

	if (teesim_optee_info(env->st->drv, &i))
		memset(&i, 0, sizeof(i));
	return i;
}

void th_sc_snap(struct th_scen_env *env, struct th_sc_snap *s)
{
	teesim_machine_stats(env->st->machine, &s->m);
	if (env->st->supp) {
		struct teesim_supplicant_stats ss;

		/* the supplicant keeps its argument page once it has served (tee-supplicant's
		 * request buffer): not a page a scenario leaves behind */
		teesim_supplicant_stats(env->st->supp, &ss);
		s->m.user_pages -= ss.arg_pages;
	}
	s->core = th_sc_core(env);
	s->sw = th_sc_sw(env);
	s->drv = th_sc_drv(env);
	s->user_shms = s->core.shms - s->drv.arg_cache_entries - s->drv.rpc_shms;
}

#define BACK(field)                                                                                \
	do {                                                                                       \
		if (now.field != base->field)                                                      \
			return th_sc_fail(env, -1, __FILE__, __LINE__, "%s: %s is %llu, was %llu", \
					  what, #field, (unsigned long long) now.field,            \
					  (unsigned long long) base->field);                       \
	} while (0)

int th_sc_expect_back(struct th_scen_env *env, const struct th_sc_snap *base, const char *what)
{
	struct th_sc_snap now;

	th_sc_snap(env, &now);
	BACK(core.contexts);
	BACK(user_shms);
	BACK(core.ids);
	BACK(core.sessions);
	BACK(core.files);
	BACK(core.mappings);
	BACK(core.pinned_pages);
	BACK(sw.sessions);
	BACK(sw.shm_objects);
	BACK(sw.rpc_shm_objects);
	BACK(sw.threads_busy);
	BACK(drv.registered);
	BACK(drv.active_calls);
	BACK(drv.call_waiters);
	BACK(drv.supp_queued);
	BACK(drv.supp_in_progress);
	BACK(m.pins);
	BACK(m.host_pages);
	BACK(m.user_pages);
	BACK(m.violations);
	return 0;
}

#undef BACK

/* The host address the byte at guest-physical @ipa (or carve-out PA) lives at, or NULL. */
static void *ipa_host(struct th_scen_env *env, uint64_t ipa, bool is_pa)
{
	struct teesim_guest *g = teesim_process_guest(env->proc);
	teesim_pa_t pa = ipa;
	void *host = NULL;

	if (!is_pa && teesim_guest_ipa_to_pa(g, ipa, &pa))
		pa = ipa; /* not guest RAM: the carve-out, addressed by PA */
	if (teesim_phys_map(env->st->machine, pa, 1, TEESIM_ACC_NS, &host))
		return NULL;
	return host;
}

#define SHM_PAGES_MAX 16

int th_sc_expect_shm(struct th_scen_env *env, const struct th_sc_shm *shm, const char *what)
{
	const char *mem = shm->shadow ? shm->shadow : shm->buffer;
	uintptr_t off = (uintptr_t) mem & (TEESIM_PAGE_SIZE - 1);
	uint64_t npages = (off + shm->alloced + TEESIM_PAGE_SIZE - 1) / TEESIM_PAGE_SIZE;
	const char *page0 = mem - off;
	teesim_pa_t pas[SHM_PAGES_MAX];
	struct teesim_tee_fd_info fi;
	struct teesim_tee_shm_info si;
	long n;
	int rc;

	if (shm->id < 0 || !mem)
		return th_sc_fail(env, -1, __FILE__, __LINE__, "%s: no shm (id %d)", what, shm->id);
	if (shm->fd < 0) {
		/* A pool buffer mapped into the process: the mapping is the pool's memory. */
		rc =
		    teesim_tee_shm_info(teesim_process_guest(env->proc), "/dev/tee0", shm->id, &si);
		if (rc)
			return th_sc_fail(env, rc, __FILE__, __LINE__, "%s: shm %d unknown: %d",
					  what, shm->id, rc);
		if (si.size < shm->alloced || si.pinned_pages)
			return th_sc_fail(env, -1, __FILE__, __LINE__,
					  "%s: pool shm %d size %llu pinned %llu", what, shm->id,
					  (unsigned long long) si.size,
					  (unsigned long long) si.pinned_pages);
		if (ipa_host(env, si.paddr, false) != mem)
			return th_sc_fail(env, -1, __FILE__, __LINE__,
					  "%s: pool shm %d at %#llx is not the mapping %p", what,
					  shm->id, (unsigned long long) si.paddr,
					  (const void *) mem);
		return 0;
	}
	rc = teesim_tee_fd_info(env->proc, shm->fd, &fi);
	if (rc)
		return th_sc_fail(env, rc, __FILE__, __LINE__, "%s: shm fd %d: %d", what, shm->fd,
				  rc);
	if (fi.kind != TEESIM_TEE_FD_SHM || fi.shm.id != shm->id || fi.shm.size != shm->alloced ||
	    fi.shm.pinned_pages != npages || fi.shm.page_offset != off)
		return th_sc_fail(env, -1, __FILE__, __LINE__,
				  "%s: shm fd %d: kind %d id %d (want %d) size %llu (want %zu) "
				  "pinned %llu (want %llu) offset %u (want %zu)",
				  what, shm->fd, (int) fi.kind, fi.shm.id, shm->id,
				  (unsigned long long) fi.shm.size, shm->alloced,
				  (unsigned long long) fi.shm.pinned_pages,
				  (unsigned long long) npages, fi.shm.page_offset, (size_t) off);
	n = teesim_sw_shm_pages(env->st->sw, fi.shm.cookie, pas, SHM_PAGES_MAX);
	if (n != (long) npages)
		return th_sc_fail(env, -1, __FILE__, __LINE__,
				  "%s: secure world has %ld pages under cookie %#llx, want %llu",
				  what, n, (unsigned long long) fi.shm.cookie,
				  (unsigned long long) npages);
	for (long i = 0; i < n && i < SHM_PAGES_MAX; i++)
		if (ipa_host(env, pas[i], true) != page0 + i * TEESIM_PAGE_SIZE)
			return th_sc_fail(
			    env, -1, __FILE__, __LINE__,
			    "%s: registered page %ld (PA %#llx) is not the client's page", what, i,
			    (unsigned long long) pas[i]);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Configurations and the table */

void th_sc_cfg_static(struct teesim_stack_cfg *cfg)
{
	cfg->sw.sec_caps &= ~(uint32_t) TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
}

const struct th_scenario th_scenarios[] = {
#define TH_SC_ENTRY(name, fn, cfg) {#name, th_scen_##fn, cfg},
    TH_SC_LIST(TH_SC_ENTRY)
#undef TH_SC_ENTRY
};
const size_t th_nscenarios = sizeof(th_scenarios) / sizeof(th_scenarios[0]);
