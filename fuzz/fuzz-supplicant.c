/* SPDX-License-Identifier: MIT */
/*
 * fuzz-supplicant: random requests into the in-process supplicant's serve
 * function (teesim_supplicant_serve), as TEE_IOC_SUPPL_RECV would deliver
 * them: LOAD_TA, every REE FS operation, SUPP_PLUGIN, SHM_ALLOC and any
 * other command, with any parameter attributes and values, and memrefs over
 * buffers of any size whose contents are path names, UUIDs or raw bytes
 * (room smaller than the size claimed, NULL buffers, ...). Fault knobs
 * (fail_next, stop) and the test-side file-system calls are mixed in.
 *
 * Oracles: no crash and no sanitizer report; serve answers every request
 * (0) unless stopped silently; the counters agree with the file tree after
 * every step (files and directories as fs_walk sees them, bytes at least
 * what the files hold and exactly that while no file is open, the request,
 * error and drop counts with what serve returned); teesim_supplicant_free
 * releases everything (LeakSanitizer).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/supplicant.h>
#include <teesim/teesim.h>

#include "fuzz-input.h"

#define NBUF   4
#define BUFSZ  512
#define NPARAM 5

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-supplicant: invariant broken: %s\n", what);
	abort();
}

struct tree {
	uint64_t files, dirs, bytes;
};

static int walk(void *ctx, const char *path, bool is_dir, uint64_t size)
{
	struct tree *t = ctx;

	if (!path || !*path)
		fail("fs_walk reported an empty path");
	if (is_dir)
		t->dirs++;
	else
		t->files++, t->bytes += size;
	return 0;
}

static uint32_t plugin(void *ctx, uint32_t cmd, uint32_t sub_cmd, void *data, size_t in_len,
		       size_t *out_len)
{
	(void) ctx;
	if (in_len && data)
		((uint8_t *) data)[0] ^= (uint8_t) (cmd + sub_cmd);
	*out_len = cmd & 1 ? in_len : in_len / 2;
	return sub_cmd == 7 ? TEESIM_OPTEE_ERROR_GENERIC : 0;
}

static const uint8_t plugin_uuid[16] = {0xef, 0xbe, 0xad, 0xde, 1, 2,  3,  4,
					5,    6,    7,	  8,	9, 10, 11, 12};
static const uint8_t ta_uuid[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
				    0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00};

/* Fill a buffer: a path, a UUID or raw bytes. */
static void fill(unsigned char *b, struct input *in)
{
	static const char *const names[] = {"a",      "a/b",   "a/b/c", "dir/file", "x",
					    "a/../b", "/abs",  "",	"a//b",	    ".hidden",
					    "dir",    "dir/y", "0",	"dir/sub/z"};
	uint8_t sel = next(in);

	memset(b, 0, BUFSZ);
	if (sel < 0xc0) {
		strcpy((char *) b, names[sel % (sizeof(names) / sizeof(*names))]);
	} else if (sel < 0xe0) {
		memcpy(b, sel & 1 ? ta_uuid : plugin_uuid, 16);
	} else {
		size_t n = next(in) % 64;

		for (size_t i = 0; i < n; i++)
			b[i] = next(in);
	}
}

static void uuid_words(const uint8_t u[16], uint64_t *a, uint64_t *b)
{
	memcpy(a, u, 8);
	memcpy(b, u + 8, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct teesim_supplicant *s = teesim_supplicant_new();
	struct teesim_supplicant_stats st;
	unsigned char(*bufs)[BUFSZ] = calloc(NBUF, BUFSZ);
	uint64_t answered = 0, dropped = 0;
	bool stopped_silent = false;

	if (!s || !bufs)
		abort();
	if (next(&in) & 1) {
		unsigned char img[64];
		size_t n = 1 + next(&in) % sizeof(img);

		for (size_t i = 0; i < n; i++)
			img[i] = next(&in);
		if (teesim_supplicant_ta_add(s, ta_uuid, img, n))
			fail("ta_add failed");
	}
	if (teesim_supplicant_plugin_register(s, plugin_uuid, plugin, NULL))
		fail("plugin_register failed");
	if (next(&in) & 1) {
		uint64_t capacity = 1 + next(&in) * 64u;

		teesim_supplicant_fs_set_limits(s, capacity, 1 + next(&in) % 8);
	}

	for (int steps = 0; in.n && steps < 128; steps++) {
		uint8_t op = next(&in);

		if (op >= 0xf0) {
			/* the test side: knobs and direct file-system access */
			switch (op & 7) {
			case 0: {
				unsigned n = next(&in) % 3;

				teesim_supplicant_fail_next(s, n, 0xffff0000u | next(&in));
				break;
			}
			case 1: {
				uint8_t mode = next(&in) % 3;

				teesim_supplicant_stop(s, mode, TEESIM_OPTEE_ERROR_BUSY);
				stopped_silent = mode == TEESIM_SUPPLICANT_STOP_SILENT;
				break;
			}
			case 2: {
				unsigned char path[BUFSZ];

				fill(path, &in);
				path[BUFSZ - 1] = 0;
				teesim_supplicant_fs_write(s, (char *) path, path, next(&in));
				break;
			}
			case 3: {
				unsigned char path[BUFSZ], out[64];
				uint64_t sz;

				fill(path, &in);
				path[BUFSZ - 1] = 0;
				teesim_supplicant_fs_read(s, (char *) path, out, sizeof(out), &sz);
				break;
			}
			default:
				teesim_supplicant_ta_remove(s, ta_uuid);
				break;
			}
		} else {
			struct tee_ioctl_param p[NPARAM];
			struct teesim_supplicant_memref mem[NPARAM];
			static const uint32_t funcs[] = {
			    TEESIM_OPTEE_RPC_CMD_FS,	      TEESIM_OPTEE_RPC_CMD_FS,
			    TEESIM_OPTEE_RPC_CMD_FS,	      TEESIM_OPTEE_RPC_CMD_LOAD_TA,
			    TEESIM_OPTEE_RPC_CMD_SUPP_PLUGIN, TEESIM_OPTEE_RPC_CMD_SHM_ALLOC,
			    TEESIM_OPTEE_RPC_CMD_SHM_FREE,    TEESIM_OPTEE_RPC_CMD_RPMB,
			};
			uint32_t func = op & 0x80 ? next32(&in) : funcs[op % 8];
			size_t n = next(&in) % (NPARAM + 1);
			uint32_t ret = 0xdeadbeef;
			int rc;

			memset(p, 0, sizeof(p));
			memset(mem, 0, sizeof(mem));
			for (size_t i = 0; i < n; i++) {
				uint8_t b = next(&in);

				p[i].attr = b & 0x80 ? next32(&in) : b % 8;
				if (p[i].attr >= TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT &&
				    p[i].attr <= TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT) {
					unsigned k = next(&in) % NBUF;

					p[i].a = 0;
					p[i].b = b & 0x40 ? next64(&in) : next(&in) % (BUFSZ + 8);
					p[i].c = k;
					if (!(b & 0x20)) {
						fill(bufs[k], &in);
						mem[i].buf = bufs[k];
						mem[i].room = b & 0x10 ? next(&in) : BUFSZ;
					}
				} else if (i == 0 && func == TEESIM_OPTEE_RPC_CMD_FS &&
					   !(b & 0x40)) {
					p[i].a = next(&in) % 12; /* FS sub-operation */
					p[i].b = next(&in) % 8;	 /* fd / handle */
					p[i].c = next(&in) & 0x80 ? next64(&in) : next(&in);
				} else if (func == TEESIM_OPTEE_RPC_CMD_LOAD_TA && i == 0 &&
					   !(b & 0x40)) {
					uint64_t w0, w1;

					uuid_words(ta_uuid, &w0, &w1);
					p[i].a = w0;
					p[i].b = w1;
				} else if (func == TEESIM_OPTEE_RPC_CMD_SUPP_PLUGIN && i < 2 &&
					   !(b & 0x40)) {
					uint64_t w0, w1;

					uuid_words(plugin_uuid, &w0, &w1);
					if (i == 0) {
						p[i].a = 0;
						p[i].b = (uint32_t) w0;
						p[i].c = w0 >> 32;
					} else {
						p[i].a = (uint32_t) w1;
						p[i].b = w1 >> 32;
						p[i].c = next(&in);
					}
				} else {
					p[i].a = next(&in) & 0x80 ? next64(&in) : next(&in);
					p[i].b = next(&in) & 0x80 ? next64(&in) : next(&in);
					p[i].c = next(&in) & 0x80 ? next64(&in) : next(&in);
				}
			}
			rc = teesim_supplicant_serve(s, func, n, p, mem, &ret);
			if (rc == 0)
				answered++;
			else if (rc == -EPIPE && stopped_silent)
				dropped++;
			else
				fail("serve refused a request");
			if (rc == 0 && ret == 0xdeadbeef)
				fail("serve answered without a result");
			for (size_t i = 0; i < n; i++)
				if (mem[i].buf &&
				    p[i].attr >= TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT &&
				    p[i].attr <= TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT &&
				    rc == 0 && ret == 0 && p[i].b > mem[i].room)
					fail("an answered memref size exceeds its buffer");
		}

		struct tree t = {0, 0, 0};

		if (teesim_supplicant_fs_walk(s, walk, &t))
			fail("fs_walk failed");
		teesim_supplicant_stats(s, &st);
		if (st.files != t.files || st.dirs != t.dirs)
			fail("file or directory count differs from the tree");
		if (st.bytes < t.bytes || (!st.open_files && st.bytes != t.bytes))
			fail("byte count differs from the files in the tree");
		if (st.requests != answered || st.dropped != dropped || st.errors > st.requests)
			fail("request counters differ from what serve returned");
		if (st.shms)
			fail("serve (no device) holds SHM_ALLOC buffers");
	}
	teesim_supplicant_free(s);
	free(bufs);
	return 0;
}
