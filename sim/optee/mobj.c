/* SPDX-License-Identifier: MIT */
/*
 * Page lists and memory objects. A page list is walked exactly as OP-TEE
 * does (msg_param_mobj_from_noncontig): 511 entries and a next pointer per
 * 4 KiB list page, the first-page offset in the low 12 bits of buf_ptr, the
 * page count derived from size + offset. Registered objects (mobj_reg_shm)
 * are found by the normal world's cookie and carry explicit references: one
 * for the registration, one per parameter or argument in flight.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sw_internal.h"

#define LIST_SLOTS (SW_PAGE / sizeof(uint64_t))

/* A run of list entries: every one a page-aligned page of RAM or of the
 * static pool (for an aligned entry the same as tsim_sw_is_ns(sw, pa,
 * SW_PAGE), since both regions are whole pages). Entries are checked by the
 * thousand, so the loop has no branch: the bits of every entry are gathered
 * and tested once at the end, which the compiler can vectorise and which a
 * fuzzer's coverage build can leave out by name (out of line for that:
 * fuzz/cov-ignore/pagelist.txt). A bad entry anywhere in the run refuses the
 * run, as the first bad entry did. */
__attribute__((noinline)) static bool ns_pages(const struct teesim_sw *sw, const teesim_pa_t *pa,
					       uint64_t n)
{
	const uint64_t rb = sw->ram_base, rs = sw->ram_size, sb = sw->shm_base, ss = sw->shm_size;
	uint64_t bits = 0;
	unsigned outside = 0;

	for (uint64_t i = 0; i < n; i++) {
		bits |= pa[i];
		outside |= (unsigned) (pa[i] - rb >= rs) & (unsigned) (pa[i] - sb >= ss);
	}
	return !(bits & SW_PAGE_MASK) && !outside;
}

uint32_t tsim_sw_pagelist(struct tsim_sw_thread *t, uint64_t buf_ptr, uint64_t size,
			  teesim_pa_t **scratch, uint64_t *cap, uint64_t *npages)
{
	struct teesim_sw *sw = t->sw;
	const uint64_t offset = buf_ptr & SW_PAGE_MASK;
	const uint64_t per = TEESIM_OPTEE_MSG_PAGELIST_ENTRIES_PER_PAGE;
	uint64_t list = buf_ptr & ~SW_PAGE_MASK, n, done = 0, listno = 0;
	teesim_pa_t *pages;

	if (size == 0 || size + offset < size)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	n = (size + offset - 1) / SW_PAGE + 1;
	if (n > sw->cfg.max_pagelist_pages)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (*cap < n) {
		pages = tsim_reallocarray(sw->m, *scratch, (size_t) n, sizeof(*pages));
		if (!pages)
			return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
		*scratch = pages;
		*cap = n;
	}
	pages = *scratch;
	while (done < n) {
		uint64_t k = n - done < per ? n - done : per;

		if (!tsim_sw_is_ns(sw, list, SW_PAGE) ||
		    tsim_sw_nw_read(t, TEESIM_SW_FIELD_PAGE_LIST, listno * LIST_SLOTS, list,
				    pages + done, k * sizeof(uint64_t)))
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		if (!ns_pages(sw, pages + done, k))
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		done += k;
		if (done < n) {
			uint64_t next;

			if (tsim_sw_nw_read(t, TEESIM_SW_FIELD_PAGE_LIST, listno * LIST_SLOTS + per,
					    list + per * sizeof(uint64_t), &next, sizeof(next)) ||
			    (next & SW_PAGE_MASK))
				return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
			list = next;
			listno++;
		}
	}
	*npages = n;
	return TEESIM_OPTEE_SUCCESS;
}

void tsim_sw_mem_from_mobj(struct tsim_sw_mem *mem, struct tsim_sw_mobj *mo, uint64_t off,
			   uint64_t size)
{
	memset(mem, 0, sizeof(*mem));
	mem->size = size;
	mem->mobj = mo;
	if (mo->pages) {
		mem->pages = mo->pages;
		mem->npages = mo->npages;
		mem->start = mo->page_offset + off;
	} else {
		mem->base = mo->base + off;
	}
}

int tsim_sw_mem_io(struct tsim_sw_thread *t, const struct tsim_sw_mem *mem,
		   enum teesim_sw_field field, uint64_t off, void *buf, size_t len, bool write)
{
	unsigned char *b = buf;
	uint64_t pos;
	int err;

	if (off + len < off || off + len > mem->size)
		return -EINVAL;
	if (mem->mobj && mem->mobj->stale)
		atomic_fetch_add_explicit(&t->sw->stale_accesses, 1, memory_order_relaxed);
	if (!mem->pages) {
		if (write)
			return tsim_sw_nw_write(t, mem->base + off, buf, len);
		return tsim_sw_nw_read(t, field, off, mem->base + off, buf, len);
	}
	pos = mem->start + off;
	while (len) {
		uint64_t idx = pos / SW_PAGE, in = pos & SW_PAGE_MASK;
		size_t chunk = SW_PAGE - in < len ? SW_PAGE - in : len;

		if (idx >= mem->npages)
			return -EINVAL;
		if (write)
			err = tsim_sw_nw_write(t, mem->pages[idx] + in, b, chunk);
		else
			err = tsim_sw_nw_read(t, field, off, mem->pages[idx] + in, b, chunk);
		if (err)
			return err;
		b += chunk;
		pos += chunk;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

/* ---- registered objects ---- */

struct tsim_sw_mobj *tsim_sw_mobj_get(struct teesim_sw *sw, uint64_t cookie)
{
	struct tsim_sw_mobj *mo;

	pthread_mutex_lock(&sw->lock);
	for (mo = sw->mobjs; mo; mo = mo->next)
		if (mo->cookie == cookie)
			break;
	/* an object being released takes no new users */
	if (mo && mo->releasing)
		mo = NULL;
	if (mo)
		mo->refs++;
	pthread_mutex_unlock(&sw->lock);
	return mo;
}

static void mobj_free(struct teesim_sw *sw, struct tsim_sw_mobj *mo)
{
	tsim_free(sw->m, mo->pages);
	tsim_free(sw->m, mo);
}

static void unlink_mobj(struct teesim_sw *sw, struct tsim_sw_mobj *mo)
{
	for (struct tsim_sw_mobj **pp = &sw->mobjs; *pp; pp = &(*pp)->next) {
		if (*pp == mo) {
			*pp = mo->next;
			mo->registered = false;
			sw->nmobjs--;
			return;
		}
	}
}

void tsim_sw_mobj_put(struct tsim_sw_thread *t, struct tsim_sw_mobj *mo)
{
	struct teesim_sw *sw = t->sw;
	uint32_t key = 0;
	bool last;

	pthread_mutex_lock(&sw->lock);
	last = --mo->refs == 0;
	/* the unregistering thread sleeps until only the registration is left */
	if (mo->releasing && mo->refs == 1 && mo->wait_key) {
		key = mo->wait_key;
		mo->wait_key = 0;
	}
	pthread_mutex_unlock(&sw->lock);
	if (last)
		mobj_free(sw, mo);
	if (key)
		tsim_sw_wq_wakeup(t, key);
}

uint32_t tsim_sw_register_shm(struct tsim_sw_thread *t, uint64_t buf_ptr, uint64_t size,
			      uint64_t cookie)
{
	struct teesim_sw *sw = t->sw;
	struct tsim_sw_mobj *mo;
	teesim_pa_t *scratch = NULL;
	uint64_t cap = 0, n = 0;
	uint32_t res;

	res = tsim_sw_pagelist(t, buf_ptr, size, &scratch, &cap, &n);
	if (res)
		goto out;
	res = TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
	mo = tsim_calloc(sw->m, 1, sizeof(*mo));
	if (!mo)
		goto out;
	mo->cookie = cookie;
	mo->pages = scratch;
	scratch = NULL;
	mo->npages = n;
	mo->page_offset = (uint32_t) (buf_ptr & SW_PAGE_MASK);
	/* today the object starts at the data; 3.x covered the whole pages */
	mo->size = n * SW_PAGE - (sw->cfg.gen == TEESIM_OPTEE_GEN_HEAD ? mo->page_offset : 0);
	mo->refs = 1;
	mo->registered = true;
	pthread_mutex_lock(&sw->lock);
	mo->next = sw->mobjs;
	sw->mobjs = mo;
	sw->nmobjs++;
	pthread_mutex_unlock(&sw->lock);
	res = TEESIM_OPTEE_SUCCESS;
out:
	tsim_free(sw->m, scratch);
	return res;
}

uint32_t tsim_sw_unregister_shm(struct tsim_sw_thread *t, uint64_t cookie)
{
	struct teesim_sw *sw = t->sw;
	struct tsim_sw_mobj *mo;
	uint32_t key;
	bool busy;

	pthread_mutex_lock(&sw->lock);
	for (mo = sw->mobjs; mo; mo = mo->next)
		if (mo->cookie == cookie)
			break;
	if (!mo || mo->releasing) {
		pthread_mutex_unlock(&sw->lock);
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	}
	busy = mo->refs > 1;
	if (busy && sw->cfg.unreg_mode == TEESIM_SW_UNREG_BUSY) {
		pthread_mutex_unlock(&sw->lock);
		return TEESIM_OPTEE_ERROR_BUSY;
	}
	if (busy && sw->cfg.unreg_mode == TEESIM_SW_UNREG_WAIT) {
		mo->releasing = true;
		key = mo->wait_key = sw->next_wait_key++;
		while (mo->refs > 1) {
			bool slept;

			pthread_mutex_unlock(&sw->lock);
			slept = tsim_sw_wq_sleep(t, key);
			pthread_mutex_lock(&sw->lock);
			if (!slept) /* teardown, or no way to the normal world */
				break;
		}
		mo->wait_key = 0;
	}
	/* 3.0: gone at once; users still holding it see stale memory */
	unlink_mobj(sw, mo);
	if (mo->refs > 1)
		mo->stale = true;
	busy = --mo->refs > 0;
	pthread_mutex_unlock(&sw->lock);
	if (!busy)
		mobj_free(sw, mo);
	return TEESIM_OPTEE_SUCCESS;
}

void tsim_sw_mobjs_fini(struct teesim_sw *sw)
{
	while (sw->mobjs) {
		struct tsim_sw_mobj *mo = sw->mobjs;

		sw->mobjs = mo->next;
		mobj_free(sw, mo);
	}
	sw->nmobjs = 0;
}
