/* SPDX-License-Identifier: MIT */
/*
 * fuzz-machine: a byte-coded program of machine operations (maps, pins,
 * unpins, kernel and secure allocations, physical accesses, timers, process
 * exits) against a fresh small machine per input.
 *
 * Oracle: besides "no crash, no sanitizer report", after every step the
 * model's own counters must equal what this program knows it holds (pins,
 * kernel pages, secure pages), every bogus free or unpin must be refused and
 * recorded as exactly one violation, and after releasing everything the
 * machine must be empty.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/teesim.h>
#include "fuzz-heap.h"
#include "fuzz-input.h"

#define MAX_MAPS  8
#define MAX_PINS  512
#define MAX_ALLOC 8
/* op_pin reaches up to page 7 + 11 of the host buffer: it must all be ours */
#define HOST_PAGES 18

struct run {
	struct teesim_machine *m;
	struct teesim_guest *g;
	struct teesim_process *p;
	struct {
		void *addr;
		size_t pages;
	} maps[MAX_MAPS];
	teesim_ipa_t pins[MAX_PINS];
	size_t npins;
	struct {
		teesim_ipa_t ipa;
		size_t pages;
	} kmem[MAX_ALLOC];
	size_t kernel_pages;
	struct {
		teesim_pa_t pa;
		size_t pages;
	} sec[MAX_ALLOC];
	size_t secure_pages;
	size_t violations;
	unsigned char *host;
	uint64_t fired;
};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-machine: invariant broken: %s\n", what);
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

static void check_counters(struct run *r)
{
	struct teesim_machine_stats st;

	teesim_machine_stats(r->m, &st);
	if (st.pins != r->npins)
		fail("pin count differs from the pins held");
	if (st.kernel_pages != r->kernel_pages)
		fail("kernel page count differs from the allocations held");
	if (st.secure_pages != r->secure_pages)
		fail("secure page count differs from the allocations held");
	if (st.violations != r->violations)
		fail("violation count differs from the bogus operations made");
}

/* A physical address near something interesting. */
static teesim_pa_t pick_pa(struct run *r, struct input *in)
{
	const struct teesim_machine_cfg *c = teesim_machine_cfg(r->m);
	uint8_t sel = next(in);
	uint64_t off = (uint64_t) next(in) << 8 | next(in);

	switch (sel % 6) {
	case 0:
		return c->ram_base + off * 64;
	case 1:
		return c->secure_base + off * 64;
	case 2:
		return c->static_shm_base + off * 16;
	case 3:
		return c->ram_base + c->ram_size - (off & 0xfff);
	case 4:
		return UINT64_MAX - off;
	default:
		return next64(in);
	}
}

/* A pinned page bound to host memory must be a page of r->host. */
static bool pinned_page_ours(struct run *r, teesim_ipa_t ipa)
{
	struct teesim_frame_info fi;
	teesim_pa_t pa;
	uintptr_t h;

	if (teesim_guest_ipa_to_pa(r->g, ipa, &pa) || teesim_frame_info(r->m, pa, &fi))
		return false;
	if (fi.owner != TEESIM_OWNER_HOST)
		return true;
	h = (uintptr_t) teesim_guest_ipa_host(r->g, ipa);
	return h >= (uintptr_t) r->host && h < (uintptr_t) r->host + HOST_PAGES * TEESIM_PAGE_SIZE;
}

static void op_pin(struct run *r, struct input *in)
{
	uint8_t which = next(in), first = next(in) % 8, n = next(in) % 12;
	unsigned flags = next(in) & 3; /* bit 1 is not a valid flag */
	uint64_t start;
	teesim_ipa_t ipas[16];
	long got;

	bool machine = false;

	/*
	 * Every page a pin may reach must be ours or the machine's: a host page
	 * past the end of the machine's RAM belongs to someone else (the heap),
	 * and a pin would bind it to a frame that the accesses then read and
	 * write. So a pin of a mapping or of a kernel allocation stays inside it.
	 */
	if (which % 3 == 0 && r->maps[which / 3 % MAX_MAPS].addr) {
		size_t pages = r->maps[which / 3 % MAX_MAPS].pages;

		start = (uintptr_t) r->maps[which / 3 % MAX_MAPS].addr;
		first = (uint8_t) (first % pages);
		if (n > pages - first)
			n = (uint8_t) (pages - first);
	} else if (which % 3 == 1)
		start = (uintptr_t) r->host;
	else if (which & 0x80) {
		/* machine memory outside this process (a kernel allocation): must be
		 * refused. Not simply the guest's first page: that may be bound to a
		 * host page of ours, and the pin would run past our buffer. */
		size_t k = which % MAX_ALLOC;

		if (!r->kmem[k].pages)
			return;
		start = (uintptr_t) teesim_guest_ipa_host(r->g, r->kmem[k].ipa);
		first = (uint8_t) (first % r->kmem[k].pages);
		if (n > r->kmem[k].pages - first)
			n = (uint8_t) (r->kmem[k].pages - first);
		machine = true;
	} else if (which & 0x40)
		start = 0xffff800000000000ull; /* never user memory */
	else
		start = (uint64_t) (next(in) % 16) * TEESIM_PAGE_SIZE; /* never mapped */
	start += (uint64_t) first * TEESIM_PAGE_SIZE;
	if (r->npins + n > MAX_PINS)
		return;
	got = teesim_process_pin(r->p, start, n, flags, ipas);
	if (got > n)
		fail("pinned more pages than asked");
	if (flags & 2) {
		if (got != -EINVAL)
			fail("unknown pin flag accepted");
		return;
	}
	if (machine && got > 0)
		fail("pin of a kernel allocation accepted");
	for (long i = 0; i < got; i++) {
		r->pins[r->npins++] = ipas[i];
		if (!pinned_page_ours(r, ipas[i]))
			fail("pinned a host page outside this program's buffer");
	}
}

static void op_unpin(struct run *r, struct input *in)
{
	uint8_t k = next(in);

	if (k & 0x80) {
		/* bogus unpin of a page that holds no pin: refused and recorded */
		teesim_ipa_t ipa =
		    teesim_guest_ipa_base(r->g) + (uint64_t) (k & 0x7f) * TEESIM_PAGE_SIZE;
		teesim_pa_t pa;
		struct teesim_frame_info fi;

		if (teesim_guest_ipa_to_pa(r->g, ipa, &pa) || teesim_frame_info(r->m, pa, &fi))
			return;
		if (fi.pin_count)
			return;
		if (teesim_guest_unpin(r->g, &ipa, 1) != -EINVAL)
			fail("unbalanced unpin not refused");
		r->violations++;
		return;
	}
	k = (uint8_t) (k % 16 < r->npins ? k % 16 : r->npins);
	if (teesim_guest_unpin(r->g, &r->pins[r->npins - k], k))
		fail("unpin of held pins failed");
	r->npins -= k;
}

static void op_kmem(struct run *r, struct input *in)
{
	uint8_t a = next(in), slot = a % MAX_ALLOC;

	if (r->kmem[slot].pages) {
		if (a & 0x80) {
			/* free it twice: the second must be refused, one violation a page */
			if (teesim_kmem_free(r->g, r->kmem[slot].ipa, r->kmem[slot].pages))
				fail("kmem free failed");
			r->kernel_pages -= r->kmem[slot].pages;
			if (teesim_kmem_free(r->g, r->kmem[slot].ipa, r->kmem[slot].pages) !=
			    -EINVAL)
				fail("double kmem free not refused");
			r->violations += r->kmem[slot].pages;
		} else {
			if (teesim_kmem_free(r->g, r->kmem[slot].ipa, r->kmem[slot].pages))
				fail("kmem free failed");
			r->kernel_pages -= r->kmem[slot].pages;
		}
		r->kmem[slot].pages = 0;
		return;
	}
	size_t n = 1 + next(in) % 6;
	void *host;

	if (!teesim_kmem_alloc(r->g, n, a & 0x40 ? TEESIM_KMEM_ZERO : 0, &r->kmem[slot].ipa,
			       &host)) {
		r->kmem[slot].pages = n;
		r->kernel_pages += n;
		memset(host, a, n * TEESIM_PAGE_SIZE);
	}
}

static void op_secure(struct run *r, struct input *in)
{
	uint8_t a = next(in), slot = a % MAX_ALLOC;

	if (r->sec[slot].pages) {
		if (teesim_secure_free(r->m, r->sec[slot].pa, r->sec[slot].pages))
			fail("secure free failed");
		r->secure_pages -= r->sec[slot].pages;
		r->sec[slot].pages = 0;
		return;
	}
	size_t n = 1 + next(in) % 4;

	if (!teesim_secure_alloc(r->m, n, &r->sec[slot].pa, NULL)) {
		r->sec[slot].pages = n;
		r->secure_pages += n;
	}
}

static void op_phys(struct run *r, struct input *in, uint8_t kind)
{
	unsigned char buf[3 * TEESIM_PAGE_SIZE];
	teesim_pa_t pa = pick_pa(r, in);
	size_t len = ((size_t) next(in) << 5) % sizeof(buf);
	unsigned flags = next(in) % 5; /* 4 is an unknown flag */
	enum teesim_mem_kind k;
	void *h;
	int err;

	memset(buf, 0xa5, sizeof(buf));
	if (kind == 0)
		err = teesim_phys_read(r->m, pa, buf, len, flags);
	else if (kind == 1)
		err = teesim_phys_write(r->m, pa, buf, len, flags);
	else
		err = teesim_phys_map(r->m, pa, len, flags, &h);
	if (!err && (flags & 4))
		fail("unknown access flag accepted");
	if (!err && len && teesim_phys_range_kind(r->m, pa, len, &k))
		fail("access outside memory succeeded");
	if (!err && len && k == TEESIM_MEM_SECURE && (flags & TEESIM_ACC_NS))
		fail("shared-memory access reached secure memory");
	if (err == -EPERM)
		r->violations++;
	if (!err && kind == 2 && len)
		((volatile unsigned char *) h)[len - 1] ^= 0; /* the mapping is really there */
}

static void timer_fn(void *ctx, uint64_t now)
{
	(void) now;
	((struct run *) ctx)->fired++;
}

static void op_mmap(struct run *r, struct input *in)
{
	uint8_t a = next(in), slot = a % MAX_MAPS;

	if (r->maps[slot].addr) {
		if (teesim_process_munmap(r->p, r->maps[slot].addr,
					  r->maps[slot].pages * TEESIM_PAGE_SIZE))
			fail("munmap failed");
		r->maps[slot].addr = NULL;
		return;
	}
	r->maps[slot].pages = 1 + next(in) % 8;
	r->maps[slot].addr =
	    teesim_process_mmap(r->p, r->maps[slot].pages * TEESIM_PAGE_SIZE,
				a & 0x80 ? TEESIM_PROT_READ : TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	if (r->maps[slot].addr)
		memset(r->maps[slot].addr, a, 16);
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
	struct teesim_machine_cfg cfg;
	struct run r;
	uint8_t conf = next(&in);

	memset(&r, 0, sizeof(r));
	teesim_machine_cfg_default(&cfg);
	cfg.ram_size = (uint64_t) (32 + next(&in) % 64) * TEESIM_PAGE_SIZE;
	cfg.secure_size = 16 * TEESIM_PAGE_SIZE;
	cfg.static_shm_size = 8 * TEESIM_PAGE_SIZE;
	cfg.static_shm_base = cfg.ram_base - cfg.static_shm_size;
	cfg.remap = conf & 1 ? TEESIM_REMAP_SHUFFLE : TEESIM_REMAP_IDENTITY;
	cfg.poison = conf & 2;
	cfg.allow_host_memory = conf & 4;
	cfg.seed = next(&in);
	r.m = teesim_machine_new(&cfg);
	if (!r.m)
		fail("machine_new refused a valid configuration");
	r.g = teesim_machine_guest(r.m, 0);
	r.p = teesim_process_new(r.g);
	r.host = aligned_alloc(TEESIM_PAGE_SIZE, HOST_PAGES * TEESIM_PAGE_SIZE);
	if (!r.p || !r.host)
		abort();

	for (int steps = 0; in.n && steps < 256; steps++) {
		uint8_t op = next(&in);

		switch (op % 12) {
		case 0:
			op_mmap(&r, &in);
			break;
		case 1:
			op_pin(&r, &in);
			break;
		case 2:
			op_unpin(&r, &in);
			break;
		case 3:
			op_kmem(&r, &in);
			break;
		case 4:
			op_secure(&r, &in);
			break;
		case 5:
		case 6:
		case 7:
			op_phys(&r, &in, (uint8_t) (op % 12 - 5));
			break;
		case 8: {
			struct teesim_frame_info fi;

			teesim_frame_info(r.m, pick_pa(&r, &in), &fi);
			break;
		}
		case 9:
			if (next(&in) & 1)
				teesim_clock_timer_add(r.m, teesim_clock_now(r.m) + next(&in),
						       timer_fn, &r, NULL);
			else
				teesim_clock_advance(r.m, next(&in));
			break;
		case 10: {
			struct teesim_smc_regs regs = {{next(&in), 1, 2, 3, 4, 5, 6, 7}};

			teesim_smc_call(r.m, r.g, &regs);
			if (regs.a[0] != TEESIM_SMC_UNKNOWN_FUNCTION)
				fail("an SMC with no secure world was answered");
			break;
		}
		case 11:
			/* the process exits: its pinned pages must survive it */
			teesim_process_free(r.p);
			memset(r.maps, 0, sizeof(r.maps));
			r.p = teesim_process_new(r.g);
			if (!r.p)
				abort();
			break;
		}
		check_counters(&r);
	}

	/* release everything this run holds; the machine must then be empty */
	if (teesim_guest_unpin(r.g, r.pins, r.npins))
		fail("final unpin failed");
	r.npins = 0;
	for (int i = 0; i < MAX_ALLOC; i++) {
		if (r.kmem[i].pages && teesim_kmem_free(r.g, r.kmem[i].ipa, r.kmem[i].pages))
			fail("final kmem free failed");
		if (r.sec[i].pages && teesim_secure_free(r.m, r.sec[i].pa, r.sec[i].pages))
			fail("final secure free failed");
	}
	r.kernel_pages = r.secure_pages = 0;
	teesim_process_free(r.p);
	{
		struct teesim_machine_stats st;

		teesim_machine_stats(r.m, &st);
		if (st.kernel_pages || st.user_pages || st.host_pages || st.pins ||
		    st.pinned_pages || st.secure_pages || st.processes)
			fail("machine not empty after releasing everything");
		if (st.violations != r.violations)
			fail("violation count differs at the end");
	}
	run_checker(r.m, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, "invariant checker at the end");
	teesim_machine_free(r.m);
	free(r.host);
	return 0;
}
