/* SPDX-License-Identifier: MIT */
/*
 * Registration of shared memory with the secure world (optee_shm_register /
 * optee_shm_unregister of drivers/tee/optee/call.c, smc_abi.c) and page
 * lists for buffers described page by page. The secure world knows a shm by
 * the core's cookie (tee_shm_get_cookie(): the kernel passes the shm
 * pointer), assigned before the driver or the pool manager sees the shm.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "optee/optee_private.h"

#define PG ((uint64_t) TEESIM_PAGE_SIZE)

/* model: is @shm a buffer of the driver's kernel-page pool? */
bool optee_shm_is_pages(struct optee *optee, const struct tee_shm *shm)
{
	return (shm->flags & TEE_SHM_POOL) && shm->poolm &&
	       (shm->poolm == optee->page_mgr_priv || shm->poolm == optee->page_mgr_dma);
}

int optee_shm_pages_list(struct optee *optee, struct tee_shm *shm, size_t offs, size_t size,
			 struct optee_pages_list *pl, uint64_t *buf_ptr)
{
	const bool pinned = shm->pages != NULL; /* registered user memory, else contiguous */
	uint64_t *pages;
	size_t first, npages, page_offset;
	int rc;

	if (offs > shm->size || size > shm->size - offs)
		return -EINVAL;
	if (pinned) {
		offs += shm->offset; /* from the start of the first pinned page */
		first = offs / PG;
		npages = (offs + (size ? size : 1) - 1) / PG - first + 1;
		if (first + npages > shm->num_pages)
			return -EINVAL;
	} else {
		first = offs / PG;
		npages = (offs + (size ? size : 1) - 1) / PG - first + 1;
	}
	page_offset = offs % PG;
	pages = tsim_mallocarray(optee->m, npages, sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	for (size_t i = 0; i < npages; i++)
		pages[i] = pinned ? shm->pages[first + i] : shm->paddr + (first + i) * PG;
	rc = optee_allocate_pages_list(optee->g, npages, pl);
	if (!rc) {
		rc = optee_fill_pages_list(pl, pages, npages, page_offset);
		if (rc)
			optee_free_pages_list(pl);
	}
	tsim_free(optee->m, pages);
	if (!rc)
		*buf_ptr = optee_pages_list_buf_ptr(pl, page_offset);
	return rc;
}

#define PL_ENTRIES ((size_t) TEESIM_OPTEE_MSG_PAGELIST_ENTRIES_PER_PAGE)
#define PL_SLOTS   ((size_t) (TEESIM_OPTEE_MSG_NONCONTIG_PAGE_SIZE / sizeof(uint64_t)))

/*
 * model: the driver's kept one-page list for @num_pages (<= 511) pages,
 * filled as optee_fill_pages_list() fills a fresh one (the kernel allocates
 * a list per registration; reusing one page spares the allocation and the
 * zeroing of a whole page each time: only slots a previous list used and
 * this one does not are cleared). NULL when it is in use, cannot be
 * allocated or @num_pages does not fit; *err is set on bad input.
 */
static struct optee_pages_list *small_list_fill(struct optee *optee, const teesim_ipa_t *pages,
						size_t num_pages, size_t page_offset, int *err)
{
	struct optee_pages_list *pl = &optee->small_pl;
	size_t used;
	uint64_t *lp;

	*err = 0;
	if (num_pages > PL_ENTRIES || atomic_exchange(&optee->small_pl_busy, true))
		return NULL;
	if (!pl->npages) {
		if (optee_allocate_pages_list(optee->g, PL_ENTRIES, pl))
			goto out_release;
		optee->small_pl_dirty = PL_SLOTS; /* fresh pages hold what was there */
	}
	for (size_t i = 0; i < num_pages; i++) {
		if (pages[i] & TEESIM_OPTEE_MSG_PAGELIST_OFFSET_MASK) {
			*err = -EINVAL;
			goto out_release;
		}
	}
	if (page_offset >= TEESIM_OPTEE_MSG_NONCONTIG_PAGE_SIZE) {
		*err = -EINVAL;
		goto out_release;
	}
	lp = pl->host;
	memcpy(lp, pages, num_pages * sizeof(*lp));
	used = num_pages;
	if (num_pages == PL_ENTRIES) { /* a full list page always chains */
		lp[TEESIM_OPTEE_MSG_PAGELIST_NEXT_SLOT] = pl->ipa + PG;
		used = PL_SLOTS;
	}
	if (optee->small_pl_dirty > used)
		memset(lp + used, 0, (optee->small_pl_dirty - used) * sizeof(*lp));
	optee->small_pl_dirty = used;
	return pl;

out_release:
	atomic_store(&optee->small_pl_busy, false);
	return NULL;
}

/* optee_shm_register */
int optee_shm_register(struct tee_context *ctx, struct tee_shm *shm, const teesim_ipa_t *pages,
		       size_t num_pages, uint64_t start)
{
	struct optee *optee = tee_get_drvdata(ctx->teedev);
	size_t page_offset = tee_shm_get_page_offset(shm);
	struct optee_pages_list own = {0}, *pl;
	struct optee_msg_buf mb;
	struct teesim_optee_msg_arg hdr;
	struct teesim_optee_msg_param p;
	int rc;

	(void) start;
	if (!num_pages)
		return -EINVAL;
	pl = small_list_fill(optee, pages, num_pages, page_offset, &rc);
	if (rc)
		return rc;
	if (!pl) {
		pl = &own;
		if (optee_allocate_pages_list(optee->g, num_pages, pl))
			return -ENOMEM;
		rc = optee_fill_pages_list(pl, pages, num_pages, page_offset);
		if (rc)
			goto out_pl;
	}
	rc = optee_get_msg_arg(optee, ctx, 1, &mb);
	if (rc)
		goto out_pl;
	memset(&hdr, 0, sizeof(hdr));
	hdr.cmd = TEESIM_OPTEE_MSG_CMD_REGISTER_SHM;
	hdr.num_params = 1;
	memset(&p, 0, sizeof(p));
	p.attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
	p.u.tmem.shm_ref = tee_shm_get_cookie(shm);
	p.u.tmem.size = tee_shm_get_size(shm);
	p.u.tmem.buf_ptr = optee_pages_list_buf_ptr(pl, page_offset);
	memcpy(mb.arg, &hdr, sizeof(hdr));
	memcpy(mb.arg->params, &p, sizeof(p));
	if (optee_do_call_with_arg(optee, ctx, &mb) != TEESIM_OPTEE_SMC_RETURN_OK ||
	    mb.arg->ret != TEESIM_OPTEE_SUCCESS) {
		rc = -EINVAL;
	} else {
		pthread_mutex_lock(&optee->lock);
		optee->registered++;
		pthread_mutex_unlock(&optee->lock);
	}
	optee_free_msg_arg(optee, &mb);
out_pl:
	/* the secure world copied the addresses */
	if (pl == &own)
		optee_free_pages_list(&own);
	else
		atomic_store(&optee->small_pl_busy, false);
	return rc;
}

/* optee_shm_unregister */
int optee_shm_unregister(struct tee_context *ctx, struct tee_shm *shm)
{
	struct optee *optee = tee_get_drvdata(ctx->teedev);
	struct optee_msg_buf mb;
	struct teesim_optee_msg_arg hdr;
	struct teesim_optee_msg_param p;
	int rc;

	pthread_mutex_lock(&optee->lock);
	optee->registered--;
	pthread_mutex_unlock(&optee->lock);
	rc = optee_get_msg_arg(optee, ctx, 1, &mb);
	if (rc)
		return rc;
	memset(&hdr, 0, sizeof(hdr));
	hdr.cmd = TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM;
	hdr.num_params = 1;
	memset(&p, 0, sizeof(p));
	p.attr = TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT;
	p.u.rmem.shm_ref = tee_shm_get_cookie(shm);
	memcpy(mb.arg, &hdr, sizeof(hdr));
	memcpy(mb.arg->params, &p, sizeof(p));
	if (optee_do_call_with_arg(optee, ctx, &mb) != TEESIM_OPTEE_SMC_RETURN_OK ||
	    mb.arg->ret != TEESIM_OPTEE_SUCCESS)
		rc = -EINVAL;
	optee_free_msg_arg(optee, &mb);
	return rc;
}

/* optee_shm_register_supp: the secure world learns of these in SHM_ALLOC replies */
int optee_shm_register_supp(struct tee_context *ctx, struct tee_shm *shm, const teesim_ipa_t *pages,
			    size_t num_pages, uint64_t start)
{
	(void) ctx;
	(void) shm;
	(void) pages;
	(void) num_pages;
	(void) start;
	return 0;
}

/* optee_shm_unregister_supp */
int optee_shm_unregister_supp(struct tee_context *ctx, struct tee_shm *shm)
{
	(void) ctx;
	(void) shm;
	return 0;
}
