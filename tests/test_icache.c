/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_icache.c -- the evicting inode cache (libdaxfs/ext2/icache.c)
 * through the public interface: the default budget and the stats, bad
 * arguments, eviction of unused inodes and of directories (rebuilt at
 * their next lookup), what pins an inode (an open file, a view), unlink,
 * rename and rmdir of evicted inodes, eviction while other threads walk,
 * write and fault, and a scale run: many files in a small budget, the
 * process's anonymous memory bounded, and given back at unmount.  Every
 * image is checked with e2fsck -fn.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "check.h"
#include "probe.h"

#define PG TEST_PAGE

TestSuite(icache, .init = test_probe_install, .fini = test_cleanup,
	  .timeout = 120);

static struct daxfs_cache_stats stats_of(daxfs *fs)
{
	struct daxfs_cache_stats st;

	memset(&st, 0xff, sizeof(st));
	CHECK_OK(daxfs_cache_stats(fs, &st));
	return st;
}

/* Create n empty files d<i>/f<j> over ndirs directories. */
static void make_tree(daxfs *fs, unsigned ndirs, unsigned n)
{
	char p[64];
	unsigned i;

	for (i = 0; i < ndirs; i++) {
		snprintf(p, sizeof(p), "/d%u", i);
		CHECK_OK(daxfs_mkdir(fs, p, 0755));
	}
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "/d%u/f%u", i % ndirs, i);
		check_close(check_open(fs, p, O_CREAT | O_WRONLY, 0644));
	}
}

/* Stat every file of make_tree; each must be a regular file. */
static void stat_tree(daxfs *fs, unsigned ndirs, unsigned n)
{
	struct stat st;
	char p[64];
	unsigned i;

	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "/d%u/f%u", i % ndirs, i);
		CHECK_OK(daxfs_stat(fs, p, &st));
		cr_assert(S_ISREG(st.st_mode), "%s is not a regular file", p);
	}
}

Test(icache, default_budget_and_bad_arguments)
{
	const char *img;
	daxfs *fs = check_new_fs("ic-def", 64 * TEST_MIB, 4096, 0, &img);
	struct daxfs_cache_stats st = stats_of(fs);

	cr_assert_eq(st.limit, (64 << 20) + 64 * TEST_MIB / 512);
	cr_assert_geq(st.inodes, 1, "the root is cached");
	cr_assert_eq(st.evictions, 0);
	cr_assert_eq(st.reserved[0], 0);
	cr_assert_eq(daxfs_cache_stats(NULL, &st), -EINVAL);
	check_errormsg("daxfs_cache_stats", "must be given");
	cr_assert_eq(daxfs_cache_stats(fs, NULL), -EINVAL);
	cr_assert_eq(daxfs_set_cache_limit(NULL, 1), -EINVAL);
	check_errormsg("daxfs_set_cache_limit", "fs is NULL");
	CHECK_OK(daxfs_set_cache_limit(fs, 12345));
	cr_assert_eq(stats_of(fs).limit, 12345);
	check_unmount_fsck(fs, img);
}

Test(icache, unused_inodes_are_evicted_and_read_again)
{
	const char *img;
	daxfs *fs = check_new_fs("ic-evict", 64 * TEST_MIB, 4096, 0, &img);
	struct daxfs_cache_stats st;

	make_tree(fs, 10, 500);
	st = stats_of(fs);
	cr_assert_geq(st.unused, 510, "unbounded: every inode stays cached");
	cr_assert_gt(st.bytes, 510 * 64);
	CHECK_OK(daxfs_set_cache_limit(fs, 0));
	st = stats_of(fs);
	cr_assert_eq(st.unused, 0, "limit 0 keeps no unused inode");
	cr_assert_geq(st.evictions, 510);
	cr_assert_leq(st.inodes, 2, "the root alone stays (%llu)",
		      (unsigned long long)st.inodes);
	stat_tree(fs, 10, 500); /* every directory index rebuilt */
	cr_assert_eq(stats_of(fs).unused, 0);
	cr_assert_gt(st.table, 0, "the hash table is not counted");
	cr_assert_geq(st.bytes, st.table);
	CHECK_OK(daxfs_set_cache_limit(fs, st.table + 16 * 1024));
	stat_tree(fs, 10, 500);
	st = stats_of(fs);
	cr_assert_leq(st.bytes, st.table + 16 * 1024, "%llu bytes over a limit "
		      "of the table and 16 KiB", (unsigned long long)st.bytes);
	cr_assert_gt(st.unused, 0, "some unused inodes fit in 16 KiB");
	check_unmount_fsck(fs, img);
}

/* The fields a stat compares (st_atim and the rest are not set by
 * libdaxfs beyond these). */
static void check_same_stat(const char *p, const struct stat *a,
			    const struct stat *b)
{
	cr_assert_eq(a->st_ino, b->st_ino, "%s: st_ino", p);
	cr_assert_eq(a->st_mode, b->st_mode, "%s: st_mode", p);
	cr_assert_eq(a->st_nlink, b->st_nlink, "%s: st_nlink", p);
	cr_assert_eq(a->st_uid, b->st_uid, "%s: st_uid", p);
	cr_assert_eq(a->st_gid, b->st_gid, "%s: st_gid", p);
	cr_assert_eq(a->st_rdev, b->st_rdev, "%s: st_rdev", p);
	cr_assert_eq(a->st_size, b->st_size, "%s: st_size", p);
	cr_assert_eq(a->st_blocks, b->st_blocks, "%s: st_blocks", p);
	cr_assert_eq(a->st_blksize, b->st_blksize, "%s: st_blksize", p);
	cr_assert_eq(a->st_atim.tv_sec, b->st_atim.tv_sec, "%s: atime", p);
	cr_assert_eq(a->st_mtim.tv_sec, b->st_mtim.tv_sec, "%s: mtime", p);
	cr_assert_eq(a->st_ctim.tv_sec, b->st_ctim.tv_sec, "%s: ctime", p);
}

/* A stat of an inode the cache does not hold reads it from the media
 * and does not cache it (a scattered stat of a million files evicts
 * nothing): the same answer as while it was cached, for every kind of
 * file, and the cache does not grow. */
Test(icache, stat_of_evicted_inodes)
{
	static const char *const paths[] = { "/s/big", "/s/dev", "/s/dir",
					     "/s/fifo", "/s/link", "/s/own" };
	const char *img;
	daxfs *fs = check_new_fs("ic-stat", 64 * TEST_MIB, 4096, 0, &img);
	struct timespec ts[2] = { { 1000000000, 0 }, { 1200000000, 0 } };
	struct stat before[6], after;
	struct daxfs_cache_stats st;
	static char buf[3 * 4096 + 100];
	daxfs_file *f;

	CHECK_OK(daxfs_mkdir(fs, "/s", 0755));
	f = check_open(fs, "/s/big", O_CREAT | O_WRONLY, 0640);
	memset(buf, 7, sizeof(buf));
	cr_assert_eq(daxfs_pwrite(f, buf, sizeof(buf), 5 * 4096),
		     (ssize_t)sizeof(buf));
	check_close(f);
	CHECK_OK(daxfs_mknod(fs, "/s/dev", S_IFCHR | 0600, makedev(8, 17)));
	CHECK_OK(daxfs_mkdir(fs, "/s/dir", 0700));
	CHECK_OK(daxfs_mknod(fs, "/s/fifo", S_IFIFO | 0644, 0));
	CHECK_OK(daxfs_symlink(fs, "/s/big", "/s/link"));
	check_close(check_open(fs, "/s/own", O_CREAT | O_WRONLY, 0600));
	CHECK_OK(daxfs_chown(fs, "/s/own", 70000, 80000));
	CHECK_OK(daxfs_utimens(fs, "/s/own", ts));
	for (int i = 0; i < 6; i++)
		CHECK_OK(daxfs_stat(fs, paths[i], &before[i]));
	CHECK_OK(daxfs_set_cache_limit(fs, 0)); /* every unused one goes */
	st = stats_of(fs);
	CHECK_OK(daxfs_set_cache_limit(fs, st.table + TEST_MIB)); /* room */
	for (int i = 0; i < 6; i++) {
		CHECK_OK(daxfs_stat(fs, paths[i], &after));
		check_same_stat(paths[i], &before[i], &after);
	}
	cr_assert_eq(after.st_uid, 70000);
	cr_assert_eq(after.st_mtim.tv_sec, 1200000000);
	cr_assert_eq(before[1].st_rdev, makedev(8, 17));
	/* the walk caches /s, the directory; the files stay out */
	cr_assert_leq(stats_of(fs).inodes, st.inodes + 1, "stat cached "
		      "inodes (%llu, %llu before)", (unsigned long long)
		      stats_of(fs).inodes, (unsigned long long)st.inodes);
	CHECK_ERR_MSG(daxfs_stat(fs, "/s/none", &after), ENOENT,
		      "\"none\" does not exist");
	check_unmount_fsck(fs, img);
}

/* The DRAM of an indexed directory's cache is made at its second use: a
 * directory looked in once after a mount (the first lookup) holds its
 * inode and block runs only, the next lookup starts the index's cache;
 * both lookups answer right. */
Test(icache, one_lookup_in_an_indexed_directory_allocates_no_index)
{
	const char *img;
	daxfs *fs = check_new_fs("ic-dx", 64 * TEST_MIB, 4096, 0, &img);
	struct stat st;
	uint64_t b0, b1, b2;

	make_tree(fs, 1, 2000); /* /d0: some 20 blocks, indexed */
	check_unmount(fs);
	fs = check_mount(img, 0);
	b0 = stats_of(fs).bytes;
	CHECK_OK(daxfs_stat(fs, "/d0/f1000", &st));
	cr_assert(S_ISREG(st.st_mode));
	b1 = stats_of(fs).bytes;
	CHECK_OK(daxfs_stat(fs, "/d0/f1999", &st));
	cr_assert(S_ISREG(st.st_mode));
	b2 = stats_of(fs).bytes;
	cr_assert_leq(b1 - b0, 1024, "one lookup took %llu bytes (an inode "
		      "and its runs are less)", (unsigned long long)(b1 - b0));
	cr_assert_geq(b2 - b1, 512, "the second lookup made no index cache "
		      "(%llu bytes)", (unsigned long long)(b2 - b1));
	CHECK_ERR(daxfs_stat(fs, "/d0/none", &st), ENOENT);
	check_unmount_fsck(fs, img);
}

/* Page faults this thread has taken so far. */
static long thread_minflt(void)
{
	struct rusage ru;

	cr_assert_eq(getrusage(RUSAGE_THREAD, &ru), 0);
	return ru.ru_minflt;
}

/* A mount leaves resident memory for its first lookups: the first
 * lookups in a big indexed directory (its inode, its cache started at the
 * second use, a leaf's table) take no page fault of their own, where
 * each took a few (several microseconds each on a virtual machine). */
Test(icache, first_lookups_after_a_mount_take_no_page_fault)
{
	static const char *const names[] = { "/d0/f1000", "/d0/f1999",
					     "/d0/f3", "/d0/f1999", "/d0/f7" };
	const char *img;
	daxfs *fs;
	struct stat st;
	long f0, faults;
	unsigned i;

	fs = check_new_fs("ic-pf", 64 * TEST_MIB, 4096, 0, &img);
	make_tree(fs, 1, 2000);
	check_unmount(fs);
	fs = check_mount(img, DAXFS_MOUNT_POPULATE);
	f0 = thread_minflt();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK_OK(daxfs_stat(fs, names[i], &st));
		cr_assert(S_ISREG(st.st_mode));
	}
	faults = thread_minflt() - f0;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || \
	!defined(MADV_POPULATE_WRITE)
	fprintf(stderr, "page faults of the first lookups not checked (%ld): "
		"a sanitizer build allocates from libc, and a kernel without "
		"MADV_POPULATE_WRITE faults pages in one by one\n", faults);
#else
	cr_assert_leq(faults, 2, "the first %zu lookups after a mount took "
		      "%ld page faults", sizeof(names) / sizeof(names[0]),
		      faults);
#endif
	check_unmount_fsck(fs, img);
}

Test(icache, changes_to_evicted_inodes)
{
	const char *img;
	daxfs *fs = check_new_fs("ic-change", 64 * TEST_MIB, 4096, 0, &img);
	struct stat st;
	char p[64], q[80];
	unsigned i;

	make_tree(fs, 4, 200);
	CHECK_OK(daxfs_mkdir(fs, "/d0/sub", 0755));
	check_create_pattern_file(fs, "/d0/sub/data", 7, 3 * PG);
	CHECK_OK(daxfs_set_cache_limit(fs, 0));
	/* Unlink evicted files, rename evicted directories. */
	for (i = 0; i < 200; i += 2) {
		snprintf(p, sizeof(p), "/d%u/f%u", i % 4, i);
		CHECK_OK(daxfs_unlink(fs, p));
	}
	CHECK_OK(daxfs_rename(fs, "/d1", "/d0/sub/d1"));
	CHECK_OK(daxfs_rename(fs, "/d0/sub", "/d2/moved"));
	CHECK_OK(daxfs_rename(fs, "/d3", "/d2/moved/d3"));
	check_pattern_file(fs, "/d2/moved/data", 7, 3 * PG);
	for (i = 1; i < 200; i += 2) {
		unsigned d = i % 4;

		if (d == 1)
			snprintf(p, sizeof(p), "/d2/moved/d1/f%u", i);
		else if (d == 3)
			snprintf(p, sizeof(p), "/d2/moved/d3/f%u", i);
		else
			snprintf(p, sizeof(p), "/d%u/f%u", d, i);
		CHECK_OK(daxfs_stat(fs, p, &st));
		snprintf(q, sizeof(q), "%s.r", p);
		CHECK_OK(daxfs_rename(fs, p, q));
		CHECK_OK(daxfs_unlink(fs, q));
	}
	CHECK_OK(daxfs_rmdir(fs, "/d2/moved/d3"));
	CHECK_EQ(daxfs_stat(fs, "/d0/f0", &st), -ENOENT);
	CHECK_OK(daxfs_stat(fs, "/d2/moved/d1", &st));
	cr_assert_eq(st.st_nlink, 2);
	CHECK_OK(daxfs_stat(fs, "/d2", &st));
	cr_assert_eq(st.st_nlink, 3, "/d2 holds moved");
	check_unmount_fsck(fs, img);
}

Test(icache, open_file_and_view_pin_their_inode)
{
	const char *img;
	daxfs *fs = check_new_fs("ic-pin", 64 * TEST_MIB, 4096, 0, &img);
	daxfs_file *f, *g;
	unsigned char *v;
	struct stat st;

	make_tree(fs, 2, 100);
	check_create_pattern_file(fs, "/d0/mapped", 11, 4 * PG);
	f = check_open(fs, "/d0/mapped", O_RDWR, 0);
	g = check_open(fs, "/d1/f1", O_RDWR, 0);
	v = check_map(f, 0, 4 * PG, PROT_READ | PROT_WRITE, 0);
	check_close(f); /* the view alone holds the inode */
	CHECK_OK(daxfs_set_cache_limit(fs, 0));
	stat_tree(fs, 2, 100);
	cr_assert_geq(stats_of(fs).inodes, 3, "root, the view's and g's");
	cr_assert_eq(test_pattern_mismatch(v, 4 * PG, 11, 0), -1, "view reads its data");
	memset(v + PG, 0x5a, PG);
	CHECK_EQ(daxfs_pwrite(g, "abc", 3, 0), 3);
	CHECK_OK(daxfs_fstat(g, &st));
	cr_assert_eq(st.st_size, 3);
	CHECK_OK(daxfs_unmap(v, 4 * PG));
	check_close(g);
	CHECK_OK(daxfs_stat(fs, "/d0/mapped", &st));
	cr_assert_eq(st.st_size, 4 * PG);
	f = check_open(fs, "/d0/mapped", O_RDONLY, 0);
	{
		unsigned char b[PG];

		CHECK_EQ(daxfs_pread(f, b, PG, PG), PG);
		for (size_t i = 0; i < PG; i++)
			cr_assert_eq(b[i], 0x5a, "byte %zu of the view's store", i);
	}
	check_close(f);
	check_unmount_fsck(fs, img);
}

/* ---- eviction while other threads work ------------------------------ */

#define WALK_DIRS 8
#define WALK_FILES 400
#define WALK_ROUNDS 30

struct walk_arg {
	daxfs *fs;
	unsigned id;
	struct test_err *err;
	atomic_int *stop;
};

/* Stat, open and close files of the tree, and create and unlink files
 * of its own, while the cache evicts. */
static void *walker(void *p)
{
	struct walk_arg *a = p;
	struct stat st;
	char path[64];
	unsigned r, i;

	for (r = 0; r < WALK_ROUNDS && !atomic_load(a->stop); r++) {
		for (i = a->id; i < WALK_FILES; i += 3) {
			snprintf(path, sizeof(path), "/d%u/f%u", i % WALK_DIRS, i);
			if (daxfs_stat(a->fs, path, &st))
				test_fail(a->err, "stat %s", path);
		}
		snprintf(path, sizeof(path), "/d%u/w%u.%u", r % WALK_DIRS,
			 a->id, r);
		daxfs_file *f = NULL;

		if (daxfs_open(a->fs, path, O_CREAT | O_RDWR, 0644, &f) ||
		    daxfs_pwrite(f, path, 8, 0) != 8)
			test_fail(a->err, "create %s", path);
		if (f)
			daxfs_close(f);
		if (r % 2 && daxfs_unlink(a->fs, path))
			test_fail(a->err, "unlink %s", path);
	}
	return NULL;
}

/* Fault the pages of a view of /mapped again and again (mapping and
 * unmapping it), each read checked, while the cache evicts. */
static void *faulter(void *p)
{
	struct walk_arg *a = p;
	unsigned r;

	for (r = 0; r < WALK_ROUNDS * 4 && !atomic_load(a->stop); r++) {
		daxfs_file *f = NULL;
		void *v = NULL;

		if (daxfs_open(a->fs, "/mapped", O_RDWR, 0, &f) || daxfs_map(f, 0, 8 * PG, PROT_READ | PROT_WRITE, 0,
				    &v)) {
			test_fail(a->err, "map /mapped");
			if (f)
				daxfs_close(f);
			return NULL;
		}
		daxfs_close(f); /* the view holds the inode from here */
		if (test_pattern_mismatch(v, 8 * PG, 3, 0) != -1)
			test_fail(a->err, "view of /mapped, round %u", r);
		((volatile unsigned char *)v)[r % (8 * PG)] ^= 0; /* a store */
		if (daxfs_unmap(v, 8 * PG))
			test_fail(a->err, "unmap /mapped");
	}
	return NULL;
}

Test(icache, eviction_under_walks_writes_and_faults)
{
	const char *img;
	daxfs *fs = check_new_fs("ic-conc", 64 * TEST_MIB, 4096, 0, &img);
	struct test_err err = {0};
	atomic_int stop = 0;
	struct walk_arg a[4];
	pthread_t t[4];
	daxfs_file *held;
	unsigned i;

	make_tree(fs, WALK_DIRS, WALK_FILES);
	check_create_pattern_file(fs, "/mapped", 3, 8 * PG);
	held = check_open(fs, "/d0/f0", O_RDWR, 0);
	CHECK_OK(daxfs_set_cache_limit(fs, 8 * 1024)); /* a few inodes */
	for (i = 0; i < 4; i++) {
		a[i] = (struct walk_arg){ fs, i, &err, &stop };
		cr_assert_eq(pthread_create(&t[i], NULL,
					    i == 3 ? faulter : walker, &a[i]), 0);
	}
	for (i = 0; i < 200; i++) /* the held file, written meanwhile */
		check_pwrite_pattern(held, i, 0, 2 * PG);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(atomic_load(&err.count), 0, "%s", err.msg);
	check_pread_pattern(held, 199, 0, 2 * PG);
	check_close(held);
	cr_assert_gt(stats_of(fs).evictions, WALK_FILES);
	check_unmount_fsck(fs, img);
}

/* ---- scale: many files in a small budget ---------------------------- */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#define SCALE_FILES 20000u
#else
#define SANITIZED 0
#define SCALE_FILES 200000u
#endif
#define SCALE_DIRS 1000u

/* test_rss_anon, which must be able to read it. */
static uint64_t rss_anon(void)
{
	uint64_t b = test_rss_anon();

	cr_assert_gt(b, 0, "no RssAnon in /proc/self/status");
	return b;
}

/* DAXFS_TEST_SCALE_FILES=1000000 makes the million of issue 15. */
static unsigned scale_files(void)
{
	const char *s = getenv("DAXFS_TEST_SCALE_FILES");

	return s && atoi(s) > 0 ? (unsigned)atoi(s) : SCALE_FILES;
}

Test(icache, many_files_in_a_bounded_budget, .timeout = 900)
{
	unsigned n = scale_files();
	/* 64 MiB for a million files, in proportion below. */
	size_t budget = (size_t)(64 * TEST_MIB * (n / 1e6));
	uint64_t before, made, statted, after;
	struct daxfs_cache_stats st;
	const char *img;
	daxfs *fs;

	budget = budget < 2 * TEST_MIB ? 2 * TEST_MIB : budget;
	img = test_image_path("ic-scale");
	/* A 4 KiB-block group holds at most 32768 inodes in 128 MiB. */
	check_mkfs(img, ((n + n / 8 + 4096) / 32768 + 2) * 128 * TEST_MIB,
		   4096, n + n / 8 + 4096);
	before = rss_anon();
	fs = check_mount(img, 0);
	CHECK_OK(daxfs_set_cache_limit(fs, budget));
	make_tree(fs, SCALE_DIRS, n);
	made = rss_anon();
	stat_tree(fs, SCALE_DIRS, n);
	statted = rss_anon();
	st = stats_of(fs);
	cr_log_info("%u files, budget %zu: RssAnon before mount %llu KiB, "
		    "after creating %llu, after stat %llu; cache %llu bytes, "
		    "%llu inodes, %llu evictions", n, budget,
		    (unsigned long long)before >> 10,
		    (unsigned long long)made >> 10,
		    (unsigned long long)statted >> 10,
		    (unsigned long long)st.bytes, (unsigned long long)st.inodes,
		    (unsigned long long)st.evictions);
	cr_assert_leq(st.bytes, budget, "the cache's count is over budget");
	cr_assert_geq(st.evictions, n / 2);
	check_unmount(fs);
	after = rss_anon();
	cr_log_info("after unmount: %llu KiB", (unsigned long long)after >> 10);
	if (SANITIZED) {
		fprintf(stderr, "sanitizer build: RSS not checked (its quarantine "
			    "and shadow memory grow it)");
	} else {
		/* Slack: group and journal state, jemalloc's metadata and
		 * caches; none of it grows with the files (the cache's hash
		 * table is in the budget). */
		uint64_t slack = 24 * TEST_MIB;

		cr_assert_leq(made, before + budget + slack, "creating: %llu "
			      "KiB over", (unsigned long long)(made - before) >> 10);
		cr_assert_leq(statted, before + budget + slack, "stat: %llu "
			      "KiB over", (unsigned long long)(statted - before) >> 10);
		cr_assert_leq(after, before + 4 * TEST_MIB, "unmount kept %llu KiB",
			      (unsigned long long)(after - before) >> 10);
	}
	CHECK_OK(test_e2fsck(img, NULL));
}
