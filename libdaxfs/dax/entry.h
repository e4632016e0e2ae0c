/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * entry.h -- the mapping index of a file: page index -> entry, with a
 * lock bit per entry (the xarray of fs/dax.c).
 *
 * An entry records what the file page is backed by wherever it is
 * installed: a device block, or the zero page (a read fault on a hole),
 * for one 4 KiB page or, with DAX_PMD, for the 512 pages of a 2 MiB unit.
 * Entry word layout (one uint64_t; 0 means no entry):
 *
 *   bits 63..12  the device block: byte offset in the region >> 12
 *                (dax_block(); for DAX_PMD the unit's first block,
 *                2 MiB-aligned); 0 for the zero page and placeholders
 *   bits 11..5   unused, 0
 *   bit  4       DAX_DIRTY      stored to through a view since the last
 *                               writeback (counted in nr_dirty)
 *   bit  3       DAX_EMPTY      a locked placeholder: grabbed, nothing
 *                               installed yet (never put back as such)
 *   bit  2       DAX_ZERO_PAGE  a hole, installed as the zero page
 *   bit  1       DAX_PMD        covers the 512 pages of a 2 MiB unit
 *   bit  0       DAX_LOCKED     someone works on this index (set and
 *                               cleared by entry.c only: grab/put)
 *
 * dax_grab_entry() returns the word without DAX_LOCKED; the value given
 * to dax_put_entry() never holds DAX_LOCKED or DAX_EMPTY (a placeholder
 * nothing was installed for is put as 0, which deletes it).
 */
#ifndef DAXFS_DAX_ENTRY_H
#define DAXFS_DAX_ENTRY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define DAX_LOCKED    (1ULL << 0) /* someone works on this index */
#define DAX_PMD       (1ULL << 1) /* covers the 512 pages of a 2 MiB unit */
#define DAX_ZERO_PAGE (1ULL << 2) /* a hole, installed as the zero page */
#define DAX_EMPTY     (1ULL << 3) /* locked placeholder, nothing installed */
#define DAX_DIRTY     (1ULL << 4) /* written through a view since last flush */
#define DAX_SHIFT     12          /* device block number above this */

#define DAX_PAGE_SHIFT 12
#define DAX_PAGE_SIZE (1UL << DAX_PAGE_SHIFT)
#define DAX_PMD_SHIFT 21
#define DAX_PMD_SIZE (1UL << DAX_PMD_SHIFT)
#define DAX_PMD_PAGES (1UL << (DAX_PMD_SHIFT - DAX_PAGE_SHIFT))

static inline bool dax_is_locked(uint64_t e) { return e & DAX_LOCKED; }
static inline bool dax_is_pmd(uint64_t e) { return e & DAX_PMD; }
static inline bool dax_is_zero(uint64_t e) { return e & DAX_ZERO_PAGE; }
static inline bool dax_is_empty(uint64_t e) { return e & DAX_EMPTY; }
static inline bool dax_is_dirty(uint64_t e) { return e & DAX_DIRTY; }
static inline uint64_t dax_block(uint64_t e) { return e >> DAX_SHIFT; }
static inline uint64_t dax_make(uint64_t blk, uint64_t flags)
{
	return (blk << DAX_SHIFT) | flags;
}

struct dax_chunk; /* the entries of one 2 MiB unit */

/*
 * The index.  lock (the xa_lock) protects the chunk table and every entry
 * word; it is held only for short, non-sleeping updates.  An entry's
 * DAX_LOCKED bit is held across a whole fault or invalidation: waiters
 * sleep on a hashed futex wait table, not on a lock per page.
 */
struct dax_view;

struct dax_mapping {
	pthread_mutex_t lock;
	struct dax_chunk **chunks;  /* by 2 MiB unit, NULL when unused */
	uint64_t nchunks;
	atomic_long nr_entries;     /* entries present (any state) */
	atomic_long nr_dirty;       /* entries with DAX_DIRTY */
	atomic_ulong fill_seq;      /* bumped whenever a hole gets blocks */
	/* The views of the file (the i_mmap of an address_space), under
	 * views_lock, which nests inside entry locks. */
	pthread_mutex_t views_lock;
	struct dax_view *views;
	atomic_int nr_views;
	bool units;                 /* the region maps only in 2 MiB units:
				     * never a 4 KiB entry of a block */
};

int dax_mapping_init(struct dax_mapping *m);
void dax_mapping_destroy(struct dax_mapping *m);

/*
 * Lock the entry of index, sleeping while another thread holds it, and
 * return its value (DAX_EMPTY when there was none: a locked placeholder
 * is inserted).  With pmd, the entry for the 2 MiB unit of index is
 * grabbed; -EEXIST if 4 KiB entries exist in that unit (fall back to
 * 4 KiB).  A 4 KiB grab inside a PMD entry returns the PMD entry, locked.
 * With trylock, -EBUSY instead of sleeping.  The caller must later call
 * dax_put_entry() for the same index.
 */
int dax_grab_entry(struct dax_mapping *m, uint64_t index, bool pmd,
		     bool trylock, uint64_t *entry);

/*
 * Store value (without DAX_LOCKED) as the new entry of index and unlock
 * it, waking waiters.  value 0 deletes the entry.
 */
void dax_put_entry(struct dax_mapping *m, uint64_t index, uint64_t value);

/* The current entry of index (0 if none), not locked; for inspection. */
uint64_t dax_peek_entry(struct dax_mapping *m, uint64_t index);

/*
 * Find the first present entry at or after *index and below end; returns
 * its value and sets *index, or 0 when there is none.  Not locked.
 */
uint64_t dax_next_entry(struct dax_mapping *m, uint64_t *index,
			  uint64_t end);

#endif
