/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapping.c -- the views of a file's mapping (the i_mmap of an
 * address_space): adding and removing them, and changing the pages of
 * all of them at once.
 *
 * Lock order: see ext2/ext2.h.  This file takes mapping->views_lock only,
 * which nests inside entry locks: the callers of
 * dax_mapping_update_views hold the entry locks of the range (or
 * dax_sem exclusively), so no fault changes those pages meanwhile.
 */
#include <pthread.h>

#include "dax/mapping.h"

/* Add v to the views of m. */
void dax_mapping_add_view(struct dax_mapping *m, struct dax_view *v)
{
	pthread_mutex_lock(&m->views_lock);
	v->mapping = m;
	v->next = m->views;
	m->views = v;
	atomic_fetch_add(&m->nr_views, 1);
	pthread_mutex_unlock(&m->views_lock);
}

/* Take v out of the views of m. */
void dax_mapping_del_view(struct dax_mapping *m, struct dax_view *v)
{
	struct dax_view **pp;

	pthread_mutex_lock(&m->views_lock);
	for (pp = &m->views; *pp; pp = &(*pp)->next) {
		if (*pp == v) {
			*pp = v->next;
			atomic_fetch_sub(&m->nr_views, 1);
			break;
		}
	}
	pthread_mutex_unlock(&m->views_lock);
}

/* Apply mode to the run [a, b) of v, whose pages are all in one state:
 * unmap them (lazy view, or a punched hole in any view), give them the
 * SIGBUS page (populated view, truncate) or the blocks from dev_off, the
 * device offset of page first (a hole filled; unmapped if they cannot be
 * installed, as on a region that maps in 2 MiB units when they are not
 * an aligned unit). */
static void view_update_run(struct dax_view *v, uint64_t a, uint64_t b,
			    enum dax_views_mode mode, uint64_t first,
			    uint64_t dev_off)
{
	bool pop = v->flags & 1 /* DAXFS_MAP_POPULATE */;

	if (!pop || mode == DAX_VIEWS_PUNCH)
		dax_view_zap(v, a, b - a);
	else if (mode == DAX_VIEWS_TRUNCATE)
		dax_view_install(v, a, b - a, 0, DAX_PG_SIGBUS);
	else if (dax_view_install(v, a, b - a,
				  dev_off + ((a - first) << DAX_PAGE_SHIFT),
				  dax_view_read_state(v)))
		dax_view_zap(v, a, b - a); /* never stale zeros: a fault */
}

/* Apply mode to the pages of every view of m in [first, first+n), one
 * run of pages in the same state at a time (see mapping.h). */
void dax_mapping_update_views(struct dax_mapping *m, uint64_t first,
			      uint64_t n, enum dax_views_mode mode,
			      uint64_t dev_off)
{
	struct dax_view *v;

	pthread_mutex_lock(&m->views_lock);
	for (v = m->views; v; v = v->next) {
		uint64_t lo, hi;

		dax_view_clip(v, first, n, &lo, &hi);
		while (lo < hi) {
			uint64_t a = lo, b;
			enum dax_page_state s = dax_view_state(v, a);
			bool hit = mode == DAX_VIEWS_REPLACE_ZERO
					   ? s == DAX_PG_ZERO
					   : s != DAX_PG_NONE &&
						     s != DAX_PG_SIGBUS;

			for (b = a + 1;
			     b < hi && dax_view_state(v, b) == s; b++)
				;
			lo = b;
			if (hit)
				view_update_run(v, a, b, mode, first, dev_off);
		}
	}
	pthread_mutex_unlock(&m->views_lock);
}
