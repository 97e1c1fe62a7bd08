/* SPDX-License-Identifier: MIT */
/*
 * The ioctls of a TEE device and their parameter handling: the model of the
 * ioctl half of drivers/tee/tee_core.c, with the real request numbers and
 * structs of <linux/tee.h>.
 *
 * Every user pointer (the ioctl argument and the buffers it names) is read
 * and written with tsim_copy_from_user / tsim_copy_to_user in the calling
 * process, so a bad pointer is -EFAULT. Checks come in the kernel's order,
 * each with the kernel's errno.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tee_private.h"

/* The layouts and request numbers this file relies on (arm32 and arm64 agree). */
_Static_assert(sizeof(struct tee_ioctl_version_data) == 12, "version_data");
_Static_assert(sizeof(struct tee_ioctl_shm_alloc_data) == 16, "shm_alloc_data");
_Static_assert(offsetof(struct tee_ioctl_shm_alloc_data, id) == 12, "shm_alloc_data.id");
_Static_assert(sizeof(struct tee_ioctl_buf_data) == 16, "buf_data");
_Static_assert(sizeof(struct tee_ioctl_param) == 32, "param");
_Static_assert(sizeof(struct tee_ioctl_open_session_arg) == 56, "open_session_arg");
_Static_assert(offsetof(struct tee_ioctl_open_session_arg, session) == 40, "open.session");
_Static_assert(offsetof(struct tee_ioctl_open_session_arg, ret) == 44, "open.ret");
_Static_assert(offsetof(struct tee_ioctl_open_session_arg, ret_origin) == 48, "open.ret_origin");
_Static_assert(offsetof(struct tee_ioctl_open_session_arg, params) == 56, "open.params");
_Static_assert(sizeof(struct tee_ioctl_invoke_arg) == 24, "invoke_arg");
_Static_assert(offsetof(struct tee_ioctl_invoke_arg, ret) == 12, "invoke.ret");
_Static_assert(offsetof(struct tee_ioctl_invoke_arg, ret_origin) == 16, "invoke.ret_origin");
_Static_assert(offsetof(struct tee_ioctl_invoke_arg, params) == 24, "invoke.params");
_Static_assert(sizeof(struct tee_ioctl_cancel_arg) == 8, "cancel_arg");
_Static_assert(sizeof(struct tee_ioctl_close_session_arg) == 4, "close_session_arg");
_Static_assert(sizeof(struct tee_iocl_supp_recv_arg) == 8, "supp_recv_arg");
_Static_assert(offsetof(struct tee_iocl_supp_recv_arg, num_params) == 4, "recv.num_params");
_Static_assert(sizeof(struct tee_iocl_supp_send_arg) == 8, "supp_send_arg");
_Static_assert(offsetof(struct tee_iocl_supp_send_arg, num_params) == 4, "send.num_params");
_Static_assert(sizeof(struct tee_ioctl_shm_register_data) == 24, "shm_register_data");
_Static_assert(offsetof(struct tee_ioctl_shm_register_data, id) == 20, "register.id");
_Static_assert(TEE_IOC_VERSION == 0x800ca400u, "TEE_IOC_VERSION");
_Static_assert(TEE_IOC_SHM_ALLOC == 0xc010a401u, "TEE_IOC_SHM_ALLOC");
_Static_assert(TEE_IOC_OPEN_SESSION == 0x8010a402u, "TEE_IOC_OPEN_SESSION");
_Static_assert(TEE_IOC_INVOKE == 0x8010a403u, "TEE_IOC_INVOKE");
_Static_assert(TEE_IOC_CANCEL == 0x8008a404u, "TEE_IOC_CANCEL");
_Static_assert(TEE_IOC_CLOSE_SESSION == 0x8004a405u, "TEE_IOC_CLOSE_SESSION");
_Static_assert(TEE_IOC_SUPPL_RECV == 0x8010a406u, "TEE_IOC_SUPPL_RECV");
_Static_assert(TEE_IOC_SUPPL_SEND == 0x8010a407u, "TEE_IOC_SUPPL_SEND");
_Static_assert(TEE_IOC_SHM_REGISTER == 0xc018a409u, "TEE_IOC_SHM_REGISTER");

#define PARAM_SIZE(n) ((uint64_t) sizeof(struct tee_ioctl_param) * (n))

static int get_user(struct tee_context *ctx, void *dst, uint64_t uaddr, size_t len)
{
	return tsim_copy_from_user(ctx->proc, dst, uaddr, len);
}

static int put_user32(struct tee_context *ctx, uint64_t uaddr, uint32_t v)
{
	return tsim_copy_to_user(ctx->proc, uaddr, &v, sizeof(v));
}

static int put_user64(struct tee_context *ctx, uint64_t uaddr, uint64_t v)
{
	return tsim_copy_to_user(ctx->proc, uaddr, &v, sizeof(v));
}

static const struct tee_driver_ops *ops_of(struct tee_context *ctx)
{
	return ctx->teedev->desc->ops;
}

/* tee_ioctl_version */
static long tee_ioctl_version(struct tee_context *ctx, uint64_t uvers)
{
	struct tee_ioctl_version_data vers = {0};

	ops_of(ctx)->get_version(ctx->teedev, &vers);
	if (ctx->teedev->desc->flags & TEE_DESC_PRIVILEGED)
		vers.gen_caps |= TEE_GEN_CAP_PRIVILEGED;
	if (tsim_copy_to_user(ctx->proc, uvers, &vers, sizeof(vers)))
		return -EFAULT;
	return 0;
}

/* tee_ioctl_shm_alloc */
static long tee_ioctl_shm_alloc(struct tee_context *ctx, uint64_t udata)
{
	struct tee_ioctl_shm_alloc_data data;
	struct tee_shm *shm;
	long ret;

	if (get_user(ctx, &data, udata, sizeof(data)))
		return -EFAULT;
	if (data.flags) /* no input flag is defined */
		return -EINVAL;
	shm = tee_shm_alloc(ctx, tee_size_sat(data.size), TEE_SHM_MAPPED | TEE_SHM_DMA_BUF);
	if (IS_ERR(shm))
		return PTR_ERR(shm);
	data.id = shm->id;
	data.flags = shm->flags; /* the v4.16 quirk: internal flags leak out */
	data.size = shm->size;
	if (tsim_copy_to_user(ctx->proc, udata, &data, sizeof(data)))
		ret = -EFAULT;
	else
		ret = tee_shm_get_fd(ctx->proc, shm);
	/* the fd now holds the shm, or nothing does and this frees it */
	tee_shm_put(shm);
	return ret;
}

/* tee_ioctl_shm_register */
static long tee_ioctl_shm_register(struct tee_context *ctx, uint64_t udata)
{
	struct tee_ioctl_shm_register_data data;
	struct tee_shm *shm;
	long ret;

	if (get_user(ctx, &data, udata, sizeof(data)))
		return -EFAULT;
	if (data.flags)
		return -EINVAL;
	/* access_ok() on the 64-bit length, before tee_size_sat() could shorten it */
	if (data.addr > TEE_TASK_SIZE || data.length > TEE_TASK_SIZE - data.addr)
		return -EFAULT;
	shm = tee_shm_register(ctx, data.addr, tee_size_sat(data.length),
			       TEE_SHM_DMA_BUF | TEE_SHM_USER_MAPPED);
	if (IS_ERR(shm))
		return PTR_ERR(shm);
	data.id = shm->id;
	data.flags = shm->flags;
	data.length = shm->size;
	if (tsim_copy_to_user(ctx->proc, udata, &data, sizeof(data)))
		ret = -EFAULT;
	else
		ret = tee_shm_get_fd(ctx->proc, shm);
	tee_shm_put(shm);
	return ret;
}

/* drop the references params_from_user took */
static void put_params(struct tee_param *params, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tee_param_is_memref(&params[i]) && params[i].u.memref.shm)
			tee_shm_put(params[i].u.memref.shm);
}

/* params_from_user */
static int params_from_user(struct tee_context *ctx, struct tee_param *params, size_t num_params,
			    uint64_t uparams)
{
	for (size_t n = 0; n < num_params; n++) {
		struct tee_ioctl_param ip;
		struct tee_shm *shm;

		if (get_user(ctx, &ip, uparams + PARAM_SIZE(n), sizeof(ip)))
			return -EFAULT;
		if (ip.attr & ~(uint64_t) TEE_IOCTL_PARAM_ATTR_MASK)
			return -EINVAL;
		params[n].attr = ip.attr;
		switch (ip.attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK) {
		case TEE_IOCTL_PARAM_ATTR_TYPE_NONE:
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT:
			break;
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT:
			params[n].u.value.a = ip.a;
			params[n].u.value.b = ip.b;
			params[n].u.value.c = ip.c;
			break;
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
			if (ip.c != TEE_MEMREF_NULL) {
				/* the kernel passes the u64 to an int parameter: truncated */
				shm = tee_shm_get_from_id(ctx, (int) (uint32_t) ip.c);
				if (IS_ERR(shm))
					return (int) PTR_ERR(shm);
				if (ip.a + ip.b < ip.a || ip.a + ip.b > shm->size) {
					tee_shm_put(shm);
					return -EINVAL;
				}
			} else if (ctx->cap_memref_null) {
				shm = NULL; /* offset and size go through unchecked */
			} else {
				return -EINVAL;
			}
			params[n].u.memref.shm_offs = ip.a;
			params[n].u.memref.size = ip.b;
			params[n].u.memref.shm = shm;
			break;
		default:
			return -EINVAL;
		}
	}
	return 0;
}

/* params_to_user: the switch is on the whole attr, so META params are not written back */
static int params_to_user(struct tee_context *ctx, uint64_t uparams, size_t num_params,
			  const struct tee_param *params)
{
	for (size_t n = 0; n < num_params; n++) {
		uint64_t up = uparams + PARAM_SIZE(n);
		const struct tee_param *p = &params[n];

		switch (p->attr) {
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT:
			if (put_user64(ctx, up + offsetof(struct tee_ioctl_param, a),
				       p->u.value.a) ||
			    put_user64(ctx, up + offsetof(struct tee_ioctl_param, b),
				       p->u.value.b) ||
			    put_user64(ctx, up + offsetof(struct tee_ioctl_param, c), p->u.value.c))
				return -EFAULT;
			break;
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
			if (put_user64(ctx, up + offsetof(struct tee_ioctl_param, b),
				       (uint64_t) p->u.memref.size))
				return -EFAULT;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* Read tee_ioctl_buf_data and check its length against [min, TEE_MAX_ARG_SIZE]. */
static int get_buf(struct tee_context *ctx, uint64_t ubuf, struct tee_ioctl_buf_data *buf,
		   size_t min)
{
	if (get_user(ctx, buf, ubuf, sizeof(*buf)))
		return -EFAULT;
	if (buf->buf_len > TEE_MAX_ARG_SIZE || buf->buf_len < min)
		return -EINVAL;
	return 0;
}

/* kcalloc of @n params on @ctx's machine; a macro so each caller is its own
 * allocation site. kcalloc(0) is not NULL in the kernel: never fail for zero params */
#define alloc_params(ctx, n)                                                                       \
	((struct tee_param *) tsim_calloc((ctx)->teedev->core->m, (n) ? (n) : 1,                   \
					  sizeof(struct tee_param)))

/* tee_ioctl_open_session */
static long tee_ioctl_open_session(struct tee_context *ctx, uint64_t ubuf)
{
	const struct tee_driver_ops *ops = ops_of(ctx);
	struct tee_ioctl_buf_data buf;
	struct tee_ioctl_open_session_arg arg;
	struct tee_param *params = NULL;
	uint64_t uarg, uparams = 0;
	bool have_session = false;
	int rc;

	if (!ops->open_session)
		return -EINVAL;
	rc = get_buf(ctx, ubuf, &buf, sizeof(arg));
	if (rc)
		return rc;
	uarg = buf.buf_ptr;
	if (get_user(ctx, &arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (sizeof(arg) + PARAM_SIZE(arg.num_params) != buf.buf_len)
		return -EINVAL;
	if (arg.num_params) {
		params = alloc_params(ctx, arg.num_params);
		if (!params)
			return -ENOMEM;
		uparams = uarg + offsetof(struct tee_ioctl_open_session_arg, params);
		rc = params_from_user(ctx, params, arg.num_params, uparams);
		if (rc)
			goto out;
	}
	if (arg.clnt_login >= TEE_IOCTL_LOGIN_REE_KERNEL_MIN &&
	    arg.clnt_login <= TEE_IOCTL_LOGIN_REE_KERNEL_MAX) {
		rc = -EPERM; /* reserved for in-kernel clients */
		goto out;
	}
	rc = ops->open_session(ctx, &arg, params);
	if (rc)
		goto out;
	have_session = true;
	if (put_user32(ctx, uarg + offsetof(struct tee_ioctl_open_session_arg, session),
		       arg.session) ||
	    put_user32(ctx, uarg + offsetof(struct tee_ioctl_open_session_arg, ret), arg.ret) ||
	    put_user32(ctx, uarg + offsetof(struct tee_ioctl_open_session_arg, ret_origin),
		       arg.ret_origin)) {
		rc = -EFAULT;
		goto out;
	}
	rc = params_to_user(ctx, uparams, arg.num_params, params);
out:
	/* a session user space cannot learn about would leak: close it */
	if (rc && have_session && ops->close_session)
		ops->close_session(ctx, arg.session);
	if (params) {
		put_params(params, arg.num_params);
		tsim_free(ctx->teedev->core->m, params);
	}
	return rc;
}

/* tee_ioctl_invoke */
static long tee_ioctl_invoke(struct tee_context *ctx, uint64_t ubuf)
{
	const struct tee_driver_ops *ops = ops_of(ctx);
	struct tee_ioctl_buf_data buf;
	struct tee_ioctl_invoke_arg arg;
	struct tee_param *params = NULL;
	uint64_t uarg, uparams = 0;
	int rc;

	if (!ops->invoke_func)
		return -EINVAL;
	rc = get_buf(ctx, ubuf, &buf, sizeof(arg));
	if (rc)
		return rc;
	uarg = buf.buf_ptr;
	if (get_user(ctx, &arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (sizeof(arg) + PARAM_SIZE(arg.num_params) != buf.buf_len)
		return -EINVAL;
	if (arg.num_params) {
		params = alloc_params(ctx, arg.num_params);
		if (!params)
			return -ENOMEM;
		uparams = uarg + offsetof(struct tee_ioctl_invoke_arg, params);
		rc = params_from_user(ctx, params, arg.num_params, uparams);
		if (rc)
			goto out;
	}
	rc = ops->invoke_func(ctx, &arg, params);
	if (rc)
		goto out;
	if (put_user32(ctx, uarg + offsetof(struct tee_ioctl_invoke_arg, ret), arg.ret) ||
	    put_user32(ctx, uarg + offsetof(struct tee_ioctl_invoke_arg, ret_origin),
		       arg.ret_origin)) {
		rc = -EFAULT;
		goto out;
	}
	rc = params_to_user(ctx, uparams, arg.num_params, params);
out:
	if (params) {
		put_params(params, arg.num_params);
		tsim_free(ctx->teedev->core->m, params);
	}
	return rc;
}

/* tee_ioctl_cancel */
static long tee_ioctl_cancel(struct tee_context *ctx, uint64_t uarg)
{
	struct tee_ioctl_cancel_arg arg;

	if (!ops_of(ctx)->cancel_req)
		return -EINVAL;
	if (get_user(ctx, &arg, uarg, sizeof(arg)))
		return -EFAULT;
	return ops_of(ctx)->cancel_req(ctx, arg.cancel_id, arg.session);
}

/* tee_ioctl_close_session */
static long tee_ioctl_close_session(struct tee_context *ctx, uint64_t uarg)
{
	struct tee_ioctl_close_session_arg arg;

	if (!ops_of(ctx)->close_session)
		return -EINVAL;
	if (get_user(ctx, &arg, uarg, sizeof(arg)))
		return -EFAULT;
	return ops_of(ctx)->close_session(ctx, arg.session);
}

/* params_to_supp */
static int params_to_supp(struct tee_context *ctx, uint64_t uparams, size_t num_params,
			  const struct tee_param *params)
{
	for (size_t n = 0; n < num_params; n++) {
		const struct tee_param *p = &params[n];
		struct tee_ioctl_param ip = {.attr = p->attr};

		switch (p->attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK) {
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT:
			ip.a = p->u.value.a;
			ip.b = p->u.value.b;
			ip.c = p->u.value.c;
			break;
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
			ip.b = p->u.memref.size;
			if (!p->u.memref.shm) {
				ip.a = 0;
				ip.c = (uint64_t) -1; /* no shm id */
				break;
			}
			ip.a = p->u.memref.shm_offs;
			ip.c = (uint64_t) (int64_t) p->u.memref.shm->id;
			break;
		default:
			break;
		}
		if (tsim_copy_to_user(ctx->proc, uparams + PARAM_SIZE(n), &ip, sizeof(ip)))
			return -EFAULT;
	}
	return 0;
}

/* tee_ioctl_supp_recv */
static long tee_ioctl_supp_recv(struct tee_context *ctx, uint64_t ubuf)
{
	const struct tee_driver_ops *ops = ops_of(ctx);
	struct tee_ioctl_buf_data buf;
	struct tee_param *params;
	uint32_t num_params, func;
	uint64_t uarg;
	int rc;

	if (!ops->supp_recv)
		return -EINVAL;
	rc = get_buf(ctx, ubuf, &buf, sizeof(struct tee_iocl_supp_recv_arg));
	if (rc)
		return rc;
	uarg = buf.buf_ptr;
	if (get_user(ctx, &num_params, uarg + offsetof(struct tee_iocl_supp_recv_arg, num_params),
		     sizeof(num_params)))
		return -EFAULT;
	if (sizeof(struct tee_iocl_supp_recv_arg) + PARAM_SIZE(num_params) != buf.buf_len)
		return -EINVAL;
	params = alloc_params(ctx, num_params);
	if (!params)
		return -ENOMEM;
	rc = params_from_user(ctx, params, num_params,
			      uarg + offsetof(struct tee_iocl_supp_recv_arg, params));
	if (rc) {
		/* the kernel leaks what was resolved here; the model gives it back */
		put_params(params, num_params);
		goto out;
	}
	/* from here the driver owns the references of any memref it was given */
	rc = ops->supp_recv(ctx, &func, &num_params, params);
	if (rc)
		goto out;
	if (put_user32(ctx, uarg + offsetof(struct tee_iocl_supp_recv_arg, func), func) ||
	    put_user32(ctx, uarg + offsetof(struct tee_iocl_supp_recv_arg, num_params),
		       num_params)) {
		rc = -EFAULT;
		goto out;
	}
	rc = params_to_supp(ctx, uarg + offsetof(struct tee_iocl_supp_recv_arg, params), num_params,
			    params);
out:
	tsim_free(ctx->teedev->core->m, params);
	return rc;
}

/* params_from_supp */
static int params_from_supp(struct tee_context *ctx, struct tee_param *params, size_t num_params,
			    uint64_t uparams)
{
	for (size_t n = 0; n < num_params; n++) {
		struct tee_param *p = &params[n];
		struct tee_ioctl_param ip;

		if (get_user(ctx, &ip, uparams + PARAM_SIZE(n), sizeof(ip)))
			return -EFAULT;
		if (ip.attr & ~(uint64_t) TEE_IOCTL_PARAM_ATTR_MASK)
			return -EINVAL;
		p->attr = ip.attr;
		switch (ip.attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK) {
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT:
			p->u.value.a = ip.a;
			p->u.value.b = ip.b;
			p->u.value.c = ip.c;
			break;
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
		case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
			/* only the size may come back; the driver updates the request */
			p->u.memref.shm = NULL;
			p->u.memref.shm_offs = 0;
			p->u.memref.size = ip.b;
			break;
		default:
			memset(&p->u, 0, sizeof(p->u));
			break;
		}
	}
	return 0;
}

/* tee_ioctl_supp_send */
static long tee_ioctl_supp_send(struct tee_context *ctx, uint64_t ubuf)
{
	const struct tee_driver_ops *ops = ops_of(ctx);
	struct tee_ioctl_buf_data buf;
	struct tee_iocl_supp_send_arg hdr;
	struct tee_param *params;
	uint64_t uarg;
	int rc;

	if (!ops->supp_send)
		return -EINVAL;
	rc = get_buf(ctx, ubuf, &buf, sizeof(hdr));
	if (rc)
		return rc;
	uarg = buf.buf_ptr;
	if (get_user(ctx, &hdr.ret, uarg + offsetof(struct tee_iocl_supp_send_arg, ret),
		     sizeof(hdr.ret)) ||
	    get_user(ctx, &hdr.num_params,
		     uarg + offsetof(struct tee_iocl_supp_send_arg, num_params),
		     sizeof(hdr.num_params)))
		return -EFAULT;
	/* only "fits in the buffer": the supplicant may pass a larger one */
	if (sizeof(hdr) + PARAM_SIZE(hdr.num_params) > buf.buf_len)
		return -EINVAL;
	params = alloc_params(ctx, hdr.num_params);
	if (!params)
		return -ENOMEM;
	rc = params_from_supp(ctx, params, hdr.num_params,
			      uarg + offsetof(struct tee_iocl_supp_send_arg, params));
	if (rc)
		goto out;
	rc = ops->supp_send(ctx, hdr.ret, hdr.num_params, params);
out:
	tsim_free(ctx->teedev->core->m, params);
	return rc;
}

/* tee_ioctl */
long tee_ioctl(struct tee_context *ctx, unsigned long cmd, uint64_t uarg)
{
	switch (cmd) {
	case TEE_IOC_VERSION:
		return tee_ioctl_version(ctx, uarg);
	case TEE_IOC_SHM_ALLOC:
		return tee_ioctl_shm_alloc(ctx, uarg);
	case TEE_IOC_SHM_REGISTER:
		return tee_ioctl_shm_register(ctx, uarg);
	case TEE_IOC_OPEN_SESSION:
		return tee_ioctl_open_session(ctx, uarg);
	case TEE_IOC_INVOKE:
		return tee_ioctl_invoke(ctx, uarg);
	case TEE_IOC_CANCEL:
		return tee_ioctl_cancel(ctx, uarg);
	case TEE_IOC_CLOSE_SESSION:
		return tee_ioctl_close_session(ctx, uarg);
	case TEE_IOC_SUPPL_RECV:
		return tee_ioctl_supp_recv(ctx, uarg);
	case TEE_IOC_SUPPL_SEND:
		return tee_ioctl_supp_send(ctx, uarg);
	default:
		return -EINVAL;
	}
}
