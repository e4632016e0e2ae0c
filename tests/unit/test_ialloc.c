/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ialloc.c -- white-box tests of ialloc.c: the inode allocator keeps
 * bg_free_inodes_count equal to the inode bitmaps up to -ENOSPC and after
 * frees, seen through the public API.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "ext2/ext2.h"
#include "check.h"

TestSuite(ialloc, .fini = test_cleanup, .timeout = 120);

/* ---- the inode allocator through the API ---------------------------- */

static uint32_t clear_inode_bits(struct daxfs *fs, uint32_t g)
{
	const uint8_t *bm = ext2_block(EXT2_SB(fs), le32_get(EXT2_SB(fs)->gdt[g].bg_inode_bitmap));
	uint32_t i, n = 0;

	for (i = 0; i < EXT2_SB(fs)->inodes_per_group; i++)
		n += !(bm[i >> 3] & (1u << (i & 7)));
	return n;
}

static void check_inode_counters(struct daxfs *fs, const char *when)
{
	struct statvfs st;
	uint64_t sum = 0;
	uint32_t g;

	for (g = 0; g < EXT2_SB(fs)->groups_count; g++) {
		uint32_t n = clear_inode_bits(fs, g);

		cr_assert_eq(le16_get(EXT2_SB(fs)->gdt[g].bg_free_inodes_count), n,
			     "%s: group %u: descriptor %u free inodes, bitmap %u",
			     when, g, le16_get(EXT2_SB(fs)->gdt[g].bg_free_inodes_count),
			     n);
		sum += n;
	}
	CHECK_OK(daxfs_statfs(fs, &st));
	cr_assert_eq(st.f_ffree, sum, "%s: statfs %llu free inodes, bitmaps "
		     "%llu", when, (unsigned long long)st.f_ffree,
		     (unsigned long long)sum);
}

Test(ialloc, inodes_until_enospc)
{
	const char *p;
	daxfs *fs = check_new_fs("ino", 24 * TEST_MIB, 1024, 96, &p);
	uint32_t created = 0, files = 0, d;
	char name[64];
	daxfs_file *f;
	int ret = 0;

	cr_assert_eq(EXT2_SB(fs)->groups_count, 3);
	cr_assert_eq(EXT2_SB(fs)->inodes_count, 96);
	check_inode_counters(fs, "fresh");
	/* Directories spread over the groups; files follow them. */
	for (d = 0; d < 4; d++) {
		snprintf(name, sizeof(name), "/d%u", d);
		CHECK_OK(daxfs_mkdir(fs, name, 0755));
		created++;
	}
	check_inode_counters(fs, "dirs");
	for (;;) {
		snprintf(name, sizeof(name), "/d%u/f%u", files % 4, files);
		ret = daxfs_open(fs, name, O_RDWR | O_CREAT | O_EXCL, 0644, &f);
		if (ret)
			break;
		CHECK_OK(daxfs_close(f));
		files++;
		created++;
		check_inode_counters(fs, "filling");
	}
	cr_assert_eq(ret, -ENOSPC, "create %s = %d (%s)", name, ret,
		     test_errname(ret));
	check_errormsg("create", "inode");
	/* 96 inodes minus the 10 reserved and lost+found. */
	cr_assert_eq(created, 96 - 11, "created %u inodes", created);
	check_inode_counters(fs, "full");
	CHECK_ERR_MSG(daxfs_mkdir(fs, "/more", 0755), ENOSPC, NULL);
	CHECK_ERR_MSG(daxfs_symlink(fs, "/d0", "/link"), ENOSPC, NULL);
	check_inode_counters(fs, "full, refused");
	/* A failed create leaves no entry behind. */
	{
		struct stat st;

		CHECK_ERR_MSG(daxfs_stat(fs, "/more", &st), ENOENT, NULL);
		CHECK_ERR_MSG(daxfs_stat(fs, name, &st), ENOENT, NULL);
	}
	/* Free some and create again. */
	CHECK_OK(daxfs_unlink(fs, "/d1/f1"));
	CHECK_OK(daxfs_unlink(fs, "/d2/f2"));
	check_inode_counters(fs, "two freed");
	CHECK_OK(daxfs_mkdir(fs, "/again", 0755));
	CHECK_OK(daxfs_open(fs, "/again/f", O_RDWR | O_CREAT, 0644, &f));
	CHECK_OK(daxfs_close(f));
	check_inode_counters(fs, "reused");
	CHECK_ERR_MSG(daxfs_mkdir(fs, "/more", 0755), ENOSPC, NULL);
	check_unmount_fsck(fs, p);
}
