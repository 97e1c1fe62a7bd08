/* SPDX-License-Identifier: MIT */
/*
 * fuzz-uapi: a byte-coded program of teesim_open / teesim_ioctl (every
 * TEE_IOC_* with random and semi-valid arguments) / teesim_mmap /
 * teesim_munmap / teesim_close over several fds and two processes, against
 * the tee core with the test driver of tests/testdrv.c below it (client and
 * supplicant devices). The normal world's user space is the hostile or
 * clumsy party: bad pointers (NULL, unmapped, read-only, a device mapping),
 * wrong lengths, unknown attributes and flags, foreign and stale shm ids,
 * fds of the wrong kind, sessions of other contexts, process exits with
 * everything still open.
 *
 * Oracles: after every step the core's counts of fds and mappings equal what
 * the program holds; at the end, after closing every fd and unmapping every
 * mapping, teesim_tee_stats shows no context, shm, session, fd, mapping,
 * pinned page or id; after the driver is removed and the processes exit the
 * machine holds no pin, user or kernel page, and no violation (refcount
 * misuse included) was recorded.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/check.h>

#ifndef FUZZ_UAPI_BACKEND
#include "testdrv.h"
#endif
#include "uapi-prog.h"
#include "fuzz-heap.h"
#include "fuzz-input.h"

#define NPROC	   2
#define NFD	   12
#define NMAP	   8
#define ARG_PAGES  1
#define BUF_PAGES  3
#define MAX_PARAMS 6
#define PAGE	   TEESIM_PAGE_SIZE

/* v << (s % @mod), with v read before s (C leaves operand order open). */
static uint64_t shifted(struct input *in, unsigned mod)
{
	uint64_t v = next(in);

	return v << (next(in) % mod);
}

struct proc {
	struct teesim_process *p;
	unsigned char *arg; /* ARG_PAGES of read-write scratch for ioctl arguments */
	unsigned char *buf; /* BUF_PAGES read-write, for SHM_REGISTER */
	unsigned char *ro;  /* one read-only page */
	int fds[NFD];	    /* -1: free slot */
	struct {
		void *addr;
		size_t len;
	} maps[NMAP];
	uint32_t sessions[4];
};

struct run {
	struct teesim_machine *m;
#ifdef FUZZ_UAPI_BACKEND
	struct uapi_backend *be; /* the driver below the core, of the including target */
#else
	struct testdrv *td;
#endif
	struct proc pr[NPROC];
	unsigned nfds, nmaps;
};

static void fail(const char *what)
{
	fprintf(stderr, "%s: invariant broken: %s\n", FUZZ_UAPI_NAME, what);
	abort();
}

static void check_counts(struct run *r)
{
	struct teesim_tee_stats st;
	uint64_t xfds = 0, xmaps = 0;

	uapi_extra(r, &xfds, &xmaps);
	teesim_tee_stats(r->m, &st);
	if (st.files != r->nfds + xfds)
		fail("open fd count differs from the fds the program holds");
	if (st.mappings != r->nmaps + xmaps)
		fail("mapping count differs from the mappings the program holds");
}

static void keep_fd(struct run *r, struct proc *pr, int fd)
{
	if (fd < 0)
		return;
	r->nfds++;
	for (int i = 0; i < NFD; i++)
		if (pr->fds[i] < 0) {
			pr->fds[i] = fd;
			return;
		}
	/* no room: give it back at once */
	if (teesim_close(pr->p, fd))
		fail("close of a fresh fd failed");
	r->nfds--;
}

static int pick_fd(struct proc *pr, struct input *in)
{
	uint8_t b = next(in);

	if (b >= 0xf0)
		return (int) (int8_t) next(in); /* any number, negative ones too */
	return pr->fds[b % NFD] >= 0 ? pr->fds[b % NFD] : (int) (b % 24);
}

/* A user pointer: mostly the scratch page, sometimes hostile. */
static uint64_t pick_ptr(struct proc *pr, struct input *in, size_t *room)
{
	uint8_t b = next(in);

	*room = 0;
	switch (b % 16) {
	case 12:
		return 0;
	case 13:
		return 0x1000; /* never mapped */
	case 14:
		*room = PAGE;
		return (uintptr_t) pr->ro;
	case 15:
		return (uintptr_t) (pr->arg + ARG_PAGES * PAGE - 8); /* runs off the end */
	default:
		*room = ARG_PAGES * PAGE;
		return (uintptr_t) pr->arg;
	}
}

/* An shm id: one that some fd of ours names, or anything. */
static uint64_t pick_shm_id(struct run *r, struct input *in)
{
	uint8_t b = next(in);
	struct proc *pr = &r->pr[b & 1];
	struct teesim_tee_fd_info info;
	int fd = pr->fds[(b >> 1) % NFD];

	if (b >= 0xe0)
		return next32(in);
	if (fd >= 0 && !teesim_tee_fd_info(pr->p, fd, &info) && info.kind == TEESIM_TEE_FD_SHM)
		return (uint64_t) (uint32_t) info.shm.id;
	return b % 8;
}

static void gen_params(struct run *r, struct input *in, struct tee_ioctl_param *p, uint32_t n)
{
	static const uint64_t attrs[] = {
	    TEE_IOCTL_PARAM_ATTR_TYPE_NONE,	    TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT,
	    TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT, TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT,
	    TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT,
	    TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT, TEE_IOCTL_PARAM_ATTR_META,
	};

	for (uint32_t i = 0; i < n; i++) {
		uint8_t b = next(in);

		p[i].attr = b & 0x80 ? next64(in) : attrs[b % 8];
		if ((p[i].attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK) >=
		    TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT) {
			p[i].a = b & 0x40 ? next64(in) : (uint64_t) next(in) * 8; /* offset */
			p[i].b = b & 0x20 ? next64(in) : shifted(in, 14);
			p[i].c = b & 0x10 ? (uint64_t) TEE_MEMREF_NULL : pick_shm_id(r, in);
		} else {
			p[i].a = next32(in);
			p[i].b = next32(in);
			p[i].c = next32(in);
		}
	}
}

/* OPEN_SESSION, INVOKE, SUPPL_RECV, SUPPL_SEND: a buf_data pointing at an argument. */
static int buf_ioctl(struct run *r, struct proc *pr, int fd, unsigned long req, struct input *in)
{
	uint8_t b = next(in);
	uint32_t n = b & 0x80 ? next32(in) : (uint32_t) (b % (MAX_PARAMS + 1));
	size_t hdr = req == TEE_IOC_OPEN_SESSION ? sizeof(struct tee_ioctl_open_session_arg)
		     : req == TEE_IOC_INVOKE	 ? sizeof(struct tee_ioctl_invoke_arg)
		     : req == TEE_IOC_SUPPL_RECV ? sizeof(struct tee_iocl_supp_recv_arg)
						 : sizeof(struct tee_iocl_supp_send_arg);
	struct tee_ioctl_buf_data *bd = (void *) pr->arg;
	unsigned char *a = pr->arg + 64;
	size_t room;
	uint32_t np = n < MAX_PARAMS ? n : MAX_PARAMS;
	struct tee_ioctl_param *params = (void *) (a + hdr);
	uint64_t ptr;

	memset(a, 0, hdr + np * sizeof(*params));
	if (req == TEE_IOC_OPEN_SESSION) {
		struct tee_ioctl_open_session_arg *o = (void *) a;

		uapi_uuid(r, in, o->uuid);
		o->clnt_login = next(in) & 0x80 ? next32(in) : next(in) % 8;
		o->cancel_id = next(in);
		o->num_params = n;
	} else if (req == TEE_IOC_INVOKE) {
		struct tee_ioctl_invoke_arg *v = (void *) a;

		v->func = next(in);
		v->session = next(in) & 0x80 ? next32(in) : pr->sessions[next(in) % 4];
		v->cancel_id = next(in);
		v->num_params = n;
	} else if (req == TEE_IOC_SUPPL_RECV) {
		struct tee_iocl_supp_recv_arg *s = (void *) a;

		s->num_params = n;
	} else {
		struct tee_iocl_supp_send_arg *s = (void *) a;

		s->ret = next(in) & 1 ? 0 : next32(in);
		s->num_params = n;
	}
	gen_params(r, in, params, np);
	ptr = pick_ptr(pr, in, &room);
	bd->buf_ptr = room ? (uintptr_t) a : ptr;
	bd->buf_len = next(in) & 0x80 ? next32(in) : hdr + np * sizeof(*params);
	if (next(in) & 1)
		bd->buf_len -= next(in) % 16;
	(void) room;
	{
		int rc =
		    teesim_ioctl(pr->p, fd, req, (next(in) & 0x1f) ? bd : (void *) (uintptr_t) ptr);

		if (!rc && req == TEE_IOC_OPEN_SESSION)
			pr->sessions[b % 4] = ((struct tee_ioctl_open_session_arg *) a)->session;
		return rc;
	}
}

static void op_ioctl(struct run *r, struct proc *pr, struct input *in, uint8_t kind)
{
	int fd = pick_fd(pr, in);
	size_t room;
	uint64_t ptr;
	int rc;

	switch (kind) {
	case 0:
		ptr = pick_ptr(pr, in, &room);
		teesim_ioctl(pr->p, fd, TEE_IOC_VERSION, (void *) (uintptr_t) ptr);
		break;
	case 1: {
		struct tee_ioctl_shm_alloc_data *d = (void *) pr->arg;
		uint8_t b = next(in);

		d->size = b & 0x80 ? next64(in) : shifted(in, 16);
		d->flags = b & 0x40 ? next32(in) : 0;
		d->id = (int32_t) next32(in);
		ptr = pick_ptr(pr, in, &room);
		rc =
		    teesim_ioctl(pr->p, fd, TEE_IOC_SHM_ALLOC, room ? d : (void *) (uintptr_t) ptr);
		keep_fd(r, pr, rc);
		break;
	}
	case 2: {
		struct tee_ioctl_shm_register_data *d = (void *) pr->arg;
		uint8_t b = next(in);

		switch (b % 6) {
		case 0:
		case 1:
			d->addr = (uintptr_t) pr->buf + (uint64_t) next(in) * 64;
			break;
		case 2:
			d->addr = (uintptr_t) pr->ro;
			break;
		case 3:
			d->addr = pr->maps[b / 8 % NMAP].addr
				      ? (uintptr_t) pr->maps[b / 8 % NMAP].addr
				      : 0x2000;
			break;
		case 4:
			d->addr =
			    (uintptr_t) r->pr[!(pr - r->pr)].buf; /* another process's memory */
			break;
		default:
			d->addr = next64(in);
			break;
		}
		d->length = b & 0x40 ? next64(in) : (uint64_t) next(in) * 97;
		d->flags = b & 0x80 ? next32(in) : 0;
		d->id = 0;
		ptr = pick_ptr(pr, in, &room);
		rc = teesim_ioctl(pr->p, fd, TEE_IOC_SHM_REGISTER,
				  room ? d : (void *) (uintptr_t) ptr);
		keep_fd(r, pr, rc);
		break;
	}
	case 3:
		buf_ioctl(r, pr, fd, TEE_IOC_OPEN_SESSION, in);
		break;
	case 4:
		buf_ioctl(r, pr, fd, TEE_IOC_INVOKE, in);
		break;
	case 5: {
		struct tee_ioctl_cancel_arg *c = (void *) pr->arg;

		c->cancel_id = next(in);
		c->session = pr->sessions[next(in) % 4];
		teesim_ioctl(pr->p, fd, TEE_IOC_CANCEL, c);
		break;
	}
	case 6: {
		struct tee_ioctl_close_session_arg *c = (void *) pr->arg;
		uint8_t b = next(in);

		c->session = b & 0x80 ? next32(in) : pr->sessions[b % 4];
		if (!teesim_ioctl(pr->p, fd, TEE_IOC_CLOSE_SESSION, c))
			pr->sessions[b % 4] = 0;
		break;
	}
	case 7: {
		/* the driver posts a request, the supplicant takes it and answers */
		uapi_supp_post(r, in);
		buf_ioctl(r, pr, fd, TEE_IOC_SUPPL_RECV, in);
		break;
	}
	case 8:
		buf_ioctl(r, pr, fd, TEE_IOC_SUPPL_SEND, in);
		break;
	default: {
		/* any request number, any argument bytes */
		unsigned long req = next(in) & 1 ? 0xa400u | next(in) : next32(in);

		for (int i = 0; i < 32; i++)
			pr->arg[i] = next(in);
		ptr = pick_ptr(pr, in, &room);
		rc = teesim_ioctl(pr->p, fd, req, room ? pr->arg : (void *) (uintptr_t) ptr);
		if (rc > 0 && req != TEE_IOC_SHM_ALLOC && req != TEE_IOC_SHM_REGISTER)
			fail("an ioctl other than SHM_ALLOC / SHM_REGISTER returned an fd");
		if (rc > 0)
			keep_fd(r, pr, rc); /* the raw request was a real SHM_ALLOC / REGISTER */
		break;
	}
	}
}

static void op_mmap(struct run *r, struct proc *pr, struct input *in)
{
	uint8_t b = next(in);
	int slot = b % NMAP;

	if (pr->maps[slot].addr) {
		size_t len = pr->maps[slot].len;

		/*
		 * A partial unmap must be refused. Mappings of one shm share its
		 * address (zero copy), so skip it when another mapping we hold is
		 * exactly that first page: the unmap would rightly take that one.
		 */
		if (b & 0x80 && len > PAGE) {
			bool other = false;

			for (int i = 0; i < NMAP; i++)
				if (i != slot && pr->maps[i].addr == pr->maps[slot].addr &&
				    (pr->maps[i].len + PAGE - 1) / PAGE == 1)
					other = true;
			if (!other && teesim_munmap(pr->p, pr->maps[slot].addr, PAGE) != -EINVAL)
				fail("a partial munmap was not refused");
		}
		if (teesim_munmap(pr->p, pr->maps[slot].addr, len))
			fail("munmap of a mapping failed");
		pr->maps[slot].addr = NULL;
		r->nmaps--;
		return;
	}
	int fd = pick_fd(pr, in);
	size_t len = next(in) & 0x80 ? next32(in) : (size_t) (1 + next(in) % 4) * PAGE;
	unsigned prot = next(in) % 8;
	uint64_t off = next(in) & 0x80 ? next64(in) : 0;
	void *a = teesim_mmap(pr->p, fd, len, prot, off);

	if (a) {
		pr->maps[slot].addr = a;
		pr->maps[slot].len = len;
		r->nmaps++;
		if (prot & TEESIM_PROT_WRITE)
			memset(a, b, len < 64 ? len : 64);
	}
}

static void op_close(struct run *r, struct proc *pr, struct input *in)
{
	uint8_t b = next(in);
	int slot = b % NFD;

	if (pr->fds[slot] >= 0 && !(b & 0x80)) {
		if (teesim_close(pr->p, pr->fds[slot]))
			fail("close of an open fd failed");
		pr->fds[slot] = -1;
		r->nfds--;
		return;
	}
	/* an fd that is not open */
	int fd = (int) (int8_t) next(in);

	for (int i = 0; i < NFD; i++)
		if (pr->fds[i] == fd)
			return;
	if (teesim_close(pr->p, fd) != -EBADF)
		fail("close of an fd that is not open did not give -EBADF");
}

static int proc_init(struct run *r, struct proc *pr)
{
	struct teesim_guest *g = teesim_machine_guest(r->m, 0);

	memset(pr, 0, sizeof(*pr));
	for (int i = 0; i < NFD; i++)
		pr->fds[i] = -1;
	pr->p = teesim_process_new(g);
	if (!pr->p)
		return -1;
	pr->arg =
	    teesim_process_mmap(pr->p, ARG_PAGES * PAGE, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	pr->buf =
	    teesim_process_mmap(pr->p, BUF_PAGES * PAGE, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	pr->ro = teesim_process_mmap(pr->p, PAGE, TEESIM_PROT_READ);
	(void) r;
	return pr->arg && pr->buf && pr->ro ? 0 : -1;
}

/* Process exit: the core closes what the program still holds. */
static void proc_exit(struct run *r, struct proc *pr)
{
	for (int i = 0; i < NFD; i++)
		if (pr->fds[i] >= 0)
			r->nfds--;
	for (int i = 0; i < NMAP; i++)
		if (pr->maps[i].addr)
			r->nmaps--;
	teesim_process_free(pr->p);
	pr->p = NULL;
}

/* The program: up to 200 steps over the processes, counts checked after each. */
static void uapi_run_program(struct run *r, struct input *in)
{
	static const char *const paths[] = {"/dev/tee0", "/dev/teepriv0",  "/dev/tee1",
					    "/dev/tee",	 "/dev/teepriv15", "tee0"};

	for (int steps = 0; in->n && steps < 200; steps++) {
		uint8_t op = next(in);
		struct proc *pr = &r->pr[op >> 7];

		uapi_step(r);
		switch (op % 8) {
		case 0: {
			const char *path = paths[next(in) % 6];
			int fd = teesim_open(pr->p, path, (int) next(in));

			keep_fd(r, pr, fd);
			break;
		}
		case 1:
			op_close(r, pr, in);
			break;
		case 2:
		case 3:
		case 4:
			op_ioctl(r, pr, in, next(in) % 10);
			break;
		case 5:
		case 6:
			op_mmap(r, pr, in);
			break;
		default:
			if ((op & 0x70) == 0x70) {
				/* the process exits with everything open, and a new one starts */
				proc_exit(r, pr);
				if (proc_init(r, pr)) {
					/* No room for the new process's maps: the other
					 * process and the kernel (shms the program still
					 * holds, the driver's own pages) hold the rest of a
					 * small machine, or what is free is in pieces. Not a
					 * finding: the program ends, and the checks after it
					 * still find any page nobody should hold. */
					if (errno != ENOMEM)
						fail("process setup failed");
					proc_exit(r, pr); /* the part that was set up */
					return;
				}
			} else {
				/* the driver changes its scripted answers */
				uapi_script(r, in);
			}
			break;
		}
		check_counts(r);
	}
}

static void uapi_close_all(struct run *r)
{
	/* unmap and close everything, then the processes exit */
	for (int i = 0; i < NPROC; i++) {
		struct proc *pr = &r->pr[i];

		for (int k = 0; k < NMAP; k++)
			if (pr->maps[k].addr) {
				if (teesim_munmap(pr->p, pr->maps[k].addr, pr->maps[k].len))
					fail("final munmap failed");
				pr->maps[k].addr = NULL;
				r->nmaps--;
			}
		for (int k = 0; k < NFD; k++)
			if (pr->fds[k] >= 0) {
				if (teesim_close(pr->p, pr->fds[k]))
					fail("final close failed");
				pr->fds[k] = -1;
				r->nfds--;
			}
	}
}

#ifndef FUZZ_UAPI_BACKEND
/* ---- the test driver below the core ---- */

static void uapi_supp_post(struct run *r, struct input *in)
{
	struct tee_param p[2];
	uint32_t n = next(in) % 3;

	memset(p, 0, sizeof(p));
	for (uint32_t i = 0; i < n; i++) {
		p[i].attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT + next(in) % 3;
		p[i].u.value.a = next(in);
	}
	if (next(in) & 1)
		testdrv_supp_post(r->td, next(in), p, n);
}

static void uapi_script(struct run *r, struct input *in)
{
	r->td->ret = next(in) & 1 ? 0 : next32(in);
	r->td->memref_out_size = (int8_t) next(in) * 64;
}

static void uapi_uuid(struct run *r, struct input *in, uint8_t uuid[16])
{
	(void) r;
	uuid[0] = next(in);
}

static void uapi_step(struct run *r)
{
	(void) r;
}

static void uapi_extra(struct run *r, uint64_t *fds, uint64_t *maps)
{
	(void) r;
	*fds = *maps = 0;
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
	struct teesim_machine_cfg mc;
	struct testdrv_cfg tc;
	struct teesim_tee_stats st;
	struct teesim_machine_stats ms;
	struct teesim_check_report rep;
	struct run r;
	uint8_t conf = next(&in);

	memset(&r, 0, sizeof(r));
	teesim_machine_cfg_default(&mc);
	mc.ram_size = 64 * PAGE;
	mc.secure_size = 0;
	mc.static_shm_size = 8 * PAGE;
	mc.static_shm_base = mc.ram_base - mc.static_shm_size;
	mc.poison = false;
	mc.remap = conf & 8 ? TEESIM_REMAP_SHUFFLE : TEESIM_REMAP_IDENTITY;
	mc.allow_host_memory = false;
	r.m = teesim_machine_new(&mc);
	if (!r.m)
		fail("machine_new failed");
	memset(&tc, 0, sizeof(tc));
	tc.reg_mem = conf & 1;
	tc.memref_null = conf & 2;
	tc.kmem_pool = conf & 4;
	tc.supplicant = true;
	tc.pool_pages = 8; /* small pools: fewer pages to zero per input */
	r.td = testdrv_new(r.m, &tc);
	for (int i = 0; i < NPROC; i++)
		if (proc_init(&r, &r.pr[i]))
			fail("process setup failed");

	uapi_run_program(&r, &in);

	/* unmap and close everything, then the processes exit */
	uapi_close_all(&r);
	teesim_tee_stats(r.m, &st);
	if (st.contexts || st.shms || st.sessions || st.files || st.mappings || st.pinned_pages ||
	    st.ids) {
		fprintf(
		    stderr,
		    "contexts %llu shms %llu sessions %llu files %llu mappings %llu pinned %llu "
		    "ids %llu\n",
		    (unsigned long long) st.contexts, (unsigned long long) st.shms,
		    (unsigned long long) st.sessions, (unsigned long long) st.files,
		    (unsigned long long) st.mappings, (unsigned long long) st.pinned_pages,
		    (unsigned long long) st.ids);
		fail("tee core not empty after closing every fd");
	}
	if (teesim_check_machine(r.m, TEESIM_CHECK_IDLE, &rep)) {
		fprintf(stderr, "%s", rep.text);
		fail("invariant checker after closing every fd");
	}
	for (int i = 0; i < NPROC; i++)
		proc_exit(&r, &r.pr[i]);
	testdrv_free(r.td);
	if (teesim_check_machine(r.m, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, &rep)) {
		fprintf(stderr, "%s", rep.text);
		fail("invariant checker after the driver was removed");
	}
	teesim_tee_stats(r.m, &st);
	if (st.devices)
		fail("devices left after the driver was removed");
	teesim_machine_stats(r.m, &ms);
	if (ms.pins || ms.pinned_pages || ms.user_pages || ms.kernel_pages || ms.processes)
		fail("machine not clean at the end");
	if (ms.violations) {
		struct teesim_violation v;

		teesim_machine_violations(r.m, &v, 1);
		fprintf(stderr, "violation %s at %llx\n", teesim_violation_name(v.kind),
			(unsigned long long) v.addr);
		fail("violations recorded");
	}
	teesim_machine_free(r.m);
	return 0;
}
#endif /* FUZZ_UAPI_BACKEND */
