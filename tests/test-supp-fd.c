/* SPDX-License-Identifier: MIT */
/*
 * The supplicant over the tee core's supplicant device: RECV, serve, SEND
 * through teesim_ioctl, with requests posted by the core's test driver
 * (tests/testdrv.c) as the OP-TEE driver would queue them.
 */
#include <fcntl.h>
#include <stdlib.h>

#include "harness.h"
#include "supp-req.h"
#include "testdrv.h"

/* [0]: the device registers memory (TEE_GEN_CAP_REG_MEM); [1]: it does not */
static const struct testdrv_cfg cfgs[2] = {{.reg_mem = true, .supplicant = true},
					   {.reg_mem = false, .supplicant = true}};

static const uint8_t UUID_A[16] = {0x8d, 0x82, 0x57, 0x3a, 0x92, 0x6d, 0x47, 0x54,
				   0x93, 0x53, 0x32, 0xdc, 0x29, 0x99, 0x7f, 0x74};

struct fix {
	struct teesim_supplicant *s;
	struct testdrv *td;
	struct teesim_process *p;
	int fd;
};

static struct fix fix_new(int which)
{
	struct fix f;

	f.s = teesim_supplicant_new();
	ck_assert_ptr_nonnull(f.s);
	f.td = testdrv_new(TH_M, &cfgs[which]);
	f.p = tproc(TH_M);
	f.fd = teesim_open(f.p, "/dev/teepriv0", O_RDWR);
	ck_assert_int_eq(f.fd, 3);
	return f;
}

static void fix_done(struct fix *f)
{
	teesim_process_free(f->p);
	teesim_supplicant_free(f->s);
	testdrv_free(f->td);
	th_core_clean(TH_M);
}

static struct teesim_supplicant_stats stats(struct fix *f)
{
	struct teesim_supplicant_stats st;

	teesim_supplicant_stats(f->s, &st);
	return st;
}

static struct tee_param value(uint64_t attr, uint64_t a, uint64_t b, uint64_t c)
{
	struct tee_param p = {.attr = attr};

	p.u.value.a = a;
	p.u.value.b = b;
	p.u.value.c = c;
	return p;
}

/* Post @func with @n params, serve one round, expect an answer; returns the result. */
static uint32_t round_trip(struct fix *f, uint32_t func, struct tee_param *params, uint32_t n)
{
	testdrv_supp_post(f->td, func, params, n);
	th_assert_err(teesim_supplicant_serve_fd(f->s, f->p, f->fd), 0);
	ck_assert(f->td->req.answered);
	return f->td->req.ret;
}

/* SHM_ALLOC of @size bytes through the supplicant; the shm id */
static int supp_alloc(struct fix *f, uint64_t size)
{
	struct tee_param p = value(VAL_INOUT, TEESIM_OPTEE_RPC_SHM_TYPE_APPL, size, 0);

	assert_res(round_trip(f, TEESIM_OPTEE_RPC_CMD_SHM_ALLOC, &p, 1), TEESIM_OPTEE_SUCCESS);
	return (int) f->td->req.params[0].u.value.c;
}

/* The driver's reference to the supplicant's shm @id (tee_shm_get_from_id) */
static struct tee_shm *shm_of(struct fix *f, int id)
{
	struct tee_shm *shm = tee_shm_get_from_id(f->td->supp_ctx, id);

	ck_assert(!IS_ERR(shm));
	return shm;
}

/*
 * The bytes of a supplicant shm as the kernel reaches them: the pool
 * buffer's kernel address, or the registered process pages (contiguous on
 * the host within one process mapping).
 */
static unsigned char *shm_bytes(struct tee_shm *shm)
{
	if (shm->kaddr)
		return shm->kaddr;
	ck_assert_uint_gt(shm->num_pages, 0);
	return (unsigned char *) teesim_guest_ipa_host(teesim_machine_guest(TH_M, 0),
						       shm->pages[0]) +
	       shm->offset;
}

static struct tee_param memref(uint64_t attr, struct tee_shm *shm, size_t offs, size_t size)
{
	struct tee_param p = {.attr = attr};

	p.u.memref.shm = shm;
	p.u.memref.shm_offs = offs;
	p.u.memref.size = size;
	return p;
}

static uint64_t core_shms(void)
{
	struct teesim_tee_stats st;

	teesim_tee_stats(TH_M, &st);
	return st.shms;
}

START_TEST(test_load_ta)
{
	struct fix f = fix_new(_i);
	unsigned char image[5000];
	struct tee_param p[2];
	struct tee_shm *shm;
	uint64_t a = 0, b = 0, base;
	size_t i;
	int id;

	for (i = 0; i < sizeof(image); i++)
		image[i] = (unsigned char) (i * 13);
	th_assert_err(teesim_supplicant_ta_add(f.s, UUID_A, image, sizeof(image)), 0);
	for (i = 0; i < 8; i++) {
		a |= (uint64_t) UUID_A[i] << (8 * i);
		b |= (uint64_t) UUID_A[8 + i] << (8 * i);
	}
	base = core_shms();

	/* phase 1: no buffer (the kernel shows shm id -1): the size */
	p[0] = value(VAL_IN, a, b, 0);
	p[1] = memref(MEM_OUT, NULL, 0, 0);
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_LOAD_TA, p, 2), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(f.td->req.params[1].u.memref.size, sizeof(image));

	/* OP-TEE allocates the payload from the supplicant (APPL shm) */
	id = supp_alloc(&f, sizeof(image));
	ck_assert_int_ge(id, 0);
	ck_assert_uint_eq(stats(&f).shms, 1);
	ck_assert_uint_eq(core_shms(), base + 1);
	shm = shm_of(&f, id);
	ck_assert_uint_ge(shm->size, sizeof(image));

	/* phase 2: into that shm */
	p[1] = memref(MEM_OUT, shm, 0, sizeof(image));
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_LOAD_TA, p, 2), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(f.td->req.params[1].u.memref.size, sizeof(image));
	ck_assert_mem_eq(shm_bytes(shm), image, sizeof(image));
	ck_assert(_i == 0 ? shm->kaddr == NULL : shm->kaddr != NULL);
	/* too small a window of it */
	p[1] = memref(MEM_OUT, shm, 8, 100);
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_LOAD_TA, p, 2),
		   TEESIM_OPTEE_ERROR_SHORT_BUFFER);
	ck_assert_uint_eq(f.td->req.params[1].u.memref.size, sizeof(image));
	/* a window past the end of the buffer the supplicant allocated */
	p[1] = memref(MEM_OUT, shm, 8, sizeof(image));
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_LOAD_TA, p, 2),
		   TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	tee_shm_put(shm);

	/* SHM_FREE gives it back; an unknown id is a bad parameter */
	p[0] = value(VAL_IN, TEESIM_OPTEE_RPC_SHM_TYPE_APPL, (uint64_t) id, 0);
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_SHM_FREE, p, 1), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(stats(&f).shms, 0);
	ck_assert_uint_eq(core_shms(), base);
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_SHM_FREE, p, 1),
		   TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	p[1] = p[0];
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_SHM_FREE, p, 2),
		   TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	p[0] = memref(MEM_IN, NULL, 0, 0);
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_SHM_ALLOC, p, 1),
		   TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	/* an allocation the device cannot make is out of memory */
	p[0] = value(VAL_INOUT, TEESIM_OPTEE_RPC_SHM_TYPE_APPL, 1ull << 40, 0);
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_SHM_ALLOC, p, 1),
		   TEESIM_OPTEE_ERROR_OUT_OF_MEMORY);
	ck_assert_uint_eq(stats(&f).shms, 0);
	ck_assert_uint_eq(core_shms(), base);
	fix_done(&f);
}
END_TEST

/* The REE FS over the device: a name at an offset inside a supplicant shm. */
START_TEST(test_fs)
{
	struct fix f = fix_new(_i);
	struct tee_param p[3];
	struct tee_shm *shm;
	uint64_t fd;
	int id;

	id = supp_alloc(&f, 4096);
	shm = shm_of(&f, id);
	memcpy(shm_bytes(shm) + 100, "dirf.db", 8);
	memcpy(shm_bytes(shm) + 200, "payload", 7);

	p[0] = value(VAL_IN, TEESIM_OPTEE_RPC_FS_CREATE, 0, 0);
	p[1] = memref(MEM_IN, shm, 100, 8);
	p[2] = value(VAL_OUT, 0, 0, 0);
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_FS, p, 3), TEESIM_OPTEE_SUCCESS);
	fd = f.td->req.params[2].u.value.a;
	ck_assert_uint_eq(stats(&f).open_files, 1);

	p[0] = value(VAL_IN, TEESIM_OPTEE_RPC_FS_WRITE, fd, 0);
	p[1] = memref(MEM_IN, shm, 200, 7);
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_FS, p, 2), TEESIM_OPTEE_SUCCESS);
	p[0] = value(VAL_IN, TEESIM_OPTEE_RPC_FS_READ, fd, 3);
	p[1] = memref(MEM_OUT, shm, 300, 64);
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_FS, p, 2), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(f.td->req.params[1].u.memref.size, 4);
	ck_assert_mem_eq(shm_bytes(shm) + 300, "load", 4);
	p[0] = value(VAL_IN, TEESIM_OPTEE_RPC_FS_CLOSE, fd, 0);
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_FS, p, 1), TEESIM_OPTEE_SUCCESS);
	{
		char buf[8];
		uint64_t size = 0;

		th_assert_err(teesim_supplicant_fs_read(f.s, "dirf.db", buf, sizeof(buf), &size),
			      0);
		ck_assert_uint_eq(size, 7);
		ck_assert_mem_eq(buf, "payload", 7);
	}
	/* a memref with no buffer where one is needed */
	p[0] = value(VAL_IN, TEESIM_OPTEE_RPC_FS_OPEN, 0, 0);
	p[1] = memref(MEM_IN, NULL, 0, 8);
	p[2] = value(VAL_OUT, 0, 0, 0);
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_FS, p, 3),
		   TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	tee_shm_put(shm);
	/* the buffer is left to the process: its exit releases it */
	ck_assert_uint_eq(stats(&f).shms, 1);
	fix_done(&f);
}
END_TEST

/* The plugin request fills all five slots (four params + the meta one). */
static uint32_t echo(void *ctx, uint32_t cmd, uint32_t sub_cmd, void *data, size_t in_len,
		     size_t *out_len)
{
	(void) ctx;
	(void) data;
	*out_len = in_len + cmd + sub_cmd;
	return TEESIM_OPTEE_SUCCESS;
}

START_TEST(test_plugin_five_params)
{
	struct fix f = fix_new(_i);
	struct tee_param p[4];
	uint32_t d[4];

	th_assert_err(teesim_supplicant_plugin_register(f.s, UUID_A, echo, NULL), 0);
	/* d1..d4: the octets as little-endian 32-bit words */
	for (int i = 0; i < 4; i++)
		d[i] = (uint32_t) UUID_A[4 * i] | (uint32_t) UUID_A[4 * i + 1] << 8 |
		       (uint32_t) UUID_A[4 * i + 2] << 16 | (uint32_t) UUID_A[4 * i + 3] << 24;
	p[0] = value(VAL_IN, 0, d[0], d[1]);
	p[1] = value(VAL_IN, d[2], d[3], 10);
	p[2] = value(VAL_INOUT, 20, 0, 0);
	p[3] = memref(MEM_INOUT, NULL, 0, 0);
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_SUPP_PLUGIN, p, 4), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(f.td->req.params[2].u.value.b, 30);
	fix_done(&f);
}
END_TEST

START_TEST(test_knobs_and_errors)
{
	struct fix f = fix_new(_i);
	struct tee_param p[5];

	/* nothing queued: RECV's error, nothing served */
	th_assert_err(teesim_supplicant_serve_fd(f.s, f.p, f.fd), -EAGAIN);
	ck_assert_uint_eq(stats(&f).requests, 0);
	th_assert_err(teesim_supplicant_serve_fd(NULL, f.p, f.fd), -EINVAL);
	th_assert_err(teesim_supplicant_serve_fd(f.s, NULL, f.fd), -EINVAL);
	th_assert_err(teesim_supplicant_serve_fd(f.s, f.p, 42), -EBADF);

	/* an unsupported command comes back as such */
	p[0] = value(VAL_INOUT, 1, 2, 3);
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_RPMB, p, 1),
		   TEESIM_OPTEE_ERROR_NOT_SUPPORTED);
	/* fail_next answers without serving */
	teesim_supplicant_fail_next(f.s, 1, TEESIM_OPTEE_ERROR_BUSY);
	p[0] = value(VAL_INOUT, TEESIM_OPTEE_RPC_SHM_TYPE_APPL, 4096, 0);
	assert_res(round_trip(&f, TEESIM_OPTEE_RPC_CMD_SHM_ALLOC, p, 1), TEESIM_OPTEE_ERROR_BUSY);
	ck_assert_uint_eq(stats(&f).shms, 0);
	/* stopped silently: taken, never answered */
	th_assert_err(teesim_supplicant_stop(f.s, TEESIM_SUPPLICANT_STOP_SILENT, 0), 0);
	testdrv_supp_post(f.td, TEESIM_OPTEE_RPC_CMD_FS, p, 1);
	th_assert_err(teesim_supplicant_serve_fd(f.s, f.p, f.fd), -EPIPE);
	ck_assert(f.td->req.taken);
	ck_assert(!f.td->req.answered);
	ck_assert_uint_eq(stats(&f).dropped, 1);
	th_assert_err(teesim_supplicant_stop(f.s, TEESIM_SUPPLICANT_RUNNING, 0), 0);

	/* a META parameter after a normal one: tee-supplicant gives up on the request */
	p[0] = value(VAL_IN, 0, 0, 0);
	p[1] = value(VAL_IN | TEE_IOCTL_PARAM_ATTR_META, 0, 0, 0);
	testdrv_supp_post(f.td, TEESIM_OPTEE_RPC_CMD_FS, p, 2);
	th_assert_err(teesim_supplicant_serve_fd(f.s, f.p, f.fd), -EPROTO);
	ck_assert(f.td->req.taken);
	ck_assert(!f.td->req.answered);
	ck_assert_uint_eq(stats(&f).requests, 2);

	/* a request with more params than tee-supplicant makes room for */
	for (int i = 0; i < 5; i++)
		p[i] = value(VAL_IN, 0, 0, 0);
	testdrv_supp_post(f.td, TEESIM_OPTEE_RPC_CMD_FS, p, 5);
	th_assert_err(teesim_supplicant_serve_fd(f.s, f.p, f.fd), -EINVAL);
	ck_assert(!f.td->req.taken);
	ck_assert_uint_eq(stats(&f).requests, 2);
	fix_done(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("supp-fd");
	TCase *tc = th_tcase(s, "supp-fd");

	tcase_add_loop_test(tc, test_load_ta, 0, 2);
	tcase_add_loop_test(tc, test_fs, 0, 2);
	tcase_add_loop_test(tc, test_plugin_five_params, 0, 2);
	tcase_add_loop_test(tc, test_knobs_and_errors, 0, 2);
	return th_run(s);
}
