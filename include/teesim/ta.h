/* SPDX-License-Identifier: MIT */
/**
 * @file teesim/ta.h
 * @brief Trusted applications inside the fake secure world: how to write
 * one, how it reaches its memref parameters and how it makes RPCs.
 *
 * A TA is an ops table (open / invoke / close) registered under its UUID
 * with teesim_sw_ta_register(). Each entry point runs on a secure thread
 * and gets a @ref teesim_ta_call that describes the call: its four GP
 * parameters, the session, the client's identity. From inside an entry
 * point a TA may:
 * - read and write its memref parameters, which always goes through the
 *   machine's checked physical accessors (teesim_ta_memref_read() ...);
 * - make RPCs to the normal world (GET_TIME, SUSPEND, WAIT_QUEUE, SHM_ALLOC
 *   / SHM_FREE, LOAD_TA, FS ... or any command through teesim_ta_rpc()).
 *   An RPC suspends the secure thread: the SMC returns to the normal world,
 *   which answers with RETURN_FROM_RPC, and the call goes on from there.
 * - check whether the normal world asked to cancel it, or panic.
 *
 * None of these functions may be called outside an entry point.
 */
#ifndef TEESIM_TA_H
#define TEESIM_TA_H

#include <teesim/secure_world.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One call into a TA (opaque; valid during the entry point only). */
struct teesim_ta_call;

/** GP parameter types (TEE_PARAM_TYPE_*). */
enum teesim_ta_param_type {
	TEESIM_TA_PARAM_NONE = 0,
	TEESIM_TA_PARAM_VALUE_INPUT = 1,
	TEESIM_TA_PARAM_VALUE_OUTPUT = 2,
	TEESIM_TA_PARAM_VALUE_INOUT = 3,
	TEESIM_TA_PARAM_MEMREF_INPUT = 5,
	TEESIM_TA_PARAM_MEMREF_OUTPUT = 6,
	TEESIM_TA_PARAM_MEMREF_INOUT = 7,
};

/** A GP parameter as a TA sees it. */
struct teesim_ta_param {
	enum teesim_ta_param_type type;
	/** VALUE: GP values are two 32-bit words (the message's c is not passed). */
	uint32_t a, b;
	/** MEMREF: size in bytes; a TA may change it for OUTPUT / INOUT (it is
	 * written back, e.g. the size needed with TEE_ERROR_SHORT_BUFFER). */
	uint64_t size;
	/** MEMREF: true for a NULL memref (no memory behind it). */
	bool null;
};

/** Entry points of a TA. Results are TEE_ERROR_* (TEESIM_OPTEE_ERROR_*). */
struct teesim_ta_ops {
	/** Open a session; may set *@p sess. NULL: always succeeds. */
	uint32_t (*open)(void *ta_ctx, struct teesim_ta_call *call, void **sess);
	/** Invoke command @p func in session @p sess. Required. */
	uint32_t (*invoke)(void *ta_ctx, struct teesim_ta_call *call, void *sess, uint32_t func);
	/** Close the session (not called for a panicked one). May be NULL. */
	void (*close)(void *ta_ctx, struct teesim_ta_call *call, void *sess);
	/** The secure world is going away: release @p ta_ctx. May be NULL. */
	void (*destroy)(void *ta_ctx);
};

/** TA flags. */
enum {
	/** OPEN_SESSION must first load the TA through the supplicant (LOAD_TA RPC). */
	TEESIM_TA_FLAG_NEEDS_LOAD = 1u << 0,
	/** One session at a time; a second open gets TEE_ERROR_BUSY. */
	TEESIM_TA_FLAG_SINGLE_SESSION = 1u << 1,
	/**
	 * Sessions share one instance (OP-TEE's TA_FLAG_SINGLE_INSTANCE): a panic
	 * in any of them kills the instance, so every session opened on it is
	 * dead (TEE_ERROR_TARGET_DEAD, origin TEE) and an open that was under
	 * way on it fails TARGET_DEAD; the instance also ends when its last
	 * session closes. The next open starts a new instance. Without the flag
	 * each session is an instance of its own.
	 */
	TEESIM_TA_FLAG_SINGLE_INSTANCE = 1u << 2,
};

/** A TA to register. */
struct teesim_ta_desc {
	struct teesim_uuid uuid;
	const char *name; /**< for logs and docs; copied */
	const struct teesim_ta_ops *ops;
	void *ctx; /**< handed to every entry point */
	unsigned flags;
};

/**
 * Register a TA. -EINVAL (NULL ops or invoke, unknown flags), -EEXIST (the
 * UUID is taken), -ENOMEM. The TA lives until teesim_sw_free().
 */
TEESIM_API int teesim_sw_ta_register(struct teesim_sw *sw, const struct teesim_ta_desc *desc);

/** Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into @p uuid; -EINVAL if malformed. */
TEESIM_API int teesim_uuid_parse(const char *str, struct teesim_uuid *uuid);

/* ------------------------------------------------------------------------ */
/** @name The call */

/** The call's parameters (array of TEESIM_OPTEE_TA_NUM_PARAMS). */
TEESIM_API struct teesim_ta_param *teesim_ta_params(struct teesim_ta_call *call);
/** Session id of the call (0 while opening). */
TEESIM_API uint32_t teesim_ta_session_id(const struct teesim_ta_call *call);
/** Login method of the session's client. */
TEESIM_API uint32_t teesim_ta_login(const struct teesim_ta_call *call);
/** Client UUID of the session. */
TEESIM_API const struct teesim_uuid *teesim_ta_client(const struct teesim_ta_call *call);
/** Id of the secure thread running the call. */
TEESIM_API unsigned teesim_ta_thread_id(const struct teesim_ta_call *call);
/** The secure world. */
TEESIM_API struct teesim_sw *teesim_ta_sw(const struct teesim_ta_call *call);
/**
 * Instance of the call's session for a TEESIM_TA_FLAG_SINGLE_INSTANCE TA
 * (1, 2, ...: a new number for each new instance, so a TA can keep state per
 * instance); 0 for other TAs.
 */
TEESIM_API uint64_t teesim_ta_instance(const struct teesim_ta_call *call);

/** True once the normal world sent CANCEL for this session. */
TEESIM_API bool teesim_ta_cancelled(const struct teesim_ta_call *call);

/**
 * Panic: the TA instance dies. The call returns TEE_ERROR_TARGET_DEAD with
 * origin TEE whatever the entry point returns, and every later call to the
 * session gets the same. The entry point must return right after.
 */
TEESIM_API void teesim_ta_panic(struct teesim_ta_call *call, uint32_t code);

/* ------------------------------------------------------------------------ */
/** @name Memref parameters (through the checked physical accessors) */

/**
 * Read @p len bytes at @p offset of memref parameter @p idx. Returns 0,
 * -EINVAL (not a memref, NULL memref, range beyond its size) or the
 * accessor's error (-EPERM secure memory, -EFAULT outside memory).
 */
TEESIM_API int teesim_ta_memref_read(struct teesim_ta_call *call, unsigned idx, uint64_t offset,
				     void *buf, size_t len);
/** Like teesim_ta_memref_read() in the other direction. */
TEESIM_API int teesim_ta_memref_write(struct teesim_ta_call *call, unsigned idx, uint64_t offset,
				      const void *buf, size_t len);
/** Fill [@p offset, @p offset + @p len) of memref @p idx with @p byte. */
TEESIM_API int teesim_ta_memref_fill(struct teesim_ta_call *call, unsigned idx, uint64_t offset,
				     uint8_t byte, size_t len);
/**
 * Physical pages behind memref @p idx, the PA of each 4 KiB page that holds
 * a byte of it, in order: copies up to @p max into @p pas and returns the
 * count, or -EINVAL.
 */
TEESIM_API long teesim_ta_memref_pages(struct teesim_ta_call *call, unsigned idx, teesim_pa_t *pas,
				       size_t max);

/* ------------------------------------------------------------------------ */
/** @name RPCs to the normal world */

/** Shared memory a TA obtained with teesim_ta_shm_alloc() (opaque). */
struct teesim_ta_shm;

/** A parameter of a generic RPC. */
struct teesim_ta_rpc_param {
	uint32_t attr;	  /**< TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_* / _TMEM_* (memrefs) / NONE */
	uint64_t a, b, c; /**< values (in and out) */
	struct teesim_ta_shm *shm; /**< memref: buffer (NULL: a NULL memref) */
	uint64_t offset;	   /**< memref: offset into @ref shm */
	uint64_t size;		   /**< memref: size (in and out) */
};

/**
 * Issue RPC_CMD @p cmd with up to 4 parameters and wait for the normal
 * world's answer. Output values and memref sizes are copied back into
 * @p params. Returns the normal world's result (arg->ret), or
 * TEE_ERROR_OUT_OF_MEMORY when no RPC argument buffer could be had,
 * TEE_ERROR_BAD_PARAMETERS for bad @p params, TEE_ERROR_COMMUNICATION when
 * the secure world is being torn down.
 */
TEESIM_API uint32_t teesim_ta_rpc(struct teesim_ta_call *call, uint32_t cmd,
				  struct teesim_ta_rpc_param *params, unsigned n);

/** RPC_CMD GET_TIME: the normal world's wall clock. */
TEESIM_API uint32_t teesim_ta_get_time(struct teesim_ta_call *call, uint64_t *sec, uint64_t *nsec);
/** RPC_CMD SUSPEND for @p ms milliseconds. */
TEESIM_API uint32_t teesim_ta_suspend(struct teesim_ta_call *call, uint32_t ms);
/** RPC_CMD WAIT_QUEUE: @p op SLEEP or WAKEUP on @p key. */
TEESIM_API uint32_t teesim_ta_wait_queue(struct teesim_ta_call *call, uint32_t op, uint32_t key);
/** An RPC_FOREIGN_INTR round trip. */
TEESIM_API void teesim_ta_foreign_intr(struct teesim_ta_call *call);

/**
 * RPC_CMD SHM_ALLOC of @p size bytes of @p type (TEESIM_OPTEE_RPC_SHM_TYPE_*).
 * The reply is validated as OP-TEE does; a reply it refuses is freed again
 * with SHM_FREE. Returns NULL with the reason in *@p ret. Buffers still held
 * when the call ends are freed then.
 */
TEESIM_API struct teesim_ta_shm *teesim_ta_shm_alloc(struct teesim_ta_call *call, uint32_t type,
						     uint64_t size, uint32_t *ret);
/** RPC_CMD SHM_FREE of @p shm, echoing its cookie. */
TEESIM_API uint32_t teesim_ta_shm_free(struct teesim_ta_call *call, struct teesim_ta_shm *shm);
/** Read from an RPC buffer through the accessors; 0 or negative errno. */
TEESIM_API int teesim_ta_shm_read(struct teesim_ta_call *call, struct teesim_ta_shm *shm,
				  uint64_t offset, void *buf, size_t len);
/** Write into an RPC buffer through the accessors; 0 or negative errno. */
TEESIM_API int teesim_ta_shm_write(struct teesim_ta_call *call, struct teesim_ta_shm *shm,
				   uint64_t offset, const void *buf, size_t len);
/** The normal world's cookie of @p shm. */
TEESIM_API uint64_t teesim_ta_shm_cookie(const struct teesim_ta_shm *shm);

/* ------------------------------------------------------------------------ */
/** @name Built-in TAs (registered when cfg.builtin_tas is set) */

/**
 * Memref TA "teesim.mem".
 * Commands: READ p0 memref in -> p1 value out {a = sum of bytes mod 2^32,
 * b = FNV-1a 32 of the bytes}; WRITE p0 memref out, p1 value in {a = byte
 * seed}: writes seed, seed+1, ...; FILL p0 memref out, p1 value in {a =
 * byte}; PAGES p0 memref, p1 value out {a = page count}, p2 memref out gets
 * the PAs (u64 each; at most 64 pages, SHORT_BUFFER beyond); NOP: nothing, value params echoed (a
 * += 1); COPY p0 memref in -> p1 memref out, size set to what was copied (SHORT_BUFFER and the
 * needed size when too small).
 */
#define TEESIM_TA_MEM_UUID "5ce0c000-0001-4000-8000-7465657369d0"
enum {
	TEESIM_TA_MEM_CMD_NOP = 0,
	TEESIM_TA_MEM_CMD_READ = 1,
	TEESIM_TA_MEM_CMD_WRITE = 2,
	TEESIM_TA_MEM_CMD_FILL = 3,
	TEESIM_TA_MEM_CMD_PAGES = 4,
	TEESIM_TA_MEM_CMD_COPY = 5,
};

/**
 * RPC TA "teesim.rpc": each command makes one kind of RPC and reports the
 * result in p0 value out {a = ret, b, c as below}.
 * GET_TIME: b = seconds, c = nanoseconds. SUSPEND p1.a = ms. WAIT_SLEEP /
 * WAIT_WAKEUP p1.a = key. FOREIGN_INTR. SHM_ALLOC p1 {a = type, b = size}:
 * allocates, writes 0xA5.. pattern, reads it back, frees; b = cookie.
 * FS p1.a = FS op: an FS RPC {value in {a = op}, the name "/teesim/fs-object"
 * as an input memref in an application (supplicant) buffer, value out};
 * b = the value the supplicant returned (a file descriptor). FS with
 * p1 {a = CLOSE or CLOSEDIR, b = handle}: the one-value RPC {a = op,
 * b = handle} that closes what an earlier FS command opened. CUSTOM
 * p1 {a = cmd}: RPC_CMD with one VALUE_INOUT param {p2.a, p2.b, 0}; b, c =
 * the values that came back.
 */
#define TEESIM_TA_RPC_UUID "5ce0c000-0002-4000-8000-7465657369d0"
enum {
	TEESIM_TA_RPC_CMD_GET_TIME = 0,
	TEESIM_TA_RPC_CMD_SUSPEND = 1,
	TEESIM_TA_RPC_CMD_WAIT_SLEEP = 2,
	TEESIM_TA_RPC_CMD_WAIT_WAKEUP = 3,
	TEESIM_TA_RPC_CMD_FOREIGN_INTR = 4,
	TEESIM_TA_RPC_CMD_SHM_ALLOC = 5,
	TEESIM_TA_RPC_CMD_FS = 6,
	TEESIM_TA_RPC_CMD_CUSTOM = 7,
};

/**
 * Wait TA "teesim.wait": WAIT p0 value in {a = ms}: waits that long on the
 * virtual clock, suspending with SUSPEND RPCs until the clock has moved far
 * enough; returns TEE_ERROR_CANCEL (origin TA) as soon as it sees a CANCEL.
 */
#define TEESIM_TA_WAIT_UUID "5ce0c000-0003-4000-8000-7465657369d0"
enum {
	TEESIM_TA_WAIT_CMD_WAIT = 0,
};

/** Panic TA "teesim.panic": PANIC panics; NOP succeeds. */
#define TEESIM_TA_PANIC_UUID "5ce0c000-0004-4000-8000-7465657369d0"
enum {
	TEESIM_TA_PANIC_CMD_NOP = 0,
	TEESIM_TA_PANIC_CMD_PANIC = 1,
};

/**
 * Loadable TA "teesim.load" (flag NEEDS_LOAD): opening it makes the secure
 * world fetch its image with LOAD_TA RPCs (size query, SHM_ALLOC of type
 * APPL, LOAD_TA into it, SHM_FREE). The image must be at least
 * TEESIM_TA_IMAGE_HDR bytes: the 8 bytes "TEESIMTA" then the 16 UUID octets;
 * anything else fails the open with TEE_ERROR_SECURITY. NOP succeeds.
 */
#define TEESIM_TA_LOAD_UUID "5ce0c000-0005-4000-8000-7465657369d0"
/** Size of the image header a loadable TA must start with. */
#define TEESIM_TA_IMAGE_HDR 24u
/** Magic at the start of a TA image. */
#define TEESIM_TA_IMAGE_MAGIC "TEESIMTA"

#ifdef __cplusplus
}
#endif

#endif /* TEESIM_TA_H */
