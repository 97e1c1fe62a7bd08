/* SPDX-License-Identifier: MIT */
/*
 * The OP-TEE mediator: construction and probe, guest contexts, mediator
 * memory, and the fast calls a guest may make (Xen's optee_handle_call).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/machine.h>

#include "../internal.h"
#include "med_internal.h"

uint64_t tsim_med_pair(uint32_t hi, uint32_t lo)
{
	return ((uint64_t) hi << 32) | lo;
}

/* ------------------------------------------------------------------------ */
/* Mediator memory: kernel pages of the hypervisor guest */

int tsim_med_alloc(struct teesim_mediator *med, struct tsim_med_guest *mg, size_t n,
		   struct tsim_med_mem *mem)
{
	int err = teesim_kmem_alloc(med->hyp, n, TEESIM_KMEM_ZERO, &mem->ipa, &mem->host);

	if (err) {
		mem->n = 0;
		return err;
	}
	mem->n = n;
	pthread_mutex_lock(&med->lock);
	med->pool_used += n;
	if (mg)
		mg->st.shadow_pages += n;
	pthread_mutex_unlock(&med->lock);
	return 0;
}

void tsim_med_release(struct teesim_mediator *med, struct tsim_med_guest *mg,
		      struct tsim_med_mem *mem)
{
	if (!mem->n)
		return;
	teesim_kmem_free(med->hyp, mem->ipa, mem->n);
	pthread_mutex_lock(&med->lock);
	med->pool_used -= mem->n;
	if (mg)
		mg->st.shadow_pages -= mem->n;
	pthread_mutex_unlock(&med->lock);
	mem->n = 0;
	mem->host = NULL;
}

teesim_pa_t tsim_med_pa(const struct teesim_mediator *med, const struct tsim_med_mem *mem,
			size_t page)
{
	teesim_pa_t pa = 0;

	/* a page of our own allocation always translates */
	teesim_guest_ipa_to_pa(med->hyp, mem->ipa + (uint64_t) page * MED_PAGE, &pa);
	return pa;
}

void *tsim_med_guest_page(struct tsim_med_guest *mg, teesim_ipa_t ipa)
{
	if (ipa & MED_PAGE_MASK)
		return NULL;
	return teesim_guest_ipa_host(mg->g, ipa);
}

void tsim_med_reject(struct teesim_mediator *med, struct tsim_med_guest *mg)
{
	pthread_mutex_lock(&med->lock);
	med->rejected++;
	if (mg)
		mg->st.rejected++;
	pthread_mutex_unlock(&med->lock);
}

/* Deliver @r to the secure world on behalf of @mg (NULL: the hypervisor, a7 = 0). */
void tsim_med_forward(struct teesim_mediator *med, struct tsim_med_guest *mg,
		      struct teesim_smc_regs *r)
{
	r->a[7] = mg && med->cfg.client_id_in_a7 ? mg->client_id : 0;
	teesim_smc_forward(med->m, mg ? mg->g : med->hyp, r);
}

/* ------------------------------------------------------------------------ */
/* Guests */

uint32_t teesim_mediator_client_id(const struct teesim_guest *g)
{
	return teesim_guest_id(g) + 1;
}

static struct tsim_med_guest *guest_find_locked(struct teesim_mediator *med,
						const struct teesim_guest *g)
{
	for (struct tsim_med_guest *mg = med->guests; mg; mg = mg->next)
		if (mg->g == g)
			return mg;
	return NULL;
}

static uint32_t vm_call(struct teesim_mediator *med, uint32_t fid, uint32_t client_id)
{
	struct teesim_smc_regs r = {{fid, client_id, 0, 0, 0, 0, 0, 0}};

	tsim_med_forward(med, NULL, &r);
	return r.a[0];
}

int teesim_mediator_guest_add(struct teesim_mediator *med, struct teesim_guest *g)
{
	struct tsim_med_guest *mg, *other;

	if (!g || g == med->hyp || teesim_guest_machine(g) != med->m)
		return -EINVAL;
	pthread_mutex_lock(&med->lock);
	other = guest_find_locked(med, g);
	pthread_mutex_unlock(&med->lock);
	if (other)
		return -EEXIST;
	mg = tsim_calloc(med->m, 1, sizeof(*mg));
	if (!mg)
		return -ENOMEM;
	mg->g = g;
	mg->client_id = teesim_mediator_client_id(g);
	mg->st.client_id = mg->client_id;
	/* Xen's domain init: OP-TEE must accept the guest, else it gets no OP-TEE */
	if (med->cfg.announce_vms && vm_call(med, TEESIM_OPTEE_SMC_VM_CREATED, mg->client_id) !=
					 TEESIM_OPTEE_SMC_RETURN_OK) {
		tsim_free(med->m, mg);
		return -ENODEV;
	}
	pthread_mutex_lock(&med->lock);
	other = guest_find_locked(med, g);
	if (!other) {
		mg->next = med->guests;
		med->guests = mg;
	}
	pthread_mutex_unlock(&med->lock);
	if (other) {
		/* another host thread added it meanwhile: its context stands */
		tsim_free(med->m, mg);
		return -EEXIST;
	}
	return 0;
}

/*
 * Keep @mem away from reuse until the mediator goes: the secure world model
 * has no per-VM partition to drop on VM_DESTROYED, so a thread suspended in a
 * call of the guest, or an RPC buffer in its shm cache, still names these
 * pages. Reusing them for another guest's shadows would let one guest's call
 * write into another's.
 */
static void quarantine(struct teesim_mediator *med, struct tsim_med_guest *mg,
		       struct tsim_med_mem *mem)
{
	struct tsim_med_orphan *o;

	if (!mem->n)
		return;
	o = tsim_calloc(med->m, 1, sizeof(*o));
	if (!o) {
		tsim_med_release(med, mg, mem); /* no host memory: give it back after all */
		return;
	}
	o->mem = *mem;
	mem->n = 0;
	pthread_mutex_lock(&med->lock);
	mg->st.shadow_pages -= o->mem.n;
	med->quarantined += o->mem.n;
	o->next = med->orphans;
	med->orphans = o;
	pthread_mutex_unlock(&med->lock);
}

static void guest_relinquish(struct teesim_mediator *med, struct tsim_med_guest *mg)
{
	while (mg->calls) {
		/* every context left is suspended in an RPC inside the secure world */
		quarantine(med, mg, &mg->calls->arg);
		tsim_med_call_free(med, mg, mg->calls);
	}
	while (mg->rpcs) {
		quarantine(med, mg, &mg->rpcs->shadow);
		tsim_med_rpc_free(med, mg, mg->rpcs->cookie);
	}
	while (mg->bufs) {
		struct tsim_med_buf *b =
		    tsim_med_buf_unlink(med, mg, mg->bufs->cookie, TSIM_MED_BUF_ANY);

		tsim_med_buf_free(med, mg, b);
	}
	if (med->cfg.announce_vms)
		vm_call(med, TEESIM_OPTEE_SMC_VM_DESTROYED, mg->client_id);
	tsim_free(med->m, mg->sessions);
	tsim_free(med->m, mg);
}

int teesim_mediator_guest_remove(struct teesim_mediator *med, struct teesim_guest *g)
{
	struct tsim_med_guest **pp, *mg = NULL;

	pthread_mutex_lock(&med->lock);
	for (pp = &med->guests; *pp; pp = &(*pp)->next) {
		if ((*pp)->g == g) {
			mg = *pp;
			*pp = mg->next;
			break;
		}
	}
	pthread_mutex_unlock(&med->lock);
	if (!mg)
		return -ENOENT;
	guest_relinquish(med, mg);
	return 0;
}

static struct tsim_med_guest *guest_get(struct teesim_mediator *med, struct teesim_guest *g)
{
	struct tsim_med_guest *mg;

	pthread_mutex_lock(&med->lock);
	med->smcs++;
	mg = guest_find_locked(med, g);
	pthread_mutex_unlock(&med->lock);
	if (mg || !med->cfg.auto_add || !g || g == med->hyp)
		return mg;
	/* refused (or added meanwhile by another host thread): the lookup tells */
	(void) teesim_mediator_guest_add(med, g);
	pthread_mutex_lock(&med->lock);
	mg = guest_find_locked(med, g);
	pthread_mutex_unlock(&med->lock);
	return mg;
}

/* ------------------------------------------------------------------------ */
/* Fast calls */

/* Forward fid with a1..a6 cleared and copy @nout result registers back. */
static void fast_forward(struct teesim_mediator *med, struct tsim_med_guest *mg,
			 struct teesim_smc_regs *r, uint32_t a1, unsigned nout)
{
	struct teesim_smc_regs s = {{r->a[0], a1, 0, 0, 0, 0, 0, 0}};

	tsim_med_forward(med, mg, &s);
	for (unsigned i = 0; i < nout; i++)
		r->a[i] = s.a[i];
}

static void exchange_capabilities(struct teesim_mediator *med, struct tsim_med_guest *mg,
				  struct teesim_smc_regs *r)
{
	const uint32_t known = TEESIM_OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM |
			       TEESIM_OPTEE_SMC_SEC_CAP_UNREGISTERED_SHM |
			       TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM;
	struct teesim_smc_regs s = {{r->a[0], r->a[1] & TEESIM_OPTEE_SMC_NSEC_CAP_UNIPROCESSOR}};
	uint32_t caps;

	tsim_med_forward(med, mg, &s);
	if (s.a[0] != TEESIM_OPTEE_SMC_RETURN_OK) {
		r->a[0] = s.a[0];
		return;
	}
	/* only the caps Xen knows, never the static pool, and dynamic shm is a must */
	caps = s.a[1] & known & ~TEESIM_OPTEE_SMC_SEC_CAP_HAVE_RESERVED_SHM;
	if (!(caps & TEESIM_OPTEE_SMC_SEC_CAP_DYNAMIC_SHM)) {
		tsim_med_reject(med, mg);
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL;
		return;
	}
	r->a[0] = TEESIM_OPTEE_SMC_RETURN_OK;
	r->a[1] = caps;
	r->a[2] = 0; /* no notifications, no RPC_ARG: nothing to announce */
	r->a[3] = 0;
}

static void disable_shm_cache(struct teesim_mediator *med, struct tsim_med_guest *mg,
			      struct teesim_smc_regs *r)
{
	/*
	 * The secure world model has one cache for all guests: a cookie that is
	 * not this guest's (another guest's kernel pointer, in Linux) is not
	 * handed out; ask for the next one instead. Each answer empties one
	 * thread's slot, so this ends with ENOTAVAIL at the latest.
	 */
	for (unsigned tries = 0; tries < 256; tries++) {
		struct teesim_smc_regs s = {{TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE}};
		uint64_t cookie;

		tsim_med_forward(med, mg, &s);
		r->a[0] = s.a[0];
		if (s.a[0] != TEESIM_OPTEE_SMC_RETURN_OK)
			return;
		cookie = tsim_med_pair(s.a[1], s.a[2]);
		if (!tsim_med_rpc_find(med, mg, cookie)) {
			tsim_med_reject(med, mg);
			continue;
		}
		/* OP-TEE hands a cached RPC buffer back: its shadow goes too */
		tsim_med_rpc_free(med, mg, cookie);
		r->a[1] = s.a[1];
		r->a[2] = s.a[2];
		return;
	}
	r->a[0] = TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL;
}

static void med_smc(void *ctx, struct teesim_guest *from, struct teesim_smc_regs *r)
{
	struct teesim_mediator *med = ctx;
	struct tsim_med_guest *mg = guest_get(med, from);

	if (!mg) {
		/* a guest without OP-TEE: nobody handles its call */
		tsim_med_reject(med, NULL);
		r->a[0] = TEESIM_SMC_UNKNOWN_FUNCTION;
		return;
	}
	switch (r->a[0]) {
	case TEESIM_OPTEE_SMC_CALLS_COUNT:
		r->a[0] = TEESIM_MEDIATOR_SMC_COUNT;
		return;
	case TEESIM_OPTEE_SMC_CALLS_UID:
	case TEESIM_OPTEE_SMC_CALL_GET_OS_UUID:
		fast_forward(med, mg, r, 0, 4);
		return;
	case TEESIM_OPTEE_SMC_CALLS_REVISION:
		fast_forward(med, mg, r, 0, 2);
		return;
	case TEESIM_OPTEE_SMC_CALL_GET_OS_REVISION:
		fast_forward(med, mg, r, 0, 3);
		return;
	case TEESIM_OPTEE_SMC_ENABLE_SHM_CACHE:
		fast_forward(med, mg, r, 0, 1);
		return;
	case TEESIM_OPTEE_SMC_DISABLE_SHM_CACHE:
		disable_shm_cache(med, mg, r);
		return;
	case TEESIM_OPTEE_SMC_GET_SHM_CONFIG:
		/* one static pool cannot be shared safely between guests */
		tsim_med_reject(med, mg);
		r->a[0] = TEESIM_OPTEE_SMC_RETURN_ENOTAVAIL;
		return;
	case TEESIM_OPTEE_SMC_EXCHANGE_CAPABILITIES:
		exchange_capabilities(med, mg, r);
		return;
	case TEESIM_OPTEE_SMC_CALL_WITH_ARG:
		tsim_med_std_call(med, mg, r);
		return;
	case TEESIM_OPTEE_SMC_CALL_RETURN_FROM_RPC:
		tsim_med_return_from_rpc(med, mg, r);
		return;
	default:
		/* Xen does not handle it, so the guest hears "unknown function" */
		tsim_med_reject(med, mg);
		r->a[0] = TEESIM_SMC_UNKNOWN_FUNCTION;
		return;
	}
}

/* ------------------------------------------------------------------------ */
/* Construction */

void teesim_mediator_cfg_default(struct teesim_mediator_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_buffer_pages = TEESIM_MEDIATOR_MAX_BUFFER_PAGES;
	cfg->max_buffers = TEESIM_MEDIATOR_MAX_BUFFERS;
	cfg->max_total_pages = TEESIM_MEDIATOR_MAX_TOTAL_PAGES;
	cfg->max_calls = 0;
	cfg->client_id_in_a7 = true;
	cfg->announce_vms = true;
	cfg->auto_add = true;
	cfg->pool_pages = 512;
}

/* Xen's optee_probe: the OP-TEE UID, the thread count, virtualization support. */
static int probe(struct teesim_mediator *med)
{
	struct teesim_smc_regs r = {{TEESIM_OPTEE_SMC_CALLS_UID}};

	tsim_med_forward(med, NULL, &r);
	if (r.a[0] != TEESIM_OPTEE_MSG_UID_0 || r.a[1] != TEESIM_OPTEE_MSG_UID_1 ||
	    r.a[2] != TEESIM_OPTEE_MSG_UID_2 || r.a[3] != TEESIM_OPTEE_MSG_UID_3)
		return -ENODEV;
	if (!med->cfg.max_calls) {
		struct teesim_smc_regs t = {{TEESIM_OPTEE_SMC_GET_THREAD_COUNT}};

		tsim_med_forward(med, NULL, &t);
		if (t.a[0] != TEESIM_OPTEE_SMC_RETURN_OK || !t.a[1])
			return -ENODEV;
		med->cfg.max_calls = t.a[1];
	}
	if (med->cfg.announce_vms &&
	    vm_call(med, TEESIM_OPTEE_SMC_VM_DESTROYED, 0) == TEESIM_SMC_UNKNOWN_FUNCTION)
		return -ENODEV;
	return 0;
}

struct teesim_mediator *teesim_mediator_new(struct teesim_machine *m,
					    const struct teesim_mediator_cfg *cfg)
{
	struct teesim_mediator *med;
	int err;

	if (!m) {
		errno = EINVAL;
		return NULL;
	}
	if (m->mediator_fn) {
		errno = EBUSY; /* one hypervisor per machine */
		return NULL;
	}
	med = tsim_calloc(m, 1, sizeof(*med));
	if (!med) {
		errno = ENOMEM;
		return NULL;
	}
	if (cfg)
		med->cfg = *cfg;
	else
		teesim_mediator_cfg_default(&med->cfg);
	err = -EINVAL;
	if (!med->cfg.max_buffer_pages || !med->cfg.max_buffers || !med->cfg.max_total_pages ||
	    !med->cfg.pool_pages)
		goto err_free;
	med->m = m;
	med->next_cookie = 1;
	err = -ENOMEM;
	if (pthread_mutex_init(&med->lock, NULL))
		goto err_free;
	med->hyp = teesim_guest_new(m, (uint64_t) med->cfg.pool_pages * MED_PAGE);
	if (!med->hyp)
		goto err_lock;
	err = probe(med);
	if (err)
		goto err_guest;
	teesim_smc_set_mediator(m, med_smc, med);
	tsim_med_check_register(med);
	return med;

err_guest:
	teesim_guest_free(med->hyp);
err_lock:
	pthread_mutex_destroy(&med->lock);
err_free:
	tsim_free(m, med);
	errno = -err;
	return NULL;
}

void teesim_mediator_free(struct teesim_mediator *med)
{
	if (!med)
		return;
	tsim_med_check_unregister(med);
	teesim_smc_set_mediator(med->m, NULL, NULL);
	while (med->guests) {
		struct tsim_med_guest *mg = med->guests;

		med->guests = mg->next;
		guest_relinquish(med, mg);
	}
	while (med->orphans) {
		struct tsim_med_orphan *o = med->orphans;

		med->orphans = o->next;
		tsim_med_release(med, NULL, &o->mem);
		tsim_free(med->m, o);
	}
	teesim_guest_free(med->hyp);
	pthread_mutex_destroy(&med->lock);
	tsim_free(med->m, med);
}

const struct teesim_mediator_cfg *teesim_mediator_config(const struct teesim_mediator *med)
{
	return &med->cfg;
}

struct teesim_guest *teesim_mediator_hyp_guest(const struct teesim_mediator *med)
{
	return med->hyp;
}

/* ------------------------------------------------------------------------ */
/* Observation */

int teesim_mediator_guest_stats(struct teesim_mediator *med, const struct teesim_guest *g,
				struct teesim_mediator_guest_stats *st)
{
	struct tsim_med_guest *mg;

	pthread_mutex_lock(&med->lock);
	mg = guest_find_locked(med, g);
	if (mg)
		*st = mg->st;
	pthread_mutex_unlock(&med->lock);
	return mg ? 0 : -ENOENT;
}

void teesim_mediator_stats(struct teesim_mediator *med, struct teesim_mediator_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&med->lock);
	for (struct tsim_med_guest *mg = med->guests; mg; mg = mg->next)
		st->guests++;
	st->pool_pages = med->pool_used;
	st->quarantined = med->quarantined;
	st->pool_size = med->cfg.pool_pages;
	st->smcs = med->smcs;
	st->rejected = med->rejected;
	pthread_mutex_unlock(&med->lock);
}

int teesim_mediator_sw_cookie(struct teesim_mediator *med, const struct teesim_guest *g,
			      uint64_t cookie, uint64_t *sw_cookie)
{
	struct tsim_med_guest *mg;
	int err = -ENOENT;

	pthread_mutex_lock(&med->lock);
	mg = guest_find_locked(med, g);
	for (struct tsim_med_buf *b = mg ? mg->bufs : NULL; b; b = b->next) {
		if (b->registered && b->cookie == cookie) {
			*sw_cookie = b->sw_cookie;
			err = 0;
			break;
		}
	}
	pthread_mutex_unlock(&med->lock);
	return err;
}
