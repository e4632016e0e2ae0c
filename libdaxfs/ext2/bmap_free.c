/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bmap_free.c -- freeing the blocks of the block map past a size
 * (truncate, the final free of an inode) or in a range (a punched hole,
 * ext2_free_range: journaled steps, see there), and counting a map's
 * blocks for recovery.
 *
 * Persistence order when blocks are removed (i_size moved first, in an
 * operation that also put the inode on the orphan chain, inode.c):
 *   1. the tail of the new last block is zeroed (inode.c);
 *   2. bottom up, run by run: under the group lock the bits are cleared
 *      and persisted, then the pointers zeroed and persisted; a table
 *      is freed (and its slot zeroed) once it holds no pointer;
 *   3. i_blocks is updated and persisted.
 * A crash anywhere leaves a tree that the same truncate, run again by
 * the next mount (orphan.c), finishes; no block is leaked, and none is
 * handed out while a pointer to it is on the media.
 *
 * Locking: bmap_lock exclusively, under i_rwsem and dax_sem held
 * exclusively, so no fault or I/O can use a block being freed; the
 * extent cache is emptied before any block is (see bmap.c).
 */
#include <errno.h>
#include <string.h>

#include "ext2/ext2.h"

/* A truncate in progress: the inode and the blocks it freed so far. */
struct cut {
	struct ext2_inode_info *inode;
	uint64_t freed;
};

/* Zero one pointer that is out of range (damage), persisted. */
static void cut_bad(struct cut *c, le32 *p, uint32_t b)
{
	ext2_corrupt(c->inode->fs, "inode %u: block %u out of range",
		      c->inode->ino, b);
	*p = 0;
	ext2_persist(c->inode->fs, p, 4);
}

/* The run of pointers from p[0] (a valid block) within p[0..n):
 * contiguous blocks of one group. */
static uint32_t ptr_run(struct ext2_sb_info *fs, const le32 *p, uint32_t n)
{
	uint32_t b = le32_get(p[0]), k;

	for (k = 1; k < n && le32_get(p[k]) == b + k &&
		    ext2_block_valid(fs, b + k) &&
		    (b + k - fs->first_data_block) % fs->blocks_per_group;
	     k++)
		;
	return k;
}

/* The next run of p[*i..n) to free, at most max pointers: *i moves past
 * holes and over bad pointers (reported, zeroed: cut_bad) to its start;
 * its length, or 0 at the end. */
static uint32_t next_run(struct cut *c, le32 *p, uint32_t n, uint32_t *i,
			 uint32_t max)
{
	struct ext2_sb_info *fs = c->inode->fs;

	for (; *i < n; ++*i) {
		uint32_t b = le32_get(p[*i]);

		if (b && ext2_block_valid(fs, b))
			return ptr_run(fs, &p[*i], n - *i < max ? n - *i : max);
		if (b)
			cut_bad(c, &p[*i], b);
	}
	return 0;
}

/* Free the blocks the pointers p[0..n) map, run by run (contiguous
 * blocks of one group), each with ext2_free_blocks_unlink. */
static void cut_ptrs(struct cut *c, le32 *p, uint32_t n)
{
	uint32_t i = 0, k;

	while ((k = next_run(c, p, n, &i, n))) {
		ext2_free_blocks_unlink(c->inode->fs, le32_get(p[i]), k, &p[i]);
		c->freed += k;
		i += k;
	}
}

/*
 * Cut the subtree hanging from slot (a table of the given height, 1: a
 * leaf of data pointers) from its start-th block on, bottom up: a table
 * is freed (and slot zeroed) only once every pointer in it is zero, so
 * a crash at any point leaves a tree that a second cut finishes.
 */
static void cut_subtree(struct cut *c, le32 *slot, int height, uint64_t start)
{
	struct ext2_sb_info *fs = c->inode->fs;
	uint32_t blk = le32_get(*slot), ab = fs->addr_per_block_bits;
	uint64_t span = 1ULL << (ab * (height - 1)); /* blocks per slot */
	uint32_t i, ci = start / span;
	le32 *t;

	if (!blk)
		return;
	if (!ext2_block_valid(fs, blk)) {
		cut_bad(c, slot, blk);
		return;
	}
	t = ext2_block(fs, blk);
	if (height == 1) {
		cut_ptrs(c, t + ci, fs->addr_per_block - ci);
	} else {
		if (start % span)
			cut_subtree(c, &t[ci++], height - 1, start % span);
		for (i = ci; i < fs->addr_per_block; i++)
			cut_subtree(c, &t[i], height - 1, 0);
	}
	if (start == 0) {
		ext2_free_blocks_unlink(fs, blk, 1, slot);
		c->freed++;
	}
}

/*
 * Free every block past size (i_size is set by the caller, before):
 * pointers from the end of the direct ones through the triple indirect
 * tree, each run freed as ext2_free_blocks_unlink says, then i_blocks.
 * Finishing a cut a crash interrupted is the same call again (orphan.c
 * does it at mount, then recounts i_blocks).  Called with i_rwsem and
 * dax_sem held exclusively (ext2's __ext2_truncate_blocks runs under
 * dax_sem), or at mount.
 */
int ext2_truncate_blocks(struct ext2_inode_info *inode, uint64_t size)
{
	struct ext2_sb_info *fs = inode->fs;
	struct ext2_inode *raw = inode->raw;
	uint64_t first = (size + fs->blocksize - 1) >> fs->blocksize_bits;
	uint64_t start = EXT2_NDIR_BLOCKS, blocks;
	struct cut c = { .inode = inode };
	int h;

	DAXFS_ASSERT_WRITE_LOCKED(&inode->dax_sem);
	down_write(&inode->bmap_lock);
	ext2_extent_cache_clear(inode); /* before any block is freed */
	if (first < EXT2_NDIR_BLOCKS)
		cut_ptrs(&c, &raw->i_block[first], EXT2_NDIR_BLOCKS - first);
	for (h = 1; h <= 3; h++) {
		uint64_t span = 1ULL << (fs->addr_per_block_bits * h);

		if (first < start + span)
			cut_subtree(&c, &raw->i_block[EXT2_NDIR_BLOCKS + h - 1],
				    h, first > start ? first - start : 0);
		start += span;
	}
	blocks = raw_load32(&raw->i_blocks);
	c.freed <<= fs->blocksize_bits - 9;
	if (c.freed) {
		raw_store32(&raw->i_blocks, (uint32_t)(c.freed < blocks ?
						       blocks - c.freed : 0));
		ext2_persist(fs, &raw->i_blocks, 4);
	}
	inode->alloc_goal = 0;
	up_write(&inode->bmap_lock);
	return 0;
}

/* Pointers one run of a punch frees with one record at most (their old
 * bytes: 512). */
#define PUNCH_RUN_MAX 128
/* Room a punch's operation keeps for one more run: the pointers' record,
 * the bits freed, i_blocks, with a margin. */
#define PUNCH_STEP_ROOM (PUNCH_RUN_MAX * 4 + 4 * 32 + 64)

/* Must the punch's operation commit before its next run (its slot or its
 * list of deferred frees nearly full)? */
static bool punch_step_full(void)
{
	struct ext2_jh *h = ext2_jcur;

	return h && h->fs &&
	       (ext2_jroom() < PUNCH_STEP_ROOM || h->ndefer + 1 >= h->cap);
}

/* Free one run of a punched hole (k pointers at p, one group): the
 * pointers logged (undo puts them back) and zeroed, the blocks freed at
 * the commit of the step (ext2_free_blocks_unlink defers them), i_blocks
 * moved in the same step. */
static void punch_run(struct cut *c, le32 *p, uint32_t k)
{
	struct ext2_sb_info *fs = c->inode->fs;
	struct ext2_inode *raw = c->inode->raw;
	uint32_t blocks, sect = k << (fs->blocksize_bits - 9);

	ext2_jlog(p, (size_t)k * 4);
	ext2_free_blocks_unlink(fs, le32_get(p[0]), k, p);
	ext2_jlog_iblocks(&raw->i_blocks);
	blocks = raw_load32(&raw->i_blocks);
	raw_store32(&raw->i_blocks, blocks > sect ? blocks - sect : 0);
	ext2_persist(fs, &raw->i_blocks, 4);
	c->freed += k;
}

/* Free the blocks of the leaf pointers p[0..n) of a punched hole, run by
 * run, committing a step (ext2_jrestart) whenever the next run might not
 * fit the operation. */
static void punch_ptrs(struct cut *c, le32 *p, uint32_t n)
{
	uint32_t i = 0, k;

	while ((k = next_run(c, p, n, &i, PUNCH_RUN_MAX))) {
		if (punch_step_full())
			ext2_jrestart();
		punch_run(c, &p[i], k);
		i += k;
	}
}

/*
 * Free the data blocks of logical blocks [first, end) (a punched hole,
 * falloc.c) inside the caller's operation, in committed steps: each
 * step's pointers are logged and zeroed, its blocks freed at its commit
 * (deferred: no one takes them while a crash could still put the
 * pointers back) and i_blocks moved with them, so a crash leaves every
 * step whole or undone.  Indirect blocks stay, even those that map
 * nothing any more (e2fsck accepts them; a refill uses them again).
 * Called with i_rwsem and dax_sem held exclusively, after dax_punch.
 */
int ext2_free_range(struct ext2_inode_info *inode, uint64_t first,
		    uint64_t end)
{
	struct cut c = { .inode = inode };
	uint64_t lblk = first, max;
	uint32_t n = 0;
	le32 *p;
	int ret = 0;

	DAXFS_ASSERT_WRITE_LOCKED(&inode->dax_sem);
	down_write(&inode->bmap_lock);
	ext2_extent_cache_clear(inode); /* before any block is freed */
	while (!ret && lblk < end) {
		max = end - lblk < UINT32_MAX ? end - lblk : UINT32_MAX;
		ret = ext2_bmap_leaf(inode, (uint32_t)lblk, (uint32_t)max, &n,
				     &p);
		if (!ret && p)
			punch_ptrs(&c, p, n);
		lblk += n;
	}
	inode->alloc_goal = 0;
	up_write(&inode->bmap_lock);
	return ret;
}

/* Count the blocks of raw's tree below table blk of the given height
 * (itself included), skipping pointers out of range. */
static uint32_t count_table(struct ext2_sb_info *fs, uint32_t blk, int height)
{
	const le32 *t = ext2_block(fs, blk);
	uint32_t i, n = 1;

	for (i = 0; i < fs->addr_per_block; i++) {
		uint32_t b = le32_get(t[i]);

		if (b && ext2_block_valid(fs, b))
			n += height == 1 ? 1 : count_table(fs, b, height - 1);
	}
	return n;
}

/* i_blocks as raw's block map (and xattr block) says it should be, for
 * recovery (journal.c, orphan.c); 0 for inodes without a block map. */
uint32_t ext2_bmap_count(struct ext2_sb_info *fs, const struct ext2_inode *raw)
{
	uint16_t mode = le16_get(raw->i_mode);
	uint32_t n = le32_get(raw->i_file_acl) != 0, i, b;

	if (S_ISREG(mode) || S_ISDIR(mode) ||
	    (S_ISLNK(mode) && le32_get(raw->i_size) >= sizeof(raw->i_block))) {
		for (i = 0; i < EXT2_N_BLOCKS; i++) {
			b = le32_get(raw->i_block[i]);
			if (!b || !ext2_block_valid(fs, b))
				continue;
			n += i < EXT2_NDIR_BLOCKS ? 1 :
			     count_table(fs, b, i - EXT2_NDIR_BLOCKS + 1);
		}
	}
	return n << (fs->blocksize_bits - 9);
}

/* Runs being collected by ext2_bmap_runs. */
struct runs {
	struct ext2_sb_info *fs;
	uint32_t (*run)[2];
	unsigned n, max;
};

/* Add block b to the runs (a new run at a group's start); false when
 * there are more runs than room. */
static bool runs_add(struct runs *r, uint32_t b)
{
	struct ext2_sb_info *fs = r->fs;
	uint32_t *last = r->n ? r->run[r->n - 1] : NULL;

	if (last && last[0] + last[1] == b &&
	    (b - fs->first_data_block) % fs->blocks_per_group)
		return ++last[1], true;
	if (r->n == r->max)
		return false;
	r->run[r->n][0] = b;
	r->run[r->n++][1] = 1;
	return true;
}

/* Collect the blocks of table blk of the given height and blk itself. */
static bool runs_table(struct runs *r, uint32_t blk, int height)
{
	const le32 *t = ext2_block(r->fs, blk);
	uint32_t i, b;

	for (i = 0; i < r->fs->addr_per_block; i++) {
		b = le32_get(t[i]);
		if (!b || !ext2_block_valid(r->fs, b))
			continue;
		if (!(height == 1 ? runs_add(r, b) : runs_table(r, b, height - 1)))
			return false;
	}
	return runs_add(r, blk);
}

/*
 * The blocks of raw's map (data and indirect), as runs that each lie in
 * one group, into run[0..max): how many, or -1 if more than max (an
 * unlink then frees through the orphan chain instead).  For the unlink
 * that frees a closed file inside its own operation (namei.c).
 */
int ext2_bmap_runs(struct ext2_sb_info *fs, const struct ext2_inode *raw,
		   uint32_t (*run)[2], unsigned max)
{
	struct runs r = { .fs = fs, .run = run, .max = max };
	uint32_t i, b;

	for (i = 0; i < EXT2_N_BLOCKS; i++) {
		b = le32_get(raw->i_block[i]);
		if (!b || !ext2_block_valid(fs, b))
			continue;
		if (!(i < EXT2_NDIR_BLOCKS ? runs_add(&r, b)
		      : runs_table(&r, b, i - EXT2_NDIR_BLOCKS + 1)))
			return -1;
	}
	return (int)r.n;
}
