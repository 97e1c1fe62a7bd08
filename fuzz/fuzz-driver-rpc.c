/* SPDX-License-Identifier: MIT */
/*
 * fuzz-driver-rpc: the OP-TEE driver model (src/optee) facing a broken
 * secure world. The secure world here is a script attached to the SMC
 * channel whose every answer comes from the input: the fast calls of probe
 * (UID, revision, capabilities, the static pool's configuration, the shm
 * cache) and of remove (DISABLE_SHM_CACHE with real, stale or invented
 * cookies), the returns of yielding calls with any code (ETHREAD_LIMIT,
 * EBADCMD, garbage) and any message contents (sessions, results, parameter
 * attributes, output sizes), and RPC requests of every kind: RPC_ALLOC of
 * any size, RPC_FREE of any cookie, FOREIGN_INTR, unknown RPC functions,
 * and RPC_CMD with an optee_msg_arg built from the input (GET_TIME,
 * WAIT_QUEUE, SUSPEND, SHM_ALLOC / SHM_FREE of every type, LOAD_TA, FS,
 * RPMB, plugins, unknown commands; any num_params, attributes, values,
 * memrefs and cookies) in the RPC argument (RPC_ARG) or in a buffer named
 * by a cookie. Meanwhile a client process runs TEE_IOC_* through
 * teesim_ioctl (sessions, invokes with memrefs, registered and allocated
 * shms, cancel, close), and the in-process supplicant serves what the
 * driver forwards.
 *
 * No hang by construction: when the input runs out every answer becomes
 * the sane default (correct fast-call answers, calls that free what their
 * thread holds and complete with success), each call makes a bounded
 * number of RPCs, a WAIT_QUEUE sleep is only asked for a key the script has
 * woken before (a sleep nobody wakes blocks in the kernel too), and
 * ETHREAD_LIMIT is only answered when no other call is in flight (the
 * driver then ends the call instead of waiting).
 *
 * Oracles:
 * - the driver resumes only threads that wait for it, with the thread id
 *   it was given;
 * - RPC_ALLOC and SHM_ALLOC answers describe normal-world memory (never
 *   secure), at least as large as asked, each cookie live once;
 * - GET_TIME answers the virtual clock;
 * - after every client step nothing is in flight in the driver (no active
 *   call, waiter or supplicant request) and the driver's count of buffers
 *   the secure world holds equals the script's own count;
 * - the invariant checker (teesim_check_machine) after every step (IDLE
 *   unless the script holds SHM_ALLOC buffers, which IDLE forbids), and
 *   after all client fds are closed and the driver is removed (IDLE,
 *   EMPTY); the machine then holds no kernel, user or pinned page and no
 *   violation.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/teesim.h>

#include "fuzz-heap.h"
#include "fuzz-input.h"

#define PAGE	     TEESIM_PAGE_SIZE
#define RAM_PAGES    96
#define POOL_PAGES   8
#define NTHREADS     3	  /* secure threads of the script */
#define MAX_DEPTH    2	  /* nested calls (RPC -> supplicant -> call) beyond: answered at once */
#define MAX_RPCS     24	  /* RPCs per call */
#define SMC_BUDGET   3000 /* SMCs per input that may consume input */
#define MAX_BUFS     256  /* buffers the script holds a cookie for */
#define MAX_KEYS     16	  /* wait-queue keys woken and not yet slept on */
#define NFD	     6
#define NSESS	     4
#define MAX_STEPS    96
#define MSG_HDR	     sizeof(struct teesim_optee_msg_arg)
#define MSG_PARAM    sizeof(struct teesim_optee_msg_param)
#define RPC_ARG_ROOM TEESIM_OPTEE_MSG_GET_ARG_SIZE(TEESIM_OPTEE_RPC_MAX_NUM_PARAMS)
#define MAX_RPC_PARM 8 /* params the script writes at most into an RPC argument */

/* optee_msg_arg's header without its flexible array, for messages built here */
struct msg_hdr {
	uint32_t cmd, func, session, cancel_id, pad, ret, ret_origin, num_params;
};
_Static_assert(sizeof(struct msg_hdr) == sizeof(struct teesim_optee_msg_arg), "msg header");

/* A buffer the driver handed the script in an RPC (RPC_ALLOC or SHM_ALLOC). */
enum buf_kind { BUF_ARG = 0, BUF_KERNEL, BUF_APPL };

struct buf {
	bool live;
	enum buf_kind kind;
	uint64_t cookie;
	uint64_t pa;   /* first byte (contiguous) or first data page (page list) */
	uint64_t size; /* as answered */
	bool contig;   /* TMEM with a plain address: the bytes are at pa */
	int owner;     /* thread that frees it before returning, or -1 */
	bool cached;   /* an RPC argument kept in the shm cache */
};

/* What a suspended thread asked for, to judge the answer. */
enum rpc_kind { RPC_NONE = 0, RPC_ALLOC, RPC_FREE, RPC_INTR, RPC_CMD, RPC_OTHER };

struct thread {
	bool busy, suspended, finishing;
	uint64_t arg_pa;  /* the call's optee_msg_arg */
	uint64_t rpc_pa;  /* CALL_WITH_RPC_ARG: the RPC argument after it (0: none) */
	uint32_t nparams; /* params the driver wrote in it */
	unsigned rpcs;
	int argbuf;	     /* index of the RPC_ALLOC buffer used for RPC_CMD, or -1 */
	enum rpc_kind asked; /* the RPC it is suspended in */
	uint64_t asked_size; /* RPC_ALLOC / SHM_ALLOC size */
	uint64_t cmd_pa;     /* RPC_CMD: where the message was written */
	uint32_t rpc_cmd;    /* RPC_CMD: its command */
	uint32_t shm_type;   /* SHM_ALLOC: the type asked */
	uint64_t carrier;    /* RPC_CMD: cookie of the buffer holding the message (0: RPC area) */
	bool want_argbuf;    /* RPC_ALLOC: for the RPC argument */
	bool alloc_failed;   /* an RPC_ALLOC for the RPC argument failed */
	bool abandon;	     /* leave the thread's buffers to the driver */
	uint64_t now;	     /* GET_TIME: the clock when asked */
};

struct proc {
	struct teesim_process *p;
	unsigned char *arg; /* ioctl arguments */
	unsigned char *buf; /* memory to register */
	int fds[NFD];
	void *map[NFD];
	size_t map_len[NFD];
	uint32_t sess[NSESS];
};

struct run {
	struct teesim_machine *m;
	struct teesim_guest *g;
	struct teesim_optee *drv;
	struct teesim_supplicant *supp;
	struct teesim_process *supp_proc;
	int supp_fd;
	struct input in;
	unsigned smcs;
	uint8_t cfg0, cfg1;
	uint32_t caps;	      /* what EXCHANGE_CAPABILITIES answers */
	unsigned rpc_params;  /* what the driver uses (teesim_optee_info) */
	bool shm_cache;	      /* ENABLE_SHM_CACHE was answered OK */
	teesim_pa_t shm_base; /* the carve-out */
	uint64_t shm_size;
	struct thread t[NTHREADS];
	struct buf bufs[MAX_BUFS];
	uint32_t keys[MAX_KEYS];
	unsigned nkeys;
	uint32_t next_session;
	struct proc pr;
	bool trace; /* FUZZ_DRPC_TRACE set: print every SMC and client step (for triage) */
	struct teesim_check_report rep;
};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-driver-rpc: invariant broken: %s\n", what);
	abort();
}

static void check(struct run *r, unsigned flags, const char *when)
{
	if (teesim_check_machine(r->m, flags, &r->rep)) {
		fprintf(stderr, "%s", r->rep.text);
		fail(when);
	}
}

/* Input for the script: only while the SMC budget lasts, then defaults. */
static uint8_t sbyte(struct run *r)
{
	return r->smcs <= SMC_BUDGET ? next(&r->in) : 0;
}

static uint32_t s32(struct run *r)
{
	return r->smcs <= SMC_BUDGET ? next32(&r->in) : 0;
}

static uint64_t s64(struct run *r)
{
	return r->smcs <= SMC_BUDGET ? next64(&r->in) : 0;
}

static int busy_threads(const struct run *r)
{
	int n = 0;

	for (int i = 0; i < NTHREADS; i++)
		n += r->t[i].busy;
	return n;
}

static unsigned live_bufs(const struct run *r)
{
	unsigned n = 0;

	for (int i = 0; i < MAX_BUFS; i++)
		n += r->bufs[i].live;
	return n;
}

/* SHM_ALLOC buffers the script holds (RPC_ALLOC ones are the driver's arguments). */
static unsigned held_shm(const struct run *r)
{
	unsigned n = 0;

	for (int i = 0; i < MAX_BUFS; i++)
		n += r->bufs[i].live && r->bufs[i].kind != BUF_ARG;
	return n;
}

static int find_buf(const struct run *r, uint64_t cookie)
{
	for (int i = 0; i < MAX_BUFS; i++)
		if (r->bufs[i].live && r->bufs[i].cookie == cookie)
			return i;
	return -1;
}

/* A normal-world range the driver handed over: RAM or the carve-out, never secure. */
static void check_nw_range(struct run *r, uint64_t pa, uint64_t len, const char *what)
{
	enum teesim_mem_kind k;

	if (!len)
		len = 1;
	if (teesim_phys_range_kind(r->m, pa, len, &k) ||
	    (k != TEESIM_MEM_RAM && k != TEESIM_MEM_STATIC_SHM))
		fail(what);
}

static void add_buf(struct run *r, enum buf_kind kind, uint64_t cookie, uint64_t pa, uint64_t size,
		    bool contig, int owner)
{
	if (!cookie)
		fail("the driver handed out a buffer with cookie 0");
	if (find_buf(r, cookie) >= 0)
		fail("the driver handed out a cookie that is still live");
	for (int i = 0; i < MAX_BUFS; i++)
		if (!r->bufs[i].live) {
			r->bufs[i] =
			    (struct buf){true, kind, cookie, pa, size, contig, owner, false};
			return;
		}
	/* the script keeps room for every buffer it can be given (see live_bufs() checks) */
	fail("the script's buffer table is full");
}

/* ------------------------------------------------------------------------ */
/* Fast calls */

static void fast_call(struct run *r, struct teesim_smc_regs *regs)
{
	uint32_t fn = regs->a[0];
	uint8_t b = sbyte(r);

	memset(regs, 0, sizeof(*regs));
	switch (fn) {
	case TEESIM_OPTEE_SMC_CALLS_UID:
		regs->a[0] = TEESIM_OPTEE_MSG_UID_0;
		regs->a[1] = TEESIM_OPTEE_MSG_UID_1;
		regs->a[2] = TEESIM_OPTEE_MSG_UID_2;
		regs->a[3] = TEESIM_OPTEE_MSG_UID_3;
		if (b >= 0xf0)
			regs->a[b & 3] ^= 1u << (b & 31); /* not OP-TEE */
		break;
	case TEESIM_OPTEE_SMC_CALLS_REVISION:
		regs->a[0] = TEESIM_OPTEE_MSG_REVISION_MAJOR;
		regs->a[1] = TEESIM_OPTEE_MSG_REVISION_MINOR;
		if (b >= 0xf0)
			regs->a[b & 1] = s32(r);
		break;
	case TEESIM_OPTEE_SMC_CALL_GET_OS_REVISION:
		regs->a[0] = b;
		regs->a[1] = b ? s32(r) : 0;
		break;
	case TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES:
		regs->a[0] = b >= 0xf0 ? b & 7 : TEESIM_OPTEE_SMC_RETURN_OK;
		regs->a[1] = r->caps;
		regs->a[2] = b & 1 ? s32(r) : 0;
		/* the RPC argument's parameter count: 4 as OP-TEE, or anything */
		regs->a[3] = b & 2 ? sbyte(r) : TEESIM_OPTEE_RPC_MAX_NUM_PARAMS;
		break;
	case TEESIM_OPTEE_SMC_GET_SHM_CONFIG:
		regs->a[0] =
		    b >= 0xf0 ? TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL : TEESIM_OPTEE_SMC_RETURN_OK;
		regs->a[1] = (uint32_t) r->shm_base;
		regs->a[2] = (uint32_t) r->shm_size;
		regs->a[3] = TEESIM_OPTEE_SMC_SHM_CACHED;
		switch (b % 8) {
		case 1: /* unaligned, partly inside */
			regs->a[1] += (uint32_t) sbyte(r) * 16;
			break;
		case 2: /* any range */
			regs->a[1] = s32(r);
			regs->a[2] = s32(r);
			break;
		case 3: /* too small */
			regs->a[2] = sbyte(r) * 64u;
			break;
		case 4: /* not cached */
			regs->a[3] = sbyte(r);
			break;
		case 5: /* runs past the carve-out into RAM */
			regs->a[2] += PAGE;
			break;
		default:
			break;
		}
		break;
	case TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE: {
		int i;

		regs->a[0] = TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL;
		if (b >= 0xc0) { /* a cookie that names nothing, or one still in use */
			uint64_t c = b & 1 ? s64(r) : (b & 2 ? r->bufs[b % MAX_BUFS].cookie : 0);

			regs->a[0] = TEESIM_OPTEE_SMC_RETURN_OK;
			regs->a[1] = (uint32_t) (c >> 32);
			regs->a[2] = (uint32_t) c;
			if ((i = find_buf(r, c)) >= 0)
				r->bufs[i].live = false; /* the driver takes it back and frees it */
			break;
		}
		if (b >= 0x80) {
			regs->a[0] = b & 1 ? TEESIM_OPTEE_SMC_RETURN_EBUSY : (uint32_t) s32(r);
			break;
		}
		for (i = 0; i < MAX_BUFS; i++)
			if (r->bufs[i].live && r->bufs[i].cached)
				break;
		if (i < MAX_BUFS) {
			regs->a[0] = TEESIM_OPTEE_SMC_RETURN_OK;
			regs->a[1] = (uint32_t) (r->bufs[i].cookie >> 32);
			regs->a[2] = (uint32_t) r->bufs[i].cookie;
			r->bufs[i].live = false; /* the driver frees it */
		}
		break;
	}
	case TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE:
		regs->a[0] = b >= 0xf0 ? TEESIM_OPTEE_SMC_RETURN_EBUSY : TEESIM_OPTEE_SMC_RETURN_OK;
		r->shm_cache = regs->a[0] == TEESIM_OPTEE_SMC_RETURN_OK;
		break;
	default:
		regs->a[0] = TEESIM_SMC_UNKNOWN_FUNCTION;
		break;
	}
}

/* ------------------------------------------------------------------------ */
/* Yielding calls: one thread of the script per call */

static const uint32_t smc_errors[] = {
    TEESIM_OPTEE_SMC_RETURN_EBUSY,    TEESIM_OPTEE_SMC_RETURN_ERESUME,
    TEESIM_OPTEE_SMC_RETURN_EBADADDR, TEESIM_OPTEE_SMC_RETURN_EBADCMD,
    TEESIM_OPTEE_SMC_RETURN_ENOMEM,   TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL,
    TEESIM_SMC_UNKNOWN_FUNCTION,      0x12345678u,
};

/* An error return for a call: any code but an RPC (no thread would wait for the resume). */
static uint32_t error_code(struct run *r, uint8_t b, bool ethread_ok)
{
	uint32_t v;

	if ((b & 0x0f) == 0x0f && ethread_ok)
		return TEESIM_OPTEE_SMC_RETURN_ETHREAD_LIMIT;
	if ((b & 0x0f) == 0x0e) {
		v = s32(r);
		if (TEESIM_OPTEE_SMC_RETURN_IS_RPC(v) || v == TEESIM_OPTEE_SMC_RETURN_OK ||
		    (v == TEESIM_OPTEE_SMC_RETURN_ETHREAD_LIMIT && !ethread_ok))
			v = TEESIM_OPTEE_SMC_RETURN_EBUSY;
		return v;
	}
	return smc_errors[b % 8];
}

static void rd(struct run *r, uint64_t pa, void *dst, size_t len)
{
	if (teesim_phys_read(r->m, pa, dst, len, TEESIM_ACC_NS))
		fail("a message the driver handed over cannot be read");
}

static void wr(struct run *r, uint64_t pa, const void *src, size_t len)
{
	if (teesim_phys_write(r->m, pa, src, len, TEESIM_ACC_NS))
		fail("a message the driver handed over cannot be written");
}

/*
 * Complete the call of thread @ti (or of no thread: ti < 0) in @regs; the
 * driver wrote @n params at @arg_pa.
 */
static void finish_call(struct run *r, int ti, uint64_t arg_pa, uint32_t n,
			struct teesim_smc_regs *regs)
{
	struct teesim_optee_msg_arg hdr;
	struct teesim_optee_msg_param p;
	uint8_t b = sbyte(r);

	rd(r, arg_pa, &hdr, MSG_HDR);
	hdr.ret = TEESIM_OPTEE_SUCCESS;
	hdr.ret_origin = TEESIM_OPTEE_ORIGIN_TEE;
	if (hdr.cmd == TEESIM_OPTEE_MSG_CMD_OPEN_SESSION)
		hdr.session = ++r->next_session;
	if (b & 0x80) { /* a result that is not what was asked */
		static const uint32_t rets[] = {
		    TEESIM_OPTEE_ERROR_BAD_PARAMETERS,
		    TEESIM_OPTEE_ERROR_TARGET_DEAD,
		    TEESIM_OPTEE_ERROR_BUSY,
		    TEESIM_OPTEE_ERROR_COMMUNICATION,
		    TEESIM_OPTEE_ERROR_SHORT_BUFFER,
		    TEESIM_OPTEE_ERROR_OUT_OF_MEMORY,
		    TEESIM_OPTEE_SUCCESS,
		    0,
		};
		hdr.ret = rets[b % 8] ? rets[b % 8] : s32(r);
		hdr.ret_origin = sbyte(r);
		if (b & 0x08)
			hdr.session = b & 0x10 ? s32(r) : r->next_session; /* any, or a duplicate */
		if (b & 0x20)
			hdr.num_params = sbyte(r); /* the driver must keep its own count */
	}
	wr(r, arg_pa, &hdr, MSG_HDR);
	/* output parameters: values, sizes and attributes written back */
	for (uint32_t i = 0; i < n && i < TEESIM_OPTEE_TA_NUM_PARAMS + 2 && (b & 0x40); i++) {
		uint8_t c = sbyte(r);
		uint64_t at = arg_pa + MSG_HDR + i * MSG_PARAM;

		rd(r, at, &p, MSG_PARAM);
		switch (c % 4) {
		case 0:
			break;
		case 1: /* output values / sizes */
			p.u.value.a = s64(r);
			p.u.value.b = c & 0x10 ? s64(r) : sbyte(r);
			break;
		case 2: /* the attribute changed under the driver */
			p.attr = c & 0x10 ? s64(r) : sbyte(r);
			break;
		default: /* a memref output size larger than the buffer */
			p.u.tmem.size = c & 0x10 ? ~0ull : p.u.tmem.size + PAGE;
			break;
		}
		wr(r, at, &p, MSG_PARAM);
	}
	memset(regs, 0, sizeof(*regs));
	regs->a[0] = TEESIM_OPTEE_SMC_RETURN_OK;
	if ((b & 0xc0) == 0xc0 && (sbyte(r) & 1))
		regs->a[0] = error_code(r, b, busy_threads(r) <= 1);
	if (ti >= 0)
		memset(&r->t[ti], 0, sizeof(r->t[ti]));
}

/* Pick a live buffer by a byte (any owner), or -1. */
static int pick_buf(const struct run *r, uint8_t b)
{
	for (int k = 0; k < MAX_BUFS; k++) {
		int i = (b + k) % MAX_BUFS;

		if (r->bufs[i].live)
			return i;
	}
	return -1;
}

/* A memref over a buffer the script holds (or a NULL one), for an RPC to the supplicant. */
static void rpc_memref(struct run *r, struct teesim_optee_msg_param *p, unsigned dir)
{
	uint8_t b = sbyte(r);
	int i = pick_buf(r, b);
	struct buf *bf;
	uint64_t off, size;

	memset(p, 0, sizeof(*p));
	if (i < 0 || (b & 0xe0) == 0xe0) { /* NULL memref: a size query */
		p->attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT + dir;
		p->u.tmem.size = sbyte(r);
		return;
	}
	bf = &r->bufs[i];
	off = (b & 0x10) ? s64(r) : (uint64_t) (sbyte(r) % 8) * 8;
	size = (b & 0x08) ? s64(r) : (uint64_t) sbyte(r) * 4;
	if (!(b & 0x18) && off + size > bf->size)
		size = bf->size > off ? bf->size - off : 0;
	if (bf->contig && !(b & 0x04)) {
		p->attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT + dir;
		p->u.tmem.buf_ptr = bf->pa + off;
		p->u.tmem.size = size;
		p->u.tmem.shm_ref = (b & 0x02) ? s64(r) : bf->cookie;
	} else {
		p->attr = TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT + dir;
		p->u.rmem.offs = off;
		p->u.rmem.size = size;
		p->u.rmem.shm_ref = (b & 0x02) ? s64(r) : bf->cookie;
	}
	/* contents for the supplicant to parse: a path, a UUID, raw bytes */
	if (bf->pa && off < 64 && off + 16 <= bf->size && !(b & 0x01)) {
		static const char *const names[] = {"/a", "/dir/f", "", "../x"};
		char text[16] = {0};

		snprintf(text, sizeof(text), "%s", names[b % 4]);
		if (b & 0x20)
			for (int k = 0; k < 16; k++)
				text[k] = (char) sbyte(r);
		if (bf->contig || off + 16 <= PAGE)
			wr(r, bf->pa + off, text, sizeof(text));
	}
}

static bool key_woken(struct run *r, uint32_t key, bool consume)
{
	for (unsigned i = 0; i < r->nkeys; i++)
		if (r->keys[i] == key) {
			if (consume)
				r->keys[i] = r->keys[--r->nkeys];
			return true;
		}
	return false;
}

/*
 * Build an RPC_CMD message for thread @t into @room bytes at @pa, a buffer
 * whose cookie is @carrier (0: the RPC argument area).
 */
static void build_cmd(struct run *r, struct thread *t, uint64_t pa, size_t room, uint64_t carrier)
{
	static const uint32_t cmds[] = {
	    TEESIM_OPTEE_RPC_CMD_GET_TIME,    TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE,
	    TEESIM_OPTEE_RPC_CMD_SUSPEND,     TEESIM_OPTEE_RPC_CMD_SHM_ALLOC,
	    TEESIM_OPTEE_RPC_CMD_SHM_FREE,    TEESIM_OPTEE_RPC_CMD_LOAD_TA,
	    TEESIM_OPTEE_RPC_CMD_FS,	      TEESIM_OPTEE_RPC_CMD_RPMB,
	    TEESIM_OPTEE_RPC_CMD_SUPP_PLUGIN, TEESIM_OPTEE_RPC_CMD_SOCKET,
	    TEESIM_OPTEE_RPC_CMD_GPROF,	      TEESIM_OPTEE_RPC_CMD_I2C_TRANSFER,
	    TEESIM_OPTEE_RPC_CMD_SHM_ALLOC,   TEESIM_OPTEE_RPC_CMD_FS,
	};
	struct {
		struct msg_hdr hdr;
		struct teesim_optee_msg_param p[MAX_RPC_PARM];
	} m;
	uint8_t c = sbyte(r), h;
	uint32_t n = 1;
	size_t fit, len;

	memset(&m, 0, sizeof(m));
	m.hdr.cmd = c < 0xf0 ? cmds[c % 14] : (c & 1 ? s32(r) : c);
	if (m.hdr.cmd == TEESIM_OPTEE_RPC_CMD_SHM_ALLOC && live_bufs(r) + 8 >= MAX_BUFS)
		m.hdr.cmd = TEESIM_OPTEE_RPC_CMD_GET_TIME; /* the script's table is full */
	m.hdr.ret = 0x5eed5eedu; /* still there after the RPC: the driver did not serve it */
	m.p[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	switch (m.hdr.cmd) {
	case TEESIM_OPTEE_RPC_CMD_GET_TIME:
		m.p[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT;
		break;
	case TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE:
		m.p[0].u.value.a = sbyte(r) & 1 ? TEESIM_OPTEE_RPC_WAIT_QUEUE_WAKEUP
						: TEESIM_OPTEE_RPC_WAIT_QUEUE_SLEEP;
		m.p[0].u.value.b = sbyte(r) % 4;
		break;
	case TEESIM_OPTEE_RPC_CMD_SUSPEND:
		m.p[0].u.value.a = sbyte(r);
		break;
	case TEESIM_OPTEE_RPC_CMD_SHM_ALLOC: {
		uint8_t s = sbyte(r);

		m.p[0].u.value.a =
		    s & 0x80 ? sbyte(r) % 4 : TEESIM_OPTEE_RPC_SHM_TYPE_KERNEL - (s & 1);
		m.p[0].u.value.b = s & 0x40   ? s64(r)
				   : s & 0x20 ? (uint64_t) (s & 0x1f) * PAGE
					      : (uint64_t) sbyte(r) * 16 + (s & 0x0f);
		m.p[0].u.value.c = s & 0x10 ? PAGE : 0; /* alignment */
		n = 1 + (s & 0x08 ? sbyte(r) % 3 : 0);	/* NONE params after it are allowed */
		break;
	}
	case TEESIM_OPTEE_RPC_CMD_SHM_FREE: {
		uint8_t s = sbyte(r);
		int i = pick_buf(r, s);

		m.p[0].u.value.a =
		    s & 0x80 ? sbyte(r) % 4 : TEESIM_OPTEE_RPC_SHM_TYPE_KERNEL - (s & 1);
		m.p[0].u.value.b = i >= 0 && !(s & 0x40) ? r->bufs[i].cookie : s64(r);
		if (i >= 0 && r->bufs[i].kind != BUF_ARG && !(s & 0x20))
			m.p[0].u.value.a = r->bufs[i].kind == BUF_APPL
					       ? TEESIM_OPTEE_RPC_SHM_TYPE_APPL
					       : TEESIM_OPTEE_RPC_SHM_TYPE_KERNEL;
		break;
	}
	case TEESIM_OPTEE_RPC_CMD_LOAD_TA:
		n = 2;
		m.p[0].u.value.a = s64(r);
		m.p[0].u.value.b = s64(r);
		rpc_memref(r, &m.p[1], 1);
		break;
	case TEESIM_OPTEE_RPC_CMD_FS:
		n = 3;
		m.p[0].u.value.a = sbyte(r) % 12;
		m.p[0].u.value.b = sbyte(r) % 4;
		m.p[0].u.value.c = sbyte(r);
		rpc_memref(r, &m.p[1], sbyte(r) % 3);
		m.p[2].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;
		m.p[2].u.value.a = sbyte(r) % 4;
		break;
	case TEESIM_OPTEE_RPC_CMD_RPMB:
		n = 2;
		rpc_memref(r, &m.p[0], 0);
		rpc_memref(r, &m.p[1], 1);
		break;
	case TEESIM_OPTEE_RPC_CMD_SUPP_PLUGIN:
		n = 4;
		m.p[0].u.value.a = s64(r);
		m.p[1].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
		m.p[1].u.value.a = sbyte(r);
		m.p[2].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT;
		rpc_memref(r, &m.p[3], 2);
		break;
	default:
		n = sbyte(r) % 4;
		for (uint32_t i = 0; i < n; i++) {
			m.p[i].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT + sbyte(r) % 3;
			m.p[i].u.value.a = sbyte(r);
		}
		break;
	}
	/* hostile changes */
	h = sbyte(r);
	if (h & 0x80) {
		if (h & 0x01)
			n = h & 0x02 ? s32(r) : sbyte(r); /* any count, even past the room */
		if (h & 0x04)
			m.p[sbyte(r) % MAX_RPC_PARM].attr = h & 0x08 ? s64(r) : sbyte(r);
		if (h & 0x10) {
			struct teesim_optee_msg_param *p = &m.p[sbyte(r) % MAX_RPC_PARM];

			p->u.value.a = s64(r);
			p->u.value.b = s64(r);
			p->u.value.c = s64(r);
		}
		if (h & 0x20)
			rpc_memref(r, &m.p[sbyte(r) % MAX_RPC_PARM], sbyte(r) % 3);
		if (h & 0x40)
			m.hdr.num_params = 0;
	}
	m.hdr.num_params = h & 0x40 && h & 0x80 ? 0 : n;
	/* a sleep nobody could wake blocks (in the kernel too): wake the key first */
	if (m.hdr.cmd == TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE && m.hdr.num_params == 1 &&
	    (m.p[0].attr & TEESIM_OPTEE_MSG_ATTR_TYPE_MASK) ==
		TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT) {
		uint32_t key = (uint32_t) m.p[0].u.value.b;

		if (m.p[0].u.value.a == TEESIM_OPTEE_RPC_WAIT_QUEUE_SLEEP) {
			if (!key_woken(r, key, true))
				m.p[0].u.value.a = TEESIM_OPTEE_RPC_WAIT_QUEUE_WAKEUP;
		}
		/* a wakeup counts once the driver has served it (rpc_answered) */
		if (m.p[0].u.value.a == TEESIM_OPTEE_RPC_WAIT_QUEUE_WAKEUP &&
		    r->nkeys >= MAX_KEYS && !key_woken(r, key, false))
			m.p[0].u.value.a = 7; /* no room to remember it: an unknown operation */
	}
	/* never free the buffer that carries this very message */
	if (m.hdr.cmd == TEESIM_OPTEE_RPC_CMD_SHM_FREE && carrier && m.p[0].u.value.b == carrier)
		m.p[0].u.value.b = ~carrier;
	fit = room >= MSG_HDR ? (room - MSG_HDR) / MSG_PARAM : 0;
	if (fit > MAX_RPC_PARM)
		fit = MAX_RPC_PARM;
	len = MSG_HDR + (m.hdr.num_params < fit ? m.hdr.num_params : fit) * MSG_PARAM;
	if (room >= MSG_HDR)
		wr(r, pa, &m, len);
	if (r->trace)
		fprintf(stderr, "  rpc cmd %u at %llx room %zu: n %u p0 %llx %llx %llx\n",
			m.hdr.cmd, (unsigned long long) pa, room, m.hdr.num_params,
			(unsigned long long) m.p[0].attr, (unsigned long long) m.p[0].u.value.a,
			(unsigned long long) m.p[0].u.value.b);
	t->asked = RPC_CMD;
	t->cmd_pa = room >= MSG_HDR ? pa : 0;
	t->rpc_cmd = m.hdr.cmd;
	t->carrier = carrier;
	t->shm_type = (uint32_t) m.p[0].u.value.a;
	t->asked_size = m.p[0].u.value.b;
	t->now = teesim_clock_now(r->m);
}

#define TID_BASE 0x7100u /* thread ids the script hands out in a3 */

/* True when a suspended thread's RPC message lives in the buffer of @cookie. */
static bool carrier_in_use(const struct run *r, uint64_t cookie)
{
	for (int i = 0; i < NTHREADS; i++)
		if (r->t[i].busy && r->t[i].suspended && r->t[i].asked == RPC_CMD &&
		    r->t[i].carrier == cookie)
			return true;
	return false;
}

/* The driver freed the buffer @i: forget it, and that some thread used it. */
static void buf_gone(struct run *r, int i)
{
	r->bufs[i].live = false;
	for (int k = 0; k < NTHREADS; k++)
		if (r->t[k].argbuf == i)
			r->t[k].argbuf = -1;
}

static void rpc_cmd_in(struct run *r, struct thread *t, struct teesim_smc_regs *regs, uint8_t b)
{
	regs->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_CMD;
	if (r->rpc_params && t->rpc_pa) {
		/* the RPC argument right after the call's: the cookie registers are ignored */
		regs->a[1] = b & 0x20 ? s32(r) : 0;
		regs->a[2] = b & 0x20 ? s32(r) : 0;
		build_cmd(r, t, t->rpc_pa, TEESIM_OPTEE_MSG_GET_ARG_SIZE(r->rpc_params), 0);
		return;
	}
	if (t->argbuf >= 0 && !(b & 0x10)) {
		struct buf *bf = &r->bufs[t->argbuf];

		regs->a[1] = (uint32_t) (bf->cookie >> 32);
		regs->a[2] = (uint32_t) bf->cookie;
		build_cmd(r, t, bf->pa, bf->size, bf->cookie);
		return;
	}
	if (b & 0x10) { /* any buffer we hold as the argument, or a cookie naming nothing */
		int i = pick_buf(r, sbyte(r));
		uint64_t c, room = 0;

		if (i >= 0) {
			struct buf *bf = &r->bufs[i];

			room = bf->contig ? bf->size : PAGE - bf->pa % PAGE;
			if (room > bf->size)
				room = bf->size;
		}
		/*
		 * A buffer too small for a header and one parameter would leave
		 * the driver reading what an earlier message left there: a cookie
		 * naming nothing instead.
		 */
		if (room < MSG_HDR + MSG_PARAM)
			i = -1;
		c = i >= 0 && !(b & 0x20) ? r->bufs[i].cookie : s64(r);
		/*
		 * No message is written unless a buffer was picked and kept: a
		 * raw cookie that happens to name a live buffer would have the
		 * driver serve the message an earlier RPC left there (a sleep
		 * whose wakeup was used up blocks for ever): it names nothing.
		 */
		if (find_buf(r, c) >= 0 && (i < 0 || (b & 0x20)))
			c = ~c;
		regs->a[1] = (uint32_t) (c >> 32);
		regs->a[2] = (uint32_t) c;
		t->asked = RPC_CMD;
		t->cmd_pa = 0;
		t->carrier = c;
		t->rpc_cmd = ~0u;
		if (i >= 0 && !(b & 0x20))
			build_cmd(r, t, r->bufs[i].pa, room, c);
		return;
	}
	/* no argument buffer yet: ask for one (unless the script's table is nearly full) */
	if (live_bufs(r) + 8 >= MAX_BUFS) {
		regs->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR;
		t->asked = RPC_INTR;
		return;
	}
	regs->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_ALLOC;
	regs->a[1] = RPC_ARG_ROOM;
	t->asked = RPC_ALLOC;
	t->asked_size = RPC_ARG_ROOM;
	t->want_argbuf = true;
}

/* One RPC of thread @t, chosen by @b (non-zero). */
static void rpc_action(struct run *r, struct thread *t, struct teesim_smc_regs *regs, uint8_t b)
{
	switch (b % 8) {
	case 0: { /* scribble over the call's message while it waits, then an interrupt */
		struct teesim_optee_msg_arg hdr;

		rd(r, t->arg_pa, &hdr, MSG_HDR);
		hdr.cmd = sbyte(r);
		hdr.session = s32(r);
		hdr.num_params = s32(r);
		wr(r, t->arg_pa, &hdr, MSG_HDR);
		regs->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR;
		t->asked = RPC_INTR;
		break;
	}
	case 1: /* RPC_ALLOC of any size */
		if (live_bufs(r) + 8 >= MAX_BUFS) {
			regs->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR;
			t->asked = RPC_INTR;
			break;
		}
		regs->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_ALLOC;
		regs->a[1] = b & 0x10 ? s32(r) : b & 0x20 ? RPC_ARG_ROOM : (uint32_t) sbyte(r) * 16;
		t->asked = RPC_ALLOC;
		t->asked_size = regs->a[1];
		t->want_argbuf = false;
		break;
	case 2: { /* RPC_FREE of a cookie we hold (any kind) or of anything */
		int i = pick_buf(r, sbyte(r));
		uint64_t c = i >= 0 && !(b & 0x10) ? r->bufs[i].cookie : s64(r);

		if (carrier_in_use(r, c))
			c = ~c;
		regs->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_FREE;
		regs->a[1] = (uint32_t) (c >> 32);
		regs->a[2] = (uint32_t) c;
		if ((i = find_buf(r, c)) >= 0)
			buf_gone(r, i); /* the driver frees whatever the cookie names */
		t->asked = RPC_FREE;
		break;
	}
	case 3:
		regs->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR;
		t->asked = RPC_INTR;
		break;
	case 6: { /* an RPC function the driver does not know */
		static const uint32_t funcs[] = {1, 3, 6, 7, 0x40, 0xfffe};

		regs->a[0] = TEESIM_OPTEE_SMC_RPC_VAL(funcs[sbyte(r) % 6]);
		regs->a[1] = s32(r);
		t->asked = RPC_OTHER;
		break;
	}
	default:
		rpc_cmd_in(r, t, regs, b);
		break;
	}
}

/* The next SMC answer of thread @ti: an RPC, a clean-up RPC, or the call's completion. */
static void step(struct run *r, int ti, struct teesim_smc_regs *regs)
{
	struct thread *t = &r->t[ti];
	uint8_t b;

	memset(regs, 0, sizeof(*regs));
	regs->a[3] = TID_BASE + (uint32_t) ti;
	t->asked = RPC_NONE;
	t->suspended = true;
	if (!t->finishing) {
		b = t->rpcs < MAX_RPCS ? sbyte(r) : 0;
		if (b % 8 == 7) { /* leave every buffer to the driver, and complete */
			for (int i = 0; i < MAX_BUFS; i++)
				if (r->bufs[i].live && r->bufs[i].owner == ti)
					r->bufs[i].owner = -1;
			t->argbuf = -1;
			t->abandon = true;
			b = 0;
		}
		if (b) {
			t->rpcs++;
			rpc_action(r, t, regs, b);
			return;
		}
		t->finishing = true;
	}
	/* clean up as OP-TEE does: free what the call allocated, cache the argument */
	for (int i = 0; i < MAX_BUFS && !t->abandon; i++) {
		struct buf *bf = &r->bufs[i];

		if (!bf->live || bf->owner != ti || i == t->argbuf)
			continue;
		if (bf->kind == BUF_ARG) {
			regs->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_FREE;
			regs->a[1] = (uint32_t) (bf->cookie >> 32);
			regs->a[2] = (uint32_t) bf->cookie;
			buf_gone(r, i);
			t->asked = RPC_FREE;
			return;
		}
		if (!t->rpc_pa || !r->rpc_params) {
			if (t->argbuf < 0 && !t->alloc_failed && live_bufs(r) + 8 < MAX_BUFS) {
				regs->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_ALLOC;
				regs->a[1] = RPC_ARG_ROOM;
				t->asked = RPC_ALLOC;
				t->asked_size = RPC_ARG_ROOM;
				t->want_argbuf = true;
				return;
			}
			if (t->argbuf < 0) {
				bf->owner =
				    -1; /* no way to tell the driver: it frees it at remove */
				continue;
			}
		}
		/* SHM_FREE of it */
		{
			struct {
				struct msg_hdr hdr;
				struct teesim_optee_msg_param p;
			} m;
			uint64_t pa =
			    t->rpc_pa && r->rpc_params ? t->rpc_pa : r->bufs[t->argbuf].pa;

			memset(&m, 0, sizeof(m));
			m.hdr.cmd = TEESIM_OPTEE_RPC_CMD_SHM_FREE;
			m.hdr.num_params = 1;
			m.hdr.ret = 0x5eed5eedu;
			m.p.attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
			m.p.u.value.a = bf->kind == BUF_APPL ? TEESIM_OPTEE_RPC_SHM_TYPE_APPL
							     : TEESIM_OPTEE_RPC_SHM_TYPE_KERNEL;
			m.p.u.value.b = bf->cookie;
			wr(r, pa, &m, sizeof(m));
			regs->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_CMD;
			if (!(t->rpc_pa && r->rpc_params)) {
				regs->a[1] = (uint32_t) (r->bufs[t->argbuf].cookie >> 32);
				regs->a[2] = (uint32_t) r->bufs[t->argbuf].cookie;
			}
			t->asked = RPC_CMD;
			t->cmd_pa = pa;
			t->carrier = t->rpc_pa && r->rpc_params ? 0 : r->bufs[t->argbuf].cookie;
			t->rpc_cmd = TEESIM_OPTEE_RPC_CMD_SHM_FREE;
			bf->owner = -1; /* asked once; the answer says whether it went */
			return;
		}
	}
	if (t->argbuf >= 0) {
		struct buf *bf = &r->bufs[t->argbuf];

		if (r->shm_cache) {
			bf->cached = true;
			bf->owner = -1;
		} else if (!t->abandon) {
			regs->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_FREE;
			regs->a[1] = (uint32_t) (bf->cookie >> 32);
			regs->a[2] = (uint32_t) bf->cookie;
			buf_gone(r, t->argbuf);
			t->asked = RPC_FREE;
			return;
		} else {
			bf->owner = -1;
		}
		t->argbuf = -1;
	}
	finish_call(r, ti, t->arg_pa, t->nparams, regs);
}

/* Judge the driver's answer to the RPC thread @t asked for. */
static void rpc_answered(struct run *r, int ti, const struct teesim_smc_regs *regs)
{
	struct thread *t = &r->t[ti];
	struct teesim_optee_msg_arg hdr;
	struct teesim_optee_msg_param p;

	if (t->asked == RPC_ALLOC) {
		uint64_t pa = (uint64_t) regs->a[1] << 32 | regs->a[2];
		uint64_t c = (uint64_t) regs->a[4] << 32 | regs->a[5];

		if (!c) {
			if (t->want_argbuf)
				t->alloc_failed = true;
			return;
		}
		check_nw_range(r, pa, t->asked_size,
			       "RPC_ALLOC answered with memory that is not "
			       "normal-world memory");
		add_buf(r, BUF_ARG, c, pa, t->asked_size, true, ti);
		if (t->argbuf < 0 && t->asked_size >= RPC_ARG_ROOM)
			t->argbuf = find_buf(r, c);
		return;
	}
	if (t->asked != RPC_CMD || !t->cmd_pa)
		return;
	if (t->carrier && find_buf(r, t->carrier) < 0)
		return; /* the carrier is gone */
	rd(r, t->cmd_pa, &hdr, MSG_HDR);
	if (hdr.ret == 0x5eed5eedu || hdr.ret != TEESIM_OPTEE_SUCCESS || !hdr.num_params)
		return;
	rd(r, t->cmd_pa + MSG_HDR, &p, MSG_PARAM);
	switch (t->rpc_cmd) {
	case TEESIM_OPTEE_RPC_CMD_GET_TIME:
		if (p.u.value.a != t->now / 1000000000u || p.u.value.b != t->now % 1000000000u)
			fail("GET_TIME did not answer the virtual clock");
		break;
	case TEESIM_OPTEE_RPC_CMD_SHM_ALLOC: {
		uint64_t attr = p.attr, pa = p.u.tmem.buf_ptr;
		bool contig = attr == TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT;

		if (!contig && attr != (TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT |
					TEESIM_OPTEE_MSG_ATTR_NONCONTIG))
			fail("SHM_ALLOC answered with a parameter that is not a TMEM output");
		if (p.u.tmem.size < t->asked_size)
			fail("SHM_ALLOC answered a buffer smaller than asked");
		if (!contig) { /* a page list: the first data page */
			uint64_t list = pa & ~(uint64_t) (PAGE - 1), first;

			check_nw_range(r, list, PAGE, "SHM_ALLOC page list outside normal memory");
			rd(r, list, &first, sizeof(first));
			pa = first + (pa & (PAGE - 1));
			check_nw_range(r, first, PAGE, "SHM_ALLOC page outside normal memory");
		} else {
			check_nw_range(r, pa, p.u.tmem.size,
				       "SHM_ALLOC buffer outside normal memory");
		}
		add_buf(r, t->shm_type == TEESIM_OPTEE_RPC_SHM_TYPE_APPL ? BUF_APPL : BUF_KERNEL,
			p.u.tmem.shm_ref, pa, p.u.tmem.size, contig, ti);
		break;
	}
	case TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE:
		/* the key is now woken in the driver: a sleep on it will not block */
		if (hdr.num_params == 1 &&
		    (p.attr & TEESIM_OPTEE_MSG_ATTR_TYPE_MASK) ==
			TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT &&
		    p.u.value.a == TEESIM_OPTEE_RPC_WAIT_QUEUE_WAKEUP &&
		    !key_woken(r, (uint32_t) p.u.value.b, false) && r->nkeys < MAX_KEYS)
			r->keys[r->nkeys++] = (uint32_t) p.u.value.b;
		break;
	case TEESIM_OPTEE_RPC_CMD_SHM_FREE: {
		uint64_t type = p.u.value.a;
		int i;

		if (hdr.num_params != 1 || p.attr != TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT ||
		    (type != TEESIM_OPTEE_RPC_SHM_TYPE_APPL &&
		     type != TEESIM_OPTEE_RPC_SHM_TYPE_KERNEL))
			break; /* answered SUCCESS without freeing: the kernel's quirk */
		i = find_buf(r, p.u.value.b);
		if (i < 0 || r->bufs[i].kind !=
				 (type == TEESIM_OPTEE_RPC_SHM_TYPE_APPL ? BUF_APPL : BUF_KERNEL))
			fail("SHM_FREE of a cookie the driver never handed out answered SUCCESS");
		buf_gone(r, i);
		break;
	}
	default:
		break;
	}
}

static void call_start(struct run *r, struct teesim_smc_regs *regs)
{
	uint64_t pa = (uint64_t) regs->a[1] << 32 | regs->a[2];
	struct teesim_optee_msg_arg hdr;
	int busy = busy_threads(r), ti;
	struct thread *t;
	uint8_t b;

	check_nw_range(r, pa, MSG_HDR, "call argument outside normal-world memory");
	rd(r, pa, &hdr, MSG_HDR);
	if (hdr.num_params > TEESIM_OPTEE_MSG_MAX_NUM_PARAMS)
		fail("the driver sent a message with more params than fit a page");
	if (busy >= MAX_DEPTH) { /* nested deeper than we play: complete it at once */
		finish_call(r, -1, pa, hdr.num_params, regs);
		return;
	}
	b = sbyte(r);
	if (b >= 0xf0) { /* refused before a thread takes it */
		uint32_t code = error_code(r, b, busy == 0);

		memset(regs, 0, sizeof(*regs));
		regs->a[0] = code;
		return;
	}
	for (ti = 0; r->t[ti].busy; ti++)
		;
	t = &r->t[ti];
	memset(t, 0, sizeof(*t));
	t->busy = true;
	t->arg_pa = pa;
	t->nparams = hdr.num_params;
	t->argbuf = -1;
	if (regs->a[0] == TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG)
		t->rpc_pa = pa + TEESIM_OPTEE_MSG_GET_ARG_SIZE(hdr.num_params);
	for (int i = 0; i < MAX_BUFS && r->shm_cache; i++)
		if (r->bufs[i].live && r->bufs[i].cached) { /* the cached RPC argument */
			r->bufs[i].cached = false;
			r->bufs[i].owner = ti;
			t->argbuf = i;
			break;
		}
	step(r, ti, regs);
}

static void sw_smc(void *ctx, struct teesim_guest *from, struct teesim_smc_regs *regs)
{
	struct run *r = ctx;
	uint32_t fn = regs->a[0];

	struct teesim_smc_regs in = *regs;

	(void) from;
	r->smcs++;
	if (fn == TEESIM_OPTEE_SMC_CALL_WITH_ARG || fn == TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG) {
		call_start(r, regs);
	} else if (fn == TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC) {
		uint32_t ti = regs->a[3] - TID_BASE;

		if (ti >= NTHREADS || !r->t[ti].busy || !r->t[ti].suspended)
			fail("the driver resumed a thread that does not wait for it");
		r->t[ti].suspended = false;
		rpc_answered(r, (int) ti, regs);
		step(r, (int) ti, regs);
	} else {
		fast_call(r, regs);
	}
	if (r->trace)
		fprintf(stderr, "smc %08x %08x %08x %08x -> %08x %08x %08x %08x %08x %08x\n",
			in.a[0], in.a[1], in.a[2], in.a[3], regs->a[0], regs->a[1], regs->a[2],
			regs->a[3], regs->a[4], regs->a[5]);
}

/* ------------------------------------------------------------------------ */
/* The client process */

static void inline_supp(void *ctx, uint32_t func)
{
	struct run *r = ctx;

	(void) func;
	if (r->supp)
		teesim_supplicant_serve_fd(r->supp, r->supp_proc, r->supp_fd);
}

static int shm_id_of(struct run *r, int fd)
{
	struct teesim_tee_fd_info info;

	if (fd >= 0 && !teesim_tee_fd_info(r->pr.p, fd, &info) && info.kind == TEESIM_TEE_FD_SHM)
		return info.shm.id;
	return -1;
}

static uint32_t gen_params(struct run *r, struct tee_ioctl_param *p, uint32_t max)
{
	struct input *in = &r->in;
	uint32_t n = next(in) % (max + 1);

	memset(p, 0, n * sizeof(*p));
	for (uint32_t i = 0; i < n; i++) {
		uint8_t c = next(in);

		switch (c % 6) {
		case 0:
			break;
		case 1:
		case 2:
		case 3:
			p[i].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT + c % 6 - 1;
			p[i].a = next(in);
			p[i].b = next32(in);
			break;
		default: {
			int id = shm_id_of(r, r->pr.fds[(c >> 4) % NFD]);

			p[i].attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT + (c >> 3) % 3;
			p[i].a = (uint64_t) next(in) * 8;
			p[i].b = c & 0x80 ? next32(in) : (uint64_t) next(in) * 16;
			p[i].c = c & 0x40 ? TEE_MEMREF_NULL : (uint64_t) (id < 0 ? next(in) : id);
			if (c & 0x40)
				p[i].a = 0;
			break;
		}
		}
	}
	return n;
}

static void keep_fd(struct run *r, int fd)
{
	if (fd < 0)
		return;
	for (int i = 0; i < NFD; i++)
		if (r->pr.fds[i] < 0) {
			r->pr.fds[i] = fd;
			return;
		}
	teesim_close(r->pr.p, fd);
}

/* An ioctl with a tee_ioctl_buf_data in front of its argument. */
static int buf_ioctl(struct run *r, int fd, unsigned long req, size_t len)
{
	struct tee_ioctl_buf_data *bd = (void *) r->pr.arg;

	bd->buf_ptr = (uintptr_t) (r->pr.arg + 64);
	bd->buf_len = len;
	return teesim_ioctl(r->pr.p, fd, req, bd);
}

static void client_step(struct run *r, uint8_t op)
{
	struct input *in = &r->in;
	struct proc *pr = &r->pr;
	int fd = pr->fds[next(in) % NFD], rc;
	unsigned char *a = pr->arg + 64;

	switch (op % 12) {
	case 0:
		keep_fd(r, teesim_open(pr->p, "/dev/tee0", 0));
		break;
	case 1: {
		int slot = next(in) % NFD;

		if (pr->map[slot]) {
			teesim_munmap(pr->p, pr->map[slot], pr->map_len[slot]);
			pr->map[slot] = NULL;
		}
		if (pr->fds[slot] >= 0 && teesim_close(pr->p, pr->fds[slot]))
			fail("close of an open fd failed");
		pr->fds[slot] = -1;
		break;
	}
	case 2: { /* SHM_ALLOC, and a mapping of it */
		struct tee_ioctl_shm_alloc_data *d = (void *) a;
		uint8_t b = next(in);

		memset(d, 0, sizeof(*d));
		d->size = b & 0x80 ? next32(in) : (uint64_t) (b & 0x3f) * 256 + 1;
		rc = teesim_ioctl(pr->p, fd, TEE_IOC_SHM_ALLOC, d);
		if (rc >= 0 && (b & 0x40)) {
			for (int i = 0; i < NFD; i++)
				if (!pr->map[i]) {
					pr->map[i] =
					    teesim_mmap(pr->p, rc, PAGE,
							TEESIM_PROT_READ | TEESIM_PROT_WRITE, 0);
					pr->map_len[i] = PAGE;
					break;
				}
		}
		keep_fd(r, rc);
		break;
	}
	case 3: { /* SHM_REGISTER of our memory */
		struct tee_ioctl_shm_register_data *d = (void *) a;

		memset(d, 0, sizeof(*d));
		d->addr = (uintptr_t) pr->buf + (uint64_t) next(in) * 32;
		d->length = (uint64_t) next(in) * 64 + 1;
		keep_fd(r, teesim_ioctl(pr->p, fd, TEE_IOC_SHM_REGISTER, d));
		break;
	}
	case 4: { /* OPEN_SESSION */
		struct tee_ioctl_open_session_arg *o = (void *) a;
		uint8_t b = next(in);

		memset(o, 0, sizeof(*o));
		o->uuid[0] = b;
		o->clnt_login = b & 0x80 ? next32(in) : TEE_IOCTL_LOGIN_PUBLIC;
		o->cancel_id = next(in);
		o->num_params = gen_params(r, (void *) (o + 1), 4);
		rc = buf_ioctl(r, fd, TEE_IOC_OPEN_SESSION,
			       sizeof(*o) + o->num_params * sizeof(struct tee_ioctl_param));
		if (!rc && o->ret == TEESIM_OPTEE_SUCCESS)
			pr->sess[b % NSESS] = o->session;
		break;
	}
	case 5:
	case 6: { /* INVOKE */
		struct tee_ioctl_invoke_arg *v = (void *) a;
		uint8_t b = next(in);

		memset(v, 0, sizeof(*v));
		v->func = next(in);
		v->session = b & 0x80 ? next32(in) : pr->sess[b % NSESS];
		v->cancel_id = next(in);
		v->num_params = gen_params(r, (void *) (v + 1), 4);
		buf_ioctl(r, fd, TEE_IOC_INVOKE,
			  sizeof(*v) + v->num_params * sizeof(struct tee_ioctl_param));
		break;
	}
	case 7: { /* CANCEL */
		struct tee_ioctl_cancel_arg *c = (void *) a;

		c->cancel_id = next(in);
		c->session = pr->sess[next(in) % NSESS];
		teesim_ioctl(pr->p, fd, TEE_IOC_CANCEL, c);
		break;
	}
	case 8: { /* CLOSE_SESSION */
		struct tee_ioctl_close_session_arg *c = (void *) a;
		uint8_t b = next(in);

		c->session = pr->sess[b % NSESS];
		if (!teesim_ioctl(pr->p, fd, TEE_IOC_CLOSE_SESSION, c))
			pr->sess[b % NSESS] = 0;
		break;
	}
	case 9: { /* VERSION */
		struct tee_ioctl_version_data *v = (void *) a;

		teesim_ioctl(pr->p, fd, TEE_IOC_VERSION, v);
		break;
	}
	case 10: /* the supplicant misbehaves */
		if (r->supp) {
			uint8_t b = next(in);

			if (b & 0x80)
				teesim_supplicant_stop(r->supp,
						       (enum teesim_supplicant_stop)(b % 3),
						       TEESIM_OPTEE_ERROR_GENERIC);
			else
				teesim_supplicant_fail_next(r->supp, b % 4,
							    TEESIM_OPTEE_ERROR_OUT_OF_MEMORY);
		}
		break;
	default: /* time passes */
		teesim_clock_advance(r->m, (uint64_t) next(in) * 1000000u);
		break;
	}
}

/* Nothing may be in flight between two client steps. */
static void check_idle(struct run *r)
{
	struct teesim_optee_info info;

	if (busy_threads(r))
		fail("a call of the script is still open after the client step");
	if (teesim_optee_info(r->drv, &info))
		fail("optee_info failed");
	if (info.active_calls || info.call_waiters)
		fail("a call is still in flight in the driver");
	if (info.supp_queued || info.supp_in_progress)
		fail("a supplicant request is still pending");
	if (info.rpc_shms != live_bufs(r)) {
		fprintf(stderr, "driver holds %llu rpc buffers, the script %u\n",
			(unsigned long long) info.rpc_shms, live_bufs(r));
		fail("the driver's RPC buffers differ from what the secure world holds");
	}
	/*
	 * IDLE also means "the secure world holds no SHM_ALLOC buffer"; a real
	 * OP-TEE may keep some between calls (its per-thread shm cache), and
	 * the script may too: then only consistency is checked.
	 */
	check(r, held_shm(r) ? 0 : TEESIM_CHECK_IDLE, "invariant checker after a client step");
}

static uint32_t caps_of(uint8_t b)
{
	static const uint32_t bits[] = {
	    TEESIM_OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM, TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM,
	    TEESIM_OPTEE_SMC_SEC_CAP_MEMREF_NULL,	TEESIM_OPTEE_SMC_SEC_CAP_RPC_ARG,
	    TEESIM_OPTEE_SMC_SEC_CAP_ASYNC_NOTIF,	TEESIM_OPTEE_SMC_SEC_CAP_VIRTUALIZATION,
	    TEESIM_OPTEE_SMC_SEC_CAP_UNREGISTERED_SHM,	0xfffffc00u,
	};
	uint32_t caps = 0;

	b ^= 0x0f; /* 0: what OP-TEE of today reports */
	for (int i = 0; i < 8; i++)
		if (b & (1u << i))
			caps |= bits[i];
	return caps;
}

/* libFuzzer calls this once, before the first input */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	fuzz_keep_heap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct teesim_machine_cfg mc;
	struct teesim_optee_cfg dc;
	struct teesim_optee_info info;
	struct teesim_machine_stats ms;
	struct run *r = calloc(1, sizeof(*r));
	uint8_t c0;

	if (!r)
		return 0;
	r->in = (struct input){data, size};
	r->supp_fd = -1;
	r->trace = getenv("FUZZ_DRPC_TRACE") != NULL;
	c0 = next(&r->in) ^ 0x3f; /* 0: later driver, every option, a supplicant */
	r->caps = caps_of(next(&r->in));

	teesim_machine_cfg_default(&mc);
	mc.ram_size = RAM_PAGES * PAGE;
	mc.secure_size = 0;
	mc.static_shm_size = POOL_PAGES * PAGE;
	mc.static_shm_base = mc.ram_base - mc.static_shm_size;
	mc.poison = false;
	mc.allow_host_memory = false;
	r->m = teesim_machine_new(&mc);
	if (!r->m)
		fail("machine_new failed");
	r->g = teesim_machine_guest(r->m, 0);
	r->shm_base = mc.static_shm_base;
	r->shm_size = mc.static_shm_size;
	if (teesim_smc_attach(r->m, sw_smc, r))
		fail("smc_attach failed");

	teesim_optee_cfg_default(&dc, c0 & 1 ? TEESIM_OPTEE_DRV_LATER : TEESIM_OPTEE_DRV_V4_16);
	dc.dynamic_shm = c0 & 2;
	dc.rpc_arg = c0 & 4;
	dc.memref_null = c0 & 8;
	dc.shm_cache = c0 & 0x10;
	dc.priv_pages = 1 + (c0 >> 6);
	r->drv = teesim_optee_probe(r->m, &dc);
	if (!r->drv)
		goto out_machine; /* a clean probe failure */
	if (teesim_optee_info(r->drv, &info))
		fail("optee_info failed");
	r->rpc_params = info.rpc_param_count;
	r->shm_cache = info.shm_cache;
	check(r, TEESIM_CHECK_IDLE, "invariant checker after probe");

	if (c0 & 0x20) {
		r->supp = teesim_supplicant_new();
		r->supp_proc = teesim_process_new(r->g);
		if (!r->supp || !r->supp_proc)
			fail("supplicant setup failed");
		r->supp_fd = teesim_open(r->supp_proc, "/dev/teepriv0", 0);
		if (r->supp_fd < 0)
			fail("supplicant open failed");
	}
	teesim_optee_set_supp_hook(r->drv, inline_supp, r);

	r->pr.p = teesim_process_new(r->g);
	if (!r->pr.p)
		fail("process_new failed");
	for (int i = 0; i < NFD; i++)
		r->pr.fds[i] = -1;
	r->pr.arg = teesim_process_mmap(r->pr.p, PAGE, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	r->pr.buf = teesim_process_mmap(r->pr.p, 4 * PAGE, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	if (!r->pr.arg || !r->pr.buf)
		fail("process mmap failed");
	r->pr.fds[0] = teesim_open(r->pr.p, "/dev/tee0", 0);

	for (int steps = 0; r->in.n && steps < MAX_STEPS; steps++) {
		uint8_t op = next(&r->in);

		if (op == 0xff)
			break; /* the rest of the input answers the teardown's SMCs */
		if (r->trace)
			fprintf(stderr, "step %d: op %u\n", steps, op % 12);
		client_step(r, op);
		check_idle(r);
	}

	/* the client closes everything and exits: its sessions are closed */
	for (int i = 0; i < NFD; i++) {
		if (r->pr.map[i])
			teesim_munmap(r->pr.p, r->pr.map[i], r->pr.map_len[i]);
		if (r->pr.fds[i] >= 0 && teesim_close(r->pr.p, r->pr.fds[i]))
			fail("final close failed");
	}
	teesim_process_free(r->pr.p);
	check_idle(r);
	teesim_optee_set_supp_hook(r->drv, NULL, NULL);
	teesim_process_free(r->supp_proc);
	teesim_supplicant_free(r->supp);
	teesim_optee_remove(r->drv);
	check(r, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, "invariant checker after remove");
out_machine:
	teesim_machine_stats(r->m, &ms);
	if (ms.kernel_pages || ms.user_pages || ms.pins || ms.pinned_pages || ms.processes)
		fail("the machine is not empty after the driver was removed");
	if (ms.violations) {
		struct teesim_violation v;

		teesim_machine_violations(r->m, &v, 1);
		fprintf(stderr, "violation %s at %llx\n", teesim_violation_name(v.kind),
			(unsigned long long) v.addr);
		fail("violations recorded");
	}
	teesim_smc_detach(r->m);
	teesim_machine_free(r->m);
	free(r);
	return 0;
}
