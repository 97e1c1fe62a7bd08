/* SPDX-License-Identifier: MIT */
/*
 * Trusted applications: the registry by UUID, loading through the
 * supplicant (LOAD_TA), and the API a TA uses from its entry points.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sw_internal.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif

/*
 * A memref is memory the client shares with the secure world. On hardware the
 * client may write it while a TA reads it: the two run on different CPUs, in
 * different worlds, and neither is a data race inside the client's program.
 * Under ThreadSanitizer the TA's copies to and from a memref are therefore not
 * recorded (the runtime's dynamic-annotation entry points); the client's own
 * accesses and everything else the model does are still checked.
 */
#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer)
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);

static int payload_io(struct tsim_sw_thread *t, const struct tsim_sw_mem *m, uint64_t off,
		      void *buf, size_t len, bool write)
{
	int err;

	AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
	AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
	err = tsim_sw_mem_io(t, m, TEESIM_SW_FIELD_COUNT, off, buf, len, write);
	AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
	AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
	return err;
}
#else
static int payload_io(struct tsim_sw_thread *t, const struct tsim_sw_mem *m, uint64_t off,
		      void *buf, size_t len, bool write)
{
	return tsim_sw_mem_io(t, m, TEESIM_SW_FIELD_COUNT, off, buf, len, write);
}
#endif

#define TA_LOAD_MAX (16u << 20) /* largest TA image accepted */

/* hex digit value + 1 of every byte (0: not a hex digit): one lookup and one
 * comparison per character, where chains of range tests cost a fuzzer's
 * coverage build a callback each (every secure world parses its built-in
 * TAs' UUIDs when it is made) */
static const uint8_t hex1[256] = {
    ['0'] = 1,	['1'] = 2,  ['2'] = 3,	['3'] = 4,  ['4'] = 5,	['5'] = 6,  ['6'] = 7,	['7'] = 8,
    ['8'] = 9,	['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

int teesim_uuid_parse(const char *str, struct teesim_uuid *uuid)
{
	/* the byte index each pair of hex digits starts at; dashes at 8, 13, 18, 23 */
	static const uint8_t at[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
	struct teesim_uuid u;
	unsigned bad = 0;

	if (!str || !uuid || strlen(str) != 36)
		return -EINVAL;
	bad |= (str[8] ^ '-') | (str[13] ^ '-') | (str[18] ^ '-') | (str[23] ^ '-');
	for (unsigned i = 0; i < 16; i++) {
		unsigned hi = hex1[(unsigned char) str[at[i]]],
			 lo = hex1[(unsigned char) str[at[i] + 1]];

		bad |= !hi | !lo;
		u.b[i] = (uint8_t) ((hi - 1) << 4 | (lo - 1));
	}
	if (bad)
		return -EINVAL;
	*uuid = u;
	return 0;
}

int teesim_sw_ta_register(struct teesim_sw *sw, const struct teesim_ta_desc *desc)
{
	const unsigned known = TEESIM_TA_FLAG_NEEDS_LOAD | TEESIM_TA_FLAG_SINGLE_SESSION |
			       TEESIM_TA_FLAG_SINGLE_INSTANCE;
	struct tsim_sw_ta *ta;
	int err = 0;

	if (!desc || !desc->ops || !desc->ops->invoke || (desc->flags & ~known))
		return -EINVAL;
	ta = tsim_calloc(sw->m, 1, sizeof(*ta));
	if (!ta)
		return -ENOMEM;
	ta->name = tsim_strdup(sw->m, desc->name ? desc->name : "");
	if (!ta->name) {
		tsim_free(sw->m, ta);
		return -ENOMEM;
	}
	ta->uuid = desc->uuid;
	ta->ops = desc->ops;
	ta->ctx = desc->ctx;
	ta->flags = desc->flags;
	ta->instance = 1;
	pthread_mutex_lock(&sw->lock);
	for (struct tsim_sw_ta *o = sw->tas; o; o = o->next)
		if (!memcmp(&o->uuid, &ta->uuid, sizeof(ta->uuid)))
			err = -EEXIST;
	if (!err) {
		ta->next = sw->tas;
		sw->tas = ta;
	}
	pthread_mutex_unlock(&sw->lock);
	if (err) {
		tsim_free(sw->m, ta->name);
		tsim_free(sw->m, ta);
	}
	return err;
}

struct tsim_sw_ta *tsim_sw_ta_find(struct teesim_sw *sw, const struct teesim_uuid *uuid)
{
	struct tsim_sw_ta *ta;

	pthread_mutex_lock(&sw->lock);
	for (ta = sw->tas; ta; ta = ta->next)
		if (!memcmp(&ta->uuid, uuid, sizeof(*uuid)))
			break;
	pthread_mutex_unlock(&sw->lock);
	return ta;
}

void tsim_sw_tas_fini(struct teesim_sw *sw)
{
	while (sw->sessions) {
		struct tsim_sw_session *s = sw->sessions;

		sw->sessions = s->next;
		tsim_free(sw->m, s);
	}
	sw->nsessions = 0;
	while (sw->tas) {
		struct tsim_sw_ta *ta = sw->tas;

		sw->tas = ta->next;
		if (ta->ops->destroy)
			ta->ops->destroy(ta->ctx);
		tsim_free(sw->m, ta->name);
		tsim_free(sw->m, ta);
	}
}

/* Fetch the TA image through the supplicant and check it (ree_fs_ta's rpc_load). */
uint32_t tsim_sw_ta_load(struct tsim_sw_thread *t, struct tsim_sw_ta *ta)
{
	struct teesim_optee_msg_param p[2];
	struct teesim_ta_shm *shm;
	unsigned char hdr[TEESIM_TA_IMAGE_HDR];
	uint64_t size;
	uint32_t res;

	memset(p, 0, sizeof(p));
	p[0].attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT;
	memcpy(&p[0].u.value.a, ta->uuid.b, 8);
	memcpy(&p[0].u.value.b, ta->uuid.b + 8, 8);
	tsim_sw_shm_param(&p[1], NULL, 1, 0, 0); /* size query: NULL memref */
	res = tsim_sw_rpc_cmd(t, TEESIM_OPTEE_RPC_CMD_LOAD_TA, p, 2);
	if (res && res != TEESIM_OPTEE_ERROR_SHORT_BUFFER)
		return res;
	size = p[1].u.tmem.size;
	if (size < TEESIM_TA_IMAGE_HDR || size > TA_LOAD_MAX)
		return TEESIM_OPTEE_ERROR_SECURITY;
	shm = tsim_sw_shm_alloc(t, TEESIM_OPTEE_RPC_SHM_TYPE_APPL, size, &res);
	if (!shm)
		return res;
	tsim_sw_shm_param(&p[1], shm, 1, 0, size);
	res = tsim_sw_rpc_cmd(t, TEESIM_OPTEE_RPC_CMD_LOAD_TA, p, 2);
	if (!res) {
		struct tsim_sw_mem mem;

		tsim_sw_mem_from_mobj(&mem, &shm->mobj, 0, shm->mobj.size);
		mem.mobj = NULL;
		if (tsim_sw_mem_io(t, &mem, TEESIM_SW_FIELD_COUNT, 0, hdr, sizeof(hdr), false) ||
		    memcmp(hdr, TEESIM_TA_IMAGE_MAGIC, 8) || memcmp(hdr + 8, ta->uuid.b, 16))
			res = TEESIM_OPTEE_ERROR_SECURITY;
	}
	tsim_sw_shm_free(t, shm);
	if (!res) {
		pthread_mutex_lock(&t->sw->lock);
		ta->loaded = true;
		pthread_mutex_unlock(&t->sw->lock);
	}
	return res;
}

/* ------------------------------------------------------------------------ */
/* The call, as a TA sees it */

struct teesim_ta_param *teesim_ta_params(struct teesim_ta_call *call)
{
	return call->params;
}

uint32_t teesim_ta_session_id(const struct teesim_ta_call *call)
{
	return call->sess ? call->sess->id : 0;
}

uint32_t teesim_ta_login(const struct teesim_ta_call *call)
{
	return call->sess ? call->sess->login : 0;
}

const struct teesim_uuid *teesim_ta_client(const struct teesim_ta_call *call)
{
	return &call->sess->client;
}

unsigned teesim_ta_thread_id(const struct teesim_ta_call *call)
{
	return call->t->id;
}

struct teesim_sw *teesim_ta_sw(const struct teesim_ta_call *call)
{
	return call->t->sw;
}

uint64_t teesim_ta_instance(const struct teesim_ta_call *call)
{
	return call->sess ? call->sess->instance : 0;
}

bool teesim_ta_cancelled(const struct teesim_ta_call *call)
{
	struct teesim_sw *sw = call->t->sw;
	bool c;

	pthread_mutex_lock(&sw->lock);
	c = call->sess && call->sess->cancel;
	pthread_mutex_unlock(&sw->lock);
	return c;
}

void teesim_ta_panic(struct teesim_ta_call *call, uint32_t code)
{
	(void) code;
	call->panicked = true;
}

static const struct tsim_sw_mem *memref(struct teesim_ta_call *call, unsigned idx)
{
	if (idx >= SW_TA_NPARAMS || call->params[idx].type < TEESIM_TA_PARAM_MEMREF_INPUT ||
	    call->mem[idx].kind == TEESIM_SW_PARAM_NULL)
		return NULL;
	return &call->mem[idx];
}

int teesim_ta_memref_read(struct teesim_ta_call *call, unsigned idx, uint64_t offset, void *buf,
			  size_t len)
{
	const struct tsim_sw_mem *m = memref(call, idx);

	if (!m)
		return -EINVAL;
	return payload_io(call->t, m, offset, buf, len, false);
}

int teesim_ta_memref_write(struct teesim_ta_call *call, unsigned idx, uint64_t offset,
			   const void *buf, size_t len)
{
	const struct tsim_sw_mem *m = memref(call, idx);

	if (!m || call->params[idx].type == TEESIM_TA_PARAM_MEMREF_INPUT)
		return -EINVAL;
	return payload_io(call->t, m, offset, (void *) buf, len, true);
}

int teesim_ta_memref_fill(struct teesim_ta_call *call, unsigned idx, uint64_t offset, uint8_t byte,
			  size_t len)
{
	unsigned char chunk[512];
	int err = 0;

	memset(chunk, byte, sizeof(chunk));
	while (len && !err) {
		size_t n = len < sizeof(chunk) ? len : sizeof(chunk);

		err = teesim_ta_memref_write(call, idx, offset, chunk, n);
		offset += n;
		len -= n;
	}
	return err;
}

long teesim_ta_memref_pages(struct teesim_ta_call *call, unsigned idx, teesim_pa_t *pas, size_t max)
{
	const struct tsim_sw_mem *m = memref(call, idx);
	uint64_t first, n;

	if (!m)
		return -EINVAL;
	if (!m->pages) {
		first = m->base & ~SW_PAGE_MASK;
		n = m->size ? ((m->base & SW_PAGE_MASK) + m->size + SW_PAGE - 1) / SW_PAGE : 1;
		for (uint64_t i = 0; i < n && i < max; i++)
			pas[i] = first + i * SW_PAGE;
		return (long) n;
	}
	first = m->start / SW_PAGE;
	n = m->size ? ((m->start & SW_PAGE_MASK) + m->size + SW_PAGE - 1) / SW_PAGE : 1;
	if (first + n > m->npages)
		n = first < m->npages ? m->npages - first : 0;
	for (uint64_t i = 0; i < n && i < max; i++)
		pas[i] = m->pages[first + i];
	return (long) n;
}

/* ------------------------------------------------------------------------ */
/* RPCs */

uint32_t teesim_ta_rpc(struct teesim_ta_call *call, uint32_t cmd,
		       struct teesim_ta_rpc_param *params, unsigned n)
{
	struct teesim_optee_msg_param p[TEESIM_OPTEE_RPC_MAX_NUM_PARAMS];
	uint32_t res;

	if (n > TEESIM_OPTEE_RPC_MAX_NUM_PARAMS || (n && !params))
		return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
	memset(p, 0, sizeof(p));
	for (unsigned i = 0; i < n; i++) {
		const uint32_t at = params[i].attr;

		if (at <= TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT) {
			p[i].attr = at;
			p[i].u.value.a = params[i].a;
			p[i].u.value.b = params[i].b;
			p[i].u.value.c = params[i].c;
		} else if (at >= TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT &&
			   at <= TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INOUT) {
			const struct teesim_ta_shm *shm = params[i].shm;

			if (shm && (params[i].offset > shm->mobj.size ||
				    params[i].size > shm->mobj.size - params[i].offset))
				return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
			tsim_sw_shm_param(&p[i], shm, at - TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_INPUT,
					  params[i].offset, params[i].size);
		} else {
			return TEESIM_OPTEE_ERROR_BAD_PARAMETERS;
		}
	}
	res = tsim_sw_rpc_cmd(call->t, cmd, p, n);
	for (unsigned i = 0; i < n; i++) {
		if (params[i].attr <= TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INOUT) {
			if (params[i].attr >= TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT) {
				params[i].a = p[i].u.value.a;
				params[i].b = p[i].u.value.b;
				params[i].c = p[i].u.value.c;
			}
		} else if (params[i].attr >= TEESIM_OPTEE_MSG_ATTR_TYPE_TMEM_OUTPUT) {
			params[i].size = p[i].u.tmem.size;
		}
	}
	return res;
}

uint32_t teesim_ta_get_time(struct teesim_ta_call *call, uint64_t *sec, uint64_t *nsec)
{
	struct teesim_ta_rpc_param p = {.attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_OUTPUT};
	uint32_t res = teesim_ta_rpc(call, TEESIM_OPTEE_RPC_CMD_GET_TIME, &p, 1);

	if (!res) {
		*sec = p.a;
		*nsec = p.b;
	}
	return res;
}

uint32_t teesim_ta_suspend(struct teesim_ta_call *call, uint32_t ms)
{
	struct teesim_ta_rpc_param p = {.attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, .a = ms};

	return teesim_ta_rpc(call, TEESIM_OPTEE_RPC_CMD_SUSPEND, &p, 1);
}

uint32_t teesim_ta_wait_queue(struct teesim_ta_call *call, uint32_t op, uint32_t key)
{
	struct teesim_ta_rpc_param p = {
	    .attr = TEESIM_OPTEE_MSG_ATTR_TYPE_VALUE_INPUT, .a = op, .b = key};

	return teesim_ta_rpc(call, TEESIM_OPTEE_RPC_CMD_WAIT_QUEUE, &p, 1);
}

void teesim_ta_foreign_intr(struct teesim_ta_call *call)
{
	tsim_sw_rpc(call->t, TEESIM_OPTEE_SMC_RETURN_RPC_FOREIGN_INTR, 0, 0);
}

struct teesim_ta_shm *teesim_ta_shm_alloc(struct teesim_ta_call *call, uint32_t type, uint64_t size,
					  uint32_t *ret)
{
	uint32_t dummy;

	return tsim_sw_shm_alloc(call->t, type, size, ret ? ret : &dummy);
}

uint32_t teesim_ta_shm_free(struct teesim_ta_call *call, struct teesim_ta_shm *shm)
{
	return tsim_sw_shm_free(call->t, shm);
}

static int shm_io(struct teesim_ta_call *call, struct teesim_ta_shm *shm, uint64_t off, void *buf,
		  size_t len, bool write)
{
	struct tsim_sw_mem mem;

	tsim_sw_mem_from_mobj(&mem, &shm->mobj, 0, shm->mobj.size);
	mem.mobj = NULL;
	return tsim_sw_mem_io(call->t, &mem, TEESIM_SW_FIELD_COUNT, off, buf, len, write);
}

int teesim_ta_shm_read(struct teesim_ta_call *call, struct teesim_ta_shm *shm, uint64_t offset,
		       void *buf, size_t len)
{
	return shm_io(call, shm, offset, buf, len, false);
}

int teesim_ta_shm_write(struct teesim_ta_call *call, struct teesim_ta_shm *shm, uint64_t offset,
			const void *buf, size_t len)
{
	return shm_io(call, shm, offset, (void *) buf, len, true);
}

uint64_t teesim_ta_shm_cookie(const struct teesim_ta_shm *shm)
{
	return shm->mobj.cookie;
}
