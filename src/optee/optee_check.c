/* SPDX-License-Identifier: MIT */
/*
 * The OP-TEE driver's part of the invariant checker (see
 * docs/invariants.md): its call queue, supplicant queue, argument cache and
 * RPC buffers, and its registered shms against what the layer below (the
 * mediator for its guest, else the secure world) has registered. It also
 * answers the tee core's questions: references the driver holds on a shm,
 * and the id-less shms it keeps on a device.
 */
#include <inttypes.h>
#include <string.h>

#include "core/tee_private.h"
#include "optee/optee_private.h"

#define DRV_FMT "optee (guest %u)"

static unsigned guest_id(const struct optee *optee)
{
	return teesim_guest_id(optee->g);
}

static unsigned list_len_supp(const struct optee_supp_req *r)
{
	unsigned n = 0;

	for (; r; r = r->next)
		n++;
	return n;
}

static void check_queues(struct optee *optee, struct tsim_check *c)
{
	unsigned active, waiting, listed = 0, queued, handed, sleepers = 0;
	uint32_t first_func = 0;
	int req_id;

	pthread_mutex_lock(&optee->cq.mutex);
	active = optee->cq.active;
	waiting = optee->cq.waiting;
	for (const struct optee_call_waiter *w = optee->cq.head; w; w = w->next)
		listed++;
	pthread_mutex_unlock(&optee->cq.mutex);
	/* every caller in flight is listed, waiting for a secure thread or not */
	if (listed != active || waiting > active)
		tsim_check_report(c,
				  DRV_FMT ": call queue counts %u callers (%u waiting), %u listed",
				  guest_id(optee), active, waiting, listed);
	if ((c->flags & TEESIM_CHECK_IDLE) && (active || waiting))
		tsim_check_report(c,
				  DRV_FMT ": %u calls in flight, %u callers waiting for a secure "
					  "thread",
				  guest_id(optee), active, waiting);

	pthread_mutex_lock(&optee->supp.mutex);
	queued = list_len_supp(optee->supp.queue);
	handed = list_len_supp(optee->supp.handed);
	if (optee->supp.queue)
		first_func = optee->supp.queue->func;
	else if (optee->supp.handed)
		first_func = optee->supp.handed->func;
	req_id = optee->supp.req_id;
	pthread_mutex_unlock(&optee->supp.mutex);
	if ((c->flags & TEESIM_CHECK_IDLE) && (queued || handed))
		tsim_check_report(c,
				  DRV_FMT
				  ": supplicant: %u requests queued, %u being served (first "
				  "func %" PRIu32 ")",
				  guest_id(optee), queued, handed, first_func);
	pthread_mutex_lock(&optee->wq_mutex);
	for (const struct optee_wq_entry *w = optee->wq; w; w = w->next)
		if (!w->completed)
			sleepers++;
	pthread_mutex_unlock(&optee->wq_mutex);
	if ((c->flags & TEESIM_CHECK_IDLE) && sleepers)
		tsim_check_report(c, DRV_FMT ": wait queue: %u keys with a caller asleep",
				  guest_id(optee), sleepers);
	if ((c->flags & TEESIM_CHECK_IDLE) && req_id >= 0 && !handed)
		tsim_check_report(c, DRV_FMT ": supplicant: request id %d outstanding, none served",
				  guest_id(optee), req_id);
}

static void check_caches(struct optee *optee, struct tsim_check *c)
{
	unsigned entries = 0, in_use = 0, bad = 0;
	uint64_t rpc = 0, kernel = 0, appl = 0, arg = 0;
	unsigned arg_entries, arg_in_use;
	uint64_t nrpc;

	pthread_mutex_lock(&optee->lock);
	for (const struct optee_arg_entry *e = optee->arg_cache; e; e = e->next) {
		entries++;
		if (e->in_use)
			in_use++;
		if (!e->shm)
			bad++;
	}
	for (const struct optee_rpc_shm *e = optee->rpc_shms; e; e = e->next) {
		rpc++;
		if (!e->shm || e->shm->cookie != e->cookie)
			bad++;
		else if (e->kind == OPTEE_RPC_SHM_KERNEL)
			kernel++;
		else if (e->kind == OPTEE_RPC_SHM_APPL)
			appl++;
		else
			arg++;
	}
	arg_entries = optee->arg_entries;
	arg_in_use = optee->arg_in_use;
	nrpc = optee->nrpc_shms;
	pthread_mutex_unlock(&optee->lock);

	if (entries != arg_entries || in_use != arg_in_use)
		tsim_check_report(c,
				  DRV_FMT
				  ": argument cache counts %u entries (%u in use), %u listed "
				  "(%u in use)",
				  guest_id(optee), arg_entries, arg_in_use, entries, in_use);
	if (rpc != nrpc)
		tsim_check_report(c,
				  DRV_FMT ": %" PRIu64 " RPC buffers counted, %" PRIu64 " listed",
				  guest_id(optee), nrpc, rpc);
	if (bad)
		tsim_check_report(c,
				  DRV_FMT ": %u cache or RPC entries name no shm or a wrong cookie",
				  guest_id(optee), bad);
	if (c->flags & TEESIM_CHECK_IDLE) {
		if (in_use)
			tsim_check_report(
			    c, DRV_FMT ": %u cached arguments in use with nothing in flight",
			    guest_id(optee), in_use);
		if (kernel || appl)
			tsim_check_report(c,
					  DRV_FMT ": RPC-allocated shm not freed: %" PRIu64
						  " kernel, %" PRIu64 " supplicant buffers",
					  guest_id(optee), kernel, appl);
		if (atomic_load(&optee->small_pl_busy))
			tsim_check_report(c, DRV_FMT ": registration page list busy",
					  guest_id(optee));
	}
	(void) arg; /* RPC_ALLOC arguments the secure world caches are the stack's own */
}

/*
 * Whether the layer below the driver has each of @n cookies registered for
 * its guest: the mediator when it mediates the guest, else the secure world.
 */
static void below_has(struct optee *optee, struct tsim_check *c, const uint64_t *cookies,
		      unsigned n, int8_t *ans)
{
	tsim_check_cookies(c, TSIM_CHECK_MEDIATOR, optee->g, cookies, n, ans);
	if (n && ans[0] < 0) /* no mediator answers for the guest */
		tsim_check_cookies(c, TSIM_CHECK_SW, optee->g, cookies, n, ans);
}

/* Report the shms of a batch the layer below does not know. */
static void report_unknown(struct optee *optee, struct tsim_check *c, const int *ids,
			   const uint64_t *cookies, unsigned n)
{
	int8_t ans[TSIM_CHECK_BATCH];

	below_has(optee, c, cookies, n, ans);
	for (unsigned i = 0; i < n; i++)
		if (ans[i] == 0)
			tsim_check_report(c,
					  DRV_FMT ": shm id %d cookie 0x%" PRIx64
						  ": registered by the driver, unknown to the "
						  "secure world",
					  guest_id(optee), ids[i], cookies[i]);
}

/*
 * A shm the driver registered with REGISTER_SHM: any registered shm of the
 * client device; on the supplicant device (whose register op sends nothing)
 * only the page pool's buffers, which the pool registers itself.
 */
static bool driver_registered(struct optee *optee, struct tee_device *d, const struct tee_shm *shm)
{
	if (!(shm->flags & TEE_SHM_REGISTER))
		return false;
	return d == optee->teedev || (shm->flags & TEE_SHM_POOL);
}

/*
 * Registered shms on both devices, each known below; their count against the
 * counter. The supplicant's SHM_ALLOC buffers from the page pool are
 * registered too (the pool registers every user buffer, whatever the device).
 */
static void check_registered(struct optee *optee, struct tsim_check *c)
{
	struct tee_device *devs[2] = {optee->teedev, optee->supp_teedev};
	uint64_t found = 0, counted;

	for (int k = 0; k < 2; k++) {
		struct tee_device *d = devs[k];
		uint64_t cookies[TSIM_CHECK_BATCH];
		int ids[TSIM_CHECK_BATCH];
		unsigned n = 0;

		for (int id = 0; d; id++) {
			struct tee_shm *shm;
			uint64_t cookie = 0;
			bool reg = false;

			pthread_mutex_lock(&d->mutex);
			shm = tee_idr_get_next(&d->idr, &id);
			if (shm && shm->teedev == d &&
			    shm->id == id) { /* else the core reports it */
				reg = driver_registered(optee, d, shm);
				cookie = shm->cookie;
			}
			pthread_mutex_unlock(&d->mutex);
			if (!shm)
				break;
			if (!reg)
				continue;
			found++;
			ids[n] = id;
			cookies[n++] = cookie;
			if (n == TSIM_CHECK_BATCH) {
				report_unknown(optee, c, ids, cookies, n);
				n = 0;
			}
		}
		if (n)
			report_unknown(optee, c, ids, cookies, n);
	}
	pthread_mutex_lock(&optee->lock);
	counted = optee->registered;
	pthread_mutex_unlock(&optee->lock);
	if ((c->flags & TEESIM_CHECK_IDLE) ? counted != found : counted < found)
		tsim_check_report(c,
				  DRV_FMT ": %" PRIu64 " registrations counted, %" PRIu64
					  " registered shms found",
				  guest_id(optee), counted, found);
}

static void optee_check(void *obj, struct tsim_check *c)
{
	struct optee *optee = obj;

	check_queues(optee, c);
	check_caches(optee, c);
	check_registered(optee, c);
}

/* References the driver holds on @shm: supplicant buffers it looked up by id. */
static unsigned optee_shm_refs(void *obj, const void *shm)
{
	struct optee *optee = obj;
	unsigned n = 0;

	pthread_mutex_lock(&optee->lock);
	for (const struct optee_rpc_shm *e = optee->rpc_shms; e; e = e->next)
		if (e->shm == shm && e->kind == OPTEE_RPC_SHM_APPL)
			n++;
	pthread_mutex_unlock(&optee->lock);
	return n;
}

/* Shms without an id the driver keeps on @teedev: cached arguments, RPC kernel buffers. */
static unsigned optee_dev_shms(void *obj, const void *teedev)
{
	struct optee *optee = obj;
	unsigned n = 0;

	pthread_mutex_lock(&optee->lock);
	for (const struct optee_arg_entry *e = optee->arg_cache; e; e = e->next)
		if (e->shm && e->shm->teedev == teedev)
			n++;
	for (const struct optee_rpc_shm *e = optee->rpc_shms; e; e = e->next)
		if (e->shm && e->kind != OPTEE_RPC_SHM_APPL && e->shm->teedev == teedev)
			n++;
	pthread_mutex_unlock(&optee->lock);
	return n;
}

/*
 * For the mediator's and the secure world's reverse check: which of @n
 * cookies name a shm the driver registered (guest @g, NULL: any). One walk
 * of both id tables per batch.
 */
static bool optee_has_cookies(void *obj, struct teesim_guest *g, const uint64_t *cookies,
			      unsigned n, int8_t *ans)
{
	struct optee *optee = obj;
	struct tee_device *devs[2] = {optee->teedev, optee->supp_teedev};

	if (g && g != optee->g)
		return false;
	memset(ans, 0, n);
	/* both devices: the page pool registers the supplicant's buffers too */
	for (int k = 0; k < 2; k++) {
		struct tee_device *d = devs[k];
		struct tee_shm *shm;
		int id = 0;

		if (!d)
			continue;
		pthread_mutex_lock(&d->mutex);
		for (; (shm = tee_idr_get_next(&d->idr, &id)); id++) {
			if (shm->teedev != d || shm->id != id || !driver_registered(optee, d, shm))
				continue;
			for (unsigned i = 0; i < n; i++)
				if (shm->cookie == cookies[i])
					ans[i] = 1;
		}
		pthread_mutex_unlock(&d->mutex);
	}
	return true;
}

/* Kernel pages of the page pool behind @shm (0 for the carve-out). */
static int64_t pool_pages(struct optee *optee, const struct tee_shm *shm)
{
	return optee_shm_is_pages(optee, shm) ? (int64_t) (shm->size / TEESIM_PAGE_SIZE) : 0;
}

/* Page-pool pages of the shms with an id on @d. */
static int64_t id_pool_pages(struct optee *optee, struct tee_device *d)
{
	int64_t n = 0;

	for (int id = 0;; id++) {
		struct tee_shm *shm;

		pthread_mutex_lock(&d->mutex);
		shm = tee_idr_get_next(&d->idr, &id);
		if (shm && shm->teedev == d && shm->id == id)
			n += pool_pages(optee, shm);
		pthread_mutex_unlock(&d->mutex);
		if (!shm)
			break;
	}
	return n;
}

/*
 * Kernel pages of the driver's guest it holds: the kept registration list,
 * and the page-pool buffers of every shm with an id, of the argument cache
 * and of the RPC table.
 */
static int64_t optee_kernel_pages(void *obj, const struct teesim_guest *g)
{
	struct optee *optee = obj;
	int64_t n;

	if (g != optee->g)
		return -1;
	n = id_pool_pages(optee, optee->teedev) + id_pool_pages(optee, optee->supp_teedev);
	pthread_mutex_lock(&optee->lock);
	n += (int64_t) optee->small_pl.npages;
	for (const struct optee_arg_entry *e = optee->arg_cache; e; e = e->next)
		if (e->shm)
			n += pool_pages(optee, e->shm);
	for (const struct optee_rpc_shm *e = optee->rpc_shms; e; e = e->next)
		if (e->shm && e->kind != OPTEE_RPC_SHM_APPL)
			n += pool_pages(optee, e->shm);
	pthread_mutex_unlock(&optee->lock);
	return n;
}

void optee_check_register(struct optee *optee)
{
	optee->check_node = (struct tsim_check_node){
	    .kind = TSIM_CHECK_OPTEE,
	    .obj = optee,
	    .check = optee_check,
	    .shm_refs = optee_shm_refs,
	    .dev_shms = optee_dev_shms,
	    .has_cookies = optee_has_cookies,
	    .kernel_pages = optee_kernel_pages,
	};
	tsim_check_register(optee->m, &optee->check_node);
}

void optee_check_unregister(struct optee *optee)
{
	tsim_check_unregister(optee->m, &optee->check_node);
}
