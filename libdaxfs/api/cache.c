/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cache.c -- the public calls on the inode cache: daxfs_set_cache_limit
 * and daxfs_cache_stats (the engine's LRU and budget: ext2/icache.c).
 */
#include <errno.h>
#include <string.h>

#include "api/vfs.h"
#include "core/err.h"

DAXFS_API int daxfs_set_cache_limit(daxfs *fs, size_t bytes)
{
	err_begin("daxfs_set_cache_limit", NULL);
	if (!fs)
		return err_end(err_set(-EINVAL, "fs is NULL"));
	return err_end(fs->ops->set_cache_limit(fs, bytes));
}

DAXFS_API int daxfs_cache_stats(daxfs *fs, struct daxfs_cache_stats *st)
{
	err_begin("daxfs_cache_stats", NULL);
	if (!fs || !st)
		return err_end(err_set(-EINVAL, "fs and st must be given"));
	memset(st, 0, sizeof(*st));
	return err_end(fs->ops->cache_stats(fs, st));
}
