/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tsan_lock.c -- libdaxfs's internal lock-free structures under
 * ThreadSanitizer: the inode rwsem (core/lock.{h,c}) and the extent
 * cache (ext2/extent_cache.c).
 *
 * The rwsem: readers and writers share plain (not atomic) variables
 * that only the lock protects.  Writers sleep now and then so the reader
 * bias comes back between them: reads go through thread slots and
 * through the word, and every hand-off (biased reader -> writer, writer
 * -> biased reader) must order the plain accesses, or TSan reports a
 * race.  Readers also check that they never see a write half done.
 *
 * The extent cache: readers look blocks up without a lock while a writer
 * fills the cache (which doubles its table, leaving readers in the one
 * it replaced, then evicts) and empties it.  Every answer must be the
 * map's, and TSan must see no race on the tables a doubling replaces.
 *
 * The stresses themselves are scen_lock_stress (tests/util/scen_lock.c,
 * which tests/unit/test_lock.c runs too) and scen_extent_stress
 * (tests/util/scen_extent.c, with tests/unit/test_extent_cache.c).
 * Links the library's objects (both are internal); reports with a
 * minimal printf of its own.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdbool.h>

#include "common.h"
#include "scenarios.h"

static int fails;

/* Print one check and count a failure (tsan_util.c would bring the
 * shared library besides the objects this program links). */
__attribute__((format(printf, 2, 3))) static void check(bool ok,
							 const char *fmt, ...)
{
	va_list ap;

	printf("%s  ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fails += !ok;
}

/* The stress of tests/util/scen_extent.c, shared with
 * test_extent_cache.c. */
static void extent_cache(void)
{
	struct scen_extent_stats st;
	int r = scen_extent_stress(2, 3.0, &st);

	check(r == 0, "extent cache: every thread started");
	check(atomic_load(&st.wrong) == 0, "extent cache: %ld of %ld hits "
	      "were wrong", atomic_load(&st.wrong), atomic_load(&st.hits));
	check(atomic_load(&st.hits) > 0 && atomic_load(&st.clears) > 0,
	      "extent cache: %ld lookups, %ld hits, %ld inserts, %ld clears",
	      atomic_load(&st.lookups), atomic_load(&st.hits),
	      atomic_load(&st.inserts), atomic_load(&st.clears));
}

/* The stress of tests/util/scen_lock.c, shared with test_lock.c, then
 * the extent cache's. */
int main(void)
{
	struct scen_lock_stats st;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	r = scen_lock_stress(3, 2, 3.0, &st);
	check(r == 0, "every thread started");
	check(atomic_load(&st.torn) == 0, "%ld of %ld reads saw a write half "
	      "done", atomic_load(&st.torn), atomic_load(&st.reads));
	check(atomic_load(&st.writes) > 0, "%ld writes",
	      atomic_load(&st.writes));
	check(atomic_load(&st.biased_reads) > 0 &&
	      atomic_load(&st.biased_reads) < atomic_load(&st.reads),
	      "%ld of %ld reads biased (some, not all)",
	      atomic_load(&st.biased_reads), atomic_load(&st.reads));
	check(st.balanced, "x == y, lock free at the end");
	extent_cache();
	printf("tsan_lock: %s\n", fails ? "FAILED" : "passed");
	return fails != 0;
}
