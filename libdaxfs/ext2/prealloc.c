/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * prealloc.c -- blocks taken ahead of a file that is being appended to,
 * and the append that writes into them: two fences and no journal
 * record, where an append that allocates needs an atomic operation of
 * four (the bitmap's record, the data with the pointers' records, the
 * pointers and the size, the commit word).
 *
 * Taking ahead.  An append that must allocate (ext2_bmap_reserve_past_eof)
 * takes up to as many blocks again as the file has below it, at most
 * PREALLOC_MAX, while the file system has room to spare (as ext4's
 * stream preallocation grows with the file).  The first write of an
 * empty file takes only its own, so a file written once has none.  They
 * are linked into the block map and counted in i_blocks by the same
 * atomic operation as the write's own blocks, which also puts the file on
 * the orphan chain (orphan.c): a crash leaves them to the next mount,
 * which frees every block past i_size of a linked file on the chain and
 * zeroes its last block's tail.  Nothing is ever read from them before
 * an append has written it: reads and views stop at EOF, and every other
 * way of moving EOF over them (a write past EOF elsewhere, an atomic
 * write, truncate, fallocate) gives them back first (ext2_prealloc_trim).
 * So do the last close and a failed write; unmount sees none (every file
 * is closed).  A call that finds no free block has every file give its
 * back (ext2_prealloc_reclaim) and runs once more, as ext4 discards its
 * preallocations: blocks held ahead never make another file's call
 * fail.  A region that maps in 2 MiB units takes none ahead (units are
 * filled whole: iomap.c).
 *
 * Atomic writes within EOF take their new blocks from them (cow.c) and
 * put the file's old blocks in their place, so that an atomic write
 * changes no bitmap and frees nothing (ext2_prealloc_pool takes some
 * ahead in an operation of its own when there are too few).
 *
 * The append into them (ext2_append_prealloc): the bytes are copied and
 * the block tail past them zeroed, drained (fence 1); then i_size, one
 * aligned 4-byte store (i_size_high must not change: else the logged
 * path runs), persisted (fence 2).  The two fences are the least that
 * keeps a size from covering bytes that are not durable.  A crash
 * before the second fence leaves the old size over the blocks, whose
 * bytes past it the next mount zeroes and frees; after it, the new size
 * over durable bytes.
 * The write is durable when it returns, as every write.
 *
 * Locks: i_rwsem exclusive for all of it (inode->prealloc and
 * inode->prealloc_orphan are written under it; the last close reads
 * prealloc without it first), dax_sem exclusive around the trim's
 * frees, as truncate's.
 */
#include <errno.h>

#include "dax/iomap.h"
#include "ext2/ext2.h"

#define PREALLOC_MAX 64u /* blocks taken ahead, at most */
#define RECLAIM_BATCH 64u /* files ext2_prealloc_reclaim holds at once */

/* May fs take blocks ahead now: a journal (the orphan chain gives them
 * back after a crash), no 2 MiB units, a sixteenth of its blocks free? */
static bool prealloc_allowed(struct ext2_sb_info *fs)
{
	return fs->journal && ext2_unit_blocks(fs) == 1 &&
	       atomic_load(&fs->free_blocks) >= (int64_t)(fs->blocks_count >> 4);
}

/* The first block wholly past inode's EOF. */
static uint64_t prealloc_first(struct ext2_inode_info *inode)
{
	struct ext2_sb_info *fs = inode->fs;

	return (ext2_i_size(inode) + fs->blocksize - 1) >> fs->blocksize_bits;
}

/* How many blocks to take ahead of an append that allocates lblk (the
 * first block past EOF): 0 unless the file is a regular file with
 * blocks already and taking them is allowed. */
uint32_t ext2_prealloc_want(struct ext2_inode_info *inode, uint32_t lblk)
{
	if (lblk == 0 || !S_ISREG(ext2_i_mode(inode)) ||
	    lblk != prealloc_first(inode) || !prealloc_allowed(inode->fs))
		return 0;
	return lblk < PREALLOC_MAX ? lblk : PREALLOC_MAX;
}

/* The operation that links blocks past EOF beyond what its write
 * covered (bmap.c) makes them taken ahead: the file goes on the orphan
 * chain in it, before the link, so a crash frees them. */
void ext2_prealloc_taken(struct ext2_inode_info *inode)
{
	DAXFS_ASSERT_WRITE_LOCKED(&inode->i_rwsem);
	if (inode->prealloc)
		return;
	__atomic_store_n(&inode->prealloc, true, __ATOMIC_RELAXED);
	atomic_fetch_add(&inode->fs->prealloc_files, 1);
	inode->prealloc_orphan = ext2_orphan_add(inode);
}

/* The blocks taken ahead are gone (freed by a truncate to i_size, or the
 * file's last link went): forget them and take the file off the orphan
 * chain if they put it there and it still has links. */
void ext2_prealloc_forget(struct ext2_inode_info *inode)
{
	if (!inode->prealloc)
		return;
	__atomic_store_n(&inode->prealloc, false, __ATOMIC_RELAXED);
	atomic_fetch_sub(&inode->fs->prealloc_files, 1);
	if (inode->prealloc_orphan && ext2_i_links(inode))
		ext2_orphan_del(inode);
	inode->prealloc_orphan = false;
}

/* Give back the blocks taken ahead of inode (see the top): every block
 * past the one holding EOF, freed as truncate frees them (rolled
 * forward: the file is on the orphan chain until the end).  i_rwsem
 * held exclusively. */
void ext2_prealloc_trim(struct ext2_inode_info *inode)
{
	DAXFS_ASSERT_WRITE_LOCKED(&inode->i_rwsem);
	if (!inode->prealloc)
		return;
	if (ext2_i_links(inode)) {
		down_write(&inode->dax_sem);
		ext2_truncate_blocks(inode, ext2_i_size(inode));
		up_write(&inode->dax_sem);
	}
	ext2_prealloc_forget(inode);
}

/* Reference up to RECLAIM_BATCH cached files that hold blocks taken
 * ahead, from hash chain *b on; *b is left at the first chain not wholly
 * seen.  How many. */
static unsigned reclaim_collect(struct ext2_sb_info *fs, uint32_t *b,
				struct ext2_inode_info **batch)
{
	unsigned n = 0;

	for (; *b <= fs->icache_mask; (*b)++) {
		struct ext2_inode_info **chain, *in;
		pthread_mutex_t *lock;

		chain = ext2_icache_chain(fs, *b, &lock);
		pthread_mutex_lock(lock);
		for (in = *chain; in && n < RECLAIM_BATCH; in = in->hash_next)
			if (__atomic_load_n(&in->prealloc, __ATOMIC_RELAXED)) {
				in->refcount++;
				batch[n++] = in;
			}
		pthread_mutex_unlock(lock);
		if (in) /* the batch is full within this chain */
			break;
	}
	return n;
}

/* vfs_ops.reclaim, after -ENOSPC: every file gives back the blocks it
 * holds ahead of its appends, as its last close would.  The caller holds
 * no lock.  1 if blocks came back (a file trimmed, or the free count
 * grew: an unlinked file's last reference may have been reclaim's), else
 * 0. */
int ext2_prealloc_reclaim(struct daxfs *vfs)
{
	struct ext2_sb_info *fs = EXT2_SB(vfs);
	struct ext2_inode_info *batch[RECLAIM_BATCH];
	int64_t before = atomic_load(&fs->free_blocks);
	uint32_t b = 0;
	unsigned n, i;
	bool done = false;

	if (vfs->rdonly || !atomic_load(&fs->prealloc_files))
		return 0;
	while ((n = reclaim_collect(fs, &b, batch)) > 0) {
		for (i = 0; i < n; i++) {
			struct ext2_inode_info *in = batch[i];

			down_write(&in->i_rwsem);
			done |= in->prealloc && ext2_i_links(in);
			ext2_prealloc_trim(in);
			up_write(&in->i_rwsem);
			ext2_iput(in);
		}
	}
	return done || atomic_load(&fs->free_blocks) > before;
}

/* The blocks taken ahead of inode, in 512-byte units (st_blocks leaves
 * them out, so that it does not change when the file is closed): the
 * mapped runs from the first block past EOF. */
uint64_t ext2_prealloc_sectors(struct ext2_inode_info *inode)
{
	struct ext2_sb_info *fs = inode->fs;
	uint64_t b = prealloc_first(inode), n = 0;
	uint32_t pblk, count;
	bool is_new;

	if (!__atomic_load_n(&inode->prealloc, __ATOMIC_RELAXED))
		return 0;
	while (b < UINT32_MAX && n < 4 * PREALLOC_MAX &&
	       !ext2_bmap(inode, (uint32_t)b, PREALLOC_MAX, false, &pblk,
			  &count, &is_new) && pblk) {
		n += count;
		b += count;
	}
	return n << (fs->blocksize_bits - 9);
}

/* Take up to n blocks ahead from lblk (past EOF), unzeroed, in an
 * operation of its own: 0, 1 when none could be (no leaf there), or a
 * negative errno. */
static int prealloc_take(struct ext2_inode_info *inode, uint32_t lblk,
			 uint32_t n)
{
	struct ext2_jh h, *prev;
	uint32_t pblk, count;
	int ret;

	ext2_jpush(inode->fs, &h, &prev);
	ret = ext2_bmap_reserve_past_eof(inode, lblk, n, &pblk, &count);
	if (ret == 1)
		ext2_bmap_link_ahead(inode);
	ext2_jpop(&h, prev);
	return ret == 1 ? 0 : ret == 0 ? 1 : ret;
}

/* How many of the n slots from slot hold blocks, from the first. */
static uint32_t slots_held(const le32 *slot, uint32_t n)
{
	uint32_t i = 0;

	while (i < n && raw_load32(&slot[i]))
		i++;
	return i;
}

/*
 * An atomic write of nb blocks within EOF takes its new blocks from the
 * blocks taken ahead (cow.c): make sure the nb slots from the first
 * block past EOF, in one leaf, hold blocks, taking more in an operation
 * of its own where they lack (as an append does).  0 and *slot (that
 * first slot); 1 when they cannot be had (no leaf there yet, the leaf
 * ends first, little free space: the caller allocates instead); or a
 * negative errno.  i_rwsem held exclusively.
 */
int ext2_prealloc_pool(struct ext2_inode_info *inode, uint32_t nb,
		       le32 **slot)
{
	struct ext2_sb_info *fs = inode->fs;
	uint64_t eof = prealloc_first(inode);
	uint32_t room, have, want;
	int ret;

	DAXFS_ASSERT_WRITE_LOCKED(&inode->i_rwsem);
	if (!fs->journal || ext2_unit_blocks(fs) > 1 || eof >= UINT32_MAX)
		return 1;
	down_read(&inode->bmap_lock);
	ret = ext2_bmap_leaf_slots(inode, (uint32_t)eof, slot, &room);
	up_read(&inode->bmap_lock);
	if (ret)
		return ret == -ENOENT ? 1 : ret;
	if (room < nb)
		return 1;
	have = slots_held(*slot, nb);
	if (have == nb)
		return 0;
	if (!prealloc_allowed(fs))
		return 1;
	want = nb * 4 > PREALLOC_MAX ? nb * 4 : PREALLOC_MAX;
	want = (want < room ? want : room) - have;
	ret = prealloc_take(inode, (uint32_t)eof + have, want);
	if (ret)
		return ret;
	return slots_held(*slot, nb) == nb ? 0 : 1;
}

/* Do the blocks taken ahead map every block of [pos, pos+len)? */
static bool prealloc_covers(struct ext2_inode_info *inode, uint64_t pos,
			    size_t len)
{
	struct ext2_sb_info *fs = inode->fs;
	uint64_t b = pos >> fs->blocksize_bits;
	uint64_t last = (pos + len - 1) >> fs->blocksize_bits;
	uint32_t pblk, count;
	bool is_new;

	while (b <= last) {
		if (ext2_bmap(inode, (uint32_t)b, (uint32_t)(last - b + 1),
			      false, &pblk, &count, &is_new) || !pblk)
			return false;
		b += count;
	}
	return true;
}

/* Zero the tail past end of the block holding end when the append that
 * ends there is the first to write that block (it starts at or after
 * old, the EOF before it); not drained. */
static void prealloc_zero_tail(struct ext2_inode_info *inode, uint64_t old,
			       uint64_t end)
{
	struct ext2_sb_info *fs = inode->fs;
	uint64_t bmask = fs->blocksize - 1;
	uint32_t pblk, count;
	bool is_new;

	if (!(end & bmask) || (end & ~bmask) < ((old + bmask) & ~bmask) ||
	    ext2_bmap(inode, (uint32_t)(end >> fs->blocksize_bits), 1, false,
		      &pblk, &count, &is_new) || !pblk)
		return;
	(void)dax_zero_guarded(fs->rgn, (unsigned char *)ext2_block(fs, pblk) +
			       (end & bmask), fs->blocksize - (end & bmask),
			       PMEM2_F_MEM_NODRAIN);
}

/* The copy of an append into blocks taken ahead, flushed, not drained:
 * straight into them when the extent cache maps them as one run (the
 * usual case), else through the iomap loop.  Bytes copied, 0 when the
 * blocks do not cover it (or the direct copy faulted: the logged path
 * then writes and reports), or a negative errno. */
static ssize_t append_copy(struct ext2_inode_info *inode, const void *buf,
			   size_t len, uint64_t pos)
{
	struct ext2_sb_info *fs = inode->fs;
	ssize_t ret;
	uint64_t addr;

	if (ext2_iomap_direct(inode, pos, len, &addr))
		return dax_copy_to_pmem(fs->rgn, fs->base + addr, buf, len)
			       ? 0
			       : (ssize_t)len;
	if (!prealloc_covers(inode, pos, len))
		return 0;
	ret = dax_iomap_rw(fs->rgn, inode, &inode->i_mapping, &ext2_iomap_ops,
			   pos, len, (void *)buf,
			   DAX_RW_WRITE | DAX_RW_NODRAIN);
	return ret ? ret : -EIO;
}

/*
 * An append at EOF (pos) into blocks taken ahead (see the top): the
 * bytes written, or 0 when those blocks do not cover it or the size's
 * high word would change (the caller takes the logged path), or a
 * negative errno.  i_rwsem held exclusively.
 */
ssize_t ext2_append_prealloc(struct ext2_inode_info *inode, const void *buf,
			     size_t len, uint64_t pos)
{
	struct ext2_sb_info *fs = inode->fs;
	ssize_t ret;

	DAXFS_ASSERT_WRITE_LOCKED(&inode->i_rwsem);
	if (!inode->prealloc || pos != ext2_i_size(inode) ||
	    (pos + len) >> 32 != pos >> 32)
		return 0;
	ret = append_copy(inode, buf, len, pos);
	if (ret <= 0)
		return ret;
	prealloc_zero_tail(inode, pos, pos + ret);
	region_drain(fs->rgn); /* the bytes before the size covers them */
	ext2_inode_store_size(inode, pos + ret);
	region_drain(fs->rgn);
	return ret;
}
