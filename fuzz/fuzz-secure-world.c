/* SPDX-License-Identifier: MIT */
/*
 * fuzz-secure-world: the normal world as an attacker of the fake OP-TEE
 * secure world. One input is a configuration (OP-TEE generation, threads,
 * unregister mode, remap, pool, capabilities) and then a byte-coded program
 * of raw SMCs: fast calls with hostile registers, CALL_WITH_ARG /
 * CALL_WITH_RPC_ARG / CALL_WITH_REGD_ARG at hostile addresses, messages with
 * any cmd / num_params / attributes / values, page lists with any entries,
 * next pointers and offsets, RMEM with any cookie, REGISTER / UNREGISTER
 * sequences, RETURN_FROM_RPC with any thread id, and RPC replies that are
 * right or garbage.
 *
 * Oracles:
 * - the access hook sees every access the secure world makes to physical
 *   memory: each must be non-secure (ACC_NS), and every normal-RAM frame it
 *   touches must be one this program handed over. The guest's RAM is split
 *   into "arena" frames, which the program uses and names, and "forbidden"
 *   frames, which no word this program writes anywhere ever points into;
 *   touching a forbidden frame, or secure memory through a shared-memory
 *   path, is a finding. The static pool is handed over as a whole.
 * - a completed OPEN_SESSION / CLOSE_SESSION / REGISTER_SHM / UNREGISTER_SHM
 *   changes the session and object counts exactly as its result says; a
 *   rejected message changes nothing.
 * - at the end a well-behaved normal world resumes every suspended thread,
 *   closes every session, unregisters every object and drains the shm
 *   cache: then the observation must show nothing left (no sessions,
 *   objects, RPC buffers, busy threads or cached arguments); teesim_sw_free()
 *   then leaves the machine clean with no violation recorded.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/teesim.h>
#include "fuzz-heap.h"
#include "fuzz-input.h"

#define PAGE	       TEESIM_PAGE_SIZE
#define RAM_PAGES      32
#define ARENA	       16 /* the first ARENA pages of guest RAM: handed over */
#define POOL_PAGES     8
#define SECURE_PAGES   16
#define MAX_THREADS    4
#define MAX_COOKIES    16
#define MAX_STEPS      128
#define MAX_LIST_PAGES 3
#define COOKIE_TAG     0xc0de000000000000ull
#define SHM_COOKIE     0x5e000000ull
#define MSG_HDR	       sizeof(struct teesim_optee_msg_arg)
#define MSG_PARAM      sizeof(struct teesim_optee_msg_param)

/* v << (s % 16), with v read before s (C leaves operand order open). */
static uint64_t shifted(struct input *in)
{
	uint64_t v = next(in);

	return v << (next(in) % 16);
}

/* A suspended secure thread as the normal world knows it. */
struct pending {
	bool live;
	struct teesim_smc_regs regs; /* what the RPC return left in the registers */
	teesim_pa_t rpc_pa;	     /* CALL_WITH_RPC_ARG: the RPC argument after the call's */
	struct snapshot {
		bool known; /* the call's message lies in memory we can read */
		teesim_pa_t arg_pa;
		uint32_t cmd;
		uint64_t seq; /* write sequence of its page when the call was made */
	} call;
};

struct run {
	struct teesim_machine *m;
	struct teesim_guest *g;
	struct teesim_sw *sw;
	struct teesim_sw_cfg cfg;
	teesim_pa_t ram_base;
	teesim_ipa_t arena_ipa, rest_ipa;
	size_t rest_pages;
	unsigned char *arena_host;
	teesim_pa_t arena_pa[ARENA];
	bool allowed[RAM_PAGES]; /* RAM frames the secure world may touch */
	teesim_pa_t pool_pa;
	uint64_t pool_size;
	unsigned char *pool;
	teesim_pa_t list_pa; /* the last page list built */
	struct {
		uint64_t cookie;
		teesim_pa_t pa;
	} cookies[MAX_COOKIES]; /* RPC_ALLOC replies */
	unsigned ncookies;
	struct pending pend[MAX_THREADS];
	unsigned rot;	 /* rotating arena page for well-behaved answers */
	uint32_t client; /* a7 of our calls */
	uint64_t sessions, objects;
	uint64_t steps_left;
	bool served_sleep; /* the RPC just served was a WAIT_QUEUE sleep */
	bool trace;	   /* FUZZ_SW_TRACE set: print every SMC (for triage) */
	/* last write by this program into each arena page (ARENA: the pool), so
	 * that a message overwritten while its call was suspended is not judged */
	uint64_t seq, wseq[ARENA + 1];
};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-secure-world: invariant broken: %s\n", what);
	abort();
}

/* The invariant checker (teesim/check.h): a finding is printed and aborts. */
static void run_checker(struct teesim_machine *m, unsigned flags, const char *when)
{
	struct teesim_check_report rep;

	if (teesim_check_machine(m, flags, &rep)) {
		fputs(rep.text, stderr);
		fail(when);
	}
}

/* ------------------------------------------------------------------------ */
/* Memory the program hands over */

/*
 * The oracle's own bookkeeping (the access hook, address lookups, the write
 * sequence, counts of calls in flight) runs on every access and every call
 * the same way whatever the secure world did: it is FUZZ_PLUMBING, without
 * coverage callbacks, so that libFuzzer's feedback is the secure world's.
 */

FUZZ_PLUMBING static int access_hook(void *ctx, const struct teesim_access *a)
{
	struct run *r = ctx;
	enum teesim_mem_kind k;

	if (!a->len || teesim_phys_range_kind(r->m, a->pa, a->len, &k))
		return 0; /* the accessor refuses it */
	if (!(a->flags & TEESIM_ACC_NS))
		fail("secure world reached normal-world memory without ACC_NS");
	if (k == TEESIM_MEM_SECURE)
		fail("shared-memory access to secure memory (SECURE_ACCESS)");
	if (k != TEESIM_MEM_RAM)
		return 0; /* the static pool is handed over as a whole */
	for (uint64_t f = (a->pa - r->ram_base) / PAGE;
	     f <= (a->pa + a->len - 1 - r->ram_base) / PAGE; f++)
		if (f >= RAM_PAGES || !r->allowed[f])
			fail("secure world touched a page it was not given");
	return 0;
}

/* True when [pa, pa + 8) lies in a forbidden frame: no word may name one. */
FUZZ_PLUMBING static bool forbidden(const struct run *r, uint64_t v)
{
	uint64_t f;

	if (v < r->ram_base || v - r->ram_base >= (uint64_t) RAM_PAGES * PAGE)
		return false;
	f = (v - r->ram_base) / PAGE;
	return !r->allowed[f];
}

/* A physical address: mostly ours, sometimes hostile, never forbidden. */
static uint64_t gen_addr(struct run *r, struct input *in)
{
	uint8_t sel = next(in), b = next(in);
	uint64_t v;

	switch (sel % 8) {
	case 0:
	case 1:
	case 2:
		v = r->arena_pa[b % ARENA];
		break;
	case 3:
		v = r->arena_pa[b % ARENA] + (uint64_t) next(in) * 16;
		break;
	case 4:
		v = r->pool_size ? r->pool_pa + (uint64_t) b * 64 : 0;
		break;
	case 5:
		v = teesim_machine_cfg(r->m)->secure_base + (uint64_t) b * 256;
		break;
	case 6:
		v = b & 1 ? r->ram_base + (uint64_t) RAM_PAGES * PAGE - (b & 0xf0)
			  : (uint64_t) b << 24;
		break;
	default:
		v = next64(in);
		break;
	}
	if (forbidden(r, v))
		v ^= 1ull << 63; /* outside memory */
	return v;
}

/* Any 64-bit word this program writes: small, an address, or raw; never forbidden. */
static uint64_t gen_word(struct run *r, struct input *in)
{
	uint8_t sel = next(in);
	uint64_t v;

	switch (sel % 4) {
	case 0:
		v = next(in);
		break;
	case 1:
		v = gen_addr(r, in);
		break;
	case 2:
		v = next32(in);
		break;
	default:
		v = next64(in);
		break;
	}
	if (forbidden(r, v))
		v ^= 1ull << 63;
	return v;
}

/*
 * Registers @hi, @lo read as one 64-bit address (hi << 32 | lo, as the
 * secure world reads a register pair): moved outside memory when it lies
 * in a forbidden frame, as gen_word() moves a word.
 */
static void filter_pair(const struct run *r, uint32_t *hi, const uint32_t *lo)
{
	if (forbidden(r, (uint64_t) *hi << 32 | *lo))
		*hi ^= 0x80000000u;
}

FUZZ_PLUMBING static void *host_of(struct run *r, teesim_pa_t pa, uint64_t len)
{
	if (r->pool_size && pa >= r->pool_pa && len <= r->pool_size &&
	    pa - r->pool_pa <= r->pool_size - len)
		return r->pool + (pa - r->pool_pa);
	for (unsigned i = 0; i < ARENA; i++)
		if (pa >= r->arena_pa[i] && pa - r->arena_pa[i] < PAGE) {
			if (pa - r->arena_pa[i] + len > PAGE)
				return NULL;
			return r->arena_host + (size_t) i * PAGE + (pa - r->arena_pa[i]);
		}
	return NULL;
}

/* Which write-sequence slot covers @pa: an arena page, the pool, or none (-1). */
FUZZ_PLUMBING static int seq_slot(const struct run *r, teesim_pa_t pa)
{
	if (r->pool_size && pa >= r->pool_pa && pa - r->pool_pa < r->pool_size)
		return ARENA;
	for (int i = 0; i < ARENA; i++)
		if (pa >= r->arena_pa[i] && pa - r->arena_pa[i] < PAGE)
			return i;
	return -1;
}

/* This program is about to write into the page (or pool) holding @pa. */
static void note_write(struct run *r, teesim_pa_t pa)
{
	int k = seq_slot(r, pa);

	if (k >= 0)
		r->wseq[k] = ++r->seq;
}

/* A fresh arena page for a well-behaved answer (never page 0, our message page). */
static unsigned rot_page(struct run *r)
{
	r->rot = r->rot % (ARENA - 1) + 1;
	return r->rot;
}

/* ------------------------------------------------------------------------ */
/* Page lists */

/* Build a list of @n data pages in arena list pages starting at @first; returns buf_ptr. */
static teesim_pa_t build_list(struct run *r, struct input *in, unsigned first, size_t n,
			      bool hostile)
{
	size_t lists = n ? (n + 510) / 511 : 1;
	uint8_t stride = (uint8_t) (next(in) | 1);

	if (lists > MAX_LIST_PAGES)
		lists = MAX_LIST_PAGES;
	for (size_t l = 0; l < lists; l++) {
		uint64_t *lp = (uint64_t *) (r->arena_host + (size_t) ((first + l) % ARENA) * PAGE);

		note_write(r, r->arena_pa[(first + l) % ARENA]);

		/* the entries this list page holds, then zeros: one comparison per
		 * entry, since each costs a callback in the coverage build */
		size_t used = n > l * 511 ? n - l * 511 : 0;

		if (used > 511)
			used = 511;
		for (size_t s = 0; s < used; s++) {
			size_t i = l * 511 + s;

			if (hostile && in->n && (next(in) & 3) == 0)
				lp[s] = gen_addr(r, in);
			else
				lp[s] = r->arena_pa[(i * stride + first) % ARENA];
		}
		memset(lp + used, 0, (511 - used) * sizeof(*lp));
		lp[511] = l + 1 < lists ? r->arena_pa[(first + l + 1) % ARENA]
			  : hostile && in->n && (next(in) & 7) == 0 ? gen_addr(r, in)
								    : 0;
	}
	return r->arena_pa[first % ARENA];
}

/* ------------------------------------------------------------------------ */
/* RPCs */

static void add_cookie(struct run *r, uint64_t cookie, teesim_pa_t pa)
{
	r->cookies[r->ncookies % MAX_COOKIES].cookie = cookie;
	r->cookies[r->ncookies % MAX_COOKIES].pa = pa;
	r->ncookies++;
}

/* The RPC message's host bytes; NULL when there are none or they are not
 * aligned for the struct (a hostile call's message, and so its RPC
 * argument after it, may sit anywhere): that RPC is answered unserved. */
static struct teesim_optee_msg_arg *rpc_arg_of(struct run *r, const struct pending *p,
					       uint64_t cookie)
{
	void *h = NULL;

	for (unsigned i = 0; i < MAX_COOKIES && i < r->ncookies && !h; i++)
		if (r->cookies[i].cookie == cookie)
			h = host_of(r, r->cookies[i].pa, PAGE / 2);
	if (!h && p && p->rpc_pa)
		h = host_of(r, p->rpc_pa, MSG_HDR + 4 * MSG_PARAM);
	return (uintptr_t) h % _Alignof(struct teesim_optee_msg_arg) ? NULL : h;
}

/* The header of the message at @pa, copied out (it may be unaligned); false: no host bytes. */
static bool read_hdr(struct run *r, teesim_pa_t pa, struct teesim_optee_msg_arg *hdr)
{
	const void *h = host_of(r, pa, MSG_HDR);

	if (h)
		memcpy(hdr, h, MSG_HDR);
	return h != NULL;
}

/* Answer an RPC_CMD the way a driver and supplicant would. */
static void serve_cmd(struct run *r, struct teesim_optee_msg_arg *a, struct input *in, bool good)
{
	struct teesim_optee_msg_param *p = a->params;
	uint32_t np = a->num_params;

	a->ret_origin = TEESIM_OPTEE_ORIGIN_COMMS;
	r->served_sleep = a->cmd == TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE && np >= 1 &&
			  p[0].u.value.a == TEESIM_OPTEE_RPC_WAIT_QUEUE_SLEEP;
	if (!good) {
		/* garbage: any result, any words in the parameters the call sent */
		a->ret = next(in) & 1 ? 0 : next32(in);
		for (uint32_t i = 0; i < np && i < 4; i++) {
			if (next(in) & 1)
				p[i].attr = next(in) % 12;
			p[i].u.value.a = gen_word(r, in);
			p[i].u.value.b = gen_word(r, in);
			p[i].u.value.c = gen_word(r, in);
		}
		return;
	}
	if (np < 1 || np > 4) {
		a->ret = TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		return;
	}
	switch (a->cmd) {
	case TEESIM_OPTEE_RPC_CMD_GET_TIME:
		p[0].u.value.a = teesim_clock_now(r->m) / 1000000000u;
		p[0].u.value.b = teesim_clock_now(r->m) % 1000000000u;
		a->ret = 0;
		break;
	case TEESIM_OPTEE_RPC_CMD_SUSPEND:
		teesim_clock_advance(r->m, (uint64_t) (uint32_t) p[0].u.value.a * 1000000u);
		a->ret = 0;
		break;
	case TEESIM_OPTEE_RPC_CMD_SHM_ALLOC: {
		uint64_t size = p[0].u.value.b;
		size_t n = (size_t) ((size + PAGE - 1) / PAGE);
		unsigned k = rot_page(r);

		if (size > 6 * PAGE) {
			a->ret = TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
			break;
		}
		if (r->pool_size && (next(in) & 1)) {
			p[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT;
			p[0].u.tmem.buf_ptr =
			    r->pool_pa + (r->pool_size / 2 & ~(uint64_t) (PAGE - 1));
		} else {
			p[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT |
				    TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
			p[0].u.tmem.buf_ptr = build_list(r, in, k, n ? n : 1, false);
		}
		p[0].u.tmem.size = size;
		p[0].u.tmem.shm_ref = SHM_COOKIE + k;
		a->ret = 0;
		break;
	}
	case TEESIM_OPTEE_RPC_CMD_LOAD_TA:
		a->ret = TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND;
		break;
	case TEESIM_OPTEE_RPC_CMD_FS:
		if (np >= 3)
			p[2].u.value.a = 1000 + p[0].u.value.a;
		a->ret = 0;
		break;
	case TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE:
	case TEESIM_OPTEE_RPC_CMD_SHM_FREE:
		a->ret = 0;
		break;
	default:
		a->ret = TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
		break;
	}
}

/* Fill the registers of the answer to the RPC in @regs (well-behaved or garbage). */
static void serve_rpc(struct run *r, const struct pending *p, struct teesim_smc_regs *regs,
		      struct input *in, bool good)
{
	const uint32_t func = TEESIM_OPTEE_SMC_RETURN_GET_RPC_FUNC(regs->a[0]);

	switch (func) {
	case TEESIM_OPTEE_SMC_RPC_FUNC_ALLOC: {
		teesim_pa_t pa;
		uint64_t cookie;

		if (good) {
			unsigned k = rot_page(r);

			pa = r->arena_pa[k];
			cookie = COOKIE_TAG | k;
		} else {
			pa = gen_addr(r, in);
			cookie = gen_word(r, in);
		}
		add_cookie(r, cookie, pa);
		regs->a[1] = (uint32_t) (pa >> 32);
		regs->a[2] = (uint32_t) pa;
		regs->a[4] = (uint32_t) (cookie >> 32);
		regs->a[5] = (uint32_t) cookie;
		break;
	}
	case TEESIM_OPTEE_SMC_RPC_FUNC_CMD: {
		uint64_t cookie = (uint64_t) regs->a[1] << 32 | regs->a[2];
		struct teesim_optee_msg_arg *a = rpc_arg_of(r, p, cookie);

		if (a) {
			r->wseq[ARENA] = ++r->seq; /* conservatively: the pool too */
			for (int i = 0; i < ARENA; i++)
				if ((unsigned char *) a >= r->arena_host + (size_t) i * PAGE &&
				    (unsigned char *) a < r->arena_host + (size_t) (i + 1) * PAGE)
					r->wseq[i] = r->seq;
			serve_cmd(r, a, in, good);
		}
		break;
	}
	default:
		/* FREE, FOREIGN_INTR: nothing to do but resume */
		break;
	}
	if (!good && (next(in) & 3) == 0) {
		for (int i = 1; i < 7; i++)
			regs->a[i] = (uint32_t) gen_word(r, in);
		/* a word cut to 32 bits may name a forbidden frame again */
		filter_pair(r, &regs->a[1], &regs->a[2]);
		filter_pair(r, &regs->a[4], &regs->a[5]);
	}
}

/* ------------------------------------------------------------------------ */
/* Calls */

static void smc(struct run *r, struct teesim_smc_regs *regs)
{
	struct teesim_sw_stats st;

	if (r->trace)
		fprintf(stderr, "smc  %08x %08x %08x %08x %08x %08x\n", regs->a[0], regs->a[1],
			regs->a[2], regs->a[3], regs->a[4], regs->a[5]);
	teesim_smc_call(r->m, r->g, regs);
	if (r->trace) {
		teesim_sw_stats(r->sw, &st);
		fprintf(stderr, " ->  %08x %08x %08x %08x  sessions %llu objects %llu\n",
			regs->a[0], regs->a[1], regs->a[2], regs->a[3],
			(unsigned long long) st.sessions, (unsigned long long) st.shm_objects);
	}
}

/*
 * A call suspended in an RPC may already have done its work: a thread can
 * register, unregister, open or close and then be stopped by a foreign
 * interrupt or make an RPC on its way out. How many calls of @cmd are in
 * flight; UINT32_MAX when one in flight is a call we cannot read or whose
 * message was written since (it may be anything).
 */
FUZZ_PLUMBING static uint32_t in_flight(const struct run *r, uint32_t cmd)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < MAX_THREADS; i++) {
		if (!r->pend[i].live)
			continue;
		/* a message rewritten since the call may be read only now (a
		 * thread stopped before it read its message), so any command */
		if (!r->pend[i].call.known ||
		    r->wseq[seq_slot(r, r->pend[i].call.arg_pa)] != r->pend[i].call.seq)
			return UINT32_MAX;
		n += r->pend[i].call.cmd == cmd;
	}
	return n;
}

/* @got is @want, give or take what the calls in flight may already have added or removed. */
FUZZ_PLUMBING static bool in_window(uint64_t got, uint64_t want, uint32_t adds, uint32_t removes)
{
	if (adds == UINT32_MAX || removes == UINT32_MAX)
		return true;
	return got + removes >= want && got <= want + adds;
}

/* Check what a completed call did to the counts against the result it reports. */
FUZZ_PLUMBING static void check_done(struct run *r, const struct snapshot *s, uint32_t a0)
{
	struct teesim_sw_stats st;
	struct teesim_optee_msg_arg hdr, *a = &hdr;
	bool ok;

	teesim_sw_stats(r->sw, &st);
	if (!s->known || !read_hdr(r, s->arg_pa, a) || a->cmd != s->cmd ||
	    r->wseq[seq_slot(r, s->arg_pa)] != s->seq) {
		/* we cannot know what it was: take the counts as they are. They
		 * may include what calls still in flight have done already, so
		 * those cannot be counted when they complete either. */
		r->sessions = st.sessions;
		r->objects = st.shm_objects;
		for (unsigned i = 0; i < MAX_THREADS; i++)
			r->pend[i].call.known = false;
		return;
	}
	ok = a0 == TEESIM_OPTEE_SMC_RETURN_OK && a->ret == 0;
	if (r->trace)
		fprintf(stderr,
			"done cmd %u (sent %u) ret %x session %u: sessions %llu (expected %llu)\n",
			a->cmd, s->cmd, a->ret, a->session, (unsigned long long) st.sessions,
			(unsigned long long) r->sessions);
	if (ok && s->cmd == TEESIM_OPTEE_MSG_CMD_OPEN_SESSION)
		r->sessions++;
	else if (ok && s->cmd == TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION)
		r->sessions--;
	else if (ok && s->cmd == TEESIM_OPTEE_MSG_CMD_REGISTER_SHM)
		r->objects++;
	else if (ok && s->cmd == TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM)
		r->objects--;
	if (!in_window(st.sessions, r->sessions, in_flight(r, TEESIM_OPTEE_MSG_CMD_OPEN_SESSION),
		       in_flight(r, TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION)))
		fail("session count differs from what the completed calls reported");
	if (!in_window(st.shm_objects, r->objects, in_flight(r, TEESIM_OPTEE_MSG_CMD_REGISTER_SHM),
		       in_flight(r, TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM)))
		fail("registered object count differs from what the completed calls reported");
}

/* After an SMC of a yielding call: remember a suspended thread, or check a finished one. */
static bool after_call(struct run *r, const struct teesim_smc_regs *regs,
		       const struct pending *call)
{
	if (TEESIM_OPTEE_SMC_RETURN_IS_RPC(regs->a[0])) {
		uint32_t id = regs->a[3];

		if (id >= MAX_THREADS || id >= r->cfg.num_threads)
			fail("RPC return names a thread that does not exist");
		if (teesim_sw_thread_state(r->sw, id) != TEESIM_SW_THREAD_SUSPENDED)
			fail("RPC return from a thread that is not suspended");
		r->pend[id].live = true;
		r->pend[id].regs = *regs;
		r->pend[id].rpc_pa = call->rpc_pa;
		r->pend[id].call = call->call;
		return true;
	}
	check_done(r, &call->call, regs->a[0]);
	return false;
}

/* One more RPC round trip, if the step budget allows (it bounds a run). */
static bool budget(struct run *r)
{
	if (!r->steps_left)
		return false;
	r->steps_left--;
	return true;
}

/*
 * Resume thread @id after serving its RPC; then serve it to the end if
 * @drive. A thread that asks to sleep on a wait queue again right after its
 * sleep was answered is waiting for another thread (an UNREGISTER_SHM
 * waiting for the object's users, say), which cannot move while this one
 * is driven: it is left pending after its second sleep instead of being
 * answered until the step budget runs out (each answer a spurious wakeup
 * that OP-TEE, and the model, loop on). Later steps and the final drain
 * resume it.
 */
static void resume(struct run *r, unsigned id, struct input *in, bool good, bool drive)
{
	unsigned sleeps = 0;

	do {
		struct pending p = r->pend[id];
		struct teesim_smc_regs regs = p.regs;

		r->pend[id].live = false;
		r->served_sleep = false;
		serve_rpc(r, &p, &regs, in, good);
		sleeps = r->served_sleep ? sleeps + 1 : 0;
		regs.a[0] = TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC;
		regs.a[3] = id;
		regs.a[7] = r->client;
		smc(r, &regs);
		if (regs.a[0] == TEESIM_OPTEE_SMC_RETURN_ERESUME)
			fail("RETURN_FROM_RPC to a suspended thread refused");
		if (!after_call(r, &regs, &p))
			return;
	} while (drive && sleeps < 2 && budget(r));
}

/* Make a yielding call with its message at @pa and handle the outcome. */
static void call_at(struct run *r, uint32_t fid, teesim_pa_t pa, uint32_t a3, struct input *in,
		    bool drive)
{
	struct teesim_smc_regs regs = {
	    {fid, (uint32_t) (pa >> 32), (uint32_t) pa, a3, 0, 0, 0, r->client}};
	struct teesim_optee_msg_arg hdr, *a = &hdr;
	struct pending call = {0};

	if (read_hdr(r, pa, a) && fid != TEESIM_OPTEE_SMC_CALL_WITH_REGD_ARG) {
		call.call.known = true;
		call.call.arg_pa = pa;
		call.call.cmd = a->cmd;
		call.call.seq = r->wseq[seq_slot(r, pa)];
		if (fid == TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG && a->num_params <= 127)
			call.rpc_pa = pa + TEESIM_OPTEE_MSG_GET_ARG_SIZE(a->num_params);
		/* Two calls in flight whose messages (or RPC arguments) may share
		 * memory: each may write its result over the other's, so neither
		 * result can be read back as its own. */
		for (unsigned i = 0; i < MAX_THREADS; i++) {
			const struct snapshot *o = &r->pend[i].call;
			uint64_t p1 = pa / PAGE, p2 = o->arg_pa / PAGE;

			if (r->pend[i].live && o->known && (p1 > p2 ? p1 - p2 : p2 - p1) <= 2) {
				r->pend[i].call.known = false;
				call.call.known = false;
			}
		}
	}
	smc(r, &regs);
	if (regs.a[0] == TEESIM_OPTEE_SMC_RETURN_ETHREAD_LIMIT)
		return;
	if (after_call(r, &regs, &call) && drive)
		resume(r, regs.a[3], in, true, true);
}

static void put_uuid(struct teesim_optee_msg_param *p, unsigned ta)
{
	/* 5ce0c000-000N-4000-8000-7465657369d0, the built-in TAs (N = 1..5) */
	uint8_t u[16] = {0x5c, 0xe0, 0xc0, 0x00, 0x00, (uint8_t) ta, 0x40, 0x00,
			 0x80, 0x00, 0x74, 0x65, 0x65, 0x73,	     0x69, 0xd0};

	memcpy(&p->u.value.a, u, 8);
	memcpy(&p->u.value.b, u + 8, 8);
}

static const uint64_t attrs[] = {
    TEESIM_OPTEE_MSG_ATTR_TYPE_NONE,
    TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT,
    TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT,
    TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT,
    TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT,
    TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT,
    TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INOUT,
    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT,
    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT,
    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT,
    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG,
    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG,
    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG,
    TEESIM_OPTEE_MSG_ATTR_META | TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT,
};

/* A known cookie (of a registered object) or anything. */
static uint64_t pick_cookie(struct run *r, struct input *in)
{
	uint8_t b = next(in);
	struct teesim_sw_shm_info info[4];
	size_t n;

	if (b & 0x80)
		return gen_word(r, in);
	n = teesim_sw_shm_objects(r->sw, info, 4);
	if (n && (b & 0x40))
		return info[b % (n < 4 ? n : 4)].cookie;
	return SHM_COOKIE + b % 8;
}

static uint32_t pick_session(struct run *r, struct input *in)
{
	uint8_t b = next(in);
	struct teesim_sw_session_info info[4];
	size_t n;

	if (b & 0x80)
		return next32(in);
	n = teesim_sw_sessions(r->sw, info, 4);
	return n ? info[b % (n < 4 ? n : 4)].id : b;
}

/* Fill one message parameter from the input. */
static void gen_param(struct run *r, struct input *in, struct teesim_optee_msg_param *p)
{
	uint8_t sel = next(in);

	p->attr = sel & 0x80 ? gen_word(r, in) : attrs[sel % (sizeof(attrs) / sizeof(attrs[0]))];
	switch (p->attr & TEESIM_OPTEE_MSG_ATTR_TYPE_MASK) {
	case TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT:
	case TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT:
	case TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT:
		if (p->attr & TEESIM_OPTEE_MSG_ATTR_NONCONTIG)
			p->u.tmem.buf_ptr =
			    (next(in) & 7) ? r->list_pa | (next(in) & 0xff8) : gen_addr(r, in);
		else
			p->u.tmem.buf_ptr = (next(in) & 3) && r->pool_size
						? r->pool_pa + (uint64_t) next(in) * 64
						: gen_addr(r, in);
		p->u.tmem.size = next(in) & 1 ? shifted(in) : gen_word(r, in);
		p->u.tmem.shm_ref = SHM_COOKIE + next(in) % 8;
		break;
	case TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT:
	case TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_OUTPUT:
	case TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INOUT:
		p->u.rmem.offs = next(in) & 1 ? shifted(in) : gen_word(r, in);
		p->u.rmem.size = next(in) & 1 ? shifted(in) : gen_word(r, in);
		p->u.rmem.shm_ref = pick_cookie(r, in);
		break;
	default:
		p->u.value.a = gen_word(r, in);
		p->u.value.b = gen_word(r, in);
		p->u.value.c = gen_word(r, in);
		break;
	}
}

/* Where a message goes: mostly our page 0 or the pool, sometimes anywhere. */
static teesim_pa_t pick_arg_pa(struct run *r, struct input *in)
{
	uint8_t b = next(in);

	switch (b % 8) {
	case 0:
	case 1:
	case 2:
		return r->arena_pa[0];
	case 3:
	case 4:
		return r->pool_size ? r->pool_pa + (uint64_t) (b >> 3) * 8 : r->arena_pa[0];
	case 5:
		return r->arena_pa[b % ARENA];
	default:
		return gen_addr(r, in);
	}
}

static void op_message(struct run *r, struct input *in)
{
	uint8_t how = next(in), c = next(in);
	teesim_pa_t pa = pick_arg_pa(r, in);
	/* the message is built aligned here and copied to @pa, which may be
	 * anywhere in a page (unaligned, or too near its end for a parameter) */
	unsigned char *host = (unsigned char *) host_of(r, pa, MSG_HDR);
	union {
		struct teesim_optee_msg_arg m;
		unsigned char b[MSG_HDR + 6 * MSG_PARAM];
	} local;
	struct teesim_optee_msg_arg *a = host ? &local.m : NULL;
	uint32_t fid = how % 8 == 6   ? TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG
		       : how % 8 == 7 ? TEESIM_OPTEE_SMC_CALL_WITH_REGD_ARG
				      : TEESIM_OPTEE_SMC_CALL_WITH_ARG;
	uint32_t np = c & 0x80 ? next32(in) : (uint32_t) (next(in) % 7);
	uint32_t a3 = 0;

	if (a) {
		uint64_t room = (PAGE - (pa & (PAGE - 1)) - MSG_HDR) / MSG_PARAM;

		if (r->pool_size && pa >= r->pool_pa && pa < r->pool_pa + r->pool_size)
			room = (r->pool_pa + r->pool_size - pa - MSG_HDR) / MSG_PARAM;
		note_write(r, pa);
		memset(&local, 0, sizeof(local));
		a->cmd = c % 16 < 12 ? c % 6 : next32(in);
		a->func = next(in) % 8;
		a->session = pick_session(r, in);
		a->cancel_id = next(in);
		a->num_params = np;
		for (uint32_t i = 0; i < np && i < room && i < 6; i++) {
			memset(&a->params[i], 0, MSG_PARAM);
			gen_param(r, in, &a->params[i]);
		}
		if (a->cmd == TEESIM_OPTEE_MSG_CMD_OPEN_SESSION && (how & 0x10) && room >= 2 &&
		    np >= 2) {
			/* a well-formed open of a built-in TA */
			a->params[0].attr =
			    TEESIM_OPTEE_MSG_ATTR_META | TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
			put_uuid(&a->params[0], 1 + next(in) % 5);
			a->params[1].attr = a->params[0].attr;
			a->params[1].u.value.c = next(in) % 8;
		}
		if (a->cmd == TEESIM_OPTEE_MSG_CMD_REGISTER_SHM && (how & 0x10) && np >= 1) {
			a->params[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT |
					    TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
			a->params[0].u.tmem.buf_ptr = r->list_pa | (next(in) & 0xff8);
			a->params[0].u.tmem.shm_ref = SHM_COOKIE + next(in) % 8;
		}
		/* the header and the parameters that fit (as many as were filled) */
		room = np < room ? np : room;
		memcpy(host, &local, MSG_HDR + (room < 6 ? room : 6) * MSG_PARAM);
	}
	if (fid == TEESIM_OPTEE_SMC_CALL_WITH_REGD_ARG) {
		pa = pick_cookie(r, in);
		a3 = next(in) * 8u;
	}
	call_at(r, fid, pa, a3, in, how & 0x20);
}

static const uint32_t fast_fids[] = {
    TEESIM_OPTEE_SMC_CALLS_COUNT,	   TEESIM_OPTEE_SMC_CALLS_UID,
    TEESIM_OPTEE_SMC_CALLS_REVISION,	   TEESIM_OPTEE_SMC_CALL_GET_OS_UUID,
    TEESIM_OPTEE_SMC_CALL_GET_OS_REVISION, TEESIM_OPTEE_SMC_GET_SHM_CONFIG,
    TEESIM_OPTEE_SMC_L2CC_MUTEX,	   TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES,
    TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE,	   TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE,
    TEESIM_OPTEE_SMC_BOOT_SECONDARY,	   TEESIM_OPTEE_SMC_VM_CREATED,
    TEESIM_OPTEE_SMC_VM_DESTROYED,	   TEESIM_OPTEE_SMC_GET_THREAD_COUNT,
    TEESIM_OPTEE_SMC_ENABLE_ASYNC_NOTIF,   TEESIM_OPTEE_SMC_GET_ASYNC_NOTIF_VALUE,
    TEESIM_OPTEE_SMC_GET_PROTMEM_CONFIG,
};

static void op_fast(struct run *r, struct input *in)
{
	uint8_t b = next(in);
	struct teesim_smc_regs regs;

	regs.a[0] = b & 0x80 ? next32(in) : fast_fids[b % (sizeof(fast_fids) / sizeof(*fast_fids))];
	for (int i = 1; i < 8; i++)
		regs.a[i] = next(in) & 1 ? (uint32_t) gen_word(r, in) : 0;
	if (regs.a[0] == TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC)
		regs.a[3] = MAX_THREADS; /* resumes go through op_resume */
	if (TEESIM_OPTEE_SMC_IS_FAST_CALL(regs.a[0])) {
		smc(r, &regs);
		if (TEESIM_OPTEE_SMC_RETURN_IS_RPC(regs.a[0]))
			fail("a fast call returned an RPC");
		return;
	}
	/* a yielding call with raw registers: no pair names a forbidden frame */
	filter_pair(r, &regs.a[1], &regs.a[2]);
	filter_pair(r, &regs.a[4], &regs.a[5]);
	if (regs.a[0] == TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC) {
		smc(r, &regs);
		if (regs.a[0] != TEESIM_OPTEE_SMC_RETURN_ERESUME)
			fail("RETURN_FROM_RPC to no thread accepted");
		return;
	}
	call_at(r, regs.a[0], (uint64_t) regs.a[1] << 32 | regs.a[2], regs.a[3], in, false);
}

static void op_resume(struct run *r, struct input *in)
{
	uint8_t b = next(in);
	unsigned id = b % MAX_THREADS;

	if (r->pend[id].live && !(b & 0x80)) {
		resume(r, id, in, b & 0x40, b & 0x20);
		return;
	}
	/* a resume of a thread that is not waiting, or with the wrong client */
	struct teesim_smc_regs regs = {{TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC}};

	/* one register at a time: the input is read in a fixed order */
	regs.a[1] = next32(in);
	regs.a[2] = next32(in);
	regs.a[3] = b & 0x10 ? next32(in) : id;
	regs.a[4] = next32(in);
	regs.a[5] = next32(in);
	regs.a[7] = r->client + 1 + (b & 0x40 ? 0 : next(in));
	/* raw, but like every word this program writes never naming a forbidden
	 * frame: a thread started by a raw call with this a7 may well take it */
	filter_pair(r, &regs.a[1], &regs.a[2]);
	filter_pair(r, &regs.a[4], &regs.a[5]);

	if (r->pend[regs.a[3] % MAX_THREADS].live && regs.a[3] < MAX_THREADS &&
	    regs.a[7] == r->client)
		return;
	smc(r, &regs);
	if (regs.a[0] != TEESIM_OPTEE_SMC_RETURN_ERESUME)
		fail("RETURN_FROM_RPC to a thread that does not wait for us accepted");
}

static void op_write(struct run *r, struct input *in)
{
	unsigned k = next(in) % ARENA;
	unsigned off = next(in) % 512, n = 1 + next(in) % 8;
	uint64_t *w = (uint64_t *) (r->arena_host + (size_t) k * PAGE);

	note_write(r, r->arena_pa[k]);
	for (unsigned i = 0; i < n && off + i < 512; i++)
		w[off + i] = gen_word(r, in);
}

static void op_list(struct run *r, struct input *in)
{
	static const uint16_t counts[] = {0, 1, 2, 3, 7, 510, 511, 512, 513, 1022, 1023, 1024};
	uint8_t b = next(in);
	size_t n = b & 0x80 ? next(in) % 16 : counts[b % (sizeof(counts) / sizeof(*counts))];

	r->list_pa = build_list(r, in, 1 + next(in) % (ARENA - 1), n, b & 0x40);
}

/* A well-formed REGISTER_SHM of @n pages at @offset, driven to the end. */
static void op_register(struct run *r, struct input *in)
{
	uint8_t b = next(in);
	size_t n = 1 + b % 6;
	uint32_t offset = next(in) & 0xff8;
	teesim_pa_t lp = build_list(r, in, 1 + next(in) % (ARENA - 1), n, false);
	struct teesim_optee_msg_arg *a = (void *) r->arena_host;

	note_write(r, r->arena_pa[0]);
	memset(a, 0, MSG_HDR + MSG_PARAM);
	a->cmd = TEESIM_OPTEE_MSG_CMD_REGISTER_SHM;
	a->num_params = 1;
	a->params[0].attr =
	    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
	a->params[0].u.tmem.buf_ptr = lp | offset;
	a->params[0].u.tmem.size = n * PAGE - offset - (b & 0x40 ? 1 : 0);
	a->params[0].u.tmem.shm_ref = SHM_COOKIE + next(in) % 8;
	call_at(r, TEESIM_OPTEE_SMC_CALL_WITH_ARG, r->arena_pa[0], 0, in, true);
}

/* A well-formed message on page 0 or the pool for the final clean-up. */
static struct teesim_optee_msg_arg *cleanup_msg(struct run *r, teesim_pa_t *pa)
{
	bool dyn = r->cfg.sec_caps & TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
	struct teesim_optee_msg_arg *a;

	*pa = dyn || !r->pool_size ? r->arena_pa[0] : r->pool_pa;
	a = host_of(r, *pa, PAGE);
	note_write(r, *pa);
	memset(a, 0, MSG_HDR + 2 * MSG_PARAM);
	return a;
}

/* The well-behaved normal world: bring everything down. True when it converged. */
static bool cleanup(struct run *r, struct input *in)
{
	struct teesim_sw_session_info si[8];
	struct teesim_sw_shm_info oi[8];
	struct teesim_smc_regs regs;
	bool progress = true;

	in->n = 0; /* from here on nothing comes from the input */
	r->steps_left = 2000;
	teesim_sw_inject_foreign_intr(r->sw, 0);
	for (int round = 0; progress && round < 16; round++) {
		progress = false;
		for (unsigned id = 0; id < MAX_THREADS; id++)
			if (r->pend[id].live) {
				resume(r, id, in, true, true);
				progress = true;
			}
		size_t ns = teesim_sw_sessions(r->sw, si, 8);

		for (size_t i = 0; i < ns && i < 8; i++) {
			teesim_pa_t pa;
			struct teesim_optee_msg_arg *a = cleanup_msg(r, &pa);

			a->cmd = TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION;
			a->session = si[i].id;
			call_at(r, TEESIM_OPTEE_SMC_CALL_WITH_ARG, pa, 0, in, true);
			progress = true;
		}
		size_t no = teesim_sw_shm_objects(r->sw, oi, 8);

		for (size_t i = 0; i < no && i < 8; i++) {
			teesim_pa_t pa;
			struct teesim_optee_msg_arg *a = cleanup_msg(r, &pa);

			a->cmd = TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM;
			a->num_params = 1;
			a->params[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT;
			a->params[0].u.rmem.shm_ref = oi[i].cookie;
			call_at(r, TEESIM_OPTEE_SMC_CALL_WITH_ARG, pa, 0, in, true);
			progress = true;
		}
		if (!r->steps_left)
			return false;
	}
	/* hand back every cached RPC argument */
	for (int i = 0; i < 64; i++) {
		memset(&regs, 0, sizeof(regs));
		regs.a[0] = TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE;
		smc(r, &regs);
		if (regs.a[0] != TEESIM_OPTEE_SMC_RETURN_OK)
			break;
	}
	for (unsigned id = 0; id < MAX_THREADS; id++)
		if (r->pend[id].live)
			return false;
	return true;
}

/* ------------------------------------------------------------------------ */

static void setup(struct run *r, struct input *in)
{
	struct teesim_machine_cfg mc;
	uint8_t c0 = next(in), c1 = next(in);
	teesim_pa_t pa;

	teesim_machine_cfg_default(&mc);
	mc.ram_size = (uint64_t) RAM_PAGES * PAGE;
	mc.secure_size = (uint64_t) SECURE_PAGES * PAGE;
	mc.static_shm_size = c1 & 1 ? (uint64_t) POOL_PAGES * PAGE : 0;
	mc.static_shm_base = mc.ram_base - (uint64_t) POOL_PAGES * PAGE;
	mc.remap = c0 & 0x40 ? TEESIM_REMAP_SHUFFLE : TEESIM_REMAP_IDENTITY;
	mc.seed = next(in);
	mc.poison = false; /* poisoning would touch every freed page */
	r->m = teesim_machine_new(&mc);
	if (!r->m)
		fail("machine_new refused a valid configuration");
	r->g = teesim_machine_guest(r->m, 0);
	r->ram_base = mc.ram_base;
	if (teesim_machine_static_shm(r->m, &r->pool_pa, &r->pool_size, (void **) &r->pool))
		r->pool_size = 0;

	/* all of guest RAM: the arena first, then the forbidden rest */
	if (teesim_kmem_alloc(r->g, ARENA, 0, &r->arena_ipa, (void **) &r->arena_host) ||
	    teesim_kmem_alloc(r->g, RAM_PAGES - ARENA, 0, &r->rest_ipa, NULL))
		fail("guest RAM allocation failed");
	for (unsigned i = 0; i < ARENA; i++) {
		if (teesim_guest_ipa_to_pa(r->g, r->arena_ipa + (uint64_t) i * PAGE, &pa))
			fail("arena page without a frame");
		r->arena_pa[i] = pa;
		r->allowed[(pa - r->ram_base) / PAGE] = true;
	}
	r->list_pa = r->arena_pa[1];

	teesim_sw_cfg_default(&r->cfg, (enum teesim_optee_gen)(c0 % 3));
	r->cfg.num_threads = 1 + (c0 >> 2) % MAX_THREADS;
	r->cfg.unreg_mode = (enum teesim_sw_unreg_mode)((c1 >> 2) % 4);
	r->cfg.reserved_shm = r->pool_size != 0;
	if ((c1 & 0x10) && r->pool_size)
		r->cfg.sec_caps &= ~TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
	if (c1 & 0x20)
		r->cfg.sec_caps |= TEESIM_OPTEE_SMC_SEC_CAP_RPC_ARG;
	r->cfg.max_pagelist_pages = c1 & 0x40 ? 8 : 1024;
	r->cfg.stack_size = 32 * 1024;
	r->sw = teesim_sw_new(r->m, &r->cfg);
	if (!r->sw)
		fail("sw_new refused a valid configuration");
	r->cfg = *teesim_sw_config(r->sw);
	teesim_machine_set_access_hook(r->m, access_hook, r);
	r->client = 0;
	r->trace = getenv("FUZZ_SW_TRACE") != NULL;
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
	struct input in = {data, size};
	struct teesim_sw_stats st;
	struct teesim_machine_stats ms;
	struct run r;
	bool clean;

	memset(&r, 0, sizeof(r));
	setup(&r, &in);
	r.steps_left = 512;
	for (int steps = 0; in.n && steps < MAX_STEPS && r.steps_left; steps++) {
		uint8_t op = next(&in);

		switch (op % 10) {
		case 0:
			op_fast(&r, &in);
			break;
		case 1:
		case 2:
			op_message(&r, &in);
			break;
		case 3:
			op_resume(&r, &in);
			break;
		case 4:
			op_write(&r, &in);
			break;
		case 5:
			op_list(&r, &in);
			break;
		case 6:
			op_register(&r, &in);
			break;
		case 7:
			teesim_sw_inject_foreign_intr(r.sw, next(&in) % 3);
			break;
		case 8:
			teesim_clock_advance(r.m, (uint64_t) next(&in) << 20);
			break;
		default: {
			/* UNREGISTER_SHM of any cookie, driven to the end */
			struct teesim_optee_msg_arg *a = (void *) r.arena_host;

			note_write(&r, r.arena_pa[0]);
			memset(a, 0, MSG_HDR + MSG_PARAM);
			a->cmd = TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM;
			a->num_params = 1;
			a->params[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT;
			a->params[0].u.rmem.shm_ref = pick_cookie(&r, &in);
			call_at(&r, TEESIM_OPTEE_SMC_CALL_WITH_ARG, r.arena_pa[0], 0, &in, true);
			break;
		}
		}
	}

	clean = cleanup(&r, &in);
	teesim_sw_stats(r.sw, &st);
	if (clean) {
		if (st.sessions)
			fail("sessions left after closing them all");
		if (st.shm_objects)
			fail("registered objects left after unregistering them all");
		if (st.rpc_shm_objects)
			fail("RPC shm buffers held after every call ended");
		if (st.threads_busy || st.threads_suspended)
			fail("threads busy after every call ended");
		if (st.cached_rpc_args)
			fail("RPC arguments cached after DISABLE_SHM_CACHE drained them");
		run_checker(r.m, TEESIM_CHECK_IDLE, "invariant checker after the clean-up");
	}
	teesim_sw_free(r.sw);
	teesim_machine_set_access_hook(r.m, NULL, NULL);
	teesim_machine_stats(r.m, &ms);
	if (ms.secure_pages)
		fail("secure pages left after teesim_sw_free");
	if (ms.violations) {
		struct teesim_violation v;

		teesim_machine_violations(r.m, &v, 1);
		fprintf(stderr, "violation %s at %llx\n", teesim_violation_name(v.kind),
			(unsigned long long) v.addr);
		fail("violations recorded");
	}
	if (teesim_kmem_free(r.g, r.arena_ipa, ARENA) ||
	    teesim_kmem_free(r.g, r.rest_ipa, RAM_PAGES - ARENA))
		fail("guest RAM free failed");
	teesim_machine_stats(r.m, &ms);
	if (ms.kernel_pages || ms.pins || ms.secure_pages)
		fail("machine not clean at the end");
	run_checker(r.m, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, "invariant checker at the end");
	teesim_machine_free(r.m);
	return 0;
}
