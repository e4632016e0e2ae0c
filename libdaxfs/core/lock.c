/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lock.c -- the sleeping half of the read/write semaphore (lock.h).
 *
 * A waiter sets the sleepers bit and futex-waits on the state word with
 * the value it saw; every release that finds the bit set clears it and
 * wakes all sleepers, who look at the word again.  A change between the
 * look and the wait makes the futex return at once, so no wake-up is
 * lost.  Contention on inode locks is rare (a truncate against I/O), so
 * waking all is simpler than queueing and costs little.
 */
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/lock.h"

/* Sleep until the word no longer reads expect (or a spurious wake-up). */
static void rwsem_sleep(struct daxfs_rwsem *s, uint32_t expect)
{
	syscall(SYS_futex, &s->state, FUTEX_WAIT_PRIVATE, expect, NULL, NULL,
		0);
}

/* Set the sleepers bit (and extra) in the word that read old; false when
 * the word changed first. */
static bool rwsem_mark(struct daxfs_rwsem *s, uint32_t *old, uint32_t extra)
{
	uint32_t want = *old | DAXFS_RWSEM_SLEEPERS | extra;

	if (want == *old)
		return true;
	if (atomic_compare_exchange_weak_explicit(&s->state, old, want,
			memory_order_relaxed, memory_order_relaxed)) {
		*old = want;
		return true;
	}
	return false;
}

void daxfs_rwsem_wake(struct daxfs_rwsem *s)
{
	atomic_fetch_and_explicit(&s->state, ~DAXFS_RWSEM_SLEEPERS,
				  memory_order_relaxed);
	syscall(SYS_futex, &s->state, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL,
		0);
}

/* Take a shared hold once no writer holds or waits. */
void daxfs_rwsem_read_slow(struct daxfs_rwsem *s)
{
	uint32_t old = atomic_load_explicit(&s->state, memory_order_relaxed);

	for (;;) {
		if (!(old & (DAXFS_RWSEM_WRITER | DAXFS_RWSEM_WWAIT))) {
			if (atomic_compare_exchange_weak_explicit(&s->state,
					&old, old + 1, memory_order_acquire,
					memory_order_relaxed))
				return;
			continue;
		}
		if (rwsem_mark(s, &old, 0)) {
			rwsem_sleep(s, old);
			old = atomic_load_explicit(&s->state,
						   memory_order_relaxed);
		}
	}
}

/* Take the exclusive hold once no one holds it; meanwhile hold new
 * readers back. */
void daxfs_rwsem_write_slow(struct daxfs_rwsem *s)
{
	uint32_t old = atomic_load_explicit(&s->state, memory_order_relaxed);

	for (;;) {
		if (!(old & (DAXFS_RWSEM_READERS | DAXFS_RWSEM_WRITER))) {
			/* Other waiting writers set WWAIT again when they
			 * wake (at our release at the latest). */
			if (atomic_compare_exchange_weak_explicit(&s->state,
					&old, (old & ~DAXFS_RWSEM_WWAIT) |
					DAXFS_RWSEM_WRITER,
					memory_order_acquire,
					memory_order_relaxed))
				return;
			continue;
		}
		if (rwsem_mark(s, &old, DAXFS_RWSEM_WWAIT)) {
			rwsem_sleep(s, old);
			old = atomic_load_explicit(&s->state,
						   memory_order_relaxed);
		}
	}
}
