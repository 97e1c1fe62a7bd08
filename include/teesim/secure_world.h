/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/secure_world.h
 * @brief The fake OP-TEE secure world: a behavioural model of OP-TEE OS as
 * the normal world sees it, reachable only through the SMC channel and
 * physical memory.
 *
 * Lifetime: teesim_sw_new() builds a secure world and attaches it to the
 * machine's SMC channel; teesim_sw_free() detaches it and releases
 * everything it holds (sessions, registered memory, secure threads, its
 * secure RAM). The machine must outlive it.
 *
 * What it serves (see docs/secure-world.md): every OP-TEE fast call, the
 * yielding calls CALL_WITH_ARG, CALL_WITH_RPC_ARG and RETURN_FROM_RPC, the
 * message commands OPEN_SESSION, INVOKE_COMMAND, CLOSE_SESSION, CANCEL,
 * REGISTER_SHM and UNREGISTER_SHM, with VALUE, TMEM (static pool and page
 * lists) and RMEM parameters. Each secure thread runs on its own fiber: a
 * thread that makes an RPC really returns to the normal world and is resumed
 * by RETURN_FROM_RPC, from any host thread.
 *
 * It only ever answers with OP-TEE's codes (OPTEE_SMC_RETURN_* in a0,
 * TEE_ERROR_* in the message), and a message it rejects changes no state.
 * The functions below return 0 or a negative errno, like the rest of the
 * library.
 *
 * Threads: every function may be called from several host threads at once.
 */
#ifndef TEESIM_SECURE_WORLD_H
#define TEESIM_SECURE_WORLD_H

#include <teesim/common.h>
#include <teesim/optee_abi.h>
#include <teesim/smc.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque secure world. */
struct teesim_sw;

/** OP-TEE OS generations whose observable behaviour differs. */
enum teesim_optee_gen {
	/**
	 * optee_os 3.0 (2018, the v4.16 peer): registered memory has no
	 * reference count (UNREGISTER_SHM frees at once, even in use); a NULL
	 * memref is buf_ptr 0 with size 0; RMEM ranges are not checked against
	 * the registered size; no upper bound on num_params in the static pool.
	 */
	TEESIM_OPTEE_GEN_3_0 = 0,
	/** optee_os 3.3 .. 3.16: registered memory is reference counted and
	 * unregistering an object in use waits for its last user. */
	TEESIM_OPTEE_GEN_3_3,
	/**
	 * optee_os of today: as 3.3, plus num_params <= 127, NULL memref is
	 * any buf_ptr 0, RMEM offs + size checked (TEE_ERROR_SECURITY),
	 * MEMREF_NULL and RPC_ARG capabilities, REE_KERNEL login, GET_THREAD_COUNT.
	 */
	TEESIM_OPTEE_GEN_HEAD,
};

/** What UNREGISTER_SHM does with an object that a running call still uses. */
enum teesim_sw_unreg_mode {
	TEESIM_SW_UNREG_BY_GEN = 0, /**< FREE for 3.0, WAIT later */
	TEESIM_SW_UNREG_FREE,	    /**< drop the registration at once (3.0) */
	/** the unregistering thread sleeps on a wait-queue RPC until the last
	 * user drops it; that user's thread sends the wakeup RPC (3.3+) */
	TEESIM_SW_UNREG_WAIT,
	TEESIM_SW_UNREG_BUSY, /**< refuse with TEE_ERROR_BUSY (simplified peers) */
};

/** Configuration; fill it with teesim_sw_cfg_default() first. */
struct teesim_sw_cfg {
	enum teesim_optee_gen gen;
	/** OPTEE_SMC_SEC_CAP_* reported by EXCHANGE_CAPABILITIES. HAVE_RESERVED_SHM
	 * is forced off when @ref reserved_shm is false. */
	uint32_t sec_caps;
	/** Use the machine's static shm carve-out as the reserved pool. */
	bool reserved_shm;
	/** Number of secure threads (CFG_NUM_THREADS), 1..64. */
	unsigned num_threads;
	/** Most data pages one page list may describe (REGISTER_SHM, NONCONTIG
	 * memrefs, SHM_ALLOC replies); more is rejected. */
	uint64_t max_pagelist_pages;
	/** What UNREGISTER_SHM does with an object in use. */
	enum teesim_sw_unreg_mode unreg_mode;
	/** GET_OS_REVISION answer. */
	uint32_t os_major, os_minor, os_build_id;
	/** Notification values (EXCHANGE_CAPABILITIES a2 with ASYNC_NOTIF). */
	uint32_t max_notif_value;
	/** Fiber stack of each secure thread in bytes (0: 64 KiB). */
	size_t stack_size;
	/** Register the built-in TAs of teesim/ta.h at creation. */
	bool builtin_tas;
};

/**
 * Defaults for generation @p gen: capabilities as that OP-TEE reports them
 * (3.0: RESERVED_SHM | DYNAMIC_SHM; 3.3: the same; HEAD: adds MEMREF_NULL and
 * RPC_ARG), reserved pool on, 4 threads, at most 65536 pages per list,
 * OS revision 3.0 / 3.3 / 4.0, builtin TAs on.
 */
TEESIM_API void teesim_sw_cfg_default(struct teesim_sw_cfg *cfg, enum teesim_optee_gen gen);

/**
 * Build a secure world on @p m and attach it to the SMC channel. @p cfg may
 * be NULL for teesim_sw_cfg_default(TEESIM_OPTEE_GEN_HEAD). NULL with errno:
 * EINVAL (bad thread count, reserved pool asked for on a machine without a
 * carve-out), EBUSY (a secure world is already attached), ENOMEM.
 */
TEESIM_API struct teesim_sw *teesim_sw_new(struct teesim_machine *m,
					   const struct teesim_sw_cfg *cfg);

/**
 * Detach and destroy. Threads still suspended in an RPC are unwound first:
 * their RPCs fail as if the normal world had answered with an error, and
 * nothing more is written to normal-world memory. No SMC may be in flight
 * (running on a host thread) while it is called. NULL is a no-op.
 */
TEESIM_API void teesim_sw_free(struct teesim_sw *sw);

/** The configuration in use (after defaults were applied). */
TEESIM_API const struct teesim_sw_cfg *teesim_sw_config(const struct teesim_sw *sw);

/** The machine the secure world lives on. */
TEESIM_API struct teesim_machine *teesim_sw_machine(const struct teesim_sw *sw);

/**
 * The SMC entry point itself, as attached to the channel: a mediator or a
 * test may call it directly.
 */
TEESIM_API void teesim_sw_smc(void *sw, struct teesim_guest *from, struct teesim_smc_regs *regs);

/* ------------------------------------------------------------------------ */
/** @name Fault injection */

/**
 * Make the next @p n secure-thread steps issue an RPC_FOREIGN_INTR first: a
 * call that starts or resumes returns to the normal world with
 * OPTEE_SMC_RETURN_RPC_FOREIGN_INTR and goes on only when resumed. Exercises
 * the resume path of a driver. @p n adds to what is pending.
 */
TEESIM_API void teesim_sw_inject_foreign_intr(struct teesim_sw *sw, unsigned n);

/* ------------------------------------------------------------------------ */
/** @name Observation */

/** Counters over the whole secure world. */
struct teesim_sw_stats {
	uint64_t sessions;	    /**< sessions open now */
	uint64_t shm_objects;	    /**< registered shm objects (REGISTER_SHM) alive */
	uint64_t rpc_shm_objects;   /**< SHM_ALLOC buffers held by secure threads */
	uint64_t threads_busy;	    /**< threads running or suspended */
	uint64_t threads_suspended; /**< threads waiting for RETURN_FROM_RPC */
	uint64_t std_calls;	    /**< CALL_WITH_ARG / RPC_ARG calls accepted by a thread */
	uint64_t fast_calls;	    /**< fast calls answered */
	uint64_t rpcs;		    /**< RPCs issued to the normal world */
	uint64_t rejected;	    /**< calls or messages refused with an error */
	uint64_t cached_rpc_args;   /**< RPC argument buffers kept by the shm cache */
	uint64_t stale_accesses;    /**< TA accesses to memory unregistered under it (3.0) */
};

/** Fill @p st. */
TEESIM_API void teesim_sw_stats(struct teesim_sw *sw, struct teesim_sw_stats *st);

/** A 16-octet UUID in the big-endian GP serialization used on the wire. */
struct teesim_uuid {
	uint8_t b[16];
};

/** One open session. */
struct teesim_sw_session_info {
	uint32_t id;		   /**< the id the normal world uses */
	struct teesim_uuid uuid;   /**< the TA */
	struct teesim_uuid client; /**< client UUID as given */
	uint32_t login;		   /**< login method */
	bool dead;		   /**< the TA panicked */
	unsigned calls;		   /**< calls running in it now */
	uint64_t instance;	   /**< its instance (SINGLE_INSTANCE TAs; else 0) */
};

/** Copy up to @p max sessions (in order of opening) into @p out; returns the number open. */
TEESIM_API size_t teesim_sw_sessions(struct teesim_sw *sw, struct teesim_sw_session_info *out,
				     size_t max);

/** One registered shared-memory object. */
struct teesim_sw_shm_info {
	uint64_t cookie; /**< the normal world's cookie */
	/** bytes the object covers, as OP-TEE computes them from the list (not
	 * the size the normal world asked for): npages * 4096 - page_offset on
	 * HEAD, npages * 4096 on 3.0 and 3.3 */
	uint64_t size;
	uint32_t page_offset; /**< offset of the data in the first page */
	uint64_t npages;      /**< pages in its list */
	unsigned refcount;    /**< registration + parameters in flight */
	bool releasing;	      /**< UNREGISTER_SHM waits for its last user */
};

/**
 * Copy up to @p max registered objects (most recently registered first) into
 * @p out; returns how many are registered.
 */
TEESIM_API size_t teesim_sw_shm_objects(struct teesim_sw *sw, struct teesim_sw_shm_info *out,
					size_t max);

/**
 * Physical pages of the object most recently registered under @p cookie:
 * copies up to @p max of them into @p pas and returns the page count, or
 * -ENOENT.
 */
TEESIM_API long teesim_sw_shm_pages(struct teesim_sw *sw, uint64_t cookie, teesim_pa_t *pas,
				    size_t max);

/** State of a secure thread. */
enum teesim_sw_thread_state {
	TEESIM_SW_THREAD_FREE = 0,
	TEESIM_SW_THREAD_RUNNING,   /**< on a host thread right now */
	TEESIM_SW_THREAD_SUSPENDED, /**< returned to the normal world with an RPC */
};

/** State of thread @p id, or -EINVAL for a bad id. */
TEESIM_API int teesim_sw_thread_state(struct teesim_sw *sw, unsigned id);

/** Kind of a decoded parameter. */
enum teesim_sw_param_kind {
	TEESIM_SW_PARAM_NONE = 0,
	TEESIM_SW_PARAM_VALUE,
	TEESIM_SW_PARAM_TMEM,	   /**< contiguous, inside the static pool */
	TEESIM_SW_PARAM_NONCONTIG, /**< TMEM with a page list */
	TEESIM_SW_PARAM_RMEM,	   /**< registered memory */
	TEESIM_SW_PARAM_NULL,	   /**< NULL memref */
};

/** The secure world's view of one parameter, after validation. */
struct teesim_sw_param {
	enum teesim_sw_param_kind kind;
	uint64_t attr;	      /**< the attribute as received */
	uint64_t a, b, c;     /**< VALUE */
	uint64_t cookie;      /**< memrefs: shm_ref */
	uint64_t offset;      /**< RMEM: offs; NONCONTIG: first-page offset; TMEM: 0 */
	uint64_t size;	      /**< memrefs: size */
	teesim_pa_t first_pa; /**< PA of the first data byte (0 for NULL) */
	uint64_t npages;      /**< pages behind the memref */
};

/** The last message a thread decoded completely. */
struct teesim_sw_request {
	uint32_t cmd, func, session, cancel_id;
	uint32_t num_params;
	struct teesim_sw_param params[TEESIM_OPTEE_TA_NUM_PARAMS + 2];
	uint32_t ret, ret_origin; /**< what it answered */
};

/** Copy the last fully decoded request; -ENOENT if there was none. */
TEESIM_API int teesim_sw_last_request(struct teesim_sw *sw, struct teesim_sw_request *req);

/** Called once per completed request with its decoded view, on the calling host thread. */
typedef void (*teesim_sw_request_fn)(void *ctx, const struct teesim_sw_request *req);

/**
 * Install (or with NULL remove) a hook that sees every request the secure
 * world decoded, as teesim_sw_last_request() would return it. Must be set
 * while no call is in flight.
 */
TEESIM_API void teesim_sw_set_request_hook(struct teesim_sw *sw, teesim_sw_request_fn fn,
					   void *ctx);

/** Normal-world memory the secure world reads, by field, for the double-fetch check. */
enum teesim_sw_field {
	TEESIM_SW_FIELD_ARG = 0,   /**< the call's optee_msg_arg; offset = byte offset in it */
	TEESIM_SW_FIELD_PAGE_LIST, /**< page-list pages; offset = list entry index */
	TEESIM_SW_FIELD_RPC_ARG,   /**< the RPC optee_msg_arg read back after an RPC */
	TEESIM_SW_FIELD_COUNT,
};

/**
 * Start (true) or stop counting reads of normal-world memory. While on,
 * each request counts how often each 4-byte word of its argument (and each
 * page-list entry, each RPC argument word) was fetched. It applies to calls
 * that start after it.
 */
TEESIM_API void teesim_sw_count_reads(struct teesim_sw *sw, bool on);

/**
 * How often the last completed request that was counted fetched the word of
 * @p field at @p offset (ARG/RPC_ARG: byte offset, rounded down to 4;
 * PAGE_LIST: slot index counting 512 slots per list page, 511 being the
 * next pointer; the first 4096 slots). Turning counting off keeps the last
 * counts. 0 before any request was counted, and out of range.
 */
TEESIM_API unsigned teesim_sw_reads(struct teesim_sw *sw, enum teesim_sw_field field,
				    uint64_t offset);

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_SECURE_WORLD_H */
