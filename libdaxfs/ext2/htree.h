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

/* dirhash.c */
int ext2_dirhash(unsigned version, const uint32_t seed[4], const char *name,
		 size_t len, uint32_t *hash, uint32_t *minor);
unsigned ext2_hash_version(struct ext2_sb_info *fs, unsigned stored);
void ext2_hash_seed(struct ext2_sb_info *fs, uint32_t seed[4]);

/* dir.c, shared with htree.c */
int ext2_dir_de_check(struct ext2_inode_info *dir, uint32_t bi, uint32_t off,
		      const struct ext2_dir_entry_2 *de);

/* htree.c: all called with the directory's i_rwsem held (exclusively to
 * change it). */
bool ext2_dx_indexed(struct ext2_inode_info *dir);
int ext2_dx_find(struct ext2_inode_info *dir, const char *name, size_t len,
		 struct ext2_dir_entry_2 **de, unsigned char **blk,
		 uint32_t *bi);
int ext2_dx_add(struct ext2_inode_info *dir, const char *name, size_t len,
		uint32_t ino, unsigned ftype);
int ext2_dx_make_indexed(struct ext2_inode_info *dir);

#endif
