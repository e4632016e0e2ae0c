/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tsan_extent.c -- the extent cache (ext2/extent_cache.c) under
 * ThreadSanitizer: readers look blocks up without a lock while a writer
 * fills the cache (which doubles its table, leaving readers in the one
 * it replaced, then evicts) and empties it.  Every answer must be the
 * map's, and TSan must see no race on the tables a doubling replaces.
 *
 * The stress itself is scen_extent_stress (tests/util/scen_extent.c),
 * which tests/unit/test_extent_cache.c runs too.  Links the library's
 * objects (the cache is internal); reports with a minimal printf of its
 * own.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "common.h"
#include "scenarios.h"

static int fails;

/* Print one check and count a failure. */
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

int main(void)
{
	struct scen_extent_stats st;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	r = scen_extent_stress(2, 3.0, &st);
	check(r == 0, "every thread started");
	check(atomic_load(&st.wrong) == 0, "%ld of %ld hits were wrong",
	      atomic_load(&st.wrong), atomic_load(&st.hits));
	check(atomic_load(&st.hits) > 0 && atomic_load(&st.clears) > 0,
	      "%ld lookups, %ld hits, %ld inserts, %ld clears",
	      atomic_load(&st.lookups), atomic_load(&st.hits),
	      atomic_load(&st.inserts), atomic_load(&st.clears));
	printf("tsan_extent: %s\n", fails ? "FAILED" : "passed");
	return fails ? 1 : 0;
}
