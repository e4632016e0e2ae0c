/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * example.h -- what the examples share: reporting a failed call, and
 * mounting a region after making a file system on it if it has none.
 *
 * Every libdaxfs call returns 0 (or a byte count) on success and a
 * negative errno on failure; daxfs_errormsg() then holds a sentence about
 * that failure, which starts with the call's name.  The examples print it
 * and exit with status 1.
 */
#ifndef DAXFS_EXAMPLE_H
#define DAXFS_EXAMPLE_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <daxfs.h>

/* The size given to daxfs_mkfs for a region file that does not exist yet
 * or is empty (a devdax device, or a file that has a size, is used whole). */
#define EXAMPLE_REGION_SIZE (64u << 20)

/* The mounted region, which die() and die_sys() unmount; NULL if none. */
static daxfs *example_fs;

/* Unmount the region, if one is mounted, before exiting after a failure.
 * A failed call changes nothing on the media, so the region can still be
 * unmounted cleanly.  (With a file still open or a view mapped, the
 * unmount fails with -EBUSY and the process exits with the region marked
 * in use, as after a crash: the next daxfs_mount recovers it, and until
 * then e2fsck refuses it.) */
static inline void exit_failure(void)
{
	if (example_fs)
		daxfs_unmount(example_fs);
	exit(1);
}

/* Report the libdaxfs call that failed with ret (a negative errno) and
 * exit 1. */
static inline void die(const char *prog, long ret)
{
	fprintf(stderr, "%s: %s (%s)\n", prog, daxfs_errormsg(),
		strerror((int)-ret));
	exit_failure();
}

/* Report a failed system or C library call (what, and errno) and exit 1. */
static inline void die_sys(const char *prog, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit_failure();
}

/* True if the region at path holds no ext2 file system at all: it does not
 * exist, is empty, or lacks the ext2 magic number (0xEF53 at byte 1080).
 * Only such a region is formatted: a damaged file system is never
 * overwritten by accident. */
static inline int region_is_blank(const char *path)
{
	unsigned char magic[2] = {0, 0};
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return errno == ENOENT;
	ssize_t n = pread(fd, magic, sizeof(magic), 1080);
	close(fd);
	return n != (ssize_t)sizeof(magic) || magic[0] != 0x53 ||
	       magic[1] != 0xEF;
}

/* Mount the region at path with flags (0 or DAXFS_MOUNT_RDONLY).  If
 * daxfs_mount finds no file system there (-ENOENT: no such file; -EUCLEAN:
 * empty or no ext2 magic), a read-write mount makes one with daxfs_mkfs
 * first.  Exits 1 on failure. */
static inline daxfs *example_mount(const char *prog, const char *path,
				   unsigned flags)
{
	daxfs *fs;
	int ret = daxfs_mount(path, flags, &fs);

	if ((ret == -ENOENT || ret == -EUCLEAN) &&
	    !(flags & DAXFS_MOUNT_RDONLY) && region_is_blank(path)) {
		struct stat st;
		struct daxfs_mkfs_opts opts = { .size = 0 };

		if (stat(path, &st) != 0 || (S_ISREG(st.st_mode) && !st.st_size))
			opts.size = EXAMPLE_REGION_SIZE;
		fprintf(stderr, "%s: no file system on %s: making one\n",
			prog, path);
		if ((ret = daxfs_mkfs(path, &opts)) == 0)
			ret = daxfs_mount(path, flags, &fs);
	}
	if (ret < 0)
		die(prog, ret);
	if (*daxfs_mount_warning(fs))
		fprintf(stderr, "%s: warning: %s\n", prog,
			daxfs_mount_warning(fs));
	return example_fs = fs;
}

/* Unmount the region (all files closed, all views unmapped first): this
 * marks the file system clean.  Exits 1 on failure. */
static inline void example_unmount(const char *prog)
{
	daxfs *fs = example_fs;
	int ret;

	example_fs = NULL;
	if ((ret = daxfs_unmount(fs)) < 0)
		die(prog, ret);
}

#endif /* DAXFS_EXAMPLE_H */
