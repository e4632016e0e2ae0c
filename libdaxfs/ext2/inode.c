/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inode.c -- the in-DRAM inode cache and the life of an inode: looking it
 * up, pinning it, updating its on-media fields, and freeing it when its
 * last link and its last reference are gone.
 *
 * The on-media inode is the only copy of its fields: ext2_inode_info.raw
 * points into the inode table and updates are stores plus a persist.
 * An inode with links stays cached after its last ext2_iput() on the LRU
 * of icache.c, which evicts it (and a directory's index) under the DRAM
 * budget; an inode with no links is freed at its last ext2_iput().
 *
 * Also here, as in the kernel's fs/ext2/inode.c: changing the size of a
 * file (ext2_setsize), zeroing past the old end of file before it grows,
 * and giving back the blocks of a write that failed past EOF.
 */
#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "core/mem.h"
#include "dax/mapping.h"
#include "ext2/ext2.h"

/* The memory a mount leaves resident for its first lookups and for the
 * slabs mem_warm makes there (about 420 KiB of it): about 0.2 ms of a
 * mount of 6-8 ms, for the 5 to 10 page faults of the first lookups in a
 * directory of 10^6 entries.  With the slabs, 256 KiB left a fault in
 * the second lookup. */
#define ICACHE_PREFAULT (768u << 10)

/* Make the inode cache of a mount: its hash table, sized to the inode
 * count and faulted in, its LRU, and resident memory and slabs to start
 * from. */
int ext2_icache_init(struct ext2_sb_info *fs)
{
	uint32_t i, n = 1024;

	while (n < fs->inodes_count / 2 && n < (1u << 20))
		n *= 2;
	fs->icache = mem_zalloc(sizeof(*fs->icache) * n);
	fs->icache_locks = mem_zalloc(sizeof(*fs->icache_locks) *
					EXT2_ICACHE_LOCKS);
	if (!fs->icache || !fs->icache_locks) {
		mem_free(fs->icache);
		mem_free(fs->icache_locks);
		fs->icache = NULL;
		return err_set(-ENOMEM, "out of memory for the inode cache");
	}
	fs->icache_mask = n - 1;
	/* the fixed part of the cache's DRAM: no page fault on a chain */
	mem_populate(fs->icache, sizeof(*fs->icache) * n);
	fs->warm = mem_warm(ICACHE_PREFAULT);
	for (i = 0; i < EXT2_ICACHE_LOCKS; i++)
		pthread_mutex_init(&fs->icache_locks[i], NULL);
	return ext2_lru_init(fs);
}

/* The chain head and the lock of inode number ino. */
struct ext2_inode_info **ext2_icache_chain(struct ext2_sb_info *fs,
					   uint32_t ino,
					   pthread_mutex_t **lock)
{
	uint32_t b = ino & fs->icache_mask;

	*lock = &fs->icache_locks[b % EXT2_ICACHE_LOCKS];
	return &fs->icache[b];
}

/* Release an inode structure (not the on-media inode). */
void ext2_inode_free_struct(struct ext2_inode_info *inode)
{
	ext2_lru_uncharge(inode);
	ext2_dir_index_free(inode);
	ext2_extent_cache_free(inode);
	dax_mapping_destroy(&inode->i_mapping);
	rwsem_destroy(&inode->i_rwsem);
	rwsem_destroy(&inode->dax_sem);
	rwsem_destroy(&inode->bmap_lock);
	pthread_mutex_destroy(&inode->dir_build_lock);
	mem_free(inode);
}

/* Drop every cached inode; the mount is going away. */
void ext2_icache_destroy(struct ext2_sb_info *fs)
{
	uint32_t i;

	for (i = 0; i <= fs->icache_mask; i++) {
		struct ext2_inode_info *in = fs->icache[i], *next;

		for (; in; in = next) {
			next = in->hash_next;
			ext2_inode_free_struct(in);
		}
	}
	for (i = 0; i < EXT2_ICACHE_LOCKS; i++)
		pthread_mutex_destroy(&fs->icache_locks[i]);
	ext2_lru_destroy(fs);
	mem_cool(fs->warm);
	mem_free(fs->icache_locks);
	mem_free(fs->icache);
	fs->icache = NULL;
}

/* The on-media inode ino (1-based); ino must be in range. */
struct ext2_inode *ext2_raw_inode(struct ext2_sb_info *fs, uint32_t ino)
{
	uint32_t g = (ino - 1) / fs->inodes_per_group;
	uint32_t i = (ino - 1) % fs->inodes_per_group;
	uint32_t table = fs->groups[g].inode_table;

	return (void *)((unsigned char *)ext2_block(fs, table) +
			(size_t)i * fs->inode_size);
}

/* Is raw a sane inode in use?  Returns 0 or -EUCLEAN with a message. */
static int inode_check(struct ext2_sb_info *fs, uint32_t ino,
		       const struct ext2_inode *raw)
{
	uint16_t mode = le16_get(raw->i_mode);
	uint32_t flags = le32_get(raw->i_flags);

	if (raw_load16(&raw->i_links_count) == 0)
		return ext2_corrupt(fs, "inode %u is referenced but not in "
				     "use (no links)", ino);
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR:
	case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		break;
	default:
		return ext2_corrupt(fs, "inode %u has a bad mode 0%o", ino,
				     mode);
	}
	if (flags & (EXT4_EXTENTS_FL | EXT4_INLINE_DATA_FL))
		return ext2_corrupt(fs, "inode %u uses ext4 extents or inline "
				     "data, which ext2 has not", ino);
	if (S_ISDIR(mode) && (le32_get(raw->i_size) % fs->blocksize ||
			      le32_get(raw->i_size) == 0))
		return ext2_corrupt(fs, "directory inode %u has a bad size %u",
				     ino, le32_get(raw->i_size));
	return 0;
}

/* 0 if ino can name an inode in use, else -EUCLEAN. */
static int ino_valid(struct ext2_sb_info *fs, uint32_t ino)
{
	if (ino < EXT2_ROOT_INO || ino > fs->inodes_count ||
	    (ino < fs->first_ino && ino != EXT2_ROOT_INO))
		return ext2_corrupt(fs, "reference to invalid inode %u", ino);
	return 0;
}

/* Start loading the two lines of an inode on the media, to be read
 * after a walk of its hash chain (a stat reads both; a miss reads them
 * to fill the struct). */
static void raw_prefetch(const struct ext2_inode *raw)
{
	__builtin_prefetch(raw);
	__builtin_prefetch((const char *)raw + 64);
}

/* The cached struct of ino, a reference taken, or NULL; the lock of
 * its hash chain held. */
static struct ext2_inode_info *icache_find(struct ext2_inode_info **chain,
					   uint32_t ino)
{
	struct ext2_inode_info *in;

	for (in = *chain; in && in->ino != ino; in = in->hash_next)
		;
	if (in)
		in->refcount++; /* left on the LRU: icache.c */
	return in;
}

/* How iget_common reads the inode on the media. */
enum {
	IGET_CHECK = 1,  /* it must be a sane inode in use */
	IGET_FRESH = 2,  /* being created: its fields and mirrors are
			    written by the caller, nothing is read */
};

/* Find ino in the cache or add it, as how says. */
static int iget_common(struct ext2_sb_info *fs, uint32_t ino, unsigned how,
		       struct ext2_inode_info **out)
{
	struct ext2_inode_info **chain, *in;
	struct ext2_inode *raw;
	pthread_mutex_t *lock;
	int ret;

	ret = ino_valid(fs, ino);
	if (ret)
		return ret;
	raw = ext2_raw_inode(fs, ino);
	if (!(how & IGET_FRESH)) /* a new inode's are only written */
		raw_prefetch(raw);
	chain = ext2_icache_chain(fs, ino, &lock);
	pthread_mutex_lock(lock);
	in = icache_find(chain, ino);
	if (in) {
		pthread_mutex_unlock(lock);
		*out = in;
		return 0;
	}
	if (how & IGET_CHECK) {
		ret = inode_check(fs, ino, raw);
		if (ret)
			goto out_unlock;
	}
	in = mem_zalloc(sizeof(*in));
	if (!in) {
		ret = err_set(-ENOMEM, "out of memory for inode %u", ino);
		goto out_unlock;
	}
	in->fs = fs;
	in->ino = ino;
	in->raw = raw;
	if (!(how & IGET_FRESH))
		ext2_inode_mirror(in);
	in->refcount = 1;
	rwsem_init(&in->i_rwsem);
	rwsem_init(&in->dax_sem);
	rwsem_init(&in->bmap_lock);
	pthread_mutex_init(&in->dir_build_lock, NULL);
	dax_mapping_init(&in->i_mapping);
	in->i_mapping.units = fs->rgn->align > DAX_PAGE_SIZE;
	in->hash_next = *chain;
	*chain = in;
	ext2_lru_charge_new(in);
	pthread_mutex_unlock(lock);
	*out = in;
	return 0;
out_unlock:
	pthread_mutex_unlock(lock);
	return ret;
}

/* Look up inode ino (in use, checked), referenced in *out. */
int ext2_iget(struct ext2_sb_info *fs, uint32_t ino, struct ext2_inode_info **out)
{
	return iget_common(fs, ino, IGET_CHECK, out);
}

/* Like ext2_iget, for an inode being created (ext2_new_inode writes its
 * fields and mirrors). */
int ext2_iget_new(struct ext2_sb_info *fs, uint32_t ino, struct ext2_inode_info **out)
{
	return iget_common(fs, ino, IGET_FRESH, out);
}

/* Like ext2_iget, for an inode that may have no links (an orphan). */
int ext2_iget_nocheck(struct ext2_sb_info *fs, uint32_t ino,
		      struct ext2_inode_info **out)
{
	return iget_common(fs, ino, 0, out);
}

/* Take another reference to inode. */
void ext2_ihold(struct ext2_inode_info *inode)
{
	pthread_mutex_t *lock;

	ext2_icache_chain(inode->fs, inode->ino, &lock);
	pthread_mutex_lock(lock);
	inode->refcount++;
	pthread_mutex_unlock(lock);
}

/* Is inode a symlink whose target lives in i_block? */
bool ext2_inode_is_fast_symlink(struct ext2_inode_info *inode)
{
	struct ext2_inode *raw = inode->raw;
	uint32_t ea = le32_get(raw->i_file_acl) ?
		inode->fs->blocksize >> 9 : 0;

	return S_ISLNK(le16_get(raw->i_mode)) &&
	       raw_load32(&raw->i_blocks) - ea == 0;
}

/*
 * Drop inode's reference to its extended attribute block, in one
 * operation: i_file_acl cleared and the block's refcount dropped (or the
 * block freed) together.  No order of those stores lets a second run of
 * the orphan's free finish them (a crash between them left a shared
 * block's refcount one too high, or the block taken by no one: the
 * crash harness found both with e2fsck), so they are undone together
 * and the orphan chain runs the step again.
 */
static void inode_release_xattr(struct ext2_inode_info *inode)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t blk = le32_get(inode->raw->i_file_acl);
	struct ext2_jh h;

	if (!blk)
		return;
	ext2_jbegin(fs, &h);
	ext2_jlog(&inode->raw->i_file_acl, 4);
	inode->raw->i_file_acl = 0;
	ext2_persist(fs, &inode->raw->i_file_acl, 4);
	if (ext2_block_valid(fs, blk))
		ext2_xattr_block_put(fs, blk);
	else
		ext2_corrupt(fs, "inode %u: xattr block %u out of range",
			     inode->ino, blk);
	ext2_jcommit(&h);
}

/* Does inode have a block map (not a fast symlink, nor a device, fifo
 * or socket, whose i_block holds something else)? */
bool ext2_inode_has_blocks(struct ext2_inode_info *inode)
{
	uint16_t mode = ext2_i_mode(inode);

	return S_ISREG(mode) || S_ISDIR(mode) ||
	       (S_ISLNK(mode) && !ext2_inode_is_fast_symlink(inode));
}

/*
 * Free an inode that has neither links nor references: its blocks, its
 * xattr block, then its bitmap bit, off the orphan chain and marked
 * deleted (ext2_evict_inode).  Rolled forward: each step is one a crash
 * lets the next mount finish (orphan.c).  Inside an operation (a create
 * that failed) the bits wait for its commit (ext2_jdefer_free).
 */
static void inode_delete(struct ext2_inode_info *inode)
{
	struct ext2_sb_info *fs = inode->fs;

	if (fs->vfs.rdonly)
		return;
	down_write(&inode->i_rwsem);
	down_write(&inode->dax_sem);
	if (ext2_inode_has_blocks(inode))
		ext2_truncate_blocks(inode, 0);
	up_write(&inode->dax_sem);
	up_write(&inode->i_rwsem);
	inode_release_xattr(inode);
	ext2_free_inode(inode);
}

/* Take inode off the hash chain pp (if it is on it), its lock held. */
void ext2_icache_chain_remove(struct ext2_inode_info **pp,
			      struct ext2_inode_info *inode)
{
	for (; *pp; pp = &(*pp)->hash_next) {
		if (*pp == inode) {
			*pp = inode->hash_next;
			return;
		}
	}
}

/* Drop a reference; the last one of an unlinked inode frees it, that of
 * a linked one leaves it on the LRU (icache.c, which may evict others).
 * Must be called with none of the inode's locks held. */
void ext2_iput(struct ext2_inode_info *inode)
{
	struct ext2_inode_info **pp;
	pthread_mutex_t *lock;

	if (!inode)
		return;
	pp = ext2_icache_chain(inode->fs, inode->ino, &lock);
	pthread_mutex_lock(lock);
	/* A freed inode's number may be another's by now: its raw is not
	 * its own any more (namei.c's remove_now). */
	if (--inode->refcount > 0) {
		pthread_mutex_unlock(lock);
		return;
	}
	if (!inode->freed && ext2_i_links(inode) > 0) {
		struct ext2_sb_info *fs = inode->fs;

		ext2_lru_add(inode);
		pthread_mutex_unlock(lock);
		ext2_icache_shrink(fs); /* inode may be evicted already */
		return;
	}
	ext2_icache_chain_remove(pp, inode);
	if (inode->on_lru)
		ext2_lru_del(inode);
	pthread_mutex_unlock(lock);
	if (!inode->freed)
		inode_delete(inode);
	ext2_inode_free_struct(inode);
}

/* Take inode out of the cache (its number is about to be free on the
 * media: a new inode of that number must get a struct of its own); the
 * caller's reference keeps it alive until its iput. */
void ext2_icache_unhash(struct ext2_inode_info *inode)
{
	struct ext2_inode_info **pp;
	pthread_mutex_t *lock;

	pp = ext2_icache_chain(inode->fs, inode->ino, &lock);
	pthread_mutex_lock(lock);
	ext2_icache_chain_remove(pp, inode);
	pthread_mutex_unlock(lock);
}

/* Is the caller's reference the only one (no open file, no view)? */
bool ext2_inode_sole_ref(struct ext2_inode_info *inode)
{
	pthread_mutex_t *lock;
	bool sole;

	ext2_icache_chain(inode->fs, inode->ino, &lock);
	pthread_mutex_lock(lock);
	sole = inode->refcount == 1;
	pthread_mutex_unlock(lock);
	return sole;
}

/* Store now into on-media time t and its mirror m if they differ:
 * whether it did. */
static bool touch_time(le32 *t, uint32_t *m, uint32_t now)
{
	if (__atomic_load_n(m, __ATOMIC_RELAXED) == now)
		return false;
	raw_store32(t, now);
	__atomic_store_n(m, now, __ATOMIC_RELAXED);
	return true;
}

/* Set mtime and/or ctime to now; persists only when a second changed
 * (compared with the mirrors: no load of a line a flush evicted). */
void ext2_inode_touch(struct ext2_inode_info *inode, bool mtime, bool ctime)
{
	struct ext2_inode *raw = inode->raw;
	uint32_t now = ext2_now();
	bool dirty = false;

	if (mtime)
		dirty |= touch_time(&raw->i_mtime, &inode->m_mtime, now);
	if (ctime)
		dirty |= touch_time(&raw->i_ctime, &inode->m_ctime, now);
	if (dirty)
		ext2_persist(inode->fs, &raw->i_atime, 12);
}

/* Log i_size (and i_size_high of a regular file, if it is to change)
 * before it becomes size. */
void ext2_inode_log_size(struct ext2_inode_info *inode, uint64_t size)
{
	struct ext2_inode *raw = inode->raw;

	ext2_jlog(&raw->i_size, 4);
	if (S_ISREG(ext2_i_mode(inode)) &&
	    raw_load32(&raw->i_size_high) != (uint32_t)(size >> 32))
		ext2_jlog(&raw->i_size_high, 4);
}

/* Store i_size (and i_size_high for regular files), flushed, not
 * drained; logged before (ext2_inode_log_size). */
void ext2_inode_store_size(struct ext2_inode_info *inode, uint64_t size)
{
	struct ext2_inode *raw = inode->raw;
	bool reg = S_ISREG(ext2_i_mode(inode));

	raw_store32(&raw->i_size, (uint32_t)size);
	__atomic_store_n(&inode->m_size, reg ? size : (uint32_t)size,
			 __ATOMIC_RELAXED);
	if (reg && size > 0x7fffffffULL)
		ext2_sb_need_large_file(inode->fs);
	/* i_size_high is in another line: flushed only when it changes. */
	if (reg &&
	    raw_load32(&raw->i_size_high) != (uint32_t)(size >> 32)) {
		raw_store32(&raw->i_size_high, (uint32_t)(size >> 32));
		region_flush(inode->fs->rgn, &raw->i_size_high, 4);
	}
	region_flush(inode->fs->rgn, &raw->i_size, 4);
}

/* Set i_size (and i_size_high for regular files) and persist it. */
void ext2_inode_set_size(struct ext2_inode_info *inode, uint64_t size)
{
	ext2_inode_log_size(inode, size);
	ext2_inode_store_size(inode, size);
	region_drain(inode->fs->rgn);
}

/* Store the link count (logged before, if in an operation), persisted. */
void ext2_inode_store_links(struct ext2_inode_info *inode, uint16_t n)
{
	raw_store16(&inode->raw->i_links_count, n);
	ext2_persist(inode->fs, &inode->raw->i_links_count, 2);
}

/* Set the link count and persist it. */
void ext2_inode_set_links(struct ext2_inode_info *inode, uint16_t n)
{
	ext2_jlog(&inode->raw->i_links_count, 2);
	ext2_inode_store_links(inode, n);
}

/* Fill st from raw, the inode ino on the media, with its size and less
 * the sectors of blocks taken ahead past EOF. */
static void raw_stat(struct ext2_sb_info *fs, uint32_t ino,
		     const struct ext2_inode *raw, uint64_t size,
		     uint32_t ahead, struct stat *st)
{
	uint16_t mode = le16_get(raw->i_mode);

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_mode = mode;
	st->st_nlink = raw_load16(&raw->i_links_count);
	st->st_uid = le16_get(raw->i_uid) | (uint32_t)le16_get(raw->i_uid_high) << 16;
	st->st_gid = le16_get(raw->i_gid) | (uint32_t)le16_get(raw->i_gid_high) << 16;
	if (S_ISCHR(mode) || S_ISBLK(mode)) {
		uint32_t old = le32_get(raw->i_block[0]);
		uint32_t nw = le32_get(raw->i_block[1]);

		st->st_rdev = old ? makedev((old >> 8) & 255, old & 255)
				  : makedev((nw & 0xfff00) >> 8,
					    (nw & 0xff) | ((nw >> 12) & 0xfff00));
	}
	st->st_size = size;
	st->st_blksize = fs->blocksize;
	st->st_blocks = raw_load32(&raw->i_blocks) - ahead;
	st->st_atim.tv_sec = raw_load32(&raw->i_atime);
	st->st_mtim.tv_sec = raw_load32(&raw->i_mtime);
	st->st_ctim.tv_sec = raw_load32(&raw->i_ctime);
}

/* Fill st from inode (cached: its mirrors, and its blocks taken ahead
 * left out). */
void ext2_inode_stat(struct ext2_inode_info *inode, struct stat *st)
{
	raw_stat(inode->fs, inode->ino, inode->raw, ext2_i_size(inode),
		 ext2_prealloc_sectors(inode), st);
}

/*
 * stat of inode ino without caching it: through its struct if the cache
 * has one, else from the media, read under its chain's lock, so that no
 * iget can cache it meanwhile (and nothing changes an inode that is not
 * cached: every change goes through its struct).  A stat of a million
 * scattered files then allocates nothing and evicts nothing.  The caller
 * holds the lock of a directory that names ino, so it stays linked.
 */
int ext2_stat_ino(struct ext2_sb_info *fs, uint32_t ino, struct stat *st)
{
	struct ext2_inode_info **chain, *in;
	struct ext2_inode *raw;
	pthread_mutex_t *lock;
	int ret = ino_valid(fs, ino);

	if (ret)
		return ret;
	raw = ext2_raw_inode(fs, ino);
	raw_prefetch(raw);
	chain = ext2_icache_chain(fs, ino, &lock);
	pthread_mutex_lock(lock);
	in = icache_find(chain, ino); /* as iget: its stat reads its fields */
	if (in) {
		pthread_mutex_unlock(lock);
		ext2_inode_stat(in, st);
		ext2_iput(in);
		return 0;
	}
	ret = inode_check(fs, ino, raw);
	if (!ret)
		raw_stat(fs, ino, raw, raw_size(raw), 0, st);
	pthread_mutex_unlock(lock);
	return ret;
}

/* The directory entry file type of a mode. */
unsigned ext2_mode_to_ftype(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return EXT2_FT_REG_FILE;
	case S_IFDIR: return EXT2_FT_DIR;
	case S_IFLNK: return EXT2_FT_SYMLINK;
	case S_IFCHR: return EXT2_FT_CHRDEV;
	case S_IFBLK: return EXT2_FT_BLKDEV;
	case S_IFIFO: return EXT2_FT_FIFO;
	case S_IFSOCK: return EXT2_FT_SOCK;
	}
	return EXT2_FT_UNKNOWN;
}

/*
 * A write that reached past EOF stopped short (a bad buffer, no space):
 * give back the blocks it took past the end of the file, as the
 * kernel's ext2_write_failed does, so that a failed write leaves no
 * block taken.  orphan: the caller put inode on the orphan chain for it
 * (in the write's operation), so that a crash finishes it.  Called with
 * i_rwsem held exclusively.
 */
void ext2_write_failed(struct ext2_inode_info *inode, bool orphan)
{
	DAXFS_ASSERT_WRITE_LOCKED(&inode->i_rwsem);
	down_write(&inode->dax_sem);
	ext2_truncate_blocks(inode, ext2_i_size(inode));
	up_write(&inode->dax_sem);
	if (orphan)
		ext2_orphan_del(inode);
	ext2_prealloc_forget(inode); /* freed with the rest */
}

/* Zero [from, to) within one block of the file, if that block is mapped. */
static int zero_in_block(struct ext2_inode_info *inode, uint64_t from, uint64_t to)
{
	struct ext2_sb_info *fs = inode->fs;
	uint32_t pblk, count;
	bool is_new;
	int ret;

	if (from >= to)
		return 0;
	ret = ext2_bmap(inode, from >> fs->blocksize_bits, 1, false, &pblk,
			 &count, &is_new);
	if (ret || !pblk)
		return ret;
	if (dax_zero_guarded(fs->rgn, (unsigned char *)ext2_block(fs, pblk) +
			     (from & (fs->blocksize - 1)), to - from, 0))
		return err_set(-EIO, "I/O error zeroing file offsets [%llu, "
			       "%llu): the memory there is lost or poisoned",
			       (unsigned long long)from,
			       (unsigned long long)to);
	return 0;
}

/* Zero the bytes past size in its last block (truncate down). */
int ext2_zero_tail(struct ext2_inode_info *inode, uint64_t size)
{
	uint64_t bmask = inode->fs->blocksize - 1;

	if (!(size & bmask))
		return 0;
	return zero_in_block(inode, size, (size | bmask) + 1);
}

/* Log [old, to) of the old EOF's block as bytes to zero on undo (see
 * ext2.h): a crash before the write commits leaves no data past EOF. */
void ext2_jlog_tail(struct ext2_inode_info *inode, uint64_t old, uint64_t to)
{
	struct ext2_sb_info *fs = inode->fs;
	uint64_t end = (old | (fs->blocksize - 1)) + 1;
	uint32_t pblk, count;
	bool is_new;

	if (!ext2_jcur || to <= old || !(old & (fs->blocksize - 1)) ||
	    ext2_bmap(inode, old >> fs->blocksize_bits, 1, false, &pblk,
		      &count, &is_new) || !pblk)
		return;
	ext2_jlog_zero((unsigned char *)ext2_block(fs, pblk) +
		       (old & (fs->blocksize - 1)), (to < end ? to : end) - old);
}

/*
 * The file grows from old bytes to at least to (a write at to, or a
 * truncate up to it): bytes past the old EOF in its last block may hold
 * anything (other tools and crashes leave old data there), so zero
 * [old, to) within that block and persist the zeros before the size
 * moves (the kernel's iomap_zero_range/block_truncate_page).  Costs
 * nothing when old is block-aligned or the write starts at old (an
 * append).  Called with i_rwsem held exclusively.
 */
int ext2_zero_past_eof(struct ext2_inode_info *inode, uint64_t old,
		       uint64_t to)
{
	uint64_t end = (old | (inode->fs->blocksize - 1)) + 1;

	DAXFS_ASSERT_WRITE_LOCKED(&inode->i_rwsem);
	if (to <= old || !(old & (inode->fs->blocksize - 1)))
		return 0;
	return zero_in_block(inode, old, to < end ? to : end);
}

/*
 * Truncate down under dax_sem: one atomic operation (journal.h) sets the
 * new size and puts the file on the orphan chain; then, rolled forward
 * (orphan.c finishes it after a crash), the tail of the new last block
 * is zeroed and the blocks past it freed, and the file leaves the chain.
 */
static int setsize_down(struct ext2_inode_info *inode, uint64_t size)
{
	struct ext2_jh h;
	bool mine;
	int ret;

	/* No view may reach the pages past the new size: unmap them before
	 * any block is freed. */
	dax_truncate(&inode->i_mapping,
		     (size + DAX_PAGE_SIZE - 1) >> DAX_PAGE_SHIFT);
	ext2_jbegin(inode->fs, &h);
	mine = ext2_orphan_add(inode);
	ext2_inode_set_size(inode, size);
	ext2_jcommit(&h);
	/* A tail whose memory is lost (-EIO) cannot be zeroed, and reads
	 * of it fail anyway: the blocks past it are freed all the same. */
	ret = ext2_zero_tail(inode, size);
	if (!ret || ret == -EIO)
		ret = ext2_truncate_blocks(inode, size);
	if (mine)
		ext2_orphan_del(inode);
	return ret;
}

/* Truncate up under dax_sem: bytes past the old EOF in its block must
 * read as zeros (not logged: nothing reads them before the size moves),
 * then the size moves in one atomic operation (i_size and i_size_high). */
static int setsize_up(struct ext2_inode_info *inode, uint64_t old,
		      uint64_t size)
{
	struct ext2_jh h;
	int ret = ext2_zero_past_eof(inode, old, size);

	if (ret)
		return ret;
	ext2_jbegin(inode->fs, &h);
	ext2_inode_set_size(inode, size);
	ext2_jcommit(&h);
	return 0;
}

/*
 * Change the size of a regular file (ext2_setsize): the bytes between the
 * old and new sizes read as zeros afterwards.  Called with i_rwsem held
 * exclusively; takes dax_sem exclusively so that no fault maps a block
 * being freed.
 */
int ext2_setsize(struct ext2_inode_info *inode, uint64_t size)
{
	struct ext2_sb_info *fs = inode->fs;
	uint64_t old = ext2_i_size(inode);
	int ret = 0;

	DAXFS_ASSERT_WRITE_LOCKED(&inode->i_rwsem);
	if (size > ext2_max_file_size(fs))
		return err_set(-EFBIG, "size %llu exceeds the largest ext2 "
				 "file (%llu bytes)", (unsigned long long)size,
				 (unsigned long long)ext2_max_file_size(fs));
	if (size == old)
		return 0;
	ext2_prealloc_trim(inode); /* nothing past EOF but what truncate frees */
	down_write(&inode->dax_sem);
	if (size < old)
		ret = setsize_down(inode, size);
	else
		ret = setsize_up(inode, old, size);
	up_write(&inode->dax_sem);
	/* After dax_sem: the view registry comes before it (mmap.c). */
	if (!ret && size > old)
		ext2_size_grew(inode, old, size);
	if (!ret)
		ext2_inode_touch(inode, true, true);
	return ret;
}
