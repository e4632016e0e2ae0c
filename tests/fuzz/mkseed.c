/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mkseed.c -- write a small populated libdaxfs image, a seed of the fuzz
 * corpus (tests/fuzz/seeds.sh runs it beside mke2fs and debugfs):
 *
 *   fuzz_mkseed PATH SIZE BLOCK_SIZE [crash]
 *
 * The image has directories, small and sparse files, a file reaching
 * its indirect blocks, fast and slow symlinks, a hard link and a removed
 * file (so that freed inodes and blocks show in the bitmaps).
 *
 * With "crash", PATH is the image a crash leaves in the middle of an
 * operation, for the recovery code (ext2/journal.c, orphan.c) to meet
 * mutated: the journal's INCOMPAT bit set and the log tied to the
 * superblock, a slot ACTIVE with the records of a rename, a mkdir, an
 * append and an unlink (one operation opened around them, as a thread
 * would have it when the crash comes), and an open unlinked file on the
 * orphan chain.  The image is made at PATH.work, copied to PATH at that
 * instant, and the operation then committed (PATH.work is removed).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daxfs.h"
#include "api/vfs.h"
#include "ext2/ext2.h"

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

/* Copy the file src to dst. */
static void copy_file(const char *src, const char *dst)
{
	static char buf[1 << 16];
	int in = open(src, O_RDONLY), out;
	ssize_t n;

	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (in < 0 || out < 0)
		die("copy", -1);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			die("copy", -1);
	close(in);
	close(out);
}

/* The crash seed (see the top): fs mounted from work, the copy at path. */
static void crash_at(daxfs *fs, const char *work, const char *path)
{
	struct ext2_jh h;
	daxfs_file *f;
	long ret;

	if ((ret = daxfs_open(fs, "/open-unlinked", O_RDWR | O_CREAT, 0644,
			      &f)))
		die("open", ret);
	daxfs_unlink(fs, "/open-unlinked");
	ext2_jbegin(EXT2_SB(fs), &h); /* the calls below join it */
	daxfs_rename(fs, "/a/small", "/a/b/moved");
	daxfs_mkdir(fs, "/new", 0755);
	put(fs, "/big", 5000, 16 << 10);
	daxfs_unlink(fs, "/hard");
	copy_file(work, path);
	ext2_jcommit(&h);
	daxfs_close(f);
}

/* Make and populate the image. */
int main(int argc, char **argv)
{
	struct daxfs_mkfs_opts o = { 0 };
	static char slow[300], work[4096];
	bool crash = argc == 5 && !strcmp(argv[4], "crash");
	daxfs *fs;
	long ret;

	if (argc != 4 && !crash) {
		fprintf(stderr, "usage: fuzz_mkseed PATH SIZE BLOCK_SIZE "
			"[crash]\n");
		return 2;
	}
	snprintf(work, sizeof(work), crash ? "%s.work" : "%s", argv[1]);
	o.size = strtoull(argv[2], NULL, 0);
	o.block_size = strtoul(argv[3], NULL, 0);
	o.inodes = 32;
	if ((ret = daxfs_mkfs(work, &o)))
		die("daxfs_mkfs", ret);
	if ((ret = daxfs_mount(work, 0, &fs)))
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
	if (crash)
		crash_at(fs, work, argv[1]);
	if ((ret = daxfs_unmount(fs)))
		die("unmount", ret);
	if (crash)
		unlink(work);
	return 0;
}
