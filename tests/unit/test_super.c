/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_super.c -- white-box tests of super.c: the superblock and group
 * descriptor checks of daxfs_mount (super_load, groups_load), the state
 * and counters written by mount and unmount, and the sparse_super rule of
 * ext2_group_has_super.
 *
 * Every rejected image is patched on a copy of a fresh daxfs_mkfs image;
 * the mount must fail with the exact errno, say what is wrong in
 * daxfs_errormsg(), and leave the image byte for byte as it was.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "ext2/ext2.h"
#include "check.h"

TestSuite(super, .fini = test_cleanup, .timeout = 120);

#define SB EXT2_SUPERBLOCK_OFFSET
#define SBF(field) (SB + offsetof(struct ext2_super_block, field))
#define GDF(bs, g, field)                                                    \
	(gdt_off(bs) + (uint64_t)(g) * sizeof(struct ext2_group_desc) +       \
	 offsetof(struct ext2_group_desc, field))

/* 1K images are 16 MiB: 16384 blocks, two groups (8192 + 8191 blocks).
 * 4K images are 32 MiB: one group of 8192 blocks. */
#define SIZE_1K (16 * TEST_MIB)
#define SIZE_4K (32 * TEST_MIB)

static uint64_t gdt_off(uint32_t bs)
{
	return bs == 1024 ? 2048 : bs;
}

/* A fresh daxfs_mkfs image of the block size bs. */
static const char *fresh(uint32_t bs)
{
	const char *p = test_image_path(bs == 1024 ? "sb1k" : "sb4k");

	check_mkfs(p, bs == 1024 ? SIZE_1K : SIZE_4K, bs, 0);
	return p;
}

/*
 * Mount path (already patched) with flags: it must fail with -err, the
 * error message must contain sub, and the image must be unchanged.
 */
static void expect_mount_fails(const char *path, unsigned flags, int err,
			       const char *sub)
{
	size_t len;
	unsigned char *before = check_read_file(path, &len);
	daxfs *fs = (daxfs *)0x1;
	int ret = daxfs_mount(path, flags, &fs);

	cr_assert_eq(ret, -err, "mount of %s = %d (%s), expected -%s (\"%s\")",
		     path, ret, test_errname(ret), test_errname(-err),
		     daxfs_errormsg());
	check_errormsg("daxfs_mount", sub);
	cr_assert_eq(fs, (daxfs *)0x1, "a failed mount set *fs");
	check_file_is(path, before, len);
	/* A second failed mount must not be -EBUSY: the flock is gone. */
	ret = daxfs_mount(path, flags, &fs);
	cr_assert_eq(ret, -err, "second mount = %d (%s)", ret,
		     test_errname(ret));
	check_file_is(path, before, len);
	free(before);
}

static void put32(const char *p, uint64_t off, uint32_t v)
{
	check_raw_put_le32(p, off, v);
}

static void put16(const char *p, uint64_t off, uint16_t v)
{
	check_raw_put_le16(p, off, v);
}

/* ---- the control: an untouched image mounts ------------------------- */

Test(super, fresh_images_mount)
{
	const uint32_t sizes[] = { 1024, 4096 };
	size_t i;

	for (i = 0; i < 2; i++) {
		const char *p = fresh(sizes[i]);
		daxfs *fs = check_mount(p, 0);

		cr_assert_eq(EXT2_SB(fs)->blocksize, sizes[i]);
		cr_assert_eq(EXT2_SB(fs)->groups_count, sizes[i] == 1024 ? 2u : 1u);
		cr_assert_eq(EXT2_SB(fs)->first_data_block, sizes[i] == 1024 ? 1u : 0u);
		cr_assert_eq(EXT2_SB(fs)->addr_per_block, sizes[i] / 4);
		cr_assert_eq(EXT2_SB(fs)->inode_size, 256u);
		check_unmount_fsck(fs, p);
	}
}

/* ---- super_load ------------------------------------------------------ */

Test(super, bad_magic)
{
	const char *p = fresh(4096);

	put16(p, SBF(s_magic), 0xEF54);
	expect_mount_fails(p, 0, EUCLEAN, "magic");
	expect_mount_fails(p, DAXFS_MOUNT_RDONLY, EUCLEAN, "magic");
}

Test(super, zero_image_has_no_superblock)
{
	const char *p = test_image_path("zero");
	int fd = open(p, O_RDWR | O_CREAT, 0644);

	cr_assert(fd >= 0);
	cr_assert_eq(ftruncate(fd, 4 * TEST_MIB), 0);
	close(fd);
	expect_mount_fails(p, 0, EUCLEAN, "magic");
}

Test(super, region_smaller_than_a_superblock)
{
	const char *p = test_image_path("tiny");
	unsigned char buf[1500];
	int fd = open(p, O_RDWR | O_CREAT, 0644);

	cr_assert(fd >= 0);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
	expect_mount_fails(p, 0, EUCLEAN, "too small");
}

Test(super, revision_2)
{
	const char *p = fresh(4096);

	put32(p, SBF(s_rev_level), 2);
	expect_mount_fails(p, 0, EOPNOTSUPP, "revision 2");
	expect_mount_fails(p, DAXFS_MOUNT_RDONLY, EOPNOTSUPP, "revision 2");
}

Test(super, log_block_size_3)
{
	const char *p = fresh(4096);

	put32(p, SBF(s_log_block_size), 3);
	expect_mount_fails(p, 0, EUCLEAN, "block size");
}

Test(super, log_block_size_huge)
{
	const char *p = fresh(1024);

	/* 1024 << 22 would overflow a 32-bit block size. */
	put32(p, SBF(s_log_block_size), 22);
	expect_mount_fails(p, 0, EUCLEAN, "block size");
}

Test(super, blocks_per_group_not_multiple_of_8)
{
	const char *p = fresh(1024);

	put32(p, SBF(s_blocks_per_group), 8188);
	expect_mount_fails(p, 0, EUCLEAN, "blocks per group");
}

Test(super, blocks_per_group_too_big)
{
	const char *p = fresh(1024);

	/* More blocks than one bitmap block has bits (8 * 1024). */
	put32(p, SBF(s_blocks_per_group), 8200);
	expect_mount_fails(p, 0, EUCLEAN, "blocks per group");
}

Test(super, blocks_per_group_zero)
{
	const char *p = fresh(4096);

	put32(p, SBF(s_blocks_per_group), 0);
	expect_mount_fails(p, 0, EUCLEAN, "blocks per group");
}

Test(super, inodes_per_group_zero)
{
	const char *p = fresh(1024);

	put32(p, SBF(s_inodes_per_group), 0);
	expect_mount_fails(p, 0, EUCLEAN, "inodes per group");
}

Test(super, inodes_per_group_too_big)
{
	const char *p = fresh(1024);

	put32(p, SBF(s_inodes_per_group), 8 * 1024 + 8);
	expect_mount_fails(p, 0, EUCLEAN, "inodes per group");
}

Test(super, inode_size_100)
{
	const char *p = fresh(4096);

	put16(p, SBF(s_inode_size), 100);
	expect_mount_fails(p, 0, EUCLEAN, "inode size");
}

Test(super, inode_size_3000)
{
	const char *p = fresh(4096);

	put16(p, SBF(s_inode_size), 3000);
	expect_mount_fails(p, 0, EUCLEAN, "inode size");
}

Test(super, inode_size_larger_than_block)
{
	const char *p = fresh(1024);

	put16(p, SBF(s_inode_size), 2048);
	expect_mount_fails(p, 0, EUCLEAN, "inode size");
}

Test(super, first_data_block_1_with_4k_blocks)
{
	const char *p = fresh(4096);

	put32(p, SBF(s_first_data_block), 1);
	expect_mount_fails(p, 0, EUCLEAN, "first data block");
}

Test(super, first_data_block_0_with_1k_blocks)
{
	const char *p = fresh(1024);

	put32(p, SBF(s_first_data_block), 0);
	expect_mount_fails(p, 0, EUCLEAN, "first data block");
}

Test(super, inodes_count_mismatch)
{
	const char *p = fresh(1024);
	uint32_t n = check_raw_le32(p, SBF(s_inodes_count));

	put32(p, SBF(s_inodes_count), n + 1);
	expect_mount_fails(p, 0, EUCLEAN, "inode count");
	put32(p, SBF(s_inodes_count), n - 1);
	expect_mount_fails(p, 0, EUCLEAN, "inode count");
}

Test(super, blocks_count_beyond_region)
{
	const char *p = fresh(1024);
	uint32_t n = check_raw_le32(p, SBF(s_blocks_count));

	cr_assert_eq(n, 16384);
	/* Still two groups (so the inode count matches), one block more
	 * than the 16 MiB region holds. */
	put32(p, SBF(s_blocks_count), n + 1);
	expect_mount_fails(p, 0, EUCLEAN, "bytes");
}

Test(super, region_truncated)
{
	const char *p = fresh(4096);

	cr_assert_eq(truncate(p, SIZE_4K - 4096), 0);
	expect_mount_fails(p, 0, EUCLEAN, "bytes");
}

Test(super, first_ino_reserved)
{
	const char *p = fresh(4096);

	put32(p, SBF(s_first_ino), 5);
	expect_mount_fails(p, 0, EUCLEAN, "first inode");
}

Test(super, unknown_incompat_feature)
{
	const char *p = fresh(4096);
	uint32_t f = check_raw_le32(p, SBF(s_feature_incompat));

	put32(p, SBF(s_feature_incompat), f | 0x0040); /* extents */
	expect_mount_fails(p, 0, EOPNOTSUPP, "incompatible");
	expect_mount_fails(p, DAXFS_MOUNT_RDONLY, EOPNOTSUPP, "incompatible");
	put32(p, SBF(s_feature_incompat), f | 0x40000000u);
	expect_mount_fails(p, 0, EOPNOTSUPP, "0x40000000");
}

Test(super, unknown_ro_compat_feature)
{
	const char *p = fresh(4096);
	uint32_t f = check_raw_le32(p, SBF(s_feature_ro_compat));
	size_t len;
	unsigned char *before;
	daxfs_file *file;
	daxfs *fs;

	put32(p, SBF(s_feature_ro_compat), f | 0x0008); /* huge_file */
	expect_mount_fails(p, 0, EROFS, "read-only");

	/* Read-only it mounts, reads, refuses writes and changes nothing. */
	before = check_read_file(p, &len);
	fs = check_mount(p, DAXFS_MOUNT_RDONLY);
	cr_assert(fs->rdonly);
	CHECK_OK(daxfs_open(fs, "/lost+found", O_RDONLY, 0, &file));
	CHECK_OK(daxfs_close(file));
	CHECK_ERR_MSG(daxfs_mkdir(fs, "/x", 0755), EROFS, NULL);
	CHECK_ERR_MSG(daxfs_open(fs, "/y", O_RDWR | O_CREAT, 0644, &file),
		      EROFS, NULL);
	check_unmount(fs);
	check_file_is(p, before, len);
	free(before);
}

/* ---- groups_load ----------------------------------------------------- */

Test(super, gd_block_bitmap_outside_group)
{
	const char *p = fresh(1024);

	/* Group 1 spans blocks 8193..16383. */
	put32(p, GDF(1024, 1, bg_block_bitmap), 100);
	expect_mount_fails(p, 0, EUCLEAN, "block bitmap");
	put32(p, GDF(1024, 1, bg_block_bitmap), 16384);
	expect_mount_fails(p, 0, EUCLEAN, "block bitmap");
	put32(p, GDF(1024, 1, bg_block_bitmap), 8192);
	expect_mount_fails(p, 0, EUCLEAN, "group 1");
}

Test(super, gd_block_bitmap_in_boot_block)
{
	const char *p = fresh(1024);

	/* Block 0 of a 1K file system precedes the first data block. */
	put32(p, GDF(1024, 0, bg_block_bitmap), 0);
	expect_mount_fails(p, 0, EUCLEAN, "block bitmap");
}

Test(super, gd_inode_bitmap_outside_group)
{
	const char *p = fresh(1024);

	put32(p, GDF(1024, 1, bg_inode_bitmap), 8192);
	expect_mount_fails(p, 0, EUCLEAN, "inode bitmap");
	put32(p, GDF(1024, 1, bg_inode_bitmap), 0xffffffffu);
	expect_mount_fails(p, 0, EUCLEAN, "inode bitmap");
}

Test(super, gd_inode_table_outside_group)
{
	const char *p = fresh(1024);

	/* Starts inside group 1 but its last block runs past the end. */
	put32(p, GDF(1024, 1, bg_inode_table), 16383);
	expect_mount_fails(p, 0, EUCLEAN, "inode table");
	put32(p, GDF(1024, 0, bg_inode_table), 8193);
	expect_mount_fails(p, 0, EUCLEAN, "inode table");
}

Test(super, gd_inode_table_outside_group_4k)
{
	const char *p = fresh(4096);

	put32(p, GDF(4096, 0, bg_inode_table), 8191);
	expect_mount_fails(p, 0, EUCLEAN, "inode table");
}

Test(super, gd_free_blocks_out_of_range)
{
	const char *p = fresh(1024);

	/* Group 1 has 8191 blocks. */
	put16(p, GDF(1024, 1, bg_free_blocks_count), 8192);
	expect_mount_fails(p, 0, EUCLEAN, "free count");
}

Test(super, gd_free_inodes_out_of_range)
{
	const char *p = fresh(1024);
	uint32_t ipg = check_raw_le32(p, SBF(s_inodes_per_group));

	put16(p, GDF(1024, 0, bg_free_inodes_count), ipg + 1);
	expect_mount_fails(p, 0, EUCLEAN, "free count");
}

/* ---- what mount and unmount write ----------------------------------- */

static void sum_gd_counters(const char *p, uint32_t bs, uint32_t groups,
			    uint64_t *fb, uint64_t *fi)
{
	uint32_t g;

	*fb = *fi = 0;
	for (g = 0; g < groups; g++) {
		*fb += check_raw_le16(p, GDF(bs, g, bg_free_blocks_count));
		*fi += check_raw_le16(p, GDF(bs, g, bg_free_inodes_count));
	}
}

Test(super, mount_marks_in_use_unmount_marks_clean)
{
	const char *p = fresh(1024);
	uint16_t cnt0 = check_raw_le16(p, SBF(s_mnt_count));
	uint32_t sfb0 = check_raw_le32(p, SBF(s_free_blocks_count));
	uint32_t sfi0 = check_raw_le32(p, SBF(s_free_inodes_count));
	uint64_t fb, fi;
	struct statvfs st;
	unsigned char *buf;
	daxfs_file *f;
	daxfs *fs;
	int i;

	cr_assert_eq(check_raw_le16(p, SBF(s_state)), EXT2_VALID_FS);
	sum_gd_counters(p, 1024, 2, &fb, &fi);
	cr_assert_eq(fb, sfb0, "mkfs: superblock free blocks %u, groups %llu",
		     sfb0, (unsigned long long)fb);
	cr_assert_eq(fi, sfi0);

	fs = check_mount(p, 0);
	cr_assert_eq(check_raw_le16(p, SBF(s_state)) & EXT2_VALID_FS, 0,
		     "a mounted file system must not be marked clean");
	cr_assert_eq(check_raw_le16(p, SBF(s_mnt_count)), cnt0 + 1);

	/* Use blocks and inodes in both groups. */
	buf = malloc(300 * 1024);
	cr_assert(buf);
	test_pattern(buf, 300 * 1024, 1, 0);
	CHECK_OK(daxfs_mkdir(fs, "/d1", 0755));
	CHECK_OK(daxfs_mkdir(fs, "/d2", 0755));
	for (i = 0; i < 20; i++) {
		char name[64];

		snprintf(name, sizeof(name), "/d%d/f%d", 1 + i % 2, i);
		CHECK_OK(daxfs_open(fs, name, O_RDWR | O_CREAT, 0644, &f));
		CHECK_EQ(daxfs_pwrite(f, buf, 300 * 1024, 0), 300 * 1024);
		CHECK_OK(daxfs_close(f));
	}
	/* Freed blocks count too. */
	CHECK_OK(daxfs_unlink(fs, "/d1/f0"));
	CHECK_OK(daxfs_statfs(fs, &st));
	free(buf);
	check_unmount(fs);

	cr_assert_eq(check_raw_le16(p, SBF(s_state)), EXT2_VALID_FS);
	cr_assert_eq(check_raw_le16(p, SBF(s_mnt_count)), cnt0 + 1);
	sum_gd_counters(p, 1024, 2, &fb, &fi);
	cr_assert_eq(check_raw_le32(p, SBF(s_free_blocks_count)), fb,
		     "superblock free blocks %u != sum of groups %llu",
		     check_raw_le32(p, SBF(s_free_blocks_count)),
		     (unsigned long long)fb);
	cr_assert_eq(check_raw_le32(p, SBF(s_free_inodes_count)), fi);
	cr_assert_eq(fb, st.f_bfree);
	cr_assert_eq(fi, st.f_ffree);
	cr_assert_lt(fb, sfb0 - 19 * 300);
	cr_assert_eq(fi, sfi0 - 2 - 19);
	cr_assert_eq(test_e2fsck(p, NULL), 0);

	/* A second mount counts again. */
	fs = check_mount(p, 0);
	cr_assert_eq(check_raw_le16(p, SBF(s_mnt_count)), cnt0 + 2);
	check_unmount(fs);
	cr_assert_eq(test_e2fsck(p, NULL), 0);
}

Test(super, rdonly_mount_writes_nothing)
{
	const char *p = fresh(1024);
	size_t len;
	unsigned char *before = check_read_file(p, &len);
	struct statvfs st;
	daxfs *fs = check_mount(p, DAXFS_MOUNT_RDONLY);

	/* Not marked in use, mount count unchanged, even while mounted. */
	check_file_is(p, before, len);
	CHECK_OK(daxfs_statfs(fs, &st));
	cr_assert(st.f_flag & ST_RDONLY);
	check_unmount(fs);
	check_file_is(p, before, len);
	free(before);
}

Test(super, unmount_with_open_file_is_ebusy)
{
	const char *p = fresh(4096);
	daxfs *fs = check_mount(p, 0);
	daxfs_file *f;

	CHECK_OK(daxfs_open(fs, "/f", O_RDWR | O_CREAT, 0644, &f));
	CHECK_ERR_MSG(daxfs_unmount(fs), EBUSY, "open");
	/* Still mounted, still not clean. */
	cr_assert_eq(check_raw_le16(p, SBF(s_state)) & EXT2_VALID_FS, 0);
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, p);
}

/* Corruption found while mounted marks the file system as having errors. */
Test(super, corrupt_marks_error_state)
{
	const char *p = fresh(4096);
	daxfs *fs = check_mount(p, 0);

	CHECK_EQ(ext2_corrupt(EXT2_SB(fs), "test %d", 42), -EUCLEAN);
	check_errormsg("ext2_corrupt", "test 42");
	cr_assert(check_raw_le16(p, SBF(s_state)) & EXT2_ERROR_FS);
	check_unmount(fs);
	cr_assert(check_raw_le16(p, SBF(s_state)) & EXT2_ERROR_FS,
		  "unmount must keep the error state");
}

/* ---- sparse_super ---------------------------------------------------- */

Test(super, group_has_super_sparse)
{
	struct ext2_super_block es;
	struct ext2_sb_info fs;
	const uint32_t yes[] = { 0, 1, 3, 5, 7, 9, 25, 27, 49, 81, 125, 243,
				 343, 625, 729, 2187, 2401, 3125, 16807,
				 59049, 78125, 177147, 117649 };
	const uint32_t no[] = { 2, 4, 6, 8, 10, 11, 13, 15, 21, 35, 45, 63,
				50, 75, 99, 105, 147, 175, 245, 3129 };
	size_t i;

	memset(&es, 0, sizeof(es));
	memset(&fs, 0, sizeof(fs));
	fs.es = &es;
	es.s_feature_ro_compat = le32_put(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER);
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		cr_assert(ext2_group_has_super(&fs, yes[i]),
			  "group %u must have a superblock copy", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_assert(!ext2_group_has_super(&fs, no[i]),
			  "group %u must not have a superblock copy", no[i]);
	/* Without sparse_super every group has one. */
	es.s_feature_ro_compat = 0;
	for (i = 0; i < 100; i++)
		cr_assert(ext2_group_has_super(&fs, i));
}

/* The same rule against mke2fs/dumpe2fs on an image of 60 tiny groups,
 * and the size of the descriptor table (two 1 KiB blocks for 60 groups). */
Test(super, group_has_super_matches_dumpe2fs)
{
	const char *p = test_image_path("mke2fs");
	const char *mk[] = { "mke2fs", "-q", "-F", "-t", "ext2", "-b", "1024",
			     "-g", "256", "-N", "960", "-I", "128", "-O",
			     "^resize_inode", p, "15361", NULL };
	const char *dump[] = { "dumpe2fs", p, NULL };
	char *out = NULL, *s;
	bool has[64] = { 0 };
	uint32_t g, ngroups = 0, gd_first = 0, gd_last = 0;
	daxfs *fs;
	int st;

	st = test_run(mk, TEST_RUN_MERGE, &out, NULL, NULL);
	cr_assert_eq(st, 0, "mke2fs: %s", out);
	free(out);
	st = test_run(dump, TEST_RUN_MERGE, &out, NULL, NULL);
	cr_assert_eq(st, 0, "dumpe2fs: %s", out);
	s = strstr(out, "Group descriptors at ");
	cr_assert(s, "dumpe2fs: %s", out);
	cr_assert_eq(sscanf(s, "Group descriptors at %u-%u", &gd_first,
			    &gd_last), 2, "dumpe2fs: %.60s", s);
	for (s = strstr(out, "\nGroup "); s; s = strstr(s + 1, "\nGroup ")) {
		char *next = strstr(s + 1, "\nGroup ");
		char *sb = strstr(s, "uperblock at");

		g = strtoul(s + 7, NULL, 10);
		cr_assert_lt(g, 64);
		has[g] = sb && (!next || sb < next);
		ngroups = g + 1;
	}
	free(out);
	cr_assert_eq(ngroups, 60);

	fs = check_mount(p, 0);
	cr_assert_eq(EXT2_SB(fs)->groups_count, ngroups);
	for (g = 0; g < ngroups; g++)
		cr_assert_eq(ext2_group_has_super(EXT2_SB(fs), g), has[g],
			     "group %u: daxfs says %d, dumpe2fs says %d", g,
			     ext2_group_has_super(EXT2_SB(fs), g), has[g]);
	cr_assert_eq(gd_last - gd_first + 1, 2);
	cr_assert_eq(ext2_gdt_blocks(EXT2_SB(fs)), 2, "daxfs says %u descriptor blocks",
		     ext2_gdt_blocks(EXT2_SB(fs)));
	check_unmount_fsck(fs, p);
}

/* A revision 0 image (mke2fs -r 0) mounts with 128-byte inodes and
 * first inode 11; the first file over 2 GiB upgrades it to revision 1
 * with large_file, and e2fsck agrees. */
Test(super, revision_0_upgraded_by_large_file)
{
	const char *p = test_image_path("rev0");
	const char *mk[] = { "mke2fs", "-q", "-F", "-t", "ext2", "-r", "0",
			     "-b", "1024", p, "8192", NULL };
	char *out = NULL;
	daxfs_file *f;
	daxfs *fs;

	cr_assert_eq(test_run(mk, TEST_RUN_MERGE, &out, NULL, NULL), 0,
		     "mke2fs: %s", out);
	free(out);
	cr_assert_eq(check_raw_le32(p, SBF(s_rev_level)), 0);
	fs = check_mount(p, 0);
	cr_assert_eq(EXT2_SB(fs)->inode_size, 128);
	cr_assert_eq(EXT2_SB(fs)->first_ino, 11);
	CHECK_OK(daxfs_open(fs, "/big", O_RDWR | O_CREAT, 0644, &f));
	CHECK_EQ(daxfs_pwrite(f, "x", 1, 3ULL << 30), 1);
	CHECK_OK(daxfs_close(f));
	check_unmount(fs);
	cr_assert_eq(check_raw_le32(p, SBF(s_rev_level)), 1);
	cr_assert_eq(check_raw_le32(p, SBF(s_first_ino)), 11);
	cr_assert_eq(check_raw_le16(p, SBF(s_inode_size)), 128);
	cr_assert(check_raw_le32(p, SBF(s_feature_ro_compat)) &
		  EXT2_FEATURE_RO_COMPAT_LARGE_FILE);
	cr_assert_eq(test_e2fsck(p, NULL), 0);
}
