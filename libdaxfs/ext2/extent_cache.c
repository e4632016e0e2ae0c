/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * extent_cache.c -- a small per-inode cache of the block map's mapped
 * runs, read without locks (ext4's extent status tree in miniature).
 *
 * An ext2 lookup walks up to three indirect blocks, each a cache and TLB
 * miss on a large file; the cache answers from a few hot cache lines
 * instead, and without the block-map lock.  It holds only mapped runs
 * (logical block -> physical block, length), sorted and disjoint.  A
 * mapped block never moves in ext2: the only change that makes an entry
 * wrong is freeing, and ext2_truncate_blocks empties the cache, under
 * bmap_lock held exclusively, before it frees anything.
 *
 * Size: a cache starts with EXTENT_CACHE_FIRST slots (a directory or a
 * small file needs one or two) and doubles when a fill finds it full, up
 * to EXTENT_CACHE_SLOTS; then a slot is given up round robin.  A reader
 * may still be in the table a doubling replaced: that table is marked
 * dead (its sequence count left odd, so readers go to the new one) and
 * freed with the inode.
 *
 * Locking: readers take nothing.  They read under the sequence count seq
 * and retry (or fall back to the block-map walk) when a writer ran
 * meanwhile.  Writers (a fill after a walk, the emptying by truncate) hold
 * the cache's lock, a leaf below bmap_lock: a fill is called with
 * bmap_lock held shared, the emptying with it held exclusively.  The
 * entries are atomics read relaxed, ordered by seq's acquire/release.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/mem.h"
#include "ext2/ext2.h"

#define EXTENT_CACHE_FIRST 4    /* slots of a new cache */
#define EXTENT_CACHE_SLOTS 128  /* slots at most */

/* One mapped run.  key = first logical block << 32 | length. */
struct extent_slot {
	_Atomic uint64_t key;
	_Atomic uint32_t pblk;
};

struct ext2_extent_cache {
	atomic_uint seq;              /* odd while a writer changes slots
				       * (for good once replaced) */
	atomic_uint n;                /* slots in use, sorted by lblk */
	uint32_t cap;                 /* slots there are */
	uint32_t victim;              /* next slot to replace when full */
	pthread_mutex_t *lock;        /* writers: the first table's own;
				       * see the top of the file */
	pthread_mutex_t own;
	struct ext2_extent_cache *old; /* the table this one replaced */
	size_t bytes;                 /* DRAM of this table and the ones it
				       * replaced (the inode cache's charge) */
	struct extent_slot slot[];
};

static inline uint32_t key_lblk(uint64_t key)
{
	return key >> 32;
}

static inline uint32_t key_len(uint64_t key)
{
	return (uint32_t)key;
}

/* The slot index of the last run starting at or before lblk, or -1. */
static int slot_before(struct ext2_extent_cache *c, uint32_t n,
		       uint32_t lblk)
{
	int lo = 0, hi = (int)n - 1, found = -1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		uint64_t k = atomic_load_explicit(&c->slot[mid].key,
						  memory_order_relaxed);

		if (key_lblk(k) <= lblk) {
			found = mid;
			lo = mid + 1;
		} else {
			hi = mid - 1;
		}
	}
	return found;
}

bool ext2_extent_cache_lookup(struct ext2_inode_info *inode, uint32_t lblk,
			       uint32_t max, uint32_t *pblk, uint32_t *count)
{
	int tries;

	for (tries = 0; tries < 4; tries++) {
		struct ext2_extent_cache *c = atomic_load_explicit(
			&inode->extents, memory_order_acquire);
		unsigned s;
		uint32_t n, p = 0, left = 0;
		uint64_t k = 0;
		int i;

		if (!c)
			return false;
		s = atomic_load_explicit(&c->seq, memory_order_acquire);
		if (s & 1)
			continue; /* a writer runs, or c was replaced */
		n = atomic_load_explicit(&c->n, memory_order_relaxed);
		if (n > c->cap)
			continue; /* torn: a writer ran */
		i = slot_before(c, n, lblk);
		if (i >= 0) {
			k = atomic_load_explicit(&c->slot[i].key,
						 memory_order_relaxed);
			p = atomic_load_explicit(&c->slot[i].pblk,
						 memory_order_relaxed);
		}
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&c->seq, memory_order_relaxed) != s)
			continue;
		if (i < 0 || lblk - key_lblk(k) >= key_len(k))
			return false;
		left = key_len(k) - (lblk - key_lblk(k));
		*pblk = p + (lblk - key_lblk(k));
		*count = left < max ? left : max;
		return true;
	}
	return false;
}

/* Start and end a change of c's slots (the seqcount's writer side). */
static void cache_write_begin(struct ext2_extent_cache *c)
{
	unsigned s = atomic_load_explicit(&c->seq, memory_order_relaxed);

	atomic_store_explicit(&c->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static void cache_write_end(struct ext2_extent_cache *c)
{
	unsigned s = atomic_load_explicit(&c->seq, memory_order_relaxed);

	atomic_store_explicit(&c->seq, s + 1, memory_order_release);
}

static void slot_set(struct ext2_extent_cache *c, uint32_t i, uint32_t lblk,
		     uint32_t len, uint32_t pblk)
{
	atomic_store_explicit(&c->slot[i].key, (uint64_t)lblk << 32 | len,
			      memory_order_relaxed);
	atomic_store_explicit(&c->slot[i].pblk, pblk, memory_order_relaxed);
}

static void slot_get(struct ext2_extent_cache *c, uint32_t i, uint32_t *lblk,
		     uint32_t *len, uint32_t *pblk)
{
	uint64_t k = atomic_load_explicit(&c->slot[i].key, memory_order_relaxed);

	*lblk = key_lblk(k);
	*len = key_len(k);
	*pblk = atomic_load_explicit(&c->slot[i].pblk, memory_order_relaxed);
}

/* Move slots [from, n) by delta places (n updated by the caller). */
static void slots_shift(struct ext2_extent_cache *c, uint32_t n,
			uint32_t from, int delta)
{
	uint32_t l, len, p, i;

	if (delta > 0) {
		for (i = n; i-- > from;) {
			slot_get(c, i, &l, &len, &p);
			slot_set(c, i + delta, l, len, p);
		}
	} else if (delta < 0) {
		for (i = from; i < n; i++) {
			slot_get(c, i, &l, &len, &p);
			slot_set(c, i + delta, l, len, p);
		}
	}
}

/* An empty table of cap slots, or NULL. */
static struct ext2_extent_cache *cache_alloc(uint32_t cap)
{
	size_t size = sizeof(struct ext2_extent_cache) +
		      cap * sizeof(struct extent_slot);
	struct ext2_extent_cache *c = mem_zalloc(size);

	if (c) {
		c->cap = cap;
		c->bytes = mem_size(size);
	}
	return c;
}

/* The cache of inode, made on first use, with its lock held; NULL when
 * out of memory (the cache is only an accelerator). */
static struct ext2_extent_cache *cache_lock(struct ext2_inode_info *inode)
{
	struct ext2_extent_cache *c = atomic_load(&inode->extents), *expect;

	if (!c) {
		c = cache_alloc(EXTENT_CACHE_FIRST);
		if (!c)
			return NULL;
		pthread_mutex_init(&c->own, NULL);
		c->lock = &c->own;
		expect = NULL;
		if (!atomic_compare_exchange_strong(&inode->extents, &expect,
						    c)) {
			pthread_mutex_destroy(&c->own);
			mem_free(c);
			c = expect;
		}
	}
	pthread_mutex_lock(c->lock);
	return atomic_load(&inode->extents); /* (a doubling may have run) */
}

/* Double full table c of inode (its lock held): the new table, or c
 * when it is as large as it gets or memory is short. */
static struct ext2_extent_cache *cache_grow(struct ext2_inode_info *inode,
					    struct ext2_extent_cache *c)
{
	struct ext2_extent_cache *nc;
	uint32_t n = atomic_load_explicit(&c->n, memory_order_relaxed);

	if (c->cap >= EXTENT_CACHE_SLOTS || !(nc = cache_alloc(c->cap * 2)))
		return c;
	nc->lock = c->lock;
	nc->victim = c->victim;
	nc->old = c;
	nc->bytes += c->bytes;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t l, len, p;

		slot_get(c, i, &l, &len, &p);
		slot_set(nc, i, l, len, p);
	}
	atomic_store_explicit(&nc->n, n, memory_order_relaxed);
	atomic_store_explicit(&inode->extents, nc, memory_order_release);
	cache_write_begin(c); /* dead: its readers go to nc */
	return nc;
}

void ext2_extent_cache_insert(struct ext2_inode_info *inode, uint32_t lblk,
			       uint32_t pblk, uint32_t len)
{
	struct ext2_extent_cache *c;
	uint32_t n, first, last, i, l, ln, p;
	uint64_t end = (uint64_t)lblk + len;

	if (!len || end > UINT32_MAX)
		return;
	c = cache_lock(inode);
	if (!c)
		return;
	n = atomic_load_explicit(&c->n, memory_order_relaxed);
	/*
	 * Slots that overlap or touch the new run and continue it on the
	 * media too merge into it; the map does not change under a fill, so
	 * overlapping slots agree with it.
	 */
	i = (uint32_t)(slot_before(c, n, lblk) + 1);
	first = i;
	if (i > 0) {
		slot_get(c, i - 1, &l, &ln, &p);
		if ((uint64_t)l + ln >= lblk && p + (lblk - l) == pblk) {
			first = i - 1;
			if ((uint64_t)l + ln > end)
				end = (uint64_t)l + ln;
			lblk = l;
			pblk = p;
		}
	}
	for (last = i; last < n; last++) {
		slot_get(c, last, &l, &ln, &p);
		if (l > end || pblk + (l - lblk) != p)
			break;
		if ((uint64_t)l + ln > end)
			end = (uint64_t)l + ln;
	}
	len = end - lblk;
	if (first == last && n == c->cap)
		c = cache_grow(inode, c);
	cache_write_begin(c);
	if (first == last && n == c->cap) {
		/* Full: give up one slot, round robin. */
		uint32_t v = c->victim++ % n;

		slots_shift(c, n, v + 1, -1);
		n--;
		if (v < first)
			first--;
		last = first;
	}
	/* Slots [first, last) become the one run. */
	if (last - first != 1)
		slots_shift(c, n, last, (int)(first + 1) - (int)last);
	n += 1 - (last - first);
	slot_set(c, first, lblk, len, pblk);
	atomic_store_explicit(&c->n, n, memory_order_relaxed);
	cache_write_end(c);
	pthread_mutex_unlock(c->lock);
}

/* Forget every run (blocks are about to be freed); readers retry. */
void ext2_extent_cache_clear(struct ext2_inode_info *inode)
{
	struct ext2_extent_cache *c = atomic_load(&inode->extents);

	if (!c)
		return;
	pthread_mutex_lock(c->lock);
	c = atomic_load(&inode->extents); /* (a doubling may have run) */
	cache_write_begin(c);
	atomic_store_explicit(&c->n, 0, memory_order_relaxed);
	cache_write_end(c);
	pthread_mutex_unlock(c->lock);
}

/* Free the cache with its inode; no reader can be left. */
void ext2_extent_cache_free(struct ext2_inode_info *inode)
{
	struct ext2_extent_cache *c = atomic_exchange(&inode->extents, NULL);

	while (c) {
		struct ext2_extent_cache *old = c->old;

		if (!old)
			pthread_mutex_destroy(&c->own);
		mem_free(c);
		c = old;
	}
}

/* Bytes of DRAM inode's extent cache takes (0 when it has none). */
size_t ext2_extent_cache_bytes(struct ext2_inode_info *inode)
{
	struct ext2_extent_cache *c = atomic_load(&inode->extents);

	return c ? c->bytes : 0;
}
