/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iomap.h -- how the generic DAX engine asks a file system where file data
 * lives, after the kernel's iomap.
 *
 * The file system answers iomap_begin() with one extent: a run of the file
 * starting at or before pos that is a hole, or mapped to contiguous bytes
 * of the region.  The engine uses it (copies, or installs mappings) and
 * then calls iomap_end() for the part it used.  No other path resolves
 * file blocks: daxfs_pread/daxfs_pwrite are the apply loop below and the
 * fault path uses the same callbacks.
 */
#ifndef DAXFS_DAX_IOMAP_H
#define DAXFS_DAX_IOMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct region;
struct dax_mapping;
struct ext2_inode_info; /* the file system's inode; opaque to the engine */

/* Extent types. */
enum iomap_type {
	IOMAP_HOLE = 0,   /* no blocks: reads as zeros */
	IOMAP_MAPPED,     /* blocks with data at addr */
	IOMAP_UNWRITTEN,  /* blocks allocated, contents undefined: reads
				   as zeros (ext2 never returns it) */
};

/* Flags passed to iomap_begin/iomap_end.  No flag means a read. */
#define IOMAP_WRITE 0x1 /* will write: allocate (zeroed) over holes */
#define IOMAP_FAULT 0x2 /* for a fault on a view (not pread/pwrite) */

/* Flags returned in iomap.flags. */
#define IOMAP_F_NEW 0x1 /* blocks were just allocated (and zeroed) */
#define IOMAP_F_PRIVATE 0x100 /* the file system's own use */

struct iomap {
	uint64_t offset;  /* file offset of the extent's first byte */
	uint64_t length;  /* bytes in the extent */
	uint64_t addr;    /* region offset of offset (not for HOLE) */
	uint16_t type;    /* enum iomap_type */
	uint16_t flags;   /* IOMAP_F_* */
};

struct iomap_ops {
	/*
	 * Map [pos, pos+length): fill *iomap with the extent holding pos
	 * (it may be shorter than length, never empty).  With
	 * IOMAP_WRITE, holes in the range are allocated and zeroed
	 * first.  Returns 0 or a negative errno (-ENOSPC, -EUCLEAN...).
	 */
	int (*iomap_begin)(struct ext2_inode_info *inode, uint64_t pos,
			   uint64_t length, unsigned flags,
			   struct iomap *iomap);
	/*
	 * The caller used written bytes of [pos, pos+length).  May be NULL.
	 */
	int (*iomap_end)(struct ext2_inode_info *inode, uint64_t pos,
			 uint64_t length, ssize_t written, unsigned flags,
			 struct iomap *iomap);
};

#define DAX_RW_WRITE 0x1u   /* dax_iomap_rw: a write (else a read) */
#define DAX_RW_NODRAIN 0x2u /* a write whose fence the caller does */

/*
 * The iomap apply loop of read and write (dax_iomap_rw): for each extent
 * of [pos, pos+len), begin -> copy with libpmem2's functions -> end.
 * how: DAX_RW_WRITE for a write, DAX_RW_NODRAIN to leave its fence to
 * the caller.  Reads of holes give zeros.  Writes are flushed and
 * drained before this returns (unless NODRAIN); blocks they allocate
 * replace zero pages in the file's views (m, which may be NULL).  The caller holds the inode's I/O lock and has
 * clamped a read to EOF.  Returns bytes copied (short only when an error
 * stopped it after some progress) or a negative errno: -EFAULT for a bad
 * user buffer, -EIO where the region's memory is lost (a poisoned line,
 * or a region file shrunk under the mount), with the message naming the
 * file offset; the bytes before the bad part are copied and counted.
 */
ssize_t dax_iomap_rw(struct region *rgn, struct ext2_inode_info *inode,
		       struct dax_mapping *m,
		       const struct iomap_ops *ops, uint64_t pos,
		       size_t len, void *buf, unsigned how);

/*
 * Copy len bytes from buf into the region at pm, flushed, not drained,
 * guarded: 0, -EFAULT (buf cannot be read) or -EIO (the region's memory
 * there is lost), with no message.  A non-temporal copy guarded by where
 * it faults (dax/copy.c) where the region and the lengths allow, else
 * libpmem2's memcpy under dax_copy_guarded.
 */
int dax_copy_to_pmem(struct region *rgn, void *pm, const void *buf,
		     size_t len);

/*
 * Zero len bytes of the region at dst with its memset (flags: libpmem2's
 * PMEM2_F_MEM_*), guarded: 0, or -EIO (no message) when the memory there
 * is lost.  For the file system's zeroing of file data blocks.
 */
int dax_zero_guarded(struct region *rgn, void *dst, size_t len,
		     unsigned flags);

#endif
