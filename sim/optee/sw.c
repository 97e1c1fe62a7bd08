/* SPDX-License-Identifier: MIT */
/*
 * The fake OP-TEE secure world: construction, the SMC entry point, fast
 * calls, the normal-world memory accessor and observation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sw_internal.h"

#define SW_CAPS_KNOWN 0x3ffu

void teesim_sw_cfg_default(struct teesim_sw_cfg *cfg, enum teesim_optee_gen gen)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->gen = gen;
	cfg->sec_caps =
	    TEESIM_OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM | TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
	cfg->os_major = 3;
	cfg->os_minor = gen == TEESIM_OPTEE_GEN_3_0 ? 0 : 3;
	if (gen == TEESIM_OPTEE_GEN_HEAD) {
		cfg->sec_caps |=
		    TEESIM_OPTEE_SMC_SEC_CAP_MEMREF_NULL | TEESIM_OPTEE_SMC_SEC_CAP_RPC_ARG;
		cfg->os_major = 4;
		cfg->os_minor = 0;
	}
	cfg->reserved_shm = true;
	cfg->num_threads = 4;
	cfg->max_pagelist_pages = 65536;
	cfg->unreg_mode = TEESIM_SW_UNREG_BY_GEN;
	cfg->max_notif_value = 255;
	cfg->builtin_tas = true;
}

struct teesim_sw *teesim_sw_new(struct teesim_machine *m, const struct teesim_sw_cfg *cfg)
{
	const struct teesim_machine_cfg *mcfg = teesim_machine_cfg(m);
	struct teesim_sw *sw;
	int err;

	sw = tsim_calloc(m, 1, sizeof(*sw));
	if (!sw) {
		errno = ENOMEM;
		return NULL;
	}
	if (cfg)
		sw->cfg = *cfg;
	else
		teesim_sw_cfg_default(&sw->cfg, TEESIM_OPTEE_GEN_HEAD);
	err = EINVAL;
	if (sw->cfg.gen > TEESIM_OPTEE_GEN_HEAD || sw->cfg.num_threads == 0 ||
	    sw->cfg.num_threads > SW_MAX_THREADS || sw->cfg.max_pagelist_pages == 0 ||
	    sw->cfg.unreg_mode > TEESIM_SW_UNREG_BUSY || (sw->cfg.sec_caps & ~SW_CAPS_KNOWN))
		goto err_free;
	if (sw->cfg.unreg_mode == TEESIM_SW_UNREG_BY_GEN)
		sw->cfg.unreg_mode = sw->cfg.gen == TEESIM_OPTEE_GEN_3_0 ? TEESIM_SW_UNREG_FREE
									 : TEESIM_SW_UNREG_WAIT;
	sw->m = m;
	sw->ram_base = mcfg->ram_base;
	sw->ram_size = mcfg->ram_size;
	if (sw->cfg.reserved_shm) {
		if (teesim_machine_static_shm(m, &sw->shm_base, &sw->shm_size, NULL))
			goto err_free;
	} else {
		sw->cfg.sec_caps &= ~TEESIM_OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM;
	}
	sw->next_session = 1;
	sw->next_wait_key = 1;
	err = ENOMEM;
	if (pthread_mutex_init(&sw->lock, NULL))
		goto err_free;
	if (tsim_sw_threads_init(sw))
		goto err_lock;
	if (sw->cfg.builtin_tas && tsim_sw_builtin_register(sw))
		goto err_tas; /* the TAs registered before the one that failed */
	err = -teesim_smc_attach(m, teesim_sw_smc, sw);
	if (err)
		goto err_tas;
	tsim_sw_check_register(sw);
	return sw;

err_tas:
	tsim_sw_tas_fini(sw);
	tsim_sw_threads_fini(sw);
err_lock:
	pthread_mutex_destroy(&sw->lock);
err_free:
	tsim_free(m, sw);
	errno = err;
	return NULL;
}

void teesim_sw_free(struct teesim_sw *sw)
{
	if (!sw)
		return;
	tsim_sw_check_unregister(sw);
	teesim_smc_detach(sw->m);
	/* unwinds suspended threads; their calls drop sessions' and objects' refs */
	tsim_sw_threads_fini(sw);
	tsim_sw_tas_fini(sw);
	tsim_sw_mobjs_fini(sw);
	pthread_mutex_destroy(&sw->lock);
	tsim_free(sw->m, sw);
}

const struct teesim_sw_cfg *teesim_sw_config(const struct teesim_sw *sw)
{
	return &sw->cfg;
}

struct teesim_machine *teesim_sw_machine(const struct teesim_sw *sw)
{
	return sw->m;
}

void teesim_sw_inject_foreign_intr(struct teesim_sw *sw, unsigned n)
{
	atomic_fetch_add(&sw->fintr_pending, n);
}

/* ------------------------------------------------------------------------ */
/* What OP-TEE knows of the memory map */

static bool range_in(teesim_pa_t pa, uint64_t len, teesim_pa_t base, uint64_t size)
{
	return size && pa >= base && len <= size && pa - base <= size - len;
}

bool tsim_sw_in_pool(const struct teesim_sw *sw, teesim_pa_t pa, uint64_t len)
{
	return range_in(pa, len, sw->shm_base, sw->shm_size);
}

/* non-secure memory: RAM or the static pool (CORE_MEM_NON_SEC) */
bool tsim_sw_is_ns(const struct teesim_sw *sw, teesim_pa_t pa, uint64_t len)
{
	return range_in(pa, len, sw->ram_base, sw->ram_size) || tsim_sw_in_pool(sw, pa, len);
}

int tsim_sw_nw_read(struct tsim_sw_thread *t, enum teesim_sw_field field, uint64_t off,
		    teesim_pa_t pa, void *dst, size_t len)
{
	int err = teesim_phys_read(t->sw->m, pa, dst, len, TEESIM_ACC_NS);

	if (!err && t->counting) {
		uint16_t *c;
		uint64_t first, last, n;

		if (field == TEESIM_SW_FIELD_PAGE_LIST) {
			c = t->reads->list;
			n = SW_READS_LIST;
			first = off;
			last = off + len / sizeof(uint64_t);
		} else {
			c = field == TEESIM_SW_FIELD_ARG ? t->reads->arg : t->reads->rpc;
			n = field == TEESIM_SW_FIELD_ARG ? SW_READS_ARG : SW_READS_RPC;
			first = off / 4;
			last = (off + len + 3) / 4;
		}
		for (uint64_t i = first; i < last && i < n; i++)
			if (c[i] != UINT16_MAX)
				c[i]++;
	}
	return err;
}

int tsim_sw_nw_write(struct tsim_sw_thread *t, teesim_pa_t pa, const void *src, size_t len)
{
	return teesim_phys_write(t->sw->m, pa, src, len, TEESIM_ACC_NS);
}

/* ------------------------------------------------------------------------ */
/* Fast calls */

static void set_regs(struct teesim_smc_regs *r, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3)
{
	r->a[0] = a0;
	r->a[1] = a1;
	r->a[2] = a2;
	r->a[3] = a3;
}

static bool cache_free_one(struct teesim_sw *sw, uint64_t *cookie)
{
	for (unsigned i = 0; i < sw->nthreads; i++) {
		struct tsim_sw_thread *t = &sw->threads[i];

		if (t->rpc_arg_valid && !t->rpc_arg_from_call) {
			*cookie = t->rpc_arg_cookie;
			t->rpc_arg_valid = false;
			return true;
		}
	}
	return false;
}

static uint32_t calls_count(const struct teesim_sw *sw)
{
	/* UID, REVISION, OS UUID/REVISION, WITH_ARG, RETURN_FROM_RPC, SHM_CONFIG,
	 * L2CC, EXCHANGE, DISABLE/ENABLE cache, BOOT_SECONDARY */
	uint32_t n = 12;

	if (sw->cfg.sec_caps & TEESIM_OPTEE_SMC_SEC_CAP_VIRTUALIZATION)
		n += 2;
	return n;
}

static void fast_call(struct teesim_sw *sw, struct teesim_smc_regs *r)
{
	const uint32_t caps = sw->cfg.sec_caps;
	uint64_t cookie;

	atomic_fetch_add_explicit(&sw->fast_calls, 1, memory_order_relaxed);
	switch (r->a[0]) {
	case TEESIM_OPTEE_SMC_CALLS_COUNT:
		r->a[0] = calls_count(sw);
		return;
	case TEESIM_OPTEE_SMC_CALLS_UID:
		set_regs(r, TEESIM_OPTEE_MSG_UID_0, TEESIM_OPTEE_MSG_UID_1, TEESIM_OPTEE_MSG_UID_2,
			 TEESIM_OPTEE_MSG_UID_3);
		return;
	case TEESIM_OPTEE_SMC_CALLS_REVISION:
		r->a[0] = TEESIM_OPTEE_MSG_REVISION_MAJOR;
		r->a[1] = TEESIM_OPTEE_MSG_REVISION_MINOR;
		return;
	case TEESIM_OPTEE_SMC_CALL_GET_OS_UUID:
		set_regs(r, TEESIM_OPTEE_MSG_OS_OPTEE_UUID_0, TEESIM_OPTEE_MSG_OS_OPTEE_UUID_1,
			 TEESIM_OPTEE_MSG_OS_OPTEE_UUID_2, TEESIM_OPTEE_MSG_OS_OPTEE_UUID_3);
		return;
	case TEESIM_OPTEE_SMC_CALL_GET_OS_REVISION:
		r->a[0] = sw->cfg.os_major;
		r->a[1] = sw->cfg.os_minor;
		r->a[2] = sw->cfg.os_build_id;
		return;
	case TEESIM_OPTEE_SMC_GET_SHM_CONFIG:
		if (!sw->shm_size) {
			r->a[0] = TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL;
			return;
		}
		set_regs(r, TEESIM_OPTEE_SMC_RETURN_OK, (uint32_t) sw->shm_base,
			 (uint32_t) sw->shm_size, TEESIM_OPTEE_SMC_SHM_CACHED);
		return;
	case TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES:
		if (r->a[1] & ~TEESIM_OPTEE_SMC_NSEC_CAP_UNIPROCESSOR) {
			r->a[0] = TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL;
			r->a[1] = caps;
			return;
		}
		set_regs(r, TEESIM_OPTEE_SMC_RETURN_OK, caps,
			 (caps & TEESIM_OPTEE_SMC_SEC_CAP_ASYNC_NOTIF) ? sw->cfg.max_notif_value
								       : 0,
			 (caps & TEESIM_OPTEE_SMC_SEC_CAP_RPC_ARG) ? TEESIM_OPTEE_RPC_MAX_NUM_PARAMS
								   : 0);
		return;
	case TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE:
		pthread_mutex_lock(&sw->lock);
		if (!tsim_sw_all_threads_free(sw)) {
			r->a[0] = TEESIM_OPTEE_SMC_RETURN_EBUSY;
		} else {
			sw->shm_cache = true;
			r->a[0] = TEESIM_OPTEE_SMC_RETURN_OK;
		}
		pthread_mutex_unlock(&sw->lock);
		return;
	case TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE:
		pthread_mutex_lock(&sw->lock);
		if (!tsim_sw_all_threads_free(sw)) {
			r->a[0] = TEESIM_OPTEE_SMC_RETURN_EBUSY;
		} else {
			sw->shm_cache = false;
			if (cache_free_one(sw, &cookie))
				set_regs(r, TEESIM_OPTEE_SMC_RETURN_OK, (uint32_t) (cookie >> 32),
					 (uint32_t) cookie, r->a[3]);
			else
				r->a[0] = TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL;
		}
		pthread_mutex_unlock(&sw->lock);
		return;
	case TEESIM_OPTEE_SMC_GET_THREAD_COUNT:
		if (sw->cfg.gen != TEESIM_OPTEE_GEN_HEAD)
			break;
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_OK;
		r->a[1] = sw->nthreads;
		return;
	case TEESIM_OPTEE_SMC_BOOT_SECONDARY:
		/* one core: no secondary to release */
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_EBADCMD;
		return;
	case TEESIM_OPTEE_SMC_VM_CREATED:
	case TEESIM_OPTEE_SMC_VM_DESTROYED:
		if (!(caps & TEESIM_OPTEE_SMC_SEC_CAP_VIRTUALIZATION))
			break;
		/* only the hypervisor (client id 0) may say so; a new guest is never id 0 */
		if (r->a[7] || (r->a[0] == TEESIM_OPTEE_SMC_VM_CREATED && !r->a[1]))
			r->a[0] = TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL;
		else
			r->a[0] = TEESIM_OPTEE_SMC_RETURN_OK;
		return;
	default:
		break;
	}
	atomic_fetch_add_explicit(&sw->rejected, 1, memory_order_relaxed);
	r->a[0] = TEESIM_OPTEE_SMC_RETURN_UNKNOWN_FUNCTION;
}

void teesim_sw_smc(void *ctx, struct teesim_guest *from, struct teesim_smc_regs *r)
{
	struct teesim_sw *sw = ctx;
	const uint32_t fid = r->a[0];

	if (TEESIM_OPTEE_SMC_IS_FAST_CALL(fid)) {
		fast_call(sw, r);
		return;
	}
	if (fid == TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC) {
		tsim_sw_return_from_rpc(sw, from, r);
		return;
	}
	if (TEESIM_OPTEE_SMC_IS_64(fid) ||
	    TEESIM_OPTEE_SMC_OWNER_NUM(fid) != TEESIM_OPTEE_SMC_OWNER_TRUSTED_OS) {
		atomic_fetch_add_explicit(&sw->rejected, 1, memory_order_relaxed);
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_UNKNOWN_FUNCTION;
		return;
	}
	tsim_sw_std_call(sw, from, r);
}
