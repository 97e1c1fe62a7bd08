/* SPDX-License-Identifier: MIT */
/*
 * The in-kernel client API (Linux v4.19, "tee: add kernel internal client
 * interface"): a kernel component opens a context on a TEE device without a
 * file, and calls the driver directly. Contexts opened here do not wait for
 * the supplicant (supp_nowait) and belong to no process.
 */
#include <errno.h>

#include "tee_private.h"

/*
 * The next registered device of guest @g after @after (NULL: the first), in
 * the core's list order, with a user taken; NULL when there is none.
 */
static struct tee_device *next_device(struct tee_core *core, struct teesim_guest *g,
				      const struct tee_device *after)
{
	struct tee_device *d, *found = NULL;
	bool seen = after == NULL;

	pthread_mutex_lock(&core->lock);
	for (d = core->devices; d; d = d->next) {
		if (!seen) {
			seen = d == after;
			continue;
		}
		if (d->guest == g && (d->flags & TEE_DEVICE_FLAG_REGISTERED) && tee_device_get(d)) {
			found = d;
			break;
		}
	}
	pthread_mutex_unlock(&core->lock);
	return found;
}

struct tee_context *tee_client_open_context(struct teesim_guest *g, struct tee_context *start,
					    int (*match)(struct tee_ioctl_version_data *,
							 const void *),
					    const void *data, struct tee_ioctl_version_data *vers)
{
	struct tee_core *core = tee_core_of(teesim_guest_machine(g));
	struct tee_device *dev, *prev = start ? start->teedev : NULL;
	struct tee_context *ctx = NULL;

	if (!core || !match)
		return ERR_PTR(-ENOENT);
	while ((dev = next_device(core, g, prev))) {
		ctx = teedev_open(dev);
		tee_device_put(dev); /* the walk's user; the context holds its own */
		prev = dev;
		if (IS_ERR(ctx)) {
			ctx = NULL;
			continue;
		}
		dev->desc->ops->get_version(dev, vers);
		if (match(vers, data))
			break;
		teedev_close_context(ctx);
		ctx = NULL;
	}
	if (!ctx)
		return ERR_PTR(-ENOENT);
	ctx->supp_nowait = true; /* in-kernel clients never wait for the supplicant */
	return ctx;
}

void tee_client_close_context(struct tee_context *ctx)
{
	teedev_close_context(ctx);
}

void tee_client_get_version(struct tee_context *ctx, struct tee_ioctl_version_data *vers)
{
	ctx->teedev->desc->ops->get_version(ctx->teedev, vers);
}

int tee_client_open_session(struct tee_context *ctx, struct tee_ioctl_open_session_arg *arg,
			    struct tee_param *param)
{
	if (!ctx->teedev->desc->ops->open_session)
		return -EINVAL;
	return ctx->teedev->desc->ops->open_session(ctx, arg, param);
}

int tee_client_close_session(struct tee_context *ctx, uint32_t session)
{
	if (!ctx->teedev->desc->ops->close_session)
		return -EINVAL;
	return ctx->teedev->desc->ops->close_session(ctx, session);
}

int tee_client_invoke_func(struct tee_context *ctx, struct tee_ioctl_invoke_arg *arg,
			   struct tee_param *param)
{
	if (!ctx->teedev->desc->ops->invoke_func)
		return -EINVAL;
	return ctx->teedev->desc->ops->invoke_func(ctx, arg, param);
}

int tee_client_cancel_req(struct tee_context *ctx, struct tee_ioctl_cancel_arg *arg)
{
	if (!ctx->teedev->desc->ops->cancel_req)
		return -EINVAL;
	return ctx->teedev->desc->ops->cancel_req(ctx, arg->cancel_id, arg->session);
}
