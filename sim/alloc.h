/* SPDX-License-Identifier: MIT */
/*
 * The instance-owned allocator: every allocation the model makes (heap,
 * and mmap for machine memory and fiber stacks) goes through these calls,
 * which count it on the machine and can make it fail on request
 * (include/teesim/fault.h, docs/fault-injection.md).
 *
 * Each call names its machine first and captures its call site (a static
 * "file:line" literal and the function name: two pointers, nothing built),
 * so a failure can be asked for by count or by site. A NULL machine is
 * allowed for blocks used on their own (a zeroed idr, a fiber in a unit
 * test, a supplicant made without a machine): the host allocator is then
 * used, uncounted and never failed.
 *
 * Disarmed cost: one relaxed atomic increment and two relaxed loads.
 * Every array size n * size is overflow-checked: a product that wraps
 * gives NULL with errno ENOMEM, as a failed allocation does. Every
 * function sets errno to ENOMEM when it returns NULL.
 */
#ifndef TEESIM_SIM_ALLOC_H
#define TEESIM_SIM_ALLOC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct teesim_machine;
struct teesim_machine_cfg;
struct tsim_alloc_site;

/* A machine's allocation counter and fault state (struct teesim_machine.alloc). */
struct tsim_alloc {
	_Atomic uint64_t count;		/* allocations counted since the machine was created */
	_Atomic uint64_t fail_at;	/* count value that fails (UINT64_MAX: none) */
	_Atomic bool fail_from;		/* every count >= fail_at fails, not just that one */
	_Atomic bool slow;		/* site tracking or a site failure armed: see lock */
	_Atomic uint64_t fired;		/* failures injected */
	pthread_mutex_t lock;		/* everything below */
	bool track;			/* record sites */
	char *arm_site;			/* site to fail (owned copy), or NULL */
	uint64_t arm_nth;		/* fail the arm_nth-th allocation at arm_site ... */
	uint64_t arm_seen;		/* ... counting from arming */
	const char *last_loc, *last_fn; /* site of the last failure injected */
	struct tsim_alloc_site *sites;	/* open hash by site, host memory (uncounted) */
	size_t nsites, capsites;
};

#define TSIM_ALLOC_STR_(x) #x
#define TSIM_ALLOC_STR(x)  TSIM_ALLOC_STR_(x)
/* the call site, as two arguments: "file:line" literal, function name */
#define TSIM_SITE __FILE__ ":" TSIM_ALLOC_STR(__LINE__), __func__

/* malloc(size) */
#define tsim_malloc(m, size) tsim_malloc_at((m), (size), TSIM_SITE)
/* malloc(n * size), overflow-checked */
#define tsim_mallocarray(m, n, size) tsim_mallocarray_at((m), (n), (size), TSIM_SITE)
/* calloc(n, size) */
#define tsim_calloc(m, n, size) tsim_calloc_at((m), (n), (size), TSIM_SITE)
/* realloc(p, size); on failure @p is left as it was */
#define tsim_realloc(m, p, size) tsim_reallocarray_at((m), (p), 1, (size), TSIM_SITE)
/* realloc(p, n * size), overflow-checked; on failure @p is left as it was */
#define tsim_reallocarray(m, p, n, size) tsim_reallocarray_at((m), (p), (n), (size), TSIM_SITE)
/* aligned_alloc(align, size): @align a power of two, @size any (rounded up) */
#define tsim_aligned_alloc(m, align, size) tsim_aligned_alloc_at((m), (align), (size), TSIM_SITE)
/* strdup(s) */
#define tsim_strdup(m, s) tsim_strdup_at((m), (s), TSIM_SITE)
/* anonymous mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0); NULL (not MAP_FAILED) on failure
 */
#define tsim_mmap(m, len, prot, flags) tsim_mmap_at((m), (len), (prot), (flags), TSIM_SITE)

void *tsim_malloc_at(struct teesim_machine *m, size_t size, const char *loc, const char *fn);
void *tsim_mallocarray_at(struct teesim_machine *m, size_t n, size_t size, const char *loc,
			  const char *fn);
void *tsim_calloc_at(struct teesim_machine *m, size_t n, size_t size, const char *loc,
		     const char *fn);
void *tsim_reallocarray_at(struct teesim_machine *m, void *p, size_t n, size_t size,
			   const char *loc, const char *fn);
void *tsim_aligned_alloc_at(struct teesim_machine *m, size_t align, size_t size, const char *loc,
			    const char *fn);
char *tsim_strdup_at(struct teesim_machine *m, const char *s, const char *loc, const char *fn);
void *tsim_mmap_at(struct teesim_machine *m, size_t len, int prot, int flags, const char *loc,
		   const char *fn);

/* free(p) of memory from the calls above (NULL: no-op) */
void tsim_free(struct teesim_machine *m, void *p);
/* munmap of a tsim_mmap() mapping (NULL: no-op) */
void tsim_munmap(struct teesim_machine *m, void *p, size_t len);

/*
 * The machine's own struct, zeroed, with its allocator set up: allocation 1
 * of the machine, made before the machine exists, so it fails when
 * cfg->fail_alloc_nth is 1. NULL with errno ENOMEM. tsim_alloc_fini()
 * releases what the allocator holds (not the struct: tsim_free() it after).
 */
#define tsim_alloc_machine(cfg) tsim_alloc_machine_at((cfg), TSIM_SITE)
struct teesim_machine *tsim_alloc_machine_at(const struct teesim_machine_cfg *cfg, const char *loc,
					     const char *fn);
void tsim_alloc_fini(struct teesim_machine *m);

#endif /* TEESIM_SIM_ALLOC_H */
