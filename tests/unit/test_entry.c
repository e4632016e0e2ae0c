/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_entry.c -- white-box tests of dax/entry.c, the mapping index and its
 * entry locks (grab/put, sleeping and waking, trylock, 2 MiB entries,
 * deletion, dirty counting, dax_next_entry across chunks, mutual
 * exclusion under contention), and of 2 MiB (DAX_PMD) faults of the engine
 * on a file whose blocks are 2 MiB-aligned on the device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daxfs.h"
#include "dax/entry.h"
#include "dax/fault.h"
#include "ext2/ext2.h"
#include "check.h"
#include "probe.h"

TestSuite(entry, .timeout = 60);

static struct dax_mapping *new_mapping(void)
{
	struct dax_mapping *m = calloc(1, sizeof(*m));

	cr_assert(m);
	CHECK_OK(dax_mapping_init(m));
	return m;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- a thread that grabs one index ---------------------------------- */

struct grabber {
	struct dax_mapping *m;
	uint64_t index;
	bool pmd, trylock;
	uint64_t put_value;   /* stored by the thread when it got the lock */
	bool do_put;
	atomic_int state;     /* 0 started, 1 returned from grab, 2 done */
	int ret;
	uint64_t entry;
	pthread_t thr;
};

static void *grabber_main(void *arg)
{
	struct grabber *g = arg;

	g->ret = dax_grab_entry(g->m, g->index, g->pmd, g->trylock,
				  &g->entry);
	atomic_store(&g->state, 1);
	if (!g->ret && g->do_put)
		dax_put_entry(g->m, g->index, g->put_value);
	atomic_store(&g->state, 2);
	return NULL;
}

static void grabber_start(struct grabber *g, struct dax_mapping *m,
			  uint64_t index, bool pmd, bool trylock)
{
	memset(g, 0, sizeof(*g));
	g->m = m;
	g->index = index;
	g->pmd = pmd;
	g->trylock = trylock;
	g->do_put = true;
	cr_assert_eq(pthread_create(&g->thr, NULL, grabber_main, g), 0);
}

/* Wait up to ms for the grabber to reach state; true if it did. */
static bool grabber_wait(struct grabber *g, int state, long ms)
{
	double end = test_now() + ms / 1000.0;

	while (atomic_load(&g->state) < state) {
		if (test_now() > end)
			return false;
		sleep_ms(1);
	}
	return true;
}

/* ---- basic grab/put ------------------------------------------------- */

Test(entry, grab_put_one_index)
{
	struct dax_mapping *m = new_mapping();
	uint64_t e = 12345;

	cr_assert_eq(dax_peek_entry(m, 5), 0);
	CHECK_OK(dax_grab_entry(m, 5, false, false, &e));
	cr_assert_eq(e, DAX_EMPTY, "a new entry is a placeholder: %#llx",
		     (unsigned long long)e);
	cr_assert_eq(dax_peek_entry(m, 5), DAX_EMPTY | DAX_LOCKED);
	cr_assert_eq(atomic_load(&m->nr_entries), 1);
	dax_put_entry(m, 5, dax_make(100, 0));
	cr_assert_eq(dax_peek_entry(m, 5), dax_make(100, 0));
	cr_assert_eq(dax_block(dax_peek_entry(m, 5)), 100);
	cr_assert_eq(atomic_load(&m->nr_entries), 1);
	/* Neighbours are untouched. */
	cr_assert_eq(dax_peek_entry(m, 4), 0);
	cr_assert_eq(dax_peek_entry(m, 6), 0);

	CHECK_OK(dax_grab_entry(m, 5, false, false, &e));
	cr_assert_eq(e, dax_make(100, 0));
	cr_assert_eq(dax_peek_entry(m, 5), dax_make(100, 0) | DAX_LOCKED);
	/* put clears a DAX_LOCKED bit passed in by mistake */
	dax_put_entry(m, 5, dax_make(101, 0) | DAX_LOCKED);
	cr_assert_eq(dax_peek_entry(m, 5), dax_make(101, 0));
	cr_assert_eq(atomic_load(&m->nr_entries), 1);
	cr_assert_eq(atomic_load(&m->nr_dirty), 0);
	dax_mapping_destroy(m);
	free(m);
}

Test(entry, put_zero_deletes)
{
	struct dax_mapping *m = new_mapping();
	uint64_t e, idx;

	CHECK_OK(dax_grab_entry(m, 9, false, false, &e));
	dax_put_entry(m, 9, dax_make(7, 0));
	CHECK_OK(dax_grab_entry(m, 10, false, false, &e));
	dax_put_entry(m, 10, 0); /* a placeholder put back as nothing */
	cr_assert_eq(atomic_load(&m->nr_entries), 1);
	cr_assert_eq(dax_peek_entry(m, 10), 0);
	CHECK_OK(dax_grab_entry(m, 9, false, false, &e));
	dax_put_entry(m, 9, 0);
	cr_assert_eq(dax_peek_entry(m, 9), 0);
	cr_assert_eq(atomic_load(&m->nr_entries), 0);
	idx = 0;
	cr_assert_eq(dax_next_entry(m, &idx, UINT64_MAX), 0);
	/* The unit has no 4 KiB entries any more: a 2 MiB grab works. */
	CHECK_OK(dax_grab_entry(m, 0, true, false, &e));
	cr_assert_eq(e, DAX_EMPTY);
	dax_put_entry(m, 0, 0);
	cr_assert_eq(atomic_load(&m->nr_entries), 0);
	dax_mapping_destroy(m);
	free(m);
}

Test(entry, second_grab_sleeps_until_put)
{
	struct dax_mapping *m = new_mapping();
	struct grabber g;
	uint64_t e;

	CHECK_OK(dax_grab_entry(m, 7, false, false, &e));
	grabber_start(&g, m, 7, false, false);
	g.put_value = dax_make(55, 0);
	sleep_ms(200);
	cr_assert_eq(atomic_load(&g.state), 0,
		     "a grab of a locked entry returned (%d) without waiting",
		     g.ret);
	/* Another index is not blocked meanwhile. */
	CHECK_OK(dax_grab_entry(m, 8, false, true, &e));
	dax_put_entry(m, 8, 0);
	dax_put_entry(m, 7, dax_make(44, 0));
	cr_assert(grabber_wait(&g, 2, 5000),
		  "the waiter was not woken within 5 s of the put");
	pthread_join(g.thr, NULL);
	CHECK_OK(g.ret);
	cr_assert_eq(g.entry, dax_make(44, 0),
		     "the waiter must get the value stored by the put");
	cr_assert_eq(dax_peek_entry(m, 7), dax_make(55, 0));
	dax_mapping_destroy(m);
	free(m);
}

Test(entry, trylock_busy)
{
	struct dax_mapping *m = new_mapping();
	struct grabber g;
	uint64_t e = 0;

	CHECK_OK(dax_grab_entry(m, 3, false, false, &e));
	CHECK_EQ(dax_grab_entry(m, 3, false, true, &e), -EBUSY);
	grabber_start(&g, m, 3, false, true);
	cr_assert(grabber_wait(&g, 2, 5000));
	pthread_join(g.thr, NULL);
	CHECK_EQ(g.ret, -EBUSY);
	cr_assert_eq(dax_peek_entry(m, 3), DAX_EMPTY | DAX_LOCKED,
		     "a failed trylock must not change the entry");
	dax_put_entry(m, 3, dax_make(1, DAX_ZERO_PAGE));
	CHECK_OK(dax_grab_entry(m, 3, false, true, &e));
	cr_assert_eq(e, dax_make(1, DAX_ZERO_PAGE));
	dax_put_entry(m, 3, e);
	cr_assert_eq(atomic_load(&m->nr_entries), 1);
	dax_mapping_destroy(m);
	free(m);
}

Test(entry, pmd_grab_eexist_with_4k_entries)
{
	struct dax_mapping *m = new_mapping();
	uint64_t e = 77;

	/* A 4 KiB entry in unit 1 (pages 512..1023). */
	CHECK_OK(dax_grab_entry(m, 513, false, false, &e));
	dax_put_entry(m, 513, dax_make(9, 0));
	CHECK_EQ(dax_grab_entry(m, 512 + 7, true, false, &e), -EEXIST);
	CHECK_EQ(dax_grab_entry(m, 1023, true, true, &e), -EEXIST);
	/* Also while that 4 KiB entry is only a locked placeholder. */
	CHECK_OK(dax_grab_entry(m, 1024 + 100, false, false, &e));
	CHECK_EQ(dax_grab_entry(m, 1024, true, false, &e), -EEXIST);
	dax_put_entry(m, 1024 + 100, 0);
	/* Unit 0 has no entries: the 2 MiB grab gets a placeholder. */
	CHECK_OK(dax_grab_entry(m, 3, true, false, &e));
	cr_assert_eq(e, DAX_EMPTY);
	dax_put_entry(m, 0, dax_make(512, DAX_PMD));
	cr_assert_eq(dax_peek_entry(m, 0), dax_make(512, DAX_PMD));
	cr_assert_eq(dax_peek_entry(m, 511), dax_make(512, DAX_PMD),
		     "every page of the unit shows the PMD entry");
	cr_assert_eq(dax_peek_entry(m, 512), 0);
	cr_assert_eq(dax_peek_entry(m, 513), dax_make(9, 0));
	cr_assert_eq(atomic_load(&m->nr_entries), 2);
	dax_mapping_destroy(m);
	free(m);
}

Test(entry, grab_4k_inside_pmd_gets_pmd_locked)
{
	struct dax_mapping *m = new_mapping();
	struct grabber g;
	uint64_t e;

	CHECK_OK(dax_grab_entry(m, 0, true, false, &e));
	dax_put_entry(m, 0, dax_make(1024, DAX_PMD));

	CHECK_OK(dax_grab_entry(m, 10, false, false, &e));
	cr_assert(dax_is_pmd(e), "entry %#llx lacks DAX_PMD",
		  (unsigned long long)e);
	cr_assert_eq(dax_block(e), 1024);
	cr_assert_eq(dax_peek_entry(m, 300), dax_make(1024, DAX_PMD) |
		     DAX_LOCKED, "the whole unit is locked");
	CHECK_EQ(dax_grab_entry(m, 300, false, true, &e), -EBUSY);
	CHECK_EQ(dax_grab_entry(m, 0, true, true, &e), -EBUSY);
	/* Another unit is free. */
	CHECK_OK(dax_grab_entry(m, 600, false, true, &e));
	dax_put_entry(m, 600, 0);

	grabber_start(&g, m, 400, false, false);
	g.put_value = dax_make(1024, DAX_PMD | DAX_DIRTY);
	sleep_ms(200);
	cr_assert_eq(atomic_load(&g.state), 0,
		     "a 4 KiB grab elsewhere in a locked PMD unit did not wait");
	dax_put_entry(m, 10, dax_make(1024, DAX_PMD));
	cr_assert(grabber_wait(&g, 2, 5000),
		  "the waiter in the unit was not woken by the put");
	pthread_join(g.thr, NULL);
	CHECK_OK(g.ret);
	cr_assert_eq(g.entry, dax_make(1024, DAX_PMD));
	cr_assert_eq(dax_peek_entry(m, 0), dax_make(1024, DAX_PMD | DAX_DIRTY));
	cr_assert_eq(atomic_load(&m->nr_dirty), 1);

	/* Deleting through any index of the unit deletes the PMD entry. */
	CHECK_OK(dax_grab_entry(m, 77, false, false, &e));
	dax_put_entry(m, 77, 0);
	cr_assert_eq(dax_peek_entry(m, 0), 0);
	cr_assert_eq(atomic_load(&m->nr_entries), 0);
	cr_assert_eq(atomic_load(&m->nr_dirty), 0);
	dax_mapping_destroy(m);
	free(m);
}

/*
 * dax_fault_pmd holds a 2 MiB *placeholder* (DAX_EMPTY, no DAX_PMD yet)
 * while it installs; a 4 KiB fault elsewhere in the unit must wait for it
 * and be woken when it is put.
 */
Test(entry, grab_4k_waits_for_pmd_placeholder_and_wakes)
{
	struct dax_mapping *m = new_mapping();
	struct grabber g;
	uint64_t e;

	CHECK_OK(dax_grab_entry(m, 512, true, false, &e)); /* unit 1 */
	cr_assert_eq(e, DAX_EMPTY);
	grabber_start(&g, m, 512 + 5, false, false);
	g.put_value = dax_make(2048, DAX_PMD);
	sleep_ms(200);
	cr_assert_eq(atomic_load(&g.state), 0,
		     "a 4 KiB grab inside a locked PMD placeholder did not wait");
	dax_put_entry(m, 512, dax_make(2048, DAX_PMD));
	cr_assert(grabber_wait(&g, 1, 3000),
		  "lost wake-up: a 4 KiB grab of index 517 that slept on the "
		  "locked 2 MiB placeholder of its unit was not woken by "
		  "dax_put_entry(512) within 3 s (it waits on the wait slot "
		  "of its own index, the put wakes the slot of the unit)");
	pthread_join(g.thr, NULL);
	CHECK_OK(g.ret);
	cr_assert_eq(g.entry, dax_make(2048, DAX_PMD));
	dax_mapping_destroy(m);
	free(m);
}

Test(entry, nr_dirty_counts_dirty_entries)
{
	struct dax_mapping *m = new_mapping();
	uint64_t e, i;

	for (i = 0; i < 10; i++) {
		CHECK_OK(dax_grab_entry(m, i * 100, false, false, &e));
		dax_put_entry(m, i * 100, dax_make(i + 1, i % 2 ? DAX_DIRTY : 0));
	}
	cr_assert_eq(atomic_load(&m->nr_entries), 10);
	cr_assert_eq(atomic_load(&m->nr_dirty), 5);
	/* dirty -> dirty: unchanged; clean -> dirty: +1; dirty -> clean: -1 */
	CHECK_OK(dax_grab_entry(m, 100, false, false, &e));
	cr_assert(dax_is_dirty(e));
	dax_put_entry(m, 100, e);
	cr_assert_eq(atomic_load(&m->nr_dirty), 5);
	CHECK_OK(dax_grab_entry(m, 0, false, false, &e));
	dax_put_entry(m, 0, e | DAX_DIRTY);
	cr_assert_eq(atomic_load(&m->nr_dirty), 6);
	CHECK_OK(dax_grab_entry(m, 300, false, false, &e));
	dax_put_entry(m, 300, e & ~DAX_DIRTY);
	cr_assert_eq(atomic_load(&m->nr_dirty), 5);
	/* Deleting a dirty entry drops the count. */
	CHECK_OK(dax_grab_entry(m, 500, false, false, &e));
	dax_put_entry(m, 500, 0);
	cr_assert_eq(atomic_load(&m->nr_dirty), 4);
	cr_assert_eq(atomic_load(&m->nr_entries), 9);
	dax_mapping_destroy(m);
	free(m);
}

Test(entry, next_entry_across_chunks)
{
	struct dax_mapping *m = new_mapping();
	uint64_t want[] = { 3, 700, 5000, 512 * 40 + 1, 512 * 100 + 511 };
	uint64_t e, idx;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_OK(dax_grab_entry(m, want[i], false, false, &e));
		dax_put_entry(m, want[i], dax_make(want[i] + 1000, 0));
	}
	/* A PMD entry in unit 20. */
	CHECK_OK(dax_grab_entry(m, 512 * 20, true, false, &e));
	dax_put_entry(m, 512 * 20, dax_make(4096, DAX_PMD));

	idx = 0;
	cr_assert_eq(dax_next_entry(m, &idx, UINT64_MAX), dax_make(1003, 0));
	cr_assert_eq(idx, 3);
	idx = 4;
	cr_assert_eq(dax_next_entry(m, &idx, UINT64_MAX), dax_make(1700, 0));
	cr_assert_eq(idx, 700);
	idx = 701;
	cr_assert_eq(dax_next_entry(m, &idx, UINT64_MAX), dax_make(6000, 0));
	cr_assert_eq(idx, 5000);
	idx = 5001;
	cr_assert_eq(dax_next_entry(m, &idx, UINT64_MAX),
		     dax_make(4096, DAX_PMD));
	cr_assert_eq(idx, 512 * 20);
	idx = 512 * 20 + 33;
	cr_assert_eq(dax_next_entry(m, &idx, UINT64_MAX),
		     dax_make(4096, DAX_PMD));
	cr_assert_eq(idx, 512 * 20 + 33, "inside the PMD unit: the start index");
	idx = 512 * 21;
	cr_assert_eq(dax_next_entry(m, &idx, UINT64_MAX),
		     dax_make(512 * 40 + 1 + 1000, 0));
	cr_assert_eq(idx, 512 * 40 + 1);
	idx = 512 * 40 + 2;
	cr_assert_eq(dax_next_entry(m, &idx, UINT64_MAX),
		     dax_make(512 * 100 + 511 + 1000, 0));
	cr_assert_eq(idx, 512 * 100 + 511);
	/* end is exclusive */
	idx = 701;
	cr_assert_eq(dax_next_entry(m, &idx, 5000), 0);
	cr_assert_eq(idx, 701, "*index is left alone when nothing is found");
	idx = 701;
	cr_assert_eq(dax_next_entry(m, &idx, 5001), dax_make(6000, 0));
	idx = 512 * 100 + 512;
	cr_assert_eq(dax_next_entry(m, &idx, UINT64_MAX), 0);
	idx = 1ULL << 40; /* far beyond any chunk */
	cr_assert_eq(dax_next_entry(m, &idx, UINT64_MAX), 0);
	dax_mapping_destroy(m);
	free(m);
}

/* ---- mutual exclusion under contention ------------------------------ */

#define MX_INDICES 48
#define MX_THREADS 4

struct mx_shared {
	struct dax_mapping *m;
	atomic_int busy[MX_INDICES];
	long counter[MX_INDICES];   /* plain: only the lock holder touches it */
	atomic_long violations;
	atomic_long done_ops;
	long ops_per_thread;
	/* unit 50: 2 MiB and 4 KiB grabs mixed */
	atomic_int unit_excl, unit_shared;
	atomic_int unit_busy[DAX_PMD_PAGES];
};

struct mx_thread {
	struct mx_shared *s;
	uint64_t seed;
	long local[MX_INDICES];
};

static uint64_t mx_index(int k)
{
	/* spread over three chunks */
	return (uint64_t)(k % 3) * 512 * 7 + (uint64_t)k * 5;
}

static void *mx_main(void *arg)
{
	struct mx_thread *t = arg;
	struct mx_shared *s = t->s;
	long i;

	for (i = 0; i < s->ops_per_thread; i++) {
		uint64_t r = test_rand(&t->seed), e;
		int k = r % MX_INDICES;
		bool try = (r >> 20) % 4 == 0;
		int ret = dax_grab_entry(s->m, mx_index(k), false, try, &e);

		if (ret == -EBUSY && try)
			continue;
		if (ret) {
			atomic_fetch_add(&s->violations, 1000000);
			continue;
		}
		if (atomic_exchange(&s->busy[k], 1) != 0)
			atomic_fetch_add(&s->violations, 1);
		s->counter[k]++;
		t->local[k]++;
		if ((r >> 32) % 8 == 0)
			sched_yield();
		atomic_store(&s->busy[k], 0);
		dax_put_entry(s->m, mx_index(k),
				(r >> 40) % 3 ? dax_make(k + 1, 0) : 0);
		atomic_fetch_add(&s->done_ops, 1);
	}
	return NULL;
}

Test(entry, mutual_exclusion_random_indices)
{
	struct mx_shared *s = calloc(1, sizeof(*s));
	struct mx_thread th[MX_THREADS];
	pthread_t tid[MX_THREADS];
	long want[MX_INDICES] = { 0 };
	int i, k;

	cr_assert(s);
	s->m = new_mapping();
	s->ops_per_thread = 40000;
	for (i = 0; i < MX_THREADS; i++) {
		memset(&th[i], 0, sizeof(th[i]));
		th[i].s = s;
		th[i].seed = 1234 + i;
		cr_assert_eq(pthread_create(&tid[i], NULL, mx_main, &th[i]), 0);
	}
	for (i = 0; i < MX_THREADS; i++)
		pthread_join(tid[i], NULL);
	cr_assert_eq(atomic_load(&s->violations), 0,
		     "%ld overlapping holders of one entry lock",
		     atomic_load(&s->violations));
	for (i = 0; i < MX_THREADS; i++)
		for (k = 0; k < MX_INDICES; k++)
			want[k] += th[i].local[k];
	for (k = 0; k < MX_INDICES; k++)
		cr_assert_eq(s->counter[k], want[k],
			     "index %d: counter %ld, increments %ld (lost update)",
			     k, s->counter[k], want[k]);
	for (k = 0; k < MX_INDICES; k++)
		cr_assert(!dax_is_locked(dax_peek_entry(s->m, mx_index(k))));
	dax_mapping_destroy(s->m);
	free(s->m);
	free(s);
}

/* 2 MiB and 4 KiB grabs in one unit: a PMD holder excludes everyone in
 * the unit; 4 KiB holders exclude each other per index. */
static void *unit_main(void *arg)
{
	struct mx_thread *t = arg;
	struct mx_shared *s = t->s;
	const uint64_t base = 50 * DAX_PMD_PAGES;
	long i;

	for (i = 0; i < s->ops_per_thread; i++) {
		uint64_t r = test_rand(&t->seed), e;
		uint64_t off = r % 8; /* few indices: much contention */
		bool pmd = (r >> 16) % 3 == 0;
		int ret = dax_grab_entry(s->m, base + off, pmd, false, &e);

		if (ret == -EEXIST && pmd)
			continue;
		if (ret) {
			atomic_fetch_add(&s->violations, 1000000);
			continue;
		}
		if (dax_is_pmd(e) || pmd) {
			/* the whole unit */
			if (atomic_fetch_add(&s->unit_excl, 1) != 0 ||
			    atomic_load(&s->unit_shared) != 0)
				atomic_fetch_add(&s->violations, 1);
			if ((r >> 32) % 4 == 0)
				sched_yield();
			atomic_fetch_sub(&s->unit_excl, 1);
			dax_put_entry(s->m, base + off,
					(r >> 40) % 2 ? dax_make(8192, DAX_PMD)
						      : 0);
		} else {
			atomic_fetch_add(&s->unit_shared, 1);
			if (atomic_load(&s->unit_excl) != 0)
				atomic_fetch_add(&s->violations, 1);
			if (atomic_exchange(&s->unit_busy[off], 1) != 0)
				atomic_fetch_add(&s->violations, 1);
			if ((r >> 32) % 4 == 0)
				sched_yield();
			atomic_store(&s->unit_busy[off], 0);
			atomic_fetch_sub(&s->unit_shared, 1);
			/* delete mostly, so 2 MiB grabs can succeed */
			dax_put_entry(s->m, base + off,
					(r >> 40) % 4 ? 0 : dax_make(off + 1, 0));
		}
		atomic_fetch_add(&s->done_ops, 1);
	}
	return NULL;
}

static int unit_child(void *arg)
{
	struct mx_shared *s = arg;
	struct mx_thread th[MX_THREADS];
	pthread_t tid[MX_THREADS];
	struct test_watchdog *w;
	int i;

	w = test_watchdog_start("2 MiB / 4 KiB entry lock mix", 40, 5,
				(atomic_ulong *)&s->done_ops);
	for (i = 0; i < MX_THREADS; i++) {
		memset(&th[i], 0, sizeof(th[i]));
		th[i].s = s;
		th[i].seed = 99 + i;
		pthread_create(&tid[i], NULL, unit_main, &th[i]);
	}
	for (i = 0; i < MX_THREADS; i++)
		pthread_join(tid[i], NULL);
	test_watchdog_stop(w);
	if (atomic_load(&s->violations)) {
		fprintf(stderr, "unit mix: %ld violations\n",
			atomic_load(&s->violations));
		return TEST_BADDATA_EXIT;
	}
	return 0;
}

Test(entry, mutual_exclusion_pmd_and_4k_in_one_unit)
{
	struct mx_shared *s = calloc(1, sizeof(*s));
	int st;

	cr_assert(s);
	s->m = new_mapping();
	s->ops_per_thread = 20000;
	/* In a child: a lost wake-up must not hang the suite. */
	st = test_fork_run(unit_child, s, 50);
	cr_assert_eq(st, 0, "child exit %d (%d = watchdog: some grab never "
		     "returned, %d = overlapping holders)", st,
		     TEST_WATCHDOG_EXIT, TEST_BADDATA_EXIT);
	dax_mapping_destroy(s->m);
	free(s->m);
	free(s);
}

/* ---- 2 MiB faults: DAX_PMD entries --------------------------------- */

TestSuite(dax_pmd, .timeout = 60, .fini = test_cleanup);

#define PMD_FILE_PAGES (3 * DAX_PMD_PAGES)

static uint32_t bmap_of(struct ext2_inode_info *inode, uint32_t lblk,
			uint32_t max, uint32_t *count)
{
	uint32_t pblk = 0;
	bool is_new;

	CHECK_OK(ext2_bmap(inode, lblk, max, false, &pblk, count, &is_new));
	return pblk;
}

/* Write the pattern file "/big" (3 MiB... 6 MiB) so that file unit 1
 * (pages 512..1023) lies on 512 contiguous device blocks starting at a
 * multiple of 512; a padding file shifts the allocation until it does.
 * Returns the open file; *unit_blk the device block of page 512. */
static daxfs_file *aligned_file(daxfs *fs, uint64_t *unit_blk)
{
	size_t len = PMD_FILE_PAGES * DAX_PAGE_SIZE;
	unsigned char *buf = malloc(len);
	daxfs_file *pad = NULL, *f = NULL;
	uint64_t pad_blocks = 0;
	int attempt;

	cr_assert(buf);
	test_pattern(buf, len, 42, 0);
	CHECK_OK(daxfs_open(fs, "/pad", O_RDWR | O_CREAT, 0644, &pad));
	for (attempt = 0; attempt < 6; attempt++) {
		uint32_t count = 0, pblk;

		CHECK_OK(daxfs_open(fs, "/big", O_RDWR | O_CREAT | O_TRUNC,
				    0644, &f));
		CHECK_EQ(daxfs_pwrite(f, buf, len, 0), len);
		pblk = bmap_of(EXT2_I(f->inode), DAX_PMD_PAGES, DAX_PMD_PAGES, &count);
		if (count == DAX_PMD_PAGES && pblk % DAX_PMD_PAGES == 0) {
			*unit_blk = pblk;
			free(buf);
			CHECK_OK(daxfs_close(pad));
			return f;
		}
		/* Shift by what is missing to the next multiple of 512. */
		pad_blocks += (DAX_PMD_PAGES - pblk % DAX_PMD_PAGES) %
			      DAX_PMD_PAGES;
		if (pad_blocks == 0)
			pad_blocks = 1;
		CHECK_OK(daxfs_ftruncate(f, 0));
		CHECK_OK(daxfs_close(f));
		CHECK_OK(daxfs_ftruncate(pad, 0));
		{
			unsigned char *z = calloc(pad_blocks, DAX_PAGE_SIZE);

			cr_assert(z);
			CHECK_EQ(daxfs_pwrite(pad, z,
					      pad_blocks * DAX_PAGE_SIZE, 0),
				 pad_blocks * DAX_PAGE_SIZE);
			free(z);
		}
	}
	cr_assert_fail("the allocator never put file unit 1 on a 2 MiB-aligned "
		"contiguous run of device blocks (tried %d times)", (int)attempt);
	return NULL;
}

Test(dax_pmd, fault_installs_pmd_entry)
{
	const char *path;
	daxfs *fs = check_new_fs("pmd", 64 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f;
	struct dax_mapping *m;
	uint64_t blk, e;
	unsigned char *v, want[64];
	size_t len = PMD_FILE_PAGES * DAX_PAGE_SIZE;

	test_probe_install();
	f = aligned_file(fs, &blk);
	m = &EXT2_I(f->inode)->i_mapping;
	CHECK_OK(daxfs_map(f, 0, len, PROT_READ | PROT_WRITE, 0, (void **)&v));
	cr_assert_eq(((uintptr_t)v + DAX_PMD_SIZE) % DAX_PMD_SIZE, 0,
		     "a view at offset 0 starts 2 MiB-aligned");
	/* Touch page 512 + 17 (a read). */
	test_pattern(want, sizeof(want), 42, (512 + 17) * DAX_PAGE_SIZE + 100);
	cr_assert(!memcmp(v + (512 + 17) * DAX_PAGE_SIZE + 100, want,
			  sizeof(want)));
	e = dax_peek_entry(m, 512 + 17);
	cr_assert(dax_is_pmd(e), "entry of a page of an aligned unit is %#llx, "
		  "not DAX_PMD", (unsigned long long)e);
	cr_assert_eq(dax_block(e), blk);
	cr_assert_eq(dax_peek_entry(m, 512), e);
	cr_assert_eq(dax_peek_entry(m, 1023), e);
	cr_assert(!dax_is_locked(e));
	/* All 512 pages readable with no further entry. */
	test_pattern(want, sizeof(want), 42, 1023 * DAX_PAGE_SIZE);
	cr_assert(!memcmp(v + 1023 * DAX_PAGE_SIZE, want, sizeof(want)));
	/* A store: the PMD entry is dirty and the data is in the file. */
	memset(v + (512 + 3) * DAX_PAGE_SIZE, 0x5A, 16);
	e = dax_peek_entry(m, 512 + 3);
	cr_assert(dax_is_pmd(e) && dax_is_dirty(e), "entry %#llx",
		  (unsigned long long)e);
	{
		unsigned char got[16], exp[16];

		memset(exp, 0x5A, 16);
		CHECK_EQ(daxfs_pread(f, got, 16, (512 + 3) * DAX_PAGE_SIZE),
			 16);
		cr_assert(!memcmp(got, exp, 16));
	}
	CHECK_OK(daxfs_fsync(f));
	cr_assert(!dax_is_dirty(dax_peek_entry(m, 512)),
		  "fsync must clean the PMD entry");
	/* Unit 0: a PMD entry exactly when it is one aligned run. */
	{
		uint32_t count = 0, p0 = bmap_of(EXT2_I(f->inode), 0, DAX_PMD_PAGES,
						 &count);
		bool aligned = count == DAX_PMD_PAGES &&
			       p0 % DAX_PMD_PAGES == 0;

		test_pattern(want, sizeof(want), 42, 5 * DAX_PAGE_SIZE);
		cr_assert(!memcmp(v + 5 * DAX_PAGE_SIZE, want, sizeof(want)));
		e = dax_peek_entry(m, 5);
		cr_assert(e && dax_is_pmd(e) == aligned, "unit 0 (%s): entry "
			  "%#llx", aligned ? "aligned run" : "not one aligned "
			  "run", (unsigned long long)e);
		cr_assert_eq(dax_block(e), aligned ? p0 : p0 + 5);
	}
	CHECK_OK(daxfs_unmap(v, len));
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, path);
}

Test(dax_pmd, no_pmd_hook_and_4k_entries_fall_back)
{
	const char *path;
	daxfs *fs = check_new_fs("pmd2", 64 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f;
	struct dax_mapping *m;
	uint64_t blk, e;
	unsigned char *v, *small;
	size_t len = PMD_FILE_PAGES * DAX_PAGE_SIZE;

	test_probe_install();
	f = aligned_file(fs, &blk);
	m = &EXT2_I(f->inode)->i_mapping;
	/* A one-page view inside unit 1 faults first: 4 KiB entries. */
	CHECK_OK(daxfs_map(f, (512 + 9) * DAX_PAGE_SIZE, DAX_PAGE_SIZE,
			   PROT_READ, 0, (void **)&small));
	(void)*(volatile unsigned char *)small;
	e = dax_peek_entry(m, 512 + 9);
	cr_assert(!dax_is_pmd(e) && dax_block(e) == blk + 9, "entry %#llx",
		  (unsigned long long)e);
	CHECK_OK(daxfs_map(f, 0, len, PROT_READ, 0, (void **)&v));
	(void)*(volatile unsigned char *)(v + 600 * DAX_PAGE_SIZE);
	e = dax_peek_entry(m, 600);
	cr_assert(!dax_is_pmd(e), "a unit with 4 KiB entries must fall back");
	cr_assert_eq(dax_block(e), blk + 600 - 512);
	/* Unit 2 with the hook set: 4 KiB as well. */
	atomic_store(&dax_hooks.no_pmd, true);
	(void)*(volatile unsigned char *)(v + 1100 * DAX_PAGE_SIZE);
	atomic_store(&dax_hooks.no_pmd, false);
	e = dax_peek_entry(m, 1100);
	cr_assert(e && !dax_is_pmd(e), "entry %#llx", (unsigned long long)e);
	CHECK_OK(daxfs_unmap(v, len));
	CHECK_OK(daxfs_unmap(small, DAX_PAGE_SIZE));
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, path);
}

/*
 * Files written 1 MiB or more at a time get 2 MiB-aligned runs from
 * offset 0 on, whether the write allocates over a hole or appends, so a
 * view of them takes one 2 MiB entry per unit, unit 0 included; small
 * files stay packed.  debugfs checks where the blocks went.
 */
Test(dax_pmd, large_writes_get_aligned_units)
{
	const char *path, *names[] = {"/one", "/app"};
	daxfs *fs = check_new_fs("pmdal", 64 * TEST_MIB, 4096, 0, &path);
	size_t len = PMD_FILE_PAGES * DAX_PAGE_SIZE, i, u;
	unsigned char *buf = malloc(len);
	uint32_t a, b;
	daxfs_file *f[2];

	cr_assert(buf);
	test_probe_install();
	test_pattern(buf, len, 3, 0);
	/* Two small files first: packed one after the other. */
	check_create_pattern_file(fs, "/small1", 1, 8192);
	check_create_pattern_file(fs, "/small2", 2, 8192);
	/* One write over the whole file, and appends of 1 MiB. */
	for (i = 0; i < 2; i++)
		CHECK_OK(daxfs_open(fs, names[i], O_RDWR | O_CREAT, 0644,
				    &f[i]));
	CHECK_EQ(daxfs_pwrite(f[0], buf, len, 0), len);
	for (u = 0; u < len; u += TEST_MIB)
		CHECK_EQ(daxfs_pwrite(f[1], buf + u, TEST_MIB, u), TEST_MIB);
	CHECK_OK(daxfs_fsync(f[0]));
	CHECK_OK(daxfs_fsync(f[1]));
	a = check_first_block(path, "/small1");
	b = check_first_block(path, "/small2");
	cr_assert_eq(b, a + 2, "small files: /small1 at %u, /small2 at %u", a,
		     b);
	for (i = 0; i < 2; i++) {
		struct dax_mapping *m = &EXT2_I(f[i]->inode)->i_mapping;
		unsigned char *v, want[32];

		b = check_first_block(path, names[i]);
		cr_assert_eq(b % DAX_PMD_PAGES, 0, "%s starts at block %u, not "
			     "on 2 MiB", names[i], b);
		CHECK_OK(daxfs_map(f[i], 0, len, PROT_READ, 0, (void **)&v));
		for (u = 0; u < PMD_FILE_PAGES / DAX_PMD_PAGES; u++) {
			uint64_t pg = u * DAX_PMD_PAGES + 100, e;

			test_pattern(want, sizeof(want), 3, pg * DAX_PAGE_SIZE);
			cr_assert(!memcmp(v + pg * DAX_PAGE_SIZE, want,
					  sizeof(want)));
			e = dax_peek_entry(m, pg);
			cr_assert(dax_is_pmd(e), "%s unit %zu: entry %#llx is "
				  "not a 2 MiB one", names[i], u,
				  (unsigned long long)e);
			cr_assert_eq(dax_block(e) % DAX_PMD_PAGES, 0);
		}
		CHECK_OK(daxfs_unmap(v, len));
		CHECK_OK(daxfs_close(f[i]));
	}
	check_pattern_file(fs, "/small1", 1, 8192);
	free(buf);
	check_unmount_fsck(fs, path);
}

/*
 * With stores tracked for fsync (ADR), a store fault makes writable and
 * dirty more than its page: a store into a page not installed yet
 * installs the extent from there, writable to the end of the page's
 * aligned 16-page (64 KiB) granule; a store into a page installed
 * read-only makes its whole granule writable.  Other pages stay
 * read-only and clean.  fsync cleans them and makes them read-only
 * again, and every byte stored is in the file.
 */
Test(dax_pmd, store_fault_granule)
{
	const char *path;
	daxfs *fs = check_new_fs("gran", 64 * TEST_MIB, 4096, 0, &path);
	size_t len = 256 * DAX_PAGE_SIZE, pg;
	unsigned char *buf = calloc(1, len), *v, got[8];
	struct dax_mapping *m;
	struct dax_view *view;
	daxfs_file *f;

	cr_assert(buf);
	test_probe_install();
	atomic_store(&dax_hooks.no_pmd, true);
	CHECK_OK(daxfs_open(fs, "/g", O_RDWR | O_CREAT, 0644, &f));
	CHECK_EQ(daxfs_pwrite(f, buf, len, 0), len);
	m = &EXT2_I(f->inode)->i_mapping;
	CHECK_OK(daxfs_map(f, 0, len, PROT_READ | PROT_WRITE, 0, (void **)&v));
	view = dax_view_lookup(v, 1);
	cr_assert(view);
	dax_views_release();
	cr_assert(view->track_dirty, "a region on /dev/shm with "
		  "PMEM2_FORCE_GRANULARITY=CACHE_LINE tracks stores");
	/* A store into page 37, not installed: 37..255 get installed,
	 * 37..47 (to the end of granule 32..47) writable. */
	v[37 * DAX_PAGE_SIZE + 5] = 0xA1;
	cr_assert_eq(dax_view_state(view, 36), DAX_PG_NONE);
	/* Page 70 was installed read-only by that fault; a load keeps it
	 * so, and a store makes granule 64..79 writable. */
	cr_assert_eq(v[70 * DAX_PAGE_SIZE], 0);
	cr_assert_eq(dax_view_state(view, 70), DAX_PG_RO);
	v[70 * DAX_PAGE_SIZE + 9] = 0xB2;
	for (pg = 0; pg < 256; pg++) {
		bool in = (pg >= 37 && pg < 48) || (pg >= 64 && pg < 80);
		uint64_t e = dax_peek_entry(m, pg);

		if (in) {
			cr_assert_eq(dax_view_state(view, pg), DAX_PG_RW,
				     "page %zu of a stored granule is not "
				     "writable", pg);
			cr_assert(dax_is_dirty(e), "page %zu: entry %#llx not "
				  "dirty", pg, (unsigned long long)e);
		} else {
			cr_assert_neq(dax_view_state(view, pg), DAX_PG_RW,
				      "page %zu outside the granules is "
				      "writable", pg);
			cr_assert(!dax_is_dirty(e), "page %zu outside the "
				  "granules is dirty", pg);
		}
	}
	/* Stores into the rest of a granule take no fault: they land. */
	v[47 * DAX_PAGE_SIZE + 4095] = 0xC3;
	v[64 * DAX_PAGE_SIZE] = 0xD4;
	CHECK_OK(daxfs_fsync(f));
	cr_assert_eq(atomic_load(&m->nr_dirty), 0);
	cr_assert_eq(dax_view_state(view, 40), DAX_PG_RO,
		     "fsync write-protects what it flushed");
	CHECK_EQ(daxfs_pread(f, got, 1, 37 * DAX_PAGE_SIZE + 5), 1);
	cr_assert_eq(got[0], 0xA1);
	CHECK_EQ(daxfs_pread(f, got, 1, 70 * DAX_PAGE_SIZE + 9), 1);
	cr_assert_eq(got[0], 0xB2);
	CHECK_EQ(daxfs_pread(f, got, 1, 47 * DAX_PAGE_SIZE + 4095), 1);
	cr_assert_eq(got[0], 0xC3);
	CHECK_EQ(daxfs_pread(f, got, 1, 64 * DAX_PAGE_SIZE), 1);
	cr_assert_eq(got[0], 0xD4);
	atomic_store(&dax_hooks.no_pmd, false);
	CHECK_OK(daxfs_unmap(v, len));
	CHECK_OK(daxfs_close(f));
	free(buf);
	check_unmount_fsck(fs, path);
}

/* How many 2 MiB units from unit u on (at most max) lie on one
 * contiguous, 2 MiB-aligned run of device blocks. */
static uint64_t contiguous_units(struct ext2_inode_info *inode, uint64_t u,
				 uint64_t max)
{
	uint32_t count = 0, p0 = bmap_of(inode, u * DAX_PMD_PAGES,
					 max * DAX_PMD_PAGES, &count);

	if (p0 % DAX_PMD_PAGES)
		return 0;
	return count / DAX_PMD_PAGES;
}

/*
 * A load on a 2 MiB unit also installs the units after it that the same
 * extent maps and nothing installed yet (DAX_PMD_AROUND in all): the
 * later loads take no fault.  Fault-around stops at a unit with 4 KiB
 * entries, at the end of the view, and a store installs its unit only.
 */
Test(dax_pmd, load_fault_maps_units_around)
{
	const char *path;
	daxfs *fs = check_new_fs("around", 128 * TEST_MIB, 4096, 0, &path);
	size_t unit = DAX_PMD_SIZE, nunits = DAX_PMD_AROUND + 4;
	size_t len = nunits * unit, k;
	unsigned char *buf = malloc(TEST_MIB), *v, *small, want[32];
	struct dax_mapping *m;
	struct dax_view *view;
	uint64_t run, e, base;
	daxfs_file *f;

	cr_assert(buf);
	test_probe_install();
	CHECK_OK(daxfs_open(fs, "/around", O_RDWR | O_CREAT, 0644, &f));
	for (k = 0; k < len; k += TEST_MIB) {
		test_pattern(buf, TEST_MIB, 7, k);
		CHECK_EQ(daxfs_pwrite(f, buf, TEST_MIB, k), TEST_MIB);
	}
	m = &EXT2_I(f->inode)->i_mapping;
	run = contiguous_units(EXT2_I(f->inode), 0, nunits);
	cr_assert_eq(run, nunits, "the file's %zu units are not one aligned "
		     "run (%llu units are)", nunits, (unsigned long long)run);
	base = bmap_of(EXT2_I(f->inode), 0, 1, &(uint32_t){0});

	/* A one-page view faults a page of unit 10 first: 4 KiB entries. */
	CHECK_OK(daxfs_map(f, 10 * unit + 3 * DAX_PAGE_SIZE, DAX_PAGE_SIZE,
			   PROT_READ, 0, (void **)&small));
	(void)*(volatile unsigned char *)small;

	CHECK_OK(daxfs_map(f, 0, len, PROT_READ | PROT_WRITE, 0, (void **)&v));
	view = dax_view_lookup(v, 1);
	cr_assert(view);
	dax_views_release();
	/* One load in unit 2: units 2..9 installed, 10 not (4 KiB entries
	 * there), nothing before 2. */
	test_pattern(want, sizeof(want), 7, 2 * unit + 100);
	cr_assert(!memcmp(v + 2 * unit + 100, want, sizeof(want)));
	for (k = 0; k < 12; k++) {
		uint64_t pg = k * DAX_PMD_PAGES;
		bool in = k >= 2 && k < 10;

		e = dax_peek_entry(m, pg + 1);
		cr_assert_eq(dax_view_state(view, pg + DAX_PMD_PAGES - 1),
			     in ? DAX_PG_RO : DAX_PG_NONE, "unit %zu: state "
			     "%d", k, dax_view_state(view, pg + 511));
		if (in)
			cr_assert(dax_is_pmd(e) && !dax_is_dirty(e) &&
				  dax_block(e) == base + pg,
				  "unit %zu: entry %#llx", k,
				  (unsigned long long)e);
		else if (k != 10)
			cr_assert_eq(e, 0, "unit %zu: entry %#llx", k,
				     (unsigned long long)e);
	}
	/* The installed units read the file's data with no fault. */
	test_pattern(want, sizeof(want), 7, 9 * unit + unit - sizeof(want));
	cr_assert(!memcmp(v + 10 * unit - sizeof(want), want, sizeof(want)));
	/* A store into unit 11 installs unit 11 alone. */
	v[11 * unit + 8] = 0x77;
	cr_assert_eq(dax_view_state(view, 11 * DAX_PMD_PAGES), DAX_PG_RW);
	cr_assert_eq(dax_peek_entry(m, 12 * DAX_PMD_PAGES), 0,
		     "a store fault mapped the unit after it");
	/* A load in unit 13 stops at the end of the view (20 units). */
	(void)*(volatile unsigned char *)(v + 13 * unit);
	for (k = 13; k < nunits; k++)
		cr_assert_eq(dax_view_state(view, k * DAX_PMD_PAGES),
			     DAX_PG_RO, "unit %zu not installed", k);
	CHECK_OK(daxfs_fsync(f));
	{
		unsigned char got;

		CHECK_EQ(daxfs_pread(f, &got, 1, 11 * unit + 8), 1);
		cr_assert_eq(got, 0x77);
	}
	CHECK_OK(daxfs_unmap(v, len));
	CHECK_OK(daxfs_unmap(small, DAX_PAGE_SIZE));
	CHECK_OK(daxfs_close(f));
	free(buf);
	check_unmount_fsck(fs, path);
}

/*
 * A DAXFS_MAP_POPULATE view gets a PMD entry for unit 1; truncating to the
 * middle of that unit must leave the pages below the new size readable
 * (they are below EOF: no SIGBUS), and zero/SIGBUS past it.
 */
Test(dax_pmd, truncate_inside_pmd_unit_populate_view)
{
	const char *path;
	daxfs *fs = check_new_fs("pmd3", 64 * TEST_MIB, 4096, 0, &path);
	daxfs_file *f;
	struct dax_mapping *m;
	uint64_t blk, e, cut = (512 + 2) * DAX_PAGE_SIZE;
	unsigned char *v, want[32], c;
	/* The view maps units 1 and 2 (file pages 512..1535): populating
	 * starts with page 512, a 2 MiB fault. */
	size_t len = 2 * DAX_PMD_SIZE;

	test_probe_install();
	f = aligned_file(fs, &blk);
	m = &EXT2_I(f->inode)->i_mapping;
	CHECK_OK(daxfs_map(f, DAX_PMD_SIZE, len, PROT_READ, DAXFS_MAP_POPULATE,
			   (void **)&v));
	e = dax_peek_entry(m, 512);
	cr_assert(dax_is_pmd(e), "populate: unit 1 entry %#llx is not PMD",
		  (unsigned long long)e);
	cr_assert_eq(dax_block(e), blk);
	CHECK_OK(daxfs_ftruncate(f, cut));
	cr_assert_eq(test_probe_read(v + 2 * DAX_PAGE_SIZE, &c), -1,
		     "the page past the cut reads");
	test_pattern(want, sizeof(want), 42, 512 * DAX_PAGE_SIZE + 40);
	cr_assert_eq(test_probe_read(v + 40, &c), 0,
		     "populate view: file page 512 (below the new size %llu) "
		     "raises SIGBUS after a truncate inside its 2 MiB unit",
		     (unsigned long long)cut);
	cr_assert_eq(c, want[0]);
	cr_assert_eq(test_probe_read(v + DAX_PAGE_SIZE, &c), 0,
		     "populate view: file page 513 (below the new size) raises "
		     "SIGBUS");
	CHECK_OK(daxfs_unmap(v, len));
	CHECK_OK(daxfs_close(f));
	check_unmount_fsck(fs, path);
}
