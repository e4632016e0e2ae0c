/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_concurrency.c -- many threads on one mount.  Workers create, write,
 * read back, rename and delete files in shared and private directories
 * while observers list and stat; each thread checks its own data, and at
 * the end the directories hold exactly what the threads left.  Appends
 * from several threads are never lost or torn; O_EXCL creates, unlinks and
 * mkdirs racing on one name have exactly one winner; cross-directory
 * renames in opposite directions do not deadlock.  Every test ends with
 * "e2fsck -fn" exiting 0.
 *
 * The scenarios themselves are in tests/util/scenarios.c, shared with the
 * ThreadSanitizer program tests/tsan/tsan_fs.c: they record the first
 * failure of any thread, which the test asserts on here.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "scenarios.h"

TestSuite(concurrency, .fini = test_cleanup, .timeout = 180);

/*
 * A scenario's verdict: on failure, unmount first (so that the failure is
 * not followed by LeakSanitizer noise about the mount), then fail with
 * its first error.
 */
static void check_scenario(int ret, struct test_err *e, daxfs *fs,
			   const char *what)
{
	if (ret == 0 && !atomic_load(&e->count))
		return;
	daxfs_unmount(fs);
	cr_assert_fail("%s: %d failure(s), first: %s", what,
		       atomic_load(&e->count), e->msg);
}

/* ---- mixed workload -------------------------------------------------- */

/* The scenario, then after a remount every file, then delete all: the
 * free counts return to where they started. */
static void run_mixed(daxfs *fs, const char *p, uint64_t seed)
{
	struct statvfs s0 = check_statfs(fs), s1;
	struct test_err e = { 0 };
	struct scen_mixed *m = NULL;

	check_scenario(scen_mixed_run(fs, seed, 1000, &m, &e), &e, fs,
		       "mixed workload");
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	check_scenario(scen_mixed_check_remove(fs, m, &e), &e, fs,
		       "after remount");
	scen_mixed_free(m);
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_bfree, s0.f_bfree,
		     "f_bfree %lu after deleting everything, %lu at start",
		     (unsigned long)s1.f_bfree, (unsigned long)s0.f_bfree);
	cr_assert_eq(s1.f_ffree, s0.f_ffree,
		     "f_ffree %lu after deleting everything, %lu at start",
		     (unsigned long)s1.f_ffree, (unsigned long)s0.f_ffree);
	check_unmount_fsck(fs, p);
}

Test(concurrency, mixed_workload_4k)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 64 * TEST_MIB, 0, 0, &p);
	run_mixed(fs, p, 1);
}

Test(concurrency, mixed_workload_1k_blocks)
{
	/* 1 KiB blocks: 8 groups, more indirect blocks, more contention */
	const char *p;
	daxfs *fs = check_new_fs("conc", 64 * TEST_MIB, 1024, 0, &p);
	run_mixed(fs, p, 2);
}

/* ---- appends --------------------------------------------------------- */

/* Create path empty. */
static void touch(daxfs *fs, const char *path)
{
	check_close(check_open(fs, path, O_CREAT | O_WRONLY, 0644));
}

/* scen_append_check must pass for path. */
static void check_log(daxfs *fs, const char *path, const uint32_t *tids,
		      int n)
{
	struct test_err e = { 0 };

	check_scenario(scen_append_check(fs, path, tids, n, &e), &e, fs, path);
}

Test(concurrency, appends_to_different_files)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	const char *paths[2] = { "/log0", "/log1" };
	const uint32_t tids[2] = { 1, 2 };
	struct test_err e = { 0 };

	for (int i = 0; i < 2; i++)
		touch(fs, paths[i]);
	check_scenario(scen_append_run(fs, paths, 2, NULL, 1, &e), &e, fs,
		       "appends");
	for (int i = 0; i < 2; i++)
		check_log(fs, paths[i], &tids[i], 1);
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	for (int i = 0; i < 2; i++)
		check_log(fs, paths[i], &tids[i], 1);
	check_unmount_fsck(fs, p);
}

Test(concurrency, appends_to_one_file)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	/* four writers, each with its own O_APPEND handle */
	const char *paths[4] = { "/log", "/log", "/log", "/log" };
	const uint32_t tids[4] = { 10, 11, 12, 13 };
	struct test_err e = { 0 };

	touch(fs, "/log");
	check_scenario(scen_append_run(fs, paths, 4, NULL, 10, &e), &e, fs,
		       "appends");
	check_log(fs, "/log", tids, 4);
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	check_log(fs, "/log", tids, 4);
	check_unmount_fsck(fs, p);
}

Test(concurrency, appends_through_one_shared_handle)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	daxfs_file *f = check_open(fs, "/log", O_CREAT | O_RDWR | O_APPEND,
				   0644);
	const uint32_t tids[3] = { 20, 21, 22 };
	struct test_err e = { 0 };
	int r = scen_append_run(fs, NULL, 3, f, 20, &e);

	if (r)
		daxfs_close(f);
	check_scenario(r, &e, fs, "appends");
	check_close(f);
	check_log(fs, "/log", tids, 3);
	check_unmount_fsck(fs, p);
}

/* ---- disjoint writes to one file through one handle ------------------ */

Test(concurrency, disjoint_writes_through_one_handle)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	struct test_err e = { 0 };

	check_scenario(scen_disjoint_writes(fs, &e), &e, fs, "writers");
	check_unmount_fsck(fs, p);
}

/* ---- races on one name ----------------------------------------------- */

/* One round of scen_race_round that must pass. */
static void race_round(daxfs *fs, enum scen_race op)
{
	struct test_err e = { 0 };

	check_scenario(scen_race_round(fs, "/race", op, &e), &e, fs, "race");
}

Test(concurrency, one_winner_per_name)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	struct statvfs s0, s1;
	struct stat st;
	int n;

	CHECK_OK(daxfs_mkdir(fs, "/race", 0755));
	s0 = check_statfs(fs);
	race_round(fs, SCEN_CREATE_EXCL);
	n = 0;
	CHECK_OK(daxfs_readdir(fs, "/race", test_count_cb, &n));
	cr_assert_eq(n, SCEN_NNAMES, "%d entries after the create race", n);
	race_round(fs, SCEN_UNLINK);
	n = 0;
	CHECK_OK(daxfs_readdir(fs, "/race", test_count_cb, &n));
	cr_assert_eq(n, 0);
	race_round(fs, SCEN_MKDIR);
	CHECK_OK(daxfs_stat(fs, "/race", &st));
	cr_assert_eq(st.st_nlink, 2 + SCEN_NNAMES, "nlink %lu after %d mkdirs",
		     (unsigned long)st.st_nlink, SCEN_NNAMES);
	check_unmount_fsck(fs, p);
	fs = check_mount(p, 0);
	race_round(fs, SCEN_RMDIR);
	CHECK_OK(daxfs_stat(fs, "/race", &st));
	cr_assert_eq(st.st_nlink, 2);
	s1 = check_statfs(fs);
	cr_assert_eq(s1.f_ffree, s0.f_ffree);
	/* the directory may keep its grown blocks; nothing else may leak */
	check_unmount_fsck(fs, p);
}

/* ---- renames in opposite directions ---------------------------------- */

Test(concurrency, crossing_renames_do_not_deadlock)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	struct test_err e = { 0 };

	check_scenario(scen_crossing_renames(fs, &e), &e, fs, "renames");
	check_unmount_fsck(fs, p);
}

/* ---- lookups racing with unlink and rename --------------------------- */

Test(concurrency, lookups_racing_with_unlink_and_rename)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	struct test_err e = { 0 };

	check_scenario(scen_lookup_race(fs, &e), &e, fs, "lookups");
	check_unmount_fsck(fs, p);
}

/* ---- truncate racing with reads and writes of the same file ---------- */

Test(concurrency, truncate_racing_with_reads_and_writes)
{
	const char *p;
	daxfs *fs = check_new_fs("conc", 32 * TEST_MIB, 0, 0, &p);
	struct test_err e = { 0 };

	check_scenario(scen_truncate_race(fs, &e), &e, fs, "truncate race");
	check_unmount_fsck(fs, p);
}
