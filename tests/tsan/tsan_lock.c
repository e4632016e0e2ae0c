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
 * The stress itself is scen_lock_stress (tests/util/scen_lock.c), which
 * tests/unit/test_lock.c runs too.  Links the library's objects (the lock
 * is internal); reports with a minimal printf of its own.
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

/* The stress of tests/util/scen_lock.c, shared with test_lock.c. */
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
	printf("tsan_lock: %s\n", fails ? "FAILED" : "passed");
	return fails != 0;
}
