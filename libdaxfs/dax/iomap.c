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
#include "dax/copy.h"
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

/* What dax_zero_guarded's fill needs. */
struct zero_ctx {
	struct region *rgn;
	unsigned flags;   /* PMEM2_F_MEM_* */
};

/* dax_zero_guarded's fill: the region's memset. */
static void zero_pmem(void *ctx, void *dst, const void *src, size_t len)
{
	struct zero_ctx *z = ctx;

	(void)src;
	z->rgn->memset(dst, 0, len, z->flags);
}

int dax_zero_guarded(struct region *rgn, void *dst, size_t len,
		     unsigned flags)
{
	struct zero_ctx z = { rgn, flags };

	return dax_copy_guarded(dst, NULL, len, zero_pmem, &z) ? -EIO : 0;
}

int dax_copy_to_pmem(struct region *rgn, void *pm, const void *buf,
		     size_t len)
{
	/* A fault in the first is redone by the second, which tells
	 * -EFAULT from -EIO and where (dax_guard_fault). */
	if (rgn->nt_copy && dax_copy_nt(pm, buf, len))
		return 0;
	return dax_copy_guarded(pm, buf, len, copy_to_pmem, rgn);
}

/* One guarded copy of len bytes between buf and pm (the region), the
 * way the extent asks: 0, -EFAULT (buf) or -EIO (pm). */
static int actor_copy(struct region *rgn, const struct iomap *iomap,
		      unsigned char *pm, unsigned char *buf, size_t len,
		      bool write)
{
	if (write)
		return dax_copy_to_pmem(rgn, pm, buf, len);
	if (iomap->type == IOMAP_MAPPED)
		return dax_copy_guarded(buf, pm, len, copy_from_pmem, NULL);
	return dax_copy_guarded(buf, NULL, len, zero_buf, NULL);
}

/*
 * The copy of len bytes at pm hit lost media at pm + *bad: copy again
 * what lies before the bad cache line (a copy that faults stops
 * anywhere), lower each time it faults again.  Returns the bytes now
 * copied; *bad is the lowest bad offset seen.
 */
static size_t actor_salvage(struct region *rgn, const struct iomap *iomap,
			    unsigned char *pm, unsigned char *buf,
			    size_t *bad, bool write)
{
	size_t n = *bad & ~(size_t)63;
	const void *addr;
	int sig;

	while (n > 0) {
		if (actor_copy(rgn, iomap, pm, buf, n, write) == 0)
			return n;
		dax_guard_fault(&addr, &sig);
		if ((const unsigned char *)addr < pm ||
		    (const unsigned char *)addr >= pm + n)
			return 0; /* not the media (or no longer): give up */
		*bad = (size_t)((const unsigned char *)addr - pm);
		n = *bad & ~(size_t)63;
	}
	return 0;
}

/* The copy of len bytes at pm (file offset pos) faulted on lost memory:
 * salvage the bytes before it (*copied) and say where, -EIO. */
static int actor_lost(struct region *rgn, const struct iomap *iomap,
		      uint64_t pos, unsigned char *pm, size_t len,
		      unsigned char *buf, bool write, size_t *copied)
{
	const void *addr;
	size_t bad;
	int sig;

	dax_guard_fault(&addr, &sig);
	bad = (size_t)((const unsigned char *)addr - pm);
	if (bad < len)
		*copied = actor_salvage(rgn, iomap, pm, buf, &bad, write);
	else
		bad = 0;
	return err_set(-EIO, "I/O error at file offset %llu (region offset "
		       "%llu): the memory there is lost or poisoned (a bad "
		       "block, or the region file was shrunk)",
		       (unsigned long long)(pos + bad),
		       (unsigned long long)(iomap->addr + (pos - iomap->offset) +
					    bad));
}

/*
 * Copy one extent's worth between buf and the region (dax_iomap_actor);
 * *copied gets the bytes copied.  Returns 0, -EFAULT when the user's
 * buffer could not be accessed, or -EIO when the region's memory is lost
 * (poison, or a region file shrunk under the mount): then *copied counts
 * the bytes before the bad part.  The message is set.
 */
static int iomap_actor(struct region *rgn, struct dax_mapping *m,
		       const struct iomap *iomap, uint64_t pos,
		       size_t len, unsigned char *buf, bool write,
		       size_t *copied)
{
	unsigned char *pm = rgn->base + iomap->addr + (pos - iomap->offset);
	int ret;

	/*
	 * Blocks just allocated over a hole: views that show the zero page
	 * there must see this data instead.
	 */
	if (write && m && (iomap->flags & IOMAP_F_NEW)) {
		atomic_fetch_add(&m->fill_seq, 1);
		dax_invalidate_zero(m, iomap->offset >> DAX_PAGE_SHIFT,
				    iomap->length >> DAX_PAGE_SHIFT, iomap->addr);
	}
	ret = actor_copy(rgn, iomap, pm, buf, len, write);
	*copied = ret ? 0 : len;
	if (ret == -EFAULT)
		return err_set(ret, "bad address: the buffer [%p, +%zu) "
			       "cannot be %s (file offset %llu)", (void *)buf,
			       len, write ? "read" : "written",
			       (unsigned long long)pos);
	if (ret == 0)
		return 0;
	return actor_lost(rgn, iomap, pos, pm, len, buf, write, copied);
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
		size_t n, n_done;

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
		ret = iomap_actor(rgn, m, &iomap, pos, n, p, write, &n_done);
		if (ops->iomap_end)
			ops->iomap_end(inode, pos, n, n_done, flags, &iomap);
		pos += n_done;
		p += n_done;
		done += n_done;
		if (ret)
			break;
	}
	if (write && done && !(how & DAX_RW_NODRAIN))
		rgn->drain();
	return done ? (ssize_t)done : ret;
}
