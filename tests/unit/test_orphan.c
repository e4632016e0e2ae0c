/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_orphan.c -- white-box tests of the orphan chain (ext2/orphan.c):
 * ext2_orphan_add and ext2_orphan_del keep the chain on the media
 * (s_last_orphan, then each orphan's i_dtime) and the DRAM list (orphans,
 * orphan_prev/next) equal; an open unlinked file stays on it until its
 * last close; ext2_orphan_recover at mount finishes the orphans of a
 * crash image (unlinked files freed, a truncate's blocks past i_size
 * freed and its tail zeroed); a damaged chain fails the mount with
 * -EUCLEAN and leaves the image as it was; a read-only mount leaves the
 * chain alone.
 *
 * A crash is made as test_journal.c makes it: the region file is copied
 * while files are open (or in the middle of a truncate, put together by
 * hand from the library's own steps); the copy is the image a crash at
 * that instant leaves (on /dev/shm nothing is lost).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "api/vfs.h"
#include "ext2/bitmap.h"
#include "ext2/ext2.h"
#include "check.h"

TestSuite(orphan, .fini = test_cleanup, .timeout = 120);

#define SIZE (16 * TEST_MIB)
#define BS 4096


static uint32_t ino_of(daxfs_file *f)
{
	return EXT2_I(f->inode)->ino;
}

/* The raw i_dtime of inode ino (the chain's link while an orphan). */
static uint32_t dtime_of(struct ext2_sb_info *sb, uint32_t ino)
{
	return raw_load32(&ext2_raw_inode(sb, ino)->i_dtime);
}

/* Is inode ino's bit set in its group's inode bitmap? */
static bool inode_bit(struct ext2_sb_info *sb, uint32_t ino)
{
	uint32_t g = (ino - 1) / sb->inodes_per_group;

	return ext2_bitmap_test(ext2_block(sb, sb->groups[g].inode_bitmap),
				(ino - 1) % sb->inodes_per_group);
}

/* The chain is exactly want[0..n), first to last, on the media and in
 * DRAM (each inode marked, its prev pointing back). */
static void expect_chain(daxfs *fs, const uint32_t *want, unsigned n,
			 const char *when)
{
	struct ext2_sb_info *sb = EXT2_SB(fs);
	struct ext2_inode_info *in = sb->orphans, *prev = NULL;
	uint32_t ino = le32_get(sb->es->s_last_orphan);
	unsigned i;

	for (i = 0; i < n; i++) {
		cr_assert_eq(ino, want[i], "%s: media link %u is %u, not %u",
			     when, i, ino, want[i]);
		ino = dtime_of(sb, ino);
		cr_assert(in, "%s: the DRAM list ends at %u of %u", when, i, n);
		cr_assert_eq(in->ino, want[i], "%s: DRAM link %u is %u, not %u",
			     when, i, in->ino, want[i]);
		cr_assert(in->orphan, "%s: inode %u not marked", when, in->ino);
		cr_assert_eq(in->orphan_prev, prev, "%s: inode %u's prev",
			     when, in->ino);
		prev = in;
		in = in->orphan_next;
	}
	cr_assert_eq(ino, 0, "%s: the media chain goes on to %u", when, ino);
	cr_assert_null(in, "%s: the DRAM list goes on to %u", when,
		       in ? in->ino : 0);
}

/* Four files with links put on the chain by hand (white-box), then
 * taken off from the middle, the head and the tail; adding twice and
 * taking off an inode not on the chain change nothing. */
Test(orphan, add_del_keep_media_and_dram_equal)
{
	const char *p, *names[] = { "/a", "/b", "/c", "/d", "/e" };
	daxfs *fs = check_new_fs("o", SIZE, BS, 0, &p);
	struct ext2_sb_info *sb = EXT2_SB(fs);
	struct ext2_inode_info *in[5];
	daxfs_file *f[5];
	uint32_t ino[5];
	unsigned i;

	for (i = 0; i < 5; i++) {
		f[i] = check_open(fs, names[i], O_RDWR | O_CREAT, 0644);
		in[i] = EXT2_I(f[i]->inode);
		ino[i] = in[i]->ino;
	}
	expect_chain(fs, NULL, 0, "fresh");
	for (i = 0; i < 4; i++)
		cr_assert(ext2_orphan_add(in[i]), "add %s", names[i]);
	expect_chain(fs, (uint32_t[]){ ino[3], ino[2], ino[1], ino[0] }, 4,
		     "four added");
	cr_assert_not(ext2_orphan_add(in[1]), "added twice");
	expect_chain(fs, (uint32_t[]){ ino[3], ino[2], ino[1], ino[0] }, 4,
		     "added twice");
	ext2_orphan_del(in[4]); /* never on it */
	expect_chain(fs, (uint32_t[]){ ino[3], ino[2], ino[1], ino[0] }, 4,
		     "del of one not on it");
	cr_assert_eq(dtime_of(sb, ino[4]), 0);
	ext2_orphan_del(in[2]); /* the middle */
	expect_chain(fs, (uint32_t[]){ ino[3], ino[1], ino[0] }, 3, "middle");
	cr_assert_eq(dtime_of(sb, ino[2]), 0);
	ext2_orphan_del(in[3]); /* the head */
	expect_chain(fs, (uint32_t[]){ ino[1], ino[0] }, 2, "head");
	cr_assert_eq(dtime_of(sb, ino[3]), 0);
	ext2_orphan_del(in[0]); /* the tail */
	expect_chain(fs, (uint32_t[]){ ino[1] }, 1, "tail");
	cr_assert_eq(dtime_of(sb, ino[0]), 0);
	ext2_orphan_del(in[0]); /* again: off it already */
	expect_chain(fs, (uint32_t[]){ ino[1] }, 1, "tail again");
	ext2_orphan_del(in[1]);
	expect_chain(fs, NULL, 0, "last");
	cr_assert_eq(dtime_of(sb, ino[1]), 0);
	for (i = 0; i < 5; i++)
		check_close(f[i]);
	check_unmount_fsck(fs, p);
}

/* unlink of a file open twice puts it on the chain; the first close
 * keeps it there, the last frees it: bit clear, dtime a time, off the
 * chain, the free counts as before the file was made. */
Test(orphan, open_unlinked_file_is_freed_at_last_close)
{
	const char *p;
	daxfs *fs = check_new_fs("o", SIZE, BS, 0, &p);
	struct ext2_sb_info *sb = EXT2_SB(fs);
	struct statvfs s0 = check_statfs(fs), s1;
	daxfs_file *f1, *f2;
	uint32_t ino, dt;
	long now;

	f1 = check_open(fs, "/u", O_RDWR | O_CREAT, 0644);
	check_pwrite_pattern(f1, 1, 0, 100 * TEST_KIB); /* an indirect too */
	f2 = check_open(fs, "/u", O_RDONLY, 0);
	ino = ino_of(f1);
	CHECK_OK(daxfs_unlink(fs, "/u"));
	cr_assert_eq(ext2_i_links(EXT2_I(f1->inode)), 0);
	expect_chain(fs, (uint32_t[]){ ino }, 1, "unlinked");
	check_close(f1);
	expect_chain(fs, (uint32_t[]){ ino }, 1, "first close");
	cr_assert(inode_bit(sb, ino));
	check_pread_pattern(f2, 1, 0, 100 * TEST_KIB);
	now = (long)time(NULL);
	check_close(f2);
	expect_chain(fs, NULL, 0, "last close");
	cr_assert_not(inode_bit(sb, ino), "inode %u still in use", ino);
	dt = dtime_of(sb, ino);
	cr_assert(labs((long)dt - now) <= 5, "dtime %u, now %ld", dt, now);
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_bfree, s0.f_bfree, "free blocks %lu, were %lu",
		     (unsigned long)s1.f_bfree, (unsigned long)s0.f_bfree);
	cr_assert_eq(s1.f_ffree, s0.f_ffree, "free inodes %lu, were %lu",
		     (unsigned long)s1.f_ffree, (unsigned long)s0.f_ffree);
	check_unmount_fsck(fs, p);
}

/* The rest of a truncate down (inode.c's setsize_down after its
 * commit): tail zeroed, blocks past size freed, off the chain. */
static void finish_truncate(struct ext2_inode_info *in, uint64_t size)
{
	down_write(&in->i_rwsem);
	down_write(&in->dax_sem);
	CHECK_OK(ext2_zero_tail(in, size));
	CHECK_OK(ext2_truncate_blocks(in, size));
	up_write(&in->dax_sem);
	up_write(&in->i_rwsem);
	ext2_orphan_del(in);
}

/* Recovery: a crash image with two unlinked files still open (25 + 1
 * and 5 blocks) and one truncated from 50 (+1 indirect) blocks to 10000
 * bytes whose blocks were not freed yet.  The mount frees both inodes
 * and all their blocks, keeps the truncated file's 3 blocks and zeroes
 * its last one past 10000, and empties the chain. */
Test(orphan, mount_finishes_unlinked_and_truncated_files)
{
	const char *p, *c = test_image_path("oc");
	daxfs *fs = check_new_fs("o", SIZE, BS, 0, &p);
	struct ext2_sb_info *sb = EXT2_SB(fs);
	struct statvfs s0 = check_statfs(fs), s1;
	struct ext2_inode_info *tin;
	daxfs_file *u1, *u2, *t;
	struct test_dstat st;
	unsigned char tail[BS];
	uint32_t i1, i2, it;
	struct ext2_jh h;
	long long blk;

	u1 = check_open(fs, "/u1", O_RDWR | O_CREAT, 0644);
	check_pwrite_pattern(u1, 1, 0, 100 * TEST_KIB);
	u2 = check_open(fs, "/u2", O_RDWR | O_CREAT, 0644);
	check_pwrite_pattern(u2, 2, 0, 20 * TEST_KIB);
	t = check_open(fs, "/t", O_RDWR | O_CREAT, 0644);
	check_pwrite_pattern(t, 3, 0, 200 * TEST_KIB);
	i1 = ino_of(u1);
	i2 = ino_of(u2);
	it = ino_of(t);
	CHECK_OK(daxfs_unlink(fs, "/u1"));
	CHECK_OK(daxfs_unlink(fs, "/u2"));
	/* setsize_down's operation, and nothing after it. */
	tin = EXT2_I(t->inode);
	ext2_jbegin(sb, &h);
	cr_assert(ext2_orphan_add(tin));
	ext2_inode_set_size(tin, 10000);
	ext2_jcommit(&h);
	expect_chain(fs, (uint32_t[]){ it, i2, i1 }, 3, "before the crash");
	s1 = check_statfs(fs); /* 26 + 5 + 51 blocks held at the crash */
	cr_assert_eq(s1.f_bfree, s0.f_bfree - 82, "free blocks %lu, were %lu",
		     (unsigned long)s1.f_bfree, (unsigned long)s0.f_bfree);
	check_copy_image(p, c);

	finish_truncate(tin, 10000);
	check_close(u1);
	check_close(u2);
	check_close(t);
	check_unmount_fsck(fs, p);

	fs = check_mount(c, 0);
	sb = EXT2_SB(fs);
	cr_assert_str_empty(daxfs_mount_warning(fs));
	expect_chain(fs, NULL, 0, "after recovery");
	cr_assert_not(inode_bit(sb, i1));
	cr_assert_not(inode_bit(sb, i2));
	cr_assert(inode_bit(sb, it));
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_bfree, s0.f_bfree - 3, "free blocks %lu, want %lu",
		     (unsigned long)s1.f_bfree, (unsigned long)s0.f_bfree - 3);
	cr_assert_eq(s1.f_ffree, s0.f_ffree - 1);
	t = check_open(fs, "/t", O_RDONLY, 0);
	check_pread_pattern(t, 3, 0, 10000);
	check_close(t);
	check_unmount(fs);

	cr_assert_eq(test_e2fsck(c, NULL), 0);
	cr_assert_eq(test_debugfs_stat(c, "/t", &st), 0);
	cr_assert_eq(st.size, 10000);
	cr_assert_eq(st.blockcount, 3 * BS / 512, "blockcount %llu",
		     (unsigned long long)st.blockcount);
	cr_assert_eq(test_debugfs_bmap(c, "/t", 3), 0);
	blk = test_debugfs_bmap(c, "/t", 2);
	cr_assert_gt(blk, 0);
	check_raw_read(c, (uint64_t)blk * BS, tail, BS);
	cr_assert_eq(test_first_nonzero(tail + (10000 - 2 * BS),
					3 * BS - 10000), -1,
		     "the tail past 10000 is not zeroed");
}

/* A crash image (at c) of a region (at *p, checked clean) with two
 * unlinked files open: the chain is ino[1] -> ino[0]. */
static void make_orphan_crash(const char **p, const char *c, uint32_t ino[2])
{
	daxfs *fs = check_new_fs("o", SIZE, BS, 0, p);
	daxfs_file *u1 = check_open(fs, "/u1", O_RDWR | O_CREAT, 0644);
	daxfs_file *u2 = check_open(fs, "/u2", O_RDWR | O_CREAT, 0644);

	check_pwrite_pattern(u1, 1, 0, 20 * TEST_KIB);
	check_pwrite_pattern(u2, 2, 0, 20 * TEST_KIB);
	ino[0] = ino_of(u1);
	ino[1] = ino_of(u2);
	CHECK_OK(daxfs_unlink(fs, "/u1"));
	CHECK_OK(daxfs_unlink(fs, "/u2"));
	expect_chain(fs, (uint32_t[]){ ino[1], ino[0] }, 2, "crash");
	check_copy_image(*p, c);
	check_close(u1);
	check_close(u2);
	check_unmount_fsck(fs, *p);
}

/* daxfs_mount(c) fails with -EUCLEAN naming the orphan chain, and c is
 * unchanged byte for byte. */
static void expect_refused(const char *c)
{
	size_t n0, n1;
	char *before = test_read_file(c, &n0), *after;
	daxfs *fs = NULL;
	long d;

	cr_assert(before);
	CHECK_ERR_MSG(daxfs_mount(c, 0, &fs), EUCLEAN, "orphan chain");
	after = test_read_file(c, &n1);
	cr_assert(after);
	cr_assert_eq(n0, n1);
	d = test_first_diff(before, after, n0);
	cr_assert_eq(d, -1, "the refused mount changed the image at byte %ld "
		     "(block %ld, +%ld)", d, d / BS, d % BS);
	free(before);
	free(after);
}

/* s_last_orphan naming a reserved inode (3 < s_first_ino). */
Test(orphan, chain_naming_a_reserved_inode_fails_the_mount)
{
	const char *p, *c = test_image_path("oc");
	uint32_t ino[2];

	make_orphan_crash(&p, c, ino);
	check_raw_put_le32(c, 1024 + offsetof(struct ext2_super_block,
					      s_last_orphan), 3);
	expect_refused(c);
}

/* The chain's tail pointing back at its head: a loop. */
Test(orphan, chain_that_loops_fails_the_mount)
{
	const char *p, *c = test_image_path("oc");
	struct check_geom g;
	uint32_t ino[2];

	make_orphan_crash(&p, c, ino);
	check_geom(c, &g);
	check_raw_put_le32(c, check_inode_off(c, &g, ino[0]) +
			   offsetof(struct ext2_inode, i_dtime), ino[1]);
	expect_refused(c);
}

/* A read-only mount of a crash image with orphans (no operation in
 * flight) leaves the chain, and the image, as they were; the next
 * read-write mount finishes them. */
Test(orphan, readonly_mount_leaves_the_chain)
{
	const char *p, *c = test_image_path("oc");
	size_t n0, n1;
	char *before, *after;
	uint32_t ino[2];
	daxfs *fs;

	make_orphan_crash(&p, c, ino);
	before = test_read_file(c, &n0);
	fs = check_mount(c, DAXFS_MOUNT_RDONLY);
	cr_assert_eq(le32_get(EXT2_SB(fs)->es->s_last_orphan), ino[1]);
	cr_assert_null(EXT2_SB(fs)->orphans);
	check_unmount(fs);
	after = test_read_file(c, &n1);
	cr_assert(n0 == n1 && test_first_diff(before, after, n0) == -1,
		  "the read-only mount changed the image at byte %ld",
		  n0 == n1 ? test_first_diff(before, after, n0) : 0L);
	free(before);
	free(after);

	fs = check_mount(c, 0);
	expect_chain(fs, NULL, 0, "read-write mount");
	cr_assert_not(inode_bit(EXT2_SB(fs), ino[0]));
	cr_assert_not(inode_bit(EXT2_SB(fs), ino[1]));
	check_unmount_fsck(fs, c);
}
