/* SPDX-License-Identifier: MIT */
/*
 * Private structures of the supplicant model (include/teesim/supplicant.h).
 * One mutex per instance guards everything below; the handlers run with it
 * held, except plugin callbacks.
 */
#ifndef TEESIM_SIM_SUPP_INTERNAL_H
#define TEESIM_SIM_SUPP_INTERNAL_H

#include <pthread.h>

#include <teesim/optee_abi.h>
#include <teesim/supplicant.h>

#include "alloc.h"
#include "internal.h"

/* First file descriptor handed out: 0-2 are a process's standard streams. */
#define TSIM_SUPP_FIRST_FD 3
/* tee-supplicant's rel_filename buffer: a name must be shorter than this - 3. */
#define TSIM_SUPP_PATH_MAX 4096u
/* Default limits (teesim_supplicant_fs_set_limits). */
#define TSIM_SUPP_DEF_CAPACITY (64ull << 20)
#define TSIM_SUPP_DEF_MAX_OPEN 1024u
#define TSIM_SUPP_MAX_OPEN_MAX 65536u

/* File data: shared by its directory entry and every fd open on it. */
struct tsim_supp_file {
	uint8_t *data;
	size_t size;
	size_t cap;
	unsigned refs; /* 1 while linked in a directory + 1 per open fd */
};

/* A directory entry: a file or a directory. */
struct tsim_supp_node {
	char *name;
	struct tsim_supp_node *parent;
	struct tsim_supp_node *next;	 /* sibling, in strcmp order */
	struct tsim_supp_node *children; /* directories: first entry */
	struct tsim_supp_file *file;	 /* files; NULL for a directory */
};

/* An open directory handle: the entry names, taken at opendir. */
struct tsim_supp_dirh {
	char **names;
	size_t n;
	size_t pos;
};

struct tsim_supp_ta {
	uint8_t uuid[16];
	uint8_t *image;
	size_t len;
	struct tsim_supp_ta *next;
};

struct tsim_supp_plugin {
	uint8_t uuid[16];
	teesim_supplicant_plugin_fn fn;
	void *ctx;
	struct tsim_supp_plugin *next;
};

/* A buffer allocated for the secure world by SHM_ALLOC through serve_fd (tee-supplicant's struct
 * tee_shm). */
struct tsim_supp_shm {
	struct teesim_process *proc; /* whose memory and fd it is */
	int id;			     /* the shm id in the supplicant's context */
	int fd;			     /* the shm fd TEE_IOC_SHM_ALLOC returned */
	void *va;		     /* its mapping in proc */
	size_t size;		     /* bytes asked for (tee-supplicant's shm->size) */
	size_t map_len;		     /* bytes mapped */
	bool registered;	     /* process memory + SHM_REGISTER, else SHM_ALLOC + mmap */
	struct tsim_supp_shm *next;
};

/* A page of a process holding serve_fd's ioctl arguments, kept for the
 * supplicant's life (tee-supplicant's request buffer): one per round in
 * flight for that process. */
struct tsim_supp_argpage {
	struct teesim_process *proc; /* whose memory it is */
	uint32_t pid;		     /* proc's id: a new process at the same address is not proc */
	bool busy;		     /* a round uses it */
	void *page;		     /* the mapping in proc */
	struct tsim_supp_argpage *next;
};

/* The transport serving a request: where SHM_ALLOC / SHM_FREE go (serve_fd). */
struct tsim_supp_xport {
	struct teesim_process *proc;
	int fd;
	/* argument room in proc's memory */
	struct tee_ioctl_shm_alloc_data *alloc;
	struct tee_ioctl_shm_register_data *reg;
	struct tee_ioctl_version_data *ver;
};

struct teesim_supplicant {
	pthread_mutex_t lock;
	struct teesim_machine *m; /* allocates everything here (NULL: the host; sim/alloc.h) */
	struct tsim_check_node check_node; /* on @m's invariant checker (check.c) */

	struct tsim_supp_ta *tas;
	struct tsim_supp_plugin *plugins;

	/* fault knobs */
	enum teesim_supplicant_stop stop;
	uint32_t stop_code;
	unsigned fail_n;
	uint32_t fail_code;

	/* file system */
	struct tsim_supp_node root;
	struct tsim_supp_file **fds; /* fds[i] is fd TSIM_SUPP_FIRST_FD + i */
	size_t nfds;
	struct tsim_supp_dirh **dirs; /* dirs[h] is directory handle h */
	size_t ndirs;
	uint64_t capacity;
	unsigned max_open;

	struct tsim_supp_shm *shms;	    /* SHM_ALLOC buffers (serve_fd) */
	struct tsim_supp_argpage *argpages; /* serve_fd's argument pages */

	struct teesim_supplicant_stats st;
};

/* Parameter type of @p (TEE_IOCTL_PARAM_ATTR_TYPE_*), other attribute bits ignored. */
static inline uint64_t tsim_supp_type(const struct tee_ioctl_param *p)
{
	return p->attr & TEE_IOCTL_PARAM_ATTR_TYPE_MASK;
}

/*
 * Serve one request with the lock held: knobs, then dispatch. @x is the
 * transport for SHM_ALLOC / SHM_FREE (NULL: answered NOT_SUPPORTED).
 * Returns false when the request is to be left unanswered (STOP_SILENT).
 */
bool tsim_supp_serve_locked(struct teesim_supplicant *s, uint32_t func, size_t num_params,
			    struct tee_ioctl_param *params,
			    const struct teesim_supplicant_memref *mem,
			    const struct tsim_supp_xport *x, uint32_t *ret);

/* SHM_ALLOC / SHM_FREE through the transport (sim/supplicant/fd.c), lock held. */
uint32_t tsim_supp_shm_alloc(struct teesim_supplicant *s, const struct tsim_supp_xport *x,
			     size_t num_params, struct tee_ioctl_param *params);
uint32_t tsim_supp_shm_free(struct teesim_supplicant *s, const struct tsim_supp_xport *x,
			    size_t num_params, struct tee_ioctl_param *params);
/* Forget every SHM_ALLOC buffer (they belong to their process). */
void tsim_supp_shm_forget(struct teesim_supplicant *s);

/*
 * The in-memory file system (sim/supplicant/vfs.c): the directory
 * tee-supplicant keeps its files in, with the POSIX calls it makes on it.
 * Paths are relative to the root, '/'-separated; empty and "." components
 * are skipped (no component at all is the root), ".." is refused with
 * -EINVAL. Each call returns 0 or the -errno its POSIX twin fails with.
 * Descriptors are ints from TSIM_SUPP_FIRST_FD, directory handles from 0,
 * both lowest free first.
 */
void tsim_vfs_init(struct teesim_supplicant *s);
void tsim_vfs_fini(struct teesim_supplicant *s);
/* At least one component, and no "." or ".." one. */
bool tsim_vfs_path_valid(const char *path);
/* open(O_RDWR), with @create open(O_RDWR | O_CREAT | O_TRUNC); the fd in *fd */
int tsim_vfs_open(struct teesim_supplicant *s, const char *path, bool create, int *fd);
int tsim_vfs_close(struct teesim_supplicant *s, int fd);
/* pread: up to @len bytes from @off, the count in *n */
int tsim_vfs_pread(struct teesim_supplicant *s, int fd, void *buf, size_t len, uint64_t off,
		   size_t *n);
/* pwrite of all @len bytes at @off (a hole before it reads as zeros) */
int tsim_vfs_pwrite(struct teesim_supplicant *s, int fd, const void *buf, size_t len, uint64_t off);
int tsim_vfs_ftruncate(struct teesim_supplicant *s, int fd, uint64_t len);
int tsim_vfs_mkdir(struct teesim_supplicant *s, const char *path);
int tsim_vfs_rmdir(struct teesim_supplicant *s, const char *path);
int tsim_vfs_unlink(struct teesim_supplicant *s, const char *path);
/* renameat2, with RENAME_NOREPLACE when @noreplace */
int tsim_vfs_rename(struct teesim_supplicant *s, const char *from, const char *to, bool noreplace);
/* opendir: a handle over the entry names not starting with '.', taken now */
int tsim_vfs_opendir(struct teesim_supplicant *s, const char *path, int *h);
/* Entries left to read on handle @h (0 for a bad handle). */
size_t tsim_vfs_dir_left(struct teesim_supplicant *s, int h);
/* readdir: the next name (valid until closedir); -ENOENT at the end */
int tsim_vfs_readdir(struct teesim_supplicant *s, int h, const char **name);
int tsim_vfs_closedir(struct teesim_supplicant *s, int h);

/* OPTEE_RPC_CMD_FS: tee_supp_fs_process() of tee-supplicant (sim/supplicant/fs.c). */
uint32_t tsim_supp_fs_process(struct teesim_supplicant *s, size_t num_params,
			      struct tee_ioctl_param *params,
			      const struct teesim_supplicant_memref *mem);

/*
 * The buffer of memref param @i (tee_supp_param_to_va): NULL unless it is a
 * memref, resolved, and its size fits in the room resolved for it.
 */
void *tsim_supp_param_buf(const struct tee_ioctl_param *params,
			  const struct teesim_supplicant_memref *mem, size_t i);

#endif /* TEESIM_SIM_SUPP_INTERNAL_H */
