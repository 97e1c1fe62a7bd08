/* SPDX-License-Identifier: MIT */
/*
 * Protocol fault injection over a full stack (public API): the secure
 * world answers ENOMEM, EBUSY, ETHREAD_LIMIT or a code nobody defines in
 * place of a yielding call (the SMC channel's fault hook answers for it);
 * RPCs fail on the driver's side (a kernel buffer that cannot be had) and
 * on the supplicant's (an error answer); the supplicant is absent, slow
 * (in virtual time) or dies holding a request; foreign interrupts land in
 * the middle of a call. Each test asserts what the caller gets (errno, TEE
 * result and origin), that the normal world recovers (the next calls
 * work), and what is left: pins and registrations back to zero, and the
 * invariant checker clean, or, where the kernel itself forgets an object
 * the secure world still holds, exactly that object and nothing else.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "optee-util.h"

#define VIN  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT
#define VOUT TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT
#define VIO  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT
#define MIN  TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT
#define PG   TEESIM_PAGE_SIZE

#define BAD_CODE   0x12345678u /* no OPTEE_SMC_RETURN_* and not an RPC */
#define CUSTOM_CMD 0x7777u
#define SPIN_LIMIT (1ul << 26) /* bounded waits: yields before giving up */

/* ---- the fault hook: answer the next yielding call in the secure world's place ---- */

struct fault {
	pthread_mutex_t lock;
	unsigned armed; /* yielding calls still to answer with @answer */
	uint32_t answer;
	unsigned fired;
};

static bool is_yielding_call(uint32_t a0)
{
	return a0 == TEESIM_OPTEE_SMC_CALL_WITH_ARG || a0 == TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG ||
	       a0 == TEESIM_OPTEE_SMC_CALL_WITH_REGD_ARG;
}

static int fault_hook(void *ctx, enum teesim_smc_stage stage, struct teesim_guest *from,
		      struct teesim_smc_regs *regs)
{
	struct fault *f = ctx;
	int rc = TEESIM_SMC_PASS;

	(void) from;
	if (stage != TEESIM_SMC_BEFORE || !is_yielding_call(regs->a[0]))
		return rc;
	pthread_mutex_lock(&f->lock);
	if (f->armed) {
		f->armed--;
		f->fired++;
		/* a1..a7 untouched, as OP-TEE leaves them with these answers */
		regs->a[0] = f->answer;
		rc = TEESIM_SMC_SKIP;
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static void fault_init(struct fault *f, struct ot *t)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	teesim_smc_set_fault_hook(t->st->machine, fault_hook, f);
}

static void fault_arm(struct fault *f, uint32_t answer, unsigned n)
{
	pthread_mutex_lock(&f->lock);
	f->answer = answer;
	f->armed = n;
	pthread_mutex_unlock(&f->lock);
}

static unsigned fault_fired(struct fault *f)
{
	unsigned n;

	pthread_mutex_lock(&f->lock);
	n = f->fired;
	pthread_mutex_unlock(&f->lock);
	return n;
}

static void fault_fini(struct fault *f, struct ot *t)
{
	teesim_smc_set_fault_hook(t->st->machine, NULL, NULL);
	pthread_mutex_destroy(&f->lock);
}

/* ---- checks ---- */

/*
 * The invariant checker with @flags: the number of problems (printed when
 * not 0); each string of @expect (NULL-terminated, may be NULL) must appear
 * in the report.
 */
static unsigned check_expect(struct ot *t, unsigned flags, const char *const *expect)
{
	struct teesim_check_report *rep = malloc(sizeof(*rep));
	unsigned n;

	ck_assert_ptr_nonnull(rep);
	n = teesim_check_stack(t->st, flags, rep);
	if (n)
		fprintf(stderr, "checker: %u problem(s):\n%s\n", n, rep->text);
	for (; expect && *expect; expect++)
		ck_assert_msg(strstr(rep->text, *expect), "checker report lacks \"%s\"", *expect);
	free(rep);
	return n;
}

static unsigned check(struct ot *t, unsigned flags)
{
	return check_expect(t, flags, NULL);
}

/* Free the client, check both worlds hold nothing (checker clean), free the stack. */
static void done(struct ot *t)
{
	teesim_process_free(t->p);
	t->p = NULL;
	ot_assert_clean(t);
	ck_assert_uint_eq(ot_core(t).pinned_pages, 0);
	ck_assert_uint_eq(ot_drv(t).registered, 0);
	ck_assert_uint_eq(check(t, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY), 0);
	teesim_stack_free(t->st);
	t->st = NULL;
}

static void nop_ok(struct ot *t, uint32_t s)
{
	struct tee_ioctl_param p = ot_value(VIO, 9, 0, 0);
	uint32_t ret = 1;

	ck_assert_int_eq(ot_invoke(t, s, TEESIM_TA_MEM_CMD_NOP, &p, 1, &ret, NULL), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(p.a, 10);
}

/* One command of the RPC TA: invoke succeeds; returns the TA's RPC result (p0.a). */
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

/* ---- the secure world's answer replaced at a chosen step ---- */

static const uint32_t answers[] = {TEESIM_OPTEE_SMC_RETURN_ENOMEM, TEESIM_OPTEE_SMC_RETURN_EBUSY,
				   BAD_CODE};

/* OPEN_SESSION: COMMUNICATION / COMMS, no session in either world, the next open works. */
static void open_fault(uint32_t answer)
{
	struct fault f;
	struct ot t;
	uint32_t s = 77, ret = 0, origin = 0;

	ot_new(&t, NULL);
	fault_init(&f, &t);
	fault_arm(&f, answer, 1);
	ck_assert_int_eq(
	    ot_open(&t, TEESIM_TA_MEM_UUID, TEE_IOCTL_LOGIN_PUBLIC, NULL, 0, &s, &ret, &origin), 0);
	ck_assert_uint_eq(fault_fired(&f), 1);
	ck_assert_uint_eq(ret, TEESIM_OPTEE_ERROR_COMMUNICATION);
	ck_assert_uint_eq(origin, TEESIM_OPTEE_ORIGIN_COMMS);
	ck_assert_uint_eq(s, 0);
	ck_assert_uint_eq(ot_sw(&t).sessions, 0);
	ck_assert_uint_eq(ot_core(&t).sessions, 0);
	ck_assert_uint_eq(ot_drv(&t).active_calls, 0);
	ck_assert_uint_eq(check(&t, TEESIM_CHECK_IDLE), 0);
	s = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	nop_ok(&t, s);
	ck_assert_int_eq(ot_close(&t, s), 0);
	fault_fini(&f, &t);
	done(&t);
}

/*
 * INVOKE with a registered memref: COMMUNICATION / COMMS; the memref's
 * reference is dropped (refs back to the fd's), the secure registration is
 * untouched; the next invoke reads the buffer.
 */
static void invoke_fault(uint32_t answer)
{
	struct teesim_tee_fd_info fi;
	struct teesim_sw_shm_info so;
	struct tee_ioctl_param p[2];
	struct fault f;
	struct ot t;
	uint32_t s, ret = 0, origin = 0;
	uint8_t *buf;
	int fd, id;

	ot_new(&t, NULL);
	fault_init(&f, &t);
	s = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	buf = ot_umem(&t, 2);
	memset(buf, 3, 2 * PG);
	fd = ot_shm_register(&t, buf, 2 * PG, &id);
	ck_assert_int_ge(fd, 3);
	fault_arm(&f, answer, 1);
	p[0] = ot_memref(MIN, id, 0, 2 * PG);
	p[1] = ot_value(VOUT, 0, 0, 0);
	ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_MEM_CMD_READ, p, 2, &ret, &origin), 0);
	ck_assert_uint_eq(fault_fired(&f), 1);
	ck_assert_uint_eq(ret, TEESIM_OPTEE_ERROR_COMMUNICATION);
	ck_assert_uint_eq(origin, TEESIM_OPTEE_ORIGIN_COMMS);
	ck_assert_uint_eq(p[1].a, 0); /* outputs not copied from a failed call */
	ck_assert_int_eq(teesim_tee_fd_info(t.p, fd, &fi), 0);
	ck_assert_uint_eq(fi.shm.refs, 1);
	ck_assert_uint_eq(teesim_sw_shm_objects(t.st->sw, &so, 1), 1);
	ck_assert_uint_eq(so.refcount, 1);
	ck_assert_uint_eq(ot_sw(&t).threads_busy, 0);
	ck_assert_uint_eq(check(&t, TEESIM_CHECK_IDLE), 0);
	/* recovery */
	p[1] = ot_value(VOUT, 0, 0, 0);
	ck_assert_int_eq(ot_invoke(&t, s, TEESIM_TA_MEM_CMD_READ, p, 2, &ret, &origin), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(p[1].a, 6 * PG);
	ck_assert_int_eq(teesim_close(t.p, fd), 0);
	ck_assert_int_eq(ot_close(&t, s), 0);
	fault_fini(&f, &t);
	done(&t);
}

/* REGISTER_SHM: -EINVAL, every pin dropped, no id, no registration; the retry works. */
static void register_fault(uint32_t answer)
{
	struct teesim_tee_stats c0;
	struct fault f;
	struct ot t;
	uint8_t *buf;
	int fd, id;

	ot_new(&t, NULL);
	fault_init(&f, &t);
	buf = ot_umem(&t, 600);			/* two list pages */
	fd = ot_shm_register(&t, buf, PG, &id); /* fills the driver's argument cache first */
	ck_assert_int_ge(fd, 3);
	ck_assert_int_eq(teesim_close(t.p, fd), 0);
	c0 = ot_core(&t);
	fault_arm(&f, answer, 1);
	ck_assert_int_eq(ot_shm_register(&t, buf + 5, 600 * PG - 5, &id), -EINVAL);
	ck_assert_uint_eq(fault_fired(&f), 1);
	ck_assert_uint_eq(ot_core(&t).pinned_pages, 0);
	ck_assert_uint_eq(ot_core(&t).shms, c0.shms);
	ck_assert_uint_eq(ot_core(&t).ids, c0.ids);
	ck_assert_uint_eq(ot_core(&t).files, c0.files);
	ck_assert_uint_eq(ot_drv(&t).registered, 0);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 0);
	ck_assert_uint_eq(check(&t, TEESIM_CHECK_IDLE), 0);
	fd = ot_shm_register(&t, buf + 5, 600 * PG - 5, &id);
	ck_assert_int_ge(fd, 3);
	ck_assert_uint_eq(ot_core(&t).pinned_pages, 600);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 1);
	ck_assert_int_eq(teesim_close(t.p, fd), 0);
	fault_fini(&f, &t);
	done(&t);
}

/* SHM_ALLOC of the later driver (registered at allocation): -EINVAL, pages back. */
static void alloc_fault(uint32_t answer)
{
	struct teesim_machine_stats m0, m1;
	struct teesim_tee_stats c0;
	struct fault f;
	struct ot t;
	int fd, id;

	ot_new(&t, NULL);
	fault_init(&f, &t);
	fd = ot_shm_alloc(&t, PG, &id); /* fills the argument cache first */
	ck_assert_int_ge(fd, 3);
	ck_assert_int_eq(teesim_close(t.p, fd), 0);
	teesim_machine_stats(t.st->machine, &m0);
	c0 = ot_core(&t);
	fault_arm(&f, answer, 1);
	ck_assert_int_eq(ot_shm_alloc(&t, 3 * PG, &id), -EINVAL);
	ck_assert_uint_eq(fault_fired(&f), 1);
	teesim_machine_stats(t.st->machine, &m1);
	ck_assert_uint_eq(m1.kernel_pages, m0.kernel_pages);
	ck_assert_uint_eq(ot_core(&t).shms, c0.shms);
	ck_assert_uint_eq(ot_core(&t).files, c0.files);
	ck_assert_uint_eq(ot_core(&t).ids, 0);
	ck_assert_uint_eq(ot_drv(&t).registered, 0);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 0);
	fd = ot_shm_alloc(&t, 3 * PG, &id);
	ck_assert_int_ge(fd, 3);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 1);
	ck_assert_int_eq(teesim_close(t.p, fd), 0);
	fault_fini(&f, &t);
	done(&t);
}

/*
 * CLOSE_SESSION and UNREGISTER_SHM: the kernel ignores their result, so the
 * caller sees success and the normal world forgets the object (pins,
 * registration count, session count back to zero) while the secure world,
 * which never saw the request, still holds it: exactly one object leaked in
 * the secure world, as on real hardware. Later calls work; freeing the
 * secure world frees the leak.
 */
static void close_faults(uint32_t answer)
{
	struct teesim_sw_session_info si;
	struct fault f;
	struct ot t;
	uint32_t s, s2;
	uint8_t *buf;
	int fd, id;

	ot_new(&t, NULL);
	fault_init(&f, &t);
	s = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	fault_arm(&f, answer, 1);
	ck_assert_int_eq(ot_close(&t, s), 0);
	ck_assert_uint_eq(fault_fired(&f), 1);
	ck_assert_uint_eq(ot_core(&t).sessions, 0);
	ck_assert_uint_eq(teesim_sw_sessions(t.st->sw, &si, 1), 1);
	ck_assert_uint_eq(si.id, s);
	ck_assert_int_eq(ot_close(&t, s), -EINVAL); /* the driver forgot it */
	buf = ot_umem(&t, 3);
	fd = ot_shm_register(&t, buf, 3 * PG, &id);
	ck_assert_int_ge(fd, 3);
	fault_arm(&f, answer, 1);
	ck_assert_int_eq(teesim_close(t.p, fd), 0);
	ck_assert_uint_eq(fault_fired(&f), 2);
	ck_assert_uint_eq(ot_core(&t).pinned_pages, 0);
	ck_assert_uint_eq(ot_drv(&t).registered, 0);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 1);
	/* the normal world goes on */
	s2 = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	nop_ok(&t, s2);
	ck_assert_int_eq(ot_close(&t, s2), 0);
	fd = ot_shm_register(&t, buf, 3 * PG, &id);
	ck_assert_int_ge(fd, 3);
	ck_assert_int_eq(teesim_close(t.p, fd), 0);
	teesim_process_free(t.p);
	t.p = NULL;
	/* exactly the two leaked objects remain, in the secure world only */
	ck_assert_uint_eq(ot_sw(&t).sessions, 1);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 1);
	ck_assert_uint_eq(ot_core(&t).sessions, 0);
	ck_assert_uint_eq(ot_core(&t).pinned_pages, 0);
	ck_assert_uint_eq(ot_sw(&t).threads_busy, 0);
	{
		static const char *const leaked[] = {"session 1 ",
						     "sessions open, the normal world holds 0",
						     "registration cookie", NULL};

		ck_assert_uint_eq(check_expect(&t, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, leaked),
				  3);
	}
	fault_fini(&f, &t);
	teesim_stack_free(t.st);
}

/* CANCEL: the ioctl succeeds (the kernel drops the result), the session still works. */
static void cancel_fault(uint32_t answer)
{
	struct fault f;
	struct ot t;
	uint32_t s;

	ot_new(&t, NULL);
	fault_init(&f, &t);
	s = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	fault_arm(&f, answer, 1);
	ck_assert_int_eq(ot_cancel(&t, s, 5), 0);
	ck_assert_uint_eq(fault_fired(&f), 1);
	nop_ok(&t, s);
	ck_assert_int_eq(ot_close(&t, s), 0);
	fault_fini(&f, &t);
	done(&t);
}

START_TEST(test_answer_open)
{
	open_fault(answers[_i]);
}
END_TEST

START_TEST(test_answer_invoke)
{
	invoke_fault(answers[_i]);
}
END_TEST

START_TEST(test_answer_register)
{
	register_fault(answers[_i]);
}
END_TEST

START_TEST(test_answer_alloc)
{
	alloc_fault(answers[_i]);
}
END_TEST

START_TEST(test_answer_close)
{
	close_faults(answers[_i]);
}
END_TEST

START_TEST(test_answer_cancel)
{
	cancel_fault(answers[_i]);
}
END_TEST

/* ---- ETHREAD_LIMIT ---- */

/* Bounded wait for a driver counter (no sleep): fails instead of hanging. */
#define WAIT_FOR(t, cond)                                                                          \
	do {                                                                                       \
		unsigned long spins_ = 0;                                                          \
		while (!(cond)) {                                                                  \
			ck_assert_msg(++spins_ < SPIN_LIMIT, "no progress waiting for %s", #cond); \
			sched_yield();                                                             \
		}                                                                                  \
	} while (0)

struct caller {
	struct ot c;
	uint32_t session, cmd, ret, result;
	int rc;
};

/* A call of the RPC TA (CUSTOM: one supplicant request) or a NOP of the mem TA. */
static void *caller_main(void *arg)
{
	struct caller *k = arg;
	struct tee_ioctl_param p[2];

	k->ret = 1;
	if (k->cmd == TEESIM_TA_RPC_CMD_CUSTOM) {
		p[0] = ot_value(VOUT, 0, 0, 0);
		p[1] = ot_value(VIN, CUSTOM_CMD, 0, 0);
		k->rc = ot_invoke(&k->c, k->session, k->cmd, p, 2, &k->ret, NULL);
		k->result = (uint32_t) p[0].a;
	} else {
		p[0] = ot_value(VIO, 1, 0, 0);
		k->rc = ot_invoke(&k->c, k->session, TEESIM_TA_MEM_CMD_NOP, p, 1, &k->ret, NULL);
		k->result = (uint32_t) p[0].a;
	}
	return NULL;
}

/*
 * ETHREAD_LIMIT answered while another call holds a secure thread (waiting
 * for the supplicant): the caller waits on the call queue, and is retried
 * and completes once that call ends. With no other call in flight the
 * driver ends the call with COMMUNICATION (it would wait forever).
 */
START_TEST(test_ethread_limit)
{
	struct teesim_stack_cfg c;
	struct caller a, b;
	pthread_t ta, tb;
	struct fault f;
	struct ot t;
	uint64_t waits0;
	uint32_t ret = 0, origin = 0;

	teesim_stack_cfg_default(&c);
	c.supp = TEESIM_STACK_SUPP_EXTERNAL;
	ot_new(&t, &c);
	fault_init(&f, &t);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.c = t;
	b.c = t;
	a.session = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	a.cmd = TEESIM_TA_RPC_CMD_CUSTOM;
	b.session = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	/* alone: COMMUNICATION, not a hang */
	fault_arm(&f, TEESIM_OPTEE_SMC_RETURN_ETHREAD_LIMIT, 1);
	{
		struct tee_ioctl_param p = ot_value(VIO, 1, 0, 0);

		ck_assert_int_eq(ot_invoke(&t, b.session, 0, &p, 1, &ret, &origin), 0);
	}
	ck_assert_uint_eq(ret, TEESIM_OPTEE_ERROR_COMMUNICATION);
	ck_assert_uint_eq(origin, TEESIM_OPTEE_ORIGIN_COMMS);
	waits0 = ot_drv(&t).ethread_waits;
	/* a holds a secure thread in the supplicant queue */
	ck_assert_int_eq(pthread_create(&ta, NULL, caller_main, &a), 0);
	WAIT_FOR(&t, ot_drv(&t).supp_queued == 1);
	fault_arm(&f, TEESIM_OPTEE_SMC_RETURN_ETHREAD_LIMIT, 1);
	ck_assert_int_eq(pthread_create(&tb, NULL, caller_main, &b), 0);
	WAIT_FOR(&t, ot_drv(&t).call_waiters == 1);
	ck_assert_uint_eq(ot_drv(&t).ethread_waits, waits0 + 1);
	ck_assert_uint_eq(ot_drv(&t).active_calls, 2);
	/* the supplicant answers: a ends, b is retried and completes */
	ck_assert_int_eq(teesim_supplicant_serve_fd(t.st->supp, t.st->supp_proc, t.st->supp_fd), 0);
	ck_assert_int_eq(pthread_join(ta, NULL), 0);
	ck_assert_int_eq(pthread_join(tb, NULL), 0);
	ck_assert_int_eq(a.rc, 0);
	ck_assert_uint_eq(a.ret, 0);
	ck_assert_uint_eq(a.result, TEESIM_OPTEE_ERROR_NOT_SUPPORTED);
	ck_assert_int_eq(b.rc, 0);
	ck_assert_uint_eq(b.ret, 0);
	ck_assert_uint_eq(b.result, 2);
	ck_assert_uint_eq(fault_fired(&f), 2);
	ck_assert_uint_eq(ot_drv(&t).call_waiters, 0);
	ck_assert_uint_eq(ot_drv(&t).active_calls, 0);
	ck_assert_int_eq(ot_close(&t, a.session), 0);
	ck_assert_int_eq(ot_close(&t, b.session), 0);
	fault_fini(&f, &t);
	done(&t);
}
END_TEST

/* ---- RPCs that fail ---- */

/*
 * Driver side: a kernel buffer (RPC SHM_ALLOC of kernel type) the driver
 * cannot allocate: OUT_OF_MEMORY to the TA, nothing held by either side;
 * the next allocation works.
 */
START_TEST(test_rpc_kernel_alloc_fails)
{
	struct teesim_machine_stats m0, m1;
	struct ot t;
	uint32_t s;

	ot_new(&t, NULL);
	s = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	teesim_machine_stats(t.st->machine, &m0);
	/* more than the guest's RAM */
	ck_assert_uint_eq(rpc_ta(&t, s, TEESIM_TA_RPC_CMD_SHM_ALLOC,
				 TEESIM_OPTEE_RPC_SHM_TYPE_KERNEL, 0x7ffff000u, NULL),
			  TEESIM_OPTEE_ERROR_OUT_OF_MEMORY);
	teesim_machine_stats(t.st->machine, &m1);
	ck_assert_uint_eq(m1.kernel_pages, m0.kernel_pages);
	ck_assert_uint_eq(ot_drv(&t).rpc_shms, 0);
	ck_assert_uint_eq(ot_sw(&t).rpc_shm_objects, 0);
	ck_assert_uint_eq(ot_sw(&t).threads_busy, 0);
	ck_assert_uint_eq(rpc_ta(&t, s, TEESIM_TA_RPC_CMD_SHM_ALLOC,
				 TEESIM_OPTEE_RPC_SHM_TYPE_KERNEL, 5000, NULL),
			  0);
	ck_assert_uint_eq(ot_drv(&t).rpc_shms, 0);
	ck_assert_int_eq(ot_close(&t, s), 0);
	done(&t);
}
END_TEST

/*
 * Driver side: RPC_ALLOC (no RPC_ARG) when the guest has no free page:
 * the secure world's RPC fails, the call still returns, and once memory is
 * back the RPC argument is allocated and cached (shm cache).
 */
START_TEST(test_rpc_arg_alloc_fails)
{
	struct teesim_stack_cfg c;
	struct ot t;
	void *hog[64], *spare;
	size_t hoglen[64], nhog = 0, chunk = 1024 * PG;
	uint32_t s, s2, r;

	teesim_stack_cfg_default(&c);
	c.machine.ram_size = 8u << 20;
	c.drv.rpc_arg = false;
	ot_new(&t, &c);
	ck_assert_uint_eq(ot_drv(&t).rpc_param_count, 0);
	s = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	s2 = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	/* two pages for the ioctl's argument structs, given back below */
	spare = teesim_process_mmap(t.p, 2 * PG, TEESIM_PROT_READ);
	ck_assert_ptr_nonnull(spare);
	/* take every other free page of the guest into user memory (halving the chunk to a page) */
	for (;;) {
		void *m = teesim_process_mmap(t.p, chunk, TEESIM_PROT_READ);

		if (m) {
			ck_assert_uint_lt(nhog, 64);
			hoglen[nhog] = chunk;
			hog[nhog++] = m;
			continue;
		}
		if (chunk == PG)
			break;
		chunk /= 2;
	}
	ck_assert_int_eq(teesim_process_munmap(t.p, spare, 2 * PG), 0);
	/* GET_TIME needs an RPC argument: RPC_ALLOC fails, the TA sees the error */
	r = rpc_ta(&t, s, TEESIM_TA_RPC_CMD_GET_TIME, 0, 0, NULL);
	ck_assert_uint_ne(r, 0);
	ck_assert_uint_eq(ot_drv(&t).rpc_shms, 0);
	ck_assert_uint_eq(ot_sw(&t).cached_rpc_args, 0);
	ck_assert_uint_eq(ot_sw(&t).threads_busy, 0);
	nop_ok(&t, s2); /* calls without RPC are unaffected */
	ck_assert_uint_eq(check(&t, TEESIM_CHECK_IDLE), 0);
	/* memory back: the RPC works and its argument is cached */
	while (nhog) {
		nhog--;
		ck_assert_int_eq(teesim_process_munmap(t.p, hog[nhog], hoglen[nhog]), 0);
	}
	ck_assert_uint_eq(rpc_ta(&t, s, TEESIM_TA_RPC_CMD_GET_TIME, 0, 0, NULL), 0);
	ck_assert_uint_eq(ot_sw(&t).cached_rpc_args, ot_drv(&t).shm_cache ? 1 : 0);
	ck_assert_int_eq(ot_close(&t, s), 0);
	ck_assert_int_eq(ot_close(&t, s2), 0);
	done(&t);
}
END_TEST

/*
 * Supplicant side: it answers errors (the next two requests): the TA gets
 * that code, the request is not left anywhere, the third request is served.
 * Then LOAD_TA answered with an error: the open fails and leaves nothing.
 */
START_TEST(test_rpc_supplicant_error)
{
	struct teesim_supplicant_stats ss;
	struct ot t;
	uint32_t s, s2 = 1, ret = 0, origin = 0;

	ot_new(&t, NULL);
	s = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	teesim_supplicant_fail_next(t.st->supp, 2, TEESIM_OPTEE_ERROR_BUSY);
	ck_assert_uint_eq(rpc_ta(&t, s, TEESIM_TA_RPC_CMD_CUSTOM, CUSTOM_CMD, 0, NULL),
			  TEESIM_OPTEE_ERROR_BUSY);
	ck_assert_uint_eq(
	    rpc_ta(&t, s, TEESIM_TA_RPC_CMD_SHM_ALLOC, TEESIM_OPTEE_RPC_SHM_TYPE_APPL, 100, NULL),
	    TEESIM_OPTEE_ERROR_OUT_OF_MEMORY);
	ck_assert_uint_eq(rpc_ta(&t, s, TEESIM_TA_RPC_CMD_CUSTOM, CUSTOM_CMD, 0, NULL),
			  TEESIM_OPTEE_ERROR_NOT_SUPPORTED);
	ck_assert_uint_eq(ot_drv(&t).supp_queued + ot_drv(&t).supp_in_progress, 0);
	ck_assert_uint_eq(ot_drv(&t).supp_failed, 0);
	teesim_supplicant_stats(t.st->supp, &ss);
	ck_assert_uint_eq(ss.errors, 3);
	ck_assert_uint_eq(ss.shms, 0);
	/* LOAD_TA refused: no session, no loaded TA, no buffer */
	teesim_supplicant_fail_next(t.st->supp, 1, TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	ck_assert_int_eq(
	    ot_open(&t, TEESIM_TA_LOAD_UUID, TEE_IOCTL_LOGIN_PUBLIC, NULL, 0, &s2, &ret, &origin),
	    0);
	ck_assert_uint_ne(ret, 0);
	ck_assert_uint_ne(origin, TEESIM_OPTEE_ORIGIN_TRUSTED_APP);
	ck_assert_uint_eq(ot_sw(&t).sessions, 1);
	ck_assert_uint_eq(ot_sw(&t).rpc_shm_objects, 0);
	s2 = ot_open_ok(&t, TEESIM_TA_LOAD_UUID);
	ck_assert_int_eq(ot_close(&t, s2), 0);
	ck_assert_int_eq(ot_close(&t, s), 0);
	done(&t);
}
END_TEST

/* ---- the supplicant absent, slow, dying ---- */

static void *supp_loop(void *arg)
{
	struct teesim_stack *st = arg;
	int rc;

	while ((rc = teesim_supplicant_serve_fd(st->supp, st->supp_proc, st->supp_fd)) != -EINTR)
		;
	return NULL;
}

/*
 * Absent: every request fails COMMUNICATION at once (the kernel would wait
 * for a supplicant), kernel RPCs still work, nothing waits.
 */
START_TEST(test_supplicant_absent)
{
	struct teesim_stack_cfg c;
	struct ot t;
	uint32_t s, s2 = 1, ret = 0, origin = 0;

	teesim_stack_cfg_default(&c);
	c.supp = TEESIM_STACK_SUPP_NONE;
	ot_new(&t, &c);
	s = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	ck_assert_uint_eq(rpc_ta(&t, s, TEESIM_TA_RPC_CMD_CUSTOM, CUSTOM_CMD, 0, NULL),
			  TEESIM_OPTEE_ERROR_COMMUNICATION);
	ck_assert_int_eq(
	    ot_open(&t, TEESIM_TA_LOAD_UUID, TEE_IOCTL_LOGIN_PUBLIC, NULL, 0, &s2, &ret, &origin),
	    0);
	ck_assert_uint_ne(ret, 0);
	ck_assert_uint_eq(ot_drv(&t).supp_failed, 2);
	ck_assert_uint_eq(ot_drv(&t).supp_queued + ot_drv(&t).supp_in_progress, 0);
	ck_assert_uint_eq(rpc_ta(&t, s, TEESIM_TA_RPC_CMD_GET_TIME, 0, 0, NULL), 0);
	ck_assert_uint_eq(ot_sw(&t).sessions, 1);
	ck_assert_int_eq(ot_close(&t, s), 0);
	done(&t);
}
END_TEST

/*
 * Slow (virtual time): a request waits while the supplicant "takes" 30
 * virtual seconds; other clients' calls go on meanwhile; no timeout fires
 * (the kernel has none); the answer arrives and the TA's clock shows the
 * delay.
 */
START_TEST(test_supplicant_slow)
{
	struct teesim_stack_cfg c;
	struct tee_ioctl_param o;
	struct caller a;
	pthread_t ta;
	struct ot t;
	uint32_t s2;
	uint64_t t0;

	teesim_stack_cfg_default(&c);
	c.supp = TEESIM_STACK_SUPP_EXTERNAL;
	ot_new(&t, &c);
	memset(&a, 0, sizeof(a));
	a.c = t;
	a.session = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	a.cmd = TEESIM_TA_RPC_CMD_CUSTOM;
	s2 = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	t0 = teesim_clock_now(t.st->machine);
	ck_assert_int_eq(pthread_create(&ta, NULL, caller_main, &a), 0);
	WAIT_FOR(&t, ot_drv(&t).supp_queued == 1);
	for (int i = 0; i < 30; i++) {
		teesim_clock_advance(t.st->machine, 1000000000ull);
		nop_ok(&t, s2); /* the rest of the system runs meanwhile */
	}
	ck_assert_uint_eq(ot_drv(&t).supp_queued, 1);
	ck_assert_uint_eq(ot_sw(&t).threads_suspended, 1);
	ck_assert_int_eq(teesim_supplicant_serve_fd(t.st->supp, t.st->supp_proc, t.st->supp_fd), 0);
	ck_assert_int_eq(pthread_join(ta, NULL), 0);
	ck_assert_int_eq(a.rc, 0);
	ck_assert_uint_eq(a.ret, 0);
	ck_assert_uint_eq(a.result, TEESIM_OPTEE_ERROR_NOT_SUPPORTED);
	ck_assert_uint_eq(ot_drv(&t).supp_failed, 0);
	/* GET_TIME from inside the TA sees the 30 s */
	{
		pthread_t sth;

		ck_assert_int_eq(pthread_create(&sth, NULL, supp_loop, t.st), 0);
		ck_assert_uint_eq(rpc_ta(&t, a.session, TEESIM_TA_RPC_CMD_GET_TIME, 0, 0, &o), 0);
		teesim_optee_supp_interrupt(t.st->drv);
		ck_assert_int_eq(pthread_join(sth, NULL), 0);
	}
	ck_assert_uint_ge(o.b, (t0 / 1000000000ull) + 30);
	ck_assert_int_eq(ot_close(&t, a.session), 0);
	ck_assert_int_eq(ot_close(&t, s2), 0);
	done(&t);
}
END_TEST

/* The supplicant takes a request and dies (process exit): COMMUNICATION; a new one serves. */
struct dying {
	struct teesim_process *p;
	int fd, rc;
};

static void *die_mid_request(void *arg)
{
	struct dying *d = arg;
	size_t len = sizeof(struct tee_iocl_supp_recv_arg) + 5 * sizeof(struct tee_ioctl_param);
	struct tee_iocl_supp_recv_arg *a =
	    teesim_process_mmap(d->p, PG, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	struct tee_ioctl_buf_data *b = (void *) ((char *) a + 2048);

	memset(a, 0, len);
	a->num_params = 5;
	a->params[0].attr = TEE_IOCTL_PARAM_ATTR_META;
	b->buf_ptr = (uintptr_t) a;
	b->buf_len = len;
	d->rc = teesim_ioctl(d->p, d->fd, TEE_IOC_SUPPL_RECV, b);
	teesim_process_free(d->p); /* exits holding the request */
	return NULL;
}

struct new_supp {
	struct teesim_supplicant *s;
	struct teesim_process *p;
	struct teesim_optee *drv;
	int fd;
};

static void *new_supp_loop(void *arg)
{
	struct new_supp *n = arg;

	while (teesim_supplicant_serve_fd(n->s, n->p, n->fd) != -EINTR)
		;
	return NULL;
}

START_TEST(test_supplicant_dies)
{
	struct teesim_stack_cfg c;
	struct new_supp ns;
	struct dying d;
	pthread_t th;
	struct ot t;
	uint32_t s, s2 = 1, ret = 0, origin = 0;
	uint8_t image[TEESIM_TA_IMAGE_HDR];
	struct teesim_uuid u;

	teesim_stack_cfg_default(&c);
	c.supp = TEESIM_STACK_SUPP_NONE;
	ot_new(&t, &c);
	s = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	d.p = teesim_process_new(teesim_machine_guest(t.st->machine, 0));
	ck_assert_ptr_nonnull(d.p);
	d.fd = teesim_open(d.p, "/dev/teepriv0", 0);
	ck_assert_int_ge(d.fd, 3);
	ck_assert_int_eq(pthread_create(&th, NULL, die_mid_request, &d), 0);
	ck_assert_uint_eq(rpc_ta(&t, s, TEESIM_TA_RPC_CMD_CUSTOM, CUSTOM_CMD, 0, NULL),
			  TEESIM_OPTEE_ERROR_COMMUNICATION);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(d.rc, 0);
	ck_assert_uint_eq(ot_drv(&t).supp_failed, 1);
	ck_assert(!ot_drv(&t).supp_attached);
	ck_assert_uint_eq(ot_drv(&t).supp_queued + ot_drv(&t).supp_in_progress, 0);
	ck_assert_uint_eq(ot_sw(&t).threads_busy, 0);
	/* a new supplicant (a restarted tee-supplicant) attaches and serves */
	ns.s = teesim_supplicant_new();
	ck_assert_ptr_nonnull(ns.s);
	ck_assert_int_eq(teesim_uuid_parse(TEESIM_TA_LOAD_UUID, &u), 0);
	memcpy(image, TEESIM_TA_IMAGE_MAGIC, 8);
	memcpy(image + 8, u.b, 16);
	ck_assert_int_eq(teesim_supplicant_ta_add(ns.s, u.b, image, sizeof(image)), 0);
	ns.p = teesim_process_new(teesim_machine_guest(t.st->machine, 0));
	ns.fd = teesim_open(ns.p, "/dev/teepriv0", 0);
	ck_assert_int_ge(ns.fd, 3);
	ck_assert_int_eq(pthread_create(&th, NULL, new_supp_loop, &ns), 0);
	ck_assert_uint_eq(rpc_ta(&t, s, TEESIM_TA_RPC_CMD_CUSTOM, CUSTOM_CMD, 0, NULL),
			  TEESIM_OPTEE_ERROR_NOT_SUPPORTED);
	ck_assert_int_eq(
	    ot_open(&t, TEESIM_TA_LOAD_UUID, TEE_IOCTL_LOGIN_PUBLIC, NULL, 0, &s2, &ret, &origin),
	    0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_int_eq(ot_close(&t, s2), 0);
	teesim_optee_supp_interrupt(t.st->drv);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_uint_eq(ot_drv(&t).supp_failed, 1);
	teesim_process_free(ns.p);
	teesim_supplicant_free(ns.s);
	ck_assert_int_eq(ot_close(&t, s), 0);
	done(&t);
}
END_TEST

/* ---- foreign interrupts in the middle of a call ---- */

/*
 * A call suspended in an RPC (waiting for the supplicant) is resumed into
 * two foreign interrupts before it goes on: the driver resumes each and the
 * call's result is right; a second call started meanwhile is interrupted
 * at its start and at its resume; nothing is left busy.
 */
START_TEST(test_foreign_intr_mid_call)
{
	struct teesim_stack_cfg c;
	struct caller a;
	pthread_t ta;
	struct ot t;
	uint64_t fi0;
	uint32_t s2;

	teesim_stack_cfg_default(&c);
	c.supp = TEESIM_STACK_SUPP_EXTERNAL;
	ot_new(&t, &c);
	memset(&a, 0, sizeof(a));
	a.c = t;
	a.session = ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	a.cmd = TEESIM_TA_RPC_CMD_CUSTOM;
	s2 = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	fi0 = ot_drv(&t).foreign_intrs;
	ck_assert_int_eq(pthread_create(&ta, NULL, caller_main, &a), 0);
	WAIT_FOR(&t, ot_drv(&t).supp_queued == 1);
	/* a call started meanwhile is interrupted at its start and at each resume */
	teesim_sw_inject_foreign_intr(t.st->sw, 2);
	nop_ok(&t, s2);
	ck_assert_uint_eq(ot_drv(&t).foreign_intrs, fi0 + 2);
	/* the suspended call's resume lands in two more */
	teesim_sw_inject_foreign_intr(t.st->sw, 2);
	ck_assert_int_eq(teesim_supplicant_serve_fd(t.st->supp, t.st->supp_proc, t.st->supp_fd), 0);
	ck_assert_int_eq(pthread_join(ta, NULL), 0);
	ck_assert_int_eq(a.rc, 0);
	ck_assert_uint_eq(a.ret, 0);
	ck_assert_uint_eq(a.result, TEESIM_OPTEE_ERROR_NOT_SUPPORTED);
	ck_assert_uint_eq(ot_drv(&t).foreign_intrs, fi0 + 4);
	ck_assert_uint_eq(ot_sw(&t).threads_busy, 0);
	nop_ok(&t, s2);
	ck_assert_uint_eq(ot_drv(&t).foreign_intrs, fi0 + 4);
	ck_assert_int_eq(ot_close(&t, a.session), 0);
	ck_assert_int_eq(ot_close(&t, s2), 0);
	done(&t);
}
END_TEST

/* A foreign interrupt answered by the fault hook at the call's start: the driver resumes it. */
START_TEST(test_foreign_intr_answered_by_hook)
{
	struct fault f;
	struct ot t;
	uint32_t s;

	ot_new(&t, NULL);
	s = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	fault_init(&f, &t);
	/* at the very start no thread exists: resuming a3 = 0 is ERESUME, the call fails */
	fault_arm(&f, TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR, 1);
	{
		struct tee_ioctl_param p = ot_value(VIO, 1, 0, 0);
		uint32_t ret = 0, origin = 0;

		ck_assert_int_eq(ot_invoke(&t, s, 0, &p, 1, &ret, &origin), 0);
		ck_assert_uint_eq(ret, TEESIM_OPTEE_ERROR_COMMUNICATION);
		ck_assert_uint_eq(origin, TEESIM_OPTEE_ORIGIN_COMMS);
	}
	ck_assert_uint_eq(ot_sw(&t).threads_busy, 0);
	nop_ok(&t, s);
	ck_assert_int_eq(ot_close(&t, s), 0);
	fault_fini(&f, &t);
	done(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proto-fault");
	TCase *tc = tcase_create("proto-fault");
	int n = (int) (sizeof(answers) / sizeof(answers[0]));

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_answer_open, 0, n);
	tcase_add_loop_test(tc, test_answer_invoke, 0, n);
	tcase_add_loop_test(tc, test_answer_register, 0, n);
	tcase_add_loop_test(tc, test_answer_alloc, 0, n);
	tcase_add_loop_test(tc, test_answer_close, 0, n);
	tcase_add_loop_test(tc, test_answer_cancel, 0, n);
	tcase_add_test(tc, test_ethread_limit);
	tcase_add_test(tc, test_rpc_kernel_alloc_fails);
	tcase_add_test(tc, test_rpc_arg_alloc_fails);
	tcase_add_test(tc, test_rpc_supplicant_error);
	tcase_add_test(tc, test_supplicant_absent);
	tcase_add_test(tc, test_supplicant_slow);
	tcase_add_test(tc, test_supplicant_dies);
	tcase_add_test(tc, test_foreign_intr_mid_call);
	tcase_add_test(tc, test_foreign_intr_answered_by_hook);
	suite_add_tcase(s, tc);
	return th_run(s);
}
