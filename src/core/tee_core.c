/* SPDX-License-Identifier: MIT */
/*
 * The tee core instance of a machine, its devices and their contexts: the
 * model of the device and context half of drivers/tee/tee_core.c.
 *
 * Lifetimes follow the kernel. A device counts its users (its registration,
 * every context, every shm); unregistering hides it, drops the registration's
 * user and waits until the last user is gone. A context is a kref: the open
 * fd holds one reference, every shm of the context another, so the context
 * (and with it the driver's sessions) outlives a close of its fd for as long
 * as any shm of it lives (the v4.16 rule); its release runs the driver's
 * release, which closes the sessions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tee_private.h"

#define container_of(ptr, type, member) ((type *) (void *) ((char *) (ptr) -offsetof(type, member)))

/* ---- the core instance ---- */

static void device_free(struct tee_device *teedev);

static void tee_core_free(void *arg)
{
	struct tee_core *core = arg;

	/* devices a driver never unregistered: nothing can reach them any more */
	while (core->devices)
		device_free(core->devices);
	pthread_mutex_destroy(&core->pool_lock);
	pthread_mutex_destroy(&core->lock);
	tsim_free(core->m, core);
}

struct tee_core *tee_core_of(struct teesim_machine *m)
{
	struct tee_core *core;

	pthread_mutex_lock(&m->lock);
	core = m->tee_core;
	pthread_mutex_unlock(&m->lock);
	return core;
}

/* The machine's core, created on first use; NULL if the host is out of memory. */
struct tee_core *tee_core_get(struct teesim_machine *m)
{
	struct tee_core *core;

	pthread_mutex_lock(&m->lock);
	core = m->tee_core;
	if (!core) {
		core = tsim_calloc(m, 1, sizeof(*core));
		if (core && pthread_mutex_init(&core->lock, NULL)) {
			tsim_free(m, core);
			core = NULL;
		} else if (core && pthread_mutex_init(&core->pool_lock, NULL)) {
			pthread_mutex_destroy(&core->lock);
			tsim_free(m, core);
			core = NULL;
		}
		if (core) {
			core->m = m;
			m->tee_core = core;
			m->tee_core_free = tee_core_free;
			m->tee_exit_files = tee_process_exit_files;
			m->tee_core_check = tee_core_check;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return core;
}

void tee_core_event(struct tee_core *core, enum teesim_tee_event ev, const struct tee_device *dev,
		    int id, const void *obj)
{
	struct teesim_tee_event_info info = {ev, dev ? dev->name : "", id, obj};

	if (core->hook)
		core->hook(core->hook_ctx, &info);
}

void teesim_tee_set_hook(struct teesim_machine *m, teesim_tee_hook_fn fn, void *ctx)
{
	struct tee_core *core = tee_core_get(m);

	if (!core)
		return;
	core->hook = fn;
	core->hook_ctx = ctx;
}

/* ---- devices ---- */

struct tee_device *tee_device_alloc(const struct tee_desc *desc, struct teesim_guest *parent,
				    struct tee_shm_pool *pool, void *driver_data)
{
	struct tee_core *core;
	struct tee_device *teedev;
	unsigned gid, offs, max_id;
	int id = -1, err;

	if (!desc || !desc->name || !desc->ops || !desc->ops->get_version || !desc->ops->open ||
	    !desc->ops->release || !pool || !parent)
		return ERR_PTR(-EINVAL);
	core = tee_core_get(parent->m);
	if (!core)
		return ERR_PTR(-ENOMEM);
	teedev = tsim_calloc(core->m, 1, sizeof(*teedev));
	if (!teedev)
		return ERR_PTR(-ENOMEM);

	/* unprivileged devices take minors 0-15, privileged ones 16-31 */
	gid = teesim_guest_id(parent);
	offs = (desc->flags & TEE_DESC_PRIVILEGED) ? TEE_NUM_DEVICES / 2 : 0;
	max_id = offs + TEE_NUM_DEVICES / 2;
	pthread_mutex_lock(&core->lock);
	for (unsigned i = offs; i < max_id; i++) {
		if (!(core->minors[gid] & (1u << i))) {
			core->minors[gid] |= 1u << i;
			id = (int) i;
			break;
		}
	}
	pthread_mutex_unlock(&core->lock);
	if (id < 0) {
		err = -ENOMEM;
		goto err_free;
	}
	teedev->id = id;
	snprintf(teedev->name, sizeof(teedev->name), "tee%s%d",
		 (desc->flags & TEE_DESC_PRIVILEGED) ? "priv" : "", id - (int) offs);
	if (pthread_mutex_init(&teedev->mutex, NULL)) {
		err = -ENOMEM;
		goto err_minor;
	}
	if (pthread_cond_init(&teedev->c_no_users, NULL)) {
		err = -ENOMEM;
		goto err_mutex;
	}
	tee_idr_init(&teedev->idr, core->m);
	teedev->desc = desc;
	teedev->guest = parent;
	teedev->core = core;
	teedev->pool = pool;
	teedev->drvdata = driver_data;
	/* the registration's user, dropped by tee_device_unregister() */
	teedev->num_users = 1;

	pthread_mutex_lock(&core->lock);
	{
		struct tee_device **pp = &core->devices;

		while (*pp) /* in order of allocation, as the device class lists them */
			pp = &(*pp)->next;
		*pp = teedev;
	}
	pthread_mutex_unlock(&core->lock);
	atomic_fetch_add(&core->ndevices, 1);
	return teedev;

err_mutex:
	pthread_mutex_destroy(&teedev->mutex);
err_minor:
	pthread_mutex_lock(&core->lock);
	core->minors[gid] &= ~(1u << id);
	pthread_mutex_unlock(&core->lock);
err_free:
	tsim_free(core->m, teedev);
	return ERR_PTR(err);
}

int tee_device_register(struct tee_device *teedev)
{
	struct tee_core *core = teedev->core;
	int err = 0;

	pthread_mutex_lock(&core->lock);
	if (teedev->flags & TEE_DEVICE_FLAG_REGISTERED)
		err = -EINVAL; /* registered twice */
	else
		teedev->flags |= TEE_DEVICE_FLAG_REGISTERED;
	pthread_mutex_unlock(&core->lock);
	return err;
}

/* Unlink and free a device with no user left (the kernel's tee_release_device). */
static void device_free(struct tee_device *teedev)
{
	struct tee_core *core = teedev->core;
	unsigned gid = teesim_guest_id(teedev->guest);

	for (struct tee_device **pp = &core->devices; *pp; pp = &(*pp)->next) {
		if (*pp == teedev) {
			*pp = teedev->next;
			break;
		}
	}
	core->minors[gid] &= ~(1u << teedev->id);
	tee_idr_destroy(&teedev->idr);
	pthread_cond_destroy(&teedev->c_no_users);
	pthread_mutex_destroy(&teedev->mutex);
	atomic_fetch_sub(&core->ndevices, 1);
	tsim_free(core->m, teedev);
}

void tee_device_unregister(struct tee_device *teedev)
{
	struct tee_core *core;

	if (!teedev || IS_ERR(teedev))
		return;
	core = teedev->core;
	/* cdev_del: no new open finds it */
	pthread_mutex_lock(&core->lock);
	teedev->flags &= ~(unsigned) TEE_DEVICE_FLAG_REGISTERED;
	pthread_mutex_unlock(&core->lock);

	tee_device_put(teedev);
	/* wait_for_completion(&teedev->c_no_users) */
	pthread_mutex_lock(&teedev->mutex);
	while (teedev->num_users)
		pthread_cond_wait(&teedev->c_no_users, &teedev->mutex);
	teedev->pool = NULL;
	pthread_mutex_unlock(&teedev->mutex);

	pthread_mutex_lock(&core->lock);
	device_free(teedev);
	pthread_mutex_unlock(&core->lock);
}

void *tee_get_drvdata(struct tee_device *teedev)
{
	return teedev->drvdata;
}

const char *tee_device_name(const struct tee_device *teedev)
{
	return teedev->name;
}

struct teesim_guest *tee_device_guest(const struct tee_device *teedev)
{
	return teedev->guest;
}

bool tee_device_get(struct tee_device *teedev)
{
	bool ok;

	pthread_mutex_lock(&teedev->mutex);
	ok = teedev->desc != NULL;
	if (ok)
		teedev->num_users++;
	pthread_mutex_unlock(&teedev->mutex);
	return ok;
}

void tee_device_put(struct tee_device *teedev)
{
	pthread_mutex_lock(&teedev->mutex);
	if (teedev->num_users && !--teedev->num_users) {
		teedev->desc = NULL;
		pthread_cond_broadcast(&teedev->c_no_users);
	}
	pthread_mutex_unlock(&teedev->mutex);
}

struct tee_device *tee_device_lookup(struct tee_core *core, struct teesim_guest *g,
				     const char *path)
{
	if (!path || strncmp(path, "/dev/", 5))
		return NULL;
	for (struct tee_device *d = core->devices; d; d = d->next)
		if (d->guest == g && (d->flags & TEE_DEVICE_FLAG_REGISTERED) &&
		    !strcmp(d->name, path + 5))
			return d;
	return NULL;
}

struct tee_device *tee_device_find_get(struct tee_core *core, struct teesim_guest *g,
				       const char *path, int *err)
{
	struct tee_device *d;

	pthread_mutex_lock(&core->lock);
	d = tee_device_lookup(core, g, path);
	if (!d)
		*err = -ENOENT;
	else if (!tee_device_get(d)) {
		*err = -EINVAL;
		d = NULL;
	}
	pthread_mutex_unlock(&core->lock);
	return d;
}

/* ---- contexts ---- */

static struct teesim_machine *ctx_machine(const struct tee_context *ctx)
{
	return ctx->teedev->core->m;
}

struct tee_context *teedev_open(struct tee_device *teedev)
{
	struct tee_core *core = teedev->core;
	struct tee_context *ctx;
	int rc;

	if (!tee_device_get(teedev))
		return ERR_PTR(-EINVAL);
	ctx = tsim_calloc(core->m, 1, sizeof(*ctx));
	if (!ctx) {
		rc = -ENOMEM;
		goto err;
	}
	tee_kref_init(&ctx->refcount);
	ctx->teedev = teedev;
	rc = teedev->desc->ops->open(ctx);
	if (rc)
		goto err;
	pthread_mutex_lock(&teedev->mutex);
	teedev->ncontexts++;
	pthread_mutex_unlock(&teedev->mutex);
	atomic_fetch_add(&core->ncontexts, 1);
	return ctx;
err:
	tsim_free(core->m, ctx);
	tee_device_put(teedev);
	return ERR_PTR(rc);
}

void teedev_ctx_get(struct tee_context *ctx)
{
	if (atomic_load(&ctx->releasing))
		return;
	tee_kref_get(ctx_machine(ctx), &ctx->refcount);
}

static void teedev_ctx_release(struct tee_kref *ref)
{
	struct tee_context *ctx = container_of(ref, struct tee_context, refcount);
	struct tee_device *teedev = ctx->teedev;
	struct tee_core *core = teedev->core;

	atomic_store(&ctx->releasing, true);
	tee_core_event(core, TEESIM_TEE_EV_CTX_ZERO, teedev, -1, ctx);
	teedev->desc->ops->release(ctx);
	pthread_mutex_lock(&teedev->mutex);
	teedev->ncontexts--;
	pthread_mutex_unlock(&teedev->mutex);
	atomic_fetch_sub(&core->nsessions, atomic_load(&ctx->num_sessions));
	atomic_fetch_sub(&core->ncontexts, 1);
	tsim_free(core->m, ctx);
}

void teedev_ctx_put(struct tee_context *ctx)
{
	if (atomic_load(&ctx->releasing))
		return;
	tee_kref_put(ctx_machine(ctx), &ctx->refcount, teedev_ctx_release);
}

/* With the fix "tee: fix put order in teedev_close_context()": context first. */
void teedev_close_context(struct tee_context *ctx)
{
	struct tee_device *teedev = ctx->teedev;

	teedev_ctx_put(ctx);
	tee_device_put(teedev);
}

void tee_context_session_opened(struct tee_context *ctx)
{
	atomic_fetch_add(&ctx->num_sessions, 1);
	atomic_fetch_add(&ctx->teedev->core->nsessions, 1);
}

void tee_context_session_closed(struct tee_context *ctx)
{
	atomic_fetch_sub(&ctx->num_sessions, 1);
	atomic_fetch_sub(&ctx->teedev->core->nsessions, 1);
}

/* ---- kexec ---- */

/*
 * Take the next process of @g that still holds tee fds or tee mappings, with
 * its mappings (m->lock held while looking); NULL when none is left.
 */
static struct teesim_process *kexec_next(struct teesim_guest *g, struct tsim_devmap **dm,
					 size_t *ndm)
{
	struct teesim_machine *m = g->m;
	struct teesim_process *p;

	pthread_mutex_lock(&m->lock);
	for (p = m->processes; p; p = p->next) {
		if (p->g != g)
			continue;
		if (p->ndevmaps || atomic_load_explicit(&p->tee_files, memory_order_acquire))
			break;
	}
	if (p) {
		*dm = p->devmaps;
		*ndm = p->ndevmaps;
		p->devmaps = NULL;
		p->ndevmaps = p->capdevmaps = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return p;
}

void tee_guest_kexec_user(struct teesim_guest *g)
{
	struct tee_core *core = tee_core_of(g->m);
	struct teesim_process *p;
	struct tsim_devmap *dm;
	size_t ndm;

	if (!core)
		return;
	while ((p = kexec_next(g, &dm, &ndm))) {
		/* as the exit of each process: mappings first, then the fds */
		for (size_t i = 0; i < ndm; i++)
			dm[i].release(dm[i].cookie);
		tsim_free(g->m, dm);
		tee_process_exit_files(core, p);
	}
}

/* ---- observation ---- */

static uint64_t nonneg(int64_t v)
{
	return v > 0 ? (uint64_t) v : 0;
}

void teesim_tee_stats(struct teesim_machine *m, struct teesim_tee_stats *st)
{
	struct tee_core *core = tee_core_of(m);

	memset(st, 0, sizeof(*st));
	if (!core)
		return;
	st->devices = nonneg(atomic_load(&core->ndevices));
	st->contexts = nonneg(atomic_load(&core->ncontexts));
	st->shms = nonneg(atomic_load(&core->nshms));
	st->sessions = nonneg(atomic_load(&core->nsessions));
	st->files = nonneg(atomic_load(&core->nfiles));
	st->mappings = nonneg(atomic_load(&core->nmaps));
	st->pinned_pages = nonneg(atomic_load(&core->npinned));
	pthread_mutex_lock(&core->lock);
	for (struct tee_device *d = core->devices; d; d = d->next) {
		pthread_mutex_lock(&d->mutex);
		st->ids += tee_idr_count(&d->idr);
		pthread_mutex_unlock(&d->mutex);
	}
	pthread_mutex_unlock(&core->lock);
}

int teesim_tee_device_info(struct teesim_guest *g, const char *path,
			   struct teesim_tee_device_info *info)
{
	struct tee_core *core = tee_core_of(teesim_guest_machine(g));
	struct tee_device *d;
	int err = -ENOENT;

	memset(info, 0, sizeof(*info));
	if (!core)
		return err;
	pthread_mutex_lock(&core->lock);
	d = tee_device_lookup(core, g, path);
	if (d) {
		pthread_mutex_lock(&d->mutex);
		info->users = (uint32_t) d->num_users;
		info->contexts = d->ncontexts;
		info->ids = tee_idr_count(&d->idr);
		info->privileged = d->desc && (d->desc->flags & TEE_DESC_PRIVILEGED);
		pthread_mutex_unlock(&d->mutex);
		err = 0;
	}
	pthread_mutex_unlock(&core->lock);
	return err;
}

long teesim_tee_ids(struct teesim_guest *g, const char *path, int *ids, size_t max)
{
	struct tee_core *core = tee_core_of(teesim_guest_machine(g));
	struct tee_device *d;
	long n = -ENOENT;

	if (!core)
		return n;
	pthread_mutex_lock(&core->lock);
	d = tee_device_lookup(core, g, path);
	if (d) {
		int id = 0;

		pthread_mutex_lock(&d->mutex);
		n = (long) tee_idr_count(&d->idr);
		for (size_t i = 0; i < max; i++, id++) {
			tee_idr_get_next(&d->idr, &id);
			if (id < 0)
				break;
			ids[i] = id;
		}
		pthread_mutex_unlock(&d->mutex);
	}
	pthread_mutex_unlock(&core->lock);
	return n;
}

int teesim_tee_shm_info(struct teesim_guest *g, const char *path, int id,
			struct teesim_tee_shm_info *info)
{
	struct tee_core *core = tee_core_of(teesim_guest_machine(g));
	struct tee_device *d;
	int err = -ENOENT;

	memset(info, 0, sizeof(*info));
	if (!core)
		return err;
	pthread_mutex_lock(&core->lock);
	d = tee_device_lookup(core, g, path);
	if (d && id >= 0) {
		struct tee_shm *shm;

		pthread_mutex_lock(&d->mutex);
		shm = tee_idr_find(&d->idr, id);
		if (shm) {
			tee_shm_fill_info(shm, info);
			err = 0;
		} else if (tee_idr_is_allocated(&d->idr, id)) {
			err = -EBUSY; /* reserved, not published */
		}
		pthread_mutex_unlock(&d->mutex);
	}
	pthread_mutex_unlock(&core->lock);
	return err;
}
