/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dax_fix.h -- a file's mapping and views of it without ext2, for the
 * white-box unit tests of the DAX engine (tests/unit/test_mapping.c,
 * test_truncate.c, test_writeback.c; tests/util/dax_fix.c).  The "device"
 * is a host file of pattern data: a view page installed from dev_off
 * shows the file's bytes at dev_off.  No Criterion: calls return 0 or a
 * negative errno, NULL on failure.  Only programs that link the library's
 * objects (daxfs_test_obj) may call it.
 */
#ifndef DAXFS_TEST_DAX_FIX_H
#define DAXFS_TEST_DAX_FIX_H 1

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dax/entry.h"
#include "dax/view.h"

struct dax_fix {
	const char *path;     /* the device: pages of pattern seed */
	int fd;
	uint64_t seed;
	struct dax_mapping m; /* the file's mapping */
};

/* Faults the fix's ->fault ran (it installs the device page of the same
 * index, RW for a store, RO for a load). */
extern atomic_int dax_fix_faults;

/* A device of pages pages of pattern seed, and an empty mapping. */
int dax_fix_open(struct dax_fix *x, uint64_t pages, uint64_t seed);

/* A view of file pages [pgoff, pgoff+n) registered in x->m, with prot,
 * flags (DAXFS_MAP_*) and track_dirty; NULL on failure. */
struct dax_view *dax_fix_view(struct dax_fix *x, uint64_t pgoff,
			      uint64_t n, int prot, unsigned flags,
			      bool track_dirty);

/* Unregister and free a view of dax_fix_view. */
void dax_fix_view_delete(struct dax_view **v);

/* Make value the 4 KiB entry of index (the 2 MiB one with pmd) of an
 * index that has none: 0, or -EEXIST (nothing changed) if it had one. */
int dax_fix_set_entry(struct dax_mapping *m, uint64_t index, bool pmd,
		      uint64_t value);

/* The states of pages [pgoff, pgoff+n) of v as letters (N none, r, w,
 * z zero page, b SIGBUS), in a static buffer; n < 64. */
const char *dax_fix_states(const struct dax_view *v, uint64_t pgoff,
			   uint64_t n);

/* Destroy the mapping and close the device. */
void dax_fix_close(struct dax_fix *x);

#endif /* DAXFS_TEST_DAX_FIX_H */
