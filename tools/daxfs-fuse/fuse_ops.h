/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuse_ops.h -- daxfs-fuse: libfuse3's low-level interface over one
 * libdaxfs mount.  node.c keeps the inodes the kernel knows, ops_names.c
 * serves names and attributes, ops_xattr.c extended attributes,
 * ops_files.c open files, ops_dir.c open directories, main.c the mount.
 *
 * Node ids are ext2 inode numbers (the root, inode 2, is FUSE_ROOT_ID),
 * so every name of a hard-linked file is one kernel inode and the kernel
 * may cache entries and attributes: every change reaches the media
 * through this process, and the kernel learns of it in the reply.  Each
 * node holds an O_PATH handle of its inode from the kernel's first lookup
 * to its last forget: attributes are read and changed through it with no
 * path to walk, an open file whose last name is removed stays reachable
 * (no hidden renames), and its number cannot be reused while the kernel
 * knows it (so generations need no check).  Calls that libdaxfs takes by
 * path (the namespace, extended attributes, readlink, open) use a path
 * built from the names the kernel looked up (node.c).
 */
#ifndef DAXFS_FUSE_OPS_H
#define DAXFS_FUSE_OPS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>

#include "daxfs.h"

/* The mounted region and the session, set before the loop starts. */
extern daxfs *dfuse_fs;
/* How long the kernel may keep entries and attributes (seconds). */
extern double dfuse_timeout;

/* The table of nodes and their names: shared by calls that use paths,
 * exclusive while a rename or a removal changes names. */
extern pthread_rwlock_t dfuse_names_lock;

/* The handle of an open file in fi (a daxfs_file *). */
static inline daxfs_file *dfuse_file(const struct fuse_file_info *fi)
{
	return (daxfs_file *)(uintptr_t)fi->fh;
}

/* node.c: the O_PATH handle of node id ino (NULL if the kernel does not
 * know it). */
daxfs_file *dnode_handle(fuse_ino_t ino);
/* The path of node ino, or of name in directory node parent (name
 * NULL: the directory itself), into buf[PATH_MAX]; the caller holds
 * dfuse_names_lock.  -ENOENT when every name of it (or of a directory
 * above) was removed, -ESTALE for a node the kernel does not know. */
int dnode_path(fuse_ino_t parent, const char *name, char *buf);
/* Open node ino by its path with flags (daxfs_open), under
 * dfuse_names_lock held shared: 0 or -errno as dnode_path and
 * daxfs_open give. */
int dnode_open(fuse_ino_t ino, int flags, daxfs_file **out);
/* The kernel learns path (name in parent): open it O_PATH, count one
 * lookup, remember the name, fill e. */
int dnode_learn(fuse_ino_t parent, const char *name, const char *path,
		struct fuse_entry_param *e);
/* The kernel forgets n lookups of ino. */
void dnode_forget(fuse_ino_t ino, uint64_t n);
/* name in parent no longer names inode ino; or now names it, in place of
 * (oldparent, oldname) (rename).  The caller holds the lock
 * exclusively. */
void dnode_unname(uint64_t ino, fuse_ino_t parent, const char *name);
void dnode_rename(uint64_t ino, fuse_ino_t parent, const char *name,
		  fuse_ino_t newparent, const char *newname);
/* Set up the root node; close every handle at the end. */
int dnode_init(void);
void dnode_fini(void);

/* The largest write the kernel sends, and the I/O size stat gives
 * (st_blksize), so that programs that size their buffers by it (cp)
 * make one request of what would be eight at 128 KiB. */
#define DFUSE_MAX_WRITE (1u << 20)

/* daxfs_fstat, with that I/O size. */
int dfuse_fstat(daxfs_file *f, struct stat *st);
/* Reply with the attributes of handle f (after a change, or getattr). */
void dfuse_reply_attr(fuse_req_t req, daxfs_file *f);
/* Give path, just created, the ids of the process that asked for it. */
int dfuse_own(fuse_req_t req, const char *path);

/* ops_names.c, ops_xattr.c, ops_files.c and ops_dir.c fill their parts
 * of the table (names_ops and files_ops call the other two). */
void dfuse_names_ops(struct fuse_lowlevel_ops *ops);
void dfuse_xattr_ops(struct fuse_lowlevel_ops *ops);
void dfuse_files_ops(struct fuse_lowlevel_ops *ops);
void dfuse_dir_ops(struct fuse_lowlevel_ops *ops);

#endif
