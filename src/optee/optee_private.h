/* SPDX-License-Identifier: MIT */
/*
 * The OP-TEE driver model's internals: the model of
 * drivers/tee/optee/optee_private.h. Internal: nothing here leaves the library.
 */
#ifndef TEESIM_OPTEE_PRIVATE_H
#define TEESIM_OPTEE_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <teesim/optee.h>
#include <teesim/optee_abi.h>
#include <teesim/smc.h>

#include "alloc.h"
#include "optee/pagelist.h"
#include "core/tee_drv.h"
#include "internal.h"

/* Most parameters of a cached argument (MAX_ARG_PARAM_COUNT of the later driver). */
#define OPTEE_MAX_ARG_PARAM_COUNT 6u
/* Largest message the driver builds locally (header + 127 params). */
#define OPTEE_MSG_MAX_SIZE TEESIM_OPTEE_MSG_GET_ARG_SIZE(TEESIM_OPTEE_MSG_MAX_NUM_PARAMS)

/* The 32-byte header of optee_msg_arg without its flexible array, for local copies. */
struct optee_msg_hdr {
	uint32_t cmd, func, session, cancel_id, pad, ret, ret_origin, num_params;
};
_Static_assert(sizeof(struct optee_msg_hdr) == sizeof(struct teesim_optee_msg_arg),
	       "header of optee_msg_arg");

/* A message with room for every parameter, for local copies. */
struct optee_msg_local {
	struct optee_msg_hdr hdr;
	struct teesim_optee_msg_param params[TEESIM_OPTEE_MSG_MAX_NUM_PARAMS];
};

/* One caller waiting for a free secure thread (struct optee_call_waiter). */
struct optee_call_waiter {
	struct optee_call_waiter *next;
	pthread_cond_t cond;
	bool completed;
};

/* struct optee_call_queue */
struct optee_call_queue {
	pthread_mutex_t mutex;
	struct optee_call_waiter *head;
	unsigned active, waiting, max_waiting;
};

/* One key of the RPC wait queue (struct wq_entry). */
struct optee_wq_entry {
	struct optee_wq_entry *next;
	uint32_t key;
	bool completed;
	pthread_cond_t cond;
};

/* One supplicant request (struct optee_supp_req). */
struct optee_supp_req {
	struct optee_supp_req *next;
	bool in_queue, handed, done;
	int id;
	uint32_t func, ret;
	size_t num_params;
	struct tee_param *param;
	pthread_cond_t cond;
};

/* struct optee_supp */
struct optee_supp {
	pthread_mutex_t mutex;
	pthread_cond_t reqs_c;
	struct tee_context *ctx;
	struct optee_supp_req *queue;  /* FIFO, waiting for SUPPL_RECV */
	struct optee_supp_req *handed; /* received, waiting for SUPPL_SEND */
	int next_id, req_id;	       /* req_id: synchronous request outstanding, -1 none */
	bool interrupt_pending;	       /* teesim_optee_supp_interrupt() */
	uint64_t requests, failed;
};

/* Kinds of buffers the secure world was given a cookie for in an RPC. */
enum optee_rpc_shm_kind {
	OPTEE_RPC_SHM_ARG = 0, /* RPC_ALLOC */
	OPTEE_RPC_SHM_KERNEL,  /* SHM_ALLOC of kernel type */
	OPTEE_RPC_SHM_APPL,    /* SHM_ALLOC served by the supplicant */
};

struct optee_rpc_shm {
	struct optee_rpc_shm *next;
	uint64_t cookie;
	struct tee_shm *shm;
	enum optee_rpc_shm_kind kind;
};

/* A cached argument buffer (the later driver's struct optee_shm_arg_entry, one slot each). */
struct optee_arg_entry {
	struct optee_arg_entry *next;
	struct tee_shm *shm;
	bool in_use;
};

/* Per-call state of the RPC handler (struct optee_call_ctx). */
struct optee_call_ctx {
	struct optee_pages_list pages_list; /* from the last SHM_ALLOC reply */
	struct tee_context *ctx;	    /* the calling context (NULL: driver internal) */
};

/* struct optee */
struct optee {
	struct teesim_machine *m;
	struct teesim_guest *g;
	struct teesim_optee_cfg cfg;
	uint32_t sec_caps;
	uint32_t os_major, os_minor;
	unsigned rpc_param_count;
	enum teesim_optee_pool_kind pool_kind;
	bool shm_cache_on;
	/* model: set by a kexec-like restart: the old kernel never reaches the
	 * secure world again, while its local state is dropped */
	_Atomic bool kexec;
	uint64_t cache_dropped;

	struct tee_shm_pool *pool;
	struct tee_shm_pool_mgr *page_mgr_priv, *page_mgr_dma; /* kernel-page managers, if any */
	struct tee_device *teedev, *supp_teedev;

	struct optee_call_queue cq;
	pthread_mutex_t wq_mutex;
	struct optee_wq_entry *wq;
	struct optee_supp supp;

	pthread_mutex_t lock; /* the rpc shm table, the arg cache, counters */
	struct optee_rpc_shm *rpc_shms;
	uint64_t nrpc_shms;
	struct optee_arg_entry *arg_cache;
	unsigned arg_entries, arg_in_use;
	uint64_t arg_hits;
	uint64_t registered;
	/* model: one list page kept for REGISTER_SHM of up to 511 pages (the
	 * secure world copies the list during the call), slots [0, dirty) may
	 * be non-zero; in use while small_pl_busy */
	struct optee_pages_list small_pl;
	size_t small_pl_dirty;
	_Atomic bool small_pl_busy;
	_Atomic uint64_t calls, rpcs, foreign_intrs, rpc_cmds, ethread_waits, bad_cookies;

	teesim_optee_supp_hook_fn supp_hook;
	void *supp_hook_ctx;
	struct tsim_check_node check_node; /* the invariant checker's (optee_check.c) */
};

/* A message argument buffer in shared memory (what get_msg_arg hands out). */
struct optee_msg_buf {
	struct tee_shm *shm;
	struct teesim_optee_msg_arg *arg; /* kernel address */
	uint64_t pa;
	size_t size;
	uint32_t num_params;	       /* as the driver wrote it */
	struct optee_arg_entry *entry; /* from the cache, or NULL */
};

/* ---- optee_call.c ---- */
/* optee_cq_init / destroy: the call queue */
void optee_cq_init(struct optee_call_queue *cq);
void optee_cq_destroy(struct optee_call_queue *cq);
/* optee_get_msg_arg: a zeroed argument for @num_params params */
int optee_get_msg_arg(struct optee *optee, struct tee_context *ctx, uint32_t num_params,
		      struct optee_msg_buf *mb);
/* optee_free_msg_arg */
void optee_free_msg_arg(struct optee *optee, struct optee_msg_buf *mb);
/* optee_arg_cache_uninit: free every cached argument */
void optee_arg_cache_uninit(struct optee *optee);
/* optee_do_call_with_arg: the call loop; returns a0 of the final answer */
uint32_t optee_do_call_with_arg(struct optee *optee, struct tee_context *ctx,
				struct optee_msg_buf *mb);
/* optee_open_session */
int optee_open_session(struct tee_context *ctx, struct tee_ioctl_open_session_arg *arg,
		       struct tee_param *param);
/* optee_close_session */
int optee_close_session(struct tee_context *ctx, uint32_t session);
/* optee_invoke_func */
int optee_invoke_func(struct tee_context *ctx, struct tee_ioctl_invoke_arg *arg,
		      struct tee_param *param);
/* optee_cancel_req */
int optee_cancel_req(struct tee_context *ctx, uint32_t cancel_id, uint32_t session);
/* optee_close_all_sessions: what optee_release does for a client context */
void optee_close_all_sessions(struct tee_context *ctx);
/* optee_shm_register */
int optee_shm_register(struct tee_context *ctx, struct tee_shm *shm, const teesim_ipa_t *pages,
		       size_t num_pages, uint64_t start);
/* optee_shm_unregister */
int optee_shm_unregister(struct tee_context *ctx, struct tee_shm *shm);
/* optee_shm_register_supp / optee_shm_unregister_supp: no secure-world call */
int optee_shm_register_supp(struct tee_context *ctx, struct tee_shm *shm, const teesim_ipa_t *pages,
			    size_t num_pages, uint64_t start);
int optee_shm_unregister_supp(struct tee_context *ctx, struct tee_shm *shm);
/* model: true when @shm lives in kernel pages of the driver's page pool */
bool optee_shm_is_pages(struct optee *optee, const struct tee_shm *shm);
/* model: fill a page list describing [offs, offs + size) of @shm (registered or page pool) */
int optee_shm_pages_list(struct optee *optee, struct tee_shm *shm, size_t offs, size_t size,
			 struct optee_pages_list *pl, uint64_t *buf_ptr);

/* ---- optee_rpc.c ---- */
/* optee_handle_rpc: serve the RPC in @regs and set up RETURN_FROM_RPC */
void optee_handle_rpc(struct optee *optee, struct optee_call_ctx *cc, struct teesim_smc_regs *regs,
		      struct optee_msg_buf *mb);
/* optee_rpc_finalize_call */
void optee_rpc_finalize_call(struct optee_call_ctx *cc);
/* model: remember / find / forget a buffer the secure world has a cookie for */
int optee_rpc_shm_add(struct optee *optee, struct tee_shm *shm, enum optee_rpc_shm_kind kind);
struct tee_shm *optee_rpc_shm_take(struct optee *optee, uint64_t cookie,
				   enum optee_rpc_shm_kind *kind);
struct tee_shm *optee_rpc_shm_find(struct optee *optee, uint64_t cookie);
/* model: free every remembered buffer without telling the secure world */
void optee_rpc_shm_drop_all(struct optee *optee);
/* optee_wait_queue_exit */
void optee_wait_queue_exit(struct optee *optee);

/* ---- optee_supp.c ---- */
/* optee_supp_init / optee_supp_uninit */
void optee_supp_init(struct optee_supp *supp);
void optee_supp_uninit(struct optee_supp *supp);
/* optee_supp_release: the supplicant went away */
void optee_supp_release(struct optee_supp *supp);
/* optee_supp_thrd_req: a request to the supplicant; returns its TEE result */
uint32_t optee_supp_thrd_req(struct optee *optee, uint32_t func, size_t num_params,
			     struct tee_param *param);
/* optee_supp_recv */
int optee_supp_recv(struct tee_context *ctx, uint32_t *func, uint32_t *num_params,
		    struct tee_param *param);
/* optee_supp_send */
int optee_supp_send(struct tee_context *ctx, uint32_t ret, uint32_t num_params,
		    struct tee_param *param);

/* ---- optee_shm_pool.c ---- */
/*
 * optee_shm_pool_alloc_pages: a manager over kernel pages of @g; with
 * @register_user it registers user-visible (DMA_BUF) buffers at allocation
 */
struct tee_shm_pool_mgr *optee_shm_pool_alloc_pages(struct teesim_guest *g, bool register_user);

/* ---- optee_check.c ---- */
/* model: make the driver known to its machine's invariant checker, and forget it */
void optee_check_register(struct optee *optee);
void optee_check_unregister(struct optee *optee);

/* ---- optee_core.c ---- */
/* model: issue one SMC from the driver's guest */
void optee_smccc(struct optee *optee, struct teesim_smc_regs *regs);

static inline uint64_t reg_pair_to_u64(uint32_t hi, uint32_t lo)
{
	return ((uint64_t) hi << 32) | lo;
}

static inline void reg_pair_from_u64(uint64_t v, uint32_t *hi, uint32_t *lo)
{
	*hi = (uint32_t) (v >> 32);
	*lo = (uint32_t) v;
}

#endif /* TEESIM_OPTEE_PRIVATE_H */
