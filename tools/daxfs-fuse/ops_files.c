/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ops_files.c -- daxfs-fuse's operations on open files and directories:
 * open, create, read, write, flush, release, fsync, fallocate, and
 * opendir, readdir, releasedir, fsyncdir; and init, which sets how the
 * kernel talks to it.  A daxfs_file handle lives in fi->fh from open (or
 * opendir) to release.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "fuse_ops.h"

/* The open flags libdaxfs takes; the kernel's others (O_NONBLOCK,
 * O_NOCTTY, O_DIRECTORY...) mean nothing to a regular file here. */
#define DFUSE_OPEN_FLAGS                                                       \
	(O_ACCMODE | O_TRUNC | O_APPEND | O_LARGEFILE | O_NOATIME | O_SYNC |   \
	 O_DSYNC)

/* open: a handle with the flags libdaxfs knows. */
static int op_open(const char *path, struct fuse_file_info *fi)
{
	daxfs_file *f;
	int ret = daxfs_open(dfuse_fs, path, fi->flags & DFUSE_OPEN_FLAGS, 0,
			     &f);

	if (ret)
		return ret;
	fi->fh = (uint64_t)(uintptr_t)f;
	return 0;
}

/* create: O_EXCL first, so that only a file made here changes owner. */
static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	int flags = fi->flags & DFUSE_OPEN_FLAGS;
	daxfs_file *f;
	int ret;

	ret = daxfs_open(dfuse_fs, path, flags | O_CREAT | O_EXCL, mode, &f);
	if (ret == -EEXIST && !(fi->flags & O_EXCL))
		ret = daxfs_open(dfuse_fs, path, flags, 0, &f);
	else if (ret == 0) {
		ret = dfuse_own(path);
		if (ret)
			daxfs_close(f);
	}
	if (ret)
		return ret;
	fi->fh = (uint64_t)(uintptr_t)f;
	return 0;
}

/* read, write, release, fsync, fallocate: calls on the handle. */
static int op_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	(void)path;
	return (int)daxfs_pread(dfuse_file(fi), buf, size, off);
}

static int op_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)path;
	return (int)daxfs_pwrite(dfuse_file(fi), buf, size, off);
}

/* flush (each close(2)): every write was durable when it returned. */
static int op_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	return 0;
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	return daxfs_close(dfuse_file(fi));
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	return daxfs_fsync(dfuse_file(fi));
}

static int op_fallocate(const char *path, int mode, off_t off, off_t len,
			struct fuse_file_info *fi)
{
	(void)path;
	return daxfs_fallocate(dfuse_file(fi), mode, off, len);
}

/* opendir: a read-only handle of the directory (for fsyncdir). */
static int op_opendir(const char *path, struct fuse_file_info *fi)
{
	daxfs_file *f;
	int ret = daxfs_open(dfuse_fs, path, O_RDONLY, 0, &f);

	if (ret)
		return ret;
	fi->fh = (uint64_t)(uintptr_t)f;
	return 0;
}

/* What readdir's callback passes on to the kernel's buffer. */
struct fill_ctx {
	void *buf;
	fuse_fill_dir_t filler;
};

/* One entry into the buffer (its inode number and type). */
static int fill_one(void *arg, const char *name, uint64_t ino, unsigned type)
{
	struct fill_ctx *c = arg;
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_ino = ino;
	st.st_mode = type << 12;
	return c->filler(c->buf, name, &st, 0, 0) ? -ENOBUFS : 0;
}

/* readdir: the whole directory in one call (offsets 0). */
static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler,
		      off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	struct fill_ctx c = { buf, filler };
	int ret;

	(void)off;
	(void)fi;
	(void)flags;
	if (!path)
		return 0; /* removed while open: empty */
	ret = daxfs_readdir(dfuse_fs, path, fill_one, &c);
	return ret == -ENOBUFS ? 0 : ret;
}

/* releasedir, fsyncdir: calls on the directory's handle. */
static int op_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	return daxfs_close(dfuse_file(fi));
}

static int op_fsyncdir(const char *path, int datasync,
		       struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	return daxfs_fsync(dfuse_file(fi));
}

/*
 * init: inode numbers are libdaxfs's.  Attributes are not cached
 * (attr_timeout 0): libfuse's path interface gives each name its own
 * kernel inode, so a change through one hard link would leave the
 * other's cached size, times or link count stale.  An open file whose
 * last name is removed is renamed to a hidden name until its last close
 * (libfuse's default: the kernel's fstat of it comes without the handle,
 * so a removed name would fail it with ESTALE).  Every call gets its path.
 * The kernel clears set-user-ID and set-group-ID bits on writes and
 * truncates itself (no HANDLE_KILLPRIV: libdaxfs's pwrite keeps them).
 */
static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	conn->want &= ~FUSE_CAP_HANDLE_KILLPRIV;
	cfg->use_ino = 1;
	cfg->readdir_ino = 1;
	cfg->attr_timeout = 0;
	cfg->nullpath_ok = 0;
	return NULL;
}

/* This file's part of the operations table. */
void dfuse_files_ops(struct fuse_operations *ops)
{
	ops->open = op_open;
	ops->create = op_create;
	ops->read = op_read;
	ops->write = op_write;
	ops->flush = op_flush;
	ops->release = op_release;
	ops->fsync = op_fsync;
	ops->fallocate = op_fallocate;
	ops->opendir = op_opendir;
	ops->readdir = op_readdir;
	ops->releasedir = op_releasedir;
	ops->fsyncdir = op_fsyncdir;
	ops->init = op_init;
}
