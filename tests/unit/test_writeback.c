/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_writeback.c -- white-box tests of dax/writeback.c on a host file
 * with no ext2 (tests/util/dax_fix.h) and a region whose flush and drain
 * are recording stand-ins: dax_writeback flushes exactly the blocks of the
 * dirty entries (4 KiB, runs of them, a 2 MiB entry whole), drains once,
 * clears DAX_DIRTY and nr_dirty, leaves clean entries alone, does nothing
 * with nothing dirty; write-protects the pages of views that track stores
 * (the next store faults again), and keeps entries dirty while a view that
 * does not track stores has them writable; an mprotect that fails (no
 * mapping left to split, vm.max_map_count) is reported with the entries
 * left dirty, and the next writeback completes them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "core/region.h"
#include "dax/mapping.h"
#include "check.h"
#include "dax_fix.h"
#include "probe.h"

TestSuite(writeback, .init = test_probe_install, .fini = test_cleanup,
	  .timeout = 60);

#define PG TEST_PAGE
#define SEED 7
#define RW (PROT_READ | PROT_WRITE)
#define UNIT DAX_PMD_PAGES

/* ---- a region that records its flushes ----------------------------- */

static struct region rgn;
static struct {
	int n;
	uint64_t off[128], len[128];
} flushes;
static int drains;

static void rec_flush(const void *p, size_t len)
{
	cr_assert_lt(flushes.n, 128);
	flushes.off[flushes.n] = (uint64_t)((const unsigned char *)p -
					    rgn.base);
	flushes.len[flushes.n++] = len;
}

static void rec_drain(void)
{
	drains++;
}

/* The fix's device mapped as the region's bytes. */
static void rgn_open(struct dax_fix *x, uint64_t pages)
{
	void *b = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		       x->fd, 0);

	cr_assert_neq(b, MAP_FAILED);
	memset(&rgn, 0, sizeof(rgn));
	rgn.base = b;
	rgn.size = pages * PG;
	rgn.fd = x->fd;
	rgn.flush = rec_flush;
	rgn.drain = rec_drain;
	memset(&flushes, 0, sizeof(flushes));
	drains = 0;
}

static void rgn_close(void)
{
	munmap(rgn.base, rgn.size);
}

/* Flush i was of n bytes at block blk. */
static void expect_flush(int i, uint64_t blk, uint64_t n)
{
	cr_assert_lt(i, flushes.n, "only %d flushes", flushes.n);
	cr_assert_eq(flushes.off[i], blk * PG, "flush %d at %#llx, expected "
		     "block %llu", i, (unsigned long long)flushes.off[i],
		     (unsigned long long)blk);
	cr_assert_eq(flushes.len[i], n, "flush %d of %llu bytes", i,
		     (unsigned long long)flushes.len[i]);
}

/* ---- tests ---------------------------------------------------------- */

Test(writeback, flushes_dirty_entries_and_cleans_them)
{
	struct dax_fix x;

	CHECK_OK(dax_fix_open(&x, 32, SEED));
	rgn_open(&x, 32);
	CHECK_OK(dax_fix_set_entry(&x.m, 0, false, dax_make(10, DAX_DIRTY)));
	CHECK_OK(dax_fix_set_entry(&x.m, 1, false, dax_make(11, DAX_DIRTY)));
	CHECK_OK(dax_fix_set_entry(&x.m, 2, false, dax_make(12, DAX_DIRTY)));
	CHECK_OK(dax_fix_set_entry(&x.m, 5, false, dax_make(15, 0)));
	CHECK_OK(dax_fix_set_entry(&x.m, 6, false, DAX_ZERO_PAGE));
	CHECK_OK(dax_fix_set_entry(&x.m, 7, false, dax_make(17, DAX_DIRTY)));
	cr_assert_eq(atomic_load(&x.m.nr_dirty), 4);

	CHECK_OK(dax_writeback(&x.m, &rgn));
	cr_assert_eq(flushes.n, 4);
	expect_flush(0, 10, PG);
	expect_flush(1, 11, PG);
	expect_flush(2, 12, PG);
	expect_flush(3, 17, PG);
	cr_assert_eq(drains, 1);
	cr_assert_eq(atomic_load(&x.m.nr_dirty), 0);
	cr_assert_eq(dax_peek_entry(&x.m, 0), dax_make(10, 0));
	cr_assert_eq(dax_peek_entry(&x.m, 2), dax_make(12, 0));
	cr_assert_eq(dax_peek_entry(&x.m, 5), dax_make(15, 0));
	cr_assert_eq(dax_peek_entry(&x.m, 6), DAX_ZERO_PAGE);
	cr_assert_eq(dax_peek_entry(&x.m, 7), dax_make(17, 0));
	cr_assert_eq(atomic_load(&x.m.nr_entries), 6);
	/* Nothing dirty: no flush, no drain. */
	CHECK_OK(dax_writeback(&x.m, &rgn));
	cr_assert_eq(flushes.n, 4);
	cr_assert_eq(drains, 1);
	rgn_close();
	dax_fix_close(&x);
}

Test(writeback, flushes_a_2mib_entry_whole_and_runs_past_64)
{
	struct dax_fix x;
	uint64_t i;

	CHECK_OK(dax_fix_open(&x, 3 * UNIT, SEED));
	rgn_open(&x, 3 * UNIT);
	/* 70 dirty pages in a row: more than one batch. */
	for (i = 0; i < 70; i++)
		CHECK_OK(dax_fix_set_entry(&x.m, i, false, dax_make(100 + i, DAX_DIRTY)));
	CHECK_OK(dax_fix_set_entry(&x.m, 2 * UNIT, true,
		  dax_make(UNIT, DAX_PMD | DAX_DIRTY)));
	cr_assert_eq(atomic_load(&x.m.nr_dirty), 71);
	CHECK_OK(dax_writeback(&x.m, &rgn));
	cr_assert_eq(flushes.n, 71);
	for (i = 0; i < 70; i++)
		expect_flush((int)i, 100 + i, PG);
	expect_flush(70, UNIT, DAX_PMD_SIZE);
	cr_assert_eq(drains, 1);
	cr_assert_eq(atomic_load(&x.m.nr_dirty), 0);
	cr_assert_eq(dax_peek_entry(&x.m, 2 * UNIT + 3),
		     dax_make(UNIT, DAX_PMD));
	cr_assert_eq(dax_peek_entry(&x.m, 69), dax_make(169, 0));
	rgn_close();
	dax_fix_close(&x);
}

Test(writeback, write_protects_views_that_track_stores)
{
	struct dax_fix x;
	struct dax_view *v;

	CHECK_OK(dax_fix_open(&x, 16, SEED));
	rgn_open(&x, 16);
	v = dax_fix_view(&x, 0, 6, RW, 0, true);
	cr_assert(v);
	CHECK_OK(dax_view_install(v, 0, 4, 0, DAX_PG_RW));
	CHECK_OK(dax_view_install(v, 4, 1, 4 * PG, DAX_PG_RO));
	/* (Entry words are never 0: block 0 holds the superblock.) */
	for (uint64_t p = 0; p < 4; p++)
		CHECK_OK(dax_fix_set_entry(&x.m, p, false, dax_make(8 + p, DAX_DIRTY)));
	CHECK_OK(dax_fix_set_entry(&x.m, 4, false, dax_make(12, 0)));

	CHECK_OK(dax_writeback(&x.m, &rgn));
	cr_assert_str_eq(dax_fix_states(v, 0, 6), "rrrrrN");
	cr_assert_eq(atomic_load(&x.m.nr_dirty), 0);
	cr_assert_eq(flushes.n, 4);
	/* The next store faults (and would dirty the entry again). */
	cr_assert_eq(atomic_load(&dax_fix_faults), 0);
	cr_assert_eq(test_probe_write(v->addr + 2 * PG + 5, 0x33), 0);
	cr_assert_eq(atomic_load(&dax_fix_faults), 1);
	cr_assert_eq(dax_view_state(v, 2), DAX_PG_RW);
	cr_assert_eq(((unsigned char *)rgn.base)[2 * PG + 5], 0x33);
	dax_fix_view_delete(&v);
	rgn_close();
	dax_fix_close(&x);
}

Test(writeback, untracked_writable_views_keep_entries_dirty)
{
	struct dax_fix x;
	struct dax_view *untracked, *tracked, *ro;

	CHECK_OK(dax_fix_open(&x, 16, SEED));
	rgn_open(&x, 16);
	untracked = dax_fix_view(&x, 0, 2, RW, DAXFS_MAP_POPULATE, false);
	tracked = dax_fix_view(&x, 0, 4, RW, 0, true);
	ro = dax_fix_view(&x, 2, 2, RW, DAXFS_MAP_POPULATE, false);
	cr_assert(untracked && tracked && ro);
	CHECK_OK(dax_view_install(untracked, 0, 2, 0, DAX_PG_RW));
	CHECK_OK(dax_view_install(tracked, 0, 4, 0, DAX_PG_RW));
	CHECK_OK(dax_view_install(ro, 2, 2, 2 * PG, DAX_PG_RO));
	/* Two runs of dirty entries: 0-1 and 3. */
	CHECK_OK(dax_fix_set_entry(&x.m, 0, false, dax_make(8, DAX_DIRTY)));
	CHECK_OK(dax_fix_set_entry(&x.m, 1, false, dax_make(9, DAX_DIRTY)));
	CHECK_OK(dax_fix_set_entry(&x.m, 2, false, dax_make(10, 0)));
	CHECK_OK(dax_fix_set_entry(&x.m, 3, false, dax_make(11, DAX_DIRTY)));

	CHECK_OK(dax_writeback(&x.m, &rgn));
	/* Everything flushed; the tracked view protected where dirty. */
	cr_assert_eq(flushes.n, 3);
	cr_assert_str_eq(dax_fix_states(tracked, 0, 4), "rrwr");
	cr_assert_str_eq(dax_fix_states(untracked, 0, 2), "ww");
	/* Pages 0-1 can take stores unseen: still dirty.  Page 3 is
	 * writable nowhere now: clean. */
	cr_assert(dax_is_dirty(dax_peek_entry(&x.m, 0)));
	cr_assert(dax_is_dirty(dax_peek_entry(&x.m, 1)));
	cr_assert_eq(dax_peek_entry(&x.m, 2), dax_make(10, 0));
	cr_assert_eq(dax_peek_entry(&x.m, 3), dax_make(11, 0));
	cr_assert_eq(atomic_load(&x.m.nr_dirty), 2);
	/* Each writeback flushes them again while the view lives. */
	CHECK_OK(dax_writeback(&x.m, &rgn));
	cr_assert_eq(flushes.n, 5);
	expect_flush(3, 8, PG);
	expect_flush(4, 9, PG);
	dax_fix_view_delete(&untracked);
	CHECK_OK(dax_writeback(&x.m, &rgn));
	cr_assert_eq(atomic_load(&x.m.nr_dirty), 0);
	dax_fix_view_delete(&tracked);
	dax_fix_view_delete(&ro);
	rgn_close();
	dax_fix_close(&x);
}

/*
 * Map one-page anonymous mappings, alternately readable and not (so no
 * two merge), until no mapping can be made (vm.max_map_count): *n of them
 * in pages[max].
 */
static void exhaust_mappings(void **pages, size_t max, size_t *n)
{
	for (*n = 0; *n < max; (*n)++) {
		void *p = mmap(NULL, PG, (*n & 1) ? PROT_READ : PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			break;
		pages[*n] = p;
	}
}

Test(writeback, failed_write_protect_is_reported_and_stays_dirty)
{
	size_t max = 1 << 20, n = 0, i;
	void **pages = mmap(NULL, max * sizeof(void *), RW,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct dax_fix x;
	struct dax_view *v;
	long dirty_after;
	int r;

	cr_assert_neq(pages, MAP_FAILED);
	CHECK_OK(dax_fix_open(&x, 16, SEED));
	rgn_open(&x, 16);
	v = dax_fix_view(&x, 0, 4, RW, 0, true);
	cr_assert(v);
	/* One writable mapping of 4 pages; pages 0 and 2 dirty: protecting
	 * page 0 alone must split it. */
	CHECK_OK(dax_view_install(v, 0, 4, 0, DAX_PG_RW));
	CHECK_OK(dax_fix_set_entry(&x.m, 0, false, dax_make(8, DAX_DIRTY)));
	CHECK_OK(dax_fix_set_entry(&x.m, 1, false, dax_make(9, 0)));
	CHECK_OK(dax_fix_set_entry(&x.m, 2, false, dax_make(10, DAX_DIRTY)));
	exhaust_mappings(pages, max, &n);
	r = dax_writeback(&x.m, &rgn);
	dirty_after = atomic_load(&x.m.nr_dirty);
	for (i = 0; i < n; i++)
		munmap(pages[i], PG);
	cr_assert(n > 0 && n < max, "%zu mappings", n);
	cr_assert_eq(r, -ENOMEM, "writeback with no mapping to split = %d",
		     r);
	check_errormsg("dax_writeback", "write-protected");
	/* Flushed all the same, but left dirty and writable. */
	cr_assert_eq(flushes.n, 2);
	cr_assert_eq(drains, 1);
	cr_assert_eq(dirty_after, 2);
	cr_assert_str_eq(dax_fix_states(v, 0, 4), "wwww");

	/* With mappings to spare, the next writeback completes. */
	CHECK_OK(dax_writeback(&x.m, &rgn));
	cr_assert_str_eq(dax_fix_states(v, 0, 4), "rwrw");
	cr_assert_eq(atomic_load(&x.m.nr_dirty), 0);
	cr_assert_eq(dax_peek_entry(&x.m, 0), dax_make(8, 0));
	cr_assert_eq(dax_peek_entry(&x.m, 2), dax_make(10, 0));
	dax_fix_view_delete(&v);
	rgn_close();
	dax_fix_close(&x);
	munmap(pages, max * sizeof(void *));
}
