/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_crash.c -- the persistence recorder (core/region_rec.c) and the
 * crash-state harness on it (tests/util/crash.c, crash_model.c; see
 * crash.h and issue 11):
 *
 *   region_rec/ the recorder's model on a bare region: flush snapshots,
 *               drain as the crash point, NOFLUSH/NODRAIN, unflushed
 *               stores never persisted, flushes of a view's address;
 *   crash/      a seeded workload of every operation kind, every crash
 *               image of every fence checked with e2fsck, a forked
 *               daxfs_mount + walk, and the model; and a self-test that
 *               drops the flushes of one operation and must see it lost.
 *
 * The bounded run (crash/workload) asserts, at every crash state: no
 * acknowledged operation lost, daxfs_mount never crashes, hangs or
 * refuses, e2fsck -fn is clean after its recovery, and no operation but
 * an overwrite (bytes, not atomic) is half done.  It prints the
 * per-kind table.  The full run (tests/README.md) is the same test with
 * a longer workload:
 *   DAXFS_CRASH_OPS=100 DAXFS_CRASH_SEEDS=1,2,3 ./tests/unit_test_crash \
 *       --filter 'crash/workload'
 * Other knobs: DAXFS_CRASH_SINGLES, DAXFS_CRASH_DATA, DAXFS_CRASH_PAIRS
 * (caps per fence),
 * DAXFS_CRASH_VERBOSE=1 (the operations and every failing state), DAXFS_CRASH_KEEP=DIR
 * (images of lost/crashed states).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "core/region.h"
#include "core/region_rec.h"
#include "check.h"
#include "crash.h"

TestSuite(region_rec, .fini = test_cleanup, .timeout = 60);
TestSuite(crash, .fini = test_cleanup);

/* ---- the recorder --------------------------------------------------- */

/* What the recorder's callback saw at each fence. */
struct seen {
	int fences;
	size_t n[8];                       /* lines in flight */
	size_t off[8][4];                  /* their offsets */
	bool data[8][4];
	unsigned char first[8][4];         /* byte 0 of each snapshot */
	unsigned char shadow[8][4];        /* shadow bytes 100,200,300,400 */
};

/* region_rec_fence_fn: note the fence. */
static void note_fence(void *arg, const unsigned char *shadow, size_t size,
		       const struct region_rec_line *lines, size_t n)
{
	struct seen *s = arg;
	int f = s->fences++;
	size_t i;

	cr_assert_lt(f, 8);
	cr_assert_geq(size, 4096);
	s->n[f] = n;
	for (i = 0; i < n && i < 4; i++) {
		s->off[f][i] = lines[i].off;
		s->data[f][i] = lines[i].data;
		s->first[f][i] = lines[i].bytes[0];
	}
	for (i = 0; i < 4; i++)
		s->shadow[f][i] = shadow[100 * (i + 1)];
}

Test(region_rec, flush_drain_model)
{
	const char *p = test_image_path("rec");
	struct region *r = NULL;
	struct seen s = { 0 };
	unsigned char *b;

	cr_assert_eq(test_write_file(p, NULL, 0), 0);
	cr_assert_eq(truncate(p, 64 * 1024), 0);
	CHECK_OK(region_rec_start(note_fence, &s));
	CHECK_OK(region_open(p, false, &r));
	b = r->base;
	b[100] = 'A';
	r->flush(b + 100, 1);
	b[100] = 'a';           /* flushed again: the later snapshot counts */
	r->flush(b + 100, 1);
	b[200] = 'X';           /* never flushed: never persisted */
	cr_assert_eq(s.fences, 0, "a flush is no fence");
	r->drain();             /* fence 0: line 64 in flight, shadow old */
	b[300] = 'B';
	r->persist(b + 300, 1); /* fence 1 */
	r->memcpy(b + 384, "CD", 2, PMEM2_F_MEM_NODRAIN);
	r->memset(b + 448, 'E', 2, PMEM2_F_MEM_NOFLUSH | PMEM2_F_MEM_NODRAIN);
	r->drain();             /* fence 2: the memcpy's line only */
	region_close(&r);
	region_rec_stop();

	cr_assert_eq(s.fences, 3);
	cr_assert_eq(s.n[0], 1);
	cr_assert_eq(s.off[0][0], 64);
	cr_assert_eq(s.shadow[0][0], 0, "not persisted before the fence");
	cr_assert_eq(s.n[1], 1);
	cr_assert_eq(s.off[1][0], 256);
	cr_assert_eq(s.shadow[1][0], 'a', "the later snapshot persisted");
	cr_assert_eq(s.shadow[1][1], 0, "an unflushed store persisted");
	cr_assert_eq(s.n[2], 1);
	cr_assert_eq(s.off[2][0], 384);
	cr_assert(s.data[2][0], "a memcpy line is data");
	cr_assert_eq(s.first[2][0], 'C');
	cr_assert_eq(s.shadow[2][2], 'B');
	cr_assert_eq(region_rec_get_stats().recording, false);
}

Test(region_rec, view_address_is_translated)
{
	const char *p = test_image_path("recview");
	struct region *r = NULL;
	struct seen s = { 0 };
	unsigned char *v;

	cr_assert_eq(test_write_file(p, NULL, 0), 0);
	cr_assert_eq(truncate(p, 64 * 1024), 0);
	CHECK_OK(region_rec_start(note_fence, &s));
	CHECK_OK(region_open(p, false, &r));
	/* A second mapping of the file from 8 KiB on, as a view is. */
	v = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 8192);
	cr_assert_neq(v, MAP_FAILED);
	v[130] = 'V';
	r->flush(v + 130, 1);
	r->drain();
	munmap(v, 4096);
	cr_assert_eq(region_rec_get_stats().outside, 0);
	region_close(&r);
	region_rec_stop();
	cr_assert_eq(s.fences, 1);
	cr_assert_eq(s.n[0], 1);
	cr_assert_eq(s.off[0][0], 8192 + 128);
	cr_assert_eq(s.first[0][0], 0);
}

Test(region_rec, start_twice_is_ebusy)
{
	CHECK_OK(region_rec_start(NULL, NULL));
	CHECK_ERR_MSG(region_rec_start(NULL, NULL), EBUSY, "armed");
	region_rec_stop();
}

/* ---- the harness ---------------------------------------------------- */

/* An unsigned environment variable, or def. */
static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

/* The options of a run from the environment (see the top). */
static void env_opts(struct crash_opts *o)
{
	crash_opts_default(o);
	o->nops = (int)env_ul("DAXFS_CRASH_OPS", 34);
	o->max_singles = (unsigned)env_ul("DAXFS_CRASH_SINGLES", o->max_singles);
	o->max_data = (unsigned)env_ul("DAXFS_CRASH_DATA", o->max_data);
	o->max_pairs = (unsigned)env_ul("DAXFS_CRASH_PAIRS", o->max_pairs);
	o->verbose = env_ul("DAXFS_CRASH_VERBOSE", 0) != 0;
	o->keep_dir = getenv("DAXFS_CRASH_KEEP");
}

Test(crash, workload)
{
	const char *seeds = getenv("DAXFS_CRASH_SEEDS");
	struct crash_result *sum = calloc(1, sizeof(*sum));
	struct crash_result *res = calloc(1, sizeof(*res));
	char list[256], *save = NULL, *tok, title[128];
	struct crash_counts t;
	struct crash_opts o;
	int k;

	cr_assert(sum && res);
	env_opts(&o);
	snprintf(list, sizeof(list), "%s", seeds && *seeds ? seeds : "1");
	for (tok = strtok_r(list, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		o.seed = strtoull(tok, NULL, 0);
		cr_assert_eq(crash_run(&o, res), 0, "%s", res->msg);
		snprintf(title, sizeof(title), "crash states: seed %llu, %d "
			 "operations", (unsigned long long)o.seed, o.nops);
		crash_print(stdout, res, title);
		crash_sum(sum, res);
	}
	if (strchr(seeds && *seeds ? seeds : "1", ','))
		crash_print(stdout, sum, "crash states: all seeds");
	fflush(stdout);
	t = crash_total(sum);

	/* The harness saw what it was built to see. */
	for (k = 0; k < CK_NKINDS; k++)
		cr_expect_gt(sum->kind[k].ops, 0, "no %s in the workload",
			     crash_kind_name(k));
	cr_assert_gt(t.states, 0);
	cr_assert_eq(sum->overlaps, 0, "recorder calls overlapped");

	/* Every operation atomic (issue 11): after daxfs_mount's recovery
	 * (ext2/journal.c, orphan.c) e2fsck -fn is clean and nothing is
	 * half done, at every crash state; plain and lazy overwrites are
	 * exempt from the half count only (their bytes are not atomic: a
	 * torn line leaves some of each; atomic writes are). */
	cr_assert_eq(t.crashed, 0, "daxfs_mount/walk of a crash image died "
		     "or hung: %s", sum->first_crash);
	cr_assert_eq(t.lost, 0, "an acknowledged operation was lost: %s",
		     sum->first_lost);
	for (k = 0; k < CK_NKINDS; k++) {
		const struct crash_counts *c = &sum->kind[k];

		cr_expect_eq(c->fsck_fail, 0, "%s: e2fsck -fn fails after "
			     "recovery", crash_kind_name(k));
		cr_expect_eq(c->fsck_manual, 0, "%s: e2fsck -p gives up",
			     crash_kind_name(k));
		cr_expect_eq(c->mount_fail, 0, "%s: daxfs_mount refused",
			     crash_kind_name(k));
		if (k != CK_OVERWRITE && k != CK_LAZY)
			cr_expect_eq(c->half, 0, "%s: half done: %s",
				     crash_kind_name(k), sum->first_half);
	}
	cr_expect_eq(sum->unflushed, 0, "lines never flushed");
	free(sum);
	free(res);
}

Test(crash, dropped_flushes_are_lost)
{
	struct crash_result *res = calloc(1, sizeof(*res));
	struct crash_counts t;
	struct crash_opts o;

	/* The harness must be able to fail: drop every flush of operation
	 * 1 (the workload's first mkdir) and the checker must report it
	 * lost at some crash state after it returned. */
	cr_assert(res);
	crash_opts_default(&o);
	o.nops = 4;
	o.max_pairs = 16;
	o.fsck_p = false;
	o.drop_op = 1;
	cr_assert_eq(crash_run(&o, res), 0, "%s", res->msg);
	crash_print(stdout, res, "crash states: flushes of op 1 dropped");
	t = crash_total(res);
	cr_assert_gt(t.lost, 0, "the dropped mkdir was never seen lost");
	cr_assert(strstr(res->first_lost, "/d"), "%s", res->first_lost);
	cr_assert_eq(t.crashed, 0, "%s", res->first_crash);
	free(res);
}
