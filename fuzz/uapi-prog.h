/* SPDX-License-Identifier: MIT */
/*
 * The uapi program interpreter of fuzz-uapi.c, shared without a copy by
 * targets that put another driver below the tee core: such a target
 * defines FUZZ_UAPI_BACKEND and FUZZ_UAPI_NAME, includes <teesim/teesim.h>
 * and then "fuzz-uapi.c", and after it defines struct uapi_backend (its
 * state, reached as r->be), the functions below and its own
 * LLVMFuzzerTestOneInput around uapi_run_program() and uapi_close_all().
 * Without FUZZ_UAPI_BACKEND, fuzz-uapi.c is the tee core over the unit
 * tests' driver (tests/testdrv.c).
 */
#ifndef TEESIM_FUZZ_UAPI_PROG_H
#define TEESIM_FUZZ_UAPI_PROG_H

#include <stdint.h>

#ifndef FUZZ_UAPI_NAME
#define FUZZ_UAPI_NAME "fuzz-uapi"
#endif

struct run;
struct input;

/* TEE_IOC_SUPPL_RECV comes next: post a request for it, or see that it cannot block. */
static void uapi_supp_post(struct run *r, struct input *in);
/* The driver (or the secure world below it) changes its behaviour. */
static void uapi_script(struct run *r, struct input *in);
/* The TA UUID of a TEE_IOC_OPEN_SESSION. */
static void uapi_uuid(struct run *r, struct input *in, uint8_t uuid[16]);
/* Called before each step of the program. */
static void uapi_step(struct run *r);
/* Fds and tee mappings that exist besides the program's own (a supplicant's). */
static void uapi_extra(struct run *r, uint64_t *fds, uint64_t *maps);

#endif /* TEESIM_FUZZ_UAPI_PROG_H */
