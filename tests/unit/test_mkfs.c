/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mkfs.c -- tests of ext2/mkfs.c (daxfs_mkfs, the module's one entry;
 * its helpers are static): the geometry of small images as dumpe2fs reads
 * it, against literal values worked out by hand in the comments (never
 * with mkfs's own formulas), e2fsck -fn clean on each, the label, a short
 * last group dropped, the region file created, kept or grown, and the
 * refusals (-EINVAL, -ENOENT) that leave no file behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "check.h"

TestSuite(mkfs, .fini = test_cleanup, .timeout = 120);

/* daxfs_mkfs with these options; its result. */
static int mkfs(const char *p, uint64_t size, uint32_t bs, uint32_t inodes,
		const char *label)
{
	struct daxfs_mkfs_opts o = { size, bs, inodes, label };

	return daxfs_mkfs(p, &o);
}

/* The whole "dumpe2fs" output of img (malloc'd). */
static char *dumpe2fs(const char *img)
{
	char *out = test_sh_capture(NULL, "dumpe2fs '%s' 2>/dev/null", img);

	cr_assert_not_null(out, "dumpe2fs %s failed", img);
	return out;
}

/* Every line of want occurs in the dumpe2fs output of img. */
static void expect_lines(const char *img, const char *const want[])
{
	char *out = dumpe2fs(img);

	for (size_t i = 0; want[i]; i++)
		cr_assert(strstr(out, want[i]), "dumpe2fs %s has no \"%s\":\n%s",
			  img, want[i], out);
	free(out);
}

/* The number of a dumpe2fs -h field must be want. */
static void expect_num(const char *img, const char *field, uint64_t want)
{
	uint64_t v = check_dumpe2fs_num(img, field);

	cr_assert_eq(v, want, "%s: %s %llu, expected %llu", img, field,
		     (unsigned long long)v, (unsigned long long)want);
}

Test(mkfs, default_4k_image_of_8_mib)
{
	const char *p = test_image_path("mk4k");
	char *feat, *state;

	CHECK_OK(mkfs(p, 8 * TEST_MIB, 0, 0, NULL));
	cr_assert_eq(test_e2fsck(p, NULL), 0);
	/* 8 MiB / 4 KiB = 2048 blocks, one group; one inode per 16 KiB:
	 * 512 inodes of 256 bytes = 32 blocks of inode table. */
	expect_num(p, "Block size", 4096);
	expect_num(p, "Block count", 2048);
	expect_num(p, "First block", 0);
	expect_num(p, "Blocks per group", 32768);
	expect_num(p, "Inode count", 512);
	expect_num(p, "Inodes per group", 512);
	expect_num(p, "Inode size", 256);
	expect_num(p, "Inode blocks per group", 32);
	expect_num(p, "First inode", 11);
	expect_num(p, "Reserved block count", 0);
	/* Used: superblock, descriptors, 2 bitmaps, 32 table blocks, the
	 * root and lost+found blocks (38), and the undo journal in inode 5
	 * (a 4 KiB header and 64 slots of 4 KiB, and their indirect block:
	 * 66): 2048 - 104 = 1944.  Inodes: the 10 reserved and
	 * lost+found: 512 - 11 = 501. */
	expect_num(p, "Free blocks", 1944);
	expect_num(p, "Free inodes", 501);
	feat = test_dumpe2fs_field(p, "Filesystem features");
	cr_assert_str_eq(feat, "dir_index filetype sparse_super large_file");
	state = test_dumpe2fs_field(p, "Filesystem state");
	cr_assert_str_eq(state, "clean");
	free(feat);
	free(state);
	expect_lines(p, (const char *const[]){
		"Group 0: (Blocks 0-2047)",
		"Primary superblock at 0, Group descriptors at 1-1",
		"Block bitmap at 2 (+2)", "Inode bitmap at 3 (+3)",
		"Inode table at 4-35 (+4)", "Free blocks: 104-2047",
		"Free inodes: 12-512", NULL });
}

Test(mkfs, eight_groups_of_1k_blocks_with_sparse_backups)
{
	const char *p = test_image_path("mk1k");
	char *label;

	CHECK_OK(mkfs(p, 64 * TEST_MIB, 1024, 0, "vol-1k"));
	cr_assert_eq(test_e2fsck(p, NULL), 0);
	/* 65536 blocks from block 1: 65535 / 8192 -> 8 groups, the last
	 * one block short.  4096 inodes, 512 per group, 128 table blocks. */
	expect_num(p, "Block count", 65536);
	expect_num(p, "First block", 1);
	expect_num(p, "Blocks per group", 8192);
	expect_num(p, "Inode count", 4096);
	expect_num(p, "Inodes per group", 512);
	expect_num(p, "Inode blocks per group", 128);
	/* Groups 1, 3, 5, 7 have backups (132 blocks used), 2, 4, 6 not
	 * (130), group 0 also the two directories: 8058 + 3 * 8060 +
	 * 3 * 8062 + 8059 (8191 blocks - 132) = 64483, less the journal
	 * (256 KiB of 1 KiB blocks, its header and indirect block: 261) in
	 * group 0: 64222. */
	expect_num(p, "Free blocks", 64222);
	label = test_dumpe2fs_field(p, "Filesystem volume name");
	cr_assert_str_eq(label, "vol-1k");
	free(label);
	expect_lines(p, (const char *const[]){
		"Primary superblock at 1, Group descriptors at 2-2",
		"Inode table at 5-132 (+4)",
		"Backup superblock at 8193, Group descriptors at 8194-8194",
		"Group 2: (Blocks 16385-24576)\n  Block bitmap at 16385 (+0)",
		"Backup superblock at 24577,", "Backup superblock at 40961,",
		"Group 6: (Blocks 49153-57344)\n  Block bitmap at 49153 (+0)",
		"Group 7: (Blocks 57345-65535)",
		"Backup superblock at 57345, Group descriptors at 57346-57346",
		"8059 free blocks, 512 free inodes, 0 directories", NULL });
}

Test(mkfs, short_last_group_is_dropped)
{
	const char *p = test_image_path("mktail");

	/* 8300 blocks of 1 KiB: group 1 would be 107 blocks, too few for
	 * its metadata: the file system ends with group 0 at block 8192,
	 * and 8300 * 1024 / 16 KiB = 518.75 inodes round up to 520. */
	CHECK_OK(mkfs(p, 8300 * 1024, 1024, 0, NULL));
	cr_assert_eq(test_e2fsck(p, NULL), 0);
	expect_num(p, "Block count", 8193);
	expect_num(p, "Inode count", 520);
	expect_lines(p, (const char *const[]){ "Group 0: (Blocks 1-8192)",
					       NULL });
	cr_assert_eq(test_file_size(p), 8300 * 1024, "the file was resized");
}

Test(mkfs, inode_count_rounds_up_to_whole_table_blocks)
{
	const char *p = test_image_path("mkino");

	/* 100 inodes asked, 16 inodes of 256 bytes per 4 KiB block: 7
	 * table blocks hold 112. */
	CHECK_OK(mkfs(p, 8 * TEST_MIB, 4096, 100, NULL));
	cr_assert_eq(test_e2fsck(p, NULL), 0);
	expect_num(p, "Inode count", 112);
	expect_num(p, "Inode blocks per group", 7);
	/* 2048 - (1 + 1 + 2 + 7 + 2) - 66 (the journal) = 1969. */
	expect_num(p, "Free blocks", 1969);
}

Test(mkfs, tiny_image_of_64_blocks)
{
	const char *p = test_image_path("mktiny");

	/* 64 KiB of 1 KiB blocks: 32 inodes (not 64 KiB / 16 KiB = 4: a
	 * file system gets at least 32), 8 table blocks;
	 * 63 blocks from block 1, 14 used: 49 free (no room for the
	 * journal's 261 blocks: the image goes without one). */
	CHECK_OK(mkfs(p, 64 * TEST_KIB, 1024, 0, NULL));
	cr_assert_eq(test_e2fsck(p, NULL), 0);
	expect_num(p, "Block count", 64);
	expect_num(p, "Inode count", 32);
	expect_num(p, "Free blocks", 49);
	expect_num(p, "Free inodes", 21);
}

Test(mkfs, fresh_file_system_holds_only_lost_and_found)
{
	const char *p = test_image_path("mkls");
	struct test_dent *ents = NULL;
	int n;

	CHECK_OK(mkfs(p, 8 * TEST_MIB, 2048, 0, NULL));
	n = test_debugfs_ls(p, "/", &ents);
	cr_assert_eq(n, 3, "root has %d entries", n);
	cr_assert_str_eq(ents[0].name, ".");
	cr_assert_eq(ents[0].ino, 2);
	cr_assert_str_eq(ents[1].name, "..");
	cr_assert_eq(ents[1].ino, 2);
	cr_assert_str_eq(ents[2].name, "lost+found");
	cr_assert_eq(ents[2].ino, 11);
	free(ents);
	n = test_debugfs_ls(p, "/lost+found", &ents);
	cr_assert_eq(n, 2, "lost+found has %d entries", n);
	free(ents);
	/* 2 KiB blocks: 4096 blocks in one group of 16384. */
	expect_num(p, "Block count", 4096);
	expect_num(p, "Blocks per group", 16384);
	cr_assert_eq(test_e2fsck(p, NULL), 0);
}

Test(mkfs, larger_file_is_kept_and_missing_one_created)
{
	const char *p = test_image_path("mkkeep");
	const char *q = test_image_path("mknew");

	cr_assert_eq(test_write_pattern_file(p, 16 * TEST_MIB, 1), 0);
	CHECK_OK(mkfs(p, 8 * TEST_MIB, 4096, 0, NULL));
	cr_assert_eq(test_file_size(p), 16 * TEST_MIB);
	expect_num(p, "Block count", 2048);
	cr_assert_eq(test_e2fsck(p, NULL), 0);
	/* Bytes past the file system are left alone. */
	{
		unsigned char buf[4096];

		check_raw_read(p, 12 * TEST_MIB, buf, sizeof(buf));
		cr_assert_eq(test_pattern_mismatch(buf, sizeof(buf), 1,
						   12 * TEST_MIB), -1);
	}
	cr_assert_eq(test_file_size(q), -1);
	CHECK_OK(mkfs(q, 4 * TEST_MIB, 0, 0, NULL));
	cr_assert_eq(test_file_size(q), 4 * TEST_MIB);
	cr_assert_eq(test_e2fsck(q, NULL), 0);
}

Test(mkfs, refusals_leave_no_file)
{
	const char *p = test_image_path("mkbad");
	char label[18];

	memset(label, 'L', 17);
	label[17] = '\0';
	CHECK_ERR_MSG(mkfs(p, 8 * TEST_MIB, 512, 0, NULL), EINVAL, "512");
	CHECK_ERR_MSG(mkfs(p, 16 * TEST_KIB, 1024, 0, NULL), EINVAL,
		      "too small");
	CHECK_ERR_MSG(mkfs(p, 32 * TEST_KIB, 4096, 0, NULL), EINVAL,
		      "too small");
	CHECK_ERR_MSG(mkfs(p, 8 * TEST_MIB, 4096, 100000, NULL), EINVAL,
		      "inodes");
	CHECK_ERR_MSG(mkfs(p, 8 * TEST_MIB, 4096, 0, label), EINVAL,
		      "label");
	cr_assert_eq(test_file_size(p), -1, "a refused mkfs left a file");
	CHECK_ERR_MSG(mkfs("/nonexistent-daxfs-dir/img", 8 * TEST_MIB, 0, 0,
			   NULL), ENOENT, "/nonexistent-daxfs-dir/img");
	/* 16 bytes is the longest label. */
	label[16] = '\0';
	CHECK_OK(mkfs(p, 8 * TEST_MIB, 4096, 0, label));
	cr_assert_eq(test_e2fsck(p, NULL), 0);
}

Test(mkfs, refusal_leaves_an_existing_file_as_it_was)
{
	const char *p = test_image_path("mkundo");
	uint64_t h;

	cr_assert_eq(test_write_file(p, "abc", 3), 0);
	h = check_hash_file(p);
	CHECK_ERR_MSG(mkfs(p, 16 * TEST_KIB, 1024, 0, NULL), EINVAL,
		      "too small");
	cr_assert_eq(check_hash_file(p), h, "the file changed");
	cr_assert_eq(test_file_size(p), 3);
}
