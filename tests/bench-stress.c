/* SPDX-License-Identifier: MIT */
/*
 * Throughput of a seeded concurrent mix over one full stack (public API):
 * T host threads, each with its own client, plus two shared clients whose
 * shm ids are passed in memrefs while other threads close them. Per
 * operation, one of: SHM_REGISTER + READ + close, SHM_ALLOC + mmap + READ +
 * munmap + close, NOP invoke, open + close session, an RPC through the
 * supplicant thread, a memref with a shared (possibly stale) id, a shared
 * shm recreated. Fixed operation count, fixed seed; prints operations per
 * second for 1, 2, 4 and 8 threads (best of 3 rounds).
 *
 *   build/tests/bench-stress [ops-per-thread]
 */
#include <errno.h>
#include <linux/tee.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <teesim/teesim.h>

#define PG	  TEESIM_PAGE_SIZE
#define RW	  (TEESIM_PROT_READ | TEESIM_PROT_WRITE)
#define SLOTS	  8
#define MAX_T	  8
#define SEED	  0x5eedu
#define ROUNDS	  3
#define DEF_OPS	  4000
#define CUSTOM_RQ 0x7777u

_Noreturn static void die(const char *what, long rc)
{
	fprintf(stderr, "bench-stress: %s failed (%ld)\n", what, rc);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A client: a process, its device fd, argument pages, sessions. */
struct client {
	struct teesim_process *p;
	int fd;
	struct tee_ioctl_buf_data *buf;
	union {
		struct tee_ioctl_invoke_arg inv;
		uint8_t raw[PG];
	} * arg;
	struct tee_ioctl_open_session_arg *oarg;
	uint8_t *mem; /* 4 pages for registrations */
	uint32_t mem_sess, rpc_sess;
};

struct shared {
	struct client c;
	pthread_mutex_t lock;
	int fds[SLOTS], ids[SLOTS];
};

struct bench {
	struct teesim_stack *st;
	struct shared sh;
	unsigned ops;
};

struct worker {
	struct bench *b;
	struct client c;
	uint64_t rng;
	pthread_t th;
};

static int invoke(struct client *c, uint32_t s, uint32_t func, unsigned n,
		  const struct tee_ioctl_param *p, uint32_t *ret)
{
	int rc;

	memset(&c->arg->inv, 0, sizeof(c->arg->inv));
	c->arg->inv.session = s;
	c->arg->inv.func = func;
	c->arg->inv.num_params = n;
	memcpy(c->arg->inv.params, p, n * sizeof(*p));
	c->buf->buf_ptr = (uintptr_t) c->arg;
	c->buf->buf_len = sizeof(c->arg->inv) + n * sizeof(*p);
	rc = teesim_ioctl(c->p, c->fd, TEE_IOC_INVOKE, c->buf);
	*ret = c->arg->inv.ret;
	return rc;
}

static uint32_t open_session(struct client *c, const char *uuid)
{
	struct teesim_uuid u;
	int rc;

	if (teesim_uuid_parse(uuid, &u))
		die("uuid", 0);
	memset(c->oarg, 0, sizeof(*c->oarg));
	memcpy(c->oarg->uuid, u.b, 16);
	c->oarg->clnt_login = TEE_IOCTL_LOGIN_PUBLIC;
	c->buf->buf_ptr = (uintptr_t) c->oarg;
	c->buf->buf_len = sizeof(*c->oarg);
	rc = teesim_ioctl(c->p, c->fd, TEE_IOC_OPEN_SESSION, c->buf);
	if (rc || c->oarg->ret)
		die("open session", rc ? rc : (long) c->oarg->ret);
	return c->oarg->session;
}

static void close_session(struct client *c, uint32_t s)
{
	struct tee_ioctl_close_session_arg *a = (void *) c->oarg;
	int rc;

	a->session = s;
	rc = teesim_ioctl(c->p, c->fd, TEE_IOC_CLOSE_SESSION, a);
	if (rc)
		die("close session", rc);
}

static int shm_alloc(struct client *c, uint64_t size, int *id)
{
	struct tee_ioctl_shm_alloc_data *d = (void *) c->oarg;
	int rc;

	memset(d, 0, sizeof(*d));
	d->size = size;
	rc = teesim_ioctl(c->p, c->fd, TEE_IOC_SHM_ALLOC, d);
	*id = d->id;
	return rc;
}

static int shm_register(struct client *c, void *addr, uint64_t len, int *id)
{
	struct tee_ioctl_shm_register_data *d = (void *) c->oarg;
	int rc;

	memset(d, 0, sizeof(*d));
	d->addr = (uintptr_t) addr;
	d->length = len;
	rc = teesim_ioctl(c->p, c->fd, TEE_IOC_SHM_REGISTER, d);
	*id = d->id;
	return rc;
}

static void client_new(struct bench *b, struct client *c)
{
	c->p = teesim_process_new(teesim_machine_guest(b->st->machine, 0));
	if (!c->p)
		die("process", 0);
	c->fd = teesim_open(c->p, "/dev/tee0", 0);
	c->buf = teesim_process_mmap(c->p, PG, RW);
	c->arg = teesim_process_mmap(c->p, PG, RW);
	c->oarg = teesim_process_mmap(c->p, PG, RW);
	c->mem = teesim_process_mmap(c->p, 4 * PG, RW);
	if (c->fd < 3 || !c->buf || !c->arg || !c->oarg || !c->mem)
		die("client", c->fd);
	memset(c->mem, 0x5a, 4 * PG);
	c->mem_sess = open_session(c, TEESIM_TA_MEM_UUID);
	c->rpc_sess = open_session(c, TEESIM_TA_RPC_UUID);
}

static struct tee_ioctl_param prm(uint64_t attr, uint64_t a, uint64_t b, uint64_t c)
{
	struct tee_ioctl_param p = {.attr = attr, .a = a, .b = b, .c = c};

	return p;
}

static void read_memref(struct client *c, int id, uint64_t len)
{
	struct tee_ioctl_param p[2] = {
	    prm(TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, 0, len, (uint64_t) id),
	    prm(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0)};
	uint32_t ret;
	int rc = invoke(c, c->mem_sess, TEESIM_TA_MEM_CMD_READ, 2, p, &ret);

	if (rc || ret)
		die("READ", rc ? rc : (long) ret);
}

static void op(struct worker *w)
{
	struct client *c = &w->c;
	struct shared *sh = &w->b->sh;
	uint64_t r = rnd(&w->rng);
	uint32_t ret;
	int fd, id, rc;

	switch (r % 8) {
	case 0: /* register + READ + close */
		fd = shm_register(c, c->mem + (r >> 8) % 64, PG + (r >> 16) % (2 * PG), &id);
		if (fd < 0)
			die("SHM_REGISTER", fd);
		read_memref(c, id, PG);
		teesim_close(c->p, fd);
		break;
	case 1: { /* alloc + mmap + READ */
		void *m;

		fd = shm_alloc(c, 2 * PG, &id);
		if (fd < 0)
			die("SHM_ALLOC", fd);
		m = teesim_mmap(c->p, fd, 2 * PG, RW, 0);
		if (!m)
			die("mmap", errno);
		memset(m, 1, 64);
		read_memref(c, id, 2 * PG);
		teesim_munmap(c->p, m, 2 * PG);
		teesim_close(c->p, fd);
		break;
	}
	case 2:
	case 3: { /* NOP */
		struct tee_ioctl_param p = prm(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT, r, 0, 0);

		rc = invoke(c, c->mem_sess, TEESIM_TA_MEM_CMD_NOP, 1, &p, &ret);
		if (rc || ret)
			die("NOP", rc);
		break;
	}
	case 4: /* open + close */
		close_session(c, open_session(c, TEESIM_TA_MEM_UUID));
		break;
	case 5: { /* RPC to the supplicant */
		struct tee_ioctl_param p[2] = {
		    prm(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0),
		    prm(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT, CUSTOM_RQ, 0, 0)};

		rc = invoke(c, c->rpc_sess, TEESIM_TA_RPC_CMD_CUSTOM, 2, p, &ret);
		if (rc || ret)
			die("RPC", rc);
		break;
	}
	case 6: { /* a shared id in a memref, possibly closed meanwhile */
		struct tee_ioctl_param p[2];
		unsigned i = (unsigned) (r >> 8) % SLOTS;

		pthread_mutex_lock(&sh->lock);
		id = sh->ids[i];
		pthread_mutex_unlock(&sh->lock);
		p[0] = prm(TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, 0, 64, (uint64_t) id);
		p[1] = prm(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT, 0, 0, 0);
		pthread_mutex_lock(&sh->lock); /* the shared client's argument pages */
		rc = invoke(&sh->c, sh->c.mem_sess, TEESIM_TA_MEM_CMD_READ, 2, p, &ret);
		pthread_mutex_unlock(&sh->lock);
		if (rc && rc != -EINVAL)
			die("shared READ", rc);
		break;
	}
	default: { /* a shared shm recreated (its last reference dropped) */
		unsigned i = (unsigned) (r >> 8) % SLOTS;

		pthread_mutex_lock(&sh->lock);
		fd = sh->fds[i];
		sh->fds[i] = -1;
		pthread_mutex_unlock(&sh->lock);
		if (fd >= 0)
			teesim_close(sh->c.p, fd);
		pthread_mutex_lock(&sh->lock);
		fd = shm_register(&sh->c, sh->c.mem + i * 8, 8, &id);
		if (fd < 0)
			die("shared SHM_REGISTER", fd);
		if (sh->fds[i] >= 0)
			teesim_close(sh->c.p, sh->fds[i]);
		sh->fds[i] = fd;
		sh->ids[i] = id;
		pthread_mutex_unlock(&sh->lock);
		break;
	}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	for (unsigned k = 0; k < w->b->ops; k++)
		op(w);
	return NULL;
}

static void *supp_main(void *arg)
{
	struct teesim_stack *st = arg;

	while (teesim_supplicant_serve_fd(st->supp, st->supp_proc, st->supp_fd) != -EINTR)
		;
	return NULL;
}

/* One round with @t threads: seconds taken. */
static double round_of(unsigned t, unsigned ops)
{
	struct teesim_stack_cfg cfg;
	struct worker w[MAX_T];
	struct bench b;
	pthread_t sth;
	double t0, t1;

	memset(&b, 0, sizeof(b));
	teesim_stack_cfg_default(&cfg);
	cfg.supp = TEESIM_STACK_SUPP_EXTERNAL;
	cfg.machine.poison = false;
	b.st = teesim_stack_new(&cfg);
	if (!b.st)
		die("stack", errno);
	b.ops = ops;
	pthread_mutex_init(&b.sh.lock, NULL);
	client_new(&b, &b.sh.c);
	for (unsigned i = 0; i < SLOTS; i++)
		b.sh.fds[i] = -1;
	for (unsigned i = 0; i < t; i++) {
		w[i].b = &b;
		w[i].rng = SEED + i;
		client_new(&b, &w[i].c);
	}
	if (pthread_create(&sth, NULL, supp_main, b.st))
		die("supplicant thread", 0);
	t0 = now_s();
	for (unsigned i = 0; i < t; i++)
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]))
			die("thread", 0);
	for (unsigned i = 0; i < t; i++)
		pthread_join(w[i].th, NULL);
	t1 = now_s();
	teesim_optee_supp_interrupt(b.st->drv);
	pthread_join(sth, NULL);
	for (unsigned i = 0; i < t; i++)
		teesim_process_free(w[i].c.p);
	teesim_process_free(b.sh.c.p);
	{
		struct teesim_check_report *rep = malloc(sizeof(*rep));
		unsigned n =
		    rep ? teesim_check_stack(b.st, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, rep) : 1;

		if (n) {
			fprintf(stderr, "%s\n", rep ? rep->text : "no memory");
			die("invariant check", n);
		}
		free(rep);
	}
	pthread_mutex_destroy(&b.sh.lock);
	teesim_stack_free(b.st);
	return t1 - t0;
}

int main(int argc, char **argv)
{
	static const unsigned threads[] = {1, 2, 4, 8};
	unsigned ops = argc > 1 ? (unsigned) strtoul(argv[1], NULL, 0) : DEF_OPS;

	if (!ops)
		ops = DEF_OPS;
	printf("stress mix, seed %#x, %u ops per thread, best of %d rounds\n", SEED, ops, ROUNDS);
	printf("%8s %10s %12s %12s\n", "threads", "ops", "seconds", "ops/s");
	for (size_t k = 0; k < sizeof(threads) / sizeof(threads[0]); k++) {
		double best = 0;

		for (int r = 0; r < ROUNDS; r++) {
			double s = round_of(threads[k], ops);

			if (!r || s < best)
				best = s;
		}
		printf("%8u %10u %12.4f %12.0f\n", threads[k], threads[k] * ops, best,
		       threads[k] * ops / best);
	}
	return 0;
}
