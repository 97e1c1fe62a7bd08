/* SPDX-License-Identifier: MIT */
/*
 * Regressions found by the fuzz targets fuzz-driver-rpc and
 * fuzz-optee-uapi, each as a small deterministic scenario through the
 * public API. The secure world here is a few lines attached to the SMC
 * channel (as in fuzz-driver-rpc), so a test can make the driver face
 * exactly the answer that broke it.
 */
#include <stdlib.h>

#include "harness.h"

#define PAGE TEESIM_PAGE_SIZE
#define TID  0x7100u

/* ---- a scripted secure world ---- */

enum step {
	ST_ALLOC_ARG = 0, /* RPC_ALLOC of the RPC argument */
	ST_SHM_ALLOC,	  /* RPC_CMD SHM_ALLOC of APPL memory in it */
	ST_CMD_IN_APPL,	  /* RPC_CMD whose cookie is the APPL buffer */
	ST_SHM_FREE,	  /* RPC_CMD SHM_FREE of the APPL buffer */
	ST_FREE_ARG,	  /* RPC_FREE of the argument */
	ST_DONE,	  /* complete the call */
};

struct script {
	struct teesim_machine *m;
	enum step step;
	bool active;	      /* a call is being scripted */
	uint64_t arg_pa;      /* the call's message */
	uint64_t rpc_cookie;  /* RPC_ALLOC answer */
	uint64_t rpc_pa;      /* its PA */
	uint64_t appl_cookie; /* SHM_ALLOC answer */
	uint64_t appl_pa;     /* its first page */
	uint32_t appl_ret;    /* what the SHM_ALLOC said */
	uint32_t appl_msg;    /* ret of the message in the APPL buffer after its RPC */
	bool memref_as_value; /* answer OPEN_SESSION's first TA param as a VALUE_OUTPUT */
	unsigned calls;
};

struct msg1 {
	uint32_t cmd, func, session, cancel_id, pad, ret, ret_origin, num_params;
	struct teesim_optee_msg_param p;
};

static void put_cookie(struct teesim_smc_regs *r, uint64_t c)
{
	r->a[1] = (uint32_t) (c >> 32);
	r->a[2] = (uint32_t) c;
}

static void write_msg(struct script *s, uint64_t pa, uint32_t cmd, uint64_t a, uint64_t b)
{
	struct msg1 m;

	memset(&m, 0, sizeof(m));
	m.cmd = cmd;
	m.num_params = 1;
	m.ret = 0x5eed5eedu;
	m.p.attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	m.p.u.value.a = a;
	m.p.u.value.b = b;
	ck_assert_int_eq(teesim_phys_write(s->m, pa, &m, sizeof(m), TEESIM_ACC_NS), 0);
}

static void step(struct script *s, struct teesim_smc_regs *r)
{
	struct msg1 m;

	memset(r, 0, sizeof(*r));
	r->a[3] = TID;
	switch (s->step) {
	case ST_ALLOC_ARG:
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_ALLOC;
		r->a[1] = sizeof(struct msg1) * 4;
		break;
	case ST_SHM_ALLOC:
		write_msg(s, s->rpc_pa, TEESIM_OPTEE_RPC_CMD_SHM_ALLOC,
			  TEESIM_OPTEE_RPC_SHM_TYPE_APPL, 2 * PAGE);
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_CMD;
		put_cookie(r, s->rpc_cookie);
		break;
	case ST_CMD_IN_APPL:
		/* a message in the APPL buffer, named by its cookie */
		write_msg(s, s->appl_pa, TEESIM_OPTEE_RPC_CMD_SUSPEND, 1, 0);
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_CMD;
		put_cookie(r, s->appl_cookie);
		break;
	case ST_SHM_FREE:
		write_msg(s, s->rpc_pa, TEESIM_OPTEE_RPC_CMD_SHM_FREE,
			  TEESIM_OPTEE_RPC_SHM_TYPE_APPL, s->appl_cookie);
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_CMD;
		put_cookie(r, s->rpc_cookie);
		break;
	case ST_FREE_ARG:
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_RPC_FREE;
		put_cookie(r, s->rpc_cookie);
		break;
	default:
		ck_assert_int_eq(teesim_phys_read(s->m, s->arg_pa, &m, 32, TEESIM_ACC_NS), 0);
		m.ret = TEESIM_OPTEE_SUCCESS;
		if (m.cmd == TEESIM_OPTEE_MSG_CMD_OPEN_SESSION) {
			m.session = 1;
			if (s->memref_as_value) {
				struct teesim_optee_msg_param p;
				uint64_t at = s->arg_pa + 32 + 2 * sizeof(p);

				ck_assert_int_eq(
				    teesim_phys_read(s->m, at, &p, sizeof(p), TEESIM_ACC_NS), 0);
				p.attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT;
				p.u.value.c = 4; /* lands on the memref's shm pointer */
				ck_assert_int_eq(
				    teesim_phys_write(s->m, at, &p, sizeof(p), TEESIM_ACC_NS), 0);
			}
		}
		ck_assert_int_eq(teesim_phys_write(s->m, s->arg_pa, &m, 32, TEESIM_ACC_NS), 0);
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_OK;
		s->active = false;
		s->calls++;
		break;
	}
}

/* The answer to the RPC just served, then the next step. */
static void resumed(struct script *s, struct teesim_smc_regs *r)
{
	struct msg1 m;

	ck_assert_uint_eq(r->a[3], TID);
	switch (s->step) {
	case ST_ALLOC_ARG:
		s->rpc_pa = (uint64_t) r->a[1] << 32 | r->a[2];
		s->rpc_cookie = (uint64_t) r->a[4] << 32 | r->a[5];
		ck_assert_uint_ne(s->rpc_cookie, 0);
		break;
	case ST_SHM_ALLOC:
		ck_assert_int_eq(teesim_phys_read(s->m, s->rpc_pa, &m, sizeof(m), TEESIM_ACC_NS),
				 0);
		s->appl_ret = m.ret;
		ck_assert_uint_eq(m.ret, TEESIM_OPTEE_SUCCESS);
		ck_assert_uint_eq(m.p.attr, TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT |
						TEESIM_OPTEE_MSG_ATTR_NONCONTIG);
		s->appl_cookie = m.p.u.tmem.shm_ref;
		/* the first data page, from the page list */
		ck_assert_int_eq(teesim_phys_read(s->m, m.p.u.tmem.buf_ptr & ~(uint64_t) (PAGE - 1),
						  &s->appl_pa, sizeof(s->appl_pa), TEESIM_ACC_NS),
				 0);
		break;
	case ST_CMD_IN_APPL:
		ck_assert_int_eq(teesim_phys_read(s->m, s->appl_pa, &m, sizeof(m), TEESIM_ACC_NS),
				 0);
		s->appl_msg = m.ret;
		break;
	default:
		break;
	}
	s->step++;
}

static void script_smc(void *ctx, struct teesim_guest *from, struct teesim_smc_regs *r)
{
	struct script *s = ctx;
	uint32_t fn = r->a[0];

	(void) from;
	if (fn == TEESIM_OPTEE_SMC_CALL_WITH_ARG) {
		ck_assert(!s->active);
		s->active = true;
		s->arg_pa = (uint64_t) r->a[1] << 32 | r->a[2];
		step(s, r);
		return;
	}
	if (fn == TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC) {
		ck_assert(s->active);
		resumed(s, r);
		step(s, r);
		return;
	}
	memset(r, 0, sizeof(*r));
	switch (fn) {
	case TEESIM_OPTEE_SMC_CALLS_UID:
		r->a[0] = TEESIM_OPTEE_MSG_UID_0;
		r->a[1] = TEESIM_OPTEE_MSG_UID_1;
		r->a[2] = TEESIM_OPTEE_MSG_UID_2;
		r->a[3] = TEESIM_OPTEE_MSG_UID_3;
		break;
	case TEESIM_OPTEE_SMC_CALLS_REVISION:
		r->a[0] = TEESIM_OPTEE_MSG_REVISION_MAJOR;
		break;
	case TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES:
		r->a[1] = TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
		break;
	case TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE:
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL;
		break;
	case TEESIM_OPTEE_SMC_CALL_GET_OS_REVISION:
	case TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE:
		break;
	default:
		r->a[0] = TEESIM_SMC_UNKNOWN_FUNCTION;
		break;
	}
}

struct supp {
	struct teesim_supplicant *s;
	struct teesim_process *p;
	int fd;
	struct teesim_process *hog; /* takes every free page before a SHM_FREE (or NULL) */
	unsigned hogged;	    /* pages it took */
	int free_rc;		    /* what serve_fd said for the SHM_FREE */
};

static void supp_hook(void *ctx, uint32_t func)
{
	struct supp *sp = ctx;
	int rc;

	if (sp->hog && func == TEESIM_OPTEE_RPC_CMD_SHM_FREE)
		while (teesim_process_mmap(sp->hog, PAGE, TEESIM_PROT_READ | TEESIM_PROT_WRITE))
			sp->hogged++;
	rc = teesim_supplicant_serve_fd(sp->s, sp->p, sp->fd);
	if (func == TEESIM_OPTEE_RPC_CMD_SHM_FREE)
		sp->free_rc = rc;
}

/*
 * fuzz-driver-rpc, regress-rpc-cmd-in-registered-appl-shm: without RPC_ARG
 * the RPC argument is the buffer a cookie names; when the secure world
 * names an APPL buffer the supplicant registered (user pages, no kernel
 * mapping), the driver read the message at a NULL kernel address. Now it
 * is refused as tee_shm_get_va() refuses it in the kernel: nothing is
 * written into the buffer and the call goes on.
 */
START_TEST(rpc_cmd_in_unmapped_appl_shm)
{
	struct teesim_machine_cfg mc;
	struct teesim_optee_cfg dc;
	struct teesim_optee_info info;
	struct script s;
	struct supp sp;
	struct teesim_process *p;
	struct teesim_optee *drv;
	struct tee_ioctl_shm_alloc_data *d;
	int fd, shm;

	teesim_machine_cfg_default(&mc);
	mc.ram_size = 128 * PAGE;
	mc.secure_size = 0;
	memset(&s, 0, sizeof(s));
	s.m = th_machine(&mc);
	ck_assert_int_eq(teesim_smc_attach(s.m, script_smc, &s), 0);
	teesim_optee_cfg_default(&dc, TEESIM_OPTEE_DRV_LATER);
	dc.rpc_arg = false;
	dc.shm_cache = false;
	drv = teesim_optee_probe(s.m, &dc);
	ck_assert_ptr_nonnull(drv);
	ck_assert_int_eq(teesim_optee_info(drv, &info), 0);
	ck_assert(info.reg_mem);
	ck_assert_uint_eq(info.rpc_param_count, 0);

	memset(&sp, 0, sizeof(sp));
	sp.s = teesim_supplicant_new();
	ck_assert_ptr_nonnull(sp.s);
	sp.p = teesim_process_new(teesim_machine_guest(s.m, 0));
	ck_assert_ptr_nonnull(sp.p);
	sp.fd = teesim_open(sp.p, "/dev/teepriv0", 0);
	ck_assert_int_ge(sp.fd, 3);
	teesim_optee_set_supp_hook(drv, supp_hook, &sp);

	/* the page pool registers a user buffer: that REGISTER_SHM is the scripted call */
	p = teesim_process_new(teesim_machine_guest(s.m, 0));
	ck_assert_ptr_nonnull(p);
	fd = teesim_open(p, "/dev/tee0", 0);
	ck_assert_int_ge(fd, 3);
	d = teesim_process_mmap(p, PAGE, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	ck_assert_ptr_nonnull(d);
	d->size = 100;
	shm = teesim_ioctl(p, fd, TEE_IOC_SHM_ALLOC, d);
	ck_assert_int_ge(shm, 3);
	ck_assert_uint_eq(s.calls, 1);
	ck_assert_uint_eq(s.step, ST_DONE);

	/* the message in the APPL buffer was not served (nor read at address 0) */
	ck_assert_uint_eq(s.appl_ret, TEESIM_OPTEE_SUCCESS);
	ck_assert_uint_eq(s.appl_msg, 0x5eed5eedu);
	ck_assert_int_eq(teesim_optee_info(drv, &info), 0);
	ck_assert_uint_eq(info.rpc_cmds, 2); /* SHM_ALLOC and SHM_FREE */
	ck_assert_uint_eq(info.bad_cookies, 0);
	ck_assert_uint_eq(info.rpc_shms, 0);
	ck_assert_uint_eq(info.supp_requests, 2);
	ck_assert_uint_eq(info.supp_failed, 0);

	ck_assert_int_eq(teesim_close(p, shm), 0);
	ck_assert_int_eq(teesim_close(p, fd), 0);
	teesim_process_free(p);
	teesim_optee_set_supp_hook(drv, NULL, NULL);
	teesim_process_free(sp.p);
	teesim_supplicant_free(sp.s);
	teesim_optee_remove(drv);
	teesim_smc_detach(s.m);
	th_machine_done(s.m);
}
END_TEST

/*
 * fuzz-optee-uapi, regress-supplicant-free-enomem-leak: serve_fd mapped a
 * fresh page of the supplicant's process for the ioctl arguments of every
 * round, so once the guest's memory was used up the SHM_FREE round failed
 * with -ENOMEM and the supplicant kept the buffer for good. The page is
 * now mapped once and kept, as tee-supplicant keeps its request buffer.
 */
START_TEST(supplicant_frees_with_memory_exhausted)
{
	struct teesim_machine_cfg mc;
	struct teesim_optee_cfg dc;
	struct teesim_optee_info info;
	struct teesim_supplicant_stats ss;
	struct script s;
	struct supp sp;
	struct teesim_process *p;
	struct teesim_optee *drv;
	struct tee_ioctl_shm_alloc_data *d;
	int fd, shm;

	teesim_machine_cfg_default(&mc);
	mc.ram_size = 128 * PAGE;
	mc.secure_size = 0;
	memset(&s, 0, sizeof(s));
	s.m = th_machine(&mc);
	ck_assert_int_eq(teesim_smc_attach(s.m, script_smc, &s), 0);
	teesim_optee_cfg_default(&dc, TEESIM_OPTEE_DRV_LATER);
	dc.rpc_arg = false;
	dc.shm_cache = false;
	drv = teesim_optee_probe(s.m, &dc);
	ck_assert_ptr_nonnull(drv);

	memset(&sp, 0, sizeof(sp));
	sp.s = teesim_supplicant_new_on(s.m);
	ck_assert_ptr_nonnull(sp.s);
	sp.p = teesim_process_new(teesim_machine_guest(s.m, 0));
	ck_assert_ptr_nonnull(sp.p);
	sp.fd = teesim_open(sp.p, "/dev/teepriv0", 0);
	ck_assert_int_ge(sp.fd, 3);
	sp.hog = teesim_process_new(teesim_machine_guest(s.m, 0));
	ck_assert_ptr_nonnull(sp.hog);
	sp.free_rc = 1;
	teesim_optee_set_supp_hook(drv, supp_hook, &sp);

	/* the scripted call (the pool's REGISTER_SHM) has the supplicant allocate
	 * an APPL buffer, then free it with no page of the guest left */
	p = teesim_process_new(teesim_machine_guest(s.m, 0));
	ck_assert_ptr_nonnull(p);
	fd = teesim_open(p, "/dev/tee0", 0);
	ck_assert_int_ge(fd, 3);
	d = teesim_process_mmap(p, PAGE, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	ck_assert_ptr_nonnull(d);
	d->size = 100;
	shm = teesim_ioctl(p, fd, TEE_IOC_SHM_ALLOC, d);
	ck_assert_int_ge(shm, 3);
	ck_assert_uint_eq(s.calls, 1);
	ck_assert_uint_eq(s.step, ST_DONE);
	ck_assert_uint_eq(s.appl_ret, TEESIM_OPTEE_SUCCESS);

	/* memory really was exhausted, and the SHM_FREE was served all the same */
	ck_assert_uint_gt(sp.hogged, 0);
	ck_assert_int_eq(sp.free_rc, 0);
	teesim_supplicant_stats(sp.s, &ss);
	ck_assert_uint_eq(ss.shms, 0);
	ck_assert_uint_eq(ss.arg_pages, 1); /* one page, kept from the SHM_ALLOC round */
	ck_assert_int_eq(teesim_optee_info(drv, &info), 0);
	ck_assert_uint_eq(info.supp_requests, 2);
	ck_assert_uint_eq(info.supp_failed, 0);

	ck_assert_int_eq(teesim_close(p, shm), 0);
	ck_assert_int_eq(teesim_close(p, fd), 0);
	teesim_process_free(p);
	teesim_optee_set_supp_hook(drv, NULL, NULL);
	teesim_process_free(sp.hog);
	teesim_process_free(sp.p);
	teesim_supplicant_free(sp.s);
	teesim_optee_remove(drv);
	teesim_smc_detach(s.m);
	th_machine_done(s.m);
}
END_TEST

/* An ioctl with its argument behind a tee_ioctl_buf_data, in @p's page @page. */
static int buf_ioctl(struct teesim_process *p, int fd, unsigned long req, unsigned char *page,
		     size_t len)
{
	struct tee_ioctl_buf_data *bd = (void *) page;

	bd->buf_ptr = (uintptr_t) (page + 64);
	bd->buf_len = len;
	return teesim_ioctl(p, fd, req, bd);
}

/*
 * fuzz-optee-uapi, panic-ta-then-nop: after a TA panics its session stays
 * in the secure world, dead, until the client closes it, and the client
 * still holds it; the checker compared the normal world's sessions with the
 * live ones only and reported a mismatch with nothing wrong.
 */
START_TEST(checker_counts_dead_sessions)
{
	struct teesim_stack_cfg cfg;
	struct teesim_stack *st;
	struct teesim_process *p;
	struct teesim_check_report *rep = malloc(sizeof(*rep));
	struct teesim_sw_session_info si;
	struct tee_ioctl_open_session_arg *o;
	struct tee_ioctl_invoke_arg *v;
	struct tee_ioctl_close_session_arg *c;
	struct teesim_uuid u;
	unsigned char *page;
	uint32_t session;
	int fd;

	ck_assert_ptr_nonnull(rep);
	teesim_stack_cfg_default(&cfg);
	cfg.machine.ram_size = 64 * PAGE;
	cfg.machine.secure_size = 16 * PAGE;
	st = teesim_stack_new(&cfg);
	ck_assert_ptr_nonnull(st);
	p = teesim_process_new(teesim_machine_guest(st->machine, 0));
	ck_assert_ptr_nonnull(p);
	fd = teesim_open(p, "/dev/tee0", 0);
	ck_assert_int_ge(fd, 3);
	page = teesim_process_mmap(p, PAGE, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	ck_assert_ptr_nonnull(page);

	o = (void *) (page + 64);
	ck_assert_int_eq(teesim_uuid_parse(TEESIM_TA_PANIC_UUID, &u), 0);
	memcpy(o->uuid, u.b, sizeof(o->uuid));
	ck_assert_int_eq(buf_ioctl(p, fd, TEE_IOC_OPEN_SESSION, page, sizeof(*o)), 0);
	ck_assert_uint_eq(o->ret, TEESIM_OPTEE_SUCCESS);
	session = o->session;

	v = (void *) (page + 64);
	memset(v, 0, sizeof(*v));
	v->session = session;
	v->func = TEESIM_TA_PANIC_CMD_PANIC;
	ck_assert_int_eq(buf_ioctl(p, fd, TEE_IOC_INVOKE, page, sizeof(*v)), 0);
	ck_assert_uint_eq(v->ret, TEESIM_OPTEE_ERROR_TARGET_DEAD);

	/* the session is dead in the secure world, open in the normal world: consistent */
	ck_assert_uint_eq(teesim_sw_sessions(st->sw, &si, 1), 1);
	ck_assert(si.dead);
	th_check_report("after the panic", teesim_check_stack(st, TEESIM_CHECK_IDLE, rep), 0, rep);

	c = (void *) page;
	c->session = session;
	ck_assert_int_eq(teesim_ioctl(p, fd, TEE_IOC_CLOSE_SESSION, c), 0);
	ck_assert_uint_eq(teesim_sw_sessions(st->sw, &si, 1), 0);
	ck_assert_int_eq(teesim_close(p, fd), 0);
	teesim_process_free(p);
	th_check_report("at the end",
			teesim_check_stack(st, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, rep), 0,
			rep);
	teesim_stack_free(st);
	free(rep);
}
END_TEST

/*
 * fuzz-optee-uapi, regress-supplicant-pool-shm-registered: with the later
 * driver's page pool a user buffer is registered with the secure world at
 * SHM_ALLOC whatever the device, so the supplicant's buffers on
 * /dev/teepriv0 are registered too (as in the kernel, whose pool calls
 * optee_shm_register() directly). The checker only looked at the client
 * device and reported both sides inconsistent.
 */
START_TEST(checker_sees_supplicant_pool_registrations)
{
	struct teesim_stack_cfg cfg;
	struct teesim_stack *st;
	struct teesim_process *p;
	struct teesim_check_report *rep = malloc(sizeof(*rep));
	struct teesim_optee_info info;
	struct teesim_sw_stats sw;
	struct teesim_tee_fd_info fi;
	struct tee_ioctl_shm_alloc_data *d;
	int fd, shm;

	ck_assert_ptr_nonnull(rep);
	teesim_stack_cfg_default(&cfg);
	cfg.machine.ram_size = 64 * PAGE;
	cfg.machine.secure_size = 16 * PAGE;
	cfg.supp = TEESIM_STACK_SUPP_NONE; /* the process below is the supplicant */
	st = teesim_stack_new(&cfg);
	ck_assert_ptr_nonnull(st);
	p = teesim_process_new(teesim_machine_guest(st->machine, 0));
	ck_assert_ptr_nonnull(p);
	fd = teesim_open(p, "/dev/teepriv0", 0);
	ck_assert_int_ge(fd, 3);
	d = teesim_process_mmap(p, PAGE, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	ck_assert_ptr_nonnull(d);
	d->size = 100;
	shm = teesim_ioctl(p, fd, TEE_IOC_SHM_ALLOC, d);
	ck_assert_int_ge(shm, 3);

	/* registered on both sides, and the checker agrees */
	ck_assert_int_eq(teesim_tee_fd_info(p, shm, &fi), 0);
	ck_assert_str_eq(fi.device, "teepriv0");
	ck_assert_int_eq(teesim_optee_info(st->drv, &info), 0);
	ck_assert_uint_eq(info.registered, 1);
	teesim_sw_stats(st->sw, &sw);
	ck_assert_uint_eq(sw.shm_objects, 1);
	th_check_report("supplicant pool buffer", teesim_check_stack(st, TEESIM_CHECK_IDLE, rep), 0,
			rep);

	ck_assert_int_eq(teesim_close(p, shm), 0);
	teesim_sw_stats(st->sw, &sw);
	ck_assert_uint_eq(sw.shm_objects, 0);
	ck_assert_int_eq(teesim_close(p, fd), 0);
	teesim_process_free(p);
	th_check_report("at the end",
			teesim_check_stack(st, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, rep), 0,
			rep);
	teesim_stack_free(st);
	free(rep);
}
END_TEST

/*
 * fuzz-driver-rpc, regress-memref-answered-as-value: the secure world
 * answers OPEN_SESSION with a memref parameter turned into a VALUE_OUTPUT;
 * the driver copied the value over the caller's tee_param, whose value.c
 * is the memref's shm pointer, and the core then put a shm at address 4.
 * Now the answer is refused: COMMUNICATION, the session closed again, the
 * shm untouched.
 */
START_TEST(memref_answered_as_value)
{
	struct teesim_machine_cfg mc;
	struct teesim_optee_cfg dc;
	struct teesim_tee_fd_info fi;
	struct teesim_tee_stats st;
	struct script s;
	struct teesim_process *p;
	struct teesim_optee *drv;
	struct tee_ioctl_shm_alloc_data *d;
	struct tee_ioctl_open_session_arg *o;
	struct tee_ioctl_param *prm;
	unsigned char *page;
	int fd, shm;

	teesim_machine_cfg_default(&mc);
	mc.ram_size = 128 * PAGE;
	mc.secure_size = 0;
	memset(&s, 0, sizeof(s));
	s.step = ST_DONE; /* every call completes at once */
	s.memref_as_value = true;
	s.m = th_machine(&mc);
	ck_assert_int_eq(teesim_smc_attach(s.m, script_smc, &s), 0);
	teesim_optee_cfg_default(&dc, TEESIM_OPTEE_DRV_LATER);
	dc.rpc_arg = false;
	dc.shm_cache = false;
	drv = teesim_optee_probe(s.m, &dc);
	ck_assert_ptr_nonnull(drv);
	p = teesim_process_new(teesim_machine_guest(s.m, 0));
	ck_assert_ptr_nonnull(p);
	fd = teesim_open(p, "/dev/tee0", 0);
	ck_assert_int_ge(fd, 3);
	page = teesim_process_mmap(p, PAGE, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	ck_assert_ptr_nonnull(page);
	d = (void *) page;
	d->size = 100;
	shm = teesim_ioctl(p, fd, TEE_IOC_SHM_ALLOC, d);
	ck_assert_int_ge(shm, 3);
	ck_assert_int_eq(teesim_tee_fd_info(p, shm, &fi), 0);

	o = (void *) (page + 64);
	memset(o, 0, sizeof(*o) + sizeof(*prm));
	o->num_params = 1;
	prm = (void *) (o + 1);
	prm->attr = TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT;
	prm->b = 16;
	prm->c = (uint64_t) fi.shm.id;
	ck_assert_int_eq(buf_ioctl(p, fd, TEE_IOC_OPEN_SESSION, page, sizeof(*o) + sizeof(*prm)),
			 0);
	ck_assert_uint_eq(o->ret, TEESIM_OPTEE_ERROR_COMMUNICATION);
	ck_assert_uint_eq(o->ret_origin, TEESIM_OPTEE_ORIGIN_COMMS);
	teesim_tee_stats(s.m, &st);
	ck_assert_uint_eq(st.sessions, 0);
	ck_assert_int_eq(teesim_tee_fd_info(p, shm, &fi), 0);
	ck_assert_uint_eq(fi.shm.refs, 1); /* the fd's reference, nothing more, nothing less */

	ck_assert_int_eq(teesim_close(p, shm), 0);
	ck_assert_int_eq(teesim_close(p, fd), 0);
	teesim_process_free(p);
	teesim_optee_remove(drv);
	teesim_smc_detach(s.m);
	th_machine_done(s.m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("regress-fuzz");
	TCase *tc = tcase_create("driver-rpc");

	tcase_add_test(tc, rpc_cmd_in_unmapped_appl_shm);
	tcase_add_test(tc, memref_answered_as_value);
	suite_add_tcase(s, tc);
	tc = tcase_create("optee-uapi");
	tcase_add_test(tc, checker_counts_dead_sessions);
	tcase_add_test(tc, checker_sees_supplicant_pool_registrations);
	tcase_add_test(tc, supplicant_frees_with_memory_exhausted);
	suite_add_tcase(s, tc);
	return th_run(s);
}
