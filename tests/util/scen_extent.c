/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scen_extent.c -- the extent cache stress of scenarios.h, run by
 * tests/unit/test_extent_cache.c and tests/tsan/tsan_lock.c.
 * White-box: it uses libdaxfs's extent cache (ext2/extent_cache.c) on a
 * bare in-DRAM inode, so only programs that link the library's objects
 * call it.  No Criterion.
 *
 * The map is fixed: run i is logical blocks 10*i and 10*i+1 on physical
 * blocks 50000+1000*i and the next.  A writer fills the cache with the
 * runs in a scattered order (so it doubles from 4 slots to its largest
 * and then evicts), empties it now and then (as truncate does, under the
 * cache's lock) and starts again; readers look up scattered blocks with
 * no lock.  Every answer must be the map's: a hit on a block between runs,
 * a wrong block or a count past the run is a wrong answer.
 */
#define _GNU_SOURCE
#include "scenarios.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ext2/ext2.h"

#define RUNS 300u

struct estress {
	struct ext2_inode_info *inode;
	atomic_bool stop;
	struct scen_extent_stats *st;
};

/* Is (pblk, count) the map's answer for lblk (asked for up to 10)? */
static bool extent_right(uint32_t lblk, uint32_t pblk, uint32_t count)
{
	uint32_t i = lblk / 10, j = lblk % 10;

	return j < 2 && i < RUNS && pblk == 50000 + 1000 * i + j &&
	       count >= 1 && count <= 2 - j;
}

/* Look up scattered blocks until told to stop; count wrong answers. */
static void *estress_reader(void *arg)
{
	struct estress *s = arg;
	unsigned seed = (unsigned)(uintptr_t)pthread_self();

	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		uint32_t lblk = (uint32_t)(rand_r(&seed) % (RUNS * 10));
		uint32_t p = 0, n = 0;

		atomic_fetch_add(&s->st->lookups, 1);
		if (!ext2_extent_cache_lookup(s->inode, lblk, 10, &p, &n))
			continue;
		atomic_fetch_add(&s->st->hits, 1);
		if (!extent_right(lblk, p, n))
			atomic_fetch_add(&s->st->wrong, 1);
	}
	return NULL;
}

/* Fill the cache with the runs in a scattered order, empty it, again. */
static void *estress_writer(void *arg)
{
	struct estress *s = arg;

	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		for (uint32_t k = 0; k < RUNS; k++) {
			uint32_t i = (k * 7u) % RUNS;

			ext2_extent_cache_insert(s->inode, 10 * i,
						 50000 + 1000 * i, 2);
			atomic_fetch_add(&s->st->inserts, 1);
		}
		ext2_extent_cache_clear(s->inode);
		atomic_fetch_add(&s->st->clears, 1);
	}
	return NULL;
}

int scen_extent_stress(int readers, double seconds,
		       struct scen_extent_stats *st)
{
	struct estress s = { .st = st };
	pthread_t t[17];
	struct timespec ts = { (time_t)seconds,
			       (long)((seconds - (time_t)seconds) * 1e9) };
	int n = 0, ret = 0;

	memset(st, 0, sizeof(*st));
	if (readers > 16 || !(s.inode = calloc(1, sizeof(*s.inode))))
		return -1;
	if (pthread_create(&t[n], NULL, estress_writer, &s) == 0)
		n++;
	while (n > 0 && n <= readers &&
	       pthread_create(&t[n], NULL, estress_reader, &s) == 0)
		n++;
	ret = n == readers + 1 ? 0 : -1;
	nanosleep(&ts, NULL);
	atomic_store(&s.stop, true);
	while (n-- > 0)
		pthread_join(t[n], NULL);
	st->bytes = ext2_extent_cache_bytes(s.inode);
	ext2_extent_cache_free(s.inode);
	free(s.inode);
	return ret;
}
