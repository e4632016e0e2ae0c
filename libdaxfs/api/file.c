/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * file.c -- the public calls on open files: daxfs_open, daxfs_close,
 * daxfs_pread, daxfs_pwrite(2), daxfs_ftruncate, daxfs_fallocate,
 * daxfs_fsync, daxfs_fstat.
 * A handle keeps the path it was opened with, so that every message of a
 * call on it names the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <string.h>

#include "api/vfs.h"
#include "core/err.h"
#include "core/mem.h"

#define OPEN_FLAGS                                                             \
	(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_CLOEXEC |        \
	 O_LARGEFILE | O_NOATIME | O_SYNC | O_DSYNC | O_DIRECT | O_NOFOLLOW |   \
	 O_PATH)

/* What O_PATH may come with (the rest would ask for I/O). */
#define PATH_FLAGS (O_PATH | O_NOFOLLOW | O_CLOEXEC)

/* daxfs_open's arguments, as far as no file needs to be found. */
static int open_check(daxfs *fs, const char *path, int flags, daxfs_file **f)
{
	int acc = flags & O_ACCMODE;

	if (!fs || !path || !f)
		return err_set(-EINVAL, "fs, path and f must be given");
	if ((flags & ~OPEN_FLAGS) || acc == O_ACCMODE)
		return err_set(-EINVAL, "unsupported flags 0x%x", flags);
	if ((flags & O_PATH) && (flags & ~PATH_FLAGS))
		return err_set(-EINVAL, "O_PATH takes no flag but O_NOFOLLOW "
			       "and O_CLOEXEC (flags 0x%x)", flags);
	if (fs->rdonly && (acc != O_RDONLY || (flags & O_TRUNC)))
		return err_set(-EROFS, "cannot open \"%.200s\" for writing: the "
			       "file system is mounted read-only", path);
	return 0;
}

/* A handle for path (its memory taken before the file is, so that a
 * failure after a create cannot happen). */
static daxfs_file *file_new(daxfs *fs, const char *path, int flags)
{
	size_t len = strnlen(path, PATH_MAX);
	daxfs_file *f = mem_alloc(sizeof(*f) + len + 1);

	if (!f)
		return NULL;
	f->fs = fs;
	f->inode = NULL;
	f->flags = flags;
	f->readable = !(flags & O_PATH) && (flags & O_ACCMODE) != O_WRONLY;
	f->writable = !(flags & O_PATH) && (flags & O_ACCMODE) != O_RDONLY;
	memcpy(f->path, path, len);
	f->path[len] = '\0';
	return f;
}

DAXFS_API int daxfs_open(daxfs *fs, const char *path, int flags, mode_t mode,
			 daxfs_file **out)
{
	daxfs_file *f;
	int ret;

	err_begin("daxfs_open", NULL);
	ret = open_check(fs, path, flags, out);
	if (ret)
		return err_end(ret);
	f = file_new(fs, path, flags);
	if (!f)
		return err_end(err_set(-ENOMEM, "out of memory opening "
				       "\"%.200s\"", path));
	ret = fs->ops->open(fs, path, flags, mode, &f->inode);
	if (ret == -ENOSPC && vfs_reclaimed(fs))
		ret = fs->ops->open(fs, path, flags, mode, &f->inode);
	if (ret) {
		mem_free(f);
		return err_end(ret);
	}
	*out = f;
	return err_end(0);
}

DAXFS_API int daxfs_close(daxfs_file *f)
{
	err_begin("daxfs_close", NULL);
	if (!f)
		return err_end(err_set(-EINVAL, "f is NULL"));
	f->fs->ops->release(f->fs, f->inode);
	mem_free(f);
	return err_end(0);
}

/* The arguments of pread and pwrite; write tells which. */
static int io_check(const daxfs_file *f, const void *buf, size_t len,
		    off_t off, bool write)
{
	if (!f || (!buf && len))
		return err_set(-EINVAL, "f and buf must be given");
	if (write ? !f->writable : !f->readable)
		return err_set(-EBADF, "the file is not open for %s",
			       write ? "writing" : "reading");
	if (off < 0)
		return err_set(-EINVAL, "negative offset %lld", (long long)off);
	if (len > SSIZE_MAX)
		return err_set(-EINVAL, "length %zu is larger than SSIZE_MAX",
			       len);
	return 0;
}

DAXFS_API ssize_t daxfs_pread(daxfs_file *f, void *buf, size_t len, off_t off)
{
	err_begin("daxfs_pread", f ? f->path : NULL);
	return err_end(io_check(f, buf, len, off, false) ?:
		       f->fs->ops->read(f, buf, len, off));
}

DAXFS_API ssize_t daxfs_pwrite(daxfs_file *f, const void *buf, size_t len,
			       off_t off)
{
	ssize_t ret;

	err_begin("daxfs_pwrite", f ? f->path : NULL);
	ret = io_check(f, buf, len, off, true) ?:
	      f->fs->ops->write(f, buf, len, off, 0);
	if (ret == -ENOSPC && vfs_reclaimed(f->fs))
		ret = f->fs->ops->write(f, buf, len, off, 0);
	return err_end(ret);
}

DAXFS_API ssize_t daxfs_pwrite2(daxfs_file *f, const void *buf, size_t len,
				off_t off, unsigned flags)
{
	ssize_t ret;

	err_begin("daxfs_pwrite2", f ? f->path : NULL);
	ret = io_check(f, buf, len, off, true);
	if (!ret && (flags & ~(DAXFS_WRITE_ATOMIC | DAXFS_WRITE_LAZY)))
		ret = err_set(-EINVAL, "unknown flags 0x%x", flags);
	else if (!ret && flags == (DAXFS_WRITE_ATOMIC | DAXFS_WRITE_LAZY))
		ret = err_set(-EINVAL, "DAXFS_WRITE_ATOMIC and "
			      "DAXFS_WRITE_LAZY together (an atomic write is "
			      "durable when it returns)");
	ret = ret ?: f->fs->ops->write(f, buf, len, off, flags);
	if (ret == -ENOSPC && vfs_reclaimed(f->fs))
		ret = f->fs->ops->write(f, buf, len, off, flags);
	return err_end(ret);
}

DAXFS_API int daxfs_ftruncate(daxfs_file *f, off_t size)
{
	int ret = 0;

	err_begin("daxfs_ftruncate", f ? f->path : NULL);
	if (!f)
		ret = err_set(-EINVAL, "f is NULL");
	else if (!f->writable)
		ret = err_set(-EBADF, "the file is not open for writing");
	else if (size < 0)
		ret = err_set(-EINVAL, "negative size %lld", (long long)size);
	return err_end(ret ?: f->fs->ops->truncate(f, size));
}

/* The mode flags of fallocate(2) that Linux knows. */
#define FALLOC_KNOWN                                                           \
	(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_NO_HIDE_STALE |  \
	 FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE |                      \
	 FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE)

/* daxfs_fallocate's mode as Linux's VFS checks it (vfs_fallocate). */
static int falloc_mode_check(int mode)
{
	int col = FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE;

	if (mode & ~FALLOC_KNOWN)
		return err_set(-EOPNOTSUPP, "unknown mode flags 0x%x",
			       mode & ~FALLOC_KNOWN);
	if ((mode & FALLOC_FL_PUNCH_HOLE) && (mode & FALLOC_FL_ZERO_RANGE))
		return err_set(-EOPNOTSUPP, "FALLOC_FL_PUNCH_HOLE and "
			       "FALLOC_FL_ZERO_RANGE together");
	if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
		return err_set(-EOPNOTSUPP, "FALLOC_FL_PUNCH_HOLE without "
			       "FALLOC_FL_KEEP_SIZE (a punch never changes "
			       "the size)");
	if ((mode & col) && mode != FALLOC_FL_COLLAPSE_RANGE &&
	    mode != FALLOC_FL_INSERT_RANGE)
		return err_set(-EINVAL, "FALLOC_FL_COLLAPSE_RANGE and "
			       "FALLOC_FL_INSERT_RANGE take no other flag "
			       "(mode 0x%x)", mode);
	if (mode & FALLOC_FL_NO_HIDE_STALE)
		return err_set(-EOPNOTSUPP, "FALLOC_FL_NO_HIDE_STALE is not "
			       "supported");
	return 0;
}

/* daxfs_fallocate's arguments, in the order of Linux's checks. */
static int falloc_check(const daxfs_file *f, int mode, off_t off, off_t len)
{
	int ret;

	if (!f)
		return err_set(-EINVAL, "f is NULL");
	if (off < 0 || len <= 0)
		return err_set(-EINVAL, "offset %lld, length %lld: the offset "
			       "must not be negative and the length must be "
			       "positive", (long long)off, (long long)len);
	ret = falloc_mode_check(mode);
	if (!ret && !f->writable)
		ret = err_set(-EBADF, "the file is not open for writing");
	else if (!ret && off > INT64_MAX - len)
		ret = err_set(-EFBIG, "offset %lld + length %lld overflows",
			      (long long)off, (long long)len);
	return ret;
}

DAXFS_API int daxfs_fallocate(daxfs_file *f, int mode, off_t off, off_t len)
{
	int ret;

	err_begin("daxfs_fallocate", f ? f->path : NULL);
	ret = falloc_check(f, mode, off, len) ?:
	      f->fs->ops->fallocate(f, mode, (uint64_t)off, (uint64_t)len);
	if (ret == -ENOSPC && vfs_reclaimed(f->fs))
		ret = f->fs->ops->fallocate(f, mode, (uint64_t)off,
					    (uint64_t)len);
	return err_end(ret);
}

DAXFS_API int daxfs_fsync(daxfs_file *f)
{
	err_begin("daxfs_fsync", f ? f->path : NULL);
	if (!f)
		return err_end(err_set(-EINVAL, "f is NULL"));
	return err_end(f->fs->ops->fsync(f));
}

DAXFS_API int daxfs_fstat(daxfs_file *f, struct stat *st)
{
	err_begin("daxfs_fstat", f ? f->path : NULL);
	if (!f || !st)
		return err_end(err_set(-EINVAL, "f and st must be given"));
	return err_end(f->fs->ops->getattr(f, st));
}
