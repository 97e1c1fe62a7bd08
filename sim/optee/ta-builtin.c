/* SPDX-License-Identifier: MIT */
/*
 * Built-in TAs for tests and the demo (see teesim/ta.h): memrefs, every
 * RPC, waiting on the virtual clock with cancellation, panicking, and a TA
 * that must be loaded through the supplicant.
 */
#include <string.h>

#include "sw_internal.h"

#define OK	  TEESIM_OPTEE_SUCCESS
#define BAD	  TEESIM_OPTEE_ERROR_BAD_PARAMETERS
#define IS_MEM(p) ((p).type >= TEESIM_TA_PARAM_MEMREF_INPUT)
#define IS_OUTV(p)                                                                                 \
	((p).type == TEESIM_TA_PARAM_VALUE_OUTPUT || (p).type == TEESIM_TA_PARAM_VALUE_INOUT)

/* ---- teesim.mem ---- */

static uint32_t mem_read(struct teesim_ta_call *c, struct teesim_ta_param *p)
{
	unsigned char buf[512];
	uint32_t sum = 0, fnv = 2166136261u;

	if (!IS_MEM(p[0]) || !IS_OUTV(p[1]))
		return BAD;
	for (uint64_t off = 0; off < p[0].size;) {
		size_t n = p[0].size - off < sizeof(buf) ? (size_t) (p[0].size - off) : sizeof(buf);

		if (teesim_ta_memref_read(c, 0, off, buf, n))
			return TEESIM_OPTEE_ERROR_ACCESS_DENIED;
		for (size_t i = 0; i < n; i++) {
			sum += buf[i];
			fnv = (fnv ^ buf[i]) * 16777619u;
		}
		off += n;
	}
	p[1].a = sum;
	p[1].b = fnv;
	return OK;
}

static uint32_t mem_write(struct teesim_ta_call *c, struct teesim_ta_param *p, bool fill)
{
	unsigned char buf[512];
	uint8_t v = (uint8_t) p[1].a;

	if (!IS_MEM(p[0]) || p[0].type == TEESIM_TA_PARAM_MEMREF_INPUT ||
	    p[1].type != TEESIM_TA_PARAM_VALUE_INPUT)
		return BAD;
	if (fill)
		return teesim_ta_memref_fill(c, 0, 0, v, p[0].size)
			   ? TEESIM_OPTEE_ERROR_ACCESS_DENIED
			   : OK;
	for (uint64_t off = 0; off < p[0].size;) {
		size_t n = p[0].size - off < sizeof(buf) ? (size_t) (p[0].size - off) : sizeof(buf);

		for (size_t i = 0; i < n; i++, v = (uint8_t) (v + 1)) /* wraps 255 -> 0 */
			buf[i] = v;
		if (teesim_ta_memref_write(c, 0, off, buf, n))
			return TEESIM_OPTEE_ERROR_ACCESS_DENIED;
		off += n;
	}
	return OK;
}

static uint32_t mem_pages(struct teesim_ta_call *c, struct teesim_ta_param *p)
{
	teesim_pa_t pas[64];
	long n;

	if (!IS_MEM(p[0]) || !IS_OUTV(p[1]))
		return BAD;
	n = teesim_ta_memref_pages(c, 0, pas, 64);
	if (n < 0)
		return BAD;
	p[1].a = (uint32_t) n;
	if (!IS_MEM(p[2]))
		return OK;
	if (p[2].size < (uint64_t) n * 8) {
		p[2].size = (uint64_t) n * 8;
		return TEESIM_OPTEE_ERROR_SHORT_BUFFER;
	}
	if (n > 64)
		return TEESIM_OPTEE_ERROR_SHORT_BUFFER;
	p[2].size = (uint64_t) n * 8;
	return teesim_ta_memref_write(c, 2, 0, pas, (size_t) n * 8) ? BAD : OK;
}

static uint32_t mem_copy(struct teesim_ta_call *c, struct teesim_ta_param *p)
{
	unsigned char buf[512];

	if (!IS_MEM(p[0]) || !IS_MEM(p[1]) || p[1].type == TEESIM_TA_PARAM_MEMREF_INPUT)
		return BAD;
	if (p[1].size < p[0].size) {
		p[1].size = p[0].size;
		return TEESIM_OPTEE_ERROR_SHORT_BUFFER;
	}
	for (uint64_t off = 0; off < p[0].size;) {
		size_t n = p[0].size - off < sizeof(buf) ? (size_t) (p[0].size - off) : sizeof(buf);

		if (teesim_ta_memref_read(c, 0, off, buf, n) ||
		    teesim_ta_memref_write(c, 1, off, buf, n))
			return TEESIM_OPTEE_ERROR_ACCESS_DENIED;
		off += n;
	}
	p[1].size = p[0].size;
	return OK;
}

static uint32_t mem_invoke(void *ctx, struct teesim_ta_call *c, void *sess, uint32_t func)
{
	struct teesim_ta_param *p = teesim_ta_params(c);

	(void) ctx;
	(void) sess;
	switch (func) {
	case TEESIM_TA_MEM_CMD_NOP:
		for (unsigned i = 0; i < SW_TA_NPARAMS; i++)
			if (IS_OUTV(p[i]))
				p[i].a += 1;
		return OK;
	case TEESIM_TA_MEM_CMD_READ:
		return mem_read(c, p);
	case TEESIM_TA_MEM_CMD_WRITE:
		return mem_write(c, p, false);
	case TEESIM_TA_MEM_CMD_FILL:
		return mem_write(c, p, true);
	case TEESIM_TA_MEM_CMD_PAGES:
		return mem_pages(c, p);
	case TEESIM_TA_MEM_CMD_COPY:
		return mem_copy(c, p);
	default:
		return TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
	}
}

/* ---- teesim.rpc ---- */

static uint32_t rpc_shm(struct teesim_ta_call *c, struct teesim_ta_param *p)
{
	unsigned char pat[256], back[256];
	struct teesim_ta_shm *shm;
	uint32_t res;
	size_t n = p[1].b < sizeof(pat) ? (size_t) p[1].b : sizeof(pat);

	shm = teesim_ta_shm_alloc(c, p[1].a, p[1].b, &res);
	if (!shm)
		return res;
	for (size_t i = 0; i < n; i++)
		pat[i] = (unsigned char) (0xA5 + i);
	p[0].b = (uint32_t) teesim_ta_shm_cookie(shm);
	if (teesim_ta_shm_write(c, shm, 0, pat, n) || teesim_ta_shm_read(c, shm, 0, back, n) ||
	    memcmp(pat, back, n))
		res = TEESIM_OPTEE_ERROR_GENERIC;
	teesim_ta_shm_free(c, shm);
	return res;
}

static uint32_t rpc_fs(struct teesim_ta_call *c, struct teesim_ta_param *p)
{
	static const char name[] = "/teesim/fs-object";
	struct teesim_ta_rpc_param rp[3];
	struct teesim_ta_shm *shm;
	uint32_t res;

	if (p[1].a == TEESIM_OPTEE_RPC_FS_CLOSE || p[1].a == TEESIM_OPTEE_RPC_FS_CLOSEDIR) {
		/* a handle the TA was given back: one value {op, handle}, as OP-TEE sends */
		struct teesim_ta_rpc_param h = {
		    .attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, .a = p[1].a, .b = p[1].b};

		return teesim_ta_rpc(c, TEESIM_OPTEE_RPC_CMD_FS, &h, 1);
	}
	shm = teesim_ta_shm_alloc(c, TEESIM_OPTEE_RPC_SHM_TYPE_APPL, sizeof(name), &res);
	if (!shm)
		return res;
	memset(rp, 0, sizeof(rp));
	rp[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	rp[0].a = p[1].a;
	/* OP-TEE's REE FS client passes the object name as an input memref */
	rp[1].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT;
	rp[1].shm = shm;
	rp[1].size = sizeof(name);
	rp[2].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT;
	if (teesim_ta_shm_write(c, shm, 0, name, sizeof(name)))
		res = TEESIM_OPTEE_ERROR_GENERIC;
	else
		res = teesim_ta_rpc(c, TEESIM_OPTEE_RPC_CMD_FS, rp, 3);
	p[0].b = (uint32_t) rp[2].a;
	teesim_ta_shm_free(c, shm);
	return res;
}

static uint32_t rpc_invoke(void *ctx, struct teesim_ta_call *c, void *sess, uint32_t func)
{
	struct teesim_ta_param *p = teesim_ta_params(c);
	uint64_t s = 0, ns = 0;
	uint32_t res;

	(void) ctx;
	(void) sess;
	if (!IS_OUTV(p[0]))
		return BAD;
	p[0].b = p[0].a = 0;
	switch (func) {
	case TEESIM_TA_RPC_CMD_GET_TIME:
		res = teesim_ta_get_time(c, &s, &ns);
		p[0].b = (uint32_t) s;
		break;
	case TEESIM_TA_RPC_CMD_SUSPEND:
		res = teesim_ta_suspend(c, p[1].a);
		break;
	case TEESIM_TA_RPC_CMD_WAIT_SLEEP:
		res = teesim_ta_wait_queue(c, TEESIM_OPTEE_RPC_WAIT_QUEUE_SLEEP, p[1].a);
		break;
	case TEESIM_TA_RPC_CMD_WAIT_WAKEUP:
		res = teesim_ta_wait_queue(c, TEESIM_OPTEE_RPC_WAIT_QUEUE_WAKEUP, p[1].a);
		break;
	case TEESIM_TA_RPC_CMD_FOREIGN_INTR:
		teesim_ta_foreign_intr(c);
		res = OK;
		break;
	case TEESIM_TA_RPC_CMD_SHM_ALLOC:
		res = rpc_shm(c, p);
		break;
	case TEESIM_TA_RPC_CMD_FS:
		res = rpc_fs(c, p);
		break;
	case TEESIM_TA_RPC_CMD_CUSTOM: {
		struct teesim_ta_rpc_param rp = {
		    .attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT, .a = p[2].a, .b = p[2].b};

		res = teesim_ta_rpc(c, p[1].a, &rp, 1);
		p[0].b = (uint32_t) rp.a;
		if (IS_OUTV(p[2])) {
			p[2].a = (uint32_t) rp.b;
			p[2].b = (uint32_t) rp.c;
		}
		break;
	}
	default:
		return TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
	}
	p[0].a = res;
	if (func == TEESIM_TA_RPC_CMD_GET_TIME && IS_OUTV(p[1])) {
		p[1].a = (uint32_t) ns;
		p[1].b = (uint32_t) (s >> 32);
	}
	return OK;
}

/* ---- teesim.wait ---- */

static uint32_t wait_invoke(void *ctx, struct teesim_ta_call *c, void *sess, uint32_t func)
{
	struct teesim_ta_param *p = teesim_ta_params(c);
	struct teesim_machine *m = teesim_sw_machine(teesim_ta_sw(c));
	uint64_t deadline;

	(void) ctx;
	(void) sess;
	if (func != TEESIM_TA_WAIT_CMD_WAIT || p[0].type != TEESIM_TA_PARAM_VALUE_INPUT)
		return TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
	deadline = teesim_clock_now(m) + (uint64_t) p[0].a * 1000000u;
	for (;;) {
		uint64_t now = teesim_clock_now(m), left;

		if (teesim_ta_cancelled(c))
			return TEESIM_OPTEE_ERROR_CANCEL;
		if (now >= deadline)
			return OK;
		left = (deadline - now + 999999u) / 1000000u;
		if (teesim_ta_suspend(c, (uint32_t) (left > UINT32_MAX ? UINT32_MAX : left)) &&
		    !teesim_ta_cancelled(c) && teesim_clock_now(m) == now)
			return TEESIM_OPTEE_ERROR_COMMUNICATION;
	}
}

/* ---- teesim.panic and teesim.load ---- */

static uint32_t panic_invoke(void *ctx, struct teesim_ta_call *c, void *sess, uint32_t func)
{
	(void) ctx;
	(void) sess;
	if (func == TEESIM_TA_PANIC_CMD_PANIC)
		teesim_ta_panic(c, 0xdead);
	return OK;
}

static uint32_t nop_invoke(void *ctx, struct teesim_ta_call *c, void *sess, uint32_t func)
{
	(void) ctx;
	(void) c;
	(void) sess;
	return func == 0 ? OK : TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
}

static const struct teesim_ta_ops mem_ops = {.invoke = mem_invoke};
static const struct teesim_ta_ops rpc_ops = {.invoke = rpc_invoke};
static const struct teesim_ta_ops wait_ops = {.invoke = wait_invoke};
static const struct teesim_ta_ops panic_ops = {.invoke = panic_invoke};
static const struct teesim_ta_ops load_ops = {.invoke = nop_invoke};

int tsim_sw_builtin_register(struct teesim_sw *sw)
{
	static const struct {
		const char *uuid, *name;
		const struct teesim_ta_ops *ops;
		unsigned flags;
	} tas[] = {
	    {TEESIM_TA_MEM_UUID, "teesim.mem", &mem_ops, 0},
	    {TEESIM_TA_RPC_UUID, "teesim.rpc", &rpc_ops, 0},
	    {TEESIM_TA_WAIT_UUID, "teesim.wait", &wait_ops, 0},
	    {TEESIM_TA_PANIC_UUID, "teesim.panic", &panic_ops, 0},
	    {TEESIM_TA_LOAD_UUID, "teesim.load", &load_ops, TEESIM_TA_FLAG_NEEDS_LOAD},
	};

	for (size_t i = 0; i < sizeof(tas) / sizeof(tas[0]); i++) {
		struct teesim_ta_desc d = {
		    .name = tas[i].name, .ops = tas[i].ops, .flags = tas[i].flags};
		int err = teesim_uuid_parse(tas[i].uuid, &d.uuid);

		if (!err)
			err = teesim_sw_ta_register(sw, &d);
		if (err)
			return err;
	}
	return 0;
}
