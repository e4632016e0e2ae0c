/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mmap.c -- DAX mappings of ext2 files: daxfs_map/daxfs_unmap/
 * daxfs_persist, and the ext2 side of the fault path (ext2_dax_fault).
 *
 * The lock ordering for ext2 DAX fault paths is:
 *
 * view registry (view.c; held shared for a whole fault)
 *   ext2_inode_info->dax_sem (shared by faults, exclusive by truncate)
 *     ->iomap_begin: ext2_inode_info->bmap_lock -> group locks (released
 *                    before it returns)
 *     entry lock (dax/entry.c)
 *       mapping->views_lock
 *         mapping->lock
 *
 * and the I/O paths put ext2_inode_info->i_rwsem above all of them: pwrite
 * holds i_rwsem while its copy faults on a view; truncate takes i_rwsem,
 * then dax_sem exclusively, unmaps every view past the new size and only
 * then frees the blocks, so no fault can map a block that truncate frees.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daxfs.h"
#include "dax/fault.h"
#include "ext2/ext2.h"

static const struct dax_view_ops ext2_view_ops = {
	.fault = ext2_dax_fault,
};

/* The fault with dax_sem already held (shared or exclusive). */
static int __ext2_dax_fault(struct dax_view *v, uint64_t pgoff, bool write)
{
	struct ext2_inode_info *inode = v->inode;
	struct dax_fault_ctx c = {
		.rgn = inode->fs->rgn,
		.ops = &ext2_iomap_ops,
		.isize = ext2_i_size(inode),
		.ino = inode->ino,
	};

	DAXFS_ASSERT_LOCKED(&inode->dax_sem);
	return dax_iomap_fault(v, pgoff, write, &c);
}

/* ext2_dax_fault: the fault of a view of an ext2 file. */
int ext2_dax_fault(struct dax_view *v, uint64_t pgoff, bool write)
{
	struct ext2_inode_info *inode = v->inode;
	int ret;

	down_read(&inode->dax_sem);
	ret = __ext2_dax_fault(v, pgoff, write);
	up_read(&inode->dax_sem);
	if (write && !ret)
		ext2_inode_touch(inode, true, true);
	return ret;
}

/*
 * The file grew from old to size bytes: pages of DAXFS_MAP_POPULATE views
 * that were past EOF (SIGBUS pages) are installed now, as those views
 * take no faults.  Lazy views need nothing: their next touch faults.
 * Called with i_rwsem held and dax_sem not held (the registry comes
 * before dax_sem).
 */
void ext2_size_grew(struct ext2_inode_info *inode, uint64_t old,
			  uint64_t size)
{
	struct dax_mapping *m = &inode->i_mapping;
	uint64_t first = (old + DAX_PAGE_SIZE - 1) >> DAX_PAGE_SHIFT;
	uint64_t last = (size + DAX_PAGE_SIZE - 1) >> DAX_PAGE_SHIFT;
	struct dax_view *v;

	if (!atomic_load(&m->nr_views) || first >= last)
		return;
	dax_views_hold(); /* no view goes away meanwhile */
	down_read(&inode->dax_sem);
	for (v = m->views; v; v = v->next) {
		uint64_t vend = v->pgoff + (v->len >> DAX_PAGE_SHIFT), pg, e;

		if (!atomic_load(&v->nr_sigbus))
			continue;
		for (pg = first > v->pgoff ? first : v->pgoff;
		     pg < last && pg < vend; pg++) {
			if (dax_view_state(v, pg) != DAX_PG_SIGBUS)
				continue;
			if (dax_grab_entry(m, pg, false, false, &e))
				continue;
			dax_view_zap(v, pg, 1);
			dax_put_entry(m, pg, dax_is_empty(e) ? 0 : e);
			__ext2_dax_fault(v, pg, v->prot & PROT_WRITE);
		}
	}
	up_read(&inode->dax_sem);
	dax_views_release();
}

/* A view is gone (unregistered): drop its inode reference and its hold
 * on the mount. */
static void ext2_view_release(struct dax_view *v)
{
	struct ext2_inode_info *inode = v->inode;
	struct ext2_sb_info *fs = inode->fs;

	ext2_iput(inode); /* frees an unlinked file with no other user */
	atomic_fetch_sub(&fs->open_files, 1);
}

/* Check daxfs_map's arguments against the handle and the mount. */
static int map_check(daxfs_file *f, off_t off, size_t len, int prot,
		     unsigned flags)
{
	struct ext2_sb_info *fs = f->fs;

	if (off < 0 || (off & (DAX_PAGE_SIZE - 1)))
		return err_set(-EINVAL, "map: offset %lld is not page-aligned",
				 (long long)off);
	if (len == 0 || len > (SIZE_MAX >> 1) ||
	    (uint64_t)off + len < (uint64_t)off)
		return err_set(-EINVAL, "map: bad length %zu", len);
	if (flags & ~DAXFS_MAP_POPULATE)
		return err_set(-EINVAL, "map: unknown flags 0x%x",
				 flags & ~DAXFS_MAP_POPULATE);
	if (!(prot & PROT_READ) || (prot & ~(PROT_READ | PROT_WRITE)))
		return err_set(-EINVAL, "map: prot must be PROT_READ or "
				 "PROT_READ|PROT_WRITE");
	if (!f->readable)
		return err_set(-EACCES, "map: the file is not open for reading");
	if ((prot & PROT_WRITE) && (!f->writable || fs->vfs.rdonly))
		return err_set(-EACCES, "map: PROT_WRITE needs a handle open "
				 "for writing on a read-write mount");
	if (!S_ISREG(ext2_i_mode(f->inode)))
		return err_set(-ENODEV, "map: not a regular file");
	if (fs->blocksize != DAX_PAGE_SIZE || getpagesize() != DAX_PAGE_SIZE)
		return err_set(-EOPNOTSUPP, "map: DAX mapping needs 4 KiB "
				 "blocks and pages (this file system has %u-byte "
				 "blocks)", fs->blocksize);
	if (fs->rgn->align > DAX_PAGE_SIZE)
		return err_set(-EOPNOTSUPP, "map: the region maps only in "
				 "%zu-byte units; reconfigure the device to 4 KiB "
				 "alignment (daxctl reconfigure-device --align 4K)",
				 fs->rgn->align);
	return 0;
}

DAXFS_API int daxfs_map(daxfs_file *f, off_t off, size_t len, int prot,
			unsigned flags, void **addr)
{
	struct ext2_inode_info *inode;
	struct dax_view *v;
	uint64_t pgoff;
	int ret;

	if (!f || !addr)
		return err_set(-EINVAL, "map: f and addr must be given");
	ret = map_check(f, off, len, prot, flags);
	if (ret)
		return ret;
	len = (len + DAX_PAGE_SIZE - 1) & ~(size_t)(DAX_PAGE_SIZE - 1);
	pgoff = (uint64_t)off >> DAX_PAGE_SHIFT;
	inode = f->inode;
	ret = dax_view_new(len, pgoff, &v);
	if (ret)
		return ret;
	v->prot = prot;
	v->flags = flags;
	v->fd = f->fs->rgn->fd;
	v->flush = f->fs->rgn->flush;
	v->drain = f->fs->rgn->drain;
	v->track_dirty = (prot & PROT_WRITE) && !(flags & DAXFS_MAP_POPULATE) &&
			 f->fs->rgn->granularity != PMEM2_GRANULARITY_BYTE;
	v->inode = inode;
	v->ops = &ext2_view_ops;
	ret = dax_view_register(v, &inode->i_mapping);
	if (ret) {
		dax_view_delete(&v);
		return ret;
	}
	ext2_ihold(inode);
	atomic_fetch_add(&f->fs->open_files, 1);
	if (flags & DAXFS_MAP_POPULATE) {
		down_read(&inode->dax_sem);
		ret = dax_populate(v, pgoff, pgoff + (len >> DAX_PAGE_SHIFT),
					 __ext2_dax_fault, ext2_i_size(inode));
		up_read(&inode->dax_sem);
		if (ret) {
			daxfs_unmap(v->addr, v->len);
			return err_set(ret, "map: cannot populate the view "
					 "(%s)", ret == -ENOSPC ? "no space for "
					 "its holes" : "out of memory");
		}
	}
	*addr = v->addr;
	return 0;
}

DAXFS_API int daxfs_unmap(void *addr, size_t len)
{
	struct dax_view *v;

	if (!addr)
		return err_set(-EINVAL, "unmap: addr is NULL");
	len = (len + DAX_PAGE_SIZE - 1) & ~(size_t)(DAX_PAGE_SIZE - 1);
	v = dax_view_lookup(addr, 1);
	if (!v)
		return err_set(-EINVAL, "unmap: %p is not in a view", addr);
	if (v->addr != addr || v->len != len) {
		dax_views_release();
		return err_set(-EINVAL, "unmap: give a whole view (%p, %zu "
				 "bytes)", (void *)v->addr, v->len);
	}
	dax_views_release();
	/* Waits for the faults in flight on the view; one caller wins. */
	if (!dax_view_unregister(v))
		return err_set(-EINVAL, "unmap: %p was unmapped already", addr);
	ext2_view_release(v);
	dax_view_delete(&v);
	return 0;
}

DAXFS_API int daxfs_persist(const void *addr, size_t len)
{
	struct dax_view *v;

	if (!addr)
		return err_set(-EINVAL, "persist: addr is NULL");
	if (len == 0)
		return 0;
	v = dax_view_lookup(addr, len);
	if (!v)
		return err_set(-EINVAL, "persist: [%p, +%zu) is not inside one "
				 "view", addr, len);
	dax_view_persist(v, addr, len);
	dax_views_release();
	return 0;
}
