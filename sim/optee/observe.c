/* SPDX-License-Identifier: MIT */
/* What tests can ask the secure world: sessions, objects, threads, requests, reads. */
#include <errno.h>
#include <string.h>

#include "sw_internal.h"

void teesim_sw_stats(struct teesim_sw *sw, struct teesim_sw_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&sw->lock);
	st->sessions = sw->nsessions;
	st->shm_objects = sw->nmobjs;
	st->rpc_shm_objects = sw->nrpc_shms;
	for (unsigned i = 0; i < sw->nthreads; i++) {
		const struct tsim_sw_thread *t = &sw->threads[i];

		st->threads_busy += t->state != TEESIM_SW_THREAD_FREE;
		st->threads_suspended += t->state == TEESIM_SW_THREAD_SUSPENDED;
		st->cached_rpc_args +=
		    t->state == TEESIM_SW_THREAD_FREE && t->rpc_arg_valid && !t->rpc_arg_from_call;
	}
	pthread_mutex_unlock(&sw->lock);
	st->std_calls = atomic_load(&sw->std_calls);
	st->fast_calls = atomic_load(&sw->fast_calls);
	st->rpcs = atomic_load(&sw->rpcs);
	st->rejected = atomic_load(&sw->rejected);
	st->stale_accesses = atomic_load(&sw->stale_accesses);
}

size_t teesim_sw_sessions(struct teesim_sw *sw, struct teesim_sw_session_info *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&sw->lock);
	for (const struct tsim_sw_session *s = sw->sessions; s; s = s->next, n++) {
		if (n >= max)
			continue;
		out[n].id = s->id;
		out[n].uuid = s->ta->uuid;
		out[n].client = s->client;
		out[n].login = s->login;
		out[n].dead = s->dead;
		out[n].calls = s->calls;
		out[n].instance = s->instance;
	}
	pthread_mutex_unlock(&sw->lock);
	return n;
}

size_t teesim_sw_shm_objects(struct teesim_sw *sw, struct teesim_sw_shm_info *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&sw->lock);
	for (const struct tsim_sw_mobj *mo = sw->mobjs; mo; mo = mo->next, n++) {
		if (n >= max)
			continue;
		out[n].cookie = mo->cookie;
		out[n].size = mo->size;
		out[n].page_offset = mo->page_offset;
		out[n].npages = mo->npages;
		out[n].refcount = mo->refs;
		out[n].releasing = mo->releasing;
	}
	pthread_mutex_unlock(&sw->lock);
	return n;
}

long teesim_sw_shm_pages(struct teesim_sw *sw, uint64_t cookie, teesim_pa_t *pas, size_t max)
{
	long n = -ENOENT;

	pthread_mutex_lock(&sw->lock);
	for (const struct tsim_sw_mobj *mo = sw->mobjs; mo; mo = mo->next) {
		if (mo->cookie != cookie)
			continue;
		if (mo->npages && max)
			memcpy(pas, mo->pages,
			       (size_t) (mo->npages < max ? mo->npages : max) * sizeof(*pas));
		n = (long) mo->npages;
		break;
	}
	pthread_mutex_unlock(&sw->lock);
	return n;
}

int teesim_sw_thread_state(struct teesim_sw *sw, unsigned id)
{
	int st;

	if (id >= sw->nthreads)
		return -EINVAL;
	pthread_mutex_lock(&sw->lock);
	st = (int) sw->threads[id].state;
	pthread_mutex_unlock(&sw->lock);
	return st;
}

int teesim_sw_last_request(struct teesim_sw *sw, struct teesim_sw_request *req)
{
	int err = -ENOENT;

	pthread_mutex_lock(&sw->lock);
	if (sw->have_last) {
		*req = sw->last;
		err = 0;
	}
	pthread_mutex_unlock(&sw->lock);
	return err;
}

void teesim_sw_set_request_hook(struct teesim_sw *sw, teesim_sw_request_fn fn, void *ctx)
{
	sw->req_fn = fn;
	sw->req_ctx = ctx;
}

void teesim_sw_count_reads(struct teesim_sw *sw, bool on)
{
	atomic_store(&sw->count_reads, on);
}

unsigned teesim_sw_reads(struct teesim_sw *sw, enum teesim_sw_field field, uint64_t offset)
{
	unsigned v = 0;

	pthread_mutex_lock(&sw->lock);
	if (!sw->have_last_reads)
		v = 0; /* nothing counted yet */
	else if (field == TEESIM_SW_FIELD_ARG && offset / 4 < SW_READS_ARG)
		v = sw->last_reads->arg[offset / 4];
	else if (field == TEESIM_SW_FIELD_RPC_ARG && offset / 4 < SW_READS_RPC)
		v = sw->last_reads->rpc[offset / 4];
	else if (field == TEESIM_SW_FIELD_PAGE_LIST && offset < SW_READS_LIST)
		v = sw->last_reads->list[offset];
	pthread_mutex_unlock(&sw->lock);
	return v;
}
