/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dir_iter.c -- reading every entry of a directory (readdir), linear or
 * indexed.  A linear one block by block in logical order, each block
 * copied under the shared i_rwsem and its entries handed out with no
 * lock held: entries never move in a linear directory.  An indexed one
 * in hash order, as ext4's readdir: "." and ".." first, then one leaf
 * (with the leaves that continue its last hash) at a time, copied under
 * the lock, its names hashed, sorted and handed out with no lock held,
 * the walk going on from the hash where the next leaf starts.  A split
 * in between moves names across leaves but never changes their hashes,
 * so a name that is neither added nor removed during the walk is listed
 * exactly once (POSIX's readdir), which a walk in block order would not
 * give.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daxfs.h"
#include "core/mem.h"
#include "ext2/ext2.h"
#include "ext2/htree.h"

static inline struct ext2_dir_entry_2 *de_at(unsigned char *blk, uint32_t off)
{
	return (struct ext2_dir_entry_2 *)(blk + off);
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

/* Hand the live entry de (checked) to fn. */
static int de_emit(struct ext2_sb_info *fs, const struct ext2_dir_entry_2 *de,
		   int (*fn)(void *arg, const char *name, uint64_t ino,
			     unsigned type),
		   void *arg)
{
	char name[EXT2_NAME_LEN + 1];

	memcpy(name, de->name, de->name_len);
	name[de->name_len] = 0;
	return fn(arg, name, le32_get(de->inode), de_dtype(fs, de));
}

/* A name of a copied leaf, by hash. */
struct dx_sorted {
	uint32_t hash;
	const struct ext2_dir_entry_2 *de;
};

static int dx_sorted_cmp(const void *a, const void *b)
{
	const struct dx_sorted *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* The live names of the leaves in b whose hash is in [pos, b->next) (to
 * the end if no leaf follows), checked and sorted by hash, into v (room
 * for every record of b): their count, or -EUCLEAN. */
static int dx_batch_sort(struct ext2_inode_info *dir, struct dx_batch *b,
			 uint32_t pos, struct dx_sorted *v)
{
	struct ext2_sb_info *fs = dir->fs;
	uint32_t seed[4], minor, off, h;
	unsigned i;
	int n = 0, ret;

	ext2_hash_seed(fs, seed);
	for (i = 0; i < b->nblk; i++) {
		unsigned char *blk = b->buf + (size_t)i * fs->blocksize;

		for (off = 0; off < fs->blocksize;
		     off += le16_get(de_at(blk, off)->rec_len)) {
			const struct ext2_dir_entry_2 *de = de_at(blk, off);

			ret = ext2_dir_de_check(dir, i, off, de); /* copy i */
			if (ret)
				return ret;
			if (!de->inode)
				continue;
			ext2_dirhash(b->version, seed, de->name, de->name_len,
				     &h, &minor);
			if (h >= pos && (!b->more || h < b->next))
				v[n++] = (struct dx_sorted){ h, de };
		}
	}
	qsort(v, n, sizeof(*v), dx_sorted_cmp);
	return n;
}

/* Hand out the names of b from hash pos (see dx_batch_sort). */
static int dx_batch_emit(struct ext2_inode_info *dir, struct dx_batch *b,
			 uint32_t pos,
			 int (*fn)(void *arg, const char *name, uint64_t ino,
				   unsigned type),
			 void *arg)
{
	size_t max = (size_t)b->nblk * (dir->fs->blocksize / 12);
	struct dx_sorted *v = mem_alloc(max * sizeof(*v) + 1);
	int n, i, ret = 0;

	if (!v)
		return err_set(-ENOMEM, "out of memory for reading a "
			       "directory");
	n = dx_batch_sort(dir, b, pos, v);
	if (n < 0)
		ret = n;
	for (i = 0; i < n && !ret; i++)
		ret = de_emit(dir->fs, v[i].de, fn, arg);
	mem_free(v);
	return ret;
}

/* "." and ".." of the indexed dir: the root's first two records. */
static int dx_emit_dots(struct ext2_inode_info *dir,
			int (*fn)(void *arg, const char *name, uint64_t ino,
				  unsigned type),
			void *arg)
{
	unsigned char dots[24], *root;
	int ret, i;

	down_read(&dir->i_rwsem);
	ret = ext2_dx_block(dir, 0, &root);
	if (!ret)
		memcpy(dots, root, sizeof(dots));
	up_read(&dir->i_rwsem);
	for (i = 0; i < 2 && !ret; i++)
		if (de_at(dots, 12 * i)->inode)
			ret = de_emit(dir->fs, de_at(dots, 12 * i), fn, arg);
	return ret;
}

/* Call fn for every live entry of the indexed dir, in hash order (see
 * the top).  A dir that stops being indexed (emptied and removed) ends
 * the walk. */
static int dx_iterate(struct ext2_inode_info *dir,
		      int (*fn)(void *arg, const char *name, uint64_t ino,
				unsigned type),
		      void *arg)
{
	struct dx_batch b = { 0 };
	uint32_t pos = 0;
	int ret = dx_emit_dots(dir, fn, arg);

	while (!ret) {
		down_read(&dir->i_rwsem);
		ret = ext2_dx_indexed(dir) ? ext2_dx_range(dir, pos, &b) : 1;
		up_read(&dir->i_rwsem);
		if (ret == 1) {
			ret = 0;
			break;
		}
		if (!ret)
			ret = dx_batch_emit(dir, &b, pos, fn, arg);
		if (ret || !b.more)
			break;
		if (b.next <= pos)
			ret = ext2_corrupt(dir->fs, "directory inode %u: index "
					   "out of order", dir->ino);
		pos = b.next;
	}
	mem_free(b.buf);
	return ret;
}

/* Call fn for every live entry of the linear dir (see the top).  A
 * directory given an index under the walk had one block (ext4's rule,
 * dir.c): if that block was copied already, every name it held was
 * listed and the walk ends; if not, the walk goes in hash order. */
static int linear_iterate(struct ext2_inode_info *dir,
			  int (*fn)(void *arg, const char *name,
				    uint64_t ino, unsigned type),
			  void *arg)
{
	struct ext2_sb_info *fs = dir->fs;
	unsigned char buf[4096], *blk;
	uint32_t bi;
	int ret = 0;

	for (bi = 0;; bi++) {
		uint32_t off = 0;

		down_read(&dir->i_rwsem);
		if (ext2_dx_indexed(dir)) {
			up_read(&dir->i_rwsem);
			return bi ? 0 : dx_iterate(dir, fn, arg);
		}
		ret = ext2_dir_linear_block(dir, bi, &blk);
		if (!ret)
			memcpy(buf, blk, fs->blocksize);
		up_read(&dir->i_rwsem);
		if (ret)
			return ret < 0 ? ret : 0;
		while (off < fs->blocksize) {
			struct ext2_dir_entry_2 *de = de_at(buf, off);

			/* Checked when indexed, but a damaged file may share
			 * the block and have written over it since. */
			ret = ext2_dir_de_check(dir, bi, off, de);
			if (ret)
				return ret;
			if (de->inode && (ret = de_emit(fs, de, fn, arg)))
				return ret;
			off += le16_get(de->rec_len);
		}
	}
}

/*
 * Call fn for every live entry of dir: linear or indexed (see the top),
 * with no lock held during fn, so fn may call into libdaxfs (even to
 * change this directory).
 */
int ext2_dir_iterate(struct ext2_inode_info *dir,
		      int (*fn)(void *arg, const char *name, uint64_t ino,
				unsigned type),
		      void *arg)
{
	bool indexed;

	down_read(&dir->i_rwsem);
	indexed = ext2_dx_indexed(dir);
	up_read(&dir->i_rwsem);
	return indexed ? dx_iterate(dir, fn, arg) :
			 linear_iterate(dir, fn, arg);
}
