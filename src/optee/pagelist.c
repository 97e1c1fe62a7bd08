/* SPDX-License-Identifier: MIT */
/*
 * Page lists for NONCONTIG memory references (see pagelist.h).
 */
#include <errno.h>
#include <string.h>

#include "optee/pagelist.h"

#define PL_PAGE_SIZE ((size_t) TEESIM_OPTEE_MSG_NONCONTIG_PAGE_SIZE)
#define PL_ENTRIES   ((size_t) TEESIM_OPTEE_MSG_PAGELIST_ENTRIES_PER_PAGE)
#define PL_SLOTS     (PL_PAGE_SIZE / sizeof(uint64_t))
#define PL_NEXT	     ((size_t) TEESIM_OPTEE_MSG_PAGELIST_NEXT_SLOT)
#define PL_OFF_MASK  ((uint64_t) TEESIM_OPTEE_MSG_PAGELIST_OFFSET_MASK)

/* List pages for @num_entries entries, rounded up without overflowing. */
static size_t pages_list_npages(size_t num_entries)
{
	return num_entries / PL_ENTRIES + (num_entries % PL_ENTRIES != 0);
}

/* get_pages_list_size() in drivers/tee/optee/smc_abi.c */
int get_pages_list_size(size_t num_entries, size_t *size)
{
	size_t npages;

	if (num_entries == 0 || size == NULL)
		return -EINVAL;
	npages = pages_list_npages(num_entries);
	if (npages > SIZE_MAX / PL_PAGE_SIZE)
		return -ENOMEM;
	*size = npages * PL_PAGE_SIZE;
	return 0;
}

/* optee_allocate_pages_list() in drivers/tee/optee/smc_abi.c */
int optee_allocate_pages_list(struct teesim_guest *g, size_t num_entries,
			      struct optee_pages_list *pl)
{
	teesim_ipa_t ipa;
	void *host;
	size_t size;
	int rc;

	if (g == NULL || pl == NULL)
		return -EINVAL;
	rc = get_pages_list_size(num_entries, &size);
	if (rc)
		return rc;
	rc = teesim_kmem_alloc(g, size / PL_PAGE_SIZE, 0, &ipa, &host);
	if (rc)
		return rc;
	pl->guest = g;
	pl->ipa = ipa;
	pl->host = host;
	pl->npages = size / PL_PAGE_SIZE;
	pl->num_entries = num_entries;
	return 0;
}

/* optee_free_pages_list() in drivers/tee/optee/smc_abi.c */
int optee_free_pages_list(struct optee_pages_list *pl)
{
	int rc;

	if (pl == NULL || pl->npages == 0)
		return 0;
	rc = teesim_kmem_free(pl->guest, pl->ipa, pl->npages);
	memset(pl, 0, sizeof(*pl));
	return rc;
}

/* optee_fill_pages_list() in drivers/tee/optee/smc_abi.c */
int optee_fill_pages_list(struct optee_pages_list *pl, const uint64_t *pages, size_t num_pages,
			  size_t page_offset)
{
	uint64_t bits = 0;
	size_t used, i;

	if (pl == NULL || pl->host == NULL || pages == NULL || num_pages == 0 ||
	    num_pages > pl->num_entries || page_offset >= PL_PAGE_SIZE)
		return -EINVAL;
	/* every page aligned: gathered without a branch per page, tested once */
	for (i = 0; i < num_pages; i++)
		bits |= pages[i];
	if (bits & PL_OFF_MASK)
		return -EINVAL;

	/*
	 * With 4 KiB kernel pages every page is one entry, and the kernel's
	 * round_down(page_offset, 4096) is always 0.
	 */
	used = pages_list_npages(num_pages);
	for (i = 0; i < used; i++) {
		uint64_t *lp = pl->host + i * PL_SLOTS;
		size_t first = i * PL_ENTRIES;
		size_t n = num_pages - first < PL_ENTRIES ? num_pages - first : PL_ENTRIES;

		memcpy(lp, pages + first, n * sizeof(uint64_t));
		memset(lp + n, 0, (PL_SLOTS - n) * sizeof(uint64_t));
		/* as the kernel: a full list page always gets the next pointer, even
		 * the last one (it then points just past the list) */
		if (n == PL_ENTRIES)
			lp[PL_NEXT] = pl->ipa + (uint64_t) (i + 1) * PL_PAGE_SIZE;
	}
	/* list pages sized for more entries than used stay all zero */
	memset(pl->host + used * PL_SLOTS, 0, (pl->npages - used) * PL_PAGE_SIZE);
	return 0;
}

/* The buf_ptr expression of optee_shm_register() in drivers/tee/optee/smc_abi.c */
uint64_t optee_pages_list_buf_ptr(const struct optee_pages_list *pl, size_t page_offset)
{
	return pl->ipa | ((uint64_t) page_offset & PL_OFF_MASK);
}
