/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * journal.c -- the undo journal: every operation that changes the file
 * system atomic across a crash (issue 11, design family (a): an own
 * fine-grained undo log, with roll-forward of frees through the orphan
 * chain, orphan.c).
 *
 * Where.  The log is the blocks of reserved inode 5 (EXT2_BOOT_LOADER_INO,
 * which e2fsck lets own the blocks of a regular file): one header of 4 KiB
 * and EXT2_JSLOTS slots of EXT2_JSLOT_SIZE, contiguous on the region.
 * daxfs_mkfs makes it; a read-write mount makes it when inode 5 is empty
 * (mke2fs images), in an order a crash cannot break (jlog_make).  The
 * header ties the log to the superblock (s_mnt_count and s_mtime, the
 * mount time, which only a mount changes: s_wtime moves during a mount);
 * e2fsck resets s_mnt_count, so a log is never replayed over an image
 * e2fsck has repaired since.  While mounted read-write the private
 * INCOMPAT bit 0x80000000 is set, so the kernel and e2fsck refuse the
 * image until libdaxfs has recovered it; a clean unmount clears it.
 *
 * Slots.  An operation (ext2_jbegin .. ext2_jcommit, around the whole
 * change under the locks that guard it) takes a free slot (a DRAM bitmap,
 * one word) at its first record and writes its state word: one aligned
 * 8-byte store holding the slot's generation, ACTIVE and a check of both
 * (a torn write is impossible; a check that fails on an ACTIVE word is
 * damage).  An operation that logs nothing (an overwrite) never takes
 * one.  Records follow the word: (region offset, length or bit run,
 * kind, generation, checksum) and, for bytes, the old bytes.  Each record
 * is flushed and fenced (with the state word, for the first) before the
 * store it covers is flushed: PMDK's undo order.  A record that is torn,
 * or left from an earlier use of the slot (another generation), fails
 * its checksum and ends the slot's list.  Commit: every covered store is
 * persisted already (the code persists each as it did before the log);
 * the bits the operation freed are cleared under their group locks, then
 * the state word is set IDLE, flushed and drained, then the group locks
 * go; all before the caller releases the locks that guard the logged
 * bytes.
 *
 * What is logged.
 *   - Bytes one operation owns under its locks (inode fields, directory
 *     entries, i_size, links): their old bytes.  A new inode and new
 *     blocks are owned whole ("fresh"): later stores into them log
 *     nothing.
 *   - Pointers into a hole, and bytes past EOF an append writes into its
 *     last block: a ZERO record (undo writes zeros), no bytes.
 *   - i_blocks, which faults on other blocks of the file move too: an
 *     IBLOCKS record; undo recounts it from the block map.
 *   - Bitmap bits set, which concurrent operations share under short
 *     group locks: a logical record, written under the group lock before
 *     the bits change; undo clears them.  Bits an operation frees (its
 *     own allocations, on failure paths) stay set until its commit.
 *   - Group and superblock counters are not logged: recovery recomputes
 *     them from the bitmaps.  Times are not logged.
 * Frees that outlive one operation (unlink's last link, truncate down, a
 * failed write's blocks past EOF) are rolled forward instead: the
 * operation puts the inode on the orphan chain, and the blocks are freed
 * after its commit in an order a second run finishes (orphan.c, bmap.c).
 * Writes that allocate many extents commit in steps (ext2_jrestart), the
 * size covering each step; a hole below EOF filled by a fault or a write
 * commits on its own before bmap_lock is dropped (ext2_jpush).
 *
 * Recovery (ext2_journal_load, read-write, INCOMPAT set and the tie
 * good): every slot's records are checked first (a damaged state word or
 * a record outside the file system fails the mount with -EUCLEAN,
 * nothing changed); then each ACTIVE slot is undone newest record first,
 * persisted; i_blocks named by IBLOCKS records are recounted; the group
 * counters (free blocks, free inodes, directories) and the superblock's
 * are recomputed from the bitmaps and the inode table and persisted;
 * the slots are set IDLE; then (super.c) the orphans are finished, stray
 * deletion times fixed and the counters recomputed again.  Every step
 * is idempotent (old bytes and zeros written again, bits cleared again,
 * counts recomputed, frees finished), so a crash during recovery
 * recovers again.  Bounded by EXT2_JSLOTS x 4 KiB of records, the blocks
 * of the orphans, and two passes over the bitmaps and inode tables.
 */
#include <endian.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "ext2/bitmap.h"
#include "ext2/ext2.h"
#include "ext2/journal.h"

typedef uint64_t le64;
#define le64_get(x) le64toh(x)
#define le64_put(v) htole64(v)

#define JHDR_MAGIC 0x474f4c5346584144ull  /* "DAXFSLOG" */
#define JHDR_SIZE 4096u
#define JLOG_BYTES (JHDR_SIZE + EXT2_JSLOTS * EXT2_JSLOT_SIZE)
#define JSTATE_ACTIVE 0xa5c1u
#define JREC_BYTES 1u                     /* old bytes follow */
#define JREC_BITS_SET 2u                  /* bits were set: undo clears */
#define JREC_BITS_CLR 3u                  /* bits were cleared: undo sets */
#define JREC_ZERO 4u                      /* undo zeroes len bytes */
#define JREC_IBLOCKS 5u                   /* undo recounts an i_blocks */
#define JREC_MAX 256                      /* records per slot, at most */
#define JHDR_UNCLEAN 1u                   /* not clean before that mount */

/* The log header, block 0 of inode 5. */
struct jhdr {
	le64 magic;
	le32 version;
	le32 nslots;
	le32 slot_size;
	le32 mnt_count;                  /* the superblock's, at mount */
	le32 mtime;                      /* s_mtime: the mount's time */
	le32 flags;                      /* JHDR_UNCLEAN */
	le32 check;                      /* of the fields above */
};

/* One record's header; bytes records are followed by len old bytes. */
struct jrec {
	le64 off;                        /* region offset (bitmap: of bit 0) */
	le32 len;                        /* bytes, or the first bit */
	le32 count;                      /* bits; 0 for bytes */
	le32 kind;                       /* JREC_* */
	le32 gen;                        /* the slot's generation */
	le32 csum;                       /* of this header and the bytes */
	le32 pad;
};
_Static_assert(sizeof(struct jrec) == 32, "jrec is 32 bytes");

/* The mounted log. */
struct ext2_journal {
	unsigned char *log;              /* the header, on media */
	uint32_t first_blk;              /* first data block of the log */
	_Atomic uint64_t free_slots;     /* bit i: slot i is free */
	uint32_t gen[EXT2_JSLOTS];       /* next generation, by slot owner */
};

__thread struct ext2_jh *ext2_jcur;

/* FNV-1a over [p, p+n), continued from h. */
static uint32_t jsum(uint32_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

/* The state word of a slot: generation, ACTIVE or 0, and their check. */
static uint64_t jstate_word(uint32_t gen, bool active)
{
	uint64_t st = active ? JSTATE_ACTIVE : 0;
	uint64_t w = gen | st << 32;
	uint32_t c = jsum(2166136261u, &w, 6);

	return w | (uint64_t)(c & 0xffff) << 48;
}

/* Decode a state word: 1 active, 0 idle, -1 damaged. */
static int jstate_parse(uint64_t w, uint32_t *gen)
{
	uint64_t st = (w >> 32) & 0xffff;

	*gen = (uint32_t)w;
	if (w == 0)
		return 0; /* never used since the log was made */
	if (st != 0 && st != JSTATE_ACTIVE)
		return -1;
	if (w != jstate_word((uint32_t)w, st != 0))
		return -1;
	return st != 0;
}

static inline unsigned char *jslot(struct ext2_journal *j, unsigned i)
{
	return j->log + JHDR_SIZE + (size_t)i * EXT2_JSLOT_SIZE;
}

/* The checksum of record r (csum field excluded) and its bytes. */
static uint32_t jrec_sum(const struct jrec *r, const void *bytes)
{
	uint32_t h = jsum(2166136261u, r, offsetof(struct jrec, csum));

	return jsum(h, bytes, le32_get(r->kind) == JREC_BYTES ?
			       le32_get(r->len) : 0);
}

/* Take a free slot: one CAS on the DRAM bitmap (yield while all 64 are
 * in use). */
static unsigned jslot_take(struct ext2_journal *j)
{
	uint64_t f = atomic_load(&j->free_slots);

	for (;;) {
		if (!f) {
			sched_yield();
			f = atomic_load(&j->free_slots);
			continue;
		}
		if (atomic_compare_exchange_weak(&j->free_slots, &f,
						 f & (f - 1)))
			return (unsigned)__builtin_ctzll(f);
	}
}

/* Give h a slot and write its ACTIVE state word (flushed, fenced with
 * the first record). */
static void jslot_open(struct ext2_jh *h)
{
	struct ext2_journal *j = h->fs->journal;
	le64 *word;

	h->slot = jslot_take(j);
	h->gen = j->gen[h->slot]++;
	h->base = jslot(j, h->slot);
	h->used = 64; /* the state word's line */
	word = (le64 *)h->base;
	__atomic_store_n(word, le64_put(jstate_word(h->gen, true)),
			 __ATOMIC_RELAXED);
	region_flush(h->fs->rgn, word, 8);
}

/* Append a record to the thread's slot, flush it and fence; the first
 * fence also carries the state word written by jslot_open. */
static void jappend(struct ext2_jh *h, uint64_t off, uint32_t len,
		    uint32_t count, uint32_t kind, const void *bytes)
{
	struct ext2_sb_info *fs = h->fs;
	size_t dlen = kind == JREC_BYTES ? len : 0;
	size_t need = sizeof(struct jrec) + ((dlen + 7) & ~(size_t)7);
	struct jrec *r;

	if (!h->base)
		jslot_open(h);
	r = (struct jrec *)(h->base + h->used);
	if (h->used + need > EXT2_JSLOT_SIZE) {
		/* Bounded by the operations logged (< 2 KiB each): a bug. */
		ext2_corrupt(fs, "journal slot %u overflows", h->slot);
		return;
	}
	r->off = le64_put(off);
	r->len = le32_put(len);
	r->count = le32_put(count);
	r->kind = le32_put(kind);
	r->gen = le32_put(h->gen);
	r->pad = 0;
	if (dlen)
		memcpy(r + 1, bytes, dlen);
	r->csum = le32_put(jrec_sum(r, r + 1));
	region_flush(fs->rgn, r, sizeof(*r) + dlen);
	if (!h->batch)
		region_drain(fs->rgn);
	h->used += need;
}

/* Is [p, p+len) inside a range the current operation owns? */
static bool jowned(const struct ext2_jh *h, uintptr_t p, size_t len)
{
	unsigned i;

	for (i = 0; i < h->nfresh; i++)
		if (p >= h->fresh[i].lo && p + len <= h->fresh[i].hi)
			return true;
	return false;
}

/* Own [p, p+len) (ext2_jcover). */
void ext2_jcover_slow(const void *p, size_t len)
{
	struct ext2_jh *h = ext2_jcur;

	if (!h->fs || h->nfresh == EXT2_JFRESH)
		return; /* then later stores are logged: correct, slower */
	h->fresh[h->nfresh].lo = (uintptr_t)p;
	h->fresh[h->nfresh].hi = (uintptr_t)p + len;
	h->nfresh++;
}

/* Log old bytes (ext2_jlog, ext2_jlog_fresh). */
void ext2_jlog_slow(const void *p, size_t len, bool fresh)
{
	struct ext2_jh *h = ext2_jcur;

	if (!h->fs || jowned(h, (uintptr_t)p, len))
		return;
	jappend(h, (const unsigned char *)p - h->fs->base, len, 0,
		JREC_BYTES, p);
	if (fresh)
		ext2_jcover_slow(p, len);
}

/* Log that [p, p+len) must read as zeros if undone (ext2_jlog_zero). */
void ext2_jlog_zero_slow(const void *p, size_t len)
{
	struct ext2_jh *h = ext2_jcur;

	if (!h->fs || jowned(h, (uintptr_t)p, len))
		return;
	jappend(h, (const unsigned char *)p - h->fs->base, len, 0, JREC_ZERO,
		NULL);
}

/* Log a change of an inode's i_blocks (ext2_jlog_iblocks). */
void ext2_jlog_iblocks_slow(const uint32_t *p)
{
	struct ext2_jh *h = ext2_jcur;

	if (!h->fs || jowned(h, (uintptr_t)p, 4))
		return;
	jappend(h, (const unsigned char *)p - h->fs->base, 4, 0,
		JREC_IBLOCKS, NULL);
}

/* Log a bitmap change (ext2_jlog_bits). */
void ext2_jlog_bits_slow(const uint8_t *bm, uint32_t bit, uint32_t n,
			 bool set)
{
	struct ext2_jh *h = ext2_jcur;

	if (!h->fs)
		return;
	jappend(h, bm - h->fs->base, bit, n,
		set ? JREC_BITS_SET : JREC_BITS_CLR, NULL);
}

/* Start an atomic operation (see journal.h).  No slot is taken until
 * the first record: an operation that logs nothing (an overwrite, a
 * failed lookup) costs no store to the log. */
void ext2_jbegin(struct ext2_sb_info *fs, struct ext2_jh *h)
{
	h->fs = NULL;
	h->base = NULL;
	h->batch = false;
	h->nfresh = 0;
	h->ndefer = 0;
	h->cap = EXT2_JDEFER;
	h->defer = h->inline_defer;
	if (ext2_jcur || !fs->journal)
		return; /* nested: the outer operation's handle logs */
	h->fs = fs;
	ext2_jcur = h;
}

/* Make room for n more deferred frees (see journal.h). */
int ext2_jdefer_reserve(unsigned n)
{
	struct ext2_jh *h = ext2_jcur;
	struct ext2_jdefer *d;

	if (!h || !h->fs || h->ndefer + n <= h->cap)
		return 0;
	d = mem_alloc((h->ndefer + n) * sizeof(*d));
	if (!d)
		return err_set(-ENOMEM, "out of memory for %u frees", n);
	memcpy(d, h->defer, h->ndefer * sizeof(*d));
	if (h->defer != h->inline_defer)
		mem_free(h->defer);
	h->defer = d;
	h->cap = h->ndefer + n;
	return 0;
}

/* Records from now on are flushed but not fenced (see journal.h). */
void ext2_jbatch(bool on)
{
	struct ext2_jh *h = ext2_jcur;

	if (h && h->fs)
		h->batch = on;
}

/* Bytes of records the thread's operation may still log. */
size_t ext2_jroom(void)
{
	struct ext2_jh *h = ext2_jcur;

	if (!h || !h->fs)
		return EXT2_JSLOT_SIZE;
	return EXT2_JSLOT_SIZE - (h->base ? h->used : 64);
}

/* Keep a free till the commit (see journal.h). */
bool ext2_jdefer_free(bool inode, uint32_t start, uint32_t count)
{
	struct ext2_jh *h = ext2_jcur;

	if (!h || !h->fs || h->ndefer == h->cap)
		return false;
	h->defer[h->ndefer].start = start;
	h->defer[h->ndefer].count = count;
	h->defer[h->ndefer].inode = inode;
	h->ndefer++;
	return true;
}

/* The group of deferred free i. */
static uint32_t jdefer_group(struct ext2_sb_info *fs, struct ext2_jh *h,
			     unsigned i)
{
	if (h->defer[i].inode)
		return (h->defer[i].start - 1) / fs->inodes_per_group;
	return (h->defer[i].start - fs->first_data_block) /
	       fs->blocks_per_group;
}

/* Lock (or unlock) the groups of h's deferred frees, each once, in
 * ascending order (the one place two group locks are held: ext2.h). */
static void jdefer_lock(struct ext2_sb_info *fs, struct ext2_jh *h,
			bool lock)
{
	uint32_t last = UINT32_MAX, g, next;
	unsigned i;

	for (;;) {
		next = UINT32_MAX;
		for (i = 0; i < h->ndefer; i++) {
			g = jdefer_group(fs, h, i);
			if ((last == UINT32_MAX || g > last) && g < next)
				next = g;
		}
		if (next == UINT32_MAX)
			return;
		if (lock)
			pthread_mutex_lock(&fs->groups[next].lock);
		else
			pthread_mutex_unlock(&fs->groups[next].lock);
		last = next;
	}
}

/* Log deferred free i as bits cleared (undo sets them: the blocks an
 * atomic write replaced are the file's again), group lock held. */
static void jdefer_log(struct ext2_sb_info *fs, struct ext2_jh *h,
		       unsigned i)
{
	uint32_t g = jdefer_group(fs, h, i), bit;
	const uint8_t *bm;

	if (h->defer[i].inode) {
		bit = (h->defer[i].start - 1) % fs->inodes_per_group;
		bm = ext2_block(fs, fs->groups[g].inode_bitmap);
	} else {
		bit = h->defer[i].start - ext2_group_first_block(fs, g);
		bm = ext2_block(fs, fs->groups[g].block_bitmap);
	}
	jappend(h, bm - fs->base, bit, h->defer[i].count, JREC_BITS_CLR,
		NULL);
}

/* Forget h's deferred frees (done), giving back a grown list. */
static void jdefer_done(struct ext2_jh *h)
{
	h->ndefer = 0;
	if (h->defer != h->inline_defer)
		mem_free(h->defer);
	h->defer = h->inline_defer;
	h->cap = EXT2_JDEFER;
}

/* Write the IDLE word of h's slot, persisted, and free the slot. */
static void jslot_close(struct ext2_sb_info *fs, struct ext2_jh *h)
{
	le64 *word = (le64 *)h->base;

	__atomic_store_n(word, le64_put(jstate_word(h->gen, false)),
			 __ATOMIC_RELAXED);
	region_persist(fs->rgn, word, 8);
	atomic_fetch_or(&fs->journal->free_slots, 1ull << h->slot);
}

/* Commit (see journal.h): the IDLE word is durable before this returns;
 * deferred frees are done under their group locks before it. */
void ext2_jcommit(struct ext2_jh *h)
{
	struct ext2_sb_info *fs = h->fs;
	unsigned i;

	if (!fs)
		return;
	ext2_jcur = NULL;
	if (!h->ndefer) {
		if (h->base)
			jslot_close(fs, h);
		jdefer_done(h);
		return;
	}
	jdefer_lock(fs, h, true);
	for (i = 0; i < h->ndefer; i++)
		jdefer_log(fs, h, i);
	for (i = 0; i < h->ndefer; i++)
		if (h->defer[i].inode)
			ext2_clear_inode_bit_locked(fs, h->defer[i].start);
		else
			ext2_clear_block_bits_locked(fs, h->defer[i].start,
						     h->defer[i].count);
	region_drain(fs->rgn);
	if (h->base)
		jslot_close(fs, h);
	jdefer_lock(fs, h, false);
	jdefer_done(h);
}

/* Start an operation of its own on fs while the thread may be inside
 * another (see journal.h); *prev keeps the outer one. */
void ext2_jpush(struct ext2_sb_info *fs, struct ext2_jh *h,
		struct ext2_jh **prev)
{
	*prev = ext2_jcur;
	ext2_jcur = NULL;
	ext2_jbegin(fs, h);
}

/* Commit the operation ext2_jpush started and resume the outer one. */
void ext2_jpop(struct ext2_jh *h, struct ext2_jh *prev)
{
	ext2_jcommit(h);
	ext2_jcur = prev;
}

/* Commit what the thread's operation did so far and go on as a new one
 * (a long write whose records would outgrow the slot). */
void ext2_jrestart(void)
{
	struct ext2_jh *h = ext2_jcur;
	struct ext2_sb_info *fs;

	if (!h || !h->fs)
		return;
	fs = h->fs;
	ext2_jcommit(h);
	ext2_jbegin(fs, h);
}

/* Is the thread's slot so full that its operation should restart? */
bool ext2_jlow(void)
{
	struct ext2_jh *h = ext2_jcur;

	return h && h->base && h->used > EXT2_JSLOT_SIZE - 1024;
}

/* ---- the log on media: finding it, making it ------------------------ */

/* Data blocks of the log (a multiple of the block size). */
static uint32_t jlog_nblocks(struct ext2_sb_info *fs)
{
	return (JLOG_BYTES + fs->blocksize - 1) >> fs->blocksize_bits;
}

/* The check of a header. */
static uint32_t jhdr_check(const struct jhdr *hd)
{
	return jsum(2166136261u, hd, offsetof(struct jhdr, check));
}

/* Does inode 5 map n blocks from b0 in order (ind: its indirect
 * block, or NULL)? */
static bool jlog_layout(struct ext2_sb_info *fs, const struct ext2_inode *raw,
			uint32_t b0, uint32_t n)
{
	const le32 *ind = NULL;
	uint32_t i;

	if (!ext2_block_valid(fs, b0) || (uint64_t)b0 + n > fs->blocks_count)
		return false;
	if (n > EXT2_NDIR_BLOCKS) {
		uint32_t ib = le32_get(raw->i_block[EXT2_IND_BLOCK]);

		if (!ext2_block_valid(fs, ib))
			return false;
		ind = ext2_block(fs, ib);
	}
	for (i = 0; i < n; i++) {
		uint32_t b = i < EXT2_NDIR_BLOCKS ? le32_get(raw->i_block[i])
				: le32_get(ind[i - EXT2_NDIR_BLOCKS]);

		if (b != b0 + i)
			return false;
	}
	return true;
}

/*
 * Find the log in inode 5: 0 with *first its first block; 0 with *first
 * 0 when inode 5 is empty; 1 with *first when inode 5 maps a log whose
 * header was never written (its making was cut short); -ENOENT when
 * inode 5 holds something else (a boot loader: never written by us).
 */
static int jlog_find(struct ext2_sb_info *fs, uint32_t *first)
{
	struct ext2_inode *raw = ext2_raw_inode(fs, EXT2_JOURNAL_INO);
	uint32_t n = jlog_nblocks(fs), b0 = le32_get(raw->i_block[0]);
	const struct jhdr *hd;

	*first = 0;
	if (!le16_get(raw->i_mode))
		return 0; /* empty, or a log whose making stopped before */
	if (n > EXT2_NDIR_BLOCKS + fs->addr_per_block ||
	    le16_get(raw->i_mode) != (S_IFREG | 0600) ||
	    le32_get(raw->i_size) != n << fs->blocksize_bits ||
	    !jlog_layout(fs, raw, b0, n))
		return -ENOENT;
	*first = b0;
	hd = ext2_block(fs, b0);
	if (le64_get(hd->magic) != JHDR_MAGIC || le32_get(hd->version) != 1 ||
	    le32_get(hd->nslots) != EXT2_JSLOTS ||
	    le32_get(hd->slot_size) != EXT2_JSLOT_SIZE ||
	    le32_get(hd->check) != jhdr_check(hd))
		return 1;
	return 0;
}

/* Set the INCOMPAT bit (persisted): from now on only libdaxfs opens
 * the image until a clean unmount. */
static void jset_incompat(struct ext2_sb_info *fs)
{
	struct ext2_super_block *es = fs->es;

	pthread_mutex_lock(&fs->sb_lock);
	es->s_feature_incompat = le32_put(le32_get(es->s_feature_incompat) |
					  EXT2_FEATURE_INCOMPAT_DAXFS_LOG);
	ext2_persist(fs, &es->s_feature_incompat, 4);
	pthread_mutex_unlock(&fs->sb_lock);
}

/* Write inode 5 as the owner of the log's blocks (and of ind). */
static void jlog_write_inode(struct ext2_sb_info *fs, uint32_t first,
			     uint32_t n, uint32_t ind)
{
	struct ext2_inode *raw = ext2_raw_inode(fs, EXT2_JOURNAL_INO);
	le32 *ib = ind ? ext2_block(fs, ind) : NULL;
	uint32_t i, now = ext2_now();

	if (ib) {
		fs->rgn->memset(ib, 0, fs->blocksize, PMEM2_F_MEM_NODRAIN);
		for (i = EXT2_NDIR_BLOCKS; i < n; i++)
			ib[i - EXT2_NDIR_BLOCKS] = le32_put(first + i);
		region_flush(fs->rgn, ib, fs->blocksize);
	}
	region_drain(fs->rgn); /* the map before the inode */
	memset(raw, 0, fs->inode_size);
	raw->i_links_count = le16_put(1);
	raw->i_size = le32_put(n << fs->blocksize_bits);
	raw->i_blocks = le32_put((n + (ind != 0)) << (fs->blocksize_bits - 9));
	raw->i_atime = raw->i_ctime = raw->i_mtime = le32_put(now);
	for (i = 0; i < n && i < EXT2_NDIR_BLOCKS; i++)
		raw->i_block[i] = le32_put(first + i);
	raw->i_block[EXT2_IND_BLOCK] = le32_put(ind);
	ext2_persist(fs, raw, fs->inode_size);
	/* The mode last: inode 5 without one is empty (jlog_find). */
	raw->i_mode = le16_put(S_IFREG | 0600);
	ext2_persist(fs, &raw->i_mode, 2);
}

/* Finish a log inode 5 maps from first: its blocks marked in use, zeroed,
 * the header written last.  Idempotent. */
static void jlog_complete(struct ext2_sb_info *fs, uint32_t first)
{
	struct ext2_inode *raw = ext2_raw_inode(fs, EXT2_JOURNAL_INO);
	uint32_t n = jlog_nblocks(fs), ind;
	struct jhdr *hd;

	ind = n > EXT2_NDIR_BLOCKS ? le32_get(raw->i_block[EXT2_IND_BLOCK]) : 0;
	ext2_mark_blocks(fs, first, n);
	if (ind)
		ext2_mark_blocks(fs, ind, 1);
	fs->rgn->memset(ext2_block(fs, first), 0,
			(size_t)n << fs->blocksize_bits, PMEM2_F_MEM_NODRAIN);
	region_drain(fs->rgn);
	hd = ext2_block(fs, first);
	hd->magic = le64_put(JHDR_MAGIC);
	hd->version = le32_put(1);
	hd->nslots = le32_put(EXT2_JSLOTS);
	hd->slot_size = le32_put(EXT2_JSLOT_SIZE);
	hd->check = le32_put(jhdr_check(hd));
	ext2_persist(fs, hd, sizeof(*hd));
}

/*
 * Make the log in inode 5 (empty), in an order a crash cannot break:
 * the INCOMPAT bit first (no other tool writes the image from then on),
 * then inode 5 mapping free blocks found, then jlog_complete (the blocks
 * taken, zeroed, the header).  A mount after a crash meets the bit with
 * inode 5 empty (nothing was taken) or mapping a log without a header
 * (ext2_journal_load completes it).
 */
static int jlog_make(struct ext2_sb_info *fs, uint32_t *out)
{
	uint32_t n = jlog_nblocks(fs), ind = n > EXT2_NDIR_BLOCKS, first;
	int ret;

	if (n > EXT2_NDIR_BLOCKS + fs->addr_per_block)
		return err_set(-EINVAL, "blocks too small for the log");
	ret = ext2_find_free_run(fs, n + ind, &first);
	if (ret)
		return ret;
	jset_incompat(fs);
	jlog_write_inode(fs, first, n, ind ? first + n : 0);
	jlog_complete(fs, first);
	*out = first;
	return 0;
}

/* Make the DRAM side of the log at block first. */
static int jlog_attach(struct ext2_sb_info *fs, uint32_t first)
{
	struct ext2_journal *j = mem_zalloc(sizeof(*j));
	unsigned i;

	if (!j)
		return err_set(-ENOMEM, "out of memory for the journal");
	j->log = ext2_block(fs, first);
	j->first_blk = first;
	atomic_init(&j->free_slots, ~0ull);
	for (i = 0; i < EXT2_JSLOTS; i++) {
		uint32_t gen;

		jstate_parse(le64_get(*(le64 *)jslot(j, i)), &gen);
		j->gen[i] = gen + 1;
	}
	fs->journal = j;
	return 0;
}

/* ---- recovery ------------------------------------------------------- */

/* The records of one slot: their addresses, oldest first. */
struct jlist {
	const struct jrec *rec[JREC_MAX];
	unsigned n;
};

/* The bitmap at region offset off: its bit count, or 0 if off is no
 * group's block or inode bitmap. */
static uint32_t jbitmap_bits(struct ext2_sb_info *fs, uint64_t off)
{
	uint32_t g;

	for (g = 0; g < fs->groups_count; g++) {
		uint64_t bb = (uint64_t)fs->groups[g].block_bitmap
			      << fs->blocksize_bits;
		uint64_t ib = (uint64_t)fs->groups[g].inode_bitmap
			      << fs->blocksize_bits;

		if (off == bb)
			return ext2_group_nblocks(fs, g);
		if (off == ib)
			return fs->inodes_per_group;
	}
	return 0;
}

/* The inode whose i_blocks is at region offset off, or NULL. */
static struct ext2_inode *jinode_at(struct ext2_sb_info *fs, uint64_t off)
{
	uint64_t at = off - offsetof(struct ext2_inode, i_blocks), rel;
	uint32_t g;

	for (g = 0; g < fs->groups_count; g++) {
		uint64_t it = (uint64_t)fs->groups[g].inode_table
			      << fs->blocksize_bits;

		if (at < it)
			continue;
		rel = at - it;
		if (rel < (uint64_t)fs->inodes_per_group * fs->inode_size &&
		    rel % fs->inode_size == 0)
			return (struct ext2_inode *)(fs->base + at);
	}
	return NULL;
}

/* Is record r one recovery may apply (inside the file system, outside
 * the log, a real bitmap)? */
static bool jrec_sane(struct ext2_sb_info *fs, struct ext2_journal *j,
		      const struct jrec *r)
{
	uint64_t off = le64_get(r->off), end = (uint64_t)fs->blocks_count
					       << fs->blocksize_bits;
	uint64_t lo = (uint64_t)j->first_blk << fs->blocksize_bits;
	uint32_t kind = le32_get(r->kind), len = le32_get(r->len);
	uint32_t nbits;

	if (kind == JREC_IBLOCKS)
		return len == 4 && jinode_at(fs, off) != NULL;
	if (kind == JREC_BYTES || kind == JREC_ZERO)
		return len && (kind != JREC_BYTES || len <= EXT2_JSLOT_SIZE) &&
		       len <= (1u << 20) && off >= 1024 && off + len <= end &&
		       (off + len <= lo || off >= lo + JLOG_BYTES);
	if (kind != JREC_BITS_SET && kind != JREC_BITS_CLR)
		return false;
	nbits = jbitmap_bits(fs, off);
	return nbits && le32_get(r->count) &&
	       (uint64_t)len + le32_get(r->count) <= nbits;
}

/* Collect slot i's records into l; 1 if it is active, 0 if idle, or
 * -EUCLEAN (nothing changed) if it is damaged. */
static int jslot_scan(struct ext2_sb_info *fs, struct ext2_journal *j,
		      unsigned i, struct jlist *l)
{
	unsigned char *s = jslot(j, i);
	uint32_t gen, used = 64;
	int st = jstate_parse(le64_get(*(le64 *)s), &gen);

	l->n = 0;
	if (st < 0)
		return err_set(-EUCLEAN, "the journal is damaged: slot %u has "
			       "a bad state word", i);
	if (st == 0)
		return 0;
	while (used + sizeof(struct jrec) <= EXT2_JSLOT_SIZE &&
	       l->n < JREC_MAX) {
		const struct jrec *r = (const struct jrec *)(s + used);
		uint32_t dlen = le32_get(r->kind) == JREC_BYTES ?
				le32_get(r->len) : 0;

		if (le32_get(r->gen) != gen || dlen > EXT2_JSLOT_SIZE ||
		    used + sizeof(*r) + dlen > EXT2_JSLOT_SIZE ||
		    le32_get(r->csum) != jrec_sum(r, r + 1))
			break; /* the end of the list */
		if (!jrec_sane(fs, j, r))
			return err_set(-EUCLEAN, "the journal is damaged: "
				       "slot %u, record %u is outside the "
				       "file system", i, l->n);
		l->rec[l->n++] = r;
		used += sizeof(*r) + ((dlen + 7) & ~7u);
	}
	return 1;
}

/* Undo record r (flushed, not drained). */
static void jrec_undo(struct ext2_sb_info *fs, const struct jrec *r)
{
	uint64_t off = le64_get(r->off);
	uint32_t kind = le32_get(r->kind), len = le32_get(r->len), k;
	uint8_t *bm = fs->base + off;

	if (kind == JREC_BYTES || kind == JREC_ZERO) {
		if (kind == JREC_BYTES)
			memcpy(fs->base + off, r + 1, len);
		else
			memset(fs->base + off, 0, len);
		region_flush(fs->rgn, fs->base + off, len);
		return;
	}
	if (kind == JREC_IBLOCKS)
		return; /* recounted after every undo (jrecover) */
	for (k = len; k < len + le32_get(r->count); k++) {
		if (kind == JREC_BITS_SET)
			ext2_bitmap_clear(bm, k);
		else
			ext2_bitmap_set(bm, k);
	}
	region_flush(fs->rgn, bm + (len >> 3),
		     ((len + le32_get(r->count) - 1) >> 3) - (len >> 3) + 1);
}

/* After the undo: recount the i_blocks an IBLOCKS record names from
 * the block map as it is now (idempotent, unlike a subtraction). */
static void jrec_recount(struct ext2_sb_info *fs, const struct jrec *r)
{
	struct ext2_inode *raw;

	if (le32_get(r->kind) != JREC_IBLOCKS)
		return;
	raw = jinode_at(fs, le64_get(r->off));
	raw->i_blocks = le32_put(ext2_bmap_count(fs, raw));
	region_flush(fs->rgn, &raw->i_blocks, 4);
}

/* Count the directories among group g's inodes in use. */
static uint32_t jcount_dirs(struct ext2_sb_info *fs, uint32_t g,
			    const uint8_t *ibm)
{
	const unsigned char *it = ext2_block(fs, fs->groups[g].inode_table);
	uint32_t i, n = 0;

	for (i = 0; i < fs->inodes_per_group; i++) {
		const struct ext2_inode *raw = (const void *)(it +
			(size_t)i * fs->inode_size);

		if (ext2_bitmap_test(ibm, i) && S_ISDIR(le16_get(raw->i_mode)))
			n++;
	}
	return n;
}

/* Recompute every group's counters and the superblock's from the
 * bitmaps and inode tables; persisted, and the DRAM sums set. */
static void jrecount(struct ext2_sb_info *fs)
{
	struct ext2_super_block *es = fs->es;
	uint64_t fb = 0, fi = 0;
	uint32_t g, i;

	for (g = 0; g < fs->groups_count; g++) {
		struct ext2_group_desc *gd = &fs->gdt[g];
		const uint8_t *ibm = ext2_block(fs,
						fs->groups[g].inode_bitmap);
		uint32_t nb, ni = 0;

		ext2_count_free_blocks(fs, g, &nb);
		for (i = 0; i < fs->inodes_per_group; i++)
			ni += !ext2_bitmap_test(ibm, i);
		gd->bg_free_blocks_count = le16_put(nb);
		gd->bg_free_inodes_count = le16_put(ni);
		gd->bg_used_dirs_count = le16_put(jcount_dirs(fs, g, ibm));
		region_flush(fs->rgn, gd, sizeof(*gd));
		fb += nb;
		fi += ni;
	}
	es->s_free_blocks_count = le32_put((uint32_t)fb);
	es->s_free_inodes_count = le32_put((uint32_t)fi);
	ext2_persist(fs, es, 0x40);
	atomic_store(&fs->free_blocks, fb);
	atomic_store(&fs->free_inodes, fi);
}

/* Set every slot idle (persisted). */
static void jslots_clear(struct ext2_sb_info *fs, struct ext2_journal *j)
{
	unsigned i;

	for (i = 0; i < EXT2_JSLOTS; i++) {
		le64 *w = (le64 *)jslot(j, i);
		uint32_t gen;

		if (jstate_parse(le64_get(*w), &gen) != 0) {
			*w = le64_put(jstate_word(gen, false));
			region_flush(fs->rgn, w, 8);
		}
	}
	region_drain(fs->rgn);
}

/*
 * Undo what the log holds (see the top): check every slot first, then
 * undo the active ones newest record first, recompute the counters,
 * clear the slots.  Returns how many slots were active, or -EUCLEAN.
 */
static int jrecover(struct ext2_sb_info *fs, struct ext2_journal *j)
{
	struct jlist *l = mem_zalloc(sizeof(*l) * EXT2_JSLOTS);
	int active = 0, ret = 0;
	unsigned i, k;

	if (!l)
		return err_set(-ENOMEM, "out of memory for recovery");
	for (i = 0; i < EXT2_JSLOTS && ret >= 0; i++) {
		ret = jslot_scan(fs, j, i, &l[i]);
		active += ret == 1;
	}
	if (ret >= 0 && !fs->vfs.rdonly) {
		for (i = 0; i < EXT2_JSLOTS; i++)
			for (k = l[i].n; k-- > 0;)
				jrec_undo(fs, l[i].rec[k]);
		for (i = 0; i < EXT2_JSLOTS; i++)
			for (k = 0; k < l[i].n; k++)
				jrec_recount(fs, l[i].rec[k]);
		region_drain(fs->rgn);
		jrecount(fs);
		jslots_clear(fs, j);
	}
	mem_free(l);
	return ret < 0 ? ret : active;
}

/* ---- mount and unmount ---------------------------------------------- */

/* Is the log tied to this superblock (written by its last mount)? */
static bool jlog_tied(struct ext2_sb_info *fs, struct ext2_journal *j)
{
	const struct jhdr *hd = (const struct jhdr *)j->log;

	return le32_get(hd->mnt_count) == le16_get(fs->es->s_mnt_count) &&
	       le32_get(hd->mtime) == le32_get(fs->es->s_mtime);
}

/* Mount: find, check and recover the log (see journal.h). */
int ext2_journal_load(struct ext2_sb_info *fs, const char *path)
{
	bool need = le32_get(fs->es->s_feature_incompat) &
		    EXT2_FEATURE_INCOMPAT_DAXFS_LOG;
	uint32_t first;
	int ret = jlog_find(fs, &first);

	if (ret < 0 && need)
		return err_set(-EUCLEAN, "%s: marked as needing libdaxfs's "
			       "journal, but inode %u holds none", path,
			       EXT2_JOURNAL_INO);
	if (ret < 0 || !first || (ret == 1 && !need))
		return 0; /* ext2_journal_start makes one, or goes without */
	if (ret == 1 && fs->vfs.rdonly)
		return err_set(-EUCLEAN, "%s: the making of libdaxfs's journal "
			       "was cut short: mount it read-write once",
			       path);
	if (ret == 1)
		jlog_complete(fs, first); /* no operation used it yet */
	ret = jlog_attach(fs, first);
	if (ret || !need)
		return ret;
	if (!jlog_tied(fs, fs->journal)) {
		/* Never tied (a crash while it was made: the bit keeps other
		 * tools out), or another tool forced it: never replay, and
		 * trust no counter. */
		if (!fs->vfs.rdonly) {
			jslots_clear(fs, fs->journal);
			jrecount(fs);
		}
		return 0;
	}
	if (fs->vfs.rdonly) {
		struct jlist *l = mem_zalloc(sizeof(*l));
		unsigned i;

		for (i = 0, ret = l ? 0 : -ENOMEM; i < EXT2_JSLOTS && !ret; i++)
			ret = jslot_scan(fs, fs->journal, i, l);
		mem_free(l);
		if (ret > 0)
			ret = err_set(-EUCLEAN, "%s: operations in flight at a "
				      "crash must be undone by a read-write "
				      "mount first", path);
		return ret < 0 ? ret : 0;
	}
	ret = jrecover(fs, fs->journal);
	fs->journal_replayed = ret >= 0; /* orphans next (super.c) */
	fs->unclean_before = le32_get(((const struct jhdr *)fs->journal->log)
				      ->flags) & JHDR_UNCLEAN;
	return ret < 0 ? ret : 0;
}

/*
 * Fix the i_dtime a crash left between taking an inode off the orphan
 * chain (one store into the one before it) and its own i_dtime store: a
 * deleted inode gets a deletion time, one in use none.  No inode is on
 * the chain now, so no i_dtime is a chain link.
 */
static void jfix_dtimes(struct ext2_sb_info *fs)
{
	uint32_t g, i, now = ext2_now();

	for (g = 0; g < fs->groups_count; g++) {
		unsigned char *it = ext2_block(fs, fs->groups[g].inode_table);

		for (i = 0; i < fs->inodes_per_group; i++) {
			struct ext2_inode *raw = (void *)(it +
				(size_t)i * fs->inode_size);
			uint32_t dt = le32_get(raw->i_dtime), want = dt;

			if (g * fs->inodes_per_group + i + 1 < fs->first_ino)
				continue; /* reserved: not ours to judge */
			if (le16_get(raw->i_links_count))
				want = 0;
			else if (le16_get(raw->i_mode) && dt < fs->inodes_count)
				want = now;
			if (want != dt) {
				raw->i_dtime = le32_put(want);
				region_flush(fs->rgn, &raw->i_dtime, 4);
			}
		}
	}
}

/* After the orphans are finished (super.c): fix the deletion times and
 * recompute the free counters from the bitmaps. */
void ext2_journal_recount(struct ext2_sb_info *fs)
{
	jfix_dtimes(fs);
	jrecount(fs);
}

/* Read-write mount: make the log if needed, tie it, set the bit. */
int ext2_journal_start(struct ext2_sb_info *fs)
{
	struct ext2_super_block *es = fs->es;
	struct jhdr *hd;
	uint32_t first;
	int ret;

	if (!fs->journal) {
		ret = jlog_find(fs, &first);
		if (!ret && !first)
			ret = jlog_make(fs, &first);
		else if (ret == 1)
			ret = -ENOENT; /* not ours (load would have said) */
		if (!ret)
			ret = jlog_attach(fs, first);
		if (ret) {
			if (!fs->vfs.warning[0])
				snprintf(fs->vfs.warning,
					 sizeof(fs->vfs.warning), "no journal "
					 "(%s): operations are not atomic",
					 ret == -ENOENT ? "inode 5 is in use"
							: "no room for one");
			return 0;
		}
	}
	hd = (struct jhdr *)fs->journal->log;
	hd->mnt_count = le32_put(le16_get(es->s_mnt_count));
	hd->mtime = le32_put(le32_get(es->s_mtime));
	hd->flags = le32_put(fs->unclean ? JHDR_UNCLEAN : 0);
	hd->check = le32_put(jhdr_check(hd));
	ext2_persist(fs, hd, sizeof(*hd));
	jset_incompat(fs);
	return 0;
}

/* Clean unmount: clear the bit; called with sb_lock held. */
void ext2_journal_stop(struct ext2_sb_info *fs)
{
	struct ext2_super_block *es = fs->es;

	es->s_feature_incompat = le32_put(le32_get(es->s_feature_incompat) &
					  ~EXT2_FEATURE_INCOMPAT_DAXFS_LOG);
}

/* Free the DRAM side. */
void ext2_journal_free(struct ext2_sb_info *fs)
{
	mem_free(fs->journal);
	fs->journal = NULL;
}
