/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lock.h -- the read/write semaphore used for inode locks.
 *
 * One 32-bit word, after the kernel's rwsem: a reader count, a
 * writer-holds bit, a writer-waits bit that holds new readers back (so a
 * truncate is not starved by a stream of reads or faults), and a
 * sleepers bit.  Uncontended, taking or releasing it is one atomic
 * instruction and no call (pthread's rwlock costs several times that on
 * the 4 KiB read path); contended, waiters sleep on the word with a
 * futex (lock.c).  Not recursive: a reader that takes it again while a
 * writer waits would deadlock, as with the kernel's.  A hold is released
 * by the thread that took it.
 *
 * Reader bias (BRAVO, Dice and Kogan, USENIX ATC '19): readers on
 * different CPUs that share one word bounce its cache line between them
 * at every down and up, so two threads reading one file ran slower than
 * one.  Once a reader finds another reader holding the word, the
 * semaphore turns reader-biased: a reader then publishes the semaphore's
 * address in a slot of its own thread (a cache line no other thread
 * writes) and leaves the word alone.  A writer takes the word, turns the
 * bias off and waits until no thread's slot names the semaphore; the
 * bias stays off for a while after, so frequent writers do not pay that
 * scan often.  lock.c has the slots and the proof of the hand-off.
 *
 * Debug builds count holders so that "must be held" preconditions can be
 * checked with DAXFS_ASSERT_LOCKED(), as the kernel does with
 * WARN_ON(!rwsem_is_locked()).
 */
#ifndef DAXFS_CORE_LOCK_H
#define DAXFS_CORE_LOCK_H

#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define RWSEM_READERS  0x1fffffffu /* count of shared holders */
#define RWSEM_WRITER   0x20000000u /* held exclusively */
#define RWSEM_WWAIT    0x40000000u /* a writer waits: readers hold off */
#define RWSEM_SLEEPERS 0x80000000u /* someone sleeps on the word */

struct rwsem {
	_Atomic uint32_t state;
	atomic_bool rbias;          /* readers go through their slots */
	_Atomic uint64_t rbias_after; /* no new bias before (lock.c's clock) */
	_Atomic uint32_t rbias_left;  /* bumped when a biased reader leaves
				       * during a revoke: the writer's futex */
#ifndef NDEBUG
	atomic_int readers; /* debug: shared holders */
	atomic_int writers; /* debug: exclusive holders (0 or 1) */
#endif
};

/* The slow paths (lock.c). */
void rwsem_read_slow(struct rwsem *s);
void rwsem_write_slow(struct rwsem *s);
void rwsem_wake(struct rwsem *s);

/*
 * The reader bias (lock.c): take a read hold through the calling
 * thread's slots, or drop one (false: the hold is not there, use the
 * word); turn the bias on (called holding the word shared); turn it off
 * and wait out the biased readers (called holding the word exclusively).
 */
bool rwsem_read_biased(struct rwsem *s);
bool rwsem_unread_biased(struct rwsem *s);
void rwsem_bias(struct rwsem *s);
void rwsem_revoke(struct rwsem *s);

/* Biased read holds of the calling thread (lock.c). */
extern __thread unsigned rwsem_nbiased;

/* Initialise a semaphore; returns 0. */
static inline int rwsem_init(struct rwsem *s)
{
	atomic_init(&s->state, 0);
	atomic_init(&s->rbias, false);
	atomic_init(&s->rbias_after, 0);
	atomic_init(&s->rbias_left, 0);
#ifndef NDEBUG
	atomic_init(&s->readers, 0);
	atomic_init(&s->writers, 0);
#endif
	return 0;
}

static inline void rwsem_destroy(struct rwsem *s)
{
	(void)s;
}

/* Release one shared hold; the last reader wakes a waiting writer. */
static inline void rwsem_read_release(struct rwsem *s)
{
	uint32_t old = atomic_fetch_sub_explicit(&s->state, 1,
						 memory_order_release);

	if ((old & RWSEM_READERS) == 1 && (old & RWSEM_SLEEPERS))
		rwsem_wake(s);
}

/* Take a shared hold: through the thread's slot when biased, else on
 * the word (waiting while a writer holds or waits). */
static inline void down_read(struct rwsem *s)
{
	uint32_t old;

	if (atomic_load_explicit(&s->rbias, memory_order_relaxed) &&
	    rwsem_read_biased(s))
		goto held;
	old = atomic_fetch_add_explicit(&s->state, 1, memory_order_acquire);
	if (old & (RWSEM_WRITER | RWSEM_WWAIT)) {
		rwsem_read_release(s); /* undo, then wait */
		rwsem_read_slow(s);
	} else if (old & RWSEM_READERS) {
		rwsem_bias(s); /* readers share it: try the bias */
	}
held:
#ifndef NDEBUG
	atomic_fetch_add(&s->readers, 1);
#endif
}

/* Release a shared hold taken by this thread. */
static inline void up_read(struct rwsem *s)
{
#ifndef NDEBUG
	atomic_fetch_sub(&s->readers, 1);
#endif
	if (rwsem_nbiased && rwsem_unread_biased(s))
		return;
	rwsem_read_release(s);
}

/* Take the exclusive hold: the word, then no biased reader left. */
static inline void down_write(struct rwsem *s)
{
	uint32_t zero = 0;

	if (!atomic_compare_exchange_strong_explicit(&s->state, &zero,
			RWSEM_WRITER, memory_order_acquire,
			memory_order_relaxed))
		rwsem_write_slow(s);
	/* Relaxed is enough: only a holder of the word sets the bias, and
	 * the acquire above orders this load after its release. */
	if (atomic_load_explicit(&s->rbias, memory_order_relaxed))
		rwsem_revoke(s);
#ifndef NDEBUG
	atomic_fetch_add(&s->writers, 1);
#endif
}

/* Release the exclusive hold and wake sleepers. */
static inline void up_write(struct rwsem *s)
{
	uint32_t old;

#ifndef NDEBUG
	atomic_fetch_sub(&s->writers, 1);
#endif
	/* The writer bit is set: subtracting it clears it, in one locked
	 * instruction (a fetch-and would be a compare-and-swap loop). */
	old = atomic_fetch_sub_explicit(&s->state, RWSEM_WRITER,
					memory_order_release);
	if (old & RWSEM_SLEEPERS)
		rwsem_wake(s);
}

#ifndef NDEBUG
/* Held by someone, shared or exclusive (debug builds only). */
#define DAXFS_ASSERT_LOCKED(s)                                                 \
	assert(atomic_load(&(s)->readers) + atomic_load(&(s)->writers) > 0)
/* Held exclusively by someone (debug builds only). */
#define DAXFS_ASSERT_WRITE_LOCKED(s) assert(atomic_load(&(s)->writers) > 0)
#else
#define DAXFS_ASSERT_LOCKED(s) ((void)(s))
#define DAXFS_ASSERT_WRITE_LOCKED(s) ((void)(s))
#endif

#endif
