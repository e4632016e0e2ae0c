/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * xattr.c -- the public calls on extended attributes: daxfs_getxattr,
 * daxfs_setxattr, daxfs_listxattr and daxfs_removexattr, with the
 * argument checks of Linux's fs/xattr.c (name length, value size,
 * flags); which names a file system stores is the engine's.
 */
#include <errno.h>
#include <string.h>
#include <sys/xattr.h>

#include "api/vfs.h"
#include "core/err.h"

#ifndef XATTR_NAME_MAX
#define XATTR_NAME_MAX 255
#endif
#ifndef XATTR_SIZE_MAX
#define XATTR_SIZE_MAX 65536
#endif

/* The handle and the name, as Linux checks a name (-ERANGE: empty or
 * longer than XATTR_NAME_MAX). */
static int name_check(daxfs *fs, const char *name)
{
	size_t len;

	if (!fs || !name)
		return err_set(-EINVAL, "fs and name must be given");
	len = strnlen(name, XATTR_NAME_MAX + 1);
	if (len == 0)
		return err_set(-ERANGE, "the attribute name is empty");
	if (len > XATTR_NAME_MAX)
		return err_set(-ERANGE, "the attribute name is longer than %d "
			       "bytes", XATTR_NAME_MAX);
	return 0;
}

/* The writable-mount check of a change of path's attributes (the file
 * is looked up first, as Linux does). */
static int xattr_check_rw(daxfs *fs, const char *path)
{
	struct stat st;
	int ret;

	if (!fs->rdonly)
		return 0;
	ret = fs->ops->stat(fs, path, &st);
	return ret ?: err_set(-EROFS, "the file system is mounted read-only");
}

DAXFS_API ssize_t daxfs_getxattr(daxfs *fs, const char *path,
				 const char *name, void *value, size_t size)
{
	int ret;

	err_begin("daxfs_getxattr", NULL);
	ret = name_check(fs, name);
	if (!ret && !value && size)
		ret = err_set(-EINVAL, "value is NULL with size %zu", size);
	if (ret)
		return err_end(ret);
	if (size > XATTR_SIZE_MAX)
		size = XATTR_SIZE_MAX;
	return err_end(fs->ops->getxattr(fs, path, name, value, size));
}

DAXFS_API int daxfs_setxattr(daxfs *fs, const char *path, const char *name,
			     const void *value, size_t size, int flags)
{
	int ret;

	err_begin("daxfs_setxattr", NULL);
	ret = name_check(fs, name);
	if (!ret && (flags & ~(XATTR_CREATE | XATTR_REPLACE)))
		ret = err_set(-EINVAL, "unknown flags 0x%x", flags);
	else if (!ret && !value && size)
		ret = err_set(-EINVAL, "value is NULL with size %zu", size);
	else if (!ret && size > XATTR_SIZE_MAX)
		ret = err_set(-E2BIG, "a value of %zu bytes is larger than "
			      "XATTR_SIZE_MAX (%d)", size, XATTR_SIZE_MAX);
	if (ret)
		return err_end(ret);
	ret = xattr_check_rw(fs, path) ?:
	      fs->ops->setxattr(fs, path, name, value ? value : "", size,
				flags);
	if (ret == -ENOSPC && vfs_reclaimed(fs))
		ret = fs->ops->setxattr(fs, path, name, value ? value : "",
					size, flags);
	return err_end(ret);
}

DAXFS_API ssize_t daxfs_listxattr(daxfs *fs, const char *path, char *list,
				  size_t size)
{
	err_begin("daxfs_listxattr", NULL);
	if (!fs)
		return err_end(err_set(-EINVAL, "fs is NULL"));
	if (!list && size)
		return err_end(err_set(-EINVAL, "list is NULL with size %zu",
				       size));
	return err_end(fs->ops->listxattr(fs, path, list, size));
}

DAXFS_API int daxfs_removexattr(daxfs *fs, const char *path,
				const char *name)
{
	int ret;

	err_begin("daxfs_removexattr", NULL);
	ret = name_check(fs, name) ?: xattr_check_rw(fs, path) ?:
	      fs->ops->setxattr(fs, path, name, NULL, 0, XATTR_REPLACE);
	/* (what is left of the block is written to a new one) */
	if (ret == -ENOSPC && vfs_reclaimed(fs))
		ret = fs->ops->setxattr(fs, path, name, NULL, 0,
					XATTR_REPLACE);
	return err_end(ret);
}
