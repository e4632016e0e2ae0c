/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * map.c -- the public calls on direct mappings: daxfs_map (through the
 * engine's map operation), and daxfs_unmap and daxfs_persist, which only
 * need the generic views of dax/view.c.
 */
#include <errno.h>
#include <sys/mman.h>

#include "api/vfs.h"
#include "core/err.h"
#include "dax/view.h"

/* daxfs_map's arguments, as far as no file needs to be looked at. */
static int map_check(daxfs_file *f, off_t off, size_t len, int prot,
		     unsigned flags, void **addr)
{
	if (!f || !addr)
		return err_set(-EINVAL, "f and addr must be given");
	if (off < 0 || (off & (DAX_PAGE_SIZE - 1)))
		return err_set(-EINVAL, "offset %lld is not page-aligned",
			       (long long)off);
	if (len == 0 || len > (SIZE_MAX >> 1) ||
	    (uint64_t)off + len < (uint64_t)off)
		return err_set(-EINVAL, "bad length %zu", len);
	if (flags & ~DAXFS_MAP_POPULATE)
		return err_set(-EINVAL, "unknown flags 0x%x",
			       flags & ~DAXFS_MAP_POPULATE);
	if (!(prot & PROT_READ) || (prot & ~(PROT_READ | PROT_WRITE)))
		return err_set(-EINVAL, "prot must be PROT_READ or "
			       "PROT_READ|PROT_WRITE");
	if (!f->readable)
		return err_set(-EACCES, "the file is not open for reading");
	if ((prot & PROT_WRITE) && (!f->writable || f->fs->rdonly))
		return err_set(-EACCES, "PROT_WRITE needs a handle open for "
			       "writing on a read-write mount");
	return 0;
}

DAXFS_API int daxfs_map(daxfs_file *f, off_t off, size_t len, int prot,
			unsigned flags, void **addr)
{
	int ret;

	err_begin("daxfs_map", f ? f->path : NULL);
	ret = map_check(f, off, len, prot, flags, addr);
	if (ret)
		return err_end(ret);
	len = (len + DAX_PAGE_SIZE - 1) & ~(size_t)(DAX_PAGE_SIZE - 1);
	return err_end(f->fs->ops->map(f, off, len, prot, flags, addr));
}

/* Find the whole view [addr, addr+len) and take it out of the registry;
 * NULL with the message set when there is none. */
static struct dax_view *unmap_find(void *addr, size_t len)
{
	struct dax_view *v = dax_view_lookup(addr, 1);

	if (!v) {
		err_set(-EINVAL, "%p is not in a view", addr);
		return NULL;
	}
	if (v->addr != addr || v->len != len) {
		dax_views_release();
		err_set(-EINVAL, "give a whole view (%p, %zu bytes)",
			(void *)v->addr, v->len);
		return NULL;
	}
	dax_views_release();
	/* Waits for the faults in flight on the view; one caller wins. */
	if (!dax_view_unregister(v)) {
		err_set(-EINVAL, "%p was unmapped already", addr);
		return NULL;
	}
	return v;
}

DAXFS_API int daxfs_unmap(void *addr, size_t len)
{
	struct dax_view *v;

	err_begin("daxfs_unmap", NULL);
	if (!addr)
		return err_end(err_set(-EINVAL, "addr is NULL"));
	len = (len + DAX_PAGE_SIZE - 1) & ~(size_t)(DAX_PAGE_SIZE - 1);
	v = unmap_find(addr, len);
	if (!v)
		return err_end(-EINVAL);
	v->ops->release(v);
	dax_view_delete(&v);
	return err_end(0);
}

DAXFS_API int daxfs_persist(const void *addr, size_t len)
{
	struct dax_view *v;
	int ret;

	err_begin("daxfs_persist", NULL);
	if (!addr)
		return err_end(err_set(-EINVAL, "addr is NULL"));
	if (len == 0)
		return err_end(0);
	v = dax_view_lookup(addr, len);
	if (!v)
		return err_end(err_set(-EINVAL, "[%p, +%zu) is not inside one "
				       "view", addr, len));
	ret = dax_view_persist(v, addr, len);
	dax_views_release();
	return err_end(ret);
}
