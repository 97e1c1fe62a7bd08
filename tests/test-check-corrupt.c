/* SPDX-License-Identifier: MIT */
/*
 * The invariant checker against state corrupted on purpose through the
 * internal headers: a reference count off by one, an id table entry that
 * names the wrong shm, a secure registration no driver shm stands for, a
 * driver registration the secure world does not know, frame counters and
 * pins that disagree, driver counters off. Each corruption is undone before
 * teardown, and the check is clean again.
 */
#include <linux/tee.h>
#include <stdlib.h>

#include "harness.h"
#include "internal.h"
#include "core/tee_private.h"
#include "optee/optee_private.h"
#include "optee/sw_internal.h"
#include "mediator/med_internal.h"

struct env {
	struct teesim_stack *st;
	struct teesim_process *p;
	int fd;
	struct teesim_check_report *rep;
};

static struct env E;

static void setup(void)
{
	memset(&E, 0, sizeof(E));
	E.st = teesim_stack_new(NULL);
	ck_assert_ptr_nonnull(E.st);
	E.p = teesim_process_new(teesim_machine_guest(E.st->machine, 0));
	ck_assert_ptr_nonnull(E.p);
	E.fd = teesim_open(E.p, "/dev/tee0", 0);
	ck_assert_int_ge(E.fd, 3);
	E.rep = malloc(sizeof(*E.rep));
	ck_assert_ptr_nonnull(E.rep);
}

static void teardown(void)
{
	teesim_process_free(E.p);
	th_check_report("stack at teardown",
			teesim_check_stack(E.st, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, E.rep), 0,
			E.rep);
	teesim_stack_free(E.st);
	free(E.rep);
}

static struct optee *drv(void)
{
	return (struct optee *) E.st->drv;
}

static struct tee_device *tee0(void)
{
	return drv()->teedev;
}

/* A check with TEESIM_CHECK_IDLE finding exactly @n problems, one naming @want. */
static void expect(unsigned n, const char *want)
{
	unsigned got = teesim_check_stack(E.st, TEESIM_CHECK_IDLE, E.rep);

	ck_assert_msg(got == n, "expected %u problems, found %u:\n%s", n, got, E.rep->text);
	if (want)
		ck_assert_msg(strstr(E.rep->text, want), "no '%s' in:\n%s", want, E.rep->text);
}

/* SHM_ALLOC of one page: its fd, and the shm itself in *@shm. */
static int alloc_shm(struct tee_shm **shm)
{
	struct tee_ioctl_shm_alloc_data *d =
	    teesim_process_mmap(E.p, sizeof(*d), TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	int fd, id;

	ck_assert_ptr_nonnull(d);
	d->size = 4096;
	fd = teesim_ioctl(E.p, E.fd, TEE_IOC_SHM_ALLOC, d);
	ck_assert_int_ge(fd, 3);
	id = d->id;
	ck_assert_int_eq(teesim_process_munmap(E.p, d, sizeof(*d)), 0);
	*shm = tee_idr_find(&tee0()->idr, id);
	ck_assert_ptr_nonnull(*shm);
	return fd;
}

START_TEST(test_shm_refcount_off_by_one)
{
	struct tee_shm *shm;
	char want[128];
	int fd = alloc_shm(&shm);

	expect(0, NULL);
	tee_refcount_set(&shm->refcount, 2);
	snprintf(want, sizeof(want),
		 "tee0: shm id %d (ctx %p): refcount 2, holders found 1 (fd 1, mmaps 0, driver 0)",
		 shm->id, (void *) shm->ctx);
	expect(1, want);
	/* not idle: a count above its holders may be a parameter in flight */
	ck_assert_uint_eq(teesim_check_stack(E.st, 0, E.rep), 0);
	tee_refcount_set(&shm->refcount, 0);
	expect(1, "refcount 0 but still in the id table");
	tee_refcount_set(&shm->refcount, 1);
	expect(0, NULL);
	ck_assert_int_eq(teesim_close(E.p, fd), 0);
}
END_TEST

START_TEST(test_ctx_refcount_off_by_one)
{
	struct tee_shm *shm;
	struct tee_context *ctx;
	char want[128];
	int fd = alloc_shm(&shm);

	ctx = shm->ctx;
	tee_refcount_set(&ctx->refcount.count, 3);
	snprintf(want, sizeof(want),
		 "tee0: ctx %p: refcount 3, holders found 2 (fd 1, shms 1, driver 0)",
		 (void *) ctx);
	expect(1, want);
	tee_refcount_set(&ctx->refcount.count, 1);
	expect(1, "refcount 1, holders found 2");
	/* too low is wrong even with calls in flight */
	ck_assert_uint_eq(teesim_check_stack(E.st, 0, E.rep), 1);
	tee_refcount_set(&ctx->refcount.count, 2);
	atomic_fetch_add(&ctx->num_shms, 1);
	expect(2, "2 shms counted, 1 found in the id table");
	atomic_fetch_sub(&ctx->num_shms, 1);
	expect(0, NULL);
	ck_assert_int_eq(teesim_close(E.p, fd), 0);
}
END_TEST

START_TEST(test_dangling_id)
{
	struct tee_shm *shm, fake;
	char want[128];
	int fd = alloc_shm(&shm), id;

	/* an id naming a shm that carries another id */
	id = tee_idr_alloc(&tee0()->idr, shm, 1, 0);
	ck_assert_int_gt(id, shm->id);
	snprintf(want, sizeof(want), "tee0: id %d names a shm of id %d on this device", id,
		 shm->id);
	expect(1, want);
	/* an id naming a shm of no device at all */
	memset(&fake, 0, sizeof(fake));
	fake.id = id;
	ck_assert_int_eq(tee_idr_replace(&tee0()->idr, &fake, id, NULL), 0);
	snprintf(want, sizeof(want), "tee0: id %d names a shm of id %d on another device", id, id);
	expect(1, want);
	/* a reserved id nobody publishes */
	ck_assert_int_eq(tee_idr_replace(&tee0()->idr, NULL, id, NULL), 0);
	expect(1, "tee0: 1 shm ids reserved but never published");
	ck_assert_ptr_null(tee_idr_remove(&tee0()->idr, id));
	expect(0, NULL);
	ck_assert_int_eq(teesim_close(E.p, fd), 0);
}
END_TEST

START_TEST(test_registration_without_shm)
{
	struct teesim_sw *sw = E.st->sw;
	struct tsim_sw_mobj mo;

	/* the secure world holds a registration no driver shm stands for */
	memset(&mo, 0, sizeof(mo));
	mo.cookie = 0xdead0001;
	mo.npages = 2;
	mo.refs = 1;
	mo.registered = true;
	mo.next = sw->mobjs;
	sw->mobjs = &mo;
	sw->nmobjs++;
	expect(1, "secure world: registration cookie 0xdead0001 (2 pages): no normal-world shm is "
		  "registered with it");
	mo.refs = 2;
	expect(2, "registration cookie 0xdead0001: refs 2, expected 1");
	sw->nmobjs--;
	expect(3, "secure world: 0 registrations counted, 1 listed");
	sw->mobjs = mo.next;
	expect(0, NULL);
}
END_TEST

START_TEST(test_driver_registration_unknown)
{
	struct tee_shm *shm;
	uint64_t cookie;
	char want[128];
	int fd = alloc_shm(&shm);

	/* the later driver registers pool buffers: rename it behind the secure world's back */
	ck_assert(shm->flags & TEE_SHM_REGISTER);
	cookie = shm->cookie;
	shm->cookie = 0xbad0001;
	snprintf(want, sizeof(want),
		 "optee (guest 0): shm id %d cookie 0xbad0001: registered by the driver, unknown "
		 "to the secure world",
		 shm->id);
	expect(2, want);
	snprintf(want, sizeof(want), "secure world: registration cookie 0x%llx",
		 (unsigned long long) cookie);
	ck_assert_ptr_nonnull(strstr(E.rep->text, want));
	shm->cookie = cookie;
	drv()->registered++;
	expect(1, "optee (guest 0): 2 registrations counted, 1 registered shms found");
	drv()->registered--;
	expect(0, NULL);
	ck_assert_int_eq(teesim_close(E.p, fd), 0);
}
END_TEST

START_TEST(test_driver_counters)
{
	drv()->arg_in_use++;
	expect(1, "argument cache counts");
	drv()->arg_in_use--;
	drv()->nrpc_shms++;
	expect(1, "optee (guest 0): 1 RPC buffers counted, 0 listed");
	drv()->nrpc_shms--;
	drv()->cq.active++;
	expect(2, "1 calls in flight");
	ck_assert_ptr_nonnull(
	    strstr(E.rep->text, "call queue counts 1 callers (0 waiting), 0 listed"));
	drv()->cq.active--;
	expect(0, NULL);
}
END_TEST

START_TEST(test_device_users)
{
	tee0()->num_users++;
	expect(1,
	       "tee0: 3 device users, accounted 2 (registration 1, open contexts 1, shms with id "
	       "0, driver's shms 0)");
	tee0()->num_users--;
	expect(0, NULL);
}
END_TEST

START_TEST(test_machine_counters)
{
	struct teesim_machine *m = E.st->machine;
	struct teesim_guest *g = teesim_machine_guest(m, 0);
	uint64_t free_page = g->npages - 1;

	pthread_mutex_lock(&m->lock);
	m->kernel_pages++;
	pthread_mutex_unlock(&m->lock);
	expect(1, "machine: frames by kind counted kernel");
	pthread_mutex_lock(&m->lock);
	m->kernel_pages--;
	/* a pin on a page nobody owns */
	ck_assert_uint_eq(g->pages[free_page].state, TSIM_PG_FREE);
	g->pages[free_page].pins++;
	pthread_mutex_unlock(&m->lock);
	expect(2, "machine: guest 0: 1 pages with no live owner");
	ck_assert_ptr_nonnull(
	    strstr(E.rep->text, "machine: pins counted 0 on 0 pages, found 1 on 1"));
	pthread_mutex_lock(&m->lock);
	g->pages[free_page].pins--;
	g->busy_pages++;
	pthread_mutex_unlock(&m->lock);
	expect(1, "busy pages counted");
	pthread_mutex_lock(&m->lock);
	g->busy_pages--;
	pthread_mutex_unlock(&m->lock);
	expect(0, NULL);
}
END_TEST

/*
 * The page walk names pages that are not plain free or kernel pages: a
 * kernel page whose allocation bit is clear, a free page whose bit is set
 * (with a process's user pages before it), and a host binding on a page
 * that is not a host page.
 */
START_TEST(test_page_walk_odd_pages)
{
	struct teesim_machine *m = E.st->machine;
	struct teesim_guest *g = teesim_machine_guest(m, 0);
	uint64_t k, last = g->npages - 1;
	teesim_ipa_t kipa;
	char want[160];
	void *user = teesim_process_mmap(E.p, 2 * 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE);

	ck_assert_ptr_nonnull(user);
	ck_assert_uint_eq(m->user_pages, 2);
	ck_assert_int_eq(teesim_kmem_alloc(g, 1, 0, &kipa, NULL), 0);
	k = (kipa - g->ipa_base) / TSIM_PAGE;
	ck_assert_uint_eq(g->pages[k].state, TSIM_PG_KERNEL);
	ck_assert_uint_eq(g->pages[last].state, TSIM_PG_FREE);
	pthread_mutex_lock(&m->lock);
	tsim_bitmap_set(&g->alloc, k, 1, false);
	tsim_bitmap_set(&g->alloc, last, 1, true);
	pthread_mutex_unlock(&m->lock);
	snprintf(want, sizeof(want),
		 "machine: guest 0: 2 pages whose allocation bit disagrees with their state "
		 "(first: page %llu)",
		 (unsigned long long) k);
	expect(1, want);
	pthread_mutex_lock(&m->lock);
	tsim_bitmap_set(&g->alloc, k, 1, true);
	tsim_bitmap_set(&g->alloc, last, 1, false);
	atomic_store(&m->slot_host[g->slot_base + last], (uintptr_t) 0x1000);
	pthread_mutex_unlock(&m->lock);
	expect(1, "machine: guest 0: 1 host-page bindings inconsistent (slot, host map, pin)");
	pthread_mutex_lock(&m->lock);
	atomic_store(&m->slot_host[g->slot_base + last], 0);
	pthread_mutex_unlock(&m->lock);
	expect(0, NULL);
	ck_assert_int_eq(teesim_kmem_free(g, kipa, 1), 0);
	ck_assert_int_eq(teesim_process_munmap(E.p, user, 2 * 4096), 0);
}
END_TEST

START_TEST(test_host_binding)
{
	struct teesim_machine *m = E.st->machine;
	struct teesim_guest *g = teesim_machine_guest(m, 0);
	void *buf = NULL;
	teesim_ipa_t ipa;
	uint64_t idx;

	/* a host page (not the machine's) pinned: bound to a guest page while pinned */
	ck_assert_int_eq(posix_memalign(&buf, 4096, 4096), 0);
	memset(buf, 0, 4096);
	ck_assert_int_eq(teesim_process_pin(E.p, (uintptr_t) buf, 1, TEESIM_PIN_WRITE, &ipa), 1);
	expect(0, NULL);
	idx = (ipa - g->ipa_base) / TSIM_PAGE;
	pthread_mutex_lock(&m->lock);
	m->hostmap.used++;
	pthread_mutex_unlock(&m->lock);
	expect(1, "machine: host map holds 2 bindings, 1 host pages found");
	pthread_mutex_lock(&m->lock);
	m->hostmap.used--;
	/* the binding's page loses its pin: a bound host page must be pinned */
	g->pages[idx].pins--;
	m->pins--;
	m->pinned_pages--;
	pthread_mutex_unlock(&m->lock);
	expect(1, "machine: guest 0: 1 host-page bindings inconsistent (slot, host map, pin)");
	pthread_mutex_lock(&m->lock);
	g->pages[idx].pins++;
	m->pins++;
	m->pinned_pages++;
	pthread_mutex_unlock(&m->lock);
	/*
	 * EMPTY: a pin and a bound host page left, and the contexts: the
	 * client's, and the supplicant's (the machine alone does not know it
	 * is the stack's)
	 */
	ck_assert_uint_eq(teesim_check_machine(m, TEESIM_CHECK_EMPTY, E.rep), 4);
	ck_assert_ptr_nonnull(strstr(E.rep->text, "teepriv0: ctx"));
	ck_assert_ptr_nonnull(strstr(E.rep->text, "machine: 1 pins left on 1 pages at teardown"));
	ck_assert_ptr_nonnull(strstr(E.rep->text, "machine: 1 host pages still bound at teardown"));
	ck_assert_int_eq(teesim_guest_unpin(g, &ipa, 1), 0);
	expect(0, NULL);
	free(buf);
}
END_TEST

START_TEST(test_registered_pages_unpinned)
{
	struct tee_ioctl_shm_register_data *d =
	    teesim_process_mmap(E.p, sizeof(*d), TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	void *mem = teesim_process_mmap(E.p, 2 * 4096, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	struct tee_shm *shm;
	teesim_ipa_t saved;
	char want[96];
	int fd;

	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(mem);
	d->addr = (uintptr_t) mem;
	d->length = 2 * 4096;
	fd = teesim_ioctl(E.p, E.fd, TEE_IOC_SHM_REGISTER, d);
	ck_assert_int_ge(fd, 3);
	shm = tee_idr_find(&tee0()->idr, (int) d->id);
	ck_assert_ptr_nonnull(shm);
	ck_assert_uint_eq(shm->num_pages, 2);
	expect(0, NULL);
	/* the shm names a page it never pinned (the client's argument page) */
	saved = shm->pages[1];
	ck_assert_int_eq(teesim_process_pin(E.p, (uintptr_t) d, 1, 0, &shm->pages[1]), 1);
	ck_assert_int_eq(
	    teesim_guest_unpin(teesim_machine_guest(E.st->machine, 0), &shm->pages[1], 1), 0);
	snprintf(want, sizeof(want), "tee0: shm id %d: 1 of its 2 pinned pages hold no pin",
		 shm->id);
	expect(1, want);
	shm->pages[1] = saved;
	expect(0, NULL);
	ck_assert_int_eq(teesim_close(E.p, fd), 0);
}
END_TEST

START_TEST(test_refcount_violation)
{
	struct tee_refcount r;
	char want[96];

	tee_refcount_set(&r, 1);
	tee_refcount_dec(E.st->machine, &r);
	snprintf(want, sizeof(want),
		 "machine: violation: reference count decremented to 0 without release (counter "
		 "at %p)",
		 (void *) &r);
	expect(1, want);
	/* always a finding, whatever the flags */
	ck_assert_uint_eq(teesim_check_stack(E.st, 0, E.rep), 1);
	teesim_machine_clear_violations(E.st->machine);
	expect(0, NULL);
}
END_TEST

START_TEST(test_session_views)
{
	struct tee_shm *shm;
	int fd = alloc_shm(&shm);

	/* the normal world believes in a session the secure world does not have */
	atomic_fetch_add(&shm->ctx->num_sessions, 1);
	expect(2, "secure world: 0 sessions open, the normal world holds 1");
	ck_assert_ptr_nonnull(
	    strstr(E.rep->text, "tee core: 0 sessions counted, 1 on the contexts"));
	atomic_fetch_sub(&shm->ctx->num_sessions, 1);
	expect(0, NULL);
	ck_assert_int_eq(teesim_close(E.p, fd), 0);
}
END_TEST

START_TEST(test_sw_thread_and_session)
{
	struct teesim_sw *sw = E.st->sw;

	sw->threads[1].state = TEESIM_SW_THREAD_RUNNING;
	expect(1, "secure world: thread 1 running");
	ck_assert_uint_eq(teesim_check_stack(E.st, 0, E.rep), 0);
	sw->threads[1].state = TEESIM_SW_THREAD_FREE;
	sw->nsessions++;
	expect(1, "secure world: 1 sessions counted, 0 listed");
	sw->nsessions--;
	expect(0, NULL);
}
END_TEST

static int add_mediator(void *ctx, struct teesim_stack *st)
{
	struct teesim_mediator **med = ctx;

	*med = teesim_mediator_new(st->machine, NULL);
	return *med ? 0 : -errno;
}

static void free_mediator(void *ctx, struct teesim_stack *st)
{
	struct teesim_mediator **med = ctx;

	(void) st;
	teesim_mediator_free(*med);
	*med = NULL;
}

/* A stack whose guest 0 calls through the mediator, replacing the fixture's. */
static struct teesim_mediator *mediated(void)
{
	static struct teesim_mediator *med;
	struct teesim_stack_cfg cfg;

	teesim_process_free(E.p);
	teesim_stack_free(E.st);
	teesim_stack_cfg_default(&cfg);
	cfg.machine.remap = TEESIM_REMAP_SHUFFLE;
	cfg.machine.guest0_size = 32u << 20;
	cfg.sw.sec_caps |= TEESIM_OPTEE_SMC_SEC_CAP_VIRTUALIZATION;
	cfg.pre_probe = add_mediator;
	cfg.post_remove = free_mediator;
	cfg.hook_ctx = &med;
	E.st = teesim_stack_new(&cfg);
	ck_assert_ptr_nonnull(E.st);
	E.p = teesim_process_new(teesim_machine_guest(E.st->machine, 0));
	ck_assert_ptr_nonnull(E.p);
	E.fd = teesim_open(E.p, "/dev/tee0", 0);
	ck_assert_int_ge(E.fd, 3);
	return med;
}

START_TEST(test_mediator_state)
{
	struct teesim_mediator *med = mediated();
	struct tsim_med_guest *mg;
	struct tee_shm *shm;
	uint64_t sw_cookie;
	int fd = alloc_shm(&shm);

	expect(0, NULL);
	mg = med->guests;
	ck_assert_ptr_nonnull(mg);
	ck_assert_ptr_nonnull(mg->bufs);
	ck_assert(mg->bufs->registered);
	/* the secure world's cookie of the guest's buffer names nothing there */
	sw_cookie = mg->bufs->sw_cookie;
	mg->bufs->sw_cookie = 0xfeed;
	expect(2, "mediator: guest 0: buffer cookie 0x");
	ck_assert_ptr_nonnull(
	    strstr(E.rep->text, "registered as 0xfeed, unknown to the secure world"));
	ck_assert_ptr_nonnull(strstr(E.rep->text, "no normal-world shm is registered with it"));
	mg->bufs->sw_cookie = sw_cookie;
	/* mediator memory nobody holds */
	med->pool_used++;
	expect(1, "mediator: ");
	ck_assert_ptr_nonnull(strstr(E.rep->text, "pages in use (0 quarantined), guests' shadows"));
	/* at teardown also the hypervisor's kernel pages: 0 there, 1 claimed (and the client's) */
	ck_assert_uint_eq(teesim_check_stack(E.st, TEESIM_CHECK_EMPTY, E.rep), 6);
	ck_assert_ptr_nonnull(strstr(
	    E.rep->text, "machine: guest 1: 0 kernel pages, 1 held by the driver and mediator"));
	med->pool_used--;
	/* a counter off */
	mg->st.sessions++;
	expect(1, "mediator: guest 0: 1 sessions counted, 0 listed");
	/* a session the guest believes in, that neither its driver nor the secure world has */
	mg->nsessions++;
	expect(2, "mediator: guests hold 1 sessions, the secure world lists 0");
	ck_assert_ptr_nonnull(
	    strstr(E.rep->text, "mediator: guests hold 1 sessions, their drivers 0"));
	mg->nsessions--;
	mg->st.sessions--;
	expect(0, NULL);
	ck_assert_int_eq(teesim_close(E.p, fd), 0);
}
END_TEST

static int match_any(struct tee_ioctl_version_data *vers, const void *data)
{
	(void) vers;
	(void) data;
	return 1;
}

START_TEST(test_in_kernel_context)
{
	struct tee_ioctl_version_data vers;
	struct tee_context *ctx;

	/* an in-kernel client: no fd holds its context */
	ctx = tee_client_open_context(teesim_machine_guest(E.st->machine, 0), NULL, match_any, NULL,
				      &vers);
	ck_assert(!IS_ERR(ctx));
	expect(0, NULL);
	teesim_process_free(E.p);
	E.p = NULL;
	ck_assert_uint_eq(teesim_check_stack(E.st, TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY, E.rep),
			  1);
	ck_assert_ptr_nonnull(strstr(
	    E.rep->text, "tee0: 1 contexts held by no fd and no shm (in-kernel clients) left "
			 "at teardown"));
	/* its device user counts as an open context */
	tee0()->ncontexts--;
	expect(1, "tee0: 2 device users, accounted 1 (registration 1, open contexts 0");
	tee0()->ncontexts++;
	tee_client_close_context(ctx);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("check-corrupt");
	TCase *tc = tcase_create("corrupt");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_shm_refcount_off_by_one);
	tcase_add_test(tc, test_ctx_refcount_off_by_one);
	tcase_add_test(tc, test_dangling_id);
	tcase_add_test(tc, test_registration_without_shm);
	tcase_add_test(tc, test_driver_registration_unknown);
	tcase_add_test(tc, test_driver_counters);
	tcase_add_test(tc, test_device_users);
	tcase_add_test(tc, test_machine_counters);
	tcase_add_test(tc, test_host_binding);
	tcase_add_test(tc, test_page_walk_odd_pages);
	tcase_add_test(tc, test_registered_pages_unpinned);
	tcase_add_test(tc, test_refcount_violation);
	tcase_add_test(tc, test_sw_thread_and_session);
	tcase_add_test(tc, test_session_views);
	tcase_add_test(tc, test_in_kernel_context);
	tcase_add_test(tc, test_mediator_state);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return th_run(suite());
}
