/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * attr.c -- the public calls on what an inode stores besides its data:
 * daxfs_chmod, daxfs_chown, daxfs_utimens (and their file-handle forms),
 * daxfs_mknod and daxfs_access.  The engine changes the attributes in
 * one setattr operation (struct vfs_attr); access is decided here from
 * what stat reports.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "api/vfs.h"
#include "core/err.h"

/* The writable-mount check of a call on path (f NULL) or on f.  On a
 * read-only mount path is resolved first, as Linux does: a missing file
 * fails as the lookup does, only then -EROFS. */
static int attr_check_rw(daxfs *fs, const char *path, daxfs_file *f)
{
	struct stat st;
	int ret;

	if (!fs->rdonly)
		return 0;
	if (!f) {
		ret = fs->ops->stat(fs, path, &st);
		if (ret)
			return ret;
	}
	return err_set(-EROFS, "the file system is mounted read-only");
}

/* One setattr on path or on f, once the arguments are checked. */
static int attr_apply(daxfs *fs, const char *path, daxfs_file *f,
		      const struct vfs_attr *a)
{
	int ret = attr_check_rw(fs, path, f) ?:
		  fs->ops->setattr(fs, f ? NULL : path, f ? f->inode : NULL, a);

	/* (a chmod rewrites a file's ACL: a new attribute block) */
	if (ret == -ENOSPC && vfs_reclaimed(fs))
		ret = fs->ops->setattr(fs, f ? NULL : path,
				       f ? f->inode : NULL, a);
	return ret;
}

DAXFS_API int daxfs_chmod(daxfs *fs, const char *path, mode_t mode)
{
	struct vfs_attr a = { .valid = VFS_ATTR_MODE, .mode = mode & 07777 };

	err_begin("daxfs_chmod", NULL);
	if (!fs)
		return err_end(err_set(-EINVAL, "fs is NULL"));
	return err_end(attr_apply(fs, path, NULL, &a));
}

DAXFS_API int daxfs_fchmod(daxfs_file *f, mode_t mode)
{
	struct vfs_attr a = { .valid = VFS_ATTR_MODE, .mode = mode & 07777 };

	err_begin("daxfs_fchmod", f ? f->path : NULL);
	if (!f)
		return err_end(err_set(-EINVAL, "f is NULL"));
	return err_end(attr_apply(f->fs, NULL, f, &a));
}

/* chown's attributes: (uid_t)-1 and (gid_t)-1 keep the old one. */
static struct vfs_attr chown_attr(uid_t uid, gid_t gid)
{
	struct vfs_attr a = { .uid = uid, .gid = gid };

	if (uid != (uid_t)-1)
		a.valid |= VFS_ATTR_UID;
	if (gid != (gid_t)-1)
		a.valid |= VFS_ATTR_GID;
	return a;
}

DAXFS_API int daxfs_chown(daxfs *fs, const char *path, uid_t uid, gid_t gid)
{
	struct vfs_attr a = chown_attr(uid, gid);

	err_begin("daxfs_chown", NULL);
	if (!fs)
		return err_end(err_set(-EINVAL, "fs is NULL"));
	return err_end(attr_apply(fs, path, NULL, &a));
}

DAXFS_API int daxfs_fchown(daxfs_file *f, uid_t uid, gid_t gid)
{
	struct vfs_attr a = chown_attr(uid, gid);

	err_begin("daxfs_fchown", f ? f->path : NULL);
	if (!f)
		return err_end(err_set(-EINVAL, "f is NULL"));
	return err_end(attr_apply(f->fs, NULL, f, &a));
}

/* Seconds as ext2 keeps them: the Linux driver's range, a signed 32-bit
 * count (timestamps outside it are clamped, as the kernel does). */
static int64_t time_clamp(int64_t sec)
{
	return sec < INT32_MIN ? INT32_MIN : sec > INT32_MAX ? INT32_MAX : sec;
}

/* One of utimensat(2)'s times into a (bit is VFS_ATTR_ATIME or _MTIME);
 * -EINVAL for a bad tv_nsec. */
static int time_take(const struct timespec *t, unsigned bit,
		     struct vfs_attr *a)
{
	struct timespec now;
	int64_t sec;

	if (t && t->tv_nsec == UTIME_OMIT)
		return 0;
	if (t && t->tv_nsec != UTIME_NOW &&
	    (t->tv_nsec < 0 || t->tv_nsec >= 1000000000L))
		return err_set(-EINVAL, "tv_nsec %ld is neither in [0, 1e9) "
			       "nor UTIME_NOW or UTIME_OMIT", t->tv_nsec);
	if (!t || t->tv_nsec == UTIME_NOW) {
		clock_gettime(CLOCK_REALTIME, &now);
		sec = now.tv_sec;
	} else {
		sec = time_clamp(t->tv_sec);
	}
	a->valid |= bit;
	*(bit == VFS_ATTR_ATIME ? &a->atime : &a->mtime) = sec;
	return 0;
}

/* utimensat(2)'s times (NULL: both now) into a. */
static int utimens_attr(const struct timespec times[2], struct vfs_attr *a)
{
	*a = (struct vfs_attr){ 0 };
	return time_take(times ? &times[0] : NULL, VFS_ATTR_ATIME, a) ?:
	       time_take(times ? &times[1] : NULL, VFS_ATTR_MTIME, a);
}

DAXFS_API int daxfs_utimens(daxfs *fs, const char *path,
			    const struct timespec times[2])
{
	struct vfs_attr a;

	err_begin("daxfs_utimens", NULL);
	if (!fs)
		return err_end(err_set(-EINVAL, "fs is NULL"));
	return err_end(utimens_attr(times, &a) ?:
		       attr_apply(fs, path, NULL, &a));
}

DAXFS_API int daxfs_futimens(daxfs_file *f, const struct timespec times[2])
{
	struct vfs_attr a;

	err_begin("daxfs_futimens", f ? f->path : NULL);
	if (!f)
		return err_end(err_set(-EINVAL, "f is NULL"));
	return err_end(utimens_attr(times, &a) ?:
		       attr_apply(f->fs, NULL, f, &a));
}

/* mknod(2)'s file types, in the order Linux checks them. */
static int mknod_type_check(mode_t mode)
{
	switch (mode & S_IFMT) {
	case 0:
	case S_IFREG:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return 0;
	case S_IFDIR:
		return err_set(-EPERM, "mknod cannot make a directory (use "
			       "daxfs_mkdir)");
	default:
		return err_set(-EINVAL, "file type 0%o is not one mknod makes",
			       (unsigned)(mode & S_IFMT));
	}
}

DAXFS_API int daxfs_mknod(daxfs *fs, const char *path, mode_t mode, dev_t dev)
{
	struct stat st;
	int ret;

	err_begin("daxfs_mknod", NULL);
	if (!fs)
		return err_end(err_set(-EINVAL, "fs is NULL"));
	ret = mknod_type_check(mode);
	if (!ret && fs->rdonly)
		ret = fs->ops->stat(fs, path, &st) == 0
			      ? err_set(-EEXIST, "\"%.200s\" exists already",
					path)
			      : err_set(-EROFS, "the file system is mounted "
					"read-only");
	if (!(mode & S_IFMT))
		mode |= S_IFREG;
	ret = ret ?: fs->ops->mknod(fs, path, mode, dev);
	if (ret == -ENOSPC && vfs_reclaimed(fs))
		ret = fs->ops->mknod(fs, path, mode, dev);
	return err_end(ret);
}

/* Is the calling process (its real ids) in group gid? */
static bool in_group(gid_t gid)
{
	gid_t groups[256];
	int i, n;

	if (gid == getgid())
		return true;
	n = getgroups(256, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* access(2)'s decision for the process's real ids over what st says. */
static int access_decide(const struct stat *st, int mode, const char *path)
{
	unsigned bits = st->st_mode, want = (unsigned)mode & 7;
	uid_t uid = getuid();

	if (uid == 0) {
		if (!(want & X_OK) || S_ISDIR(bits) || (bits & 0111))
			return 0;
		return err_set(-EACCES, "\"%.200s\" is not executable by "
			       "anyone", path);
	}
	if (st->st_uid == uid)
		bits >>= 6;
	else if (in_group(st->st_gid))
		bits >>= 3;
	if ((bits & want) != want)
		return err_set(-EACCES, "\"%.200s\": permission denied (mode "
			       "0%o, owner %u, group %u)", path,
			       (unsigned)(st->st_mode & 07777),
			       (unsigned)st->st_uid, (unsigned)st->st_gid);
	return 0;
}

DAXFS_API int daxfs_access(daxfs *fs, const char *path, int mode)
{
	struct stat st;
	int ret;

	err_begin("daxfs_access", NULL);
	if (!fs)
		return err_end(err_set(-EINVAL, "fs is NULL"));
	if (mode & ~(R_OK | W_OK | X_OK))
		return err_end(err_set(-EINVAL, "unknown mode bits 0%o",
				       (unsigned)mode));
	ret = fs->ops->stat(fs, path, &st);
	if (!ret && (mode & W_OK) && fs->rdonly)
		ret = err_set(-EROFS, "the file system is mounted read-only");
	return err_end(ret ?: access_decide(&st, mode, path));
}
