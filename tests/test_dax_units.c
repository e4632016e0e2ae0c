/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dax_units.c -- views on a region that maps only in 2 MiB units, as
 * a devdax device with align=2M does: a file of hugetlbfs, which refuses
 * every mmap that is not 2 MiB-aligned in the same way.  ctest runs it
 * through tests/hugetlb_run.sh, which reserves huge pages, mounts
 * hugetlbfs and gives both back at the end; without root, or where the
 * kernel has no huge pages to give, the tests skip with the reason.
 *
 * Covered: files written in 2 MiB pieces map whole (lazy and populated
 * views, stores seen by pread, aligned blocks by debugfs), holes (zero
 * units, a store allocates an aligned unit, other views and pwrite see
 * each other), refused ranges (clear errors, nothing changed), truncate
 * against views (and a race of faults against truncate), the seed's
 * scenario (pread/pwrite whose buffer is a view, with faults), and
 * durability of stores through a view across a remount.
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
#include <unistd.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "check.h"
#include "probe.h"

#define MIB (1024UL * 1024)
#define UNIT (2 * MIB)
#define REGION (64 * MIB)
#define HUGEPAGES 40 /* a region of 32 and room for the kernel's own */

static const char *mnt;

/* The hugetlbfs mount that tests/hugetlb_run.sh made, or skip saying why
 * there is none. */
static void units_init(void)
{
	const char *why = getenv("DAXFS_TEST_HUGETLBFS_WHY");

	test_probe_install();
	mnt = getenv("DAXFS_TEST_HUGETLBFS");
	if (!mnt || !*mnt)
		cr_skip_test("no hugetlbfs mount: %s", why ? why :
			     "run through tests/hugetlb_run.sh");
}

static char region[300];

/* Give the region's huge pages back (the next test needs them). */
static void units_fini(void)
{
	if (region[0])
		unlink(region);
	test_cleanup();
}

TestSuite(dax_units, .init = units_init, .fini = units_fini,
	  .timeout = 120);

/* A fresh file system on a 64 MiB hugetlbfs file: the handle; its path
 * in *path. */
static daxfs *units_fs(const char **path)
{
	char *p = region;
	int fd;

	snprintf(p, sizeof(region), "%s/region-%d", mnt, (int)getpid());
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0, "open %s: %s", p, strerror(errno));
	/* hugetlbfs has no write(2): its files are sized by ftruncate */
	cr_assert(ftruncate(fd, REGION) == 0, "ftruncate: %s", strerror(errno));
	close(fd);
	check_mkfs(p, 0, 0, 0);
	*path = p;
	return check_mount(p, 0);
}

/* Write units [0, n) of f in 2 MiB pieces, unit u filled with 'a' + u. */
static void fill_units(daxfs_file *f, unsigned n)
{
	static unsigned char buf[UNIT];

	for (unsigned u = 0; u < n; u++) {
		memset(buf, 'a' + u, UNIT);
		CHECK_EQ(daxfs_pwrite(f, buf, UNIT, (off_t)u * UNIT), UNIT);
	}
}

/* Every 512th byte of [p, p+len) from file offset off is what fill_units
 * wrote (n: the bytes that differ). */
static long units_mismatch(const volatile unsigned char *p, size_t len,
			   uint64_t off)
{
	long n = 0;

	for (size_t i = 0; i < len; i += 512)
		n += p[i] != 'a' + (off + i) / UNIT;
	return n;
}

/* Physical block of logical block lblk of path by debugfs. */
static long long block_of(const char *img, const char *path, uint64_t lblk)
{
	long long b = test_debugfs_bmap(img, path, lblk);

	cr_assert(b >= 0, "debugfs bmap %s %llu", path,
		  (unsigned long long)lblk);
	return b;
}

Test(dax_units, region_reports_2m_alignment)
{
	const char *img;
	daxfs *fs = units_fs(&img);
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	void *v;

	/* a view of a 4 KiB page is refused with the unit in the message */
	fill_units(f, 1);
	CHECK_EQ(daxfs_map(f, 0, 4096, PROT_READ, 0, &v), -EINVAL);
	check_errormsg("4 KiB view", "multiples of 2097152");
	CHECK_EQ(daxfs_map(f, 4096, UNIT, PROT_READ, 0, &v), -EINVAL);
	check_close(f);
	check_unmount_fsck(fs, img);
}

Test(dax_units, written_in_2m_pieces_maps_whole)
{
	const char *img;
	daxfs *fs = units_fs(&img);
	daxfs_file *f = check_open(fs, "/db", O_RDWR | O_CREAT, 0644);
	unsigned char *v;
	char c;

	fill_units(f, 8);
	v = check_map(f, 0, 8 * UNIT, PROT_READ | PROT_WRITE, 0);
	CHECK_EQ(units_mismatch(v, 8 * UNIT, 0), 0);
	v[5 * UNIT + 100] = 'Z';
	CHECK_EQ(daxfs_persist(v + 5 * UNIT + 100, 1), 0);
	CHECK_EQ(daxfs_pread(f, &c, 1, 5 * UNIT + 100), 1);
	CHECK_EQ(c, 'Z');
	CHECK_EQ(daxfs_unmap(v, 8 * UNIT), 0);
	v = check_map(f, 2 * UNIT, 4 * UNIT, PROT_READ, DAXFS_MAP_POPULATE);
	CHECK_EQ(v[3 * UNIT + 100], 'Z');
	CHECK_EQ(units_mismatch(v, 4 * UNIT, 2 * UNIT), 0); /* (100 is no sample) */
	CHECK_EQ(daxfs_unmap(v, 4 * UNIT), 0);
	check_close(f);
	check_unmount_fsck(fs, img);
	for (unsigned u = 0; u < 8; u++)
		cr_expect(block_of(img, "/db", u * 512ULL) % 512 == 0,
			  "unit %u does not start on a 2 MiB block", u);
}

Test(dax_units, holes_are_zero_units_and_stores_allocate_whole_units)
{
	const char *img;
	daxfs *fs = units_fs(&img);
	daxfs_file *f = check_open(fs, "/sparse", O_RDWR | O_CREAT, 0644);
	unsigned char *a, *b;
	char c;

	CHECK_EQ(daxfs_ftruncate(f, 6 * UNIT), 0);
	a = check_map(f, 0, 6 * UNIT, PROT_READ, 0);
	b = check_map(f, 0, 6 * UNIT, PROT_READ | PROT_WRITE, 0);
	/* loads of holes: zeros, in both views */
	CHECK_EQ(a[UNIT + 5], 0);
	CHECK_EQ(a[3 * UNIT + 5], 0);
	CHECK_EQ(b[UNIT + 7], 0);
	/* a store into a zero unit: the other view sees it, pread too */
	b[UNIT + 9] = 9;
	CHECK_EQ(a[UNIT + 9], 9);
	CHECK_EQ(daxfs_pread(f, &c, 1, UNIT + 9), 1);
	CHECK_EQ(c, 9);
	/* pwrite into a unit the views show as zeros (unit 3) */
	CHECK_EQ(daxfs_pwrite(f, "w", 1, 3 * UNIT + 4096 * 7), 1);
	CHECK_EQ(a[3 * UNIT + 4096 * 7], 'w');
	CHECK_EQ(b[3 * UNIT + 4096 * 7], 'w');
	CHECK_EQ(a[3 * UNIT], 0);
	CHECK_EQ(daxfs_unmap(a, 6 * UNIT), 0);
	CHECK_EQ(daxfs_unmap(b, 6 * UNIT), 0);
	check_close(f);
	check_unmount_fsck(fs, img);
	cr_expect(block_of(img, "/sparse", 512) % 512 == 0);
	cr_expect(block_of(img, "/sparse", 3 * 512 + 511) ==
		  block_of(img, "/sparse", 3 * 512) + 511,
		  "the pwrite into a hole unit did not get the whole unit");
	cr_expect(block_of(img, "/sparse", 0) == 0, "unit 0 stays a hole");
}

Test(dax_units, ranges_that_cannot_map_are_refused)
{
	const char *img;
	daxfs *fs = units_fs(&img);
	daxfs_file *f = check_open(fs, "/mixed", O_RDWR | O_CREAT, 0644);
	daxfs_file *g = check_open(fs, "/short", O_RDWR | O_CREAT, 0644);
	char before[64], after[64];
	void *v;

	/* a 4 KiB block in unit 0, then a hole: partly allocated */
	CHECK_EQ(daxfs_pwrite(f, "x", 1, 3 * 4096), 1);
	CHECK_EQ(daxfs_ftruncate(f, 2 * UNIT), 0);
	CHECK_EQ(daxfs_map(f, 0, 2 * UNIT, PROT_READ, 0, &v), -EOPNOTSUPP);
	check_errormsg("partly allocated unit",
		       "unit at file offset 0 is partly allocated");
	/* unit 1 alone is a hole throughout: it maps */
	v = check_map(f, UNIT, UNIT, PROT_READ, 0);
	CHECK_EQ(((unsigned char *)v)[77], 0);
	CHECK_EQ(daxfs_unmap(v, UNIT), 0);
	/* a file of 3 MiB: its second unit reaches past EOF */
	fill_units(g, 2);
	CHECK_EQ(daxfs_ftruncate(g, 3 * MIB), 0);
	CHECK_EQ(daxfs_map(g, 0, 2 * UNIT, PROT_READ, DAXFS_MAP_POPULATE, &v),
		 -EOPNOTSUPP);
	check_errormsg("unit past EOF", "reaches past the end of the file");
	/* an atomic write would move blocks of a file with views */
	v = check_map(g, 0, UNIT, PROT_READ, 0);
	snprintf(before, sizeof(before), "%s", "");
	CHECK_EQ(daxfs_pread(g, before, sizeof(before), 4096), sizeof(before));
	CHECK_EQ(daxfs_pwrite2(g, "atomic", 6, 4096, DAXFS_WRITE_ATOMIC),
		 -EOPNOTSUPP);
	check_errormsg("atomic write with views", "unmap them first");
	CHECK_EQ(daxfs_pread(g, after, sizeof(after), 4096), sizeof(after));
	CHECK_EQ(memcmp(before, after, sizeof(after)), 0);
	CHECK_EQ(daxfs_unmap(v, UNIT), 0);
	check_close(f);
	check_close(g);
	check_unmount_fsck(fs, img);
}

Test(dax_units, truncate_unmaps_whole_units)
{
	const char *img;
	daxfs *fs = units_fs(&img);
	daxfs_file *f = check_open(fs, "/t", O_RDWR | O_CREAT, 0644);
	unsigned char *v, c;

	fill_units(f, 4);
	v = check_map(f, 0, 4 * UNIT, PROT_READ | PROT_WRITE, 0);
	CHECK_EQ(units_mismatch(v, 4 * UNIT, 0), 0);
	CHECK_EQ(daxfs_ftruncate(f, 3 * MIB), 0);
	/* unit 1 now holds EOF: no access to it gets through, below EOF
	 * included (the region cannot map part of a unit) */
	CHECK_EQ(test_probe_read(v + UNIT + 100, &c), -1);
	CHECK_EQ(test_probe_read(v + 3 * UNIT, &c), -1);
	CHECK_EQ(v[UNIT - 1], 'a');
	/* grown again in 2 MiB pieces: the units map again, new bytes */
	CHECK_EQ(daxfs_ftruncate(f, UNIT), 0);
	fill_units(f, 4);
	CHECK_EQ(units_mismatch(v, 4 * UNIT, 0), 0);
	CHECK_EQ(daxfs_unmap(v, 4 * UNIT), 0);
	check_close(f);
	check_unmount_fsck(fs, img);
}

/* The race: readers of a lazy view of F while the main thread truncates
 * F to a random number of units and writes it back in 2 MiB pieces of a
 * new generation, and another file takes the freed blocks (REUSE). */
#define REUSE 0xEE
struct race {
	unsigned char *v;
	atomic_bool stop;
	atomic_long loads, sigbus, wrong;
};

/* A reader: random bytes of the view; each is SIGBUS, zero or a
 * generation byte ('a'..), never REUSE. */
static void *race_reader(void *arg)
{
	struct race *r = arg;
	uint64_t seed = (uintptr_t)&seed;
	unsigned char c;

	test_probe_context("units race reader");
	while (!atomic_load(&r->stop)) {
		size_t off = test_rand(&seed) % (6 * UNIT);

		if (test_probe_read(r->v + off, &c))
			atomic_fetch_add(&r->sigbus, 1);
		else if (c == REUSE)
			atomic_fetch_add(&r->wrong, 1);
		atomic_fetch_add(&r->loads, 1);
	}
	return NULL;
}

/* One round of the race's writer: truncate F to n units, let G take
 * what was freed, then grow F back to 6 units of generation gen. */
static void race_round(daxfs_file *f, daxfs_file *g, unsigned n, int gen)
{
	static unsigned char buf[UNIT];

	CHECK_EQ(daxfs_ftruncate(f, (off_t)n * UNIT), 0);
	memset(buf, REUSE, UNIT);
	CHECK_EQ(daxfs_pwrite(g, buf, UNIT, 0), UNIT);
	CHECK_EQ(daxfs_ftruncate(g, 0), 0);
	memset(buf, 'a' + gen % 20, UNIT);
	for (unsigned u = n; u < 6; u++)
		CHECK_EQ(daxfs_pwrite(f, buf, UNIT, (off_t)u * UNIT), UNIT);
}

Test(dax_units, faults_race_truncate)
{
	const char *img;
	daxfs *fs = units_fs(&img);
	daxfs_file *f = check_open(fs, "/race", O_RDWR | O_CREAT, 0644);
	daxfs_file *g = check_open(fs, "/reuse", O_RDWR | O_CREAT, 0644);
	struct race r = { 0 };
	pthread_t t[2];
	uint64_t seed = 7;
	double end;
	int gen = 0;

	fill_units(f, 6);
	r.v = check_map(f, 0, 6 * UNIT, PROT_READ, 0);
	for (int i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, race_reader, &r), 0);
	for (end = test_now() + 2; test_now() < end; gen++)
		race_round(f, g, test_rand(&seed) % 6, gen);
	atomic_store(&r.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	fprintf(stderr, "units race: %d truncates, %ld loads, %ld SIGBUS\n",
		gen, atomic_load(&r.loads), atomic_load(&r.sigbus));
	CHECK_EQ(atomic_load(&r.wrong), 0);
	cr_expect(atomic_load(&r.loads) > 0);
	CHECK_EQ(daxfs_unmap(r.v, 6 * UNIT), 0);
	check_close(f);
	check_close(g);
	check_unmount_fsck(fs, img);
}

/* The seed's scenario: pread and pwrite whose buffer is a view of
 * another file, faulting inside the copy (seed 000's deadlock). */
Test(dax_units, copy_through_a_view_of_another_file)
{
	const char *img;
	daxfs *fs = units_fs(&img);
	daxfs_file *src = check_open(fs, "/src", O_RDWR | O_CREAT, 0644);
	daxfs_file *dst = check_open(fs, "/dst", O_RDWR | O_CREAT, 0644);
	unsigned char *vs, *vd;
	struct test_watchdog *w = test_watchdog_start("seed copy", 30, 0, NULL);

	fill_units(src, 2);
	CHECK_EQ(daxfs_ftruncate(dst, 2 * UNIT), 0);
	vs = check_map(src, 0, 2 * UNIT, PROT_READ, 0);
	vd = check_map(dst, 0, 2 * UNIT, PROT_READ | PROT_WRITE, 0);
	/* pwrite from a lazy view of src: the copy faults on src */
	CHECK_EQ(daxfs_pwrite(dst, vs, 2 * UNIT, 0), 2 * UNIT);
	CHECK_EQ(units_mismatch(vd, 2 * UNIT, 0), 0);
	/* pread into a view of dst (a unit that is a hole becomes blocks) */
	CHECK_EQ(daxfs_ftruncate(dst, 0), 0);
	CHECK_EQ(daxfs_ftruncate(dst, 2 * UNIT), 0);
	CHECK_EQ(daxfs_pread(src, vd, 2 * UNIT, 0), 2 * UNIT);
	CHECK_EQ(units_mismatch(vd, 2 * UNIT, 0), 0);
	test_watchdog_stop(w);
	CHECK_EQ(daxfs_unmap(vs, 2 * UNIT), 0);
	CHECK_EQ(daxfs_unmap(vd, 2 * UNIT), 0);
	check_close(src);
	check_close(dst);
	check_unmount_fsck(fs, img);
}

Test(dax_units, stores_through_a_view_survive_a_remount)
{
	const char *img;
	daxfs *fs = units_fs(&img);
	daxfs_file *f = check_open(fs, "/d", O_RDWR | O_CREAT, 0644);
	unsigned char *v;
	char buf[16];

	fill_units(f, 2);
	v = check_map(f, 0, 2 * UNIT, PROT_READ | PROT_WRITE, 0);
	memcpy(v + UNIT + 4000, "durable bytes", 13);
	CHECK_EQ(daxfs_persist(v + UNIT + 4000, 13), 0);
	CHECK_EQ(daxfs_unmap(v, 2 * UNIT), 0);
	check_close(f);
	check_unmount_fsck(fs, img);
	fs = check_mount(img, 0);
	f = check_open(fs, "/d", O_RDONLY, 0);
	CHECK_EQ(daxfs_pread(f, buf, 13, UNIT + 4000), 13);
	CHECK_EQ(memcmp(buf, "durable bytes", 13), 0);
	check_close(f);
	check_unmount_fsck(fs, img);
}

Test(dax_units, fallocated_files_map_whole_and_punch_keeps_units)
{
	const char *img;
	daxfs *fs = units_fs(&img);
	daxfs_file *f = check_open(fs, "/fa", O_RDWR | O_CREAT, 0644);
	unsigned char *v, c;

	/* fallocate 8 MiB: aligned units, zeros, a populated view maps all */
	CHECK_EQ(daxfs_fallocate(f, 0, 0, 8 * UNIT / 2), 0);
	v = check_map(f, 0, 4 * UNIT, PROT_READ | PROT_WRITE,
		      DAXFS_MAP_POPULATE);
	CHECK_EQ(test_first_nonzero(v, 4 * UNIT), -1);
	memset(v + UNIT, 'b', UNIT);
	CHECK_EQ(daxfs_persist(v + UNIT, UNIT), 0);
	/* punch part of unit 1: zeroed in place, the unit stays mapped */
	CHECK_EQ(daxfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 UNIT + 4096, 8192), 0);
	CHECK_EQ(v[UNIT + 4096], 0);
	CHECK_EQ(v[UNIT + 4096 + 8191], 0);
	CHECK_EQ(v[UNIT + 4095], 'b');
	CHECK_EQ(v[UNIT + 4096 + 8192], 'b');
	/* punch unit 2 whole: it reads zeros, and a store allocates it again */
	CHECK_EQ(daxfs_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 2 * UNIT, UNIT), 0);
	CHECK_EQ(test_probe_read(v + 2 * UNIT + 5, &c), 0);
	CHECK_EQ(c, 0);
	v[2 * UNIT + 5] = 'c';
	CHECK_EQ(daxfs_pread(f, &c, 1, 2 * UNIT + 5), 1);
	CHECK_EQ(c, 'c');
	CHECK_EQ(daxfs_unmap(v, 4 * UNIT), 0);
	v = check_map(f, 0, 4 * UNIT, PROT_READ, 0);
	CHECK_EQ(v[2 * UNIT + 5], 'c');
	CHECK_EQ(daxfs_unmap(v, 4 * UNIT), 0);
	check_close(f);
	check_unmount_fsck(fs, img);
	for (unsigned u = 0; u < 4; u++)
		cr_expect(block_of(img, "/fa", u * 512ULL) % 512 == 0 &&
			  block_of(img, "/fa", u * 512ULL + 511) ==
				  block_of(img, "/fa", u * 512ULL) + 511,
			  "unit %u is not one aligned run", u);
}
