/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mem.c -- giving the library's DRAM back to the system.  Every
 * allocation of the private jemalloc (mem.h) is libdaxfs's: the
 * application's malloc is another allocator, so all of jemalloc's
 * arenas are the library's own, and settings made here touch nothing
 * else.  Freed pages return on their own after a second
 * (dirty_decay_ms), straight to the system (muzzy_decay_ms 0: no lazy
 * MADV_FREE pages left counted in the RSS); and every unmount purges
 * them at once (mem_purge), for jemalloc only decays while it is called.
 * A mount faults in, in one call each, its inode hash table
 * (mem_populate) and the pages its first lookups will take, and keeps a
 * slab of every small size class on them until its unmount (mem_warm):
 * a page fault costs 2.5-4 us on the virtual machines measured, several
 * times a lookup, and jemalloc making a slab 1-5 us.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/mem.h"

/* Fault in the whole pages of [p, p + len) now, in one call, instead of
 * one page fault at a time at their first stores.  Where the kernel
 * cannot (before 5.14), the faults come later as before. */
void mem_populate(void *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t hi = ((uintptr_t)p + len) & ~(page - 1);

	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
	(void)p, (void)len;
#endif
}

#ifndef DAXFS_LIBC_ALLOC
#include <stdio.h>

/* jemalloc's settings, read at its first call: the build's options,
 * compiled in (no environment variable needed). */
const char *daxfs_je_malloc_conf = "dirty_decay_ms:1000,muzzy_decay_ms:0";

/* Return the freed memory of every arena (and this thread's cache) to
 * the system now. */
void mem_purge(void)
{
	char name[64];

	daxfs_je_mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
	snprintf(name, sizeof(name), "arena.%u.purge", MALLCTL_ARENAS_ALL);
	daxfs_je_mallctl(name, NULL, NULL, NULL, 0);
}

/* Leave bytes of faulted-in pages free in the allocator, so that the
 * allocations after a mount (mem_warm's slabs, the first inodes and
 * directory caches) take resident pages instead of a page fault each;
 * what is not taken goes back to the system after dirty_decay_ms, like
 * any freed memory.  Which allocations land in them is jemalloc's choice
 * (slabs are carved from free extents by its own fit rules): callers
 * size bytes by measure. */
static void mem_prefault(size_t bytes)
{
	void *p = daxfs_je_mallocx(bytes, 0);

	if (!p)
		return;
	mem_populate(p, bytes);
	daxfs_je_dallocx(p, 0);
}

/* The largest size class mem_warm makes a slab of, and room for all of
 * them up to it (jemalloc has 29 from 8 bytes to 4 KiB on x86-64). */
#define MEM_WARM_MAX 4096u
#define MEM_WARM_SLOTS 40u

/* Leave resident bytes of faulted-in pages free in the allocator
 * (mem_prefault), then allocate one object of every small size class up
 * to MEM_WARM_MAX and keep it: each class then has a slab, on those
 * pages, from which the allocations after a mount are served, instead of
 * jemalloc making it inside the first lookup that needs one (1-5 us
 * each; a directory cache's array, at the directory's second use, was
 * the costliest).  A second object of each class is freed at once into
 * the thread's cache, the only object ready for the next allocation
 * where a slab holds one (4 KiB).  The handle to give mem_cool, or NULL
 * if memory is short (nothing is kept). */
void *mem_warm(size_t resident)
{
	void **keep;
	size_t sz = daxfs_je_nallocx(1, 0);
	unsigned n = 0;
	void *spare;

	mem_prefault(resident);
	keep = daxfs_je_mallocx(MEM_WARM_SLOTS * sizeof(void *), MALLOCX_ZERO);
	while (keep && sz <= MEM_WARM_MAX && n < MEM_WARM_SLOTS - 1) {
		keep[n] = daxfs_je_mallocx(sz, MALLOCX_ZERO);
		spare = daxfs_je_mallocx(sz, MALLOCX_ZERO);
		if (spare)
			daxfs_je_dallocx(spare, 0);
		if (keep[n])
			n++;
		sz = daxfs_je_nallocx(sz + 1, 0);
	}
	return keep;
}

/* Free what mem_warm kept (NULL: nothing). */
void mem_cool(void *warm)
{
	void **keep = warm;
	unsigned n;

	if (!keep)
		return;
	for (n = 0; n < MEM_WARM_SLOTS && keep[n]; n++)
		daxfs_je_dallocx(keep[n], 0);
	daxfs_je_dallocx(keep, 0);
}
#else
#include <malloc.h>

/* Return the libc heap's free memory to the system (sanitizer builds). */
void mem_purge(void)
{
	malloc_trim(0);
}

/* Nothing to leave resident or keep in the libc heap (sanitizer
 * builds). */
void *mem_warm(size_t resident)
{
	(void)resident;
	return NULL;
}

/* Nothing was kept (sanitizer builds). */
void mem_cool(void *warm)
{
	(void)warm;
}
#endif
