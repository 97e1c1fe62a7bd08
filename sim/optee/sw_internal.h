/* SPDX-License-Identifier: MIT */
/*
 * Private structures of the fake OP-TEE secure world. Internal symbols use
 * the tsim_sw_ prefix and are hidden. The secure world reaches normal-world
 * memory only by physical address through the machine's checked accessors.
 */
#ifndef TEESIM_SIM_OPTEE_SW_INTERNAL_H
#define TEESIM_SIM_OPTEE_SW_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <teesim/teesim.h>

#include "../alloc.h"
#include "../fiber.h"
#include "../internal.h"

#define SW_PAGE	       4096u
#define SW_PAGE_MASK   ((uint64_t) SW_PAGE - 1)
#define SW_MAX_THREADS 64u
/* message params a call may carry into the decoder: 2 meta + 4 TA params */
#define SW_NPARAMS    (TEESIM_OPTEE_TA_NUM_PARAMS + 2u)
#define SW_TA_NPARAMS TEESIM_OPTEE_TA_NUM_PARAMS

/* read counters, per field: ARG by 4-byte word of a page, PAGE_LIST by entry */
#define SW_READS_ARG  1024u
#define SW_READS_LIST 4096u
#define SW_READS_RPC  1024u

/* The header of an optee_msg_arg without its flexible params[], for local copies. */
struct tsim_sw_msg_hdr {
	uint32_t cmd, func, session, cancel_id, pad, ret, ret_origin, num_params;
};
_Static_assert(sizeof(struct tsim_sw_msg_hdr) == sizeof(struct teesim_optee_msg_arg),
	       "header copy matches optee_msg_arg");

/* A run of normal-world memory: contiguous from @base, or a page array. */
struct tsim_sw_mem {
	enum teesim_sw_param_kind kind;
	uint64_t size;		  /* bytes of data */
	teesim_pa_t base;	  /* contiguous: PA of the first data byte */
	const teesim_pa_t *pages; /* else: 4 KiB pages, data starts at @start */
	uint64_t npages;
	uint64_t start;		   /* offset of the data start from pages[0] */
	struct tsim_sw_mobj *mobj; /* RMEM: reference held for the call */
};

/* Memory the normal world shared by cookie: REGISTER_SHM objects and SHM_ALLOC replies. */
struct tsim_sw_mobj {
	uint64_t cookie;
	uint64_t size;	      /* bytes usable from the data start */
	uint32_t page_offset; /* data start inside pages[0] */
	uint64_t npages;
	teesim_pa_t *pages; /* NULL when contiguous */
	teesim_pa_t base;   /* contiguous (static pool): PA of the data start */
	uint32_t shm_type;  /* SHM_ALLOC replies: the type asked for */
	unsigned refs;	    /* registration + users; under sw->lock */
	bool registered;    /* on sw->mobjs, found by cookie */
	bool releasing;	    /* UNREGISTER_SHM waits for the last user */
	bool stale;	    /* 3.0: unregistered while in use */
	uint32_t wait_key;  /* WAIT mode: key the unregistering thread sleeps on */
	struct tsim_sw_mobj *next;
};

struct tsim_sw_ta {
	struct teesim_uuid uuid;
	char *name;
	const struct teesim_ta_ops *ops;
	void *ctx;
	unsigned flags;
	unsigned nsessions;
	bool loaded;
	uint64_t instance;	/* SINGLE_INSTANCE: the current instance's number */
	unsigned inst_sessions; /* SINGLE_INSTANCE: sessions (opening or open) on it */
	struct tsim_sw_ta *next;
};

struct tsim_sw_session {
	uint32_t id;
	struct tsim_sw_ta *ta;
	void *ctx;
	struct teesim_uuid client;
	uint32_t login;
	bool dead;
	bool cancel;
	bool closing;	   /* a CLOSE_SESSION waits for the calls running in it */
	uint32_t wait_key; /* the key it sleeps on, until the last call out wakes it */
	unsigned calls;	   /* calls running in it; under sw->lock */
	uint64_t instance; /* SINGLE_INSTANCE: the instance it was opened on; else 0 */
	struct tsim_sw_session *next;
};

struct teesim_ta_call {
	struct tsim_sw_thread *t;
	struct tsim_sw_session *sess;
	struct teesim_ta_param params[SW_TA_NPARAMS];
	struct tsim_sw_mem mem[SW_TA_NPARAMS];
	bool panicked;
};

struct teesim_ta_shm {
	struct tsim_sw_mobj mobj;
	struct teesim_ta_shm *next; /* thread's list of live RPC buffers */
};

struct tsim_sw_thread {
	struct teesim_sw *sw;
	unsigned id;
	struct tsim_fiber *fiber;
	enum teesim_sw_thread_state state; /* under sw->lock */
	bool done;			   /* the fiber finished its call */
	bool abort;			   /* teardown: RPCs fail, nothing is written */
	uint64_t nrpc; /* RPCs this thread has made: whether a wait went out at all */

	/* the call as it arrived */
	uint32_t fid;
	uint32_t in_a1, in_a2, in_a3, in_a7;
	struct teesim_guest *guest;
	uint32_t a0_out;

	/* RPC to the normal world, and what came back */
	uint32_t rpc_a0, rpc_a1, rpc_a2;
	uint32_t back_a1, back_a2, back_a4, back_a5;

	/* the call's argument: contiguous, or inside a registered object (REGD_ARG) */
	struct tsim_sw_mem arg;

	/* RPC argument buffer */
	bool rpc_arg_valid;
	bool rpc_arg_from_call; /* RPC_ARG / REGD_ARG: follows the call's argument */
	struct tsim_sw_mem rpc_arg;
	uint64_t rpc_arg_cookie;
	/* a cached RPC_ALLOC buffer set aside while a call brings its own */
	bool saved_valid;
	struct tsim_sw_mem saved_arg;
	uint64_t saved_cookie;

	struct teesim_ta_shm *rpc_shms; /* SHM_ALLOC buffers alive in this call */
	bool have_req;			/* @req holds a fully decoded request */
	struct teesim_sw_request req;
	struct teesim_ta_call call;

	/* per-parameter page arrays for NONCONTIG memrefs, reused across calls */
	teesim_pa_t *scratch[SW_NPARAMS];
	uint64_t scratch_cap[SW_NPARAMS];

	/* read counters of the current request (when counting); zeroed when it starts */
	bool counting;
	struct tsim_sw_reads *reads;
};

/* how often each 4-byte word of the message and RPC argument, and each list entry, was read */
struct tsim_sw_reads {
	uint16_t arg[SW_READS_ARG];
	uint16_t list[SW_READS_LIST];
	uint16_t rpc[SW_READS_RPC];
};

struct teesim_sw {
	struct teesim_machine *m;
	struct teesim_sw_cfg cfg;
	pthread_mutex_t lock; /* threads' states, sessions, objects, TAs, stats */

	/* what OP-TEE knows of the memory map: non-secure RAM and the pool */
	teesim_pa_t ram_base;
	uint64_t ram_size;
	teesim_pa_t shm_base;
	uint64_t shm_size; /* 0: no reserved pool */

	struct tsim_sw_thread *threads;
	unsigned nthreads;
	bool shm_cache;
	_Atomic unsigned fintr_pending;

	struct tsim_sw_ta *tas;
	struct tsim_sw_session *sessions; /* in order of opening */
	uint32_t next_session;
	struct tsim_sw_mobj *mobjs; /* registered, most recent first */
	uint32_t next_wait_key;

	teesim_sw_request_fn req_fn;
	void *req_ctx;
	_Atomic bool count_reads;
	bool have_last;
	struct teesim_sw_request last;
	/*
	 * The counters of the last request counted, valid once have_last_reads
	 * is set. They and the threads' sets are one block (reads_block),
	 * allocated without zeroing: nothing is read before it is written, so
	 * a secure world that never counts never touches the 12 KiB a set.
	 */
	bool have_last_reads;
	struct tsim_sw_reads *last_reads;
	struct tsim_sw_reads *reads_block;

	/* statistics */
	_Atomic uint64_t std_calls, fast_calls, rpcs, rejected, stale_accesses;
	uint64_t nsessions, nmobjs, nrpc_shms;

	struct tsim_check_node check_node; /* the invariant checker's (check.c) */
};

/* ---- check.c: make the secure world known to its machine's invariant checker, and forget it */
void tsim_sw_check_register(struct teesim_sw *sw);
void tsim_sw_check_unregister(struct teesim_sw *sw);

/* ---- sw.c ---- */
bool tsim_sw_is_ns(const struct teesim_sw *sw, teesim_pa_t pa, uint64_t len);
bool tsim_sw_in_pool(const struct teesim_sw *sw, teesim_pa_t pa, uint64_t len);
/* the one accessor through which normal-world memory is read; counts per field */
int tsim_sw_nw_read(struct tsim_sw_thread *t, enum teesim_sw_field field, uint64_t off,
		    teesim_pa_t pa, void *dst, size_t len);
int tsim_sw_nw_write(struct tsim_sw_thread *t, teesim_pa_t pa, const void *src, size_t len);

/* ---- call.c: threads, yielding calls, RPC ---- */
int tsim_sw_threads_init(struct teesim_sw *sw);
void tsim_sw_threads_fini(struct teesim_sw *sw);
void tsim_sw_std_call(struct teesim_sw *sw, struct teesim_guest *from, struct teesim_smc_regs *r);
void tsim_sw_return_from_rpc(struct teesim_sw *sw, struct teesim_guest *from,
			     struct teesim_smc_regs *r);
bool tsim_sw_all_threads_free(struct teesim_sw *sw); /* under lock */
/* from a secure thread: return to the normal world with RPC @a0 and wait */
void tsim_sw_rpc(struct tsim_sw_thread *t, uint32_t a0, uint32_t a1, uint32_t a2);

/* ---- msg.c: the message decoder and commands ---- */
uint32_t tsim_sw_handle_msg(struct tsim_sw_thread *t);

/* ---- mobj.c: page lists and registered memory ---- */
/* walk a page list; fills @pages (grown in *@scratch); OP-TEE's rules */
uint32_t tsim_sw_pagelist(struct tsim_sw_thread *t, uint64_t buf_ptr, uint64_t size,
			  teesim_pa_t **scratch, uint64_t *cap, uint64_t *npages);
struct tsim_sw_mobj *tsim_sw_mobj_get(struct teesim_sw *sw, uint64_t cookie);
void tsim_sw_mobj_put(struct tsim_sw_thread *t, struct tsim_sw_mobj *mo);
uint32_t tsim_sw_register_shm(struct tsim_sw_thread *t, uint64_t buf_ptr, uint64_t size,
			      uint64_t cookie);
uint32_t tsim_sw_unregister_shm(struct tsim_sw_thread *t, uint64_t cookie);
void tsim_sw_mobjs_fini(struct teesim_sw *sw);
/* read or write @len bytes at @off of @mem; reads are counted under @field
 * (TEESIM_SW_FIELD_COUNT: not counted). 0, -EINVAL (beyond the memory) or
 * the accessor's error */
int tsim_sw_mem_io(struct tsim_sw_thread *t, const struct tsim_sw_mem *mem,
		   enum teesim_sw_field field, uint64_t off, void *buf, size_t len, bool write);
void tsim_sw_mem_from_mobj(struct tsim_sw_mem *mem, struct tsim_sw_mobj *mo, uint64_t off,
			   uint64_t size);

/* ---- rpc.c ---- */
void tsim_sw_call_end_rpc(struct tsim_sw_thread *t); /* free RPC buffers left */
/* RPC_CMD with raw message params; @p is updated with what came back */
uint32_t tsim_sw_rpc_cmd(struct tsim_sw_thread *t, uint32_t cmd, struct teesim_optee_msg_param *p,
			 unsigned n);
/*
 * Wait-queue RPCs (OPTEE_RPC_CMD_WAIT_QUEUE), as OP-TEE's condition variables
 * make them. tsim_sw_wq_sleep is false when the thread could not reach the
 * normal world at all (teardown, or no RPC argument to write the request
 * in): a caller sleeping until a condition holds must stop then, or it would
 * spin without ever letting another thread change the condition.
 */
bool tsim_sw_wq_sleep(struct tsim_sw_thread *t, uint32_t key);
void tsim_sw_wq_wakeup(struct tsim_sw_thread *t, uint32_t key);
struct teesim_ta_shm *tsim_sw_shm_alloc(struct tsim_sw_thread *t, uint32_t type, uint64_t size,
					uint32_t *ret);
uint32_t tsim_sw_shm_free(struct tsim_sw_thread *t, struct teesim_ta_shm *shm);
/* describe @shm (offset, size) as an RPC memref parameter of type @dir (INPUT 0..INOUT 2) */
void tsim_sw_shm_param(struct teesim_optee_msg_param *p, const struct teesim_ta_shm *shm,
		       unsigned dir, uint64_t offset, uint64_t size);

/* ---- ta.c ---- */
struct tsim_sw_ta *tsim_sw_ta_find(struct teesim_sw *sw, const struct teesim_uuid *uuid);
void tsim_sw_tas_fini(struct teesim_sw *sw);
uint32_t tsim_sw_ta_load(struct tsim_sw_thread *t, struct tsim_sw_ta *ta);
int tsim_sw_builtin_register(struct teesim_sw *sw);

#endif /* TEESIM_SIM_OPTEE_SW_INTERNAL_H */
