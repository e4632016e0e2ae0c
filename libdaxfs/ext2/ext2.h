/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ext2.h -- private header of the ext2 layout: the mounted file system,
 * the in-DRAM inode, and the prototypes of each file under its heading.
 *
 * Lock order: the one block for all of libdaxfs (the DAX engine's locks
 * included); other files point here and add only their local facts.
 * Take locks top to bottom only; a lock may be skipped, never taken
 * above one already held.
 *
 * ext2_sb_info.rename_lock     mutex; ext2_rename only.  While held no
 *                              directory changes its parent, so ".." can be
 *                              walked up (is_ancestor) and the two parents
 *                              ordered.
 *   directory i_rwsem          ancestor before descendant (rmdir: the parent,
 *                              then the victim); two unrelated ones by inode
 *                              number (lock_two).  Shared for lookups and
 *                              readdir, exclusive for changes.
 *     dir_build_lock           builds a directory's in-DRAM index once, under
 *                              its i_rwsem (shared is enough); reads the
 *                              directory's blocks (bmap_lock).
 *     non-directory i_rwsem    after its parent directory's (link, unlink,
 *                              rename); two of them by inode number.  The
 *                              I/O lock: pwrite, truncate, fallocate and
 *                              the final iput exclusive, pread and
 *                              readlink shared.
 *       view registry          process-wide rwlock of dax/view.c.  Read
 *                              for a whole fault (SIGSEGV handler) and by
 *                              ext2_size_grew; write by daxfs_map (under
 *                              the file's i_rwsem, shared) and daxfs_unmap
 *                              (holding nothing else).  It is
 *                              taken under i_rwsem when the copy of a
 *                              pread/pwrite (or a readlink) faults on a
 *                              user buffer that is a view, of any file.
 *         dax_sem              faults shared; truncate (ext2_setsize, the
 *                              final iput) and fallocate (falloc.c: a
 *                              punched hole) exclusive, so no fault maps
 *                              a block being freed.  ext2_size_grew comes
 *                              after it is dropped (the registry is above).
 *           bmap_lock          the block map and i_blocks: lookups shared,
 *                              allocation and truncate exclusive.  In I/O
 *                              and faults only inside iomap_begin and
 *                              iomap_end, released before they return.
 *             extent cache lock   writers of the extent cache (readers take
 *                              nothing, extent_cache.c)
 *             group lock       one group's bitmaps and descriptor; never
 *                              two at once (but by a commit clearing the
 *                              bits an operation freed: ascending, journal.c),
 *                              never with an icache lock held (ialloc and
 *                              iput take them one after the other)
 *               orphan_lock    the orphan chain (orphan.c); also taken
 *                              alone, and under a directory's and a
 *                              victim's i_rwsem (unlink, rename); nothing
 *                              but sb_lock inside it
 *           entry lock         DAX_LOCKED bit of one index of a file's
 *                              mapping (dax/entry.h), futex wait.  Taken
 *                              after iomap_begin returned and put before
 *                              iomap_end; more than one at once only by
 *                              trylock after the first.  pwrite takes it
 *                              (zero pages over a filled hole), and fsync
 *                              (writeback) without i_rwsem or dax_sem.
 *             mapping views_lock   the list of views of one file; also taken
 *                              under the registry's write lock
 *               mapping lock   the index itself (xa_lock); short, nothing
 *                              is taken inside it
 * icache stripe locks          hash chains and reference counts; taken
 *                              under any lock above but a group lock (iget,
 *                              iput), with only sb_lock inside (inode_check
 *                              reporting damage) and the LRU lock
 *   icache LRU lock            the list of unreferenced inodes (icache.c);
 *                              under a stripe lock, or alone while the
 *                              evictor only trylocks a stripe lock
 * sb_lock                      superblock fields written after mount; the
 *                              innermost lock (ext2_corrupt takes it under
 *                              any other)
 * bad block list lock          core/badblocks.h; a leaf beside sb_lock,
 *                              taken under any lock above, nothing inside
 *
 * Between iomap_begin and iomap_end ext2 holds no lock; a write past EOF
 * holds blocks reserved but not yet linked (bmap.c), which only the
 * writer, under i_rwsem, can reach.  The final ext2_iput() of an unlinked
 * inode frees it (i_rwsem, dax_sem, bmap_lock, group locks) and is
 * therefore called with none of that inode's locks held.
 */
#ifndef DAXFS_EXT2_H
#define DAXFS_EXT2_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "api/vfs.h"
#include "core/badblocks.h"
#include "core/err.h"
#include "core/lock.h"
#include "core/region.h"
#include "dax/entry.h"
#include "dax/iomap.h"
#include "dax/view.h"
#include "ext2/ext2_fs.h"
#include "ext2/journal.h"

/* Per block group state in DRAM. */
struct ext2_group {
	pthread_mutex_t lock;   /* bitmaps and descriptor of this group */
	uint32_t block_hint;    /* where the next block search starts */
	uint32_t inode_hint;    /* where the next inode search starts */
	/* Where the bitmaps and the inode table are: the descriptor's
	 * fields as checked at mount, never read from the media again (a
	 * damaged file's block map may point at the descriptor block, and
	 * writes through it must not redirect the bitmaps). */
	uint32_t block_bitmap;
	uint32_t inode_bitmap;
	uint32_t inode_table;
	uint32_t data_start;    /* first block past the sb and gdt copies */
} __attribute__((aligned(64)));

/* The inode cache: a hash table sized by the inode count, its chains
 * guarded by a fixed set of striped locks. */
#define EXT2_ICACHE_LOCKS 1024

/* A mounted file system (the kernel's ext2_sb_info). */
struct ext2_sb_info {
	struct daxfs vfs;             /* the public handle (vfs.rdonly) */
	bool unclean;                 /* found not clean or with errors at
					 mount: never marked clean */
	struct region *rgn;
	unsigned char *base;          /* == rgn->base */
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
	uint64_t max_file_size;       /* the Linux driver's ext2_max_size */
	bool has_filetype;
	uid_t uid;                    /* owner of new inodes */
	gid_t gid;

	struct ext2_group *groups;
	atomic_int_fast64_t free_blocks; /* sums of the group counters */
	atomic_int_fast64_t free_inodes;
	atomic_int open_files;        /* daxfs_file handles open */
	atomic_int prealloc_files;    /* files holding blocks taken ahead */
	atomic_int open_views;        /* views (daxfs_map) alive */

	pthread_mutex_t rename_lock;  /* see the lock order above */
	pthread_mutex_t sb_lock;      /* superblock fields written after mount */
	struct ext2_inode_info **icache;  /* hash chains, icache_mask + 1 */
	uint32_t icache_mask;
	pthread_mutex_t *icache_locks; /* EXT2_ICACHE_LOCKS stripes: chains
					  and refcounts of their inodes */
	struct ext2_icache *ic;       /* LRU and budget (icache.c) */
	void *warm;                   /* allocator slabs kept (mem_warm) */
	struct ext2_inode_info *root;
	struct ext2_journal *journal; /* the undo log (journal.c), or NULL */
	pthread_mutex_t orphan_lock;  /* the orphan chain (orphan.c) */
	struct ext2_inode_info *orphans; /* its first inode, under it */
	bool journal_replayed;        /* the log was found in need of recovery
					 (tied to this image) at mount */
	bool unclean_before;          /* and the crashed mount had found the
					 file system not clean already */
	bool recoverable;             /* read-only: a crash of a libdaxfs
					 mount that had found it clean,
					 which a read-write one recovers */
	bool recovering;              /* finishing orphans at mount: bits
					 found free already are no damage */
	bool bad_meta;                /* metadata in bad blocks: mounted
					 read-only (badblocks.c) */
};

struct ext2_dir_index;
struct ext2_dx_cache;
struct ext2_extent_cache;
struct ext2_icache;

/* An inode in DRAM (ext2_inode_info); the on-media inode is raw. */
struct ext2_inode_info {
	/* What a lookup, a stat and a release touch comes first: the first
	 * two cache lines (a scattered stat of a million files misses on
	 * each line it reads). */
	struct ext2_sb_info *fs;
	uint32_t ino;
	int refcount;                 /* under the bucket lock */
	struct ext2_inode *raw;       /* on media: every field is read here,
					 but the mirrored ones below */
	struct ext2_inode_info *hash_next; /* icache chain, under the bucket lock */
	/* DRAM copies of the on-media fields every read and write looks at:
	 * a line just flushed may be evicted (clwb does on some CPUs) and a
	 * load of it then waits for memory.  Set from the media at iget and
	 * ialloc (ext2_inode_mirror), then by the only writers of the
	 * fields: ext2_inode_store_size, ext2_inode_store_mode,
	 * ext2_inode_touch, setattr.  Read and written relaxed-atomic. */
	uint64_t m_size;              /* i_size | i_size_high (files) */
	uint32_t m_mtime, m_ctime;
	uint16_t m_mode;
	/* On the LRU list (icache.c): links and on_lru written under the
	 * bucket lock and the LRU lock, lru_used under the bucket lock;
	 * charge: bytes counted for it. */
	bool on_lru;
	bool lru_used;                /* released again since it was listed */
	/* Blocks past EOF taken ahead of appends (prealloc.c), and whether
	 * that put the file on the orphan chain; under i_rwsem. */
	bool prealloc, prealloc_orphan;
	/* On the orphan chain (orphan.c), under fs->orphan_lock. */
	bool orphan;
	/* Freed on the media by the unlink that dropped its last link
	 * (namei.c): the last iput only frees this struct. */
	bool freed;
	struct ext2_inode_info *lru_prev, *lru_next;
	size_t charge;
	/* Mapped runs of the block map, read without locks (extent_cache.c);
	 * made on first use. */
	struct ext2_extent_cache *_Atomic extents;
	/* Directories: the in-DRAM index, built on first use. */
	struct ext2_dir_index *_Atomic dir;
	/* Indexed directories: block addresses and room hints (htree_cache.c),
	 * made at the directory's second use (dx_seen below). */
	struct ext2_dx_cache *_Atomic dx;

	struct rwsem i_rwsem;   /* see the lock order above */
	struct rwsem dax_sem;   /* faults (shared) vs truncate (excl.) */
	struct rwsem bmap_lock; /* block map, i_blocks; lookups shared,
					 allocation and freeing exclusive */
	uint32_t alloc_goal;          /* block after the last allocated one,
					 under bmap_lock (write) */
	uint32_t alloc_next_lblk;     /* logical block alloc_goal belongs to */
	/* A write past EOF between iomap_begin and iomap_end: blocks taken
	 * but not yet linked (bmap.c), under i_rwsem held exclusively. */
	uint32_t pend_lblk, pend_data, pend_n;
	uint32_t pend_ahead;          /* of pend_n, taken ahead (prealloc.c) */
	le32 *pend_leaf;
	/* Regular files: what views have installed (fs/dax.c's xarray). */
	struct dax_mapping i_mapping;

	struct ext2_inode_info *orphan_prev, *orphan_next; /* orphan_lock */

	pthread_mutex_t dir_build_lock; /* building dir, once */
	/* Indexed directories: counts the changes that moved records (a
	 * block switched, htree_split.c), so that a record found earlier
	 * under the same exclusive i_rwsem is known to be where it was
	 * (ext2_dirent_info.moves); under i_rwsem held exclusively. */
	uint32_t dx_moves;
	/* Indexed directories: a lookup has checked the root once; the
	 * next one starts the DRAM cache (ext2_dx_indexed), which takes
	 * the leaf the lookups before it walked (plus one; 0: none) as
	 * walked once (htree_cache.c). */
	atomic_bool dx_seen;
	_Atomic uint32_t dx_first_leaf;
};

/* The ext2 superblock behind a public handle. */
static inline struct ext2_sb_info *EXT2_SB(struct daxfs *fs)
{
	return (struct ext2_sb_info *)((char *)fs -
				       offsetof(struct ext2_sb_info, vfs));
}

/* The ext2 inode behind the public layer's opaque inode. */
static inline struct ext2_inode_info *EXT2_I(struct vfs_inode *inode)
{
	return (struct ext2_inode_info *)inode;
}

/* And back: what the public layer holds for an open file. */
static inline struct vfs_inode *EXT2_VFS_I(struct ext2_inode_info *inode)
{
	return (struct vfs_inode *)inode;
}

/* Block and byte helpers. */
static inline void *ext2_block(struct ext2_sb_info *fs, uint32_t blk)
{
	return fs->base + ((uint64_t)blk << fs->blocksize_bits);
}

/* Blocks per mapping unit: 1, or the region's alignment in blocks where
 * every mapping of it must be aligned to more than a page (devdax with
 * align=2M, hugetlbfs); see "Mapping units" in mmap.c. */
static inline uint32_t ext2_unit_blocks(const struct ext2_sb_info *fs)
{
	return fs->rgn->align > DAX_PAGE_SIZE
		       ? (uint32_t)(fs->rgn->align >> fs->blocksize_bits)
		       : 1;
}

static inline bool ext2_block_valid(struct ext2_sb_info *fs, uint32_t blk)
{
	return blk >= fs->first_data_block && blk < fs->blocks_count;
}

/*
 * Persist [p, p+len).  Inside an atomic operation (journal.h) only the
 * flush is done: its commit fences once for every store it made, and
 * the undo records, fenced each, keep a crash before the commit from
 * showing any of them.  Stores whose order matters on their own (the
 * orphan chain, roll-forward frees) use region_persist.
 */
static inline void ext2_persist(struct ext2_sb_info *fs, const void *p, size_t len)
{
	if (ext2_jcur && ext2_jcur->fs) {
		region_flush(fs->rgn, p, len);
		ext2_jfence_later();
		return;
	}
	region_persist(fs->rgn, p, len);
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

static inline uint64_t ext2_i_size(const struct ext2_inode_info *inode)
{
	return __atomic_load_n(&inode->m_size, __ATOMIC_RELAXED);
}

static inline uint16_t ext2_i_links(const struct ext2_inode_info *inode)
{
	return raw_load16(&inode->raw->i_links_count);
}

static inline uint16_t ext2_i_mode(const struct ext2_inode_info *inode)
{
	return __atomic_load_n(&inode->m_mode, __ATOMIC_RELAXED);
}

/* Store inode's mode on the media (not flushed) and in its mirror. */
static inline void ext2_inode_store_mode(struct ext2_inode_info *inode,
					 uint16_t mode)
{
	raw_store16(&inode->raw->i_mode, mode);
	__atomic_store_n(&inode->m_mode, mode, __ATOMIC_RELAXED);
}

/* The size an inode on the media has (i_size_high counts for regular
 * files only). */
static inline uint64_t raw_size(const struct ext2_inode *r)
{
	uint64_t size = raw_load32(&r->i_size);

	if (S_ISREG(raw_load16(&r->i_mode)))
		size |= (uint64_t)raw_load32(&r->i_size_high) << 32;
	return size;
}

/* Copy the mirrored fields of inode from the media (iget; a new inode's
 * are set from what ialloc.c wrote). */
static inline void ext2_inode_mirror(struct ext2_inode_info *inode)
{
	const struct ext2_inode *r = inode->raw;
	uint16_t mode = raw_load16(&r->i_mode);
	uint64_t size = raw_size(r);

	__atomic_store_n(&inode->m_mode, mode, __ATOMIC_RELAXED);
	__atomic_store_n(&inode->m_size, size, __ATOMIC_RELAXED);
	__atomic_store_n(&inode->m_mtime, raw_load32(&r->i_mtime),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&inode->m_ctime, raw_load32(&r->i_ctime),
			 __ATOMIC_RELAXED);
}

static inline uint32_t ext2_group_first_block(struct ext2_sb_info *fs, uint32_t g)
{
	return fs->first_data_block + g * fs->blocks_per_group;
}

/* Blocks in group g (the last group may be short). */
static inline uint32_t ext2_group_nblocks(struct ext2_sb_info *fs, uint32_t g)
{
	if (g == fs->groups_count - 1)
		return fs->blocks_count - ext2_group_first_block(fs, g);
	return fs->blocks_per_group;
}

/* Blocks of one copy of the group descriptor table. */
static inline uint32_t ext2_gdt_blocks(struct ext2_sb_info *fs)
{
	return ((uint64_t)fs->groups_count * sizeof(struct ext2_group_desc) +
		fs->blocksize - 1) >> fs->blocksize_bits;
}

/* Seconds since the epoch, as ext2 stores them (vDSO: no system call). */
uint32_t ext2_now(void);

/* Mark the file system as having errors and return -EUCLEAN with msg. */
int ext2_corrupt(struct ext2_sb_info *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* super.c */
/* Add a sentence to what daxfs_mount_warning() says. */
void ext2_mount_warn(struct ext2_sb_info *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ext2_sb_sync_counters(struct ext2_sb_info *fs);
void ext2_sb_need_large_file(struct ext2_sb_info *fs);
bool ext2_group_has_super(struct ext2_sb_info *fs, uint32_t g);
uint32_t ext2_group_overhead(struct ext2_sb_info *fs, uint32_t g, uint32_t rsv_gdt);

/* balloc.c */
int ext2_new_blocks(struct ext2_sb_info *fs, uint32_t goal, uint32_t max,
		     uint32_t *start, uint32_t *count);
int ext2_new_blocks_aligned(struct ext2_sb_info *fs, uint32_t goal, uint32_t max,
			     uint32_t align, uint32_t *start, uint32_t *count);
void ext2_free_blocks(struct ext2_sb_info *fs, uint32_t start, uint32_t count);
void ext2_free_blocks_unlink(struct ext2_sb_info *fs, uint32_t start,
			     uint32_t count, le32 *ptrs);
void ext2_clear_block_bits_locked(struct ext2_sb_info *fs, uint32_t start,
				  uint32_t count);
int ext2_count_free_blocks(struct ext2_sb_info *fs, uint32_t g, uint32_t *nfree);
int ext2_find_free_run(struct ext2_sb_info *fs, uint32_t count,
		       uint32_t *start);
void ext2_mark_blocks(struct ext2_sb_info *fs, uint32_t start, uint32_t count);

/* ialloc.c */
int ext2_new_inode(struct ext2_sb_info *fs, struct ext2_inode_info *dir, mode_t mode,
		    struct ext2_inode_info **out);
void ext2_free_inode(struct ext2_inode_info *inode);
void ext2_clear_inode_bit_locked(struct ext2_sb_info *fs, uint32_t ino);

/* orphan.c */
bool ext2_orphan_add(struct ext2_inode_info *inode);
bool ext2_orphan_add_begin(struct ext2_inode_info *inode);
void ext2_orphan_add_end(struct ext2_inode_info *inode);
void ext2_orphan_add_abort(struct ext2_inode_info *inode);
void ext2_orphan_del(struct ext2_inode_info *inode);
int ext2_orphan_recover(struct ext2_sb_info *fs, const char *path);
int ext2_orphan_check(struct ext2_sb_info *fs, const char *path);

/* inode.c */
int ext2_icache_init(struct ext2_sb_info *fs);
void ext2_icache_destroy(struct ext2_sb_info *fs);
struct ext2_inode *ext2_raw_inode(struct ext2_sb_info *fs, uint32_t ino);
int ext2_iget(struct ext2_sb_info *fs, uint32_t ino, struct ext2_inode_info **out);
int ext2_iget_new(struct ext2_sb_info *fs, uint32_t ino, struct ext2_inode_info **out);
int ext2_iget_nocheck(struct ext2_sb_info *fs, uint32_t ino,
		      struct ext2_inode_info **out);
void ext2_ihold(struct ext2_inode_info *inode);
bool ext2_inode_sole_ref(struct ext2_inode_info *inode);
void ext2_icache_unhash(struct ext2_inode_info *inode);
bool ext2_inode_has_blocks(struct ext2_inode_info *inode);
void ext2_iput(struct ext2_inode_info *inode);
/* For icache.c: the chain and stripe lock of ino, taking an inode off a
 * chain, and freeing an inode structure. */
struct ext2_inode_info **ext2_icache_chain(struct ext2_sb_info *fs,
					   uint32_t ino,
					   pthread_mutex_t **lock);
void ext2_icache_chain_remove(struct ext2_inode_info **pp,
			      struct ext2_inode_info *inode);
void ext2_inode_free_struct(struct ext2_inode_info *inode);

/* icache.c: the LRU of inodes released and the DRAM budget.  lru_add
 * and lru_del under the inode's stripe lock; shrink with no icache lock
 * held. */
int ext2_lru_init(struct ext2_sb_info *fs);
void ext2_lru_destroy(struct ext2_sb_info *fs);
void ext2_lru_charge_new(struct ext2_inode_info *inode);
void ext2_lru_uncharge(struct ext2_inode_info *inode);
void ext2_lru_add(struct ext2_inode_info *inode);
void ext2_lru_del(struct ext2_inode_info *inode);
void ext2_icache_shrink(struct ext2_sb_info *fs);
int ext2_set_cache_limit(struct daxfs *vfs, size_t bytes);
int ext2_cache_stats(struct daxfs *vfs, struct daxfs_cache_stats *st);
void ext2_inode_touch(struct ext2_inode_info *inode, bool mtime, bool ctime);
void ext2_inode_set_size(struct ext2_inode_info *inode, uint64_t size);
void ext2_inode_log_size(struct ext2_inode_info *inode, uint64_t size);
void ext2_inode_store_size(struct ext2_inode_info *inode, uint64_t size);
void ext2_inode_set_links(struct ext2_inode_info *inode, uint16_t n);
void ext2_inode_store_links(struct ext2_inode_info *inode, uint16_t n);
bool ext2_inode_is_fast_symlink(struct ext2_inode_info *inode);
void ext2_inode_stat(struct ext2_inode_info *inode, struct stat *st);
int ext2_stat_ino(struct ext2_sb_info *fs, uint32_t ino, struct stat *st);
unsigned ext2_mode_to_ftype(mode_t mode);
void ext2_write_failed(struct ext2_inode_info *inode, bool orphan);
int ext2_setsize(struct ext2_inode_info *inode, uint64_t size);
/* Zero [old, to) within the block of the old EOF before the file grows
 * from old to to (bytes past EOF must read as zeros). */
int ext2_zero_past_eof(struct ext2_inode_info *inode, uint64_t old,
		       uint64_t to);
/* Zero the bytes past size in its last block (truncate down). */
int ext2_zero_tail(struct ext2_inode_info *inode, uint64_t size);
/* Log that [old, to) of the block of the old EOF must read as zeros if
 * the thread's operation is undone (a write growing the file). */
void ext2_jlog_tail(struct ext2_inode_info *inode, uint64_t old, uint64_t to);

/* prealloc.c: blocks taken ahead of appends, and appends into them. */
uint32_t ext2_prealloc_want(struct ext2_inode_info *inode, uint32_t lblk);
void ext2_prealloc_taken(struct ext2_inode_info *inode);
void ext2_prealloc_forget(struct ext2_inode_info *inode);
void ext2_prealloc_trim(struct ext2_inode_info *inode);
int ext2_prealloc_reclaim(struct daxfs *vfs);
uint64_t ext2_prealloc_sectors(struct ext2_inode_info *inode);
int ext2_prealloc_pool(struct ext2_inode_info *inode, uint32_t nb,
		       le32 **slot);
ssize_t ext2_append_prealloc(struct ext2_inode_info *inode, const void *buf,
			     size_t len, uint64_t pos);

/* bmap.c */
/* Prefetch the data at pos if the extent cache knows where it is. */
void ext2_bmap_prefetch(struct ext2_inode_info *inode, uint64_t pos);
int ext2_bmap(struct ext2_inode_info *inode, uint32_t lblk, uint32_t max,
	       bool create, uint32_t *pblk, uint32_t *count, bool *is_new);
int ext2_truncate_blocks(struct ext2_inode_info *inode, uint64_t size);
uint32_t ext2_bmap_count(struct ext2_sb_info *fs, const struct ext2_inode *raw);
int ext2_bmap_runs(struct ext2_sb_info *fs, const struct ext2_inode *raw,
		   uint32_t (*run)[2], unsigned max);
int ext2_bmap_slots(struct ext2_inode_info *inode, uint32_t lblk, uint32_t *n,
		    le32 **slot);
int ext2_bmap_leaf(struct ext2_inode_info *inode, uint32_t lblk, uint32_t max,
		   uint32_t *n, le32 **slot);
/* Free the data blocks of logical blocks [first, end), journaled in
 * steps (bmap_free.c; a punched hole). */
int ext2_free_range(struct ext2_inode_info *inode, uint64_t first,
		    uint64_t end);
int ext2_bmap_slots_make(struct ext2_inode_info *inode, uint32_t lblk,
			 uint32_t *n, le32 **slot, const uint32_t *pool,
			 uint32_t *npool);

/* cow.c: atomic writes (DAXFS_WRITE_ATOMIC), inside the caller's
 * operation, i_rwsem held exclusively; the largest one on fs. */
ssize_t ext2_write_cow(struct ext2_inode_info *inode, const void *buf,
		       size_t len, uint64_t pos);
size_t ext2_cow_max(struct ext2_sb_info *fs);
/* The largest file of fs, as the Linux ext2 driver computes it (once,
 * at mount: ext2_bmap_max_size). */
uint64_t ext2_bmap_max_size(struct ext2_sb_info *fs);
static inline uint64_t ext2_max_file_size(struct ext2_sb_info *fs)
{
	return fs->max_file_size;
}
/* A write past EOF (iomap.c): take blocks for it without linking them
 * (1 when done, 0 when the normal path must run, or -errno); link them
 * once written bytes from pos are in them (free them if none). */
int ext2_bmap_reserve_past_eof(struct ext2_inode_info *inode, uint32_t lblk,
			       uint32_t max, uint32_t *pblk, uint32_t *count);
void ext2_bmap_link_reserved(struct ext2_inode_info *inode, uint64_t pos,
			     ssize_t written);
void ext2_bmap_link_ahead(struct ext2_inode_info *inode);
/* The leaf slots from lblk (a block past EOF) to the end of its leaf:
 * *slot and *n, or -ENOENT (no message) when the path lacks the leaf.
 * bmap_lock held. */
int ext2_bmap_leaf_slots(struct ext2_inode_info *inode, uint32_t lblk,
			 le32 **slot, uint32_t *n);

/* iomap.c */
extern const struct iomap_ops ext2_iomap_ops;
bool ext2_iomap_direct(struct ext2_inode_info *inode, uint64_t pos,
		       size_t len, uint64_t *addr);

/* extent_cache.c */
/* The mapped run at lblk from the cache, clamped to max blocks; false on
 * a miss (or a concurrent change): the caller walks the block map. */
bool ext2_extent_cache_lookup(struct ext2_inode_info *inode, uint32_t lblk,
			       uint32_t max, uint32_t *pblk, uint32_t *count);
/* Remember that [lblk, lblk+len) maps to [pblk, pblk+len).  Called with
 * bmap_lock held (shared or exclusive), right after reading the map. */
void ext2_extent_cache_insert(struct ext2_inode_info *inode, uint32_t lblk,
			       uint32_t pblk, uint32_t len);
/* Forget every run: blocks are about to be freed.  bmap_lock held
 * exclusively. */
void ext2_extent_cache_clear(struct ext2_inode_info *inode);
void ext2_extent_cache_free(struct ext2_inode_info *inode);
size_t ext2_extent_cache_bytes(struct ext2_inode_info *inode);

/* dir.c */
struct ext2_dirent_info {
	uint32_t ino;
	unsigned ftype;     /* EXT2_FT_* */
	/* Where the record is, in an indexed directory (else de NULL):
	 * for ext2_dir_remove_found and ext2_dir_retarget_found under the
	 * same exclusive i_rwsem, while the directory's dx_moves is still
	 * moves. */
	struct ext2_dir_entry_2 *de;
	unsigned char *blk;
	uint32_t bi;
	uint32_t moves;
};
int ext2_dir_lookup(struct ext2_inode_info *dir, const char *name, size_t len,
		     struct ext2_dirent_info *out);
int ext2_dir_add(struct ext2_inode_info *dir, const char *name, size_t len,
		  uint32_t ino, unsigned ftype);
int ext2_dir_remove(struct ext2_inode_info *dir, const char *name, size_t len);
int ext2_dir_remove_found(struct ext2_inode_info *dir, const char *name,
			  size_t len, const struct ext2_dirent_info *found);
int ext2_dir_retarget_found(struct ext2_inode_info *dir, const char *name,
			    size_t len, const struct ext2_dirent_info *found,
			    uint32_t ino, unsigned ftype);
int ext2_dir_retarget(struct ext2_inode_info *dir, const char *name, size_t len,
		       uint32_t ino, unsigned ftype);
int ext2_dir_is_empty(struct ext2_inode_info *dir);
int ext2_dir_init_block(struct ext2_inode_info *dir, uint32_t parent_ino);
struct ext2_dir_entry_2 *ext2_dir_block_insert(struct ext2_sb_info *fs,
					       unsigned char *blk, uint32_t off,
					       const char *name, size_t len,
					       uint32_t ino, unsigned ftype);
void ext2_dir_block_format(struct ext2_sb_info *fs, unsigned char *blk,
			   uint32_t self, uint32_t parent);
int ext2_dir_iterate(struct ext2_inode_info *dir,
		      int (*fn)(void *arg, const char *name, uint64_t ino,
				unsigned type),
		      void *arg);
void ext2_dir_index_free(struct ext2_inode_info *dir);
size_t ext2_dir_index_bytes(struct ext2_inode_info *dir);

/* file.c */
int ext2_open(struct daxfs *vfs, const char *path, int flags, mode_t mode,
	      struct vfs_inode **out);
void ext2_release(struct daxfs *vfs, struct vfs_inode *inode);
ssize_t ext2_file_read(struct daxfs_file *f, void *buf, size_t len,
		       uint64_t off);
ssize_t ext2_file_write(struct daxfs_file *f, const void *buf, size_t len,
			uint64_t off, unsigned flags);
int ext2_file_truncate(struct daxfs_file *f, uint64_t size);
int ext2_fsync(struct daxfs_file *f);
int ext2_getattr(struct daxfs_file *f, struct stat *st);

/* badblocks.c: the region's bad blocks, for ext2 (see its top comment).
 * Each call is made only when ext2_has_bad() says there are some. */
static inline bool ext2_has_bad(struct ext2_sb_info *fs)
{
	return badblocks_any(fs->rgn->bad);
}
/* At mount, before the superblock, then the descriptors are read: -EIO
 * when they are in a bad block, else 0. */
int ext2_bad_super(struct ext2_sb_info *fs, const char *path);
int ext2_bad_gdt(struct ext2_sb_info *fs, const char *path);
/* At mount, after the groups are loaded and before anything is written:
 * read-only (and a warning) when metadata is in a bad block.  0. */
int ext2_badblocks_mount(struct ext2_sb_info *fs, const char *path);
/* A read or fault of the mapped run [pblk, +*count) at logical block
 * lblk: shortened to end before a bad block, or -EIO if pblk is bad. */
int ext2_bad_read(struct ext2_inode_info *inode, uint32_t lblk, uint32_t pblk,
		  uint32_t *count);
/* Before a pwrite of [pos, pos+len) (i_rwsem exclusive): -EIO if it
 * covers part of a bad block, else clear the bad blocks it covers. */
int ext2_bad_write(struct ext2_inode_info *inode, uint64_t pos, size_t len);
/* The allocator handed out [start, start+n): clear its bad blocks. */
void ext2_bad_allocated(struct ext2_sb_info *fs, uint32_t start, uint32_t n);
/* Blocks holding a bad byte, and bad bytes, known now. */
void ext2_badblocks_count(struct ext2_sb_info *fs, uint64_t *blocks,
			  uint64_t *bytes);

/* falloc.c: daxfs_fallocate (modes of fallocate(2)); i_rwsem, then
 * dax_sem, exclusively. */
int ext2_fallocate(struct daxfs_file *f, int mode, uint64_t off,
		   uint64_t len);

/* mkfs.c */
int ext2_mkfs(const char *path, const struct daxfs_mkfs_opts *opts);

/* mmap.c */
int ext2_map(struct daxfs_file *f, uint64_t off, size_t len, int prot,
	     unsigned flags, void **addr);
int ext2_dax_fault(struct dax_view *v, uint64_t pgoff, bool write);
void ext2_size_grew(struct ext2_inode_info *inode, uint64_t old,
			  uint64_t size);

/* path.c */
/* The last component of a path, and its parent directory (referenced). */
struct ext2_last {
	struct ext2_inode_info *dir;
	const char *name;             /* in the path; not NUL-terminated */
	size_t len;                   /* 0 for "/" */
	bool slash;                   /* the path ended in '/' */
};

static inline bool ext2_is_dot(const char *name, size_t len)
{
	return len == 1 && name[0] == '.';
}

static inline bool ext2_is_dotdot(const char *name, size_t len)
{
	return len == 2 && name[0] == '.' && name[1] == '.';
}

int ext2_lookup_child_quiet(struct ext2_inode_info *dir, const char *name,
			    size_t len, struct ext2_inode_info **out);
int ext2_no_entry(const char *name, size_t len);
int ext2_lookup_child(struct ext2_inode_info *dir, const char *name,
		      size_t len, struct ext2_inode_info **out);
int ext2_path_walk(struct ext2_sb_info *fs, const char *path,
		   struct ext2_inode_info **out);
int ext2_path_parent(struct ext2_sb_info *fs, const char *path,
		     struct ext2_last *last);

/* namei.c */
int ext2_mkdir(struct daxfs *vfs, const char *path, mode_t mode);
int ext2_rmdir(struct daxfs *vfs, const char *path);
int ext2_unlink(struct daxfs *vfs, const char *path);
int ext2_link(struct daxfs *vfs, const char *from, const char *to);
int ext2_symlink(struct daxfs *vfs, const char *target, const char *path);
ssize_t ext2_readlink(struct daxfs *vfs, const char *path, char *buf,
		      size_t len);
int ext2_stat(struct daxfs *vfs, const char *path, struct stat *st);
int ext2_readdir(struct daxfs *vfs, const char *path, vfs_filldir_t fn,
		 void *arg);

int ext2_dir_alive(struct ext2_inode_info *dir);
void ext2_lock_two(struct ext2_inode_info *a, struct ext2_inode_info *b);
void ext2_unlock_two(struct ext2_inode_info *a, struct ext2_inode_info *b);

/* rename.c */
int ext2_rename(struct daxfs *vfs, const char *from, const char *to);

int ext2_create_locked(struct ext2_inode_info *dir, const char *name,
			size_t len, mode_t mode, struct ext2_inode_info **out);
/* Create path's last component as a new inode of mode (a symlink's
 * target, a device's number). */
int ext2_create_path(struct ext2_sb_info *fs, const char *path, mode_t mode,
		     const char *target, dev_t rdev);

/* attr.c */
int ext2_mknod(struct daxfs *vfs, const char *path, mode_t mode, dev_t dev);
int ext2_setattr(struct daxfs *vfs, const char *path, struct vfs_inode *vi,
		 const struct vfs_attr *a);
/* A new device inode's number in i_block (fresh: not logged). */
void ext2_special_store(struct ext2_inode_info *inode, dev_t dev);

/* xattr.c: the public layer's xattr operations (xattr.h has the rest). */
ssize_t ext2_getxattr(struct daxfs *vfs, const char *path, const char *name,
		      void *value, size_t size);
int ext2_setxattr(struct daxfs *vfs, const char *path, const char *name,
		  const void *value, size_t size, int flags);
ssize_t ext2_listxattr(struct daxfs *vfs, const char *path, char *list,
		       size_t size);
/* chmod's change of an inode's access ACL (none: nothing to do). */
int ext2_xattr_acl_chmod(struct ext2_inode_info *inode, mode_t mode);
/* xattr_block.c: drop one reference to attribute block blk (freed with
 * the last), inside the caller's operation. */
void ext2_xattr_block_put(struct ext2_sb_info *fs, uint32_t blk);

#endif
