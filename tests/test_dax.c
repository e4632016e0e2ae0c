/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dax.c -- the DAX mapping API (daxfs_map/daxfs_unmap/daxfs_persist)
 * through the public interface: coherence of views with pread/pwrite,
 * holes and the zero page, SIGBUS past EOF, DAXFS_MAP_POPULATE views that
 * take no fault, durability across remount (checked with debugfs too),
 * lifetime rules (unmount, close, unlink), argument errors, SIGSEGV
 * chaining for stores into read-only views, views as pread/pwrite buffers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "check.h"
#include "probe.h"

#define PG TEST_PAGE

/* The probe goes in before any daxfs_map of the process: libdaxfs chains
 * to it. */
TestSuite(dax, .init = test_probe_install, .fini = test_cleanup,
	  .timeout = 60);

/* A file of npages pages of test_pattern(seed). */
static daxfs_file *pattern_file(daxfs *fs, const char *path, size_t npages,
				uint64_t seed)
{
	daxfs_file *f = check_open(fs, path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	unsigned char *buf = malloc(npages * PG);

	cr_assert(buf);
	test_pattern(buf, npages * PG, seed, 0);
	CHECK_EQ(daxfs_pwrite(f, buf, npages * PG, 0), npages * PG);
	free(buf);
	return f;
}

static long long blocks_of(daxfs_file *f)
{
	struct stat st;

	CHECK_OK(daxfs_fstat(f, &st));
	return (long long)st.st_blocks;
}

static long long size_of(daxfs_file *f)
{
	struct stat st;

	CHECK_OK(daxfs_fstat(f, &st));
	return (long long)st.st_size;
}

static unsigned long long free_blocks(daxfs *fs)
{
	struct statvfs st;

	CHECK_OK(daxfs_statfs(fs, &st));
	return st.f_bfree;
}

/* ---- coherence ----------------------------------------------------- */

Test(dax, view_reads_what_pwrite_wrote)
{
	const char *path;
	daxfs *fs = check_new_fs("read", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = pattern_file(fs, "/f", 40, 7);
	unsigned char *v, *w;
	long bad;

	v = check_map(f, 0, 40 * PG, PROT_READ, 0);
	bad = test_pattern_mismatch(v, 40 * PG, 7, 0);
	cr_assert_eq(bad, -1, "view byte %ld differs from what was written", bad);
	/* A view at an offset. */
	w = check_map(f, 12 * PG, 4 * PG, PROT_READ, 0);
	bad = test_pattern_mismatch(w, 4 * PG, 7, 12 * PG);
	cr_assert_eq(bad, -1, "offset view byte %ld differs", bad);
	CHECK_OK(daxfs_unmap(v, 40 * PG));
	CHECK_OK(daxfs_unmap(w, 4 * PG));
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, path);
}

Test(dax, stores_and_pwrite_visible_both_ways)
{
	const char *path;
	daxfs *fs = check_new_fs("coh", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = pattern_file(fs, "/f", 16, 1);
	unsigned char *v, buf[PG], want[PG];
	int i;

	v = check_map(f, 0, 16 * PG, PROT_READ | PROT_WRITE, 0);
	for (i = 0; i < 16; i += 3) {
		memset(v + i * PG + 10, 0xC0 + i, 100);
		CHECK_EQ(daxfs_pread(f, buf, PG, i * PG), PG);
		test_pattern(want, PG, 1, i * PG);
		memset(want + 10, 0xC0 + i, 100);
		cr_assert(!memcmp(buf, want, PG),
			  "page %d: pread does not see the store", i);
	}
	for (i = 1; i < 16; i += 4) {
		test_pattern(buf, PG, 2, i * PG);
		CHECK_EQ(daxfs_pwrite(f, buf, PG, i * PG), PG);
		cr_assert(!memcmp(v + i * PG, buf, PG),
			  "page %d: the view does not see the pwrite", i);
	}
	CHECK_OK(daxfs_unmap(v, 16 * PG));
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, path);
}

Test(dax, holes_read_zero_and_store_allocates_zeroed_block)
{
	const char *path;
	daxfs *fs = check_new_fs("hole", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = check_open(fs, "/s", O_RDWR | O_CREAT, 0644);
	unsigned char *ro, *rw, buf[PG];
	long bad;

	CHECK_OK(daxfs_ftruncate(f, 16 * PG));
	cr_assert_eq(blocks_of(f), 0);
	ro = check_map(f, 0, 16 * PG, PROT_READ, 0);
	bad = test_first_nonzero(ro, 16 * PG);
	cr_assert_eq(bad, -1, "a hole reads %#x at %ld", ro[bad], bad);
	cr_assert_eq(blocks_of(f), 0, "reading holes must not allocate");
	rw = check_map(f, 0, 16 * PG, PROT_READ | PROT_WRITE, 0);
	cr_assert_eq(rw[5 * PG + 7], 0);
	rw[5 * PG + 100] = 0x77;
	cr_assert_eq(blocks_of(f), 8, "a one-byte store into a hole: st_blocks "
		     "%lld, expected 8 (one 4 KiB block)", blocks_of(f));
	CHECK_EQ(daxfs_pread(f, buf, PG, 5 * PG), PG);
	cr_assert_eq(buf[100], 0x77);
	buf[100] = 0;
	bad = test_first_nonzero(buf, PG);
	cr_assert_eq(bad, -1, "the new block is not zeroed at %ld", bad);
	cr_assert_eq(ro[5 * PG + 100], 0x77,
		     "the read-only view still shows the zero page");
	bad = test_first_nonzero(ro, 5 * PG);
	cr_assert_eq(bad, -1);
	cr_assert_eq(size_of(f), 16 * PG);
	CHECK_OK(daxfs_unmap(ro, 16 * PG));
	CHECK_OK(daxfs_unmap(rw, 16 * PG));
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, path);
}

Test(dax, pwrite_into_hole_replaces_zero_page)
{
	const char *path;
	daxfs *fs = check_new_fs("hole2", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = check_open(fs, "/s", O_RDWR | O_CREAT, 0644);
	unsigned char *lazy, *pop, buf[PG];
	long bad;

	CHECK_OK(daxfs_ftruncate(f, 8 * PG));
	lazy = check_map(f, 0, 8 * PG, PROT_READ, 0);
	pop = check_map(f, 0, 8 * PG, PROT_READ, DAXFS_MAP_POPULATE);
	cr_assert_eq(lazy[3 * PG + 1], 0);
	cr_assert_eq(pop[3 * PG + 1], 0);
	test_pattern(buf, PG, 9, 0);
	CHECK_EQ(daxfs_pwrite(f, buf, PG, 3 * PG), PG);
	bad = test_pattern_mismatch(lazy + 3 * PG, PG, 9, 0);
	cr_assert_eq(bad, -1, "lazy view still shows zeros after the pwrite "
		     "(byte %ld)", bad);
	bad = test_pattern_mismatch(pop + 3 * PG, PG, 9, 0);
	cr_assert_eq(bad, -1, "populated view still shows zeros (byte %ld)", bad);
	cr_assert_eq(test_first_nonzero(lazy + 4 * PG, PG), -1);
	CHECK_OK(daxfs_unmap(lazy, 8 * PG));
	CHECK_OK(daxfs_unmap(pop, 8 * PG));
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, path);
}

Test(dax, two_views_see_each_other)
{
	const char *path;
	daxfs *fs = check_new_fs("two", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = pattern_file(fs, "/f", 8, 3);
	unsigned char *a, *b;

	a = check_map(f, 0, 8 * PG, PROT_READ | PROT_WRITE, 0);
	b = check_map(f, 4 * PG, 4 * PG, PROT_READ | PROT_WRITE, DAXFS_MAP_POPULATE);
	a[5 * PG + 9] = 0x11;
	cr_assert_eq(b[PG + 9], 0x11);
	b[3 * PG + 4000] = 0x22;
	cr_assert_eq(a[7 * PG + 4000], 0x22);
	memset(a + 4 * PG, 0x33, PG);
	for (int i = 0; i < (int)PG; i++)
		cr_assert_eq(b[i], 0x33);
	CHECK_OK(daxfs_unmap(a, 8 * PG));
	CHECK_OK(daxfs_unmap(b, 4 * PG));
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, path);
}

/* ---- SIGBUS past EOF ------------------------------------------------ */

Test(dax, sigbus_past_eof_and_usable_after)
{
	const char *path;
	daxfs *fs = check_new_fs("bus", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = pattern_file(fs, "/f", 1, 4);
	unsigned char *v, c, buf[200], want[100];
	unsigned long before = test_probe_sigbus_count();

	test_pattern(buf, 100, 4, PG);
	CHECK_EQ(daxfs_pwrite(f, buf, 100, PG), 100); /* size 4096 + 100 */
	v = check_map(f, 0, 4 * PG, PROT_READ | PROT_WRITE, 0);
	CHECK_EQ(test_probe_read(v + 5, &c), 0);
	CHECK_EQ(test_probe_read(v + PG + 50, &c), 0);
	test_pattern(want, 100, 4, PG);
	cr_assert_eq(c, want[50]);
	CHECK_EQ(test_probe_read(v + PG + 200, &c), 0); /* EOF page, past EOF */
	cr_assert_eq(c, 0);
	CHECK_EQ(test_probe_read(v + 2 * PG, &c), -1);
	CHECK_EQ(test_probe_write(v + 3 * PG + 5, 1), -1);
	CHECK_EQ(test_probe_read(v + 3 * PG + 4095, &c), -1);
	cr_assert_eq(test_probe_sigbus_count() - before, 3);
	/* Still usable: the same file, through calls and the view. */
	CHECK_EQ(daxfs_pread(f, buf, 200, PG - 100), 200);
	CHECK_EQ(daxfs_pwrite(f, "xyz", 3, 2 * PG + 1), 3);
	CHECK_EQ(test_probe_read(v + 2 * PG + 2, &c), 0);
	cr_assert_eq(c, 'y');
	CHECK_EQ(test_probe_read(v + 3 * PG, &c), -1);
	CHECK_OK(daxfs_ftruncate(f, 4 * PG));
	CHECK_EQ(test_probe_read(v + 3 * PG, &c), 0);
	cr_assert_eq(c, 0);
	CHECK_OK(daxfs_unmap(v, 4 * PG));
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, path);
}

/* No space left: the first store into a hole raises SIGBUS. */
Test(dax, store_into_hole_without_space_sigbus)
{
	const char *path;
	daxfs *fs = check_new_fs("nospc", 8 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = check_open(fs, "/s", O_RDWR | O_CREAT, 0644);
	daxfs_file *g = check_open(fs, "/fill", O_RDWR | O_CREAT, 0644);
	unsigned char *v, *buf = calloc(1, 64 * PG), c;
	ssize_t n;
	off_t off = 0;

	cr_assert(buf);
	CHECK_OK(daxfs_ftruncate(f, 4 * PG));
	v = check_map(f, 0, 4 * PG, PROT_READ | PROT_WRITE, 0);
	do {
		n = daxfs_pwrite(g, buf, 64 * PG, off);
		if (n > 0)
			off += n;
	} while (n > 0);
	while (daxfs_pwrite(g, buf, PG, off) == (ssize_t)PG)
		off += PG;
	CHECK_EQ(test_probe_read(v + PG, &c), 0);
	cr_assert_eq(c, 0);
	CHECK_EQ(test_probe_write(v + PG, 1), -1);
	cr_assert_eq(blocks_of(f), 0);
	/* Space again: the store works. */
	CHECK_OK(daxfs_ftruncate(g, 0));
	CHECK_EQ(test_probe_write(v + PG, 1), 0);
	cr_assert_eq(blocks_of(f), 8, "a one-byte store into a hole: st_blocks "
		     "%lld, expected 8 (one 4 KiB block)", blocks_of(f));
	CHECK_OK(daxfs_unmap(v, 4 * PG));
	CHECK_OK(daxfs_close(f));
	CHECK_OK(daxfs_close(g));
	free(buf);
	check_unmount_fsck(fs, path);
}

/* ---- DAXFS_MAP_POPULATE: no fault at all ----------------------------- */

static void no_segv(int sig)
{
	static const char msg[] = "test_dax: a POPULATE view took a fault\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(98);
	_exit(98);
}

Test(dax, populate_views_take_no_fault)
{
	const char *path;
	daxfs *fs = check_new_fs("pop", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = pattern_file(fs, "/f", 8, 5);
	daxfs_file *s = check_open(fs, "/sparse", O_RDWR | O_CREAT, 0644);
	unsigned char *v, *r, c, buf[PG];
	long bad;
	int i;

	CHECK_OK(daxfs_ftruncate(s, 6 * PG));
	CHECK_EQ(daxfs_pwrite(s, "hello", 5, 2 * PG), 5);
	v = check_map(f, 0, 8 * PG, PROT_READ | PROT_WRITE, DAXFS_MAP_POPULATE);
	r = check_map(s, 0, 8 * PG, PROT_READ, DAXFS_MAP_POPULATE);
	/* From now on a SIGSEGV (a fault libdaxfs would resolve) is fatal. */
	signal(SIGSEGV, no_segv);
	bad = test_pattern_mismatch(v, 8 * PG, 5, 0);
	cr_assert_eq(bad, -1);
	v[3 * PG] = 0xAB;
	CHECK_EQ(daxfs_pread(f, buf, 1, 3 * PG), 1);
	cr_assert_eq(buf[0], 0xAB);
	cr_assert_eq(test_first_nonzero(r, 2 * PG), -1);
	cr_assert(!memcmp(r + 2 * PG, "hello", 5));
	cr_assert_eq(test_first_nonzero(r + 3 * PG, 3 * PG), -1);
	/* Past EOF: SIGBUS from the kernel. */
	CHECK_EQ(test_probe_read(r + 6 * PG, &c), -1);
	CHECK_EQ(test_probe_read(r + 7 * PG + 9, &c), -1);
	/* pwrite into a hole and past EOF: shown with no fault. */
	CHECK_EQ(daxfs_pwrite(s, "world", 5, 4 * PG + 1), 5);
	cr_assert(!memcmp(r + 4 * PG + 1, "world", 5));
	CHECK_EQ(daxfs_pwrite(s, "tail", 4, 6 * PG + 2), 4);
	CHECK_EQ(test_probe_read(r + 6 * PG + 3, &c), 0);
	cr_assert_eq(c, 'a');
	CHECK_EQ(test_probe_read(r + 7 * PG, &c), -1);
	for (i = 0; i < 8; i++)
		cr_assert_eq(test_pattern_mismatch(v + i * PG, i == 3 ? 0 : PG,
						   5, i * PG), -1);
	CHECK_OK(daxfs_unmap(v, 8 * PG));
	CHECK_OK(daxfs_unmap(r, 8 * PG));
	CHECK_OK(daxfs_close(f));
	CHECK_OK(daxfs_close(s));
	check_unmount_fsck(fs, path);
}

/* ---- durability ---------------------------------------------------- */

Test(dax, persist_fsync_durable_across_remount)
{
	const char *path;
	daxfs *fs = check_new_fs("dur", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = check_open(fs, "/d", O_RDWR | O_CREAT, 0644);
	unsigned char *v, *want = malloc(12 * PG), *got = malloc(12 * PG);
	size_t len = 0;
	char *out;

	cr_assert(want && got);
	test_pattern(want, 12 * PG, 11, 0);
	CHECK_EQ(daxfs_pwrite(f, want, 4 * PG, 0),
		 4 * PG); /* pages 4..11: holes */
	CHECK_OK(daxfs_ftruncate(f, 12 * PG));
	v = check_map(f, 0, 12 * PG, PROT_READ | PROT_WRITE, 0);
	memcpy(v + 4 * PG, want + 4 * PG, 8 * PG);
	memset(v + 100, 0xEE, 50);
	memset(want + 100, 0xEE, 50);
	CHECK_OK(daxfs_persist(v + 4 * PG, 4 * PG));
	CHECK_OK(daxfs_fsync(f));
	CHECK_OK(daxfs_unmap(v, 12 * PG));
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, path);

	out = test_debugfs(path, "cat /d", &len, NULL);
	cr_assert(out);
	cr_assert_eq(len, 12 * PG, "debugfs cat gave %zu bytes", len);
	cr_assert(!memcmp(out, want, 12 * PG), "debugfs sees other bytes");
	free(out);

	fs = check_mount(path, 0);
	f = check_open(fs, "/d", O_RDONLY, 0644);
	CHECK_EQ(daxfs_pread(f, got, 12 * PG, 0), 12 * PG);
	cr_assert(!memcmp(got, want, 12 * PG));
	v = check_map(f, 0, 12 * PG, PROT_READ, 0);
	cr_assert(!memcmp(v, want, 12 * PG));
	CHECK_OK(daxfs_unmap(v, 12 * PG));
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, path);
	free(want);
	free(got);
}

/* A view whose range passes EOF, of which only a few pages were touched:
 * persisting all of it must not raise SIGBUS. */
Test(dax, persist_whole_view_past_eof)
{
	const char *path;
	daxfs *fs = check_new_fs("perseof", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = pattern_file(fs, "/f", 2, 6);
	unsigned char *v;
	v = check_map(f, 0, 8 * PG, PROT_READ | PROT_WRITE, 0);
	v[10] = 1;
	/* A SIGBUS here reaches the probe handler with nothing armed: exit 99. */
	CHECK_OK(daxfs_persist(v, 8 * PG));
	CHECK_OK(daxfs_unmap(v, 8 * PG));
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, path);
}

/* ---- lifetime ------------------------------------------------------ */

Test(dax, unmount_busy_with_view_and_view_outlives_close)
{
	const char *path;
	daxfs *fs = check_new_fs("busy", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = pattern_file(fs, "/f", 4, 8);
	unsigned char *v, buf[8];

	v = check_map(f, 0, 4 * PG, PROT_READ | PROT_WRITE, 0);
	CHECK_OK(daxfs_close(f));
	CHECK_EQ(daxfs_unmount(fs), -EBUSY);
	cr_assert_eq(test_pattern_mismatch(v, 4 * PG, 8, 0), -1);
	v[2 * PG + 3] = 0x42;   /* first touch of a page after close */
	f = check_open(fs, "/f", O_RDONLY, 0644);
	CHECK_EQ(daxfs_pread(f, buf, 1, 2 * PG + 3), 1);
	cr_assert_eq(buf[0], 0x42);
	CHECK_OK(daxfs_close(f));
	CHECK_EQ(daxfs_unmount(fs), -EBUSY);
	CHECK_OK(daxfs_unmap(v, 4 * PG));
	check_unmount_fsck(fs, path);
}

Test(dax, unlinked_file_freed_after_last_view)
{
	const char *path;
	daxfs *fs = check_new_fs("unl", 32 * TEST_MIB, 4096, 0, &path);
	unsigned long long b0 = free_blocks(fs), b1;
	daxfs_file *f = pattern_file(fs, "/f", 64, 12);
	daxfs_file *g;
	unsigned char *v;
	struct stat st;

	b1 = free_blocks(fs);
	cr_assert_eq(b0 - b1, 65, "64 data blocks + 1 indirect: %llu",
		     b0 - b1);
	v = check_map(f, 0, 64 * PG, PROT_READ, 0);
	g = check_open(fs, "/f", O_RDONLY, 0644);
	CHECK_OK(daxfs_close(f));
	CHECK_OK(daxfs_unlink(fs, "/f"));
	CHECK_EQ(daxfs_stat(fs, "/f", &st), -ENOENT);
	cr_assert_eq(free_blocks(fs), b1, "freed while still open and mapped");
	CHECK_OK(daxfs_close(g));
	cr_assert_eq(free_blocks(fs), b1, "freed while still mapped");
	cr_assert_eq(test_pattern_mismatch(v, 64 * PG, 12, 0), -1);
	CHECK_OK(daxfs_unmap(v, 64 * PG));
	cr_assert_eq(free_blocks(fs), b0, "not freed after the last view");
	check_unmount_fsck(fs, path);
}

/* ---- errors -------------------------------------------------------- */

Test(dax, argument_errors)
{
	const char *path;
	daxfs *fs = check_new_fs("err", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = pattern_file(fs, "/f", 4, 1);
	daxfs_file *ro = check_open(fs, "/f", O_RDONLY, 0644);
	void *p = NULL;
	unsigned char *v, local[64];

	CHECK_EQ(daxfs_map(f, 100, PG, PROT_READ, 0, &p), -EINVAL);
	CHECK_EQ(daxfs_map(f, PG / 2, PG, PROT_READ, 0, &p), -EINVAL);
	CHECK_EQ(daxfs_map(f, -(off_t)PG, PG, PROT_READ, 0, &p), -EINVAL);
	CHECK_EQ(daxfs_map(f, 0, 0, PROT_READ, 0, &p), -EINVAL);
	CHECK_EQ(daxfs_map(f, 0, PG, PROT_READ, 0x2, &p), -EINVAL);
	CHECK_EQ(daxfs_map(f, 0, PG, PROT_READ, 0x80000000u, &p), -EINVAL);
	CHECK_EQ(daxfs_map(ro, 0, PG, PROT_READ | PROT_WRITE, 0, &p), -EACCES);
	CHECK_EQ(daxfs_map(ro, 0, PG, PROT_READ | PROT_WRITE,
			   DAXFS_MAP_POPULATE, &p), -EACCES);
	cr_assert_null(p, "a failed map must not set addr");
	CHECK_EQ(daxfs_unmap(local, sizeof(local)), -EINVAL);
	CHECK_EQ(daxfs_unmap(NULL, PG), -EINVAL);
	CHECK_EQ(daxfs_persist(local, sizeof(local)), -EINVAL);
	v = check_map(f, 0, 4 * PG, PROT_READ, 0);
	CHECK_EQ(daxfs_unmap(v, 2 * PG), -EINVAL);
	CHECK_EQ(daxfs_unmap(v + PG, 3 * PG), -EINVAL);
	CHECK_EQ(daxfs_unmap(v, 5 * PG), -EINVAL);
	cr_assert_eq(test_pattern_mismatch(v, 4 * PG, 1, 0), -1,
		     "a failed unmap must leave the view working");
	CHECK_OK(daxfs_unmap(v, 4 * PG));
	CHECK_EQ(daxfs_unmap(v, 4 * PG), -EINVAL);
	CHECK_OK(daxfs_close(f));
	CHECK_OK(daxfs_close(ro));
	CHECK_OK(daxfs_unmount(fs));

	fs = check_mount(path, DAXFS_MOUNT_RDONLY);
	ro = check_open(fs, "/f", O_RDONLY, 0644);
	CHECK_EQ(daxfs_map(ro, 0, PG, PROT_READ | PROT_WRITE, 0, &p), -EACCES);
	v = check_map(ro, 0, 4 * PG, PROT_READ, 0);
	cr_assert_eq(test_pattern_mismatch(v, 4 * PG, 1, 0), -1);
	CHECK_OK(daxfs_unmap(v, 4 * PG));
	CHECK_OK(daxfs_close(ro));
	check_unmount_fsck(fs, path);
}

/* ---- a store into a PROT_READ view: a real SIGSEGV ------------------ */

static sigjmp_buf segv_jb;
static volatile sig_atomic_t segv_armed, segv_seen;
static void *volatile segv_addr;

static void app_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	segv_seen++;
	segv_addr = si->si_addr;
	if (segv_armed) {
		segv_armed = 0;
		siglongjmp(segv_jb, 1);
	}
	_exit(97);
}

static int store_segv(volatile unsigned char *p)
{
	if (sigsetjmp(segv_jb, 1))
		return -1;
	segv_armed = 1;
	*p = 0x99;
	segv_armed = 0;
	return 0;
}

Test(dax, store_into_read_only_view_is_sigsegv_chained)
{
	const char *path;
	daxfs *fs;
	daxfs_file *f;
	unsigned char *v, buf[4];
	struct sigaction sa;

	/* The application's handler first, then libdaxfs's (first map). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = app_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	cr_assert_eq(sigaction(SIGSEGV, &sa, NULL), 0);
	fs = check_new_fs("segv", 32 * TEST_MIB, 4096, 0, &path);
	f = pattern_file(fs, "/f", 4, 13);
	v = check_map(f, 0, 4 * PG, PROT_READ, 0);
	/* Untouched page. */
	cr_assert_eq(store_segv(v + PG + 5), -1, "a store into a PROT_READ "
		     "view succeeded");
	cr_assert_eq(segv_seen, 1);
	cr_assert_eq(segv_addr, (void *)(v + PG + 5));
	/* A page installed by a read first. */
	cr_assert_eq(test_pattern_mismatch(v + 2 * PG, PG, 13, 2 * PG), -1);
	cr_assert_eq(store_segv(v + 2 * PG + 7), -1);
	cr_assert_eq(segv_seen, 2);
	cr_assert_eq(segv_addr, (void *)(v + 2 * PG + 7));
	/* The file is unchanged and the view still works. */
	cr_assert_eq(test_pattern_mismatch(v, 4 * PG, 13, 0), -1);
	CHECK_EQ(daxfs_pread(f, buf, 1, PG + 5), 1);
	cr_assert_neq(buf[0], 0x99);
	/* A SIGSEGV outside any view reaches the application too. */
	cr_assert_eq(store_segv((unsigned char *)16), -1);
	cr_assert_eq(segv_seen, 3);
	CHECK_OK(daxfs_unmap(v, 4 * PG));
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, path);
}

/* ---- views as pread/pwrite buffers ---------------------------------- */

Test(dax, pread_pwrite_with_view_buffers)
{
	const char *path;
	daxfs *fs = check_new_fs("buf", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *a = pattern_file(fs, "/a", 8, 21);
	daxfs_file *b = pattern_file(fs, "/b", 8, 22);
	unsigned char *va, *vb, *vro, *got = malloc(8 * PG);
	ssize_t n;

	cr_assert(got);
	va = check_map(a, 0, 8 * PG, PROT_READ | PROT_WRITE, 0);
	vb = check_map(b, 0, 8 * PG, PROT_READ, 0);
	/* pwrite(A) from a view of B. */
	CHECK_EQ(daxfs_pwrite(a, vb + 2 * PG, 3 * PG, 0), 3 * PG);
	CHECK_EQ(daxfs_pread(a, got, 3 * PG, 0), 3 * PG);
	cr_assert_eq(test_pattern_mismatch(got, 3 * PG, 22, 2 * PG), -1);
	/* pwrite(A) from a view of A (another range, untouched pages). */
	CHECK_EQ(daxfs_pwrite(a, va + 5 * PG, 2 * PG, 8 * PG), 2 * PG);
	CHECK_EQ(daxfs_pread(a, got, 2 * PG, 8 * PG), 2 * PG);
	cr_assert_eq(test_pattern_mismatch(got, 2 * PG, 21, 5 * PG), -1);
	cr_assert_eq(size_of(a), 10 * PG);
	/* pread(B) into a writable view of A (a hole page of A first). */
	CHECK_OK(daxfs_ftruncate(a, 12 * PG));
	vro = check_map(a, 0, 12 * PG, PROT_READ | PROT_WRITE, 0);
	CHECK_EQ(daxfs_pread(b, vro + 10 * PG, 2 * PG, 6 * PG), 2 * PG);
	CHECK_EQ(daxfs_pread(a, got, 2 * PG, 10 * PG), 2 * PG);
	cr_assert_eq(test_pattern_mismatch(got, 2 * PG, 22, 6 * PG), -1);
	/* pread into a read-only view: -EFAULT (or a short count). */
	n = daxfs_pread(a, vb, PG, 0);
	cr_assert_eq(n, -EFAULT, "pread into a PROT_READ view returned %zd", n);
	cr_assert_eq(test_pattern_mismatch(vb, 8 * PG, 22, 0), -1);
	CHECK_OK(daxfs_unmap(va, 8 * PG));
	CHECK_OK(daxfs_unmap(vb, 8 * PG));
	CHECK_OK(daxfs_unmap(vro, 12 * PG));
	CHECK_OK(daxfs_close(a));
	CHECK_OK(daxfs_close(b));
	free(got);
	check_unmount_fsck(fs, path);
}

Test(dax, pwrite_from_view_page_past_eof_efault)
{
	const char *path;
	daxfs *fs = check_new_fs("efault", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *a = check_open(fs, "/a", O_RDWR | O_CREAT, 0644);
	daxfs_file *b = pattern_file(fs, "/b", 1, 31);
	unsigned char *vb, got[PG];
	ssize_t n;

	vb = check_map(b, 0, 2 * PG, PROT_READ, 0);
	/* Page 1 of the view is past B's EOF. */
	n = daxfs_pwrite(a, vb, 2 * PG, 0);
	cr_assert(n == -EFAULT || n == (ssize_t)PG,
		  "pwrite from a view page past EOF returned %zd", n);
	cr_assert_eq(size_of(a), n > 0 ? n : 0, "size %lld after a pwrite "
		     "that returned %zd", size_of(a), n);
	if (n > 0) {
		CHECK_EQ(daxfs_pread(a, got, PG, 0), PG);
		cr_assert_eq(test_pattern_mismatch(got, PG, 31, 0), -1);
	}
	/* Into the middle of an existing file. */
	{
		daxfs_file *c = pattern_file(fs, "/c", 4, 32);

		n = daxfs_pwrite(c, vb + PG, PG, PG);
		CHECK_EQ(n, -EFAULT);
		CHECK_EQ(daxfs_pread(c, got, PG, PG), PG);
		cr_assert_eq(test_pattern_mismatch(got, PG, 32, PG), -1);
		CHECK_OK(daxfs_close(c));
	}
	CHECK_OK(daxfs_unmap(vb, 2 * PG));
	CHECK_OK(daxfs_close(a));
	CHECK_OK(daxfs_close(b));
	/* Blocks allocated for a failed part past EOF must not stay. */
	check_unmount_fsck(fs, path);
}

/* ---- hole filling racing with reads through a view ------------------ */

#define RACE_PAGES 64

struct race {
	daxfs_file *f;
	unsigned char *v;
	atomic_bool stop;
	atomic_int round;
};

static void *race_reader(void *arg)
{
	struct race *r = arg;
	uint64_t seed = (uintptr_t)&seed;
	unsigned char c;

	while (!atomic_load(&r->stop)) {
		uint64_t p = test_rand(&seed) % RACE_PAGES;

		if (test_probe_read(r->v + p * PG + 17, &c) < 0)
			continue;
	}
	return NULL;
}

Test(dax, hole_fill_races_with_view_reads)
{
	const char *path;
	daxfs *fs = check_new_fs("race", 64 * TEST_MIB, 4096, 0, &path);
	struct race r = { 0 };
	pthread_t t[2];
	unsigned char buf[PG];
	int round, i, stale = 0;
	uint64_t seed = 5;
	double end = test_now() + 6;

	r.f = check_open(fs, "/r", O_RDWR | O_CREAT, 0644);
	r.v = check_map(r.f, 0, RACE_PAGES * PG, PROT_READ, 0);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, race_reader, &r);
	for (round = 0; round < 200 && test_now() < end && !stale; round++) {
		int order[RACE_PAGES];

		CHECK_OK(daxfs_ftruncate(r.f, 0));
		CHECK_OK(daxfs_ftruncate(r.f, RACE_PAGES * PG));
		for (i = 0; i < RACE_PAGES; i++)
			order[i] = i;
		for (i = RACE_PAGES - 1; i > 0; i--) {
			int j = test_rand(&seed) % (i + 1), x = order[i];

			order[i] = order[j];
			order[j] = x;
		}
		for (i = 0; i < RACE_PAGES; i++) {
			test_pattern(buf, PG, 100 + round, order[i] * PG);
			CHECK_EQ(daxfs_pwrite(r.f, buf, PG, order[i] * PG), PG);
		}
		for (i = 0; i < RACE_PAGES && !stale; i++) {
			if (test_pattern_mismatch(r.v + i * PG, PG, 100 + round,
						  i * PG) >= 0)
				stale = i + 1;
		}
	}
	atomic_store(&r.stop, true);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(stale, 0, "round %d: page %d of the view shows stale "
		     "bytes (zero page kept over a block a pwrite filled)",
		     round - 1, stale - 1);
	CHECK_OK(daxfs_unmap(r.v, RACE_PAGES * PG));
	CHECK_OK(daxfs_close(r.f));
	check_unmount_fsck(fs, path);
}

/* With every handle closed but a view alive, unmount is refused and says
 * that a view (not an open file) holds the mount. */
Test(dax, unmount_busy_names_views_not_files)
{
	const char *path;
	daxfs *fs = check_new_fs("busyv", 16 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = pattern_file(fs, "/f", 4, 3);
	unsigned char *v = check_map(f, 0, 4 * PG, PROT_READ, 0);

	CHECK_ERR_MSG(daxfs_unmount(fs), EBUSY, "file handle");
	CHECK_OK(daxfs_close(f));
	CHECK_ERR_MSG(daxfs_unmount(fs), EBUSY, "view");
	cr_assert(!strstr(daxfs_errormsg(), "file"), "\"%s\" blames files",
		  daxfs_errormsg());
	CHECK_OK(daxfs_unmap(v, 4 * PG));
	check_unmount_fsck(fs, path);
}

/* ---- stale bytes past EOF in the last block ------------------------- */

/*
 * An image whose files' last blocks hold old bytes past EOF, as other
 * tools and crashes leave it: /a../e are written whole (one block of
 * pattern seed 41) by libdaxfs, then debugfs "sif" cuts their i_size to
 * 100 bytes.  e2fsck finds nothing wrong with that.
 */
static daxfs *stale_tail_image(const char **path)
{
	static const char *const names[] = { "/a", "/b", "/c", "/d", "/e" };
	daxfs *fs = check_new_fs("stale", 32 * TEST_MIB, 4096, 0, path);
	char cmds[512] = "";

	for (size_t i = 0; i < 5; i++) {
		daxfs_file *f = pattern_file(fs, names[i], 1, 41);

		CHECK_OK(daxfs_close(f));
		snprintf(cmds + strlen(cmds), sizeof(cmds) - strlen(cmds),
			 "sif %s size 100\n", names[i]);
	}
	check_unmount_fsck(fs, *path);
	cr_assert_eq(test_debugfs_w(*path, cmds), 0);
	cr_assert_eq(test_e2fsck(*path, NULL), 0);
	return check_mount(*path, 0);
}

/* [0, 100) of f is pattern 41, [100, end) zeros (the gap). */
static void check_gap_zero(daxfs_file *f, size_t end, const char *how)
{
	unsigned char *got = malloc(end);
	long nz;

	cr_assert(got);
	memset(got, 0xee, end);
	CHECK_EQ(daxfs_pread(f, got, end, 0), end);
	cr_assert_eq(test_pattern_mismatch(got, 100, 41, 0), -1);
	nz = test_first_nonzero(got + 100, end - 100);
	cr_assert_eq(nz, -1, "%s: byte %ld of the gap reads 0x%02x, not 0 "
		     "(old bytes past EOF came back)", how, 100 + nz,
		     nz >= 0 ? got[100 + nz] : 0);
	free(got);
}

Test(dax, extending_a_file_never_shows_old_bytes_past_eof)
{
	const char *path;
	daxfs *fs = stale_tail_image(&path);
	daxfs_file *a = check_open(fs, "/a", O_RDWR, 0);
	daxfs_file *b = check_open(fs, "/b", O_RDWR, 0);
	daxfs_file *c = check_open(fs, "/c", O_RDWR, 0);
	daxfs_file *d = check_open(fs, "/d", O_RDWR, 0);
	daxfs_file *e = check_open(fs, "/e", O_RDWR, 0);
	unsigned char *v;
	long nz;

	/* pwrite past EOF inside the old last block. */
	CHECK_EQ(daxfs_pwrite(a, "x", 1, 2000), 1);
	check_gap_zero(a, 2000, "pwrite at 2000");
	/* pwrite past EOF in a later block. */
	CHECK_EQ(daxfs_pwrite(b, "x", 1, 3 * PG), 1);
	check_gap_zero(b, 3 * PG, "pwrite at 3 pages");
	/* ftruncate up. */
	CHECK_OK(daxfs_ftruncate(c, 2 * PG));
	check_gap_zero(c, 2 * PG, "ftruncate up");
	/* truncate down, then up: the cut tail is gone too. */
	CHECK_OK(daxfs_ftruncate(d, 50));
	CHECK_OK(daxfs_ftruncate(d, PG));
	{
		unsigned char got[PG];

		CHECK_EQ(daxfs_pread(d, got, PG, 0), PG);
		cr_assert_eq(test_pattern_mismatch(got, 50, 41, 0), -1);
		cr_assert_eq(test_first_nonzero(got + 50, PG - 50), -1,
			     "truncate down then up shows old bytes");
	}
	/* A view sees zeros in the gap too. */
	CHECK_EQ(daxfs_pwrite(e, "x", 1, PG + 7), 1);
	v = check_map(e, 0, 2 * PG, PROT_READ, 0);
	cr_assert_eq(test_pattern_mismatch(v, 100, 41, 0), -1);
	nz = test_first_nonzero(v + 100, PG + 7 - 100);
	cr_assert_eq(nz, -1, "the view shows old byte 0x%02x at %ld",
		     nz >= 0 ? v[100 + nz] : 0, 100 + nz);
	cr_assert_eq(v[PG + 7], 'x');
	CHECK_OK(daxfs_unmap(v, 2 * PG));
	check_close(a);
	check_close(b);
	check_close(c);
	check_close(d);
	check_close(e);
	check_unmount_fsck(fs, path);
	/* And debugfs, reading the media, agrees. */
	{
		size_t len = 0;
		char *got = test_debugfs_cat(path, "/b", &len);

		cr_assert(got);
		cr_assert_eq(len, 3 * PG + 1);
		cr_assert_eq(test_first_nonzero(got + 100, 3 * PG - 100), -1);
		free(got);
	}
}

/* ---- DAXFS_MAP_POPULATE reports the error it met --------------------- */

Test(dax, populate_reports_the_real_error)
{
	const char *path;
	daxfs *fs = check_new_fs("popcorrupt", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = pattern_file(fs, "/f", 4, 51);
	void *v = NULL;
	const char *m;

	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, path);
	/* Block 2 of /f points far past the end of the file system. */
	cr_assert_eq(test_debugfs_w(path, "sif /f block[2] 99999999\n"), 0);
	fs = check_mount(path, 0);
	f = check_open(fs, "/f", O_RDWR, 0);
	CHECK_ERR_MSG(daxfs_map(f, 0, 4 * PG, PROT_READ, DAXFS_MAP_POPULATE,
				&v), EUCLEAN, "map");
	m = daxfs_errormsg();
	cr_assert(strstr(m, "99999999") || strstr(m, "out of range"),
		  "the message \"%s\" does not say what is damaged", m);
	cr_assert(!strstr(m, "no space") && !strstr(m, "out of memory"),
		  "\"%s\"", m);
	/* The lazy view that failed is gone: unmount is not busy. */
	check_close(f);
	CHECK_OK(daxfs_unmount(fs));
}

Test(dax, populate_without_space_says_so)
{
	const char *path;
	daxfs *fs = check_new_fs("popfull", 8 * TEST_MIB, 4096, 0, &path);
	daxfs_file *fill = check_open(fs, "/fill", O_RDWR | O_CREAT, 0644);
	daxfs_file *f = check_open(fs, "/sparse", O_RDWR | O_CREAT, 0644);
	static unsigned char chunk[64 * 1024];
	off_t off = 0;
	ssize_t n;
	void *v = NULL;

	while ((n = daxfs_pwrite(fill, chunk, sizeof(chunk), off)) > 0)
		off += n;
	cr_assert_eq(n, -ENOSPC);
	CHECK_OK(daxfs_ftruncate(f, 4 * PG));
	CHECK_ERR_MSG(daxfs_map(f, 0, 4 * PG, PROT_READ | PROT_WRITE,
				DAXFS_MAP_POPULATE, &v), ENOSPC, "map");
	check_errormsg("map", "free blocks");
	check_close(f);
	check_close(fill);
	check_unmount_fsck(fs, path);
}

/* ---- fsync reports a write-protect that failed ----------------------- */

/*
 * Map one-page anonymous mappings, alternately readable and not (so no
 * two merge), until the process has no mapping left to make
 * (vm.max_map_count): *n of them in pages[], which holds max.  An
 * mprotect that splits a mapping then fails with ENOMEM.
 */
static void exhaust_mappings(void **pages, size_t max, size_t *n)
{
	for (*n = 0; *n < max; (*n)++) {
		void *p = mmap(NULL, PG, (*n & 1) ? PROT_READ : PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			break;
		pages[*n] = p;
	}
}

Test(dax, fsync_reports_pages_it_could_not_write_protect)
{
	const char *path;
	daxfs *fs = check_new_fs("fsyncerr", 64 * TEST_MIB, 4096, 0, &path);
	size_t len = 4 * TEST_MIB, max = 1 << 20, n = 0, i;
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	void **pages = mmap(NULL, max * sizeof(void *), PROT_READ |
			    PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile unsigned char *v;
	int r1, r2;

	cr_assert(pages != MAP_FAILED);
	check_pwrite_pattern(f, 71, 0, len);
	v = check_map(f, 0, len, PROT_READ | PROT_WRITE, 0);
	/* A load maps both 2 MiB units in one mapping; a store into each
	 * makes them writable (one mapping again) and dirty. */
	(void)v[0];
	v[0] = 'a';
	v[2 * TEST_MIB] = 'b';
	exhaust_mappings(pages, max, &n);
	/* fsync write-protects unit 0 alone: a split, which fails now. */
	r1 = daxfs_fsync(f);
	for (i = 0; i < n; i++)
		munmap(pages[i], PG);
	cr_assert(n > 0 && n < max, "%zu mappings", n);
	cr_assert(r1 < 0, "fsync with no mapping left to split = %d", r1);
	check_errormsg("fsync", "fsync");
	/* With mappings to spare again, the pages left dirty are done. */
	r2 = daxfs_fsync(f);
	CHECK_OK(r2);
	CHECK_OK(daxfs_unmap((void *)v, len));
	check_close(f);
	munmap(pages, max * sizeof(void *));
	check_unmount_fsck(fs, path);
	fs = check_mount(path, 0);
	f = check_open(fs, "/f", O_RDONLY, 0);
	{
		char c[2];

		CHECK_EQ(daxfs_pread(f, &c[0], 1, 0), 1);
		CHECK_EQ(daxfs_pread(f, &c[1], 1, 2 * TEST_MIB), 1);
		cr_assert(c[0] == 'a' && c[1] == 'b');
	}
	check_close(f);
	check_unmount_fsck(fs, path);
}

/* ---- -EFAULT from a view buffer carries its own message -------------- */

Test(dax, efault_message_is_fresh)
{
	const char *path;
	daxfs *fs = check_new_fs("efmsg", 32 * TEST_MIB, 4096, 0, &path);
	daxfs_file *a = check_open(fs, "/a", O_RDWR | O_CREAT, 0644);
	daxfs_file *b = pattern_file(fs, "/b", 1, 81);
	unsigned char *vb = check_map(b, 0, 2 * PG, PROT_READ, 0);

	/* An unrelated failure first... */
	CHECK_ERR_MSG(daxfs_mkdir(fs, "/x/y", 0755), ENOENT, "\"x\"");
	/* ...then pwrite from a view page past EOF. */
	CHECK_ERR_MSG(daxfs_pwrite(a, vb + PG, PG, 0), EFAULT, "pwrite");
	cr_assert(!strstr(daxfs_errormsg(), "\"x\""), "stale message \"%s\"",
		  daxfs_errormsg());
	CHECK_ERR_MSG(daxfs_mkdir(fs, "/x/y", 0755), ENOENT, "\"x\"");
	/* pread into a read-only view. */
	CHECK_ERR_MSG(daxfs_pread(b, vb, PG, 0), EFAULT, "pread");
	cr_assert(!strstr(daxfs_errormsg(), "\"x\""), "stale message \"%s\"",
		  daxfs_errormsg());
	CHECK_OK(daxfs_unmap(vb, 2 * PG));
	check_close(a);
	check_close(b);
	check_unmount_fsck(fs, path);
}
