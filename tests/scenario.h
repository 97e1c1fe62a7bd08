/* SPDX-License-Identifier: MIT */
/*
 * Scenarios: the parts of OP-TEE's xtest that exercise the TEE protocol,
 * replayed on a full teesim stack through the ioctl surface, as libteec
 * would drive it. Each scenario checks return codes and the internal state
 * xtest cannot see (core, driver and secure-world counters).
 *
 * Scenario functions never use ck_assert: they also run under allocation
 * fault injection, where any step may fail with ENOMEM or
 * TEE_ERROR_OUT_OF_MEMORY. On the first unexpected result they record it in
 * env->err / env->why and return non-zero, having released what they took.
 */
#ifndef TEESIM_TESTS_SCENARIO_H
#define TEESIM_TESTS_SCENARIO_H

#include <linux/tee.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <teesim/teesim.h>

struct teesim_check_report;

struct th_scen_env {
	struct teesim_stack *st;
	struct teesim_process *proc; /* client process in guest 0 */
	int fd;			     /* its /dev/tee0 fd */
	int err;       /* first unexpected result: negative errno or TEE error code, 0 = none */
	char why[512]; /* which step failed and how, for messages */
};

/* 0 when every step behaved as expected. */
typedef int (*th_scen_fn)(struct th_scen_env *env);

struct th_scenario {
	const char *name; /* "xtest_5006_allocate_in", "xtest_1009" ... */
	th_scen_fn run;
	/* adjusts the default stack config; NULL = defaults */
	void (*cfg)(struct teesim_stack_cfg *cfg);
};

/* Stack configurations of scenarios (th_scenario.cfg). */
/* No dynamic shm in the secure world: the static pool only, no REG_MEM (libteec's SHM_ALLOC path).
 */
void th_sc_cfg_static(struct teesim_stack_cfg *cfg);

/*
 * Every scenario: X(name, fn, cfg). The name is the xtest case and sub-case (a "_static" suffix:
 * the same on a stack without REG_MEM); fn names th_scen_<fn>, defined in scenarios-*.c; cfg
 * adjusts the stack (NULL: defaults).
 */
#define TH_SC_LIST_5006(X)                                                                         \
	X(xtest_5006_close_session_null, xtest_5006_close_session_null, NULL)                      \
	X(xtest_5006_allocate_in, xtest_5006_allocate_in, NULL)                                    \
	X(xtest_5006_allocate_out_of_memory, xtest_5006_allocate_out_of_memory, NULL)              \
	X(xtest_5006_open_session_not_existing_ta, xtest_5006_open_session_not_existing_ta, NULL)  \
	X(xtest_5006_allocate_inout, xtest_5006_allocate_inout, NULL)                              \
	X(xtest_5006_register_in, xtest_5006_register_in, NULL)                                    \
	X(xtest_5006_register_nonzero_length_out, xtest_5006_register_nonzero_length_out, NULL)    \
	X(xtest_5006_register_inout, xtest_5006_register_inout, NULL)                              \
	X(xtest_5006_register_zero_length_out, xtest_5006_register_zero_length_out, NULL)          \
	X(xtest_5006_allocate_out, xtest_5006_allocate_out, NULL)                                  \
	X(xtest_5006_finalize_context_null, xtest_5006_finalize_context_null, NULL)                \
	X(xtest_5006_initialize_context_not_existing_tee,                                          \
	  xtest_5006_initialize_context_not_existing_tee, NULL)                                    \
	X(xtest_5006_allocate_then_register_same_memory,                                           \
	  xtest_5006_allocate_then_register_same_memory, NULL)                                     \
	X(xtest_5006_allocate_same_memory_twice, xtest_5006_allocate_same_memory_twice, NULL)      \
	X(xtest_5006_register_same_memory_twice, xtest_5006_register_same_memory_twice, NULL)      \
	X(xtest_5006_allocate_shared_memory_32k, xtest_5006_allocate_shared_memory_32k, NULL)      \
	X(xtest_5006_register_shared_memory_32k, xtest_5006_register_shared_memory_32k, NULL)      \
	X(xtest_5006_allocate_in_static, xtest_5006_allocate_in, th_sc_cfg_static)                 \
	X(xtest_5006_allocate_out_of_memory_static, xtest_5006_allocate_out_of_memory,             \
	  th_sc_cfg_static)                                                                        \
	X(xtest_5006_allocate_inout_static, xtest_5006_allocate_inout, th_sc_cfg_static)           \
	X(xtest_5006_register_in_static, xtest_5006_register_in, th_sc_cfg_static)                 \
	X(xtest_5006_register_nonzero_length_out_static, xtest_5006_register_nonzero_length_out,   \
	  th_sc_cfg_static)                                                                        \
	X(xtest_5006_register_inout_static, xtest_5006_register_inout, th_sc_cfg_static)           \
	X(xtest_5006_register_zero_length_out_static, xtest_5006_register_zero_length_out,         \
	  th_sc_cfg_static)                                                                        \
	X(xtest_5006_allocate_out_static, xtest_5006_allocate_out, th_sc_cfg_static)               \
	X(xtest_5006_allocate_then_register_same_memory_static,                                    \
	  xtest_5006_allocate_then_register_same_memory, th_sc_cfg_static)                         \
	X(xtest_5006_allocate_same_memory_twice_static, xtest_5006_allocate_same_memory_twice,     \
	  th_sc_cfg_static)                                                                        \
	X(xtest_5006_register_same_memory_twice_static, xtest_5006_register_same_memory_twice,     \
	  th_sc_cfg_static)                                                                        \
	X(xtest_5006_allocate_shared_memory_32k_static, xtest_5006_allocate_shared_memory_32k,     \
	  th_sc_cfg_static)                                                                        \
	X(xtest_5006_register_shared_memory_32k_static, xtest_5006_register_shared_memory_32k,     \
	  th_sc_cfg_static)

#define TH_SC_LIST_1000(X)                                                                         \
	X(xtest_1005, xtest_1005, NULL)                                                            \
	X(xtest_1009, xtest_1009, NULL)                                                            \
	X(xtest_1012, xtest_1012, NULL)                                                            \
	X(xtest_1013, xtest_1013, NULL)                                                            \
	X(xtest_1017, xtest_1017, NULL)                                                            \
	X(xtest_1017_static, xtest_1017, th_sc_cfg_static)                                         \
	X(xtest_1018, xtest_1018, NULL)                                                            \
	X(xtest_1018_static, xtest_1018, th_sc_cfg_static)                                         \
	X(xtest_1025, xtest_1025, NULL)                                                            \
	X(xtest_1032, xtest_1032, NULL)                                                            \
	X(xtest_1033, xtest_1033, NULL)                                                            \
	X(xtest_1040, xtest_1040, NULL)

#define TH_SC_LIST(X) TH_SC_LIST_5006(X) TH_SC_LIST_1000(X)

#define TH_SC_DECLARE(name, fn, cfg) int th_scen_##fn(struct th_scen_env *env);
TH_SC_LIST(TH_SC_DECLARE)
#undef TH_SC_DECLARE

extern const struct th_scenario th_scenarios[];
extern const size_t th_nscenarios;

/* Build the stack (cfg from sc), the client process and its fd. 0 or a negative errno; nothing
 * left on failure. */
int th_scen_env_init(struct th_scen_env *env, const struct th_scenario *sc);

/*
 * Close/free whatever the scenario left (fds, processes, threads joined), run
 * teesim_check_stack(st, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, rep) (rep may be NULL), free the
 * stack; returns the number of problems.
 */
unsigned th_scen_env_fini(struct th_scen_env *env, struct teesim_check_report *rep);

/* The scenario named @name, or NULL. */
const struct th_scenario *th_scen_find(const char *name);

/* ------------------------------------------------------------------------ */
/* Failure recording */

/* Record the first failure (later ones are ignored); always returns -1. */
int th_sc_fail(struct th_scen_env *env, int err, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * If @cond is false: record @err (negative errno or TEE code; 0 becomes -1) and the
 * message, and jump to the scenario's `out` label (which releases what was taken).
 */
#define TH_SC_CHECK(env, cond, err, ...)                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			th_sc_fail((env), (err), __FILE__, __LINE__, __VA_ARGS__);                 \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)

/* TH_SC_CHECK with err -1 (a state mismatch rather than a failed call). */
#define TH_SC_EXPECT(env, cond, ...) TH_SC_CHECK(env, cond, -1, __VA_ARGS__)

/* A call that returned @rc (0 or negative errno) must return @want. */
#define TH_SC_RC(env, rc, want, what)                                                              \
	do {                                                                                       \
		long th_rc_ = (long) (rc);                                                         \
		TH_SC_CHECK(env, th_rc_ == (long) (want), th_rc_ ? (int) th_rc_ : -1,              \
			    "%s: returned %ld, expected %ld", (what), th_rc_, (long) (want));      \
	} while (0)

/* A TEE result @res (with @origin) must be @want. */
#define TH_SC_RES(env, res, origin, want, what)                                                    \
	do {                                                                                       \
		uint32_t th_res_ = (res);                                                          \
		TH_SC_CHECK(env, th_res_ == (uint32_t) (want), th_res_ ? (int) th_res_ : -1,       \
			    "%s: result %#x origin %u, expected %#x", (what), th_res_,             \
			    (unsigned) (origin), (unsigned) (want));                               \
	} while (0)

/* ------------------------------------------------------------------------ */
/* libteec at the ioctl level (tee_client_api.c), on env->proc */

/* Zeroed client memory of @len bytes (whole pages), NULL when it cannot be had. */
void *th_sc_umem(struct th_scen_env *env, size_t len);
/* Unmap what th_sc_umem() gave (NULL is a no-op). */
void th_sc_ufree(struct th_scen_env *env, void *u, size_t len);

/* Client memory the machine did not allocate (xtest's stack arrays), at a fixed page offset so
 * that runs are alike. */
struct th_sc_hostbuf {
	void *base;
	uint8_t *p;
};
/* Zeroed host memory: @len bytes at page offset @off. 0 or -ENOMEM. */
int th_sc_hostbuf_new(struct th_sc_hostbuf *hb, size_t len, size_t off);
void th_sc_hostbuf_free(struct th_sc_hostbuf *hb);

/* A TEEC_Context: the fd and the capabilities TEE_IOC_VERSION reported. */
struct th_sc_ctx {
	int fd;
	bool reg_mem;
	bool memref_null;
};

/* TEEC_InitializeContext: open /dev/tee0 and TEE_IOC_VERSION. 0 or -errno (ctx->fd -1). */
int th_sc_ctx_open(struct th_scen_env *env, struct th_sc_ctx *ctx);
/* The same around env->fd (not owned: th_sc_ctx_close() must not be called on it). */
int th_sc_ctx_env(struct th_scen_env *env, struct th_sc_ctx *ctx);
/* TEEC_FinalizeContext (fd -1 is a no-op). */
void th_sc_ctx_close(struct th_scen_env *env, struct th_sc_ctx *ctx);

/* TEEC_SharedMemory flags. */
enum {
	TH_SC_MEM_INPUT = 1u << 0,
	TH_SC_MEM_OUTPUT = 1u << 1,
};

/* What a TEEC_SharedMemory holds at the ioctl level (libteec's imp fields). */
struct th_sc_shm {
	void *buffer;	 /* user address: the client's (registered) or ours (allocated) */
	size_t size;	 /* size asked */
	unsigned flags;	 /* TH_SC_MEM_* */
	int id;		 /* tee shm id, -1 none */
	int fd;		 /* registered shm fd kept open (registered_fd), -1 none */
	void *shadow;	 /* shadow buffer (registration fallback / no REG_MEM), or NULL */
	size_t alloced;	 /* bytes registered or mapped (size 0 gives 8) */
	bool own;	 /* buffer was allocated here (TEEC_AllocateSharedMemory with REG_MEM) */
	bool shadow_own; /* shadow is page memory allocated here (else a teesim_mmap) */
};

/*
 * TEEC_RegisterSharedMemory of @buf (@size, 0 registers 8 bytes). With REG_MEM:
 * TEE_IOC_SHM_REGISTER of @buf, falling back to a registered page-aligned shadow buffer; without:
 * TEE_IOC_SHM_ALLOC + mmap as a shadow. Returns a TEE result (0, BAD_PARAMETERS, OUT_OF_MEMORY,
 * GENERIC).
 */
uint32_t th_sc_shm_register(struct th_scen_env *env, struct th_sc_ctx *ctx, struct th_sc_shm *shm,
			    void *buf, size_t size, unsigned flags);
/* TEEC_AllocateSharedMemory: page memory + TEE_IOC_SHM_REGISTER with REG_MEM, else SHM_ALLOC +
 * mmap (the fd closed; the mapping holds the shm). A TEE result. */
uint32_t th_sc_shm_alloc(struct th_scen_env *env, struct th_sc_ctx *ctx, struct th_sc_shm *shm,
			 size_t size, unsigned flags);
/* TEEC_ReleaseSharedMemory; a shm with id -1 (never filled, or released) is a no-op. */
void th_sc_shm_release(struct th_scen_env *env, struct th_sc_shm *shm);
/* A shm no call has filled yet (id -1, fd -1), safe to release. */
void th_sc_shm_init(struct th_sc_shm *shm);

/* TEEC_Operation parameter types (TEEC_NONE ... TEEC_MEMREF_PARTIAL_INOUT). */
enum th_sc_ptype {
	TH_SC_NONE = 0,
	TH_SC_VALUE_INPUT = 1,
	TH_SC_VALUE_OUTPUT = 2,
	TH_SC_VALUE_INOUT = 3,
	TH_SC_TEMP_INPUT = 5,
	TH_SC_TEMP_OUTPUT = 6,
	TH_SC_TEMP_INOUT = 7,
	TH_SC_WHOLE = 0xc,
	TH_SC_PARTIAL_INPUT = 0xd,
	TH_SC_PARTIAL_OUTPUT = 0xe,
	TH_SC_PARTIAL_INOUT = 0xf,
};

/* One TEEC_Parameter. */
struct th_sc_param {
	enum th_sc_ptype type;
	uint32_t a, b;	       /* values */
	void *buffer;	       /* temp memref */
	size_t size;	       /* memref size (in and out) */
	struct th_sc_shm *shm; /* whole / partial memref */
	size_t offset;	       /* partial memref */
};

/* A TEEC_Operation: four params; rc is the last ioctl's result (0 or -errno). */
struct th_sc_op {
	struct th_sc_param p[4];
	int rc;
};

/*
 * TEEC_OpenSession / TEEC_InvokeCommand: marshal @op (NULL: no params) as libteec does (temp
 * memrefs through a temporary shm, th_sc_shm_register(); a NULL temp memref as a NULL memref with
 * MEMREF_NULL, else an 8-byte allocated shm; whole and partial memrefs naming their shm, with
 * libteec's flag and range checks), TEE_IOC_OPEN_SESSION / TEE_IOC_INVOKE from argument structs in
 * the process's memory, outputs copied back, temporary shms released. Returns the TEE result as
 * libteec does (a marshalling failure: its result, origin API; an ioctl failure: ENOMEM ->
 * OUT_OF_MEMORY, EINVAL -> BAD_PARAMETERS, else GENERIC, origin COMMS).
 */
uint32_t th_sc_open(struct th_scen_env *env, struct th_sc_ctx *ctx, const char *uuid,
		    uint32_t login, struct th_sc_op *op, uint32_t *session, uint32_t *origin);
uint32_t th_sc_invoke(struct th_scen_env *env, struct th_sc_ctx *ctx, uint32_t session,
		      uint32_t cmd, struct th_sc_op *op, uint32_t *origin);
/* TEEC_CloseSession: TEE_IOC_CLOSE_SESSION; 0 or -errno. */
int th_sc_close(struct th_scen_env *env, struct th_sc_ctx *ctx, uint32_t session);
/* TEEC_RequestCancellation: TEE_IOC_CANCEL (cancel_id 0); 0 or -errno. */
int th_sc_cancel(struct th_scen_env *env, struct th_sc_ctx *ctx, uint32_t session);

/* The TEE result of an ioctl errno, as libteec maps it. */
uint32_t th_sc_errno_res(int err);

/*
 * Raw TEE_IOC_INVOKE of @n ready-made params (no libteec checks): the ioctl's result; *ret and
 * *origin from the argument (may be NULL); the params are copied back.
 */
int th_sc_invoke_raw(struct th_scen_env *env, int fd, uint32_t session, uint32_t func,
		     struct tee_ioctl_param *params, uint32_t n, uint32_t *ret, uint32_t *origin);

/* The last request of command @cmd the secure world decoded while the capture was on. */
struct th_sc_capture {
	uint32_t cmd;
	unsigned seen;
	struct teesim_sw_request req;
};
/* Start capturing (a request hook: set while no call is in flight; one capture at a time). */
void th_sc_capture_start(struct th_scen_env *env, struct th_sc_capture *cap, uint32_t cmd);
/* Stop capturing (no call in flight). */
void th_sc_capture_stop(struct th_scen_env *env);

/* The core's size of shm @shm (registered: its fd; pool: by id); 0 when unknown. */
uint64_t th_sc_shm_core_size(struct th_scen_env *env, const struct th_sc_shm *shm);

/* ------------------------------------------------------------------------ */
/* The TAs of the 1000 scenarios (scenarios-tas.c), after optee_test's */

#define TH_TA_OS_TEST_UUID     "5b9e0e40-2636-11e1-ad9e-0002a5d5c51b"
#define TH_TA_SIMS_UUID	       "e6a33ed4-562b-463a-bb7e-ff5e15a493c8"
#define TH_TA_CONCURRENT_UUID  "e13010e0-2ae1-11e5-896a-0002a5d5c51b"
#define TH_TA_SUPP_PLUGIN_UUID "380231ac-fb99-47ad-a689-9e017eb6e78a"
#define TH_TEST_PLUGIN_UUID    "f07bfc66-958c-4a15-99c0-260e4e7375dd"

/* os_test: WAIT p0 value {a = ms} (TEE_Wait: SUSPEND RPCs, CANCEL once cancelled); PARAMS four
 * memrefs in, in, out, out, none NULL or empty; NULL_MEMREF_PARAMS the same types: 0 and 2
 * mapped with 0 bytes, 1 and 3 NULL. */
enum {
	TH_OS_TEST_CMD_WAIT = 9,
	TH_OS_TEST_CMD_PARAMS = 13,
	TH_OS_TEST_CMD_NULL_MEMREF_PARAMS = 19,
};
int th_ta_os_test_register(struct teesim_sw *sw);

/* sims (SINGLE_INSTANCE): storage slots and a session counter per instance. READ p0 value {a =
 * slot}, p1 memref out; WRITE p0 value, p1 memref in; GET_COUNTER p0 value out {a = sessions
 * opened on the instance before this one}; PANIC p0 memref in (NULL: the TA panics). */
enum {
	TH_SIMS_CMD_READ = 1,
	TH_SIMS_CMD_WRITE = 2,
	TH_SIMS_CMD_GET_COUNTER = 3,
	TH_SIMS_CMD_PANIC = 4,
};
struct sims;
int th_ta_sims_register(struct teesim_sw *sw, struct sims **out);
/* Calls that entered the sims TA's invoke. */
unsigned th_ta_sims_invokes(struct sims *s);

/*
 * concurrent (a new instance per session): BUSY_LOOP p0 memref inout (u32 active count at offset
 * 0, counted up while the call is in the TA), p1 value inout {a = rounds, b out = active count
 * seen}; SHA256 the same plus p2 memref in, p3 memref out (32 bytes of th_digest32(), a stand-in
 * for SHA-256). Each call waits inside the TA at a gate the scenario opens, so concurrency is
 * decided by the scenario, not by host scheduling.
 */
enum {
	TH_CONCURRENT_CMD_BUSY_LOOP = 0,
	TH_CONCURRENT_CMD_SHA256 = 1,
};
struct th_gate;
int th_ta_concurrent_register(struct teesim_sw *sw, struct th_gate **out);
/* A client thread's call returned (whatever the result). */
void th_gate_done(struct th_gate *g);
/* Wait until each of @n client calls is inside the TA or returned; the number inside. Bounded:
 * every call either reaches the gate or returns. */
unsigned th_gate_wait(struct th_gate *g, unsigned n);
/* Open the gate (true), or close it and clear the counts for the next round (false). */
void th_gate_open(struct th_gate *g, bool open);
/* Most calls inside at once since the gate was closed. */
unsigned th_gate_peak(struct th_gate *g);
void th_digest32(const uint8_t *in, size_t n, uint8_t out[32]);

/* supp_plugin: open pings the test plugin; the commands of optee_test's TA. */
enum {
	TH_SUPP_PLUGIN_CMD_PASS_VALUES = 0,
	TH_SUPP_PLUGIN_CMD_WRITE_ARR = 1,
	TH_SUPP_PLUGIN_CMD_GET_ARR = 2,
	TH_SUPP_PLUGIN_CMD_BAD_UUID = 3,
	TH_SUPP_PLUGIN_CMD_BAD_IN_DATA = 4,
	TH_SUPP_PLUGIN_CMD_BAD_IN_LEN = 5,
	TH_SUPP_PLUGIN_CMD_UNKNOWN_UUID = 6,
};
enum {
	TH_TEST_PLUGIN_CMD_PING = 0,
	TH_TEST_PLUGIN_CMD_PASS_VALUES = 1,
	TH_TEST_PLUGIN_CMD_WRITE_ARR = 2,
	TH_TEST_PLUGIN_CMD_GET_ARR = 3,
};
int th_ta_supp_plugin_register(struct teesim_sw *sw);
/* The supplicant side: optee_test's test plugin (teesim_supplicant_plugin_fn). */
uint32_t th_test_plugin(void *ctx, uint32_t cmd, uint32_t sub_cmd, void *data, size_t in_len,
			size_t *out_len);

/* ------------------------------------------------------------------------ */
/* State */

/* Counters of every layer at one moment. */
struct th_sc_snap {
	struct teesim_machine_stats m;
	struct teesim_tee_stats core;
	struct teesim_sw_stats sw;
	struct teesim_optee_info drv;
	/* core shms the client side holds: the driver's own (argument cache, RPC buffers) left out
	 */
	uint64_t user_shms;
};
void th_sc_snap(struct th_scen_env *env, struct th_sc_snap *s);

/*
 * Every layer holds what it held at @base again: core shms (user_shms), ids, pinned pages,
 * mappings, files, contexts, sessions; secure-world sessions, registered objects, busy threads;
 * driver registrations and calls in flight; machine pins and bound host pages. Records the first
 * difference (prefixed with @what) and returns -1, else 0.
 */
int th_sc_expect_back(struct th_scen_env *env, const struct th_sc_snap *base, const char *what);

/*
 * @shm (from th_sc_shm_register / _alloc) is what the layers say: a registered shm (fd kept)
 * has its id, its pages pinned, an object in the secure world under its cookie with the same
 * pages, and those pages are the client's memory (same host bytes); an allocated pool shm is
 * mapped at its buffer (same host bytes at its physical address). Returns 0 or -1 (recorded).
 */
int th_sc_expect_shm(struct th_scen_env *env, const struct th_sc_shm *shm, const char *what);

struct teesim_sw_stats th_sc_sw(struct th_scen_env *env);
struct teesim_tee_stats th_sc_core(struct th_scen_env *env);
/* Driver info; zeroed when it cannot be read. */
struct teesim_optee_info th_sc_drv(struct th_scen_env *env);

/* True when a result is the out-of-memory a fault injector may cause. */
bool th_sc_oom(int err_or_res);

#endif /* TEESIM_TESTS_SCENARIO_H */
