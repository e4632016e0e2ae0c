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
 *
 * It also holds the reader bias (lock.h): each thread that takes a
 * biased read owns one cache line of slots here, and a biased reader
 * writes the semaphore's address into a free slot of its line.  The
 * hand-off between a reader and a writer is Dekker's, with every access
 * to the bias flag, the slots and the count of lines sequentially
 * consistent:
 *
 *   reader: slot = s;   then load rbias: set -> held, clear -> undo
 *   writer: rbias = 0;  then load every slot: wait while one is s
 *
 * Either the reader sees the bias cleared (it undoes and queues on the
 * word, which the writer holds), or the writer sees the reader's slot
 * (it waits until the reader's up_read clears it).  The wait spins a
 * little, then sleeps on the futex rbias_left; a reader that empties
 * its slot and then finds the bias off bumps it and wakes the writer,
 * the same argument run the other way.  Only a holder of the
 * word sets the bias, so it is never set while a writer holds it.  A
 * signal handler that takes a read (a view's fault inside a copy) uses
 * another slot of the same line; with all slots busy a reader uses the
 * word.
 */
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/lock.h"

#define RWSEM_LINES 256   /* threads with biased reads at a time */
#define RWSEM_SLOTS 8     /* biased holds per thread (one cache line) */
#define RWSEM_INHIBIT 9   /* bias stays off 9x as long as a revoke took */

struct rwsem_line {
	_Atomic(struct rwsem *) slot[RWSEM_SLOTS];
} __attribute__((aligned(64)));

static struct rwsem_line rwsem_lines[RWSEM_LINES];
static atomic_bool rwsem_line_taken[RWSEM_LINES];
static atomic_uint rwsem_lines_used;   /* lines [0, used) were handed out */
static pthread_once_t rwsem_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t rwsem_key;        /* gives a line back at thread exit */
static bool rwsem_key_ok;

/* The default TLS model (TLS descriptors, -mtls-dialect=gnu2), not
 * initial-exec: one initial-exec variable puts the library's whole TLS
 * block, jemalloc's with it, in static TLS, and dlopen then fails. */
__thread unsigned rwsem_nbiased;
static __thread struct rwsem_line *my_line;
static __thread bool my_line_failed;

/* Sleep until the word no longer reads expect (or a spurious wake-up). */
static void rwsem_sleep(struct rwsem *s, uint32_t expect)
{
	syscall(SYS_futex, &s->state, FUTEX_WAIT_PRIVATE, expect, NULL, NULL,
		0);
}

/* Set the sleepers bit (and extra) in the word that read old; false when
 * the word changed first. */
static bool rwsem_mark(struct rwsem *s, uint32_t *old, uint32_t extra)
{
	uint32_t want = *old | RWSEM_SLEEPERS | extra;

	if (want == *old)
		return true;
	if (atomic_compare_exchange_weak_explicit(&s->state, old, want,
			memory_order_relaxed, memory_order_relaxed)) {
		*old = want;
		return true;
	}
	return false;
}

void rwsem_wake(struct rwsem *s)
{
	atomic_fetch_and_explicit(&s->state, ~RWSEM_SLEEPERS,
				  memory_order_relaxed);
	syscall(SYS_futex, &s->state, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL,
		0);
}

/* Take a shared hold once no writer holds or waits. */
void rwsem_read_slow(struct rwsem *s)
{
	uint32_t old = atomic_load_explicit(&s->state, memory_order_relaxed);

	for (;;) {
		if (!(old & (RWSEM_WRITER | RWSEM_WWAIT))) {
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
void rwsem_write_slow(struct rwsem *s)
{
	uint32_t old = atomic_load_explicit(&s->state, memory_order_relaxed);

	for (;;) {
		if (!(old & (RWSEM_READERS | RWSEM_WRITER))) {
			/* Other waiting writers set WWAIT again when they
			 * wake (at our release at the latest). */
			if (atomic_compare_exchange_weak_explicit(&s->state,
					&old, (old & ~RWSEM_WWAIT) |
					RWSEM_WRITER,
					memory_order_acquire,
					memory_order_relaxed))
				return;
			continue;
		}
		if (rwsem_mark(s, &old, RWSEM_WWAIT)) {
			rwsem_sleep(s, old);
			old = atomic_load_explicit(&s->state,
						   memory_order_relaxed);
		}
	}
}

/*
 * A clock for the bias policy only (how long a revoke took, how long the
 * bias stays off): the time stamp counter on x86, which is no system
 * call even where the vDSO's clock_gettime would be one (the data path
 * makes none, tests/test_nosyscall.c).
 */
static uint64_t bias_clock(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* A thread's exit: its line may serve another thread (its slots are
 * empty: a thread does not exit holding a lock). */
static void line_put(void *p)
{
	struct rwsem_line *l = p;

	atomic_store(&rwsem_line_taken[l - rwsem_lines], false);
}

static void key_make(void)
{
	rwsem_key_ok = pthread_key_create(&rwsem_key, line_put) == 0;
}

/* The calling thread's line of slots, claimed on first use; NULL when
 * all are taken (the thread then always uses the word). */
static struct rwsem_line *line_get(void)
{
	unsigned i, used;

	if (my_line || my_line_failed)
		return my_line;
	pthread_once(&rwsem_key_once, key_make);
	for (i = 0; rwsem_key_ok && i < RWSEM_LINES; i++) {
		bool free_ = false;

		if (atomic_load_explicit(&rwsem_line_taken[i],
					 memory_order_relaxed) ||
		    !atomic_compare_exchange_strong(&rwsem_line_taken[i],
						    &free_, true))
			continue;
		if (pthread_setspecific(rwsem_key, &rwsem_lines[i])) {
			atomic_store(&rwsem_line_taken[i], false);
			break;
		}
		used = atomic_load(&rwsem_lines_used);
		while (used < i + 1 &&
		       !atomic_compare_exchange_weak(&rwsem_lines_used, &used,
						     i + 1))
			;
		my_line = &rwsem_lines[i];
		return my_line;
	}
	my_line_failed = true;
	return NULL;
}

/*
 * Empty a slot that named s, then look at the bias: both sequentially
 * consistent, so either the revoking writer sees the slot empty, or
 * this sees the bias off and wakes the writer, which may be asleep
 * (slot_wait).  A wake-up is a system call only during a revoke.
 */
static void slot_leave(_Atomic(struct rwsem *) *slot,
		       struct rwsem *s)
{
	atomic_store(slot, NULL);
	if (!atomic_load(&s->rbias)) {
		atomic_fetch_add(&s->rbias_left, 1);
		syscall(SYS_futex, &s->rbias_left, FUTEX_WAKE_PRIVATE, INT_MAX,
			NULL, NULL, 0);
	}
}

/* Take a read hold through a slot while s is biased; false when the
 * caller must use the word. */
bool rwsem_read_biased(struct rwsem *s)
{
	struct rwsem_line *l = line_get();
	int i;

	if (!l)
		return false;
	for (i = 0; i < RWSEM_SLOTS; i++) {
		if (atomic_load_explicit(&l->slot[i], memory_order_relaxed))
			continue;
		atomic_store(&l->slot[i], s);
		if (atomic_load(&s->rbias)) {
			rwsem_nbiased++;
			return true;
		}
		slot_leave(&l->slot[i], s); /* a writer revoked it meanwhile */
		return false;
	}
	return false;
}

/* Drop a read hold taken through a slot; false when the hold is on the
 * word. */
bool rwsem_unread_biased(struct rwsem *s)
{
	struct rwsem_line *l = my_line;
	int i;

	for (i = 0; l && i < RWSEM_SLOTS; i++) {
		if (atomic_load_explicit(&l->slot[i], memory_order_relaxed) !=
		    s)
			continue;
		slot_leave(&l->slot[i], s);
		rwsem_nbiased--;
		return true;
	}
	return false;
}

/* A reader holding the word found another reader there: turn the bias
 * on, unless a writer revoked it a moment ago. */
void rwsem_bias(struct rwsem *s)
{
	if (atomic_load_explicit(&s->rbias, memory_order_relaxed) ||
	    !line_get() ||
	    bias_clock() < atomic_load_explicit(&s->rbias_after,
					    memory_order_relaxed))
		return;
	atomic_store(&s->rbias, true);
}

/* Wait while a slot names s: a biased reader is still inside.  Spin a
 * little, then sleep on rbias_left, which the reader bumps as it leaves
 * (rwsem_unread_biased). */
static void slot_wait(_Atomic(struct rwsem *) *slot,
		      struct rwsem *s)
{
	unsigned spins = 0;

	while (atomic_load(slot) == s) {
		uint32_t seen;

		if (++spins < 1024) {
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
			continue;
		}
		seen = atomic_load(&s->rbias_left);
		if (atomic_load(slot) != s)
			break;
		syscall(SYS_futex, &s->rbias_left, FUTEX_WAIT_PRIVATE, seen,
			NULL, NULL, 0);
	}
}

/* The writer holding s's word: turn the bias off and wait out the
 * readers that took s through their slots. */
void rwsem_revoke(struct rwsem *s)
{
	uint64_t t0 = bias_clock(), t1;
	unsigned n, i, j;

	atomic_store(&s->rbias, false);
	n = atomic_load(&rwsem_lines_used);
	for (i = 0; i < n; i++)
		for (j = 0; j < RWSEM_SLOTS; j++)
			slot_wait(&rwsem_lines[i].slot[j], s);
	t1 = bias_clock();
	atomic_store_explicit(&s->rbias_after, t1 + (t1 - t0) * RWSEM_INHIBIT,
			      memory_order_relaxed);
}
