/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_ext2_iomap.c -- white-box tests of ext2/iomap.c, ext2's iomap
 * operations (ext2_iomap_ops).  Named test_ext2_iomap.c because
 * test_iomap.c is dax/iomap.c's (the apply loop).
 *
 * iomap_begin on a real file: a read of mapped blocks gives MAPPED at the
 * blocks debugfs finds, of a hole or past EOF a HOLE and no block taken;
 * a write into a hole below EOF allocates a zeroed block (IOMAP_F_NEW);
 * a write past EOF reserves blocks without linking them
 * (IOMAP_F_PRIVATE), which iomap_end links when bytes were written
 * (zeroing around them) and frees when none were; an offset past the
 * largest ext2 file is -EFBIG.  Block counts from statfs and st_blocks,
 * block numbers from debugfs bmap, e2fsck -fn after every test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "ext2/ext2.h"
#include "check.h"

TestSuite(ext2_iomap, .fini = test_cleanup, .timeout = 60);

#define BS 4096ULL

/* A file of 6 blocks: 0-2 and 5 of pattern 7, 3-4 a hole. */
static daxfs_file *sparse_file(daxfs *fs)
{
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);

	check_pwrite_pattern(f, 7, 0, 3 * BS);
	check_pwrite_pattern(f, 7, 5 * BS, BS);
	return f;
}

static int begin(daxfs_file *f, uint64_t pos, uint64_t len, unsigned flags,
		 struct iomap *m)
{
	memset(m, 0xEE, sizeof(*m));
	return ext2_iomap_ops.iomap_begin(EXT2_I(f->inode), pos, len, flags,
					  m);
}

static int end(daxfs_file *f, uint64_t pos, uint64_t len, ssize_t written,
	       unsigned flags, struct iomap *m)
{
	return ext2_iomap_ops.iomap_end(EXT2_I(f->inode), pos, len, written,
					flags, m);
}

/* The block lblk of f maps to, by the block map (0: a hole). */
static uint32_t mapped(daxfs_file *f, uint32_t lblk)
{
	uint32_t pblk = 77, count = 0;
	bool is_new = true;

	CHECK_OK(ext2_bmap(EXT2_I(f->inode), lblk, 1, false, &pblk, &count,
			   &is_new));
	cr_assert(!is_new);
	return pblk;
}

static long long st_blocks(daxfs_file *f)
{
	struct stat st;

	CHECK_OK(daxfs_fstat(f, &st));
	return (long long)st.st_blocks;
}

Test(ext2_iomap, read_begin_maps_blocks_and_holes)
{
	const char *p;
	daxfs *fs = check_new_fs("eim", 16 * TEST_MIB, BS, 0, &p);
	daxfs_file *f = sparse_file(fs);
	struct statvfs s0 = check_statfs(fs);
	struct iomap a, h, e, b5;

	CHECK_OK(begin(f, 100, 6 * BS, 0, &a));
	CHECK_OK(end(f, 100, a.length, a.length, 0, &a));
	cr_assert_eq(a.type, IOMAP_MAPPED);
	cr_assert_eq(a.flags, 0);
	cr_assert_eq(a.offset, 0);
	cr_assert(a.length >= BS && a.length <= 3 * BS && a.length % BS == 0,
		  "length %llu", (unsigned long long)a.length);
	CHECK_OK(begin(f, 3 * BS + 100, BS, 0, &h));
	CHECK_OK(end(f, 3 * BS + 100, BS, BS, 0, &h));
	cr_assert_eq(h.type, IOMAP_HOLE);
	cr_assert_eq(h.flags, 0);
	cr_assert_eq(h.offset, 3 * BS);
	/* [3 BS + 100, 4 BS + 100) touches blocks 3 and 4: the whole hole. */
	cr_assert_eq(h.length, 2 * BS);
	CHECK_OK(begin(f, 5 * BS, BS, 0, &b5));
	cr_assert_eq(b5.type, IOMAP_MAPPED);
	cr_assert_eq(b5.length, BS);
	/* Past EOF, a read: a hole, nothing taken. */
	CHECK_OK(begin(f, 100 * BS, 3 * BS, 0, &e));
	cr_assert_eq(e.type, IOMAP_HOLE);
	cr_assert_eq(e.offset, 100 * BS);
	cr_assert_eq(check_statfs(fs).f_bfree, s0.f_bfree);
	cr_assert_eq(st_blocks(f), 4 * 8);
	/* Block 2^32 is past any ext2 file. */
	CHECK_ERR_MSG(begin(f, (1ULL << 32) * BS, BS, 0, &e), EFBIG,
		      "offset");
	check_close(f);
	check_unmount_fsck(fs, p);
	cr_assert_eq(test_debugfs_bmap(p, "/f", 0), (long long)(a.addr / BS));
	cr_assert_eq(test_debugfs_bmap(p, "/f", a.length / BS - 1),
		     (long long)(a.addr / BS + a.length / BS - 1));
	cr_assert_eq(test_debugfs_bmap(p, "/f", 3), 0);
	cr_assert_eq(test_debugfs_bmap(p, "/f", 4), 0);
	cr_assert_eq(test_debugfs_bmap(p, "/f", 5), (long long)(b5.addr / BS));
}

Test(ext2_iomap, write_into_a_hole_below_eof_allocates_zeroed)
{
	const char *p;
	daxfs *fs = check_new_fs("eimw", 16 * TEST_MIB, BS, 0, &p);
	daxfs_file *f = sparse_file(fs);
	struct ext2_inode_info *in = EXT2_I(f->inode);
	struct statvfs s0 = check_statfs(fs);
	unsigned char *blk;
	struct iomap m;
	uint64_t addr;
	size_t len;
	char *cat;

	down_write(&in->i_rwsem);
	CHECK_OK(begin(f, 3 * BS + 10, 20, IOMAP_WRITE, &m));
	cr_assert_eq(m.type, IOMAP_MAPPED);
	cr_assert_eq(m.flags, IOMAP_F_NEW);
	cr_assert_eq(m.offset, 3 * BS);
	cr_assert_eq(m.length, BS);
	cr_assert_eq(m.addr % BS, 0);
	addr = m.addr;
	blk = EXT2_SB(fs)->base + addr;
	cr_assert_eq(test_first_nonzero(blk, BS), -1, "not zeroed");
	/* Linked at begin already; end has nothing to undo. */
	cr_assert_eq(mapped(f, 3), m.addr / BS);
	memset(blk + 10, 0x5C, 20);
	CHECK_OK(end(f, 3 * BS + 10, 20, 0, IOMAP_WRITE, &m));
	cr_assert_eq(mapped(f, 3), m.addr / BS);
	up_write(&in->i_rwsem);
	cr_assert_eq(check_statfs(fs).f_bfree, s0.f_bfree - 1);
	cr_assert_eq(st_blocks(f), 5 * 8);
	/* Mapped blocks again: no new block, no NEW flag. */
	down_write(&in->i_rwsem);
	CHECK_OK(begin(f, 0, BS, IOMAP_WRITE, &m));
	cr_assert_eq(m.flags, 0);
	cr_assert_eq(m.type, IOMAP_MAPPED);
	CHECK_OK(end(f, 0, BS, BS, IOMAP_WRITE, &m));
	up_write(&in->i_rwsem);
	cr_assert_eq(check_statfs(fs).f_bfree, s0.f_bfree - 1);
	check_close(f);
	check_unmount_fsck(fs, p);
	cr_assert_eq(test_debugfs_bmap(p, "/f", 3), (long long)(addr / BS));
	cat = test_debugfs_cat(p, "/f", &len);
	cr_assert_not_null(cat);
	cr_assert_eq(len, 6 * BS);
	cr_assert_eq(test_first_nonzero(cat + 3 * BS, 10), -1);
	cr_assert_eq((unsigned char)cat[3 * BS + 10], 0x5C);
	cr_assert_eq(test_first_nonzero(cat + 3 * BS + 30, BS - 30), -1);
	free(cat);
}

Test(ext2_iomap, write_past_eof_reserves_and_end_links)
{
	const char *p;
	daxfs *fs = check_new_fs("eimr", 16 * TEST_MIB, BS, 0, &p);
	daxfs_file *f = sparse_file(fs);
	struct ext2_inode_info *in = EXT2_I(f->inode);
	struct statvfs s0 = check_statfs(fs);
	unsigned char *blk, want[200];
	uint64_t addr, n;
	struct iomap m;
	size_t len;
	char *cat;

	down_write(&in->i_rwsem);
	CHECK_OK(begin(f, 8 * BS, 2 * BS, IOMAP_WRITE, &m));
	cr_assert_eq(m.type, IOMAP_MAPPED);
	cr_assert_eq(m.flags, IOMAP_F_PRIVATE);
	cr_assert_eq(m.offset, 8 * BS);
	cr_assert(m.length == BS || m.length == 2 * BS, "length %llu",
		  (unsigned long long)m.length);
	n = m.length / BS;
	addr = m.addr;
	/* Taken from the bitmaps, but not in the file yet. */
	cr_assert_eq(check_statfs(fs).f_bfree, s0.f_bfree - n);
	cr_assert_eq(mapped(f, 8), 0);
	cr_assert_eq(st_blocks(f), 4 * 8);
	/* Stale bytes in the blocks, then a write of 200 bytes at +100. */
	blk = EXT2_SB(fs)->base + addr;
	memset(blk, 0xAA, n * BS);
	test_pattern(want, sizeof(want), 11, 0);
	memcpy(blk + 100, want, sizeof(want));
	CHECK_OK(end(f, 8 * BS + 100, n * BS - 100, sizeof(want),
		     IOMAP_WRITE, &m));
	cr_assert_eq(mapped(f, 8), addr / BS);
	if (n == 2)
		cr_assert_eq(mapped(f, 9), addr / BS + 1);
	cr_assert_eq(st_blocks(f), (long long)(4 + n) * 8);
	cr_assert_eq(check_statfs(fs).f_bfree, s0.f_bfree - n);
	/* What the write did not cover is zero now. */
	cr_assert_eq(test_first_nonzero(blk, 100), -1);
	cr_assert_eq(memcmp(blk + 100, want, sizeof(want)), 0);
	cr_assert_eq(test_first_nonzero(blk + 300, n * BS - 300), -1);
	/* The caller's part: the new size (every linked block in it). */
	ext2_inode_set_size(in, 8 * BS + (n - 1) * BS + 300);
	up_write(&in->i_rwsem);
	check_close(f);
	check_unmount_fsck(fs, p);
	cr_assert_eq(test_debugfs_bmap(p, "/f", 8), (long long)(addr / BS));
	cr_assert_eq(test_debugfs_bmap(p, "/f", 6), 0);
	cat = test_debugfs_cat(p, "/f", &len);
	cr_assert_not_null(cat);
	cr_assert_eq(len, 8 * BS + (n - 1) * BS + 300);
	cr_assert_eq(memcmp(cat + 8 * BS + 100, want, sizeof(want)), 0);
	cr_assert_eq(test_first_nonzero(cat + 6 * BS, 2 * BS + 100), -1);
	free(cat);
}

Test(ext2_iomap, write_past_eof_with_nothing_written_frees_the_blocks)
{
	const char *p;
	daxfs *fs = check_new_fs("eimf", 16 * TEST_MIB, BS, 0, &p);
	daxfs_file *f = sparse_file(fs);
	struct ext2_inode_info *in = EXT2_I(f->inode);
	struct statvfs s0 = check_statfs(fs);
	struct iomap m;
	uint64_t n;

	down_write(&in->i_rwsem);
	CHECK_OK(begin(f, 6 * BS, 3 * BS, IOMAP_WRITE, &m));
	cr_assert_eq(m.flags, IOMAP_F_PRIVATE);
	n = m.length / BS; /* more than 3 when some are taken ahead of an
			    * append (prealloc.c) */
	cr_assert(n >= 1);
	cr_assert_eq(check_statfs(fs).f_bfree, s0.f_bfree - n);
	CHECK_OK(end(f, 6 * BS, m.length, 0, IOMAP_WRITE, &m));
	cr_assert_eq(check_statfs(fs).f_bfree, s0.f_bfree);
	cr_assert_eq(mapped(f, 6), 0);
	cr_assert_eq(in->pend_n, 0);
	/* An error counts as nothing written. */
	CHECK_OK(begin(f, 6 * BS, BS, IOMAP_WRITE, &m));
	cr_assert_eq(m.flags, IOMAP_F_PRIVATE);
	CHECK_OK(end(f, 6 * BS, BS, -EFAULT, IOMAP_WRITE, &m));
	up_write(&in->i_rwsem);
	cr_assert_eq(check_statfs(fs).f_bfree, s0.f_bfree);
	cr_assert_eq(st_blocks(f), 4 * 8);
	check_close(f);
	check_unmount_fsck(fs, p);
	cr_assert_eq(check_dumpe2fs_num(p, "Free blocks"), s0.f_bfree);
}
