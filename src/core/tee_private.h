/* SPDX-License-Identifier: MIT */
/*
 * Internal structures of the tee core (model of drivers/tee/tee_private.h).
 */
#ifndef TEESIM_CORE_TEE_PRIVATE_H
#define TEESIM_CORE_TEE_PRIVATE_H

#include <pthread.h>

#include <teesim/tee.h>

#include "internal.h"
#include "idr.h"
#include "tee_drv.h"

#define TEE_NUM_DEVICES		   32 /* minors per guest: 0-15 tee%d, 16-31 teepriv%d */
#define TEE_DEVICE_FLAG_REGISTERED 0x1
#define TEE_FD_FIRST		   3	 /* 0-2 are a process's stdio */
#define TEE_FD_MAX		   65536 /* RLIMIT_NOFILE of the model */
/* arm64 user address space (48-bit VA): the bound access_ok() checks against */
#define TEE_TASK_SIZE (UINT64_C(1) << 48)

struct tee_core;

/* struct tee_device */
struct tee_device {
	char name[32];
	const struct tee_desc *desc; /* NULL once the last user went away */
	int id;			     /* minor */
	unsigned int flags;
	struct teesim_guest *guest;
	struct tee_core *core;
	size_t num_users;
	pthread_cond_t c_no_users;
	pthread_mutex_t mutex; /* num_users, desc, the idr, ncontexts */
	struct tee_idr idr;
	struct tee_shm_pool *pool;
	void *drvdata;
	uint32_t ncontexts;	 /* live contexts (observation) */
	struct tee_device *next; /* core list of allocated devices (under core->lock) */
	/* model: marks of the invariant checker (tee_check.c), under the check lock */
	uint64_t check_gen;
	uint32_t check_ctxs, check_nofd, check_published, check_dev_shms;
};

/* The tee core of one machine: its devices, counters and race hook. */
struct tee_core {
	struct teesim_machine *m;
	pthread_mutex_t lock; /* device list, minors */
	/* serializes the reserved-memory pool managers, which do no locking of
	 * their own (genalloc locks inside in the kernel); a pool may be shared
	 * by several devices. A driver's manager (tee_shm_pool_mgr_needs_lock()
	 * false) locks for itself and runs without it: it may make SMCs. */
	pthread_mutex_t pool_lock;
	struct tee_device *devices;
	/* minors in use, per guest id */
	uint32_t minors[TSIM_MAX_GUESTS];
	_Atomic uint64_t next_cookie;
	_Atomic int64_t ndevices, ncontexts, nshms, nsessions, nfiles, nmaps, npinned;
	teesim_tee_hook_fn hook;
	void *hook_ctx;
};

/* An open file (the model of struct file): a device fd or a shm fd. */
struct tee_file {
	_Atomic uint32_t count; /* fd table entries + calls in flight */
	enum teesim_tee_fd_kind kind;
	struct tee_context *ctx;  /* DEVICE */
	struct tee_shm *shm;	  /* SHM */
	struct teesim_machine *m; /* allocated the file */
};

/* The per-process fd table. */
struct tee_fdtable {
	struct tee_core *core;
	pthread_mutex_t lock;
	size_t hint;		 /* no free slot below this index */
	struct tee_file **files; /* index fd - TEE_FD_FIRST */
	size_t cap;
	size_t nopen;
};

/* tee_core.c */
/* model: the machine's core, created on first use (NULL: out of host memory) */
struct tee_core *tee_core_get(struct teesim_machine *m);
/* model: the machine's core, NULL if none was created yet */
struct tee_core *tee_core_of(struct teesim_machine *m);
/* model: call the race hook, if any, with no lock held */
void tee_core_event(struct tee_core *core, enum teesim_tee_event ev, const struct tee_device *dev,
		    int id, const void *obj);
/* tee_device_get */
bool tee_device_get(struct tee_device *teedev);
/* tee_device_put */
void tee_device_put(struct tee_device *teedev);
/* find a registered device by path ("/dev/tee0") in guest @g and take a user; NULL if none */
struct tee_device *tee_device_find_get(struct tee_core *core, struct teesim_guest *g,
				       const char *path, int *err);
/* find a registered device by path with the core lock held, no reference */
struct tee_device *tee_device_lookup(struct tee_core *core, struct teesim_guest *g,
				     const char *path);
/* teedev_open */
struct tee_context *teedev_open(struct tee_device *teedev);
/* teedev_close_context */
void teedev_close_context(struct tee_context *ctx);
/* tee_ioctl: dispatch of one ioctl on a context */
long tee_ioctl(struct tee_context *ctx, unsigned long cmd, uint64_t uarg);

/* tee_shm.c */
/* tee_shm_get_fd: a new fd of @p holding a reference to @shm */
int tee_shm_get_fd(struct teesim_process *p, struct tee_shm *shm);
/* tee_shm_fop_mmap */
void *tee_shm_mmap(struct teesim_process *p, struct tee_shm *shm, size_t len, unsigned prot,
		   uint64_t offset, int *err);
/* model: observation of a shm, with its device's mutex held */
void tee_shm_fill_info(struct tee_shm *shm, struct teesim_tee_shm_info *info);

/* tee_check.c: the core's part of the invariant checker (the machine's tee_core_check) */
void tee_core_check(void *core, struct tsim_check *c);

/* fdtable.c */
/* fd_install: put @f in the lowest free fd of @p (takes over the caller's reference) */
int tee_fd_install(struct teesim_process *p, struct tee_file *f);
/* model of alloc_file: a file with one count */
struct tee_file *tee_file_alloc(struct teesim_machine *m, enum teesim_tee_fd_kind kind);
/* fput */
void tee_file_put(struct tee_file *f);
/* exit_files: close every fd of an exiting process (the machine's exit hook) */
void tee_process_exit_files(void *core, struct teesim_process *p);

#endif /* TEESIM_CORE_TEE_PRIVATE_H */
