/* SPDX-License-Identifier: MIT */
/*
 * The OP-TEE driver's probe, remove and kexec-like restart, its device ops
 * and observation (drivers/tee/optee/core.c, smc_abi.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/guest.h>
#include <teesim/machine.h>

#include "optee/optee_private.h"

/* The static pool's private part with the v4.16 layout: OPTEE_SHM_NUM_PRIV_PAGES. */
#define OPTEE_SHM_NUM_PRIV_PAGES 1u

void teesim_optee_cfg_default(struct teesim_optee_cfg *cfg, enum teesim_optee_drv_gen gen)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->gen = gen;
	cfg->dynamic_shm = true;
	cfg->rpc_arg = true;
	cfg->memref_null = true;
	cfg->shm_cache = true;
	cfg->priv_pages = OPTEE_SHM_NUM_PRIV_PAGES;
}

/*
 * model: the SMC conduit (optee->smc.invoke_fn). A driver being kexec'd
 * issues nothing: its (modelled) cleanup gets ENOTAVAIL, as if the call
 * never happened, and only drops its local state.
 */
void optee_smccc(struct optee *optee, struct teesim_smc_regs *regs)
{
	if (atomic_load_explicit(&optee->kexec, memory_order_relaxed)) {
		regs->a[0] = TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL;
		return;
	}
	teesim_smc_call(optee->m, optee->g, regs);
}

static void fast_call(struct optee *optee, uint32_t fn, uint32_t a1, struct teesim_smc_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->a[0] = fn;
	r->a[1] = a1;
	optee_smccc(optee, r);
}

/* optee_get_version */
static void optee_get_version(struct tee_device *teedev, struct tee_ioctl_version_data *vers)
{
	struct optee *optee = tee_get_drvdata(teedev);

	memset(vers, 0, sizeof(*vers));
	vers->impl_id = TEE_IMPL_ID_OPTEE;
	vers->impl_caps = TEE_OPTEE_CAP_TZ;
	vers->gen_caps = TEE_GEN_CAP_GP;
	if (optee->sec_caps & TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM)
		vers->gen_caps |= TEE_GEN_CAP_REG_MEM;
	if (optee->cfg.gen == TEESIM_OPTEE_DRV_LATER && optee->cfg.memref_null &&
	    (optee->sec_caps & TEESIM_OPTEE_SMC_SEC_CAP_MEMREF_NULL))
		vers->gen_caps |= TEE_GEN_CAP_MEMREF_NULL;
}

/* The per-context session list (struct optee_context_data) lives in optee_call.c. */
struct optee_context_data;
struct optee_context_data *optee_ctxdata_new(struct teesim_machine *m);
void optee_ctxdata_free(struct optee_context_data *d);

/* optee_open */
static int optee_open(struct tee_context *ctx)
{
	struct optee *optee = tee_get_drvdata(ctx->teedev);
	struct optee_context_data *d = optee_ctxdata_new(optee->m);
	int rc = 0;

	if (!d)
		return -ENOMEM;
	if (ctx->teedev == optee->supp_teedev) {
		pthread_mutex_lock(&optee->supp.mutex);
		if (optee->supp.ctx)
			rc = -EBUSY; /* one supplicant at a time */
		else
			optee->supp.ctx = ctx;
		pthread_mutex_unlock(&optee->supp.mutex);
	}
	if (rc) {
		optee_ctxdata_free(d);
		return rc;
	}
	ctx->data = d;
	ctx->cap_memref_null = optee->cfg.gen == TEESIM_OPTEE_DRV_LATER && optee->cfg.memref_null &&
			       (optee->sec_caps & TEESIM_OPTEE_SMC_SEC_CAP_MEMREF_NULL);
	return 0;
}

/* optee_release */
static void optee_release(struct tee_context *ctx)
{
	struct optee *optee = tee_get_drvdata(ctx->teedev);

	optee_close_all_sessions(ctx);
	if (ctx->teedev == optee->supp_teedev)
		optee_supp_release(&optee->supp);
	optee_ctxdata_free(ctx->data);
	ctx->data = NULL;
}

static const struct tee_driver_ops optee_clnt_ops = {
    .get_version = optee_get_version,
    .open = optee_open,
    .release = optee_release,
    .open_session = optee_open_session,
    .close_session = optee_close_session,
    .invoke_func = optee_invoke_func,
    .cancel_req = optee_cancel_req,
    .shm_register = optee_shm_register,
    .shm_unregister = optee_shm_unregister,
};

static const struct tee_desc optee_clnt_desc = {
    .name = "optee-clnt",
    .ops = &optee_clnt_ops,
};

static const struct tee_driver_ops optee_supp_ops = {
    .get_version = optee_get_version,
    .open = optee_open,
    .release = optee_release,
    .supp_recv = optee_supp_recv,
    .supp_send = optee_supp_send,
    .shm_register = optee_shm_register_supp,
    .shm_unregister = optee_shm_unregister_supp,
};

static const struct tee_desc optee_supp_desc = {
    .name = "optee-supp",
    .ops = &optee_supp_ops,
    .flags = TEE_DESC_PRIVILEGED,
};

/* optee_msg_api_uid_is_optee_api */
static bool api_uid_is_optee(struct optee *optee)
{
	struct teesim_smc_regs r;

	fast_call(optee, TEESIM_OPTEE_SMC_CALLS_UID, 0, &r);
	return r.a[0] == TEESIM_OPTEE_MSG_UID_0 && r.a[1] == TEESIM_OPTEE_MSG_UID_1 &&
	       r.a[2] == TEESIM_OPTEE_MSG_UID_2 && r.a[3] == TEESIM_OPTEE_MSG_UID_3;
}

/* optee_msg_api_revision_is_compatible */
static bool api_revision_ok(struct optee *optee)
{
	struct teesim_smc_regs r;

	fast_call(optee, TEESIM_OPTEE_SMC_CALLS_REVISION, 0, &r);
	return r.a[0] == TEESIM_OPTEE_MSG_REVISION_MAJOR &&
	       (int32_t) r.a[1] >= (int32_t) TEESIM_OPTEE_MSG_REVISION_MINOR;
}

/* optee_msg_exchange_capabilities */
static bool exchange_caps(struct optee *optee)
{
	struct teesim_smc_regs r;

	fast_call(optee, TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES, optee->cfg.nsec_caps, &r);
	if (r.a[0] != TEESIM_OPTEE_SMC_RETURN_OK)
		return false;
	optee->sec_caps = r.a[1];
	if (optee->cfg.gen == TEESIM_OPTEE_DRV_LATER && optee->cfg.rpc_arg &&
	    (r.a[1] & TEESIM_OPTEE_SMC_SEC_CAP_RPC_ARG))
		optee->rpc_param_count = r.a[3] & 0xff;
	return true;
}

/* optee_config_shm_memremap: the reserved pool from GET_SHM_CONFIG */
static struct tee_shm_pool *config_shm_memremap(struct optee *optee, bool pages_priv)
{
	struct teesim_shm_cfg {
		uint64_t begin, end, paddr;
	} c;
	struct teesim_smc_regs r;
	struct tee_shm_pool_mem_info priv, dmabuf;
	struct tee_shm_pool_mgr *pmgr, *dmgr;
	struct tee_shm_pool *pool;
	teesim_pa_t pa;
	uint64_t size, priv_size;
	void *host;

	fast_call(optee, TEESIM_OPTEE_SMC_GET_SHM_CONFIG, 0, &r);
	if (r.a[0] != TEESIM_OPTEE_SMC_RETURN_OK || r.a[3] != TEESIM_OPTEE_SMC_SHM_CACHED)
		return NULL; /* "static shm service not available" / "only normal cached" */
	c.begin = ((uint64_t) r.a[1] + TEESIM_PAGE_SIZE - 1) & ~(uint64_t) (TEESIM_PAGE_SIZE - 1);
	c.end = ((uint64_t) r.a[1] + r.a[2]) & ~(uint64_t) (TEESIM_PAGE_SIZE - 1);
	c.paddr = c.begin;
	priv_size = pages_priv ? 0 : (uint64_t) optee->cfg.priv_pages * TEESIM_PAGE_SIZE;
	if (c.end <= c.begin || c.end - c.begin < 2 * TEESIM_PAGE_SIZE ||
	    c.end - c.begin <= priv_size)
		return NULL; /* "too small shared memory area" */
	/* memremap: the carve-out's host mapping */
	if (teesim_machine_static_shm(optee->m, &pa, &size, &host) || c.begin < pa ||
	    c.end > pa + size)
		return NULL;
	host = (char *) host + (c.begin - pa);
	dmabuf.vaddr = (char *) host + priv_size;
	dmabuf.paddr = c.paddr + priv_size;
	dmabuf.size = c.end - c.begin - priv_size;
	dmgr =
	    tee_shm_pool_mgr_alloc_res_mem(optee->m, dmabuf.vaddr, dmabuf.paddr, dmabuf.size, 12);
	if (!dmgr)
		return NULL;
	if (pages_priv) {
		pmgr = optee_shm_pool_alloc_pages(optee->g, false);
		optee->page_mgr_priv = pmgr;
	} else {
		priv.vaddr = host;
		priv.paddr = c.paddr;
		priv.size = priv_size;
		pmgr =
		    tee_shm_pool_mgr_alloc_res_mem(optee->m, priv.vaddr, priv.paddr, priv.size, 3);
	}
	if (!pmgr)
		goto err_dmgr;
	pool = tee_shm_pool_alloc(optee->m, pmgr, dmgr);
	if (!pool)
		goto err_pmgr;
	return pool;

err_pmgr:
	tee_shm_pool_mgr_destroy(pmgr);
	optee->page_mgr_priv = NULL;
err_dmgr:
	tee_shm_pool_mgr_destroy(dmgr);
	return NULL;
}

/* optee_shm_pool_alloc_pages for both managers (the later driver's dynamic pool) */
static struct tee_shm_pool *pages_pool(struct optee *optee)
{
	struct tee_shm_pool_mgr *pmgr = optee_shm_pool_alloc_pages(optee->g, false);
	struct tee_shm_pool_mgr *dmgr = optee_shm_pool_alloc_pages(optee->g, true);
	struct tee_shm_pool *pool = pmgr && dmgr ? tee_shm_pool_alloc(optee->m, pmgr, dmgr) : NULL;

	if (!pool) {
		tee_shm_pool_mgr_destroy(pmgr);
		tee_shm_pool_mgr_destroy(dmgr);
		return NULL;
	}
	optee->page_mgr_priv = pmgr;
	optee->page_mgr_dma = dmgr;
	return pool;
}

/* Choose the pools as the configured generation does; NULL: probe fails. */
static struct tee_shm_pool *choose_pool(struct optee *optee)
{
	bool dyn =
	    optee->cfg.dynamic_shm && (optee->sec_caps & TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM);
	bool res = optee->sec_caps & TEESIM_OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM;
	struct tee_shm_pool *pool;

	if (optee->cfg.gen == TEESIM_OPTEE_DRV_V4_16) {
		if (!res)
			return NULL; /* "dynamic shared memory is not supported" without reserved */
		pool = config_shm_memremap(optee, dyn);
		optee->pool_kind = dyn ? TEESIM_OPTEE_POOL_PAGES_PRIV : TEESIM_OPTEE_POOL_STATIC;
		return pool;
	}
	if (dyn) {
		pool = pages_pool(optee);
		optee->pool_kind = TEESIM_OPTEE_POOL_PAGES;
		if (pool)
			return pool;
	}
	if (!res)
		return NULL;
	optee->pool_kind = TEESIM_OPTEE_POOL_STATIC;
	return config_shm_memremap(optee, false);
}

/* optee_disable_unmapped_shm_cache: forget cookies a previous kernel left */
static void disable_unmapped_shm_cache(struct optee *optee)
{
	struct teesim_smc_regs r;

	for (unsigned i = 0; i < 1024; i++) {
		fast_call(optee, TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE, 0, &r);
		if (r.a[0] != TEESIM_OPTEE_SMC_RETURN_OK)
			break; /* ENOTAVAIL: empty; EBUSY: threads still busy, nothing to do */
		optee->cache_dropped++;
	}
}

/* optee_disable_shm_cache: hand back every cached RPC argument and free it */
static void disable_shm_cache(struct optee *optee)
{
	struct teesim_smc_regs r;

	for (unsigned i = 0; i < 1024; i++) {
		struct tee_shm *shm;

		fast_call(optee, TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE, 0, &r);
		if (r.a[0] != TEESIM_OPTEE_SMC_RETURN_OK)
			break;
		shm = optee_rpc_shm_take(optee, reg_pair_to_u64(r.a[1], r.a[2]), NULL);
		if (shm)
			tee_shm_free(shm);
		else
			atomic_fetch_add(&optee->bad_cookies, 1);
	}
}

static void optee_free_struct(struct optee *optee)
{
	optee_free_pages_list(&optee->small_pl);
	optee_supp_uninit(&optee->supp);
	optee_cq_destroy(&optee->cq);
	pthread_mutex_destroy(&optee->wq_mutex);
	pthread_mutex_destroy(&optee->lock);
	tsim_free(optee->m, optee);
}

/* optee_probe */
struct teesim_optee *teesim_optee_probe(struct teesim_machine *m,
					const struct teesim_optee_cfg *cfg)
{
	struct optee *optee;
	struct tee_device *teedev;
	struct teesim_smc_regs r;
	int err = EINVAL;

	if (!m) {
		errno = EINVAL;
		return NULL;
	}
	optee = tsim_calloc(m, 1, sizeof(*optee));
	if (!optee) {
		errno = ENOMEM;
		return NULL;
	}
	if (cfg)
		optee->cfg = *cfg;
	else
		teesim_optee_cfg_default(&optee->cfg, TEESIM_OPTEE_DRV_LATER);
	if (!optee->cfg.priv_pages)
		optee->cfg.priv_pages = OPTEE_SHM_NUM_PRIV_PAGES;
	optee->m = m;
	optee->g = optee->cfg.guest ? optee->cfg.guest : teesim_machine_guest(m, 0);
	pthread_mutex_init(&optee->lock, NULL);
	pthread_mutex_init(&optee->wq_mutex, NULL);
	optee_cq_init(&optee->cq);
	optee_supp_init(&optee->supp);
	if (!optee->g) {
		err = ENODEV;
		goto err_free;
	}
	if (!api_uid_is_optee(optee) || !api_revision_ok(optee))
		goto err_free;
	fast_call(optee, TEESIM_OPTEE_SMC_CALL_GET_OS_REVISION, 0, &r);
	optee->os_major = r.a[0];
	optee->os_minor = r.a[1];
	if (!exchange_caps(optee))
		goto err_free;
	errno = 0;
	optee->pool = choose_pool(optee);
	if (!optee->pool) {
		/* as the kernel's PTR_ERR(pool): out of memory is not a bad configuration */
		err = errno == ENOMEM ? ENOMEM : EINVAL;
		goto err_free;
	}

	teedev = tee_device_alloc(&optee_clnt_desc, optee->g, optee->pool, optee);
	if (IS_ERR(teedev)) {
		err = (int) -PTR_ERR(teedev);
		goto err_pool;
	}
	optee->teedev = teedev;
	teedev = tee_device_alloc(&optee_supp_desc, optee->g, optee->pool, optee);
	if (IS_ERR(teedev)) {
		err = (int) -PTR_ERR(teedev);
		goto err_unreg_teedev;
	}
	optee->supp_teedev = teedev;
	err = -tee_device_register(optee->teedev);
	if (err)
		goto err_unreg_supp;
	err = -tee_device_register(optee->supp_teedev);
	if (err)
		goto err_unreg_supp;

	if (optee->cfg.gen == TEESIM_OPTEE_DRV_LATER)
		disable_unmapped_shm_cache(optee);
	if (optee->cfg.shm_cache && optee->rpc_param_count == 0) {
		fast_call(optee, TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE, 0, &r);
		optee->shm_cache_on = r.a[0] == TEESIM_OPTEE_SMC_RETURN_OK;
	}
	optee_check_register(optee);
	return (struct teesim_optee *) optee;

err_unreg_supp:
	tee_device_unregister(optee->supp_teedev);
err_unreg_teedev:
	tee_device_unregister(optee->teedev);
err_pool:
	tee_shm_pool_free(optee->pool);
err_free:
	optee_free_struct(optee);
	errno = err;
	return NULL;
}

static void optee_teardown(struct optee *optee, bool tell_secure_world)
{
	optee_check_unregister(optee);
	if (tell_secure_world && optee->shm_cache_on)
		disable_shm_cache(optee);
	/* what is left is forgotten locally: a new kernel knows nothing of it */
	optee_arg_cache_uninit(optee);
	optee_rpc_shm_drop_all(optee);
	tee_device_unregister(optee->supp_teedev);
	tee_device_unregister(optee->teedev);
	optee_wait_queue_exit(optee);
	tee_shm_pool_free(optee->pool);
	optee_free_struct(optee);
}

void teesim_optee_remove(struct teesim_optee *drv)
{
	if (drv)
		optee_teardown((struct optee *) drv, true);
}

struct teesim_optee *teesim_optee_restart(struct teesim_optee *drv)
{
	struct optee *optee = (struct optee *) drv;
	struct teesim_optee_cfg cfg;
	struct teesim_machine *m;

	if (!drv) {
		errno = EINVAL;
		return NULL;
	}
	cfg = optee->cfg;
	m = optee->m;
	/*
	 * The new kernel starts from nothing: the old one's user space, its
	 * contexts, shms and pins vanish and the old driver sends nothing more.
	 * The model runs the normal world's cleanup with the conduit cut, so
	 * host memory and pins are given back while the secure world keeps its
	 * registered objects, sessions and cached arguments.
	 */
	atomic_store(&optee->kexec, true);
	tee_guest_kexec_user(optee->g);
	optee_teardown(optee, false);
	return teesim_optee_probe(m, &cfg);
}

void teesim_optee_set_supp_hook(struct teesim_optee *drv, teesim_optee_supp_hook_fn fn, void *ctx)
{
	struct optee *optee = (struct optee *) drv;

	if (!drv)
		return;
	pthread_mutex_lock(&optee->supp.mutex);
	optee->supp_hook = fn;
	optee->supp_hook_ctx = ctx;
	pthread_mutex_unlock(&optee->supp.mutex);
}

void teesim_optee_supp_interrupt(struct teesim_optee *drv)
{
	struct optee *optee = (struct optee *) drv;

	if (!drv)
		return;
	pthread_mutex_lock(&optee->supp.mutex);
	optee->supp.interrupt_pending = true;
	pthread_cond_broadcast(&optee->supp.reqs_c);
	pthread_mutex_unlock(&optee->supp.mutex);
}

int teesim_optee_info(struct teesim_optee *drv, struct teesim_optee_info *info)
{
	struct optee *optee = (struct optee *) drv;
	struct tee_ioctl_version_data v;

	if (!drv || !info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->gen = optee->cfg.gen;
	info->pool = optee->pool_kind;
	info->sec_caps = optee->sec_caps;
	info->os_major = optee->os_major;
	info->os_minor = optee->os_minor;
	optee_get_version(optee->teedev, &v);
	info->reg_mem = v.gen_caps & TEE_GEN_CAP_REG_MEM;
	info->memref_null = v.gen_caps & TEE_GEN_CAP_MEMREF_NULL;
	info->rpc_param_count = optee->rpc_param_count;
	info->shm_cache = optee->shm_cache_on;
	info->cache_cookies_dropped = optee->cache_dropped;
	info->calls = atomic_load(&optee->calls);
	info->rpcs = atomic_load(&optee->rpcs);
	info->foreign_intrs = atomic_load(&optee->foreign_intrs);
	info->rpc_cmds = atomic_load(&optee->rpc_cmds);
	info->ethread_waits = atomic_load(&optee->ethread_waits);
	info->bad_cookies = atomic_load(&optee->bad_cookies);

	pthread_mutex_lock(&optee->cq.mutex);
	info->active_calls = optee->cq.active;
	info->call_waiters = optee->cq.waiting;
	info->max_call_waiters = optee->cq.max_waiting;
	pthread_mutex_unlock(&optee->cq.mutex);

	pthread_mutex_lock(&optee->lock);
	info->rpc_shms = optee->nrpc_shms;
	info->registered = optee->registered;
	info->arg_cache_entries = optee->arg_entries;
	info->arg_cache_in_use = optee->arg_in_use;
	info->arg_cache_hits = optee->arg_hits;
	pthread_mutex_unlock(&optee->lock);

	pthread_mutex_lock(&optee->supp.mutex);
	info->supp_attached = optee->supp.ctx != NULL;
	for (struct optee_supp_req *r = optee->supp.queue; r; r = r->next)
		info->supp_queued++;
	for (struct optee_supp_req *r = optee->supp.handed; r; r = r->next)
		info->supp_in_progress++;
	info->supp_requests = optee->supp.requests;
	info->supp_failed = optee->supp.failed;
	pthread_mutex_unlock(&optee->supp.mutex);

	pthread_mutex_lock(&optee->wq_mutex);
	for (struct optee_wq_entry *w = optee->wq; w; w = w->next)
		info->wait_queue++;
	pthread_mutex_unlock(&optee->wq_mutex);
	return 0;
}
