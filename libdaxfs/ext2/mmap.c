/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mmap.c -- DAX mappings of ext2 files: the map operation (daxfs_map),
 * the release of a view, and the ext2 side of the fault path
 * (ext2_dax_fault).
 *
 * Locks: the order is the block at the top of ext2.h.  Here: a fault
 * (ext2_dax_fault) runs with the view registry held for reading by the
 * signal handler and takes dax_sem shared; ext2_size_grew, called with
 * i_rwsem held, takes the registry and then dax_sem.  Truncate holds
 * dax_sem exclusively while it unmaps every view past the new size and
 * frees the blocks, so no fault can map a block that truncate frees.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daxfs.h"
#include "dax/fault.h"
#include "ext2/ext2.h"

static void ext2_view_release(struct dax_view *v);

static const struct dax_view_ops ext2_view_ops = {
	.fault = ext2_dax_fault,
	.release = ext2_view_release,
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

	if (first >= last || !atomic_load(&m->nr_views))
		return; /* (an overwrite touches not even the views' line) */
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
	atomic_fetch_sub(&fs->open_views, 1);
}

/* What DAX mapping needs of the file and of the file system. */
static int map_check(struct ext2_sb_info *fs, struct ext2_inode_info *inode)
{
	if (!S_ISREG(ext2_i_mode(inode)))
		return err_set(-ENODEV, "not a regular file");
	if (fs->blocksize != DAX_PAGE_SIZE || getpagesize() != DAX_PAGE_SIZE)
		return err_set(-EOPNOTSUPP, "DAX mapping needs 4 KiB blocks and "
			       "pages (this file system has %u-byte blocks)",
			       fs->blocksize);
	if (fs->rgn->align > DAX_PMD_SIZE)
		return err_set(-EOPNOTSUPP, "the region maps only in %zu-byte "
			       "units, which views do not support (2 MiB and "
			       "4 KiB do): make the namespace again with "
			       "ndctl create-namespace --mode=devdax "
			       "--align=2M (or 4K)",
			       fs->rgn->align);
	return 0;
}

/* Is the unit at block lblk mappable: below EOF, and a hole throughout
 * or one aligned extent?  0, or -EOPNOTSUPP naming it. */
static int unit_check(struct ext2_inode_info *inode, uint32_t lblk,
		      uint32_t unit)
{
	uint64_t pos = (uint64_t)lblk << DAX_PAGE_SHIFT;
	uint32_t pblk, count;
	bool is_new;
	int ret;

	if (pos + ((uint64_t)unit << DAX_PAGE_SHIFT) > ext2_i_size(inode))
		return err_set(-EOPNOTSUPP, "the 2 MiB unit at file offset "
			       "%llu reaches past the end of the file (%llu "
			       "bytes), and the region maps only whole 2 MiB "
			       "units: map up to the last whole unit, or grow "
			       "the file (daxfs_fallocate)",
			       (unsigned long long)pos,
			       (unsigned long long)ext2_i_size(inode));
	ret = ext2_bmap(inode, lblk, unit, false, &pblk, &count, &is_new);
	if (ret || (count >= unit && pblk % unit == 0))
		return ret;
	return err_set(-EOPNOTSUPP, "the 2 MiB unit at file offset %llu is "
		       "%s, and the region maps only whole 2 MiB units: "
		       "fallocate the file or write it in 2 MiB pieces, or "
		       "use a device with 4 KiB alignment",
		       (unsigned long long)pos,
		       pblk ? "not one 2 MiB-aligned extent"
			    : "partly allocated");
}

/* On a region that maps only in units, a view is whole units, each of
 * them mappable below EOF (unit_check); i_rwsem held. */
static int map_check_units(struct ext2_sb_info *fs,
			   struct ext2_inode_info *inode, uint64_t off,
			   size_t len)
{
	uint32_t unit = ext2_unit_blocks(fs);
	uint64_t b, end = off + len;
	int ret;

	if (unit == 1)
		return 0;
	if ((off | len) & (fs->rgn->align - 1))
		return err_set(-EINVAL, "offset %llu and length %zu must be "
			       "multiples of %zu on this region (it maps only "
			       "in such units)", (unsigned long long)off, len,
			       fs->rgn->align);
	if (end > ext2_i_size(inode))
		end = ext2_i_size(inode);
	for (b = off; b < end; b += fs->rgn->align) {
		ret = unit_check(inode, (uint32_t)(b >> DAX_PAGE_SHIFT), unit);
		if (ret)
			return ret;
	}
	return 0;
}

/* A new view of len bytes of inode from page pgoff, registered. */
static int map_view(struct ext2_sb_info *fs, struct ext2_inode_info *inode,
		    uint64_t pgoff, size_t len, int prot, unsigned flags,
		    struct dax_view **out)
{
	struct dax_view *v;
	int ret;

	ret = dax_view_new(len, pgoff, &v);
	if (ret)
		return ret;
	v->prot = prot;
	v->flags = flags;
	v->fd = fs->rgn->fd;
	v->flush = fs->rgn->flush;
	v->drain = fs->rgn->drain;
	v->track_dirty = (prot & PROT_WRITE) && !(flags & DAXFS_MAP_POPULATE) &&
			 fs->rgn->granularity != PMEM2_GRANULARITY_BYTE;
	v->inode = inode;
	v->ino = inode->ino;
	v->ops = &ext2_view_ops;
	ret = dax_view_register(v, &inode->i_mapping);
	if (ret) {
		dax_view_delete(&v);
		return ret;
	}
	ext2_ihold(inode);
	atomic_fetch_add(&fs->open_views, 1);
	*out = v;
	return 0;
}

/* The map operation: a view of [off, off+len) of an open file. */
int ext2_map(struct daxfs_file *f, uint64_t off, size_t len, int prot,
	     unsigned flags, void **addr)
{
	struct ext2_sb_info *fs = EXT2_SB(f->fs);
	struct ext2_inode_info *inode = EXT2_I(f->inode);
	uint64_t pgoff = off >> DAX_PAGE_SHIFT;
	struct dax_view *v;
	int ret;

	ret = map_check(fs, inode);
	if (ret)
		return ret;
	/* i_rwsem: no write changes the units between check and register */
	down_read(&inode->i_rwsem);
	ret = map_check_units(fs, inode, off, len) ?:
	      map_view(fs, inode, pgoff, len, prot, flags, &v);
	up_read(&inode->i_rwsem);
	if (ret)
		return ret;
	if (flags & DAXFS_MAP_POPULATE) {
		down_read(&inode->dax_sem);
		ret = dax_populate(v, pgoff, pgoff + (len >> DAX_PAGE_SHIFT),
				   __ext2_dax_fault, ext2_i_size(inode));
		up_read(&inode->dax_sem);
		if (ret) {
			if (dax_view_unregister(v))
				ext2_view_release(v);
			dax_view_delete(&v);
			return ret; /* dax_populate said why */
		}
	}
	*addr = v->addr;
	return 0;
}
