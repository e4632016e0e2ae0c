/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ops_files.c -- daxfs-fuse's operations on open files and directories:
 * open, create, read, write, flush, release, fsync, fallocate, and
 * opendir, readdir, releasedir, fsyncdir.  A daxfs_file handle lives in
 * fi->fh from open to release; an open directory keeps, beside its
 * handle, the entries its last readdir from offset 0 read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fuse_ops.h"

/* The open flags libdaxfs takes; the kernel's others (O_NONBLOCK,
 * O_NOCTTY, O_DIRECTORY...) mean nothing to a regular file here. */
#define DFUSE_OPEN_FLAGS                                                       \
	(O_ACCMODE | O_TRUNC | O_APPEND | O_LARGEFILE | O_NOATIME | O_SYNC |   \
	 O_DSYNC)

/* Open the file of node ino (by its path) with flags into fi. */
static int open_ino(fuse_ino_t ino, int flags, struct fuse_file_info *fi)
{
	daxfs_file *f;
	int ret = dnode_open(ino, flags, &f);

	if (!ret)
		fi->fh = (uint64_t)(uintptr_t)f;
	return ret;
}

/* How the kernel does I/O on the open file: a write-only one without
 * its page cache (writes go from the caller to the media, no copy into
 * pages nobody reads), the others through it; no FLUSH at close. */
static void open_mode(struct fuse_file_info *fi)
{
	fi->direct_io = (fi->flags & O_ACCMODE) == O_WRONLY;
	fi->noflush = 1;
}

/* open: a handle of the node's path with the flags libdaxfs knows. */
static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int ret = open_ino(ino, fi->flags & DFUSE_OPEN_FLAGS, fi);

	open_mode(fi);
	if (ret)
		fuse_reply_err(req, -ret);
	else if (fuse_reply_open(req, fi))
		daxfs_close(dfuse_file(fi)); /* (interrupted) */
}

/* create's file: O_EXCL first, so that only a file made here changes
 * owner. */
static int create_open(fuse_req_t req, const char *path, mode_t mode,
		       struct fuse_file_info *fi)
{
	int flags = fi->flags & DFUSE_OPEN_FLAGS;
	daxfs_file *f;
	int ret;

	ret = daxfs_open(dfuse_fs, path, flags | O_CREAT | O_EXCL, mode, &f);
	if (ret == -EEXIST && !(fi->flags & O_EXCL))
		ret = daxfs_open(dfuse_fs, path, flags, 0, &f);
	else if (ret == 0 && (ret = dfuse_own(req, path)))
		daxfs_close(f);
	if (!ret)
		fi->fh = (uint64_t)(uintptr_t)f;
	open_mode(fi);
	return ret;
}

/* create: make and open name in parent, reply with its entry. */
static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param e;
	char path[PATH_MAX];
	int ret;

	pthread_rwlock_rdlock(&dfuse_names_lock);
	ret = dnode_path(parent, name, path) ?: create_open(req, path, mode, fi);
	pthread_rwlock_unlock(&dfuse_names_lock);
	if (!ret && (ret = dnode_learn(parent, name, path, &e)))
		daxfs_close(dfuse_file(fi));
	if (ret)
		fuse_reply_err(req, -ret);
	else if (fuse_reply_create(req, &e, fi)) {
		dnode_forget(e.ino, 1); /* (interrupted: nobody has it) */
		daxfs_close(dfuse_file(fi));
	}
}

/* read, write, release, fsync, fallocate: calls on the handle. */
static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	char *buf = malloc(size ? size : 1);
	ssize_t n = buf ? daxfs_pread(dfuse_file(fi), buf, size, off) : -ENOMEM;

	(void)ino;
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

/*
 * What the kernel does before a write through its page cache and not
 * before a direct one (file_remove_privs): a caller other than root
 * (without CAP_FSETID, as far as the daemon can tell) clears the
 * set-user-ID bit, the set-group-ID bit of a group-executable file and
 * the file capability.  Done here for every write (after a cached one
 * there is nothing left to clear).
 */
static int kill_privs(fuse_req_t req, fuse_ino_t ino, daxfs_file *f)
{
	char path[PATH_MAX];
	struct stat st;
	mode_t kill;
	int ret;

	if (fuse_req_ctx(req)->uid == 0)
		return 0;
	ret = daxfs_fstat(f, &st);
	kill = S_ISUID | ((st.st_mode & S_IXGRP) ? S_ISGID : 0);
	if (!ret && (st.st_mode & kill))
		ret = daxfs_fchmod(f, st.st_mode & ~kill & 07777);
	pthread_rwlock_rdlock(&dfuse_names_lock);
	if (!ret && !dnode_path(ino, NULL, path))
		ret = daxfs_removexattr(dfuse_fs, path, "security.capability");
	pthread_rwlock_unlock(&dfuse_names_lock);
	return ret == -ENODATA ? 0 : ret;
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	int ret = kill_privs(req, ino, dfuse_file(fi));
	ssize_t n = ret ?: daxfs_pwrite(dfuse_file(fi), buf, size, off);

	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

/* flush (each close(2)): every write was durable when it returned. */
static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)ino;
	fuse_reply_err(req, -daxfs_close(dfuse_file(fi)));
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		     struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	fuse_reply_err(req, -daxfs_fsync(dfuse_file(fi)));
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off,
			 off_t len, struct fuse_file_info *fi)
{
	(void)ino;
	fuse_reply_err(req, -daxfs_fallocate(dfuse_file(fi), mode, off, len));
}

/* This file's part of the operations table. */
void dfuse_files_ops(struct fuse_lowlevel_ops *ops)
{
	ops->open = op_open;
	ops->create = op_create;
	ops->read = op_read;
	ops->write = op_write;
	ops->flush = op_flush;
	ops->release = op_release;
	ops->fsync = op_fsync;
	ops->fallocate = op_fallocate;
	dfuse_dir_ops(ops);
}
