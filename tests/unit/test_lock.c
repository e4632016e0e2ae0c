/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_lock.c -- white-box tests of core/lock.{h,c}, the inode rwsem:
 * readers that meet turn the reader bias on, biased readers leave the
 * word alone, a writer waits for biased readers and readers wait for a
 * writer, slots run out and lines are handed back at thread exit, and
 * readers and writers exclude each other under contention.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <criterion/criterion.h>

#include "common.h"
#include "scenarios.h"
#include "core/lock.h"

TestSuite(lock, .timeout = 60);

static uint32_t word_readers(struct rwsem *s)
{
	return atomic_load(&s->state) & RWSEM_READERS;
}

/* ---- two readers that meet turn the bias on -------------------------- */

struct meet {
	struct rwsem *s;
	pthread_barrier_t held, release;
};

static void *meet_reader(void *arg)
{
	struct meet *mt = arg;

	down_read(mt->s);
	pthread_barrier_wait(&mt->held);
	pthread_barrier_wait(&mt->release);
	up_read(mt->s);
	return NULL;
}

/* Two threads hold s shared at once: afterwards s is biased. */
static void make_biased(struct rwsem *s)
{
	struct meet mt = { .s = s };
	pthread_t t;

	pthread_barrier_init(&mt.held, NULL, 2);
	pthread_barrier_init(&mt.release, NULL, 2);
	cr_assert_eq(pthread_create(&t, NULL, meet_reader, &mt), 0);
	down_read(s);
	pthread_barrier_wait(&mt.held);
	pthread_barrier_wait(&mt.release);
	up_read(s);
	pthread_join(t, NULL);
	pthread_barrier_destroy(&mt.held);
	pthread_barrier_destroy(&mt.release);
	cr_assert_eq(atomic_load(&s->state), 0, "word left held: 0x%x",
		     atomic_load(&s->state));
}

Test(lock, lone_reader_uses_the_word)
{
	struct rwsem s;

	rwsem_init(&s);
	down_read(&s);
	cr_expect_eq(word_readers(&s), 1);
	cr_expect_eq(rwsem_nbiased, 0);
	up_read(&s);
	cr_expect(!atomic_load(&s.rbias), "one reader alone biased the lock");
	cr_expect_eq(atomic_load(&s.state), 0);
}

Test(lock, readers_that_meet_turn_bias_on)
{
	struct rwsem s;

	rwsem_init(&s);
	make_biased(&s);
	cr_assert(atomic_load(&s.rbias), "two readers at once left no bias");

	/* Now a read leaves the word alone. */
	down_read(&s);
	cr_expect_eq(word_readers(&s), 0, "biased read took the word");
	cr_expect_eq(rwsem_nbiased, 1);
	up_read(&s);
	cr_expect_eq(rwsem_nbiased, 0);
	cr_expect_eq(atomic_load(&s.state), 0);
}

/* ---- a writer against a biased reader -------------------------------- */

struct writer {
	struct rwsem *s;
	atomic_int got;      /* 1 once it holds the lock */
	atomic_int release;  /* set by the test: let it go */
	pthread_t t;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	down_write(w->s);
	atomic_store(&w->got, 1);
	while (!atomic_load(&w->release))
		test_sleep_ms(1);
	up_write(w->s);
	return NULL;
}

Test(lock, writer_waits_for_biased_reader)
{
	struct rwsem s;
	struct writer w = { .s = &s };

	rwsem_init(&s);
	make_biased(&s);
	down_read(&s);
	cr_assert_eq(rwsem_nbiased, 1, "the read was not biased");
	cr_assert_eq(pthread_create(&w.t, NULL, writer_main, &w), 0);
	test_sleep_ms(100);
	cr_expect_eq(atomic_load(&w.got), 0,
		     "the writer got the lock while a biased reader held it");
	up_read(&s);
	for (int i = 0; i < 5000 && !atomic_load(&w.got); i++)
		test_sleep_ms(1);
	cr_expect_eq(atomic_load(&w.got), 1,
		     "the writer did not get the lock after the reader left");
	cr_expect(!atomic_load(&s.rbias), "the writer left the bias on");
	atomic_store(&w.release, 1);
	pthread_join(w.t, NULL);
	cr_expect_eq(atomic_load(&s.state), 0);
}

struct reader {
	struct rwsem *s;
	atomic_int got;
	pthread_t t;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	down_read(r->s);
	atomic_store(&r->got, 1);
	up_read(r->s);
	return NULL;
}

Test(lock, reader_waits_for_writer_of_biased_lock)
{
	struct rwsem s;
	struct reader r = { .s = &s };

	rwsem_init(&s);
	make_biased(&s);
	down_write(&s);
	cr_expect(!atomic_load(&s.rbias), "a writer holds a biased lock");
	cr_assert_eq(pthread_create(&r.t, NULL, reader_main, &r), 0);
	test_sleep_ms(100);
	cr_expect_eq(atomic_load(&r.got), 0,
		     "a reader got the lock while a writer held it");
	up_write(&s);
	pthread_join(r.t, NULL);
	cr_expect_eq(atomic_load(&r.got), 1);
	cr_expect_eq(atomic_load(&s.state), 0);
}

/* ---- slots and lines -------------------------------------------------- */

#define NLOCKS 12 /* more than a thread's slots */

Test(lock, full_slots_fall_back_to_the_word)
{
	struct rwsem s[NLOCKS];
	unsigned biased = 0, word = 0;
	int i;

	for (i = 0; i < NLOCKS; i++) {
		rwsem_init(&s[i]);
		make_biased(&s[i]);
	}
	for (i = 0; i < NLOCKS; i++) {
		unsigned before = rwsem_nbiased;

		down_read(&s[i]);
		if (rwsem_nbiased > before)
			biased++;
		else
			word += word_readers(&s[i]) == 1;
	}
	cr_expect_gt(biased, 0);
	cr_expect_gt(word, 0, "%u holds, none on the word: slots unbounded?",
		     NLOCKS);
	cr_expect_eq(biased + word, NLOCKS);
	for (i = NLOCKS; i-- > 0;)
		up_read(&s[i]);
	cr_expect_eq(rwsem_nbiased, 0);
	for (i = 0; i < NLOCKS; i++)
		cr_expect_eq(atomic_load(&s[i].state), 0, "lock %d: 0x%x", i,
			     atomic_load(&s[i].state));
}

static void *biased_read_once(void *arg)
{
	struct rwsem *s = arg;
	unsigned ok;

	down_read(s);
	ok = rwsem_nbiased;
	up_read(s);
	return (void *)(uintptr_t)ok;
}

/* Threads come and go: each gets a line of slots, handed back when it
 * exits, so far more threads than lines all read biased. */
Test(lock, exited_threads_give_their_lines_back)
{
	struct rwsem s;
	int i, nbiased = 0;

	rwsem_init(&s);
	make_biased(&s);
	for (i = 0; i < 1000; i++) {
		pthread_t t;
		void *ok;

		cr_assert_eq(pthread_create(&t, NULL, biased_read_once, &s), 0);
		pthread_join(t, &ok);
		nbiased += ok != NULL;
	}
	cr_expect_eq(nbiased, 1000, "only %d of 1000 threads read biased",
		     nbiased);
	cr_expect_eq(atomic_load(&s.state), 0);
}

/* ---- exclusion under contention --------------------------------------- */

/* The stress of tests/util/scen_lock.c, shared with tsan_lock. */
Test(lock, readers_and_writers_exclude_each_other)
{
	struct scen_lock_stats st;

	cr_assert_eq(scen_lock_stress(3, 1, 1.5, &st), 0);
	cr_expect_eq(atomic_load(&st.torn), 0,
		     "%ld of %ld reads saw a write half done",
		     atomic_load(&st.torn), atomic_load(&st.reads));
	cr_expect_gt(atomic_load(&st.writes), 0);
	cr_expect_gt(atomic_load(&st.biased_reads), 0,
		     "no read was biased in %ld", atomic_load(&st.reads));
	cr_expect_lt(atomic_load(&st.biased_reads), atomic_load(&st.reads),
		     "every read was biased: writers never revoked");
	cr_expect(st.balanced, "a write left half done or the lock held");
}
