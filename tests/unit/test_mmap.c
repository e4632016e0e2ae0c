/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mmap.c -- white-box tests of ext2/mmap.c: daxfs_map registers a
 * view of the file's inode with ext2_dax_fault as its fault and a
 * reference on the inode, daxfs_unmap gives both back; ext2_dax_fault
 * called directly installs data pages, the zero page for holes, allocates
 * on a write fault and refuses past EOF; a file growing under a populated
 * view turns its SIGBUS pages into data (ext2_size_grew); a view keeps an
 * unlinked file and the mount alive until it goes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "dax/view.h"
#include "ext2/ext2.h"
#include "check.h"
#include "probe.h"

TestSuite(mmap, .init = test_probe_install, .fini = test_cleanup,
	  .timeout = 60);

#define PG TEST_PAGE

/* A file of 6 pages: pages 0-2 and 5 of pattern seed 7, pages 3-4 a
 * hole. */
static daxfs_file *sparse_file(daxfs *fs)
{
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);

	check_pwrite_pattern(f, 7, 0, 3 * PG);
	check_pwrite_pattern(f, 7, 5 * PG, PG);
	return f;
}

/* The registered view at addr (the registry is released again). */
static struct dax_view *view_at(const void *addr)
{
	struct dax_view *v = dax_view_lookup(addr, 1);

	cr_assert_not_null(v, "no view at %p", addr);
	dax_views_release();
	return v;
}

/* ext2_dax_fault on page pg of the view at addr, as the SIGSEGV handler
 * calls it: with the registry held. */
static int fault(const void *addr, uint64_t pg, bool write)
{
	struct dax_view *v = dax_view_lookup(addr, 1);
	int r;

	cr_assert_not_null(v);
	r = ext2_dax_fault(v, pg, write);
	dax_views_release();
	return r;
}

Test(mmap, map_registers_a_view_holding_the_inode)
{
	const char *p;
	daxfs *fs = check_new_fs("mm", 16 * TEST_MIB, 4096, 0, &p);
	daxfs_file *f = sparse_file(fs);
	int ref0 = EXT2_I(f->inode)->refcount;
	struct dax_view *v;
	void *a;

	a = check_map(f, 0, 6 * PG, PROT_READ, 0);
	v = view_at(a);
	cr_assert_eq(v->inode, EXT2_I(f->inode));
	cr_assert_eq(v->ops->fault, ext2_dax_fault);
	cr_assert_eq(v->mapping, &EXT2_I(f->inode)->i_mapping);
	cr_assert_eq(v->len, 6 * PG);
	cr_assert_eq(v->pgoff, 0);
	cr_assert_eq(EXT2_I(f->inode)->refcount, ref0 + 1, "the view holds no ref");
	cr_assert_eq(atomic_load(&EXT2_I(f->inode)->i_mapping.nr_views), 1);
	for (uint64_t pg = 0; pg < 6; pg++)
		cr_assert_eq(dax_view_state(v, pg), DAX_PG_NONE, "lazy view "
			     "page %llu installed", (unsigned long long)pg);
	CHECK_OK(daxfs_unmap(a, 6 * PG));
	cr_assert_null(dax_view_lookup(a, 1));
	cr_assert_eq(EXT2_I(f->inode)->refcount, ref0);
	cr_assert_eq(atomic_load(&EXT2_I(f->inode)->i_mapping.nr_views), 0);
	check_close(f);
	check_unmount_fsck(fs, p);
}

Test(mmap, dax_fault_installs_data_zero_and_refuses_past_eof)
{
	const char *p;
	daxfs *fs = check_new_fs("mmf", 16 * TEST_MIB, 4096, 0, &p);
	daxfs_file *f = sparse_file(fs);
	unsigned char *a = check_map(f, 0, 8 * PG, PROT_READ, 0);
	struct dax_view *v = view_at(a);
	struct stat st;

	CHECK_OK(fault(a, 1, false));
	cr_assert_eq(dax_view_state(v, 1), DAX_PG_RO);
	cr_assert_eq(test_pattern_mismatch(a + PG, PG, 7, PG), -1);
	CHECK_OK(fault(a, 3, false));
	cr_assert_eq(dax_view_state(v, 3), DAX_PG_ZERO);
	cr_assert_eq(test_first_nonzero(a + 3 * PG, PG), -1);
	/* Past EOF: -EFAULT (the handler turns it into SIGBUS). */
	CHECK_EQ(fault(a, 6, false), -EFAULT);
	cr_assert_eq(dax_view_state(v, 6), DAX_PG_NONE);
	/* A read fault allocates nothing. */
	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert_eq(st.st_blocks, 4 * 8, "blocks %lld",
		     (long long)st.st_blocks);
	CHECK_OK(daxfs_unmap(a, 8 * PG));
	check_close(f);
	check_unmount_fsck(fs, p);
}

Test(mmap, write_fault_on_a_hole_allocates_a_zeroed_block)
{
	const char *p;
	daxfs *fs = check_new_fs("mmw", 16 * TEST_MIB, 4096, 0, &p);
	daxfs_file *f = sparse_file(fs);
	unsigned char *a = check_map(f, 0, 6 * PG, PROT_READ | PROT_WRITE, 0);
	struct dax_view *v = view_at(a);
	unsigned char buf[PG];
	struct stat st;

	CHECK_OK(fault(a, 4, true));
	cr_assert_eq(dax_view_state(v, 4), DAX_PG_RW);
	CHECK_OK(daxfs_fstat(f, &st));
	cr_assert_eq(st.st_blocks, 5 * 8, "the hole got no block");
	cr_assert_eq(test_first_nonzero(a + 4 * PG, PG), -1);
	a[4 * PG + 9] = 0x42; /* no fault now: the page is writable */
	CHECK_EQ(daxfs_pread(f, buf, PG, 4 * PG), PG);
	cr_assert_eq(buf[9], 0x42);
	cr_assert_eq(test_first_nonzero(buf, 9), -1);
	CHECK_OK(daxfs_unmap(a, 6 * PG));
	check_close(f);
	check_unmount_fsck(fs, p);
}

Test(mmap, growing_file_fills_sigbus_pages_of_populated_views)
{
	const char *p;
	daxfs *fs = check_new_fs("mmg", 16 * TEST_MIB, 4096, 0, &p);
	daxfs_file *f = sparse_file(fs);
	unsigned char *a = NULL, c;
	struct dax_view *v;

	CHECK_OK(daxfs_map(f, 0, 8 * PG, PROT_READ, DAXFS_MAP_POPULATE,
			   (void **)&a));
	v = view_at(a);
	cr_assert_eq(dax_view_state(v, 5), DAX_PG_RO);
	cr_assert_eq(dax_view_state(v, 6), DAX_PG_SIGBUS);
	cr_assert_eq(atomic_load(&v->nr_sigbus), 2);
	cr_assert_eq(test_probe_read(a + 6 * PG, &c), -1);
	/* Page 6 gets data: ext2_size_grew installs it in the view. */
	check_pwrite_pattern(f, 9, 6 * PG, PG);
	cr_assert_eq(atomic_load(&v->nr_sigbus), 1);
	cr_assert_neq(dax_view_state(v, 6), DAX_PG_SIGBUS);
	cr_assert_eq(test_pattern_mismatch(a + 6 * PG, PG, 9, 6 * PG), -1);
	cr_assert_eq(test_probe_read(a + 7 * PG, &c), -1);
	CHECK_OK(daxfs_unmap(a, 8 * PG));
	check_close(f);
	check_unmount_fsck(fs, p);
}

Test(mmap, view_keeps_an_unlinked_file_and_the_mount)
{
	const char *p;
	daxfs *fs = check_new_fs("mmu", 16 * TEST_MIB, 4096, 0, &p);
	daxfs_file *f = sparse_file(fs);
	unsigned char *a = check_map(f, 0, 6 * PG, PROT_READ, 0);
	struct statvfs s0 = check_statfs(fs), s1;

	check_close(f);
	CHECK_OK(daxfs_unlink(fs, "/f"));
	/* Only the view is left: it still reads the data... */
	cr_assert_eq(test_pattern_mismatch(a, 3 * PG, 7, 0), -1);
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_ffree, s0.f_ffree, "the inode went with a view");
	/* ...and the mount cannot go. */
	CHECK_ERR(daxfs_unmount(fs), EBUSY);
	CHECK_OK(daxfs_unmap(a, 6 * PG));
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_ffree, s0.f_ffree + 1, "the last view freed nothing");
	cr_assert_eq(s1.f_bfree, s0.f_bfree + 4);
	check_unmount_fsck(fs, p);
}
