/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dir.c -- ext2 directories (with the filetype feature): linear ones
 * with the in-DRAM index that makes their lookups fast, and the entry
 * points that send indexed (dir_index) directories to htree.c, which
 * keeps their hash tree on the media and needs no DRAM index.  A linear
 * directory that outgrows its first block on a file system with
 * dir_index gets an index (ext2_dx_make_indexed), as ext4 does; an
 * indexed one whose root htree.c cannot read becomes linear on its first
 * change (dir_clear_htree).  readdir is in dir_iter.c.
 *
 * The index of a directory is built on first use by one scan of its
 * blocks, which also checks every entry; afterwards lookups are a hash
 * probe and inserts find room through a per-block bound on the largest
 * free record and the offset of a record that had it, so a directory of
 * 100,000 entries costs no more per call than a small one, and an insert
 * does not walk its block.  The bound is lowered lazily: an insert uses
 * up part of the best record and leaves the bound as it was; when the
 * record at the offset no longer has room, one walk of the block makes
 * bound and offset exact again.  The index points at the entries in
 * place: entries never move (an insert splits a record's slack, a removal
 * merges a record into its predecessor).
 *
 * Persistence order: a new entry is written whole into free space and
 * persisted before the one store (a rec_len shrink, or an inode number)
 * that makes it visible; a removal is one store (a rec_len growth, or an
 * inode number cleared).  A crash leaves the old or the new directory.
 *
 * Locking: the directory's i_rwsem, shared for lookups and iteration,
 * exclusive for changes.  dir_build_lock serialises building the index.
 */
#include <errno.h>
#include <string.h>

#include "daxfs.h"
#include "core/mem.h"
#include "ext2/dir.h"
#include "ext2/ext2.h"
#include "ext2/htree.h"

struct dir_slot {
	uint32_t hash;                 /* 0: empty slot */
	uint32_t blk;                  /* directory block of the entry */
	struct ext2_dir_entry_2 *de;   /* the entry, in place on media */
};

#define DIR_GROUP 64 /* blocks summarised by one gmax[] element */

struct ext2_dir_index {
	uint32_t nblocks;              /* blocks of the directory */
	uint32_t cap;                  /* room in the per-block arrays */
	unsigned char **blocks;        /* each block's address */
	uint16_t *slack;               /* per block: no free record is larger */
	uint16_t *best;                /* per block: offset of a record that
					  had slack[] free bytes */
	uint16_t *gmax;                /* per DIR_GROUP blocks: largest slack */
	uint32_t hint;                 /* no block before it has free room */
	struct dir_slot *slots;        /* open addressing, linear probing */
	uint32_t mask;                 /* slot count - 1 */
	uint32_t used;                 /* live entries */
	size_t bytes;                  /* DRAM all of this takes (index_bytes,
					  recounted as it grows) */
};

/* FNV-1a, never 0 (0 marks an empty slot). */
static uint32_t name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return h ? h : 1;
}

/* Check one entry where it stands; -EUCLEAN with where it is if bad. */
int ext2_dir_de_check(struct ext2_inode_info *dir, uint32_t bi, uint32_t off,
		      const struct ext2_dir_entry_2 *de)
{
	struct ext2_sb_info *fs = dir->fs;
	uint32_t rl = le16_get(de->rec_len);
	const char *why = NULL;

	if (rl < DIR_MIN_REC)
		why = "record length too small";
	else if (rl % 4)
		why = "record length not a multiple of 4";
	else if (off + rl > fs->blocksize)
		why = "record runs past the block";
	else if (de->inode && EXT2_DIR_REC_LEN(de->name_len) > rl)
		why = "name longer than the record";
	else if (de->inode && de->name_len == 0)
		why = "empty name";
	else if (le32_get(de->inode) > fs->inodes_count)
		why = "inode number out of range";
	if (!why)
		return 0;
	return ext2_corrupt(fs, "directory inode %u, block %u, offset %u: "
			     "%s", dir->ino, bi, off, why);
}

/* Largest free record in block blk, and its offset in *at.  The block
 * was checked when it was indexed, but a damaged file may share it and
 * have written over it since: a record that no longer fits makes the
 * block count as full (0), never a loop or an insert past the block. */
static uint16_t block_slack(struct ext2_sb_info *fs, unsigned char *blk,
			    uint16_t *at)
{
	uint32_t off = 0, best = 0;

	*at = 0;
	while (off < fs->blocksize) {
		struct ext2_dir_entry_2 *de = de_at(blk, off);
		uint32_t rl = le16_get(de->rec_len), a;

		if (rl < DIR_MIN_REC || rl % 4 || off + rl > fs->blocksize ||
		    (de->inode && de_need(de) > rl)) {
			*at = 0;
			return 0;
		}
		a = de_avail(de);

		if (a > best) {
			best = a;
			*at = off;
		}
		off += le16_get(de->rec_len);
	}
	return best;
}

static struct dir_slot *index_find(struct ext2_dir_index *ix,
				   const char *name, size_t len, uint32_t h)
{
	uint32_t i;

	for (i = h & ix->mask; ix->slots[i].hash; i = (i + 1) & ix->mask) {
		struct ext2_dir_entry_2 *de = ix->slots[i].de;

		if (ix->slots[i].hash == h && de->name_len == len &&
		    !memcmp(de->name, name, len))
			return &ix->slots[i];
	}
	return NULL;
}

static void index_put(struct ext2_dir_index *ix, uint32_t h, uint32_t blk,
		      struct ext2_dir_entry_2 *de)
{
	uint32_t i;

	for (i = h & ix->mask; ix->slots[i].hash; i = (i + 1) & ix->mask)
		;
	ix->slots[i].hash = h;
	ix->slots[i].blk = blk;
	ix->slots[i].de = de;
}

/* Record block bi's slack (v bytes at offset at) and its group's
 * maximum. */
static void slack_set(struct ext2_dir_index *ix, uint32_t bi, uint16_t v,
		      uint16_t at)
{
	uint32_t g = bi / DIR_GROUP, i, end = (g + 1) * DIR_GROUP;
	uint16_t m = 0;

	ix->slack[bi] = v;
	ix->best[bi] = at;
	if (v >= ix->gmax[g]) {
		ix->gmax[g] = v; /* grew: no need to look at the others */
		return;
	}
	if (end > ix->nblocks)
		end = ix->nblocks;
	for (i = g * DIR_GROUP; i < end; i++)
		if (ix->slack[i] > m)
			m = ix->slack[i];
	ix->gmax[g] = m;
}

/* The first block at or after from with a free record of need bytes, or
 * nblocks. */
static uint32_t slack_find(struct ext2_dir_index *ix, uint32_t from,
			   uint32_t need)
{
	uint32_t bi = from;

	while (bi < ix->nblocks) {
		uint32_t g = bi / DIR_GROUP;

		if (ix->gmax[g] < need) {
			bi = (g + 1) * DIR_GROUP;
			continue;
		}
		for (; bi < ix->nblocks && bi < (g + 1) * DIR_GROUP; bi++)
			if (ix->slack[bi] >= need)
				return bi;
	}
	return ix->nblocks;
}

/* Bytes of DRAM ix takes, as the allocator counts them. */
static size_t index_bytes(const struct ext2_dir_index *ix)
{
	return mem_size(sizeof(*ix)) +
	       mem_size((size_t)ix->cap * sizeof(*ix->blocks)) +
	       2 * mem_size((size_t)ix->cap * sizeof(*ix->slack)) +
	       mem_size(((size_t)ix->cap / DIR_GROUP + 1) *
			sizeof(*ix->gmax)) +
	       mem_size(((size_t)ix->mask + 1) * sizeof(*ix->slots));
}

/* Make room for one more entry (load kept at most 1/2). */
static int index_reserve(struct ext2_dir_index *ix)
{
	struct dir_slot *old = ix->slots;
	uint32_t oldn = ix->mask + 1, i, n;

	if (ix->slots && (ix->used + 1) * 2 <= oldn)
		return 0;
	n = ix->slots ? oldn * 2 : 64;
	ix->slots = mem_zalloc(sizeof(*ix->slots) * n);
	if (!ix->slots) {
		ix->slots = old;
		return err_set(-ENOMEM, "out of memory for a directory index");
	}
	ix->mask = n - 1;
	for (i = 0; old && i < oldn; i++)
		if (old[i].hash)
			index_put(ix, old[i].hash, old[i].blk, old[i].de);
	mem_free(old);
	ix->bytes = index_bytes(ix);
	return 0;
}

/* Remove a slot, shifting later colliding slots back (no tombstones). */
static void index_del(struct ext2_dir_index *ix, struct dir_slot *s)
{
	uint32_t i = s - ix->slots, j = i;

	for (;;) {
		uint32_t k;

		ix->slots[i].hash = 0;
		for (;;) {
			j = (j + 1) & ix->mask;
			if (!ix->slots[j].hash)
				goto done;
			k = ix->slots[j].hash & ix->mask;
			/* Can slot j move to i?  Only if k is not in (i, j]. */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		ix->slots[i] = ix->slots[j];
		i = j;
	}
done:
	ix->used--;
}

/* Append a block to ix: its address, and slack, the largest free record
 * it has, at offset at. */
static int index_add_block(struct ext2_dir_index *ix, unsigned char *blk,
			   uint16_t slack, uint16_t at)
{
	if (ix->nblocks == ix->cap) {
		uint32_t cap = ix->cap ? ix->cap * 2 : 8;
		void *b = mem_realloc(ix->blocks, cap * sizeof(*ix->blocks));
		void *s, *g;

		if (!b)
			return err_set(-ENOMEM, "out of memory for a "
					 "directory index");
		ix->blocks = b;
		s = mem_realloc(ix->slack, cap * sizeof(*ix->slack));
		if (!s)
			return err_set(-ENOMEM, "out of memory for a "
					 "directory index");
		ix->slack = s;
		s = mem_realloc(ix->best, cap * sizeof(*ix->best));
		if (!s)
			return err_set(-ENOMEM, "out of memory for a "
					 "directory index");
		ix->best = s;
		g = mem_realloc(ix->gmax, (cap / DIR_GROUP + 1) *
					    sizeof(*ix->gmax));
		if (!g)
			return err_set(-ENOMEM, "out of memory for a "
					 "directory index");
		ix->gmax = g;
		ix->cap = cap;
		ix->bytes = index_bytes(ix);
	}
	ix->blocks[ix->nblocks] = blk;
	ix->nblocks++;
	if (ix->nblocks % DIR_GROUP == 1)
		ix->gmax[(ix->nblocks - 1) / DIR_GROUP] = 0; /* a new group */
	slack_set(ix, ix->nblocks - 1, slack, at);
	return 0;
}

/* Free ix (NULL is accepted). */
static void index_free(struct ext2_dir_index *ix)
{
	if (!ix)
		return;
	mem_free(ix->blocks);
	mem_free(ix->slack);
	mem_free(ix->best);
	mem_free(ix->gmax);
	mem_free(ix->slots);
	mem_free(ix);
}

void ext2_dir_index_free(struct ext2_inode_info *dir)
{
	index_free(atomic_load(&dir->dir));
	atomic_store(&dir->dir, NULL);
	ext2_dx_cache_free(dir);
}

/* Bytes of DRAM dir's index takes (0 when it has none); called by the
 * inode cache with no other reference to dir (icache.c). */
size_t ext2_dir_index_bytes(struct ext2_inode_info *dir)
{
	struct ext2_dir_index *ix = atomic_load(&dir->dir);

	if (!ix)
		return ext2_dx_cache_bytes(dir);
	return ext2_dx_cache_bytes(dir) + ix->bytes;
}

/* Scan one block into the index, checking every entry. */
static int index_scan_block(struct ext2_inode_info *dir,
			    struct ext2_dir_index *ix, uint32_t bi,
			    unsigned char *blk)
{
	uint32_t off = 0, best = 0, at = 0;
	int ret;

	while (off < dir->fs->blocksize) {
		struct ext2_dir_entry_2 *de = de_at(blk, off);

		ret = ext2_dir_de_check(dir, bi, off, de);
		if (ret)
			return ret;
		if (de->inode) {
			ret = index_reserve(ix);
			if (ret)
				return ret;
			index_put(ix, name_hash(de->name, de->name_len), bi, de);
			ix->used++;
		}
		if (de_avail(de) > best) {
			best = de_avail(de);
			at = off;
		}
		off += le16_get(de->rec_len);
	}
	return index_add_block(ix, blk, best, at);
}

/* Build the index of dir from its blocks. */
static int index_build(struct ext2_inode_info *dir, struct ext2_dir_index **out)
{
	struct ext2_sb_info *fs = dir->fs;
	uint32_t nblocks = ext2_i_size(dir) >> fs->blocksize_bits, bi = 0;
	struct ext2_dir_index *ix;
	int ret = 0;

	ix = mem_zalloc(sizeof(*ix));
	if (!ix)
		return err_set(-ENOMEM, "out of memory for a directory index");
	ret = index_reserve(ix);
	while (!ret && bi < nblocks) {
		uint32_t pblk, count, i;
		bool is_new;

		ret = ext2_bmap(dir, bi, nblocks - bi, false, &pblk, &count,
				 &is_new);
		if (ret)
			break;
		if (!pblk) {
			ret = ext2_corrupt(fs, "directory inode %u has a hole "
					    "at block %u", dir->ino, bi);
			break;
		}
		for (i = 0; i < count && !ret; i++)
			ret = index_scan_block(dir, ix, bi + i,
					       ext2_block(fs, pblk + i));
		bi += count;
	}
	if (ret) {
		index_free(ix);
		return ret;
	}
	*out = ix;
	return 0;
}

/* The index of dir, built on first use.  Caller holds i_rwsem. */
static int dir_index(struct ext2_inode_info *dir, struct ext2_dir_index **out)
{
	struct ext2_dir_index *ix = atomic_load(&dir->dir);
	int ret = 0;

	DAXFS_ASSERT_LOCKED(&dir->i_rwsem);
	if (ix) {
		*out = ix;
		return 0;
	}
	pthread_mutex_lock(&dir->dir_build_lock);
	ix = atomic_load(&dir->dir);
	if (!ix) {
		ret = index_build(dir, &ix);
		if (!ret)
			atomic_store(&dir->dir, ix);
	}
	pthread_mutex_unlock(&dir->dir_build_lock);
	*out = ix;
	return ret;
}

/* Find name in dir.  Caller holds dir's i_rwsem.  -ENOENT if absent. */
int ext2_dir_lookup(struct ext2_inode_info *dir, const char *name, size_t len,
		     struct ext2_dirent_info *out)
{
	struct ext2_dir_entry_2 *de;
	struct ext2_dir_index *ix;
	struct dir_slot *s;
	unsigned char *blk;
	uint32_t bi;
	int ret;

	out->de = NULL;
	if (ext2_dx_indexed(dir)) {
		ret = ext2_dx_find(dir, name, len, &de, &blk, &bi);
		if (ret)
			return ret;
		if (bi || (unsigned char *)de >= blk + 24) /* not "." or ".." */
			out->de = de, out->blk = blk, out->bi = bi,
			out->moves = dir->dx_moves;
	} else {
		ret = dir_index(dir, &ix);
		if (ret)
			return ret;
		s = index_find(ix, name, len, name_hash(name, len));
		if (!s)
			return -ENOENT;
		de = s->de;
	}
	out->ino = le32_get(de->inode);
	out->ftype = dir->fs->has_filetype ? de->file_type : EXT2_FT_UNKNOWN;
	return 0;
}

/* Before the first change of an htree directory, make it linear: ext2
 * and e2fsck then read it as a plain directory. */
static void dir_clear_htree(struct ext2_inode_info *dir)
{
	uint32_t fl = le32_get(dir->raw->i_flags);

	if (fl & EXT2_INDEX_FL) {
		ext2_dx_cache_free(dir);
		ext2_jlog(&dir->raw->i_flags, 4);
		dir->raw->i_flags = le32_put(fl & ~EXT2_INDEX_FL);
		ext2_persist(dir->fs, &dir->raw->i_flags, 4);
	}
}

/* Append a fresh block (one empty record) to dir. */
static int dir_grow(struct ext2_inode_info *dir, struct ext2_dir_index *ix)
{
	struct ext2_sb_info *fs = dir->fs;
	uint32_t pblk, count;
	struct ext2_dir_entry_2 *de;
	bool is_new;
	int ret;

	ret = ext2_bmap(dir, ix->nblocks, 1, true, &pblk, &count, &is_new);
	if (ret)
		return ret;
	if (!is_new)
		return ext2_corrupt(fs, "directory inode %u has blocks past "
				     "its size", dir->ino);
	de = ext2_block(fs, pblk);
	de->inode = 0;
	de->rec_len = le16_put(fs->blocksize);
	ext2_persist(fs, de, 8);
	ret = index_add_block(ix, (unsigned char *)de, fs->blocksize, 0);
	if (ret)
		return ret; /* the block stays, empty and valid, past i_size */
	ext2_inode_set_size(dir, (uint64_t)ix->nblocks << fs->blocksize_bits);
	return 0;
}

/* Whether dir, one full linear block, gets an index before it grows (as
 * ext4 does): the file system has dir_index. */
static bool dir_wants_index(struct ext2_inode_info *dir,
			    struct ext2_dir_index *ix)
{
	return ix->nblocks == 1 &&
	       (le32_get(dir->fs->es->s_feature_compat) &
		EXT2_FEATURE_COMPAT_DIR_INDEX) &&
	       !(le32_get(dir->raw->i_flags) & EXT2_INDEX_FL);
}

/* Index the one-block dir, then add name -> ino through the index. */
static int dir_add_indexed(struct ext2_inode_info *dir, const char *name,
			   size_t len, uint32_t ino, unsigned ftype)
{
	int ret = ext2_dx_make_indexed(dir);

	return ret ? ret : ext2_dx_add(dir, name, len, ino, ftype);
}

/* Add name -> ino to dir.  Caller holds dir's i_rwsem exclusively and
 * has checked that name is absent. */
int ext2_dir_add(struct ext2_inode_info *dir, const char *name, size_t len,
		  uint32_t ino, unsigned ftype)
{
	struct ext2_sb_info *fs = dir->fs;
	uint32_t need = EXT2_DIR_REC_LEN(len), bi, off = 0;
	struct ext2_dir_entry_2 *nde;
	struct ext2_dir_index *ix;
	unsigned char *blk;
	int ret;

	DAXFS_ASSERT_WRITE_LOCKED(&dir->i_rwsem);
	if (ext2_dx_indexed(dir))
		return ext2_dx_add(dir, name, len, ino, ftype);
	ret = dir_index(dir, &ix);
	if (!ret)
		ret = index_reserve(ix);
	if (ret)
		return ret;
	ix->hint = slack_find(ix, ix->hint, DIR_MIN_REC);
	for (bi = ix->hint;; bi++) {
		uint16_t at = 0;

		bi = slack_find(ix, bi, need);
		if (bi == ix->nblocks && dir_wants_index(dir, ix))
			return dir_add_indexed(dir, name, len, ino, ftype);
		if (bi == ix->nblocks) {
			ret = dir_grow(dir, ix);
			if (ret)
				return ret;
		}
		blk = ix->blocks[bi];
		off = ix->best[bi];
		if (off + DIR_MIN_REC > fs->blocksize)
			return ext2_corrupt(fs, "directory inode %u: index out "
					     "of step", dir->ino);
		if (de_avail(de_at(blk, off)) >= need)
			break;
		/* The bound was loose: make it exact, and look again. */
		slack_set(ix, bi, block_slack(fs, blk, &at), at);
		off = at;
		if (ix->slack[bi] >= need)
			break;
	}
	dir_clear_htree(dir);
	nde = ext2_dir_block_insert(fs, blk, off, name, len, ino, ftype);
	index_put(ix, name_hash(name, len), bi, nde);
	ix->used++;
	/* What is left of the record is the best bet for the next insert;
	 * slack[bi] stays a bound (see the top of the file). */
	ix->best[bi] = (unsigned char *)nde - blk;
	return 0;
}

/* The index slot of name in dir, for a change: -ENOENT if absent.
 * Caller holds dir's i_rwsem exclusively. */
static int dir_find_for_change(struct ext2_inode_info *dir, const char *name,
			       size_t len, struct ext2_dir_index **ix,
			       struct dir_slot **s)
{
	int ret;

	DAXFS_ASSERT_WRITE_LOCKED(&dir->i_rwsem);
	ret = dir_index(dir, ix);
	if (ret)
		return ret;
	*s = index_find(*ix, name, len, name_hash(name, len));
	return *s ? 0 : -ENOENT;
}

/* Take the entry de out of its block, prev being the record just before
 * it (merged into prev) or NULL if de is the first (its inode number
 * cleared).  The record that now holds the room in *prev. */
void ext2_dir_unlink_after(struct ext2_sb_info *fs,
			   struct ext2_dir_entry_2 **prev,
			   struct ext2_dir_entry_2 *de)
{
	if (*prev) {
		ext2_jlog(&(*prev)->rec_len, 2); /* undone: de is whole again */
		(*prev)->rec_len = le16_put(le16_get((*prev)->rec_len) +
					    le16_get(de->rec_len));
		ext2_persist(fs, &(*prev)->rec_len, 2);
		return;
	}
	ext2_jlog(&de->inode, 4);
	de->inode = 0;
	ext2_persist(fs, &de->inode, 4);
	*prev = de;
}

/* Take the entry de out of block bi (bytes blk) of dir: merged into the
 * record before it, or its inode number cleared if it is the first.  The
 * record that now holds the room in *prev at *prev_off. */
int ext2_dir_unlink_de(struct ext2_inode_info *dir, unsigned char *blk,
		       uint32_t bi, struct ext2_dir_entry_2 *de,
		       struct ext2_dir_entry_2 **prev, uint32_t *prev_off)
{
	struct ext2_sb_info *fs = dir->fs;
	uint32_t off;
	int ret;

	*prev = NULL;
	/* The block may have been written over since it was indexed (a
	 * damaged file sharing it): every record on the way is checked. */
	for (off = 0; de_at(blk, off) != de;
	     off += le16_get(de_at(blk, off)->rec_len)) {
		if ((unsigned char *)de_at(blk, off) > (unsigned char *)de ||
		    ext2_dir_de_check(dir, bi, off, de_at(blk, off)))
			return ext2_corrupt(fs, "directory inode %u, block "
					     "%u: entry \"%.*s\" not on the "
					     "record chain", dir->ino, bi,
					     (int)de->name_len, de->name);
		*prev = de_at(blk, off);
		*prev_off = off;
	}
	ret = ext2_dir_de_check(dir, bi, off, de);
	if (ret)
		return ret;
	if (!*prev)
		*prev_off = off;
	ext2_dir_unlink_after(fs, prev, de);
	return 0;
}

/* Remove name from dir.  Caller holds dir's i_rwsem exclusively. */
int ext2_dir_remove(struct ext2_inode_info *dir, const char *name, size_t len)
{
	struct ext2_sb_info *fs = dir->fs;
	struct ext2_dir_entry_2 *de, *prev;
	struct ext2_dir_index *ix;
	struct dir_slot *s;
	unsigned char *blk = NULL;
	uint32_t bi, prev_off = 0, freed;
	int ret;

	if (ext2_dx_indexed(dir))
		return ext2_dx_remove(dir, name, len);
	ret = dir_find_for_change(dir, name, len, &ix, &s);
	if (ret)
		return ret;
	de = s->de;
	bi = s->blk;
	if (bi < ix->nblocks && (unsigned char *)de >= ix->blocks[bi] &&
	    (unsigned char *)de < ix->blocks[bi] + fs->blocksize)
		blk = ix->blocks[bi];
	if (!blk)
		return ext2_corrupt(fs, "directory inode %u: index out of "
				     "step", dir->ino);
	ret = ext2_dir_unlink_de(dir, blk, bi, de, &prev, &prev_off);
	if (ret)
		return ret;
	dir_clear_htree(dir); /* same operation: atomic with the removal */
	index_del(ix, s);
	/* The hole just made is where the next insert looks first (as the
	 * kernel's first fit would reuse it). */
	freed = de_avail(prev);
	if (freed > ix->slack[bi])
		slack_set(ix, bi, freed, prev_off);
	else
		ix->best[bi] = prev_off;
	if (bi < ix->hint)
		ix->hint = bi;
	return 0;
}

/* Whether found (ext2_dir_lookup's, under the i_rwsem the caller holds
 * exclusively since) still tells where its record is. */
static bool dir_found_holds(struct ext2_inode_info *dir,
			    const struct ext2_dirent_info *found)
{
	DAXFS_ASSERT_WRITE_LOCKED(&dir->i_rwsem);
	return found->de && found->moves == dir->dx_moves &&
	       ext2_dx_indexed(dir);
}

/* Remove name from dir, where ext2_dir_lookup found it (found) under the
 * i_rwsem the caller holds exclusively since: no second search of an
 * indexed directory unless records moved meanwhile. */
int ext2_dir_remove_found(struct ext2_inode_info *dir, const char *name,
			  size_t len, const struct ext2_dirent_info *found)
{
	if (dir_found_holds(dir, found))
		return ext2_dx_remove_de(dir, found->blk, found->bi, found->de);
	return ext2_dir_remove(dir, name, len);
}

/* Point the record de of dir at ino, of type ftype. */
static void dir_retarget_de(struct ext2_sb_info *fs,
			    struct ext2_dir_entry_2 *de, uint32_t ino,
			    unsigned ftype)
{
	ext2_jlog(de, 8);
	if (fs->has_filetype)
		de->file_type = ftype;
	de->inode = le32_put(ino);
	ext2_persist(fs, de, 8);
}

/* ext2_dir_retarget of the name ext2_dir_lookup found (found), as
 * ext2_dir_remove_found. */
int ext2_dir_retarget_found(struct ext2_inode_info *dir, const char *name,
			    size_t len, const struct ext2_dirent_info *found,
			    uint32_t ino, unsigned ftype)
{
	if (!dir_found_holds(dir, found))
		return ext2_dir_retarget(dir, name, len, ino, ftype);
	dir_retarget_de(dir->fs, found->de, ino, ftype);
	return 0;
}

/* Point the existing entry name of dir at ino (rename over a target, or
 * ".." of a moved directory).  Caller holds dir's i_rwsem exclusively. */
int ext2_dir_retarget(struct ext2_inode_info *dir, const char *name, size_t len,
		       uint32_t ino, unsigned ftype)
{
	struct ext2_dir_entry_2 *de;
	struct ext2_dir_index *ix;
	struct dir_slot *s;
	unsigned char *blk;
	uint32_t bi;
	int ret;

	if (ext2_dx_indexed(dir)) {
		DAXFS_ASSERT_WRITE_LOCKED(&dir->i_rwsem);
		ret = ext2_dx_find(dir, name, len, &de, &blk, &bi);
	} else {
		ret = dir_find_for_change(dir, name, len, &ix, &s);
		if (!ret) {
			dir_clear_htree(dir);
			de = s->de;
		}
	}
	if (!ret)
		dir_retarget_de(dir->fs, de, ino, ftype);
	return ret;
}

/* Block bi of the linear dir: its bytes in *blk, 1 past the end, or a
 * negative errno.  Caller holds i_rwsem. */
int ext2_dir_linear_block(struct ext2_inode_info *dir, uint32_t bi,
			  unsigned char **blk)
{
	struct ext2_dir_index *ix;
	int ret = dir_index(dir, &ix);

	if (ret || bi >= ix->nblocks)
		return ret ? ret : 1;
	*blk = ix->blocks[bi];
	return 0;
}

/* 1 if dir holds nothing but "." and "..", 0 if not, or a negative errno. */
int ext2_dir_is_empty(struct ext2_inode_info *dir)
{
	struct ext2_dir_index *ix;
	uint32_t n;
	int ret;

	if (ext2_dx_indexed(dir))
		return ext2_dx_is_empty(dir);
	ret = dir_index(dir, &ix);
	if (ret)
		return ret;
	n = ix->used;
	n -= !!index_find(ix, ".", 1, name_hash(".", 1));
	n -= !!index_find(ix, "..", 2, name_hash("..", 2));
	return n == 0;
}
