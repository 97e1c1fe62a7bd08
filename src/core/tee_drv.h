/* SPDX-License-Identifier: MIT */
/*
 * What a TEE driver model sees of the tee core: the model of the kernel's
 * include/linux/tee_drv.h (v4.16 shape, with the later fixes described in
 * docs/tee-core.md). Internal: nothing here leaves the library.
 *
 * Errors follow the kernel: negative errno, and functions returning an
 * object return ERR_PTR(-errno) on failure (test with IS_ERR).
 */
#ifndef TEESIM_CORE_TEE_DRV_H
#define TEESIM_CORE_TEE_DRV_H

#include <linux/tee.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <teesim/teesim.h>

#include "pool.h"
#include "refcount.h"

/* ---- ERR_PTR: the kernel's error-in-pointer convention ---- */
#define TEE_MAX_ERRNO 4095

static inline void *ERR_PTR(long err)
{
	return (void *) (intptr_t) err;
}

static inline long PTR_ERR(const void *p)
{
	return (long) (intptr_t) p;
}

static inline bool IS_ERR(const void *p)
{
	return (uintptr_t) p >= (uintptr_t) -TEE_MAX_ERRNO;
}

/* The kernel's ENOTSUPP (not in user-space errno.h): leaks to user space from SHM_REGISTER. */
#define ENOTSUPP 524

/* ---- shm flags, v4.16 bit values ---- */
#define TEE_SHM_MAPPED	    (1u << 0) /* kaddr valid (kernel mapping) */
#define TEE_SHM_DMA_BUF	    (1u << 1) /* user visible: has an id and can have an fd */
#define TEE_SHM_EXT_DMA_BUF (1u << 2) /* defined in v4.16, unused */
#define TEE_SHM_REGISTER    (1u << 3) /* registered with the secure world */
#define TEE_SHM_USER_MAPPED (1u << 4) /* pages pinned from a user process: no mmap */
#define TEE_SHM_POOL	    (1u << 5) /* allocated from a pool */

/* tee_desc flags */
#define TEE_DESC_PRIVILEGED 0x1

struct tee_device;
struct tee_shm;

/* struct tee_context: one open of a device (or one in-kernel client). */
struct tee_context {
	struct tee_device *teedev;
	struct tee_kref refcount; /* v4.16 kref: the context lives while anything holds it */
	_Atomic bool releasing;	  /* set once the count reached zero (release in progress) */
	void *data;		  /* the driver's per-context data */
	bool supp_nowait;	  /* in-kernel clients do not wait for the supplicant */
	bool cap_memref_null;	  /* set by the driver's open: NULL memrefs accepted */
	/* model: the process whose fd holds it (NULL: in-kernel); read only by calls
	 * made through that fd, never after the fd is gone */
	struct teesim_process *proc;
	_Atomic uint32_t num_shms;     /* observation: shms holding this context */
	_Atomic uint32_t num_sessions; /* observation: sessions the driver reports open */
	/* model: marks of the invariant checker (src/core/tee_check.c), under the check lock */
	uint64_t check_gen, check_done;
	uint32_t check_fds, check_shms;
};

/* size_t in the kernel; 64 bits here so that a 32-bit host models the 64-bit
 * kernel's values (a secure world's "short buffer" size above 4 GiB) exactly */
struct tee_param_memref {
	uint64_t shm_offs;
	uint64_t size;
	struct tee_shm *shm; /* NULL for a NULL memref */
};

struct tee_param_value {
	uint64_t a, b, c;
};

/* struct tee_param: a parameter as the core hands it to the driver. */
struct tee_param {
	uint64_t attr;
	union {
		struct tee_param_memref memref;
		struct tee_param_value value;
	} u;
};

/* struct tee_driver_ops. Every op except get_version/open/release may be NULL. */
struct tee_driver_ops {
	void (*get_version)(struct tee_device *teedev, struct tee_ioctl_version_data *vers);
	int (*open)(struct tee_context *ctx);
	void (*release)(struct tee_context *ctx);
	int (*open_session)(struct tee_context *ctx, struct tee_ioctl_open_session_arg *arg,
			    struct tee_param *param);
	int (*close_session)(struct tee_context *ctx, uint32_t session);
	int (*invoke_func)(struct tee_context *ctx, struct tee_ioctl_invoke_arg *arg,
			   struct tee_param *param);
	int (*cancel_req)(struct tee_context *ctx, uint32_t cancel_id, uint32_t session);
	int (*supp_recv)(struct tee_context *ctx, uint32_t *func, uint32_t *num_params,
			 struct tee_param *param);
	int (*supp_send)(struct tee_context *ctx, uint32_t ret, uint32_t num_params,
			 struct tee_param *param);
	/* @pages: the IPAs of the pinned pages; @start: the page-aligned user address */
	int (*shm_register)(struct tee_context *ctx, struct tee_shm *shm, const teesim_ipa_t *pages,
			    size_t num_pages, uint64_t start);
	int (*shm_unregister)(struct tee_context *ctx, struct tee_shm *shm);
};

/* struct tee_desc */
struct tee_desc {
	const char *name;
	const struct tee_driver_ops *ops;
	uint32_t flags; /* TEE_DESC_PRIVILEGED */
};

/*
 * struct tee_shm. Fields are read by drivers; the core writes them.
 * @paddr is what the guest kernel sees as physical (an IPA for RAM, the PA
 * for the static carve-out); @cookie is the stable value given to the secure
 * world to name this shm (the kernel uses the shm pointer).
 */
struct tee_shm {
	struct tee_device *teedev;
	struct tee_context *ctx;
	uint64_t paddr;
	void *kaddr;
	size_t size;
	unsigned int offset; /* offset of a registered buffer in its first page */
	teesim_ipa_t *pages; /* pinned pages (REGISTER) */
	size_t num_pages;
	teesim_ipa_t page_inline;	/* model: @pages of a one-page registration */
	struct teesim_guest *pin_guest; /* guest the pages were pinned in */
	uint32_t flags;
	int id; /* -1: no id (kernel-private buffers) */
	uint64_t cookie;
	struct tee_refcount refcount;	/* post-CVE-2021-44733 model: plain refcount */
	struct tee_shm_pool_mgr *poolm; /* manager it came from (POOL) */
	void *sec_world_data;		/* free for the driver */
	/* model: marks of the invariant checker (src/core/tee_check.c), under the check lock */
	uint64_t check_gen;
	uint32_t check_fds, check_maps;
};

struct tee_shm_pool_mem_info;

/* ---- devices ---- */

/* tee_device_alloc: a device of @desc in guest @parent with @pool; ERR_PTR on failure */
struct tee_device *tee_device_alloc(const struct tee_desc *desc, struct teesim_guest *parent,
				    struct tee_shm_pool *pool, void *driver_data);
/* tee_device_register: make the device openable as /dev/<name> */
int tee_device_register(struct tee_device *teedev);
/* tee_device_unregister: hide, wait until the last user is gone, free */
void tee_device_unregister(struct tee_device *teedev);
/* tee_get_drvdata */
void *tee_get_drvdata(struct tee_device *teedev);
/* model helper: the device's name ("tee0", "teepriv0", ...) */
const char *tee_device_name(const struct tee_device *teedev);
/* model helper: the guest (kernel) the device lives in */
struct teesim_guest *tee_device_guest(const struct tee_device *teedev);

/*
 * model: what a kexec does to the tee side of guest @g's user space (the new
 * kernel starts with no processes): every tee shm mapping and every tee fd of
 * each process of @g is dropped as at the process's exit, so the contexts and
 * shms they held are released (through the drivers' release and unregister
 * ops: a driver being kexec'd must not reach the secure world from them).
 * The process objects stay, with no tee fd or mapping left. No call may be in
 * flight on those fds and no process of @g may be freed meanwhile.
 */
void tee_guest_kexec_user(struct teesim_guest *g);

/* ---- contexts ---- */

/* teedev_ctx_get */
void teedev_ctx_get(struct tee_context *ctx);
/* teedev_ctx_put */
void teedev_ctx_put(struct tee_context *ctx);
/* model helpers for observation: the driver reports sessions it opens and closes */
void tee_context_session_opened(struct tee_context *ctx);
void tee_context_session_closed(struct tee_context *ctx);

/* ---- shared memory ---- */

/* tee_shm_alloc: @flags MAPPED, optionally DMA_BUF (user visible: gets an id) */
struct tee_shm *tee_shm_alloc(struct tee_context *ctx, size_t size, uint32_t flags);
/* tee_shm_priv_alloc: a MAPPED buffer from the private pool without a context */
struct tee_shm *tee_shm_priv_alloc(struct tee_device *teedev, size_t size);
/* tee_shm_register: pin @length bytes of ctx->proc at @addr; @flags DMA_BUF|USER_MAPPED */
struct tee_shm *tee_shm_register(struct tee_context *ctx, uint64_t addr, size_t length,
				 uint32_t flags);
/* tee_shm_free: drop the creator's reference */
void tee_shm_free(struct tee_shm *shm);
/* tee_shm_put: drop a reference (the last one releases the shm) */
void tee_shm_put(struct tee_shm *shm);
/* tee_shm_get_from_id: look up a user-visible shm of @ctx and take a reference */
struct tee_shm *tee_shm_get_from_id(struct tee_context *ctx, int id);
/* tee_shm_va2pa */
int tee_shm_va2pa(struct tee_shm *shm, void *va, uint64_t *pa);
/* tee_shm_pa2va */
int tee_shm_pa2va(struct tee_shm *shm, uint64_t pa, void **va);
/* tee_shm_get_va: kernel address at @offs (ERR_PTR(-EINVAL) if unmapped or out of range) */
void *tee_shm_get_va(struct tee_shm *shm, size_t offs);
/* tee_shm_get_pa */
int tee_shm_get_pa(struct tee_shm *shm, size_t offs, uint64_t *pa);
/* tee_shm_get_id */
int tee_shm_get_id(const struct tee_shm *shm);
/* tee_shm_get_size */
size_t tee_shm_get_size(const struct tee_shm *shm);
/* tee_shm_get_page_offset */
size_t tee_shm_get_page_offset(const struct tee_shm *shm);
/* tee_shm_get_pages: the pinned pages' IPAs and their count */
const teesim_ipa_t *tee_shm_get_pages(const struct tee_shm *shm, size_t *num_pages);
/* model: number of pinned pages */
size_t tee_shm_get_page_count(const struct tee_shm *shm);
/* tee_shm_is_registered */
bool tee_shm_is_registered(const struct tee_shm *shm);
/* model: the stable per-shm cookie for the secure world */
uint64_t tee_shm_get_cookie(const struct tee_shm *shm);

/* ---- in-kernel client API (v4.19) ---- */

/* tee_client_open_context: first device of guest @g after @start whose version @match accepts */
struct tee_context *tee_client_open_context(struct teesim_guest *g, struct tee_context *start,
					    int (*match)(struct tee_ioctl_version_data *,
							 const void *),
					    const void *data, struct tee_ioctl_version_data *vers);
/* tee_client_close_context */
void tee_client_close_context(struct tee_context *ctx);
/* tee_client_get_version */
void tee_client_get_version(struct tee_context *ctx, struct tee_ioctl_version_data *vers);
/* tee_client_open_session */
int tee_client_open_session(struct tee_context *ctx, struct tee_ioctl_open_session_arg *arg,
			    struct tee_param *param);
/* tee_client_close_session */
int tee_client_close_session(struct tee_context *ctx, uint32_t session);
/* tee_client_invoke_func */
int tee_client_invoke_func(struct tee_context *ctx, struct tee_ioctl_invoke_arg *arg,
			   struct tee_param *param);
/* tee_client_cancel_req */
int tee_client_cancel_req(struct tee_context *ctx, struct tee_ioctl_cancel_arg *arg);

/* tee_param_is_memref */
/*
 * Model, no kernel twin: the model is the 64-bit kernel on every host. A size
 * from the wire (u64) that a 32-bit host's size_t cannot hold saturates instead
 * of wrapping at 2^32, so every allocator refuses it as the 64-bit kernel's
 * refuses a size that large.
 */
static inline size_t tee_size_sat(uint64_t v)
{
	return (uint64_t) (size_t) v == v ? (size_t) v : SIZE_MAX;
}

static inline bool tee_param_is_memref(const struct tee_param *param)
{
	switch (param->attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK) {
	case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT:
	case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT:
	case TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT:
		return true;
	default:
		return false;
	}
}

#endif /* TEESIM_CORE_TEE_DRV_H */
