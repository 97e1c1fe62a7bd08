/* SPDX-License-Identifier: MIT */
/*
 * The supplicant model: LOAD_TA (two-phase), plugins, unsupported commands,
 * fault knobs, argument checks and counters.
 */
#include <pthread.h>
#include <stdlib.h>

#include "harness.h"
#include "supp-req.h"

static struct teesim_supplicant *S;

static void setup(void)
{
	S = teesim_supplicant_new();
	ck_assert_ptr_nonnull(S);
}

static void teardown(void)
{
	teesim_supplicant_free(S);
	S = NULL;
}

static struct teesim_supplicant_stats stats(void)
{
	struct teesim_supplicant_stats st;

	memset(&st, 0xff, sizeof(st));
	teesim_supplicant_stats(S, &st);
	return st;
}

/* 8d82573a-926d-4754-9353-32dc29997f74 in wire order */
static const uint8_t UUID_A[16] = {0x8d, 0x82, 0x57, 0x3a, 0x92, 0x6d, 0x47, 0x54,
				   0x93, 0x53, 0x32, 0xdc, 0x29, 0x99, 0x7f, 0x74};
static const uint8_t UUID_B[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

/* value.a / value.b of LOAD_TA: the octets in memory order (little-endian words). */
static void uuid_words(const uint8_t u[16], uint64_t *a, uint64_t *b)
{
	unsigned i;

	*a = *b = 0;
	for (i = 0; i < 8; i++) {
		*a |= (uint64_t) u[i] << (8 * i);
		*b |= (uint64_t) u[8 + i] << (8 * i);
	}
}

static void load_req(struct req *r, const uint8_t u[16], uint64_t mtype, void *buf, size_t size)
{
	uint64_t a, b;

	uuid_words(u, &a, &b);
	req_init(r, TEESIM_OPTEE_RPC_CMD_LOAD_TA);
	req_val(r, VAL_IN, a, b, 0);
	req_mem(r, mtype, buf, size);
}

static unsigned char image[3000];

static void add_ta(void)
{
	size_t i;

	for (i = 0; i < sizeof(image); i++)
		image[i] = (unsigned char) (i * 7 + 1);
	th_assert_err(teesim_supplicant_ta_add(S, UUID_A, image, sizeof(image)), 0);
}

START_TEST(test_load_two_phase)
{
	unsigned char *buf = malloc(4000);
	struct req r;

	ck_assert_ptr_nonnull(buf);
	add_ta();
	ck_assert_uint_eq(stats().tas, 1);

	/* phase 1, as OP-TEE does it: no buffer (shm id -1): the size, and success */
	load_req(&r, UUID_A, MEM_OUT, NULL, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(r.p[1].b, sizeof(image));
	ck_assert_uint_eq(stats().ta_loads, 0);

	/* a buffer too small: SHORT_BUFFER with the size, nothing copied */
	memset(buf, 0xee, 4000);
	load_req(&r, UUID_A, MEM_OUT, buf, 100);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_SHORT_BUFFER);
	ck_assert_uint_eq(r.p[1].b, sizeof(image));
	ck_assert_uint_eq(buf[0], 0xee);
	/* an empty buffer that exists is too small too */
	load_req(&r, UUID_A, MEM_INOUT, buf, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_SHORT_BUFFER);
	ck_assert_uint_eq(r.p[1].b, sizeof(image));

	/* phase 2: exactly the size */
	load_req(&r, UUID_A, MEM_OUT, buf, sizeof(image));
	assert_res(req_serve(S, &r), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(r.p[1].b, sizeof(image));
	ck_assert_mem_eq(buf, image, sizeof(image));
	ck_assert_uint_eq(stats().ta_loads, 1);

	/* a bigger buffer: the size shrinks to the image, the rest is untouched */
	memset(buf, 0xee, 4000);
	load_req(&r, UUID_A, MEM_INOUT, buf, 4000);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(r.p[1].b, sizeof(image));
	ck_assert_mem_eq(buf, image, sizeof(image));
	ck_assert_uint_eq(buf[sizeof(image)], 0xee);
	ck_assert_uint_eq(stats().ta_loads, 2);
	free(buf);
}
END_TEST

START_TEST(test_load_errors)
{
	unsigned char buf[16];
	struct req r;

	add_ta();
	/* unknown UUID, with or without a buffer; the size is left alone */
	load_req(&r, UUID_B, MEM_OUT, NULL, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	ck_assert_uint_eq(r.p[1].b, 0);
	load_req(&r, UUID_B, MEM_OUT, buf, sizeof(buf));
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	ck_assert_uint_eq(r.p[1].b, sizeof(buf));

	/* the UUID is the octets of value.a then value.b, little-endian: swapped is another */
	load_req(&r, UUID_A, MEM_OUT, NULL, 0);
	r.p[0].a = __builtin_bswap64(r.p[0].a);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);

	/* a size query makes no sense on an input memref */
	load_req(&r, UUID_A, MEM_IN, NULL, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	/* a size past the end of the shm */
	load_req(&r, UUID_A, MEM_OUT, buf, sizeof(buf));
	r.m[1].room = sizeof(buf) - 1;
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	/* types and counts */
	load_req(&r, UUID_A, MEM_OUT, NULL, 0);
	r.p[0].attr = MEM_IN;
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	load_req(&r, UUID_A, MEM_OUT, NULL, 0);
	r.p[1].attr = VAL_OUT;
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	load_req(&r, UUID_A, MEM_OUT, NULL, 0);
	r.p[1].attr = TEE_IOCTL_PARAM_ATTR_TYPE_NONE;
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	load_req(&r, UUID_A, MEM_OUT, NULL, 0);
	r.n = 1;
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	load_req(&r, UUID_A, MEM_OUT, NULL, 0);
	req_val(&r, VAL_IN, 0, 0, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	req_init(&r, TEESIM_OPTEE_RPC_CMD_LOAD_TA);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	/* any value type carries the UUID; other attribute bits are ignored */
	load_req(&r, UUID_A, MEM_OUT, NULL, 0);
	r.p[0].attr = VAL_INOUT | TEE_IOCTL_PARAM_ATTR_META;
	assert_res(req_serve(S, &r), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(r.p[1].b, sizeof(image));
	/* without a memref table at all, every memref is unresolved */
	load_req(&r, UUID_A, MEM_OUT, buf, sizeof(buf));
	{
		uint32_t ret = 0;

		th_assert_err(teesim_supplicant_serve(S, r.func, r.n, r.p, NULL, &ret), 0);
		assert_res(ret, TEESIM_OPTEE_SUCCESS);
		ck_assert_uint_eq(r.p[1].b, sizeof(image));
	}
	ck_assert_uint_eq(stats().ta_loads, 0);
}
END_TEST

START_TEST(test_ta_store)
{
	unsigned char img[4] = {1, 2, 3, 4};
	struct req r;

	th_assert_err(teesim_supplicant_ta_add(NULL, UUID_A, img, 4), -EINVAL);
	th_assert_err(teesim_supplicant_ta_add(S, NULL, img, 4), -EINVAL);
	th_assert_err(teesim_supplicant_ta_add(S, UUID_A, NULL, 4), -EINVAL);
	th_assert_err(teesim_supplicant_ta_add(S, UUID_A, img, 0), -EINVAL);
	th_assert_err(teesim_supplicant_ta_add(S, UUID_A, img, 4), 0);
	img[0] = 9; /* the store has its own copy */
	th_assert_err(teesim_supplicant_ta_add(S, UUID_A, img, 4), -EEXIST);
	th_assert_err(teesim_supplicant_ta_add(S, UUID_B, img, 2), 0);
	ck_assert_uint_eq(stats().tas, 2);

	load_req(&r, UUID_A, MEM_OUT, img, 4);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(img[0], 1);
	load_req(&r, UUID_B, MEM_OUT, NULL, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(r.p[1].b, 2);

	th_assert_err(teesim_supplicant_ta_remove(S, UUID_A), 0);
	th_assert_err(teesim_supplicant_ta_remove(S, UUID_A), -ENOENT);
	th_assert_err(teesim_supplicant_ta_remove(S, NULL), -EINVAL);
	th_assert_err(teesim_supplicant_ta_remove(NULL, UUID_A), -EINVAL);
	ck_assert_uint_eq(stats().tas, 1);
	load_req(&r, UUID_A, MEM_OUT, NULL, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
}
END_TEST

/* ---- plugins ---- */

struct plug {
	unsigned calls;
	uint32_t cmd, sub_cmd;
	size_t in_len;
	uint32_t res;
	size_t out_len;
};

/* Records the call, reverses the data in place, returns p->res. */
static uint32_t plug_fn(void *ctx, uint32_t cmd, uint32_t sub_cmd, void *data, size_t in_len,
			size_t *out_len)
{
	struct plug *p = ctx;
	unsigned char *d = data;
	size_t i;

	p->calls++;
	p->cmd = cmd;
	p->sub_cmd = sub_cmd;
	p->in_len = in_len;
	for (i = 0; i < in_len / 2; i++) {
		unsigned char t = d[i];

		d[i] = d[in_len - 1 - i];
		d[in_len - 1 - i] = t;
	}
	*out_len = p->out_len;
	return p->res;
}

/* d1..d4: 32-bit little-endian words of the octets */
static uint64_t word(const uint8_t *u)
{
	return (uint64_t) u[0] | (uint64_t) u[1] << 8 | (uint64_t) u[2] << 16 |
	       (uint64_t) u[3] << 24;
}

static void plugin_req(struct req *r, const uint8_t u[16], uint32_t cmd, uint32_t sub_cmd,
		       void *data, size_t len)
{
	req_init(r, TEESIM_OPTEE_RPC_CMD_SUPP_PLUGIN);
	req_val(r, VAL_IN, 0, word(u), word(u + 4));
	req_val(r, VAL_IN, word(u + 8), word(u + 12), cmd);
	req_val(r, VAL_INOUT, sub_cmd, 0, 0);
	req_mem(r, MEM_INOUT, data, len);
}

START_TEST(test_plugin)
{
	struct plug p = {.res = TEESIM_OPTEE_SUCCESS, .out_len = 3};
	unsigned char data[4] = {1, 2, 3, 4};
	struct req r;

	th_assert_err(teesim_supplicant_plugin_register(S, UUID_A, plug_fn, &p), 0);
	th_assert_err(teesim_supplicant_plugin_register(S, UUID_A, plug_fn, &p), -EEXIST);
	th_assert_err(teesim_supplicant_plugin_register(S, UUID_B, NULL, &p), -EINVAL);
	th_assert_err(teesim_supplicant_plugin_register(S, NULL, plug_fn, &p), -EINVAL);
	th_assert_err(teesim_supplicant_plugin_register(NULL, UUID_B, plug_fn, &p), -EINVAL);
	ck_assert_uint_eq(stats().plugins, 1);

	plugin_req(&r, UUID_A, 0x11, 0x22, data, sizeof(data));
	assert_res(req_serve(S, &r), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(p.calls, 1);
	ck_assert_uint_eq(p.cmd, 0x11);
	ck_assert_uint_eq(p.sub_cmd, 0x22);
	ck_assert_uint_eq(p.in_len, 4);
	ck_assert_uint_eq(r.p[2].b, 3); /* out length */
	ck_assert_uint_eq(r.p[3].b, 4); /* the memref size is not changed */
	ck_assert_uint_eq(data[0], 4);
	ck_assert_uint_eq(data[3], 1);

	/* the plugin's result is the answer, and the out length still comes back */
	p.res = TEESIM_OPTEE_ERROR_BAD_STATE;
	p.out_len = 1;
	plugin_req(&r, UUID_A, 1, 2, NULL, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_STATE);
	ck_assert_uint_eq(p.in_len, 0);
	ck_assert_uint_eq(r.p[2].b, 1);
	ck_assert_uint_eq(p.calls, 2);

	/* no such plugin; an unknown method; data without a buffer */
	plugin_req(&r, UUID_B, 1, 2, data, 4);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	plugin_req(&r, UUID_A, 1, 2, data, 4);
	r.p[0].a = 1;
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_NOT_SUPPORTED);
	plugin_req(&r, UUID_A, 1, 2, NULL, 4);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	plugin_req(&r, UUID_A, 1, 2, data, 4);
	r.m[3].room = 3;
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	/* the upper halves of the UUID words are not part of it */
	p.res = TEESIM_OPTEE_SUCCESS;
	plugin_req(&r, UUID_A, 1, 2, data, 4);
	r.p[0].b |= 0xabcd00000000ull;
	assert_res(req_serve(S, &r), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(p.calls, 3);
	/* types and count */
	{
		static const uint64_t want[4] = {VAL_IN, VAL_IN, VAL_INOUT, MEM_INOUT};
		unsigned i;

		for (i = 0; i < 4; i++) {
			plugin_req(&r, UUID_A, 1, 2, data, 4);
			r.p[i].attr = want[i] == VAL_IN ? VAL_INOUT : VAL_IN;
			assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
		}
	}
	plugin_req(&r, UUID_A, 1, 2, data, 4);
	r.n = 3;
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	ck_assert_uint_eq(p.calls, 3);
}
END_TEST

START_TEST(test_not_supported)
{
	static const uint32_t cmds[] = {
	    TEESIM_OPTEE_RPC_CMD_RPMB,
	    TEESIM_OPTEE_RPC_CMD_GET_TIME,
	    TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE,
	    TEESIM_OPTEE_RPC_CMD_SUSPEND,
	    TEESIM_OPTEE_RPC_CMD_SHM_ALLOC,
	    TEESIM_OPTEE_RPC_CMD_SHM_FREE,
	    TEESIM_OPTEE_RPC_CMD_SQL_FS_RESERVED,
	    TEESIM_OPTEE_RPC_CMD_GPROF,
	    TEESIM_OPTEE_RPC_CMD_SOCKET,
	    TEESIM_OPTEE_RPC_CMD_FTRACE,
	    TEESIM_OPTEE_RPC_CMD_BENCH_REG,
	    TEESIM_OPTEE_RPC_CMD_I2C_TRANSFER,
	    TEESIM_OPTEE_RPC_CMD_RPMB_PROBE_RESET,
	    13,
	    0xffffffffu,
	};
	unsigned char buf[8] = {0};
	struct req r;
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		req_init(&r, cmds[i]);
		req_val(&r, VAL_INOUT, 1, 2, 3);
		req_mem(&r, MEM_INOUT, buf, sizeof(buf));
		assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_NOT_SUPPORTED);
		ck_assert_uint_eq(r.p[0].a, 1);
		ck_assert_uint_eq(r.p[0].b, 2);
		ck_assert_uint_eq(r.p[0].c, 3);
		ck_assert_uint_eq(r.p[1].b, sizeof(buf));
	}
	ck_assert_uint_eq(stats().requests, i);
	ck_assert_uint_eq(stats().errors, i);
}
END_TEST

START_TEST(test_serve_args)
{
	struct tee_ioctl_param p;
	uint32_t ret = 5;

	memset(&p, 0, sizeof(p));
	th_assert_err(teesim_supplicant_serve(NULL, 0, 0, NULL, NULL, &ret), -EINVAL);
	th_assert_err(teesim_supplicant_serve(S, 0, 0, NULL, NULL, NULL), -EINVAL);
	th_assert_err(teesim_supplicant_serve(S, 0, 1, NULL, NULL, &ret), -EINVAL);
	ck_assert_uint_eq(ret, 5);
	ck_assert_uint_eq(stats().requests, 0);
	/* no params at all is a request like any other */
	th_assert_err(teesim_supplicant_serve(S, TEESIM_OPTEE_RPC_CMD_FS, 0, NULL, NULL, &ret), 0);
	assert_res(ret, TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	th_assert_err(teesim_supplicant_serve(S, TEESIM_OPTEE_RPC_CMD_FS, 1, &p, NULL, &ret), 0);
	assert_res(ret, TEESIM_OPTEE_ERROR_BAD_PARAMETERS); /* param 0 is NONE */
	ck_assert_uint_eq(stats().requests, 2);
	teesim_supplicant_free(NULL);
	teesim_supplicant_stats(NULL, NULL);
	teesim_supplicant_fail_next(NULL, 1, 0);
}
END_TEST

/* ---- fault knobs ---- */

START_TEST(test_fail_next)
{
	struct req r;
	int i;

	add_ta();
	teesim_supplicant_fail_next(S, 2, TEESIM_OPTEE_ERROR_BUSY);
	for (i = 0; i < 2; i++) {
		load_req(&r, UUID_A, MEM_OUT, NULL, 0);
		assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BUSY);
		ck_assert_uint_eq(r.p[1].b, 0); /* not served: untouched */
	}
	load_req(&r, UUID_A, MEM_OUT, NULL, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(r.p[1].b, sizeof(image));

	/* cancelled with 0 */
	teesim_supplicant_fail_next(S, 5, TEESIM_OPTEE_ERROR_BUSY);
	teesim_supplicant_fail_next(S, 0, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_SUCCESS);
	/* a "failure" with success is served as a success, untouched */
	teesim_supplicant_fail_next(S, 1, TEESIM_OPTEE_SUCCESS);
	load_req(&r, UUID_A, MEM_OUT, NULL, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(r.p[1].b, 0);
	ck_assert_uint_eq(stats().requests, 5);
	ck_assert_uint_eq(stats().errors, 2);
}
END_TEST

START_TEST(test_stop)
{
	struct req r;
	uint32_t ret = 77;

	add_ta();
	th_assert_err(teesim_supplicant_stop(S, TEESIM_SUPPLICANT_STOP_ANSWER,
					     TEESIM_OPTEE_ERROR_COMMUNICATION),
		      0);
	teesim_supplicant_fail_next(S, 1, TEESIM_OPTEE_ERROR_BUSY);
	load_req(&r, UUID_A, MEM_OUT, NULL, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_COMMUNICATION);
	ck_assert_uint_eq(r.p[1].b, 0);

	th_assert_err(teesim_supplicant_stop(S, TEESIM_SUPPLICANT_STOP_SILENT, 0), 0);
	th_assert_err(teesim_supplicant_serve(S, r.func, r.n, r.p, r.m, &ret), -EPIPE);
	th_assert_err(teesim_supplicant_serve(S, r.func, r.n, r.p, r.m, &ret), -EPIPE);
	ck_assert_uint_eq(ret, 77);
	ck_assert_uint_eq(r.p[1].b, 0);
	ck_assert_uint_eq(stats().dropped, 2);
	ck_assert_uint_eq(stats().requests, 1);

	th_assert_err(teesim_supplicant_stop(S, (enum teesim_supplicant_stop) 3, 0), -EINVAL);
	th_assert_err(teesim_supplicant_stop(NULL, TEESIM_SUPPLICANT_RUNNING, 0), -EINVAL);
	th_assert_err(teesim_supplicant_stop(S, TEESIM_SUPPLICANT_RUNNING, 0), 0);
	/* the fail_next armed while stopped is still pending */
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BUSY);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(r.p[1].b, sizeof(image));
	ck_assert_uint_eq(stats().requests, 3);
	ck_assert_uint_eq(stats().errors, 2);
}
END_TEST

/* ---- threads ---- */

struct worker {
	unsigned id;
	unsigned ok;
};

/* Each thread creates, writes, reads back and removes its own files. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned i;

	for (i = 0; i < 200; i++) {
		char name[32] = {0}, back[8] = {0};
		uint64_t fd;
		struct req r;

		snprintf(name, sizeof(name), "t%u/f%u", w->id, i % 7);
		req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
		req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_CREATE, 0, 0);
		req_name(&r, name);
		req_val(&r, VAL_OUT, 0, 0, 0);
		if (req_serve(S, &r) != TEESIM_OPTEE_SUCCESS)
			continue;
		fd = r.p[2].a;
		req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
		req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_WRITE, fd, 0);
		req_mem(&r, MEM_IN, name, 8);
		req_serve(S, &r);
		req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
		req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_READ, fd, 0);
		req_mem(&r, MEM_OUT, back, 8);
		if (req_serve(S, &r) == TEESIM_OPTEE_SUCCESS && !memcmp(back, name, 8))
			w->ok++;
		req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
		req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_CLOSE, fd, 0);
		req_serve(S, &r);
		if (i % 3 == 0) {
			req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
			req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_REMOVE, 0, 0);
			req_name(&r, name);
			req_serve(S, &r);
		}
	}
	return NULL;
}

START_TEST(test_threads)
{
	struct worker w[4];
	pthread_t t[4];
	unsigned i;

	for (i = 0; i < 4; i++) {
		w[i].id = i;
		w[i].ok = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_uint_eq(w[i].ok, 200);
	}
	ck_assert_uint_eq(stats().open_files, 0);
	ck_assert_uint_eq(stats().requests, 4 * (200 * 4 + 67));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("supp-core");
	TCase *tc = tcase_create("supp-core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tcase_add_test(tc, test_load_two_phase);
	tcase_add_test(tc, test_load_errors);
	tcase_add_test(tc, test_ta_store);
	tcase_add_test(tc, test_plugin);
	tcase_add_test(tc, test_not_supported);
	tcase_add_test(tc, test_serve_args);
	tcase_add_test(tc, test_fail_next);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_threads);
	return th_run(s);
}
