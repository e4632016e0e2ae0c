/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_truncate.c -- white-box tests of dax/truncate.c on a host file with
 * no ext2 (tests/util/dax_fix.h): dax_truncate deletes every entry at and
 * past the cut (4 KiB and 2 MiB, across units), keeps those below, splits
 * a 2 MiB entry that straddles the cut into 4 KiB entries of the same
 * blocks (dirty kept), and takes the pages past the cut from every view
 * (lazy: unmapped, populated: SIGBUS); dax_invalidate_zero replaces zero
 * pages that just got blocks in every view and drops their entries, and
 * leaves block entries and other pages alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "dax/mapping.h"
#include "check.h"
#include "dax_fix.h"
#include "probe.h"

TestSuite(truncate, .init = test_probe_install, .fini = test_cleanup,
	  .timeout = 60);

#define PG TEST_PAGE
#define SEED 6
#define RW (PROT_READ | PROT_WRITE)
#define UNIT DAX_PMD_PAGES

Test(truncate, deletes_entries_at_and_past_the_cut)
{
	struct dax_fix x;
	uint64_t idx;

	CHECK_OK(dax_fix_open(&x, 4, SEED));
	CHECK_OK(dax_fix_set_entry(&x.m, 0, false, dax_make(100, 0)));
	CHECK_OK(dax_fix_set_entry(&x.m, 1, false, dax_make(101, DAX_DIRTY)));
	CHECK_OK(dax_fix_set_entry(&x.m, 2, false, dax_make(102, DAX_DIRTY)));
	CHECK_OK(dax_fix_set_entry(&x.m, 3, false, DAX_ZERO_PAGE));
	CHECK_OK(dax_fix_set_entry(&x.m, UNIT + 7, false, dax_make(300, 0)));
	CHECK_OK(dax_fix_set_entry(&x.m, 3 * UNIT, true, dax_make(1024, DAX_PMD | DAX_DIRTY)));
	cr_assert_eq(atomic_load(&x.m.nr_entries), 6);
	cr_assert_eq(atomic_load(&x.m.nr_dirty), 3);

	dax_truncate(&x.m, 2);
	cr_assert_eq(dax_peek_entry(&x.m, 0), dax_make(100, 0));
	cr_assert_eq(dax_peek_entry(&x.m, 1), dax_make(101, DAX_DIRTY));
	idx = 2;
	cr_assert_eq(dax_next_entry(&x.m, &idx, UINT64_MAX), 0,
		     "an entry is left at %llu", (unsigned long long)idx);
	cr_assert_eq(atomic_load(&x.m.nr_entries), 2);
	cr_assert_eq(atomic_load(&x.m.nr_dirty), 1);
	/* Truncating at 0 empties the mapping; again is harmless. */
	dax_truncate(&x.m, 0);
	cr_assert_eq(atomic_load(&x.m.nr_entries), 0);
	cr_assert_eq(atomic_load(&x.m.nr_dirty), 0);
	dax_truncate(&x.m, 0);
	cr_assert_eq(atomic_load(&x.m.nr_entries), 0);
	dax_fix_close(&x);
}

Test(truncate, splits_a_straddling_2mib_entry)
{
	struct dax_fix x;
	uint64_t idx, e;

	CHECK_OK(dax_fix_open(&x, 4, SEED));
	CHECK_OK(dax_fix_set_entry(&x.m, 0, true, dax_make(512, DAX_PMD | DAX_DIRTY)));
	CHECK_OK(dax_fix_set_entry(&x.m, UNIT, true, dax_make(1024, DAX_PMD)));
	cr_assert_eq(atomic_load(&x.m.nr_entries), 2);

	dax_truncate(&x.m, 10);
	for (idx = 0; idx < 10; idx++) {
		e = dax_peek_entry(&x.m, idx);
		cr_assert_eq(e, dax_make(512 + idx, DAX_DIRTY),
			     "index %llu: %#llx", (unsigned long long)idx,
			     (unsigned long long)e);
	}
	cr_assert_eq(dax_peek_entry(&x.m, 10), 0);
	cr_assert_eq(dax_peek_entry(&x.m, UNIT - 1), 0);
	cr_assert_eq(dax_peek_entry(&x.m, UNIT), 0, "unit 1's entry stayed");
	cr_assert_eq(atomic_load(&x.m.nr_entries), 10);
	cr_assert_eq(atomic_load(&x.m.nr_dirty), 10);
	/* The 4 KiB entries below can be grabbed alone now. */
	CHECK_OK(dax_grab_entry(&x.m, 9, false, true, &e));
	cr_assert(!dax_is_pmd(e));
	dax_put_entry(&x.m, 9, e);
	dax_fix_close(&x);
}

Test(truncate, cut_at_a_unit_boundary_keeps_the_2mib_entry_below)
{
	struct dax_fix x;

	CHECK_OK(dax_fix_open(&x, 4, SEED));
	CHECK_OK(dax_fix_set_entry(&x.m, 0, true, dax_make(512, DAX_PMD)));
	CHECK_OK(dax_fix_set_entry(&x.m, UNIT, true, dax_make(1024, DAX_PMD | DAX_DIRTY)));
	dax_truncate(&x.m, UNIT);
	cr_assert_eq(dax_peek_entry(&x.m, 0), dax_make(512, DAX_PMD));
	cr_assert_eq(dax_peek_entry(&x.m, 5), dax_make(512, DAX_PMD));
	cr_assert_eq(dax_peek_entry(&x.m, UNIT), 0);
	cr_assert_eq(atomic_load(&x.m.nr_entries), 1);
	cr_assert_eq(atomic_load(&x.m.nr_dirty), 0);
	dax_fix_close(&x);
}

Test(truncate, views_lose_the_pages_past_the_cut)
{
	struct dax_fix x;
	struct dax_view *lazy, *pop;
	unsigned char c = 0;

	CHECK_OK(dax_fix_open(&x, 8, SEED));
	lazy = dax_fix_view(&x, 0, 8, RW, 0, false);
	pop = dax_fix_view(&x, 0, 8, PROT_READ, DAXFS_MAP_POPULATE, false);
	cr_assert(lazy && pop);
	CHECK_OK(dax_view_install(lazy, 0, 6, 0, DAX_PG_RW));
	CHECK_OK(dax_view_install(pop, 0, 8, 0, DAX_PG_RO));
	/* (Entry words are never 0: block 0 holds the superblock.) */
	for (uint64_t p = 0; p < 6; p++)
		CHECK_OK(dax_fix_set_entry(&x.m, p, false, dax_make(p + 1, 0)));

	dax_truncate(&x.m, 3);
	cr_assert_str_eq(dax_fix_states(lazy, 0, 8), "wwwNNNNN");
	cr_assert_str_eq(dax_fix_states(pop, 0, 8), "rrrbbbbb");
	cr_assert_eq(atomic_load(&pop->nr_sigbus), 5);
	cr_assert_eq(atomic_load(&x.m.nr_entries), 3);
	cr_assert_eq(dax_peek_entry(&x.m, 2), dax_make(3, 0));
	cr_assert_eq(dax_peek_entry(&x.m, 3), 0);
	/* Below the cut the data is still there, past it SIGBUS. */
	cr_assert_eq(test_pattern_mismatch(pop->addr + 2 * PG, PG, SEED,
					   2 * PG), -1);
	cr_assert_eq(test_probe_read(pop->addr + 3 * PG, &c), -1);
	cr_assert_eq(test_probe_read(pop->addr + 7 * PG, &c), -1);
	/* A lazy page past the cut faults again when touched. */
	cr_assert_eq(atomic_load(&dax_fix_faults), 0);
	cr_assert_eq(test_probe_read(lazy->addr + 4 * PG, &c), 0);
	cr_assert_eq(atomic_load(&dax_fix_faults), 1);
	dax_fix_view_delete(&lazy);
	dax_fix_view_delete(&pop);
	dax_fix_close(&x);
}

Test(truncate, invalidate_zero_replaces_zero_pages_and_drops_entries)
{
	struct dax_fix x;
	struct dax_view *lazy, *pop;

	CHECK_OK(dax_fix_open(&x, 32, SEED));
	lazy = dax_fix_view(&x, 0, 8, PROT_READ, 0, false);
	pop = dax_fix_view(&x, 0, 8, PROT_READ, DAXFS_MAP_POPULATE, false);
	cr_assert(lazy && pop);
	/* Pages 2, 3 and 6 read as holes; 4 has a block; 5 nothing. */
	for (uint64_t p = 2; p <= 6; p++) {
		if (p == 5)
			continue;
		CHECK_OK(dax_fix_set_entry(&x.m, p, false,
			  p == 4 ? dax_make(4, 0) : DAX_ZERO_PAGE));
		CHECK_OK(dax_view_install(lazy, p, 1, p * PG,
					  p == 4 ? DAX_PG_RO : DAX_PG_ZERO));
		CHECK_OK(dax_view_install(pop, p, 1, p * PG,
					  p == 4 ? DAX_PG_RO : DAX_PG_ZERO));
	}
	cr_assert_str_eq(dax_fix_states(pop, 0, 8), "NNzzrNzN");

	/* A write gave pages 2..5 the device pages 16..19. */
	dax_invalidate_zero(&x.m, 2, 4, 16 * PG);
	cr_assert_str_eq(dax_fix_states(lazy, 0, 8), "NNNNrNzN");
	cr_assert_str_eq(dax_fix_states(pop, 0, 8), "NNrrrNzN");
	cr_assert_eq(test_pattern_mismatch(pop->addr + 2 * PG, PG, SEED,
					   16 * PG), -1);
	cr_assert_eq(test_pattern_mismatch(pop->addr + 3 * PG, PG, SEED,
					   17 * PG), -1);
	cr_assert_eq(test_pattern_mismatch(pop->addr + 4 * PG, PG, SEED,
					   4 * PG), -1);
	cr_assert_eq(dax_peek_entry(&x.m, 2), 0);
	cr_assert_eq(dax_peek_entry(&x.m, 3), 0);
	cr_assert_eq(dax_peek_entry(&x.m, 4), dax_make(4, 0));
	cr_assert_eq(dax_peek_entry(&x.m, 5), 0, "a placeholder was left");
	cr_assert_eq(dax_peek_entry(&x.m, 6), DAX_ZERO_PAGE);
	cr_assert_eq(atomic_load(&x.m.nr_entries), 2);
	/* Nothing left in range: a second call changes nothing. */
	dax_invalidate_zero(&x.m, 2, 4, 16 * PG);
	cr_assert_str_eq(dax_fix_states(pop, 0, 8), "NNrrrNzN");
	cr_assert_eq(atomic_load(&x.m.nr_entries), 2);
	dax_fix_view_delete(&lazy);
	dax_fix_view_delete(&pop);
	dax_fix_close(&x);
}

Test(truncate, invalidate_zero_on_an_empty_mapping_does_nothing)
{
	struct dax_fix x;
	struct dax_view *pop;

	CHECK_OK(dax_fix_open(&x, 8, SEED));
	pop = dax_fix_view(&x, 0, 4, PROT_READ, DAXFS_MAP_POPULATE, false);
	cr_assert(pop);
	/* A zero page no entry records is not the engine's: left alone. */
	CHECK_OK(dax_view_install(pop, 1, 1, 0, DAX_PG_ZERO));
	dax_invalidate_zero(&x.m, 0, 4, 4 * PG);
	cr_assert_str_eq(dax_fix_states(pop, 0, 4), "NzNN");
	cr_assert_eq(atomic_load(&x.m.nr_entries), 0);
	dax_fix_view_delete(&pop);
	dax_fix_close(&x);
}

/* A punch (fallocate) of [UNIT + 100, 4 * UNIT): the 2 MiB entry that
 * straddles its start is split (the pages before keep their blocks and
 * dirt), the one wholly inside goes whole, entries outside stay. */
Test(truncate, punch_splits_the_edges_and_deletes_the_range)
{
	struct dax_fix x;
	uint64_t idx, i;

	CHECK_OK(dax_fix_open(&x, 4, SEED));
	CHECK_OK(dax_fix_set_entry(&x.m, 0, false, dax_make(100, 0)));
	CHECK_OK(dax_fix_set_entry(&x.m, 5, false, dax_make(105, DAX_DIRTY)));
	CHECK_OK(dax_fix_set_entry(&x.m, UNIT, true,
				   dax_make(1024, DAX_PMD | DAX_DIRTY)));
	CHECK_OK(dax_fix_set_entry(&x.m, 3 * UNIT, true,
				   dax_make(2048, DAX_PMD)));
	CHECK_OK(dax_fix_set_entry(&x.m, 4 * UNIT + 1, false,
				   dax_make(400, 0)));

	dax_punch(&x.m, UNIT + 100, 3 * UNIT - 100);
	cr_assert_eq(dax_peek_entry(&x.m, 0), dax_make(100, 0));
	cr_assert_eq(dax_peek_entry(&x.m, 5), dax_make(105, DAX_DIRTY));
	for (i = 0; i < 100; i++)
		cr_assert_eq(dax_peek_entry(&x.m, UNIT + i),
			     dax_make(1024 + i, DAX_DIRTY), "page %llu",
			     (unsigned long long)(UNIT + i));
	idx = UNIT + 100;
	cr_assert_eq(dax_next_entry(&x.m, &idx, 4 * UNIT), 0,
		     "an entry is left at %llu", (unsigned long long)idx);
	cr_assert_eq(dax_peek_entry(&x.m, 4 * UNIT + 1), dax_make(400, 0));
	cr_assert_eq(atomic_load(&x.m.nr_entries), 103);
	dax_fix_close(&x);
}
