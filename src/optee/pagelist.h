/* SPDX-License-Identifier: MIT */
/*
 * Model of the OP-TEE driver's page-list helpers (drivers/tee/optee, in
 * call.c up to v5.15 and smc_abi.c since): the list of 4 KiB page addresses
 * a TMEM parameter with OPTEE_MSG_ATTR_NONCONTIG points at, used for
 * REGISTER_SHM and for SHM_ALLOC replies.
 *
 * Layout (optee_msg.h): each 4 KiB list page holds 511 u64 page addresses
 * followed, in slot 511, by the address of the next list page. buf_ptr of
 * the parameter is the address of the first list page, with the buffer's
 * offset inside its first data page in the low 12 bits.
 *
 * The list pages are kernel memory (teesim_kmem_alloc, which models
 * alloc_pages_exact): contiguous in IPA, written through their host pointer.
 * The driver works in IPAs: data-page and next-list-page addresses are IPAs;
 * turning them into PAs is a hypervisor mediator's job.
 *
 * Kernel-exact: a next pointer is written after every 511th entry, so when
 * the entry count is a multiple of 511 the last list page's slot 511 holds
 * the address of the page just past the list (OP-TEE never follows it).
 * One difference: slots the list does not use are zeroed (the kernel
 * leaves them as allocated), so lists are deterministic.
 *
 * No locking: a list belongs to the one caller that allocated it.
 */
#ifndef TEESIM_OPTEE_PAGELIST_H
#define TEESIM_OPTEE_PAGELIST_H

#include <stddef.h>
#include <stdint.h>

#include <teesim/guest.h>
#include <teesim/optee_abi.h>

/* The page lists below assume the guest page is the page-list granule. */
_Static_assert(TEESIM_PAGE_SIZE == TEESIM_OPTEE_MSG_NONCONTIG_PAGE_SIZE,
	       "one guest page is one page-list entry");

/* A page list: list pages allocated for at most num_entries data pages. */
struct optee_pages_list {
	struct teesim_guest *guest; /* guest whose kernel memory holds the list */
	teesim_ipa_t ipa;	    /* IPA of the first list page */
	uint64_t *host;		    /* host pointer to the list pages */
	size_t npages;		    /* list pages allocated */
	size_t num_entries;	    /* data-page entries the list was sized for */
};

/*
 * get_pages_list_size: bytes of list pages needed for @num_entries data
 * pages (ceil(num_entries / 511) * 4096), in @size. -EINVAL for 0 entries,
 * -ENOMEM when the size does not fit in a size_t.
 */
int get_pages_list_size(size_t num_entries, size_t *size);

/*
 * optee_allocate_pages_list: allocate the list pages for @num_entries data
 * pages from @g's kernel memory into @pl. -EINVAL for 0 entries or a NULL
 * argument, -ENOMEM for sizes that overflow or when the guest has no such
 * run of free pages. @pl is untouched on error.
 */
int optee_allocate_pages_list(struct teesim_guest *g, size_t num_entries,
			      struct optee_pages_list *pl);

/*
 * optee_free_pages_list: give the list pages back and clear @pl. Freeing a
 * cleared (or zero-filled) list does nothing. Returns teesim_kmem_free's
 * result.
 */
int optee_free_pages_list(struct optee_pages_list *pl);

/*
 * optee_fill_pages_list: write the addresses of @num_pages data pages
 * (@pages, each 4 KiB aligned) into @pl, chaining list pages, and zero every
 * slot left unused. @page_offset is the offset of the buffer in its first
 * page (< 4096). -EINVAL for 0 pages, more pages than @pl was sized for, an
 * unaligned page address or an offset of a page or more; @pl is then left
 * as it was.
 */
int optee_fill_pages_list(struct optee_pages_list *pl, const uint64_t *pages, size_t num_pages,
			  size_t page_offset);

/*
 * optee_pages_list_buf_ptr: the tmem.buf_ptr for @pl and a buffer at
 * @page_offset in its first page (the virt_to_phys(pages_list) |
 * (offset & 0xfff) expression of optee_shm_register).
 */
uint64_t optee_pages_list_buf_ptr(const struct optee_pages_list *pl, size_t page_offset);

#endif /* TEESIM_OPTEE_PAGELIST_H */
