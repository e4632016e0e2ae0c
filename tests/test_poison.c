/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_poison.c -- lost memory under a mount is -EIO, not a dead process
 * (issue 12, item 4).  A load from a poisoned line raises SIGBUS; so does
 * any access to a regular-file region past its end after another process
 * shrank it, which a test can cause for real with truncate(1).  File A's
 * blocks lie at the start of the region, file B's run is the last data;
 * the region file is cut in the middle of B.  Then pread/pwrite of B's
 * lost part fail with -EIO and a message naming the offset, everything
 * below the cut reads back right, daxfs_persist and daxfs_fsync of lost
 * view stores say -EIO, a view load of the lost part raises SIGBUS to the
 * application (the kernel's behaviour for views too), allocations that
 * land in the lost part (appends, a hole filled by pwrite or by a store
 * through a view) fail and take no block, and the mount still unmounts:
 * what unmount writes (superblock, group descriptors, the journal's
 * header) lies at the region's start.  With the size restored the image
 * is checked with e2fsck -fn and mounted again.  Under ASan no option is
 * needed: libdaxfs installs its handlers after ASan's and handles these
 * faults itself (what it does not handle is chained to the older ones).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "check.h"
#include "probe.h"

#define PG TEST_PAGE
#define A_LEN (64 * TEST_KIB)
#define B_LEN (8 * TEST_MIB)
#define B_PAGES (B_LEN / PG)
#define B_CUT_PAGE (B_PAGES / 2)   /* B's page at which the region is cut */

/* The probe goes in before any daxfs_map of the process: libdaxfs chains
 * to it. */
TestSuite(poison, .init = test_probe_install, .fini = test_cleanup,
	  .timeout = 120);

/* Every block debugfs lists for what (a path or "<ino>") of the mounted
 * image img, indirect blocks included: a malloc'd array, *n of them. */
static unsigned long *live_blocks(const char *img, const char *what,
				  size_t *n)
{
	char cmd[64], *out, *p, *end;
	unsigned long *b = NULL;

	snprintf(cmd, sizeof(cmd), "blocks %s", what);
	out = test_debugfs_live(img, cmd, NULL);
	cr_assert(out, "debugfs could not run");
	p = strstr(out, "debugfs: blocks");
	cr_assert(p, "debugfs said: %s", out);
	p = strchr(p, '\n');
	*n = 0;
	for (p = p ? p + 1 : out; *p; p = end) {
		unsigned long v = strtoul(p, &end, 10);

		if (end == p)
			break;
		b = realloc(b, (*n + 1) * sizeof(*b));
		cr_assert(b);
		b[(*n)++] = v;
	}
	free(out);
	return b;
}

/* The physical block of each of the n first pages of path (debugfs
 * bmap, one command per page): a malloc'd array. */
static unsigned long *live_bmap(const char *img, const char *path, size_t n)
{
	unsigned long *b = calloc(n, sizeof(*b));
	size_t cap = n * 48 + 1, len = 0, i;
	char *cmds = malloc(cap), *out, *p;

	cr_assert(b && cmds);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(cmds + len, cap - len, "bmap %s %zu\n",
					path, i);
	out = test_debugfs_live(img, cmds, NULL);
	cr_assert(out, "debugfs could not run");
	for (p = out, i = 0; i < n; i++) {
		p = strstr(p, "debugfs: bmap");
		cr_assert(p && (p = strchr(p, '\n')), "debugfs said: %s", out);
		b[i] = strtoul(++p, NULL, 10);
	}
	free(out);
	free(cmds);
	return b;
}

/* Blocks [from, to) of the mounted image img are all free (debugfs
 * testb). */
static void check_free_from(const char *img, unsigned long from,
			    unsigned long to)
{
	char cmd[96], *out;

	if (from >= to)
		return;
	snprintf(cmd, sizeof(cmd), "testb %lu %lu", from, to - from);
	out = test_debugfs_live(img, cmd, NULL);
	cr_assert(out);
	cr_assert_null(strstr(out, "marked in use"),
		       "a block at or above %lu is in use besides B's run: %s",
		       from, out);
	free(out);
}

/* The physical layout the test needs: A (indirect block included) and
 * the journal wholly below B's page B_CUT_PAGE, B's pages contiguous
 * from there to its end, B's other blocks below, nothing in use above.
 * Returns the region offset of B's page B_CUT_PAGE. */
static uint64_t find_cut(const char *img, uint64_t region_size)
{
	size_t na, nb, nj, i;
	unsigned long *a = live_blocks(img, "/A", &na);
	unsigned long *all = live_blocks(img, "/B", &nb);
	unsigned long *j = live_blocks(img, "<5>", &nj);
	unsigned long *b = live_bmap(img, "/B", B_PAGES);
	unsigned long cut = b[B_CUT_PAGE], end = cut + B_PAGES - B_CUT_PAGE;

	for (i = 0; i < B_PAGES; i++)
		cr_assert(i < B_CUT_PAGE ? b[i] < cut : b[i] == cut + (i - B_CUT_PAGE),
			  "B's page %zu is at block %lu, cut at %lu", i, b[i], cut);
	for (i = 0; i < nb; i++)
		cr_assert_lt(all[i], end, "B's block %lu is past its last "
			     "page's", all[i]);
	for (i = 0; i < na; i++)
		cr_assert_lt(a[i], cut, "A's block %lu is above the cut", a[i]);
	for (i = 0; i < nj; i++)
		cr_assert_lt(j[i], cut, "the journal's block %lu is above the "
			     "cut", j[i]);
	check_free_from(img, end, region_size / PG);
	free(a);
	free(all);
	free(b);
	free(j);
	return (uint64_t)cut * PG;
}

/* Another process shrinks (or grows back) the region file: truncate(1). */
static void resize_region(const char *img, uint64_t size)
{
	cr_assert_eq(test_sh("truncate -s %llu '%s'", (unsigned long long)size,
			     img), 0);
	cr_assert_eq(test_file_size(img), (long long)size);
}

/* pread and pwrite of B around the cut: -EIO past it, the bytes before
 * it (and right ones) for a range that spans it. */
static void check_rw_across_cut(daxfs_file *b)
{
	uint64_t cut = B_CUT_PAGE * PG;
	unsigned char *buf = malloc(8 * PG);
	char want[96];

	cr_assert(buf);
	snprintf(want, sizeof(want), "I/O error at file offset %llu",
		 (unsigned long long)cut);
	CHECK_ERR_MSG(daxfs_pread(b, buf, PG, cut), EIO, want);
	cr_assert(strstr(daxfs_errormsg(), "\"/B\""), "the message names "
		  "the file: %s", daxfs_errormsg());
	CHECK_ERR_MSG(daxfs_pread(b, buf, PG, B_LEN - PG), EIO, "I/O error");
	/* A read across the cut: the 4 pages before it, nothing after. */
	CHECK_EQ(daxfs_pread(b, buf, 8 * PG, cut - 4 * PG), 4 * PG);
	cr_assert_eq(test_pattern_mismatch(buf, 4 * PG, 2, cut - 4 * PG), -1);
	memset(buf, 0x5a, 8 * PG);
	CHECK_ERR_MSG(daxfs_pwrite(b, buf, PG, cut + 3 * PG), EIO,
		      "I/O error");
	CHECK_EQ(daxfs_pwrite(b, buf, 8 * PG, cut - 4 * PG), 4 * PG);
	CHECK_EQ(daxfs_pread(b, buf, 4 * PG, cut - 4 * PG), 4 * PG);
	for (size_t i = 0; i < 4 * PG; i++)
		cr_assert_eq(buf[i], 0x5a);
	free(buf);
}

/* Below the cut nothing is lost: A whole, B's first half but the 4 pages
 * check_rw_across_cut rewrote (0x5a). */
static void check_below_cut(daxfs *fs, daxfs_file *b)
{
	uint64_t cut = B_CUT_PAGE * PG;

	check_pattern_file(fs, "/A", 1, A_LEN);
	check_pread_pattern(b, 2, 0, cut - 4 * PG);
}

/* Views: stores into B's lost part made before the cut cannot be made
 * durable (-EIO from daxfs_persist and daxfs_fsync); a load there now
 * raises SIGBUS (to the application: a view has no call to fail). */
static void check_views(daxfs_file *b, unsigned char *v)
{
	unsigned char c;
	char want[96];

	snprintf(want, sizeof(want), "offset %llu of inode",
		 (unsigned long long)(B_CUT_PAGE * PG));
	CHECK_ERR_MSG(daxfs_persist(v + B_CUT_PAGE * PG, 2 * PG), EIO, want);
	snprintf(want, sizeof(want), "file offset %llu is lost or poisoned",
		 (unsigned long long)(B_CUT_PAGE * PG));
	CHECK_ERR_MSG(daxfs_fsync(b), EIO, want);
	cr_assert_eq(test_probe_read(v + (B_CUT_PAGE + 1) * PG, &c), -1,
		     "a load of the lost part of a view raises SIGBUS");
	/* Below the cut the view still works. */
	cr_assert_eq(test_probe_read(v + PG, &c), 0);
	CHECK_OK(daxfs_persist(v, 2 * PG));
}

/* Append 4 KiB pieces to path until one fails: it must fail with -EIO
 * (the free blocks below the cut run out long before the region's), and
 * the pieces before it are all there.  Returns the open file. */
static daxfs_file *append_until_eio(daxfs *fs, const char *path)
{
	daxfs_file *c = check_open(fs, path, O_RDWR | O_CREAT, 0644);
	uint64_t n = 0;
	ssize_t r;

	for (;; n++) {
		unsigned char buf[PG];

		test_pattern(buf, PG, 3, n * PG);
		r = daxfs_pwrite(c, buf, PG, n * PG);
		if (r != (ssize_t)PG)
			break;
		cr_assert_lt(n, B_PAGES, "no -EIO after %llu appends",
			     (unsigned long long)n);
	}
	CHECK_ERR_MSG(r, EIO, "I/O error");
	check_pattern_file(fs, path, 3, n * PG);
	return c;
}

/* Allocations that land in the lost part once the free blocks below the
 * cut are used up: a write past EOF, a write into a hole (its blocks are
 * zeroed first) fail with -EIO and take nothing; a store through a view
 * into a hole raises SIGBUS (the fault path's zeroing failed, with its
 * locks released: the calls after it work). */
static void check_alloc_in_lost(daxfs *fs, const char *img, uint64_t cut)
{
	daxfs_file *c = append_until_eio(fs, "/C");
	unsigned char buf[PG], *v;
	struct stat st;
	off_t size;

	check_free_from(img, 0, cut / PG);
	CHECK_OK(daxfs_fstat(c, &st));
	size = st.st_size;
	CHECK_OK(daxfs_ftruncate(c, size + 16 * PG));
	memset(buf, 0x33, sizeof(buf));
	CHECK_ERR_MSG(daxfs_pwrite(c, buf, PG, size + 4 * PG), EIO,
		      "cannot be zeroed");
	v = check_map(c, size, 16 * PG, PROT_READ | PROT_WRITE, 0);
	cr_assert_eq(test_probe_write(v + 8 * PG, 1), -1,
		     "a store into a hole that cannot be filled: SIGBUS");
	cr_assert_eq(test_probe_read(v, buf), 0, "a load of a hole works");
	cr_assert_eq(buf[0], 0);
	CHECK_OK(daxfs_unmap(v, 16 * PG));
	CHECK_OK(daxfs_fstat(c, &st));
	cr_assert_eq(st.st_size, size + 16 * PG);
	cr_assert_eq(st.st_blocks * 512, (size + PG - 1) / PG * PG +
		     (size > 12 * (off_t)PG ? (off_t)PG : 0),
		     "the holes took no block (%lld)", (long long)st.st_blocks);
	check_close(c);
	CHECK_OK(daxfs_unlink(fs, "/C"));
}

/* After the region file grew back, what was lost reads as zeros (the
 * file system cannot know: its metadata was never lost). */
static void check_lost_reads_zero(daxfs_file *b)
{
	unsigned char *buf = malloc(B_LEN / 2);

	cr_assert(buf);
	CHECK_EQ(daxfs_pread(b, buf, B_LEN / 2, B_CUT_PAGE * PG), B_LEN / 2);
	cr_assert_eq(test_first_nonzero(buf, B_LEN / 2), -1);
	free(buf);
}

Test(poison, shrunk_region_is_eio_below_the_cut_is_intact)
{
	const char *img;
	daxfs *fs = check_new_fs("poison", 32 * TEST_MIB, 4096, 0, &img);
	daxfs_file *a, *b;
	uint64_t cut_off;
	unsigned char *v;

	check_create_pattern_file(fs, "/A", 1, A_LEN);
	check_create_pattern_file(fs, "/B", 2, B_LEN);
	cut_off = find_cut(img, 32 * TEST_MIB);
	a = check_open(fs, "/A", O_RDWR, 0);
	b = check_open(fs, "/B", O_RDWR, 0);
	/* Stores through a view into what will be lost, not yet durable. */
	v = check_map(b, 0, B_LEN, PROT_READ | PROT_WRITE, 0);
	memset(v + B_CUT_PAGE * PG, 0x77, 2 * PG);
	((volatile unsigned char *)v)[PG] = v[PG]; /* one below the cut */
	resize_region(img, cut_off);
	check_views(b, v);
	check_rw_across_cut(b);
	check_below_cut(fs, b);
	check_alloc_in_lost(fs, img, cut_off);
	CHECK_OK(daxfs_unmap(v, B_LEN));
	check_close(a);
	check_close(b);
	/* Unmount writes only the region's start: it succeeds. */
	check_unmount(fs);

	resize_region(img, 32 * TEST_MIB); /* the lost part reads as 0 now */
	cr_assert_eq(test_e2fsck(img, NULL), 0);
	fs = check_mount(img, 0);
	check_pattern_file(fs, "/A", 1, A_LEN);
	b = check_open(fs, "/B", O_RDONLY, 0);
	check_pread_pattern(b, 2, 0, PG);
	check_lost_reads_zero(b);
	check_close(b);
	check_unmount_fsck(fs, img);
}
