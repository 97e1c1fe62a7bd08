/* SPDX-License-Identifier: MIT */
/*
 * RPCs served by the driver (GET_TIME, SUSPEND, WAIT_QUEUE, SHM_ALLOC /
 * SHM_FREE, RPC_ALLOC / RPC_FREE, foreign interrupts) and the supplicant
 * queue: inline, in a host thread, absent, stopped, dying mid-request.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "optee-util.h"

#define VIN  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT
#define VOUT TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT

/* One command of the RPC TA: p0 {a = ret, b, c} out, p1 {a, b} in; returns p0.a. */
static uint32_t rpc_ta(struct ot *t, uint32_t s, uint32_t cmd, uint64_t a, uint64_t b,
		       struct tee_ioctl_param *out)
{
	struct tee_ioctl_param p[2];
	uint32_t ret = 1;

	p[0] = ot_value(VOUT, 0, 0, 0);
	p[1] = ot_value(VIN, a, b, 0);
	ck_assert_int_eq(ot_invoke(t, s, cmd, p, 2, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	if (out)
		*out = p[0];
	return (uint32_t) p[0].a;
}

static void kernel_rpcs(bool rpc_arg)
{
	struct teesim_stack_cfg c;
	struct tee_ioctl_param o;
	struct ot t;
	uint64_t t0;
	uint32_t s;

	teesim_stack_cfg_default(&c);
	c.drv.rpc_arg = rpc_arg;
	ot_new(&t, &c);
	ck_assert_uint_eq(ot_drv(&t).rpc_param_count, rpc_arg ? 4 : 0);
	s = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	teesim_clock_advance(t.st->machine, 5500000000ull);
	ck_assert_uint_eq(rpc_ta(&t, s, TEESIM_TA_RPC_CMD_GET_TIME, 0, 0, &o), 0);
	ck_assert_uint_eq(o.b, 5);
	t0 = teesim_clock_now(t.st->machine);
	ck_assert_uint_eq(rpc_ta(&t, s, TEESIM_TA_RPC_CMD_SUSPEND, 20, 0, NULL), 0);
	ck_assert_uint_eq(teesim_clock_now(t.st->machine) - t0, 20000000ull);
	/* a wakeup before the sleep is remembered */
	ck_assert_uint_eq(rpc_ta(&t, s, TEESIM_TA_RPC_CMD_WAIT_WAKEUP, 9, 0, NULL), 0);
	ck_assert_uint_eq(ot_drv(&t).wait_queue, 1);
	ck_assert_uint_eq(rpc_ta(&t, s, TEESIM_TA_RPC_CMD_WAIT_SLEEP, 9, 0, NULL), 0);
	ck_assert_uint_eq(ot_drv(&t).wait_queue, 0);
	/* SHM_ALLOC / SHM_FREE of kernel type: allocated, written, read back, freed */
	ck_assert_uint_eq(
	    rpc_ta(&t, s, TEESIM_TA_RPC_CMD_SHM_ALLOC, TEESIM_OPTEE_RPC_SHM_TYPE_KERNEL, 3000, &o),
	    0);
	ck_assert_uint_ne(o.b, 0);
	ck_assert_uint_eq(ot_sw(&t).rpc_shm_objects, 0);
	ck_assert_uint_eq(ot_drv(&t).rpc_shms, rpc_arg ? 0 : (ot_drv(&t).shm_cache ? 1 : 0));
	ck_assert_uint_eq(ot_drv(&t).bad_cookies, 0);
	ck_assert_uint_ge(ot_drv(&t).rpc_cmds, 6);
	ck_assert_int_eq(ot_close(&t, s), 0);
	ot_done(&t);
}

START_TEST(test_kernel_rpcs_rpc_arg)
{
	kernel_rpcs(true);
}
END_TEST

/* Without RPC_ARG: RPC_ALLOC buffers, kept by the shm cache. */
START_TEST(test_kernel_rpcs_rpc_alloc)
{
	kernel_rpcs(false);
}
END_TEST

START_TEST(test_appl_alloc_and_load)
{
	struct teesim_supplicant_stats ss;
	struct tee_ioctl_param o;
	struct ot t;
	uint32_t s;

	ot_new(&t, NULL);
	s = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	ck_assert_uint_eq(
	    rpc_ta(&t, s, TEESIM_TA_RPC_CMD_SHM_ALLOC, TEESIM_OPTEE_RPC_SHM_TYPE_APPL, 5000, &o),
	    0);
	teesim_supplicant_stats(t.st->supp, &ss);
	ck_assert_uint_eq(ss.shms, 0); /* allocated, then freed again */
	ck_assert_uint_ge(ss.requests, 2);
	ck_assert_uint_eq(ot_drv(&t).rpc_shms, 0);
	/* LOAD_TA through the inline supplicant */
	ot_open_ok(&t, TEESIM_TA_LOAD_UUID);
	teesim_supplicant_stats(t.st->supp, &ss);
	ck_assert_uint_eq(ss.ta_loads, 1);
	ck_assert_uint_eq(ss.shms, 0);
	ck_assert_uint_eq(ot_drv(&t).supp_failed, 0);
	ck_assert_uint_eq(ot_drv(&t).supp_queued + ot_drv(&t).supp_in_progress, 0);
	/* a command nobody serves: the supplicant answers NOT_SUPPORTED */
	{
		struct tee_ioctl_param p[3];
		uint32_t ret = 1;

		p[0] = ot_value(VOUT, 0, 0, 0);
		p[1] = ot_value(VIN, 200, 0, 0);
		p[2] = ot_value(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT, 1, 2, 0);
		ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_RPC_CMD_CUSTOM, p, 3, &ret, NULL), 0);
		ck_assert_uint_eq(p[0].a, TEESIM_OPTEE_ERROR_NOT_SUPPORTED);
	}
	ot_done(&t);
}
END_TEST

/* The RPC TA's FS command reaches the stack's supplicant with the name as an input memref,
 * and closes the handle it got with FS CLOSE {op, handle}. */
START_TEST(test_rpc_ta_fs)
{
	struct tee_ioctl_param p[3];
	uint32_t ops[2] = {TEESIM_OPTEE_RPC_FS_CREATE, TEESIM_OPTEE_RPC_FS_OPEN};
	struct teesim_supplicant_stats st;
	uint32_t ret, s;
	uint64_t fd;
	struct ot t;

	ot_new(&t, NULL);
	s = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	for (int i = 0; i < 2; i++) {
		ret = 1;
		p[0] = ot_value(VOUT, 0, 0, 0);
		p[1] = ot_value(VIN, ops[i], 0, 0);
		p[2] = ot_value(VIN, 0, 0, 0);
		ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_RPC_CMD_FS, p, 3, &ret, NULL), 0);
		ck_assert_uint_eq(ret, 0);
		/* p0.a is the supplicant's answer, p0.b the file descriptor it gave */
		ck_assert_msg(p[0].a == 0, "FS op %u answered 0x%x", ops[i], (unsigned) p[0].a);
		teesim_supplicant_stats(t.st->supp, &st);
		ck_assert_uint_eq(st.open_files, 1);
		/* the TA closes it again: FS CLOSE with the handle in p1.b */
		fd = p[0].b;
		p[0] = ot_value(VOUT, 0, 0, 0);
		p[1] = ot_value(VIN, TEESIM_OPTEE_RPC_FS_CLOSE, fd, 0);
		ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_RPC_CMD_FS, p, 3, &ret, NULL), 0);
		ck_assert_uint_eq(ret, 0);
		ck_assert_uint_eq(p[0].a, 0);
		teesim_supplicant_stats(t.st->supp, &st);
		ck_assert_uint_eq(st.open_files, 0);
		/* the same handle again: the supplicant answers with an error, nothing changes */
		p[0] = ot_value(VOUT, 0, 0, 0);
		ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_RPC_CMD_FS, p, 3, &ret, NULL), 0);
		ck_assert_uint_ne(p[0].a, 0);
		/* so does CLOSEDIR of a handle that was never a directory */
		p[0] = ot_value(VOUT, 0, 0, 0);
		p[1] = ot_value(VIN, TEESIM_OPTEE_RPC_FS_CLOSEDIR, fd, 0);
		ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_RPC_CMD_FS, p, 3, &ret, NULL), 0);
		ck_assert_uint_ne(p[0].a, 0);
	}
	ck_assert_int_eq(ot_close(&t, s), 0);
	ot_done(&t);
}
END_TEST

START_TEST(test_no_supplicant)
{
	struct teesim_stack_cfg c;
	struct ot t;
	uint32_t s = 1, ret = 0, origin = 0;

	teesim_stack_cfg_default(&c);
	c.supp = TEESIM_STACK_SUPP_NONE;
	ot_new(&t, &c);
	ck_assert(!ot_drv(&t).supp_attached);
	ck_assert_int_eq(ot_open(&t, TEESIM_TA_LOAD_UUID, 0, NULL, 0, &s, &ret, &origin), 0);
	ck_assert_uint_ne(ret, 0);
	ck_assert_uint_eq(ot_drv(&t).supp_failed, 1);
	ck_assert_uint_eq(ot_sw(&t).sessions, 0);
	ck_assert_uint_eq(ot_sw(&t).threads_busy, 0);
	ot_done(&t);
}
END_TEST

START_TEST(test_supplicant_silent)
{
	struct ot t;
	uint32_t s = 1, ret = 0, origin = 0;

	ot_new(&t, NULL);
	ck_assert_int_eq(teesim_supplicant_stop(t.st->supp, TEESIM_SUPPLICANT_STOP_SILENT, 0), 0);
	ck_assert_int_eq(ot_open(&t, TEESIM_TA_LOAD_UUID, 0, NULL, 0, &s, &ret, &origin), 0);
	ck_assert_uint_ne(ret, 0);
	ck_assert_uint_eq(ot_drv(&t).supp_failed, 1);
	ck_assert_uint_eq(ot_drv(&t).supp_in_progress, 0);
	ck_assert_uint_eq(ot_sw(&t).sessions, 0);
	ot_done(&t);
}
END_TEST

/*
 * Through the driver: a CLOSE_SESSION of a session whose call sleeps on a
 * TA wait-queue key (on another thread) waits in the driver's wait queue
 * until that call leaves, and then closes the session. The TA key (1000) is
 * far from the secure world's own keys (1, 2, ...).
 */
struct blocked {
	struct ot *t;
	uint32_t session;
	int rc;
	uint32_t ret;
};

static void *sleep_in_ta(void *arg)
{
	struct blocked *b = arg;
	struct tee_ioctl_param p[2] = {ot_value(VOUT, 0, 0, 0), ot_value(VIN, 1000, 0, 0)};

	b->rc = ot_invoke(b->t, b->session, TEESIM_TA_RPC_CMD_WAIT_SLEEP, p, 2, &b->ret, NULL);
	return NULL;
}

static void *close_it(void *arg)
{
	struct blocked *b = arg;

	b->rc = ot_close(b->t, b->session);
	return NULL;
}

static void wait_for_sleepers(struct ot *t, unsigned n)
{
	while (ot_drv(t).wait_queue < n)
		sched_yield();
}

START_TEST(test_close_waits_for_sleeping_call)
{
	struct ot t;
	struct blocked call, close;
	pthread_t a, b;
	uint32_t s, other;

	ot_new(&t, NULL);
	s = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	other = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	call = (struct blocked){.t = &t, .session = s, .ret = 1};
	close = (struct blocked){.t = &t, .session = s, .rc = 1};
	ck_assert_int_eq(pthread_create(&a, NULL, sleep_in_ta, &call), 0);
	wait_for_sleepers(&t, 1); /* the call, asleep on key 1000 */
	ck_assert_int_eq(pthread_create(&b, NULL, close_it, &close), 0);
	wait_for_sleepers(&t, 2); /* the close, asleep on the secure world's key */
	ck_assert_uint_eq(ot_sw(&t).sessions, 2);
	/* wake the call from the other session: it leaves, and wakes the close */
	ck_assert_uint_eq(rpc_ta(&t, other, TEESIM_TA_RPC_CMD_WAIT_WAKEUP, 1000, 0, NULL), 0);
	ck_assert_int_eq(pthread_join(a, NULL), 0);
	ck_assert_int_eq(pthread_join(b, NULL), 0);
	ck_assert_int_eq(call.rc, 0);
	ck_assert_uint_eq(call.ret, 0);
	ck_assert_int_eq(close.rc, 0);
	ck_assert_uint_eq(ot_sw(&t).sessions, 1);
	ck_assert_uint_eq(ot_drv(&t).wait_queue, 0);
	ck_assert_int_eq(ot_close(&t, other), 0);
	ot_done(&t);
}
END_TEST

/* ---- the real shape: a supplicant thread ---- */

struct supp_thread {
	struct teesim_stack *st;
	int rounds, last;
};

static void *supp_loop(void *arg)
{
	struct supp_thread *st = arg;

	for (;;) {
		int rc =
		    teesim_supplicant_serve_fd(st->st->supp, st->st->supp_proc, st->st->supp_fd);

		if (rc == -EINTR) {
			st->last = rc;
			return NULL;
		}
		st->rounds++;
	}
}

START_TEST(test_supplicant_thread)
{
	struct teesim_stack_cfg c;
	struct supp_thread sth = {0};
	struct teesim_supplicant_stats ss;
	pthread_t th;
	struct ot t;

	teesim_stack_cfg_default(&c);
	c.supp = TEESIM_STACK_SUPP_EXTERNAL;
	ot_new(&t, &c);
	sth.st = t.st;
	ck_assert_int_eq(pthread_create(&th, NULL, supp_loop, &sth), 0);
	ot_open_ok(&t, TEESIM_TA_LOAD_UUID);
	ot_open_ok(&t, TEESIM_TA_LOAD_UUID);
	teesim_optee_supp_interrupt(t.st->drv);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(sth.last, -EINTR);
	teesim_supplicant_stats(t.st->supp, &ss);
	ck_assert_uint_ge(ss.ta_loads, 1);
	ck_assert_uint_eq(ot_drv(&t).supp_failed, 0);
	ck_assert_uint_ge((uint64_t) sth.rounds, 3);
	ot_done(&t);
}
END_TEST

/* The supplicant receives a request and dies: the request fails, nothing hangs. */
struct dying {
	struct teesim_process *p;
	int fd, rc;
};

static void *die_mid_request(void *arg)
{
	struct dying *d = arg;
	size_t len = sizeof(struct tee_iocl_supp_recv_arg) + 5 * sizeof(struct tee_ioctl_param);
	struct tee_iocl_supp_recv_arg *a =
	    teesim_process_mmap(d->p, TEESIM_PAGE_SIZE, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	struct tee_ioctl_buf_data *b = (void *) ((char *) a + 2048);

	memset(a, 0, len);
	a->num_params = 5;
	a->params[0].attr = TEE_IOCTL_PARAM_ATTR_META;
	b->buf_ptr = (uintptr_t) a;
	b->buf_len = len;
	d->rc = teesim_ioctl(d->p, d->fd, TEE_IOC_SUPPL_RECV, b);
	teesim_process_free(d->p); /* dies holding the request */
	return NULL;
}

START_TEST(test_supplicant_dies)
{
	struct teesim_stack_cfg c;
	struct dying d;
	pthread_t th;
	struct ot t;
	uint32_t s = 1, ret = 0, origin = 0;

	teesim_stack_cfg_default(&c);
	c.supp = TEESIM_STACK_SUPP_NONE;
	ot_new(&t, &c);
	d.p = teesim_process_new(teesim_machine_guest(t.st->machine, 0));
	d.fd = teesim_open(d.p, "/dev/teepriv0", 0);
	ck_assert_int_ge(d.fd, 3);
	ck_assert_int_eq(pthread_create(&th, NULL, die_mid_request, &d), 0);
	ck_assert_int_eq(ot_open(&t, TEESIM_TA_LOAD_UUID, 0, NULL, 0, &s, &ret, &origin), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(d.rc, 0);
	ck_assert_uint_ne(ret, 0);
	ck_assert_uint_eq(ot_drv(&t).supp_failed, 1);
	ck_assert(!ot_drv(&t).supp_attached);
	ck_assert_uint_eq(ot_drv(&t).supp_in_progress + ot_drv(&t).supp_queued, 0);
	ck_assert_uint_eq(ot_sw(&t).sessions, 0);
	ot_done(&t);
}
END_TEST

/* ---- the queue's ioctl rules, driven by hand ---- */

struct opener {
	struct ot *t;
	uint32_t ret;
};

static void *open_load(void *arg)
{
	struct opener *o = arg;
	uint32_t s = 0, origin = 0;

	ot_open(o->t, TEESIM_TA_LOAD_UUID, 0, NULL, 0, &s, &o->ret, &origin);
	return NULL;
}

/* SUPPL_RECV with @n params (the first META when @meta); func and count out. */
static int supp_recv(struct teesim_process *p, int fd, uint32_t n, bool meta, uint32_t *func,
		     uint32_t *num, struct tee_ioctl_param *out)
{
	struct tee_iocl_supp_recv_arg *a =
	    teesim_process_mmap(p, TEESIM_PAGE_SIZE, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	struct tee_ioctl_buf_data *b = (void *) ((char *) a + 2048);
	int rc;

	ck_assert_ptr_nonnull(a);
	a->num_params = n;
	if (meta && n)
		a->params[0].attr = TEE_IOCTL_PARAM_ATTR_META;
	b->buf_ptr = (uintptr_t) a;
	b->buf_len = sizeof(*a) + n * sizeof(struct tee_ioctl_param);
	rc = teesim_ioctl(p, fd, TEE_IOC_SUPPL_RECV, b);
	*func = a->func;
	*num = a->num_params;
	if (out && !rc)
		memcpy(out, a->params, a->num_params * sizeof(*out));
	teesim_process_munmap(p, a, TEESIM_PAGE_SIZE);
	return rc;
}

static int supp_send(struct teesim_process *p, int fd, uint32_t ret, uint32_t n,
		     const struct tee_ioctl_param *params)
{
	struct tee_iocl_supp_send_arg *a =
	    teesim_process_mmap(p, TEESIM_PAGE_SIZE, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	struct tee_ioctl_buf_data *b = (void *) ((char *) a + 2048);
	int rc;

	ck_assert_ptr_nonnull(a);
	a->ret = ret;
	a->num_params = n;
	if (n)
		memcpy(a->params, params, n * sizeof(*params));
	b->buf_ptr = (uintptr_t) a;
	b->buf_len = sizeof(*a) + n * sizeof(struct tee_ioctl_param);
	rc = teesim_ioctl(p, fd, TEE_IOC_SUPPL_SEND, b);
	teesim_process_munmap(p, a, TEESIM_PAGE_SIZE);
	return rc;
}

START_TEST(test_queue_rules)
{
	struct teesim_stack_cfg c;
	struct tee_ioctl_param prm[5];
	struct teesim_process *sp;
	struct opener o;
	uint32_t func = 0, num = 0;
	pthread_t th;
	struct ot t;
	int fd;

	teesim_stack_cfg_default(&c);
	c.supp = TEESIM_STACK_SUPP_NONE;
	ot_new(&t, &c);
	sp = teesim_process_new(teesim_machine_guest(t.st->machine, 0));
	fd = teesim_open(sp, "/dev/teepriv0", 0);
	ck_assert_int_ge(fd, 3);
	/* nothing outstanding: SEND of an unknown id, SEND without META, RECV without room */
	memset(prm, 0, sizeof(prm));
	prm[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT | TEE_IOCTL_PARAM_ATTR_META;
	prm[0].a = 5;
	ck_assert_int_eq(supp_send(sp, fd, 0, 1, prm), -ENOENT);
	prm[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT;
	ck_assert_int_eq(supp_send(sp, fd, 0, 1, prm), -EINVAL);
	ck_assert_int_eq(supp_recv(sp, fd, 0, false, &func, &num, NULL), -EINVAL);

	o.t = &t;
	o.ret = 0;
	ck_assert_int_eq(pthread_create(&th, NULL, open_load, &o), 0);
	while (ot_drv(&t).supp_queued < 1)
		sched_yield();
	/* too little room: -EINVAL, the request stays queued */
	ck_assert_int_eq(supp_recv(sp, fd, 1, true, &func, &num, NULL), -EINVAL);
	ck_assert_uint_eq(ot_drv(&t).supp_queued, 1);
	/* the synchronous protocol (no META): the request and its params */
	ck_assert_int_eq(supp_recv(sp, fd, 5, false, &func, &num, prm), 0);
	ck_assert_uint_eq(func, TEESIM_OPTEE_RPC_CMD_LOAD_TA);
	ck_assert_uint_eq(num, 2);
	ck_assert_uint_eq(prm[1].c, (uint64_t) -1); /* the size query's NULL memref */
	ck_assert_uint_eq(ot_drv(&t).supp_in_progress, 1);
	/* a second RECV while a synchronous request is outstanding */
	ck_assert_int_eq(supp_recv(sp, fd, 5, false, &func, &num, NULL), -EINVAL);
	/* wrong count, then the answer */
	ck_assert_int_eq(supp_send(sp, fd, 0, 1, prm), -EINVAL);
	ck_assert_int_eq(supp_send(sp, fd, TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND, 2, prm), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_uint_ne(o.ret, 0);
	ck_assert_uint_eq(ot_drv(&t).supp_in_progress + ot_drv(&t).supp_queued, 0);
	ck_assert_uint_eq(ot_drv(&t).supp_failed, 0);
	ck_assert_uint_eq(ot_sw(&t).sessions, 0);
	teesim_process_free(sp);
	ot_done(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("optee-rpc");
	TCase *tc = tcase_create("rpc");

	tcase_add_test(tc, test_kernel_rpcs_rpc_arg);
	tcase_add_test(tc, test_kernel_rpcs_rpc_alloc);
	tcase_add_test(tc, test_appl_alloc_and_load);
	tcase_add_test(tc, test_rpc_ta_fs);
	tcase_add_test(tc, test_no_supplicant);
	tcase_add_test(tc, test_supplicant_silent);
	tcase_add_test(tc, test_supplicant_thread);
	tcase_add_test(tc, test_supplicant_dies);
	tcase_add_test(tc, test_queue_rules);
	tcase_add_test(tc, test_close_waits_for_sleeping_call);
	suite_add_tcase(s, tc);
	return th_run(s);
}
