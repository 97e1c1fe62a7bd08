/* SPDX-License-Identifier: MIT */
/*
 * Private structures of the simulated machine. Nothing here is visible
 * outside the library: internal symbols carry the tsim_ prefix, are built
 * with hidden visibility and are localized in the static archive.
 */
#ifndef TEESIM_SIM_INTERNAL_H
#define TEESIM_SIM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <teesim/teesim.h>

#include "alloc.h"

struct tsim_check;	/* a check in progress (sim/check.c) */
struct tsim_check_node; /* a layer registered for checks */
struct teesim_supplicant;

#define TSIM_PAGE      ((uint64_t) TEESIM_PAGE_SIZE)
#define TSIM_PAGE_MASK (TSIM_PAGE - 1)

/* ---- seeded permutation of [0, n) (sim/perm.c) ---- */
struct tsim_perm {
	uint64_t n;
	unsigned half_bits;
	uint64_t half_mask;
	uint64_t keys[4];
	bool identity;
	bool affine; /* n < 2^32: x -> (mul * x + add) mod n */
	uint64_t mul, mul_inv, add;
};

void tsim_perm_init(struct tsim_perm *p, uint64_t n, uint64_t seed, bool shuffle);
uint64_t tsim_perm_fwd(const struct tsim_perm *p, uint64_t x);
uint64_t tsim_perm_inv(const struct tsim_perm *p, uint64_t y);
uint64_t tsim_splitmix64(uint64_t *state);

/* ---- run allocator over a bitmap (sim/bitmap.c); set bit = used ---- */
struct tsim_bitmap {
	uint64_t *words;
	uint64_t *full; /* bit w set: words[w] has every bit used */
	uint64_t nbits;
	uint64_t rover;
	struct teesim_machine *m; /* allocates words and full */
};

int tsim_bitmap_init(struct tsim_bitmap *b, struct teesim_machine *m, uint64_t nbits);
void tsim_bitmap_fini(struct tsim_bitmap *b);
/* first-fit from the rover, wrapping; returns the first bit or UINT64_MAX */
uint64_t tsim_bitmap_alloc(struct tsim_bitmap *b, uint64_t n);
void tsim_bitmap_set(struct tsim_bitmap *b, uint64_t first, uint64_t n, bool used);
bool tsim_bitmap_test(const struct tsim_bitmap *b, uint64_t bit);

/* ---- memory regions ---- */
struct tsim_region {
	teesim_pa_t base;
	uint64_t size;
	enum teesim_mem_kind kind;
	unsigned char *backing; /* host memory, in PA order for secure / carve-out */
	size_t backing_size;
	/* a small region is heap memory (no system call or page fault for a
	 * machine made per fuzz input) whose frames are zeroed on first use: per
	 * frame (RAM: per slot) TSIM_FILL_*; NULL for mmap'd memory, zero already */
	bool heap;
	void *heap_block; /* heap: the block, of which backing is the page-aligned part */
	_Atomic(uint8_t) *fill;
};

enum { TSIM_FILL_NONE = 0, TSIM_FILL_BUSY, TSIM_FILL_DONE };

/* zero frame @i of @r (host memory @base) if nothing has used it yet (machine.c) */
void tsim_frame_fill_slow(const struct tsim_region *r, unsigned char *base, uint64_t i);
static inline void tsim_frame_fill(const struct tsim_region *r, unsigned char *base, uint64_t i)
{
	if (r->fill && atomic_load_explicit(&r->fill[i], memory_order_acquire) != TSIM_FILL_DONE)
		tsim_frame_fill_slow(r, base, i);
}

/* per guest page state */
enum tsim_page_state {
	TSIM_PG_FREE = 0,
	TSIM_PG_KERNEL,
	TSIM_PG_USER,
	TSIM_PG_HOST,
};

enum {
	TSIM_PGF_MAPPED = 1u << 0,   /* USER: the process still maps it */
	TSIM_PGF_USED = 1u << 1,     /* was allocated at least once: may hold old bytes */
	TSIM_PGF_READONLY = 1u << 2, /* USER: mapped without write permission */
};

struct tsim_page {
	uint8_t state;
	uint8_t flags;
	uint16_t reserved;
	uint32_t pins;
	uint32_t owner; /* process id for USER / HOST pages */
};

/* host page -> guest page binding, machine-wide radix tree (sim/hostmap.c) */
struct tsim_hostmap_entry {
	uintptr_t host;
	struct teesim_guest *guest; /* NULL: no binding */
	uint64_t index;
};

struct tsim_hostmap_node;
struct tsim_hostmap_leaf;

struct tsim_hostmap {
	struct tsim_hostmap_node *root;
	size_t used;			     /* bindings */
	uint64_t last_key;		     /* host page number >> 9 of ... */
	struct tsim_hostmap_leaf *last_leaf; /* ... the leaf used last, or NULL */
	struct teesim_machine *m;	     /* allocates the nodes (NULL: the host) */
};

struct teesim_guest {
	struct teesim_machine *m;
	unsigned id;
	uint64_t slot_base; /* first slot of the permuted RAM space it owns */
	uint64_t npages;
	teesim_ipa_t ipa_base;
	struct tsim_page *pages;
	struct tsim_bitmap alloc;
	uint64_t nprocesses;
	uint64_t busy_pages; /* pages not FREE */
};

struct tsim_mapping {
	uintptr_t addr;
	uint64_t npages;
	size_t len;	/* as asked */
	uint64_t first; /* guest page index */
};

/* a device mapping (mmap of a tee shm fd): memory the machine does not map
 * as process pages; @release drops what the mapping holds, outside the lock */
struct tsim_devmap {
	uintptr_t addr;
	size_t len;
	unsigned prot;
	void (*release)(void *cookie);
	void *cookie;
};

struct teesim_process {
	struct teesim_guest *g;
	uint32_t id;
	struct tsim_mapping *maps; /* sorted by addr */
	size_t nmaps, capmaps;
	struct teesim_process *next;
	struct tsim_devmap *devmaps; /* tee shm mappings (src/core) */
	size_t ndevmaps, capdevmaps;
	_Atomic(void *) tee_files; /* the tee core's fd table of this process, or NULL */
};

struct tsim_timer {
	uint64_t deadline;
	uint64_t id;
	teesim_timer_fn fn;
	void *ctx;
};

#define TSIM_MAX_GUESTS 64

struct teesim_machine {
	struct teesim_machine_cfg cfg;
	struct tsim_alloc alloc; /* every allocation of the model (sim/alloc.h) */
	pthread_mutex_t lock;	 /* everything below that is not atomic */

	struct tsim_region ram, secure, shm;
	_Atomic(uint8_t) *fills;    /* the regions' fill arrays, one allocation (or NULL) */
	unsigned char *ram_backing; /* host memory of RAM, in slot (permuted) order */
	/* per slot: the host page bound to it (HOST pages), else 0; lock-free reads */
	_Atomic(uintptr_t) *slot_host;
	struct tsim_perm perm; /* slot -> RAM frame index */
	uint64_t ram_frames;

	struct teesim_guest *guests[TSIM_MAX_GUESTS];
	unsigned nguests_alive;
	unsigned next_guest_id;

	struct teesim_process *processes;
	uint32_t next_pid;
	uint64_t nprocesses;
	int maps_fd;	    /* /proc/self/maps for host pins, 0 until opened (process.c) */
	pid_t maps_pid;	    /* the host process that opened it */
	bool maps_no_query; /* tests: read /proc/self/maps as old kernels must */

	struct tsim_hostmap hostmap;
	struct tsim_bitmap secure_alloc;
	uint64_t secure_pages;

	/* counters */
	uint64_t kernel_pages, user_pages, host_pages, pinned_pages, pins;

	struct teesim_violation *viol;
	size_t nviol, capviol;

	_Atomic bool log_on;
	struct teesim_access *log;
	size_t nlog, caplog;
	teesim_access_hook_fn access_hook;
	void *access_hook_ctx;

	/* SMC channel */
	teesim_smc_handler_fn smc_fn;
	void *smc_ctx;
	teesim_smc_mediator_fn mediator_fn;
	void *mediator_ctx;
	teesim_smc_fault_fn fault_fn;
	void *fault_ctx;
	teesim_smc_trace_fn trace_fn;
	void *trace_ctx;
	_Atomic uint64_t smc_calls;

	/* virtual clock */
	_Atomic uint64_t now;
	pthread_mutex_t clock_lock; /* timers; never held while a timer fires */
	struct tsim_timer *timers;  /* sorted by (deadline, id) */
	size_t ntimers, captimers;
	uint64_t next_timer_id;

	/* the tee core (src/core): instance, destructor, and the exit_files hook
	 * run when a process is freed, after its memory is unmapped */
	void *tee_core;
	void (*tee_core_free)(void *core);
	void (*tee_exit_files)(void *core, struct teesim_process *p);
	/* the core's part of the invariant checker (src/core/tee_check.c) */
	void (*tee_core_check)(void *core, struct tsim_check *c);

	/* invariant checker (sim/check.c): the layers registered on this machine */
	pthread_mutex_t check_lock; /* the list; held through a whole check */
	struct tsim_check_node *checkers;
	uint64_t check_gen; /* generation of the last check (marks objects visited) */
};

/* ---- invariant checker (sim/check.c, include/teesim/check.h) ---- */
#include <teesim/check.h>

/* One check in progress: where its findings go. */
struct tsim_check {
	struct teesim_machine *m;
	unsigned flags; /* TEESIM_CHECK_* */
	struct teesim_check_report *rep;
	unsigned problems, dropped;
	uint64_t gen; /* this check's generation, to mark objects already visited */
	/* teesim_check_stack(): what the stack itself holds (expected), else NULL / -1 */
	struct teesim_process *supp_proc;
	int supp_fd;
	/* filled by the tee core's check for the layers below: sessions the drivers list */
	uint64_t nw_sessions;
	bool nw_sessions_known;
	/* filled by the machine's check: kernel pages per guest id */
	uint64_t guest_kernel[TSIM_MAX_GUESTS];
	/* filled by the secure world's check for the mediator's: sessions it lists */
	uint64_t sw_sessions;
	bool sw_sessions_known;
};

/* What a layer registers on its machine (embedded in the layer's object, no allocation). */
enum tsim_check_kind {
	TSIM_CHECK_CORE = 1, /* the tee core */
	TSIM_CHECK_OPTEE,    /* an OP-TEE driver */
	TSIM_CHECK_SW,	     /* the secure world */
	TSIM_CHECK_MEDIATOR, /* the hypervisor mediator */
	TSIM_CHECK_SUPP,     /* a supplicant made on the machine */
};

struct tsim_check_node {
	struct tsim_check_node *next;
	enum tsim_check_kind kind;
	void *obj;
	/* report what is wrong in @obj, with every lock of @obj taken as needed */
	void (*check)(void *obj, struct tsim_check *c);
	/* optional: references @obj holds on the tee shm / tee context @o */
	unsigned (*shm_refs)(void *obj, const void *shm);
	unsigned (*ctx_refs)(void *obj, const void *ctx);
	/* optional: shms without an id that @obj keeps on tee device @teedev */
	unsigned (*dev_shms)(void *obj, const void *teedev);
	/* optional: kernel pages of guest @g that @obj holds, -1: not its concern */
	int64_t (*kernel_pages)(void *obj, const struct teesim_guest *g);
	/*
	 * optional: for each of @n cookies (n <= TSIM_CHECK_BATCH), whether @obj
	 * has it registered for guest @g (NULL: any) in @ans[i] (1 / 0); false
	 * when @g is not its concern (@ans untouched)
	 */
	bool (*has_cookies)(void *obj, struct teesim_guest *g, const uint64_t *cookies, unsigned n,
			    int8_t *ans);
};

/* add / remove @n (no lock of the layer held; never fails) */
void tsim_check_register(struct teesim_machine *m, struct tsim_check_node *n);
void tsim_check_unregister(struct teesim_machine *m, struct tsim_check_node *n);
/* record one finding (one line, no newline in @fmt) */
void tsim_check_report(struct tsim_check *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* the sum of what every registered layer answers */
unsigned tsim_check_shm_refs(struct tsim_check *c, const void *shm);
unsigned tsim_check_ctx_refs(struct tsim_check *c, const void *ctx);
unsigned tsim_check_dev_shms(struct tsim_check *c, const void *teedev);
/* cookies asked about at once */
#define TSIM_CHECK_BATCH 32u
/*
 * ask the layers of @kind about @n cookies (n <= TSIM_CHECK_BATCH): @ans[i] 1
 * if one has it, 0 if the concerned ones do not, -1 if none is concerned
 */
void tsim_check_cookies(struct tsim_check *c, enum tsim_check_kind kind, struct teesim_guest *g,
			const uint64_t *cookies, unsigned n, int8_t *ans);
/* whether a layer of @kind is registered */
bool tsim_check_has(struct tsim_check *c, enum tsim_check_kind kind);
/* the supplicant's own check (sim/supplicant/check.c), run by teesim_check_stack() */
void tsim_supp_check(struct teesim_supplicant *s, struct tsim_check *c);
/* a supplicant made on a machine (teesim_supplicant_new_on) is checked with it */
void tsim_supp_check_register(struct teesim_supplicant *s);

/* machine.c */
void tsim_violation(struct teesim_machine *m, enum teesim_violation_kind kind, uint64_t addr,
		    int guest_id);
const struct tsim_region *tsim_region_of(const struct teesim_machine *m, teesim_pa_t pa);
/* page life cycle, called with m->lock held; take is for a page the caller
 * has just allocated in g->alloc, release frees it there */
void tsim_page_release(struct teesim_guest *g, uint64_t idx);
/* tsim_page_release() of pages [first, first + n), in one bitmap update */
void tsim_pages_release(struct teesim_guest *g, uint64_t first, uint64_t n);
void tsim_page_take(struct teesim_guest *g, uint64_t idx, enum tsim_page_state st, uint32_t owner);
/* tsim_page_take() of pages [first, first + n) */
void tsim_pages_take(struct teesim_guest *g, uint64_t first, uint64_t n, enum tsim_page_state st,
		     uint32_t owner);
unsigned char *tsim_page_backing(const struct teesim_guest *g, uint64_t idx);
/* a frame index of RAM -> owning guest and page index, or NULL */
struct teesim_guest *tsim_ram_frame_guest(const struct teesim_machine *m, uint64_t frame,
					  uint64_t *idx);

/* hostmap.c, called with m->lock held */
struct tsim_hostmap_entry *tsim_hostmap_find(struct tsim_hostmap *h, uintptr_t host);
int tsim_hostmap_insert(struct tsim_hostmap *h, uintptr_t host, struct teesim_guest *g,
			uint64_t idx);
void tsim_hostmap_remove(struct tsim_hostmap *h, uintptr_t host);
/* free every node that holds no binding */
void tsim_hostmap_prune(struct tsim_hostmap *h);
void tsim_hostmap_fini(struct tsim_hostmap *h);

/* guest.c, called with m->lock held */
struct teesim_guest *tsim_guest_create(struct teesim_machine *m, uint64_t npages);
void tsim_guest_destroy(struct teesim_guest *g);

/* process.c */
void tsim_processes_free_all(struct teesim_machine *m);
/* add a device mapping of [addr, addr + len) to @p; 0 or -ENOMEM */
int tsim_process_devmap_add(struct teesim_process *p, void *addr, size_t len, unsigned prot,
			    void (*release)(void *cookie), void *cookie);
/* remove the device mapping at @addr of length @len and run its release; 0 or -EINVAL */
int tsim_process_devmap_remove(struct teesim_process *p, void *addr, size_t len);

/* uaccess.c: copy between a model buffer and user memory of @p; 0 or -EFAULT
 * (range not mapped by the process, read-only for a write, or host memory
 * the host does not map, or any host memory when the machine forbids it) */
int tsim_copy_from_user(struct teesim_process *p, void *dst, uint64_t uaddr, size_t len);
int tsim_copy_to_user(struct teesim_process *p, uint64_t uaddr, const void *src, size_t len);

/* clock.c */
void tsim_clock_fini(struct teesim_machine *m);

#endif /* TEESIM_SIM_INTERNAL_H */
