/* SPDX-License-Identifier: MIT */
/*
 * The TAs of the xtest 1000 scenarios, written with the TA API
 * (teesim/ta.h) after optee_test's os_test, sims, concurrent and
 * supp_plugin TAs: the commands the scenarios use, with the same parameter
 * types and results. UUIDs are optee_test's.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

#define OK TEESIM_OPTEE_SUCCESS

static bool types_are(const struct teesim_ta_param *p, enum teesim_ta_param_type t0,
		      enum teesim_ta_param_type t1, enum teesim_ta_param_type t2,
		      enum teesim_ta_param_type t3)
{
	return p[0].type == t0 && p[1].type == t1 && p[2].type == t2 && p[3].type == t3;
}

static int register_ta(struct teesim_sw *sw, const char *uuid, const char *name,
		       const struct teesim_ta_ops *ops, void *ctx, unsigned flags)
{
	struct teesim_ta_desc d = {.name = name, .ops = ops, .ctx = ctx, .flags = flags};
	int rc = teesim_uuid_parse(uuid, &d.uuid);

	return rc ? rc : teesim_sw_ta_register(sw, &d);
}

/* ------------------------------------------------------------------------ */
/* os_test: WAIT, PARAMS, NULL_MEMREF_PARAMS */

/* TEE_Wait: SUSPEND RPCs on the virtual clock until @ms passed; CANCEL once cancelled. */
static uint32_t os_wait(struct teesim_ta_call *c, uint32_t ms)
{
	struct teesim_machine *m = teesim_sw_machine(teesim_ta_sw(c));
	uint64_t deadline = teesim_clock_now(m) + (uint64_t) ms * 1000000u;

	for (;;) {
		uint64_t now = teesim_clock_now(m);
		uint32_t res;

		if (teesim_ta_cancelled(c))
			return TEESIM_OPTEE_ERROR_CANCEL;
		if (now >= deadline)
			return OK;
		res = teesim_ta_suspend(c, (uint32_t) ((deadline - now + 999999u) / 1000000u));
		if (res && !teesim_ta_cancelled(c))
			return res;
	}
}

static uint32_t os_test_invoke(void *ctx, struct teesim_ta_call *c, void *sess, uint32_t func)
{
	struct teesim_ta_param *p = teesim_ta_params(c);

	(void) ctx;
	(void) sess;
	switch (func) {
	case TH_OS_TEST_CMD_WAIT:
		return os_wait(c, p[0].a);
	case TH_OS_TEST_CMD_PARAMS:
		if (!types_are(p, TEESIM_TA_PARAM_MEMREF_INPUT, TEESIM_TA_PARAM_MEMREF_INPUT,
			       TEESIM_TA_PARAM_MEMREF_OUTPUT, TEESIM_TA_PARAM_MEMREF_OUTPUT))
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		for (unsigned n = 0; n < 4; n++)
			if (p[n].null || !p[n].size)
				return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		return OK;
	case TH_OS_TEST_CMD_NULL_MEMREF_PARAMS:
		/* 0: mapped, 0 bytes; 1: NULL; 2: mapped output, 0 bytes; 3: NULL output */
		if (!types_are(p, TEESIM_TA_PARAM_MEMREF_INPUT, TEESIM_TA_PARAM_MEMREF_INPUT,
			       TEESIM_TA_PARAM_MEMREF_OUTPUT, TEESIM_TA_PARAM_MEMREF_OUTPUT))
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		if (p[0].null || p[0].size || !p[1].null || p[1].size || p[2].null || p[2].size ||
		    !p[3].null || p[3].size)
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		return OK;
	default:
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	}
}

static const struct teesim_ta_ops os_test_ops = {.invoke = os_test_invoke};

int th_ta_os_test_register(struct teesim_sw *sw)
{
	return register_ta(sw, TH_TA_OS_TEST_UUID, "os_test", &os_test_ops, NULL, 0);
}

/* ------------------------------------------------------------------------ */
/* sims: single instance, multi session */

#define SIMS_STORAGE 4

struct sims {
	pthread_mutex_t lock;
	uint64_t instance; /* the instance the state below belongs to */
	uint32_t counter;  /* sessions opened on it */
	struct {
		size_t size;
		uint8_t *data;
	} storage[SIMS_STORAGE];
	unsigned invokes; /* entry into invoke, for the scenarios */
};

static void sims_reset(struct sims *s, uint64_t instance)
{
	for (unsigned i = 0; i < SIMS_STORAGE; i++) {
		free(s->storage[i].data);
		s->storage[i].data = NULL;
		s->storage[i].size = 0;
	}
	s->counter = 0;
	s->instance = instance;
}

/* Each session remembers the counter it was opened with (as sims_open_session). */
static uint32_t sims_open(void *ctx, struct teesim_ta_call *c, void **sess)
{
	struct sims *s = ctx;

	pthread_mutex_lock(&s->lock);
	if (teesim_ta_instance(c) != s->instance)
		sims_reset(s, teesim_ta_instance(c)); /* a new instance: fresh globals */
	*sess = (void *) (uintptr_t) (s->counter + 1);
	s->counter++;
	pthread_mutex_unlock(&s->lock);
	return OK;
}

static uint32_t sims_rw(struct sims *s, struct teesim_ta_call *c, bool write)
{
	struct teesim_ta_param *p = teesim_ta_params(c);
	uint32_t res = OK;
	uint32_t idx = p[0].a;
	uint8_t *buf = NULL;
	int rc;

	if (!types_are(p, TEESIM_TA_PARAM_VALUE_INPUT,
		       write ? TEESIM_TA_PARAM_MEMREF_INPUT : TEESIM_TA_PARAM_MEMREF_OUTPUT,
		       TEESIM_TA_PARAM_NONE, TEESIM_TA_PARAM_NONE) ||
	    idx >= SIMS_STORAGE)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (write) {
		buf = malloc(p[1].size ? p[1].size : 1);
		if (!buf)
			return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
		rc = p[1].size ? teesim_ta_memref_read(c, 1, 0, buf, p[1].size) : 0;
		if (rc) {
			free(buf);
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		}
		pthread_mutex_lock(&s->lock);
		free(s->storage[idx].data);
		s->storage[idx].data = buf;
		s->storage[idx].size = p[1].size;
		pthread_mutex_unlock(&s->lock);
		return OK;
	}
	pthread_mutex_lock(&s->lock);
	if (s->storage[idx].size > p[1].size)
		res = TEESIM_OPTEE_ERROR_OVERFLOW;
	else if (s->storage[idx].size &&
		 teesim_ta_memref_write(c, 1, 0, s->storage[idx].data, s->storage[idx].size))
		res = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	pthread_mutex_unlock(&s->lock);
	return res;
}

static uint32_t sims_invoke(void *ctx, struct teesim_ta_call *c, void *sess, uint32_t func)
{
	struct teesim_ta_param *p = teesim_ta_params(c);
	struct sims *s = ctx;

	pthread_mutex_lock(&s->lock);
	s->invokes++;
	pthread_mutex_unlock(&s->lock);
	switch (func) {
	case TH_SIMS_CMD_READ:
		return sims_rw(s, c, false);
	case TH_SIMS_CMD_WRITE:
		return sims_rw(s, c, true);
	case TH_SIMS_CMD_GET_COUNTER:
		if (!types_are(p, TEESIM_TA_PARAM_VALUE_OUTPUT, TEESIM_TA_PARAM_NONE,
			       TEESIM_TA_PARAM_NONE, TEESIM_TA_PARAM_NONE))
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		p[0].a = (uint32_t) ((uintptr_t) sess - 1);
		return OK;
	case TH_SIMS_CMD_PANIC:
		if (!types_are(p, TEESIM_TA_PARAM_MEMREF_INPUT, TEESIM_TA_PARAM_NONE,
			       TEESIM_TA_PARAM_NONE, TEESIM_TA_PARAM_NONE))
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		/* A buffer would name a TA to panic through (TA to TA): not modelled. */
		if (!p[0].null && p[0].size)
			return TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
		teesim_ta_panic(c, 0xbeef);
		return OK;
	default:
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	}
}

static void sims_destroy(void *ctx)
{
	struct sims *s = ctx;

	sims_reset(s, 0);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct teesim_ta_ops sims_ops = {
    .open = sims_open, .invoke = sims_invoke, .destroy = sims_destroy};

int th_ta_sims_register(struct teesim_sw *sw, struct sims **out)
{
	struct sims *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	rc = register_ta(sw, TH_TA_SIMS_UUID, "sims", &sims_ops, s, TEESIM_TA_FLAG_SINGLE_INSTANCE);
	if (rc) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return rc;
	}
	if (out)
		*out = s;
	return 0;
}

unsigned th_ta_sims_invokes(struct sims *s)
{
	unsigned n;

	pthread_mutex_lock(&s->lock);
	n = s->invokes;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* ------------------------------------------------------------------------ */
/* concurrent: each call counts itself in the shared memref, then waits at the gate */

struct th_gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned inside; /* calls in the TA, waiting at the gate */
	unsigned done;	 /* client threads whose call returned (counted by the scenario) */
	unsigned peak;	 /* most calls inside at once */
	bool open;	 /* the scenario let them go */
};

/* Read-modify-write of the active count (u32 at offset 0 of memref 0); under the gate's lock. */
static int active_add(struct teesim_ta_call *c, int delta, uint32_t *now)
{
	uint32_t v;
	int rc;

	rc = teesim_ta_memref_read(c, 0, 0, &v, sizeof(v));
	if (!rc) {
		v += (uint32_t) delta;
		rc = teesim_ta_memref_write(c, 0, 0, &v, sizeof(v));
	}
	if (!rc && now)
		*now = v;
	return rc;
}

/* A digest standing in for SHA-256: eight FNV-1a lanes over the input. */
static void digest32(const uint8_t *in, size_t n, uint8_t out[32])
{
	for (unsigned lane = 0; lane < 8; lane++) {
		uint32_t h = 0x811c9dc5u ^ (lane * 0x9e3779b9u);

		for (size_t i = 0; i < n; i++) {
			h ^= in[i];
			h *= 0x01000193u;
		}
		memcpy(out + lane * 4, &h, 4);
	}
}

void th_digest32(const uint8_t *in, size_t n, uint8_t out[32])
{
	digest32(in, n, out);
}

static uint32_t concurrent_invoke(void *ctx, struct teesim_ta_call *c, void *sess, uint32_t func)
{
	struct teesim_ta_param *p = teesim_ta_params(c);
	struct th_gate *g = ctx;
	uint8_t in[64], out[32];
	uint32_t active = 0;
	bool sha = func == TH_CONCURRENT_CMD_SHA256;

	(void) sess;
	if (func != TH_CONCURRENT_CMD_BUSY_LOOP && !sha)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (!types_are(p, TEESIM_TA_PARAM_MEMREF_INOUT, TEESIM_TA_PARAM_VALUE_INOUT,
		       sha ? TEESIM_TA_PARAM_MEMREF_INPUT : TEESIM_TA_PARAM_NONE,
		       sha ? TEESIM_TA_PARAM_MEMREF_OUTPUT : TEESIM_TA_PARAM_NONE) ||
	    p[0].size < sizeof(uint32_t))
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (sha && (p[3].size < sizeof(out) || p[2].size > sizeof(in)))
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (sha && p[2].size && teesim_ta_memref_read(c, 2, 0, in, p[2].size))
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;

	pthread_mutex_lock(&g->lock);
	if (active_add(c, 1, &active)) {
		pthread_mutex_unlock(&g->lock);
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	}
	p[1].b = active;
	g->inside++;
	if (g->inside > g->peak)
		g->peak = g->inside;
	pthread_cond_broadcast(&g->cond);
	while (!g->open)
		pthread_cond_wait(&g->cond, &g->lock);
	g->inside--;
	active_add(c, -1, NULL);
	pthread_mutex_unlock(&g->lock);

	if (sha) {
		for (uint32_t r = 0; r < (p[1].a ? p[1].a : 1); r++)
			digest32(in, p[2].size, out);
		if (teesim_ta_memref_write(c, 3, 0, out, sizeof(out)))
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		p[3].size = sizeof(out);
	}
	return OK;
}

static void concurrent_destroy(void *ctx)
{
	struct th_gate *g = ctx;

	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static const struct teesim_ta_ops concurrent_ops = {.invoke = concurrent_invoke,
						    .destroy = concurrent_destroy};

int th_ta_concurrent_register(struct teesim_sw *sw, struct th_gate **out)
{
	struct th_gate *g = calloc(1, sizeof(*g));
	int rc;

	if (!g)
		return -ENOMEM;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	rc = register_ta(sw, TH_TA_CONCURRENT_UUID, "concurrent", &concurrent_ops, g, 0);
	if (rc) {
		concurrent_destroy(g);
		return rc;
	}
	if (out)
		*out = g;
	return 0;
}

void th_gate_done(struct th_gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->done++;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

unsigned th_gate_wait(struct th_gate *g, unsigned n)
{
	unsigned inside;

	pthread_mutex_lock(&g->lock);
	while (g->inside + g->done < n)
		pthread_cond_wait(&g->cond, &g->lock);
	inside = g->inside;
	pthread_mutex_unlock(&g->lock);
	return inside;
}

void th_gate_open(struct th_gate *g, bool open)
{
	pthread_mutex_lock(&g->lock);
	g->open = open;
	if (!open) {
		g->done = 0;
		g->peak = 0;
	}
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

unsigned th_gate_peak(struct th_gate *g)
{
	unsigned peak;

	pthread_mutex_lock(&g->lock);
	peak = g->peak;
	pthread_mutex_unlock(&g->lock);
	return peak;
}

/* ------------------------------------------------------------------------ */
/* supp_plugin: tee_invoke_supp_plugin() through the SUPP_PLUGIN RPC */

/*
 * tee_invoke_supp_plugin_rpc(): @len bytes of @buf go through an APPL buffer (SHM_ALLOC RPC,
 * served by the supplicant), then SUPP_PLUGIN with the UUID's words, cmd, sub_cmd; up to the
 * output length comes back into @buf. libutee's argument checks first.
 */
static uint32_t invoke_plugin(struct teesim_ta_call *c, const struct teesim_uuid *uuid,
			      uint32_t cmd, uint32_t sub_cmd, void *buf, size_t len, size_t *outlen)
{
	struct teesim_ta_rpc_param p[4];
	struct teesim_ta_shm *shm = NULL;
	uint32_t words[4], res;

	if (!uuid || (len && !buf) || (!len && buf))
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (len) {
		shm = teesim_ta_shm_alloc(c, TEESIM_OPTEE_RPC_SHM_TYPE_APPL, len, &res);
		if (!shm)
			return res;
		if (teesim_ta_shm_write(c, shm, 0, buf, len)) {
			res = TEESIM_OPTEE_ERROR_GENERIC;
			goto out;
		}
	}
	memcpy(words, uuid->b, sizeof(words));
	memset(p, 0, sizeof(p));
	p[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	p[0].a = 0; /* OPTEE_RPC_SUPP_PLUGIN_INVOKE */
	p[0].b = words[0];
	p[0].c = words[1];
	p[1].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	p[1].a = words[2];
	p[1].b = words[3];
	p[1].c = cmd;
	p[2].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;
	p[2].a = sub_cmd;
	p[3].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT;
	p[3].shm = shm;
	p[3].size = len;
	res = teesim_ta_rpc(c, TEESIM_OPTEE_RPC_CMD_SUPP_PLUGIN, p, 4);
	if (outlen)
		*outlen = (size_t) p[2].b;
	if (len && p[2].b && teesim_ta_shm_read(c, shm, 0, buf, p[2].b < len ? p[2].b : len))
		res = TEESIM_OPTEE_ERROR_GENERIC;
out:
	if (shm)
		teesim_ta_shm_free(c, shm);
	return res;
}

static const struct teesim_uuid *plugin_uuid(struct teesim_uuid *u)
{
	return teesim_uuid_parse(TH_TEST_PLUGIN_UUID, u) ? NULL : u;
}

static uint32_t supp_plugin_open(void *ctx, struct teesim_ta_call *c, void **sess)
{
	struct teesim_uuid u;

	(void) ctx;
	(void) sess;
	return invoke_plugin(c, plugin_uuid(&u), TH_TEST_PLUGIN_CMD_PING, 0, NULL, 0, NULL);
}

static uint32_t supp_plugin_invoke(void *ctx, struct teesim_ta_call *c, void *sess, uint32_t func)
{
	struct teesim_ta_param *p = teesim_ta_params(c);
	struct teesim_uuid u, nul = {{0}};
	uint8_t data[64];
	size_t outlen = 0;
	uint32_t res, v[2];

	(void) ctx;
	(void) sess;
	switch (func) {
	case TH_SUPP_PLUGIN_CMD_PASS_VALUES:
		if (!types_are(p, TEESIM_TA_PARAM_VALUE_INOUT, TEESIM_TA_PARAM_VALUE_INPUT,
			       TEESIM_TA_PARAM_NONE, TEESIM_TA_PARAM_NONE))
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		v[0] = p[0].a;
		v[1] = p[0].b;
		res = invoke_plugin(c, plugin_uuid(&u), TH_TEST_PLUGIN_CMD_PASS_VALUES, p[1].a, v,
				    sizeof(v), &outlen);
		p[0].a = v[0];
		return res;
	case TH_SUPP_PLUGIN_CMD_WRITE_ARR:
	case TH_SUPP_PLUGIN_CMD_GET_ARR: {
		bool wr = func == TH_SUPP_PLUGIN_CMD_WRITE_ARR;

		if (!types_are(p, wr ? TEESIM_TA_PARAM_MEMREF_INOUT : TEESIM_TA_PARAM_MEMREF_OUTPUT,
			       TEESIM_TA_PARAM_VALUE_OUTPUT, TEESIM_TA_PARAM_NONE,
			       TEESIM_TA_PARAM_NONE) ||
		    p[0].null || p[0].size > sizeof(data))
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		/* The TA's memref is the client's memory: read it, let the plugin work, write it.
		 */
		if (p[0].size && teesim_ta_memref_read(c, 0, 0, data, p[0].size))
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		res = invoke_plugin(c, plugin_uuid(&u),
				    wr ? TH_TEST_PLUGIN_CMD_WRITE_ARR : TH_TEST_PLUGIN_CMD_GET_ARR,
				    0, p[0].size ? data : NULL, p[0].size, &outlen);
		if (p[0].size && teesim_ta_memref_write(c, 0, 0, data, p[0].size))
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		p[1].a = wr ? data[0] : (uint32_t) outlen;
		return res;
	}
	case TH_SUPP_PLUGIN_CMD_BAD_UUID:
		return invoke_plugin(c, NULL, 0, 0, data, 32, NULL);
	case TH_SUPP_PLUGIN_CMD_BAD_IN_DATA:
		return invoke_plugin(c, plugin_uuid(&u), 0, 0, NULL, 10, NULL);
	case TH_SUPP_PLUGIN_CMD_BAD_IN_LEN:
		return invoke_plugin(c, plugin_uuid(&u), 0, 0, data, 0, NULL);
	case TH_SUPP_PLUGIN_CMD_UNKNOWN_UUID:
		memset(data, 0, 32);
		return invoke_plugin(c, &nul, 0, 0, data, 32, NULL);
	default:
		return TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
	}
}

static const struct teesim_ta_ops supp_plugin_ops = {.open = supp_plugin_open,
						     .invoke = supp_plugin_invoke};

int th_ta_supp_plugin_register(struct teesim_sw *sw)
{
	return register_ta(sw, TH_TA_SUPP_PLUGIN_UUID, "supp_plugin", &supp_plugin_ops, NULL, 0);
}

/* tee-supplicant's test plugin (optee_test's host/supp_plugin). */
uint32_t th_test_plugin(void *ctx, uint32_t cmd, uint32_t sub_cmd, void *data, size_t in_len,
			size_t *out_len)
{
	static const char arr[] = "Array from plugin";
	uint8_t *d = data, sum = 0;
	uint32_t v[2];

	(void) ctx;
	switch (cmd) {
	case TH_TEST_PLUGIN_CMD_PING:
		return OK;
	case TH_TEST_PLUGIN_CMD_PASS_VALUES:
		if (in_len < sizeof(v))
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		memcpy(v, data, sizeof(v));
		v[0] = sub_cmd == '+' ? v[0] + v[1] : v[0] - v[1];
		memcpy(data, v, sizeof(v));
		*out_len = sizeof(uint32_t);
		return OK;
	case TH_TEST_PLUGIN_CMD_WRITE_ARR:
		for (size_t i = 0; i < in_len; i++)
			sum += d[i];
		if (in_len)
			d[0] = sum;
		*out_len = sizeof(sum);
		return OK;
	case TH_TEST_PLUGIN_CMD_GET_ARR:
		if (in_len < sizeof(arr))
			return TEESIM_OPTEE_ERROR_GENERIC;
		memcpy(data, arr, sizeof(arr));
		*out_len = sizeof(arr);
		return OK;
	default:
		return TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
	}
}
