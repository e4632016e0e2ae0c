/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tsan_lock.c -- the inode rwsem (core/lock.{h,c}) under ThreadSanitizer.
 *
 * Readers and writers share plain (not atomic) variables that only the
 * lock protects.  Writers sleep now and then so the reader bias comes
 * back between them: reads go through thread slots and through the word,
 * and every hand-off (biased reader -> writer, writer -> biased reader)
 * must order the plain accesses, or TSan reports a race.  Readers also
 * check that they never see a write half done.
 *
 * Links the library's objects (the lock is internal); reports with a
 * minimal printf of its own.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "common.h"
#include "core/lock.h"

#define READERS 3
#define WRITERS 2

static struct rwsem lock;
static long x, y;                 /* protected by lock */
static long buf[64];              /* protected by lock */
static atomic_bool stop;
static atomic_long torn, reads, biased_reads, writes;

static void *reader_main(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		long a, b, sum = 0;

		down_read(&lock);
		if (rwsem_nbiased)
			atomic_fetch_add(&biased_reads, 1);
		a = x;
		for (int i = 0; i < 64; i++)
			sum += buf[i];
		b = y;
		up_read(&lock);
		if (a != b || sum != 64 * a)
			atomic_fetch_add(&torn, 1);
		atomic_fetch_add(&reads, 1);
	}
	return NULL;
}

static void *writer_main(void *arg)
{
	(void)arg;
	for (long i = 0; !atomic_load_explicit(&stop, memory_order_relaxed);
	     i++) {
		down_write(&lock);
		x++;
		for (int k = 0; k < 64; k++)
			buf[k]++;
		y++;
		up_write(&lock);
		atomic_fetch_add(&writes, 1);
		if (i % 16 == 0)
			test_sleep_us(2000); /* readers meet: the bias returns */
	}
	return NULL;
}

int main(void)
{
	pthread_t t[READERS + WRITERS];
	int i, fails = 0;

	rwsem_init(&lock);
	for (i = 0; i < READERS + WRITERS; i++)
		pthread_create(&t[i], NULL,
			       i < READERS ? reader_main : writer_main, NULL);
	test_sleep_us(3000000);
	atomic_store(&stop, true);
	for (i = 0; i < READERS + WRITERS; i++)
		pthread_join(t[i], NULL);

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		bool ok_ = (cond);                                             \
		printf("%s  ", ok_ ? "ok  " : "FAIL");                         \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
		fails += !ok_;                                                 \
	} while (0)
	CHECK(atomic_load(&torn) == 0, "%ld of %ld reads saw a write half done",
	      atomic_load(&torn), atomic_load(&reads));
	CHECK(atomic_load(&writes) > 0, "%ld writes", atomic_load(&writes));
	CHECK(atomic_load(&biased_reads) > 0 &&
	      atomic_load(&biased_reads) < atomic_load(&reads),
	      "%ld of %ld reads biased (some, not all)",
	      atomic_load(&biased_reads), atomic_load(&reads));
	CHECK(x == y && atomic_load(&lock.state) == 0,
	      "x == y == %ld, lock free", x);
	printf("tsan_lock: %s\n", fails ? "FAILED" : "passed");
	return fails != 0;
}
