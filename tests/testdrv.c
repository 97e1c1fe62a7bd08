/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testdrv.h"

struct ctxdata {
	uint32_t sessions[TESTDRV_MAX_SESSIONS];
	unsigned nsessions;
};

static struct testdrv *td_of(struct tee_context *ctx)
{
	return tee_get_drvdata(ctx->teedev);
}

static void call_hook(struct testdrv *td, enum testdrv_op op, struct tee_context *ctx,
		      struct tee_param *params, uint32_t n)
{
	if (td->hook)
		td->hook(td->hook_arg, op, ctx, params, n);
}

static void get_version(struct tee_device *teedev, struct tee_ioctl_version_data *vers)
{
	struct testdrv *td = tee_get_drvdata(teedev);

	vers->impl_id = TEE_IMPL_ID_OPTEE;
	vers->impl_caps = TEE_OPTEE_CAP_TZ;
	vers->gen_caps = TEE_GEN_CAP_GP | (td->cfg.reg_mem ? TEE_GEN_CAP_REG_MEM : 0) |
			 (td->cfg.memref_null ? TEE_GEN_CAP_MEMREF_NULL : 0);
}

static int drv_open(struct tee_context *ctx)
{
	struct testdrv *td = td_of(ctx);
	struct ctxdata *cd;
	int rc = 0;

	if (td->ctx_open_rc)
		return td->ctx_open_rc;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	pthread_mutex_lock(&td->lock);
	if (ctx->teedev == td->supp_teedev) {
		if (td->supp_ctx)
			rc = -EBUSY; /* one supplicant only */
		else
			td->supp_ctx = ctx;
	}
	if (!rc)
		td->opens++;
	pthread_mutex_unlock(&td->lock);
	if (rc) {
		free(cd);
		return rc;
	}
	ctx->data = cd;
	ctx->cap_memref_null = td->cfg.memref_null;
	return 0;
}

static void drv_release(struct tee_context *ctx)
{
	struct testdrv *td = td_of(ctx);
	struct ctxdata *cd = ctx->data;

	call_hook(td, TESTDRV_RELEASE, ctx, NULL, 0);
	pthread_mutex_lock(&td->lock);
	/* the OP-TEE driver closes every session of the context here */
	while (cd->nsessions) {
		cd->nsessions--;
		td->sessions_closed++;
		td->closed_on_release++;
		tee_context_session_closed(ctx);
	}
	if (td->supp_ctx == ctx)
		td->supp_ctx = NULL;
	td->releases++;
	pthread_mutex_unlock(&td->lock);
	free(cd);
}

static void record_params(struct testdrv *td, uint32_t func, struct tee_param *params, uint32_t n)
{
	td->last_func = func;
	td->last_num_params = n;
	for (uint32_t i = 0; i < n && i < TESTDRV_MAX_PARAMS; i++) {
		td->last_params[i] = params[i];
		td->last_shm_ids[i] = tee_param_is_memref(&params[i]) && params[i].u.memref.shm
					  ? tee_shm_get_id(params[i].u.memref.shm)
					  : -1;
	}
}

/* Default answers: outputs get recognisable values. */
static void answer_params(struct testdrv *td, uint32_t func, struct tee_param *params, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct tee_param *p = &params[i];

		switch (p->attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK) {
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT:
			p->u.value.a = func;
			p->u.value.b = 0x1000 + i;
			p->u.value.c = 0x2000 + i;
			break;
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT:
			p->u.value.a++;
			p->u.value.b++;
			p->u.value.c++;
			break;
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
			if (td->memref_out_size >= 0)
				p->u.memref.size = (size_t) td->memref_out_size;
			break;
		default:
			break;
		}
	}
}

static bool has_session(struct ctxdata *cd, uint32_t s, unsigned *at)
{
	for (unsigned i = 0; i < cd->nsessions; i++) {
		if (cd->sessions[i] == s) {
			if (at)
				*at = i;
			return true;
		}
	}
	return false;
}

static int open_session(struct tee_context *ctx, struct tee_ioctl_open_session_arg *arg,
			struct tee_param *params)
{
	struct testdrv *td = td_of(ctx);
	struct ctxdata *cd = ctx->data;
	int rc;

	call_hook(td, TESTDRV_OPEN_SESSION, ctx, params, arg->num_params);
	pthread_mutex_lock(&td->lock);
	record_params(td, 0, params, arg->num_params);
	rc = td->open_rc;
	if (!rc) {
		arg->ret = td->ret;
		arg->ret_origin = td->ret_origin;
		arg->session = 0;
		if (!td->ret) {
			if (cd->nsessions == TESTDRV_MAX_SESSIONS) {
				rc = -ENOMEM;
			} else {
				arg->session = ++td->next_session;
				cd->sessions[cd->nsessions++] = arg->session;
				td->sessions_opened++;
				tee_context_session_opened(ctx);
				answer_params(td, 0, params, arg->num_params);
			}
		}
	}
	pthread_mutex_unlock(&td->lock);
	return rc;
}

static int close_session(struct tee_context *ctx, uint32_t session)
{
	struct testdrv *td = td_of(ctx);
	struct ctxdata *cd = ctx->data;
	unsigned at;
	int rc = -EINVAL;

	call_hook(td, TESTDRV_CLOSE_SESSION, ctx, NULL, 0);
	pthread_mutex_lock(&td->lock);
	if (has_session(cd, session, &at)) {
		cd->sessions[at] = cd->sessions[--cd->nsessions];
		td->sessions_closed++;
		tee_context_session_closed(ctx);
		rc = td->session_rc;
	}
	pthread_mutex_unlock(&td->lock);
	return rc;
}

static int invoke_func(struct tee_context *ctx, struct tee_ioctl_invoke_arg *arg,
		       struct tee_param *params)
{
	struct testdrv *td = td_of(ctx);
	struct ctxdata *cd = ctx->data;
	int rc = -EINVAL;

	call_hook(td, TESTDRV_INVOKE, ctx, params, arg->num_params);
	pthread_mutex_lock(&td->lock);
	if (has_session(cd, arg->session, NULL)) {
		record_params(td, arg->func, params, arg->num_params);
		td->invokes++;
		rc = td->invoke_rc;
		if (!rc) {
			arg->ret = td->ret;
			arg->ret_origin = td->ret_origin;
			answer_params(td, arg->func, params, arg->num_params);
		}
	}
	pthread_mutex_unlock(&td->lock);
	return rc;
}

static int cancel_req(struct tee_context *ctx, uint32_t cancel_id, uint32_t session)
{
	struct testdrv *td = td_of(ctx);
	int rc = -EINVAL;

	call_hook(td, TESTDRV_CANCEL, ctx, NULL, 0);
	pthread_mutex_lock(&td->lock);
	if (has_session(ctx->data, session, NULL)) {
		td->cancels++;
		td->last_cancel_id = cancel_id;
		rc = 0;
	}
	pthread_mutex_unlock(&td->lock);
	return rc;
}

static int shm_register(struct tee_context *ctx, struct tee_shm *shm, const teesim_ipa_t *pages,
			size_t num_pages, uint64_t start)
{
	struct testdrv *td = td_of(ctx);
	int rc;

	(void) pages;
	pthread_mutex_lock(&td->lock);
	rc = td->register_rc;
	if (!rc) {
		td->registered++;
		td->last_reg_pages = num_pages;
		td->last_reg_start = start;
		td->last_reg_offset = tee_shm_get_page_offset(shm);
	}
	pthread_mutex_unlock(&td->lock);
	return rc;
}

static int shm_unregister(struct tee_context *ctx, struct tee_shm *shm)
{
	struct testdrv *td = td_of(ctx);

	(void) shm;
	pthread_mutex_lock(&td->lock);
	td->unregistered++;
	pthread_mutex_unlock(&td->lock);
	return 0;
}

/* The supplicant side, after OP-TEE's supp.c (one request slot, no waiting). */
static int supp_recv(struct tee_context *ctx, uint32_t *func, uint32_t *num_params,
		     struct tee_param *params)
{
	struct testdrv *td = td_of(ctx);
	struct testdrv_supp_req *r = &td->req;
	uint32_t num_meta;
	int rc = 0;

	/* memrefs were resolved by the core: the driver drops them and refuses them */
	for (uint32_t n = 0; n < *num_params; n++)
		if (tee_param_is_memref(&params[n]) && params[n].u.memref.shm)
			tee_shm_put(params[n].u.memref.shm);
	if (!*num_params)
		return -EINVAL;
	for (uint32_t n = 0; n < *num_params; n++)
		if (params[n].attr && params[n].attr != TEE_IOCTL_PARAM_ATTR_META)
			return -EINVAL;
	num_meta = params[0].attr == TEE_IOCTL_PARAM_ATTR_META ? 1 : 0;

	pthread_mutex_lock(&td->lock);
	if (!r->posted || r->taken) {
		rc = -EAGAIN; /* the real driver waits here */
	} else if (*num_params - num_meta < r->num_params) {
		rc = -EINVAL;
	} else {
		if (num_meta) {
			params[0].attr =
			    TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT | TEE_IOCTL_PARAM_ATTR_META;
			params[0].u.value.a = r->id;
			params[0].u.value.b = 0;
			params[0].u.value.c = 0;
		}
		memcpy(params + num_meta, r->params, r->num_params * sizeof(*params));
		*func = r->func;
		*num_params = r->num_params + num_meta;
		r->taken = true;
	}
	pthread_mutex_unlock(&td->lock);
	return rc;
}

static int supp_send(struct tee_context *ctx, uint32_t ret, uint32_t num_params,
		     struct tee_param *params)
{
	struct testdrv *td = td_of(ctx);
	struct testdrv_supp_req *r = &td->req;
	uint32_t num_meta = 0;
	int rc = 0;

	pthread_mutex_lock(&td->lock);
	if (!r->taken || r->answered) {
		rc = -ENOENT;
		goto out;
	}
	if (num_params && (params[0].attr & TEE_IOCTL_PARAM_ATTR_META)) {
		if (params[0].attr !=
			(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT | TEE_IOCTL_PARAM_ATTR_META) ||
		    params[0].u.value.a != r->id) {
			rc = -EINVAL;
			goto out;
		}
		num_meta = 1;
	}
	if (num_params - num_meta != r->num_params) {
		rc = -EINVAL;
		goto out;
	}
	for (uint32_t n = 0; n < r->num_params; n++) {
		struct tee_param *p = &r->params[n];
		const struct tee_param *s = &params[n + num_meta];

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
	r->ret = ret;
	r->answered = true;
out:
	pthread_mutex_unlock(&td->lock);
	return rc;
}

static const struct tee_driver_ops clnt_ops_reg = {
    .get_version = get_version,
    .open = drv_open,
    .release = drv_release,
    .open_session = open_session,
    .close_session = close_session,
    .invoke_func = invoke_func,
    .cancel_req = cancel_req,
    .shm_register = shm_register,
    .shm_unregister = shm_unregister,
};

static const struct tee_driver_ops clnt_ops_noreg = {
    .get_version = get_version,
    .open = drv_open,
    .release = drv_release,
    .open_session = open_session,
    .close_session = close_session,
    .invoke_func = invoke_func,
    .cancel_req = cancel_req,
};

static const struct tee_driver_ops supp_ops = {
    .get_version = get_version,
    .open = drv_open,
    .release = drv_release,
    .supp_recv = supp_recv,
    .supp_send = supp_send,
    .shm_register = shm_register,
    .shm_unregister = shm_unregister,
};

static const struct tee_desc clnt_desc_reg = {"testdrv-clnt", &clnt_ops_reg, 0};
static const struct tee_desc clnt_desc_noreg = {"testdrv-clnt", &clnt_ops_noreg, 0};
static const struct tee_desc supp_desc = {"testdrv-supp", &supp_ops, TEE_DESC_PRIVILEGED};

struct testdrv *testdrv_new(struct teesim_machine *m, const struct testdrv_cfg *cfg)
{
	struct testdrv *td = calloc(1, sizeof(*td));
	struct tee_shm_pool_mem_info priv, dmabuf;
	size_t priv_pages, pool_pages;
	uint64_t pa;
	void *host;

	ck_assert_ptr_nonnull(td);
	td->m = m;
	if (cfg)
		td->cfg = *cfg;
	td->g = td->cfg.guest ? td->cfg.guest : teesim_machine_guest(m, 0);
	td->memref_out_size = -1;
	ck_assert_int_eq(pthread_mutex_init(&td->lock, NULL), 0);
	priv_pages = td->cfg.priv_pages ? td->cfg.priv_pages : 4;
	if (td->cfg.kmem_pool) {
		pool_pages = td->cfg.pool_pages ? td->cfg.pool_pages : 64;
		ck_assert_int_eq(teesim_kmem_alloc(td->g, pool_pages, TEESIM_KMEM_ZERO, &pa, &host),
				 0);
		td->kmem_ipa = pa;
		td->kmem_pages = pool_pages;
	} else {
		uint64_t size;

		ck_assert_int_eq(teesim_machine_static_shm(m, &pa, &size, &host), 0);
		pool_pages = td->cfg.pool_pages ? td->cfg.pool_pages : (size_t) (size / 4096);
	}
	ck_assert_uint_gt(pool_pages, priv_pages);
	priv = (struct tee_shm_pool_mem_info){host, pa, priv_pages * 4096};
	dmabuf = (struct tee_shm_pool_mem_info){(char *) host + priv_pages * 4096,
						pa + priv_pages * 4096,
						(pool_pages - priv_pages) * 4096};
	td->pool = tee_shm_pool_alloc_res_mem(m, &priv, &dmabuf);
	ck_assert_ptr_nonnull(td->pool);

	td->teedev = tee_device_alloc(td->cfg.reg_mem ? &clnt_desc_reg : &clnt_desc_noreg, td->g,
				      td->pool, td);
	ck_assert(!IS_ERR(td->teedev));
	ck_assert_int_eq(tee_device_register(td->teedev), 0);
	if (td->cfg.supplicant) {
		td->supp_teedev = tee_device_alloc(&supp_desc, td->g, td->pool, td);
		ck_assert(!IS_ERR(td->supp_teedev));
		ck_assert_int_eq(tee_device_register(td->supp_teedev), 0);
	}
	return td;
}

void testdrv_free(struct testdrv *td)
{
	tee_device_unregister(td->supp_teedev);
	tee_device_unregister(td->teedev);
	tee_shm_pool_free(td->pool);
	if (td->kmem_pages)
		ck_assert_int_eq(teesim_kmem_free(td->g, td->kmem_ipa, td->kmem_pages), 0);
	pthread_mutex_destroy(&td->lock);
	free(td);
}

void testdrv_supp_post(struct testdrv *td, uint32_t func, const struct tee_param *params,
		       uint32_t num_params)
{
	ck_assert_uint_le(num_params, TESTDRV_MAX_PARAMS);
	pthread_mutex_lock(&td->lock);
	memset(&td->req, 0, sizeof(td->req));
	td->req.posted = true;
	td->req.func = func;
	td->req.num_params = num_params;
	td->req.id = 1;
	if (num_params)
		memcpy(td->req.params, params, num_params * sizeof(*params));
	pthread_mutex_unlock(&td->lock);
}

unsigned testdrv_ctx_sessions(struct tee_context *ctx)
{
	struct testdrv *td = td_of(ctx);
	unsigned n;

	pthread_mutex_lock(&td->lock);
	n = ((struct ctxdata *) ctx->data)->nsessions;
	pthread_mutex_unlock(&td->lock);
	return n;
}

/* ---- helpers shared by the core suites ---- */

struct teesim_process *tproc(struct teesim_machine *m)
{
	struct teesim_process *p = teesim_process_new(teesim_machine_guest(m, 0));

	ck_assert_ptr_nonnull(p);
	return p;
}

void th_core_clean_expect(struct teesim_machine *m, uint64_t devices)
{
	struct teesim_tee_stats st;
	struct teesim_check_report *rep = malloc(sizeof(*rep));
	unsigned problems;

	ck_assert_ptr_nonnull(rep);
	problems = teesim_check_machine(m, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, rep);
	ck_assert_msg(problems == 0, "tee core: invariant check found %u problems:\n%s", problems,
		      rep->text);
	free(rep);
	teesim_tee_stats(m, &st);
	ck_assert_msg(st.devices == devices && !st.contexts && !st.shms && !st.sessions &&
			  !st.files && !st.mappings && !st.pinned_pages && !st.ids,
		      "tee core not clean: devices=%llu (expected %llu) contexts=%llu shms=%llu "
		      "sessions=%llu files=%llu mappings=%llu pinned_pages=%llu ids=%llu",
		      (unsigned long long) st.devices, (unsigned long long) devices,
		      (unsigned long long) st.contexts, (unsigned long long) st.shms,
		      (unsigned long long) st.sessions, (unsigned long long) st.files,
		      (unsigned long long) st.mappings, (unsigned long long) st.pinned_pages,
		      (unsigned long long) st.ids);
}

/* user memory for one argument buffer */
static void *umem(struct teesim_process *p, size_t len)
{
	void *u = teesim_process_mmap(p, len, TEESIM_PROT_READ | TEESIM_PROT_WRITE);

	ck_assert_ptr_nonnull(u);
	return u;
}

static void ufree(struct teesim_process *p, void *u, size_t len)
{
	ck_assert_int_eq(teesim_process_munmap(p, u, len), 0);
}

int t_version(struct teesim_process *p, int fd, struct tee_ioctl_version_data *out)
{
	struct tee_ioctl_version_data *u = umem(p, sizeof(*u));
	int rc = teesim_ioctl(p, fd, TEE_IOC_VERSION, u);

	*out = *u;
	ufree(p, u, sizeof(*u));
	return rc;
}

int t_shm_alloc(struct teesim_process *p, int fd, uint64_t size,
		struct tee_ioctl_shm_alloc_data *out)
{
	struct tee_ioctl_shm_alloc_data *u = umem(p, sizeof(*u));
	int rc;

	u->size = size;
	rc = teesim_ioctl(p, fd, TEE_IOC_SHM_ALLOC, u);
	if (out)
		*out = *u;
	ufree(p, u, sizeof(*u));
	return rc;
}

int t_shm_register(struct teesim_process *p, int fd, uint64_t addr, uint64_t len,
		   struct tee_ioctl_shm_register_data *out)
{
	struct tee_ioctl_shm_register_data *u = umem(p, sizeof(*u));
	int rc;

	u->addr = addr;
	u->length = len;
	rc = teesim_ioctl(p, fd, TEE_IOC_SHM_REGISTER, u);
	if (out)
		*out = *u;
	ufree(p, u, sizeof(*u));
	return rc;
}

int t_open_session(struct teesim_process *p, int fd, struct tee_ioctl_param *params, uint32_t n,
		   uint32_t *session, uint32_t *ret)
{
	size_t len = sizeof(struct tee_ioctl_open_session_arg) + n * sizeof(struct tee_ioctl_param);
	struct tee_ioctl_open_session_arg *a = umem(p, len);
	struct tee_ioctl_buf_data *b = umem(p, sizeof(*b));
	int rc;

	a->uuid[0] = 0x12;
	a->clnt_login = TEE_IOCTL_LOGIN_PUBLIC;
	a->num_params = n;
	if (n)
		memcpy(a->params, params, n * sizeof(*params));
	b->buf_ptr = (uintptr_t) a;
	b->buf_len = len;
	rc = teesim_ioctl(p, fd, TEE_IOC_OPEN_SESSION, b);
	if (session)
		*session = a->session;
	if (ret)
		*ret = a->ret;
	if (n)
		memcpy(params, a->params, n * sizeof(*params));
	ufree(p, b, sizeof(*b));
	ufree(p, a, len);
	return rc;
}

int t_invoke(struct teesim_process *p, int fd, uint32_t session, uint32_t func,
	     struct tee_ioctl_param *params, uint32_t n, uint32_t *ret)
{
	size_t len = sizeof(struct tee_ioctl_invoke_arg) + n * sizeof(struct tee_ioctl_param);
	struct tee_ioctl_invoke_arg *a = umem(p, len);
	struct tee_ioctl_buf_data *b = umem(p, sizeof(*b));
	int rc;

	a->func = func;
	a->session = session;
	a->num_params = n;
	if (n)
		memcpy(a->params, params, n * sizeof(*params));
	b->buf_ptr = (uintptr_t) a;
	b->buf_len = len;
	rc = teesim_ioctl(p, fd, TEE_IOC_INVOKE, b);
	if (ret)
		*ret = a->ret;
	if (n)
		memcpy(params, a->params, n * sizeof(*params));
	ufree(p, b, sizeof(*b));
	ufree(p, a, len);
	return rc;
}

int t_close_session(struct teesim_process *p, int fd, uint32_t session)
{
	struct tee_ioctl_close_session_arg *u = umem(p, sizeof(*u));
	int rc;

	u->session = session;
	rc = teesim_ioctl(p, fd, TEE_IOC_CLOSE_SESSION, u);
	ufree(p, u, sizeof(*u));
	return rc;
}

struct teesim_tee_fd_info t_fd_info(struct teesim_process *p, int fd)
{
	struct teesim_tee_fd_info info;

	ck_assert_int_eq(teesim_tee_fd_info(p, fd, &info), 0);
	return info;
}
