/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iomap.c -- ext2's iomap operations (ext2_iomap_begin/ext2_iomap_end
 * of fs/ext2/inode.c): how the DAX engine asks ext2 for extents, for
 * pread/pwrite (dax/iomap.c) and for faults (dax/fault.c).
 *
 * What ext2 holds from iomap_begin to iomap_end: for a write past EOF,
 * the blocks it reserved but has not linked yet (bmap.c), which only the
 * writer, holding i_rwsem exclusively, can reach; nothing else (the
 * block-map lock is taken and dropped inside iomap_begin).  In test
 * builds, also the test journal below.  Lock order: see ext2/ext2.h.
 */
#include <errno.h>

#include "dax/hooks.h"
#include "ext2/ext2.h"

#if DAXFS_TEST_HOOKS
/* The test-only journal of dax_hooks: a re-entrant shared hold per
 * thread from iomap_begin to iomap_end. */
static __thread unsigned journal_depth;

/* Enter the test journal (shared), once per thread. */
static void test_journal_start(void)
{
	pthread_rwlock_t *j = dax_hook_journal();

	if (j && journal_depth++ == 0)
		pthread_rwlock_rdlock(j);
}

/* Leave the test journal when the outermost hold ends. */
static void test_journal_stop(void)
{
	pthread_rwlock_t *j = dax_hook_journal();

	if (j && journal_depth && --journal_depth == 0)
		pthread_rwlock_unlock(j);
}
#else
/* Release build: no test journal (always inlined: no symbol either). */
static inline __attribute__((always_inline)) void test_journal_start(void)
{
}

static inline __attribute__((always_inline)) void test_journal_stop(void)
{
}
#endif

/*
 * A write's operation whose slot is filling up (many extents): commit
 * what is written so far, the size covering it, and go on as a new
 * operation, as jbd2 restarts a handle.  The data is drained first.
 */
static void write_checkpoint(struct ext2_inode_info *inode, uint64_t end)
{
	region_drain(inode->fs->rgn);
	if (end > ext2_i_size(inode))
		ext2_inode_set_size(inode, end);
	ext2_jrestart();
}

/* iomap_end of ext2: links blocks reserved for a write past EOF, and
 * releases the test journal.  Blocks of other writes were linked at
 * begin: nothing to undo. */
static int ext2_iomap_end(struct ext2_inode_info *inode, uint64_t pos,
			  uint64_t length, ssize_t written, unsigned flags,
			  struct iomap *iomap)
{
	(void)length;
	if (iomap->flags & IOMAP_F_PRIVATE)
		ext2_bmap_link_reserved(inode, pos, written);
	if ((flags & (IOMAP_WRITE | IOMAP_FAULT)) == IOMAP_WRITE &&
	    written > 0 && ext2_jlow())
		write_checkpoint(inode, pos + written);
	test_journal_stop();
	return 0;
}

/*
 * A write or a store fault into a hole below EOF on a region that maps
 * only in units: if the unit holding block first lies below EOF, it gets
 * all its blocks now, an aligned run, zeroed (ext2_bmap), so views can
 * install it whole; *is_new is set if it did.  0 or a negative errno.
 */
static int unit_fill(struct ext2_inode_info *inode, uint64_t first,
		     bool *is_new)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t unit = ext2_unit_blocks(fs), pblk, count;
	uint64_t u = first - first % unit, b;
	bool n;
	int ret;

	if (unit == 1 || (u + unit) << fs->blocksize_bits > ext2_i_size(inode))
		return 0;
	/* One leaf at a time (the direct blocks end inside the first unit);
	 * the file's allocation goal keeps the run contiguous. */
	for (b = u; b < u + unit; b += count) {
		ret = ext2_bmap(inode, (uint32_t)b, (uint32_t)(u + unit - b),
				true, &pblk, &count, &n);
		if (ret)
			return ret;
		*is_new |= n;
	}
	return 0;
}

/* iomap_begin of ext2: one extent of the block map at pos; for a write
 * past EOF, blocks reserved and linked at iomap_end. */
static int ext2_iomap_begin(struct ext2_inode_info *inode, uint64_t pos,
			    uint64_t length, unsigned flags,
			    struct iomap *iomap)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t bits = fs->blocksize_bits;
	uint64_t first = pos >> bits, last = (pos + length - 1) >> bits;
	uint32_t pblk, count, max;
	bool is_new, filled;
	int ret = 0;

	if (last - first + 1 > UINT32_MAX)
		last = first + UINT32_MAX - 1;
	max = last - first + 1;
	if (first > UINT32_MAX)
		return err_set(-EFBIG, "offset %llu is beyond the largest "
				 "ext2 file", (unsigned long long)pos);
	test_journal_start();
	/* (Blocks taken ahead of an append are there: the normal path.) */
	if ((flags & IOMAP_WRITE) && S_ISREG(ext2_i_mode(inode)) &&
	    first >= (ext2_i_size(inode) + fs->blocksize - 1) >> bits &&
	    !(inode->prealloc &&
	      ext2_extent_cache_lookup(inode, (uint32_t)first, 1, &pblk,
				       &count))) {
		ret = ext2_bmap_reserve_past_eof(inode, first, max, &pblk,
						 &count);
		if (ret == 1) {
			iomap->offset = first << bits;
			iomap->length = (uint64_t)count << bits;
			iomap->addr = (uint64_t)pblk << bits;
			iomap->type = IOMAP_MAPPED;
			iomap->flags = IOMAP_F_PRIVATE;
			return 0;
		}
		if (ret)
			goto fail;
	}
	filled = false;
	if (flags & IOMAP_WRITE)
		ret = unit_fill(inode, first, &filled);
	if (!ret)
		ret = ext2_bmap(inode, first, max, flags & IOMAP_WRITE, &pblk,
				&count, &is_new);
	/* Reads and faults stop before a bad block (a pwrite has cleared
	 * those it covers: ext2_bad_write). */
	if (!ret && pblk && (!(flags & IOMAP_WRITE) || (flags & IOMAP_FAULT)) &&
	    ext2_has_bad(fs))
		ret = ext2_bad_read(inode, first, pblk, &count);
	if (ret)
		goto fail;
	is_new |= filled;
	iomap->offset = first << bits;
	iomap->length = (uint64_t)count << bits;
	iomap->addr = (uint64_t)pblk << bits;
	iomap->type = pblk ? IOMAP_MAPPED : IOMAP_HOLE;
	iomap->flags = is_new ? IOMAP_F_NEW : 0;
	return 0;
fail:
	test_journal_stop();
	return ret;
}

/* ext2's extents for the DAX engine (ext2_iomap_ops). */
const struct iomap_ops ext2_iomap_ops = {
	.iomap_begin = ext2_iomap_begin,
	.iomap_end = ext2_iomap_end, /* links a write's reserved blocks */
};

/*
 * The region address of [pos, pos+len) when iomap_begin would give it
 * as one mapped extent and change nothing: the extent cache maps it as
 * one run, whole units on a region that maps in units (so no unit_fill
 * is due).  False sends the caller through the iomap loop.  For an
 * overwrite within EOF and an append into blocks taken ahead, under
 * i_rwsem held exclusively.  (A unit is a power of two blocks:
 * region.c.)
 */
bool ext2_iomap_direct(struct ext2_inode_info *inode, uint64_t pos,
		       size_t len, uint64_t *addr)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t bits = fs->blocksize_bits, unit = ext2_unit_blocks(fs);
	uint64_t first = pos >> bits, last = (pos + len - 1) >> bits;
	uint64_t lo = first & ~(uint64_t)(unit - 1);
	uint64_t hi = (last | (unit - 1)) + 1;
	uint32_t pblk, count;

	if (dax_hook_journal() || hi > UINT32_MAX ||
	    !ext2_extent_cache_lookup(inode, (uint32_t)lo, (uint32_t)(hi - lo),
				      &pblk, &count) ||
	    count < hi - lo)
		return false;
	*addr = ((uint64_t)pblk << bits) + (pos - (lo << bits));
	return true;
}
