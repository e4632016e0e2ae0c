/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * writeback.c -- fsync of stores made through views (dax_writeback and
 * dax_writeback_one of fs/dax.c): every dirty entry is write-protected
 * in the views that track stores, then its blocks are flushed, then it
 * is marked clean.
 *
 * Lock order: see ext2/ext2.h.  An entry is grabbed (sleeping) only for
 * the first of a run; the dirty 4 KiB entries after it are only tried,
 * never waited for, so the order of entry locks does not matter.
 * views_lock is taken inside them.
 */
#include <errno.h>
#include <string.h>

#include "core/err.h"
#include "dax/mapping.h"
#include "dax/view.h"

/* Dirty 4 KiB entries written back together (held at once). */
enum { WRITEBACK_BATCH = 64 };

/*
 * Write-protect, in every view that tracks stores, the writable pages of
 * [first, first+n), one mprotect per run.  Returns true if some of them
 * stay writable (a view that does not track stores, or an mprotect that
 * failed, its error then in *err): their entries must stay dirty.
 * Called with the entries of the range held.
 */
static bool views_wrprotect(struct dax_mapping *m, uint64_t first,
			    uint64_t n, int *err)
{
	struct dax_view *v;
	bool keep = false;

	pthread_mutex_lock(&m->views_lock);
	for (v = m->views; v; v = v->next) {
		uint64_t lo, hi;

		dax_view_clip(v, first, n, &lo, &hi);
		if (v->track_dirty) {
			int ret = dax_view_protect_runs(v, lo, hi, DAX_PG_RW,
							DAX_PG_RO);

			if (ret) {
				*err = ret;
				keep = true;
			}
			continue;
		}
		for (; lo < hi && !keep; lo++)
			keep = dax_view_state(v, lo) == DAX_PG_RW;
	}
	pthread_mutex_unlock(&m->views_lock);
	return keep;
}

/* Hold, after the dirty 4 KiB entry of first (held[0]), the dirty 4 KiB
 * entries that follow it and are free now, up to WRITEBACK_BATCH in
 * all.  Returns how many entries are held, first's included. */
static uint64_t grab_dirty_run(struct dax_mapping *m, uint64_t first,
			       uint64_t *held)
{
	uint64_t n, e;

	for (n = 1; n < WRITEBACK_BATCH; n++) {
		if (dax_grab_entry(m, first + n, false, true, &e))
			break;
		if (dax_is_pmd(e) || dax_is_empty(e) || !dax_is_dirty(e)) {
			dax_put_entry(m, first + n, dax_is_empty(e) ? 0 : e);
			break;
		}
		held[n] = e;
	}
	return n;
}

/* dax_copy_guarded's callback for writeback: flush [dst, dst+len). */
static void flush_pmem(void *ctx, void *dst, const void *src, size_t len)
{
	(void)src;
	((struct region *)ctx)->flush(dst, len);
}

/*
 * Write back the n held dirty entries from first (one 2 MiB entry, or
 * 4 KiB entries held[0..n)), and put them, clean unless keep.
 * Write-protect first, then flush (dax_writeback_one's order): a store
 * after the protection faults, and waits for our entry lock to dirty the
 * entry again; a store before it is in the flush.  An mprotect that
 * failed leaves its error in *err; a block whose memory is lost (the
 * flush, guarded, faults) the file page's index in *lost.
 */
static void writeback_held(struct dax_mapping *m, struct region *rgn,
			   uint64_t first, uint64_t n, const uint64_t *held,
			   int *err, uint64_t *lost)
{
	bool keep = views_wrprotect(m, first, n, err);
	uint64_t i, size = dax_is_pmd(held[0]) ? DAX_PMD_SIZE : DAX_PAGE_SIZE;

	if (dax_is_pmd(held[0]))
		n = 1;
	for (i = 0; i < n; i++) {
		if (dax_copy_guarded(rgn->base + (dax_block(held[i]) <<
						  DAX_PAGE_SHIFT),
				     NULL, size, flush_pmem, rgn) &&
		    *lost == UINT64_MAX)
			*lost = first + i;
		dax_put_entry(m, first + i,
			      keep ? held[i] : held[i] & ~DAX_DIRTY);
	}
}

/* Flush every dirty entry of m, in index order, then drain once. */
int dax_writeback(struct dax_mapping *m, struct region *rgn)
{
	uint64_t idx = 0, e, lost = UINT64_MAX;
	int err = 0;

	if (!atomic_load(&m->nr_dirty))
		return 0;
	while ((e = dax_next_entry(m, &idx, UINT64_MAX))) {
		uint64_t held[WRITEBACK_BATCH], first = idx, n = 1;

		if (dax_is_pmd(e)) {
			first = idx & ~(uint64_t)(DAX_PMD_PAGES - 1);
			n = DAX_PMD_PAGES;
		}
		if (!dax_is_dirty(e) ||
		    dax_grab_entry(m, idx, false, false, &e)) {
			idx = first + n;
			continue;
		}
		if (!dax_is_dirty(e) || dax_is_empty(e)) {
			dax_put_entry(m, first, dax_is_empty(e) ? 0 : e);
			idx = first + n;
			continue;
		}
		held[0] = e;
		if (!dax_is_pmd(e))
			n = grab_dirty_run(m, first, held);
		writeback_held(m, rgn, first, n, held, &err, &lost);
		idx = first + n;
	}
	rgn->drain();
	if (lost != UINT64_MAX)
		return err_set(-EIO, "I/O error: the memory behind file offset "
			       "%llu is lost or poisoned; its stores cannot be "
			       "made durable",
			       (unsigned long long)(lost << DAX_PAGE_SHIFT));
	if (err)
		return err_set(err, "the stores are flushed, but pages of a "
			       "view could not be write-protected to track the "
			       "next ones (%s); they stay dirty",
			       strerror(-err));
	return 0;
}
