/* SPDX-License-Identifier: MIT */
/*
 * A trivial TEE driver for the tee core's tests: a client device (tee0) and
 * optionally its privileged twin (teepriv0), a pool over the machine's static
 * carve-out or over kernel pages, and answers scripted by the test. It keeps
 * per-context session lists like the OP-TEE driver and records what the core
 * handed it, so tests can assert on both sides of the driver interface.
 */
#ifndef TEESIM_TESTS_TESTDRV_H
#define TEESIM_TESTS_TESTDRV_H

#include <pthread.h>

#include "tee_drv.h"

struct testdrv_cfg {
	bool reg_mem;	   /* shm_register / unregister ops and TEE_GEN_CAP_REG_MEM */
	bool memref_null;  /* TEE_GEN_CAP_MEMREF_NULL, cap_memref_null on contexts */
	bool supplicant;   /* also register the privileged device */
	bool kmem_pool;	   /* pool over kernel pages instead of the carve-out */
	size_t priv_pages; /* pages of the private manager (0: 4) */
	size_t pool_pages; /* pages of the whole pool (0: all of the carve-out, or 64 of kmem) */
	struct teesim_guest *guest; /* the kernel it runs in (NULL: guest 0) */
};

/* Which driver op is running, for the hook. */
enum testdrv_op {
	TESTDRV_OPEN_SESSION = 1,
	TESTDRV_INVOKE,
	TESTDRV_CLOSE_SESSION,
	TESTDRV_CANCEL,
	TESTDRV_RELEASE,
};

/* Called at the start of the op, with no lock held. */
typedef void (*testdrv_hook_fn)(void *arg, enum testdrv_op op, struct tee_context *ctx,
				struct tee_param *params, uint32_t num_params);

#define TESTDRV_MAX_SESSIONS 64
#define TESTDRV_MAX_PARAMS   8

struct testdrv_supp_req {
	bool posted, taken, answered;
	uint32_t func, num_params, ret;
	struct tee_param params[TESTDRV_MAX_PARAMS];
	uint64_t id;
};

struct testdrv {
	struct teesim_machine *m;
	struct teesim_guest *g;
	struct testdrv_cfg cfg;
	struct tee_shm_pool *pool;
	teesim_ipa_t kmem_ipa;
	size_t kmem_pages;
	struct tee_device *teedev, *supp_teedev;
	pthread_mutex_t lock;

	/* scripted answers (set by the test before the call) */
	int open_rc, session_rc, invoke_rc, register_rc, ctx_open_rc;
	uint32_t ret, ret_origin;
	long memref_out_size; /* >= 0: MEMREF_OUTPUT/INOUT sizes become this */
	testdrv_hook_fn hook;
	void *hook_arg;

	/* what happened */
	uint32_t next_session;
	unsigned opens, releases, sessions_opened, sessions_closed, closed_on_release;
	unsigned invokes, cancels, registered, unregistered;
	uint32_t last_cancel_id, last_func;
	uint32_t last_num_params;
	struct tee_param last_params[TESTDRV_MAX_PARAMS];
	int last_shm_ids[TESTDRV_MAX_PARAMS];
	size_t last_reg_pages;
	uint64_t last_reg_start;
	size_t last_reg_offset;

	struct tee_context *supp_ctx;
	struct testdrv_supp_req req;
};

/* Probe: pool, devices, registration. Asserts success. */
struct testdrv *testdrv_new(struct teesim_machine *m, const struct testdrv_cfg *cfg);
/* Remove: unregister (waits for the last user), free the pool and its memory. */
void testdrv_free(struct testdrv *td);

/* Post a supplicant request (values only) for the next SUPPL_RECV. */
void testdrv_supp_post(struct testdrv *td, uint32_t func, const struct tee_param *params,
		       uint32_t num_params);

/* Sessions open on a context (the driver's list). */
unsigned testdrv_ctx_sessions(struct tee_context *ctx);

#endif /* TEESIM_TESTS_TESTDRV_H */

/* ---- helpers shared by the core suites ---- */

/* A process of guest 0 of @m, asserted to exist. */
struct teesim_process *tproc(struct teesim_machine *m);
/*
 * Assert the tee core of @m holds nothing but @devices devices (prints its
 * counters) and that the invariant checker finds nothing, idle and empty.
 */
void th_core_clean_expect(struct teesim_machine *m, uint64_t devices);
#define th_core_clean(m) th_core_clean_expect((m), 0)

/* ioctl wrappers: the argument structs live in @p's memory (user memory) */
int t_version(struct teesim_process *p, int fd, struct tee_ioctl_version_data *out);
int t_shm_alloc(struct teesim_process *p, int fd, uint64_t size,
		struct tee_ioctl_shm_alloc_data *out);
int t_shm_register(struct teesim_process *p, int fd, uint64_t addr, uint64_t len,
		   struct tee_ioctl_shm_register_data *out);
/* open a session with @n params (in/out); *@session and *@ret filled on success */
int t_open_session(struct teesim_process *p, int fd, struct tee_ioctl_param *params, uint32_t n,
		   uint32_t *session, uint32_t *ret);
int t_invoke(struct teesim_process *p, int fd, uint32_t session, uint32_t func,
	     struct tee_ioctl_param *params, uint32_t n, uint32_t *ret);
int t_close_session(struct teesim_process *p, int fd, uint32_t session);
/* the tee core's view of fd @fd */
struct teesim_tee_fd_info t_fd_info(struct teesim_process *p, int fd);
