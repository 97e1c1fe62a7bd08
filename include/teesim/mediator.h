/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/mediator.h
 * @brief A hypervisor mediator for OP-TEE calls from guests, modelled on
 * Xen's OP-TEE mediator (xen/arch/arm/tee/optee.c).
 *
 * A guest's OP-TEE driver writes guest-physical addresses (IPAs) in SMC
 * registers, in optee_msg_arg and in page lists; the secure world reads
 * physical addresses. The mediator sits on the SMC channel
 * (teesim_smc_set_mediator()) between every guest and the secure world and
 * translates, as Xen does:
 * - the call's argument is copied into a shadow page the mediator owns, its
 *   page lists are rebuilt as shadow lists of physical addresses, and only
 *   the output fields are copied back into the guest's argument;
 * - contiguous TMEM is refused (a guest has no contiguous physical memory),
 *   the static pool is hidden (GET_SHM_CONFIG answers ENOTAVAIL,
 *   HAVE_RESERVED_SHM is cleared from the capabilities);
 * - RPC argument buffers, SHM_ALLOC replies and RPC_CMD arguments are shadowed
 *   and translated on their way back to the secure world;
 * - registered buffers and calls in flight are counted per guest against
 *   Xen's limits.
 *
 * Mediator memory (shadow arguments and page lists) is taken from a guest of
 * its own, created with the mediator (the "hypervisor guest"): frames no other
 * guest maps, which the secure world accepts as non-secure RAM. The machine
 * therefore needs free RAM that no guest owns (give guest 0 less than all of
 * RAM with teesim_machine_cfg.guest0_size).
 *
 * Lifetime: create the secure world first, then teesim_mediator_new() (it
 * probes the secure world through the channel and installs itself);
 * teesim_mediator_free() before teesim_sw_free(). A guest is added on its
 * first call (or with teesim_mediator_guest_add()); remove it with
 * teesim_mediator_guest_remove() before teesim_guest_free().
 *
 * Threads: calls from several host threads are served at once; the add,
 * remove and free functions must not run while a call of that guest is in
 * flight on a host thread.
 */
#ifndef TEESIM_MEDIATOR_H
#define TEESIM_MEDIATOR_H

#include <teesim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque mediator. */
struct teesim_mediator;

/** Xen's MAX_SHM_BUFFER_PG: data pages of one shared buffer (512 KiB + 1 page). */
#define TEESIM_MEDIATOR_MAX_BUFFER_PAGES 129u
/** Xen's MAX_SHM_BUFFER_COUNT: shared buffers a guest may hold at once. */
#define TEESIM_MEDIATOR_MAX_BUFFERS 16u
/** Xen's MAX_TOTAL_SMH_BUF_PG: the total of a guest's buffer pages stays below this. */
#define TEESIM_MEDIATOR_MAX_TOTAL_PAGES 16384u
/** Xen's OPTEE_MEDIATOR_SMC_COUNT: what CALLS_COUNT answers to a guest. */
#define TEESIM_MEDIATOR_SMC_COUNT 11u

/** Configuration; fill it with teesim_mediator_cfg_default() first. */
struct teesim_mediator_cfg {
	/** Most data pages one page list may describe (more: OUT_OF_MEMORY). */
	uint32_t max_buffer_pages;
	/** Most shared buffers (registered, temporary, RPC) a guest holds at once. */
	uint32_t max_buffers;
	/** A guest's buffer pages must total less than this (Xen's `>=` check). */
	uint32_t max_total_pages;
	/**
	 * Yielding calls a guest may have in flight (ETHREAD_LIMIT beyond);
	 * 0: ask the secure world with GET_THREAD_COUNT, as Xen's probe does.
	 */
	uint32_t max_calls;
	/** Put the guest's client id (guest id + 1; 0 is the hypervisor) in a7 of every call. */
	bool client_id_in_a7;
	/**
	 * Announce guests with VM_CREATED / VM_DESTROYED (a7 = 0). The secure
	 * world must then have the VIRTUALIZATION capability (probed with
	 * VM_DESTROYED, as Xen does) and a guest it refuses gets no OP-TEE.
	 */
	bool announce_vms;
	/** Add a guest on its first call (else only teesim_mediator_guest_add() does). */
	bool auto_add;
	/** Pages of RAM for mediator memory (the hypervisor guest's size). */
	uint32_t pool_pages;
};

/**
 * Defaults: Xen's limits (129 pages per buffer, 16 buffers, 16384 pages),
 * max_calls 0 (GET_THREAD_COUNT), client ids in a7, VMs announced, guests
 * added on first call, 512 pool pages (2 MiB).
 */
TEESIM_API void teesim_mediator_cfg_default(struct teesim_mediator_cfg *cfg);

/**
 * Create a mediator on @p m and install it on the SMC channel (@p cfg NULL:
 * the defaults). The secure world must already be attached: it is probed
 * like Xen probes OP-TEE (CALLS_UID; GET_THREAD_COUNT when max_calls is 0;
 * VM_DESTROYED when announce_vms). NULL with errno: EINVAL (bad
 * configuration), EBUSY (a mediator is installed already), ENODEV (no OP-TEE, no thread count, no
 * virtualization support), ENOMEM (no free RAM for the hypervisor guest, or host memory).
 */
TEESIM_API struct teesim_mediator *teesim_mediator_new(struct teesim_machine *m,
						       const struct teesim_mediator_cfg *cfg);

/**
 * Remove every guest (as teesim_mediator_guest_remove() does), uninstall the
 * mediator from the channel and free it with its hypervisor guest. NULL is a
 * no-op.
 */
TEESIM_API void teesim_mediator_free(struct teesim_mediator *med);

/** The configuration in use (max_calls resolved). */
TEESIM_API const struct teesim_mediator_cfg *
teesim_mediator_config(const struct teesim_mediator *med);

/** The guest whose RAM holds the mediator's memory (it makes no calls). */
TEESIM_API struct teesim_guest *teesim_mediator_hyp_guest(const struct teesim_mediator *med);

/**
 * Give guest @p g access to OP-TEE (Xen's domain init): VM_CREATED with its
 * client id when announce_vms. -EEXIST if already added, -EINVAL for the
 * hypervisor guest or a guest of another machine, -ENODEV when the secure
 * world refuses the guest, -ENOMEM.
 */
TEESIM_API int teesim_mediator_guest_add(struct teesim_mediator *med, struct teesim_guest *g);

/**
 * Take OP-TEE away from @p g (Xen's relinquish_resources): free its call
 * contexts, RPC buffers and shared buffers, then VM_DESTROYED when
 * announce_vms. -ENOENT if it was not added. Secure-world state the guest
 * left behind (sessions, registrations, threads suspended in an RPC) is the
 * secure world's to drop on VM_DESTROYED; the shadow pages such threads or
 * the secure world's shm cache may still name are kept (quarantined) until
 * teesim_mediator_free().
 */
TEESIM_API int teesim_mediator_guest_remove(struct teesim_mediator *med, struct teesim_guest *g);

/** The client id the mediator uses for @p g in a7: its guest id + 1. */
TEESIM_API uint32_t teesim_mediator_client_id(const struct teesim_guest *g);

/** What the mediator holds and has done for one guest. */
struct teesim_mediator_guest_stats {
	uint32_t client_id;	   /**< guest id + 1 */
	uint64_t calls;		   /**< call contexts alive (running or in an RPC) */
	uint64_t calls_total;	   /**< yielding calls forwarded to the secure world */
	uint64_t shadow_pages;	   /**< mediator pages held for the guest now */
	uint64_t translated_pages; /**< page-list entries translated so far */
	uint64_t buffers;	   /**< shared buffers tracked now (Xen's optee_shm_buf) */
	uint64_t buffer_pages;	   /**< their data pages (the pinned pages of Xen) */
	uint64_t registered;	   /**< of them, REGISTER_SHM buffers the secure world holds */
	uint64_t rpc_buffers;	   /**< RPC argument buffers shadowed now (Xen's shm_rpc) */
	uint64_t sessions;	   /**< sessions the guest opened and has not closed */
	uint64_t rejected; /**< requests the mediator refused or answered itself with an error */
};

/**
 * Fill @p st for guest @p g. -ENOENT if the guest was never added (or was
 * removed).
 */
TEESIM_API int teesim_mediator_guest_stats(struct teesim_mediator *med,
					   const struct teesim_guest *g,
					   struct teesim_mediator_guest_stats *st);

/** Counters over the whole mediator. */
struct teesim_mediator_stats {
	uint64_t guests;     /**< guests added now */
	uint64_t pool_pages; /**< pages of mediator memory in use now */
	/**
	 * of them, pages kept from removed guests because the secure world may
	 * still name them (a suspended call's argument, a cached RPC buffer):
	 * released by teesim_mediator_free()
	 */
	uint64_t quarantined;
	uint64_t pool_size; /**< pages of mediator memory in all */
	uint64_t smcs;	    /**< guest SMCs received */
	uint64_t rejected;  /**< guest SMCs or requests refused, over all guests */
};

/** Fill @p st. */
TEESIM_API void teesim_mediator_stats(struct teesim_mediator *med,
				      struct teesim_mediator_stats *st);

/**
 * The cookie under which the secure world knows buffer @p cookie that guest
 * @p g registered. The secure world model keeps one registry for all guests
 * (no per-VM partition), so the mediator gives each registration a cookie of
 * its own to keep guests apart. -ENOENT if @p g has no such registration.
 */
TEESIM_API int teesim_mediator_sw_cookie(struct teesim_mediator *med, const struct teesim_guest *g,
					 uint64_t cookie, uint64_t *sw_cookie);

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_MEDIATOR_H */
