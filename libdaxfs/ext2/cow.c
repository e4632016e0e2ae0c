/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cow.c -- atomic writes (daxfs_pwrite2 with DAXFS_WRITE_ATOMIC, issue
 * 11 item 7): a write of up to ext2_cow_max() bytes that a crash leaves
 * wholly old or wholly new, by copy-on-write, so that a database needs
 * no double-write buffer.
 *
 *   1. the range's blocks are looked up (holes noted);
 *   2. new blocks are taken: for a write within EOF without holes, the
 *      blocks taken ahead past EOF (prealloc.c), whose slots get the old
 *      blocks at step 3 (nothing allocated or freed: no bitmap change);
 *      else allocated (logged, as every allocation), and, if the range
 *      has holes, a pool of indirect blocks for the leaves they may
 *      lack.  The new blocks are filled: the old bytes around the
 *      write in its first and last blocks (zeros for holes and past the
 *      old EOF), the new bytes between, flushed and drained.  A failure
 *      up to here frees what was taken and changes nothing else;
 *   3. under dax_sem held exclusively (the block map changes under the
 *      views, as a hole punch does: seed 002), the views' pages of the
 *      range are moved to the new blocks, missing leaves made from the
 *      pool, the leaf pointers switched (their old values logged), the
 *      old blocks and the unused pool freed at the commit
 *      (ext2_jdefer_free), and i_size moved if the write extends;
 *      nothing here can fail but on damage;
 *   4. the operation commits (journal.h): one 8-byte store makes all of
 *      it the file's; a crash before it undoes every step.
 * Called with i_rwsem held exclusively; the commit is the caller's.
 */
#include <errno.h>
#include <string.h>

#include "core/mem.h"
#include "dax/mapping.h"
#include "dax/view.h"
#include "ext2/ext2.h"

/* An atomic write in progress. */
struct cow {
	struct ext2_inode_info *inode;
	const unsigned char *buf;
	uint64_t pos, size;            /* the write's offset; old i_size */
	size_t len;
	uint32_t first, nb;            /* its logical blocks */
	uint32_t *old, *new;           /* their blocks before (0: a hole)
					  and after */
	uint32_t nnew;                 /* new blocks taken so far */
	uint32_t pool[16], npool;      /* indirect blocks for holes */
	le32 *ahead;                   /* new blocks from those taken ahead:
					  their slots past EOF (2a') */
};

/* The largest atomic write on fs: 1 MiB, or 512 blocks (the old
 * pointers must fit one journal slot). */
size_t ext2_cow_max(struct ext2_sb_info *fs)
{
	size_t max = (size_t)512 << fs->blocksize_bits;

	return max < DAXFS_ATOMIC_WRITE_MAX ? max : DAXFS_ATOMIC_WRITE_MAX;
}

/* Step 1: look the range's blocks up into c->old (0 for a hole);
 * whether it has a hole. */
static int cow_lookup_old(struct cow *c, bool *holes)
{
	uint32_t i = 0, p, n, k;
	bool is_new;
	int ret;

	*holes = false;
	while (i < c->nb) {
		ret = ext2_bmap(c->inode, c->first + i, c->nb - i, false, &p,
				&n, &is_new);
		if (ret)
			return ret;
		*holes |= !p;
		for (k = 0; k < n && i < c->nb; k++)
			c->old[i++] = p ? p + k : 0;
	}
	return 0;
}

/* Step 2a': the pool of indirect blocks the holes' leaves may need: at
 * most 3 for each leaf the range touches (a leaf maps 1024 blocks of 4
 * KiB, 256 of 1 KiB: a range of 513 blocks touches at most 4). */
static int cow_alloc_pool(struct cow *c)
{
	struct ext2_sb_info *fs = c->inode->fs;
	uint32_t bits = fs->addr_per_block_bits, s, n;
	uint32_t want = 3 * (((c->first + c->nb - 1) >> bits) -
			     (c->first >> bits) + 2);
	int ret;

	if (want > sizeof(c->pool) / sizeof(c->pool[0]))
		want = sizeof(c->pool) / sizeof(c->pool[0]);
	while (c->npool < want) {
		ret = ext2_new_blocks(fs, c->inode->alloc_goal, want - c->npool,
				      &s, &n);
		if (ret)
			return ret;
		while (n--)
			c->pool[c->npool++] = s++;
	}
	return 0;
}

/* Runs of contiguous blocks in b[0..n), holes (0) not counted. */
static uint32_t cow_runs(const uint32_t *b, uint32_t n)
{
	uint32_t i, runs = 0;

	for (i = 0; i < n; i++)
		runs += b[i] && (i == 0 || b[i] != b[i - 1] + 1);
	return runs;
}

/* Step 2a: take c->nb new blocks, as few runs as the free space allows
 * and the journal slot can log: a new run costs one record (two if the
 * write fails), and the records still to come are kept room for (the
 * old pointers, the size, one per old run freed at the commit). */
static int cow_alloc_new(struct cow *c)
{
	struct ext2_sb_info *fs = c->inode->fs;
	size_t keep = (size_t)c->nb * 4 + 512 + 32 * cow_runs(c->old, c->nb);
	uint32_t s, n, goal = c->old[c->nb - 1] ? c->old[c->nb - 1] + 1
					       : c->inode->alloc_goal;
	int ret;

	while (c->nnew < c->nb) {
		if (ext2_jroom() < keep + 64 + 32 * cow_runs(c->new, c->nnew))
			return err_set(-ENOSPC, "no room for an atomic write of "
				       "%u blocks: the free space is too "
				       "fragmented", c->nb);
		ret = ext2_new_blocks(fs, goal, c->nb - c->nnew, &s, &n);
		if (ret)
			return ret;
		while (n--)
			c->new[c->nnew++] = s++;
		goal = s;
	}
	return 0;
}

/* dax_copy_guarded's probe: a load from every page of src. */
static void cow_probe(void *ctx, void *dst, const void *src, size_t len)
{
	const volatile unsigned char *b = src;
	size_t i;

	(void)ctx;
	(void)dst;
	for (i = 0; i < len; i += 4096 - ((uintptr_t)(b + i) & 4095))
		(void)b[i];
	(void)b[len - 1];
}

/* Step 2a from blocks taken ahead, for a write within EOF and without
 * holes: its new blocks are the blocks taken ahead past EOF
 * (ext2_prealloc_pool), which its old blocks replace there at the
 * switch.  0, 1 when there are none to
 * take (then step 2a allocates), or a negative errno. */
static int cow_take_ahead(struct cow *c, bool holes)
{
	uint32_t i;
	int ret;

	if (holes || c->pos + c->len > c->size)
		return 1;
	/* Taking blocks ahead changes the media: not for a bad buffer. */
	if (dax_copy_guarded(NULL, c->buf, c->len, cow_probe, NULL))
		return err_set(-EFAULT, "bad address: the buffer [%p, +%zu) "
			       "cannot be read", (const void *)c->buf, c->len);
	ret = ext2_prealloc_pool(c->inode, c->nb, &c->ahead);
	if (ret) {
		c->ahead = NULL;
		return ret;
	}
	for (i = 0; i < c->nb; i++)
		c->new[i] = raw_load32(&c->ahead[i]);
	return 0;
}

/* Step 2a: the new blocks, from those taken ahead, or taken now (with
 * a pool of indirect blocks if the range has holes). */
static int cow_take_new(struct cow *c, bool holes)
{
	int ret = cow_take_ahead(c, holes);

	if (ret != 1)
		return ret;
	ret = holes ? cow_alloc_pool(c) : 0;
	return ret ? ret : cow_alloc_new(c);
}

/* Copy [from, to) of the old block src into dst, zeros from the old EOF
 * on (base: the file offset of the block); flushed, not drained.  0, or
 * -EIO (no message) when the memory of either block is lost. */
static int cow_copy_old(struct cow *c, unsigned char *dst,
			const unsigned char *src, uint64_t base,
			uint32_t from, uint32_t to)
{
	struct region *rgn = c->inode->fs->rgn;
	uint32_t keep = to;

	if (from >= to)
		return 0;
	if (!src) /* a hole */
		return dax_zero_guarded(rgn, dst + from, to - from,
					PMEM2_F_MEM_NODRAIN);
	if (base + to > c->size)
		keep = c->size > base + from ? (uint32_t)(c->size - base) : from;
	if (keep > from &&
	    dax_copy_to_pmem(rgn, dst + from, src + from, keep - from))
		return -EIO;
	if (to > keep)
		return dax_zero_guarded(rgn, dst + keep, to - keep,
					PMEM2_F_MEM_NODRAIN);
	return 0;
}

/* Step 2b: fill the new blocks (see the top), drained. */
static int cow_fill(struct cow *c)
{
	struct ext2_sb_info *fs = c->inode->fs;
	uint32_t bs = fs->blocksize, i;
	uint64_t end = c->pos + c->len;
	int ret;

	for (i = 0; i < c->nb; i++) {
		uint64_t base = (uint64_t)(c->first + i) << fs->blocksize_bits;
		uint32_t lo = base < c->pos ? (uint32_t)(c->pos - base) : 0;
		uint32_t hi = end - base < bs ? (uint32_t)(end - base) : bs;
		unsigned char *dst = ext2_block(fs, c->new[i]);
		const unsigned char *src = c->old[i] ? ext2_block(fs, c->old[i])
						     : NULL;

		if (cow_copy_old(c, dst, src, base, 0, lo) ||
		    cow_copy_old(c, dst, src, base, hi, bs))
			return err_set(-EIO, "I/O error at file offset %llu: "
				       "the memory of its block is lost or "
				       "poisoned", (unsigned long long)base);
		ret = dax_copy_to_pmem(fs->rgn, dst + lo,
				       c->buf + (base + lo - c->pos), hi - lo);
		if (ret == -EIO)
			return err_set(ret, "I/O error at file offset %llu: "
				       "the memory of the new block %u is lost "
				       "or poisoned", (unsigned long long)base,
				       c->new[i]);
		if (ret)
			return err_set(ret, "bad address: the buffer "
				       "[%p, +%zu) cannot be read",
				       (const void *)c->buf, c->len);
	}
	if (!ext2_jfence_later()) /* the commit fences the copies */
		region_drain(fs->rgn);
	return 0;
}

/* Step 3a: move the views' pages of the range to the new blocks, run by
 * run (views exist only with 4 KiB blocks).  dax_sem held. */
static void cow_remap(struct cow *c)
{
	struct ext2_sb_info *fs = c->inode->fs;
	uint32_t i = 0, k;

	if (fs->blocksize != DAX_PAGE_SIZE)
		return;
	while (i < c->nb) {
		for (k = 1; i + k < c->nb && c->new[i + k] == c->new[i] + k; k++)
			;
		dax_remap(&c->inode->i_mapping, c->first + i, k,
			  (uint64_t)c->new[i] << fs->blocksize_bits);
		i += k;
	}
}

/* Free the n blocks b[] at the commit (ext2_jdefer_free), run by run
 * (0s, holes, skipped): the old ones after the switch, the new ones and
 * the pool if the write fails, the pool's rest if it does not. */
static void cow_free(struct cow *c, const uint32_t *b, uint32_t n)
{
	uint32_t i = 0, k;

	while (i < n) {
		if (!b[i]) {
			i++;
			continue;
		}
		for (k = 1; i + k < n && b[i + k] == b[i] + k; k++)
			;
		ext2_free_blocks(c->inode->fs, b[i], k);
		i += k;
	}
}

/* The leaf pointers of the range, a run per leaf (cow_switch). */
struct cow_slots {
	le32 *slot[8];
	uint32_t n[8];
	unsigned nruns;
};

/* Step 3b, first: find the range's pointer slots (making missing leaves
 * from the pool) and read the old blocks again into c->old (a fault may
 * have filled a hole since step 1).  bmap_lock held exclusively. */
static int cow_find_slots(struct cow *c, struct cow_slots *s)
{
	uint32_t i = 0, n, k;
	int ret;

	for (s->nruns = 0; i < c->nb; s->nruns++) {
		n = c->nb - i;
		if (s->nruns == 8)
			return err_set(-EIO, "inode %u: an atomic write spans "
				       "too many leaves", c->inode->ino);
		ret = ext2_bmap_slots_make(c->inode, c->first + i, &n,
					   &s->slot[s->nruns], c->pool,
					   &c->npool);
		if (ret)
			return ret;
		s->n[s->nruns] = n;
		for (k = 0; k < n; k++)
			c->old[i + k] = le32_get(s->slot[s->nruns][k]);
		i += n;
	}
	return 0;
}

/* Log the range's pointer slots s (their old values), batched. */
static void cow_log_slots(const struct cow_slots *s)
{
	uint32_t i;

	for (i = 0; i < s->nruns; i++)
		ext2_jlog(s->slot[i], (size_t)s->n[i] * 4);
}

/* Point the range's slots s at the new blocks, flushed. */
static void cow_store_slots(struct cow *c, const struct cow_slots *s)
{
	struct region *rgn = c->inode->fs->rgn;
	uint32_t i, k, done = 0;

	for (i = 0; i < s->nruns; done += s->n[i++]) {
		for (k = 0; k < s->n[i]; k++)
			s->slot[i][k] = le32_put(c->new[done + k]);
		region_flush(rgn, s->slot[i], (size_t)s->n[i] * 4);
	}
}

/* Step 3b with blocks taken ahead: the range's pointers and the slots
 * past EOF trade blocks; both logged in one batch and one fence (with
 * the data), then stored.  No count changes and nothing is freed. */
static void cow_switch_ahead(struct cow *c, const struct cow_slots *s)
{
	struct region *rgn = c->inode->fs->rgn;
	uint32_t i;

	ext2_jbatch(true);
	cow_log_slots(s);
	ext2_jlog(c->ahead, (size_t)c->nb * 4);
	ext2_jbatch(false);
	region_drain(rgn); /* the data and the records before the stores */
	cow_store_slots(c, s);
	for (i = 0; i < c->nb; i++)
		c->ahead[i] = le32_put(c->old[i]);
	region_flush(rgn, c->ahead, (size_t)c->nb * 4);
}

/* Step 3b with new blocks: the old values of the pointers, i_blocks and
 * the old blocks freed at the commit logged in one batch and one fence,
 * then the pointers (and i_blocks, if holes were filled) stored. */
static void cow_switch_new(struct cow *c, const struct cow_slots *s)
{
	struct ext2_sb_info *fs = c->inode->fs;
	le32 *ib = &c->inode->raw->i_blocks;
	uint32_t i, filled = 0;

	for (i = 0; i < c->nb; i++)
		filled += !c->old[i];
	ext2_jbatch(true);
	cow_log_slots(s);
	if (filled)
		ext2_jlog_iblocks(ib);
	cow_free(c, c->old, c->nb);
	cow_free(c, c->pool, c->npool);
	c->npool = 0;
	ext2_jbatch(false);
	region_drain(fs->rgn); /* the records before the stores */
	cow_store_slots(c, s);
	if (filled) { /* holes now hold blocks: count them */
		raw_store32(ib, raw_load32(ib) +
			    (filled << (fs->blocksize_bits - 9)));
		region_flush(fs->rgn, ib, 4);
	}
}

/* Step 3b: switch the leaf pointers to the new blocks; the commit fences
 * the stores.  bmap_lock held exclusively. */
static int cow_switch(struct cow *c)
{
	struct cow_slots s;
	int ret;

	ext2_extent_cache_clear(c->inode);
	ret = cow_find_slots(c, &s);
	if (ret)
		return ret;
	if (c->ahead)
		cow_switch_ahead(c, &s);
	else
		cow_switch_new(c, &s);
	if (!ext2_jfence_later())
		region_drain(c->inode->fs->rgn);
	return 0;
}

/* Step 3: the switch, under dax_sem and bmap_lock. */
static int cow_commit_map(struct cow *c)
{
	struct ext2_inode_info *inode = c->inode;
	int ret;

	down_write(&inode->dax_sem);
	cow_remap(c);
	down_write(&inode->bmap_lock);
	ret = cow_switch(c);
	up_write(&inode->bmap_lock);
	if (!ret) {
		if (c->pos + c->len > c->size)
			ext2_inode_set_size(inode, c->pos + c->len);
	}
	up_write(&inode->dax_sem);
	return ret;
}

/*
 * The atomic write of len bytes (at most ext2_cow_max: the caller
 * checks) from buf at pos (see the top), inside the caller's operation:
 * len, or a negative errno with nothing of the write reachable once the
 * caller commits.
 */
ssize_t ext2_write_cow(struct ext2_inode_info *inode, const void *buf,
		       size_t len, uint64_t pos)
{
	struct ext2_sb_info *fs = inode->fs;
	struct cow c = { .inode = inode, .buf = buf, .pos = pos, .len = len,
			 .size = ext2_i_size(inode) };
	bool holes;
	int ret;

	/* New blocks would split the units the views install whole. */
	if (ext2_unit_blocks(fs) > 1 && atomic_load(&inode->i_mapping.nr_views))
		return err_set(-EOPNOTSUPP, "an atomic write moves blocks, and "
			       "this file has views on a region that maps only "
			       "in 2 MiB units: unmap them first");
	c.first = pos >> fs->blocksize_bits;
	c.nb = ((pos + len - 1) >> fs->blocksize_bits) - c.first + 1;
	c.old = mem_alloc(sizeof(*c.old) * c.nb * 2);
	if (!c.old)
		return err_set(-ENOMEM, "out of memory for an atomic write");
	c.new = c.old + c.nb;
	ret = ext2_jdefer_reserve(c.nb * 2 + 16);
	if (!ret)
		ret = cow_lookup_old(&c, &holes);
	if (!ret)
		ret = cow_take_new(&c, holes);
	if (!ret)
		ret = cow_fill(&c);
	if (!ret)
		ret = cow_commit_map(&c);
	if (ret) { /* nothing of the write stays */
		cow_free(&c, c.new, c.nnew);
		cow_free(&c, c.pool, c.npool);
	}
	mem_free(c.old);
	return ret ? ret : (ssize_t)len;
}
