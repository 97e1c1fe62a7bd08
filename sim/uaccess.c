/* SPDX-License-Identifier: MIT */
/*
 * copy_from_user / copy_to_user for the normal-world model.
 *
 * A user address is a host address. Inside a process's own mappings the
 * copy is a memcpy once the range is checked against the mappings (and
 * their protection for writes). Elsewhere, if the machine allows host
 * memory, the host kernel decides: process_vm_readv/writev on our own pid
 * copy the bytes or fail with EFAULT without ever faulting this process, so
 * a wild pointer from a fuzzer is an -EFAULT, never a crash.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define TSIM_HAVE_MEMCHECK 1
#endif
#endif

/* Is [a, a+len) wholly inside mappings of @p (writable ones when @write)?
 * 1 yes, 0 it touches none of them, -1 partly (always a fault). The
 * mappings are sorted and disjoint, so one pass over the ones it touches
 * tells whether they cover it without a gap. */
static int in_mappings(const struct teesim_process *p, uintptr_t a, size_t len, bool write)
{
	uintptr_t end = a + len, cur = a;
	bool touched = false, ok = true;

	for (size_t i = 0; i < p->nmaps; i++) {
		const struct tsim_mapping *mp = &p->maps[i];
		uintptr_t lo = mp->addr, hi = mp->addr + mp->npages * TSIM_PAGE;

		if (hi <= a)
			continue;
		if (lo >= end)
			break;
		touched = true;
		if (lo > cur || (write && (p->g->pages[mp->first].flags & TSIM_PGF_READONLY)))
			ok = false; /* a gap before it, or no write permission */
		cur = hi;
	}
	if (!touched)
		return 0;
	return ok && cur >= end ? 1 : -1;
}

/* Is [a, a+len) inside one device mapping (a mapped tee shm) allowing the access? */
static bool in_devmap(const struct teesim_process *p, uintptr_t a, size_t len, bool write)
{
	for (size_t i = 0; i < p->ndevmaps; i++) {
		const struct tsim_devmap *d = &p->devmaps[i];

		if (a >= d->addr && a - d->addr <= d->len && len <= d->len - (a - d->addr) &&
		    (d->prot & (write ? TEESIM_PROT_WRITE : TEESIM_PROT_READ)))
			return true;
	}
	return false;
}

static bool overlaps(uintptr_t a, size_t len, const void *base, size_t size)
{
	return base && a < (uintptr_t) base + size && (uintptr_t) base < a + len;
}

static int user_copy(struct teesim_process *p, void *kbuf, uint64_t uaddr, size_t len, bool write)
{
	struct teesim_machine *m = p->g->m;
	uintptr_t a = (uintptr_t) uaddr;
	struct iovec local = {kbuf, len}, remote = {(void *) a, len};
	ssize_t got;
	int r;

	if (!len)
		return 0;
	if (uaddr > UINTPTR_MAX || len > UINTPTR_MAX - a)
		return -EFAULT;
	pthread_mutex_lock(&m->lock);
	r = in_mappings(p, a, len, write);
	if (!r && in_devmap(p, a, len, write))
		r = 1;
	if (r > 0) {
		if (write)
			memcpy((void *) a, kbuf, len);
		else
			memcpy(kbuf, (const void *) a, len);
	}
	pthread_mutex_unlock(&m->lock);
	if (r)
		return r > 0 ? 0 : -EFAULT;
	/* not process memory: host memory, when allowed, but never the machine's */
	if (!m->cfg.allow_host_memory || overlaps(a, len, m->ram_backing, m->ram.backing_size) ||
	    overlaps(a, len, m->secure.backing, m->secure.backing_size) ||
	    overlaps(a, len, m->shm.backing, m->shm.backing_size))
		return -EFAULT;
	got = write ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0)
		    : process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
#ifdef TSIM_HAVE_MEMCHECK
	/* memcheck takes the remote side of process_vm_writev for another
	 * process's memory: tell it these bytes of ours are now defined */
	if (write && got > 0)
		VALGRIND_MAKE_MEM_DEFINED((void *) a, (size_t) got);
#endif
	return got == (ssize_t) len ? 0 : -EFAULT;
}

int tsim_copy_from_user(struct teesim_process *p, void *dst, uint64_t uaddr, size_t len)
{
	return user_copy(p, dst, uaddr, len, false);
}

int tsim_copy_to_user(struct teesim_process *p, uint64_t uaddr, const void *src, size_t len)
{
	return user_copy(p, (void *) src, uaddr, len, true);
}
