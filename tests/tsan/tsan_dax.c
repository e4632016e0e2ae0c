/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tsan_dax.c -- ThreadSanitizer stress of DAX views (daxfs_map) and the
 * SIGSEGV fault path, a standalone program (Criterion cannot run under
 * TSan).
 *
 *   1. truncate: the scenario of tests/test_dax_truncate.c
 *      (scen_dax_truncate, tests/util/scen_dax.c): threads fault, load and
 *      store through two shared lazy views of one file while another
 *      thread truncates it down and up and a second file reuses the freed
 *      blocks; a populate thread maps whole populated views; a sync
 *      thread runs daxfs_persist and daxfs_fsync; every byte read is 0 or
 *      the page's value, and at the end views, pread and SIGBUS past the
 *      size agree;
 *   2. cross-copy: pwrite(A, from a lazy view of B) and pwrite(B, from a
 *      lazy view of A) concurrently, plus a copy within A and a thread
 *      truncating B's tail and refilling it from a view of A; every copy
 *      writes the same bytes each time, so the end result is known;
 * then unmount and "e2fsck -fn" must exit 0.  A watchdog thread ends the
 * program with status 3 if it does not finish in time; any TSan report
 * ends it too (TSAN_OPTIONS=halt_on_error=1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenarios.h"
#include "tsan_util.h"

#define PG TEST_PAGE

static daxfs *fs;

static daxfs_file *open_file(const char *path, int flags)
{
	daxfs_file *f = NULL;
	int r = daxfs_open(fs, path, flags, 0644, &f);

	TU_CHECK(r == 0, "open %s: %s", path, test_errname(r));
	return r ? NULL : f;
}

/* ------------------------------------------------------------------ */
/* 1. truncate against shared views (tests/util/scen_dax.c)            */
/* ------------------------------------------------------------------ */

#define TRUNC_SECONDS 4.0

static void scenario_truncate(void)
{
	struct scen_dax_stats st;
	struct test_err e = { 0 };
	int r = scen_dax_truncate(fs, TRUNC_SECONDS, &st, &e);

	TU_CHECK(r == 0, "truncate: %ld view/pread/pwrite operations, %ld "
		 "SIGBUS caught, %ld truncate cycles, %ld populated views, %ld "
		 "persist/fsync: every byte seen is 0 or the page's value, "
		 "SIGBUS exactly past the final size, re-extension zero (%d "
		 "failures; first: %s)", atomic_load(&st.ops),
		 atomic_load(&st.sigbus), atomic_load(&st.truncs),
		 atomic_load(&st.populates), atomic_load(&st.syncs),
		 atomic_load(&e.count), e.msg);
	TU_CHECK(atomic_load(&st.truncs) >= 5 && atomic_load(&st.ops) >= 100 &&
		 atomic_load(&st.populates) >= 2 && atomic_load(&st.syncs) >= 5,
		 "truncate: every thread made progress");
}

/* ------------------------------------------------------------------ */
/* 2. pwrite from views of another file, both ways                     */
/* ------------------------------------------------------------------ */

/*
 * Layout (regions of R pages):
 *   A: [0,R) pattern SEED_A (never written again) | [R,2R) copy of B[0,R)
 *      (t_ab) | [2R,3R) copy of A[0,R) (t_aa)
 *   B: [0,R) pattern SEED_B | [R,2R) copy of A[0,R) (t_ba) | [2R,3R) copy
 *      of A[0,R) (t_tail, which truncates it away and refills it)
 * so every copy writes the same bytes every time and sources never change.
 */
#define R 16
#define SEED_A 0xA
#define SEED_B 0xB
#define COPY_SECONDS 4.0

struct cctx {
	daxfs_file *a, *b;
	atomic_bool stop;
	struct test_err err;
	atomic_long copies, truncs, syncs;
};

static struct cctx C;

struct copier {
	const char *name;
	daxfs_file **dst, **src; /* pwrite(dst, from a view of src) */
	uint64_t dst_off;
	int truncate_first; /* truncate dst to dst_off first */
};

static void *copier_main(void *arg)
{
	const struct copier *cp = arg;
	unsigned iter = 0;

	while (!atomic_load(&C.stop) && !atomic_load(&C.err.count)) {
		unsigned char *v = NULL;
		/* A fresh lazy view every few copies, so that the copies
		 * keep faulting. */
		int r = daxfs_map(*cp->src, 0, R * PG, PROT_READ, 0,
				  (void **)&v);

		if (r) {
			test_fail(&C.err, "%s: map = %s", cp->name,
				  test_errname(r));
			break;
		}
		for (int k = 0; k < 4; k++, iter++) {
			if (cp->truncate_first) {
				r = daxfs_ftruncate(*cp->dst, cp->dst_off);
				if (r)
					test_fail(&C.err, "%s: ftruncate = %s",
						  cp->name, test_errname(r));
			}
			/* Halves in alternating order: faults land both at
			 * the start and in the middle of a write. */
			size_t h = (iter & 1) ? R / 2 * PG : 0;
			ssize_t n = daxfs_pwrite(*cp->dst, v + h, R / 2 * PG,
						 cp->dst_off + h);
			if (n == R / 2 * PG)
				n += daxfs_pwrite(*cp->dst, v + (R / 2 * PG - h),
						  R / 2 * PG,
						  cp->dst_off + R / 2 * PG - h);
			if (n != R * PG) {
				test_fail(&C.err,
					  "%s: pwrite from a view = %zd",
					  cp->name, n);
				break;
			}
			atomic_fetch_add(&C.copies, 1);
		}
		r = daxfs_unmap(v, R * PG);
		if (r)
			test_fail(&C.err, "%s: unmap = %s", cp->name,
				  test_errname(r));
	}
	return NULL;
}

static void *csync_main(void *arg)
{
	unsigned i = 0;

	(void)arg;
	while (!atomic_load(&C.stop) && !atomic_load(&C.err.count)) {
		int r = daxfs_fsync(i++ & 1 ? C.a : C.b);

		if (r)
			test_fail(&C.err, "fsync = %s", test_errname(r));
		atomic_fetch_add(&C.syncs, 1);
		usleep(300);
	}
	return NULL;
}

static int check_region(daxfs_file *f, uint64_t off, uint64_t seed)
{
	unsigned char *buf = malloc(R * PG);
	ssize_t n = daxfs_pread(f, buf, R * PG, off);
	long bad = n == R * PG ? test_pattern_mismatch(buf, R * PG, seed, 0)
			       : 0;

	free(buf);
	return n == R * PG && bad < 0;
}

static void scenario_copy(void)
{
	unsigned char *buf = malloc(R * PG);
	struct copier cps[] = {
		{ "A<-viewB", &C.a, &C.b, R * PG, 0 },
		{ "B<-viewA", &C.b, &C.a, R * PG, 0 },
		{ "A<-viewA", &C.a, &C.a, 2 * R * PG, 0 },
		{ "Btail<-viewA", &C.b, &C.a, 2 * R * PG, 1 },
	};
	enum { NC = sizeof(cps) / sizeof(cps[0]) };
	pthread_t th[NC], sy;
	struct stat st;
	int ok;

	C.a = open_file("/A", O_RDWR | O_CREAT);
	C.b = open_file("/B", O_RDWR | O_CREAT);
	if (!C.a || !C.b)
		return;
	test_pattern(buf, R * PG, SEED_A, 0);
	daxfs_pwrite(C.a, buf, R * PG, 0);
	test_pattern(buf, R * PG, SEED_B, 0);
	daxfs_pwrite(C.b, buf, R * PG, 0);
	free(buf);
	for (unsigned i = 0; i < NC; i++)
		pthread_create(&th[i], NULL, copier_main, &cps[i]);
	pthread_create(&sy, NULL, csync_main, NULL);
	double end = test_now() + COPY_SECONDS;
	while (test_now() < end && !atomic_load(&C.err.count))
		usleep(20000);
	atomic_store(&C.stop, true);
	for (unsigned i = 0; i < NC; i++)
		pthread_join(th[i], NULL);
	pthread_join(sy, NULL);
	TU_CHECK(atomic_load(&C.err.count) == 0, "copy: %ld pwrites from lazy"
		 " views (A<-B, B<-A, A<-A, B's tail truncated and refilled), "
		 "%ld fsyncs, no error%s%s", atomic_load(&C.copies),
		 atomic_load(&C.syncs), C.err.count ? "; first: " : "",
		 C.err.msg);
	TU_CHECK(atomic_load(&C.copies) >= 8 * NC, "copy: progress (%ld "
		 "copies)", atomic_load(&C.copies));
	ok = check_region(C.a, 0, SEED_A) && check_region(C.a, R * PG, SEED_B)
	     && check_region(C.a, 2 * R * PG, SEED_A);
	TU_CHECK(ok, "copy: A holds A | B | A");
	ok = check_region(C.b, 0, SEED_B) && check_region(C.b, R * PG, SEED_A)
	     && check_region(C.b, 2 * R * PG, SEED_A);
	TU_CHECK(ok, "copy: B holds B | A | A");
	daxfs_fstat(C.a, &st);
	ok = st.st_size == 3 * R * PG;
	daxfs_fstat(C.b, &st);
	TU_CHECK(ok && st.st_size == 3 * R * PG, "copy: both sizes are %llu",
		 3 * R * PG);
	daxfs_close(C.a);
	daxfs_close(C.b);
}

/* Usage: tsan_dax [truncate] [copy] (default: both). */
int main(int argc, char **argv)
{
	const char *path = test_image_path("dax");
	double t0 = test_now();

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Ours first: libdaxfs chains SIGBUS to the handler installed
	 * before it. */
	test_probe_install();
	TU_CHECK(test_watchdog_start("tsan_dax", 120, 0, NULL) != NULL,
		 "watchdog armed: 120 s");
	printf("tsan_dax: image %s\n", path);
	fs = tu_new_fs(path, 32 * TEST_MIB, 0);
	if (!fs)
		return tu_finish("tsan_dax");
	if (tu_wanted(argc, argv, "truncate")) {
		scenario_truncate();
		printf("  (truncate done at %.1f s)\n", test_now() - t0);
	}
	if (tu_wanted(argc, argv, "copy")) {
		scenario_copy();
		printf("  (copy done at %.1f s)\n", test_now() - t0);
	}
	tu_unmount_fsck(fs, path);
	printf("  (total %.1f s)\n", test_now() - t0);
	return tu_finish("tsan_dax");
}
