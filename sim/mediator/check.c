/* SPDX-License-Identifier: MIT */
/*
 * The mediator's part of the invariant checker (see docs/invariants.md):
 * per guest, its call contexts, shadowed buffers and counters, and each
 * registered buffer against the secure world (by the secure world's
 * cookie) and against the guest's driver (by the guest's cookie) when that
 * driver runs on the same machine. Cookies are copied in small batches
 * under the lock and asked about with no lock held; nothing is allocated.
 */
#include <inttypes.h>
#include <string.h>

#include "../internal.h"
#include "med_internal.h"

#define BATCH TSIM_CHECK_BATCH

/* The @k-th guest context, or NULL; its counters checked under the lock. */
static struct tsim_med_guest *guest_at(struct teesim_mediator *med, size_t k, struct tsim_check *c,
				       uint64_t *shadow_total)
{
	struct tsim_med_guest *mg;
	uint64_t bufs = 0, regd = 0, rpcs = 0, calls = 0, temp = 0, pages = 0, shadow = 0;
	unsigned gid;

	pthread_mutex_lock(&med->lock);
	for (mg = med->guests; mg && k; mg = mg->next)
		k--;
	if (!mg) {
		pthread_mutex_unlock(&med->lock);
		return NULL;
	}
	gid = teesim_guest_id(mg->g);
	for (const struct tsim_med_buf *b = mg->bufs; b; b = b->next) {
		bufs++;
		pages += b->npages;
		if (b->registered)
			regd++;
		if (b->owner)
			temp++;
	}
	for (const struct tsim_med_buf *b = mg->bufs; b; b = b->next)
		shadow += b->list.n;
	for (const struct tsim_med_rpc *r = mg->rpcs; r; r = r->next) {
		rpcs++;
		shadow += r->shadow.n;
	}
	for (const struct tsim_med_call *cl = mg->calls; cl; cl = cl->next) {
		calls++;
		shadow += cl->arg.n;
	}
	if (shadow != mg->st.shadow_pages)
		tsim_check_report(c,
				  "mediator: guest %u: %" PRIu64 " shadow pages counted, %" PRIu64
				  " held by its calls, RPC buffers and page lists",
				  gid, mg->st.shadow_pages, shadow);
	*shadow_total += mg->st.shadow_pages;
	if (bufs != mg->st.buffers || regd != mg->st.registered || rpcs != mg->st.rpc_buffers ||
	    calls != mg->st.calls || calls != mg->ncalls || pages != mg->st.buffer_pages)
		tsim_check_report(c,
				  "mediator: guest %u: counted buffers %" PRIu64
				  " (registered %" PRIu64 ", %" PRIu64 " pages), rpc %" PRIu64
				  ", calls %" PRIu64 "; found %" PRIu64 " (%" PRIu64 ", %" PRIu64
				  " pages), %" PRIu64 ", %" PRIu64,
				  gid, mg->st.buffers, mg->st.registered, mg->st.buffer_pages,
				  mg->st.rpc_buffers, mg->st.calls, bufs, regd, pages, rpcs, calls);
	if (mg->nsessions != mg->st.sessions)
		tsim_check_report(c, "mediator: guest %u: %" PRIu64 " sessions counted, %zu listed",
				  gid, mg->st.sessions, mg->nsessions);
	if (c->flags & TEESIM_CHECK_IDLE) {
		if (calls)
			tsim_check_report(c,
					  "mediator: guest %u: %" PRIu64
					  " call contexts alive with nothing in flight",
					  gid, calls);
		if (temp)
			tsim_check_report(
			    c, "mediator: guest %u: %" PRIu64 " temporary buffers of calls left",
			    gid, temp);
	}
	if (c->flags & TEESIM_CHECK_EMPTY) {
		if (bufs)
			tsim_check_report(c,
					  "mediator: guest %u: %" PRIu64 " shared buffers (%" PRIu64
					  " registered) left at teardown",
					  gid, bufs, regd);
		if (mg->nsessions)
			tsim_check_report(c, "mediator: guest %u: %zu sessions left at teardown",
					  gid, mg->nsessions);
	}
	pthread_mutex_unlock(&med->lock);
	return mg;
}

/* Copy up to BATCH registered buffers of @mg from position @pos. */
static unsigned buf_batch(struct teesim_mediator *med, struct tsim_med_guest *mg, uint64_t pos,
			  uint64_t *cookie, uint64_t *sw_cookie)
{
	const struct tsim_med_buf *b;
	unsigned n = 0;

	pthread_mutex_lock(&med->lock);
	for (b = mg->bufs; b && pos; b = b->next)
		pos--;
	for (; b && n < BATCH; b = b->next, n++) {
		cookie[n] = b->cookie;
		sw_cookie[n] = b->registered ? b->sw_cookie : 0;
	}
	pthread_mutex_unlock(&med->lock);
	return n;
}

/* Mediator memory: every page in use is a guest's shadow or quarantined. */
static void check_memory(struct teesim_mediator *med, struct tsim_check *c)
{
	uint64_t orphans = 0, shadow = 0;

	pthread_mutex_lock(&med->lock);
	for (const struct tsim_med_orphan *o = med->orphans; o; o = o->next)
		orphans += o->mem.n;
	for (const struct tsim_med_guest *mg = med->guests; mg; mg = mg->next)
		shadow += mg->st.shadow_pages;
	if (orphans != med->quarantined || med->pool_used != shadow + orphans)
		tsim_check_report(c,
				  "mediator: %" PRIu64 " pages in use (%" PRIu64
				  " quarantined), guests' shadows %" PRIu64
				  " + quarantine %" PRIu64,
				  med->pool_used, med->quarantined, shadow, orphans);
	pthread_mutex_unlock(&med->lock);
}

static int64_t med_kernel_pages(void *obj, const struct teesim_guest *g)
{
	struct teesim_mediator *med = obj;
	int64_t n = -1;

	if (g != med->hyp)
		return -1;
	pthread_mutex_lock(&med->lock);
	n = (int64_t) med->pool_used;
	pthread_mutex_unlock(&med->lock);
	return n;
}

/* Sessions of every guest against the secure world's and the drivers' (IDLE). */
static void check_sessions(struct teesim_mediator *med, struct tsim_check *c)
{
	uint64_t n = 0;

	pthread_mutex_lock(&med->lock);
	for (const struct tsim_med_guest *mg = med->guests; mg; mg = mg->next)
		n += mg->nsessions;
	pthread_mutex_unlock(&med->lock);
	if (!(c->flags & TEESIM_CHECK_IDLE))
		return;
	if (c->sw_sessions_known && c->sw_sessions != n)
		tsim_check_report(c,
				  "mediator: guests hold %" PRIu64
				  " sessions, the secure world lists %" PRIu64,
				  n, c->sw_sessions);
	if (c->nw_sessions_known && tsim_check_has(c, TSIM_CHECK_OPTEE) && c->nw_sessions != n)
		tsim_check_report(
		    c, "mediator: guests hold %" PRIu64 " sessions, their drivers %" PRIu64, n,
		    c->nw_sessions);
}

static void med_check(void *obj, struct tsim_check *c)
{
	struct teesim_mediator *med = obj;
	struct tsim_med_guest *mg;
	uint64_t cookie[BATCH], sw_cookie[BATCH], shadow = 0;

	check_sessions(med, c);
	check_memory(med, c);
	for (size_t k = 0; (mg = guest_at(med, k, c, &shadow)); k++) {
		unsigned gid = teesim_guest_id(mg->g), n;

		for (uint64_t pos = 0; (n = buf_batch(med, mg, pos, cookie, sw_cookie)) > 0;
		     pos += n) {
			int8_t in_sw[BATCH], in_drv[BATCH];

			tsim_check_cookies(c, TSIM_CHECK_SW, NULL, sw_cookie, n, in_sw);
			tsim_check_cookies(c, TSIM_CHECK_OPTEE, mg->g, cookie, n, in_drv);
			for (unsigned i = 0; i < n; i++) {
				if (!sw_cookie[i])
					continue; /* not registered */
				if (!in_sw[i])
					tsim_check_report(
					    c,
					    "mediator: guest %u: buffer cookie 0x%" PRIx64
					    " registered as 0x%" PRIx64
					    ", unknown to the secure world",
					    gid, cookie[i], sw_cookie[i]);
				if (!in_drv[i])
					tsim_check_report(
					    c,
					    "mediator: guest %u: buffer cookie 0x%" PRIx64
					    " registered, the guest's driver has no such "
					    "shm",
					    gid, cookie[i]);
			}
			if (n < BATCH)
				break;
		}
	}
}

/*
 * Which of @n cookies name a registered buffer: of guest @g by the guest's
 * cookie, or (NULL @g) of any guest by the secure world's cookie.
 */
static bool med_has_cookies(void *obj, struct teesim_guest *g, const uint64_t *cookies, unsigned n,
			    int8_t *ans)
{
	struct teesim_mediator *med = obj;
	bool concerned = !g;

	memset(ans, 0, n);
	pthread_mutex_lock(&med->lock);
	for (const struct tsim_med_guest *mg = med->guests; mg; mg = mg->next) {
		if (g && mg->g != g)
			continue;
		concerned = true;
		for (const struct tsim_med_buf *b = mg->bufs; b; b = b->next)
			for (unsigned i = 0; b->registered && i < n; i++)
				if ((g ? b->cookie : b->sw_cookie) == cookies[i])
					ans[i] = 1;
	}
	pthread_mutex_unlock(&med->lock);
	return concerned;
}

void tsim_med_check_register(struct teesim_mediator *med)
{
	med->check_node = (struct tsim_check_node){
	    .kind = TSIM_CHECK_MEDIATOR,
	    .obj = med,
	    .check = med_check,
	    .has_cookies = med_has_cookies,
	    .kernel_pages = med_kernel_pages,
	};
	tsim_check_register(med->m, &med->check_node);
}

void tsim_med_check_unregister(struct teesim_mediator *med)
{
	tsim_check_unregister(med->m, &med->check_node);
}
