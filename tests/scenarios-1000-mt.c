/* SPDX-License-Identifier: MIT */
/*
 * The threaded xtest 1000-series cases: 1009 (wait and cancellation on the
 * virtual clock), 1013 (concurrent calls), 1040 (panics during concurrent
 * open / invoke / close). Host threads give the concurrency; every wait
 * between threads is for an event that is sure to come (a call returning,
 * a call reaching a gate, a timer that the waiting call itself drives), so
 * an injected failure ends a scenario instead of hanging it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

#define MS 1000000ull

static int env_ctx(struct th_scen_env *env, struct th_sc_ctx *ctx)
{
	int rc = th_sc_ctx_env(env, ctx);

	if (rc)
		th_sc_fail(env, rc, __FILE__, __LINE__, "TEE_IOC_VERSION: %d", rc);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* 1009: TEE Wait */

/* xtest's cancellation thread, on the virtual clock: a timer at "0.5 s" lets it cancel. */
struct canceller {
	struct th_scen_env *env;
	struct th_sc_ctx *ctx;
	uint32_t session;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool fired, sent, give_up;
	uint64_t fired_at;
	int rc;
};

/*
 * The timer fires on the thread that advances the clock: the waiting call's own SUSPEND RPC. It
 * holds that call there until the cancellation is sent, as a real wait would still be sleeping.
 */
static void cancel_timer(void *p, uint64_t now)
{
	struct canceller *c = p;

	pthread_mutex_lock(&c->lock);
	c->fired = true;
	c->fired_at = now;
	pthread_cond_broadcast(&c->cond);
	while (!c->sent)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

static void *cancel_thread(void *p)
{
	struct canceller *c = p;

	pthread_mutex_lock(&c->lock);
	while (!c->fired && !c->give_up)
		pthread_cond_wait(&c->cond, &c->lock);
	if (c->fired) {
		pthread_mutex_unlock(&c->lock);
		c->rc = th_sc_cancel(c->env, c->ctx, c->session);
		pthread_mutex_lock(&c->lock);
		c->sent = true;
		pthread_cond_broadcast(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* CANCEL messages the secure world decoded, by session. */
struct cancel_seen {
	_Atomic unsigned n;
	_Atomic uint32_t session;
};

static void request_hook(void *p, const struct teesim_sw_request *req)
{
	struct cancel_seen *cs = p;

	if (req->cmd == TEESIM_OPTEE_MSG_CMD_CANCEL) {
		atomic_store(&cs->session, req->session);
		atomic_fetch_add(&cs->n, 1);
	}
}

/*
 * One sub-case: WAIT @ms on a fresh session; with @cancel, a thread cancels at 500 ms. Beyond
 * xtest: virtual time moved by exactly @ms (one SUSPEND RPC), the cancellation was sent at 500 ms
 * and reached the secure world once for that session, nothing stays busy.
 */
static int wait_case(struct th_scen_env *env, struct th_sc_ctx *ctx, uint32_t ms, bool cancel)
{
	struct teesim_machine *m = env->st->machine;
	struct cancel_seen seen = {0};
	struct canceller c = {.env = env, .ctx = ctx};
	struct th_sc_snap before, after;
	struct th_sc_op op;
	pthread_t thr;
	bool have_thr = false, hook = false, sync = false, opened = false;
	uint64_t start, timer = 0;
	uint32_t sess = 0, res, origin = 0;
	int rc;

	th_sc_snap(env, &before);
	res =
	    th_sc_open(env, ctx, TH_TA_OS_TEST_UUID, TEE_IOCTL_LOGIN_PUBLIC, NULL, &sess, &origin);
	TH_SC_RES(env, res, origin, 0, "open os_test");
	opened = true;
	TH_SC_EXPECT(env, origin == TEESIM_OPTEE_ORIGIN_TRUSTED_APP, "open origin %u", origin);
	teesim_sw_set_request_hook(env->st->sw, request_hook, &seen);
	hook = true;
	start = teesim_clock_now(m);
	if (cancel) {
		c.session = sess;
		pthread_mutex_init(&c.lock, NULL);
		pthread_cond_init(&c.cond, NULL);
		sync = true;
		rc = teesim_clock_timer_add(m, start + 500 * MS, cancel_timer, &c, &timer);
		TH_SC_RC(env, rc, 0, "timer at 0.5 s");
		rc = pthread_create(&thr, NULL, cancel_thread, &c);
		TH_SC_CHECK(env, rc == 0, -rc, "cancellation thread: %d", rc);
		have_thr = true;
	}
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_VALUE_INPUT;
	op.p[0].a = ms;
	res = th_sc_invoke(env, ctx, sess, TH_OS_TEST_CMD_WAIT, &op, &origin);
	if (cancel) {
		pthread_mutex_lock(&c.lock);
		c.give_up = true;
		pthread_cond_broadcast(&c.cond);
		pthread_mutex_unlock(&c.lock);
		pthread_join(thr, NULL);
		have_thr = false;
		TH_SC_EXPECT(env, c.fired, "the 0.5 s timer never fired (clock at +%llu ns)",
			     (unsigned long long) (teesim_clock_now(m) - start));
		TH_SC_RC(env, c.rc, 0, "TEEC_RequestCancellation");
		TH_SC_RES(env, res, origin, TEESIM_OPTEE_ERROR_CANCEL, "cancelled WAIT");
		TH_SC_EXPECT(env, c.fired_at == start + 500 * MS, "cancelled at +%llu ns",
			     (unsigned long long) (c.fired_at - start));
		TH_SC_EXPECT(env, atomic_load(&seen.n) == 1 && atomic_load(&seen.session) == sess,
			     "secure world saw %u CANCEL (session %u, want %u)",
			     atomic_load(&seen.n), atomic_load(&seen.session), sess);
	} else {
		TH_SC_RES(env, res, origin, 0, "WAIT");
		TH_SC_EXPECT(env, atomic_load(&seen.n) == 0, "a CANCEL was sent");
	}
	TH_SC_EXPECT(env, origin == TEESIM_OPTEE_ORIGIN_TRUSTED_APP, "WAIT origin %u", origin);
	TH_SC_EXPECT(env, teesim_clock_now(m) == start + ms * MS, "virtual time moved %llu ns",
		     (unsigned long long) (teesim_clock_now(m) - start));
	th_sc_snap(env, &after);
	TH_SC_EXPECT(env, after.sw.rpcs == before.sw.rpcs + 1,
		     "%llu RPCs for one wait, want 1 SUSPEND",
		     (unsigned long long) (after.sw.rpcs - before.sw.rpcs));
	rc = th_sc_close(env, ctx, sess);
	opened = false;
	TH_SC_RC(env, rc, 0, "close");
	th_sc_expect_back(env, &before, "after the wait");
out:
	if (have_thr) {
		pthread_mutex_lock(&c.lock);
		c.give_up = true;
		pthread_cond_broadcast(&c.cond);
		pthread_mutex_unlock(&c.lock);
		pthread_join(thr, NULL);
	}
	if (timer)
		teesim_clock_timer_cancel(m, timer); /* not fired: nothing advanced the clock */
	if (sync) {
		pthread_cond_destroy(&c.cond);
		pthread_mutex_destroy(&c.lock);
	}
	if (hook)
		teesim_sw_set_request_hook(env->st->sw, NULL, NULL);
	if (opened)
		th_sc_close(env, ctx, sess);
	return env->err ? -1 : 0;
}

/* 1009 "TEE Wait": 0.1 s, 0.5 s, 2 s cancelled after 0.5 s, 2 s. */
int th_scen_xtest_1009(struct th_scen_env *env)
{
	struct th_sc_ctx ctx;
	int rc;

	rc = th_ta_os_test_register(env->st->sw);
	TH_SC_RC(env, rc, 0, "register os_test");
	if (env_ctx(env, &ctx) || wait_case(env, &ctx, 100, false) ||
	    wait_case(env, &ctx, 500, false) || wait_case(env, &ctx, 2000, true))
		goto out;
	wait_case(env, &ctx, 2000, false);
out:
	return env->err ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* 1013: concurrency */

#define NT 3

struct worker {
	struct th_scen_env *env;
	struct th_sc_ctx *ctx;
	struct th_gate *gate;
	struct th_sc_shm *shm;
	uint32_t cmd, repeat;
	const uint8_t *in;
	size_t in_len;
	uint8_t *out;
	size_t out_len;
	uint32_t res, origin, max_concurrency;
};

/* test_1013_thread: own session, one call with the shared shm as a partial memref, close. */
static void *worker_1013(void *p)
{
	struct worker *w = p;
	struct th_sc_op op;
	uint32_t sess = 0;

	w->res = th_sc_open(w->env, w->ctx, TH_TA_CONCURRENT_UUID, TEE_IOCTL_LOGIN_PUBLIC, NULL,
			    &sess, &w->origin);
	if (w->res) {
		th_gate_done(w->gate);
		return NULL;
	}
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_PARTIAL_INOUT;
	op.p[0].shm = w->shm;
	op.p[0].size = w->shm->size;
	op.p[1].type = TH_SC_VALUE_INOUT;
	op.p[1].a = w->repeat;
	if (w->in_len) {
		op.p[2].type = TH_SC_TEMP_INPUT;
		op.p[2].buffer = (void *) (uintptr_t) w->in;
		op.p[2].size = w->in_len;
	}
	if (w->out_len) {
		op.p[3].type = TH_SC_TEMP_OUTPUT;
		op.p[3].buffer = w->out;
		op.p[3].size = w->out_len;
	}
	w->res = th_sc_invoke(w->env, w->ctx, sess, w->cmd, &op, &w->origin);
	th_gate_done(w->gate);
	w->max_concurrency = op.p[1].b;
	w->out_len = op.p[3].size;
	th_sc_close(w->env, w->ctx, sess);
	return NULL;
}

/*
 * One round: NT threads call @cmd at once. The scenario waits until every call is inside the TA
 * (or returned), checks that the layers show NT calls in flight, then lets them go.
 */
static int round_1013(struct th_scen_env *env, struct th_sc_ctx *ctx, struct th_gate *g,
		      struct th_sc_shm *shm, uint32_t cmd)
{
	static const uint8_t abc[3] = {'a', 'b', 'c'};
	struct th_sc_hostbuf out[NT];
	struct worker w[NT];
	pthread_t thr[NT];
	struct th_sc_snap base, mid;
	uint8_t want[32];
	unsigned nt = 0, inside, maxc = 0;
	bool sha = cmd == TH_CONCURRENT_CMD_SHA256;
	int rc;

	memset(out, 0, sizeof(out));
	th_digest32(abc, sizeof(abc), want);
	memset(shm->buffer, 0, shm->size);
	th_gate_open(g, false);
	th_sc_snap(env, &base);
	for (unsigned n = 0; n < NT; n++) {
		rc = th_sc_hostbuf_new(&out[n], 32, 0x40 * (n + 1));
		TH_SC_CHECK(env, rc == 0, rc, "output buffer");
	}
	for (; nt < NT; nt++) {
		w[nt] = (struct worker){.env = env,
					.ctx = ctx,
					.gate = g,
					.shm = shm,
					.cmd = cmd,
					.repeat = sha ? 1000 : 10000,
					.in = sha ? abc : NULL,
					.in_len = sha ? sizeof(abc) : 0,
					.out = sha ? out[nt].p : NULL,
					.out_len = sha ? 32 : 0};
		rc = pthread_create(&thr[nt], NULL, worker_1013, &w[nt]);
		if (rc) {
			th_sc_fail(env, -rc, __FILE__, __LINE__, "pthread_create: %d", rc);
			break;
		}
	}
	inside = th_gate_wait(g, nt);
	th_sc_snap(env, &mid);
	if (!env->err && inside == NT) {
		uint32_t active;

		memcpy(&active, shm->buffer, sizeof(active));
		if (mid.sw.threads_busy != base.sw.threads_busy + NT ||
		    mid.drv.active_calls != base.drv.active_calls + NT || mid.drv.call_waiters ||
		    mid.sw.sessions != base.sw.sessions + NT || active != NT)
			th_sc_fail(
			    env, -1, __FILE__, __LINE__,
			    "%u calls in the TA: busy threads %llu, driver calls %u, waiters "
			    "%u, sessions %llu, shared count %u",
			    inside, (unsigned long long) mid.sw.threads_busy, mid.drv.active_calls,
			    mid.drv.call_waiters, (unsigned long long) mid.sw.sessions, active);
	}
	th_gate_open(g, true);
	for (unsigned n = 0; n < nt; n++)
		pthread_join(thr[n], NULL);
	for (unsigned n = 0; n < nt; n++) {
		TH_SC_RES(env, w[n].res, w[n].origin, 0, sha ? "SHA256 call" : "BUSY_LOOP call");
		if (w[n].max_concurrency > maxc)
			maxc = w[n].max_concurrency;
		if (sha)
			TH_SC_EXPECT(env, w[n].out_len == 32 && !memcmp(out[n].p, want, 32),
				     "thread %u: wrong digest (%zu bytes)", n, w[n].out_len);
	}
	TH_SC_EXPECT(env, inside == NT, "only %u of %u calls were in the TA at once", inside, NT);
	TH_SC_EXPECT(env, maxc == NT && th_gate_peak(g) == NT, "max concurrency %u (peak %u)", maxc,
		     th_gate_peak(g));
	{
		uint32_t active;

		memcpy(&active, shm->buffer, sizeof(active));
		TH_SC_EXPECT(env, active == 0, "shared active count %u after the round", active);
	}
	th_sc_expect_back(env, &base, "after the round");
out:
	th_gate_open(g, true); /* a thread still on its way through must not wait */
	for (unsigned n = 0; n < NT; n++)
		th_sc_hostbuf_free(&out[n]);
	return env->err ? -1 : 0;
}

/*
 * 1013 "Test concurrency with concurrent TA": three threads, each with its own session, call the
 * busy-loop then the SHA-256 command with one shared shm as a partial memref, in which the TA
 * counts the calls inside it. Beyond xtest: concurrency is exactly 3 (the TA holds each call at
 * a gate until all are in), and meanwhile 3 secure threads are busy, the driver has 3 calls in
 * flight and none waiting, the shared count the client sees is 3.
 */
int th_scen_xtest_1013(struct th_scen_env *env)
{
	struct th_sc_ctx ctx;
	struct th_sc_shm shm;
	struct th_gate *g = NULL;
	uint32_t res;
	int rc;

	th_sc_shm_init(&shm);
	rc = th_ta_concurrent_register(env->st->sw, &g);
	TH_SC_RC(env, rc, 0, "register the concurrent TA");
	if (env_ctx(env, &ctx))
		goto out;
	res =
	    th_sc_shm_alloc(env, &ctx, &shm, sizeof(uint32_t), TH_SC_MEM_INPUT | TH_SC_MEM_OUTPUT);
	TH_SC_RES(env, res, 0, 0, "TEEC_AllocateSharedMemory");
	if (round_1013(env, &ctx, g, &shm, TH_CONCURRENT_CMD_BUSY_LOOP))
		goto out;
	round_1013(env, &ctx, g, &shm, TH_CONCURRENT_CMD_SHA256);
out:
	th_sc_shm_release(env, &shm);
	return env->err ? -1 : 0;
}

/* ------------------------------------------------------------------------ */
/* 1040: panic in concurrent open / invoke / close */

#define LOOPS_1040	 50
#define DEAD_RETRIES_MAX 10000

struct panicker {
	struct th_scen_env *env;
	struct th_sc_ctx *ctx;
	uint32_t res, origin;
	unsigned done, dead_opens;
};

/* test_1040_thread: open sims (retry on TARGET_DEAD), invoke PANIC (must be TARGET_DEAD), close. */
static void *worker_1040(void *p)
{
	struct panicker *a = p;
	struct th_sc_op op;
	uint32_t sess = 0, res;

	while (a->done < LOOPS_1040) {
		res = th_sc_open(a->env, a->ctx, TH_TA_SIMS_UUID, TEE_IOCTL_LOGIN_PUBLIC, NULL,
				 &sess, &a->origin);
		if (res == TEESIM_OPTEE_ERROR_TARGET_DEAD && a->dead_opens < DEAD_RETRIES_MAX) {
			a->dead_opens++;
			continue;
		}
		if (res) {
			a->res = res;
			return NULL;
		}
		memset(&op, 0, sizeof(op));
		op.p[0].type = TH_SC_TEMP_INPUT; /* NULL buffer, 0 bytes */
		res = th_sc_invoke(a->env, a->ctx, sess, TH_SIMS_CMD_PANIC, &op, &a->origin);
		th_sc_close(a->env, a->ctx, sess);
		if (res != TEESIM_OPTEE_ERROR_TARGET_DEAD) {
			a->res = res ? res : TEESIM_OPTEE_ERROR_GENERIC;
			return NULL;
		}
		a->done++;
	}
	a->res = 0;
	return NULL;
}

/*
 * 1040 "Test panic in concurrent open/invoke/close session": three threads loop opening the
 * single-instance sims TA, panicking it and closing. Beyond xtest, first in one thread: a panic
 * kills the instance, so a second session on it is dead too (its invoke is TARGET_DEAD from the
 * TEE without entering the TA) while a new open gets a new, live instance; then after the threads:
 * every PANIC was TARGET_DEAD, no session is left in either world, the TA works again.
 */
int th_scen_xtest_1040(struct th_scen_env *env)
{
	struct panicker a[NT];
	pthread_t thr[NT];
	struct th_sc_ctx ctx;
	struct th_sc_op op;
	struct th_sc_snap base;
	struct teesim_sw_session_info si1, si2, si3;
	struct sims *sims = NULL;
	uint32_t s[3] = {0}, res, origin = 0;
	bool open[3] = {false};
	unsigned nt = 0, invokes;
	int rc;

	rc = th_ta_sims_register(env->st->sw, &sims);
	TH_SC_RC(env, rc, 0, "register sims");
	if (env_ctx(env, &ctx))
		goto out;
	th_sc_snap(env, &base);

	/* One instance, two sessions; a panic through the first. */
	for (unsigned i = 0; i < 2; i++) {
		res = th_sc_open(env, &ctx, TH_TA_SIMS_UUID, TEE_IOCTL_LOGIN_PUBLIC, NULL, &s[i],
				 &origin);
		TH_SC_RES(env, res, origin, 0, "open");
		open[i] = true;
	}
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_TEMP_INPUT;
	res = th_sc_invoke(env, &ctx, s[0], TH_SIMS_CMD_PANIC, &op, &origin);
	TH_SC_RES(env, res, origin, TEESIM_OPTEE_ERROR_TARGET_DEAD, "PANIC");
	TH_SC_EXPECT(env, origin == TEESIM_OPTEE_ORIGIN_TEE, "PANIC origin %u", origin);
	{
		struct teesim_sw_session_info all[4];
		size_t n = teesim_sw_sessions(env->st->sw, all, 4);

		TH_SC_EXPECT(env, n == 2, "%zu sessions", n);
		si1 = all[0].id == s[0] ? all[0] : all[1];
		si2 = all[0].id == s[1] ? all[0] : all[1];
	}
	TH_SC_EXPECT(env, si1.dead && si2.dead && si1.instance == si2.instance,
		     "after the panic: session 1 dead %d, session 2 dead %d, instances %llu %llu",
		     si1.dead, si2.dead, (unsigned long long) si1.instance,
		     (unsigned long long) si2.instance);
	invokes = th_ta_sims_invokes(sims);
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_VALUE_OUTPUT;
	res = th_sc_invoke(env, &ctx, s[1], TH_SIMS_CMD_GET_COUNTER, &op, &origin);
	TH_SC_RES(env, res, origin, TEESIM_OPTEE_ERROR_TARGET_DEAD, "call on the dead instance");
	TH_SC_EXPECT(env, origin == TEESIM_OPTEE_ORIGIN_TEE && th_ta_sims_invokes(sims) == invokes,
		     "the dead instance was entered (origin %u)", origin);
	res = th_sc_open(env, &ctx, TH_TA_SIMS_UUID, TEE_IOCTL_LOGIN_PUBLIC, NULL, &s[2], &origin);
	TH_SC_RES(env, res, origin, 0, "open after the panic");
	open[2] = true;
	{
		struct teesim_sw_session_info all[4];
		size_t n = teesim_sw_sessions(env->st->sw, all, 4);

		memset(&si3, 0, sizeof(si3));
		for (size_t i = 0; i < n && i < 4; i++)
			if (all[i].id == s[2])
				si3 = all[i];
	}
	TH_SC_EXPECT(env, si3.id == s[2] && !si3.dead && si3.instance > si1.instance,
		     "new session: dead %d instance %llu (old %llu)", si3.dead,
		     (unsigned long long) si3.instance, (unsigned long long) si1.instance);
	res = th_sc_invoke(env, &ctx, s[2], TH_SIMS_CMD_GET_COUNTER, &op, &origin);
	TH_SC_RES(env, res, origin, 0, "GET_COUNTER on the new instance");
	TH_SC_EXPECT(env, op.p[0].a == 0, "new instance counter %u", op.p[0].a);
	for (unsigned i = 0; i < 3; i++) {
		rc = th_sc_close(env, &ctx, s[i]);
		open[i] = false;
		TH_SC_RC(env, rc, 0, "close");
	}
	if (th_sc_expect_back(env, &base, "sequential part closed"))
		goto out;

	/* Concurrent invoke with panic in TA */
	for (; nt < NT; nt++) {
		a[nt] = (struct panicker){.env = env, .ctx = &ctx};
		rc = pthread_create(&thr[nt], NULL, worker_1040, &a[nt]);
		if (rc) {
			th_sc_fail(env, -rc, __FILE__, __LINE__, "pthread_create: %d", rc);
			break;
		}
	}
	for (unsigned n = 0; n < nt; n++)
		pthread_join(thr[n], NULL);
	for (unsigned n = 0; n < nt; n++) {
		TH_SC_RES(env, a[n].res, a[n].origin, 0, "panicking thread");
		TH_SC_EXPECT(env, a[n].done == LOOPS_1040, "thread %u: %u rounds", n, a[n].done);
	}
	if (th_sc_expect_back(env, &base, "after the threads"))
		goto out;
	res = th_sc_open(env, &ctx, TH_TA_SIMS_UUID, TEE_IOCTL_LOGIN_PUBLIC, NULL, &s[0], &origin);
	TH_SC_RES(env, res, origin, 0, "open after the storm");
	open[0] = true;
	memset(&op, 0, sizeof(op));
	op.p[0].type = TH_SC_VALUE_OUTPUT;
	res = th_sc_invoke(env, &ctx, s[0], TH_SIMS_CMD_GET_COUNTER, &op, &origin);
	TH_SC_RES(env, res, origin, 0, "GET_COUNTER after the storm");
	TH_SC_EXPECT(env, op.p[0].a == 0, "counter %u on a fresh instance", op.p[0].a);
	rc = th_sc_close(env, &ctx, s[0]);
	open[0] = false;
	TH_SC_RC(env, rc, 0, "close");
out:
	for (unsigned i = 0; i < 3; i++)
		if (open[i])
			th_sc_close(env, &ctx, s[i]);
	return env->err ? -1 : 0;
}
