/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ops_dir.c -- daxfs-fuse's open directories: opendir, readdir,
 * releasedir, fsyncdir.  readdir from offset 0 reads the whole directory
 * (daxfs_readdir) into the open directory; later offsets go on from the
 * entry they name (offset i + 1 follows entry i), so that a directory
 * changed between two calls is read as it was at offset 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuse_ops.h"

/* One entry, as read at offset 0. */
struct dent {
	uint64_t ino;
	unsigned type;
	char *name;
};

/* An open directory (fi->fh). */
struct odir {
	daxfs_file *f;          /* O_RDONLY, for fsyncdir; NULL once removed */
	struct dent *ents;
	size_t n, cap;
};

/* Drop the entries d read. */
static void ents_free(struct odir *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->ents[i].name);
	free(d->ents);
	d->ents = NULL;
	d->n = d->cap = 0;
}

/* daxfs_readdir's callback: one more entry. */
static int ent_add(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct odir *d = arg;
	struct dent *e;

	if (d->n == d->cap) {
		e = realloc(d->ents, (d->cap * 2 + 16) * sizeof(*e));
		if (!e)
			return -ENOMEM;
		d->ents = e;
		d->cap = d->cap * 2 + 16;
	}
	e = &d->ents[d->n];
	e->name = strdup(name);
	if (!e->name)
		return -ENOMEM;
	e->ino = ino;
	e->type = type;
	d->n++;
	return 0;
}

/* opendir: a read-only handle (for fsyncdir) and no entries yet. */
static void op_opendir(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct odir *d = calloc(1, sizeof(*d));
	int ret = d ? dnode_open(ino, O_RDONLY, &d->f) : -ENOMEM;

	if (ret == -ENOENT && d)
		ret = 0; /* removed (a cwd): read empty, no handle */
	if (ret) {
		free(d);
		fuse_reply_err(req, -ret);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	if (fuse_reply_open(req, fi)) { /* (interrupted) */
		if (d->f)
			daxfs_close(d->f);
		free(d);
	}
}

/* Read the whole directory ino into d (empty once it is removed). */
static int dir_load(fuse_ino_t ino, struct odir *d)
{
	char path[PATH_MAX];
	int ret;

	ents_free(d);
	pthread_rwlock_rdlock(&dfuse_names_lock);
	ret = dnode_path(ino, NULL, path) ?:
	      daxfs_readdir(dfuse_fs, path, ent_add, d);
	pthread_rwlock_unlock(&dfuse_names_lock);
	return ret == -ENOENT ? 0 : ret; /* removed: empty */
}

/* readdir: from offset 0 the whole directory again, then the entries
 * that fit in size from off on. */
static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct odir *d = (struct odir *)(uintptr_t)fi->fh;
	char *buf = malloc(size ? size : 1);
	size_t used = 0, n;
	struct stat st;
	int ret = buf ? 0 : -ENOMEM;

	if (!ret && off == 0)
		ret = dir_load(ino, d);
	memset(&st, 0, sizeof(st));
	for (; !ret && off >= 0 && (size_t)off < d->n; off++) {
		st.st_ino = d->ents[off].ino;
		st.st_mode = d->ents[off].type << 12;
		n = fuse_add_direntry(req, buf + used, size - used,
				      d->ents[off].name, &st, off + 1);
		if (n > size - used)
			break;
		used += n;
	}
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_buf(req, buf, used);
	free(buf);
}

/* releasedir, fsyncdir: calls on the directory's handle. */
static void op_releasedir(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_file_info *fi)
{
	struct odir *d = (struct odir *)(uintptr_t)fi->fh;
	int ret = d->f ? daxfs_close(d->f) : 0;

	(void)ino;
	ents_free(d);
	free(d);
	fuse_reply_err(req, -ret);
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			struct fuse_file_info *fi)
{
	struct odir *d = (struct odir *)(uintptr_t)fi->fh;

	(void)ino;
	(void)datasync;
	fuse_reply_err(req, d->f ? -daxfs_fsync(d->f) : 0);
}

/* This file's part of the operations table. */
void dfuse_dir_ops(struct fuse_lowlevel_ops *ops)
{
	ops->opendir = op_opendir;
	ops->readdir = op_readdir;
	ops->releasedir = op_releasedir;
	ops->fsyncdir = op_fsyncdir;
}
