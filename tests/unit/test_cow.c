/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cow.c -- white-box tests of atomic writes (ext2/cow.c:
 * ext2_write_cow, ext2_cow_max), driven through the public
 * daxfs_pwrite2(DAXFS_WRITE_ATOMIC) and checked on the internals: the
 * largest write per block size; an overwrite moves exactly its blocks
 * (ext2_bmap before and after), frees the old ones (block bitmap) and
 * keeps i_blocks and the free count; a write over a hole whose indirect
 * leaf is missing makes the leaf; a write that fails (-EFAULT) takes
 * nothing and leaves no journal slot active; a crash in the middle of
 * one (the region file copied inside an outer operation, which the write
 * joins) gives the old bytes and block map back.  test_atomic.c covers
 * the same call black-box.
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
#include "api/vfs.h"
#include "ext2/bitmap.h"
#include "ext2/ext2.h"
#include "ext2/journal_fmt.h"
#include "check.h"

TestSuite(cow, .fini = test_cleanup, .timeout = 120);

#define SIZE (16 * TEST_MIB)
#define BS 4096
#define ATOMIC DAXFS_WRITE_ATOMIC
#define NBLK 16 /* blocks of the test file: 12 direct, 4 behind a leaf */


/* The block logical block lblk of f maps to, 0 for a hole. */
static uint32_t lmap(daxfs_file *f, uint32_t lblk)
{
	uint32_t pblk, n;
	bool is_new;

	CHECK_OK(ext2_bmap(EXT2_I(f->inode), lblk, 1, false, &pblk, &n,
			   &is_new));
	return pblk;
}

/* Is block blk's bit set in the block bitmap? */
static bool block_bit(struct ext2_sb_info *sb, uint32_t blk)
{
	uint32_t g = (blk - sb->first_data_block) / sb->blocks_per_group;

	return ext2_bitmap_test(ext2_block(sb, sb->groups[g].block_bitmap),
				blk - ext2_group_first_block(sb, g));
}

static uint32_t iblocks(daxfs_file *f)
{
	return raw_load32(&EXT2_I(f->inode)->raw->i_blocks);
}

static unsigned long free_blocks(daxfs *fs)
{
	return (unsigned long)check_statfs(fs).f_bfree;
}

/* Every slot of the log idle, none taken. */
static void expect_no_active_slot(daxfs *fs, const char *when)
{
	struct ext2_journal *j = EXT2_SB(fs)->journal;
	uint32_t gen;
	unsigned i;

	cr_assert_not_null(j);
	cr_assert_eq(atomic_load(&j->free_slots), ~0ull, "%s: slots taken",
		     when);
	for (i = 0; i < EXT2_JSLOTS; i++)
		cr_assert_eq(jstate_parse(le64_get(*(le64 *)jslot(j, i)), &gen),
			     0, "%s: slot %u not idle", when, i);
}

/* /f with NBLK blocks of pattern 1; its block map in map[]. */
static daxfs_file *make_file(daxfs *fs, uint32_t map[NBLK])
{
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	uint32_t i;

	check_pwrite_pattern(f, 1, 0, NBLK * BS);
	for (i = 0; i < NBLK; i++)
		map[i] = lmap(f, i);
	cr_assert_eq(iblocks(f), (NBLK + 1) * BS / 512);
	return f;
}

/* Is blk mapped past EOF in f (a block taken ahead)? */
static bool past_eof(daxfs_file *f, uint32_t blk)
{
	uint32_t k;

	for (k = 0; k < 128; k++)
		if (lmap(f, NBLK + k) == blk)
			return true;
	return false;
}

/* The largest atomic write by block size: 1 MiB on 4 KiB and 2 KiB
 * blocks, 512 KiB on 1 KiB blocks. */
static const struct { uint32_t bs; size_t max; } maxes[] = {
	{ 4096, 1u << 20 }, { 2048, 1u << 20 }, { 1024, 512u << 10 },
};

/* ext2_cow_max per block size; over mapped blocks the largest write
 * passes and one byte more is -EINVAL. */
Test(cow, max_by_block_size)
{
	unsigned i;

	for (i = 0; i < 3; i++) {
		const char *p;
		daxfs *fs = check_new_fs("cm", SIZE, maxes[i].bs, 0, &p);
		daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
		unsigned char *buf = calloc(1, maxes[i].max + 1);

		cr_assert(buf);
		cr_assert_eq(ext2_cow_max(EXT2_SB(fs)), maxes[i].max,
			     "%u-byte blocks: %zu", maxes[i].bs,
			     ext2_cow_max(EXT2_SB(fs)));
		check_pwrite_pattern(f, 1, 0, maxes[i].max + 1);
		CHECK_ERR_MSG(daxfs_pwrite2(f, buf, maxes[i].max + 1, 0,
					    ATOMIC), EINVAL, "at most");
		CHECK_EQ(daxfs_pwrite2(f, buf, maxes[i].max, 0, ATOMIC),
			 (long long)maxes[i].max);
		check_close(f);
		check_unmount_fsck(fs, p);
		free(buf);
	}
}

/* The largest atomic write into an empty file (all holes: no old block
 * to free at the commit) passes on every block size. */
Test(cow, largest_write_over_holes)
{
	unsigned i;

	for (i = 0; i < 3; i++) {
		const char *p;
		daxfs *fs = check_new_fs("cm", SIZE, maxes[i].bs, 0, &p);
		daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
		unsigned char *buf = malloc(maxes[i].max);

		cr_assert(buf);
		test_pattern(buf, maxes[i].max, 2, 0);
		CHECK_EQ(daxfs_pwrite2(f, buf, maxes[i].max, 0, ATOMIC),
			 (long long)maxes[i].max);
		check_pread_pattern(f, 2, 0, maxes[i].max);
		check_close(f);
		check_unmount_fsck(fs, p);
		free(buf);
	}
}

/* An unaligned overwrite of blocks 3..7: those five get new blocks
 * (none of the file's old ones), the old five are free, every other
 * pointer, i_blocks and the free count stay. */
Test(cow, overwrite_replaces_exactly_its_blocks)
{
	const char *p;
	daxfs *fs = check_new_fs("c", SIZE, BS, 0, &p);
	struct ext2_sb_info *sb = EXT2_SB(fs);
	uint32_t old[NBLK], nw, i, k, ib0;
	unsigned char buf[4 * BS], *want = malloc(NBLK * BS), *got;
	daxfs_file *f = make_file(fs, old);
	uint64_t pos = 3 * BS + 100;
	unsigned long free0 = free_blocks(fs);
	char cmd[64], *out;

	cr_assert(want);
	got = malloc(NBLK * BS);
	cr_assert(got);
	ib0 = iblocks(f);
	test_pattern(buf, sizeof(buf), 2, 0);
	CHECK_EQ(daxfs_pwrite2(f, buf, sizeof(buf), pos, ATOMIC), sizeof(buf));
	for (i = 0; i < NBLK; i++) {
		nw = lmap(f, i);
		if (i < 3 || i > 7) {
			cr_assert_eq(nw, old[i], "block %u moved", i);
			continue;
		}
		cr_assert(nw && block_bit(sb, nw), "block %u -> %u", i, nw);
		for (k = 0; k < NBLK; k++)
			cr_assert_neq(nw, old[k], "block %u -> old block %u",
				      i, k);
		/* Freed, or put past EOF where a block taken ahead was
		 * (ext2/prealloc.c), to be freed at the close. */
		cr_assert(!block_bit(sb, old[i]) || past_eof(f, old[i]),
			  "old block %u (%u) still in use", i, old[i]);
	}
	cr_assert_eq(iblocks(f) - ext2_prealloc_sectors(EXT2_I(f->inode)),
		     ib0);
	test_pattern(want, NBLK * BS, 1, 0);
	memcpy(want + pos, buf, sizeof(buf));
	CHECK_EQ(daxfs_pread(f, got, NBLK * BS, 0), NBLK * BS);
	cr_assert_eq(test_first_diff(got, want, NBLK * BS), -1);
	check_close(f);
	cr_assert_eq(free_blocks(fs), free0);
	check_unmount_fsck(fs, p);
	snprintf(cmd, sizeof(cmd), "testb %u", old[5]);
	out = test_debugfs(p, cmd, NULL, NULL);
	cr_assert(out && strstr(out, "not in use"), "%s", out ? out : "");
	free(out);
	free(want);
	free(got);
}

/* /h: block 0 written, then grown to 32 blocks (no leaf yet); an atomic
 * write of block 20 makes the leaf from its pool: i_blocks counts 2
 * data blocks and the leaf, 2 blocks leave the free count. */
Test(cow, hole_without_leaf_gets_one)
{
	const char *p;
	daxfs *fs = check_new_fs("c", SIZE, BS, 0, &p);
	daxfs_file *f = check_open(fs, "/h", O_RDWR | O_CREAT, 0644);
	struct ext2_inode *raw = EXT2_I(f->inode)->raw;
	unsigned char buf[BS], got[BS];
	unsigned long free0;
	struct test_dstat st;
	uint32_t ind;

	check_pwrite_pattern(f, 1, 0, BS);
	CHECK_OK(daxfs_ftruncate(f, 32 * BS));
	cr_assert_eq(le32_get(raw->i_block[EXT2_IND_BLOCK]), 0);
	cr_assert_eq(iblocks(f), BS / 512);
	free0 = free_blocks(fs);
	test_pattern(buf, BS, 2, 0);
	CHECK_EQ(daxfs_pwrite2(f, buf, BS, 20 * BS, ATOMIC), BS);
	ind = le32_get(raw->i_block[EXT2_IND_BLOCK]);
	cr_assert(ind && block_bit(EXT2_SB(fs), ind), "leaf %u", ind);
	cr_assert(lmap(f, 20) && block_bit(EXT2_SB(fs), lmap(f, 20)));
	cr_assert_eq(lmap(f, 19), 0);
	cr_assert_eq(iblocks(f), 3 * BS / 512, "i_blocks %u", iblocks(f));
	cr_assert_eq(free_blocks(fs), free0 - 2, "free %lu, were %lu",
		     free_blocks(fs), free0);
	CHECK_EQ(daxfs_pread(f, got, BS, 20 * BS), BS);
	cr_assert_eq(memcmp(got, buf, BS), 0);
	CHECK_EQ(daxfs_pread(f, got, BS, 19 * BS), BS);
	cr_assert_eq(test_first_nonzero(got, BS), -1);
	check_close(f);
	check_unmount_fsck(fs, p);
	cr_assert_eq(test_debugfs_stat(p, "/h", &st), 0);
	cr_assert_eq(st.blockcount, 3 * BS / 512);
}

/* The file as make_file left it: map, i_blocks, free count, size,
 * bytes; nothing on the orphan chain, no slot active. */
static void expect_untouched(daxfs *fs, daxfs_file *f, const uint32_t *old,
			     uint32_t ib0, unsigned long free0,
			     const char *when)
{
	unsigned char *got = malloc(NBLK * BS);
	struct stat st;
	uint32_t i;

	cr_assert(got);
	for (i = 0; i < NBLK; i++)
		cr_assert_eq(lmap(f, i), old[i], "%s: block %u moved", when, i);
	cr_assert_eq(le32_get(EXT2_I(f->inode)->raw->i_block[EXT2_DIND_BLOCK]),
		     0, "%s: a double indirect block", when);
	cr_assert_eq(iblocks(f), ib0, "%s: i_blocks %u, was %u", when,
		     iblocks(f), ib0);
	cr_assert_eq(free_blocks(fs), free0, "%s: free %lu, was %lu", when,
		     free_blocks(fs), free0);
	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert_eq(st.st_size, NBLK * BS, "%s: size", when);
	CHECK_EQ(daxfs_pread(f, got, NBLK * BS, 0), NBLK * BS);
	cr_assert_eq(test_pattern_mismatch(got, NBLK * BS, 1, 0), -1, "%s",
		     when);
	cr_assert_eq(le32_get(EXT2_SB(fs)->es->s_last_orphan), 0, "%s", when);
	expect_no_active_slot(fs, when);
	free(got);
}

/* A buffer whose middle page cannot be read: -EFAULT over mapped
 * blocks, and past EOF over holes needing a pool of indirect blocks
 * (block 2000: a double indirect tree); each takes nothing. */
Test(cow, failed_write_takes_nothing)
{
	const char *p;
	daxfs *fs = check_new_fs("c", SIZE, BS, 0, &p);
	uint32_t old[NBLK], ib0;
	daxfs_file *f = make_file(fs, old);
	unsigned long free0 = free_blocks(fs);
	unsigned char *bad = mmap(NULL, 3 * BS, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	cr_assert(bad != MAP_FAILED);
	test_pattern(bad, 3 * BS, 9, 0);
	cr_assert_eq(mprotect(bad + BS, BS, PROT_NONE), 0);
	ib0 = iblocks(f);
	CHECK_ERR_MSG(daxfs_pwrite2(f, bad, 3 * BS, 2 * BS + 100, ATOMIC),
		      EFAULT, "address");
	expect_untouched(fs, f, old, ib0, free0, "over mapped blocks");
	CHECK_ERR_MSG(daxfs_pwrite2(f, bad, 3 * BS, 2000 * BS, ATOMIC),
		      EFAULT, "address");
	expect_untouched(fs, f, old, ib0, free0, "over holes past EOF");
	check_close(f);
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	cr_assert_str_empty(daxfs_mount_warning(fs));
	check_unmount_fsck(fs, p);
	munmap(bad, 3 * BS);
}

/* A crash in the middle of an atomic write of blocks 1..3: the write
 * joins an outer operation, the region is copied before that commits.
 * The copy mounts with the old bytes and block map; the original has
 * the new bytes. */
Test(cow, crash_mid_write_gives_the_old_file)
{
	const char *p, *c = test_image_path("cc");
	daxfs *fs = check_new_fs("c", SIZE, BS, 0, &p);
	uint32_t old[NBLK], i;
	daxfs_file *f = make_file(fs, old);
	unsigned char buf[2 * BS], *want = malloc(NBLK * BS);
	unsigned char *got = malloc(NBLK * BS);
	uint64_t pos = BS + 10;
	struct ext2_jh h;

	cr_assert(want && got);
	test_pattern(buf, sizeof(buf), 2, 0);
	ext2_jbegin(EXT2_SB(fs), &h);
	CHECK_EQ(daxfs_pwrite2(f, buf, sizeof(buf), pos, ATOMIC), sizeof(buf));
	cr_assert_neq(lmap(f, 1), old[1]); /* switched, not committed */
	check_copy_image(p, c);
	ext2_jcommit(&h);
	check_close(f);
	check_unmount_fsck(fs, p);

	test_pattern(want, NBLK * BS, 1, 0);
	memcpy(want + pos, buf, sizeof(buf));
	fs = check_mount(p, DAXFS_MOUNT_RDONLY);
	f = check_open(fs, "/f", O_RDONLY, 0);
	CHECK_EQ(daxfs_pread(f, got, NBLK * BS, 0), NBLK * BS);
	cr_assert_eq(test_first_diff(got, want, NBLK * BS), -1, "original");
	check_close(f);
	check_unmount(fs);

	fs = check_mount(c, 0);
	cr_assert_str_empty(daxfs_mount_warning(fs));
	f = check_open(fs, "/f", O_RDONLY, 0);
	for (i = 0; i < NBLK; i++)
		cr_assert_eq(lmap(f, i), old[i], "crash copy: block %u", i);
	CHECK_EQ(daxfs_pread(f, got, NBLK * BS, 0), NBLK * BS);
	cr_assert_eq(test_pattern_mismatch(got, NBLK * BS, 1, 0), -1,
		     "crash copy");
	check_close(f);
	check_unmount_fsck(fs, c);
	free(want);
	free(got);
}
