/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * region.h -- the persistent memory region a file system lives on.
 *
 * A region is a devdax character device or a regular file, mapped whole
 * and shared with libpmem2.  It owns the exclusive flock that keeps a
 * second mount away, and the libpmem2 functions that make stores durable.
 * Nothing here knows about ext2.
 */
#ifndef DAXFS_CORE_REGION_H
#define DAXFS_CORE_REGION_H

#include <libpmem2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct badblocks; /* core/badblocks.h */

struct region {
	int fd;                   /* open region; holds the flock */
	bool devdax;              /* a character device, not a regular file */
	bool rdonly;              /* mapped PROT_READ */
	unsigned char *base;      /* start of the mapping */
	size_t size;              /* bytes mapped */
	size_t align;             /* the source's mapping alignment */
	enum pmem2_granularity granularity; /* what persisting costs */
	struct pmem2_source *src;
	struct pmem2_map *map;
	pmem2_persist_fn persist; /* flush + drain (msync on page granularity) */
	pmem2_flush_fn flush;     /* flush without draining */
	pmem2_drain_fn drain;     /* wait for earlier flushes */
	pmem2_memcpy_fn memcpy;   /* copy to pmem, flushed unless told not */
	pmem2_memset_fn memset;   /* fill pmem, flushed unless told not */
	bool nt_copy;             /* non-temporal stores and a drain make a
				     copy durable (no msync), and no
				     recorder watches: dax_copy_nt may stand
				     for memcpy */
	struct badblocks *bad;    /* known bad blocks (region_load_badblocks),
				     or NULL before */
	struct region *next_mapped; /* the process's mapped regions, under
				       their list's lock (region_holds) */
};

/* "dax0.0" (no file of that name here) is "/dev/dax0.0"; other paths
 * are used as given.  Returns path or buf (of n bytes) holding it. */
const char *region_resolve_path(const char *path, char *buf, size_t n);

/*
 * Open and map the region at path, taking a flock on it: exclusive, or
 * shared when rdonly (read-only mounts share a region).
 * Returns 0, -EBUSY when another mount holds it, or another negative errno.
 */
int region_open(const char *path, bool rdonly, struct region **r);

/*
 * Fill the page tables of the whole mapping now (MADV_POPULATE_WRITE, or
 * _READ on a read-only region), so that no access faults later: on a
 * regular file this also allocates what was sparse.  0 or -errno.
 */
int region_populate(struct region *r);

/*
 * Is addr inside the mapping of a region open in this process (any
 * mount)?  The DAX layer asks when a guarded copy faults: a fault there
 * is lost or poisoned media (-EIO), elsewhere a bad user buffer.
 */
bool region_holds(const void *addr);

/* Unmap, unlock and free *r; sets *r to NULL and accepts NULL. */
void region_close(struct region **r);

/*
 * Read the bad blocks the platform knows of the region into r->bad
 * (core/badblocks.h; none on a regular file of a non-pmem file system).
 * Returns 0 or a negative errno with the message set.
 */
int region_load_badblocks(struct region *r);

struct daxfs_device;

/*
 * Fill devs[0..max) with the devdax devices libdaxctl finds; returns how
 * many there are (possibly more than max), or a negative errno.
 */
int region_devices(struct daxfs_device *devs, int max);

/* Persist [p, p+len) (flush and drain). */
static inline void region_persist(struct region *r, const void *p,
				       size_t len)
{
	r->persist(p, len);
}

/* Flush [p, p+len) without waiting; a later drain makes it durable. */
static inline void region_flush(struct region *r, const void *p,
				     size_t len)
{
	r->flush(p, len);
}

static inline void region_drain(struct region *r)
{
	r->drain();
}

#endif
