/* SPDX-License-Identifier: MIT */
/*
 * The instance-owned allocator (sim/alloc.h) and the allocation-fault API
 * (include/teesim/fault.h).
 *
 * Every counted allocation takes a number from the machine's counter. The
 * fast path is that increment plus two relaxed loads: the number is below
 * the armed one and nothing needs the lock. Site tracking and failures by
 * site take the allocator's lock on every allocation (slow is then set);
 * they are for test harnesses, not for fuzzers.
 *
 * The allocator's own bookkeeping (the site table, the armed site's name)
 * uses the host allocator directly: it is not part of the model, is never
 * failed, and a failure to grow the site table only loses that record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <teesim/fault.h>

#include "internal.h"

struct tsim_alloc_site {
	const char *loc; /* "path/file.c:line" as __FILE__ spelt it; NULL: free slot */
	const char *fn;
	uint64_t count;
	uint64_t order; /* when first seen */
};

/* "../sim/guest.c:46" or "/abs/src/core/x.c:9" -> "sim/guest.c:46", "src/core/x.c:9":
 * the path from the last "sim/" or "src/" that starts a path component */
static const char *site_loc(const char *loc)
{
	const char *best = loc;

	for (const char *p = loc; *p; p++)
		if ((p == loc || p[-1] == '/') &&
		    (!strncmp(p, "sim/", 4) || !strncmp(p, "src/", 4)))
			best = p;
	return best;
}

/* @want is "loc:fn", "loc" or "fn" */
static bool site_matches(const char *want, const char *loc, const char *fn)
{
	const char *l = site_loc(loc);
	size_t n = strlen(l);

	if (!strcmp(want, fn))
		return true;
	if (strncmp(want, l, n))
		return false;
	return !want[n] || (want[n] == ':' && !strcmp(want + n + 1, fn));
}

static uint64_t site_hash(const char *loc)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *loc; loc++)
		h = (h ^ (unsigned char) *loc) * 0x100000001b3ull;
	return h;
}

static struct tsim_alloc_site *site_slot(struct tsim_alloc_site *tab, size_t cap, const char *loc)
{
	size_t i = (size_t) site_hash(loc) & (cap - 1);

	while (tab[i].loc && tab[i].loc != loc && strcmp(tab[i].loc, loc))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* with a->lock held */
static void site_record(struct tsim_alloc *a, const char *loc, const char *fn)
{
	struct tsim_alloc_site *s;

	if (a->nsites + 1 > a->capsites / 2) {
		size_t cap = a->capsites ? a->capsites * 2 : 128;
		struct tsim_alloc_site *tab = calloc(cap, sizeof(*tab));

		if (!tab)
			return;
		for (size_t i = 0; i < a->capsites; i++)
			if (a->sites[i].loc)
				*site_slot(tab, cap, a->sites[i].loc) = a->sites[i];
		free(a->sites);
		a->sites = tab;
		a->capsites = cap;
	}
	s = site_slot(a->sites, a->capsites, loc);
	if (!s->loc) {
		s->loc = loc;
		s->fn = fn;
		s->order = a->nsites++;
	}
	s->count++;
}

static void update_slow(struct tsim_alloc *a)
{
	atomic_store_explicit(&a->slow, a->track || a->arm_site, memory_order_relaxed);
}

static bool fail_slow(struct tsim_alloc *a, uint64_t n, const char *loc, const char *fn)
{
	uint64_t at = atomic_load_explicit(&a->fail_at, memory_order_relaxed);
	bool fail = false;

	/*
	 * A one-shot failure is claimed by the first allocation numbered at or
	 * past its mark, not only by the one numbered exactly there: other
	 * threads may take numbers between the read of the count and the store
	 * of the mark in arm_count(), and the failure must still fire once.
	 */
	if (n >= at)
		fail = atomic_load_explicit(&a->fail_from, memory_order_relaxed) ||
		       atomic_compare_exchange_strong_explicit(&a->fail_at, &at, UINT64_MAX,
							       memory_order_relaxed,
							       memory_order_relaxed);

	if (atomic_load_explicit(&a->slow, memory_order_relaxed) || fail) {
		pthread_mutex_lock(&a->lock);
		if (a->track)
			site_record(a, loc, fn);
		if (a->arm_site && site_matches(a->arm_site, loc, fn) &&
		    ++a->arm_seen == a->arm_nth)
			fail = true;
		if (fail) {
			a->last_loc = loc;
			a->last_fn = fn;
		}
		pthread_mutex_unlock(&a->lock);
	}
	if (fail)
		atomic_fetch_add_explicit(&a->fired, 1, memory_order_relaxed);
	return fail;
}

/* counts one allocation; true when it must fail */
static bool should_fail(struct teesim_machine *m, const char *loc, const char *fn)
{
	struct tsim_alloc *a;
	uint64_t n;

	if (!m)
		return false;
	a = &m->alloc;
	n = atomic_fetch_add_explicit(&a->count, 1, memory_order_relaxed) + 1;
	if (n < atomic_load_explicit(&a->fail_at, memory_order_relaxed) &&
	    !atomic_load_explicit(&a->slow, memory_order_relaxed))
		return false;
	return fail_slow(a, n, loc, fn);
}

static void *nomem(void)
{
	errno = ENOMEM;
	return NULL;
}

void *tsim_malloc_at(struct teesim_machine *m, size_t size, const char *loc, const char *fn)
{
	void *p;

	if (should_fail(m, loc, fn))
		return nomem();
	p = malloc(size ? size : 1);
	return p ? p : nomem();
}

void *tsim_mallocarray_at(struct teesim_machine *m, size_t n, size_t size, const char *loc,
			  const char *fn)
{
	if (size && n > SIZE_MAX / size) {
		/* counted like any other attempt, so a sweep's numbering does not shift */
		(void) should_fail(m, loc, fn);
		return nomem();
	}
	return tsim_malloc_at(m, n * size, loc, fn);
}

void *tsim_calloc_at(struct teesim_machine *m, size_t n, size_t size, const char *loc,
		     const char *fn)
{
	void *p;

	if (should_fail(m, loc, fn) || (size && n > SIZE_MAX / size))
		return nomem();
	p = calloc(n ? n : 1, size ? size : 1);
	return p ? p : nomem();
}

void *tsim_reallocarray_at(struct teesim_machine *m, void *p, size_t n, size_t size,
			   const char *loc, const char *fn)
{
	size_t bytes;
	void *q;

	if (should_fail(m, loc, fn) || (size && n > SIZE_MAX / size))
		return nomem();
	bytes = n * size;
	q = realloc(p, bytes ? bytes : 1);
	return q ? q : nomem();
}

void *tsim_aligned_alloc_at(struct teesim_machine *m, size_t align, size_t size, const char *loc,
			    const char *fn)
{
	void *p = NULL;

	if (should_fail(m, loc, fn))
		return nomem();
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (posix_memalign(&p, align, size ? size : 1))
		return nomem();
	return p;
}

char *tsim_strdup_at(struct teesim_machine *m, const char *s, const char *loc, const char *fn)
{
	size_t len = strlen(s) + 1;
	char *d = tsim_malloc_at(m, len, loc, fn);

	if (d)
		memcpy(d, s, len);
	return d;
}

void *tsim_mmap_at(struct teesim_machine *m, size_t len, int prot, int flags, const char *loc,
		   const char *fn)
{
	void *p;

	if (should_fail(m, loc, fn))
		return nomem();
	p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? nomem() : p;
}

void tsim_free(struct teesim_machine *m, void *p)
{
	(void) m;
	free(p);
}

void tsim_munmap(struct teesim_machine *m, void *p, size_t len)
{
	(void) m;
	if (p)
		munmap(p, len);
}

struct teesim_machine *tsim_alloc_machine_at(const struct teesim_machine_cfg *cfg, const char *loc,
					     const char *fn)
{
	struct teesim_machine *m;
	struct tsim_alloc *a;

	if (cfg->fail_alloc_nth == 1)
		return nomem();
	m = calloc(1, sizeof(*m));
	if (!m)
		return nomem();
	a = &m->alloc;
	if (pthread_mutex_init(&a->lock, NULL)) {
		free(m);
		return nomem();
	}
	atomic_init(&a->count, 1);
	atomic_init(&a->fail_at, cfg->fail_alloc_nth ? cfg->fail_alloc_nth : UINT64_MAX);
	atomic_init(&a->fail_from, false);
	atomic_init(&a->fired, 0);
	a->track = cfg->alloc_sites;
	if (a->track)
		site_record(a, loc, fn);
	atomic_init(&a->slow, a->track);
	return m;
}

void tsim_alloc_fini(struct teesim_machine *m)
{
	struct tsim_alloc *a = &m->alloc;

	free(a->sites);
	free(a->arm_site);
	pthread_mutex_destroy(&a->lock);
}

/* ---- include/teesim/fault.h ---- */

static void arm_count(struct teesim_machine *m, uint64_t nth, bool from)
{
	struct tsim_alloc *a = &m->alloc;
	uint64_t now = atomic_load_explicit(&a->count, memory_order_relaxed);

	/* disarm first, so no allocation sees the new mode with the old number */
	atomic_store_explicit(&a->fail_at, UINT64_MAX, memory_order_relaxed);
	atomic_store_explicit(&a->fail_from, from, memory_order_relaxed);
	if (nth)
		atomic_store_explicit(&a->fail_at,
				      nth > UINT64_MAX - 1 - now ? UINT64_MAX : now + nth,
				      memory_order_relaxed);
}

void teesim_fault_alloc_nth(struct teesim_machine *m, uint64_t nth)
{
	if (m)
		arm_count(m, nth, false);
}

void teesim_fault_alloc_from(struct teesim_machine *m, uint64_t nth)
{
	if (m)
		arm_count(m, nth, true);
}

int teesim_fault_alloc_site(struct teesim_machine *m, const char *site, uint64_t nth)
{
	struct tsim_alloc *a;
	char *copy = NULL;

	if (!m || (site && (!*site || !nth)))
		return -EINVAL;
	a = &m->alloc;
	if (site && !(copy = strdup(site)))
		return -ENOMEM;
	pthread_mutex_lock(&a->lock);
	free(a->arm_site);
	a->arm_site = copy;
	a->arm_nth = nth;
	a->arm_seen = 0;
	update_slow(a);
	pthread_mutex_unlock(&a->lock);
	return 0;
}

void teesim_fault_alloc_track(struct teesim_machine *m, bool on)
{
	struct tsim_alloc *a;

	if (!m)
		return;
	a = &m->alloc;
	pthread_mutex_lock(&a->lock);
	a->track = on;
	update_slow(a);
	pthread_mutex_unlock(&a->lock);
}

uint64_t teesim_fault_alloc_count(const struct teesim_machine *m)
{
	return m ? atomic_load_explicit(&m->alloc.count, memory_order_relaxed) : 0;
}

uint64_t teesim_fault_alloc_fired(const struct teesim_machine *m)
{
	return m ? atomic_load_explicit(&m->alloc.fired, memory_order_relaxed) : 0;
}

static int site_name(char *buf, size_t len, const char *loc, const char *fn)
{
	int n = snprintf(buf, len, "%s:%s", site_loc(loc), fn);

	return n < 0 || (size_t) n >= len ? -ENAMETOOLONG : n;
}

int teesim_fault_alloc_last(const struct teesim_machine *m, char *buf, size_t len)
{
	struct tsim_alloc *a;
	const char *loc, *fn;

	if (!m || !buf)
		return -EINVAL;
	a = (struct tsim_alloc *) &m->alloc;
	pthread_mutex_lock(&a->lock);
	loc = a->last_loc;
	fn = a->last_fn;
	pthread_mutex_unlock(&a->lock);
	if (!loc)
		return -ENOENT;
	return site_name(buf, len, loc, fn);
}

static int by_order(const void *x, const void *y)
{
	const struct tsim_alloc_site *a = x, *b = y;

	return a->order < b->order ? -1 : a->order > b->order;
}

int teesim_fault_alloc_sites(const struct teesim_machine *m,
			     int (*fn)(void *ctx, const char *site, uint64_t count), void *ctx)
{
	struct tsim_alloc *a;
	struct tsim_alloc_site *snap;
	size_t n = 0;
	int rc = 0;

	if (!m || !fn)
		return -EINVAL;
	a = (struct tsim_alloc *) &m->alloc;
	pthread_mutex_lock(&a->lock);
	snap = calloc(a->nsites ? a->nsites : 1, sizeof(*snap));
	if (snap)
		for (size_t i = 0; i < a->capsites; i++)
			if (a->sites[i].loc)
				snap[n++] = a->sites[i];
	pthread_mutex_unlock(&a->lock);
	if (!snap)
		return -ENOMEM;
	qsort(snap, n, sizeof(*snap), by_order);
	for (size_t i = 0; i < n && !rc; i++) {
		char name[256];

		if (site_name(name, sizeof(name), snap[i].loc, snap[i].fn) < 0)
			continue;
		rc = fn(ctx, name, snap[i].count);
	}
	free(snap);
	return rc;
}
