/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_enospc.c -- running out of blocks and inodes.  A write that hits
 * ENOSPC returns a short count or -ENOSPC; the file then holds exactly its
 * earlier bytes plus what was reported written; other files are intact;
 * freed space is reusable; "e2fsck -fn" is clean after every scenario and a
 * remount reads every byte back.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

TestSuite(enospc, .fini = test_cleanup, .timeout = 300);

/*
 * Append pattern seed to f from offset *size in chunks of chunk bytes until
 * the file system is full.  Checks the ENOSPC contract and returns the
 * number of calls that wrote something.
 */
static int fill_file(daxfs_file *f, uint64_t seed, size_t chunk, off_t *size)
{
	unsigned char *buf = malloc(chunk);
	int calls = 0;
	for (;;) {
		test_pattern(buf, chunk, seed, (uint64_t)*size);
		ssize_t r = daxfs_pwrite(f, buf, chunk, *size);
		if (r == (ssize_t)chunk) {
			*size += (off_t)r;
			calls++;
			continue;
		}
		if (r > 0) {
			/* a short write: the next one must fail */
			cr_assert(r < (ssize_t)chunk);
			*size += (off_t)r;
			calls++;
			test_pattern(buf, chunk, seed, (uint64_t)*size);
			r = daxfs_pwrite(f, buf, chunk, *size);
			cr_assert_eq(r, -ENOSPC,
				     "write after a short write = %zd (%s): "
				     "\"%s\"",
				     r, test_errname(r), daxfs_errormsg());
		}
		cr_assert_eq(r, -ENOSPC,
			     "pwrite(%zu @ %lld) = %zd (%s), expected a short "
			     "count or -ENOSPC: \"%s\"",
			     chunk, (long long)*size, r, test_errname(r),
			     daxfs_errormsg());
		check_errormsg("pwrite on a full fs", NULL);
		break;
	}
	free(buf);
	return calls;
}

/*
 * The main scenario, for one block size: small files, a sparse file, then
 * one file grown until ENOSPC; checks; delete and reuse; remount.
 */
static void fill_and_reuse(uint32_t bs)
{
	const char *p;
	daxfs *fs = check_new_fs("enospc", 8 * TEST_MIB, bs, 0, &p);
	struct statvfs s0 = check_statfs(fs);
	cr_assert(s0.f_bsize == bs);
	check_create_pattern_file(fs, "/a", 1, 100 * 1024);
	check_create_pattern_file(fs, "/b", 2, 700 * 1024 + 17);
	CHECK_EQ(daxfs_mkdir(fs, "/d", 0755), 0);
	check_create_pattern_file(fs, "/d/c", 3, 5000);
	/* a sparse file: one block at 1 MiB */
	daxfs_file *h = check_open(fs, "/holes", O_CREAT | O_RDWR, 0644);
	CHECK_EQ(daxfs_pwrite(h, "H", 1, (off_t)TEST_MIB), 1);
	CHECK_EQ(daxfs_close(h), 0);

	daxfs_file *f = check_open(fs, "/fill", O_CREAT | O_RDWR, 0644);
	off_t size = 0;
	/* an odd chunk so that the last block is partly used */
	int calls = fill_file(f, 10, 64 * 1024 + 123, &size);
	cr_assert(calls > 10, "only %d writes before ENOSPC", calls);
	struct stat st;
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, size,
		     "size %lld after ENOSPC, but writes reported %lld bytes",
		     (long long)st.st_size, (long long)size);
	check_pread_pattern(f, 10, 0, (size_t)size);
	char c;
	CHECK_EQ(daxfs_pread(f, &c, 1, size), 0);

	struct statvfs full = check_statfs(fs);
	cr_log_info("bs %u: ENOSPC after %lld bytes in %d writes; f_bfree %lu "
		    "f_bavail %lu",
		    bs, (long long)size, calls, (unsigned long)full.f_bfree,
		    (unsigned long)full.f_bavail);
	cr_assert(full.f_bavail <= 2,
		  "f_bavail %lu after ENOSPC (f_bfree %lu)",
		  (unsigned long)full.f_bavail, (unsigned long)full.f_bfree);
	cr_assert(full.f_bfree < s0.f_bfree / 10);

	/* failing calls change nothing */
	unsigned char blk[4096];
	test_pattern(blk, sizeof(blk), 10, (uint64_t)size);
	CHECK_ERR(daxfs_pwrite(f, blk, sizeof(blk), size), ENOSPC);
	CHECK_ERR(daxfs_pwrite(f, blk, sizeof(blk),
			       size + 10 * (off_t)TEST_MIB),
		  ENOSPC);
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, size, "a failed write changed the size");
	struct statvfs again = check_statfs(fs);
	cr_assert_eq(again.f_bfree, full.f_bfree,
		     "failed writes changed f_bfree (%lu -> %lu)",
		     (unsigned long)full.f_bfree,
		     (unsigned long)again.f_bfree);
	cr_assert_eq(again.f_ffree, full.f_ffree);

	if (full.f_bavail == 0) {
		/* filling a hole needs a block */
		h = check_open(fs, "/holes", O_RDWR, 0);
		CHECK_ERR(daxfs_pwrite(h, blk, bs, 0), ENOSPC);
		CHECK_EQ(daxfs_fstat(h, &st), 0);
		cr_assert_eq(st.st_size, (off_t)TEST_MIB + 1);
		CHECK_EQ(daxfs_pread(h, blk, bs, 0), bs);
		cr_assert((test_first_nonzero(blk, bs) < 0),
			  "a failed write filled a hole");
		CHECK_EQ(daxfs_close(h), 0);
		/* a directory needs a block */
		CHECK_ERR(daxfs_mkdir(fs, "/newdir", 0755), ENOSPC);
		CHECK_ERR(daxfs_stat(fs, "/newdir", &st), ENOENT);
		/* a long symlink needs a block */
		char target[400];
		memset(target, 't', sizeof(target) - 1);
		target[sizeof(target) - 1] = 0;
		CHECK_ERR(daxfs_symlink(fs, target, "/longlink"), ENOSPC);
		CHECK_ERR(daxfs_stat(fs, "/longlink", &st), ENOENT);
		struct statvfs s = check_statfs(fs);
		cr_assert_eq(s.f_ffree, full.f_ffree,
			     "failed mkdir/symlink leaked an inode");
		cr_assert_eq(s.f_bfree, full.f_bfree);
	}

	/* overwriting allocated data still works on a full fs */
	check_pwrite_pattern(f, 11, 0, 64 * 1024);
	check_pread_pattern(f, 11, 0, 64 * 1024);
	/* the other files are intact */
	check_pattern_file(fs, "/a", 1, 100 * 1024);
	check_pattern_file(fs, "/b", 2, 700 * 1024 + 17);
	check_pattern_file(fs, "/d/c", 3, 5000);

	/* deleting makes the space reusable */
	CHECK_EQ(daxfs_unlink(fs, "/b"), 0);
	struct statvfs freed = check_statfs(fs);
	cr_assert(freed.f_bfree >= full.f_bfree + 700 * 1024 / bs,
		  "unlinking 700 KiB freed only %lu blocks",
		  (unsigned long)(freed.f_bfree - full.f_bfree));
	off_t more = 600 * 1024;
	unsigned char *buf = malloc((size_t)more);
	test_pattern(buf, (size_t)more, 10, (uint64_t)size);
	CHECK_EQ(daxfs_pwrite(f, buf, (size_t)more, size), more);
	free(buf);
	size += more;
	CHECK_EQ(daxfs_close(f), 0);
	check_create_pattern_file(fs, "/d/e", 4, 50 * 1024);

	/* fill again: the contract holds a second time */
	f = check_open(fs, "/fill2", O_CREAT | O_RDWR, 0644);
	off_t size2 = 0;
	fill_file(f, 20, 3 * bs + 1, &size2);
	CHECK_EQ(daxfs_close(f), 0);

	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	check_pattern_file(fs, "/a", 1, 100 * 1024);
	check_pattern_file(fs, "/d/c", 3, 5000);
	check_pattern_file(fs, "/d/e", 4, 50 * 1024);
	f = check_open(fs, "/fill", O_RDONLY, 0);
	CHECK_EQ(daxfs_fstat(f, &st), 0);
	cr_assert_eq(st.st_size, size);
	check_pread_pattern(f, 11, 0, 64 * 1024);
	check_pread_pattern(f, 10, 64 * 1024, (size_t)size - 64 * 1024);
	CHECK_EQ(daxfs_close(f), 0);
	check_pattern_file(fs, "/fill2", 20, (size_t)size2);
	CHECK_ERR(daxfs_stat(fs, "/b", &st), ENOENT);

	/* deleting everything gives all the space back */
	CHECK_EQ(daxfs_unlink(fs, "/fill"), 0);
	CHECK_EQ(daxfs_unlink(fs, "/fill2"), 0);
	CHECK_EQ(daxfs_unlink(fs, "/a"), 0);
	CHECK_EQ(daxfs_unlink(fs, "/holes"), 0);
	CHECK_EQ(daxfs_unlink(fs, "/d/c"), 0);
	CHECK_EQ(daxfs_unlink(fs, "/d/e"), 0);
	CHECK_EQ(daxfs_rmdir(fs, "/d"), 0);
	struct statvfs end = check_statfs(fs);
	cr_assert_eq(end.f_bfree, s0.f_bfree,
		     "f_bfree %lu after deleting everything, %lu at start",
		     (unsigned long)end.f_bfree, (unsigned long)s0.f_bfree);
	cr_assert_eq(end.f_ffree, s0.f_ffree);
	check_unmount_fsck(fs, p);
}

Test(enospc, fill_one_file_4k)
{
	fill_and_reuse(4096);
}

Test(enospc, fill_one_file_1k)
{
	/* 1 KiB blocks: the file needs double-indirect blocks */
	fill_and_reuse(1024);
}

Test(enospc, fill_with_many_files)
{
	const char *p;
	daxfs *fs = check_new_fs("enospc", 12 * TEST_MIB, 0, 0, &p);
	enum { MAXF = 200 };
	off_t sizes[MAXF];
	int n = 0;
	size_t each = 300 * 1024 + 5;
	for (; n < MAXF; n++) {
		char path[32];
		snprintf(path, sizeof(path), "/f%03d", n);
		daxfs_file *f = NULL;
		int r = daxfs_open(fs, path, O_CREAT | O_RDWR, 0644, &f);
		if (r == -ENOSPC) {
			check_errormsg("create on a full fs", NULL);
			break;
		}
		cr_assert_eq(r, 0, "open %s = %d (%s)", path, r,
			     test_errname(r));
		sizes[n] = 0;
		unsigned char *buf = malloc(each);
		test_pattern(buf, each, 100 + (uint64_t)n, 0);
		ssize_t w = daxfs_pwrite(f, buf, each, 0);
		free(buf);
		cr_assert(w == (ssize_t)each || (w > 0 && w < (ssize_t)each) ||
				  w == -ENOSPC,
			  "pwrite = %zd (%s): \"%s\"", w, test_errname(w),
			  daxfs_errormsg());
		sizes[n] = w > 0 ? w : 0;
		struct stat st;
		CHECK_EQ(daxfs_fstat(f, &st), 0);
		cr_assert_eq(st.st_size, sizes[n]);
		CHECK_EQ(daxfs_close(f), 0);
		if (w != (ssize_t)each) {
			n++;
			break;
		}
	}
	cr_assert(n > 10 && n < MAXF, "%d files", n);
	for (int i = 0; i < n; i++) {
		char path[32];
		snprintf(path, sizeof(path), "/f%03d", i);
		check_pattern_file(fs, path, 100 + (uint64_t)i,
				   (size_t)sizes[i]);
	}
	/* delete every other file and refill with one new file */
	struct statvfs before = check_statfs(fs);
	off_t freed = 0;
	for (int i = 0; i < n; i += 2) {
		char path[32];
		snprintf(path, sizeof(path), "/f%03d", i);
		CHECK_EQ(daxfs_unlink(fs, path), 0);
		freed += sizes[i];
	}
	struct statvfs after = check_statfs(fs);
	cr_assert(after.f_bfree >= before.f_bfree + (unsigned long)(freed / 4096),
		  "freed %lld bytes but only %lu blocks",
		  (long long)freed,
		  (unsigned long)(after.f_bfree - before.f_bfree));
	/* the freed space is fragmented; it must be usable anyway */
	size_t big = (size_t)freed * 9 / 10;
	check_create_pattern_file(fs, "/big", 7, big);
	for (int i = 1; i < n; i += 2) {
		char path[32];
		snprintf(path, sizeof(path), "/f%03d", i);
		check_pattern_file(fs, path, 100 + (uint64_t)i,
				   (size_t)sizes[i]);
	}
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	check_pattern_file(fs, "/big", 7, big);
	for (int i = 1; i < n; i += 2) {
		char path[32];
		snprintf(path, sizeof(path), "/f%03d", i);
		check_pattern_file(fs, path, 100 + (uint64_t)i,
				   (size_t)sizes[i]);
	}
	check_unmount_fsck(fs, p);
}

static int count_entries(daxfs *fs, const char *dir)
{
	int n = 0;
	CHECK_EQ(daxfs_readdir(fs, dir, test_count_cb, &n), 0);
	return n;
}

Test(enospc, inode_exhaustion)
{
	const char *p;
	daxfs *fs = check_new_fs("enospc", 8 * TEST_MIB, 0, 64, &p);
	CHECK_EQ(daxfs_mkdir(fs, "/i", 0755), 0);
	struct statvfs s0 = check_statfs(fs);
	cr_assert(s0.f_files >= 64 && s0.f_files <= 256,
		  "%lu inodes for 64 requested", (unsigned long)s0.f_files);
	unsigned long avail = s0.f_ffree;
	cr_assert(avail > 10);
	struct stat st;
	char path[64];
	unsigned long made = 0;
	for (;; made++) {
		snprintf(path, sizeof(path), "/i/empty-%lu", made);
		daxfs_file *f = NULL;
		int r = daxfs_open(fs, path, O_CREAT | O_EXCL | O_WRONLY, 0644,
				   &f);
		if (r == -ENOSPC) {
			check_errormsg("create with no inode left", NULL);
			break;
		}
		cr_assert_eq(r, 0, "create %s = %d (%s): \"%s\"", path, r,
			     test_errname(r), daxfs_errormsg());
		CHECK_EQ(daxfs_close(f), 0);
		cr_assert(made <= avail, "created more files than free inodes");
	}
	cr_assert_eq(made, avail, "created %lu files, statfs said %lu inodes",
		     made, avail);
	CHECK_ERR(daxfs_stat(fs, path, &st), ENOENT);
	struct statvfs s1 = check_statfs(fs);
	cr_assert_eq(s1.f_ffree, 0);
	CHECK_ERR(daxfs_mkdir(fs, "/i/dir", 0755), ENOSPC);
	CHECK_ERR(daxfs_symlink(fs, "target", "/i/link"), ENOSPC);
	CHECK_ERR(daxfs_stat(fs, "/i/dir", &st), ENOENT);
	CHECK_ERR(daxfs_stat(fs, "/i/link", &st), ENOENT);
	struct statvfs s2 = check_statfs(fs);
	cr_assert_eq(s2.f_bfree, s1.f_bfree, "failed creates leaked blocks");
	/* hard links need no inode */
	CHECK_EQ(daxfs_link(fs, "/i/empty-0", "/i/hardlink"), 0);
	/* data can still be written into existing files */
	daxfs_file *f = check_open(fs, "/i/empty-1", O_WRONLY, 0);
	check_pwrite_pattern(f, 5, 0, 200 * 1024);
	CHECK_EQ(daxfs_close(f), 0);
	cr_assert_eq(count_entries(fs, "/i"), (int)made + 1);

	/* one freed inode can be used again */
	CHECK_EQ(daxfs_unlink(fs, "/i/empty-2"), 0);
	f = check_open(fs, "/i/again", O_CREAT | O_EXCL | O_WRONLY, 0644);
	CHECK_EQ(daxfs_close(f), 0);
	check_unmount_fsck(fs, p);

	fs = check_mount(p, 0);
	cr_assert_eq(count_entries(fs, "/i"), (int)made + 1);
	check_pattern_file(fs, "/i/empty-1", 5, 200 * 1024);
	CHECK_EQ(daxfs_stat(fs, "/i/hardlink", &st), 0);
	cr_assert_eq(st.st_nlink, 2);
	cr_assert_eq(check_statfs(fs).f_ffree, 0);
	for (unsigned long i = 0; i < made; i++) {
		if (i == 2)
			continue;
		snprintf(path, sizeof(path), "/i/empty-%lu", i);
		CHECK_EQ(daxfs_unlink(fs, path), 0);
	}
	CHECK_EQ(daxfs_unlink(fs, "/i/again"), 0);
	CHECK_EQ(daxfs_unlink(fs, "/i/hardlink"), 0);
	cr_assert_eq(check_statfs(fs).f_ffree, avail);
	check_unmount_fsck(fs, p);
}

static void mkdir_until_enospc(uint32_t inodes, const char *tag)
{
	const char *p;
	daxfs *fs = check_new_fs("enospc", 8 * TEST_MIB, 0, inodes, &p);
	struct statvfs s0 = check_statfs(fs);
	char path[64];
	int made = 0;
	for (;; made++) {
		snprintf(path, sizeof(path), "/p%d/d%d", made % 4, made);
		if (made < 4) {
			char parent[16];
			snprintf(parent, sizeof(parent), "/p%d", made);
			CHECK_EQ(daxfs_mkdir(fs, parent, 0755), 0);
		}
		int r = daxfs_mkdir(fs, path, 0755);
		if (r == -ENOSPC) {
			check_errormsg("mkdir on a full fs", NULL);
			break;
		}
		cr_assert_eq(r, 0, "%s: mkdir %s = %d (%s): \"%s\"", tag, path,
			     r, test_errname(r), daxfs_errormsg());
		cr_assert(made < 100000);
	}
	struct stat st;
	CHECK_ERR(daxfs_stat(fs, path, &st), ENOENT);
	cr_log_info("%s: %d directories", tag, made);
	cr_assert(made > 100, "%s: only %d directories", tag, made);
	struct statvfs s1 = check_statfs(fs);
	cr_assert(s1.f_ffree == 0 || s1.f_bavail <= 2,
		  "%s: mkdir failed with %lu inodes and %lu blocks free", tag,
		  (unsigned long)s1.f_ffree, (unsigned long)s1.f_bavail);
	int total = 0;
	for (int i = 0; i < 4; i++) {
		char parent[16];
		snprintf(parent, sizeof(parent), "/p%d", i);
		total += count_entries(fs, parent);
		CHECK_EQ(daxfs_stat(fs, parent, &st), 0);
		cr_assert_eq((int)st.st_nlink, 2 + count_entries(fs, parent),
			     "%s: nlink of %s", tag, parent);
	}
	cr_assert_eq(total, made);
	check_unmount_fsck(fs, p);

	fs = check_mount(p, 0);
	total = 0;
	for (int i = 0; i < 4; i++) {
		char parent[16];
		snprintf(parent, sizeof(parent), "/p%d", i);
		total += count_entries(fs, parent);
	}
	cr_assert_eq(total, made);
	for (int i = 0; i < made; i++) {
		snprintf(path, sizeof(path), "/p%d/d%d", i % 4, i);
		CHECK_EQ(daxfs_rmdir(fs, path), 0);
	}
	for (int i = 0; i < 4; i++) {
		char parent[16];
		snprintf(parent, sizeof(parent), "/p%d", i);
		CHECK_EQ(daxfs_rmdir(fs, parent), 0);
	}
	struct statvfs s2 = check_statfs(fs);
	cr_assert_eq(s2.f_ffree, s0.f_ffree);
	cr_assert_eq(s2.f_bfree, s0.f_bfree, "f_bfree %lu, %lu at start",
		     (unsigned long)s2.f_bfree, (unsigned long)s0.f_bfree);
	check_unmount_fsck(fs, p);
}

Test(enospc, mkdir_until_out_of_inodes)
{
	mkdir_until_enospc(0, "inodes run out first");
}

Test(enospc, mkdir_until_out_of_blocks)
{
	mkdir_until_enospc(4096, "blocks run out first");
}

Test(enospc, create_needing_a_directory_block)
{
	const char *p;
	daxfs *fs = check_new_fs("enospc", 8 * TEST_MIB, 0, 0, &p);
	CHECK_EQ(daxfs_mkdir(fs, "/many", 0755), 0);
	daxfs_file *f = check_open(fs, "/fill", O_CREAT | O_RDWR, 0644);
	off_t size = 0;
	fill_file(f, 3, 256 * 1024, &size);
	/* use up the last blocks with small writes */
	fill_file(f, 3, 4096, &size);
	fill_file(f, 3, 1, &size);
	CHECK_EQ(daxfs_close(f), 0);
	struct statvfs full = check_statfs(fs);

	char path[300];
	char name[201];
	memset(name, 'n', 200);
	name[200] = 0;
	int made = 0, failed = 0;
	for (int i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "/many/%03d%s", i, name);
		daxfs_file *g = NULL;
		struct statvfs before = check_statfs(fs);
		int r = daxfs_open(fs, path, O_CREAT | O_WRONLY, 0644, &g);
		if (r == -ENOSPC) {
			check_errormsg("create needing a block", NULL);
			struct statvfs after = check_statfs(fs);
			cr_assert_eq(after.f_ffree, before.f_ffree,
				     "a failed create leaked an inode");
			cr_assert_eq(after.f_bfree, before.f_bfree);
			struct stat st;
			CHECK_ERR(daxfs_stat(fs, path, &st), ENOENT);
			failed = 1;
			break;
		}
		cr_assert_eq(r, 0, "create %d = %d (%s): \"%s\"", i, r,
			     test_errname(r), daxfs_errormsg());
		CHECK_EQ(daxfs_close(g), 0);
		made++;
	}
	cr_log_info("%d creates before ENOSPC", made);
	cr_assert(failed,
		  "200 files of 200-byte names fitted in a full fs "
		  "(f_bavail was %lu)",
		  (unsigned long)full.f_bavail);
	cr_assert_eq(count_entries(fs, "/many"), made);
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	cr_assert_eq(count_entries(fs, "/many"), made);
	check_pattern_file(fs, "/fill", 3, 0 + (size_t)size);
	check_unmount_fsck(fs, p);
}

/* A hard link that needs a new directory block on a full file system
 * fails with -ENOSPC and leaves the file's link count as it was (the
 * count is raised before the entry is added, and lowered again). */
Test(enospc, link_needing_a_directory_block)
{
	const char *p;
	daxfs *fs = check_new_fs("enolink", 8 * TEST_MIB, 0, 0, &p);
	daxfs_file *f;
	off_t size = 0;
	char path[300], name[201];
	struct stat st;
	int i, r = 0;

	CHECK_OK(daxfs_mkdir(fs, "/many", 0755));
	f = check_open(fs, "/target", O_CREAT | O_RDWR, 0644);
	check_close(f);
	f = check_open(fs, "/fill", O_CREAT | O_RDWR, 0644);
	fill_file(f, 5, 256 * 1024, &size);
	fill_file(f, 5, 4096, &size);
	fill_file(f, 5, 1, &size);
	check_close(f);
	memset(name, 'l', 200);
	name[200] = 0;
	for (i = 0; i < 200 && r == 0; i++) {
		snprintf(path, sizeof(path), "/many/%03d%s", i, name);
		r = daxfs_link(fs, "/target", path);
	}
	cr_assert_eq(r, -ENOSPC, "link %d = %d (%s): \"%s\"", i, r,
		     test_errname(r), daxfs_errormsg());
	CHECK_ERR(daxfs_stat(fs, path, &st), ENOENT);
	CHECK_OK(daxfs_stat(fs, "/target", &st));
	cr_assert_eq(st.st_nlink, (nlink_t)i, "%u links after %d names",
		     (unsigned)st.st_nlink, i);
	cr_assert_eq(count_entries(fs, "/many"), i - 1);
	check_unmount_fsck(fs, p);
}
