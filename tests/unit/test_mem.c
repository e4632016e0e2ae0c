/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mem.c -- white-box tests of core/mem.c: the private jemalloc runs
 * with the decay settings compiled into the library (no environment
 * variable), and mem_purge returns freed memory to the system (RssAnon
 * drops).  Sanitizer builds use the libc allocator: skipped there.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "core/mem.h"
#include "check.h"

TestSuite(mem, .fini = test_cleanup, .timeout = 60);

#ifndef DAXFS_LIBC_ALLOC
/* jemalloc's value of the ssize_t option name. */
static ssize_t opt_of(const char *name)
{
	ssize_t v = -2;
	size_t len = sizeof(v);

	cr_assert_eq(daxfs_je_mallctl(name, &v, &len, NULL, 0), 0, "%s", name);
	return v;
}

/* The process's RssAnon, KiB (test_rss_anon). */
static unsigned long long rss_anon_kib(void)
{
	uint64_t b = test_rss_anon();

	cr_assert_gt(b, 0, "no RssAnon in /proc/self/status");
	return b >> 10;
}
#endif

Test(mem, decay_settings_are_compiled_in)
{
#ifdef DAXFS_LIBC_ALLOC
	cr_skip_test("sanitizer build: the libc allocator, not jemalloc");
#else
	mem_free(mem_alloc(16)); /* jemalloc reads its settings at its first call */
	cr_assert_eq(opt_of("opt.dirty_decay_ms"), 1000);
	cr_assert_eq(opt_of("opt.muzzy_decay_ms"), 0);
#endif
}

Test(mem, purge_gives_freed_memory_back)
{
#ifdef DAXFS_LIBC_ALLOC
	cr_skip_test("sanitizer build: the libc allocator, not jemalloc");
#else
	enum { N = 200000 };
	void **p = calloc(N, sizeof(*p));
	unsigned long long before, full, after;
	unsigned i;

	cr_assert(p);
	before = rss_anon_kib();
	for (i = 0; i < N; i++)
		cr_assert(p[i] = mem_zalloc(400)); /* about 80 MB */
	full = rss_anon_kib();
	for (i = 0; i < N; i++)
		mem_free(p[i]);
	mem_purge();
	after = rss_anon_kib();
	free(p);
	cr_log_info("RssAnon %llu KiB, with 200000 x 400 bytes %llu, after "
		    "purge %llu", before, full, after);
	cr_assert_geq(full, before + 60 * 1024, "the allocations are resident");
	cr_assert_leq(after, before + 4 * 1024, "purged: %llu KiB kept",
		      after - before);
#endif
}
