/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "optee-util.h"

void ot_new(struct ot *t, const struct teesim_stack_cfg *cfg)
{
	memset(t, 0, sizeof(*t));
	t->st = teesim_stack_new(cfg);
	ck_assert_msg(t->st != NULL, "stack: %s", strerror(errno));
	t->p = teesim_process_new(teesim_machine_guest(t->st->machine, 0));
	ck_assert_ptr_nonnull(t->p);
	t->fd = teesim_open(t->p, "/dev/tee0", 0);
	ck_assert_int_ge(t->fd, 3);
}

void ot_assert_clean(struct ot *t)
{
	struct teesim_sw_stats sw = ot_sw(t);
	struct teesim_tee_stats core = ot_core(t);
	struct teesim_check_report *rep = malloc(sizeof(*rep));
	unsigned flags = TEESIM_CHECK_IDLE | (t->p ? 0 : TEESIM_CHECK_EMPTY);

	ck_assert_ptr_nonnull(rep);
	th_check_report("stack", teesim_check_stack(t->st, flags, rep), 0, rep);
	free(rep);

	ck_assert_uint_eq(sw.sessions, 0);
	ck_assert_uint_eq(sw.shm_objects, 0);
	ck_assert_uint_eq(sw.threads_busy, 0);
	ck_assert_uint_eq(core.sessions, 0);
	ck_assert_uint_eq(core.pinned_pages, 0);
}

void ot_done(struct ot *t)
{
	struct teesim_machine_stats ms;

	teesim_process_free(t->p);
	t->p = NULL;
	ot_assert_clean(t);
	teesim_stack_free(t->st);
	(void) ms;
	t->st = NULL;
}

struct tee_ioctl_param ot_value(uint64_t attr, uint64_t a, uint64_t b, uint64_t c)
{
	struct tee_ioctl_param p = {.attr = attr, .a = a, .b = b, .c = c};

	return p;
}

struct tee_ioctl_param ot_memref(uint64_t attr, int id, uint64_t offs, uint64_t size)
{
	struct tee_ioctl_param p = {.attr = attr, .a = offs, .b = size, .c = (uint64_t) id};

	return p;
}

static void *umem(struct ot *t, size_t len)
{
	void *u = teesim_process_mmap(t->p, len, TEESIM_PROT_READ | TEESIM_PROT_WRITE);

	ck_assert_ptr_nonnull(u);
	return u;
}

static void ufree(struct ot *t, void *u, size_t len)
{
	ck_assert_int_eq(teesim_process_munmap(t->p, u, len), 0);
}

void *ot_umem(struct ot *t, size_t pages)
{
	return umem(t, pages * TEESIM_PAGE_SIZE);
}

int ot_open(struct ot *t, const char *uuid, uint32_t login, struct tee_ioctl_param *params,
	    uint32_t n, uint32_t *session, uint32_t *ret, uint32_t *origin)
{
	size_t len = sizeof(struct tee_ioctl_open_session_arg) + n * sizeof(struct tee_ioctl_param);
	struct tee_ioctl_open_session_arg *a = umem(t, len);
	struct tee_ioctl_buf_data *b = umem(t, sizeof(*b));
	struct teesim_uuid u;
	int rc;

	ck_assert_int_eq(teesim_uuid_parse(uuid, &u), 0);
	memcpy(a->uuid, u.b, 16);
	memset(a->clnt_uuid, 0xc1, 16);
	a->clnt_login = login;
	a->num_params = n;
	if (n)
		memcpy(a->params, params, n * sizeof(*params));
	b->buf_ptr = (uintptr_t) a;
	b->buf_len = len;
	rc = teesim_ioctl(t->p, t->fd, TEE_IOC_OPEN_SESSION, b);
	if (session)
		*session = a->session;
	if (ret)
		*ret = a->ret;
	if (origin)
		*origin = a->ret_origin;
	if (n)
		memcpy(params, a->params, n * sizeof(*params));
	ufree(t, b, sizeof(*b));
	ufree(t, a, len);
	return rc;
}

uint32_t ot_open_ok(struct ot *t, const char *uuid)
{
	uint32_t s = 0, ret = 1, origin = 0;

	ck_assert_int_eq(ot_open(t, uuid, TEE_IOCTL_LOGIN_PUBLIC, NULL, 0, &s, &ret, &origin), 0);
	ck_assert_msg(ret == 0, "open: ret %#x origin %u", ret, origin);
	return s;
}

int ot_invoke(struct ot *t, uint32_t session, uint32_t func, struct tee_ioctl_param *params,
	      uint32_t n, uint32_t *ret, uint32_t *origin)
{
	size_t len = sizeof(struct tee_ioctl_invoke_arg) + n * sizeof(struct tee_ioctl_param);
	struct tee_ioctl_invoke_arg *a = umem(t, len);
	struct tee_ioctl_buf_data *b = umem(t, sizeof(*b));
	int rc;

	a->session = session;
	a->func = func;
	a->num_params = n;
	if (n)
		memcpy(a->params, params, n * sizeof(*params));
	b->buf_ptr = (uintptr_t) a;
	b->buf_len = len;
	rc = teesim_ioctl(t->p, t->fd, TEE_IOC_INVOKE, b);
	if (ret)
		*ret = a->ret;
	if (origin)
		*origin = a->ret_origin;
	if (n)
		memcpy(params, a->params, n * sizeof(*params));
	ufree(t, b, sizeof(*b));
	ufree(t, a, len);
	return rc;
}

int ot_close(struct ot *t, uint32_t session)
{
	struct tee_ioctl_close_session_arg *a = umem(t, sizeof(*a));
	int rc;

	a->session = session;
	rc = teesim_ioctl(t->p, t->fd, TEE_IOC_CLOSE_SESSION, a);
	ufree(t, a, sizeof(*a));
	return rc;
}

int ot_cancel(struct ot *t, uint32_t session, uint32_t cancel_id)
{
	struct tee_ioctl_cancel_arg *a = umem(t, sizeof(*a));
	int rc;

	a->session = session;
	a->cancel_id = cancel_id;
	rc = teesim_ioctl(t->p, t->fd, TEE_IOC_CANCEL, a);
	ufree(t, a, sizeof(*a));
	return rc;
}

int ot_shm_alloc(struct ot *t, uint64_t size, int *id)
{
	struct tee_ioctl_shm_alloc_data *u = umem(t, sizeof(*u));
	int rc;

	u->size = size;
	rc = teesim_ioctl(t->p, t->fd, TEE_IOC_SHM_ALLOC, u);
	if (id)
		*id = u->id;
	ufree(t, u, sizeof(*u));
	return rc;
}

int ot_shm_register(struct ot *t, void *addr, uint64_t len, int *id)
{
	struct tee_ioctl_shm_register_data *u = umem(t, sizeof(*u));
	int rc;

	u->addr = (uintptr_t) addr;
	u->length = len;
	rc = teesim_ioctl(t->p, t->fd, TEE_IOC_SHM_REGISTER, u);
	if (id)
		*id = u->id;
	ufree(t, u, sizeof(*u));
	return rc;
}

struct teesim_sw_stats ot_sw(struct ot *t)
{
	struct teesim_sw_stats s;

	teesim_sw_stats(t->st->sw, &s);
	return s;
}

struct teesim_optee_info ot_drv(struct ot *t)
{
	struct teesim_optee_info i;

	ck_assert_int_eq(teesim_optee_info(t->st->drv, &i), 0);
	return i;
}

struct teesim_tee_stats ot_core(struct ot *t)
{
	struct teesim_tee_stats s;

	teesim_tee_stats(t->st->machine, &s);
	return s;
}

uint32_t ot_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

uint32_t ot_fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 0x811c9dc5u;

	while (n--) {
		h ^= *p++;
		h *= 0x01000193u;
	}
	return h;
}
