/* SPDX-License-Identifier: MIT */
/*
 * Which guest page a pinned host page is bound to: a radix tree keyed by the
 * host page number, like a page table. A registration pins a run of
 * consecutive host pages, so consecutive keys land in the same leaf, and the
 * last leaf used is remembered: binding or looking up a run costs a few
 * instructions per page and no probing, whatever the table's history.
 * Nodes stay when they empty (a client registers the same buffers again and
 * again; rebuilding a path costs more than the pin) and go at teardown, or
 * with tsim_hostmap_prune().
 */
#include <stdlib.h>

#include "internal.h"

#define FANOUT_BITS 9
#define FANOUT	    (1u << FANOUT_BITS)
#define KEY_BITS    (64 - TEESIM_PAGE_SHIFT)
/* inner levels above the leaves, enough to cover every key bit */
#define LEVELS ((int) ((KEY_BITS + FANOUT_BITS - 1) / FANOUT_BITS - 1))

struct tsim_hostmap_leaf {
	struct tsim_hostmap_entry e[FANOUT];
	unsigned used;
};

struct tsim_hostmap_node {
	void *child[FANOUT]; /* inner nodes, or leaves at the last level */
	unsigned used;
};

static unsigned slot(uint64_t leafkey, int level)
{
	/* level 0 is the root; the last inner level indexes leaves */
	return (unsigned) (leafkey >> ((LEVELS - 1 - level) * FANOUT_BITS)) & (FANOUT - 1);
}

/* The leaf holding @host's key, or NULL; with @create, make the path. */
static struct tsim_hostmap_leaf *leaf_of(struct tsim_hostmap *h, uintptr_t host, bool create)
{
	uint64_t leafkey = ((uint64_t) host >> TEESIM_PAGE_SHIFT) >> FANOUT_BITS;
	struct tsim_hostmap_node **np = &h->root;

	if (h->last_leaf && h->last_key == leafkey)
		return h->last_leaf;
	for (int level = 0; level < LEVELS; level++) {
		void **next;

		if (!*np) {
			if (!create || !(*np = tsim_calloc(h->m, 1, sizeof(**np))))
				return NULL;
		}
		next = &(*np)->child[slot(leafkey, level)];
		if (level == LEVELS - 1) {
			if (!*next) {
				if (!create || !(*next = tsim_calloc(
						     h->m, 1, sizeof(struct tsim_hostmap_leaf))))
					return NULL;
				(*np)->used++;
			}
			h->last_key = leafkey;
			h->last_leaf = *next;
			return *next;
		}
		if (!*next) {
			if (!create ||
			    !(*next = tsim_calloc(h->m, 1, sizeof(struct tsim_hostmap_node))))
				return NULL;
			(*np)->used++;
		}
		np = (struct tsim_hostmap_node **) next;
	}
	return NULL;
}

static unsigned entry_of(uintptr_t host)
{
	return (unsigned) ((uint64_t) host >> TEESIM_PAGE_SHIFT) & (FANOUT - 1);
}

struct tsim_hostmap_entry *tsim_hostmap_find(struct tsim_hostmap *h, uintptr_t host)
{
	struct tsim_hostmap_leaf *l = leaf_of(h, host, false);
	struct tsim_hostmap_entry *e = l ? &l->e[entry_of(host)] : NULL;

	return e && e->guest ? e : NULL;
}

int tsim_hostmap_insert(struct tsim_hostmap *h, uintptr_t host, struct teesim_guest *g,
			uint64_t idx)
{
	struct tsim_hostmap_leaf *l = leaf_of(h, host, true);
	struct tsim_hostmap_entry *e;

	if (!l) {
		tsim_hostmap_prune(h);
		return -1;
	}
	e = &l->e[entry_of(host)];
	if (!e->guest) {
		l->used++;
		h->used++;
	}
	*e = (struct tsim_hostmap_entry){host, g, idx};
	return 0;
}

/* Free every empty node under *@np; returns true if *@np itself went. */
static bool prune(struct tsim_hostmap *h, void **np, int level)
{
	if (!*np)
		return false;
	if (level == LEVELS) {
		struct tsim_hostmap_leaf *l = *np;

		if (l->used)
			return false;
		if (h->last_leaf == l)
			h->last_leaf = NULL;
	} else {
		struct tsim_hostmap_node *n = *np;

		for (unsigned i = 0; i < FANOUT && n->used; i++)
			if (prune(h, &n->child[i], level + 1))
				n->used--;
		if (n->used)
			return false;
	}
	tsim_free(h->m, *np);
	*np = NULL;
	return true;
}

void tsim_hostmap_prune(struct tsim_hostmap *h)
{
	prune(h, (void **) &h->root, 0);
}

void tsim_hostmap_remove(struct tsim_hostmap *h, uintptr_t host)
{
	struct tsim_hostmap_leaf *l = leaf_of(h, host, false);
	struct tsim_hostmap_entry *e = l ? &l->e[entry_of(host)] : NULL;

	if (!e || !e->guest)
		return;
	*e = (struct tsim_hostmap_entry){0, NULL, 0};
	h->used--;
	l->used--;
}

static void free_tree(struct teesim_machine *m, void *np, int level)
{
	if (!np)
		return;
	if (level < LEVELS) {
		struct tsim_hostmap_node *n = np;

		for (unsigned i = 0; i < FANOUT; i++)
			free_tree(m, n->child[i], level + 1);
	}
	tsim_free(m, np);
}

void tsim_hostmap_fini(struct tsim_hostmap *h)
{
	free_tree(h->m, h->root, 0);
	*h = (struct tsim_hostmap){0};
}
