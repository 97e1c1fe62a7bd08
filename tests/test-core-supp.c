/* SPDX-License-Identifier: MIT */
/* Tee core: TEE_IOC_SUPPL_RECV / TEE_IOC_SUPPL_SEND validation and copies (white box). */
#include <fcntl.h>
#include <stdlib.h>

#include "harness.h"
#include "testdrv.h"
#include "tee_private.h"

static const struct testdrv_cfg full = {.reg_mem = true, .memref_null = true, .supplicant = true};

#define RW   (TEESIM_PROT_READ | TEESIM_PROT_WRITE)
#define META TEE_IOCTL_PARAM_ATTR_META
#define VIN  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT
#define VOUT TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT
#define VIO  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT
#define MOUT TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT

struct fix {
	struct testdrv *td;
	struct teesim_process *p;
	int fd; /* /dev/teepriv0 */
	uint8_t *page;
	struct tee_ioctl_buf_data *buf;
};

static struct fix fix_new(void)
{
	struct fix f;

	f.td = testdrv_new(TH_M, &full);
	f.p = tproc(TH_M);
	f.fd = teesim_open(f.p, "/dev/teepriv0", O_RDWR);
	ck_assert_int_eq(f.fd, 3);
	f.page = teesim_process_mmap(f.p, 4096, RW);
	ck_assert_ptr_nonnull(f.page);
	f.buf = (void *) (f.page + 4096 - sizeof(*f.buf));
	return f;
}

static void fix_done(struct fix *f)
{
	teesim_process_free(f->p);
	testdrv_free(f->td);
	th_core_clean(TH_M);
}

/* SUPPL_RECV with @n params of attr @attrs[i] */
static int recv(struct fix *f, uint32_t n, const uint64_t *attrs, uint64_t buf_len)
{
	struct tee_iocl_supp_recv_arg *a = (void *) f->page;

	memset(a, 0, sizeof(*a) + n * sizeof(struct tee_ioctl_param));
	a->num_params = n;
	for (uint32_t i = 0; i < n; i++)
		a->params[i].attr = attrs[i];
	f->buf->buf_ptr = (uintptr_t) a;
	f->buf->buf_len = buf_len ? buf_len : sizeof(*a) + n * sizeof(struct tee_ioctl_param);
	return teesim_ioctl(f->p, f->fd, TEE_IOC_SUPPL_RECV, f->buf);
}

static int send(struct fix *f, uint32_t ret, uint32_t n, const struct tee_ioctl_param *params,
		uint64_t buf_len)
{
	struct tee_iocl_supp_send_arg *a = (void *) f->page;

	a->ret = ret;
	a->num_params = n;
	if (n)
		memcpy(a->params, params, n * sizeof(*params));
	f->buf->buf_ptr = (uintptr_t) a;
	f->buf->buf_len = buf_len ? buf_len : sizeof(*a) + n * sizeof(struct tee_ioctl_param);
	return teesim_ioctl(f->p, f->fd, TEE_IOC_SUPPL_SEND, f->buf);
}

static const uint64_t none[4] = {0, 0, 0, 0};

START_TEST(test_recv_send_sync)
{
	struct fix f = fix_new();
	struct tee_iocl_supp_recv_arg *a = (void *) f.page;
	struct tee_param req[2] = {{.attr = VIN}, {.attr = VOUT}};
	struct tee_ioctl_param ans[2] = {{VIN, 0, 0, 0}, {VOUT, 7, 8, 9}};

	req[0].u.value.a = 11;
	req[0].u.value.b = 12;
	req[0].u.value.c = 13;
	req[1].u.value.a = 99; /* an output's input value is not shown */
	testdrv_supp_post(f.td, 5, req, 2);
	ck_assert_int_eq(recv(&f, 3, none, 0), 0);
	ck_assert_uint_eq(a->func, 5);
	ck_assert_uint_eq(a->num_params, 2);
	ck_assert_uint_eq(a->params[0].attr, VIN);
	ck_assert_uint_eq(a->params[0].a, 11);
	ck_assert_uint_eq(a->params[0].c, 13);
	ck_assert_uint_eq(a->params[1].attr, VOUT);
	ck_assert_uint_eq(a->params[1].a, 0);
	/* nothing more to receive (the real driver would wait) */
	th_assert_err(recv(&f, 2, none, 0), -EAGAIN);
	ck_assert_int_eq(send(&f, 0xffff000a, 2, ans, 0), 0);
	ck_assert(f.td->req.answered);
	ck_assert_uint_eq(f.td->req.ret, 0xffff000a);
	ck_assert_uint_eq(f.td->req.params[1].u.value.a, 7);
	ck_assert_uint_eq(f.td->req.params[1].u.value.c, 9);
	ck_assert_uint_eq(f.td->req.params[0].u.value.a, 11); /* inputs stay */
	th_assert_err(send(&f, 0, 2, ans, 0), -ENOENT);	      /* no request outstanding */
	fix_done(&f);
}
END_TEST

START_TEST(test_recv_send_meta)
{
	struct fix f = fix_new();
	struct tee_iocl_supp_recv_arg *a = (void *) f.page;
	const uint64_t attrs[3] = {META, 0, 0};
	struct tee_param req[1] = {{.attr = MOUT}};
	struct tee_ioctl_param ans[2] = {{VIO | META, 1, 0, 0}, {MOUT, 0, 300, 0}};
	struct tee_ioctl_param bad[2] = {{VIO | META, 2, 0, 0}, {MOUT, 0, 300, 0}};

	req[0].u.memref.size = 1000;
	testdrv_supp_post(f.td, 6, req, 1);
	ck_assert_int_eq(recv(&f, 3, attrs, 0), 0);
	ck_assert_uint_eq(a->num_params, 2);
	ck_assert_uint_eq(a->params[0].attr, VIO | META);
	ck_assert_uint_eq(a->params[0].a, 1); /* the request id */
	/* a memref without a shm: offset 0, id -1 */
	ck_assert_uint_eq(a->params[1].attr, MOUT);
	ck_assert_uint_eq(a->params[1].a, 0);
	ck_assert_uint_eq(a->params[1].b, 1000);
	ck_assert_uint_eq(a->params[1].c, UINT64_MAX);
	th_assert_err(send(&f, 0, 2, bad, 0), -EINVAL);		    /* wrong request id */
	th_assert_err(send(&f, 0, 1, ans, 0), -EINVAL);		    /* wrong count */
	ck_assert_int_eq(send(&f, 0, 2, ans, TEE_MAX_ARG_SIZE), 0); /* a larger buffer is fine */
	ck_assert_uint_eq(f.td->req.params[0].u.memref.size, 300);
	fix_done(&f);
}
END_TEST

START_TEST(test_recv_shows_shm_ids)
{
	struct fix f = fix_new();
	struct tee_iocl_supp_recv_arg *a = (void *) f.page;
	struct tee_ioctl_shm_alloc_data d;
	struct tee_context *ctx = ((struct tee_fdtable *) f.p->tee_files)->files[0]->ctx;
	int s = t_shm_alloc(f.p, f.fd, 4096, &d);
	struct tee_param req[1] = {{.attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT}};

	req[0].u.memref.shm = tee_shm_get_from_id(ctx, d.id);
	ck_assert(!IS_ERR(req[0].u.memref.shm));
	req[0].u.memref.shm_offs = 64;
	req[0].u.memref.size = 128;
	testdrv_supp_post(f.td, 1, req, 1);
	ck_assert_int_eq(recv(&f, 1, none, 0), 0);
	ck_assert_uint_eq(a->params[0].a, 64);
	ck_assert_uint_eq(a->params[0].b, 128);
	ck_assert_uint_eq(a->params[0].c, (uint64_t) d.id);
	tee_shm_put(req[0].u.memref.shm);
	ck_assert_int_eq(teesim_close(f.p, s), 0);
	fix_done(&f);
}
END_TEST

START_TEST(test_recv_errors)
{
	struct fix f = fix_new();
	struct tee_iocl_supp_recv_arg *a = (void *) f.page;
	struct tee_ioctl_shm_alloc_data d;
	const uint64_t vin[2] = {VIN, 0};
	const uint64_t bad[2] = {0x400, 0};
	struct tee_param req[2] = {{.attr = VIN}, {.attr = VIN}};
	int s = t_shm_alloc(f.p, f.fd, 4096, &d);

	testdrv_supp_post(f.td, 1, req, 2);
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SUPPL_RECV, NULL), -EFAULT);
	th_assert_err(recv(&f, 0, none, 7), -EINVAL); /* shorter than the header */
	th_assert_err(recv(&f, 2, none, TEE_MAX_ARG_SIZE + 1), -EINVAL);
	th_assert_err(recv(&f, 2, none, 8 + 3 * 32), -EINVAL); /* must match exactly */
	th_assert_err(recv(&f, 0, none, 0), -EINVAL);	       /* the driver wants params */
	th_assert_err(recv(&f, 2, bad, 0), -EINVAL);	       /* attr bits */
	th_assert_err(recv(&f, 2, vin, 0), -EINVAL);	       /* only NONE (+META) */
	th_assert_err(recv(&f, 1, none, 0), -EINVAL);	       /* no room for 2 */
	/* memrefs are resolved by the core, then dropped and refused by the driver */
	memset(a, 0, 8 + 2 * 32);
	a->num_params = 2;
	a->params[1] =
	    (struct tee_ioctl_param){TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, 0, 8, (uint64_t) d.id};
	f.buf->buf_ptr = (uintptr_t) a;
	f.buf->buf_len = 8 + 2 * 32;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SUPPL_RECV, f.buf), -EINVAL);
	ck_assert_uint_eq(t_fd_info(f.p, s).shm.refs, 1);
	/* a good memref, then a bad one: the model gives the first reference back */
	a->params[0] = a->params[1];
	a->params[1].c = 1000;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SUPPL_RECV, f.buf), -EINVAL);
	ck_assert_uint_eq(t_fd_info(f.p, s).shm.refs, 1);
	/* the params are unreadable */
	f.buf->buf_ptr = (uintptr_t) f.page + 4096 - 16 - 8;
	*(uint32_t *) (f.page + 4096 - 16 - 4) = 1;
	f.buf->buf_len = 8 + 32;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SUPPL_RECV, f.buf), -EFAULT);
	f.buf->buf_ptr = 4;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SUPPL_RECV, f.buf), -EFAULT);
	ck_assert(!f.td->req.taken);
	ck_assert_int_eq(teesim_close(f.p, s), 0);
	fix_done(&f);
}
END_TEST

START_TEST(test_send_errors)
{
	struct fix f = fix_new();
	struct tee_param req[1] = {{.attr = VOUT}};
	struct tee_ioctl_param ans[2] = {{VOUT, 1, 2, 3}, {0, 0, 0, 0}};
	struct tee_ioctl_param badattr[1] = {{0x1000 | VOUT, 1, 2, 3}};

	th_assert_err(send(&f, 0, 1, ans, 0), -ENOENT); /* nothing received */
	testdrv_supp_post(f.td, 1, req, 1);
	ck_assert_int_eq(recv(&f, 1, none, 0), 0);
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SUPPL_SEND, NULL), -EFAULT);
	th_assert_err(send(&f, 0, 0, ans, 7), -EINVAL);
	th_assert_err(send(&f, 0, 1, ans, TEE_MAX_ARG_SIZE + 1), -EINVAL);
	th_assert_err(send(&f, 0, 1, ans, 8 + 31), -EINVAL); /* params do not fit */
	th_assert_err(send(&f, 0, 1, badattr, 0), -EINVAL);
	th_assert_err(send(&f, 0, 2, ans, 0), -EINVAL); /* count differs */
	f.buf->buf_ptr = 4;
	f.buf->buf_len = 8;
	th_assert_err(teesim_ioctl(f.p, f.fd, TEE_IOC_SUPPL_SEND, f.buf), -EFAULT);
	ck_assert(!f.td->req.answered);
	ck_assert_int_eq(send(&f, 0, 1, ans, 0), 0);
	ck_assert_uint_eq(f.td->req.params[0].u.value.b, 2);
	fix_done(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core-supp");
	TCase *tc = th_tcase(s, "core-supp");

	tcase_add_test(tc, test_recv_send_sync);
	tcase_add_test(tc, test_recv_send_meta);
	tcase_add_test(tc, test_recv_shows_shm_ids);
	tcase_add_test(tc, test_recv_errors);
	tcase_add_test(tc, test_send_errors);
	return th_run(s);
}
