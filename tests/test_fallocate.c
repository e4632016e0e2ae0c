/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_fallocate.c -- daxfs_fallocate (ext2/falloc.c): each mode's
 * contents (daxfs_pread), sizes and block counts (daxfs_fstat, debugfs),
 * the blocks debugfs sees allocated or freed, e2fsck -fn after each; the
 * 2 MiB-aligned runs of a large allocation; a punched file read by the
 * kernel's ext2 driver; views of a punched range; and a race of faults
 * through lazy views against punches and refills, where no view may
 * ever read a block that the punch freed and another file reused.
 * Bad arguments are cases of test_errors_cases.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "check.h"
#include "interop.h"
#include "probe.h"

#define PG TEST_PAGE
#define PH (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)
#define REUSE_BYTE 0xEE /* what the other file writes: never in F */

TestSuite(falloc, .init = test_probe_install, .fini = test_cleanup,
	  .timeout = 120);
TestSuite(falloc_kernel, .fini = test_kernel_cleanup, .timeout = 120);

/* st_size and st_blocks of f. */
static struct stat fstat_of(daxfs_file *f)
{
	struct stat st;

	CHECK_OK(daxfs_fstat(f, &st));
	return st;
}

/* [off, off+len) of f reads as pattern seed (laid at offset 0). */
static void expect_pattern(daxfs_file *f, uint64_t seed, uint64_t off,
			   uint64_t len)
{
	unsigned char *buf = malloc(len);
	long bad;

	cr_assert(buf);
	CHECK_EQ(daxfs_pread(f, buf, len, off), len);
	bad = test_pattern_mismatch(buf, len, seed, off);
	cr_assert_eq(bad, -1, "byte %llu is not the pattern's",
		     (unsigned long long)(off + bad));
	free(buf);
}

/* Unmount, e2fsck -fn, and debugfs's physical block of path's lblk. */
static long long bmap_after(const char *img, const char *path, uint64_t lblk)
{
	return test_debugfs_bmap(img, path, lblk);
}

Test(falloc, mode0_allocates_zeroed_blocks_and_extends)
{
	const char *img;
	daxfs *fs = check_new_fs("fa0", 16 * TEST_MIB, 4096, 0, &img);
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	struct test_dstat ds;
	struct stat st;
	char hello[] = "hello";

	/* 25 blocks: 12 direct, 13 through one indirect block. */
	CHECK_OK(daxfs_fallocate(f, 0, 0, 100000));
	st = fstat_of(f);
	cr_assert_eq(st.st_size, 100000);
	cr_assert_eq(st.st_blocks, 26 * 8);
	check_pread_zeros(f, 0, 100000);
	/* Data stays; a hole below EOF is filled, the size kept. */
	CHECK_EQ(daxfs_pwrite(f, hello, 5, 5000), 5);
	CHECK_OK(daxfs_ftruncate(f, 400 * PG));
	CHECK_OK(daxfs_fallocate(f, 0, 100 * PG + 10, 2 * PG));
	st = fstat_of(f);
	cr_assert_eq(st.st_size, 400 * PG);
	cr_assert_eq(st.st_blocks, (26 + 3) * 8, "3 more blocks");
	CHECK_OK(daxfs_fallocate(f, 0, 0, 50 * PG));
	check_pread_zeros(f, 100 * PG, 3 * PG);
	{
		char got[6] = { 0 };

		CHECK_EQ(daxfs_pread(f, got, 5, 5000), 5);
		cr_assert_str_eq(got, "hello");
	}
	st = fstat_of(f);
	check_close(f);
	check_unmount_fsck(fs, img);
	cr_assert_eq(test_debugfs_stat(img, "/f", &ds), 0);
	cr_assert_eq(ds.size, 400 * PG);
	cr_assert_eq(ds.blockcount, (uint64_t)st.st_blocks);
	cr_assert_gt(bmap_after(img, "/f", 101), 0, "block 101 allocated");
	cr_assert_gt(bmap_after(img, "/f", 49), 0, "block 49 allocated");
	cr_assert_eq(bmap_after(img, "/f", 99), 0, "block 99 still a hole");
	cr_assert_eq(bmap_after(img, "/f", 103), 0, "block 103 still a hole");
}

Test(falloc, keep_size_within_eof_only)
{
	const char *img;
	daxfs *fs = check_new_fs("fak", 16 * TEST_MIB, 4096, 0, &img);
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	struct stat st;

	CHECK_OK(daxfs_ftruncate(f, 10 * PG));
	CHECK_OK(daxfs_fallocate(f, FALLOC_FL_KEEP_SIZE, 2 * PG, 3 * PG));
	st = fstat_of(f);
	cr_assert_eq(st.st_size, 10 * PG);
	cr_assert_eq(st.st_blocks, 3 * 8);
	CHECK_ERR_MSG(daxfs_fallocate(f, FALLOC_FL_KEEP_SIZE, 8 * PG, 3 * PG),
		      EOPNOTSUPP, "past EOF");
	st = fstat_of(f);
	cr_assert_eq(st.st_size, 10 * PG, "nothing changed");
	cr_assert_eq(st.st_blocks, 3 * 8, "nothing changed");
	check_close(f);
	check_unmount_fsck(fs, img);
	cr_assert_gt(bmap_after(img, "/f", 2), 0);
	cr_assert_eq(bmap_after(img, "/f", 8), 0);
}

Test(falloc, punch_frees_whole_blocks_and_zeroes_the_ends)
{
	const char *img;
	daxfs *fs = check_new_fs("fap", 16 * TEST_MIB, 4096, 0, &img);
	daxfs_file *f;
	struct statvfs a, b;
	struct stat st0, st;

	check_create_pattern_file(fs, "/f", 7, 64 * PG);
	f = check_open(fs, "/f", O_RDWR, 0);
	st0 = fstat_of(f);
	a = check_statfs(fs);
	/* Blocks 4..8 whole; 3 and 9 in part. */
	CHECK_OK(daxfs_fallocate(f, PH, 3 * PG + 100, 6 * PG - 50));
	st = fstat_of(f);
	b = check_statfs(fs);
	cr_assert_eq(st.st_size, 64 * PG, "the size stays");
	cr_assert_eq(st.st_blocks, st0.st_blocks - 5 * 8);
	cr_assert_eq(b.f_bfree, a.f_bfree + 5, "5 blocks freed");
	expect_pattern(f, 7, 0, 3 * PG + 100);
	check_pread_zeros(f, 3 * PG + 100, 6 * PG - 50);
	expect_pattern(f, 7, 9 * PG + 50, 55 * PG - 50);
	/* Past EOF: nothing to do; to EOF: the last blocks go. */
	CHECK_OK(daxfs_fallocate(f, PH, 100 * PG, PG));
	CHECK_OK(daxfs_fallocate(f, PH, 60 * PG, 100 * PG));
	st = fstat_of(f);
	cr_assert_eq(st.st_size, 64 * PG);
	cr_assert_eq(st.st_blocks, st0.st_blocks - 9 * 8);
	check_pread_zeros(f, 60 * PG, 4 * PG);
	check_close(f);
	check_unmount_fsck(fs, img);
	cr_assert_gt(bmap_after(img, "/f", 3), 0);
	for (uint64_t l = 4; l <= 8; l++)
		cr_assert_eq(bmap_after(img, "/f", l), 0, "block %llu freed",
			     (unsigned long long)l);
	cr_assert_gt(bmap_after(img, "/f", 9), 0);
	cr_assert_eq(bmap_after(img, "/f", 63), 0);
}

/* A punch of 8 MiB: many runs, many journal steps; indirect blocks
 * stay; debugfs agrees on the count, e2fsck is clean. */
Test(falloc, long_punch_commits_in_steps)
{
	const char *img;
	daxfs *fs = check_new_fs("fal", 32 * TEST_MIB, 4096, 0, &img);
	daxfs_file *f;
	struct test_dstat ds;
	struct stat st;
	uint64_t size = 8 * TEST_MIB;

	check_create_pattern_file(fs, "/f", 3, size);
	f = check_open(fs, "/f", O_RDWR, 0);
	CHECK_OK(daxfs_fallocate(f, PH, 1000, size - 2000));
	st = fstat_of(f);
	expect_pattern(f, 3, 0, 1000);
	check_pread_zeros(f, 1000, size - 2000);
	expect_pattern(f, 3, size - 1000, 1000);
	/* 2 data blocks and the indirect blocks: the single, the double
	 * and its one leaf. */
	cr_assert_eq(st.st_blocks, (2 + 3) * 8);
	check_close(f);
	check_unmount_fsck(fs, img);
	cr_assert_eq(test_debugfs_stat(img, "/f", &ds), 0);
	cr_assert_eq(ds.blockcount, (uint64_t)st.st_blocks);
	cr_assert_eq(bmap_after(img, "/f", 1), 0);
	cr_assert_eq(bmap_after(img, "/f", 1500), 0);
	cr_assert_gt(bmap_after(img, "/f", 2047), 0);
}

Test(falloc, zero_range_reads_zeros_with_blocks)
{
	const char *img;
	daxfs *fs = check_new_fs("faz", 16 * TEST_MIB, 4096, 0, &img);
	daxfs_file *f;
	struct stat st0, st;

	check_create_pattern_file(fs, "/f", 5, 16 * PG);
	f = check_open(fs, "/f", O_RDWR, 0);
	st0 = fstat_of(f);
	CHECK_OK(daxfs_fallocate(f, FALLOC_FL_ZERO_RANGE, 5000, 20000));
	st = fstat_of(f);
	cr_assert_eq(st.st_size, 16 * PG);
	cr_assert_eq(st.st_blocks, st0.st_blocks, "blocks replaced");
	expect_pattern(f, 5, 0, 5000);
	check_pread_zeros(f, 5000, 20000);
	expect_pattern(f, 5, 25000, 16 * PG - 25000);
	/* Past EOF: the size grows, unless KEEP_SIZE. */
	CHECK_OK(daxfs_fallocate(f, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
				 15 * PG, 4 * PG));
	cr_assert_eq(fstat_of(f).st_size, 16 * PG);
	check_pread_zeros(f, 15 * PG, PG);
	CHECK_OK(daxfs_fallocate(f, FALLOC_FL_ZERO_RANGE, 15 * PG, 4 * PG));
	st = fstat_of(f);
	cr_assert_eq(st.st_size, 19 * PG);
	cr_assert_eq(st.st_blocks, st0.st_blocks + 3 * 8);
	check_pread_zeros(f, 15 * PG, 4 * PG);
	check_close(f);
	check_unmount_fsck(fs, img);
	for (uint64_t l = 1; l < 19; l++)
		cr_assert_gt(bmap_after(img, "/f", l), 0, "block %llu mapped",
			     (unsigned long long)l);
}

/* A 4 MiB allocation at offset 0 of an empty file gets 2 MiB-aligned
 * runs (so the file maps with 2 MiB units). */
Test(falloc, large_allocation_is_2mib_aligned)
{
	const char *img;
	daxfs *fs = check_new_fs("faa", 64 * TEST_MIB, 4096, 0, &img);
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	long long b0, b;

	CHECK_OK(daxfs_fallocate(f, 0, 0, 4 * TEST_MIB));
	check_close(f);
	check_unmount_fsck(fs, img);
	b0 = bmap_after(img, "/f", 0);
	cr_assert_gt(b0, 0);
	cr_assert_eq(b0 % 512, 0, "block 0 at %lld, not 2 MiB-aligned", b0);
	for (uint64_t l = 1; l < 512; l += 73) {
		b = bmap_after(img, "/f", l);
		cr_assert_eq(b, b0 + (long long)l, "block %llu not contiguous",
			     (unsigned long long)l);
	}
	b = bmap_after(img, "/f", 512);
	cr_assert_eq(b % 512, 0, "block 512 at %lld, not 2 MiB-aligned", b);
	cr_assert_eq(bmap_after(img, "/f", 1023), b + 511);
}

/* No space: the failing step keeps no block past the end of file. */
Test(falloc, enospc_keeps_no_block_past_eof)
{
	const char *img;
	daxfs *fs = check_new_fs("fan", 4 * TEST_MIB, 4096, 0, &img);
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	struct test_dstat ds;
	struct stat st;

	CHECK_ERR_MSG(daxfs_fallocate(f, 0, 0, 8 * TEST_MIB), ENOSPC, "free");
	st = fstat_of(f);
	check_close(f);
	check_unmount_fsck(fs, img);
	cr_assert_eq(test_debugfs_stat(img, "/f", &ds), 0);
	cr_assert_eq(ds.size, (uint64_t)st.st_size);
	cr_assert_eq(bmap_after(img, "/f", (st.st_size + PG - 1) / PG), 0,
		     "a block past EOF");
}

/* Views of a punched range read zeros at once (lazy, populated and
 * writable); a store into the hole allocates and pread sees it. */
Test(falloc, views_see_the_hole)
{
	const char *img;
	daxfs *fs = check_new_fs("fav", 16 * TEST_MIB, 4096, 0, &img);
	daxfs_file *f;
	unsigned char *lazy, *pop, *rw, c = 0;
	long bad;

	check_create_pattern_file(fs, "/f", 9, 32 * PG);
	f = check_open(fs, "/f", O_RDWR, 0);
	lazy = check_map(f, 0, 32 * PG, PROT_READ, 0);
	rw = check_map(f, 0, 32 * PG, PROT_READ | PROT_WRITE, 0);
	pop = check_map(f, 0, 32 * PG, PROT_READ, DAXFS_MAP_POPULATE);
	cr_assert_eq(test_pattern_mismatch(lazy, 32 * PG, 9, 0), -1);
	cr_assert_eq(test_pattern_mismatch(rw, 32 * PG, 9, 0), -1);
	CHECK_OK(daxfs_fallocate(f, PH, 4 * PG, 8 * PG));
	bad = test_first_nonzero(lazy + 4 * PG, 8 * PG);
	cr_assert_eq(bad, -1, "lazy view reads %#x", lazy[4 * PG + bad]);
	bad = test_first_nonzero(pop + 4 * PG, 8 * PG);
	cr_assert_eq(bad, -1, "populated view reads %#x", pop[4 * PG + bad]);
	cr_assert_eq(test_pattern_mismatch(pop + 12 * PG, 20 * PG, 9, 12 * PG),
		     -1);
	rw[6 * PG + 5] = 0x42;
	CHECK_OK(daxfs_persist(rw + 6 * PG, 64));
	CHECK_EQ(daxfs_pread(f, &c, 1, 6 * PG + 5), 1);
	cr_assert_eq(c, 0x42);
	cr_assert_eq(lazy[6 * PG + 5], 0x42);
	CHECK_OK(daxfs_unmap(lazy, 32 * PG));
	CHECK_OK(daxfs_unmap(rw, 32 * PG));
	CHECK_OK(daxfs_unmap(pop, 32 * PG));
	check_close(f);
	check_unmount_fsck(fs, img);
}

/* ---- punch and refill against faults ------------------------------ */

#define RP 64          /* pages of F */
#define NWORK 3
#define STORE_BYTE 0xA5 /* what workers store through the view */

struct race {
	daxfs_file *f, *g;
	unsigned char *rw, *ro;   /* lazy views of F */
	atomic_bool stop;
	atomic_long gen, punches, loads, stores, bad;
	char msg[256];
};

/* May a byte of F read c?  0, a generation's byte, a worker's store;
 * never what G writes into the blocks it takes. */
static bool byte_ok(unsigned char c)
{
	return c == 0 || c == STORE_BYTE || (c >= 1 && c <= 100);
}

static void race_fail(struct race *r, const char *how, uint64_t pg,
		      unsigned char c)
{
	if (atomic_fetch_add(&r->bad, 1) == 0)
		snprintf(r->msg, sizeof(r->msg), "%s of page %llu read %#x",
			 how, (unsigned long long)pg, c);
}

/* Loads, stores and preads of random pages of F. */
static void *race_worker(void *arg)
{
	struct race *r = arg;
	uint64_t seed = (uint64_t)pthread_self() | 1;
	unsigned char c, buf[64];

	test_probe_context("fallocate race worker");
	while (!atomic_load(&r->stop)) {
		uint64_t x = test_rand(&seed), pg = x % RP;
		uint64_t off = pg * PG + ((x >> 8) % (PG / 64)) * 64;

		if ((x >> 20) % 4 == 0) {
			if (test_probe_fill(r->rw + off, STORE_BYTE, 64))
				race_fail(r, "SIGBUS on a store", pg, 0);
			atomic_fetch_add(&r->stores, 1);
			continue;
		}
		if ((x >> 20) % 4 == 1) {
			if (daxfs_pread(r->f, buf, 64, off) == 64)
				for (int i = 0; i < 64; i++)
					if (!byte_ok(buf[i]))
						race_fail(r, "pread", pg, buf[i]);
			continue;
		}
		if (test_probe_read(((x >> 24) & 1 ? r->ro : r->rw) + off, &c))
			race_fail(r, "SIGBUS on a load", pg, 0);
		else if (!byte_ok(c))
			race_fail(r, "a load through a view", pg, c);
		atomic_fetch_add(&r->loads, 1);
	}
	return NULL;
}

/* G takes every block it can with REUSE_BYTE, checks it, gives them
 * back: a view reaching a freed block would show or change them. */
static void race_reuse(struct race *r, unsigned char *junk, size_t n)
{
	ssize_t w = daxfs_pwrite(r->g, junk, n, 0), i;
	unsigned char *back = malloc(n);

	if (w > 0 && back && daxfs_pread(r->g, back, w, 0) == w)
		for (i = 0; i < w; i++)
			if (back[i] != REUSE_BYTE) {
				race_fail(r, "G's block (a stale store)",
					  i / PG, back[i]);
				break;
			}
	free(back);
	daxfs_ftruncate(r->g, 0);
}

/* Punch random ranges of F, let G reuse the blocks, refill the range
 * with the next generation's byte. */
static void *race_puncher(void *arg)
{
	struct race *r = arg;
	uint64_t seed = 77;
	size_t jn = 96 * PG;
	unsigned char *junk = malloc(jn), *fill = malloc(RP * PG);

	memset(junk, REUSE_BYTE, jn);
	while (!atomic_load(&r->stop)) {
		uint64_t x = test_rand(&seed), a = x % (RP * PG);
		uint64_t len = 1 + (x >> 24) % (16 * PG);
		unsigned char v = 1 + atomic_fetch_add(&r->gen, 1) % 100;

		if (a + len > RP * PG)
			len = RP * PG - a;
		if (daxfs_fallocate(r->f, PH, a, len))
			race_fail(r, "fallocate failed", a / PG, 0);
		atomic_fetch_add(&r->punches, 1);
		race_reuse(r, junk, jn);
		memset(fill, v, len);
		if (x & 1)
			daxfs_pwrite(r->f, fill, len, a);
		else
			daxfs_fallocate(r->f, FALLOC_FL_ZERO_RANGE, a, len);
	}
	free(junk);
	free(fill);
	return NULL;
}

Test(falloc, punch_races_faults_and_never_exposes_a_freed_block)
{
	const char *img;
	daxfs *fs = check_new_fs("far", 16 * TEST_MIB, 4096, 0, &img);
	struct race *r = calloc(1, sizeof(*r));
	pthread_t w[NWORK], p;
	unsigned char *fill = malloc(RP * PG);
	double t0;

	cr_assert(r && fill);
	memset(fill, 1, RP * PG);
	r->f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	r->g = check_open(fs, "/g", O_RDWR | O_CREAT, 0644);
	CHECK_EQ(daxfs_pwrite(r->f, fill, RP * PG, 0), RP * PG);
	r->rw = check_map(r->f, 0, RP * PG, PROT_READ | PROT_WRITE, 0);
	r->ro = check_map(r->f, 0, RP * PG, PROT_READ, 0);
	for (int i = 0; i < NWORK; i++)
		cr_assert_eq(pthread_create(&w[i], NULL, race_worker, r), 0);
	cr_assert_eq(pthread_create(&p, NULL, race_puncher, r), 0);
	t0 = test_now();
	while (test_now() - t0 < 3 && !atomic_load(&r->bad))
		test_sleep_ms(50);
	atomic_store(&r->stop, true);
	for (int i = 0; i < NWORK; i++)
		pthread_join(w[i], NULL);
	pthread_join(p, NULL);
	fprintf(stderr, "fallocate race: %ld punches, %ld loads, %ld stores\n",
		atomic_load(&r->punches), atomic_load(&r->loads),
		atomic_load(&r->stores));
	cr_assert_eq(atomic_load(&r->bad), 0, "%s", r->msg);
	cr_assert_gt(atomic_load(&r->punches), 10, "the puncher made no "
		     "progress");
	cr_assert_gt(atomic_load(&r->loads), 100);
	/* Views and pread agree at the end. */
	CHECK_EQ(daxfs_pread(r->f, fill, RP * PG, 0), RP * PG);
	cr_assert_eq(test_first_diff(fill, r->ro, RP * PG), -1);
	cr_assert_eq(test_first_diff(fill, r->rw, RP * PG), -1);
	CHECK_OK(daxfs_unmap(r->rw, RP * PG));
	CHECK_OK(daxfs_unmap(r->ro, RP * PG));
	check_close(r->f);
	check_close(r->g);
	free(fill);
	free(r);
	check_unmount_fsck(fs, img);
}

/* ---- the kernel reads the hole ------------------------------------ */

Test(falloc_kernel, kernel_reads_zeros_in_the_hole)
{
	const char *why = NULL, *img, *mnt;
	daxfs *fs;
	daxfs_file *f;
	unsigned char *buf;
	char path[512];
	size_t len = 0;

	if (!test_kernel_mount_works(&why)) {
		fprintf(stderr, "test_fallocate: kernel test skipped: %s\n", why);
		cr_skip_test("%s", why);
	}
	fs = check_new_fs("fak2", 16 * TEST_MIB, 4096, 0, &img);
	check_create_pattern_file(fs, "/f", 11, 40 * PG);
	f = check_open(fs, "/f", O_RDWR, 0);
	CHECK_OK(daxfs_fallocate(f, PH, 2 * PG + 7, 30 * PG));
	check_close(f);
	check_unmount_fsck(fs, img);
	mnt = test_tmp_dir("fakmnt");
	cr_assert(mnt);
	cr_assert_eq(test_kmount(img, mnt, true), 0, "the kernel refuses it");
	snprintf(path, sizeof(path), "%s/f", mnt);
	buf = (unsigned char *)test_read_file(path, &len);
	cr_assert(buf);
	cr_assert_eq(len, 40 * PG);
	cr_assert_eq(test_pattern_mismatch(buf, 2 * PG + 7, 11, 0), -1);
	cr_assert_eq(test_first_nonzero(buf + 2 * PG + 7, 30 * PG), -1,
		     "the kernel reads data in the hole");
	cr_assert_eq(test_pattern_mismatch(buf + 32 * PG + 7, 8 * PG - 7, 11,
					   32 * PG + 7), -1);
	free(buf);
	cr_assert_eq(test_kumount(mnt), 0);
}
