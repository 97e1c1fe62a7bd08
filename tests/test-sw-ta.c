/* SPDX-License-Identifier: MIT */
/*
 * Secure world, trusted applications: the registry and a harness-made TA
 * with per-session state, the memref API, the panic TA (session dead,
 * TARGET_DEAD), the wait TA on the virtual clock with cancellation, and the
 * TA that must be loaded through the supplicant.
 */
#include "test-sw-nw.h"

#define VIN	TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT
#define VOUT	TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT
#define TIN	TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT
#define MY_UUID "a0a0a0a0-b1b1-c2c2-d3d3-e4e4e4e4e4e4"

static struct nw NW;

static void setup(void)
{
	th_setup();
	nw_init(&NW, TH_M, TEESIM_OPTEE_GEN_HEAD);
}

static void teardown(void)
{
	ck_assert_uint_eq(nw_stats(&NW).sessions, 0);
	ck_assert_uint_eq(nw_stats(&NW).threads_busy, 0);
	nw_fini(&NW);
	th_teardown();
}

/* ---- a TA written by the harness ---- */

struct my_ta {
	unsigned opens, closes, destroyed;
	int write_input_err, bad_idx_err, beyond_err;
};

struct my_sess {
	uint32_t counter;
};

static uint32_t my_open(void *ctx, struct teesim_ta_call *c, void **sess)
{
	struct my_ta *ta = ctx;
	struct teesim_ta_param *p = teesim_ta_params(c);
	struct my_sess *s;

	if (p[0].type == TEESIM_TA_PARAM_VALUE_INPUT && p[0].a == 666)
		return TEESIM_OPTEE_ERROR_ACCESS_DENIED;
	s = calloc(1, sizeof(*s));
	if (!s)
		return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
	s->counter = 100;
	*sess = s;
	ta->opens++;
	ck_assert_uint_eq(teesim_ta_session_id(c), 0);
	return 0;
}

static uint32_t my_invoke(void *ctx, struct teesim_ta_call *c, void *sess, uint32_t func)
{
	struct my_ta *ta = ctx;
	struct my_sess *s = sess;
	struct teesim_ta_param *p = teesim_ta_params(c);
	unsigned char b[4] = {1, 2, 3, 4};

	(void) func;
	ta->write_input_err = teesim_ta_memref_write(c, 1, 0, b, 4);
	ta->bad_idx_err = teesim_ta_memref_read(c, 0, 0, b, 4);
	ta->beyond_err = teesim_ta_memref_read(c, 1, p[1].size - 2, b, 4);
	p[0].a = ++s->counter;
	p[0].b = teesim_ta_session_id(c);
	ck_assert_uint_lt(teesim_ta_thread_id(c), 4);
	ck_assert_uint_eq(teesim_ta_login(c), TEESIM_OPTEE_MSG_LOGIN_PUBLIC);
	return 0;
}

static void my_close(void *ctx, struct teesim_ta_call *c, void *sess)
{
	struct my_ta *ta = ctx;

	(void) c;
	ta->closes++;
	free(sess);
}

static void my_destroy(void *ctx)
{
	((struct my_ta *) ctx)->destroyed++;
}

static const struct teesim_ta_ops my_ops = {
    .open = my_open, .invoke = my_invoke, .close = my_close, .destroy = my_destroy};

START_TEST(test_custom_ta)
{
	struct my_ta ta = {0};
	struct teesim_ta_desc d = {.name = "mine", .ops = &my_ops, .ctx = &ta};
	struct teesim_optee_msg_arg *a;
	uint32_t s1, s2;

	ck_assert_int_eq(teesim_uuid_parse(MY_UUID, &d.uuid), 0);
	ck_assert_int_eq(teesim_sw_ta_register(NW.sw, &d), 0);
	ck_assert_int_eq(teesim_sw_ta_register(NW.sw, &d), -EEXIST);
	d.flags = 1u << 7;
	ck_assert_int_eq(teesim_sw_ta_register(NW.sw, &d), -EINVAL);
	ck_assert_int_eq(teesim_sw_ta_register(NW.sw, NULL), -EINVAL);

	s1 = nw_open(&NW, MY_UUID);
	s2 = nw_open(&NW, MY_UUID);
	ck_assert_uint_ne(s1, s2);
	ck_assert_uint_eq(ta.opens, 2);
	/* open refused by the TA: origin TA, no session */
	a = nw_open_msg(&NW, MY_UUID, 1);
	a->params[2].attr = VIN;
	a->params[2].u.value.a = 666;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, TEESIM_OPTEE_ERROR_ACCESS_DENIED);
	ck_assert_uint_eq(a->ret_origin, TEESIM_OPTEE_ORIGIN_TRUSTED_APP);
	ck_assert_uint_eq(a->session, 0);
	ck_assert_uint_eq(nw_stats(&NW).sessions, 2);

	for (int i = 0; i < 3; i++) {
		a = nw_invoke_msg(&NW, i == 1 ? s2 : s1, 0, 2);
		a->params[0].attr = VOUT;
		a->params[1].attr = TIN;
		a->params[1].u.tmem.buf_ptr = NW.shm_pa;
		a->params[1].u.tmem.size = 16;
		ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
		ck_assert_uint_eq(a->ret, 0);
		ck_assert_uint_eq(a->params[0].u.value.b, i == 1 ? s2 : s1);
	}
	ck_assert_uint_eq(a->params[0].u.value.a, 102); /* per-session state */
	ck_assert_int_eq(ta.write_input_err, -EINVAL);
	ck_assert_int_eq(ta.bad_idx_err, -EINVAL);
	ck_assert_int_eq(ta.beyond_err, -EINVAL);
	ck_assert_uint_eq(NW.shm[0], 0);
	ck_assert_uint_eq(nw_close(&NW, s1), 0);
	ck_assert_uint_eq(nw_close(&NW, s2), 0);
	ck_assert_uint_eq(ta.closes, 2);
	teesim_sw_free(NW.sw);
	ck_assert_uint_eq(ta.destroyed, 1);
	NW.sw = teesim_sw_new(TH_M, NULL);
	ck_assert_ptr_nonnull(NW.sw);
}
END_TEST

START_TEST(test_uuid_parse)
{
	struct teesim_uuid u;

	ck_assert_int_eq(teesim_uuid_parse("00112233-4455-6677-8899-aAbBcCdDeEfF", &u), 0);
	for (int i = 0; i < 16; i++)
		ck_assert_uint_eq(u.b[i], (unsigned) (i * 0x11));
	ck_assert_int_eq(teesim_uuid_parse("00112233-4455-6677-8899-aabbccddeef", &u), -EINVAL);
	ck_assert_int_eq(teesim_uuid_parse("00112233-4455-6677-8899_aabbccddeeff", &u), -EINVAL);
	ck_assert_int_eq(teesim_uuid_parse("0011223g-4455-6677-8899-aabbccddeeff", &u), -EINVAL);
	ck_assert_int_eq(teesim_uuid_parse("0011223-44556-6677-8899-aabbccddeeff", &u), -EINVAL);
	ck_assert_int_eq(teesim_uuid_parse(NULL, &u), -EINVAL);
}
END_TEST

START_TEST(test_panic)
{
	uint32_t sid = nw_open(&NW, TEESIM_TA_PANIC_UUID);
	struct teesim_optee_msg_arg *a;
	struct teesim_sw_session_info si;

	a = nw_invoke_msg(&NW, sid, TEESIM_TA_PANIC_CMD_NOP, 0);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, 0);
	a = nw_invoke_msg(&NW, sid, TEESIM_TA_PANIC_CMD_PANIC, 0);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, TEESIM_OPTEE_ERROR_TARGET_DEAD);
	ck_assert_uint_eq(a->ret_origin, TEESIM_OPTEE_ORIGIN_TEE);
	ck_assert_uint_eq(teesim_sw_sessions(NW.sw, &si, 1), 1);
	ck_assert(si.dead);
	/* the session stays dead */
	a = nw_invoke_msg(&NW, sid, TEESIM_TA_PANIC_CMD_NOP, 0);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, TEESIM_OPTEE_ERROR_TARGET_DEAD);
	ck_assert_uint_eq(a->ret_origin, TEESIM_OPTEE_ORIGIN_TEE);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
	/* a new session works */
	sid = nw_open(&NW, TEESIM_TA_PANIC_UUID);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
}
END_TEST

static struct teesim_optee_msg_arg *wait_msg(uint32_t sid, uint32_t ms, teesim_pa_t *pa)
{
	struct teesim_optee_msg_arg *a = nw_pages(&NW, 1, pa);

	a->cmd = TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND;
	a->session = sid;
	a->func = TEESIM_TA_WAIT_CMD_WAIT;
	a->num_params = 1;
	a->params[0].attr = VIN;
	a->params[0].u.value.a = ms;
	return a;
}

START_TEST(test_wait)
{
	uint32_t sid = nw_open(&NW, TEESIM_TA_WAIT_UUID);
	teesim_pa_t pa;
	struct teesim_optee_msg_arg *a = wait_msg(sid, 250, &pa);
	const uint64_t t0 = teesim_clock_now(TH_M);

	/* the default server sleeps by advancing the virtual clock */
	ck_assert_uint_eq(nw_call(&NW, pa), 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(teesim_clock_now(TH_M) - t0, 250000000ull);
	ck_assert_uint_eq(NW.cmd_count[TEESIM_OPTEE_RPC_CMD_SUSPEND], 1);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
}
END_TEST

/*
 * Start a call of the wait TA (@ms) in @sid and leave it asleep in the TA
 * (RPC SUSPEND, whose message is *@rpc); returns the call's message.
 */
/* A raw call of the message at @pa up to its first RPC_CMD (after its RPC_ALLOC); that RPC. */
static struct teesim_optee_msg_arg *call_to_first_rpc(teesim_pa_t pa, struct teesim_smc_regs *r)
{
	ck_assert_uint_eq(nw_raw_call(&NW, TEESIM_OPTEE_SMC_CALL_WITH_ARG, pa, r),
			  TEESIM_OPTEE_SMC_RETURN_RPC_ALLOC);
	nw_serve(&NW, r);
	ck_assert_uint_eq(nw_resume(&NW, r), TEESIM_OPTEE_SMC_RETURN_RPC_CMD);
	return nw_host_of(&NW, r->a[2]);
}

static struct teesim_optee_msg_arg *start_sleeping_call(uint32_t sid, uint32_t ms,
							struct teesim_smc_regs *r,
							struct teesim_optee_msg_arg **rpc)
{
	teesim_pa_t pa;
	struct teesim_optee_msg_arg *a = wait_msg(sid, ms, &pa);

	*rpc = call_to_first_rpc(pa, r);
	ck_assert_uint_eq((*rpc)->cmd, TEESIM_OPTEE_RPC_CMD_SUSPEND);
	ck_assert_uint_eq((*rpc)->params[0].u.value.a, ms);
	return a;
}

/* Start a CLOSE_SESSION of @sid and leave it asleep on a wait queue (its RPC in *@w). */
static struct teesim_optee_msg_arg *start_waiting_close(uint32_t sid, struct teesim_smc_regs *rc,
							struct teesim_optee_msg_arg **w)
{
	teesim_pa_t cpa;
	struct teesim_optee_msg_arg *cl = nw_pages(&NW, 1, &cpa);

	cl->cmd = TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION;
	cl->session = sid;
	*w = call_to_first_rpc(cpa, rc);
	ck_assert_uint_eq((*w)->cmd, TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE);
	ck_assert_uint_eq((*w)->params[0].u.value.a, TEESIM_OPTEE_RPC_WAIT_QUEUE_SLEEP);
	return cl;
}

/* CANCEL of @sid (cancel id @id) on a thread of its own; it completes at once. */
static void send_cancel(uint32_t sid, uint32_t id)
{
	struct teesim_optee_msg_arg *c = nw_msg(&NW, TEESIM_OPTEE_MSG_CMD_CANCEL, 0);

	c->session = sid;
	c->cancel_id = id;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(c->ret, 0);
}

START_TEST(test_cancel)
{
	uint32_t sid = nw_open(&NW, TEESIM_TA_WAIT_UUID);
	teesim_pa_t pa;
	struct teesim_optee_msg_arg *rpc, *a;
	struct teesim_smc_regs r;
	struct teesim_sw_session_info si;

	a = start_sleeping_call(sid, 1000, &r, &rpc);
	ck_assert_uint_eq(teesim_sw_sessions(NW.sw, &si, 1), 1);
	ck_assert_uint_eq(si.calls, 1);
	/* CANCEL arrives on another thread while the TA sleeps */
	send_cancel(sid, 5);
	/* the sleep is cut short (no time passes); the TA sees the cancel */
	rpc->ret = 0;
	while (TEESIM_OPTEE_SMC_RETURN_IS_RPC(nw_resume(&NW, &r)))
		nw_serve(&NW, &r);
	ck_assert_uint_eq(r.a[0], 0);
	ck_assert_uint_eq(a->ret, TEESIM_OPTEE_ERROR_CANCEL);
	ck_assert_uint_eq(a->ret_origin, TEESIM_OPTEE_ORIGIN_TRUSTED_APP);
	ck_assert_uint_eq(teesim_clock_now(TH_M), 0);
	/* the next call is not cancelled */
	a = wait_msg(sid, 10, &pa);
	ck_assert_uint_eq(nw_call(&NW, pa), 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
}
END_TEST

/*
 * CLOSE_SESSION of a session with a call running waits for the call, as
 * OP-TEE's exclusive session lock does: a wait-queue sleep that the call
 * wakes as it leaves (any other answer makes the close look again and sleep
 * again). Meanwhile the session takes no new call and no second close, but
 * a CANCEL still reaches the call.
 */
START_TEST(test_close_waits_for_call)
{
	uint32_t sid = nw_open(&NW, TEESIM_TA_WAIT_UUID);
	struct teesim_optee_msg_arg *a, *cl, *m, *rpc, *w;
	struct teesim_smc_regs r, rc;
	struct teesim_sw_session_info si;
	uint64_t key;

	/* the call asleep in the TA; the close, on another thread, asleep on a wait queue */
	a = start_sleeping_call(sid, 1000, &r, &rpc);
	cl = start_waiting_close(sid, &rc, &w);
	key = w->params[0].u.value.b;
	ck_assert_uint_ne(key, 0);
	ck_assert_uint_eq(teesim_sw_thread_state(NW.sw, rc.a[3]), TEESIM_SW_THREAD_SUSPENDED);
	/* an answer that is no wakeup: it looks again and sleeps again, same key */
	w->ret = 0;
	ck_assert_uint_eq(nw_resume(&NW, &rc), TEESIM_OPTEE_SMC_RETURN_RPC_CMD);
	w = nw_host_of(&NW, rc.a[2]);
	ck_assert_uint_eq(w->params[0].u.value.a, TEESIM_OPTEE_RPC_WAIT_QUEUE_SLEEP);
	ck_assert_uint_eq(w->params[0].u.value.b, key);

	/* the session is still there, with its call; it takes nothing new */
	ck_assert_uint_eq(teesim_sw_sessions(NW.sw, &si, 1), 1);
	ck_assert_uint_eq(si.calls, 1);
	m = nw_invoke_msg(&NW, sid, TEESIM_TA_WAIT_CMD_WAIT, 1);
	m->params[0].attr = VIN;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(m->ret, TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	ck_assert_uint_eq(nw_close(&NW, sid), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	/* but a CANCEL reaches the running call */
	send_cancel(sid, 9);

	/* the call ends; on its way out it wakes the close */
	rpc->ret = 0;
	ck_assert_uint_eq(nw_resume(&NW, &r), TEESIM_OPTEE_SMC_RETURN_RPC_CMD);
	rpc = nw_host_of(&NW, r.a[2]);
	ck_assert_uint_eq(rpc->cmd, TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE);
	ck_assert_uint_eq(rpc->params[0].u.value.a, TEESIM_OPTEE_RPC_WAIT_QUEUE_WAKEUP);
	ck_assert_uint_eq(rpc->params[0].u.value.b, key);
	rpc->ret = 0;
	while (TEESIM_OPTEE_SMC_RETURN_IS_RPC(nw_resume(&NW, &r))) /* RPC_FREE of its argument */
		nw_serve(&NW, &r);
	ck_assert_uint_eq(r.a[0], TEESIM_OPTEE_SMC_RETURN_OK);
	ck_assert_uint_eq(a->ret, TEESIM_OPTEE_ERROR_CANCEL);
	ck_assert_uint_eq(teesim_sw_sessions(NW.sw, &si, 1), 1);
	ck_assert_uint_eq(si.calls, 0);

	/* the close wakes, finds the session free and closes it */
	w->ret = 0;
	while (TEESIM_OPTEE_SMC_RETURN_IS_RPC(nw_resume(&NW, &rc)))
		nw_serve(&NW, &rc);
	ck_assert_uint_eq(rc.a[0], TEESIM_OPTEE_SMC_RETURN_OK);
	ck_assert_uint_eq(cl->ret, 0);
	ck_assert_uint_eq(teesim_sw_sessions(NW.sw, &si, 1), 0);
	ck_assert_uint_eq(nw_stats(&NW).threads_busy, 0);
}
END_TEST

/*
 * The secure world freed while a close waits for a call: the threads are
 * unwound in id order, the call's first (the close then finds the session
 * free and closes it) or the close's first (it gives up, BUSY, and the
 * session goes with the secure world). Neither leaks nor touches freed
 * memory (ASan, valgrind), and the machine is clean after.
 */
static void free_while_close_waits(bool close_first)
{
	struct teesim_smc_regs r, rc, rx;
	struct teesim_optee_msg_arg *rpc;
	uint32_t sid = nw_open(&NW, TEESIM_TA_WAIT_UUID), other = 0;

	if (close_first) {
		/* thread 0 busy while the call starts, so that the call gets thread 1 */
		other = nw_open(&NW, TEESIM_TA_WAIT_UUID);
		start_sleeping_call(other, 1000, &rx, &rpc);
		ck_assert_uint_eq(rx.a[3], 0);
	}
	start_sleeping_call(sid, 1000, &r, &rpc);
	if (close_first) {
		while (TEESIM_OPTEE_SMC_RETURN_IS_RPC(nw_resume(&NW, &rx)))
			nw_serve(&NW, &rx);
		ck_assert_uint_eq(nw_close(&NW, other), 0);
	}
	start_waiting_close(sid, &rc, &rpc);
	ck_assert_uint_eq(rc.a[3] < r.a[3], close_first);
	ck_assert_uint_eq(nw_stats(&NW).threads_suspended, 2);
	teesim_sw_free(NW.sw);
	NW.sw = teesim_sw_new(TH_M, NULL);
	ck_assert_ptr_nonnull(NW.sw);
}

START_TEST(test_free_while_close_waits)
{
	free_while_close_waits(false);
	free_while_close_waits(true);
}
END_TEST

static unsigned char IMAGE[64];

START_TEST(test_load_ta)
{
	struct teesim_optee_msg_arg *a;
	struct teesim_uuid u;
	uint32_t sid;

	/* no image in the supplicant: the open fails */
	a = nw_open_msg(&NW, TEESIM_TA_LOAD_UUID, 0);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	ck_assert_uint_eq(a->session, 0);
	ck_assert_uint_eq(NW.cmd_count[TEESIM_OPTEE_RPC_CMD_LOAD_TA], 1);

	/* a wrong image: SECURITY, and the buffer went back */
	memcpy(IMAGE, "TEESIMTA", 8);
	NW.ta_image = IMAGE;
	NW.ta_image_size = sizeof(IMAGE);
	a = nw_open_msg(&NW, TEESIM_TA_LOAD_UUID, 0);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, TEESIM_OPTEE_ERROR_SECURITY);
	ck_assert_uint_eq(NW.cmd_count[TEESIM_OPTEE_RPC_CMD_SHM_ALLOC], 1);
	ck_assert_uint_eq(NW.cmd_count[TEESIM_OPTEE_RPC_CMD_SHM_FREE], 1);

	/* the right one: size query, SHM_ALLOC (APPL), LOAD_TA, SHM_FREE */
	ck_assert_int_eq(teesim_uuid_parse(TEESIM_TA_LOAD_UUID, &u), 0);
	memcpy(IMAGE + 8, u.b, 16);
	sid = nw_open(&NW, TEESIM_TA_LOAD_UUID);
	ck_assert_uint_eq(NW.cmd_count[TEESIM_OPTEE_RPC_CMD_LOAD_TA], 5);
	ck_assert_uint_eq(NW.cmd_count[TEESIM_OPTEE_RPC_CMD_SHM_FREE], 2);
	/* loaded: a second session needs no load */
	{
		uint32_t sid2 = nw_open(&NW, TEESIM_TA_LOAD_UUID);

		ck_assert_uint_eq(NW.cmd_count[TEESIM_OPTEE_RPC_CMD_LOAD_TA], 5);
		ck_assert_uint_eq(nw_close(&NW, sid2), 0);
	}
	a = nw_invoke_msg(&NW, sid, 0, 0);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
	/* unloaded with its last session */
	sid = nw_open(&NW, TEESIM_TA_LOAD_UUID);
	ck_assert_uint_eq(NW.cmd_count[TEESIM_OPTEE_RPC_CMD_LOAD_TA], 7);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
	ck_assert_uint_eq(nw_stats(&NW).rpc_shm_objects, 0);
}
END_TEST

static uint32_t single_invoke(void *ctx, struct teesim_ta_call *c, void *sess, uint32_t func)
{
	(void) ctx;
	(void) c;
	(void) sess;
	(void) func;
	return 0;
}

START_TEST(test_single_session)
{
	static const struct teesim_ta_ops ops = {.invoke = single_invoke};
	struct teesim_ta_desc d = {.ops = &ops, .flags = TEESIM_TA_FLAG_SINGLE_SESSION};
	struct teesim_optee_msg_arg *a;
	uint32_t sid;

	ck_assert_int_eq(teesim_uuid_parse(MY_UUID, &d.uuid), 0);
	ck_assert_int_eq(teesim_sw_ta_register(NW.sw, &d), 0);
	sid = nw_open(&NW, MY_UUID);
	a = nw_open_msg(&NW, MY_UUID, 0);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, TEESIM_OPTEE_ERROR_BUSY);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
	sid = nw_open(&NW, MY_UUID);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sw-ta");
	TCase *tc = tcase_create("ta");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_custom_ta);
	tcase_add_test(tc, test_uuid_parse);
	tcase_add_test(tc, test_panic);
	tcase_add_test(tc, test_wait);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_close_waits_for_call);
	tcase_add_test(tc, test_free_while_close_waits);
	tcase_add_test(tc, test_load_ta);
	tcase_add_test(tc, test_single_session);
	suite_add_tcase(s, tc);
	return th_run(s);
}
