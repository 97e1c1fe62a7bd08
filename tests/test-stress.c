/* SPDX-License-Identifier: MIT */
/*
 * Concurrency stress over one full stack (public API only): host threads
 * run seeded random mixes of every user-visible operation (open / close of
 * /dev/tee0, SHM_ALLOC, SHM_REGISTER, mmap / munmap, open / invoke / cancel
 * / close session, memrefs, RPCs through a supplicant thread, foreign
 * interrupts, process exit with things open). Two shared clients give the
 * cross-thread races: one thread closes a shm fd (its last reference) while
 * another passes the id in a memref, looks the id up or maps the fd; a
 * device fd is closed and reopened under calls of other threads. Each
 * thread also has a private client whose results are checked exactly.
 *
 * Bounded by operation counts, never by time. No real sleep: a watchdog
 * (the test's main thread) watches the progress counter with a bounded
 * sched_yield spin and fails with every thread's current operation if the
 * counter stops moving. At the end every thread is joined, every process
 * freed, and both worlds must hold nothing.
 */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>

#include "optee-util.h"

#define VIN  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT
#define VOUT TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT
#define VIO  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT
#define MIN  TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT
#define MOUT TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT
#define RW   (TEESIM_PROT_READ | TEESIM_PROT_WRITE)
#define PG   TEESIM_PAGE_SIZE

#define MAX_THREADS   8
#define SHARED	      2 /* shared clients */
#define SHM_SLOTS     8 /* shm slots per shared client */
#define SESS_SLOTS    3 /* session slots per shared client */
#define REG_PAGES     5 /* user memory per shm slot (registration) */
#define PRIV_SHMS     4 /* shms a private client keeps */
#define PRIV_PAGES    9 /* private registration region */
#define SHARED_BYTE   0x5a
#define CUSTOM_CMD    0x7777u
#define STALL_SPINS   (1ul << 25) /* watchdog: yields without progress before failing */
#define FAIL_MSG_SIZE 256

enum slot_state { SLOT_EMPTY = 0, SLOT_BUSY, SLOT_LIVE };

struct shm_slot {
	enum slot_state state;
	int fd, id;
	uint64_t size;
	void *map; /* pool buffers: the creator's mapping (PG * pages) */
	size_t maplen;
};

struct sess_slot {
	enum slot_state state;
	uint32_t session;
	unsigned users; /* calls in flight on it: a session is closed only at 0 */
};

struct shared {
	struct teesim_process *p;
	int devfd; /* -1 while being reopened */
	uint8_t *regmem;
	struct shm_slot shm[SHM_SLOTS];
	struct sess_slot sess[SESS_SLOTS];
};

struct run;

/* A thread's own client: results are exact. */
struct priv {
	struct ot c;
	uint32_t mem_sess, rpc_sess;
	uint8_t *reg;
	int shm_fd[PRIV_SHMS];
	void *shm_map[PRIV_SHMS];
	size_t shm_maplen[PRIV_SHMS];
};

struct worker {
	struct run *r;
	unsigned idx;
	uint64_t rng;
	unsigned ops;
	struct priv pv;
	/* under run->lock */
	unsigned done_ops;
	const char *current;
	char fail[FAIL_MSG_SIZE];
};

struct counts {
	uint64_t memref_ok, memref_stale, lookups_hit, lookups_miss, mmap_ok, mmap_err, closes,
	    exits, dev_recycles, cancels, supp_rpcs, loads;
};

struct run {
	struct teesim_stack *st;
	pthread_mutex_t lock; /* the shared clients' tables, progress, counts */
	struct shared sh[SHARED];
	struct worker w[MAX_THREADS];
	unsigned nthreads;
	bool stop;
	uint64_t progress;
	struct counts n;
	int supp_rounds, supp_last;
};

/* ---- small helpers ---- */

static uint64_t rnd(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned pick(struct worker *w, unsigned n)
{
	return (unsigned) (rnd(&w->rng) % n);
}

static bool failed(struct worker *w)
{
	bool f;

	pthread_mutex_lock(&w->r->lock);
	f = w->r->stop;
	pthread_mutex_unlock(&w->r->lock);
	return f;
}

/* Record the first failure of a worker and stop every thread (no ck_assert off the main thread). */
static void wfail(struct worker *w, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&w->r->lock);
	if (!w->fail[0]) {
		int n = snprintf(w->fail, sizeof(w->fail), "thread %u op %u (%s): ", w->idx,
				 w->done_ops, w->current ? w->current : "-");

		va_start(ap, fmt);
		if (n > 0 && (size_t) n < sizeof(w->fail))
			vsnprintf(w->fail + n, sizeof(w->fail) - (size_t) n, fmt, ap);
		va_end(ap);
	}
	w->r->stop = true;
	pthread_mutex_unlock(&w->r->lock);
}

#define EXPECT(w, cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			wfail((w), __VA_ARGS__);                                                   \
			return;                                                                    \
		}                                                                                  \
	} while (0)

static void count(struct run *r, uint64_t *field)
{
	pthread_mutex_lock(&r->lock);
	(*field)++;
	pthread_mutex_unlock(&r->lock);
}

/* ot_* helpers on a shared client through the fd given. */
static struct ot view(struct run *r, struct teesim_process *p, int fd)
{
	struct ot o = {.st = r->st, .p = p, .fd = fd};

	return o;
}

static bool errno_ok(int rc)
{
	/* what a call on a stale fd / id / session may answer */
	return rc == 0 || rc == -EINVAL || rc == -EBADF || rc == -ENOTTY;
}

/* ---- shared clients: the cross-thread races ---- */

/* SHM_ALLOC (+ mmap, fill) or SHM_REGISTER into an empty slot. */
static void sh_create(struct worker *w, struct shared *sh)
{
	struct run *r = w->r;
	unsigned i = pick(w, SHM_SLOTS);
	bool reg = pick(w, 2);
	struct shm_slot s = {0};
	struct ot o;
	int fd, id = -1;

	pthread_mutex_lock(&r->lock);
	if (sh->shm[i].state != SLOT_EMPTY || sh->devfd < 0) {
		pthread_mutex_unlock(&r->lock);
		return;
	}
	sh->shm[i].state = SLOT_BUSY;
	o = view(r, sh->p, sh->devfd);
	pthread_mutex_unlock(&r->lock);
	if (reg) {
		uint64_t off = pick(w, 2) ? 0x10 : 0;
		uint64_t len = (1 + pick(w, REG_PAGES - 1)) * PG - off;

		fd = ot_shm_register(&o, sh->regmem + (size_t) i * REG_PAGES * PG + off, len, &id);
		s.size = len;
	} else {
		s.size = (1 + pick(w, 3)) * PG;
		fd = ot_shm_alloc(&o, s.size, &id);
		if (fd >= 0) {
			s.map = teesim_mmap(sh->p, fd, s.size, RW, 0);
			if (!s.map) {
				wfail(w, "mmap of a fresh pool shm: %s", strerror(errno));
				teesim_close(sh->p, fd);
				fd = -1;
			} else {
				s.maplen = s.size;
				memset(s.map, SHARED_BYTE, s.size);
			}
		}
	}
	/* the device fd may have been closed (and its number reused) meanwhile */
	if (fd < 0 && !errno_ok(fd))
		wfail(w, "%s: %d", reg ? "SHM_REGISTER" : "SHM_ALLOC", fd);
	pthread_mutex_lock(&r->lock);
	if (fd >= 0) {
		s.state = SLOT_LIVE;
		s.fd = fd;
		s.id = id;
		sh->shm[i] = s;
	} else {
		sh->shm[i].state = SLOT_EMPTY;
	}
	pthread_mutex_unlock(&r->lock);
}

/* Drop a slot: munmap, then close the fd (the last reference, from any thread). */
static void sh_drop(struct worker *w, struct shared *sh)
{
	struct run *r = w->r;
	unsigned i = pick(w, SHM_SLOTS);
	struct shm_slot s;
	int rc;

	pthread_mutex_lock(&r->lock);
	if (sh->shm[i].state != SLOT_LIVE) {
		pthread_mutex_unlock(&r->lock);
		return;
	}
	s = sh->shm[i];
	sh->shm[i].state = SLOT_BUSY;
	pthread_mutex_unlock(&r->lock);
	/* sometimes close the fd first: the mapping then holds the last reference */
	if (s.map && pick(w, 2)) {
		rc = teesim_close(sh->p, s.fd);
		if (!rc)
			rc = teesim_munmap(sh->p, s.map, s.maplen);
	} else {
		rc = s.map ? teesim_munmap(sh->p, s.map, s.maplen) : 0;
		if (!rc)
			rc = teesim_close(sh->p, s.fd);
	}
	if (rc)
		wfail(w, "drop of shm fd %d: %d", s.fd, rc);
	count(r, &r->n.closes);
	pthread_mutex_lock(&r->lock);
	sh->shm[i].state = SLOT_EMPTY;
	pthread_mutex_unlock(&r->lock);
}

/* Take a live session slot for a call (users + 1); false if there is none. */
static bool sess_get(struct worker *w, struct shared *sh, unsigned *j, uint32_t *session)
{
	unsigned k = pick(w, SESS_SLOTS);
	bool ok = false;

	pthread_mutex_lock(&w->r->lock);
	if (sh->sess[k].state == SLOT_LIVE) {
		sh->sess[k].users++;
		*session = sh->sess[k].session;
		*j = k;
		ok = true;
	}
	pthread_mutex_unlock(&w->r->lock);
	return ok;
}

static void sess_put(struct worker *w, struct shared *sh, unsigned j)
{
	pthread_mutex_lock(&w->r->lock);
	sh->sess[j].users--;
	pthread_mutex_unlock(&w->r->lock);
}

/*
 * The lookup-versus-last-put race: the id is read from the table and used
 * with no lock held, while another thread may be dropping it; a stale id
 * (or one a new shm took meanwhile) must give -EINVAL or a correct call.
 */
static void sh_memref(struct worker *w, struct shared *sh)
{
	struct run *r = w->r;
	unsigned i = pick(w, SHM_SLOTS), j;
	struct tee_ioctl_param p[2];
	uint32_t session, ret = 1, origin = 0;
	uint64_t len;
	struct ot o;
	int id, rc;

	if (!sess_get(w, sh, &j, &session))
		return;
	pthread_mutex_lock(&r->lock);
	id = sh->shm[i].state == SLOT_LIVE ? sh->shm[i].id : (int) (1 + pick(w, 2 * SHM_SLOTS));
	len = sh->shm[i].state == SLOT_LIVE ? sh->shm[i].size : PG;
	o = view(r, sh->p, sh->devfd);
	pthread_mutex_unlock(&r->lock);
	len = 1 + pick(w, (unsigned) (len < PG ? len : PG));
	p[0] = ot_memref(MIN, id, 0, len);
	p[1] = ot_value(VOUT, 0, 0, 0);
	rc = ot_invoke(&o, session, TEESIM_TA_MEM_CMD_READ, p, 2, &ret, &origin);
	sess_put(w, sh, j);
	EXPECT(w, errno_ok(rc), "memref invoke: %d", rc);
	if (rc) {
		count(r, &r->n.memref_stale);
		return;
	}
	/* whatever shm the id named, the call completed and read 0x5a or not-yet-filled bytes */
	EXPECT(w, ret == 0, "memref invoke: ret %#x origin %u", ret, origin);
	EXPECT(w, p[1].a % SHARED_BYTE == 0 && p[1].a <= SHARED_BYTE * len,
	       "memref read sum %#llx for %llu bytes", (unsigned long long) p[1].a,
	       (unsigned long long) len);
	count(r, &r->n.memref_ok);
}

/* A lookup by id (the public lookup) racing the last put. */
static void sh_lookup(struct worker *w, struct shared *sh)
{
	struct run *r = w->r;
	unsigned i = pick(w, SHM_SLOTS);
	struct teesim_tee_shm_info si;
	int id, rc;

	pthread_mutex_lock(&r->lock);
	id = sh->shm[i].state == SLOT_LIVE ? sh->shm[i].id : (int) (1 + pick(w, 2 * SHM_SLOTS));
	pthread_mutex_unlock(&r->lock);
	rc = teesim_tee_shm_info(teesim_process_guest(sh->p), "/dev/tee0", id, &si);
	EXPECT(w, rc == 0 || rc == -ENOENT || rc == -EBUSY, "shm_info: %d", rc);
	if (!rc)
		EXPECT(w, si.id == id && si.refs >= 1 && si.size >= 1, "shm_info %d: refs %u", id,
		       si.refs);
	count(r, rc ? &r->n.lookups_miss : &r->n.lookups_hit);
}

/* mmap of a fd number another thread may be closing (or that now names something else). */
static void sh_mmap(struct worker *w, struct shared *sh)
{
	struct run *r = w->r;
	unsigned i = pick(w, SHM_SLOTS);
	void *a;
	int fd, e;

	pthread_mutex_lock(&r->lock);
	fd = sh->shm[i].state == SLOT_LIVE ? sh->shm[i].fd : (int) (3 + pick(w, SHM_SLOTS + 4));
	pthread_mutex_unlock(&r->lock);
	a = teesim_mmap(sh->p, fd, PG, RW, 0);
	if (!a) {
		e = errno;
		EXPECT(w, e == EBADF || e == ENODEV || e == EINVAL, "mmap: %s", strerror(e));
		count(r, &r->n.mmap_err);
		return;
	}
	e = teesim_munmap(sh->p, a, PG);
	EXPECT(w, e == 0, "munmap: %d", e);
	count(r, &r->n.mmap_ok);
}

static void sh_open_session(struct worker *w, struct shared *sh)
{
	struct run *r = w->r;
	unsigned k = pick(w, SESS_SLOTS);
	uint32_t s = 0, ret = 1, origin = 0;
	struct ot o;
	int rc;

	pthread_mutex_lock(&r->lock);
	if (sh->sess[k].state != SLOT_EMPTY || sh->devfd < 0) {
		pthread_mutex_unlock(&r->lock);
		return;
	}
	sh->sess[k].state = SLOT_BUSY;
	o = view(r, sh->p, sh->devfd);
	pthread_mutex_unlock(&r->lock);
	rc = ot_open(&o, TEESIM_TA_MEM_UUID, TEE_IOCTL_LOGIN_PUBLIC, NULL, 0, &s, &ret, &origin);
	if (!errno_ok(rc) || (!rc && ret))
		wfail(w, "open session: %d ret %#x origin %u", rc, ret, origin);
	pthread_mutex_lock(&r->lock);
	sh->sess[k].state = !rc && !ret ? SLOT_LIVE : SLOT_EMPTY;
	sh->sess[k].session = s;
	sh->sess[k].users = 0;
	pthread_mutex_unlock(&r->lock);
}

/* Close a session nobody is calling (through whatever device fd is current). */
static void sh_close_session(struct worker *w, struct shared *sh)
{
	struct run *r = w->r;
	unsigned k = pick(w, SESS_SLOTS);
	uint32_t s;
	struct ot o;
	int rc;

	pthread_mutex_lock(&r->lock);
	if (sh->sess[k].state != SLOT_LIVE || sh->sess[k].users || sh->devfd < 0) {
		pthread_mutex_unlock(&r->lock);
		return;
	}
	sh->sess[k].state = SLOT_BUSY;
	s = sh->sess[k].session;
	o = view(r, sh->p, sh->devfd);
	pthread_mutex_unlock(&r->lock);
	/* -EINVAL: the session belonged to a device fd closed since (closed at its release) */
	rc = ot_close(&o, s);
	if (!errno_ok(rc))
		wfail(w, "close session: %d", rc);
	pthread_mutex_lock(&r->lock);
	sh->sess[k].state = SLOT_EMPTY;
	pthread_mutex_unlock(&r->lock);
}

static void sh_cancel(struct worker *w, struct shared *sh)
{
	struct run *r = w->r;
	uint32_t session;
	unsigned j;
	struct ot o;
	int rc;

	if (!sess_get(w, sh, &j, &session))
		return;
	pthread_mutex_lock(&r->lock);
	o = view(r, sh->p, sh->devfd);
	pthread_mutex_unlock(&r->lock);
	rc = ot_cancel(&o, session, pick(w, 100));
	sess_put(w, sh, j);
	EXPECT(w, errno_ok(rc), "cancel: %d", rc);
	count(r, &r->n.cancels);
}

/* Close the shared client's device fd under the other threads' calls, and open a new one. */
static void sh_recycle_dev(struct worker *w, struct shared *sh)
{
	struct run *r = w->r;
	int old, fd, rc;

	pthread_mutex_lock(&r->lock);
	old = sh->devfd;
	sh->devfd = -1;
	pthread_mutex_unlock(&r->lock);
	if (old < 0)
		return;
	rc = teesim_close(sh->p, old);
	fd = teesim_open(sh->p, "/dev/tee0", 0);
	if (rc || fd < 3)
		wfail(w, "device fd recycle: close %d open %d", rc, fd);
	pthread_mutex_lock(&r->lock);
	sh->devfd = fd;
	r->n.dev_recycles++;
	pthread_mutex_unlock(&r->lock);
}

/* ---- private clients: exact results ---- */

static void pv_start(struct worker *w)
{
	struct priv *pv = &w->pv;

	memset(pv, 0, sizeof(*pv));
	pv->c.st = w->r->st;
	pv->c.p = teesim_process_new(teesim_machine_guest(w->r->st->machine, 0));
	pv->c.fd = pv->c.p ? teesim_open(pv->c.p, "/dev/tee0", 0) : -1;
	pv->reg = pv->c.p ? teesim_process_mmap(pv->c.p, PRIV_PAGES * PG, RW) : NULL;
	for (unsigned i = 0; i < PRIV_SHMS; i++)
		pv->shm_fd[i] = -1;
	if (!pv->reg || pv->c.fd < 3) {
		wfail(w, "private client: %s", strerror(errno));
		return;
	}
	pv->mem_sess = ot_open_ok(&pv->c, TEESIM_TA_MEM_UUID);
	pv->rpc_sess = ot_open_ok(&pv->c, TEESIM_TA_RPC_UUID);
}

/* Keep a private shm (closing the oldest kept one), or close it at once. */
static void pv_keep(struct worker *w, int fd, void *map, size_t maplen)
{
	struct priv *pv = &w->pv;
	unsigned i = pick(w, PRIV_SHMS);
	int rc = 0;

	if (pv->shm_map[i])
		rc = teesim_munmap(pv->c.p, pv->shm_map[i], pv->shm_maplen[i]);
	if (pv->shm_fd[i] >= 0 && !rc)
		rc = teesim_close(pv->c.p, pv->shm_fd[i]);
	EXPECT(w, rc == 0, "private drop: %d", rc);
	pv->shm_fd[i] = fd;
	pv->shm_map[i] = map;
	pv->shm_maplen[i] = maplen;
	/* sometimes only the mapping keeps the shm */
	if (map && pick(w, 3) == 0) {
		EXPECT(w, teesim_close(pv->c.p, fd) == 0, "close of a mapped shm fd");
		pv->shm_fd[i] = -1;
	}
}

/* Register (random length and offset) or allocate + map, fill, READ: exact checksums. */
static void pv_memref(struct worker *w, bool reg)
{
	struct priv *pv = &w->pv;
	struct tee_ioctl_param p[2];
	uint32_t ret = 1, origin = 0;
	uint8_t *buf, seed = (uint8_t) pick(w, 256);
	uint64_t len, off = 0;
	void *map = NULL;
	int fd, id = -1, rc;

	if (reg) {
		off = pick(w, PG);
		len = 1 + pick(w, (PRIV_PAGES - 1) * PG);
		buf = pv->reg + off;
		for (uint64_t k = 0; k < len; k++)
			buf[k] = (uint8_t) (seed + k * 7);
		fd = ot_shm_register(&pv->c, buf, len, &id);
		EXPECT(w, fd >= 3, "private SHM_REGISTER of %llu at +%llu: %d",
		       (unsigned long long) len, (unsigned long long) off, fd);
	} else {
		len = (1 + pick(w, 4)) * PG;
		fd = ot_shm_alloc(&pv->c, len, &id);
		EXPECT(w, fd >= 3, "private SHM_ALLOC of %llu: %d", (unsigned long long) len, fd);
		map = teesim_mmap(pv->c.p, fd, len, RW, 0);
		EXPECT(w, map != NULL, "private mmap: %s", strerror(errno));
		buf = map;
		for (uint64_t k = 0; k < len; k++)
			buf[k] = (uint8_t) (seed + k * 7);
	}
	p[0] = ot_memref(MIN, id, 0, len);
	p[1] = ot_value(VOUT, 0, 0, 0);
	rc = ot_invoke(&pv->c, pv->mem_sess, TEESIM_TA_MEM_CMD_READ, p, 2, &ret, &origin);
	EXPECT(w, rc == 0 && ret == 0, "private READ: %d ret %#x origin %u", rc, ret, origin);
	EXPECT(w, p[1].a == ot_sum(buf, len) && p[1].b == ot_fnv(buf, len),
	       "private READ checksum of %llu bytes", (unsigned long long) len);
	/* WRITE through the same memref, seen in user memory */
	p[0] = ot_memref(MOUT, id, 0, len);
	p[1] = ot_value(VIN, seed, 0, 0);
	rc = ot_invoke(&pv->c, pv->mem_sess, TEESIM_TA_MEM_CMD_WRITE, p, 2, &ret, &origin);
	EXPECT(w, rc == 0 && ret == 0, "private WRITE: %d ret %#x", rc, ret);
	for (uint64_t k = 0; k < len; k++)
		EXPECT(w, buf[k] == (uint8_t) (seed + k), "private WRITE byte %llu",
		       (unsigned long long) k);
	if (reg)
		EXPECT(w, teesim_close(pv->c.p, fd) == 0, "close of a registered shm");
	else
		pv_keep(w, fd, map, len);
}

/* RPCs: GET_TIME (kernel), SHM_ALLOC of APPL type and an unknown command (supplicant). */
static void pv_rpc(struct worker *w)
{
	static const uint32_t cmds[] = {TEESIM_TA_RPC_CMD_GET_TIME, TEESIM_TA_RPC_CMD_SHM_ALLOC,
					TEESIM_TA_RPC_CMD_CUSTOM};
	struct priv *pv = &w->pv;
	unsigned k = pick(w, 3);
	struct tee_ioctl_param p[2];
	uint32_t ret = 1, want = 0;
	int rc;

	p[0] = ot_value(VOUT, 0, 0, 0);
	if (cmds[k] == TEESIM_TA_RPC_CMD_SHM_ALLOC)
		p[1] = ot_value(VIN, TEESIM_OPTEE_RPC_SHM_TYPE_APPL, 1 + pick(w, 3 * PG), 0);
	else
		p[1] = ot_value(VIN, CUSTOM_CMD, 0, 0);
	if (cmds[k] == TEESIM_TA_RPC_CMD_CUSTOM)
		want = TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
	rc = ot_invoke(&pv->c, pv->rpc_sess, cmds[k], p, 2, &ret, NULL);
	EXPECT(w, rc == 0 && ret == 0 && p[0].a == want, "RPC command %u: %d ret %#x result %#llx",
	       cmds[k], rc, ret, (unsigned long long) p[0].a);
	if (k)
		count(w->r, &w->r->n.supp_rpcs);
}

/* Open the loadable TA (LOAD_TA through the supplicant), NOP, close. */
static void pv_load(struct worker *w)
{
	struct priv *pv = &w->pv;
	struct tee_ioctl_param p = ot_value(VIO, 41, 0, 0);
	uint32_t s, ret = 1;
	int rc;

	s = ot_open_ok(&pv->c, TEESIM_TA_LOAD_UUID);
	rc = ot_invoke(&pv->c, s, 0, &p, 1, &ret, NULL);
	EXPECT(w, rc == 0 && ret == 0, "load TA NOP: %d ret %#x", rc, ret);
	EXPECT(w, ot_close(&pv->c, s) == 0, "load TA close");
	count(w->r, &w->r->n.loads);
}

/* A second device fd: a shm registered through it outlives its close. */
static void pv_second_dev(struct worker *w)
{
	struct priv *pv = &w->pv;
	struct ot o = pv->c;
	int fd, id, sfd;

	fd = teesim_open(pv->c.p, "/dev/tee0", 0);
	EXPECT(w, fd >= 3, "second open: %d", fd);
	o.fd = fd;
	sfd = ot_shm_register(&o, pv->reg, PG, &id);
	EXPECT(w, sfd >= 3, "register on a second fd: %d", sfd);
	EXPECT(w, teesim_close(pv->c.p, fd) == 0, "close of the second fd");
	pv_keep(w, sfd, NULL, 0);
}

/* exit(2) with sessions, shm fds, mappings and registrations open; then a new client. */
static void pv_exit(struct worker *w)
{
	teesim_process_free(w->pv.c.p);
	w->pv.c.p = NULL;
	count(w->r, &w->r->n.exits);
	pv_start(w);
}

static void pv_cancel(struct worker *w)
{
	int rc = ot_cancel(&w->pv.c, w->pv.mem_sess, pick(w, 1000));

	EXPECT(w, rc == 0, "private cancel: %d", rc);
}

/* ---- the threads ---- */

struct op {
	const char *name;
	unsigned weight;
	void (*sh)(struct worker *, struct shared *);
	void (*pv)(struct worker *);
};

static void pv_reg(struct worker *w)
{
	pv_memref(w, true);
}

static void pv_alloc(struct worker *w)
{
	pv_memref(w, false);
}

static void pv_intr(struct worker *w)
{
	teesim_sw_inject_foreign_intr(w->r->st->sw, 1 + pick(w, 3));
}

static const struct op ops[] = {
    {"shared create", 14, sh_create, NULL},
    {"shared drop", 12, sh_drop, NULL},
    {"shared memref", 16, sh_memref, NULL},
    {"shared lookup", 6, sh_lookup, NULL},
    {"shared mmap", 6, sh_mmap, NULL},
    {"shared open session", 4, sh_open_session, NULL},
    {"shared close session", 3, sh_close_session, NULL},
    {"shared cancel", 2, sh_cancel, NULL},
    {"shared device fd recycle", 1, sh_recycle_dev, NULL},
    {"private register", 6, NULL, pv_reg},
    {"private alloc", 5, NULL, pv_alloc},
    {"private rpc", 5, NULL, pv_rpc},
    {"private load", 1, NULL, pv_load},
    {"private second fd", 2, NULL, pv_second_dev},
    {"private exit", 1, NULL, pv_exit},
    {"private cancel", 1, NULL, pv_cancel},
    {"foreign interrupts", 1, NULL, pv_intr},
};

static const struct op *choose(struct worker *w)
{
	unsigned total = 0, x;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		total += ops[i].weight;
	x = pick(w, total);
	for (size_t i = 0;; i++) {
		if (x < ops[i].weight)
			return &ops[i];
		x -= ops[i].weight;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;

	pv_start(w);
	for (unsigned k = 0; k < w->ops && !failed(w); k++) {
		const struct op *op = choose(w);

		pthread_mutex_lock(&r->lock);
		w->current = op->name;
		pthread_mutex_unlock(&r->lock);
		if (op->sh)
			op->sh(w, &r->sh[pick(w, SHARED)]);
		else
			op->pv(w);
		pthread_mutex_lock(&r->lock);
		w->current = NULL;
		w->done_ops++;
		r->progress++;
		pthread_mutex_unlock(&r->lock);
	}
	/* the private client exits with whatever it holds */
	teesim_process_free(w->pv.c.p);
	w->pv.c.p = NULL;
	return NULL;
}

static void *supp_main(void *arg)
{
	struct run *r = arg;

	for (;;) {
		int rc = teesim_supplicant_serve_fd(r->st->supp, r->st->supp_proc, r->st->supp_fd);

		if (rc == -EINTR) {
			r->supp_last = rc;
			return NULL;
		}
		r->supp_rounds++;
	}
}

/*
 * The watchdog: no real sleep, a bounded spin. The counter must move at
 * least once every STALL_SPINS yields; otherwise every thread's current
 * operation is printed and the test fails (the threads are left blocked).
 */
static void watchdog(struct run *r)
{
	uint64_t last = UINT64_MAX, want = 0;
	unsigned long idle = 0;

	for (unsigned i = 0; i < r->nthreads; i++)
		want += r->w[i].ops;
	for (;;) {
		uint64_t now;
		bool stop, all_done = true;

		pthread_mutex_lock(&r->lock);
		now = r->progress;
		stop = r->stop;
		for (unsigned i = 0; i < r->nthreads; i++)
			if (r->w[i].done_ops < r->w[i].ops && !r->w[i].fail[0])
				all_done = false;
		if (idle >= STALL_SPINS) {
			fprintf(stderr, "stress: no progress for %lu yields at %llu/%llu ops\n",
				idle, (unsigned long long) now, (unsigned long long) want);
			for (unsigned i = 0; i < r->nthreads; i++)
				fprintf(stderr, "  thread %u: op %u/%u, in %s\n", i,
					r->w[i].done_ops, r->w[i].ops,
					r->w[i].current ? r->w[i].current : "(between ops)");
		}
		pthread_mutex_unlock(&r->lock);
		ck_assert_msg(idle < STALL_SPINS, "deadlock: no progress (see the thread list)");
		if (all_done || stop)
			return;
		if (now != last) {
			last = now;
			idle = 0;
		} else {
			idle++;
		}
		sched_yield();
	}
}

static void shared_new(struct run *r, struct shared *sh)
{
	sh->p = teesim_process_new(teesim_machine_guest(r->st->machine, 0));
	ck_assert_ptr_nonnull(sh->p);
	sh->devfd = teesim_open(sh->p, "/dev/tee0", 0);
	ck_assert_int_ge(sh->devfd, 3);
	sh->regmem = teesim_process_mmap(sh->p, SHM_SLOTS * REG_PAGES * PG, RW);
	ck_assert_ptr_nonnull(sh->regmem);
	memset(sh->regmem, SHARED_BYTE, SHM_SLOTS * REG_PAGES * PG);
}

/* Both worlds hold nothing of the clients: only the supplicant's context and fd remain. */
static void assert_idle_empty(struct run *r)
{
	struct ot t = {.st = r->st};
	struct teesim_tee_stats core = ot_core(&t);
	struct teesim_sw_stats sw = ot_sw(&t);
	struct teesim_optee_info drv = ot_drv(&t);
	struct teesim_machine_stats ms;
	struct teesim_check_report *rep;
	unsigned problems;

	ck_assert_uint_eq(core.contexts, 1);
	ck_assert_uint_eq(core.files, 1);
	ck_assert_uint_eq(core.sessions, 0);
	ck_assert_uint_eq(core.mappings, 0);
	ck_assert_uint_eq(core.pinned_pages, 0);
	ck_assert_uint_eq(core.ids, 0); /* the shms left are the driver's own (argument cache) */
	ck_assert_uint_eq(sw.sessions, 0);
	ck_assert_uint_eq(sw.shm_objects, 0);
	ck_assert_uint_eq(sw.rpc_shm_objects, 0);
	ck_assert_uint_eq(sw.threads_busy, 0);
	ck_assert_uint_eq(sw.threads_suspended, 0);
	ck_assert_uint_eq(drv.active_calls, 0);
	ck_assert_uint_eq(drv.call_waiters, 0);
	ck_assert_uint_eq(drv.registered, 0);
	ck_assert_uint_eq(drv.arg_cache_in_use, 0);
	ck_assert_uint_eq(drv.supp_queued + drv.supp_in_progress, 0);
	ck_assert_uint_eq(drv.supp_failed, 0);
	ck_assert_uint_eq(drv.wait_queue, 0);
	ck_assert_uint_eq(drv.bad_cookies, 0);
	teesim_machine_stats(r->st->machine, &ms);
	ck_assert_uint_eq(ms.processes, 1);
	rep = malloc(sizeof(*rep));
	ck_assert_ptr_nonnull(rep);
	problems = teesim_check_stack(r->st, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, rep);
	if (problems)
		fprintf(stderr, "checker: %u problem(s):\n%s\n", problems, rep->text);
	free(rep);
	ck_assert_uint_eq(problems, 0);
	ck_assert_uint_eq(ms.pins, 0);
	ck_assert_uint_eq(ms.host_pages, 0);
	ck_assert_uint_eq(ms.violations, 0);
}

static void stress(enum teesim_optee_drv_gen gen, unsigned nthreads, unsigned ops_per_thread,
		   uint64_t seed)
{
	struct teesim_stack_cfg c;
	pthread_t th[MAX_THREADS], sth;
	struct run *r = calloc(1, sizeof(*r));
	struct teesim_supplicant_stats ss;

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_le(nthreads, MAX_THREADS);
	teesim_stack_cfg_default(&c);
	teesim_optee_cfg_default(&c.drv, gen);
	c.supp = TEESIM_STACK_SUPP_EXTERNAL;
	c.machine.seed = seed;
	r->st = teesim_stack_new(&c);
	ck_assert_ptr_nonnull(r->st);
	pthread_mutex_init(&r->lock, NULL);
	r->nthreads = nthreads;
	for (unsigned i = 0; i < SHARED; i++)
		shared_new(r, &r->sh[i]);
	ck_assert_int_eq(pthread_create(&sth, NULL, supp_main, r), 0);
	for (unsigned i = 0; i < nthreads; i++) {
		r->w[i].r = r;
		r->w[i].idx = i;
		r->w[i].rng = seed * 1000003u + i;
		r->w[i].ops = ops_per_thread;
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker_main, &r->w[i]), 0);
	}
	watchdog(r);
	for (unsigned i = 0; i < nthreads; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	for (unsigned i = 0; i < nthreads; i++)
		ck_assert_msg(!r->w[i].fail[0], "%s", r->w[i].fail);
	teesim_optee_supp_interrupt(r->st->drv);
	ck_assert_int_eq(pthread_join(sth, NULL), 0);
	ck_assert_int_eq(r->supp_last, -EINTR);
	/* the races happened: both outcomes of the stale-id race, closes, exits */
	fprintf(stderr,
		"stress gen %d, %u threads x %u ops, seed %llu: memref ok %llu stale %llu, "
		"lookups %llu/%llu, mmap %llu/%llu, closes %llu, exits %llu, fd recycles %llu, "
		"cancels %llu, supplicant RPCs %llu, loads %llu, supplicant rounds %d\n",
		(int) gen, nthreads, ops_per_thread, (unsigned long long) seed,
		(unsigned long long) r->n.memref_ok, (unsigned long long) r->n.memref_stale,
		(unsigned long long) r->n.lookups_hit, (unsigned long long) r->n.lookups_miss,
		(unsigned long long) r->n.mmap_ok, (unsigned long long) r->n.mmap_err,
		(unsigned long long) r->n.closes, (unsigned long long) r->n.exits,
		(unsigned long long) r->n.dev_recycles, (unsigned long long) r->n.cancels,
		(unsigned long long) r->n.supp_rpcs, (unsigned long long) r->n.loads,
		r->supp_rounds);
	ck_assert_uint_eq(r->progress, (uint64_t) nthreads * ops_per_thread);
	ck_assert_uint_gt(r->n.memref_ok, 0);
	ck_assert_uint_gt(r->n.memref_stale, 0);
	ck_assert_uint_gt(r->n.closes, 0);
	ck_assert_uint_gt(r->n.exits, 0);
	ck_assert_uint_gt(r->n.supp_rpcs, 0);
	teesim_supplicant_stats(r->st->supp, &ss);
	ck_assert_uint_eq(ss.dropped, 0);
	/* the shared clients exit with everything they hold */
	for (unsigned i = 0; i < SHARED; i++)
		teesim_process_free(r->sh[i].p);
	assert_idle_empty(r);
	teesim_supplicant_stats(r->st->supp, &ss);
	ck_assert_uint_eq(ss.open_files + ss.open_dirs, 0);
	pthread_mutex_destroy(&r->lock);
	teesim_stack_free(r->st);
	free(r);
}

START_TEST(test_stress_later_4)
{
	stress(TEESIM_OPTEE_DRV_LATER, 4, 1500, 1);
}
END_TEST

START_TEST(test_stress_later_8)
{
	stress(TEESIM_OPTEE_DRV_LATER, 8, 800, 2);
}
END_TEST

START_TEST(test_stress_v416_6)
{
	stress(TEESIM_OPTEE_DRV_V4_16, 6, 1000, 3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stress");
	TCase *tc = tcase_create("stress");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_stress_later_4);
	tcase_add_test(tc, test_stress_later_8);
	tcase_add_test(tc, test_stress_v416_6);
	suite_add_tcase(s, tc);
	return th_run(s);
}
