/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_bmap.c -- white-box tests of the block map, bmap.c and its
 * truncate half bmap_free.c: the ext2 block map at every
 * level of indirection (1K and 4K blocks), holes and contiguous runs as
 * ext2_bmap reports them, i_blocks accounting, truncate freeing exactly
 * the blocks past the cut, the largest file size (-EFBIG), and the extent
 * cache never answering with blocks a truncate freed.
 *
 * Data goes in through daxfs_pwrite; ext2_bmap must then name a block
 * whose bytes in the region are the bytes written.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "ext2/ext2.h"
#include "check.h"

TestSuite(bmap, .fini = test_cleanup, .timeout = 300);

/* ---- helpers --------------------------------------------------------- */

static void write_block(daxfs_file *f, uint32_t bs, uint64_t lblk)
{
	unsigned char *buf = malloc(bs);

	cr_assert(buf);
	test_pattern(buf, bs, 1000 + lblk, 0);
	CHECK_EQ(daxfs_pwrite(f, buf, bs, (off_t)(lblk * bs)), bs);
	free(buf);
}

/* lblk must be mapped to a block holding what write_block wrote. */
static uint32_t check_mapped(struct daxfs *fs, struct ext2_inode_info *inode,
			     uint64_t lblk)
{
	uint32_t bs = EXT2_SB(fs)->blocksize, pblk = 0, count = 0;
	unsigned char *want = malloc(bs);
	bool is_new = true;

	cr_assert(want);
	CHECK_OK(ext2_bmap(inode, lblk, 1, false, &pblk, &count, &is_new));
	cr_assert_neq(pblk, 0, "logical block %llu is not mapped",
		      (unsigned long long)lblk);
	cr_assert_eq(count, 1);
	cr_assert(!is_new);
	cr_assert(ext2_block_valid(EXT2_SB(fs), pblk), "block %u out of range", pblk);
	test_pattern(want, bs, 1000 + lblk, 0);
	cr_assert(!memcmp(EXT2_SB(fs)->base + (uint64_t)pblk * bs, want, bs),
		  "logical block %llu -> %u: the region holds other bytes",
		  (unsigned long long)lblk, pblk);
	free(want);
	return pblk;
}

static uint32_t bmap_hole(struct ext2_inode_info *inode, uint64_t lblk,
			  uint32_t max)
{
	uint32_t pblk = 77, count = 0;
	bool is_new = true;

	CHECK_OK(ext2_bmap(inode, lblk, max, false, &pblk, &count, &is_new));
	cr_assert_eq(pblk, 0, "logical block %llu should be a hole, maps to %u",
		     (unsigned long long)lblk, pblk);
	cr_assert(!is_new);
	cr_assert(count >= 1 && count <= max, "hole at %llu: count %u, max %u",
		  (unsigned long long)lblk, count, max);
	return count;
}

/* Indirect blocks needed to map the logical blocks pos[0..n). */
static uint32_t meta_blocks(const uint64_t *pos, size_t n, uint32_t apb)
{
	uint64_t keys[64];
	size_t nk = 0, i, k;

	for (i = 0; i < n; i++) {
		uint64_t b = pos[i], off[4] = { 0 };
		int depth, d;

		if (b < 12)
			continue;
		b -= 12;
		if (b < apb) {
			depth = 2;
			off[0] = 12;
			off[1] = b;
		} else if ((b -= apb) < (uint64_t)apb * apb) {
			depth = 3;
			off[0] = 13;
			off[1] = b / apb;
			off[2] = b % apb;
		} else {
			b -= (uint64_t)apb * apb;
			depth = 4;
			off[0] = 14;
			off[1] = b / apb / apb;
			off[2] = b / apb % apb;
			off[3] = b % apb;
		}
		for (d = 1; d < depth; d++) {
			uint64_t key = off[0] << 40 | (uint64_t)d << 32 |
				       (d > 1 ? off[1] << 12 : 0) |
				       (d > 2 ? off[2] : 0);

			for (k = 0; k < nk && keys[k] != key; k++)
				;
			if (k == nk) {
				cr_assert_lt(nk, 64);
				keys[nk++] = key;
			}
		}
	}
	return nk;
}

static uint64_t bfree(daxfs *fs)
{
	struct statvfs st;

	CHECK_OK(daxfs_statfs(fs, &st));
	return st.f_bfree;
}

static uint32_t iblocks(struct ext2_inode_info *inode)
{
	return le32_get(inode->raw->i_blocks);
}

/*
 * The largest file the Linux ext2 driver allows (ext2_max_size() in
 * fs/ext2/super.c), worked out by hand, not by libdaxfs's formula.
 * 1 KiB and 2 KiB blocks: the block tree is the limit, 12 + 256 + 256^2 +
 * 256^3 = 16,843,020 blocks, and 12 + 512 + 512^2 + 512^3 = 134,480,396
 * blocks.  4 KiB blocks: i_blocks counts at most 2^32 - 1 sectors, that is
 * 536,870,911 blocks, data and indirect blocks together; a file that large
 * needs 1 + (1 + 1024) + (1 + 523,263 + 511) = 524,801 indirect blocks,
 * which leaves 536,346,110 blocks of data.
 */
static uint64_t linux_max_size(uint32_t bs)
{
	switch (bs) {
	case 1024:
		return 17247252480ULL;  /* 16,843,020 * 1024 */
	case 2048:
		return 275415851008ULL; /* 134,480,396 * 2048 */
	case 4096:
		return 2196873666560ULL; /* 536,346,110 * 4096 */
	}
	cr_assert_fail("no ext2 block size %u", bs);
	return 0;
}

/* ---- every level of indirection, then truncate at each boundary ------ */

static void all_levels(uint32_t bs, uint64_t size)
{
	const char *p;
	daxfs *fs = check_new_fs(bs == 1024 ? "lv1k" : "lv4k", size, bs, 0, &p);
	uint64_t apb = bs / 4, maxsz = ext2_max_file_size(EXT2_SB(fs));
	uint64_t last = maxsz / bs - 1;
	uint64_t pos[] = { 0, 11, 12, 12 + apb - 1, 12 + apb,
			   12 + apb + apb * apb - 1, 12 + apb + apb * apb,
			   last };
	const size_t npos = sizeof(pos) / sizeof(pos[0]);
	/* Truncate points (blocks), each followed by the positions kept. */
	const uint64_t cuts[] = { 12 + apb + apb * apb + 1,
				  12 + apb + apb * apb, 12 + apb, 12, 11, 1,
				  0 };
	uint32_t spb = bs / 512, nmeta, pb[8];
	struct ext2_inode_info *inode;
	uint64_t free0, before;
	daxfs_file *f;
	size_t i, c;

	cr_assert_eq(maxsz, linux_max_size(bs), "%llu bytes, Linux allows %llu",
		     (unsigned long long)maxsz,
		     (unsigned long long)linux_max_size(bs));
	cr_assert_gt(last, 12 + apb + apb * apb);
	free0 = bfree(fs);
	CHECK_OK(daxfs_open(fs, "/f", O_RDWR | O_CREAT, 0644, &f));
	inode = EXT2_I(f->inode);
	for (i = 0; i < npos; i++)
		write_block(f, bs, pos[i]);
	for (i = 0; i < npos; i++) {
		size_t j;

		pb[i] = check_mapped(fs, inode, pos[i]);
		for (j = 0; j < i; j++)
			cr_assert_neq(pb[i], pb[j], "two logical blocks share "
				      "block %u", pb[i]);
	}
	/* The blocks around each written one are holes. */
	cr_assert_eq(bmap_hole(inode, 1, 1), 1);
	cr_assert_eq(bmap_hole(inode, 13, 1), 1);
	cr_assert_eq(bmap_hole(inode, 12 + apb + 1, 1), 1);
	cr_assert_eq(bmap_hole(inode, 12 + apb + apb * apb + 1, 1), 1);
	cr_assert_eq(bmap_hole(inode, last - 1, 1), 1);
	/* Beyond the block map. */
	{
		uint32_t pblk, count;
		bool is_new;
		uint64_t beyond = 12 + apb + apb * apb + apb * apb * apb;

		if (beyond <= UINT32_MAX)
			CHECK_ERR_MSG(ext2_bmap(inode, beyond, 1, true, &pblk,
						 &count, &is_new), EFBIG, NULL);
	}

	nmeta = meta_blocks(pos, npos, apb);
	cr_assert_eq(nmeta, 9, "%u indirect blocks", nmeta);
	cr_assert_eq(iblocks(inode), (npos + nmeta) * spb,
		     "i_blocks %u, expected (%zu data + %u indirect) * %u",
		     iblocks(inode), npos, nmeta, spb);
	cr_assert_eq(free0 - bfree(fs), npos + nmeta);
	CHECK_OK(daxfs_close(f));
	check_unmount(fs);
	cr_assert_eq(test_e2fsck(p, NULL), 0);

	/* Truncate down through every boundary. */
	fs = check_mount(p, 0);
	CHECK_OK(daxfs_open(fs, "/f", O_RDWR, 0, &f));
	inode = EXT2_I(f->inode);
	for (c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		uint64_t kept[8];
		size_t nk = 0, ngone = 0;
		uint32_t mk, mall;
		uint64_t freed, want;

		for (i = 0; i < npos; i++) {
			if (pos[i] < cuts[c])
				kept[nk++] = pos[i];
			else
				ngone++;
		}
		/* Positions still in the file before this cut. */
		{
			uint64_t prev[8];
			size_t np = 0;
			uint64_t lim = c ? cuts[c - 1] : UINT64_MAX;

			for (i = 0; i < npos; i++)
				if (pos[i] < lim)
					prev[np++] = pos[i];
			mall = meta_blocks(prev, np, apb);
			ngone -= npos - np;
		}
		mk = meta_blocks(kept, nk, apb);
		before = bfree(fs);
		CHECK_OK(daxfs_ftruncate(f, (off_t)(cuts[c] * bs)));
		freed = bfree(fs) - before;
		want = ngone + (mall - mk);
		cr_assert_eq(freed, want, "truncate to block %llu freed %llu "
			     "blocks, expected %llu (%zu data + %u indirect)",
			     (unsigned long long)cuts[c],
			     (unsigned long long)freed,
			     (unsigned long long)want, ngone, mall - mk);
		cr_assert_eq(iblocks(inode), (nk + mk) * spb,
			     "after truncate to %llu: i_blocks %u, expected %llu",
			     (unsigned long long)cuts[c], iblocks(inode),
			     (unsigned long long)(nk + mk) * spb);
		for (i = 0; i < nk; i++)
			check_mapped(fs, inode, kept[i]);
		for (i = 0; i < npos; i++)
			if (pos[i] >= cuts[c])
				bmap_hole(inode, pos[i], 1);
		cr_assert_eq(ext2_i_size(inode), cuts[c] * bs);
	}
	cr_assert_eq(iblocks(inode), 0);
	for (i = 0; i < 15; i++)
		cr_assert_eq(inode->raw->i_block[i], 0, "i_block[%zu] left", i);
	cr_assert_eq(bfree(fs), free0);
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, p);
}

Test(bmap, all_levels_1k)
{
	all_levels(1024, 8 * TEST_MIB);
}

Test(bmap, all_levels_4k)
{
	all_levels(4096, 16 * TEST_MIB);
}

/* ---- holes ----------------------------------------------------------- */

/* A hole is reported whole: up to the next mapped block or max, across
 * the ends of leaves and missing subtrees. */
Test(bmap, holes_are_reported_whole)
{
	const char *p;
	daxfs *fs = check_new_fs("hole", 16 * TEST_MIB, 4096, 0, &p);
	const uint32_t D = 12 + 1024; /* first double indirect block */
	struct ext2_inode_info *inode;
	daxfs_file *f;

	CHECK_OK(daxfs_open(fs, "/f", O_RDWR | O_CREAT, 0644, &f));
	inode = EXT2_I(f->inode);
	/* An empty file is one hole. */
	cr_assert_eq(bmap_hole(inode, 0, 1000), 1000);
	cr_assert_eq(bmap_hole(inode, 5, 1000), 1000);
	cr_assert_eq(bmap_hole(inode, 12, 5000), 5000);
	cr_assert_eq(bmap_hole(inode, 12 + 1000, 5000), 5000);
	cr_assert_eq(bmap_hole(inode, D + 1024 * 1024 - 3, 5000), 5000);
	cr_assert_eq(bmap_hole(inode, 7, 1), 1);

	write_block(f, 4096, 0);
	write_block(f, 4096, 5);
	write_block(f, 4096, 100);
	write_block(f, 4096, D + 2000);
	check_mapped(fs, inode, 0);
	check_mapped(fs, inode, 5);
	check_mapped(fs, inode, 100);
	check_mapped(fs, inode, D + 2000);
	cr_assert_eq(bmap_hole(inode, 1, 1000), 4);
	cr_assert_eq(bmap_hole(inode, 1, 3), 3);
	/* From the direct slots into the indirect leaf. */
	cr_assert_eq(bmap_hole(inode, 6, 1000), 94);
	cr_assert_eq(bmap_hole(inode, 11, 1000), 89);
	cr_assert_eq(bmap_hole(inode, 12, 1000), 88);
	cr_assert_eq(bmap_hole(inode, 50, 1000), 50);
	cr_assert_eq(bmap_hole(inode, 101, 10), 10);
	/* From the indirect leaf through missing double indirect leaves. */
	cr_assert_eq(bmap_hole(inode, 101, 5000), D + 2000 - 101);
	cr_assert_eq(bmap_hole(inode, D, 5000), 2000);
	cr_assert_eq(bmap_hole(inode, D + 1024, 5000), 2000 - 1024);
	cr_assert_eq(bmap_hole(inode, D + 1999, 5000), 1);
	/* Past the last mapped block: max. */
	cr_assert_eq(bmap_hole(inode, D + 2001, 5000), 5000);
	cr_assert_eq(bmap_hole(inode, D + 2048, 0xffffff), 0xffffff);
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, p);
}

/*
 * The example of the test plan: blocks 0 and 100 mapped, bmap(1, 1000)
 * is a hole of 99 blocks (up to the next mapped block), though the hole
 * crosses from the direct slots into the indirect leaf.
 */
Test(bmap, hole_up_to_next_mapped_block_across_leaves)
{
	const char *p;
	daxfs *fs = check_new_fs("hole99", 16 * TEST_MIB, 4096, 0, &p);
	struct ext2_inode_info *inode;
	daxfs_file *f;

	CHECK_OK(daxfs_open(fs, "/f", O_RDWR | O_CREAT, 0644, &f));
	inode = EXT2_I(f->inode);
	write_block(f, 4096, 0);
	write_block(f, 4096, 100);
	cr_assert_eq(bmap_hole(inode, 1, 1000), 99,
		     "bmap(1, 1000) on a file with blocks 0 and 100: hole of "
		     "%u blocks, expected 99", bmap_hole(inode, 1, 1000));
	CHECK_OK(daxfs_close(f));
	check_unmount(fs);
}

/* Walking a sparse file extent by extent gives exactly the model. */
Test(bmap, extent_walk_matches_model)
{
	const char *p;
	daxfs *fs = check_new_fs("walk", 32 * TEST_MIB, 1024, 0, &p);
	const uint32_t n = 12 + 256 + 3 * 256 + 40;
	uint8_t *written = calloc(n, 1);
	struct ext2_inode_info *inode;
	uint64_t seed = 99;
	daxfs_file *f;
	uint32_t l, i, extents = 0;

	cr_assert(written);
	CHECK_OK(daxfs_open(fs, "/f", O_RDWR | O_CREAT, 0644, &f));
	inode = EXT2_I(f->inode);
	for (i = 0; i < n / 3; i++) {
		uint32_t b = test_rand(&seed) % n, k, len = 1 + test_rand(&seed) % 6;

		for (k = b; k < b + len && k < n; k++) {
			write_block(f, 1024, k);
			written[k] = 1;
		}
	}
	for (l = 0; l < n;) {
		uint32_t pblk, count, max = n - l;
		bool is_new;

		CHECK_OK(ext2_bmap(inode, l, max, false, &pblk, &count,
				    &is_new));
		cr_assert(count >= 1 && count <= max);
		extents++;
		for (i = 0; i < count; i++) {
			cr_assert_eq(written[l + i], pblk != 0,
				     "block %u: written %d but bmap says %u",
				     l + i, written[l + i], pblk);
			if (pblk) {
				cr_assert_eq(check_mapped(fs, inode, l + i),
					     pblk + i);
			}
		}
		/* A hole is maximal; a run is maximal within its leaf. */
		if (l + count < n && !pblk)
			cr_assert(written[l + count], "hole at %u stopped early "
				  "at %u", l, l + count);
		if (l + count < n && pblk && (l + count) != 12 &&
		    ((l + count - 12) % 256) != 0) {
			uint32_t p2, c2;

			CHECK_OK(ext2_bmap(inode, l + count, 1, false, &p2,
					    &c2, &is_new));
			cr_assert_neq(p2, pblk + count, "run at %u stopped early",
				      l);
		}
		l += count;
	}
	cr_assert_lt(extents, n);
	free(written);
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, p);
}

/* ---- contiguous runs ------------------------------------------------- */

Test(bmap, contiguous_runs)
{
	const char *p;
	daxfs *fs = check_new_fs("run", 16 * TEST_MIB, 4096, 0, &p);
	struct ext2_inode_info *inode;
	unsigned char *buf = malloc(40 * 4096);
	uint32_t pblk, count, p12, c12;
	uint64_t free0;
	daxfs_file *f;
	bool is_new;
	int i;

	cr_assert(buf);
	for (i = 0; i < 40; i++)
		test_pattern(buf + i * 4096, 4096, 1000 + i, 0);
	CHECK_OK(daxfs_open(fs, "/f", O_RDWR | O_CREAT, 0644, &f));
	inode = EXT2_I(f->inode);
	CHECK_EQ(daxfs_pwrite(f, buf, 40 * 4096, 0), 40 * 4096);
	/* The indirect block lives apart from the data, so the run of the
	 * direct slots goes on into the indirect leaf: one extent. */
	CHECK_OK(ext2_bmap(inode, 0, 40, false, &pblk, &count, &is_new));
	cr_assert_eq(count, 40, "run of %u blocks across the leaves", count);
	CHECK_OK(ext2_bmap(inode, 12, 28, false, &p12, &c12, &is_new));
	cr_assert_eq(c12, 28, "indirect run of %u blocks", c12);
	cr_assert_eq(p12, pblk + 12);
	for (i = 0; i < 40; i++)
		check_mapped(fs, inode, i);
	/* max bounds the run; a run may start in the middle. */
	CHECK_OK(ext2_bmap(inode, 2, 5, false, &pblk, &count, &is_new));
	cr_assert_eq(count, 5);
	cr_assert_eq(pblk, check_mapped(fs, inode, 2));
	CHECK_OK(ext2_bmap(inode, 20, 1000, false, &pblk, &count, &is_new));
	cr_assert_eq(count, 20);
	cr_assert_eq(pblk, p12 + 8);
	/* 40 data blocks and one indirect block. */
	cr_assert_eq(iblocks(inode), 41 * 8);

	/* Overwriting allocates nothing. */
	free0 = bfree(fs);
	CHECK_EQ(daxfs_pwrite(f, buf, 40 * 4096, 0), 40 * 4096);
	cr_assert_eq(bfree(fs), free0);
	cr_assert_eq(iblocks(inode), 41 * 8);

	/* create=true over a mapped block returns it, not new. */
	CHECK_OK(ext2_bmap(inode, 3, 1, true, &pblk, &count, &is_new));
	cr_assert(!is_new);
	cr_assert_eq(pblk, check_mapped(fs, inode, 3));
	/* create=true over a hole: zeroed, new, accounted. */
	CHECK_OK(ext2_bmap(inode, 500, 3, true, &pblk, &count, &is_new));
	cr_assert(is_new);
	cr_assert(count >= 1 && count <= 3);
	for (i = 0; i < (int)(count * 4096); i++)
		cr_assert_eq(EXT2_SB(fs)->base[(uint64_t)pblk * 4096 + i], 0);
	cr_assert_eq(iblocks(inode), (41 + count) * 8);
	cr_assert_eq(free0 - bfree(fs), count);
	free(buf);
	CHECK_OK(daxfs_close(f));
	/* Blocks past i_size: let ftruncate tidy up for e2fsck. */
	CHECK_OK(daxfs_open(fs, "/f", O_RDWR, 0, &f));
	inode = EXT2_I(f->inode); /* the closed file's may be evicted */
	CHECK_OK(daxfs_ftruncate(f, 501 * 4096));
	CHECK_OK(daxfs_ftruncate(f, 40 * 4096));
	cr_assert_eq(iblocks(inode), 41 * 8);
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, p);
}

/* The block of lblk (< 12 + 1024 + 1024 * 1024, 4 KiB blocks) read off
 * the media's pointers, past every cache. */
static uint32_t media_block(struct daxfs *fs, struct ext2_inode_info *inode,
			    uint32_t lblk)
{
	const le32 *ind;

	if (lblk < 12)
		return le32_get(inode->raw->i_block[lblk]);
	if (lblk < 12 + 1024) {
		ind = ext2_block(EXT2_SB(fs), le32_get(inode->raw->i_block[12]));
		return le32_get(ind[lblk - 12]);
	}
	lblk -= 12 + 1024;
	ind = ext2_block(EXT2_SB(fs), le32_get(inode->raw->i_block[13]));
	ind = ext2_block(EXT2_SB(fs), le32_get(ind[lblk / 1024]));
	return le32_get(ind[lblk % 1024]);
}

/*
 * A run the extent cache holds only up to the end of its leaf goes on,
 * in the answer, into the next leaf where the blocks do: a 2 MiB fault at
 * a unit that straddles the end of a cached run must see the whole unit.
 */
Test(bmap, cached_run_continues_into_next_leaf)
{
	const char *p;
	daxfs *fs = check_new_fs("cont", 64 * TEST_MIB, 4096, 0, &p);
	size_t len = 2048 * 4096;
	unsigned char *buf = malloc(len);
	struct ext2_inode_info *inode;
	uint32_t pblk, count, cp, cc, want;
	daxfs_file *f;
	bool is_new;

	cr_assert(buf);
	test_pattern(buf, len, 7, 0);
	CHECK_OK(daxfs_open(fs, "/big", O_RDWR | O_CREAT, 0644, &f));
	inode = EXT2_I(f->inode);
	CHECK_EQ(daxfs_pwrite(f, buf, len, 0), len);
	/* A lookup at 0 caches the run of the first indirect leaf, which
	 * ends at block 1036 (12 direct + 1024 slots). */
	CHECK_OK(ext2_bmap(inode, 0, 20, false, &pblk, &count, &is_new));
	cr_assert(ext2_extent_cache_lookup(inode, 1024, 512, &cp, &cc));
	cr_assert_eq(cc, 12, "the cached run should end with its leaf at "
		     "1036, it has %u blocks from 1024", cc);
	/* What the media says: blocks contiguous from 1024. */
	pblk = media_block(fs, inode, 1024);
	cr_assert_neq(pblk, 0);
	for (want = 1; want < 512; want++)
		if (media_block(fs, inode, 1024 + want) != pblk + want)
			break;
	cr_assert_gt(want, 12, "the file's blocks break at the leaf end "
		     "(allocator?): nothing to continue");
	CHECK_OK(ext2_bmap(inode, 1024, 512, false, &cp, &count, &is_new));
	cr_assert_eq(cp, pblk);
	cr_assert_eq(count, want, "run from 1024: %u blocks, the media has "
		     "%u", count, want);
	free(buf);
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, p);
}

/* ---- truncate inside a double indirect tree -------------------------- */

static void truncate_partial(uint32_t bs, uint64_t size)
{
	const char *p;
	daxfs *fs = check_new_fs("trunc", size, bs, 0, &p);
	uint64_t apb = bs / 4, L = 12 + apb, n = 3 * apb + 1;
	uint64_t cut = L + apb + 5, i, before, freed;
	unsigned char *buf = malloc(n * bs), *rd = malloc(bs);
	struct ext2_inode_info *inode;
	daxfs_file *f;
	uint32_t ib;

	cr_assert(buf && rd);
	for (i = 0; i < n; i++)
		test_pattern(buf + i * bs, bs, 1000 + L + i, 0);
	CHECK_OK(daxfs_open(fs, "/f", O_RDWR | O_CREAT, 0644, &f));
	inode = EXT2_I(f->inode);
	CHECK_EQ(daxfs_pwrite(f, buf, n * bs, (off_t)(L * bs)), n * bs);
	/* n data blocks, the double indirect block and 4 leaves. */
	cr_assert_eq(iblocks(inode), (n + 5) * (bs / 512));
	ib = iblocks(inode);
	before = bfree(fs);
	/* Cut 100 bytes into block cut - 1. */
	CHECK_OK(daxfs_ftruncate(f, (off_t)(cut * bs - (bs - 100))));
	freed = bfree(fs) - before;
	/* Leaf 1 keeps slots 0..4; leaves 2 and 3 go with their blocks. */
	cr_assert_eq(freed, (apb - 5) + (apb + 1) + 2,
		     "freed %llu blocks, expected %llu",
		     (unsigned long long)freed,
		     (unsigned long long)((apb - 5) + (apb + 1) + 2));
	cr_assert_eq(iblocks(inode), ib - freed * (bs / 512));
	for (i = L; i < cut; i++)
		check_mapped(fs, inode, i == cut - 1 ? L : i);
	bmap_hole(inode, cut, 1);
	/* The tail of the last block reads as zeros after growing again. */
	CHECK_OK(daxfs_ftruncate(f, (off_t)(cut * bs)));
	CHECK_EQ(daxfs_pread(f, rd, bs, (off_t)((cut - 1) * bs)), bs);
	cr_assert(!memcmp(rd, buf + (cut - 1 - L) * bs, 100));
	for (i = 100; i < bs; i++)
		cr_assert_eq(rd[i], 0, "byte %llu past the cut reads %u",
			     (unsigned long long)i, rd[i]);
	free(buf);
	free(rd);
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, p);
}

Test(bmap, truncate_partial_1k)
{
	truncate_partial(1024, 8 * TEST_MIB);
}

Test(bmap, truncate_partial_4k)
{
	truncate_partial(4096, 32 * TEST_MIB);
}

/* ---- the largest file ------------------------------------------------ */

static void efbig(uint32_t bs, uint64_t size)
{
	const char *p;
	daxfs *fs = check_new_fs("efbig", size, bs, 0, &p);
	uint64_t max = ext2_max_file_size(EXT2_SB(fs));
	unsigned char *buf = calloc(2, bs);
	struct stat st;
	daxfs_file *f;

	cr_assert(buf);
	cr_assert_eq(max, linux_max_size(bs), "%llu bytes, Linux allows %llu",
		     (unsigned long long)max,
		     (unsigned long long)linux_max_size(bs));
	CHECK_OK(daxfs_open(fs, "/f", O_RDWR | O_CREAT, 0644, &f));
	CHECK_ERR_MSG(daxfs_pwrite(f, buf, 1, (off_t)max), EFBIG, NULL);
	CHECK_ERR_MSG(daxfs_pwrite(f, buf, bs, (off_t)max + 12345), EFBIG,
		      NULL);
	CHECK_ERR_MSG(daxfs_pwrite(f, buf, 1, (off_t)1 << 62), EFBIG, NULL);
	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert_eq(st.st_size, 0);
	cr_assert_eq(st.st_blocks, 0);
	/* Straddling the limit: only the bytes below it are written. */
	CHECK_EQ(daxfs_pwrite(f, buf, 2 * bs, (off_t)(max - bs)), bs);
	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert_eq((uint64_t)st.st_size, max);
	CHECK_EQ(daxfs_pwrite(f, buf, 1, (off_t)(max - 1)), 1);
	CHECK_ERR_MSG(daxfs_ftruncate(f, (off_t)max + 1), EFBIG, NULL);
	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert_eq((uint64_t)st.st_size, max);
	CHECK_OK(daxfs_ftruncate(f, 0));
	CHECK_OK(daxfs_ftruncate(f, (off_t)max));
	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert_eq((uint64_t)st.st_size, max);
	cr_assert_eq(st.st_blocks, 0);
	CHECK_OK(daxfs_ftruncate(f, 0));
	free(buf);
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, p);
}

Test(bmap, efbig_1k)
{
	efbig(1024, 8 * TEST_MIB);
}

Test(bmap, efbig_2k)
{
	efbig(2048, 8 * TEST_MIB);
}

Test(bmap, efbig_4k)
{
	efbig(4096, 16 * TEST_MIB);
}

/*
 * The extent cache answers lookups after reads, forgets everything at a
 * truncate, and never hands out blocks that were freed and given to
 * another file: on a small file system the second file must reuse them.
 */
Test(bmap, extent_cache_forgets_freed_blocks)
{
	const char *p;
	daxfs *fs = check_new_fs("xc", 16 * TEST_MIB, 4096, 0, &p);
	const uint32_t n = 1536; /* 6 MiB: two files cannot both fit twice */
	unsigned char *buf = malloc((size_t)n * 4096), *got = malloc(4096);
	uint32_t pblk, count, old5, i;
	daxfs_file *a, *b;

	cr_assert(buf && got);
	for (i = 0; i < n; i++)
		test_pattern(buf + (size_t)i * 4096, 4096, 1000 + i, 0);
	CHECK_OK(daxfs_open(fs, "/a", O_RDWR | O_CREAT, 0644, &a));
	CHECK_EQ(daxfs_pwrite(a, buf, (size_t)n * 4096, 0),
		 (long long)n * 4096);
	for (i = 0; i < n; i++)
		check_mapped(fs, EXT2_I(a->inode), i);
	cr_assert(ext2_extent_cache_lookup(EXT2_I(a->inode), 5, 1, &pblk, &count),
		  "a lookup after reads is answered by the cache");
	old5 = check_mapped(fs, EXT2_I(a->inode), 5);
	cr_assert_eq(pblk, old5);
	cr_assert(ext2_extent_cache_lookup(EXT2_I(a->inode), 1400, 1, &pblk, &count));
	cr_assert_eq(pblk, check_mapped(fs, EXT2_I(a->inode), 1400));

	CHECK_OK(daxfs_ftruncate(a, 0));
	cr_assert(!ext2_extent_cache_lookup(EXT2_I(a->inode), 5, 1, &pblk, &count),
		  "truncate empties the cache");
	bmap_hole(EXT2_I(a->inode), 5, 1);

	/* /b takes the freed blocks (16 MiB leaves no room elsewhere). */
	for (i = 0; i < n; i++)
		test_pattern(buf + (size_t)i * 4096, 4096, 9000 + i, 0);
	CHECK_OK(daxfs_open(fs, "/b", O_RDWR | O_CREAT, 0644, &b));
	CHECK_EQ(daxfs_pwrite(b, buf, (size_t)n * 4096, 0),
		 (long long)n * 4096);
	{
		bool reused = false;

		for (i = 0; i < n && !reused; i++) {
			bool is_new;

			CHECK_OK(ext2_bmap(EXT2_I(b->inode), i, 1, false, &pblk,
					    &count, &is_new));
			reused = pblk == old5;
		}
		cr_assert(reused, "/b reuses block %u that /a freed", old5);
	}
	/* /a again: every block read back is /a's, through the cache too. */
	for (i = 0; i < n / 2; i++)
		test_pattern(buf + (size_t)i * 4096, 4096, 1000 + i, 0);
	CHECK_EQ(daxfs_pwrite(a, buf, (size_t)(n / 2) * 4096, 0),
		 (long long)(n / 2) * 4096);
	for (int pass = 0; pass < 2; pass++)
		for (i = 0; i < n / 2; i++) {
			test_pattern(buf, 4096, 1000 + i, 0);
			CHECK_EQ(daxfs_pread(a, got, 4096, (off_t)i * 4096),
				 4096);
			cr_assert(!memcmp(got, buf, 4096), "pass %d: block %u "
				  "of /a reads other bytes", pass, i);
			check_mapped(fs, EXT2_I(a->inode), i);
		}
	CHECK_OK(daxfs_close(a));
	CHECK_OK(daxfs_close(b));
	free(buf);
	free(got);
	check_unmount_fsck(fs, p);
}
