/* SPDX-License-Identifier: MIT */
/*
 * The supplicant's part of the invariant checker: open file and directory
 * handles, and the SHM_ALLOC buffers it keeps for the secure world.
 */
#include "supp_internal.h"

void tsim_supp_check(struct teesim_supplicant *s, struct tsim_check *c)
{
	size_t files = 0, dirs = 0, shms = 0, bad_refs = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->nfds; i++) {
		if (!s->fds[i])
			continue;
		files++;
		if (!s->fds[i]->refs)
			bad_refs++;
	}
	for (size_t i = 0; i < s->ndirs; i++)
		if (s->dirs[i])
			dirs++;
	for (const struct tsim_supp_shm *sh = s->shms; sh; sh = sh->next)
		shms++;
	pthread_mutex_unlock(&s->lock);

	if (bad_refs)
		tsim_check_report(c, "supplicant: %zu open file handles on files with no reference",
				  bad_refs);
	if (c->flags & TEESIM_CHECK_EMPTY) {
		if (files)
			tsim_check_report(c, "supplicant: %zu file handles left open", files);
		if (dirs)
			tsim_check_report(c, "supplicant: %zu directory handles left open", dirs);
	}
	if ((c->flags & (TEESIM_CHECK_IDLE | TEESIM_CHECK_EMPTY)) && shms)
		tsim_check_report(
		    c,
		    "supplicant: %zu shared-memory buffers (SHM_ALLOC) still held for "
		    "the secure world",
		    shms);
}

static void supp_node_check(void *obj, struct tsim_check *c)
{
	tsim_supp_check(obj, c);
}

void tsim_supp_check_register(struct teesim_supplicant *s)
{
	s->check_node = (struct tsim_check_node){
	    .kind = TSIM_CHECK_SUPP,
	    .obj = s,
	    .check = supp_node_check,
	};
	tsim_check_register(s->m, &s->check_node);
}
