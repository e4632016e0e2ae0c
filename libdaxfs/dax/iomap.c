/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iomap.c -- the iomap apply loop behind daxfs_pread and daxfs_pwrite.
 *
 * Nothing is held by the engine between iomap_begin() and iomap_end():
 * the file system takes and drops its block-map lock inside iomap_begin().
 * The copy may therefore fault on a user buffer that is itself a mapping
 * of a file (any file, this one included) without lock inversion.
 */
#include <errno.h>
#include <libpmem2.h>
#include <string.h>

#include "core/region.h"
#include "dax/iomap.h"

/* Copy one extent's worth between buf and the region; returns bytes. */
static size_t iomap_copy(struct daxfs_region *rgn,
			 const struct daxfs_iomap *iomap, uint64_t pos,
			 size_t len, unsigned char *buf, bool write)
{
	unsigned char *pm = rgn->base + iomap->addr + (pos - iomap->offset);

	if (write) {
		/* Flushed now, drained once at the end of the call. */
		rgn->memcpy(pm, buf, len, PMEM2_F_MEM_NODRAIN);
	} else if (iomap->type == DAXFS_IOMAP_MAPPED) {
		memcpy(buf, pm, len);
	} else {
		memset(buf, 0, len);
	}
	return len;
}

ssize_t daxfs_iomap_rw(struct daxfs_region *rgn, struct daxfs_inode *inode,
		       const struct daxfs_iomap_ops *ops, uint64_t pos,
		       size_t len, void *buf, bool write)
{
	unsigned flags = write ? DAXFS_IOMAP_WRITE : 0;
	unsigned char *p = buf;
	size_t done = 0;
	int ret = 0;

	while (done < len) {
		struct daxfs_iomap iomap;
		uint64_t end;
		size_t n;

		ret = ops->iomap_begin(inode, pos, len - done, flags, &iomap);
		if (ret)
			break;
		end = iomap.offset + iomap.length;
		if (iomap.length == 0 || iomap.offset > pos || end <= pos) {
			ret = -EIO; /* a broken extent: fs corruption? */
			break;
		}
		n = end - pos < len - done ? end - pos : len - done;
		n = iomap_copy(rgn, &iomap, pos, n, p, write);
		if (ops->iomap_end)
			ops->iomap_end(inode, pos, n, n, flags, &iomap);
		pos += n;
		p += n;
		done += n;
	}
	if (write && done)
		rgn->drain();
	return done ? (ssize_t)done : ret;
}
