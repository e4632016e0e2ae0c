/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_badblocks.c -- bad blocks mapped out at mount (core/badblocks.c,
 * ext2/badblocks.c) and daxfs_info.
 *
 * A regular file on /dev/shm has no bad block the platform knows, so the
 * list is injected through the test builds' DAXFS_TEST_BADBLOCKS
 * ("off:len,..." region bytes, read at mount; the release library has no
 * such code): this is a unit test because only daxfs_test_obj reads it.
 * Where a bad block lands is found with debugfs on the image written
 * through libdaxfs.  Each test checks the mount's verdict (refused,
 * read-only with a warning, or read-write), -EIO with a message naming
 * the file offset for reads of bad file data, the bytes elsewhere,
 * writes that clear or refuse, SIGBUS on a view's access, and ends with
 * e2fsck -fn clean.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "check.h"
#include "probe.h"

static void bb_fini(void)
{
	unsetenv("DAXFS_TEST_BADBLOCKS");
	test_cleanup();
}

TestSuite(badblocks, .init = test_probe_install, .fini = bb_fini,
	  .timeout = 120);

#define PG TEST_PAGE
#define FS_SIZE (8 * TEST_MIB)
#define F_BLOCKS 16 /* /f: 16 blocks of pattern 1 (one indirect block) */
#define G_BLOCKS 4  /* /g: 4 blocks of pattern 2 */

/* A fresh image with /f, /g and a directory /d holding a file; unmounted.
 * Its path. */
static const char *make_image(const char *tag)
{
	const char *img;
	daxfs *fs = check_new_fs(tag, FS_SIZE, 4096, 0, &img);
	daxfs_file *f;

	check_create_pattern_file(fs, "/f", 1, F_BLOCKS * PG);
	check_create_pattern_file(fs, "/g", 2, G_BLOCKS * PG);
	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	f = check_open(fs, "/d/x", O_RDWR | O_CREAT, 0644);
	check_close(f);
	check_unmount(fs);
	return img;
}

/* The physical block of logical block lblk of path. */
static uint64_t pblock(const char *img, const char *path, uint64_t lblk)
{
	long long b = test_debugfs_bmap(img, path, lblk);

	cr_assert_gt(b, 0, "debugfs bmap %s %llu: %lld", path,
		     (unsigned long long)lblk, b);
	return (uint64_t)b;
}

/* Inject the bad region bytes [off, off+len) into the next mounts. */
static void inject(uint64_t off, uint64_t len)
{
	char s[64];

	snprintf(s, sizeof(s), "%llu:%llu", (unsigned long long)off,
		 (unsigned long long)len);
	cr_assert_eq(setenv("DAXFS_TEST_BADBLOCKS", s, 1), 0);
}

/* Mount img read-write with the injected list; the handle. */
static daxfs *mount_bad(const char *img)
{
	return check_mount(img, 0);
}

/* daxfs_info of fs, asserted to succeed. */
static struct daxfs_info info_of(daxfs *fs)
{
	struct daxfs_info in = { .size = sizeof(in) };

	CHECK_OK(daxfs_info(fs, &in));
	cr_assert_eq(in.size, sizeof(in));
	return in;
}

/* Unmount, forget the injected list, and e2fsck -fn the image. */
static void finish(daxfs *fs, const char *img)
{
	unsetenv("DAXFS_TEST_BADBLOCKS");
	check_unmount_fsck(fs, img);
}

Test(badblocks, none_on_a_regular_file_and_info_says_so)
{
	const char *img = make_image("none");
	daxfs *fs = mount_bad(img);
	struct daxfs_info in = info_of(fs);

	cr_assert_eq(in.block_size, 4096);
	cr_assert_eq(in.blocks, FS_SIZE / 4096);
	cr_assert_eq(in.align, 4096);
	cr_assert_eq(in.bad_blocks, 0);
	cr_assert_eq(in.bad_bytes, 0);
	cr_assert_eq(in.flags, DAXFS_INFO_JOURNAL, "flags 0x%x", in.flags);
	cr_assert_str_empty(daxfs_mount_warning(fs));
	finish(fs, img);
}

Test(badblocks, info_bad_arguments)
{
	const char *img = make_image("args");
	daxfs *fs = mount_bad(img);
	struct daxfs_info in;
	unsigned char raw[sizeof(in) + 8];

	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	CHECK_ERR_MSG(daxfs_info(NULL, &in), EINVAL, "daxfs_info");
	CHECK_ERR_MSG(daxfs_info(fs, NULL), EINVAL, "info");
	in.size = DAXFS_INFO_SIZE_MIN - 1;
	CHECK_ERR_MSG(daxfs_info(fs, &in), EINVAL, "sizeof");
	cr_assert_eq(in.size, DAXFS_INFO_SIZE_MIN - 1, "changed on failure");
	/* An older, shorter struct: only its bytes are written. */
	memset(raw, 0xAA, sizeof(raw));
	((struct daxfs_info *)(void *)raw)->size = DAXFS_INFO_SIZE_MIN;
	CHECK_OK(daxfs_info(fs, (struct daxfs_info *)(void *)raw));
	cr_assert_eq(((struct daxfs_info *)(void *)raw)->block_size, 4096);
	cr_assert_eq(raw[DAXFS_INFO_SIZE_MIN], 0xAA, "wrote past its size");
	/* A newer, longer one: the library fills what it knows. */
	memset(raw, 0xAA, sizeof(raw));
	((struct daxfs_info *)(void *)raw)->size = sizeof(raw);
	CHECK_OK(daxfs_info(fs, (struct daxfs_info *)(void *)raw));
	cr_assert_eq(((struct daxfs_info *)(void *)raw)->size, sizeof(in));
	cr_assert_eq(raw[sizeof(in)], 0xAA, "wrote past its struct");
	finish(fs, img);
}

Test(badblocks, file_data_reads_eio_naming_file_and_offset)
{
	const char *img = make_image("data");
	uint64_t b3 = pblock(img, "/f", 3);
	unsigned char *buf = malloc(F_BLOCKS * PG);
	daxfs *fs;
	daxfs_file *f, *g;
	struct daxfs_info in;

	/* 512 bad bytes inside block 3 of /f: the whole block is lost. */
	inject(b3 * PG + 1024, 512);
	fs = mount_bad(img);
	cr_assert_str_empty(daxfs_mount_warning(fs));
	in = info_of(fs);
	cr_assert_eq(in.bad_blocks, 1);
	cr_assert_eq(in.bad_bytes, 512);
	cr_assert_eq(in.flags & (DAXFS_INFO_RDONLY | DAXFS_INFO_BAD_METADATA), 0);
	f = check_open(fs, "/f", O_RDONLY, 0);
	/* As read(2): the bytes before the bad block, then -EIO. */
	CHECK_EQ(daxfs_pread(f, buf, F_BLOCKS * PG, 0), 3 * PG);
	cr_assert_eq(test_pattern_mismatch(buf, 3 * PG, 1, 0), -1);
	CHECK_ERR_MSG(daxfs_pread(f, buf, PG, 3 * PG), EIO, "offset 12288");
	check_errormsg("pread of a bad block", "\"/f\"");
	CHECK_ERR_MSG(daxfs_pread(f, buf, 10, 3 * PG + 4000), EIO, "bad block");
	/* The rest of the file, and other files, read. */
	check_pread_pattern(f, 1, 4 * PG, (F_BLOCKS - 4) * PG);
	g = check_open(fs, "/g", O_RDONLY, 0);
	check_pread_pattern(g, 2, 0, G_BLOCKS * PG);
	check_close(g);
	check_close(f);
	free(buf);
	finish(fs, img);
}

Test(badblocks, whole_overwrite_clears_and_partial_is_eio)
{
	const char *img = make_image("write");
	uint64_t b3 = pblock(img, "/f", 3), b5 = pblock(img, "/f", 5);
	unsigned char before[PG], after[PG], buf[2 * PG];
	daxfs *fs;
	daxfs_file *f;

	check_raw_read(img, b3 * PG, before, PG);
	inject(b3 * PG, PG);
	fs = mount_bad(img);
	f = check_open(fs, "/f", O_RDWR, 0);
	/* Part of the bad block, alone or with a good block: nothing. */
	memset(buf, 'x', sizeof(buf));
	CHECK_ERR_MSG(daxfs_pwrite(f, buf, 100, 3 * PG + 10), EIO,
		      "offset 12288");
	CHECK_ERR_MSG(daxfs_pwrite(f, buf, PG, 2 * PG + 100), EIO,
		      "nothing was written");
	check_pread_pattern(f, 1, 2 * PG, PG); /* block 2 unchanged */
	check_raw_read(img, b3 * PG, after, PG);
	cr_assert_eq(memcmp(before, after, PG), 0, "the bad block changed");
	cr_assert_eq(info_of(fs).bad_blocks, 1);
	/* Other blocks write as before. */
	check_pwrite_pattern(f, 9, 5 * PG, PG);
	(void)b5;
	/* The whole block: cleared, readable, counted no more. */
	check_pwrite_pattern(f, 3, 3 * PG, PG);
	cr_assert_eq(info_of(fs).bad_blocks, 0);
	cr_assert_eq(info_of(fs).bad_bytes, 0);
	check_pread_pattern(f, 3, 3 * PG, PG);
	check_pread_pattern(f, 1, 0, 3 * PG);
	check_close(f);
	finish(fs, img);
}

Test(badblocks, view_access_to_a_bad_block_is_sigbus)
{
	const char *img = make_image("view");
	uint64_t b3 = pblock(img, "/f", 3);
	unsigned char c, want[PG];
	unsigned char *v;
	void *pv = NULL;
	daxfs *fs;
	daxfs_file *f;

	inject(b3 * PG, PG);
	fs = mount_bad(img);
	f = check_open(fs, "/f", O_RDWR, 0);
	v = check_map(f, 0, F_BLOCKS * PG, PROT_READ | PROT_WRITE, 0);
	test_pattern(want, PG, 1, 2 * PG);
	cr_assert_eq(test_probe_read(v + 2 * PG + 7, &c), 0);
	cr_assert_eq(c, want[7]);
	cr_assert_eq(test_probe_read(v + 3 * PG + 7, &c), -1, "no SIGBUS");
	cr_assert_eq(test_probe_write(v + 3 * PG + 8, 1), -1, "no SIGBUS");
	test_pattern(want, PG, 1, 4 * PG);
	cr_assert_eq(test_probe_read(v + 4 * PG, &c), 0);
	cr_assert_eq(c, want[0]);
	test_pattern(want, PG, 1, 15 * PG);
	cr_assert_eq(test_probe_read(v + 15 * PG + 1, &c), 0);
	cr_assert_eq(c, want[1]);
	/* A populated view cannot be made over it: no view of a bad block. */
	CHECK_ERR_MSG(daxfs_map(f, 0, F_BLOCKS * PG, PROT_READ,
				DAXFS_MAP_POPULATE, &pv), EIO, "bad block");
	cr_assert_null(pv);
	/* Once overwritten whole, the view maps it. */
	check_pwrite_pattern(f, 4, 3 * PG, PG);
	test_pattern(want, PG, 4, 3 * PG);
	cr_assert_eq(test_probe_read(v + 3 * PG + 7, &c), 0);
	cr_assert_eq(c, want[7]);
	CHECK_OK(daxfs_unmap(v, F_BLOCKS * PG));
	check_close(f);
	finish(fs, img);
}

Test(badblocks, directory_block_mounts_read_only)
{
	const char *img = make_image("dir");
	uint64_t d0 = pblock(img, "/d", 0);
	struct daxfs_info in;
	daxfs *fs;
	daxfs_file *f;

	inject(d0 * PG + 512, 512);
	fs = mount_bad(img);
	cr_assert(strstr(daxfs_mount_warning(fs), "read-only") &&
		  strstr(daxfs_mount_warning(fs), "directory"),
		  "warning: %s", daxfs_mount_warning(fs));
	in = info_of(fs);
	cr_assert_eq(in.flags & (DAXFS_INFO_RDONLY | DAXFS_INFO_BAD_METADATA),
		     DAXFS_INFO_RDONLY | DAXFS_INFO_BAD_METADATA);
	cr_assert_eq(in.bad_blocks, 1);
	CHECK_ERR(daxfs_mkdir(fs, "/e", 0755), EROFS);
	f = check_open(fs, "/f", O_RDONLY, 0);
	check_pread_pattern(f, 1, 0, F_BLOCKS * PG);
	check_close(f);
	finish(fs, img);
}

Test(badblocks, indirect_block_mounts_read_only)
{
	const char *img = make_image("ind");
	char *out = test_debugfs(img, "stat /f", NULL, NULL);
	char *p = out ? strstr(out, "(IND):") : NULL;
	uint64_t ind;
	daxfs *fs;

	cr_assert_not_null(p, "no indirect block in debugfs stat: %s", out);
	ind = strtoull(p + 6, NULL, 10);
	free(out);
	inject(ind * PG, PG);
	fs = mount_bad(img);
	cr_assert(strstr(daxfs_mount_warning(fs), "indirect block"),
		  "warning: %s", daxfs_mount_warning(fs));
	cr_assert(info_of(fs).flags & DAXFS_INFO_RDONLY);
	finish(fs, img);
}

Test(badblocks, inode_table_mounts_read_only)
{
	const char *img = make_image("itable");
	struct check_geom g;
	daxfs *fs;
	daxfs_file *f;

	check_geom(img, &g);
	inject(((uint64_t)g.inode_table0 + 1) * PG, PG);
	fs = mount_bad(img);
	cr_assert(strstr(daxfs_mount_warning(fs), "inode table of group 0"),
		  "warning: %s", daxfs_mount_warning(fs));
	cr_assert(info_of(fs).flags & DAXFS_INFO_RDONLY);
	f = check_open(fs, "/g", O_RDONLY, 0);
	check_pread_pattern(f, 2, 0, G_BLOCKS * PG);
	check_close(f);
	finish(fs, img);
}

/* A mount refused for a bad primary superblock or descriptor table:
 * -EIO naming it, and the image as it was. */
static void refused(const char *tag, bool sb)
{
	const char *img = make_image(tag);
	uint64_t hash = check_hash_file(img);
	struct check_geom g;
	daxfs *fs = NULL;

	check_geom(img, &g);
	inject(sb ? 1024 + 64 : g.gdt_off, 512);
	CHECK_ERR_MSG(daxfs_mount(img, 0, &fs), EIO,
		      sb ? "superblock" : "group descriptor");
	check_errormsg("mount", "bad block");
	cr_assert_null(fs);
	CHECK_ERR(daxfs_mount(img, DAXFS_MOUNT_RDONLY, &fs), EIO);
	cr_assert_eq(check_hash_file(img), hash, "a refused mount wrote");
	unsetenv("DAXFS_TEST_BADBLOCKS");
	cr_assert_eq(test_e2fsck(img, NULL), 0);
}

Test(badblocks, superblock_refuses_the_mount)
{
	refused("sb", true);
}

Test(badblocks, descriptors_refuse_the_mount)
{
	refused("gdt", false);
}

/* Fill f with pattern seed from 0 until the file system is full: the
 * bytes written. */
static uint64_t fill_up(daxfs_file *f, uint64_t seed)
{
	static unsigned char buf[16 * PG];
	uint64_t off = 0;
	ssize_t n;

	do {
		test_pattern(buf, sizeof(buf), seed, off);
		n = daxfs_pwrite(f, buf, sizeof(buf), off);
		cr_assert(n > 0 || n == -ENOSPC, "pwrite: %zd %s", n,
			  daxfs_errormsg());
		off += n > 0 ? (uint64_t)n : 0;
	} while (n == (ssize_t)sizeof(buf));
	return off;
}

Test(badblocks, free_block_allocated_is_cleared)
{
	const char *img = make_image("free");
	struct check_geom g;
	uint64_t last, size;
	char cmd[64], *out;
	daxfs *fs;
	daxfs_file *f;

	/* The last block is free: a file that takes every free block takes
	 * it, and writes it whole. */
	check_geom(img, &g);
	last = g.blocks_count - 1;
	snprintf(cmd, sizeof(cmd), "testb %llu", (unsigned long long)last);
	out = test_debugfs(img, cmd, NULL, NULL);
	cr_assert(out && strstr(out, "not in use"), "testb: %s", out);
	free(out);
	inject(last * PG, PG);
	fs = mount_bad(img);
	cr_assert_eq(info_of(fs).bad_blocks, 1);
	f = check_open(fs, "/h", O_RDWR | O_CREAT, 0644);
	size = fill_up(f, 5);
	cr_assert_eq(info_of(fs).bad_blocks, 0, "the bad free block was "
		     "allocated but is still listed");
	check_pread_pattern(f, 5, 0, size);
	check_close(f);
	finish(fs, img);
}
