/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/optee.h
 * @brief The OP-TEE driver model (Linux drivers/tee/optee): probe a driver
 * in a guest's kernel, remove it, restart it kexec-like, observe it; and a
 * "stack" builder that gives a whole machine (secure world, driver,
 * supplicant) in one call.
 *
 * Once probed, the driver's devices are reached through the tee core's
 * surface (teesim/tee.h): "/dev/tee0" for clients and "/dev/teepriv0" for
 * the supplicant of the driver's guest. It talks to the secure world only
 * through the SMC channel (teesim_smc_call) and hands it guest-physical
 * addresses (IPAs); translating those is a hypervisor mediator's job.
 *
 * Threads: every function except probe, remove and restart may be called
 * from several host threads at once; calls into the driver block only on
 * condition variables (the call queue, the wait queue, the supplicant
 * queue), never in a busy loop.
 */
#ifndef TEESIM_OPTEE_H
#define TEESIM_OPTEE_H

#include <teesim/common.h>
#include <teesim/machine.h>
#include <teesim/secure_world.h>
#include <teesim/supplicant.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque driver instance. */
struct teesim_optee;

/** Driver generations whose observable behaviour differs. */
enum teesim_optee_drv_gen {
	/**
	 * The v4.16 driver (the dynamic shared memory series): needs the
	 * reserved (static) pool, probe fails without HAVE_RESERVED_SHM; with
	 * DYNAMIC_SHM its private pool is kernel pages and user SHM_ALLOC
	 * buffers still come from the static pool; message arguments are
	 * allocated per call; the shm cache is enabled at probe.
	 */
	TEESIM_OPTEE_DRV_V4_16 = 0,
	/**
	 * A later driver (v5.5 .. v6.x logic): works with dynamic shm alone and
	 * prefers it (a page pool for everything), falls back to the reserved
	 * pool; NULL memrefs when offered; the RPC argument after the call's
	 * argument (CALL_WITH_RPC_ARG) when the secure world offers RPC_ARG,
	 * with a cache of argument buffers; drops shm-cache cookies left by a
	 * previous kernel at probe.
	 */
	TEESIM_OPTEE_DRV_LATER,
};

/** Driver configuration; fill it with teesim_optee_cfg_default() first. */
struct teesim_optee_cfg {
	enum teesim_optee_drv_gen gen; /**< the driver generation */
	/** The kernel the driver runs in (NULL: guest 0). */
	struct teesim_guest *guest;
	/** Use dynamic shm when the secure world offers it (a driver built without it: false). */
	bool dynamic_shm;
	/** LATER: use RPC_ARG when offered. */
	bool rpc_arg;
	/** LATER: offer NULL memrefs (TEE_GEN_CAP_MEMREF_NULL) when the secure world has them. */
	bool memref_null;
	/** Enable the secure world's shm cache at probe (only without RPC_ARG, as the kernel). */
	bool shm_cache;
	/** Static pool: pages of the private part (v4.16 without dynamic shm; 0: 1). */
	unsigned priv_pages;
	/** Normal-world capability bits sent with EXCHANGE_CAPABILITIES (a1). */
	uint32_t nsec_caps;
};

/** Defaults for generation @p gen: dynamic shm, RPC_ARG, MEMREF_NULL and shm cache on, guest 0. */
TEESIM_API void teesim_optee_cfg_default(struct teesim_optee_cfg *cfg,
					 enum teesim_optee_drv_gen gen);

/**
 * Probe a driver on @p m (its secure world must be attached for probe to
 * succeed). @p cfg may be NULL for teesim_optee_cfg_default(LATER).
 * Returns the driver, or NULL with errno: EINVAL (no secure world, UID or
 * revision wrong, capability exchange or pool configuration refused, no
 * usable pool: the probe failures of the real driver), ENODEV (no guest),
 * ENOMEM, or the tee core's errno when it cannot allocate or register the
 * devices.
 */
TEESIM_API struct teesim_optee *teesim_optee_probe(struct teesim_machine *m,
						   const struct teesim_optee_cfg *cfg);

/**
 * Remove the driver as the kernel does: give back the shm cache's buffers
 * (DISABLE_SHM_CACHE loop), unregister both devices (this waits until every
 * context is gone: free or close the processes using them first), free the
 * pools. NULL is a no-op.
 */
TEESIM_API void teesim_optee_remove(struct teesim_optee *drv);

/**
 * kexec-like restart, as a new kernel boots over the old one: the old driver
 * sends nothing more (no UNREGISTER_SHM, CLOSE_SESSION or
 * DISABLE_SHM_CACHE); every tee fd and tee mapping of every process of the
 * driver's guest is dropped (their contexts, shms, pins and ids released;
 * the process objects stay, with no tee fd or mapping left); the driver's
 * state is freed. The secure world keeps what it holds (cached RPC
 * arguments, registered objects, sessions: leaked, as on real hardware;
 * teesim_sw_free() frees them). Then a driver is probed again with the same
 * configuration; it recovers as the real driver of its generation does
 * (LATER drops the cached cookies it finds, v4.16 does not look). No call
 * may be in flight and no process of the guest freed meanwhile. Returns the
 * new driver or NULL with errno (the old one is gone either way).
 */
TEESIM_API struct teesim_optee *teesim_optee_restart(struct teesim_optee *drv);

/**
 * Called on the requesting thread right after a supplicant request was
 * queued, with no lock held. It may serve the request (for example with
 * teesim_supplicant_serve_fd() on an open "/dev/teepriv0"): a way to run
 * the supplicant without a second host thread. A request still unanswered
 * when the hook returns is failed with TEEC_ERROR_COMMUNICATION. Meant for
 * single-threaded use: with calls on several host threads, a hook may take
 * another thread's request (SUPPL_RECV pops the oldest); use a supplicant
 * thread there.
 */
typedef void (*teesim_optee_supp_hook_fn)(void *ctx, uint32_t func);

/** Install (or with NULL @p fn remove) the supplicant hook; set it while no call is in flight. NULL
 * @p drv: no-op. */
TEESIM_API void teesim_optee_set_supp_hook(struct teesim_optee *drv, teesim_optee_supp_hook_fn fn,
					   void *ctx);

/**
 * Interrupt TEE_IOC_SUPPL_RECV of this driver, as a signal would: the next
 * RECV that finds no request (one blocked now, or the next one to come)
 * returns -EINTR, once. Lets a supplicant thread stop. NULL: no-op.
 */
TEESIM_API void teesim_optee_supp_interrupt(struct teesim_optee *drv);

/** Pools the driver chose at probe. */
enum teesim_optee_pool_kind {
	/** The reserved pool only: private part and user part in the carve-out. */
	TEESIM_OPTEE_POOL_STATIC = 0,
	/** v4.16 with dynamic shm: private buffers in kernel pages, user buffers in the carve-out.
	 */
	TEESIM_OPTEE_POOL_PAGES_PRIV,
	/** Kernel pages for everything (LATER with dynamic shm). */
	TEESIM_OPTEE_POOL_PAGES,
};

/** What a driver tells about itself. */
struct teesim_optee_info {
	enum teesim_optee_drv_gen gen;	  /**< generation probed */
	enum teesim_optee_pool_kind pool; /**< pools chosen at probe */
	uint32_t sec_caps;		  /**< what EXCHANGE_CAPABILITIES answered */
	uint32_t os_major, os_minor;	  /**< GET_OS_REVISION */
	bool reg_mem;			  /**< TEE_GEN_CAP_REG_MEM reported */
	bool memref_null;		  /**< TEE_GEN_CAP_MEMREF_NULL reported */
	unsigned rpc_param_count;	  /**< RPC_ARG in use: params of the RPC argument; else 0 */
	bool shm_cache;			  /**< ENABLE_SHM_CACHE was sent */
	uint64_t cache_cookies_dropped;	  /**< cached cookies dropped unread at probe (LATER) */

	uint64_t calls;		   /**< yielding calls completed */
	uint64_t rpcs;		   /**< RPCs served */
	uint64_t foreign_intrs;	   /**< RPC_FOREIGN_INTR seen */
	uint64_t rpc_cmds;	   /**< RPC_CMD served */
	uint64_t ethread_waits;	   /**< ETHREAD_LIMIT answers that made a caller wait */
	uint64_t bad_cookies;	   /**< cookies from the secure world that name nothing */
	unsigned active_calls;	   /**< calls in flight now */
	unsigned call_waiters;	   /**< callers waiting for a secure thread now */
	unsigned max_call_waiters; /**< most callers that ever waited at once */

	uint64_t rpc_shms;	    /**< RPC_ALLOC / SHM_ALLOC buffers the secure world holds */
	uint64_t registered;	    /**< shms registered with REGISTER_SHM now */
	unsigned arg_cache_entries; /**< argument buffers in the cache (LATER) */
	unsigned arg_cache_in_use;  /**< of those, in use now */
	uint64_t arg_cache_hits;    /**< arguments taken from the cache */

	bool supp_attached;	   /**< a supplicant has /dev/teepriv0 open */
	unsigned supp_queued;	   /**< requests waiting for SUPPL_RECV */
	unsigned supp_in_progress; /**< requests received, not yet answered */
	uint64_t supp_requests;	   /**< requests made */
	uint64_t supp_failed;	   /**< of those, failed COMMUNICATION (no or gone supplicant) */
	unsigned wait_queue;	   /**< WAIT_QUEUE keys with a sleeper or a pending wakeup */
};

/** Fill @p info; -EINVAL for NULL. */
TEESIM_API int teesim_optee_info(struct teesim_optee *drv, struct teesim_optee_info *info);

/* ------------------------------------------------------------------------ */
/** @name Full stack */

/** How the stack's supplicant is run. */
enum teesim_stack_supp {
	TEESIM_STACK_SUPP_NONE = 0, /**< no supplicant: requests fail COMMUNICATION */
	/** a supplicant process with /dev/teepriv0 open, served inline through the driver's hook */
	TEESIM_STACK_SUPP_INLINE,
	/** the supplicant process and fd exist; the caller runs the loop (a host thread) */
	TEESIM_STACK_SUPP_EXTERNAL,
};

struct teesim_stack;

/** Stack configuration; fill it with teesim_stack_cfg_default() first. */
struct teesim_stack_cfg {
	struct teesim_machine_cfg machine; /**< the machine */
	struct teesim_sw_cfg sw;	   /**< the secure world */
	struct teesim_optee_cfg drv;	   /**< its guest is ignored: guest 0 */
	enum teesim_stack_supp supp;	   /**< how the supplicant runs */
	/**
	 * Called after the secure world is attached and before the driver is
	 * probed (e.g. to install a hypervisor mediator); non-zero (a negative
	 * errno) fails the build. May be NULL.
	 */
	int (*pre_probe)(void *ctx, struct teesim_stack *st);
	/**
	 * Called after the driver is removed, before the secure world is freed,
	 * and also when the build fails after the secure world was attached
	 * (pre_probe may then not have run). May be NULL.
	 */
	void (*post_remove)(void *ctx, struct teesim_stack *st);
	void *hook_ctx; /**< handed to pre_probe and post_remove */
};

/** Defaults: default machine, HEAD secure world, LATER driver, inline supplicant. */
TEESIM_API void teesim_stack_cfg_default(struct teesim_stack_cfg *cfg);

/** A full stack. Fields are read-only for the user. */
struct teesim_stack {
	struct teesim_machine *machine;
	struct teesim_sw *sw;
	struct teesim_optee *drv;	  /**< probed on guest 0 */
	struct teesim_supplicant *supp;	  /**< NULL with TEESIM_STACK_SUPP_NONE */
	struct teesim_process *supp_proc; /**< the supplicant's process (or NULL) */
	int supp_fd;			  /**< its /dev/teepriv0 fd (or -1) */
	/** model: the hooks of the configuration, kept for teesim_stack_free() */
	void (*post_remove)(void *ctx, struct teesim_stack *st);
	void *hook_ctx;
};

/**
 * Build machine, secure world, driver on guest 0 and supplicant. NULL with
 * errno on failure (a failing probe gives its errno), nothing left behind.
 */
TEESIM_API struct teesim_stack *teesim_stack_new(const struct teesim_stack_cfg *cfg);

/**
 * Tear a stack down: supplicant, driver, secure world, machine. Processes
 * the caller made must be freed first; a supplicant thread must have
 * stopped. NULL is a no-op.
 */
TEESIM_API void teesim_stack_free(struct teesim_stack *st);

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_OPTEE_H */
