/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_inode.c -- white-box tests of ext2/inode.c on mounted images: the
 * inode cache (ext2_iget twice gives one structure, references counted,
 * invalid or unused numbers refused as corruption), the last ext2_iput of
 * an unlinked inode freeing it, ext2_inode_set_size/_set_links written to
 * the media (as debugfs reads them), ext2_inode_stat against debugfs,
 * fast symlinks, and the directory entry type of each mode.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "ext2/ext2.h"
#include "check.h"

TestSuite(inode, .fini = test_cleanup, .timeout = 120);

#define FS_SIZE (16 * TEST_MIB)

/* The inode number of path. */
static uint32_t ino_of(daxfs *fs, const char *path)
{
	struct stat st;

	CHECK_OK(daxfs_stat(fs, path, &st));
	return (uint32_t)st.st_ino;
}

/* ext2_iget that must succeed. */
static struct ext2_inode_info *iget_ok(daxfs *fs, uint32_t ino)
{
	struct ext2_inode_info *in = NULL;

	CHECK_OK(ext2_iget(EXT2_SB(fs), ino, &in));
	cr_assert_not_null(in);
	cr_assert_eq(in->ino, ino);
	return in;
}

Test(inode, iget_twice_gives_one_structure)
{
	const char *p;
	daxfs *fs = check_new_fs("ino", FS_SIZE, 0, 0, &p);
	struct ext2_inode_info *a, *b;
	int r0;

	check_create_pattern_file(fs, "/f", 1, 5000);
	a = iget_ok(fs, ino_of(fs, "/f"));
	r0 = a->refcount;
	b = iget_ok(fs, a->ino);
	cr_assert_eq(a, b, "two structures for one inode");
	cr_assert_eq(b->refcount, r0 + 1);
	ext2_ihold(a);
	cr_assert_eq(a->refcount, r0 + 2);
	ext2_iput(a);
	ext2_iput(b);
	cr_assert_eq(a->refcount, r0);
	cr_assert_eq(a->raw, ext2_raw_inode(EXT2_SB(fs), a->ino));
	ext2_iput(a);
	ext2_iput(NULL); /* accepted */
	check_pattern_file(fs, "/f", 1, 5000);
	check_unmount_fsck(fs, p);
}

Test(inode, invalid_numbers_are_corruption)
{
	const char *p;
	daxfs *fs = check_new_fs("inobad", FS_SIZE, 0, 0, &p);
	const uint32_t bad[] = { 0, 1, 3, 10, EXT2_SB(fs)->inodes_count + 1 };
	struct ext2_inode_info *in = NULL;
	char *state;

	cr_assert_eq(EXT2_SB(fs)->first_ino, 11);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_ERR_MSG(ext2_iget(EXT2_SB(fs), bad[i], &in), EUCLEAN,
			      "invalid inode");
		cr_assert_null(in);
	}
	/* An inode number in range that no file uses. */
	CHECK_ERR_MSG(ext2_iget(EXT2_SB(fs), 20, &in), EUCLEAN, "not in use");
	cr_assert_null(in);
	/* Each of those marked the file system as having errors. */
	cr_assert(le16_get(EXT2_SB(fs)->es->s_state) & EXT2_ERROR_FS);
	check_unmount(fs);
	state = test_dumpe2fs_field(p, "Filesystem state");
	cr_assert(state && strstr(state, "with errors"), "state \"%s\"",
		  state);
	free(state);
}

Test(inode, last_iput_of_an_unlinked_inode_frees_it)
{
	const char *p;
	daxfs *fs = check_new_fs("inodel", FS_SIZE, 0, 0, &p);
	struct statvfs s0, s1, s2;
	struct ext2_inode_info *in;
	uint32_t ino;

	check_create_pattern_file(fs, "/f", 2, 3 * 4096);
	s0 = check_statfs(fs);
	ino = ino_of(fs, "/f");
	in = iget_ok(fs, ino);
	CHECK_OK(daxfs_unlink(fs, "/f"));
	/* Still referenced: the inode and its blocks stay. */
	s1 = check_statfs(fs);
	cr_assert_eq(ext2_i_links(in), 0);
	cr_assert_eq(ext2_i_size(in), 3 * 4096);
	cr_assert_eq(s1.f_ffree, s0.f_ffree);
	cr_assert_eq(s1.f_bfree, s0.f_bfree);
	ext2_iput(in);
	s2 = check_statfs(fs);
	cr_assert_eq(s2.f_ffree, s0.f_ffree + 1, "inode not freed");
	cr_assert_eq(s2.f_bfree, s0.f_bfree + 3, "data blocks not freed");
	check_unmount_fsck(fs, p);
	/* debugfs sees a deleted inode: no links, dtime set. */
	{
		char cmd[64], *out;

		snprintf(cmd, sizeof(cmd), "stat <%u>", ino);
		out = test_debugfs(p, cmd, NULL, NULL);
		cr_assert(out && strstr(out, "Links: 0"), "%s", out);
		cr_assert(strstr(out, "dtime:"), "no dtime: %s", out);
		free(out);
	}
}

Test(inode, set_size_is_on_the_media)
{
	const char *p;
	daxfs *fs = check_new_fs("inosz", FS_SIZE, 4096, 0, &p);
	struct ext2_inode_info *in;
	struct test_dstat ds;
	const uint64_t big = 5ULL << 30; /* needs i_size_high */

	check_create_pattern_file(fs, "/f", 3, 100);
	in = iget_ok(fs, ino_of(fs, "/f"));
	ext2_inode_set_size(in, big);
	cr_assert_eq(ext2_i_size(in), big);
	cr_assert_eq(le32_get(in->raw->i_size), 1ULL << 30);
	cr_assert_eq(le32_get(in->raw->i_size_high), 1);
	ext2_iput(in);
	check_unmount_fsck(fs, p);
	CHECK_OK(test_debugfs_stat(p, "/f", &ds));
	cr_assert_eq(ds.size, big);
	cr_assert_eq(ds.blockcount, 8, "a 5 GiB sparse file, one block");
}

Test(inode, set_links_is_on_the_media)
{
	const char *p;
	daxfs *fs = check_new_fs("inoln", FS_SIZE, 0, 0, &p);
	struct ext2_inode_info *in;
	struct test_dstat ds;
	char *out = NULL;

	check_create_pattern_file(fs, "/f", 4, 10);
	in = iget_ok(fs, ino_of(fs, "/f"));
	ext2_inode_set_links(in, 3);
	cr_assert_eq(ext2_i_links(in), 3);
	ext2_iput(in);
	check_unmount(fs);
	CHECK_OK(test_debugfs_stat(p, "/f", &ds));
	cr_assert_eq(ds.links, 3);
	/* One name but three links: e2fsck must see the lie. */
	cr_assert_neq(test_e2fsck(p, &out), 0);
	cr_assert(out && strstr(out, "ref count is 3, should be 1"), "%s", out);
	free(out);
}

Test(inode, stat_agrees_with_debugfs)
{
	const char *p;
	daxfs *fs = check_new_fs("inost", FS_SIZE, 1024, 0, &p);
	struct ext2_inode_info *in;
	struct test_dstat ds;
	daxfs_file *f;
	struct stat st;

	f = check_open(fs, "/f", O_RDWR | O_CREAT, 0640);
	check_close(f);
	check_create_pattern_file(fs, "/f", 5, 10000);
	in = iget_ok(fs, ino_of(fs, "/f"));
	ext2_inode_stat(in, &st);
	ext2_iput(in);
	check_unmount_fsck(fs, p);
	CHECK_OK(test_debugfs_stat(p, "/f", &ds));
	cr_assert_eq(st.st_ino, ds.ino);
	cr_assert_eq(st.st_mode, S_IFREG | 0640);
	cr_assert_eq(st.st_nlink, 1);
	cr_assert_eq(st.st_size, 10000);
	cr_assert_eq(st.st_blksize, 1024);
	/* 10 data blocks of 1 KiB, no indirect block: 20 sectors. */
	cr_assert_eq(st.st_blocks, 20);
	cr_assert_eq((uint64_t)st.st_blocks, ds.blockcount);
	cr_assert_eq((int64_t)st.st_mtim.tv_sec, ds.mtime);
	cr_assert_eq(st.st_uid, ds.uid);
	cr_assert_eq(st.st_gid, ds.gid);
}

Test(inode, fast_symlinks_live_in_the_inode)
{
	const char *p;
	daxfs *fs = check_new_fs("inosl", FS_SIZE, 0, 0, &p);
	char longt[200];
	struct ext2_inode_info *in;

	memset(longt, 'x', sizeof(longt) - 1);
	longt[sizeof(longt) - 1] = '\0';
	CHECK_OK(daxfs_symlink(fs, "short/target", "/s"));
	CHECK_OK(daxfs_symlink(fs, longt, "/l"));
	check_create_pattern_file(fs, "/f", 6, 10);
	in = iget_ok(fs, ino_of(fs, "/s"));
	cr_assert(ext2_inode_is_fast_symlink(in));
	ext2_iput(in);
	in = iget_ok(fs, ino_of(fs, "/l"));
	cr_assert(!ext2_inode_is_fast_symlink(in), "200 bytes in i_block?");
	ext2_iput(in);
	in = iget_ok(fs, ino_of(fs, "/f"));
	cr_assert(!ext2_inode_is_fast_symlink(in), "a file taken for a link");
	ext2_iput(in);
	check_unmount_fsck(fs, p);
}

Test(inode, mode_to_ftype)
{
	/* The values of the ext2 directory entry format. */
	cr_assert_eq(ext2_mode_to_ftype(S_IFREG | 0644), 1);
	cr_assert_eq(ext2_mode_to_ftype(S_IFDIR | 0755), 2);
	cr_assert_eq(ext2_mode_to_ftype(S_IFCHR), 3);
	cr_assert_eq(ext2_mode_to_ftype(S_IFBLK), 4);
	cr_assert_eq(ext2_mode_to_ftype(S_IFIFO), 5);
	cr_assert_eq(ext2_mode_to_ftype(S_IFSOCK), 6);
	cr_assert_eq(ext2_mode_to_ftype(S_IFLNK | 0777), 7);
	cr_assert_eq(ext2_mode_to_ftype(0644), 0);
}
