/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/process.h
 * @brief User process address spaces and page pinning (get_user_pages).
 *
 * A process lives in a guest. A user address in teesim is a host address:
 * memory that teesim_process_mmap() returns is ordinary host memory the
 * client reads and writes directly, and each of its pages is a guest page
 * with a frame behind it, so the secure world reading that frame by PA sees
 * the very same bytes (zero copy, both ways).
 *
 * Memory the machine did not allocate (malloc, a stack buffer, a static
 * array) can be pinned too, when cfg.allow_host_memory is set: each host
 * page is then bound to a free guest page for as long as it is pinned, and
 * the frame behind that page reads and writes the host page itself. The
 * client must keep such memory alive until its last pin is dropped: the
 * model cannot notice a free() of it.
 *
 * Lifetime: teesim_process_new() ... teesim_process_free(). Freeing a process
 * unmaps its memory; pages still pinned stay allocated until their last pin
 * is dropped (as pinned pages outlive a process that exits).
 */
#ifndef TEESIM_PROCESS_H
#define TEESIM_PROCESS_H

#include <teesim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Create an empty address space in guest @p g; NULL with errno ENOMEM on failure. */
TEESIM_API struct teesim_process *teesim_process_new(struct teesim_guest *g);

/** Destroy a process (see the lifetime rule above). NULL is a no-op. */
TEESIM_API void teesim_process_free(struct teesim_process *p);

/** The process id (1, 2, ... in order of creation within the machine). */
TEESIM_API uint32_t teesim_process_id(const struct teesim_process *p);

/** The guest the process lives in. */
TEESIM_API struct teesim_guest *teesim_process_guest(const struct teesim_process *p);

/** Protection of a mapping. */
enum {
	TEESIM_PROT_READ = 1u << 0,
	TEESIM_PROT_WRITE = 1u << 1,
};

/**
 * Map @p len bytes (rounded up to whole pages) of zeroed user memory, backed
 * by pages contiguous in the guest's IPA space. Returns the page-aligned host
 * pointer, or NULL with errno EINVAL (len 0, unknown prot) or ENOMEM.
 */
TEESIM_API void *teesim_process_mmap(struct teesim_process *p, size_t len, unsigned prot);

/**
 * Unmap a whole mapping made by teesim_process_mmap(): @p addr and @p len
 * must be the ones it was created with (len may be the unrounded one).
 * Pinned pages stay allocated until their last pin is dropped. -EINVAL if
 * there is no such mapping.
 */
TEESIM_API int teesim_process_munmap(struct teesim_process *p, void *addr, size_t len);

/** Pin flags. */
enum {
	TEESIM_PIN_WRITE = 1u << 0, /**< the pages will be written (FOLL_WRITE) */
};

/**
 * Pin @p npages user pages starting at the page-aligned user address @p start
 * and store their IPAs in @p ipas (the model of pin_user_pages_fast). Pinning
 * stops at the first page that cannot be pinned: not mapped, read-only with
 * TEESIM_PIN_WRITE, or host memory when the machine does not allow it.
 *
 * Returns the number of pages pinned (which may be fewer than asked), or a
 * negative errno if not even the first page could be: -EFAULT for an
 * unmapped or forbidden page, -EINVAL for an unaligned @p start, unknown
 * flags or a range that wraps, -ENOMEM when the guest has no free page to
 * bind a host page to. Each pinned page must be released with one
 * teesim_guest_unpin().
 */
TEESIM_API long teesim_process_pin(struct teesim_process *p, uint64_t start, size_t npages,
				   unsigned flags, teesim_ipa_t *ipas);

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_PROCESS_H */
