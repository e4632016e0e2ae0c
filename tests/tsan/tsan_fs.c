/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tsan_fs.c -- ThreadSanitizer stress of the namespace and file paths, a
 * standalone program (Criterion cannot run under TSan).  It runs the
 * scenarios of tests/test_concurrency.c, which live in
 * tests/util/scenarios.c for both (see scenarios.h):
 *
 *   mixed         workers create, write, read back, rename and unlink
 *                 files in private and shared directories while
 *                 observers list and stat; the directories end up holding
 *                 exactly what the workers left, every file its data;
 *   append        four O_APPEND writers on one file: no record lost or
 *                 torn;
 *   excl          O_EXCL creates, unlinks, mkdirs and rmdirs racing on
 *                 one name have exactly one winner;
 *   cross-rename  renames between two directories in opposite directions
 *                 do not deadlock;
 *   lookup        stat and open racing unlink and rename: 0 or -ENOENT;
 *   disjoint      writers of disjoint ranges through one handle;
 *   truncate      truncate racing reads and extending writes;
 *
 * and one of its own, reuse: readers of a file race a writer that
 * truncates and rewrites it while another file takes the blocks it freed;
 * a read returns one whole generation of the file, never the other
 * file's bytes (the lock-free extent cache must forget freed blocks).
 * Then unmount and "e2fsck -fn" must exit 0.  A watchdog thread ends the
 * program if it does not finish in time; any TSan report ends it too
 * (TSAN_OPTIONS=halt_on_error=1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <unistd.h>

#include "scenarios.h"
#include "tsan_util.h"

static daxfs *fs;

/* Report a shared scenario's verdict as one check. */
static void verdict(const char *what, int ret, struct test_err *e)
{
	TU_CHECK(ret == 0 && !atomic_load(&e->count), "%s%s%s", what,
		 atomic_load(&e->count) ? "; first failure: " : "", e->msg);
}

/* The Criterion test's 1000 operations per worker (seed 3). */
static void scenario_mixed(void)
{
	struct test_err e = { 0 };
	struct scen_mixed *m = NULL;
	int r = scen_mixed_run(fs, 3, 1000, &m, &e);

	verdict("mixed: 1000 operations per worker, directories as left", r,
		&e);
	if (r)
		return;
	r = scen_mixed_check_remove(fs, m, &e);
	verdict("mixed: every file holds its data, all removed", r, &e);
	scen_mixed_free(m);
}

static void scenario_append(void)
{
	const char *paths[4] = { "/append", "/append", "/append", "/append" };
	const uint32_t tids[4] = { 1, 2, 3, 4 };
	struct test_err e = { 0 };
	daxfs_file *f = NULL;
	int r = daxfs_open(fs, "/append", O_WRONLY | O_CREAT, 0644, &f);

	if (!TU_CHECK(r == 0, "append: create: %s", test_errname(r)))
		return;
	daxfs_close(f);
	r = scen_append_run(fs, paths, 4, NULL, 1, &e);
	if (!r)
		r = scen_append_check(fs, "/append", tids, 4, &e);
	verdict("append: 4 x O_APPEND writers, every record whole, once, in "
		"order", r, &e);
}

static void scenario_excl(void)
{
	static const enum scen_race ops[] = { SCEN_CREATE_EXCL, SCEN_UNLINK,
					      SCEN_MKDIR, SCEN_RMDIR };
	struct test_err e = { 0 };
	int r = daxfs_mkdir(fs, "/race", 0755);

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]) && !r; i++)
		r = scen_race_round(fs, "/race", ops[i], &e);
	verdict("excl: one winner per name for create, unlink, mkdir, rmdir",
		r, &e);
}

static void scenario_cross_rename(void)
{
	struct test_err e = { 0 };

	verdict("cross-rename: opposite renames, no error, no deadlock",
		scen_crossing_renames(fs, &e), &e);
}

static void scenario_lookup(void)
{
	struct test_err e = { 0 };

	verdict("lookup: stat/open racing unlink and rename",
		scen_lookup_race(fs, &e), &e);
}

static void scenario_disjoint(void)
{
	struct test_err e = { 0 };

	verdict("disjoint: writers through one handle, data exact",
		scen_disjoint_writes(fs, &e), &e);
}

static void scenario_truncate(void)
{
	struct test_err e = { 0 };

	verdict("truncate: reads see data or zeros, no block leaked",
		scen_truncate_race(fs, &e), &e);
}

/* ------------------------------------------------------------------ */
/* reads vs truncate, with the freed blocks reused (tsan_fs only)      */
/* ------------------------------------------------------------------ */

#define REUSE_SIZE (256 * 1024)
#define REUSE_ROUNDS 20
#define REUSE_THIEF 0xEE

static atomic_bool reuse_stop;
static atomic_long reuse_reads, reuse_bad;

static void *reuse_reader(void *arg)
{
	daxfs_file *f = arg;
	unsigned char *buf = malloc(64 * 1024);
	uint64_t rng = (uintptr_t)arg;

	while (!atomic_load(&reuse_stop)) {
		off_t off = (off_t)(test_rand(&rng) % (REUSE_SIZE / 4096)) * 4096;
		ssize_t n = daxfs_pread(f, buf, 64 * 1024, off);

		for (ssize_t i = 1; i < n; i++)
			if (buf[i] != buf[0])
				n = -1000;
		if (n < 0 || (n > 0 && (buf[0] == 0 || buf[0] == REUSE_THIEF))) {
			if (atomic_fetch_add(&reuse_bad, 1) == 0)
				fprintf(stderr, "reuse: pread at %lld: %zd, "
					"first byte %#x\n", (long long)off, n,
					n > 0 ? buf[0] : 0);
		}
		atomic_fetch_add(&reuse_reads, 1);
	}
	free(buf);
	return NULL;
}

static void scenario_reuse(void)
{
	unsigned char *data = malloc(REUSE_SIZE), *steal = malloc(1 << 20);
	daxfs_file *f = NULL, *t = NULL, *d = NULL, *rf[2] = { NULL, NULL };
	pthread_t th[2];
	int r, wrong = 0;

	r = daxfs_open(fs, "/reuse", O_RDWR | O_CREAT | O_TRUNC, 0644, &f);
	if (!r)
		r = daxfs_open(fs, "/thief", O_RDWR | O_CREAT | O_TRUNC, 0644,
			       &t);
	if (!r)
		r = daxfs_open(fs, "/donor", O_RDWR | O_CREAT | O_TRUNC, 0644,
			       &d);
	for (int i = 0; i < 2 && !r; i++)
		r = daxfs_open(fs, "/reuse", O_RDONLY, 0, &rf[i]);
	if (!TU_CHECK(r == 0, "reuse: open: %s", test_errname(r)))
		return;
	memset(steal, REUSE_THIEF, 1 << 20);
	memset(data, 1, REUSE_SIZE);
	if (daxfs_pwrite(f, data, REUSE_SIZE, 0) != REUSE_SIZE)
		wrong++;
	atomic_store(&reuse_stop, false);
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, reuse_reader, rf[i]);
	for (int g = 0; g < REUSE_ROUNDS && !wrong; g++) {
		off_t tsize = 0;
		ssize_t n;

		/* A donor takes room; the file's blocks are freed and the
		 * thief fills the file system, taking them; the donor gives
		 * its blocks back and the file is written there. */
		wrong += daxfs_pwrite(d, steal, REUSE_SIZE, 0) != REUSE_SIZE;
		wrong += daxfs_ftruncate(f, 0) != 0;
		while ((n = daxfs_pwrite(t, steal, 1 << 20, tsize)) > 0)
			tsize += n;
		wrong += n != -ENOSPC;
		wrong += daxfs_ftruncate(d, 0) != 0;
		memset(data, 2 + g % 200, REUSE_SIZE);
		wrong += daxfs_pwrite(f, data, REUSE_SIZE, 0) != REUSE_SIZE;
		wrong += daxfs_ftruncate(t, 0) != 0;
	}
	atomic_store(&reuse_stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	TU_CHECK(!wrong, "reuse: %d rounds of truncate, steal, rewrite "
		 "succeed", REUSE_ROUNDS);
	TU_CHECK(atomic_load(&reuse_bad) == 0 && atomic_load(&reuse_reads) > 0,
		 "reuse: %ld reads racing truncate and reuse each saw one "
		 "whole generation (%ld did not)", atomic_load(&reuse_reads),
		 atomic_load(&reuse_bad));
	for (int i = 0; i < 2; i++)
		daxfs_close(rf[i]);
	daxfs_close(t);
	daxfs_close(d);
	daxfs_close(f);
	daxfs_unlink(fs, "/thief");
	daxfs_unlink(fs, "/donor");
	daxfs_unlink(fs, "/reuse");
	free(data);
	free(steal);
}

/* Usage: tsan_fs [mixed] [append] [excl] [cross-rename] [lookup]
 * [disjoint] [truncate] [reuse] (default: all). */
int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} scenarios[] = {
		{ "mixed", scenario_mixed },
		{ "append", scenario_append },
		{ "excl", scenario_excl },
		{ "cross-rename", scenario_cross_rename },
		{ "lookup", scenario_lookup },
		{ "disjoint", scenario_disjoint },
		{ "truncate", scenario_truncate },
		{ "reuse", scenario_reuse },
	};
	const char *path = test_image_path("fs");
	double t0 = test_now();

	setvbuf(stdout, NULL, _IOLBF, 0);
	TU_CHECK(test_watchdog_start("tsan_fs", 280, 0, NULL) != NULL,
		 "watchdog armed: 280 s");
	printf("tsan_fs: image %s\n", path);
	fs = tu_new_fs(path, 64 * TEST_MIB, 8192);
	if (!fs)
		return tu_finish("tsan_fs");
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (!tu_wanted(argc, argv, scenarios[i].name))
			continue;
		scenarios[i].fn();
		printf("  (%s done at %.1f s)\n", scenarios[i].name,
		       test_now() - t0);
	}
	tu_unmount_fsck(fs, path);
	printf("  (total %.1f s)\n", test_now() - t0);
	return tu_finish("tsan_fs");
}
