/* SPDX-License-Identifier: MIT */
/* The virtual clock: nanoseconds that move only when someone advances them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

uint64_t teesim_clock_now(const struct teesim_machine *m)
{
	return atomic_load(&((struct teesim_machine *) m)->now);
}

static bool before(const struct tsim_timer *a, const struct tsim_timer *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->id < b->id);
}

int teesim_clock_timer_add(struct teesim_machine *m, uint64_t deadline_ns, teesim_timer_fn fn,
			   void *ctx, uint64_t *id)
{
	struct tsim_timer t = {deadline_ns, 0, fn, ctx};
	size_t at;

	if (!fn)
		return -EINVAL;
	pthread_mutex_lock(&m->clock_lock);
	if (m->ntimers == m->captimers) {
		size_t cap = m->captimers ? m->captimers * 2 : 8;
		struct tsim_timer *n = tsim_reallocarray(m, m->timers, cap, sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&m->clock_lock);
			return -ENOMEM;
		}
		m->timers = n;
		m->captimers = cap;
	}
	t.id = m->next_timer_id++;
	at = m->ntimers;
	while (at && before(&t, &m->timers[at - 1]))
		at--;
	memmove(&m->timers[at + 1], &m->timers[at], (m->ntimers - at) * sizeof(t));
	m->timers[at] = t;
	m->ntimers++;
	pthread_mutex_unlock(&m->clock_lock);
	if (id)
		*id = t.id;
	return 0;
}

int teesim_clock_timer_cancel(struct teesim_machine *m, uint64_t id)
{
	int err = -ENOENT;

	pthread_mutex_lock(&m->clock_lock);
	for (size_t i = 0; i < m->ntimers; i++) {
		if (m->timers[i].id == id) {
			memmove(&m->timers[i], &m->timers[i + 1],
				(m->ntimers - i - 1) * sizeof(m->timers[0]));
			m->ntimers--;
			err = 0;
			break;
		}
	}
	pthread_mutex_unlock(&m->clock_lock);
	return err;
}

uint64_t teesim_clock_advance(struct teesim_machine *m, uint64_t ns)
{
	uint64_t target;

	pthread_mutex_lock(&m->clock_lock);
	target = atomic_load(&m->now);
	target = target + ns < target ? UINT64_MAX : target + ns;
	/* fire due timers one at a time, in order, with no lock held */
	while (m->ntimers && m->timers[0].deadline <= target) {
		struct tsim_timer t = m->timers[0];

		memmove(&m->timers[0], &m->timers[1], (m->ntimers - 1) * sizeof(t));
		m->ntimers--;
		if (t.deadline > atomic_load(&m->now))
			atomic_store(&m->now, t.deadline);
		pthread_mutex_unlock(&m->clock_lock);
		t.fn(t.ctx, t.deadline);
		pthread_mutex_lock(&m->clock_lock);
	}
	if (target > atomic_load(&m->now))
		atomic_store(&m->now, target);
	target = atomic_load(&m->now);
	pthread_mutex_unlock(&m->clock_lock);
	return target;
}

void tsim_clock_fini(struct teesim_machine *m)
{
	tsim_free(m, m->timers);
	m->timers = NULL;
	m->ntimers = m->captimers = 0;
}
