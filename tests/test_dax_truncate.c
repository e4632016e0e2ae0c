/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dax_truncate.c -- truncate against views: threads read and write
 * random pages of shared lazy views while another thread truncates the
 * file down and up (SIGBUS caught per thread); afterwards pages past the
 * size raise SIGBUS, re-extended pages read zero, data below the size is
 * consistent, and no view ever reaches a block that truncate freed and
 * another file reused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#define NPAGES 128
#define REUSE_BYTE 0xEE /* what the other file writes: never in F */

TestSuite(dax_truncate, .init = test_probe_install, .fini = test_cleanup,
	  .timeout = 60);

/* The only non-zero byte page p of F ever holds. */
static unsigned char pv(uint64_t p)
{
	return (unsigned char)(1 + (p * 7) % 0x7F);
}

/* Fill F's pages [0, n) with their values through pwrite. */
static void fill_pv(daxfs_file *f, uint64_t n)
{
	unsigned char buf[PG];
	uint64_t p;

	for (p = 0; p < n; p++) {
		memset(buf, pv(p), PG);
		CHECK_EQ(daxfs_pwrite(f, buf, PG, p * PG), PG);
	}
}

struct tctx {
	daxfs *fs;
	daxfs_file *f, *g;
	unsigned char *rw, *ro;     /* shared lazy views of F, NPAGES pages */
	atomic_bool stop;
	atomic_long bad;
	atomic_long sigbus, ops, truncs;
	atomic_long bad_page, bad_byte;
};

static void note_bad(struct tctx *t, uint64_t p, unsigned char b)
{
	if (atomic_fetch_add(&t->bad, 1) == 0) {
		atomic_store(&t->bad_page, (long)p);
		atomic_store(&t->bad_byte, b);
	}
}

static void *worker_main(void *arg)
{
	struct tctx *t = arg;
	uint64_t seed = (uintptr_t)&seed ^ (uint64_t)pthread_self();
	unsigned char buf[PG];

	while (!atomic_load(&t->stop)) {
		uint64_t r = test_rand(&seed), p = r % NPAGES;
		unsigned op = (r >> 8) % 8;
		unsigned off = (r >> 16) % PG;
		unsigned char c;

		switch (op) {
		case 0: case 1: case 2: /* read a byte through a view */
			if (test_probe_read((op ? t->ro : t->rw) + p * PG + off,
					    &c) < 0)
				break;
			if (c != 0 && c != pv(p))
				note_bad(t, p, c);
			break;
		case 3: case 4: /* store one byte */
			test_probe_write(t->rw + p * PG + off, pv(p));
			break;
		case 5: /* fill the page */
			test_probe_fill(t->rw + p * PG, pv(p), PG);
			break;
		case 6: { /* copy a whole page out and check it */
			if (test_probe_copy_out(buf, t->ro + p * PG, PG) < 0)
				break;
			for (unsigned i = 0; i < PG; i++)
				if (buf[i] != 0 && buf[i] != pv(p)) {
					note_bad(t, p, buf[i]);
					break;
				}
			break;
		}
		default: { /* pread the page */
			ssize_t n = daxfs_pread(t->f, buf, PG, p * PG);

			for (ssize_t i = 0; i < n; i++)
				if (buf[i] != 0 && buf[i] != pv(p)) {
					note_bad(t, p, buf[i]);
					break;
				}
			break;
		}
		}
		atomic_fetch_add(&t->ops, 1);
	}
	atomic_fetch_add(&t->sigbus, (long)test_probe_sigbus_count());
	return NULL;
}

static void *truncater_main(void *arg)
{
	struct tctx *t = arg;
	uint64_t seed = 4242;
	unsigned char *junk = malloc(16 * PG);

	memset(junk, REUSE_BYTE, 16 * PG);
	while (!atomic_load(&t->stop)) {
		uint64_t r = test_rand(&seed);
		uint64_t size = (r % (NPAGES * PG + 1));

		if ((r >> 40) % 2)
			size &= ~(PG - 1);
		if (daxfs_ftruncate(t->f, size))
			note_bad(t, 1u << 30, 0);
		/* Another file takes the freed blocks for a moment. */
		if ((r >> 50) % 2) {
			daxfs_pwrite(t->g, junk, 16 * PG, 0);
			daxfs_ftruncate(t->g, 0);
		}
		if (daxfs_ftruncate(t->f, NPAGES * PG))
			note_bad(t, 1u << 30, 1);
		atomic_fetch_add(&t->truncs, 1);
	}
	free(junk);
	return NULL;
}

Test(dax_truncate, truncate_against_shared_views)
{
	const char *path;
	struct tctx t = { 0 };
	pthread_t w[3], tr;
	double end;
	uint64_t final = 37 * PG + 123, p;
	unsigned char c, *buf = malloc(NPAGES * PG);
	int i;

	cr_assert(buf);
	t.fs = check_new_fs("trunc", 16 * TEST_MIB, 4096, 0, &path);
	t.f = check_open(t.fs, "/f", O_RDWR | O_CREAT, 0644);
	t.g = check_open(t.fs, "/g", O_RDWR | O_CREAT, 0644);
	fill_pv(t.f, NPAGES);
	t.rw = check_map(t.f, 0, NPAGES * PG, PROT_READ | PROT_WRITE, 0);
	t.ro = check_map(t.f, 0, NPAGES * PG, PROT_READ, 0);
	for (i = 0; i < 3; i++)
		pthread_create(&w[i], NULL, worker_main, &t);
	pthread_create(&tr, NULL, truncater_main, &t);
	end = test_now() + 5;
	while (test_now() < end && !atomic_load(&t.bad))
		usleep(20000);
	atomic_store(&t.stop, true);
	for (i = 0; i < 3; i++)
		pthread_join(w[i], NULL);
	pthread_join(tr, NULL);
	fprintf(stderr, "truncate stress: %ld ops, %ld SIGBUS, %ld truncate "
		"cycles\n", atomic_load(&t.ops), atomic_load(&t.sigbus),
		atomic_load(&t.truncs));
	cr_assert_eq(atomic_load(&t.bad), 0, "%ld bad reads; first: page %ld "
		     "read %#lx (only 0 or %#x allowed)", atomic_load(&t.bad),
		     atomic_load(&t.bad_page), atomic_load(&t.bad_byte),
		     atomic_load(&t.bad_page) < NPAGES
			     ? pv(atomic_load(&t.bad_page)) : 0);
	cr_assert_gt(atomic_load(&t.truncs), 10, "the truncater made no "
		     "progress (%ld)", atomic_load(&t.truncs));
	cr_assert_gt(atomic_load(&t.sigbus), 0, "no SIGBUS seen in %ld ops",
		     atomic_load(&t.ops));

	/* A final size, then the checks. */
	CHECK_OK(daxfs_ftruncate(t.f, final));
	for (p = 0; p < NPAGES; p++) {
		bool past = p * PG >= final;

		for (i = 0; i < 2; i++) {
			unsigned char *v = i ? t.ro : t.rw;
			int r = test_probe_read(v + p * PG + 5, &c);

			cr_assert_eq(r, past ? -1 : 0, "view %d page %llu: read "
				     "%s SIGBUS (size %llu)", i,
				     (unsigned long long)p,
				     r ? "raised" : "did not raise",
				     (unsigned long long)final);
		}
	}
	CHECK_EQ(daxfs_pread(t.f, buf, NPAGES * PG, 0), final);
	for (p = 0; p * PG < final; p++) {
		size_t n = final - p * PG < PG ? final - p * PG : PG;

		cr_assert(!memcmp(t.rw + p * PG, buf + p * PG, n),
			  "page %llu: the view differs from pread",
			  (unsigned long long)p);
		cr_assert(!memcmp(t.ro + p * PG, buf + p * PG, n));
		for (size_t k = 0; k < n; k++)
			cr_assert(buf[p * PG + k] == 0 ||
				  buf[p * PG + k] == pv(p),
				  "page %llu byte %zu: %#x",
				  (unsigned long long)p, k, buf[p * PG + k]);
	}
	/* Re-extend: everything past the old size reads zero. */
	CHECK_OK(daxfs_ftruncate(t.f, NPAGES * PG));
	cr_assert_eq(test_first_nonzero(t.ro + final, NPAGES * PG - final), -1,
		     "re-extended bytes are not zero");
	CHECK_EQ(daxfs_pread(t.f, buf, NPAGES * PG, 0), NPAGES * PG);
	cr_assert_eq(test_first_nonzero(buf + final, NPAGES * PG - final), -1);
	CHECK_OK(daxfs_unmap(t.rw, NPAGES * PG));
	CHECK_OK(daxfs_unmap(t.ro, NPAGES * PG));
	CHECK_OK(daxfs_close(t.f));
	CHECK_OK(daxfs_close(t.g));
	free(buf);
	check_unmount_fsck(t.fs, path);
}

/*
 * Truncate to 0, let another file reuse the freed blocks with a pattern,
 * re-extend: the old views (lazy, populated, writable) read zeros.
 */
Test(dax_truncate, no_view_reaches_a_reused_block)
{
	const char *path;
	daxfs *fs = check_new_fs("reuse", 8 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f = check_open(fs, "/f", O_RDWR | O_CREAT, 0644);
	daxfs_file *g = check_open(fs, "/g", O_RDWR | O_CREAT, 0644);
	unsigned char *lazy, *pop, *rw, *junk;
	struct statvfs sv;
	uint64_t gbytes;
	long bad;

	fill_pv(f, 64);
	lazy = check_map(f, 0, 64 * PG, PROT_READ, 0);
	rw = check_map(f, 0, 64 * PG, PROT_READ | PROT_WRITE, 0);
	CHECK_OK(daxfs_map(f, 0, 64 * PG, PROT_READ, DAXFS_MAP_POPULATE,
			   (void **)&pop));
	cr_assert_eq(lazy[10 * PG], pv(10));
	rw[20 * PG] = pv(20);
	cr_assert_eq(pop[30 * PG], pv(30));
	CHECK_OK(daxfs_ftruncate(f, 0));
	/* g takes every free block: the 64 freed ones included. */
	CHECK_OK(daxfs_statfs(fs, &sv));
	gbytes = (uint64_t)(sv.f_bfree - 4) * PG;
	junk = malloc(gbytes);
	cr_assert(junk);
	memset(junk, REUSE_BYTE, gbytes);
	CHECK_EQ(daxfs_pwrite(g, junk, gbytes, 0), gbytes);
	CHECK_OK(daxfs_statfs(fs, &sv));
	cr_assert_lt(sv.f_bfree, 8, "the freed blocks must be reused");
	CHECK_OK(daxfs_ftruncate(f, 64 * PG));
	bad = test_first_nonzero(lazy, 64 * PG);
	cr_assert_eq(bad, -1, "lazy view reads %#x at %ld", lazy[bad], bad);
	bad = test_first_nonzero(rw, 64 * PG);
	cr_assert_eq(bad, -1, "writable view reads %#x at %ld", rw[bad], bad);
	bad = test_first_nonzero(pop, 64 * PG);
	cr_assert_eq(bad, -1, "populated view reads %#x at %ld", pop[bad], bad);
	/* g is intact. */
	memset(junk, 0, gbytes);
	CHECK_EQ(daxfs_pread(g, junk, gbytes, 0), gbytes);
	for (uint64_t i = 0; i < gbytes; i += 997)
		cr_assert_eq(junk[i], REUSE_BYTE);
	CHECK_OK(daxfs_unmap(lazy, 64 * PG));
	CHECK_OK(daxfs_unmap(rw, 64 * PG));
	CHECK_OK(daxfs_unmap(pop, 64 * PG));
	CHECK_OK(daxfs_close(f));
	CHECK_OK(daxfs_close(g));
	free(junk);
	check_unmount_fsck(fs, path);
}
