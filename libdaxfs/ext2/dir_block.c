/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dir_block.c -- one directory block's records: writing an entry into a
 * record (the persistence order of dir.c's top comment), and the first
 * block of a new directory.
 */
#include <string.h>

#include "ext2/dir.h"
#include "ext2/ext2.h"

/* Fill the entry at de: name -> ino of type ftype, record length
 * rec_len.  Not persisted. */
static void de_fill(struct ext2_sb_info *fs, struct ext2_dir_entry_2 *de,
		    uint32_t ino, const char *name, size_t len, unsigned ftype,
		    uint32_t rec_len)
{
	de->inode = le32_put(ino);
	de->rec_len = le16_put(rec_len);
	de->name_len = len;
	de->file_type = fs->has_filetype ? ftype : 0;
	memcpy(de->name, name, len);
}

/*
 * Write name -> ino into the record at off of the directory block blk,
 * which the caller has checked has room for it (de_avail).  An unused
 * record takes the entry, its inode number stored last; a live one is
 * split: the entry is written whole in its slack, then the record shrinks
 * over it.  Either way one persisted store makes the entry visible.
 * Returns the new entry.
 */
struct ext2_dir_entry_2 *ext2_dir_block_insert(struct ext2_sb_info *fs,
					       unsigned char *blk, uint32_t off,
					       const char *name, size_t len,
					       uint32_t ino, unsigned ftype)
{
	struct ext2_dir_entry_2 *de = de_at(blk, off), *nde;
	uint32_t keep;

	if (!de->inode) {
		ext2_jlog(&de->inode, 4); /* inode 0: the rest is ignored */
		de_fill(fs, de, 0, name, len, ftype, le16_get(de->rec_len));
		ext2_persist(fs, de, 8 + len);
		de->inode = le32_put(ino);
		ext2_persist(fs, &de->inode, 4);
		return de;
	}
	keep = de_need(de);
	nde = de_at(blk, off + keep);
	ext2_jlog(&de->rec_len, 2); /* the slack it was need not be restored */
	de_fill(fs, nde, ino, name, len, ftype, le16_get(de->rec_len) - keep);
	ext2_persist(fs, nde, 8 + len);
	de->rec_len = le16_put(keep);
	ext2_persist(fs, &de->rec_len, 2);
	return nde;
}

/* Lay out a fresh, zeroed directory block blk: "." -> self and
 * ".." -> parent, ".." covering the rest of the block; persisted (the
 * kernel's ext2_make_empty). */
void ext2_dir_block_format(struct ext2_sb_info *fs, unsigned char *blk,
			   uint32_t self, uint32_t parent)
{
	de_fill(fs, de_at(blk, 0), self, ".", 1, EXT2_FT_DIR, DIR_MIN_REC);
	de_fill(fs, de_at(blk, DIR_MIN_REC), parent, "..", 2, EXT2_FT_DIR,
		fs->blocksize - DIR_MIN_REC);
	ext2_persist(fs, blk, DIR_MIN_REC + EXT2_DIR_REC_LEN(2));
}

/* Give a new directory its first block with "." and "..", zeroed and
 * formatted by ext2_dir_block_format. */
int ext2_dir_init_block(struct ext2_inode_info *dir, uint32_t parent_ino)
{
	struct ext2_sb_info *fs = dir->fs;
	uint32_t pblk, count;
	bool is_new;
	int ret;

	ret = ext2_bmap(dir, 0, 1, true, &pblk, &count, &is_new);
	if (ret)
		return ret;
	/* A new block is zeroed by ext2_bmap (a directory has no holes). */
	ext2_dir_block_format(fs, ext2_block(fs, pblk), dir->ino, parent_ino);
	ext2_inode_set_size(dir, fs->blocksize);
	return 0;
}
