/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dax_truncate.c -- truncate against views: threads read and write
 * random pages of shared lazy views while another thread truncates the
 * file down and up (SIGBUS caught per thread); afterwards pages past the
 * size raise SIGBUS, re-extended pages read zero, data below the size is
 * consistent (scen_dax_truncate of tests/util/scen_dax.c, which
 * tsan/tsan_dax.c runs too), and no view ever reaches a block that
 * truncate freed and another file reused.
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
#include "scenarios.h"

#define PG TEST_PAGE
#define REUSE_BYTE 0xEE /* what the other file writes: never in F */

TestSuite(dax_truncate, .init = test_probe_install, .fini = test_cleanup,
	  .timeout = 60);

/* Fill F's pages [0, n) with their values through pwrite. */
static void fill_pv(daxfs_file *f, uint64_t n)
{
	unsigned char buf[PG];
	uint64_t p;

	for (p = 0; p < n; p++) {
		memset(buf, scen_dax_value(p), PG);
		CHECK_EQ(daxfs_pwrite(f, buf, PG, p * PG), PG);
	}
}

/* The scenario of tests/util/scen_dax.c, shared with tsan_dax. */
Test(dax_truncate, truncate_against_shared_views)
{
	const char *path;
	daxfs *fs = check_new_fs("trunc", 16 * TEST_MIB, 4096, 0, &path);
	struct scen_dax_stats st;
	struct test_err e = { 0 };
	int r = scen_dax_truncate(fs, 5, &st, &e);

	fprintf(stderr, "truncate stress: %ld ops, %ld SIGBUS, %ld truncate "
		"cycles, %ld populated views, %ld persist/fsync\n",
		atomic_load(&st.ops), atomic_load(&st.sigbus),
		atomic_load(&st.truncs), atomic_load(&st.populates),
		atomic_load(&st.syncs));
	if (r)
		daxfs_unmount(fs);
	cr_assert_eq(r, 0, "%d failure(s), first: %s", atomic_load(&e.count),
		     e.msg);
	cr_assert_gt(atomic_load(&st.truncs), 10, "the truncater made no "
		     "progress (%ld)", atomic_load(&st.truncs));
	cr_assert_gt(atomic_load(&st.sigbus), 0, "no SIGBUS seen in %ld ops",
		     atomic_load(&st.ops));
	cr_assert_gt(atomic_load(&st.populates), 1);
	cr_assert_gt(atomic_load(&st.syncs), 4);
	check_unmount_fsck(fs, path);
}

/*
 * Truncate to 0, let another file reuse the freed blocks with a pattern,
 * re-extend: the old views (lazy, populated, writable) read zeros.
 */
Test(dax_truncate, no_view_reaches_a_reused_block)
{
	const char *path;
	daxfs *fs = check_new_fs("reuse", 8 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	daxfs_file *g = check_open(fs, "/g", O_RDWR | O_CREAT, 0644);
	unsigned char *lazy, *pop, *rw, *junk;
	struct statvfs sv;
	uint64_t gbytes;
	long bad;

	fill_pv(f, 64);
	lazy = check_map(f, 0, 64 * PG, PROT_READ, 0);
	rw = check_map(f, 0, 64 * PG, PROT_READ | PROT_WRITE, 0);
	CHECK_OK(daxfs_map(f, 0, 64 * PG, PROT_READ, DAXFS_MAP_POPULATE,
			   (void **)&pop));
	cr_assert_eq(lazy[10 * PG], scen_dax_value(10));
	rw[20 * PG] = scen_dax_value(20);
	cr_assert_eq(pop[30 * PG], scen_dax_value(30));
	CHECK_OK(daxfs_ftruncate(f, 0));
	/* g takes every free block: the 64 freed ones included. */
	CHECK_OK(daxfs_statfs(fs, &sv));
	gbytes = (uint64_t)(sv.f_bfree - 4) * PG;
	junk = malloc(gbytes);
	cr_assert(junk);
	memset(junk, REUSE_BYTE, gbytes);
	CHECK_EQ(daxfs_pwrite(g, junk, gbytes, 0), gbytes);
	CHECK_OK(daxfs_statfs(fs, &sv));
	cr_assert_lt(sv.f_bfree, 8, "the freed blocks must be reused");
	CHECK_OK(daxfs_ftruncate(f, 64 * PG));
	bad = test_first_nonzero(lazy, 64 * PG);
	cr_assert_eq(bad, -1, "lazy view reads %#x at %ld", lazy[bad], bad);
	bad = test_first_nonzero(rw, 64 * PG);
	cr_assert_eq(bad, -1, "writable view reads %#x at %ld", rw[bad], bad);
	bad = test_first_nonzero(pop, 64 * PG);
	cr_assert_eq(bad, -1, "populated view reads %#x at %ld", pop[bad], bad);
	/* g is intact. */
	memset(junk, 0, gbytes);
	CHECK_EQ(daxfs_pread(g, junk, gbytes, 0), gbytes);
	for (uint64_t i = 0; i < gbytes; i += 997)
		cr_assert_eq(junk[i], REUSE_BYTE);
	CHECK_OK(daxfs_unmap(lazy, 64 * PG));
	CHECK_OK(daxfs_unmap(rw, 64 * PG));
	CHECK_OK(daxfs_unmap(pop, 64 * PG));
	CHECK_OK(daxfs_close(f));
	CHECK_OK(daxfs_close(g));
	free(junk);
	check_unmount_fsck(fs, path);
}
