/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * truncate.c -- the block map changed under the views: a write gave a
 * hole blocks (zero pages must go), or truncate took blocks away (no
 * view may reach them), or a punched hole did (the same, below EOF:
 * dax_punch).  fs/dax.c's invalidation of zero-page entries
 * and dax_delete_mapping_entry, in user space.
 *
 * Lock order: see ext2/ext2.h.  Both take entry locks one at a time,
 * sleeping for each, and views_lock inside them.  dax_invalidate_zero
 * runs inside a write's iomap_begin..iomap_end, where a fault takes its
 * entry locks too (the seed's order); dax_truncate and dax_punch run with
 * dax_sem held exclusively, so no fault runs at all.
 */
#include "dax/mapping.h"

/* Replace, in every view, the zero pages of [first, first+n) that just
 * got blocks from dev_off (see mapping.h), and drop their entries. */
void dax_invalidate_zero(struct dax_mapping *m, uint64_t first,
			 uint64_t n, uint64_t dev_off)
{
	uint64_t i = first, e, step;

	if (!atomic_load(&m->nr_entries))
		return;
	/*
	 * Every present entry is grabbed, locked ones included: a read fault
	 * that looked at the hole before our allocation may be about to
	 * install the zero page; once it has put its entry we see it here.
	 */
	while (dax_next_entry(m, &i, first + n)) {
		if (dax_grab_entry(m, i, false, false, &e)) {
			i++;
			continue;
		}
		step = dax_is_pmd(e) ? DAX_PMD_PAGES : 1;
		i &= ~(step - 1);
		if (dax_is_zero(e)) {
			/* (unsigned wrap: a 2 MiB zero unit may start before
			 * first; its blocks then start before dev_off) */
			dax_mapping_update_views(
				m, i, step,
				DAX_VIEWS_REPLACE_ZERO,
				dev_off + ((i - first) << DAX_PAGE_SHIFT));
			e = 0;
		}
		dax_put_entry(m, i, dax_is_empty(e) ? 0 : e);
		i += step;
	}
}

/* Turn the 2 MiB entry of unit into 4 KiB entries for its pages below
 * first (the pages at and past first are being truncated).  Views keep
 * their mappings of the pages below: the blocks stay. */
static void split_pmd(struct dax_mapping *m, uint64_t unit, uint64_t first)
{
	uint64_t e, i, blk, dirty;

	if (dax_grab_entry(m, unit, false, false, &e))
		return;
	if (!dax_is_pmd(e) || dax_is_empty(e)) {
		dax_put_entry(m, unit, dax_is_empty(e) ? 0 : e);
		return;
	}
	blk = dax_block(e);
	dirty = e & DAX_DIRTY;
	dax_put_entry(m, unit, 0);
	for (i = unit; i < first; i++) {
		if (dax_grab_entry(m, i, false, false, &e))
			continue;
		dax_put_entry(m, i, dax_make(blk + (i - unit), dirty));
	}
}

/* Split every 2 MiB entry that holds a page of [first, first+n) into 4
 * KiB entries (the pages keep their blocks). */
static void split_pmds(struct dax_mapping *m, uint64_t first, uint64_t n)
{
	uint64_t unit = first & ~(uint64_t)(DAX_PMD_PAGES - 1);

	for (; unit < first + n; unit += DAX_PMD_PAGES)
		if (dax_is_pmd(dax_peek_entry(m, unit)))
			split_pmd(m, unit, unit + DAX_PMD_PAGES);
}

/* Move [first, first+n) of every view to dev_off and drop the entries
 * (see mapping.h). */
void dax_remap(struct dax_mapping *m, uint64_t first, uint64_t n,
	       uint64_t dev_off)
{
	uint64_t idx = first, e;

	if (!atomic_load(&m->nr_entries) && !atomic_load(&m->nr_views))
		return;
	split_pmds(m, first, n);
	if (atomic_load(&m->nr_views))
		dax_mapping_update_views(m, first, n, DAX_VIEWS_REMAP, dev_off);
	while (dax_next_entry(m, &idx, first + n)) {
		if (dax_grab_entry(m, idx, false, false, &e))
			break;
		dax_put_entry(m, idx, 0);
		idx++;
	}
}

/* Split a 2 MiB entry that straddles first, unmap every view's pages at
 * and past first, then delete every entry there.  Where the region maps
 * only in units, the unit that holds first goes whole instead. */
void dax_truncate(struct dax_mapping *m, uint64_t first)
{
	uint64_t idx, e, unit = first & ~(uint64_t)(DAX_PMD_PAGES - 1);

	if (m->units) /* no unit is split: the one holding EOF goes whole */
		first = unit;
	if (unit < first && dax_is_pmd(dax_peek_entry(m, first)))
		split_pmd(m, unit, first);
	if (atomic_load(&m->nr_views))
		dax_mapping_update_views(m, first, UINT64_MAX / 2 - first,
					 DAX_VIEWS_TRUNCATE, 0);
	idx = first;
	while (dax_next_entry(m, &idx, UINT64_MAX)) {
		if (dax_grab_entry(m, idx, false, false, &e))
			break;
		dax_put_entry(m, idx, 0);
		idx = dax_is_pmd(e) ? (idx | (DAX_PMD_PAGES - 1)) + 1 : idx + 1;
	}
}

/* Split the 2 MiB entry holding page pg if its unit is not wholly inside
 * [first, end): the pages outside the punched range keep their blocks. */
static void punch_split_edge(struct dax_mapping *m, uint64_t pg,
			     uint64_t first, uint64_t end)
{
	uint64_t unit = pg & ~(uint64_t)(DAX_PMD_PAGES - 1);

	if ((unit < first || unit + DAX_PMD_PAGES > end) &&
	    dax_is_pmd(dax_peek_entry(m, pg)))
		split_pmds(m, pg, 1);
}

/* Unmap [first, first+n) from every view and delete its entries, 2 MiB
 * ones wholly inside included (see mapping.h). */
void dax_punch(struct dax_mapping *m, uint64_t first, uint64_t n)
{
	uint64_t idx = first, e, end = first + n;

	if (!n || (!atomic_load(&m->nr_entries) &&
		   !atomic_load(&m->nr_views)))
		return;
	punch_split_edge(m, first, first, end);
	punch_split_edge(m, end - 1, first, end);
	if (atomic_load(&m->nr_views))
		dax_mapping_update_views(m, first, n, DAX_VIEWS_PUNCH, 0);
	while (dax_next_entry(m, &idx, end)) {
		if (dax_grab_entry(m, idx, false, false, &e))
			break;
		dax_put_entry(m, idx, 0);
		idx = dax_is_pmd(e) ? (idx | (DAX_PMD_PAGES - 1)) + 1 : idx + 1;
	}
}
