/* SPDX-License-Identifier: MIT */
/*
 * Shared buffers and RPC argument buffers of a guest, as Xen's mediator keeps
 * them: a guest page list (IPAs) is rebuilt as a shadow page list of
 * physical addresses in mediator memory (translate_noncontig), every buffer
 * is recorded under the guest's cookie and counted against the limits, and
 * an RPC argument buffer the guest hands over is replaced by a shadow page.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "med_internal.h"

#define ENTRIES_PER_LIST TEESIM_OPTEE_MSG_PAGELIST_ENTRIES_PER_PAGE
#define NEXT_SLOT	 TEESIM_OPTEE_MSG_PAGELIST_NEXT_SLOT
#define SLOTS_PER_LIST	 (MED_PAGE / sizeof(uint64_t))

/* Record @b under its cookie: Xen's allocate_optee_shm_buf checks and limits. */
static int buf_add(struct teesim_mediator *med, struct tsim_med_guest *mg, struct tsim_med_buf *b)
{
	int err = 0;

	pthread_mutex_lock(&med->lock);
	if (mg->st.buffers >= med->cfg.max_buffers ||
	    mg->st.buffer_pages + b->npages >= med->cfg.max_total_pages) {
		err = -ENOMEM;
		goto out;
	}
	for (struct tsim_med_buf *o = mg->bufs; o; o = o->next) {
		if (o->cookie == b->cookie) {
			err = -EINVAL; /* the same cookie twice */
			goto out;
		}
	}
	b->next = mg->bufs;
	mg->bufs = b;
	mg->st.buffers++;
	mg->st.buffer_pages += b->npages;
out:
	pthread_mutex_unlock(&med->lock);
	return err;
}

static bool buf_is(const struct tsim_med_buf *b, enum tsim_med_buf_kind kind)
{
	switch (kind) {
	case TSIM_MED_BUF_REGISTERED:
		return b->registered;
	case TSIM_MED_BUF_RPC:
		return !b->registered && !b->owner;
	default:
		return true;
	}
}

struct tsim_med_buf *tsim_med_buf_unlink(struct teesim_mediator *med, struct tsim_med_guest *mg,
					 uint64_t cookie, enum tsim_med_buf_kind kind)
{
	struct tsim_med_buf **pp, *b = NULL;

	pthread_mutex_lock(&med->lock);
	for (pp = &mg->bufs; *pp; pp = &(*pp)->next) {
		if ((*pp)->cookie == cookie && buf_is(*pp, kind)) {
			b = *pp;
			*pp = b->next;
			mg->st.buffers--;
			mg->st.buffer_pages -= b->npages;
			if (b->registered)
				mg->st.registered--;
			break;
		}
	}
	pthread_mutex_unlock(&med->lock);
	return b;
}

void tsim_med_buf_free(struct teesim_mediator *med, struct tsim_med_guest *mg,
		       struct tsim_med_buf *b)
{
	if (!b)
		return;
	tsim_med_release(med, mg, &b->list);
	tsim_free(med->m, b);
}

void tsim_med_buf_free_list(struct teesim_mediator *med, struct tsim_med_guest *mg, uint64_t cookie)
{
	struct tsim_med_mem list = {0};

	pthread_mutex_lock(&med->lock);
	for (struct tsim_med_buf *b = mg->bufs; b; b = b->next) {
		if (b->cookie == cookie) {
			list = b->list;
			b->list.n = 0;
			break;
		}
	}
	pthread_mutex_unlock(&med->lock);
	tsim_med_release(med, mg, &list);
}

void tsim_med_bufs_free_owned(struct teesim_mediator *med, struct tsim_med_guest *mg,
			      const void *owner)
{
	for (;;) {
		struct tsim_med_buf *b = NULL;

		pthread_mutex_lock(&med->lock);
		for (b = mg->bufs; b && b->owner != owner; b = b->next)
			;
		pthread_mutex_unlock(&med->lock);
		if (!b)
			return;
		tsim_med_buf_free(med, mg,
				  tsim_med_buf_unlink(med, mg, b->cookie, TSIM_MED_BUF_ANY));
	}
}

/*
 * Walk the guest's page list and write the physical address of every data
 * page into the shadow list. Each guest list page is fetched once into a
 * local copy; every entry must be a 4 KiB aligned IPA of the guest's RAM.
 */
static int walk_list(struct tsim_med_guest *mg, teesim_ipa_t list_ipa, uint64_t npages,
		     uint64_t *shadow, const teesim_pa_t *shadow_pas)
{
	uint64_t local[SLOTS_PER_LIST];

	for (uint64_t i = 0; i < npages; i++) {
		const uint64_t k = i / ENTRIES_PER_LIST, idx = i % ENTRIES_PER_LIST;
		teesim_pa_t pa;

		if (idx == 0) {
			const void *page;

			if (k) {
				/* roll over: chain our next page, follow the guest's */
				shadow[(k - 1) * SLOTS_PER_LIST + NEXT_SLOT] = shadow_pas[k];
				list_ipa = local[NEXT_SLOT];
			}
			page = tsim_med_guest_page(mg, list_ipa);
			if (!page)
				return -EINVAL;
			memcpy(local, page, MED_PAGE);
		}
		if ((local[idx] & MED_PAGE_MASK) || teesim_guest_ipa_to_pa(mg->g, local[idx], &pa))
			return -EINVAL;
		shadow[k * SLOTS_PER_LIST + idx] = pa;
	}
	return 0;
}

int tsim_med_translate_noncontig(struct teesim_mediator *med, struct tsim_med_guest *mg,
				 const void *owner, struct teesim_optee_msg_param *p,
				 struct tsim_med_buf **out)
{
	const uint64_t buf_ptr = p->u.tmem.buf_ptr, size = p->u.tmem.size;
	const uint64_t offset = buf_ptr & MED_PAGE_MASK;
	teesim_pa_t *pas = NULL;
	struct tsim_med_buf *b;
	uint64_t npages;
	size_t nlist;
	int err;

	if (out)
		*out = NULL;
	/* buf_ptr 0 is a NULL memref to OP-TEE: nothing to translate */
	if (!buf_ptr)
		return 0;
	if (size > (uint64_t) med->cfg.max_buffer_pages * MED_PAGE)
		return -ENOMEM;
	npages = (size + offset + MED_PAGE - 1) / MED_PAGE;
	if (npages > med->cfg.max_buffer_pages)
		return -ENOMEM;
	nlist = npages ? (size_t) ((npages + ENTRIES_PER_LIST - 1) / ENTRIES_PER_LIST) : 1;

	b = tsim_calloc(med->m, 1, sizeof(*b));
	pas = tsim_calloc(med->m, nlist, sizeof(*pas));
	err = -ENOMEM;
	if (!b || !pas)
		goto err_free;
	b->cookie = p->u.tmem.shm_ref;
	b->npages = npages;
	b->owner = owner;
	err = tsim_med_alloc(med, mg, nlist, &b->list);
	if (err) {
		err = -ENOMEM;
		goto err_free;
	}
	for (size_t k = 0; k < nlist; k++)
		pas[k] = tsim_med_pa(med, &b->list, k);
	err = buf_add(med, mg, b);
	if (err)
		goto err_list;
	err = walk_list(mg, buf_ptr & ~(uint64_t) MED_PAGE_MASK, npages, b->list.host, pas);
	if (err) {
		tsim_med_buf_free(med, mg,
				  tsim_med_buf_unlink(med, mg, b->cookie, TSIM_MED_BUF_ANY));
		tsim_free(med->m, pas);
		return err;
	}
	pthread_mutex_lock(&med->lock);
	mg->st.translated_pages += npages;
	pthread_mutex_unlock(&med->lock);
	p->u.tmem.buf_ptr = pas[0] | offset;
	tsim_free(med->m, pas);
	if (out)
		*out = b;
	return 0;

err_list:
	tsim_med_release(med, mg, &b->list);
err_free:
	tsim_free(med->m, pas);
	tsim_free(med->m, b);
	return err;
}

/* ------------------------------------------------------------------------ */
/* RPC argument buffers */

struct tsim_med_rpc *tsim_med_rpc_find(struct teesim_mediator *med, struct tsim_med_guest *mg,
				       uint64_t cookie)
{
	struct tsim_med_rpc *rpc;

	pthread_mutex_lock(&med->lock);
	for (rpc = mg->rpcs; rpc && rpc->cookie != cookie; rpc = rpc->next)
		;
	pthread_mutex_unlock(&med->lock);
	return rpc;
}

struct tsim_med_rpc *tsim_med_rpc_new(struct teesim_mediator *med, struct tsim_med_guest *mg,
				      teesim_ipa_t ipa, uint64_t cookie)
{
	struct tsim_med_rpc *rpc = tsim_calloc(med->m, 1, sizeof(*rpc)), *o;

	if (!rpc)
		return NULL;
	if (tsim_med_alloc(med, mg, 1, &rpc->shadow))
		goto err_free;
	/* the guest's page must be its RAM (Xen takes a reference on it) */
	if (!tsim_med_guest_page(mg, ipa))
		goto err_shadow;
	rpc->ipa = ipa;
	rpc->cookie = cookie;
	pthread_mutex_lock(&med->lock);
	for (o = mg->rpcs; o && o->cookie != cookie; o = o->next)
		;
	if (!o) {
		rpc->next = mg->rpcs;
		mg->rpcs = rpc;
		mg->st.rpc_buffers++;
	}
	pthread_mutex_unlock(&med->lock);
	if (o)
		goto err_shadow; /* the same cookie twice */
	return rpc;

err_shadow:
	tsim_med_release(med, mg, &rpc->shadow);
err_free:
	tsim_free(med->m, rpc);
	return NULL;
}

void tsim_med_rpc_free(struct teesim_mediator *med, struct tsim_med_guest *mg, uint64_t cookie)
{
	struct tsim_med_rpc **pp, *rpc = NULL;

	pthread_mutex_lock(&med->lock);
	for (pp = &mg->rpcs; *pp; pp = &(*pp)->next) {
		if ((*pp)->cookie == cookie) {
			rpc = *pp;
			*pp = rpc->next;
			mg->st.rpc_buffers--;
			break;
		}
	}
	pthread_mutex_unlock(&med->lock);
	if (!rpc)
		return;
	tsim_med_release(med, mg, &rpc->shadow);
	tsim_free(med->m, rpc);
}
