/* SPDX-License-Identifier: MIT */
/*
 * Tee core under threads (white box): exact interleavings forced with the
 * race hooks (a thread is held at the moment a count reaches zero or an id
 * is reserved while another acts), and a stress run where threads look up,
 * use and drop the same shm ids while others close and recreate them. Runs
 * clean under TSan and Helgrind; no sleeps, hand-offs use a condvar.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>

#include "harness.h"
#include "testdrv.h"
#include "tee_private.h"

static const struct testdrv_cfg full = {.reg_mem = true, .memref_null = true, .supplicant = true};

#define RW (TEESIM_PROT_READ | TEESIM_PROT_WRITE)

/* A gate: the hook holds the thread that reaches @event until the test opens it. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum teesim_tee_event event;
	bool armed, arrived, open;
	int id;
};

static void gate_init(struct gate *g, enum teesim_tee_event ev)
{
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	g->event = ev;
	g->armed = true;
	g->arrived = g->open = false;
	g->id = -1;
}

static void gate_fini(struct gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
}

static void gate_hook(void *arg, const struct teesim_tee_event_info *ev)
{
	struct gate *g = arg;

	pthread_mutex_lock(&g->lock);
	if (g->armed && ev->event == g->event) {
		g->armed = false;
		g->arrived = true;
		g->id = ev->id;
		pthread_cond_broadcast(&g->cond);
		while (!g->open)
			pthread_cond_wait(&g->cond, &g->lock);
	}
	pthread_mutex_unlock(&g->lock);
}

static void gate_wait_arrived(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (!g->arrived)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->open = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

struct job {
	struct teesim_process *p;
	int fd;
	uint64_t addr;
	int rc;
};

static void *close_job(void *a)
{
	struct job *j = a;

	j->rc = teesim_close(j->p, j->fd);
	return NULL;
}

static void *register_job(void *a)
{
	struct job *j = a;

	j->rc = t_shm_register(j->p, j->fd, j->addr, 4096, NULL);
	return NULL;
}

/* The CVE-2021-44733 window: a count at zero is never revived by a lookup. */
START_TEST(test_lookup_never_revives)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	struct tee_ioctl_shm_alloc_data d;
	struct teesim_tee_shm_info si;
	struct gate g;
	struct job j;
	pthread_t t;
	uint32_t session;
	int fd = teesim_open(p, "/dev/tee0", O_RDWR);
	int s = t_shm_alloc(p, fd, 4096, &d);
	struct tee_ioctl_param pa = {TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, 0, 16,
				     (uint64_t) d.id};

	ck_assert_int_eq(t_open_session(p, fd, NULL, 0, &session, NULL), 0);
	gate_init(&g, TEESIM_TEE_EV_SHM_ZERO);
	teesim_tee_set_hook(TH_M, gate_hook, &g);
	j = (struct job){p, s, 0, -1};
	ck_assert_int_eq(pthread_create(&t, NULL, close_job, &j), 0);
	gate_wait_arrived(&g);
	/* the closer is held with the count at 0: the id is already gone */
	ck_assert_int_eq(g.id, d.id);
	th_assert_err(teesim_tee_shm_info(td->g, "/dev/tee0", d.id, &si), -ENOENT);
	th_assert_err(t_invoke(p, fd, session, 1, &pa, 1, NULL), -EINVAL);
	ck_assert_uint_eq(td->invokes, 0);
	/* a new shm may take the id while the old one is still being released */
	ck_assert_int_eq(t_shm_alloc(p, fd, 4096, &d), 4); /* its fd number was freed first */
	ck_assert_int_eq(d.id, (int) pa.c);
	ck_assert_uint_eq(t_fd_info(p, fd).ctx_shms, 2);
	gate_open(&g);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(j.rc, 0);
	ck_assert_uint_eq(t_fd_info(p, fd).ctx_shms, 1);
	ck_assert_int_eq(t_invoke(p, fd, session, 1, &pa, 1, NULL), 0); /* the new one */
	teesim_tee_set_hook(TH_M, NULL, NULL);
	gate_fini(&g);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

/* An id reserved for a shm still being built is not findable until it is published. */
START_TEST(test_placeholder_not_findable)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	uint8_t *u = teesim_process_mmap(p, 4096, RW);
	struct teesim_tee_shm_info si;
	struct gate g;
	struct job j;
	pthread_t t;
	uint32_t session;
	int fd = teesim_open(p, "/dev/tee0", O_RDWR);
	struct tee_ioctl_param pa = {TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, 0, 16, 1};
	int ids[2];

	ck_assert_int_eq(t_open_session(p, fd, NULL, 0, &session, NULL), 0);
	gate_init(&g, TEESIM_TEE_EV_ID_RESERVE);
	teesim_tee_set_hook(TH_M, gate_hook, &g);
	j = (struct job){p, fd, (uintptr_t) u, -1};
	ck_assert_int_eq(pthread_create(&t, NULL, register_job, &j), 0);
	gate_wait_arrived(&g);
	ck_assert_int_eq(g.id, 1);
	th_assert_err(teesim_tee_shm_info(td->g, "/dev/tee0", 1, &si), -EBUSY);
	ck_assert_int_eq(teesim_tee_ids(td->g, "/dev/tee0", ids, 2), 1); /* counted, not listed */
	th_assert_err(t_invoke(p, fd, session, 1, &pa, 1, NULL), -EINVAL);
	/* the next allocation skips the reserved id */
	{
		struct tee_ioctl_shm_alloc_data d;
		int s = t_shm_alloc(p, fd, 4096, &d);

		ck_assert_int_eq(d.id, 2);
		ck_assert_int_eq(teesim_close(p, s), 0);
	}
	gate_open(&g);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_ge(j.rc, 3);
	ck_assert_int_eq(teesim_tee_shm_info(td->g, "/dev/tee0", 1, &si), 0);
	ck_assert_uint_eq(si.pinned_pages, 1);
	ck_assert_int_eq(t_invoke(p, fd, session, 1, &pa, 1, NULL), 0);
	teesim_tee_set_hook(TH_M, NULL, NULL);
	gate_fini(&g);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

/* A context whose count reached zero is being released: new opens are unaffected. */
START_TEST(test_context_zero)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	struct teesim_tee_stats st;
	struct gate g;
	struct job j;
	pthread_t t;
	int fd = teesim_open(p, "/dev/tee0", O_RDWR), fd2;

	ck_assert_int_eq(t_open_session(p, fd, NULL, 0, NULL, NULL), 0);
	gate_init(&g, TEESIM_TEE_EV_CTX_ZERO);
	teesim_tee_set_hook(TH_M, gate_hook, &g);
	j = (struct job){p, fd, 0, -1};
	ck_assert_int_eq(pthread_create(&t, NULL, close_job, &j), 0);
	gate_wait_arrived(&g);
	teesim_tee_stats(TH_M, &st);
	ck_assert_uint_eq(st.contexts, 1); /* not released yet */
	ck_assert_uint_eq(td->releases, 0);
	fd2 = teesim_open(p, "/dev/tee0", O_RDWR);
	ck_assert_int_eq(fd2, fd); /* the fd number is free already */
	gate_open(&g);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_uint_eq(td->releases, 1);
	ck_assert_uint_eq(td->closed_on_release, 1);
	teesim_tee_set_hook(TH_M, NULL, NULL);
	gate_fini(&g);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

/* ---- the hook's event sequence ---- */

struct trace {
	int n;
	enum teesim_tee_event ev[16];
	int id[16];
};

static void trace_hook(void *arg, const struct teesim_tee_event_info *ev)
{
	struct trace *t = arg;

	if (t->n < 16) {
		ck_assert_str_eq(ev->device, "tee0");
		t->ev[t->n] = ev->event;
		t->id[t->n++] = ev->id;
	}
}

START_TEST(test_event_sequence)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct teesim_process *p = tproc(TH_M);
	uint8_t *u = teesim_process_mmap(p, 4096, RW);
	struct trace t = {0};
	int fd = teesim_open(p, "/dev/tee0", O_RDWR), s;
	static const enum teesim_tee_event want[] = {
	    TEESIM_TEE_EV_ID_RESERVE, TEESIM_TEE_EV_ID_PUBLISH, /* SHM_REGISTER */
	    TEESIM_TEE_EV_ID_REMOVE,  TEESIM_TEE_EV_SHM_ZERO,	/* close */
	    TEESIM_TEE_EV_ID_RESERVE, TEESIM_TEE_EV_ID_REMOVE,	/* a refused SHM_REGISTER */
	    TEESIM_TEE_EV_SHM_ZERO,				/* a kernel buffer: no id */
	    TEESIM_TEE_EV_CTX_ZERO,				/* close of the device */
	};

	teesim_tee_set_hook(TH_M, trace_hook, &t);
	s = t_shm_register(p, fd, (uintptr_t) u, 4096, NULL);
	ck_assert_int_ge(s, 3);
	ck_assert_int_eq(teesim_close(p, s), 0);
	td->register_rc = -EIO;
	th_assert_err(t_shm_register(p, fd, (uintptr_t) u, 4096, NULL), -EIO);
	td->register_rc = 0;
	tee_shm_free(
	    tee_shm_alloc(((struct tee_fdtable *) p->tee_files)->files[0]->ctx, 8, TEE_SHM_MAPPED));
	ck_assert_int_eq(teesim_close(p, fd), 0);
	teesim_tee_set_hook(TH_M, NULL, NULL);
	ck_assert_int_eq(t.n, (int) (sizeof(want) / sizeof(want[0])));
	for (int i = 0; i < t.n; i++)
		ck_assert_msg(t.ev[i] == want[i], "event %d is %d, expected %d", i, t.ev[i],
			      want[i]);
	ck_assert_int_eq(t.id[0], 1);
	ck_assert_int_eq(t.id[3], 1);
	ck_assert_int_eq(t.id[6], -1);
	ck_assert_int_eq(t.id[7], -1);
	teesim_process_free(p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

/* ---- stress ---- */

#define SLOTS	4
#define USERS	3
#define CLOSERS 2
#define ROUNDS	300

struct stress {
	struct teesim_process *p;
	struct testdrv *td;
	int dev;
	uint32_t session;
	pthread_mutex_t lock; /* the slots: fd and id of a shm per slot */
	int fds[SLOTS], ids[SLOTS];
	_Atomic unsigned uses, lookups, misses, recreated;
};

static void *user_thread(void *a)
{
	struct stress *s = a;
	struct tee_context *ctx = ((struct tee_fdtable *) s->p->tee_files)->files[s->dev - 3]->ctx;
	size_t len = sizeof(struct tee_ioctl_invoke_arg) + sizeof(struct tee_ioctl_param);
	struct tee_ioctl_invoke_arg *arg = teesim_process_mmap(s->p, len, RW);
	struct tee_ioctl_buf_data *buf = teesim_process_mmap(s->p, sizeof(*buf), RW);

	ck_assert_ptr_nonnull(arg);
	ck_assert_ptr_nonnull(buf);
	for (int r = 0; r < ROUNDS; r++) {
		int slot = r % SLOTS, id, rc;
		struct tee_shm *shm;

		pthread_mutex_lock(&s->lock);
		id = s->ids[slot];
		pthread_mutex_unlock(&s->lock);
		/* through the ioctl: the memref takes and drops a reference */
		arg->func = 1;
		arg->session = s->session;
		arg->num_params = 1;
		arg->params[0] = (struct tee_ioctl_param){TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT, 0,
							  64, (uint64_t) id};
		buf->buf_ptr = (uintptr_t) arg;
		buf->buf_len = len;
		rc = teesim_ioctl(s->p, s->dev, TEE_IOC_INVOKE, buf);
		ck_assert_msg(rc == 0 || rc == -EINVAL, "invoke returned %d", rc);
		atomic_fetch_add(rc ? &s->misses : &s->uses, 1);
		/* directly: look up, touch the memory, drop */
		shm = tee_shm_get_from_id(ctx, id);
		if (!IS_ERR(shm)) {
			ck_assert_uint_eq(((volatile char *) shm->kaddr)[r % 64], 0);
			ck_assert_uint_eq(tee_shm_get_size(shm), 4096);
			tee_shm_put(shm);
			atomic_fetch_add(&s->lookups, 1);
		}
	}
	ck_assert_int_eq(teesim_process_munmap(s->p, buf, sizeof(*buf)), 0);
	ck_assert_int_eq(teesim_process_munmap(s->p, arg, len), 0);
	return NULL;
}

static void *closer_thread(void *a)
{
	struct stress *s = a;

	for (int r = 0; r < ROUNDS; r++) {
		int slot = r % SLOTS, fd, nfd;
		struct tee_ioctl_shm_alloc_data d;

		/*
		 * A closer claims the slot before it closes: two closers that both
		 * closed the number they read would close the new shm the other
		 * had just been given under the same number (found by
		 * tools/repeat-tests.sh, run 536 of 1000). Users keep racing the
		 * close through the id.
		 */
		pthread_mutex_lock(&s->lock);
		fd = s->fds[slot];
		s->fds[slot] = -1;
		pthread_mutex_unlock(&s->lock);
		if (fd < 0)
			continue;
		ck_assert_int_eq(teesim_close(s->p, fd), 0);
		nfd = t_shm_alloc(s->p, s->dev, 4096, &d);
		ck_assert_int_ge(nfd, 3);
		pthread_mutex_lock(&s->lock);
		s->fds[slot] = nfd;
		s->ids[slot] = d.id;
		pthread_mutex_unlock(&s->lock);
		atomic_fetch_add(&s->recreated, 1);
	}
	return NULL;
}

START_TEST(test_stress)
{
	struct stress s = {0};
	pthread_t t[USERS + CLOSERS];

	s.td = testdrv_new(TH_M, &full);
	s.p = tproc(TH_M);
	s.dev = teesim_open(s.p, "/dev/tee0", O_RDWR);
	pthread_mutex_init(&s.lock, NULL);
	ck_assert_int_eq(t_open_session(s.p, s.dev, NULL, 0, &s.session, NULL), 0);
	for (int i = 0; i < SLOTS; i++) {
		struct tee_ioctl_shm_alloc_data d;

		s.fds[i] = t_shm_alloc(s.p, s.dev, 4096, &d);
		ck_assert_int_ge(s.fds[i], 3);
		s.ids[i] = d.id;
	}
	for (int i = 0; i < USERS + CLOSERS; i++)
		ck_assert_int_eq(
		    pthread_create(&t[i], NULL, i < USERS ? user_thread : closer_thread, &s), 0);
	for (int i = 0; i < USERS + CLOSERS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_uint_eq(s.uses + s.misses, USERS * ROUNDS);
	ck_assert_uint_gt(s.recreated, 0);
	/* every slot still holds one live shm with only its fd's reference */
	for (int i = 0; i < SLOTS; i++) {
		struct teesim_tee_fd_info info = t_fd_info(s.p, s.fds[i]);

		ck_assert_int_eq(info.shm.id, s.ids[i]);
		ck_assert_uint_eq(info.shm.refs, 1);
	}
	ck_assert_int_eq(teesim_tee_ids(s.td->g, "/dev/tee0", NULL, 0), SLOTS);
	ck_assert_uint_eq(t_fd_info(s.p, s.dev).ctx_refs, 1 + SLOTS);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 0);
	pthread_mutex_destroy(&s.lock);
	teesim_process_free(s.p);
	testdrv_free(s.td);
	th_core_clean(TH_M);
}
END_TEST

/* ---- the device fd closed while calls run in other threads ---- */

struct callers {
	struct teesim_process *p;
	int fd;
	uint32_t session;
	_Atomic int started;
	_Atomic unsigned ok, badf;
};

static void *caller_thread(void *a)
{
	struct callers *c = a;
	size_t len = sizeof(struct tee_ioctl_invoke_arg);
	struct tee_ioctl_invoke_arg *arg = teesim_process_mmap(c->p, len, RW);
	struct tee_ioctl_buf_data *buf = teesim_process_mmap(c->p, sizeof(*buf), RW);

	ck_assert_ptr_nonnull(arg);
	ck_assert_ptr_nonnull(buf);
	atomic_fetch_add(&c->started, 1);
	for (;;) {
		int rc;

		arg->session = c->session;
		buf->buf_ptr = (uintptr_t) arg;
		buf->buf_len = len;
		rc = teesim_ioctl(c->p, c->fd, TEE_IOC_INVOKE, buf);
		if (rc == -EBADF) {
			atomic_fetch_add(&c->badf, 1);
			break;
		}
		ck_assert_int_eq(rc, 0);
		atomic_fetch_add(&c->ok, 1);
	}
	ck_assert_int_eq(teesim_process_munmap(c->p, buf, sizeof(*buf)), 0);
	ck_assert_int_eq(teesim_process_munmap(c->p, arg, len), 0);
	return NULL;
}

START_TEST(test_close_while_calls_run)
{
	struct testdrv *td = testdrv_new(TH_M, &full);
	struct callers c = {0};
	pthread_t t[3];

	c.p = tproc(TH_M);
	c.fd = teesim_open(c.p, "/dev/tee0", O_RDWR);
	ck_assert_int_eq(t_open_session(c.p, c.fd, NULL, 0, &c.session, NULL), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, caller_thread, &c), 0);
	/* let every caller get going, then pull the fd from under them */
	while (atomic_load(&c.started) < 3 || atomic_load(&c.ok) < 30)
		sched_yield();
	ck_assert_int_eq(teesim_close(c.p, c.fd), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_uint_eq(c.badf, 3);
	ck_assert_uint_eq(td->releases, 1); /* once, after the last call in flight */
	ck_assert_uint_eq(td->closed_on_release, 1);
	ck_assert_uint_eq(td->invokes, c.ok);
	teesim_process_free(c.p);
	testdrv_free(td);
	th_core_clean(TH_M);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core-race");
	TCase *tc = th_tcase(s, "core-race");

	tcase_add_test(tc, test_lookup_never_revives);
	tcase_add_test(tc, test_placeholder_not_findable);
	tcase_add_test(tc, test_context_zero);
	tcase_add_test(tc, test_event_sequence);
	tcase_add_test(tc, test_stress);
	tcase_add_test(tc, test_close_while_calls_run);
	return th_run(s);
}
