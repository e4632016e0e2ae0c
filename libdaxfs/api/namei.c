/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * namei.c -- the public calls on names: daxfs_mkdir, daxfs_rmdir,
 * daxfs_unlink, daxfs_rename, daxfs_link, daxfs_symlink, daxfs_readlink,
 * daxfs_stat and daxfs_readdir.  Paths are checked by the engine's walk
 * (absolute, not too long, every component a directory).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "api/vfs.h"
#include "core/err.h"

/* What a namespace change does to the name it checks first. */
enum ns_change { NS_CREATE, NS_REMOVE };

/*
 * The checks of every call that changes the namespace.  On a read-only
 * mount the name is resolved first, as Linux does: creating an existing
 * name is -EEXIST and removing a missing one fails as the lookup does;
 * only then -EROFS.
 */
static int check_rw(daxfs *fs, const char *path, enum ns_change change)
{
	struct stat st;
	int ret;

	if (!fs)
		return err_set(-EINVAL, "fs is NULL");
	if (!fs->rdonly)
		return 0;
	ret = path ? fs->ops->stat(fs, path, &st) : -ENOENT;
	if (change == NS_CREATE && ret == 0)
		return err_set(-EEXIST, "\"%.200s\" exists already", path);
	if (change == NS_REMOVE && ret < 0 && path)
		return ret;
	return err_set(-EROFS, "the file system is mounted read-only");
}

DAXFS_API int daxfs_mkdir(daxfs *fs, const char *path, mode_t mode)
{
	int ret;

	err_begin("daxfs_mkdir", NULL);
	ret = check_rw(fs, path, NS_CREATE) ?: fs->ops->mkdir(fs, path, mode);
	if (ret == -ENOSPC && vfs_reclaimed(fs))
		ret = fs->ops->mkdir(fs, path, mode);
	return err_end(ret);
}

DAXFS_API int daxfs_rmdir(daxfs *fs, const char *path)
{
	err_begin("daxfs_rmdir", NULL);
	return err_end(check_rw(fs, path, NS_REMOVE) ?:
		       fs->ops->rmdir(fs, path));
}

DAXFS_API int daxfs_unlink(daxfs *fs, const char *path)
{
	err_begin("daxfs_unlink", NULL);
	return err_end(check_rw(fs, path, NS_REMOVE) ?:
		       fs->ops->unlink(fs, path));
}

DAXFS_API int daxfs_rename(daxfs *fs, const char *from, const char *to)
{
	int ret;

	err_begin("daxfs_rename", NULL);
	ret = check_rw(fs, from, NS_REMOVE) ?: fs->ops->rename(fs, from, to);
	if (ret == -ENOSPC && vfs_reclaimed(fs))
		ret = fs->ops->rename(fs, from, to);
	return err_end(ret);
}

DAXFS_API int daxfs_link(daxfs *fs, const char *from, const char *to)
{
	int ret;

	err_begin("daxfs_link", NULL);
	ret = check_rw(fs, to, NS_CREATE) ?: fs->ops->link(fs, from, to);
	if (ret == -ENOSPC && vfs_reclaimed(fs))
		ret = fs->ops->link(fs, from, to);
	return err_end(ret);
}

/* The target of a symbolic link, as far as no layout is concerned. */
static int symlink_check(const char *target)
{
	if (!target)
		return err_set(-EINVAL, "target is NULL");
	if (!*target)
		return err_set(-ENOENT, "the target is empty");
	if (strnlen(target, PATH_MAX) >= PATH_MAX)
		return err_set(-ENAMETOOLONG, "the target is longer than %d "
			       "bytes", PATH_MAX - 1);
	return 0;
}

DAXFS_API int daxfs_symlink(daxfs *fs, const char *target, const char *path)
{
	int ret;

	err_begin("daxfs_symlink", NULL);
	ret = check_rw(fs, path, NS_CREATE) ?: symlink_check(target) ?:
	      fs->ops->symlink(fs, target, path);
	if (ret == -ENOSPC && vfs_reclaimed(fs))
		ret = fs->ops->symlink(fs, target, path);
	return err_end(ret);
}

DAXFS_API ssize_t daxfs_readlink(daxfs *fs, const char *path, char *buf,
				 size_t len)
{
	err_begin("daxfs_readlink", NULL);
	if (!fs || !buf)
		return err_end(err_set(-EINVAL, "fs and buf must be given"));
	return err_end(fs->ops->readlink(fs, path, buf, len));
}

DAXFS_API int daxfs_stat(daxfs *fs, const char *path, struct stat *st)
{
	err_begin("daxfs_stat", NULL);
	if (!fs || !st)
		return err_end(err_set(-EINVAL, "fs and st must be given"));
	return err_end(fs->ops->stat(fs, path, st));
}

/* daxfs_readdir's callback, and what it last returned. */
struct readdir_ctx {
	vfs_filldir_t fn;
	void *arg;
};

/* Call the user's callback; it may make libdaxfs calls of its own, so the
 * walk's error context is set again after it. */
static int readdir_actor(void *arg, const char *name, uint64_t ino,
			 unsigned type)
{
	struct readdir_ctx *c = arg;
	int ret = c->fn(c->arg, name, ino, type);

	err_begin("daxfs_readdir", NULL);
	if (ret < 0)
		err_set(ret, "the callback stopped the walk at \"%.200s\" with "
			"%d", name, ret);
	return ret;
}

DAXFS_API int daxfs_readdir(daxfs *fs, const char *path,
			    int (*fn)(void *arg, const char *name,
				      uint64_t ino, unsigned type),
			    void *arg)
{
	err_begin("daxfs_readdir", NULL);
	if (!fs || !fn)
		return err_end(err_set(-EINVAL, "fs and fn must be given"));
	return err_end(fs->ops->readdir(fs, path, readdir_actor,
					&(struct readdir_ctx){ fn, arg }));
}
