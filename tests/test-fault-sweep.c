/* SPDX-License-Identifier: MIT */
/*
 * Allocation-failure sweep (include/teesim/fault.h, docs/fault-injection.md).
 *
 * For each scenario: one run counts the allocations it makes (N), then N
 * runs each fail one of them, the i-th run the i-th allocation. Every run
 * must end cleanly: the scenario sees an error it can report (-ENOMEM,
 * TEE_ERROR_OUT_OF_MEMORY, another TEE error) or recovers, nothing crashes
 * or hangs, and once the client is gone the invariant checker
 * (TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY) reports nothing on the stack;
 * leaks of host memory are caught by the valgrind and ASan runs of this
 * suite. A run in which the failure did not fire must pass as the counting
 * run did. Stack and machine creation are swept the same way through
 * teesim_machine_cfg.fail_alloc_nth: every failure gives NULL and ENOMEM.
 *
 * TEESIM_SWEEP_STRIDE=k runs only every k-th allocation (default 1: all;
 * 5 under valgrind, where the full sweep takes minutes).
 * TEESIM_SWEEP_VERBOSE=1 prints each scenario's figures.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <teesim/check.h>
#include <teesim/fault.h>

#include "harness.h"
#include "scenario.h"

/* ------------------------------------------------------------------------ */
/* Scenarios of this file (the xtest table of scenario.h is swept too) */

#define MEM_UUID  TEESIM_TA_MEM_UUID
#define RPC_UUID  TEESIM_TA_RPC_UUID
#define WAIT_UUID TEESIM_TA_WAIT_UUID
#define LOAD_UUID TEESIM_TA_LOAD_UUID
#define PG	  4096u

static int result(struct th_scen_env *env)
{
	return env->err ? -1 : 0;
}

/* Two contexts on /dev/tee0 besides the environment's, VERSION on each, closed. */
static int sc_contexts(struct th_scen_env *env)
{
	struct th_sc_ctx a = {.fd = -1}, b = {.fd = -1};
	int rc;

	rc = th_sc_ctx_open(env, &a);
	TH_SC_RC(env, rc, 0, "first context");
	rc = th_sc_ctx_open(env, &b);
	TH_SC_RC(env, rc, 0, "second context");
out:
	th_sc_ctx_close(env, &b);
	th_sc_ctx_close(env, &a);
	return result(env);
}

/* TEEC_AllocateSharedMemory (REG_MEM: page memory registered; static: SHM_ALLOC + mmap) and
 * TEEC_RegisterSharedMemory of client memory at an offset, written through, released. */
static int sc_shm(struct th_scen_env *env)
{
	struct th_sc_shm a, r;
	struct th_sc_ctx ctx;
	uint8_t *buf = NULL;
	uint32_t res;
	int rc;

	th_sc_shm_init(&a);
	th_sc_shm_init(&r);
	rc = th_sc_ctx_env(env, &ctx);
	TH_SC_RC(env, rc, 0, "VERSION");
	res = th_sc_shm_alloc(env, &ctx, &a, 2 * PG + 8, TH_SC_MEM_INPUT | TH_SC_MEM_OUTPUT);
	TH_SC_RES(env, res, 0, 0, "TEEC_AllocateSharedMemory");
	memset(a.buffer, 0x5a, a.size);
	buf = th_sc_umem(env, 3 * PG);
	TH_SC_CHECK(env, buf, -ENOMEM, "client memory");
	res = th_sc_shm_register(env, &ctx, &r, buf + 100, 2 * PG, TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, 0, "TEEC_RegisterSharedMemory");
out:
	th_sc_shm_release(env, &r);
	th_sc_shm_release(env, &a);
	th_sc_ufree(env, buf, 3 * PG);
	return result(env);
}

/* The mem TA over every kind of memref: whole registered, partial allocated, temp in and out. */
static int sc_invoke(struct th_scen_env *env)
{
	struct th_sc_shm a, r;
	struct th_sc_ctx ctx;
	struct th_sc_op op;
	uint8_t *buf = NULL, *tmp = NULL;
	uint32_t sess = 0, res, origin = 0;
	bool open = false;
	int rc;

	th_sc_shm_init(&a);
	th_sc_shm_init(&r);
	rc = th_sc_ctx_env(env, &ctx);
	TH_SC_RC(env, rc, 0, "VERSION");
	res = th_sc_open(env, &ctx, MEM_UUID, 0, NULL, &sess, &origin);
	TH_SC_RES(env, res, origin, 0, "open mem TA");
	open = true;
	buf = th_sc_umem(env, 4 * PG);
	tmp = th_sc_umem(env, 2 * PG);
	TH_SC_CHECK(env, buf && tmp, -ENOMEM, "client memory");
	memset(buf, 3, 4 * PG);
	res = th_sc_shm_register(env, &ctx, &r, buf + 16, 3 * PG, TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, 0, "register");
	res = th_sc_shm_alloc(env, &ctx, &a, 2 * PG, TH_SC_MEM_INPUT | TH_SC_MEM_OUTPUT);
	TH_SC_RES(env, res, 0, 0, "allocate");

	memset(&op, 0, sizeof(op));
	op.p[0] = (struct th_sc_param){.type = TH_SC_WHOLE, .shm = &r};
	op.p[1].type = TH_SC_VALUE_OUTPUT;
	res = th_sc_invoke(env, &ctx, sess, TEESIM_TA_MEM_CMD_READ, &op, &origin);
	TH_SC_RES(env, res, origin, 0, "READ of a registered shm");
	TH_SC_EXPECT(env, op.p[1].a == 3u * 3 * PG, "READ sum %u", op.p[1].a);

	memset(&op, 0, sizeof(op));
	op.p[0] = (struct th_sc_param){
	    .type = TH_SC_PARTIAL_OUTPUT, .shm = &a, .offset = PG + 8, .size = 100};
	op.p[1] = (struct th_sc_param){.type = TH_SC_VALUE_INPUT, .a = 0x77};
	res = th_sc_invoke(env, &ctx, sess, TEESIM_TA_MEM_CMD_FILL, &op, &origin);
	TH_SC_RES(env, res, origin, 0, "FILL of a partial allocated shm");
	TH_SC_EXPECT(env, ((uint8_t *) a.buffer)[PG + 8] == 0x77, "FILL not seen");

	memset(&op, 0, sizeof(op));
	op.p[0] = (struct th_sc_param){.type = TH_SC_TEMP_INPUT, .buffer = buf, .size = PG + 3};
	op.p[1] = (struct th_sc_param){.type = TH_SC_TEMP_OUTPUT, .buffer = tmp, .size = 2 * PG};
	res = th_sc_invoke(env, &ctx, sess, TEESIM_TA_MEM_CMD_COPY, &op, &origin);
	TH_SC_RES(env, res, origin, 0, "COPY between temp memrefs");
	TH_SC_EXPECT(env, op.p[1].size == PG + 3 && tmp[PG + 2] == 3, "COPY size %zu",
		     op.p[1].size);
out:
	th_sc_shm_release(env, &a);
	th_sc_shm_release(env, &r);
	if (open)
		th_sc_close(env, &ctx, sess);
	th_sc_ufree(env, tmp, 2 * PG);
	th_sc_ufree(env, buf, 4 * PG);
	return result(env);
}

/* One command of the RPC TA; its own result in p0.a, p0.b in *b. */
static uint32_t rpc_cmd(struct th_scen_env *env, struct th_sc_ctx *ctx, uint32_t sess, uint32_t cmd,
			uint32_t a, uint32_t b, uint32_t *out_b)
{
	struct th_sc_op op;
	uint32_t res, origin = 0;

	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_VALUE_OUTPUT;
	op.p[1] = (struct th_sc_param){.type = TH_SC_VALUE_INPUT, .a = a, .b = b};
	res = th_sc_invoke(env, ctx, sess, cmd, &op, &origin);
	if (!res)
		res = op.p[0].a;
	if (out_b)
		*out_b = op.p[0].b;
	return res;
}

/* RPC paths: kernel and supplicant SHM_ALLOC, GET_TIME, a foreign interrupt. */
static int sc_rpc(struct th_scen_env *env)
{
	struct th_sc_ctx ctx;
	uint32_t sess = 0, res, origin = 0;
	bool open = false;
	int rc;

	rc = th_sc_ctx_env(env, &ctx);
	TH_SC_RC(env, rc, 0, "VERSION");
	res = th_sc_open(env, &ctx, RPC_UUID, 0, NULL, &sess, &origin);
	TH_SC_RES(env, res, origin, 0, "open RPC TA");
	open = true;
	res = rpc_cmd(env, &ctx, sess, TEESIM_TA_RPC_CMD_SHM_ALLOC,
		      TEESIM_OPTEE_RPC_SHM_TYPE_KERNEL, 256, NULL);
	TH_SC_RES(env, res, 0, 0, "kernel SHM_ALLOC RPC");
	res = rpc_cmd(env, &ctx, sess, TEESIM_TA_RPC_CMD_SHM_ALLOC, TEESIM_OPTEE_RPC_SHM_TYPE_APPL,
		      PG, NULL);
	TH_SC_RES(env, res, 0, 0, "supplicant SHM_ALLOC RPC");
	res = rpc_cmd(env, &ctx, sess, TEESIM_TA_RPC_CMD_GET_TIME, 0, 0, NULL);
	TH_SC_RES(env, res, 0, 0, "GET_TIME RPC");
	res = rpc_cmd(env, &ctx, sess, TEESIM_TA_RPC_CMD_FOREIGN_INTR, 0, 0, NULL);
	TH_SC_RES(env, res, 0, 0, "foreign interrupt");
out:
	if (open)
		th_sc_close(env, &ctx, sess);
	return result(env);
}

/*
 * A TA that stores an object in the REE FS as OP-TEE's ree_fs does, one RPC
 * per POSIX call of the supplicant: CREATE, WRITE, CLOSE, OPEN, READ,
 * CLOSE, OPENDIR, READDIR, CLOSEDIR, RENAME, REMOVE, through an application
 * buffer the supplicant allocates (SHM_ALLOC RPC). Whatever fails, what it
 * opened is closed again before it returns.
 */
#define FS_UUID "5ce0c000-00fa-4000-8000-7465657369d0"

struct fs_run {
	struct teesim_ta_call *c;
	struct teesim_ta_shm *shm;
	uint32_t res;
};

/* One FS RPC: value {op, b, c}, then up to two memrefs at @off[i] of @len[i]
 * (@out: the second is an output), then a value out (when @vout); its a in *@ret. */
static uint32_t fs_rpc(struct fs_run *r, uint32_t op, uint64_t b, uint64_t c, unsigned nmem,
		       const uint64_t *off, const uint64_t *len, bool out, bool vout, uint64_t *ret)
{
	struct teesim_ta_rpc_param rp[4];
	unsigned n = 0;
	uint32_t res;

	memset(rp, 0, sizeof(rp));
	rp[n++] = (struct teesim_ta_rpc_param){
	    .attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, .a = op, .b = b, .c = c};
	for (unsigned i = 0; i < nmem; i++)
		rp[n++] = (struct teesim_ta_rpc_param){
		    .attr = out && i == nmem - 1 ? TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT
						 : TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT,
		    .shm = r->shm,
		    .offset = off[i],
		    .size = len[i]};
	if (vout)
		rp[n++].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT;
	res = teesim_ta_rpc(r->c, TEESIM_OPTEE_RPC_CMD_FS, rp, n);
	if (ret)
		*ret = vout ? rp[n - 1].a : rp[nmem].size;
	return res;
}

static const char fs_name[] = "fault/obj", fs_dir[] = "fault", fs_new[] = "fault/obj2";
enum { FS_NAME = 0, FS_NEW = 64, FS_DATA = 128, FS_BACK = 512, FS_LEN = 300, FS_SHM = 1024 };

static uint32_t fs_invoke(void *ctx, struct teesim_ta_call *c, void *sess, uint32_t func)
{
	struct fs_run r = {c, NULL, 0};
	uint8_t data[FS_LEN], back[FS_LEN];
	uint64_t fd = 0, h = 0, got = 0, off[2], len[2];
	bool have_fd = false, have_dir = false;

	(void) ctx;
	(void) sess;
	(void) func;
	r.shm = teesim_ta_shm_alloc(c, TEESIM_OPTEE_RPC_SHM_TYPE_APPL, FS_SHM, &r.res);
	if (!r.shm)
		return r.res;
	for (unsigned i = 0; i < FS_LEN; i++)
		data[i] = (uint8_t) (i * 7);
	if (teesim_ta_shm_write(c, r.shm, FS_NAME, fs_name, sizeof(fs_name)) ||
	    teesim_ta_shm_write(c, r.shm, FS_NEW, fs_new, sizeof(fs_new)) ||
	    teesim_ta_shm_write(c, r.shm, FS_DATA, data, FS_LEN)) {
		r.res = TEESIM_OPTEE_ERROR_GENERIC;
		goto out;
	}
#define FS_STEP(expr)                                                                              \
	do {                                                                                       \
		r.res = (expr);                                                                    \
		if (r.res)                                                                         \
			goto out;                                                                  \
	} while (0)
	off[0] = FS_NAME;
	len[0] = sizeof(fs_name);
	FS_STEP(fs_rpc(&r, TEESIM_OPTEE_RPC_FS_CREATE, 0, 0, 1, off, len, false, true, &fd));
	have_fd = true;
	off[0] = FS_DATA;
	len[0] = FS_LEN;
	FS_STEP(fs_rpc(&r, TEESIM_OPTEE_RPC_FS_WRITE, fd, 0, 1, off, len, false, false, NULL));
	have_fd = false;
	FS_STEP(fs_rpc(&r, TEESIM_OPTEE_RPC_FS_CLOSE, fd, 0, 0, NULL, NULL, false, false, NULL));
	off[0] = FS_NAME;
	len[0] = sizeof(fs_name);
	FS_STEP(fs_rpc(&r, TEESIM_OPTEE_RPC_FS_OPEN, 0, 0, 1, off, len, false, true, &fd));
	have_fd = true;
	off[0] = FS_BACK;
	len[0] = FS_LEN;
	FS_STEP(fs_rpc(&r, TEESIM_OPTEE_RPC_FS_READ, fd, 0, 1, off, len, true, false, &got));
	if (got != FS_LEN || teesim_ta_shm_read(c, r.shm, FS_BACK, back, FS_LEN) ||
	    memcmp(back, data, FS_LEN))
		FS_STEP(TEESIM_OPTEE_ERROR_GENERIC);
	have_fd = false;
	FS_STEP(fs_rpc(&r, TEESIM_OPTEE_RPC_FS_CLOSE, fd, 0, 0, NULL, NULL, false, false, NULL));
	/* the directory: written as its own name at FS_BACK */
	if (teesim_ta_shm_write(c, r.shm, FS_BACK, fs_dir, sizeof(fs_dir)))
		FS_STEP(TEESIM_OPTEE_ERROR_GENERIC);
	off[0] = FS_BACK;
	len[0] = sizeof(fs_dir);
	FS_STEP(fs_rpc(&r, TEESIM_OPTEE_RPC_FS_OPENDIR, 0, 0, 1, off, len, false, true, &h));
	have_dir = true;
	len[0] = 64;
	FS_STEP(fs_rpc(&r, TEESIM_OPTEE_RPC_FS_READDIR, h, 0, 1, off, len, true, false, NULL));
	have_dir = false;
	FS_STEP(fs_rpc(&r, TEESIM_OPTEE_RPC_FS_CLOSEDIR, h, 0, 0, NULL, NULL, false, false, NULL));
	off[0] = FS_NAME;
	len[0] = sizeof(fs_name);
	off[1] = FS_NEW;
	len[1] = sizeof(fs_new);
	FS_STEP(fs_rpc(&r, TEESIM_OPTEE_RPC_FS_RENAME, 1, 0, 2, off, len, false, false, NULL));
	off[0] = FS_NEW;
	len[0] = sizeof(fs_new);
	FS_STEP(fs_rpc(&r, TEESIM_OPTEE_RPC_FS_REMOVE, 0, 0, 1, off, len, false, false, NULL));
#undef FS_STEP
out:
	/* what is open is closed, whatever happened (a failed close is retried once) */
	for (unsigned i = 0; i < 2 && have_fd; i++)
		have_fd = fs_rpc(&r, TEESIM_OPTEE_RPC_FS_CLOSE, fd, 0, 0, NULL, NULL, false, false,
				 NULL) != 0;
	for (unsigned i = 0; i < 2 && have_dir; i++)
		have_dir = fs_rpc(&r, TEESIM_OPTEE_RPC_FS_CLOSEDIR, h, 0, 0, NULL, NULL, false,
				  false, NULL) != 0;
	teesim_ta_shm_free(c, r.shm);
	return r.res;
}

static const struct teesim_ta_ops fs_ops = {.invoke = fs_invoke};

/* The supplicant's REE FS through the FS TA. */
static int sc_ree_fs(struct th_scen_env *env)
{
	struct teesim_ta_desc desc = {.name = "teesim.fault-fs", .ops = &fs_ops};
	struct th_sc_ctx ctx;
	struct th_sc_op op;
	uint32_t sess = 0, res, origin = 0;
	bool open = false;
	int rc;

	teesim_uuid_parse(FS_UUID, &desc.uuid);
	rc = teesim_sw_ta_register(env->st->sw, &desc);
	TH_SC_RC(env, rc, 0, "register the FS TA");
	rc = th_sc_ctx_env(env, &ctx);
	TH_SC_RC(env, rc, 0, "VERSION");
	res = th_sc_open(env, &ctx, FS_UUID, 0, NULL, &sess, &origin);
	TH_SC_RES(env, res, origin, 0, "open FS TA");
	open = true;
	memset(&op, 0, sizeof(op));
	res = th_sc_invoke(env, &ctx, sess, 0, &op, &origin);
	TH_SC_RES(env, res, origin, 0, "the FS round");
out:
	if (open)
		th_sc_close(env, &ctx, sess);
	return result(env);
}

/* LOAD_TA: opening the loadable TA fetches its image through the supplicant. */
static int sc_load_ta(struct th_scen_env *env)
{
	struct th_sc_ctx ctx;
	struct th_sc_op op;
	uint32_t sess = 0, res, origin = 0;
	bool open = false;
	int rc;

	rc = th_sc_ctx_env(env, &ctx);
	TH_SC_RC(env, rc, 0, "VERSION");
	res = th_sc_open(env, &ctx, LOAD_UUID, 0, NULL, &sess, &origin);
	TH_SC_RES(env, res, origin, 0, "open the loadable TA");
	open = true;
	memset(&op, 0, sizeof(op));
	res = th_sc_invoke(env, &ctx, sess, 0, &op, &origin);
	TH_SC_RES(env, res, origin, 0, "NOP");
out:
	if (open)
		th_sc_close(env, &ctx, sess);
	return result(env);
}

/* TEEC_RequestCancellation on an idle session, a zero wait, a panic and its dead session. */
static int sc_cancel_panic(struct th_scen_env *env)
{
	struct th_sc_ctx ctx;
	struct th_sc_op op;
	uint32_t ws = 0, ps = 0, res, origin = 0;
	bool wopen = false, popen = false;
	int rc;

	rc = th_sc_ctx_env(env, &ctx);
	TH_SC_RC(env, rc, 0, "VERSION");
	res = th_sc_open(env, &ctx, WAIT_UUID, 0, NULL, &ws, &origin);
	TH_SC_RES(env, res, origin, 0, "open wait TA");
	wopen = true;
	rc = th_sc_cancel(env, &ctx, ws);
	TH_SC_RC(env, rc, 0, "cancel");
	memset(&op, 0, sizeof(op));
	op.p[0] = (struct th_sc_param){.type = TH_SC_VALUE_INPUT, .a = 0};
	res = th_sc_invoke(env, &ctx, ws, TEESIM_TA_WAIT_CMD_WAIT, &op, &origin);
	TH_SC_CHECK(env, res == 0 || res == TEESIM_OPTEE_ERROR_CANCEL, (int) res, "zero wait: %#x",
		    res);
	res = th_sc_open(env, &ctx, TEESIM_TA_PANIC_UUID, 0, NULL, &ps, &origin);
	TH_SC_RES(env, res, origin, 0, "open panic TA");
	popen = true;
	memset(&op, 0, sizeof(op));
	res = th_sc_invoke(env, &ctx, ps, TEESIM_TA_PANIC_CMD_PANIC, &op, &origin);
	TH_SC_RES(env, res, origin, TEESIM_OPTEE_ERROR_TARGET_DEAD, "panic");
out:
	if (popen)
		th_sc_close(env, &ctx, ps);
	if (wopen)
		th_sc_close(env, &ctx, ws);
	return result(env);
}

/* A second process with a context, shm of both kinds and a session dies with all of it open. */
static int sc_exit(struct th_scen_env *env)
{
	struct teesim_process *keep = env->proc;
	int keep_fd = env->fd;
	struct th_sc_shm a, r;
	struct th_sc_ctx ctx = {.fd = -1};
	uint32_t sess = 0, res, origin = 0;
	uint8_t *buf;
	int rc;

	th_sc_shm_init(&a);
	th_sc_shm_init(&r);
	env->proc = teesim_process_new(teesim_machine_guest(env->st->machine, 0));
	if (!env->proc) {
		env->proc = keep;
		return th_sc_fail(env, -errno, __FILE__, __LINE__, "second process: %d", errno);
	}
	rc = th_sc_ctx_open(env, &ctx);
	TH_SC_RC(env, rc, 0, "context");
	res = th_sc_shm_alloc(env, &ctx, &a, PG, TH_SC_MEM_INPUT | TH_SC_MEM_OUTPUT);
	TH_SC_RES(env, res, 0, 0, "allocate");
	buf = th_sc_umem(env, 2 * PG);
	TH_SC_CHECK(env, buf, -ENOMEM, "client memory");
	res = th_sc_shm_register(env, &ctx, &r, buf, 2 * PG, TH_SC_MEM_INPUT);
	TH_SC_RES(env, res, 0, 0, "register");
	res = th_sc_open(env, &ctx, MEM_UUID, 0, NULL, &sess, &origin);
	TH_SC_RES(env, res, origin, 0, "open mem TA");
out:
	/* exit(2): no release, no close, no unmap */
	teesim_process_free(env->proc);
	env->proc = keep;
	env->fd = keep_fd;
	return result(env);
}

/* ------------------------------------------------------------------------ */
/* Environments */

static void cfg_static(struct teesim_stack_cfg *cfg)
{
	th_sc_cfg_static(cfg);
}

/* The driver's static pool also for its private buffers (no dynamic shm at all). */
static void cfg_old(struct teesim_stack_cfg *cfg)
{
	teesim_sw_cfg_default(&cfg->sw, TEESIM_OPTEE_GEN_3_0);
	teesim_optee_cfg_default(&cfg->drv, TEESIM_OPTEE_DRV_V4_16);
}

/* A hypervisor mediator between the driver's guest and the secure world. */
struct med_hold {
	struct teesim_mediator *med;
};

static int med_pre_probe(void *ctx, struct teesim_stack *st)
{
	struct med_hold *h = ctx;

	h->med = teesim_mediator_new(st->machine, NULL);
	return h->med ? 0 : -errno;
}

static void med_post_remove(void *ctx, struct teesim_stack *st)
{
	struct med_hold *h = ctx;

	(void) st;
	teesim_mediator_free(h->med);
	h->med = NULL;
}

static void cfg_mediator(struct teesim_stack_cfg *cfg)
{
	cfg->machine.remap = TEESIM_REMAP_SHUFFLE;
	cfg->machine.guest0_size = cfg->machine.ram_size - (8ull << 20);
	cfg->sw.sec_caps |= TEESIM_OPTEE_SMC_SEC_CAP_VIRTUALIZATION;
	cfg->pre_probe = med_pre_probe;
	cfg->post_remove = med_post_remove;
}

/* One thing to sweep: a scenario of this file or of the xtest table. */
struct sweep_item {
	const char *name;
	th_scen_fn run;
	void (*cfg)(struct teesim_stack_cfg *cfg);
	/*
	 * Not swept with every allocation failing from the nth on: the supplicant
	 * then cannot even receive the SHM_FREE of a buffer it allocated, which a
	 * real tee-supplicant survives only by exiting (its buffers go with it).
	 */
	bool no_cascade;
};

/* clang-format off */
#define MINE(fn, cfg)    {#fn "/" #cfg, sc_##fn, cfg_##cfg, false}
#define MINE_NC(fn, cfg) {#fn "/" #cfg, sc_##fn, cfg_##cfg, true}
/* clang-format on */
static void cfg_dyn(struct teesim_stack_cfg *cfg)
{
	(void) cfg;
}

static const struct sweep_item mine[] = {
    MINE(contexts, dyn),     MINE(contexts, mediator),
    MINE(shm, dyn),	     MINE(shm, static),
    MINE(shm, old),	     MINE(shm, mediator),
    MINE(invoke, dyn),	     MINE(invoke, static),
    MINE(invoke, old),	     MINE(invoke, mediator),
    MINE_NC(rpc, dyn),	     MINE_NC(rpc, static),
    MINE_NC(rpc, mediator),  MINE_NC(ree_fs, dyn),
    MINE_NC(ree_fs, static), MINE_NC(ree_fs, mediator),
    MINE_NC(load_ta, dyn),   MINE_NC(load_ta, mediator),
    MINE(cancel_panic, dyn), MINE(cancel_panic, mediator),
    MINE(exit, dyn),	     MINE(exit, static),
    MINE(exit, mediator),
};
#define NMINE (sizeof(mine) / sizeof(mine[0]))

/* th_scen_env_init() with the hook context the mediator needs. */
static int env_init(struct th_scen_env *env, const struct sweep_item *it, struct med_hold *h,
		    uint64_t fail_nth)
{
	struct teesim_stack_cfg cfg;
	int rc;

	memset(env, 0, sizeof(*env));
	env->fd = -1;
	teesim_stack_cfg_default(&cfg);
	if (it->cfg)
		it->cfg(&cfg);
	cfg.hook_ctx = h;
	cfg.machine.fail_alloc_nth = fail_nth;
	env->st = teesim_stack_new(&cfg);
	if (!env->st)
		return -errno;
	env->proc = teesim_process_new(teesim_machine_guest(env->st->machine, 0));
	if (!env->proc) {
		rc = -errno;
		goto err_stack;
	}
	env->fd = teesim_open(env->proc, "/dev/tee0", 0);
	if (env->fd < 0) {
		rc = env->fd;
		goto err_proc;
	}
	return 0;

err_proc:
	teesim_process_free(env->proc);
err_stack:
	teesim_stack_free(env->st);
	memset(env, 0, sizeof(*env));
	return rc;
}

/* ------------------------------------------------------------------------ */
/* The sweep */

/* Valgrind preloads its own library into the program. */
static bool under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

/* TEESIM_SWEEP_STRIDE, else every allocation (every 5th under valgrind, 50 times slower) */
static unsigned stride(void)
{
	const char *s = getenv("TEESIM_SWEEP_STRIDE");
	long v = s ? strtol(s, NULL, 10) : under_valgrind() ? 5 : 1;

	return v > 0 ? (unsigned) v : 1;
}

static bool verbose(void)
{
	const char *s = getenv("TEESIM_SWEEP_VERBOSE");

	return s && *s && *s != '0';
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

struct sweep_stats {
	uint64_t allocs, runs, fired, passed, oom, other, mismatch, kernel_leaks;
};

/*
 * What the modelled kernel itself leaves behind when an allocation fails on
 * a teardown path: tee_shm_release() ignores a failed unregistration and
 * optee_close_session() forgets the session before its CLOSE_SESSION message
 * is sent, so when that message cannot be sent (no argument buffer, the
 * mediator out of memory: OPTEE_SMC_RETURN_ENOMEM) the secure world (and the
 * mediator's shadow of it) keeps a registration or a session the normal world
 * no longer knows. The model does as the kernel does; the sweep accepts these
 * findings, and only these, in runs that had a failure injected.
 */
static bool kernel_leak_line(const char *l, size_t n)
{
	static const char *const pat[][2] = {
	    {"secure world: registration cookie ", " left at teardown"},
	    {"secure world: session ", " left at teardown"},
	    {"secure world: ", " sessions open, the normal world holds "},
	    {"mediator: guest ", " registered) left at teardown"},
	    {"mediator: guest ", " sessions left at teardown"},
	    {"mediator: guests hold ", " sessions, their drivers "},
	    {"mediator: guest ", " registered, the guest's driver has no such shm"},
	};
	char buf[512];

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, l, n);
	buf[n] = '\0';
	for (size_t i = 0; i < sizeof(pat) / sizeof(pat[0]); i++)
		if (!strncmp(buf, pat[i][0], strlen(pat[i][0])) && strstr(buf, pat[i][1]))
			return true;
	return false;
}

static bool only_kernel_leaks(const char *text)
{
	bool any = false;

	for (const char *l = text; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t) (e - l) : strlen(l);

		if (n && !kernel_leak_line(l, n))
			return false;
		any |= n != 0;
		l += n + (e != NULL);
	}
	return any;
}

/* A report is large: one per process, reused (the suite is single-threaded). */
static struct teesim_check_report rep;

/*
 * Run @it once with allocation @nth from the start of the scenario failing
 * (0: none; @from: that one and every one after it), tear down, check.
 * Returns the allocations the run counted.
 */
static uint64_t sweep_run(const struct sweep_item *it, uint64_t nth, bool from,
			  struct sweep_stats *ss)
{
	struct th_scen_env env;
	struct med_hold h = {NULL};
	uint64_t before, fired, n;
	unsigned problems;
	char site[256] = "";
	int rc;

	rc = env_init(&env, it, &h, 0);
	ck_assert_msg(rc == 0, "%s: environment: %d", it->name, rc);
	before = teesim_fault_alloc_count(env.st->machine);
	if (from)
		teesim_fault_alloc_from(env.st->machine, nth);
	else
		teesim_fault_alloc_nth(env.st->machine, nth);
	rc = it->run(&env);
	n = teesim_fault_alloc_count(env.st->machine) - before;
	fired = teesim_fault_alloc_fired(env.st->machine);
	if (fired)
		teesim_fault_alloc_last(env.st->machine, site, sizeof(site));
	/* the teardown runs with the host's memory back */
	teesim_fault_alloc_nth(env.st->machine, 0);
	problems = th_scen_env_fini(&env, &rep);
	if (problems && fired && only_kernel_leaks(rep.text)) {
		ss->kernel_leaks++;
		if (verbose())
			fprintf(stderr, "  %s #%llu%s (%s): as the kernel: %s", it->name,
				(unsigned long long) nth, from ? " on" : "", site, rep.text);
		problems = 0;
	}
	ck_assert_msg(
	    problems == 0, "%s, allocation %llu%s failing (%s): %u problems after teardown:\n%s",
	    it->name, (unsigned long long) nth, from ? " on" : "", site, problems, rep.text);
	ck_assert_msg(fired || rc == 0, "%s, allocation %llu: nothing failed, yet: %s (err %d)",
		      it->name, (unsigned long long) nth, env.why, env.err);
	ss->runs++;
	ss->fired += fired != 0;
	if (!rc)
		ss->passed++;
	else if (th_sc_oom(env.err))
		ss->oom++;
	else if (env.err == -1)
		ss->mismatch++;
	else
		ss->other++;
	if (rc && verbose())
		fprintf(stderr, "  %s #%llu (%s): %s\n", it->name, (unsigned long long) nth, site,
			env.why);
	return n;
}

static void sweep_item(const struct sweep_item *it, bool from)
{
	struct sweep_stats ss = {0};
	unsigned k = stride();
	double t0 = now_s();
	uint64_t n;

	n = sweep_run(it, 0, false, &ss);
	ck_assert_msg(ss.passed == 1, "%s fails without any fault", it->name);
	ck_assert_uint_gt(n, 0);
	for (uint64_t i = 1; i <= n; i += k)
		sweep_run(it, i, from, &ss);
	/* each injected failure fired exactly once, and only in the runs that had one */
	ck_assert_uint_le(ss.fired, ss.runs - 1);
	if (verbose())
		fprintf(
		    stderr,
		    "%s%s: %llu allocations, %llu runs (%llu fired): %llu passed, %llu "
		    "out of memory, %llu other errors, %llu state mismatches, %llu kernel leaks; "
		    "%.2f s\n",
		    it->name, from ? " (cascade)" : "", (unsigned long long) n,
		    (unsigned long long) ss.runs - 1, (unsigned long long) ss.fired,
		    (unsigned long long) ss.passed - 1, (unsigned long long) ss.oom,
		    (unsigned long long) ss.other, (unsigned long long) ss.mismatch,
		    (unsigned long long) ss.kernel_leaks, now_s() - t0);
}

START_TEST(test_sweep_mine)
{
	sweep_item(&mine[_i], false);
}
END_TEST

START_TEST(test_sweep_mine_cascade)
{
	if (!mine[_i].no_cascade)
		sweep_item(&mine[_i], true);
}
END_TEST

START_TEST(test_sweep_xtest)
{
	const struct sweep_item it = {th_scenarios[_i].name, th_scenarios[_i].run,
				      th_scenarios[_i].cfg, true};

	sweep_item(&it, false);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Creation */

struct create_cfg {
	const char *name;
	void (*cfg)(struct teesim_stack_cfg *cfg);
};

static const struct create_cfg creates[] = {
    {"dyn", cfg_dyn},
    {"static", cfg_static},
    {"old", cfg_old},
    {"mediator", cfg_mediator},
};

/* teesim_stack_new() with each of its allocations failing: NULL and ENOMEM, nothing left. */
START_TEST(test_sweep_stack_new)
{
	const struct create_cfg *c = &creates[_i];
	struct teesim_stack_cfg cfg;
	struct med_hold h = {NULL};
	struct teesim_stack *st;
	uint64_t n, failed = 0;
	unsigned no_optee = 0;

	teesim_stack_cfg_default(&cfg);
	c->cfg(&cfg);
	cfg.hook_ctx = &h;
	st = teesim_stack_new(&cfg);
	ck_assert_ptr_nonnull(st);
	n = teesim_fault_alloc_count(st->machine);
	ck_assert_uint_eq(teesim_fault_alloc_fired(st->machine), 0);
	teesim_stack_free(st);
	ck_assert_uint_gt(n, 3);
	for (uint64_t i = 1; i <= n; i++) {
		cfg.machine.fail_alloc_nth = i;
		errno = 0;
		st = teesim_stack_new(&cfg);
		if (st) {
			/* a failure the build absorbed: it must still be whole and clean */
			ck_assert_uint_eq(teesim_fault_alloc_fired(st->machine), 1);
			ck_assert_msg(teesim_check_stack(st, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY,
							 &rep) == 0,
				      "%s stack, allocation %llu: %s", c->name,
				      (unsigned long long) i, rep.text);
			teesim_stack_free(st);
			continue;
		}
		/* the mediator makes a guest's context on its first SMC: without it the guest
		 * has no OP-TEE, and the driver's probe finds none (EINVAL), once */
		if (errno == EINVAL && c->cfg == cfg_mediator && !no_optee++)
			errno = ENOMEM;
		ck_assert_msg(errno == ENOMEM, "%s stack, allocation %llu: errno %d (%s)", c->name,
			      (unsigned long long) i, errno, strerror(errno));
		ck_assert_ptr_null(h.med);
		failed++;
	}
	ck_assert_uint_eq(no_optee, c->cfg == cfg_mediator);
	/* past the last one nothing fails */
	cfg.machine.fail_alloc_nth = n + 1;
	st = teesim_stack_new(&cfg);
	ck_assert_ptr_nonnull(st);
	ck_assert_uint_eq(teesim_fault_alloc_fired(st->machine), 0);
	teesim_stack_free(st);
	ck_assert_uint_gt(failed, 0);
	if (verbose())
		fprintf(stderr, "stack_new/%s: %llu allocations, %llu failed the build\n", c->name,
			(unsigned long long) n, (unsigned long long) failed);
}
END_TEST

/* teesim_machine_new() likewise, for a default machine and a small shuffled one. */
START_TEST(test_sweep_machine_new)
{
	struct teesim_machine_cfg cfg;
	struct teesim_machine *m;
	uint64_t n;

	teesim_machine_cfg_default(&cfg);
	if (_i) {
		cfg.ram_size = 64 * PG;
		cfg.static_shm_size = 8 * PG;
		cfg.static_shm_base = cfg.ram_base - cfg.static_shm_size;
		cfg.secure_size = 16 * PG;
		cfg.remap = TEESIM_REMAP_SHUFFLE;
	}
	m = th_machine(&cfg);
	n = teesim_fault_alloc_count(m);
	th_machine_done(m);
	ck_assert_uint_ge(n, 5); /* struct, RAM, secure RAM, carve-out, guest... */
	for (uint64_t i = 1; i <= n; i++) {
		cfg.fail_alloc_nth = i;
		errno = 0;
		ck_assert_ptr_null(teesim_machine_new(&cfg));
		ck_assert_int_eq(errno, ENOMEM);
	}
	cfg.fail_alloc_nth = n + 1;
	m = th_machine(&cfg);
	ck_assert_uint_eq(teesim_fault_alloc_fired(m), 0);
	th_machine_done(m);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* The API itself */

struct site_list {
	unsigned n;
	uint64_t total;
	char first[256];
	char shm[256];
};

static int collect(void *ctx, const char *site, uint64_t count)
{
	struct site_list *l = ctx;
	size_t n = strlen(site);

	if (!l->n++)
		snprintf(l->first, sizeof(l->first), "%s", site);
	if (n > 16 && !strcmp(site + n - 16, ":register_helper") && !l->shm[0])
		snprintf(l->shm, sizeof(l->shm), "%s", site);
	l->total += count;
	return 0;
}

static int stop_at_two(void *ctx, const char *site, uint64_t count)
{
	unsigned *n = ctx;

	(void) site;
	(void) count;
	return ++*n == 2 ? 42 : 0;
}

/* TEE_IOC_SHM_REGISTER of one page at @u with the argument struct @d: the fd or -errno. */
static int reg(struct th_scen_env *env, struct tee_ioctl_shm_register_data *d, void *u)
{
	memset(d, 0, sizeof(*d));
	d->addr = (uintptr_t) u;
	d->length = PG;
	return teesim_ioctl(env->proc, env->fd, TEE_IOC_SHM_REGISTER, d);
}

/* Counting, sites, failing by count, by site (three spellings) and from the nth on. */
START_TEST(test_api)
{
	struct teesim_stack_cfg cfg;
	struct teesim_stack *st;
	struct th_scen_env env;
	struct med_hold h = {NULL};
	struct site_list l = {0};
	struct teesim_machine *m;
	const struct sweep_item it = {"api", sc_shm, cfg_dyn, false};
	struct tee_ioctl_shm_register_data *d;
	char name[256], loc[256];
	unsigned stops = 0;
	uint64_t c0;
	void *u;
	int fd, rc;

	/* no machine: nothing happens */
	teesim_fault_alloc_nth(NULL, 1);
	teesim_fault_alloc_from(NULL, 1);
	teesim_fault_alloc_track(NULL, true);
	ck_assert_uint_eq(teesim_fault_alloc_count(NULL), 0);
	ck_assert_uint_eq(teesim_fault_alloc_fired(NULL), 0);
	ck_assert_int_eq(teesim_fault_alloc_site(NULL, "x", 1), -EINVAL);
	ck_assert_int_eq(teesim_fault_alloc_sites(NULL, collect, &l), -EINVAL);
	ck_assert_int_eq(teesim_fault_alloc_last(NULL, name, sizeof(name)), -EINVAL);

	teesim_stack_cfg_default(&cfg);
	cfg.machine.alloc_sites = true;
	st = teesim_stack_new(&cfg);
	ck_assert_ptr_nonnull(st);
	m = st->machine;
	ck_assert_int_eq(teesim_fault_alloc_sites(m, collect, &l), 0);
	ck_assert_uint_gt(l.n, 5);
	/* every allocation of the machine's life was recorded at a site */
	ck_assert_uint_eq(l.total, teesim_fault_alloc_count(m));
	ck_assert_msg(!strncmp(l.first, "sim/machine.c:", 14) &&
			  strstr(l.first, ":teesim_machine_new"),
		      "first site %s", l.first);
	ck_assert_int_eq(teesim_fault_alloc_sites(m, stop_at_two, &stops), 42);
	ck_assert_uint_eq(stops, 2);
	ck_assert_int_eq(teesim_fault_alloc_last(m, name, sizeof(name)), -ENOENT);
	teesim_stack_free(st);

	/* by count: the next allocation fails, once */
	ck_assert_int_eq(env_init(&env, &it, &h, 0), 0);
	m = env.st->machine;
	c0 = teesim_fault_alloc_count(m);
	teesim_fault_alloc_nth(m, 1);
	ck_assert_ptr_null(teesim_process_new(teesim_machine_guest(m, 0)));
	ck_assert_int_eq(errno, ENOMEM);
	ck_assert_uint_eq(teesim_fault_alloc_fired(m), 1);
	ck_assert_uint_eq(teesim_fault_alloc_count(m), c0 + 1);
	ck_assert_int_gt(teesim_fault_alloc_last(m, name, sizeof(name)), 0);
	ck_assert_msg(strstr(name, "sim/process.c:") && strstr(name, ":teesim_process_new"), "%s",
		      name);
	ck_assert_int_eq(teesim_fault_alloc_last(m, name, 4), -ENAMETOOLONG);
	rc = teesim_open(env.proc, "/dev/tee0", 0);
	ck_assert_int_ge(rc, 0); /* once only */
	teesim_close(env.proc, rc);
	ck_assert_uint_eq(teesim_fault_alloc_fired(m), 1);

	/* by site: the shm of a registration, named by function, by location, in full */
	teesim_fault_alloc_track(m, true);
	d = th_sc_umem(&env, PG);
	u = th_sc_umem(&env, 2 * PG);
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(u);
	fd = reg(&env, d, u);
	ck_assert_int_ge(fd, 0);
	teesim_close(env.proc, fd);
	memset(&l, 0, sizeof(l));
	ck_assert_int_eq(teesim_fault_alloc_sites(m, collect, &l), 0);
	ck_assert_msg(l.shm[0], "no register_helper site recorded");
	teesim_fault_alloc_track(m, false);
	snprintf(loc, sizeof(loc), "%s", l.shm);
	*strrchr(loc, ':') = '\0'; /* "path:line" alone */
	{
		const char *spell[3] = {"register_helper", loc, l.shm};

		for (unsigned i = 0; i < 3; i++) {
			uint64_t f0 = teesim_fault_alloc_fired(m);

			ck_assert_int_eq(teesim_fault_alloc_site(m, spell[i], 1), 0);
			th_assert_err(reg(&env, d, u), -ENOMEM);
			ck_assert_uint_eq(teesim_fault_alloc_fired(m), f0 + 1);
			ck_assert_int_gt(teesim_fault_alloc_last(m, name, sizeof(name)), 0);
			ck_assert_str_eq(name, l.shm);
			/* once: the next registration works */
			fd = reg(&env, d, u);
			ck_assert_int_ge(fd, 0);
			teesim_close(env.proc, fd);
		}
	}
	ck_assert_int_eq(teesim_fault_alloc_site(m, "", 1), -EINVAL);
	ck_assert_int_eq(teesim_fault_alloc_site(m, "x", 0), -EINVAL);
	/* the 2nd one at the site: the 1st works */
	ck_assert_int_eq(teesim_fault_alloc_site(m, "register_helper", 2), 0);
	fd = reg(&env, d, u);
	ck_assert_int_ge(fd, 0);
	teesim_close(env.proc, fd);
	th_assert_err(reg(&env, d, u), -ENOMEM);
	ck_assert_int_eq(teesim_fault_alloc_site(m, "register_helper", 1), 0);
	ck_assert_int_eq(teesim_fault_alloc_site(m, NULL, 0), 0); /* disarmed */
	fd = reg(&env, d, u);
	ck_assert_int_ge(fd, 0);
	teesim_close(env.proc, fd);

	/* from the nth on: every allocation fails until disarmed */
	teesim_fault_alloc_from(m, 1);
	c0 = teesim_fault_alloc_fired(m);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_lt(teesim_open(env.proc, "/dev/tee0", 0), 0);
	ck_assert_uint_ge(teesim_fault_alloc_fired(m), c0 + 3);
	teesim_fault_alloc_from(m, 0);
	rc = teesim_open(env.proc, "/dev/tee0", 0);
	ck_assert_int_ge(rc, 0);
	teesim_close(env.proc, rc);
	ck_assert_uint_eq(th_scen_env_fini(&env, &rep), 0);
}
END_TEST

/* A supplicant made on a machine counts there; one made without stays uncounted. */
START_TEST(test_supplicant_on)
{
	static const uint8_t uuid[16] = {1, 2, 3};
	static const uint8_t image[64] = {7};
	struct teesim_machine *m = th_machine(NULL);
	struct teesim_supplicant *s;
	uint64_t c0 = teesim_fault_alloc_count(m);

	s = teesim_supplicant_new_on(m);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(teesim_fault_alloc_count(m), c0 + 1);
	teesim_fault_alloc_nth(m, 2); /* the TA store entry's image */
	th_assert_err(teesim_supplicant_ta_add(s, uuid, image, sizeof(image)), -ENOMEM);
	ck_assert_int_eq(teesim_supplicant_ta_add(s, uuid, image, sizeof(image)), 0);
	teesim_supplicant_free(s);
	c0 = teesim_fault_alloc_count(m);
	s = teesim_supplicant_new();
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(teesim_supplicant_ta_add(s, uuid, image, sizeof(image)), 0);
	teesim_supplicant_free(s);
	ck_assert_uint_eq(teesim_fault_alloc_count(m), c0);
	th_machine_done(m);
}
END_TEST

/* Allocations on several host threads while another arms failures and lists sites. */
struct worker {
	pthread_t t;
	struct teesim_machine *m;
	atomic_bool *stop;
	unsigned failures;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	/* at least 3000 rounds, and on until the arming thread is done */
	for (unsigned i = 0; i < 3000 || !atomic_load(w->stop); i++) {
		/* exactly one allocation each */
		struct teesim_process *p = teesim_process_new(teesim_machine_guest(w->m, 0));

		if (p)
			teesim_process_free(p);
		else
			w->failures++;
	}
	return NULL;
}

static int count_sites(void *ctx, const char *site, uint64_t count)
{
	(void) site;
	*(uint64_t *) ctx += count;
	return 0;
}

START_TEST(test_threads)
{
	struct teesim_machine *m = th_machine(NULL);
	struct worker w[4];
	atomic_bool stop = false;
	unsigned failures = 0;
	uint64_t seen = 0;

	for (unsigned i = 0; i < 4; i++) {
		w[i] = (struct worker){.m = m, .stop = &stop};
		ck_assert_int_eq(pthread_create(&w[i].t, NULL, work, &w[i]), 0);
	}
	for (unsigned k = 0; k < 300; k++) {
		uint64_t fired = teesim_fault_alloc_fired(m);

		teesim_fault_alloc_nth(m, 1 + k % 7);
		/*
		 * Every tenth arming waits until it fired, so failures happen
		 * however the host schedules the workers (they run until stop).
		 */
		while (k % 10 == 0 && teesim_fault_alloc_fired(m) == fired)
			sched_yield();
		teesim_fault_alloc_track(m, k & 1);
		if (k % 50 == 0)
			ck_assert_int_eq(
			    teesim_fault_alloc_site(m, k % 100 ? "teesim_process_new" : NULL, 2),
			    0);
		seen = 0;
		ck_assert_int_eq(teesim_fault_alloc_sites(m, count_sites, &seen), 0);
	}
	atomic_store(&stop, true);
	for (unsigned i = 0; i < 4; i++) {
		pthread_join(w[i].t, NULL);
		failures += w[i].failures;
	}
	teesim_fault_alloc_nth(m, 0);
	teesim_fault_alloc_site(m, NULL, 0);
	/* every injected failure failed one process_new, nothing else failed */
	ck_assert_uint_eq(teesim_fault_alloc_fired(m), failures);
	ck_assert_uint_ge(failures, 30);
	ck_assert_uint_ge(teesim_fault_alloc_count(m), 4 * 3000);
	th_machine_done(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fault");
	TCase *tc;

	tc = tcase_create("api");
	tcase_add_test(tc, test_api);
	tcase_add_test(tc, test_supplicant_on);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("create");
	tcase_add_loop_test(tc, test_sweep_machine_new, 0, 2);
	tcase_add_loop_test(tc, test_sweep_stack_new, 0,
			    (int) (sizeof(creates) / sizeof(creates[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("sweep");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_sweep_mine, 0, (int) NMINE);
	tcase_add_loop_test(tc, test_sweep_mine_cascade, 0, (int) NMINE);
	tcase_add_loop_test(tc, test_sweep_xtest, 0, (int) th_nscenarios);
	suite_add_tcase(s, tc);
	return th_run(s);
}
