/* SPDX-License-Identifier: MIT */
/*
 * The supplicant's storage directory as an in-memory tree, with the POSIX
 * calls tee-supplicant makes on its real directory (open, pread, pwrite,
 * ftruncate, mkdir, rmdir, unlink, renameat2, opendir, readdir, closedir)
 * and the errno each fails with; see supp_internal.h. Also the inspection
 * and set-up functions of the public API.
 *
 * A file's data is shared by its directory entry and the descriptors open
 * on it (refs), so a removed file lives on until its last close, as on
 * POSIX. Directory handles hold the names read at opendir.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supplicant/supp_internal.h"

/* The largest file offset (off_t is signed 64-bit). */
#define VFS_OFF_MAX ((uint64_t) INT64_MAX)

/* ---- paths ---- */

/* One path component: @len bytes at @p. */
struct comp {
	const char *p;
	size_t len;
};

static bool comp_is(const struct comp *c, const char *s)
{
	return c->len == strlen(s) && !memcmp(c->p, s, c->len);
}

/* The next component after *cur, skipping slashes and "."; false at the end. */
static bool comp_next(const char **cur, struct comp *c)
{
	const char *p = *cur;

	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0') {
			*cur = p;
			return false;
		}
		c->p = p;
		while (*p && *p != '/')
			p++;
		c->len = (size_t) (p - c->p);
		if (!comp_is(c, "."))
			break;
	}
	*cur = p;
	return true;
}

bool tsim_vfs_path_valid(const char *path)
{
	const char *p = path;
	size_t n = 0;

	/* scan raw components: "." is refused here, not skipped */
	while (*p) {
		const char *start;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p && *p != '/')
			p++;
		if ((p - start == 1 && start[0] == '.') ||
		    (p - start == 2 && start[0] == '.' && start[1] == '.'))
			return false;
		n++;
	}
	return n > 0;
}

/* ---- the tree ---- */

static bool is_dir(const struct tsim_supp_node *n)
{
	return n->file == NULL;
}

/* strcmp order of a component against a node's name */
static int comp_cmp(const struct comp *c, const char *name)
{
	size_t nl = strlen(name);
	int r = memcmp(c->p, name, c->len < nl ? c->len : nl);

	if (r)
		return r;
	return c->len < nl ? -1 : c->len > nl;
}

static struct tsim_supp_node *child_find(const struct tsim_supp_node *dir, const struct comp *c)
{
	struct tsim_supp_node *n;

	for (n = dir->children; n; n = n->next)
		if (comp_cmp(c, n->name) == 0)
			return n;
	return NULL;
}

/* Link @n into @dir, keeping strcmp order. */
static void child_link(struct tsim_supp_node *dir, struct tsim_supp_node *n)
{
	struct tsim_supp_node **pp = &dir->children;

	while (*pp && strcmp((*pp)->name, n->name) < 0)
		pp = &(*pp)->next;
	n->next = *pp;
	*pp = n;
	n->parent = dir;
}

static void child_unlink(struct tsim_supp_node *n)
{
	struct tsim_supp_node **pp = &n->parent->children;

	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	n->next = NULL;
	n->parent = NULL;
}

static char *comp_dup(struct teesim_supplicant *s, const struct comp *c)
{
	char *d = tsim_malloc(s->m, c->len + 1);

	if (d) {
		memcpy(d, c->p, c->len);
		d[c->len] = '\0';
	}
	return d;
}

/* A node named @c, not linked; @file NULL for a directory. */
static struct tsim_supp_node *node_new(struct teesim_supplicant *s, const struct comp *c,
				       struct tsim_supp_file *file)
{
	struct tsim_supp_node *n = tsim_calloc(s->m, 1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->name = comp_dup(s, c);
	if (n->name == NULL) {
		tsim_free(s->m, n);
		return NULL;
	}
	n->file = file;
	return n;
}

/* A new empty file named @c in @dir; NULL when out of memory. */
static struct tsim_supp_node *file_new(struct teesim_supplicant *s, struct tsim_supp_node *dir,
				       const struct comp *c)
{
	struct tsim_supp_file *f = tsim_calloc(s->m, 1, sizeof(*f));
	struct tsim_supp_node *n = f ? node_new(s, c, f) : NULL;

	if (n == NULL) {
		tsim_free(s->m, f);
		return NULL;
	}
	f->refs = 1;
	child_link(dir, n);
	s->st.files++;
	return n;
}

static void file_put(struct teesim_supplicant *s, struct tsim_supp_file *f)
{
	if (--f->refs)
		return;
	s->st.bytes -= f->size;
	tsim_free(s->m, f->data);
	tsim_free(s->m, f);
}

/* Unlink and free a file node or an empty directory node. */
static void node_delete(struct teesim_supplicant *s, struct tsim_supp_node *n)
{
	child_unlink(n);
	if (n->file) {
		file_put(s, n->file);
		s->st.files--;
	} else {
		s->st.dirs--;
	}
	tsim_free(s->m, n->name);
	tsim_free(s->m, n);
}

/* Free a whole subtree (teardown only: counters are not kept). */
static void tree_free(struct teesim_supplicant *s, struct tsim_supp_node *n)
{
	while (n) {
		struct tsim_supp_node *next = n->next;

		tree_free(s, n->children);
		if (n->file) {
			tsim_free(s->m, n->file->data);
			tsim_free(s->m, n->file);
		}
		tsim_free(s->m, n->name);
		tsim_free(s->m, n);
		n = next;
	}
}

/*
 * Resolve every component of @path but the last: the directory holding it
 * in *dir, the last component in *last (*has_last false for the root).
 * -ENOENT when a directory on the way is missing, -ENOTDIR when a component
 * on the way is a file, -EINVAL for "..".
 */
static int walk_parent(struct teesim_supplicant *s, const char *path, struct tsim_supp_node **dir,
		       struct comp *last, bool *has_last)
{
	struct tsim_supp_node *d = &s->root;
	const char *cur = path;
	struct comp c, next;

	*dir = d;
	*has_last = comp_next(&cur, &c);
	if (!*has_last)
		return 0;
	while (comp_next(&cur, &next)) {
		struct tsim_supp_node *n;

		if (comp_is(&c, ".."))
			return -EINVAL;
		n = child_find(d, &c);
		if (n == NULL)
			return -ENOENT;
		if (!is_dir(n))
			return -ENOTDIR;
		d = n;
		c = next;
	}
	if (comp_is(&c, ".."))
		return -EINVAL;
	*dir = d;
	*last = c;
	return 0;
}

/* The node at @path (the root for no component): 0, -ENOENT, -ENOTDIR, -EINVAL. */
static int lookup(struct teesim_supplicant *s, const char *path, struct tsim_supp_node **out)
{
	struct tsim_supp_node *dir, *n;
	struct comp last;
	bool has_last;
	int rc = walk_parent(s, path, &dir, &last, &has_last);

	if (rc)
		return rc;
	if (!has_last) {
		*out = &s->root;
		return 0;
	}
	n = child_find(dir, &last);
	if (n == NULL)
		return -ENOENT;
	*out = n;
	return 0;
}

/* Growing by @grow bytes stays within the capacity. */
static bool room_for(const struct teesim_supplicant *s, uint64_t grow)
{
	return s->st.bytes <= s->capacity && grow <= s->capacity - s->st.bytes;
}

/* Resize file data to @size, zero-filling growth. -ENOSPC over the capacity, -ENOMEM. */
static int file_resize(struct teesim_supplicant *s, struct tsim_supp_file *f, uint64_t size)
{
	if (size > f->size && !room_for(s, size - f->size))
		return -ENOSPC;
	if (size > SIZE_MAX)
		return -ENOMEM;
	if (size > f->cap) {
		size_t cap = f->cap ? f->cap : 64;
		uint8_t *d;

		while (cap < size)
			cap = cap > SIZE_MAX / 2 ? (size_t) size : cap * 2;
		d = tsim_realloc(s->m, f->data, cap);
		if (d == NULL)
			return -ENOMEM;
		f->data = d;
		f->cap = cap;
	}
	if (size > f->size)
		memset(f->data + f->size, 0, (size_t) size - f->size);
	s->st.bytes = s->st.bytes - f->size + size;
	f->size = (size_t) size;
	return 0;
}

/* ---- descriptors ---- */

static bool table_full(const struct teesim_supplicant *s)
{
	return s->st.open_files + s->st.open_dirs >= s->max_open;
}

static struct tsim_supp_file *fd_get(struct teesim_supplicant *s, int fd)
{
	if (fd < TSIM_SUPP_FIRST_FD || (size_t) (fd - TSIM_SUPP_FIRST_FD) >= s->nfds)
		return NULL;
	return s->fds[fd - TSIM_SUPP_FIRST_FD];
}

/* A new descriptor for @f (lowest free), taking a reference; -EMFILE, -ENOMEM. */
static int fd_alloc(struct teesim_supplicant *s, struct tsim_supp_file *f)
{
	size_t i;

	if (table_full(s))
		return -EMFILE;
	for (i = 0; i < s->nfds && s->fds[i]; i++)
		;
	if (i == s->nfds) {
		size_t n = s->nfds ? s->nfds * 2 : 16;
		struct tsim_supp_file **fds = tsim_reallocarray(s->m, s->fds, n, sizeof(*fds));

		if (fds == NULL)
			return -ENOMEM;
		memset(fds + s->nfds, 0, (n - s->nfds) * sizeof(*fds));
		s->fds = fds;
		s->nfds = n;
	}
	s->fds[i] = f;
	f->refs++;
	s->st.open_files++;
	return (int) i + TSIM_SUPP_FIRST_FD;
}

static struct tsim_supp_dirh *dirh_get(struct teesim_supplicant *s, int h)
{
	if (h < 0 || (size_t) h >= s->ndirs)
		return NULL;
	return s->dirs[h];
}

static void dirh_free(struct teesim_supplicant *s, struct tsim_supp_dirh *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		tsim_free(s->m, h->names[i]);
	tsim_free(s->m, h->names);
	tsim_free(s->m, h);
}

/* ---- the POSIX calls ---- */

int tsim_vfs_open(struct teesim_supplicant *s, const char *path, bool create, int *fd)
{
	struct tsim_supp_node *dir, *n;
	struct comp last;
	bool has_last;
	int rc;

	/* the descriptor is taken before the path is looked at */
	if (table_full(s))
		return -EMFILE;
	rc = walk_parent(s, path, &dir, &last, &has_last);
	if (rc)
		return rc;
	if (!has_last)
		return -EISDIR;
	n = child_find(dir, &last);
	if (n == NULL && !create)
		return -ENOENT;
	if (n != NULL && is_dir(n))
		return -EISDIR;
	if (n == NULL) {
		n = file_new(s, dir, &last);
		if (n == NULL)
			return -ENOMEM;
	} else if (create) {
		file_resize(s, n->file, 0); /* O_TRUNC: shrinking cannot fail */
	}
	rc = fd_alloc(s, n->file);
	if (rc < 0)
		return rc; /* a file O_CREAT made stays, as on POSIX */
	*fd = rc;
	return 0;
}

int tsim_vfs_close(struct teesim_supplicant *s, int fd)
{
	struct tsim_supp_file *f = fd_get(s, fd);

	if (f == NULL)
		return -EBADF;
	s->fds[fd - TSIM_SUPP_FIRST_FD] = NULL;
	s->st.open_files--;
	file_put(s, f);
	return 0;
}

int tsim_vfs_pread(struct teesim_supplicant *s, int fd, void *buf, size_t len, uint64_t off,
		   size_t *n)
{
	struct tsim_supp_file *f = fd_get(s, fd);

	*n = 0;
	if (f == NULL)
		return -EBADF;
	if (off > VFS_OFF_MAX)
		return -EINVAL;
	if (off < f->size) {
		*n = f->size - off < len ? (size_t) (f->size - off) : len;
		memcpy(buf, f->data + off, *n);
	}
	return 0;
}

int tsim_vfs_pwrite(struct teesim_supplicant *s, int fd, const void *buf, size_t len, uint64_t off)
{
	struct tsim_supp_file *f = fd_get(s, fd);
	int rc;

	if (f == NULL)
		return -EBADF;
	if (off > VFS_OFF_MAX)
		return -EINVAL;
	if (len > VFS_OFF_MAX - off)
		return -EFBIG;
	if (len == 0)
		return 0;
	if (off + len > f->size) {
		rc = file_resize(s, f, off + len);
		if (rc)
			return rc;
	}
	memcpy(f->data + off, buf, len);
	return 0;
}

int tsim_vfs_ftruncate(struct teesim_supplicant *s, int fd, uint64_t len)
{
	struct tsim_supp_file *f = fd_get(s, fd);

	if (f == NULL)
		return -EBADF;
	if (len > VFS_OFF_MAX)
		return -EINVAL;
	return file_resize(s, f, len);
}

int tsim_vfs_mkdir(struct teesim_supplicant *s, const char *path)
{
	struct tsim_supp_node *dir, *n;
	struct comp last;
	bool has_last;
	int rc = walk_parent(s, path, &dir, &last, &has_last);

	if (rc)
		return rc;
	if (!has_last || child_find(dir, &last))
		return -EEXIST;
	n = node_new(s, &last, NULL);
	if (n == NULL)
		return -ENOMEM;
	child_link(dir, n);
	s->st.dirs++;
	return 0;
}

int tsim_vfs_rmdir(struct teesim_supplicant *s, const char *path)
{
	struct tsim_supp_node *n;
	int rc = lookup(s, path, &n);

	if (rc)
		return rc;
	if (n == &s->root)
		return -EBUSY;
	if (!is_dir(n))
		return -ENOTDIR;
	if (n->children)
		return -ENOTEMPTY;
	node_delete(s, n);
	return 0;
}

int tsim_vfs_unlink(struct teesim_supplicant *s, const char *path)
{
	struct tsim_supp_node *n;
	int rc = lookup(s, path, &n);

	if (rc)
		return rc;
	if (is_dir(n))
		return -EISDIR;
	node_delete(s, n);
	return 0;
}

/* Is @n inside the subtree of @dir (or @dir itself)? */
static bool in_subtree(const struct tsim_supp_node *n, const struct tsim_supp_node *dir)
{
	for (; n; n = n->parent)
		if (n == dir)
			return true;
	return false;
}

int tsim_vfs_rename(struct teesim_supplicant *s, const char *from, const char *to, bool noreplace)
{
	struct tsim_supp_node *odir, *ndir, *old, *tgt;
	struct comp olast, nlast;
	bool oh, nh;
	char *newname;
	int rc;

	rc = walk_parent(s, from, &odir, &olast, &oh);
	if (rc)
		return rc;
	rc = walk_parent(s, to, &ndir, &nlast, &nh);
	if (rc)
		return rc;
	if (!oh || !nh)
		return -EBUSY; /* the root */
	old = child_find(odir, &olast);
	if (old == NULL)
		return -ENOENT;
	tgt = child_find(ndir, &nlast);
	if (tgt && noreplace)
		return -EEXIST;
	if (tgt == old)
		return 0;
	if (tgt && is_dir(old) && !is_dir(tgt))
		return -ENOTDIR;
	if (tgt && !is_dir(old) && is_dir(tgt))
		return -EISDIR;
	if (tgt && is_dir(tgt) && tgt->children)
		return -ENOTEMPTY;
	if (is_dir(old) && in_subtree(ndir, old))
		return -EINVAL;

	newname = comp_dup(s, &nlast);
	if (newname == NULL)
		return -ENOMEM;
	if (tgt)
		node_delete(s, tgt);
	child_unlink(old);
	tsim_free(s->m, old->name);
	old->name = newname;
	child_link(ndir, old);
	return 0;
}

int tsim_vfs_opendir(struct teesim_supplicant *s, const char *path, int *out)
{
	struct tsim_supp_dirh *h;
	struct tsim_supp_node *d, *c;
	size_t n = 0, i;
	int rc;

	if (table_full(s))
		return -EMFILE;
	rc = lookup(s, path, &d);
	if (rc)
		return rc;
	if (!is_dir(d))
		return -ENOTDIR;
	for (c = d->children; c; c = c->next)
		n += c->name[0] != '.';

	h = tsim_calloc(s->m, 1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	h->names = tsim_calloc(s->m, n ? n : 1, sizeof(*h->names));
	if (h->names == NULL)
		goto err_oom;
	for (c = d->children; c; c = c->next) {
		if (c->name[0] == '.')
			continue;
		h->names[h->n] = tsim_strdup(s->m, c->name);
		if (h->names[h->n] == NULL)
			goto err_oom;
		h->n++;
	}
	for (i = 0; i < s->ndirs && s->dirs[i]; i++)
		;
	if (i == s->ndirs) {
		size_t nd = s->ndirs ? s->ndirs * 2 : 16;
		struct tsim_supp_dirh **dirs = tsim_reallocarray(s->m, s->dirs, nd, sizeof(*dirs));

		if (dirs == NULL)
			goto err_oom;
		memset(dirs + s->ndirs, 0, (nd - s->ndirs) * sizeof(*dirs));
		s->dirs = dirs;
		s->ndirs = nd;
	}
	s->dirs[i] = h;
	s->st.open_dirs++;
	*out = (int) i;
	return 0;

err_oom:
	dirh_free(s, h);
	return -ENOMEM;
}

size_t tsim_vfs_dir_left(struct teesim_supplicant *s, int h)
{
	struct tsim_supp_dirh *d = dirh_get(s, h);

	return d ? d->n - d->pos : 0;
}

int tsim_vfs_readdir(struct teesim_supplicant *s, int h, const char **name)
{
	struct tsim_supp_dirh *d = dirh_get(s, h);

	if (d == NULL)
		return -EBADF;
	if (d->pos == d->n)
		return -ENOENT;
	*name = d->names[d->pos++];
	return 0;
}

int tsim_vfs_closedir(struct teesim_supplicant *s, int h)
{
	struct tsim_supp_dirh *d = dirh_get(s, h);

	if (d == NULL)
		return -EBADF;
	s->dirs[h] = NULL;
	s->st.open_dirs--;
	dirh_free(s, d);
	return 0;
}

/* ---- instance ---- */

void tsim_vfs_init(struct teesim_supplicant *s)
{
	s->capacity = TSIM_SUPP_DEF_CAPACITY;
	s->max_open = TSIM_SUPP_DEF_MAX_OPEN;
}

void tsim_vfs_fini(struct teesim_supplicant *s)
{
	size_t i;

	for (i = 0; i < s->nfds; i++)
		if (s->fds[i])
			tsim_vfs_close(s, (int) i + TSIM_SUPP_FIRST_FD);
	tsim_free(s->m, s->fds);
	for (i = 0; i < s->ndirs; i++)
		if (s->dirs[i])
			dirh_free(s, s->dirs[i]);
	tsim_free(s->m, s->dirs);
	tree_free(s, s->root.children);
	s->root.children = NULL;
}

/* ---- public inspection and set-up ---- */

int teesim_supplicant_fs_set_limits(struct teesim_supplicant *s, uint64_t capacity,
				    unsigned max_open)
{
	if (s == NULL || max_open == 0 || max_open > TSIM_SUPP_MAX_OPEN_MAX)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	s->capacity = capacity;
	s->max_open = max_open;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

struct walk_ctx {
	teesim_supplicant_walk_fn fn;
	void *ctx;
	char *path;
	size_t cap;
	struct teesim_machine *m;
};

static int walk_dir(struct walk_ctx *w, const struct tsim_supp_node *dir, size_t plen)
{
	const struct tsim_supp_node *n;
	int rc;

	for (n = dir->children; n; n = n->next) {
		size_t nl = strlen(n->name), need = plen + nl + 2;

		if (need > w->cap) {
			char *p = tsim_realloc(w->m, w->path, need * 2);

			if (p == NULL)
				return -ENOMEM;
			w->path = p;
			w->cap = need * 2;
		}
		if (plen)
			w->path[plen] = '/';
		memcpy(w->path + plen + (plen != 0), n->name, nl + 1);
		rc = w->fn(w->ctx, w->path, is_dir(n), n->file ? n->file->size : 0);
		if (rc)
			return rc;
		if (is_dir(n)) {
			rc = walk_dir(w, n, plen + (plen != 0) + nl);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int teesim_supplicant_fs_walk(struct teesim_supplicant *s, teesim_supplicant_walk_fn fn, void *ctx)
{
	struct walk_ctx w = {fn, ctx, NULL, 0, NULL};
	int rc;

	if (s == NULL || fn == NULL)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	w.m = s->m;
	rc = walk_dir(&w, &s->root, 0);
	pthread_mutex_unlock(&s->lock);
	tsim_free(s->m, w.path);
	return rc;
}

int teesim_supplicant_fs_read(struct teesim_supplicant *s, const char *path, void *buf, size_t max,
			      uint64_t *size)
{
	struct tsim_supp_node *n;
	int rc;

	if (s == NULL || path == NULL || !tsim_vfs_path_valid(path) || (buf == NULL && max))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	rc = lookup(s, path, &n);
	if (rc == -ENOTDIR)
		rc = -ENOENT;
	if (rc == 0 && is_dir(n))
		rc = -EISDIR;
	if (rc == 0) {
		if (max && n->file->size)
			memcpy(buf, n->file->data, n->file->size < max ? n->file->size : max);
		if (size)
			*size = n->file->size;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Make every missing directory on the way to @path's last component. */
static int mkdirs(struct teesim_supplicant *s, const char *path, struct tsim_supp_node **dir,
		  struct comp *last)
{
	struct tsim_supp_node *d = &s->root, *n;
	const char *cur = path;
	struct comp c, next;

	comp_next(&cur, &c);
	while (comp_next(&cur, &next)) {
		n = child_find(d, &c);
		if (n == NULL) {
			n = node_new(s, &c, NULL);
			if (n == NULL)
				return -ENOMEM;
			child_link(d, n);
			s->st.dirs++;
		} else if (!is_dir(n)) {
			return -ENOTDIR;
		}
		d = n;
		c = next;
	}
	*dir = d;
	*last = c;
	return 0;
}

int teesim_supplicant_fs_write(struct teesim_supplicant *s, const char *path, const void *data,
			       size_t len)
{
	struct tsim_supp_node *dir, *n;
	struct comp last;
	bool has_last;
	uint64_t old;
	int rc;

	if (s == NULL || path == NULL || !tsim_vfs_path_valid(path) || (data == NULL && len))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	/* a file on the way is refused before any directory is made */
	rc = walk_parent(s, path, &dir, &last, &has_last);
	if (rc == -ENOTDIR)
		goto out;
	rc = mkdirs(s, path, &dir, &last);
	if (rc)
		goto out;
	n = child_find(dir, &last);
	if (n && is_dir(n)) {
		rc = -EISDIR;
		goto out;
	}
	old = n ? n->file->size : 0;
	if (len > old && !room_for(s, len - old)) {
		rc = -ENOSPC;
		goto out;
	}
	if (n == NULL) {
		n = file_new(s, dir, &last);
		if (n == NULL) {
			rc = -ENOMEM;
			goto out;
		}
	}
	file_resize(s, n->file, 0);
	rc = file_resize(s, n->file, len);
	if (rc == 0 && len)
		memcpy(n->file->data, data, len);
out:
	pthread_mutex_unlock(&s->lock);
	return rc;
}
