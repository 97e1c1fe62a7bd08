/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/supplicant.h
 * @brief An in-process model of OP-TEE's tee-supplicant: the requests it
 * serves (TA loading, the REE file system, plugins), independent of how
 * requests reach it.
 *
 * The secure world asks the normal world for services it cannot give
 * itself; the OP-TEE driver queues those requests for the supplicant, which
 * fetches one with TEE_IOC_SUPPL_RECV and answers it with TEE_IOC_SUPPL_SEND.
 * teesim_supplicant_serve() is the part in between: it takes what RECV
 * delivered (the RPC command and its `struct tee_ioctl_param` array, meta
 * parameters removed) and produces what SEND carries back (a TEE result and
 * the updated parameters: values written, memref sizes set).
 *
 * Memref parameters arrive as the kernel gives them ({a = offset, b = size,
 * c = shm id}); the transport resolves each into a host pointer and the
 * number of bytes valid there (a @ref teesim_supplicant_memref) before
 * calling serve, as tee-supplicant resolves shm ids it allocated.
 *
 * What is served, with tee-supplicant's parameter layouts and error codes
 * (docs/supplicant.md has every case):
 * - TEESIM_OPTEE_RPC_CMD_LOAD_TA from a TA store (teesim_supplicant_ta_add());
 * - TEESIM_OPTEE_RPC_CMD_FS, every TEESIM_OPTEE_RPC_FS_* operation, over an
 *   in-memory file system that tests can inspect;
 * - TEESIM_OPTEE_RPC_CMD_SUPP_PLUGIN, to plugins registered by UUID;
 * - TEESIM_OPTEE_RPC_CMD_SHM_ALLOC / SHM_FREE through the supplicant
 *   device only (teesim_supplicant_serve_fd()), where buffers can be made;
 * - everything else is answered TEESIM_OPTEE_ERROR_NOT_SUPPORTED.
 *
 * Fault knobs make it fail the next requests or stop answering.
 *
 * Lifetime: teesim_supplicant_new() ... teesim_supplicant_free(). An
 * instance stands alone (it needs no machine). Every function may be called
 * from several threads: one lock guards the instance, held while a request
 * is served except around a plugin's callback.
 */
#ifndef TEESIM_SUPPLICANT_H
#define TEESIM_SUPPLICANT_H

#include <linux/tee.h>

#include <teesim/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque supplicant instance. */
struct teesim_supplicant;

/**
 * Create a supplicant with an empty TA store, an empty file system (only
 * its root directory), no plugin, running. Returns NULL with errno ENOMEM.
 */
TEESIM_API struct teesim_supplicant *teesim_supplicant_new(void);

/**
 * Like teesim_supplicant_new(), but every allocation the supplicant makes
 * (its instance, TA store, file system, buffers) is counted on @p m and
 * can be made to fail there (teesim/fault.h). @p m must outlive the
 * supplicant; NULL is teesim_supplicant_new().
 */
TEESIM_API struct teesim_supplicant *teesim_supplicant_new_on(struct teesim_machine *m);

/** Free a supplicant and everything it holds (files, open handles, TAs). NULL is a no-op. */
TEESIM_API void teesim_supplicant_free(struct teesim_supplicant *s);

/* ------------------------------------------------------------------------ */
/** @name TA store (LOAD_TA) */

/**
 * Add a TA image under @p uuid (16 octets in the GP wire order, as in
 * struct teesim_uuid). The bytes are copied. -EINVAL for NULL pointers or
 * @p len 0, -EEXIST if the UUID is already stored, -ENOMEM.
 */
TEESIM_API int teesim_supplicant_ta_add(struct teesim_supplicant *s, const uint8_t uuid[16],
					const void *image, size_t len);

/** Remove the TA stored under @p uuid; -ENOENT if there is none, -EINVAL for NULL. */
TEESIM_API int teesim_supplicant_ta_remove(struct teesim_supplicant *s, const uint8_t uuid[16]);

/* ------------------------------------------------------------------------ */
/** @name Plugins (SUPP_PLUGIN) */

/**
 * A plugin's invoke method (tee-supplicant's plugin_method.invoke): @p data
 * holds @p in_len bytes from the TA (may be NULL when @p in_len is 0) and
 * may be overwritten with up to @p in_len bytes; store how many are output
 * in @p out_len (reported to the TA in param[2].b). Returns a TEE result.
 * Called without the supplicant's lock held; it must not free the
 * supplicant.
 */
typedef uint32_t (*teesim_supplicant_plugin_fn)(void *ctx, uint32_t cmd, uint32_t sub_cmd,
						void *data, size_t in_len, size_t *out_len);

/**
 * Register a plugin under @p uuid (16 octets, wire order). It lives until
 * teesim_supplicant_free(). -EINVAL for NULL @p s, @p uuid or @p fn, -EEXIST
 * if a plugin has that UUID, -ENOMEM.
 */
TEESIM_API int teesim_supplicant_plugin_register(struct teesim_supplicant *s,
						 const uint8_t uuid[16],
						 teesim_supplicant_plugin_fn fn, void *ctx);

/* ------------------------------------------------------------------------ */
/** @name Serving requests */

/** A memref parameter resolved by the transport. */
struct teesim_supplicant_memref {
	/**
	 * Host address of the buffer (the shm's memory at the param's
	 * offset), or NULL when the shm id named nothing the supplicant knows
	 * (the kernel passes id -1 for a memref without a buffer).
	 */
	void *buf;
	/** Bytes valid from @ref buf to the end of the shm; the param's size (b) must fit in it. */
	size_t room;
};

/**
 * Serve one request. @p func is the RPC command (TEESIM_OPTEE_RPC_CMD_*),
 * @p params its @p num_params parameters as TEE_IOC_SUPPL_RECV delivers
 * them, meta parameters removed; @p mem has one entry per parameter (only
 * the memref ones are read; may be NULL when no parameter is a memref).
 * Output values and memref sizes are written into @p params, as
 * TEE_IOC_SUPPL_SEND expects them, and the TEE result into @p ret.
 *
 * Returns 0 when the request is answered; -EPIPE when the supplicant is
 * stopped without answering (TEESIM_SUPPLICANT_STOP_SILENT: send nothing);
 * -EINVAL for a NULL @p s or @p ret, or NULL @p params with @p num_params > 0.
 * Bad requests are answered (TEE_ERROR_BAD_PARAMETERS and the others of
 * docs/supplicant.md), never refused.
 */
TEESIM_API int teesim_supplicant_serve(struct teesim_supplicant *s, uint32_t func,
				       size_t num_params, struct tee_ioctl_param *params,
				       const struct teesim_supplicant_memref *mem, uint32_t *ret);

/**
 * One round of tee-supplicant's loop over the supplicant device: on @p fd
 * (an open "/dev/teepriv0" of @p p), TEE_IOC_SUPPL_RECV with room for five
 * parameters, the first META (asking for the asynchronous protocol), then
 * serve the request as teesim_supplicant_serve() does, then
 * TEE_IOC_SUPPL_SEND of the same parameters with the result. The argument
 * structs live in a page of @p p's memory that the supplicant maps the
 * first time it serves @p p and keeps for later rounds (one page per round
 * in flight), as tee-supplicant keeps its request buffer: a round never
 * needs memory the guest may have run out of. teesim_supplicant_free()
 * forgets those pages, the process's exit releases them.
 *
 * Memrefs are resolved through the buffers this supplicant allocated for
 * the secure world: it also serves TEESIM_OPTEE_RPC_CMD_SHM_ALLOC (value.b
 * bytes, value.c = the shm id) as tee-supplicant does: page-aligned memory
 * of @p p registered with TEE_IOC_SHM_REGISTER when the device reports
 * TEE_GEN_CAP_REG_MEM, else TEE_IOC_SHM_ALLOC and teesim_mmap(); any
 * failure is TEE_ERROR_OUT_OF_MEMORY. SHM_FREE (value.b = the id) closes
 * and unmaps it; an unknown id is TEE_ERROR_BAD_PARAMETERS. Those buffers
 * belong to @p p: teesim_supplicant_free() forgets them, the process's exit
 * releases them.
 *
 * Returns 0 when the request was answered and SEND succeeded; the negative
 * errno of TEE_IOC_SUPPL_RECV (nothing was served) or of
 * TEE_IOC_SUPPL_SEND; -EPIPE when the supplicant is stopped silently (the
 * request was taken and is left unanswered); -EPROTO for a request whose
 * meta parameters are out of place; -ENOMEM; -EINVAL for NULL @p s or @p p.
 * The supplicant's lock is not held while RECV or SEND run.
 */
TEESIM_API int teesim_supplicant_serve_fd(struct teesim_supplicant *s, struct teesim_process *p,
					  int fd);

/* ------------------------------------------------------------------------ */
/** @name Fault knobs */

/**
 * Answer the next @p n requests with @p code (a TEE result, normally an
 * error) without serving them: no parameter is touched. @p n 0 cancels.
 */
TEESIM_API void teesim_supplicant_fail_next(struct teesim_supplicant *s, unsigned n, uint32_t code);

/** Stop modes. */
enum teesim_supplicant_stop {
	TEESIM_SUPPLICANT_RUNNING = 0,	   /**< serve requests */
	TEESIM_SUPPLICANT_STOP_ANSWER = 1, /**< answer every request with the given code */
	TEESIM_SUPPLICANT_STOP_SILENT = 2, /**< answer nothing: serve returns -EPIPE */
};

/**
 * Stop (or restart with TEESIM_SUPPLICANT_RUNNING) the supplicant. With
 * STOP_ANSWER every request is answered @p code untouched; with STOP_SILENT
 * none is answered, as a hung tee-supplicant. The stop takes precedence
 * over teesim_supplicant_fail_next(). -EINVAL for an unknown mode.
 */
TEESIM_API int teesim_supplicant_stop(struct teesim_supplicant *s, enum teesim_supplicant_stop mode,
				      uint32_t code);

/* ------------------------------------------------------------------------ */
/** @name File system (OP-TEE's REE FS storage) */

/**
 * Limits of the file system: @p capacity bytes of file data in all (files
 * removed but still open count), and @p max_open file descriptors open at
 * once. A write or truncate past the capacity is answered
 * TEE_ERROR_STORAGE_NO_SPACE. Defaults: 64 MiB and 1024.
 * -EINVAL if @p max_open is 0 or above 65536.
 */
TEESIM_API int teesim_supplicant_fs_set_limits(struct teesim_supplicant *s, uint64_t capacity,
					       unsigned max_open);

/** Callback of teesim_supplicant_fs_walk(): one file or directory. Non-zero stops the walk. */
typedef int (*teesim_supplicant_walk_fn)(void *ctx, const char *path, bool is_dir, uint64_t size);

/**
 * Visit every file and directory under the root (the root itself
 * excluded), depth first, each directory before its entries, entries in
 * strcmp order. Paths are relative to the root, components joined by '/'.
 * Returns 0, the callback's non-zero value if it stopped the walk, or
 * -ENOMEM. The callback must not call into the supplicant.
 */
TEESIM_API int teesim_supplicant_fs_walk(struct teesim_supplicant *s, teesim_supplicant_walk_fn fn,
					 void *ctx);

/**
 * Copy up to @p max bytes of the file at @p path into @p buf (may be NULL
 * with max 0) and its size into @p size (may be NULL). Returns 0, -ENOENT
 * (no such file), -EISDIR (a directory), -EINVAL (NULL or malformed path).
 */
TEESIM_API int teesim_supplicant_fs_read(struct teesim_supplicant *s, const char *path, void *buf,
					 size_t max, uint64_t *size);

/**
 * Create or replace the file at @p path with @p len bytes of @p data,
 * making missing directories: for a test to lay out or corrupt storage.
 * Open descriptors of a replaced file see the new content. -EINVAL (NULL
 * or malformed path, NULL data with len > 0), -EISDIR, -ENOTDIR (a path
 * component is a file), -ENOSPC (over the capacity), -ENOMEM.
 */
TEESIM_API int teesim_supplicant_fs_write(struct teesim_supplicant *s, const char *path,
					  const void *data, size_t len);

/* ------------------------------------------------------------------------ */
/** @name Observation */

/** Counters of a supplicant. */
struct teesim_supplicant_stats {
	uint64_t requests;   /**< requests answered (faults included) */
	uint64_t errors;     /**< of those, answered with a result other than success */
	uint64_t dropped;    /**< requests left unanswered (STOP_SILENT) */
	uint64_t tas;	     /**< TAs in the store */
	uint64_t ta_loads;   /**< LOAD_TA requests that copied an image */
	uint64_t plugins;    /**< plugins registered */
	uint64_t files;	     /**< files in the file system */
	uint64_t dirs;	     /**< directories, the root excluded */
	uint64_t bytes;	     /**< bytes of file data held (removed open files included) */
	uint64_t open_files; /**< file descriptors open */
	uint64_t open_dirs;  /**< directory handles open */
	uint64_t shms;	     /**< SHM_ALLOC buffers held (teesim_supplicant_serve_fd) */
	uint64_t arg_pages;  /**< process pages kept for serve_fd's ioctl arguments */
};

/** Fill @p st. */
TEESIM_API void teesim_supplicant_stats(struct teesim_supplicant *s,
					struct teesim_supplicant_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_SUPPLICANT_H */
