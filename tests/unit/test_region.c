/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_region.c -- white-box tests of core/region.c: region_open on what
 * is not a usable region (missing, empty, a directory), a file smaller
 * than a page (mapped as it is), the exclusive flock against a second
 * open, the libpmem2 functions it sets and that stores made durable
 * through them reach the file, read-only mappings, region_close's
 * contract, region_load_badblocks on a regular file, region_holds
 * over several open regions, character devices that are not devdax
 * (/dev/null, /dev/zero), and the mapping alignment: 4 KiB on tmpfs,
 * the huge page size on hugetlbfs (mounted as root with pages reserved
 * for the test and given back; skipped with a reason otherwise).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "core/badblocks.h"
#include "core/region.h"
#include "check.h"

TestSuite(region, .fini = test_cleanup, .timeout = 60);

#define RGN_SIZE (1 * TEST_MIB)

/* A regular file of size bytes of pattern seed under /dev/shm. */
static const char *pattern_file(const char *tag, uint64_t size, uint64_t seed)
{
	const char *p = test_image_path(tag);

	cr_assert_eq(test_write_pattern_file(p, size, seed), 0);
	return p;
}

Test(region, missing_path_is_enoent_naming_it)
{
	const char *p = test_image_path("nofile");
	struct region *r = (struct region *)0x1;

	CHECK_ERR_MSG(region_open(p, false, &r), ENOENT, p);
	cr_assert_eq(r, (struct region *)0x1, "*r written on failure");
}

Test(region, empty_file_is_euclean)
{
	const char *p = test_tmp_file("empty");
	struct region *r = NULL;

	cr_assert(p);
	CHECK_ERR_MSG(region_open(p, false, &r), EUCLEAN, "empty");
	cr_assert_null(r);
}

Test(region, small_file_maps_exactly_its_bytes)
{
	/* Smaller than a page: the region maps what is there and knows
	 * nothing of file systems (the superblock check refuses it). */
	const char *p = pattern_file("small", 100, 1);
	struct region *r = NULL;

	CHECK_OK(region_open(p, false, &r));
	cr_assert_eq(r->size, 100);
	cr_assert_eq(test_pattern_mismatch(r->base, 100, 1, 0), -1);
	region_close(&r);
}

Test(region, directory_is_refused)
{
	const char *d = test_tmp_dir("dir");
	struct region *r = NULL;

	cr_assert(d);
	/* Read-write: open(2) itself says no. */
	CHECK_ERR_MSG(region_open(d, false, &r), EISDIR, d);
	cr_assert_null(r);
	/* Read-only opens, then the type is checked. */
	CHECK_ERR_MSG(region_open(d, true, &r), EINVAL, "regular file");
	cr_assert_null(r);
}

Test(region, second_open_is_ebusy_until_close)
{
	const char *p = pattern_file("busy", RGN_SIZE, 2);
	struct region *a = NULL, *b = NULL;

	CHECK_OK(region_open(p, false, &a));
	/* The flock conflicts within one process too, even read-only. */
	CHECK_ERR_MSG(region_open(p, false, &b), EBUSY, "mounted already");
	cr_assert_null(b);
	CHECK_ERR_MSG(region_open(p, true, &b), EBUSY, p);
	region_close(&a);
	cr_assert_null(a, "region_close left the pointer set");
	CHECK_OK(region_open(p, true, &b));
	region_close(&b);
}

Test(region, maps_the_whole_file_with_every_function_set)
{
	const char *p = pattern_file("map", RGN_SIZE, 3);
	struct region *r = NULL;

	CHECK_OK(region_open(p, false, &r));
	cr_assert_eq(r->size, RGN_SIZE);
	cr_assert_not_null(r->base);
	cr_assert(!r->devdax, "a regular file taken for devdax");
	cr_assert(!r->rdonly);
	cr_assert_geq(r->fd, 0);
	cr_assert(r->align > 0 && RGN_SIZE % r->align == 0, "align %zu",
		  r->align);
	cr_assert(r->persist && r->flush && r->drain && r->memcpy &&
		  r->memset, "a libpmem2 function is not set");
	cr_assert_eq(test_pattern_mismatch(r->base, RGN_SIZE, 3, 0), -1,
		     "the mapping does not show the file");
	region_close(&r);
}

Test(region, persisted_stores_reach_the_file)
{
	const char *p = pattern_file("persist", RGN_SIZE, 4);
	unsigned char want[3 * TEST_PAGE];
	unsigned char *raw;
	struct region *r = NULL;
	size_t len;

	CHECK_OK(region_open(p, false, &r));
	/* One store of each kind: plain + persist, memcpy, memset + flush. */
	memset(r->base + 10, 0xA5, 100);
	region_persist(r, r->base + 10, 100);
	test_pattern(want, sizeof(want), 99, 0);
	r->memcpy(r->base + TEST_PAGE, want, sizeof(want), 0);
	r->memset(r->base + 8 * TEST_PAGE, 0, TEST_PAGE, PMEM2_F_MEM_NODRAIN);
	region_flush(r, r->base + 8 * TEST_PAGE, TEST_PAGE);
	region_drain(r);
	region_close(&r);

	raw = check_read_file(p, &len);
	cr_assert_eq(len, RGN_SIZE);
	for (size_t i = 10; i < 110; i++)
		cr_assert_eq(raw[i], 0xA5, "byte %zu", i);
	cr_assert_eq(test_pattern_mismatch(raw, 10, 4, 0), -1);
	cr_assert_eq(test_first_diff(raw + TEST_PAGE, want, sizeof(want)), -1);
	cr_assert_eq(test_first_nonzero(raw + 8 * TEST_PAGE, TEST_PAGE), -1);
	cr_assert_eq(test_pattern_mismatch(raw + 9 * TEST_PAGE, TEST_PAGE, 4,
					   9 * TEST_PAGE), -1,
		     "bytes after the memset changed");
	free(raw);
}

Test(region, read_only_mapping_reads_and_leaves_the_file)
{
	const char *p = pattern_file("ro", RGN_SIZE, 5);
	uint64_t before = check_hash_file(p);
	struct region *r = NULL;

	CHECK_OK(region_open(p, true, &r));
	cr_assert(r->rdonly);
	cr_assert_eq(test_pattern_mismatch(r->base, RGN_SIZE, 5, 0), -1);
	region_close(&r);
	cr_assert_eq(check_hash_file(p), before);
}

Test(region, close_accepts_null)
{
	struct region *r = NULL;

	region_close(&r);
	cr_assert_null(r);
}

Test(region, regular_file_has_no_known_bad_blocks)
{
	const char *p = pattern_file("bb", RGN_SIZE, 6);
	struct region *r = NULL;

	CHECK_OK(region_open(p, false, &r));
	CHECK_OK(region_load_badblocks(r));
	cr_assert(!badblocks_any(r->bad), "a regular file on /dev/shm has no known bad block");
	region_close(&r);
}

/* ---- the process's mapped regions (region_holds) -------------------- */

Test(region, holds_exactly_the_mappings_of_open_regions)
{
	const char *p1 = pattern_file("held1", RGN_SIZE, 1);
	const char *p2 = pattern_file("held2", RGN_SIZE, 2);
	struct region *r1 = NULL, *r2 = NULL;
	unsigned char *b1;
	int local;

	CHECK_OK(region_open(p1, false, &r1));
	CHECK_OK(region_open(p2, true, &r2));
	b1 = r1->base;
	cr_assert(region_holds(r1->base));
	cr_assert(region_holds(r1->base + r1->size - 1));
	cr_assert(region_holds(r2->base + r2->size / 2));
	cr_assert_not(region_holds(&local), "a stack address");
	if (r2->base != r1->base + r1->size)
		cr_assert_not(region_holds(r1->base + r1->size));
	region_close(&r2);
	cr_assert(region_holds(b1), "r1 stays after r2 is closed");
	region_close(&r1);
	cr_assert_not(region_holds(b1), "a closed region is not held");
}

/* ---- character devices and alignment -------------------------------- */

/* A character device that is no devdax device: -EINVAL naming it and
 * saying what a region must be; the flock is dropped again. */
Test(region, char_device_that_is_not_devdax_is_einval)
{
	static const char *const devs[] = { "/dev/null", "/dev/zero" };

	for (size_t i = 0; i < 2; i++) {
		for (int ro = 0; ro <= 1; ro++) {
			struct region *r = NULL;

			CHECK_ERR_MSG(region_open(devs[i], ro, &r), EINVAL,
				      "devdax");
			check_errormsg("region_open", devs[i]);
			cr_assert_null(r);
		}
	}
}

Test(region, file_on_tmpfs_has_4k_alignment)
{
	const char *p = pattern_file("align", RGN_SIZE, 3);
	struct region *r = NULL;

	CHECK_OK(region_open(p, false, &r));
	cr_assert_eq(r->align, 4096);
	cr_assert_not(r->devdax);
	region_close(&r);
}

/* hugetlbfs mounted at dir with added huge pages reserved for it. */
struct huge {
	char dir[128];
	long added;     /* pages added to vm.nr_hugepages */
	bool mounted;
};

/* vm.nr_hugepages, or -1. */
static long huge_nr(void)
{
	char *s = test_read_file("/proc/sys/vm/nr_hugepages", NULL);
	long n = s ? strtol(s, NULL, 10) : -1;

	free(s);
	return n;
}

/* Set vm.nr_hugepages to n: 0 or -1. */
static int huge_set_nr(long n)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", n);

	return test_write_file("/proc/sys/vm/nr_hugepages", buf, (size_t)len);
}

/* Give back the pages and unmount (relative to the current count, so
 * that pages another process reserved meanwhile stay). */
static void huge_teardown(struct huge *h)
{
	/* Detached: a failed test may still have its file mapped. */
	if (h->mounted && umount2(h->dir, MNT_DETACH) != 0)
		cr_log_error("cannot unmount hugetlbfs at %s: %s", h->dir,
			     strerror(errno));
	h->mounted = false;
	rmdir(h->dir);
	if (h->added) {
		long n = huge_nr();

		huge_set_nr(n > h->added ? n - h->added : 0);
		h->added = 0;
	}
}

/* Reserve npages 2 MiB pages and mount hugetlbfs; false with the reason
 * in why when this machine or user cannot. */
static bool huge_setup(struct huge *h, long npages, char *why, size_t n)
{
	long old = huge_nr();

	memset(h, 0, sizeof(*h));
	snprintf(h->dir, sizeof(h->dir), "%s", test_tmp_dir("hugetlbfs"));
	if (geteuid() != 0 || old < 0 || huge_set_nr(old + npages) != 0) {
		snprintf(why, n, "cannot reserve huge pages (not root, or no "
			 "/proc/sys/vm/nr_hugepages)");
		return false;
	}
	h->added = huge_nr() - old;
	if (h->added < npages) {
		snprintf(why, n, "only %ld of %ld huge pages could be "
			 "reserved", h->added, npages);
		return false;
	}
	if (mount("none", h->dir, "hugetlbfs", 0, "pagesize=2M") != 0) {
		snprintf(why, n, "cannot mount hugetlbfs: %s", strerror(errno));
		return false;
	}
	h->mounted = true;
	return true;
}

/* The hugetlbfs of the test below, given back by its .fini whether it
 * passes or fails. */
static struct huge h;

static void huge_fini(void)
{
	huge_teardown(&h);
	test_cleanup();
}

/* A regular file on hugetlbfs maps only in 2 MiB units: the region says
 * so, though libpmem2 reports 4 KiB there (region_alignment). */
Test(region, file_on_hugetlbfs_has_its_huge_page_alignment,
     .fini = huge_fini)
{
	char why[160], path[192];
	struct region *r = NULL;
	int fd;

	if (!huge_setup(&h, 4, why, sizeof(why)))
		cr_skip_test("%s", why);
	snprintf(path, sizeof(path), "%s/region", h.dir);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 4 * TEST_MIB), 0, "%s", strerror(errno));
	close(fd);
	CHECK_OK(region_open(path, false, &r));
	cr_assert_eq(r->align, 2 * TEST_MIB, "align %zu", r->align);
	cr_assert_eq(r->size, 4 * TEST_MIB);
	cr_assert_eq((uintptr_t)r->base % (2 * TEST_MIB), 0);
	r->base[0] = 1; /* the mapping works */
	region_close(&r);
	cr_assert_eq(unlink(path), 0);
}
