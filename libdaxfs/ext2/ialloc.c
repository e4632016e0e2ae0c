/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ialloc.c -- the inode allocator: inode bitmaps, free-inode and
 * directory counters of the group descriptors.
 *
 * Files go to their directory's group; directories spread over groups
 * with more than the average of free inodes and the fewest directories (a
 * simplified Orlov), so that their files get room nearby.
 */
#include <errno.h>
#include <string.h>

#include "ext2/bitmap.h"
#include "ext2/ext2.h"

static void ialloc_free(struct ext2_sb_info *fs, uint32_t ino, bool is_dir,
			struct ext2_inode_info *inode);

/* The group a new directory goes to. */
static uint32_t find_group_dir(struct ext2_sb_info *fs, uint32_t parent_group)
{
	uint64_t avg = atomic_load(&fs->free_inodes) / fs->groups_count;
	uint32_t best = parent_group, best_dirs = UINT32_MAX, i;

	for (i = 0; i < fs->groups_count; i++) {
		uint32_t g = (parent_group + i) % fs->groups_count;
		struct ext2_group_desc *gd = &fs->gdt[g];
		/* Read without the group lock: a hint, relaxed loads. */
		uint32_t fi = raw_load16(&gd->bg_free_inodes_count);
		uint32_t dirs = raw_load16(&gd->bg_used_dirs_count);

		if (fi == 0 || fi < avg)
			continue;
		if (dirs < best_dirs) {
			best = g;
			best_dirs = dirs;
		}
	}
	return best;
}

/* Take a free inode of group g; returns its number or 0 if full.  Called
 * with the group lock held.  The caller flushes the bitmap and the
 * descriptor after releasing the lock (group_flush_inode). */
static uint32_t group_take_inode(struct ext2_sb_info *fs, uint32_t g, bool is_dir)
{
	struct ext2_group_desc *gd = &fs->gdt[g];
	uint8_t *bm = ext2_block(fs, fs->groups[g].inode_bitmap);
	uint32_t nfree = le16_get(gd->bg_free_inodes_count);
	uint32_t ipg = fs->inodes_per_group, bit, from;

	if (nfree == 0)
		return 0;
	from = fs->groups[g].inode_hint;
	bit = ext2_bitmap_find_zero(bm, from < ipg ? from : 0, ipg);
	if (bit >= ipg)
		bit = ext2_bitmap_find_zero(bm, 0, ipg);
	/* Reserved inodes are never handed out, whatever the bitmap says. */
	while (bit < ipg && g * ipg + bit + 1 < fs->first_ino)
		bit = ext2_bitmap_find_zero(bm, bit + 1, ipg);
	if (bit >= ipg)
		return 0;
	ext2_jlog_bits(bm, bit, 1);
	ext2_bitmap_set(bm, bit);
	raw_store16(&gd->bg_free_inodes_count, nfree - 1);
	if (is_dir)
		raw_store16(&gd->bg_used_dirs_count,
			    le16_get(gd->bg_used_dirs_count) + 1);
	fs->groups[g].inode_hint = bit + 1;
	return g * ipg + bit + 1;
}

/*
 * Flush (not drain) the bitmap byte and the descriptor counters that
 * taking inode ino changed.  Outside the group lock: on x86 a locked
 * instruction waits for earlier cache-line flushes, so a flush before the
 * unlock would cost a full fence.  A flush writes back the line as it is
 * then, our bit included, whoever changed it since.
 */
static void group_flush_inode(struct ext2_sb_info *fs, uint32_t ino)
{
	uint32_t g = (ino - 1) / fs->inodes_per_group;
	uint32_t bit = (ino - 1) % fs->inodes_per_group;
	struct ext2_group_desc *gd = &fs->gdt[g];
	uint8_t *bm = ext2_block(fs, fs->groups[g].inode_bitmap);

	region_flush(fs->rgn, bm + (bit >> 3), 1);
	if (!fs->journal) /* else recomputed at recovery, flushed at unmount */
		region_flush(fs->rgn, &gd->bg_free_inodes_count, 4);
}

/* Write the fields of the new inode in (mode, owner, times, generation;
 * the rest zero) with one copy from DRAM, flushed, and its mirrors: no
 * load of the lines it replaces (a cache miss each, on a large file
 * system). */
static void new_inode_write(struct ext2_sb_info *fs, struct ext2_inode_info *in,
			    mode_t mode, uint32_t now)
{
	struct ext2_inode n;

	memset(&n, 0, sizeof(n));
	n.i_mode = le16_put(mode);
	n.i_uid = le16_put(fs->uid & 0xffff);
	n.i_uid_high = le16_put(fs->uid >> 16);
	n.i_gid = le16_put(fs->gid & 0xffff);
	n.i_gid_high = le16_put(fs->gid >> 16);
	n.i_atime = n.i_ctime = n.i_mtime = le32_put(now);
	n.i_generation = le32_put(now ^ (in->ino * 2654435761u));
	ext2_jlog_fresh(in->raw, fs->inode_size);
	fs->rgn->memcpy(in->raw, &n, sizeof(n), PMEM2_F_MEM_NODRAIN);
	if (fs->inode_size > sizeof(n))
		fs->rgn->memset((unsigned char *)in->raw + sizeof(n), 0,
				fs->inode_size - sizeof(n),
				PMEM2_F_MEM_NODRAIN);
	__atomic_store_n(&in->m_mode, (uint16_t)mode, __ATOMIC_RELAXED);
	__atomic_store_n(&in->m_size, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&in->m_mtime, now, __ATOMIC_RELAXED);
	__atomic_store_n(&in->m_ctime, now, __ATOMIC_RELAXED);
}

/*
 * Allocate an inode for a new file of type mode in directory dir, and
 * initialise it on media (zeroed, mode, owner, times, no links yet).
 * Returns it referenced in *out, or -ENOSPC.  Its bitmap bit and contents
 * are flushed but not drained: the caller drains before it writes the
 * directory entry that names the inode (ext2_dir_add does), so a
 * create pays one fence for both.
 */
int ext2_new_inode(struct ext2_sb_info *fs, struct ext2_inode_info *dir, mode_t mode,
		    struct ext2_inode_info **out)
{
	uint32_t pg = (dir->ino - 1) / fs->inodes_per_group, g0, i, ino = 0;
	bool is_dir = S_ISDIR(mode);
	uint32_t now = ext2_now();
	int ret;

	if (atomic_load(&fs->free_inodes) <= 0)
		return err_set(-ENOSPC, "no space left: no free inodes");
	g0 = is_dir ? find_group_dir(fs, pg) : pg;
	for (i = 0; i < fs->groups_count && !ino; i++) {
		uint32_t g = (g0 + i) % fs->groups_count;

		pthread_mutex_lock(&fs->groups[g].lock);
		ino = group_take_inode(fs, g, is_dir);
		pthread_mutex_unlock(&fs->groups[g].lock);
	}
	if (!ino)
		return err_set(-ENOSPC, "no space left: no free inodes");
	atomic_fetch_sub(&fs->free_inodes, 1);
	/* Take the cache's locks before the flushes below (see above). */
	ret = ext2_iget_new(fs, ino, out);
	if (ret) {
		ialloc_free(fs, ino, is_dir, NULL); /* flushes the bitmap */
		return ret;
	}

	new_inode_write(fs, *out, mode, now);
	group_flush_inode(fs, ino);
	return 0;
}

/*
 * Off the orphan chain, then deleted on media (dtime, size 0): flushed,
 * not fenced with a journal.  Nothing needs them durable then: a crash
 * before the next fence leaves a free inode (its bit is clear and
 * durable) whose deletion time the next mount sets (jfix_dtimes).
 */
static void inode_mark_deleted(struct ext2_inode_info *inode)
{
	struct ext2_inode *raw = inode->raw;

	ext2_orphan_del(inode);
	raw_store32(&raw->i_dtime, ext2_now());
	raw_store32(&raw->i_size, 0);
	raw_store32(&raw->i_size_high, 0);
	__atomic_store_n(&inode->m_size, 0, __ATOMIC_RELAXED);
	region_flush(inode->fs->rgn, &raw->i_size_high, 4);
	region_flush(inode->fs->rgn, &raw->i_size, 0x18 - 0x04);
	if (!inode->fs->journal)
		region_drain(inode->fs->rgn);
}

/* Clear inode ino's bit (flushed, with the counters; not drained),
 * group lock held; whether it was set. */
static bool clear_bit(struct ext2_sb_info *fs, uint32_t ino, bool is_dir)
{
	uint32_t g = (ino - 1) / fs->inodes_per_group;
	uint32_t bit = (ino - 1) % fs->inodes_per_group;
	struct ext2_group_desc *gd = &fs->gdt[g];
	uint8_t *bm = ext2_block(fs, fs->groups[g].inode_bitmap);

	if (!ext2_bitmap_test(bm, bit))
		return false;
	ext2_bitmap_clear(bm, bit);
	region_flush(fs->rgn, bm + (bit >> 3), 1);
	raw_store16(&gd->bg_free_inodes_count,
		    le16_get(gd->bg_free_inodes_count) + 1);
	if (is_dir && le16_get(gd->bg_used_dirs_count))
		raw_store16(&gd->bg_used_dirs_count,
			    le16_get(gd->bg_used_dirs_count) - 1);
	if (!fs->journal)
		region_flush(fs->rgn, &gd->bg_free_inodes_count, 4);
	if (bit < fs->groups[g].inode_hint)
		fs->groups[g].inode_hint = bit;
	atomic_fetch_add(&fs->free_inodes, 1);
	return true;
}

/* At a commit, group lock held: clear the bit of an inode freed inside
 * the operation (ext2_jdefer_free); flushed, not drained. */
void ext2_clear_inode_bit_locked(struct ext2_sb_info *fs, uint32_t ino)
{
	clear_bit(fs, ino, S_ISDIR(le16_get(ext2_raw_inode(fs, ino)->i_mode)));
}

/*
 * Return inode ino to its bitmap; with inode (the final free of a file,
 * its blocks freed already), also take it off the orphan chain and mark
 * it deleted, still under the group lock: the bit is cleared and
 * persisted first, and no one can take the inode before the chain no
 * longer names it, so a crash in between is finished by the next mount
 * freeing it again (orphan.c).  A bit found clear is damage, except at
 * that finishing.  Inside an operation (a create that failed) the bit
 * waits for its commit (ext2_jdefer_free).
 */
static void ialloc_free(struct ext2_sb_info *fs, uint32_t ino, bool is_dir,
			struct ext2_inode_info *inode)
{
	uint32_t g = (ino - 1) / fs->inodes_per_group;
	bool defer = ext2_jdefer_free(true, ino, 1), was_set = true;

	pthread_mutex_lock(&fs->groups[g].lock);
	if (!defer) {
		was_set = clear_bit(fs, ino, is_dir);
		region_drain(fs->rgn);
	}
	if (inode)
		inode_mark_deleted(inode);
	pthread_mutex_unlock(&fs->groups[g].lock);
	if (!was_set && !fs->recovering)
		ext2_corrupt(fs, "freeing inode %u that was already free",
			      ino);
}

/* The final free of inode (see ialloc_free). */
void ext2_free_inode(struct ext2_inode_info *inode)
{
	ialloc_free(inode->fs, inode->ino, S_ISDIR(ext2_i_mode(inode)), inode);
}
