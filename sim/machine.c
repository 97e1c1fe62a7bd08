/* SPDX-License-Identifier: MIT */
/*
 * The machine instance: configuration, physical regions and their host
 * backing, the frame map, violations and counters.
 *
 * RAM is addressed two ways. A "frame" is a RAM page in PA order; a "slot"
 * is a RAM page in the order guests see it: guest g owns slots
 * [slot_base, slot_base + npages) and IPA page i of g is slot slot_base + i.
 * The permutation maps slot -> frame (identity, or seeded). Host memory
 * backing RAM is laid out by slot, so pages contiguous for a guest are
 * contiguous on the host too, while their frames are scattered.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define TEESIM_VERSION_NUMBER 100 /* 0.1.0 */

unsigned teesim_version(void)
{
	return TEESIM_VERSION_NUMBER;
}

void teesim_machine_cfg_default(struct teesim_machine_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ram_base = 0x40000000ull;
	cfg->ram_size = 64ull << 20;
	cfg->secure_base = 0x0e000000ull;
	cfg->secure_size = 16ull << 20;
	cfg->static_shm_size = 2ull << 20;
	cfg->static_shm_base = cfg->ram_base - cfg->static_shm_size;
	cfg->guest_ipa_base = 0x40000000ull;
	cfg->guest0_size = 0;
	cfg->remap = TEESIM_REMAP_IDENTITY;
	cfg->seed = 0;
	cfg->poison = true;
	cfg->allow_host_memory = true;
}

static bool range_ok(uint64_t base, uint64_t size)
{
	return !(base & TSIM_PAGE_MASK) && !(size & TSIM_PAGE_MASK) && base + size >= base;
}

static bool overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return as && bs && a < b + bs && b < a + as;
}

static int cfg_check(const struct teesim_machine_cfg *c)
{
	if (!c->ram_size || !range_ok(c->ram_base, c->ram_size) ||
	    !range_ok(c->secure_base, c->secure_size) ||
	    !range_ok(c->static_shm_base, c->static_shm_size))
		return -EINVAL;
	if (overlap(c->ram_base, c->ram_size, c->secure_base, c->secure_size) ||
	    overlap(c->ram_base, c->ram_size, c->static_shm_base, c->static_shm_size) ||
	    overlap(c->secure_base, c->secure_size, c->static_shm_base, c->static_shm_size))
		return -EINVAL;
	if (!range_ok(c->guest_ipa_base, c->ram_size) || (c->guest0_size & TSIM_PAGE_MASK) ||
	    c->guest0_size > c->ram_size)
		return -EINVAL;
	if (c->remap != TEESIM_REMAP_IDENTITY && c->remap != TEESIM_REMAP_SHUFFLE)
		return -EINVAL;
	/* the host must be able to address every byte */
	if (c->ram_size > SIZE_MAX || c->secure_size > SIZE_MAX || c->static_shm_size > SIZE_MAX ||
	    c->ram_size / TSIM_PAGE > SIZE_MAX / sizeof(struct tsim_page))
		return -ENOMEM;
	return 0;
}

/* Host memory of a region: heap memory for a small one (a machine made per
 * fuzz input gets it back without a system call or a page fault; its frames
 * are zeroed on first use), else an mmap reservation that costs nothing
 * until touched and reads as zero. */
static void *reserve(struct teesim_machine *m, struct tsim_region *r)
{
	if (!r->backing_size)
		return NULL;
	if (r->heap) {
		/* page aligned, as every host pointer of a frame must be */
		r->heap_block = tsim_malloc(m, r->backing_size + TSIM_PAGE - 1);
		if (!r->heap_block)
			return NULL;
		return (void *) (((uintptr_t) r->heap_block + (uintptr_t) TSIM_PAGE_MASK) &
				 ~(uintptr_t) TSIM_PAGE_MASK);
	}
	return tsim_mmap(m, r->backing_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE);
}

static void unreserve(struct teesim_machine *m, const struct tsim_region *r, void *p)
{
	if (r->heap)
		tsim_free(m, r->heap_block);
	else
		tsim_munmap(m, p, r->backing_size);
}

/* Regions up to this size are heap memory; the carve-out's bound is lower
 * since handing out its host pointer zeroes all of it at once. Not under
 * ASan, whose allocator maps a block this big afresh (quarantine) and writes
 * its whole shadow at every malloc and free: an mmap is cheaper there (and
 * measured so, even for a 128 KiB RAM). */
#if defined(__SANITIZE_ADDRESS__)
#define TSIM_HEAP_BACKING 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TSIM_HEAP_BACKING 0
#endif
#endif
#ifndef TSIM_HEAP_BACKING
#define TSIM_HEAP_BACKING 1
#endif
#define TSIM_HEAP_REGION_MAX	 ((uint64_t) 8 << 20)
#define TSIM_HEAP_STATIC_SHM_MAX ((uint64_t) 256 << 10)

static void region_init(struct tsim_region *r, uint64_t base, uint64_t size,
			enum teesim_mem_kind kind)
{
	r->base = base;
	r->size = size;
	r->kind = size ? kind : TEESIM_MEM_NONE;
	r->backing = NULL;
	r->backing_size = (size_t) size;
	r->heap = TSIM_HEAP_BACKING && size &&
		  size <= (kind == TEESIM_MEM_STATIC_SHM ? TSIM_HEAP_STATIC_SHM_MAX
							 : TSIM_HEAP_REGION_MAX);
	r->fill = NULL;
	r->heap_block = NULL;
}

/* One fill array for the heap regions, every frame TSIM_FILL_NONE. */
static int fills_init(struct teesim_machine *m)
{
	struct tsim_region *rs[] = {&m->ram, &m->secure, &m->shm};
	size_t n = 0;

	for (unsigned i = 0; i < 3; i++)
		if (rs[i]->heap)
			n += (size_t) (rs[i]->size / TSIM_PAGE);
	if (!n)
		return 0;
	m->fills = tsim_calloc(m, n, sizeof(*m->fills));
	if (!m->fills)
		return -ENOMEM;
	n = 0;
	for (unsigned i = 0; i < 3; i++) {
		if (rs[i]->heap) {
			rs[i]->fill = m->fills + n;
			n += (size_t) (rs[i]->size / TSIM_PAGE);
		}
	}
	return 0;
}

void tsim_frame_fill_slow(const struct tsim_region *r, unsigned char *base, uint64_t i)
{
	uint8_t st = TSIM_FILL_NONE;

	if (atomic_compare_exchange_strong_explicit(&r->fill[i], &st, TSIM_FILL_BUSY,
						    memory_order_acquire, memory_order_acquire)) {
		memset(base + i * TSIM_PAGE, 0, TSIM_PAGE);
		atomic_store_explicit(&r->fill[i], TSIM_FILL_DONE, memory_order_release);
		return;
	}
	/* another host thread is zeroing it (one page): wait for it */
	while (atomic_load_explicit(&r->fill[i], memory_order_acquire) != TSIM_FILL_DONE)
		;
}

struct teesim_machine *teesim_machine_new(const struct teesim_machine_cfg *cfg)
{
	struct teesim_machine_cfg def;
	struct teesim_machine *m;
	int err;

	if (!cfg) {
		teesim_machine_cfg_default(&def);
		cfg = &def;
	}
	err = cfg_check(cfg);
	if (err) {
		errno = -err;
		return NULL;
	}
	m = tsim_alloc_machine(cfg);
	if (!m)
		goto fail_nomem;
	m->cfg = *cfg;
	m->hostmap.m = m;
	if (pthread_mutex_init(&m->lock, NULL))
		goto fail_free;
	if (pthread_mutex_init(&m->clock_lock, NULL))
		goto fail_lock;
	if (pthread_mutex_init(&m->check_lock, NULL))
		goto fail_clock_lock;
	region_init(&m->ram, cfg->ram_base, cfg->ram_size, TEESIM_MEM_RAM);
	region_init(&m->secure, cfg->secure_base, cfg->secure_size, TEESIM_MEM_SECURE);
	region_init(&m->shm, cfg->static_shm_base, cfg->static_shm_size, TEESIM_MEM_STATIC_SHM);
	m->ram_frames = cfg->ram_size / TSIM_PAGE;
	tsim_perm_init(&m->perm, m->ram_frames, cfg->seed, cfg->remap == TEESIM_REMAP_SHUFFLE);

	m->ram_backing = reserve(m, &m->ram);
	if (!m->ram_backing)
		goto fail_clock;
	if (m->secure.size) {
		m->secure.backing = reserve(m, &m->secure);
		if (!m->secure.backing)
			goto fail_ram;
	}
	if (m->shm.size) {
		m->shm.backing = reserve(m, &m->shm);
		if (!m->shm.backing)
			goto fail_secure;
	}
	if (fills_init(m))
		goto fail_shm;
	m->slot_host = tsim_calloc(m, (size_t) m->ram_frames, sizeof(*m->slot_host));
	if (!m->slot_host)
		goto fail_fills;
	if (tsim_bitmap_init(&m->secure_alloc, m, m->secure.size / TSIM_PAGE))
		goto fail_slot_host;
	m->next_pid = 1;
	m->next_timer_id = 1;
	if (!tsim_guest_create(m, cfg->guest0_size ? cfg->guest0_size / TSIM_PAGE : m->ram_frames))
		goto fail_secure_alloc;
	return m;

fail_secure_alloc:
	tsim_bitmap_fini(&m->secure_alloc);
fail_slot_host:
	tsim_free(m, m->slot_host);
fail_fills:
	tsim_free(m, m->fills);
fail_shm:
	unreserve(m, &m->shm, m->shm.backing);
fail_secure:
	unreserve(m, &m->secure, m->secure.backing);
fail_ram:
	unreserve(m, &m->ram, m->ram_backing);
fail_clock:
	pthread_mutex_destroy(&m->check_lock);
fail_clock_lock:
	pthread_mutex_destroy(&m->clock_lock);
fail_lock:
	pthread_mutex_destroy(&m->lock);
fail_free:
	tsim_alloc_fini(m);
	tsim_free(NULL, m); /* its allocator is gone */
fail_nomem:
	errno = ENOMEM;
	return NULL;
}

void teesim_machine_free(struct teesim_machine *m)
{
	if (!m)
		return;
	tsim_processes_free_all(m);
	if (m->tee_core_free)
		m->tee_core_free(m->tee_core);
	for (unsigned i = 0; i < TSIM_MAX_GUESTS; i++)
		if (m->guests[i])
			tsim_guest_destroy(m->guests[i]);
	tsim_hostmap_fini(&m->hostmap);
	tsim_clock_fini(m);
	tsim_bitmap_fini(&m->secure_alloc);
	tsim_free(m, m->slot_host);
	tsim_free(m, m->fills);
	unreserve(m, &m->shm, m->shm.backing);
	unreserve(m, &m->secure, m->secure.backing);
	unreserve(m, &m->ram, m->ram_backing);
	tsim_free(m, m->viol);
	tsim_free(m, m->log);
	pthread_mutex_destroy(&m->check_lock);
	pthread_mutex_destroy(&m->clock_lock);
	pthread_mutex_destroy(&m->lock);
	tsim_alloc_fini(m);
	tsim_free(NULL, m); /* its allocator is gone */
}

const struct teesim_machine_cfg *teesim_machine_cfg(const struct teesim_machine *m)
{
	return &m->cfg;
}

/* ---- regions ---- */

static bool in_region(const struct tsim_region *r, teesim_pa_t pa)
{
	return r->size && pa >= r->base && pa - r->base < r->size;
}

const struct tsim_region *tsim_region_of(const struct teesim_machine *m, teesim_pa_t pa)
{
	if (in_region(&m->ram, pa))
		return &m->ram;
	if (in_region(&m->shm, pa))
		return &m->shm;
	if (in_region(&m->secure, pa))
		return &m->secure;
	return NULL;
}

enum teesim_mem_kind teesim_phys_kind(const struct teesim_machine *m, teesim_pa_t pa)
{
	const struct tsim_region *r = tsim_region_of(m, pa);

	return r ? r->kind : TEESIM_MEM_NONE;
}

int teesim_phys_range_kind(const struct teesim_machine *m, teesim_pa_t pa, uint64_t len,
			   enum teesim_mem_kind *kind)
{
	const struct tsim_region *r = tsim_region_of(m, pa);

	if (!len || !r || pa + len < pa || len > r->size - (pa - r->base))
		return -EFAULT;
	if (kind)
		*kind = r->kind;
	return 0;
}

int teesim_machine_static_shm(struct teesim_machine *m, teesim_pa_t *pa, uint64_t *size,
			      void **host)
{
	if (!m->shm.size)
		return -ENOENT;
	if (pa)
		*pa = m->shm.base;
	if (size)
		*size = m->shm.size;
	if (host) {
		/* the holder may touch any of it from now on */
		for (uint64_t i = 0; i < m->shm.size / TSIM_PAGE; i++)
			tsim_frame_fill(&m->shm, m->shm.backing, i);
		*host = m->shm.backing;
	}
	return 0;
}

/* ---- guest pages ---- */

struct teesim_guest *tsim_ram_frame_guest(const struct teesim_machine *m, uint64_t frame,
					  uint64_t *idx)
{
	uint64_t slot = tsim_perm_inv(&m->perm, frame);

	for (unsigned i = 0; i < TSIM_MAX_GUESTS; i++) {
		struct teesim_guest *g = m->guests[i];

		if (g && slot >= g->slot_base && slot - g->slot_base < g->npages) {
			*idx = slot - g->slot_base;
			return g;
		}
	}
	return NULL;
}

unsigned char *tsim_page_backing(const struct teesim_guest *g, uint64_t idx)
{
	const struct teesim_machine *m = g->m;
	uint64_t slot = g->slot_base + idx;
	uintptr_t h = atomic_load_explicit(&m->slot_host[slot], memory_order_acquire);

	if (h)
		return (unsigned char *) h;
	tsim_frame_fill(&m->ram, m->ram_backing, slot);
	return m->ram_backing + slot * TSIM_PAGE;
}

static uint64_t *state_counter(struct teesim_machine *m, enum tsim_page_state st)
{
	switch (st) {
	case TSIM_PG_KERNEL:
		return &m->kernel_pages;
	case TSIM_PG_USER:
		return &m->user_pages;
	case TSIM_PG_HOST:
		return &m->host_pages;
	default:
		return NULL;
	}
}

void tsim_page_take(struct teesim_guest *g, uint64_t idx, enum tsim_page_state st, uint32_t owner)
{
	struct tsim_page *pg = &g->pages[idx];
	uint64_t *cnt = state_counter(g->m, st);

	pg->state = (uint8_t) st;
	pg->owner = owner;
	pg->pins = 0;
	pg->flags =
	    (uint8_t) ((pg->flags & TSIM_PGF_USED) | (st == TSIM_PG_USER ? TSIM_PGF_MAPPED : 0));
	if (cnt)
		(*cnt)++;
	g->busy_pages++;
	/* g->alloc: the caller's tsim_bitmap_alloc() marked the page used */
}

/* tsim_page_release() but for g->alloc */
static void page_free(struct teesim_guest *g, uint64_t idx)
{
	struct teesim_machine *m = g->m;
	struct tsim_page *pg = &g->pages[idx];
	uint64_t *cnt = state_counter(m, (enum tsim_page_state) pg->state);

	if (pg->state == TSIM_PG_HOST) {
		/* the host page is the client's: unbind it, never poison it */
		uintptr_t h =
		    atomic_load_explicit(&m->slot_host[g->slot_base + idx], memory_order_relaxed);
		tsim_hostmap_remove(&m->hostmap, h);
		atomic_store_explicit(&m->slot_host[g->slot_base + idx], 0, memory_order_release);
	} else if (m->cfg.poison) {
		memset(tsim_page_backing(g, idx), TEESIM_POISON_FREE, TSIM_PAGE);
	}
	if (cnt)
		(*cnt)--;
	g->busy_pages--;
	pg->state = TSIM_PG_FREE;
	pg->owner = 0;
	pg->flags = TSIM_PGF_USED;
}

void tsim_page_release(struct teesim_guest *g, uint64_t idx)
{
	page_free(g, idx);
	tsim_bitmap_set(&g->alloc, idx, 1, false);
}

void tsim_pages_release(struct teesim_guest *g, uint64_t first, uint64_t n)
{
	struct teesim_machine *m = g->m;
	struct tsim_page *pages = g->pages + first;
	uint64_t kernel = 0, user = 0, hosts = 0, done = 0;

	if (m->cfg.poison) {
		for (uint64_t i = first; i < first + n; i++)
			page_free(g, i);
		tsim_bitmap_set(&g->alloc, first, n, false);
		return;
	}
	/*
	 * Kernel and user pages, the bulk of it, are counted in locals and the
	 * counters updated once: a store to a page's byte-wide fields may alias
	 * anything, so page_free()'s counters would be loaded and stored again
	 * for every page. Host pages, which have a binding to undo, go to
	 * page_free() afterwards.
	 */
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t st = pages[i].state;

		if (st == TSIM_PG_HOST) {
			hosts++;
			continue;
		}
		kernel += st == TSIM_PG_KERNEL;
		user += st == TSIM_PG_USER;
		done++;
		pages[i].state = TSIM_PG_FREE;
		pages[i].owner = 0;
		pages[i].flags = TSIM_PGF_USED;
	}
	m->kernel_pages -= kernel;
	m->user_pages -= user;
	g->busy_pages -= done;
	for (uint64_t i = 0; hosts && i < n; i++)
		if (pages[i].state == TSIM_PG_HOST) {
			page_free(g, first + i);
			hosts--;
		}
	tsim_bitmap_set(&g->alloc, first, n, false);
}

void tsim_pages_take(struct teesim_guest *g, uint64_t first, uint64_t n, enum tsim_page_state st,
		     uint32_t owner)
{
	struct tsim_page *pages = g->pages + first;
	uint64_t *cnt = state_counter(g->m, st);
	const uint8_t mapped = st == TSIM_PG_USER ? TSIM_PGF_MAPPED : 0;

	/* tsim_page_take() of each page, the counters once (as in tsim_pages_release()) */
	for (uint64_t i = 0; i < n; i++) {
		pages[i].state = (uint8_t) st;
		pages[i].owner = owner;
		pages[i].pins = 0;
		pages[i].flags = (uint8_t) ((pages[i].flags & TSIM_PGF_USED) | mapped);
	}
	if (cnt)
		*cnt += n;
	g->busy_pages += n;
}

/* ---- frame map ---- */

static enum teesim_frame_owner page_owner(const struct tsim_page *pg)
{
	switch (pg->state) {
	case TSIM_PG_KERNEL:
		return TEESIM_OWNER_KERNEL;
	case TSIM_PG_USER:
		return TEESIM_OWNER_USER;
	case TSIM_PG_HOST:
		return TEESIM_OWNER_HOST;
	default:
		return TEESIM_OWNER_FREE;
	}
}

int teesim_frame_info(struct teesim_machine *m, teesim_pa_t pa, struct teesim_frame_info *info)
{
	const struct tsim_region *r = tsim_region_of(m, pa);

	if (!r)
		return -EFAULT;
	memset(info, 0, sizeof(*info));
	info->pa = pa & ~TSIM_PAGE_MASK;
	info->kind = r->kind;
	info->guest_id = -1;
	info->secure = r->kind == TEESIM_MEM_SECURE;
	pthread_mutex_lock(&m->lock);
	if (r->kind == TEESIM_MEM_STATIC_SHM) {
		info->owner = TEESIM_OWNER_STATIC_SHM;
	} else if (r->kind == TEESIM_MEM_SECURE) {
		info->owner = tsim_bitmap_test(&m->secure_alloc, (pa - r->base) / TSIM_PAGE)
				  ? TEESIM_OWNER_SECURE
				  : TEESIM_OWNER_SECURE_FREE;
	} else {
		uint64_t idx;
		struct teesim_guest *g = tsim_ram_frame_guest(m, (pa - r->base) / TSIM_PAGE, &idx);

		if (!g) {
			info->owner = TEESIM_OWNER_UNASSIGNED;
		} else {
			const struct tsim_page *pg = &g->pages[idx];

			info->owner = page_owner(pg);
			info->guest_id = (int) g->id;
			info->ipa = g->ipa_base + idx * TSIM_PAGE;
			info->pin_count = pg->pins;
			info->process_id = pg->owner;
			info->mapped = (pg->flags & TSIM_PGF_MAPPED) != 0;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return 0;
}

/* ---- secure RAM ---- */

int teesim_secure_alloc(struct teesim_machine *m, size_t npages, teesim_pa_t *pa, void **host)
{
	uint64_t first;

	if (!npages)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	first = tsim_bitmap_alloc(&m->secure_alloc, npages);
	if (first != UINT64_MAX)
		m->secure_pages += npages;
	pthread_mutex_unlock(&m->lock);
	if (first == UINT64_MAX)
		return -ENOMEM;
	for (uint64_t i = first; i < first + npages; i++)
		tsim_frame_fill(&m->secure, m->secure.backing, i);
	memset(m->secure.backing + first * TSIM_PAGE, 0, npages * TSIM_PAGE);
	if (pa)
		*pa = m->secure.base + first * TSIM_PAGE;
	if (host)
		*host = m->secure.backing + first * TSIM_PAGE;
	return 0;
}

int teesim_secure_free(struct teesim_machine *m, teesim_pa_t pa, size_t npages)
{
	uint64_t first, nframes = m->secure.size / TSIM_PAGE;
	int err = 0;

	if (!npages || (pa & TSIM_PAGE_MASK))
		return -EINVAL;
	first = in_region(&m->secure, pa) ? (pa - m->secure.base) / TSIM_PAGE : nframes;
	pthread_mutex_lock(&m->lock);
	if (npages > nframes - first) {
		/* frames that are not secure RAM at all: never a secure allocation */
		tsim_violation(m, TEESIM_VIOL_BAD_FREE, pa, -1);
		pthread_mutex_unlock(&m->lock);
		return -EINVAL;
	}
	for (uint64_t i = first; i < first + npages; i++) {
		if (!tsim_bitmap_test(&m->secure_alloc, i)) {
			tsim_violation(m, TEESIM_VIOL_DOUBLE_FREE, m->secure.base + i * TSIM_PAGE,
				       -1);
			err = -EINVAL;
		}
	}
	if (!err) {
		tsim_bitmap_set(&m->secure_alloc, first, npages, false);
		m->secure_pages -= npages;
		if (m->cfg.poison)
			memset(m->secure.backing + first * TSIM_PAGE, TEESIM_POISON_FREE,
			       npages * TSIM_PAGE);
	}
	pthread_mutex_unlock(&m->lock);
	return err;
}

/* ---- violations and counters ---- */

void tsim_violation(struct teesim_machine *m, enum teesim_violation_kind kind, uint64_t addr,
		    int guest_id)
{
	if (m->nviol == m->capviol) {
		size_t cap = m->capviol ? m->capviol * 2 : 16;
		struct teesim_violation *v = tsim_reallocarray(m, m->viol, cap, sizeof(*v));

		if (!v)
			return; /* out of host memory: this record is lost */
		m->viol = v;
		m->capviol = cap;
	}
	m->viol[m->nviol++] = (struct teesim_violation){kind, addr, guest_id};
}

const char *teesim_violation_name(enum teesim_violation_kind kind)
{
	switch (kind) {
	case TEESIM_VIOL_DOUBLE_FREE:
		return "double free";
	case TEESIM_VIOL_BAD_FREE:
		return "free of a page the freer does not own";
	case TEESIM_VIOL_UNBALANCED_UNPIN:
		return "unpin of a page that holds no pin";
	case TEESIM_VIOL_SECURE_ACCESS:
		return "shared-memory access reached secure memory";
	case TEESIM_VIOL_REFCOUNT_INC_ZERO:
		return "reference count incremented from 0";
	case TEESIM_VIOL_REFCOUNT_UNDERFLOW:
		return "reference count decremented below 0";
	case TEESIM_VIOL_REFCOUNT_OVERFLOW:
		return "reference count saturated";
	case TEESIM_VIOL_REFCOUNT_DEC_LEAK:
		return "reference count decremented to 0 without release";
	}
	return "unknown violation";
}

size_t teesim_machine_violations(struct teesim_machine *m, struct teesim_violation *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&m->lock);
	n = m->nviol;
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = m->viol[i];
	pthread_mutex_unlock(&m->lock);
	return n;
}

void teesim_machine_clear_violations(struct teesim_machine *m)
{
	pthread_mutex_lock(&m->lock);
	m->nviol = 0;
	pthread_mutex_unlock(&m->lock);
}

void teesim_machine_stats(struct teesim_machine *m, struct teesim_machine_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&m->lock);
	st->guests = m->nguests_alive;
	st->processes = m->nprocesses;
	st->kernel_pages = m->kernel_pages;
	st->user_pages = m->user_pages;
	st->host_pages = m->host_pages;
	st->pinned_pages = m->pinned_pages;
	st->pins = m->pins;
	st->secure_pages = m->secure_pages;
	st->violations = m->nviol;
	pthread_mutex_unlock(&m->lock);
	st->smc_calls = atomic_load(&m->smc_calls);
}
