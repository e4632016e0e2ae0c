/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * file.c -- open files: open, close, pread, pwrite, ftruncate, fsync,
 * fstat.
 *
 * Reads and writes are the iomap apply loop of dax/iomap.c over the ext2
 * block map; an overwrite of blocks the extent cache maps, and an append
 * into blocks taken ahead, copy straight into them (write_over,
 * prealloc.c), as the loop would.  A write holds the inode's i_rwsem
 * exclusively (it may allocate and moves i_size), a read holds it
 * shared.  The data of a
 * write is flushed and drained before i_size and the times are persisted,
 * so a crash never exposes a size that covers unwritten bytes.
 *
 * Locks: the order is the block at the top of ext2.h.  Here: pwrite,
 * ftruncate and O_TRUNC hold i_rwsem exclusively, pread shared; only
 * truncate (ext2_setsize) goes on to dax_sem.  The copy of pread/pwrite
 * runs with i_rwsem alone held and may fault on a view.  fsync takes no
 * inode lock: dax_writeback works under entry locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

#include "daxfs.h"
#include "core/mem.h"
#include "dax/mapping.h"
#include "ext2/ext2.h"

/* Look path up, creating it with O_CREAT; the inode referenced. */
static int open_lookup(struct ext2_sb_info *fs, const char *path, int flags,
		       mode_t mode, struct ext2_inode_info **out)
{
	struct ext2_dirent_info de;
	struct ext2_last l;
	int ret;

	if (!(flags & O_CREAT))
		return ext2_path_walk(fs, path, out);
	ret = ext2_path_parent(fs, path, &l);
	if (ret)
		return ret;
	if (l.len == 0 || l.slash || ext2_is_dot(l.name, l.len) ||
	    ext2_is_dotdot(l.name, l.len)) {
		ext2_iput(l.dir);
		if (l.slash && l.len)
			return err_set(-EISDIR, "open \"%.200s\" with O_CREAT: "
					 "a name ending in '/' can only be a "
					 "directory, and open creates files",
					 path);
		return err_set(-EISDIR, "\"%.200s\" is a directory", path);
	}
	down_write(&l.dir->i_rwsem);
	ret = ext2_dir_lookup(l.dir, l.name, l.len, &de);
	if (ret == 0 && (flags & O_EXCL))
		ret = err_set(-EEXIST, "\"%.200s\" exists already", path);
	else if (ret == 0)
		ret = ext2_iget(fs, de.ino, out);
	else if (ret == -ENOENT && fs->vfs.rdonly)
		ret = err_set(-EROFS, "cannot create \"%.200s\": the file "
				"system is mounted read-only", path);
	else if (ret == -ENOENT)
		ret = ext2_create_locked(l.dir, l.name, l.len,
					  S_IFREG | (mode & 07777), out);
	up_write(&l.dir->i_rwsem);
	ext2_iput(l.dir);
	return ret;
}

/* Check that an opened inode can be used with flags, and truncate it
 * for O_TRUNC; the inode stays referenced either way. */
static int open_prepare(struct ext2_inode_info *inode, const char *path,
			int flags)
{
	int acc = flags & O_ACCMODE;
	uint16_t imode = ext2_i_mode(inode);
	int ret;

	if (flags & O_PATH)
		return 0; /* any type: a handle for its attributes */
	/* (O_CREAT of an existing directory: EISDIR, as Linux says) */
	if (S_ISDIR(imode) &&
	    (acc != O_RDONLY || (flags & (O_TRUNC | O_CREAT))))
		return err_set(-EISDIR, "\"%.200s\" is a directory", path);
	if (S_ISLNK(imode))
		return err_set(-ELOOP, "\"%.200s\" is a symbolic link (links "
			       "are not followed)", path);
	if (!S_ISDIR(imode) && !S_ISREG(imode))
		return err_set(-ENXIO, "\"%.200s\" is a device, fifo or socket",
			       path);
	if (!(flags & O_TRUNC) || acc == O_RDONLY || !ext2_i_size(inode))
		return 0;
	down_write(&inode->i_rwsem);
	ret = ext2_setsize(inode, 0);
	up_write(&inode->i_rwsem);
	return ret;
}

/* The open operation: find (or create) path and reference its inode. */
int ext2_open(struct daxfs *vfs, const char *path, int flags, mode_t mode,
	      struct vfs_inode **out)
{
	struct ext2_sb_info *fs = EXT2_SB(vfs);
	struct ext2_inode_info *inode;
	int ret;

	ret = open_lookup(fs, path, flags, mode, &inode);
	if (ret)
		return ret;
	ret = open_prepare(inode, path, flags);
	if (ret) {
		ext2_iput(inode);
		return ret;
	}
	atomic_fetch_add(&fs->open_files, 1);
	*out = EXT2_VFS_I(inode);
	return 0;
}

/* The last close of a handle: give back blocks taken ahead of appends
 * (prealloc.c) and drop the reference open took. */
void ext2_release(struct daxfs *vfs, struct vfs_inode *inode)
{
	struct ext2_sb_info *fs = EXT2_SB(vfs);
	struct ext2_inode_info *in = EXT2_I(inode);

	/* (A racy read: only this file's writers set it, and a writer that
	 * still holds a handle may take blocks ahead again anyway.) */
	if (__atomic_load_n(&in->prealloc, __ATOMIC_RELAXED)) {
		down_write(&in->i_rwsem);
		ext2_prealloc_trim(in);
		up_write(&in->i_rwsem);
	}
	ext2_iput(in); /* frees an unlinked file */
	atomic_fetch_sub(&fs->open_files, 1);
}

/* pread: copy from the file through the iomap loop, i_rwsem shared. */
ssize_t ext2_file_read(struct daxfs_file *f, void *buf, size_t len,
		       uint64_t off)
{
	struct ext2_inode_info *inode = EXT2_I(f->inode);
	uint64_t size;
	ssize_t ret;

	if (S_ISDIR(ext2_i_mode(inode)))
		return err_set(-EISDIR, "the file is a directory");
	ext2_bmap_prefetch(inode, off);
	down_read(&inode->i_rwsem);
	size = ext2_i_size(inode);
	if (off >= size || len == 0) {
		up_read(&inode->i_rwsem);
		return 0;
	}
	if (len > size - off)
		len = size - off;
	ret = dax_iomap_rw(EXT2_SB(f->fs)->rgn, inode, &inode->i_mapping,
			   &ext2_iomap_ops, off, len, buf, 0);
	up_read(&inode->i_rwsem);
	return ret;
}

/* The copy of a pwrite that grows the file, through the iomap loop,
 * inside the caller's operation; the size then covers what was written.
 * The copy's fence is the operation's commit (one fence for the data and
 * the metadata), also with DAXFS_WRITE_LAZY: the size must not cover
 * bytes that are not durable. */
static ssize_t write_copy(struct ext2_inode_info *inode, const void *buf,
			  size_t len, uint64_t pos)
{
	struct ext2_sb_info *fs = inode->fs;
	unsigned how = DAX_RW_WRITE;
	ssize_t ret;

	if (ext2_jfence_later())
		how |= DAX_RW_NODRAIN;
	ext2_jlog_tail(inode, ext2_i_size(inode), pos + len);
	ret = ext2_zero_past_eof(inode, ext2_i_size(inode), pos);
	if (!ret)
		ret = dax_iomap_rw(fs->rgn, inode, &inode->i_mapping,
				   &ext2_iomap_ops, pos, len, (void *)buf, how);
	if (ret > 0 && pos + ret > ext2_i_size(inode))
		ext2_inode_set_size(inode, pos + ret);
	return ret;
}

/*
 * An overwrite within EOF of blocks the extent cache maps, the common
 * write of a database: the copy and the times, no operation (the block
 * map does not change).  False, with nothing written, sends the caller
 * the long way (write_logged): holes, bad blocks, a copy that faulted.
 */
static bool write_over(struct ext2_inode_info *inode, const void *buf,
		       size_t len, uint64_t pos, unsigned flags)
{
	uint64_t addr;

	if ((flags & DAXFS_WRITE_ATOMIC) || pos + len > ext2_i_size(inode) ||
	    ext2_has_bad(inode->fs) ||
	    !ext2_iomap_direct(inode, pos, len, &addr) ||
	    dax_copy_to_pmem(inode->fs->rgn, inode->fs->base + addr, buf, len))
		return false;
	ext2_inode_touch(inode, true, true); /* while the copy drains */
	if (!(flags & DAXFS_WRITE_LAZY))
		region_drain(inode->fs->rgn);
	return true;
}

/*
 * A pwrite at pos as one atomic operation (journal.h) with the blocks it
 * takes past EOF and the size that covers them: a crash leaves the file
 * as it was, or grown by the whole write (a long write commits in steps,
 * each of which grows the size: ext2_iomap_end).  The data is durable
 * (drained) before the size covers it.  With DAXFS_WRITE_ATOMIC the
 * bytes themselves are all-or-nothing too (cow.c).  A write that stopped
 * short past EOF puts the file on the orphan chain in the same
 * operation, for ext2_write_failed; *orphan says so.
 */
static ssize_t write_logged(struct ext2_inode_info *inode, const void *buf,
			    size_t len, uint64_t pos, unsigned flags,
			    bool *orphan)
{
	struct ext2_jh h;
	ssize_t ret;

	/* Within EOF a plain write changes no metadata of its own (a hole
	 * it fills is an operation of its own, ext2_bmap): no operation. */
	*orphan = false;
	if (!(flags & DAXFS_WRITE_ATOMIC) && inode->prealloc) {
		ret = ext2_append_prealloc(inode, buf, len, pos);
		if (ret)
			return ret;
	}
	if (!(flags & DAXFS_WRITE_ATOMIC) && pos + len <= ext2_i_size(inode))
		return dax_iomap_rw(inode->fs->rgn, inode, &inode->i_mapping,
				    &ext2_iomap_ops, pos, len, (void *)buf,
				    DAX_RW_WRITE | ((flags & DAXFS_WRITE_LAZY) ?
						    DAX_RW_NODRAIN : 0));
	ext2_jbegin(inode->fs, &h);
	if (flags & DAXFS_WRITE_ATOMIC)
		ret = ext2_write_cow(inode, buf, len, pos);
	else
		ret = write_copy(inode, buf, len, pos);
	*orphan = ret < (ssize_t)len && pos + len > ext2_i_size(inode) &&
		  ext2_orphan_add(inode);
	ext2_jcommit(&h);
	return ret;
}

/* pwrite: copy into the file (allocating) and move i_size and the times
 * (write_logged); i_rwsem exclusive. */
ssize_t ext2_file_write(struct daxfs_file *f, const void *buf, size_t len,
			uint64_t off, unsigned flags)
{
	struct ext2_sb_info *fs = EXT2_SB(f->fs);
	struct ext2_inode_info *inode = EXT2_I(f->inode);
	uint64_t max = ext2_max_file_size(fs), pos, old;
	bool orphan;
	ssize_t ret;

	if (len == 0)
		return 0;
	if ((flags & DAXFS_WRITE_ATOMIC) && len > ext2_cow_max(fs))
		return err_set(-EINVAL, "an atomic write is at most %zu bytes "
			       "on this file system, not %zu",
			       ext2_cow_max(fs), len);
	if ((flags & DAXFS_WRITE_ATOMIC) && !fs->journal)
		return err_set(-EOPNOTSUPP, "this file system has no journal "
			       "(no room for it: see daxfs_mount_warning), so "
			       "no write is atomic");
	down_write(&inode->i_rwsem);
	pos = (f->flags & O_APPEND) ? ext2_i_size(inode) : off;
	if (write_over(inode, buf, len, pos, flags)) {
		up_write(&inode->i_rwsem);
		return (ssize_t)len;
	}
	if (pos >= max) {
		up_write(&inode->i_rwsem);
		return err_set(-EFBIG, "offset %llu is beyond the largest ext2 "
			       "file", (unsigned long long)pos);
	}
	if (len > max - pos && (flags & DAXFS_WRITE_ATOMIC)) {
		up_write(&inode->i_rwsem);
		return err_set(-EFBIG, "an atomic write of %zu bytes at %llu "
			       "would pass the largest ext2 file", len,
			       (unsigned long long)pos);
	}
	if (len > max - pos)
		len = max - pos;
	if (ext2_has_bad(fs)) { /* bad blocks covered: cleared, or -EIO */
		ret = ext2_bad_write(inode, pos, len);
		if (ret) {
			up_write(&inode->i_rwsem);
			return ret;
		}
	}
	old = ext2_i_size(inode);
	/* Blocks taken ahead serve appends only (prealloc.c). */
	if (pos + len > old && (pos != old || (flags & DAXFS_WRITE_ATOMIC)))
		ext2_prealloc_trim(inode);
	ret = write_logged(inode, buf, len, pos, flags, &orphan);
	if (ret > 0) {
		ext2_size_grew(inode, old, ext2_i_size(inode));
		ext2_inode_touch(inode, true, true);
	}
	if (ret < (ssize_t)len && pos + len > ext2_i_size(inode))
		ext2_write_failed(inode, orphan);
	up_write(&inode->i_rwsem);
	return ret;
}

/* ftruncate of a regular file, under its I/O lock. */
int ext2_file_truncate(struct daxfs_file *f, uint64_t size)
{
	struct ext2_inode_info *inode = EXT2_I(f->inode);
	int ret;

	if (!S_ISREG(ext2_i_mode(inode)))
		return err_set(-EISDIR, "not a regular file");
	down_write(&inode->i_rwsem);
	ret = ext2_setsize(inode, size);
	up_write(&inode->i_rwsem);
	return ret;
}

/* fsync: every pwrite was persisted before it returned; stores through
 * views are flushed here (nothing to do when none is dirty). */
int ext2_fsync(struct daxfs_file *f)
{
	struct ext2_sb_info *fs = EXT2_SB(f->fs);
	int ret = dax_writeback(&EXT2_I(f->inode)->i_mapping, fs->rgn);

	region_drain(fs->rgn);
	return ret;
}

/* fstat of an open file. */
int ext2_getattr(struct daxfs_file *f, struct stat *st)
{
	ext2_inode_stat(EXT2_I(f->inode), st);
	return 0;
}
