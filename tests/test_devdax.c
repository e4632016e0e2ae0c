/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_devdax.c -- the devdax path of the public API as far as a machine
 * without a device can test it (issue 12, item 5): daxfs_devices lists
 * what libdaxctl finds, every entry a character device with a size and a
 * power-of-two alignment; a character device that is not devdax
 * (/dev/null, /dev/zero) is refused by daxfs_mkfs and daxfs_mount with
 * -EINVAL and a sentence naming it, read-write and read-only, again and
 * again (its flock is dropped); "daxN.M" names a device under /dev.  The
 * alignment of a hugetlbfs file (what a 2 MiB device looks like) is
 * tested in tests/unit/test_region.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "check.h"

TestSuite(devdax, .fini = test_cleanup, .timeout = 60);

/* One entry of daxfs_devices is a device a user could mount. */
static void check_device(const struct daxfs_device *d)
{
	struct stat st;

	cr_assert_eq(strncmp(d->path, "/dev/dax", 8), 0, "path %s", d->path);
	cr_assert_eq(stat(d->path, &st), 0, "%s: %s", d->path,
		     strerror(errno));
	cr_assert(S_ISCHR(st.st_mode), "%s is no character device", d->path);
	cr_assert_gt(d->size, 0, "%s has no size", d->path);
	cr_assert(d->align >= 4096 && !(d->align & (d->align - 1)),
		  "%s: alignment %llu", d->path, (unsigned long long)d->align);
	cr_assert_eq(d->size % d->align, 0, "%s: size %llu", d->path,
		     (unsigned long long)d->size);
}

Test(devdax, devices_lists_valid_entries_or_none)
{
	struct daxfs_device devs[16];
	int n;

	memset(devs, 0, sizeof(devs));
	n = daxfs_devices(devs, 16);
	cr_assert_geq(n, 0, "%s", daxfs_errormsg());
	if (n == 0)
		cr_log_info("no devdax device on this machine: the list is "
			    "empty, as it must be");
	for (int i = 0; i < n && i < 16; i++)
		check_device(&devs[i]);
	CHECK_EQ(daxfs_devices(NULL, 0), n);
	CHECK_ERR(daxfs_devices(devs, -1), EINVAL);
	CHECK_ERR(daxfs_devices(NULL, 1), EINVAL);
}

Test(devdax, char_devices_that_are_not_devdax_are_einval)
{
	static const char *const devs[] = { "/dev/null", "/dev/zero" };
	daxfs *fs = NULL;

	for (size_t i = 0; i < 2; i++) {
		CHECK_ERR_MSG(daxfs_mkfs(devs[i], NULL), EINVAL, "devdax");
		check_errormsg("daxfs_mkfs", devs[i]);
		for (int k = 0; k < 2; k++) { /* twice: the flock is gone */
			CHECK_ERR_MSG(daxfs_mount(devs[i], 0, &fs), EINVAL,
				      "devdax");
			check_errormsg("daxfs_mount", devs[i]);
			CHECK_ERR_MSG(daxfs_mount(devs[i], DAXFS_MOUNT_RDONLY,
						  &fs), EINVAL, "devdax");
		}
		cr_assert_null(fs);
	}
}

/* "daxN.M" alone is the device node /dev/daxN.M (a missing one here). */
Test(devdax, short_device_name_means_dev)
{
	daxfs *fs = NULL;
	struct stat st;

	if (stat("/dev/dax97.3", &st) == 0)
		cr_skip_test("/dev/dax97.3 exists on this machine");
	CHECK_ERR_MSG(daxfs_mount("dax97.3", 0, &fs), ENOENT, "/dev/dax97.3");
	cr_assert_null(fs);
}
