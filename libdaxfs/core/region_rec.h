/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * region_rec.h -- the persistence recorder: a test-only model of what a
 * crash would leave of a region (test builds only, DAXFS_TEST_HOOKS=1).
 *
 * Every store libdaxfs makes durable goes through the libpmem2 functions
 * of struct region (persist, flush, drain, memcpy, memset) or through a
 * view's flush/drain, which are copied from the region.  When the recorder
 * is armed, the next read-write region_open() replaces those pointers by
 * wrappers that call libpmem2 and then model persistence at cache-line
 * granularity (64 bytes):
 *
 *   shadow     a copy of the region holding what is persisted; it starts
 *              as the region's contents at region_open();
 *   flush      snapshots the current contents of the lines it covers as
 *              "in flight" (a later flush of a line replaces its snapshot);
 *              memcpy/memset flush what they store unless told
 *              PMEM2_F_MEM_NOFLUSH, and drain after unless told
 *              PMEM2_F_MEM_NODRAIN; persist is flush + drain;
 *   drain      a fence, and a crash point: the callback sees the shadow
 *              and the lines in flight (any subset of which a crash may
 *              have persisted), then the lines are applied to the shadow
 *              and the in-flight set is emptied.
 *
 * Stores that are never flushed never reach the shadow.  A flush of a view
 * address (daxfs_persist) is translated to the region offset it maps
 * through /proc/self/maps.
 *
 * libpmem2's function types take no context, so the recorder is process
 * global and records one region at a time, from the region_open after
 * region_rec_start() to its region_close().  It takes no lock (a flush may
 * come from the SIGSEGV handler of a view fault, which a lock could
 * deadlock): record single-threaded workloads only; calls that overlap are
 * detected and counted in region_rec_stats.overlaps.
 *
 * In the release build (DAXFS_TEST_HOOKS=0) only the two calls of
 * region.c exist, as empty inline functions: the library holds no
 * recorder (tests/check_release_symbols.sh checks).
 */
#ifndef DAXFS_CORE_REGION_REC_H
#define DAXFS_CORE_REGION_REC_H

#include <stdbool.h>
#include <stddef.h>

struct region;

#define REGION_REC_LINE 64 /* the persistence granule modelled */

#if DAXFS_TEST_HOOKS

/* One line in flight: its region offset and the snapshot a flush took. */
struct region_rec_line {
	size_t off;                       /* multiple of REGION_REC_LINE */
	bool data;                        /* stored by memcpy (file data) */
	unsigned char bytes[REGION_REC_LINE];
};

/*
 * The crash-point callback, called at every fence before the lines in
 * flight are applied: shadow (size bytes) is what is persisted, lines[n]
 * what a crash may add to it, in the order first flushed.  It must not
 * call into libdaxfs.
 */
typedef void (*region_rec_fence_fn)(void *arg, const unsigned char *shadow,
				    size_t size,
				    const struct region_rec_line *lines,
				    size_t n);

/* What the recorder saw since region_rec_start(). */
struct region_rec_stats {
	unsigned long fences;    /* drains, each a callback */
	unsigned long flushes;   /* flush ranges (persist and mem* included) */
	unsigned long lines;     /* line snapshots taken */
	unsigned long dropped;   /* flush ranges dropped by the switch */
	unsigned long outside;   /* flushes of no region address (ignored) */
	unsigned long overlaps;  /* calls that overlapped another */
	bool recording;          /* a region is being recorded now */
};

/*
 * Arm the recorder: the next read-write region_open() is recorded, with
 * fn(arg) called at each fence, until that region is closed.  Returns 0,
 * or -EBUSY if armed or recording already.
 */
int region_rec_start(region_rec_fence_fn fn, void *arg);

/* Disarm, and stop recording the open region (it keeps the wrappers,
 * which then only call libpmem2).  Frees the shadow. */
void region_rec_stop(void);

/*
 * Test-only fault: while on, flushes are dropped (nothing they cover
 * reaches the shadow), as if the library had forgotten them.  For the
 * harness's self-test.
 */
void region_rec_drop_flushes(bool on);

/* A copy of the counters. */
struct region_rec_stats region_rec_get_stats(void);

/* region.c: wrap r's functions if the recorder is armed. */
int region_rec_install(struct region *r);

/* region.c: r is being closed; recording of it ends. */
void region_rec_forget(struct region *r);

#else /* !DAXFS_TEST_HOOKS: the release build */

static inline __attribute__((always_inline)) int
region_rec_install(struct region *r)
{
	(void)r;
	return 0;
}

static inline __attribute__((always_inline)) void
region_rec_forget(struct region *r)
{
	(void)r;
}

#endif /* DAXFS_TEST_HOOKS */

#endif
