/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mapping.h -- what the DAX engine does to every view of a file at once,
 * to keep the views coherent with the block map (the i_mmap walks of mm/
 * and the invalidate and writeback halves of fs/dax.c):
 *   mapping.c    the views of a mapping: add, remove, update them all;
 *   truncate.c   a hole that got blocks, and truncate;
 *   writeback.c  fsync's writeback of dirty entries.
 * Lock order: see ext2/ext2.h.
 */
#ifndef DAXFS_DAX_MAPPING_H
#define DAXFS_DAX_MAPPING_H

#include <stdint.h>

#include "core/region.h"
#include "dax/entry.h"
#include "dax/view.h"

/* mapping.c */

/* Add or remove a view of the mapping (under views_lock). */
void dax_mapping_add_view(struct dax_mapping *m, struct dax_view *v);
void dax_mapping_del_view(struct dax_mapping *m, struct dax_view *v);

/* What dax_mapping_update_views does to the pages it finds. */
enum dax_views_mode {
	DAX_VIEWS_TRUNCATE,     /* pages gone: lazy view -> NONE,
				   populated view -> SIGBUS */
	DAX_VIEWS_REPLACE_ZERO, /* zero pages became blocks at dev_off */
	DAX_VIEWS_REMAP,        /* the pages' blocks moved to dev_off (an
				   atomic write): lazy view -> NONE,
				   populated view -> the new blocks */
	DAX_VIEWS_PUNCH,        /* pages' blocks freed below EOF (a punched
				   hole): every view -> NONE, so the next
				   touch faults the hole in */
};

/*
 * Apply mode to the pages of every view of m in [first, first+n): for
 * DAX_VIEWS_TRUNCATE the installed ones, for DAX_VIEWS_REPLACE_ZERO the
 * zero pages, which then show the blocks from device offset dev_off (the
 * block of page first).  Called with the entry locks of the range held,
 * or with dax_sem held exclusively; takes views_lock.
 */
void dax_mapping_update_views(struct dax_mapping *m, uint64_t first,
			      uint64_t n, enum dax_views_mode mode,
			      uint64_t dev_off);

/* truncate.c */

/*
 * A write allocated blocks [first, first+n) pages at device offset
 * dev_off: views showing the zero page there must see the data now
 * (dax_iomap_actor's invalidation).  Takes the entry locks of the range.
 */
void dax_invalidate_zero(struct dax_mapping *m, uint64_t first,
			 uint64_t n, uint64_t dev_off);

/*
 * An atomic write moved pages [first, first+n) to new blocks at device
 * offset dev_off: every view's pages there show the new blocks (lazy
 * views fault them again), and their entries go.  Called with dax_sem
 * held exclusively (no fault runs), before the old blocks are freed.
 */
void dax_remap(struct dax_mapping *m, uint64_t first, uint64_t n,
	       uint64_t dev_off);

/*
 * Truncate: no view may reach a page at or past first any more.  Called
 * with dax_sem held exclusively (no fault runs) before the blocks are
 * freed.
 */
void dax_truncate(struct dax_mapping *m, uint64_t first);

/*
 * A hole is punched in pages [first, first+n) (fallocate): no view may
 * reach those pages' blocks any more.  2 MiB entries that straddle the
 * range are split (the pages outside keep theirs), every view's pages in
 * the range are unmapped, lazy and populated alike (the next touch
 * faults: zeros, or a new block for a store), and the range's entries
 * go (dirty ones too: their blocks are being freed).  Called with
 * dax_sem held exclusively (no fault runs) before any block is freed.
 */
void dax_punch(struct dax_mapping *m, uint64_t first, uint64_t n);

/* writeback.c */

/* Flush every dirty entry of the file to the media (dax_writeback).
 * Returns 0, -EIO with the message when the memory behind a dirty page
 * is lost (poison, a region file shrunk; the others are flushed), or
 * another negative errno with the message when pages could not be
 * write-protected (they were flushed, and stay dirty). */
int dax_writeback(struct dax_mapping *m, struct region *rgn);

#endif
