/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuse_ops.h -- daxfs-fuse: the FUSE operations over one libdaxfs mount
 * (ops_names.c: names and attributes; ops_files.c: open files and
 * directories) and the mount they serve (main.c).
 *
 * Every operation is a libdaxfs call on the path (or the handle in
 * fi->fh) the kernel gives, returning libdaxfs's negative errno as it
 * is: the library's per-inode locks let libfuse's threads run in
 * parallel (no lock of daxfs-fuse's own).  The kernel checks
 * permissions (default_permissions); new files get the caller's ids.
 */
#ifndef DAXFS_FUSE_OPS_H
#define DAXFS_FUSE_OPS_H

#define FUSE_USE_VERSION 312
#include <fuse.h>

#include "daxfs.h"

/* The mounted region, set once before the loop starts. */
extern daxfs *dfuse_fs;

/* The handle of an open file in fi (a daxfs_file *). */
static inline daxfs_file *dfuse_file(const struct fuse_file_info *fi)
{
	return (daxfs_file *)(uintptr_t)fi->fh;
}

/* Give path, just created, the ids of the process that asked for it. */
int dfuse_own(const char *path);

/* ops_names.c and ops_files.c fill their parts of the table. */
void dfuse_names_ops(struct fuse_operations *ops);
void dfuse_files_ops(struct fuse_operations *ops);

#endif
