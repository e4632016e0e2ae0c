/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xattr.c -- extended attributes in the ext2 attribute block (the block
 * i_file_acl names), in the layout of the Linux driver (fs/ext2/xattr.c)
 * and e2fsprogs: a 32-byte header (magic EXT2_EXT_ATTR_MAGIC, refcount,
 * one block, the block's hash), entries sorted by (name index, name
 * length, name) ended by a zero word, values from the block's end down,
 * each entry hashed over its name and its padded value.
 *
 * A change builds the new block in DRAM and writes it to a newly taken
 * block, then points i_file_acl at it and releases the old one (freed at
 * the commit, or its refcount dropped when other inodes share it: the
 * kernel's copy on write of a shared block), all in one atomic operation
 * (journal.h): a crash leaves the old block or the new one.  No block is
 * left when the last attribute goes.  Identical blocks are not shared
 * the way the kernel's mbcache shares them (each inode gets its own).
 *
 * Locks: the inode's i_rwsem, shared to read, exclusive to change (then
 * bmap_lock for i_blocks, and the group locks of the allocator).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "core/mem.h"
#include "ext2/ext2.h"
#include "ext2/xattr.h"

/* The name prefixes and their indexes; an ACL has an empty name. */
static const struct xattr_prefix {
	const char *prefix;
	uint8_t index;
	bool whole;               /* the prefix is the whole name */
} prefixes[] = {
	{ "user.", EXT2_XATTR_INDEX_USER, false },
	{ "trusted.", EXT2_XATTR_INDEX_TRUSTED, false },
	{ "security.", EXT2_XATTR_INDEX_SECURITY, false },
	{ "system.posix_acl_access", EXT2_XATTR_INDEX_POSIX_ACL_ACCESS, true },
	{ "system.posix_acl_default", EXT2_XATTR_INDEX_POSIX_ACL_DEFAULT, true },
};

#define NPREFIX (sizeof(prefixes) / sizeof(prefixes[0]))

/* The index and the stored name of a full attribute name. */
static int xattr_parse(const char *full, struct xent *e)
{
	size_t i, plen;

	for (i = 0; i < NPREFIX; i++) {
		plen = strlen(prefixes[i].prefix);
		if (strncmp(full, prefixes[i].prefix, plen) != 0)
			continue;
		if (prefixes[i].whole ? full[plen] != '\0' : !full[plen])
			break;
		e->index = prefixes[i].index;
		e->name = full + plen;
		e->nlen = (uint8_t)strlen(full + plen);
		return 0;
	}
	if (i < NPREFIX && !prefixes[i].whole)
		return err_set(-EINVAL, "\"%.200s\" has no name after its "
			       "prefix", full);
	return err_set(-EOPNOTSUPP, "\"%.200s\": ext2 stores only user., "
		       "trusted., security. and system.posix_acl_* "
		       "attributes", full);
}

/* The prefix of index, or NULL for an index this library does not know. */
static const struct xattr_prefix *prefix_of(uint8_t index)
{
	size_t i;

	for (i = 0; i < NPREFIX; i++)
		if (prefixes[i].index == index)
			return &prefixes[i];
	return NULL;
}

/* Order of entries in a block (the kernel's search order). */
int ext2_xattr_cmp(const struct xent *a, const struct xent *b)
{
	if (a->index != b->index)
		return a->index < b->index ? -1 : 1;
	if (a->nlen != b->nlen)
		return a->nlen < b->nlen ? -1 : 1;
	return a->nlen ? memcmp(a->name, b->name, a->nlen) : 0;
}

/* Where a run of entries lies: entries from first (avail bytes), values
 * at offsets from vbase (vlen bytes), values not below vmin. */
struct xarea {
	const uint8_t *first, *vbase;
	uint32_t avail, vlen, vmin;
	const char *what;             /* for messages */
};

/* One entry of a at *off into e, checked against the area's bounds; 0
 * at the end marker or the area's end, 1 for an entry, or -EUCLEAN. */
static int entry_parse(struct ext2_inode_info *inode, const struct xarea *a,
		       uint32_t *off, struct xent *e)
{
	const struct ext2_ext_attr_entry *d = (const void *)(a->first + *off);
	uint32_t vo, vs;

	if (*off + 4 > a->avail || !*(const uint32_t *)d)
		return 0;
	if (*off + 16 > a->avail ||
	    *off + EXT2_XATTR_ENTRY_LEN(d->e_name_len) > a->avail)
		goto bad;
	vo = le16_get(d->e_value_offs);
	vs = le32_get(d->e_value_size);
	if (le32_get(d->e_value_block) || vs > a->vlen ||
	    (vs && (vo < a->vmin || vo > a->vlen - vs)))
		goto bad;
	e->index = d->e_name_index;
	e->nlen = d->e_name_len;
	e->name = d->e_name;
	e->vsize = vs;
	e->value = a->vbase + vo;
	*off += EXT2_XATTR_ENTRY_LEN(d->e_name_len);
	return 1;
bad:
	return ext2_corrupt(inode->fs, "inode %u: damaged attribute entry at "
			    "offset %u of its %s", inode->ino, *off, a->what);
}

/* Append the entries of a to l. */
static int area_load(struct ext2_inode_info *inode, const struct xarea *a,
		     struct xlist *l)
{
	uint32_t off = 0;
	int ret;

	while ((ret = entry_parse(inode, a, &off, &l->e[l->n])) == 1)
		if (++l->n == l->cap)
			return ext2_corrupt(inode->fs, "inode %u: too many "
					    "attributes", inode->ino);
	return ret;
}

/* The attribute block's entries into l. */
static int block_load(struct ext2_inode_info *inode, struct xlist *l)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t blk = le32_get(inode->raw->i_file_acl);
	const struct ext2_ext_attr_header *h = ext2_block(fs, blk);
	struct xarea a = { (const uint8_t *)(h + 1), (const uint8_t *)h,
			   fs->blocksize - 32, fs->blocksize, 32,
			   "attribute block" };

	if (!blk)
		return 0;
	if (!ext2_block_valid(fs, blk) ||
	    le32_get(h->h_magic) != EXT2_EXT_ATTR_MAGIC ||
	    le32_get(h->h_blocks) != 1)
		return ext2_corrupt(fs, "inode %u: attribute block %u is "
				    "damaged", inode->ino, blk);
	return area_load(inode, &a, l);
}

/* The in-inode magic word of a large inode's attributes (which the ext4
 * driver, mounting ext2 images, writes), or NULL when there is none. */
le32 *ext2_xattr_ibody(struct ext2_inode_info *inode)
{
	struct ext2_sb_info *fs = inode->fs;
	uint8_t *raw = (uint8_t *)inode->raw;
	uint32_t extra;
	le32 *magic;

	if (fs->inode_size <= 128 + 4)
		return NULL;
	extra = le16_get(*(le16 *)(raw + 128));
	if (extra & 3 || 128 + extra + 4 > fs->inode_size)
		return NULL;
	magic = (le32 *)(raw + 128 + extra);
	return le32_get(*magic) == EXT2_EXT_ATTR_MAGIC ? magic : NULL;
}

/* The in-inode entries into l (values at offsets from the first). */
static int ibody_load(struct ext2_inode_info *inode, struct xlist *l)
{
	const uint8_t *m = (const uint8_t *)ext2_xattr_ibody(inode);
	uint32_t avail;

	if (!m)
		return 0;
	avail = (uint32_t)((const uint8_t *)inode->raw + inode->fs->inode_size -
			   (m + 4));
	return area_load(inode, &(struct xarea){ m + 4, m + 4, avail, avail, 0,
						 "inode's attribute area" },
			 l);
}

/* qsort's form of ext2_xattr_cmp. */
static int xent_qcmp(const void *a, const void *b)
{
	return ext2_xattr_cmp(a, b);
}

/* Parse the inode's attributes (its block's and its large inode's) into
 * l, sorted as a block keeps them. */
int ext2_xattr_load(struct ext2_inode_info *inode, struct xlist *l)
{
	int ret;

	l->n = 0;
	ret = block_load(inode, l) ?: ibody_load(inode, l);
	if (!ret)
		qsort(l->e, l->n, sizeof(l->e[0]), xent_qcmp);
	return ret;
}

/* A list with room for a block's entries, or NULL (-ENOMEM set). */
struct xlist *ext2_xlist_new(struct ext2_sb_info *fs)
{
	unsigned cap = fs->blocksize / 16 + 1;
	struct xlist *l = mem_alloc(sizeof(*l) + cap * sizeof(struct xent));

	if (!l) {
		err_set(-ENOMEM, "out of memory reading attributes");
		return NULL;
	}
	l->cap = cap;
	l->n = 0;
	return l;
}

/* The entry of l named like key: its position, or -1. */
static int xlist_find(const struct xlist *l, const struct xent *key)
{
	unsigned i;

	for (i = 0; i < l->n; i++)
		if (ext2_xattr_cmp(&l->e[i], key) == 0)
			return (int)i;
	return -1;
}

/* Resolve path and take its i_rwsem (exclusive when write). */
static int xattr_inode(struct daxfs *vfs, const char *path, bool write,
		       struct ext2_inode_info **out)
{
	int ret = ext2_path_walk(EXT2_SB(vfs), path, out);

	if (ret)
		return ret;
	if (write)
		down_write(&(*out)->i_rwsem);
	else
		down_read(&(*out)->i_rwsem);
	return 0;
}

/* Drop what xattr_inode took. */
static void xattr_inode_put(struct ext2_inode_info *inode, bool write)
{
	if (write)
		up_write(&inode->i_rwsem);
	else
		up_read(&inode->i_rwsem);
	ext2_iput(inode);
}

/* Copy the value of e out as getxattr(2) does (size 0: its length). */
static ssize_t value_out(const struct xent *e, const char *name, void *value,
			 size_t size)
{
	if (e->index == EXT2_XATTR_INDEX_POSIX_ACL_ACCESS ||
	    e->index == EXT2_XATTR_INDEX_POSIX_ACL_DEFAULT)
		return ext2_acl_from_disk(e->value, e->vsize, value, size);
	if (!size)
		return e->vsize;
	if (size < e->vsize)
		return err_set(-ERANGE, "the value of \"%.200s\" has %u bytes, "
			       "more than the %zu given", name, e->vsize, size);
	memcpy(value, e->value, e->vsize);
	return e->vsize;
}

/* The getxattr operation. */
ssize_t ext2_getxattr(struct daxfs *vfs, const char *path, const char *name,
		      void *value, size_t size)
{
	struct ext2_inode_info *inode;
	struct xent key;
	struct xlist *l;
	ssize_t ret;
	int i;

	ret = xattr_parse(name, &key);
	if (ret)
		return ret;
	l = ext2_xlist_new(EXT2_SB(vfs));
	if (!l)
		return -ENOMEM;
	ret = xattr_inode(vfs, path, false, &inode);
	if (!ret)
		ret = ext2_xattr_load(inode, l);
	if (!ret) {
		i = xlist_find(l, &key);
		ret = i < 0 ? err_set(-ENODATA, "\"%.200s\" has no attribute "
				      "\"%.200s\"", path, name)
			    : value_out(&l->e[i], name, value, size);
		xattr_inode_put(inode, false);
	}
	mem_free(l);
	return ret;
}

/* Append e's full name and its NUL to list (size 0: count only). */
static ssize_t list_one(const struct xent *e, char *list, size_t size,
			size_t used)
{
	const struct xattr_prefix *p = prefix_of(e->index);
	size_t plen, n;

	if (!p)
		return 0; /* an index only other systems write */
	plen = strlen(p->prefix);
	n = plen + e->nlen + 1;
	if (size && used + n > size)
		return err_set(-ERANGE, "the names take more than the %zu "
			       "bytes given", size);
	if (size) {
		memcpy(list + used, p->prefix, plen);
		memcpy(list + used + plen, e->name, e->nlen);
		list[used + n - 1] = '\0';
	}
	return (ssize_t)n;
}

/* The listxattr operation. */
ssize_t ext2_listxattr(struct daxfs *vfs, const char *path, char *list,
		       size_t size)
{
	struct ext2_inode_info *inode;
	struct xlist *l = ext2_xlist_new(EXT2_SB(vfs));
	ssize_t ret, used = 0;
	unsigned i;

	if (!l)
		return -ENOMEM;
	ret = xattr_inode(vfs, path, false, &inode);
	if (!ret) {
		ret = ext2_xattr_load(inode, l);
		for (i = 0; !ret && i < l->n; i++) {
			ret = list_one(&l->e[i], list, size, (size_t)used);
			used += ret > 0 ? ret : 0;
			ret = ret > 0 ? 0 : ret;
		}
		xattr_inode_put(inode, false);
	}
	mem_free(l);
	return ret ?: used;
}

/* Change l as setxattr(2) asks: e replaces or joins (in order) the entry
 * of its name, or removes it (remove). */
static int xlist_change(struct xlist *l, const struct xent *e, int flags,
			bool remove, const char *full)
{
	int i = xlist_find(l, e);
	unsigned at;

	if (i >= 0 && (flags & XATTR_CREATE))
		return err_set(-EEXIST, "attribute \"%.200s\" exists already",
			       full);
	if (i < 0 && (remove || (flags & XATTR_REPLACE)))
		return err_set(-ENODATA, "no attribute \"%.200s\"", full);
	if (i >= 0 && remove) {
		memmove(&l->e[i], &l->e[i + 1], (l->n - i - 1) * sizeof(*e));
		l->n--;
	} else if (i >= 0) {
		l->e[i] = *e;
	} else {
		for (at = 0; at < l->n && ext2_xattr_cmp(&l->e[at], e) < 0; at++)
			;
		memmove(&l->e[at + 1], &l->e[at], (l->n - at) * sizeof(*e));
		l->e[at] = *e;
		l->n++;
	}
	return 0;
}

/* One setxattr: the entry, its flags, and what an access ACL does to
 * the mode (the kernel's posix_acl_update_mode). */
struct xset {
	struct xent e;
	int flags;
	bool remove;
	const char *full;          /* the name as given, for messages */
	int acl_bits;              /* -1, or the permission bits an access
				      ACL sets */
	bool acl_equiv;            /* it says no more than them: the mode
				      alone keeps it (it is not stored) */
};

/* The checks Linux makes of the file an attribute is set on. */
static int xset_check(struct ext2_inode_info *inode, const struct xset *s)
{
	uint16_t mode = ext2_i_mode(inode);

	if (s->remove)
		return 0;
	if (s->e.index == EXT2_XATTR_INDEX_USER && !S_ISREG(mode) &&
	    !S_ISDIR(mode))
		return err_set(-EPERM, "user. attributes are only for regular "
			       "files and directories (as Linux)");
	if (s->e.index == EXT2_XATTR_INDEX_POSIX_ACL_DEFAULT && !S_ISDIR(mode))
		return err_set(-EACCES, "only a directory has a default ACL");
	return 0;
}

/* The permission bits an access ACL set, with the rest of the mode. */
static void acl_mode_store(struct ext2_inode_info *inode, int bits)
{
	struct ext2_inode *raw = inode->raw;

	ext2_jlog(&raw->i_mode, 2);
	ext2_inode_store_mode(inode, (uint16_t)((ext2_i_mode(inode) & ~0777u) |
						(unsigned)bits));
	ext2_persist(inode->fs, &raw->i_mode, 2);
}

/* Change the inode's attributes as s says, l loaded; the block and the
 * mode change in one operation. */
static int setxattr_locked(struct ext2_inode_info *inode, struct xlist *l,
			   const struct xset *s)
{
	bool equiv = s->acl_equiv, change = true;
	struct ext2_jh h;
	int ret;

	ret = xset_check(inode, s) ?: ext2_xattr_load(inode, l);
	if (ret)
		return ret;
	if (equiv)
		change = xlist_find(l, &s->e) >= 0;
	ret = change ? xlist_change(l, &s->e, equiv ? 0 : s->flags,
				    s->remove || equiv, s->full) : 0;
	if (ret)
		return ret;
	ext2_jbegin(inode->fs, &h);
	ret = change ? ext2_xattr_store(inode, l) : 0;
	if (!ret && s->acl_bits >= 0)
		acl_mode_store(inode, s->acl_bits);
	ext2_jcommit(&h);
	return ret;
}

/* The entry of a set (value NULL: a remove), an ACL in ext2's form in
 * acl; an access ACL also gives the mode bits. */
static int xset_make(struct xset *s, const char *name, const void *value,
		     size_t size, uint8_t *acl)
{
	int ret = xattr_parse(name, &s->e);
	uint8_t idx = s->e.index;

	s->e.value = value;
	s->e.vsize = (uint32_t)size;
	s->remove = !value;
	s->full = name;
	s->acl_bits = -1;
	if (ret || !value || (idx != EXT2_XATTR_INDEX_POSIX_ACL_ACCESS &&
			      idx != EXT2_XATTR_INDEX_POSIX_ACL_DEFAULT))
		return ret;
	ret = ext2_acl_to_disk(value, size, acl, &s->e.vsize);
	s->e.value = acl;
	if (!ret && idx == EXT2_XATTR_INDEX_POSIX_ACL_ACCESS)
		s->acl_bits = ext2_acl_mode(value, size, &s->acl_equiv);
	return ret;
}

/* The setxattr operation (removexattr when value is NULL). */
int ext2_setxattr(struct daxfs *vfs, const char *path, const char *name,
		  const void *value, size_t size, int flags)
{
	struct ext2_inode_info *inode;
	uint8_t acl[EXT2_ACL_MAX];
	struct xset s = { .flags = flags };
	struct xlist *l;
	int ret;

	ret = xset_make(&s, name, value, size, acl);
	if (ret)
		return ret;
	l = ext2_xlist_new(EXT2_SB(vfs));
	if (!l)
		return -ENOMEM;
	ret = xattr_inode(vfs, path, true, &inode);
	if (!ret) {
		ret = setxattr_locked(inode, l, &s);
		xattr_inode_put(inode, true);
	}
	mem_free(l);
	return ret;
}

/* chmod of an inode with an access ACL: its owner, mask (or group) and
 * other entries take the new bits (the kernel's posix_acl_chmod), inside
 * the caller's operation, i_rwsem held exclusively. */
int ext2_xattr_acl_chmod(struct ext2_inode_info *inode, mode_t mode)
{
	struct xent key = { .index = EXT2_XATTR_INDEX_POSIX_ACL_ACCESS,
			    .name = "" };
	uint8_t acl[EXT2_ACL_MAX];
	struct xlist *l;
	int ret, i;

	if (!inode->raw->i_file_acl && !ext2_xattr_ibody(inode))
		return 0;
	l = ext2_xlist_new(inode->fs);
	if (!l)
		return -ENOMEM;
	ret = ext2_xattr_load(inode, l);
	i = ret ? -1 : xlist_find(l, &key);
	if (i >= 0 && l->e[i].vsize <= sizeof(acl)) {
		memcpy(acl, l->e[i].value, l->e[i].vsize);
		ext2_acl_chmod(acl, l->e[i].vsize, mode);
		l->e[i].value = acl;
		ret = ext2_xattr_store(inode, l);
	}
	mem_free(l);
	return ret;
}
