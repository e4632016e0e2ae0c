/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iomap.c -- the iomap apply loop behind daxfs_pread and daxfs_pwrite
 * (dax_iomap_rw and dax_iomap_actor).
 *
 * Nothing is held by the engine between iomap_begin() and iomap_end();
 * ext2 holds there only the blocks it reserved for a write past EOF,
 * which no fault can reach (its block-map lock is dropped inside
 * iomap_begin).  The copy may therefore fault on a user buffer that is
 * itself a view of a file, this one included: the fault path takes the
 * file's dax_sem and entry locks, none of which is held here.  See
 * fault.c for why the fault takes entry locks only after iomap_begin.
 */
#include <errno.h>
#include <libpmem2.h>
#include <string.h>

#include "core/err.h"
#include "core/region.h"
#include "dax/mapping.h"
#include "dax/iomap.h"
#include "dax/view.h"

static void copy_to_pmem(void *ctx, void *dst, const void *src, size_t len)
{
	struct region *rgn = ctx;

	/* Flushed now, drained once at the end of the call. */
	rgn->memcpy(dst, src, len, PMEM2_F_MEM_NODRAIN);
}

static void copy_from_pmem(void *ctx, void *dst, const void *src, size_t len)
{
	(void)ctx;
	memcpy(dst, src, len);
}

static void zero_buf(void *ctx, void *dst, const void *src, size_t len)
{
	(void)ctx;
	(void)src;
	memset(dst, 0, len);
}

/* Copy one extent's worth between buf and the region (dax_iomap_actor).
 * Returns 0 or -EFAULT, with the message, when the user's buffer could
 * not be accessed. */
static int iomap_actor(struct region *rgn, struct dax_mapping *m,
		       const struct iomap *iomap, uint64_t pos,
		       size_t len, unsigned char *buf, bool write)
{
	unsigned char *pm = rgn->base + iomap->addr + (pos - iomap->offset);
	int ret;

	if (write) {
		/*
		 * Blocks just allocated over a hole: views that show the zero
		 * page there must see this data instead.
		 */
		if (m && (iomap->flags & IOMAP_F_NEW)) {
			atomic_fetch_add(&m->fill_seq, 1);
			dax_invalidate_zero(m,
				iomap->offset >> DAX_PAGE_SHIFT,
				iomap->length >> DAX_PAGE_SHIFT, iomap->addr);
		}
		ret = dax_copy_guarded(pm, buf, len, copy_to_pmem, rgn);
	} else if (iomap->type == IOMAP_MAPPED) {
		ret = dax_copy_guarded(buf, pm, len, copy_from_pmem, NULL);
	} else {
		ret = dax_copy_guarded(buf, NULL, len, zero_buf, NULL);
	}
	if (ret)
		return err_set(ret, "bad address: the buffer [%p, +%zu) "
			       "cannot be %s (file offset %llu)", (void *)buf,
			       len, write ? "read" : "written",
			       (unsigned long long)pos);
	return 0;
}

ssize_t dax_iomap_rw(struct region *rgn, struct ext2_inode_info *inode,
		       struct dax_mapping *m,
		       const struct iomap_ops *ops, uint64_t pos,
		       size_t len, void *buf, unsigned how)
{
	bool write = how & DAX_RW_WRITE;
	unsigned flags = write ? IOMAP_WRITE : 0;
	unsigned char *p = buf;
	size_t done = 0;
	int ret = 0;

	while (done < len) {
		struct iomap iomap;
		uint64_t end;
		size_t n;

		ret = ops->iomap_begin(inode, pos, len - done, flags, &iomap);
		if (ret)
			break;
		end = iomap.offset + iomap.length;
		if (iomap.length == 0 || iomap.offset > pos || end <= pos) {
			ret = err_set(-EIO, "the file system gave the "
				      "extent [%llu, +%llu) for offset %llu "
				      "(damaged?)",
				      (unsigned long long)iomap.offset,
				      (unsigned long long)iomap.length,
				      (unsigned long long)pos);
			if (ops->iomap_end)
				ops->iomap_end(inode, pos, 0, 0, flags, &iomap);
			break;
		}
		n = end - pos < len - done ? end - pos : len - done;
		ret = iomap_actor(rgn, m, &iomap, pos, n, p, write);
		if (ops->iomap_end)
			ops->iomap_end(inode, pos, n, ret ? 0 : n, flags, &iomap);
		if (ret)
			break;
		pos += n;
		p += n;
		done += n;
	}
	if (write && done && !(how & DAX_RW_NODRAIN))
		rgn->drain();
	return done ? (ssize_t)done : ret;
}
