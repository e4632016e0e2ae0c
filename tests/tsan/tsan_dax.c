/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tsan_dax.c -- ThreadSanitizer stress of DAX views (daxfs_map) and the
 * SIGSEGV fault path, a standalone program (Criterion cannot run under
 * TSan).
 *
 *   1. truncate: threads fault, load and store through two shared lazy
 *      views (read-write and read-only) of one file while another thread
 *      truncates it down and up and a second file reuses the freed blocks
 *      (SIGBUS caught per thread with sigsetjmp/siglongjmp); a populate
 *      thread maps whole populated views; a sync thread runs daxfs_persist
 *      and daxfs_fsync.  Each worker owns the pages p with p % NW == its
 *      id and page p only ever holds 0 or pv(p): every byte read must be
 *      one of those, and at the end views, pread and SIGBUS past the size
 *      agree;
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
/* 1. truncate against shared views                                    */
/* ------------------------------------------------------------------ */

#define NPAGES 64
#define NW 3
#define TRUNC_SECONDS 4.0
#define REUSE_BYTE 0xEE /* what the other file writes: never in F */

/* The only non-zero byte page p of F ever holds. */
static unsigned char pv(uint64_t p)
{
	return (unsigned char)(1 + (p * 7) % 0x7F);
}

struct tctx {
	daxfs_file *f, *g;
	unsigned char *rw, *ro; /* shared lazy views of F, NPAGES pages */
	atomic_bool stop;
	struct test_err err;
	atomic_long sigbus, ops, truncs, populates, syncs;
};

static struct tctx T;

static void check_byte(uint64_t p, unsigned char c, const char *how)
{
	if (c != 0 && c != pv(p))
		test_fail(&T.err, "page %llu: %s read %#x (only 0 or %#x "
			  "allowed)", (unsigned long long)p, how, c, pv(p));
}

static void *tworker_main(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	uint64_t seed = 99 + id;
	unsigned char buf[PG];

	while (!atomic_load(&T.stop) && !atomic_load(&T.err.count)) {
		uint64_t r = test_rand(&seed);
		uint64_t p = ((r % (NPAGES / NW)) * NW + id) % NPAGES;
		unsigned off = (r >> 16) % PG;
		unsigned char c;

		if (p % NW != id)
			continue;
		switch ((r >> 8) % 8) {
		case 0: /* load through the read-write view */
			if (test_probe_read(T.rw + p * PG + off, &c) == 0)
				check_byte(p, c, "rw view");
			break;
		case 1: /* load through the read-only view */
			if (test_probe_read(T.ro + p * PG + off, &c) == 0)
				check_byte(p, c, "ro view");
			break;
		case 2: case 3: /* fill the page through the view */
			test_probe_fill(T.rw + p * PG + (off & ~63u), pv(p),
					PG - (off & ~63u));
			break;
		case 4: /* copy a page out of the view and check it */
			if (test_probe_copy_out(buf, T.ro + p * PG, PG) == 0)
				for (unsigned i = 0; i < PG; i++)
					if (buf[i] && buf[i] != pv(p)) {
						check_byte(p, buf[i], "ro copy");
						break;
					}
			break;
		case 5: { /* pwrite the page */
			memset(buf, pv(p), PG);
			ssize_t n = daxfs_pwrite(T.f, buf, PG, p * PG);
			if (n != PG)
				test_fail(&T.err, "pwrite page %llu = %zd",
					  (unsigned long long)p, n);
			break;
		}
		default: { /* pread the page */
			ssize_t n = daxfs_pread(T.f, buf, PG, p * PG);

			for (ssize_t i = 0; i < n; i++)
				if (buf[i] && buf[i] != pv(p)) {
					check_byte(p, buf[i], "pread");
					break;
				}
			break;
		}
		}
		atomic_fetch_add(&T.ops, 1);
	}
	atomic_fetch_add(&T.sigbus, (long)test_probe_sigbus_count());
	return NULL;
}

static void *truncater_main(void *arg)
{
	uint64_t seed = 4242;
	unsigned char *junk = malloc(16 * PG);

	(void)arg;
	memset(junk, REUSE_BYTE, 16 * PG);
	while (!atomic_load(&T.stop) && !atomic_load(&T.err.count)) {
		uint64_t r = test_rand(&seed);
		uint64_t size = r % (NPAGES * PG + 1);
		int ret;

		if ((r >> 40) % 2)
			size &= ~(uint64_t)(PG - 1);
		ret = daxfs_ftruncate(T.f, size);
		if (ret)
			test_fail(&T.err, "ftruncate(%llu) = %s",
				  (unsigned long long)size, test_errname(ret));
		/* Another file takes the freed blocks for a moment. */
		if ((r >> 50) % 2) {
			daxfs_pwrite(T.g, junk, 16 * PG, 0);
			daxfs_ftruncate(T.g, 0);
		}
		usleep(200);
		ret = daxfs_ftruncate(T.f, NPAGES * PG);
		if (ret)
			test_fail(&T.err, "ftruncate(full) = %s",
				  test_errname(ret));
		usleep(500);
		atomic_fetch_add(&T.truncs, 1);
	}
	free(junk);
	return NULL;
}

/* Map whole populated views of F and check what they show. */
static void *populate_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&T.stop) && !atomic_load(&T.err.count)) {
		unsigned char *v = NULL, c;
		int r = daxfs_map(T.f, 0, NPAGES * PG, PROT_READ,
				  DAXFS_MAP_POPULATE, (void **)&v);

		if (r) {
			test_fail(&T.err, "map POPULATE = %s", test_errname(r));
			break;
		}
		for (uint64_t p = 0; p < NPAGES; p++)
			if (test_probe_read(v + p * PG + (p * 131) % PG,
					    &c) == 0)
				check_byte(p, c, "populated view");
		r = daxfs_unmap(v, NPAGES * PG);
		if (r)
			test_fail(&T.err, "unmap = %s", test_errname(r));
		atomic_fetch_add(&T.populates, 1);
		usleep(1000);
	}
	atomic_fetch_add(&T.sigbus, (long)test_probe_sigbus_count());
	return NULL;
}

/* daxfs_persist over the shared view and daxfs_fsync, concurrently. */
static void *sync_main(void *arg)
{
	uint64_t seed = 5;

	(void)arg;
	while (!atomic_load(&T.stop) && !atomic_load(&T.err.count)) {
		uint64_t r = test_rand(&seed), p = r % NPAGES;
		int ret;

		/* libdaxfs must not raise SIGBUS here, even for pages that
		 * a truncate removes meanwhile: one would end the program
		 * (status 99) naming the call. */
		if (r & 0x100) {
			test_probe_context("daxfs_persist of the shared view "
					   "(sync thread)");
			ret = daxfs_persist(T.rw + p * PG, (NPAGES - p) * PG);
		} else {
			test_probe_context("daxfs_fsync (sync thread)");
			ret = daxfs_fsync(T.f);
		}
		test_probe_context(NULL);
		if (ret)
			test_fail(&T.err, "%s = %s", r & 0x100 ? "persist" :
				  "fsync", test_errname(ret));
		atomic_fetch_add(&T.syncs, 1);
		usleep(500);
	}
	return NULL;
}

static void scenario_truncate(void)
{
	pthread_t w[NW], tr, pop, sy;
	uint64_t final = 37 * PG + 123;
	unsigned char *buf = malloc(NPAGES * PG), c;
	int bad = 0, r;

	T.f = open_file("/f", O_RDWR | O_CREAT);
	T.g = open_file("/g", O_RDWR | O_CREAT);
	if (!T.f || !T.g)
		return;
	for (uint64_t p = 0; p < NPAGES; p++) {
		memset(buf, pv(p), PG);
		daxfs_pwrite(T.f, buf, PG, p * PG);
	}
	r = daxfs_map(T.f, 0, NPAGES * PG, PROT_READ | PROT_WRITE, 0,
		      (void **)&T.rw);
	r = r ? r : daxfs_map(T.f, 0, NPAGES * PG, PROT_READ, 0,
			      (void **)&T.ro);
	if (!TU_CHECK(r == 0, "truncate: two lazy views of %d pages: %s",
		      NPAGES, test_errname(r)))
		return;
	for (unsigned i = 0; i < NW; i++)
		pthread_create(&w[i], NULL, tworker_main, (void *)(uintptr_t)i);
	pthread_create(&tr, NULL, truncater_main, NULL);
	pthread_create(&pop, NULL, populate_main, NULL);
	pthread_create(&sy, NULL, sync_main, NULL);
	double end = test_now() + TRUNC_SECONDS;
	while (test_now() < end && !atomic_load(&T.err.count))
		usleep(20000);
	atomic_store(&T.stop, true);
	for (unsigned i = 0; i < NW; i++)
		pthread_join(w[i], NULL);
	pthread_join(tr, NULL);
	pthread_join(pop, NULL);
	pthread_join(sy, NULL);
	TU_CHECK(atomic_load(&T.err.count) == 0, "truncate: %d workers, %ld "
		 "view/pread/pwrite operations, %ld SIGBUS caught, %ld "
		 "truncate cycles, %ld populated views, %ld persist/fsync: "
		 "every byte seen is 0 or the page's value%s%s", NW,
		 atomic_load(&T.ops), atomic_load(&T.sigbus),
		 atomic_load(&T.truncs), atomic_load(&T.populates),
		 atomic_load(&T.syncs), T.err.count ? "; first: " : "",
		 T.err.msg);
	TU_CHECK(atomic_load(&T.truncs) >= 5 && atomic_load(&T.ops) >= 100 &&
		 atomic_load(&T.populates) >= 2 && atomic_load(&T.syncs) >= 5,
		 "truncate: every thread made progress");

	/* A final size, then the checks (single-threaded). */
	r = daxfs_ftruncate(T.f, final);
	TU_CHECK(r == 0, "truncate: final ftruncate(%llu): %s",
		 (unsigned long long)final, test_errname(r));
	for (uint64_t p = 0; p < NPAGES; p++) {
		bool past = p * PG >= final;

		for (int i = 0; i < 2; i++)
			if (test_probe_read((i ? T.ro : T.rw) + p * PG + 5,
					    &c) !=
			    (past ? -1 : 0))
				bad++;
	}
	TU_CHECK(bad == 0, "truncate: loads raise SIGBUS exactly on the pages"
		 " past the size (%d wrong)", bad);
	bad = 0;
	ssize_t n = daxfs_pread(T.f, buf, NPAGES * PG, 0);
	for (uint64_t p = 0; n == (ssize_t)final && p * PG < final; p++) {
		size_t len = final - p * PG < PG ? final - p * PG : PG;

		if (memcmp(T.rw + p * PG, buf + p * PG, len) ||
		    memcmp(T.ro + p * PG, buf + p * PG, len))
			bad++;
		for (size_t k = 0; k < len; k++)
			if (buf[p * PG + k] && buf[p * PG + k] != pv(p)) {
				bad++;
				break;
			}
	}
	TU_CHECK(n == (ssize_t)final && bad == 0, "truncate: pread (%zd bytes)"
		 " and both views agree, every byte 0 or the page's value "
		 "(%d bad pages)", n, bad);
	r = daxfs_ftruncate(T.f, NPAGES * PG);
	n = daxfs_pread(T.f, buf, NPAGES * PG, 0);
	bad = 0;
	for (uint64_t i = final; i < NPAGES * PG; i++)
		bad += buf[i] != 0 || T.ro[i] != 0;
	TU_CHECK(r == 0 && n == NPAGES * PG && bad == 0, "truncate: "
		 "re-extended bytes read zero through pread and the view (%d "
		 "not)", bad);
	r = daxfs_unmap(T.rw, NPAGES * PG);
	r = r ? r : daxfs_unmap(T.ro, NPAGES * PG);
	TU_CHECK(r == 0, "truncate: unmap the views: %s", test_errname(r));
	daxfs_close(T.f);
	daxfs_close(T.g);
	free(buf);
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
