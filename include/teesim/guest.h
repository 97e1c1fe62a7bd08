/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/guest.h
 * @brief Guests: guest-physical (IPA) spaces mapped to frames by a stage-2
 * table, and the kernel's page allocations inside them.
 *
 * Every guest owns a share of the machine's RAM, seen by it as one
 * contiguous run of IPAs starting at cfg.guest_ipa_base. Its stage-2 table
 * maps IPA pages to frames: identity (consecutive frames) or a seeded
 * permutation over the whole of RAM, so that pages contiguous for the guest
 * are scattered in physical memory, and two machines with the same seed have
 * the same layout. The permutation is computed, not stored: a guest of any
 * size costs O(1) to create.
 *
 * Guest 0 is created with the machine. Lifetime of other guests:
 * teesim_guest_new() ... teesim_guest_free().
 */
#ifndef TEESIM_GUEST_H
#define TEESIM_GUEST_H

#include <teesim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The guest with id @p id, or NULL. Guest 0 always exists. */
TEESIM_API struct teesim_guest *teesim_machine_guest(struct teesim_machine *m, unsigned id);

/**
 * Create a guest with @p ram_size bytes of RAM (a multiple of 4 KiB, > 0)
 * taken from RAM no guest owns yet. Ids are given in order of creation.
 * Returns NULL with errno EINVAL (bad size) or ENOMEM (not enough free RAM).
 */
TEESIM_API struct teesim_guest *teesim_guest_new(struct teesim_machine *m, uint64_t ram_size);

/**
 * Destroy a guest other than guest 0 and give its RAM back. Refused with
 * -EBUSY while any of its pages is allocated or pinned or a process of it is
 * alive; -EINVAL for guest 0.
 */
TEESIM_API int teesim_guest_free(struct teesim_guest *g);

/** The machine a guest belongs to. */
TEESIM_API struct teesim_machine *teesim_guest_machine(const struct teesim_guest *g);
/** The guest's id (0 for the first). */
TEESIM_API unsigned teesim_guest_id(const struct teesim_guest *g);
/** First IPA of the guest's RAM. */
TEESIM_API teesim_ipa_t teesim_guest_ipa_base(const struct teesim_guest *g);
/** Size of the guest's RAM in bytes. */
TEESIM_API uint64_t teesim_guest_ram_size(const struct teesim_guest *g);

/**
 * Stage-2 translation of the byte at @p ipa (the page offset is kept).
 * -EFAULT if @p ipa is not in the guest's RAM.
 */
TEESIM_API int teesim_guest_ipa_to_pa(const struct teesim_guest *g, teesim_ipa_t ipa,
				      teesim_pa_t *pa);

/** Reverse translation; -ENOENT if the frame at @p pa is not mapped by @p g. */
TEESIM_API int teesim_guest_pa_to_ipa(const struct teesim_guest *g, teesim_pa_t pa,
				      teesim_ipa_t *ipa);

/**
 * Host pointer to the byte at @p ipa (the kernel's direct map), or NULL if
 * @p ipa is not guest RAM. For a page bound to host memory it points into
 * that host memory. Bytes are contiguous on the host only within a page, or
 * across the pages of one kernel allocation or one process mapping.
 */
TEESIM_API void *teesim_guest_ipa_host(struct teesim_guest *g, teesim_ipa_t ipa);

/** Kernel allocation flags. */
enum {
	TEESIM_KMEM_ZERO = 1u << 0, /**< zero the pages (else they hold what was there) */
};

/**
 * Allocate @p npages pages contiguous in IPA (alloc_pages_exact), with a
 * contiguous host pointer through which the kernel model writes them.
 * Returns -EINVAL for 0 pages or unknown flags, -ENOMEM when no such run is
 * free. @p host may be NULL.
 */
TEESIM_API int teesim_kmem_alloc(struct teesim_guest *g, size_t npages, unsigned flags,
				 teesim_ipa_t *ipa, void **host);

/**
 * Free kernel pages. Every page must be a kernel allocation: otherwise
 * nothing is freed, -EINVAL is returned and a DOUBLE_FREE (page already
 * free) or BAD_FREE (page owned by something else) violation is recorded for
 * each offending page. -EFAULT if the range is not guest RAM.
 */
TEESIM_API int teesim_kmem_free(struct teesim_guest *g, teesim_ipa_t ipa, size_t npages);

/**
 * Drop one pin from each page in @p ipas (unpin_user_pages). A page of
 * machine-allocated process memory that is no longer mapped is freed with
 * its last pin; a host page is unbound from its frame. Pages with no pin are
 * left alone, recorded as UNBALANCED_UNPIN violations, and make the call
 * return -EINVAL; IPAs outside guest RAM make it return -EFAULT. The other
 * pages are unpinned either way.
 */
TEESIM_API int teesim_guest_unpin(struct teesim_guest *g, const teesim_ipa_t *ipas, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_GUEST_H */
