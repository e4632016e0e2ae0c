/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mkfs.c -- daxfs_mkfs: write a fresh ext2 revision 1 file system (as
 * "mke2fs -t ext2 -O ^resize_inode,^dir_index,^ext_attr" would) over a
 * region: sparse superblock backups, one block bitmap, inode bitmap and
 * inode table per group, a root directory and lost+found.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daxfs.h"
#include "core/mem.h"
#include "ext2/bitmap.h"
#include "ext2/ext2.h"
#include "ext2/htree.h"

#define MKFS_INODE_SIZE 256
#define MKFS_INODE_RATIO 16384 /* bytes per inode */
#define MKFS_LPF_INO 11
#define MKFS_MIN_BLOCKS 64

/* Per-group placement of the metadata. */
struct mkfs_group {
	uint32_t first, nblocks;
	uint32_t bbitmap, ibitmap, itable;
	uint32_t used;        /* metadata blocks at the start of the group */
};

/* What mkfs_prepare changed, to undo it when mkfs fails. */
struct mkfs_undo {
	bool created;       /* the file did not exist */
	bool grown;         /* the file was grown from old_size */
	off_t old_size;
};

/* Put a file back as it was before mkfs_prepare. */
static void mkfs_undo(const char *path, const struct mkfs_undo *u)
{
	if (u->created)
		unlink(path);
	else if (u->grown && truncate(path, u->old_size) < 0)
		(void)0; /* nothing more can be done */
}

/* Create or grow a regular file to size bytes; a device is left alone. */
static int mkfs_prepare(const char *path, uint64_t size, struct mkfs_undo *u)
{
	struct stat st;
	int fd, ret = 0;

	memset(u, 0, sizeof(*u));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		u->created = fd >= 0;
	}
	if (fd < 0)
		return err_set(-errno, "cannot open %s: %s", path,
				 strerror(errno));
	if (fstat(fd, &st) < 0) {
		ret = err_set(-errno, "cannot stat %s", path);
	} else if (S_ISREG(st.st_mode)) {
		if (!size && !st.st_size)
			ret = err_set(-EINVAL, "%s is empty: give a size",
					path);
		else if (size > (uint64_t)st.st_size) {
			u->old_size = st.st_size;
			u->grown = true;
			if (ftruncate(fd, size) < 0)
				ret = err_set(-errno, "cannot grow %s to "
						"%llu bytes: %s", path,
						(unsigned long long)size,
						strerror(errno));
		}
	} else if (!S_ISCHR(st.st_mode)) {
		ret = err_set(-EINVAL, "%s is neither a regular file "
				"nor a devdax device", path);
	}
	close(fd);
	if (ret)
		mkfs_undo(path, u);
	return ret;
}

/* Lay the groups out; -EINVAL if the region is too small. */
static int mkfs_layout(struct ext2_sb_info *fs, struct mkfs_group *gr)
{
	uint32_t g;

	for (g = 0; g < fs->groups_count; g++) {
		struct mkfs_group *m = &gr[g];
		uint32_t b;

		m->first = ext2_group_first_block(fs, g);
		m->nblocks = ext2_group_nblocks(fs, g);
		b = m->first + ext2_group_overhead(fs, g, 0);
		m->bbitmap = b++;
		m->ibitmap = b++;
		m->itable = b;
		m->used = b + fs->itb_per_group - m->first;
		if (m->used + (g == 0 ? 2 : 0) > m->nblocks)
			return err_set(-EINVAL, "the region is too small "
					 "for its metadata");
	}
	return 0;
}

/* The options that need no region, checked before anything is created
 * or written. */
static int mkfs_check_opts(const struct daxfs_mkfs_opts *o)
{
	struct ext2_super_block *es = NULL;
	uint32_t bs;

	if (!o)
		return 0;
	bs = o->block_size ? o->block_size : 4096;
	if (bs != 1024 && bs != 2048 && bs != 4096)
		return err_set(-EINVAL, "block size %u is not 1024, 2048 or "
			       "4096", bs);
	if (o->label && strlen(o->label) > sizeof(es->s_volume_name))
		return err_set(-EINVAL, "label \"%.40s\" is longer than %zu "
			       "bytes", o->label, sizeof(es->s_volume_name));
	if (o->size && o->size / bs < MKFS_MIN_BLOCKS)
		return err_set(-EINVAL, "%llu bytes is too small for a file "
			       "system", (unsigned long long)o->size);
	return 0;
}

/* Choose the geometry from the options; fills fs's geometry fields. */
static int mkfs_geometry(struct ext2_sb_info *fs, const struct daxfs_mkfs_opts *o,
			 uint64_t size)
{
	uint32_t bs = o && o->block_size ? o->block_size : 4096;
	uint64_t blocks, inodes, last;
	uint32_t ipb, ipg, overhead;

	fs->blocksize = bs;
	fs->blocksize_bits = __builtin_ctz(bs);
	blocks = size / bs;
	if (blocks > UINT32_MAX)
		blocks = UINT32_MAX;
	if (blocks < MKFS_MIN_BLOCKS)
		return err_set(-EINVAL, "%llu bytes is too small for a "
				 "file system", (unsigned long long)size);
	fs->first_data_block = bs == 1024 ? 1 : 0;
	fs->blocks_per_group = 8 * bs;
	fs->groups_count = (blocks - fs->first_data_block +
			    fs->blocks_per_group - 1) / fs->blocks_per_group;
	inodes = o && o->inodes ? o->inodes : size / MKFS_INODE_RATIO;
	if (inodes < 32)
		inodes = 32;
	if (inodes > (uint64_t)fs->groups_count * 8 * bs ||
	    inodes * MKFS_INODE_SIZE > size / 2)
		return err_set(-EINVAL, "%llu inodes do not fit in %llu "
				 "bytes", (unsigned long long)inodes,
				 (unsigned long long)size);
	ipb = bs / MKFS_INODE_SIZE;
	for (;;) {
		ipg = (inodes + fs->groups_count - 1) / fs->groups_count;
		ipg = (ipg + 7) & ~7u;
		ipg = (ipg + ipb - 1) / ipb * ipb;
		if (ipg > 8 * bs)
			ipg = 8 * bs;
		fs->inodes_per_group = ipg;
		fs->itb_per_group = ipg / ipb;
		overhead = 1 + ext2_gdt_blocks(fs) + 2 + fs->itb_per_group;
		last = blocks - fs->first_data_block -
		       (uint64_t)(fs->groups_count - 1) * fs->blocks_per_group;
		/* A last group too small for its metadata is dropped. */
		if (fs->groups_count > 1 && last < overhead + 50) {
			blocks -= last;
			fs->groups_count--;
			continue;
		}
		break;
	}
	fs->blocks_count = blocks;
	fs->inodes_count = ipg * fs->groups_count;
	fs->inode_size = MKFS_INODE_SIZE;
	fs->first_ino = EXT2_GOOD_OLD_FIRST_INO;
	fs->has_filetype = true; /* mkfs_super sets the filetype feature */
	if (fs->inodes_count < MKFS_LPF_INO + 1)
		return err_set(-EINVAL, "too few inodes");
	return 0;
}

static void mkfs_super(struct ext2_sb_info *fs, const struct daxfs_mkfs_opts *o,
		       uint32_t free_blocks)
{
	struct ext2_super_block *es = fs->es;
	uint32_t now = ext2_now();

	memset(es, 0, sizeof(*es));
	es->s_inodes_count = le32_put(fs->inodes_count);
	es->s_blocks_count = le32_put(fs->blocks_count);
	es->s_free_blocks_count = le32_put(free_blocks);
	es->s_free_inodes_count = le32_put(fs->inodes_count - MKFS_LPF_INO);
	es->s_first_data_block = le32_put(fs->first_data_block);
	es->s_log_block_size = le32_put(fs->blocksize_bits - 10);
	es->s_log_frag_size = es->s_log_block_size;
	es->s_blocks_per_group = le32_put(fs->blocks_per_group);
	es->s_frags_per_group = le32_put(fs->blocks_per_group);
	es->s_inodes_per_group = le32_put(fs->inodes_per_group);
	es->s_wtime = le32_put(now);
	es->s_max_mnt_count = le16_put(0xffff);
	es->s_magic = le16_put(EXT2_SUPER_MAGIC);
	es->s_state = le16_put(EXT2_VALID_FS);
	es->s_errors = le16_put(EXT2_ERRORS_CONTINUE);
	es->s_lastcheck = le32_put(now);
	es->s_rev_level = le32_put(EXT2_DYNAMIC_REV);
	es->s_first_ino = le32_put(EXT2_GOOD_OLD_FIRST_INO);
	es->s_inode_size = le16_put(MKFS_INODE_SIZE);
	es->s_feature_incompat = le32_put(EXT2_FEATURE_INCOMPAT_FILETYPE);
	es->s_feature_ro_compat = le32_put(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER |
					   EXT2_FEATURE_RO_COMPAT_LARGE_FILE);
	if (getrandom(es->s_uuid, sizeof(es->s_uuid), 0) != sizeof(es->s_uuid))
		memcpy(es->s_uuid, &now, sizeof(now));
	es->s_uuid[6] = (es->s_uuid[6] & 0x0f) | 0x40; /* version 4 */
	es->s_uuid[8] = (es->s_uuid[8] & 0x3f) | 0x80;
	if (o && o->label) /* at most 16 bytes, checked; not NUL-terminated */
		memcpy(es->s_volume_name, o->label, strlen(o->label));
	if (getrandom(es->s_hash_seed, sizeof(es->s_hash_seed), 0) < 0)
		memcpy(es->s_hash_seed, es->s_uuid, sizeof(es->s_hash_seed));
	es->s_def_hash_version = 1; /* half MD4, as mke2fs */
	/* dir_index, as mke2fs: directories past one block get a hash index
	 * kept on the media (htree.c), with a small DRAM cache of their
	 * leaves (htree_cache.c); s_flags (0x160) says the hash reads names
	 * as signed chars, which libdaxfs uses on every platform. */
	es->s_feature_compat = le32_put(EXT2_FEATURE_COMPAT_DIR_INDEX);
	es->s_rest[0x10] = EXT2_FLAGS_SIGNED_HASH;
	es->s_mkfs_time = le32_put(now);
}

/* Initialise a directory inode with one block and given links. */
static void mkfs_dir_inode(struct ext2_sb_info *fs, uint32_t ino, uint16_t mode,
			   uint16_t links, uint32_t blk)
{
	struct ext2_inode *raw = ext2_raw_inode(fs, ino);
	uint32_t now = ext2_now();

	memset(raw, 0, fs->inode_size);
	raw->i_mode = le16_put(S_IFDIR | mode);
	raw->i_uid = le16_put(getuid() & 0xffff);
	raw->i_gid = le16_put(getgid() & 0xffff);
	raw->i_size = le32_put(fs->blocksize);
	raw->i_atime = raw->i_ctime = raw->i_mtime = le32_put(now);
	raw->i_links_count = le16_put(links);
	raw->i_blocks = le32_put(fs->blocksize >> 9);
	raw->i_block[0] = le32_put(blk);
}

/* The blocks of the root and lost+found, lost+found named in the root. */
static void mkfs_dir_blocks(struct ext2_sb_info *fs, uint32_t root_blk,
			    uint32_t lpf_blk)
{
	unsigned char *root = ext2_block(fs, root_blk);

	fs->rgn->memset(root, 0, fs->blocksize, PMEM2_F_MEM_NODRAIN);
	fs->rgn->memset(ext2_block(fs, lpf_blk), 0, fs->blocksize,
			PMEM2_F_MEM_NODRAIN);
	ext2_dir_block_format(fs, root, EXT2_ROOT_INO, EXT2_ROOT_INO);
	ext2_dir_block_insert(fs, root, EXT2_DIR_REC_LEN(1), "lost+found",
			      strlen("lost+found"), MKFS_LPF_INO, EXT2_FT_DIR);
	ext2_dir_block_format(fs, ext2_block(fs, lpf_blk), MKFS_LPF_INO,
			      EXT2_ROOT_INO);
}

/* Write all the metadata of a laid-out file system into gdt (a zeroed
 * DRAM copy of the group descriptors, ext2_gdt_blocks() long) and the
 * region. */
static void mkfs_write(struct ext2_sb_info *fs, const struct daxfs_mkfs_opts *o,
		       struct mkfs_group *gr, struct ext2_group_desc *gdt)
{
	uint32_t gdt_blocks = ext2_gdt_blocks(fs);
	struct region *rgn = fs->rgn;
	uint32_t bs = fs->blocksize, g, free_total = 0;
	uint32_t root_blk = gr[0].first + gr[0].used, lpf_blk = root_blk + 1;
	struct ext2_group g0 = { .inode_table = gr[0].itable };

	/* Zero the boot block area and every group's metadata. */
	rgn->memset(fs->base, 0, 1024, PMEM2_F_MEM_NODRAIN);
	for (g = 0; g < fs->groups_count; g++) {
		struct mkfs_group *m = &gr[g];
		uint32_t used = m->used + (g == 0 ? 2 : 0);
		uint8_t *bb = ext2_block(fs, m->bbitmap);
		uint8_t *ib = ext2_block(fs, m->ibitmap);

		rgn->memset(ext2_block(fs, m->bbitmap), 0,
			    (size_t)(2 + fs->itb_per_group) * bs,
			    PMEM2_F_MEM_NODRAIN | PMEM2_F_MEM_NONTEMPORAL);
		ext2_bitmap_set_range(bb, 0, used);
		ext2_bitmap_set_range(bb, m->nblocks, 8 * bs);   /* padding */
		ext2_bitmap_set_range(ib, fs->inodes_per_group, 8 * bs);
		if (g == 0)
			ext2_bitmap_set_range(ib, 0, MKFS_LPF_INO);
		gdt[g].bg_block_bitmap = le32_put(m->bbitmap);
		gdt[g].bg_inode_bitmap = le32_put(m->ibitmap);
		gdt[g].bg_inode_table = le32_put(m->itable);
		gdt[g].bg_free_blocks_count = le16_put(m->nblocks - used);
		gdt[g].bg_free_inodes_count = le16_put(fs->inodes_per_group -
						      (g == 0 ? MKFS_LPF_INO : 0));
		gdt[g].bg_used_dirs_count = le16_put(g == 0 ? 2 : 0);
		free_total += m->nblocks - used;
		region_flush(rgn, bb, bs);
		region_flush(rgn, ib, bs);
	}
	fs->gdt = gdt;
	fs->groups = &g0; /* ext2_raw_inode reads the table location here */
	mkfs_dir_inode(fs, EXT2_ROOT_INO, 0755, 3, root_blk);
	mkfs_dir_inode(fs, MKFS_LPF_INO, 0700, 2, lpf_blk);
	region_flush(rgn, ext2_raw_inode(fs, EXT2_ROOT_INO), 128);
	region_flush(rgn, ext2_raw_inode(fs, MKFS_LPF_INO), 128);
	fs->groups = NULL;
	mkfs_dir_blocks(fs, root_blk, lpf_blk);

	/* Superblock and descriptors, in every group that has copies; the
	 * primary superblock goes last. */
	mkfs_super(fs, o, free_total);
	for (g = 0; g < fs->groups_count; g++) {
		unsigned char *b = ext2_block(fs, gr[g].first);
		struct ext2_super_block *copy;

		if (!ext2_group_has_super(fs, g))
			continue;
		rgn->memcpy(ext2_block(fs, gr[g].first + 1), gdt,
			    (size_t)gdt_blocks * bs, PMEM2_F_MEM_NODRAIN);
		if (g == 0)
			continue;
		copy = (void *)b;
		rgn->memcpy(copy, fs->es, sizeof(*copy), PMEM2_F_MEM_NODRAIN);
		copy->s_block_group_nr = le16_put(g);
		region_flush(rgn, copy, sizeof(*copy));
	}
	rgn->drain();
	ext2_persist(fs, fs->es, sizeof(*fs->es));
}

/* The mkfs operation: a fresh, empty ext2 over the region at path. */
/* Make the undo journal now (inode 5, journal.c) by one read-write
 * mount and unmount, so that the image's first mount has nothing to
 * make, as mke2fs makes ext3's journal. */
static int mkfs_make_journal(const char *path)
{
	struct daxfs *vfs;
	int ret = ext2_vfs_ops.mount(path, 0, &vfs);

	if (!ret)
		ret = ext2_vfs_ops.unmount(vfs);
	return ret;
}

int ext2_mkfs(const char *path, const struct daxfs_mkfs_opts *opts)
{
	struct ext2_sb_info fs = { 0 };
	struct ext2_super_block plan = { 0 };
	struct mkfs_group *gr = NULL;
	struct ext2_group_desc *gdt = NULL;
	struct mkfs_undo undo;
	char devpath[64];
	uint64_t size;
	int ret;

	path = region_resolve_path(path, devpath, sizeof(devpath));
	ret = mkfs_check_opts(opts);
	if (ret)
		return ret;
	ret = mkfs_prepare(path, opts ? opts->size : 0, &undo);
	if (ret)
		return ret;
	ret = region_open(path, false, &fs.rgn);
	if (ret) {
		mkfs_undo(path, &undo);
		return ret;
	}
	fs.base = fs.rgn->base;
	size = opts && opts->size ? opts->size : fs.rgn->size;
	if (size > fs.rgn->size) {
		ret = err_set(-EINVAL, "%llu bytes asked but the region "
				"has %zu", (unsigned long long)size, fs.rgn->size);
		goto out;
	}
	/* Plan on a DRAM superblock (the sparse_super rule reads its
	 * features): nothing is written before the plan is known to fit. */
	plan.s_feature_ro_compat = le32_put(EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER);
	fs.es = &plan;
	ret = mkfs_geometry(&fs, opts, size);
	if (ret)
		goto out;
	gr = mem_zalloc(sizeof(*gr) * fs.groups_count);
	gdt = mem_zalloc((size_t)ext2_gdt_blocks(&fs) * fs.blocksize);
	if (!gr || !gdt) {
		ret = err_set(-ENOMEM, "mkfs %s: out of memory for %u groups",
				path, fs.groups_count);
		goto out;
	}
	ret = mkfs_layout(&fs, gr);
	if (ret)
		goto out;
	fs.es = (void *)(fs.base + EXT2_SUPERBLOCK_OFFSET);
	mkfs_write(&fs, opts, gr, gdt);
out:
	mem_free(gdt);
	mem_free(gr);
	region_close(&fs.rgn);
	if (ret)
		mkfs_undo(path, &undo);
	else
		ret = mkfs_make_journal(path);
	return ret;
}
