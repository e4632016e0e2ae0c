/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * journal.h -- the undo journal that makes every operation atomic
 * (issue 11); the design is written at the top of journal.c.
 *
 * An operation brackets its in-place stores with ext2_jbegin() and
 * ext2_jcommit(); in between, deep code logs the old bytes of what it is
 * about to change with ext2_jlog() (or ext2_jlog_fresh() for bytes the
 * operation owns whole, a new inode, which later stores need not log
 * again), and the allocators log bitmap bits with ext2_jlog_bits().  The
 * handle is thread-local, so no new parameter runs through the layers;
 * without one (read-only mounts, images with no room for a log, unit
 * tests calling internals) every call here is a no-op that costs one
 * thread-local load.
 */
#ifndef DAXFS_EXT2_JOURNAL_H
#define DAXFS_EXT2_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ext2_sb_info;

/* Private incompatible feature: a libdaxfs log may need replaying.  Set
 * while mounted read-write, cleared by a clean unmount, so that the
 * kernel and e2fsck refuse an image only libdaxfs can recover. */
#define EXT2_FEATURE_INCOMPAT_DAXFS_LOG 0x80000000u

#define EXT2_JOURNAL_INO 5            /* EXT2_BOOT_LOADER_INO */
#define EXT2_JSLOTS 64                /* operations in flight at most */
#define EXT2_JSLOT_SIZE 4096          /* bytes of one operation's records */
#define EXT2_JFRESH 8                 /* ranges a handle owns whole */
#define EXT2_JDEFER 40                /* frees a handle holds till commit */

/* One operation in flight: its slot and what it has logged. */
struct ext2_jh {
	struct ext2_sb_info *fs;      /* NULL: nested, or no journal */
	unsigned slot;
	uint32_t gen;                 /* the slot's generation of this use */
	unsigned char *base;          /* the slot, on media; NULL until the
					 first record takes one */
	uint32_t used;                /* bytes of records written */
	bool batch;                   /* records wait for the caller's fence */
	bool unfenced;                /* stores flushed, not fenced yet */
	unsigned nfresh;
	struct { uintptr_t lo, hi; } fresh[EXT2_JFRESH];
	unsigned ndefer, cap;         /* bits to clear at commit */
	struct ext2_jdefer *defer;    /* inline_defer, or grown */
	struct ext2_jdefer { uint32_t start, count; bool inode; }
		inline_defer[EXT2_JDEFER];
};

/* The handle of the calling thread's operation, or NULL. */
extern __thread struct ext2_jh *ext2_jcur;

/* Leave the fence of stores just flushed to the commit of the thread's
 * operation: true if there is one (it then fences), false if the caller
 * must fence itself. */
static inline bool ext2_jfence_later(void)
{
	struct ext2_jh *h = ext2_jcur;

	if (!h || !h->fs)
		return false;
	h->unfenced = true;
	return true;
}

/* Mount: find the log (inode 5), check it against the superblock and,
 * read-write, undo what was in flight at a crash and recompute the
 * counters.  -EUCLEAN (nothing changed) when the log is damaged. */
int ext2_journal_load(struct ext2_sb_info *fs, const char *path);
/* Read-write mount, after the superblock is marked in use: make the log
 * if inode 5 has none, tie it to this mount, set the INCOMPAT bit.
 * Without room for a log the mount goes on without one (a warning). */
int ext2_journal_start(struct ext2_sb_info *fs);
/* Clean unmount: clear the INCOMPAT bit (the caller persists). */
void ext2_journal_stop(struct ext2_sb_info *fs);
void ext2_journal_free(struct ext2_sb_info *fs);
/* Recompute every free counter from the bitmaps (recovery). */
void ext2_journal_recount(struct ext2_sb_info *fs);

/* Start an atomic operation on fs (nested calls join the outer one). */
void ext2_jbegin(struct ext2_sb_info *fs, struct ext2_jh *h);
/* Commit it: every store it logged is durable already; after this none
 * is undone.  Called before the locks guarding the logged bytes go. */
void ext2_jcommit(struct ext2_jh *h);

/* Run an operation of its own inside another (allocations under a lock
 * that must commit before it is dropped), then resume the outer one. */
void ext2_jpush(struct ext2_sb_info *fs, struct ext2_jh *h,
		struct ext2_jh **prev);
void ext2_jpop(struct ext2_jh *h, struct ext2_jh *prev);
/* Commit what the thread's operation did so far and go on as a new one;
 * ext2_jlow() says when a long operation should (its slot fills up). */
void ext2_jrestart(void);
bool ext2_jlow(void);

/*
 * Inside an operation, a free (of blocks or an inode it took, on a
 * failure path) keeps its bits set until the commit, which clears them
 * under the group locks before its IDLE word is durable: no other
 * operation can take them while a crash could still undo this one (and
 * with it set them free again under that other).  [start, start+count)
 * lies in one group.  False when there is no operation or no room: the
 * caller clears them now.
 */
bool ext2_jdefer_free(bool inode, uint32_t start, uint32_t count);
/* Make room for n more deferred frees in the thread's operation (an
 * atomic write frees every old block at its commit): 0 or -ENOMEM. */
int ext2_jdefer_reserve(unsigned n);
/* ext2_jbatch(true): the records logged until ext2_jbatch(false) are
 * flushed but not fenced; the caller fences (region_drain) before any
 * store they cover, one fence for all of them (and for its data). */
void ext2_jbatch(bool on);
/* Bytes of records the thread's operation may still log. */
size_t ext2_jroom(void);

void ext2_jlog_slow(const void *p, size_t len, bool fresh);
void ext2_jlog_zero_slow(const void *p, size_t len);
void ext2_jlog_iblocks_slow(const uint32_t *p);
void ext2_jlog_bits_slow(const uint8_t *bm, uint32_t bit, uint32_t n);
void ext2_jcover_slow(const void *p, size_t len);

/* Log the old bytes [p, p+len) before changing them in place. */
static inline void ext2_jlog(const void *p, size_t len)
{
	if (__builtin_expect(ext2_jcur != NULL, 0))
		ext2_jlog_slow(p, len, false);
}

/* Log [p, p+len) once and own it: later logs inside it are skipped. */
static inline void ext2_jlog_fresh(const void *p, size_t len)
{
	if (__builtin_expect(ext2_jcur != NULL, 0))
		ext2_jlog_slow(p, len, true);
}

/* Before storing into [p, p+len) bytes whose old value need not be
 * kept but must read as zeros if the operation is undone (pointers
 * into a hole, bytes past EOF): a record without the bytes. */
static inline void ext2_jlog_zero(const void *p, size_t len)
{
	if (__builtin_expect(ext2_jcur != NULL, 0))
		ext2_jlog_zero_slow(p, len);
}

/* Before changing an inode's i_blocks (p): undone by recounting it from
 * the block map (a counter other operations move too). */
static inline void ext2_jlog_iblocks(const uint32_t *p)
{
	if (__builtin_expect(ext2_jcur != NULL, 0))
		ext2_jlog_iblocks_slow(p);
}

/* Own [p, p+len) without logging it (blocks this operation allocated:
 * undoing the allocation makes their contents free space). */
static inline void ext2_jcover(const void *p, size_t len)
{
	if (__builtin_expect(ext2_jcur != NULL, 0))
		ext2_jcover_slow(p, len);
}

/* Before bits [bit, bit+n) of bitmap bm are set (an allocation): a
 * logical record, undone by clearing them.  Called under the group lock,
 * so no other operation changes those bits in between.  (Bits an
 * operation clears are logged by ext2_jdefer_free.) */
static inline void ext2_jlog_bits(const uint8_t *bm, uint32_t bit,
				  uint32_t n)
{
	if (__builtin_expect(ext2_jcur != NULL, 0))
		ext2_jlog_bits_slow(bm, bit, n);
}

#endif
