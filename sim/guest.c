/* SPDX-License-Identifier: MIT */
/* Guests: IPA spaces, stage-2 translation, kernel page allocations, unpin. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* First run of @n slots that no guest owns, or UINT64_MAX. */
static uint64_t find_slots(const struct teesim_machine *m, uint64_t n)
{
	uint64_t start = 0;
	bool moved = true;

	while (moved) {
		moved = false;
		if (n > m->ram_frames || start > m->ram_frames - n)
			return UINT64_MAX;
		for (unsigned i = 0; i < TSIM_MAX_GUESTS; i++) {
			const struct teesim_guest *g = m->guests[i];

			if (g && g->slot_base < start + n && start < g->slot_base + g->npages) {
				start = g->slot_base + g->npages;
				moved = true;
			}
		}
	}
	return start;
}

struct teesim_guest *tsim_guest_create(struct teesim_machine *m, uint64_t npages)
{
	struct teesim_guest *g;
	unsigned idx = TSIM_MAX_GUESTS;
	uint64_t base;

	for (unsigned i = 0; i < TSIM_MAX_GUESTS; i++) {
		if (!m->guests[i]) {
			idx = i;
			break;
		}
	}
	base = find_slots(m, npages);
	if (idx == TSIM_MAX_GUESTS || base == UINT64_MAX || !npages)
		return NULL;
	g = tsim_calloc(m, 1, sizeof(*g));
	if (!g)
		return NULL;
	g->pages = tsim_calloc(m, (size_t) npages, sizeof(*g->pages));
	if (!g->pages)
		goto fail_guest;
	if (tsim_bitmap_init(&g->alloc, m, npages))
		goto fail_pages;
	g->m = m;
	g->id = m->next_guest_id++;
	g->slot_base = base;
	g->npages = npages;
	g->ipa_base = m->cfg.guest_ipa_base;
	m->guests[idx] = g;
	m->nguests_alive++;
	return g;

fail_pages:
	tsim_free(m, g->pages);
fail_guest:
	tsim_free(m, g);
	return NULL;
}

void tsim_guest_destroy(struct teesim_guest *g)
{
	struct teesim_machine *m = g->m;

	/* unbind host pages still pinned when the machine goes away */
	for (uint64_t i = 0; i < g->npages && g->busy_pages; i++)
		if (g->pages[i].state != TSIM_PG_FREE)
			tsim_page_release(g, i);
	for (unsigned i = 0; i < TSIM_MAX_GUESTS; i++)
		if (m->guests[i] == g)
			m->guests[i] = NULL;
	m->nguests_alive--;
	tsim_bitmap_fini(&g->alloc);
	tsim_free(m, g->pages);
	tsim_free(m, g);
}

struct teesim_guest *teesim_machine_guest(struct teesim_machine *m, unsigned id)
{
	struct teesim_guest *found = NULL;

	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < TSIM_MAX_GUESTS; i++)
		if (m->guests[i] && m->guests[i]->id == id)
			found = m->guests[i];
	pthread_mutex_unlock(&m->lock);
	return found;
}

struct teesim_guest *teesim_guest_new(struct teesim_machine *m, uint64_t ram_size)
{
	struct teesim_guest *g;

	if (!ram_size || (ram_size & TSIM_PAGE_MASK)) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&m->lock);
	g = tsim_guest_create(m, ram_size / TSIM_PAGE);
	pthread_mutex_unlock(&m->lock);
	if (!g)
		errno = ENOMEM;
	return g;
}

int teesim_guest_free(struct teesim_guest *g)
{
	struct teesim_machine *m = g->m;
	int err = 0;

	if (g->id == 0)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	if (g->busy_pages || g->nprocesses)
		err = -EBUSY;
	else
		tsim_guest_destroy(g);
	pthread_mutex_unlock(&m->lock);
	return err;
}

struct teesim_machine *teesim_guest_machine(const struct teesim_guest *g)
{
	return g->m;
}

unsigned teesim_guest_id(const struct teesim_guest *g)
{
	return g->id;
}

teesim_ipa_t teesim_guest_ipa_base(const struct teesim_guest *g)
{
	return g->ipa_base;
}

uint64_t teesim_guest_ram_size(const struct teesim_guest *g)
{
	return g->npages * TSIM_PAGE;
}

/* Page index of @ipa in @g, or UINT64_MAX when it is not guest RAM. */
static uint64_t page_index(const struct teesim_guest *g, teesim_ipa_t ipa)
{
	if (ipa < g->ipa_base || (ipa - g->ipa_base) / TSIM_PAGE >= g->npages)
		return UINT64_MAX;
	return (ipa - g->ipa_base) / TSIM_PAGE;
}

int teesim_guest_ipa_to_pa(const struct teesim_guest *g, teesim_ipa_t ipa, teesim_pa_t *pa)
{
	uint64_t idx = page_index(g, ipa);

	if (idx == UINT64_MAX)
		return -EFAULT;
	*pa = g->m->ram.base + tsim_perm_fwd(&g->m->perm, g->slot_base + idx) * TSIM_PAGE +
	      (ipa & TSIM_PAGE_MASK);
	return 0;
}

int teesim_guest_pa_to_ipa(const struct teesim_guest *g, teesim_pa_t pa, teesim_ipa_t *ipa)
{
	const struct teesim_machine *m = g->m;
	uint64_t slot;

	if (tsim_region_of(m, pa) != &m->ram)
		return -ENOENT;
	slot = tsim_perm_inv(&m->perm, (pa - m->ram.base) / TSIM_PAGE);
	if (slot < g->slot_base || slot - g->slot_base >= g->npages)
		return -ENOENT;
	*ipa = g->ipa_base + (slot - g->slot_base) * TSIM_PAGE + (pa & TSIM_PAGE_MASK);
	return 0;
}

void *teesim_guest_ipa_host(struct teesim_guest *g, teesim_ipa_t ipa)
{
	uint64_t idx = page_index(g, ipa);

	if (idx == UINT64_MAX)
		return NULL;
	if (g->m->ram.fill) {
		/* the rest of a kernel allocation is reachable through this pointer
		 * too: zero its first use now if it was handed out with no pointer */
		pthread_mutex_lock(&g->m->lock);
		for (uint64_t i = idx; i + 1 < g->npages && g->pages[i].state == TSIM_PG_KERNEL &&
				       g->pages[i + 1].state == TSIM_PG_KERNEL;
		     i++)
			tsim_page_backing(g, i + 1);
		pthread_mutex_unlock(&g->m->lock);
	}
	return tsim_page_backing(g, idx) + (ipa & TSIM_PAGE_MASK);
}

int teesim_kmem_alloc(struct teesim_guest *g, size_t npages, unsigned flags, teesim_ipa_t *ipa,
		      void **host)
{
	struct teesim_machine *m = g->m;
	bool zero = flags & TEESIM_KMEM_ZERO, poison = m->cfg.poison && !zero;
	uint64_t first;
	unsigned char *p;

	if (!npages || (flags & ~(unsigned) TEESIM_KMEM_ZERO))
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	first = tsim_bitmap_alloc(&g->alloc, npages);
	if (first != UINT64_MAX) {
		/* taking a page keeps its USED flag, read below */
		tsim_pages_take(g, first, npages, TSIM_PG_KERNEL, 0);
		for (uint64_t i = first; (poison || host || zero) && i < first + npages; i++) {
			/* a page never used holds no old bytes: poison it, so that
			 * reading it before writing it shows; a used one was
			 * poisoned when it was freed */
			bool fresh = !(g->pages[i].flags & TSIM_PGF_USED);

			/* tsim_page_backing() zeroes a heap frame's first use; a
			 * page nobody can reach yet (no host pointer) is left to
			 * the accessors that reach it later */
			if (poison && fresh)
				memset(tsim_page_backing(g, i), TEESIM_POISON_FRESH, TSIM_PAGE);
			else if (host || zero)
				tsim_page_backing(g, i);
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (first == UINT64_MAX)
		return -ENOMEM;
	p = tsim_page_backing(g, first);
	if (zero)
		memset(p, 0, npages * TSIM_PAGE);
	if (ipa)
		*ipa = g->ipa_base + first * TSIM_PAGE;
	if (host)
		*host = p;
	return 0;
}

int teesim_kmem_free(struct teesim_guest *g, teesim_ipa_t ipa, size_t npages)
{
	struct teesim_machine *m = g->m;
	uint64_t first = page_index(g, ipa);
	int err = 0;

	if (!npages || (ipa & TSIM_PAGE_MASK))
		return -EINVAL;
	if (first == UINT64_MAX || npages > g->npages - first)
		return -EFAULT;
	pthread_mutex_lock(&m->lock);
	for (uint64_t i = first; i < first + npages; i++) {
		uint8_t st = g->pages[i].state;

		if (st == TSIM_PG_KERNEL)
			continue;
		tsim_violation(m,
			       st == TSIM_PG_FREE ? TEESIM_VIOL_DOUBLE_FREE : TEESIM_VIOL_BAD_FREE,
			       g->ipa_base + i * TSIM_PAGE, (int) g->id);
		err = -EINVAL;
	}
	if (!err)
		tsim_pages_release(g, first, npages);
	pthread_mutex_unlock(&m->lock);
	return err;
}

int teesim_guest_unpin(struct teesim_guest *g, const teesim_ipa_t *ipas, size_t n)
{
	struct teesim_machine *m = g->m;
	int err = 0;

	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < n; i++) {
		uint64_t idx = page_index(g, ipas[i]);
		struct tsim_page *pg;

		if (idx == UINT64_MAX) {
			err = -EFAULT;
			continue;
		}
		pg = &g->pages[idx];
		if (!pg->pins) {
			tsim_violation(m, TEESIM_VIOL_UNBALANCED_UNPIN, ipas[i] & ~TSIM_PAGE_MASK,
				       (int) g->id);
			if (!err)
				err = -EINVAL;
			continue;
		}
		pg->pins--;
		m->pins--;
		if (pg->pins)
			continue;
		m->pinned_pages--;
		if (pg->state == TSIM_PG_HOST ||
		    (pg->state == TSIM_PG_USER && !(pg->flags & TSIM_PGF_MAPPED)))
			tsim_page_release(g, idx);
	}
	pthread_mutex_unlock(&m->lock);
	return err;
}
