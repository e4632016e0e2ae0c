/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_balloc.c -- white-box tests of balloc.c: the block allocator
 * (contiguity, goals, -ENOSPC, reuse, counters against the bitmaps under
 * random alloc/free sequences).  The bitmap operations it uses are
 * test_bitmap.c's; the inode allocator is test_ialloc.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "ext2/bitmap.h"
#include "ext2/ext2.h"
#include "check.h"

TestSuite(balloc, .fini = test_cleanup, .timeout = 120);

/* ---- the block allocator -------------------------------------------- */

static bool blk_bit(struct daxfs *fs, uint32_t blk)
{
	uint32_t g = (blk - EXT2_SB(fs)->first_data_block) / EXT2_SB(fs)->blocks_per_group;
	uint32_t bit = blk - ext2_group_first_block(EXT2_SB(fs), g);
	const uint8_t *bm = ext2_block(EXT2_SB(fs), le32_get(EXT2_SB(fs)->gdt[g].bg_block_bitmap));

	return bm[bit >> 3] & (1u << (bit & 7));
}

/* Every group: descriptor counter == clear bits; sum == EXT2_SB(fs)->free_blocks. */
static void check_block_counters(struct daxfs *fs, const char *when)
{
	uint64_t sum = 0;
	uint32_t g, n;

	for (g = 0; g < EXT2_SB(fs)->groups_count; g++) {
		CHECK_OK(ext2_count_free_blocks(EXT2_SB(fs), g, &n));
		cr_assert_eq(le16_get(EXT2_SB(fs)->gdt[g].bg_free_blocks_count), n,
			     "%s: group %u: descriptor says %u free, bitmap %u",
			     when, g, le16_get(EXT2_SB(fs)->gdt[g].bg_free_blocks_count),
			     n);
		sum += n;
	}
	cr_assert_eq((uint64_t)atomic_load(&EXT2_SB(fs)->free_blocks), sum,
		     "%s: EXT2_SB(fs)->free_blocks %lld, bitmaps %llu", when,
		     (long long)atomic_load(&EXT2_SB(fs)->free_blocks),
		     (unsigned long long)sum);
}

Test(balloc, count_free_blocks_bad_group)
{
	const char *p;
	daxfs *fs = check_new_fs("cnt", 16 * TEST_MIB, 1024, 0, &p);
	uint32_t n = 77;

	CHECK_ERR_MSG(ext2_count_free_blocks(EXT2_SB(fs), EXT2_SB(fs)->groups_count, &n), EINVAL,
		      "group");
	cr_assert_eq(n, 77);
	check_block_counters(fs, "fresh");
	check_unmount_fsck(fs, p);
}

Test(balloc, new_blocks_contiguous)
{
	const char *p;
	daxfs *fs = check_new_fs("contig", 16 * TEST_MIB, 1024, 0, &p);
	int64_t free0 = atomic_load(&EXT2_SB(fs)->free_blocks);
	uint32_t g0free = le16_get(EXT2_SB(fs)->gdt[0].bg_free_blocks_count);
	uint32_t s, c, i, s2, c2;

	CHECK_OK(ext2_new_blocks(EXT2_SB(fs), 0, 8, &s, &c));
	cr_assert_eq(c, 8, "asked 8 blocks on a fresh fs, got %u", c);
	cr_assert(ext2_block_valid(EXT2_SB(fs), s) && ext2_block_valid(EXT2_SB(fs), s + 7));
	for (i = 0; i < 8; i++)
		cr_assert(blk_bit(fs, s + i), "block %u not marked", s + i);
	cr_assert_eq(atomic_load(&EXT2_SB(fs)->free_blocks), free0 - 8);
	cr_assert_eq(le16_get(EXT2_SB(fs)->gdt[0].bg_free_blocks_count), g0free - 8);
	check_block_counters(fs, "after 8");

	/* The next allocation does not overlap. */
	CHECK_OK(ext2_new_blocks(EXT2_SB(fs), s, 100, &s2, &c2));
	cr_assert_eq(c2, 100);
	cr_assert(s2 >= s + 8 || s2 + c2 <= s, "runs %u+8 and %u+100 overlap",
		  s, s2);
	check_block_counters(fs, "after 108");

	/* max 0 means one block. */
	CHECK_OK(ext2_new_blocks(EXT2_SB(fs), 0, 0, &s2, &c2));
	cr_assert_eq(c2, 1);

	/* A run never crosses the end of its group. */
	CHECK_OK(ext2_new_blocks(EXT2_SB(fs), 8192 - 3, 50, &s2, &c2));
	cr_assert_eq(s2, 8192 - 3);
	cr_assert_eq(c2, 4, "run from %u got %u blocks (group 0 ends at 8192)",
		     s2, c2);
	check_block_counters(fs, "group end");
	ext2_free_blocks(EXT2_SB(fs), s2, c2);
	ext2_free_blocks(EXT2_SB(fs), s, 8);
	check_block_counters(fs, "freed");
	check_unmount(fs);
}

Test(balloc, new_blocks_goal)
{
	const char *p;
	daxfs *fs = check_new_fs("goal", 16 * TEST_MIB, 1024, 0, &p);
	uint32_t s, c, goal = 8193 + 4000, s2, c2;

	cr_assert_eq(EXT2_SB(fs)->groups_count, 2);
	cr_assert(!blk_bit(fs, goal));
	/* A free goal in another group is taken exactly. */
	CHECK_OK(ext2_new_blocks(EXT2_SB(fs), goal, 3, &s, &c));
	cr_assert_eq(s, goal, "goal %u free but got %u", goal, s);
	cr_assert_eq(c, 3);
	/* A taken goal gives the next free block after it. */
	CHECK_OK(ext2_new_blocks(EXT2_SB(fs), goal, 1, &s2, &c2));
	cr_assert_eq(s2, goal + 3, "goal %u taken, got %u", goal, s2);
	/* A goal outside the file system is not an error. */
	CHECK_OK(ext2_new_blocks(EXT2_SB(fs), 0xffffff00u, 1, &s2, &c2));
	cr_assert(ext2_block_valid(EXT2_SB(fs), s2));
	ext2_free_blocks(EXT2_SB(fs), s2, 1);
	ext2_free_blocks(EXT2_SB(fs), goal, 4);
	check_block_counters(fs, "goal");
	check_unmount_fsck(fs, p);
}

/*
 * An aligned allocation (the 2 MiB units of large files) starts on the
 * alignment even when the goal and the blocks after it are taken, takes
 * a whole aligned run where the first aligned block is free but its run
 * is broken, and falls back to any run when no group has an aligned one.
 */
Test(balloc, new_blocks_aligned)
{
	const char *p;
	daxfs *fs = check_new_fs("align", 64 * TEST_MIB, 4096, 0, &p);
	uint32_t s, c, s2, c2, s3, c3, hole, i, first0;
	const uint8_t *bm0 = ext2_block(EXT2_SB(fs), le32_get(EXT2_SB(fs)->gdt[0].bg_block_bitmap));

	first0 = ext2_bitmap_find_zero(bm0, 0, 16384);
	cr_assert_gt(first0, 0);
	cr_assert_neq(first0 % 512, 0, "group 0's metadata ends on a 2 MiB "
		      "boundary (%u): the test needs it not to", first0);
	/* Goal 0 is metadata: the run starts at the first multiple of 512
	 * past it, not at the first free block. */
	CHECK_OK(ext2_new_blocks_aligned(EXT2_SB(fs), 0, 512, 512, &s, &c));
	cr_assert_eq(s % 512, 0, "aligned run at %u", s);
	cr_assert_eq(s, (first0 + 511) / 512 * 512);
	cr_assert_eq(c, 512);
	for (i = 0; i < 512; i++)
		cr_assert(blk_bit(fs, s + i));
	/* The blocks skipped over stay free for anyone. */
	cr_assert(!blk_bit(fs, first0));
	/* An aligned block that is free, but with a taken block inside its
	 * first 512: the run is skipped for the next aligned one. */
	hole = s + 512;
	CHECK_OK(ext2_new_blocks(EXT2_SB(fs), hole + 100, 1, &s2, &c2));
	cr_assert_eq(s2, hole + 100);
	CHECK_OK(ext2_new_blocks_aligned(EXT2_SB(fs), hole, 600, 512, &s3, &c3));
	cr_assert_eq(s3, hole + 512, "run broken at %u: got %u", hole + 100,
		     s3);
	cr_assert_eq(c3, 600, "a run may go on past its first 512 blocks");
	/* Without alignment the broken run's start is taken at once. */
	ext2_free_blocks(EXT2_SB(fs), s3, c3);
	CHECK_OK(ext2_new_blocks_aligned(EXT2_SB(fs), hole, 600, 1, &s3, &c3));
	cr_assert_eq(s3, hole);
	cr_assert_eq(c3, 100);
	ext2_free_blocks(EXT2_SB(fs), s3, c3);
	ext2_free_blocks(EXT2_SB(fs), s2, c2);
	ext2_free_blocks(EXT2_SB(fs), s, c);
	check_block_counters(fs, "aligned");
	check_unmount_fsck(fs, p);
}

/* With every aligned run broken, an aligned request still gets blocks. */
Test(balloc, new_blocks_aligned_falls_back)
{
	const char *p;
	daxfs *fs = check_new_fs("alignfb", 8 * TEST_MIB, 4096, 0, &p);
	uint32_t s, c, b, n = 0, taken[8];

	cr_assert_eq(EXT2_SB(fs)->groups_count, 1);
	/* Take one block in the second half of every 2 MiB unit. */
	for (b = 300; b < EXT2_SB(fs)->blocks_count && n < 8; b += 512) {
		CHECK_OK(ext2_new_blocks(EXT2_SB(fs), b, 1, &s, &c));
		cr_assert_eq(s, b);
		taken[n++] = s;
	}
	CHECK_OK(ext2_new_blocks_aligned(EXT2_SB(fs), 0, 512, 512, &s, &c));
	cr_assert_gt(c, 0);
	cr_assert(ext2_block_valid(EXT2_SB(fs), s) && ext2_block_valid(EXT2_SB(fs), s + c - 1));
	cr_assert_lt(c, 512, "no aligned run of 512 exists, got %u at %u", c,
		     s);
	ext2_free_blocks(EXT2_SB(fs), s, c);
	while (n)
		ext2_free_blocks(EXT2_SB(fs), taken[--n], 1);
	check_block_counters(fs, "fallback");
	check_unmount_fsck(fs, p);
}

Test(balloc, new_blocks_enospc_and_reuse)
{
	const char *p;
	daxfs *fs = check_new_fs("full", 4 * TEST_MIB, 1024, 0, &p);
	int64_t free0 = atomic_load(&EXT2_SB(fs)->free_blocks);
	uint32_t (*runs)[2] = malloc(sizeof(*runs) * 8192);
	uint32_t n = 0, s, c, total = 0, i, g, nf;
	int ret;

	cr_assert(runs);
	for (;;) {
		ret = ext2_new_blocks(EXT2_SB(fs), 0, 37, &s, &c);
		if (ret)
			break;
		cr_assert(c >= 1 && c <= 37);
		runs[n][0] = s;
		runs[n][1] = c;
		n++;
		total += c;
		cr_assert_leq(total, free0);
	}
	cr_assert_eq(ret, -ENOSPC, "got %d (%s)", ret, test_errname(ret));
	check_errormsg("ext2_new_blocks", "free");
	cr_assert_eq(total, free0, "allocated %u blocks of %lld free", total,
		     (long long)free0);
	cr_assert_eq(atomic_load(&EXT2_SB(fs)->free_blocks), 0);
	for (g = 0; g < EXT2_SB(fs)->groups_count; g++) {
		CHECK_OK(ext2_count_free_blocks(EXT2_SB(fs), g, &nf));
		cr_assert_eq(nf, 0);
	}
	CHECK_ERR_MSG(ext2_new_blocks(EXT2_SB(fs), 100, 1, &s, &c), ENOSPC, NULL);
	/* Writes through the API fail the same way. */
	{
		daxfs_file *f;
		char b[1024] = { 1 };

		CHECK_OK(daxfs_open(fs, "/x", O_RDWR | O_CREAT, 0644, &f));
		CHECK_ERR_MSG(daxfs_pwrite(f, b, sizeof(b), 0), ENOSPC, NULL);
		CHECK_OK(daxfs_close(f));
		CHECK_OK(daxfs_unlink(fs, "/x"));
	}

	/* Free one run in the middle: the next allocation gets it back. */
	i = n / 2;
	ext2_free_blocks(EXT2_SB(fs), runs[i][0], runs[i][1]);
	check_block_counters(fs, "one run freed");
	CHECK_OK(ext2_new_blocks(EXT2_SB(fs), 0, 1000, &s, &c));
	cr_assert_eq(s, runs[i][0]);
	cr_assert_eq(c, runs[i][1]);
	/* Free a run and ask for it by goal. */
	ext2_free_blocks(EXT2_SB(fs), runs[1][0] + 1, 1);
	CHECK_OK(ext2_new_blocks(EXT2_SB(fs), runs[1][0] + 1, 5, &s, &c));
	cr_assert_eq(s, runs[1][0] + 1);
	cr_assert_eq(c, 1);

	for (i = 0; i < n; i++)
		ext2_free_blocks(EXT2_SB(fs), runs[i][0], runs[i][1]);
	cr_assert_eq(atomic_load(&EXT2_SB(fs)->free_blocks), free0);
	check_block_counters(fs, "all freed");
	free(runs);
	check_unmount_fsck(fs, p);
}

Test(balloc, runs_stay_in_their_group)
{
	const char *p;
	daxfs *fs = check_new_fs("across", 16 * TEST_MIB, 1024, 0, &p);
	uint32_t s, c, g0 = le16_get(EXT2_SB(fs)->gdt[0].bg_free_blocks_count);
	uint32_t g1 = le16_get(EXT2_SB(fs)->gdt[1].bg_free_blocks_count);
	const uint8_t *bm1 = ext2_block(EXT2_SB(fs), le32_get(EXT2_SB(fs)->gdt[1].bg_block_bitmap));
	uint32_t first1 = 8193 + ext2_bitmap_find_zero(bm1, 0, 8191);

	/* Group 1 starts with metadata (backup superblock, descriptors,
	 * bitmaps, inode table): its first free block is further on. */
	cr_assert_gt(first1, 8193 + 3);
	/* The last 3 blocks of group 0: a run never spills into group 1. */
	CHECK_OK(ext2_new_blocks(EXT2_SB(fs), 8190, 30, &s, &c));
	cr_assert_eq(s, 8190);
	cr_assert_eq(c, 3);
	/* A goal in group 1's metadata gives its first free block. */
	CHECK_OK(ext2_new_blocks(EXT2_SB(fs), 8193, 7, &s, &c));
	cr_assert_eq(s, first1, "got %u, expected group 1's first free %u", s,
		     first1);
	cr_assert_eq(c, 7);
	cr_assert_eq(le16_get(EXT2_SB(fs)->gdt[0].bg_free_blocks_count), g0 - 3);
	cr_assert_eq(le16_get(EXT2_SB(fs)->gdt[1].bg_free_blocks_count), g1 - 7);
	check_block_counters(fs, "two groups");
	ext2_free_blocks(EXT2_SB(fs), 8190, 3);
	ext2_free_blocks(EXT2_SB(fs), first1, 7);
	cr_assert_eq(le16_get(EXT2_SB(fs)->gdt[0].bg_free_blocks_count), g0);
	cr_assert_eq(le16_get(EXT2_SB(fs)->gdt[1].bg_free_blocks_count), g1);
	check_block_counters(fs, "freed");
	cr_assert_eq(le16_get(EXT2_SB(fs)->es->s_state) & EXT2_ERROR_FS, 0);
	check_unmount_fsck(fs, p);
}

Test(balloc, double_free_is_reported_and_ignored)
{
	const char *p;
	daxfs *fs = check_new_fs("dfree", 16 * TEST_MIB, 1024, 0, &p);
	int64_t free0 = atomic_load(&EXT2_SB(fs)->free_blocks);
	uint32_t s, c;

	CHECK_OK(ext2_new_blocks(EXT2_SB(fs), 0, 4, &s, &c));
	ext2_free_blocks(EXT2_SB(fs), s, 4);
	cr_assert_eq(le16_get(EXT2_SB(fs)->es->s_state) & EXT2_ERROR_FS, 0);
	ext2_free_blocks(EXT2_SB(fs), s, 4);
	check_errormsg("double free", "already free");
	cr_assert(le16_get(EXT2_SB(fs)->es->s_state) & EXT2_ERROR_FS);
	cr_assert_eq(atomic_load(&EXT2_SB(fs)->free_blocks), free0);
	check_block_counters(fs, "double free");
	/* Outside the file system: reported, nothing changes. */
	ext2_free_blocks(EXT2_SB(fs), EXT2_SB(fs)->blocks_count - 1, 2);
	check_errormsg("free past the end", "outside");
	cr_assert_eq(atomic_load(&EXT2_SB(fs)->free_blocks), free0);
	check_block_counters(fs, "free past end");
	check_unmount(fs);
}

/* Blocks of a group's metadata (descriptors, bitmaps, inode table) are
 * never freed, whatever a damaged block map says, nor handed out when a
 * damaged bitmap shows them free. */
Test(balloc, metadata_blocks_are_never_freed_nor_handed_out)
{
	const char *p;
	daxfs *fs = check_new_fs("meta", 16 * TEST_MIB, 1024, 0, &p);
	struct ext2_sb_info *sb = EXT2_SB(fs);
	int64_t free0 = atomic_load(&sb->free_blocks);
	uint32_t it = le32_get(sb->gdt[0].bg_inode_table), s, c;
	uint8_t *bm = ext2_block(sb, le32_get(sb->gdt[0].bg_block_bitmap));
	uint32_t bit = it - sb->first_data_block;

	ext2_free_blocks(sb, it, 2);
	check_errormsg("free of the inode table", "metadata");
	ext2_free_blocks(sb, 2, 1); /* the group descriptor block */
	check_errormsg("free of the descriptors", "metadata");
	cr_assert(blk_bit(fs, it) && blk_bit(fs, 2));
	cr_assert_eq(atomic_load(&sb->free_blocks), free0);
	check_block_counters(fs, "metadata free");
	/* A bitmap that shows an inode table block free. */
	ext2_bitmap_clear(bm, bit);
	CHECK_OK(ext2_new_blocks(sb, it, 1, &s, &c));
	cr_assert(s < it || s >= it + sb->itb_per_group,
		  "block %u of the inode table (%u+%u) handed out", s, it,
		  sb->itb_per_group);
	ext2_bitmap_set(bm, bit);
	ext2_free_blocks(sb, s, c);
	check_unmount(fs);
}

Test(balloc, random_alloc_free_keeps_counters)
{
	const char *p;
	daxfs *fs = check_new_fs("rand", 24 * TEST_MIB, 1024, 0, &p);
	int64_t free0 = atomic_load(&EXT2_SB(fs)->free_blocks);
	uint8_t *owned = calloc(EXT2_SB(fs)->blocks_count, 1);
	uint32_t (*runs)[2] = malloc(sizeof(*runs) * 20000);
	uint64_t seed = 777;
	uint32_t n = 0, i, step, held = 0;

	cr_assert(owned && runs);
	cr_assert_eq(EXT2_SB(fs)->groups_count, 3);
	for (step = 0; step < 6000; step++) {
		uint64_t r = test_rand(&seed);

		if (n && (r % 3 == 0 || n >= 20000)) {
			uint32_t k = test_rand(&seed) % n, b;

			for (b = 0; b < runs[k][1]; b++) {
				cr_assert(owned[runs[k][0] + b]);
				owned[runs[k][0] + b] = 0;
			}
			ext2_free_blocks(EXT2_SB(fs), runs[k][0], runs[k][1]);
			held -= runs[k][1];
			runs[k][0] = runs[n - 1][0];
			runs[k][1] = runs[n - 1][1];
			n--;
		} else {
			uint32_t goal = test_rand(&seed) % (EXT2_SB(fs)->blocks_count + 100);
			uint32_t max = 1 + test_rand(&seed) % 64, s, c, b;
			int ret = ext2_new_blocks(EXT2_SB(fs), goal, max, &s, &c);

			if (ret == -ENOSPC)
				continue;
			CHECK_OK(ret);
			cr_assert(c >= 1 && c <= max);
			cr_assert(ext2_block_valid(EXT2_SB(fs), s) &&
				  ext2_block_valid(EXT2_SB(fs), s + c - 1));
			for (b = 0; b < c; b++) {
				cr_assert(!owned[s + b], "block %u handed out "
					  "twice", s + b);
				cr_assert(blk_bit(fs, s + b));
				owned[s + b] = 1;
			}
			runs[n][0] = s;
			runs[n][1] = c;
			n++;
			held += c;
		}
		cr_assert_eq(atomic_load(&EXT2_SB(fs)->free_blocks), free0 - held);
		if (step % 500 == 0)
			check_block_counters(fs, "random");
	}
	check_block_counters(fs, "random end");
	for (i = 0; i < n; i++)
		ext2_free_blocks(EXT2_SB(fs), runs[i][0], runs[i][1]);
	cr_assert_eq(atomic_load(&EXT2_SB(fs)->free_blocks), free0);
	check_block_counters(fs, "all freed");
	cr_assert_eq(le16_get(EXT2_SB(fs)->es->s_state) & EXT2_ERROR_FS, 0);
	free(owned);
	free(runs);
	check_unmount_fsck(fs, p);
}
