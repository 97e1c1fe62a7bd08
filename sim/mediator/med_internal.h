/* SPDX-License-Identifier: MIT */
/*
 * Private structures of the OP-TEE mediator (see docs/mediator.md). The
 * shapes follow Xen's optee.c: a context per guest (optee_domain), a context
 * per yielding call (optee_std_call), shadowed RPC argument buffers (shm_rpc)
 * and shared buffers with their shadow page lists (optee_shm_buf).
 */
#ifndef TEESIM_SIM_MEDIATOR_INTERNAL_H
#define TEESIM_SIM_MEDIATOR_INTERNAL_H

#include <pthread.h>

#include <teesim/guest.h>
#include <teesim/mediator.h>
#include <teesim/optee_abi.h>
#include <teesim/smc.h>

#include "../internal.h"

#include "../alloc.h"

#define MED_PAGE      4096u
#define MED_PAGE_MASK (MED_PAGE - 1u)

/* Pages of mediator memory: a kernel allocation in the hypervisor guest. */
struct tsim_med_mem {
	teesim_ipa_t ipa;
	void *host; /* contiguous over the n pages */
	size_t n;   /* 0: nothing allocated */
};

/* A shared buffer of a guest (Xen's optee_shm_buf). */
struct tsim_med_buf {
	struct tsim_med_buf *next;
	uint64_t cookie;	  /* the guest's */
	uint64_t sw_cookie;	  /* registered buffers: the secure world's */
	uint64_t npages;	  /* data pages counted against the limits */
	struct tsim_med_mem list; /* shadow page list (until OP-TEE has read it) */
	const void *owner;	  /* the call of a temporary buffer, else NULL */
	bool registered;	  /* REGISTER_SHM succeeded */
};

/* A shadowed RPC argument buffer (Xen's shm_rpc). */
struct tsim_med_rpc {
	struct tsim_med_rpc *next;
	uint64_t cookie;	    /* the guest's */
	teesim_ipa_t ipa;	    /* the guest's page */
	struct tsim_med_mem shadow; /* what the secure world reads and writes */
};

enum tsim_med_call_state {
	TSIM_MED_CALL_NORMAL = 0,
	TSIM_MED_CALL_MED_RPC, /* an RPC the mediator issued itself (SHM_FREE) */
};

/* One yielding call (Xen's optee_std_call). */
struct tsim_med_call {
	struct tsim_med_call *next;
	struct tsim_med_mem arg; /* the shadow argument page */
	teesim_ipa_t guest_arg_ipa;
	long thread_id; /* OP-TEE thread while in an RPC, else -1 */
	uint32_t rpc_op;
	uint32_t rpc_a1, rpc_a2;
	uint32_t rpc_buffer_type; /* of the last SHM_ALLOC */
	uint64_t rpc_data_cookie; /* the last SHM_ALLOC buffer whose list is kept */
	struct tsim_med_buf *reg; /* REGISTER_SHM: the buffer being registered */
	uint64_t unreg_cookie;	  /* UNREGISTER_SHM: the guest's cookie */
	uint32_t guest_session;	  /* the session the guest named */
	enum tsim_med_call_state state;
	bool in_flight;
	bool session_slot; /* OPEN_SESSION: holds one of its guest's sessions_reserved */
};

/* Mediator memory the secure world may still reach after its guest went. */
struct tsim_med_orphan {
	struct tsim_med_orphan *next;
	struct tsim_med_mem mem;
};

/* Per guest (Xen's optee_domain). */
struct tsim_med_guest {
	struct tsim_med_guest *next;
	struct teesim_guest *g;
	uint32_t client_id;
	struct tsim_med_call *calls;
	struct tsim_med_rpc *rpcs;
	struct tsim_med_buf *bufs;
	uint32_t ncalls;
	uint32_t *sessions; /* ids the guest opened (the secure world has one table for all) */
	size_t nsessions, cap_sessions;
	size_t sessions_reserved; /* room kept for the OPEN_SESSION calls in flight */
	struct teesim_mediator_guest_stats st;
};

struct teesim_mediator {
	struct teesim_machine *m;
	struct teesim_mediator_cfg cfg;
	struct teesim_guest *hyp;
	pthread_mutex_t lock; /* guards everything below and the lists above */
	struct tsim_med_guest *guests;
	struct tsim_med_orphan *orphans;
	uint64_t quarantined;
	uint64_t next_cookie;
	uint64_t pool_used;
	uint64_t smcs;
	uint64_t rejected;
	struct tsim_check_node check_node; /* the invariant checker's (check.c) */
};

/* check.c: make the mediator known to its machine's invariant checker, and forget it */
void tsim_med_check_register(struct teesim_mediator *med);
void tsim_med_check_unregister(struct teesim_mediator *med);

/* mediator.c */
uint64_t tsim_med_pair(uint32_t hi, uint32_t lo);
int tsim_med_alloc(struct teesim_mediator *med, struct tsim_med_guest *mg, size_t n,
		   struct tsim_med_mem *mem);
void tsim_med_release(struct teesim_mediator *med, struct tsim_med_guest *mg,
		      struct tsim_med_mem *mem);
teesim_pa_t tsim_med_pa(const struct teesim_mediator *med, const struct tsim_med_mem *mem,
			size_t page);
void tsim_med_reject(struct teesim_mediator *med, struct tsim_med_guest *mg);
void tsim_med_forward(struct teesim_mediator *med, struct tsim_med_guest *mg,
		      struct teesim_smc_regs *r);
/* the guest page at @ipa as the hypervisor maps it, or NULL if it is not guest RAM */
void *tsim_med_guest_page(struct tsim_med_guest *mg, teesim_ipa_t ipa);

/* buf.c: shared buffers and page lists, called without the lock */
int tsim_med_translate_noncontig(struct teesim_mediator *med, struct tsim_med_guest *mg,
				 const void *owner, struct teesim_optee_msg_param *p,
				 struct tsim_med_buf **out);
/* which buffers tsim_med_buf_unlink() may take */
enum tsim_med_buf_kind {
	TSIM_MED_BUF_ANY = 0,
	TSIM_MED_BUF_REGISTERED, /* REGISTER_SHM buffers */
	TSIM_MED_BUF_RPC,	 /* SHM_ALLOC buffers (no call owns them, not registered) */
};
struct tsim_med_buf *tsim_med_buf_unlink(struct teesim_mediator *med, struct tsim_med_guest *mg,
					 uint64_t cookie, enum tsim_med_buf_kind kind);
void tsim_med_buf_free(struct teesim_mediator *med, struct tsim_med_guest *mg,
		       struct tsim_med_buf *b);
void tsim_med_buf_free_list(struct teesim_mediator *med, struct tsim_med_guest *mg,
			    uint64_t cookie);
void tsim_med_bufs_free_owned(struct teesim_mediator *med, struct tsim_med_guest *mg,
			      const void *owner);
struct tsim_med_rpc *tsim_med_rpc_find(struct teesim_mediator *med, struct tsim_med_guest *mg,
				       uint64_t cookie);
void tsim_med_rpc_free(struct teesim_mediator *med, struct tsim_med_guest *mg, uint64_t cookie);
struct tsim_med_rpc *tsim_med_rpc_new(struct teesim_mediator *med, struct tsim_med_guest *mg,
				      teesim_ipa_t ipa, uint64_t cookie);

/* call.c */
void tsim_med_std_call(struct teesim_mediator *med, struct tsim_med_guest *mg,
		       struct teesim_smc_regs *r);
void tsim_med_return_from_rpc(struct teesim_mediator *med, struct tsim_med_guest *mg,
			      struct teesim_smc_regs *r);
void tsim_med_call_free(struct teesim_mediator *med, struct tsim_med_guest *mg,
			struct tsim_med_call *call);

#endif /* TEESIM_SIM_MEDIATOR_INTERNAL_H */
