/* SPDX-License-Identifier: MIT */
/*
 * fuzz-optee-uapi: the program interpreter of fuzz-uapi.c (teesim_open,
 * every TEE_IOC_* with random and semi-valid arguments, teesim_mmap /
 * teesim_munmap, teesim_close, process exits, over several fds and two
 * processes) against the whole stack instead of a test driver: the tee
 * core, the OP-TEE driver model, the fake OP-TEE secure world with its
 * built-in TAs (sessions opened to real TAs, invokes that make RPCs,
 * registered and pool memory handed to the secure world) and a supplicant.
 * The user is the hostile or clumsy party; with configuration bit 0x10 the
 * program's processes may also open /dev/teepriv0 and play the supplicant
 * (a hook lets them answer each request with TEE_IOC_SUPPL_RECV / SEND
 * built from the input; unanswered requests fail).
 *
 * No hang: a WAIT_QUEUE sleep for a key nobody woke would block the only
 * thread (as it blocks in the kernel), so an SMC fault hook turns such a
 * request into an unknown wait-queue operation before the driver sees it;
 * a SUPPL_RECV with nothing queued is interrupted (teesim_optee_supp_interrupt
 * before every step).
 *
 * Oracles: fuzz-uapi's (fd and mapping counts after every step, the
 * supplicant's own fds and mappings accounted for; close and munmap of
 * what the program holds never fail), the invariant checker
 * (teesim_check_stack, IDLE) between two steps, then after everything is closed the
 * invariant checker (teesim_check_stack, IDLE | EMPTY), no session or
 * registered object left in the secure world, and after the processes
 * exit the checker again.
 */
#include <teesim/teesim.h>

#define FUZZ_UAPI_BACKEND 1
#define FUZZ_UAPI_NAME	  "fuzz-optee-uapi"
#include "fuzz-uapi.c"

#define NTHR  64 /* secure thread ids remembered (by a3 modulo) */
#define NABUF 32 /* RPC_ALLOC buffers remembered */
#define NKEYS 16 /* wait-queue keys woken and not slept on */

static const char *const ta_uuids[] = {TEESIM_TA_MEM_UUID, TEESIM_TA_RPC_UUID, TEESIM_TA_WAIT_UUID,
				       TEESIM_TA_PANIC_UUID, TEESIM_TA_LOAD_UUID};
#define NTAS (sizeof(ta_uuids) / sizeof(ta_uuids[0]))

struct uapi_backend {
	struct teesim_stack *st;
	struct run *r;
	struct input *in; /* the program's input, for the supplicant hook (NULL: none) */
	bool hostile_supp;
	/* the supplicant was made to fail or stop: a buffer it allocated for the
	 * secure world may then never be freed (as with a broken tee-supplicant),
	 * so the supplicant's part of the checker is left out */
	bool supp_faulted;
	bool reg_mem;
	unsigned rpc_params;
	struct teesim_uuid ta[NTAS];
	/* the SMC fault hook's view of the calls */
	uint64_t call_pa;
	struct {
		uint64_t arg_pa;
		uint32_t last; /* the RPC function it returned with */
	} thr[NTHR];
	struct {
		uint64_t cookie, pa;
	} abuf[NABUF];
	unsigned nabuf;
	uint32_t keys[NKEYS];
	unsigned nkeys;
	bool trace;	/* FUZZ_OU_TRACE set: print every SMC (for triage) */
	uint32_t fn_in; /* a0 of the SMC in flight, for the trace */
	struct teesim_check_report rep;
};

static bool key_take(struct uapi_backend *be, uint32_t key, bool consume)
{
	for (unsigned i = 0; i < be->nkeys; i++)
		if (be->keys[i] == key) {
			if (consume)
				be->keys[i] = be->keys[--be->nkeys];
			return true;
		}
	return false;
}

/* A WAIT_QUEUE RPC at @pa: a sleep on a key nobody woke becomes an unknown operation. */
static void guard_wait_queue(struct uapi_backend *be, uint64_t pa)
{
	struct teesim_machine *m = be->st->machine;
	struct teesim_optee_msg_arg hdr;
	struct teesim_optee_msg_param p;
	uint32_t key;

	if (be->trace && !teesim_phys_read(m, pa, &hdr, sizeof(hdr), TEESIM_ACC_NS) &&
	    !teesim_phys_read(m, pa + sizeof(hdr), &p, sizeof(p), TEESIM_ACC_NS))
		fprintf(stderr, "  rpc cmd %u n %u p0 %llx %llx %llx\n", hdr.cmd, hdr.num_params,
			(unsigned long long) p.attr, (unsigned long long) p.u.value.a,
			(unsigned long long) p.u.value.b);
	if (teesim_phys_read(m, pa, &hdr, sizeof(hdr), TEESIM_ACC_NS) ||
	    hdr.cmd != TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE || hdr.num_params != 1 ||
	    teesim_phys_read(m, pa + sizeof(hdr), &p, sizeof(p), TEESIM_ACC_NS) ||
	    (p.attr & TEESIM_OPTEE_MSG_ATTR_TYPE_MASK) != TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT)
		return;
	key = (uint32_t) p.u.value.b;
	if (p.u.value.a == TEESIM_OPTEE_RPC_WAIT_QUEUE_WAKEUP) {
		if (key_take(be, key, false))
			return;
		if (be->nkeys < NKEYS) {
			be->keys[be->nkeys++] = key;
			return;
		}
	} else if (p.u.value.a != TEESIM_OPTEE_RPC_WAIT_QUEUE_SLEEP || key_take(be, key, true)) {
		return;
	}
	p.u.value.a = 0xdead; /* the driver answers BAD_PARAMETERS */
	teesim_phys_write(m, pa + sizeof(hdr), &p, sizeof(p), TEESIM_ACC_NS);
}

static int smc_guard(void *ctx, enum teesim_smc_stage stage, struct teesim_guest *from,
		     struct teesim_smc_regs *regs)
{
	struct uapi_backend *be = ctx;
	uint32_t a0 = regs->a[0];

	(void) from;
	if (stage == TEESIM_SMC_AFTER && be->trace)
		fprintf(stderr, "smc %08x -> %08x %08x %08x %08x\n", be->fn_in, regs->a[0],
			regs->a[1], regs->a[2], regs->a[3]);
	if (stage == TEESIM_SMC_BEFORE) {
		be->fn_in = a0;
		if (a0 == TEESIM_OPTEE_SMC_CALL_WITH_ARG ||
		    a0 == TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG) {
			be->call_pa = (uint64_t) regs->a[1] << 32 | regs->a[2];
		} else if (a0 == TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC) {
			unsigned t = regs->a[3] % NTHR;

			be->call_pa = be->thr[t].arg_pa;
			if (be->thr[t].last == TEESIM_OPTEE_SMC_RPC_FUNC_ALLOC &&
			    (regs->a[4] | regs->a[5])) {
				unsigned i = be->nabuf++ % NABUF;

				be->abuf[i].cookie = (uint64_t) regs->a[4] << 32 | regs->a[5];
				be->abuf[i].pa = (uint64_t) regs->a[1] << 32 | regs->a[2];
			}
		}
		return TEESIM_SMC_PASS;
	}
	if (TEESIM_OPTEE_SMC_RETURN_IS_RPC(a0)) {
		unsigned t = regs->a[3] % NTHR;

		be->thr[t].arg_pa = be->call_pa;
		be->thr[t].last = TEESIM_OPTEE_SMC_RETURN_GET_RPC_FUNC(a0);
		if (be->thr[t].last != TEESIM_OPTEE_SMC_RPC_FUNC_CMD)
			return TEESIM_SMC_PASS;
		if (be->rpc_params) {
			struct teesim_optee_msg_arg hdr;

			if (!teesim_phys_read(be->st->machine, be->call_pa, &hdr, sizeof(hdr),
					      TEESIM_ACC_NS) &&
			    hdr.num_params <= TEESIM_OPTEE_MSG_MAX_NUM_PARAMS)
				guard_wait_queue(be, be->call_pa + TEESIM_OPTEE_MSG_GET_ARG_SIZE(
								       hdr.num_params));
		} else {
			uint64_t c = (uint64_t) regs->a[1] << 32 | regs->a[2];

			for (unsigned i = 0; i < NABUF; i++)
				if (be->abuf[i].cookie == c && c) {
					guard_wait_queue(be, be->abuf[i].pa);
					break;
				}
		}
	}
	return TEESIM_SMC_PASS;
}

/* The program as supplicant: RECV and SEND of its own making on its /dev/teepriv0. */
static void hostile_supp(void *ctx, uint32_t func)
{
	struct run *r = ctx;
	struct input *in = r->be->in;

	(void) func;
	if (!in || !(next(in) & 1))
		return; /* left unanswered: the request fails */
	for (int i = 0; i < NPROC; i++) {
		struct proc *pr = &r->pr[i];

		for (int k = 0; k < NFD && pr->p; k++) {
			struct teesim_tee_fd_info info;

			if (pr->fds[k] < 0 || teesim_tee_fd_info(pr->p, pr->fds[k], &info) ||
			    info.kind != TEESIM_TEE_FD_DEVICE || strcmp(info.device, "teepriv0"))
				continue;
			buf_ioctl(r, pr, pr->fds[k], TEE_IOC_SUPPL_RECV, in);
			buf_ioctl(r, pr, pr->fds[k], TEE_IOC_SUPPL_SEND, in);
			return;
		}
	}
}

static void uapi_supp_post(struct run *r, struct input *in)
{
	/* requests come from the secure world; a RECV that finds none is interrupted */
	(void) in;
	teesim_optee_supp_interrupt(r->be->st->drv);
}

static void uapi_script(struct run *r, struct input *in)
{
	struct teesim_stack *st = r->be->st;
	uint8_t b = next(in);

	switch (b % 4) {
	case 0:
		teesim_sw_inject_foreign_intr(st->sw, 1 + (b >> 2) % 4);
		break;
	case 1:
		teesim_clock_advance(st->machine, (uint64_t) next(in) * 1000000u);
		break;
	case 2:
		r->be->supp_faulted = st->supp != NULL;
		if (st->supp)
			teesim_supplicant_fail_next(st->supp, (b >> 2) % 3,
						    b & 0x80 ? next32(in)
							     : TEESIM_OPTEE_ERROR_OUT_OF_MEMORY);
		break;
	default:
		r->be->supp_faulted = st->supp != NULL;
		if (st->supp)
			teesim_supplicant_stop(st->supp,
					       (enum teesim_supplicant_stop)((b >> 2) % 3),
					       TEESIM_OPTEE_ERROR_BUSY);
		break;
	}
}

static void uapi_uuid(struct run *r, struct input *in, uint8_t uuid[16])
{
	uint8_t b = next(in);

	memcpy(uuid, r->be->ta[b % NTAS].b, 16);
	if (b >= 0xf0)
		uuid[next(in) % 16] ^= next(in); /* a TA nobody has */
}

static void uapi_step(struct run *r)
{
	struct uapi_backend *be = r->be;

	/* between two steps nothing is in flight: the checker's IDLE rules hold */
	if (be->supp_faulted ? teesim_check_machine(be->st->machine, TEESIM_CHECK_IDLE, &be->rep)
			     : teesim_check_stack(be->st, TEESIM_CHECK_IDLE, &be->rep)) {
		fprintf(stderr, "%s", be->rep.text);
		fail("invariant checker between two steps");
	}
	if (be->hostile_supp)
		teesim_optee_supp_interrupt(be->st->drv);
}

static void uapi_extra(struct run *r, uint64_t *fds, uint64_t *maps)
{
	struct teesim_stack *st = r->be->st;
	struct teesim_supplicant_stats ss;

	*fds = *maps = 0;
	if (!st->supp)
		return;
	teesim_supplicant_stats(st->supp, &ss);
	*fds = 1 + ss.shms; /* /dev/teepriv0 and a shm fd per buffer it allocated */
	*maps = r->be->reg_mem ? 0 : ss.shms;
}

static void check_stack(struct uapi_backend *be, const char *when)
{
	unsigned problems =
	    be->supp_faulted
		? teesim_check_machine(be->st->machine, TEESIM_CHECK_IDLE, &be->rep)
		: teesim_check_stack(be->st, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, &be->rep);

	if (problems) {
		fprintf(stderr, "%s", be->rep.text);
		fail(when);
	}
}

/*
 * The built-in rpc TA's FS command sends one raw REE FS request: an OPEN,
 * CREATE or OPENDIR leaves a handle in the supplicant that the TA never
 * closes (it cannot: it passes no handle back). In OP-TEE the storage layer
 * that makes such requests closes its handles when a TA goes. Close what is
 * left as that layer would, so that the checker's count of open supplicant
 * handles stays a finding about the stack, not about this TA.
 */
static void close_fs_handles(struct uapi_backend *be)
{
	struct teesim_supplicant_stats st;

	if (!be->st->supp)
		return;
	teesim_supplicant_stats(be->st->supp, &st);
	for (uint64_t h = 0; h < 4096 && st.open_files + st.open_dirs; h++) {
		static const uint32_t ops[] = {TEESIM_OPTEE_RPC_FS_CLOSE,
					       TEESIM_OPTEE_RPC_FS_CLOSEDIR};

		for (int i = 0; i < 2; i++) {
			struct tee_ioctl_param p = {
			    .attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT, .a = ops[i], .b = h};
			uint32_t ret;

			teesim_supplicant_serve(be->st->supp, TEESIM_OPTEE_RPC_CMD_FS, 1, &p, NULL,
						&ret);
		}
		teesim_supplicant_stats(be->st->supp, &st);
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
	struct input in = {data, size};
	struct uapi_backend *be = calloc(1, sizeof(*be));
	struct teesim_stack_cfg sc;
	struct teesim_optee_info info;
	struct teesim_sw_stats sw;
	struct run r;
	uint8_t conf = next(&in);
	static const enum teesim_optee_gen gens[] = {TEESIM_OPTEE_GEN_HEAD, TEESIM_OPTEE_GEN_3_3,
						     TEESIM_OPTEE_GEN_3_0, TEESIM_OPTEE_GEN_HEAD};

	if (!be)
		return 0;
	memset(&r, 0, sizeof(r));
	for (unsigned i = 0; i < NTAS; i++)
		if (teesim_uuid_parse(ta_uuids[i], &be->ta[i]))
			fail("uuid_parse failed");
	teesim_stack_cfg_default(&sc);
	sc.machine.ram_size = 64 * PAGE;
	sc.machine.secure_size = 16 * PAGE;
	sc.machine.static_shm_size = 8 * PAGE;
	sc.machine.static_shm_base = sc.machine.ram_base - sc.machine.static_shm_size;
	sc.machine.poison = false;
	sc.machine.allow_host_memory = false;
	teesim_sw_cfg_default(&sc.sw, gens[conf & 3]);
	sc.sw.num_threads = conf & 0x20 ? 1 : 2;
	if (conf & 0x08)
		sc.sw.sec_caps &= ~TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
	teesim_optee_cfg_default(&sc.drv,
				 conf & 0x04 ? TEESIM_OPTEE_DRV_V4_16 : TEESIM_OPTEE_DRV_LATER);
	sc.drv.rpc_arg = !(conf & 0x40);
	sc.drv.shm_cache = !(conf & 0x80);
	be->hostile_supp = conf & 0x10;
	sc.supp = be->hostile_supp ? TEESIM_STACK_SUPP_NONE : TEESIM_STACK_SUPP_INLINE;
	be->st = teesim_stack_new(&sc);
	if (!be->st)
		fprintf(stderr, "stack_new: %s\n", strerror(errno)), fail("stack_new failed");
	be->r = &r;
	be->in = &in;
	be->trace = getenv("FUZZ_OU_TRACE") != NULL;
	r.m = be->st->machine;
	r.be = be;
	if (teesim_optee_info(be->st->drv, &info))
		fail("optee_info failed");
	be->rpc_params = info.rpc_param_count;
	be->reg_mem = info.reg_mem;
	teesim_smc_set_fault_hook(r.m, smc_guard, be);
	if (be->hostile_supp)
		teesim_optee_set_supp_hook(be->st->drv, hostile_supp, &r);
	for (int i = 0; i < NPROC; i++)
		if (proc_init(&r, &r.pr[i]))
			fail("process setup failed");

	uapi_run_program(&r, &in);

	/* unmap and close everything: every session closed, every shm gone */
	be->in = NULL;
	uapi_close_all(&r);
	check_counts(&r);
	close_fs_handles(be);
	check_stack(be, "invariant checker after closing every fd");
	teesim_sw_stats(be->st->sw, &sw);
	if (sw.sessions || sw.threads_busy)
		fail("sessions or busy threads left in the secure world after every fd was closed");
	if (!be->st->supp && sw.shm_objects)
		fail("registered objects left in the secure world after every fd was closed");
	for (int i = 0; i < NPROC; i++)
		proc_exit(&r, &r.pr[i]);
	check_stack(be, "invariant checker after the processes exited");
	teesim_smc_set_fault_hook(r.m, NULL, NULL);
	teesim_stack_free(be->st);
	free(be);
	return 0;
}
