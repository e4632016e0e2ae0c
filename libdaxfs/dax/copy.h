/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * copy.h -- the non-temporal copy into the region that is guarded by
 * where it faults (copy.c), and the signal handlers' half of it.
 */
#ifndef DAXFS_DAX_COPY_H
#define DAXFS_DAX_COPY_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copy len bytes (a multiple of 64) from src to dst (64-byte aligned)
 * with non-temporal stores, not drained, guarded by where it faults
 * instead of a setjmp.  False when it did not copy all of it: it faulted
 * (a bad src or lost media, a view fault having been tried first), the
 * length or alignment is not one it takes, or there is no such copy
 * here; the caller then copies with dax_copy_guarded, which tells a bad
 * buffer from lost media.  Only after dax_handlers_init() (a mount).
 */
bool dax_copy_nt(void *dst, const void *src, size_t len);

/* For the signal handlers (view.c): if the context uc faulted inside
 * dax_copy_nt, point it at the copy's failure exit and say so. */
bool dax_copy_fixup(void *uc);

#endif
