/* SPDX-License-Identifier: MIT */
/*
 * The supplicant model's REE file system (OPTEE_RPC_CMD_FS): every
 * operation with its successes and each of its errors, with
 * tee-supplicant's codes, observed through the model's inspection API.
 */
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

	teesim_supplicant_stats(S, &st);
	return st;
}

/* ---- one call per operation; *out receives the output value ---- */

static uint32_t fs_named(uint32_t op, const char *name, uint64_t *out)
{
	struct req r;
	uint32_t res;

	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_val(&r, VAL_IN, op, 0, 0);
	req_name(&r, name);
	req_val(&r, VAL_OUT, 0xdead, 0, 0);
	res = req_serve(S, &r);
	if (out)
		*out = r.p[2].a;
	if (res != TEESIM_OPTEE_SUCCESS)
		ck_assert_uint_eq(r.p[2].a, 0xdead); /* nothing written on failure */
	return res;
}

static uint32_t fs_open(const char *name, uint64_t *fd)
{
	return fs_named(TEESIM_OPTEE_RPC_FS_OPEN, name, fd);
}

static uint32_t fs_create(const char *name, uint64_t *fd)
{
	return fs_named(TEESIM_OPTEE_RPC_FS_CREATE, name, fd);
}

static uint32_t fs_opendir(const char *name, uint64_t *h)
{
	return fs_named(TEESIM_OPTEE_RPC_FS_OPENDIR, name, h);
}

static uint32_t fs_value_op(uint64_t op, uint64_t b, uint64_t c)
{
	struct req r;

	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_val(&r, VAL_IN, op, b, c);
	return req_serve(S, &r);
}

static uint32_t fs_close(uint64_t fd)
{
	return fs_value_op(TEESIM_OPTEE_RPC_FS_CLOSE, fd, 0);
}

static uint32_t fs_truncate(uint64_t fd, uint64_t len)
{
	return fs_value_op(TEESIM_OPTEE_RPC_FS_TRUNCATE, fd, len);
}

static uint32_t fs_closedir(uint64_t h)
{
	return fs_value_op(TEESIM_OPTEE_RPC_FS_CLOSEDIR, h, 0);
}

static uint32_t fs_read(uint64_t fd, uint64_t offs, void *buf, size_t len, uint64_t *got)
{
	struct req r;
	uint32_t res;

	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_READ, fd, offs);
	req_mem(&r, MEM_OUT, buf, len);
	res = req_serve(S, &r);
	if (got)
		*got = r.p[1].b;
	return res;
}

static uint32_t fs_write(uint64_t fd, uint64_t offs, const void *buf, size_t len)
{
	struct req r;

	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_WRITE, fd, offs);
	req_mem(&r, MEM_IN, (void *) buf, len);
	return req_serve(S, &r);
}

static uint32_t fs_remove(const char *name)
{
	struct req r;

	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_REMOVE, 0, 0);
	req_name(&r, name);
	return req_serve(S, &r);
}

static uint32_t fs_rename(const char *from, const char *to, uint64_t overwrite)
{
	struct req r;

	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_RENAME, overwrite, 0);
	req_name(&r, from);
	req_name(&r, to);
	return req_serve(S, &r);
}

static uint32_t fs_readdir(uint64_t h, char *buf, size_t len, uint64_t *size)
{
	struct req r;
	uint32_t res;

	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_READDIR, h, 0);
	req_mem(&r, MEM_OUT, buf, len);
	res = req_serve(S, &r);
	if (size)
		*size = r.p[1].b;
	return res;
}

/* ---- observation helpers ---- */

struct listing {
	char text[1024];
};

static int list_cb(void *ctx, const char *path, bool is_dir, uint64_t size)
{
	struct listing *l = ctx;
	size_t n = strlen(l->text);

	snprintf(l->text + n, sizeof(l->text) - n, "%s%s%s", n ? " " : "", path, is_dir ? "/" : "");
	if (!is_dir) {
		n = strlen(l->text);
		snprintf(l->text + n, sizeof(l->text) - n, "=%llu", (unsigned long long) size);
	}
	return 0;
}

/* The whole tree as "dir/ dir/file=size ..." */
static const char *tree(void)
{
	static struct listing l;

	l.text[0] = '\0';
	th_assert_err(teesim_supplicant_fs_walk(S, list_cb, &l), 0);
	return l.text;
}

#define assert_tree(want) ck_assert_str_eq(tree(), (want))

/* The content of @path must be @len bytes equal to @want. */
static void assert_file(const char *path, const void *want, size_t len)
{
	unsigned char buf[256];
	uint64_t size = 0;

	ck_assert_uint_le(len, sizeof(buf));
	th_assert_err(teesim_supplicant_fs_read(S, path, buf, sizeof(buf), &size), 0);
	ck_assert_uint_eq(size, len);
	if (len)
		ck_assert_mem_eq(buf, want, len);
}

/* ---- tests ---- */

START_TEST(test_roundtrip)
{
	uint64_t fd = 0, fd2 = 0, got = 0;
	char buf[16];

	assert_res(fs_create("dirf.db", &fd), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(fd, 3);
	ck_assert_uint_eq(stats().open_files, 1);
	ck_assert_uint_eq(stats().files, 1);
	assert_res(fs_write(fd, 0, "hello world", 11), TEESIM_OPTEE_SUCCESS);
	assert_file("dirf.db", "hello world", 11);
	ck_assert_uint_eq(stats().bytes, 11);

	assert_res(fs_read(fd, 6, buf, sizeof(buf), &got), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(got, 5);
	ck_assert_mem_eq(buf, "world", 5);
	assert_res(fs_read(fd, 11, buf, sizeof(buf), &got), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(got, 0);
	assert_res(fs_read(fd, 1000, buf, sizeof(buf), &got), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(got, 0);
	assert_res(fs_read(fd, 0, buf, 4, &got), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(got, 4);
	ck_assert_mem_eq(buf, "hell", 4);

	/* a second descriptor on the same file sees the same bytes; lowest free fd */
	assert_res(fs_open("dirf.db", &fd2), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(fd2, 4);
	assert_res(fs_write(fd2, 0, "J", 1), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_read(fd, 0, buf, 1, &got), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(buf[0], 'J');
	assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_open("dirf.db", &fd), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(fd, 3);
	assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_close(fd2), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(stats().open_files, 0);
	assert_tree("dirf.db=11");

	/* leading and doubled slashes name the same file (tee-supplicant opens "./" name) */
	assert_res(fs_open("/dirf.db", &fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
}
END_TEST

START_TEST(test_open_errors)
{
	uint64_t fd;

	assert_res(fs_open("nope", &fd), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	th_assert_err(teesim_supplicant_fs_write(S, "d/f", "x", 1), 0);
	assert_res(fs_open("d", &fd), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND); /* a directory */
	assert_res(fs_open("d/g", &fd), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	assert_res(fs_open("d/f/x", &fd), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND); /* through a file */
	assert_res(fs_open("e/f", &fd), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	ck_assert_uint_eq(stats().open_files, 0);
}
END_TEST

START_TEST(test_create_dirs)
{
	uint64_t fd = 0;

	/* one missing level is made */
	assert_res(fs_create("a/f", &fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
	assert_tree("a/ a/f=0");
	/*
	 * Two: tee-supplicant makes the upper one, then its dirname() has cut
	 * its buffer to "." and the create fails; the next create succeeds.
	 */
	assert_res(fs_create("b/c/f", &fd), TEESIM_OPTEE_ERROR_GENERIC);
	assert_tree("a/ a/f=0 b/");
	assert_res(fs_create("b/c/f", &fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_create("a/x/y/f", &fd), TEESIM_OPTEE_ERROR_GENERIC); /* a exists */
	assert_res(fs_create("a/x/y/f", &fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
	assert_tree("a/ a/f=0 a/x/ a/x/y/ a/x/y/f=0 b/ b/c/ b/c/f=0");
	ck_assert_uint_eq(stats().dirs, 5);
	/* three are not even tried, and nothing is left behind */
	assert_res(fs_create("p/q/r/f", &fd), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	assert_res(fs_create("a/p/q/r/f", &fd), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	ck_assert_uint_eq(stats().dirs, 5);
	/* a directory in the way; a file in the way */
	assert_res(fs_create("a", &fd), TEESIM_OPTEE_ERROR_GENERIC);
	assert_res(fs_create("a/f/g", &fd), TEESIM_OPTEE_ERROR_GENERIC);
	assert_res(fs_create("a/f/g/h", &fd), TEESIM_OPTEE_ERROR_GENERIC);
	assert_tree("a/ a/f=0 a/x/ a/x/y/ a/x/y/f=0 b/ b/c/ b/c/f=0");
	ck_assert_uint_eq(stats().open_files, 0);
	ck_assert_uint_eq(stats().files, 3);
}
END_TEST

START_TEST(test_create_truncates)
{
	uint64_t fd = 0, fd2 = 0, got = 1;
	char buf[8];

	th_assert_err(teesim_supplicant_fs_write(S, "f", "0123456789", 10), 0);
	assert_res(fs_open("f", &fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_create("f", &fd2), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_ne(fd, fd2);
	assert_file("f", "", 0);
	ck_assert_uint_eq(stats().bytes, 0);
	assert_res(fs_read(fd, 0, buf, sizeof(buf), &got), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(got, 0); /* the older descriptor sees it too */
	assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_close(fd2), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(stats().files, 1);
}
END_TEST

START_TEST(test_read_errors)
{
	uint64_t fd = 0, got = 99;
	char buf[8];
	struct req r;

	th_assert_err(teesim_supplicant_fs_write(S, "f", "abc", 3), 0);
	assert_res(fs_open("f", &fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_read(77, 0, buf, sizeof(buf), NULL), TEESIM_OPTEE_ERROR_GENERIC);
	assert_res(fs_read(2, 0, buf, sizeof(buf), NULL), TEESIM_OPTEE_ERROR_GENERIC);
	assert_res(fs_read(fd, 1ull << 63, buf, sizeof(buf), NULL), TEESIM_OPTEE_ERROR_GENERIC);
	/* an empty buffer never reaches pread: success, even on a bad fd */
	assert_res(fs_read(77, 0, buf, 0, &got), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(got, 0);
	/* no buffer; a size past the shm */
	assert_res(fs_read(fd, 0, NULL, 4, NULL), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_READ, fd, 0);
	req_mem(&r, MEM_OUT, buf, sizeof(buf));
	r.m[1].room = 4;
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	ck_assert_uint_eq(r.p[1].b, sizeof(buf));
	/* the fd travels as an int: the upper half of value.b is dropped */
	assert_res(fs_read(fd | 0x100000000ull, 0, buf, sizeof(buf), &got), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(got, 3);
	assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
}
END_TEST

START_TEST(test_write)
{
	static const unsigned char zero[5] = {0};
	uint64_t fd = 0;
	unsigned char want[12];

	assert_res(fs_create("f", &fd), TEESIM_OPTEE_SUCCESS);
	/* a write past the end leaves a hole of zeros */
	assert_res(fs_write(fd, 5, "abcdefg", 7), TEESIM_OPTEE_SUCCESS);
	memcpy(want, zero, 5);
	memcpy(want + 5, "abcdefg", 7);
	assert_file("f", want, 12);
	assert_res(fs_write(fd, 0, "XY", 2), TEESIM_OPTEE_SUCCESS);
	want[0] = 'X';
	want[1] = 'Y';
	assert_file("f", want, 12);
	ck_assert_uint_eq(stats().bytes, 12);
	/* nothing to write: success without looking at the fd */
	assert_res(fs_write(99, 0, "", 0), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_write(99, 0, "a", 1), TEESIM_OPTEE_ERROR_GENERIC);
	assert_res(fs_write(fd, 1ull << 63, "a", 1), TEESIM_OPTEE_ERROR_GENERIC);
	assert_res(fs_write(fd, (1ull << 63) - 1, "ab", 2), TEESIM_OPTEE_ERROR_GENERIC);
	assert_res(fs_write(fd, 0, NULL, 1), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	assert_file("f", want, 12);
	assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
}
END_TEST

START_TEST(test_capacity)
{
	static unsigned char big[100];
	uint64_t fd = 0, fd2 = 0;

	th_assert_err(teesim_supplicant_fs_set_limits(S, 100, 8), 0);
	assert_res(fs_create("f", &fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_create("g", &fd2), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_write(fd, 0, big, 60), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_write(fd2, 0, big, 41), TEESIM_OPTEE_ERROR_STORAGE_NO_SPACE);
	assert_res(fs_truncate(fd2, 41), TEESIM_OPTEE_ERROR_STORAGE_NO_SPACE);
	ck_assert_uint_eq(stats().bytes, 60);
	assert_file("g", "", 0);
	assert_res(fs_write(fd2, 0, big, 40), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(stats().bytes, 100);
	/* rewriting within a file's size needs no space */
	assert_res(fs_write(fd, 10, big, 50), TEESIM_OPTEE_SUCCESS);
	th_assert_err(teesim_supplicant_fs_write(S, "h", big, 1), -ENOSPC);
	th_assert_err(teesim_supplicant_fs_read(S, "h", NULL, 0, NULL), -ENOENT);
	/* lowering the capacity below what is held refuses growth, not shrinking */
	th_assert_err(teesim_supplicant_fs_set_limits(S, 10, 8), 0);
	assert_res(fs_write(fd, 60, big, 1), TEESIM_OPTEE_ERROR_STORAGE_NO_SPACE);
	assert_res(fs_truncate(fd, 5), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(stats().bytes, 45);
	assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_close(fd2), TEESIM_OPTEE_SUCCESS);
	th_assert_err(teesim_supplicant_fs_set_limits(S, 10, 0), -EINVAL);
	th_assert_err(teesim_supplicant_fs_set_limits(S, 10, 65537), -EINVAL);
	th_assert_err(teesim_supplicant_fs_set_limits(NULL, 10, 1), -EINVAL);
}
END_TEST

START_TEST(test_truncate)
{
	uint64_t fd = 0;

	th_assert_err(teesim_supplicant_fs_write(S, "f", "abcdef", 6), 0);
	assert_res(fs_open("f", &fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_truncate(fd, 3), TEESIM_OPTEE_SUCCESS);
	assert_file("f", "abc", 3);
	assert_res(fs_truncate(fd, 5), TEESIM_OPTEE_SUCCESS);
	assert_file("f", "abc\0\0", 5);
	ck_assert_uint_eq(stats().bytes, 5);
	assert_res(fs_truncate(fd, 0), TEESIM_OPTEE_SUCCESS);
	assert_file("f", "", 0);
	assert_res(fs_truncate(42, 0), TEESIM_OPTEE_ERROR_GENERIC);
	assert_res(fs_truncate(fd, 1ull << 63), TEESIM_OPTEE_ERROR_GENERIC);
	assert_res(fs_truncate(fd, 1ull << 40), TEESIM_OPTEE_ERROR_STORAGE_NO_SPACE);
	assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
}
END_TEST

START_TEST(test_close)
{
	uint64_t fd = 0, fd2 = 0;

	assert_res(fs_create("f", &fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_close(fd + 1), TEESIM_OPTEE_ERROR_GENERIC);
	assert_res(fs_close(0), TEESIM_OPTEE_ERROR_GENERIC);
	assert_res(fs_close((uint64_t) -1), TEESIM_OPTEE_ERROR_GENERIC);
	ck_assert_uint_eq(stats().open_files, 1);
	assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_close(fd), TEESIM_OPTEE_ERROR_GENERIC);
	/* the fd is an int to tee-supplicant: 2^32 + 3 closes fd 3 */
	assert_res(fs_open("f", &fd2), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(fd2, 3);
	assert_res(fs_close(0x100000003ull), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(stats().open_files, 0);
}
END_TEST

START_TEST(test_remove)
{
	uint64_t fd = 0, got = 0;
	char buf[8];

	th_assert_err(teesim_supplicant_fs_write(S, "a/b/c/f", "1", 1), 0);
	th_assert_err(teesim_supplicant_fs_write(S, "x/y/f", "22", 2), 0);
	th_assert_err(teesim_supplicant_fs_write(S, "x/g", "333", 3), 0);
	th_assert_err(teesim_supplicant_fs_write(S, "top", "4444", 4), 0);
	ck_assert_uint_eq(stats().dirs, 5);

	assert_res(fs_remove("nope"), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	assert_res(fs_remove("q/nope"), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	assert_res(fs_remove("x"), TEESIM_OPTEE_ERROR_GENERIC);	    /* a directory */
	assert_res(fs_remove("top/f"), TEESIM_OPTEE_ERROR_GENERIC); /* through a file */

	/* the file's directory and its parent go when empty, not a third level */
	assert_res(fs_remove("a/b/c/f"), TEESIM_OPTEE_SUCCESS);
	assert_tree("a/ top=4 x/ x/g=3 x/y/ x/y/f=2");
	/* the parent stays when it still holds something */
	assert_res(fs_remove("x/y/f"), TEESIM_OPTEE_SUCCESS);
	assert_tree("a/ top=4 x/ x/g=3");
	assert_res(fs_remove("top"), TEESIM_OPTEE_SUCCESS);
	assert_tree("a/ x/ x/g=3");
	ck_assert_uint_eq(stats().files, 1);
	ck_assert_uint_eq(stats().dirs, 2);

	/* a removed open file stays readable and counted until its last close */
	assert_res(fs_open("x/g", &fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_remove("x/g"), TEESIM_OPTEE_SUCCESS);
	assert_tree("a/");
	ck_assert_uint_eq(stats().files, 0);
	ck_assert_uint_eq(stats().bytes, 3);
	assert_res(fs_write(fd, 3, "4", 1), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_read(fd, 0, buf, sizeof(buf), &got), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(got, 4);
	ck_assert_mem_eq(buf, "3334", 4);
	assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(stats().bytes, 0);
	assert_res(fs_open("x/g", &fd), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
}
END_TEST

START_TEST(test_rename)
{
	th_assert_err(teesim_supplicant_fs_write(S, "f", "F", 1), 0);
	th_assert_err(teesim_supplicant_fs_write(S, "g", "GG", 2), 0);
	th_assert_err(teesim_supplicant_fs_write(S, "d/h", "HHH", 3), 0);
	th_assert_err(teesim_supplicant_fs_write(S, "e/i", "I", 1), 0);

	assert_res(fs_rename("f", "f2", 0), TEESIM_OPTEE_SUCCESS);
	assert_tree("d/ d/h=3 e/ e/i=1 f2=1 g=2");
	/* no overwrite: conflict, nothing moved */
	assert_res(fs_rename("f2", "g", 0), TEESIM_OPTEE_ERROR_ACCESS_CONFLICT);
	assert_res(fs_rename("g", "g", 0), TEESIM_OPTEE_ERROR_ACCESS_CONFLICT);
	assert_tree("d/ d/h=3 e/ e/i=1 f2=1 g=2");
	/* overwrite: the old target is gone, its bytes with it */
	assert_res(fs_rename("f2", "g", 1), TEESIM_OPTEE_SUCCESS);
	assert_tree("d/ d/h=3 e/ e/i=1 g=1");
	assert_file("g", "F", 1);
	ck_assert_uint_eq(stats().bytes, 5);
	ck_assert_uint_eq(stats().files, 3);
	assert_res(fs_rename("g", "g", 7), TEESIM_OPTEE_SUCCESS); /* itself: nothing */
	/* into another directory; a missing source; a missing target directory */
	assert_res(fs_rename("g", "d/g", 0), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_rename("g", "x", 0), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	assert_res(fs_rename("q/g", "x", 0), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	assert_res(fs_rename("d/g", "nodir/g", 1), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	assert_tree("d/ d/g=1 d/h=3 e/ e/i=1");

	/* other failures are answered success with nothing done (tee-supplicant) */
	assert_res(fs_rename("d/g", "e", 1), TEESIM_OPTEE_SUCCESS);   /* EISDIR */
	assert_res(fs_rename("e", "d/g", 1), TEESIM_OPTEE_SUCCESS);   /* ENOTDIR */
	assert_res(fs_rename("e", "d", 1), TEESIM_OPTEE_SUCCESS);     /* ENOTEMPTY */
	assert_res(fs_rename("d", "d/h/x", 0), TEESIM_OPTEE_SUCCESS); /* ENOTDIR on the way */
	th_assert_err(teesim_supplicant_fs_write(S, "d/sub/z", "", 0), 0);
	assert_res(fs_rename("d", "d/sub/d2", 0), TEESIM_OPTEE_SUCCESS); /* EINVAL */
	assert_tree("d/ d/g=1 d/h=3 d/sub/ d/sub/z=0 e/ e/i=1");

	/* directories move with their content, and may replace an empty one */
	assert_res(fs_rename("e", "e2", 0), TEESIM_OPTEE_SUCCESS);
	assert_tree("d/ d/g=1 d/h=3 d/sub/ d/sub/z=0 e2/ e2/i=1");
	th_assert_err(teesim_supplicant_fs_write(S, "d/sub/z2", "", 0), 0);
	{
		uint64_t fd = 0;

		/* make d/empty by removing its only file? remove prunes it: use rename */
		assert_res(fs_rename("d/sub/z", "z", 0), TEESIM_OPTEE_SUCCESS);
		assert_res(fs_rename("d/sub/z2", "z2", 0), TEESIM_OPTEE_SUCCESS);
		assert_res(fs_rename("e2", "d/sub", 1), TEESIM_OPTEE_SUCCESS);
		assert_tree("d/ d/g=1 d/h=3 d/sub/ d/sub/i=1 z=0 z2=0");
		ck_assert_uint_eq(stats().dirs, 2);
		/* an open file keeps working across a rename */
		assert_res(fs_open("z", &fd), TEESIM_OPTEE_SUCCESS);
		assert_res(fs_rename("z", "d/z", 0), TEESIM_OPTEE_SUCCESS);
		assert_res(fs_write(fd, 0, "ok", 2), TEESIM_OPTEE_SUCCESS);
		assert_file("d/z", "ok", 2);
		assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
	}
}
END_TEST

START_TEST(test_dirs)
{
	uint64_t h = 0, h2 = 0, size = 0;
	char buf[16];

	th_assert_err(teesim_supplicant_fs_write(S, "ta/zz", "", 0), 0);
	th_assert_err(teesim_supplicant_fs_write(S, "ta/aa", "", 0), 0);
	th_assert_err(teesim_supplicant_fs_write(S, "ta/.hidden", "", 0), 0);
	th_assert_err(teesim_supplicant_fs_write(S, "ta/mm/x", "", 0), 0);
	th_assert_err(teesim_supplicant_fs_write(S, "dots/.nfs0001", "", 0), 0);

	assert_res(fs_opendir("ta", &h), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(h, 0);
	ck_assert_uint_eq(stats().open_dirs, 1);
	/* a file created after opendir is not in the listing taken then */
	th_assert_err(teesim_supplicant_fs_write(S, "ta/bb", "", 0), 0);
	assert_res(fs_readdir(h, buf, sizeof(buf), &size), TEESIM_OPTEE_SUCCESS);
	ck_assert_str_eq(buf, "aa");
	ck_assert_uint_eq(size, 3);
	/* too small: the size needed, and the entry is consumed */
	assert_res(fs_readdir(h, buf, 2, &size), TEESIM_OPTEE_ERROR_SHORT_BUFFER);
	ck_assert_uint_eq(size, 3);
	assert_res(fs_readdir(h, buf, sizeof(buf), &size), TEESIM_OPTEE_SUCCESS);
	ck_assert_str_eq(buf, "zz");
	assert_res(fs_readdir(h, buf, sizeof(buf), &size), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	assert_res(fs_readdir(h, buf, sizeof(buf), &size), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);

	/* a second handle; exactly the room for the name */
	assert_res(fs_opendir("/ta/", &h2), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(h2, 1);
	assert_res(fs_readdir(h2, buf, 3, &size), TEESIM_OPTEE_SUCCESS);
	ck_assert_str_eq(buf, "aa");
	assert_res(fs_readdir(h2, buf, sizeof(buf), NULL), TEESIM_OPTEE_SUCCESS);
	ck_assert_str_eq(buf, "bb");
	assert_res(fs_readdir(h2, NULL, 8, NULL), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);

	assert_res(fs_closedir(h), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_closedir(h), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	assert_res(fs_readdir(h, buf, sizeof(buf), NULL), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	assert_res(fs_readdir(99, buf, sizeof(buf), NULL), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	assert_res(fs_closedir((uint64_t) -1), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	/* the lowest free handle is reused */
	assert_res(fs_opendir("ta/mm", &h), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(h, 0);
	assert_res(fs_closedir(h), TEESIM_OPTEE_SUCCESS);

	/* empty (only dot names), missing, a file: not found */
	assert_res(fs_opendir("dots", &h), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	assert_res(fs_opendir("none", &h), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	assert_res(fs_opendir("ta/zz", &h), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	ck_assert_uint_eq(stats().open_dirs, 1); /* h2, left open: freed with the supplicant */
}
END_TEST

START_TEST(test_max_open)
{
	uint64_t fd = 0, h = 0;

	th_assert_err(teesim_supplicant_fs_write(S, "d/f", "", 0), 0);
	th_assert_err(teesim_supplicant_fs_set_limits(S, 1000, 2), 0);
	assert_res(fs_open("d/f", &fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_opendir("d", &h), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_open("d/f", &fd), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	assert_res(fs_create("d/g", &fd), TEESIM_OPTEE_ERROR_GENERIC);
	assert_res(fs_create("n/g", &fd), TEESIM_OPTEE_ERROR_GENERIC);
	assert_res(fs_opendir("d", &h), TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND);
	assert_tree("d/ d/f=0");
	ck_assert_uint_eq(stats().open_files, 1);
	ck_assert_uint_eq(stats().open_dirs, 1);
	/* descriptors left open are released with the supplicant */
}
END_TEST

START_TEST(test_bad_params)
{
	static const uint32_t ops[] = {
	    TEESIM_OPTEE_RPC_FS_OPEN,	  TEESIM_OPTEE_RPC_FS_CREATE,  TEESIM_OPTEE_RPC_FS_CLOSE,
	    TEESIM_OPTEE_RPC_FS_READ,	  TEESIM_OPTEE_RPC_FS_WRITE,   TEESIM_OPTEE_RPC_FS_TRUNCATE,
	    TEESIM_OPTEE_RPC_FS_REMOVE,	  TEESIM_OPTEE_RPC_FS_RENAME,  TEESIM_OPTEE_RPC_FS_OPENDIR,
	    TEESIM_OPTEE_RPC_FS_CLOSEDIR, TEESIM_OPTEE_RPC_FS_READDIR,
	};
	/* the layout of each operation, by index in ops[] */
	static const uint64_t layout[][3] = {
	    {VAL_IN, MEM_IN, VAL_OUT},
	    {VAL_IN, MEM_IN, VAL_OUT},
	    {VAL_IN, 0, 0},
	    {VAL_IN, MEM_OUT, 0},
	    {VAL_IN, MEM_IN, 0},
	    {VAL_IN, 0, 0},
	    {VAL_IN, MEM_IN, 0},
	    {VAL_IN, MEM_IN, MEM_IN},
	    {VAL_IN, MEM_IN, VAL_OUT},
	    {VAL_IN, 0, 0},
	    {VAL_IN, MEM_OUT, 0},
	};
	char name[8] = "f";
	struct req r;
	size_t i, j, n;

	th_assert_err(teesim_supplicant_fs_write(S, "f", "", 0), 0);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		for (n = 0; n < 3 && layout[i][n]; n++)
			;
		/* every parameter of another type */
		for (j = 0; j < n; j++) {
			size_t k;

			req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
			for (k = 0; k < n; k++) {
				uint64_t t = layout[i][k];

				if (k == j)
					t = t == VAL_IN	   ? VAL_INOUT
					    : t == VAL_OUT ? VAL_INOUT
					    : t == MEM_IN  ? MEM_INOUT
							   : MEM_IN;
				if (t >= MEM_IN)
					req_mem(&r, t, name, sizeof(name));
				else
					req_val(&r, t, k == 0 ? ops[i] : 3, 3, 0);
			}
			assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
		}
		/* one parameter too many, one too few */
		req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
		for (j = 0; j < n; j++) {
			if (layout[i][j] >= MEM_IN)
				req_mem(&r, layout[i][j], name, sizeof(name));
			else
				req_val(&r, layout[i][j], j == 0 ? ops[i] : 3, 3, 0);
		}
		req_val(&r, VAL_IN, 0, 0, 0);
		assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
		if (n > 1) {
			r.n = n - 1;
			assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
		}
	}
	/* unknown operation; param 0 not a value; no params */
	ck_assert_uint_eq(fs_value_op(11, 0, 0), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	ck_assert_uint_eq(fs_value_op(1ull << 32, 0, 0), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_mem(&r, MEM_IN, name, sizeof(name));
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	/* the META bit and other attribute bits are ignored */
	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_val(&r, VAL_IN | TEE_IOCTL_PARAM_ATTR_META, TEESIM_OPTEE_RPC_FS_OPEN, 0, 0);
	req_name(&r, "f");
	req_val(&r, VAL_OUT | 0x100, 0, 0, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(r.p[2].a, 3);
	ck_assert_uint_eq(stats().open_files, 1);
	ck_assert_uint_eq(stats().files, 1);
}
END_TEST

START_TEST(test_bad_names)
{
	static const char *bad[] = {"", "/", "//", ".", "..", "a/..", "../f", "a/./f", "./f"};
	char *longname = malloc(TEESIM_PAGE_SIZE + 1);
	char unterminated[4] = {'a', 'b', 'c', 'd'};
	uint64_t fd = 0;
	struct req r;
	size_t i;

	ck_assert_ptr_nonnull(longname);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_res(fs_create(bad[i], &fd), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
		assert_res(fs_open(bad[i], &fd), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
		assert_res(fs_remove(bad[i]), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
		assert_res(fs_opendir(bad[i], &fd), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
		assert_res(fs_rename(bad[i], "x", 0), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	}
	/* tee-supplicant's "./" + name must fit its PATH_MAX buffer: 4092 bytes at most */
	memset(longname, 'n', 4093);
	longname[4093] = '\0';
	assert_res(fs_create(longname, &fd), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	longname[4092] = '\0';
	assert_res(fs_create(longname, &fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_close(fd), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_remove(longname), TEESIM_OPTEE_SUCCESS);

	/* no NUL within the memref's size, though there is one right after */
	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_CREATE, 0, 0);
	req_mem(&r, MEM_IN, "abcd", 4);
	req_val(&r, VAL_OUT, 0, 0, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_CREATE, 0, 0);
	req_mem(&r, MEM_IN, unterminated, sizeof(unterminated));
	req_val(&r, VAL_OUT, 0, 0, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	/* an unresolved name; one past the shm */
	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_CREATE, 0, 0);
	req_mem(&r, MEM_IN, NULL, 4);
	req_val(&r, VAL_OUT, 0, 0, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_CREATE, 0, 0);
	req_name(&r, "ok");
	req_val(&r, VAL_OUT, 0, 0, 0);
	r.m[1].room = 2;
	assert_res(req_serve(S, &r), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	/* a NUL before the end of the memref ends the name */
	req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
	req_val(&r, VAL_IN, TEESIM_OPTEE_RPC_FS_CREATE, 0, 0);
	req_mem(&r, MEM_IN, "ok\0junk", 8);
	req_val(&r, VAL_OUT, 0, 0, 0);
	assert_res(req_serve(S, &r), TEESIM_OPTEE_SUCCESS);
	assert_res(fs_close(r.p[2].a), TEESIM_OPTEE_SUCCESS);
	/* rename checks the second name too */
	assert_res(fs_rename("ok", "..", 0), TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	assert_tree("ok=0");
	ck_assert_uint_eq(stats().open_files, 0);
	free(longname);
}
END_TEST

static int stop_at_second(void *ctx, const char *path, bool is_dir, uint64_t size)
{
	unsigned *n = ctx;

	(void) path;
	(void) is_dir;
	(void) size;
	return ++*n == 2 ? 42 : 0;
}

START_TEST(test_inspect)
{
	unsigned char buf[4];
	uint64_t size = 0;
	unsigned n = 0;

	th_assert_err(teesim_supplicant_fs_write(S, "a/b/c", "12345", 5), 0);
	th_assert_err(teesim_supplicant_fs_write(S, "a/b/c", "xy", 2), 0); /* replaced */
	assert_tree("a/ a/b/ a/b/c=2");
	ck_assert_uint_eq(stats().bytes, 2);
	th_assert_err(teesim_supplicant_fs_read(S, "a/b/c", buf, 1, &size), 0);
	ck_assert_uint_eq(size, 2);
	ck_assert_uint_eq(buf[0], 'x');
	th_assert_err(teesim_supplicant_fs_read(S, "a/b/c", NULL, 0, NULL), 0);
	th_assert_err(teesim_supplicant_fs_read(S, "a/b", buf, 4, &size), -EISDIR);
	th_assert_err(teesim_supplicant_fs_read(S, "a/b/c/d", buf, 4, &size), -ENOENT);
	th_assert_err(teesim_supplicant_fs_read(S, "a/x", buf, 4, &size), -ENOENT);
	th_assert_err(teesim_supplicant_fs_read(S, "..", buf, 4, &size), -EINVAL);
	th_assert_err(teesim_supplicant_fs_read(S, NULL, buf, 4, &size), -EINVAL);
	th_assert_err(teesim_supplicant_fs_read(S, "a/b/c", NULL, 4, &size), -EINVAL);
	th_assert_err(teesim_supplicant_fs_read(NULL, "a", buf, 4, &size), -EINVAL);
	th_assert_err(teesim_supplicant_fs_write(S, "a/b", "1", 1), -EISDIR);
	th_assert_err(teesim_supplicant_fs_write(S, "a/b/c/d", "1", 1), -ENOTDIR);
	th_assert_err(teesim_supplicant_fs_write(S, "", "1", 1), -EINVAL);
	th_assert_err(teesim_supplicant_fs_write(S, "z", NULL, 1), -EINVAL);
	th_assert_err(teesim_supplicant_fs_write(NULL, "z", "1", 1), -EINVAL);
	assert_tree("a/ a/b/ a/b/c=2");
	th_assert_err(teesim_supplicant_fs_walk(S, stop_at_second, &n), 42);
	ck_assert_uint_eq(n, 2);
	th_assert_err(teesim_supplicant_fs_walk(S, NULL, NULL), -EINVAL);
	th_assert_err(teesim_supplicant_fs_walk(NULL, stop_at_second, &n), -EINVAL);
}
END_TEST

/* ---- random requests: never a crash, counters stay consistent ---- */

static uint64_t rnd(uint64_t *st)
{
	uint64_t z = (*st += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct tally {
	uint64_t files, dirs, bytes;
};

static int tally_cb(void *ctx, const char *path, bool is_dir, uint64_t size)
{
	struct tally *t = ctx;

	(void) path;
	if (is_dir)
		t->dirs++;
	else
		t->files++;
	t->bytes += size;
	return 0;
}

START_TEST(test_random)
{
	static const char *names[] = {"a",	 "b", "a/b", "a/c", "b/a/c", "x/y/z",
				      "a/b/c/d", "",  "..",  "/a",  "a//b",  ".h"};
	static const uint64_t types[] = {0, VAL_IN, VAL_OUT, VAL_INOUT,
					 4, MEM_IN, MEM_OUT, MEM_INOUT};
	/* the right layout of each operation: N = a name, D = data (memref), V = value */
	static const char *shape[] = {"VNV", "VNV", "V",   "VD", "VD", "V",
				      "VN",  "VNN", "VNV", "V",	 "VD"};
	unsigned char pool[256];
	uint64_t st = 0x5eed, ok = 0;
	struct tally t = {0, 0, 0};
	unsigned i, k;

	th_assert_err(teesim_supplicant_fs_set_limits(S, 4096, 16), 0);
	for (i = 0; i < 20000; i++) {
		uint64_t x = rnd(&st), op = x % 11;
		bool dirop = op >= TEESIM_OPTEE_RPC_FS_OPENDIR;
		const char *sh = shape[op];
		struct req r;

		req_init(&r, TEESIM_OPTEE_RPC_CMD_FS);
		req_val(&r, VAL_IN, op, dirop ? (x >> 8) % 4 : 3 + (x >> 8) % 6,
			(x >> 12) % 8 ? (x >> 16) % 300 : rnd(&st));
		if (op == TEESIM_OPTEE_RPC_FS_RENAME)
			r.p[0].b = (x >> 16) % 2;
		for (k = 1; sh[k]; k++) {
			uint64_t y = rnd(&st);

			if (sh[k] == 'N') {
				const char *nm = names[y % 12];
				unsigned char *at = pool + 64 * (k - 1);

				memcpy(at, nm, strlen(nm) + 1);
				req_mem(&r, MEM_IN, at, strlen(nm) + 1 + (y >> 8) % 2);
			} else if (sh[k] == 'D') {
				req_mem(&r, op == TEESIM_OPTEE_RPC_FS_WRITE ? MEM_IN : MEM_OUT,
					pool + 128, (y >> 8) % 100);
			} else {
				req_val(&r, VAL_OUT, 0, 0, 0);
			}
			r.m[k].room = sizeof(pool) - (size_t) ((unsigned char *) r.m[k].buf - pool);
		}
		/* one request in eight is mangled: a type, a count, a room, a missing buffer */
		if ((x >> 40) % 8 == 0) {
			uint64_t y = rnd(&st);

			k = (unsigned) (y % r.n);
			switch ((y >> 8) % 4) {
			case 0:
				r.p[k].attr = types[(y >> 16) % 8];
				break;
			case 1:
				r.n = (y >> 16) % (r.n + 2);
				break;
			case 2:
				r.m[k].room = (y >> 16) % 8;
				break;
			default:
				r.m[k].buf = NULL;
				break;
			}
		}
		ok += req_serve(S, &r) == TEESIM_OPTEE_SUCCESS;
	}
	ck_assert_uint_gt(ok, 20000 / 5);
	th_assert_err(teesim_supplicant_fs_walk(S, tally_cb, &t), 0);
	ck_assert_uint_eq(t.files, stats().files);
	ck_assert_uint_eq(t.dirs, stats().dirs);
	ck_assert_uint_le(t.bytes, stats().bytes);
	ck_assert_uint_le(stats().bytes, 4096);
	ck_assert_uint_le(stats().open_files + stats().open_dirs, 16);
	ck_assert_uint_eq(stats().requests, 20000);
	/* close every descriptor: what is left counted is exactly the tree */
	for (i = 0; i < 64; i++) {
		fs_close(i);
		fs_closedir(i);
	}
	ck_assert_uint_eq(stats().open_files, 0);
	ck_assert_uint_eq(stats().open_dirs, 0);
	ck_assert_uint_eq(t.bytes, stats().bytes);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("supp-fs");
	TCase *tc = tcase_create("supp-fs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_create_dirs);
	tcase_add_test(tc, test_create_truncates);
	tcase_add_test(tc, test_read_errors);
	tcase_add_test(tc, test_write);
	tcase_add_test(tc, test_capacity);
	tcase_add_test(tc, test_truncate);
	tcase_add_test(tc, test_close);
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_rename);
	tcase_add_test(tc, test_dirs);
	tcase_add_test(tc, test_max_open);
	tcase_add_test(tc, test_bad_params);
	tcase_add_test(tc, test_bad_names);
	tcase_add_test(tc, test_inspect);
	tcase_add_test(tc, test_random);
	return th_run(s);
}
