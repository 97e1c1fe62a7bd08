/* SPDX-License-Identifier: MIT */
/*
 * The OP-TEE-specific pool manager over kernel pages (drivers/tee/optee/
 * shm_pool.c): each allocation is a power-of-two run of zeroed pages from
 * the guest's page allocator, so buffers live anywhere in RAM, page aligned.
 *
 * A manager made with @register_user (the later driver's user-buffer
 * manager) also registers each buffer with the secure world at allocation,
 * naming it by the shm's cookie, and marks the shm REGISTER so its memrefs
 * go out as RMEM; free unregisters it first. The v4.16 pool did neither (its
 * user buffers came from the carve-out); the registration at allocation
 * arrived with the later kernels' dynamic pool. No lock: the page allocator
 * and optee_shm_register lock for themselves, so the core calls this manager
 * without its pool lock.
 */
#include <errno.h>
#include <stdlib.h>

#include "optee/optee_private.h"

struct optee_page_mgr {
	struct tee_shm_pool_mgr mgr; /* first member */
	struct teesim_guest *g;
	bool register_user;
};

static struct optee_page_mgr *to_page_mgr(struct tee_shm_pool_mgr *mgr)
{
	return mgr->private_data;
}

/* The largest page-pool allocation: 1 TiB, or on 32-bit the largest power of
 * two a size_t holds (get_order would shift past the type's width). */
#define POOL_MAX_ALLOC                                                                             \
	(SIZE_MAX > ((uint64_t) 1 << 40) ? (size_t) ((uint64_t) 1 << 40) : SIZE_MAX / 2 + 1)

/* get_order: smallest order with (PAGE_SIZE << order) >= size */
static unsigned get_order(size_t size)
{
	unsigned order = 0;

	while (((size_t) TEESIM_PAGE_SIZE << order) < size)
		order++;
	return order;
}

/* pool_op_alloc: zeroed pages for @shm, registered when the manager registers */
static int pool_op_alloc(struct tee_shm_pool_mgr *mgr, struct tee_shm *shm, size_t size)
{
	struct optee_page_mgr *pm = to_page_mgr(mgr);
	teesim_ipa_t ipa, *pages;
	size_t npages;
	void *host;
	unsigned order;
	int rc;

	if (size == 0 || size > POOL_MAX_ALLOC)
		return -ENOMEM;
	order = get_order(size);
	npages = (size_t) 1 << order;
	if (teesim_kmem_alloc(pm->g, npages, TEESIM_KMEM_ZERO, &ipa, &host))
		return -ENOMEM;
	shm->kaddr = host;
	shm->paddr = ipa;
	shm->size = npages * TEESIM_PAGE_SIZE;
	if (!pm->register_user || !(shm->flags & TEE_SHM_DMA_BUF) || !shm->ctx)
		return 0;

	pages = tsim_mallocarray(teesim_guest_machine(pm->g), npages, sizeof(*pages));
	if (!pages) {
		rc = -ENOMEM;
		goto err_free_pages;
	}
	for (size_t i = 0; i < npages; i++)
		pages[i] = ipa + i * TEESIM_PAGE_SIZE;
	shm->flags |= TEE_SHM_REGISTER;
	rc = optee_shm_register(shm->ctx, shm, pages, npages, (uint64_t) (uintptr_t) host);
	tsim_free(teesim_guest_machine(pm->g), pages);
	if (rc) {
		shm->flags &= ~(uint32_t) TEE_SHM_REGISTER;
		goto err_free_pages;
	}
	return 0;

err_free_pages:
	teesim_kmem_free(pm->g, ipa, npages);
	shm->kaddr = NULL;
	return rc;
}

/* pool_op_free */
static void pool_op_free(struct tee_shm_pool_mgr *mgr, struct tee_shm *shm)
{
	struct optee_page_mgr *pm = to_page_mgr(mgr);

	/* an unregister error is only logged by the kernel: the pages go anyway */
	if (shm->flags & TEE_SHM_REGISTER)
		optee_shm_unregister(shm->ctx, shm);
	teesim_kmem_free(pm->g, shm->paddr, shm->size / TEESIM_PAGE_SIZE);
	shm->kaddr = NULL;
}

/* pool_op_destroy_poolmgr */
static void pool_op_destroy(struct tee_shm_pool_mgr *mgr)
{
	struct optee_page_mgr *pm = to_page_mgr(mgr);

	tsim_free(teesim_guest_machine(pm->g), pm);
}

static const struct tee_shm_pool_mgr_ops pool_ops = {
    .alloc = pool_op_alloc,
    .free = pool_op_free,
    .destroy_poolmgr = pool_op_destroy,
};

/* optee_shm_pool_alloc_pages */
struct tee_shm_pool_mgr *optee_shm_pool_alloc_pages(struct teesim_guest *g, bool register_user)
{
	struct optee_page_mgr *pm = tsim_calloc(teesim_guest_machine(g), 1, sizeof(*pm));

	if (!pm)
		return NULL;
	pm->g = g;
	pm->register_user = register_user;
	pm->mgr.ops = &pool_ops;
	pm->mgr.private_data = pm;
	return &pm->mgr;
}
