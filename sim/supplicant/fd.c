/* SPDX-License-Identifier: MIT */
/*
 * The supplicant over /dev/teepriv0: one round of tee-supplicant's
 * process_one_request (TEE_IOC_SUPPL_RECV, serve, TEE_IOC_SUPPL_SEND)
 * through the tee core's public entry points, and the buffers it allocates
 * for the secure world (SHM_ALLOC / SHM_FREE): page-aligned memory of the
 * process registered with TEE_IOC_SHM_REGISTER when the device has
 * TEE_GEN_CAP_REG_MEM, else TEE_IOC_SHM_ALLOC and mmap, as tee-supplicant.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/process.h>
#include <teesim/tee.h>

#include "supplicant/supp_internal.h"

/* Parameters tee-supplicant makes room for in SUPPL_RECV (RPC_NUM_PARAMS): the meta one included.
 */
#define FD_RPC_NUM_PARAMS 5u
/* RECV / SEND attempts while the kernel answers -ENOMEM */
#define FD_IOCTL_TRIES 3u

/*
 * The arguments of one round, in the process's memory. hdr and params are
 * laid out as struct tee_iocl_supp_recv_arg (func, num_params, params[])
 * and struct tee_iocl_supp_send_arg (ret, num_params, params[]).
 */
struct fd_page {
	struct tee_ioctl_buf_data buf;
	struct tee_ioctl_shm_alloc_data alloc;
	struct tee_ioctl_shm_register_data reg;
	struct tee_ioctl_version_data ver;
	uint32_t pad;
	uint32_t hdr[2];
	struct tee_ioctl_param params[FD_RPC_NUM_PARAMS];
};

_Static_assert(offsetof(struct fd_page, params) - offsetof(struct fd_page, hdr) ==
		   offsetof(struct tee_iocl_supp_recv_arg, params),
	       "params follow the recv header");
_Static_assert(offsetof(struct fd_page, params) - offsetof(struct fd_page, hdr) ==
		   offsetof(struct tee_iocl_supp_send_arg, params),
	       "params follow the send header");
_Static_assert(sizeof(struct fd_page) <= TEESIM_PAGE_SIZE, "one page of arguments");

static bool value_param(const struct tee_ioctl_param *p)
{
	uint64_t t = tsim_supp_type(p);

	return t == TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT ||
	       t == TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT ||
	       t == TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT;
}

/* Does the device have TEE_GEN_CAP_REG_MEM? (tee-supplicant asks TEE_IOC_VERSION at start) */
static bool reg_mem(const struct tsim_supp_xport *x)
{
	memset(x->ver, 0, sizeof(*x->ver));
	return teesim_ioctl(x->proc, x->fd, TEE_IOC_VERSION, x->ver) == 0 &&
	       (x->ver->gen_caps & TEE_GEN_CAP_REG_MEM);
}

/* register_local_shm: page-aligned process memory, TEE_IOC_SHM_REGISTER. */
static int shm_register(const struct tsim_supp_xport *x, struct tsim_supp_shm *shm)
{
	struct tee_ioctl_shm_register_data *d = x->reg;

	shm->map_len = shm->size;
	shm->va = teesim_process_mmap(x->proc, shm->map_len, TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	if (shm->va == NULL)
		return -ENOMEM;
	d->addr = (uint64_t) (uintptr_t) shm->va;
	d->length = shm->size;
	d->flags = 0;
	d->id = 0;
	shm->fd = teesim_ioctl(x->proc, x->fd, TEE_IOC_SHM_REGISTER, d);
	if (shm->fd < 0) {
		teesim_process_munmap(x->proc, shm->va, shm->map_len);
		return shm->fd;
	}
	shm->id = d->id;
	shm->registered = true;
	return 0;
}

/* alloc_shm: TEE_IOC_SHM_ALLOC, then mmap of the shm fd. */
static int shm_alloc(const struct tsim_supp_xport *x, struct tsim_supp_shm *shm)
{
	struct tee_ioctl_shm_alloc_data *d = x->alloc;

	d->size = shm->size;
	d->flags = 0;
	d->id = 0;
	shm->fd = teesim_ioctl(x->proc, x->fd, TEE_IOC_SHM_ALLOC, d);
	if (shm->fd < 0)
		return shm->fd;
	shm->map_len = (size_t) d->size;
	shm->va =
	    teesim_mmap(x->proc, shm->fd, shm->map_len, TEESIM_PROT_READ | TEESIM_PROT_WRITE, 0);
	if (shm->va == NULL) {
		teesim_close(x->proc, shm->fd);
		return -ENOMEM;
	}
	shm->id = d->id;
	return 0;
}

/*
 * process_alloc of tee-supplicant: value[0].b bytes, registered when the
 * device can (TEE_GEN_CAP_REG_MEM), else allocated and mapped; value[0].c
 * = the shm id. Any failure is OUT_OF_MEMORY.
 */
uint32_t tsim_supp_shm_alloc(struct teesim_supplicant *s, const struct tsim_supp_xport *x,
			     size_t num_params, struct tee_ioctl_param *params)
{
	struct tsim_supp_shm *shm;
	int rc;

	if (num_params != 1 || !value_param(&params[0]))
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (params[0].b > SIZE_MAX)
		return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
	shm = tsim_calloc(s->m, 1, sizeof(*shm));
	if (shm == NULL)
		return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
	shm->size = (size_t) params[0].b;
	shm->proc = x->proc;
	rc = reg_mem(x) ? shm_register(x, shm) : shm_alloc(x, shm);
	if (rc) {
		tsim_free(s->m, shm);
		return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
	}
	shm->next = s->shms;
	s->shms = shm;
	s->st.shms++;
	params[0].c = (uint64_t) (int64_t) shm->id;
	return TEESIM_OPTEE_SUCCESS;
}

/* process_free of tee-supplicant: the buffer with id value[0].b. */
uint32_t tsim_supp_shm_free(struct teesim_supplicant *s, const struct tsim_supp_xport *x,
			    size_t num_params, struct tee_ioctl_param *params)
{
	struct tsim_supp_shm **pp, *shm;
	int id;

	if (num_params != 1 || !value_param(&params[0]))
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	id = (int) (int32_t) (uint32_t) params[0].b;
	for (pp = &s->shms; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id && (*pp)->proc == x->proc)
			break;
	if (*pp == NULL)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	shm = *pp;
	*pp = shm->next;
	s->st.shms--;
	teesim_close(x->proc, shm->fd);
	if (shm->registered)
		teesim_process_munmap(x->proc, shm->va, shm->map_len);
	else
		teesim_munmap(x->proc, shm->va, shm->map_len);
	tsim_free(s->m, shm);
	return TEESIM_OPTEE_SUCCESS;
}

void tsim_supp_shm_forget(struct teesim_supplicant *s)
{
	while (s->shms) {
		struct tsim_supp_shm *shm = s->shms;

		s->shms = shm->next;
		tsim_free(s->m, shm);
	}
	s->st.shms = 0;
	/* the argument pages too: they go with their process, as the buffers */
	while (s->argpages) {
		struct tsim_supp_argpage *a = s->argpages;

		s->argpages = a->next;
		tsim_free(s->m, a);
	}
	s->st.arg_pages = 0;
}

/*
 * An argument page of @p for one round: one kept from an earlier round, or
 * a new one, mapped once and kept (tee-supplicant allocates its request
 * buffer once, so a round never needs memory the guest may have run out
 * of). A record for a process gone whose address @p now has is dropped.
 */
static struct tsim_supp_argpage *argpage_get(struct teesim_supplicant *s, struct teesim_process *p)
{
	uint32_t pid = teesim_process_id(p);
	struct tsim_supp_argpage **pp, *a;

	pthread_mutex_lock(&s->lock);
	for (pp = &s->argpages; (a = *pp) != NULL;) {
		if (a->proc == p && a->pid != pid) {
			*pp = a->next;
			tsim_free(s->m, a);
			s->st.arg_pages--;
			continue;
		}
		if (a->proc == p && !a->busy) {
			a->busy = true;
			pthread_mutex_unlock(&s->lock);
			return a;
		}
		pp = &a->next;
	}
	pthread_mutex_unlock(&s->lock);

	a = tsim_calloc(s->m, 1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->page =
	    teesim_process_mmap(p, sizeof(struct fd_page), TEESIM_PROT_READ | TEESIM_PROT_WRITE);
	if (a->page == NULL) {
		tsim_free(s->m, a);
		return NULL;
	}
	a->proc = p;
	a->pid = pid;
	a->busy = true;
	pthread_mutex_lock(&s->lock);
	a->next = s->argpages;
	s->argpages = a;
	s->st.arg_pages++;
	pthread_mutex_unlock(&s->lock);
	return a;
}

static void argpage_put(struct teesim_supplicant *s, struct tsim_supp_argpage *a)
{
	pthread_mutex_lock(&s->lock);
	a->busy = false;
	pthread_mutex_unlock(&s->lock);
}

/* tee_supp_param_to_va's lookup: memref {a = offset, b = size, c = id} to (buf, room). */
static void resolve(const struct teesim_supplicant *s, const struct teesim_process *proc,
		    const struct tee_ioctl_param *p, struct teesim_supplicant_memref *m)
{
	const struct tsim_supp_shm *shm;
	int id = (int) (int32_t) (uint32_t) p->c;

	m->buf = NULL;
	m->room = 0;
	for (shm = s->shms; shm; shm = shm->next) {
		if (shm->id != id || shm->proc != proc)
			continue;
		if (p->a <= shm->size) {
			m->buf = (uint8_t *) shm->va + p->a;
			m->room = shm->size - (size_t) p->a;
		}
		return;
	}
}

int teesim_supplicant_serve_fd(struct teesim_supplicant *s, struct teesim_process *p, int fd)
{
	struct teesim_supplicant_memref mem[FD_RPC_NUM_PARAMS];
	struct tsim_supp_xport x = {p, fd, NULL, NULL, NULL};
	struct tee_ioctl_param *params;
	uint32_t num, nmeta, func, ret = 0;
	struct tsim_supp_argpage *ap;
	struct fd_page *pg;
	bool answered;
	size_t i;
	int rc;

	if (s == NULL || p == NULL)
		return -EINVAL;
	ap = argpage_get(s, p);
	if (ap == NULL)
		return -ENOMEM;
	pg = ap->page;
	x.alloc = &pg->alloc;
	x.reg = &pg->reg;
	x.ver = &pg->ver;

	/* room for RPC_NUM_PARAMS, param[0] META: "we take requests asynchronously" */
	pg->hdr[0] = 0;			/* func */
	pg->hdr[1] = FD_RPC_NUM_PARAMS; /* num_params */
	memset(pg->params, 0, sizeof(pg->params));
	pg->params[0].attr = TEE_IOCTL_PARAM_ATTR_META;
	pg->buf.buf_ptr = (uint64_t) (uintptr_t) pg->hdr;
	pg->buf.buf_len = sizeof(pg->hdr) + sizeof(pg->params);
	/* out of memory in the kernel leaves the request queued (or handed, for
	 * SEND): try again, or the answer and what the request made are lost */
	for (i = 0; i < FD_IOCTL_TRIES; i++) {
		rc = teesim_ioctl(p, fd, TEE_IOC_SUPPL_RECV, &pg->buf);
		if (rc != -ENOMEM)
			break;
	}
	if (rc)
		goto out;

	/* find_params: leading meta params, and none after */
	func = pg->hdr[0];
	num = pg->hdr[1];
	if (num > FD_RPC_NUM_PARAMS) {
		rc = -EPROTO;
		goto out;
	}
	for (nmeta = 0; nmeta < num && (pg->params[nmeta].attr & TEE_IOCTL_PARAM_ATTR_META);
	     nmeta++)
		;
	for (i = nmeta; i < num; i++)
		if (pg->params[i].attr & TEE_IOCTL_PARAM_ATTR_META) {
			rc = -EPROTO;
			goto out;
		}
	params = pg->params + nmeta;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < num - nmeta; i++)
		resolve(s, p, &params[i], &mem[i]);
	answered = tsim_supp_serve_locked(s, func, num - nmeta, params, mem, &x, &ret);
	pthread_mutex_unlock(&s->lock);
	if (!answered) {
		rc = -EPIPE;
		goto out;
	}

	/* the same params go back, meta first, with the answer */
	pg->hdr[0] = ret; /* ret */
	pg->hdr[1] = num; /* num_params */
	pg->buf.buf_len = sizeof(pg->hdr) + num * sizeof(struct tee_ioctl_param);
	for (i = 0; i < FD_IOCTL_TRIES; i++) {
		rc = teesim_ioctl(p, fd, TEE_IOC_SUPPL_SEND, &pg->buf);
		if (rc != -ENOMEM)
			break;
	}
	if (rc && func == TEESIM_OPTEE_RPC_CMD_SHM_ALLOC && ret == TEESIM_OPTEE_SUCCESS &&
	    num - nmeta == 1) {
		/* the answer never reached the secure world: nobody will free the buffer */
		struct tee_ioctl_param fp = {.attr = TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT,
					     .b = params[0].c};

		pthread_mutex_lock(&s->lock);
		tsim_supp_shm_free(s, &x, 1, &fp);
		pthread_mutex_unlock(&s->lock);
	}
out:
	argpage_put(s, ap);
	return rc;
}
