/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * crash.h -- the crash-state harness (tests/util/crash.c, crash_model.c):
 * the oracle of issue 11's crash consistency, Chipmunk-style.
 *
 * A seeded single-threaded workload (mount, every namespace and file
 * operation kind, unmount) runs on a small region while the persistence
 * recorder of test builds (libdaxfs/core/region_rec.h) records every
 * flush and fence.  Afterwards, for every fence, the harness builds the
 * crash images a power cut there could leave:
 *
 *   none     the persisted state alone;
 *   all      with every line in flight;
 *   single   with each line in flight: every metadata line (at most
 *            max_singles per fence) and max_data data lines (stored by
 *            memcpy: a data copy's lines all look alike) evenly spaced;
 *   pair     with each pair of the lines the singles chose (Chipmunk's
 *            max_k = 2; at most max_pairs per fence, metadata first);
 *   torn     a chosen data line half persisted: its first 32 bytes, or
 *            its last 32 (8-byte granules: x86 tears no aligned 8
 *            bytes).
 *
 * What the caps leave out is counted per kind ("capped"); the full run
 * raises them.
 *
 * Lines whose snapshot equals what is persisted are left out (they change
 * nothing), and an image met again during the same operation is checked
 * once.  Each image is checked three ways: e2fsck -fn (and, when that
 * fails, e2fsck -fp on a copy: "RUN fsck MANUALLY" / exit 4 is counted);
 * daxfs_mount in a forked child with a time limit, which then walks the
 * tree and reads every file; and that walk against the model of the
 * workload: the operations that returned before the fence must all be
 * there, the one in flight either wholly done or not at all.
 *
 * Nothing here asserts: crash_run() returns counts and first examples.
 * Needs the test-build objects (daxfs_test_obj).
 */
#ifndef DAXFS_TEST_CRASH_H
#define DAXFS_TEST_CRASH_H 1

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "crash_model.h"

/* What a run does; crash_opts_default() fills the defaults. */
struct crash_opts {
	uint64_t seed;          /* the workload's */
	int nops;               /* operations between mount and unmount */
	unsigned max_singles;   /* metadata single-line states per fence */
	unsigned max_data;      /* data single-line states per fence */
	unsigned max_pairs;     /* pair states per fence */
	bool fsck_p;            /* e2fsck -fp on a copy of failing images */
	int drop_op;            /* self-test: drop this op's flushes; -1 */
	bool verbose;           /* print every failing state */
	const char *keep_dir;   /* keep images of lost/crashed states here */
};

/* The counts of one operation kind. */
struct crash_counts {
	unsigned long ops;        /* operations of the kind run */
	unsigned long fences;     /* fences while one of them ran */
	unsigned long states;     /* crash images checked */
	unsigned long capped;     /* single/pair/torn states not tried */
	unsigned long fsck_fail;  /* e2fsck -fn exit != 0 */
	unsigned long fsck_manual;/* e2fsck -fp exit 4: RUN fsck MANUALLY */
	unsigned long lost;       /* an acknowledged operation lost */
	unsigned long half;       /* the op in flight neither done nor not */
	unsigned long mount_fail; /* daxfs_mount failed cleanly */
	unsigned long crashed;    /* mount or walk died or hung */
	unsigned long as_old;     /* the op in flight not done */
	unsigned long as_new;     /* the op in flight done */
};

struct crash_result {
	struct crash_counts kind[CK_NKINDS];
	unsigned long unflushed;  /* lines stored but never flushed */
	unsigned long dups;       /* images met again, not re-checked */
	unsigned long overlaps;   /* recorder calls that overlapped */
	int error;                /* the harness itself failed (see msg) */
	char msg[512];            /* its message */
	char first_lost[512];     /* the first lost state, described */
	char first_crash[512];    /* the first crashed/hung state */
	char first_half[512];
};

/* Defaults: seed 1, 34 ops, per fence 64 metadata and 4 data singles
 * and 64 pairs, e2fsck -fp on failing images. */
void crash_opts_default(struct crash_opts *o);

/* Run the workload, record it, check every crash state; 0, or -1 with
 * res->msg when the harness could not run. */
int crash_run(const struct crash_opts *o, struct crash_result *res);

/* Add r's counts to sum (the first examples are kept). */
void crash_sum(struct crash_result *sum, const struct crash_result *r);

/* Print the per-kind table of res, headed by title. */
void crash_print(FILE *out, const struct crash_result *res,
		 const char *title);

/* The row's total over every kind. */
struct crash_counts crash_total(const struct crash_result *res);

#endif /* DAXFS_TEST_CRASH_H */
