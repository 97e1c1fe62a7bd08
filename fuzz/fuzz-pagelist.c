/* SPDX-License-Identifier: MIT */
/*
 * fuzz-pagelist: page lists round-trip from the OP-TEE driver's builder
 * (src/optee/pagelist.c) through the fake secure world's parser.
 *
 * One input: a flags byte (identity or shuffled stage-2 remap, which paths
 * to take, scattered or in-order data pages), a page count (often one of the
 * 511 / 512 / 513 / 1022 ... boundaries), the buffer's offset in its first
 * page, the size's tail, a remap seed, then swap pairs that scatter the data
 * pages. The driver builds the list over those pages; under a shuffled remap
 * the target plays the hypervisor mediator and rewrites the list's IPAs
 * into PAs. Then:
 * - REGISTER_SHM: the registered object must describe exactly the pages,
 *   offset, size and page count that were listed (teesim_sw_shm_pages,
 *   teesim_sw_shm_objects); UNREGISTER_SHM removes it. A list longer than
 *   the secure world's limit must be refused with no object left behind.
 * - a NONCONTIG TMEM to the target's own TA "fuzz.pages" (the built-in mem
 *   TA's PAGES command stops at 64 pages): the PAs the TA sees through
 *   teesim_ta_memref_pages() must be those pages, in order.
 * - an RMEM of the registered object to the same TA: the same pages again.
 * The builder's own layout is checked slot by slot (entries, next pointers,
 * zeroed tail), and the access hook checks that the secure world only ever
 * reads the message page and the list pages: never a data page, never
 * anything else.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/teesim.h>

#include "optee/pagelist.h"
#include "fuzz-heap.h"
#include "fuzz-input.h"

#define PAGE	  TEESIM_PAGE_SIZE
#define MAX_N	  1100
#define RAM_PAGES 1152 /* the most an input needs: MAX_N + its lists + the message, rounded */
#define COOKIE	  0x7e570000ull
#define PER_LIST  511

struct run {
	struct teesim_machine *m;
	struct teesim_guest *g;
	struct teesim_sw *sw;
	teesim_pa_t ram_base;
	size_t ram_pages;	 /* sized to the input: the checker walks every frame */
	bool allowed[RAM_PAGES]; /* frames the secure world may read */
	teesim_ipa_t arg_ipa, data_ipa;
	teesim_pa_t arg_pa;
	struct teesim_optee_msg_arg *arg;
	size_t n;
	long got_n;
	/* from here on not zeroed per input: only the first n entries are used */
	uint64_t ipas[MAX_N]; /* data pages in list order (IPAs) */
	teesim_pa_t pas[MAX_N];
	teesim_pa_t got[MAX_N]; /* what the TA saw */
};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-pagelist: invariant broken: %s\n", what);
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

static int access_hook(void *ctx, const struct teesim_access *a)
{
	struct run *r = ctx;
	enum teesim_mem_kind k;

	if (!a->len)
		return 0;
	if (teesim_phys_range_kind(r->m, a->pa, a->len, &k))
		fail("secure world tried an access outside memory");
	if (k == TEESIM_MEM_SECURE)
		fail("shared-memory access to secure memory");
	if (k != TEESIM_MEM_RAM)
		return 0;
	for (uint64_t f = (a->pa - r->ram_base) / PAGE;
	     f <= (a->pa + a->len - 1 - r->ram_base) / PAGE; f++)
		if (f >= r->ram_pages || !r->allowed[f])
			fail("secure world touched a page that is not the message or a list page");
	return 0;
}

/* The TA "fuzz.pages": reports every page behind memref 0 (the mem TA stops at 64). */
static uint32_t pages_invoke(void *ctx, struct teesim_ta_call *call, void *sess, uint32_t func)
{
	struct run *r = ctx;

	(void) sess;
	(void) func;
	r->got_n = teesim_ta_memref_pages(call, 0, r->got, MAX_N);
	return r->got_n < 0 ? TEESIM_OPTEE_ERROR_BAD_PARAMETERS : 0;
}

static const struct teesim_ta_ops pages_ops = {.invoke = pages_invoke};

/* 5ce0c000-00f0-4000-8000-7465657369d0 */
static const uint8_t pages_uuid[16] = {0x5c, 0xe0, 0xc0, 0x00, 0x00, 0xf0, 0x40, 0x00,
				       0x80, 0x00, 0x74, 0x65, 0x65, 0x73, 0x69, 0xd0};

static teesim_pa_t to_pa(struct run *r, teesim_ipa_t ipa)
{
	teesim_pa_t pa;

	if (teesim_guest_ipa_to_pa(r->g, ipa, &pa))
		fail("IPA without a frame");
	return pa;
}

static void allow(struct run *r, teesim_pa_t pa)
{
	r->allowed[(pa - r->ram_base) / PAGE] = true;
}

static uint32_t call(struct run *r)
{
	struct teesim_smc_regs regs = {
	    {TEESIM_OPTEE_SMC_CALL_WITH_ARG, (uint32_t) (r->arg_pa >> 32), (uint32_t) r->arg_pa}};

	teesim_smc_call(r->m, r->g, &regs);
	if (TEESIM_OPTEE_SMC_RETURN_IS_RPC(regs.a[0]))
		fail("a page-list call made an RPC");
	if (regs.a[0] != TEESIM_OPTEE_SMC_RETURN_OK)
		fail("a well-formed call was refused at the SMC level");
	return r->arg->ret;
}

static struct teesim_optee_msg_arg *msg(struct run *r, uint32_t cmd, uint32_t n)
{
	memset(r->arg, 0, TEESIM_OPTEE_MSG_GET_ARG_SIZE(4));
	r->arg->cmd = cmd;
	r->arg->num_params = n;
	return r->arg;
}

/* The builder's layout, slot by slot, as its header documents it. */
static void check_layout(const struct optee_pages_list *pl, size_t n, size_t offset,
			 uint64_t buf_ptr)
{
	size_t lists = (n + PER_LIST - 1) / PER_LIST;

	if (pl->npages != lists)
		fail("list page count is not ceil(n / 511)");
	if (buf_ptr != (pl->ipa | offset))
		fail("buf_ptr is not the first list page with the offset");
	for (size_t l = 0; l < lists; l++) {
		const uint64_t *lp = pl->host + l * 512;

		for (size_t s = 0; s < PER_LIST; s++) {
			size_t i = l * PER_LIST + s;

			if (i >= n && lp[s])
				fail("unused list slot not zeroed");
		}
		/* a next pointer after every 511th entry, zero otherwise */
		if ((l + 1) * PER_LIST <= n) {
			if (lp[511] != pl->ipa + (l + 1) * PAGE)
				fail("next pointer is not the following list page");
		} else if (lp[511]) {
			fail("last list page has a next pointer");
		}
	}
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
	static const uint16_t counts[] = {1,   2,    3,	   7,	 510,  511,  512,
					  513, 1021, 1022, 1023, 1024, 1025, MAX_N};
	struct input in = {data, size};
	struct teesim_machine_cfg mc;
	struct teesim_sw_cfg sc;
	struct optee_pages_list pl = {0};
	struct teesim_sw_shm_info info;
	struct teesim_machine_stats ms;
	struct teesim_sw_stats st;
	struct run *r = malloc(sizeof(*r));
	uint8_t flags = next(&in), cnt = next(&in);
	size_t offset = next(&in);
	uint8_t tail;
	uint64_t buf_ptr, bytes, limit;
	uint32_t sid = 0;
	bool fits;

	if (!r)
		abort();
	memset(r, 0, offsetof(struct run, ipas));
	offset = (offset << 8 | next(&in)) & (PAGE - 1);
	tail = next(&in);
	if (cnt < 0xe0) {
		r->n = counts[cnt % (sizeof(counts) / sizeof(*counts))];
	} else {
		r->n = next(&in);
		r->n = 1 + (r->n << 8 | next(&in)) % MAX_N;
	}
	teesim_machine_cfg_default(&mc);
	/* the data, its list pages, the message and some room, in 64-page steps */
	r->ram_pages = (r->n + (r->n + PER_LIST - 1) / PER_LIST + 1 + 16 + 63) / 64 * 64;
	mc.ram_size = (uint64_t) r->ram_pages * PAGE;
	mc.secure_size = 8 * PAGE;
	mc.static_shm_size = 0;
	mc.remap = flags & 1 ? TEESIM_REMAP_SHUFFLE : TEESIM_REMAP_IDENTITY;
	mc.poison = false;
	mc.seed = next(&in);
	r->m = teesim_machine_new(&mc);
	if (!r->m)
		fail("machine_new refused a valid configuration");
	r->g = teesim_machine_guest(r->m, 0);
	r->ram_base = mc.ram_base;
	teesim_sw_cfg_default(&sc, TEESIM_OPTEE_GEN_HEAD);
	sc.num_threads = 1;
	sc.reserved_shm = false;
	sc.stack_size = 32 * 1024;
	limit = flags & 0x40 ? 512 : 2048; /* the secure world's list limit */
	sc.max_pagelist_pages = limit;
	sc.builtin_tas = false;
	r->sw = teesim_sw_new(r->m, &sc);
	if (!r->sw)
		fail("sw_new refused a valid configuration");
	{
		struct teesim_ta_desc d = {.name = "fuzz.pages", .ops = &pages_ops, .ctx = r};

		memcpy(d.uuid.b, pages_uuid, 16);
		if (teesim_sw_ta_register(r->sw, &d))
			fail("TA registration failed");
	}

	/* the message page, then the data pages, then the driver's list */
	if (teesim_kmem_alloc(r->g, 1, 0, &r->arg_ipa, (void **) &r->arg) ||
	    teesim_kmem_alloc(r->g, r->n, 0, &r->data_ipa, NULL))
		fail("kmem_alloc failed");
	r->arg_pa = to_pa(r, r->arg_ipa);
	allow(r, r->arg_pa);
	for (size_t i = 0; i < r->n; i++)
		r->ipas[i] = r->data_ipa + i * PAGE;
	if (flags & 8) /* scatter: swap pairs from the input */
		while (in.n >= 2) {
			size_t a = ((size_t) next(&in) << 3) % r->n,
			       b = (size_t) next(&in) * 7 % r->n;
			uint64_t t = r->ipas[a];

			r->ipas[a] = r->ipas[b];
			r->ipas[b] = t;
		}
	for (size_t i = 0; i < r->n; i++)
		r->pas[i] = to_pa(r, r->ipas[i]);

	/* the driver's builder, and its own contract */
	if (optee_fill_pages_list(&pl, r->ipas, r->n, offset) != -EINVAL)
		fail("filling an unallocated list succeeded");
	if (optee_allocate_pages_list(r->g, r->n, &pl))
		fail("optee_allocate_pages_list failed");
	if (r->n > 1 && optee_fill_pages_list(&pl, r->ipas, r->n + 1, offset) != -EINVAL)
		fail("filling more pages than the list was sized for succeeded");
	if (optee_fill_pages_list(&pl, r->ipas, r->n, offset + PAGE) != -EINVAL)
		fail("an offset of a page or more was accepted");
	if (optee_fill_pages_list(&pl, r->ipas, r->n, offset))
		fail("optee_fill_pages_list failed");
	buf_ptr = optee_pages_list_buf_ptr(&pl, offset);
	check_layout(&pl, r->n, offset, buf_ptr);
	for (size_t i = 0; i < r->n; i++)
		if (pl.host[i / PER_LIST * 512 + i % PER_LIST] != r->ipas[i])
			fail("list entry is not the data page");
	/* the mediator's part: IPAs to PAs, in place */
	for (size_t l = 0; l < pl.npages; l++) {
		uint64_t *lp = pl.host + l * 512;

		allow(r, to_pa(r, pl.ipa + l * PAGE));
		for (size_t s = 0; s < PER_LIST && l * PER_LIST + s < r->n; s++)
			lp[s] = r->pas[l * PER_LIST + s]; /* checked equal to ipas[] above */
		/* past the last list page (n a multiple of 511): translated when it can be,
		 * so that a parser following it would be caught by the access hook */
		if (lp[511] && teesim_guest_ipa_to_pa(r->g, lp[511], &lp[511]) && l + 1 < pl.npages)
			fail("next list page without a frame");
	}
	buf_ptr = to_pa(r, pl.ipa) | offset;

	/* the buffer's size: its last byte in the last data page */
	if (r->n == 1)
		bytes = 1 + tail % (PAGE - offset);
	else
		bytes = (r->n - 1) * PAGE - offset + 1 + (tail & 1 ? PAGE - 1 : tail);
	fits = r->n <= limit;
	teesim_machine_set_access_hook(r->m, access_hook, r);

	if (flags & 6) {
		/* REGISTER_SHM */
		struct teesim_optee_msg_arg *a = msg(r, TEESIM_OPTEE_MSG_CMD_REGISTER_SHM, 1);
		long got;

		a->params[0].attr =
		    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
		a->params[0].u.tmem.buf_ptr = buf_ptr;
		a->params[0].u.tmem.size = bytes;
		a->params[0].u.tmem.shm_ref = COOKIE;
		if ((call(r) == 0) != fits)
			fail(fits ? "REGISTER_SHM of a good list refused"
				  : "REGISTER_SHM beyond max_pagelist_pages accepted");
		teesim_sw_stats(r->sw, &st);
		if (st.shm_objects != fits)
			fail("registered object count wrong after REGISTER_SHM");
		if (fits) {
			teesim_pa_t *got_pas = malloc(r->n * sizeof(*got_pas));

			if (!got_pas)
				abort();
			got = teesim_sw_shm_pages(r->sw, COOKIE, got_pas, r->n);
			if (got < 0 || (size_t) got != r->n)
				fail("registered object has the wrong page count");
			if (memcmp(got_pas, r->pas, r->n * sizeof(*got_pas)))
				fail("registered pages differ from the pages listed");
			free(got_pas);
			if (teesim_sw_shm_objects(r->sw, &info, 1) != 1 || info.cookie != COOKIE ||
			    info.size != r->n * PAGE - offset || info.page_offset != offset ||
			    info.npages != r->n) {
				fprintf(stderr,
					"cookie %llx size %llu/%llu offset %u/%zu pages %llu/%zu\n",
					(unsigned long long) info.cookie,
					(unsigned long long) info.size,
					(unsigned long long) (r->n * PAGE - offset),
					info.page_offset, offset, (unsigned long long) info.npages,
					r->n);
				fail(
				    "registered object's cookie, size, offset or page count wrong");
			}
		}
	}

	if ((flags & 6) != 2) {
		/* open the pages TA */
		struct teesim_optee_msg_arg *a = msg(r, TEESIM_OPTEE_MSG_CMD_OPEN_SESSION, 2);
		a->params[0].attr =
		    TEESIM_OPTEE_MSG_ATTR_META | TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
		memcpy(&a->params[0].u.value.a, pages_uuid, 8);
		memcpy(&a->params[0].u.value.b, pages_uuid + 8, 8);
		a->params[1].attr = a->params[0].attr;
		if (call(r))
			fail("open of the pages TA failed");
		sid = a->session;
	}

	for (int pass = 0; sid && pass < 2; pass++) {
		/* pass 0: NONCONTIG TMEM; pass 1: RMEM of the registered object */
		struct teesim_optee_msg_arg *a;
		bool rmem = pass == 1;
		uint32_t ret;

		if (rmem && (!(flags & 4) || !fits))
			break;
		a = msg(r, TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND, 1);
		a->session = sid;
		if (rmem) {
			a->params[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT;
			a->params[0].u.rmem.offs = 0;
			a->params[0].u.rmem.size = bytes;
			a->params[0].u.rmem.shm_ref = COOKIE;
		} else {
			a->params[0].attr =
			    TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT | TEESIM_OPTEE_MSG_ATTR_NONCONTIG;
			a->params[0].u.tmem.buf_ptr = buf_ptr;
			a->params[0].u.tmem.size = bytes;
			a->params[0].u.tmem.shm_ref = COOKIE + 1;
		}
		r->got_n = -1;
		ret = call(r);
		if (!rmem && !fits) {
			if (!ret)
				fail("a NONCONTIG memref beyond max_pagelist_pages accepted");
			continue;
		}
		if (ret) {
			fprintf(stderr, "invoke: ret %x origin %u, n %zu bytes %llu offset %zu\n",
				ret, a->ret_origin, r->n, (unsigned long long) bytes, offset);
			fail("a memref of a good list was refused");
		}
		if (r->got_n < 0 || (size_t) r->got_n != r->n)
			fail("the TA saw a different number of pages");
		if (memcmp(r->got, r->pas, r->n * sizeof(uint64_t)))
			fail("the TA saw pages that differ from the pages listed");
	}

	if (sid) {
		struct teesim_optee_msg_arg *a = msg(r, TEESIM_OPTEE_MSG_CMD_CLOSE_SESSION, 0);

		a->session = sid;
		if (call(r))
			fail("close of the pages TA failed");
	}
	if ((flags & 6) && fits) {
		struct teesim_optee_msg_arg *a = msg(r, TEESIM_OPTEE_MSG_CMD_UNREGISTER_SHM, 1);

		a->params[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_RMEM_INPUT;
		a->params[0].u.rmem.shm_ref = COOKIE;
		if (call(r))
			fail("UNREGISTER_SHM failed");
	}
	teesim_sw_stats(r->sw, &st);
	if (st.sessions || st.shm_objects || st.threads_busy || st.rpc_shm_objects)
		fail("secure world not empty at the end");
	run_checker(r->m, TEESIM_CHECK_IDLE, "invariant checker before the secure world is freed");
	teesim_machine_set_access_hook(r->m, NULL, NULL);
	teesim_sw_free(r->sw);
	if (optee_free_pages_list(&pl) || teesim_kmem_free(r->g, r->data_ipa, r->n) ||
	    teesim_kmem_free(r->g, r->arg_ipa, 1))
		fail("free failed");
	teesim_machine_stats(r->m, &ms);
	if (ms.kernel_pages || ms.secure_pages || ms.violations)
		fail("machine not clean at the end");
	run_checker(r->m, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, "invariant checker at the end");
	teesim_machine_free(r->m);
	free(r);
	return 0;
}
