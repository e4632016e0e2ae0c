/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * journal_log.c -- the undo journal's log on the media (inode 5): found,
 * checked and recovered at mount (ext2_journal_load), made and tied to
 * the superblock at a read-write mount (ext2_journal_start), released at
 * unmount.  The design is written at the top of journal.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "ext2/bitmap.h"
#include "ext2/ext2.h"
#include "ext2/journal.h"
#include "ext2/journal_fmt.h"

/* ---- the log on media: finding it, making it ------------------------ */

/* Data blocks of the log (a multiple of the block size). */
static uint32_t jlog_nblocks(struct ext2_sb_info *fs)
{
	return (JLOG_BYTES + fs->blocksize - 1) >> fs->blocksize_bits;
}

/* The check of a header. */
static uint32_t jhdr_check(const struct jhdr *hd)
{
	return jsum(2166136261u, hd, offsetof(struct jhdr, check));
}

/* Does inode 5 map n blocks from b0 in order (ind: its indirect
 * block, or NULL)? */
static bool jlog_layout(struct ext2_sb_info *fs, const struct ext2_inode *raw,
			uint32_t b0, uint32_t n)
{
	const le32 *ind = NULL;
	uint32_t i;

	if (!ext2_block_valid(fs, b0) || (uint64_t)b0 + n > fs->blocks_count)
		return false;
	if (n > EXT2_NDIR_BLOCKS) {
		uint32_t ib = le32_get(raw->i_block[EXT2_IND_BLOCK]);

		if (!ext2_block_valid(fs, ib))
			return false;
		ind = ext2_block(fs, ib);
	}
	for (i = 0; i < n; i++) {
		uint32_t b = i < EXT2_NDIR_BLOCKS ? le32_get(raw->i_block[i])
				: le32_get(ind[i - EXT2_NDIR_BLOCKS]);

		if (b != b0 + i)
			return false;
	}
	return true;
}

/*
 * Find the log in inode 5: 0 with *first its first block; 0 with *first
 * 0 when inode 5 is empty; 1 with *first when inode 5 maps a log whose
 * header was never written (its making was cut short); -ENOENT when
 * inode 5 holds something else (a boot loader: never written by us).
 */
static int jlog_find(struct ext2_sb_info *fs, uint32_t *first)
{
	struct ext2_inode *raw = ext2_raw_inode(fs, EXT2_JOURNAL_INO);
	uint32_t n = jlog_nblocks(fs), b0 = le32_get(raw->i_block[0]);
	const struct jhdr *hd;

	*first = 0;
	if (!le16_get(raw->i_mode))
		return 0; /* empty, or a log whose making stopped before */
	if (n > EXT2_NDIR_BLOCKS + fs->addr_per_block ||
	    le16_get(raw->i_mode) != (S_IFREG | 0600) ||
	    le32_get(raw->i_size) != n << fs->blocksize_bits ||
	    !jlog_layout(fs, raw, b0, n))
		return -ENOENT;
	*first = b0;
	hd = ext2_block(fs, b0);
	if (le64_get(hd->magic) != JHDR_MAGIC || le32_get(hd->version) != 1 ||
	    le32_get(hd->nslots) != EXT2_JSLOTS ||
	    le32_get(hd->slot_size) != EXT2_JSLOT_SIZE ||
	    le32_get(hd->check) != jhdr_check(hd))
		return 1;
	return 0;
}

/* Set the INCOMPAT bit (persisted): from now on only libdaxfs opens
 * the image until a clean unmount. */
static void jset_incompat(struct ext2_sb_info *fs)
{
	struct ext2_super_block *es = fs->es;

	pthread_mutex_lock(&fs->sb_lock);
	es->s_feature_incompat = le32_put(le32_get(es->s_feature_incompat) |
					  EXT2_FEATURE_INCOMPAT_DAXFS_LOG);
	ext2_persist(fs, &es->s_feature_incompat, 4);
	pthread_mutex_unlock(&fs->sb_lock);
}

/* Write inode 5 as the owner of the log's blocks (and of ind). */
static void jlog_write_inode(struct ext2_sb_info *fs, uint32_t first,
			     uint32_t n, uint32_t ind)
{
	struct ext2_inode *raw = ext2_raw_inode(fs, EXT2_JOURNAL_INO);
	le32 *ib = ind ? ext2_block(fs, ind) : NULL;
	uint32_t i, now = ext2_now();

	if (ib) {
		fs->rgn->memset(ib, 0, fs->blocksize, PMEM2_F_MEM_NODRAIN);
		for (i = EXT2_NDIR_BLOCKS; i < n; i++)
			ib[i - EXT2_NDIR_BLOCKS] = le32_put(first + i);
		region_flush(fs->rgn, ib, fs->blocksize);
	}
	region_drain(fs->rgn); /* the map before the inode */
	memset(raw, 0, fs->inode_size);
	raw->i_links_count = le16_put(1);
	raw->i_size = le32_put(n << fs->blocksize_bits);
	raw->i_blocks = le32_put((n + (ind != 0)) << (fs->blocksize_bits - 9));
	raw->i_atime = raw->i_ctime = raw->i_mtime = le32_put(now);
	for (i = 0; i < n && i < EXT2_NDIR_BLOCKS; i++)
		raw->i_block[i] = le32_put(first + i);
	raw->i_block[EXT2_IND_BLOCK] = le32_put(ind);
	ext2_persist(fs, raw, fs->inode_size);
	/* The mode last: inode 5 without one is empty (jlog_find). */
	raw->i_mode = le16_put(S_IFREG | 0600);
	ext2_persist(fs, &raw->i_mode, 2);
}

/* Finish a log inode 5 maps from first: its blocks marked in use, zeroed,
 * the header written last.  Idempotent. */
static void jlog_complete(struct ext2_sb_info *fs, uint32_t first)
{
	struct ext2_inode *raw = ext2_raw_inode(fs, EXT2_JOURNAL_INO);
	uint32_t n = jlog_nblocks(fs), ind;
	struct jhdr *hd;

	ind = n > EXT2_NDIR_BLOCKS ? le32_get(raw->i_block[EXT2_IND_BLOCK]) : 0;
	ext2_mark_blocks(fs, first, n);
	if (ind)
		ext2_mark_blocks(fs, ind, 1);
	fs->rgn->memset(ext2_block(fs, first), 0,
			(size_t)n << fs->blocksize_bits, PMEM2_F_MEM_NODRAIN);
	region_drain(fs->rgn);
	hd = ext2_block(fs, first);
	hd->magic = le64_put(JHDR_MAGIC);
	hd->version = le32_put(1);
	hd->nslots = le32_put(EXT2_JSLOTS);
	hd->slot_size = le32_put(EXT2_JSLOT_SIZE);
	hd->check = le32_put(jhdr_check(hd));
	ext2_persist(fs, hd, sizeof(*hd));
}

/*
 * Make the log in inode 5 (empty), in an order a crash cannot break:
 * the INCOMPAT bit first (no other tool writes the image from then on),
 * then inode 5 mapping free blocks found, then jlog_complete (the blocks
 * taken, zeroed, the header).  A mount after a crash meets the bit with
 * inode 5 empty (nothing was taken) or mapping a log without a header
 * (ext2_journal_load completes it).
 */
static int jlog_make(struct ext2_sb_info *fs, uint32_t *out)
{
	uint32_t n = jlog_nblocks(fs), ind = n > EXT2_NDIR_BLOCKS, first;
	int ret;

	if (n > EXT2_NDIR_BLOCKS + fs->addr_per_block)
		return err_set(-EINVAL, "blocks too small for the log");
	ret = ext2_find_free_run(fs, n + ind, &first);
	if (ret)
		return ret;
	jset_incompat(fs);
	jlog_write_inode(fs, first, n, ind ? first + n : 0);
	jlog_complete(fs, first);
	*out = first;
	return 0;
}

/* Make the DRAM side of the log at block first. */
static int jlog_attach(struct ext2_sb_info *fs, uint32_t first)
{
	struct ext2_journal *j = mem_zalloc(sizeof(*j));
	unsigned i;

	if (!j)
		return err_set(-ENOMEM, "out of memory for the journal");
	j->log = ext2_block(fs, first);
	j->first_blk = first;
	atomic_init(&j->free_slots, ~0ull);
	for (i = 0; i < EXT2_JSLOTS; i++) {
		uint32_t gen;

		jstate_parse(le64_get(*(le64 *)jslot(j, i)), &gen);
		j->gen[i] = gen + 1;
	}
	fs->journal = j;
	return 0;
}

/* ---- mount and unmount ---------------------------------------------- */

/* Is the log tied to this superblock (written by its last mount)? */
static bool jlog_tied(struct ext2_sb_info *fs, struct ext2_journal *j)
{
	const struct jhdr *hd = (const struct jhdr *)j->log;

	return le32_get(hd->mnt_count) == le16_get(fs->es->s_mnt_count) &&
	       le32_get(hd->mtime) == le32_get(fs->es->s_mtime);
}

/* Mount: find, check and recover the log (see journal.h). */
int ext2_journal_load(struct ext2_sb_info *fs, const char *path)
{
	bool need = le32_get(fs->es->s_feature_incompat) &
		    EXT2_FEATURE_INCOMPAT_DAXFS_LOG;
	uint32_t first;
	int ret = jlog_find(fs, &first);

	if (ret < 0 && need)
		return err_set(-EUCLEAN, "%s: marked as needing libdaxfs's "
			       "journal, but inode %u holds none", path,
			       EXT2_JOURNAL_INO);
	if (ret < 0 || !first || (ret == 1 && !need))
		return 0; /* ext2_journal_start makes one, or goes without */
	if (ret == 1 && fs->vfs.rdonly)
		return err_set(-EUCLEAN, "%s: the making of libdaxfs's journal "
			       "was cut short: mount it read-write once",
			       path);
	if (ret == 1)
		jlog_complete(fs, first); /* no operation used it yet */
	ret = jlog_attach(fs, first);
	if (ret || !need)
		return ret;
	if (!jlog_tied(fs, fs->journal)) {
		/* Never tied (a crash while it was made: the bit keeps other
		 * tools out), or another tool forced it: never replay, and
		 * trust no counter. */
		if (!fs->vfs.rdonly) {
			ext2_jslots_clear(fs, fs->journal);
			ext2_jrecount(fs);
		}
		return 0;
	}
	if (fs->vfs.rdonly) {
		struct jlist *l = mem_zalloc(sizeof(*l));
		unsigned i;

		for (i = 0, ret = l ? 0 : -ENOMEM; i < EXT2_JSLOTS && !ret; i++)
			ret = ext2_jslot_scan(fs, fs->journal, i, l);
		mem_free(l);
		if (ret > 0)
			ret = err_set(-EUCLEAN, "%s: operations in flight at a "
				      "crash must be undone by a read-write "
				      "mount first", path);
		fs->recoverable = !(le32_get(((const struct jhdr *)
					      fs->journal->log)->flags) &
				    JHDR_UNCLEAN);
		return ret < 0 ? ret : 0;
	}
	ret = ext2_orphan_check(fs, path); /* refused: nothing written */
	if (!ret)
		ret = ext2_jrecover(fs, fs->journal);
	fs->journal_replayed = ret >= 0; /* orphans next (super.c) */
	fs->unclean_before = le32_get(((const struct jhdr *)fs->journal->log)
				      ->flags) & JHDR_UNCLEAN;
	return ret < 0 ? ret : 0;
}

/* Read-write mount: make the log if needed, tie it, set the bit. */
int ext2_journal_start(struct ext2_sb_info *fs)
{
	struct ext2_super_block *es = fs->es;
	struct jhdr *hd;
	uint32_t first;
	int ret;

	if (!fs->journal) {
		ret = jlog_find(fs, &first);
		if (!ret && !first)
			ret = jlog_make(fs, &first);
		else if (ret == 1)
			ret = -ENOENT; /* not ours (load would have said) */
		if (!ret)
			ret = jlog_attach(fs, first);
		if (ret) {
			if (!fs->vfs.warning[0])
				snprintf(fs->vfs.warning,
					 sizeof(fs->vfs.warning), "no journal "
					 "(%s): operations are not atomic",
					 ret == -ENOENT ? "inode 5 is in use"
							: "no room for one");
			return 0;
		}
	}
	hd = (struct jhdr *)fs->journal->log;
	hd->mnt_count = le32_put(le16_get(es->s_mnt_count));
	hd->mtime = le32_put(le32_get(es->s_mtime));
	hd->flags = le32_put(fs->unclean ? JHDR_UNCLEAN : 0);
	hd->check = le32_put(jhdr_check(hd));
	ext2_persist(fs, hd, sizeof(*hd));
	jset_incompat(fs);
	return 0;
}

/* Clean unmount: clear the bit; called with sb_lock held. */
void ext2_journal_stop(struct ext2_sb_info *fs)
{
	struct ext2_super_block *es = fs->es;

	es->s_feature_incompat = le32_put(le32_get(es->s_feature_incompat) &
					  ~EXT2_FEATURE_INCOMPAT_DAXFS_LOG);
}

/* Free the DRAM side. */
void ext2_journal_free(struct ext2_sb_info *fs)
{
	mem_free(fs->journal);
	fs->journal = NULL;
}
