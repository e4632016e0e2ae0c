/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * balloc.c -- the block allocator: block bitmaps and the free-block
 * counters of the group descriptors.
 *
 * Each group has its own lock (ext2_group.lock), so threads allocating
 * in different groups do not wait for each other.  A bitmap change is
 * persisted before the call returns, hence before any caller links the
 * block: a crash can leak a block (e2fsck -p frees it) but never hand one
 * out twice.
 */
#include <errno.h>
#include <string.h>

#include "ext2/bitmap.h"
#include "ext2/ext2.h"

static inline int32_t group_of_block(struct ext2_sb_info *fs, uint32_t blk)
{
	return (blk - fs->first_data_block) / fs->blocks_per_group;
}

/*
 * Does [blk, blk+n) overlap group g's own metadata: the superblock and
 * descriptor copies, the bitmaps, the inode table?  Those blocks are
 * never freed nor handed out, whatever a damaged bitmap or block map
 * says (the kernel's "system zone" check).
 */
static bool in_system_zone(struct ext2_sb_info *fs, uint32_t g, uint32_t blk,
			   uint32_t n)
{
	const struct ext2_group *grp = &fs->groups[g];
	uint64_t end = (uint64_t)blk + n;

	return blk < grp->data_start ||
	       (grp->block_bitmap >= blk && grp->block_bitmap < end) ||
	       (grp->inode_bitmap >= blk && grp->inode_bitmap < end) ||
	       (grp->inode_table < end &&
		(uint64_t)grp->inode_table + fs->itb_per_group > blk);
}

/* The first clear bit at or after from, below nbits, of group g's bitmap
 * that is not a metadata block; nbits if none. */
static uint32_t find_data_bit(struct ext2_sb_info *fs, uint32_t g,
			      const uint8_t *bm, uint32_t from, uint32_t nbits)
{
	uint32_t first = ext2_group_first_block(fs, g);
	uint32_t bit = ext2_bitmap_find_zero(bm, from, nbits);

	while (bit < nbits && in_system_zone(fs, g, first + bit, 1))
		bit = ext2_bitmap_find_zero(bm, bit + 1, nbits);
	return bit;
}

/*
 * The first bit at or after from of group g's bitmap where want free
 * blocks start at a block number that is a multiple of align (a power of
 * two); nbits if the group has none.
 */
static uint32_t find_aligned_run(struct ext2_sb_info *fs, uint32_t g,
				 const uint8_t *bm, uint32_t from,
				 uint32_t nbits, uint32_t align, uint32_t want)
{
	uint32_t first = ext2_group_first_block(fs, g);
	uint32_t bit = ext2_bitmap_find_zero(bm, from, nbits);

	while (bit < nbits) {
		uint64_t a = (((uint64_t)first + bit + align - 1) &
			      ~(uint64_t)(align - 1)) - first;
		uint32_t n = 0;

		if (a + want > nbits)
			return nbits;
		while (n < want && !ext2_bitmap_test(bm, a + n))
			n++;
		if (n == want)
			return a;
		bit = ext2_bitmap_find_zero(bm, a + n + 1, nbits);
	}
	return nbits;
}

/*
 * Take up to max free blocks of group g, contiguous, starting the search
 * at bit from.  With align > 1, the run must start at a multiple of align
 * and have min(max, align) free blocks, at or after from; otherwise the
 * search wraps around to the start of the group.  Returns the count taken
 * (0 if none was found) and the first block in *start.  Called with the
 * group lock held; the caller persists the change (group_persist_run).
 */
static uint32_t group_take_run(struct ext2_sb_info *fs, uint32_t g, uint32_t from,
			       uint32_t max, uint32_t align, uint32_t *start)
{
	struct ext2_group_desc *gd = &fs->gdt[g];
	uint32_t nbits = ext2_group_nblocks(fs, g);
	uint8_t *bm = ext2_block(fs, fs->groups[g].block_bitmap);
	uint32_t first = ext2_group_first_block(fs, g);
	uint32_t bit, n, nfree = le16_get(gd->bg_free_blocks_count);

	if (nfree == 0)
		return 0;
	if (from >= nbits)
		from = 0;
	if (align > 1) {
		bit = find_aligned_run(fs, g, bm, from, nbits, align,
				       max < align ? max : align);
		if (bit >= nbits)
			return 0;
	} else {
		bit = find_data_bit(fs, g, bm, from, nbits);
	}
	if (bit >= nbits) {
		bit = find_data_bit(fs, g, bm, 0, from);
		if (bit >= from)
			return 0; /* counter said free, bitmap says full */
	}
	for (n = 0; n < max && bit + n < nbits && n < nfree &&
		    !ext2_bitmap_test(bm, bit + n) &&
		    !in_system_zone(fs, g, first + bit + n, 1); n++)
		;
	ext2_jlog_bits(bm, bit, n);
	ext2_bitmap_set_range(bm, bit, bit + n);
	gd->bg_free_blocks_count = le16_put(nfree - n);
	fs->groups[g].block_hint = bit + n;
	*start = first + bit;
	/* New blocks: their old contents need no undo records. */
	ext2_jcover(ext2_block(fs, *start), (size_t)n << fs->blocksize_bits);
	return n;
}

/*
 * Persist the bitmap bytes and the descriptor counter that taking
 * [start, start+n) of group g changed.  Outside the group lock, as for
 * inodes (ialloc.c): on x86 a locked instruction waits for earlier
 * cache-line flushes, so flushing before the unlock costs a fence of its
 * own and lengthens the hold that other allocating threads wait on.  A
 * flush writes back the line as it is then, our bits included, whoever
 * changed it since.  Drained before return (callers link the blocks),
 * but inside an atomic operation, whose bit record undoes them and whose
 * commit fences.
 */
static void group_persist_run(struct ext2_sb_info *fs, uint32_t g, uint32_t start,
			      uint32_t n)
{
	struct ext2_group_desc *gd = &fs->gdt[g];
	uint8_t *bm = ext2_block(fs, fs->groups[g].block_bitmap);
	uint32_t bit = start - ext2_group_first_block(fs, g);

	region_flush(fs->rgn, bm + (bit >> 3), ((bit + n - 1) >> 3) -
			  (bit >> 3) + 1);
	if (!fs->journal) /* else recomputed at recovery, flushed at unmount */
		region_flush(fs->rgn, &gd->bg_free_blocks_count, 2);
	if (!ext2_jfence_later()) /* logged: the commit fences */
		region_drain(fs->rgn);
}

/* Take a run from the groups starting at goal's, trying at most ngroups
 * of them; align as for group_take_run.  Returns the count taken, 0 if
 * none was found. */
static uint32_t take_run(struct ext2_sb_info *fs, uint32_t goal, uint32_t max,
			 uint32_t align, uint32_t ngroups, uint32_t *start)
{
	uint32_t g0 = group_of_block(fs, goal), i;

	for (i = 0; i < ngroups; i++) {
		uint32_t g = (g0 + i) % fs->groups_count;
		struct ext2_group *grp = &fs->groups[g];
		uint32_t from, n;

		from = i == 0 ? goal - ext2_group_first_block(fs, g)
			      : grp->block_hint;
		pthread_mutex_lock(&grp->lock);
		n = group_take_run(fs, g, from, max, align, start);
		pthread_mutex_unlock(&grp->lock);
		if (n) {
			group_persist_run(fs, g, *start, n);
			atomic_fetch_sub(&fs->free_blocks, n);
			return n;
		}
	}
	return 0;
}

/* Groups an aligned allocation searches before it settles for any run
 * (a full, fragmented file system must not make every write scan all
 * the bitmaps). */
#define ALIGNED_SEARCH_GROUPS 4

/* How many groups an aligned allocation searches: all of them for a
 * mapping unit of a region that maps only in units (the unit cannot be
 * installed otherwise), else ALIGNED_SEARCH_GROUPS. */
static uint32_t aligned_groups(struct ext2_sb_info *fs, uint32_t align)
{
	if (align == ext2_unit_blocks(fs) ||
	    fs->groups_count < ALIGNED_SEARCH_GROUPS)
		return fs->groups_count;
	return ALIGNED_SEARCH_GROUPS;
}

/*
 * Allocate a run of 1..max contiguous blocks, as close to goal as the
 * bitmaps allow (the goal's group first, then the following groups).
 * With align > 1 (a power of two), a run that starts at a multiple of
 * align is preferred, from goal on in the next few groups.  Returns 0
 * with *start and *count set, or -ENOSPC.
 */
int ext2_new_blocks_aligned(struct ext2_sb_info *fs, uint32_t goal, uint32_t max,
			     uint32_t align, uint32_t *start, uint32_t *count)
{
	uint32_t n = 0;

	if (max == 0)
		max = 1;
	if (atomic_load(&fs->free_blocks) <= 0)
		return err_set(-ENOSPC, "no space left: no free blocks");
	if (!ext2_block_valid(fs, goal))
		goal = fs->first_data_block;
	if (align > 1)
		n = take_run(fs, goal, max, align, aligned_groups(fs, align),
			     start);
	if (!n)
		n = take_run(fs, goal, max, 1, fs->groups_count, start);
	if (!n)
		return err_set(-ENOSPC, "no space left: no free blocks");
	*count = n;
	if (ext2_has_bad(fs)) /* free blocks may be bad: about to be written */
		ext2_bad_allocated(fs, *start, n);
	return 0;
}

/* Allocate a run of 1..max contiguous blocks near goal, any alignment. */
int ext2_new_blocks(struct ext2_sb_info *fs, uint32_t goal, uint32_t max,
		     uint32_t *start, uint32_t *count)
{
	return ext2_new_blocks_aligned(fs, goal, max, 1, start, count);
}

/* Clear bits [bit, bit+n) of group g's block bitmap (flushed, with its
 * counter; not drained), group lock held; how many were set. */
static uint32_t clear_bits(struct ext2_sb_info *fs, uint32_t g, uint32_t bit,
			   uint32_t n)
{
	struct ext2_group_desc *gd = &fs->gdt[g];
	uint8_t *bm = ext2_block(fs, fs->groups[g].block_bitmap);
	uint32_t i, freed = 0;

	for (i = 0; i < n; i++) {
		if (ext2_bitmap_test(bm, bit + i)) {
			ext2_bitmap_clear(bm, bit + i);
			freed++;
		}
	}
	if (freed) {
		region_flush(fs->rgn, bm + (bit >> 3),
			     ((bit + n - 1) >> 3) - (bit >> 3) + 1);
		gd->bg_free_blocks_count =
			le16_put(le16_get(gd->bg_free_blocks_count) + freed);
		if (!fs->journal)
			region_flush(fs->rgn, &gd->bg_free_blocks_count, 2);
	}
	if (bit < fs->groups[g].block_hint)
		fs->groups[g].block_hint = bit;
	atomic_fetch_add(&fs->free_blocks, freed);
	return freed;
}

/* Is [start, start+count) a run ext2 may free?  Reported if not. */
static bool free_run_ok(struct ext2_sb_info *fs, uint32_t start,
			uint32_t count, uint32_t g, uint32_t n)
{
	if (!ext2_block_valid(fs, start) ||
	    !ext2_block_valid(fs, start + count - 1)) {
		ext2_corrupt(fs, "freeing blocks %u+%u outside the file "
			      "system", start, count);
		return false;
	}
	if (in_system_zone(fs, g, start, n)) {
		ext2_corrupt(fs, "freeing blocks %u+%u that hold group %u's "
			      "metadata", start, n, g);
		return false;
	}
	return true;
}

/* Return [start, start+count) to the bitmaps (inside an operation, at
 * its commit: ext2_jdefer_free).  Freeing a block that is already free,
 * or one holding its group's metadata, is reported as corruption and
 * otherwise ignored. */
void ext2_free_blocks(struct ext2_sb_info *fs, uint32_t start, uint32_t count)
{
	while (count) {
		uint32_t g = group_of_block(fs, start);
		uint32_t bit = start - ext2_group_first_block(fs, g);
		uint32_t n = ext2_group_nblocks(fs, g) - bit, freed;

		if (n > count)
			n = count;
		if (!free_run_ok(fs, start, count, g, n))
			return;
		if (!ext2_jdefer_free(false, start, n)) {
			pthread_mutex_lock(&fs->groups[g].lock);
			freed = clear_bits(fs, g, bit, n);
			region_drain(fs->rgn);
			pthread_mutex_unlock(&fs->groups[g].lock);
			if (freed != n)
				ext2_corrupt(fs, "freeing %u blocks at %u that "
					      "were already free", n - freed,
					      start);
		}
		start += n;
		count -= n;
	}
}

/* At a commit, group lock held: clear the bits of blocks freed inside
 * the operation (ext2_jdefer_free); flushed, not drained. */
void ext2_clear_block_bits_locked(struct ext2_sb_info *fs, uint32_t start,
				  uint32_t count)
{
	uint32_t g = group_of_block(fs, start);

	clear_bits(fs, g, start - ext2_group_first_block(fs, g), count);
}

/*
 * Free [start, start+count), all in one group, and zero the count
 * pointers at ptrs that map them, in the order that lets a crash be
 * finished by freeing again (roll forward, orphan.c): under the group
 * lock the bits are cleared and persisted, then the pointers zeroed and
 * persisted; no other thread can take a block while a pointer to it is
 * on the media.  A bit found clear already is one a crashed truncate
 * freed: not damage.  Inside an operation (a create that failed) the
 * bits wait for its commit (ext2_jdefer_free).
 */
void ext2_free_blocks_unlink(struct ext2_sb_info *fs, uint32_t start,
			     uint32_t count, le32 *ptrs)
{
	uint32_t g = group_of_block(fs, start);
	bool sys = in_system_zone(fs, g, start, count);

	if (sys)
		ext2_corrupt(fs, "freeing blocks %u+%u that hold group %u's "
			      "metadata", start, count, g);
	if (sys || ext2_jdefer_free(false, start, count)) {
		memset(ptrs, 0, (size_t)count * 4);
		ext2_persist(fs, ptrs, (size_t)count * 4);
		return;
	}
	pthread_mutex_lock(&fs->groups[g].lock);
	if (clear_bits(fs, g, start - ext2_group_first_block(fs, g), count))
		region_drain(fs->rgn);
	memset(ptrs, 0, (size_t)count * 4);
	ext2_persist(fs, ptrs, (size_t)count * 4);
	pthread_mutex_unlock(&fs->groups[g].lock);
}

/*
 * Find count contiguous free data blocks in one group without taking
 * them (mount, before any operation: nothing else allocates): 0 with
 * *start, or -ENOSPC.  For an owner that must be written before its
 * blocks are marked (ext2_mark_blocks), as the journal's is.
 */
int ext2_find_free_run(struct ext2_sb_info *fs, uint32_t count,
		       uint32_t *start)
{
	uint32_t g, bit, run, nbits;

	for (g = 0; g < fs->groups_count; g++) {
		const uint8_t *bm = ext2_block(fs, fs->groups[g].block_bitmap);

		nbits = ext2_group_nblocks(fs, g);
		for (bit = 0, run = 0; bit < nbits; bit++) {
			uint32_t blk = ext2_group_first_block(fs, g) + bit;

			if (ext2_bitmap_test(bm, bit) ||
			    in_system_zone(fs, g, blk, 1)) {
				run = 0;
				continue;
			}
			if (++run == count) {
				*start = blk - count + 1;
				return 0;
			}
		}
	}
	return err_set(-ENOSPC, "no %u contiguous free blocks", count);
}

/* Mark [start, start+count) in use, those not yet, persisted. */
void ext2_mark_blocks(struct ext2_sb_info *fs, uint32_t start, uint32_t count)
{
	while (count) {
		uint32_t g = group_of_block(fs, start);
		uint32_t bit = start - ext2_group_first_block(fs, g);
		uint32_t n = ext2_group_nblocks(fs, g) - bit, i, took = 0;
		struct ext2_group_desc *gd = &fs->gdt[g];
		uint8_t *bm = ext2_block(fs, fs->groups[g].block_bitmap);

		n = n < count ? n : count;
		pthread_mutex_lock(&fs->groups[g].lock);
		for (i = 0; i < n; i++) {
			if (!ext2_bitmap_test(bm, bit + i)) {
				ext2_bitmap_set(bm, bit + i);
				took++;
			}
		}
		region_flush(fs->rgn, bm + (bit >> 3),
			     ((bit + n - 1) >> 3) - (bit >> 3) + 1);
		gd->bg_free_blocks_count =
			le16_put(le16_get(gd->bg_free_blocks_count) - took);
		ext2_persist(fs, &gd->bg_free_blocks_count, 2);
		pthread_mutex_unlock(&fs->groups[g].lock);
		atomic_fetch_sub(&fs->free_blocks, took);
		start += n;
		count -= n;
	}
}

/* Count the clear bits of group g's block bitmap (for checks and tests). */
int ext2_count_free_blocks(struct ext2_sb_info *fs, uint32_t g, uint32_t *nfree)
{
	const uint8_t *bm;
	uint32_t i, n = 0, nbits;

	if (g >= fs->groups_count)
		return err_set(-EINVAL, "no group %u", g);
	nbits = ext2_group_nblocks(fs, g);
	bm = ext2_block(fs, fs->groups[g].block_bitmap);
	for (i = 0; i < nbits; i++)
		n += !ext2_bitmap_test(bm, i);
	*nfree = n;
	return 0;
}
