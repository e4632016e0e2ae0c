/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * htree.c -- ext2's hash-indexed directories (dir_index) kept on the
 * media, so that e2fsck and the kernel keep a valid index and a lookup
 * reads three blocks at most, with no DRAM index to build.
 *
 * Layout (the format ext3/ext4 and e2fsprogs share).  Logical block 0 is
 * the root: "." (record of 12 bytes) and ".." (a record covering the rest
 * of the block), then at offset 24 dx_root_info (hash version, its length
 * 8, indirect levels) and at 32 the entries: 8 bytes each, a hash and a
 * logical block; the first one's hash is the count and the limit.  With
 * one indirect level the root's entries point at nodes: a block whose
 * one record is unused and covers it all, entries at offset 8.  Leaves
 * are ordinary directory blocks.  Entry i covers hashes from its hash to
 * the next entry's; a hash with the low bit set marks a leaf that
 * continues the names of the same hash from the leaf before (names hash
 * with the low bit clear).  Supported here: hash versions 0-2 (and their
 * unsigned variants, per s_flags), 0 or 1 indirect levels (the most ext2
 * has without the large_dir feature); a root this code cannot read makes
 * the directory linear on its first change (dir.c, dir_clear_htree), as
 * before.  A full tree (a full root over full nodes) refuses the insert
 * with -ENOSPC.
 *
 * Changes.  An insert with room in its leaf writes the entry in place
 * (ext2_dir_block_insert: small records logged).  A leaf without room
 * splits: a new leaf at the end of the directory (fresh, logged as every
 * allocation) takes the upper half of the names by hash; the lower half
 * is written, compacted, to a new block that replaces the leaf's block in
 * the block map (one 4-byte pointer logged, the old block freed at the
 * commit); the parent gets the new leaf's entry the same way, rewritten
 * whole in a new block.  So a split logs a few dozen bytes and a crash
 * undoes it whole: every block it changes is either new or swapped in by
 * one logged pointer.  A full root moves its entries to a new node (one
 * level of nodes); a full node splits in two.  Removals take the entry
 * out of its leaf in place and never merge leaves (as ext4).
 *
 * Locking: the directory's i_rwsem, shared for lookups, exclusive for
 * changes; the block map switch under bmap_lock held exclusively.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daxfs.h"
#include "core/mem.h"
#include "ext2/dir.h"
#include "ext2/htree.h"

/* The bytes of logical block lblk of dir, or -EUCLEAN: from the
 * directory's cache (htree_cache.c), else from the block map. */
int ext2_dx_block(struct ext2_inode_info *dir, uint32_t lblk,
		  unsigned char **blk)
{
	uint32_t pblk = 0, count;
	bool is_new;
	int ret;

	if (lblk >= dx_nblocks(dir))
		return ext2_corrupt(dir->fs, "directory inode %u: index points "
				    "at block %u past its end", dir->ino, lblk);
	*blk = ext2_dx_cache_addr(dir, lblk);
	if (*blk)
		return 0;
	ret = ext2_bmap(dir, lblk, 1, false, &pblk, &count, &is_new);
	if (ret)
		return ret;
	if (!pblk)
		return ext2_corrupt(dir->fs, "directory inode %u has a hole "
				    "at block %u", dir->ino, lblk);
	*blk = ext2_block(dir->fs, pblk);
	ext2_dx_cache_set_addr(dir, lblk, *blk);
	return 0;
}

/* Whether root is a dx_root this code reads (else the directory is
 * treated as linear). */
static bool dx_root_supported(struct ext2_sb_info *fs, unsigned char *root)
{
	struct dx_root_info *info = dx_info(root);
	struct dx_entry *e = (struct dx_entry *)(root + DX_ROOT_ENTRIES);
	const struct ext2_dir_entry_2 *dd = (void *)(root + 12);

	return le16_get(((struct ext2_dir_entry_2 *)root)->rec_len) == 12 &&
	       le16_get(dd->rec_len) == fs->blocksize - 12 &&
	       info->reserved_zero == 0 && info->info_length == 8 &&
	       info->hash_version <= EXT2_HASH_TEA &&
	       info->indirect_levels < DX_MAX_LEVELS &&
	       dx_limit(e) == dx_root_limit(fs) && dx_count(e) >= 1 &&
	       dx_count(e) <= dx_limit(e);
}

/* Whether dir's index is kept up to date: the file system has dir_index,
 * dir has EXT2_INDEX_FL and a root this code reads (checked until the
 * cache it starts says so; only this code changes the root, and the flag
 * is cleared only with the cache dropped).  The cache starts at the
 * second use: a directory looked in once, as after a mount, allocates
 * nothing (fresh pages: a page fault each, several microseconds here). */
bool ext2_dx_indexed(struct ext2_inode_info *dir)
{
	struct ext2_sb_info *fs = dir->fs;
	unsigned char *root;

	if (!(le32_get(dir->raw->i_flags) & EXT2_INDEX_FL) ||
	    !(le32_get(fs->es->s_feature_compat) &
	      EXT2_FEATURE_COMPAT_DIR_INDEX) || dx_nblocks(dir) < 2)
		return false;
	if (ext2_dx_cache_present(dir))
		return true;
	if (ext2_dx_block(dir, 0, &root) || !dx_root_supported(fs, root))
		return false;
	if (atomic_exchange(&dir->dx_seen, true))
		ext2_dx_cache_start(dir);
	return true;
}

/* The last two names hashed by this thread, so that a create hashes its
 * name once for the lookup and the insert, and a rename each of its two
 * names once for the lookups, the insert and the removal. */
static __thread struct dx_memo {
	uint32_t seed[4];
	unsigned version;
	size_t len;
	uint32_t hash;
	char name[EXT2_NAME_LEN];
} dx_memo[2];
static __thread unsigned dx_memo_next; /* the slot the next one takes */

/* Whether m holds the hash of name (version, seed). */
static bool dx_memo_has(const struct dx_memo *m, const uint32_t *seed,
			unsigned version, const char *name, size_t len)
{
	return m->len == len && m->version == version &&
	       !memcmp(m->seed, seed, sizeof(m->seed)) &&
	       !memcmp(m->name, name, len);
}

/* The hash of name for dir's tree (version in p->version). */
static void dx_hash(struct ext2_inode_info *dir, const char *name,
		    size_t len, struct dx_path *p)
{
	uint32_t seed[4], minor;
	struct dx_memo *m;
	int i;

	ext2_hash_seed(dir->fs, seed);
	for (i = 0; i < 2 && len <= EXT2_NAME_LEN; i++)
		if (dx_memo_has(&dx_memo[i], seed, p->version, name, len)) {
			p->hash = dx_memo[i].hash;
			return;
		}
	ext2_dirhash(p->version, seed, name, len, &p->hash, &minor);
	if (len <= EXT2_NAME_LEN) {
		m = &dx_memo[dx_memo_next];
		dx_memo_next ^= 1;
		memcpy(m->seed, seed, sizeof(seed));
		memcpy(m->name, name, len);
		m->version = p->version;
		m->len = len;
		m->hash = p->hash;
	}
}

/* Entries a and b (a < b <= the count n at e) around hash: a is 0 or
 * has a hash <= hash, b is n or has a hash > hash; found by steps that
 * double from the guess g (1 <= g < n). */
static void dx_bracket(const struct dx_entry *e, unsigned n, unsigned g,
		       uint32_t hash, unsigned *a, unsigned *b)
{
	unsigned step = 1;

	if (le32_get(e[g].hash) <= hash) {
		while (g + step < n && le32_get(e[g + step].hash) <= hash)
			g += step, step *= 2;
		*a = g;
		*b = g + step < n ? g + step : n;
		return;
	}
	while (g > step && le32_get(e[g - step].hash) > hash)
		g -= step, step *= 2;
	*a = g > step ? g - step : 0;
	*b = g;
}

/* The last entry of the count at e whose hash is <= hash (entry 0 if
 * none; its hash is implicitly lo), the hashes of e lying in [lo, hi].
 * Names hash evenly, so where hash falls in [lo, hi] is where its entry
 * about is: a search from that guess reads two or three cache lines of
 * a 4 KiB node, where a binary search reads seven, each a miss in a
 * node not used lately.  Any spread of hashes is searched right, at
 * worst in twice the steps of a binary search. */
static struct dx_entry *dx_search(struct dx_entry *e, uint32_t hash,
				  uint32_t lo, uint32_t hi)
{
	unsigned n = dx_count(e), a = 0, b = n, mid;
	uint64_t g;

	if (n > 2 && hash > lo && hi > lo) {
		g = (uint64_t)(hash - lo) * n / ((uint64_t)hi - lo + 1);
		g = g < 1 ? 1 : g > n - 1 ? n - 1 : g;
		dx_bracket(e, n, (unsigned)g, hash, &a, &b);
	}
	for (a++; a < b;) {
		mid = a + (b - a) / 2;
		if (le32_get(e[mid].hash) <= hash)
			a = mid + 1;
		else
			b = mid;
	}
	return &e[a - 1];
}

/* The hashes the child of entry at (of the count at e) holds: [*lo, *hi]
 * within the parent's own [lo, hi]. */
static void dx_child_span(struct dx_entry *e, const struct dx_entry *at,
			  uint32_t *lo, uint32_t *hi)
{
	if (at != e)
		*lo = le32_get(at->hash);
	if (at + 1 < e + dx_count(e))
		*hi = le32_get(at[1].hash);
}

/* Read the node at lblk into frame f, checking its header. */
static int dx_read_node(struct ext2_inode_info *dir, uint32_t lblk,
			struct dx_frame *f)
{
	struct ext2_sb_info *fs = dir->fs;
	struct ext2_dir_entry_2 *de;
	int ret;

	ret = ext2_dx_block(dir, lblk, &f->blk);
	if (ret)
		return ret;
	de = (struct ext2_dir_entry_2 *)f->blk;
	f->lblk = lblk;
	f->entries = (struct dx_entry *)(f->blk + DX_NODE_ENTRIES);
	if (de->inode || le16_get(de->rec_len) != fs->blocksize ||
	    dx_limit(f->entries) != dx_node_limit(fs) ||
	    dx_count(f->entries) < 1 ||
	    dx_count(f->entries) > dx_limit(f->entries))
		return ext2_corrupt(fs, "directory inode %u: bad index node "
				    "at block %u", dir->ino, lblk);
	return 0;
}

/* Walk from the root to the leaf of name (or, name NULL, of the hash in
 * p->hash): p filled, *leaf its block. */
int ext2_dx_probe(struct ext2_inode_info *dir, const char *name, size_t len,
		  struct dx_path *p, uint32_t *leaf)
{
	struct dx_frame *f = &p->f[0];
	uint32_t lo = 0, hi = UINT32_MAX;
	int ret;

	ret = ext2_dx_block(dir, 0, &f->blk);
	if (ret)
		return ret;
	if (!dx_root_supported(dir->fs, f->blk))
		return ext2_corrupt(dir->fs, "directory inode %u: bad index "
				    "root", dir->ino);
	f->lblk = 0;
	f->entries = (struct dx_entry *)(f->blk + DX_ROOT_ENTRIES);
	p->levels = dx_info(f->blk)->indirect_levels + 1;
	p->version = ext2_hash_version(dir->fs, dx_info(f->blk)->hash_version);
	if (name)
		dx_hash(dir, name, len, p);
	f->at = dx_search(f->entries, p->hash, 0, UINT32_MAX);
	if (p->levels > 1) {
		dx_child_span(f->entries, f->at, &lo, &hi);
		f++;
		ret = dx_read_node(dir, le32_get(p->f[0].at->block), f);
		if (ret)
			return ret;
		f->at = dx_search(f->entries, p->hash, lo, hi);
	}
	*leaf = le32_get(f->at->block);
	return 0;
}

/* Move p to the leaf after its own: 1 with *start (the hash its entry
 * starts at, continuation bit included) and *leaf, 0 past the last leaf,
 * or -errno. */
static int dx_step(struct ext2_inode_info *dir, struct dx_path *p,
		   uint32_t *start, uint32_t *leaf)
{
	int i = p->levels - 1, ret;

	while (i >= 0 && p->f[i].at + 1 ==
			 p->f[i].entries + dx_count(p->f[i].entries))
		i--;
	if (i < 0)
		return 0;
	p->f[i].at++;
	*start = le32_get(p->f[i].at->hash);
	for (; i + 1 < (int)p->levels; i++) {
		ret = dx_read_node(dir, le32_get(p->f[i].at->block),
				   &p->f[i + 1]);
		if (ret)
			return ret;
		p->f[i + 1].at = p->f[i + 1].entries;
	}
	*leaf = le32_get(p->f[p->levels - 1].at->block);
	return 1;
}

/* Move p to the next leaf if it holds more names of p->hash (its entry
 * has the continuation bit): 1 and *leaf if so, 0 if not, or -errno.
 * (The step is taken only when the next entry continues the hash: p
 * stays where it was otherwise.) */
static int dx_next_leaf(struct ext2_inode_info *dir, struct dx_path *p,
			uint32_t *leaf)
{
	int i = p->levels - 1;
	uint32_t start;

	while (i >= 0 && p->f[i].at + 1 ==
			 p->f[i].entries + dx_count(p->f[i].entries))
		i--;
	if (i < 0 || (le32_get(p->f[i].at[1].hash) & ~1u) != p->hash)
		return 0;
	return dx_step(dir, p, &start, leaf);
}

/* Append a copy of leaf lblk of dir to b->buf. */
static int dx_copy_leaf(struct ext2_inode_info *dir, uint32_t lblk,
			struct dx_batch *b)
{
	size_t bs = dir->fs->blocksize;
	unsigned char *blk;
	int ret = ext2_dx_block(dir, lblk, &blk);

	if (ret)
		return ret;
	if ((b->nblk + 1) * bs > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4 * bs;
		unsigned char *nb = mem_realloc(b->buf, cap);

		if (!nb)
			return err_set(-ENOMEM, "out of memory for reading a "
				       "directory");
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->nblk++ * bs, blk, bs);
	return 0;
}

/* For a walk of the indexed dir in hash order (dir_iter.c): copy into b
 * the leaf that holds hash pos and the leaves that continue it (names of
 * one hash across leaves), with where the next leaf's hashes start
 * (b->next, b->more) and the hash version.  Caller holds i_rwsem. */
int ext2_dx_range(struct ext2_inode_info *dir, uint32_t pos,
		  struct dx_batch *b)
{
	uint32_t leaf, start = 0;
	struct dx_path p;
	int ret;

	p.hash = pos;
	b->nblk = 0;
	b->more = false;
	ret = ext2_dx_probe(dir, NULL, 0, &p, &leaf);
	b->version = p.version;
	while (!ret) {
		ret = dx_copy_leaf(dir, leaf, b);
		if (!ret)
			ret = dx_step(dir, &p, &start, &leaf);
		if (ret <= 0)
			return ret;
		if (!(start & 1) || b->nblk > dx_nblocks(dir)) {
			b->next = start & ~1u;
			b->more = true;
			return 0;
		}
		ret = 0; /* the next leaf goes on with this hash: copy it too */
	}
	return ret;
}

/* Find name in leaf bi (bytes blk) through its table of names l (mask:
 * its slots less one): the slots from the tag's own to the first free
 * one (never more than all of them). */
static int dx_leaf_lookup(struct ext2_inode_info *dir, unsigned char *blk,
			  const struct dx_leaf *l, unsigned m, const char *name,
			  size_t len, struct ext2_dir_entry_2 **out)
{
	uint16_t tag = dx_tag(name, len);
	unsigned i, n;

	for (i = tag & m, n = 0; n <= m && l->e[i].off != DX_SLOT_FREE;
	     i = (i + 1) & m, n++) {
		struct ext2_dir_entry_2 *de;

		if (l->e[i].tag != tag)
			continue;
		de = (void *)(blk + l->e[i].off);
		if (dx_de_sound(dir->fs, l->e[i].off, de) && de->inode &&
		    de->name_len == len && !memcmp(de->name, name, len)) {
			*out = de;
			return 0;
		}
	}
	return -ENOENT;
}

/* Find name in the leaf block blk (logical bi): through its table of
 * names if the cache gives one, else by a walk checking each record. */
static int dx_leaf_find(struct ext2_inode_info *dir, unsigned char *blk,
			uint32_t bi, const char *name, size_t len,
			struct ext2_dir_entry_2 **out)
{
	struct ext2_sb_info *fs = dir->fs;
	const struct dx_leaf *l;
	uint32_t off = 0;
	unsigned mask;
	int ret = ext2_dx_cache_names(dir, bi, blk, &l, &mask);

	if (ret || l)
		return ret ? ret : dx_leaf_lookup(dir, blk, l, mask, name, len,
						  out);
	while (off < fs->blocksize) {
		struct ext2_dir_entry_2 *de = (void *)(blk + off);

		if (!dx_de_sound(fs, off, de)) {
			ret = ext2_dir_de_check(dir, bi, off, de);
			return ret ? ret : -EUCLEAN;
		}
		if (de->name_len == len && de->inode &&
		    !memcmp(de->name, name, len)) {
			*out = de;
			return 0;
		}
		off += le16_get(de->rec_len);
	}
	return -ENOENT;
}

/* "." or ".." of an indexed directory: the root's first two records. */
static int dx_find_dots(struct ext2_inode_info *dir, size_t len,
			struct ext2_dir_entry_2 **de, unsigned char **blk,
			uint32_t *bi)
{
	int ret = ext2_dx_block(dir, 0, blk);

	if (ret)
		return ret;
	*bi = 0;
	*de = (struct ext2_dir_entry_2 *)(*blk + (len == 1 ? 0 : 12));
	return (*de)->inode ? 0 : -ENOENT;
}

/* Find name in the indexed directory dir: its entry, the leaf block and
 * its logical number.  -ENOENT if absent. */
int ext2_dx_find(struct ext2_inode_info *dir, const char *name, size_t len,
		 struct ext2_dir_entry_2 **de, unsigned char **blk,
		 uint32_t *bi)
{
	struct dx_path p;
	int ret;

	if ((len == 1 || len == 2) && !memcmp(name, "..", len))
		return dx_find_dots(dir, len, de, blk, bi);
	ret = ext2_dx_probe(dir, name, len, &p, bi);
	while (!ret) {
		ret = ext2_dx_block(dir, *bi, blk);
		if (!ret)
			ret = dx_leaf_find(dir, *blk, *bi, name, len, de);
		if (ret != -ENOENT)
			return ret;
		ret = dx_next_leaf(dir, &p, bi);
		ret = ret == 1 ? 0 : ret ? ret : -ENOENT;
	}
	return ret;
}

/* Keep the room hint of leaf bi naming a record of the leaf after the
 * record at off was merged into prev (at prev_off): prev is the hint if
 * the hint was the record merged, or if prev has more room. */
static void dx_room_after_remove(struct ext2_inode_info *dir, uint32_t bi,
				 uint32_t off, uint32_t prev_off,
				 struct ext2_dir_entry_2 *prev)
{
	uint32_t hint_off = 0, room = ext2_dx_cache_room(dir, bi, &hint_off);

	if (hint_off == off || de_avail(prev) > room)
		ext2_dx_cache_set_room(dir, bi, prev_off, de_avail(prev));
}

/* Remove name from the indexed dir: in its leaf, which is never merged
 * with another (as ext4).  Caller holds i_rwsem exclusively. */
int ext2_dx_remove(struct ext2_inode_info *dir, const char *name, size_t len)
{
	struct ext2_dir_entry_2 *de;
	unsigned char *blk;
	uint32_t bi;
	int ret;

	DAXFS_ASSERT_WRITE_LOCKED(&dir->i_rwsem);
	ret = ext2_dx_find(dir, name, len, &de, &blk, &bi);
	if (ret)
		return ret;
	if (bi == 0 && (unsigned char *)de < blk + 24)
		return err_set(-EINVAL, "\"%.*s\" cannot be removed from a "
			       "directory", (int)len, name);
	return ext2_dx_remove_de(dir, blk, bi, de);
}

/* The record before the one at off of leaf bi (bytes blk), found
 * through the leaf's table of names (a live name is always on the record
 * chain, and so is offset 0) and checked to end at off: NULL when
 * de is first, the leaf has no table or the record does not fit (the
 * caller then walks the leaf). */
static struct ext2_dir_entry_2 *dx_prev_known(struct ext2_inode_info *dir,
					      unsigned char *blk, uint32_t bi,
					      uint32_t off, uint32_t *prev_off)
{
	struct ext2_dir_entry_2 *prev;

	if (!off || !ext2_dx_cache_prev(dir, bi, off, prev_off))
		return NULL;
	prev = (struct ext2_dir_entry_2 *)(blk + *prev_off);
	if (!dx_de_sound(dir->fs, *prev_off, prev) ||
	    *prev_off + le16_get(prev->rec_len) != off)
		return NULL;
	return prev;
}

/* Remove the record de of leaf bi (bytes blk) of the indexed dir, as
 * ext2_dx_find found it under the i_rwsem the caller holds exclusively
 * since. */
int ext2_dx_remove_de(struct ext2_inode_info *dir, unsigned char *blk,
		      uint32_t bi, struct ext2_dir_entry_2 *de)
{
	uint32_t off = (unsigned char *)de - blk, prev_off;
	struct ext2_dir_entry_2 *prev;
	int ret = 0;

	DAXFS_ASSERT_WRITE_LOCKED(&dir->i_rwsem);
	prev = dx_prev_known(dir, blk, bi, off, &prev_off);
	if (prev)
		ext2_dir_unlink_after(dir->fs, &prev, de);
	else
		ret = ext2_dir_unlink_de(dir, blk, bi, de, &prev, &prev_off);
	if (ret)
		return ret;
	ext2_dx_cache_name_removed(dir, bi, off, de->name, de->name_len);
	dx_room_after_remove(dir, bi, off, prev_off, prev);
	return 0;
}

/* Block bi of the indexed dir: 1 past its end. */
static int dx_walk_block(struct ext2_inode_info *dir, uint32_t bi,
			 unsigned char **blk)
{
	if (bi >= dx_nblocks(dir))
		return 1;
	return ext2_dx_block(dir, bi, blk);
}

/* 1 if the indexed dir holds nothing but "." and "..": a walk of its
 * blocks (the root's two records are those; nodes hold one unused
 * record). */
int ext2_dx_is_empty(struct ext2_inode_info *dir)
{
	struct ext2_dir_entry_2 *de;
	unsigned char *blk;
	uint32_t bi, off;
	int ret;

	for (bi = 0; !(ret = dx_walk_block(dir, bi, &blk)); bi++) {
		for (off = 0; off < dir->fs->blocksize;
		     off += le16_get(de->rec_len)) {
			de = (struct ext2_dir_entry_2 *)(blk + off);
			ret = ext2_dir_de_check(dir, bi, off, de);
			if (ret)
				return ret;
			if (de->inode && (bi || off >= 24))
				return 0;
		}
	}
	return ret < 0 ? ret : 1;
}
