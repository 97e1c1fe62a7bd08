/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the OP-TEE driver suites: a full stack per test, ioctl
 * wrappers whose argument structs live in the client process's memory, and
 * checks of both worlds' state.
 */
#ifndef TEESIM_TESTS_OPTEE_UTIL_H
#define TEESIM_TESTS_OPTEE_UTIL_H

#include <linux/tee.h>

#include "harness.h"

/* A stack plus one client process with /dev/tee0 open. */
struct ot {
	struct teesim_stack *st;
	struct teesim_process *p;
	int fd;
};

/* Build a stack from @cfg (NULL: defaults) with a client; asserted. */
void ot_new(struct ot *t, const struct teesim_stack_cfg *cfg);
/* Free the client, assert both worlds hold nothing, free the stack. */
void ot_done(struct ot *t);
/*
 * Assert the tee core and the secure world hold nothing of the client, and
 * that the invariant checker finds nothing (nothing left at all once the
 * client process is gone: t->p NULL).
 */
void ot_assert_clean(struct ot *t);

/* Parameter builders. */
struct tee_ioctl_param ot_value(uint64_t attr, uint64_t a, uint64_t b, uint64_t c);
struct tee_ioctl_param ot_memref(uint64_t attr, int id, uint64_t offs, uint64_t size);

/* OPEN_SESSION of TA @uuid (string form) with @login; fills @session, @ret, @origin. */
int ot_open(struct ot *t, const char *uuid, uint32_t login, struct tee_ioctl_param *params,
	    uint32_t n, uint32_t *session, uint32_t *ret, uint32_t *origin);
/* OPEN_SESSION with PUBLIC login, asserted to succeed; the session. */
uint32_t ot_open_ok(struct ot *t, const char *uuid);
/* INVOKE; fills @ret and @origin (may be NULL). */
int ot_invoke(struct ot *t, uint32_t session, uint32_t func, struct tee_ioctl_param *params,
	      uint32_t n, uint32_t *ret, uint32_t *origin);
int ot_close(struct ot *t, uint32_t session);
int ot_cancel(struct ot *t, uint32_t session, uint32_t cancel_id);
/* SHM_ALLOC / SHM_REGISTER: the shm fd (or -errno); *id the shm id. */
int ot_shm_alloc(struct ot *t, uint64_t size, int *id);
int ot_shm_register(struct ot *t, void *addr, uint64_t len, int *id);
/* Map @pages pages of the client's memory. */
void *ot_umem(struct ot *t, size_t pages);

/* The secure world's and the driver's counters. */
struct teesim_sw_stats ot_sw(struct ot *t);
struct teesim_optee_info ot_drv(struct ot *t);
struct teesim_tee_stats ot_core(struct ot *t);

/* Checksums of the mem TA's READ: sum of bytes mod 2^32 and FNV-1a 32. */
uint32_t ot_sum(const uint8_t *p, size_t n);
uint32_t ot_fnv(const uint8_t *p, size_t n);

#endif /* TEESIM_TESTS_OPTEE_UTIL_H */
