/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xattr_block.c -- writing an inode's attribute block: the entries laid
 * out and hashed as the Linux driver and e2fsprogs compute it (entry
 * hash over the name bytes, then the value's padded little-endian
 * words; the block hash over the entry hashes), into a newly taken
 * block that then replaces the old one (see xattr.c's top comment).
 */
#include <errno.h>
#include <string.h>

#include "core/mem.h"
#include "ext2/ext2.h"
#include "ext2/xattr.h"

#define NAME_HASH_SHIFT 5
#define VALUE_HASH_SHIFT 16
#define BLOCK_HASH_SHIFT 16

/* The hash of an entry whose value is in the block blk. */
static uint32_t entry_hash(const struct ext2_ext_attr_entry *e,
			   const uint8_t *blk)
{
	uint32_t h = 0, n, i;
	const le32 *v;

	for (i = 0; i < e->e_name_len; i++)
		h = (h << NAME_HASH_SHIFT) ^ (h >> (32 - NAME_HASH_SHIFT)) ^
		    (uint8_t)e->e_name[i];
	if (!e->e_value_size)
		return h;
	v = (const le32 *)(blk + le16_get(e->e_value_offs));
	n = EXT2_XATTR_SIZE(le32_get(e->e_value_size)) / 4;
	for (i = 0; i < n; i++)
		h = (h << VALUE_HASH_SHIFT) ^ (h >> (32 - VALUE_HASH_SHIFT)) ^
		    le32_get(v[i]);
	return h;
}

/* Bytes the block of l takes, header and end marker included. */
static size_t block_bytes(const struct xlist *l)
{
	size_t n = sizeof(struct ext2_ext_attr_header) + 4;
	unsigned i;

	for (i = 0; i < l->n; i++)
		n += EXT2_XATTR_ENTRY_LEN(l->e[i].nlen) +
		     EXT2_XATTR_SIZE(l->e[i].vsize);
	return n;
}

/* Lay l out in buf (a zeroed block of bs bytes) with its hashes. */
static void block_build(const struct xlist *l, uint8_t *buf, uint32_t bs)
{
	struct ext2_ext_attr_header *h = (void *)buf;
	uint32_t off = sizeof(*h), voff = bs, bh = 0;
	unsigned i;

	h->h_magic = le32_put(EXT2_EXT_ATTR_MAGIC);
	h->h_refcount = le32_put(1);
	h->h_blocks = le32_put(1);
	for (i = 0; i < l->n; i++) {
		struct ext2_ext_attr_entry *e = (void *)(buf + off);
		const struct xent *x = &l->e[i];

		voff -= EXT2_XATTR_SIZE(x->vsize);
		e->e_name_len = x->nlen;
		e->e_name_index = x->index;
		e->e_value_offs = le16_put(x->vsize ? voff : 0);
		e->e_value_size = le32_put(x->vsize);
		memcpy(e->e_name, x->name, x->nlen);
		memcpy(buf + voff, x->value, x->vsize);
		e->e_hash = le32_put(entry_hash(e, buf));
		bh = (bh << BLOCK_HASH_SHIFT) ^ (bh >> (32 - BLOCK_HASH_SHIFT)) ^
		     le32_get(e->e_hash);
		off += EXT2_XATTR_ENTRY_LEN(x->nlen);
	}
	h->h_hash = le32_put(bh);
}

/* Mark the superblock as having extended attributes (e2fsck wants the
 * feature on an image whose inodes name attribute blocks). */
static void feature_set(struct ext2_sb_info *fs)
{
	uint32_t f;

	pthread_mutex_lock(&fs->sb_lock);
	f = le32_get(fs->es->s_feature_compat);
	if (!(f & EXT2_FEATURE_COMPAT_EXT_ATTR)) {
		ext2_jlog(&fs->es->s_feature_compat, 4);
		fs->es->s_feature_compat =
			le32_put(f | EXT2_FEATURE_COMPAT_EXT_ATTR);
		ext2_persist(fs, &fs->es->s_feature_compat, 4);
	}
	pthread_mutex_unlock(&fs->sb_lock);
}

/* Write buf to a newly taken block near the inode: its number in *blk. */
static int block_write_new(struct ext2_inode_info *inode, const uint8_t *buf,
			   uint32_t *blk)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t g = (inode->ino - 1) / fs->inodes_per_group, count;
	int ret;

	ret = ext2_new_blocks(fs, ext2_group_first_block(fs, g), 1, blk,
			      &count);
	if (ret)
		return ret;
	fs->rgn->memcpy(ext2_block(fs, *blk), buf, fs->blocksize,
			PMEM2_F_MEM_NODRAIN);
	if (!ext2_jfence_later())
		region_drain(fs->rgn);
	return 0;
}

/* Let go of one reference to attribute block blk inside the caller's
 * operation (a replaced block, or a freed inode's: inode.c): its
 * refcount dropped when others share it, else freed at the commit. */
void ext2_xattr_block_put(struct ext2_sb_info *fs, uint32_t blk)
{
	struct ext2_ext_attr_header *h = ext2_block(fs, blk);
	uint32_t refs = le32_get(h->h_refcount);

	if (le32_get(h->h_magic) == EXT2_EXT_ATTR_MAGIC && refs > 1) {
		ext2_jlog(&h->h_refcount, 4);
		h->h_refcount = le32_put(refs - 1);
		ext2_persist(fs, &h->h_refcount, 4);
		return;
	}
	(void)ext2_jdefer_reserve(1); /* else it is freed now */
	ext2_free_blocks(fs, blk, 1);
}

/* Point the inode at blk (0: none) instead of old, i_blocks following. */
static void block_switch(struct ext2_inode_info *inode, uint32_t old,
			 uint32_t blk)
{
	struct ext2_sb_info *fs = inode->fs;
	struct ext2_inode *raw = inode->raw;
	uint32_t sectors = fs->blocksize >> 9, ib;

	down_write(&inode->bmap_lock);
	ext2_jlog(&raw->i_file_acl, 4);
	ext2_jlog_iblocks(&raw->i_blocks);
	raw_store32(&raw->i_file_acl, blk);
	ib = raw_load32(&raw->i_blocks);
	if (!old != !blk)
		raw_store32(&raw->i_blocks, blk ? ib + sectors : ib - sectors);
	ext2_persist(fs, &raw->i_blocks, 4);
	ext2_persist(fs, &raw->i_file_acl, 4);
	up_write(&inode->bmap_lock);
}

/* The attributes a large inode held (the ext4 driver's) move to the
 * block: its area is marked empty. */
static void ibody_clear(struct ext2_inode_info *inode)
{
	le32 *magic = ext2_xattr_ibody(inode);

	if (!magic)
		return;
	ext2_jlog(magic, 4);
	*magic = 0;
	ext2_persist(inode->fs, magic, 4);
}

/* ext2_xattr_store inside its operation. */
static int store_logged(struct ext2_inode_info *inode, const struct xlist *l,
			uint8_t *buf)
{
	uint32_t old = le32_get(inode->raw->i_file_acl), blk = 0;
	int ret;

	if (l->n) {
		block_build(l, buf, inode->fs->blocksize);
		ret = block_write_new(inode, buf, &blk);
		if (ret)
			return ret;
		feature_set(inode->fs);
	}
	block_switch(inode, old, blk);
	ibody_clear(inode);
	if (old)
		ext2_xattr_block_put(inode->fs, old);
	ext2_inode_touch(inode, false, true);
	return 0;
}

int ext2_xattr_store(struct ext2_inode_info *inode, const struct xlist *l)
{
	struct ext2_sb_info *fs = inode->fs;
	struct ext2_jh h;
	uint8_t *buf;
	int ret;

	if (block_bytes(l) > fs->blocksize)
		return err_set(-ENOSPC, "the attributes would take %zu bytes, "
			       "more than the one %u-byte block ext2 keeps "
			       "them in", block_bytes(l), fs->blocksize);
	buf = mem_alloc(fs->blocksize);
	if (!buf)
		return err_set(-ENOMEM, "out of memory writing attributes");
	memset(buf, 0, fs->blocksize);
	ext2_jbegin(fs, &h);
	ret = store_logged(inode, l, buf);
	ext2_jcommit(&h);
	mem_free(buf);
	return ret;
}
