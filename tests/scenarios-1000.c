/* SPDX-License-Identifier: MIT */
/*
 * xtest 1000-series cases about the protocol (regression_1000.c): sessions,
 * memref parameters, NULL memrefs, read-only registration, plugins. The
 * threaded ones (1009, 1013, 1040) are in scenarios-1000-mt.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

/* The client's context is env->fd, as xtest's global xtest_teec_ctx. */
static int env_ctx(struct th_scen_env *env, struct th_sc_ctx *ctx)
{
	int rc = th_sc_ctx_env(env, ctx);

	if (rc)
		th_sc_fail(env, rc, __FILE__, __LINE__, "TEE_IOC_VERSION: %d", rc);
	return rc;
}

static uint32_t open_ta(struct th_scen_env *env, struct th_sc_ctx *ctx, const char *uuid,
			uint32_t *sess, uint32_t *origin)
{
	return th_sc_open(env, ctx, uuid, TEE_IOCTL_LOGIN_PUBLIC, NULL, sess, origin);
}

/* The secure world's view of session @id; false if it holds none. */
static bool sw_session(struct th_scen_env *env, uint32_t id, struct teesim_sw_session_info *out)
{
	struct teesim_sw_session_info all[16];
	size_t n = teesim_sw_sessions(env->st->sw, all, 16);

	for (size_t i = 0; i < n && i < 16; i++)
		if (all[i].id == id) {
			*out = all[i];
			return true;
		}
	return false;
}

/* ------------------------------------------------------------------------ */

/*
 * 1005 "Many sessions": three sessions on the concurrent TA, closed in reverse. Beyond xtest:
 * each open adds exactly one session to the core, the context and the secure world, with its own
 * id and (multi-instance TA) no shared instance; each close takes exactly that one away.
 */
int th_scen_xtest_1005(struct th_scen_env *env)
{
	struct th_sc_ctx ctx;
	struct th_sc_snap base, now;
	struct teesim_tee_fd_info fi;
	struct teesim_sw_session_info si;
	uint32_t sess[3], res, origin = 0;
	int n = 0, rc;

	rc = th_ta_concurrent_register(env->st->sw, NULL);
	TH_SC_RC(env, rc, 0, "register the concurrent TA");
	if (env_ctx(env, &ctx))
		goto out;
	th_sc_snap(env, &base);
	for (; n < 3;) {
		res = open_ta(env, &ctx, TH_TA_CONCURRENT_UUID, &sess[n], &origin);
		TH_SC_RES(env, res, origin, 0, "open");
		n++;
		th_sc_snap(env, &now);
		TH_SC_EXPECT(env,
			     now.core.sessions == base.core.sessions + (unsigned) n &&
				 now.sw.sessions == base.sw.sessions + (unsigned) n,
			     "after %d opens: core sessions %llu sw sessions %llu", n,
			     (unsigned long long) now.core.sessions,
			     (unsigned long long) now.sw.sessions);
		TH_SC_EXPECT(env, sw_session(env, sess[n - 1], &si) && !si.dead && si.instance == 0,
			     "session %u: not in the secure world, dead or shared", sess[n - 1]);
		for (int i = 0; i < n - 1; i++)
			TH_SC_EXPECT(env, sess[i] != sess[n - 1], "session id %u given twice",
				     sess[i]);
	}
	TH_SC_EXPECT(env, teesim_tee_fd_info(env->proc, env->fd, &fi) == 0 && fi.ctx_sessions == 3,
		     "the context holds %u sessions", fi.ctx_sessions);
	while (n > 0) {
		rc = th_sc_close(env, &ctx, sess[--n]);
		TH_SC_RC(env, rc, 0, "close");
		TH_SC_EXPECT(env, !sw_session(env, sess[n], &si),
			     "session %u still in the secure world", sess[n]);
		th_sc_snap(env, &now);
		TH_SC_EXPECT(env, now.sw.sessions == base.sw.sessions + (unsigned) n,
			     "after a close: %llu sessions", (unsigned long long) now.sw.sessions);
	}
	th_sc_expect_back(env, &base, "all closed");
out:
	while (n > 0)
		th_sc_close(env, &ctx, sess[--n]);
	return env->err ? -1 : 0;
}

/*
 * 1012 "Single Instance Multi Session" (sims TA): session 1 writes 32 bytes, sessions opened next
 * to it read them back and see the instance's session counter (0 for session 1, then 1, 2).
 * Beyond xtest: the secure world shows both sessions on one instance; closing the last session
 * ends the instance, so the next open starts a new one with a fresh counter.
 */
int th_scen_xtest_1012(struct th_scen_env *env)
{
	static const uint8_t in[32] = {0x5A, 0x6E, 0x04, 0x57, 0x08, 0xFB, 0x71, 0x96,
				       0xF0, 0x2E, 0x55, 0x3D, 0x02, 0xC3, 0xA6, 0x92,
				       0xE9, 0xC3, 0xEF, 0x8A, 0xB2, 0x34, 0x53, 0xE6,
				       0xF0, 0x74, 0x9C, 0xD6, 0x36, 0xE7, 0xA8, 0x8E};
	struct th_sc_hostbuf inb = {0}, outb = {0};
	struct th_sc_ctx ctx;
	struct th_sc_op op;
	struct teesim_sw_session_info si1, si2;
	struct th_sc_snap base;
	uint32_t s1 = 0, s2 = 0, res, origin = 0;
	bool o1 = false, o2 = false;
	uint64_t inst1 = 0;
	int rc;

	rc = th_ta_sims_register(env->st->sw, NULL);
	TH_SC_RC(env, rc, 0, "register the sims TA");
	rc = th_sc_hostbuf_new(&inb, sizeof(in), 0x30);
	if (!rc)
		rc = th_sc_hostbuf_new(&outb, 32, 0x70);
	TH_SC_CHECK(env, rc == 0, rc, "client buffers");
	memcpy(inb.p, in, sizeof(in));
	if (env_ctx(env, &ctx))
		goto out;
	th_sc_snap(env, &base);
	res = open_ta(env, &ctx, TH_TA_SIMS_UUID, &s1, &origin);
	TH_SC_RES(env, res, origin, 0, "open session 1");
	o1 = true;
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_VALUE_INPUT;
	op.p[1].type = TH_SC_TEMP_INPUT;
	op.p[1].buffer = inb.p;
	op.p[1].size = sizeof(in);
	res = th_sc_invoke(env, &ctx, s1, TH_SIMS_CMD_WRITE, &op, &origin);
	TH_SC_RES(env, res, origin, 0, "WRITE");
	for (uint32_t i = 1; i < 3; i++) {
		res = open_ta(env, &ctx, TH_TA_SIMS_UUID, &s2, &origin);
		TH_SC_RES(env, res, origin, 0, "open session 2");
		o2 = true;
		memset(outb.p, 0, 32);
		memset(&op, 0, sizeof(op));
		op.p[0].type = TH_SC_VALUE_INPUT;
		op.p[1].type = TH_SC_TEMP_OUTPUT;
		op.p[1].buffer = outb.p;
		op.p[1].size = 32;
		res = th_sc_invoke(env, &ctx, s2, TH_SIMS_CMD_READ, &op, &origin);
		TH_SC_RES(env, res, origin, 0, "READ from session 2");
		TH_SC_EXPECT(env, !memcmp(outb.p, in, sizeof(in)), "session 2 read other bytes");
		memset(&op, 0, sizeof(op));
		op.p[0].type = TH_SC_VALUE_OUTPUT;
		res = th_sc_invoke(env, &ctx, s1, TH_SIMS_CMD_GET_COUNTER, &op, &origin);
		TH_SC_RES(env, res, origin, 0, "GET_COUNTER session 1");
		TH_SC_EXPECT(env, op.p[0].a == 0, "session 1 counter %u", op.p[0].a);
		res = th_sc_invoke(env, &ctx, s2, TH_SIMS_CMD_GET_COUNTER, &op, &origin);
		TH_SC_RES(env, res, origin, 0, "GET_COUNTER session 2");
		TH_SC_EXPECT(env, op.p[0].a == i, "session 2 counter %u, want %u", op.p[0].a, i);
		TH_SC_EXPECT(env,
			     sw_session(env, s1, &si1) && sw_session(env, s2, &si2) &&
				 si1.instance && si1.instance == si2.instance,
			     "sessions %u and %u are not on one instance", s1, s2);
		inst1 = si1.instance;
		rc = th_sc_close(env, &ctx, s2);
		o2 = false;
		TH_SC_RC(env, rc, 0, "close session 2");
	}
	memset(outb.p, 0, 32);
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_VALUE_INPUT;
	op.p[1].type = TH_SC_TEMP_OUTPUT;
	op.p[1].buffer = outb.p;
	op.p[1].size = 32;
	res = th_sc_invoke(env, &ctx, s1, TH_SIMS_CMD_READ, &op, &origin);
	TH_SC_RES(env, res, origin, 0, "READ from session 1");
	TH_SC_EXPECT(env, !memcmp(outb.p, in, sizeof(in)), "session 1 read other bytes");
	rc = th_sc_close(env, &ctx, s1);
	o1 = false;
	TH_SC_RC(env, rc, 0, "close session 1");

	/* The instance ended with its last session: a new one, counting from 0 again. */
	res = open_ta(env, &ctx, TH_TA_SIMS_UUID, &s2, &origin);
	TH_SC_RES(env, res, origin, 0, "open after the instance ended");
	o2 = true;
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_VALUE_OUTPUT;
	res = th_sc_invoke(env, &ctx, s2, TH_SIMS_CMD_GET_COUNTER, &op, &origin);
	TH_SC_RES(env, res, origin, 0, "GET_COUNTER on the new instance");
	TH_SC_EXPECT(env, op.p[0].a == 0, "new instance counter %u", op.p[0].a);
	TH_SC_EXPECT(env, sw_session(env, s2, &si2) && si2.instance != inst1,
		     "new session still on instance %llu", (unsigned long long) inst1);
	rc = th_sc_close(env, &ctx, s2);
	o2 = false;
	TH_SC_RC(env, rc, 0, "close");
	th_sc_expect_back(env, &base, "all closed");
out:
	if (o2)
		th_sc_close(env, &ctx, s2);
	if (o1)
		th_sc_close(env, &ctx, s1);
	th_sc_hostbuf_free(&outb);
	th_sc_hostbuf_free(&inb);
	return env->err ? -1 : 0;
}

/* The PA of byte @off of @shm as the secure world must see it; false if unknown. */
static bool shm_pa(struct th_scen_env *env, const struct th_sc_shm *shm, uint64_t off,
		   teesim_pa_t *pa)
{
	struct teesim_guest *g = teesim_process_guest(env->proc);
	struct teesim_tee_fd_info fi;
	struct teesim_tee_shm_info si;
	teesim_pa_t pas[16];

	if (shm->fd >= 0) {
		if (teesim_tee_fd_info(env->proc, shm->fd, &fi) ||
		    teesim_sw_shm_pages(env->st->sw, fi.shm.cookie, pas, 16) <= (long) (off >> 12))
			return false;
		*pa = pas[off >> 12] + (off & 0xfff);
		return true;
	}
	if (teesim_tee_shm_info(g, "/dev/tee0", shm->id, &si))
		return false;
	if (teesim_guest_ipa_to_pa(g, si.paddr + off, pa))
		*pa = si.paddr + off; /* the carve-out: addressed by PA */
	return true;
}

/*
 * 1017 "Test coalescing memrefs": four partial memrefs of one 8-page allocated shm (pages 0, 1,
 * 4 and 6-7) reach the os_test TA, none NULL or empty. Beyond xtest: the secure world decoded each
 * as a memref of that shm (RMEM with its cookie and the offset, or TMEM in the static pool) whose
 * first byte is the client's byte at that offset.
 */
int th_scen_xtest_1017(struct th_scen_env *env)
{
	static const size_t offs[4] = {0, 4096, 4 * 4096, 6 * 4096};
	static const size_t sizes[4] = {4096, 4096, 4096, 2 * 4096};
	struct th_sc_ctx ctx;
	struct th_sc_shm shm;
	struct th_sc_op op;
	struct teesim_sw_request req;
	struct teesim_tee_fd_info fi;
	uint32_t sess = 0, res, origin = 0;
	bool opened = false;
	int rc;

	th_sc_shm_init(&shm);
	rc = th_ta_os_test_register(env->st->sw);
	TH_SC_RC(env, rc, 0, "register os_test");
	if (env_ctx(env, &ctx))
		goto out;
	res = th_sc_shm_alloc(env, &ctx, &shm, 8 * 4096, TH_SC_MEM_INPUT | TH_SC_MEM_OUTPUT);
	TH_SC_RES(env, res, 0, 0, "TEEC_AllocateSharedMemory(8 pages)");
	res = open_ta(env, &ctx, TH_TA_OS_TEST_UUID, &sess, &origin);
	TH_SC_RES(env, res, origin, 0, "open os_test");
	opened = true;
	memset(&op, 0, sizeof(op));
	for (unsigned n = 0; n < 4; n++) {
		op.p[n].type = n < 2 ? TH_SC_PARTIAL_INPUT : TH_SC_PARTIAL_OUTPUT;
		op.p[n].shm = &shm;
		op.p[n].offset = offs[n];
		op.p[n].size = sizes[n];
	}
	res = th_sc_invoke(env, &ctx, sess, TH_OS_TEST_CMD_PARAMS, &op, &origin);
	TH_SC_RES(env, res, origin, 0, "PARAMS");
	TH_SC_EXPECT(env, teesim_sw_last_request(env->st->sw, &req) == 0, "no last request");
	TH_SC_EXPECT(env, req.cmd == TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND && req.num_params == 4,
		     "last request cmd %u with %u params", req.cmd, req.num_params);
	for (unsigned n = 0; n < 4; n++) {
		const struct teesim_sw_param *p = &req.params[n];
		teesim_pa_t pa = 0;

		TH_SC_EXPECT(env, shm_pa(env, &shm, offs[n], &pa), "no PA for offset %zu", offs[n]);
		TH_SC_EXPECT(env, p->size == sizes[n] && p->first_pa == pa,
			     "param %u: size %llu first PA %#llx, want %zu at %#llx", n,
			     (unsigned long long) p->size, (unsigned long long) p->first_pa,
			     sizes[n], (unsigned long long) pa);
		if (ctx.reg_mem) {
			TH_SC_EXPECT(env, teesim_tee_fd_info(env->proc, shm.fd, &fi) == 0,
				     "shm fd info");
			TH_SC_EXPECT(env,
				     p->kind == TEESIM_SW_PARAM_RMEM &&
					 p->cookie == fi.shm.cookie && p->offset == offs[n],
				     "param %u: kind %d cookie %#llx offset %llu", n, (int) p->kind,
				     (unsigned long long) p->cookie,
				     (unsigned long long) p->offset);
		} else {
			TH_SC_EXPECT(env, p->kind == TEESIM_SW_PARAM_TMEM, "param %u: kind %d", n,
				     (int) p->kind);
		}
	}
	rc = th_sc_close(env, &ctx, sess);
	opened = false;
	TH_SC_RC(env, rc, 0, "close");
out:
	if (opened)
		th_sc_close(env, &ctx, sess);
	th_sc_shm_release(env, &shm);
	return env->err ? -1 : 0;
}

/*
 * A partial memref past the end of @shm: libteec refuses it (BAD_PARAMETERS, origin API, no
 * ioctl). Sent raw, the core checks it against its own size of the shm: past that it refuses it
 * (-EINVAL) before the driver, so no call reaches the secure world; a pool buffer rounded up to
 * whole pages can hide a small overrun from the core, and then the call goes through and only
 * the TA can object.
 */
static int out_of_bounds(struct th_scen_env *env, struct th_sc_ctx *ctx, uint32_t sess,
			 struct th_sc_shm *shm, struct th_sc_op *op, unsigned bad)
{
	struct tee_ioctl_param ip[4];
	struct th_sc_snap before, after;
	uint64_t core_size = th_sc_shm_core_size(env, shm);
	uint64_t end = op->p[bad].offset + op->p[bad].size;
	uint32_t res, origin = 0, ret = 0;
	int rc;

	TH_SC_EXPECT(env, core_size >= shm->size, "core size %llu of a %zu-byte shm",
		     (unsigned long long) core_size, shm->size);
	th_sc_snap(env, &before);
	op->rc = 1;
	res = th_sc_invoke(env, ctx, sess, TH_OS_TEST_CMD_PARAMS, op, &origin);
	TH_SC_EXPECT(env, origin != TEESIM_OPTEE_ORIGIN_TRUSTED_APP, "origin is the TA");
	TH_SC_RES(env, res, origin, TEESIM_OPTEE_ERROR_BAD_PARAMETERS, "out of bounds invoke");
	TH_SC_EXPECT(env, origin == TEESIM_OPTEE_ORIGIN_API && op->rc == 1,
		     "libteec sent it (origin %u)", origin);
	/* The same parameters straight through the ioctl. */
	memset(ip, 0, sizeof(ip));
	for (unsigned n = 0; n < 4; n++) {
		const struct th_sc_param *p = &op->p[n];

		if (p->type == TH_SC_NONE)
			continue;
		ip[n].attr =
		    TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT + (p->type - TH_SC_PARTIAL_INPUT);
		ip[n].a = p->offset;
		ip[n].b = p->size;
		ip[n].c = (uint64_t) shm->id;
	}
	rc = th_sc_invoke_raw(env, ctx->fd, sess, TH_OS_TEST_CMD_PARAMS, ip, 4, &ret, &origin);
	th_sc_snap(env, &after);
	if (end > core_size) {
		TH_SC_RC(env, rc, -EINVAL, "raw out-of-bounds INVOKE");
		TH_SC_EXPECT(env,
			     after.sw.std_calls == before.sw.std_calls &&
				 after.drv.calls == before.drv.calls,
			     "an out-of-bounds memref (param %u) reached the secure world", bad);
	} else {
		/* Inside the core's rounded size: sent; the TA refuses the parameter types. */
		TH_SC_RC(env, rc, 0, "raw INVOKE within the core's size");
		TH_SC_EXPECT(env,
			     ret == TEESIM_OPTEE_ERROR_BAD_PARAMETERS &&
				 origin == TEESIM_OPTEE_ORIGIN_TRUSTED_APP &&
				 after.drv.calls == before.drv.calls + 1,
			     "raw INVOKE: ret %#x origin %u, %llu driver calls", ret, origin,
			     (unsigned long long) (after.drv.calls - before.drv.calls));
	}
	if (th_sc_expect_back(env, &before, "after the refused invokes"))
		goto out;
	return 0;
out:
	return -1;
}

/*
 * 1018 "Test memref out of bounds": an 8-page allocated shm with a last memref of 3 pages at
 * page 6; a 6001-byte registered buffer and a 6001-byte allocated one, each with a memref one
 * byte past its end. Beyond xtest: the raw ioctl is refused by the core, nothing is sent.
 */
int th_scen_xtest_1018(struct th_scen_env *env)
{
	struct th_sc_ctx ctx;
	struct th_sc_shm shm;
	struct th_sc_op op;
	struct th_sc_hostbuf hb = {0};
	uint32_t sess = 0, res, origin = 0;
	bool opened = false;
	int rc;

	th_sc_shm_init(&shm);
	rc = th_ta_os_test_register(env->st->sw);
	TH_SC_RC(env, rc, 0, "register os_test");
	rc = th_sc_hostbuf_new(&hb, 6001, 0x321);
	TH_SC_CHECK(env, rc == 0, rc, "client buffer");
	if (env_ctx(env, &ctx))
		goto out;
	res = open_ta(env, &ctx, TH_TA_OS_TEST_UUID, &sess, &origin);
	TH_SC_RES(env, res, origin, 0, "open os_test");
	opened = true;

	/* Out of bounds > 4kB on allocated shm */
	res = th_sc_shm_alloc(env, &ctx, &shm, 8 * 4096, TH_SC_MEM_INPUT | TH_SC_MEM_OUTPUT);
	TH_SC_RES(env, res, 0, 0, "TEEC_AllocateSharedMemory(8 pages)");
	memset(&op, 0, sizeof(op));
	for (unsigned n = 0; n < 4; n++) {
		static const size_t offs[4] = {0, 4096, 4 * 4096, 6 * 4096};
		static const size_t sizes[4] = {4096, 4096, 4096, 3 * 4096};

		op.p[n].type = n < 2 ? TH_SC_PARTIAL_INPUT : TH_SC_PARTIAL_OUTPUT;
		op.p[n].shm = &shm;
		op.p[n].offset = offs[n];
		op.p[n].size = sizes[n];
	}
	if (out_of_bounds(env, &ctx, sess, &shm, &op, 3))
		goto out;
	th_sc_shm_release(env, &shm);

	/* Out of bounds by 1 byte on registered shm */
	res = th_sc_shm_register(env, &ctx, &shm, hb.p, 6001, TH_SC_MEM_INPUT | TH_SC_MEM_OUTPUT);
	TH_SC_RES(env, res, 0, 0, "TEEC_RegisterSharedMemory(6001)");
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_PARTIAL_INPUT;
	op.p[0].shm = &shm;
	op.p[0].size = 6001 / 2;
	op.p[0].offset = 6001 - 6001 / 2 + 1;
	if (out_of_bounds(env, &ctx, sess, &shm, &op, 0))
		goto out;
	th_sc_shm_release(env, &shm);

	/* Out of bounds by 1 byte ref on allocated shm */
	res = th_sc_shm_alloc(env, &ctx, &shm, 6001, TH_SC_MEM_INPUT | TH_SC_MEM_OUTPUT);
	TH_SC_RES(env, res, 0, 0, "TEEC_AllocateSharedMemory(6001)");
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_PARTIAL_INPUT;
	op.p[0].shm = &shm;
	op.p[0].size = 6001 / 2;
	op.p[0].offset = 6001 - 6001 / 2 + 1;
	if (out_of_bounds(env, &ctx, sess, &shm, &op, 0))
		goto out;
	th_sc_shm_release(env, &shm);

	rc = th_sc_close(env, &ctx, sess);
	opened = false;
	TH_SC_RC(env, rc, 0, "close");
out:
	if (opened)
		th_sc_close(env, &ctx, sess);
	th_sc_shm_release(env, &shm);
	th_sc_hostbuf_free(&hb);
	return env->err ? -1 : 0;
}

/*
 * 1025 "Test memref NULL and/or 0 bytes size": registering a NULL buffer is BAD_PARAMETERS
 * (libteec, no ioctl); with MEMREF_NULL, memrefs of 0 bytes reach the TA as mapped (a registered
 * 8-byte buffer) or NULL (TEE_MEMREF_NULL), and a 1-byte memref where 0 is expected is the TA's
 * BAD_PARAMETERS. Beyond xtest: the raw SHM_REGISTER of NULL fails in the core, the secure world
 * decoded RMEM / NULL for each memref, the temporary registrations are gone after each call.
 */
int th_scen_xtest_1025(struct th_scen_env *env)
{
	struct th_sc_ctx ctx;
	struct th_sc_shm shm;
	struct th_sc_op op;
	struct th_sc_snap base;
	struct th_sc_hostbuf empty = {0};
	struct tee_ioctl_shm_register_data *rd = NULL;
	struct teesim_sw_request req;
	struct th_sc_capture cap;
	uint32_t sess = 0, res, origin = 0;
	bool opened = false;
	int rc;

	th_sc_shm_init(&shm);
	rc = th_ta_os_test_register(env->st->sw);
	TH_SC_RC(env, rc, 0, "register os_test");
	rc = th_sc_hostbuf_new(&empty, 1, 0x10);
	TH_SC_CHECK(env, rc == 0, rc, "client buffer");
	if (env_ctx(env, &ctx))
		goto out;
	th_sc_snap(env, &base);

	/* Invalid NULL buffer memref registration */
	res = th_sc_shm_register(env, &ctx, &shm, NULL, 0, TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, TEESIM_OPTEE_ERROR_BAD_PARAMETERS, "register NULL, input");
	res = th_sc_shm_register(env, &ctx, &shm, NULL, 0, TH_SC_MEM_OUTPUT);
	TH_SC_RES(env, res, 0, TEESIM_OPTEE_ERROR_BAD_PARAMETERS, "register NULL, output");
	rd = th_sc_umem(env, sizeof(*rd));
	TH_SC_CHECK(env, rd != NULL, -ENOMEM, "argument memory");
	rd->addr = 0;
	rd->length = 8;
	rc = teesim_ioctl(env->proc, ctx.fd, TEE_IOC_SHM_REGISTER, rd);
	TH_SC_RC(env, rc, -EFAULT, "raw SHM_REGISTER(NULL, 8)");
	rd->length = 0;
	rc = teesim_ioctl(env->proc, ctx.fd, TEE_IOC_SHM_REGISTER, rd);
	TH_SC_RC(env, rc, -ENOMEM, "raw SHM_REGISTER(NULL, 0)");
	th_sc_ufree(env, rd, sizeof(*rd));
	rd = NULL;
	if (th_sc_expect_back(env, &base, "after the refused registrations"))
		goto out;

	TH_SC_EXPECT(env, ctx.memref_null, "the device does not offer MEMREF_NULL");
	res = open_ta(env, &ctx, TH_TA_OS_TEST_UUID, &sess, &origin);
	TH_SC_RES(env, res, origin, 0, "open os_test");
	opened = true;
	th_sc_snap(env, &base);

	/* Input/Output MEMREF Buffer NULL - Size 0 bytes */
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_TEMP_INPUT;
	op.p[0].buffer = empty.p;
	op.p[1].type = TH_SC_TEMP_INPUT;
	op.p[2].type = TH_SC_TEMP_OUTPUT;
	op.p[2].buffer = empty.p;
	op.p[3].type = TH_SC_TEMP_OUTPUT;
	th_sc_capture_start(env, &cap, TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND);
	res = th_sc_invoke(env, &ctx, sess, TH_OS_TEST_CMD_NULL_MEMREF_PARAMS, &op, &origin);
	th_sc_capture_stop(env);
	TH_SC_RES(env, res, origin, 0, "NULL_MEMREF_PARAMS, all 0 bytes");
	TH_SC_EXPECT(env, cap.seen == 1, "%u invokes decoded", cap.seen);
	req = cap.req;
	for (unsigned n = 0; n < 4; n++)
		TH_SC_EXPECT(env,
			     req.params[n].kind ==
				     (n & 1 ? TEESIM_SW_PARAM_NULL : TEESIM_SW_PARAM_RMEM) &&
				 req.params[n].size == 0,
			     "param %u decoded as kind %d size %llu", n, (int) req.params[n].kind,
			     (unsigned long long) req.params[n].size);
	if (th_sc_expect_back(env, &base, "after the call: temporary registrations gone"))
		goto out;

	/* Input MEMREF Buffer NULL - Size non 0 bytes */
	op.p[0].size = 1;
	op.p[2].size = 0;
	res = th_sc_invoke(env, &ctx, sess, TH_OS_TEST_CMD_NULL_MEMREF_PARAMS, &op, &origin);
	TH_SC_RES(env, res, origin, TEESIM_OPTEE_ERROR_BAD_PARAMETERS, "1 byte where 0 expected");
	TH_SC_EXPECT(env, origin == TEESIM_OPTEE_ORIGIN_TRUSTED_APP, "origin %u, want the TA",
		     origin);
	if (th_sc_expect_back(env, &base, "after the refused call"))
		goto out;
	rc = th_sc_close(env, &ctx, sess);
	opened = false;
	TH_SC_RC(env, rc, 0, "close");
out:
	th_sc_ufree(env, rd, sizeof(*rd));
	if (opened)
		th_sc_close(env, &ctx, sess);
	th_sc_shm_release(env, &shm);
	th_sc_hostbuf_free(&empty);
	return env->err ? -1 : 0;
}

/* Read-only data of this program (xtest's static const array). */
static const uint8_t ro_data[32] = {1, 2, 3, 4};

/*
 * One read-only buffer registered for input: libteec's SHM_REGISTER is refused (the kernel pins
 * for writing), so it registers a shadow buffer instead and copies into it for each call.
 */
static int register_ro(struct th_scen_env *env, struct th_sc_ctx *ctx, void *buf, size_t len,
		       const char *what)
{
	struct tee_ioctl_shm_register_data *rd = NULL;
	struct th_sc_shm shm;
	struct th_sc_snap base, now;
	int rc;
	uint32_t res;

	th_sc_shm_init(&shm);
	th_sc_snap(env, &base);
	rd = th_sc_umem(env, sizeof(*rd));
	TH_SC_CHECK(env, rd != NULL, -ENOMEM, "argument memory");
	/* What libteec tries first, seen directly: refused, nothing pinned or bound. */
	rd->addr = (uintptr_t) buf;
	rd->length = len;
	rc = teesim_ioctl(env->proc, ctx->fd, TEE_IOC_SHM_REGISTER, rd);
	TH_SC_RC(env, rc, -EFAULT, what);
	th_sc_ufree(env, rd, sizeof(*rd));
	rd = NULL;
	if (th_sc_expect_back(env, &base, "after the refused registration"))
		goto out;
	res = th_sc_shm_register(env, ctx, &shm, buf, len, TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, 0, what);
	TH_SC_EXPECT(env, shm.shadow != NULL && shm.fd >= 0, "%s: no shadow buffer", what);
	th_sc_snap(env, &now);
	TH_SC_EXPECT(env, now.m.host_pages == base.m.host_pages,
		     "%s: a read-only host page got bound (%llu -> %llu)", what,
		     (unsigned long long) base.m.host_pages, (unsigned long long) now.m.host_pages);
	if (th_sc_expect_shm(env, &shm, what))
		goto out;
	th_sc_shm_release(env, &shm);
	th_sc_expect_back(env, &base, "released");
out:
	th_sc_ufree(env, rd, sizeof(*rd));
	th_sc_shm_release(env, &shm);
	return env->err ? -1 : 0;
}

/*
 * 1032 "Register read-only shared memory": 32 bytes of program text and 32 bytes of read-only
 * data registered for input succeed. Beyond xtest: the first registration attempt is refused
 * (-EFAULT), libteec's shadow buffer is what gets registered, and a read-only mapping of the
 * process behaves the same; the mem TA reads the shadowed bytes through a whole memref.
 */
int th_scen_xtest_1032(struct th_scen_env *env)
{
	struct th_sc_ctx ctx;
	struct th_sc_shm shm;
	struct th_sc_op op;
	uint8_t *ro = NULL;
	uint32_t sess = 0, res, origin = 0, sum = 0;
	bool opened = false;

	th_sc_shm_init(&shm);
	if (env_ctx(env, &ctx))
		goto out;
	TH_SC_EXPECT(env, ctx.reg_mem, "the device does not offer REG_MEM");
	if (register_ro(env, &ctx, (void *) (uintptr_t) &th_scen_xtest_1032, 32, "program text") ||
	    register_ro(env, &ctx, (void *) (uintptr_t) ro_data, sizeof(ro_data), "read-only data"))
		goto out;
	ro = teesim_process_mmap(env->proc, 4096, TEESIM_PROT_READ);
	TH_SC_CHECK(env, ro != NULL, -ENOMEM, "read-only mapping");
	if (register_ro(env, &ctx, ro, 4096, "read-only mapping"))
		goto out;

	/* The shadow carries the bytes: the TA reads the read-only data through it. */
	res = th_sc_shm_register(env, &ctx, &shm, (void *) (uintptr_t) ro_data, sizeof(ro_data),
				 TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, 0, "register read-only data");
	res = open_ta(env, &ctx, TEESIM_TA_MEM_UUID, &sess, &origin);
	TH_SC_RES(env, res, origin, 0, "open mem TA");
	opened = true;
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_WHOLE;
	op.p[0].shm = &shm;
	op.p[1].type = TH_SC_VALUE_OUTPUT;
	res = th_sc_invoke(env, &ctx, sess, TEESIM_TA_MEM_CMD_READ, &op, &origin);
	TH_SC_RES(env, res, origin, 0, "mem TA READ");
	for (size_t i = 0; i < sizeof(ro_data); i++)
		sum += ro_data[i];
	TH_SC_EXPECT(env, op.p[1].a == sum, "the TA read sum %u, want %u", op.p[1].a, sum);
out:
	if (opened)
		th_sc_close(env, &ctx, sess);
	th_sc_shm_release(env, &shm);
	if (ro)
		teesim_process_munmap(env->proc, ro, 4096);
	return env->err ? -1 : 0;
}

/* The stack's supplicant serves optee_test's test plugin. */
static int plugin_up(struct th_scen_env *env)
{
	struct teesim_uuid u;
	int rc = teesim_uuid_parse(TH_TEST_PLUGIN_UUID, &u);

	if (!rc)
		rc = teesim_supplicant_plugin_register(env->st->supp, u.b, th_test_plugin, NULL);
	return rc;
}

/* One supp_plugin TA invoke with @nreq supplicant requests expected and nothing left after. */
static int plugin_call(struct th_scen_env *env, struct th_sc_ctx *ctx, uint32_t sess, uint32_t cmd,
		       struct th_sc_op *op, uint32_t want, unsigned nreq, const char *what)
{
	struct th_sc_snap before, after;
	struct teesim_supplicant_stats ss;
	uint32_t res, origin = 0;

	th_sc_snap(env, &before);
	res = th_sc_invoke(env, ctx, sess, cmd, op, &origin);
	TH_SC_RES(env, res, origin, want, what);
	th_sc_snap(env, &after);
	TH_SC_EXPECT(env, after.drv.supp_requests == before.drv.supp_requests + nreq,
		     "%s: %llu supplicant requests, want %u", what,
		     (unsigned long long) (after.drv.supp_requests - before.drv.supp_requests),
		     nreq);
	teesim_supplicant_stats(env->st->supp, &ss);
	TH_SC_EXPECT(env, ss.shms == 0, "%s: the supplicant still holds %llu buffers", what,
		     (unsigned long long) ss.shms);
	if (th_sc_expect_back(env, &before, what))
		goto out;
	return 0;
out:
	return -1;
}

/*
 * 1033 "Test the supplicant plugin framework": the TA pings the plugin while opening, passes
 * values (20 + 10, 20 - 10), an array (summed by the plugin into its first byte), gets an array
 * back, is refused bad input by the TEE side and an unknown plugin by the supplicant. Beyond
 * xtest: the supplicant requests each call makes (SHM_ALLOC, SUPP_PLUGIN, SHM_FREE; the ping and
 * refused input none or one), the client's array changed in place, no buffer left anywhere.
 */
int th_scen_xtest_1033(struct th_scen_env *env)
{
	struct th_sc_hostbuf arr = {0}, from = {0};
	struct th_sc_ctx ctx;
	struct th_sc_op op;
	struct th_sc_snap base, now;
	uint32_t sess = 0, res, origin = 0;
	bool opened = false;
	int rc;

	rc = plugin_up(env);
	TH_SC_RC(env, rc, 0, "register the test plugin");
	rc = th_ta_supp_plugin_register(env->st->sw);
	TH_SC_RC(env, rc, 0, "register supp_plugin");
	rc = th_sc_hostbuf_new(&arr, 6, 0x60);
	if (!rc)
		rc = th_sc_hostbuf_new(&from, 64, 0x100);
	TH_SC_CHECK(env, rc == 0, rc, "client buffers");
	if (env_ctx(env, &ctx))
		goto out;
	th_sc_snap(env, &base);
	res = open_ta(env, &ctx, TH_TA_SUPP_PLUGIN_UUID, &sess, &origin);
	TH_SC_RES(env, res, origin, 0, "open (ping)");
	opened = true;
	th_sc_snap(env, &now);
	TH_SC_EXPECT(env, now.drv.supp_requests == base.drv.supp_requests + 1,
		     "the ping made %llu supplicant requests",
		     (unsigned long long) (now.drv.supp_requests - base.drv.supp_requests));

	/* Pass values to/from a plugin */
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_VALUE_INOUT;
	op.p[0].a = 20;
	op.p[0].b = 10;
	op.p[1].type = TH_SC_VALUE_INPUT;
	op.p[1].a = '+';
	if (plugin_call(env, &ctx, sess, TH_SUPP_PLUGIN_CMD_PASS_VALUES, &op, 0, 3, "20 + 10"))
		goto out;
	TH_SC_EXPECT(env, op.p[0].a == 30, "20 + 10 = %u", op.p[0].a);
	op.p[0].a = 20;
	op.p[0].b = 10;
	op.p[1].a = '-';
	if (plugin_call(env, &ctx, sess, TH_SUPP_PLUGIN_CMD_PASS_VALUES, &op, 0, 3, "20 - 10"))
		goto out;
	TH_SC_EXPECT(env, op.p[0].a == 10, "20 - 10 = %u", op.p[0].a);

	/* Pass array to a plugin */
	for (uint8_t i = 0; i < 6; i++)
		arr.p[i] = i;
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_TEMP_INOUT;
	op.p[0].buffer = arr.p;
	op.p[0].size = 6;
	op.p[1].type = TH_SC_VALUE_OUTPUT;
	if (plugin_call(env, &ctx, sess, TH_SUPP_PLUGIN_CMD_WRITE_ARR, &op, 0, 3, "write array"))
		goto out;
	TH_SC_EXPECT(env, op.p[1].a == 15, "sum %u, want 15", op.p[1].a);
	TH_SC_EXPECT(env, arr.p[0] == 15 && arr.p[1] == 1 && arr.p[5] == 5,
		     "client array %u %u .. %u", arr.p[0], arr.p[1], arr.p[5]);

	/* Get array from a plugin */
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_TEMP_OUTPUT;
	op.p[0].buffer = from.p;
	op.p[0].size = 64;
	op.p[1].type = TH_SC_VALUE_OUTPUT;
	if (plugin_call(env, &ctx, sess, TH_SUPP_PLUGIN_CMD_GET_ARR, &op, 0, 3, "get array"))
		goto out;
	TH_SC_EXPECT(env, op.p[1].a == sizeof("Array from plugin"), "out length %u", op.p[1].a);
	TH_SC_EXPECT(env, !memcmp(from.p, "Array from plugin", sizeof("Array from plugin")),
		     "got \"%.18s\"", (const char *) from.p);

	/* Not allow bad input to a plugin: refused before any request. */
	memset(&op, 0, sizeof(op));
	if (plugin_call(env, &ctx, sess, TH_SUPP_PLUGIN_CMD_BAD_UUID, &op,
			TEESIM_OPTEE_ERROR_BAD_PARAMETERS, 0, "bad uuid") ||
	    plugin_call(env, &ctx, sess, TH_SUPP_PLUGIN_CMD_BAD_IN_DATA, &op,
			TEESIM_OPTEE_ERROR_BAD_PARAMETERS, 0, "bad data") ||
	    plugin_call(env, &ctx, sess, TH_SUPP_PLUGIN_CMD_BAD_IN_LEN, &op,
			TEESIM_OPTEE_ERROR_BAD_PARAMETERS, 0, "bad length"))
		goto out;

	/* Call an unknown plugin: the supplicant answers ITEM_NOT_FOUND. */
	if (plugin_call(env, &ctx, sess, TH_SUPP_PLUGIN_CMD_UNKNOWN_UUID, &op,
			TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND, 3, "unknown plugin"))
		goto out;
	rc = th_sc_close(env, &ctx, sess);
	opened = false;
	TH_SC_RC(env, rc, 0, "close");
	th_sc_expect_back(env, &base, "closed");
out:
	if (opened)
		th_sc_close(env, &ctx, sess);
	th_sc_hostbuf_free(&from);
	th_sc_hostbuf_free(&arr);
	return env->err ? -1 : 0;
}
