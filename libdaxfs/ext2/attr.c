/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * attr.c -- the setattr operation: mode, owner and times of an inode
 * (chmod, chown, utimens and their file-handle forms) in one atomic
 * operation (journal.h), under the inode's i_rwsem held exclusively;
 * and the mknod operation.
 * ext2 keeps seconds only (the 128-byte inode has no nanoseconds, and
 * the extra fields of larger inodes are ext4's), so nanoseconds are
 * dropped.  A chmod also changes an access ACL's owner, mask (or group)
 * and other entries, as the kernel's posix_acl_chmod.  Changing the
 * owner of a non-directory clears its set-user-ID bit, and its
 * set-group-ID bit when group-executable, as Linux does.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/sysmacros.h>

#include "ext2/ext2.h"

/* The owner's ids of raw. */
static uint32_t raw_uid(const struct ext2_inode *raw)
{
	return le16_get(raw->i_uid) | (uint32_t)le16_get(raw->i_uid_high) << 16;
}

static uint32_t raw_gid(const struct ext2_inode *raw)
{
	return le16_get(raw->i_gid) | (uint32_t)le16_get(raw->i_gid_high) << 16;
}

/* The mode after a, from the mode old (the type kept). */
static uint16_t attr_mode(uint16_t old, const struct vfs_attr *a,
			  bool owner_changed)
{
	uint16_t mode = old;

	if (a->valid & VFS_ATTR_MODE)
		return (uint16_t)((old & S_IFMT) | (a->mode & 07777));
	if (owner_changed && !S_ISDIR(old)) {
		mode &= (uint16_t)~S_ISUID;
		if (mode & S_IXGRP)
			mode &= (uint16_t)~S_ISGID;
	}
	return mode;
}

/* Store the owner of a (its fields logged before). */
static void attr_store_owner(struct ext2_inode *raw, const struct vfs_attr *a)
{
	if (a->valid & VFS_ATTR_UID) {
		raw_store16(&raw->i_uid, a->uid & 0xffff);
		raw_store16(&raw->i_uid_high, (uint16_t)(a->uid >> 16));
	}
	if (a->valid & VFS_ATTR_GID) {
		raw_store16(&raw->i_gid, a->gid & 0xffff);
		raw_store16(&raw->i_gid_high, (uint16_t)(a->gid >> 16));
	}
}

/* Apply a to inode inside the caller's operation. */
static void attr_store(struct ext2_inode_info *inode, const struct vfs_attr *a)
{
	struct ext2_inode *raw = inode->raw;
	bool owner = ((a->valid & VFS_ATTR_UID) && a->uid != raw_uid(raw)) ||
		     ((a->valid & VFS_ATTR_GID) && a->gid != raw_gid(raw));

	ext2_jbatch(true);
	ext2_jlog(raw, 4);             /* mode, uid */
	ext2_jlog(&raw->i_atime, 12);  /* the times */
	ext2_jlog(&raw->i_gid, 2);
	ext2_jlog(&raw->i_uid_high, 4);
	ext2_jbatch(false);
	region_drain(inode->fs->rgn);
	ext2_inode_store_mode(inode, attr_mode(ext2_i_mode(inode), a, owner));
	attr_store_owner(raw, a);
	if (a->valid & VFS_ATTR_ATIME)
		raw_store32(&raw->i_atime, (uint32_t)a->atime);
	if (a->valid & VFS_ATTR_MTIME)
		raw_store32(&raw->i_mtime, (uint32_t)a->mtime);
	raw_store32(&raw->i_ctime, ext2_now());
	ext2_inode_mirror(inode); /* the times */
	ext2_persist(inode->fs, raw, 0x1c);
	ext2_persist(inode->fs, &raw->i_uid_high, 4);
}

/* The setattr operation, on path or on the open inode vi. */
int ext2_setattr(struct daxfs *vfs, const char *path, struct vfs_inode *vi,
		 const struct vfs_attr *a)
{
	struct ext2_inode_info *inode;
	struct ext2_jh h;
	int ret = 0;

	if (vi) {
		inode = EXT2_I(vi);
		ext2_ihold(inode);
	} else {
		ret = ext2_path_walk(EXT2_SB(vfs), path, &inode);
		if (ret)
			return ret;
	}
	if (a->valid) {
		down_write(&inode->i_rwsem);
		ext2_jbegin(inode->fs, &h);
		if (a->valid & VFS_ATTR_MODE)
			ret = ext2_xattr_acl_chmod(inode, a->mode);
		if (!ret)
			attr_store(inode, a);
		ext2_jcommit(&h);
		up_write(&inode->i_rwsem);
	}
	ext2_iput(inode);
	return ret;
}

/* Store a device number in a new special inode's i_block, as the Linux
 * driver does: the old 16-bit form in i_block[0] when it fits, else the
 * new 32-bit form in i_block[1]. */
void ext2_special_store(struct ext2_inode_info *inode, dev_t dev)
{
	uint32_t ma = major(dev), mi = minor(dev);
	struct ext2_inode *raw = inode->raw;

	if (ma < 256 && mi < 256)
		raw->i_block[0] = le32_put(ma << 8 | mi);
	else
		raw->i_block[1] = le32_put((mi & 0xff) | ma << 8 |
					   (mi & ~0xffu) << 12);
	ext2_persist(inode->fs, raw->i_block, 8);
}

/* The mknod operation: a fifo, socket, device node or regular file (the
 * type checked by the caller).  A device number must fit the 32-bit
 * form ext2 stores (major < 4096, minor < 2^20). */
int ext2_mknod(struct daxfs *vfs, const char *path, mode_t mode, dev_t dev)
{
	bool special = S_ISCHR(mode) || S_ISBLK(mode);

	if (special && (major(dev) > 0xfff || minor(dev) > 0xfffff))
		return err_set(-EINVAL, "device %u:%u does not fit ext2's "
			       "32-bit device numbers", major(dev),
			       minor(dev));
	return ext2_create_path(EXT2_SB(vfs), path,
			   (mode & S_IFMT) | (mode & 07777), NULL,
			   special ? dev : 0);
}
