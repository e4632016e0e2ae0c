/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ext2.h -- private header of the ext2 layout: the mounted file system,
 * the in-DRAM inode, and the prototypes of each file under its heading.
 *
 * Locking (the order in which locks nest; take them top to bottom only)
 *
 *   daxfs.rename_lock          serialises renames: while held, no
 *                              directory changes its parent
 *     dir  daxfs_inode.i_rwsem  directories: ancestor before descendant;
 *                              two unrelated ones by inode number
 *       file daxfs_inode.i_rwsem  the I/O lock of a non-directory; two of
 *                              them by inode number
 *         daxfs_inode.dax_sem   shared by faults, exclusive by truncate
 *           daxfs_inode.bmap_lock  block map and i_blocks
 *             daxfs_extent_cache.lock  writers of the extent cache (leaf;
 *                              readers take nothing, extent_cache.c)
 *             daxfs_group.lock  one group's bitmaps and descriptor; never
 *                              two at once
 *               icache bucket locks (leaf)
 *
 * i_rwsem of a directory protects its entries, its in-DRAM index and its
 * link count; of a regular file, its size and data against concurrent
 * writes and truncate (reads take it shared).  The final daxfs_iput() of an
 * unlinked inode frees it, and is therefore called with none of that
 * inode's locks held.
 */
#ifndef DAXFS_EXT2_H
#define DAXFS_EXT2_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/err.h"
#include "core/lock.h"
#include "core/region.h"
#include "dax/entry.h"
#include "dax/iomap.h"
#include "dax/view.h"
#include "ext2/ext2_fs.h"

/* Per block group state in DRAM. */
struct daxfs_group {
	pthread_mutex_t lock;   /* bitmaps and descriptor of this group */
	uint32_t block_hint;    /* where the next block search starts */
	uint32_t inode_hint;    /* where the next inode search starts */
} __attribute__((aligned(64)));

/* The inode cache: a hash table sized by the inode count, its chains
 * guarded by a fixed set of striped locks. */
#define DAXFS_ICACHE_LOCKS 1024

/* A mounted file system (the kernel's ext2_sb_info). */
struct daxfs {
	struct daxfs_region *rgn;
	unsigned char *base;          /* == rgn->base */
	bool rdonly;
	struct ext2_super_block *es;  /* on media */
	struct ext2_group_desc *gdt;  /* on media, primary copy */

	/* Geometry, read once at mount. */
	uint32_t blocksize;
	uint32_t blocksize_bits;
	uint32_t addr_per_block;      /* block numbers in an indirect block */
	uint32_t addr_per_block_bits;
	uint32_t blocks_count;
	uint32_t first_data_block;
	uint32_t blocks_per_group;
	uint32_t inodes_per_group;
	uint32_t inodes_count;
	uint32_t groups_count;
	uint32_t inode_size;
	uint32_t first_ino;
	uint32_t itb_per_group;       /* inode table blocks per group */
	bool has_filetype;
	uid_t uid;                    /* owner of new inodes */
	gid_t gid;

	struct daxfs_group *groups;
	atomic_int_fast64_t free_blocks; /* sums of the group counters */
	atomic_int_fast64_t free_inodes;
	atomic_int open_files;        /* daxfs_file handles and views alive */

	pthread_mutex_t rename_lock;  /* see the lock order above */
	pthread_mutex_t sb_lock;      /* superblock fields written after mount */
	struct daxfs_inode **icache;  /* hash chains, icache_mask + 1 */
	uint32_t icache_mask;
	pthread_mutex_t *icache_locks; /* DAXFS_ICACHE_LOCKS stripes: chains
					  and refcounts of their inodes */
	struct daxfs_inode *root;
};

struct daxfs_dir_index;
struct daxfs_extent_cache;

/* An inode in DRAM (ext2_inode_info); the on-media inode is raw. */
struct daxfs_inode {
	struct daxfs *fs;
	uint32_t ino;
	struct ext2_inode *raw;       /* on media: every field is read here */
	struct daxfs_inode *hash_next; /* icache chain, under the bucket lock */
	int refcount;                 /* under the bucket lock */

	struct daxfs_rwsem i_rwsem;   /* see the lock order above */
	struct daxfs_rwsem dax_sem;   /* faults (shared) vs truncate (excl.) */
	struct daxfs_rwsem bmap_lock; /* block map, i_blocks; lookups shared,
					 allocation and freeing exclusive */
	/* Mapped runs of the block map, read without locks (extent_cache.c);
	 * made on first use. */
	struct daxfs_extent_cache *_Atomic extents;
	uint32_t alloc_goal;          /* block after the last allocated one,
					 under bmap_lock (write) */
	uint32_t alloc_next_lblk;     /* logical block alloc_goal belongs to */
	/* A write past EOF between iomap_begin and iomap_end: blocks taken
	 * but not yet linked (bmap.c), under i_rwsem held exclusively. */
	uint32_t pend_lblk, pend_data, pend_n;
	le32 *pend_leaf;

	/* Regular files: what views have installed (fs/dax.c's xarray). */
	struct daxfs_mapping i_mapping;

	/* Directories: the in-DRAM index, built on first use. */
	struct daxfs_dir_index *_Atomic dir;
	pthread_mutex_t dir_build_lock; /* building dir, once */
};

/* An open file. */
struct daxfs_file {
	struct daxfs *fs;
	struct daxfs_inode *inode;
	int flags;                    /* open flags */
	bool readable;
	bool writable;
};

/* Block and byte helpers. */
static inline void *daxfs_block(struct daxfs *fs, uint32_t blk)
{
	return fs->base + ((uint64_t)blk << fs->blocksize_bits);
}

static inline bool daxfs_block_valid(struct daxfs *fs, uint32_t blk)
{
	return blk >= fs->first_data_block && blk < fs->blocks_count;
}

static inline void daxfs_fs_persist(struct daxfs *fs, const void *p, size_t len)
{
	daxfs_persist_range(fs->rgn, p, len);
}

/*
 * Fields of the on-media inode that are read without the lock that
 * writes them (stat, faults, the last iput read sizes, times, link and
 * block counts) are loaded and stored with relaxed atomics: plain moves
 * on x86, but defined behaviour, and visible to ThreadSanitizer.
 */
static inline uint32_t raw_load32(const le32 *p)
{
	return le32_get(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline void raw_store32(le32 *p, uint32_t v)
{
	__atomic_store_n(p, le32_put(v), __ATOMIC_RELAXED);
}

static inline uint16_t raw_load16(const le16 *p)
{
	return le16_get(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static inline void raw_store16(le16 *p, uint16_t v)
{
	__atomic_store_n(p, le16_put(v), __ATOMIC_RELAXED);
}

static inline uint64_t daxfs_i_size(const struct daxfs_inode *inode)
{
	const struct ext2_inode *r = inode->raw;
	uint64_t size = raw_load32(&r->i_size);

	if (S_ISREG(le16_get(r->i_mode)))
		size |= (uint64_t)raw_load32(&r->i_size_high) << 32;
	return size;
}

static inline uint16_t daxfs_i_links(const struct daxfs_inode *inode)
{
	return raw_load16(&inode->raw->i_links_count);
}

static inline uint16_t daxfs_i_mode(const struct daxfs_inode *inode)
{
	return le16_get(inode->raw->i_mode);
}

static inline uint32_t daxfs_group_first_block(struct daxfs *fs, uint32_t g)
{
	return fs->first_data_block + g * fs->blocks_per_group;
}

/* Blocks in group g (the last group may be short). */
static inline uint32_t daxfs_group_nblocks(struct daxfs *fs, uint32_t g)
{
	if (g == fs->groups_count - 1)
		return fs->blocks_count - daxfs_group_first_block(fs, g);
	return fs->blocks_per_group;
}

/* Seconds since the epoch, as ext2 stores them (vDSO: no system call). */
uint32_t daxfs_now(void);

/* Mark the file system as having errors and return -EUCLEAN with msg. */
int daxfs_corrupt(struct daxfs *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* super.c */
int daxfs_sb_sync_counters(struct daxfs *fs);
void daxfs_sb_need_large_file(struct daxfs *fs);
bool daxfs_group_has_super(struct daxfs *fs, uint32_t g);
uint32_t daxfs_group_overhead(struct daxfs *fs, uint32_t g,
			      uint32_t gdt_blocks, uint32_t rsv_gdt);

/* balloc.c */
int daxfs_new_blocks(struct daxfs *fs, uint32_t goal, uint32_t max,
		     uint32_t *start, uint32_t *count);
int daxfs_new_blocks_aligned(struct daxfs *fs, uint32_t goal, uint32_t max,
			     uint32_t align, uint32_t *start, uint32_t *count);
void daxfs_free_blocks(struct daxfs *fs, uint32_t start, uint32_t count);
int daxfs_count_free_blocks(struct daxfs *fs, uint32_t g, uint32_t *nfree);

/* ialloc.c */
int daxfs_new_inode(struct daxfs *fs, struct daxfs_inode *dir, mode_t mode,
		    struct daxfs_inode **out);
void daxfs_free_inode(struct daxfs *fs, uint32_t ino, bool is_dir);

/* inode.c */
int daxfs_icache_init(struct daxfs *fs);
void daxfs_icache_destroy(struct daxfs *fs);
struct ext2_inode *daxfs_raw_inode(struct daxfs *fs, uint32_t ino);
int daxfs_iget(struct daxfs *fs, uint32_t ino, struct daxfs_inode **out);
int daxfs_iget_new(struct daxfs *fs, uint32_t ino, struct daxfs_inode **out);
void daxfs_ihold(struct daxfs_inode *inode);
void daxfs_iput(struct daxfs_inode *inode);
void daxfs_inode_touch(struct daxfs_inode *inode, bool mtime, bool ctime);
void daxfs_inode_set_size(struct daxfs_inode *inode, uint64_t size);
void daxfs_inode_set_links(struct daxfs_inode *inode, uint16_t n);
bool daxfs_inode_is_fast_symlink(struct daxfs_inode *inode);
void daxfs_inode_stat(struct daxfs_inode *inode, struct stat *st);
unsigned daxfs_mode_to_ftype(mode_t mode);

/* bmap.c */
extern const struct daxfs_iomap_ops daxfs_ext2_iomap_ops;
/* Prefetch the data at pos if the extent cache knows where it is. */
void daxfs_bmap_prefetch(struct daxfs_inode *inode, uint64_t pos);
int daxfs_bmap(struct daxfs_inode *inode, uint32_t lblk, uint32_t max,
	       bool create, uint32_t *pblk, uint32_t *count, bool *is_new);
int daxfs_truncate_blocks(struct daxfs_inode *inode, uint64_t size);
int daxfs_setsize(struct daxfs_inode *inode, uint64_t size);
uint64_t daxfs_max_file_size(struct daxfs *fs);

/* extent_cache.c */
/* The mapped run at lblk from the cache, clamped to max blocks; false on
 * a miss (or a concurrent change): the caller walks the block map. */
bool daxfs_extent_cache_lookup(struct daxfs_inode *inode, uint32_t lblk,
			       uint32_t max, uint32_t *pblk, uint32_t *count);
/* Remember that [lblk, lblk+len) maps to [pblk, pblk+len).  Called with
 * bmap_lock held (shared or exclusive), right after reading the map. */
void daxfs_extent_cache_insert(struct daxfs_inode *inode, uint32_t lblk,
			       uint32_t pblk, uint32_t len);
/* Forget every run: blocks are about to be freed.  bmap_lock held
 * exclusively. */
void daxfs_extent_cache_clear(struct daxfs_inode *inode);
void daxfs_extent_cache_free(struct daxfs_inode *inode);

/* dir.c */
struct daxfs_dirent_info {
	uint32_t ino;
	unsigned ftype;     /* EXT2_FT_* */
};
int daxfs_dir_lookup(struct daxfs_inode *dir, const char *name, size_t len,
		     struct daxfs_dirent_info *out);
int daxfs_dir_add(struct daxfs_inode *dir, const char *name, size_t len,
		  uint32_t ino, unsigned ftype);
int daxfs_dir_remove(struct daxfs_inode *dir, const char *name, size_t len);
int daxfs_dir_retarget(struct daxfs_inode *dir, const char *name, size_t len,
		       uint32_t ino, unsigned ftype);
int daxfs_dir_is_empty(struct daxfs_inode *dir);
int daxfs_dir_init_block(struct daxfs_inode *dir, uint32_t parent_ino);
int daxfs_dir_iterate(struct daxfs_inode *dir,
		      int (*fn)(void *arg, const char *name, uint64_t ino,
				unsigned type),
		      void *arg);
void daxfs_dir_index_free(struct daxfs_inode *dir);

/* mmap.c */
int daxfs_ext2_dax_fault(struct daxfs_view *v, uint64_t pgoff, bool write);
void daxfs_ext2_size_grew(struct daxfs_inode *inode, uint64_t old,
			  uint64_t size);

/* namei.c */
int daxfs_path_walk(struct daxfs *fs, const char *path,
		    struct daxfs_inode **out);
int daxfs_path_parent(struct daxfs *fs, const char *path,
		      struct daxfs_inode **dir, const char **name,
		      size_t *len, bool *trailing_slash);
int daxfs_create_locked(struct daxfs_inode *dir, const char *name,
			size_t len, mode_t mode, struct daxfs_inode **out);

#endif
