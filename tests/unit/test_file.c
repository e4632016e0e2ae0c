/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_file.c -- white-box tests of ext2/file.c: what a handle holds
 * (access from the flags, its inode referenced once per handle, the
 * mount's count of open files), O_CREAT/O_EXCL/O_TRUNC/O_APPEND on the
 * inode, handles that refuse the access they were not opened for, and the
 * last close of an unlinked file freeing it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "ext2/ext2.h"
#include "check.h"

TestSuite(file, .fini = test_cleanup, .timeout = 60);

#define FS_SIZE (16 * TEST_MIB)

Test(file, handle_access_follows_the_flags)
{
	const char *p;
	daxfs *fs = check_new_fs("fa", FS_SIZE, 4096, 0, &p);
	daxfs_file *r, *w, *rw;
	long n0 = atomic_load(&EXT2_SB(fs)->open_files);

	rw = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	r = check_open(fs, "/f", O_RDONLY, 0);
	w = check_open(fs, "/f", O_WRONLY | O_APPEND, 0);
	cr_assert(r->readable && !r->writable);
	cr_assert(!w->readable && w->writable);
	cr_assert(rw->readable && rw->writable);
	cr_assert_eq(w->flags, O_WRONLY | O_APPEND);
	cr_assert_eq(r->fs, fs);
	cr_assert_eq(atomic_load(&EXT2_SB(fs)->open_files), n0 + 3);
	CHECK_ERR_MSG(daxfs_pwrite(r, "x", 1, 0), EBADF, "not open for");
	CHECK_ERR_MSG(daxfs_pread(w, (char[4]){ 0 }, 1, 0), EBADF,
		      "not open for");
	CHECK_ERR_MSG(daxfs_ftruncate(r, 0), EBADF, "not open for");
	check_close(r);
	check_close(w);
	check_close(rw);
	cr_assert_eq(atomic_load(&EXT2_SB(fs)->open_files), n0);
	check_unmount_fsck(fs, p);
}

Test(file, handles_of_one_file_share_its_inode)
{
	const char *p;
	daxfs *fs = check_new_fs("fi", FS_SIZE, 4096, 0, &p);
	daxfs_file *a = check_open(fs, "/f", O_RDWR | O_CREAT, 0640);
	daxfs_file *b = check_open(fs, "/f", O_RDWR | O_CREAT, 0600);
	int ref = EXT2_I(a->inode)->refcount;
	daxfs_file *c;

	cr_assert_eq(EXT2_I(a->inode), EXT2_I(b->inode), "two inodes for one file");
	/* O_CREAT of an existing file keeps its mode. */
	cr_assert_eq(ext2_i_mode(EXT2_I(a->inode)), S_IFREG | 0640);
	c = check_open(fs, "/f", O_RDONLY, 0);
	cr_assert_eq(EXT2_I(c->inode)->refcount, ref + 1);
	check_close(c);
	cr_assert_eq(EXT2_I(a->inode)->refcount, ref);
	CHECK_ERR_MSG(daxfs_open(fs, "/f", O_RDWR | O_CREAT | O_EXCL, 0644,
				 &c), EEXIST, "/f");
	cr_assert_eq(EXT2_I(a->inode)->refcount, ref, "a failed open kept a ref");
	check_close(b);
	check_close(a);
	check_unmount_fsck(fs, p);
}

Test(file, o_trunc_frees_the_blocks_only_when_writing)
{
	const char *p;
	daxfs *fs = check_new_fs("ft", FS_SIZE, 4096, 0, &p);
	struct statvfs s0, s1;
	daxfs_file *f;
	struct stat st;

	s0 = check_statfs(fs);
	check_create_pattern_file(fs, "/f", 3, 10 * 4096);
	/* Read-only: no truncation (POSIX leaves O_RDONLY|O_TRUNC open). */
	f = check_open(fs, "/f", O_RDONLY | O_TRUNC, 0);
	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert_eq(st.st_size, 10 * 4096);
	check_close(f);
	f = check_open(fs, "/f", O_WRONLY | O_TRUNC, 0);
	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert_eq(st.st_size, 0);
	cr_assert_eq(st.st_blocks, 0);
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_bfree, s0.f_bfree, "blocks kept after O_TRUNC");
	check_close(f);
	check_unmount_fsck(fs, p);
}

Test(file, o_append_writes_at_the_end)
{
	const char *p;
	daxfs *fs = check_new_fs("fp", FS_SIZE, 4096, 0, &p);
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT | O_APPEND,
				   0644);
	char buf[16] = { 0 };

	CHECK_EQ(daxfs_pwrite(f, "abc", 3, 100), 3);
	CHECK_EQ(daxfs_pwrite(f, "def", 3, 0), 3);
	cr_assert_eq(ext2_i_size(EXT2_I(f->inode)), 6);
	CHECK_EQ(daxfs_pread(f, buf, sizeof(buf), 0), 6);
	cr_assert_str_eq(buf, "abcdef");
	check_close(f);
	check_unmount_fsck(fs, p);
}

Test(file, last_close_of_an_unlinked_file_frees_it)
{
	const char *p;
	daxfs *fs = check_new_fs("fu", FS_SIZE, 4096, 0, &p);
	struct statvfs s0, s1;
	daxfs_file *f;

	check_create_pattern_file(fs, "/f", 4, 5 * 4096);
	s0 = check_statfs(fs);
	f = check_open(fs, "/f", O_RDONLY, 0);
	CHECK_OK(daxfs_unlink(fs, "/f"));
	check_pread_pattern(f, 4, 0, 5 * 4096);
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_ffree, s0.f_ffree, "freed while still open");
	CHECK_ERR(daxfs_unmount(fs), EBUSY);
	check_close(f);
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_ffree, s0.f_ffree + 1);
	cr_assert_eq(s1.f_bfree, s0.f_bfree + 5);
	check_unmount_fsck(fs, p);
}

Test(file, open_refuses_what_is_not_a_regular_file_to_write)
{
	const char *p;
	daxfs *fs = check_new_fs("fd", FS_SIZE, 4096, 0, &p);
	daxfs_file *f = NULL;

	CHECK_OK(daxfs_mkdir(fs, "/d", 0755));
	CHECK_OK(daxfs_symlink(fs, "/d", "/l"));
	CHECK_ERR_MSG(daxfs_open(fs, "/d", O_RDWR, 0, &f), EISDIR, "/d");
	CHECK_ERR_MSG(daxfs_open(fs, "/d/", O_RDWR | O_CREAT, 0644, &f),
		      EISDIR, "/d/");
	CHECK_ERR_MSG(daxfs_open(fs, "/l", O_RDONLY, 0, &f), ELOOP, "/l");
	CHECK_ERR_MSG(daxfs_open(fs, "/f", O_RDWR | O_ACCMODE, 0, &f),
		      EINVAL, "flags");
	cr_assert_null(f);
	/* A directory opens read-only (for fstat), not for reading data. */
	f = check_open(fs, "/d", O_RDONLY, 0);
	CHECK_ERR_MSG(daxfs_pread(f, (char[4]){ 0 }, 1, 0), EISDIR,
		      "directory");
	check_close(f);
	check_unmount_fsck(fs, p);
}
