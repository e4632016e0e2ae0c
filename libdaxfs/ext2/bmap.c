/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bmap.c -- the ext2 block map (direct, indirect, double and triple
 * indirect blocks): lookups, allocation, and the blocks of a write past
 * EOF.  Truncate is in bmap_free.c; the iomap operations built on the
 * map are in iomap.c.
 *
 * Persistence order when blocks are added (ext2_get_block with DAX):
 *   1. the blocks are taken in the bitmap, persisted (balloc.c);
 *   2. new data blocks and new indirect blocks are zeroed, and the new
 *      indirect blocks filled with their pointers, all flushed and drained;
 *   3. the branch is spliced in with one 4-byte store into the existing
 *      pointer slot (or stores into an existing leaf), persisted;
 *   4. i_blocks is updated and persisted.
 * Each step is logged (journal.h: bits, a ZERO record for the pointers,
 * an IBLOCKS record), so a crash before the operation commits undoes
 * them all; and no block is ever reachable before it is zeroed.
 *
 * Writes past EOF into an existing leaf (appends) skip the zeroing: their
 * blocks are taken at iomap_begin but linked only at iomap_end, after the
 * data and the zeroed remainder are durable (written before linked).  No
 * one else can reach them meanwhile: the writer holds i_rwsem
 * exclusively, faults never look past EOF, and reads stop at EOF.  This
 * reservation is the one thing ext2 holds from iomap_begin to iomap_end.
 *
 * Locking: bmap_lock is taken shared to look blocks up and exclusive to
 * add or remove them; truncate also holds i_rwsem and dax_sem
 * exclusively, so no fault or I/O can use a block it frees.  A lookup
 * first asks the extent cache (extent_cache.c), which needs no lock: it
 * is filled from the map under bmap_lock and emptied by truncate before
 * any block is freed.
 */
#include <errno.h>
#include <string.h>

#include "core/mem.h"
#include "dax/mapping.h"
#include "ext2/ext2.h"

/*
 * Largest file size, as the Linux ext2 driver computes it (ext2_max_size
 * in fs/ext2/super.c), so both sides agree on -EFBIG: the blocks the
 * tree addresses, unless those data blocks and the indirect blocks that
 * map them would not fit in i_blocks (2^32 - 1 sectors); then the blocks
 * i_blocks can count, minus the indirect blocks needed to address that
 * many.
 */
uint64_t ext2_bmap_max_size(struct ext2_sb_info *fs)
{
	uint32_t bits = fs->blocksize_bits;
	uint64_t ppb = fs->addr_per_block;
	uint64_t limit = ((1ULL << 32) - 1) >> (bits - 9);
	uint64_t tree = EXT2_NDIR_BLOCKS + ppb + ppb * ppb + ppb * ppb * ppb;
	uint64_t meta = 1 + (1 + ppb) + (1 + ppb + ppb * ppb);
	uint64_t rest;

	if (tree + meta <= limit)
		return tree << bits;
	/* Indirect blocks for limit data blocks: one single, the double
	 * with its leaves, then the triple with what the rest needs. */
	rest = limit - EXT2_NDIR_BLOCKS - ppb;
	meta = 1;
	if (rest < ppb * ppb) {
		meta += 1 + (rest + ppb - 1) / ppb;
	} else {
		meta += 1 + ppb;
		rest -= ppb * ppb;
		meta += 1 + (rest + ppb - 1) / ppb +
			(rest + ppb * ppb - 1) / (ppb * ppb);
	}
	return (limit - meta) << bits;
}

/*
 * The path to logical block lblk: slot offsets at each level into
 * i_block, then into each indirect block.  Returns the depth (1 direct ..
 * 4 triple indirect), or 0 beyond the map.  *boundary is the number of
 * slots after this one in the leaf array.
 */
static int block_to_path(struct ext2_sb_info *fs, uint32_t lblk, uint32_t off[4],
			 uint32_t *boundary)
{
	uint64_t apb = fs->addr_per_block, b = lblk;
	uint32_t ab = fs->addr_per_block_bits;

	if (b < EXT2_NDIR_BLOCKS) {
		off[0] = b;
		*boundary = EXT2_NDIR_BLOCKS - 1 - b;
		return 1;
	}
	b -= EXT2_NDIR_BLOCKS;
	if (b < apb) {
		off[0] = EXT2_IND_BLOCK;
		off[1] = b;
		*boundary = apb - 1 - b;
		return 2;
	}
	b -= apb;
	if (b < apb * apb) {
		off[0] = EXT2_DIND_BLOCK;
		off[1] = b >> ab;
		off[2] = b & (apb - 1);
		*boundary = apb - 1 - off[2];
		return 3;
	}
	b -= apb * apb;
	if (b < apb * apb * apb) {
		off[0] = EXT2_TIND_BLOCK;
		off[1] = b >> (2 * ab);
		off[2] = (b >> ab) & (apb - 1);
		off[3] = b & (apb - 1);
		*boundary = apb - 1 - off[3];
		return 4;
	}
	return 0;
}

/* Blocks from lblk to the end of the subtree missing at level d. */
static uint64_t hole_span(struct ext2_sb_info *fs, const uint32_t off[4], int depth,
			  int d)
{
	uint32_t ab = fs->addr_per_block_bits;
	uint64_t pos = 0;
	int k;

	for (k = d; k < depth; k++)
		pos = (pos << ab) | off[k];
	return (1ULL << (ab * (depth - d))) - pos;
}

/* Pointer slot of the table in block blk at index i, after checking blk. */
static int bmap_slot(struct ext2_inode_info *inode, uint32_t blk, uint32_t i,
		     le32 **slot)
{
	if (!ext2_block_valid(inode->fs, blk))
		return ext2_corrupt(inode->fs, "inode %u: indirect block %u "
				     "out of range", inode->ino, blk);
	*slot = (le32 *)ext2_block(inode->fs, blk) + i;
	return 0;
}

/*
 * Look lblk up: a run of *count (<= max) blocks that are mapped
 * contiguously from *pblk, or a hole (*pblk = 0) of *count blocks.  Walks
 * down the tree recording each level's slot in chain[].  *level is the
 * level of the first empty slot (depth when fully mapped).
 */
static int bmap_walk(struct ext2_inode_info *inode, uint32_t lblk, uint32_t max,
		     uint32_t off[4], int *depthp, le32 *chain[4], int *level,
		     uint32_t *pblk, uint32_t *count)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t boundary, n, i, first;
	int depth, d, ret;
	le32 *p;

	depth = block_to_path(fs, lblk, off, &boundary);
	if (!depth)
		return err_set(-EFBIG, "block %u is beyond the largest ext2 "
				 "file", lblk);
	*depthp = depth;
	chain[0] = &inode->raw->i_block[off[0]];
	for (d = 1; d < depth; d++) {
		uint32_t b = le32_get(*chain[d - 1]);

		if (!b) {
			uint64_t span = hole_span(fs, off, depth, d);

			*level = d - 1;
			*pblk = 0;
			*count = span < max ? span : max;
			return 0;
		}
		ret = bmap_slot(inode, b, off[d], &chain[d]);
		if (ret)
			return ret;
	}
	p = chain[depth - 1];
	n = boundary + 1 < max ? boundary + 1 : max;
	first = le32_get(p[0]);
	if (!first) {
		for (i = 1; i < n && !p[i]; i++)
			;
		*level = depth - 1;
		*pblk = 0;
		*count = i;
		return 0;
	}
	for (i = 1; i < n && le32_get(p[i]) == first + i; i++)
		;
	if (!ext2_block_valid(fs, first) ||
	    !ext2_block_valid(fs, first + i - 1))
		return ext2_corrupt(fs, "inode %u: data block %u out of range",
				     inode->ino, first);
	*level = depth;
	*pblk = first;
	*count = i;
	return 0;
}

/*
 * Remember in the extent cache the whole run of the leaf that holds the
 * mapped block pblk at lblk (found by bmap_walk, off/depth/chain as it
 * left them).  Called with bmap_lock held.
 */
static void bmap_cache_fill(struct ext2_inode_info *inode, uint32_t lblk,
			    const uint32_t off[4], int depth, le32 *chain[4],
			    uint32_t pblk)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t size = depth == 1 ? EXT2_NDIR_BLOCKS : fs->addr_per_block;
	uint32_t i = off[depth - 1], b = i, e = i + 1;
	le32 *leaf = chain[depth - 1] - i;

	while (b > 0 && le32_get(leaf[b - 1]) == pblk - (i - b + 1))
		b--;
	while (e < size && le32_get(leaf[e]) == pblk + (e - i))
		e++;
	if (pblk < i - b || !ext2_block_valid(fs, pblk - (i - b)) ||
	    !ext2_block_valid(fs, pblk + (e - i) - 1))
		return; /* bmap_walk reports the damage when it gets there */
	ext2_extent_cache_insert(inode, lblk - (i - b), pblk - (i - b), e - b);
}

/* Where to allocate for lblk: after the previous allocation of the file,
 * after the nearest mapped block before it in its leaf, or in the
 * inode's group. */
static uint32_t bmap_goal(struct ext2_inode_info *inode, uint32_t lblk,
			  le32 *leaf, uint32_t leaf_off)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t i, g;

	if (inode->alloc_goal && inode->alloc_next_lblk == lblk)
		return inode->alloc_goal;
	if (leaf) {
		for (i = leaf_off; i-- > 0;) {
			uint32_t b = le32_get(leaf[i]);

			if (b)
				return b + (leaf_off - i);
		}
	}
	g = (inode->ino - 1) / fs->inodes_per_group;
	return ext2_group_first_block(fs, g);
}

/*
 * Large files get 2 MiB-aligned runs at 2 MiB file offsets (as WineFS
 * does), so the DAX engine can install whole 2 MiB units: the alignment
 * an allocation at lblk asks of the allocator, for a write of max blocks.
 * Past its first 2 MiB a file is large; a write of 1 MiB or more at
 * offset 0 makes it large too.  Smaller files keep their blocks packed.
 * On a region that maps only in units, every allocation at a unit's
 * start asks for the unit's alignment (the allocator then looks in every
 * group), so files written in unit-sized pieces map whole.
 */
static uint32_t bmap_align(struct ext2_sb_info *fs, uint32_t lblk, uint32_t max)
{
	uint32_t unit = ext2_unit_blocks(fs);

	if (unit > 1) /* a region that maps only in units: any unit start */
		return lblk % unit == 0 ? unit : 1;
	if (lblk % DAX_PMD_PAGES == 0 &&
	    (max >= DAX_PMD_PAGES / 2 || lblk >= DAX_PMD_PAGES) &&
	    fs->blocksize == DAX_PAGE_SIZE)
		return DAX_PMD_PAGES;
	return 1;
}

/*
 * Step 1 of bmap_alloc: take up to max data blocks for the hole at lblk
 * (to the end of its leaf at most) at *data, *n of them, and the nind
 * indirect blocks the path lacks into ind[], at the start of the next
 * group, out of the way of the data runs.  want is the caller's whole
 * request (the hole may be shorter: direct blocks), for the alignment.
 * Nothing is taken on failure.
 */
static int bmap_take(struct ext2_inode_info *inode, uint32_t lblk,
		     uint32_t max, uint32_t want, const uint32_t off[4],
		     int depth, le32 *leaf, uint32_t nind, uint32_t ind[3],
		     uint32_t *data, uint32_t *n)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t got = 0, goal, align, room, i;
	int ret;

	goal = bmap_goal(inode, lblk, leaf ? leaf - off[depth - 1] : NULL,
			 off[depth - 1]);
	align = bmap_align(fs, lblk, want); /* from the whole write's max */
	/* A hole above the leaf may span many leaves: fill this leaf only. */
	room = (depth == 1 ? EXT2_NDIR_BLOCKS : fs->addr_per_block) -
	       off[depth - 1];
	if (max > room)
		max = room;
	ret = ext2_new_blocks_aligned(fs, goal, max, align, data, n);
	if (ret)
		return ret;
	goal = ext2_group_first_block(fs, ((*data - fs->first_data_block) /
				       fs->blocks_per_group + 1) % fs->groups_count);
	while (got < nind) {
		uint32_t s, c;

		ret = ext2_new_blocks(fs, goal, nind - got, &s, &c);
		if (ret)
			goto fail;
		for (i = 0; i < c; i++)
			ind[got++] = s + i;
		goal = s + c;
	}
	return 0;
fail:
	for (i = 0; i < got; i++)
		ext2_free_blocks(fs, ind[i], 1);
	ext2_free_blocks(fs, *data, *n);
	return ret;
}

/*
 * Steps 2 and 3 of bmap_alloc: zero the n data blocks at data and the
 * nind new indirect blocks ind[], fill those with the path's pointers,
 * drain; then make the branch reachable with one store into
 * chain[level] (or, with no new indirect block, store the data blocks
 * into the existing leaf).  The data blocks are zeroed first, guarded:
 * -EIO (nothing spliced, no message) if their memory is lost.
 */
static int bmap_splice(struct ext2_inode_info *inode, const uint32_t off[4],
		       le32 *chain[4], int level, le32 *leaf,
		       const uint32_t ind[3], uint32_t nind, uint32_t data,
		       uint32_t n)
{
	struct ext2_sb_info *fs = inode->fs;
	struct region *rgn = fs->rgn;
	uint32_t i;

	/* 2. zero everything new, fill the new indirect blocks, drain. */
	if (dax_zero_guarded(rgn, ext2_block(fs, data),
			     (size_t)n << fs->blocksize_bits,
			     PMEM2_F_MEM_NODRAIN))
		return -EIO;
	for (i = 0; i < nind; i++)
		rgn->memset(ext2_block(fs, ind[i]), 0, fs->blocksize,
			    PMEM2_F_MEM_NODRAIN);
	for (i = 0; i < nind; i++) {
		le32 *t = (le32 *)ext2_block(fs, ind[i]);
		uint32_t o = off[level + 1 + i];

		if (i + 1 < nind) {
			t[o] = le32_put(ind[i + 1]);
			region_flush(rgn, &t[o], 4);
		} else {
			leaf = t + o;
		}
	}
	if (nind) {
		for (i = 0; i < n; i++)
			leaf[i] = le32_put(data + i);
		region_flush(rgn, leaf, n * 4);
		region_drain(rgn);
		/* 3. one store makes the whole branch reachable. */
		ext2_jlog_zero(chain[level], 4);
		*chain[level] = le32_put(ind[0]);
		ext2_persist(fs, chain[level], 4);
	} else {
		region_drain(rgn);
		ext2_jlog_zero(leaf, n * 4); /* a hole: the pointers were 0 */
		for (i = 0; i < n; i++)
			leaf[i] = le32_put(data + i);
		ext2_persist(fs, leaf, n * 4);
	}
	return 0;
}

/*
 * Allocate blocks for the hole at lblk found by bmap_walk (at most max
 * data blocks plus the indirect blocks the path lacks), zero them and
 * splice them in, in the order written at the top of this file.  Called
 * with bmap_lock held exclusively.
 */
static int bmap_alloc(struct ext2_inode_info *inode, uint32_t lblk, uint32_t max,
		      uint32_t want, const uint32_t off[4], int depth,
		      le32 *chain[4], int level, uint32_t *pblk,
		      uint32_t *count)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t ind[3], nind = depth - 1 - level, data, n;
	le32 *leaf = level == depth - 1 ? chain[depth - 1] : NULL;
	int ret;

	DAXFS_ASSERT_WRITE_LOCKED(&inode->bmap_lock);
	ret = bmap_take(inode, lblk, max, want, off, depth, leaf, nind, ind,
			&data, &n);
	if (ret)
		return ret;
	if (bmap_splice(inode, off, chain, level, leaf, ind, nind, data, n)) {
		for (uint32_t i = 0; i < nind; i++)
			ext2_free_blocks(fs, ind[i], 1);
		ext2_free_blocks(fs, data, n);
		return err_set(-EIO, "I/O error: the %u new block(s) at %u "
			       "cannot be zeroed (their memory is lost or "
			       "poisoned)", n, data);
	}
	/* 4. */
	ext2_jlog_iblocks(&inode->raw->i_blocks);
	raw_store32(&inode->raw->i_blocks, raw_load32(&inode->raw->i_blocks) +
		    ((nind + n) << (fs->blocksize_bits - 9)));
	ext2_persist(fs, &inode->raw->i_blocks, 4);
	inode->alloc_goal = data + n;
	inode->alloc_next_lblk = lblk + n;
	*pblk = data;
	*count = n;
	return 0;
}

/*
 * bmap_alloc as an atomic operation (journal.h).  A hole below EOF is
 * filled by an operation of its own, committed before bmap_lock is
 * dropped: faults reach those blocks at once, and another allocation may
 * hang its blocks under the indirect blocks taken here.  Past EOF (a
 * write or a directory growing, under i_rwsem) only the caller reaches
 * them, and they join the caller's operation, which moves i_size too.
 */
static int bmap_alloc_atomic(struct ext2_inode_info *inode, uint32_t lblk,
			     uint32_t max, uint32_t want,
			     const uint32_t off[4], int depth, le32 *chain[4],
			     int level, uint32_t *pblk, uint32_t *count)
{
	struct ext2_sb_info *fs = inode->fs;
	uint64_t eof = (ext2_i_size(inode) + fs->blocksize - 1) >>
		       fs->blocksize_bits;
	struct ext2_jh h, *prev;
	int ret;

	if (lblk >= eof)
		return bmap_alloc(inode, lblk, max, want, off, depth, chain,
				  level, pblk, count);
	if (max > eof - lblk)
		max = eof - lblk; /* the rest is past EOF: the caller's */
	ext2_jpush(fs, &h, &prev);
	ret = bmap_alloc(inode, lblk, max, want, off, depth, chain, level,
			 pblk, count);
	ext2_jpop(&h, prev);
	return ret;
}

/*
 * Map logical blocks [lblk, lblk+max): a contiguous run of *count blocks
 * from *pblk, or a hole (*pblk == 0).  With create, a hole is filled with
 * zeroed blocks first and *is_new is set.
 */
int ext2_bmap(struct ext2_inode_info *inode, uint32_t lblk, uint32_t max,
	       bool create, uint32_t *pblk, uint32_t *count, bool *is_new)
{
	uint32_t off[4];
	le32 *chain[4];
	int depth, level, ret = 0;
	bool hit;

	*is_new = false;
	hit = ext2_extent_cache_lookup(inode, lblk, max, pblk, count);
	if (hit && *count == max)
		return 0;
	down_read(&inode->bmap_lock);
	if (!hit) {
		ret = bmap_walk(inode, lblk, max, off, &depth, chain, &level,
				pblk, count);
		if (!ret && *pblk)
			bmap_cache_fill(inode, lblk, off, depth, chain, *pblk);
	}
	/* A hole, or a run (cached or not), may go on past its leaf: report
	 * it whole (a 2 MiB fault needs to see 512 contiguous blocks). */
	while (!ret && *count < max) {
		uint32_t p2, c2;

		if (bmap_walk(inode, lblk + *count, max - *count, off, &depth,
			      chain, &level, &p2, &c2))
			break;
		if (*pblk ? p2 != *pblk + *count : p2 != 0)
			break;
		if (p2)
			bmap_cache_fill(inode, lblk + *count, off, depth, chain,
					p2);
		*count += c2;
	}
	up_read(&inode->bmap_lock);
	if (ret || *pblk || !create)
		return ret;

	down_write(&inode->bmap_lock);
	/* Walk again: another thread may have filled the hole meanwhile. */
	ret = bmap_walk(inode, lblk, max, off, &depth, chain, &level, pblk,
			count);
	if (!ret && !*pblk) {
		ret = bmap_alloc_atomic(inode, lblk, *count, max, off, depth,
					chain, level, pblk, count);
		*is_new = !ret;
	}
	up_write(&inode->bmap_lock);
	return ret;
}

/*
 * The pointer slots of the leaf holding lblk, from lblk on: *slot, and
 * *n cut to the end of the leaf.  For an atomic write (cow.c), which
 * mapped its range first: -EIO if the leaf is missing.  Called with
 * bmap_lock held exclusively.
 */
int ext2_bmap_slots(struct ext2_inode_info *inode, uint32_t lblk, uint32_t *n,
		    le32 **slot)
{
	uint32_t room;
	int ret;

	DAXFS_ASSERT_WRITE_LOCKED(&inode->bmap_lock);
	ret = ext2_bmap_leaf_slots(inode, lblk, slot, &room);
	if (ret == -ENOENT)
		return err_set(-EIO, "inode %u: block %u lost its leaf",
			       inode->ino, lblk);
	if (ret)
		return ret;
	if (*n > room)
		*n = room;
	return 0;
}

/* The leaf slots from lblk to the end of its leaf (see ext2.h). */
int ext2_bmap_leaf_slots(struct ext2_inode_info *inode, uint32_t lblk,
			 le32 **slot, uint32_t *n)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t off[4], pblk, count;
	le32 *chain[4];
	int depth, level, ret;

	ret = bmap_walk(inode, lblk, 1, off, &depth, chain, &level, &pblk,
			&count);
	if (ret)
		return ret;
	if (level < depth - 1)
		return -ENOENT;
	*n = (depth == 1 ? EXT2_NDIR_BLOCKS : fs->addr_per_block) -
	     off[depth - 1];
	*slot = chain[depth - 1];
	return 0;
}

/*
 * For a walk over a range of the map (a punched hole, bmap_free.c): the
 * pointer slots of the leaf holding lblk, *slot and *n of them (at most
 * max, cut to the end of the leaf); or, where the path lacks the leaf,
 * *slot NULL and *n the blocks of that hole (at most max).  Called with
 * bmap_lock held.
 */
int ext2_bmap_leaf(struct ext2_inode_info *inode, uint32_t lblk, uint32_t max,
		   uint32_t *n, le32 **slot)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t off[4], pblk, count, room;
	le32 *chain[4];
	int depth, level, ret;

	ret = bmap_walk(inode, lblk, max, off, &depth, chain, &level, &pblk,
			&count);
	if (ret)
		return ret;
	if (level < depth - 1) {
		*slot = NULL;
		*n = count;
		return 0;
	}
	room = (depth == 1 ? EXT2_NDIR_BLOCKS : fs->addr_per_block) -
	       off[depth - 1];
	*slot = chain[depth - 1];
	*n = max < room ? max : room;
	return 0;
}

/*
 * Give the hole at off (walked: chain, level, depth) its missing
 * indirect blocks ind[0..nind) (taken by the caller inside its
 * operation): zeroed, chained, drained, then spliced in with one store
 * and counted, as bmap_alloc does without the data blocks.
 */
static void bmap_make_leaf(struct ext2_inode_info *inode, const uint32_t off[4],
			   le32 *chain[4], int level, const uint32_t *ind,
			   uint32_t nind)
{
	struct ext2_sb_info *fs = inode->fs;
	struct region *rgn = fs->rgn;
	uint32_t i;

	for (i = 0; i < nind; i++)
		rgn->memset(ext2_block(fs, ind[i]), 0, fs->blocksize,
			    PMEM2_F_MEM_NODRAIN);
	for (i = 0; i + 1 < nind; i++) {
		le32 *t = (le32 *)ext2_block(fs, ind[i]) + off[level + 1 + i];

		*t = le32_put(ind[i + 1]);
		region_flush(rgn, t, 4);
	}
	region_drain(rgn);
	ext2_jlog_zero(chain[level], 4);
	*chain[level] = le32_put(ind[0]);
	ext2_persist(fs, chain[level], 4);
	ext2_jlog_iblocks(&inode->raw->i_blocks);
	raw_store32(&inode->raw->i_blocks, raw_load32(&inode->raw->i_blocks) +
		    (nind << (fs->blocksize_bits - 9)));
	ext2_persist(fs, &inode->raw->i_blocks, 4);
}

/*
 * ext2_bmap_slots, making the leaf first where a hole lacks one, with
 * indirect blocks from the end of pool[0..*npool) (cow.c takes them
 * before it changes anything, so that nothing can fail here): -ENOSPC
 * if the pool runs short.  Called with bmap_lock held exclusively.
 */
int ext2_bmap_slots_make(struct ext2_inode_info *inode, uint32_t lblk,
			 uint32_t *n, le32 **slot, const uint32_t *pool,
			 uint32_t *npool)
{
	uint32_t off[4], pblk, count, nind;
	le32 *chain[4];
	int depth, level, ret;

	ret = bmap_walk(inode, lblk, 1, off, &depth, chain, &level, &pblk,
			&count);
	if (ret)
		return ret;
	if (level < depth - 1) {
		nind = depth - 1 - level;
		if (nind > *npool)
			return err_set(-ENOSPC, "inode %u: no indirect block "
				       "left for block %u", inode->ino, lblk);
		*npool -= nind;
		bmap_make_leaf(inode, off, chain, level, pool + *npool, nind);
	}
	return ext2_bmap_slots(inode, lblk, n, slot);
}

/*
 * Start loading the data at pos before the caller takes its locks: on a
 * large region the page walk and the cache miss of a random read's first
 * byte cost as much as the locks and the lookup together, and a prefetch
 * lets them overlap.  A hint only, from the extent cache without locks: a
 * stale answer costs nothing, and a prefetch never faults.
 */
void ext2_bmap_prefetch(struct ext2_inode_info *inode, uint64_t pos)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t pblk, count;

	if (pos >> fs->blocksize_bits <= UINT32_MAX &&
	    ext2_extent_cache_lookup(inode, pos >> fs->blocksize_bits, 1,
				      &pblk, &count))
		__builtin_prefetch((unsigned char *)ext2_block(fs, pblk) +
				   (pos & (fs->blocksize - 1)));
}

/*
 * Take blocks for a write past EOF without linking them (see the top of
 * this file), and for an append some ahead of it (prealloc.c).  Returns
 * 1 when it did, 0 when the normal path must run (no leaf yet: the path
 * needs indirect blocks), or a negative errno.
 */
int ext2_bmap_reserve_past_eof(struct ext2_inode_info *inode, uint32_t lblk,
			       uint32_t max, uint32_t *pblk, uint32_t *count)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t off[4], p, c, goal, n, ahead;
	le32 *chain[4];
	int depth, level, ret;

	DAXFS_ASSERT_WRITE_LOCKED(&inode->i_rwsem);
	ahead = ext2_prealloc_want(inode, lblk);
	ahead = ahead < UINT32_MAX - max ? ahead : UINT32_MAX - max;
	down_write(&inode->bmap_lock);
	ret = bmap_walk(inode, lblk, max + ahead, off, &depth, chain, &level,
			&p, &c);
	if (ret || p || level != depth - 1) {
		up_write(&inode->bmap_lock);
		return ret;
	}
	n = (depth == 1 ? EXT2_NDIR_BLOCKS : fs->addr_per_block) -
	    off[depth - 1];
	c = c < n ? c : n;
	goal = bmap_goal(inode, lblk, chain[depth - 1] - off[depth - 1],
			 off[depth - 1]);
	ret = ext2_new_blocks_aligned(fs, goal, c, bmap_align(fs, lblk, max),
				       pblk, count);
	if (!ret) {
		inode->pend_lblk = lblk;
		inode->pend_data = *pblk;
		inode->pend_n = *count;
		inode->pend_ahead = *count > max ? *count - max : 0;
		inode->pend_leaf = chain[depth - 1];
		inode->alloc_goal = *pblk + *count;
		inode->alloc_next_lblk = lblk + *count;
	}
	up_write(&inode->bmap_lock);
	return ret ? ret : 1;
}

/* Link the n reserved blocks (ext2_bmap_reserve_past_eof) and count
 * them, and move the size to grow_to if it grows: the pointers,
 * i_blocks and the size logged in one batch and one fence with what the
 * caller flushed before (data, zeros), then stored; the commit fences
 * them. */
static void bmap_link_pend(struct ext2_inode_info *inode, uint32_t n,
			   uint64_t grow_to)
{
	struct ext2_sb_info *fs = inode->fs;
	struct region *rgn = fs->rgn;
	bool grow = grow_to > ext2_i_size(inode);
	uint32_t i;

	down_write(&inode->bmap_lock);
	ext2_jbatch(true);
	ext2_jlog_zero(inode->pend_leaf, n * 4);
	ext2_jlog_iblocks(&inode->raw->i_blocks);
	if (grow)
		ext2_inode_log_size(inode, grow_to);
	ext2_jbatch(false);
	region_drain(rgn); /* data, zeros and records before the link */
	for (i = 0; i < n; i++)
		inode->pend_leaf[i] = le32_put(inode->pend_data + i);
	region_flush(rgn, inode->pend_leaf, n * 4);
	raw_store32(&inode->raw->i_blocks, raw_load32(&inode->raw->i_blocks) +
		    (n << (fs->blocksize_bits - 9)));
	/* i_size shares i_blocks' line: one flush, after both stores (a
	 * flush may evict the line: a store after it would miss). */
	if (grow)
		ext2_inode_store_size(inode, grow_to);
	else
		region_flush(rgn, &inode->raw->i_blocks, 4);
	if (!ext2_jfence_later())
		region_drain(rgn);
	up_write(&inode->bmap_lock);
}

/* Link the reserved blocks once written bytes from pos are in them: zero
 * what the write did not cover (but blocks taken ahead), then link them
 * (bmap_link_pend) with the size that covers the bytes. */
void ext2_bmap_link_reserved(struct ext2_inode_info *inode, uint64_t pos,
			     ssize_t written)
{
	struct ext2_sb_info *fs = inode->fs;
	struct region *rgn = fs->rgn;
	uint32_t bits = fs->blocksize_bits, n = inode->pend_n;
	uint64_t start = (uint64_t)inode->pend_lblk << bits;
	uint64_t end = start + ((uint64_t)n << bits), wend;
	unsigned char *base = ext2_block(fs, inode->pend_data);

	inode->pend_n = 0;
	if (written <= 0) {
		ext2_free_blocks(fs, inode->pend_data, n);
		inode->alloc_goal = 0;
		return;
	}
	/* Guarded: where the memory is lost (the write stopped there with
	 * -EIO), reads of it fail the same way, zeroed or not. */
	if (pos > start)
		(void)dax_zero_guarded(rgn, base, pos - start,
				       PMEM2_F_MEM_NODRAIN);
	/* Blocks taken ahead (prealloc.c) are not zeroed: nothing reads
	 * them before an append writes them. */
	wend = end - ((uint64_t)inode->pend_ahead << bits);
	if (pos + written < wend)
		(void)dax_zero_guarded(rgn, base + (pos + written - start),
				       wend - pos - written,
				       PMEM2_F_MEM_NODRAIN);
	if (wend < end)
		ext2_prealloc_taken(inode);
	bmap_link_pend(inode, n, pos + written);
}

/* Link every reserved block as taken ahead (prealloc.c: for atomic
 * writes to take), unzeroed, in the caller's operation. */
void ext2_bmap_link_ahead(struct ext2_inode_info *inode)
{
	uint32_t n = inode->pend_n;

	inode->pend_n = 0;
	ext2_prealloc_taken(inode);
	bmap_link_pend(inode, n, 0);
}
