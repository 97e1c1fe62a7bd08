/* SPDX-License-Identifier: MIT */
/*
 * The tee core's part of the invariant checker (see docs/invariants.md).
 *
 * Nothing in the core lists every context and shm, so the check finds them
 * where they are held: the fd tables and device mappings of every process,
 * and every device's id table. Counts found are kept in marks on the
 * objects themselves (check_gen and counters), so no memory is allocated.
 * Then each reference count is compared with its holders: fds, mappings,
 * the references the drivers report (tsim_check_shm_refs and friends), and
 * with TEESIM_CHECK_IDLE nothing else (no ioctl in flight).
 *
 * Locks are taken one at a time (the machine's, an fd table's, a device's),
 * never nested across layers: the caller guarantees no call is in flight,
 * so the objects found stay alive between two locks.
 */
#include <inttypes.h>

#include "tee_private.h"

#define CTX_FMT "%s: ctx %p"

static bool idle(const struct tsim_check *c)
{
	return (c->flags & TEESIM_CHECK_IDLE) != 0;
}

static void shm_mark(struct tsim_check *c, struct tee_shm *shm)
{
	if (shm->check_gen != c->gen) {
		shm->check_gen = c->gen;
		shm->check_fds = 0;
		shm->check_maps = 0;
	}
}

static void ctx_mark(struct tsim_check *c, struct tee_context *ctx)
{
	struct tee_device *d = ctx->teedev;

	if (ctx->check_gen == c->gen)
		return;
	ctx->check_gen = c->gen;
	ctx->check_fds = 0;
	ctx->check_shms = 0;
	if (d && d->check_gen == c->gen)
		d->check_ctxs++;
}

/* The @k-th process of the machine with its fd table; NULL past the end. Marks its mappings. */
static struct teesim_process *process_at(struct tsim_check *c, size_t k, struct tee_fdtable **t,
					 bool mark_maps)
{
	struct teesim_machine *m = c->m;
	struct teesim_process *p;

	pthread_mutex_lock(&m->lock);
	for (p = m->processes; p && k; p = p->next)
		k--;
	if (p) {
		*t = atomic_load_explicit(&p->tee_files, memory_order_acquire);
		for (size_t i = 0; mark_maps && i < p->ndevmaps; i++) {
			struct tee_shm *shm =
			    p->devmaps[i].cookie; /* every devmap is a tee shm's */

			shm_mark(c, shm);
			shm->check_maps++;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return p;
}

/* Phase 1: fds and mappings of every process. */
static void mark_holders(struct tsim_check *c, struct tee_core *core)
{
	struct teesim_process *p;
	struct tee_fdtable *t;
	uint64_t files = 0;

	for (size_t k = 0; (p = process_at(c, k, &t, true)); k++) {
		if (!t)
			continue;
		pthread_mutex_lock(&t->lock);
		for (size_t i = 0; i < t->cap; i++) {
			struct tee_file *f = t->files[i];

			if (!f)
				continue;
			files++;
			if (idle(c) && atomic_load(&f->count) != 1)
				tsim_check_report(c,
						  "process %u: fd %zu: file count %u, expected 1 "
						  "(nothing in flight)",
						  p->id, i + TEE_FD_FIRST, atomic_load(&f->count));
			if (f->kind == TEESIM_TEE_FD_DEVICE && f->ctx) {
				ctx_mark(c, f->ctx);
				f->ctx->check_fds++;
			} else if (f->kind == TEESIM_TEE_FD_SHM && f->shm) {
				shm_mark(c, f->shm);
				f->shm->check_fds++;
			} else {
				tsim_check_report(
				    c, "process %u: fd %zu: file of kind %d names nothing", p->id,
				    i + TEE_FD_FIRST, (int) f->kind);
			}
		}
		if (t->core != core)
			tsim_check_report(c, "process %u: fd table of another machine's core",
					  p->id);
		pthread_mutex_unlock(&t->lock);
	}
	if (files != (uint64_t) atomic_load(&core->nfiles))
		tsim_check_report(c, "tee core: %" PRId64 " files counted, %" PRIu64 " open found",
				  (int64_t) atomic_load(&core->nfiles), files);
}

/* What one id entry held, read under the device's mutex. */
struct id_snap {
	struct tee_shm *shm;
	int shm_id;
	struct tee_device *teedev;
	struct tee_context *ctx;
	uint32_t refs, fds, maps, flags;
	size_t num_pages;
	const teesim_ipa_t *pages;
	struct teesim_guest *pin_guest;
	uint64_t cookie;
};

/* The next published id >= *@id of @d (its context marked when @mark); false when none. */
static bool id_next(struct tsim_check *c, struct tee_device *d, int *id, struct id_snap *s,
		    bool mark)
{
	struct tee_shm *shm;

	pthread_mutex_lock(&d->mutex);
	shm = tee_idr_get_next(&d->idr, id);
	if (shm) {
		shm_mark(c, shm);
		s->shm = shm;
		s->shm_id = shm->id;
		s->teedev = shm->teedev;
		s->ctx = shm->ctx;
		s->refs = tee_refcount_read(&shm->refcount);
		s->fds = shm->check_fds;
		s->maps = shm->check_maps;
		s->flags = shm->flags;
		s->num_pages = shm->num_pages;
		s->pages = shm->pages;
		s->pin_guest = shm->pin_guest;
		s->cookie = shm->cookie;
		if (mark && s->ctx && s->teedev == d && s->shm_id == *id) {
			ctx_mark(c, s->ctx);
			s->ctx->check_shms++;
		}
	}
	pthread_mutex_unlock(&d->mutex);
	return shm != NULL;
}

/* Pages of a registered shm that hold no pin in the machine. */
static size_t unpinned_pages(struct tsim_check *c, const struct id_snap *s)
{
	struct teesim_machine *m = c->m;
	struct teesim_guest *g = s->pin_guest;
	size_t bad = 0;

	if (!g || !s->pages)
		return s->num_pages;
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < s->num_pages; i++) {
		uint64_t idx = (s->pages[i] - g->ipa_base) / TSIM_PAGE;

		if (s->pages[i] < g->ipa_base || idx >= g->npages || !g->pages[idx].pins)
			bad++;
	}
	pthread_mutex_unlock(&m->lock);
	return bad;
}

/* Phase 2: every id of every device; returns the pages pinned by registered shms found. */
static void check_ids(struct tsim_check *c, struct tee_device *d, uint64_t *pinned,
		      uint32_t *published, uint32_t *dangling)
{
	struct id_snap s;
	int id = 0;

	for (; id >= 0 && id_next(c, d, &id, &s, true); id++) {
		unsigned drv;

		if (s.shm_id != id || s.teedev != d) {
			tsim_check_report(c,
					  "%s: id %d names a shm of id %d on %s (dangling id table "
					  "entry)",
					  d->name, id, s.shm_id,
					  s.teedev == d ? "this device" : "another device");
			(*dangling)++;
			continue;
		}
		(*published)++;
		if (!s.refs) {
			tsim_check_report(c, "%s: shm id %d: refcount 0 but still in the id table",
					  d->name, id);
			continue;
		}
		if (!s.ctx) {
			tsim_check_report(c, "%s: shm id %d: no context", d->name, id);
		} else if (s.ctx->teedev != d) {
			tsim_check_report(c,
					  "%s: shm id %d: its context %p belongs to another device",
					  d->name, id, (void *) s.ctx);
		} else if (!tee_kref_read(&s.ctx->refcount) || atomic_load(&s.ctx->releasing)) {
			tsim_check_report(c, "%s: shm id %d: its context %p is released", d->name,
					  id, (void *) s.ctx);
		}
		drv = tsim_check_shm_refs(c, s.shm);
		if (idle(c) ? s.refs != s.fds + s.maps + drv : s.refs < s.fds + s.maps + drv)
			tsim_check_report(
			    c,
			    "%s: shm id %d (ctx %p): refcount %u, holders found %u (fd %u, "
			    "mmaps %u, driver %u)",
			    d->name, id, (void *) s.ctx, s.refs, s.fds + s.maps + drv, s.fds,
			    s.maps, drv);
		if (s.flags & TEE_SHM_USER_MAPPED) {
			size_t bad = unpinned_pages(c, &s);

			*pinned += s.num_pages;
			if (bad)
				tsim_check_report(
				    c,
				    "%s: shm id %d: %zu of its %zu pinned pages hold no "
				    "pin in the machine",
				    d->name, id, bad, s.num_pages);
		}
		if (c->flags & TEESIM_CHECK_EMPTY)
			tsim_check_report(
			    c,
			    "%s: shm id %d (ctx %p) left at teardown: refcount %u (fd %u, "
			    "mmaps %u, driver %u)",
			    d->name, id, (void *) s.ctx, s.refs, s.fds, s.maps, drv);
	}
}

/* Whether @ctx is the stack's supplicant context (expected at teardown). */
static bool ctx_is_stack_supp(struct tsim_check *c, const struct tee_context *ctx)
{
	struct tee_fdtable *t;
	bool yes = false;

	if (!c->supp_proc || c->supp_fd < TEE_FD_FIRST)
		return false;
	t = atomic_load_explicit(&c->supp_proc->tee_files, memory_order_acquire);
	if (!t)
		return false;
	pthread_mutex_lock(&t->lock);
	if ((size_t) (c->supp_fd - TEE_FD_FIRST) < t->cap) {
		struct tee_file *f = t->files[c->supp_fd - TEE_FD_FIRST];

		yes = f && f->kind == TEESIM_TEE_FD_DEVICE && f->ctx == ctx;
	}
	pthread_mutex_unlock(&t->lock);
	return yes;
}

/* Phase 3: one context, once. */
static void check_ctx(struct tsim_check *c, struct tee_context *ctx, uint64_t *sessions)
{
	struct tee_device *d = ctx->teedev;
	uint32_t refs, nshms, nsess;
	unsigned drv;

	if (ctx->check_done == c->gen)
		return;
	ctx->check_done = c->gen;
	refs = tee_kref_read(&ctx->refcount);
	nshms = atomic_load(&ctx->num_shms);
	nsess = atomic_load(&ctx->num_sessions);
	*sessions += nsess;
	drv = tsim_check_ctx_refs(c, ctx);
	if (!ctx->check_fds && d->check_gen == c->gen)
		d->check_nofd++;
	if (!refs || atomic_load(&ctx->releasing)) {
		tsim_check_report(
		    c, CTX_FMT ": released (refcount %u) but still held (fds %u, shms %u)", d->name,
		    (void *) ctx, refs, ctx->check_fds, ctx->check_shms);
		return;
	}
	if (idle(c) ? refs != ctx->check_fds + nshms + drv : refs < ctx->check_fds + nshms + drv)
		tsim_check_report(
		    c, CTX_FMT ": refcount %u, holders found %u (fd %u, shms %u, driver %u)",
		    d->name, (void *) ctx, refs, ctx->check_fds + nshms + drv, ctx->check_fds,
		    nshms, drv);
	if (idle(c) ? nshms != ctx->check_shms : nshms < ctx->check_shms)
		tsim_check_report(c, CTX_FMT ": %u shms counted, %u found in the id table", d->name,
				  (void *) ctx, nshms, ctx->check_shms);
	c->nw_sessions += nsess;
	if ((c->flags & TEESIM_CHECK_EMPTY) && !ctx_is_stack_supp(c, ctx))
		tsim_check_report(c,
				  CTX_FMT " left at teardown: refcount %u (fd %u, shms %u), %u "
					  "sessions",
				  d->name, (void *) ctx, refs, ctx->check_fds, nshms, nsess);
}

static void check_contexts(struct tsim_check *c, struct tee_core *core, uint64_t *sessions)
{
	struct teesim_process *p;
	struct tee_fdtable *t;

	/* contexts held by device fds */
	for (size_t k = 0; (p = process_at(c, k, &t, false)); k++) {
		for (size_t i = 0; t; i++) {
			struct tee_context *ctx = NULL;
			bool end;

			pthread_mutex_lock(&t->lock);
			end = i >= t->cap;
			if (!end && t->files[i] && t->files[i]->kind == TEESIM_TEE_FD_DEVICE)
				ctx = t->files[i]->ctx;
			pthread_mutex_unlock(&t->lock);
			if (end)
				break;
			if (ctx)
				check_ctx(c, ctx, sessions);
		}
	}
	/* contexts held only by their shms (fd closed) */
	pthread_mutex_lock(&core->lock);
	for (struct tee_device *d = core->devices; d; d = d->next) {
		struct id_snap s;
		int id = 0;

		pthread_mutex_unlock(&core->lock);
		for (; id >= 0 && id_next(c, d, &id, &s, false); id++)
			if (s.ctx && s.teedev == d && s.shm_id == id && s.ctx->teedev == d)
				check_ctx(c, s.ctx, sessions);
		pthread_mutex_lock(&core->lock);
	}
	pthread_mutex_unlock(&core->lock);
}

/* Phase 2 per device, and its counters. */
static void check_device(struct tsim_check *c, struct tee_device *d, uint64_t *pinned,
			 uint64_t *ids)
{
	uint32_t published = 0, dangling = 0, ctxs, ncontexts, dev_shms;
	size_t users, count;
	bool registered;

	check_ids(c, d, pinned, &published, &dangling);
	dev_shms = tsim_check_dev_shms(c, d);
	pthread_mutex_lock(&d->mutex);
	users = d->num_users;
	count = tee_idr_count(&d->idr);
	ncontexts = d->ncontexts;
	ctxs = d->check_ctxs;
	registered = (d->flags & TEE_DEVICE_FLAG_REGISTERED) != 0;
	if (tee_idr_check(&d->idr))
		tsim_check_report(c, "%s: id table corrupt (summary bitmaps or count)", d->name);
	pthread_mutex_unlock(&d->mutex);
	*ids += count;
	if (count < (size_t) published + dangling)
		tsim_check_report(c, "%s: id table counts %zu ids, %u published found", d->name,
				  count, published + dangling);
	else if (idle(c) && count != (size_t) published + dangling)
		tsim_check_report(c, "%s: %zu shm ids reserved but never published", d->name,
				  count - published - dangling);
	if (ncontexts < ctxs)
		tsim_check_report(c, "%s: %u contexts counted, %u found", d->name, ncontexts, ctxs);
	else if ((c->flags & TEESIM_CHECK_EMPTY) && ncontexts > ctxs)
		tsim_check_report(
		    c,
		    "%s: %u contexts held by no fd and no shm (in-kernel clients) left "
		    "at teardown",
		    d->name, ncontexts - ctxs);
	if ((c->flags & TEESIM_CHECK_EMPTY) && !registered)
		tsim_check_report(c, "%s: unregistered device still allocated (%zu users)", d->name,
				  users);
	pthread_mutex_lock(&d->mutex);
	d->check_published = published;
	d->check_dev_shms = dev_shms;
	pthread_mutex_unlock(&d->mutex);
}

/*
 * After the contexts: a device's users are its registration, each context
 * whose fd is still open (or in-kernel: the close drops the context's user
 * even while shms keep the context), and each shm (with an id, or kept by
 * the driver).
 */
static void check_users(struct tsim_check *c, struct tee_device *d)
{
	uint32_t reg, ctxs, published, dev_shms, expected;
	size_t users;

	pthread_mutex_lock(&d->mutex);
	users = d->num_users;
	reg = (d->flags & TEE_DEVICE_FLAG_REGISTERED) ? 1 : 0;
	ctxs = d->ncontexts >= d->check_nofd ? d->ncontexts - d->check_nofd : 0;
	published = d->check_published;
	dev_shms = d->check_dev_shms;
	pthread_mutex_unlock(&d->mutex);
	expected = reg + ctxs + published + dev_shms;
	if (idle(c) ? users != expected : users < reg + ctxs + published)
		tsim_check_report(c,
				  "%s: %zu device users, accounted %u (registration %u, open "
				  "contexts %u, shms with id %u, driver's shms %u)",
				  d->name, users, expected, reg, ctxs, published, dev_shms);
}

void tee_core_check(void *arg, struct tsim_check *c)
{
	struct tee_core *core = arg;
	uint64_t pinned = 0, ids = 0, sessions = 0, ndev = 0;
	int64_t npinned, nsessions;

	/* every device takes part in this check's context count */
	pthread_mutex_lock(&core->lock);
	for (struct tee_device *d = core->devices; d; d = d->next) {
		pthread_mutex_lock(&d->mutex);
		d->check_gen = c->gen;
		d->check_ctxs = 0;
		d->check_nofd = 0;
		d->check_published = 0;
		d->check_dev_shms = 0;
		pthread_mutex_unlock(&d->mutex);
		ndev++;
	}
	pthread_mutex_unlock(&core->lock);
	if (ndev != (uint64_t) atomic_load(&core->ndevices))
		tsim_check_report(c, "tee core: %" PRId64 " devices counted, %" PRIu64 " found",
				  (int64_t) atomic_load(&core->ndevices), ndev);

	mark_holders(c, core);
	pthread_mutex_lock(&core->lock);
	for (struct tee_device *d = core->devices; d; d = d->next) {
		pthread_mutex_unlock(&core->lock);
		check_device(c, d, &pinned, &ids);
		pthread_mutex_lock(&core->lock);
	}
	pthread_mutex_unlock(&core->lock);
	c->nw_sessions = 0;
	check_contexts(c, core, &sessions);
	c->nw_sessions_known = true;
	pthread_mutex_lock(&core->lock);
	for (struct tee_device *d = core->devices; d; d = d->next) {
		pthread_mutex_unlock(&core->lock);
		check_users(c, d);
		pthread_mutex_lock(&core->lock);
	}
	pthread_mutex_unlock(&core->lock);

	npinned = atomic_load(&core->npinned);
	if (idle(c) ? (uint64_t) npinned != pinned : npinned < 0 || (uint64_t) npinned < pinned)
		tsim_check_report(c,
				  "tee core: %" PRId64 " pages pinned counted, %" PRIu64
				  " held by registered shms",
				  npinned, pinned);
	nsessions = atomic_load(&core->nsessions);
	if (nsessions < 0 || (uint64_t) nsessions < sessions)
		tsim_check_report(
		    c, "tee core: %" PRId64 " sessions counted, %" PRIu64 " on the contexts found",
		    nsessions, sessions);
	if (atomic_load(&core->nshms) < 0 || atomic_load(&core->ncontexts) < 0 ||
	    atomic_load(&core->nmaps) < 0)
		tsim_check_report(c,
				  "tee core: negative counters (shms %" PRId64 ", contexts %" PRId64
				  ", mappings %" PRId64 ")",
				  (int64_t) atomic_load(&core->nshms),
				  (int64_t) atomic_load(&core->ncontexts),
				  (int64_t) atomic_load(&core->nmaps));
	if (c->flags & TEESIM_CHECK_EMPTY) {
		int64_t nshms = atomic_load(&core->nshms);
		int64_t kept = 0;

		pthread_mutex_lock(&core->lock);
		for (struct tee_device *d = core->devices; d; d = d->next) {
			pthread_mutex_unlock(&core->lock);
			kept += tsim_check_dev_shms(c, d);
			pthread_mutex_lock(&core->lock);
		}
		pthread_mutex_unlock(&core->lock);
		if (nshms > kept + (int64_t) ids)
			tsim_check_report(c,
					  "tee core: %" PRId64 " shms left at teardown, %" PRId64
					  " kept by drivers, %" PRIu64 " with ids",
					  nshms, kept, ids);
	}
}
