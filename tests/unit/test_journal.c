/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_journal.c -- white-box tests of the undo journal (ext2/journal.c)
 * and the orphan chain (ext2/orphan.c) at the edges the crash harness
 * does not reach: other tools meeting a crashed image before libdaxfs
 * (issue 11, item 4), a log e2fsck has repaired around, a damaged log,
 * recovery run twice, and the log made on a mke2fs image.
 *
 * A crash in the middle of an operation is made by hand: the test opens
 * an operation (ext2_jbegin), logs and changes bytes as the library
 * would, and copies the region file before committing.  The copy is the
 * image a crash at that instant leaves (on /dev/shm nothing is lost).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "api/vfs.h"
#include "ext2/ext2.h"
#include "check.h"
#include "interop.h"

TestSuite(journal, .fini = test_kernel_cleanup, .timeout = 120);

#define SIZE (16 * TEST_MIB)


/*
 * A region with /f ("old data", 8 bytes) whose crash image (at crashed)
 * holds an operation in flight that wrote "NEW!" over its first 4 bytes
 * after logging them: an undo must bring "old " back.
 */
static void make_crash(const char **path, const char *crashed)
{
	daxfs *fs = check_new_fs("j", SIZE, 4096, 0, path);
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	struct ext2_sb_info *sb = EXT2_SB(fs);
	struct ext2_inode_info *in;
	struct ext2_jh h;
	uint32_t pblk, n;
	bool is_new;
	unsigned char *p;

	CHECK_EQ(daxfs_pwrite(f, "old data", 8, 0), 8);
	in = EXT2_I(f->inode);
	CHECK_OK(ext2_bmap(in, 0, 1, false, &pblk, &n, &is_new));
	p = ext2_block(sb, pblk);
	ext2_jbegin(sb, &h);
	ext2_jlog(p, 4);
	memcpy(p, "NEW!", 4);
	ext2_persist(sb, p, 4);
	check_copy_image(*path, crashed);
	ext2_jcommit(&h);
	check_close(f);
	check_unmount_fsck(fs, *path);
}

/* The first 8 bytes of /f in the region at path, mounted read-only. */
static void expect_f(const char *path, const char *want)
{
	daxfs *fs = check_mount(path, DAXFS_MOUNT_RDONLY);
	daxfs_file *f = check_open(fs, "/f", O_RDONLY, 0);
	char buf[9] = { 0 };

	CHECK_EQ(daxfs_pread(f, buf, 8, 0), 8);
	cr_assert_str_eq(buf, want);
	check_close(f);
	check_unmount(fs);
}

Test(journal, mount_undoes_an_operation_in_flight)
{
	const char *p, *c = test_image_path("jc");

	make_crash(&p, c);
	expect_f(p, "NEW!data"); /* committed in the original */
	check_unmount(check_mount(c, 0));
	expect_f(c, "old data");
	cr_assert_eq(test_e2fsck(c, NULL), 0);
}

Test(journal, readonly_mount_refuses_to_skip_recovery)
{
	const char *p, *c = test_image_path("jc");
	daxfs *fs = NULL;
	size_t n0, n1;
	char *before, *after;

	make_crash(&p, c);
	before = test_read_file(c, &n0);
	CHECK_ERR_MSG(daxfs_mount(c, DAXFS_MOUNT_RDONLY, &fs), EUCLEAN,
		      "read-write");
	after = test_read_file(c, &n1);
	cr_assert(n0 == n1 && !memcmp(before, after, n0), "image changed");
	free(before);
	free(after);
}

/* The kernel and e2fsck refuse a crashed image (item 4, first order),
 * and take it once libdaxfs has recovered it. */
Test(journal, kernel_and_e2fsck_refuse_until_recovered)
{
	const char *p, *c = test_image_path("jc");
	const char *why, *mnt = test_image_path("jmnt");
	char *out = NULL;

	make_crash(&p, c);
	cr_assert_eq(test_e2fsck(c, &out), 8, "%s", out);
	cr_assert(strstr(out, "unsupported feature"), "%s", out);
	free(out);
	if (test_kernel_mount_works(&why)) {
		cr_assert_eq(mkdir(mnt, 0755), 0);
		cr_assert_neq(test_kmount(c, mnt, true), 0,
			      "the kernel mounted a crashed image");
	} else {
		cr_log_warn("kernel half skipped: %s", why);
	}
	check_unmount(check_mount(c, 0));
	cr_assert_eq(test_e2fsck(c, NULL), 0);
	if (test_kernel_mount_works(&why)) {
		cr_assert_eq(test_kmount(c, mnt, true), 0);
		cr_assert_eq(test_kumount(mnt), 0);
	}
	expect_f(c, "old data");
}

/* The other order: a user forces the bit off and e2fsck repairs the
 * image; libdaxfs must never replay its old log over it. */
Test(journal, no_replay_after_e2fsck_repaired_it)
{
	const char *p, *c = test_image_path("jc");
	const char *argv[] = { "e2fsck", "-fy", c, NULL };
	char *cmds;
	int rc;

	make_crash(&p, c);
	cr_assert(asprintf(&cmds, "open -w -f %s\nfeature -FEATURE_I31\n",
			   c) > 0);
	cr_assert_eq(test_debugfs_w(NULL, cmds), 0);
	free(cmds);
	rc = test_run(argv, 0, NULL, NULL, NULL);
	cr_assert(rc == 0 || rc == 1, "e2fsck -fy = %d", rc);
	check_unmount(check_mount(c, 0));
	expect_f(c, "NEW!data"); /* what e2fsck left: not undone */
	cr_assert_eq(test_e2fsck(c, NULL), 0);
}

/* A damaged state word fails the mount with -EUCLEAN, changing
 * nothing. */
Test(journal, damaged_log_fails_the_mount_cleanly)
{
	const char *p, *c = test_image_path("jc");
	uint64_t off, len, *w, word;
	size_t n0, n1;
	char *before, *after;
	daxfs *fs = NULL;

	make_crash(&p, c);
	cr_assert_eq(test_log_extent(p, &off, &len), 0);
	/* Find the ACTIVE slot's state word and damage it. */
	before = test_read_file(c, &n0);
	for (w = NULL, word = 0; word < 64; word++) {
		uint64_t *s = (uint64_t *)(before + off + 4096 + word * 4096);

		if ((*s >> 32 & 0xffff) == 0xa5c1) {
			w = s;
			break;
		}
	}
	cr_assert(w, "no active slot in the crash image");
	*w ^= 1; /* the generation no longer matches the word's check */
	cr_assert_eq(test_write_file(c, before, n0), 0);
	CHECK_ERR_MSG(daxfs_mount(c, 0, &fs), EUCLEAN, "journal");
	after = test_read_file(c, &n1);
	cr_assert(n0 == n1 && !memcmp(before, after, n0), "image changed");
	free(before);
	free(after);
}

/* Recovery is idempotent: an image recovered, then put back to its
 * crashed log (as a crash before the slots were cleared leaves it),
 * recovers to the same bytes. */
Test(journal, recovery_twice_is_recovery_once)
{
	const char *p, *c = test_image_path("jc");
	uint64_t off, len;
	size_t n0, n1, n2;
	char *crashed, *once, *twice;

	make_crash(&p, c);
	cr_assert_eq(test_log_extent(p, &off, &len), 0);
	crashed = test_read_file(c, &n0);
	check_unmount(check_mount(c, 0));
	once = test_read_file(c, &n1);
	/* The log as it was, over the recovered image; the superblock's
	 * tie (mount count, mount time) as it was too. */
	memcpy(once + off, crashed + off, len);
	memcpy(once + 1024, crashed + 1024, 1024);
	cr_assert_eq(test_write_file(c, once, n1), 0);
	check_unmount(check_mount(c, 0));
	twice = test_read_file(c, &n2);
	expect_f(c, "old data");
	cr_assert_eq(test_e2fsck(c, NULL), 0);
	free(crashed);
	free(once);
	free(twice);
}

/* A mke2fs image gets its log at the first read-write mount, and the
 * kernel reads the image after the unmount. */
Test(journal, mke2fs_image_gets_a_log)
{
	const char *p = test_image_path("jmk");
	uint64_t off, len;
	daxfs *fs;

	cr_assert_eq(test_mke2fs(p, 4096, SIZE, NULL), 0);
	cr_assert_neq(test_log_extent(p, &off, &len), 0, "mke2fs made one");
	fs = check_mount(p, 0);
	cr_assert_str_empty(daxfs_mount_warning(fs));
	cr_assert_not_null(EXT2_SB(fs)->journal);
	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	check_unmount_fsck(fs, p);
	cr_assert_eq(test_log_extent(p, &off, &len), 0);
	cr_assert_eq(len, 65 * 4096);
}
