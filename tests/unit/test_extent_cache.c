/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_extent_cache.c -- white-box tests of ext2/extent_cache.c on a bare
 * in-DRAM inode (the cache uses nothing else of it): misses on an empty
 * cache, hits clamped to the caller's max and to the run's end, merging
 * of runs that continue on the media and not of runs that do not,
 * refusal of empty and overflowing runs, clearing, growth from 4 slots
 * to 128 (every run kept, the replaced tables counted until free),
 * eviction when the 128 slots are full (every answer still right),
 * free, and readers without a lock against a writer that doubles,
 * evicts and empties (scen_extent.c).  The expected values are written
 * out, not computed by the cache's own arithmetic.
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include <criterion/criterion.h>

#include "ext2/ext2.h"
#include "check.h"
#include "scenarios.h"

TestSuite(extent_cache, .timeout = 60);

static struct ext2_inode_info *bare_inode(void)
{
	struct ext2_inode_info *in = calloc(1, sizeof(*in));

	cr_assert(in);
	return in;
}

static void drop_inode(struct ext2_inode_info *in)
{
	ext2_extent_cache_free(in);
	cr_assert_null(atomic_load(&in->extents));
	free(in);
}

/* lookup(lblk, max) must hit with exactly (pblk, count). */
static void hit(struct ext2_inode_info *in, uint32_t lblk, uint32_t max,
		uint32_t pblk, uint32_t count)
{
	uint32_t p = 0, n = 0;

	cr_assert(ext2_extent_cache_lookup(in, lblk, max, &p, &n),
		  "lookup(%u, %u) missed", lblk, max);
	cr_assert_eq(p, pblk, "lookup(%u, %u): pblk %u, want %u", lblk, max,
		     p, pblk);
	cr_assert_eq(n, count, "lookup(%u, %u): count %u, want %u", lblk, max,
		     n, count);
}

/* lookup(lblk) must miss and leave the outputs alone. */
static void miss(struct ext2_inode_info *in, uint32_t lblk)
{
	uint32_t p = 777, n = 777;

	cr_assert(!ext2_extent_cache_lookup(in, lblk, 100, &p, &n),
		  "lookup(%u) hit: pblk %u count %u", lblk, p, n);
	cr_assert_eq(p, 777);
	cr_assert_eq(n, 777);
}

Test(extent_cache, empty_cache_misses)
{
	struct ext2_inode_info *in = bare_inode();

	miss(in, 0);
	miss(in, 12345);
	ext2_extent_cache_clear(in); /* no cache yet: nothing to do */
	miss(in, 0);
	drop_inode(in);
}

Test(extent_cache, hit_is_clamped_to_max_and_to_the_run)
{
	struct ext2_inode_info *in = bare_inode();

	ext2_extent_cache_insert(in, 10, 100, 5); /* 10..14 -> 100..104 */
	hit(in, 10, 100, 100, 5);
	hit(in, 12, 100, 102, 3);
	hit(in, 12, 2, 102, 2);
	hit(in, 14, 1, 104, 1);
	miss(in, 9);
	miss(in, 15);
	drop_inode(in);
}

Test(extent_cache, runs_continuing_on_media_merge)
{
	struct ext2_inode_info *in = bare_inode();

	ext2_extent_cache_insert(in, 10, 100, 5);  /* 10..14 -> 100..104 */
	ext2_extent_cache_insert(in, 15, 105, 5);  /* continues: merge */
	hit(in, 10, 100, 100, 10);
	ext2_extent_cache_insert(in, 20, 300, 5);  /* 20..24 -> 300: apart */
	hit(in, 18, 100, 108, 2);
	hit(in, 20, 100, 300, 5);
	/* Filling a gap between two runs that continue joins all three. */
	ext2_extent_cache_insert(in, 40, 500, 4);  /* 40..43 -> 500..503 */
	ext2_extent_cache_insert(in, 50, 510, 4);  /* 50..53 -> 510..513 */
	miss(in, 45);
	ext2_extent_cache_insert(in, 44, 504, 6);  /* 44..49 -> 504..509 */
	hit(in, 40, 100, 500, 14);
	hit(in, 47, 100, 507, 7);
	/* An overlapping insert agreeing with the map changes nothing. */
	ext2_extent_cache_insert(in, 12, 102, 2);
	hit(in, 10, 100, 100, 10);
	drop_inode(in);
}

Test(extent_cache, empty_and_overflowing_runs_are_refused)
{
	struct ext2_inode_info *in = bare_inode();

	ext2_extent_cache_insert(in, 5, 50, 0);
	miss(in, 5);
	/* lblk + len past the 32-bit block numbers. */
	ext2_extent_cache_insert(in, 0xfffffff0u, 1000, 0x20);
	miss(in, 0xfffffff0u);
	miss(in, 0xffffffffu);
	/* The last representable run is fine. */
	ext2_extent_cache_insert(in, 0xfffffff0u, 1000, 0x0f);
	hit(in, 0xfffffffeu, 100, 1014, 1);
	drop_inode(in);
}

Test(extent_cache, clear_forgets_every_run)
{
	struct ext2_inode_info *in = bare_inode();

	ext2_extent_cache_insert(in, 0, 10, 3);
	ext2_extent_cache_insert(in, 100, 900, 3);
	hit(in, 1, 10, 11, 2);
	ext2_extent_cache_clear(in);
	miss(in, 0);
	miss(in, 1);
	miss(in, 100);
	/* Usable again after the clear. */
	ext2_extent_cache_insert(in, 100, 2000, 2);
	hit(in, 101, 10, 2001, 1);
	drop_inode(in);
}

Test(extent_cache, full_cache_evicts_but_never_lies)
{
	struct ext2_inode_info *in = bare_inode();
	unsigned hits = 0;
	uint32_t i;

	/* 200 runs of 2 blocks that do not continue each other: run i is
	 * lblk 10*i -> pblk 100000 + 1000*i.  More than the 128 slots. */
	for (i = 0; i < 200; i++)
		ext2_extent_cache_insert(in, 10 * i, 100000 + 1000 * i, 2);
	/* The run inserted last is always there. */
	hit(in, 1990, 10, 299000, 2);
	for (i = 0; i < 200; i++) {
		uint32_t p, n;

		if (!ext2_extent_cache_lookup(in, 10 * i + 1, 10, &p, &n))
			continue;
		hits++;
		cr_assert_eq(p, 100000 + 1000 * i + 1, "run %u: pblk %u", i, p);
		cr_assert_eq(n, 1, "run %u: count %u", i, n);
		miss(in, 10 * i + 2); /* between runs: never a hit */
	}
	cr_assert(hits >= 1 && hits <= 128, "%u runs cached, 128 slots", hits);
	drop_inode(in);
}

Test(extent_cache, growth_keeps_every_run)
{
	struct ext2_inode_info *in = bare_inode();
	size_t bytes, last = 0;
	uint32_t i;

	/* A new cache is small: one run costs little DRAM. */
	ext2_extent_cache_insert(in, 0, 50000, 2);
	bytes = ext2_extent_cache_bytes(in);
	cr_assert(bytes > 0 && bytes < 256, "a cache of one run takes %zu "
		  "bytes", bytes);
	/* 128 runs that do not continue each other: the table doubles
	 * (4, 8, ..., 128 slots) and keeps every one. */
	for (i = 1; i < 128; i++) {
		ext2_extent_cache_insert(in, 10 * i, 50000 + 1000 * i, 2);
		bytes = ext2_extent_cache_bytes(in);
		cr_assert(bytes >= last, "bytes went down: %zu after %zu",
			  bytes, last);
		last = bytes;
	}
	for (i = 0; i < 128; i++) {
		hit(in, 10 * i, 10, 50000 + 1000 * i, 2);
		miss(in, 10 * i + 2);
	}
	/* The replaced tables stay until free, and are counted. */
	cr_assert(bytes > 128 * 12, "128 slots and the tables before them "
		  "counted as %zu bytes", bytes);
	/* A clear after the doubling empties the table in use. */
	ext2_extent_cache_clear(in);
	for (i = 0; i < 128; i++)
		miss(in, 10 * i);
	ext2_extent_cache_insert(in, 7, 70007, 1);
	hit(in, 7, 5, 70007, 1);
	drop_inode(in);
}

/* Readers without a lock against a writer that doubles, evicts and
 * empties (tests/util/scen_extent.c; tsan_lock runs it under TSan). */
Test(extent_cache, lockless_readers_against_growth_and_clears)
{
	struct scen_extent_stats st;

	cr_assert_eq(scen_extent_stress(2, 1.0, &st), 0);
	cr_expect_eq(atomic_load(&st.wrong), 0, "%ld of %ld hits were wrong",
		     atomic_load(&st.wrong), atomic_load(&st.hits));
	cr_expect_gt(atomic_load(&st.hits), 0);
	cr_expect_gt(atomic_load(&st.clears), 0);
}
