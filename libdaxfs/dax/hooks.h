/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hooks.h -- test-only switches of the DAX engine and of ext2's iomap
 * operations (PMDK's fault_injection.h shape).
 *
 * They exist only when the objects are compiled with DAXFS_TEST_HOOKS=1
 * (the daxfs_test_obj object library that the white-box unit tests
 * link).  The released library is built without it: every query below is
 * then a constant, so the fault and iomap paths load no hook, and the
 * library holds no hook symbol (tests/check_release_symbols.sh checks).
 */
#ifndef DAXFS_DAX_HOOKS_H
#define DAXFS_DAX_HOOKS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#if DAXFS_TEST_HOOKS

#include <time.h>

/* The switches; tests set them, nothing else does. */
struct dax_test_hooks {
	/* Take the entry lock before iomap_begin (the order the seed
	 * removed): with a file system that holds something from begin to
	 * end, this deadlocks. */
	atomic_bool entry_lock_first;
	/* While set, a fault of a file whose inode number is stall_ino
	 * sleeps after taking its entry lock (to prove the watchdog). */
	atomic_bool stall;
	atomic_ulong stall_ino;
	/* Never install 2 MiB entries. */
	atomic_bool no_pmd;
	/*
	 * A test-only "journal": when set, ext2's iomap_begin takes it shared
	 * (re-entrantly per thread, like a journal handle) and iomap_end
	 * drops it, so something is held from begin to end as in ext4; a
	 * test thread taking it exclusively plays the commit.
	 */
	pthread_rwlock_t *_Atomic journal;
};
extern struct dax_test_hooks dax_hooks;

/* Must a 4 KiB fault take its entry lock before iomap_begin? */
static inline bool dax_hook_entry_lock_first(void)
{
	return atomic_load(&dax_hooks.entry_lock_first);
}

/* Are 2 MiB entries forbidden? */
static inline bool dax_hook_no_pmd(void)
{
	return atomic_load(&dax_hooks.no_pmd);
}

/* Sleep, holding the entry lock, while the stall switch is set for the
 * file ino. */
static inline void dax_hook_stall(uint32_t ino)
{
	struct timespec ts = { 0, 1000000 };

	while (atomic_load(&dax_hooks.stall) &&
	       atomic_load(&dax_hooks.stall_ino) == ino)
		nanosleep(&ts, NULL);
}

/* The test journal, or NULL. */
static inline pthread_rwlock_t *dax_hook_journal(void)
{
	return atomic_load(&dax_hooks.journal);
}

#else /* !DAXFS_TEST_HOOKS: the release build */

/* No hook: every query is a constant folded away, at -O0 too (always
 * inlined, so no stub is emitted either). */
static inline __attribute__((always_inline)) bool
dax_hook_entry_lock_first(void)
{
	return false;
}

static inline __attribute__((always_inline)) bool dax_hook_no_pmd(void)
{
	return false;
}

static inline __attribute__((always_inline)) void
dax_hook_stall(uint32_t ino)
{
	(void)ino;
}

static inline __attribute__((always_inline)) pthread_rwlock_t *
dax_hook_journal(void)
{
	return NULL;
}

#endif /* DAXFS_TEST_HOOKS */

#endif
