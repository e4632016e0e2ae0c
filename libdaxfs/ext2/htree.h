/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * htree.h -- ext2's hash-indexed directories (dir_index) kept on the
 * media: the name hash (dirhash.c) and the tree (htree.c), used by
 * dir.c for directories with EXT2_INDEX_FL.
 */
#ifndef DAXFS_EXT2_HTREE_H
#define DAXFS_EXT2_HTREE_H

#include <stddef.h>
#include <stdint.h>

#include "ext2/ext2.h"

/* Hash versions, as stored in dx_root_info.hash_version and the
 * superblock's s_def_hash_version; +3 for the unsigned variants. */
#define EXT2_HASH_LEGACY 0
#define EXT2_HASH_HALF_MD4 1
#define EXT2_HASH_TEA 2
#define EXT2_HASH_UNSIGNED 3
#define EXT2_HASH_MAX 5

/* s_flags (superblock offset 0x160): which char signedness the hash of
 * this file system uses. */
#define EXT2_FLAGS_SIGNED_HASH 0x0001
#define EXT2_FLAGS_UNSIGNED_HASH 0x0002

/* ---- The on-media index (htree.c describes it) ---------------------- */

/* One index entry; in the first of a block, hash is the count/limit. */
struct dx_entry {
	le32 hash;
	le32 block;                     /* logical block of the directory */
};

struct dx_countlimit {
	le16 limit;                     /* entries the block has room for */
	le16 count;                     /* entries in use */
};

struct dx_root_info {
	le32 reserved_zero;
	uint8_t hash_version;           /* EXT2_HASH_*, signed form */
	uint8_t info_length;            /* 8 */
	uint8_t indirect_levels;        /* 0 or 1 here */
	uint8_t unused_flags;
};

#define DX_ROOT_INFO 24                 /* offset of dx_root_info */
#define DX_ROOT_ENTRIES 32              /* offset of the root's entries */
#define DX_NODE_ENTRIES 8               /* offset of a node's entries */
#define DX_MAX_LEVELS 2                 /* root + one level of nodes */

/* One level of a walk from the root to a leaf. */
struct dx_frame {
	uint32_t lblk;                  /* the index block */
	unsigned char *blk;             /* its bytes on media */
	struct dx_entry *entries;       /* its entries[0] */
	struct dx_entry *at;            /* the entry followed */
};

/* A walk to the leaf of a hash. */
struct dx_path {
	uint32_t hash;
	unsigned version;               /* the hash version to compute */
	unsigned levels;                /* frames used: indirect levels + 1 */
	struct dx_frame f[DX_MAX_LEVELS];
};

/* A name of a leaf being split, by hash. */
struct dx_map {
	uint32_t hash;
	uint16_t off, size;
};

static inline struct dx_countlimit *dx_cl(struct dx_entry *e)
{
	return (struct dx_countlimit *)e;
}

static inline unsigned dx_count(struct dx_entry *e)
{
	return le16_get(dx_cl(e)->count);
}

static inline unsigned dx_limit(struct dx_entry *e)
{
	return le16_get(dx_cl(e)->limit);
}

static inline uint32_t dx_root_limit(struct ext2_sb_info *fs)
{
	return (fs->blocksize - DX_ROOT_ENTRIES) / sizeof(struct dx_entry);
}

static inline uint32_t dx_node_limit(struct ext2_sb_info *fs)
{
	return (fs->blocksize - DX_NODE_ENTRIES) / sizeof(struct dx_entry);
}

static inline struct dx_root_info *dx_info(unsigned char *root)
{
	return (struct dx_root_info *)(root + DX_ROOT_INFO);
}

static inline uint32_t dx_nblocks(struct ext2_inode_info *dir)
{
	return ext2_i_size(dir) >> dir->fs->blocksize_bits;
}

/* dirhash.c */
int ext2_dirhash(unsigned version, const uint32_t seed[4], const char *name,
		 size_t len, uint32_t *hash, uint32_t *minor);
unsigned ext2_hash_version(struct ext2_sb_info *fs, unsigned stored);
void ext2_hash_seed(struct ext2_sb_info *fs, uint32_t seed[4]);

/* dir.c, shared with htree.c and dir_iter.c */
int ext2_dir_de_check(struct ext2_inode_info *dir, uint32_t bi, uint32_t off,
		      const struct ext2_dir_entry_2 *de);
void ext2_dir_unlink_after(struct ext2_sb_info *fs,
			   struct ext2_dir_entry_2 **prev,
			   struct ext2_dir_entry_2 *de);
int ext2_dir_unlink_de(struct ext2_inode_info *dir, unsigned char *blk,
		       uint32_t bi, struct ext2_dir_entry_2 *de,
		       struct ext2_dir_entry_2 **prev, uint32_t *prev_off);
int ext2_dir_linear_block(struct ext2_inode_info *dir, uint32_t bi,
			  unsigned char **blk);

/* htree.c: all called with the directory's i_rwsem held (exclusively to
 * change it). */
bool ext2_dx_indexed(struct ext2_inode_info *dir);
int ext2_dx_find(struct ext2_inode_info *dir, const char *name, size_t len,
		 struct ext2_dir_entry_2 **de, unsigned char **blk,
		 uint32_t *bi);
int ext2_dx_add(struct ext2_inode_info *dir, const char *name, size_t len,
		uint32_t ino, unsigned ftype);
int ext2_dx_make_indexed(struct ext2_inode_info *dir);
int ext2_dx_remove(struct ext2_inode_info *dir, const char *name, size_t len);
int ext2_dx_remove_de(struct ext2_inode_info *dir, unsigned char *blk,
		      uint32_t bi, struct ext2_dir_entry_2 *de);
int ext2_dx_is_empty(struct ext2_inode_info *dir);
int ext2_dx_block(struct ext2_inode_info *dir, uint32_t lblk,
		  unsigned char **blk);
int ext2_dx_probe(struct ext2_inode_info *dir, const char *name, size_t len,
		  struct dx_path *p, uint32_t *leaf);

/* The live names of a leaf, in DRAM (htree_cache.c): where each record
 * is and a 16-bit tag of its name, in a table of cap slots (a power of
 * two) by tag, with linear probing; a free slot has off DX_SLOT_FREE
 * (records are 4-aligned). */
struct dx_name {
	uint16_t off, tag;
};

#define DX_SLOT_FREE 0xffffu

struct dx_leaf {
	uint16_t n, cap;                /* names, slots */
	struct dx_name e[];
};

/* The tag of a name in a dx_leaf (FNV-1a folded to 16 bits). */
static inline uint16_t dx_tag(const char *name, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return (uint16_t)(h ^ h >> 16);
}

/* Leaves copied for a walk in hash order (ext2_dx_range). */
struct dx_batch {
	unsigned char *buf;             /* nblk blocks */
	size_t cap;                     /* bytes of buf */
	unsigned nblk;
	unsigned version;               /* hash version of the tree */
	bool more;                      /* leaves follow, from hash next */
	uint32_t next;
};

int ext2_dx_range(struct ext2_inode_info *dir, uint32_t pos,
		  struct dx_batch *b);

/* htree_cache.c: the DRAM side of an indexed directory */
int ext2_dx_cache_names(struct ext2_inode_info *dir, uint32_t lblk,
			unsigned char *blk, const struct dx_leaf **out,
			unsigned *mask);
void ext2_dx_cache_name_added(struct ext2_inode_info *dir, uint32_t lblk,
			      uint32_t off, const char *name, size_t len);
void ext2_dx_cache_name_removed(struct ext2_inode_info *dir, uint32_t lblk,
				uint32_t off, const char *name, size_t len);
bool ext2_dx_cache_prev(struct ext2_inode_info *dir, uint32_t lblk,
			uint32_t off, uint32_t *prev_off);
unsigned char *ext2_dx_cache_addr(struct ext2_inode_info *dir, uint32_t lblk);
void ext2_dx_cache_set_addr(struct ext2_inode_info *dir, uint32_t lblk,
			    unsigned char *blk);
void ext2_dx_cache_switched(struct ext2_inode_info *dir, uint32_t lblk,
			    unsigned char *blk);
void ext2_dx_cache_grown(struct ext2_inode_info *dir);
uint32_t ext2_dx_cache_room(struct ext2_inode_info *dir, uint32_t lblk,
			    uint32_t *off);
void ext2_dx_cache_set_room(struct ext2_inode_info *dir, uint32_t lblk,
			    uint32_t off, uint32_t room);
bool ext2_dx_cache_present(struct ext2_inode_info *dir);
void ext2_dx_cache_start(struct ext2_inode_info *dir);
void ext2_dx_cache_free(struct ext2_inode_info *dir);
size_t ext2_dx_cache_bytes(struct ext2_inode_info *dir);

/* Whether the record de at off of a directory block passes the tests of
 * ext2_dir_de_check (inline, for the scans of a leaf; ext2_dir_de_check
 * names what is wrong). */
static inline bool dx_de_sound(struct ext2_sb_info *fs, uint32_t off,
			       const struct ext2_dir_entry_2 *de)
{
	uint32_t rl = le16_get(de->rec_len);

	return rl >= EXT2_DIR_REC_LEN(1) && !(rl & 3) &&
	       off + rl <= fs->blocksize &&
	       (!de->inode || (de->name_len &&
			       EXT2_DIR_REC_LEN(de->name_len) <= rl)) &&
	       le32_get(de->inode) <= fs->inodes_count;
}

#endif
