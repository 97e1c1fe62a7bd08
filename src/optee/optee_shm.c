/* SPDX-License-Identifier: MIT */
/*
 * Registration of shared memory with the secure world (optee_shm_register /
 * optee_shm_unregister of drivers/tee/optee/call.c, smc_abi.c) and page
 * lists for buffers described page by page.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "optee/optee_private.h"

#define PG ((uint64_t) TEESIM_PAGE_SIZE)

/*
 * The cookie the secure world knows @shm by. The kernel passes the shm
 * pointer; the model the core's per-shm cookie, or for a registration the
 * one the driver chose at REGISTER_SHM (kept in sec_world_data: the core
 * assigns its cookie only after the driver's register op returned).
 */
uint64_t optee_shm_cookie(const struct tee_shm *shm)
{
	if (tee_shm_is_registered(shm) && shm->sec_world_data)
		return (uint64_t) (uintptr_t) shm->sec_world_data;
	return tee_shm_get_cookie(shm);
}

/* model: is @shm a buffer of the driver's kernel-page pool? */
bool optee_shm_is_pages(struct optee *optee, const struct tee_shm *shm)
{
	return (shm->flags & TEE_SHM_POOL) && shm->poolm &&
	       (shm->poolm == optee->page_mgr_priv || shm->poolm == optee->page_mgr_dma);
}

int optee_shm_pages_list(struct optee *optee, struct tee_shm *shm, size_t offs, size_t size,
			 struct optee_pages_list *pl, uint64_t *buf_ptr)
{
	uint64_t *pages;
	size_t first, npages, page_offset;
	int rc;

	if (offs > shm->size || size > shm->size - offs)
		return -EINVAL;
	if (tee_shm_is_registered(shm)) {
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
	pages = malloc(npages * sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	for (size_t i = 0; i < npages; i++)
		pages[i] = tee_shm_is_registered(shm) ? shm->pages[first + i]
						      : shm->paddr + (first + i) * PG;
	rc = optee_allocate_pages_list(optee->g, npages, pl);
	if (!rc) {
		rc = optee_fill_pages_list(pl, pages, npages, page_offset);
		if (rc)
			optee_free_pages_list(pl);
	}
	free(pages);
	if (!rc)
		*buf_ptr = optee_pages_list_buf_ptr(pl, page_offset);
	return rc;
}

/* optee_shm_register */
int optee_shm_register(struct tee_context *ctx, struct tee_shm *shm, const teesim_ipa_t *pages,
		       size_t num_pages, uint64_t start)
{
	struct optee *optee = tee_get_drvdata(ctx->teedev);
	struct optee_pages_list pl;
	struct optee_msg_buf mb;
	struct teesim_optee_msg_arg hdr;
	struct teesim_optee_msg_param p;
	uint64_t cookie = tee_shm_get_cookie(shm);
	int rc;

	(void) start;
	if (!num_pages)
		return -EINVAL;
	rc = optee_allocate_pages_list(optee->g, num_pages, &pl);
	if (rc)
		return -ENOMEM;
	rc = optee_get_msg_arg(optee, ctx, 1, &mb);
	if (rc)
		goto out_pl;
	rc = optee_fill_pages_list(&pl, pages, num_pages, tee_shm_get_page_offset(shm));
	if (rc)
		goto out_arg;
	if (!cookie) {
		pthread_mutex_lock(&optee->lock);
		cookie = (1ull << 62) | ++optee->next_reg_cookie;
		pthread_mutex_unlock(&optee->lock);
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.cmd = TEESIM_OPTEE_MSG_CMD_REGISTER_SHM;
	hdr.num_params = 1;
	memset(&p, 0, sizeof(p));
	p.attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
	p.u.tmem.shm_ref = cookie;
	p.u.tmem.size = tee_shm_get_size(shm);
	p.u.tmem.buf_ptr = optee_pages_list_buf_ptr(&pl, tee_shm_get_page_offset(shm));
	memcpy(mb.arg, &hdr, sizeof(hdr));
	memcpy(mb.arg->params, &p, sizeof(p));
	if (optee_do_call_with_arg(optee, ctx, &mb) != TEESIM_OPTEE_SMC_RETURN_OK ||
	    mb.arg->ret != TEESIM_OPTEE_SUCCESS) {
		rc = -EINVAL;
	} else {
		shm->sec_world_data = (void *) (uintptr_t) cookie;
		pthread_mutex_lock(&optee->lock);
		optee->registered++;
		pthread_mutex_unlock(&optee->lock);
	}
out_arg:
	optee_free_msg_arg(optee, &mb);
out_pl:
	optee_free_pages_list(&pl); /* the secure world copied the addresses */
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
	p.u.rmem.shm_ref = optee_shm_cookie(shm);
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
