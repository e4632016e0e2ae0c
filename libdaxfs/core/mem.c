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
 */
#include "core/mem.h"

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
#else
#include <malloc.h>

/* Return the libc heap's free memory to the system (sanitizer builds). */
void mem_purge(void)
{
	malloc_trim(0);
}
#endif
