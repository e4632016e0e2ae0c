/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xattr.h -- extended attributes of the ext2 engine: the parsed form of
 * an attribute block (xattr.c), its writing (xattr_block.c) and the
 * conversion of POSIX ACLs between the xattr form and ext2's (xattr_acl.c).
 */
#ifndef DAXFS_EXT2_XATTR_H
#define DAXFS_EXT2_XATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>

#include "ext2/ext2_fs.h"

struct ext2_inode_info;
struct ext2_sb_info;

/* One attribute: where its name and value are (in a block, or in the
 * caller's memory), not copied. */
struct xent {
	uint8_t index;          /* EXT2_XATTR_INDEX_* */
	uint8_t nlen;           /* bytes of name */
	const char *name;       /* without its prefix, not NUL-terminated */
	uint32_t vsize;         /* bytes of value */
	const void *value;
};

/* The attributes of one block, in the block's order. */
struct xlist {
	unsigned n, cap;
	struct xent e[];
};

/* The largest ACL on the media: a block's worth. */
#define EXT2_ACL_MAX 4096

/* xattr.c */
struct xlist *ext2_xlist_new(struct ext2_sb_info *fs);
int ext2_xattr_load(struct ext2_inode_info *inode, struct xlist *l);
int ext2_xattr_cmp(const struct xent *a, const struct xent *b);
/* The magic word of the in-inode attributes of a large inode, or NULL. */
le32 *ext2_xattr_ibody(struct ext2_inode_info *inode);

/* xattr_block.c: write l as the inode's attribute block (none when l
 * is empty), in one atomic operation; i_rwsem held exclusively. */
int ext2_xattr_store(struct ext2_inode_info *inode, const struct xlist *l);

/* xattr_acl.c: an ACL in the xattr form (posix_acl_xattr, version 2)
 * into ext2's (version 1) in out (*outlen bytes), -EINVAL if it is not
 * one; and back (size 0: the length it takes; -ERANGE if larger). */
int ext2_acl_to_disk(const void *value, size_t size, uint8_t *out,
		     uint32_t *outlen);
ssize_t ext2_acl_from_disk(const void *disk, uint32_t size, void *value,
			   size_t cap);
/* The permission bits an access ACL (xattr form, checked) gives the
 * mode; *equiv when it says no more than them (no mask, no named user
 * or group: the kernel's posix_acl_equiv_mode). */
int ext2_acl_mode(const void *value, size_t size, bool *equiv);
/* Set the owner, mask (or group) and other entries of an ACL in ext2's
 * form (checked) to mode's bits. */
void ext2_acl_chmod(uint8_t *disk, uint32_t size, mode_t mode);

#endif
