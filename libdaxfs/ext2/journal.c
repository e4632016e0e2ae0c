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
 * Appends into blocks taken ahead of them (prealloc.c) are no operation
 * at all: their data is drained before the size, one aligned store, and
 * the orphan chain gives back what a crash leaves past EOF.
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
#include "ext2/journal_fmt.h"

__thread struct ext2_jh *ext2_jcur;

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

/* Log bits about to be set (ext2_jlog_bits). */
void ext2_jlog_bits_slow(const uint8_t *bm, uint32_t bit, uint32_t n)
{
	struct ext2_jh *h = ext2_jcur;

	if (!h->fs)
		return;
	jappend(h, bm - h->fs->base, bit, n, JREC_BITS_SET, NULL);
}

/* Start an atomic operation (see journal.h).  No slot is taken until
 * the first record: an operation that logs nothing (an overwrite, a
 * failed lookup) costs no store to the log. */
void ext2_jbegin(struct ext2_sb_info *fs, struct ext2_jh *h)
{
	h->fs = NULL;
	h->base = NULL;
	h->batch = false;
	h->unfenced = false;
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

/* The group of deferred free i. */
static uint32_t jdefer_group(struct ext2_sb_info *fs, struct ext2_jh *h,
			     unsigned i)
{
	if (h->defer[i].inode)
		return (h->defer[i].start - 1) / fs->inodes_per_group;
	return (h->defer[i].start - fs->first_data_block) /
	       fs->blocks_per_group;
}

/* Log deferred free i as bits cleared, when it is deferred (undo sets
 * them: the blocks an atomic write replaced are the file's again; bits
 * still set when a crash comes stay set). */
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

/* Keep a free till the commit (see journal.h). */
bool ext2_jdefer_free(bool inode, uint32_t start, uint32_t count)
{
	struct ext2_jh *h = ext2_jcur;

	if (!h || !h->fs || h->ndefer == h->cap)
		return false;
	h->defer[h->ndefer].start = start;
	h->defer[h->ndefer].count = count;
	h->defer[h->ndefer].inode = inode;
	jdefer_log(h->fs, h, h->ndefer++);
	return true;
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


/* Forget h's deferred frees (done), giving back a grown list. */
static void jdefer_done(struct ext2_jh *h)
{
	h->ndefer = 0;
	if (h->defer != h->inline_defer)
		mem_free(h->defer);
	h->defer = h->inline_defer;
	h->cap = EXT2_JDEFER;
}

/* Write the IDLE word of h's slot, persisted, and free the slot; the
 * operation's stores are fenced first (ext2_persist left them). */
static void jslot_close(struct ext2_sb_info *fs, struct ext2_jh *h)
{
	le64 *word = (le64 *)h->base;

	if (h->unfenced)
		region_drain(fs->rgn);
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
		else if (h->unfenced)
			region_drain(fs->rgn);
		jdefer_done(h);
		return;
	}
	jdefer_lock(fs, h, true);
	for (i = 0; i < h->ndefer; i++)
		if (h->defer[i].inode)
			ext2_clear_inode_bit_locked(fs, h->defer[i].start);
		else
			ext2_clear_block_bits_locked(fs, h->defer[i].start,
						     h->defer[i].count);
	region_drain(fs->rgn);
	h->unfenced = false;
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
