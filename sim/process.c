/* SPDX-License-Identifier: MIT */
/*
 * Process address spaces and pinning (the model of get_user_pages).
 *
 * A user address is a host address. Memory from teesim_process_mmap() is
 * guest RAM seen through the machine's host backing; any other host page
 * (malloc, stack) is bound to a free guest page while it is pinned, so the
 * frame behind that page reads and writes the host page itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

struct teesim_process *teesim_process_new(struct teesim_guest *g)
{
	struct teesim_machine *m = g->m;
	struct teesim_process *p = tsim_calloc(m, 1, sizeof(*p));

	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	p->g = g;
	pthread_mutex_lock(&m->lock);
	p->id = m->next_pid++;
	p->next = m->processes;
	m->processes = p;
	m->nprocesses++;
	g->nprocesses++;
	pthread_mutex_unlock(&m->lock);
	return p;
}

uint32_t teesim_process_id(const struct teesim_process *p)
{
	return p->id;
}

struct teesim_guest *teesim_process_guest(const struct teesim_process *p)
{
	return p->g;
}

/* Index of the mapping containing @addr, or -1; *@next gets the index of the
 * first mapping above @addr (nmaps if none). Called with the lock held. */
static long find_map(const struct teesim_process *p, uintptr_t addr, size_t *next)
{
	size_t lo = 0, hi = p->nmaps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->maps[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	*next = lo;
	if (lo && addr - p->maps[lo - 1].addr < p->maps[lo - 1].npages * TSIM_PAGE)
		return (long) lo - 1;
	return -1;
}

/* Drop the mapping at @i: pages without pins are freed now, pinned pages when
 * their last pin goes. Called with the lock held. */
static void unmap_at(struct teesim_process *p, size_t i)
{
	struct tsim_mapping *mp = &p->maps[i];

	for (uint64_t k = 0; k < mp->npages; k++) {
		struct tsim_page *pg = &p->g->pages[mp->first + k];

		pg->flags &= (uint8_t) ~TSIM_PGF_MAPPED;
		if (!pg->pins)
			tsim_page_release(p->g, mp->first + k);
	}
	memmove(&p->maps[i], &p->maps[i + 1], (p->nmaps - i - 1) * sizeof(*p->maps));
	p->nmaps--;
}

static void process_destroy(struct teesim_process *p)
{
	struct teesim_machine *m = p->g->m;

	while (p->nmaps)
		unmap_at(p, p->nmaps - 1);
	for (struct teesim_process **pp = &m->processes; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	m->nprocesses--;
	p->g->nprocesses--;
	tsim_free(m, p->maps);
	tsim_free(m, p->devmaps);
	tsim_free(m, p);
}

void teesim_process_free(struct teesim_process *p)
{
	struct teesim_machine *m;
	struct tsim_devmap *dm;
	size_t ndm;

	if (!p)
		return;
	m = p->g->m;
	/* as do_exit: exit_mm (memory and device mappings) first, then exit_files */
	pthread_mutex_lock(&m->lock);
	while (p->nmaps)
		unmap_at(p, p->nmaps - 1);
	dm = p->devmaps;
	ndm = p->ndevmaps;
	p->devmaps = NULL;
	p->ndevmaps = p->capdevmaps = 0;
	pthread_mutex_unlock(&m->lock);
	for (size_t i = 0; i < ndm; i++)
		dm[i].release(dm[i].cookie);
	tsim_free(m, dm);
	if (atomic_load_explicit(&p->tee_files, memory_order_acquire) && m->tee_exit_files)
		m->tee_exit_files(m->tee_core, p);
	pthread_mutex_lock(&m->lock);
	process_destroy(p);
	pthread_mutex_unlock(&m->lock);
}

void tsim_processes_free_all(struct teesim_machine *m)
{
	while (m->processes)
		teesim_process_free(m->processes);
	if (m->maps_fd > 0)
		close(m->maps_fd);
	m->maps_fd = 0;
}

int tsim_process_devmap_add(struct teesim_process *p, void *addr, size_t len, unsigned prot,
			    void (*release)(void *cookie), void *cookie)
{
	struct teesim_machine *m = p->g->m;
	int err = 0;

	pthread_mutex_lock(&m->lock);
	if (p->ndevmaps == p->capdevmaps) {
		size_t cap = p->capdevmaps ? p->capdevmaps * 2 : 4;
		struct tsim_devmap *n = tsim_reallocarray(m, p->devmaps, cap, sizeof(*n));

		if (!n) {
			err = -ENOMEM;
			goto out;
		}
		p->devmaps = n;
		p->capdevmaps = cap;
	}
	p->devmaps[p->ndevmaps++] =
	    (struct tsim_devmap){(uintptr_t) addr, len, prot, release, cookie};
out:
	pthread_mutex_unlock(&m->lock);
	return err;
}

int tsim_process_devmap_remove(struct teesim_process *p, void *addr, size_t len)
{
	struct teesim_machine *m = p->g->m;
	struct tsim_devmap dm = {0};
	bool found = false;

	pthread_mutex_lock(&m->lock);
	for (size_t i = p->ndevmaps; i-- > 0;) {
		if (p->devmaps[i].addr == (uintptr_t) addr && p->devmaps[i].len == len) {
			dm = p->devmaps[i];
			p->devmaps[i] = p->devmaps[--p->ndevmaps];
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (!found)
		return -EINVAL;
	dm.release(dm.cookie);
	return 0;
}

void *teesim_process_mmap(struct teesim_process *p, size_t len, unsigned prot)
{
	struct teesim_guest *g = p->g;
	struct teesim_machine *m = g->m;
	uint64_t npages, first;
	size_t at;
	void *addr = NULL;
	int err = ENOMEM;

	if (!len || (prot & ~(unsigned) (TEESIM_PROT_READ | TEESIM_PROT_WRITE))) {
		errno = EINVAL;
		return NULL;
	}
	npages = (uint64_t) len / TSIM_PAGE + ((uint64_t) len % TSIM_PAGE != 0);
	if (npages > g->npages) {
		errno = ENOMEM; /* more than the guest has, as mmap(2) says */
		return NULL;
	}
	pthread_mutex_lock(&m->lock);
	if (p->nmaps == p->capmaps) {
		size_t cap = p->capmaps ? p->capmaps * 2 : 8;
		struct tsim_mapping *n = tsim_reallocarray(m, p->maps, cap, sizeof(*n));

		if (!n)
			goto out;
		p->maps = n;
		p->capmaps = cap;
	}
	first = tsim_bitmap_alloc(&g->alloc, npages);
	if (first == UINT64_MAX)
		goto out;
	for (uint64_t i = first; i < first + npages; i++) {
		struct tsim_page *pg = &g->pages[i];
		bool used = pg->flags & TSIM_PGF_USED;

		tsim_page_take(g, i, TSIM_PG_USER, p->id);
		if (!(prot & TEESIM_PROT_WRITE))
			pg->flags |= TSIM_PGF_READONLY;
		/* fresh backing is zero (mmap'd, or zeroed on first use by
		 * tsim_page_backing): only reused pages need it */
		if (used)
			memset(tsim_page_backing(g, i), 0, TSIM_PAGE);
		else
			tsim_page_backing(g, i);
	}
	addr = tsim_page_backing(g, first);
	find_map(p, (uintptr_t) addr, &at);
	memmove(&p->maps[at + 1], &p->maps[at], (p->nmaps - at) * sizeof(*p->maps));
	p->maps[at] = (struct tsim_mapping){(uintptr_t) addr, npages, len, first};
	p->nmaps++;
out:
	pthread_mutex_unlock(&m->lock);
	if (!addr)
		errno = err;
	return addr;
}

int teesim_process_munmap(struct teesim_process *p, void *addr, size_t len)
{
	struct teesim_machine *m = p->g->m;
	size_t next;
	long i;
	int err = -EINVAL;

	pthread_mutex_lock(&m->lock);
	i = find_map(p, (uintptr_t) addr, &next);
	if (i >= 0 && p->maps[i].addr == (uintptr_t) addr && len &&
	    (uint64_t) len / TSIM_PAGE + ((uint64_t) len % TSIM_PAGE != 0) == p->maps[i].npages) {
		unmap_at(p, (size_t) i);
		err = 0;
	}
	pthread_mutex_unlock(&m->lock);
	return err;
}

static bool inside(uintptr_t a, const void *base, size_t size)
{
	return base && a >= (uintptr_t) base && a - (uintptr_t) base < size;
}

/* Host memory of the machine itself is never "foreign": a process reaching
 * into it outside its own mappings is reaching into someone else's memory. */
static bool machine_memory(const struct teesim_machine *m, uintptr_t a)
{
	return inside(a, m->ram_backing, m->ram.backing_size) ||
	       inside(a, m->secure.backing, m->secure.backing_size) ||
	       inside(a, m->shm.backing, m->shm.backing_size);
}

/* How many of the @n host pages at @a are mapped in the host process. */
static uint64_t host_mapped_pages(uintptr_t a, uint64_t n)
{
	unsigned char vec[64];
	uint64_t k = 0;

	while (k < n) {
		uint64_t chunk = n - k < sizeof(vec) ? n - k : sizeof(vec);

		if (mincore((void *) (uintptr_t) (a + k * TSIM_PAGE), (size_t) (chunk * TSIM_PAGE),
			    vec)) {
			/* some page is unmapped: find the first one */
			for (uint64_t j = 0; j < chunk; j++)
				if (mincore((void *) (uintptr_t) (a + (k + j) * TSIM_PAGE),
					    TSIM_PAGE, vec))
					return k + j;
		}
		k += chunk;
	}
	return n;
}

/* PROCMAP_QUERY (Linux 6.11): ask the kernel for the VMA covering an address
 * instead of reading all of /proc/self/maps. Its layout and number are from
 * the UAPI <linux/fs.h>, which older headers lack. */
struct tsim_procmap_query {
	uint64_t size, query_flags, query_addr;
	uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};
_Static_assert(sizeof(struct tsim_procmap_query) == 104, "procmap_query layout");
#define TSIM_PROCMAP_QUERY	  0xc0686611ul /* _IOWR('f', 17, struct procmap_query) */
#define TSIM_PROCMAP_VMA_READABLE 0x1u
#define TSIM_PROCMAP_VMA_WRITABLE 0x2u

/* The machine's /proc/self/maps descriptor, opened on first use (opening
 * costs several microseconds, a query one) and again after a fork, since the
 * file names the process that opened it. -1 without /proc. Called with the
 * lock held. */
static int maps_fd(struct teesim_machine *m)
{
	pid_t pid = getpid();

	if (m->maps_fd > 0 && m->maps_pid == pid)
		return m->maps_fd;
	if (m->maps_fd > 0)
		close(m->maps_fd);
	m->maps_fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	m->maps_pid = pid;
	if (m->maps_fd == 0) { /* keep 0 meaning "not open" */
		m->maps_fd = fcntl(0, F_DUPFD_CLOEXEC, 1);
		close(0);
	}
	return m->maps_fd;
}

/* Walk the VMAs covering [a, end) with PROCMAP_QUERY. Returns false if the
 * kernel does not know the ioctl; else *@usable_end is where the usable run
 * stops. */
static bool usable_by_query(int fd, uint64_t a, uint64_t end, bool write, uint64_t *usable_end)
{
	uint64_t cur = a;

	while (cur < end) {
		struct tsim_procmap_query q = {.size = sizeof(q), .query_addr = cur};

		if (ioctl(fd, TSIM_PROCMAP_QUERY, &q)) {
			if (cur == a && (errno == ENOTTY || errno == EINVAL))
				return false;
			break; /* ENOENT: nothing maps cur */
		}
		if (q.vma_start > cur || !(q.vma_flags & TSIM_PROCMAP_VMA_READABLE) ||
		    (write && !(q.vma_flags & TSIM_PROCMAP_VMA_WRITABLE)))
			break;
		cur = q.vma_end < end ? q.vma_end : end;
	}
	*usable_end = cur;
	return true;
}

/*
 * How many of the @n host pages at @a this host process maps readable (and
 * writable when @write), judged from its VMAs as get_user_pages would judge
 * them: a PROT_NONE page, or a read-only one for a write pin, ends the run
 * just as an unmapped page does. The VMAs come from PROCMAP_QUERY where the
 * kernel has it, else from reading /proc/self/maps, else (no /proc) from
 * mincore(), which knows mapped from unmapped only. Called with the lock held.
 */
static uint64_t host_usable_pages(struct teesim_machine *m, uintptr_t a, uint64_t n, bool write)
{
	uint64_t end = a + n * TSIM_PAGE, cur = a;
	char *buf = NULL, *line;
	size_t len = 0, cap = 0;
	ssize_t got;
	int fd = maps_fd(m);

	if (fd < 0)
		return host_mapped_pages(a, n);
	if (!m->maps_no_query && usable_by_query(fd, a, end, write, &cur))
		return (cur - a) / TSIM_PAGE;
	if (lseek(fd, 0, SEEK_SET))
		return host_mapped_pages(a, n);
	do {
		if (cap - len < 4096) {
			char *nb = tsim_realloc(m, buf, cap = cap ? cap * 2 : 65536);

			if (!nb) {
				tsim_free(m, buf);
				return 0;
			}
			buf = nb;
		}
		got = read(fd, buf + len, cap - len - 1);
		if (got > 0)
			len += (size_t) got;
	} while (got > 0 || (got < 0 && errno == EINTR));
	buf[len] = 0;
	/* lines are sorted by address: walk the ones covering [cur, end) */
	for (line = buf; line && *line && cur < end;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		unsigned long lo, hi;
		char perms[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) != 3 || hi <= cur)
			continue;
		if (lo > cur || perms[0] != 'r' || (write && perms[1] != 'w'))
			break;
		cur = hi < end ? hi : end;
	}
	tsim_free(m, buf);
	return (cur - a) / TSIM_PAGE;
}

static void pin_page(struct teesim_guest *g, uint64_t idx)
{
	if (!g->pages[idx].pins++)
		g->m->pinned_pages++;
	g->m->pins++;
}

/* Bind the host page at @a to a guest page, or find its binding. Returns the
 * page index, or UINT64_MAX with *err set. Called with the lock held. */
static uint64_t host_page(struct teesim_process *p, uintptr_t a, int *err)
{
	struct teesim_guest *g = p->g;
	struct teesim_machine *m = g->m;
	struct tsim_hostmap_entry *e = tsim_hostmap_find(&m->hostmap, a);
	uint64_t idx;

	if (e) {
		if (e->guest == g)
			return e->index;
		*err = -EFAULT; /* one host page cannot be memory of two guests */
		return UINT64_MAX;
	}
	idx = tsim_bitmap_alloc(&g->alloc, 1);
	if (idx == UINT64_MAX) {
		*err = -ENOMEM;
		return idx;
	}
	if (tsim_hostmap_insert(&m->hostmap, a, g, idx)) {
		tsim_bitmap_set(&g->alloc, idx, 1, false);
		*err = -ENOMEM;
		return UINT64_MAX;
	}
	tsim_page_take(g, idx, TSIM_PG_HOST, p->id);
	atomic_store_explicit(&m->slot_host[g->slot_base + idx], a, memory_order_release);
	return idx;
}

long teesim_process_pin(struct teesim_process *p, uint64_t start, size_t npages, unsigned flags,
			teesim_ipa_t *ipas)
{
	struct teesim_guest *g = p->g;
	struct teesim_machine *m = g->m;
	uint64_t i = 0;
	int err = -EFAULT;

	if ((flags & ~(unsigned) TEESIM_PIN_WRITE) || (start & TSIM_PAGE_MASK))
		return -EINVAL;
	if (!npages)
		return 0;
	if (npages - 1 > (UINT64_MAX - start) / TSIM_PAGE)
		return -EINVAL;
	if (start + ((uint64_t) npages - 1) * TSIM_PAGE > UINTPTR_MAX)
		return -EFAULT; /* beyond what this host can address */

	pthread_mutex_lock(&m->lock);
	while (i < npages) {
		uintptr_t a = (uintptr_t) (start + i * TSIM_PAGE);
		size_t next;
		long mi = find_map(p, a, &next);
		uint64_t run, want;

		if (mi >= 0) {
			const struct tsim_mapping *mp = &p->maps[mi];
			uint64_t k = (a - mp->addr) / TSIM_PAGE;

			run = mp->npages - k < npages - i ? mp->npages - k : npages - i;
			for (uint64_t j = 0; j < run; j++, i++) {
				struct tsim_page *pg = &g->pages[mp->first + k + j];

				if ((flags & TEESIM_PIN_WRITE) && (pg->flags & TSIM_PGF_READONLY))
					goto done;
				pin_page(g, mp->first + k + j);
				ipas[i] = g->ipa_base + (mp->first + k + j) * TSIM_PAGE;
			}
			continue;
		}
		if (!m->cfg.allow_host_memory)
			break;
		/* host memory up to the next mapping of the process */
		run = npages - i;
		if (next < p->nmaps && (p->maps[next].addr - a) / TSIM_PAGE < run)
			run = (p->maps[next].addr - a) / TSIM_PAGE;
		want = run;
		run = host_usable_pages(m, a, want, flags & TEESIM_PIN_WRITE);
		for (uint64_t j = 0; j < run; j++, i++) {
			uintptr_t hp = a + j * TSIM_PAGE;
			uint64_t idx;

			if (machine_memory(m, hp))
				goto done;
			idx = host_page(p, hp, &err);
			if (idx == UINT64_MAX)
				goto done;
			pin_page(g, idx);
			ipas[i] = g->ipa_base + idx * TSIM_PAGE;
		}
		if (run < want)
			break; /* an unmapped host page */
	}
done:
	pthread_mutex_unlock(&m->lock);
	return i ? (long) i : err;
}
