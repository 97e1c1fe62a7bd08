/* SPDX-License-Identifier: MIT */
/*
 * xtest 5006 ("Tests for Global platform TEEC"): the 17 shared-memory and
 * context sub-cases of regression_5000.c, one scenario each, driven at the
 * ioctl level as libteec drives them, with the state of every layer checked
 * around each step. Scenarios are written for both kinds of device: with
 * REG_MEM (client memory registered, fd kept) and without (SHM_ALLOC +
 * mmap); th_sc_cfg_static() gives the latter.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

#define MEM_UUID TEESIM_TA_MEM_UUID

static uint32_t sum8(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static uint32_t fnv32(const uint8_t *p, size_t n)
{
	uint32_t h = 0x811c9dc5u;

	while (n--) {
		h ^= *p++;
		h *= 0x01000193u;
	}
	return h;
}

/* What one shm adds to the layers: REG_MEM registers it (fd kept), else a mapped pool buffer. */
static int expect_added(struct th_scen_env *env, const struct th_sc_ctx *ctx,
			const struct th_sc_snap *base, unsigned nshm, const char *what)
{
	struct th_sc_snap now;

	th_sc_snap(env, &now);
	TH_SC_EXPECT(env, now.user_shms == base->user_shms + nshm, "%s: user shms %llu, base %llu",
		     what, (unsigned long long) now.user_shms,
		     (unsigned long long) base->user_shms);
	TH_SC_EXPECT(env, now.core.ids == base->core.ids + nshm, "%s: ids %llu, base %llu", what,
		     (unsigned long long) now.core.ids, (unsigned long long) base->core.ids);
	if (ctx->reg_mem) {
		TH_SC_EXPECT(
		    env,
		    now.core.files == base->core.files + nshm &&
			now.core.mappings == base->core.mappings &&
			now.sw.shm_objects == base->sw.shm_objects + nshm &&
			now.drv.registered == base->drv.registered + nshm,
		    "%s: files %llu mappings %llu sw objects %llu registered %llu "
		    "(base %llu %llu %llu %llu, +%u registrations)",
		    what, (unsigned long long) now.core.files,
		    (unsigned long long) now.core.mappings, (unsigned long long) now.sw.shm_objects,
		    (unsigned long long) now.drv.registered, (unsigned long long) base->core.files,
		    (unsigned long long) base->core.mappings,
		    (unsigned long long) base->sw.shm_objects,
		    (unsigned long long) base->drv.registered, nshm);
	} else {
		TH_SC_EXPECT(
		    env,
		    now.core.files == base->core.files &&
			now.core.mappings == base->core.mappings + nshm &&
			now.sw.shm_objects == base->sw.shm_objects &&
			now.core.pinned_pages == base->core.pinned_pages,
		    "%s: files %llu mappings %llu sw objects %llu pinned %llu "
		    "(base %llu %llu %llu %llu, +%u pool buffers)",
		    what, (unsigned long long) now.core.files,
		    (unsigned long long) now.core.mappings, (unsigned long long) now.sw.shm_objects,
		    (unsigned long long) now.core.pinned_pages,
		    (unsigned long long) base->core.files, (unsigned long long) base->core.mappings,
		    (unsigned long long) base->sw.shm_objects,
		    (unsigned long long) base->core.pinned_pages, nshm);
	}
	return 0;
out:
	return -1;
}

/* TEEC_InitializeContext, checked: one more context and fd. */
static int ctx_up(struct th_scen_env *env, struct th_sc_ctx *ctx, struct th_sc_snap *base)
{
	struct th_sc_snap now;
	int rc;

	th_sc_snap(env, base);
	rc = th_sc_ctx_open(env, ctx);
	TH_SC_RC(env, rc, 0, "TEEC_InitializeContext");
	th_sc_snap(env, &now);
	TH_SC_EXPECT(
	    env,
	    now.core.contexts == base->core.contexts + 1 && now.core.files == base->core.files + 1,
	    "context: contexts %llu files %llu (base %llu %llu)",
	    (unsigned long long) now.core.contexts, (unsigned long long) now.core.files,
	    (unsigned long long) base->core.contexts, (unsigned long long) base->core.files);
	return 0;
out:
	return -1;
}

/*
 * The mem TA over @shm as a whole memref: READ (sum and FNV of the bytes the TA sees) when the
 * shm is input, else FILL with @byte. Checks what the client then sees.
 */
static int ta_over(struct th_scen_env *env, struct th_sc_ctx *ctx, struct th_sc_shm *shm,
		   uint8_t byte)
{
	struct th_sc_op op;
	uint32_t sess = 0, res, origin = 0;
	bool opened = false;
	uint8_t *bytes = shm->buffer;

	memset(&op, 0, sizeof(op));
	res = th_sc_open(env, ctx, MEM_UUID, TEE_IOCTL_LOGIN_PUBLIC, NULL, &sess, &origin);
	TH_SC_RES(env, res, origin, 0, "open mem TA");
	opened = true;
	op.p[0].type = TH_SC_WHOLE;
	op.p[0].shm = shm;
	if (shm->flags & TH_SC_MEM_INPUT) {
		op.p[1].type = TH_SC_VALUE_OUTPUT;
		res = th_sc_invoke(env, ctx, sess, TEESIM_TA_MEM_CMD_READ, &op, &origin);
		TH_SC_RES(env, res, origin, 0, "mem TA READ");
		TH_SC_EXPECT(env,
			     op.p[1].a == sum8(bytes, shm->size) &&
				 op.p[1].b == fnv32(bytes, shm->size),
			     "READ saw sum %#x fnv %#x, client has %#x %#x", op.p[1].a, op.p[1].b,
			     sum8(bytes, shm->size), fnv32(bytes, shm->size));
	} else {
		op.p[1].type = TH_SC_VALUE_INPUT;
		op.p[1].a = byte;
		res = th_sc_invoke(env, ctx, sess, TEESIM_TA_MEM_CMD_FILL, &op, &origin);
		TH_SC_RES(env, res, origin, 0, "mem TA FILL");
		for (size_t i = 0; i < shm->size; i++)
			TH_SC_EXPECT(env, bytes[i] == byte, "FILL: byte %zu is %#x, want %#x", i,
				     bytes[i], byte);
		TH_SC_EXPECT(env, op.p[0].size == shm->size, "FILL: size back %zu, want %zu",
			     op.p[0].size, shm->size);
	}
	{
		struct teesim_sw_request req;

		TH_SC_EXPECT(env, teesim_sw_last_request(env->st->sw, &req) == 0,
			     "no last request");
		TH_SC_EXPECT(env,
			     req.params[0].kind ==
				     (ctx->reg_mem ? TEESIM_SW_PARAM_RMEM : TEESIM_SW_PARAM_TMEM) &&
				 req.params[0].size == shm->size,
			     "the TA's memref: kind %d size %llu", (int) req.params[0].kind,
			     (unsigned long long) req.params[0].size);
	}
out:
	if (opened && th_sc_close(env, ctx, sess) && !env->err)
		th_sc_fail(env, -1, __FILE__, __LINE__, "close mem TA session");
	return env->err ? -1 : 0;
}

/* ------------------------------------------------------------------------ */

/*
 * CloseSession_null: libteec returns at once on a NULL session. The nearest ioctl-level misuse:
 * CLOSE_SESSION with no argument and with sessions never opened must fail in the core or the
 * driver and send nothing to the secure world.
 */
int th_scen_xtest_5006_close_session_null(struct th_scen_env *env)
{
	struct tee_ioctl_close_session_arg *a = th_sc_umem(env, sizeof(*a));
	struct th_sc_snap base, now;
	int rc;

	TH_SC_CHECK(env, a != NULL, -ENOMEM, "argument memory");
	th_sc_snap(env, &base);
	rc = teesim_ioctl(env->proc, env->fd, TEE_IOC_CLOSE_SESSION, NULL);
	TH_SC_RC(env, rc, -EFAULT, "CLOSE_SESSION(NULL)");
	a->session = 0;
	rc = teesim_ioctl(env->proc, env->fd, TEE_IOC_CLOSE_SESSION, a);
	TH_SC_RC(env, rc, -EINVAL, "CLOSE_SESSION(0)");
	a->session = 0x7fffffff;
	rc = teesim_ioctl(env->proc, env->fd, TEE_IOC_CLOSE_SESSION, a);
	TH_SC_RC(env, rc, -EINVAL, "CLOSE_SESSION(never opened)");
	th_sc_snap(env, &now);
	TH_SC_EXPECT(env, now.sw.std_calls == base.sw.std_calls && now.drv.calls == base.drv.calls,
		     "a close reached the secure world: std_calls %llu -> %llu",
		     (unsigned long long) base.sw.std_calls, (unsigned long long) now.sw.std_calls);
	th_sc_expect_back(env, &base, "after the closes");
out:
	th_sc_ufree(env, a, sizeof(*a));
	return env->err ? -1 : 0;
}

/* Allocate_In: 1024 bytes, input; the TA reads what the client wrote. */
int th_scen_xtest_5006_allocate_in(struct th_scen_env *env)
{
	struct th_sc_ctx ctx = {.fd = -1};
	struct th_sc_shm shm;
	struct th_sc_snap base, ctxbase;
	uint32_t res;

	th_sc_shm_init(&shm);
	if (ctx_up(env, &ctx, &base))
		goto out;
	th_sc_snap(env, &ctxbase);
	res = th_sc_shm_alloc(env, &ctx, &shm, 1024, TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, 0, "TEEC_AllocateSharedMemory(1024, IN)");
	if (expect_added(env, &ctx, &ctxbase, 1, "allocated") ||
	    th_sc_expect_shm(env, &shm, "allocated"))
		goto out;
	for (size_t i = 0; i < shm.size; i++)
		((uint8_t *) shm.buffer)[i] = (uint8_t) (i * 7 + 3);
	if (ta_over(env, &ctx, &shm, 0))
		goto out;
	th_sc_shm_release(env, &shm);
	if (th_sc_expect_back(env, &ctxbase, "released"))
		goto out;
	th_sc_ctx_close(env, &ctx);
	th_sc_expect_back(env, &base, "finalized");
out:
	th_sc_shm_release(env, &shm);
	th_sc_ctx_close(env, &ctx);
	return env->err ? -1 : 0;
}

/*
 * Allocate_out_of_memory: SIZE_MAX bytes. libteec fails before any ioctl with REG_MEM (the
 * page-aligned allocation overflows), else SHM_ALLOC fails. Beyond xtest: SHM_ALLOC and
 * SHM_REGISTER of SIZE_MAX straight through the ioctl must fail too, leaving nothing.
 */
int th_scen_xtest_5006_allocate_out_of_memory(struct th_scen_env *env)
{
	struct th_sc_ctx ctx = {.fd = -1};
	struct th_sc_shm shm;
	struct th_sc_snap base, ctxbase;
	struct tee_ioctl_shm_alloc_data *ad = NULL;
	struct tee_ioctl_shm_register_data *rd = NULL;
	uint32_t res;
	int rc;

	th_sc_shm_init(&shm);
	if (ctx_up(env, &ctx, &base))
		goto out;
	th_sc_snap(env, &ctxbase);
	res = th_sc_shm_alloc(env, &ctx, &shm, SIZE_MAX, TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, TEESIM_OPTEE_ERROR_OUT_OF_MEMORY,
		  "TEEC_AllocateSharedMemory(SIZE_MAX)");
	TH_SC_EXPECT(env, shm.id == -1 && shm.fd == -1 && !shm.buffer,
		     "failed shm kept id %d fd %d", shm.id, shm.fd);
	if (th_sc_expect_back(env, &ctxbase, "after the failed allocation"))
		goto out;

	ad = th_sc_umem(env, sizeof(*ad));
	rd = th_sc_umem(env, sizeof(*rd));
	TH_SC_CHECK(env, ad && rd, -ENOMEM, "argument memory");
	ad->size = UINT64_MAX;
	rc = teesim_ioctl(env->proc, ctx.fd, TEE_IOC_SHM_ALLOC, ad);
	TH_SC_RC(env, rc, -ENOMEM, "TEE_IOC_SHM_ALLOC(UINT64_MAX)");
	rd->addr = (uintptr_t) ad;
	rd->length = UINT64_MAX;
	rc = teesim_ioctl(env->proc, ctx.fd, TEE_IOC_SHM_REGISTER, rd);
	TH_SC_RC(env, rc, -EFAULT, "TEE_IOC_SHM_REGISTER(UINT64_MAX)");
	th_sc_ufree(env, rd, sizeof(*rd));
	th_sc_ufree(env, ad, sizeof(*ad));
	rd = NULL;
	ad = NULL;
	if (th_sc_expect_back(env, &ctxbase, "after the failed ioctls"))
		goto out;
	th_sc_ctx_close(env, &ctx);
	th_sc_expect_back(env, &base, "finalized");
out:
	th_sc_ufree(env, rd, sizeof(*rd));
	th_sc_ufree(env, ad, sizeof(*ad));
	th_sc_shm_release(env, &shm);
	th_sc_ctx_close(env, &ctx);
	return env->err ? -1 : 0;
}

/*
 * OpenSession_error_notExistingTA: an error whose origin is not the TA. Beyond xtest: exactly
 * ITEM_NOT_FOUND from the TEE, one call made and finished, no session in either world.
 */
int th_scen_xtest_5006_open_session_not_existing_ta(struct th_scen_env *env)
{
	static const char *const none = "534d1192-6143-234c-4755-5352544f4f59";
	struct th_sc_ctx ctx = {.fd = -1};
	struct th_sc_snap base, ctxbase, now;
	struct teesim_tee_fd_info fi;
	struct teesim_sw_request req;
	uint32_t sess = 0, res, origin = 0;

	if (ctx_up(env, &ctx, &base))
		goto out;
	th_sc_snap(env, &ctxbase);
	res = th_sc_open(env, &ctx, none, TEE_IOCTL_LOGIN_PUBLIC, NULL, &sess, &origin);
	TH_SC_CHECK(env, res != 0, -1, "open of a TA that does not exist succeeded");
	TH_SC_EXPECT(env, origin != TEESIM_OPTEE_ORIGIN_TRUSTED_APP, "origin is the TA");
	TH_SC_RES(env, res, origin, TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND, "open");
	TH_SC_EXPECT(env, origin == TEESIM_OPTEE_ORIGIN_TEE, "origin %u, want TEE", origin);
	th_sc_snap(env, &now);
	TH_SC_EXPECT(env, now.drv.calls == ctxbase.drv.calls + 1, "driver calls %llu -> %llu",
		     (unsigned long long) ctxbase.drv.calls, (unsigned long long) now.drv.calls);
	TH_SC_EXPECT(env, teesim_sw_last_request(env->st->sw, &req) == 0, "no last request");
	TH_SC_EXPECT(env,
		     req.cmd == TEESIM_OPTEE_MSG_CMD_OPEN_SESSION &&
			 req.ret == TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND &&
			 req.ret_origin == TEESIM_OPTEE_ORIGIN_TEE,
		     "secure world's last request: cmd %u ret %#x origin %u", req.cmd, req.ret,
		     req.ret_origin);
	TH_SC_EXPECT(env, teesim_tee_fd_info(env->proc, ctx.fd, &fi) == 0 && fi.ctx_sessions == 0,
		     "context holds %u sessions", fi.ctx_sessions);
	if (th_sc_expect_back(env, &ctxbase, "after the failed open"))
		goto out;
	th_sc_ctx_close(env, &ctx);
	th_sc_expect_back(env, &base, "finalized");
out:
	th_sc_ctx_close(env, &ctx);
	return env->err ? -1 : 0;
}

/* Allocate_InOut: 4 bytes in and out; the TA fills them and the client sees it. */
int th_scen_xtest_5006_allocate_inout(struct th_scen_env *env)
{
	struct th_sc_ctx ctx = {.fd = -1};
	struct th_sc_shm shm;
	struct th_sc_snap base, ctxbase;
	uint32_t res;

	th_sc_shm_init(&shm);
	if (ctx_up(env, &ctx, &base))
		goto out;
	th_sc_snap(env, &ctxbase);
	res = th_sc_shm_alloc(env, &ctx, &shm, 4, TH_SC_MEM_INPUT | TH_SC_MEM_OUTPUT);
	TH_SC_RES(env, res, 0, 0, "TEEC_AllocateSharedMemory(4, INOUT)");
	if (expect_added(env, &ctx, &ctxbase, 1, "allocated") ||
	    th_sc_expect_shm(env, &shm, "allocated"))
		goto out;
	memcpy(shm.buffer, (const uint8_t[]){54, 76, 98, 32}, 4);
	if (ta_over(env, &ctx, &shm, 0))
		goto out;
	shm.flags = TH_SC_MEM_OUTPUT; /* now as an output: the TA fills it */
	if (ta_over(env, &ctx, &shm, 0x5a))
		goto out;
	th_sc_shm_release(env, &shm);
	if (th_sc_expect_back(env, &ctxbase, "released"))
		goto out;
	th_sc_ctx_close(env, &ctx);
	th_sc_expect_back(env, &base, "finalized");
out:
	th_sc_shm_release(env, &shm);
	th_sc_ctx_close(env, &ctx);
	return env->err ? -1 : 0;
}

/*
 * The Register_* sub-cases: register @len bytes of client memory (host memory at page offset
 * @off, xtest's stack array) with @flags; the TA reads or fills it through the whole memref.
 */
static int register_case(struct th_scen_env *env, const uint8_t *init, size_t len, size_t off,
			 unsigned flags, uint8_t fill)
{
	struct th_sc_ctx ctx = {.fd = -1};
	struct th_sc_shm shm;
	struct th_sc_snap base, ctxbase;
	struct th_sc_hostbuf hb = {0};
	uint32_t res;
	int rc;

	th_sc_shm_init(&shm);
	rc = th_sc_hostbuf_new(&hb, len ? len : 8, off);
	TH_SC_CHECK(env, rc == 0, rc, "client buffer");
	if (len)
		memcpy(hb.p, init, len);
	if (ctx_up(env, &ctx, &base))
		goto out;
	th_sc_snap(env, &ctxbase);
	res = th_sc_shm_register(env, &ctx, &shm, hb.p, len, flags);
	TH_SC_RES(env, res, 0, 0, "TEEC_RegisterSharedMemory");
	TH_SC_EXPECT(env, shm.alloced == (len ? len : 8), "registered %zu bytes", shm.alloced);
	TH_SC_EXPECT(env, ctx.reg_mem == (shm.shadow == NULL), "shadow buffer %p with REG_MEM %d",
		     shm.shadow, ctx.reg_mem);
	if (expect_added(env, &ctx, &ctxbase, 1, "registered") ||
	    th_sc_expect_shm(env, &shm, "registered"))
		goto out;
	if (len && ta_over(env, &ctx, &shm, fill))
		goto out;
	if (len && !(flags & TH_SC_MEM_INPUT))
		for (size_t i = 0; i < len; i++)
			TH_SC_EXPECT(env, hb.p[i] == fill, "client byte %zu is %#x", i, hb.p[i]);
	th_sc_shm_release(env, &shm);
	if (th_sc_expect_back(env, &ctxbase, "released"))
		goto out;
	th_sc_ctx_close(env, &ctx);
	th_sc_expect_back(env, &base, "finalized");
out:
	th_sc_shm_release(env, &shm);
	th_sc_ctx_close(env, &ctx);
	th_sc_hostbuf_free(&hb);
	return env->err ? -1 : 0;
}

/* Register_In: 5 bytes of client memory, input. */
int th_scen_xtest_5006_register_in(struct th_scen_env *env)
{
	static const uint8_t val[] = {32, 65, 43, 21, 98};

	return register_case(env, val, sizeof(val), 0x123, TH_SC_MEM_INPUT, 0);
}

/* Register_notZeroLength_Out: 4 bytes, output; the TA's bytes land in the client's array. */
int th_scen_xtest_5006_register_nonzero_length_out(struct th_scen_env *env)
{
	static const uint8_t val[] = {56, 67, 78, 99};

	return register_case(env, val, sizeof(val), 0x40, TH_SC_MEM_OUTPUT, 0xc3);
}

/* Register_InOut: 7 bytes in and out, across a page boundary of the client's memory. */
int th_scen_xtest_5006_register_inout(struct th_scen_env *env)
{
	static const uint8_t val[] = {54, 76, 23, 98, 255, 23, 86};

	return register_case(env, val, sizeof(val), TEESIM_PAGE_SIZE - 3,
			     TH_SC_MEM_INPUT | TH_SC_MEM_OUTPUT, 0);
}

/* Register_zeroLength_Out: size 0 registers 8 bytes (libteec's rule). */
int th_scen_xtest_5006_register_zero_length_out(struct th_scen_env *env)
{
	static const uint8_t val[] = {65, 76, 98, 32};

	return register_case(env, val, 0, 0x10, TH_SC_MEM_OUTPUT, 0);
}

/* Allocate_Out: size 0 allocates 8 bytes. */
int th_scen_xtest_5006_allocate_out(struct th_scen_env *env)
{
	struct th_sc_ctx ctx = {.fd = -1};
	struct th_sc_shm shm;
	struct th_sc_snap base, ctxbase;
	uint32_t res;

	th_sc_shm_init(&shm);
	if (ctx_up(env, &ctx, &base))
		goto out;
	th_sc_snap(env, &ctxbase);
	res = th_sc_shm_alloc(env, &ctx, &shm, 0, TH_SC_MEM_OUTPUT);
	TH_SC_RES(env, res, 0, 0, "TEEC_AllocateSharedMemory(0, OUT)");
	TH_SC_EXPECT(env, shm.buffer && shm.alloced == 8, "buffer %p, %zu bytes", shm.buffer,
		     shm.alloced);
	if (expect_added(env, &ctx, &ctxbase, 1, "allocated") ||
	    th_sc_expect_shm(env, &shm, "allocated"))
		goto out;
	th_sc_shm_release(env, &shm);
	if (th_sc_expect_back(env, &ctxbase, "released"))
		goto out;
	th_sc_ctx_close(env, &ctx);
	th_sc_expect_back(env, &base, "finalized");
out:
	th_sc_shm_release(env, &shm);
	th_sc_ctx_close(env, &ctx);
	return env->err ? -1 : 0;
}

/*
 * FinalizeContext_null: libteec does nothing for NULL. At the ioctl level: closing fds that are
 * not open (-1, a context closed twice) is EBADF and changes nothing.
 */
int th_scen_xtest_5006_finalize_context_null(struct th_scen_env *env)
{
	struct th_sc_ctx ctx = {.fd = -1};
	struct th_sc_snap base;
	int rc, fd;

	th_sc_snap(env, &base);
	rc = teesim_close(env->proc, -1);
	TH_SC_RC(env, rc, -EBADF, "close(-1)");
	rc = th_sc_ctx_open(env, &ctx);
	TH_SC_RC(env, rc, 0, "TEEC_InitializeContext");
	fd = ctx.fd;
	th_sc_ctx_close(env, &ctx);
	rc = teesim_close(env->proc, fd);
	TH_SC_RC(env, rc, -EBADF, "second close of a context");
	th_sc_expect_back(env, &base, "after the closes");
out:
	th_sc_ctx_close(env, &ctx);
	return env->err ? -1 : 0;
}

/*
 * InitializeContext_NotExistingTEE: a name no device matches. libteec tries /dev/tee0 ..
 * /dev/tee9, opens each that exists, finds its capabilities do not match the name, closes it;
 * ITEM_NOT_FOUND. Beyond xtest: only tee0 opens, every context it made is gone again.
 */
int th_scen_xtest_5006_initialize_context_not_existing_tee(struct th_scen_env *env)
{
	struct th_sc_snap base, now;
	uint32_t res = TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND;
	unsigned opened = 0;

	th_sc_snap(env, &base);
	for (unsigned n = 0; n < 10; n++) {
		char dev[32];
		struct th_sc_ctx ctx;
		int rc;

		snprintf(dev, sizeof(dev), "/dev/tee%u", n);
		memset(&ctx, 0, sizeof(ctx));
		ctx.fd = teesim_open(env->proc, dev, 0);
		if (ctx.fd < 0) {
			TH_SC_RC(env, ctx.fd, -ENOENT, dev);
			continue;
		}
		opened++;
		/* TEE_IOC_VERSION, then the name's capability string matches nothing: close. */
		{
			struct tee_ioctl_version_data *v = th_sc_umem(env, sizeof(*v));

			rc = v ? teesim_ioctl(env->proc, ctx.fd, TEE_IOC_VERSION, v) : -ENOMEM;
			if (!rc &&
			    (v->impl_id != TEE_IMPL_ID_OPTEE || !(v->gen_caps & TEE_GEN_CAP_GP)))
				rc = -EPROTO;
			th_sc_ufree(env, v, sizeof(*v));
		}
		teesim_close(env->proc, ctx.fd);
		TH_SC_RC(env, rc, 0, "TEE_IOC_VERSION");
	}
	TH_SC_RES(env, res, 0, TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND, "TEEC_InitializeContext(name)");
	TH_SC_EXPECT(env, opened == 1, "%u devices opened, want only tee0", opened);
	th_sc_snap(env, &now);
	TH_SC_EXPECT(env, now.core.contexts == base.core.contexts, "contexts %llu, were %llu",
		     (unsigned long long) now.core.contexts,
		     (unsigned long long) base.core.contexts);
	th_sc_expect_back(env, &base, "after the failed initialization");
out:
	return env->err ? -1 : 0;
}

/*
 * The "same shm struct twice" sub-cases: libteec overwrites the struct, so the first buffer is
 * never released: its fd (REG_MEM) or its mapping stays, holding the shm, its registration and
 * the context until the process exits. Checked here, then released as exit would.
 */
static int leaked_first(struct th_scen_env *env, struct th_sc_ctx *ctx, struct th_sc_shm *first,
			const struct th_sc_snap *base)
{
	struct th_sc_snap now;
	int rc;

	/* The context fd is closed: the leaked shm still holds the context. */
	th_sc_snap(env, &now);
	TH_SC_EXPECT(
	    env,
	    now.core.contexts == base->core.contexts + 1 && now.user_shms == base->user_shms + 1,
	    "after finalize: contexts %llu shms %llu (base %llu %llu): the leak is gone",
	    (unsigned long long) now.core.contexts, (unsigned long long) now.user_shms,
	    (unsigned long long) base->core.contexts, (unsigned long long) base->user_shms);
	TH_SC_EXPECT(
	    env,
	    now.sw.shm_objects == base->sw.shm_objects + (ctx->reg_mem ? 1 : 0) &&
		now.core.mappings == base->core.mappings + (ctx->reg_mem ? 0 : 1),
	    "leak: sw objects %llu mappings %llu (base %llu %llu)",
	    (unsigned long long) now.sw.shm_objects, (unsigned long long) now.core.mappings,
	    (unsigned long long) base->sw.shm_objects, (unsigned long long) base->core.mappings);
	rc = th_sc_expect_shm(env, first, "leaked shm");
	if (rc)
		goto out;
	/* What the process's exit would do. */
	th_sc_shm_release(env, first);
	th_sc_expect_back(env, base, "leak released");
out:
	return env->err ? -1 : 0;
}

/* AllocateThenRegister_SameMemory: 32 bytes allocated, then the same buffer registered. */
int th_scen_xtest_5006_allocate_then_register_same_memory(struct th_scen_env *env)
{
	struct th_sc_ctx ctx = {.fd = -1};
	struct th_sc_shm shm, first;
	struct th_sc_snap base, ctxbase;
	uint32_t res;

	th_sc_shm_init(&shm);
	th_sc_shm_init(&first);
	if (ctx_up(env, &ctx, &base))
		goto out;
	th_sc_snap(env, &ctxbase);
	res = th_sc_shm_alloc(env, &ctx, &shm, 32, TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, 0, "TEEC_AllocateSharedMemory(32)");
	first = shm;
	res = th_sc_shm_register(env, &ctx, &shm, first.buffer, 32, TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, 0, "TEEC_RegisterSharedMemory(same buffer)");
	TH_SC_EXPECT(env, shm.id != first.id, "both have id %d", shm.id);
	if (expect_added(env, &ctx, &ctxbase, 2, "allocated + registered") ||
	    th_sc_expect_shm(env, &first, "allocated") || th_sc_expect_shm(env, &shm, "registered"))
		goto out;
	th_sc_shm_release(env, &shm);
	th_sc_ctx_close(env, &ctx);
	leaked_first(env, &ctx, &first, &base);
out:
	th_sc_shm_release(env, &shm);
	th_sc_shm_release(env, &first);
	th_sc_ctx_close(env, &ctx);
	return env->err ? -1 : 0;
}

/* AllocateSameMemory_twice: the same shm struct allocated twice (32 bytes). */
int th_scen_xtest_5006_allocate_same_memory_twice(struct th_scen_env *env)
{
	struct th_sc_ctx ctx = {.fd = -1};
	struct th_sc_shm shm, first;
	struct th_sc_snap base, ctxbase;
	uint32_t res;

	th_sc_shm_init(&shm);
	th_sc_shm_init(&first);
	if (ctx_up(env, &ctx, &base))
		goto out;
	th_sc_snap(env, &ctxbase);
	res = th_sc_shm_alloc(env, &ctx, &shm, 32, TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, 0, "first TEEC_AllocateSharedMemory(32)");
	first = shm;
	res = th_sc_shm_alloc(env, &ctx, &shm, 32, TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, 0, "second TEEC_AllocateSharedMemory(32)");
	TH_SC_EXPECT(env, shm.id != first.id && shm.buffer != first.buffer,
		     "second allocation is the first (id %d)", shm.id);
	if (expect_added(env, &ctx, &ctxbase, 2, "allocated twice") ||
	    th_sc_expect_shm(env, &first, "first") || th_sc_expect_shm(env, &shm, "second"))
		goto out;
	th_sc_shm_release(env, &shm);
	th_sc_ctx_close(env, &ctx);
	leaked_first(env, &ctx, &first, &base);
out:
	th_sc_shm_release(env, &shm);
	th_sc_shm_release(env, &first);
	th_sc_ctx_close(env, &ctx);
	return env->err ? -1 : 0;
}

/*
 * RegisterSameMemory_twice: the same 10 client bytes registered twice. With REG_MEM the one host
 * page is pinned twice and bound to one frame: both registrations name the same physical page.
 */
int th_scen_xtest_5006_register_same_memory_twice(struct th_scen_env *env)
{
	static const uint8_t val[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 0};
	struct th_sc_ctx ctx = {.fd = -1};
	struct th_sc_shm shm, first;
	struct th_sc_snap base, ctxbase, now;
	struct th_sc_hostbuf hb = {0};
	uint32_t res;
	int rc;

	th_sc_shm_init(&shm);
	th_sc_shm_init(&first);
	rc = th_sc_hostbuf_new(&hb, sizeof(val), 0x200);
	TH_SC_CHECK(env, rc == 0, rc, "client buffer");
	memcpy(hb.p, val, sizeof(val));
	if (ctx_up(env, &ctx, &base))
		goto out;
	th_sc_snap(env, &ctxbase);
	res = th_sc_shm_register(env, &ctx, &shm, hb.p, sizeof(val), TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, 0, "first TEEC_RegisterSharedMemory");
	first = shm;
	res = th_sc_shm_register(env, &ctx, &shm, hb.p, sizeof(val), TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, 0, "second TEEC_RegisterSharedMemory");
	if (expect_added(env, &ctx, &ctxbase, 2, "registered twice") ||
	    th_sc_expect_shm(env, &first, "first") || th_sc_expect_shm(env, &shm, "second"))
		goto out;
	th_sc_snap(env, &now);
	if (ctx.reg_mem)
		TH_SC_EXPECT(
		    env,
		    now.m.pins == ctxbase.m.pins + 2 &&
			now.m.host_pages == ctxbase.m.host_pages + 1,
		    "one host page pinned twice: pins %llu host pages %llu (base %llu %llu)",
		    (unsigned long long) now.m.pins, (unsigned long long) now.m.host_pages,
		    (unsigned long long) ctxbase.m.pins, (unsigned long long) ctxbase.m.host_pages);
	if (ta_over(env, &ctx, &shm, 0))
		goto out;
	th_sc_shm_release(env, &shm);
	th_sc_ctx_close(env, &ctx);
	leaked_first(env, &ctx, &first, &base);
out:
	th_sc_shm_release(env, &shm);
	th_sc_shm_release(env, &first);
	th_sc_ctx_close(env, &ctx);
	th_sc_hostbuf_free(&hb);
	return env->err ? -1 : 0;
}

/* Allocate_sharedMemory_32k: 32 KiB (8 pages); the TA checksums all of it. */
int th_scen_xtest_5006_allocate_shared_memory_32k(struct th_scen_env *env)
{
	struct th_sc_ctx ctx = {.fd = -1};
	struct th_sc_shm shm;
	struct th_sc_snap base, ctxbase, now;
	uint32_t res;

	th_sc_shm_init(&shm);
	if (ctx_up(env, &ctx, &base))
		goto out;
	th_sc_snap(env, &ctxbase);
	res = th_sc_shm_alloc(env, &ctx, &shm, 32 * 1024, TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, 0, "TEEC_AllocateSharedMemory(32k)");
	if (expect_added(env, &ctx, &ctxbase, 1, "allocated") ||
	    th_sc_expect_shm(env, &shm, "allocated"))
		goto out;
	th_sc_snap(env, &now);
	if (ctx.reg_mem)
		TH_SC_EXPECT(env, now.core.pinned_pages == ctxbase.core.pinned_pages + 8,
			     "pinned pages %llu, base %llu",
			     (unsigned long long) now.core.pinned_pages,
			     (unsigned long long) ctxbase.core.pinned_pages);
	for (size_t i = 0; i < shm.size; i++)
		((uint8_t *) shm.buffer)[i] = (uint8_t) (i ^ (i >> 8));
	if (ta_over(env, &ctx, &shm, 0))
		goto out;
	th_sc_shm_release(env, &shm);
	if (th_sc_expect_back(env, &ctxbase, "released"))
		goto out;
	th_sc_ctx_close(env, &ctx);
	th_sc_expect_back(env, &base, "finalized");
out:
	th_sc_shm_release(env, &shm);
	th_sc_ctx_close(env, &ctx);
	return env->err ? -1 : 0;
}

/* Register_sharedMemory_32k: 32 KiB of client memory at an odd offset: 9 pages registered. */
int th_scen_xtest_5006_register_shared_memory_32k(struct th_scen_env *env)
{
	enum { SZ = 32 * 1024 };
	struct th_sc_ctx ctx = {.fd = -1};
	struct th_sc_shm shm;
	struct th_sc_snap base, ctxbase, now;
	struct th_sc_hostbuf hb = {0};
	uint32_t res;
	int rc;

	th_sc_shm_init(&shm);
	rc = th_sc_hostbuf_new(&hb, SZ, 0x88);
	TH_SC_CHECK(env, rc == 0, rc, "client buffer");
	for (size_t i = 0; i < SZ; i++)
		hb.p[i] = (uint8_t) (i * 13);
	if (ctx_up(env, &ctx, &base))
		goto out;
	th_sc_snap(env, &ctxbase);
	res = th_sc_shm_register(env, &ctx, &shm, hb.p, SZ, TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, 0, "TEEC_RegisterSharedMemory(32k)");
	if (expect_added(env, &ctx, &ctxbase, 1, "registered") ||
	    th_sc_expect_shm(env, &shm, "registered"))
		goto out;
	th_sc_snap(env, &now);
	if (ctx.reg_mem)
		TH_SC_EXPECT(env,
			     now.core.pinned_pages == ctxbase.core.pinned_pages + 9 &&
				 now.m.host_pages == ctxbase.m.host_pages + 9,
			     "pinned %llu host pages %llu (base %llu %llu)",
			     (unsigned long long) now.core.pinned_pages,
			     (unsigned long long) now.m.host_pages,
			     (unsigned long long) ctxbase.core.pinned_pages,
			     (unsigned long long) ctxbase.m.host_pages);
	if (ta_over(env, &ctx, &shm, 0))
		goto out;
	th_sc_shm_release(env, &shm);
	if (th_sc_expect_back(env, &ctxbase, "released"))
		goto out;
	th_sc_ctx_close(env, &ctx);
	th_sc_expect_back(env, &base, "finalized");
out:
	th_sc_shm_release(env, &shm);
	th_sc_ctx_close(env, &ctx);
	th_sc_hostbuf_free(&hb);
	return env->err ? -1 : 0;
}
