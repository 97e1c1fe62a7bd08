/* SPDX-License-Identifier: MIT */
/*
 * The invariant checker's frame: the report, the registry of layers, and
 * the machine's own invariants (frame accounting, pins, host-page bindings,
 * processes, violations). Each layer checks itself in its own file
 * (src/core/tee_check.c, src/optee/optee_check.c, sim/optee/check.c,
 * sim/mediator/check.c, sim/supplicant/check.c) through a node it registers
 * on its machine. Nothing here allocates memory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <teesim/optee.h>

#include "internal.h"

/* room kept at the end of the text for the "... and N more" line */
#define CHECK_TAIL 48

/* ---- the report ---- */

void tsim_check_report(struct tsim_check *c, const char *fmt, ...)
{
	struct teesim_check_report *rep = c->rep;
	char line[512];
	va_list ap;
	int n;

	c->problems++;
	if (!rep)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t) n >= sizeof(line))
		n = (int) sizeof(line) - 1;
	if (c->dropped || rep->len + (size_t) n + 1 + CHECK_TAIL >= sizeof(rep->text)) {
		c->dropped++;
		return;
	}
	memcpy(rep->text + rep->len, line, (size_t) n);
	rep->len += (size_t) n;
	rep->text[rep->len++] = '\n';
	rep->text[rep->len] = '\0';
}

static void report_finish(struct tsim_check *c)
{
	struct teesim_check_report *rep = c->rep;

	if (!rep)
		return;
	rep->problems = c->problems;
	if (c->dropped) {
		int n = snprintf(rep->text + rep->len, sizeof(rep->text) - rep->len,
				 "... and %u more\n", c->dropped);

		if (n > 0)
			rep->len += (size_t) n;
	}
}

/* ---- the registry ---- */

void tsim_check_register(struct teesim_machine *m, struct tsim_check_node *n)
{
	struct tsim_check_node **pp;

	pthread_mutex_lock(&m->check_lock);
	for (pp = &m->checkers; *pp; pp = &(*pp)->next)
		;
	n->next = NULL;
	*pp = n;
	pthread_mutex_unlock(&m->check_lock);
}

void tsim_check_unregister(struct teesim_machine *m, struct tsim_check_node *n)
{
	pthread_mutex_lock(&m->check_lock);
	for (struct tsim_check_node **pp = &m->checkers; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	}
	n->next = NULL;
	pthread_mutex_unlock(&m->check_lock);
}

/* The queries below run during a check, with m->check_lock held. */

unsigned tsim_check_shm_refs(struct tsim_check *c, const void *shm)
{
	unsigned n = 0;

	for (struct tsim_check_node *k = c->m->checkers; k; k = k->next)
		if (k->shm_refs)
			n += k->shm_refs(k->obj, shm);
	return n;
}

unsigned tsim_check_ctx_refs(struct tsim_check *c, const void *ctx)
{
	unsigned n = 0;

	for (struct tsim_check_node *k = c->m->checkers; k; k = k->next)
		if (k->ctx_refs)
			n += k->ctx_refs(k->obj, ctx);
	return n;
}

unsigned tsim_check_dev_shms(struct tsim_check *c, const void *teedev)
{
	unsigned n = 0;

	for (struct tsim_check_node *k = c->m->checkers; k; k = k->next)
		if (k->dev_shms)
			n += k->dev_shms(k->obj, teedev);
	return n;
}

void tsim_check_cookies(struct tsim_check *c, enum tsim_check_kind kind, struct teesim_guest *g,
			const uint64_t *cookies, unsigned n, int8_t *ans)
{
	int8_t one[TSIM_CHECK_BATCH];

	if (n > TSIM_CHECK_BATCH)
		n = TSIM_CHECK_BATCH;
	memset(ans, -1, n);
	for (struct tsim_check_node *k = c->m->checkers; k; k = k->next) {
		if (k->kind != kind || !k->has_cookies ||
		    !k->has_cookies(k->obj, g, cookies, n, one))
			continue;
		for (unsigned i = 0; i < n; i++)
			if (one[i] > 0 || ans[i] < 0)
				ans[i] = one[i] > 0 ? 1 : 0;
	}
}

bool tsim_check_has(struct tsim_check *c, enum tsim_check_kind kind)
{
	for (struct tsim_check_node *k = c->m->checkers; k; k = k->next)
		if (k->kind == kind)
			return true;
	return false;
}

/* ---- the machine ---- */

static uint64_t bitmap_count(const struct tsim_bitmap *b)
{
	uint64_t n = 0;

	for (uint64_t w = 0; w < (b->nbits + 63) / 64; w++)
		n += (uint64_t) __builtin_popcountll(b->words[w]);
	return n;
}

static bool process_alive(const struct teesim_machine *m, uint32_t pid)
{
	for (const struct teesim_process *p = m->processes; p; p = p->next)
		if (p->id == pid)
			return true;
	return false;
}

/* per-guest page walk; adds to the machine-wide totals */
struct page_totals {
	uint64_t kernel, user, host, pinned, pins;
};

static void check_guest(struct tsim_check *c, struct teesim_guest *g, struct page_totals *t)
{
	struct teesim_machine *m = c->m;
	uint64_t busy = 0, kernel = 0, user = 0, host = 0, pinned = 0, pins = 0;
	unsigned bad_host = 0, bad_owner = 0, bad_unmapped = 0, bad_bitmap = 0;
	uint64_t first_bad = UINT64_MAX;

	const struct tsim_page *pages = g->pages;
	const uint64_t *words = g->alloc.words, npages = g->npages;
	_Atomic uintptr_t *slot_host = m->slot_host + g->slot_base;

	for (uint64_t i = 0; i < npages; i++) {
		const struct tsim_page *pg = &pages[i];
		uintptr_t h = atomic_load_explicit(&slot_host[i], memory_order_relaxed);
		bool used = (words[i >> 6] >> (i & 63)) & 1; /* tsim_bitmap_test, inline */

		/* the common case: a free page, unpinned, unbound, free in the bitmap */
		if (!used && pg->state == TSIM_PG_FREE && !pg->pins && !h)
			continue;
		if (used != (pg->state != TSIM_PG_FREE)) {
			bad_bitmap++;
			if (first_bad == UINT64_MAX)
				first_bad = i;
		}
		if (pg->state != TSIM_PG_FREE)
			busy++;
		if (pg->pins) {
			pinned++;
			pins += pg->pins;
		}
		switch (pg->state) {
		case TSIM_PG_KERNEL:
			kernel++;
			break;
		case TSIM_PG_USER:
			user++;
			if (!process_alive(m, pg->owner) && !pg->pins)
				bad_owner++;
			if (!(pg->flags & TSIM_PGF_MAPPED) && !pg->pins)
				bad_unmapped++;
			break;
		case TSIM_PG_HOST: {
			struct tsim_hostmap_entry *e = h ? tsim_hostmap_find(&m->hostmap, h) : NULL;

			host++;
			if (!e || e->guest != g || e->index != i || !pg->pins)
				bad_host++;
			break;
		}
		default:
			break;
		}
		if (pg->state != TSIM_PG_HOST && h)
			bad_host++;
		if (pg->state == TSIM_PG_FREE && pg->pins)
			bad_owner++;
	}
	if (busy != g->busy_pages)
		tsim_check_report(c, "machine: guest %u: %llu busy pages counted, %llu found",
				  g->id, (unsigned long long) g->busy_pages,
				  (unsigned long long) busy);
	if (bad_bitmap)
		tsim_check_report(c,
				  "machine: guest %u: %u pages whose allocation bit disagrees with "
				  "their state (first: page %llu)",
				  g->id, bad_bitmap, (unsigned long long) first_bad);
	if (bad_host)
		tsim_check_report(c,
				  "machine: guest %u: %u host-page bindings inconsistent (slot, "
				  "host map, pin)",
				  g->id, bad_host);
	if (bad_owner)
		tsim_check_report(
		    c,
		    "machine: guest %u: %u pages with no live owner (free page pinned, "
		    "user page of a gone process with no pin)",
		    g->id, bad_owner);
	if (bad_unmapped)
		tsim_check_report(c, "machine: guest %u: %u unmapped user pages kept with no pin",
				  g->id, bad_unmapped);
	if (g->id < TSIM_MAX_GUESTS)
		c->guest_kernel[g->id] = kernel;
	t->kernel += kernel;
	t->user += user;
	t->host += host;
	t->pinned += pinned;
	t->pins += pins;
}

static bool refcount_kind(enum teesim_violation_kind k)
{
	return k == TEESIM_VIOL_REFCOUNT_INC_ZERO || k == TEESIM_VIOL_REFCOUNT_UNDERFLOW ||
	       k == TEESIM_VIOL_REFCOUNT_OVERFLOW || k == TEESIM_VIOL_REFCOUNT_DEC_LEAK;
}

static void check_machine_state(struct tsim_check *c)
{
	struct teesim_machine *m = c->m;
	struct page_totals t = {0};
	uint64_t nproc = 0, secure;
	uint64_t gproc[TSIM_MAX_GUESTS] = {0};
	unsigned guests = 0;

	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < TSIM_MAX_GUESTS; i++) {
		if (!m->guests[i])
			continue;
		guests++;
		check_guest(c, m->guests[i], &t);
	}
	if (guests != m->nguests_alive)
		tsim_check_report(c, "machine: %u guests counted, %u found", m->nguests_alive,
				  guests);
	if (t.kernel != m->kernel_pages || t.user != m->user_pages || t.host != m->host_pages)
		tsim_check_report(
		    c,
		    "machine: frames by kind counted kernel %llu user %llu host %llu, "
		    "owners found kernel %llu user %llu host %llu",
		    (unsigned long long) m->kernel_pages, (unsigned long long) m->user_pages,
		    (unsigned long long) m->host_pages, (unsigned long long) t.kernel,
		    (unsigned long long) t.user, (unsigned long long) t.host);
	if (t.pinned != m->pinned_pages || t.pins != m->pins)
		tsim_check_report(
		    c, "machine: pins counted %llu on %llu pages, found %llu on %llu pages",
		    (unsigned long long) m->pins, (unsigned long long) m->pinned_pages,
		    (unsigned long long) t.pins, (unsigned long long) t.pinned);
	if (m->hostmap.used != t.host)
		tsim_check_report(c, "machine: host map holds %zu bindings, %llu host pages found",
				  m->hostmap.used, (unsigned long long) t.host);
	secure = bitmap_count(&m->secure_alloc);
	if (secure != m->secure_pages)
		tsim_check_report(c, "machine: secure pages counted %llu, allocated in map %llu",
				  (unsigned long long) m->secure_pages,
				  (unsigned long long) secure);
	for (const struct teesim_process *p = m->processes; p; p = p->next) {
		nproc++;
		if (p->g && p->g->id < TSIM_MAX_GUESTS)
			gproc[p->g->id]++;
	}
	if (nproc != m->nprocesses)
		tsim_check_report(c, "machine: %llu processes counted, %llu found",
				  (unsigned long long) m->nprocesses, (unsigned long long) nproc);
	for (unsigned i = 0; i < TSIM_MAX_GUESTS; i++)
		if (m->guests[i] && m->guests[i]->nprocesses != gproc[i])
			tsim_check_report(c,
					  "machine: guest %u: %llu processes counted, %llu found",
					  i, (unsigned long long) m->guests[i]->nprocesses,
					  (unsigned long long) gproc[i]);
	for (size_t i = 0; i < m->nviol; i++)
		if (refcount_kind(m->viol[i].kind))
			tsim_check_report(c, "machine: violation: %s (counter at 0x%llx)",
					  teesim_violation_name(m->viol[i].kind),
					  (unsigned long long) m->viol[i].addr);
	if (c->flags & TEESIM_CHECK_EMPTY) {
		if (t.pins)
			tsim_check_report(c, "machine: %llu pins left on %llu pages at teardown",
					  (unsigned long long) t.pins,
					  (unsigned long long) t.pinned);
		if (t.host)
			tsim_check_report(c, "machine: %llu host pages still bound at teardown",
					  (unsigned long long) t.host);
		if (!m->checkers && t.kernel)
			tsim_check_report(c,
					  "machine: %llu kernel pages held with no layer attached "
					  "at teardown",
					  (unsigned long long) t.kernel);
		/* the secure world model allocates none: any is a test's, left behind */
		if (m->secure_pages)
			tsim_check_report(c, "machine: %llu secure pages left at teardown",
					  (unsigned long long) m->secure_pages);
	}
	pthread_mutex_unlock(&m->lock);
}

/*
 * EMPTY: a guest's kernel pages are all held by the layers that answer for
 * that guest (driver pools and caches, mediator memory). Guests no layer
 * answers for (a test's own kernel allocations) are left alone.
 */
static void check_kernel_pages(struct tsim_check *c)
{
	struct teesim_machine *m = c->m;
	struct teesim_guest *guests[TSIM_MAX_GUESTS];

	/* one look at the guest table: the layers' callbacks below take their own locks */
	pthread_mutex_lock(&m->lock);
	memcpy(guests, m->guests, sizeof(guests));
	pthread_mutex_unlock(&m->lock);
	for (unsigned i = 0; i < TSIM_MAX_GUESTS; i++) {
		struct teesim_guest *g = guests[i];
		uint64_t held = 0;
		bool concerned = false;

		if (!g)
			continue;
		for (struct tsim_check_node *k = m->checkers; k; k = k->next) {
			int64_t n = k->kernel_pages ? k->kernel_pages(k->obj, g) : -1;

			if (n >= 0) {
				concerned = true;
				held += (uint64_t) n;
			}
		}
		if (concerned && held != c->guest_kernel[i])
			tsim_check_report(c,
					  "machine: guest %u: %llu kernel pages, %llu held by the "
					  "driver and mediator (pools, caches, shadows)",
					  i, (unsigned long long) c->guest_kernel[i],
					  (unsigned long long) held);
	}
}

/* whether @obj is registered on @m */
static bool node_of(struct teesim_machine *m, const void *obj)
{
	bool yes = false;

	pthread_mutex_lock(&m->check_lock);
	for (struct tsim_check_node *k = m->checkers; k; k = k->next)
		if (k->obj == obj)
			yes = true;
	pthread_mutex_unlock(&m->check_lock);
	return yes;
}

static unsigned run_check(struct tsim_check *c)
{
	struct teesim_machine *m = c->m;
	void (*core_check)(void *core, struct tsim_check *c);
	void *core;

	if (c->rep) {
		c->rep->problems = 0;
		c->rep->len = 0;
		c->rep->text[0] = '\0';
	}
	pthread_mutex_lock(&m->check_lock);
	c->gen = ++m->check_gen;
	check_machine_state(c);
	pthread_mutex_lock(&m->lock);
	core = m->tee_core;
	core_check = m->tee_core_check;
	pthread_mutex_unlock(&m->lock);
	if (core && core_check)
		core_check(core, c);
	for (struct tsim_check_node *k = m->checkers; k; k = k->next)
		if (k->check)
			k->check(k->obj, c);
	if (c->flags & TEESIM_CHECK_EMPTY)
		check_kernel_pages(c);
	pthread_mutex_unlock(&m->check_lock);
	return c->problems;
}

unsigned teesim_check_machine(struct teesim_machine *m, unsigned flags,
			      struct teesim_check_report *rep)
{
	struct tsim_check c = {.m = m, .flags = flags, .rep = rep, .supp_fd = -1};

	if (!m) {
		if (rep)
			memset(rep, 0, sizeof(*rep));
		return 0;
	}
	run_check(&c);
	report_finish(&c);
	return c.problems;
}

unsigned teesim_check_stack(struct teesim_stack *st, unsigned flags,
			    struct teesim_check_report *rep)
{
	struct tsim_check c = {.flags = flags, .rep = rep, .supp_fd = -1};

	if (!st || !st->machine) {
		if (rep)
			memset(rep, 0, sizeof(*rep));
		return 0;
	}
	c.m = st->machine;
	c.supp_proc = st->supp_proc;
	c.supp_fd = st->supp_fd;
	run_check(&c);
	if (st->supp && !node_of(c.m, st->supp))
		tsim_supp_check(st->supp, &c);
	report_finish(&c);
	return c.problems;
}
