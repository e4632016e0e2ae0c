/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xattr_acl.c -- POSIX ACLs between the form the xattr calls carry
 * (Linux's posix_acl_xattr: a version 2 header, then 8-byte entries of
 * tag, permissions and id) and the form the ext2 driver stores under the
 * name indexes 2 and 3 (fs/ext2/acl.h: a version 1 header, then entries
 * of 4 bytes for the owner, group, mask and other, and of 8 bytes with
 * the id for named users and groups).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include "core/err.h"
#include "ext2/ext2_fs.h"
#include "ext2/xattr.h"

#define ACL_XATTR_VERSION 2
#define ACL_EXT2_VERSION 1
#define ACL_TAG_USER_OBJ 0x01
#define ACL_TAG_USER 0x02
#define ACL_TAG_GROUP_OBJ 0x04
#define ACL_TAG_GROUP 0x08
#define ACL_TAG_MASK 0x10
#define ACL_TAG_OTHER 0x20

/* Does tag carry an id (a named user or group)? */
static bool tag_has_id(uint16_t tag)
{
	return tag == ACL_TAG_USER || tag == ACL_TAG_GROUP;
}

/* A known tag? */
static bool tag_known(uint16_t tag)
{
	return tag == ACL_TAG_USER_OBJ || tag_has_id(tag) ||
	       tag == ACL_TAG_GROUP_OBJ || tag == ACL_TAG_MASK ||
	       tag == ACL_TAG_OTHER;
}

/* Little-endian loads and stores at unaligned places. */
static uint32_t ld(const uint8_t *p, int n)
{
	return n == 2 ? (uint32_t)p[0] | (uint32_t)p[1] << 8
		      : (uint32_t)p[0] | (uint32_t)p[1] << 8 |
				(uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void st(uint8_t *p, uint32_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Bytes of the ext2 ACL entry at p. */
static uint32_t entry_len(const uint8_t *p)
{
	return tag_has_id((uint16_t)ld(p, 2)) ? 8 : 4;
}

int ext2_acl_to_disk(const void *value, size_t size, uint8_t *out,
		     uint32_t *outlen)
{
	const uint8_t *v = value;
	uint32_t o = 4;
	size_t i;

	if (size < 12 || (size - 4) % 8 || size > EXT2_ACL_MAX ||
	    ld(v, 4) != ACL_XATTR_VERSION)
		return err_set(-EINVAL, "the value is not a POSIX ACL (version "
			       "2 header and 8-byte entries)");
	st(out, ACL_EXT2_VERSION, 4);
	for (i = 4; i < size; i += 8) {
		uint16_t tag = (uint16_t)ld(v + i, 2);

		if (!tag_known(tag) || ld(v + i + 2, 2) & ~7u)
			return err_set(-EINVAL, "ACL entry %zu has tag 0x%x and "
				       "permissions 0%o", (i - 4) / 8, tag,
				       ld(v + i + 2, 2));
		memcpy(out + o, v + i, 4);
		if (tag_has_id(tag))
			memcpy(out + o + 4, v + i + 4, 4);
		o += tag_has_id(tag) ? 8 : 4;
	}
	*outlen = o;
	return 0;
}

/* Entries in an ext2 ACL of size bytes, or -1 when it is damaged. */
static int disk_count(const uint8_t *d, uint32_t size)
{
	uint32_t o = 4;
	int n = 0;

	if (size < 4 || ld(d, 4) != ACL_EXT2_VERSION)
		return -1;
	while (o + 4 <= size) {
		uint16_t tag = (uint16_t)ld(d + o, 2);

		if (!tag_known(tag))
			return -1;
		o += tag_has_id(tag) ? 8 : 4;
		n++;
	}
	return o == size ? n : -1;
}

ssize_t ext2_acl_from_disk(const void *disk, uint32_t size, void *value,
			   size_t cap)
{
	const uint8_t *d = disk;
	uint8_t *v = value;
	int n = disk_count(d, size);
	uint32_t o = 4, i;

	if (n < 0)
		return err_set(-EUCLEAN, "a stored ACL is damaged");
	if (!cap)
		return 4 + 8 * n;
	if (cap < 4 + 8 * (size_t)n)
		return err_set(-ERANGE, "the ACL takes %d bytes, more than the "
			       "%zu given", 4 + 8 * n, cap);
	st(v, ACL_XATTR_VERSION, 4);
	for (i = 0; i < (uint32_t)n; i++) {
		uint16_t tag = (uint16_t)ld(d + o, 2);

		memcpy(v + 4 + 8 * i, d + o, 4);
		st(v + 8 + 8 * i, tag_has_id(tag) ? ld(d + o + 4, 4)
						  : 0xffffffffu, 4);
		o += tag_has_id(tag) ? 8 : 4;
	}
	return 4 + 8 * n;
}

int ext2_acl_mode(const void *value, size_t size, bool *equiv)
{
	const uint8_t *v = value;
	unsigned u = 0, g = 0, o = 0, m = 0;
	bool mask = false, named = false;
	size_t i;

	for (i = 4; i + 8 <= size; i += 8) {
		uint16_t tag = (uint16_t)ld(v + i, 2);
		unsigned perm = ld(v + i + 2, 2) & 7;

		if (tag == ACL_TAG_USER_OBJ)
			u = perm;
		else if (tag == ACL_TAG_GROUP_OBJ)
			g = perm;
		else if (tag == ACL_TAG_OTHER)
			o = perm;
		else if (tag == ACL_TAG_MASK)
			m = perm, mask = true;
		else
			named = true;
	}
	*equiv = !mask && !named;
	return (int)(u << 6 | (mask ? m : g) << 3 | o);
}

void ext2_acl_chmod(uint8_t *disk, uint32_t size, mode_t mode)
{
	bool mask = false;
	uint32_t o;

	for (o = 4; o + 4 <= size; o += entry_len(disk + o))
		mask |= ld(disk + o, 2) == ACL_TAG_MASK;
	for (o = 4; o + 4 <= size; o += entry_len(disk + o)) {
		uint16_t tag = (uint16_t)ld(disk + o, 2);

		if (tag == ACL_TAG_USER_OBJ)
			st(disk + o + 2, (mode >> 6) & 7, 2);
		else if (tag == (mask ? ACL_TAG_MASK : ACL_TAG_GROUP_OBJ))
			st(disk + o + 2, (mode >> 3) & 7, 2);
		else if (tag == ACL_TAG_OTHER)
			st(disk + o + 2, mode & 7, 2);
	}
}
