/* SPDX-License-Identifier: MIT */
/*
 * Limits at N-1, N and N+1, through the public API on a full stack. Each
 * limit is named where it lives (model and real code):
 *
 * - page-list entries per list page: 511 (slot 511 links to the next list
 *   page; OPTEE_MSG_NONCONTIG_PAGE_SIZE / 8 - 1), registrations of 511, 512,
 *   513 pages with and without a first-page offset;
 * - pages per page list: the secure world's cfg.max_pagelist_pages (the
 *   model's stand-in for OP-TEE's heap; default 65536): the driver has no
 *   limit of its own, the secure world refuses the list, SHM_REGISTER gives
 *   -EINVAL with every pin dropped;
 * - secure threads: cfg.num_threads (CFG_NUM_THREADS; 1..64 accepted):
 *   n-1 and n callers run at once, the n+1-th gets ETHREAD_LIMIT, waits on
 *   the driver's call queue and proceeds when a thread frees;
 * - fds per process: 65536 (RLIMIT_NOFILE of the model, fds 0-2 being
 *   stdio), which bounds the shm ids one process can hold; ids are handed
 *   out smallest-free-first from 1 (the id table itself goes to INT_MAX,
 *   not reachable here);
 * - TEE_MAX_ARG_SIZE: 1024 bytes of ioctl buffer (<linux/tee.h>), beyond is
 *   -EINVAL before anything is read;
 * - parameters: 31 fit in an INVOKE buffer (24 + 31 * 32 = 1016 bytes), 30
 *   in OPEN_SESSION; the later driver's argument holds 6 message params
 *   (MAX_ARG_PARAM_COUNT: 6 for INVOKE, 4 + 2 meta for OPEN_SESSION, more
 *   is -EINVAL); the secure world passes at most 4 to a TA
 *   (TEE_NUM_PARAMS), more is BAD_PARAMETERS from the TEE;
 * - the static pool: the 2 MiB carve-out, all of it user buffers for the
 *   v4.16 driver with dynamic shm (512 pages), 511 pages for the later
 *   driver on the reserved pool alone (its first page is the private pool).
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "optee-util.h"

#define VIN  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT
#define VOUT TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT
#define VIO  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT
#define MIN  TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT
#define PG   TEESIM_PAGE_SIZE

#define CUSTOM_CMD  0x7777u
#define SPIN_LIMIT  (1ul << 26)
#define LIST_SLOTS  512u /* 8-byte slots per list page, the last one links */
#define PROC_FD_MAX 65536

/* Bounded wait (no sleep): fails instead of hanging. */
#define WAIT_FOR(cond)                                                                             \
	do {                                                                                       \
		unsigned long spins_ = 0;                                                          \
		while (!(cond)) {                                                                  \
			ck_assert_msg(++spins_ < SPIN_LIMIT, "no progress waiting for %s", #cond); \
			sched_yield();                                                             \
		}                                                                                  \
	} while (0)

static unsigned check(struct ot *t)
{
	struct teesim_check_report *rep = malloc(sizeof(*rep));
	unsigned n;

	ck_assert_ptr_nonnull(rep);
	n = teesim_check_stack(t->st, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, rep);
	if (n)
		fprintf(stderr, "checker: %u problem(s):\n%s\n", n, rep->text);
	free(rep);
	return n;
}

/* Free the client, both worlds empty (checker clean), free the stack. */
static void done(struct ot *t)
{
	teesim_process_free(t->p);
	t->p = NULL;
	ot_assert_clean(t);
	ck_assert_uint_eq(ot_drv(t).registered, 0);
	ck_assert_uint_eq(check(t), 0);
	teesim_stack_free(t->st);
	t->st = NULL;
}

/* ---- 511 / 512 / 513 list entries ---- */

/*
 * Register @npages pages starting @off bytes into the first: the secure
 * world's object has exactly those pages (compared with an independent pin
 * of the same user pages, IPA == PA on guest 0), it fetched the link slot
 * 511 only when the list needs a second page, and the mem TA reads every
 * byte (across the list-page boundary) with the right checksum.
 */
static void register_pages(struct ot *t, uint8_t *base, uint64_t npages, uint64_t off)
{
	const uint64_t len = npages * PG - off;
	struct teesim_sw_shm_info so;
	struct tee_ioctl_param p[2];
	teesim_ipa_t *ipas = calloc(npages, sizeof(*ipas));
	teesim_pa_t *pas = calloc(npages, sizeof(*pas));
	uint32_t ret = 1;
	int fd, id;

	ck_assert_ptr_nonnull(ipas);
	ck_assert_ptr_nonnull(pas);
	for (uint64_t k = 0; k < len; k++)
		base[off + k] = (uint8_t) (k * 13 + npages);
	teesim_sw_count_reads(t->st->sw, true);
	fd = ot_shm_register(t, base + off, len, &id);
	teesim_sw_count_reads(t->st->sw, false);
	ck_assert_int_ge(fd, 3);
	ck_assert_uint_eq(ot_core(t).pinned_pages, npages);
	ck_assert_uint_eq(teesim_sw_shm_objects(t->st->sw, &so, 1), 1);
	ck_assert_uint_eq(so.npages, npages);
	ck_assert_uint_eq(so.page_offset, off);
	ck_assert_uint_eq(so.size, npages * PG - off); /* HEAD */
	/* entries: slot 510 is the 511th; slot 511 links; 512 is the first of the next page */
	ck_assert_uint_eq(teesim_sw_reads(t->st->sw, TEESIM_SW_FIELD_PAGE_LIST, 0), 1);
	ck_assert_uint_eq(teesim_sw_reads(t->st->sw, TEESIM_SW_FIELD_PAGE_LIST, LIST_SLOTS - 2),
			  npages >= LIST_SLOTS - 1 ? 1 : 0);
	ck_assert_uint_eq(teesim_sw_reads(t->st->sw, TEESIM_SW_FIELD_PAGE_LIST, LIST_SLOTS - 1),
			  npages > LIST_SLOTS - 1 ? 1 : 0);
	ck_assert_uint_eq(teesim_sw_reads(t->st->sw, TEESIM_SW_FIELD_PAGE_LIST, LIST_SLOTS),
			  npages > LIST_SLOTS - 1 ? 1 : 0);
	ck_assert_uint_eq(teesim_sw_reads(t->st->sw, TEESIM_SW_FIELD_PAGE_LIST, LIST_SLOTS + 1),
			  npages > LIST_SLOTS ? 1 : 0);
	/* the pages themselves */
	ck_assert_int_eq(teesim_sw_shm_pages(t->st->sw, so.cookie, pas, npages), (long) npages);
	ck_assert_int_eq(teesim_process_pin(t->p, (uintptr_t) base, npages, 0, ipas),
			 (long) npages);
	for (uint64_t k = 0; k < npages; k++)
		ck_assert_msg(pas[k] == ipas[k], "page %llu: PA %#llx, pinned %#llx",
			      (unsigned long long) k, (unsigned long long) pas[k],
			      (unsigned long long) ipas[k]);
	ck_assert_int_eq(teesim_guest_unpin(teesim_process_guest(t->p), ipas, npages), 0);
	/* every byte, through the list */
	p[0] = ot_memref(MIN, id, 0, len);
	p[1] = ot_value(VOUT, 0, 0, 0);
	ck_assert_int_eq(ot_invoke(t, ot_open_ok(t, TEESIM_TA_MEM_UUID), TEESIM_TA_MEM_CMD_READ, p,
				   2, &ret, NULL),
			 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_uint_eq(p[1].a, ot_sum(base + off, len));
	ck_assert_uint_eq(p[1].b, ot_fnv(base + off, len));
	ck_assert_int_eq(teesim_close(t->p, fd), 0);
	ck_assert_uint_eq(ot_sw(t).shm_objects, 0);
	ck_assert_uint_eq(ot_core(t).pinned_pages, 0);
	free(pas);
	free(ipas);
}

static const uint64_t list_pages[] = {LIST_SLOTS - 2, LIST_SLOTS - 1, LIST_SLOTS, LIST_SLOTS + 1};
static const uint64_t offsets[] = {0, 1, 0x123, PG - 1};

START_TEST(test_list_entries)
{
	struct ot t;
	uint8_t *buf;

	ot_new(&t, NULL);
	buf = ot_umem(&t, LIST_SLOTS + 1);
	for (size_t i = 0; i < sizeof(list_pages) / sizeof(list_pages[0]); i++)
		register_pages(&t, buf, list_pages[i], offsets[_i]);
	/* the sessions opened for the reads are closed by the process's exit */
	done(&t);
}
END_TEST

/* ---- pages per list: the secure world's limit ---- */

/*
 * The secure world takes at most @limit pages per list. @limit - 1 and
 * @limit pages register; @limit + 1 (also reached by an offset pushing the
 * same length onto one more page) is refused: -EINVAL, no pin, no id, no
 * object, counted as rejected.
 */
static void page_limit(uint64_t limit, uint64_t ram)
{
	struct teesim_stack_cfg c;
	struct teesim_tee_stats c0;
	struct ot t;
	uint8_t *buf;
	uint64_t rejected;
	int fd, id;

	teesim_stack_cfg_default(&c);
	c.machine.ram_size = ram;
	c.machine.poison = false;
	c.sw.max_pagelist_pages = limit;
	ot_new(&t, &c);
	buf = ot_umem(&t, limit + 1);
	/* N-1, N */
	for (uint64_t n = limit - 1; n <= limit; n++) {
		fd = ot_shm_register(&t, buf, n * PG, &id);
		ck_assert_msg(fd >= 3, "%llu pages: %d", (unsigned long long) n, fd);
		ck_assert_uint_eq(ot_core(&t).pinned_pages, n);
		ck_assert_uint_eq(ot_sw(&t).shm_objects, 1);
		ck_assert_int_eq(teesim_close(t.p, fd), 0);
	}
	c0 = ot_core(&t);
	rejected = ot_sw(&t).rejected;
	/* N+1: by length, and by an offset */
	ck_assert_int_eq(ot_shm_register(&t, buf, (limit + 1) * PG, &id), -EINVAL);
	ck_assert_int_eq(ot_shm_register(&t, buf + 1, limit * PG, &id), -EINVAL);
	ck_assert_uint_eq(ot_sw(&t).rejected, rejected + 2);
	ck_assert_uint_eq(ot_core(&t).pinned_pages, 0);
	ck_assert_uint_eq(ot_core(&t).ids, c0.ids);
	ck_assert_uint_eq(ot_core(&t).files, c0.files);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 0);
	ck_assert_uint_eq(ot_drv(&t).registered, 0);
	/* and N again, with the offset: fits */
	fd = ot_shm_register(&t, buf + 1, limit * PG - 1, &id);
	ck_assert_int_ge(fd, 3);
	ck_assert_int_eq(teesim_close(t.p, fd), 0);
	done(&t);
}

START_TEST(test_page_limit_small)
{
	/* 1022 pages: exactly two full list pages */
	page_limit(2 * (LIST_SLOTS - 1), 64u << 20);
}
END_TEST

START_TEST(test_page_limit_default)
{
	struct teesim_sw_cfg sc;

	teesim_sw_cfg_default(&sc, TEESIM_OPTEE_GEN_HEAD);
	ck_assert_uint_eq(sc.max_pagelist_pages, 65536);
	page_limit(sc.max_pagelist_pages, 512u << 20);
}
END_TEST

/* ---- secure threads ---- */

struct caller {
	struct ot c;
	uint32_t session, ret, result;
	bool nop;
	int rc;
};

/* RPC TA CUSTOM (a supplicant request: holds a secure thread until served) or a mem TA NOP. */
static void *caller_main(void *arg)
{
	struct caller *k = arg;
	struct tee_ioctl_param p[2];

	k->ret = 1;
	if (k->nop) {
		p[0] = ot_value(VIO, 1, 0, 0);
		k->rc = ot_invoke(&k->c, k->session, TEESIM_TA_MEM_CMD_NOP, p, 1, &k->ret, NULL);
	} else {
		p[0] = ot_value(VOUT, 0, 0, 0);
		p[1] = ot_value(VIN, CUSTOM_CMD, 0, 0);
		k->rc = ot_invoke(&k->c, k->session, TEESIM_TA_RPC_CMD_CUSTOM, p, 2, &k->ret, NULL);
	}
	k->result = (uint32_t) p[0].a;
	return NULL;
}

static void serve_one(struct ot *t)
{
	ck_assert_int_eq(teesim_supplicant_serve_fd(t->st->supp, t->st->supp_proc, t->st->supp_fd),
			 0);
}

/*
 * With @n secure threads: n-1 callers held in the supplicant queue leave a
 * thread for a NOP (no wait); n held leave none: the n+1-th caller gets
 * ETHREAD_LIMIT and waits on the call queue (no busy loop), and completes
 * as soon as one held call ends.
 */
static void thread_limit(unsigned n)
{
	struct teesim_stack_cfg c;
	struct caller *k = calloc(n + 1, sizeof(*k));
	pthread_t *th = calloc(n + 1, sizeof(*th));
	struct ot t;
	uint64_t waits0;
	uint32_t nop_sess;

	ck_assert_ptr_nonnull(k);
	ck_assert_ptr_nonnull(th);
	teesim_stack_cfg_default(&c);
	c.sw.num_threads = n;
	c.supp = TEESIM_STACK_SUPP_EXTERNAL;
	ot_new(&t, &c);
	nop_sess = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	for (unsigned i = 0; i <= n; i++) {
		k[i].c = t;
		k[i].nop = i == n;
		k[i].session = k[i].nop ? nop_sess : ot_open_ok(&t, TEESIM_TA_RPC_UUID);
	}
	waits0 = ot_drv(&t).ethread_waits;
	/* n-1 held: a NOP still finds a thread */
	for (unsigned i = 0; i + 1 < n; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, caller_main, &k[i]), 0);
	WAIT_FOR(ot_drv(&t).supp_queued == n - 1);
	ck_assert_uint_eq(ot_sw(&t).threads_busy, n - 1);
	{
		struct tee_ioctl_param p = ot_value(VIO, 1, 0, 0);
		uint32_t ret = 1;

		ck_assert_int_eq(ot_invoke(&t, nop_sess, 0, &p, 1, &ret, NULL), 0);
		ck_assert_uint_eq(ret, 0);
	}
	ck_assert_uint_eq(ot_drv(&t).ethread_waits, waits0);
	/* n held: every thread busy */
	ck_assert_int_eq(pthread_create(&th[n - 1], NULL, caller_main, &k[n - 1]), 0);
	WAIT_FOR(ot_drv(&t).supp_queued == n);
	ck_assert_uint_eq(ot_sw(&t).threads_busy, n);
	ck_assert_uint_eq(ot_sw(&t).threads_suspended, n);
	/* n+1: waits */
	ck_assert_int_eq(pthread_create(&th[n], NULL, caller_main, &k[n]), 0);
	WAIT_FOR(ot_drv(&t).call_waiters == 1);
	ck_assert_uint_ge(ot_drv(&t).ethread_waits, waits0 + 1);
	ck_assert_uint_eq(ot_drv(&t).active_calls, n + 1);
	ck_assert_uint_eq(ot_sw(&t).threads_busy, n);
	/*
	 * Held calls end one by one and free their threads. The waiter is
	 * woken as the call queue (the kernel's optee_cq_*) passes completions
	 * on: to the first call on it not yet woken, which may be a held call
	 * still running in the secure world (then the waiter sleeps on
	 * although a thread is free, until the calls ahead of it end), plus
	 * one more when the ending call had itself been woken needlessly. So
	 * when exactly the waiter proceeds depends on the history (the NOP
	 * above woke a held call needlessly; test_waiter_behind_running_call
	 * plays a history without it); it must have proceeded once every held
	 * call ended.
	 */
	for (unsigned i = 0; i < n; i++)
		serve_one(&t);
	ck_assert_int_eq(pthread_join(th[n], NULL), 0);
	ck_assert_int_eq(k[n].rc, 0);
	ck_assert_uint_eq(k[n].ret, 0);
	ck_assert_uint_eq(k[n].result, 2);
	ck_assert_uint_eq(ot_drv(&t).call_waiters, 0);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_int_eq(k[i].rc, 0);
		ck_assert_uint_eq(k[i].ret, 0);
		ck_assert_uint_eq(k[i].result, TEESIM_OPTEE_ERROR_NOT_SUPPORTED);
	}
	ck_assert_uint_eq(ot_drv(&t).active_calls, 0);
	ck_assert_uint_eq(ot_drv(&t).max_call_waiters, 1);
	for (unsigned i = 0; i <= n; i++)
		ck_assert_int_eq(ot_close(&t, k[i].session), 0);
	free(th);
	free(k);
	done(&t);
}

/*
 * The kernel's call queue, exactly: two calls hold both secure threads and
 * a third waits. When one held call ends, its completion goes to the first
 * call on the queue not yet woken, the other held call, still running: the
 * waiter sleeps on although a thread is free. When that call ends, having
 * been woken needlessly, it wakes the waiter too.
 */
START_TEST(test_waiter_behind_running_call)
{
	struct teesim_stack_cfg c;
	struct caller k[3];
	pthread_t th[3];
	struct ot t;

	teesim_stack_cfg_default(&c);
	c.sw.num_threads = 2;
	c.supp = TEESIM_STACK_SUPP_EXTERNAL;
	ot_new(&t, &c);
	memset(k, 0, sizeof(k));
	for (unsigned i = 0; i < 3; i++) {
		k[i].c = t;
		k[i].nop = i == 2;
		k[i].session = ot_open_ok(&t, k[i].nop ? TEESIM_TA_MEM_UUID : TEESIM_TA_RPC_UUID);
	}
	for (unsigned i = 0; i < 2; i++) {
		ck_assert_int_eq(pthread_create(&th[i], NULL, caller_main, &k[i]), 0);
		WAIT_FOR(ot_drv(&t).supp_queued == i + 1);
	}
	ck_assert_int_eq(pthread_create(&th[2], NULL, caller_main, &k[2]), 0);
	WAIT_FOR(ot_drv(&t).call_waiters == 1);
	serve_one(&t);
	WAIT_FOR(ot_drv(&t).active_calls == 2);
	ck_assert_uint_eq(ot_sw(&t).threads_busy, 1);
	ck_assert_uint_eq(ot_drv(&t).call_waiters, 1);
	ck_assert_uint_eq(ot_drv(&t).supp_queued, 1);
	serve_one(&t);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_int_eq(k[i].rc, 0);
		ck_assert_uint_eq(k[i].ret, 0);
		ck_assert_uint_eq(k[i].result, i == 2 ? 2 : TEESIM_OPTEE_ERROR_NOT_SUPPORTED);
		ck_assert_int_eq(ot_close(&t, k[i].session), 0);
	}
	ck_assert_uint_eq(ot_drv(&t).call_waiters, 0);
	ck_assert_uint_eq(ot_drv(&t).active_calls, 0);
	done(&t);
}
END_TEST

static const unsigned nthreads[] = {1, 2, 4};

START_TEST(test_thread_limit)
{
	thread_limit(nthreads[_i]);
}
END_TEST

/* CFG_NUM_THREADS: 1..64 accepted, 0 and 65 refused (EINVAL). */
START_TEST(test_thread_count_config)
{
	static const struct {
		unsigned n;
		bool ok;
	} cases[] = {{0, false}, {1, true}, {63, true}, {64, true}, {65, false}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct teesim_stack_cfg c;
		struct teesim_stack *st;

		teesim_stack_cfg_default(&c);
		c.sw.num_threads = cases[i].n;
		errno = 0;
		st = teesim_stack_new(&c);
		ck_assert_msg((st != NULL) == cases[i].ok, "%u threads: %s", cases[i].n,
			      st ? "built" : strerror(errno));
		if (!st)
			ck_assert_int_eq(errno, EINVAL);
		else
			ck_assert_uint_eq(teesim_sw_config(st->sw)->num_threads, cases[i].n);
		teesim_stack_free(st);
	}
}
END_TEST

/* ---- fds per process, ids ---- */

/*
 * One process holds fds 3..65535: its device fd and 65532 registered
 * shms. The id of each is the smallest free one from 1. The next
 * registration fails -EMFILE and leaves no shm, id or pin; closing one shm
 * frees its fd and id for the next.
 */
START_TEST(test_fd_and_id_limit)
{
	const unsigned nshm = PROC_FD_MAX - 3 - 1;
	struct teesim_tee_stats c0;
	struct ot t;
	uint8_t *buf;
	int fd = -1, id = -1;

	ot_new(&t, NULL);
	ck_assert_int_eq(t.fd, 3);
	buf = ot_umem(&t, 1);
	for (unsigned i = 0; i < nshm; i++) {
		fd = ot_shm_register(&t, buf, 8, &id);
		if (fd != (int) i + 4 || id != (int) i + 1)
			ck_abort_msg("registration %u: fd %d id %d", i, fd, id);
	}
	ck_assert_int_eq(fd, PROC_FD_MAX - 1);
	c0 = ot_core(&t);
	ck_assert_uint_eq(c0.ids, nshm);
	ck_assert_uint_eq(c0.pinned_pages, nshm);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, nshm);
	/* N+1 */
	th_assert_err(ot_shm_register(&t, buf, 8, &id), -EMFILE);
	th_assert_err(ot_shm_alloc(&t, PG, &id), -EMFILE);
	th_assert_err(teesim_open(t.p, "/dev/tee0", 0), -EMFILE);
	ck_assert_uint_eq(ot_core(&t).ids, c0.ids);
	ck_assert_uint_eq(ot_core(&t).shms, c0.shms);
	ck_assert_uint_eq(ot_core(&t).pinned_pages, c0.pinned_pages);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, nshm);
	/* a hole at fd 1000 / id 997: reused by the next registration */
	ck_assert_int_eq(teesim_close(t.p, 1000), 0);
	fd = ot_shm_register(&t, buf, 8, &id);
	ck_assert_int_eq(fd, 1000);
	ck_assert_int_eq(id, 1000 - 3);
	th_assert_err(ot_shm_register(&t, buf, 8, &id), -EMFILE);
	/* newest first: the secure world finds each registration at the head of its list */
	for (fd = PROC_FD_MAX - 1; fd >= 4; fd--)
		ck_assert_int_eq(teesim_close(t.p, fd), 0);
	ck_assert_uint_eq(ot_core(&t).ids, 0);
	ck_assert_uint_eq(ot_sw(&t).shm_objects, 0);
	done(&t);
}
END_TEST

/* ---- TEE_MAX_ARG_SIZE and parameter counts ---- */

/* INVOKE with @n VALUE_INOUT params (a = i): the ioctl's result; ret / origin filled. */
static int invoke_n(struct ot *t, uint32_t s, uint32_t n, uint32_t *ret, uint32_t *origin)
{
	struct tee_ioctl_param *p = calloc(n ? n : 1, sizeof(*p));
	int rc;

	ck_assert_ptr_nonnull(p);
	for (uint32_t i = 0; i < n; i++)
		p[i] = ot_value(VIO, i, 0, 0);
	*ret = 0x5555;
	*origin = 0x5555;
	rc = ot_invoke(t, s, TEESIM_TA_MEM_CMD_NOP, p, n, ret, origin);
	if (!rc && !*ret)
		for (uint32_t i = 0; i < n; i++)
			ck_assert_uint_eq(p[i].a, i + 1);
	free(p);
	return rc;
}

/*
 * buf_len is checked against TEE_MAX_ARG_SIZE (1024) before anything is
 * read: 1024 with an unreadable buffer is -EFAULT (the length passed),
 * 1025 is -EINVAL. 31 params (1016 bytes) pass the core, 32 (1048) do not.
 */
START_TEST(test_max_arg_size)
{
	struct tee_ioctl_buf_data *b;
	struct teesim_stack_cfg c;
	struct ot t;
	uint32_t s, ret, origin;

	ck_assert_uint_eq(TEE_MAX_ARG_SIZE, 1024);
	ck_assert_uint_eq(sizeof(struct tee_ioctl_invoke_arg) + 31 * sizeof(struct tee_ioctl_param),
			  1016);
	teesim_stack_cfg_default(&c);
	teesim_optee_cfg_default(&c.drv, TEESIM_OPTEE_DRV_V4_16); /* no 6-param cap of its own */
	ot_new(&t, &c);
	s = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	b = ot_umem(&t, 1);
	b->buf_ptr = 0x10; /* unreadable */
	for (uint64_t len = TEE_MAX_ARG_SIZE - 1; len <= TEE_MAX_ARG_SIZE + 1; len++) {
		b->buf_len = len;
		th_assert_err(teesim_ioctl(t.p, t.fd, TEE_IOC_INVOKE, b),
			      len <= TEE_MAX_ARG_SIZE ? -EFAULT : -EINVAL);
		th_assert_err(teesim_ioctl(t.p, t.fd, TEE_IOC_OPEN_SESSION, b),
			      len <= TEE_MAX_ARG_SIZE ? -EFAULT : -EINVAL);
	}
	b->buf_len = 4096;
	th_assert_err(teesim_ioctl(t.p, t.fd, TEE_IOC_INVOKE, b), -EINVAL);
	/* 31 params reach the secure world, which gives a TA at most 4 */
	ck_assert_int_eq(invoke_n(&t, s, 31, &ret, &origin), 0);
	ck_assert_uint_eq(ret, TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
	ck_assert_uint_eq(origin, TEESIM_OPTEE_ORIGIN_TEE);
	th_assert_err(invoke_n(&t, s, 32, &ret, &origin), -EINVAL);
	ck_assert_int_eq(ot_close(&t, s), 0);
	done(&t);
}
END_TEST

/*
 * The later driver: INVOKE up to 6 params (MAX_ARG_PARAM_COUNT), 7 is
 * -EINVAL; OPEN_SESSION up to 4 (+ 2 meta), 5 is -EINVAL. The secure world:
 * 4 TA params work, 5 and 6 are BAD_PARAMETERS / TEE.
 */
START_TEST(test_param_counts)
{
	struct tee_ioctl_param p[5];
	struct ot t;
	uint32_t s, s2 = 9, ret, origin;

	ot_new(&t, NULL);
	s = ot_open_ok(&t, TEESIM_TA_MEM_UUID);
	for (uint32_t n = 3; n <= 4; n++) {
		ck_assert_int_eq(invoke_n(&t, s, n, &ret, &origin), 0);
		ck_assert_uint_eq(ret, 0);
	}
	for (uint32_t n = 5; n <= 6; n++) {
		ck_assert_int_eq(invoke_n(&t, s, n, &ret, &origin), 0);
		ck_assert_uint_eq(ret, TEESIM_OPTEE_ERROR_BAD_PARAMETERS);
		ck_assert_uint_eq(origin, TEESIM_OPTEE_ORIGIN_TEE);
	}
	th_assert_err(invoke_n(&t, s, 7, &ret, &origin), -EINVAL);
	for (int i = 0; i < 5; i++)
		p[i] = ot_value(VIN, 1, 2, 3);
	ck_assert_int_eq(
	    ot_open(&t, TEESIM_TA_MEM_UUID, TEE_IOCTL_LOGIN_PUBLIC, p, 4, &s2, &ret, &origin), 0);
	ck_assert_uint_eq(ret, 0);
	ck_assert_int_eq(ot_close(&t, s2), 0);
	th_assert_err(
	    ot_open(&t, TEESIM_TA_MEM_UUID, TEE_IOCTL_LOGIN_PUBLIC, p, 5, &s2, &ret, &origin),
	    -EINVAL);
	ck_assert_uint_eq(ot_sw(&t).sessions, 1);
	ck_assert_int_eq(ot_close(&t, s), 0);
	done(&t);
}
END_TEST

/* ---- the static pool ---- */

/*
 * SHM_ALLOC from the carve-out: one buffer of @pages pages fits, one page
 * more does not (-ENOMEM); then @pages one-page buffers fit and the next
 * does not; freeing one makes room for exactly one.
 */
static void static_pool(struct teesim_stack_cfg *c, uint64_t pages)
{
	int *fds = calloc(pages + 1, sizeof(*fds));
	struct ot t;
	int fd, id;

	ck_assert_ptr_nonnull(fds);
	ot_new(&t, c);
	fd = ot_shm_alloc(&t, pages * PG, &id);
	ck_assert_int_ge(fd, 3);
	ck_assert_int_eq(teesim_close(t.p, fd), 0);
	th_assert_err(ot_shm_alloc(&t, (pages + 1) * PG, &id), -ENOMEM);
	th_assert_err(ot_shm_alloc(&t, pages * PG + 1, &id), -ENOMEM);
	for (uint64_t i = 0; i < pages; i++) {
		fds[i] = ot_shm_alloc(&t, PG, &id);
		ck_assert_msg(fds[i] >= 3, "buffer %llu: %d", (unsigned long long) i, fds[i]);
	}
	th_assert_err(ot_shm_alloc(&t, 1, &id), -ENOMEM);
	ck_assert_uint_eq(ot_core(&t).ids, pages);
	ck_assert_int_eq(teesim_close(t.p, fds[pages / 2]), 0);
	fds[pages / 2] = ot_shm_alloc(&t, PG, &id);
	ck_assert_int_ge(fds[pages / 2], 3);
	th_assert_err(ot_shm_alloc(&t, PG, &id), -ENOMEM);
	for (uint64_t i = 0; i < pages; i++)
		ck_assert_int_eq(teesim_close(t.p, fds[i]), 0);
	free(fds);
	done(&t);
}

START_TEST(test_static_pool_v416)
{
	struct teesim_stack_cfg c;

	teesim_stack_cfg_default(&c);
	teesim_optee_cfg_default(&c.drv, TEESIM_OPTEE_DRV_V4_16);
	/* dynamic shm on: the private pool is kernel pages, the whole carve-out is for users */
	static_pool(&c, c.machine.static_shm_size / PG);
}
END_TEST

START_TEST(test_static_pool_later)
{
	struct teesim_stack_cfg c;

	teesim_stack_cfg_default(&c);
	c.sw.sec_caps &= ~(uint32_t) TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
	/* the reserved pool alone: its first page is the driver's private pool */
	static_pool(&c, c.machine.static_shm_size / PG - 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("boundary");
	TCase *tc = tcase_create("boundary");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_list_entries, 0, (int) (sizeof(offsets) / sizeof(offsets[0])));
	tcase_add_test(tc, test_page_limit_small);
	tcase_add_test(tc, test_page_limit_default);
	tcase_add_loop_test(tc, test_thread_limit, 0,
			    (int) (sizeof(nthreads) / sizeof(nthreads[0])));
	tcase_add_test(tc, test_waiter_behind_running_call);
	tcase_add_test(tc, test_thread_count_config);
	tcase_add_test(tc, test_fd_and_id_limit);
	tcase_add_test(tc, test_max_arg_size);
	tcase_add_test(tc, test_param_counts);
	tcase_add_test(tc, test_static_pool_v416);
	tcase_add_test(tc, test_static_pool_later);
	suite_add_tcase(s, tc);
	return th_run(s);
}
