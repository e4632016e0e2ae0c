/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * node.c -- the inodes the kernel knows (FUSE nodes): for each, an
 * O_PATH handle, the kernel's lookup count and the names it looked the
 * inode up by, in a hash table keyed by node id.
 *
 * A name is (parent node, name); the path of a node is built by walking
 * its first name's parents up to the root.  Directories have one name;
 * a hard-linked file has each name the kernel used, so removing one
 * leaves the others.  The kernel locks a directory while it changes or
 * looks up its names, so a name is never learned and removed at once;
 * the table itself is under dfuse_names_lock, which path users hold
 * shared through their libdaxfs call so that a rename (exclusive) cannot
 * move a path while it is walked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fuse_ops.h"

#define NODE_BUCKETS (1u << 16)
#define EXT2_ROOT_INO 2

/* One name of a node: an entry name in directory node parent. */
struct dname {
	struct dname *next;
	fuse_ino_t parent;
	char name[];
};

/* One inode the kernel knows. */
struct dnode {
	struct dnode *next;         /* hash chain */
	fuse_ino_t id;
	uint64_t nlookup;
	daxfs_file *h;              /* O_PATH */
	struct dname *names;
};

pthread_rwlock_t dfuse_names_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct dnode *buckets[NODE_BUCKETS];

/* The node id of ext2 inode ino. */
static fuse_ino_t id_of(uint64_t ino)
{
	return ino == EXT2_ROOT_INO ? FUSE_ROOT_ID : ino;
}

/* The node of id, or NULL (the caller holds the lock). */
static struct dnode *find(fuse_ino_t id)
{
	struct dnode *n = buckets[id % NODE_BUCKETS];

	while (n && n->id != id)
		n = n->next;
	return n;
}

daxfs_file *dnode_handle(fuse_ino_t ino)
{
	struct dnode *n;

	pthread_rwlock_rdlock(&dfuse_names_lock);
	n = find(ino);
	pthread_rwlock_unlock(&dfuse_names_lock);
	return n ? n->h : NULL;
}

/* Append "/" name to buf (holding *len bytes). */
static int append(char *buf, size_t *len, const char *name)
{
	size_t n = strlen(name);

	if (*len + 1 + n >= PATH_MAX)
		return -ENAMETOOLONG;
	buf[(*len)++] = '/';
	memcpy(buf + *len, name, n + 1);
	*len += n;
	return 0;
}

/* The path of node id into buf, *len its length ("" for the root). */
static int path_of(fuse_ino_t id, char *buf, size_t *len)
{
	struct dnode *n;
	int ret;

	if (id == FUSE_ROOT_ID) {
		*len = 0;
		buf[0] = '\0';
		return 0;
	}
	n = find(id);
	if (!n)
		return -ESTALE;
	if (!n->names)
		return -ENOENT; /* every name removed (open, or a cwd) */
	ret = path_of(n->names->parent, buf, len);
	return ret ?: append(buf, len, n->names->name);
}

int dnode_path(fuse_ino_t parent, const char *name, char *buf)
{
	size_t len;
	int ret = path_of(parent, buf, &len);

	if (!ret && name)
		ret = append(buf, &len, name);
	if (!ret && len == 0)
		strcpy(buf, "/");
	return ret;
}

int dnode_open(fuse_ino_t ino, int flags, daxfs_file **out)
{
	char path[PATH_MAX];
	int ret;

	pthread_rwlock_rdlock(&dfuse_names_lock);
	ret = dnode_path(ino, NULL, path) ?:
	      daxfs_open(dfuse_fs, path, flags, 0, out);
	pthread_rwlock_unlock(&dfuse_names_lock);
	return ret;
}

/* Add (parent, name) to n's names unless it is there. */
static void name_add(struct dnode *n, fuse_ino_t parent, const char *name)
{
	struct dname *d;
	size_t len = strlen(name);

	for (d = n->names; d; d = d->next)
		if (d->parent == parent && !strcmp(d->name, name))
			return;
	d = malloc(sizeof(*d) + len + 1);
	if (!d)
		return; /* the node is reached by its other names or handle */
	d->parent = parent;
	memcpy(d->name, name, len + 1);
	d->next = n->names;
	n->names = d;
}

/* Take (parent, name) out of n's names; 1 if it was there. */
static int name_del(struct dnode *n, fuse_ino_t parent, const char *name)
{
	struct dname **p, *d;

	for (p = &n->names; (d = *p); p = &d->next)
		if (d->parent == parent && !strcmp(d->name, name)) {
			*p = d->next;
			free(d);
			return 1;
		}
	return 0;
}

/* Count a lookup of the inode of handle h (id), adding the node if it
 * is new; h is kept or closed. */
static int node_ref(fuse_ino_t id, daxfs_file *h, fuse_ino_t parent,
		    const char *name)
{
	struct dnode *n;

	pthread_rwlock_wrlock(&dfuse_names_lock);
	n = find(id);
	if (!n && (n = calloc(1, sizeof(*n)))) {
		n->id = id;
		n->h = h;
		h = NULL;
		n->next = buckets[id % NODE_BUCKETS];
		buckets[id % NODE_BUCKETS] = n;
	}
	if (n) {
		n->nlookup++;
		if (id != FUSE_ROOT_ID)
			name_add(n, parent, name);
	}
	pthread_rwlock_unlock(&dfuse_names_lock);
	if (h)
		daxfs_close(h);
	return n ? 0 : -ENOMEM;
}

int dnode_learn(fuse_ino_t parent, const char *name, const char *path,
		struct fuse_entry_param *e)
{
	daxfs_file *h;
	int ret = daxfs_open(dfuse_fs, path, O_PATH, 0, &h);

	if (ret)
		return ret;
	memset(e, 0, sizeof(*e));
	ret = dfuse_fstat(h, &e->attr);
	if (ret) {
		daxfs_close(h);
		return ret;
	}
	e->ino = id_of(e->attr.st_ino);
	e->attr_timeout = dfuse_timeout;
	e->entry_timeout = dfuse_timeout;
	return node_ref(e->ino, h, parent, name);
}

/* Take n out of its bucket and free it (the lock held). */
static daxfs_file *node_drop(struct dnode *n)
{
	struct dnode **p = &buckets[n->id % NODE_BUCKETS];
	daxfs_file *h = n->h;
	struct dname *d;

	while (*p != n)
		p = &(*p)->next;
	*p = n->next;
	while ((d = n->names)) {
		n->names = d->next;
		free(d);
	}
	free(n);
	return h;
}

void dnode_forget(fuse_ino_t ino, uint64_t count)
{
	daxfs_file *h = NULL;
	struct dnode *n;

	pthread_rwlock_wrlock(&dfuse_names_lock);
	n = find(ino);
	if (n && ino != FUSE_ROOT_ID) {
		n->nlookup -= count < n->nlookup ? count : n->nlookup;
		if (!n->nlookup)
			h = node_drop(n);
	}
	pthread_rwlock_unlock(&dfuse_names_lock);
	if (h)
		daxfs_close(h); /* frees a removed file */
}

void dnode_unname(uint64_t ino, fuse_ino_t parent, const char *name)
{
	struct dnode *n = find(id_of(ino));

	if (n)
		name_del(n, parent, name);
}

void dnode_rename(uint64_t ino, fuse_ino_t parent, const char *name,
		  fuse_ino_t newparent, const char *newname)
{
	struct dnode *n = find(id_of(ino));

	if (!n)
		return;
	name_del(n, parent, name);
	name_add(n, newparent, newname);
}

int dnode_init(void)
{
	daxfs_file *h;
	int ret = daxfs_open(dfuse_fs, "/", O_PATH, 0, &h);

	return ret ?: node_ref(FUSE_ROOT_ID, h, 0, NULL);
}

void dnode_fini(void)
{
	unsigned i;

	for (i = 0; i < NODE_BUCKETS; i++)
		while (buckets[i])
			daxfs_close(node_drop(buckets[i]));
}
