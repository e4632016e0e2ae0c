/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * file.c -- open files: open, close, pread, pwrite, ftruncate, fsync,
 * fstat.
 *
 * Reads and writes are the iomap apply loop of dax/iomap.c over the ext2
 * block map.  A write holds the inode's i_rwsem exclusively (it may
 * allocate and moves i_size), a read holds it shared.  The data of a
 * write is flushed and drained before i_size and the times are persisted,
 * so a crash never exposes a size that covers unwritten bytes.
 *
 * Lock order for I/O (ext2.h has the whole tree):
 *   i_rwsem (I/O lock)
 *     dax_sem (truncate only, in ext2_setsize)
 *       bmap_lock (inside iomap_begin, released before the copy)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

#include "daxfs.h"
#include "core/mem.h"
#include "dax/mapping.h"
#include "ext2/ext2.h"

#define DAXFS_OPEN_FLAGS                                                       \
	(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_CLOEXEC |        \
	 O_LARGEFILE | O_NOATIME | O_SYNC | O_DSYNC | O_DIRECT | O_NOFOLLOW)

/* Look path up, creating it with O_CREAT; the inode referenced. */
static int open_lookup(struct ext2_sb_info *fs, const char *path, int flags,
		       mode_t mode, struct ext2_inode_info **out)
{
	struct ext2_inode_info *dir;
	struct ext2_dirent_info de;
	const char *name;
	size_t len;
	bool slash;
	int ret;

	if (!(flags & O_CREAT))
		return ext2_path_walk(fs, path, out);
	ret = ext2_path_parent(fs, path, &dir, &name, &len, &slash);
	if (ret)
		return ret;
	if (len == 0 || slash || (len <= 2 && !strncmp(name, "..", len))) {
		ext2_iput(dir);
		return err_set(-EISDIR, "\"%.200s\" is a directory", path);
	}
	down_write(&dir->i_rwsem);
	ret = ext2_dir_lookup(dir, name, len, &de);
	if (ret == 0 && (flags & O_EXCL))
		ret = err_set(-EEXIST, "\"%.200s\" exists already", path);
	else if (ret == 0)
		ret = ext2_iget(fs, de.ino, out);
	else if (ret == -ENOENT && fs->vfs.rdonly)
		ret = err_set(-EROFS, "cannot create \"%.200s\": the file "
				"system is mounted read-only", path);
	else if (ret == -ENOENT)
		ret = ext2_create_locked(dir, name, len,
					  S_IFREG | (mode & 07777), out);
	up_write(&dir->i_rwsem);
	ext2_iput(dir);
	return ret;
}

DAXFS_API int daxfs_open(daxfs *fs, const char *path, int flags, mode_t mode,
			 daxfs_file **out)
{
	struct ext2_inode_info *inode;
	struct daxfs_file *f;
	int acc = flags & O_ACCMODE;
	uint16_t imode;
	int ret;

	if (!fs || !out)
		return err_set(-EINVAL, "open: fs and f must be given");
	if ((flags & ~DAXFS_OPEN_FLAGS) || acc == O_ACCMODE)
		return err_set(-EINVAL, "open: unsupported flags 0x%x", flags);
	if (fs->vfs.rdonly && (acc != O_RDONLY || (flags & O_TRUNC)))
		return err_set(-EROFS, "open \"%.200s\" for writing: the file "
				 "system is mounted read-only", path ? path : "");
	ret = open_lookup(fs, path, flags, mode, &inode);
	if (ret)
		return ret;
	imode = ext2_i_mode(inode);
	if (S_ISDIR(imode) && (acc != O_RDONLY || (flags & O_TRUNC))) {
		ret = err_set(-EISDIR, "\"%.200s\" is a directory", path);
		goto fail;
	}
	if (S_ISLNK(imode)) {
		ret = err_set(-ELOOP, "\"%.200s\" is a symbolic link (links "
				"are not followed)", path);
		goto fail;
	}
	if (!S_ISDIR(imode) && !S_ISREG(imode)) {
		ret = err_set(-ENXIO, "\"%.200s\" is a device, fifo or socket",
				path);
		goto fail;
	}
	if ((flags & O_TRUNC) && acc != O_RDONLY && ext2_i_size(inode)) {
		down_write(&inode->i_rwsem);
		ret = ext2_setsize(inode, 0);
		up_write(&inode->i_rwsem);
		if (ret)
			goto fail;
	}
	f = mem_zalloc(sizeof(*f));
	if (!f) {
		ret = err_set(-ENOMEM, "out of memory opening \"%.200s\"", path);
		goto fail;
	}
	f->fs = fs;
	f->inode = inode;
	f->flags = flags;
	f->readable = acc != O_WRONLY;
	f->writable = acc != O_RDONLY;
	atomic_fetch_add(&fs->open_files, 1);
	*out = f;
	return 0;
fail:
	ext2_iput(inode);
	return ret;
}

DAXFS_API int daxfs_close(daxfs_file *f)
{
	struct ext2_sb_info *fs;

	if (!f)
		return err_set(-EINVAL, "close: f is NULL");
	fs = f->fs;
	ext2_iput(f->inode); /* frees an unlinked file */
	mem_free(f);
	atomic_fetch_sub(&fs->open_files, 1);
	return 0;
}

DAXFS_API ssize_t daxfs_pread(daxfs_file *f, void *buf, size_t len, off_t off)
{
	struct ext2_inode_info *inode;
	uint64_t size;
	ssize_t ret;

	if (!f || (!buf && len))
		return err_set(-EINVAL, "pread: f and buf must be given");
	if (!f->readable)
		return err_set(-EBADF, "pread: the file is not open for "
				 "reading");
	if (off < 0)
		return err_set(-EINVAL, "pread: negative offset %lld",
				 (long long)off);
	inode = f->inode;
	if (S_ISDIR(ext2_i_mode(inode)))
		return err_set(-EISDIR, "pread: the file is a directory");
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	ext2_bmap_prefetch(inode, off);
	down_read(&inode->i_rwsem);
	size = ext2_i_size(inode);
	if ((uint64_t)off >= size || len == 0) {
		up_read(&inode->i_rwsem);
		return 0;
	}
	if (len > size - off)
		len = size - off;
	ret = dax_iomap_rw(f->fs->rgn, inode, &inode->i_mapping,
			     &ext2_iomap_ops, off,
			     len, buf, false);
	up_read(&inode->i_rwsem);
	return ret;
}

DAXFS_API ssize_t daxfs_pwrite(daxfs_file *f, const void *buf, size_t len,
			       off_t off)
{
	struct ext2_inode_info *inode;
	uint64_t max, pos;
	ssize_t ret;

	if (!f || (!buf && len))
		return err_set(-EINVAL, "pwrite: f and buf must be given");
	if (!f->writable)
		return err_set(-EBADF, "pwrite: the file is not open for "
				 "writing");
	if (off < 0)
		return err_set(-EINVAL, "pwrite: negative offset %lld",
				 (long long)off);
	if (len == 0)
		return 0;
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	inode = f->inode;
	max = ext2_max_file_size(f->fs);
	down_write(&inode->i_rwsem);
	pos = (f->flags & O_APPEND) ? ext2_i_size(inode) : (uint64_t)off;
	if (pos >= max) {
		up_write(&inode->i_rwsem);
		return err_set(-EFBIG, "pwrite: offset %llu is beyond the "
				 "largest ext2 file", (unsigned long long)pos);
	}
	if (len > max - pos)
		len = max - pos;
	ret = dax_iomap_rw(f->fs->rgn, inode, &inode->i_mapping,
			     &ext2_iomap_ops, pos,
			     len, (void *)buf, true);
	if (ret > 0) {
		uint64_t old = ext2_i_size(inode);

		/* The data is durable (drained): now the size may cover it. */
		if (pos + ret > old) {
			ext2_inode_set_size(inode, pos + ret);
			ext2_size_grew(inode, old, pos + ret);
		}
		ext2_inode_touch(inode, true, true);
	}
	up_write(&inode->i_rwsem);
	return ret;
}

DAXFS_API int daxfs_ftruncate(daxfs_file *f, off_t size)
{
	struct ext2_inode_info *inode;
	int ret;

	if (!f)
		return err_set(-EINVAL, "ftruncate: f is NULL");
	if (!f->writable)
		return err_set(-EBADF, "ftruncate: the file is not open for "
				 "writing");
	if (size < 0)
		return err_set(-EINVAL, "ftruncate: negative size %lld",
				 (long long)size);
	inode = f->inode;
	if (!S_ISREG(ext2_i_mode(inode)))
		return err_set(-EISDIR, "ftruncate: not a regular file");
	down_write(&inode->i_rwsem);
	ret = ext2_setsize(inode, size);
	up_write(&inode->i_rwsem);
	return ret;
}

DAXFS_API int daxfs_fsync(daxfs_file *f)
{
	if (!f)
		return err_set(-EINVAL, "fsync: f is NULL");
	/* Every pwrite was persisted before it returned; stores through
	 * views are flushed here (nothing to do when none is dirty). */
	dax_writeback(&f->inode->i_mapping, f->fs->rgn);
	region_drain(f->fs->rgn);
	return 0;
}

DAXFS_API int daxfs_fstat(daxfs_file *f, struct stat *st)
{
	if (!f || !st)
		return err_set(-EINVAL, "fstat: f and st must be given");
	ext2_inode_stat(f->inode, st);
	return 0;
}
