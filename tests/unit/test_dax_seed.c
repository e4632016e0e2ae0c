/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dax_seed.c -- the scenario of the seed "dax: call ->iomap_begin
 * without entry lock during dax fault": pwrite copies whose source buffer
 * is a lazy view (of another file, or of the same file) fault inside the
 * iomap_begin..iomap_end of the write, concurrently, many times, under a
 * watchdog, in a forked child (a hang is a failure, not a hung suite).
 *
 * Then two proofs that the test can fail:
 *   - the watchdog fires on a fault stuck by dax_hooks.stall;
 *   - with the test-only journal (held by iomap_begin..iomap_end, taken
 *     exclusively by a "commit" thread) and faults outside any pwrite,
 *     the order the seed removed (entry_lock_first) deadlocks, and the
 *     seed's order completes the same workload.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "dax/fault.h"
#include "ext2/ext2.h"
#include "check.h"
#include "probe.h"

/* Forks happen with threads around under ThreadSanitizer otherwise. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "die_after_fork=0";
}

TestSuite(dax_seed, .fini = test_cleanup, .timeout = 120);

#define PG TEST_PAGE
#define R 16 /* pages of one region */

/*
 * Layout (regions of R pages):
 *   A: [0,R) pattern PA (never written again) | [R,2R) copy of B[0,R) (t1)
 *      | [2R,3R) copy of A[0,R) (t3)
 *   B: [0,R) pattern PB | [R,2R) copy of A[0,R) (t2) | [2R,3R) copy of
 *      A[0,R) too (t2), a tail that t4 truncates away and re-extends
 * so every copy writes the same bytes every time and sources never change.
 */
#define SEED_A 0xA
#define SEED_B 0xB

struct seed_ctx {
	const char *path;
	daxfs *fs;
	daxfs_file *a, *b;
	atomic_ulong progress;
	atomic_bool stop;
	atomic_int bad;
	char why[256];
	long iters;
	double seconds;
};

static void ctx_bad(struct seed_ctx *c, const char *fmt, long a, long b)
{
	if (atomic_fetch_add(&c->bad, 1) == 0)
		snprintf(c->why, sizeof(c->why), fmt, a, b);
}

static int setup_files(struct seed_ctx *c)
{
	unsigned char *buf = malloc(3 * R * PG);
	int ret;

	if (!buf)
		return -1;
	ret = test_mkfs_mount(c->path, 64 * TEST_MIB, 4096, 0, &c->fs);
	if (!ret)
		ret = daxfs_open(c->fs, "/A", O_RDWR | O_CREAT, 0644, &c->a);
	if (!ret)
		ret = daxfs_open(c->fs, "/B", O_RDWR | O_CREAT, 0644, &c->b);
	if (!ret) {
		test_pattern(buf, R * PG, SEED_A, 0);
		ret = daxfs_pwrite(c->a, buf, R * PG, 0) == (ssize_t)(R * PG)
			      ? 0 : -1;
		test_pattern(buf, R * PG, SEED_B, 0);
		if (!ret)
			ret = daxfs_pwrite(c->b, buf, R * PG, 0) ==
				      (ssize_t)(R * PG) ? 0 : -1;
		if (!ret)
			ret = daxfs_ftruncate(c->a, 3 * R * PG);
		if (!ret)
			ret = daxfs_ftruncate(c->b, 3 * R * PG);
	}
	free(buf);
	if (ret)
		fprintf(stderr, "seed setup: %d %s\n", ret, daxfs_errormsg());
	return ret;
}

/* Copy R pages from a fresh lazy view of src (region 0) into dst at
 * region dreg, then check dst's region holds the source pattern. */
static void copy_once(struct seed_ctx *c, daxfs_file *src, int src_seed,
		      daxfs_file *dst, int dreg, int prot, unsigned char *chk)
{
	unsigned char *v = NULL;
	ssize_t n;
	int ret;

	ret = daxfs_map(src, 0, 3 * R * PG, prot, 0, (void **)&v);
	if (ret) {
		ctx_bad(c, "map: %ld (%ld)", ret, 0);
		return;
	}
	n = daxfs_pwrite(dst, v, R * PG, (off_t)dreg * R * PG);
	if (n != (ssize_t)(R * PG))
		ctx_bad(c, "pwrite from a view returned %ld, region %ld", n,
			dreg);
	/* B's tail region may be truncated right after the pwrite (t4):
	 * its contents are checked at the end only. */
	if (dst == c->b && dreg == 2)
		goto out;
	n = daxfs_pread(dst, chk, R * PG, (off_t)dreg * R * PG);
	if (n != (ssize_t)(R * PG) ||
	    test_pattern_mismatch(chk, R * PG, src_seed, 0) >= 0)
		ctx_bad(c, "region %ld holds wrong bytes (pread %ld)", dreg, n);
out:
	daxfs_unmap(v, 3 * R * PG);
	atomic_fetch_add(&c->progress, 1);
}

static void *t1_main(void *arg) /* A[R,2R) <- view of B */
{
	struct seed_ctx *c = arg;
	unsigned char *chk = malloc(R * PG);
	long i;

	for (i = 0; i < c->iters && !atomic_load(&c->bad); i++)
		copy_once(c, c->b, SEED_B, c->a, 1, PROT_READ, chk);
	free(chk);
	return NULL;
}

static void *t2_main(void *arg) /* B[R,2R) and B[2R,3R) <- view of A */
{
	struct seed_ctx *c = arg;
	unsigned char *chk = malloc(R * PG);
	long i;

	for (i = 0; i < c->iters && !atomic_load(&c->bad); i++)
		copy_once(c, c->a, SEED_A, c->b, 1 + (i & 1),
			  i % 3 ? PROT_READ : PROT_READ | PROT_WRITE, chk);
	free(chk);
	return NULL;
}

static void *t3_main(void *arg) /* A[2R,3R) <- view of A */
{
	struct seed_ctx *c = arg;
	unsigned char *chk = malloc(R * PG);
	long i;

	for (i = 0; i < c->iters && !atomic_load(&c->bad); i++)
		copy_once(c, c->a, SEED_A, c->a, 2,
			  i % 2 ? PROT_READ : PROT_READ | PROT_WRITE, chk);
	free(chk);
	return NULL;
}

static void *t4_main(void *arg) /* truncates B's tail down and up */
{
	struct seed_ctx *c = arg;
	uint64_t seed = 77;

	while (!atomic_load(&c->stop) && !atomic_load(&c->bad)) {
		uint64_t cut = 2 * R * PG + (test_rand(&seed) % R) * PG;

		if (daxfs_ftruncate(c->b, cut) ||
		    daxfs_ftruncate(c->b, 3 * R * PG))
			ctx_bad(c, "ftruncate failed %ld %ld", 0, 0);
		atomic_fetch_add(&c->progress, 1);
		sched_yield();
	}
	return NULL;
}

static int seed_child(void *arg)
{
	struct seed_ctx *c = arg;
	struct test_watchdog *w;
	pthread_t t[4];
	unsigned char *buf;
	int i, ret = 0;

	if (setup_files(c))
		return TEST_SETUP_EXIT;
	w = test_watchdog_start("seed scenario", 45, 5, &c->progress);
	pthread_create(&t[0], NULL, t1_main, c);
	pthread_create(&t[1], NULL, t2_main, c);
	pthread_create(&t[2], NULL, t3_main, c);
	pthread_create(&t[3], NULL, t4_main, c);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	atomic_store(&c->stop, true);
	pthread_join(t[3], NULL);
	test_watchdog_stop(w);
	if (atomic_load(&c->bad)) {
		fprintf(stderr, "seed scenario: %s\n", c->why);
		return TEST_BADDATA_EXIT;
	}
	/* Final contents, B's tail written once more. */
	buf = malloc(3 * R * PG);
	{
		unsigned char *v = NULL;

		daxfs_map(c->a, 0, R * PG, PROT_READ, 0, (void **)&v);
		if (daxfs_pwrite(c->b, v, R * PG, 2 * R * PG) != (ssize_t)(R * PG))
			ret = TEST_BADDATA_EXIT;
		daxfs_unmap(v, R * PG);
	}
	if (daxfs_pread(c->a, buf, 3 * R * PG, 0) != (ssize_t)(3 * R * PG) ||
	    test_pattern_mismatch(buf, R * PG, SEED_A, 0) >= 0 ||
	    test_pattern_mismatch(buf + R * PG, R * PG, SEED_B, 0) >= 0 ||
	    test_pattern_mismatch(buf + 2 * R * PG, R * PG, SEED_A, 0) >= 0) {
		fprintf(stderr, "seed scenario: A holds wrong bytes\n");
		ret = TEST_BADDATA_EXIT;
	}
	if (daxfs_pread(c->b, buf, 3 * R * PG, 0) != (ssize_t)(3 * R * PG) ||
	    test_pattern_mismatch(buf, R * PG, SEED_B, 0) >= 0 ||
	    test_pattern_mismatch(buf + R * PG, R * PG, SEED_A, 0) >= 0 ||
	    test_pattern_mismatch(buf + 2 * R * PG, R * PG, SEED_A, 0) >= 0) {
		fprintf(stderr, "seed scenario: B holds wrong bytes\n");
		ret = TEST_BADDATA_EXIT;
	}
	free(buf);
	daxfs_close(c->a);
	daxfs_close(c->b);
	if (daxfs_unmount(c->fs)) {
		fprintf(stderr, "unmount: %s\n", daxfs_errormsg());
		ret = TEST_BADDATA_EXIT;
	}
	return ret;
}

Test(dax_seed, pwrite_from_views_no_deadlock_right_data)
{
	struct seed_ctx c = { 0 };
	int st;

	test_probe_install();
	c.path = test_image_path("seed");
	c.iters = 2500;
	st = test_fork_run(seed_child, &c, 60);
	cr_assert_eq(st, 0, "seed scenario child exit %d (%d: watchdog, a "
		     "deadlock; %d: wrong data; %d: setup; -1: killed)", st,
		     TEST_WATCHDOG_EXIT, TEST_BADDATA_EXIT, TEST_SETUP_EXIT);
	cr_assert_eq(test_e2fsck(c.path, NULL), 0);
}

/* ---- the watchdog sees a stuck fault ------------------------------- */

static int stall_child(void *arg)
{
	struct seed_ctx *c = arg;
	unsigned char *v = NULL;
	struct test_watchdog *w;

	if (setup_files(c))
		return TEST_SETUP_EXIT;
	atomic_store(&dax_hooks.no_pmd, true);
	atomic_store(&dax_hooks.stall_ino, EXT2_I(c->a->inode)->ino);
	atomic_store(&dax_hooks.stall, true);
	if (daxfs_map(c->a, 0, R * PG, PROT_READ, 0, (void **)&v))
		return TEST_SETUP_EXIT;
	w = test_watchdog_start("stalled fault", 2, 0, NULL);
	(void)*(volatile unsigned char *)v; /* stuck in the fault */
	test_watchdog_stop(w);
	return 0; /* the watchdog did not fire */
}

Test(dax_seed, watchdog_fires_on_stalled_fault)
{
	struct seed_ctx c = { 0 };
	double t0 = test_now();
	int st;

	c.path = test_image_path("stall");
	st = test_fork_run(stall_child, &c, 30);
	cr_assert_eq(st, TEST_WATCHDOG_EXIT,
		     "child exit %d: the watchdog did not "
		     "report the stalled fault", st);
	cr_assert(test_now() - t0 < 20);
}

/* ---- the journal: the order the seed removed deadlocks --------------- */

struct jctx {
	struct seed_ctx c;
	bool entry_first;
	pthread_rwlock_t journal;
	atomic_ulong commits;
	double run_s;
};

static void *commit_main(void *arg)
{
	struct jctx *j = arg;
	struct timespec ts = { 0, 20000 };

	while (!atomic_load(&j->c.stop)) {
		pthread_rwlock_wrlock(&j->journal);
		atomic_fetch_add(&j->commits, 1);
		pthread_rwlock_unlock(&j->journal);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* Faults outside any pwrite: touch every page of fresh views of A. */
static void *toucher_main(void *arg)
{
	struct jctx *j = arg;
	unsigned long sum = 0;

	while (!atomic_load(&j->c.stop)) {
		unsigned char *v = NULL;
		int i;

		if (daxfs_map(j->c.a, 0, R * PG, PROT_READ, 0, (void **)&v))
			break;
		for (i = 0; i < R; i++)
			sum += ((volatile unsigned char *)v)[i * PG];
		daxfs_unmap(v, R * PG);
		atomic_fetch_add(&j->c.progress, 1);
	}
	return (void *)sum;
}

/* pwrite(B) from fresh views of A: faults with the journal held. */
static void *jcopy_main(void *arg)
{
	struct jctx *j = arg;
	unsigned char *chk = malloc(R * PG);

	while (!atomic_load(&j->c.stop) && !atomic_load(&j->c.bad)) {
		copy_once(&j->c, j->c.a, SEED_A, j->c.b, 1, PROT_READ, chk);
		atomic_fetch_add(&j->c.progress, 1);
	}
	free(chk);
	return NULL;
}

static int journal_child(void *arg)
{
	struct jctx *j = arg;
	pthread_rwlockattr_t a;
	struct test_watchdog *w;
	pthread_t t[5];
	double end;
	int i;

	if (setup_files(&j->c))
		return TEST_SETUP_EXIT;
	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a,
		PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&j->journal, &a);
	atomic_store(&dax_hooks.no_pmd, true);
	atomic_store(&dax_hooks.entry_lock_first, j->entry_first);
	atomic_store(&dax_hooks.journal, &j->journal);
	w = test_watchdog_start(j->entry_first ? "journal, entry lock first"
					     : "journal, seed order",
				j->run_s + 20, 3, &j->c.progress);
	pthread_create(&t[0], NULL, commit_main, j);
	pthread_create(&t[1], NULL, toucher_main, j);
	pthread_create(&t[2], NULL, toucher_main, j);
	pthread_create(&t[3], NULL, jcopy_main, j);
	pthread_create(&t[4], NULL, jcopy_main, j);
	end = test_now() + j->run_s;
	while (test_now() < end && !atomic_load(&j->c.bad)) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	atomic_store(&j->c.stop, true);
	for (i = 0; i < 5; i++)
		pthread_join(t[i], NULL);
	test_watchdog_stop(w);
	atomic_store(&dax_hooks.journal, NULL);
	if (atomic_load(&j->c.bad)) {
		fprintf(stderr, "journal workload: %s\n", j->c.why);
		return TEST_BADDATA_EXIT;
	}
	fprintf(stderr, "journal workload (entry_lock_first=%d): %lu steps, "
		"%lu commits\n", j->entry_first, atomic_load(&j->c.progress),
		atomic_load(&j->commits));
	daxfs_close(j->c.a);
	daxfs_close(j->c.b);
	return daxfs_unmount(j->c.fs) ? TEST_BADDATA_EXIT : 0;
}

Test(dax_seed, journal_entry_lock_first_deadlocks)
{
	struct jctx *j = calloc(1, sizeof(*j));
	double t0 = test_now();
	int st;

	cr_assert(j);
	test_probe_install();
	j->c.path = test_image_path("jfirst");
	j->entry_first = true;
	j->run_s = 20; /* the deadlock is expected long before */
	st = test_fork_run(journal_child, j, 60);
	cr_assert_eq(st, TEST_WATCHDOG_EXIT,
		     "entry_lock_first with the journal: "
		     "child exit %d after %.1f s, expected the watchdog (%d) to "
		     "report a deadlock", st, test_now() - t0, TEST_WATCHDOG_EXIT);
	free(j);
}

Test(dax_seed, journal_seed_order_completes)
{
	struct jctx *j = calloc(1, sizeof(*j));
	int st;

	cr_assert(j);
	test_probe_install();
	j->c.path = test_image_path("jseed");
	j->entry_first = false;
	j->run_s = 6;
	st = test_fork_run(journal_child, j, 60);
	cr_assert_eq(st, 0, "seed order with the journal: child exit %d (%d: "
		     "watchdog, a deadlock; %d: wrong data)", st,
		     TEST_WATCHDOG_EXIT, TEST_BADDATA_EXIT);
	cr_assert_eq(test_e2fsck(j->c.path, NULL), 0);
	free(j);
}
