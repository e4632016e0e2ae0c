/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scenarios.h -- multi-threaded scenarios on one mount, shared by the
 * Criterion tests (tests/test_concurrency.c, test_dax_truncate.c) and the
 * ThreadSanitizer programs (tests/tsan/tsan_fs.c, tsan_dax.c), so both run
 * the same code (tests/util/scenarios.c, scen_mixed.c, scen_dax.c).  No Criterion: a scenario returns 0, or -1
 * with its first failure in *e (message and count, see test_fail()); the
 * caller asserts or reports.  A scenario that failed may leave files and
 * handles behind: the caller should unmount without checking more.
 *
 * Each scenario makes the directories it names on the mount it is given
 * (fresh, or at least free of those names) and checks, single-threaded
 * after its threads joined, what a user would: data, listings, link
 * counts.
 */
#ifndef DAXFS_TEST_SCENARIOS_H
#define DAXFS_TEST_SCENARIOS_H 1

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "daxfs.h"

/* ---- mixed workload ------------------------------------------------- */

/*
 * Six workers create, write, read back, rewrite, rename (within and
 * across directories), unlink, make and remove subdirectories, list and
 * stat files in /s0../s2 (shared) and /pN (private) for iters operations
 * each, while two observers list and stat everything; each checks its
 * own files.  Then every directory must hold exactly what the workers
 * left and the shared ones the right link count.  *out (freed with
 * scen_mixed_free, NULL on failure) remembers what was left, for
 * scen_mixed_check_remove.
 */
struct scen_mixed;
int scen_mixed_run(daxfs *fs, uint64_t seed, int iters,
		   struct scen_mixed **out, struct test_err *e);

/* Every file m left holds its data (e.g. after a remount); then remove
 * them all and the directories, so the free counts return. */
int scen_mixed_check_remove(daxfs *fs, const struct scen_mixed *m,
			    struct test_err *e);

/* Free m (NULL is fine). */
void scen_mixed_free(struct scen_mixed *m);

/* ---- appends -------------------------------------------------------- */

/* Records appended per thread by scen_append_run. */
#define SCEN_NREC 1500

/*
 * n threads append SCEN_NREC records each with O_APPEND: thread i (tag
 * tid0 + i) to paths[i] through its own handle, or all through shared
 * if not NULL (the files must exist).
 */
int scen_append_run(daxfs *fs, const char *const *paths, int n,
		    daxfs_file *shared, uint32_t tid0, struct test_err *e);

/* path holds exactly the records of tags tids[0..n): each whole, each
 * tag's in order, none lost. */
int scen_append_check(daxfs *fs, const char *path, const uint32_t *tids,
		      int n, struct test_err *e);

/* ---- one winner per name -------------------------------------------- */

/* Names raced on per round, dir/n000 .. dir/n149. */
#define SCEN_NNAMES 150

/* What the racers of a round do to every name. */
enum scen_race { SCEN_CREATE_EXCL, SCEN_UNLINK, SCEN_MKDIR, SCEN_RMDIR };

/* Eight threads do op on every name of dir at once: exactly one must
 * succeed per name, the others fail with -EEXIST or -ENOENT. */
int scen_race_round(daxfs *fs, const char *dir, enum scen_race op,
		    struct test_err *e);

/* ---- renames, lookups, writes, truncates ---------------------------- */

/* Six threads move a file and a directory each between /x and /y, in
 * opposite directions, 300 times: no error, no deadlock, all back. */
int scen_crossing_renames(daxfs *fs, struct test_err *e);

/* One thread creates, renames and unlinks /r/x and /r/y 20000 times
 * while three look them up (stat, open + read): only 0 or -ENOENT. */
int scen_lookup_race(daxfs *fs, struct test_err *e);

/* Eight threads write and read back their own 256 KiB of /shared through
 * one handle; then the file is exactly their data. */
int scen_disjoint_writes(daxfs *fs, struct test_err *e);

/* One thread truncates /t and rewrites it, two read it, one extends it:
 * every byte read is the data or zero; nothing leaks when /t goes. */
int scen_truncate_race(daxfs *fs, struct test_err *e);

/* ---- truncate against views (scen_dax.c) --------------------------- */

/* Pages of /f in scen_dax_truncate. */
#define SCEN_DAX_PAGES 128

/* The only non-zero byte page p of /f ever holds. */
unsigned char scen_dax_value(uint64_t p);

/* What the threads of scen_dax_truncate did. */
struct scen_dax_stats {
	atomic_long ops, sigbus, truncs, populates, syncs;
};

/*
 * /f (each page p holding scen_dax_value(p)) has two shared lazy views.
 * For seconds, three workers load, store, copy, pwrite and pread their own
 * pages (SIGBUS caught by the probes) while a thread truncates /f down
 * and back up (and /g takes the freed blocks), another maps whole
 * populated views and a third runs daxfs_persist and daxfs_fsync: every
 * byte seen must be 0 or the page's value.  Then at a final size loads
 * raise SIGBUS exactly past it, pread and the views agree, and bytes
 * re-extended read zero.  The caller installs test_probe_install() before
 * any daxfs_map of the process, and checks *st for progress.
 */
int scen_dax_truncate(daxfs *fs, double seconds, struct scen_dax_stats *st,
		      struct test_err *e);

/* ---- the internal rwsem (scen_lock.c) ------------------------------ */

/* What scen_lock_stress saw. */
struct scen_lock_stats {
	atomic_long torn;          /* reads that saw a write half done */
	atomic_long reads, biased_reads, writes;
	bool balanced;             /* at the end: all writes whole, lock free */
};

/*
 * readers threads read three fields under down_read while writers
 * threads change them together under down_write, for seconds.  White-box
 * (libdaxfs's struct rwsem): only programs that link the library's
 * objects may call it.  Returns 0, or -1 if a thread could not start.
 */
int scen_lock_stress(int readers, int writers, double seconds,
		     struct scen_lock_stats *st);

/* ---- the extent cache (scen_extent.c) ------------------------------ */

/* What scen_extent_stress saw. */
struct scen_extent_stats {
	atomic_long lookups, hits;  /* readers' lookups, and their hits */
	atomic_long wrong;          /* hits that were not the map's answer */
	atomic_long inserts, clears;
	size_t bytes;               /* the cache's bytes at the end */
};

/*
 * One writer fills an extent cache (doubling it, then evicting) and
 * empties it, over and over, while readers threads look blocks up
 * without a lock, for seconds.  White-box (libdaxfs's extent cache on a
 * bare inode): only programs that link the library's objects may call
 * it.  Returns 0, or -1 if a thread could not start.
 */
int scen_extent_stress(int readers, double seconds,
		       struct scen_extent_stats *st);

#endif /* DAXFS_TEST_SCENARIOS_H */
