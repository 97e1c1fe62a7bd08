/* SPDX-License-Identifier: MIT */
/*
 * Checked physical accessors: the only way the secure world reaches memory.
 * Each call is validated (inside one region, no wrap, no secure memory on a
 * shared-memory path), offered to the access hook, and logged on demand.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define ACC_KNOWN (TEESIM_ACC_NS | TEESIM_ACC_WRITE)

/* Host address of the byte at @pa, which must be memory. Lock-free. */
static unsigned char *host_of(const struct teesim_machine *m, const struct tsim_region *r,
			      teesim_pa_t pa)
{
	uint64_t off = pa - r->base;

	if (r == &m->ram) {
		uint64_t slot = tsim_perm_inv(&m->perm, off / TSIM_PAGE);
		uintptr_t h = atomic_load_explicit(&m->slot_host[slot], memory_order_acquire);

		if (h)
			return (unsigned char *) h + (off & TSIM_PAGE_MASK);
		tsim_frame_fill(r, m->ram_backing, slot);
		return m->ram_backing + slot * TSIM_PAGE + (off & TSIM_PAGE_MASK);
	}
	tsim_frame_fill(r, r->backing, off / TSIM_PAGE);
	return r->backing + off;
}

static void log_access(struct teesim_machine *m, const struct teesim_access *a)
{
	pthread_mutex_lock(&m->lock);
	if (m->log_on) {
		if (m->nlog == m->caplog) {
			size_t cap = m->caplog ? m->caplog * 2 : 256;
			struct teesim_access *n = tsim_reallocarray(m, m->log, cap, sizeof(*n));

			if (n) {
				m->log = n;
				m->caplog = cap;
			}
		}
		if (m->nlog < m->caplog)
			m->log[m->nlog++] = *a;
	}
	pthread_mutex_unlock(&m->lock);
}

/* Validate one access; returns its region or NULL with *err set. */
static const struct tsim_region *check(struct teesim_machine *m, enum teesim_access_op op,
				       teesim_pa_t pa, size_t len, unsigned flags, int *err)
{
	const struct tsim_region *r = tsim_region_of(m, pa);
	struct teesim_access a = {op, pa, len, flags, 0};
	bool secure_hit = false;

	if (flags & ~(unsigned) ACC_KNOWN) {
		a.result = -EINVAL;
	} else if (!r || pa + len < pa || len > r->size - (pa - r->base)) {
		a.result = -EFAULT;
	} else if ((flags & TEESIM_ACC_NS) && r->kind == TEESIM_MEM_SECURE) {
		a.result = -EPERM;
		secure_hit = true;
	} else if (m->access_hook) {
		a.result = m->access_hook(m->access_hook_ctx, &a);
	}

	if (secure_hit) {
		pthread_mutex_lock(&m->lock);
		tsim_violation(m, TEESIM_VIOL_SECURE_ACCESS, pa, -1);
		pthread_mutex_unlock(&m->lock);
	}
	if (atomic_load_explicit(&m->log_on, memory_order_relaxed))
		log_access(m, &a);
	*err = a.result;
	return a.result ? NULL : r;
}

static int copy(struct teesim_machine *m, enum teesim_access_op op, teesim_pa_t pa, void *buf,
		size_t len, unsigned flags)
{
	int err;
	const struct tsim_region *r = check(m, op, pa, len, flags, &err);
	unsigned char *b = buf;

	if (!r)
		return err;
	while (len) {
		size_t chunk = TSIM_PAGE - (pa & TSIM_PAGE_MASK);
		unsigned char *h = host_of(m, r, pa);

		if (chunk > len)
			chunk = len;
		if (op == TEESIM_ACCESS_READ)
			memcpy(b, h, chunk);
		else
			memcpy(h, b, chunk);
		b += chunk;
		pa += chunk;
		len -= chunk;
	}
	return 0;
}

int teesim_phys_read(struct teesim_machine *m, teesim_pa_t pa, void *dst, size_t len,
		     unsigned flags)
{
	return copy(m, TEESIM_ACCESS_READ, pa, dst, len, flags);
}

int teesim_phys_write(struct teesim_machine *m, teesim_pa_t pa, const void *src, size_t len,
		      unsigned flags)
{
	return copy(m, TEESIM_ACCESS_WRITE, pa, (void *) src, len, flags);
}

int teesim_phys_map(struct teesim_machine *m, teesim_pa_t pa, size_t len, unsigned flags,
		    void **host)
{
	int err;
	const struct tsim_region *r = check(m, TEESIM_ACCESS_MAP, pa, len, flags, &err);
	unsigned char *first;

	if (!r)
		return err;
	first = host_of(m, r, pa);
	if (r == &m->ram && len) {
		/* every later page must follow the first one on the host */
		teesim_pa_t page0 = pa & ~TSIM_PAGE_MASK;
		teesim_pa_t last = (pa + len - 1) & ~TSIM_PAGE_MASK;

		for (teesim_pa_t p = page0 + TSIM_PAGE; p <= last && p > page0; p += TSIM_PAGE)
			if (host_of(m, r, p) != first - (pa - page0) + (p - page0))
				return -ERANGE;
	} else if (len) {
		/* every page of the range is the caller's from now on */
		for (uint64_t i = (pa - r->base) / TSIM_PAGE + 1;
		     i <= (pa + len - 1 - r->base) / TSIM_PAGE; i++)
			tsim_frame_fill(r, r->backing, i);
	}
	*host = first;
	return 0;
}

void teesim_machine_set_access_hook(struct teesim_machine *m, teesim_access_hook_fn fn, void *ctx)
{
	m->access_hook = fn;
	m->access_hook_ctx = ctx;
}

void teesim_machine_access_log_enable(struct teesim_machine *m, bool on)
{
	pthread_mutex_lock(&m->lock);
	m->log_on = on;
	pthread_mutex_unlock(&m->lock);
}

size_t teesim_machine_access_log(struct teesim_machine *m, size_t first, struct teesim_access *out,
				 size_t max)
{
	size_t n;

	pthread_mutex_lock(&m->lock);
	n = m->nlog;
	for (size_t i = 0; first < n && i < max && first + i < n; i++)
		out[i] = m->log[first + i];
	pthread_mutex_unlock(&m->lock);
	return n;
}

void teesim_machine_access_log_clear(struct teesim_machine *m)
{
	pthread_mutex_lock(&m->lock);
	m->nlog = 0;
	pthread_mutex_unlock(&m->lock);
}
