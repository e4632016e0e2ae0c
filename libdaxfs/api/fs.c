/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fs.c -- the public calls on whole regions: daxfs_mkfs, daxfs_mount,
 * daxfs_unmount, daxfs_statfs, daxfs_info, daxfs_devices, and the
 * library's version and error message.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "api/vfs.h"
#include "core/err.h"
#include "core/region.h"

_Static_assert(offsetof(struct daxfs_info, flags) + 4 == DAXFS_INFO_SIZE_MIN,
	       "DAXFS_INFO_SIZE_MIN is the size up to flags");
_Static_assert(sizeof(struct daxfs_info) == 112,
	       "struct daxfs_info keeps its size: new fields take reserved");

#define DAXFS_STR2(x) #x
#define DAXFS_STR(x) DAXFS_STR2(x)

DAXFS_API const char *daxfs_version(void)
{
	return DAXFS_STR(DAXFS_VERSION_MAJOR) "." DAXFS_STR(DAXFS_VERSION_MINOR)
		"." DAXFS_STR(DAXFS_VERSION_PATCH);
}

DAXFS_API const char *daxfs_errormsg(void)
{
	return err_msg();
}

DAXFS_API int daxfs_mkfs(const char *path, const struct daxfs_mkfs_opts *opts)
{
	err_begin("daxfs_mkfs", NULL);
	if (!path || !*path)
		return err_end(err_set(-EINVAL, "path is NULL or empty"));
	return err_end(ext2_vfs_ops.mkfs(path, opts));
}

DAXFS_API int daxfs_mount(const char *path, unsigned flags, daxfs **fs)
{
	int ret = 0;

	err_begin("daxfs_mount", NULL);
	if (!path || !*path || !fs)
		ret = err_set(-EINVAL, "path and fs must be given");
	else if (flags & ~(DAXFS_MOUNT_RDONLY | DAXFS_MOUNT_POPULATE))
		ret = err_set(-EINVAL, "unknown flags 0x%x",
			      flags & ~(DAXFS_MOUNT_RDONLY |
					DAXFS_MOUNT_POPULATE));
	return err_end(ret ?: ext2_vfs_ops.mount(path, flags, fs));
}

DAXFS_API int daxfs_unmount(daxfs *fs)
{
	err_begin("daxfs_unmount", NULL);
	if (!fs)
		return err_end(err_set(-EINVAL, "fs is NULL"));
	return err_end(fs->ops->unmount(fs));
}

DAXFS_API const char *daxfs_mount_warning(daxfs *fs)
{
	return fs ? fs->warning : "";
}

DAXFS_API int daxfs_statfs(daxfs *fs, struct statvfs *st)
{
	err_begin("daxfs_statfs", NULL);
	if (!fs || !st)
		return err_end(err_set(-EINVAL, "fs and st must be given"));
	return err_end(fs->ops->statfs(fs, st));
}

DAXFS_API int daxfs_info(daxfs *fs, struct daxfs_info *info)
{
	struct daxfs_info all;
	uint32_t size;
	int ret;

	err_begin("daxfs_info", NULL);
	if (!fs || !info)
		return err_end(err_set(-EINVAL, "fs and info must be given"));
	if (info->size < DAXFS_INFO_SIZE_MIN)
		return err_end(err_set(-EINVAL, "info->size is %u: set it to "
				       "sizeof(struct daxfs_info) (at least "
				       "%u)", info->size, DAXFS_INFO_SIZE_MIN));
	size = info->size < sizeof(all) ? info->size : sizeof(all);
	ret = fs->ops->info(fs, &all);
	if (!ret) {
		all.size = size;
		memcpy(info, &all, size);
	}
	return err_end(ret);
}

DAXFS_API int daxfs_devices(struct daxfs_device *devs, int max)
{
	err_begin("daxfs_devices", NULL);
	if (max < 0 || (max > 0 && !devs))
		return err_end(err_set(-EINVAL, "devs is NULL or max < 0"));
	return err_end(region_devices(devs, max));
}
