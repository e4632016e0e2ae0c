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
 * writer waits would deadlock, as with the kernel's.
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

#define DAXFS_RWSEM_READERS  0x1fffffffu /* count of shared holders */
#define DAXFS_RWSEM_WRITER   0x20000000u /* held exclusively */
#define DAXFS_RWSEM_WWAIT    0x40000000u /* a writer waits: readers hold off */
#define DAXFS_RWSEM_SLEEPERS 0x80000000u /* someone sleeps on the word */

struct daxfs_rwsem {
	_Atomic uint32_t state;
#ifndef NDEBUG
	atomic_int readers; /* debug: shared holders */
	atomic_int writers; /* debug: exclusive holders (0 or 1) */
#endif
};

/* The slow paths (lock.c). */
void daxfs_rwsem_read_slow(struct daxfs_rwsem *s);
void daxfs_rwsem_write_slow(struct daxfs_rwsem *s);
void daxfs_rwsem_wake(struct daxfs_rwsem *s);

/* Initialise a semaphore; returns 0. */
static inline int daxfs_rwsem_init(struct daxfs_rwsem *s)
{
	atomic_init(&s->state, 0);
#ifndef NDEBUG
	atomic_init(&s->readers, 0);
	atomic_init(&s->writers, 0);
#endif
	return 0;
}

static inline void daxfs_rwsem_destroy(struct daxfs_rwsem *s)
{
	(void)s;
}

/* Release one shared hold; the last reader wakes a waiting writer. */
static inline void daxfs_rwsem_read_release(struct daxfs_rwsem *s)
{
	uint32_t old = atomic_fetch_sub_explicit(&s->state, 1,
						 memory_order_release);

	if ((old & DAXFS_RWSEM_READERS) == 1 && (old & DAXFS_RWSEM_SLEEPERS))
		daxfs_rwsem_wake(s);
}

static inline void daxfs_down_read(struct daxfs_rwsem *s)
{
	uint32_t old = atomic_fetch_add_explicit(&s->state, 1,
						 memory_order_acquire);

	if (old & (DAXFS_RWSEM_WRITER | DAXFS_RWSEM_WWAIT)) {
		daxfs_rwsem_read_release(s); /* undo, then wait */
		daxfs_rwsem_read_slow(s);
	}
#ifndef NDEBUG
	atomic_fetch_add(&s->readers, 1);
#endif
}

static inline void daxfs_up_read(struct daxfs_rwsem *s)
{
#ifndef NDEBUG
	atomic_fetch_sub(&s->readers, 1);
#endif
	daxfs_rwsem_read_release(s);
}

static inline void daxfs_down_write(struct daxfs_rwsem *s)
{
	uint32_t zero = 0;

	if (!atomic_compare_exchange_strong_explicit(&s->state, &zero,
			DAXFS_RWSEM_WRITER, memory_order_acquire,
			memory_order_relaxed))
		daxfs_rwsem_write_slow(s);
#ifndef NDEBUG
	atomic_fetch_add(&s->writers, 1);
#endif
}

static inline void daxfs_up_write(struct daxfs_rwsem *s)
{
	uint32_t old;

#ifndef NDEBUG
	atomic_fetch_sub(&s->writers, 1);
#endif
	old = atomic_fetch_and_explicit(&s->state, ~DAXFS_RWSEM_WRITER,
					memory_order_release);
	if (old & DAXFS_RWSEM_SLEEPERS)
		daxfs_rwsem_wake(s);
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
