/* SPDX-License-Identifier: MIT */
/*
 * Which guest page a pinned host page is bound to: an open-addressing table
 * keyed by the host page address (page aligned, so 0 and 1 are free to mark
 * empty and deleted slots).
 */
#include <stdlib.h>

#include "internal.h"

#define EMPTY	  ((uintptr_t) 0)
#define TOMBSTONE ((uintptr_t) 1)

static size_t slot_of(const struct tsim_hostmap *h, uintptr_t host)
{
	uint64_t x = (uint64_t) host >> TEESIM_PAGE_SHIFT;

	x *= 0x9e3779b97f4a7c15ull;
	return (size_t) (x >> 17) & (h->cap - 1);
}

struct tsim_hostmap_entry *tsim_hostmap_find(struct tsim_hostmap *h, uintptr_t host)
{
	if (!h->cap)
		return NULL;
	for (size_t i = slot_of(h, host);; i = (i + 1) & (h->cap - 1)) {
		struct tsim_hostmap_entry *e = &h->slots[i];

		if (e->host == host)
			return e;
		if (e->host == EMPTY)
			return NULL;
	}
}

static void put(struct tsim_hostmap *h, const struct tsim_hostmap_entry *src)
{
	size_t i = slot_of(h, src->host);

	while (h->slots[i].host != EMPTY && h->slots[i].host != TOMBSTONE)
		i = (i + 1) & (h->cap - 1);
	if (h->slots[i].host == TOMBSTONE)
		h->tombstones--;
	h->slots[i] = *src;
	h->used++;
}

static int grow(struct tsim_hostmap *h)
{
	size_t cap = h->cap ? h->cap : 64;
	struct tsim_hostmap old = *h;

	while ((h->used + 1) * 2 > cap)
		cap *= 2;
	h->slots = calloc(cap, sizeof(*h->slots));
	if (!h->slots) {
		*h = old;
		return -1;
	}
	h->cap = cap;
	h->used = 0;
	h->tombstones = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].host > TOMBSTONE)
			put(h, &old.slots[i]);
	free(old.slots);
	return 0;
}

int tsim_hostmap_insert(struct tsim_hostmap *h, uintptr_t host, struct teesim_guest *g,
			uint64_t idx)
{
	struct tsim_hostmap_entry e = {.host = host, .guest = g, .index = idx};

	if ((h->used + h->tombstones + 1) * 4 > h->cap * 3 && grow(h))
		return -1;
	put(h, &e);
	return 0;
}

void tsim_hostmap_remove(struct tsim_hostmap *h, uintptr_t host)
{
	struct tsim_hostmap_entry *e = tsim_hostmap_find(h, host);

	if (!e)
		return;
	e->host = TOMBSTONE;
	e->guest = NULL;
	h->used--;
	h->tombstones++;
}

void tsim_hostmap_fini(struct tsim_hostmap *h)
{
	free(h->slots);
	h->slots = NULL;
	h->cap = h->used = h->tombstones = 0;
}
