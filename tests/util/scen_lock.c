/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * scen_lock.c -- the rwsem stress of scenarios.h, run by
 * tests/unit/test_lock.c and tests/tsan/tsan_lock.c.  White-box: it uses
 * libdaxfs's internal lock (core/lock.h), so only programs that link the
 * library's objects (daxfs_obj) call it.  No Criterion.
 */
#define _GNU_SOURCE
#include "scenarios.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "core/lock.h"

struct stress {
	struct rwsem lock;
	long x, y;          /* written together under the write lock */
	long buf[64];       /* each x under the write lock */
	atomic_bool stop;
	struct scen_lock_stats *st;
};

/* Read x, buf and y under the read lock: a write half done is torn. */
static void *stress_reader(void *arg)
{
	struct stress *s = arg;

	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		long a, b, sum = 0;

		down_read(&s->lock);
		if (rwsem_nbiased)
			atomic_fetch_add(&s->st->biased_reads, 1);
		a = *(volatile long *)&s->x;
		for (int i = 0; i < 64; i++)
			sum += *(volatile long *)&s->buf[i];
		b = *(volatile long *)&s->y;
		up_read(&s->lock);
		if (a != b || sum != 64 * a)
			atomic_fetch_add(&s->st->torn, 1);
		atomic_fetch_add(&s->st->reads, 1);
	}
	return NULL;
}

/* Advance x, buf and y under the write lock; pause now and then so that
 * readers meet and the bias returns. */
static void *stress_writer(void *arg)
{
	struct stress *s = arg;

	for (long i = 0; !atomic_load_explicit(&s->stop, memory_order_relaxed);
	     i++) {
		down_write(&s->lock);
		*(volatile long *)&s->x = s->x + 1;
		for (int k = 0; k < 64; k++)
			*(volatile long *)&s->buf[k] = s->buf[k] + 1;
		*(volatile long *)&s->y = s->y + 1;
		up_write(&s->lock);
		atomic_fetch_add(&s->st->writes, 1);
		if (i % 16 == 0)
			test_sleep_us(2000);
	}
	return NULL;
}

int scen_lock_stress(int readers, int writers, double seconds,
		     struct scen_lock_stats *st)
{
	static struct stress s;
	pthread_t t[16];
	int n = readers + writers, started = 0;

	if (n > 16)
		return -1;
	memset(&s, 0, sizeof(s));
	memset(st, 0, sizeof(*st));
	rwsem_init(&s.lock);
	s.st = st;
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[started], NULL, i < readers ?
				   stress_reader : stress_writer, &s) == 0)
			started++;
	test_sleep_us((long)(seconds * 1e6));
	atomic_store(&s.stop, true);
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	st->balanced = s.x == s.y && atomic_load(&s.lock.state) == 0;
	rwsem_destroy(&s.lock);
	return started == n ? 0 : -1;
}
