/* SPDX-License-Identifier: MIT */
/* Pools and the reserved-memory best-fit manager (white box: src/core/pool.c). */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "core/pool.h"
#include "core/tee_drv.h"

#define PG 4096u

static unsigned char *region(size_t size)
{
	unsigned char *r = aligned_alloc(PG, size);

	ck_assert_ptr_nonnull(r);
	memset(r, 0xaa, size);
	return r;
}

static struct tee_shm_pool_mgr *mgr_new(void *va, uint64_t pa, size_t size, int order)
{
	struct tee_shm_pool_mgr *m = tee_shm_pool_mgr_alloc_res_mem(NULL, va, pa, size, order);

	ck_assert_msg(m != NULL, "alloc_res_mem: %s", strerror(errno));
	return m;
}

static int palloc(struct tee_shm_pool_mgr *m, struct tee_shm *c, size_t size)
{
	return m->ops->alloc(m, c, size);
}

static void pfree(struct tee_shm_pool_mgr *m, struct tee_shm *c)
{
	m->ops->free(m, c);
}

static struct tee_pool_stats stats(const struct tee_shm_pool_mgr *m)
{
	struct tee_pool_stats st;

	ck_assert_int_eq(tee_shm_pool_mgr_stats(m, &st), 0);
	return st;
}

static void expect_usage(const struct tee_shm_pool_mgr *m, size_t bytes, size_t chunks)
{
	size_t b = 12345, c = 12345;

	tee_shm_pool_mgr_usage(m, &b, &c);
	ck_assert_uint_eq(b, bytes);
	ck_assert_uint_eq(c, chunks);
}

START_TEST(test_bad_args)
{
	unsigned char *r = region(4 * PG);
	const uint64_t pa = 0x80000000;

	errno = 0;
	ck_assert_ptr_null(tee_shm_pool_mgr_alloc_res_mem(NULL, r + 8, pa, 2 * PG, 3));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tee_shm_pool_mgr_alloc_res_mem(NULL, r, pa + 8, 2 * PG, 3));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tee_shm_pool_mgr_alloc_res_mem(NULL, r, pa, 2 * PG + 1, 3));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tee_shm_pool_mgr_alloc_res_mem(NULL, NULL, pa, 2 * PG, 3));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tee_shm_pool_mgr_alloc_res_mem(NULL, r, pa, 2 * PG, -1));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tee_shm_pool_mgr_alloc_res_mem(NULL, r, pa, 2 * PG, 63));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0; /* the physical range wraps */
	ck_assert_ptr_null(tee_shm_pool_mgr_alloc_res_mem(NULL, r, UINT64_MAX - PG + 1, 2 * PG, 3));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0; /* the virtual range wraps */
	ck_assert_ptr_null(tee_shm_pool_mgr_alloc_res_mem(NULL, r, pa, SIZE_MAX - PG + 1, 3));
	ck_assert_int_eq(errno, EINVAL);
	free(r);
}
END_TEST

START_TEST(test_alloc_fills_chunk)
{
	unsigned char *r = region(4 * PG);
	struct tee_shm_pool_mgr *m = mgr_new(r, 0x80000000, 4 * PG, 3);
	struct tee_shm c;
	struct tee_pool_stats st = stats(m);

	ck_assert(tee_shm_pool_mgr_needs_lock(m)); /* the core's pool lock guards it */
	ck_assert_uint_eq(st.size, 4 * PG);
	ck_assert_uint_eq(st.granule, 8);
	ck_assert_uint_eq(st.holes, 1);
	ck_assert_uint_eq(st.largest_hole, 4 * PG);
	expect_usage(m, 0, 0);
	ck_assert_int_eq(palloc(m, &c, 13), 0);
	ck_assert_ptr_eq(c.kaddr, r);
	ck_assert_uint_eq(c.paddr, 0x80000000);
	ck_assert_uint_eq(c.size, 16);
	for (size_t i = 0; i < 16; i++)
		ck_assert_uint_eq(r[i], 0); /* zeroed, rounded size included */
	ck_assert_uint_eq(r[16], 0xaa);	    /* and nothing beyond */
	expect_usage(m, 16, 1);
	st = stats(m);
	ck_assert_uint_eq(st.largest_hole, 4 * PG - 16);
	pfree(m, &c);
	ck_assert_ptr_null(c.kaddr); /* as pool_op_gen_free does */
	expect_usage(m, 0, 0);
	st = stats(m);
	ck_assert_uint_eq(st.holes, 1);
	ck_assert_uint_eq(st.largest_hole, 4 * PG);
	ck_assert_uint_eq(st.bad_frees, 0);
	tee_shm_pool_mgr_destroy(m);
	free(r);
}
END_TEST

START_TEST(test_alignment)
{
	unsigned char *r = region(16 * PG);
	const int orders[] = {3, 5, 9, 12};

	for (size_t o = 0; o < 4; o++) {
		struct tee_shm_pool_mgr *m = mgr_new(r, 0x10000000, 16 * PG, orders[o]);
		size_t g = (size_t) 1 << orders[o], total = 0;
		struct tee_shm c[6];
		const size_t sizes[6] = {1, g - 1, g, g + 1, 3 * g - 2, 7};

		for (size_t i = 0; i < 6; i++) {
			size_t want = (sizes[i] + g - 1) / g * g;

			ck_assert_int_eq(palloc(m, &c[i], sizes[i]), 0);
			ck_assert_uint_eq(c[i].size, want);
			ck_assert_uint_eq(((uintptr_t) c[i].kaddr - (uintptr_t) r) % g, 0);
			ck_assert_uint_eq((uintptr_t) c[i].kaddr % g, 0);
			ck_assert_uint_eq(c[i].paddr % g, 0);
			ck_assert_uint_eq(c[i].paddr - 0x10000000,
					  (uintptr_t) c[i].kaddr - (uintptr_t) r);
			total += want;
		}
		expect_usage(m, total, 6);
		for (size_t i = 0; i < 6; i++)
			pfree(m, &c[i]);
		expect_usage(m, 0, 0);
		ck_assert_uint_eq(stats(m).holes, 1);
		tee_shm_pool_mgr_destroy(m);
	}
	free(r);
}
END_TEST

/* Page-granule manager of 16 pages; chunk i of @npages[i] pages each, in order. */
static void carve(struct tee_shm_pool_mgr *m, struct tee_shm *c, const size_t *npages, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(palloc(m, &c[i], npages[i] * PG), 0);
}

START_TEST(test_best_fit_not_first_fit)
{
	unsigned char *r = region(16 * PG);
	struct tee_shm_pool_mgr *m = mgr_new(r, 0x40000000, 16 * PG, 12);
	/* pages: [0,3) a, [3,4) b, [4,5) c, [5,6) d, [6,8) e, [8,9) f, [9,16) g */
	const size_t np[] = {3, 1, 1, 1, 2, 1, 7};
	struct tee_shm c[7], x, y, z;

	carve(m, c, np, 7);
	th_assert_err(palloc(m, &x, 1), -ENOMEM); /* full */
	pfree(m, &c[0]);			  /* hole of 3 pages at 0 */
	pfree(m, &c[4]);			  /* hole of 2 pages at 6 */
	pfree(m, &c[2]);			  /* hole of 1 page at 4 */
	ck_assert_uint_eq(stats(m).holes, 3);
	/* first fit would take page 0; best fit takes the 1-page hole at 4 */
	ck_assert_int_eq(palloc(m, &x, PG), 0);
	ck_assert_ptr_eq(x.kaddr, r + 4 * PG);
	ck_assert_uint_eq(x.paddr, 0x40000000 + 4 * PG);
	/* 2 pages: the 2-page hole at 6, not the first 2 pages of the 3-page hole */
	ck_assert_int_eq(palloc(m, &y, 2 * PG), 0);
	ck_assert_ptr_eq(y.kaddr, r + 6 * PG);
	/* then the 3-page hole is the only one left */
	ck_assert_int_eq(palloc(m, &z, 2 * PG), 0);
	ck_assert_ptr_eq(z.kaddr, r);
	ck_assert_uint_eq(stats(m).holes, 1);
	ck_assert_uint_eq(stats(m).largest_hole, PG);
	pfree(m, &x);
	pfree(m, &y);
	pfree(m, &z);
	for (size_t i = 0; i < 7; i++) {
		if (i != 0 && i != 2 && i != 4)
			pfree(m, &c[i]);
	}
	expect_usage(m, 0, 0);
	ck_assert_uint_eq(stats(m).bad_frees, 0);
	tee_shm_pool_mgr_destroy(m);
	free(r);
}
END_TEST

START_TEST(test_best_fit_ties_lowest_address)
{
	unsigned char *r = region(16 * PG);
	struct tee_shm_pool_mgr *m = mgr_new(r, 0x40000000, 16 * PG, 12);
	const size_t np[] = {2, 1, 2, 1, 2, 8};
	struct tee_shm c[6], x;

	carve(m, c, np, 6);
	pfree(m, &c[4]); /* 2 pages at 6 */
	pfree(m, &c[0]); /* 2 pages at 0 */
	pfree(m, &c[2]); /* 2 pages at 3 */
	ck_assert_int_eq(palloc(m, &x, PG), 0);
	ck_assert_ptr_eq(x.kaddr, r); /* equal holes: the lowest address */
	pfree(m, &x);
	pfree(m, &c[1]);
	pfree(m, &c[3]);
	pfree(m, &c[5]);
	ck_assert_uint_eq(stats(m).holes, 1);
	tee_shm_pool_mgr_destroy(m);
	free(r);
}
END_TEST

START_TEST(test_coalescing)
{
	unsigned char *r = region(8 * PG);
	struct tee_shm_pool_mgr *m = mgr_new(r, 0x40000000, 8 * PG, 12);
	const size_t np[] = {2, 2, 2, 2};
	struct tee_shm c[4], big;

	carve(m, c, np, 4);
	ck_assert_uint_eq(stats(m).holes, 0);
	pfree(m, &c[0]);
	pfree(m, &c[2]);
	ck_assert_uint_eq(stats(m).holes, 2);
	ck_assert_uint_eq(stats(m).largest_hole, 2 * PG);
	th_assert_err(palloc(m, &big, 3 * PG), -ENOMEM); /* fragmented */
	pfree(m, &c[1]);				 /* merges with both neighbours */
	ck_assert_uint_eq(stats(m).holes, 1);
	ck_assert_uint_eq(stats(m).largest_hole, 6 * PG);
	ck_assert_int_eq(palloc(m, &big, 6 * PG), 0);
	ck_assert_ptr_eq(big.kaddr, r);
	pfree(m, &big);
	pfree(m, &c[3]); /* merges with the hole before it: one hole, the whole region */
	ck_assert_uint_eq(stats(m).holes, 1);
	ck_assert_uint_eq(stats(m).largest_hole, 8 * PG);
	ck_assert_int_eq(palloc(m, &big, 8 * PG), 0);
	pfree(m, &big);
	/* merge with the next neighbour only */
	carve(m, c, np, 4);
	pfree(m, &c[3]);
	pfree(m, &c[2]);
	ck_assert_uint_eq(stats(m).holes, 1);
	ck_assert_uint_eq(stats(m).largest_hole, 4 * PG);
	pfree(m, &c[0]);
	pfree(m, &c[1]);
	ck_assert_uint_eq(stats(m).holes, 1);
	expect_usage(m, 0, 0);
	tee_shm_pool_mgr_destroy(m);
	free(r);
}
END_TEST

START_TEST(test_exhaustion)
{
	unsigned char *r = region(4 * PG);
	struct tee_shm_pool_mgr *m = mgr_new(r, 0x40000000, 4 * PG, 3);
	struct tee_shm c[512], x = {.kaddr = r, .paddr = 7, .size = 9};
	size_t n = 0;

	th_assert_err(palloc(m, &x, 0), -ENOMEM);
	th_assert_err(palloc(m, &x, 4 * PG + 1), -ENOMEM);
	th_assert_err(palloc(m, &x, SIZE_MAX), -ENOMEM);
	th_assert_err(palloc(m, &x, SIZE_MAX - 3), -ENOMEM);
	/* failures leave the chunk alone */
	ck_assert_ptr_eq(x.kaddr, r);
	ck_assert_uint_eq(x.paddr, 7);
	ck_assert_uint_eq(x.size, 9);
	while (n < 512 && palloc(m, &c[n], 32) == 0)
		n++;
	ck_assert_uint_eq(n, 4 * PG / 32);
	expect_usage(m, 4 * PG, n);
	th_assert_err(palloc(m, &x, 1), -ENOMEM);
	pfree(m, &c[77]);
	ck_assert_int_eq(palloc(m, &x, 32), 0);
	ck_assert_ptr_eq(x.kaddr, r + 77 * 32);
	pfree(m, &x);
	th_assert_err(palloc(m, &x, 33), -ENOMEM); /* the only hole is 32 bytes */
	for (size_t i = 0; i < n; i++) {
		if (i != 77)
			pfree(m, &c[i]);
	}
	expect_usage(m, 0, 0);
	ck_assert_uint_eq(stats(m).holes, 1);
	ck_assert_int_eq(palloc(m, &x, 4 * PG), 0); /* the whole region at once */
	pfree(m, &x);
	tee_shm_pool_mgr_destroy(m);

	/* an empty region: every allocation fails */
	m = mgr_new(r, 0x40000000, 0, 3);
	th_assert_err(palloc(m, &x, 1), -ENOMEM);
	ck_assert_uint_eq(stats(m).holes, 0);
	tee_shm_pool_mgr_destroy(m);
	/* a granule bigger than the region */
	m = mgr_new(r, 0x40000000, 4 * PG, 15);
	ck_assert_uint_eq(stats(m).size, 0);
	th_assert_err(palloc(m, &x, 1), -ENOMEM);
	tee_shm_pool_mgr_destroy(m);
	free(r);
}
END_TEST

START_TEST(test_bad_frees)
{
	unsigned char *r = region(4 * PG);
	unsigned char other[64];
	struct tee_shm_pool_mgr *m = mgr_new(r, 0x40000000, 4 * PG, 3);
	struct tee_shm a, b, copy, bad;

	ck_assert_int_eq(palloc(m, &a, 64), 0);
	ck_assert_int_eq(palloc(m, &b, 64), 0);
	copy = a;
	pfree(m, &a);
	expect_usage(m, 64, 1);
	pfree(m, &copy); /* double free through a stale copy */
	ck_assert_uint_eq(stats(m).bad_frees, 1);
	pfree(m, &a); /* double free through the cleared chunk */
	ck_assert_uint_eq(stats(m).bad_frees, 2);
	bad = b;
	bad.kaddr = other; /* foreign memory */
	pfree(m, &bad);
	bad = b;
	bad.kaddr = (unsigned char *) b.kaddr + 8; /* inside a chunk */
	pfree(m, &bad);
	bad = b;
	bad.size = 128; /* wrong size */
	pfree(m, &bad);
	bad = b;
	bad.kaddr = r + 4 * PG; /* one past the end */
	pfree(m, &bad);
	pfree(m, NULL);
	ck_assert_uint_eq(stats(m).bad_frees, 7);
	expect_usage(m, 64, 1); /* nothing changed */
	ck_assert_uint_eq(stats(m).holes, 2);
	pfree(m, &b);
	expect_usage(m, 0, 0);
	ck_assert_uint_eq(stats(m).holes, 1);
	ck_assert_uint_eq(stats(m).bad_frees, 7);
	tee_shm_pool_mgr_destroy(m);
	free(r);
}
END_TEST

START_TEST(test_destroy_with_chunks_out)
{
	unsigned char *r = region(4 * PG);
	struct tee_shm_pool_mgr *m = mgr_new(r, 0x40000000, 4 * PG, 3);
	struct tee_shm c[10];

	for (size_t i = 0; i < 10; i++)
		ck_assert_int_eq(palloc(m, &c[i], 100), 0);
	pfree(m, &c[3]);
	tee_shm_pool_mgr_destroy(m); /* no leak (valgrind checks) */
	tee_shm_pool_mgr_destroy(NULL);
	free(r);
}
END_TEST

START_TEST(test_res_mem_split)
{
	unsigned char *r = region(32 * PG);
	const uint64_t pa = 0x3fe00000;
	struct tee_shm_pool_mem_info priv = {r, pa, 4 * PG},
				     dma = {r + 4 * PG, pa + 4 * PG, 28 * PG};
	struct tee_shm_pool *pool = tee_shm_pool_alloc_res_mem(NULL, &priv, &dma);
	struct tee_shm a, b;
	struct tee_pool_stats ps, ds;

	ck_assert_ptr_nonnull(pool);
	ps = stats(pool->private_mgr);
	ds = stats(pool->dma_buf_mgr);
	ck_assert_uint_eq(ps.granule, 8);
	ck_assert_uint_eq(ps.size, 4 * PG);
	ck_assert_uint_eq(ds.granule, PG);
	ck_assert_uint_eq(ds.size, 28 * PG);
	ck_assert_int_eq(palloc(pool->private_mgr, &a, 20), 0);
	ck_assert_ptr_eq(a.kaddr, r);
	ck_assert_uint_eq(a.size, 24);
	ck_assert_uint_eq(a.paddr, pa);
	ck_assert_int_eq(palloc(pool->dma_buf_mgr, &b, 20), 0);
	ck_assert_ptr_eq(b.kaddr, r + 4 * PG);
	ck_assert_uint_eq(b.size, PG);
	ck_assert_uint_eq(b.paddr, pa + 4 * PG);
	expect_usage(pool->private_mgr, 24, 1);
	expect_usage(pool->dma_buf_mgr, PG, 1);
	/* each manager refuses the other's chunk */
	pfree(pool->dma_buf_mgr, &a);
	ck_assert_uint_eq(stats(pool->dma_buf_mgr).bad_frees, 1);
	expect_usage(pool->private_mgr, 24, 1);
	pfree(pool->private_mgr, &a);
	pfree(pool->dma_buf_mgr, &b);
	expect_usage(pool->private_mgr, 0, 0);
	expect_usage(pool->dma_buf_mgr, 0, 0);
	tee_shm_pool_free(pool);
	tee_shm_pool_free(NULL);

	/* either part misaligned: EINVAL, nothing leaks */
	dma.paddr += 8;
	errno = 0;
	ck_assert_ptr_null(tee_shm_pool_alloc_res_mem(NULL, &priv, &dma));
	ck_assert_int_eq(errno, EINVAL);
	dma.paddr -= 8;
	priv.size += 100;
	errno = 0;
	ck_assert_ptr_null(tee_shm_pool_alloc_res_mem(NULL, &priv, &dma));
	ck_assert_int_eq(errno, EINVAL);
	priv.size -= 100;
	errno = 0;
	ck_assert_ptr_null(tee_shm_pool_alloc_res_mem(NULL, NULL, &dma));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tee_shm_pool_alloc_res_mem(NULL, &priv, NULL));
	ck_assert_int_eq(errno, EINVAL);
	free(r);
}
END_TEST

/* A manager of another kind, to show the ops interface is the whole contract. */
struct counting_mgr {
	struct tee_shm_pool_mgr mgr;
	int allocs, frees, *destroyed;
};

static int cnt_alloc(struct tee_shm_pool_mgr *mgr, struct tee_shm *c, size_t size)
{
	struct counting_mgr *cm = mgr->private_data;

	cm->allocs++;
	c->kaddr = NULL;
	c->paddr = 0;
	c->size = size;
	return 0;
}

static void cnt_free(struct tee_shm_pool_mgr *mgr, struct tee_shm *c)
{
	struct counting_mgr *cm = mgr->private_data;

	(void) c;
	cm->frees++;
}

static void cnt_destroy(struct tee_shm_pool_mgr *mgr)
{
	struct counting_mgr *cm = mgr->private_data;

	(*cm->destroyed)++;
	free(cm);
}

static const struct tee_shm_pool_mgr_ops cnt_ops = {cnt_alloc, cnt_free, cnt_destroy};
static const struct tee_shm_pool_mgr_ops no_free_ops = {cnt_alloc, NULL, cnt_destroy};

static struct tee_shm_pool_mgr *cnt_new(int *destroyed, const struct tee_shm_pool_mgr_ops *ops)
{
	struct counting_mgr *cm = calloc(1, sizeof(*cm));

	ck_assert_ptr_nonnull(cm);
	cm->mgr.ops = ops;
	cm->mgr.private_data = cm;
	cm->destroyed = destroyed;
	return &cm->mgr;
}

START_TEST(test_pool_alloc_ops)
{
	int destroyed = 0;
	struct tee_shm_pool_mgr *a = cnt_new(&destroyed, &cnt_ops),
				*b = cnt_new(&destroyed, &cnt_ops);
	struct tee_shm_pool_mgr *broken = cnt_new(&destroyed, &no_free_ops);
	struct tee_shm_pool_mgr noops = {NULL, NULL};
	struct tee_shm_pool *pool;
	struct tee_shm c;
	struct tee_pool_stats st;

	errno = 0;
	ck_assert_ptr_null(tee_shm_pool_alloc(NULL, NULL, b));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tee_shm_pool_alloc(NULL, a, NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tee_shm_pool_alloc(NULL, a, broken));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(tee_shm_pool_alloc(NULL, &noops, b));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(destroyed, 0); /* a failed pool leaves the managers to the caller */
	tee_shm_pool_mgr_destroy(broken);
	ck_assert_int_eq(destroyed, 1);

	pool = tee_shm_pool_alloc(NULL, a, b);
	ck_assert_ptr_nonnull(pool);
	ck_assert_ptr_eq(pool->private_mgr, a);
	ck_assert_ptr_eq(pool->dma_buf_mgr, b);
	ck_assert_int_eq(palloc(pool->dma_buf_mgr, &c, 10), 0);
	pfree(pool->dma_buf_mgr, &c);
	ck_assert_int_eq(((struct counting_mgr *) b->private_data)->allocs, 1);
	ck_assert_int_eq(((struct counting_mgr *) b->private_data)->frees, 1);
	/* only reserved-memory managers run under the core's pool lock */
	ck_assert(!tee_shm_pool_mgr_needs_lock(a));
	ck_assert(!tee_shm_pool_mgr_needs_lock(NULL));
	/* usage and stats only describe reserved-memory managers */
	expect_usage(a, 0, 0);
	tee_shm_pool_mgr_usage(a, NULL, NULL);
	th_assert_err(tee_shm_pool_mgr_stats(a, &st), -EINVAL);
	ck_assert_uint_eq(st.size, 0);
	th_assert_err(tee_shm_pool_mgr_stats(NULL, &st), -EINVAL);
	tee_shm_pool_free(pool);
	ck_assert_int_eq(destroyed, 3);
}
END_TEST

/* In real use the pool lives in the machine's static shm carve-out. */
START_TEST(test_over_static_shm)
{
	teesim_pa_t pa;
	uint64_t size;
	void *host;
	struct tee_shm_pool_mem_info priv, dma;
	struct tee_shm_pool *pool;
	struct tee_shm c;
	unsigned char back[100];

	ck_assert_int_eq(teesim_machine_static_shm(TH_M, &pa, &size, &host), 0);
	ck_assert_uint_ge(size, 2 * PG);
	priv = (struct tee_shm_pool_mem_info){host, pa, PG};
	dma = (struct tee_shm_pool_mem_info){(char *) host + PG, pa + PG, (size_t) size - PG};
	pool = tee_shm_pool_alloc_res_mem(NULL, &priv, &dma);
	ck_assert_ptr_nonnull(pool);
	ck_assert_int_eq(palloc(pool->dma_buf_mgr, &c, 3 * PG + 1), 0);
	ck_assert_uint_eq(c.size, 4 * PG);
	memset(c.kaddr, 0x5c, 100);
	/* the secure world sees the same bytes at the chunk's physical address */
	ck_assert_int_eq(teesim_phys_read(TH_M, c.paddr, back, 100, TEESIM_ACC_NS), 0);
	for (size_t i = 0; i < 100; i++)
		ck_assert_uint_eq(back[i], 0x5c);
	pfree(pool->dma_buf_mgr, &c);
	tee_shm_pool_free(pool);
}
END_TEST

/* ---- randomized comparison with a plain best-fit over a sorted list ---- */

struct ref_chunk {
	size_t off, len;
};

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Best fit over the chunks @live (sorted by offset) of a region of @size bytes. */
static size_t ref_best_fit(const struct ref_chunk *live, size_t n, size_t size, size_t want,
			   size_t *holes)
{
	size_t best = SIZE_MAX, best_len = SIZE_MAX, at = 0;

	*holes = 0;
	for (size_t i = 0; i <= n; i++) {
		size_t end = i < n ? live[i].off : size;

		if (end > at) {
			(*holes)++;
			if (end - at >= want && end - at < best_len) {
				best_len = end - at;
				best = at;
			}
		}
		if (i < n)
			at = live[i].off + live[i].len;
	}
	return best;
}

START_TEST(test_against_model)
{
	enum { SIZE = 64 * 1024, MAXN = 4096 };
	unsigned char *r = region(SIZE);
	struct tee_shm_pool_mgr *m = mgr_new(r, 0x50000000, SIZE, 4);
	static struct ref_chunk live[MAXN];
	static struct tee_shm ch[MAXN];
	size_t n = 0, used = 0;
	uint64_t seed = 7;

	for (int op = 0; op < 20000; op++) {
		size_t holes;

		if (n == 0 || (n < MAXN && rnd(&seed) % 100 < 55)) {
			size_t want = 1 + (size_t) (rnd(&seed) % (rnd(&seed) % 4 ? 200 : 3000));
			size_t rounded = (want + 15) & ~(size_t) 15;
			size_t at = ref_best_fit(live, n, SIZE, rounded, &holes);
			struct tee_shm c;
			size_t pos = 0;

			if (at == SIZE_MAX) {
				th_assert_err(palloc(m, &c, want), -ENOMEM);
				continue;
			}
			ck_assert_int_eq(palloc(m, &c, want), 0);
			ck_assert_uint_eq((uintptr_t) c.kaddr - (uintptr_t) r, at);
			ck_assert_uint_eq(c.size, rounded);
			while (pos < n && live[pos].off < at)
				pos++;
			memmove(&live[pos + 1], &live[pos], (n - pos) * sizeof(live[0]));
			memmove(&ch[pos + 1], &ch[pos], (n - pos) * sizeof(ch[0]));
			live[pos] = (struct ref_chunk){at, rounded};
			ch[pos] = c;
			n++;
			used += rounded;
		} else {
			size_t i = (size_t) (rnd(&seed) % n);

			used -= live[i].len;
			pfree(m, &ch[i]);
			memmove(&live[i], &live[i + 1], (n - i - 1) * sizeof(live[0]));
			memmove(&ch[i], &ch[i + 1], (n - i - 1) * sizeof(ch[0]));
			n--;
		}
		ref_best_fit(live, n, SIZE, SIZE + 1, &holes);
		expect_usage(m, used, n);
		ck_assert_uint_eq(stats(m).holes, holes); /* free neighbours always merged */
	}
	ck_assert_uint_eq(stats(m).bad_frees, 0);
	for (size_t i = 0; i < n; i++)
		pfree(m, &ch[i]);
	expect_usage(m, 0, 0);
	ck_assert_uint_eq(stats(m).holes, 1);
	tee_shm_pool_mgr_destroy(m);
	free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = th_tcase(s, "pool");

	tcase_add_test(tc, test_bad_args);
	tcase_add_test(tc, test_alloc_fills_chunk);
	tcase_add_test(tc, test_alignment);
	tcase_add_test(tc, test_best_fit_not_first_fit);
	tcase_add_test(tc, test_best_fit_ties_lowest_address);
	tcase_add_test(tc, test_coalescing);
	tcase_add_test(tc, test_exhaustion);
	tcase_add_test(tc, test_bad_frees);
	tcase_add_test(tc, test_destroy_with_chunks_out);
	tcase_add_test(tc, test_res_mem_split);
	tcase_add_test(tc, test_pool_alloc_ops);
	tcase_add_test(tc, test_over_static_shm);
	tcase_add_test(tc, test_against_model);
	return th_run(s);
}
