/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * icache.c -- eviction from the inode cache: the LRU of unreferenced
 * inodes and the DRAM budget they live in (the kernel's inode shrinker,
 * prune_icache_sb).  The hash chains, iget and iput are inode.c's.
 *
 * What pins an inode (keeps its struct, and a directory's index, in
 * DRAM): its reference count, and nothing else.  Every user of an inode
 * holds a reference for as long as it holds the pointer:
 *   - an open file (daxfs_open to daxfs_close);
 *   - a view (daxfs_map takes one, the view's release drops it), so a
 *     fault, which reaches the inode through a view, always finds it;
 *   - a path walk, per component, and each call's parent and victim
 *     (lookup, create, unlink, rename, link, rmdir, readdir, stat);
 *   - the mount's root (fs->root, for the mount's life);
 *   - orphan recovery at mount, while it finishes an inode.
 * Whoever holds an i_rwsem, dax_sem, bmap_lock, dir_build_lock or the
 * directory index of an inode holds a reference to it, and truncate,
 * fallocate and unlink in flight hold one, so eviction never races with
 * them.  The journal holds no inode pointer (only numbers and bytes).
 * The orphan chain links inode structs: an inode on it (inode->orphan)
 * is never evicted, though whoever put it there holds a reference too.
 * A directory's children do not pin it: a child's ".." is read from the
 * media, and an evicted directory's index is rebuilt on its next lookup.
 *
 * The LRU, as the kernel's list_lru of inodes: an inode with links goes
 * on it at its last iput, oldest first, and is left there when it is
 * used again (iget only counts a reference: the path walk's hot path
 * takes no global lock); its next release marks it used (lru_used).
 * Every cached inode is charged its bytes (struct, directory index,
 * extent cache; counted when it was last released), and the hash table
 * of the chains its fixed bytes, so that the budget bounds all of the
 * cache's DRAM whatever the number of files (issue 15).  When the charge of
 * the cache passes the limit, the iput that passed it scans from the old
 * end until the charge is below the limit by a slack: an inode found
 * referenced is taken off the list (its next release puts it back), one
 * marked used gets a second chance at the recent end, and the others are
 * evicted.  The scan decides under the inode's stripe lock and the LRU
 * lock, both held: refcount, and the links of an inode with links, only
 * change under the stripe lock, so one found there with no reference is
 * out of everyone's reach once it is off its hash chain.  The LRU lock
 * comes after the stripe locks (ext2.h); the evictor, which starts from
 * the LRU, only trylocks a stripe lock and passes an inode whose lock is
 * busy.
 */
#include <errno.h>
#include <stdatomic.h>

#include "core/mem.h"
#include "ext2/ext2.h"

/* The default budget: a fixed size plus a share of the region. */
#define ICACHE_LIMIT_BASE ((size_t)64 << 20)
#define ICACHE_LIMIT_SHARE 512 /* 1/512 of the region's bytes */
/* Eviction stops below the limit by 1/ICACHE_SLACK of it. */
#define ICACHE_SLACK 64
/* Busy stripe locks passed before an eviction pass gives up. */
#define ICACHE_BUSY_MAX 64

struct ext2_icache {
	pthread_mutex_t lock;         /* the LRU list and its count */
	struct ext2_inode_info *head; /* least recently used */
	struct ext2_inode_info *tail; /* most recently used */
	uint64_t unused;              /* inodes on the list (some may have
					 been referenced since) */
	atomic_size_t bytes;          /* charge of every cached inode, and
					 the table */
	size_t table;                 /* the hash chains and their locks:
					 fixed at mount, in the budget */
	atomic_size_t limit;          /* the budget, bytes */
	size_t inode_bytes;           /* the size class of an inode struct */
	atomic_uint_fast64_t inodes;  /* inode structs cached */
	atomic_uint_fast64_t evictions;
	atomic_flag shrinking;        /* one evictor at a time */
};

/* Set up fs's LRU with the default budget. */
int ext2_lru_init(struct ext2_sb_info *fs)
{
	struct ext2_icache *ic = mem_zalloc(sizeof(*ic));

	if (!ic)
		return err_set(-ENOMEM, "out of memory for the inode cache");
	pthread_mutex_init(&ic->lock, NULL);
	ic->table = mem_size((fs->icache_mask + 1) * sizeof(*fs->icache)) +
		    mem_size(EXT2_ICACHE_LOCKS * sizeof(*fs->icache_locks));
	atomic_init(&ic->bytes, ic->table);
	ic->inode_bytes = mem_size(sizeof(struct ext2_inode_info));
#ifdef DAXFS_ICACHE_LIMIT_DEFAULT /* a stress build: -D...=0 evicts all */
	atomic_init(&ic->limit, DAXFS_ICACHE_LIMIT_DEFAULT);
#else
	atomic_init(&ic->limit, ICACHE_LIMIT_BASE +
				fs->rgn->size / ICACHE_LIMIT_SHARE);
#endif
	atomic_flag_clear(&ic->shrinking);
	fs->ic = ic;
	return 0;
}

/* Free fs's LRU; the inode structs are freed by the caller. */
void ext2_lru_destroy(struct ext2_sb_info *fs)
{
	if (!fs->ic)
		return;
	pthread_mutex_destroy(&fs->ic->lock);
	mem_free(fs->ic);
	fs->ic = NULL;
}

/* Count a new inode struct (its stripe lock held). */
void ext2_lru_charge_new(struct ext2_inode_info *inode)
{
	struct ext2_icache *ic = inode->fs->ic;

	inode->charge = ic->inode_bytes;
	atomic_fetch_add(&ic->bytes, inode->charge);
	atomic_fetch_add(&ic->inodes, 1);
}

/* Stop counting an inode struct about to be freed (off the LRU). */
void ext2_lru_uncharge(struct ext2_inode_info *inode)
{
	struct ext2_icache *ic = inode->fs->ic;

	if (!ic || !inode->charge)
		return;
	atomic_fetch_sub(&ic->bytes, inode->charge);
	atomic_fetch_sub(&ic->inodes, 1);
	inode->charge = 0;
}

/* Take inode off the list; the LRU lock held. */
static void lru_unlink(struct ext2_icache *ic, struct ext2_inode_info *inode)
{
	if (inode->lru_prev)
		inode->lru_prev->lru_next = inode->lru_next;
	else
		ic->head = inode->lru_next;
	if (inode->lru_next)
		inode->lru_next->lru_prev = inode->lru_prev;
	else
		ic->tail = inode->lru_prev;
	inode->lru_prev = inode->lru_next = NULL;
	inode->on_lru = false;
	ic->unused--;
}

/* Put inode at the recent end of the list; the LRU lock held. */
static void lru_append(struct ext2_icache *ic, struct ext2_inode_info *inode)
{
	inode->lru_prev = ic->tail;
	inode->lru_next = NULL;
	if (ic->tail)
		ic->tail->lru_next = inode;
	else
		ic->head = inode;
	ic->tail = inode;
	inode->on_lru = true;
	ic->unused++;
}

/* inode lost its last reference and has links: recount its bytes, and
 * list it (or, listed already, mark it used).  Its stripe lock held. */
void ext2_lru_add(struct ext2_inode_info *inode)
{
	struct ext2_icache *ic = inode->fs->ic;
	size_t charge = ic->inode_bytes + ext2_dir_index_bytes(inode) +
			ext2_extent_cache_bytes(inode);

	if (charge != inode->charge) {
		atomic_fetch_add(&ic->bytes, charge - inode->charge);
		inode->charge = charge;
	}
	if (inode->on_lru) {
		inode->lru_used = true;
		return;
	}
	inode->lru_used = false;
	pthread_mutex_lock(&ic->lock);
	lru_append(ic, inode);
	pthread_mutex_unlock(&ic->lock);
}

/* Take inode off the list: it is about to be freed (its last link is
 * gone).  Its stripe lock held. */
void ext2_lru_del(struct ext2_inode_info *inode)
{
	struct ext2_icache *ic = inode->fs->ic;

	pthread_mutex_lock(&ic->lock);
	lru_unlink(ic, inode);
	pthread_mutex_unlock(&ic->lock);
}

/* Decide for the listed inode in, its stripe lock and the LRU lock
 * held: true if it is to be evicted (taken off the list and its hash
 * chain), else it is taken off the list or moved to its recent end. */
static bool lru_isolate(struct ext2_icache *ic, struct ext2_inode_info *in,
			struct ext2_inode_info **pp)
{
	if (in->refcount > 0 || in->orphan || in->freed) {
		lru_unlink(ic, in); /* in use: listed again at its release */
		return false;
	}
	if (in->lru_used) { /* a second chance */
		in->lru_used = false;
		lru_unlink(ic, in);
		lru_append(ic, in);
		return false;
	}
	lru_unlink(ic, in);
	ext2_icache_chain_remove(pp, in);
	return true;
}

/* Take the least recently used inode that nothing refers to off the
 * LRU and its hash chain, or NULL (none, or only busy ones after a
 * scan of the whole list).  *busy counts the stripe locks found taken. */
static struct ext2_inode_info *lru_take(struct ext2_sb_info *fs,
					unsigned *busy)
{
	struct ext2_icache *ic = fs->ic;
	struct ext2_inode_info *in, *next, **pp;
	pthread_mutex_t *lock;
	uint64_t scan;
	bool take = false;

	pthread_mutex_lock(&ic->lock);
	scan = 2 * ic->unused + 1; /* each inode, and once more if moved */
	for (in = ic->head; in && scan-- && *busy < ICACHE_BUSY_MAX;
	     in = next) {
		next = in->lru_next;
		pp = ext2_icache_chain(fs, in->ino, &lock);
		if (pthread_mutex_trylock(lock)) {
			(*busy)++;
			continue;
		}
		take = lru_isolate(ic, in, pp);
		pthread_mutex_unlock(lock);
		if (take)
			break;
		if (!next) /* round again: the moved ones are due now */
			next = ic->head;
	}
	pthread_mutex_unlock(&ic->lock);
	return take ? in : NULL;
}

/* Evict unreferenced inodes, least recently used first, while the cache
 * is over its limit (to the limit less a slack).  Called with no icache
 * lock held; one thread evicts at a time, the others go on. */
void ext2_icache_shrink(struct ext2_sb_info *fs)
{
	struct ext2_icache *ic = fs->ic;
	size_t limit = atomic_load(&ic->limit);
	size_t target = limit - limit / ICACHE_SLACK;
	struct ext2_inode_info *in;
	unsigned busy = 0;

	if (atomic_load(&ic->bytes) <= limit ||
	    atomic_flag_test_and_set(&ic->shrinking))
		return;
	while (atomic_load(&ic->bytes) > target &&
	       (in = lru_take(fs, &busy))) {
		ext2_inode_free_struct(in);
		atomic_fetch_add(&ic->evictions, 1);
	}
	atomic_flag_clear(&ic->shrinking);
}

/* daxfs_set_cache_limit: set the budget and evict down to it now. */
int ext2_set_cache_limit(struct daxfs *vfs, size_t bytes)
{
	struct ext2_sb_info *fs = EXT2_SB(vfs);

	atomic_store(&fs->ic->limit, bytes);
	ext2_icache_shrink(fs);
	return 0;
}

/* daxfs_cache_stats: what the inode cache holds now. */
int ext2_cache_stats(struct daxfs *vfs, struct daxfs_cache_stats *st)
{
	struct ext2_icache *ic = EXT2_SB(vfs)->ic;

	st->limit = atomic_load(&ic->limit);
	st->bytes = atomic_load(&ic->bytes);
	st->inodes = atomic_load(&ic->inodes);
	pthread_mutex_lock(&ic->lock);
	st->unused = ic->unused;
	pthread_mutex_unlock(&ic->lock);
	st->evictions = atomic_load(&ic->evictions);
	st->table = ic->table;
	return 0;
}
