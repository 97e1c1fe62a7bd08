/* SPDX-License-Identifier: MIT */
/*
 * Pools and the reserved-memory pool manager (see pool.h).
 *
 * The region is tiled by segments, each a hole or a chunk handed out, kept
 * in a list in address order so a freed chunk finds its neighbours at once.
 * Holes are also indexed by (length, offset) and chunks by offset, each in a
 * treap (a binary search tree balanced by pseudo-random priorities, here a
 * hash of the key so runs are deterministic). Best fit is the first hole at
 * or above (rounded size, 0): O(log n), and the lowest address on ties, as
 * gen_pool_best_fit picks.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/machine.h>

#include "alloc.h"
#include "core/pool.h"
#include "core/tee_drv.h"

#define POOL_PAGE_SIZE 4096u

/* ---- treap keyed by (k1, k2) ---- */

struct tnode {
	struct tnode *l, *r;
	uint64_t k1, k2;
	uint64_t prio;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* <0, 0, >0 as (a1, a2) is below, equal to or above (b1, b2) */
static int key_cmp(uint64_t a1, uint64_t a2, uint64_t b1, uint64_t b2)
{
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	if (a2 != b2)
		return a2 < b2 ? -1 : 1;
	return 0;
}

static struct tnode *rotate_right(struct tnode *t)
{
	struct tnode *l = t->l;

	t->l = l->r;
	l->r = t;
	return l;
}

static struct tnode *rotate_left(struct tnode *t)
{
	struct tnode *r = t->r;

	t->r = r->l;
	r->l = t;
	return r;
}

/* Insert @x (keys set, not in any tree); keys are unique. Returns the new root. */
static struct tnode *t_insert(struct tnode *t, struct tnode *x)
{
	if (!t) {
		x->l = x->r = NULL;
		x->prio = mix(x->k1 * 0x9e3779b97f4a7c15ull ^ mix(x->k2));
		return x;
	}
	if (key_cmp(x->k1, x->k2, t->k1, t->k2) < 0) {
		t->l = t_insert(t->l, x);
		if (t->l->prio > t->prio)
			t = rotate_right(t);
	} else {
		t->r = t_insert(t->r, x);
		if (t->r->prio > t->prio)
			t = rotate_left(t);
	}
	return t;
}

/* Join two treaps whose keys are all below / all above each other. */
static struct tnode *t_merge(struct tnode *a, struct tnode *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->prio > b->prio) {
		a->r = t_merge(a->r, b);
		return a;
	}
	b->l = t_merge(a, b->l);
	return b;
}

/* Unlink @x, which is in the tree. Returns the new root. */
static struct tnode *t_remove(struct tnode *t, const struct tnode *x)
{
	int c = key_cmp(x->k1, x->k2, t->k1, t->k2);

	if (c == 0)
		return t_merge(t->l, t->r);
	if (c < 0)
		t->l = t_remove(t->l, x);
	else
		t->r = t_remove(t->r, x);
	return t;
}

static struct tnode *t_find(struct tnode *t, uint64_t k1, uint64_t k2)
{
	while (t) {
		int c = key_cmp(k1, k2, t->k1, t->k2);

		if (c == 0)
			return t;
		t = c < 0 ? t->l : t->r;
	}
	return NULL;
}

/* The node with the smallest key >= (k1, k2), or NULL. */
static struct tnode *t_lower_bound(struct tnode *t, uint64_t k1, uint64_t k2)
{
	struct tnode *best = NULL;

	while (t) {
		if (key_cmp(t->k1, t->k2, k1, k2) >= 0) {
			best = t;
			t = t->l;
		} else {
			t = t->r;
		}
	}
	return best;
}

static struct tnode *t_last(struct tnode *t)
{
	while (t && t->r)
		t = t->r;
	return t;
}

/* ---- the reserved-memory manager ---- */

struct pool_seg {
	struct tnode node; /* holes: keyed (len, off); chunks: keyed (off, 0); first member */
	uint64_t off, len;
	bool used;
	struct pool_seg *prev, *next; /* address order */
};

struct res_mem {
	struct tee_shm_pool_mgr mgr;
	unsigned char *vaddr;
	uint64_t paddr;
	size_t size;
	size_t granule;
	struct tnode *holes, *chunks;
	struct pool_seg *first;
	size_t bytes_used, chunks_used, nholes, bad_frees;
	struct teesim_machine *m; /* model: allocates the manager and its segments */
};

static struct res_mem *to_res_mem(struct tee_shm_pool_mgr *mgr)
{
	return mgr->private_data;
}

static struct pool_seg *seg_of(struct tnode *n)
{
	return (struct pool_seg *) n; /* node is the first member */
}

static void hole_insert(struct res_mem *p, struct pool_seg *s)
{
	s->used = false;
	s->node.k1 = s->len;
	s->node.k2 = s->off;
	p->holes = t_insert(p->holes, &s->node);
	p->nholes++;
}

static void hole_remove(struct res_mem *p, struct pool_seg *s)
{
	p->holes = t_remove(p->holes, &s->node);
	p->nholes--;
}

static void chunk_insert(struct res_mem *p, struct pool_seg *s)
{
	s->used = true;
	s->node.k1 = s->off;
	s->node.k2 = 0;
	p->chunks = t_insert(p->chunks, &s->node);
}

/* Take @b's extent into @a, its neighbour before it, and free @b. */
static void seg_absorb(struct res_mem *p, struct pool_seg *a, struct pool_seg *b)
{
	a->len += b->len;
	a->next = b->next;
	if (b->next)
		b->next->prev = a;
	tsim_free(p->m, b);
}

/* pool_op_gen_alloc */
static int res_mem_alloc(struct tee_shm_pool_mgr *mgr, struct tee_shm *shm, size_t size)
{
	struct res_mem *p = to_res_mem(mgr);
	struct pool_seg *hole, *c;
	struct tnode *n;
	uint64_t s;

	if (size == 0 || size > p->size)
		return -ENOMEM;
	s = ((uint64_t) size + p->granule - 1) & ~((uint64_t) p->granule - 1);
	n = t_lower_bound(p->holes, s, 0);
	if (!n)
		return -ENOMEM;
	hole = seg_of(n);
	if (hole->len == s) { /* exact fit: the hole becomes the chunk */
		hole_remove(p, hole);
		c = hole;
	} else { /* carve the chunk from the start of the hole */
		c = tsim_calloc(p->m, 1, sizeof(*c));
		if (!c)
			return -ENOMEM;
		hole_remove(p, hole);
		c->off = hole->off;
		c->len = s;
		c->prev = hole->prev;
		c->next = hole;
		if (hole->prev)
			hole->prev->next = c;
		else
			p->first = c;
		hole->prev = c;
		hole->off += s;
		hole->len -= s;
		hole_insert(p, hole);
	}
	chunk_insert(p, c);
	p->bytes_used += s;
	p->chunks_used++;

	memset(p->vaddr + c->off, 0, s);
	shm->kaddr = p->vaddr + c->off;
	shm->paddr = p->paddr + c->off;
	shm->size = s;
	return 0;
}

/* pool_op_gen_free */
static void res_mem_free(struct tee_shm_pool_mgr *mgr, struct tee_shm *shm)
{
	struct res_mem *p = to_res_mem(mgr);
	uintptr_t a, base = (uintptr_t) p->vaddr;
	struct pool_seg *c;
	struct tnode *n;

	if (!shm || !shm->kaddr)
		goto bad;
	a = (uintptr_t) shm->kaddr;
	if (a < base || a - base >= p->size)
		goto bad;
	n = t_find(p->chunks, a - base, 0);
	if (!n || seg_of(n)->len != shm->size)
		goto bad;
	c = seg_of(n);
	/* model: freed pool memory is poisoned, as the machine's frames are, so
	 * that a later reader of bytes nobody wrote sees it (the kernel's pool
	 * zeroes at allocation, not at free) */
	if (p->m && teesim_machine_cfg(p->m)->poison)
		memset(p->vaddr + c->off, TEESIM_POISON_FREE, c->len);
	p->chunks = t_remove(p->chunks, &c->node);
	p->bytes_used -= c->len;
	p->chunks_used--;
	if (c->prev && !c->prev->used) {
		struct pool_seg *prev = c->prev;

		hole_remove(p, prev);
		seg_absorb(p, prev, c);
		c = prev;
	}
	if (c->next && !c->next->used) {
		hole_remove(p, c->next);
		seg_absorb(p, c, c->next);
	}
	hole_insert(p, c);
	shm->kaddr = NULL;
	return;
bad:
	p->bad_frees++;
}

/* pool_op_gen_destroy_poolmgr */
static void res_mem_destroy(struct tee_shm_pool_mgr *mgr)
{
	struct res_mem *p = to_res_mem(mgr);

	for (struct pool_seg *s = p->first, *next; s; s = next) {
		next = s->next;
		tsim_free(p->m, s);
	}
	tsim_free(p->m, p);
}

static const struct tee_shm_pool_mgr_ops res_mem_ops = {
    .alloc = res_mem_alloc,
    .free = res_mem_free,
    .destroy_poolmgr = res_mem_destroy,
};

/* tee_shm_pool_mgr_alloc_res_mem */
struct tee_shm_pool_mgr *tee_shm_pool_mgr_alloc_res_mem(struct teesim_machine *m, void *vaddr,
							uint64_t paddr, size_t size,
							int min_alloc_order)
{
	const uint64_t page_mask = POOL_PAGE_SIZE - 1;
	struct res_mem *p;
	struct pool_seg *all = NULL;
	size_t granule;

	if (!vaddr || ((uintptr_t) vaddr & page_mask) || (paddr & page_mask) ||
	    (size & page_mask) || min_alloc_order < 0 || min_alloc_order > 62 ||
	    (uintptr_t) vaddr + size < size || paddr + size < paddr) {
		errno = EINVAL;
		return NULL;
	}
	granule = (size_t) 1 << min_alloc_order;
	p = tsim_calloc(m, 1, sizeof(*p));
	if (!p)
		goto err_nomem;
	p->m = m;
	p->vaddr = vaddr;
	p->paddr = paddr;
	p->size = size & ~(granule - 1); /* a tail shorter than a granule is never used */
	p->granule = granule;
	if (p->size) {
		all = tsim_calloc(m, 1, sizeof(*all));
		if (!all)
			goto err_free_pool;
		all->len = p->size;
		p->first = all;
		hole_insert(p, all);
	}
	p->mgr.ops = &res_mem_ops;
	p->mgr.private_data = p;
	return &p->mgr;

err_free_pool:
	tsim_free(m, p);
err_nomem:
	errno = ENOMEM;
	return NULL;
}

bool tee_shm_pool_mgr_needs_lock(const struct tee_shm_pool_mgr *mgr)
{
	return mgr && mgr->ops == &res_mem_ops;
}

/* tee_shm_pool_mgr_destroy */
void tee_shm_pool_mgr_destroy(struct tee_shm_pool_mgr *mgr)
{
	if (mgr)
		mgr->ops->destroy_poolmgr(mgr);
}

static bool check_mgr_ops(const struct tee_shm_pool_mgr *mgr)
{
	return mgr && mgr->ops && mgr->ops->alloc && mgr->ops->free && mgr->ops->destroy_poolmgr;
}

/* tee_shm_pool_alloc */
struct tee_shm_pool *tee_shm_pool_alloc(struct teesim_machine *m, struct tee_shm_pool_mgr *priv_mgr,
					struct tee_shm_pool_mgr *dmabuf_mgr)
{
	struct tee_shm_pool *pool;

	if (!check_mgr_ops(priv_mgr) || !check_mgr_ops(dmabuf_mgr)) {
		errno = EINVAL;
		return NULL;
	}
	pool = tsim_calloc(m, 1, sizeof(*pool));
	if (!pool) {
		errno = ENOMEM;
		return NULL;
	}
	pool->m = m;
	pool->private_mgr = priv_mgr;
	pool->dma_buf_mgr = dmabuf_mgr;
	return pool;
}

/* tee_shm_pool_alloc_res_mem */
struct tee_shm_pool *tee_shm_pool_alloc_res_mem(struct teesim_machine *m,
						const struct tee_shm_pool_mem_info *priv_info,
						const struct tee_shm_pool_mem_info *dmabuf_info)
{
	struct tee_shm_pool_mgr *priv_mgr, *dmabuf_mgr;
	struct tee_shm_pool *pool;
	int err;

	if (!priv_info || !dmabuf_info) {
		errno = EINVAL;
		return NULL;
	}
	/* 8-byte granule for the driver's private buffers */
	priv_mgr = tee_shm_pool_mgr_alloc_res_mem(m, priv_info->vaddr, priv_info->paddr,
						  priv_info->size, 3);
	if (!priv_mgr)
		return NULL;
	dmabuf_mgr = tee_shm_pool_mgr_alloc_res_mem(m, dmabuf_info->vaddr, dmabuf_info->paddr,
						    dmabuf_info->size, 12);
	if (!dmabuf_mgr)
		goto err_free_priv_mgr;
	pool = tee_shm_pool_alloc(m, priv_mgr, dmabuf_mgr);
	if (!pool)
		goto err_free_dmabuf_mgr;
	return pool;

err_free_dmabuf_mgr:
	err = errno;
	tee_shm_pool_mgr_destroy(dmabuf_mgr);
	errno = err;
err_free_priv_mgr:
	err = errno;
	tee_shm_pool_mgr_destroy(priv_mgr);
	errno = err;
	return NULL;
}

/* tee_shm_pool_free */
void tee_shm_pool_free(struct tee_shm_pool *pool)
{
	if (!pool)
		return;
	tee_shm_pool_mgr_destroy(pool->private_mgr);
	tee_shm_pool_mgr_destroy(pool->dma_buf_mgr);
	tsim_free(pool->m, pool);
}

int tee_shm_pool_mgr_stats(const struct tee_shm_pool_mgr *mgr, struct tee_pool_stats *st)
{
	const struct res_mem *p;
	struct tnode *last;

	memset(st, 0, sizeof(*st));
	if (!mgr || mgr->ops != &res_mem_ops)
		return -EINVAL;
	p = mgr->private_data;
	last = t_last(p->holes);
	st->size = p->size;
	st->granule = p->granule;
	st->bytes_used = p->bytes_used;
	st->chunks_used = p->chunks_used;
	st->holes = p->nholes;
	st->largest_hole = last ? (size_t) last->k1 : 0;
	st->bad_frees = p->bad_frees;
	return 0;
}

void tee_shm_pool_mgr_usage(const struct tee_shm_pool_mgr *mgr, size_t *bytes_used,
			    size_t *chunks_used)
{
	struct tee_pool_stats st;

	tee_shm_pool_mgr_stats(mgr, &st);
	if (bytes_used)
		*bytes_used = st.bytes_used;
	if (chunks_used)
		*chunks_used = st.chunks_used;
}
