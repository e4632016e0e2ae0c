/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mkseed.c -- write a small populated libdaxfs image, a seed of the fuzz
 * corpus (tests/fuzz/seeds.sh runs it beside mke2fs and debugfs):
 *
 *   fuzz_mkseed PATH SIZE BLOCK_SIZE
 *
 * The image has directories, small and sparse files, a file reaching
 * its indirect blocks, fast and slow symlinks, a hard link and a removed
 * file (so that freed inodes and blocks show in the bitmaps).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daxfs.h"

/* Exit with the failed call's message. */
static void die(const char *what, long ret)
{
	fprintf(stderr, "fuzz_mkseed: %s: %ld (%s)\n", what, ret,
		daxfs_errormsg());
	exit(1);
}

/* Create path with len bytes at off. */
static void put(daxfs *fs, const char *path, size_t len, off_t off)
{
	static char buf[64 << 10];
	daxfs_file *f;
	long ret;

	memset(buf, 'd', sizeof(buf));
	ret = daxfs_open(fs, path, O_RDWR | O_CREAT, 0644, &f);
	if (ret)
		die(path, ret);
	ret = daxfs_pwrite(f, buf, len < sizeof(buf) ? len : sizeof(buf), off);
	if (ret < 0)
		die(path, ret);
	daxfs_close(f);
}

/* Make and populate the image. */
int main(int argc, char **argv)
{
	struct daxfs_mkfs_opts o = { 0 };
	static char slow[300];
	daxfs *fs;
	long ret;

	if (argc != 4) {
		fprintf(stderr, "usage: fuzz_mkseed PATH SIZE BLOCK_SIZE\n");
		return 2;
	}
	o.size = strtoull(argv[2], NULL, 0);
	o.block_size = strtoul(argv[3], NULL, 0);
	o.inodes = 32;
	if ((ret = daxfs_mkfs(argv[1], &o)))
		die("daxfs_mkfs", ret);
	if ((ret = daxfs_mount(argv[1], 0, &fs)))
		die("daxfs_mount", ret);
	memset(slow, 's', sizeof(slow) - 1);
	daxfs_mkdir(fs, "/a", 0755);
	daxfs_mkdir(fs, "/a/b", 0700);
	put(fs, "/a/small", 100, 0);
	put(fs, "/a/b/sparse", 10, 20000);
	put(fs, "/big", 16 << 10, 0);
	put(fs, "/gone", 5000, 0);
	daxfs_unlink(fs, "/gone");
	daxfs_symlink(fs, "/a/small", "/fast");
	daxfs_symlink(fs, slow, "/a/slow");
	daxfs_link(fs, "/a/small", "/hard");
	if ((ret = daxfs_unmount(fs)))
		die("unmount", ret);
	return 0;
}
