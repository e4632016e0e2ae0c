/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mapping.c -- white-box tests of dax/mapping.c on a host file with
 * no ext2 (tests/util/dax_fix.h): dax_mapping_add_view/del_view keep the
 * list of a file's views and its count; dax_mapping_update_views clips
 * [first, first+n) to each view, and in DAX_VIEWS_TRUNCATE unmaps the
 * installed pages of lazy views (NONE) and gives populated views the
 * SIGBUS page, in DAX_VIEWS_REPLACE_ZERO replaces only zero pages, with
 * the device bytes from dev_off in populated views (their read state) and
 * by unmapping in lazy ones; pages outside the range or in other states
 * never change.
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

TestSuite(mapping, .init = test_probe_install, .fini = test_cleanup,
	  .timeout = 60);

#define PG TEST_PAGE
#define SEED 5
#define RW (PROT_READ | PROT_WRITE)

/* The page states of v for file pages [pgoff, pgoff+n) as a string,
 * one letter per page: N(one) r(o) w(rw) z(ero) b(sigbus). */
/* Page p of v shows device page dev (pattern bytes), checked at 3 spots. */
static void expect_dev(const struct dax_view *v, uint64_t p, uint64_t dev)
{
	const unsigned char *a = v->addr + (p - v->pgoff) * PG;

	cr_assert_eq(test_pattern_mismatch(a, 16, SEED, dev * PG), -1,
		     "page %llu does not show device page %llu",
		     (unsigned long long)p, (unsigned long long)dev);
	cr_assert_eq(test_pattern_mismatch(a + PG - 16, 16, SEED,
					   dev * PG + PG - 16), -1);
}

Test(mapping, add_and_del_views)
{
	struct dax_fix x;
	struct dax_view *v[3], *stranger;

	CHECK_OK(dax_fix_open(&x, 8, SEED));
	for (int i = 0; i < 3; i++) {
		CHECK_OK(dax_view_new(PG, (uint64_t)i, &v[i]));
		dax_mapping_add_view(&x.m, v[i]);
		cr_assert_eq(v[i]->mapping, &x.m);
		cr_assert_eq(atomic_load(&x.m.nr_views), i + 1);
	}
	CHECK_OK(dax_view_new(PG, 0, &stranger));
	/* The newest first. */
	cr_assert_eq(x.m.views, v[2]);
	cr_assert_eq(v[2]->next, v[1]);
	cr_assert_eq(v[1]->next, v[0]);
	cr_assert_null(v[0]->next);
	/* A view that is not in the list: nothing changes. */
	dax_mapping_del_view(&x.m, stranger);
	cr_assert_eq(atomic_load(&x.m.nr_views), 3);
	cr_assert_eq(x.m.views, v[2]);
	dax_mapping_del_view(&x.m, v[1]);
	cr_assert_eq(atomic_load(&x.m.nr_views), 2);
	cr_assert_eq(v[2]->next, v[0]);
	/* Deleting it twice changes nothing either. */
	dax_mapping_del_view(&x.m, v[1]);
	cr_assert_eq(atomic_load(&x.m.nr_views), 2);
	dax_mapping_del_view(&x.m, v[2]);
	cr_assert_eq(x.m.views, v[0]);
	dax_mapping_del_view(&x.m, v[0]);
	cr_assert_null(x.m.views);
	cr_assert_eq(atomic_load(&x.m.nr_views), 0);
	for (int i = 0; i < 3; i++)
		dax_view_delete(&v[i]);
	dax_view_delete(&stranger);
	dax_fix_close(&x);
}

Test(mapping, truncate_mode_unmaps_lazy_and_sigbuses_populated)
{
	struct dax_fix x;
	struct dax_view *lazy, *pop, *late;
	unsigned char c = 0;

	CHECK_OK(dax_fix_open(&x, 16, SEED));
	lazy = dax_fix_view(&x, 0, 8, RW, 0, false);
	pop = dax_fix_view(&x, 0, 8, RW, DAXFS_MAP_POPULATE, false);
	late = dax_fix_view(&x, 4, 6, PROT_READ, 0, false); /* pages 4..9 */
	cr_assert(lazy && pop && late);
	/* lazy: r r w z N r r w; pop: w w w z w w b w; late: r r r r r r */
	CHECK_OK(dax_view_install(lazy, 0, 2, 0, DAX_PG_RO));
	CHECK_OK(dax_view_install(lazy, 2, 1, 2 * PG, DAX_PG_RW));
	CHECK_OK(dax_view_install(lazy, 3, 1, 0, DAX_PG_ZERO));
	CHECK_OK(dax_view_install(lazy, 5, 2, 5 * PG, DAX_PG_RO));
	CHECK_OK(dax_view_install(lazy, 7, 1, 7 * PG, DAX_PG_RW));
	CHECK_OK(dax_view_install(pop, 0, 8, 0, DAX_PG_RW));
	CHECK_OK(dax_view_install(pop, 3, 1, 0, DAX_PG_ZERO));
	CHECK_OK(dax_view_install(pop, 6, 1, 0, DAX_PG_SIGBUS));
	CHECK_OK(dax_view_install(late, 4, 6, 4 * PG, DAX_PG_RO));
	cr_assert_str_eq(dax_fix_states(lazy, 0, 8), "rrwzNrrw");
	cr_assert_str_eq(dax_fix_states(pop, 0, 8), "wwwzwwbw");

	dax_mapping_update_views(&x.m, 2, 5, DAX_VIEWS_TRUNCATE, 0);
	cr_assert_str_eq(dax_fix_states(lazy, 0, 8), "rrNNNNNw");
	cr_assert_str_eq(dax_fix_states(pop, 0, 8), "wwbbbbbw");
	cr_assert_str_eq(dax_fix_states(late, 4, 6), "NNNrrr");
	cr_assert_eq(atomic_load(&pop->nr_sigbus), 5);
	/* What is left still shows its pages; a SIGBUS page raises it. */
	expect_dev(lazy, 1, 1);
	expect_dev(lazy, 7, 7);
	expect_dev(pop, 7, 7);
	expect_dev(late, 7, 7);
	cr_assert_eq(test_probe_read(pop->addr + 4 * PG, &c), -1);
	cr_assert_eq(atomic_load(&dax_fix_faults), 0);
	/* A range past every view changes nothing. */
	dax_mapping_update_views(&x.m, 10, 100, DAX_VIEWS_TRUNCATE, 0);
	cr_assert_str_eq(dax_fix_states(late, 4, 6), "NNNrrr");
	cr_assert_str_eq(dax_fix_states(pop, 0, 8), "wwbbbbbw");
	dax_fix_view_delete(&lazy);
	dax_fix_view_delete(&pop);
	dax_fix_view_delete(&late);
	dax_fix_close(&x);
}

Test(mapping, replace_zero_mode_changes_only_zero_pages)
{
	struct dax_fix x;
	struct dax_view *lazy, *pop, *popro, *track;

	CHECK_OK(dax_fix_open(&x, 32, SEED));
	lazy = dax_fix_view(&x, 0, 8, RW, 0, false);
	pop = dax_fix_view(&x, 0, 8, RW, DAXFS_MAP_POPULATE, false);
	popro = dax_fix_view(&x, 2, 4, PROT_READ, DAXFS_MAP_POPULATE, false);
	track = dax_fix_view(&x, 0, 8, RW, DAXFS_MAP_POPULATE, true);
	cr_assert(lazy && pop && popro && track);
	/* Zero pages at 2..4 everywhere; page 5 data, page 1 zero. */
	CHECK_OK(dax_view_install(lazy, 1, 4, 0, DAX_PG_ZERO));
	CHECK_OK(dax_view_install(lazy, 5, 1, 5 * PG, DAX_PG_RO));
	CHECK_OK(dax_view_install(pop, 1, 4, 0, DAX_PG_ZERO));
	CHECK_OK(dax_view_install(pop, 5, 1, 5 * PG, DAX_PG_RW));
	CHECK_OK(dax_view_install(popro, 2, 3, 0, DAX_PG_ZERO));
	CHECK_OK(dax_view_install(track, 2, 3, 0, DAX_PG_ZERO));

	/* The hole at pages 2..5 got device pages 20..23. */
	dax_mapping_update_views(&x.m, 2, 4, DAX_VIEWS_REPLACE_ZERO, 20 * PG);
	cr_assert_str_eq(dax_fix_states(lazy, 0, 8), "NzNNNrNN");
	cr_assert_str_eq(dax_fix_states(pop, 0, 8), "NzwwwwNN");
	cr_assert_str_eq(dax_fix_states(popro, 2, 4), "rrrN");
	cr_assert_str_eq(dax_fix_states(track, 0, 8), "NNrrrNNN",
			 "a view that tracks stores got writable pages");
	for (uint64_t p = 2; p <= 4; p++) {
		expect_dev(pop, p, 18 + p);
		expect_dev(popro, p, 18 + p);
		expect_dev(track, p, 18 + p);
	}
	/* Page 5 was not a zero page: it keeps its own block. */
	expect_dev(pop, 5, 5);
	expect_dev(lazy, 5, 5);
	cr_assert_eq(test_first_nonzero(pop->addr + PG, PG), -1);
	cr_assert_eq(atomic_load(&dax_fix_faults), 0);
	dax_fix_view_delete(&lazy);
	dax_fix_view_delete(&pop);
	dax_fix_view_delete(&popro);
	dax_fix_view_delete(&track);
	dax_fix_close(&x);
}

Test(mapping, update_without_views_and_runs_of_one_state)
{
	struct dax_fix x;
	struct dax_view *pop;

	CHECK_OK(dax_fix_open(&x, 16, SEED));
	/* No views: nothing to do, nothing breaks. */
	dax_mapping_update_views(&x.m, 0, 16, DAX_VIEWS_TRUNCATE, 0);
	dax_mapping_update_views(&x.m, 0, 16, DAX_VIEWS_REPLACE_ZERO, 0);
	/* Alternating states: every zero page gets its own device page. */
	pop = dax_fix_view(&x, 0, 8, RW, DAXFS_MAP_POPULATE, false);
	cr_assert(pop);
	for (uint64_t p = 0; p < 8; p++)
		CHECK_OK(dax_view_install(pop, p, 1, p * PG,
					  p % 2 ? DAX_PG_RO : DAX_PG_ZERO));
	cr_assert_str_eq(dax_fix_states(pop, 0, 8), "zrzrzrzr");
	dax_mapping_update_views(&x.m, 0, 8, DAX_VIEWS_REPLACE_ZERO, 8 * PG);
	cr_assert_str_eq(dax_fix_states(pop, 0, 8), "wrwrwrwr");
	for (uint64_t p = 0; p < 8; p++)
		expect_dev(pop, p, p % 2 ? p : 8 + p);
	dax_fix_view_delete(&pop);
	dax_fix_close(&x);
}
