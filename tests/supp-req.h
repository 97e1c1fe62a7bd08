/* SPDX-License-Identifier: MIT */
/*
 * Request builder for the supplicant suites: a request as TEE_IOC_SUPPL_RECV
 * would deliver it, with its memrefs resolved to host buffers.
 */
#ifndef TEESIM_TESTS_SUPP_REQ_H
#define TEESIM_TESTS_SUPP_REQ_H

#include <check.h>
#include <string.h>

#include <teesim/teesim.h>

#define VAL_IN	  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT
#define VAL_OUT	  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT
#define VAL_INOUT TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT
#define MEM_IN	  TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT
#define MEM_OUT	  TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT
#define MEM_INOUT TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT

#define REQ_MAX 5

struct req {
	uint32_t func;
	size_t n;
	struct tee_ioctl_param p[REQ_MAX];
	struct teesim_supplicant_memref m[REQ_MAX];
};

static inline void req_init(struct req *r, uint32_t func)
{
	memset(r, 0, sizeof(*r));
	r->func = func;
}

static inline void req_val(struct req *r, uint64_t type, uint64_t a, uint64_t b, uint64_t c)
{
	ck_assert_uint_lt(r->n, REQ_MAX);
	r->p[r->n].attr = type;
	r->p[r->n].a = a;
	r->p[r->n].b = b;
	r->p[r->n].c = c;
	r->n++;
}

/* A memref of @size bytes at @buf (NULL: the shm id named nothing), all of it valid. */
static inline void req_mem(struct req *r, uint64_t type, void *buf, size_t size)
{
	ck_assert_uint_lt(r->n, REQ_MAX);
	r->p[r->n].attr = type;
	r->p[r->n].a = 0;
	r->p[r->n].b = size;
	r->p[r->n].c = buf ? 7 : (uint64_t) -1;
	r->m[r->n].buf = buf;
	r->m[r->n].room = buf ? size : 0;
	r->n++;
}

/* A memref holding the string @name, NUL included. */
static inline void req_name(struct req *r, const char *name)
{
	req_mem(r, MEM_IN, (void *) name, strlen(name) + 1);
}

/* Serve @r on @s; the answer must come; returns the TEE result. */
static inline uint32_t req_serve(struct teesim_supplicant *s, struct req *r)
{
	uint32_t ret = 0x12345678;

	ck_assert_int_eq(teesim_supplicant_serve(s, r->func, r->n, r->p, r->m, &ret), 0);
	return ret;
}

#define assert_res(expr, want)                                                                     \
	do {                                                                                       \
		uint32_t r_ = (expr);                                                              \
		ck_assert_msg(r_ == (uint32_t) (want), "%s = %#x, expected %#x", #expr,            \
			      (unsigned) r_, (unsigned) (want));                                   \
	} while (0)

#endif /* TEESIM_TESTS_SUPP_REQ_H */
