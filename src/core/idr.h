/* SPDX-License-Identifier: MIT */
/*
 * Model of the kernel idr as the tee core uses it: integer ids in [0,
 * INT_MAX], each mapping to a pointer, handed out smallest-free-first within
 * a range. No locking: the caller serializes every call on one table.
 *
 * The table is a 64-ary radix tree. Every node keeps three bitmaps over its
 * 64 slots: which are present (allocated id / existing child), which are
 * full (no free id below), and which hold a non-NULL pointer somewhere below.
 * Allocation, lookup, removal and iteration are O(tree height) = at most 6
 * levels of 64-bit mask operations, whatever the number of ids; sparse ids
 * (say 5 and 2000000000) cost only the nodes on their paths.
 */
#ifndef TEESIM_CORE_IDR_H
#define TEESIM_CORE_IDR_H

#include <stddef.h>
#include <stdint.h>

struct tee_idr_node;
struct teesim_machine;

struct tee_idr {
	struct tee_idr_node *root; /* NULL when empty */
	unsigned height;	   /* levels of the tree; it covers ids < 64^height */
	size_t count;		   /* ids allocated, reserved ones included */
	struct teesim_machine *m;  /* allocates the nodes (NULL: the host; sim/alloc.h) */
};

/* idr_init: an empty table whose nodes come from @m (a zeroed struct
 * tee_idr is one too, allocating from the host). */
void tee_idr_init(struct tee_idr *idr, struct teesim_machine *m);

/* idr_destroy: free the table's memory, not the objects; the table is empty after. */
void tee_idr_destroy(struct tee_idr *idr);

/*
 * idr_alloc: the smallest free id in [start, end) (end <= 0 means INT_MAX + 1)
 * now maps to @ptr. @ptr may be NULL: the id is then reserved (allocated, but
 * tee_idr_find() returns NULL for it) until tee_idr_replace() fills it.
 * Returns the id, -EINVAL for start < 0, -ENOSPC when the range has no free id
 * (an empty range included), -ENOMEM when the host is out of memory.
 */
int tee_idr_alloc(struct tee_idr *idr, void *ptr, int start, int end);

/* idr_find: the pointer stored at @id; NULL if @id is not allocated or reserved. */
void *tee_idr_find(const struct tee_idr *idr, int id);

/*
 * idr_replace: store @ptr (may be NULL) at the allocated (possibly reserved)
 * @id. Returns 0 and the previous pointer in *@old (when @old is not NULL),
 * or -ENOENT when @id is not allocated.
 */
int tee_idr_replace(struct tee_idr *idr, void *ptr, int id, void **old);

/* idr_remove: free @id; returns the pointer it held, NULL if none (or reserved). */
void *tee_idr_remove(struct tee_idr *idr, int id);

/* The number of ids allocated, reserved ones included. */
size_t tee_idr_count(const struct tee_idr *idr);

/*
 * idr_get_next: the first id >= *@id that holds a non-NULL pointer: returns
 * the pointer and stores the id in *@id; returns NULL and stores -1 when there
 * is none. Reserved (NULL) entries are skipped, as the kernel's idr_get_next
 * does, so `for (id = 0; (p = tee_idr_get_next(idr, &id)); id++)` visits every
 * object in increasing id order. A negative *@id finds nothing.
 */
void *tee_idr_get_next(const struct tee_idr *idr, int *id);

/* Whether @id is allocated (reserved included). */
int tee_idr_is_allocated(const struct tee_idr *idr, int id);

/*
 * Consistency check for tests: every summary bitmap matches what lies below
 * it, no node is empty, and the count matches. 0, or -EUCLEAN.
 */
int tee_idr_check(const struct tee_idr *idr);

#endif /* TEESIM_CORE_IDR_H */
