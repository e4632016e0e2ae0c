/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * htree_split.c -- inserts into ext2's indexed directories: a leaf with
 * room takes the entry in place; a full one splits, the index above it
 * growing a level or splitting a node; a one-block linear directory gets
 * its index.  Every block rewritten is a new block switched in by one
 * logged pointer (the design is written at the top of htree.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daxfs.h"
#include "core/mem.h"
#include "ext2/dir.h"
#include "ext2/htree.h"

/* A new block holding a copy of buf, persisted, in *nb: to replace a
 * block of dir by dx_switch. */
static int dx_prepare(struct ext2_inode_info *dir, const unsigned char *buf,
		      uint32_t *nb)
{
	struct ext2_sb_info *fs = dir->fs;
	uint32_t n = 1;
	int ret;

	ret = ext2_new_blocks(fs, dir->alloc_goal, 1, nb, &n);
	if (ret)
		return ret;
	memcpy(ext2_block(fs, *nb), buf, fs->blocksize);
	ext2_persist(fs, ext2_block(fs, *nb), fs->blocksize);
	return 0;
}

/* Put block nb (from dx_prepare) behind logical block lblk of dir: the
 * pointer's old value logged, then switched; the old block freed at the
 * commit.  Fails only on a damaged block map. */
static int dx_switch(struct ext2_inode_info *dir, uint32_t lblk, uint32_t nb)
{
	struct ext2_sb_info *fs = dir->fs;
	uint32_t n = 1;
	le32 *slot;
	int ret;

	down_write(&dir->bmap_lock);
	ext2_extent_cache_clear(dir);
	ret = ext2_bmap_slots(dir, lblk, &n, &slot);
	if (!ret) {
		ext2_jlog(slot, 4);
		ext2_free_blocks(fs, le32_get(*slot), 1);
		*slot = le32_put(nb);
		ext2_persist(fs, slot, 4);
		ext2_dx_cache_switched(dir, lblk, ext2_block(fs, nb));
		dir->dx_moves++;
	}
	up_write(&dir->bmap_lock);
	if (ret)
		ext2_free_blocks(fs, nb, 1);
	return ret;
}

/* Free the blocks of dx_prepare that no switch took (0 entries skip). */
static void dx_unprepare(struct ext2_inode_info *dir, uint32_t a, uint32_t b)
{
	if (a)
		ext2_free_blocks(dir->fs, a, 1);
	if (b)
		ext2_free_blocks(dir->fs, b, 1);
}

/* Append a fresh block to dir: its logical number and bytes. */
static int dx_append(struct ext2_inode_info *dir, uint32_t *lblk,
		     unsigned char **blk)
{
	uint32_t pblk, count;
	bool is_new;
	int ret;

	*lblk = dx_nblocks(dir);
	ret = ext2_bmap(dir, *lblk, 1, true, &pblk, &count, &is_new);
	if (ret)
		return ret;
	if (!is_new)
		return ext2_corrupt(dir->fs, "directory inode %u has blocks "
				    "past its size", dir->ino);
	*blk = ext2_block(dir->fs, pblk);
	ext2_inode_set_size(dir, (uint64_t)(*lblk + 1) <<
				 dir->fs->blocksize_bits);
	ext2_dx_cache_grown(dir);
	return 0;
}

/* Fill buf with the index block of frame f plus (hash, block) after
 * f->at (f has room). */
static void dx_fill_insert(struct ext2_sb_info *fs, unsigned char *buf,
			   struct dx_frame *f, uint32_t hash, uint32_t block)
{
	unsigned at = f->at - f->entries + 1, n = dx_count(f->entries);
	struct dx_entry *e;

	memcpy(buf, f->blk, fs->blocksize);
	e = (struct dx_entry *)(buf + ((unsigned char *)f->entries - f->blk));
	memmove(&e[at + 1], &e[at], (n - at) * sizeof(*e));
	e[at].hash = le32_put(hash);
	e[at].block = le32_put(block);
	dx_cl(e)->count = le16_put(n + 1);
}

static int dx_map_cmp(const void *a, const void *b)
{
	const struct dx_map *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* The live names of a leaf, sorted by hash, into map: their count. */
static int dx_map_leaf(struct ext2_inode_info *dir, unsigned char *blk,
		       uint32_t bi, unsigned version, struct dx_map *map)
{
	uint32_t off = 0, seed[4], minor;
	int n = 0, ret;

	ext2_hash_seed(dir->fs, seed);
	while (off < dir->fs->blocksize) {
		struct ext2_dir_entry_2 *de = (void *)(blk + off);

		ret = ext2_dir_de_check(dir, bi, off, de);
		if (ret)
			return ret;
		if (de->inode) {
			ext2_dirhash(version, seed, de->name, de->name_len,
				     &map[n].hash, &minor);
			map[n].off = off;
			map[n++].size = EXT2_DIR_REC_LEN(de->name_len);
		}
		off += le16_get(de->rec_len);
	}
	qsort(map, n, sizeof(*map), dx_map_cmp);
	return n;
}

/* Write the names map[0..n) of src compacted into the block dst, the
 * last record covering the rest of it (an empty record if n is 0). */
static void dx_pack(struct ext2_sb_info *fs, unsigned char *dst,
		    const unsigned char *src, const struct dx_map *map, int n)
{
	struct ext2_dir_entry_2 *de = NULL;
	uint32_t off = 0;
	int i;

	for (i = 0; i < n; i++) {
		de = (struct ext2_dir_entry_2 *)(dst + off);
		memcpy(de, src + map[i].off, map[i].size);
		de->rec_len = le16_put(map[i].size);
		off += map[i].size;
	}
	if (!de) {
		de = (struct ext2_dir_entry_2 *)dst;
		memset(de, 0, 8);
	}
	de->rec_len = le16_put(fs->blocksize - ((unsigned char *)de - dst));
}

/* Where to split a sorted leaf: the first name that moves (half of the
 * bytes stay). */
static int dx_split_point(const struct dx_map *map, int n)
{
	uint32_t size = 0, total = 0;
	int i;

	for (i = 0; i < n; i++)
		total += map[i].size;
	for (i = 0; i < n - 1 && size + map[i].size <= total / 2; i++)
		size += map[i].size;
	return i ? i : 1;
}

/* Two blocks of the size of fs, or NULL with an error set. */
static unsigned char *dx_bufs(struct ext2_sb_info *fs)
{
	unsigned char *b = mem_alloc(2 * (size_t)fs->blocksize);

	if (!b)
		err_set(-ENOMEM, "out of memory for a directory index");
	return b;
}

/*
 * Write two index/leaf blocks of dir at once: bufs[0] replaces logical
 * block l0, bufs[1] replaces l1 (unless l1 is UINT32_MAX), after a fresh
 * block is appended to dir and filled by fill(arg, its bytes).  Nothing
 * changes if a step that can fail fails.
 */
static int dx_commit2(struct ext2_inode_info *dir, unsigned char *bufs,
		      uint32_t l0, uint32_t l1,
		      void (*fill)(void *arg, unsigned char *blk), void *arg)
{
	uint32_t nb0 = 0, nb1 = 0, nbi;
	unsigned char *nblk = NULL;
	int ret;

	ret = dx_prepare(dir, bufs, &nb0);
	if (!ret && l1 != UINT32_MAX)
		ret = dx_prepare(dir, bufs + dir->fs->blocksize, &nb1);
	if (!ret)
		ret = dx_append(dir, &nbi, &nblk);
	if (ret) {
		dx_unprepare(dir, nb0, nb1);
		return ret;
	}
	fill(arg, nblk);
	ext2_persist(dir->fs, nblk, dir->fs->blocksize);
	ret = dx_switch(dir, l0, nb0);
	if (ret) {
		dx_unprepare(dir, 0, nb1);
		return ret;
	}
	return l1 == UINT32_MAX ? 0 : dx_switch(dir, l1, nb1);
}

/* The upper half of a split leaf, for dx_commit2. */
struct dx_upper {
	struct ext2_sb_info *fs;
	const unsigned char *src;
	const struct dx_map *map;
	int n;
};

static void dx_fill_upper(void *arg, unsigned char *blk)
{
	struct dx_upper *u = arg;

	dx_pack(u->fs, blk, u->src, u->map, u->n);
}

/* Split the full leaf of p (block bi, bytes blk): the upper half of its
 * names by hash to a new leaf, the lower half compacted in place of the
 * old one, the new leaf's entry into the parent (which has room). */
static int dx_split_leaf(struct ext2_inode_info *dir, struct dx_path *p,
			 uint32_t bi, unsigned char *blk)
{
	struct ext2_sb_info *fs = dir->fs;
	struct dx_map *map = mem_alloc(fs->blocksize / 12 * sizeof(*map));
	unsigned char *bufs = dx_bufs(fs);
	struct dx_upper u = { fs, blk, NULL, 0 };
	int n = 0, split, ret;

	ret = map ? 0 : err_set(-ENOMEM, "out of memory for a directory "
				"index");
	if (!ret && !bufs)
		ret = -ENOMEM;
	if (!ret)
		ret = n = dx_map_leaf(dir, blk, bi, p->version, map);
	if (ret >= 0 && ret < 2)
		ret = ext2_corrupt(fs, "directory inode %u: a full leaf with "
				   "one name", dir->ino);
	if (ret >= 0) {
		uint32_t hash2;

		split = dx_split_point(map, n);
		hash2 = map[split].hash | (map[split - 1].hash ==
					   map[split].hash); /* continued */
		u.map = map + split;
		u.n = n - split;
		dx_pack(fs, bufs, blk, map, split);
		dx_fill_insert(fs, bufs + fs->blocksize, &p->f[p->levels - 1],
			       hash2, dx_nblocks(dir));
		ret = dx_commit2(dir, bufs, bi, p->f[p->levels - 1].lblk,
				 dx_fill_upper, &u);
	}
	mem_free(map);
	mem_free(bufs);
	return ret;
}

/* Fill buf as an index node holding the n entries at e (count n). */
static void dx_fill_node(struct ext2_sb_info *fs, unsigned char *buf,
			 const struct dx_entry *e, unsigned n)
{
	struct ext2_dir_entry_2 *de = (struct ext2_dir_entry_2 *)buf;
	struct dx_entry *ne = (struct dx_entry *)(buf + DX_NODE_ENTRIES);

	memset(buf, 0, fs->blocksize);
	de->rec_len = le16_put(fs->blocksize);
	memcpy(ne, e, n * sizeof(*e));
	dx_cl(ne)->limit = le16_put(dx_node_limit(fs));
	dx_cl(ne)->count = le16_put(n);
}

/* Entries to put in a new node, for dx_commit2. */
struct dx_nodefill {
	struct ext2_sb_info *fs;
	const struct dx_entry *e;
	unsigned n;
};

static void dx_fill_new_node(void *arg, unsigned char *blk)
{
	struct dx_nodefill *nf = arg;

	dx_fill_node(nf->fs, blk, nf->e, nf->n);
}

/* The root is full and has no nodes: move its entries to a new node and
 * point the root's one entry at it (indirect levels 1). */
static int dx_grow_root(struct ext2_inode_info *dir, struct dx_path *p)
{
	struct ext2_sb_info *fs = dir->fs;
	struct dx_frame *r = &p->f[0];
	struct dx_nodefill nf = { fs, r->entries, dx_count(r->entries) };
	unsigned char *buf = dx_bufs(fs);
	struct dx_entry *e;
	int ret;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, r->blk, fs->blocksize);
	dx_info(buf)->indirect_levels = 1;
	e = (struct dx_entry *)(buf + DX_ROOT_ENTRIES);
	dx_cl(e)->count = le16_put(1);
	e[0].block = le32_put(dx_nblocks(dir));
	ret = dx_commit2(dir, buf, 0, UINT32_MAX, dx_fill_new_node, &nf);
	mem_free(buf);
	return ret;
}

/* The node of p is full (the root is not): its upper half to a new node,
 * the lower half rewritten in place, the new node's entry into the root. */
static int dx_split_node(struct ext2_inode_info *dir, struct dx_path *p)
{
	struct ext2_sb_info *fs = dir->fs;
	struct dx_frame *f = &p->f[1];
	unsigned n = dx_count(f->entries), half = n / 2;
	struct dx_nodefill nf = { fs, f->entries + half, n - half };
	unsigned char *bufs = dx_bufs(fs);
	int ret;

	if (!bufs)
		return -ENOMEM;
	dx_fill_node(fs, bufs, f->entries, half);
	dx_fill_insert(fs, bufs + fs->blocksize, &p->f[0],
		       le32_get(f->entries[half].hash), dx_nblocks(dir));
	ret = dx_commit2(dir, bufs, f->lblk, 0, dx_fill_new_node, &nf);
	mem_free(bufs);
	return ret;
}

/* Make room in the parent of the leaf of p for one more entry: 1 if the
 * tree changed (walk again), 0 if it had room, or -errno. */
static int dx_make_room(struct ext2_inode_info *dir, struct dx_path *p)
{
	struct dx_entry *low = p->f[p->levels - 1].entries;
	int ret;

	if (dx_count(low) < dx_limit(low))
		return 0;
	if (p->levels == 1)
		ret = dx_grow_root(dir, p);
	else if (dx_count(p->f[0].entries) < dx_limit(p->f[0].entries))
		ret = dx_split_node(dir, p);
	else
		ret = err_set(-ENOSPC, "directory inode %u: its hash index "
			      "is full", dir->ino);
	return ret ? ret : 1;
}

/* The record of leaf blk (logical bi) with the most free bytes: its
 * offset in *at and its room in *room; -EUCLEAN for a bad record. */
static int dx_leaf_best(struct ext2_inode_info *dir, unsigned char *blk,
			uint32_t bi, uint32_t *at, uint32_t *room)
{
	uint32_t off = 0;

	*at = *room = 0;
	while (off < dir->fs->blocksize) {
		struct ext2_dir_entry_2 *de = de_at(blk, off);

		if (!dx_de_sound(dir->fs, off, de)) {
			int ret = ext2_dir_de_check(dir, bi, off, de);

			return ret ? ret : -EUCLEAN;
		}
		if (de_avail(de) > *room) {
			*room = de_avail(de);
			*at = off;
		}
		off += le16_get(de->rec_len);
	}
	return 0;
}

/* A record of leaf blk (logical bi) with room for need bytes: its offset
 * in *at, or 1 if there is none (the leaf must split); -EUCLEAN for a bad
 * record.  The leaf's room hint first (htree_cache.c), checked where it
 * points; a walk of the leaf when it is unknown or too small. */
static int dx_leaf_room(struct ext2_inode_info *dir, unsigned char *blk,
			uint32_t bi, uint32_t need, uint32_t *at)
{
	uint32_t off = 0, room = ext2_dx_cache_room(dir, bi, &off);
	int ret;

	if (room >= need && off + DIR_MIN_REC <= dir->fs->blocksize &&
	    dx_de_sound(dir->fs, off, de_at(blk, off)) &&
	    de_avail(de_at(blk, off)) >= need) {
		*at = off;
		return 0;
	}
	ret = dx_leaf_best(dir, blk, bi, &off, &room);
	if (ret)
		return ret;
	ext2_dx_cache_set_room(dir, bi, off, room);
	if (room < need)
		return 1;
	*at = off;
	return 0;
}

/* Add name -> ino to the indexed directory dir, splitting its leaf (and
 * the index above) as needed.  Caller holds i_rwsem exclusively and has
 * checked that name is absent. */
int ext2_dx_add(struct ext2_inode_info *dir, const char *name, size_t len,
		uint32_t ino, unsigned ftype)
{
	struct ext2_dir_entry_2 *de;
	unsigned char *blk;
	struct dx_path p;
	uint32_t bi, off = 0;
	int ret, tries;

	for (tries = 0;; tries++) {
		ret = ext2_dx_probe(dir, name, len, &p, &bi);
		if (!ret)
			ret = ext2_dx_block(dir, bi, &blk);
		if (!ret)
			ret = dx_leaf_room(dir, blk, bi, EXT2_DIR_REC_LEN(len),
					   &off);
		if (ret <= 0)
			break;
		if (tries == 4)
			return ext2_corrupt(dir->fs, "directory inode %u: no "
					    "room after a split", dir->ino);
		ret = dx_make_room(dir, &p);
		if (!ret)
			ret = dx_split_leaf(dir, &p, bi, blk);
		if (ret < 0)
			return ret;
	}
	if (ret)
		return ret;
	de = ext2_dir_block_insert(dir->fs, blk, off, name, len, ino, ftype);
	ext2_dx_cache_name_added(dir, bi, (unsigned char *)de - blk, name, len);
	/* what is left of the record is the best bet for the next insert */
	ext2_dx_cache_set_room(dir, bi, (unsigned char *)de - blk,
			       de_avail(de));
	return 0;
}

/* The hash version a new root gets: the superblock's default. */
static unsigned dx_def_version(struct ext2_sb_info *fs)
{
	unsigned v = fs->es->s_def_hash_version;

	return v <= EXT2_HASH_TEA ? v : EXT2_HASH_HALF_MD4;
}

/* Fill buf as a root over one leaf at block 1, keeping the "." and ".."
 * of the linear block 0 at old. */
static void dx_fill_root(struct ext2_sb_info *fs, unsigned char *buf,
			 const unsigned char *old)
{
	struct ext2_dir_entry_2 *dd = (struct ext2_dir_entry_2 *)(buf + 12);
	struct dx_root_info *info = dx_info(buf);
	struct dx_entry *e = (struct dx_entry *)(buf + DX_ROOT_ENTRIES);

	memset(buf, 0, fs->blocksize);
	memcpy(buf, old, 12);
	memcpy(dd, old + 12, 12);
	((struct ext2_dir_entry_2 *)buf)->rec_len = le16_put(12);
	dd->rec_len = le16_put(fs->blocksize - 12);
	info->hash_version = dx_def_version(fs);
	info->info_length = 8;
	dx_cl(e)->limit = le16_put(dx_root_limit(fs));
	dx_cl(e)->count = le16_put(1);
	e[0].block = le32_put(1);
}

/* Check that block 0 of a linear dir starts with "." and "..", as a root
 * must. */
static int dx_check_dots(struct ext2_inode_info *dir, unsigned char *blk)
{
	struct ext2_dir_entry_2 *d = (void *)blk, *dd = (void *)(blk + 12);

	if (le16_get(d->rec_len) == 12 && d->name_len == 1 &&
	    d->name[0] == '.' && le16_get(dd->rec_len) >= 12 &&
	    dd->name_len == 2 && !memcmp(dd->name, "..", 2))
		return 0;
	return ext2_corrupt(dir->fs, "directory inode %u: block 0 does not "
			    "start with \".\" and \"..\"", dir->ino);
}

/* The names of a linear block 0 to move to the first leaf, for
 * dx_commit2 ("." and ".." left out: they stay in the root). */
static void dx_fill_first_leaf(void *arg, unsigned char *blk)
{
	struct dx_upper *u = arg;
	int i, k = 0;

	for (i = 0; i < u->n; i++)
		if (u->map[i].off >= 24)
			((struct dx_map *)u->map)[k++] = u->map[i];
	dx_pack(u->fs, blk, u->src, u->map, k);
}

/*
 * Give the one-block linear directory dir an index, as ext4 does when a
 * directory outgrows its first block: its names (all but "." and "..")
 * move to a new leaf at block 1, block 0 becomes the root over it, and
 * EXT2_INDEX_FL is set.  Caller holds i_rwsem exclusively.
 */
int ext2_dx_make_indexed(struct ext2_inode_info *dir)
{
	struct ext2_sb_info *fs = dir->fs;
	struct dx_map *map = mem_alloc(fs->blocksize / 12 * sizeof(*map));
	unsigned char *buf = dx_bufs(fs), *blk;
	uint32_t fl = le32_get(dir->raw->i_flags);
	struct dx_upper u = { fs, NULL, map, 0 };
	int ret = map && buf ? 0 : -ENOMEM;

	if (!map && buf)
		err_set(-ENOMEM, "out of memory for a directory index");
	if (!ret)
		ret = ext2_dx_block(dir, 0, &blk);
	if (!ret)
		ret = dx_check_dots(dir, blk);
	if (!ret)
		ret = u.n = dx_map_leaf(dir, blk, 0, ext2_hash_version(fs,
					dx_def_version(fs)), map);
	if (ret >= 0) {
		u.src = blk;
		dx_fill_root(fs, buf, blk);
		ret = dx_commit2(dir, buf, 0, UINT32_MAX, dx_fill_first_leaf,
				 &u);
	}
	if (!ret) {
		ext2_jlog(&dir->raw->i_flags, 4);
		dir->raw->i_flags = le32_put(fl | EXT2_INDEX_FL);
		ext2_persist(fs, &dir->raw->i_flags, 4);
		ext2_dir_index_free(dir);
	}
	mem_free(map);
	mem_free(buf);
	return ret;
}
