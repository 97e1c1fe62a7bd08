/* SPDX-License-Identifier: MIT */
/*
 * The secure world's part of the invariant checker (see docs/invariants.md):
 * its threads, sessions and registered objects, and each registration
 * against a normal-world owner (the mediator when one is attached, else
 * the drivers). No memory is allocated: cookies are looked at in small
 * batches copied under the lock, then asked about with no lock held.
 */
#include <inttypes.h>
#include <string.h>

#include "../internal.h"
#include "sw_internal.h"

#define BATCH TSIM_CHECK_BATCH

static const char *state_name(enum teesim_sw_thread_state s)
{
	switch (s) {
	case TEESIM_SW_THREAD_FREE:
		return "free";
	case TEESIM_SW_THREAD_RUNNING:
		return "running";
	case TEESIM_SW_THREAD_SUSPENDED:
		return "suspended in RPC";
	}
	return "in an unknown state";
}

static void check_threads(struct teesim_sw *sw, struct tsim_check *c)
{
	pthread_mutex_lock(&sw->lock);
	for (unsigned i = 0; i < sw->nthreads; i++) {
		const struct tsim_sw_thread *t = &sw->threads[i];
		unsigned shms = 0;

		for (const struct teesim_ta_shm *s = t->rpc_shms; s; s = s->next)
			shms++;
		if (t->state == TEESIM_SW_THREAD_FREE) {
			if (shms)
				tsim_check_report(
				    c,
				    "secure world: thread %u is free but holds %u RPC "
				    "buffers",
				    i, shms);
			continue;
		}
		if (c->flags & TEESIM_CHECK_IDLE)
			tsim_check_report(c,
					  "secure world: thread %u %s (RPC 0x%08" PRIx32
					  ", call function 0x%08" PRIx32 ", %u RPC buffers)",
					  i, state_name(t->state), t->rpc_a0, t->fid, shms);
	}
	pthread_mutex_unlock(&sw->lock);
}

static void check_sessions(struct teesim_sw *sw, struct tsim_check *c)
{
	uint64_t n = 0, counted;
	unsigned busy = 0, bad_ta = 0;

	pthread_mutex_lock(&sw->lock);
	for (const struct tsim_sw_session *s = sw->sessions; s; s = s->next) {
		n++;
		if (!s->ta || !s->ta->nsessions)
			bad_ta++;
		if (s->calls && (c->flags & TEESIM_CHECK_IDLE))
			busy++;
		if (c->flags & TEESIM_CHECK_EMPTY)
			tsim_check_report(
			    c, "secure world: session %" PRIu32 " (TA %s) left at teardown%s",
			    s->id, s->ta && s->ta->name ? s->ta->name : "?",
			    s->dead ? " (dead)" : "");
	}
	counted = sw->nsessions;
	for (const struct tsim_sw_ta *ta = sw->tas; ta; ta = ta->next) {
		unsigned k = 0;

		for (const struct tsim_sw_session *s = sw->sessions; s; s = s->next)
			if (s->ta == ta)
				k++;
		if ((c->flags & TEESIM_CHECK_IDLE) ? ta->nsessions != k : ta->nsessions < k)
			tsim_check_report(c, "secure world: TA %s counts %u sessions, %u open",
					  ta->name ? ta->name : "?", ta->nsessions, k);
	}
	pthread_mutex_unlock(&sw->lock);
	if (counted != n)
		tsim_check_report(c,
				  "secure world: %" PRIu64 " sessions counted, %" PRIu64 " listed",
				  counted, n);
	if (bad_ta)
		tsim_check_report(c, "secure world: %u sessions on a TA that counts none", bad_ta);
	if (busy)
		tsim_check_report(c, "secure world: %u sessions with calls running", busy);
	/*
	 * the normal world's view: sessions the tee core found on the drivers'
	 * contexts. A session whose TA panicked stays (dead) until its client
	 * closes it, so dead sessions count too.
	 */
	if ((c->flags & TEESIM_CHECK_IDLE) && c->nw_sessions_known &&
	    tsim_check_has(c, TSIM_CHECK_OPTEE) && !tsim_check_has(c, TSIM_CHECK_MEDIATOR) &&
	    c->nw_sessions != n)
		tsim_check_report(
		    c, "secure world: %" PRIu64 " sessions open, the normal world holds %" PRIu64,
		    n, c->nw_sessions);
	/* for the mediator's check, which runs after this one */
	c->sw_sessions = n;
	c->sw_sessions_known = true;
}

/* Copy up to BATCH registrations from position @pos; returns how many. */
static unsigned mobj_batch(struct teesim_sw *sw, uint64_t pos, uint64_t *cookies, uint64_t *npages)
{
	const struct tsim_sw_mobj *mo;
	unsigned n = 0;

	pthread_mutex_lock(&sw->lock);
	for (mo = sw->mobjs; mo && pos; mo = mo->next)
		pos--;
	for (; mo && n < BATCH; mo = mo->next, n++) {
		cookies[n] = mo->cookie;
		npages[n] = mo->npages;
	}
	pthread_mutex_unlock(&sw->lock);
	return n;
}

static void check_mobjs(struct teesim_sw *sw, struct tsim_check *c)
{
	uint64_t n = 0, counted;
	uint64_t cookies[BATCH], npages[BATCH];
	enum tsim_check_kind owner;
	unsigned k;

	pthread_mutex_lock(&sw->lock);
	for (const struct tsim_sw_mobj *mo = sw->mobjs; mo; mo = mo->next) {
		n++;
		if (!mo->registered || !mo->refs)
			tsim_check_report(c,
					  "secure world: registration cookie 0x%" PRIx64
					  " listed but %s (refs %u)",
					  mo->cookie,
					  mo->registered ? "has no reference" : "not registered",
					  mo->refs);
		else if ((c->flags & TEESIM_CHECK_IDLE) && (mo->refs != 1 || mo->releasing))
			tsim_check_report(c,
					  "secure world: registration cookie 0x%" PRIx64
					  ": refs %u%s, expected 1 (the registration only)",
					  mo->cookie, mo->refs,
					  mo->releasing ? " (releasing)" : "");
	}
	counted = sw->nmobjs;
	pthread_mutex_unlock(&sw->lock);
	if (counted != n)
		tsim_check_report(
		    c, "secure world: %" PRIu64 " registrations counted, %" PRIu64 " listed",
		    counted, n);

	owner = tsim_check_has(c, TSIM_CHECK_MEDIATOR) ? TSIM_CHECK_MEDIATOR : TSIM_CHECK_OPTEE;
	for (uint64_t pos = 0; (k = mobj_batch(sw, pos, cookies, npages)) > 0; pos += k) {
		int8_t ans[BATCH];

		tsim_check_cookies(c, owner, NULL, cookies, k, ans);
		for (unsigned i = 0; i < k; i++) {
			if (c->flags & TEESIM_CHECK_EMPTY)
				tsim_check_report(c,
						  "secure world: registration cookie 0x%" PRIx64
						  " (%" PRIu64 " pages) left at teardown",
						  cookies[i], npages[i]);
			else if (ans[i] == 0)
				tsim_check_report(c,
						  "secure world: registration cookie 0x%" PRIx64
						  " (%" PRIu64 " pages): no normal-world shm is "
						  "registered with it",
						  cookies[i], npages[i]);
		}
		if (k < BATCH)
			break;
	}
}

static void sw_check(void *obj, struct tsim_check *c)
{
	struct teesim_sw *sw = obj;

	check_threads(sw, c);
	check_sessions(sw, c);
	check_mobjs(sw, c);
}

static bool sw_has_cookies(void *obj, struct teesim_guest *g, const uint64_t *cookies, unsigned n,
			   int8_t *ans)
{
	struct teesim_sw *sw = obj;

	(void) g; /* one table for every guest: the mediator keeps cookies apart */
	memset(ans, 0, n);
	pthread_mutex_lock(&sw->lock);
	for (const struct tsim_sw_mobj *mo = sw->mobjs; mo; mo = mo->next)
		for (unsigned i = 0; mo->registered && i < n; i++)
			if (mo->cookie == cookies[i])
				ans[i] = 1;
	pthread_mutex_unlock(&sw->lock);
	return true;
}

void tsim_sw_check_register(struct teesim_sw *sw)
{
	sw->check_node = (struct tsim_check_node){
	    .kind = TSIM_CHECK_SW,
	    .obj = sw,
	    .check = sw_check,
	    .has_cookies = sw_has_cookies,
	};
	tsim_check_register(sw->m, &sw->check_node);
}

void tsim_sw_check_unregister(struct teesim_sw *sw)
{
	tsim_check_unregister(sw->m, &sw->check_node);
}
