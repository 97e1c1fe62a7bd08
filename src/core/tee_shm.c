/* SPDX-License-Identifier: MIT */
/*
 * Shared-memory objects: the model of drivers/tee/tee_shm.c.
 *
 * Shape of v4.16 (pool buffers from the private or the dma-buf manager,
 * registered user buffers with pinned pages, the v4.16 flag values), with
 * the lifetime rules of the CVE-2021-44733 fix and its follow-ups:
 * - a shm is a plain refcount (the fd, each mapping, each lookup hold one);
 * - a user-visible shm's id is reserved in the device's table as a
 *   placeholder and published only once the shm is complete;
 * - lookup takes its reference under the device mutex and never revives a
 *   shm whose count reached zero; the put that reaches zero removes the id
 *   under that same mutex, before the shm is released;
 * - only user-visible (DMA_BUF) shms get ids ("don't assign shm id for
 *   private shms").
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tee_private.h"

static struct teesim_machine *dev_machine(const struct tee_device *teedev)
{
	return teedev->core->m;
}

static void shm_ctx_get(struct tee_shm *shm)
{
	teedev_ctx_get(shm->ctx);
	atomic_fetch_add(&shm->ctx->num_shms, 1);
}

static void shm_ctx_put(struct tee_context *ctx)
{
	atomic_fetch_sub(&ctx->num_shms, 1);
	teedev_ctx_put(ctx);
}

/*
 * The manager's alloc / free. Only a reserved-memory manager runs under the
 * core's pool lock; a driver's manager (which may call into the secure
 * world) locks for itself.
 */
static int pool_alloc(struct tee_core *core, struct tee_shm_pool_mgr *mgr, struct tee_shm *shm,
		      size_t size)
{
	bool lock = tee_shm_pool_mgr_needs_lock(mgr);
	int rc;

	if (lock)
		pthread_mutex_lock(&core->pool_lock);
	rc = mgr->ops->alloc(mgr, shm, size);
	if (lock)
		pthread_mutex_unlock(&core->pool_lock);
	return rc;
}

static void pool_free(struct tee_core *core, struct tee_shm_pool_mgr *mgr, struct tee_shm *shm)
{
	bool lock = tee_shm_pool_mgr_needs_lock(mgr);

	if (lock)
		pthread_mutex_lock(&core->pool_lock);
	mgr->ops->free(mgr, shm);
	if (lock)
		pthread_mutex_unlock(&core->pool_lock);
}

static void unpin_pages(struct tee_shm *shm, size_t n)
{
	if (!n)
		return;
	teesim_guest_unpin(shm->pin_guest, shm->pages, n);
	atomic_fetch_sub(&shm->teedev->core->npinned, (int64_t) n);
}

static void pages_free(struct tee_shm *shm)
{
	if (shm->pages != &shm->page_inline)
		tsim_free(dev_machine(shm->teedev), shm->pages);
}

/* tee_shm_release: give the memory back, then the context and device references. */
static void tee_shm_release(struct tee_device *teedev, struct tee_shm *shm)
{
	struct tee_core *core = teedev->core;

	if (shm->flags & TEE_SHM_POOL) {
		pool_free(core, shm->poolm, shm);
	} else if (shm->flags & TEE_SHM_REGISTER) {
		/* an unregister error is only logged by the kernel: the pages go anyway */
		teedev->desc->ops->shm_unregister(shm->ctx, shm);
		unpin_pages(shm, shm->num_pages);
		pages_free(shm);
	}
	if (shm->ctx)
		shm_ctx_put(shm->ctx);
	tsim_free(core->m, shm);
	atomic_fetch_sub(&core->nshms, 1);
	tee_device_put(teedev);
}

void tee_shm_put(struct tee_shm *shm)
{
	struct tee_device *teedev = shm->teedev;
	bool release = false, removed = false;

	pthread_mutex_lock(&teedev->mutex);
	if (tee_refcount_dec_and_test(dev_machine(teedev), &shm->refcount)) {
		/* remove the id before the mutex goes: a lookup never sees a zero count */
		if (shm->id >= 0)
			removed = tee_idr_remove(&teedev->idr, shm->id) == shm;
		release = true;
	}
	pthread_mutex_unlock(&teedev->mutex);
	if (!release)
		return;
	if (removed)
		tee_core_event(teedev->core, TEESIM_TEE_EV_ID_REMOVE, teedev, shm->id, shm);
	tee_core_event(teedev->core, TEESIM_TEE_EV_SHM_ZERO, teedev, shm->id, shm);
	tee_shm_release(teedev, shm);
}

void tee_shm_free(struct tee_shm *shm)
{
	tee_shm_put(shm);
}

struct tee_shm *tee_shm_get_from_id(struct tee_context *ctx, int id)
{
	struct tee_device *teedev;
	struct tee_shm *shm;

	if (!ctx)
		return ERR_PTR(-EINVAL);
	teedev = ctx->teedev;
	pthread_mutex_lock(&teedev->mutex);
	shm = id >= 0 ? tee_idr_find(&teedev->idr, id) : NULL;
	if (!shm || shm->ctx != ctx ||
	    !tee_refcount_inc_not_zero(dev_machine(teedev), &shm->refcount))
		shm = ERR_PTR(-EINVAL);
	pthread_mutex_unlock(&teedev->mutex);
	return shm;
}

static void id_publish(struct tee_device *teedev, struct tee_shm *shm)
{
	pthread_mutex_lock(&teedev->mutex);
	tee_idr_replace(&teedev->idr, shm, shm->id, NULL);
	pthread_mutex_unlock(&teedev->mutex);
	tee_core_event(teedev->core, TEESIM_TEE_EV_ID_PUBLISH, teedev, shm->id, shm);
}

static int id_reserve(struct tee_device *teedev)
{
	int id;

	pthread_mutex_lock(&teedev->mutex);
	id = tee_idr_alloc(&teedev->idr, NULL, 1, 0);
	pthread_mutex_unlock(&teedev->mutex);
	if (id >= 0)
		tee_core_event(teedev->core, TEESIM_TEE_EV_ID_RESERVE, teedev, id, NULL);
	return id;
}

static void id_unreserve(struct tee_device *teedev, int id)
{
	pthread_mutex_lock(&teedev->mutex);
	tee_idr_remove(&teedev->idr, id);
	pthread_mutex_unlock(&teedev->mutex);
	tee_core_event(teedev->core, TEESIM_TEE_EV_ID_REMOVE, teedev, id, NULL);
}

/* __tee_shm_alloc */
static struct tee_shm *shm_alloc(struct tee_context *ctx, struct tee_device *teedev, size_t size,
				 uint32_t flags)
{
	struct tee_core *core = teedev->core;
	struct tee_shm_pool_mgr *poolm;
	struct tee_shm *shm;
	long rc;

	if (ctx && ctx->teedev != teedev)
		return ERR_PTR(-EINVAL);
	if (!(flags & TEE_SHM_MAPPED) || (flags & ~(uint32_t) (TEE_SHM_MAPPED | TEE_SHM_DMA_BUF)))
		return ERR_PTR(-EINVAL);
	if (!tee_device_get(teedev))
		return ERR_PTR(-EINVAL);
	if (!teedev->pool) {
		rc = -EINVAL; /* the device is going away */
		goto err_dev_put;
	}
	shm = tsim_calloc(core->m, 1, sizeof(*shm));
	if (!shm) {
		rc = -ENOMEM;
		goto err_dev_put;
	}
	atomic_fetch_add(&core->nshms, 1);
	tee_refcount_set(&shm->refcount, 1);
	shm->flags = flags | TEE_SHM_POOL;
	shm->teedev = teedev;
	shm->ctx = ctx;
	shm->id = -1;
	/* the cookie (the kernel's shm pointer) exists before the manager sees the shm */
	shm->cookie = atomic_fetch_add(&core->next_cookie, 1) + 1;
	poolm = (flags & TEE_SHM_DMA_BUF) ? teedev->pool->dma_buf_mgr : teedev->pool->private_mgr;
	rc = pool_alloc(core, poolm, shm, size);
	if (rc)
		goto err_kfree;
	shm->poolm = poolm;
	if (flags & TEE_SHM_DMA_BUF) {
		shm->id = id_reserve(teedev);
		if (shm->id < 0) {
			rc = shm->id;
			goto err_pool_free;
		}
	}
	if (ctx)
		shm_ctx_get(shm);
	if (flags & TEE_SHM_DMA_BUF)
		id_publish(teedev, shm);
	return shm;

err_pool_free:
	pool_free(core, poolm, shm);
err_kfree:
	tsim_free(core->m, shm);
	atomic_fetch_sub(&core->nshms, 1);
err_dev_put:
	tee_device_put(teedev);
	return ERR_PTR(rc);
}

struct tee_shm *tee_shm_alloc(struct tee_context *ctx, size_t size, uint32_t flags)
{
	if (!ctx)
		return ERR_PTR(-EINVAL);
	return shm_alloc(ctx, ctx->teedev, size, flags);
}

struct tee_shm *tee_shm_priv_alloc(struct tee_device *teedev, size_t size)
{
	return shm_alloc(NULL, teedev, size, TEE_SHM_MAPPED);
}

/* register_shm_helper: pin the pages and hand them to the driver. */
static struct tee_shm *register_helper(struct tee_context *ctx, uint64_t addr, size_t length,
				       uint32_t flags, int id)
{
	struct tee_device *teedev = ctx->teedev;
	struct tee_core *core = teedev->core;
	struct teesim_guest *g;
	struct tee_shm *shm;
	uint64_t start, num_pages;
	long rc;

	if (!tee_device_get(teedev))
		return ERR_PTR(-EINVAL);
	if (!teedev->desc->ops->shm_register || !teedev->desc->ops->shm_unregister) {
		rc = -ENOTSUPP;
		goto err_dev_put;
	}
	if (!ctx->proc) {
		rc = -EFAULT; /* an in-kernel context has no user memory to pin */
		goto err_dev_put;
	}
	g = teesim_process_guest(ctx->proc);
	teedev_ctx_get(ctx);
	atomic_fetch_add(&ctx->num_shms, 1);
	shm = tsim_calloc(core->m, 1, sizeof(*shm));
	if (!shm) {
		rc = -ENOMEM;
		goto err_ctx_put;
	}
	atomic_fetch_add(&core->nshms, 1);
	tee_refcount_set(&shm->refcount, 1);
	shm->flags = flags | TEE_SHM_REGISTER;
	shm->teedev = teedev;
	shm->ctx = ctx;
	shm->id = id;
	shm->pin_guest = g;
	start = addr & ~(uint64_t) (TEESIM_PAGE_SIZE - 1);
	shm->offset = (unsigned int) (addr - start);
	shm->size = length;
	/* the cookie (the kernel's shm pointer) exists before the driver sees the shm */
	shm->cookie = atomic_fetch_add(&core->next_cookie, 1) + 1;
	/* access_ok() bounded addr + length: no overflow below */
	num_pages =
	    (addr + length + TEESIM_PAGE_SIZE - 1) / TEESIM_PAGE_SIZE - start / TEESIM_PAGE_SIZE;
	/*
	 * A zero length pins nothing (iov_iter_npages() is 0: -ENOMEM since v6.8).
	 * More pages than INT_MAX, or than the guest could ever pin, stand for the
	 * page array allocation that fails in the kernel.
	 */
	if (!length || num_pages > INT_MAX ||
	    num_pages > teesim_guest_ram_size(g) / TEESIM_PAGE_SIZE) {
		rc = -ENOMEM;
		goto err_kfree;
	}
	/* model: one page lives in the shm itself (no allocation for the common case) */
	shm->pages = num_pages == 1 ? &shm->page_inline
				    : tsim_calloc(core->m, (size_t) num_pages, sizeof(*shm->pages));
	if (!shm->pages) {
		rc = -ENOMEM;
		goto err_kfree;
	}
	rc = teesim_process_pin(ctx->proc, start, (size_t) num_pages, TEESIM_PIN_WRITE, shm->pages);
	if (rc > 0) {
		shm->num_pages = (size_t) rc;
		atomic_fetch_add(&core->npinned, rc);
	}
	if ((uint64_t) rc != num_pages) {
		if (rc >= 0)
			rc = -ENOMEM; /* partly pinned ("tee: fix register_shm_helper()") */
		goto err_put_pages;
	}
	rc = teedev->desc->ops->shm_register(ctx, shm, shm->pages, shm->num_pages, start);
	if (rc)
		goto err_put_pages;
	return shm;

err_put_pages:
	unpin_pages(shm, shm->num_pages);
	pages_free(shm);
err_kfree:
	tsim_free(core->m, shm);
	atomic_fetch_sub(&core->nshms, 1);
err_ctx_put:
	shm_ctx_put(ctx);
err_dev_put:
	tee_device_put(teedev);
	return ERR_PTR(rc);
}

struct tee_shm *tee_shm_register(struct tee_context *ctx, uint64_t addr, size_t length,
				 uint32_t flags)
{
	struct tee_device *teedev = ctx->teedev;
	struct tee_shm *shm;
	int id;

	if (flags != (TEE_SHM_DMA_BUF | TEE_SHM_USER_MAPPED))
		return ERR_PTR(-ENOTSUPP);
	/* access_ok() */
	if (addr > TEE_TASK_SIZE || length > TEE_TASK_SIZE - addr)
		return ERR_PTR(-EFAULT);
	id = id_reserve(teedev);
	if (id < 0)
		return ERR_PTR(id);
	shm = register_helper(ctx, addr, length, flags, id);
	if (IS_ERR(shm)) {
		id_unreserve(teedev, id);
		return shm;
	}
	id_publish(teedev, shm);
	return shm;
}

/* ---- accessors ---- */

int tee_shm_va2pa(struct tee_shm *shm, void *va, uint64_t *pa)
{
	if ((char *) va < (char *) shm->kaddr || (char *) va >= (char *) shm->kaddr + shm->size)
		return -EINVAL;
	return tee_shm_get_pa(shm, (size_t) ((char *) va - (char *) shm->kaddr), pa);
}

int tee_shm_pa2va(struct tee_shm *shm, uint64_t pa, void **va)
{
	if (pa < shm->paddr || pa - shm->paddr >= shm->size)
		return -EINVAL;
	if (va) {
		void *v = tee_shm_get_va(shm, (size_t) (pa - shm->paddr));

		if (IS_ERR(v))
			return (int) PTR_ERR(v);
		*va = v;
	}
	return 0;
}

void *tee_shm_get_va(struct tee_shm *shm, size_t offs)
{
	if (!(shm->flags & TEE_SHM_MAPPED) || offs >= shm->size)
		return ERR_PTR(-EINVAL);
	return (char *) shm->kaddr + offs;
}

int tee_shm_get_pa(struct tee_shm *shm, size_t offs, uint64_t *pa)
{
	if (offs >= shm->size)
		return -EINVAL;
	if (pa)
		*pa = shm->paddr + offs;
	return 0;
}

int tee_shm_get_id(const struct tee_shm *shm)
{
	return shm->id;
}

size_t tee_shm_get_size(const struct tee_shm *shm)
{
	return shm->size;
}

size_t tee_shm_get_page_offset(const struct tee_shm *shm)
{
	return shm->offset;
}

const teesim_ipa_t *tee_shm_get_pages(const struct tee_shm *shm, size_t *num_pages)
{
	if (num_pages)
		*num_pages = shm->num_pages;
	return shm->pages;
}

size_t tee_shm_get_page_count(const struct tee_shm *shm)
{
	return shm->num_pages;
}

bool tee_shm_is_registered(const struct tee_shm *shm)
{
	return (shm->flags & TEE_SHM_REGISTER) != 0;
}

uint64_t tee_shm_get_cookie(const struct tee_shm *shm)
{
	return shm->cookie;
}

/* ---- fds and mappings ---- */

int tee_shm_get_fd(struct teesim_process *p, struct tee_shm *shm)
{
	struct tee_file *f;
	int fd;

	if (shm->id < 0)
		return -EINVAL;
	/* the reference is taken before the fd exists (the 2018 use-after-free fix) */
	tee_refcount_inc(dev_machine(shm->teedev), &shm->refcount);
	f = tee_file_alloc(dev_machine(shm->teedev), TEESIM_TEE_FD_SHM);
	if (!f) {
		tee_shm_put(shm);
		return -ENOMEM;
	}
	f->shm = shm;
	fd = tee_fd_install(p, f);
	if (fd < 0)
		tee_file_put(f);
	return fd;
}

static void shm_unmap(void *cookie)
{
	struct tee_shm *shm = cookie;

	atomic_fetch_sub(&shm->teedev->core->nmaps, 1);
	tee_shm_put(shm);
}

void *tee_shm_mmap(struct teesim_process *p, struct tee_shm *shm, size_t len, unsigned prot,
		   uint64_t offset, int *err)
{
	uint64_t npages;
	void *addr;

	/* registered user memory is never mapped again through the fd */
	if ((shm->flags & TEE_SHM_USER_MAPPED) || !(shm->flags & TEE_SHM_MAPPED) || !len ||
	    (prot & ~(unsigned) (TEESIM_PROT_READ | TEESIM_PROT_WRITE)) ||
	    (offset & (TEESIM_PAGE_SIZE - 1))) {
		*err = -EINVAL;
		return NULL;
	}
	npages = (uint64_t) len / TEESIM_PAGE_SIZE + (len % TEESIM_PAGE_SIZE != 0);
	/* do_mmap(): a length that page-aligns to 0 (wraps) or past TASK_SIZE */
	if (npages > TEE_TASK_SIZE / TEESIM_PAGE_SIZE || npages > SIZE_MAX / TEESIM_PAGE_SIZE) {
		*err = -ENOMEM;
		return NULL;
	}
	if (offset / TEESIM_PAGE_SIZE + npages > shm->size / TEESIM_PAGE_SIZE) {
		*err = -EINVAL;
		return NULL;
	}
	tee_refcount_inc(dev_machine(shm->teedev), &shm->refcount);
	atomic_fetch_add(&shm->teedev->core->nmaps, 1);
	addr = (char *) shm->kaddr + offset;
	*err = tsim_process_devmap_add(p, addr, (size_t) (npages * TEESIM_PAGE_SIZE), prot,
				       shm_unmap, shm);
	if (*err) {
		shm_unmap(shm);
		return NULL;
	}
	return addr;
}

void tee_shm_fill_info(struct tee_shm *shm, struct teesim_tee_shm_info *info)
{
	info->id = shm->id;
	info->refs = tee_refcount_read(&shm->refcount);
	info->size = shm->size;
	info->flags = shm->flags;
	info->pinned_pages = shm->num_pages;
	info->page_offset = shm->offset;
	info->paddr = shm->paddr;
	info->cookie = shm->cookie;
	info->ctx_refs = shm->ctx ? tee_refcount_read(&shm->ctx->refcount.count) : 0;
}
