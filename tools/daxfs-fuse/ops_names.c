/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ops_names.c -- daxfs-fuse's operations on names and attributes:
 * getattr, readlink, mknod, mkdir, unlink, rmdir, symlink, rename, link,
 * chmod, chown, truncate, utimens, statfs, the xattr calls and access.
 * An operation the kernel sends with an open file (fi) uses its handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fuse_ops.h"

daxfs *dfuse_fs;

int dfuse_own(const char *path)
{
	struct fuse_context *c = fuse_get_context();

	if (c->uid == getuid() && c->gid == getgid())
		return 0;
	return daxfs_chown(dfuse_fs, path, c->uid, c->gid);
}

/* getattr: daxfs_stat does not follow a last symbolic link (lstat). */
static int op_getattr(const char *path, struct stat *st,
		      struct fuse_file_info *fi)
{
	if (fi)
		return daxfs_fstat(dfuse_file(fi), st);
	return daxfs_stat(dfuse_fs, path, st);
}

/* readlink: the target, NUL-terminated (cut to size - 1 bytes). */
static int op_readlink(const char *path, char *buf, size_t size)
{
	ssize_t n = daxfs_readlink(dfuse_fs, path, buf, size - 1);

	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return 0;
}

/* mknod, mkdir and symlink: make, then give to the caller. */
static int op_mknod(const char *path, mode_t mode, dev_t rdev)
{
	return daxfs_mknod(dfuse_fs, path, mode, rdev) ?: dfuse_own(path);
}

static int op_mkdir(const char *path, mode_t mode)
{
	return daxfs_mkdir(dfuse_fs, path, mode) ?: dfuse_own(path);
}

static int op_symlink(const char *target, const char *path)
{
	return daxfs_symlink(dfuse_fs, target, path) ?: dfuse_own(path);
}

/* unlink, rmdir, link: the libdaxfs calls. */
static int op_unlink(const char *path)
{
	return daxfs_unlink(dfuse_fs, path);
}

static int op_rmdir(const char *path)
{
	return daxfs_rmdir(dfuse_fs, path);
}

/* rename: RENAME_NOREPLACE and RENAME_EXCHANGE are not in the API
 * (EINVAL, as a file system without them answers renameat2). */
static int op_rename(const char *from, const char *to, unsigned flags)
{
	if (flags)
		return -EINVAL;
	return daxfs_rename(dfuse_fs, from, to);
}

static int op_link(const char *from, const char *to)
{
	return daxfs_link(dfuse_fs, from, to);
}

/* chmod, chown, utimens: on the handle when the kernel gives one. */
static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	if (fi)
		return daxfs_fchmod(dfuse_file(fi), mode);
	return daxfs_chmod(dfuse_fs, path, mode);
}

static int op_chown(const char *path, uid_t uid, gid_t gid,
		    struct fuse_file_info *fi)
{
	if (fi)
		return daxfs_fchown(dfuse_file(fi), uid, gid);
	return daxfs_chown(dfuse_fs, path, uid, gid);
}

/* truncate: through the open handle, or a handle of its own. */
static int op_truncate(const char *path, off_t size,
		       struct fuse_file_info *fi)
{
	daxfs_file *f;
	int ret;

	if (fi)
		return daxfs_ftruncate(dfuse_file(fi), size);
	ret = daxfs_open(dfuse_fs, path, O_WRONLY, 0, &f);
	if (ret)
		return ret;
	ret = daxfs_ftruncate(f, size);
	daxfs_close(f);
	return ret;
}

static int op_utimens(const char *path, const struct timespec tv[2],
		      struct fuse_file_info *fi)
{
	if (fi)
		return daxfs_futimens(dfuse_file(fi), tv);
	return daxfs_utimens(dfuse_fs, path, tv);
}

/* statfs and the xattr calls: the libdaxfs calls. */
static int op_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	return daxfs_statfs(dfuse_fs, st);
}

static int op_setxattr(const char *path, const char *name, const char *value,
		       size_t size, int flags)
{
	return daxfs_setxattr(dfuse_fs, path, name, value, size, flags);
}

static int op_getxattr(const char *path, const char *name, char *value,
		       size_t size)
{
	return (int)daxfs_getxattr(dfuse_fs, path, name, value, size);
}

static int op_listxattr(const char *path, char *list, size_t size)
{
	return (int)daxfs_listxattr(dfuse_fs, path, list, size);
}

static int op_removexattr(const char *path, const char *name)
{
	return daxfs_removexattr(dfuse_fs, path, name);
}

/* Is the calling process in group gid (its supplementary groups too)? */
static int caller_in_group(const struct fuse_context *c, gid_t gid)
{
	gid_t groups[64];
	int i, n;

	if (c->gid == gid)
		return 1;
	n = fuse_getgroups(64, groups);
	for (i = 0; i < n && i < 64; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

/* access: the mode bits against the calling process's ids (the kernel
 * asks only without default_permissions). */
static int op_access(const char *path, int mask)
{
	struct fuse_context *c = fuse_get_context();
	struct stat st;
	unsigned bits;
	int ret = daxfs_stat(dfuse_fs, path, &st);

	if (ret || mask == F_OK)
		return ret;
	if (c->uid == 0)
		return !(mask & X_OK) || S_ISDIR(st.st_mode) ||
			       (st.st_mode & 0111) ? 0 : -EACCES;
	bits = st.st_mode;
	if (st.st_uid == c->uid)
		bits >>= 6;
	else if (caller_in_group(c, st.st_gid))
		bits >>= 3;
	return ((bits & (unsigned)mask) == (unsigned)mask) ? 0 : -EACCES;
}

/* This file's part of the operations table. */
void dfuse_names_ops(struct fuse_operations *ops)
{
	ops->getattr = op_getattr;
	ops->readlink = op_readlink;
	ops->mknod = op_mknod;
	ops->mkdir = op_mkdir;
	ops->unlink = op_unlink;
	ops->rmdir = op_rmdir;
	ops->symlink = op_symlink;
	ops->rename = op_rename;
	ops->link = op_link;
	ops->chmod = op_chmod;
	ops->chown = op_chown;
	ops->truncate = op_truncate;
	ops->utimens = op_utimens;
	ops->statfs = op_statfs;
	ops->setxattr = op_setxattr;
	ops->getxattr = op_getxattr;
	ops->listxattr = op_listxattr;
	ops->removexattr = op_removexattr;
	ops->access = op_access;
}
