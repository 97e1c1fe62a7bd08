/* SPDX-License-Identifier: MIT */
/*
 * A full stack in one call: machine, secure world, the OP-TEE driver on
 * guest 0 and a supplicant process with /dev/teepriv0 open.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <teesim/guest.h>
#include <teesim/process.h>
#include <teesim/ta.h>
#include <teesim/tee.h>

#include "optee/optee_private.h"

void teesim_stack_cfg_default(struct teesim_stack_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	teesim_machine_cfg_default(&cfg->machine);
	teesim_sw_cfg_default(&cfg->sw, TEESIM_OPTEE_GEN_HEAD);
	teesim_optee_cfg_default(&cfg->drv, TEESIM_OPTEE_DRV_LATER);
	cfg->supp = TEESIM_STACK_SUPP_INLINE;
}

/* The inline supplicant: one RECV + SEND round on the requesting thread. */
static void inline_supp(void *ctx, uint32_t func)
{
	struct teesim_stack *st = ctx;

	(void) func;
	teesim_supplicant_serve_fd(st->supp, st->supp_proc, st->supp_fd);
}

/* The image of the built-in loadable TA, for the supplicant's TA store. */
static int add_load_ta(struct teesim_supplicant *s)
{
	uint8_t image[TEESIM_TA_IMAGE_HDR + 8];
	struct teesim_uuid u;

	if (teesim_uuid_parse(TEESIM_TA_LOAD_UUID, &u))
		return -EINVAL;
	memset(image, 0, sizeof(image));
	memcpy(image, TEESIM_TA_IMAGE_MAGIC, 8);
	memcpy(image + 8, u.b, 16);
	return teesim_supplicant_ta_add(s, u.b, image, sizeof(image));
}

struct teesim_stack *teesim_stack_new(const struct teesim_stack_cfg *cfg)
{
	struct teesim_stack_cfg def;
	struct teesim_optee_cfg dcfg;
	struct teesim_machine *m;
	struct teesim_stack *st;
	int err = ENOMEM;

	if (!cfg) {
		teesim_stack_cfg_default(&def);
		cfg = &def;
	}
	/* the machine first: the stack itself is an allocation on it */
	m = teesim_machine_new(&cfg->machine);
	if (!m)
		return NULL;
	st = tsim_calloc(m, 1, sizeof(*st));
	if (!st)
		goto err_machine;
	st->supp_fd = -1;
	st->machine = m;
	st->sw = teesim_sw_new(st->machine, &cfg->sw);
	if (!st->sw) {
		err = errno;
		goto err_free;
	}
	st->post_remove = cfg->post_remove;
	st->hook_ctx = cfg->hook_ctx;
	if (cfg->pre_probe) {
		int rc = cfg->pre_probe(cfg->hook_ctx, st);

		if (rc) {
			err = rc < 0 ? -rc : EINVAL;
			goto err_sw;
		}
	}
	dcfg = cfg->drv;
	dcfg.guest = NULL;
	st->drv = teesim_optee_probe(st->machine, &dcfg);
	if (!st->drv) {
		err = errno;
		goto err_sw;
	}
	if (cfg->supp == TEESIM_STACK_SUPP_NONE)
		return st;
	st->supp = teesim_supplicant_new_on(st->machine);
	if (!st->supp || add_load_ta(st->supp))
		goto err_drv;
	st->supp_proc = teesim_process_new(teesim_machine_guest(st->machine, 0));
	if (!st->supp_proc)
		goto err_drv;
	st->supp_fd = teesim_open(st->supp_proc, "/dev/teepriv0", 0);
	if (st->supp_fd < 0) {
		err = -st->supp_fd;
		goto err_drv;
	}
	if (cfg->supp == TEESIM_STACK_SUPP_INLINE)
		teesim_optee_set_supp_hook(st->drv, inline_supp, st);
	return st;

err_drv:
	teesim_process_free(st->supp_proc);
	teesim_supplicant_free(st->supp);
	teesim_optee_remove(st->drv);
err_sw:
	if (st->post_remove)
		st->post_remove(st->hook_ctx, st);
	teesim_sw_free(st->sw);
err_free:
	tsim_free(m, st);
err_machine:
	teesim_machine_free(m);
	errno = err;
	return NULL;
}

void teesim_stack_free(struct teesim_stack *st)
{
	struct teesim_machine *m;

	if (!st)
		return;
	if (st->drv)
		teesim_optee_set_supp_hook(st->drv, NULL, NULL);
	teesim_process_free(st->supp_proc);
	teesim_supplicant_free(st->supp);
	teesim_optee_remove(st->drv);
	if (st->post_remove)
		st->post_remove(st->hook_ctx, st);
	teesim_sw_free(st->sw);
	m = st->machine;
	tsim_free(m, st);
	teesim_machine_free(m);
}
