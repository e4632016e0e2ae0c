/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scen_dax.c -- the truncate-against-views scenario of scenarios.h, run
 * by tests/test_dax_truncate.c and tests/tsan/tsan_dax.c.  No Criterion:
 * threads record their first failure in the scenario's struct test_err.
 * SIGBUS is caught with the probes of probe.h, whose handler the caller
 * installs before the first daxfs_map of the process.
 */
#define _GNU_SOURCE
#include "scenarios.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "probe.h"

#define PG TEST_PAGE
#define NPAGES SCEN_DAX_PAGES
#define NW 3           /* workers; worker i owns the pages p % NW == i */
#define REUSE_BYTE 0xEE /* what the other file writes: never in F */

struct tctx {
	daxfs_file *f, *g;
	unsigned char *rw, *ro; /* shared lazy views of F, NPAGES pages */
	atomic_bool stop;
	struct test_err *err;
	struct scen_dax_stats *st;
};

struct tworker {
	struct tctx *t;
	unsigned id;
};

unsigned char scen_dax_value(uint64_t p)
{
	return (unsigned char)(1 + (p * 7) % 0x7F);
}

/* A byte of page p seen by how must be 0 or the page's value. */
static void check_byte(struct tctx *t, uint64_t p, unsigned char c,
		       const char *how)
{
	if (c != 0 && c != scen_dax_value(p))
		test_fail(t->err, "page %llu: %s read %#x (only 0 or %#x "
			  "allowed)", (unsigned long long)p, how, c,
			  scen_dax_value(p));
}

/* The first byte of buf[0..n) that is neither 0 nor page p's value. */
static void check_page(struct tctx *t, uint64_t p, const unsigned char *buf,
		       ssize_t n, const char *how)
{
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] && buf[i] != scen_dax_value(p)) {
			check_byte(t, p, buf[i], how);
			return;
		}
}

/* One random operation of a worker on a page it owns. */
static void worker_op(struct tctx *t, uint64_t p, uint64_t r)
{
	unsigned off = (r >> 16) % PG;
	unsigned char buf[PG], c, v = scen_dax_value(p);
	ssize_t n;

	switch ((r >> 8) % 8) {
	case 0: case 1: /* load through a view */
		if (test_probe_read((r & 1 ? t->ro : t->rw) + p * PG + off,
				    &c) == 0)
			check_byte(t, p, c, "view");
		break;
	case 2: case 3: /* fill the page through the view */
		test_probe_fill(t->rw + p * PG + (off & ~63u), v,
				PG - (off & ~63u));
		break;
	case 4: /* copy a page out of the view and check it */
		if (test_probe_copy_out(buf, t->ro + p * PG, PG) == 0)
			check_page(t, p, buf, PG, "copy from the view");
		break;
	case 5: /* pwrite the page */
		memset(buf, v, PG);
		n = daxfs_pwrite(t->f, buf, PG, p * PG);
		if (n != PG)
			test_fail(t->err, "pwrite page %llu = %zd",
				  (unsigned long long)p, n);
		break;
	default: /* pread the page */
		n = daxfs_pread(t->f, buf, PG, p * PG);
		check_page(t, p, buf, n, "pread");
		break;
	}
}

/* Random operations on the worker's own pages until stopped. */
static void *tworker_main(void *arg)
{
	struct tworker *w = arg;
	struct tctx *t = w->t;
	uint64_t seed = 99 + w->id;

	while (!atomic_load(&t->stop) && !atomic_load(&t->err->count)) {
		uint64_t r = test_rand(&seed);

		worker_op(t, ((r % (NPAGES / NW)) * NW + w->id) % NPAGES, r);
		atomic_fetch_add(&t->st->ops, 1);
	}
	atomic_fetch_add(&t->st->sigbus, (long)test_probe_sigbus_count());
	return NULL;
}

/* Truncate F down to a random size and back, letting G take the freed
 * blocks for a moment now and then. */
static void *truncater_main(void *arg)
{
	struct tctx *t = arg;
	uint64_t seed = 4242;
	unsigned char *junk = malloc(16 * PG);
	int ret;

	memset(junk, REUSE_BYTE, 16 * PG);
	while (!atomic_load(&t->stop) && !atomic_load(&t->err->count)) {
		uint64_t r = test_rand(&seed);
		uint64_t size = r % (NPAGES * PG + 1);

		if ((r >> 40) % 2)
			size &= ~(uint64_t)(PG - 1);
		ret = daxfs_ftruncate(t->f, (off_t)size);
		if (ret)
			test_fail(t->err, "ftruncate(%llu) = %s",
				  (unsigned long long)size, test_errname(ret));
		if ((r >> 50) % 2) {
			daxfs_pwrite(t->g, junk, 16 * PG, 0);
			daxfs_ftruncate(t->g, 0);
		}
		usleep(200);
		ret = daxfs_ftruncate(t->f, NPAGES * PG);
		if (ret)
			test_fail(t->err, "ftruncate(full) = %s",
				  test_errname(ret));
		usleep(500);
		atomic_fetch_add(&t->st->truncs, 1);
	}
	free(junk);
	return NULL;
}

/* Map whole populated views of F and check what they show. */
static void *populate_main(void *arg)
{
	struct tctx *t = arg;

	while (!atomic_load(&t->stop) && !atomic_load(&t->err->count)) {
		unsigned char *v = NULL, c;
		int r = daxfs_map(t->f, 0, NPAGES * PG, PROT_READ,
				  DAXFS_MAP_POPULATE, (void **)&v);

		if (r) {
			test_fail(t->err, "map POPULATE = %s", test_errname(r));
			break;
		}
		for (uint64_t p = 0; p < NPAGES; p++)
			if (test_probe_read(v + p * PG + (p * 131) % PG,
					    &c) == 0)
				check_byte(t, p, c, "populated view");
		r = daxfs_unmap(v, NPAGES * PG);
		if (r)
			test_fail(t->err, "unmap = %s", test_errname(r));
		atomic_fetch_add(&t->st->populates, 1);
		usleep(1000);
	}
	atomic_fetch_add(&t->st->sigbus, (long)test_probe_sigbus_count());
	return NULL;
}

/* daxfs_persist over the shared view and daxfs_fsync, concurrently. */
static void *sync_main(void *arg)
{
	struct tctx *t = arg;
	uint64_t seed = 5;

	while (!atomic_load(&t->stop) && !atomic_load(&t->err->count)) {
		uint64_t r = test_rand(&seed), p = r % NPAGES;
		int ret;

		/* libdaxfs must not raise SIGBUS here, even for pages that
		 * a truncate removes meanwhile: one would end the process
		 * (status 99) naming the call. */
		if (r & 0x100) {
			test_probe_context("daxfs_persist of the shared view "
					   "(sync thread)");
			ret = daxfs_persist(t->rw + p * PG, (NPAGES - p) * PG);
		} else {
			test_probe_context("daxfs_fsync (sync thread)");
			ret = daxfs_fsync(t->f);
		}
		test_probe_context(NULL);
		if (ret)
			test_fail(t->err, "%s = %s", r & 0x100 ? "persist" :
				  "fsync", test_errname(ret));
		atomic_fetch_add(&t->st->syncs, 1);
		usleep(500);
	}
	return NULL;
}

/* Run the threads for seconds; failures stay in t->err. */
static void run_threads(struct tctx *t, double seconds)
{
	struct tworker w[NW];
	pthread_t th[NW + 3];
	bool up[NW + 3];
	double end;
	int i;

	for (i = 0; i < NW; i++) {
		w[i] = (struct tworker){ t, (unsigned)i };
		up[i] = !pthread_create(&th[i], NULL, tworker_main, &w[i]);
	}
	up[NW] = !pthread_create(&th[NW], NULL, truncater_main, t);
	up[NW + 1] = !pthread_create(&th[NW + 1], NULL, populate_main, t);
	up[NW + 2] = !pthread_create(&th[NW + 2], NULL, sync_main, t);
	end = test_now() + seconds;
	while (test_now() < end && !atomic_load(&t->err->count))
		usleep(20000);
	atomic_store(&t->stop, true);
	for (i = 0; i < NW + 3; i++) {
		if (up[i])
			pthread_join(th[i], NULL);
		else
			test_fail(t->err, "cannot start thread %d", i);
	}
}

/* At a final size: loads raise SIGBUS exactly past it; pread and both
 * views agree below it, every byte 0 or the page's value. */
static int check_final(struct tctx *t, uint64_t final, unsigned char *buf)
{
	unsigned char c;
	ssize_t n;

	for (uint64_t p = 0; p < NPAGES; p++)
		for (int i = 0; i < 2; i++)
			if (test_probe_read((i ? t->ro : t->rw) + p * PG + 5,
					    &c) != (p * PG >= final ? -1 : 0)) {
				test_fail(t->err, "view %d page %llu: SIGBUS "
					  "wrong for size %llu", i,
					  (unsigned long long)p,
					  (unsigned long long)final);
				return -1;
			}
	n = daxfs_pread(t->f, buf, NPAGES * PG, 0);
	if (n != (ssize_t)final) {
		test_fail(t->err, "pread = %zd, size %llu", n,
			  (unsigned long long)final);
		return -1;
	}
	for (uint64_t p = 0; p * PG < final; p++) {
		size_t len = final - p * PG < PG ? final - p * PG : PG;

		if (memcmp(t->rw + p * PG, buf + p * PG, len) ||
		    memcmp(t->ro + p * PG, buf + p * PG, len)) {
			test_fail(t->err, "page %llu: a view differs from "
				  "pread", (unsigned long long)p);
			return -1;
		}
		check_page(t, p, buf + p * PG, (ssize_t)len, "final pread");
	}
	return atomic_load(&t->err->count) ? -1 : 0;
}

/* Re-extended: everything past the old size reads zero, through pread
 * and through the view. */
static int check_reextended(struct tctx *t, uint64_t final,
			    unsigned char *buf)
{
	int r = daxfs_ftruncate(t->f, NPAGES * PG);
	ssize_t n = daxfs_pread(t->f, buf, NPAGES * PG, 0);
	long bad = -1;

	if (r || n != NPAGES * PG) {
		test_fail(t->err, "re-extend = %d, pread = %zd", r, n);
		return -1;
	}
	bad = test_first_nonzero(buf + final, NPAGES * PG - final);
	if (bad < 0)
		bad = test_first_nonzero(t->ro + final, NPAGES * PG - final);
	if (bad >= 0) {
		test_fail(t->err, "re-extended byte %llu is not zero",
			  (unsigned long long)(final + (uint64_t)bad));
		return -1;
	}
	return 0;
}

int scen_dax_truncate(daxfs *fs, double seconds, struct scen_dax_stats *st,
		      struct test_err *e)
{
	struct tctx t = { .err = e, .st = st };
	const uint64_t final = 37 * PG + 123;
	unsigned char *buf = malloc(NPAGES * PG);
	int r = daxfs_open(fs, "/f", O_RDWR | O_CREAT, 0644, &t.f);

	memset(st, 0, sizeof(*st));
	if (!r)
		r = daxfs_open(fs, "/g", O_RDWR | O_CREAT, 0644, &t.g);
	for (uint64_t p = 0; p < NPAGES && !r; p++) {
		memset(buf, scen_dax_value(p), PG);
		r = daxfs_pwrite(t.f, buf, PG, p * PG) == PG ? 0 : -1;
	}
	if (!r)
		r = daxfs_map(t.f, 0, NPAGES * PG, PROT_READ | PROT_WRITE, 0,
			      (void **)&t.rw);
	if (!r)
		r = daxfs_map(t.f, 0, NPAGES * PG, PROT_READ, 0,
			      (void **)&t.ro);
	if (r) {
		test_fail(e, "setting up /f, /g and two views = %d", r);
		free(buf);
		return -1;
	}
	run_threads(&t, seconds);
	r = daxfs_ftruncate(t.f, final);
	if (r)
		test_fail(e, "final ftruncate = %d", r);
	if (!atomic_load(&e->count) && !check_final(&t, final, buf))
		check_reextended(&t, final, buf);
	if (daxfs_unmap(t.rw, NPAGES * PG) || daxfs_unmap(t.ro, NPAGES * PG) ||
	    daxfs_close(t.f) || daxfs_close(t.g))
		test_fail(e, "unmap/close failed");
	free(buf);
	return atomic_load(&e->count) ? -1 : 0;
}
