/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * orphan.c -- the orphan chain: inodes whose freeing must be finished by
 * the next mount if a crash comes first (roll forward, as ext3/ext4 and
 * e2fsck use the same list): s_last_orphan in the superblock names the
 * first one, and an orphan's i_dtime names the next (0 ends the chain).
 *
 * Who is on it:
 *   - an inode whose last link went (unlink, rmdir, rename over it) while
 *     something still held it (an open file, a view; else an unlink frees
 *     it in its own operation, namei.c), from the atomic operation that
 *     removed the link (journal.h) until it is freed at its last
 *     ext2_iput;
 *   - a file truncated down, from the atomic operation that set its new
 *     size until its blocks past that size are freed; and a file whose
 *     write failed, while the blocks it took past EOF are given back.
 * Adding and removing are aligned 4-byte stores, each persisted, so the
 * chain is whole at every fence.  Neither is undone by the journal: an
 * undone unlink leaves its inode on the chain with its links back, and
 * finishing that orphan only takes it off.
 *
 * Recovery (ext2_orphan_recover, at a read-write mount that undid the
 * log): each orphan in turn is finished: one with links has its blocks
 * past i_size freed and i_blocks recounted; one without is freed whole.
 * Freeing is idempotent (ext2_truncate_blocks, ext2_free_inode_unlink),
 * so a crash during recovery is finished again.  Bounded by the inodes
 * on the chain (at most the inodes open or being freed at the crash)
 * and their blocks.
 *
 * Locking: fs->orphan_lock guards the chain and its DRAM mirror (prev
 * pointers, to take an inode off from the middle).  Taken under a group
 * lock by the final free, so nothing but sb_lock is taken inside it.
 */
#include <errno.h>

#include "ext2/ext2.h"

/*
 * Adding in two halves, for a caller whose own next fence can order
 * them (unlink: the fence of its directory record): begin points
 * inode's i_dtime at the chain's head (flushed, not fenced); end, after
 * a fence, makes inode the head (persisted), first pointing i_dtime at
 * the head again (fenced) if another add came in between; abort,
 * instead of end, takes i_dtime back.  The caller holds inode's i_rwsem
 * throughout.  False if inode is on the chain already, or if the file
 * system has no journal (then nothing recovers a crash anyway).
 */
bool ext2_orphan_add_begin(struct ext2_inode_info *inode)
{
	struct ext2_sb_info *fs = inode->fs;
	bool on;

	if (!fs->journal || fs->vfs.rdonly)
		return false;
	pthread_mutex_lock(&fs->orphan_lock);
	on = inode->orphan;
	if (!on) {
		raw_store32(&inode->raw->i_dtime,
			    le32_get(fs->es->s_last_orphan));
		region_flush(fs->rgn, &inode->raw->i_dtime, 4);
	}
	pthread_mutex_unlock(&fs->orphan_lock);
	return !on;
}

/* The second half of an add (see ext2_orphan_add_begin). */
void ext2_orphan_add_end(struct ext2_inode_info *inode)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t head;

	pthread_mutex_lock(&fs->orphan_lock);
	head = le32_get(fs->es->s_last_orphan);
	if (raw_load32(&inode->raw->i_dtime) != head) {
		raw_store32(&inode->raw->i_dtime, head);
		region_persist(fs->rgn, &inode->raw->i_dtime, 4);
	}
	fs->es->s_last_orphan = le32_put(inode->ino);
	region_persist(fs->rgn, &fs->es->s_last_orphan, 4);
	inode->orphan = true;
	inode->orphan_prev = NULL;
	inode->orphan_next = fs->orphans;
	if (fs->orphans)
		fs->orphans->orphan_prev = inode;
	fs->orphans = inode;
	pthread_mutex_unlock(&fs->orphan_lock);
}

/* Give up an add begun (see ext2_orphan_add_begin). */
void ext2_orphan_add_abort(struct ext2_inode_info *inode)
{
	raw_store32(&inode->raw->i_dtime, 0);
	region_flush(inode->fs->rgn, &inode->raw->i_dtime, 4);
}

/* Add inode to the chain: its i_dtime to the head, fenced, then it the
 * head; false as ext2_orphan_add_begin. */
bool ext2_orphan_add(struct ext2_inode_info *inode)
{
	struct ext2_sb_info *fs = inode->fs;

	if (!fs->journal || fs->vfs.rdonly)
		return false;
	pthread_mutex_lock(&fs->orphan_lock);
	if (inode->orphan) {
		pthread_mutex_unlock(&fs->orphan_lock);
		return false;
	}
	raw_store32(&inode->raw->i_dtime, le32_get(fs->es->s_last_orphan));
	region_persist(fs->rgn, &inode->raw->i_dtime, 4);
	pthread_mutex_unlock(&fs->orphan_lock);
	ext2_orphan_add_end(inode); /* the head is checked again there */
	return true;
}

/* Take inode off the chain (nothing if it is not on it): the one store
 * that points past it, persisted, then its own i_dtime cleared. */
void ext2_orphan_del(struct ext2_inode_info *inode)
{
	struct ext2_sb_info *fs = inode->fs;
	struct ext2_inode_info *prev, *next;
	le32 *slot;

	pthread_mutex_lock(&fs->orphan_lock);
	if (!inode->orphan) {
		pthread_mutex_unlock(&fs->orphan_lock);
		return;
	}
	prev = inode->orphan_prev;
	next = inode->orphan_next;
	slot = prev ? &prev->raw->i_dtime : &fs->es->s_last_orphan;
	raw_store32(slot, next ? next->ino : 0);
	region_persist(fs->rgn, slot, 4);
	raw_store32(&inode->raw->i_dtime, 0);
	region_flush(fs->rgn, &inode->raw->i_dtime, 4);
	if (prev)
		prev->orphan_next = next;
	else
		fs->orphans = next;
	if (next)
		next->orphan_prev = prev;
	inode->orphan = false;
	pthread_mutex_unlock(&fs->orphan_lock);
}

/* The inode after ino on the chain, or 0 at its end; -1 if ino cannot
 * be an orphan. */
static int64_t orphan_next(struct ext2_sb_info *fs, uint32_t ino)
{
	if (ino < fs->first_ino || ino > fs->inodes_count)
		return -1;
	return le32_get(ext2_raw_inode(fs, ino)->i_dtime);
}

/*
 * Check the chain without changing anything (a mount that refuses it
 * must leave the image as it was, so this runs before the journal's
 * undo): every inode it names can be an orphan, and it ends (Floyd's
 * two pointers: no memory, at most three reads per inode).  0 or
 * -EUCLEAN.
 */
int ext2_orphan_check(struct ext2_sb_info *fs, const char *path)
{
	int64_t slow = le32_get(fs->es->s_last_orphan), fast = slow;

	while (fast > 0) {
		fast = orphan_next(fs, (uint32_t)fast);
		if (fast > 0)
			fast = orphan_next(fs, (uint32_t)fast);
		slow = orphan_next(fs, (uint32_t)slow);
		if (fast > 0 && fast == slow)
			return err_set(-EUCLEAN, "%s: the orphan chain loops "
				       "at inode %lld", path, (long long)fast);
	}
	if (fast < 0)
		return err_set(-EUCLEAN, "%s: the orphan chain is damaged "
			       "(it names an inode that cannot be an orphan)",
			       path);
	return 0;
}

/* Read the chain into the DRAM list, each inode referenced; -EUCLEAN if
 * it names an inode that cannot be an orphan, or loops. */
static int orphan_load(struct ext2_sb_info *fs, const char *path)
{
	uint32_t ino = le32_get(fs->es->s_last_orphan), n = 0;
	struct ext2_inode_info *in, *tail = NULL;
	int ret;

	while (ino) {
		if (ino < fs->first_ino || ino > fs->inodes_count ||
		    ++n > fs->inodes_count)
			return err_set(-EUCLEAN, "%s: the orphan chain is "
				       "damaged (inode %u)", path, ino);
		ret = ext2_iget_nocheck(fs, ino, &in);
		if (ret)
			return ret;
		if (in->orphan) {
			ext2_iput(in);
			return err_set(-EUCLEAN, "%s: the orphan chain loops at "
				       "inode %u", path, ino);
		}
		in->orphan = true;
		in->orphan_prev = tail;
		if (tail)
			tail->orphan_next = in;
		else
			fs->orphans = in;
		tail = in;
		ino = raw_load32(&in->raw->i_dtime);
	}
	return 0;
}

/* Finish one orphan (see the top) and drop the reference load took. */
static void orphan_finish(struct ext2_inode_info *inode)
{
	struct ext2_sb_info *fs = inode->fs;
	uint64_t size = ext2_i_size(inode);

	if (ext2_i_links(inode) && S_ISREG(ext2_i_mode(inode))) {
		down_write(&inode->i_rwsem);
		down_write(&inode->dax_sem);
		ext2_zero_tail(inode, size);
		ext2_truncate_blocks(inode, size);
		up_write(&inode->dax_sem);
		up_write(&inode->i_rwsem);
	}
	if (ext2_i_links(inode)) {
		raw_store32(&inode->raw->i_blocks,
			    ext2_bmap_count(fs, inode->raw));
		region_flush(fs->rgn, &inode->raw->i_blocks, 4);
		ext2_orphan_del(inode);
	}
	ext2_iput(inode); /* without links: the last reference frees it */
}

/*
 * Mount, after the journal's undo: finish every orphan, then the chain
 * is empty.  Read-only mounts leave it (nothing a reader sees depends on
 * it: an orphan has no name, and reads stop at i_size).
 */
int ext2_orphan_recover(struct ext2_sb_info *fs, const char *path)
{
	int ret;

	if (fs->vfs.rdonly || !fs->es->s_last_orphan)
		return 0;
	ret = orphan_load(fs, path);
	if (ret) {
		fs->orphans = NULL; /* the mount fails: fs_destroy frees them */
		return ret;
	}
	while (fs->orphans)
		orphan_finish(fs->orphans);
	return 0;
}
