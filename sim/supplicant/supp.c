/* SPDX-License-Identifier: MIT */
/*
 * The supplicant model: instance, TA store, plugins, fault knobs and the
 * dispatch of one request (tee-supplicant's process_one_request, minus the
 * transport). The file system is in fs.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "supplicant/supp_internal.h"

/* param[0].a of a SUPP_PLUGIN request: invoke a plugin (OPTEE_INVOKE_PLUGIN). */
#define TSIM_SUPP_INVOKE_PLUGIN 0u

struct teesim_supplicant *teesim_supplicant_new_on(struct teesim_machine *m)
{
	struct teesim_supplicant *s = tsim_calloc(m, 1, sizeof(*s));

	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (pthread_mutex_init(&s->lock, NULL)) {
		tsim_free(m, s);
		errno = ENOMEM;
		return NULL;
	}
	s->m = m;
	tsim_vfs_init(s);
	if (m)
		tsim_supp_check_register(s);
	return s;
}

struct teesim_supplicant *teesim_supplicant_new(void)
{
	return teesim_supplicant_new_on(NULL);
}

void teesim_supplicant_free(struct teesim_supplicant *s)
{
	if (s == NULL)
		return;
	if (s->m)
		tsim_check_unregister(s->m, &s->check_node);
	tsim_vfs_fini(s);
	tsim_supp_shm_forget(s);
	while (s->tas) {
		struct tsim_supp_ta *t = s->tas;

		s->tas = t->next;
		tsim_free(s->m, t->image);
		tsim_free(s->m, t);
	}
	while (s->plugins) {
		struct tsim_supp_plugin *p = s->plugins;

		s->plugins = p->next;
		tsim_free(s->m, p);
	}
	pthread_mutex_destroy(&s->lock);
	tsim_free(s->m, s);
}

/* ---- TA store ---- */

static struct tsim_supp_ta **ta_find(struct teesim_supplicant *s, const uint8_t uuid[16])
{
	struct tsim_supp_ta **pp;

	for (pp = &s->tas; *pp; pp = &(*pp)->next)
		if (!memcmp((*pp)->uuid, uuid, 16))
			return pp;
	return NULL;
}

int teesim_supplicant_ta_add(struct teesim_supplicant *s, const uint8_t uuid[16], const void *image,
			     size_t len)
{
	struct tsim_supp_ta *t;
	int rc = 0;

	if (s == NULL || uuid == NULL || image == NULL || len == 0)
		return -EINVAL;
	t = tsim_calloc(s->m, 1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->image = tsim_malloc(s->m, len);
	if (t->image == NULL) {
		rc = -ENOMEM;
		goto err_free_ta;
	}
	memcpy(t->uuid, uuid, 16);
	memcpy(t->image, image, len);
	t->len = len;

	pthread_mutex_lock(&s->lock);
	if (ta_find(s, uuid)) {
		pthread_mutex_unlock(&s->lock);
		rc = -EEXIST;
		goto err_free_image;
	}
	t->next = s->tas;
	s->tas = t;
	s->st.tas++;
	pthread_mutex_unlock(&s->lock);
	return 0;

err_free_image:
	tsim_free(s->m, t->image);
err_free_ta:
	tsim_free(s->m, t);
	return rc;
}

int teesim_supplicant_ta_remove(struct teesim_supplicant *s, const uint8_t uuid[16])
{
	struct tsim_supp_ta **pp, *t;

	if (s == NULL || uuid == NULL)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	pp = ta_find(s, uuid);
	if (pp == NULL) {
		pthread_mutex_unlock(&s->lock);
		return -ENOENT;
	}
	t = *pp;
	*pp = t->next;
	s->st.tas--;
	pthread_mutex_unlock(&s->lock);
	tsim_free(s->m, t->image);
	tsim_free(s->m, t);
	return 0;
}

/* ---- plugins ---- */

static struct tsim_supp_plugin *plugin_find(struct teesim_supplicant *s, const uint8_t uuid[16])
{
	struct tsim_supp_plugin *p;

	for (p = s->plugins; p; p = p->next)
		if (!memcmp(p->uuid, uuid, 16))
			return p;
	return NULL;
}

int teesim_supplicant_plugin_register(struct teesim_supplicant *s, const uint8_t uuid[16],
				      teesim_supplicant_plugin_fn fn, void *ctx)
{
	struct tsim_supp_plugin *p;

	if (s == NULL || uuid == NULL || fn == NULL)
		return -EINVAL;
	p = tsim_calloc(s->m, 1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	memcpy(p->uuid, uuid, 16);
	p->fn = fn;
	p->ctx = ctx;

	pthread_mutex_lock(&s->lock);
	if (plugin_find(s, uuid)) {
		pthread_mutex_unlock(&s->lock);
		tsim_free(s->m, p);
		return -EEXIST;
	}
	p->next = s->plugins;
	s->plugins = p;
	s->st.plugins++;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* ---- parameters ---- */

static bool type_is_value(uint64_t t)
{
	return t == TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT ||
	       t == TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT ||
	       t == TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT;
}

static bool type_is_memref(uint64_t t)
{
	return t == TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT ||
	       t == TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT ||
	       t == TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT;
}

void *tsim_supp_param_buf(const struct tee_ioctl_param *params,
			  const struct teesim_supplicant_memref *mem, size_t i)
{
	if (!type_is_memref(tsim_supp_type(&params[i])) || mem == NULL || mem[i].buf == NULL)
		return NULL;
	if (params[i].b > mem[i].room)
		return NULL;
	return mem[i].buf;
}

/* Octet @i of the little-endian 64-bit words @w (tee-supplicant reads them from memory). */
static uint8_t le_octet(const uint64_t *w, unsigned i)
{
	return (uint8_t) (w[i / 8] >> (8 * (i % 8)));
}

/* OPTEE_RPC_CMD_LOAD_TA: load_ta() of tee-supplicant. */
static uint32_t load_ta(struct teesim_supplicant *s, size_t num_params,
			struct tee_ioctl_param *params, const struct teesim_supplicant_memref *mem)
{
	uint64_t words[2];
	uint8_t uuid[16];
	struct tsim_supp_ta **pp;
	uint64_t t1;
	void *buf;
	unsigned i;

	if (num_params != 2 || !type_is_value(tsim_supp_type(&params[0])))
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	t1 = tsim_supp_type(&params[1]);
	if (!type_is_memref(t1))
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	buf = NULL;
	if (mem != NULL && mem[1].buf != NULL) {
		/* a known shm: the size must fit in it */
		buf = tsim_supp_param_buf(params, mem, 1);
		if (buf == NULL)
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	} else if (t1 == TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT) {
		/* no buffer: a size query, which makes no sense for an input */
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	}

	words[0] = params[0].a;
	words[1] = params[0].b;
	for (i = 0; i < 16; i++)
		uuid[i] = le_octet(words, i);
	pp = ta_find(s, uuid);
	if (pp == NULL)
		return TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND;

	if (buf == NULL) {
		params[1].b = (*pp)->len;
		return TEESIM_OPTEE_SUCCESS;
	}
	if ((*pp)->len > params[1].b) {
		params[1].b = (*pp)->len;
		return TEESIM_OPTEE_ERROR_SHORT_BUFFER;
	}
	memcpy(buf, (*pp)->image, (*pp)->len);
	params[1].b = (*pp)->len;
	s->st.ta_loads++;
	return TEESIM_OPTEE_SUCCESS;
}

/*
 * OPTEE_RPC_CMD_SUPP_PLUGIN: plugin_process() of tee-supplicant. Called
 * with the lock held; drops it around the plugin's callback.
 */
static uint32_t plugin_process(struct teesim_supplicant *s, size_t num_params,
			       struct tee_ioctl_param *params,
			       const struct teesim_supplicant_memref *mem)
{
	struct tsim_supp_plugin *p;
	uint64_t words[2];
	uint8_t uuid[16];
	size_t out_len = 0;
	uint32_t res;
	void *data;
	unsigned i;

	if (num_params != 4 ||
	    tsim_supp_type(&params[0]) != TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT ||
	    tsim_supp_type(&params[1]) != TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT ||
	    tsim_supp_type(&params[2]) != TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT ||
	    tsim_supp_type(&params[3]) != TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;

	/* four 32-bit little-endian words d1..d4 */
	words[0] = (params[0].b & 0xffffffffu) | (params[0].c << 32);
	words[1] = (params[1].a & 0xffffffffu) | (params[1].b << 32);
	for (i = 0; i < 16; i++)
		uuid[i] = le_octet(words, i);

	data = tsim_supp_param_buf(params, mem, 3);
	if (params[3].b && data == NULL)
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	if (params[0].a != TSIM_SUPP_INVOKE_PLUGIN)
		return TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
	p = plugin_find(s, uuid);
	if (p == NULL)
		return TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND;

	/* plugins live until the instance is freed: safe to use unlocked */
	pthread_mutex_unlock(&s->lock);
	res = p->fn(p->ctx, (uint32_t) params[1].c, (uint32_t) params[2].a, data,
		    (size_t) params[3].b, &out_len);
	pthread_mutex_lock(&s->lock);
	params[2].b = out_len;
	return res;
}

/* ---- serving ---- */

bool tsim_supp_serve_locked(struct teesim_supplicant *s, uint32_t func, size_t num_params,
			    struct tee_ioctl_param *params,
			    const struct teesim_supplicant_memref *mem,
			    const struct tsim_supp_xport *x, uint32_t *ret)
{
	uint32_t res;

	if (s->stop == TEESIM_SUPPLICANT_STOP_SILENT) {
		s->st.dropped++;
		return false;
	}
	if (s->stop == TEESIM_SUPPLICANT_STOP_ANSWER) {
		res = s->stop_code;
	} else if (s->fail_n) {
		s->fail_n--;
		res = s->fail_code;
	} else {
		switch (func) {
		case TEESIM_OPTEE_RPC_CMD_LOAD_TA:
			res = load_ta(s, num_params, params, mem);
			break;
		case TEESIM_OPTEE_RPC_CMD_FS:
			res = tsim_supp_fs_process(s, num_params, params, mem);
			break;
		case TEESIM_OPTEE_RPC_CMD_SHM_ALLOC:
			res = x ? tsim_supp_shm_alloc(s, x, num_params, params)
				: TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
			break;
		case TEESIM_OPTEE_RPC_CMD_SHM_FREE:
			res = x ? tsim_supp_shm_free(s, x, num_params, params)
				: TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
			break;
		case TEESIM_OPTEE_RPC_CMD_SUPP_PLUGIN:
			res = plugin_process(s, num_params, params, mem);
			break;
		default:
			res = TEESIM_OPTEE_ERROR_NOT_SUPPORTED;
			break;
		}
	}
	s->st.requests++;
	if (res != TEESIM_OPTEE_SUCCESS)
		s->st.errors++;
	*ret = res;
	return true;
}

int teesim_supplicant_serve(struct teesim_supplicant *s, uint32_t func, size_t num_params,
			    struct tee_ioctl_param *params,
			    const struct teesim_supplicant_memref *mem, uint32_t *ret)
{
	uint32_t res = 0;
	bool answered;

	if (s == NULL || ret == NULL || (params == NULL && num_params > 0))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	answered = tsim_supp_serve_locked(s, func, num_params, params, mem, NULL, &res);
	pthread_mutex_unlock(&s->lock);
	if (!answered)
		return -EPIPE;
	*ret = res;
	return 0;
}

/* ---- knobs and observation ---- */

void teesim_supplicant_fail_next(struct teesim_supplicant *s, unsigned n, uint32_t code)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->fail_n = n;
	s->fail_code = code;
	pthread_mutex_unlock(&s->lock);
}

int teesim_supplicant_stop(struct teesim_supplicant *s, enum teesim_supplicant_stop mode,
			   uint32_t code)
{
	if (s == NULL)
		return -EINVAL;
	switch (mode) {
	case TEESIM_SUPPLICANT_RUNNING:
	case TEESIM_SUPPLICANT_STOP_ANSWER:
	case TEESIM_SUPPLICANT_STOP_SILENT:
		break;
	default:
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	s->stop = mode;
	s->stop_code = code;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void teesim_supplicant_stats(struct teesim_supplicant *s, struct teesim_supplicant_stats *st)
{
	if (s == NULL || st == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	*st = s->st;
	pthread_mutex_unlock(&s->lock);
}
