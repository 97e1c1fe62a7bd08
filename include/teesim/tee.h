/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/tee.h
 * @brief The tee core's user-space surface: open, ioctl, mmap and close of
 * /dev/tee* in a simulated process, and what tests observe of the core.
 *
 * The ioctls are the real ones of `<linux/tee.h>`: the same request numbers
 * and the same structs, with the same validation and errno values as the
 * Linux tee core (see docs/tee-core.md for the version modelled). The @c arg
 * pointer of teesim_ioctl() and every pointer inside the structs it points to
 * are user addresses of the process: they are read and written through the
 * model's copy_from_user / copy_to_user, so a bad pointer is an -EFAULT,
 * never a crash.
 *
 * File descriptors belong to one process (numbers start at 3, the lowest
 * free one is given). A device fd holds a context; a shm fd (from
 * TEE_IOC_SHM_ALLOC or TEE_IOC_SHM_REGISTER) holds a reference to its shm;
 * a mapping made by teesim_mmap() holds one too, until teesim_munmap().
 * Freeing a process unmaps its memory, then closes its fds, as exit(2) does.
 *
 * Devices appear when a driver model registers them, per guest (each guest
 * is its own kernel): "/dev/tee0", "/dev/teepriv0", ...
 *
 * Threads: every function may be called from several host threads at once,
 * except teesim_tee_set_hook(), which must be called while no call is in
 * flight.
 */
#ifndef TEESIM_TEE_H
#define TEESIM_TEE_H

#include <teesim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Open a TEE device of the process's guest (open(2) of @p path, e.g.
 * "/dev/tee0"). @p flags are the open(2) flags (O_RDWR, O_CLOEXEC, ...; the
 * core ignores them, as the kernel's tee_open does). Returns the fd (>= 3), or
 * -ENOENT (no such device), -EINVAL (the device is going away), -EMFILE (fd
 * table full), -ENOMEM, or the driver's open error (e.g. -EBUSY for a second
 * supplicant).
 */
TEESIM_API int teesim_open(struct teesim_process *p, const char *path, int flags);

/**
 * ioctl(2) on a TEE fd: @p request is a TEE_IOC_* number of `<linux/tee.h>`,
 * @p arg a user address in @p p. Returns what the kernel returns (0, or a new
 * fd for SHM_ALLOC / SHM_REGISTER), or a negative errno: -EBADF (no such fd),
 * -ENOTTY (ioctl on a shm fd), -EINVAL (unknown request, bad argument),
 * -EFAULT (bad user pointer), and the others of docs/tee-core.md.
 */
TEESIM_API int teesim_ioctl(struct teesim_process *p, int fd, unsigned long request, void *arg);

/**
 * close(2). The object is released when its last reference goes (an ioctl
 * running on the fd in another thread keeps it alive until it returns).
 * -EBADF if @p fd is not open.
 */
TEESIM_API int teesim_close(struct teesim_process *p, int fd);

/**
 * mmap(2) of a shm fd from TEE_IOC_SHM_ALLOC (MAP_SHARED). @p offset must be
 * page aligned and [offset, offset + len) inside the buffer's whole pages;
 * @p prot is TEESIM_PROT_READ / _WRITE. Returns the user address (the
 * buffer's memory itself: bytes written there are the bytes the secure world
 * reads), or NULL with errno: EBADF, ENODEV (not a shm fd), EINVAL (bad
 * length, offset or prot; a registered buffer, which cannot be mapped),
 * ENOMEM. The mapping holds a reference to the shm until teesim_munmap() or
 * process exit.
 */
TEESIM_API void *teesim_mmap(struct teesim_process *p, int fd, size_t len, unsigned prot,
			     uint64_t offset);

/**
 * munmap(2) of a whole mapping made by teesim_mmap() (same address and
 * length). -EINVAL if there is no such mapping.
 */
TEESIM_API int teesim_munmap(struct teesim_process *p, void *addr, size_t len);

/* ------------------------------------------------------------------------ */
/** @name Observation */

/** Counters over the whole tee core of a machine. */
struct teesim_tee_stats {
	uint64_t devices;      /**< devices allocated (registered or not) */
	uint64_t contexts;     /**< live contexts */
	uint64_t shms;	       /**< live shared-memory objects */
	uint64_t sessions;     /**< sessions the drivers report open */
	uint64_t files;	       /**< open fds over every process */
	uint64_t mappings;     /**< live teesim_mmap() mappings */
	uint64_t pinned_pages; /**< pages pinned by registered shms */
	uint64_t ids;	       /**< shm ids in use (reserved included) over every device */
};

/** Fill @p st with the core's counters (all zero when no core exists). */
TEESIM_API void teesim_tee_stats(struct teesim_machine *m, struct teesim_tee_stats *st);

/** What an fd refers to. */
enum teesim_tee_fd_kind {
	TEESIM_TEE_FD_DEVICE = 1, /**< an open device: a context */
	TEESIM_TEE_FD_SHM = 2,	  /**< a shared-memory object */
};

/** One shared-memory object as the core sees it. */
struct teesim_tee_shm_info {
	int id;		       /**< its id (-1: none) */
	uint32_t refs;	       /**< references held on it */
	uint64_t size;	       /**< size in bytes */
	uint32_t flags;	       /**< internal TEE_SHM_* flags (v4.16 values) */
	uint64_t pinned_pages; /**< pages pinned for it (registered buffers) */
	uint32_t page_offset;  /**< offset of a registered buffer in its first page */
	uint64_t paddr;	       /**< physical (guest) address of a pool buffer */
	uint64_t cookie;       /**< the stable value naming it to the secure world */
	uint32_t ctx_refs;     /**< references held on its context */
};

/** What an fd refers to, with the reference counts involved. */
struct teesim_tee_fd_info {
	enum teesim_tee_fd_kind kind;
	char device[32];		/**< the device's name ("tee0", ...) */
	uint32_t ctx_refs;		/**< references held on the context */
	uint32_t ctx_shms;		/**< shms holding the context */
	uint32_t ctx_sessions;		/**< sessions open on the context */
	struct teesim_tee_shm_info shm; /**< TEESIM_TEE_FD_SHM only */
};

/** Describe fd @p fd of @p p; -EBADF if it is not open. */
TEESIM_API int teesim_tee_fd_info(struct teesim_process *p, int fd,
				  struct teesim_tee_fd_info *info);

/**
 * Describe the shm with id @p id on device @p path of guest @p g. -ENOENT if
 * there is no such device or id, -EBUSY if the id is reserved but not
 * published yet (its shm is still being built).
 */
TEESIM_API int teesim_tee_shm_info(struct teesim_guest *g, const char *path, int id,
				   struct teesim_tee_shm_info *info);

/** One device as the core sees it. */
struct teesim_tee_device_info {
	uint32_t users;	   /**< device users (contexts, shms, +1 while registered) */
	uint32_t contexts; /**< live contexts on it */
	uint64_t ids;	   /**< shm ids in use, reserved included */
	bool privileged;   /**< a supplicant device */
};

/** Describe device @p path of guest @p g; -ENOENT if it is not registered. */
TEESIM_API int teesim_tee_device_info(struct teesim_guest *g, const char *path,
				      struct teesim_tee_device_info *info);

/**
 * The shm ids of device @p path of guest @p g: up to @p max published ids,
 * in increasing order, in @p ids (may be NULL with max 0). Returns how many
 * ids are in use, reserved ones included (those are not listed), or -ENOENT
 * if there is no such device.
 */
TEESIM_API long teesim_tee_ids(struct teesim_guest *g, const char *path, int *ids, size_t max);

/* ------------------------------------------------------------------------ */
/** @name Race hooks */

/** Moments of the core where a test may stop a thread. */
enum teesim_tee_event {
	TEESIM_TEE_EV_SHM_ZERO =
	    1,			  /**< a shm's count reached 0 (its id is gone); release follows */
	TEESIM_TEE_EV_CTX_ZERO,	  /**< a context's count reached 0; release follows */
	TEESIM_TEE_EV_ID_RESERVE, /**< an id was reserved (placeholder, not yet findable) */
	TEESIM_TEE_EV_ID_PUBLISH, /**< a reserved id now names its complete shm */
	TEESIM_TEE_EV_ID_REMOVE,  /**< an id was removed from its device's table */
};

/** One event, as the hook sees it. */
struct teesim_tee_event_info {
	enum teesim_tee_event event;
	const char *device; /**< the device's name */
	int id;		    /**< the shm id (-1 for contexts and id-less shms) */
	const void *object; /**< the shm or context (opaque, for identity only) */
};

/**
 * Race hook: called from the thread that reached the moment, with no lock of
 * the core held, so it may block until another thread has done something.
 */
typedef void (*teesim_tee_hook_fn)(void *ctx, const struct teesim_tee_event_info *ev);

/** Install (or with NULL remove) the race hook of the machine's tee core. */
TEESIM_API void teesim_tee_set_hook(struct teesim_machine *m, teesim_tee_hook_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_TEE_H */
