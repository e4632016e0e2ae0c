/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * badblocks.h -- the bad blocks of a region, known in DRAM.
 *
 * A mount reads the platform's list once (libpmem2's pmem2_badblock_*;
 * a regular file of a file system that is not pmem has none) into sorted,
 * disjoint, merged ranges of region byte offsets.  Nothing here knows
 * about ext2: the file system decides what a bad range means (ext2/
 * badblocks.c).  A range leaves the list when it is cleared: through
 * pmem2_badblock_clear where the list came from the platform; a list a
 * test injected (test builds only, below) is only forgotten, as the
 * write that follows makes such media good.
 *
 * Test builds (DAXFS_TEST_HOOKS=1) read DAXFS_TEST_BADBLOCKS at load:
 * "off:len[,off:len...]" (bytes, decimal or 0x hex) replaces what the
 * platform says.  The release build has no such code.
 *
 * Lock: struct badblocks.lock guards the ranges; it is a leaf (nothing
 * is taken inside it, libpmem2 calls aside) and may be taken under any
 * lock of ext2.h's order.  nranges is read without it to skip every
 * check when the list is empty, so a region with no bad block costs a
 * load per check.
 */
#ifndef DAXFS_CORE_BADBLOCKS_H
#define DAXFS_CORE_BADBLOCKS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pmem2_source;

/* One bad range: region bytes [off, off+len). */
struct badblocks_range {
	uint64_t off;
	uint64_t len;
};

struct badblocks {
	pthread_mutex_t lock;       /* the ranges below (a leaf lock) */
	atomic_size_t nranges;      /* ranges in r; 0: none (read unlocked) */
	size_t cap;                 /* room in r */
	struct badblocks_range *r;  /* sorted by off, disjoint, merged */
	struct pmem2_source *src;   /* the platform's, for clearing; NULL
				       when the list was injected */
};

/*
 * Read the bad blocks of src (size bytes mapped) into a new list, which
 * may be empty.  Returns 0 with *out set, or -ENOMEM/-EINVAL (a test list
 * that does not parse) with the message set.
 */
int badblocks_load(struct pmem2_source *src, size_t size,
		   struct badblocks **out);

/* Free *bb; sets it to NULL and accepts NULL. */
void badblocks_delete(struct badblocks **bb);

/* Does the list hold any range?  One relaxed load: the fast path. */
static inline bool badblocks_any(struct badblocks *bb)
{
	return bb && atomic_load_explicit(&bb->nranges,
					  memory_order_relaxed) != 0;
}

/* The first bad byte in [off, off+len) into *hit; false if none. */
bool badblocks_find(struct badblocks *bb, uint64_t off, uint64_t len,
		    uint64_t *hit);

/*
 * Copy range i of the list into *out; false past the last.  For walking
 * the list at mount (nothing changes it meanwhile).
 */
bool badblocks_get(struct badblocks *bb, size_t i,
		   struct badblocks_range *out);

/*
 * [off, off+len) is about to be overwritten whole: clear its bad bytes
 * (pmem2_badblock_clear for a platform list; on such media the cleared
 * bytes are then undefined, which the caller's write replaces) and drop
 * them from the list.  0, or -EIO with a message when the platform
 * refuses (the list is then unchanged).
 */
int badblocks_clear(struct badblocks *bb, uint64_t off, uint64_t len);

/* How many units of unit bytes (aligned) hold a bad byte, and how many
 * bad bytes there are. */
void badblocks_count(struct badblocks *bb, uint32_t unit, uint64_t *units,
		     uint64_t *bytes);

#endif
