/* SPDX-License-Identifier: MIT */
/*
 * The per-process fd table and the file-level entry points (open, ioctl,
 * close, mmap): the model of what the VFS does around the tee core's fops.
 *
 * A struct tee_file is a struct file: counted by its fd table entry and by
 * every call in flight on it (fdget/fdput), released (tee_release or the shm
 * fd's release) when the last count goes. So closing an fd while another
 * thread is inside an ioctl on it only drops the table's count; the context
 * lives until that ioctl returns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tee_private.h"

struct tee_file *tee_file_alloc(struct teesim_machine *m, enum teesim_tee_fd_kind kind)
{
	struct tee_file *f = tsim_calloc(m, 1, sizeof(*f));

	if (f) {
		atomic_init(&f->count, 1);
		f->kind = kind;
		f->m = m;
	}
	return f;
}

void tee_file_put(struct tee_file *f)
{
	if (atomic_fetch_sub_explicit(&f->count, 1, memory_order_acq_rel) != 1)
		return;
	if (f->kind == TEESIM_TEE_FD_DEVICE)
		teedev_close_context(f->ctx); /* tee_release */
	else
		tee_shm_put(f->shm); /* the shm fd's release */
	tsim_free(f->m, f);
}

static struct tee_fdtable *fdtable(struct teesim_process *p, bool create)
{
	struct tee_fdtable *t = atomic_load_explicit(&p->tee_files, memory_order_acquire);
	void *expected = NULL;
	struct tee_core *core;

	if (t || !create)
		return t;
	core = tee_core_get(teesim_guest_machine(teesim_process_guest(p)));
	if (!core)
		return NULL;
	t = tsim_calloc(core->m, 1, sizeof(*t));
	if (!t)
		return NULL;
	if (pthread_mutex_init(&t->lock, NULL)) {
		tsim_free(core->m, t);
		return NULL;
	}
	t->core = core;
	if (!atomic_compare_exchange_strong(&p->tee_files, &expected, t)) {
		pthread_mutex_destroy(&t->lock);
		tsim_free(core->m, t);
		return expected;
	}
	return t;
}

int tee_fd_install(struct teesim_process *p, struct tee_file *f)
{
	struct tee_fdtable *t = fdtable(p, true);
	size_t i;
	int err = -EMFILE;

	if (!t)
		return -ENOMEM;
	pthread_mutex_lock(&t->lock);
	for (i = t->hint; i < t->cap && t->files[i]; i++)
		;
	if (i >= (size_t) (TEE_FD_MAX - TEE_FD_FIRST))
		goto out;
	if (i == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct tee_file **n = tsim_reallocarray(t->core->m, t->files, cap, sizeof(*n));

		if (!n) {
			err = -ENOMEM;
			goto out;
		}
		memset(n + t->cap, 0, (cap - t->cap) * sizeof(*n));
		t->files = n;
		t->cap = cap;
	}
	t->files[i] = f;
	t->hint = i + 1;
	t->nopen++;
	atomic_fetch_add(&t->core->nfiles, 1);
	err = (int) i + TEE_FD_FIRST;
out:
	pthread_mutex_unlock(&t->lock);
	return err;
}

/* fdget: the file of @fd with one more count, or NULL */
static struct tee_file *fget(struct teesim_process *p, int fd)
{
	struct tee_fdtable *t = fdtable(p, false);
	struct tee_file *f = NULL;

	if (!t || fd < TEE_FD_FIRST)
		return NULL;
	pthread_mutex_lock(&t->lock);
	if ((size_t) (fd - TEE_FD_FIRST) < t->cap) {
		f = t->files[fd - TEE_FD_FIRST];
		if (f)
			atomic_fetch_add_explicit(&f->count, 1, memory_order_relaxed);
	}
	pthread_mutex_unlock(&t->lock);
	return f;
}

int teesim_close(struct teesim_process *p, int fd)
{
	struct tee_fdtable *t = fdtable(p, false);
	struct tee_file *f = NULL;
	size_t i;

	if (!t || fd < TEE_FD_FIRST)
		return -EBADF;
	i = (size_t) (fd - TEE_FD_FIRST);
	pthread_mutex_lock(&t->lock);
	if (i < t->cap && t->files[i]) {
		f = t->files[i];
		t->files[i] = NULL;
		t->nopen--;
		if (i < t->hint)
			t->hint = i;
	}
	pthread_mutex_unlock(&t->lock);
	if (!f)
		return -EBADF;
	atomic_fetch_sub(&t->core->nfiles, 1);
	tee_file_put(f);
	return 0;
}

/* exit_files: close every fd of an exiting process (after its memory is gone) */
void tee_process_exit_files(void *arg, struct teesim_process *p)
{
	struct tee_core *core = arg;
	struct tee_fdtable *t = atomic_exchange(&p->tee_files, NULL);

	(void) core;
	if (!t)
		return;
	for (size_t i = 0; i < t->cap; i++) {
		if (t->files[i]) {
			atomic_fetch_sub(&t->core->nfiles, 1);
			tee_file_put(t->files[i]);
		}
	}
	tsim_free(t->core->m, t->files);
	pthread_mutex_destroy(&t->lock);
	tsim_free(t->core->m, t);
}

int teesim_open(struct teesim_process *p, const char *path, int flags)
{
	struct teesim_guest *g = teesim_process_guest(p);
	struct tee_core *core = tee_core_of(teesim_guest_machine(g));
	struct tee_device *teedev;
	struct tee_context *ctx;
	struct tee_file *f;
	int err = -ENOENT, fd;

	(void) flags; /* tee_open looks at no open flag */
	if (!core || !path)
		return -ENOENT;
	teedev = tee_device_find_get(core, g, path, &err);
	if (!teedev)
		return err;
	ctx = teedev_open(teedev);
	tee_device_put(teedev); /* the lookup's user; the context holds its own */
	if (IS_ERR(ctx))
		return (int) PTR_ERR(ctx);
	ctx->proc = p;
	ctx->supp_nowait = false; /* user space waits for the supplicant */
	f = tee_file_alloc(core->m, TEESIM_TEE_FD_DEVICE);
	if (!f) {
		teedev_close_context(ctx);
		return -ENOMEM;
	}
	f->ctx = ctx;
	fd = tee_fd_install(p, f);
	if (fd < 0)
		tee_file_put(f);
	return fd;
}

int teesim_ioctl(struct teesim_process *p, int fd, unsigned long request, void *arg)
{
	struct tee_file *f = fget(p, fd);
	long rc;

	if (!f)
		return -EBADF;
	if (f->kind == TEESIM_TEE_FD_DEVICE)
		rc = tee_ioctl(f->ctx, request, (uint64_t) (uintptr_t) arg);
	else
		rc = -ENOTTY; /* a shm fd has no ioctl of the tee core */
	tee_file_put(f);
	return (int) rc;
}

void *teesim_mmap(struct teesim_process *p, int fd, size_t len, unsigned prot, uint64_t offset)
{
	struct tee_file *f = fget(p, fd);
	void *addr = NULL;
	int err = -ENODEV;

	if (!f) {
		errno = EBADF;
		return NULL;
	}
	if (f->kind == TEESIM_TEE_FD_SHM)
		addr = tee_shm_mmap(p, f->shm, len, prot, offset, &err);
	tee_file_put(f);
	if (!addr)
		errno = -err;
	return addr;
}

int teesim_munmap(struct teesim_process *p, void *addr, size_t len)
{
	uint64_t npages = ((uint64_t) len + TEESIM_PAGE_SIZE - 1) / TEESIM_PAGE_SIZE;

	if (!len || npages > SIZE_MAX / TEESIM_PAGE_SIZE)
		return -EINVAL;
	return tsim_process_devmap_remove(p, addr, (size_t) (npages * TEESIM_PAGE_SIZE));
}

int teesim_tee_fd_info(struct teesim_process *p, int fd, struct teesim_tee_fd_info *info)
{
	struct tee_file *f = fget(p, fd);
	struct tee_context *ctx;

	memset(info, 0, sizeof(*info));
	if (!f)
		return -EBADF;
	info->kind = f->kind;
	if (f->kind == TEESIM_TEE_FD_SHM) {
		struct tee_device *teedev = f->shm->teedev;

		pthread_mutex_lock(&teedev->mutex);
		tee_shm_fill_info(f->shm, &info->shm);
		pthread_mutex_unlock(&teedev->mutex);
		ctx = f->shm->ctx;
	} else {
		ctx = f->ctx;
		info->shm.id = -1;
	}
	if (ctx) {
		snprintf(info->device, sizeof(info->device), "%s", ctx->teedev->name);
		info->ctx_refs = tee_refcount_read(&ctx->refcount.count);
		info->ctx_shms = atomic_load(&ctx->num_shms);
		info->ctx_sessions = atomic_load(&ctx->num_sessions);
	}
	tee_file_put(f);
	return 0;
}
