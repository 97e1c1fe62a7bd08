/* SPDX-License-Identifier: MIT */
/* Tee core: OPEN_SESSION, INVOKE, CANCEL, CLOSE_SESSION and parameter handling (white box). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "harness.h"
#include "testdrv.h"
#include "tee_private.h"

static const struct testdrv_cfg full = {.reg_mem = true, .memref_null = true, .supplicant = true};

#define RW     (TEESIM_PROT_READ | TEESIM_PROT_WRITE)
#define P_VIN  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT
#define P_VOUT TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT
#define P_VIO  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT
#define P_MIN  TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT
#define P_MOUT TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT
#define P_MIO  TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT

struct fix {
	struct testdrv *td;
	struct teesim_process *p;
	int fd;
	int shm_fd; /* a 2-page shm of the context */
	int shm_id;
	uint8_t *page; /* one page of user memory for raw argument buffers */
};

static struct fix fix_new(const struct testdrv_cfg *cfg)
{
	struct fix f;
	struct tee_ioctl_shm_alloc_data d;

	f.td = testdrv_new(TH_M, cfg);
	f.p = tproc(TH_M);
	f.fd = teesim_open(f.p, "/dev/tee0", O_RDWR);
	ck_assert_int_eq(f.fd, 3);
	f.shm_fd = t_shm_alloc(f.p, f.fd, 2 * 4096, &d);
	ck_assert_int_eq(f.shm_fd, 4);
	f.shm_id = d.id;
	f.page = teesim_process_mmap(f.p, 4096, RW);
	ck_assert_ptr_nonnull(f.page);
	return f;
}

static void fix_done(struct fix *f)
{
	ck_assert_uint_eq(t_fd_info(f->p, f->shm_fd).shm.refs, 1); /* no reference left over */
	teesim_process_free(f->p);
	testdrv_free(f->td);
	th_core_clean(TH_M);
}

static struct tee_ioctl_param prm(uint64_t attr, uint64_t a, uint64_t b, uint64_t c)
{
	return (struct tee_ioctl_param){attr, a, b, c};
}

/* open_session through raw buffers in f->page: arg at @at, buf_data at the page's end */
static int raw_open(struct fix *f, size_t at, uint32_t num_params, uint64_t buf_len, uint32_t login)
{
	struct tee_ioctl_open_session_arg *a = (void *) (f->page + at);
	struct tee_ioctl_buf_data *b = (void *) (f->page + 4096 - sizeof(*b));

	a->clnt_login = login;
	a->num_params = num_params;
	b->buf_ptr = (uintptr_t) a;
	b->buf_len = buf_len;
	return teesim_ioctl(f->p, f->fd, TEE_IOC_OPEN_SESSION, b);
}

START_TEST(test_open_session_params)
{
	struct fix f = fix_new(&full);
	struct tee_ioctl_param pa[7] = {
	    prm(P_VIN, 1, 2, 3),
	    prm(P_VOUT, 9, 9, 9),
	    prm(P_VIO, 10, 20, 30),
	    prm(P_MIN, 16, 100, (uint64_t) f.shm_id),
	    prm(P_MOUT, 0, 8192, (uint64_t) f.shm_id),
	    prm(TEE_IOCTL_PARAM_ATTR_TYPE_NONE, 5, 6, 7),
	    prm(P_MIO, 8192, 0, (uint64_t) f.shm_id), /* a == size with b == 0 is in range */
	};
	uint32_t session = 0, ret = 1;

	f.td->memref_out_size = 77;
	ck_assert_int_eq(t_open_session(f.p, f.fd, pa, 7, &session, &ret), 0);
	ck_assert_uint_eq(session, 1);
	ck_assert_uint_eq(ret, 0);
	/* what the driver saw */
	ck_assert_uint_eq(f.td->last_num_params, 7);
	ck_assert_uint_eq(f.td->last_params[0].u.value.a, 1);
	ck_assert_uint_eq(f.td->last_params[0].u.value.c, 3);
	ck_assert_int_eq(f.td->last_shm_ids[3], f.shm_id);
	ck_assert_uint_eq(f.td->last_params[3].u.memref.shm_offs, 16);
	ck_assert_uint_eq(f.td->last_params[3].u.memref.size, 100);
	/* what came back: values of OUTPUT/INOUT, only the size of memrefs */
	ck_assert_uint_eq(pa[0].a, 1);
	ck_assert_uint_eq(pa[1].a, 0);
	ck_assert_uint_eq(pa[1].b, 0x1001);
	ck_assert_uint_eq(pa[1].c, 0x2001);
	ck_assert_uint_eq(pa[2].a, 11);
	ck_assert_uint_eq(pa[2].c, 31);
	ck_assert_uint_eq(pa[3].b, 100); /* INPUT: untouched */
	ck_assert_uint_eq(pa[4].a, 0);
	ck_assert_uint_eq(pa[4].b, 77);
	ck_assert_uint_eq(pa[4].c, (uint64_t) f.shm_id);
	ck_assert_uint_eq(pa[5].a, 5);
	ck_assert_uint_eq(pa[6].b, 77);
	ck_assert_uint_eq(t_fd_info(f.p, f.fd).ctx_sessions, 1);
	ck_assert_int_eq(t_close_session(f.p, f.fd, session), 0);
	ck_assert_uint_eq(t_fd_info(f.p, f.fd).ctx_sessions, 0);
	th_assert_err(t_close_session(f.p, f.fd, session), -EINVAL);
	fix_done(&f);
}
END_TEST

START_TEST(test_open_session_results)
{
	struct fix f = fix_new(&full);
	struct tee_ioctl_param pa[1] = {prm(P_MIN, 0, 8, (uint64_t) f.shm_id)};
	uint32_t session = 5, ret = 0;

	/* a secure-world refusal is no errno: ioctl 0, ret and origin filled */
	f.td->ret = 0xffff0006;
	f.td->ret_origin = 3;
	ck_assert_int_eq(t_open_session(f.p, f.fd, pa, 1, &session, &ret), 0);
	ck_assert_uint_eq(ret, 0xffff0006);
	ck_assert_uint_eq(session, 0);
	ck_assert_uint_eq(t_fd_info(f.p, f.fd).ctx_sessions, 0);
	f.td->ret = 0;
	/* a driver errno comes out as is */
	f.td->open_rc = -ENOMEM;
	th_assert_err(t_open_session(f.p, f.fd, pa, 1, NULL, NULL), -ENOMEM);
	f.td->open_rc = 0;
	ck_assert_uint_eq(t_fd_info(f.p, f.shm_fd).shm.refs, 1);
	fix_done(&f);
}
END_TEST

START_TEST(test_buf_validation)
{
	struct fix f = fix_new(&full);
	const size_t hdr = sizeof(struct tee_ioctl_open_session_arg);
	struct tee_ioctl_buf_data *b = (void *) (f.page + 4096 - sizeof(*b));
	struct tee_ioctl_param *ps = (void *) (f.page + hdr);

	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_OPEN_SESSION, NULL), -EFAULT);
	th_assert_err(raw_open(&f, 0, 0, hdr - 1, 0), -EINVAL);
	th_assert_err(raw_open(&f, 0, 0, TEE_MAX_ARG_SIZE + 1, 0), -EINVAL);
	th_assert_err(raw_open(&f, 0, 1, hdr, 0), -EINVAL);	 /* num_params does not match */
	th_assert_err(raw_open(&f, 0, 0, hdr + 32, 0), -EINVAL); /* neither */
	/* 30 params fit in 1024 bytes, 31 do not */
	memset(ps, 0, 31 * sizeof(*ps));
	th_assert_err(raw_open(&f, 0, 30, hdr + 30 * 32, 0), 0);
	th_assert_err(raw_open(&f, 0, 31, hdr + 31 * 32, 0), -EINVAL);
	ck_assert_int_eq(t_close_session(f.p, f.fd, 1), 0);
	/* the header unreadable, then the params unreadable */
	b->buf_ptr = 16;
	b->buf_len = hdr;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_OPEN_SESSION, b), -EFAULT);
	th_assert_err(raw_open(&f, 4096 - 16 - hdr, 1, hdr + 32, 0), -EFAULT);
	/* logins of the REE-kernel range are refused from user space */
	th_assert_err(raw_open(&f, 0, 0, hdr, TEE_IOCTL_LOGIN_REE_KERNEL_MIN), -EPERM);
	th_assert_err(raw_open(&f, 0, 0, hdr, TEE_IOCTL_LOGIN_REE_KERNEL_MAX), -EPERM);
	th_assert_err(raw_open(&f, 0, 0, hdr, TEE_IOCTL_LOGIN_REE_KERNEL_MAX + 1u), 0);
	ck_assert_uint_eq(f.td->sessions_opened, 2);
	fix_done(&f);
}
END_TEST

START_TEST(test_param_validation)
{
	struct fix f = fix_new(&full);
	const uint64_t id = (uint64_t) f.shm_id;
	int other = teesim_open(f.p, "/dev/tee0", O_RDWR);
	struct tee_ioctl_shm_alloc_data d;
	int other_shm = t_shm_alloc(f.p, other, 4096, &d);
	struct {
		struct tee_ioctl_param p;
		int err;
	} cases[] = {
	    {prm(0x200, 0, 0, 0), -EINVAL},			  /* unknown attr bit */
	    {prm(4, 0, 0, 0), -EINVAL},				  /* unused type */
	    {prm(8, 0, 0, 0), -EINVAL},				  /* later UBUF types */
	    {prm(0xff, 0, 0, 0), -EINVAL},			  /* type mask */
	    {prm(P_MIN, 0, 8, 99), -EINVAL},			  /* no such id */
	    {prm(P_MIN, 0, 8, (uint64_t) d.id), -EINVAL},	  /* another context's id */
	    {prm(P_MIN, 0, 8, 0), -EINVAL},			  /* id 0 is never given */
	    {prm(P_MIN, 1, UINT64_MAX, id), -EINVAL},		  /* offset + size wraps */
	    {prm(P_MIN, 8192, 1, id), -EINVAL},			  /* past the end */
	    {prm(P_MIN, 0, 8193, id), -EINVAL},			  /* past the end */
	    {prm(P_MIN, 8193, 0, id), -EINVAL},			  /* past the end */
	    {prm(P_MIN, 0, 8192, id | (7ull << 32)), 0},	  /* the id is truncated to int */
	    {prm(P_VIN | TEE_IOCTL_PARAM_ATTR_META, 1, 2, 3), 0}, /* META is a known bit */
	    {prm(P_MIN, 123, 456, TEE_MEMREF_NULL), 0},		  /* NULL memref: unchecked */
	};

	ck_assert_int_ge(other_shm, 3);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* a good memref first: its reference must be given back on failure */
		struct tee_ioctl_param pa[2] = {prm(P_MIN, 0, 8, id), cases[i].p};
		uint32_t session = 0;

		ck_assert_msg(t_open_session(f.p, f.fd, pa, 2, &session, NULL) == cases[i].err,
			      "case %zu", i);
		ck_assert_uint_eq(t_fd_info(f.p, f.shm_fd).shm.refs, 1);
		ck_assert_uint_eq(t_fd_info(f.p, other_shm).shm.refs, 1);
		if (!cases[i].err)
			ck_assert_int_eq(t_close_session(f.p, f.fd, session), 0);
	}
	/* the NULL memref reached the driver without a shm */
	ck_assert_ptr_null(f.td->last_params[1].u.memref.shm);
	ck_assert_uint_eq(f.td->last_params[1].u.memref.shm_offs, 123);
	ck_assert_uint_eq(f.td->last_params[1].u.memref.size, 456);
	ck_assert_uint_eq(f.td->sessions_opened, 3);
	ck_assert_int_eq(teesim_close(f.p, other_shm), 0);
	ck_assert_int_eq(teesim_close(f.p, other), 0);
	fix_done(&f);
}
END_TEST

START_TEST(test_memref_null_unsupported)
{
	const struct testdrv_cfg cfg = {.reg_mem = true};
	struct fix f = fix_new(&cfg);
	struct tee_ioctl_param pa[1] = {prm(P_MIN, 0, 0, TEE_MEMREF_NULL)};

	th_assert_err(t_open_session(f.p, f.fd, pa, 1, NULL, NULL), -EINVAL);
	ck_assert_uint_eq(f.td->sessions_opened, 0);
	fix_done(&f);
}
END_TEST

/* a session whose id cannot be copied back is closed again */
START_TEST(test_open_copy_back_fails)
{
	struct fix f = fix_new(&full);
	const size_t hdr = sizeof(struct tee_ioctl_open_session_arg);
	struct tee_ioctl_open_session_arg *ro = teesim_process_mmap(f.p, 4096, TEESIM_PROT_READ);
	struct tee_ioctl_buf_data *b = (void *) f.page;

	ck_assert_ptr_nonnull(ro);
	b->buf_ptr = (uintptr_t) ro;
	b->buf_len = hdr;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_OPEN_SESSION, b), -EFAULT);
	ck_assert_uint_eq(f.td->sessions_opened, 1);
	ck_assert_uint_eq(f.td->sessions_closed, 1);
	ck_assert_uint_eq(t_fd_info(f.p, f.fd).ctx_sessions, 0);
	fix_done(&f);
}
END_TEST

START_TEST(test_invoke)
{
	struct fix f = fix_new(&full);
	struct tee_ioctl_param pa[3] = {
	    prm(P_VIO, 1, 2, 3),
	    prm(P_MIO, 4096, 4096, (uint64_t) f.shm_id),
	    prm(P_VOUT | TEE_IOCTL_PARAM_ATTR_META, 0, 0, 0),
	};
	const size_t hdr = sizeof(struct tee_ioctl_invoke_arg);
	struct tee_ioctl_invoke_arg *a = (void *) f.page;
	struct tee_ioctl_buf_data *b = (void *) (f.page + 4096 - sizeof(*b));
	uint32_t session, ret = 1;

	ck_assert_int_eq(t_open_session(f.p, f.fd, NULL, 0, &session, NULL), 0);
	f.td->memref_out_size = 4000;
	ck_assert_int_eq(t_invoke(f.p, f.fd, session, 42, pa, 3, &ret), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(f.td->last_func, 42);
	ck_assert_uint_eq(pa[0].a, 2);
	ck_assert_uint_eq(pa[1].b, 4000);
	ck_assert_uint_eq(pa[1].a, 4096);
	/* META output params are not written back (the switch is on the whole attr) */
	ck_assert_uint_eq(pa[2].a, 0);
	ck_assert_uint_eq(f.td->last_params[2].u.value.a, 0);
	/* secure-world result */
	f.td->ret = 0xffff000e;
	f.td->ret_origin = 2;
	ck_assert_int_eq(t_invoke(f.p, f.fd, session, 1, NULL, 0, &ret), 0);
	ck_assert_uint_eq(ret, 0xffff000e);
	f.td->ret = 0;
	/* unknown session, driver errno */
	th_assert_err(t_invoke(f.p, f.fd, session + 1, 1, NULL, 0, NULL), -EINVAL);
	f.td->invoke_rc = -EBUSY;
	th_assert_err(t_invoke(f.p, f.fd, session, 1, pa, 2, NULL), -EBUSY);
	f.td->invoke_rc = 0;
	/* buffer checks */
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_INVOKE, NULL), -EFAULT);
	a->session = session;
	a->num_params = 0;
	b->buf_ptr = (uintptr_t) a;
	b->buf_len = hdr - 1;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_INVOKE, b), -EINVAL);
	b->buf_len = TEE_MAX_ARG_SIZE + 8;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_INVOKE, b), -EINVAL);
	a->num_params = 31; /* 24 + 31 * 32 = 1016: fits */
	memset(a->params, 0, 31 * 32);
	b->buf_len = hdr + 31 * 32;
	ck_assert_int_eq(teesim_ioctl(f.p, f.fd, TEE_IOC_INVOKE, b), 0);
	a->num_params = 32;
	b->buf_len = hdr + 32 * 32;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_INVOKE, b), -EINVAL);
	b->buf_ptr = 8;
	b->buf_len = hdr;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_INVOKE, b), -EFAULT);
	/* copy back into read-only memory fails after the call; the session stays */
	{
		struct tee_ioctl_invoke_arg *ro =
		    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unsigned before = f.td->invokes;

		ck_assert_ptr_ne(ro, MAP_FAILED);
		ro->session = session;
		ck_assert_int_eq(mprotect(ro, 4096, PROT_READ), 0);
		b->buf_ptr = (uintptr_t) ro;
		th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_INVOKE, b), -EFAULT);
		ck_assert_uint_eq(f.td->invokes, before + 1);
		ck_assert_int_eq(munmap(ro, 4096), 0);
	}
	ck_assert_uint_eq(t_fd_info(f.p, f.fd).ctx_sessions, 1);
	ck_assert_uint_eq(t_fd_info(f.p, f.shm_fd).shm.refs, 1);
	fix_done(&f);
}
END_TEST

START_TEST(test_cancel_close)
{
	struct fix f = fix_new(&full);
	struct tee_ioctl_cancel_arg *c = (void *) f.page;
	struct tee_ioctl_close_session_arg *cl = (void *) (f.page + 64);
	uint32_t session;

	ck_assert_int_eq(t_open_session(f.p, f.fd, NULL, 0, &session, NULL), 0);
	c->cancel_id = 77;
	c->session = session;
	ck_assert_int_eq(teesim_ioctl(f.p, f.fd, TEE_IOC_CANCEL, c), 0);
	ck_assert_uint_eq(f.td->cancels, 1);
	ck_assert_uint_eq(f.td->last_cancel_id, 77);
	c->session = session + 1;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_CANCEL, c), -EINVAL);
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_CANCEL, NULL), -EFAULT);
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_CLOSE_SESSION, NULL), -EFAULT);
	cl->session = session + 1;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_CLOSE_SESSION, cl), -EINVAL);
	cl->session = session;
	ck_assert_int_eq(teesim_ioctl(f.p, f.fd, TEE_IOC_CLOSE_SESSION, cl), 0);
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_CLOSE_SESSION, cl), -EINVAL);
	c->session = session;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_CANCEL, c), -EINVAL);
	ck_assert_uint_eq(f.td->sessions_closed, 1);
	fix_done(&f);
}
END_TEST

/* the supplicant device has no session ops, the client device no supplicant ops */
START_TEST(test_ops_per_device)
{
	struct fix f = fix_new(&full);
	int s = teesim_open(f.p, "/dev/teepriv0", O_RDWR);
	const unsigned long sess_ops[] = {TEE_IOC_OPEN_SESSION, TEE_IOC_INVOKE, TEE_IOC_CANCEL,
					  TEE_IOC_CLOSE_SESSION};

	ck_assert_int_ge(s, 3);
	for (size_t i = 0; i < 4; i++)
		th_assert_err(teesim_ioctl(f.p, s, sess_ops[i], NULL),
			      -EINVAL); /* before any copy */
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SUPPL_RECV, NULL), -EINVAL);
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SUPPL_SEND, NULL), -EINVAL);
	fix_done(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core-session");
	TCase *tc = th_tcase(s, "core-session");

	tcase_add_test(tc, test_open_session_params);
	tcase_add_test(tc, test_open_session_results);
	tcase_add_test(tc, test_buf_validation);
	tcase_add_test(tc, test_param_validation);
	tcase_add_test(tc, test_memref_null_unsupported);
	tcase_add_test(tc, test_open_copy_back_fails);
	tcase_add_test(tc, test_invoke);
	tcase_add_test(tc, test_cancel_close);
	tcase_add_test(tc, test_ops_per_device);
	return th_run(s);
}
