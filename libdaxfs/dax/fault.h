/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fault.h -- the fault path of the DAX engine (dax_iomap_fault of
 * fs/dax.c in user space): a first touch of a view page, or a first
 * store to a read-only one, and DAXFS_MAP_POPULATE's up-front install.
 * What keeps views coherent when the block map changes (zero pages
 * replaced, truncate, writeback) is in dax/mapping.h.
 */
#ifndef DAXFS_DAX_FAULT_H
#define DAXFS_DAX_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/region.h"
#include "dax/entry.h"
#include "dax/hooks.h"
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

/* What one fault needs to know of the file. */
struct dax_fault_ctx {
	struct region *rgn;
	const struct iomap_ops *ops;
	uint64_t isize;              /* i_size, read under dax_sem */
	uint32_t ino;                /* the inode number (test hooks) */
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
 * "cannot populate file page N: <why>". */
int dax_populate(struct dax_view *v, uint64_t first, uint64_t end,
		       int (*fault)(struct dax_view *, uint64_t, bool),
		       uint64_t isize);

#endif
