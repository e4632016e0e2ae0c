/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * badblocks.c -- what the region's bad blocks (core/badblocks.h) mean to
 * ext2, and how file I/O steps around them.
 *
 * At mount, each block holding a bad byte is classified:
 *   - the primary superblock or group descriptor table: the mount fails
 *     with -EIO (nothing has been written);
 *   - other metadata (superblock backups, reserved descriptor blocks,
 *     bitmaps, inode tables, the journal of inode 5, the resize inode,
 *     directory blocks, blocks of slow symbolic links, indirect blocks):
 *     the mount goes read-only and daxfs_mount_warning() names the first;
 *   - anything else (file data, free blocks): the mount stays as asked.
 * Directory and indirect blocks are found by walking the inode tables'
 * block maps once, and only when a bad block is left to classify after
 * the fixed metadata: a region with no bad block pays nothing.
 *
 * File data: a read (pread, or a view's fault) of a bad block fails with
 * -EIO (a read stops short before it, as POSIX read does); a fault on it
 * fails, so the access raises SIGBUS and no view maps it.  A pwrite that
 * covers bad blocks whole clears them first; one that covers part of a
 * bad block fails with -EIO, nothing written.  Blocks the allocator hands
 * out are cleared: whoever allocates a block writes all of it.
 *
 * Locks: only the list's own leaf lock (core/badblocks.h), under any of
 * ext2.h's order.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/badblocks.h"
#include "ext2/ext2.h"

/* What a bad block holds. */
enum bad_class {
	BAD_OTHER = 0, /* file data, free, or not known before the walk */
	BAD_META,      /* metadata: the mount goes read-only */
};

/* The classification of the blocks of one mount. */
struct bad_scan {
	struct ext2_sb_info *fs;
	uint32_t rsv_gdt;       /* reserved descriptor blocks per copy */
	uint32_t left;          /* bad blocks the fixed metadata did not hold */
	uint32_t meta;          /* bad blocks found holding metadata */
	uint32_t first_blk;     /* the first of them */
	char first_what[96];    /* what it holds */
};

/* Is block blk of fs bad? */
static bool bad_block(struct ext2_sb_info *fs, uint32_t blk)
{
	uint64_t hit;

	return badblocks_find(fs->rgn->bad, (uint64_t)blk << fs->blocksize_bits,
			      fs->blocksize, &hit);
}

/* Record that bad block blk holds metadata described by what. */
static void bad_note_meta(struct bad_scan *s, uint32_t blk, const char *what,
			  uint32_t n)
{
	if (!s->meta++) {
		s->first_blk = blk;
		snprintf(s->first_what, sizeof(s->first_what), what, n);
	}
}

/* Does blk hold a superblock or descriptor copy of group g, or one of
 * its reserved descriptor blocks? */
static bool bad_in_sb_copy(struct bad_scan *s, uint32_t blk, uint32_t g)
{
	struct ext2_sb_info *fs = s->fs;
	uint32_t start = ext2_group_first_block(fs, g);

	return ext2_group_has_super(fs, g) &&
	       blk < start + ext2_group_overhead(fs, g, s->rsv_gdt);
}

/* Classify blk by the metadata whose place is fixed at mkfs (the
 * primary superblock and descriptors were checked before: what else
 * their blocks hold is unused). */
static enum bad_class bad_classify_fixed(struct bad_scan *s, uint32_t blk)
{
	struct ext2_sb_info *fs = s->fs;
	uint32_t g = (blk - fs->first_data_block) / fs->blocks_per_group;
	struct ext2_group *gr = &fs->groups[g];
	uint32_t gdt_end = fs->first_data_block + 1 + ext2_gdt_blocks(fs);

	if (blk < gdt_end)
		return BAD_OTHER;
	if (bad_in_sb_copy(s, blk, g))
		bad_note_meta(s, blk, g ? "a superblock or descriptor backup "
				      "of group %u" : "a reserved descriptor "
				      "block (group %u)", g);
	else if (blk == gr->block_bitmap)
		bad_note_meta(s, blk, "the block bitmap of group %u", g);
	else if (blk == gr->inode_bitmap)
		bad_note_meta(s, blk, "the inode bitmap of group %u", g);
	else if (blk >= gr->inode_table &&
		 blk < gr->inode_table + fs->itb_per_group)
		bad_note_meta(s, blk, "the inode table of group %u", g);
	else
		return BAD_OTHER;
	return BAD_META;
}

/* The message of a mount refused for bad bytes at off in what. */
static int bad_refuse(const char *path, uint64_t off, const char *what)
{
	return err_set(-EIO, "%s: the primary %s is in a bad block of the "
		       "media (region byte %llu): cannot mount (once the block "
		       "is cleared, e2fsck -b can restore it from a backup)",
		       path, what, (unsigned long long)off);
}

int ext2_bad_super(struct ext2_sb_info *fs, const char *path)
{
	uint64_t hit;

	if (badblocks_find(fs->rgn->bad, EXT2_SUPERBLOCK_OFFSET,
			   EXT2_SUPERBLOCK_SIZE, &hit))
		return bad_refuse(path, hit, "superblock");
	return 0;
}

int ext2_bad_gdt(struct ext2_sb_info *fs, const char *path)
{
	uint32_t bits = fs->blocksize_bits;
	uint64_t hit;

	if (badblocks_find(fs->rgn->bad,
			   (uint64_t)(fs->first_data_block + 1) << bits,
			   (uint64_t)ext2_gdt_blocks(fs) << bits, &hit))
		return bad_refuse(path, hit, "group descriptor table");
	return 0;
}

/* Classify every bad block of the list by the fixed metadata, and count
 * in s->left those it does not explain. */
static void bad_scan_fixed(struct bad_scan *s)
{
	struct ext2_sb_info *fs = s->fs;
	struct badblocks_range r;
	uint32_t bits = fs->blocksize_bits;
	uint64_t blk, last;
	size_t i;

	for (i = 0; badblocks_get(fs->rgn->bad, i, &r); i++) {
		blk = r.off >> bits;
		last = (r.off + r.len - 1) >> bits;
		if (blk < fs->first_data_block)
			blk = fs->first_data_block; /* the boot block */
		for (; blk <= last && blk < fs->blocks_count; blk++)
			if (bad_classify_fixed(s, blk) == BAD_OTHER &&
			    blk > fs->first_data_block + ext2_gdt_blocks(fs))
				s->left++;
	}
}

/* Visit table blk of an inode's block map (height 1: its entries are
 * data); data_meta: the data blocks are metadata too.  A bad table is
 * not read. */
static void bad_walk_table(struct bad_scan *s, uint32_t ino, uint32_t blk,
			   int height, bool data_meta)
{
	struct ext2_sb_info *fs = s->fs;
	const le32 *t;
	uint32_t i, b;

	if (bad_block(fs, blk)) {
		bad_note_meta(s, blk, "an indirect block of inode %u", ino);
		return;
	}
	if (height == 1 && !data_meta)
		return;
	t = ext2_block(fs, blk);
	for (i = 0; i < fs->addr_per_block && s->meta < s->left; i++) {
		b = le32_get(t[i]);
		if (!b || !ext2_block_valid(fs, b))
			continue;
		if (height > 1)
			bad_walk_table(s, ino, b, height - 1, data_meta);
		else if (bad_block(fs, b))
			bad_note_meta(s, b, "a directory, symbolic link or "
				      "journal block of inode %u", ino);
	}
}

/* Which of raw's data blocks are metadata: a directory's, a slow
 * symbolic link's, the journal's and the resize inode's. */
static bool bad_data_is_meta(uint32_t ino, const struct ext2_inode *raw)
{
	uint16_t mode = le16_get(raw->i_mode);

	return S_ISDIR(mode) || S_ISLNK(mode) || ino == EXT2_JOURNAL_INO ||
	       ino == EXT2_RESIZE_INO;
}

/* Visit the block map of inode ino, if it is in use and has one. */
static void bad_walk_inode(struct bad_scan *s, uint32_t ino,
			   const struct ext2_inode *raw)
{
	struct ext2_sb_info *fs = s->fs;
	uint16_t mode = le16_get(raw->i_mode);
	uint32_t ea = le32_get(raw->i_file_acl) ? fs->blocksize >> 9 : 0;
	bool meta = bad_data_is_meta(ino, raw);
	uint32_t i, b;

	if (!mode || (!le16_get(raw->i_links_count) && ino >= fs->first_ino))
		return; /* free (or an orphan, freed by this mount) */
	if (!S_ISREG(mode) && !S_ISDIR(mode) && !S_ISLNK(mode))
		return; /* devices keep no block map */
	if (S_ISLNK(mode) && le32_get(raw->i_blocks) - ea == 0)
		return; /* a fast symlink: its target is in i_block */
	for (i = 0; i < EXT2_N_BLOCKS && s->meta < s->left; i++) {
		b = le32_get(raw->i_block[i]);
		if (!b || !ext2_block_valid(fs, b))
			continue;
		if (i >= EXT2_NDIR_BLOCKS)
			bad_walk_table(s, ino, b, i - EXT2_NDIR_BLOCKS + 1, meta);
		else if (meta && bad_block(fs, b))
			bad_note_meta(s, b, "a directory, symbolic link or "
				      "journal block of inode %u", ino);
	}
}

/* Walk the block maps of every inode whose table block is readable,
 * until every bad block left is found to be metadata. */
static void bad_walk_inodes(struct bad_scan *s)
{
	struct ext2_sb_info *fs = s->fs;
	uint32_t per_blk = fs->blocksize / fs->inode_size, g, t, k, ino;

	for (g = 0; g < fs->groups_count && s->meta < s->left; g++) {
		for (t = 0; t < fs->itb_per_group && s->meta < s->left; t++) {
			uint32_t blk = fs->groups[g].inode_table + t;

			if (bad_block(fs, blk))
				continue; /* counted already; not read */
			for (k = 0; k < per_blk; k++) {
				ino = g * fs->inodes_per_group + t * per_blk +
				      k + 1;
				if (ino == EXT2_BAD_INO || (ino < fs->first_ino &&
				    ino != EXT2_ROOT_INO &&
				    ino != EXT2_JOURNAL_INO &&
				    ino != EXT2_RESIZE_INO))
					continue;
				bad_walk_inode(s, ino, ext2_raw_inode(fs, ino));
			}
		}
	}
}

int ext2_badblocks_mount(struct ext2_sb_info *fs, const char *path)
{
	struct bad_scan s = { .fs = fs };

	if (!ext2_has_bad(fs))
		return 0;
	if (le32_get(fs->es->s_feature_compat) & EXT2_FEATURE_COMPAT_RESIZE_INODE)
		s.rsv_gdt = le16_get(fs->es->s_reserved_gdt_blocks);
	bad_scan_fixed(&s);
	/* From here meta < left while a bad block is left unexplained:
	 * the walk stops once it has explained them all. */
	s.left += s.meta;
	if (s.meta < s.left)
		bad_walk_inodes(&s);
	if (!s.meta)
		return 0;
	fs->bad_meta = true;
	fs->vfs.rdonly = true;
	ext2_mount_warn(fs, "%.60s: bad block %u holds %s%s: mounted "
			"read-only (copy the files off)", path, s.first_blk,
			s.first_what, s.meta > 1 ? ", and more metadata" : "");
	return 0;
}

int ext2_bad_read(struct ext2_inode_info *inode, uint32_t lblk, uint32_t pblk,
		  uint32_t *count)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t bits = fs->blocksize_bits, b;
	uint64_t hit;

	if (!badblocks_find(fs->rgn->bad, (uint64_t)pblk << bits,
			    (uint64_t)*count << bits, &hit))
		return 0;
	b = hit >> bits;
	if (b > pblk) {
		*count = b - pblk; /* good up to it */
		return 0;
	}
	return err_set(-EIO, "file offset %llu is in a bad block of the media "
		       "(region block %u): its %u bytes are lost; the rest of "
		       "the file reads, and a write of the whole block "
		       "clears it", (unsigned long long)lblk << bits, pblk,
		       fs->blocksize);
}

/* A write covers part of logical block lblk: -EIO if it is bad. */
static int bad_partial(struct ext2_inode_info *inode, uint64_t lblk)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t pblk, count;
	bool is_new;
	int ret;

	if (lblk > UINT32_MAX)
		return 0;
	ret = ext2_bmap(inode, lblk, 1, false, &pblk, &count, &is_new);
	if (ret || !pblk || !bad_block(fs, pblk))
		return ret;
	return err_set(-EIO, "file offset %llu is in a bad block of the media "
		       "(region block %u): a write of part of it cannot keep "
		       "the rest, nothing was written; write the whole %u "
		       "bytes to clear it", (unsigned long long)lblk
		       << fs->blocksize_bits, pblk, fs->blocksize);
}

/* Clear the bad blocks mapped in logical blocks [first, last]. */
static int bad_clear_mapped(struct ext2_inode_info *inode, uint64_t first,
			    uint64_t last)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t bits = fs->blocksize_bits, pblk, count;
	bool is_new;
	int ret = 0;

	if (last > UINT32_MAX)
		last = UINT32_MAX;
	while (!ret && first <= last) {
		uint64_t n = last - first + 1;

		ret = ext2_bmap(inode, first, n > UINT32_MAX ? UINT32_MAX : n,
				false, &pblk, &count, &is_new);
		if (ret || !count)
			break;
		if (pblk)
			ret = badblocks_clear(fs->rgn->bad,
					      (uint64_t)pblk << bits,
					      (uint64_t)count << bits);
		first += count;
	}
	return ret;
}

int ext2_bad_write(struct ext2_inode_info *inode, uint64_t pos, size_t len)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t bits = fs->blocksize_bits, mask = fs->blocksize - 1;
	uint64_t end = pos + len, head = pos >> bits, tail = (end - 1) >> bits;
	int ret = 0;

	if ((pos & mask) || end < (head + 1) << bits)
		ret = bad_partial(inode, head);
	if (!ret && tail != head && (end & mask))
		ret = bad_partial(inode, tail);
	/* Every bad block left in the range is covered whole: clear it
	 * before the bytes go in (clearing may zero it on the platform). */
	return ret ? ret : bad_clear_mapped(inode, head, tail);
}

void ext2_bad_allocated(struct ext2_sb_info *fs, uint32_t start, uint32_t n)
{
	uint32_t bits = fs->blocksize_bits;

	/* A platform that cannot clear leaves the block listed: a read of
	 * it then says its data is lost, which is the truth.  The
	 * allocation itself succeeded: it leaves no message behind. */
	if (badblocks_clear(fs->rgn->bad, (uint64_t)start << bits,
			    (uint64_t)n << bits))
		err_tls.msg[0] = '\0';
}

void ext2_badblocks_count(struct ext2_sb_info *fs, uint64_t *blocks,
			  uint64_t *bytes)
{
	badblocks_count(fs->rgn->bad, fs->blocksize, blocks, bytes);
}
