/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfs.h -- the public layer: the handles of include/daxfs.h and the
 * operations table through which a file system engine serves them.
 *
 * libdaxfs/api/ holds every DAXFS_API function.  Each one starts with
 * err_begin() (no message outlives its call), checks the arguments that
 * need no knowledge of the layout (NULL pointers, flags, offsets and
 * lengths, access modes, read-only mounts), dispatches through
 * struct vfs_ops, and ends with err_end().  The engine (today ext2, in
 * libdaxfs/ext2/) plugs in the way ext2_file_operations and
 * ext2_dax_vm_ops plug into the kernel's VFS: this layer knows no ext2
 * detail, and the engine embeds struct daxfs in its own superblock
 * (container_of), as ext2_inode_info embeds struct inode.
 */
#ifndef DAXFS_API_VFS_H
#define DAXFS_API_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include "daxfs.h"
#include "core/err.h"

struct vfs_inode; /* an engine's in-memory inode, opaque here */
struct vfs_ops;

/* A mounted region (daxfs *); the first member of the engine's own
 * superblock. */
struct daxfs {
	const struct vfs_ops *ops;
	bool rdonly;                /* DAXFS_MOUNT_RDONLY */
	char warning[256];          /* what mount found and left (see
				       daxfs_mount_warning), or "" */
};

/* An open file (daxfs_file *), allocated here with its path inline. */
struct daxfs_file {
	struct daxfs *fs;
	struct vfs_inode *inode;    /* referenced until daxfs_close */
	int flags;                  /* open flags */
	bool readable;
	bool writable;
	char path[];                /* as given to daxfs_open, for messages */
};

/* What a setattr changes (struct vfs_attr's valid bits). */
#define VFS_ATTR_MODE 0x1   /* the permission bits (07777) */
#define VFS_ATTR_UID 0x2
#define VFS_ATTR_GID 0x4
#define VFS_ATTR_ATIME 0x8  /* atime, in seconds */
#define VFS_ATTR_MTIME 0x10

/* chmod, chown and utimens as one change (the kernel's struct iattr);
 * the change time moves with any of them. */
struct vfs_attr {
	unsigned valid;             /* VFS_ATTR_* */
	mode_t mode;
	uid_t uid;
	gid_t gid;
	int64_t atime, mtime;       /* seconds since the epoch */
};

/* Callback of daxfs_readdir. */
typedef int (*vfs_filldir_t)(void *arg, const char *name, uint64_t ino,
			     unsigned type);

/*
 * What an engine provides.  The public layer has checked the arguments it
 * can (non-NULL handles and buffers, known flags, offsets >= 0, lengths
 * <= SSIZE_MAX, the handle's access mode, a writable mount for the
 * namespace changes); paths are non-NULL but otherwise unchecked.  Every
 * operation returns 0 (or a count) or a negative errno with its message
 * set by err_set().
 */
struct vfs_ops {
	const char *name;

	/* Regions */
	int (*mkfs)(const char *path, const struct daxfs_mkfs_opts *opts);
	int (*mount)(const char *path, unsigned flags, struct daxfs **fs);
	int (*unmount)(struct daxfs *fs); /* -EBUSY: files or views alive */
	int (*statfs)(struct daxfs *fs, struct statvfs *st);
	/* Fill the whole struct (the public layer copies what the caller's
	 * size holds). */
	int (*info)(struct daxfs *fs, struct daxfs_info *info);
	/* The inode cache's budget and statistics (ext2/icache.c). */
	int (*set_cache_limit)(struct daxfs *fs, size_t bytes);
	int (*cache_stats)(struct daxfs *fs, struct daxfs_cache_stats *st);
	/* After -ENOSPC, with no lock held: give back blocks that open files
	 * hold ahead of their appends; > 0 if any came back (optional). */
	int (*reclaim)(struct daxfs *fs);

	/* Namespace */
	int (*mkdir)(struct daxfs *fs, const char *path, mode_t mode);
	int (*rmdir)(struct daxfs *fs, const char *path);
	int (*unlink)(struct daxfs *fs, const char *path);
	int (*rename)(struct daxfs *fs, const char *from, const char *to);
	int (*link)(struct daxfs *fs, const char *from, const char *to);
	int (*symlink)(struct daxfs *fs, const char *target, const char *path);
	ssize_t (*readlink)(struct daxfs *fs, const char *path, char *buf,
			    size_t len);
	int (*stat)(struct daxfs *fs, const char *path, struct stat *st);
	int (*readdir)(struct daxfs *fs, const char *path, vfs_filldir_t fn,
		       void *arg);

	/* Files: open finds (or creates, truncates) the inode and checks its
	 * type; release drops the reference open took. */
	int (*open)(struct daxfs *fs, const char *path, int flags, mode_t mode,
		    struct vfs_inode **inode);
	void (*release)(struct daxfs *fs, struct vfs_inode *inode);
	ssize_t (*read)(struct daxfs_file *f, void *buf, size_t len,
			uint64_t off);
	ssize_t (*write)(struct daxfs_file *f, const void *buf, size_t len,
			 uint64_t off, unsigned flags); /* DAXFS_WRITE_*
			 (checked); O_APPEND: off is ignored */
	int (*truncate)(struct daxfs_file *f, uint64_t size);
	/* fallocate(2)'s modes: off >= 0, len > 0, off + len without
	 * overflow, the flags Linux's VFS accepts (checked). */
	int (*fallocate)(struct daxfs_file *f, int mode, uint64_t off,
			 uint64_t len);
	int (*fsync)(struct daxfs_file *f);
	int (*getattr)(struct daxfs_file *f, struct stat *st);

	/* Attributes of path, or of the open file inode when it is not
	 * NULL (the mount is writable, checked). */
	int (*setattr)(struct daxfs *fs, const char *path,
		       struct vfs_inode *inode, const struct vfs_attr *attr);
	/* A special file (or a regular one): the type is checked. */
	int (*mknod)(struct daxfs *fs, const char *path, mode_t mode,
		     dev_t dev);
	/* Extended attributes by their full names ("user.x"); the name is
	 * 1..255 bytes, a value at most XATTR_SIZE_MAX, the flags known
	 * (checked).  setxattr with value NULL removes the name. */
	ssize_t (*getxattr)(struct daxfs *fs, const char *path,
			    const char *name, void *value, size_t size);
	int (*setxattr)(struct daxfs *fs, const char *path, const char *name,
			const void *value, size_t size, int flags);
	ssize_t (*listxattr)(struct daxfs *fs, const char *path, char *list,
			     size_t size);

	/* Direct mappings: a view of [off, off+len) (page-aligned, checked);
	 * views are removed and persisted through dax/view.h. */
	int (*map)(struct daxfs_file *f, uint64_t off, size_t len, int prot,
		   unsigned flags, void **addr);
};

/* After a call that allocates (a write, fallocate, a namespace change)
 * failed with -ENOSPC, changing nothing: whether the engine gave back
 * blocks open files held ahead, so that the call may run once more (ext4
 * retries its allocations after discarding its preallocations alike). */
static inline bool vfs_reclaimed(struct daxfs *fs)
{
	if (!fs->ops->reclaim || fs->ops->reclaim(fs) <= 0)
		return false;
	err_retry();
	return true;
}

/* The engines this library has (the kernel's register_filesystem). */
extern const struct vfs_ops ext2_vfs_ops;

#endif
