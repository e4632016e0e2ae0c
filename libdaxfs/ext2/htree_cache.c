/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * htree_cache.c -- what an indexed directory (htree.c) keeps in DRAM: the
 * address of each of its blocks as the block map last gave it (so a
 * lookup walks root, node and leaf without a block map lookup), per
 * leaf, a record that had free room (so an insert does not walk its
 * leaf) and a table of its names.  Made at the directory's second use
 * (ext2_dx_indexed: one lookup, as after a mount, allocates nothing) with
 * nothing read from the media, and filled as blocks are used, DX_CHUNK
 * blocks at a time, a leaf's table of names at the second lookup in the
 * leaf with the cache there (one walks the leaf, whatever the size of
 * the directory); dropped with the inode when the inode cache evicts it
 * (counted in its charge through ext2_dir_index_bytes) and whenever the
 * directory stops being indexed.
 *
 * The addresses are a cache of the block map: filled by lookups under
 * i_rwsem held shared (relaxed atomic stores of a value every filler
 * computes alike), changed only under i_rwsem held exclusively, where a
 * block is switched (dx_switch) or appended.  The room hints are read and
 * written only under i_rwsem held exclusively.  A hint is a record's
 * offset and the bytes it had free; an insert checks the record before
 * it trusts the hint, and walks the leaf when the record has too little.
 * A failed step only loses the cache (the next call works without it).
 */
#include <errno.h>
#include <string.h>

#include "daxfs.h"
#include "core/mem.h"
#include "ext2/htree.h"

/* The entries of DX_CHUNK consecutive blocks, made when one of them is
 * first used (a lookup touches three: root, node, leaf). */
#define DX_CHUNK 32u

struct dx_chunk {
	unsigned char *_Atomic addr[DX_CHUNK]; /* a block's bytes, or NULL */
	uint32_t room[DX_CHUNK];        /* offset << 16 | free bytes of a
					   record, 0 unknown */
	struct dx_leaf *_Atomic leaf[DX_CHUNK]; /* a leaf's names, or NULL */
	_Atomic uint8_t bits[DX_CHUNK]; /* log2 of its table's slots, stored
					   before the table: a lookup reads
					   the mask from this hot line, not
					   from the table's header */
	_Atomic uint64_t walked;        /* per block: a lookup walked it
					   (its table is made at the next) */
};

struct ext2_dx_cache {
	uint32_t nblocks;               /* blocks of the directory */
	uint32_t cap;                   /* room in chunk[], in chunks */
	struct dx_chunk *_Atomic *chunk; /* per DX_CHUNK blocks, or NULL */
	_Atomic size_t bytes;           /* DRAM the cache takes: itself, its
					   array of chunks, the chunks and
					   leaf tables */
};

/* A leaf's table of cap slots and, after it, the offsets of its names in
 * increasing order (to find the record before one without a walk). */
static size_t dx_leaf_size(uint32_t cap)
{
	return sizeof(struct dx_leaf) + cap * (sizeof(struct dx_name) + 2);
}

/* The offsets of l's names in increasing order (l->n of them). */
static uint16_t *dx_sorted(const struct dx_leaf *l)
{
	return (uint16_t *)&l->e[l->cap];
}

/* How many of l's names lie before off. */
static unsigned dx_rank(const struct dx_leaf *l, uint32_t off)
{
	const uint16_t *s = dx_sorted(l);
	unsigned lo = 0, hi = l->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (s[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The chunk that holds block lblk of c, or NULL if none was made. */
static struct dx_chunk *dx_chunk_of(struct ext2_dx_cache *c, uint32_t lblk)
{
	if (!c || lblk >= c->nblocks)
		return NULL;
	return atomic_load(&c->chunk[lblk / DX_CHUNK]);
}

/* The chunk that holds block lblk of c (< nblocks), made now if needed
 * (lookups may race to make it: one wins); NULL if memory is short. */
static struct dx_chunk *dx_chunk_get(struct ext2_dx_cache *c, uint32_t lblk)
{
	struct dx_chunk *k = atomic_load(&c->chunk[lblk / DX_CHUNK]), *none;

	if (k)
		return k;
	k = mem_zalloc(sizeof(*k));
	if (!k)
		return NULL;
	none = NULL;
	if (!atomic_compare_exchange_strong(&c->chunk[lblk / DX_CHUNK], &none,
					    k)) {
		mem_free(k); /* another lookup made it first */
		return none;
	}
	atomic_fetch_add(&c->bytes, mem_size(sizeof(*k)));
	return k;
}

/* Drop the names of block lblk (in chunk k) of c (i_rwsem held
 * exclusively, or c is going away). */
static void dx_leaf_drop(struct ext2_dx_cache *c, struct dx_chunk *k,
			 uint32_t lblk)
{
	struct dx_leaf *l = atomic_exchange(&k->leaf[lblk % DX_CHUNK], NULL);

	if (l) {
		atomic_fetch_sub(&c->bytes, mem_size(dx_leaf_size(l->cap)));
		mem_free(l);
	}
}

/* Forget block lblk of c: address, hint and names (i_rwsem held
 * exclusively, or c is going away). */
static void dx_entry_clear(struct ext2_dx_cache *c, uint32_t lblk)
{
	struct dx_chunk *k = dx_chunk_of(c, lblk);

	if (!k)
		return;
	atomic_store(&k->addr[lblk % DX_CHUNK], NULL);
	k->room[lblk % DX_CHUNK] = 0;
	atomic_fetch_and(&k->walked, ~(1ull << lblk % DX_CHUNK));
	dx_leaf_drop(c, k, lblk);
}

static void dx_cache_destroy(struct ext2_dx_cache *c)
{
	uint32_t i;

	if (!c)
		return;
	for (i = 0; i < c->nblocks; i++)
		dx_entry_clear(c, i);
	for (i = 0; i < c->cap; i++)
		mem_free(atomic_load(&c->chunk[i]));
	mem_free(c->chunk);
	mem_free(c);
}

/* Make c cover n blocks (the new ones unknown; chunks are made on first
 * use): 0, or -ENOMEM with c unchanged. */
static int dx_cache_resize(struct ext2_dx_cache *c, uint32_t n)
{
	uint32_t need = (n + DX_CHUNK - 1) / DX_CHUNK, cap = c->cap ? c->cap : 4;
	void *a;

	while (n < c->nblocks)
		dx_entry_clear(c, --c->nblocks);
	while (cap < need)
		cap *= 2;
	if (cap != c->cap) {
		a = mem_realloc(c->chunk, cap * sizeof(*c->chunk));
		if (!a)
			return -ENOMEM;
		atomic_fetch_add(&c->bytes, mem_size(cap * sizeof(*c->chunk)) -
			(c->cap ? mem_size(c->cap * sizeof(*c->chunk)) : 0));
		c->chunk = a;
		memset(c->chunk + c->cap, 0, (cap - c->cap) *
		       sizeof(*c->chunk));
		c->cap = cap;
	}
	c->nblocks = n;
	return 0;
}

/* Leaf lb - 1 (lb 0: none) was walked before the cache of its directory
 * was made: its next lookup makes its table, as if the cache had seen
 * the walk. */
static void dx_note_walked(struct ext2_dx_cache *c, uint32_t lb)
{
	struct dx_chunk *k;

	if (lb && lb - 1 < c->nblocks && (k = dx_chunk_get(c, lb - 1)))
		atomic_fetch_or(&k->walked, 1ull << (lb - 1) % DX_CHUNK);
}

/* The cache of the indexed dir, made when ext2_dx_indexed starts it
 * (at the directory's second use, the root checked: a cache means an
 * index this code reads); NULL if memory is short (callers work without
 * it).  Nothing of it grows with the directory but one pointer per
 * DX_CHUNK blocks.  Caller holds i_rwsem. */
static struct ext2_dx_cache *dx_cache_get(struct ext2_inode_info *dir)
{
	struct ext2_dx_cache *c = atomic_load(&dir->dx), *none = NULL;

	if (c)
		return c;
	c = mem_zalloc(sizeof(*c));
	if (c)
		atomic_init(&c->bytes, mem_size(sizeof(*c)));
	if (!c || dx_cache_resize(c, dx_nblocks(dir))) {
		dx_cache_destroy(c);
		return NULL;
	}
	if (!atomic_compare_exchange_strong(&dir->dx, &none, c)) {
		dx_cache_destroy(c); /* another lookup made it first */
		return none;
	}
	dx_note_walked(c, atomic_exchange(&dir->dx_first_leaf, 0));
	return c;
}

/* The cached bytes of block lblk of dir, or NULL if not known. */
unsigned char *ext2_dx_cache_addr(struct ext2_inode_info *dir, uint32_t lblk)
{
	struct dx_chunk *k = dx_chunk_of(atomic_load(&dir->dx), lblk);

	if (!k)
		return NULL;
	return atomic_load_explicit(&k->addr[lblk % DX_CHUNK],
				    memory_order_relaxed);
}

/* Remember that block lblk of dir is at blk (as the block map says). */
void ext2_dx_cache_set_addr(struct ext2_inode_info *dir, uint32_t lblk,
			    unsigned char *blk)
{
	struct ext2_dx_cache *c = atomic_load(&dir->dx);
	struct dx_chunk *k;

	if (c && lblk < c->nblocks && (k = dx_chunk_get(c, lblk)))
		atomic_store_explicit(&k->addr[lblk % DX_CHUNK], blk,
				      memory_order_relaxed);
}

/* Block lblk of dir is now blk, a new block with other contents (a
 * switch): its hint is dropped.  i_rwsem held exclusively. */
void ext2_dx_cache_switched(struct ext2_inode_info *dir, uint32_t lblk,
			    unsigned char *blk)
{
	struct ext2_dx_cache *c = atomic_load(&dir->dx);

	DAXFS_ASSERT_WRITE_LOCKED(&dir->i_rwsem);
	if (!c || lblk >= c->nblocks)
		return;
	dx_entry_clear(c, lblk);
	ext2_dx_cache_set_addr(dir, lblk, blk);
}

/* dir has grown to its current size (a block appended).  i_rwsem held
 * exclusively. */
void ext2_dx_cache_grown(struct ext2_inode_info *dir)
{
	struct ext2_dx_cache *c = atomic_load(&dir->dx);

	DAXFS_ASSERT_WRITE_LOCKED(&dir->i_rwsem);
	if (c && dx_cache_resize(c, dx_nblocks(dir)))
		ext2_dx_cache_free(dir); /* lost, not wrong */
}

/* The hint of leaf lblk: a record's offset and its free bytes (0 if
 * none is known).  i_rwsem held exclusively. */
uint32_t ext2_dx_cache_room(struct ext2_inode_info *dir, uint32_t lblk,
			    uint32_t *off)
{
	struct dx_chunk *k = dx_chunk_of(atomic_load(&dir->dx), lblk);

	if (!k)
		return 0;
	*off = k->room[lblk % DX_CHUNK] >> 16;
	return k->room[lblk % DX_CHUNK] & 0xffff;
}

/* Set the hint of leaf lblk: the record at off has room free bytes.
 * i_rwsem held exclusively. */
void ext2_dx_cache_set_room(struct ext2_inode_info *dir, uint32_t lblk,
			    uint32_t off, uint32_t room)
{
	struct ext2_dx_cache *c = atomic_load(&dir->dx);
	struct dx_chunk *k;

	if (c && lblk < c->nblocks && (k = dx_chunk_get(c, lblk)))
		k->room[lblk % DX_CHUNK] = off << 16 | (room & 0xffff);
}

/* Whether dir has a cache (ext2_dx_indexed's fast answer). */
bool ext2_dx_cache_present(struct ext2_inode_info *dir)
{
	return atomic_load(&dir->dx) != NULL;
}

/* Start the cache of dir, which ext2_dx_indexed has just checked. */
void ext2_dx_cache_start(struct ext2_inode_info *dir)
{
	dx_cache_get(dir);
}

/* Drop dir's cache (eviction, or dir is no longer indexed as it was). */
void ext2_dx_cache_free(struct ext2_inode_info *dir)
{
	dx_cache_destroy(atomic_exchange(&dir->dx, NULL));
}

/* Bytes of DRAM dir's cache takes (for the inode cache's charge). */
size_t ext2_dx_cache_bytes(struct ext2_inode_info *dir)
{
	struct ext2_dx_cache *c = atomic_load(&dir->dx);

	if (!c)
		return 0;
	return atomic_load(&c->bytes);
}

/* Count the live names of leaf blk (logical bi), checking each record:
 * their number, or -EUCLEAN. */
static int dx_leaf_count(struct ext2_inode_info *dir, unsigned char *blk,
			 uint32_t bi)
{
	uint32_t off = 0;
	int n = 0;

	while (off < dir->fs->blocksize) {
		struct ext2_dir_entry_2 *de = (void *)(blk + off);

		if (!dx_de_sound(dir->fs, off, de)) {
			int ret = ext2_dir_de_check(dir, bi, off, de);

			return ret ? ret : -EUCLEAN;
		}
		n += de->inode != 0;
		off += le16_get(de->rec_len);
	}
	return n;
}

/* Slots for n names: a power of two, at least 16, with a quarter free
 * (probes stay short: about 2.5 for a name present, 8.5 for an absent
 * one, within a cache line or two). */
static uint32_t dx_leaf_cap(uint32_t n)
{
	uint32_t cap = 16;

	while (cap * 3 < n * 4)
		cap *= 2;
	return cap;
}

/* log2 of l's slots. */
static uint8_t dx_leaf_bits(const struct dx_leaf *l)
{
	return (uint8_t)__builtin_ctz(l->cap);
}

/* An empty table of cap slots, or NULL. */
static struct dx_leaf *dx_leaf_alloc(uint32_t cap)
{
	struct dx_leaf *l = mem_alloc(dx_leaf_size(cap));

	if (!l)
		return NULL;
	l->n = 0;
	l->cap = (uint16_t)cap;
	memset(l->e, 0xff, cap * sizeof(struct dx_name)); /* DX_SLOT_FREE */
	return l;
}

/* Put the name at off with tag into l, which has a free slot. */
static void dx_slot_put(struct dx_leaf *l, uint16_t off, uint16_t tag)
{
	unsigned m = l->cap - 1u, i = tag & m, r = dx_rank(l, off);
	uint16_t *s = dx_sorted(l);

	while (l->e[i].off != DX_SLOT_FREE)
		i = (i + 1) & m;
	l->e[i].off = off;
	l->e[i].tag = tag;
	memmove(&s[r + 1], &s[r], (l->n - r) * sizeof(*s));
	s[r] = off;
	l->n++;
}

/* Free slot i of l, moving back the names after it that probing would
 * no longer reach (deletion from a linear-probing table). */
static void dx_slot_del(struct dx_leaf *l, unsigned i)
{
	unsigned m = l->cap - 1u, j = i, home, r = dx_rank(l, l->e[i].off);
	uint16_t *s = dx_sorted(l);

	memmove(&s[r], &s[r + 1], (l->n - r - 1) * sizeof(*s));
	for (;;) {
		j = (j + 1) & m;
		if (l->e[j].off == DX_SLOT_FREE)
			break;
		home = l->e[j].tag & m;
		/* stays if its home lies cyclically in (i, j] */
		if (i < j ? home > i && home <= j : home > i || home <= j)
			continue;
		l->e[i] = l->e[j];
		i = j;
	}
	l->e[i].off = DX_SLOT_FREE;
	l->n--;
}

/* A table of the n live names of the checked leaf blk, or NULL. */
static struct dx_leaf *dx_leaf_make(struct ext2_sb_info *fs,
				    unsigned char *blk, int n)
{
	struct dx_leaf *l = dx_leaf_alloc(dx_leaf_cap((uint32_t)n + 4));
	uint32_t off = 0;

	if (!l)
		return NULL;
	while (off < fs->blocksize) {
		struct ext2_dir_entry_2 *de = (void *)(blk + off);

		if (de->inode)
			dx_slot_put(l, (uint16_t)off,
				    dx_tag(de->name, de->name_len));
		off += le16_get(de->rec_len);
	}
	return l;
}

/* The names of leaf lblk (bytes blk) of dir: *out is the table, made
 * from one walk that checks every record the second time the leaf is
 * looked in (a leaf looked in once, as after a mount, costs one walk
 * and no DRAM), or NULL the first time, when dir has no cache or memory
 * is short (the caller walks the leaf); -EUCLEAN for a bad record.
 * Caller holds i_rwsem. */
int ext2_dx_cache_names(struct ext2_inode_info *dir, uint32_t lblk,
			unsigned char *blk, const struct dx_leaf **out,
			unsigned *mask)
{
	struct ext2_dx_cache *c = atomic_load(&dir->dx);
	struct dx_leaf *l, *none = NULL;
	struct dx_chunk *k;
	int n;

	*out = NULL;
	if (!c) { /* the directory's first use: the cache remembers it */
		atomic_store_explicit(&dir->dx_first_leaf, lblk + 1,
				      memory_order_relaxed);
		return 0;
	}
	if (lblk >= c->nblocks || !(k = dx_chunk_get(c, lblk)))
		return 0;
	*out = atomic_load(&k->leaf[lblk % DX_CHUNK]);
	*mask = (1u << atomic_load_explicit(&k->bits[lblk % DX_CHUNK],
					    memory_order_relaxed)) - 1;
	if (*out || !(atomic_fetch_or(&k->walked, 1ull << lblk % DX_CHUNK) &
		      1ull << lblk % DX_CHUNK))
		return 0;
	n = dx_leaf_count(dir, blk, lblk);
	if (n < 0)
		return n;
	l = dx_leaf_make(dir->fs, blk, n);
	if (!l)
		return 0;
	/* (a lookup racing to make it computes the same size) */
	atomic_store(&k->bits[lblk % DX_CHUNK], dx_leaf_bits(l));
	if (!atomic_compare_exchange_strong(&k->leaf[lblk % DX_CHUNK], &none,
					    l)) {
		mem_free(l); /* another lookup made it first */
		*out = none;
		*mask = none->cap - 1u; /* (the mask read above was before it) */
		return 0;
	}
	atomic_fetch_add(&c->bytes, mem_size(dx_leaf_size(l->cap)));
	*out = l;
	*mask = l->cap - 1u;
	return 0;
}

/* l with twice the slots, its names moved over (l freed), or NULL with
 * l as it was. */
static struct dx_leaf *dx_leaf_grow(struct dx_leaf *l)
{
	struct dx_leaf *nl = l->cap * 2u > 32768u ? NULL :
			     dx_leaf_alloc(l->cap * 2u);
	unsigned i;

	if (!nl)
		return NULL;
	for (i = 0; i < l->cap; i++)
		if (l->e[i].off != DX_SLOT_FREE)
			dx_slot_put(nl, l->e[i].off, l->e[i].tag);
	mem_free(l);
	return nl;
}

/* name was written at off of leaf lblk: into the leaf's table, if it has
 * one.  i_rwsem held exclusively. */
void ext2_dx_cache_name_added(struct ext2_inode_info *dir, uint32_t lblk,
			      uint32_t off, const char *name, size_t len)
{
	struct ext2_dx_cache *c = atomic_load(&dir->dx);
	struct dx_chunk *k = dx_chunk_of(c, lblk);
	struct dx_leaf *l, *nl;

	if (!k || !(l = k->leaf[lblk % DX_CHUNK]))
		return;
	if ((l->n + 1u) * 4 > l->cap * 3u) {
		nl = dx_leaf_grow(l);
		if (!nl) {
			dx_leaf_drop(c, k, lblk); /* lost, not wrong */
			return;
		}
		/* doubled: as many slots again */
		atomic_fetch_add(&c->bytes,
				 mem_size(dx_leaf_size(nl->cap)) -
				 mem_size(dx_leaf_size(nl->cap / 2u)));
		atomic_store(&k->bits[lblk % DX_CHUNK], dx_leaf_bits(nl));
		atomic_store(&k->leaf[lblk % DX_CHUNK], nl);
		l = nl;
	}
	dx_slot_put(l, (uint16_t)off, dx_tag(name, len));
}

/* The name (name, len) at off of leaf lblk was taken out: out of the
 * leaf's table.  i_rwsem held exclusively. */
void ext2_dx_cache_name_removed(struct ext2_inode_info *dir, uint32_t lblk,
				uint32_t off, const char *name, size_t len)
{
	struct ext2_dx_cache *c = atomic_load(&dir->dx);
	struct dx_chunk *k = dx_chunk_of(c, lblk);
	struct dx_leaf *l;
	unsigned m, i, n;

	if (!k || !(l = k->leaf[lblk % DX_CHUNK]))
		return;
	m = l->cap - 1u;
	for (i = dx_tag(name, len) & m, n = 0;
	     n <= m && l->e[i].off != DX_SLOT_FREE; i = (i + 1) & m, n++)
		if (l->e[i].off == off) {
			dx_slot_del(l, i);
			return;
		}
	dx_leaf_drop(c, k, lblk); /* out of step: rebuilt on the next lookup */
}

/* Where the record before the one at off of leaf lblk starts, from the
 * leaf's table of names: the last live name before off, else 0 (the
 * block's first record, unused).  false if the leaf has no table.  The
 * caller checks the record it gets.  i_rwsem held exclusively. */
bool ext2_dx_cache_prev(struct ext2_inode_info *dir, uint32_t lblk,
			uint32_t off, uint32_t *prev_off)
{
	struct dx_chunk *k = dx_chunk_of(atomic_load(&dir->dx), lblk);
	struct dx_leaf *l;
	unsigned r;

	if (!k || !(l = k->leaf[lblk % DX_CHUNK]))
		return false;
	r = dx_rank(l, off);
	*prev_off = r ? dx_sorted(l)[r - 1] : 0;
	return true;
}
