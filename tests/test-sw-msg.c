/* SPDX-License-Identifier: MIT */
/*
 * Secure world, yielding calls and messages: where the argument may be, the
 * commands, OPEN/INVOKE/CLOSE/CANCEL with value parameters, every rejection
 * and that a rejection changes nothing, the decoded view and the
 * double-fetch counters.
 */
#include "test-sw-nw.h"

#define VIN   TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT
#define VOUT  TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT
#define VIO   TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT
#define META  TEESIM_OPTEE_MSG_ATTR_META
#define BADP  TEESIM_OPTEE_ERROR_BAD_PARAMETERS
#define O_TEE TEESIM_OPTEE_ORIGIN_TEE

static struct nw NW;

static void setup_gen(enum teesim_optee_gen gen)
{
	th_setup();
	nw_init(&NW, TH_M, gen);
}

static void setup_head(void)
{
	setup_gen(TEESIM_OPTEE_GEN_HEAD);
}

static void setup_30(void)
{
	setup_gen(TEESIM_OPTEE_GEN_3_0);
}

static void teardown(void)
{
	ck_assert_uint_eq(nw_stats(&NW).threads_busy, 0);
	nw_fini(&NW);
	th_teardown();
}

/* NOP invoke with values in @a at PA @pa (message already built there). */
static void fill_values(struct teesim_optee_msg_arg *a)
{
	a->params[0].attr = VIN;
	a->params[0].u.value.a = 10;
	a->params[1].attr = VOUT;
	a->params[1].u.value.a = 20;
	a->params[2].attr = VIO;
	a->params[2].u.value.a = 0x100000030ull; /* upper half dropped: GP values are 32-bit */
	a->params[2].u.value.b = 7;
	a->params[2].u.value.c = 0xc0ffee;
}

START_TEST(test_open_invoke_close)
{
	uint32_t sid = nw_open(&NW, TEESIM_TA_MEM_UUID);
	struct teesim_optee_msg_arg *a;
	struct teesim_sw_session_info si[2];

	ck_assert_uint_eq(nw_stats(&NW).sessions, 1);
	ck_assert_uint_eq(teesim_sw_sessions(NW.sw, si, 2), 1);
	ck_assert_uint_eq(si[0].id, sid);
	ck_assert_uint_eq(si[0].login, TEESIM_OPTEE_MSG_LOGIN_PUBLIC);
	a = nw_invoke_msg(&NW, sid, TEESIM_TA_MEM_CMD_NOP, 3);
	fill_values(a);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), TEESIM_OPTEE_SMC_RETURN_OK);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(a->ret_origin, TEESIM_OPTEE_ORIGIN_TRUSTED_APP);
	ck_assert_uint_eq(a->params[0].u.value.a, 10); /* input: not written back */
	ck_assert_uint_eq(a->params[1].u.value.a, 21);
	ck_assert_uint_eq(a->params[2].u.value.a, 0x31);
	ck_assert_uint_eq(a->params[2].u.value.b, 7);
	ck_assert_uint_eq(a->params[2].u.value.c, 0xc0ffee); /* c is never written */
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
	ck_assert_uint_eq(nw_stats(&NW).sessions, 0);
	/* closed: invoke and close are refused */
	a = nw_invoke_msg(&NW, sid, 0, 0);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, BADP);
	ck_assert_uint_eq(a->ret_origin, O_TEE);
	ck_assert_uint_eq(nw_close(&NW, sid), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
}
END_TEST

START_TEST(test_arg_in_pool)
{
	struct teesim_optee_msg_arg *a =
	    (void *) (NW.shm + 0x108); /* 8-aligned, not page-aligned */
	const uint64_t meta = META | VIN;
	uint32_t sid;

	a->cmd = TEESIM_OPTEE_MSG_CMD_OPEN_SESSION;
	a->num_params = 2;
	a->params[0].attr = meta;
	nw_uuid(TEESIM_TA_MEM_UUID, &a->params[0].u.value.a, &a->params[0].u.value.b);
	a->params[1].attr = meta;
	ck_assert_uint_eq(nw_call(&NW, NW.shm_pa + 0x108), 0);
	ck_assert_uint_eq(a->ret, 0);
	sid = a->session;
	ck_assert_uint_ne(sid, 0);
	memset(a, 0, 256);
	a->cmd = TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND;
	a->session = sid;
	a->num_params = 3;
	fill_values(a);
	ck_assert_uint_eq(nw_call(&NW, NW.shm_pa + 0x108), 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(a->params[1].u.value.a, 21);
	/* the pool path only needs 8-byte alignment */
	ck_assert_uint_eq(nw_call(&NW, NW.shm_pa + 0x10c), TEESIM_OPTEE_SMC_RETURN_EBADADDR);
	/* an argument running past the end of the pool */
	a = (void *) (NW.shm + NW.shm_size - 64);
	memset(a, 0, 64);
	a->cmd = TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION;
	a->num_params = 2; /* 96 bytes in the last 64 */
	ck_assert_uint_eq(nw_call(&NW, NW.shm_pa + NW.shm_size - 64),
			  TEESIM_OPTEE_SMC_RETURN_EBADADDR);
	a->num_params = 0;
	a->session = sid;
	ck_assert_uint_eq(nw_call(&NW, NW.shm_pa + NW.shm_size - 64), 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(nw_stats(&NW).sessions, 0);
}
END_TEST

START_TEST(test_bad_addresses)
{
	struct teesim_machine_cfg const *mc = teesim_machine_cfg(TH_M);
	struct teesim_optee_msg_arg *a = nw_open_msg(&NW, TEESIM_TA_MEM_UUID, 0);
	const teesim_pa_t bad[] = {
	    NW.arg_pa + 8,		 /* dynamic path: page alignment */
	    mc->secure_base,		 /* secure memory */
	    mc->ram_base + mc->ram_size, /* past RAM */
	    0x1000,			 /* nothing there */
	    0xfffffffffffff000ull,	 /* wraps */
	    mc->secure_base + mc->secure_size - 4096,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(nw_call(&NW, bad[i]) == TEESIM_OPTEE_SMC_RETURN_EBADADDR, "pa %llx",
			      (unsigned long long) bad[i]);
	/* more params than fit the page; HEAD bounds num_params at 127 */
	a->num_params = 128;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), TEESIM_OPTEE_SMC_RETURN_EBADADDR);
	a->num_params = 127;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), TEESIM_OPTEE_SMC_RETURN_OK);
	ck_assert_uint_eq(a->ret, BADP);
	/* nothing was opened, no violation recorded: secure memory was never touched */
	ck_assert_uint_eq(nw_stats(&NW).sessions, 0);
	ck_assert_uint_eq(teesim_machine_violations(TH_M, NULL, 0), 0);
}
END_TEST

START_TEST(test_num_params_30)
{
	/* 3.0 bounds the static-pool path only by the pool: a long message
	 * reaches the command, which refuses it; the dynamic path still fails */
	struct teesim_optee_msg_arg *a = (void *) NW.shm;

	memset(a, 0, 8192);
	a->cmd = TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND;
	a->num_params = 200;
	a->ret = 0x1234;
	ck_assert_uint_eq(nw_call(&NW, NW.shm_pa), TEESIM_OPTEE_SMC_RETURN_OK);
	ck_assert_uint_eq(a->ret, BADP);
	a = nw_msg(&NW, TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND, 200);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), TEESIM_OPTEE_SMC_RETURN_EBADADDR);
	/* 3.0 has no CALL_WITH_RPC_ARG */
	ck_assert_uint_eq(nw_call_fid(&NW, TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG, NW.arg_pa),
			  TEESIM_OPTEE_SMC_RETURN_EBADCMD);
	/* no REE_KERNEL login either */
	a = nw_open_msg(&NW, TEESIM_TA_MEM_UUID, 0);
	a->params[1].u.value.c = TEESIM_OPTEE_MSG_LOGIN_REE_KERNEL;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, BADP);
}
END_TEST

START_TEST(test_no_dynamic_shm)
{
	struct teesim_sw_cfg cfg;
	struct teesim_optee_msg_arg *a;

	nw_fini(&NW);
	teesim_sw_cfg_default(&cfg, TEESIM_OPTEE_GEN_3_0);
	cfg.sec_caps = TEESIM_OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM;
	nw_init_cfg(&NW, TH_M, &cfg);
	/* arguments must then live in the pool, and REGISTER_SHM is unknown */
	nw_open_msg(&NW, TEESIM_TA_MEM_UUID, 0);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), TEESIM_OPTEE_SMC_RETURN_EBADADDR);
	a = (void *) NW.shm;
	memset(a, 0, 64);
	a->cmd = TEESIM_OPTEE_MSG_CMD_REGISTER_SHM;
	a->ret = 0x77;
	ck_assert_uint_eq(nw_call(&NW, NW.shm_pa), TEESIM_OPTEE_SMC_RETURN_EBADCMD);
	ck_assert_uint_eq(a->ret, 0x77);
}
END_TEST

START_TEST(test_bad_commands)
{
	struct teesim_optee_msg_arg *a;
	uint32_t sid = nw_open(&NW, TEESIM_TA_MEM_UUID);
	const uint32_t cmds[] = {6, 7, 8, 11, 12, 0xffffffffu};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		a = nw_msg(&NW, cmds[i], 0);
		a->ret = 0x5555;
		ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), TEESIM_OPTEE_SMC_RETURN_EBADCMD);
		ck_assert_uint_eq(a->ret, 0x5555); /* untouched */
	}
	/* CLOSE and CANCEL take no params */
	a = nw_msg(&NW, TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION, 1);
	a->session = sid;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, BADP);
	a = nw_msg(&NW, TEESIM_OPTEE_MSG_CMD_CANCEL, 1);
	a->session = sid;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, BADP);
	a = nw_msg(&NW, TEESIM_OPTEE_MSG_CMD_CANCEL, 0);
	a->session = sid;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(a->ret_origin, O_TEE);
	a = nw_msg(&NW, TEESIM_OPTEE_MSG_CMD_CANCEL, 0);
	a->session = sid + 100;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_ne(a->ret, 0);
	ck_assert_uint_eq(nw_stats(&NW).sessions, 1);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
}
END_TEST

START_TEST(test_open_errors)
{
	struct teesim_optee_msg_arg *a;
	int i;

	for (i = 0; i < 9; i++) {
		uint32_t want = BADP;

		a = nw_open_msg(&NW, TEESIM_TA_MEM_UUID, 0);
		a->session = 0xdeadbeef;
		switch (i) {
		case 0:
			a->num_params = 1;
			break;
		case 1:
			a->params[0].attr = VIN;
			break;
		case 2:
			a->params[1].attr = META | VIO;
			break;
		case 3:
			a->params[1].u.value.c = 3; /* no such login */
			break;
		case 4:
			a->params[1].u.value.c = 1ull << 32;
			break;
		case 5:
			a->num_params = 7; /* five TA params */
			break;
		case 6:
			nw_uuid("01234567-89ab-cdef-0123-456789abcdef", &a->params[0].u.value.a,
				&a->params[0].u.value.b);
			want = TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND;
			break;
		case 7:
			a->num_params = 3;
			a->params[2].attr = META | VIN; /* meta among the TA params */
			break;
		default:
			a->num_params = 3;
			a->params[2].attr = 4; /* no such type */
			break;
		}
		ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
		ck_assert_msg(a->ret == want, "case %d: ret %x", i, a->ret);
		ck_assert_uint_eq(a->ret_origin, O_TEE);
		ck_assert_uint_eq(a->session, 0);
	}
	ck_assert_uint_eq(nw_stats(&NW).sessions, 0);
	ck_assert_uint_eq(nw_stats(&NW).threads_busy, 0);
}
END_TEST

START_TEST(test_invoke_bad_params)
{
	uint32_t sid = nw_open(&NW, TEESIM_TA_MEM_UUID);
	const uint64_t attrs[] = {4,
				  8,
				  0xc,
				  0xff,
				  VIN | META,
				  VIN | (1u << 9),
				  VIN | (1u << 16),
				  TEESIM_OPTEE_MSG_ATTR_TYPE_NONE | (1ull << 40)};
	struct teesim_optee_msg_arg *a;

	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		a = nw_invoke_msg(&NW, sid, TEESIM_TA_MEM_CMD_NOP, 2);
		a->params[0].attr = VOUT;
		a->params[0].u.value.a = 5;
		a->params[1].attr = attrs[i];
		ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
		ck_assert_msg(a->ret == BADP, "attr %llx: ret %x", (unsigned long long) attrs[i],
			      a->ret);
		ck_assert_uint_eq(a->ret_origin, O_TEE);
		/* the TA never ran: the output is as it was */
		ck_assert_uint_eq(a->params[0].u.value.a, 5);
	}
	a = nw_invoke_msg(&NW, sid, TEESIM_TA_MEM_CMD_NOP, 5);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, BADP);
	/* unknown TA command: the TA's own answer, origin TA */
	a = nw_invoke_msg(&NW, sid, 999, 0);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, TEESIM_OPTEE_ERROR_NOT_SUPPORTED);
	ck_assert_uint_eq(a->ret_origin, TEESIM_OPTEE_ORIGIN_TRUSTED_APP);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
}
END_TEST

START_TEST(test_decoded_view)
{
	uint32_t sid = nw_open(&NW, TEESIM_TA_MEM_UUID);
	struct teesim_optee_msg_arg *a = nw_invoke_msg(&NW, sid, TEESIM_TA_MEM_CMD_NOP, 3);
	struct teesim_sw_request req;

	fill_values(a);
	a->cancel_id = 77;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_int_eq(teesim_sw_last_request(NW.sw, &req), 0);
	ck_assert_uint_eq(req.cmd, TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND);
	ck_assert_uint_eq(req.session, sid);
	ck_assert_uint_eq(req.cancel_id, 77);
	ck_assert_uint_eq(req.num_params, 3);
	ck_assert_int_eq(req.params[0].kind, TEESIM_SW_PARAM_VALUE);
	ck_assert_uint_eq(req.params[0].a, 10);
	ck_assert_uint_eq(req.params[2].c, 0xc0ffee);
	ck_assert_uint_eq(req.ret, 0);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
}
END_TEST

static unsigned HOOKED;
static uint32_t HOOK_CMDS[8];

static void req_hook(void *ctx, const struct teesim_sw_request *req)
{
	ck_assert_ptr_eq(ctx, &NW);
	if (HOOKED < 8)
		HOOK_CMDS[HOOKED] = req->cmd;
	HOOKED++;
}

START_TEST(test_request_hook)
{
	uint32_t sid;

	teesim_sw_set_request_hook(NW.sw, req_hook, &NW);
	sid = nw_open(&NW, TEESIM_TA_MEM_UUID);
	fill_values(nw_invoke_msg(&NW, sid, TEESIM_TA_MEM_CMD_NOP, 3));
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	/* a call refused before decoding is not a request */
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa + 8), TEESIM_OPTEE_SMC_RETURN_EBADADDR);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
	teesim_sw_set_request_hook(NW.sw, NULL, NULL);
	ck_assert_uint_eq(HOOKED, 3);
	ck_assert_uint_eq(HOOK_CMDS[0], TEESIM_OPTEE_MSG_CMD_OPEN_SESSION);
	ck_assert_uint_eq(HOOK_CMDS[1], TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND);
	ck_assert_uint_eq(HOOK_CMDS[2], TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION);
}
END_TEST

START_TEST(test_double_fetch)
{
	uint32_t sid = nw_open(&NW, TEESIM_TA_MEM_UUID);
	struct teesim_optee_msg_arg *a = nw_invoke_msg(&NW, sid, TEESIM_TA_MEM_CMD_NOP, 3);

	fill_values(a);
	/* nothing counted yet (the open above ran with counting off): every counter reads 0 */
	for (unsigned off = 0; off < 4096; off += 4) {
		ck_assert_uint_eq(teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_ARG, off), 0);
		ck_assert_uint_eq(teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_RPC_ARG, off), 0);
		ck_assert_uint_eq(teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_PAGE_LIST, off / 4), 0);
	}
	teesim_sw_count_reads(NW.sw, true);
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, 0);
	/* every word of the header and of the params fetched exactly once */
	for (unsigned off = 0; off < TEESIM_OPTEE_MSG_GET_ARG_SIZE(3); off += 4)
		ck_assert_msg(teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_ARG, off) == 1,
			      "offset %u read %u times", off,
			      teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_ARG, off));
	ck_assert_uint_eq(
	    teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_ARG, TEESIM_OPTEE_MSG_GET_ARG_SIZE(3)), 0);
	teesim_sw_count_reads(NW.sw, false);
	ck_assert_uint_eq(nw_close(&NW, sid), 0);
	/* counting off: the last counts stay */
	ck_assert_uint_eq(teesim_sw_reads(NW.sw, TEESIM_SW_FIELD_ARG, 28), 1);
}
END_TEST

START_TEST(test_login_client)
{
	struct teesim_optee_msg_arg *a = nw_open_msg(&NW, TEESIM_TA_MEM_UUID, 0);
	struct teesim_sw_session_info si;

	a->params[1].u.value.a = 0x0706050403020100ull;
	a->params[1].u.value.b = 0x0f0e0d0c0b0a0908ull;
	a->params[1].u.value.c = TEESIM_OPTEE_MSG_LOGIN_REE_KERNEL;
	ck_assert_uint_eq(nw_call(&NW, NW.arg_pa), 0);
	ck_assert_uint_eq(a->ret, 0);
	ck_assert_uint_eq(teesim_sw_sessions(NW.sw, &si, 1), 1);
	ck_assert_uint_eq(si.login, TEESIM_OPTEE_MSG_LOGIN_REE_KERNEL);
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(si.client.b[i], i); /* octets in memory order */
	ck_assert_uint_eq(si.uuid.b[0], 0x5c);
	ck_assert_uint_eq(nw_close(&NW, si.id), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sw-msg");
	TCase *tc = tcase_create("head");

	tcase_add_checked_fixture(tc, setup_head, teardown);
	tcase_add_test(tc, test_open_invoke_close);
	tcase_add_test(tc, test_arg_in_pool);
	tcase_add_test(tc, test_bad_addresses);
	tcase_add_test(tc, test_bad_commands);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_invoke_bad_params);
	tcase_add_test(tc, test_decoded_view);
	tcase_add_test(tc, test_double_fetch);
	tcase_add_test(tc, test_request_hook);
	tcase_add_test(tc, test_login_client);
	suite_add_tcase(s, tc);
	tc = tcase_create("gen30");
	tcase_add_checked_fixture(tc, setup_30, teardown);
	tcase_add_test(tc, test_num_params_30);
	tcase_add_test(tc, test_no_dynamic_shm);
	tcase_add_test(tc, test_open_invoke_close);
	suite_add_tcase(s, tc);
	return th_run(s);
}
