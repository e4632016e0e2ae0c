/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lock.h -- the read/write semaphore used for inode locks.
 *
 * A thin wrapper over a writer-preferring pthread rwlock (so a truncate is
 * not starved by a stream of faults).  Uncontended, it is an atomic
 * instruction and no system call; contended, it sleeps on a futex.
 * Debug builds count holders so that "must be held" preconditions can be
 * checked with DAXFS_ASSERT_LOCKED(), as the kernel does with
 * WARN_ON(!rwsem_is_locked()).
 */
#ifndef DAXFS_CORE_LOCK_H
#define DAXFS_CORE_LOCK_H

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct daxfs_rwsem {
	pthread_rwlock_t lock;
#ifndef NDEBUG
	atomic_int readers; /* debug: shared holders */
	atomic_int writers; /* debug: exclusive holders (0 or 1) */
#endif
};

/* Initialise a semaphore; returns 0 or a negative errno. */
static inline int daxfs_rwsem_init(struct daxfs_rwsem *s)
{
	pthread_rwlockattr_t a;
	int ret;

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a,
		PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	ret = pthread_rwlock_init(&s->lock, &a);
	pthread_rwlockattr_destroy(&a);
#ifndef NDEBUG
	atomic_init(&s->readers, 0);
	atomic_init(&s->writers, 0);
#endif
	return -ret;
}

static inline void daxfs_rwsem_destroy(struct daxfs_rwsem *s)
{
	pthread_rwlock_destroy(&s->lock);
}

static inline void daxfs_down_read(struct daxfs_rwsem *s)
{
	pthread_rwlock_rdlock(&s->lock);
#ifndef NDEBUG
	atomic_fetch_add(&s->readers, 1);
#endif
}

static inline void daxfs_up_read(struct daxfs_rwsem *s)
{
#ifndef NDEBUG
	atomic_fetch_sub(&s->readers, 1);
#endif
	pthread_rwlock_unlock(&s->lock);
}

static inline void daxfs_down_write(struct daxfs_rwsem *s)
{
	pthread_rwlock_wrlock(&s->lock);
#ifndef NDEBUG
	atomic_fetch_add(&s->writers, 1);
#endif
}

static inline void daxfs_up_write(struct daxfs_rwsem *s)
{
#ifndef NDEBUG
	atomic_fetch_sub(&s->writers, 1);
#endif
	pthread_rwlock_unlock(&s->lock);
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
