/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/machine.h
 * @brief The simulated machine: physical memory, its frame map, checked
 * physical accessors for the secure world, and what tests observe of them.
 *
 * Lifetime: teesim_machine_new() creates a machine and its guest 0 (the
 * normal world that runs the kernel model); teesim_machine_free() destroys
 * it with everything hanging off it (guests, processes, timers). Objects
 * obtained from a machine must not be used after it is freed.
 *
 * Physical address space: three non-overlapping regions, each a whole
 * number of 4 KiB frames.
 * - normal (non-secure) RAM, shared out among guests;
 * - secure RAM, the secure world's own;
 * - an optional non-secure carve-out reserved for OP-TEE's static shared
 *   memory pool (the "reserved shm" of GET_SHM_CONFIG).
 * Host memory backing the regions is reserved lazily: untouched frames cost
 * no resident memory.
 *
 * Threads: every function may be called from several host threads at once,
 * except the hook setters, which must be called while no SMC or access is in
 * flight.
 */
#ifndef TEESIM_MACHINE_H
#define TEESIM_MACHINE_H

#include <teesim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** How a guest's stage-2 table maps guest-physical pages to frames. */
enum teesim_remap {
	/** IPA page i of the guest's RAM is the i-th frame of its share of RAM. */
	TEESIM_REMAP_IDENTITY = 0,
	/** A seeded permutation: contiguous guest pages land on scattered frames. */
	TEESIM_REMAP_SHUFFLE = 1,
};

/** Byte written over every page the model frees, when poisoning is on. */
#define TEESIM_POISON_FREE 0x6bu
/**
 * Byte written over a page handed out for the first time without being
 * zeroed (a kernel allocation without TEESIM_KMEM_ZERO), when poisoning is
 * on: reading memory nobody initialised shows. docs/memory.md.
 */
#define TEESIM_POISON_FRESH 0x5au

/** Machine configuration; fill it with teesim_machine_cfg_default() first. */
struct teesim_machine_cfg {
	teesim_pa_t ram_base;	     /**< PA of non-secure RAM (page aligned). */
	uint64_t ram_size;	     /**< bytes of non-secure RAM, a multiple of 4 KiB, > 0 */
	teesim_pa_t secure_base;     /**< PA of secure RAM (page aligned). */
	uint64_t secure_size;	     /**< bytes of secure RAM (may be 0) */
	teesim_pa_t static_shm_base; /**< PA of the static shm carve-out */
	uint64_t static_shm_size;    /**< its size; 0 means no carve-out */
	teesim_ipa_t guest_ipa_base; /**< IPA at which every guest's RAM starts (page aligned) */
	uint64_t guest0_size;	     /**< RAM of guest 0 in bytes; 0 means all of RAM */
	enum teesim_remap remap;     /**< stage-2 mapping of every guest */
	uint64_t seed;		     /**< fixes the permutation and every other choice */
	bool poison;		/**< poison freed and fresh pages (TEESIM_POISON_FREE / _FRESH) */
	bool allow_host_memory; /**< processes may pin host memory (malloc, stack) */
	/**
	 * Fail the nth allocation counted on the machine, creation included (1 =
	 * the machine's own struct); 0 fails none. See teesim/fault.h.
	 */
	uint64_t fail_alloc_nth;
	/** Record allocation sites from creation on (teesim_fault_alloc_sites()). */
	bool alloc_sites;
};

/**
 * Fill @p cfg with the defaults: 64 MiB of RAM at 0x40000000, 16 MiB of
 * secure RAM at 0x0e000000, a 2 MiB carve-out just below RAM, guest RAM at
 * IPA 0x40000000, guest 0 owning all RAM, identity remap, seed 0, poisoning
 * on, host memory allowed.
 */
TEESIM_API void teesim_machine_cfg_default(struct teesim_machine_cfg *cfg);

/**
 * Create a machine. @p cfg may be NULL for the defaults. Returns NULL and
 * sets errno on failure: EINVAL for an inconsistent configuration (unaligned
 * or overlapping regions, sizes that wrap, empty RAM, guest 0 larger than
 * RAM), ENOMEM when the host has no memory for it.
 */
TEESIM_API struct teesim_machine *teesim_machine_new(const struct teesim_machine_cfg *cfg);

/** Destroy a machine and everything it owns. NULL is a no-op. */
TEESIM_API void teesim_machine_free(struct teesim_machine *m);

/** The configuration the machine was built with. */
TEESIM_API const struct teesim_machine_cfg *teesim_machine_cfg(const struct teesim_machine *m);

/* ------------------------------------------------------------------------ */
/** @name Physical memory kinds and the frame map */

/** What lies at a physical address. */
enum teesim_mem_kind {
	TEESIM_MEM_NONE = 0,   /**< nothing: outside every region */
	TEESIM_MEM_RAM,	       /**< non-secure RAM */
	TEESIM_MEM_STATIC_SHM, /**< non-secure carve-out for the static shm pool */
	TEESIM_MEM_SECURE,     /**< secure RAM */
};

/** Who owns a frame. */
enum teesim_frame_owner {
	TEESIM_OWNER_NONE = 0,	  /**< not a frame (outside every region) */
	TEESIM_OWNER_UNASSIGNED,  /**< RAM given to no guest */
	TEESIM_OWNER_FREE,	  /**< a guest's free page */
	TEESIM_OWNER_KERNEL,	  /**< a guest kernel allocation (teesim_kmem_alloc) */
	TEESIM_OWNER_USER,	  /**< process memory allocated by the machine */
	TEESIM_OWNER_HOST,	  /**< host memory (malloc, stack) bound to a frame while pinned */
	TEESIM_OWNER_STATIC_SHM,  /**< the reserved carve-out */
	TEESIM_OWNER_SECURE_FREE, /**< free secure RAM */
	TEESIM_OWNER_SECURE,	  /**< a secure-world allocation (teesim_secure_alloc) */
};

/** Everything the frame map knows about one frame. */
struct teesim_frame_info {
	teesim_pa_t pa;		   /**< the frame's physical address */
	enum teesim_mem_kind kind; /**< region */
	enum teesim_frame_owner owner;
	bool secure;	     /**< frame is secure memory */
	uint32_t pin_count;  /**< pins held on the page (get_user_pages model) */
	int guest_id;	     /**< guest whose IPA space maps it, or -1 */
	teesim_ipa_t ipa;    /**< its IPA in that guest (when guest_id >= 0) */
	uint32_t process_id; /**< process that owns USER / HOST pages, else 0 */
	bool mapped;	     /**< USER pages: still mapped by the process */
};

/** Kind of the memory at @p pa (TEESIM_MEM_NONE outside every region). */
TEESIM_API enum teesim_mem_kind teesim_phys_kind(const struct teesim_machine *m, teesim_pa_t pa);

/**
 * Kind of the whole range [pa, pa + len). Returns -EFAULT when @p len is 0,
 * when the range wraps around, or when it is not inside one single region
 * (partly outside memory, or across two regions); otherwise 0 with the
 * region's kind in @p kind.
 */
TEESIM_API int teesim_phys_range_kind(const struct teesim_machine *m, teesim_pa_t pa, uint64_t len,
				      enum teesim_mem_kind *kind);

/** Fill @p info for the frame holding @p pa; -EFAULT if @p pa is not memory. */
TEESIM_API int teesim_frame_info(struct teesim_machine *m, teesim_pa_t pa,
				 struct teesim_frame_info *info);

/**
 * The static shm carve-out: its PA, size and host pointer (any may be NULL).
 * Returns -ENOENT when the machine has none.
 */
TEESIM_API int teesim_machine_static_shm(struct teesim_machine *m, teesim_pa_t *pa, uint64_t *size,
					 void **host);

/* ------------------------------------------------------------------------ */
/** @name Checked physical accessors (the secure world's only way to memory) */

/** Access flags. */
enum {
	/** The secure world's own access: any memory may be reached. */
	TEESIM_ACC_SECURE = 0,
	/**
	 * Access on behalf of a shared-memory path (a message argument, a page
	 * list, a memref): secure memory is refused and reported as a violation.
	 */
	TEESIM_ACC_NS = 1u << 0,
	/** For teesim_phys_map(): the caller will write through the pointer. */
	TEESIM_ACC_WRITE = 1u << 1,
};

/**
 * Copy @p len bytes from physical memory at @p pa into @p dst. The range may
 * span frames (each frame's bytes are read from wherever they live). Errors:
 * -EFAULT if any byte is outside memory, the range wraps, or it crosses from
 * one region into another; -EPERM if @p flags has TEESIM_ACC_NS and the range
 * is secure; the error returned by the access hook. Nothing is copied on
 * error. @p len 0 succeeds when @p pa is memory.
 */
TEESIM_API int teesim_phys_read(struct teesim_machine *m, teesim_pa_t pa, void *dst, size_t len,
				unsigned flags);

/** Like teesim_phys_read() in the other direction. */
TEESIM_API int teesim_phys_write(struct teesim_machine *m, teesim_pa_t pa, const void *src,
				 size_t len, unsigned flags);

/**
 * Map [pa, pa + len) and return a host pointer through which it can be
 * read (and written with TEESIM_ACC_WRITE) with no copy. The bytes must be
 * contiguous on the host as well: always true inside one frame, and across
 * frames of the carve-out and of secure RAM; -ERANGE otherwise. Other
 * errors as for teesim_phys_read(). The pointer stays valid while the frame
 * keeps its owner.
 */
TEESIM_API int teesim_phys_map(struct teesim_machine *m, teesim_pa_t pa, size_t len, unsigned flags,
			       void **host);

/** One access made through the accessors. */
enum teesim_access_op {
	TEESIM_ACCESS_READ = 0,
	TEESIM_ACCESS_WRITE,
	TEESIM_ACCESS_MAP,
};

/** A record of one accessor call, as the access hook and log see it. */
struct teesim_access {
	enum teesim_access_op op;
	teesim_pa_t pa;
	uint64_t len;
	unsigned flags;
	int result; /**< 0, or the error the call returned (the log only) */
};

/**
 * Access hook: called for every accessor call before it is carried out,
 * with no lock held. Return 0 to allow it, or a negative errno to refuse it
 * (the accessor then fails with that value). Tests use it as an oracle of
 * what the secure world may touch.
 */
typedef int (*teesim_access_hook_fn)(void *ctx, const struct teesim_access *access);

/** Install (or with NULL remove) the access hook. */
TEESIM_API void teesim_machine_set_access_hook(struct teesim_machine *m, teesim_access_hook_fn fn,
					       void *ctx);

/** Start (true) or stop (false) recording every access in the access log. */
TEESIM_API void teesim_machine_access_log_enable(struct teesim_machine *m, bool on);

/**
 * Copy up to @p max entries of the access log, starting at entry @p first,
 * into @p out; returns the total number of entries recorded.
 */
TEESIM_API size_t teesim_machine_access_log(struct teesim_machine *m, size_t first,
					    struct teesim_access *out, size_t max);

/** Empty the access log. */
TEESIM_API void teesim_machine_access_log_clear(struct teesim_machine *m);

/* ------------------------------------------------------------------------ */
/** @name Secure RAM allocations (for the secure world model) */

/**
 * Allocate @p npages physically contiguous frames of secure RAM, zeroed.
 * Returns -EINVAL for 0 pages, -ENOMEM when secure RAM has no such run.
 * @p host may be NULL.
 */
TEESIM_API int teesim_secure_alloc(struct teesim_machine *m, size_t npages, teesim_pa_t *pa,
				   void **host);

/**
 * Free secure frames. Every frame must be a secure allocation: otherwise
 * nothing is freed, -EINVAL is returned and a violation is recorded, a
 * DOUBLE_FREE for each free secure frame, or one BAD_FREE at @p pa when the
 * range is not (wholly) secure RAM. 0 pages or an unaligned @p pa: -EINVAL only.
 */
TEESIM_API int teesim_secure_free(struct teesim_machine *m, teesim_pa_t pa, size_t npages);

/* ------------------------------------------------------------------------ */
/** @name Violations and statistics */

/** Misuse of memory that the model detects and records. */
enum teesim_violation_kind {
	TEESIM_VIOL_DOUBLE_FREE = 1,  /**< freeing a page that is already free */
	TEESIM_VIOL_BAD_FREE,	      /**< freeing a page the freer does not own */
	TEESIM_VIOL_UNBALANCED_UNPIN, /**< unpinning a page with no pin */
	TEESIM_VIOL_SECURE_ACCESS,    /**< a shared-memory path reached secure memory */
	/**
	 * A reference count was incremented from 0 (a use after free in the
	 * kernel's refcount_t terms); the count stays 0. @ref teesim_violation.addr
	 * is the host address of the counter.
	 */
	TEESIM_VIOL_REFCOUNT_INC_ZERO,
	/**
	 * A reference count was decremented below 0; it stays 0. @ref
	 * teesim_violation.addr is the host address of the counter.
	 */
	TEESIM_VIOL_REFCOUNT_UNDERFLOW,
	/**
	 * A reference count reached its maximum (UINT32_MAX) and saturated: it
	 * never moves again, so the object is leaked rather than freed early.
	 * @ref teesim_violation.addr is the host address of the counter.
	 */
	TEESIM_VIOL_REFCOUNT_OVERFLOW,
	/**
	 * A plain decrement (not a "put" that releases) took a reference count to
	 * 0, so nothing will free the object (the kernel's "decrement hit 0;
	 * leaking memory"). @ref teesim_violation.addr is the host address of the
	 * counter.
	 */
	TEESIM_VIOL_REFCOUNT_DEC_LEAK,
};

/** One recorded violation. */
struct teesim_violation {
	enum teesim_violation_kind kind;
	/**
	 * The PA (secure access, secure free), IPA (guest pages) or host address
	 * of the counter (REFCOUNT_* kinds).
	 */
	uint64_t addr;
	int guest_id; /**< guest of @ref addr when it is an IPA, else -1 */
};

/** Human-readable name of a violation kind. */
TEESIM_API const char *teesim_violation_name(enum teesim_violation_kind kind);

/**
 * Copy up to @p max recorded violations into @p out (may be NULL with max 0);
 * returns the total number recorded.
 */
TEESIM_API size_t teesim_machine_violations(struct teesim_machine *m, struct teesim_violation *out,
					    size_t max);

/** Forget the recorded violations. */
TEESIM_API void teesim_machine_clear_violations(struct teesim_machine *m);

/** Counters over the whole machine: what is allocated, pinned and bound now. */
struct teesim_machine_stats {
	uint64_t guests;       /**< guests alive (guest 0 included) */
	uint64_t processes;    /**< processes alive */
	uint64_t kernel_pages; /**< pages held by kernel allocations */
	uint64_t user_pages;   /**< pages of machine-allocated process memory */
	uint64_t host_pages;   /**< host pages currently bound to frames */
	uint64_t pinned_pages; /**< pages with at least one pin */
	uint64_t pins;	       /**< sum of all pin counts */
	uint64_t secure_pages; /**< frames held by secure allocations */
	uint64_t violations;   /**< violations recorded */
	uint64_t smc_calls;    /**< SMCs made through teesim_smc_call() */
};

/** Fill @p st with the current counters. */
TEESIM_API void teesim_machine_stats(struct teesim_machine *m, struct teesim_machine_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_MACHINE_H */
