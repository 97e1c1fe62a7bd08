/* SPDX-License-Identifier: MIT */
/*
 * Concurrency and lifecycle: ETHREAD_LIMIT handled by waiting on the call
 * queue (host threads), remove, and the kexec-like restart with the
 * recovery each driver generation performs.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "optee-util.h"

#define VIN  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT
#define VOUT TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT
#define VIO  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT

/* A second client of the same stack. */
static void client(struct ot *t, struct ot *c)
{
	c->st = t->st;
	c->p = teesim_process_new(teesim_machine_guest(t->st->machine, 0));
	ck_assert_ptr_nonnull(c->p);
	c->fd = teesim_open(c->p, "/dev/tee0", 0);
	ck_assert_int_ge(c->fd, 3);
}

struct job {
	struct ot c;
	uint32_t session, ret;
	bool load; /* open the loadable TA (blocks on the supplicant) */
	bool done;
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	struct tee_ioctl_param p = ot_value(VIO, 5, 0, 0);

	if (j->load) {
		uint32_t s = 0, origin = 0;

		ot_open(&j->c, TEESIM_TA_LOAD_UUID, 0, NULL, 0, &s, &j->ret, &origin);
		ot_close(&j->c, s);
	} else {
		ot_invoke(&j->c, j->session, TEESIM_TA_MEM_CMD_NOP, &p, 1, &j->ret, NULL);
		if (p.a != 6)
			j->ret = 0xdead;
	}
	return NULL;
}

static void *supp_loop(void *arg)
{
	struct teesim_stack *st = arg;

	while (teesim_supplicant_serve_fd(st->supp, st->supp_proc, st->supp_fd) != -EINTR)
		;
	return NULL;
}

static void wait_until_waiters(struct ot *t, unsigned n)
{
	while (ot_drv(t).call_waiters < n)
		sched_yield();
}

/*
 * One secure thread. A client holds it while its RPC waits for the
 * supplicant; three others get ETHREAD_LIMIT and wait on the call queue
 * (no busy loop: they sleep on condition variables); once the supplicant
 * answers, every call completes.
 */
START_TEST(test_ethread_limit)
{
	struct teesim_stack_cfg c;
	struct job jobs[4];
	pthread_t th[4], sth;
	struct ot t;

	teesim_stack_cfg_default(&c);
	c.sw.num_threads = 1;
	c.supp = TEESIM_STACK_SUPP_EXTERNAL;
	ot_new(&t, &c);
	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < 4; i++) {
		client(&t, &jobs[i].c);
		if (i)
			jobs[i].session = ot_open_ok(&jobs[i].c, TEESIM_TA_MEM_UUID);
		jobs[i].ret = 0xffffffffu;
	}
	jobs[0].load = true;
	ck_assert_int_eq(pthread_create(&th[0], NULL, run_job, &jobs[0]), 0);
	while (ot_drv(&t).supp_queued < 1)
		sched_yield();
	ck_assert_uint_eq(ot_sw(&t).threads_suspended, 1);
	for (int i = 1; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, run_job, &jobs[i]), 0);
	wait_until_waiters(&t, 3);
	ck_assert_uint_eq(ot_drv(&t).active_calls, 4);
	ck_assert_uint_ge(ot_drv(&t).ethread_waits, 3);
	/* now the supplicant runs: the first call finishes, the others follow */
	ck_assert_int_eq(pthread_create(&sth, NULL, supp_loop, t.st), 0);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_msg(jobs[i].ret == 0, "job %d: %#x", i, jobs[i].ret);
	}
	teesim_optee_supp_interrupt(t.st->drv);
	ck_assert_int_eq(pthread_join(sth, NULL), 0);
	ck_assert_uint_eq(ot_drv(&t).call_waiters, 0);
	ck_assert_uint_eq(ot_drv(&t).active_calls, 0);
	ck_assert_uint_eq(ot_drv(&t).max_call_waiters, 3);
	for (int i = 0; i < 4; i++) {
		if (i)
			ck_assert_int_eq(ot_close(&jobs[i].c, jobs[i].session), 0);
		teesim_process_free(jobs[i].c.p);
	}
	ot_done(&t);
}
END_TEST

/* Many threads, few secure threads, plain invokes: all complete. */
static void *hammer(void *arg)
{
	struct job *j = arg;

	for (int k = 0; k < 200 && j->ret == 0; k++) {
		struct tee_ioctl_param p = ot_value(VIO, (uint64_t) k, 0, 0);

		ot_invoke(&j->c, j->session, TEESIM_TA_MEM_CMD_NOP, &p, 1, &j->ret, NULL);
		if (p.a != (uint64_t) k + 1)
			j->ret = 0xdead;
	}
	return NULL;
}

START_TEST(test_ethread_stress)
{
	struct teesim_stack_cfg c;
	struct job jobs[6];
	pthread_t th[6];
	struct ot t;

	teesim_stack_cfg_default(&c);
	c.sw.num_threads = 2;
	ot_new(&t, &c);
	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < 6; i++) {
		client(&t, &jobs[i].c);
		jobs[i].session = ot_open_ok(&jobs[i].c, TEESIM_TA_MEM_UUID);
	}
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, &jobs[i]), 0);
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_uint_eq(jobs[i].ret, 0);
	}
	ck_assert_uint_eq(ot_drv(&t).active_calls, 0);
	ck_assert_uint_eq(ot_drv(&t).call_waiters, 0);
	for (int i = 0; i < 6; i++)
		teesim_process_free(jobs[i].c.p);
	ot_done(&t);
}
END_TEST

/*
 * Registrations from several host threads at once: 1-page ones share the
 * driver's kept list page (or take a fresh list when it is busy), 600-page
 * ones always take a fresh list, SHM_ALLOCs register from the page pool's
 * alloc (no core lock held). Every one succeeds and all are gone after.
 */
struct reg_job {
	struct ot c;
	uint8_t *buf;
	int bad;
};

static void *reg_hammer(void *arg)
{
	struct reg_job *j = arg;

	for (int k = 0; k < 60 && !j->bad; k++) {
		int id,
		    fd = ot_shm_register(&j->c, j->buf, (k % 10 ? 1 : 600) * TEESIM_PAGE_SIZE, &id);

		if (fd < 0 || teesim_close(j->c.p, fd))
			j->bad = 1;
		fd = ot_shm_alloc(&j->c, TEESIM_PAGE_SIZE, &id);
		if (fd < 0 || teesim_close(j->c.p, fd))
			j->bad = 2;
	}
	return NULL;
}

START_TEST(test_register_stress)
{
	struct reg_job jobs[4];
	pthread_t th[4];
	struct ot t;

	ot_new(&t, NULL);
	memset(jobs, 0, sizeof(jobs));
	for (int i = 0; i < 4; i++) {
		client(&t, &jobs[i].c);
		jobs[i].buf = ot_umem(&jobs[i].c, 600);
	}
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, reg_hammer, &jobs[i]), 0);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_msg(jobs[i].bad == 0, "job %d: %d", i, jobs[i].bad);
	}
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 0);
	ck_assert_uint_eq(ot_drv(&t).registered, 0);
	ck_assert_uint_eq(ot_core(&t).pinned_pages, 0);
	for (int i = 0; i < 4; i++)
		teesim_process_free(jobs[i].c.p);
	ot_done(&t);
}
END_TEST

/*
 * kexec-like restart with everything still open: a session, a registered
 * user buffer, a pool buffer mapped (registered by the later pool) and a
 * cached RPC argument. The old kernel sends nothing: the secure world keeps
 * the objects and sessions (leaked, as on real hardware), the normal world
 * is left with no fd, mapping, shm, pin or session; the new driver recovers
 * as its generation does and works. Freeing the stack frees the leaked
 * objects (valgrind checks it).
 */
static void restart(enum teesim_optee_drv_gen gen)
{
	const bool later = gen == TEESIM_OPTEE_DRV_LATER;
	struct teesim_stack_cfg c;
	struct tee_ioctl_param p[2];
	struct teesim_optee_info i;
	struct teesim_tee_fd_info fi;
	struct teesim_tee_stats core;
	struct teesim_sw_stats sw, sw_before;
	struct ot t;
	uint32_t s, s2, ret = 1;
	uint8_t *ubuf, *mbuf;
	int id = -1, rfd, afd;

	teesim_stack_cfg_default(&c);
	teesim_optee_cfg_default(&c.drv, gen);
	c.drv.rpc_arg = false; /* RPC_ALLOC buffers and the shm cache */
	ot_new(&t, &c);
	ck_assert(ot_drv(&t).shm_cache);
	s = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	p[0] = ot_value(VOUT, 0, 0, 0);
	p[1] = ot_value(VIN, 0, 0, 0);
	ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_RPC_CMD_GET_TIME, p, 2, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(ot_sw(&t).cached_rpc_args, 1);
	ck_assert_uint_eq(ot_drv(&t).rpc_shms, 1);
	s2 = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	ubuf = ot_umem(&t, 2);
	rfd = ot_shm_register(&t, ubuf, 2 * TEESIM_PAGE_SIZE, &id);
	ck_assert_int_ge(rfd, 3);
	afd = ot_shm_alloc(&t, TEESIM_PAGE_SIZE, &id);
	ck_assert_int_ge(afd, 3);
	mbuf = teesim_mmap(t.p, afd, TEESIM_PAGE_SIZE, TEESIM_PROT_READ | TEESIM_PROT_WRITE, 0);
	ck_assert_ptr_nonnull(mbuf);
	sw_before = ot_sw(&t);
	ck_assert_uint_eq(sw_before.sessions, 2);
	ck_assert_uint_eq(sw_before.shm_objects, later ? 2 : 1); /* + the pool buffer */
	core = ot_core(&t);
	ck_assert_uint_eq(core.pinned_pages, 2);
	ck_assert_uint_eq(core.mappings, 1);
	ck_assert_uint_eq(core.sessions, 2);

	/* kexec: no process is freed by the test, the new kernel simply has none */
	t.st->drv = teesim_optee_restart(t.st->drv);
	ck_assert_ptr_nonnull(t.st->drv);
	sw = ot_sw(&t);
	ck_assert_uint_eq(sw.std_calls, sw_before.std_calls); /* no message sent */
	ck_assert_uint_eq(sw.sessions, 2);		      /* leaked */
	ck_assert_uint_eq(sw.shm_objects, sw_before.shm_objects);
	core = ot_core(&t);
	ck_assert_uint_eq(core.contexts, 0);
	ck_assert_uint_eq(core.shms, 0);
	ck_assert_uint_eq(core.files, 0);
	ck_assert_uint_eq(core.mappings, 0);
	ck_assert_uint_eq(core.pinned_pages, 0);
	ck_assert_uint_eq(core.sessions, 0);
	ck_assert_uint_eq(core.ids, 0);
	ck_assert_int_eq(teesim_tee_fd_info(t.p, t.fd, &fi), -EBADF);
	ck_assert_int_eq(teesim_tee_fd_info(t.p, rfd, &fi), -EBADF);
	i = ot_drv(&t);
	if (later) {
		ck_assert_uint_eq(i.cache_cookies_dropped, 1); /* recovered */
		ck_assert_uint_eq(sw.cached_rpc_args, 0);
	} else {
		ck_assert_uint_eq(i.cache_cookies_dropped, 0); /* v4.16 does not look */
		ck_assert_uint_eq(sw.cached_rpc_args, 1);
	}
	ck_assert_uint_eq(i.rpc_shms, 0);
	ck_assert_uint_eq(i.registered, 0);
	/* the old processes exit with nothing left to close: still nothing sent */
	teesim_process_free(t.p);
	ck_assert_uint_eq(ot_sw(&t).std_calls, sw_before.std_calls);

	/* the new driver works */
	t.p = teesim_process_new(teesim_machine_guest(t.st->machine, 0));
	t.fd = teesim_open(t.p, "/dev/tee0", 0);
	ck_assert_int_ge(t.fd, 3);
	s = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_RPC_CMD_GET_TIME, p, 2, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(ot_sw(&t).sessions, 3);
	ck_assert_int_eq(ot_close(&t, s), 0);
	ck_assert_uint_eq(ot_sw(&t).sessions, 2);
	if (!later)
		ck_assert_uint_eq(ot_sw(&t).cached_rpc_args, 1); /* the stale one is still there */
	(void) s2;
	/* the secure world's teardown frees what the old kernel leaked */
	teesim_process_free(t.p);
	ck_assert_uint_eq(ot_core(&t).pinned_pages, 0);
	teesim_stack_free(t.st);
}

START_TEST(test_restart_later)
{
	restart(TEESIM_OPTEE_DRV_LATER);
}
END_TEST

START_TEST(test_restart_v416)
{
	restart(TEESIM_OPTEE_DRV_V4_16);
}
END_TEST

/* Probe fails without a secure world, or with a wrong UID. */
START_TEST(test_probe_fails)
{
	struct teesim_machine *m = th_machine(NULL);

	errno = 0;
	ck_assert_ptr_null(teesim_optee_probe(m, NULL));
	ck_assert_int_eq(errno, EINVAL);
	th_machine_done(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("optee-life");
	TCase *tc = tcase_create("life");

	tcase_add_test(tc, test_ethread_limit);
	tcase_add_test(tc, test_ethread_stress);
	tcase_add_test(tc, test_register_stress);
	tcase_add_test(tc, test_restart_later);
	tcase_add_test(tc, test_restart_v416);
	tcase_add_test(tc, test_probe_fails);
	suite_add_tcase(s, tc);
	return th_run(s);
}
