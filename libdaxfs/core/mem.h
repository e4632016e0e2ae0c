/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mem.h -- DRAM allocations of the library (inode and directory caches,
 * mapping indexes) come from jemalloc's non-standard API, so they never
 * touch the application's malloc arenas.  It is the library's own copy
 * (scripts/build-jemalloc.sh), linked in with its names prefixed
 * daxfs_je_ and hidden, in the dynamic TLS model so dlopen can load the
 * library.  Its thread-local state costs a call to __tls_get_addr per
 * allocation instead of a fixed offset; built without statistics, an
 * allocation and free cost what Debian's libjemalloc's did (README).
 * Sanitizer builds use the libc allocator instead, which the sanitizers
 * can see.
 */
#ifndef DAXFS_CORE_MEM_H
#define DAXFS_CORE_MEM_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DAXFS_LIBC_ALLOC 1
#endif

#ifndef DAXFS_LIBC_ALLOC
#include <jemalloc/jemalloc.h>
#endif

/* Zeroed memory, or NULL. */
static inline void *mem_zalloc(size_t size)
{
#ifdef DAXFS_LIBC_ALLOC
	return calloc(1, size);
#else
	return daxfs_je_mallocx(size ? size : 1, MALLOCX_ZERO);
#endif
}

/* Zeroed memory aligned to align (a power of two), or NULL; release
 * with mem_free. */
static inline void *mem_zalloc_aligned(size_t size, size_t align)
{
#ifdef DAXFS_LIBC_ALLOC
	void *p = aligned_alloc(align, (size + align - 1) & ~(align - 1));

	if (p)
		memset(p, 0, size);
	return p;
#else
	return daxfs_je_mallocx(size ? size : 1,
				MALLOCX_ZERO | MALLOCX_ALIGN(align));
#endif
}

/* Uninitialised memory, or NULL. */
static inline void *mem_alloc(size_t size)
{
#ifdef DAXFS_LIBC_ALLOC
	return malloc(size);
#else
	return daxfs_je_mallocx(size ? size : 1, 0);
#endif
}

/* Grow or shrink p to size bytes; p may be NULL.  NULL on failure. */
static inline void *mem_realloc(void *p, size_t size)
{
#ifdef DAXFS_LIBC_ALLOC
	return realloc(p, size);
#else
	if (!p)
		return mem_alloc(size);
	return daxfs_je_rallocx(p, size ? size : 1, 0);
#endif
}

/* Release p; NULL is accepted. */
static inline void mem_free(void *p)
{
	if (!p)
		return;
#ifdef DAXFS_LIBC_ALLOC
	free(p);
#else
	daxfs_je_dallocx(p, 0);
#endif
}

/* The bytes an allocation of size takes: its size class, what the
 * caches charge to their budget (the DRAM is that, not what was asked). */
static inline size_t mem_size(size_t size)
{
#ifdef DAXFS_LIBC_ALLOC
	return size;
#else
	return daxfs_je_nallocx(size ? size : 1, 0);
#endif
}

/* Give the memory the library has freed back to the system now (mem.c;
 * at unmount). */
void mem_purge(void);

/* Fault in the pages of [p, p + len) now, in one call (mem.c). */
void mem_populate(void *p, size_t len);

/* resident bytes of faulted-in pages left free in the allocator, and a
 * slab of every small size class made on them and kept until mem_cool
 * (mem.c; from mount to unmount, for the first lookups): an opaque
 * handle, or NULL. */
void *mem_warm(size_t resident);
void mem_cool(void *warm);

#endif
