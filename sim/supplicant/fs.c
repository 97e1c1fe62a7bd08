/* SPDX-License-Identifier: MIT */
/*
 * OPTEE_RPC_CMD_FS as tee-supplicant's tee_supp_fs.c serves it: the same
 * parameter checks, the same sequence of POSIX calls on its directory (here
 * the in-memory one of vfs.c), the same mapping of their errno to a TEE
 * result (ENOENT -> ITEM_NOT_FOUND, ENOSPC -> STORAGE_NO_SPACE, anything
 * else GENERIC), quirks included; docs/supplicant.md lists them.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "supplicant/supp_internal.h"

#define T_VAL_IN  TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT
#define T_VAL_OUT TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT
#define T_MEM_IN  TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT
#define T_MEM_OUT TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT

#define R_SUCCESS  TEESIM_OPTEE_SUCCESS
#define R_BAD	   TEESIM_OPTEE_ERROR_BAD_PARAMETERS
#define R_NOTFOUND TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND

/* tee-supplicant's errno_to_teec */
static uint32_t errno_to_tee(int err)
{
	switch (err) {
	case ENOSPC:
		return TEESIM_OPTEE_ERROR_STORAGE_NO_SPACE;
	case ENOENT:
		return TEESIM_OPTEE_ERROR_ITEM_NOT_FOUND;
	case ENOMEM:
		/* a host allocation of the model failed */
		return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
	default:
		return TEESIM_OPTEE_ERROR_GENERIC;
	}
}

/* Exactly @n params, of types @t (tee-supplicant masks the type bits only). */
static bool types_are(size_t num, const struct tee_ioctl_param *p, size_t n, const uint64_t *t)
{
	size_t i;

	if (num != n)
		return false;
	for (i = 0; i < n; i++)
		if (tsim_supp_type(&p[i]) != t[i])
			return false;
	return true;
}

#define TYPES(...) ((const uint64_t[]){__VA_ARGS__})

/* The int a u64 value becomes in tee-supplicant (fd = params[0].b). */
static int as_int(uint64_t v)
{
	return (int) (int32_t) (uint32_t) v;
}

/*
 * tee_supp_param_to_va + tee_fs_get_relative_filename: the name in memref
 * @i as "./<name>" in @rel. It must be a resolved memref, hold a NUL
 * within its size (tee-supplicant reads up to one without checking), fit
 * the PATH_MAX buffer, and have no "." or ".." component (tee-supplicant
 * would follow them out of its directory).
 */
static bool rel_name(const struct tee_ioctl_param *p, const struct teesim_supplicant_memref *mem,
		     size_t i, char rel[TSIM_SUPP_PATH_MAX])
{
	const char *buf = tsim_supp_param_buf(p, mem, i);
	const char *nul;
	size_t len;

	if (buf == NULL)
		return false;
	nul = memchr(buf, '\0', (size_t) p[i].b);
	if (nul == NULL)
		return false;
	len = (size_t) (nul - buf);
	if (TSIM_SUPP_PATH_MAX <= len + 3 || !tsim_vfs_path_valid(buf))
		return false;
	memcpy(rel, "./", 2);
	memcpy(rel + 2, buf, len + 1);
	return true;
}

/* glibc's dirname(): cut @p at its last slash, in place ("." when there is none). */
static char *dirname_inplace(char *p)
{
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		n--;
	while (n > 0 && p[n - 1] != '/')
		n--;
	if (n == 0) {
		memcpy(p, ".", 2);
		return p;
	}
	while (n > 1 && p[n - 1] == '/')
		n--;
	p[n] = '\0';
	return p;
}

/* ree_fs_new_open: open O_RDWR (then O_RDONLY); any failure is "not found". */
static uint32_t fs_open(struct teesim_supplicant *s, size_t num, struct tee_ioctl_param *p,
			const struct teesim_supplicant_memref *mem)
{
	char rel[TSIM_SUPP_PATH_MAX];
	int fd;

	if (!types_are(num, p, 3, TYPES(T_VAL_IN, T_MEM_IN, T_VAL_OUT)) ||
	    !rel_name(p, mem, 1, rel))
		return R_BAD;
	if (tsim_vfs_open(s, rel, false, &fd))
		return R_NOTFOUND;
	p[2].a = (uint64_t) fd;
	return R_SUCCESS;
}

/*
 * ree_fs_new_create: open O_RDWR | O_CREAT | O_TRUNC; when that fails with
 * ENOENT, make the file's directory, else also its parent, and try again,
 * removing what was made if the file still cannot be created. Its
 * dirname() calls cut one buffer in place, so with two levels missing the
 * third call yields "." and the create fails (GENERIC) after making the
 * upper directory only: a second create then succeeds.
 */
static uint32_t fs_create(struct teesim_supplicant *s, size_t num, struct tee_ioctl_param *p,
			  const struct teesim_supplicant_memref *mem)
{
	char rel[TSIM_SUPP_PATH_MAX], rel_dir[TSIM_SUPP_PATH_MAX];
	char *d;
	int fd, rc, err;

	if (!types_are(num, p, 3, TYPES(T_VAL_IN, T_MEM_IN, T_VAL_OUT)) ||
	    !rel_name(p, mem, 1, rel))
		return R_BAD;

	rc = tsim_vfs_open(s, rel, true, &fd);
	if (rc == 0)
		goto out;
	if (rc != -ENOENT)
		return errno_to_tee(-rc);

	/* the file's directory is missing */
	memcpy(rel_dir, rel, sizeof(rel_dir));
	d = dirname_inplace(rel_dir);
	rc = tsim_vfs_mkdir(s, d);
	if (rc == 0) {
		rc = tsim_vfs_open(s, rel, true, &fd);
		if (rc == 0)
			goto out;
		tsim_vfs_rmdir(s, d);
		return errno_to_tee(-rc);
	}
	if (rc != -ENOENT)
		return errno_to_tee(-rc);

	/* its parent is missing too */
	d = dirname_inplace(d);
	rc = tsim_vfs_mkdir(s, d);
	if (rc)
		return errno_to_tee(-rc);
	d = dirname_inplace(rel_dir);
	rc = tsim_vfs_mkdir(s, d);
	if (rc) {
		err = rc;
		d = dirname_inplace(d);
		tsim_vfs_rmdir(s, d);
		return errno_to_tee(-err);
	}
	rc = tsim_vfs_open(s, rel, true, &fd);
	if (rc) {
		tsim_vfs_rmdir(s, d);
		d = dirname_inplace(d);
		tsim_vfs_rmdir(s, d);
		return errno_to_tee(-rc);
	}
out:
	p[2].a = (uint64_t) fd;
	return R_SUCCESS;
}

/* ree_fs_new_close */
static uint32_t fs_close(struct teesim_supplicant *s, size_t num, struct tee_ioctl_param *p)
{
	int rc;

	if (!types_are(num, p, 1, TYPES(T_VAL_IN)))
		return R_BAD;
	rc = tsim_vfs_close(s, as_int(p[0].b));
	return rc ? errno_to_tee(-rc) : R_SUCCESS;
}

/* ree_fs_new_read: pread until the buffer is full or the end of the file. */
static uint32_t fs_read(struct teesim_supplicant *s, size_t num, struct tee_ioctl_param *p,
			const struct teesim_supplicant_memref *mem)
{
	size_t n = 0;
	void *buf;
	int rc;

	if (!types_are(num, p, 2, TYPES(T_VAL_IN, T_MEM_OUT)))
		return R_BAD;
	buf = tsim_supp_param_buf(p, mem, 1);
	if (buf == NULL)
		return R_BAD;
	if (p[1].b) { /* no pread at all for an empty buffer */
		rc = tsim_vfs_pread(s, as_int(p[0].b), buf, (size_t) p[1].b, p[0].c, &n);
		if (rc)
			return errno_to_tee(-rc);
	}
	p[1].b = n;
	return R_SUCCESS;
}

/* ree_fs_new_write: pwrite the whole buffer. */
static uint32_t fs_write(struct teesim_supplicant *s, size_t num, struct tee_ioctl_param *p,
			 const struct teesim_supplicant_memref *mem)
{
	const void *buf;
	int rc;

	if (!types_are(num, p, 2, TYPES(T_VAL_IN, T_MEM_IN)))
		return R_BAD;
	buf = tsim_supp_param_buf(p, mem, 1);
	if (buf == NULL)
		return R_BAD;
	if (p[1].b == 0) /* no pwrite at all */
		return R_SUCCESS;
	rc = tsim_vfs_pwrite(s, as_int(p[0].b), buf, (size_t) p[1].b, p[0].c);
	return rc ? errno_to_tee(-rc) : R_SUCCESS;
}

/* ree_fs_new_truncate: ftruncate to value.c bytes. */
static uint32_t fs_truncate(struct teesim_supplicant *s, size_t num, struct tee_ioctl_param *p)
{
	int rc;

	if (!types_are(num, p, 1, TYPES(T_VAL_IN)))
		return R_BAD;
	rc = tsim_vfs_ftruncate(s, as_int(p[0].b), p[0].c);
	return rc ? errno_to_tee(-rc) : R_SUCCESS;
}

/* ree_fs_new_remove: unlink, then rmdir the file's directory and, if that went, its parent. */
static uint32_t fs_remove(struct teesim_supplicant *s, size_t num, struct tee_ioctl_param *p,
			  const struct teesim_supplicant_memref *mem)
{
	char rel[TSIM_SUPP_PATH_MAX];
	char *d;
	int rc;

	if (!types_are(num, p, 2, TYPES(T_VAL_IN, T_MEM_IN)) || !rel_name(p, mem, 1, rel))
		return R_BAD;
	rc = tsim_vfs_unlink(s, rel);
	if (rc)
		return errno_to_tee(-rc);
	d = dirname_inplace(rel);
	if (tsim_vfs_rmdir(s, d) == 0) {
		d = dirname_inplace(d);
		tsim_vfs_rmdir(s, d);
	}
	return R_SUCCESS;
}

/*
 * ree_fs_new_rename: renameat2, RENAME_NOREPLACE unless value.b. Only
 * EEXIST (ACCESS_CONFLICT) and ENOENT (ITEM_NOT_FOUND) are reported: any
 * other failure is answered success, with nothing renamed.
 */
static uint32_t fs_rename(struct teesim_supplicant *s, size_t num, struct tee_ioctl_param *p,
			  const struct teesim_supplicant_memref *mem)
{
	char from[TSIM_SUPP_PATH_MAX], to[TSIM_SUPP_PATH_MAX];
	int rc;

	if (!types_are(num, p, 3, TYPES(T_VAL_IN, T_MEM_IN, T_MEM_IN)))
		return R_BAD;
	if (!rel_name(p, mem, 1, from) || !rel_name(p, mem, 2, to))
		return R_BAD;
	rc = tsim_vfs_rename(s, from, to, p[0].b == 0);
	if (rc == -EEXIST)
		return TEESIM_OPTEE_ERROR_ACCESS_CONFLICT;
	if (rc == -ENOENT)
		return R_NOTFOUND;
	return R_SUCCESS;
}

/*
 * ree_fs_new_opendir: a directory with no entry but dot names is "not
 * found", like a missing one (a workaround for NFS's .nfs files).
 */
static uint32_t fs_opendir(struct teesim_supplicant *s, size_t num, struct tee_ioctl_param *p,
			   const struct teesim_supplicant_memref *mem)
{
	char rel[TSIM_SUPP_PATH_MAX];
	int h, rc;

	if (!types_are(num, p, 3, TYPES(T_VAL_IN, T_MEM_IN, T_VAL_OUT)) ||
	    !rel_name(p, mem, 1, rel))
		return R_BAD;
	rc = tsim_vfs_opendir(s, rel, &h);
	if (rc == -ENOMEM)
		return TEESIM_OPTEE_ERROR_OUT_OF_MEMORY;
	if (rc)
		return R_NOTFOUND;
	if (tsim_vfs_dir_left(s, h) == 0) {
		tsim_vfs_closedir(s, h);
		return R_NOTFOUND;
	}
	p[2].a = (uint64_t) h;
	return R_SUCCESS;
}

/* ree_fs_new_closedir */
static uint32_t fs_closedir(struct teesim_supplicant *s, size_t num, struct tee_ioctl_param *p)
{
	if (!types_are(num, p, 1, TYPES(T_VAL_IN)))
		return R_BAD;
	return tsim_vfs_closedir(s, as_int(p[0].b)) ? R_BAD : R_SUCCESS;
}

/*
 * ree_fs_new_readdir: the next name, NUL included. A name that does not
 * fit is answered SHORT_BUFFER with the size needed, and is consumed.
 */
static uint32_t fs_readdir(struct teesim_supplicant *s, size_t num, struct tee_ioctl_param *p,
			   const struct teesim_supplicant_memref *mem)
{
	const char *name;
	size_t len;
	char *buf;
	int rc;

	if (!types_are(num, p, 2, TYPES(T_VAL_IN, T_MEM_OUT)))
		return R_BAD;
	buf = tsim_supp_param_buf(p, mem, 1);
	if (buf == NULL)
		return R_BAD;
	rc = tsim_vfs_readdir(s, as_int(p[0].b), &name);
	if (rc == -EBADF)
		return R_BAD;
	if (rc)
		return R_NOTFOUND;
	len = strlen(name) + 1;
	if (len > p[1].b) {
		p[1].b = len;
		return TEESIM_OPTEE_ERROR_SHORT_BUFFER;
	}
	memcpy(buf, name, len);
	p[1].b = len;
	return R_SUCCESS;
}

uint32_t tsim_supp_fs_process(struct teesim_supplicant *s, size_t num_params,
			      struct tee_ioctl_param *params,
			      const struct teesim_supplicant_memref *mem)
{
	uint64_t t;

	if (num_params == 0)
		return R_BAD;
	t = tsim_supp_type(&params[0]);
	if (t != T_VAL_IN && t != T_VAL_OUT && t != TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT)
		return R_BAD;

	switch (params[0].a) {
	case TEESIM_OPTEE_RPC_FS_OPEN:
		return fs_open(s, num_params, params, mem);
	case TEESIM_OPTEE_RPC_FS_CREATE:
		return fs_create(s, num_params, params, mem);
	case TEESIM_OPTEE_RPC_FS_CLOSE:
		return fs_close(s, num_params, params);
	case TEESIM_OPTEE_RPC_FS_READ:
		return fs_read(s, num_params, params, mem);
	case TEESIM_OPTEE_RPC_FS_WRITE:
		return fs_write(s, num_params, params, mem);
	case TEESIM_OPTEE_RPC_FS_TRUNCATE:
		return fs_truncate(s, num_params, params);
	case TEESIM_OPTEE_RPC_FS_REMOVE:
		return fs_remove(s, num_params, params, mem);
	case TEESIM_OPTEE_RPC_FS_RENAME:
		return fs_rename(s, num_params, params, mem);
	case TEESIM_OPTEE_RPC_FS_OPENDIR:
		return fs_opendir(s, num_params, params, mem);
	case TEESIM_OPTEE_RPC_FS_CLOSEDIR:
		return fs_closedir(s, num_params, params);
	case TEESIM_OPTEE_RPC_FS_READDIR:
		return fs_readdir(s, num_params, params, mem);
	default:
		return R_BAD;
	}
}
