/* SPDX-License-Identifier: MIT */
/*
 * Integer id table (see idr.h): a 64-ary radix tree whose nodes summarize
 * their subtrees in bitmaps, so that the smallest free id at or above a start
 * is found by descending once, skipping full subtrees 64 at a time.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

#include "alloc.h"
#include "core/idr.h"

#define IDR_BITS   6
#define IDR_FANOUT (1u << IDR_BITS)
#define IDR_MASK   ((uint64_t) IDR_FANOUT - 1)
/* 64^6 = 2^36 ids cover [0, INT_MAX] */
#define IDR_MAX_HEIGHT 6

struct tee_idr_node {
	uint64_t present; /* leaf: id allocated; interior: child exists */
	uint64_t full;	  /* leaf: = present; interior: child has no free id */
	uint64_t set;	  /* leaf: non-NULL pointer; interior: child has one */
	void *slot[IDR_FANOUT];
};

static const uint64_t ALL = ~0ull;

/* Number of ids a tree of @height levels covers. */
static uint64_t capacity(unsigned height)
{
	return height ? 1ull << (IDR_BITS * height) : 0;
}

static unsigned index_at(uint64_t id, unsigned level)
{
	return (unsigned) ((id >> (IDR_BITS * level)) & IDR_MASK);
}

/* Bits >= @i of a mask. */
static uint64_t from_bit(unsigned i)
{
	return ALL << i;
}

/* idr_init */
void tee_idr_init(struct tee_idr *idr, struct teesim_machine *m)
{
	idr->root = NULL;
	idr->height = 0;
	idr->count = 0;
	idr->m = m;
}

static void free_node(struct teesim_machine *m, struct tee_idr_node *n, unsigned level)
{
	if (level > 0) {
		for (uint64_t p = n->present; p; p &= p - 1)
			free_node(m, n->slot[__builtin_ctzll(p)], level - 1);
	}
	tsim_free(m, n);
}

/* idr_destroy */
void tee_idr_destroy(struct tee_idr *idr)
{
	if (idr->root)
		free_node(idr->m, idr->root, idr->height - 1);
	tee_idr_init(idr, idr->m);
}

/*
 * Smallest free id >= @start (relative to the subtree of @n at @level), or
 * UINT64_MAX when the subtree has none at or above @start. Only the child
 * holding @start can fail after being entered; every later candidate child
 * is absent (all free) or not full (has a free id).
 */
static uint64_t find_free(const struct tee_idr_node *n, unsigned level, uint64_t start)
{
	unsigned shift = IDR_BITS * level, first = index_at(start, level);

	for (uint64_t cand = ~n->full & from_bit(first); cand; cand &= cand - 1) {
		unsigned c = (unsigned) __builtin_ctzll(cand);
		uint64_t base = (uint64_t) c << shift, sub = c == first ? start - base : 0, r;

		if (level == 0)
			return base;
		if (!(n->present & (1ull << c)))
			return base + sub;
		r = find_free(n->slot[c], level - 1, sub);
		if (r != UINT64_MAX)
			return base + r;
	}
	return UINT64_MAX;
}

/* Smallest id >= @start holding a non-NULL pointer in the subtree, or UINT64_MAX. */
static uint64_t find_set(const struct tee_idr_node *n, unsigned level, uint64_t start)
{
	unsigned shift = IDR_BITS * level, first = index_at(start, level);

	for (uint64_t cand = n->set & from_bit(first); cand; cand &= cand - 1) {
		unsigned c = (unsigned) __builtin_ctzll(cand);
		uint64_t base = (uint64_t) c << shift, sub = c == first ? start - base : 0, r;

		if (level == 0)
			return base;
		r = find_set(n->slot[c], level - 1, sub);
		if (r != UINT64_MAX)
			return base + r;
	}
	return UINT64_MAX;
}

/*
 * Walk from the root to the leaf of @id, recording the node at each level in
 * @path (path[0] is the leaf). Returns false when a node on the way is absent.
 */
static bool walk(const struct tee_idr *idr, uint64_t id, struct tee_idr_node **path)
{
	struct tee_idr_node *n = idr->root;

	if (!n || id >= capacity(idr->height))
		return false;
	for (unsigned level = idr->height - 1;; level--) {
		path[level] = n;
		if (level == 0)
			return true;
		if (!(n->present & (1ull << index_at(id, level))))
			return false;
		n = n->slot[index_at(id, level)];
	}
}

static void assign_bit(uint64_t *mask, unsigned bit, bool on)
{
	if (on)
		*mask |= 1ull << bit;
	else
		*mask &= ~(1ull << bit);
}

/*
 * After the leaf on @path changed, refresh the summary bits of every
 * ancestor, freeing nodes left with nothing in them (the root included).
 */
static void fix_up(struct tee_idr *idr, uint64_t id, struct tee_idr_node **path)
{
	for (unsigned level = 1; level < idr->height; level++) {
		struct tee_idr_node *child = path[level - 1], *n = path[level];
		unsigned c = index_at(id, level);
		bool empty = !child->present, full = child->full == ALL, set = child->set != 0;

		if (empty) {
			tsim_free(idr->m, child);
			n->slot[c] = NULL;
			assign_bit(&n->present, c, false);
		}
		assign_bit(&n->full, c, !empty && full);
		assign_bit(&n->set, c, !empty && set);
	}
	if (!idr->root->present) {
		tsim_free(idr->m, idr->root);
		idr->root = NULL;
		idr->height = 0;
	}
}

/*
 * Make the tree tall enough to hold @id; -ENOMEM leaves it valid. An empty
 * table gets a root of the right height at once (no chain of empty nodes).
 */
static int grow(struct tee_idr *idr, uint64_t id)
{
	if (!idr->root) {
		unsigned height = 1;

		while (id >= capacity(height))
			height++;
		idr->root = tsim_calloc(idr->m, 1, sizeof(*idr->root));
		if (!idr->root)
			return -ENOMEM;
		idr->height = height;
		return 0;
	}
	while (id >= capacity(idr->height)) {
		struct tee_idr_node *n = tsim_calloc(idr->m, 1, sizeof(*n));

		if (!n)
			return -ENOMEM;
		n->slot[0] = idr->root;
		n->present = 1;
		n->full = idr->root->full == ALL;
		n->set = idr->root->set != 0;
		idr->root = n;
		idr->height++;
	}
	return 0;
}

/* idr_alloc */
int tee_idr_alloc(struct tee_idr *idr, void *ptr, int start, int end)
{
	struct tee_idr_node *path[IDR_MAX_HEIGHT], *fresh[IDR_MAX_HEIGHT];
	uint64_t limit = end <= 0 ? (uint64_t) INT_MAX + 1 : (uint64_t) end, id = UINT64_MAX;
	unsigned level, nfresh = 0, leaf_bit;
	struct tee_idr_node *n;

	if (start < 0)
		return -EINVAL;
	if ((uint64_t) start >= limit)
		return -ENOSPC;
	if (idr->root && (uint64_t) start < capacity(idr->height))
		id = find_free(idr->root, idr->height - 1, (uint64_t) start);
	if (id == UINT64_MAX) /* nothing free inside the tree: the first id past it */
		id = (uint64_t) start > capacity(idr->height) ? (uint64_t) start
							      : capacity(idr->height);
	if (id >= limit)
		return -ENOSPC;
	if (grow(idr, id))
		return -ENOMEM;

	/* allocate every missing node of the path first, so failure changes nothing */
	n = idr->root;
	for (level = idr->height - 1; level > 0; level--) {
		unsigned c = index_at(id, level);

		if (!(n->present & (1ull << c)))
			break;
		n = n->slot[c];
	}
	for (unsigned l = level; l > 0; l--) {
		fresh[nfresh] = tsim_calloc(idr->m, 1, sizeof(struct tee_idr_node));
		if (!fresh[nfresh])
			goto err_fresh;
		nfresh++;
	}
	/* link them */
	for (unsigned i = 0; level > 0; level--, i++) {
		unsigned c = index_at(id, level);

		n->slot[c] = fresh[i];
		assign_bit(&n->present, c, true);
		n = fresh[i];
	}

	walk(idr, id, path);
	leaf_bit = index_at(id, 0);
	n = path[0];
	n->slot[leaf_bit] = ptr;
	assign_bit(&n->present, leaf_bit, true);
	assign_bit(&n->full, leaf_bit, true);
	assign_bit(&n->set, leaf_bit, ptr != NULL);
	fix_up(idr, id, path);
	idr->count++;
	return (int) id;

err_fresh:
	while (nfresh)
		tsim_free(idr->m, fresh[--nfresh]);
	if (!idr->root->present) { /* a root grow() made for an empty table */
		tsim_free(idr->m, idr->root);
		idr->root = NULL;
		idr->height = 0;
	}
	return -ENOMEM;
}

/* The leaf holding allocated @id, or NULL. */
static struct tee_idr_node *leaf_of(const struct tee_idr *idr, int id, struct tee_idr_node **path)
{
	if (id < 0 || !walk(idr, (uint64_t) id, path))
		return NULL;
	if (!(path[0]->present & (1ull << index_at((uint64_t) id, 0))))
		return NULL;
	return path[0];
}

/* idr_find */
void *tee_idr_find(const struct tee_idr *idr, int id)
{
	struct tee_idr_node *path[IDR_MAX_HEIGHT], *leaf = leaf_of(idr, id, path);

	return leaf ? leaf->slot[index_at((uint64_t) id, 0)] : NULL;
}

int tee_idr_is_allocated(const struct tee_idr *idr, int id)
{
	struct tee_idr_node *path[IDR_MAX_HEIGHT];

	return leaf_of(idr, id, path) != NULL;
}

/* idr_replace */
int tee_idr_replace(struct tee_idr *idr, void *ptr, int id, void **old)
{
	struct tee_idr_node *path[IDR_MAX_HEIGHT], *leaf = leaf_of(idr, id, path);
	unsigned bit = index_at((uint64_t) id, 0);

	if (!leaf)
		return -ENOENT;
	if (old)
		*old = leaf->slot[bit];
	leaf->slot[bit] = ptr;
	assign_bit(&leaf->set, bit, ptr != NULL);
	fix_up(idr, (uint64_t) id, path);
	return 0;
}

/* idr_remove */
void *tee_idr_remove(struct tee_idr *idr, int id)
{
	struct tee_idr_node *path[IDR_MAX_HEIGHT], *leaf = leaf_of(idr, id, path);
	unsigned bit = index_at((uint64_t) id, 0);
	void *ptr;

	if (!leaf)
		return NULL;
	ptr = leaf->slot[bit];
	leaf->slot[bit] = NULL;
	assign_bit(&leaf->present, bit, false);
	assign_bit(&leaf->full, bit, false);
	assign_bit(&leaf->set, bit, false);
	fix_up(idr, (uint64_t) id, path);
	idr->count--;
	return ptr;
}

size_t tee_idr_count(const struct tee_idr *idr)
{
	return idr->count;
}

/* idr_get_next */
void *tee_idr_get_next(const struct tee_idr *idr, int *id)
{
	struct tee_idr_node *path[IDR_MAX_HEIGHT];
	uint64_t found = UINT64_MAX;

	if (*id >= 0 && idr->root && (uint64_t) *id < capacity(idr->height))
		found = find_set(idr->root, idr->height - 1, (uint64_t) *id);
	if (found == UINT64_MAX || found > INT_MAX) {
		*id = -1;
		return NULL;
	}
	walk(idr, found, path);
	*id = (int) found;
	return path[0]->slot[index_at(found, 0)];
}

/* Check the subtree of @n at @level; adds the ids it holds to *@count. */
static bool check_node(const struct tee_idr_node *n, unsigned level, size_t *count)
{
	uint64_t full = 0, set = 0;

	if (!n->present)
		return false; /* empty nodes are freed at once */
	for (unsigned c = 0; c < IDR_FANOUT; c++) {
		bool here = n->present & (1ull << c);

		if (level == 0) {
			if (!here && n->slot[c])
				return false;
			full |= (uint64_t) here << c;
			set |= (uint64_t) (n->slot[c] != NULL) << c;
			*count += here;
			continue;
		}
		if (here != (n->slot[c] != NULL))
			return false;
		if (!here)
			continue;
		if (!check_node(n->slot[c], level - 1, count))
			return false;
		full |= (uint64_t) (((const struct tee_idr_node *) n->slot[c])->full == ALL) << c;
		set |= (uint64_t) (((const struct tee_idr_node *) n->slot[c])->set != 0) << c;
	}
	return n->full == full && n->set == set;
}

int tee_idr_check(const struct tee_idr *idr)
{
	size_t count = 0;

	if (!idr->root)
		return idr->height == 0 && idr->count == 0 ? 0 : -EUCLEAN;
	if (idr->height == 0 || idr->height > IDR_MAX_HEIGHT)
		return -EUCLEAN;
	if (!check_node(idr->root, idr->height - 1, &count) || count != idr->count)
		return -EUCLEAN;
	return 0;
}
