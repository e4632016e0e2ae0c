/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ops_xattr.c -- daxfs-fuse's extended attribute calls: setxattr,
 * getxattr, listxattr and removexattr, by the node's path (node.c's lock
 * held shared).  A size of 0 asks for the size a value or list needs.
 */
#include <errno.h>
#include <stdlib.h>

#include "fuse_ops.h"

/* setxattr, removexattr: by the node's path. */
static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			const char *value, size_t size, int flags)
{
	char path[PATH_MAX];
	int ret;

	pthread_rwlock_rdlock(&dfuse_names_lock);
	ret = dnode_path(ino, NULL, path) ?:
	      daxfs_setxattr(dfuse_fs, path, name, value, size, flags);
	pthread_rwlock_unlock(&dfuse_names_lock);
	fuse_reply_err(req, -ret);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	char path[PATH_MAX];
	int ret;

	pthread_rwlock_rdlock(&dfuse_names_lock);
	ret = dnode_path(ino, NULL, path) ?:
	      daxfs_removexattr(dfuse_fs, path, name);
	pthread_rwlock_unlock(&dfuse_names_lock);
	fuse_reply_err(req, -ret);
}

/* Reply to getxattr or listxattr: n bytes of buf, or the size (size 0). */
static void reply_sized(fuse_req_t req, ssize_t n, const char *buf,
			size_t size)
{
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

/* getxattr, listxattr: a value or list, or its size (size 0). */
static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			size_t size)
{
	char path[PATH_MAX];
	char *buf = size ? malloc(size) : NULL;
	ssize_t n = size && !buf ? -ENOMEM : 0;

	pthread_rwlock_rdlock(&dfuse_names_lock);
	n = n ?: dnode_path(ino, NULL, path);
	n = n ?: daxfs_getxattr(dfuse_fs, path, name, buf, size);
	pthread_rwlock_unlock(&dfuse_names_lock);
	reply_sized(req, n, buf, size);
	free(buf);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	char path[PATH_MAX];
	char *buf = size ? malloc(size) : NULL;
	ssize_t n = size && !buf ? -ENOMEM : 0;

	pthread_rwlock_rdlock(&dfuse_names_lock);
	n = n ?: dnode_path(ino, NULL, path);
	n = n ?: daxfs_listxattr(dfuse_fs, path, buf, size);
	pthread_rwlock_unlock(&dfuse_names_lock);
	reply_sized(req, n, buf, size);
	free(buf);
}

/* This file's part of the operations table. */
void dfuse_xattr_ops(struct fuse_lowlevel_ops *ops)
{
	ops->setxattr = op_setxattr;
	ops->getxattr = op_getxattr;
	ops->listxattr = op_listxattr;
	ops->removexattr = op_removexattr;
}
