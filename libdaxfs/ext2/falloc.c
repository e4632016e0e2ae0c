/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * falloc.c -- fallocate of ext2 files (daxfs_fallocate): allocating
 * zeroed blocks (mode 0; FALLOC_FL_KEEP_SIZE within EOF), punching holes
 * (FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE) and zeroing ranges
 * (FALLOC_FL_ZERO_RANGE: a punch, then an allocation of the range).
 * ext2 keeps no block past EOF, so nothing here allocates past the size
 * the call leaves.
 *
 * Locks (the order is the block in ext2.h): i_rwsem exclusively, then
 * dax_sem exclusively for the whole call, as truncate: no fault runs
 * while holes are filled or blocks freed.  A punch unmaps its range from
 * every view and drops the range's mapping-index entries (dax_punch)
 * before any block of it is freed; a filled hole's zero pages are
 * replaced in every view (dax_invalidate_zero, as a write's).  bmap_lock
 * and the group locks are taken inside, as by a write.
 *
 * Crash atomicity (journal.c): every mode runs as journaled operations
 * that commit in steps, each of them whole or undone after a crash:
 *   - Allocation: blocks past EOF join the call's operation together with
 *     the size that covers them; when the slot fills (ext2_jlow, about 20
 *     extents) the size moves to the end of what is allocated and the
 *     step commits (ext2_jrestart, as a long write's steps).  A hole
 *     below EOF is filled by an operation of its own (ext2_bmap).  So a
 *     crash leaves the old size, or a larger one all of whose blocks are
 *     allocated and zero; a call that fits one slot is atomic.  On
 *     failure (-ENOSPC) the blocks the failing step took past EOF are
 *     freed again through the orphan chain, as a failed write's; earlier
 *     steps stay (the size covers them).
 *   - Punch: the bytes at the ends that are not whole mapping units are
 *     zeroed in place, in pieces whose old bytes are logged; the whole
 *     units are freed by ext2_free_range (pointers logged, frees deferred
 *     to each step's commit).  After a crash each step is whole: the
 *     range reads as its old bytes or zeros, step by step, and e2fsck
 *     finds nothing.  A punch whose partial ends come to at most about
 *     2 KiB and whose runs fit the slot is one step: atomic.  Indirect
 *     blocks that map nothing any more are kept.
 *   - Zero range: a punch of the range within EOF, then an allocation of
 *     it (and the size, without KEEP_SIZE): the steps of both.
 *
 * Mapping units: on a region whose mappings are aligned to more than a
 * block (ext2_unit_blocks() > 1: devdax align=2M, hugetlbfs) an
 * allocation fills whole units (below the size it leaves), asking from
 * unit-aligned logical blocks, so the allocator can give aligned runs
 * and the file maps whole; a punch frees whole units only and zeroes the
 * rest of its range, so what stays keeps mapping whole.
 */
#include <errno.h>
#include <linux/falloc.h>

#include "dax/mapping.h"
#include "ext2/ext2.h"

/* Bytes zeroed under one logged record at most. */
#define ZERO_PIECE 1024

/* Zero len bytes at p (of one mapped run), logged, in pieces that each
 * fit the thread's operation (a step commits before one that would not). */
static void zero_logged(struct ext2_sb_info *fs, unsigned char *p,
			uint64_t len)
{
	while (len) {
		size_t k = len < ZERO_PIECE ? len : ZERO_PIECE;

		if (ext2_jroom() < k + 128)
			ext2_jrestart();
		ext2_jlog(p, k);
		fs->rgn->memset(p, 0, k, PMEM2_F_MEM_NODRAIN);
		if (!ext2_jfence_later())
			region_drain(fs->rgn);
		p += k;
		len -= k;
	}
}

/* Zero the mapped bytes of [from, to) of the file in place
 * (zero_logged); holes stay holes. */
static int zero_range_logged(struct ext2_inode_info *inode, uint64_t from,
			     uint64_t to)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t bits = fs->blocksize_bits, pblk, count;
	uint64_t lblk, max, end;
	bool is_new;
	int ret;

	while (from < to) {
		lblk = from >> bits;
		max = ((to - 1) >> bits) - lblk + 1;
		ret = ext2_bmap(inode, (uint32_t)lblk, max < UINT32_MAX ?
				(uint32_t)max : UINT32_MAX, false, &pblk,
				&count, &is_new);
		if (ret)
			return ret;
		end = (lblk + count) << bits;
		end = end < to ? end : to;
		if (pblk)
			zero_logged(fs, (unsigned char *)ext2_block(fs, pblk) +
				    (from - (lblk << bits)), end - from);
		from = end;
	}
	return 0;
}

/* Bytes of one mapping unit (a block, on regions that map 4 KiB pages). */
static uint64_t unit_bytes(struct ext2_sb_info *fs)
{
	return (uint64_t)ext2_unit_blocks(fs) << fs->blocksize_bits;
}

/* What a punch of [off, end) (end within EOF) frees: the bytes
 * [*fstart, *fend) of whole units, the last one reaching past EOF where
 * end is EOF; *fend == *fstart when there is none. */
static void punch_bounds(struct ext2_inode_info *inode, uint64_t off,
			 uint64_t end, uint64_t *fstart, uint64_t *fend)
{
	uint64_t ub = unit_bytes(inode->fs), isize = ext2_i_size(inode);

	*fstart = (off + ub - 1) / ub * ub;
	*fend = end >= isize ? (isize + ub - 1) / ub * ub : end / ub * ub;
	if (*fend < *fstart)
		*fend = *fstart;
}

/* Punch [off, end) (end within EOF), under dax_sem: unmap the whole
 * units from the views, zero the partial ends, free the whole units. */
static int falloc_punch(struct ext2_inode_info *inode, uint64_t off,
			uint64_t end)
{
	struct ext2_sb_info *fs = inode->fs;
	uint64_t fstart, fend;
	struct ext2_jh h;
	int ret;

	if (off >= end)
		return 0;
	punch_bounds(inode, off, end, &fstart, &fend);
	if (fstart < fend)
		dax_punch(&inode->i_mapping, fstart >> DAX_PAGE_SHIFT,
			  ((fend + DAX_PAGE_SIZE - 1) >> DAX_PAGE_SHIFT) -
				  (fstart >> DAX_PAGE_SHIFT));
	ext2_jbegin(fs, &h);
	ret = zero_range_logged(inode, off, fstart < end ? fstart : end);
	if (!ret && fstart < fend)
		ret = ext2_free_range(inode, fstart >> fs->blocksize_bits,
				      fend >> fs->blocksize_bits);
	if (!ret && fend < end)
		ret = zero_range_logged(inode, fend > off ? fend : off, end);
	ext2_jcommit(&h);
	return ret;
}

/* Holes just filled at [lblk, lblk+n) from pblk: views must not keep
 * the zero page there (dax_invalidate_zero, as a write's). */
static void alloc_show(struct ext2_inode_info *inode, uint64_t lblk,
		       uint32_t pblk, uint32_t n)
{
	struct ext2_sb_info *fs = inode->fs;
	struct dax_mapping *m = &inode->i_mapping;

	if (fs->blocksize != DAX_PAGE_SIZE)
		return; /* no view: mapping needs 4 KiB blocks */
	atomic_fetch_add(&m->fill_seq, 1);
	dax_invalidate_zero(m, lblk, n, (uint64_t)pblk << fs->blocksize_bits);
}

/* A step of an allocation is full: the size covers what is allocated
 * (at most end), and the step commits. */
static void alloc_checkpoint(struct ext2_inode_info *inode, uint64_t end)
{
	if (end > ext2_i_size(inode))
		ext2_inode_set_size(inode, end);
	ext2_jrestart();
}

/* Fill the holes of logical blocks [lblk, last) with zeroed blocks, in
 * the steps written at the top (size: the size the call leaves). */
static int alloc_blocks(struct ext2_inode_info *inode, uint64_t lblk,
			uint64_t last, uint64_t size)
{
	uint32_t bits = inode->fs->blocksize_bits, pblk, count;
	uint64_t max, end;
	bool is_new;
	int ret;

	while (lblk < last) {
		max = last - lblk < UINT32_MAX ? last - lblk : UINT32_MAX;
		ret = ext2_bmap(inode, (uint32_t)lblk, (uint32_t)max, true,
				&pblk, &count, &is_new);
		if (ret)
			return ret;
		if (is_new)
			alloc_show(inode, lblk, pblk, count);
		lblk += count;
		end = lblk << bits;
		if (ext2_jlow())
			alloc_checkpoint(inode, end < size ? end : size);
	}
	return 0;
}

/* The logical blocks an allocation of [off, end) fills: [*first, *last),
 * whole mapping units as far as size (the size the call leaves) allows. */
static void alloc_bounds(struct ext2_sb_info *fs, uint64_t off, uint64_t end,
			 uint64_t size, uint64_t *first, uint64_t *last)
{
	uint64_t ub = ext2_unit_blocks(fs), bs = fs->blocksize;
	uint64_t eof = (size + bs - 1) >> fs->blocksize_bits;

	*first = (off >> fs->blocksize_bits) / ub * ub;
	*last = (((end + bs - 1) >> fs->blocksize_bits) + ub - 1) / ub * ub;
	if (*last > eof)
		*last = eof;
}

/* Allocate zeroed blocks for the holes of [off, end) and grow the file to
 * size (>= its size), in steps; on failure free what the failing step
 * took past EOF (orphan chain, as ext2_write_failed).  dax_sem held. */
static int falloc_alloc(struct ext2_inode_info *inode, uint64_t off,
			uint64_t end, uint64_t size)
{
	uint64_t first, last;
	struct ext2_jh h;
	bool orphan = false;
	int ret;

	alloc_bounds(inode->fs, off, end, size, &first, &last);
	ret = ext2_zero_past_eof(inode, ext2_i_size(inode), size);
	if (ret)
		return ret;
	ext2_jbegin(inode->fs, &h);
	ret = alloc_blocks(inode, first, last, size);
	if (!ret && size > ext2_i_size(inode))
		ext2_inode_set_size(inode, size);
	if (ret)
		orphan = ext2_orphan_add(inode);
	ext2_jcommit(&h);
	if (ret) {
		ext2_truncate_blocks(inode, ext2_i_size(inode));
		if (orphan)
			ext2_orphan_del(inode);
	}
	return ret;
}

/* Run mode on [off, end), with i_rwsem and dax_sem held exclusively. */
static int falloc_run(struct ext2_inode_info *inode, int mode, uint64_t off,
		      uint64_t end)
{
	uint64_t isize = ext2_i_size(inode);
	int ret;

	if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
		ret = falloc_punch(inode, off, end < isize ? end : isize);
		if (ret || (mode & FALLOC_FL_PUNCH_HOLE))
			return ret;
	}
	if (mode & FALLOC_FL_KEEP_SIZE) {
		end = end < isize ? end : isize;
		if (off >= end)
			return 0;
	}
	return falloc_alloc(inode, off, end, end > isize ? end : isize);
}

/* What only ext2 knows makes the call impossible: the file's type, the
 * largest file, modes ext2 cannot store.  i_rwsem held. */
static int falloc_check(struct ext2_inode_info *inode, int mode,
			uint64_t off, uint64_t len)
{
	uint64_t max = ext2_max_file_size(inode->fs);

	if (S_ISDIR(ext2_i_mode(inode)))
		return err_set(-EISDIR, "the file is a directory");
	if (!S_ISREG(ext2_i_mode(inode)))
		return err_set(-ENODEV, "not a regular file");
	if (off + len > max)
		return err_set(-EFBIG, "the range ends at %llu, past the "
			       "largest ext2 file (%llu bytes)",
			       (unsigned long long)(off + len),
			       (unsigned long long)max);
	if (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE |
		    FALLOC_FL_UNSHARE_RANGE))
		return err_set(-EOPNOTSUPP, "ext2 cannot collapse, insert or "
			       "unshare ranges (mode 0x%x)", mode);
	if (mode == FALLOC_FL_KEEP_SIZE && off + len > ext2_i_size(inode))
		return err_set(-EOPNOTSUPP, "FALLOC_FL_KEEP_SIZE past the end "
			       "of file (%llu bytes): ext2 cannot keep blocks "
			       "past EOF; extend the size (mode 0)",
			       (unsigned long long)ext2_i_size(inode));
	return 0;
}

/* fallocate of an open file (see the top of this file); the public
 * layer checked the flags, the range's signs and the handle's mode. */
int ext2_fallocate(struct daxfs_file *f, int mode, uint64_t off,
		   uint64_t len)
{
	struct ext2_inode_info *inode = EXT2_I(f->inode);
	uint64_t old;
	int ret;

	down_write(&inode->i_rwsem);
	ext2_prealloc_trim(inode); /* fallocate sees only the file's blocks */
	old = ext2_i_size(inode);
	ret = falloc_check(inode, mode, off, len);
	if (!ret) {
		down_write(&inode->dax_sem);
		ret = falloc_run(inode, mode, off, off + len);
		up_write(&inode->dax_sem);
	}
	/* After dax_sem: the view registry comes before it (mmap.c). */
	if (ext2_i_size(inode) > old)
		ext2_size_grew(inode, old, ext2_i_size(inode));
	if (!ret)
		ext2_inode_touch(inode, true, true);
	up_write(&inode->i_rwsem);
	return ret;
}
