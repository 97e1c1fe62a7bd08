/* SPDX-License-Identifier: MIT */
/*
 * The OP-TEE-specific pool manager over kernel pages (drivers/tee/optee/
 * shm_pool.c): each allocation is a power-of-two run of zeroed pages from
 * the guest's page allocator, so buffers live anywhere in RAM, page aligned.
 *
 * The core's manager interface hands the manager no shm, so this manager
 * does not register user buffers itself as the later kernel's does; the
 * driver describes such buffers with a page list when it passes them (see
 * docs/optee-driver.md).
 */
#include <errno.h>
#include <stdlib.h>

#include "optee/optee_private.h"

/* get_order: smallest order with (PAGE_SIZE << order) >= size */
static unsigned get_order(size_t size)
{
	unsigned order = 0;

	while (((size_t) TEESIM_PAGE_SIZE << order) < size)
		order++;
	return order;
}

/* pool_op_alloc */
static int pool_op_alloc(struct tee_shm_pool_mgr *mgr, struct tee_pool_chunk *chunk, size_t size)
{
	struct teesim_guest *g = mgr->private_data;
	teesim_ipa_t ipa;
	void *host;
	unsigned order;
	int rc;

	if (size == 0 || size > ((size_t) 1 << 40))
		return -ENOMEM;
	order = get_order(size);
	rc = teesim_kmem_alloc(g, (size_t) 1 << order, TEESIM_KMEM_ZERO, &ipa, &host);
	if (rc)
		return -ENOMEM;
	chunk->kaddr = host;
	chunk->paddr = ipa;
	chunk->size = (size_t) TEESIM_PAGE_SIZE << order;
	return 0;
}

/* pool_op_free */
static void pool_op_free(struct tee_shm_pool_mgr *mgr, struct tee_pool_chunk *chunk)
{
	struct teesim_guest *g = mgr->private_data;

	teesim_kmem_free(g, chunk->paddr, chunk->size / TEESIM_PAGE_SIZE);
	chunk->kaddr = NULL;
}

/* pool_op_destroy_poolmgr */
static void pool_op_destroy(struct tee_shm_pool_mgr *mgr)
{
	free(mgr);
}

static const struct tee_shm_pool_mgr_ops pool_ops = {
    .alloc = pool_op_alloc,
    .free = pool_op_free,
    .destroy_poolmgr = pool_op_destroy,
};

/* optee_shm_pool_alloc_pages */
struct tee_shm_pool_mgr *optee_shm_pool_alloc_pages(struct teesim_guest *g)
{
	struct tee_shm_pool_mgr *mgr = calloc(1, sizeof(*mgr));

	if (!mgr)
		return NULL;
	mgr->ops = &pool_ops;
	mgr->private_data = g;
	return mgr;
}
