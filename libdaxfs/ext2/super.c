/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * super.c -- mounting: reading and checking the superblock and the group
 * descriptors, marking the file system in use and clean, statfs.
 *
 * Checking is done before anything is written: a mount that fails leaves
 * the region byte for byte as it was.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daxfs.h"
#include "core/mem.h"
#include "ext2/ext2.h"
#include "ext2/journal.h"

/* Seconds since the epoch for inode times.  ext2 keeps whole seconds, so
 * the coarse clock (what time(2) reads) is enough, and it costs a load
 * where a precise clock_gettime costs a TSC read in a VM. */
uint32_t ext2_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (uint32_t)ts.tv_sec;
}

int ext2_corrupt(struct ext2_sb_info *fs, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!fs->vfs.rdonly) {
		pthread_mutex_lock(&fs->sb_lock);
		fs->es->s_state |= le16_put(EXT2_ERROR_FS);
		ext2_persist(fs, &fs->es->s_state, sizeof(fs->es->s_state));
		pthread_mutex_unlock(&fs->sb_lock);
	}
	return err_set(-EUCLEAN, "file system is damaged: %s (run e2fsck)",
			 msg);
}

void ext2_mount_warn(struct ext2_sb_info *fs, const char *fmt, ...)
{
	char *w = fs->vfs.warning;
	size_t n = strlen(w), size = sizeof(fs->vfs.warning);
	va_list ap;

	if (n && n + 2 < size) {
		memcpy(w + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(w + n, size - n, fmt, ap);
	va_end(ap);
}

/* Does group g hold a copy of the superblock (sparse_super rules)? */
bool ext2_group_has_super(struct ext2_sb_info *fs, uint32_t g)
{
	uint32_t p;

	if (g <= 1 || !(le32_get(fs->es->s_feature_ro_compat) &
			EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER))
		return true;
	if (!(g & 1))
		return false;
	for (p = 3; p <= 7; p += 2) {
		uint64_t x = p;

		while (x < g)
			x *= p;
		if (x == g)
			return true;
	}
	return false;
}

/* Blocks at the start of group g taken by superblock and descriptor
 * copies, rsv_gdt reserved descriptor blocks included (bitmaps and inode
 * table not included). */
uint32_t ext2_group_overhead(struct ext2_sb_info *fs, uint32_t g, uint32_t rsv_gdt)
{
	return ext2_group_has_super(fs, g) ? 1 + ext2_gdt_blocks(fs) + rsv_gdt
					   : 0;
}

/* Find the superblock in the region and check its magic, revision and
 * block size.  Writes nothing. */
static int super_load_header(struct ext2_sb_info *fs, const char *path)
{
	struct ext2_super_block *es;
	uint32_t log;

	if (fs->rgn->size < EXT2_SUPERBLOCK_OFFSET + EXT2_SUPERBLOCK_SIZE)
		return err_set(-EUCLEAN, "region %s (%zu bytes) is too small "
				 "to hold an ext2 superblock", path,
				 fs->rgn->size);
	es = fs->es = (void *)(fs->base + EXT2_SUPERBLOCK_OFFSET);
	if (le16_get(es->s_magic) != EXT2_SUPER_MAGIC)
		return err_set(-EUCLEAN, "no ext2 file system on %s (bad "
				 "superblock magic 0x%04x)", path,
				 le16_get(es->s_magic));
	if (le32_get(es->s_rev_level) > EXT2_DYNAMIC_REV)
		return err_set(-EOPNOTSUPP, "%s: ext2 revision %u is not "
				 "supported", path, le32_get(es->s_rev_level));
	log = le32_get(es->s_log_block_size);
	if (log > EXT2_MAX_BLOCK_LOG_SIZE - EXT2_MIN_BLOCK_LOG_SIZE)
		return err_set(-EUCLEAN, "%s: superblock has an unsupported "
				 "block size (log %u)", path, log);
	fs->blocksize_bits = EXT2_MIN_BLOCK_LOG_SIZE + log;
	fs->blocksize = 1u << fs->blocksize_bits;
	fs->addr_per_block = fs->blocksize / 4;
	fs->addr_per_block_bits = fs->blocksize_bits - 2;
	fs->max_file_size = ext2_bmap_max_size(fs);
	return 0;
}

/* The e2fsprogs names of the incompatible feature bits in f, into buf. */
static const char *incompat_names(uint32_t f, char *buf, size_t len)
{
	static const char *const name[18] = {
		"compression", "filetype", "needs_recovery", "journal_dev",
		"meta_bg", NULL, "extent", "64bit", "mmp", "flex_bg",
		"ea_inode", NULL, "dirdata", "metadata_csum_seed",
		"large_dir", "inline_data", "encrypt", "casefold",
	};
	size_t n = 0;

	buf[0] = 0;
	for (unsigned b = 0; b < 32 && n < len; b++)
		if (f & (1u << b))
			n += snprintf(buf + n, len - n, "%s%s", n ? " " : "",
				      b < 18 && name[b] ? name[b] : "unknown");
	return buf;
}

/* Check the feature flags (the ones this driver lacks refuse the mount,
 * or a read-write one) and the inode size.  Writes nothing. */
static int super_load_features(struct ext2_sb_info *fs, const char *path)
{
	struct ext2_super_block *es = fs->es;
	uint32_t incompat, ro;

	if (le32_get(es->s_rev_level) == EXT2_GOOD_OLD_REV) {
		fs->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
		fs->first_ino = EXT2_GOOD_OLD_FIRST_INO;
		incompat = ro = 0;
	} else {
		fs->inode_size = le16_get(es->s_inode_size);
		fs->first_ino = le32_get(es->s_first_ino);
		incompat = le32_get(es->s_feature_incompat);
		ro = le32_get(es->s_feature_ro_compat);
	}
	if (incompat & ~EXT2_FEATURE_INCOMPAT_SUPP) {
		char names[160];

		return err_set(-EOPNOTSUPP, "%s: unsupported incompatible "
				 "features 0x%x (%s): libdaxfs reads ext2 "
				 "(mke2fs -t ext2)", path,
				 incompat & ~EXT2_FEATURE_INCOMPAT_SUPP,
				 incompat_names(incompat &
						~EXT2_FEATURE_INCOMPAT_SUPP,
						names, sizeof(names)));
	}
	if ((ro & ~EXT2_FEATURE_RO_COMPAT_SUPP) && !fs->vfs.rdonly)
		return err_set(-EROFS, "%s: unsupported read-only-compatible "
				 "features 0x%x: mount it with "
				 "DAXFS_MOUNT_RDONLY", path,
				 ro & ~EXT2_FEATURE_RO_COMPAT_SUPP);
	fs->has_filetype = incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;

	if (fs->inode_size < EXT2_GOOD_OLD_INODE_SIZE ||
	    fs->inode_size > fs->blocksize ||
	    (fs->inode_size & (fs->inode_size - 1)))
		return err_set(-EUCLEAN, "%s: bad inode size %u", path,
				 fs->inode_size);
	return 0;
}

/* Check the block and inode counts and derive the group geometry; the
 * file system must fit in the region.  Writes nothing. */
static int super_load_geometry(struct ext2_sb_info *fs, const char *path)
{
	struct ext2_super_block *es = fs->es;
	uint32_t groups;
	uint64_t need;

	fs->blocks_count = le32_get(es->s_blocks_count);
	fs->first_data_block = le32_get(es->s_first_data_block);
	fs->blocks_per_group = le32_get(es->s_blocks_per_group);
	fs->inodes_per_group = le32_get(es->s_inodes_per_group);
	fs->inodes_count = le32_get(es->s_inodes_count);
	if (fs->first_data_block != (fs->blocksize == 1024 ? 1u : 0u) ||
	    fs->blocks_count <= fs->first_data_block + 1)
		return err_set(-EUCLEAN, "%s: bad first data block %u or "
				 "block count %u", path, fs->first_data_block,
				 fs->blocks_count);
	if (fs->blocks_per_group < 8 || fs->blocks_per_group % 8 ||
	    fs->blocks_per_group > 8 * fs->blocksize)
		return err_set(-EUCLEAN, "%s: bad blocks per group %u", path,
				 fs->blocks_per_group);
	if (fs->inodes_per_group == 0 ||
	    fs->inodes_per_group > 8 * fs->blocksize ||
	    (uint64_t)fs->inodes_per_group * fs->inode_size % fs->blocksize)
		return err_set(-EUCLEAN, "%s: bad inodes per group %u", path,
				 fs->inodes_per_group);
	groups = (fs->blocks_count - fs->first_data_block +
		  fs->blocks_per_group - 1) / fs->blocks_per_group;
	fs->groups_count = groups;
	if ((uint64_t)groups * fs->inodes_per_group != fs->inodes_count)
		return err_set(-EUCLEAN, "%s: inode count %u does not match "
				 "%u groups of %u", path, fs->inodes_count,
				 groups, fs->inodes_per_group);
	if (fs->first_ino < EXT2_GOOD_OLD_FIRST_INO ||
	    fs->first_ino >= fs->inodes_count)
		return err_set(-EUCLEAN, "%s: bad first inode %u", path,
				 fs->first_ino);
	need = (uint64_t)fs->blocks_count << fs->blocksize_bits;
	if (need > fs->rgn->size)
		return err_set(-EUCLEAN, "%s: the file system needs %llu "
				 "bytes but the region has %zu (truncated?)",
				 path, (unsigned long long)need, fs->rgn->size);
	fs->itb_per_group = fs->inodes_per_group * fs->inode_size /
			    fs->blocksize;
	return 0;
}

/* Check the superblock and derive the geometry.  Writes nothing. */
static int super_load(struct ext2_sb_info *fs, const char *path)
{
	int ret;

	ret = super_load_header(fs, path);
	if (!ret)
		ret = super_load_features(fs, path);
	if (!ret)
		ret = super_load_geometry(fs, path);
	return ret;
}

/* Check every group descriptor and sum the free counters.  Writes
 * nothing. */
static int groups_load(struct ext2_sb_info *fs, const char *path)
{
	uint32_t g, rsv;
	int64_t fb = 0, fi = 0;

	if ((uint64_t)fs->first_data_block + 1 + ext2_gdt_blocks(fs) >
	    fs->blocks_count)
		return err_set(-EUCLEAN, "%s: group descriptors run past "
				 "the end of the file system", path);
	fs->gdt = ext2_block(fs, fs->first_data_block + 1);
	fs->groups = mem_zalloc_aligned(sizeof(*fs->groups) * fs->groups_count,
					  sizeof(*fs->groups));
	if (!fs->groups)
		return err_set(-ENOMEM, "out of memory for %u groups",
				 fs->groups_count);
	rsv = le32_get(fs->es->s_feature_compat) &
		      EXT2_FEATURE_COMPAT_RESIZE_INODE
	      ? le16_get(fs->es->s_reserved_gdt_blocks) : 0;
	for (g = 0; g < fs->groups_count; g++) {
		struct ext2_group_desc *gd = &fs->gdt[g];
		uint32_t first = ext2_group_first_block(fs, g) +
				 ext2_group_overhead(fs, g, rsv);
		uint32_t last = ext2_group_first_block(fs, g) +
				ext2_group_nblocks(fs, g) - 1;
		uint32_t bb = le32_get(gd->bg_block_bitmap);
		uint32_t ib = le32_get(gd->bg_inode_bitmap);
		uint32_t it = le32_get(gd->bg_inode_table);

		if (bb < first || bb > last)
			return err_set(-EUCLEAN, "%s: group %u: block bitmap "
					 "at block %u is outside the group's "
					 "free area", path, g, bb);
		if (bb == ib || (bb >= it && bb < it + fs->itb_per_group) ||
		    (ib >= it && ib < it + fs->itb_per_group))
			return err_set(-EUCLEAN, "%s: group %u: bitmaps and "
					 "inode table overlap", path, g);
		if (ib < first || ib > last)
			return err_set(-EUCLEAN, "%s: group %u: inode bitmap "
					 "at block %u is outside the group",
					 path, g, ib);
		if (it < first || it > last ||
		    (uint64_t)it + fs->itb_per_group - 1 > last)
			return err_set(-EUCLEAN, "%s: group %u: inode table "
					 "at block %u is outside the group",
					 path, g, it);
		if (le16_get(gd->bg_free_blocks_count) >
			    ext2_group_nblocks(fs, g) ||
		    le16_get(gd->bg_free_inodes_count) > fs->inodes_per_group)
			return err_set(-EUCLEAN, "%s: group %u: free counts "
					 "out of range", path, g);
		fs->groups[g].block_bitmap = bb;
		fs->groups[g].inode_bitmap = ib;
		fs->groups[g].inode_table = it;
		fs->groups[g].data_start = first;
		fb += le16_get(gd->bg_free_blocks_count);
		fi += le16_get(gd->bg_free_inodes_count);
		pthread_mutex_init(&fs->groups[g].lock, NULL);
	}
	atomic_init(&fs->free_blocks, fb);
	atomic_init(&fs->free_inodes, fi);
	return 0;
}

/* Write the summed free counters into the superblock and persist them. */
int ext2_sb_sync_counters(struct ext2_sb_info *fs)
{
	struct ext2_super_block *es = fs->es;

	if (fs->vfs.rdonly)
		return 0;
	pthread_mutex_lock(&fs->sb_lock);
	es->s_free_blocks_count = le32_put((uint32_t)atomic_load(&fs->free_blocks));
	es->s_free_inodes_count = le32_put((uint32_t)atomic_load(&fs->free_inodes));
	es->s_wtime = le32_put(ext2_now());
	if (fs->journal) /* the group counters, not flushed as they move */
		region_flush(fs->rgn, fs->gdt,
			     (size_t)fs->groups_count * sizeof(*fs->gdt));
	ext2_persist(fs, es, 0x40);
	pthread_mutex_unlock(&fs->sb_lock);
	return 0;
}

/* Set the large_file feature before the first file over 2 GiB grows. */
void ext2_sb_need_large_file(struct ext2_sb_info *fs)
{
	struct ext2_super_block *es = fs->es;

	if (le32_get(es->s_feature_ro_compat) & EXT2_FEATURE_RO_COMPAT_LARGE_FILE)
		return;
	pthread_mutex_lock(&fs->sb_lock);
	if (le32_get(es->s_rev_level) == EXT2_GOOD_OLD_REV) {
		/* Features need a dynamic revision superblock. */
		es->s_rev_level = le32_put(EXT2_DYNAMIC_REV);
		es->s_first_ino = le32_put(EXT2_GOOD_OLD_FIRST_INO);
		es->s_inode_size = le16_put(EXT2_GOOD_OLD_INODE_SIZE);
	}
	es->s_feature_ro_compat = le32_put(le32_get(es->s_feature_ro_compat) |
					   EXT2_FEATURE_RO_COMPAT_LARGE_FILE);
	ext2_persist(fs, es, 0x100);
	pthread_mutex_unlock(&fs->sb_lock);
}

/* Free a half-built or unmounted fs; the region is closed last. */
static void fs_destroy(struct ext2_sb_info *fs)
{
	uint32_t g;

	if (fs->icache)
		ext2_icache_destroy(fs);
	if (fs->groups) {
		for (g = 0; g < fs->groups_count; g++)
			pthread_mutex_destroy(&fs->groups[g].lock);
		mem_free(fs->groups);
	}
	ext2_journal_free(fs);
	pthread_mutex_destroy(&fs->rename_lock);
	pthread_mutex_destroy(&fs->sb_lock);
	pthread_mutex_destroy(&fs->orphan_lock);
	region_close(&fs->rgn);
	mem_free(fs);
	mem_purge(); /* the caches' memory goes back to the system */
}

/*
 * Note what state the file system was left in, and mark it in use: not
 * clean until daxfs_unmount (as the kernel does).  A file system that
 * has errors, or that was not cleanly unmounted and that libdaxfs's own
 * recovery (journal.c, orphan.c) did not bring back from a crash of a
 * mount that had found it clean, is never marked clean by libdaxfs (it
 * cannot repair it): it stays so for e2fsck -p to check, and the mount
 * says so in its warning.
 */
static void mount_mark_in_use(struct ext2_sb_info *fs, const char *path)
{
	struct ext2_super_block *es = fs->es;
	uint16_t state = le16_get(es->s_state);
	bool recovered = fs->journal_replayed && !fs->unclean_before;

	/* A crash that libdaxfs's own recovery brought back is no reason to
	 * keep the image from e2fsck -p's eyes; any other is. */
	fs->unclean = (!(state & EXT2_VALID_FS) && !recovered) ||
		      (state & EXT2_ERROR_FS);
	if (fs->unclean && fs->recoverable && !(state & EXT2_ERROR_FS))
		ext2_mount_warn(fs, "%.80s was left by a libdaxfs mount that "
				"crashed: the next read-write daxfs_mount "
				"recovers it (a read-only one cannot)", path);
	else if (fs->unclean)
		ext2_mount_warn(fs, "%.80s %s: it stays marked so; run e2fsck "
				"-p on it after daxfs_unmount", path,
				(state & EXT2_ERROR_FS)
					? "has errors"
					: "was not cleanly unmounted");
	if (fs->vfs.rdonly)
		return;
	es->s_state &= le16_put(~EXT2_VALID_FS);
	es->s_mnt_count = le16_put(le16_get(es->s_mnt_count) + 1);
	es->s_mtime = le32_put(ext2_now());
	es->s_wtime = es->s_mtime;
	ext2_persist(fs, es, 0x40);
}

/* After the journal's undo: finish the orphans (orphan.c), then
 * recompute the counters the frees moved. */
static int mount_finish_orphans(struct ext2_sb_info *fs, const char *path)
{
	int ret;

	fs->recovering = true;
	ret = ext2_orphan_recover(fs, path);
	fs->recovering = false;
	if (!ret)
		ext2_journal_recount(fs);
	return ret;
}

/* The mount operation: map the region, read and check the superblock and
 * the groups, and mark the file system in use. */
static int ext2_mount(const char *path, unsigned flags, struct daxfs **out)
{
	struct ext2_sb_info *fs;
	char devpath[80];
	int ret;

	fs = mem_zalloc(sizeof(*fs));
	if (!fs)
		return err_set(-ENOMEM, "out of memory mounting %s", path);
	pthread_mutex_init(&fs->rename_lock, NULL);
	pthread_mutex_init(&fs->sb_lock, NULL);
	pthread_mutex_init(&fs->orphan_lock, NULL);
	fs->vfs.ops = &ext2_vfs_ops;
	fs->vfs.rdonly = flags & DAXFS_MOUNT_RDONLY;
	path = region_resolve_path(path, devpath, sizeof(devpath));
	ret = dax_handlers_init(); /* bad buffers give -EFAULT from now on */
	if (!ret)
		ret = region_open(path, fs->vfs.rdonly, &fs->rgn);
	if (!ret && (flags & DAXFS_MOUNT_POPULATE))
		ret = region_populate(fs->rgn);
	if (ret)
		goto fail;
	fs->base = fs->rgn->base;
	ret = region_load_badblocks(fs->rgn);
	if (!ret)
		ret = ext2_bad_super(fs, path);
	if (!ret)
		ret = super_load(fs, path);
	if (!ret)
		ret = ext2_bad_gdt(fs, path);
	if (ret)
		goto fail;
	ret = groups_load(fs, path);
	if (!ret) /* bad metadata: read-only from here */
		ret = ext2_badblocks_mount(fs, path);
	if (!ret)
		ret = ext2_journal_load(fs, path); /* recovery, before any write */
	if (ret)
		goto fail;
	fs->uid = getuid();
	fs->gid = getgid();
	ret = ext2_icache_init(fs);
	if (!ret && fs->journal_replayed)
		ret = mount_finish_orphans(fs, path);
	if (ret)
		goto fail;
	ret = ext2_iget(fs, EXT2_ROOT_INO, &fs->root);
	if (ret)
		goto fail;
	if (!S_ISDIR(ext2_i_mode(fs->root))) {
		ret = err_set(-EUCLEAN, "%s: the root inode is not a "
				"directory", path);
		goto fail;
	}
	mount_mark_in_use(fs, path);
	if (!fs->vfs.rdonly)
		ext2_journal_start(fs);
	*out = &fs->vfs;
	return 0;
fail:
	if (fs->root)
		ext2_iput(fs->root);
	fs_destroy(fs);
	return ret;
}

/* The unmount operation: mark the file system clean and release it;
 * -EBUSY while files are open or views mapped. */
static int ext2_unmount(struct daxfs *vfs)
{
	struct ext2_sb_info *fs = EXT2_SB(vfs);
	int files = atomic_load(&fs->open_files);
	int views = atomic_load(&fs->open_views);

	if (files)
		return err_set(-EBUSY, "%d file handle(s) still open%s (close "
			       "them first)", files,
			       views ? ", and views still mapped" : "");
	if (views)
		return err_set(-EBUSY, "%d view(s) still mapped (daxfs_unmap "
			       "them first)", views);
	if (!fs->vfs.rdonly) {
		ext2_sb_sync_counters(fs);
		pthread_mutex_lock(&fs->sb_lock);
		if (!fs->unclean)
			fs->es->s_state |= le16_put(EXT2_VALID_FS);
		ext2_journal_stop(fs);
		ext2_persist(fs, fs->es, 0x40);
		ext2_persist(fs, &fs->es->s_feature_incompat, 4);
		pthread_mutex_unlock(&fs->sb_lock);
	}
	ext2_iput(fs->root);
	fs->root = NULL;
	fs_destroy(fs);
	return 0;
}

/* The statfs operation, from the free counters kept in DRAM. */
static int ext2_statfs(struct daxfs *vfs, struct statvfs *st)
{
	struct ext2_sb_info *fs = EXT2_SB(vfs);
	int64_t fb, r;

	memset(st, 0, sizeof(*st));
	fb = atomic_load(&fs->free_blocks);
	r = le32_get(fs->es->s_r_blocks_count);
	st->f_bsize = fs->blocksize;
	st->f_frsize = fs->blocksize;
	st->f_blocks = fs->blocks_count - fs->first_data_block;
	st->f_bfree = fb;
	st->f_bavail = fb > r ? fb - r : 0;
	st->f_files = fs->inodes_count;
	st->f_ffree = atomic_load(&fs->free_inodes);
	st->f_favail = st->f_ffree;
	memcpy(&st->f_fsid, fs->es->s_uuid, sizeof(st->f_fsid));
	st->f_flag = fs->vfs.rdonly ? ST_RDONLY : 0;
	st->f_namemax = EXT2_NAME_LEN;
	return 0;
}

/* daxfs_info's granularity for libpmem2's. */
static uint32_t info_granularity(enum pmem2_granularity g)
{
	switch (g) {
	case PMEM2_GRANULARITY_BYTE:
		return DAXFS_GRANULARITY_BYTE;
	case PMEM2_GRANULARITY_CACHE_LINE:
		return DAXFS_GRANULARITY_CACHE_LINE;
	default:
		return DAXFS_GRANULARITY_PAGE;
	}
}

/* The superblock's part of daxfs_info: geometry, features, name.  The
 * journal's in-use bit is not a feature to show: the flags tell it. */
static void info_super(struct ext2_sb_info *fs, struct daxfs_info *info)
{
	const struct ext2_super_block *es = fs->es;

	info->block_size = fs->blocksize;
	info->blocks = fs->blocks_count;
	info->groups = fs->groups_count;
	info->blocks_per_group = fs->blocks_per_group;
	info->inodes_per_group = fs->inodes_per_group;
	info->feature_compat = le32_get(es->s_feature_compat);
	info->feature_incompat = le32_get(es->s_feature_incompat) &
				 ~EXT2_FEATURE_INCOMPAT_DAXFS_LOG;
	info->feature_ro_compat = le32_get(es->s_feature_ro_compat);
	memcpy(info->uuid, es->s_uuid, sizeof(info->uuid));
	memcpy(info->label, es->s_volume_name, sizeof(info->label));
}

/* The state flags of daxfs_info: what mount found, what it did, what a
 * read-write mount would do. */
static uint32_t info_flags(struct ext2_sb_info *fs)
{
	const struct ext2_super_block *es = fs->es;
	uint16_t state = le16_get(es->s_state);
	uint32_t flags = 0;

	if (fs->vfs.rdonly)
		flags |= DAXFS_INFO_RDONLY;
	if (fs->unclean || (state & EXT2_ERROR_FS))
		flags |= DAXFS_INFO_NOT_CLEAN;
	if (fs->journal)
		flags |= DAXFS_INFO_JOURNAL;
	if (fs->bad_meta)
		flags |= DAXFS_INFO_BAD_METADATA;
	if (fs->journal_replayed)
		flags |= DAXFS_INFO_RECOVERED;
	if (fs->vfs.rdonly && (le32_get(es->s_feature_incompat) &
			       EXT2_FEATURE_INCOMPAT_DAXFS_LOG))
		flags |= DAXFS_INFO_NEEDS_RECOVERY;
	if (es->s_last_orphan)
		flags |= DAXFS_INFO_ORPHANS;
	return flags;
}

/* The info operation: geometry, state and the bad blocks known. */
static int ext2_info(struct daxfs *vfs, struct daxfs_info *info)
{
	struct ext2_sb_info *fs = EXT2_SB(vfs);

	memset(info, 0, sizeof(*info));
	info_super(fs, info);
	info->align = fs->rgn->align;
	info->granularity = info_granularity(fs->rgn->granularity);
	ext2_badblocks_count(fs, &info->bad_blocks, &info->bad_bytes);
	info->flags = info_flags(fs);
	return 0;
}

const struct vfs_ops ext2_vfs_ops = {
	.name = "ext2",
	.mkfs = ext2_mkfs,
	.mount = ext2_mount,
	.unmount = ext2_unmount,
	.statfs = ext2_statfs,
	.info = ext2_info,
	.set_cache_limit = ext2_set_cache_limit,
	.reclaim = ext2_prealloc_reclaim,
	.cache_stats = ext2_cache_stats,
	.mkdir = ext2_mkdir,
	.rmdir = ext2_rmdir,
	.unlink = ext2_unlink,
	.rename = ext2_rename,
	.link = ext2_link,
	.symlink = ext2_symlink,
	.readlink = ext2_readlink,
	.stat = ext2_stat,
	.readdir = ext2_readdir,
	.open = ext2_open,
	.release = ext2_release,
	.read = ext2_file_read,
	.write = ext2_file_write,
	.truncate = ext2_file_truncate,
	.fallocate = ext2_fallocate,
	.fsync = ext2_fsync,
	.getattr = ext2_getattr,
	.setattr = ext2_setattr,
	.mknod = ext2_mknod,
	.getxattr = ext2_getxattr,
	.setxattr = ext2_setxattr,
	.listxattr = ext2_listxattr,
	.map = ext2_map,
};
