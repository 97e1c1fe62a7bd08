/* SPDX-License-Identifier: MIT */
/*
 * Model of tee_shm_pool.c and the pool managers of <linux/tee_drv.h> in their
 * v4.16 shape: a pool is two managers (one for driver-private buffers, one
 * for buffers user space can map), each an ops table plus private data, so a
 * driver can bring its own kind of manager. The manager built here is the
 * reserved-memory one: a best-fit allocator over a fixed region (in real use
 * the machine's static shm carve-out, see teesim_machine_static_shm()), as
 * genalloc with gen_pool_best_fit is in the kernel.
 *
 * A manager's alloc fills in the kaddr / paddr / size of the shm it is given
 * and may do more with it (the OP-TEE page manager registers it with the
 * secure world), so it runs with no core lock held. The reserved-memory
 * manager has no lock of its own: the core serializes calls on it with its
 * pool lock (tee_shm_pool_mgr_needs_lock()).
 */
#ifndef TEESIM_CORE_POOL_H
#define TEESIM_CORE_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tee_shm;
struct tee_shm_pool_mgr;
struct teesim_machine;

/* struct tee_shm_pool_mgr_ops */
struct tee_shm_pool_mgr_ops {
	/*
	 * memory of at least @size bytes for @shm: fills in shm->kaddr, paddr and
	 * size (it may read the rest of @shm: flags, ctx, cookie); 0 or -errno,
	 * and on failure nothing is left allocated
	 */
	int (*alloc)(struct tee_shm_pool_mgr *mgr, struct tee_shm *shm, size_t size);
	/* give back what alloc gave @shm (clears shm->kaddr) */
	void (*free)(struct tee_shm_pool_mgr *mgr, struct tee_shm *shm);
	/* free the manager itself */
	void (*destroy_poolmgr)(struct tee_shm_pool_mgr *mgr);
};

/* struct tee_shm_pool_mgr */
struct tee_shm_pool_mgr {
	const struct tee_shm_pool_mgr_ops *ops;
	void *private_data;
};

/* struct tee_shm_pool: private_mgr serves non-DMA_BUF allocations, dma_buf_mgr the others */
struct tee_shm_pool {
	struct tee_shm_pool_mgr *private_mgr;
	struct tee_shm_pool_mgr *dma_buf_mgr;
	struct teesim_machine *m; /* model: allocated the pool */
};

/* struct tee_shm_pool_mem_info */
struct tee_shm_pool_mem_info {
	void *vaddr;
	uint64_t paddr;
	size_t size;
};

/*
 * tee_shm_pool_mgr_alloc_res_mem: a best-fit manager over [vaddr, vaddr +
 * size), which is at paddr physically. vaddr, paddr and size must be page
 * aligned (4 KiB), vaddr not NULL, neither range may wrap, and
 * 0 <= min_alloc_order <= 62: else NULL with errno EINVAL (ENOMEM when the
 * host is out of memory). A size of 0 is accepted, as genalloc does: every
 * allocation then fails.
 *
 * Its alloc rounds the size up to the granule (1 << min_alloc_order), takes
 * the smallest hole that fits (the lowest such hole on ties) from its start,
 * zeroes the bytes and fills in kaddr, paddr and the rounded size; a size of
 * 0 or more than the largest hole gives -ENOMEM. Chunks start at a multiple
 * of the granule from vaddr (absolutely aligned for orders up to 12). It only
 * reads and writes the shm's kaddr, paddr and size. Its free gives the chunk
 * back (merging it with free neighbours) and clears shm->kaddr; a chunk it
 * did not hand out (double free, foreign address, wrong size, NULL) changes
 * nothing and is counted in bad_frees. Destroying it releases everything,
 * chunks still out included. The manager's memory comes from @m (NULL: the
 * host; sim/alloc.h).
 */
struct tee_shm_pool_mgr *tee_shm_pool_mgr_alloc_res_mem(struct teesim_machine *m, void *vaddr,
							uint64_t paddr, size_t size,
							int min_alloc_order);

/*
 * model: true for a reserved-memory manager, whose state the core's pool lock
 * protects; a driver's manager locks for itself (and may make SMCs).
 */
bool tee_shm_pool_mgr_needs_lock(const struct tee_shm_pool_mgr *mgr);

/* tee_shm_pool_mgr_destroy: destroy a manager through its ops (NULL: no-op). */
void tee_shm_pool_mgr_destroy(struct tee_shm_pool_mgr *mgr);

/*
 * tee_shm_pool_alloc: a pool from two managers. Both must exist and have all
 * three ops, else NULL with errno EINVAL; ENOMEM when out of memory. The pool
 * owns the managers on success only: on failure they stay the caller's.
 * The pool's memory comes from @m (NULL: the host).
 */
struct tee_shm_pool *tee_shm_pool_alloc(struct teesim_machine *m, struct tee_shm_pool_mgr *priv_mgr,
					struct tee_shm_pool_mgr *dmabuf_mgr);

/*
 * tee_shm_pool_alloc_res_mem: the v4.16 pool over reserved memory: a private
 * manager over @priv_info with an 8-byte granule (order 3) and a dma-buf
 * manager over @dmabuf_info with a page granule, each checked as in
 * tee_shm_pool_mgr_alloc_res_mem(). NULL with errno (EINVAL, also for a NULL
 * info; ENOMEM) on failure, with nothing left allocated.
 */
struct tee_shm_pool *tee_shm_pool_alloc_res_mem(struct teesim_machine *m,
						const struct tee_shm_pool_mem_info *priv_info,
						const struct tee_shm_pool_mem_info *dmabuf_info);

/* tee_shm_pool_free: destroy both managers and the pool (NULL: no-op). */
void tee_shm_pool_free(struct tee_shm_pool *pool);

/*
 * Bytes and chunks currently handed out by a reserved-memory manager (either
 * pointer may be NULL); both 0 for a manager of another kind.
 */
void tee_shm_pool_mgr_usage(const struct tee_shm_pool_mgr *mgr, size_t *bytes_used,
			    size_t *chunks_used);

/* Everything a reserved-memory manager can tell about itself. */
struct tee_pool_stats {
	size_t size;	     /* bytes managed */
	size_t granule;	     /* allocation unit */
	size_t bytes_used;   /* bytes handed out (rounded sizes) */
	size_t chunks_used;  /* chunks handed out */
	size_t holes;	     /* free extents (maximal: neighbours are always merged) */
	size_t largest_hole; /* bytes of the largest free extent */
	size_t bad_frees;    /* frees of chunks it did not hand out */
};

/* Fill @st; -EINVAL (and @st zeroed) when @mgr is not a reserved-memory manager. */
int tee_shm_pool_mgr_stats(const struct tee_shm_pool_mgr *mgr, struct tee_pool_stats *st);

#endif /* TEESIM_CORE_POOL_H */
