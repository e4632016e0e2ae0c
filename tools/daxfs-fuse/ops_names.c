/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ops_names.c -- daxfs-fuse's operations on names and attributes:
 * lookup, forget, getattr, setattr, readlink, mknod, mkdir, symlink,
 * unlink, rmdir, rename, link, statfs and the xattr calls.  Attributes
 * go through the node's O_PATH handle (or the open file's); names and
 * xattrs through paths built by node.c, with its lock held shared (a
 * removal or a rename: exclusive, so that the names change with the
 * media).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuse_ops.h"

daxfs *dfuse_fs;
double dfuse_timeout = 3600.0;

int dfuse_fstat(daxfs_file *f, struct stat *st)
{
	int ret = daxfs_fstat(f, st);

	st->st_blksize = DFUSE_MAX_WRITE;
	return ret;
}

void dfuse_reply_attr(fuse_req_t req, daxfs_file *f)
{
	struct stat st;
	int ret = dfuse_fstat(f, &st);

	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_attr(req, &st, dfuse_timeout);
}

int dfuse_own(fuse_req_t req, const char *path)
{
	const struct fuse_ctx *c = fuse_req_ctx(req);

	if (c->uid == getuid() && c->gid == getgid())
		return 0;
	return daxfs_chown(dfuse_fs, path, c->uid, c->gid);
}

/* Reply to a call that made or found path (name in parent): the entry,
 * a lookup counted. */
static void reply_entry(fuse_req_t req, fuse_ino_t parent, const char *name,
			const char *path, int ret)
{
	struct fuse_entry_param e;

	ret = ret ?: dnode_learn(parent, name, path, &e);
	if (ret)
		fuse_reply_err(req, -ret);
	else if (fuse_reply_entry(req, &e))
		dnode_forget(e.ino, 1); /* (interrupted: the kernel has none) */
}

/* lookup: the entry of name in parent, a lookup counted. */
static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	char path[PATH_MAX];
	int ret;

	pthread_rwlock_rdlock(&dfuse_names_lock);
	ret = dnode_path(parent, name, path);
	pthread_rwlock_unlock(&dfuse_names_lock);
	reply_entry(req, parent, name, path, ret);
}

/* forget, forget_multi: the kernel drops lookups (no reply). */
static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	dnode_forget(ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
			    struct fuse_forget_data *forgets)
{
	size_t i;

	for (i = 0; i < count; i++)
		dnode_forget(forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

/* The handle for a call on ino: the open file's, else the node's. */
static daxfs_file *handle_of(fuse_ino_t ino, struct fuse_file_info *fi)
{
	return fi ? dfuse_file(fi) : dnode_handle(ino);
}

/* getattr: the open file's or the node's attributes. */
static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	daxfs_file *f = handle_of(ino, fi);

	if (!f)
		fuse_reply_err(req, ESTALE);
	else
		dfuse_reply_attr(req, f);
}

/* truncate without an open file: a writable handle of its own. */
static int truncate_ino(fuse_ino_t ino, off_t size)
{
	daxfs_file *f;
	int ret = dnode_open(ino, O_WRONLY, &f);

	if (ret)
		return ret;
	ret = daxfs_ftruncate(f, size);
	daxfs_close(f);
	return ret;
}

/* The times of a setattr as futimens takes them. */
static void set_times(const struct stat *a, int to_set, struct timespec t[2])
{
	t[0] = a->st_atim;
	t[1] = a->st_mtim;
	if (!(to_set & FUSE_SET_ATTR_ATIME))
		t[0].tv_nsec = UTIME_OMIT;
	else if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		t[0].tv_nsec = UTIME_NOW;
	if (!(to_set & FUSE_SET_ATTR_MTIME))
		t[1].tv_nsec = UTIME_OMIT;
	else if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		t[1].tv_nsec = UTIME_NOW;
}

/* The changes of a setattr, one libdaxfs call each, on handle f. */
static int setattr_on(daxfs_file *f, fuse_ino_t ino, const struct stat *a,
		      int to_set, int has_fi)
{
	struct timespec t[2];
	int ret = 0;

	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))
		ret = daxfs_fchown(f, (to_set & FUSE_SET_ATTR_UID) ?
				   a->st_uid : (uid_t)-1,
				   (to_set & FUSE_SET_ATTR_GID) ?
				   a->st_gid : (gid_t)-1);
	if (!ret && (to_set & FUSE_SET_ATTR_MODE))
		ret = daxfs_fchmod(f, a->st_mode);
	if (!ret && (to_set & FUSE_SET_ATTR_SIZE))
		ret = has_fi ? daxfs_ftruncate(f, a->st_size) :
			       truncate_ino(ino, a->st_size);
	if (!ret && (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME))) {
		set_times(a, to_set, t);
		ret = daxfs_futimens(f, t);
	}
	return ret;
}

/* setattr: the changes, then the attributes they left. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	daxfs_file *f = handle_of(ino, fi);
	int ret = f ? setattr_on(f, ino, attr, to_set, fi != NULL) : -ESTALE;

	if (ret)
		fuse_reply_err(req, -ret);
	else
		dfuse_reply_attr(req, f);
}

/* readlink: the target, by the node's path. */
static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	char path[PATH_MAX], buf[PATH_MAX];
	ssize_t n;

	pthread_rwlock_rdlock(&dfuse_names_lock);
	n = dnode_path(ino, NULL, path);
	if (!n)
		n = daxfs_readlink(dfuse_fs, path, buf, sizeof(buf) - 1);
	pthread_rwlock_unlock(&dfuse_names_lock);
	if (n < 0) {
		fuse_reply_err(req, (int)-n);
		return;
	}
	buf[n] = '\0';
	fuse_reply_readlink(req, buf);
}

/* What a call that makes a name does: mknod, mkdir or symlink. */
enum make_kind { MAKE_NOD, MAKE_DIR, MAKE_SYMLINK };

/* Make name in parent, give it to the caller, reply with its entry. */
static void make(fuse_req_t req, fuse_ino_t parent, const char *name,
		 enum make_kind kind, mode_t mode, dev_t rdev,
		 const char *target)
{
	char path[PATH_MAX];
	int ret;

	pthread_rwlock_rdlock(&dfuse_names_lock);
	ret = dnode_path(parent, name, path);
	if (!ret && kind == MAKE_NOD)
		ret = daxfs_mknod(dfuse_fs, path, mode, rdev);
	else if (!ret && kind == MAKE_DIR)
		ret = daxfs_mkdir(dfuse_fs, path, mode);
	else if (!ret)
		ret = daxfs_symlink(dfuse_fs, target, path);
	ret = ret ?: dfuse_own(req, path);
	pthread_rwlock_unlock(&dfuse_names_lock);
	reply_entry(req, parent, name, path, ret);
}

/* mknod, mkdir, symlink: make (see make()). */
static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode, dev_t rdev)
{
	make(req, parent, name, MAKE_NOD, mode, rdev, NULL);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		     mode_t mode)
{
	make(req, parent, name, MAKE_DIR, mode, 0, NULL);
}

static void op_symlink(fuse_req_t req, const char *target, fuse_ino_t parent,
		       const char *name)
{
	make(req, parent, name, MAKE_SYMLINK, 0, 0, target);
}

/* unlink and rmdir: remove name in parent, and from its node. */
static void remove_name(fuse_req_t req, fuse_ino_t parent, const char *name,
			int dir)
{
	char path[PATH_MAX];
	struct stat st;
	int ret;

	pthread_rwlock_wrlock(&dfuse_names_lock);
	ret = dnode_path(parent, name, path) ?:
	      daxfs_stat(dfuse_fs, path, &st);
	if (!ret)
		ret = dir ? daxfs_rmdir(dfuse_fs, path) :
			    daxfs_unlink(dfuse_fs, path);
	if (!ret)
		dnode_unname(st.st_ino, parent, name);
	pthread_rwlock_unlock(&dfuse_names_lock);
	fuse_reply_err(req, -ret);
}

/* unlink, rmdir: remove_name(). */
static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, 0);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_name(req, parent, name, 1);
}

/* rename: the replaced inode loses its name, the moved one changes its
 * own.  RENAME_NOREPLACE and RENAME_EXCHANGE are not in the API (EINVAL,
 * as a file system without them answers renameat2). */
static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		      fuse_ino_t newparent, const char *newname,
		      unsigned flags)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct stat sf, st;
	int ret = flags ? -EINVAL : 0, replaced;

	pthread_rwlock_wrlock(&dfuse_names_lock);
	ret = ret ?: dnode_path(parent, name, from) ?:
	      dnode_path(newparent, newname, to) ?:
	      daxfs_stat(dfuse_fs, from, &sf);
	replaced = !ret && daxfs_stat(dfuse_fs, to, &st) == 0;
	ret = ret ?: daxfs_rename(dfuse_fs, from, to);
	if (replaced && st.st_ino == sf.st_ino)
		replaced = 2; /* two names of one file: nothing changes */
	if (!ret && replaced == 1)
		dnode_unname(st.st_ino, newparent, newname);
	if (!ret && replaced != 2)
		dnode_rename(sf.st_ino, parent, name, newparent, newname);
	pthread_rwlock_unlock(&dfuse_names_lock);
	fuse_reply_err(req, -ret);
}

/* link: a new name of node ino, reply with its entry. */
static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		    const char *newname)
{
	char from[PATH_MAX], to[PATH_MAX];
	int ret;

	pthread_rwlock_rdlock(&dfuse_names_lock);
	ret = dnode_path(ino, NULL, from) ?:
	      dnode_path(newparent, newname, to) ?:
	      daxfs_link(dfuse_fs, from, to);
	pthread_rwlock_unlock(&dfuse_names_lock);
	reply_entry(req, newparent, newname, to, ret);
}

/* statfs: the region's counts. */
static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st;
	int ret = daxfs_statfs(dfuse_fs, &st);

	(void)ino;
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_statfs(req, &st);
}

/* This file's part of the operations table. */
void dfuse_names_ops(struct fuse_lowlevel_ops *ops)
{
	ops->lookup = op_lookup;
	ops->forget = op_forget;
	ops->forget_multi = op_forget_multi;
	ops->getattr = op_getattr;
	ops->setattr = op_setattr;
	ops->readlink = op_readlink;
	ops->mknod = op_mknod;
	ops->mkdir = op_mkdir;
	ops->symlink = op_symlink;
	ops->unlink = op_unlink;
	ops->rmdir = op_rmdir;
	ops->rename = op_rename;
	ops->link = op_link;
	ops->statfs = op_statfs;
	dfuse_xattr_ops(ops);
}
