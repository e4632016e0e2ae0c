/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fault.h -- the generic DAX engine: the fault path and the operations
 * that keep views coherent with the block map (fs/dax.c in user space).
 */
#ifndef DAXFS_DAX_FAULT_H
#define DAXFS_DAX_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/region.h"
#include "dax/entry.h"
#include "dax/iomap.h"
#include "dax/view.h"

/* Largest number of 4 KiB pages one fault installs (one extent). */
#define DAX_FAULT_BATCH 512

/*
 * A load fault on a 2 MiB unit also installs up to this many units in
 * all, the ones after it that the same extent maps contiguously and
 * nothing has installed yet: fault-around, as the kernel's 4 KiB read
 * fault maps the 64 KiB around it.  A fault here is a signal and an
 * mmap (about 16 us), the kernel's PMD fault about 1 us; installing is
 * one mmap whatever its length, and the kernel maps lazily behind it.
 */
#define DAX_PMD_AROUND 16

/*
 * When stores are tracked for fsync (ADR), a store fault makes writable,
 * and dirty, the aligned granule of this many pages around the faulting
 * one, not that page alone: a fault here is a signal and an mprotect,
 * about four times the kernel's, and one fault then serves 64 KiB of
 * stores.  fsync flushes whole granules in exchange.  A 2 MiB entry is
 * made writable whole (it is flushed whole anyway).
 */
#define DAX_WRITE_GRANULE 16

/* Test-only switches (tests/ set them; never set in production). */
struct dax_test_hooks {
	/* Take the entry lock before iomap_begin (the order the seed
	 * removed): with a file system that holds something from begin to
	 * end, this deadlocks. */
	atomic_bool entry_lock_first;
	/* While set, a fault of a file whose inode number is stall_ino
	 * sleeps after taking its entry lock (to prove the watchdog). */
	atomic_bool stall;
	atomic_ulong stall_ino;
	/* Never install 2 MiB entries. */
	atomic_bool no_pmd;
	/*
	 * A test-only "journal": when set, ext2's iomap_begin takes it shared
	 * (re-entrantly per thread, like a journal handle) and iomap_end
	 * drops it, so something is held from begin to end as in ext4; a
	 * test thread taking it exclusively plays the commit.
	 */
	pthread_rwlock_t *_Atomic journal;
};
extern struct dax_test_hooks dax_hooks;

/* What one fault needs to know of the file. */
struct dax_fault_ctx {
	struct region *rgn;
	const struct iomap_ops *ops;
	uint64_t isize;              /* i_size, read under dax_sem */
	uint32_t ino;                /* for the test hooks */
};

/*
 * Resolve a fault at file page pgoff of view v (dax_iomap_fault): the
 * seed's order, iomap_begin -> grab entry -> install -> put entry ->
 * iomap_end.  Called with the inode's dax_sem held shared.  Returns 0
 * when the access can be retried, or a negative errno when it must raise
 * SIGBUS: -EFAULT past EOF, else what stopped it (-ENOSPC, -EUCLEAN,
 * -ENOMEM...) with the message set where it was found.
 */
int dax_iomap_fault(struct dax_view *v, uint64_t pgoff, bool write,
			  const struct dax_fault_ctx *c);

/* Install every page of a DAXFS_MAP_POPULATE view up front (pages past
 * EOF get the SIGBUS page).  fault is the file system's locked fault.
 * Returns 0 or the error of the first page that failed, with a message
 * "map: cannot populate file page N: <why>". */
int dax_populate(struct dax_view *v, uint64_t first, uint64_t end,
		       int (*fault)(struct dax_view *, uint64_t, bool),
		       uint64_t isize);

/*
 * A write allocated blocks [first, first+n) pages at device offset
 * dev_off: views showing the zero page there must see the data now
 * (dax_iomap_actor's invalidation).
 */
void dax_invalidate_zero(struct dax_mapping *m, uint64_t first,
			       uint64_t n, uint64_t dev_off);

/*
 * Truncate: no view may reach a page at or past first any more.  Called
 * with dax_sem held exclusively (no fault runs) before the blocks are
 * freed.
 */
void dax_truncate(struct dax_mapping *m, uint64_t first);

/* Flush every dirty entry of the file to the media (dax_writeback).
 * Returns 0, or a negative errno with the message when pages could not
 * be write-protected (they were flushed, and stay dirty). */
int dax_writeback(struct dax_mapping *m, struct region *rgn);

/* Add or remove a view of the mapping. */
void dax_mapping_add_view(struct dax_mapping *m, struct dax_view *v);
void dax_mapping_del_view(struct dax_mapping *m, struct dax_view *v);

#endif
