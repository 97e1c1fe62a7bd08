/* SPDX-License-Identifier: MIT */
/*
 * teesim: command-line front end.
 *
 *   teesim demo [--seed N] [--pages N] [--offset N] [--identity]
 *   teesim version
 *
 * The demo runs the whole stack: a machine whose guest RAM is scattered over
 * physical memory (stage-2 remap, translated by the Xen-like mediator), the
 * fake OP-TEE secure world, the OP-TEE driver in guest 0's kernel and an
 * inline supplicant. A client registers a buffer (zero copy: SHM_REGISTER),
 * the mem TA fills it and checksums it by physical address, and every SMC
 * and RPC is traced. It exits 0 when both sides saw the same bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/teesim.h>

struct demo_opts {
	uint64_t seed;
	size_t pages;
	size_t offset;
	bool identity;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: teesim demo [--seed N] [--pages N] [--offset N] [--identity]\n"
		"       teesim version\n"
		"\n"
		"demo      register a client buffer with OP-TEE, have a TA fill and checksum it,\n"
		"          trace every SMC and RPC; exits 0 when the bytes match\n"
		"--seed    seed of the stage-2 permutation (default 42)\n"
		"--pages   pages the buffer spans (1..128, default 5)\n"
		"--offset  where the data starts inside its first page (0..4095, default 0x234)\n"
		"--identity  guest pages on consecutive frames (IPA == PA), no mediator\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || !*s || *end || v > max || *s == '-')
		return -1;
	*out = v;
	return 0;
}

static int parse_demo(int argc, char **argv, struct demo_opts *o)
{
	o->seed = 42;
	o->pages = 5;
	o->offset = 0x234;
	o->identity = false;
	for (int i = 2; i < argc; i++) {
		uint64_t v;

		if (!strcmp(argv[i], "--identity")) {
			o->identity = true;
		} else if (i + 1 < argc && !strcmp(argv[i], "--seed")) {
			if (parse_u64(argv[++i], UINT64_MAX, &o->seed))
				return -1;
		} else if (i + 1 < argc && !strcmp(argv[i], "--pages")) {
			if (parse_u64(argv[++i], 128, &v) || v == 0)
				return -1;
			o->pages = (size_t) v;
		} else if (i + 1 < argc && !strcmp(argv[i], "--offset")) {
			if (parse_u64(argv[++i], TEESIM_PAGE_SIZE - 1, &v))
				return -1;
			o->offset = (size_t) v;
		} else {
			return -1;
		}
	}
	return 0;
}

/* ---- the trace ---- */

struct demo {
	const struct demo_opts *o;
	struct teesim_stack *st;
	struct teesim_mediator *med;
	struct teesim_guest *g;
	uint64_t call_ipa; /* argument of the yielding call in flight */
	uint32_t call_nparams;
	uint32_t last_rpc;	      /* RPC function of the last answer */
	uint64_t rpc_cookie, rpc_ipa; /* the RPC_ALLOC buffer */
	unsigned nsmc;
};

static const char *fast_name(uint32_t a0)
{
	switch (a0) {
	case TEESIM_OPTEE_SMC_CALLS_UID:
		return "CALLS_UID";
	case TEESIM_OPTEE_SMC_CALLS_REVISION:
		return "CALLS_REVISION";
	case TEESIM_OPTEE_SMC_CALL_GET_OS_REVISION:
		return "GET_OS_REVISION";
	case TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES:
		return "EXCHANGE_CAPABILITIES";
	case TEESIM_OPTEE_SMC_GET_SHM_CONFIG:
		return "GET_SHM_CONFIG";
	case TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE:
		return "DISABLE_SHM_CACHE";
	case TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE:
		return "ENABLE_SHM_CACHE";
	case TEESIM_OPTEE_SMC_CALL_WITH_ARG:
		return "CALL_WITH_ARG";
	case TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG:
		return "CALL_WITH_RPC_ARG";
	case TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC:
		return "RETURN_FROM_RPC";
	default:
		return NULL;
	}
}

static const char *msg_cmd_name(uint32_t cmd)
{
	static const char *const n[] = {"OPEN_SESSION", "INVOKE_COMMAND", "CLOSE_SESSION",
					"CANCEL",	"REGISTER_SHM",	  "UNREGISTER_SHM"};

	return cmd < sizeof(n) / sizeof(n[0]) ? n[cmd] : "?";
}

static const char *rpc_cmd_name(uint32_t cmd)
{
	static const char *const n[] = {"LOAD_TA",    "RPMB",	 "FS",	      "GET_TIME",
					"WAIT_QUEUE", "SUSPEND", "SHM_ALLOC", "SHM_FREE"};

	return cmd < sizeof(n) / sizeof(n[0]) ? n[cmd] : "?";
}

static const char *ret_name(uint32_t a0)
{
	static const char *const n[] = {"OK",	    "ETHREAD_LIMIT", "EBUSY",  "ERESUME",
					"EBADADDR", "EBADCMD",	     "ENOMEM", "ENOTAVAIL"};

	return a0 < sizeof(n) / sizeof(n[0]) ? n[a0] : "?";
}

/* The kernel's view of guest memory at @ipa (NULL if not RAM). */
static const void *guest_mem(struct demo *d, uint64_t ipa)
{
	return teesim_guest_ipa_host(d->g, ipa);
}

static void trace(void *ctx, struct teesim_guest *from, const struct teesim_smc_regs *in,
		  const struct teesim_smc_regs *out)
{
	struct demo *d = ctx;
	const char *name = fast_name(in->a[0]);
	uint32_t r = out->a[0];

	(void) from;
	d->nsmc++;
	printf("  smc %3u  %-22s", d->nsmc, name ? name : "?");
	if (in->a[0] == TEESIM_OPTEE_SMC_CALL_WITH_ARG ||
	    in->a[0] == TEESIM_OPTEE_SMC_CALL_WITH_RPC_ARG) {
		const struct teesim_optee_msg_arg *a;

		d->call_ipa = ((uint64_t) in->a[1] << 32) | in->a[2];
		a = guest_mem(d, d->call_ipa);
		d->call_nparams = a ? a->num_params : 0;
		printf(" arg@IPA 0x%" PRIx64 " %s", d->call_ipa, a ? msg_cmd_name(a->cmd) : "?");
		if (a && a->cmd == TEESIM_OPTEE_MSG_CMD_REGISTER_SHM)
			printf(" (page list at 0x%" PRIx64 ", offset 0x%" PRIx64 ", %" PRIu64
			       " bytes)",
			       a->params[0].u.tmem.buf_ptr & ~(uint64_t) 0xfff,
			       a->params[0].u.tmem.buf_ptr & 0xfff, a->params[0].u.tmem.size);
		else if (a && a->cmd == TEESIM_OPTEE_MSG_CMD_INVOKE_COMMAND)
			printf(" session %u func %u", a->session, a->func);
	} else if (in->a[0] == TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC) {
		printf(" thread %u", in->a[3]);
		if (d->last_rpc == TEESIM_OPTEE_SMC_RETURN_RPC_ALLOC) {
			d->rpc_ipa = ((uint64_t) in->a[1] << 32) | in->a[2];
			d->rpc_cookie = ((uint64_t) in->a[4] << 32) | in->a[5];
			printf(" (buffer at IPA 0x%" PRIx64 ")", d->rpc_ipa);
		}
	}
	d->last_rpc = r;
	if (TEESIM_OPTEE_SMC_RETURN_IS_RPC(r)) {
		switch (TEESIM_OPTEE_SMC_RETURN_GET_RPC_FUNC(r)) {
		case TEESIM_OPTEE_SMC_RPC_FUNC_ALLOC:
			printf("\n           -> rpc ALLOC %u bytes", out->a[1]);
			break;
		case TEESIM_OPTEE_SMC_RPC_FUNC_FREE:
			printf("\n           -> rpc FREE");
			break;
		case TEESIM_OPTEE_SMC_RPC_FUNC_FOREIGN_INTR:
			printf("\n           -> rpc FOREIGN_INTR");
			break;
		case TEESIM_OPTEE_SMC_RPC_FUNC_CMD: {
			uint64_t cookie = ((uint64_t) out->a[1] << 32) | out->a[2];
			uint64_t at =
			    cookie == 0
				? d->call_ipa + TEESIM_OPTEE_MSG_GET_ARG_SIZE(d->call_nparams)
			    : cookie == d->rpc_cookie ? d->rpc_ipa
						      : 0;
			const struct teesim_optee_msg_arg *a = at ? guest_mem(d, at) : NULL;

			printf("\n           -> rpc CMD %s", a ? rpc_cmd_name(a->cmd) : "?");
			break;
		}
		default:
			printf("\n           -> rpc 0x%x", r);
		}
	} else if (in->a[0] == TEESIM_OPTEE_SMC_CALLS_UID) {
		printf(" -> %08x-%04x-%04x-%04x-%04x%08x%s", r, out->a[1] >> 16, out->a[1] & 0xffff,
		       out->a[2] >> 16, out->a[2] & 0xffff, out->a[3],
		       r == TEESIM_OPTEE_MSG_UID_0 ? " (OP-TEE API)" : "");
	} else if (in->a[0] == TEESIM_OPTEE_SMC_CALLS_REVISION ||
		   in->a[0] == TEESIM_OPTEE_SMC_CALL_GET_OS_REVISION) {
		printf(" -> %u.%u", r, out->a[1]);
	} else if (in->a[0] == TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES) {
		printf(" -> %s, secure caps 0x%x", ret_name(r), out->a[1]);
	} else if (in->a[0] == TEESIM_OPTEE_SMC_GET_SHM_CONFIG && r == 0) {
		printf(" -> OK, pool at 0x%x, %u bytes", out->a[1], out->a[2]);
	} else {
		printf(" -> %s", ret_name(r));
	}
	printf("\n");
}

/* ---- the stack's hooks: the mediator between the secure world and the driver ---- */

static int pre_probe(void *ctx, struct teesim_stack *st)
{
	struct demo *d = ctx;

	d->g = teesim_machine_guest(st->machine, 0);
	d->st = st;
	printf("probe     the driver in guest 0's kernel:\n");
	teesim_smc_set_trace(st->machine, trace, d);
	if (d->o->identity)
		return 0;
	d->med = teesim_mediator_new(st->machine, NULL);
	return d->med ? 0 : -errno;
}

static void free_mediator(void *ctx, struct teesim_stack *st)
{
	struct demo *d = ctx;

	(void) st;
	teesim_mediator_free(d->med);
	d->med = NULL;
}

/* ---- the client's side ---- */

static void *umem(struct teesim_process *p, size_t len)
{
	return teesim_process_mmap(p, len, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
}

static int client_open_uuid(struct teesim_process *p, int fd, const char *uuid, uint32_t *session,
			    uint32_t *ret)
{
	struct tee_ioctl_open_session_arg *a = umem(p, TEESIM_PAGE_SIZE);
	struct tee_ioctl_buf_data *b = (void *) ((char *) a + 2048);
	struct teesim_uuid u;
	int rc;

	if (!a)
		return -ENOMEM;
	teesim_uuid_parse(uuid, &u);
	memcpy(a->uuid, u.b, 16);
	a->clnt_login = TEE_IOCTL_LOGIN_PUBLIC;
	b->buf_ptr = (uintptr_t) a;
	b->buf_len = sizeof(*a);
	rc = teesim_ioctl(p, fd, TEE_IOC_OPEN_SESSION, b);
	*session = a->session;
	*ret = a->ret;
	teesim_process_munmap(p, a, TEESIM_PAGE_SIZE);
	return rc;
}

/* INVOKE @func with p0 = memref of shm @id [0, len), p1 value {a = @arg}; values back in @v. */
static int client_invoke(struct teesim_process *p, int fd, uint32_t session, uint32_t func, int id,
			 size_t len, uint64_t attr0, uint64_t attr1, uint64_t arg, uint64_t v[2],
			 uint32_t *ret)
{
	size_t sz = sizeof(struct tee_ioctl_invoke_arg) + 2 * sizeof(struct tee_ioctl_param);
	struct tee_ioctl_invoke_arg *a = umem(p, TEESIM_PAGE_SIZE);
	struct tee_ioctl_buf_data *b = (void *) ((char *) a + 2048);
	int rc;

	if (!a)
		return -ENOMEM;
	a->session = session;
	a->func = func;
	a->num_params = 2;
	a->params[0].attr = attr0;
	a->params[0].b = len;
	a->params[0].c = (uint64_t) id;
	a->params[1].attr = attr1;
	a->params[1].a = arg;
	b->buf_ptr = (uintptr_t) a;
	b->buf_len = sz;
	rc = teesim_ioctl(p, fd, TEE_IOC_INVOKE, b);
	v[0] = a->params[1].a;
	v[1] = a->params[1].b;
	*ret = a->ret;
	teesim_process_munmap(p, a, TEESIM_PAGE_SIZE);
	return rc;
}

static void client_close(struct teesim_process *p, int fd, uint32_t session)
{
	struct tee_ioctl_close_session_arg *a = umem(p, TEESIM_PAGE_SIZE);

	if (!a)
		return;
	a->session = session;
	teesim_ioctl(p, fd, TEE_IOC_CLOSE_SESSION, a);
	teesim_process_munmap(p, a, TEESIM_PAGE_SIZE);
}

static uint32_t fnv32(const unsigned char *p, size_t n)
{
	uint32_t h = 0x811c9dc5u;

	while (n--) {
		h ^= *p++;
		h *= 0x01000193u;
	}
	return h;
}

static int register_buffer(struct demo *d, struct teesim_process *p, int fd, unsigned char *buf,
			   size_t len, int *id)
{
	struct tee_ioctl_shm_register_data *r = umem(p, TEESIM_PAGE_SIZE);
	int rc;

	if (!r)
		return -ENOMEM;
	r->addr = (uintptr_t) (buf + d->o->offset);
	r->length = len;
	rc = teesim_ioctl(p, fd, TEE_IOC_SHM_REGISTER, r);
	*id = r->id;
	teesim_process_munmap(p, r, TEESIM_PAGE_SIZE);
	return rc;
}

/* What each side sees of the buffer's pages: user address, IPA, PA, the secure world's PA. */
static size_t show_pages(struct demo *d, struct teesim_process *p, unsigned char *buf)
{
	size_t n = d->o->pages, scattered = 0, agree = 0;
	teesim_ipa_t *ipas = calloc(n, sizeof(*ipas));
	teesim_pa_t *sw = calloc(n, sizeof(*sw));
	struct teesim_sw_shm_info so;

	if (!ipas || !sw || teesim_process_pin(p, (uintptr_t) buf, n, 0, ipas) != (long) n ||
	    teesim_sw_shm_objects(d->st->sw, &so, 1) != 1 ||
	    teesim_sw_shm_pages(d->st->sw, so.cookie, sw, n) != (long) n) {
		free(ipas);
		free(sw);
		return 0;
	}
	printf("\npages     the secure world registered %" PRIu64 " pages, offset 0x%x:\n",
	       so.npages, so.page_offset);
	printf("          %-4s  %-18s  %-12s  %-12s  %s\n", "page", "user address", "IPA",
	       "PA (stage 2)", "PA the secure world uses");
	for (size_t i = 0; i < n; i++) {
		teesim_pa_t pa = 0, prev = 0;

		teesim_guest_ipa_to_pa(d->g, ipas[i], &pa);
		if (i) {
			teesim_guest_ipa_to_pa(d->g, ipas[i - 1], &prev);
			scattered += pa != prev + TEESIM_PAGE_SIZE;
		}
		agree += pa == sw[i];
		if (n <= 16 || i < 6 || i >= n - 2)
			printf("          %-4zu  %-18p  0x%-10" PRIx64 "  0x%-10" PRIx64
			       "  0x%" PRIx64 "%s\n",
			       i, (void *) (buf + i * TEESIM_PAGE_SIZE), ipas[i], pa, sw[i],
			       pa == sw[i] ? "" : "  MISMATCH");
		else if (i == 6)
			printf("          ...\n");
	}
	printf("          contiguous for the process and the guest; %zu of %zu page steps jump in "
	       "physical memory\n",
	       scattered, n > 1 ? n - 1 : 0);
	teesim_guest_unpin(d->g, ipas, n);
	free(ipas);
	free(sw);
	return agree;
}

static int demo(const struct demo_opts *o)
{
	struct teesim_stack_cfg cfg;
	struct teesim_optee_info info;
	struct demo d = {.o = o};
	struct teesim_process *p = NULL;
	size_t len = o->pages * TEESIM_PAGE_SIZE - o->offset, agree;
	unsigned char *buf = NULL;
	uint32_t session = 0, ret = 1;
	uint32_t client_sum = 0, client_fnv, seed = (uint32_t) (o->seed & 0xff);
	uint64_t v[2] = {0, 0}, read_v[2] = {0, 0};
	int rc = 1, fd = -1, sfd = -1, id = -1, err;

	teesim_stack_cfg_default(&cfg);
	cfg.machine.seed = o->seed;
	if (!o->identity) {
		cfg.machine.remap = TEESIM_REMAP_SHUFFLE;
		cfg.machine.guest0_size = cfg.machine.ram_size - 8 * 1024 * 1024;
		cfg.sw.sec_caps |= TEESIM_OPTEE_SMC_SEC_CAP_VIRTUALIZATION;
		cfg.post_remove = free_mediator;
	}
	cfg.pre_probe = pre_probe;
	cfg.hook_ctx = &d;
	printf("machine   %" PRIu64 " MiB of RAM at PA 0x%" PRIx64 ", stage-2 %s (seed %" PRIu64
	       ")%s\n",
	       cfg.machine.ram_size >> 20, cfg.machine.ram_base,
	       o->identity ? "identity: IPA == PA" : "shuffled", o->seed,
	       o->identity ? "" : ", Xen-like mediator translating IPAs");
	d.st = teesim_stack_new(&cfg);
	if (!d.st) {
		fprintf(stderr, "teesim: cannot build the stack: %s\n", strerror(errno));
		return 1;
	}
	teesim_optee_info(d.st->drv, &info);
	printf("driver    OP-TEE %u.%u, caps 0x%x, pool: %s, RPC argument %s\n", info.os_major,
	       info.os_minor, info.sec_caps,
	       info.pool == TEESIM_OPTEE_POOL_PAGES ? "kernel pages (dynamic shm)" : "static",
	       info.rpc_param_count ? "after the call's (RPC_ARG)" : "by RPC_ALLOC");

	p = teesim_process_new(d.g);
	fd = p ? teesim_open(p, "/dev/tee0", 0) : -ENOMEM;
	buf = p ? umem(p, o->pages * TEESIM_PAGE_SIZE) : NULL;
	if (fd < 0 || !buf) {
		fprintf(stderr, "teesim: cannot set up the client\n");
		goto out;
	}
	memset(buf, 0, o->pages * TEESIM_PAGE_SIZE);
	printf(
	    "\nclient    process %u registers %zu bytes at %p (offset 0x%zx in its first page)\n",
	    teesim_process_id(p), len, (void *) (buf + o->offset), o->offset);
	sfd = register_buffer(&d, p, fd, buf, len, &id);
	if (sfd < 0) {
		fprintf(stderr, "teesim: SHM_REGISTER failed: %s\n", strerror(-sfd));
		goto out;
	}
	agree = show_pages(&d, p, buf);

	printf("\nclient    opens the mem TA, asks it to fill the buffer (seed 0x%x), then to "
	       "checksum it\n",
	       seed);
	err = client_open_uuid(p, fd, TEESIM_TA_MEM_UUID, &session, &ret);
	if (!err && !ret)
		err = client_invoke(p, fd, session, TEESIM_TA_MEM_CMD_WRITE, id, len,
				    TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT,
				    TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT, seed, v, &ret);
	if (!err && !ret)
		err = client_invoke(p, fd, session, TEESIM_TA_MEM_CMD_READ, id, len,
				    TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT,
				    TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT, 0, v, &ret);
	if (err || ret) {
		fprintf(stderr, "teesim: TA call failed: %d, ret 0x%x\n", err, ret);
		goto out;
	}
	read_v[0] = v[0];
	read_v[1] = v[1];
	printf("\nclient    asks the rpc TA for the time: an RPC the driver serves from the "
	       "virtual clock\n");
	client_close(p, fd, session);
	err = client_open_uuid(p, fd, TEESIM_TA_RPC_UUID, &session, &ret);
	if (!err && !ret)
		err = client_invoke(p, fd, session, TEESIM_TA_RPC_CMD_GET_TIME, -1, 0,
				    TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT,
				    TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT, 0, v, &ret);
	if (err || ret) {
		fprintf(stderr, "teesim: RPC call failed: %d, ret 0x%x\n", err, ret);
		rc = 1;
		goto out;
	}
	v[0] = read_v[0];
	v[1] = read_v[1];
	printf("\nclient    closes the session and the buffer (UNREGISTER_SHM on the last "
	       "reference)\n");
	client_close(p, fd, session);
	teesim_close(p, sfd);
	sfd = -1;
	teesim_smc_set_trace(d.st->machine, NULL, NULL);

	/* the client reads its own buffer: the bytes the TA wrote by physical address */
	rc = 0;
	for (size_t i = 0; i < len; i++) {
		client_sum += buf[o->offset + i];
		rc |= buf[o->offset + i] != (unsigned char) (seed + i);
	}
	client_fnv = fnv32(buf + o->offset, len);
	printf("\nchecksum  client  sum 0x%08x fnv 0x%08x\n", client_sum, client_fnv);
	printf("          TA      sum 0x%08x fnv 0x%08x\n", (uint32_t) v[0], (uint32_t) v[1]);
	rc = rc || client_sum != (uint32_t) v[0] || client_fnv != (uint32_t) v[1] ||
	     agree != o->pages;
	printf("verdict   %s\n", rc ? "MISMATCH: the two worlds saw different bytes"
				    : "bytes match: zero copy across scattered frames");
out:
	teesim_smc_set_trace(d.st->machine, NULL, NULL);
	teesim_process_free(p);
	teesim_stack_free(d.st);
	return rc;
}

int main(int argc, char **argv)
{
	struct demo_opts o;

	if (argc >= 2 && !strcmp(argv[1], "demo")) {
		if (parse_demo(argc, argv, &o)) {
			usage(stderr);
			return 2;
		}
		return demo(&o);
	}
	if (argc == 2 && !strcmp(argv[1], "version")) {
		unsigned v = teesim_version();

		printf("teesim %u.%u.%u\n", v / 10000, v / 100 % 100, v % 100);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
