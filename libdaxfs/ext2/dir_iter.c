/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dir_iter.c -- reading every entry of a directory (readdir), linear or
 * indexed: block by block in logical order, each block copied under the
 * shared i_rwsem and its entries handed out with no lock held.  An
 * indexed directory's index blocks hold one unused record (the root:
 * "." and ".." and an unused tail) and so add nothing.  A split in
 * between may move names across blocks: a concurrent readdir can then
 * miss or repeat a name that moved, as a linear scan of a changing
 * directory can.
 */
#include <string.h>

#include "daxfs.h"
#include "ext2/ext2.h"
#include "ext2/htree.h"

static inline struct ext2_dir_entry_2 *de_at(unsigned char *blk, uint32_t off)
{
	return (struct ext2_dir_entry_2 *)(blk + off);
}

/* Block bi of dir, for a walk of all its blocks: its bytes in *blk, 1
 * past the end, or a negative errno.  Caller holds i_rwsem. */
static int dir_walk_block(struct ext2_inode_info *dir, uint32_t bi,
			  unsigned char **blk)
{
	if (!ext2_dx_indexed(dir))
		return ext2_dir_linear_block(dir, bi, blk);
	if (bi >= ext2_i_size(dir) >> dir->fs->blocksize_bits)
		return 1;
	return ext2_dx_block(dir, bi, blk);
}

/* DT_* type of an entry: from the entry, or from its inode when the file
 * system lacks the filetype feature. */
static unsigned de_dtype(struct ext2_sb_info *fs, const struct ext2_dir_entry_2 *de)
{
	static const unsigned char ft2dt[EXT2_FT_MAX] = {
		DAXFS_DT_UNKNOWN, DAXFS_DT_REG, DAXFS_DT_DIR, DAXFS_DT_CHR,
		DAXFS_DT_BLK, DAXFS_DT_FIFO, DAXFS_DT_SOCK, DAXFS_DT_LNK,
	};
	unsigned ft = de->file_type;

	if (!fs->has_filetype) {
		uint32_t ino = le32_get(de->inode);

		ft = ext2_mode_to_ftype(le16_get(ext2_raw_inode(fs, ino)->i_mode));
	}
	return ft < EXT2_FT_MAX ? ft2dt[ft] : DAXFS_DT_UNKNOWN;
}

/*
 * Call fn for every live entry of dir.  Each block is copied under the
 * shared i_rwsem and its entries passed to fn with no lock held, so fn
 * may call into libdaxfs (even to change this directory).
 */
int ext2_dir_iterate(struct ext2_inode_info *dir,
		      int (*fn)(void *arg, const char *name, uint64_t ino,
				unsigned type),
		      void *arg)
{
	struct ext2_sb_info *fs = dir->fs;
	unsigned char buf[4096], *blk;
	uint32_t bi;
	int ret = 0;

	for (bi = 0;; bi++) {
		uint32_t off = 0;

		down_read(&dir->i_rwsem);
		ret = dir_walk_block(dir, bi, &blk);
		if (!ret)
			memcpy(buf, blk, fs->blocksize);
		up_read(&dir->i_rwsem);
		if (ret)
			return ret < 0 ? ret : 0;
		while (off < fs->blocksize) {
			struct ext2_dir_entry_2 *de = de_at(buf, off);
			char name[EXT2_NAME_LEN + 1];

			/* Checked when indexed, but a damaged file may share
			 * the block and have written over it since. */
			ret = ext2_dir_de_check(dir, bi, off, de);
			if (ret)
				return ret;
			if (de->inode) {
				memcpy(name, de->name, de->name_len);
				name[de->name_len] = 0;
				ret = fn(arg, name, le32_get(de->inode),
					 de_dtype(fs, de));
				if (ret)
					return ret;
			}
			off += le16_get(de->rec_len);
		}
	}
}
