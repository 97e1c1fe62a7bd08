/* SPDX-License-Identifier: MIT */
/*
 * The invariant checker (teesim/check.h) through the public API: a clean
 * machine and a clean stack report nothing; each kind of leak or state left
 * in flight that a client can make is found, counted and named.
 */
#include <linux/tee.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "harness.h"

/* ---- a stack with one client process ---- */

struct cl {
	struct teesim_stack *st;
	struct teesim_process *p;
	int fd;
	struct teesim_check_report *rep;
};

static void cl_new_cfg(struct cl *c, const struct teesim_stack_cfg *cfg)
{
	memset(c, 0, sizeof(*c));
	c->st = teesim_stack_new(cfg);
	ck_assert_msg(c->st != NULL, "stack: %s", strerror(errno));
	c->p = teesim_process_new(teesim_machine_guest(c->st->machine, 0));
	ck_assert_ptr_nonnull(c->p);
	c->fd = teesim_open(c->p, "/dev/tee0", 0);
	ck_assert_int_ge(c->fd, 3);
	c->rep = calloc(1, sizeof(*c->rep));
	ck_assert_ptr_nonnull(c->rep);
}

static void cl_new(struct cl *c)
{
	cl_new_cfg(c, NULL);
}

/* Free the client and the stack, proving the stack clean first. */
static void cl_done(struct cl *c)
{
	if (c->p)
		teesim_process_free(c->p);
	th_check_report("stack at teardown",
			teesim_check_stack(c->st, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, c->rep),
			0, c->rep);
	teesim_stack_free(c->st);
	free(c->rep);
}

/* Run a stack check and assert it found @n problems, one of them naming every @want. */
static void expect(struct cl *c, unsigned flags, unsigned n, const char *want1, const char *want2)
{
	unsigned got = teesim_check_stack(c->st, flags, c->rep);

	ck_assert_msg(got == n, "expected %u problems, found %u:\n%s", n, got, c->rep->text);
	ck_assert_uint_eq(c->rep->problems, got);
	ck_assert_uint_eq(strlen(c->rep->text), c->rep->len);
	if (want1)
		ck_assert_msg(strstr(c->rep->text, want1), "no '%s' in:\n%s", want1, c->rep->text);
	if (want2)
		ck_assert_msg(strstr(c->rep->text, want2), "no '%s' in:\n%s", want2, c->rep->text);
}

static void *umem(struct cl *c, size_t len)
{
	void *u = teesim_process_mmap(c->p, len, TEESIM_PROT_READ | TEESIM_PROT_WRITE);

	ck_assert_ptr_nonnull(u);
	return u;
}

static void ufree(struct cl *c, void *u, size_t len)
{
	ck_assert_int_eq(teesim_process_munmap(c->p, u, len), 0);
}

static int shm_alloc(struct cl *c, uint64_t size, int *id)
{
	struct tee_ioctl_shm_alloc_data *d = umem(c, sizeof(*d));
	int rc;

	d->size = size;
	rc = teesim_ioctl(c->p, c->fd, TEE_IOC_SHM_ALLOC, d);
	*id = d->id;
	ufree(c, d, sizeof(*d));
	return rc;
}

static int shm_register(struct cl *c, void *addr, uint64_t len, int *id)
{
	struct tee_ioctl_shm_register_data *d = umem(c, sizeof(*d));
	int rc;

	d->addr = (uintptr_t) addr;
	d->length = len;
	rc = teesim_ioctl(c->p, c->fd, TEE_IOC_SHM_REGISTER, d);
	*id = d->id;
	ufree(c, d, sizeof(*d));
	return rc;
}

static uint32_t open_session(struct cl *c, const char *uuid)
{
	size_t len = sizeof(struct tee_ioctl_open_session_arg);
	struct tee_ioctl_open_session_arg *a = umem(c, len);
	struct tee_ioctl_buf_data *b = umem(c, sizeof(*b));
	struct teesim_uuid u;
	uint32_t s;

	ck_assert_int_eq(teesim_uuid_parse(uuid, &u), 0);
	memcpy(a->uuid, u.b, 16);
	a->clnt_login = TEE_IOCTL_LOGIN_PUBLIC;
	b->buf_ptr = (uintptr_t) a;
	b->buf_len = len;
	ck_assert_int_eq(teesim_ioctl(c->p, c->fd, TEE_IOC_OPEN_SESSION, b), 0);
	ck_assert_uint_eq(a->ret, 0);
	s = a->session;
	ufree(c, b, sizeof(*b));
	ufree(c, a, len);
	return s;
}

static void close_session(struct cl *c, uint32_t s)
{
	struct tee_ioctl_close_session_arg *a = umem(c, sizeof(*a));

	a->session = s;
	ck_assert_int_eq(teesim_ioctl(c->p, c->fd, TEE_IOC_CLOSE_SESSION, a), 0);
	ufree(c, a, sizeof(*a));
}

/* INVOKE @func of @s with p0 value out and p1 value in {a1}; returns the TEE result. */
static uint32_t invoke(struct cl *c, uint32_t s, uint32_t func, uint64_t a1, uint64_t *out_b)
{
	size_t len = sizeof(struct tee_ioctl_invoke_arg) + 2 * sizeof(struct tee_ioctl_param);
	struct tee_ioctl_invoke_arg *a = umem(c, len);
	struct tee_ioctl_buf_data *b = umem(c, sizeof(*b));
	uint32_t ret;

	a->session = s;
	a->func = func;
	a->num_params = 2;
	a->params[0].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT;
	a->params[1].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT;
	a->params[1].a = a1;
	b->buf_ptr = (uintptr_t) a;
	b->buf_len = len;
	ck_assert_int_eq(teesim_ioctl(c->p, c->fd, TEE_IOC_INVOKE, b), 0);
	ret = a->ret;
	if (out_b)
		*out_b = a->params[0].b;
	ufree(c, b, sizeof(*b));
	ufree(c, a, len);
	return ret;
}

/* ---- clean states ---- */

START_TEST(test_clean_machine)
{
	struct teesim_machine *m = th_machine(NULL);
	struct teesim_check_report *rep = malloc(sizeof(*rep));

	ck_assert_ptr_nonnull(rep);
	memset(rep, 'x', sizeof(*rep));
	ck_assert_uint_eq(teesim_check_machine(m, 0, rep), 0);
	ck_assert_uint_eq(rep->problems, 0);
	ck_assert_uint_eq(rep->len, 0);
	ck_assert_str_eq(rep->text, "");
	ck_assert_uint_eq(teesim_check_machine(m, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, NULL), 0);
	ck_assert_uint_eq(teesim_check_machine(NULL, 0, rep), 0);
	ck_assert_uint_eq(teesim_check_stack(NULL, 0, rep), 0);
	free(rep);
	th_machine_done(m);
}
END_TEST

START_TEST(test_clean_stack_in_use)
{
	struct cl c;
	uint32_t s;
	int id, sfd;

	cl_new(&c);
	expect(&c, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, 1, "tee0: ctx", "left at teardown");
	/* a session and a shm in use: consistent and idle, not empty */
	s = open_session(&c, TEESIM_TA_MEM_UUID);
	sfd = shm_alloc(&c, 8192, &id);
	ck_assert_int_ge(sfd, 3);
	ck_assert_ptr_nonnull(teesim_mmap(c.p, sfd, 4096, TEESIM_PROT_READ, 0));
	expect(&c, 0, 0, NULL, NULL);
	expect(&c, TEESIM_CHECK_IDLE, 0, NULL, NULL);
	close_session(&c, s);
	ck_assert_int_eq(teesim_close(c.p, sfd), 0);
	expect(&c, TEESIM_CHECK_IDLE, 0, NULL, NULL);
	/* the client gone: nothing left */
	teesim_process_free(c.p);
	c.p = NULL;
	expect(&c, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, 0, NULL, NULL);
	ck_assert_uint_eq(teesim_check_machine(c.st->machine, TEESIM_CHECK_IDLE, NULL), 0);
	cl_done(&c);
}
END_TEST

/* ---- leaks a client leaves behind ---- */

START_TEST(test_leaked_shm_fd)
{
	struct cl c;
	char want[64];
	int id, sfd;

	cl_new(&c);
	ck_assert_int_eq(teesim_close(c.p, c.fd), 0);
	c.fd = teesim_open(c.p, "/dev/tee0", 0);
	sfd = shm_alloc(&c, 4096, &id);
	ck_assert_int_ge(sfd, 3);
	/* the client closes its device fd but keeps the shm fd: the context lives on */
	ck_assert_int_eq(teesim_close(c.p, c.fd), 0);
	expect(&c, TEESIM_CHECK_IDLE, 0, NULL, NULL);
	snprintf(want, sizeof(want), "tee0: shm id %d", id);
	/* shm, context, and the registration the later driver made for the pool buffer */
	expect(&c, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, 3, want, "left at teardown");
	ck_assert_ptr_nonnull(strstr(c.rep->text, "(fd 1, mmaps 0, driver 0)"));
	ck_assert_ptr_nonnull(strstr(c.rep->text, "secure world: registration cookie"));
	ck_assert_ptr_nonnull(strstr(c.rep->text, "tee0: ctx"));
	cl_done(&c);
}
END_TEST

START_TEST(test_leaked_mapping)
{
	struct cl c;
	char want[64];
	int id, sfd;

	cl_new(&c);
	sfd = shm_alloc(&c, 8192, &id);
	ck_assert_int_ge(sfd, 3);
	ck_assert_ptr_nonnull(teesim_mmap(c.p, sfd, 8192, TEESIM_PROT_READ | TEESIM_PROT_WRITE, 0));
	/* both fds closed: only the mapping holds the shm (and through it the context) */
	ck_assert_int_eq(teesim_close(c.p, sfd), 0);
	ck_assert_int_eq(teesim_close(c.p, c.fd), 0);
	expect(&c, TEESIM_CHECK_IDLE, 0, NULL, NULL);
	snprintf(want, sizeof(want), "tee0: shm id %d", id);
	expect(&c, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, 3, want, "(fd 0, mmaps 1, driver 0)");
	ck_assert_ptr_nonnull(strstr(c.rep->text, "refcount 1 (fd 0, shms 1)"));
	cl_done(&c);
}
END_TEST

START_TEST(test_kernel_page_leak)
{
	struct teesim_guest *g;
	teesim_ipa_t ipa;
	void *host;
	struct cl c;

	cl_new(&c);
	teesim_process_free(c.p);
	c.p = NULL;
	g = teesim_machine_guest(c.st->machine, 0);
	/* kernel pages of the driver's guest that neither pool nor cache holds */
	ck_assert_int_eq(teesim_kmem_alloc(g, 2, 0, &ipa, &host), 0);
	expect(&c, TEESIM_CHECK_IDLE, 0, NULL, NULL);
	expect(&c, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, 1, "machine: guest 0: ", NULL);
	ck_assert_ptr_nonnull(strstr(c.rep->text, "kernel pages, "));
	ck_assert_int_eq(teesim_kmem_free(g, ipa, 2), 0);
	cl_done(&c);
}
END_TEST

START_TEST(test_open_session)
{
	struct cl c;

	cl_new(&c);
	open_session(&c, TEESIM_TA_MEM_UUID);
	expect(&c, TEESIM_CHECK_IDLE, 0, NULL, NULL);
	/* at teardown: the client's context with its session, and the secure world's session */
	expect(&c, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, 2, "1 sessions",
	       "secure world: session");
	ck_assert_ptr_nonnull(strstr(c.rep->text, "teesim.mem"));
	cl_done(&c);
}
END_TEST

START_TEST(test_pinned_registration)
{
	struct cl c;
	void *buf;
	char want[96];
	int id, sfd;

	cl_new(&c);
	buf = umem(&c, 3 * 4096);
	sfd = shm_register(&c, buf, 3 * 4096, &id);
	ck_assert_int_ge(sfd, 3);
	/* the memory goes, the registration keeps its pages pinned */
	ufree(&c, buf, 3 * 4096);
	expect(&c, TEESIM_CHECK_IDLE, 0, NULL, NULL);
	ck_assert_int_eq(teesim_close(c.p, c.fd), 0);
	/* shm, its context, the pins, the secure registration */
	snprintf(want, sizeof(want), "tee0: shm id %d", id);
	expect(&c, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, 4, want,
	       "machine: 3 pins left on 3 pages");
	ck_assert_ptr_nonnull(strstr(c.rep->text, "secure world: registration cookie"));
	ck_assert_ptr_nonnull(strstr(c.rep->text, "(3 pages) left at teardown"));
	cl_done(&c);
}
END_TEST

/* One FS request to the stack's supplicant, as tee-supplicant gets it: op, name, value out. */
static uint32_t fs_request(struct cl *c, uint32_t op, uint64_t fd, const char *name, uint64_t *out)
{
	char buf[64];
	struct tee_ioctl_param p[3] = {
	    {.attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT, .a = op, .b = fd},
	    {.attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, .b = strlen(name) + 1},
	    {.attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT},
	};
	struct teesim_supplicant_memref mem[3] = {{NULL, 0}, {buf, sizeof(buf)}, {NULL, 0}};
	uint32_t ret = 1;

	snprintf(buf, sizeof(buf), "%s", name);
	ck_assert_int_eq(teesim_supplicant_serve(c->st->supp, TEESIM_OPTEE_RPC_CMD_FS,
						 op == TEESIM_OPTEE_RPC_FS_CLOSE ? 1 : 3, p, mem,
						 &ret),
			 0);
	*out = p[2].a;
	return ret;
}

START_TEST(test_supplicant_file_handle)
{
	struct cl c;
	uint64_t sfd = 0, dummy;

	cl_new(&c);
	teesim_process_free(c.p);
	c.p = NULL;
	/* the secure world created a file and never closed it */
	ck_assert_uint_eq(fs_request(&c, TEESIM_OPTEE_RPC_FS_CREATE, 0, "/teesim/obj", &sfd), 0);
	expect(&c, TEESIM_CHECK_IDLE, 0, NULL, NULL);
	expect(&c, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, 1,
	       "supplicant: 1 file handles left open", NULL);
	ck_assert_uint_eq(fs_request(&c, TEESIM_OPTEE_RPC_FS_CLOSE, sfd, "", &dummy), 0);
	cl_done(&c);
}
END_TEST

/* ---- state left in flight ---- */

struct invoker {
	struct cl *c;
	uint32_t s, ret, func;
	uint64_t a1;
};

static void *invoke_thread(void *arg)
{
	struct invoker *iv = arg;

	iv->ret = invoke(iv->c, iv->s, iv->func, iv->a1, NULL);
	return NULL;
}

START_TEST(test_supplicant_request_pending)
{
	struct teesim_stack_cfg cfg;
	struct teesim_optee_info info;
	struct invoker iv = {0};
	pthread_t th;
	struct cl c;

	teesim_stack_cfg_default(&cfg);
	cfg.supp = TEESIM_STACK_SUPP_EXTERNAL;
	cl_new_cfg(&c, &cfg);
	iv.c = &c;
	iv.s = open_session(&c, TEESIM_TA_RPC_UUID);
	iv.func = TEESIM_TA_RPC_CMD_FS;
	iv.a1 = TEESIM_OPTEE_RPC_FS_OPENDIR;
	ck_assert_int_eq(pthread_create(&th, NULL, invoke_thread, &iv), 0);
	/* wait until the request is queued (the caller blocks on it) */
	do {
		sched_yield();
		ck_assert_int_eq(teesim_optee_info(c.st->drv, &info), 0);
	} while (!info.supp_queued);
	expect(&c, 0, 0, NULL, NULL);
	/* the caller's fd, the thread, its session, the call, the request (the name buffer's
	 * SHM_ALLOC), its argument */
	expect(&c, TEESIM_CHECK_IDLE, 6, "supplicant: 1 requests queued, 0 being served",
	       "secure world: thread 0 suspended in RPC");
	ck_assert_ptr_nonnull(strstr(c.rep->text, "fd 3: file count 2"));
	ck_assert_ptr_nonnull(strstr(c.rep->text, "1 sessions with calls running"));
	ck_assert_ptr_nonnull(strstr(c.rep->text, "1 calls in flight"));
	ck_assert_ptr_nonnull(strstr(c.rep->text, "1 cached arguments in use"));
	/* served (SHM_ALLOC of the name, FS, SHM_FREE): everything settles */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(
		    teesim_supplicant_serve_fd(c.st->supp, c.st->supp_proc, c.st->supp_fd), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	close_session(&c, iv.s);
	expect(&c, TEESIM_CHECK_IDLE, 0, NULL, NULL);
	cl_done(&c);
}
END_TEST

START_TEST(test_wait_queue_sleeper)
{
	struct teesim_optee_info info;
	struct invoker iv = {0};
	uint32_t s2;
	pthread_t th;
	struct cl c;

	cl_new(&c);
	iv.c = &c;
	iv.s = open_session(&c, TEESIM_TA_RPC_UUID);
	iv.func = TEESIM_TA_RPC_CMD_WAIT_SLEEP;
	iv.a1 = 7;
	s2 = open_session(&c, TEESIM_TA_RPC_UUID);
	ck_assert_int_eq(pthread_create(&th, NULL, invoke_thread, &iv), 0);
	do {
		sched_yield();
		ck_assert_int_eq(teesim_optee_info(c.st->drv, &info), 0);
	} while (!info.wait_queue);
	expect(&c, 0, 0, NULL, NULL);
	/* the caller's fd, the thread, its session, the call, the sleeper, its argument */
	expect(&c, TEESIM_CHECK_IDLE, 6, "optee (guest 0): wait queue: 1 keys with a caller asleep",
	       "secure world: thread 0 suspended in RPC");
	/* another call wakes it */
	ck_assert_uint_eq(invoke(&c, s2, TEESIM_TA_RPC_CMD_WAIT_WAKEUP, 7, NULL), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_uint_eq(iv.ret, 0);
	expect(&c, TEESIM_CHECK_IDLE, 0, NULL, NULL);
	close_session(&c, iv.s);
	close_session(&c, s2);
	cl_done(&c);
}
END_TEST

/* a secure thread left suspended in an RPC the normal world never answers */
START_TEST(test_suspended_thread)
{
	struct teesim_machine *m = th_machine(NULL);
	struct teesim_guest *g = teesim_machine_guest(m, 0);
	struct teesim_sw *sw = teesim_sw_new(m, NULL);
	struct teesim_check_report *rep = malloc(sizeof(*rep));
	struct teesim_optee_msg_arg *arg;
	struct teesim_smc_regs r;
	struct teesim_uuid u;
	teesim_ipa_t ipa;
	teesim_pa_t pa;
	void *host;

	ck_assert_ptr_nonnull(sw);
	ck_assert_ptr_nonnull(rep);
	ck_assert_int_eq(teesim_kmem_alloc(g, 1, TEESIM_KMEM_ZERO, &ipa, &host), 0);
	ck_assert_int_eq(teesim_guest_ipa_to_pa(g, ipa, &pa), 0);
	/* OPEN_SESSION of a TA that is not built in: the secure world asks for it by RPC */
	arg = host;
	arg->cmd = TEESIM_OPTEE_MSG_CMD_OPEN_SESSION;
	arg->num_params = 2;
	ck_assert_int_eq(teesim_uuid_parse(TEESIM_TA_LOAD_UUID, &u), 0);
	arg->params[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT | TEESIM_OPTEE_MSG_ATTR_META;
	arg->params[1].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT | TEESIM_OPTEE_MSG_ATTR_META;
	memcpy(&arg->params[0].u.value.a, u.b, 8);
	memcpy(&arg->params[0].u.value.b, u.b + 8, 8);
	arg->params[1].u.value.c = TEE_IOCTL_LOGIN_PUBLIC;
	memset(&r, 0, sizeof(r));
	r.a[0] = TEESIM_OPTEE_SMC_CALL_WITH_ARG;
	r.a[1] = (uint32_t) (pa >> 32);
	r.a[2] = (uint32_t) pa;
	teesim_smc_call(m, g, &r);
	ck_assert_msg(TEESIM_OPTEE_SMC_RETURN_IS_RPC(r.a[0]), "a0 %#x", r.a[0]);
	ck_assert_uint_eq(teesim_check_machine(m, 0, rep), 0);
	ck_assert_uint_eq(teesim_check_machine(m, TEESIM_CHECK_IDLE, rep), 1);
	ck_assert_ptr_nonnull(strstr(rep->text, "secure world: thread 0 suspended in RPC"));
	ck_assert_uint_eq(rep->problems, 1);
	/* freeing the secure world unwinds the thread */
	teesim_sw_free(sw);
	ck_assert_uint_eq(teesim_check_machine(m, TEESIM_CHECK_IDLE, rep), 0);
	ck_assert_int_eq(teesim_kmem_free(g, ipa, 1), 0);
	free(rep);
	th_machine_done(m);
}
END_TEST

/* ---- the report ---- */

START_TEST(test_truncated_report)
{
	enum { N = 150 };
	static int fds[N];
	struct cl c;
	int id;

	cl_new(&c);
	for (int i = 0; i < N; i++) {
		fds[i] = shm_alloc(&c, 4096, &id);
		ck_assert_int_ge(fds[i], 3);
	}
	/* every shm, its registration, and the context: more lines than the text holds */
	ck_assert_uint_eq(teesim_check_stack(c.st, TEESIM_CHECK_EMPTY, c.rep), 2 * N + 1);
	ck_assert_uint_eq(c.rep->problems, 2 * N + 1);
	ck_assert_uint_lt(c.rep->len, TEESIM_CHECK_TEXT_MAX);
	ck_assert_uint_eq(strlen(c.rep->text), c.rep->len);
	ck_assert_ptr_nonnull(strstr(c.rep->text, "... and "));
	ck_assert_ptr_nonnull(strstr(c.rep->text, " more\n"));
	ck_assert_int_eq(c.rep->text[c.rep->len - 1], '\n');
	/* NULL report: the count alone */
	ck_assert_uint_eq(teesim_check_stack(c.st, TEESIM_CHECK_EMPTY, NULL), 2 * N + 1);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(teesim_close(c.p, fds[i]), 0);
	cl_done(&c);
}
END_TEST

/* ---- a guest behind the mediator ---- */

static int add_mediator(void *ctx, struct teesim_stack *st)
{
	struct teesim_mediator **med = ctx;

	*med = teesim_mediator_new(st->machine, NULL);
	return *med ? 0 : -errno;
}

static void free_mediator(void *ctx, struct teesim_stack *st)
{
	struct teesim_mediator **med = ctx;

	(void) st;
	teesim_mediator_free(*med);
	*med = NULL;
}

START_TEST(test_mediator_registration)
{
	struct teesim_mediator *med = NULL;
	struct teesim_stack_cfg cfg;
	struct cl c;
	void *buf;
	int id, sfd;

	teesim_stack_cfg_default(&cfg);
	cfg.machine.remap = TEESIM_REMAP_SHUFFLE;
	cfg.machine.guest0_size = 32u << 20; /* the rest for the hypervisor's memory */
	cfg.sw.sec_caps |= TEESIM_OPTEE_SMC_SEC_CAP_VIRTUALIZATION;
	cfg.pre_probe = add_mediator;
	cfg.post_remove = free_mediator;
	cfg.hook_ctx = &med;
	cl_new_cfg(&c, &cfg);
	ck_assert_ptr_nonnull(med);
	buf = umem(&c, 2 * 4096);
	sfd = shm_register(&c, buf, 2 * 4096, &id);
	ck_assert_int_ge(sfd, 3);
	open_session(&c, TEESIM_TA_MEM_UUID);
	/* buffers, cookies and sessions agree across driver, mediator and secure world */
	expect(&c, TEESIM_CHECK_IDLE, 0, NULL, NULL);
	ck_assert_int_eq(teesim_close(c.p, c.fd), 0);
	/* pins, shm, context (with its session), registration, session, buffer, guest session */
	expect(&c, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, 7, "mediator: guest 0: 1 shared buffers",
	       "secure world: registration cookie");
	ck_assert_ptr_nonnull(
	    strstr(c.rep->text, "mediator: guest 0: 1 sessions left at teardown"));
	ck_assert_int_eq(teesim_close(c.p, sfd), 0);
	ufree(&c, buf, 2 * 4096);
	cl_done(&c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("check");
	TCase *tc = tcase_create("check");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_clean_machine);
	tcase_add_test(tc, test_clean_stack_in_use);
	tcase_add_test(tc, test_leaked_shm_fd);
	tcase_add_test(tc, test_leaked_mapping);
	tcase_add_test(tc, test_kernel_page_leak);
	tcase_add_test(tc, test_open_session);
	tcase_add_test(tc, test_pinned_registration);
	tcase_add_test(tc, test_supplicant_file_handle);
	tcase_add_test(tc, test_supplicant_request_pending);
	tcase_add_test(tc, test_wait_queue_sleeper);
	tcase_add_test(tc, test_suspended_thread);
	tcase_add_test(tc, test_truncated_report);
	tcase_add_test(tc, test_mediator_registration);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run(suite());
}
